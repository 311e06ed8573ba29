/* Job arithmetic: how many pods to run, the failure backoff, completion and
 * completedIndexes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/workload.h"

static void test_want_active(void **state)
{
    /* completions=3 parallelism=2 */
    assert_int_equal(zk_ctl_job_want_active(3, 2, 0, 0), 2);
    assert_int_equal(zk_ctl_job_want_active(3, 2, 2, 1), 1);
    assert_int_equal(zk_ctl_job_want_active(3, 2, 3, 0), 0);
    /* more succeeded than asked for: never negative */
    assert_int_equal(zk_ctl_job_want_active(3, 2, 5, 0), 0);
    /* parallelism larger than the work left */
    assert_int_equal(zk_ctl_job_want_active(10, 4, 8, 4), 2);
    /* parallelism 0 pauses the Job */
    assert_int_equal(zk_ctl_job_want_active(10, 0, 0, 3), 0);
    /* no completions: a work queue, parallelism pods until one succeeds,
     * then what runs finishes and nothing new starts */
    assert_int_equal(zk_ctl_job_want_active(-1, 3, 0, 1), 3);
    assert_int_equal(zk_ctl_job_want_active(-1, 3, 1, 2), 2);
    assert_int_equal(zk_ctl_job_want_active(-1, 3, 1, 0), 0);
}

static void test_complete(void **state)
{
    assert_true(zk_ctl_job_complete(3, 3, 0));
    assert_false(zk_ctl_job_complete(3, 3, 1));   /* a pod still runs */
    assert_false(zk_ctl_job_complete(3, 2, 0));
    assert_true(zk_ctl_job_complete(-1, 1, 0));
    assert_false(zk_ctl_job_complete(-1, 0, 0));
    assert_true(zk_ctl_job_complete(0, 0, 0));
}

static void test_backoff(void **state)
{
    int64_t t = 1000000;
    assert_int_equal(zk_ctl_job_backoff_left(0, t, t), 0);
    /* 10 s after the first failure, then 20, 40 ... */
    assert_int_equal(zk_ctl_job_backoff_left(1, t, t), 10);
    assert_int_equal(zk_ctl_job_backoff_left(1, t, t + 4), 6);
    assert_int_equal(zk_ctl_job_backoff_left(1, t, t + 10), 0);
    assert_int_equal(zk_ctl_job_backoff_left(2, t, t), 20);
    assert_int_equal(zk_ctl_job_backoff_left(3, t, t + 1), 39);
    /* at most 10 minutes */
    assert_int_equal(zk_ctl_job_backoff_left(7, t, t), 600);
    assert_int_equal(zk_ctl_job_backoff_left(1000, t, t), 600);
    /* a clock behind the failure waits the whole delay, not more */
    assert_int_equal(zk_ctl_job_backoff_left(1, t, t - 50), 10);
}

static void expect_indexes(const char *bits, const char *want)
{
    size_t n = strlen(bits);
    bool set[64] = {0};
    for (size_t i = 0; i < n; i++)
        set[i] = bits[i] == '1';
    char *got = zk_ctl_job_format_indexes(set, (int64_t)n);
    if (strcmp(got, want))
        fail_msg("%s: want '%s', got '%s'", bits, want, got);
    free(got);
}

static void test_indexes(void **state)
{
    expect_indexes("", "");
    expect_indexes("000", "");
    expect_indexes("1", "0");
    expect_indexes("111", "0-2");
    expect_indexes("0101110001", "1,3-5,9");
    expect_indexes("11011", "0,1,3,4");
    expect_indexes("0110111", "1,2,4-6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_want_active),
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_indexes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
