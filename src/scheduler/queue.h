/* zke scheduler: the scheduling queue (kube-scheduler's PriorityQueue).
 *
 * Three parts:
 *  - active: pods ready to be tried, highest spec.priority first, then in
 *    the order they entered (FIFO);
 *  - backoff: pods that failed and wait out their backoff (1 s, doubling
 *    per failed attempt, at most 10 s) before they are active again;
 *  - unschedulable: pods no node could take. A cluster change that could
 *    help them (zk_sched_queue_move) sends them back to active, or to
 *    backoff while their backoff lasts; a pod that waited 60 s is retried
 *    anyway (zk_sched_queue_flush).
 * Pods are keyed "ns/name". Times are milliseconds on a clock the caller
 * passes in, so the queue is a pure data structure and tests drive it. */
#ifndef ZK_SCHED_QUEUE_H
#define ZK_SCHED_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler/objects.h"

#define ZK_SCHED_BACKOFF_INITIAL_MS 1000
#define ZK_SCHED_BACKOFF_MAX_MS 10000
#define ZK_SCHED_UNSCHEDULABLE_MAX_MS 60000

enum { ZK_SCHED_Q_ACTIVE, ZK_SCHED_Q_BACKOFF, ZK_SCHED_Q_UNSCHED, ZK_SCHED_Q_INFLIGHT };

typedef struct zk_sched_qpod {
    zk_sched_pod *pod;        /* owned by the entry */
    int attempts;             /* failed attempts so far */
    int state;
    uint64_t seq;             /* FIFO order within a priority */
    uint64_t backoff_until;
    uint64_t unsched_since;
    unsigned rejected;        /* plugin bits of the last failure */
    size_t idx;               /* position in its heap or list */
} zk_sched_qpod;

typedef struct zk_sched_queue zk_sched_queue;

zk_sched_queue *zk_sched_queue_new(void);
void zk_sched_queue_free(zk_sched_queue *q);

/* A pending pod arrived (active) or changed; takes pod. An unschedulable
 * pod whose spec or labels changed (changed = true) is tried again. */
void zk_sched_queue_add(zk_sched_queue *q, zk_sched_pod *pod, bool changed, uint64_t now);
/* Put back a pod that failed after it was chosen (its binding failed),
 * with attempts failures so far; it waits out its backoff. Takes pod. */
void zk_sched_queue_add_backoff(zk_sched_queue *q, zk_sched_pod *pod, int attempts,
                                uint64_t now);
/* Forget a pod (deleted, or bound by someone else). */
void zk_sched_queue_delete(zk_sched_queue *q, const char *key);
zk_sched_qpod *zk_sched_queue_get(const zk_sched_queue *q, const char *key);

/* The next active pod, now in flight, or NULL. */
zk_sched_qpod *zk_sched_queue_pop(zk_sched_queue *q);
/* The in-flight pod was placed: the entry goes, its pod is returned to the
 * caller. */
zk_sched_pod *zk_sched_queue_done(zk_sched_queue *q, zk_sched_qpod *qp);
/* The in-flight pod fits nowhere; rejected are the plugin bits that said
 * no. */
void zk_sched_queue_unschedulable(zk_sched_queue *q, zk_sched_qpod *qp, unsigned rejected,
                                  uint64_t now);
/* A cluster change that could help pods rejected by any plugin in
 * `plugins` (~0u: all). Returns how many pods moved. */
size_t zk_sched_queue_move(zk_sched_queue *q, unsigned plugins, uint64_t now);
/* Backoffs that ended go active; pods unschedulable for 60 s are retried. */
void zk_sched_queue_flush(zk_sched_queue *q, uint64_t now);

size_t zk_sched_queue_active_len(const zk_sched_queue *q);
size_t zk_sched_queue_backoff_len(const zk_sched_queue *q);
size_t zk_sched_queue_unsched_len(const zk_sched_queue *q);
size_t zk_sched_queue_len(const zk_sched_queue *q);

/* The backoff after `attempts` failures: 1 s, 2 s, 4 s, 8 s, 10 s, ... */
uint64_t zk_sched_backoff_ms(int attempts);

#endif
