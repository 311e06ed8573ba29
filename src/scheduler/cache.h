/* zke scheduler: the cluster as the scheduler sees it.
 *
 * The cache holds every node (parsed once per Node event) and every pod
 * assigned to a node, including pods this scheduler has assumed onto a
 * node before the binding is confirmed. It keeps, incrementally:
 *  - per node: the sum of requests, the pods, how many of them use host
 *    ports, and how many pods of each controller owner it runs;
 *  - per namespace: its assigned pods (pod affinity terms name namespaces);
 *  - the pods with any pod (anti-)affinity term, and those with required
 *    anti-affinity, so that a cycle never walks every pod to find them.
 * Terminal pods (Succeeded, Failed) are not kept. Everything belongs to
 * one thread. */
#ifndef ZK_SCHED_CACHE_H
#define ZK_SCHED_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/map.h"
#include "scheduler/objects.h"

/* The non-terminating assigned pods of one controller owner, and how many
 * of them run in each zone (topology.kubernetes.io/zone; "" for nodes
 * without one) for the default spreading. */
typedef struct zk_sched_owner {
    char *uid;
    zk_sched_pod **pods;
    size_t n_pods, cap;
    int32_t *zone_counts;        /* by zone id */
    size_t n_zone_counts;
} zk_sched_owner;

typedef struct zk_sched_plist {
    zk_sched_pod **v;
    size_t n, cap;
} zk_sched_plist;

/* The labels of a namespace (for namespaceSelector), or NULL. */
typedef const json_t *(*zk_sched_ns_labels_fn)(void *ctx, const char *ns);

typedef struct zk_sched_cache {
    zk_map *nodes_by_name;      /* name -> zk_sched_node (present or not) */
    zk_sched_node **nodes;      /* present nodes, in arrival order */
    size_t n_nodes, cap_nodes;
    zk_map *pods;               /* "ns/name" -> zk_sched_pod (assigned) */
    zk_map *owners;             /* uid -> zk_sched_owner */
    zk_map *namespaces;         /* ns -> zk_sched_plist */
    zk_sched_plist affinity;    /* pods with any pod (anti-)affinity term */
    zk_sched_plist anti;        /* pods with required anti-affinity */
    char **zones;               /* zone names by id; zones[0] = "" */
    size_t n_zones, cap_zones;
    zk_map *zone_ids;           /* zone name -> id + 1 */
    zk_sched_ns_labels_fn ns_labels;
    void *ns_ctx;
    size_t n_assumed;
} zk_sched_cache;

zk_sched_cache *zk_sched_cache_new(void);
void zk_sched_cache_free(zk_sched_cache *c);
void zk_sched_cache_set_ns_lookup(zk_sched_cache *c, zk_sched_ns_labels_fn fn, void *ctx);
const json_t *zk_sched_cache_ns_labels(const zk_sched_cache *c, const char *ns);

/* Add or update a node; takes n. Returns the cache's entry. */
zk_sched_node *zk_sched_cache_node_set(zk_sched_cache *c, zk_sched_node *n);
/* The Node object is gone; its entry stays while pods are on it. */
void zk_sched_cache_node_remove(zk_sched_cache *c, const char *name);
zk_sched_node *zk_sched_cache_node(const zk_sched_cache *c, const char *name);

/* Add an assigned pod (p->node_name set); takes p. A cached pod with the
 * same key is replaced. */
void zk_sched_cache_pod_add(zk_sched_cache *c, zk_sched_pod *p, bool assumed);
/* Remove a pod and give it back to the caller (NULL when not cached). */
zk_sched_pod *zk_sched_cache_pod_take(zk_sched_cache *c, const char *key);
/* Remove and free. */
void zk_sched_cache_pod_remove(zk_sched_cache *c, const char *key);
zk_sched_pod *zk_sched_cache_pod(const zk_sched_cache *c, const char *key);
/* A cached pod's labels changed (labels is borrowed; a reference is taken). */
void zk_sched_cache_pod_set_labels(zk_sched_cache *c, zk_sched_pod *p, json_t *labels);
/* A cached pod got a deletionTimestamp: it no longer counts for its owner. */
void zk_sched_cache_pod_set_terminating(zk_sched_cache *c, zk_sched_pod *p);
size_t zk_sched_cache_n_pods(const zk_sched_cache *c);

zk_sched_owner *zk_sched_cache_owner(const zk_sched_cache *c, const char *uid);
/* Nodes' zones (topology.kubernetes.io/zone) get small ids, 0 for none;
 * the id of zone, or -1 when no node had it. */
int64_t zk_sched_cache_zone_id(const zk_sched_cache *c, const char *zone);
/* How many pods of owner run in a zone (by id). */
static inline int32_t zk_sched_owner_zone_count(const zk_sched_owner *o, uint32_t zone)
{
    return zone < o->n_zone_counts ? o->zone_counts[zone] : 0;
}
/* How many pods of owner run on node. */
int32_t zk_sched_node_owner_count(const zk_sched_node *n, const zk_sched_owner *o);
/* Assigned pods of a namespace (NULL, 0 when none). */
zk_sched_pod **zk_sched_cache_ns_pods(const zk_sched_cache *c, const char *ns, size_t *n);

#endif
