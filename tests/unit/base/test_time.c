#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/time.h"

static void test_age_like_kubectl(void **state)
{
    static const struct { long long s; const char *want; } cases[] = {
        {0, "0s"}, {59, "59s"}, {119, "119s"}, {120, "2m"}, {150, "2m30s"}, {599, "9m59s"},
        {600, "10m"}, {3 * 3600 - 1, "179m"}, {3 * 3600, "3h"}, {3 * 3600 + 60, "3h1m"},
        {8 * 3600, "8h"}, {47 * 3600, "47h"}, {48 * 3600, "2d"}, {50 * 3600, "2d2h"},
        {8 * 86400, "8d"}, {729LL * 86400, "729d"}, {730LL * 86400, "2y"},
        {735LL * 86400, "2y5d"}, {8LL * 365 * 86400, "8y"}, {-5, "<invalid>"}, {-1, "0s"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        zk_time_age(cases[i].s, out, sizeof(out));
        assert_string_equal(out, cases[i].want);
    }
}

static void test_rfc3339_round_trip(void **state)
{
    char out[32];
    zk_time_rfc3339(1795763705, out, sizeof(out));
    assert_string_equal(out, "2026-11-27T07:15:05Z");
    assert_int_equal(zk_time_parse_rfc3339(out), 1795763705);
    assert_int_equal(zk_time_parse_rfc3339("2026-11-27T15:15:05+08:00"), 1795763705);
    assert_int_equal(zk_time_parse_rfc3339("2026-11-27T07:15:05.123456Z"), 1795763705);
    assert_int_equal(zk_time_parse_rfc3339("yesterday"), -1);
    assert_int_equal(zk_time_parse_rfc3339("2026-11-27T07:15:05"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_age_like_kubectl),
        cmocka_unit_test(test_rfc3339_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
