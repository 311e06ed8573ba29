/* zke scheduler: InterPodAffinity — required pod affinity and
 * anti-affinity as a filter, preferred terms (and other pods' required
 * affinity, at weight 1) as a score.
 *
 * The prefilter counts, per topology pair "key=value", the existing pods
 * the incoming pod's terms select, and the existing pods whose required
 * anti-affinity selects the incoming pod. Only the namespaces a term names
 * are walked (all of them when a term has a namespaceSelector), and only
 * the pods known to carry terms are asked for theirs, so a pod without
 * affinity in a cluster without affinity costs nothing. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/mem.h"
#include "scheduler/plugins.h"

#define PAIR_MAX 512

static const json_t *labels_of_ns(zk_sched_cycle *cy, const char *ns, bool need)
{
    return need ? zk_sched_cache_ns_labels(cy->cache, ns) : NULL;
}

static bool terms_have_ns_sel(const zk_sched_aterm *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].ns_sel)
            return true;
    return false;
}

/* Call fn for every assigned pod in a namespace some term names (or every
 * assigned pod when a term has a namespaceSelector). */
typedef void (*pod_fn)(zk_sched_cycle *cy, zk_sched_pod *q, void *ctx);

static void each_candidate(zk_sched_cycle *cy, const zk_sched_aterm *const *lists,
                           const size_t *counts, size_t n_lists, pod_fn fn, void *ctx)
{
    bool all = false;
    for (size_t l = 0; l < n_lists; l++)
        all = all || terms_have_ns_sel(lists[l], counts[l]);
    if (all) {
        size_t pos = 0;
        const char *k;
        void *v;
        while (zk_map_next(cy->cache->pods, &pos, &k, &v))
            fn(cy, v, ctx);
        return;
    }
    const char *seen[64];
    size_t n_seen = 0;
    for (size_t l = 0; l < n_lists; l++) {
        for (size_t t = 0; t < counts[l]; t++) {
            for (size_t i = 0; i < lists[l][t].n_namespaces; i++) {
                const char *ns = lists[l][t].namespaces[i];
                bool dup = false;
                for (size_t s = 0; s < n_seen && !dup; s++)
                    dup = !strcmp(seen[s], ns);
                if (dup)
                    continue;
                if (n_seen < ZK_ARRAY_LEN(seen))
                    seen[n_seen++] = ns;
                size_t n;
                zk_sched_pod **pods = zk_sched_cache_ns_pods(cy->cache, ns, &n);
                for (size_t j = 0; j < n; j++)
                    fn(cy, pods[j], ctx);
            }
        }
    }
}

static void count_pair(zk_sched_counts *t, const zk_sched_node *n, const char *key, int64_t d)
{
    const char *v = zk_sched_node_label(n, zk_sched_wk(key), key);
    char buf[PAIR_MAX];
    size_t len;
    if (v && (len = zk_sched_pair(buf, sizeof(buf), key, v)))
        *zk_sched_counts_slot(t, buf, len) += d;
}

static int64_t pair_count(const zk_sched_counts *t, const char *key, const char *value)
{
    char buf[PAIR_MAX];
    size_t len = zk_sched_pair(buf, sizeof(buf), key, value);
    int64_t *c = len ? zk_sched_counts_find(t, buf, len) : NULL;
    return c ? *c : 0;
}

/* ---- filter ---- */

static void prefilter_visit(zk_sched_cycle *cy, zk_sched_pod *q, void *ctx)
{
    const zk_sched_pod *p = cy->pod;
    bool need = *(bool *)ctx;
    const json_t *nsl = labels_of_ns(cy, q->ns, need);
    if (p->n_aff_req) {
        bool all = true;
        for (size_t i = 0; i < p->n_aff_req && all; i++)
            all = zk_sched_aterm_matches(&p->aff_req[i], q, nsl);
        if (all)
            for (size_t i = 0; i < p->n_aff_req; i++)
                count_pair(cy->aff_counts, q->node, p->aff_req[i].topology_key, 1);
    }
    for (size_t i = 0; i < p->n_anti_req; i++)
        if (zk_sched_aterm_matches(&p->anti_req[i], q, nsl))
            count_pair(cy->anti_counts, q->node, p->anti_req[i].topology_key, 1);
}

void zk_sched__affinity_prefilter(zk_sched_cycle *cy)
{
    const zk_sched_pod *p = cy->pod;
    zk_sched_counts_clear(cy->aff_counts);
    zk_sched_counts_clear(cy->anti_counts);
    zk_sched_counts_clear(cy->existing_anti);
    cy->self_affinity = false;
    cy->aff_active = p->n_aff_req || p->n_anti_req || cy->cache->anti.n;
    if (!cy->aff_active)
        return;
    /* existing pods whose required anti-affinity selects this pod */
    for (size_t i = 0; i < cy->cache->anti.n; i++) {
        const zk_sched_pod *q = cy->cache->anti.v[i];
        for (size_t t = 0; t < q->n_anti_req; t++)
            if (zk_sched_aterm_matches(&q->anti_req[t], p, cy->ns_labels))
                count_pair(cy->existing_anti, q->node, q->anti_req[t].topology_key, 1);
    }
    if (p->n_aff_req || p->n_anti_req) {
        const zk_sched_aterm *lists[] = {p->aff_req, p->anti_req};
        size_t counts[] = {p->n_aff_req, p->n_anti_req};
        bool need = terms_have_ns_sel(p->aff_req, p->n_aff_req) ||
                    terms_have_ns_sel(p->anti_req, p->n_anti_req);
        each_candidate(cy, lists, counts, 2, prefilter_visit, &need);
    }
    if (p->n_aff_req) {
        bool all = true;
        for (size_t i = 0; i < p->n_aff_req && all; i++)
            all = zk_sched_aterm_matches(&p->aff_req[i], p, cy->ns_labels);
        cy->self_affinity = all;
    }
}

static bool existing_anti_ok(zk_sched_cycle *cy, const zk_sched_node *n)
{
    if (!zk_sched_counts_size(cy->existing_anti) || !n->labels)
        return true;
    const char *k;
    json_t *v;
    json_object_foreach(n->labels, k, v) {
        if (json_is_string(v) && pair_count(cy->existing_anti, k, json_string_value(v)) > 0)
            return false;
    }
    return true;
}

bool zk_sched__affinity_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r)
{
    if (!cy->aff_active)
        return true;
    const zk_sched_pod *p = cy->pod;
    if (p->n_aff_req) {
        bool exist = true, labels = true;
        for (size_t i = 0; i < p->n_aff_req; i++) {
            const char *v = zk_sched_node_label(n, p->aff_req[i].wk, p->aff_req[i].topology_key);
            if (!v) {
                labels = false;
                break;
            }
            if (pair_count(cy->aff_counts, p->aff_req[i].topology_key, v) <= 0)
                exist = false;
        }
        /* the first pod of a group whose affinity selects itself may go
         * anywhere that has the topology labels */
        if (labels && !exist && zk_sched_counts_size(cy->aff_counts) == 0 && cy->self_affinity)
            exist = true;
        if (!labels || !exist) {
            zk_sched_reasons_add(r, "node(s) didn't match pod affinity rules");
            return false;
        }
    }
    for (size_t i = 0; i < p->n_anti_req; i++) {
        const char *v = zk_sched_node_label(n, p->anti_req[i].wk, p->anti_req[i].topology_key);
        if (v && pair_count(cy->anti_counts, p->anti_req[i].topology_key, v) > 0) {
            zk_sched_reasons_add(r, "node(s) didn't match pod anti-affinity rules");
            return false;
        }
    }
    if (!existing_anti_ok(cy, n)) {
        zk_sched_reasons_add(r, "node(s) didn't satisfy existing pods anti-affinity rules");
        return false;
    }
    return true;
}

/* ---- score ---- */

static void topo_add(zk_sched_cycle *cy, const zk_sched_node *n, const char *key, int64_t w)
{
    if (!zk_sched_label(n->labels, key) || w == 0)
        return;
    count_pair(cy->topo_score, n, key, w);
    for (size_t i = 0; i < cy->n_topo_keys; i++)
        if (!strcmp(cy->topo_keys[i], key))
            return;
    if (cy->n_topo_keys < ZK_ARRAY_LEN(cy->topo_keys))
        cy->topo_keys[cy->n_topo_keys++] = key;
}

static void prescore_visit(zk_sched_cycle *cy, zk_sched_pod *q, void *ctx)
{
    const zk_sched_pod *p = cy->pod;
    bool need = *(bool *)ctx;
    const json_t *nsl = labels_of_ns(cy, q->ns, need);
    for (size_t i = 0; i < p->n_aff_pref; i++)
        if (zk_sched_aterm_matches(&p->aff_pref[i], q, nsl))
            topo_add(cy, q->node, p->aff_pref[i].topology_key, p->aff_pref[i].weight);
    for (size_t i = 0; i < p->n_anti_pref; i++)
        if (zk_sched_aterm_matches(&p->anti_pref[i], q, nsl))
            topo_add(cy, q->node, p->anti_pref[i].topology_key, -p->anti_pref[i].weight);
}

bool zk_sched__affinity_prescore(zk_sched_cycle *cy, zk_sched_node *const *nodes, size_t n)
{
    const zk_sched_pod *p = cy->pod;
    zk_sched_counts_clear(cy->topo_score);
    cy->n_topo_keys = 0;
    bool pref = p->n_aff_pref || p->n_anti_pref;
    if (!pref && cy->cache->affinity.n == 0)
        return false;
    if (pref) {
        const zk_sched_aterm *lists[] = {p->aff_pref, p->anti_pref};
        size_t counts[] = {p->n_aff_pref, p->n_anti_pref};
        bool need = terms_have_ns_sel(p->aff_pref, p->n_aff_pref) ||
                    terms_have_ns_sel(p->anti_pref, p->n_anti_pref);
        each_candidate(cy, lists, counts, 2, prescore_visit, &need);
    }
    /* existing pods' terms that select this pod; their required affinity
     * counts with the hard-affinity weight 1 */
    for (size_t i = 0; i < cy->cache->affinity.n; i++) {
        const zk_sched_pod *q = cy->cache->affinity.v[i];
        if (!q->node->labels)
            continue;
        for (size_t t = 0; t < q->n_aff_req; t++)
            if (zk_sched_aterm_matches(&q->aff_req[t], p, cy->ns_labels))
                topo_add(cy, q->node, q->aff_req[t].topology_key, 1);
        for (size_t t = 0; t < q->n_aff_pref; t++)
            if (zk_sched_aterm_matches(&q->aff_pref[t], p, cy->ns_labels))
                topo_add(cy, q->node, q->aff_pref[t].topology_key, q->aff_pref[t].weight);
        for (size_t t = 0; t < q->n_anti_pref; t++)
            if (zk_sched_aterm_matches(&q->anti_pref[t], p, cy->ns_labels))
                topo_add(cy, q->node, q->anti_pref[t].topology_key, -q->anti_pref[t].weight);
    }
    return zk_sched_counts_size(cy->topo_score) > 0;
}

int64_t zk_sched__affinity_score(zk_sched_cycle *cy, const zk_sched_node *n, size_t i)
{
    int64_t s = 0;
    for (size_t k = 0; k < cy->n_topo_keys; k++) {
        const char *v = zk_sched_label(n->labels, cy->topo_keys[k]);
        if (v)
            s += pair_count(cy->topo_score, cy->topo_keys[k], v);
    }
    return s;
}

void zk_sched__affinity_normalize(zk_sched_cycle *cy, int64_t *scores, size_t n)
{
    int64_t min = INT64_MAX, max = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (scores[i] > max)
            max = scores[i];
        if (scores[i] < min)
            min = scores[i];
    }
    int64_t diff = max - min;
    for (size_t i = 0; i < n; i++)
        scores[i] = diff > 0 ? (int64_t)((double)ZK_SCHED_MAX_SCORE *
                                         ((double)(scores[i] - min) / (double)diff))
                             : 0;
}
