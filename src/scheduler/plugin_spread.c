/* zke scheduler: PodTopologySpread — DoNotSchedule constraints as a
 * filter (skew = matching pods in the node's domain + 1 if the pod
 * matches itself - the smallest domain count, at most maxSkew), and
 * ScheduleAnyway constraints, or the system defaults, as a score that
 * favours domains with fewer matching pods.
 *
 * The system defaults (hostname maxSkew 3, zone maxSkew 5) select "pods of
 * the same controller owner". Their counts come from the cache's per-node
 * owner counts and the owner's pod list, so spreading a 10,000-replica
 * Deployment costs a lookup per node, not a walk over every pod. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/mem.h"
#include "scheduler/plugins.h"

static int64_t *domain(zk_sched_counts *t, const char *v, bool create)
{
    size_t len = strlen(v);
    return create ? zk_sched_counts_slot(t, v, len) : zk_sched_counts_find(t, v, len);
}

/* Matching pods on a node: same namespace, not terminating, selected. */
static int64_t count_on_node(const zk_sched_spread *c, const zk_sched_pod *p,
                             const zk_sched_node *n, const zk_sched_owner *owner)
{
    if (c->owner_default)
        return owner ? zk_sched_node_owner_count(n, owner) : 0;
    int64_t k = 0;
    for (size_t i = 0; i < n->n_pods; i++) {
        const zk_sched_pod *q = n->pods[i];
        if (!q->terminating && !strcmp(q->ns, p->ns) && zk_kube_selector_matches(c->sel, q->labels))
            k++;
    }
    return k;
}

/* nodeAffinityPolicy and nodeTaintsPolicy: does the node count at all? */
static bool node_included(const zk_sched_spread *c, const zk_sched_pod *p, const zk_sched_node *n)
{
    if (c->honor_affinity && !zk_sched_node_matches_pod(p, n))
        return false;
    if (c->honor_taints && zk_sched__untolerated(p, n, NULL))
        return false;
    return true;
}

static bool has_all_keys(const zk_sched_spread_state *s, size_t n, const zk_sched_node *node)
{
    for (size_t i = 0; i < n; i++)
        if (!zk_sched_node_label(node, s[i].c->wk, s[i].c->topology_key))
            return false;
    return true;
}

/* ---- filter ---- */

void zk_sched__spread_prefilter(zk_sched_cycle *cy)
{
    const zk_sched_pod *p = cy->pod;
    cy->n_sf = 0;
    for (size_t i = 0; i < p->n_spread && cy->n_sf < ZK_ARRAY_LEN(cy->sf); i++) {
        if (!p->spread[i].do_not_schedule)
            continue;
        zk_sched_spread_state *s = &cy->sf[cy->n_sf++];
        s->c = &p->spread[i];
        zk_sched_counts_clear(s->counts);
        s->self = zk_kube_selector_matches(s->c->sel, p->labels);
    }
    if (!cy->n_sf)
        return;
    zk_sched_cache *cache = cy->cache;
    for (size_t i = 0; i < cache->n_nodes; i++) {
        const zk_sched_node *n = cache->nodes[i];
        if (!has_all_keys(cy->sf, cy->n_sf, n))
            continue;
        for (size_t k = 0; k < cy->n_sf; k++) {
            zk_sched_spread_state *s = &cy->sf[k];
            if (!node_included(s->c, p, n))
                continue;
            *domain(s->counts, zk_sched_node_label(n, s->c->wk, s->c->topology_key), true) +=
                count_on_node(s->c, p, n, NULL);
        }
    }
    for (size_t k = 0; k < cy->n_sf; k++) {
        zk_sched_spread_state *s = &cy->sf[k];
        int64_t min = INT64_MAX;
        size_t pos = 0, klen;
        const char *key;
        int64_t v;
        while (zk_sched_counts_next(s->counts, &pos, &key, &klen, &v))
            if (v < min)
                min = v;
        /* fewer domains than minDomains: the global minimum is 0 */
        if (min == INT64_MAX || (int64_t)zk_sched_counts_size(s->counts) < s->c->min_domains)
            min = 0;
        s->min = min;
    }
}

bool zk_sched__spread_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r)
{
    for (size_t k = 0; k < cy->n_sf; k++) {
        const zk_sched_spread_state *s = &cy->sf[k];
        const char *v = zk_sched_node_label(n, s->c->wk, s->c->topology_key);
        if (!v) {
            zk_sched_reasons_add(r, "node(s) didn't match pod topology spread constraints "
                                    "(missing required label)");
            return false;
        }
        int64_t *m = domain(s->counts, v, false);
        int64_t skew = (m ? *m : 0) + (s->self ? 1 : 0) - s->min;
        if (skew > s->c->max_skew) {
            zk_sched_reasons_add(r, "node(s) didn't match pod topology spread constraints");
            return false;
        }
    }
    return true;
}

/* ---- score ---- */

/* Zone constraints count by zone id: size the arrays, clear them. */
static void zones_reset(zk_sched_spread_state *s, size_t n_zones)
{
    if (s->zcap < n_zones) {
        s->zcap = n_zones * 2;
        s->zc = zk_xrealloc(s->zc, s->zcap * sizeof(*s->zc));
        s->zs = zk_xrealloc(s->zs, s->zcap);
    }
    memset(s->zc, 0, n_zones * sizeof(*s->zc));
    memset(s->zs, 0, n_zones);
}

bool zk_sched__spread_prescore(zk_sched_cycle *cy, zk_sched_node *const *nodes, size_t n)
{
    const zk_sched_pod *p = cy->pod;
    zk_sched_cache *cache = cy->cache;
    cy->n_ss = 0;
    for (size_t i = 0; i < p->n_spread && cy->n_ss < ZK_ARRAY_LEN(cy->ss); i++) {
        if (p->spread[i].do_not_schedule)
            continue;
        zk_sched_spread_state *s = &cy->ss[cy->n_ss++];
        s->c = &p->spread[i];
        if (s->c->wk == ZK_SCHED_WK_ZONE)
            zones_reset(s, cache->n_zones);
        else
            zk_sched_counts_clear(s->counts);
    }
    if (!cy->n_ss || !n)
        return false;
    /* explicit constraints ignore nodes without every key; the defaults
     * use what each node has */
    cy->ss_require_all = !p->spread_defaulted;
    if (cy->cap_ignored < n) {
        cy->cap_ignored = n;
        cy->ignored = zk_xrealloc(cy->ignored, n);
    }
    memset(cy->ignored, 0, n);
    size_t n_ignored = 0;
    bool any_labelled[ZK_ARRAY_LEN(cy->ss)] = {0};
    size_t zdomains[ZK_ARRAY_LEN(cy->ss)] = {0};
    for (size_t i = 0; i < n; i++) {
        if (cy->ss_require_all && !has_all_keys(cy->ss, cy->n_ss, nodes[i])) {
            cy->ignored[i] = 1;
            n_ignored++;
            continue;
        }
        for (size_t k = 0; k < cy->n_ss; k++) {
            zk_sched_spread_state *s = &cy->ss[k];
            const zk_sched_spread *c = s->c;
            if (c->wk == ZK_SCHED_WK_HOSTNAME)
                continue;
            if (c->wk == ZK_SCHED_WK_ZONE) {
                /* nodes without a zone make the domain "" (id 0) */
                uint32_t z = nodes[i]->zone_id;
                any_labelled[k] = any_labelled[k] || nodes[i]->zone;
                if (!s->zs[z]) {
                    s->zs[z] = 1;
                    zdomains[k]++;
                }
                continue;
            }
            const char *v = zk_sched_node_label(nodes[i], c->wk, c->topology_key);
            any_labelled[k] = any_labelled[k] || v;
            domain(s->counts, v ? v : "", true);
        }
    }
    if (n_ignored == n)
        return false;
    for (size_t k = 0; k < cy->n_ss; k++) {
        zk_sched_spread_state *s = &cy->ss[k];
        size_t size = s->c->wk == ZK_SCHED_WK_HOSTNAME ? n - n_ignored
                      : s->c->wk == ZK_SCHED_WK_ZONE   ? zdomains[k]
                                                       : zk_sched_counts_size(s->counts);
        s->weight = log((double)size + 2);
    }
    /* pods per domain for the non-hostname keys, over every node */
    const zk_sched_owner *owner = zk_sched_cache_owner(cache, p->owner_uid);
    cy->ss_owner = owner;
    for (size_t k = 0; k < cy->n_ss; k++) {
        zk_sched_spread_state *s = &cy->ss[k];
        const zk_sched_spread *c = s->c;
        bool by_zone = c->wk == ZK_SCHED_WK_ZONE;
        if (c->wk == ZK_SCHED_WK_HOSTNAME || !any_labelled[k])
            continue;
        if (c->owner_default) {
            if (!owner)
                continue;
            if (by_zone && !p->n_sel && !p->has_required && !c->honor_taints) {
                /* every node counts: the owner's zone counts are the answer */
                for (size_t z = 0; z < cache->n_zones; z++)
                    if (s->zs[z])
                        s->zc[z] = zk_sched_owner_zone_count(owner, (uint32_t)z);
                continue;
            }
            for (size_t j = 0; j < owner->n_pods; j++) {
                const zk_sched_node *m = owner->pods[j]->node;
                if (!m->present || !node_included(c, p, m))
                    continue;
                if (by_zone) {
                    if (s->zs[m->zone_id])
                        s->zc[m->zone_id]++;
                    continue;
                }
                const char *v = zk_sched_node_label(m, c->wk, c->topology_key);
                int64_t *d = domain(s->counts, v ? v : "", false);
                if (d)
                    (*d)++;
            }
            continue;
        }
        for (size_t j = 0; j < cache->n_nodes; j++) {
            const zk_sched_node *m = cache->nodes[j];
            if (cy->ss_require_all && !has_all_keys(cy->ss, cy->n_ss, m))
                continue;
            if (!node_included(c, p, m))
                continue;
            if (by_zone) {
                if (s->zs[m->zone_id])
                    s->zc[m->zone_id] += count_on_node(c, p, m, NULL);
                continue;
            }
            const char *v = zk_sched_node_label(m, c->wk, c->topology_key);
            int64_t *d = domain(s->counts, v ? v : "", false);
            if (d)
                *d += count_on_node(c, p, m, NULL);
        }
    }
    return true;
}

int64_t zk_sched__spread_score(zk_sched_cycle *cy, const zk_sched_node *n, size_t i)
{
    if (cy->ignored[i])
        return 0;
    const zk_sched_pod *p = cy->pod;
    double score = 0;
    for (size_t k = 0; k < cy->n_ss; k++) {
        const zk_sched_spread_state *s = &cy->ss[k];
        const char *v = zk_sched_node_label(n, s->c->wk, s->c->topology_key);
        if (!v)
            continue;
        int64_t cnt;
        if (s->c->wk == ZK_SCHED_WK_HOSTNAME) {
            cnt = count_on_node(s->c, p, n, cy->ss_owner);
        } else if (s->c->wk == ZK_SCHED_WK_ZONE) {
            cnt = s->zc[n->zone_id];
        } else {
            int64_t *d = domain(s->counts, v, false);
            cnt = d ? *d : 0;
        }
        score += (double)cnt * s->weight + (double)(s->c->max_skew - 1);
    }
    return (int64_t)llround(score);
}

void zk_sched__spread_normalize(zk_sched_cycle *cy, int64_t *scores, size_t n)
{
    int64_t min = INT64_MAX, max = 0;
    for (size_t i = 0; i < n; i++) {
        if (cy->ignored[i])
            continue;
        if (scores[i] < min)
            min = scores[i];
        if (scores[i] > max)
            max = scores[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (cy->ignored[i])
            scores[i] = 0;
        else if (max == 0)
            scores[i] = ZK_SCHED_MAX_SCORE;
        else
            scores[i] = ZK_SCHED_MAX_SCORE * (max + min - scores[i]) / max;
    }
}
