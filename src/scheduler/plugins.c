/* zke scheduler: the plugin table and the node-local plugins —
 * NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
 * NodeResourcesFit (least allocated) and NodeResourcesBalancedAllocation.
 * Pod affinity and topology spread, which look across nodes, are in
 * plugin_affinity.c and plugin_spread.c. */
#include "scheduler/plugins.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void zk_sched_reasons_add(zk_sched_reasons *r, const char *fmt, ...)
{
    if (r->n >= ZK_ARRAY_LEN(r->r) || r->used >= sizeof(r->buf))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *dst = r->buf + r->used;
    size_t room = sizeof(r->buf) - r->used;
    int len = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    r->used += (size_t)len + 1 < room ? (size_t)len + 1 : room;
    r->r[r->n++] = dst;
}

void zk_sched_normalize_default(int64_t *scores, size_t n, bool reverse)
{
    int64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (scores[i] > max)
            max = scores[i];
    if (max == 0) {
        if (reverse)
            for (size_t i = 0; i < n; i++)
                scores[i] = ZK_SCHED_MAX_SCORE;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t s = ZK_SCHED_MAX_SCORE * scores[i] / max;
        scores[i] = reverse ? ZK_SCHED_MAX_SCORE - s : s;
    }
}

/* ---- NodeUnschedulable ---- */

static bool unschedulable_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r)
{
    if (!n->unschedulable)
        return true;
    /* a pod that tolerates the unschedulable taint tolerates the flag too */
    zk_sched_taint t = {"node.kubernetes.io/unschedulable", "", ZK_SCHED_NO_SCHEDULE};
    if (zk_sched_tolerates(cy->pod->tols, cy->pod->n_tols, &t))
        return true;
    zk_sched_reasons_add(r, "node(s) were unschedulable");
    return false;
}

/* ---- NodeName ---- */

static bool node_name_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r)
{
    if (!cy->pod->node_name || !strcmp(cy->pod->node_name, n->name))
        return true;
    zk_sched_reasons_add(r, "node(s) didn't match the requested node name");
    return false;
}

/* ---- TaintToleration ---- */

bool zk_sched__untolerated(const zk_sched_pod *p, const zk_sched_node *n,
                           const zk_sched_taint **which)
{
    for (size_t i = 0; i < n->n_taints; i++) {
        const zk_sched_taint *t = &n->taints[i];
        if (t->effect != ZK_SCHED_NO_SCHEDULE && t->effect != ZK_SCHED_NO_EXECUTE)
            continue;
        if (!zk_sched_tolerates(p->tols, p->n_tols, t)) {
            if (which)
                *which = t;
            return true;
        }
    }
    return false;
}

static bool taint_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r)
{
    const zk_sched_taint *t;
    if (!zk_sched__untolerated(cy->pod, n, &t))
        return true;
    zk_sched_reasons_add(r, "node(s) had untolerated taint {%s: %s}", t->key, t->value);
    return false;
}

static int64_t taint_score(zk_sched_cycle *cy, const zk_sched_node *n, size_t i)
{
    const zk_sched_pod *p = cy->pod;
    int64_t count = 0;
    for (size_t k = 0; k < n->n_taints; k++) {
        const zk_sched_taint *t = &n->taints[k];
        if (t->effect != ZK_SCHED_PREFER_NO_SCHEDULE)
            continue;
        /* only tolerations for PreferNoSchedule (or every effect) count */
        bool ok = false;
        for (size_t j = 0; j < p->n_tols && !ok; j++)
            if (p->tols[j].effect == ZK_SCHED_EFFECT_ALL ||
                p->tols[j].effect == ZK_SCHED_PREFER_NO_SCHEDULE)
                ok = zk_sched_tolerates(&p->tols[j], 1, t);
        if (!ok)
            count++;
    }
    return count;
}

static void taint_normalize(zk_sched_cycle *cy, int64_t *scores, size_t n)
{
    zk_sched_normalize_default(scores, n, true);
}

/* ---- NodeAffinity ---- */

static bool node_affinity_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r)
{
    if (zk_sched_node_matches_pod(cy->pod, n))
        return true;
    zk_sched_reasons_add(r, "node(s) didn't match Pod's node affinity/selector");
    return false;
}

static bool node_affinity_prescore(zk_sched_cycle *cy, zk_sched_node *const *nodes, size_t n)
{
    return cy->pod->n_preferred > 0;
}

static int64_t node_affinity_score(zk_sched_cycle *cy, const zk_sched_node *n, size_t i)
{
    int64_t s = 0;
    for (size_t k = 0; k < cy->pod->n_preferred; k++) {
        const zk_sched_nsterm *t = &cy->pod->preferred[k];
        if (t->weight != 0 && zk_sched_nsterm_matches(t, n))
            s += t->weight;
    }
    return s;
}

static void node_affinity_normalize(zk_sched_cycle *cy, int64_t *scores, size_t n)
{
    zk_sched_normalize_default(scores, n, false);
}

/* ---- NodePorts ---- */

static bool port_conflict(const zk_sched_port *want, const zk_sched_port *used)
{
    if (want->port != used->port || want->proto != used->proto)
        return false;
    /* 0.0.0.0 on either side takes the port on every address */
    return !strcmp(want->ip, "0.0.0.0") || !strcmp(used->ip, "0.0.0.0") ||
           !strcmp(want->ip, used->ip);
}

static bool ports_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r)
{
    const zk_sched_pod *p = cy->pod;
    if (!p->n_ports || !n->n_port_pods)
        return true;
    for (size_t i = 0; i < n->n_pods; i++) {
        const zk_sched_pod *q = n->pods[i];
        for (size_t a = 0; a < p->n_ports; a++)
            for (size_t b = 0; b < q->n_ports; b++)
                if (port_conflict(&p->ports[a], &q->ports[b])) {
                    zk_sched_reasons_add(r, "node(s) didn't have free ports for the requested "
                                            "pod ports");
                    return false;
                }
    }
    return true;
}

/* ---- NodeResourcesFit ---- */

static bool fit_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r)
{
    const zk_sched_pod *p = cy->pod;
    bool ok = true;
    if ((int64_t)n->n_pods + 1 > n->alloc_pods) {
        zk_sched_reasons_add(r, "Too many pods");
        ok = false;
    }
    if (p->req.cpu > 0 && p->req.cpu > n->alloc.cpu - n->requested.cpu) {
        zk_sched_reasons_add(r, "Insufficient cpu");
        ok = false;
    }
    if (p->req.mem > 0 && p->req.mem > n->alloc.mem - n->requested.mem) {
        zk_sched_reasons_add(r, "Insufficient memory");
        ok = false;
    }
    if (p->req.eph > 0 && p->req.eph > n->alloc.eph - n->requested.eph) {
        zk_sched_reasons_add(r, "Insufficient ephemeral-storage");
        ok = false;
    }
    for (size_t i = 0; i < p->req.n_scalar; i++) {
        const zk_sched_scalar *s = &p->req.scalar[i];
        if (s->value <= 0)
            continue;
        if (s->value > zk_sched_res_scalar(&n->alloc, s->name) -
                           zk_sched_res_scalar(&n->requested, s->name)) {
            zk_sched_reasons_add(r, "Insufficient %s", s->name);
            ok = false;
        }
    }
    return ok;
}

static int64_t least_requested(int64_t requested, int64_t capacity)
{
    if (capacity == 0 || requested > capacity)
        return 0;
    return (capacity - requested) * ZK_SCHED_MAX_SCORE / capacity;
}

/* LeastAllocated over cpu and memory (weight 1 each), counting containers
 * without requests at the defaults, as the NodeResourcesFit score does. */
static int64_t least_allocated_score(zk_sched_cycle *cy, const zk_sched_node *n, size_t i)
{
    const zk_sched_pod *p = cy->pod;
    int64_t sum = 0, weights = 0;
    if (n->alloc.cpu) {
        sum += least_requested(n->nz_cpu + p->nz_cpu, n->alloc.cpu);
        weights++;
    }
    if (n->alloc.mem) {
        sum += least_requested(n->nz_mem + p->nz_mem, n->alloc.mem);
        weights++;
    }
    return weights ? sum / weights : 0;
}

/* ---- NodeResourcesBalancedAllocation ---- */

static bool balanced_prescore(zk_sched_cycle *cy, zk_sched_node *const *nodes, size_t n)
{
    /* best-effort pods are not scored (they would all pile on one node) */
    return cy->pod->req.cpu != 0 || cy->pod->req.mem != 0;
}

static int64_t balanced_score(zk_sched_cycle *cy, const zk_sched_node *n, size_t i)
{
    const zk_sched_pod *p = cy->pod;
    double f[2];
    size_t k = 0;
    if (n->alloc.cpu) {
        double x = (double)(n->requested.cpu + p->req.cpu) / (double)n->alloc.cpu;
        f[k++] = x > 1 ? 1 : x;
    }
    if (n->alloc.mem) {
        double x = (double)(n->requested.mem + p->req.mem) / (double)n->alloc.mem;
        f[k++] = x > 1 ? 1 : x;
    }
    double sd = k == 2 ? fabs(f[0] - f[1]) / 2 : 0;
    return (int64_t)((1 - sd) * ZK_SCHED_MAX_SCORE);
}

/* ---- the table ---- */

const zk_sched_plugin zk_sched_plugins[] = {
    {"NodeUnschedulable", ZK_SCHED_P_UNSCHEDULABLE, 0, NULL, unschedulable_filter},
    {"NodeName", ZK_SCHED_P_NODE_NAME, 0, NULL, node_name_filter},
    {"TaintToleration", ZK_SCHED_P_TAINTS, 3, NULL, taint_filter, NULL, taint_score,
     taint_normalize},
    {"NodeAffinity", ZK_SCHED_P_NODE_AFFINITY, 2, NULL, node_affinity_filter,
     node_affinity_prescore, node_affinity_score, node_affinity_normalize},
    {"NodePorts", ZK_SCHED_P_PORTS, 0, NULL, ports_filter},
    {"NodeResourcesFit", ZK_SCHED_P_FIT, 1, NULL, fit_filter, NULL, least_allocated_score,
     NULL},
    {"PodTopologySpread", ZK_SCHED_P_SPREAD, 2, zk_sched__spread_prefilter,
     zk_sched__spread_filter, zk_sched__spread_prescore, zk_sched__spread_score,
     zk_sched__spread_normalize},
    {"InterPodAffinity", ZK_SCHED_P_POD_AFFINITY, 2, zk_sched__affinity_prefilter,
     zk_sched__affinity_filter, zk_sched__affinity_prescore, zk_sched__affinity_score,
     zk_sched__affinity_normalize},
    {"NodeResourcesBalancedAllocation", ZK_SCHED_P_BALANCED, 1, NULL, NULL, balanced_prescore,
     balanced_score, NULL},
};
const size_t zk_sched_n_plugins = ZK_ARRAY_LEN(zk_sched_plugins);

const zk_sched_plugin *zk_sched_plugin_find(const char *name)
{
    for (size_t i = 0; i < zk_sched_n_plugins; i++)
        if (!strcmp(zk_sched_plugins[i].name, name))
            return &zk_sched_plugins[i];
    return NULL;
}

/* ---- cycles ---- */

void zk_sched_cycle_init(zk_sched_cycle *cy, zk_sched_cache *cache)
{
    memset(cy, 0, sizeof(*cy));
    cy->cache = cache;
    cy->aff_counts = zk_sched_counts_new();
    cy->anti_counts = zk_sched_counts_new();
    cy->existing_anti = zk_sched_counts_new();
    cy->topo_score = zk_sched_counts_new();
    for (size_t i = 0; i < ZK_ARRAY_LEN(cy->sf); i++)
        cy->sf[i].counts = zk_sched_counts_new();
    for (size_t i = 0; i < ZK_ARRAY_LEN(cy->ss); i++)
        cy->ss[i].counts = zk_sched_counts_new();
}

void zk_sched_cycle_fini(zk_sched_cycle *cy)
{
    zk_sched_counts_free(cy->aff_counts);
    zk_sched_counts_free(cy->anti_counts);
    zk_sched_counts_free(cy->existing_anti);
    zk_sched_counts_free(cy->topo_score);
    for (size_t i = 0; i < ZK_ARRAY_LEN(cy->sf); i++)
        zk_sched_counts_free(cy->sf[i].counts);
    for (size_t i = 0; i < ZK_ARRAY_LEN(cy->ss); i++) {
        zk_sched_counts_free(cy->ss[i].counts);
        free(cy->ss[i].zc);
        free(cy->ss[i].zs);
    }
    free(cy->ignored);
    memset(cy, 0, sizeof(*cy));
}

void zk_sched_cycle_begin(zk_sched_cycle *cy, const zk_sched_pod *pod)
{
    cy->pod = pod;
    cy->ns_labels = zk_sched_cache_ns_labels(cy->cache, pod->ns);
    for (size_t i = 0; i < zk_sched_n_plugins; i++)
        if (zk_sched_plugins[i].prefilter)
            zk_sched_plugins[i].prefilter(cy);
}

bool zk_sched_filter(zk_sched_cycle *cy, const zk_sched_plugin *pl, const zk_sched_node *n,
                     zk_sched_reasons *r)
{
    return !pl->filter || pl->filter(cy, n, r);
}

void zk_sched_score(zk_sched_cycle *cy, const zk_sched_plugin *pl, zk_sched_node *const *nodes,
                    size_t n, int64_t *scores)
{
    if (!pl->score || (pl->prescore && !pl->prescore(cy, nodes, n))) {
        memset(scores, 0, n * sizeof(*scores));
        return;
    }
    for (size_t i = 0; i < n; i++)
        scores[i] = pl->score(cy, nodes[i], i);
    if (pl->normalize)
        pl->normalize(cy, scores, n);
}
