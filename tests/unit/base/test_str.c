#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"

static void test_concat_like_snprintf(void **state)
{
    char a[8], b[8];
    static const char *const parts[][3] = {
        {"", "", ""}, {"ns", "/", "name"}, {"abc", "defg", "h"}, {"abcdefgh", "i", ""},
        {"x", "", "y"},
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        for (size_t n = 1; n <= sizeof(a); n++) {
            memset(a, 'Z', sizeof(a));
            memset(b, 'Z', sizeof(b));
            int want = snprintf(a, n, "%s%s%s", parts[i][0], parts[i][1], parts[i][2]);
            size_t got = zk_str_concat(b, n, parts[i][0], parts[i][1], parts[i][2], NULL);
            assert_int_equal(got, (size_t)want);
            assert_memory_equal(a, b, sizeof(a));
        }
    }
    assert_int_equal(zk_str_concat(NULL, 0, "abc", NULL), 3);
}

static void test_i64(void **state)
{
    static const int64_t vals[] = {0, 1, -1, 9, 10, 12345, -987654321, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char a[32], b[32];
        snprintf(a, sizeof(a), "%lld", (long long)vals[i]);
        size_t n = zk_str_i64(b, vals[i]);
        assert_string_equal(a, b);
        assert_int_equal(n, strlen(a));
    }
}

static void test_hex(void **state)
{
    const unsigned char in[] = {0x00, 0x0f, 0xa5, 0xff};
    char out[9] = "";
    zk_str_hex(out, in, sizeof(in));
    out[8] = '\0';
    assert_string_equal(out, "000fa5ff");
}

static void test_base64(void **state)
{
    unsigned char out[32];
    /* RFC 4648's vectors, with and without padding, and with line breaks */
    static const struct {
        const char *in, *want;
    } ok[] = {{"", ""},         {"Zg==", "f"},       {"Zm8=", "fo"},     {"Zm9v", "foo"},
              {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"},
              {"Zm9vYg", "foob"},   {"Zm9v\nYmFy", "foobar"}, {"YQ==\n", "a"}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int n = zk_base64_decode(ok[i].in, strlen(ok[i].in), out, sizeof(out));
        assert_int_equal(n, (int)strlen(ok[i].want));
        assert_memory_equal(out, ok[i].want, (size_t)n);
    }
    /* outside the alphabet, or more than fits */
    assert_int_equal(zk_base64_decode("Zm9v!", 5, out, sizeof(out)), -1);
    assert_int_equal(zk_base64_decode("Zm9vYmFy", 8, out, 3), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concat_like_snprintf),
        cmocka_unit_test(test_i64),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
