/* zke controllers: BatchRestart (zke.io/v1alpha1, namespaced;
 * deploy/crds/batchrestarts.yaml).
 *
 * It restarts the Deployments, StatefulSets and DaemonSets it selects
 * (spec.selector over their labels; this namespace, or every namespace with
 * spec.allNamespaces; spec.kinds) the way `kubectl rollout restart` does:
 * the annotation kubectl.kubernetes.io/restartedAt on the pod template,
 * whose value is the BatchRestart's own status.restartedAt, so doing it
 * twice is doing it once. Then it waits for each rollout to become healthy.
 *
 *   mode Rolling      at most spec.maxConcurrent workloads rolling at once
 *   mode Immediate    every workload at once (emergencies)
 *   maxFailures       once that many rollouts have failed (not healthy
 *                     within progressDeadlineSeconds, or the Deployment's
 *                     own ProgressDeadlineExceeded), nothing more starts and
 *                     the rest are Skipped; 0: no limit
 *   paused            nothing new starts while true
 *
 * A user may restart only what they may patch: admission records who
 * created the BatchRestart (annotation zke.io/requested-by, which the
 * requester cannot set), and each workload kind and namespace is checked
 * with a SubjectAccessReview for that user before it starts; one the user
 * may not patch is Skipped with the reason.
 *
 * Status: phase (Running, Paused, Succeeded, Failed), total, restarted,
 * failed, skipped, inProgress, restartedAt, startTime, completionTime, one
 * entry per workload (kind, namespace, name, state Pending / Restarting /
 * Restarted / Failed / Skipped, message, times) and the condition
 * Progressing. Events on the BatchRestart for every start and end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "kube/selector.h"

#define RESTARTED_AT "kubectl.kubernetes.io/restartedAt"
#define REQUESTED_BY "zke.io/requested-by"
#define POLL_MS 1000

const zk_kube_resource zk_kube_batchrestarts = {"zke.io", "v1alpha1", "batchrestarts",
                                                "BatchRestart", true};

typedef struct br_state {
    zk_ctl *c;
    zk_kube_informer *brs, *deps, *sts, *dss;
    zk_map *access;            /* "<br uid>|<resource>|<ns>" -> "y" / "n:<why>" */
} br_state;

/* ---- the pure part ---- */

int zk_ctl_rollout_state(const char *kind, const json_t *w, const char *restarted_at,
                         char *why, size_t whylen)
{
    const char *have = zk_json_path_str(w, "spec", "template", "metadata", "annotations",
                                        RESTARTED_AT, NULL);
    if (!have || strcmp(have, restarted_at))
        return ZK_ROLLOUT_NOT_STARTED;
    json_t *st = json_object_get(w, "status");
    json_int_t gen = zk_json_int(json_object_get(w, "metadata"), "generation", 0);
    json_int_t og = zk_json_int(st, "observedGeneration", 0);
    if (og < gen)
        return ZK_ROLLOUT_PROGRESSING;
    if (!strcmp(kind, "Deployment")) {
        json_t *cond = zk_ctl_get_condition(st, "Progressing");
        const char *reason = zk_json_str(cond, "reason");
        if (reason && !strcmp(reason, "ProgressDeadlineExceeded")) {
            snprintf(why, whylen, "%s", zk_json_str(cond, "message") ?: "progress deadline exceeded");
            return ZK_ROLLOUT_FAILED;
        }
        json_int_t want = zk_json_int(json_object_get(w, "spec"), "replicas", 1);
        return zk_json_int(st, "updatedReplicas", 0) == want &&
                       zk_json_int(st, "replicas", 0) == want &&
                       zk_json_int(st, "availableReplicas", 0) == want
                   ? ZK_ROLLOUT_DONE
                   : ZK_ROLLOUT_PROGRESSING;
    }
    if (!strcmp(kind, "StatefulSet")) {
        json_int_t want = zk_json_int(json_object_get(w, "spec"), "replicas", 1);
        const char *cur = zk_json_str(st, "currentRevision"), *upd = zk_json_str(st, "updateRevision");
        return cur && upd && !strcmp(cur, upd) && zk_json_int(st, "readyReplicas", 0) == want &&
                       zk_json_int(st, "updatedReplicas", want) == want
                   ? ZK_ROLLOUT_DONE
                   : ZK_ROLLOUT_PROGRESSING;
    }
    /* DaemonSet */
    json_int_t want = zk_json_int(st, "desiredNumberScheduled", 0);
    return zk_json_int(st, "updatedNumberScheduled", 0) == want &&
                   zk_json_int(st, "numberAvailable", 0) == want
               ? ZK_ROLLOUT_DONE
               : ZK_ROLLOUT_PROGRESSING;
}

/* ---- helpers ---- */

static const zk_kube_resource *res_of(const char *kind)
{
    return !strcmp(kind, "Deployment")    ? &zk_kube_deployments
           : !strcmp(kind, "StatefulSet") ? &zk_kube_statefulsets
           : !strcmp(kind, "DaemonSet")   ? &zk_kube_daemonsets
                                          : NULL;
}

static zk_kube_informer *inf_of(br_state *st, const char *kind)
{
    return !strcmp(kind, "Deployment")    ? st->deps
           : !strcmp(kind, "StatefulSet") ? st->sts
           : !strcmp(kind, "DaemonSet")   ? st->dss
                                          : NULL;
}

static bool wants_kind(const json_t *spec, const char *kind)
{
    json_t *kinds = json_object_get(spec, "kinds");
    if (!json_array_size(kinds))
        return true;
    size_t i;
    json_t *k;
    json_array_foreach(kinds, i, k)
        if (json_is_string(k) && !strcmp(json_string_value(k), kind))
            return true;
    return false;
}

static int by_target(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(zk_json_str(x, "namespace"), zk_json_str(y, "namespace"));
    if (!c)
        c = strcmp(zk_json_str(x, "kind"), zk_json_str(y, "kind"));
    return c ? c : strcmp(zk_json_str(x, "name"), zk_json_str(y, "name"));
}

/* The workloads the BatchRestart selects, as status entries (sorted). */
static json_t *targets(br_state *st, const json_t *br, const zk_kube_selector *sel)
{
    static const char *const kinds[] = {"Deployment", "StatefulSet", "DaemonSet"};
    json_t *spec = json_object_get(br, "spec");
    bool all = json_is_true(json_object_get(spec, "allNamespaces"));
    const char *ns = zk_kube_namespace(br);
    json_t *out = json_array();
    for (size_t k = 0; k < 3; k++) {
        if (!wants_kind(spec, kinds[k]))
            continue;
        json_t **ws = NULL;
        size_t n = zk_kube_informer_list(inf_of(st, kinds[k]), &ws);
        for (size_t i = 0; i < n; i++) {
            if (!all && strcmp(zk_kube_namespace(ws[i]) ?: "", ns))
                continue;
            if (zk_json_path(ws[i], "metadata", "deletionTimestamp", NULL))
                continue;
            if (!zk_kube_selector_matches(sel, zk_json_path(ws[i], "metadata", "labels", NULL)))
                continue;
            json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s}", "kind", kinds[k],
                                                 "namespace", zk_kube_namespace(ws[i]), "name",
                                                 zk_kube_name(ws[i]), "state", "Pending"));
        }
        free(ws);
    }
    size_t n = json_array_size(out);
    json_t **v = zk_xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(out, i));
    qsort(v, n, sizeof(*v), by_target);
    json_array_clear(out);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, v[i]);
    free(v);
    return out;
}

static int64_t seconds_since(const char *ts, int64_t now)
{
    int64_t t = ts ? zk_time_parse_rfc3339(ts) : -1;
    return t < 0 ? 0 : now - t;
}

/* ---- access: may the requester patch this kind in this namespace ---- */

typedef struct sar_call {
    br_state *st;
    char *key;
} sar_call;

static void on_sar(void *ctx, const zk_kube_result *r)
{
    sar_call *call = ctx;
    if (r->status >= 200 && r->status < 300) {
        bool allowed = json_is_true(zk_json_path(r->body, "status", "allowed", NULL));
        const char *reason = zk_json_path_str(r->body, "status", "reason", NULL);
        char *val = allowed ? zk_xstrdup("y") : zk_xasprintf("n:%s", reason ? reason : "");
        free(zk_map_put(call->st->access, call->key, val));
    } else {
        zk_warn("batchrestart: SubjectAccessReview: %d %s", r->status, r->error ? r->error : "");
    }
    free(call->key);
    free(call);
}

/* The answer for (br, resource, ns): "y", "n:<reason>", or NULL (asked now). */
static const char *may_patch(br_state *st, zk_ctl_batch *b, const json_t *br, const char *resource,
                          const char *ns)
{
    const char *who = zk_json_path_str(br, "metadata", "annotations", REQUESTED_BY, NULL);
    if (!who)
        return "n:nobody is recorded as its requester (annotation " REQUESTED_BY ")";
    char key[600];
    snprintf(key, sizeof(key), "%s|%s|%s", zk_kube_uid(br) ?: "", resource, ns);
    const char *have = zk_map_get(st->access, key);
    if (have)
        return have;
    json_error_t e;
    json_t *user = json_loads(who, 0, &e);
    if (!json_is_object(user)) {
        json_decref(user);
        return "n:its requester annotation is not readable";
    }
    json_t *sar = json_pack("{s:s,s:s,s:{s:{s:s,s:s,s:s,s:s},s:s,s:O}}", "apiVersion",
                            "authorization.k8s.io/v1", "kind", "SubjectAccessReview", "spec",
                            "resourceAttributes", "namespace", ns, "verb", "patch", "group", "apps",
                            "resource", resource, "user", zk_json_str(user, "username") ?: "",
                            "groups", json_object_get(user, "groups") ?: json_array());
    json_decref(user);
    sar_call *call = zk_xcalloc(1, sizeof(*call));
    call->st = st;
    call->key = zk_xstrdup(key);
    zk_ctl_batch_request(b, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar,
                         on_sar, call);
    json_decref(sar);
    return NULL;
}

/* ---- the sync ---- */

static void set_counts(json_t *status)
{
    json_int_t counts[5] = {0};
    static const char *const states[] = {"Pending", "Restarting", "Restarted", "Failed", "Skipped"};
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(status, "workloads"), i, w) {
        const char *s = zk_json_str(w, "state");
        for (int k = 0; k < 5; k++)
            if (s && !strcmp(s, states[k]))
                counts[k]++;
    }
    json_object_set_new(status, "total", json_integer((json_int_t)json_array_size(
                                             json_object_get(status, "workloads"))));
    json_object_set_new(status, "pending", json_integer(counts[0]));
    json_object_set_new(status, "inProgress", json_integer(counts[1]));
    json_object_set_new(status, "restarted", json_integer(counts[2]));
    json_object_set_new(status, "failed", json_integer(counts[3]));
    json_object_set_new(status, "skipped", json_integer(counts[4]));
}

static void finish(json_t *status, const char *phase, const char *reason, const char *msg,
                   const char *now)
{
    zk_json_set_str(status, "phase", phase);
    zk_json_set_str(status, "completionTime", now);
    zk_ctl_set_condition(status, "Progressing", "False", reason, msg, true);
}

static void br_sync(zk_ctl *c, void *state, const char *key)
{
    br_state *st = state;
    json_t *br = zk_kube_informer_get_key(st->brs, key);
    if (!br || zk_json_path(br, "metadata", "deletionTimestamp", NULL)) {
        zk_ctl_done(c, key, false);
        return;
    }
    json_t *spec = json_object_get(br, "spec");
    json_t *status = json_deep_copy(json_object_get(br, "status"));
    if (!json_is_object(status)) {
        json_decref(status);
        status = json_object();
    }
    char now[32];
    zk_ctl_now(now, sizeof(now));
    int64_t now_s = zk_wall_s();
    const char *phase = zk_json_str(status, "phase");
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    bool requeue = false;
    if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) {
        json_decref(status);
        zk_ctl_batch_end(b);
        return;
    }
    if (!phase) {
        /* the first look: what it selects */
        zk_kube_selector *sel = NULL;
        zk_err err = {0};
        json_t *sj = json_object_get(spec, "selector");
        int rc = sj && !json_is_null(sj) ? zk_kube_selector_from_json(sj, &sel, &err)
                                         : (sel = zk_kube_selector_everything(), 0);
        char msg[1200];
        if (rc < 0) {
            snprintf(msg, sizeof(msg), "spec.selector: %s", err.msg);
            finish(status, "Failed", "InvalidSelector", msg, now);
            zk_ctl_event(c, br, "Warning", "InvalidSelector", "%s", msg);
        } else {
            json_t *ws = targets(st, br, sel);
            json_object_set_new(status, "workloads", ws);
            zk_json_set_str(status, "restartedAt", now);
            zk_json_set_str(status, "startTime", now);
            if (!json_array_size(ws)) {
                char *s = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
                snprintf(msg, sizeof(msg), "no workload %s%s matches the selector %s",
                         json_is_true(json_object_get(spec, "allNamespaces")) ? "in any namespace"
                                                                              : "in namespace ",
                         json_is_true(json_object_get(spec, "allNamespaces"))
                             ? "" : zk_kube_namespace(br),
                         s ? s : "(everything)");
                free(s);
                finish(status, "Failed", "NoWorkloads", msg, now);
                zk_ctl_event(c, br, "Warning", "NoWorkloads", "%s", msg);
            } else {
                zk_json_set_str(status, "phase", "Running");
                snprintf(msg, sizeof(msg), "restarting %zu workloads", json_array_size(ws));
                zk_ctl_set_condition(status, "Progressing", "True", "Started", msg, true);
                zk_ctl_event(c, br, "Normal", "Started", "%s", msg);
                requeue = true;
            }
            set_counts(status);
        }
        zk_kube_selector_free(sel);
    } else {
        const char *restarted_at = zk_json_str(status, "restartedAt") ?: now;
        json_int_t deadline = zk_json_int(spec, "progressDeadlineSeconds", 600);
        json_int_t max_failures = zk_json_int(spec, "maxFailures", 1);
        json_int_t max_conc = zk_json_int(spec, "maxConcurrent", 1);
        const char *mode = zk_json_str(spec, "mode");
        bool immediate = mode && !strcmp(mode, "Immediate");
        bool paused = json_is_true(json_object_get(spec, "paused"));
        json_t *ws = json_object_get(status, "workloads");
        /* 1. how the rolling ones are doing */
        size_t i;
        json_t *w;
        json_array_foreach(ws, i, w) {
            if (strcmp(zk_json_str(w, "state") ?: "", "Restarting"))
                continue;
            const char *kind = zk_json_str(w, "kind");
            json_t *obj = zk_kube_informer_get(inf_of(st, kind), zk_json_str(w, "namespace"),
                                               zk_json_str(w, "name"));
            char why[600] = "";
            int rs = obj ? zk_ctl_rollout_state(kind, obj, restarted_at, why, sizeof(why))
                         : ZK_ROLLOUT_FAILED;
            if (!obj)
                snprintf(why, sizeof(why), "it was deleted");
            if (rs == ZK_ROLLOUT_PROGRESSING &&
                seconds_since(zk_json_str(w, "startTime"), now_s) > deadline) {
                rs = ZK_ROLLOUT_FAILED;
                snprintf(why, sizeof(why), "not healthy %lld s after its restart",
                         (long long)deadline);
            }
            if (rs == ZK_ROLLOUT_DONE) {
                zk_json_set_str(w, "state", "Restarted");
                zk_json_set_str(w, "completionTime", now);
                zk_ctl_event(c, br, "Normal", "Restarted", "%s %s/%s restarted", kind,
                             zk_json_str(w, "namespace"), zk_json_str(w, "name"));
            } else if (rs == ZK_ROLLOUT_FAILED) {
                zk_json_set_str(w, "state", "Failed");
                zk_json_set_str(w, "message", why);
                zk_json_set_str(w, "completionTime", now);
                zk_ctl_event(c, br, "Warning", "RestartFailed", "%s %s/%s: %s", kind,
                             zk_json_str(w, "namespace"), zk_json_str(w, "name"), why);
            }
        }
        set_counts(status);
        json_int_t failed = zk_json_int(status, "failed", 0);
        json_int_t running = zk_json_int(status, "inProgress", 0);
        bool halted = max_failures > 0 && failed >= max_failures;
        /* 2. new starts */
        json_int_t slots = immediate ? (json_int_t)json_array_size(ws) : max_conc - running;
        bool asking = false;
        if (!halted && !paused) {
            json_array_foreach(ws, i, w) {
                if (slots <= 0)
                    break;
                if (strcmp(zk_json_str(w, "state") ?: "", "Pending"))
                    continue;
                const char *kind = zk_json_str(w, "kind"), *wns = zk_json_str(w, "namespace");
                const zk_kube_resource *r = res_of(kind);
                const char *ok = may_patch(st, b, br, r->resource, wns);
                if (!ok) {
                    asking = true;   /* the answer comes; decide on the next pass */
                    slots--;
                    continue;
                }
                if (ok[0] == 'n') {
                    char msg[800];
                    snprintf(msg, sizeof(msg), "its requester may not patch %s in namespace %s%s%s",
                             r->resource, wns, ok[2] ? ": " : "", ok + 2);
                    zk_json_set_str(w, "state", "Skipped");
                    zk_json_set_str(w, "message", msg);
                    zk_ctl_event(c, br, "Warning", "Forbidden", "%s %s/%s: %s", kind, wns,
                                 zk_json_str(w, "name"), msg);
                    continue;
                }
                if (!zk_kube_informer_get(inf_of(st, kind), wns, zk_json_str(w, "name"))) {
                    zk_json_set_str(w, "state", "Skipped");
                    zk_json_set_str(w, "message", "it no longer exists");
                    continue;
                }
                json_t *patch = json_pack("{s:{s:{s:{s:{s:s}}}}}", "spec", "template", "metadata",
                                          "annotations", RESTARTED_AT, restarted_at);
                zk_ctl_batch_patch(b, r, wns, zk_json_str(w, "name"), NULL, NULL, patch);
                json_decref(patch);
                zk_json_set_str(w, "state", "Restarting");
                zk_json_set_str(w, "startTime", now);
                zk_ctl_event(c, br, "Normal", "Restarting", "%s %s/%s", kind, wns,
                             zk_json_str(w, "name"));
                slots--;
            }
        }
        if (halted) {
            json_array_foreach(ws, i, w) {
                if (!strcmp(zk_json_str(w, "state") ?: "", "Pending")) {
                    zk_json_set_str(w, "state", "Skipped");
                    zk_json_set_str(w, "message", "the batch stopped at maxFailures");
                }
            }
        }
        set_counts(status);
        running = zk_json_int(status, "inProgress", 0);
        json_int_t pending = zk_json_int(status, "pending", 0);
        failed = zk_json_int(status, "failed", 0);
        char msg[300];
        if (running == 0 && (pending == 0 || halted)) {
            if (halted) {
                snprintf(msg, sizeof(msg), "stopped: %lld rollouts failed (maxFailures %lld)",
                         (long long)failed, (long long)max_failures);
                finish(status, "Failed", "MaxFailures", msg, now);
                zk_ctl_event(c, br, "Warning", "Halted", "%s", msg);
            } else if (failed) {
                snprintf(msg, sizeof(msg), "%lld of %lld restarts failed", (long long)failed,
                         (long long)zk_json_int(status, "total", 0));
                finish(status, "Failed", "RestartsFailed", msg, now);
                zk_ctl_event(c, br, "Warning", "Completed", "%s", msg);
            } else {
                snprintf(msg, sizeof(msg), "%lld restarted, %lld skipped",
                         (long long)zk_json_int(status, "restarted", 0),
                         (long long)zk_json_int(status, "skipped", 0));
                finish(status, "Succeeded", "Completed", msg, now);
                zk_ctl_event(c, br, "Normal", "Completed", "%s", msg);
            }
        } else {
            zk_json_set_str(status, "phase", paused ? "Paused" : "Running");
            snprintf(msg, sizeof(msg), "%lld restarted, %lld rolling, %lld waiting, %lld failed",
                     (long long)zk_json_int(status, "restarted", 0), (long long)running,
                     (long long)pending, (long long)failed);
            zk_ctl_set_condition(status, "Progressing", paused ? "False" : "True",
                                 paused ? "Paused" : "Restarting", msg, false);
            requeue = true;
        }
        (void)asking;
    }
    if (!json_equal(status, json_object_get(br, "status"))) {
        json_t *upd = json_deep_copy(br);
        json_object_set(upd, "status", status);
        zk_ctl_batch_update(b, &zk_kube_batchrestarts, upd, "status");
        json_decref(upd);
    }
    json_decref(status);
    if (requeue)
        zk_ctl_batch_requeue_after(b, POLL_MS);
    zk_ctl_batch_end(b);
}

/* ---- events ---- */

static void br_ev(void *ctx, json_t *br)
{
    br_state *st = ctx;
    zk_ctl_enqueue_obj(st->c, br);
}

static void br_upd(void *ctx, json_t *old, json_t *br)
{
    (void)old;
    br_ev(ctx, br);
}

static void br_del(void *ctx, json_t *br)
{
    br_state *st = ctx;
    /* forget its access answers */
    char prefix[80];
    snprintf(prefix, sizeof(prefix), "%s|", zk_kube_uid(br) ?: "");
    size_t pos = 0, n = strlen(prefix);
    const char *k;
    void *v;
    char **gone = NULL;
    size_t ngone = 0;
    while (zk_map_next(st->access, &pos, &k, &v))
        if (!strncmp(k, prefix, n)) {
            gone = zk_xrealloc(gone, (ngone + 1) * sizeof(*gone));
            gone[ngone++] = zk_xstrdup(k);
        }
    for (size_t i = 0; i < ngone; i++) {
        free(zk_map_del(st->access, gone[i]));
        free(gone[i]);
    }
    free(gone);
}

static void running_ev(void *ctx, json_t *w)
{
    (void)w;
    br_state *st = ctx;
    json_t **all = NULL;
    size_t n = zk_kube_informer_list(st->brs, &all);
    for (size_t i = 0; i < n; i++) {
        const char *phase = zk_json_path_str(all[i], "status", "phase", NULL);
        if (phase && (!strcmp(phase, "Running") || !strcmp(phase, "Paused")))
            zk_ctl_enqueue_obj(st->c, all[i]);
    }
    free(all);
}

static void running_upd(void *ctx, json_t *old, json_t *w)
{
    (void)old;
    running_ev(ctx, w);
}

static void *br_init(zk_ctl *c)
{
    br_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->access = zk_map_new();
    st->brs = zk_ctl_informer(c, &zk_kube_batchrestarts);
    st->deps = zk_ctl_informer(c, &zk_kube_deployments);
    st->sts = zk_ctl_informer(c, &zk_kube_statefulsets);
    st->dss = zk_ctl_informer(c, &zk_kube_daemonsets);
    zk_kube_informer_on(st->brs, &(zk_kube_handler){.add = br_ev, .update = br_upd,
                                                    .del = br_del, .ctx = st});
    zk_kube_handler wh = {.update = running_upd, .del = running_ev, .ctx = st};
    zk_kube_informer_on(st->deps, &wh);
    zk_kube_informer_on(st->sts, &wh);
    zk_kube_informer_on(st->dss, &wh);
    return st;
}

static void br_free(void *state)
{
    br_state *st = state;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->access, &pos, NULL, &v))
        free(v);
    zk_map_free(st->access);
    free(st);
}

const zk_ctl_def zk_ctl_batchrestart = {
    .name = "batchrestart", .workers = 2, .init = br_init, .sync = br_sync, .free = br_free};
