/* zke scheduler: filter and score plugins, as kube-scheduler's default
 * profile has them.
 *
 * One descriptor per plugin and one table (zk_sched_plugins) in the order
 * Kubernetes runs them. For each pod, a cycle calls every prefilter once;
 * then for each node the filters in table order until one rejects the
 * node (its reasons are what the FailedScheduling message counts); then,
 * over the feasible nodes, each scoring plugin's prescore, score and
 * normalize; the weighted sum picks the node. Scores are 0..100
 * (ZK_SCHED_MAX_SCORE) after normalize. Everything a plugin needs from the
 * pod and the nodes was parsed beforehand (objects.h); the per-pod state
 * lives in zk_sched_cycle. */
#ifndef ZK_SCHED_PLUGINS_H
#define ZK_SCHED_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler/cache.h"
#include "scheduler/counts.h"
#include "scheduler/objects.h"

#define ZK_SCHED_MAX_SCORE 100

/* Why a filter rejected a node: up to 8 reasons ("Insufficient cpu"). */
typedef struct zk_sched_reasons {
    const char *r[8];
    size_t n;
    char buf[1024];
    size_t used;
} zk_sched_reasons;

void zk_sched_reasons_add(zk_sched_reasons *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Plugin bits, for "which plugins rejected this pod" (requeue hints). */
enum {
    ZK_SCHED_P_UNSCHEDULABLE = 1u << 0,
    ZK_SCHED_P_NODE_NAME = 1u << 1,
    ZK_SCHED_P_TAINTS = 1u << 2,
    ZK_SCHED_P_NODE_AFFINITY = 1u << 3,
    ZK_SCHED_P_PORTS = 1u << 4,
    ZK_SCHED_P_FIT = 1u << 5,
    ZK_SCHED_P_SPREAD = 1u << 6,
    ZK_SCHED_P_POD_AFFINITY = 1u << 7,
    ZK_SCHED_P_BALANCED = 1u << 8,
};

typedef struct zk_sched_spread_state {
    const zk_sched_spread *c;
    zk_sched_counts *counts;   /* domain value -> matching pods */
    int64_t min;               /* over the domains (filter) */
    double weight;             /* log(domains + 2) (score) */
    bool self;                 /* the pod matches its own selector */
    /* zone constraints while scoring: domains by the cache's zone ids */
    int64_t *zc;               /* matching pods per zone id */
    uint8_t *zs;               /* zone id is a domain of a scored node */
    size_t zcap;
} zk_sched_spread_state;

/* The per-pod state of one scheduling cycle. Reused across cycles. */
typedef struct zk_sched_cycle {
    zk_sched_cache *cache;
    const zk_sched_pod *pod;
    const json_t *ns_labels;          /* labels of the pod's namespace */

    /* InterPodAffinity filter */
    bool aff_active;
    zk_sched_counts *aff_counts;      /* "key=value" -> pods matching all terms */
    zk_sched_counts *anti_counts;     /* "key=value" -> pods matching an anti term */
    zk_sched_counts *existing_anti;   /* "key=value" -> existing anti terms matching the pod */
    bool self_affinity;

    /* PodTopologySpread filter */
    zk_sched_spread_state sf[8];
    size_t n_sf;

    /* scoring scratch */
    zk_sched_counts *topo_score;      /* InterPodAffinity: "key=value" -> weight */
    const char *topo_keys[32];
    size_t n_topo_keys;
    zk_sched_spread_state ss[8];      /* PodTopologySpread soft constraints */
    size_t n_ss;
    bool ss_require_all;
    const struct zk_sched_owner *ss_owner;   /* the pod's owner in the cache */
    uint8_t *ignored;                 /* per scored node */
    size_t cap_ignored;
} zk_sched_cycle;

typedef struct zk_sched_plugin {
    const char *name;
    unsigned bit;
    int32_t weight;   /* score weight; 0: no score */
    void (*prefilter)(zk_sched_cycle *cy);
    /* true when the node passes; else reasons are added to r */
    bool (*filter)(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r);
    /* false: the plugin does not score this pod (all nodes get 0) */
    bool (*prescore)(zk_sched_cycle *cy, zk_sched_node *const *nodes, size_t n);
    int64_t (*score)(zk_sched_cycle *cy, const zk_sched_node *n, size_t i);
    void (*normalize)(zk_sched_cycle *cy, int64_t *scores, size_t n);
} zk_sched_plugin;

extern const zk_sched_plugin zk_sched_plugins[];
extern const size_t zk_sched_n_plugins;
const zk_sched_plugin *zk_sched_plugin_find(const char *name);

void zk_sched_cycle_init(zk_sched_cycle *cy, zk_sched_cache *cache);
void zk_sched_cycle_fini(zk_sched_cycle *cy);
/* Start a cycle for pod: reset and run every prefilter. */
void zk_sched_cycle_begin(zk_sched_cycle *cy, const zk_sched_pod *pod);

/* Run one plugin's filter (true when it passes or has no filter). */
bool zk_sched_filter(zk_sched_cycle *cy, const zk_sched_plugin *pl, const zk_sched_node *n,
                     zk_sched_reasons *r);
/* Run one plugin's prescore, score and normalize over nodes into
 * scores[n] (all 0 when the plugin skips). */
void zk_sched_score(zk_sched_cycle *cy, const zk_sched_plugin *pl, zk_sched_node *const *nodes,
                    size_t n, int64_t *scores);

/* DefaultNormalizeScore: scale to 0..100 by the maximum; reverse flips. */
void zk_sched_normalize_default(int64_t *scores, size_t n, bool reverse);

/* ---- the plugins' own entry points (plugin_*.c) ---- */
bool zk_sched__untolerated(const zk_sched_pod *p, const zk_sched_node *n,
                           const zk_sched_taint **which);
void zk_sched__affinity_prefilter(zk_sched_cycle *cy);
bool zk_sched__affinity_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r);
bool zk_sched__affinity_prescore(zk_sched_cycle *cy, zk_sched_node *const *nodes, size_t n);
int64_t zk_sched__affinity_score(zk_sched_cycle *cy, const zk_sched_node *n, size_t i);
void zk_sched__affinity_normalize(zk_sched_cycle *cy, int64_t *scores, size_t n);
void zk_sched__spread_prefilter(zk_sched_cycle *cy);
bool zk_sched__spread_filter(zk_sched_cycle *cy, const zk_sched_node *n, zk_sched_reasons *r);
bool zk_sched__spread_prescore(zk_sched_cycle *cy, zk_sched_node *const *nodes, size_t n);
int64_t zk_sched__spread_score(zk_sched_cycle *cy, const zk_sched_node *n, size_t i);
void zk_sched__spread_normalize(zk_sched_cycle *cy, int64_t *scores, size_t n);

#endif
