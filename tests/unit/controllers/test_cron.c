/* Cron schedules and time zones: parsing, next run times in UTC and across
 * daylight saving changes in America/New_York, POSIX TZ rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "controllers/cron.h"

static int64_t at(const char *rfc3339)
{
    int64_t t = zk_time_parse_rfc3339(rfc3339);
    if (t < 0)
        fail_msg("bad time %s", rfc3339);
    return t;
}

static zk_ctl_cron parse_ok(const char *spec)
{
    zk_ctl_cron c;
    zk_err err = {0};
    if (zk_ctl_cron_parse(spec, &c, &err) != 0)
        fail_msg("parse '%s': %s", spec, err.msg);
    return c;
}

static zk_ctl_tz *zone(const char *name)
{
    zk_ctl_tz *tz = NULL;
    zk_err err = {0};
    if (zk_ctl_tz_load(name, &tz, &err) != 0)
        fail_msg("zone %s: %s", name, err.msg);
    return tz;
}

/* next(spec, from) in tz is want (RFC 3339, or NULL for none) */
static void expect_next(const char *spec, const zk_ctl_tz *tz, const char *from, const char *want)
{
    zk_ctl_cron c = parse_ok(spec);
    int64_t got = zk_ctl_cron_next(&c, tz, at(from));
    zk_ctl_cron_free(&c);
    if (!want) {
        if (got != -1)
            fail_msg("'%s' after %s: want none, got %lld", spec, from, (long long)got);
        return;
    }
    if (got != at(want)) {
        char g[64];
        zk_ctl_tz_rfc3339(NULL, got, g, sizeof(g));
        fail_msg("'%s' after %s: want %s, got %s", spec, from, want, g);
    }
}

static void test_calendar(void **state)
{
    assert_int_equal(zk_ctl_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(zk_ctl_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(zk_ctl_days_from_civil(1969, 12, 31), -1);
    zk_ctl_tm tm;
    zk_ctl_tm_utc(at("2024-02-29T23:59:58Z"), &tm);
    assert_int_equal(tm.year, 2024);
    assert_int_equal(tm.mon, 2);
    assert_int_equal(tm.mday, 29);
    assert_int_equal(tm.hour, 23);
    assert_int_equal(tm.min, 59);
    assert_int_equal(tm.sec, 58);
    assert_int_equal(tm.wday, 4);   /* a Thursday */
    zk_ctl_tm_utc(-1, &tm);
    assert_int_equal(tm.year, 1969);
    assert_int_equal(tm.sec, 59);
    assert_int_equal(tm.wday, 3);
    assert_int_equal(zk_ctl_days_in_month(2100, 2), 28);
    assert_int_equal(zk_ctl_days_in_month(2000, 2), 29);
}

static void test_parse_fields(void **state)
{
    zk_ctl_cron c = parse_ok("*/15 9-17/4 1,15 JAN-mar mon-FRI");
    assert_true(c.minute == (1ull << 0 | 1ull << 15 | 1ull << 30 | 1ull << 45));
    assert_int_equal(c.hour, 1u << 9 | 1u << 13 | 1u << 17);
    assert_int_equal(c.dom, 1u << 1 | 1u << 15);
    assert_int_equal(c.month, 1u << 1 | 1u << 2 | 1u << 3);
    assert_int_equal(c.dow, 0x3e);
    assert_false(c.dom_star);
    assert_false(c.dow_star);
    zk_ctl_cron_free(&c);

    c = parse_ok("  5/20 * ? * *  ");
    assert_true(c.minute == (1ull << 5 | 1ull << 25 | 1ull << 45));
    assert_int_equal(c.hour, 0xffffff);
    assert_true(c.dom_star);
    assert_true(c.dow_star);
    zk_ctl_cron_free(&c);

    /* "*" with a step over 1 is not a star (robfig/cron) */
    c = parse_ok("0 0 */2 * 1");
    assert_false(c.dom_star);
    zk_ctl_cron_free(&c);

    zk_ctl_cron a = parse_ok("@hourly"), b = parse_ok("0 * * * *");
    assert_true(a.minute == b.minute && a.hour == b.hour && a.dom == b.dom &&
                a.month == b.month && a.dow == b.dow);
    a = parse_ok("@weekly");
    assert_int_equal(a.dow, 1);
    a = parse_ok("@yearly");
    assert_int_equal(a.month, 2);
    assert_int_equal(a.dom, 2);

    c = parse_ok("@every 1h30m");
    assert_int_equal(c.every, 5400);
    c = parse_ok("@every 100ms");
    assert_int_equal(c.every, 1);

    c = parse_ok("TZ=America/New_York 0 2 * * *");
    assert_non_null(c.tz);
    assert_string_equal(zk_ctl_tz_name(c.tz), "America/New_York");
    zk_ctl_cron_free(&c);
    assert_null(c.tz);
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *spec, *msg;
    } cases[] = {
        {"", "empty spec string"},
        {"* * * *", "expected exactly 5 fields, found 4"},
        {"* * * * * *", "expected exactly 5 fields, found 6"},
        {"60 * * * *", "minute: end of range (60) above maximum (59): 60"},
        {"* * 0 * *", "day of month: beginning of range (0) below minimum (1): 0"},
        {"* * * * 7", "day of week: end of range (7) above maximum (6): 7"},
        {"*/0 * * * *", "minute: step of range should be a positive number: */0"},
        {"5-1 * * * *", "minute: beginning of range (5) beyond end of range (1): 5-1"},
        {"1-2-3 * * * *", "minute: too many hyphens: 1-2-3"},
        {"1/2/3 * * * *", "minute: too many slashes: 1/2/3"},
        {"x * * * *", "minute: failed to parse int from x"},
        {"* * * foo *", "month: failed to parse int from foo"},
        {"@fortnightly", "unrecognized descriptor: @fortnightly"},
        {"@every 5", "missing unit"},
        {"@every 5y", "unknown unit"},
        {"TZ=Nowhere/Land * * * * *", "unknown time zone Nowhere/Land"},
        {"TZ=America/New_York", "invalid location descriptor"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        zk_ctl_cron c;
        zk_err err = {0};
        if (zk_ctl_cron_parse(cases[i].spec, &c, &err) == 0)
            fail_msg("'%s' parsed", cases[i].spec);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("'%s': message '%s' lacks '%s'", cases[i].spec, err.msg, cases[i].msg);
    }
}

static void test_next_utc(void **state)
{
    expect_next("*/15 * * * *", NULL, "2024-05-01T10:07:30Z", "2024-05-01T10:15:00Z");
    /* strictly after */
    expect_next("*/15 * * * *", NULL, "2024-05-01T10:15:00Z", "2024-05-01T10:30:00Z");
    expect_next("* * * * *", NULL, "2024-05-01T10:15:00Z", "2024-05-01T10:16:00Z");
    expect_next("* * * * *", NULL, "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z");
    expect_next("0 0 1 1 *", NULL, "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z");
    expect_next("@yearly", NULL, "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z");
    expect_next("0 0 29 2 *", NULL, "2025-03-01T00:00:00Z", "2028-02-29T00:00:00Z");
    expect_next("59 23 31 2 *", NULL, "2025-03-01T00:00:00Z", NULL);
    expect_next("30 6-16/4 * * 1-5", NULL, "2024-09-06T15:00:00Z", "2024-09-09T06:30:00Z");
    /* both day fields restricted: either matches (2024-09-06 is a Friday) */
    expect_next("0 0 13 * 5", NULL, "2024-09-01T00:00:00Z", "2024-09-06T00:00:00Z");
    expect_next("0 0 13 * 5", NULL, "2024-09-12T00:00:00Z", "2024-09-13T00:00:00Z");
    /* one starts with "*": both must match (a Friday the 13th) */
    expect_next("0 0 13 * *", NULL, "2024-09-01T00:00:00Z", "2024-09-13T00:00:00Z");
    expect_next("0 0 * * 5", NULL, "2024-09-07T00:00:00Z", "2024-09-13T00:00:00Z");
    expect_next("0 0 13 */1 5", NULL, "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z");
    expect_next("0 0 ? * fri", NULL, "2024-09-07T00:00:00Z", "2024-09-13T00:00:00Z");
    expect_next("@every 90s", NULL, "2024-09-07T00:00:00Z", "2024-09-07T00:01:30Z");
}

static void test_next_new_york_dst(void **state)
{
    zk_ctl_tz *ny = zone("America/New_York");
    /* 2024-03-10: 02:00 EST becomes 03:00 EDT (07:00Z). 02:30 does not
     * happen that day. */
    expect_next("30 2 * * *", ny, "2024-03-09T08:00:00Z", "2024-03-11T06:30:00Z");
    expect_next("30 2 * * *", ny, "2024-03-08T08:00:00Z", "2024-03-09T07:30:00Z");
    expect_next("0 * * * *", ny, "2024-03-10T06:30:00Z", "2024-03-10T07:00:00Z");
    expect_next("0 3 * * *", ny, "2024-03-10T05:00:00Z", "2024-03-10T07:00:00Z");
    /* midnight is 05:00Z before the change and 04:00Z after */
    expect_next("0 0 * * *", ny, "2024-03-09T05:00:00Z", "2024-03-10T05:00:00Z");
    expect_next("0 0 * * *", ny, "2024-03-10T05:00:00Z", "2024-03-11T04:00:00Z");
    /* 2024-11-03: 02:00 EDT becomes 01:00 EST (06:00Z); 01:30 happens
     * twice, once in each offset */
    expect_next("30 1 * * *", ny, "2024-11-03T04:00:00Z", "2024-11-03T05:30:00Z");
    expect_next("30 1 * * *", ny, "2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z");
    expect_next("30 1 * * *", ny, "2024-11-03T06:30:00Z", "2024-11-04T06:30:00Z");
    /* past the file's transition table, the POSIX rule decides */
    expect_next("0 12 1 7 *", ny, "2050-01-01T00:00:00Z", "2050-07-01T16:00:00Z");
    expect_next("0 12 1 12 *", ny, "2050-01-01T00:00:00Z", "2050-12-01T17:00:00Z");
    /* a TZ= prefix wins over the zone passed in */
    expect_next("TZ=UTC 0 12 * * *", ny, "2024-07-01T00:00:00Z", "2024-07-01T12:00:00Z");
    expect_next("CRON_TZ=America/New_York 0 12 * * *", NULL, "2024-07-01T00:00:00Z",
                "2024-07-01T16:00:00Z");
    zk_ctl_tz_free(ny);
}

/* Every answer of next() equals a minute-by-minute scan with matches(). */
static void test_next_agrees_with_scan(void **state)
{
    static const char *const specs[] = {"* * * * *", "30 2 * * *", "*/7 1-3 * * *",
                                        "0 0 * * 0", "15,45 */5 3,4 * *", "59 1 * 3,11 *"};
    static const char *const zones[] = {"UTC", "America/New_York", "Australia/Lord_Howe",
                                        "Europe/London"};
    static const char *const starts[] = {"2024-03-09T12:00:00Z", "2024-11-02T22:00:00Z",
                                         "2024-04-06T10:00:00Z", "2024-10-05T12:00:00Z"};
    for (size_t z = 0; z < 4; z++) {
        zk_ctl_tz *tz = zone(zones[z]);
        for (size_t s = 0; s < 6; s++) {
            zk_ctl_cron c = parse_ok(specs[s]);
            for (size_t st = 0; st < 4; st++) {
                int64_t t = at(starts[st]);
                int64_t end = t + 3 * 86400;
                for (int n = 0; n < 40 && t < end; n++) {
                    int64_t got = zk_ctl_cron_next(&c, tz, t);
                    int64_t want = -1;
                    for (int64_t m = (t / 60 + 1) * 60; m < end; m += 60)
                        if (zk_ctl_cron_matches(&c, tz, m)) {
                            want = m;
                            break;
                        }
                    if (want < 0)
                        break;
                    if (got != want)
                        fail_msg("%s '%s' after %lld: next %lld, scan %lld", zones[z], specs[s],
                                 (long long)t, (long long)got, (long long)want);
                    t = got;
                }
            }
            zk_ctl_cron_free(&c);
        }
        zk_ctl_tz_free(tz);
    }
}

static void test_zones(void **state)
{
    bool dst;
    zk_ctl_tz *ny = zone("America/New_York");
    assert_int_equal(zk_ctl_tz_offset(ny, at("2024-01-15T12:00:00Z"), &dst), -18000);
    assert_false(dst);
    assert_int_equal(zk_ctl_tz_offset(ny, at("2024-07-15T12:00:00Z"), &dst), -14400);
    assert_true(dst);
    assert_int_equal(zk_ctl_tz_offset(ny, at("2024-03-10T06:59:59Z"), NULL), -18000);
    assert_int_equal(zk_ctl_tz_offset(ny, at("2024-03-10T07:00:00Z"), NULL), -14400);
    assert_int_equal(zk_ctl_tz_next_transition(ny, at("2024-03-01T00:00:00Z")),
                     at("2024-03-10T07:00:00Z"));
    assert_int_equal(zk_ctl_tz_next_transition(ny, at("2060-03-01T00:00:00Z")),
                     at("2060-03-14T07:00:00Z"));
    char buf[64];
    zk_ctl_tz_rfc3339(ny, at("2024-03-10T07:00:00Z"), buf, sizeof(buf));
    assert_string_equal(buf, "2024-03-10T03:00:00-04:00");
    zk_ctl_tz_rfc3339(NULL, at("2024-03-10T07:00:00Z"), buf, sizeof(buf));
    assert_string_equal(buf, "2024-03-10T07:00:00Z");
    zk_ctl_tz_free(ny);

    /* southern hemisphere, in the years the rule covers */
    zk_ctl_tz *syd = zone("Australia/Sydney");
    assert_int_equal(zk_ctl_tz_offset(syd, at("2050-01-15T00:00:00Z"), &dst), 39600);
    assert_true(dst);
    assert_int_equal(zk_ctl_tz_offset(syd, at("2050-07-15T00:00:00Z"), &dst), 36000);
    assert_false(dst);
    zk_ctl_tz_free(syd);

    zk_ctl_tz *kol = zone("Asia/Kolkata");
    zk_ctl_tz_rfc3339(kol, at("2024-01-01T00:00:00Z"), buf, sizeof(buf));
    assert_string_equal(buf, "2024-01-01T05:30:00+05:30");
    zk_ctl_tz_free(kol);

    zk_ctl_tz *utc = zone("");
    assert_string_equal(zk_ctl_tz_name(utc), "UTC");
    assert_int_equal(zk_ctl_tz_offset(utc, 0, NULL), 0);
    zk_ctl_tz_free(utc);

    zk_ctl_tz *tz = NULL;
    zk_err err = {0};
    assert_int_equal(zk_ctl_tz_load("../etc/passwd", &tz, &err), -ZK_ENOTFOUND);
    assert_int_equal(zk_ctl_tz_load("Mars/Olympus_Mons", &tz, &err), -ZK_ENOTFOUND);
    assert_int_equal(zk_ctl_tz_from_tzif("x", (const uint8_t *)"TZif2", 5, &tz, &err), -ZK_EPARSE);
}

static void test_posix_rules(void **state)
{
    zk_ctl_tz *p = NULL, *ny = zone("America/New_York");
    zk_err err = {0};
    assert_int_equal(zk_ctl_tz_from_posix("EST5EDT,M3.2.0,M11.1.0", &p, &err), 0);
    /* the rule agrees with the table over the years both cover */
    for (int64_t t = at("2008-01-01T00:00:00Z"); t < at("2030-01-01T00:00:00Z"); t += 3 * 3600)
        if (zk_ctl_tz_offset(p, t, NULL) != zk_ctl_tz_offset(ny, t, NULL))
            fail_msg("offsets differ at %lld", (long long)t);
    zk_ctl_tz_free(p);
    zk_ctl_tz_free(ny);

    assert_int_equal(zk_ctl_tz_from_posix("<+0530>-5:30", &p, &err), 0);
    assert_int_equal(zk_ctl_tz_offset(p, 0, NULL), 19800);
    zk_ctl_tz_free(p);

    assert_int_equal(zk_ctl_tz_from_posix("CET-1CEST,M3.5.0,M10.5.0/3", &p, &err), 0);
    assert_int_equal(zk_ctl_tz_offset(p, at("2031-03-30T00:59:59Z"), NULL), 3600);
    assert_int_equal(zk_ctl_tz_offset(p, at("2031-03-30T01:00:00Z"), NULL), 7200);
    assert_int_equal(zk_ctl_tz_offset(p, at("2031-10-26T00:59:59Z"), NULL), 7200);
    assert_int_equal(zk_ctl_tz_offset(p, at("2031-10-26T01:00:00Z"), NULL), 3600);
    zk_ctl_tz_free(p);

    static const char *const bad[] = {"", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0",
                                      "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,M11.1.0x", "<X>5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (zk_ctl_tz_from_posix(bad[i], &p, &err) == 0)
            fail_msg("'%s' parsed", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_next_utc),
        cmocka_unit_test(test_next_new_york_dst),
        cmocka_unit_test(test_next_agrees_with_scan),
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_posix_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
