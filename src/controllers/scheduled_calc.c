/* zke controllers: ScheduledScaling's schedules (scheduled.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "controllers/scheduled.h"

#define DAYS_MAX 4096        /* date ranges of one job */
#define LOOKBACK_S (7 * 86400)

/* "YYYY-MM-DD" exactly, a real date */
static int parse_date(const char *s, size_t len, int64_t *day)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (m < 1 || m > 12 || d < 1 || d > zk_ctl_days_in_month(y, m))
        return -1;
    *day = zk_ctl_days_from_civil(y, m, d);
    return 0;
}

static int push(zk_ss_days *d, int64_t from, int64_t to, zk_err *err)
{
    if (d->n >= DAYS_MAX)
        return zk_err_set(err, ZK_EINVAL, "more than %d dates and ranges", DAYS_MAX);
    d->r = zk_xrealloc(d->r, (d->n + 1) * sizeof(*d->r));
    d->r[d->n].from = from;
    d->r[d->n].to = to;
    d->n++;
    return 0;
}

static int add(zk_ss_days *d, const char *s, const json_t *calendars, int depth, zk_err *err)
{
    const char *dots = strstr(s, "..");
    int64_t a, b;
    if (dots) {
        if (parse_date(s, (size_t)(dots - s), &a) < 0 || parse_date(dots + 2, strlen(dots + 2), &b) < 0)
            return zk_err_set(err, ZK_EINVAL, "\"%s\" is not a date range (2026-11-10..2026-11-12)",
                              s);
        if (b < a)
            return zk_err_set(err, ZK_EINVAL, "\"%s\" ends before it starts", s);
        return push(d, a, b, err);
    }
    if (parse_date(s, strlen(s), &a) == 0)
        return push(d, a, a, err);
    const json_t *cal = json_object_get(calendars, s);
    if (!cal || depth > 0)
        return zk_err_set(err, ZK_EINVAL,
                          "\"%s\" is neither a date (2026-11-11), a range (2026-11-10..2026-11-12) "
                          "nor the name of a calendar", s);
    if (!json_is_array(cal))
        return zk_err_set(err, ZK_EINVAL, "calendar \"%s\" is not a list of dates", s);
    size_t i;
    json_t *v;
    json_array_foreach(cal, i, v) {
        if (!json_is_string(v))
            return zk_err_set(err, ZK_EINVAL, "calendar \"%s\"[%zu] is not a string", s, i);
        /* a calendar holds dates and ranges, not other calendars */
        if (add(d, json_string_value(v), NULL, depth + 1, err) < 0)
            return zk_err_wrap(err, "calendar \"%s\"[%zu]", s, i);
    }
    return 0;
}

int zk_ss_days_add(zk_ss_days *d, const char *s, const json_t *calendars, zk_err *err)
{
    return add(d, s, calendars, 0, err);
}

bool zk_ss_days_has(const zk_ss_days *d, int64_t day)
{
    for (size_t i = 0; i < d->n; i++)
        if (day >= d->r[i].from && day <= d->r[i].to)
            return true;
    return false;
}

void zk_ss_days_free(zk_ss_days *d)
{
    free(d->r);
    d->r = NULL;
    d->n = 0;
}

void zk_ss_job_free(zk_ss_job *j)
{
    zk_ctl_cron_free(&j->cron);
    zk_ctl_tz_free(j->tz);
    j->tz = NULL;
    zk_ss_days_free(&j->only);
    zk_ss_days_free(&j->exclude);
}

static int dates(zk_ss_days *d, const json_t *list, const json_t *calendars, const char *field,
                 zk_err *err)
{
    if (list && !json_is_array(list))
        return zk_err_set(err, ZK_EINVAL, "%s: must be a list of dates", field);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_string(v))
            return zk_err_set(err, ZK_EINVAL, "%s[%zu]: must be a string", field, i);
        if (zk_ss_days_add(d, json_string_value(v), calendars, err) < 0)
            return zk_err_wrap(err, "%s[%zu]", field, i);
    }
    return 0;
}

static int replicas(const json_t *job, const char *key, size_t i, int32_t *out, zk_err *err)
{
    json_t *v = json_object_get(job, key);
    *out = -1;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
        return zk_err_set(err, ZK_EINVAL, "jobs[%zu].%s: must be a whole number from 0 to 1000000",
                          i, key);
    *out = (int32_t)json_integer_value(v);
    return 0;
}

int zk_ss_job_parse(const json_t *spec, size_t i, zk_ss_job *out, zk_err *err)
{
    memset(out, 0, sizeof(*out));
    const json_t *job = json_array_get(json_object_get(spec, "jobs"), i);
    const json_t *calendars = json_object_get(spec, "calendars");
    if (calendars && !json_is_object(calendars))
        return zk_err_set(err, ZK_EINVAL, "calendars: must map names to lists of dates");
    if (!json_is_object(job))
        return zk_err_set(err, ZK_EINVAL, "jobs[%zu]: must be an object", i);
    const char *name = zk_json_str(job, "name");
    if (!name || !name[0] || strlen(name) >= sizeof(out->name))
        return zk_err_set(err, ZK_EINVAL, "jobs[%zu].name: required, at most %zu characters", i,
                          sizeof(out->name) - 1);
    snprintf(out->name, sizeof(out->name), "%s", name);
    const char *zone = zk_json_str(job, "timeZone") ?: zk_json_str(spec, "timeZone") ?: "UTC";
    snprintf(out->tz_name, sizeof(out->tz_name), "%s", zone);
    int rc;
    if (strcmp(zone, "UTC") && strcmp(zone, "Etc/UTC") &&
        (rc = zk_ctl_tz_load(zone, &out->tz, err)) < 0) {
        zk_err_wrap(err, "jobs[%zu].timeZone: unknown time zone \"%s\"", i, zone);
        goto fail;
    }
    const char *sched = zk_json_str(job, "schedule");
    if (!sched) {
        zk_err_set(err, ZK_EINVAL, "jobs[%zu].schedule: required", i);
        goto fail;
    }
    if (zk_ctl_cron_parse_seconds(sched, &out->cron, err) < 0) {
        zk_err_wrap(err, "jobs[%zu].schedule", i);
        goto fail;
    }
    char field[64];
    snprintf(field, sizeof(field), "jobs[%zu].excludeDates", i);
    if (dates(&out->exclude, json_object_get(job, "excludeDates"), calendars, field, err) < 0 ||
        dates(&out->exclude, json_object_get(spec, "excludeDates"), calendars, "excludeDates",
              err) < 0)
        goto fail;
    const char *cal = zk_json_str(job, "calendar");
    if (cal) {
        out->has_only = true;
        if (!json_object_get(calendars, cal)) {
            zk_err_set(err, ZK_EINVAL, "jobs[%zu].calendar: no calendar \"%s\" in calendars", i,
                       cal);
            goto fail;
        }
        if (zk_ss_days_add(&out->only, cal, calendars, err) < 0) {
            zk_err_wrap(err, "jobs[%zu].calendar", i);
            goto fail;
        }
    }
    if (replicas(job, "targetReplicas", i, &out->target, err) < 0 ||
        replicas(job, "minReplicas", i, &out->min, err) < 0 ||
        replicas(job, "maxReplicas", i, &out->max, err) < 0)
        goto fail;
    if (out->target < 0 && out->min < 0 && out->max < 0) {
        zk_err_set(err, ZK_EINVAL,
                   "jobs[%zu]: give targetReplicas, or minReplicas and/or maxReplicas", i);
        goto fail;
    }
    if (out->min >= 0 && out->max >= 0 && out->min > out->max) {
        zk_err_set(err, ZK_EINVAL, "jobs[%zu]: minReplicas %d is above maxReplicas %d", i,
                   out->min, out->max);
        goto fail;
    }
    out->run_once = zk_json_bool(job, "runOnce", false);
    json_t *dl = json_object_get(job, "startingDeadlineSeconds");
    out->deadline_s = json_is_integer(dl) && json_integer_value(dl) >= 0 ? json_integer_value(dl)
                                                                        : -1;
    return 0;
fail:
    zk_ss_job_free(out);
    return -(err ? err->code : ZK_EINVAL);
}

int64_t zk_ss_local_day(const zk_ss_job *j, int64_t t)
{
    int32_t off = zk_ctl_tz_offset(j->tz, t, NULL);
    int64_t l = t + off;
    return l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
}

static bool day_allowed(const zk_ss_job *j, int64_t day)
{
    if (j->has_only && !zk_ss_days_has(&j->only, day))
        return false;
    return !zk_ss_days_has(&j->exclude, day);
}

/* The instant local midnight starts `day` in the job's zone (an hour
 * early if a clock change skips that midnight). */
static int64_t local_midnight(const zk_ss_job *j, int64_t day)
{
    int64_t l = day * 86400;
    int64_t u = l - zk_ctl_tz_offset(j->tz, l, NULL);
    u = l - zk_ctl_tz_offset(j->tz, u, NULL);
    if (zk_ss_local_day(j, u) != day)
        u -= 3600;
    return u;
}

int64_t zk_ss_next(const zk_ss_job *j, int64_t t)
{
    for (int i = 0; i < 10000; i++) {
        int64_t n = zk_ctl_cron_next(&j->cron, j->tz, t);
        if (n < 0)
            return -1;
        int64_t day = zk_ss_local_day(j, n);
        if (day_allowed(j, day))
            return n;
        /* jump to the next day that may run (within five years) */
        int64_t d = day + 1;
        while (d < day + 5 * 366 && !day_allowed(j, d))
            d++;
        if (d >= day + 5 * 366)
            return -1;
        int64_t m = local_midnight(j, d) - 1;
        t = m > n ? m : n;
    }
    return -1;
}

int64_t zk_ss_last_due(const zk_ss_job *j, int64_t after, int64_t now)
{
    if (after < now - LOOKBACK_S)
        after = now - LOOKBACK_S;
    int64_t last = -1;
    for (int i = 0; i < 1000000; i++) {
        int64_t n = zk_ss_next(j, after);
        if (n < 0 || n > now)
            break;
        last = n;
        after = n;
    }
    return last;
}
