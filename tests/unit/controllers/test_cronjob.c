/* CronJob decisions: the most recent missed run, Job names, and what to do
 * about a due run under each concurrencyPolicy and startingDeadlineSeconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/time.h"
#include "controllers/workload.h"

static int64_t at(const char *s)
{
    int64_t t = zk_time_parse_rfc3339(s);
    if (t < 0)
        fail_msg("bad time %s", s);
    return t;
}

static void expect_recent(const char *spec, const char *earliest, const char *now,
                          const char *want, int64_t want_missed)
{
    zk_ctl_cron c;
    zk_err err = {0};
    if (zk_ctl_cron_parse(spec, &c, &err) != 0)
        fail_msg("%s: %s", spec, err.msg);
    int64_t missed = -5;
    int64_t got = zk_ctl_cron_most_recent(&c, NULL, at(earliest), at(now), &missed);
    zk_ctl_cron_free(&c);
    int64_t w = want ? at(want) : -1;
    if (got != w)
        fail_msg("'%s' from %s to %s: want %lld, got %lld", spec, earliest, now, (long long)w,
                 (long long)got);
    if (missed != want_missed)
        fail_msg("'%s' from %s to %s: missed %lld, want %lld", spec, earliest, now,
                 (long long)missed, (long long)want_missed);
}

static void test_most_recent(void **state)
{
    /* nothing due yet */
    expect_recent("* * * * *", "2024-05-01T10:00:00Z", "2024-05-01T10:00:59Z", NULL, 0);
    /* exactly at the firing */
    expect_recent("* * * * *", "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z",
                  "2024-05-01T10:01:00Z", 1);
    expect_recent("* * * * *", "2024-05-01T10:00:30Z", "2024-05-01T10:01:10Z",
                  "2024-05-01T10:01:00Z", 1);
    /* several missed: the latest is the one to run */
    expect_recent("*/5 * * * *", "2024-05-01T10:00:00Z", "2024-05-01T10:17:00Z",
                  "2024-05-01T10:15:00Z", 3);
    /* a week of hourly runs missed */
    expect_recent("@hourly", "2024-05-01T10:00:00Z", "2024-05-08T10:30:00Z",
                  "2024-05-08T10:00:00Z", 168);
    /* irregular: weekdays at 06:30, 10:30, 14:30 */
    expect_recent("30 6-16/4 * * 1-5", "2024-09-06T15:00:00Z", "2024-09-09T11:00:00Z",
                  "2024-09-09T10:30:00Z", 2);
    /* a date that never comes */
    expect_recent("0 0 31 2 *", "2024-01-01T00:00:00Z", "2024-12-01T00:00:00Z", NULL, 0);
}

static void test_job_name(void **state)
{
    char buf[64];
    zk_ctl_cronjob_job_name("hello", at("2024-05-01T10:15:00Z"), buf, sizeof(buf));
    assert_string_equal(buf, "hello-28575975");
    zk_ctl_cronjob_job_name("x", 0, buf, sizeof(buf));
    assert_string_equal(buf, "x-0");
}

static void test_decide(void **state)
{
    int64_t due = 1000, now = 1010;
    assert_int_equal(zk_ctl_cronjob_decide(-1, now, -1, false, 0, "Allow"), ZK_CJ_WAIT);
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, false, 0, "Allow"), ZK_CJ_START);
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, false, 0, NULL), ZK_CJ_START);
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, true, 0, "Allow"), ZK_CJ_STARTED);
    /* startingDeadlineSeconds: 10 s late is fine with 10, not with 9 */
    assert_int_equal(zk_ctl_cronjob_decide(due, now, 10, false, 0, "Allow"), ZK_CJ_START);
    assert_int_equal(zk_ctl_cronjob_decide(due, now, 9, false, 0, "Allow"), ZK_CJ_TOO_LATE);
    /* with a run active */
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, false, 1, "Allow"), ZK_CJ_START);
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, false, 2, "Forbid"), ZK_CJ_FORBIDDEN);
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, false, 1, "Replace"), ZK_CJ_REPLACE);
    /* nothing active: the policies do not matter */
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, false, 0, "Forbid"), ZK_CJ_START);
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, false, 0, "Replace"), ZK_CJ_START);
    /* a run already started is not replaced */
    assert_int_equal(zk_ctl_cronjob_decide(due, now, -1, true, 1, "Replace"), ZK_CJ_STARTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_most_recent),
        cmocka_unit_test(test_job_name),
        cmocka_unit_test(test_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
