/* zke controllers: ScheduledScaling's schedules, pure (every function takes
 * the time), for the controller (scheduledscaling.c) and unit tests.
 *
 * A job fires on a cron schedule (five fields, or six with seconds first)
 * in its own IANA time zone. Dates are local dates of that zone:
 *   - `calendar: NAME` limits the job to the dates of a named calendar;
 *   - `excludeDates` (of the job, and of the whole object) never run.
 * Dates are written "2026-11-11", ranges "2026-11-10..2026-11-12", and a
 * calendar's name stands for all its dates. */
#ifndef ZK_CTL_SCHEDULED_H
#define ZK_CTL_SCHEDULED_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "controllers/cron.h"

typedef struct zk_ss_days {
    struct {
        int64_t from, to;     /* days since 1970-01-01, inclusive */
    } *r;
    size_t n;
} zk_ss_days;

typedef struct zk_ss_job {
    char name[64];
    zk_ctl_cron cron;
    zk_ctl_tz *tz;            /* owned; NULL = UTC */
    char tz_name[64];
    bool has_only;            /* limited to `only` (a calendar) */
    zk_ss_days only, exclude;
    int32_t target, min, max; /* -1 when not given */
    bool run_once;
    int64_t deadline_s;       /* startingDeadlineSeconds; -1: until the next run */
} zk_ss_job;

/* Parse "2026-11-11" or "A..B" or a calendar name of calendars (an object
 * of name -> [dates]) into d, appending. */
int zk_ss_days_add(zk_ss_days *d, const char *s, const json_t *calendars, zk_err *err);
bool zk_ss_days_has(const zk_ss_days *d, int64_t day);
void zk_ss_days_free(zk_ss_days *d);

/* Parse spec.jobs[i] of spec (for its calendars, excludeDates and
 * timeZone, the defaults of every job). Errors name the field:
 * "jobs[0].schedule: expected 5 or 6 fields, found 4: ...". */
int zk_ss_job_parse(const json_t *spec, size_t i, zk_ss_job *out, zk_err *err);
void zk_ss_job_free(zk_ss_job *j);

/* The first run strictly after t (seconds), skipping excluded dates and
 * dates outside the calendar; -1 when none within five years. */
int64_t zk_ss_next(const zk_ss_job *j, int64_t t);
/* The latest run in (after, now], or -1 (bounded: looks at most a week
 * back from now). */
int64_t zk_ss_last_due(const zk_ss_job *j, int64_t after, int64_t now);
/* The local date of t in the job's zone, as days since the epoch. */
int64_t zk_ss_local_day(const zk_ss_job *j, int64_t t);

#endif
