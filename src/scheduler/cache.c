/* zke scheduler: the node and pod cache with its incremental counts. */
#include "scheduler/cache.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

static void owner_free(zk_sched_owner *o)
{
    free(o->zone_counts);
    free(o->uid);
    free(o->pods);
    free(o);
}

/* ---- pod lists that remember each member's index ---- */

static void plist_add(zk_sched_plist *l, zk_sched_pod *p, size_t *idx)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = zk_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    *idx = l->n;
    l->v[l->n++] = p;
}

/* Swap-remove p (its index in *idx; idx_of gives the slot of any member). */
static void plist_del(zk_sched_plist *l, size_t idx, size_t *(*idx_of)(zk_sched_pod *))
{
    zk_sched_pod *last = l->v[--l->n];
    if (idx < l->n) {
        l->v[idx] = last;
        *idx_of(last) = idx;
    }
}

static size_t *ns_idx_of(zk_sched_pod *p) { return &p->ns_idx; }
static size_t *aff_idx_of(zk_sched_pod *p) { return &p->aff_idx; }
static size_t *anti_idx_of(zk_sched_pod *p) { return &p->anti_idx; }

/* ---- cache ---- */

zk_sched_cache *zk_sched_cache_new(void)
{
    zk_sched_cache *c = zk_xcalloc(1, sizeof(*c));
    c->nodes_by_name = zk_map_new();
    c->pods = zk_map_new();
    c->owners = zk_map_new();
    c->namespaces = zk_map_new();
    c->zone_ids = zk_map_new();
    c->cap_zones = 8;
    c->zones = zk_xcalloc(c->cap_zones, sizeof(char *));
    c->zones[c->n_zones++] = zk_xstrdup("");
    return c;
}

static uint32_t zone_intern(zk_sched_cache *c, const char *zone)
{
    if (!zone || !*zone)
        return 0;
    uintptr_t id = (uintptr_t)zk_map_get(c->zone_ids, zone);
    if (id)
        return (uint32_t)(id - 1);
    if (c->n_zones == c->cap_zones) {
        c->cap_zones *= 2;
        c->zones = zk_xrealloc(c->zones, c->cap_zones * sizeof(char *));
    }
    c->zones[c->n_zones] = zk_xstrdup(zone);
    zk_map_put(c->zone_ids, zone, (void *)(uintptr_t)(c->n_zones + 1));
    return (uint32_t)c->n_zones++;
}

int64_t zk_sched_cache_zone_id(const zk_sched_cache *c, const char *zone)
{
    if (!zone || !*zone)
        return 0;
    uintptr_t id = (uintptr_t)zk_map_get(c->zone_ids, zone);
    return id ? (int64_t)id - 1 : -1;
}

void zk_sched_cache_free(zk_sched_cache *c)
{
    if (!c)
        return;
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(c->pods, &pos, &k, &v))
        zk_sched_pod_free(v);
    pos = 0;
    while (zk_map_next(c->nodes_by_name, &pos, &k, &v))
        zk_sched_node_free(v);
    pos = 0;
    while (zk_map_next(c->owners, &pos, &k, &v))
        owner_free(v);
    pos = 0;
    while (zk_map_next(c->namespaces, &pos, &k, &v)) {
        zk_sched_plist *l = v;
        free(l->v);
        free(l);
    }
    zk_map_free(c->pods);
    zk_map_free(c->nodes_by_name);
    zk_map_free(c->owners);
    zk_map_free(c->namespaces);
    zk_map_free(c->zone_ids);
    for (size_t i = 0; i < c->n_zones; i++)
        free(c->zones[i]);
    free(c->zones);
    free(c->nodes);
    free(c->affinity.v);
    free(c->anti.v);
    free(c);
}

void zk_sched_cache_set_ns_lookup(zk_sched_cache *c, zk_sched_ns_labels_fn fn, void *ctx)
{
    c->ns_labels = fn;
    c->ns_ctx = ctx;
}

const json_t *zk_sched_cache_ns_labels(const zk_sched_cache *c, const char *ns)
{
    return c->ns_labels ? c->ns_labels(c->ns_ctx, ns) : NULL;
}

static void owner_count(zk_sched_cache *c, zk_sched_pod *p);
static void owner_uncount(zk_sched_cache *c, zk_sched_pod *p);

/* ---- nodes ---- */

static void list_add_node(zk_sched_cache *c, zk_sched_node *n)
{
    if (c->n_nodes == c->cap_nodes) {
        c->cap_nodes = c->cap_nodes ? c->cap_nodes * 2 : 64;
        c->nodes = zk_xrealloc(c->nodes, c->cap_nodes * sizeof(*c->nodes));
    }
    n->idx = c->n_nodes;
    c->nodes[c->n_nodes++] = n;
}

static void list_del_node(zk_sched_cache *c, zk_sched_node *n)
{
    zk_sched_node *last = c->nodes[--c->n_nodes];
    if (n->idx < c->n_nodes) {
        c->nodes[n->idx] = last;
        last->idx = n->idx;
    }
}

zk_sched_node *zk_sched_cache_node_set(zk_sched_cache *c, zk_sched_node *n)
{
    n->zone_id = zone_intern(c, n->zone);
    zk_sched_node *cur = zk_map_get(c->nodes_by_name, n->name);
    if (!cur) {
        zk_map_put(c->nodes_by_name, n->name, n);
        list_add_node(c, n);
        return n;
    }
    bool was_present = cur->present;
    /* its pods count for their owners in the node's zone: move them along */
    bool rezone = cur->zone_id != n->zone_id;
    if (rezone)
        for (size_t i = 0; i < cur->n_pods; i++)
            owner_uncount(c, cur->pods[i]);
    zk_sched_node_take_spec(cur, n);
    if (rezone)
        for (size_t i = 0; i < cur->n_pods; i++)
            owner_count(c, cur->pods[i]);
    if (!was_present)
        list_add_node(c, cur);
    return cur;
}

void zk_sched_cache_node_remove(zk_sched_cache *c, const char *name)
{
    zk_sched_node *n = zk_map_get(c->nodes_by_name, name);
    if (!n || !n->present)
        return;
    list_del_node(c, n);
    n->present = false;
    if (n->n_pods == 0) {
        zk_map_del(c->nodes_by_name, name);
        zk_sched_node_free(n);
    }
}

zk_sched_node *zk_sched_cache_node(const zk_sched_cache *c, const char *name)
{
    zk_sched_node *n = zk_map_get(c->nodes_by_name, name);
    return n && n->present ? n : NULL;
}

/* The entry of a node name, made as a placeholder when the Node object
 * has not been seen (its pods arrived first). */
static zk_sched_node *node_entry(zk_sched_cache *c, const char *name)
{
    zk_sched_node *n = zk_map_get(c->nodes_by_name, name);
    if (!n) {
        n = zk_xcalloc(1, sizeof(*n));
        n->name = zk_xstrdup(name);
        zk_map_put(c->nodes_by_name, name, n);
    }
    return n;
}

/* ---- owners ---- */

zk_sched_owner *zk_sched_cache_owner(const zk_sched_cache *c, const char *uid)
{
    return uid ? zk_map_get(c->owners, uid) : NULL;
}

static void owner_zone_add(zk_sched_owner *o, uint32_t zone, int32_t d)
{
    if (zone >= o->n_zone_counts) {
        size_t n = zone + 4;
        o->zone_counts = zk_xrealloc(o->zone_counts, n * sizeof(*o->zone_counts));
        memset(o->zone_counts + o->n_zone_counts, 0,
               (n - o->n_zone_counts) * sizeof(*o->zone_counts));
        o->n_zone_counts = n;
    }
    o->zone_counts[zone] += d;
}

#define INLINE_OWNERS ZK_ARRAY_LEN(((zk_sched_node *)0)->owners)

static struct zk_sched_owner_count *owner_slot(const zk_sched_node *n, size_t i)
{
    return i < INLINE_OWNERS ? (struct zk_sched_owner_count *)&n->owners[i]
                             : &n->more_owners[i - INLINE_OWNERS];
}

int32_t zk_sched_node_owner_count(const zk_sched_node *n, const zk_sched_owner *o)
{
    for (size_t i = 0; i < n->n_owners; i++) {
        const struct zk_sched_owner_count *e = owner_slot(n, i);
        if (e->owner == o)
            return e->count;
    }
    return 0;
}

static void node_owner_add(zk_sched_node *n, zk_sched_owner *o, int32_t d)
{
    for (size_t i = 0; i < n->n_owners; i++) {
        struct zk_sched_owner_count *e = owner_slot(n, i);
        if (e->owner != o)
            continue;
        e->count += d;
        if (e->count <= 0)
            *e = *owner_slot(n, --n->n_owners);
        return;
    }
    if (d <= 0)
        return;
    if (n->n_owners >= INLINE_OWNERS) {
        size_t k = n->n_owners - INLINE_OWNERS;
        if (k == n->cap_more_owners) {
            n->cap_more_owners = n->cap_more_owners ? n->cap_more_owners * 2 : 4;
            n->more_owners =
                zk_xrealloc(n->more_owners, n->cap_more_owners * sizeof(*n->more_owners));
        }
    }
    struct zk_sched_owner_count *e = owner_slot(n, n->n_owners++);
    e->owner = o;
    e->count = d;
}

static void owner_count(zk_sched_cache *c, zk_sched_pod *p)
{
    if (!p->owner_uid || p->terminating || p->counted)
        return;
    zk_sched_owner *o = zk_map_get(c->owners, p->owner_uid);
    if (!o) {
        o = zk_xcalloc(1, sizeof(*o));
        o->uid = zk_xstrdup(p->owner_uid);
        zk_map_put(c->owners, o->uid, o);
    }
    if (o->n_pods == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->pods = zk_xrealloc(o->pods, o->cap * sizeof(*o->pods));
    }
    p->owner_idx = o->n_pods;
    o->pods[o->n_pods++] = p;
    p->owner = o;
    p->counted = true;
    node_owner_add(p->node, o, 1);
    p->counted_zone = p->node->zone_id;
    owner_zone_add(o, p->counted_zone, 1);
}

static void owner_uncount(zk_sched_cache *c, zk_sched_pod *p)
{
    if (!p->counted)
        return;
    zk_sched_owner *o = p->owner;
    zk_sched_pod *last = o->pods[--o->n_pods];
    if (p->owner_idx < o->n_pods) {
        o->pods[p->owner_idx] = last;
        last->owner_idx = p->owner_idx;
    }
    node_owner_add(p->node, o, -1);
    owner_zone_add(o, p->counted_zone, -1);
    p->counted_zone = 0;
    p->counted = false;
    p->owner = NULL;
    if (o->n_pods == 0) {
        zk_map_del(c->owners, o->uid);
        owner_free(o);
    }
}

/* ---- pods ---- */

void zk_sched_cache_pod_add(zk_sched_cache *c, zk_sched_pod *p, bool assumed)
{
    zk_sched_pod *old = zk_map_get(c->pods, p->key);
    if (old == p)
        zk_sched_cache_pod_take(c, p->key);
    else if (old)
        zk_sched_cache_pod_remove(c, p->key);
    zk_sched_node *n = node_entry(c, p->node_name);
    p->node = n;
    p->assumed = assumed;
    if (assumed)
        c->n_assumed++;
    if (n->n_pods == n->cap_pods) {
        n->cap_pods = n->cap_pods ? n->cap_pods * 2 : 8;
        n->pods = zk_xrealloc(n->pods, n->cap_pods * sizeof(*n->pods));
    }
    p->node_idx = n->n_pods;
    n->pods[n->n_pods++] = p;
    zk_sched_res_add(&n->requested, &p->req, 1);
    n->nz_cpu += p->nz_cpu;
    n->nz_mem += p->nz_mem;
    if (p->n_ports)
        n->n_port_pods++;
    owner_count(c, p);
    zk_sched_plist *l = zk_map_get(c->namespaces, p->ns);
    if (!l) {
        l = zk_xcalloc(1, sizeof(*l));
        zk_map_put(c->namespaces, p->ns, l);
    }
    plist_add(l, p, &p->ns_idx);
    if (zk_sched_pod_has_affinity(p))
        plist_add(&c->affinity, p, &p->aff_idx);
    if (p->n_anti_req)
        plist_add(&c->anti, p, &p->anti_idx);
    zk_map_put(c->pods, p->key, p);
}

zk_sched_pod *zk_sched_cache_pod_take(zk_sched_cache *c, const char *key)
{
    zk_sched_pod *p = zk_map_del(c->pods, key);
    if (!p)
        return NULL;
    zk_sched_node *n = p->node;
    owner_uncount(c, p);
    zk_sched_pod *last = n->pods[--n->n_pods];
    if (p->node_idx < n->n_pods) {
        n->pods[p->node_idx] = last;
        last->node_idx = p->node_idx;
    }
    zk_sched_res_add(&n->requested, &p->req, -1);
    n->nz_cpu -= p->nz_cpu;
    n->nz_mem -= p->nz_mem;
    if (p->n_ports)
        n->n_port_pods--;
    zk_sched_plist *l = zk_map_get(c->namespaces, p->ns);
    plist_del(l, p->ns_idx, ns_idx_of);
    if (l->n == 0) {
        zk_map_del(c->namespaces, p->ns);
        free(l->v);
        free(l);
    }
    if (zk_sched_pod_has_affinity(p))
        plist_del(&c->affinity, p->aff_idx, aff_idx_of);
    if (p->n_anti_req)
        plist_del(&c->anti, p->anti_idx, anti_idx_of);
    if (p->assumed)
        c->n_assumed--;
    p->assumed = false;
    p->node = NULL;
    if (!n->present && n->n_pods == 0) {
        zk_map_del(c->nodes_by_name, n->name);
        zk_sched_node_free(n);
    }
    return p;
}

void zk_sched_cache_pod_remove(zk_sched_cache *c, const char *key)
{
    zk_sched_pod_free(zk_sched_cache_pod_take(c, key));
}

zk_sched_pod *zk_sched_cache_pod(const zk_sched_cache *c, const char *key)
{
    return zk_map_get(c->pods, key);
}

void zk_sched_cache_pod_set_labels(zk_sched_cache *c, zk_sched_pod *p, json_t *labels)
{
    if (p->labels)
        json_decref(p->labels);
    p->labels = json_is_object(labels) ? json_incref(labels) : NULL;
}

void zk_sched_cache_pod_set_terminating(zk_sched_cache *c, zk_sched_pod *p)
{
    if (p->terminating)
        return;
    owner_uncount(c, p);
    p->terminating = true;
}

size_t zk_sched_cache_n_pods(const zk_sched_cache *c)
{
    return zk_map_count(c->pods);
}

zk_sched_pod **zk_sched_cache_ns_pods(const zk_sched_cache *c, const char *ns, size_t *n)
{
    zk_sched_plist *l = zk_map_get(c->namespaces, ns);
    *n = l ? l->n : 0;
    return l ? l->v : NULL;
}
