/* zke scheduler: active and backoff heaps and the unschedulable list. */
#include "scheduler/queue.h"

#include <stdlib.h>
#include <string.h>

#include "base/map.h"
#include "base/mem.h"

typedef bool (*less_fn)(const zk_sched_qpod *a, const zk_sched_qpod *b);

typedef struct heap {
    zk_sched_qpod **v;
    size_t n, cap;
    less_fn less;
} heap;

struct zk_sched_queue {
    zk_map *all;          /* key -> qpod */
    heap active, backoff;
    zk_sched_qpod **unsched;
    size_t n_unsched, cap_unsched;
    uint64_t seq;
};

/* ---- heaps with positions kept in qpod->idx ---- */

static void heap_swap(heap *h, size_t i, size_t j)
{
    zk_sched_qpod *t = h->v[i];
    h->v[i] = h->v[j];
    h->v[j] = t;
    h->v[i]->idx = i;
    h->v[j]->idx = j;
}

static void heap_up(heap *h, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!h->less(h->v[i], h->v[parent]))
            break;
        heap_swap(h, i, parent);
        i = parent;
    }
}

static void heap_down(heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->less(h->v[l], h->v[m]))
            m = l;
        if (r < h->n && h->less(h->v[r], h->v[m]))
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static void heap_push(heap *h, zk_sched_qpod *qp)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = zk_xrealloc(h->v, h->cap * sizeof(*h->v));
    }
    qp->idx = h->n;
    h->v[h->n++] = qp;
    heap_up(h, qp->idx);
}

static void heap_remove(heap *h, zk_sched_qpod *qp)
{
    size_t i = qp->idx;
    h->n--;
    if (i == h->n)
        return;
    h->v[i] = h->v[h->n];
    h->v[i]->idx = i;
    heap_down(h, i);
    heap_up(h, i);
}

static bool active_less(const zk_sched_qpod *a, const zk_sched_qpod *b)
{
    if (a->pod->priority != b->pod->priority)
        return a->pod->priority > b->pod->priority;
    return a->seq < b->seq;
}

static bool backoff_less(const zk_sched_qpod *a, const zk_sched_qpod *b)
{
    if (a->backoff_until != b->backoff_until)
        return a->backoff_until < b->backoff_until;
    return a->seq < b->seq;
}

/* ---- queue ---- */

uint64_t zk_sched_backoff_ms(int attempts)
{
    uint64_t d = ZK_SCHED_BACKOFF_INITIAL_MS;
    for (int i = 1; i < attempts; i++) {
        d *= 2;
        if (d >= ZK_SCHED_BACKOFF_MAX_MS)
            return ZK_SCHED_BACKOFF_MAX_MS;
    }
    return d;
}

zk_sched_queue *zk_sched_queue_new(void)
{
    zk_sched_queue *q = zk_xcalloc(1, sizeof(*q));
    q->all = zk_map_new();
    q->active.less = active_less;
    q->backoff.less = backoff_less;
    return q;
}

static void qpod_free(zk_sched_qpod *qp)
{
    zk_sched_pod_free(qp->pod);
    free(qp);
}

void zk_sched_queue_free(zk_sched_queue *q)
{
    if (!q)
        return;
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(q->all, &pos, &k, &v))
        qpod_free(v);
    zk_map_free(q->all);
    free(q->active.v);
    free(q->backoff.v);
    free(q->unsched);
    free(q);
}

static void unsched_add(zk_sched_queue *q, zk_sched_qpod *qp)
{
    if (q->n_unsched == q->cap_unsched) {
        q->cap_unsched = q->cap_unsched ? q->cap_unsched * 2 : 64;
        q->unsched = zk_xrealloc(q->unsched, q->cap_unsched * sizeof(*q->unsched));
    }
    qp->idx = q->n_unsched;
    q->unsched[q->n_unsched++] = qp;
}

static void unsched_del(zk_sched_queue *q, zk_sched_qpod *qp)
{
    zk_sched_qpod *last = q->unsched[--q->n_unsched];
    if (qp->idx < q->n_unsched) {
        q->unsched[qp->idx] = last;
        last->idx = qp->idx;
    }
}

/* Take qp out of whichever part holds it. */
static void detach(zk_sched_queue *q, zk_sched_qpod *qp)
{
    switch (qp->state) {
    case ZK_SCHED_Q_ACTIVE:
        heap_remove(&q->active, qp);
        break;
    case ZK_SCHED_Q_BACKOFF:
        heap_remove(&q->backoff, qp);
        break;
    case ZK_SCHED_Q_UNSCHED:
        unsched_del(q, qp);
        break;
    default:
        break;
    }
}

static void to_active(zk_sched_queue *q, zk_sched_qpod *qp)
{
    qp->state = ZK_SCHED_Q_ACTIVE;
    qp->seq = ++q->seq;
    heap_push(&q->active, qp);
}

static void to_backoff(zk_sched_queue *q, zk_sched_qpod *qp)
{
    qp->state = ZK_SCHED_Q_BACKOFF;
    heap_push(&q->backoff, qp);
}

/* Active, unless the pod is still backing off. */
static void requeue(zk_sched_queue *q, zk_sched_qpod *qp, uint64_t now)
{
    detach(q, qp);
    if (qp->attempts > 0 && now < qp->backoff_until)
        to_backoff(q, qp);
    else
        to_active(q, qp);
}

void zk_sched_queue_add(zk_sched_queue *q, zk_sched_pod *pod, bool changed, uint64_t now)
{
    zk_sched_qpod *qp = zk_map_get(q->all, pod->key);
    if (!qp) {
        qp = zk_xcalloc(1, sizeof(*qp));
        qp->pod = pod;
        zk_map_put(q->all, pod->key, qp);
        to_active(q, qp);
        return;
    }
    if (qp->state == ZK_SCHED_Q_INFLIGHT) {
        /* decided on already; the outcome sends it on */
        zk_sched_pod_free(pod);
        return;
    }
    /* the key string lives in the pod: re-key before the old pod goes */
    zk_map_del(q->all, qp->pod->key);
    bool prio_changed = pod->priority != qp->pod->priority;
    zk_sched_pod_free(qp->pod);
    qp->pod = pod;
    zk_map_put(q->all, pod->key, qp);
    if (qp->state == ZK_SCHED_Q_ACTIVE && prio_changed) {
        heap_down(&q->active, qp->idx);
        heap_up(&q->active, qp->idx);
    }
    if (qp->state == ZK_SCHED_Q_UNSCHED && changed)
        requeue(q, qp, now);
}

void zk_sched_queue_add_backoff(zk_sched_queue *q, zk_sched_pod *pod, int attempts,
                                uint64_t now)
{
    zk_sched_queue_delete(q, pod->key);
    zk_sched_qpod *qp = zk_xcalloc(1, sizeof(*qp));
    qp->pod = pod;
    qp->attempts = attempts;
    qp->seq = ++q->seq;
    qp->backoff_until = now + zk_sched_backoff_ms(attempts);
    zk_map_put(q->all, pod->key, qp);
    to_backoff(q, qp);
}

void zk_sched_queue_delete(zk_sched_queue *q, const char *key)
{
    zk_sched_qpod *qp = zk_map_get(q->all, key);
    if (!qp || qp->state == ZK_SCHED_Q_INFLIGHT)
        return;
    detach(q, qp);
    zk_map_del(q->all, key);
    qpod_free(qp);
}

zk_sched_qpod *zk_sched_queue_get(const zk_sched_queue *q, const char *key)
{
    return zk_map_get(q->all, key);
}

zk_sched_qpod *zk_sched_queue_pop(zk_sched_queue *q)
{
    if (!q->active.n)
        return NULL;
    zk_sched_qpod *qp = q->active.v[0];
    heap_remove(&q->active, qp);
    qp->state = ZK_SCHED_Q_INFLIGHT;
    return qp;
}

zk_sched_pod *zk_sched_queue_done(zk_sched_queue *q, zk_sched_qpod *qp)
{
    zk_map_del(q->all, qp->pod->key);
    zk_sched_pod *p = qp->pod;
    p->attempts = qp->attempts;
    free(qp);
    return p;
}

void zk_sched_queue_unschedulable(zk_sched_queue *q, zk_sched_qpod *qp, unsigned rejected,
                                  uint64_t now)
{
    qp->attempts++;
    qp->rejected = rejected;
    qp->backoff_until = now + zk_sched_backoff_ms(qp->attempts);
    qp->unsched_since = now;
    qp->state = ZK_SCHED_Q_UNSCHED;
    unsched_add(q, qp);
}

size_t zk_sched_queue_move(zk_sched_queue *q, unsigned plugins, uint64_t now)
{
    size_t moved = 0;
    /* walk backwards: requeue() swap-removes from the list */
    for (size_t i = q->n_unsched; i-- > 0;) {
        if (i >= q->n_unsched)
            continue;
        zk_sched_qpod *qp = q->unsched[i];
        if (qp->rejected && !(qp->rejected & plugins))
            continue;
        requeue(q, qp, now);
        moved++;
    }
    return moved;
}

void zk_sched_queue_flush(zk_sched_queue *q, uint64_t now)
{
    while (q->backoff.n && q->backoff.v[0]->backoff_until <= now) {
        zk_sched_qpod *qp = q->backoff.v[0];
        heap_remove(&q->backoff, qp);
        to_active(q, qp);
    }
    for (size_t i = q->n_unsched; i-- > 0;) {
        if (i >= q->n_unsched)
            continue;
        zk_sched_qpod *qp = q->unsched[i];
        if (now - qp->unsched_since >= ZK_SCHED_UNSCHEDULABLE_MAX_MS)
            requeue(q, qp, now);
    }
}

size_t zk_sched_queue_active_len(const zk_sched_queue *q) { return q->active.n; }
size_t zk_sched_queue_backoff_len(const zk_sched_queue *q) { return q->backoff.n; }
size_t zk_sched_queue_unsched_len(const zk_sched_queue *q) { return q->n_unsched; }
size_t zk_sched_queue_len(const zk_sched_queue *q) { return zk_map_count(q->all); }
