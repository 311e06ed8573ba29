/* zke controllers: Job.
 *
 * Runs pods from the Job's template until spec.completions of them have
 * succeeded, at most spec.parallelism at once (NonIndexed), or until each
 * index 0..completions-1 has a succeeded pod (Indexed: pods named
 * "<job>-<index>-", annotated and labelled with the index, which also
 * reaches the containers as JOB_COMPLETION_INDEX). Failed pods count
 * against backoffLimit; replacements wait 10 s, doubled per failure since
 * the last success (at most 10 min). The Job fails (FailureTarget, then
 * Failed once no pod is terminating) with BackoffLimitExceeded when more
 * pods failed than backoffLimit, or DeadlineExceeded past
 * activeDeadlineSeconds; its active pods are deleted. A Job done gets
 * SuccessCriteriaMet then Complete (reason CompletionsReached), as
 * Kubernetes 1.32 reports them, and completionTime. suspend deletes the
 * active pods (condition Suspended); ttlSecondsAfterFinished deletes a
 * finished Job.
 *
 * Counting is from the pods that exist (no job-tracking finalizer): the
 * succeeded and failed counters never go down, but a pod deleted before it
 * was counted is not counted. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "controllers/workload.h"
#include "kube/selector.h"

#define JOB_BURST 500
#define INDEX_KEY "batch.kubernetes.io/job-completion-index"
#define BACKOFF_BASE_S 10
#define BACKOFF_MAX_S 600
#define MAX_INDEXED 100000

/* ---- arithmetic (pure) ---- */

int64_t zk_ctl_job_want_active(int64_t completions, int64_t parallelism, int64_t succeeded,
                               int64_t active)
{
    int64_t want;
    if (completions < 0)
        want = succeeded > 0 ? active : parallelism;
    else {
        want = completions - succeeded;
        if (want > parallelism)
            want = parallelism;
    }
    return want < 0 ? 0 : want;
}

int64_t zk_ctl_job_backoff_left(int64_t failures, int64_t last_failure, int64_t now)
{
    if (failures <= 0)
        return 0;
    int64_t d = BACKOFF_BASE_S;
    for (int64_t i = 1; i < failures && d < BACKOFF_MAX_S; i++)
        d *= 2;
    if (d > BACKOFF_MAX_S)
        d = BACKOFF_MAX_S;
    int64_t elapsed = now - last_failure;
    return elapsed >= d ? 0 : d - (elapsed < 0 ? 0 : elapsed);
}

bool zk_ctl_job_complete(int64_t completions, int64_t succeeded, int64_t active)
{
    if (active > 0)
        return false;
    return completions < 0 ? succeeded > 0 : succeeded >= completions;
}

char *zk_ctl_job_format_indexes(const bool *set, int64_t n)
{
    zk_buf b = ZK_BUF_INIT(16 * 1024 * 1024);
    zk_buf_puts(&b, "");
    for (int64_t i = 0; i < n;) {
        if (!set[i]) {
            i++;
            continue;
        }
        int64_t j = i;
        while (j + 1 < n && set[j + 1])
            j++;
        if (b.len)
            zk_buf_putc(&b, ',');
        /* a run of two is written "3,4", longer runs "3-5" */
        if (j == i)
            zk_buf_printf(&b, "%" PRId64, i);
        else
            zk_buf_printf(&b, "%" PRId64 "%c%" PRId64, i, j == i + 1 ? ',' : '-', j);
        i = j + 1;
    }
    return zk_buf_steal(&b, NULL);
}

/* ---- pods ---- */

static const char *phase(const json_t *pod)
{
    const char *p = zk_json_path_str(pod, "status", "phase", NULL);
    return p ? p : "";
}

static int64_t time_at(const json_t *o, ...) __attribute__((sentinel));

static int64_t time_at(const json_t *o, ...)
{
    va_list ap;
    va_start(ap, o);
    const json_t *cur = o;
    const char *k;
    while (cur && (k = va_arg(ap, const char *)))
        cur = json_is_object(cur) ? json_object_get(cur, k) : NULL;
    va_end(ap);
    return json_is_string(cur) ? zk_time_parse_rfc3339(json_string_value(cur)) : -1;
}

/* When a pod finished: its containers' end, else when it became unready,
 * else its deletion, else its creation (as Kubernetes estimates it). */
static int64_t finish_time(const json_t *pod)
{
    int64_t best = -1;
    size_t i;
    json_t *cs;
    json_array_foreach(zk_json_path(pod, "status", "containerStatuses", NULL), i, cs) {
        int64_t t = time_at(cs, "state", "terminated", "finishedAt", NULL);
        if (t > best)
            best = t;
    }
    if (best >= 0)
        return best;
    json_t *rc = zk_ctl_get_condition(json_object_get(pod, "status"), "Ready");
    const char *rs = rc ? zk_json_str(rc, "status") : NULL;
    if (rs && !strcmp(rs, "False") && (best = time_at(rc, "lastTransitionTime", NULL)) >= 0)
        return best;
    if ((best = time_at(pod, "metadata", "deletionTimestamp", NULL)) >= 0)
        return best;
    return time_at(pod, "metadata", "creationTimestamp", NULL);
}

static int64_t pod_index(const json_t *pod)
{
    const char *s = zk_json_path_str(pod, "metadata", "annotations", INDEX_KEY, NULL);
    if (!s || !s[0] || strlen(s) > 9)
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    /* "01" is not index 1 */
    return s[0] == '0' && s[1] ? -1 : v;
}

static int64_t restarts(const json_t *pod)
{
    int64_t n = 0;
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *cs;
        json_array_foreach(zk_json_path(pod, "status", lists[l], NULL), i, cs)
            n += zk_json_int(cs, "restartCount", 0);
    }
    return n;
}

/* ---- state ---- */

typedef struct job_state {
    zk_ctl *c;
    zk_kube_informer *jobs, *pods;
} job_state;

static void job_add(void *ctx, json_t *o) { zk_ctl_enqueue_obj(((job_state *)ctx)->c, o); }
static void job_upd(void *ctx, json_t *a, json_t *o) { zk_ctl_enqueue_obj(((job_state *)ctx)->c, o); }
static void pod_ev(void *ctx, json_t *o) { zk_ctl_enqueue_owner(((job_state *)ctx)->c, o, "Job"); }
static void pod_upd(void *ctx, json_t *a, json_t *o)
{
    pod_ev(ctx, o);
    json_t *ra = zk_kube_controller_ref(a), *rb = zk_kube_controller_ref(o);
    const char *ua = ra ? zk_json_str(ra, "uid") : NULL, *ub = rb ? zk_json_str(rb, "uid") : NULL;
    if (ua && (!ub || strcmp(ua, ub)))
        pod_ev(ctx, a);
}

/* The finished condition (Complete or Failed, True), or NULL. */
static json_t *finished_condition(const json_t *job)
{
    static const char *const types[] = {"Complete", "Failed"};
    for (size_t i = 0; i < 2; i++) {
        json_t *c = zk_ctl_get_condition(json_object_get(job, "status"), types[i]);
        const char *s = c ? zk_json_str(c, "status") : NULL;
        if (s && !strcmp(s, "True"))
            return c;
    }
    return NULL;
}

static bool condition_true(const json_t *status, const char *type)
{
    json_t *c = zk_ctl_get_condition(status, type);
    const char *s = c ? zk_json_str(c, "status") : NULL;
    return s && !strcmp(s, "True");
}

/* A finished Job with ttlSecondsAfterFinished is deleted when it expires. */
static void sync_finished(zk_ctl *c, const json_t *job, const json_t *cond, const char *key)
{
    json_t *ttl = zk_json_path(job, "spec", "ttlSecondsAfterFinished", NULL);
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    if (json_is_integer(ttl)) {
        int64_t fin = time_at(cond, "lastTransitionTime", NULL);
        int64_t now = zk_wall_s();
        int64_t expire = (fin < 0 ? now : fin) + json_integer_value(ttl);
        if (now >= expire) {
            zk_info("job: %s finished and its TTL expired: deleting it", key);
            zk_ctl_batch_delete(b, &zk_kube_jobs, zk_kube_namespace(job), zk_kube_name(job),
                                zk_kube_uid(job), "Foreground");
        } else {
            zk_ctl_batch_requeue_after(b, (uint64_t)(expire - now) * 1000 + 100);
        }
    }
    zk_ctl_batch_end(b);
}

/* One sync's view of a Job. */
typedef struct jview {
    json_t *job;
    const char *ns, *name;
    bool indexed, suspended;
    int64_t completions, parallelism, backoff_limit;
    json_t **active;
    size_t nactive;
    int64_t terminating, ready, succeeded_pods, failed_pods;
    int64_t failures_since_success, last_failure;
    bool *done_idx;        /* Indexed: index succeeded */
    zk_ctl_batch *b;
} jview;

static json_t *pod_for(const jview *v, int64_t index)
{
    char prefix[300];
    json_t *tmpl = zk_json_path(v->job, "spec", "template", NULL);
    if (index < 0) {
        snprintf(prefix, sizeof(prefix), "%.240s-", v->name);
        return zk_ctl_pod_from_template_owned(v->job, tmpl, prefix);
    }
    snprintf(prefix, sizeof(prefix), "%.230s-%" PRId64 "-", v->name, index);
    json_t *pod = zk_ctl_pod_from_template_owned(v->job, tmpl, prefix);
    char ix[32];
    snprintf(ix, sizeof(ix), "%" PRId64, index);
    json_t *meta = json_object_get(pod, "metadata");
    zk_json_set_str(zk_json_path_obj(meta, "annotations", NULL), INDEX_KEY, ix);
    zk_json_set_str(zk_json_path_obj(meta, "labels", NULL), INDEX_KEY, ix);
    json_t *spec = json_object_get(pod, "spec");
    char host[300];
    snprintf(host, sizeof(host), "%.230s-%" PRId64, v->name, index);
    zk_json_set_str(spec, "hostname", host);
    static const char *const lists[] = {"initContainers", "containers"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *ctr;
        json_array_foreach(json_object_get(spec, lists[l]), i, ctr) {
            json_t *env = json_object_get(ctr, "env");
            if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(ctr, "env", env);
            }
            bool has = false;
            size_t j;
            json_t *e;
            json_array_foreach(env, j, e)
                has = has || (zk_json_str(e, "name") && !strcmp(zk_json_str(e, "name"),
                                                                  "JOB_COMPLETION_INDEX"));
            if (!has)
                json_array_append_new(
                    env, json_pack("{s:s,s:{s:{s:s}}}", "name", "JOB_COMPLETION_INDEX",
                                   "valueFrom", "fieldRef", "fieldPath",
                                   "metadata.annotations['" INDEX_KEY "']"));
        }
    }
    return pod;
}

static void delete_pod(jview *v, const json_t *pod)
{
    zk_ctl_batch_delete(v->b, &zk_kube_pods, v->ns, zk_kube_name(pod), zk_kube_uid(pod), NULL);
}

/* Create and delete pods towards the wanted number; returns the number of
 * pods active once the writes are done. */
static int64_t manage(zk_ctl *c, jview *v, int64_t succeeded)
{
    int64_t now = zk_wall_s();
    if (v->suspended) {
        for (size_t i = 0; i < v->nactive; i++)
            delete_pod(v, v->active[i]);
        return 0;
    }
    int64_t wait = zk_ctl_job_backoff_left(v->failures_since_success, v->last_failure, now);
    const char *repl = zk_json_path_str(v->job, "spec", "podReplacementPolicy", NULL);
    int64_t blocked = repl && !strcmp(repl, "Failed") ? v->terminating : 0;
    if (!v->indexed) {
        int64_t active = (int64_t)v->nactive;
        int64_t want = zk_ctl_job_want_active(v->completions, v->parallelism, succeeded, active);
        if (active > want) {
            qsort(v->active, v->nactive, sizeof(*v->active), zk_ctl_pod_delete_order);
            for (int64_t i = 0; i < active - want; i++)
                delete_pod(v, v->active[i]);
            return want;
        }
        int64_t n = want - active - blocked;
        if (n <= 0)
            return active;
        if (wait > 0) {
            zk_ctl_batch_requeue_after(v->b, (uint64_t)wait * 1000 + 100);
            return active;
        }
        if (n > JOB_BURST) {
            n = JOB_BURST;
            zk_ctl_batch_requeue_after(v->b, 1);
        }
        json_t *pod = pod_for(v, -1);
        for (int64_t i = 0; i < n; i++)
            zk_ctl_batch_create(v->b, &zk_kube_pods, v->ns, pod);
        json_decref(pod);
        return active + n;
    }
    /* Indexed: one active pod per index not yet succeeded */
    int64_t comp = v->completions;
    bool *running = zk_xcalloc((size_t)comp + 1, 1);
    int64_t active = 0;
    for (size_t i = 0; i < v->nactive; i++) {
        int64_t ix = pod_index(v->active[i]);
        if (ix < 0 || ix >= comp || v->done_idx[ix] || running[ix]) {
            delete_pod(v, v->active[i]);
            continue;
        }
        running[ix] = true;
        active++;
    }
    int64_t want = zk_ctl_job_want_active(comp, v->parallelism, succeeded, active);
    if (active > want) {
        /* the highest indexes go */
        int64_t drop = active - want;
        for (size_t i = v->nactive; i > 0 && drop > 0; i--) {
            int64_t ix = pod_index(v->active[i - 1]);
            if (ix >= 0 && ix < comp && running[ix] && !v->done_idx[ix]) {
                delete_pod(v, v->active[i - 1]);
                running[ix] = false;
                drop--;
            }
        }
        free(running);
        return want;
    }
    int64_t n = want - active - blocked;
    if (n > 0 && wait > 0) {
        zk_ctl_batch_requeue_after(v->b, (uint64_t)wait * 1000 + 100);
        n = 0;
    }
    if (n > JOB_BURST) {
        n = JOB_BURST;
        zk_ctl_batch_requeue_after(v->b, 1);
    }
    int64_t made = 0;
    for (int64_t ix = 0; ix < comp && made < n; ix++) {
        if (v->done_idx[ix] || running[ix])
            continue;
        json_t *pod = pod_for(v, ix);
        zk_ctl_batch_create(v->b, &zk_kube_pods, v->ns, pod);
        json_decref(pod);
        made++;
    }
    free(running);
    return active + made;
}

static void set_count(json_t *status, const char *k, int64_t n, bool keep_zero)
{
    if (n || keep_zero)
        json_object_set_new(status, k, json_integer(n));
    else
        json_object_del(status, k);
}

/* Append a True condition of type (or refresh it). */
static void add_condition(json_t *status, const char *type, const char *reason, const char *msg)
{
    zk_ctl_set_condition(status, type, "True", reason, msg, false);
    /* Kubernetes' Job conditions carry lastProbeTime too */
    json_t *c = zk_ctl_get_condition(status, type);
    if (c && !json_object_get(c, "lastProbeTime"))
        json_object_set(c, "lastProbeTime", json_object_get(c, "lastTransitionTime"));
}

static void job_sync(zk_ctl *c, void *state, const char *key)
{
    job_state *st = state;
    json_t *job = zk_kube_informer_get_key(st->jobs, key);
    if (!job || zk_json_path(job, "metadata", "deletionTimestamp", NULL)) {
        zk_ctl_done(c, key, false);
        return;
    }
    const char *managed = zk_json_path_str(job, "spec", "managedBy", NULL);
    if (managed && strcmp(managed, "kubernetes.io/job-controller")) {
        zk_ctl_done(c, key, false);
        return;
    }
    json_t *fin = finished_condition(job);
    if (fin) {
        sync_finished(c, job, fin, key);
        return;
    }
    json_t *spec = json_object_get(job, "spec");
    jview v = {.job = job, .ns = zk_kube_namespace(job), .name = zk_kube_name(job)};
    const char *mode = zk_json_str(spec, "completionMode");
    v.indexed = mode && !strcmp(mode, "Indexed");
    v.suspended = json_is_true(json_object_get(spec, "suspend"));
    json_t *comp = json_object_get(spec, "completions");
    v.completions = json_is_integer(comp) ? json_integer_value(comp) : -1;
    v.parallelism = zk_json_int(spec, "parallelism", 1);
    v.backoff_limit = zk_json_int(spec, "backoffLimit", 6);
    if (v.indexed && (v.completions < 0 || v.completions > MAX_INDEXED)) {
        zk_ctl_event(c, job, "Warning", "InvalidCompletions",
                     "Indexed Job needs completions between 0 and %d", MAX_INDEXED);
        zk_ctl_done(c, key, false);
        return;
    }
    zk_kube_selector *sel = NULL;
    zk_err err = {0};
    if (zk_kube_selector_from_json(zk_json_path(spec, "selector", NULL), &sel, &err) < 0) {
        zk_ctl_event(c, job, "Warning", "SelectorParsingFailed", "invalid selector: %s", err.msg);
        zk_ctl_done(c, key, false);
        return;
    }

    json_t **owned = NULL;
    size_t n = zk_kube_informer_by_index(st->pods, "owner", zk_kube_uid(job), &owned);
    v.active = zk_xmalloc((n + 1) * sizeof(*v.active));
    v.done_idx = v.indexed ? zk_xcalloc((size_t)v.completions + 1, 1) : NULL;
    int64_t last_success = -1, restart_sum = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *p = owned[i];
        if (!zk_kube_selector_matches(sel, zk_json_path(p, "metadata", "labels", NULL)))
            continue;
        const char *ph = phase(p);
        if (!strcmp(ph, "Succeeded")) {
            v.succeeded_pods++;
            int64_t t = finish_time(p);
            if (t > last_success)
                last_success = t;
            int64_t ix = v.indexed ? pod_index(p) : -1;
            if (ix >= 0 && ix < v.completions)
                v.done_idx[ix] = true;
        } else if (!strcmp(ph, "Failed")) {
            v.failed_pods++;
        } else if (zk_json_path(p, "metadata", "deletionTimestamp", NULL)) {
            v.terminating++;
        } else {
            v.active[v.nactive++] = p;
            if (zk_ctl_pod_ready(p))
                v.ready++;
            restart_sum += restarts(p);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(phase(owned[i]), "Failed"))
            continue;
        int64_t t = finish_time(owned[i]);
        if (t > last_success) {
            v.failures_since_success++;
            if (t > v.last_failure)
                v.last_failure = t;
        }
    }
    free(owned);
    zk_kube_selector_free(sel);

    json_t *old = json_object_get(job, "status");
    json_t *status = json_is_object(old) ? json_deep_copy(old) : json_object();
    int64_t succeeded = zk_json_int(status, "succeeded", 0);
    int64_t failed = zk_json_int(status, "failed", 0);
    char *indexes = NULL;
    if (v.indexed) {
        int64_t k = 0;
        for (int64_t i = 0; i < v.completions; i++)
            k += v.done_idx[i];
        succeeded = k;
        indexes = zk_ctl_job_format_indexes(v.done_idx, v.completions);
    } else if (v.succeeded_pods > succeeded) {
        succeeded = v.succeeded_pods;
    }
    if (v.failed_pods > failed)
        failed = v.failed_pods;

    int64_t now = zk_wall_s();
    char nowstr[64];
    zk_ctl_now(nowstr, sizeof(nowstr));
    if (!json_object_get(status, "startTime") && !v.suspended)
        zk_json_set_str(status, "startTime", nowstr);

    v.b = zk_ctl_batch_begin(c, key);
    /* why the Job ends, if it does */
    const char *end_type = NULL, *end_reason = NULL, *end_msg = NULL;
    json_t *ft = zk_ctl_get_condition(status, "FailureTarget");
    if (condition_true(status, "SuccessCriteriaMet")) {
        json_t *sc = zk_ctl_get_condition(status, "SuccessCriteriaMet");
        end_type = "SuccessCriteriaMet";
        end_reason = zk_json_str(sc, "reason");
        end_msg = zk_json_str(sc, "message");
    } else if (condition_true(status, "FailureTarget")) {
        end_type = "FailureTarget";
        end_reason = zk_json_str(ft, "reason");
        end_msg = zk_json_str(ft, "message");
    } else {
        const char *rp = zk_json_path_str(spec, "template", "spec", "restartPolicy", NULL);
        bool restarts_past = rp && !strcmp(rp, "OnFailure") &&
                             (v.backoff_limit == 0 ? restart_sum > 0
                                                   : restart_sum >= v.backoff_limit);
        json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
        int64_t started = time_at(status, "startTime", NULL);
        if (failed > v.backoff_limit || restarts_past) {
            end_type = "FailureTarget";
            end_reason = "BackoffLimitExceeded";
            end_msg = "Job has reached the specified backoff limit";
        } else if (json_is_integer(ads) && !v.suspended && started >= 0) {
            int64_t left = started + json_integer_value(ads) - now;
            if (left <= 0) {
                end_type = "FailureTarget";
                end_reason = "DeadlineExceeded";
                end_msg = "Job was active longer than specified deadline";
            } else {
                zk_ctl_batch_requeue_after(v.b, (uint64_t)left * 1000 + 100);
            }
        }
    }

    int64_t active = (int64_t)v.nactive;
    if (end_type) {
        /* the Job ended: stop what runs; after a failure those pods count
         * as failed */
        for (size_t i = 0; i < v.nactive; i++)
            delete_pod(&v, v.active[i]);
        if (!strcmp(end_type, "FailureTarget"))
            failed += active;
        v.terminating += active;
        v.ready = 0;
        active = 0;
    } else if (!end_type) {
        active = manage(c, &v, succeeded);
        if (!v.suspended && zk_ctl_job_complete(v.completions, succeeded, active)) {
            end_type = "SuccessCriteriaMet";
            end_reason = "CompletionsReached";
            end_msg = "Reached expected number of succeeded pods";
        }
        if (active < (int64_t)v.nactive)
            v.ready = 0;   /* some were deleted; the next sync counts again */
    }

    bool was_suspended = condition_true(status, "Suspended");
    if (!end_type && v.suspended && !was_suspended) {
        add_condition(status, "Suspended", "JobSuspended", "Job suspended");
        zk_ctl_event(c, job, "Normal", "Suspended", "Job suspended");
    } else if (!end_type && !v.suspended && was_suspended) {
        zk_ctl_set_condition(status, "Suspended", "False", "JobResumed", "Job resumed", false);
        zk_json_set_str(status, "startTime", nowstr);
        zk_ctl_event(c, job, "Normal", "Resumed", "Job resumed");
    }

    set_count(status, "active", active, false);
    set_count(status, "succeeded", succeeded, false);
    set_count(status, "failed", failed, false);
    set_count(status, "ready", v.ready, true);
    set_count(status, "terminating", v.terminating, true);
    if (indexes && indexes[0])
        zk_json_set_str(status, "completedIndexes", indexes);
    else
        json_object_del(status, "completedIndexes");
    free(indexes);
    if (end_type) {
        add_condition(status, end_type, end_reason, end_msg);
        /* the final condition waits until no pod of the Job is left running */
        if (active == 0 && v.terminating == 0) {
            bool ok = !strcmp(end_type, "SuccessCriteriaMet");
            add_condition(status, ok ? "Complete" : "Failed", end_reason, end_msg);
            if (ok) {
                json_t *cc = zk_ctl_get_condition(status, "Complete");
                json_object_set(status, "completionTime", json_object_get(cc, "lastTransitionTime"));
                zk_ctl_event(c, job, "Normal", "Completed", "Job completed");
            } else {
                zk_ctl_event(c, job, "Warning", end_reason, "%s", end_msg);
            }
            json_t *ttl = json_object_get(spec, "ttlSecondsAfterFinished");
            if (json_is_integer(ttl))
                zk_ctl_batch_requeue_after(v.b, (uint64_t)json_integer_value(ttl) * 1000 + 100);
        }
    }
    if (!json_equal(status, old)) {
        json_t *upd = json_deep_copy(job);
        json_object_set_new(upd, "status", status);
        zk_ctl_batch_update(v.b, &zk_kube_jobs, upd, "status");
        json_decref(upd);
    } else {
        json_decref(status);
    }
    free(v.active);
    free(v.done_idx);
    zk_ctl_batch_end(v.b);
}

static void *job_init(zk_ctl *c)
{
    job_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->jobs = zk_ctl_informer(c, &zk_kube_jobs);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    zk_kube_handler hj = {.add = job_add, .update = job_upd, .ctx = st};
    zk_kube_informer_on(st->jobs, &hj);
    zk_kube_handler hp = {.add = pod_ev, .update = pod_upd, .del = pod_ev, .ctx = st};
    zk_kube_informer_on(st->pods, &hp);
    return st;
}

const zk_ctl_def zk_ctl_job = {
    .name = "job", .workers = 4, .init = job_init, .sync = job_sync, .free = free};
