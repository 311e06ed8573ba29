/* zke controllers: ReplicaSet and ReplicationController.
 *
 * Keeps spec.replicas active pods matching the selector: creates pods from
 * the template (at most ZK_RS_BURST per sync; the key comes back for the
 * rest), deletes the surplus in Kubernetes' order of preference, adopts
 * matching orphans, and reports status. A ReplicationController is the same
 * with an equality-only selector given as a map. */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "kube/selector.h"

#define ZK_RS_BURST 500

typedef struct rs_state {
    zk_ctl *c;
    const zk_kube_resource *res;
    const char *kind;
    zk_kube_informer *rs, *pods;
} rs_state;

/* ---- ranking pods for deletion (pure) ---- */

static int phase_rank(const json_t *pod)
{
    const char *p = zk_json_path_str(pod, "status", "phase", NULL);
    if (!p || !strcmp(p, "Pending"))
        return 0;
    if (!strcmp(p, "Unknown"))
        return 1;
    return 2;   /* Running */
}

static int64_t ready_since(const json_t *pod)
{
    json_t *c = zk_ctl_get_condition(json_object_get(pod, "status"), "Ready");
    const char *t = c ? zk_json_str(c, "lastTransitionTime") : NULL;
    return t ? zk_time_parse_rfc3339(t) : 0;
}

static int64_t restarts(const json_t *pod)
{
    int64_t n = 0;
    size_t i;
    json_t *cs;
    json_array_foreach(zk_json_path(pod, "status", "containerStatuses", NULL), i, cs)
        n += zk_json_int(cs, "restartCount", 0);
    return n;
}

static int64_t deletion_cost(const json_t *pod)
{
    const char *s = zk_json_path_str(pod, "metadata", "annotations",
                                     "controller.kubernetes.io/pod-deletion-cost", NULL);
    return s ? strtoll(s, NULL, 10) : 0;
}

int zk_ctl_pod_delete_order(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    /* 1. not yet on a node first */
    bool an = zk_json_path_str(a, "spec", "nodeName", NULL) != NULL;
    bool bn = zk_json_path_str(b, "spec", "nodeName", NULL) != NULL;
    if (an != bn)
        return an ? 1 : -1;
    /* 2. Pending < Unknown < Running */
    int ap = phase_rank(a), bp = phase_rank(b);
    if (ap != bp)
        return ap - bp;
    /* 3. not ready first */
    bool ar = zk_ctl_pod_ready(a), br = zk_ctl_pod_ready(b);
    if (ar != br)
        return ar ? 1 : -1;
    /* 4. lower deletion cost first */
    int64_t ac = deletion_cost(a), bc = deletion_cost(b);
    if (ac != bc)
        return ac < bc ? -1 : 1;
    /* 5. ready for less time first */
    if (ar && br) {
        int64_t as = ready_since(a), bs = ready_since(b);
        if (as != bs)
            return as > bs ? -1 : 1;
    }
    /* 6. more restarts first */
    int64_t arr = restarts(a), brr = restarts(b);
    if (arr != brr)
        return arr > brr ? -1 : 1;
    /* 7. newer first */
    const char *at = zk_json_path_str(a, "metadata", "creationTimestamp", NULL);
    const char *bt = zk_json_path_str(b, "metadata", "creationTimestamp", NULL);
    int64_t a_t = at ? zk_time_parse_rfc3339(at) : 0, b_t = bt ? zk_time_parse_rfc3339(bt) : 0;
    if (a_t != b_t)
        return a_t > b_t ? -1 : 1;
    return strcmp(zk_kube_name(a), zk_kube_name(b));
}

/* A pod for owner from its template. New reference. */
json_t *zk_ctl_pod_from_template(const json_t *owner, const json_t *tmpl, const char *prefix)
{
    /* a copy: the template lives in a shared cache */
    json_t *spec = json_object_get(tmpl, "spec");
    json_t *pod = json_pack("{s:s,s:s,s:{s:s,s:s},s:o}", "apiVersion", "v1", "kind", "Pod",
                            "metadata", "generateName", prefix, "namespace",
                            zk_kube_namespace(owner), "spec",
                            spec ? json_deep_copy(spec) : json_object());
    json_t *meta = json_object_get(pod, "metadata");
    json_t *tm = json_object_get(tmpl, "metadata");
    json_t *labels = json_object_get(tm, "labels");
    json_t *ann = json_object_get(tm, "annotations");
    json_t *fins = json_object_get(tm, "finalizers");
    if (json_is_object(labels))
        json_object_set_new(meta, "labels", json_deep_copy(labels));
    if (json_is_object(ann))
        json_object_set_new(meta, "annotations", json_deep_copy(ann));
    if (json_is_array(fins))
        json_object_set_new(meta, "finalizers", json_deep_copy(fins));
    json_object_set_new(meta, "ownerReferences", json_pack("[o]", zk_ctl_owner_ref(owner)));
    return pod;
}

/* ---- sync ---- */

static void on_pod_event(rs_state *st, json_t *pod)
{
    zk_ctl_enqueue_owner(st->c, pod, st->kind);
}

static void pod_add(void *ctx, json_t *o) { on_pod_event(ctx, o); }
static void pod_del(void *ctx, json_t *o) { on_pod_event(ctx, o); }
static void pod_upd(void *ctx, json_t *old, json_t *o)
{
    rs_state *st = ctx;
    on_pod_event(st, o);
    /* the owner changed (orphaned or adopted): both owners care */
    json_t *a = zk_kube_controller_ref(old), *b = zk_kube_controller_ref(o);
    const char *ua = a ? zk_json_str(a, "uid") : NULL, *ub = b ? zk_json_str(b, "uid") : NULL;
    if (ua && (!ub || strcmp(ua, ub)))
        on_pod_event(st, old);
    if (!b) {
        /* an orphan: a ReplicaSet of its namespace whose selector matches
         * may adopt it */
        json_t **sets = NULL;
        size_t n = zk_kube_informer_by_index(st->rs, "namespace", zk_kube_namespace(o), &sets);
        for (size_t i = 0; i < n; i++)
            zk_ctl_enqueue_obj(st->c, sets[i]);
        free(sets);
    }
}

static void rs_add(void *ctx, json_t *o) { zk_ctl_enqueue_obj(((rs_state *)ctx)->c, o); }
static void rs_upd(void *ctx, json_t *a, json_t *o) { zk_ctl_enqueue_obj(((rs_state *)ctx)->c, o); }

static int build_selector(const rs_state *st, const json_t *rs, zk_kube_selector **sel)
{
    zk_err err = {0};
    if (st->res == &zk_kube_replicationcontrollers) {
        json_t *m = zk_json_path(rs, "spec", "selector", NULL);
        if (!json_is_object(m) || !json_object_size(m))
            m = zk_json_path(rs, "spec", "template", "metadata", "labels", NULL);
        return zk_kube_selector_from_map(m, sel, &err);
    }
    return zk_kube_selector_from_json(zk_json_path(rs, "spec", "selector", NULL), sel, &err);
}

static void rs_sync(zk_ctl *c, void *state, const char *key)
{
    rs_state *st = state;
    json_t *rs = zk_kube_informer_get_key(st->rs, key);
    if (!rs || zk_json_path(rs, "metadata", "deletionTimestamp", NULL)) {
        zk_ctl_done(c, key, false);
        return;
    }
    zk_kube_selector *sel = NULL;
    if (build_selector(st, rs, &sel) < 0 || zk_kube_selector_matches_nothing(sel)) {
        zk_kube_selector_free(sel);
        zk_ctl_done(c, key, false);
        return;
    }
    const char *ns = zk_kube_namespace(rs);
    const char *uid = zk_kube_uid(rs);
    int64_t want = zk_json_int(json_object_get(rs, "spec"), "replicas", 1);
    int64_t min_ready = zk_json_int(json_object_get(rs, "spec"), "minReadySeconds", 0);
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);

    json_t **owned = NULL;
    size_t nowned = zk_kube_informer_by_index(st->pods, "owner", uid, &owned);
    json_t **active = zk_xmalloc((nowned + 1) * sizeof(*active));
    size_t nactive = 0;
    int64_t ready = 0, available = 0, labeled = 0;
    int64_t now = zk_wall_s();
    uint64_t recheck = 0;
    for (size_t i = 0; i < nowned; i++) {
        json_t *p = owned[i];
        json_t *labels = zk_json_path(p, "metadata", "labels", NULL);
        if (!zk_kube_selector_matches(sel, labels)) {
            /* no longer matches: release it (as Kubernetes' orphaning) */
            json_t *patch = json_pack("{s:{s:[]}}", "metadata", "ownerReferences");
            zk_ctl_batch_patch(b, &zk_kube_pods, ns, zk_kube_name(p), NULL, NULL, patch);
            json_decref(patch);
            continue;
        }
        if (!zk_ctl_pod_active(p))
            continue;
        active[nactive++] = p;
        labeled++;
        if (zk_ctl_pod_ready(p)) {
            ready++;
            if (zk_ctl_pod_available(p, min_ready, now))
                available++;
            else {
                int64_t left = ready_since(p) + min_ready - now;
                uint64_t ms = left > 0 ? (uint64_t)left * 1000 + 100 : 1000;
                if (!recheck || ms < recheck)
                    recheck = ms;
            }
        }
    }
    free(owned);
    /* adopt orphans in the namespace that match */
    {
        json_t **inns = NULL;
        size_t n = zk_kube_informer_by_index(st->pods, "orphan", ns, &inns);
        for (size_t i = 0; i < n; i++) {
            json_t *p = inns[i];
            if (zk_kube_controller_ref(p) || !zk_ctl_pod_active(p))
                continue;
            if (!zk_kube_selector_matches(sel, zk_json_path(p, "metadata", "labels", NULL)))
                continue;
            json_t *refs = json_pack("[o]", zk_ctl_owner_ref(rs));
            json_t *patch = json_pack("{s:{s:o,s:s}}", "metadata", "ownerReferences", refs,
                                      "uid", zk_kube_uid(p));
            zk_ctl_batch_patch(b, &zk_kube_pods, ns, zk_kube_name(p), NULL, NULL, patch);
            json_decref(patch);
        }
        free(inns);
    }
    zk_kube_selector_free(sel);

    int64_t diff = (int64_t)nactive - want;
    if (diff < 0) {
        int64_t n = -diff > ZK_RS_BURST ? ZK_RS_BURST : -diff;
        char prefix[300];
        snprintf(prefix, sizeof(prefix), "%.240s-", zk_kube_name(rs));
        json_t *tmpl = zk_json_path(rs, "spec", "template", NULL);
        json_t *pod = zk_ctl_pod_from_template(rs, tmpl, prefix);
        for (int64_t i = 0; i < n; i++)
            zk_ctl_batch_create(b, &zk_kube_pods, ns, pod);
        json_decref(pod);
        if (-diff > ZK_RS_BURST)
            zk_ctl_batch_requeue_after(b, 1);
    } else if (diff > 0) {
        qsort(active, nactive, sizeof(*active), zk_ctl_pod_delete_order);
        for (int64_t i = 0; i < diff; i++)
            zk_ctl_batch_delete(b, &zk_kube_pods, ns, zk_kube_name(active[i]),
                                zk_kube_uid(active[i]), NULL);
    }
    free(active);

    /* status, when it changed */
    json_t *status = json_object_get(rs, "status");
    int64_t gen = zk_json_int(json_object_get(rs, "metadata"), "generation", 0);
    if (zk_json_int(status, "replicas", 0) != (int64_t)nactive ||
        zk_json_int(status, "fullyLabeledReplicas", 0) != labeled ||
        zk_json_int(status, "readyReplicas", 0) != ready ||
        zk_json_int(status, "availableReplicas", 0) != available ||
        zk_json_int(status, "observedGeneration", 0) != gen) {
        json_t *ns_status = json_pack("{s:I,s:I,s:I,s:I,s:I}", "replicas", (json_int_t)nactive,
                                      "fullyLabeledReplicas", (json_int_t)labeled,
                                      "readyReplicas", (json_int_t)ready, "availableReplicas",
                                      (json_int_t)available, "observedGeneration",
                                      (json_int_t)gen);
        json_t *patch = json_pack("{s:o}", "status", ns_status);
        zk_ctl_batch_patch(b, st->res, ns, zk_kube_name(rs), "status", NULL, patch);
        json_decref(patch);
    }
    if (recheck)
        zk_ctl_batch_requeue_after(b, recheck);
    zk_ctl_batch_end(b);
}

static void *rs_init_common(zk_ctl *c, const zk_kube_resource *res, const char *kind)
{
    rs_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->res = res;
    st->kind = kind;
    st->rs = zk_ctl_informer(c, res);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    zk_kube_handler hr = {.add = rs_add, .update = rs_upd, .ctx = st};
    zk_kube_informer_on(st->rs, &hr);
    zk_kube_handler hp = {.add = pod_add, .update = pod_upd, .del = pod_del, .ctx = st};
    zk_kube_informer_on(st->pods, &hp);
    return st;
}

static void *rs_init(zk_ctl *c)
{
    return rs_init_common(c, &zk_kube_replicasets, "ReplicaSet");
}

static void *rc_init(zk_ctl *c)
{
    return rs_init_common(c, &zk_kube_replicationcontrollers, "ReplicationController");
}

const zk_ctl_def zk_ctl_replicaset = {
    .name = "replicaset", .workers = 8, .init = rs_init, .sync = rs_sync, .free = free};
const zk_ctl_def zk_ctl_replicationcontroller = {
    .name = "replicationcontroller", .workers = 4, .init = rc_init, .sync = rs_sync, .free = free};
