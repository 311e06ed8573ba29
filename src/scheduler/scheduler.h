/* zke scheduler: kube-scheduler's counterpart, an API client.
 *
 * It sees the cluster through the shared informers of a factory (pods,
 * nodes, namespaces), keeps a parsed cache of nodes and assigned pods,
 * and places each pending pod whose spec.schedulerName is its name (an
 * empty name counts as "default-scheduler") and that has no nodeName and
 * is not being deleted:
 *  - filters and scores as kube-scheduler's default profile (plugins.h);
 *  - the pod is assumed onto the chosen node in the cache at once, and the
 *    binding (POST pods/<name>/binding) is sent asynchronously; if it
 *    fails the assumption is dropped and the pod retried after a backoff;
 *  - a pod no node takes gets a FailedScheduling Warning Event (repeats
 *    of the same message bump its count) and the condition PodScheduled=
 *    False, reason Unschedulable, with the same message; it waits in the
 *    queue (queue.h) until the cluster changes, at most 60 s.
 * Everything runs on the factory client's loop thread. */
#ifndef ZK_SCHED_SCHEDULER_H
#define ZK_SCHED_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "kube/informer.h"

typedef struct zk_sched_opts {
    const char *name;            /* NULL: "default-scheduler" */
    int percentage;              /* percentageOfNodesToScore; 0: adaptive */
    bool no_scheduled_events;    /* skip the Normal "Scheduled" event per pod */
    int max_bindings;            /* bindings in flight before scheduling waits; 0: 512 */
    uint64_t seed;               /* tie-breaking; 0: from the clock */
} zk_sched_opts;

typedef struct zk_sched zk_sched;

typedef struct zk_sched_stats {
    uint64_t attempts;           /* scheduling cycles run */
    uint64_t scheduled;          /* bindings the server accepted */
    uint64_t failures;           /* cycles that found no node */
    uint64_t bind_errors;        /* bindings that failed */
    uint64_t pending;            /* pods in the queue now */
    uint64_t unschedulable;      /* of which waiting for a cluster change */
    uint64_t binding;            /* bindings in flight now */
    uint64_t nodes;              /* nodes known */
} zk_sched_stats;

/* Make a scheduler on f's client and loop: it takes the shared pods,
 * nodes and namespaces informers and registers its handlers (call before
 * or after the factory starts). It schedules nothing until
 * zk_sched_start(). o may be NULL (defaults). */
zk_sched *zk_sched_new(zk_kube_factory *f, const zk_sched_opts *o);
/* Start scheduling (starts the factory's informers too). */
void zk_sched_start(zk_sched *s);
/* Stop or resume scheduling (e.g. when leadership is lost); the caches
 * stay current meanwhile. */
void zk_sched_pause(zk_sched *s, bool paused);
void zk_sched_get_stats(const zk_sched *s, zk_sched_stats *out);
/* Free. The informers keep pointers to s in their handlers and the client
 * in its requests: free the factory and the client first (their pending
 * callbacks are dropped), then the scheduler, on the loop thread. */
void zk_sched_free(zk_sched *s);

/* `zke scheduler --kubeconfig FILE [--scheduler-name N]
 * [--percentage-of-nodes-to-score P] [--leader-elect true|false]`: run
 * against any cluster until SIGINT/SIGTERM. */
int zk_sched_main(int argc, char **argv);

#endif
