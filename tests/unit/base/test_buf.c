#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/buf.h"

static void test_append_within_bound(void **state)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(8);
    assert_int_equal(zk_buf_puts(&b, "abcd"), 0);
    assert_int_equal(zk_buf_printf(&b, "%d", 1234), 0);
    assert_string_equal(b.data, "abcd1234");
    assert_int_equal(b.len, 8);
}

static void test_append_past_bound_fails_unchanged(void **state)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(8);
    assert_int_equal(zk_buf_puts(&b, "abcdef"), 0);
    assert_int_equal(zk_buf_puts(&b, "ghi"), -ZK_ETOOBIG);
    assert_string_equal(b.data, "abcdef");
    assert_int_equal(zk_buf_printf(&b, "%s", "xyz"), -ZK_ETOOBIG);
    assert_int_equal(b.len, 6);
}

static void test_json_string_escapes(void **state)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(1024);
    const char in[] = "a\"b\\c\nd\x01";
    assert_int_equal(zk_buf_put_json_string(&b, in, sizeof(in) - 1), 0);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\u0001\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_within_bound),
        cmocka_unit_test(test_append_past_bound_fails_unchanged),
        cmocka_unit_test(test_json_string_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
