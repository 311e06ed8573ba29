/* zke controllers: DaemonSet.
 *
 * One pod on each node that should run it: the node matches the template's
 * nodeSelector and required node affinity, and the pod tolerates the
 * node's NoSchedule and NoExecute taints — with the tolerations every
 * daemon pod gets (not-ready, unreachable, pressure, unschedulable), so
 * daemon pods keep running on unready and cordoned nodes. Pods are created
 * unbound, with a required node affinity on the node's name
 * (matchFields metadata.name), and the scheduler binds them, as in
 * Kubernetes. A pod on a node where it should no longer run goes; failed
 * and finished pods are replaced; extra pods on a node are deleted, oldest
 * kept.
 *
 * Every template is a ControllerRevision (history.c); pods carry its hash
 * in controller-revision-hash. RollingUpdate replaces old pods node by node
 * with at most maxUnavailable unavailable (maxSurge 0), or starts the new
 * pod beside the old one on up to maxSurge nodes and removes the old pod
 * once the new one is available. OnDelete replaces a pod only when someone
 * deletes it. Status carries the counts `kubectl rollout status ds` reads. */
#include <inttypes.h>
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
#include "controllers/workload.h"
#include "kube/selector.h"
#include "scheduler/objects.h"

#define DS_BURST 500
#define HASH_LABEL "controller-revision-hash"
#define GEN_LABEL "pod-template-generation"
#define GEN_ANN "deprecated.daemonset.template.generation"

/* ---- pure parts ---- */

static bool should_run_parsed(const zk_sched_pod *p, const zk_sched_node *n, bool *should_run,
                              bool *should_continue)
{
    *should_run = *should_continue = false;
    if (p->node_name && strcmp(p->node_name, n->name))
        return false;
    if (!zk_sched_node_matches_pod(p, n))
        return false;
    bool fits = true, evicts = false;
    for (size_t i = 0; i < n->n_taints; i++) {
        const zk_sched_taint *t = &n->taints[i];
        if (t->effect != ZK_SCHED_NO_SCHEDULE && t->effect != ZK_SCHED_NO_EXECUTE)
            continue;
        if (zk_sched_tolerates(p->tols, p->n_tols, t))
            continue;
        fits = false;
        if (t->effect == ZK_SCHED_NO_EXECUTE)
            evicts = true;
    }
    *should_run = fits;
    *should_continue = fits || !evicts;
    return true;
}

void zk_ctl_ds_should_run(const json_t *pod, const json_t *node, bool *should_run,
                          bool *should_continue)
{
    zk_sched_pod *p = NULL;
    zk_sched_node *n = NULL;
    *should_run = *should_continue = false;
    if (zk_sched_pod_parse(pod, false, &p, NULL) == 0 && zk_sched_node_parse(node, &n, NULL) == 0)
        should_run_parsed(p, n, should_run, should_continue);
    zk_sched_pod_free(p);
    zk_sched_node_free(n);
}

void zk_ctl_ds_add_tolerations(json_t *spec)
{
    static const struct {
        const char *key, *effect;
    } tols[] = {
        {"node.kubernetes.io/not-ready", "NoExecute"},
        {"node.kubernetes.io/unreachable", "NoExecute"},
        {"node.kubernetes.io/disk-pressure", "NoSchedule"},
        {"node.kubernetes.io/memory-pressure", "NoSchedule"},
        {"node.kubernetes.io/pid-pressure", "NoSchedule"},
        {"node.kubernetes.io/unschedulable", "NoSchedule"},
        {"node.kubernetes.io/network-unavailable", "NoSchedule"},
    };
    json_t *list = json_object_get(spec, "tolerations");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(spec, "tolerations", list);
    }
    bool host_net = json_is_true(json_object_get(spec, "hostNetwork"));
    for (size_t i = 0; i < ZK_ARRAY_LEN(tols); i++) {
        if (i == 6 && !host_net)
            continue;
        bool have = false;
        size_t j;
        json_t *t;
        json_array_foreach(list, j, t) {
            const char *k = zk_json_str(t, "key"), *op = zk_json_str(t, "operator"),
                       *e = zk_json_str(t, "effect");
            if (k && !strcmp(k, tols[i].key) && op && !strcmp(op, "Exists") && e &&
                !strcmp(e, tols[i].effect))
                have = true;
        }
        if (!have)
            json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "key", tols[i].key,
                                                  "operator", "Exists", "effect",
                                                  tols[i].effect));
    }
}

void zk_ctl_ds_set_node_affinity(json_t *spec, const char *node)
{
    json_t *na = zk_json_path_obj(spec, "affinity", "nodeAffinity", NULL);
    if (!na)
        return;
    json_object_set_new(
        na, "requiredDuringSchedulingIgnoredDuringExecution",
        json_pack("{s:[{s:[{s:s,s:s,s:[s]}]}]}", "nodeSelectorTerms", "matchFields", "key",
                  "metadata.name", "operator", "In", "values", node));
}

const char *zk_ctl_ds_pod_node(const json_t *pod)
{
    const char *n = zk_json_path_str(pod, "spec", "nodeName", NULL);
    if (n && n[0])
        return n;
    json_t *terms = zk_json_path(pod, "spec", "affinity", "nodeAffinity",
                                 "requiredDuringSchedulingIgnoredDuringExecution",
                                 "nodeSelectorTerms", NULL);
    size_t i, j;
    json_t *term, *f;
    json_array_foreach(terms, i, term) {
        json_array_foreach(json_object_get(term, "matchFields"), j, f) {
            const char *k = zk_json_str(f, "key"), *op = zk_json_str(f, "operator");
            json_t *vals = json_object_get(f, "values");
            if (k && !strcmp(k, "metadata.name") && op && !strcmp(op, "In") &&
                json_array_size(vals) == 1)
                return json_string_value(json_array_get(vals, 0));
        }
    }
    return NULL;
}

void zk_ctl_ds_rolling_step(const zk_ctl_ds_node *nodes, size_t n, int64_t max_surge,
                            int64_t max_unavailable, size_t *del, size_t *ndel, size_t *add,
                            size_t *nadd)
{
    *ndel = *nadd = 0;
    size_t *cand = zk_xmalloc((n + 1) * sizeof(*cand));
    size_t ncand = 0;
    if (max_surge == 0) {
        int64_t unavailable = 0;
        for (size_t i = 0; i < n; i++) {
            const zk_ctl_ds_node *d = &nodes[i];
            if ((!d->old_pod && !d->new_pod) || (d->old_pod && d->new_pod)) {
                /* the manage step sorts this node out; it counts as down */
                unavailable++;
            } else if (d->new_pod) {
                if (!d->new_available)
                    unavailable++;
            } else if (!d->old_available) {
                del[(*ndel)++] = i;   /* down anyway: replace it */
            } else if (unavailable < max_unavailable) {
                cand[ncand++] = i;
            }
        }
        int64_t left = max_unavailable - unavailable;
        for (size_t i = 0; i < ncand && left > 0; i++, left--)
            del[(*ndel)++] = cand[i];
    } else {
        int64_t surging = 0;
        for (size_t i = 0; i < n; i++) {
            const zk_ctl_ds_node *d = &nodes[i];
            if (!d->old_pod)
                continue;
            if (!d->new_pod) {
                if (!d->old_available)
                    add[(*nadd)++] = i;
                else if (surging < max_surge)
                    cand[ncand++] = i;
            } else if (!d->new_available) {
                surging++;
            } else {
                del[(*ndel)++] = i;   /* its replacement is up */
            }
        }
        int64_t left = max_surge - surging;
        for (size_t i = 0; i < ncand && left > 0; i++, left--)
            add[(*nadd)++] = cand[i];
    }
    free(cand);
}

/* ---- state ---- */

#define DECISIONS_MAX 200000

typedef struct ds_state {
    zk_ctl *c;
    zk_kube_informer *sets, *pods, *nodes, *revs;
    /* "<ds uid>/<node>" -> decision: whether a template (by its hash) runs
     * on a node (by its resourceVersion), so a sync does not parse every
     * node again */
    zk_map *decisions;
} ds_state;

typedef struct decision {
    int64_t node_rv;
    char hash[32];
    bool run, cont;
} decision;

static void decisions_clear(ds_state *st)
{
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->decisions, &pos, NULL, &v))
        free(v);
    zk_map_free(st->decisions);
    st->decisions = zk_map_new();
}

static void enqueue_one(void *ctx, json_t *o) { zk_ctl_enqueue_obj(((ds_state *)ctx)->c, o); }
static void ds_upd(void *ctx, json_t *a, json_t *o) { enqueue_one(ctx, o); }
static void owned_ev(void *ctx, json_t *o) { zk_ctl_enqueue_owner(((ds_state *)ctx)->c, o, "DaemonSet"); }
static void owned_upd(void *ctx, json_t *a, json_t *o) { owned_ev(ctx, o); }

static void enqueue_all(ds_state *st)
{
    zk_kube_informer_each(st->sets, enqueue_one, st);
}

static void node_ev(void *ctx, json_t *o) { enqueue_all(ctx); }
/* Only what decides placement matters (heartbeats do not). */
static void node_upd(void *ctx, json_t *a, json_t *o)
{
    static const char *const paths[][3] = {
        {"metadata", "labels", NULL}, {"spec", "taints", NULL}, {"spec", "unschedulable", NULL}};
    for (size_t i = 0; i < ZK_ARRAY_LEN(paths); i++) {
        json_t *x = zk_json_path(a, paths[i][0], paths[i][1], NULL);
        json_t *y = zk_json_path(o, paths[i][0], paths[i][1], NULL);
        if (!(x == y || (x && y && json_equal(x, y)))) {
            enqueue_all(ctx);
            return;
        }
    }
}

typedef struct node_pods {
    json_t **pods;
    size_t n, cap;
    bool seen;             /* the node exists */
} node_pods;

static void np_add(zk_map *m, const char *node, json_t *pod)
{
    node_pods *np = zk_map_get(m, node);
    if (!np) {
        np = zk_xcalloc(1, sizeof(*np));
        zk_map_put(m, node, np);
    }
    if (np->n == np->cap) {
        np->cap = np->cap ? np->cap * 2 : 2;
        np->pods = zk_xrealloc(np->pods, np->cap * sizeof(*np->pods));
    }
    np->pods[np->n++] = pod;
}

static void np_free(zk_map *m)
{
    size_t pos = 0;
    void *v;
    while (zk_map_next(m, &pos, NULL, &v)) {
        node_pods *np = v;
        free(np->pods);
        free(np);
    }
    zk_map_free(m);
}

static int64_t created(const json_t *o)
{
    const char *t = zk_json_path_str(o, "metadata", "creationTimestamp", NULL);
    return t ? zk_time_parse_rfc3339(t) : 0;
}

/* Oldest first; a running pod before others of the same age. */
static int oldest_first(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int64_t ta = created(a), tb = created(b);
    if (ta != tb)
        return ta < tb ? -1 : 1;
    const char *x = zk_json_path_str(a, "status", "phase", NULL);
    const char *y = zk_json_path_str(b, "status", "phase", NULL);
    bool ra = x && !strcmp(x, "Running"), rb = y && !strcmp(y, "Running");
    if (ra != rb)
        return ra ? -1 : 1;
    return strcmp(zk_kube_name(a), zk_kube_name(b));
}

static void collect_node(void *ctx, json_t *node)
{
    json_t *arr = ctx;
    json_array_append(arr, node);
}

static int by_name(const void *pa, const void *pb)
{
    return strcmp(zk_kube_name(*(json_t *const *)pa), zk_kube_name(*(json_t *const *)pb));
}

/* One sync's view. */
typedef struct dsview {
    zk_ctl *c;
    json_t *ds;
    const char *ns, *name;
    const char *hash;
    json_t *pod;           /* the pod to create, without its node */
    zk_ctl_batch *b;
    size_t creates, deletes;
    int64_t min_ready, now;
    uint64_t recheck_ms;
} dsview;

static void create_on(dsview *v, const char *node)
{
    if (v->creates >= DS_BURST) {
        zk_ctl_batch_requeue_after(v->b, 1);
        return;
    }
    json_t *pod = json_deep_copy(v->pod);
    zk_ctl_ds_set_node_affinity(json_object_get(pod, "spec"), node);
    zk_ctl_batch_create(v->b, &zk_kube_pods, v->ns, pod);
    json_decref(pod);
    v->creates++;
}

static void delete_pod(dsview *v, const json_t *pod, const char *why)
{
    zk_ctl_batch_delete(v->b, &zk_kube_pods, v->ns, zk_kube_name(pod), zk_kube_uid(pod), NULL);
    zk_ctl_event(v->c, v->ds, "Normal", "SuccessfulDelete", "Deleted pod: %s%s", zk_kube_name(pod),
                 why);
    v->deletes++;
}

static bool updated(const dsview *v, const json_t *pod)
{
    const char *h = zk_json_path_str(pod, "metadata", "labels", HASH_LABEL, NULL);
    return h && !strcmp(h, v->hash);
}

static bool available(dsview *v, const json_t *pod)
{
    if (!zk_ctl_pod_ready(pod))
        return false;
    if (zk_ctl_pod_available(pod, v->min_ready, v->now))
        return true;
    /* ready, not yet for minReadySeconds: look again then */
    json_t *c = zk_ctl_get_condition(json_object_get(pod, "status"), "Ready");
    const char *t = c ? zk_json_str(c, "lastTransitionTime") : NULL;
    int64_t since = t ? zk_time_parse_rfc3339(t) : v->now;
    int64_t left = since + v->min_ready - v->now;
    uint64_t ms = left > 0 ? (uint64_t)left * 1000 + 100 : 1000;
    if (!v->recheck_ms || ms < v->recheck_ms)
        v->recheck_ms = ms;
    return false;
}

static bool terminating(const json_t *pod)
{
    return zk_json_path(pod, "metadata", "deletionTimestamp", NULL) != NULL;
}

static const char *phase(const json_t *pod)
{
    const char *p = zk_json_path_str(pod, "status", "phase", NULL);
    return p ? p : "";
}

/* Kubernetes' podsShouldBeOnNode. */
static void manage_node(dsview *v, const char *node, node_pods *np, bool should_run,
                        bool should_continue, bool surge)
{
    size_t n = np ? np->n : 0;
    if (should_run && n == 0) {
        create_on(v, node);
        return;
    }
    if (!should_continue) {
        for (size_t i = 0; i < n; i++)
            if (!terminating(np->pods[i]))
                delete_pod(v, np->pods[i], "");
        return;
    }
    json_t **run = zk_xmalloc((n + 1) * sizeof(*run));
    size_t nrun = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *p = np->pods[i];
        if (terminating(p))
            continue;
        if (!strcmp(phase(p), "Failed")) {
            zk_ctl_event(v->c, v->ds, "Warning", "FailedDaemonPod",
                         "Found failed daemon pod %s/%s on node %s, will try to kill it", v->ns,
                         zk_kube_name(p), node);
            delete_pod(v, p, "");
        } else if (!strcmp(phase(p), "Succeeded")) {
            delete_pod(v, p, "");
        } else {
            run[nrun++] = p;
        }
    }
    qsort(run, nrun, sizeof(*run), oldest_first);
    if (!surge) {
        for (size_t i = 1; i < nrun; i++)
            delete_pod(v, run[i], "");
    } else if (nrun > 1) {
        /* two may run while the new one comes up beside a ready old one */
        json_t *oldest_new = NULL, *oldest_old = NULL;
        for (size_t i = 0; i < nrun; i++) {
            json_t **slot = updated(v, run[i]) ? &oldest_new : &oldest_old;
            if (!*slot)
                *slot = run[i];
            else
                delete_pod(v, run[i], "");
        }
        if (oldest_new && oldest_old &&
            (!zk_ctl_pod_ready(oldest_old) || zk_ctl_pod_ready(oldest_new)))
            delete_pod(v, oldest_old, "");
    }
    free(run);
}

static void decide(ds_state *st, const json_t *ds, const char *hash, const json_t *node,
                   const zk_sched_pod *probe, bool *run, bool *cont)
{
    *run = *cont = false;
    if (!probe)
        return;
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", zk_kube_uid(ds), zk_kube_name(node));
    int64_t rv = zk_kube_rv(node);
    decision *d = zk_map_get(st->decisions, key);
    if (d && rv && d->node_rv == rv && !strcmp(d->hash, hash)) {
        *run = d->run;
        *cont = d->cont;
        return;
    }
    zk_sched_node *pn = NULL;
    if (zk_sched_node_parse(node, &pn, NULL) == 0)
        should_run_parsed(probe, pn, run, cont);
    zk_sched_node_free(pn);
    if (!d) {
        if (zk_map_count(st->decisions) >= DECISIONS_MAX)
            decisions_clear(st);
        d = zk_xcalloc(1, sizeof(*d));
        zk_map_put(st->decisions, key, d);
    }
    d->node_rv = rv;
    snprintf(d->hash, sizeof(d->hash), "%s", hash);
    d->run = *run;
    d->cont = *cont;
}

static bool rev_live(void *ctx, const json_t *rev)
{
    zk_map *hashes = ctx;
    const char *h = zk_json_path_str(rev, "metadata", "labels", HASH_LABEL, NULL);
    return h && zk_map_get(hashes, h);
}

static void ds_sync(zk_ctl *c, void *state, const char *key)
{
    ds_state *st = state;
    json_t *ds = zk_kube_informer_get_key(st->sets, key);
    if (!ds || zk_json_path(ds, "metadata", "deletionTimestamp", NULL)) {
        zk_ctl_done(c, key, false);
        return;
    }
    zk_kube_selector *sel = NULL;
    zk_err err = {0};
    if (zk_kube_selector_from_json(zk_json_path(ds, "spec", "selector", NULL), &sel, &err) < 0 ||
        zk_kube_selector_empty(sel)) {
        zk_ctl_event(c, ds, "Warning", "SelectorParsingFailed", "invalid selector: %s",
                     err.msg[0] ? err.msg : "empty selector");
        zk_kube_selector_free(sel);
        zk_ctl_done(c, key, false);
        return;
    }
    json_t *spec = json_object_get(ds, "spec");
    dsview v = {.c = c, .ds = ds, .ns = zk_kube_namespace(ds), .name = zk_kube_name(ds)};
    v.min_ready = zk_json_int(spec, "minReadySeconds", 0);
    v.now = zk_wall_s();
    v.b = zk_ctl_batch_begin(c, key);
    zk_ctl_revs revs;
    zk_ctl_history_sync(v.b, st->revs, ds, &revs);
    v.hash = revs.hash;

    /* the pod this DaemonSet creates, and how the scheduler sees it */
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "%.240s-", v.name);
    v.pod = zk_ctl_pod_from_template_owned(ds, zk_json_path(spec, "template", NULL), prefix);
    json_t *labels = zk_json_path_obj(v.pod, "metadata", "labels", NULL);
    zk_json_set_str(labels, HASH_LABEL, v.hash);
    const char *gen = zk_json_path_str(ds, "metadata", "annotations", GEN_ANN, NULL);
    if (gen)
        zk_json_set_str(labels, GEN_LABEL, gen);
    json_t *pspec = json_object_get(v.pod, "spec");
    if (!json_is_object(pspec)) {
        pspec = json_object();
        json_object_set_new(v.pod, "spec", pspec);
    }
    zk_ctl_ds_add_tolerations(pspec);
    zk_json_set_str(json_object_get(v.pod, "metadata"), "name", "probe");
    zk_sched_pod *probe = NULL;
    if (zk_sched_pod_parse(v.pod, false, &probe, &err) < 0) {
        zk_ctl_event(c, ds, "Warning", "FailedCreate", "invalid pod template: %s", err.msg);
        probe = NULL;
    }
    json_object_del(json_object_get(v.pod, "metadata"), "name");

    /* its pods, by node */
    zk_map *by_node = zk_map_new();
    zk_map *live = zk_map_new();
    json_t **owned = NULL;
    size_t nowned = zk_kube_informer_by_index(st->pods, "owner", zk_kube_uid(ds), &owned);
    for (size_t i = 0; i < nowned; i++) {
        json_t *p = owned[i];
        if (!zk_kube_selector_matches(sel, zk_json_path(p, "metadata", "labels", NULL)))
            continue;
        const char *h = zk_json_path_str(p, "metadata", "labels", HASH_LABEL, NULL);
        if (h)
            zk_map_put(live, h, p);
        const char *node = zk_ctl_ds_pod_node(p);
        if (node)
            np_add(by_node, node, p);
        else if (!terminating(p))
            delete_pod(&v, p, " (not for any node)");
    }
    free(owned);
    zk_kube_selector_free(sel);

    json_t *nodes_arr = json_array();
    zk_kube_informer_each(st->nodes, collect_node, nodes_arr);
    size_t nnodes = json_array_size(nodes_arr);
    json_t **nodes = zk_xmalloc((nnodes + 1) * sizeof(*nodes));
    for (size_t i = 0; i < nnodes; i++)
        nodes[i] = json_array_get(nodes_arr, i);
    qsort(nodes, nnodes, sizeof(*nodes), by_name);

    const char *stype = zk_json_path_str(spec, "updateStrategy", "type", NULL);
    bool rolling = !stype || !strcmp(stype, "RollingUpdate");
    /* surge is allowed when maxSurge is above 0 for one node (AllowsSurge) */
    bool surge_allowed = rolling && zk_ctl_int_or_percent(zk_json_path(spec, "updateStrategy",
                                                                       "rollingUpdate", "maxSurge",
                                                                       NULL),
                                                          1, true, 0) > 0;
    bool *runs = zk_xcalloc(nnodes + 1, sizeof(bool));
    int64_t desired = 0, current = 0, ready = 0, avail = 0, upd = 0, missched = 0;
    for (size_t i = 0; i < nnodes; i++) {
        const char *nn = zk_kube_name(nodes[i]);
        node_pods *np = zk_map_get(by_node, nn);
        if (np)
            np->seen = true;
        bool should_run = false, should_continue = false;
        decide(st, ds, v.hash, nodes[i], probe, &should_run, &should_continue);
        runs[i] = should_continue;
        /* status, from what is there before this sync's writes; pods
         * finished and being deleted are gone already */
        json_t *first = NULL;
        size_t counted = 0;
        for (size_t k = 0; np && k < np->n; k++) {
            json_t *p = np->pods[k];
            const char *ph = phase(p);
            if (terminating(p) && (!strcmp(ph, "Succeeded") || !strcmp(ph, "Failed")))
                continue;
            counted++;
            if (!first || oldest_first(&p, &first) < 0)
                first = p;
        }
        if (should_run) {
            desired++;
            if (first) {
                current++;
                if (zk_ctl_pod_ready(first)) {
                    ready++;
                    if (available(&v, first))
                        avail++;
                }
                if (updated(&v, first))
                    upd++;
            }
        } else if (counted) {
            missched++;
        }
        manage_node(&v, nn, np, should_run, should_continue, surge_allowed);
    }
    /* pods on nodes that are gone */
    size_t pos = 0;
    const char *nk;
    void *val;
    while (zk_map_next(by_node, &pos, &nk, &val)) {
        node_pods *np = val;
        for (size_t k = 0; !np->seen && k < np->n; k++)
            if (!terminating(np->pods[k]))
                delete_pod(&v, np->pods[k], " (its node is gone)");
    }

    /* a rolling update step, once the nodes are as they should be */
    if (rolling && v.creates == 0 && v.deletes == 0) {
        json_t *ru = zk_json_path(spec, "updateStrategy", "rollingUpdate", NULL);
        int64_t surge = zk_ctl_int_or_percent(json_object_get(ru, "maxSurge"), desired, true, 0);
        int64_t unav = zk_ctl_int_or_percent(json_object_get(ru, "maxUnavailable"), desired, true, 1);
        if (surge < 0)
            surge = 0;
        if (unav < 0)
            unav = 1;
        if (desired > 0 && surge == 0 && unav == 0)
            unav = 1;
        zk_ctl_ds_node *dn = zk_xcalloc(nnodes + 1, sizeof(*dn));
        size_t ndn = 0;
        for (size_t i = 0; i < nnodes; i++) {
            node_pods *np = zk_map_get(by_node, zk_kube_name(nodes[i]));
            if (!np || !runs[i])
                continue;
            zk_ctl_ds_node *d = &dn[ndn];
            d->name = zk_kube_name(nodes[i]);
            bool dup = false;
            for (size_t k = 0; k < np->n; k++) {
                json_t *p = np->pods[k];
                if (terminating(p))
                    continue;
                json_t **slot = updated(&v, p) ? &d->new_pod : &d->old_pod;
                if (*slot)
                    dup = true;
                *slot = p;
            }
            if (dup)
                d->new_pod = d->old_pod = NULL;
            d->old_available = d->old_pod && available(&v, d->old_pod);
            d->new_available = d->new_pod && available(&v, d->new_pod);
            ndn++;
        }
        size_t *del = zk_xmalloc((ndn + 1) * sizeof(*del)), *add = zk_xmalloc((ndn + 1) * sizeof(*add));
        size_t ndel = 0, nadd = 0;
        zk_ctl_ds_rolling_step(dn, ndn, surge, unav, del, &ndel, add, &nadd);
        for (size_t i = 0; i < ndel; i++)
            delete_pod(&v, dn[del[i]].old_pod, "");
        for (size_t i = 0; i < nadd; i++)
            create_on(&v, dn[add[i]].name);
        free(del);
        free(add);
        free(dn);
    }
    zk_ctl_history_prune(v.b, &revs, zk_json_int(spec, "revisionHistoryLimit", 10), rev_live, live);

    /* status */
    json_t *old = json_object_get(ds, "status");
    json_t *status = json_pack("{s:I,s:I,s:I,s:I}", "currentNumberScheduled", (json_int_t)current,
                               "numberMisscheduled", (json_int_t)missched,
                               "desiredNumberScheduled", (json_int_t)desired, "numberReady",
                               (json_int_t)ready);
    int64_t gen64 = zk_json_int(json_object_get(ds, "metadata"), "generation", 0);
    if (gen64)
        json_object_set_new(status, "observedGeneration", json_integer(gen64));
    if (upd)
        json_object_set_new(status, "updatedNumberScheduled", json_integer(upd));
    if (avail)
        json_object_set_new(status, "numberAvailable", json_integer(avail));
    if (desired - avail > 0)
        json_object_set_new(status, "numberUnavailable", json_integer(desired - avail));
    if (revs.collisions)
        json_object_set_new(status, "collisionCount", json_integer(revs.collisions));
    if (json_is_array(json_object_get(old, "conditions")))
        json_object_set(status, "conditions", json_object_get(old, "conditions"));
    if (!json_equal(status, old)) {
        json_t *u = json_deep_copy(ds);
        json_object_set_new(u, "status", status);
        zk_ctl_batch_update(v.b, &zk_kube_daemonsets, u, "status");
        json_decref(u);
    } else {
        json_decref(status);
    }
    if (v.recheck_ms)
        zk_ctl_batch_requeue_after(v.b, v.recheck_ms);

    zk_sched_pod_free(probe);
    json_decref(v.pod);
    free(runs);
    free(nodes);
    json_decref(nodes_arr);
    np_free(by_node);
    zk_map_free(live);
    zk_ctl_revs_free(&revs);
    zk_ctl_batch_end(v.b);
}

static void *ds_init(zk_ctl *c)
{
    ds_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->decisions = zk_map_new();
    st->sets = zk_ctl_informer(c, &zk_kube_daemonsets);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    st->nodes = zk_ctl_informer(c, &zk_kube_nodes);
    st->revs = zk_ctl_informer(c, &zk_kube_controllerrevisions);
    zk_kube_handler hs = {.add = enqueue_one, .update = ds_upd, .ctx = st};
    zk_kube_informer_on(st->sets, &hs);
    zk_kube_handler hp = {.add = owned_ev, .update = owned_upd, .del = owned_ev, .ctx = st};
    zk_kube_informer_on(st->pods, &hp);
    zk_kube_informer_on(st->revs, &hp);
    zk_kube_handler hn = {.add = node_ev, .update = node_upd, .del = node_ev, .ctx = st};
    zk_kube_informer_on(st->nodes, &hn);
    return st;
}

static void ds_free(void *state)
{
    ds_state *st = state;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->decisions, &pos, NULL, &v))
        free(v);
    zk_map_free(st->decisions);
    free(st);
}

const zk_ctl_def zk_ctl_daemonset = {
    .name = "daemonset", .workers = 4, .init = ds_init, .sync = ds_sync, .free = ds_free};
