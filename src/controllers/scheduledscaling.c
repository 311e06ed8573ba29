/* zke controllers: ScheduledScaling (zke.io/v1alpha1) — scaling ahead of
 * known peaks, on cron schedules in each job's own time zone.
 *
 * A sync looks at every job: the latest run due since the job last ran
 * (status.jobs[].lastScheduleTime; the object's creation for a new one),
 * and the next. Runs that came due while the controller was down are made
 * up on start, unless older than the job's startingDeadlineSeconds. The
 * due runs are folded in time order into one change:
 *   - a workload (anything with a scale subresource) no HPA scales: its
 *     replicas become targetReplicas, at least minReplicas, at most
 *     maxReplicas;
 *   - an HPA, or a workload an HPA scales: the HPA's minReplicas and
 *     maxReplicas move (targetReplicas sets minReplicas, and raises
 *     maxReplicas to it when needed), so the HPA goes on working inside
 *     the new bounds instead of being fought. maxReplicas is never put
 *     below what the HPA wants now (status.desiredReplicas): a scheduled
 *     scale-down does not cut below the load.
 * The key is requeued for the earliest next run, to the millisecond. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "controllers/scheduled.h"

const zk_kube_resource zk_kube_scheduledscalings = {"zke.io", "v1alpha1", "scheduledscalings",
                                                    "ScheduledScaling", true};

typedef struct ss_st {
    zk_kube_informer *sss, *hpas;
    zk_ctl_kinds *kinds;
} ss_st;

typedef struct due {
    size_t job;
    int64_t at;
} due;

typedef struct ss_run {
    ss_st *st;
    zk_ctl *c;
    zk_ctl_batch *b;
    json_t *obj;            /* our copy; status rewritten */
    json_t *orig_status;
    zk_ss_job *jobs;
    size_t njobs;
    due *dues;
    size_t ndues;
    int64_t now;
    char *scale_path;
    json_t *scale;
    int32_t from, to;       /* replicas (workload) */
    char what[300];         /* what was done, for status and events */
} ss_run;

static void run_free(ss_run *r)
{
    for (size_t i = 0; i < r->njobs; i++)
        zk_ss_job_free(&r->jobs[i]);
    free(r->jobs);
    free(r->dues);
    free(r->scale_path);
    json_decref(r->scale);
    json_decref(r->obj);
    json_decref(r->orig_status);
    free(r);
}

static int by_time(const void *a, const void *b)
{
    const due *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

static json_t *job_status(json_t *status, const char *name)
{
    json_t *jobs = zk_json_child_arr(status, "jobs");
    size_t i;
    json_t *j;
    json_array_foreach(jobs, i, j) if (!strcmp(zk_json_str(j, "name") ?: "", name)) return j;
    j = json_pack("{s:s}", "name", name);
    json_array_append_new(jobs, j);
    return j;
}

static void set_time(json_t *o, const char *key, int64_t t)
{
    char buf[40];
    zk_time_rfc3339(t, buf, sizeof(buf));
    json_object_set_new(o, key, json_string(buf));
}

/* Next runs into status, the status written, the key requeued. */
static void finish(ss_run *r)
{
    json_t *status = zk_json_child_obj(r->obj, "status");
    int64_t earliest = -1;
    const char *earliest_job = NULL;
    /* drop entries of jobs no longer in the spec */
    json_t *jobs = zk_json_child_arr(status, "jobs");
    for (size_t i = json_array_size(jobs); i-- > 0;) {
        const char *n = zk_json_str(json_array_get(jobs, i), "name") ?: "";
        bool keep = false;
        for (size_t k = 0; k < r->njobs; k++)
            keep |= !strcmp(r->jobs[k].name, n);
        if (!keep)
            json_array_remove(jobs, i);
    }
    for (size_t i = 0; i < r->njobs; i++) {
        zk_ss_job *j = &r->jobs[i];
        json_t *js = job_status(status, j->name);
        bool done = j->run_once && zk_json_str(js, "lastRunTime") &&
                    !strcmp(zk_json_str(js, "lastResult") ?: "", "Succeeded");
        int64_t next = done ? -1 : zk_ss_next(j, r->now);
        if (next < 0) {
            json_object_del(js, "nextRunTime");
            continue;
        }
        set_time(js, "nextRunTime", next);
        if (earliest < 0 || next < earliest) {
            earliest = next;
            earliest_job = j->name;
        }
    }
    if (earliest >= 0) {
        set_time(status, "nextRunTime", earliest);
        json_object_set_new(status, "nextJob", json_string(earliest_job));
        int64_t ms = earliest * 1000 - zk_wall_ms();
        zk_ctl_batch_requeue_after(r->b, ms > 0 ? (uint64_t)ms + 2 : 1);
    } else {
        json_object_del(status, "nextRunTime");
        json_object_del(status, "nextJob");
    }
    json_t *gen = zk_json_path(r->obj, "metadata", "generation", NULL);
    if (gen)
        json_object_set(status, "observedGeneration", gen);
    if (!json_equal(status, r->orig_status))
        zk_ctl_batch_update(r->b, &zk_kube_scheduledscalings, r->obj, "status");
    zk_ctl_batch_end(r->b);
    run_free(r);
}

/* Record the due runs' outcome. */
static void record(ss_run *r, bool ok, const char *message)
{
    json_t *status = zk_json_child_obj(r->obj, "status");
    for (size_t i = 0; i < r->ndues; i++) {
        zk_ss_job *j = &r->jobs[r->dues[i].job];
        json_t *js = job_status(status, j->name);
        /* a failed run stays due: the key comes back with backoff and it is
         * tried again, until it works or a later run (or its deadline)
         * takes over */
        if (ok)
            set_time(js, "lastScheduleTime", r->dues[i].at);
        set_time(js, "lastRunTime", r->now);
        json_object_set_new(js, "lastResult", json_string(ok ? "Succeeded" : "Failed"));
        json_object_set_new(js, "message", json_string(message));
        char local[64];
        zk_ctl_tz_rfc3339(j->tz, r->dues[i].at, local, sizeof(local));
        if (ok)
            zk_ctl_event(r->c, r->obj, "Normal", "Scaled", "job %s (%s %s): %s", j->name, local,
                         j->tz_name, message);
        else
            zk_ctl_event(r->c, r->obj, "Warning", "FailedScale", "job %s (%s %s): %s", j->name,
                         local, j->tz_name, message);
    }
    if (r->ndues) {
        json_object_set_new(status, "lastJob",
                            json_string(r->jobs[r->dues[r->ndues - 1].job].name));
        zk_ctl_set_condition(status, "Ready", ok ? "True" : "False",
                             ok ? "Scheduled" : "FailedScale", ok ? "the schedule is running" : message,
                             false);
    }
    if (!ok)
        zk_ctl_batch_fail(r->b);
}

/* ---- an HPA's bounds ---- */

/* The HPA patch or the scale PUT answered: the runs' outcome. */
static void on_written(void *ctx, const zk_kube_result *res)
{
    ss_run *r = ctx;
    if (res->status >= 200 && res->status < 300) {
        record(r, true, r->what);
    } else {
        char msg[600];
        snprintf(msg, sizeof(msg), "%s: %s", r->what, res->error ? res->error : "failed");
        record(r, false, msg);
    }
    finish(r);
}

static void scale_hpa(ss_run *r, const json_t *hpa)
{
    const json_t *spec = json_object_get(hpa, "spec");
    int32_t min0 = (int32_t)zk_json_int(spec, "minReplicas", 1);
    int32_t max0 = (int32_t)zk_json_int(spec, "maxReplicas", 1);
    int32_t min = min0, max = max0;
    for (size_t i = 0; i < r->ndues; i++) {
        zk_ss_job *j = &r->jobs[r->dues[i].job];
        if (j->target >= 0) {
            min = j->target;
            if (max < min)
                max = min;
        }
        if (j->min >= 0)
            min = j->min;
        if (j->max >= 0)
            max = j->max;
    }
    char held[120] = "";
    int32_t need = (int32_t)zk_json_int(json_object_get(hpa, "status"), "desiredReplicas", 0);
    if (max < need) {
        snprintf(held, sizeof(held), " (maxReplicas held at %d, what the HPA needs now)", need);
        max = need;
    }
    if (min > max)
        max = min;
    if (min < 1)
        min = 1;   /* an HPA's minReplicas is at least 1 */
    snprintf(r->what, sizeof(r->what), "HorizontalPodAutoscaler %s minReplicas %d -> %d, "
             "maxReplicas %d -> %d%s", zk_kube_name(hpa), min0, min, max0, max, held);
    if (min == min0 && max == max0) {
        record(r, true, r->what);
        finish(r);
        return;
    }
    json_t *patch = json_pack("{s:{s:i,s:i}}", "spec", "minReplicas", min, "maxReplicas", max);
    zk_autofree char *path = zk_xasprintf("/apis/autoscaling/v2/namespaces/%s/"
                                          "horizontalpodautoscalers/%s",
                                          zk_kube_namespace(hpa), zk_kube_name(hpa));
    zk_ctl_batch_request_as(r->b, "PATCH", path, "application/merge-patch+json", patch,
                            on_written, r);
    json_decref(patch);
}

/* ---- a workload's scale ---- */


static void on_scale(void *ctx, const zk_kube_result *res)
{
    ss_run *r = ctx;
    const json_t *ref = zk_json_path(r->obj, "spec", "scaleTargetRef", NULL);
    if (res->status != 200 || !json_is_object(res->body)) {
        char msg[600];
        snprintf(msg, sizeof(msg), "cannot read the scale of %s %s: %s",
                 zk_json_str(ref, "kind") ?: "", zk_json_str(ref, "name") ?: "",
                 res->error ? res->error : "no answer");
        record(r, false, msg);
        finish(r);
        return;
    }
    r->scale = json_incref(res->body);
    int32_t from = (int32_t)zk_json_int(json_object_get(r->scale, "spec"), "replicas", 0);
    int32_t to = from;
    for (size_t i = 0; i < r->ndues; i++) {
        zk_ss_job *j = &r->jobs[r->dues[i].job];
        if (j->target >= 0)
            to = j->target;
        if (j->min >= 0 && to < j->min)
            to = j->min;
        if (j->max >= 0 && to > j->max)
            to = j->max;
    }
    snprintf(r->what, sizeof(r->what), "%s %s replicas %d -> %d", zk_json_str(ref, "kind") ?: "",
             zk_json_str(ref, "name") ?: "", from, to);
    if (to == from) {
        record(r, true, r->what);
        finish(r);
        return;
    }
    json_t *scale = json_deep_copy(r->scale);
    json_object_set_new(zk_json_child_obj(scale, "spec"), "replicas", json_integer(to));
    zk_ctl_batch_request(r->b, "PUT", r->scale_path, scale, on_written, r);
    json_decref(scale);
}

static bool is_hpa_ref(const json_t *ref)
{
    const char *gv = zk_json_str(ref, "apiVersion") ?: "";
    return !strcmp(zk_json_str(ref, "kind") ?: "", "HorizontalPodAutoscaler") &&
           (!gv[0] || !strncmp(gv, "autoscaling/", 12));
}

/* The HPA in ns that scales the workload ref, or NULL. */
static json_t *hpa_of(ss_st *st, const char *ns, const json_t *ref)
{
    json_t **hs;
    size_t n = zk_kube_informer_by_index(st->hpas, "namespace", ns, &hs);
    json_t *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        const json_t *t = zk_json_path(hs[i], "spec", "scaleTargetRef", NULL);
        if (!strcmp(zk_json_str(t, "kind") ?: "", zk_json_str(ref, "kind") ?: "") &&
            !strcmp(zk_json_str(t, "name") ?: "", zk_json_str(ref, "name") ?: ""))
            found = hs[i];
    }
    free(hs);
    return found;
}

static void scale_workload(ss_run *r);

static void on_discovery(void *ctx, const zk_kube_result *res)
{
    ss_run *r = ctx;
    const char *gv = zk_json_path_str(r->obj, "spec", "scaleTargetRef", "apiVersion", NULL) ?: "";
    zk_ctl_kinds_learn(r->st->kinds, gv, res->status == 200 ? res->body : NULL);
    scale_workload(r);
}

static void scale_workload(ss_run *r)
{
    const json_t *ref = zk_json_path(r->obj, "spec", "scaleTargetRef", NULL);
    const char *gv = zk_json_str(ref, "apiVersion") ?: "apps/v1";
    bool scalable, stale;
    const char *res = zk_ctl_kinds_lookup(r->st->kinds, gv, zk_json_str(ref, "kind") ?: "",
                                          &scalable, &stale);
    if (!res && stale) {
        zk_autofree char *path = zk_ctl_kinds_discovery_path(gv);
        zk_ctl_batch_request(r->b, "GET", path, NULL, on_discovery, r);
        return;
    }
    if (!res || !scalable) {
        char msg[600];
        snprintf(msg, sizeof(msg), "%s %s in %s has no scale subresource",
                 res ? "resource" : "no resource for kind", res ? res : zk_json_str(ref, "kind") ?: "",
                 gv);
        record(r, false, msg);
        finish(r);
        return;
    }
    r->scale_path = zk_ctl_kinds_path(gv, zk_kube_namespace(r->obj), res,
                                      zk_json_str(ref, "name") ?: "", "scale");
    zk_ctl_batch_request(r->b, "GET", r->scale_path, NULL, on_scale, r);
}

/* ---- sync ---- */

static void ss_sync(zk_ctl *c, void *state, const char *key)
{
    ss_st *st = state;
    json_t *obj = zk_kube_informer_get_key(st->sss, key);
    if (!obj) {
        zk_ctl_done(c, key, false);
        return;
    }
    ss_run *r = zk_xcalloc(1, sizeof(*r));
    r->st = st;
    r->c = c;
    r->obj = json_deep_copy(obj);
    r->orig_status = json_deep_copy(json_object_get(obj, "status"));
    r->b = zk_ctl_batch_begin(c, key);
    r->now = zk_wall_ms() / 1000;
    json_t *status = zk_json_child_obj(r->obj, "status");
    const json_t *spec = json_object_get(r->obj, "spec");
    size_t n = json_array_size(json_object_get(spec, "jobs"));
    r->jobs = zk_xcalloc(n ? n : 1, sizeof(*r->jobs));
    zk_err err = {0};
    for (size_t i = 0; i < n; i++) {
        if (zk_ss_job_parse(spec, i, &r->jobs[i], &err) < 0)
            break;
        r->njobs++;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(r->jobs[k].name, r->jobs[i].name)) {
                zk_err_set(&err, ZK_EINVAL, "jobs[%zu].name: \"%s\" is also jobs[%zu]", i,
                           r->jobs[i].name, k);
                break;
            }
        if (err.code)
            break;
    }
    if (!n)
        zk_err_set(&err, ZK_EINVAL, "jobs: at least one job is needed");
    if (err.code) {
        if (zk_ctl_set_condition(status, "Ready", "False", "InvalidSpec", err.msg, false))
            zk_ctl_event(c, r->obj, "Warning", "InvalidSpec", "%s", err.msg);
        r->njobs = 0;   /* nothing runs from a spec that does not parse */
        for (size_t i = 0; i < n; i++)
            zk_ss_job_free(&r->jobs[i]);
        finish(r);
        return;
    }
    int64_t created = zk_time_parse_rfc3339(zk_json_path_str(r->obj, "metadata",
                                                             "creationTimestamp", NULL) ?: "");
    r->dues = zk_xcalloc(r->njobs ? r->njobs : 1, sizeof(*r->dues));
    for (size_t i = 0; i < r->njobs; i++) {
        zk_ss_job *j = &r->jobs[i];
        json_t *js = job_status(status, j->name);
        if (j->run_once && !strcmp(zk_json_str(js, "lastResult") ?: "", "Succeeded"))
            continue;
        int64_t since = zk_time_parse_rfc3339(zk_json_str(js, "lastScheduleTime") ?: "");
        if (since < 0)
            since = created > 0 ? created : r->now;
        int64_t at = zk_ss_last_due(j, since, r->now);
        if (at < 0)
            continue;
        if (j->deadline_s >= 0 && r->now - at > j->deadline_s) {
            set_time(js, "lastScheduleTime", at);
            json_object_set_new(js, "lastResult", json_string("Missed"));
            json_object_set_new(js, "message",
                                json_sprintf("missed by %llds (startingDeadlineSeconds %lld)",
                                             (long long)(r->now - at), (long long)j->deadline_s));
            continue;
        }
        r->dues[r->ndues++] = (due){i, at};
    }
    zk_ctl_set_condition(status, "Ready", "True", "Scheduled", "the schedule is running", false);
    if (!r->ndues) {
        finish(r);
        return;
    }
    qsort(r->dues, r->ndues, sizeof(*r->dues), by_time);
    const json_t *ref = json_object_get(spec, "scaleTargetRef");
    const char *ns = zk_kube_namespace(r->obj);
    if (is_hpa_ref(ref)) {
        json_t *hpa = zk_kube_informer_get(st->hpas, ns, zk_json_str(ref, "name") ?: "");
        if (!hpa) {
            char msg[400];
            snprintf(msg, sizeof(msg), "HorizontalPodAutoscaler %s not found",
                     zk_json_str(ref, "name") ?: "");
            record(r, false, msg);
            finish(r);
            return;
        }
        scale_hpa(r, hpa);
        return;
    }
    json_t *hpa = hpa_of(st, ns, ref);
    if (hpa)
        scale_hpa(r, hpa);
    else
        scale_workload(r);
}

static void ss_ev(void *ctx, json_t *obj)
{
    zk_ctl_enqueue_obj(ctx, obj);
}

static void ss_upd(void *ctx, json_t *old, json_t *obj)
{
    if (json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")))
        return;   /* our own status writes */
    zk_ctl_enqueue_obj(ctx, obj);
}

static void *ss_init(zk_ctl *c)
{
    ss_st *st = zk_xcalloc(1, sizeof(*st));
    st->sss = zk_ctl_informer(c, &zk_kube_scheduledscalings);
    st->hpas = zk_ctl_informer(c, &zk_kube_hpas);
    st->kinds = zk_ctl_kinds_new();
    zk_kube_informer_on(st->sss, &(zk_kube_handler){.add = ss_ev, .update = ss_upd, .ctx = c});
    return st;
}

static void ss_free(void *state)
{
    ss_st *st = state;
    zk_ctl_kinds_free(st->kinds);
    free(st);
}

const zk_ctl_def zk_ctl_scheduledscaling = {
    .name = "scheduledscaling", .workers = 2, .init = ss_init, .sync = ss_sync, .free = ss_free};
