/* zke kube: a rate-limited work queue of keys, as client-go's.
 *
 * A key added many times before it is processed is processed once. A key is
 * never processed by two workers at once: re-adding it while it is being
 * processed marks it dirty, and it is queued again when done. Failed keys
 * come back after a per-key exponential backoff (5 ms doubling up to
 * 1000 s) under an overall token bucket (10/s, burst 100), as client-go's
 * default controller rate limiter does.
 *
 * Processing is asynchronous: process(ctx, key) starts the work and the
 * owner calls zk_kube_queue_done() when it is finished, possibly from a
 * later loop iteration. At most `workers` keys are in process at once. */
#ifndef ZK_KUBE_WORKQUEUE_H
#define ZK_KUBE_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct zk_kube_queue zk_kube_queue;

typedef void (*zk_kube_process_fn)(void *ctx, const char *key);

zk_kube_queue *zk_kube_queue_new(uv_loop_t *loop, const char *name, int workers,
                                 zk_kube_process_fn process, void *ctx);
void zk_kube_queue_free(zk_kube_queue *q);

void zk_kube_queue_add(zk_kube_queue *q, const char *key);
void zk_kube_queue_add_after(zk_kube_queue *q, const char *key, uint64_t delay_ms);
/* Add after this key's backoff (which grows with each call until forget). */
void zk_kube_queue_add_rate_limited(zk_kube_queue *q, const char *key);
/* Reset the key's backoff (after a success). */
void zk_kube_queue_forget(zk_kube_queue *q, const char *key);
/* Finish processing key. With requeue the key is rate-limited back in;
 * without, its backoff is forgotten. */
void zk_kube_queue_done(zk_kube_queue *q, const char *key, bool requeue);

/* A paused queue keeps accepting keys but starts none (until caches sync). */
void zk_kube_queue_set_paused(zk_kube_queue *q, bool paused);
size_t zk_kube_queue_len(const zk_kube_queue *q);   /* waiting, not in process */
int zk_kube_queue_requeues(const zk_kube_queue *q, const char *key);

/* The backoff for the n-th failure (0-based) of the per-key limiter, ms. */
uint64_t zk_kube_backoff_ms(int failures, uint64_t base_ms, uint64_t max_ms);

#endif
