/* Unit tests of the one-field JSON scanner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "base/jsonscan.h"

static int scan(const char *text, const char *path, char *out)
{
    return zk_json_scan(text, strlen(text), path, out, 64);
}

static void test_fields(void **state)
{
    const char *pod = "{\"metadata\":{\"name\":\"p\",\"labels\":{\"spec\":\"x\"}},"
                      "\"spec\":{\"containers\":[{\"nodeName\":\"no\"}],\"nodeName\":\"sim-1\","
                      "\"hostNetwork\":true,\"priority\":-5},\"status\":{\"phase\":\"Running\"}}";
    char out[64];
    assert_int_equal(scan(pod, "spec.nodeName", out), ZK_JSCAN_STRING);
    assert_string_equal(out, "sim-1");   /* not the one inside containers[] */
    assert_int_equal(scan(pod, "status.phase", out), ZK_JSCAN_STRING);
    assert_string_equal(out, "Running");
    assert_int_equal(scan(pod, "spec.hostNetwork", out), ZK_JSCAN_LITERAL);
    assert_string_equal(out, "true");
    assert_int_equal(scan(pod, "spec.priority", out), ZK_JSCAN_LITERAL);
    assert_string_equal(out, "-5");
    assert_int_equal(scan(pod, "spec.containers", out), ZK_JSCAN_OTHER);
    assert_int_equal(scan(pod, "spec.schedulerName", out), ZK_JSCAN_ABSENT);
    assert_int_equal(scan(pod, "status.phase.x", out), ZK_JSCAN_ABSENT);
    assert_int_equal(scan(pod, "nope.nodeName", out), ZK_JSCAN_ABSENT);
}

static void test_escapes_and_space(void **state)
{
    char out[64];
    assert_int_equal(scan(" { \"a\" : { \"b\" : \"q\\\"\\u00e9\\n\" } } ", "a.b", out),
                     ZK_JSCAN_STRING);
    assert_string_equal(out, "q\"\xc3\xa9\n");
    assert_int_equal(scan("{\"k\":\"\\ud83d\\ude00\"}", "k", out), ZK_JSCAN_STRING);
    assert_string_equal(out, "\xf0\x9f\x98\x80");
    /* keys before it with nested strings holding braces */
    assert_int_equal(scan("{\"x\":{\"y\":\"}]{\"},\"k\":\"v\"}", "k", out), ZK_JSCAN_STRING);
    assert_string_equal(out, "v");
}

static void test_malformed(void **state)
{
    char out[64];
    assert_int_equal(scan("{\"a\":", "a", out), ZK_JSCAN_BAD);
    assert_int_equal(scan("{\"a\":\"unterminated", "a", out), ZK_JSCAN_BAD);
    assert_int_equal(scan("{\"x\":[1,2", "a", out), ZK_JSCAN_BAD);
    assert_int_equal(scan("", "a", out), ZK_JSCAN_BAD);
    assert_int_equal(scan("[1]", "a", out), ZK_JSCAN_ABSENT);
    assert_int_equal(scan("{\"a\":\"\\x\"}", "a", out), ZK_JSCAN_BAD);
    /* a value longer than the buffer */
    char small[4];
    assert_int_equal(zk_json_scan("{\"a\":\"abcdef\"}", 14, "a", small, sizeof(small)),
                     ZK_JSCAN_BAD);
    /* the length bounds the scan, not a NUL */
    assert_int_equal(zk_json_scan("{\"a\":\"v\"}", 5, "a", out, 64), ZK_JSCAN_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_escapes_and_space),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
