/* zke scheduler: one scheduling decision (kube-scheduler's schedulePod).
 *
 * Filter: the nodes are visited round-robin from where the last cycle
 * stopped, until numFeasibleNodesToFind nodes pass every filter (all of
 * them below 100 nodes; else percentageOfNodesToScore of them, adaptive
 * when 0: 50% - nodes/125, at least 5%, at least 100 nodes). Score: the
 * weighted sum of every scoring plugin over the feasible nodes; the best
 * wins, ties broken at random. When no node fits, the message is the
 * FitError text Kubernetes prints: "0/N nodes are available: <count>
 * <reason>, ...." with the "<count> <reason>" strings sorted as text.
 * No preemption is attempted, so no " preemption: ..." part follows. */
#ifndef ZK_SCHED_ALGO_H
#define ZK_SCHED_ALGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler/cache.h"
#include "scheduler/plugins.h"

typedef struct zk_sched_result {
    zk_sched_node *node;     /* the chosen node, or NULL */
    const char *message;     /* when node is NULL; valid until the next run */
    unsigned rejected;       /* plugin bits that rejected some node */
    size_t evaluated;        /* nodes filtered */
    size_t feasible;         /* nodes that passed */
} zk_sched_result;

typedef struct zk_sched_algo {
    zk_sched_cache *cache;
    zk_sched_cycle cy;
    int32_t percentage;      /* percentageOfNodesToScore; 0 = adaptive */
    size_t next_start;
    uint64_t rng;
    zk_sched_node **feasible;
    int64_t *scores, *total;
    size_t cap;
    struct zk_sched_hist { char *text; size_t count; } *hist;
    size_t n_hist, cap_hist;
    char *message;
} zk_sched_algo;

void zk_sched_algo_init(zk_sched_algo *a, zk_sched_cache *cache, int32_t percentage,
                        uint64_t seed);
void zk_sched_algo_fini(zk_sched_algo *a);
/* Choose a node for p (which is not in the cache). */
void zk_sched_algo_run(zk_sched_algo *a, const zk_sched_pod *p, zk_sched_result *res);

/* numFeasibleNodesToFind for n nodes. */
size_t zk_sched_num_to_find(size_t n, int32_t percentage);

#endif
