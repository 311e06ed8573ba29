/* The Redis protocol: replies of every type to JSON, incomplete input asks
 * for more, malformed input fails with a message, bounds hold; commands
 * encode as arrays of bulk strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "net/resp.h"

static json_t *one(const char *wire, ssize_t want_used)
{
    json_t *v = NULL;
    zk_err err = {0};
    ssize_t n = zk_resp_parse(wire, strlen(wire), &v, &err);
    if (n != want_used)
        fail_msg("%s: used %zd, want %zd (%s)", wire, n, want_used, err.msg);
    return v;
}

static void test_types(void **state)
{
    (void)state;
    json_t *v = one(":42\r\n", 5);
    assert_int_equal(json_integer_value(v), 42);
    json_decref(v);
    v = one("+OK\r\n", 5);
    assert_string_equal(json_string_value(v), "OK");
    json_decref(v);
    v = one("-WRONGPASS invalid username-password pair\r\n", 43);
    assert_string_equal(json_string_value(json_object_get(v, "error")),
                        "WRONGPASS invalid username-password pair");
    json_decref(v);
    v = one("$5\r\nhello\r\n", 11);
    assert_string_equal(json_string_value(v), "hello");
    json_decref(v);
    v = one("$-1\r\n", 5);
    assert_true(json_is_null(v));
    json_decref(v);
    /* XINFO GROUPS as RESP2 sends it: arrays of key, value */
    v = one("*1\r\n*4\r\n$4\r\nname\r\n$7\r\nworkers\r\n$3\r\nlag\r\n:7\r\n", 44);
    assert_int_equal(json_array_size(json_array_get(v, 0)), 4);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(v, 0), 3)), 7);
    json_decref(v);
    /* RESP3: a map, a double, a boolean, null */
    v = one("%1\r\n+lag\r\n,2.5\r\n", 16);
    assert_true(json_real_value(json_array_get(v, 1)) == 2.5);
    json_decref(v);
    v = one("#t\r\n", 4);
    assert_true(json_is_true(v));
    json_decref(v);
    v = one("_\r\n", 3);
    assert_true(json_is_null(v));
    json_decref(v);
}

static void test_incomplete_and_bad(void **state)
{
    (void)state;
    assert_null(one(":4", 0));
    assert_null(one("$5\r\nhel", 0));
    assert_null(one("*2\r\n:1\r\n", 0));
    json_t *v = NULL;
    zk_err err = {0};
    assert_int_equal(zk_resp_parse("?x\r\n", 4, &v, &err), -1);
    assert_non_null(strstr(err.msg, "unknown reply type"));
    assert_int_equal(zk_resp_parse(":12a\r\n", 6, &v, &err), -1);
    assert_int_equal(zk_resp_parse("$3\r\nabcd\r\n", 10, &v, &err), -1);
    assert_non_null(strstr(err.msg, "CRLF"));
    /* bounds: too deep, too many elements, too long */
    char deep[200] = "";
    for (int i = 0; i < 20; i++)
        strcat(deep, "*1\r\n");
    strcat(deep, ":1\r\n");
    assert_int_equal(zk_resp_parse(deep, strlen(deep), &v, &err), -1);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    assert_int_equal(zk_resp_parse("*99999999\r\n", 11, &v, &err), -1);
    assert_non_null(strstr(err.msg, "too many elements"));
    assert_int_equal(zk_resp_parse("$999999999\r\n", 12, &v, &err), -1);
    assert_non_null(strstr(err.msg, "too long"));
}

static void test_command(void **state)
{
    (void)state;
    zk_buf b = ZK_BUF_INIT(1024);
    const char *argv[] = {"LLEN", "jobs"};
    assert_int_equal(zk_resp_command(&b, 2, argv), 0);
    assert_string_equal(b.data, "*2\r\n$4\r\nLLEN\r\n$4\r\njobs\r\n");
    zk_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_incomplete_and_bad),
        cmocka_unit_test(test_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
