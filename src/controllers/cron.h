/* zke controllers: cron schedules and time zones, for the CronJob
 * controller.
 *
 * The schedule syntax is the one Kubernetes accepts (robfig/cron's standard
 * parser): five fields (minute hour day-of-month month day-of-week) of
 * lists, ranges and steps, month and weekday names, the descriptors
 * @yearly @annually @monthly @weekly @daily @midnight @hourly and
 * @every <duration>, and an optional "TZ=zone " or "CRON_TZ=zone " prefix.
 * When both day fields are restricted a day matches either (as in cron);
 * when one starts with "*" both must match.
 *
 * Time zones are read from the system's zoneinfo (TZif files, their
 * transition table and the POSIX TZ rule in their footer for the years after
 * it), so no process-wide TZ setting is touched. */
#ifndef ZK_CTL_CRON_H
#define ZK_CTL_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* ---- calendar (UTC, proleptic Gregorian) ---- */

typedef struct zk_ctl_tm {
    int64_t year;
    int mon;               /* 1..12 */
    int mday;              /* 1..31 */
    int hour, min, sec;
    int wday;              /* 0 = Sunday */
} zk_ctl_tm;

/* Days since 1970-01-01 of a civil date (any month/day in range). */
int64_t zk_ctl_days_from_civil(int64_t y, int m, int d);
/* Broken-down time of t seconds since the epoch, in UTC. */
void zk_ctl_tm_utc(int64_t t, zk_ctl_tm *out);
int zk_ctl_days_in_month(int64_t y, int m);

/* ---- time zones ---- */

typedef struct zk_ctl_tz zk_ctl_tz;

/* The zone named name: "" and "UTC" are UTC, "Local" is this process's
 * zone (zk_ctl_tz_local), anything else is a file under
 * /usr/share/zoneinfo. ZK_ENOTFOUND when there is no such zone,
 * ZK_EPARSE when the file is not valid TZif. Free with zk_ctl_tz_free. */
int zk_ctl_tz_load(const char *name, zk_ctl_tz **out, zk_err *err);
/* This process's zone: $TZ (a zone name, a file, or a POSIX TZ string;
 * "" is UTC) or /etc/localtime; UTC when neither can be read. */
zk_ctl_tz *zk_ctl_tz_local(void);
/* A zone from the bytes of a TZif file (v1, v2 or v3). */
int zk_ctl_tz_from_tzif(const char *name, const uint8_t *data, size_t len, zk_ctl_tz **out,
                        zk_err *err);
/* A zone from a POSIX TZ string ("EST5EDT,M3.2.0,M11.1.0"). */
int zk_ctl_tz_from_posix(const char *spec, zk_ctl_tz **out, zk_err *err);
void zk_ctl_tz_free(zk_ctl_tz *tz);
const char *zk_ctl_tz_name(const zk_ctl_tz *tz);

/* The offset east of UTC in seconds in effect at t (tz NULL = UTC), and
 * whether it is daylight saving time. */
int32_t zk_ctl_tz_offset(const zk_ctl_tz *tz, int64_t t, bool *is_dst);
/* The local broken-down time at t. Returns the offset. */
int32_t zk_ctl_tz_localtime(const zk_ctl_tz *tz, int64_t t, zk_ctl_tm *out);
/* The first instant after t at which the offset may change, or INT64_MAX. */
int64_t zk_ctl_tz_next_transition(const zk_ctl_tz *tz, int64_t t);
/* t as RFC 3339 in the zone: "2024-03-10T03:00:00-04:00" (or "...Z" at
 * offset 0), as Go's time.Format(time.RFC3339) writes it. */
void zk_ctl_tz_rfc3339(const zk_ctl_tz *tz, int64_t t, char *out, size_t n);

/* ---- schedules ---- */

typedef struct zk_ctl_cron {
    uint64_t second;       /* bit i: second i matches (bit 0 only for 5 fields) */
    uint64_t minute;       /* bit i: minute i matches */
    uint32_t hour;
    uint32_t dom;          /* bits 1..31 */
    uint16_t month;        /* bits 1..12 */
    uint8_t dow;           /* bits 0..6 */
    bool dom_star, dow_star;
    int64_t every;         /* @every: seconds (>= 1); 0 for a field schedule */
    zk_ctl_tz *tz;         /* from a TZ= prefix, owned; NULL when none */
} zk_ctl_cron;

/* Parse spec. On error ZK_EPARSE (or ZK_ENOTFOUND for an unknown TZ= zone)
 * with a message like robfig/cron's. *out needs zk_ctl_cron_free. */
int zk_ctl_cron_parse(const char *spec, zk_ctl_cron *out, zk_err *err);
/* The same, also taking six fields whose first is the second (0-59), as
 * robfig/cron's WithSeconds parser and kubernetes-cronhpa-controller do:
 * "0 30 8 * * *" is 08:30:00, "*\/15 * * * * *" every 15 s. */
int zk_ctl_cron_parse_seconds(const char *spec, zk_ctl_cron *out, zk_err *err);
void zk_ctl_cron_free(zk_ctl_cron *c);

/* Does the schedule fire at t (a matching second in the zone)? Not for
 * @every. */
bool zk_ctl_cron_matches(const zk_ctl_cron *c, const zk_ctl_tz *tz, int64_t t);
/* The first time strictly after t that the schedule fires, evaluated in
 * the schedule's TZ= zone if it has one, else in tz (NULL = UTC). Local
 * times that a DST change skips do not happen; local times it repeats
 * happen twice (as with robfig/cron). -1 when nothing matches within five
 * years. */
int64_t zk_ctl_cron_next(const zk_ctl_cron *c, const zk_ctl_tz *tz, int64_t t);

#endif
