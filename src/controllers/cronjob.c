/* zke controllers: CronJob.
 *
 * At each time its schedule fires (in spec.timeZone, or in this process's
 * zone when unset, as kube-controller-manager does) a CronJob creates a Job
 * from its jobTemplate named "<cronjob>-<minutes since the epoch>", so a run
 * is never created twice. Only the most recent missed run is started, and
 * not if it is older than startingDeadlineSeconds. concurrencyPolicy Forbid
 * skips a run while another is active, Replace deletes the active ones
 * first. Finished Jobs past successfulJobsHistoryLimit and
 * failedJobsHistoryLimit are deleted, oldest first. Status: active (the
 * unfinished Jobs this controller started), lastScheduleTime (set once the
 * run's Job is seen), lastSuccessfulTime (the latest completion of any Job
 * of the CronJob, including ones made by `kubectl create job --from`). The
 * key comes back just after the next firing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/cron.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "controllers/workload.h"

#define SCHEDULED_ANN "batch.kubernetes.io/cronjob-scheduled-timestamp"
#define MAX_SCAN 100000
#define TOO_MANY_MISSED 100

/* ---- pure parts ---- */

int64_t zk_ctl_cron_most_recent(const zk_ctl_cron *c, const zk_ctl_tz *tz, int64_t earliest,
                                int64_t now, int64_t *missed)
{
    *missed = 0;
    int64_t t1 = zk_ctl_cron_next(c, tz, earliest);
    if (t1 < 0 || now < t1)
        return -1;
    int64_t t2 = zk_ctl_cron_next(c, tz, t1);
    if (t2 < 0 || now < t2) {
        *missed = 1;
        return t1;
    }
    int64_t gap = t2 - t1;
    if (gap < 1)
        return -2;
    /* Like Kubernetes: estimate how many runs were missed from the first
     * interval, start looking two intervals before the estimate's last one
     * and take the latest firing up to now. Bounded for any schedule. */
    int64_t n = (now - t1) / gap + 1;
    *missed = n;
    int64_t most = -1;
    int64_t t = zk_ctl_cron_next(c, tz, t1 + (n - 2) * gap);
    for (int i = 0; t >= 0 && t <= now && i < MAX_SCAN; i++) {
        most = t;
        t = zk_ctl_cron_next(c, tz, t);
    }
    return most;
}

void zk_ctl_cronjob_job_name(const char *cronjob, int64_t scheduled, char *out, size_t n)
{
    int64_t minutes = scheduled >= 0 ? scheduled / 60 : -((-scheduled + 59) / 60);
    snprintf(out, n, "%s-%" PRId64, cronjob, minutes);
}

zk_ctl_cj_action zk_ctl_cronjob_decide(int64_t sched, int64_t now, int64_t deadline_s,
                                       bool started, size_t nactive, const char *policy)
{
    if (sched < 0)
        return ZK_CJ_WAIT;
    if (deadline_s >= 0 && sched + deadline_s < now)
        return ZK_CJ_TOO_LATE;
    if (started)
        return ZK_CJ_STARTED;
    if (nactive > 0 && policy && !strcmp(policy, "Forbid"))
        return ZK_CJ_FORBIDDEN;
    if (nactive > 0 && policy && !strcmp(policy, "Replace"))
        return ZK_CJ_REPLACE;
    return ZK_CJ_START;
}

/* ---- state ---- */

typedef struct cj_state {
    zk_ctl *c;
    zk_kube_informer *cronjobs, *jobs;
    zk_ctl_tz *local;
    zk_map *zones;         /* name -> zk_ctl_tz*, loaded once */
} cj_state;

static void cj_add(void *ctx, json_t *o) { zk_ctl_enqueue_obj(((cj_state *)ctx)->c, o); }
static void cj_upd(void *ctx, json_t *a, json_t *o) { zk_ctl_enqueue_obj(((cj_state *)ctx)->c, o); }
static void job_ev(void *ctx, json_t *o) { zk_ctl_enqueue_owner(((cj_state *)ctx)->c, o, "CronJob"); }
static void job_upd(void *ctx, json_t *a, json_t *o) { job_ev(ctx, o); }

static const zk_ctl_tz *zone(cj_state *st, const char *name, zk_err *err)
{
    zk_ctl_tz *tz = zk_map_get(st->zones, name);
    if (tz)
        return tz;
    if (zk_ctl_tz_load(name, &tz, err) < 0)
        return NULL;
    if (zk_map_count(st->zones) >= 1024) {
        /* bounded: names come from users */
        size_t pos = 0;
        void *v;
        while (zk_map_next(st->zones, &pos, NULL, &v))
            zk_ctl_tz_free(v);
        zk_map_free(st->zones);
        st->zones = zk_map_new();
    }
    zk_map_put(st->zones, name, tz);
    return tz;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t rfc_time(const json_t *v)
{
    return json_is_string(v) ? zk_time_parse_rfc3339(json_string_value(v)) : -1;
}

/* Complete or Failed (True), or NULL while the Job runs. */
static const char *job_finished(const json_t *job)
{
    static const char *const types[] = {"Complete", "Failed"};
    for (size_t i = 0; i < 2; i++) {
        json_t *c = zk_ctl_get_condition(json_object_get(job, "status"), types[i]);
        const char *s = c ? zk_json_str(c, "status") : NULL;
        if (s && !strcmp(s, "True"))
            return types[i];
    }
    return NULL;
}

static json_t *active_ref(const json_t *refs, const char *uid)
{
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        const char *u = zk_json_str(r, "uid");
        if (u && !strcmp(u, uid))
            return r;
    }
    return NULL;
}

static int by_start_time(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int64_t ta = rfc_time(zk_json_path(a, "status", "startTime", NULL));
    int64_t tb = rfc_time(zk_json_path(b, "status", "startTime", NULL));
    /* without a start time last */
    if ((ta < 0) != (tb < 0))
        return ta < 0 ? 1 : -1;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    return strcmp(zk_kube_name(a), zk_kube_name(b));
}

static int by_creation(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int64_t ta = rfc_time(zk_json_path(a, "metadata", "creationTimestamp", NULL));
    int64_t tb = rfc_time(zk_json_path(b, "metadata", "creationTimestamp", NULL));
    if (ta != tb)
        return ta < tb ? -1 : 1;
    return strcmp(zk_kube_name(a), zk_kube_name(b));
}

/* Delete the oldest of jobs beyond limit. */
static void prune(zk_ctl *c, const json_t *cj, zk_ctl_batch *b, json_t **jobs, size_t n,
                  const json_t *limit)
{
    if (!json_is_integer(limit) || (int64_t)n <= json_integer_value(limit))
        return;
    qsort(jobs, n, sizeof(*jobs), by_start_time);
    size_t drop = n - (size_t)json_integer_value(limit);
    for (size_t i = 0; i < drop; i++) {
        zk_ctl_batch_delete(b, &zk_kube_jobs, zk_kube_namespace(jobs[i]), zk_kube_name(jobs[i]),
                            zk_kube_uid(jobs[i]), "Background");
        zk_ctl_event(c, cj, "Normal", "SuccessfulDelete", "Deleted job %s", zk_kube_name(jobs[i]));
    }
}

static json_t *job_ref(const json_t *job)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "apiVersion", "batch/v1", "kind", "Job", "name",
                     zk_kube_name(job), "namespace", zk_kube_namespace(job), "resourceVersion",
                     zk_json_path_str(job, "metadata", "resourceVersion", NULL)
                         ? zk_json_path_str(job, "metadata", "resourceVersion", NULL)
                         : "",
                     "uid", zk_kube_uid(job));
}

static json_t *job_from_template(const json_t *cj, const char *name, int64_t sched,
                                 const zk_ctl_tz *ann_tz)
{
    json_t *tmpl = zk_json_path(cj, "spec", "jobTemplate", NULL);
    json_t *labels = json_deep_copy(zk_json_path(tmpl, "metadata", "labels", NULL));
    json_t *ann = json_deep_copy(zk_json_path(tmpl, "metadata", "annotations", NULL));
    if (!json_is_object(labels)) {
        json_decref(labels);
        labels = json_object();
    }
    if (!json_is_object(ann)) {
        json_decref(ann);
        ann = json_object();
    }
    char when[64];
    zk_ctl_tz_rfc3339(ann_tz, sched, when, sizeof(when));
    zk_json_set_str(ann, SCHEDULED_ANN, when);
    json_t *spec = json_deep_copy(json_object_get(tmpl, "spec"));
    if (!json_is_object(spec)) {
        json_decref(spec);
        spec = json_object();
    }
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:o,s:[o]},s:o}", "apiVersion", "batch/v1", "kind",
                     "Job", "metadata", "name", name, "namespace", zk_kube_namespace(cj), "labels",
                     labels, "annotations", ann, "ownerReferences", zk_ctl_owner_ref(cj), "spec",
                     spec);
}

/* RFC 1123 with a numeric zone, in UTC, as Kubernetes' MissSchedule says. */
static void rfc1123z(int64_t t, char *out, size_t n)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    zk_ctl_tm tm;
    zk_ctl_tm_utc(t, &tm);
    snprintf(out, n, "%s, %02d %s %04lld %02d:%02d:%02d +0000", days[tm.wday], tm.mday,
             months[tm.mon - 1], (long long)tm.year, tm.hour, tm.min, tm.sec);
}

static void write_status(zk_ctl_batch *b, const json_t *cj, json_t *status)
{
    json_t *old = json_object_get(cj, "status");
    if (json_equal(status, old) || (!old && !json_object_size(status))) {
        json_decref(status);
        return;
    }
    json_t *upd = json_deep_copy(cj);
    json_object_set_new(upd, "status", status);
    zk_ctl_batch_update(b, &zk_kube_cronjobs, upd, "status");
    json_decref(upd);
}

static void cj_sync(zk_ctl *c, void *state, const char *key)
{
    cj_state *st = state;
    json_t *cj = zk_kube_informer_get_key(st->cronjobs, key);
    if (!cj) {
        zk_ctl_done(c, key, false);
        return;
    }
    const char *ns = zk_kube_namespace(cj), *name = zk_kube_name(cj);
    json_t *spec = json_object_get(cj, "spec");
    json_t *old = json_object_get(cj, "status");
    json_t *status = json_is_object(old) ? json_deep_copy(old) : json_object();
    json_t *old_active = json_object_get(status, "active");
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);

    /* the Jobs of this CronJob, by state */
    json_t **owned = NULL;
    size_t n = zk_kube_informer_by_index(st->jobs, "owner", zk_kube_uid(cj), &owned);
    if (n > 1)
        qsort(owned, n, sizeof(*owned), by_creation);
    json_t **ok = zk_xmalloc((n + 1) * sizeof(*ok)), **bad = zk_xmalloc((n + 1) * sizeof(*bad));
    size_t nok = 0, nbad = 0;
    json_t *active = json_array();
    int64_t last_ok = rfc_time(json_object_get(status, "lastSuccessfulTime"));
    json_t *last_ok_v = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *j = owned[i];
        if (zk_json_path(j, "metadata", "deletionTimestamp", NULL))
            continue;
        const char *fin = job_finished(j);
        json_t *ref = active_ref(old_active, zk_kube_uid(j));
        if (!fin) {
            /* a run this controller started (Jobs made by hand are not
             * active runs, as in Kubernetes) */
            if (ref)
                json_array_append(active, ref);
            else if (zk_json_path_str(j, "metadata", "annotations", SCHEDULED_ANN, NULL))
                json_array_append_new(active, job_ref(j));
            continue;
        }
        if (ref)
            zk_ctl_event(c, cj, "Normal", "SawCompletedJob", "Saw completed job: %s, condition: %s",
                         zk_kube_name(j), fin);
        if (!strcmp(fin, "Complete")) {
            ok[nok++] = j;
            json_t *ct = zk_json_path(j, "status", "completionTime", NULL);
            int64_t t = rfc_time(ct);
            if (t > last_ok) {
                last_ok = t;
                last_ok_v = ct;
            }
        } else {
            bad[nbad++] = j;
        }
    }
    size_t i;
    json_t *r;
    json_array_foreach(old_active, i, r) {
        const char *u = zk_json_str(r, "uid");
        bool found = false;
        for (size_t k = 0; u && k < n && !found; k++)
            found = !strcmp(zk_kube_uid(owned[k]), u);
        if (u && !found)
            zk_ctl_event(c, cj, "Normal", "MissingJob", "Active job went missing: %s",
                         zk_json_str(r, "name") ? zk_json_str(r, "name") : "");
    }
    free(owned);
    if (last_ok_v)
        json_object_set(status, "lastSuccessfulTime", last_ok_v);
    if (json_array_size(active))
        json_object_set(status, "active", active);
    else
        json_object_del(status, "active");

    if (zk_json_path(cj, "metadata", "deletionTimestamp", NULL))
        goto out;
    prune(c, cj, b, ok, nok, json_object_get(spec, "successfulJobsHistoryLimit"));
    prune(c, cj, b, bad, nbad, json_object_get(spec, "failedJobsHistoryLimit"));

    zk_err err = {0};
    const zk_ctl_tz *tz = st->local, *ann_tz = NULL;
    const char *tzname = zk_json_str(spec, "timeZone");
    if (tzname) {
        if (!(tz = zone(st, tzname, &err))) {
            zk_ctl_event(c, cj, "Warning", "UnknownTimeZone", "invalid timeZone: \"%s\": %s",
                         tzname, err.msg);
            goto out;
        }
        ann_tz = tz;
    }
    if (json_is_true(json_object_get(spec, "suspend")))
        goto out;
    const char *schedule = zk_json_str(spec, "schedule");
    zk_ctl_cron sched;
    if (zk_ctl_cron_parse(schedule, &sched, &err) < 0) {
        zk_ctl_event(c, cj, "Warning", "UnparseableSchedule", "unparseable schedule: \"%s\" : %s",
                     schedule ? schedule : "", err.msg);
        goto out;
    }
    if (sched.tz)
        zk_ctl_event(c, cj, "Warning", "UnsupportedSchedule",
                     "CRON_TZ or TZ used in schedule \"%s\" is not officially supported, see "
                     "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for "
                     "more details", schedule);

    int64_t nms = now_ms(), now = nms / 1000;
    int64_t last = rfc_time(json_object_get(status, "lastScheduleTime"));
    int64_t earliest = last >= 0 ? last
                                 : rfc_time(zk_json_path(cj, "metadata", "creationTimestamp", NULL));
    json_t *sds = json_object_get(spec, "startingDeadlineSeconds");
    int64_t deadline = json_is_integer(sds) ? json_integer_value(sds) : -1;
    if (deadline >= 0 && now - deadline > earliest)
        earliest = now - deadline;
    int64_t missed = 0;
    int64_t due = zk_ctl_cron_most_recent(&sched, tz, earliest, now, &missed);
    if (due == -2) {
        zk_ctl_event(c, cj, "Warning", "InvalidSchedule",
                     "invalid schedule: %s : time difference between two schedules is less than 1 "
                     "second", schedule);
        zk_ctl_cron_free(&sched);
        goto out;
    }
    if (missed > TOO_MANY_MISSED)
        zk_ctl_event(c, cj, "Warning", "TooManyMissedTimes",
                     "too many missed start times: %" PRId64 ". Set or decrease "
                     ".spec.startingDeadlineSeconds or check clock skew", missed);

    char jobname[320];
    json_t *existing = NULL;
    if (due >= 0) {
        zk_ctl_cronjob_job_name(name, due, jobname, sizeof(jobname));
        existing = zk_kube_informer_get(st->jobs, ns, jobname);
    }
    bool started = existing || (due >= 0 && last == due);
    const char *policy = zk_json_str(spec, "concurrencyPolicy");
    switch (zk_ctl_cronjob_decide(due, now, deadline, started, json_array_size(active), policy)) {
    case ZK_CJ_WAIT:
        break;
    case ZK_CJ_TOO_LATE: {
        char when[64];
        rfc1123z(due, when, sizeof(when));
        zk_ctl_event(c, cj, "Warning", "MissSchedule", "Missed scheduled time to start a job: %s",
                     when);
        break;
    }
    case ZK_CJ_STARTED:
        /* our run's Job is there: now it counts as scheduled */
        if (existing && due > last) {
            json_t *ref = zk_kube_controller_ref(existing);
            const char *u = ref ? zk_json_str(ref, "uid") : NULL;
            if (u && !strcmp(u, zk_kube_uid(cj))) {
                char t[64];
                zk_time_rfc3339(due, t, sizeof(t));
                zk_json_set_str(status, "lastScheduleTime", t);
            }
        }
        break;
    case ZK_CJ_FORBIDDEN:
        zk_ctl_event(c, cj, "Normal", "JobAlreadyActive",
                     "Not starting job because prior execution is running and concurrency policy "
                     "is Forbid");
        break;
    case ZK_CJ_REPLACE:
        json_array_foreach(active, i, r) {
            zk_ctl_batch_delete(b, &zk_kube_jobs, ns, zk_json_str(r, "name"),
                                zk_json_str(r, "uid"), "Background");
            zk_ctl_event(c, cj, "Normal", "SuccessfulDelete", "Deleted job %s",
                         zk_json_str(r, "name"));
        }
        json_object_del(status, "active");
        /* fall through */
    case ZK_CJ_START: {
        json_t *job = job_from_template(cj, jobname, due, ann_tz);
        zk_ctl_batch_create(b, &zk_kube_jobs, ns, job);
        json_decref(job);
        zk_ctl_event(c, cj, "Normal", "SuccessfulCreate", "Created job %s", jobname);
        break;
    }
    }
    /* come back just after the next firing */
    int64_t next = zk_ctl_cron_next(&sched, tz, due > now ? due : now);
    if (next >= 0) {
        int64_t wait = next * 1000 - nms + 100;
        zk_ctl_batch_requeue_after(b, wait > 0 ? (uint64_t)wait : 100);
    }
    zk_ctl_cron_free(&sched);
out:
    json_decref(active);
    free(ok);
    free(bad);
    write_status(b, cj, status);
    zk_ctl_batch_end(b);
}

static void *cj_init(zk_ctl *c)
{
    cj_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->local = zk_ctl_tz_local();
    st->zones = zk_map_new();
    st->cronjobs = zk_ctl_informer(c, &zk_kube_cronjobs);
    st->jobs = zk_ctl_informer(c, &zk_kube_jobs);
    zk_kube_handler hc = {.add = cj_add, .update = cj_upd, .ctx = st};
    zk_kube_informer_on(st->cronjobs, &hc);
    zk_kube_handler hj = {.add = job_ev, .update = job_upd, .del = job_ev, .ctx = st};
    zk_kube_informer_on(st->jobs, &hj);
    return st;
}

static void cj_free(void *state)
{
    cj_state *st = state;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->zones, &pos, NULL, &v))
        zk_ctl_tz_free(v);
    zk_map_free(st->zones);
    zk_ctl_tz_free(st->local);
    free(st);
}

const zk_ctl_def zk_ctl_cronjob = {
    .name = "cronjob", .workers = 4, .init = cj_init, .sync = cj_sync, .free = cj_free};
