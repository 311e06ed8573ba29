#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/hist.h"

static void test_buckets_are_cumulative_when_printed(void **state)
{
    zk_hist h = {0};
    zk_hist_add(&h, 0.0001);  /* first bucket */
    zk_hist_add(&h, 0.001);   /* on a bound: that bucket */
    zk_hist_add(&h, 0.003);
    zk_hist_add(&h, 5.0);     /* +Inf */
    assert_int_equal(h.n, 4);
    zk_buf b = ZK_BUF_INIT(1 << 16);
    assert_int_equal(zk_hist_print(&b, "x_seconds", "help text", &h), 0);
    assert_non_null(strstr(b.data, "# TYPE x_seconds histogram\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{le=\"0.00025\"} 1\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{le=\"0.001\"} 2\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{le=\"0.005\"} 3\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{le=\"1\"} 3\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(b.data, "x_seconds_count 4\n"));
    zk_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_are_cumulative_when_printed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
