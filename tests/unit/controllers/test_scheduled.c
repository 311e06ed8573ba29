/* ScheduledScaling's schedules under a fake clock: runs at the right
 * instant in non-UTC zones (and across a daylight saving change), the
 * seconds field, excludeDates and calendars by local date, missed runs,
 * and the errors a bad spec gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "controllers/cron.h"
#include "controllers/scheduled.h"

static int64_t at(const char *rfc3339)
{
    int64_t t = zk_time_parse_rfc3339(rfc3339);
    if (t < 0)
        fail_msg("bad time %s", rfc3339);
    return t;
}

/* a one-job spec from JSON text */
static zk_ss_job job(const char *spec_json)
{
    json_error_t je;
    json_t *spec = json_loads(spec_json, 0, &je);
    if (!spec)
        fail_msg("bad json: %s", je.text);
    zk_ss_job j;
    zk_err err = {0};
    if (zk_ss_job_parse(spec, 0, &j, &err) < 0)
        fail_msg("parse: %s", err.msg);
    json_decref(spec);
    return j;
}

static void expect(const zk_ss_job *j, const char *from, const char *want)
{
    int64_t got = zk_ss_next(j, at(from));
    if (!want) {
        if (got != -1)
            fail_msg("after %s: want none, got %lld", from, (long long)got);
        return;
    }
    if (got != at(want)) {
        char g[64];
        zk_time_rfc3339(got, g, sizeof(g));
        fail_msg("after %s: want %s, got %s", from, want, g);
    }
}

/* 08:30:00 in Shanghai (UTC+8) is 00:30 UTC; the same job in New York
 * follows the clock change (EST -5 / EDT -4) */
static void test_fires_at_local_time(void **state)
{
    (void)state;
    zk_ss_job j = job("{\"jobs\":[{\"name\":\"up\",\"schedule\":\"0 30 8 * * *\","
                      "\"timeZone\":\"Asia/Shanghai\",\"targetReplicas\":20}]}");
    expect(&j, "2026-11-10T00:00:00Z", "2026-11-10T00:30:00Z");
    expect(&j, "2026-11-10T00:30:00Z", "2026-11-11T00:30:00Z");
    zk_ss_job_free(&j);
    zk_ss_job ny = job("{\"timeZone\":\"America/New_York\",\"jobs\":[{\"name\":\"up\","
                       "\"schedule\":\"0 0 9 * * *\",\"targetReplicas\":3}]}");
    expect(&ny, "2026-03-07T00:00:00Z", "2026-03-07T14:00:00Z");   /* EST */
    expect(&ny, "2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z");   /* EDT from 03-08 */
    zk_ss_job_free(&ny);
    /* a five-field schedule fires on the minute */
    zk_ss_job five = job("{\"jobs\":[{\"name\":\"m\",\"schedule\":\"*/10 * * * *\","
                         "\"timeZone\":\"Asia/Kolkata\",\"minReplicas\":2}]}");
    expect(&five, "2026-11-10T00:01:05Z", "2026-11-10T00:10:00Z");
    zk_ss_job_free(&five);
}

static void test_seconds_field(void **state)
{
    (void)state;
    zk_ss_job j = job("{\"jobs\":[{\"name\":\"s\",\"schedule\":\"*/15 * * * * *\","
                      "\"targetReplicas\":1}]}");
    expect(&j, "2026-11-10T10:00:07Z", "2026-11-10T10:00:15Z");
    expect(&j, "2026-11-10T10:00:45Z", "2026-11-10T10:01:00Z");
    zk_ss_job_free(&j);
    zk_ss_job k = job("{\"jobs\":[{\"name\":\"s\",\"schedule\":\"30 0 0 1 1 *\","
                      "\"timeZone\":\"Asia/Tokyo\",\"targetReplicas\":1}]}");
    expect(&k, "2026-06-01T00:00:00Z", "2026-12-31T15:00:30Z");
    zk_ss_job_free(&k);
}

/* excludeDates are local dates: in Shanghai 07:00 on 11-12 is 23:00 UTC on
 * 11-11, which excluding 11-11 must not touch */
static void test_exclude_dates(void **state)
{
    (void)state;
    zk_ss_job j = job("{\"jobs\":[{\"name\":\"am\",\"schedule\":\"0 0 9 * * *\","
                      "\"timeZone\":\"Asia/Shanghai\",\"targetReplicas\":5,"
                      "\"excludeDates\":[\"2026-11-11\"]}]}");
    expect(&j, "2026-11-10T02:00:00Z", "2026-11-12T01:00:00Z");
    zk_ss_job_free(&j);
    zk_ss_job e = job("{\"jobs\":[{\"name\":\"early\",\"schedule\":\"0 0 7 * * *\","
                      "\"timeZone\":\"Asia/Shanghai\",\"targetReplicas\":5,"
                      "\"excludeDates\":[\"2026-11-11\"]}]}");
    expect(&e, "2026-11-10T00:00:00Z", "2026-11-11T23:00:00Z");
    zk_ss_job_free(&e);
    /* a range and a calendar named in the object's excludeDates */
    zk_ss_job h = job("{\"calendars\":{\"national-day\":[\"2026-10-01..2026-10-07\"]},"
                      "\"excludeDates\":[\"national-day\",\"2026-10-09\"],"
                      "\"jobs\":[{\"name\":\"d\",\"schedule\":\"0 0 8 * * *\","
                      "\"timeZone\":\"Asia/Shanghai\",\"targetReplicas\":5}]}");
    expect(&h, "2026-09-30T01:00:00Z", "2026-10-08T00:00:00Z");
    expect(&h, "2026-10-08T00:00:00Z", "2026-10-10T00:00:00Z");
    zk_ss_job_free(&h);
    /* every second, but not today: the next run is at local midnight */
    zk_ss_job s = job("{\"jobs\":[{\"name\":\"s\",\"schedule\":\"* * * * * *\","
                      "\"timeZone\":\"Asia/Shanghai\",\"targetReplicas\":1,"
                      "\"excludeDates\":[\"2026-11-11\"]}]}");
    expect(&s, "2026-11-10T17:00:00Z", "2026-11-11T16:00:00Z");
    zk_ss_job_free(&s);
}

/* a job limited to a calendar runs only on its dates */
static void test_calendar(void **state)
{
    (void)state;
    zk_ss_job j = job("{\"calendars\":{\"double-11\":[\"2026-11-10..2026-11-12\"]},"
                      "\"jobs\":[{\"name\":\"peak\",\"schedule\":\"0 0 8 * * *\","
                      "\"timeZone\":\"Asia/Shanghai\",\"calendar\":\"double-11\","
                      "\"minReplicas\":10,\"maxReplicas\":50}]}");
    expect(&j, "2026-06-01T00:00:00Z", "2026-11-10T00:00:00Z");
    expect(&j, "2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z");
    expect(&j, "2026-11-12T00:00:00Z", NULL);   /* no later dates */
    assert_int_equal(j.min, 10);
    assert_int_equal(j.max, 50);
    assert_int_equal(j.target, -1);
    zk_ss_job_free(&j);
}

/* missed runs: the latest run in (after, now] */
static void test_last_due(void **state)
{
    (void)state;
    zk_ss_job j = job("{\"jobs\":[{\"name\":\"up\",\"schedule\":\"0 0 8 * * *\","
                      "\"timeZone\":\"Asia/Shanghai\",\"targetReplicas\":20}]}");
    assert_int_equal(zk_ss_last_due(&j, at("2026-11-10T00:30:00Z"), at("2026-11-12T03:00:00Z")),
                     at("2026-11-12T00:00:00Z"));
    assert_int_equal(zk_ss_last_due(&j, at("2026-11-12T00:00:00Z"), at("2026-11-12T03:00:00Z")),
                     -1);
    /* a run exactly now is due */
    assert_int_equal(zk_ss_last_due(&j, at("2026-11-11T03:00:00Z"), at("2026-11-12T00:00:00Z")),
                     at("2026-11-12T00:00:00Z"));
    zk_ss_job_free(&j);
}

static void expect_error(const char *spec_json, const char *want)
{
    json_t *spec = json_loads(spec_json, 0, NULL);
    assert_non_null(spec);
    zk_ss_job j;
    zk_err err = {0};
    assert_true(zk_ss_job_parse(spec, 0, &j, &err) < 0);
    if (!strstr(err.msg, want))
        fail_msg("error \"%s\" does not say \"%s\"", err.msg, want);
    json_decref(spec);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("{\"jobs\":[{\"name\":\"a\",\"schedule\":\"0 0 8 * * *\",\"timeZone\":"
                 "\"Mars/Olympus\",\"targetReplicas\":1}]}",
                 "jobs[0].timeZone: unknown time zone \"Mars/Olympus\"");
    expect_error("{\"jobs\":[{\"name\":\"a\",\"schedule\":\"0 8 * *\",\"targetReplicas\":1}]}",
                 "jobs[0].schedule: expected 5 or 6 fields, found 4");
    expect_error("{\"jobs\":[{\"name\":\"a\",\"schedule\":\"0 0 8 * * *\",\"minReplicas\":5,"
                 "\"maxReplicas\":2}]}",
                 "jobs[0]: minReplicas 5 is above maxReplicas 2");
    expect_error("{\"jobs\":[{\"name\":\"a\",\"schedule\":\"0 0 8 * * *\",\"calendar\":\"x\","
                 "\"targetReplicas\":1}]}",
                 "jobs[0].calendar: no calendar \"x\" in calendars");
    expect_error("{\"jobs\":[{\"name\":\"a\",\"schedule\":\"0 0 8 * * *\",\"targetReplicas\":1,"
                 "\"excludeDates\":[\"2026-02-30\"]}]}",
                 "jobs[0].excludeDates[0]: \"2026-02-30\" is neither a date");
    expect_error("{\"jobs\":[{\"name\":\"a\",\"schedule\":\"0 0 8 * * *\"}]}",
                 "give targetReplicas, or minReplicas and/or maxReplicas");
    expect_error("{\"jobs\":[{\"name\":\"a\",\"schedule\":\"0 0 8 * * *\",\"targetReplicas\":1,"
                 "\"excludeDates\":[\"2026-11-12..2026-11-10\"]}]}",
                 "ends before it starts");
    expect_error("{\"jobs\":[{\"schedule\":\"0 0 8 * * *\",\"targetReplicas\":1}]}",
                 "jobs[0].name: required");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fires_at_local_time),
        cmocka_unit_test(test_seconds_field),
        cmocka_unit_test(test_exclude_dates),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_last_due),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
