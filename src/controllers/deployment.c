/* zke controllers: Deployment.
 *
 * A Deployment owns ReplicaSets, one per pod template (named by the
 * template's hash). Each sync takes one step, as Kubernetes' controller
 * does, and the ReplicaSet and pod events that step causes bring the next:
 * - RollingUpdate: grow the new ReplicaSet up to replicas + maxSurge pods in
 *   all, shrink old ones while at least replicas - maxUnavailable pods stay
 *   available (unhealthy old pods go first);
 * - Recreate: scale old ReplicaSets to 0, wait until their pods are gone,
 *   then scale the new one up;
 * - paused: only scaling, no rollout;
 * and it keeps revisions (deployment.kubernetes.io/revision), prunes history
 * past revisionHistoryLimit, and reports status with the Available and
 * Progressing conditions (progressDeadlineSeconds included), which is what
 * `kubectl rollout status` reads. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "kube/selector.h"

#define ANN_REVISION "deployment.kubernetes.io/revision"
#define ANN_DESIRED "deployment.kubernetes.io/desired-replicas"
#define ANN_MAX "deployment.kubernetes.io/max-replicas"
#define ANN_HISTORY "deployment.kubernetes.io/revision-history"
#define HASH_LABEL "pod-template-hash"

/* ---- arithmetic (pure) ---- */

int64_t zk_ctl_int_or_percent(const json_t *v, int64_t total, bool round_up, int64_t dflt)
{
    if (!v || json_is_null(v))
        return dflt;
    if (json_is_integer(v))
        return json_integer_value(v);
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    char *end;
    long long pct = strtoll(s, &end, 10);
    if (end == s || strcmp(end, "%") != 0 || pct < 0)
        return -1;
    if (round_up)
        return (int64_t)((pct * total + 99) / 100);
    return (int64_t)(pct * total / 100);
}

void zk_ctl_rolling_params(const json_t *d, int64_t *surge, int64_t *unavailable)
{
    int64_t want = zk_json_int(json_object_get(d, "spec"), "replicas", 1);
    json_t *ru = zk_json_path(d, "spec", "strategy", "rollingUpdate", NULL);
    int64_t s = zk_ctl_int_or_percent(json_object_get(ru, "maxSurge"), want, true, 0);
    int64_t u = zk_ctl_int_or_percent(json_object_get(ru, "maxUnavailable"), want, false, 0);
    if (!ru) {
        /* the server defaults both to 25% */
        s = (25 * want + 99) / 100;
        u = 25 * want / 100;
    }
    if (s < 0)
        s = 0;
    if (u < 0)
        u = 0;
    if (u > want)
        u = want;
    if (s == 0 && u == 0)
        u = 1;
    *surge = s;
    *unavailable = u;
}

int64_t zk_ctl_rolling_new_replicas(int64_t want, int64_t surge, int64_t total_current,
                                    int64_t new_current)
{
    int64_t max_total = want + surge;
    if (total_current >= max_total)
        return new_current;
    int64_t up = max_total - total_current;
    if (up > want - new_current)
        up = want - new_current;
    if (up < 0)
        up = 0;
    return new_current + up;
}

int64_t zk_ctl_rolling_max_scale_down(int64_t want, int64_t unavailable, int64_t all_pods,
                                      int64_t new_unavailable_replicas)
{
    int64_t min_available = want - unavailable;
    int64_t n = all_pods - min_available - new_unavailable_replicas;
    return n > 0 ? n : 0;
}

void zk_ctl_template_hash(const json_t *tmpl, int64_t collisions, char *out, size_t n)
{
    char *text = json_dumps(tmpl, JSON_COMPACT | JSON_SORT_KEYS);
    uint32_t h = 2166136261u;   /* FNV-1a, 32 bits */
    for (const char *p = text; p && *p; p++) {
        h ^= (unsigned char)*p;
        h *= 16777619u;
    }
    if (collisions > 0) {
        char c[32];
        snprintf(c, sizeof(c), "%" PRId64, collisions);
        for (const char *p = c; *p; p++) {
            h ^= (unsigned char)*p;
            h *= 16777619u;
        }
    }
    free(text);
    /* no vowels, no look-alike characters: never spells a word, as
     * Kubernetes' own encoding of these hashes */
    static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
    char buf[16];
    size_t i = 0;
    do {
        buf[i++] = alpha[h % (sizeof(alpha) - 1)];
        h /= (sizeof(alpha) - 1);
    } while (h && i < sizeof(buf) - 1);
    size_t j = 0;
    for (; j < i && j + 1 < n; j++)
        out[j] = buf[i - 1 - j];
    out[j] = 0;
}

/* ---- state ---- */

typedef struct dep_state {
    zk_ctl *c;
    zk_kube_informer *deps, *rs, *pods;
} dep_state;

static void d_add(void *ctx, json_t *o) { zk_ctl_enqueue_obj(((dep_state *)ctx)->c, o); }
static void d_upd(void *ctx, json_t *a, json_t *o) { zk_ctl_enqueue_obj(((dep_state *)ctx)->c, o); }
static void rs_ev(void *ctx, json_t *o) { zk_ctl_enqueue_owner(((dep_state *)ctx)->c, o, "Deployment"); }
static void rs_upd(void *ctx, json_t *a, json_t *o) { rs_ev(ctx, o); }

/* A pod went away: its ReplicaSet's Deployment may be waiting for that
 * (Recreate). */
static void pod_del(void *ctx, json_t *pod)
{
    dep_state *st = ctx;
    json_t *ref = zk_kube_controller_ref(pod);
    const char *k = ref ? zk_json_str(ref, "kind") : NULL;
    if (!k || strcmp(k, "ReplicaSet"))
        return;
    json_t *rs = zk_kube_informer_get(st->rs, zk_kube_namespace(pod), zk_json_str(ref, "name"));
    if (rs)
        rs_ev(st, rs);
}

static int64_t rs_replicas(const json_t *rs)
{
    return zk_json_int(json_object_get(rs, "spec"), "replicas", 1);
}

static int64_t rs_status(const json_t *rs, const char *f)
{
    return zk_json_int(json_object_get(rs, "status"), f, 0);
}

static int64_t revision_of(const json_t *o)
{
    const char *r = zk_json_path_str(o, "metadata", "annotations", ANN_REVISION, NULL);
    return r ? strtoll(r, NULL, 10) : 0;
}

static int64_t created_at(const json_t *o)
{
    const char *t = zk_json_path_str(o, "metadata", "creationTimestamp", NULL);
    return t ? zk_time_parse_rfc3339(t) : 0;
}

static int oldest_first(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int64_t ta = created_at(a), tb = created_at(b);
    if (ta != tb)
        return ta < tb ? -1 : 1;
    return strcmp(zk_kube_name(a), zk_kube_name(b));
}

/* Does the ReplicaSet's template equal the Deployment's, ignoring the
 * hash label? */
static bool same_template(const json_t *d, const json_t *rs)
{
    json_t *rt = json_deep_copy(zk_json_path(rs, "spec", "template", NULL));
    json_t *labels = zk_json_path(rt, "metadata", "labels", NULL);
    if (labels) {
        json_object_del(labels, HASH_LABEL);
        if (!json_object_size(labels))
            json_object_del(json_object_get(rt, "metadata"), "labels");
    }
    json_t *dt = json_deep_copy(zk_json_path(d, "spec", "template", NULL));
    json_t *dl = zk_json_path(dt, "metadata", "labels", NULL);
    if (dl && !json_object_size(dl))
        json_object_del(json_object_get(dt, "metadata"), "labels");
    bool eq = json_equal(rt, dt);
    json_decref(rt);
    json_decref(dt);
    return eq;
}

/* One sync's view of a Deployment. */
typedef struct dview {
    json_t *d;
    const char *ns, *name;
    int64_t want, surge, unavailable;
    json_t **all;          /* owned ReplicaSets, oldest first */
    size_t nall;
    json_t *newrs;         /* matching the template, or NULL */
    json_t **old;
    size_t nold;
    json_t *created;       /* a new ReplicaSet being created in this sync */
    zk_ctl_batch *b;
    zk_kube_informer *pods;
    int64_t min_ready, now;
    /* replicas decided in this sync per ReplicaSet name (for status and
     * the annotations) */
} dview;

/* Available pods of rs counted from the pods themselves: a ReplicaSet's
 * status lags behind the deletions this controller just caused, and a
 * rollout that trusted it could take more pods down than maxUnavailable
 * allows. Pods being deleted are not available, nor are pods over the
 * ReplicaSet's spec.replicas. */
static int64_t pods_available(const dview *v, const json_t *rs)
{
    json_t **pods = NULL;
    size_t n = zk_kube_informer_by_index(v->pods, "owner", zk_kube_uid(rs), &pods);
    int64_t a = 0;
    for (size_t i = 0; i < n; i++)
        if (zk_ctl_pod_active(pods[i]) && zk_ctl_pod_available(pods[i], v->min_ready, v->now))
            a++;
    free(pods);
    /* pods over spec.replicas are about to go (the ReplicaSet controller
     * may not have deleted them yet), and it may pick available ones */
    int64_t want = rs_replicas(rs);
    return a < want ? a : want;
}

/* Pods of rs that exist and are not being deleted, or its spec.replicas if
 * more: a ReplicaSet just scaled down may not have deleted its surplus
 * yet, and those pods still count against maxSurge. */
static int64_t pods_counted(const dview *v, const json_t *rs)
{
    json_t **pods = NULL;
    size_t n = zk_kube_informer_by_index(v->pods, "owner", zk_kube_uid(rs), &pods);
    int64_t a = 0;
    for (size_t i = 0; i < n; i++)
        if (zk_ctl_pod_active(pods[i]))
            a++;
    free(pods);
    int64_t want = rs_replicas(rs);
    return a > want ? a : want;
}

/* Scale rs to n (and refresh its annotations). */
static void scale_rs(dview *v, json_t *rs, int64_t n)
{
    char des[32], max[32];
    snprintf(des, sizeof(des), "%" PRId64, v->want);
    snprintf(max, sizeof(max), "%" PRId64, v->want + v->surge);
    json_t *patch = json_pack("{s:{s:{s:s,s:s}},s:{s:I}}", "metadata", "annotations", ANN_DESIRED,
                              des, ANN_MAX, max, "spec", "replicas", (json_int_t)n);
    zk_ctl_batch_patch(v->b, &zk_kube_replicasets, v->ns, zk_kube_name(rs), NULL, NULL, patch);
    json_decref(patch);
}

static int64_t max_revision(const dview *v)
{
    int64_t m = 0;
    for (size_t i = 0; i < v->nall; i++) {
        int64_t r = revision_of(v->all[i]);
        if (r > m)
            m = r;
    }
    return m;
}

/* Create the new ReplicaSet with n replicas. */
static void create_new_rs(zk_ctl *c, dview *v, int64_t n)
{
    json_t *d = v->d;
    int64_t collisions = zk_json_int(json_object_get(d, "status"), "collisionCount", 0);
    json_t *tmpl = json_deep_copy(zk_json_path(d, "spec", "template", NULL));
    char hash[16];
    zk_ctl_template_hash(tmpl, collisions, hash, sizeof(hash));
    json_t *tmeta = zk_json_path_obj(tmpl, "metadata", NULL);
    json_t *tlabels = json_object_get(tmeta, "labels");
    if (!json_is_object(tlabels)) {
        tlabels = json_object();
        json_object_set_new(tmeta, "labels", tlabels);
    }
    json_object_set_new(tlabels, HASH_LABEL, json_string(hash));
    json_t *sel = json_deep_copy(zk_json_path(d, "spec", "selector", NULL));
    if (!json_is_object(sel)) {
        json_decref(sel);
        sel = json_object();
    }
    json_t *ml = json_object_get(sel, "matchLabels");
    if (!json_is_object(ml)) {
        ml = json_object();
        json_object_set_new(sel, "matchLabels", ml);
    }
    json_object_set_new(ml, HASH_LABEL, json_string(hash));
    char name[320];
    snprintf(name, sizeof(name), "%.240s-%s", v->name, hash);
    char rev[32], des[32], max[32];
    snprintf(rev, sizeof(rev), "%" PRId64, max_revision(v) + 1);
    snprintf(des, sizeof(des), "%" PRId64, v->want);
    snprintf(max, sizeof(max), "%" PRId64, v->want + v->surge);
    json_t *ann = json_object();
    /* the Deployment's own annotations travel (change-cause for history) */
    const char *key;
    json_t *val;
    json_object_foreach(zk_json_path(d, "metadata", "annotations", NULL), key, val) {
        if (strncmp(key, "deployment.kubernetes.io/", 25) &&
            strcmp(key, "kubectl.kubernetes.io/last-applied-configuration"))
            json_object_set(ann, key, val);
    }
    json_object_set_new(ann, ANN_REVISION, json_string(rev));
    json_object_set_new(ann, ANN_DESIRED, json_string(des));
    json_object_set_new(ann, ANN_MAX, json_string(max));
    json_t *labels = json_deep_copy(tlabels);
    json_t *rs = json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:o,s:[o]},s:{s:I,s:I,s:o,s:o}}",
                           "apiVersion", "apps/v1", "kind", "ReplicaSet", "metadata", "name", name,
                           "namespace", v->ns, "labels", labels, "annotations", ann,
                           "ownerReferences", zk_ctl_owner_ref(d), "spec", "replicas",
                           (json_int_t)n, "minReadySeconds",
                           (json_int_t)zk_json_int(json_object_get(d, "spec"), "minReadySeconds", 0),
                           "selector", sel, "template", tmpl);
    zk_ctl_batch_create(v->b, &zk_kube_replicasets, v->ns, rs);
    zk_ctl_event(c, d, "Normal", "ScalingReplicaSet", "Scaled up replica set %s from 0 to %" PRId64,
                 name, n);
    v->created = rs;
}

static bool is_complete(const dview *v)
{
    json_t *st = json_object_get(v->d, "status");
    int64_t gen = zk_json_int(json_object_get(v->d, "metadata"), "generation", 0);
    int64_t old = 0;
    for (size_t i = 0; i < v->nold; i++)
        old += rs_replicas(v->old[i]) + rs_status(v->old[i], "replicas");
    return v->newrs && rs_replicas(v->newrs) == v->want &&
           rs_status(v->newrs, "replicas") == v->want &&
           rs_status(v->newrs, "availableReplicas") >= v->want && old == 0 &&
           zk_json_int(st, "observedGeneration", 0) <= gen;
}

/* Status from the ReplicaSets, with the conditions. */
static void write_status(zk_ctl *c, dview *v, bool progressed, const char *prog_reason,
                         const char *prog_msg)
{
    json_t *d = v->d;
    json_t *cur = json_object_get(d, "status");
    json_t *status = json_deep_copy(json_is_object(cur) ? cur : NULL);
    if (!status)
        status = json_object();
    int64_t replicas = 0, ready = 0, available = 0, updated = 0;
    for (size_t i = 0; i < v->nall; i++) {
        replicas += rs_status(v->all[i], "replicas");
        ready += rs_status(v->all[i], "readyReplicas");
        available += rs_status(v->all[i], "availableReplicas");
    }
    if (v->newrs)
        updated = rs_status(v->newrs, "replicas");
    int64_t unavail = v->want - available;
    if (unavail < 0)
        unavail = 0;
    int64_t gen = zk_json_int(json_object_get(d, "metadata"), "generation", 0);
    json_object_set_new(status, "observedGeneration", json_integer(gen));
    json_object_set_new(status, "replicas", json_integer(replicas));
    json_object_set_new(status, "updatedReplicas", json_integer(updated));
    json_object_set_new(status, "readyReplicas", json_integer(ready));
    json_object_set_new(status, "availableReplicas", json_integer(available));
    json_object_set_new(status, "unavailableReplicas", json_integer(unavail));
    /* zero counts are omitted, as Kubernetes' JSON does */
    const char *zero_omit[] = {"replicas", "updatedReplicas", "readyReplicas",
                               "availableReplicas", "unavailableReplicas"};
    for (size_t i = 0; i < 5; i++)
        if (zk_json_int(status, zero_omit[i], 0) == 0)
            json_object_del(status, zero_omit[i]);
    json_t *cur_obj = json_is_object(cur) ? cur : NULL;
    if (available >= v->want - v->unavailable)
        zk_ctl_set_condition(status, "Available", "True", "MinimumReplicasAvailable",
                             "Deployment has minimum availability.", false);
    else
        zk_ctl_set_condition(status, "Available", "False", "MinimumReplicasUnavailable",
                             "Deployment does not have minimum availability.", false);
    if (prog_reason) {
        const char *cs = !strcmp(prog_reason, "ProgressDeadlineExceeded") ? "False"
                         : !strcmp(prog_reason, "DeploymentPaused")       ? "Unknown"
                                                                          : "True";
        json_t *pc = zk_ctl_get_condition(status, "Progressing");
        const char *old_reason = pc ? zk_json_str(pc, "reason") : NULL;
        bool same = old_reason && !strcmp(old_reason, prog_reason);
        /* lastUpdateTime moves with progress, which restarts the deadline */
        zk_ctl_set_condition(status, "Progressing", cs, prog_reason, prog_msg,
                             progressed || !same);
    }
    /* Available first, then Progressing, as the API server returns them */
    if (!json_equal(status, cur)) {
        /* a merge patch removes a field only when it says null */
        for (size_t i = 0; i < 5; i++)
            if (!json_object_get(status, zero_omit[i]) && json_object_get(cur_obj, zero_omit[i]))
                json_object_set_new(status, zero_omit[i], json_null());
        json_t *patch = json_pack("{s:o}", "status", status);
        zk_ctl_batch_patch(v->b, &zk_kube_deployments, v->ns, v->name, "status", NULL, patch);
        json_decref(patch);
    } else {
        json_decref(status);
    }
}

/* The Progressing condition for where the rollout is. */
static void progress(zk_ctl *c, dview *v, bool progressed)
{
    char msg[512];
    json_t *d = v->d;
    bool paused = json_is_true(zk_json_path(d, "spec", "paused", NULL));
    const char *rsname = v->newrs ? zk_kube_name(v->newrs)
                         : v->created ? zk_kube_name(v->created)
                                      : "";
    if (paused) {
        write_status(c, v, false, "DeploymentPaused", "Deployment is paused");
        return;
    }
    json_t *pc = zk_ctl_get_condition(json_object_get(d, "status"), "Progressing");
    const char *reason = pc ? zk_json_str(pc, "reason") : NULL;
    if (reason && !strcmp(reason, "DeploymentPaused")) {
        write_status(c, v, true, "DeploymentResumed", "Deployment is resumed");
        return;
    }
    if (v->created) {
        snprintf(msg, sizeof(msg), "Created new replica set \"%s\"", rsname);
        write_status(c, v, true, "NewReplicaSetCreated", msg);
        return;
    }
    if (is_complete(v)) {
        snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has successfully progressed.", rsname);
        write_status(c, v, false, "NewReplicaSetAvailable", msg);
        return;
    }
    int64_t deadline = zk_json_int(json_object_get(d, "spec"), "progressDeadlineSeconds", 600);
    if (!progressed && pc && reason && strcmp(reason, "ProgressDeadlineExceeded") &&
        strcmp(reason, "NewReplicaSetAvailable")) {
        const char *lu = zk_json_str(pc, "lastUpdateTime");
        int64_t t = lu ? zk_time_parse_rfc3339(lu) : 0;
        int64_t now = zk_wall_s();
        if (t > 0 && now > t + deadline) {
            snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has timed out progressing.", rsname);
            write_status(c, v, false, "ProgressDeadlineExceeded", msg);
            zk_ctl_event(c, d, "Warning", "ProgressDeadlineExceeded", "%s", msg);
            return;
        }
        if (t > 0)
            zk_ctl_batch_requeue_after(v->b, (uint64_t)(t + deadline - now + 1) * 1000);
    }
    if (reason && !strcmp(reason, "ProgressDeadlineExceeded") && !progressed) {
        write_status(c, v, false, NULL, NULL);
        return;
    }
    if (!pc || progressed) {
        snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" is progressing.", rsname);
        write_status(c, v, progressed, pc ? "ReplicaSetUpdated" : "FoundNewReplicaSet", msg);
        if (progressed)
            zk_ctl_batch_requeue_after(v->b, (uint64_t)(deadline + 1) * 1000);
        return;
    }
    write_status(c, v, false, NULL, NULL);
}

/* Delete old ReplicaSets past revisionHistoryLimit (oldest first). */
static void cleanup_history(dview *v)
{
    int64_t limit = zk_json_int(json_object_get(v->d, "spec"), "revisionHistoryLimit", 10);
    size_t idle = 0;
    for (size_t i = 0; i < v->nold; i++)
        if (rs_replicas(v->old[i]) == 0 && rs_status(v->old[i], "replicas") == 0)
            idle++;
    if ((int64_t)idle <= limit)
        return;
    size_t drop = idle - (size_t)limit;
    for (size_t i = 0; i < v->nold && drop > 0; i++) {
        json_t *rs = v->old[i];
        if (rs_replicas(rs) != 0 || rs_status(rs, "replicas") != 0)
            continue;
        zk_ctl_batch_delete(v->b, &zk_kube_replicasets, v->ns, zk_kube_name(rs),
                            zk_kube_uid(rs), NULL);
        drop--;
    }
}

/* Scaling without a rollout step: one active ReplicaSet takes the new
 * count; with several, the difference goes to the largest (newest on a
 * tie), and a surplus is taken from the oldest. */
static bool scale(zk_ctl *c, dview *v)
{
    json_t *active[64];
    size_t nact = 0;
    int64_t sum = 0;
    bool scaling_event = false;
    char des[32];
    snprintf(des, sizeof(des), "%" PRId64, v->want);
    for (size_t i = 0; i < v->nall && nact < 64; i++) {
        if (rs_replicas(v->all[i]) <= 0)
            continue;
        active[nact++] = v->all[i];
        sum += rs_replicas(v->all[i]);
        const char *a = zk_json_path_str(v->all[i], "metadata", "annotations", ANN_DESIRED, NULL);
        if (!a || strcmp(a, des))
            scaling_event = true;
    }
    if (!scaling_event)
        return false;
    if (nact == 0) {
        if (v->newrs) {
            scale_rs(v, v->newrs, v->want);
            return true;
        }
        return false;
    }
    if (nact == 1) {
        scale_rs(v, active[0], v->want);
        zk_ctl_event(c, v->d, "Normal", "ScalingReplicaSet",
                     "Scaled %s replica set %s from %" PRId64 " to %" PRId64,
                     v->want > rs_replicas(active[0]) ? "up" : "down", zk_kube_name(active[0]),
                     rs_replicas(active[0]), v->want);
        return true;
    }
    int64_t allowed = v->want + v->surge;   /* surge is 0 for Recreate */
    int64_t delta = allowed - sum;
    if (delta > 0) {
        json_t *big = active[0];
        for (size_t i = 1; i < nact; i++)
            if (rs_replicas(active[i]) >= rs_replicas(big))
                big = active[i];
        scale_rs(v, big, rs_replicas(big) + delta);
        for (size_t i = 0; i < nact; i++)
            if (active[i] != big)
                scale_rs(v, active[i], rs_replicas(active[i]));
    } else {
        int64_t left = -delta;
        for (size_t i = 0; i < nact; i++) {
            int64_t r = rs_replicas(active[i]);
            int64_t take = left < r ? left : r;
            scale_rs(v, active[i], r - take);
            left -= take;
        }
    }
    return true;
}

static bool rollout_rolling(zk_ctl *c, dview *v)
{
    int64_t total = 0;
    for (size_t i = 0; i < v->nall; i++)
        total += pods_counted(v, v->all[i]);
    if (!v->newrs) {
        int64_t n = zk_ctl_rolling_new_replicas(v->want, v->surge, total, 0);
        create_new_rs(c, v, n);
        return true;
    }
    /* the new ReplicaSet */
    int64_t cur = rs_replicas(v->newrs);
    if (cur > v->want) {
        scale_rs(v, v->newrs, v->want);
        zk_ctl_event(c, v->d, "Normal", "ScalingReplicaSet",
                     "Scaled down replica set %s from %" PRId64 " to %" PRId64,
                     zk_kube_name(v->newrs), cur, v->want);
        return true;
    }
    int64_t n = zk_ctl_rolling_new_replicas(v->want, v->surge, total, cur);
    if (n != cur) {
        scale_rs(v, v->newrs, n);
        zk_ctl_event(c, v->d, "Normal", "ScalingReplicaSet",
                     "Scaled up replica set %s from %" PRId64 " to %" PRId64,
                     zk_kube_name(v->newrs), cur, n);
        return true;
    }
    /* the old ones */
    int64_t oldn = 0;
    for (size_t i = 0; i < v->nold; i++)
        oldn += rs_replicas(v->old[i]);
    if (oldn == 0)
        return false;
    int64_t new_unavail = rs_replicas(v->newrs) - pods_available(v, v->newrs);
    if (new_unavail < 0)
        new_unavail = 0;
    int64_t can = zk_ctl_rolling_max_scale_down(v->want, v->unavailable, total, new_unavail);
    if (can <= 0)
        return false;
    bool changed = false;
    int64_t *target = zk_xcalloc(v->nold ? v->nold : 1, sizeof(*target));
    for (size_t i = 0; i < v->nold; i++)
        target[i] = rs_replicas(v->old[i]);
    /* unhealthy old pods first: they count against nothing */
    for (size_t i = 0; i < v->nold && can > 0; i++) {
        int64_t unhealthy = target[i] - pods_available(v, v->old[i]);
        if (unhealthy <= 0)
            continue;
        int64_t take = unhealthy < can ? unhealthy : can;
        target[i] -= take;
        can -= take;
        total -= take;
    }
    /* then available ones, keeping replicas - maxUnavailable available */
    int64_t avail = 0;
    for (size_t i = 0; i < v->nall; i++)
        avail += pods_available(v, v->all[i]);
    int64_t min_avail = v->want - v->unavailable;
    int64_t down = avail - min_avail;
    for (size_t i = 0; i < v->nold && down > 0; i++) {
        int64_t take = target[i] < down ? target[i] : down;
        target[i] -= take;
        down -= take;
    }
    for (size_t i = 0; i < v->nold; i++) {
        if (target[i] == rs_replicas(v->old[i]))
            continue;
        zk_ctl_event(c, v->d, "Normal", "ScalingReplicaSet",
                     "Scaled down replica set %s from %" PRId64 " to %" PRId64,
                     zk_kube_name(v->old[i]), rs_replicas(v->old[i]), target[i]);
        scale_rs(v, v->old[i], target[i]);
        changed = true;
    }
    free(target);
    return changed;
}

static bool rollout_recreate(zk_ctl *c, dview *v, dep_state *st)
{
    bool changed = false;
    for (size_t i = 0; i < v->nold; i++) {
        if (rs_replicas(v->old[i]) == 0)
            continue;
        zk_ctl_event(c, v->d, "Normal", "ScalingReplicaSet",
                     "Scaled down replica set %s from %" PRId64 " to 0", zk_kube_name(v->old[i]),
                     rs_replicas(v->old[i]));
        scale_rs(v, v->old[i], 0);
        changed = true;
    }
    if (changed)
        return true;
    /* wait until no pod of an old ReplicaSet is left */
    for (size_t i = 0; i < v->nold; i++) {
        json_t **pods = NULL;
        size_t n = zk_kube_informer_by_index(st->pods, "owner", zk_kube_uid(v->old[i]), &pods);
        size_t running = 0;
        for (size_t j = 0; j < n; j++) {
            const char *ph = zk_json_path_str(pods[j], "status", "phase", NULL);
            if (!ph || (strcmp(ph, "Succeeded") && strcmp(ph, "Failed")))
                running++;
        }
        free(pods);
        if (running)
            return false;
    }
    if (!v->newrs) {
        create_new_rs(c, v, v->want);
        return true;
    }
    if (rs_replicas(v->newrs) != v->want) {
        zk_ctl_event(c, v->d, "Normal", "ScalingReplicaSet",
                     "Scaled up replica set %s from %" PRId64 " to %" PRId64,
                     zk_kube_name(v->newrs), rs_replicas(v->newrs), v->want);
        scale_rs(v, v->newrs, v->want);
        return true;
    }
    return false;
}

static void dep_sync(zk_ctl *c, void *state, const char *key)
{
    dep_state *st = state;
    json_t *d = zk_kube_informer_get_key(st->deps, key);
    if (!d || zk_json_path(d, "metadata", "deletionTimestamp", NULL)) {
        zk_ctl_done(c, key, false);
        return;
    }
    zk_kube_selector *sel = NULL;
    zk_err err = {0};
    if (zk_kube_selector_from_json(zk_json_path(d, "spec", "selector", NULL), &sel, &err) < 0 ||
        zk_kube_selector_empty(sel)) {
        zk_ctl_event(c, d, "Warning", "SelectorParsingFailed", "invalid selector: %s",
                     err.msg[0] ? err.msg : "empty selector");
        zk_kube_selector_free(sel);
        zk_ctl_done(c, key, false);
        return;
    }
    dview v = {.d = d, .ns = zk_kube_namespace(d), .name = zk_kube_name(d)};
    v.want = zk_json_int(json_object_get(d, "spec"), "replicas", 1);
    const char *stype = zk_json_path_str(d, "spec", "strategy", "type", NULL);
    bool recreate = stype && !strcmp(stype, "Recreate");
    if (recreate) {
        v.surge = 0;
        v.unavailable = v.want;
    } else {
        zk_ctl_rolling_params(d, &v.surge, &v.unavailable);
    }
    v.b = zk_ctl_batch_begin(c, key);
    v.pods = st->pods;
    v.min_ready = zk_json_int(json_object_get(d, "spec"), "minReadySeconds", 0);
    v.now = zk_wall_s();

    /* owned ReplicaSets (and adoption of matching orphans) */
    json_t **owned = NULL;
    size_t n = zk_kube_informer_by_index(st->rs, "owner", zk_kube_uid(d), &owned);
    json_t **orph = NULL;
    size_t no = zk_kube_informer_by_index(st->rs, "orphan", v.ns, &orph);
    for (size_t i = 0; i < no; i++) {
        if (!zk_kube_selector_matches(sel, zk_json_path(orph[i], "metadata", "labels", NULL)))
            continue;
        json_t *patch = json_pack("{s:{s:[o],s:s}}", "metadata", "ownerReferences",
                                  zk_ctl_owner_ref(d), "uid", zk_kube_uid(orph[i]));
        zk_ctl_batch_patch(v.b, &zk_kube_replicasets, v.ns, zk_kube_name(orph[i]), NULL, NULL,
                           patch);
        json_decref(patch);
    }
    free(orph);
    zk_kube_selector_free(sel);
    v.all = zk_xmalloc((n + 1) * sizeof(*v.all));
    for (size_t i = 0; i < n; i++)
        if (!zk_json_path(owned[i], "metadata", "deletionTimestamp", NULL))
            v.all[v.nall++] = owned[i];
    free(owned);
    qsort(v.all, v.nall, sizeof(*v.all), oldest_first);
    v.old = zk_xmalloc((v.nall + 1) * sizeof(*v.old));
    for (size_t i = 0; i < v.nall; i++) {
        if (!v.newrs && same_template(d, v.all[i]))
            v.newrs = v.all[i];
        else
            v.old[v.nold++] = v.all[i];
    }
    /* a template seen before (rollout undo): it gets the next revision */
    char rev[32];
    if (v.newrs && v.nold && revision_of(v.newrs) < max_revision(&v)) {
        snprintf(rev, sizeof(rev), "%" PRId64, max_revision(&v) + 1);
        json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", ANN_REVISION, rev);
        zk_ctl_batch_patch(v.b, &zk_kube_replicasets, v.ns, zk_kube_name(v.newrs), NULL, NULL,
                           patch);
        json_decref(patch);
    }

    bool paused = json_is_true(zk_json_path(d, "spec", "paused", NULL));
    bool progressed;
    if (paused) {
        progressed = scale(c, &v);
        cleanup_history(&v);
    } else if (recreate) {
        progressed = scale(c, &v) || rollout_recreate(c, &v, st);
    } else {
        progressed = scale(c, &v) || rollout_rolling(c, &v);
    }
    if (!paused && is_complete(&v))
        cleanup_history(&v);

    /* the Deployment's revision annotation follows its new ReplicaSet */
    int64_t want_rev = v.created ? max_revision(&v) + 1
                       : v.newrs ? (revision_of(v.newrs) < max_revision(&v) && v.nold
                                        ? max_revision(&v) + 1
                                        : revision_of(v.newrs))
                                 : 0;
    if (want_rev > 0 && revision_of(d) != want_rev) {
        snprintf(rev, sizeof(rev), "%" PRId64, want_rev);
        json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", ANN_REVISION, rev);
        zk_ctl_batch_patch(v.b, &zk_kube_deployments, v.ns, v.name, NULL, NULL, patch);
        json_decref(patch);
    }
    progress(c, &v, progressed);
    json_decref(v.created);
    free(v.all);
    free(v.old);
    zk_ctl_batch_end(v.b);
}

static void *dep_init(zk_ctl *c)
{
    dep_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->deps = zk_ctl_informer(c, &zk_kube_deployments);
    st->rs = zk_ctl_informer(c, &zk_kube_replicasets);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    zk_kube_handler hd = {.add = d_add, .update = d_upd, .ctx = st};
    zk_kube_informer_on(st->deps, &hd);
    zk_kube_handler hr = {.add = rs_ev, .update = rs_upd, .del = rs_ev, .ctx = st};
    zk_kube_informer_on(st->rs, &hr);
    zk_kube_handler hp = {.del = pod_del, .ctx = st};
    zk_kube_informer_on(st->pods, &hp);
    return st;
}

const zk_ctl_def zk_ctl_deployment = {
    .name = "deployment", .workers = 4, .init = dep_init, .sync = dep_sync, .free = free};
