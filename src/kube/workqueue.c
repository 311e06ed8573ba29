/* zke kube: the rate-limited work queue.
 *
 * Keys live in one map with their state; the FIFO of ready keys is a ring
 * of pointers to those records. Delayed keys sit in a min-heap by due time
 * served by one timer. A token bucket (10/s, burst 100) spaces out retries
 * of failing keys across the whole queue, as client-go's default. */
#include "kube/workqueue.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"

#define BUCKET_RATE 10.0
#define BUCKET_BURST 100.0
#define BACKOFF_BASE_MS 5
#define BACKOFF_MAX_MS 1000000

typedef struct zk_qitem {
    char *key;
    bool queued;           /* in the ready FIFO */
    bool processing;
    bool dirty;            /* added while processing */
    int failures;
    uint64_t due;          /* in the heap when nonzero */
    size_t heap_pos;
} zk_qitem;

struct zk_kube_queue {
    uv_loop_t *loop;
    char *name;
    int workers, active;
    zk_kube_process_fn process;
    void *ctx;
    zk_map *items;         /* key -> zk_qitem */
    zk_qitem **fifo;       /* ring */
    size_t fcap, fhead, flen;
    zk_qitem **heap;
    size_t hlen, hcap;
    uv_timer_t timer;
    uv_idle_t idle;        /* dispatch outside the caller's stack */
    bool idle_on;
    bool paused;
    double tokens;
    uint64_t tokens_at;
};

uint64_t zk_kube_backoff_ms(int failures, uint64_t base_ms, uint64_t max_ms)
{
    if (failures < 0)
        failures = 0;
    if (failures > 40)
        return max_ms;
    uint64_t d = base_ms << failures;
    return d > max_ms || d < base_ms ? max_ms : d;
}

static void kick(zk_kube_queue *q);

/* ---- the FIFO ---- */

static void fifo_push(zk_kube_queue *q, zk_qitem *it)
{
    if (q->flen == q->fcap) {
        size_t ncap = q->fcap ? q->fcap * 2 : 64;
        zk_qitem **n = zk_xmalloc(ncap * sizeof(*n));
        for (size_t i = 0; i < q->flen; i++)
            n[i] = q->fifo[(q->fhead + i) % q->fcap];
        free(q->fifo);
        q->fifo = n;
        q->fcap = ncap;
        q->fhead = 0;
    }
    q->fifo[(q->fhead + q->flen) % q->fcap] = it;
    q->flen++;
    it->queued = true;
}

static zk_qitem *fifo_pop(zk_kube_queue *q)
{
    if (!q->flen)
        return NULL;
    zk_qitem *it = q->fifo[q->fhead];
    q->fhead = (q->fhead + 1) % q->fcap;
    q->flen--;
    it->queued = false;
    return it;
}

/* ---- the delay heap ---- */

static void heap_swap(zk_kube_queue *q, size_t a, size_t b)
{
    zk_qitem *t = q->heap[a];
    q->heap[a] = q->heap[b];
    q->heap[b] = t;
    q->heap[a]->heap_pos = a;
    q->heap[b]->heap_pos = b;
}

static void heap_up(zk_kube_queue *q, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (q->heap[p]->due <= q->heap[i]->due)
            break;
        heap_swap(q, p, i);
        i = p;
    }
}

static void heap_down(zk_kube_queue *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->hlen && q->heap[l]->due < q->heap[m]->due)
            m = l;
        if (r < q->hlen && q->heap[r]->due < q->heap[m]->due)
            m = r;
        if (m == i)
            return;
        heap_swap(q, i, m);
        i = m;
    }
}

static void heap_remove(zk_kube_queue *q, zk_qitem *it)
{
    size_t i = it->heap_pos;
    q->hlen--;
    if (i != q->hlen) {
        q->heap[i] = q->heap[q->hlen];
        q->heap[i]->heap_pos = i;
        heap_down(q, i);
        heap_up(q, i);
    }
    it->due = 0;
}

static void arm_timer(zk_kube_queue *q);

static void on_timer(uv_timer_t *t)
{
    zk_kube_queue *q = t->data;
    uint64_t now = zk_mono_ms();
    while (q->hlen && q->heap[0]->due <= now) {
        zk_qitem *it = q->heap[0];
        heap_remove(q, it);
        zk_kube_queue_add(q, it->key);
    }
    arm_timer(q);
}

static void arm_timer(zk_kube_queue *q)
{
    if (!q->hlen) {
        uv_timer_stop(&q->timer);
        return;
    }
    uint64_t now = zk_mono_ms();
    uint64_t due = q->heap[0]->due;
    uv_timer_start(&q->timer, on_timer, due > now ? due - now : 0, 0);
}

/* ---- the queue ---- */

static zk_qitem *item(zk_kube_queue *q, const char *key)
{
    zk_qitem *it = zk_map_get(q->items, key);
    if (!it) {
        it = zk_xcalloc(1, sizeof(*it));
        it->key = zk_xstrdup(key);
        zk_map_put(q->items, key, it);
    }
    return it;
}

/* Drop the record when nothing refers to it any more. */
static void maybe_drop(zk_kube_queue *q, zk_qitem *it)
{
    if (it->queued || it->processing || it->due || it->failures)
        return;
    zk_map_del(q->items, it->key);
    free(it->key);
    free(it);
}

static void on_idle(uv_idle_t *h)
{
    zk_kube_queue *q = h->data;
    uv_idle_stop(&q->idle);
    q->idle_on = false;
    while (!q->paused && q->active < q->workers) {
        zk_qitem *it = fifo_pop(q);
        if (!it)
            break;
        it->processing = true;
        q->active++;
        /* the key may be freed by done() inside process(): pass a copy */
        char *key = zk_xstrdup(it->key);
        q->process(q->ctx, key);
        free(key);
    }
}

static void kick(zk_kube_queue *q)
{
    if (q->paused || q->idle_on || !q->flen || q->active >= q->workers)
        return;
    q->idle_on = true;
    uv_idle_start(&q->idle, on_idle);
}

zk_kube_queue *zk_kube_queue_new(uv_loop_t *loop, const char *name, int workers,
                                 zk_kube_process_fn process, void *ctx)
{
    zk_kube_queue *q = zk_xcalloc(1, sizeof(*q));
    q->loop = loop;
    q->name = zk_xstrdup(name);
    q->workers = workers > 0 ? workers : 1;
    q->process = process;
    q->ctx = ctx;
    q->items = zk_map_new();
    q->tokens = BUCKET_BURST;
    q->tokens_at = zk_mono_ms();
    uv_timer_init(loop, &q->timer);
    q->timer.data = q;
    uv_idle_init(loop, &q->idle);
    q->idle.data = q;
    return q;
}

void zk_kube_queue_add(zk_kube_queue *q, const char *key)
{
    zk_qitem *it = item(q, key);
    if (it->processing) {
        it->dirty = true;
        return;
    }
    if (it->queued)
        return;
    if (it->due)
        heap_remove(q, it);   /* an earlier add wins over a delayed one */
    fifo_push(q, it);
    kick(q);
}

void zk_kube_queue_add_after(zk_kube_queue *q, const char *key, uint64_t delay_ms)
{
    if (delay_ms == 0) {
        zk_kube_queue_add(q, key);
        return;
    }
    zk_qitem *it = item(q, key);
    if (it->queued)
        return;
    uint64_t due = zk_mono_ms() + delay_ms;
    if (it->due) {
        if (it->due <= due)
            return;           /* already due sooner */
        heap_remove(q, it);
    }
    if (q->hlen == q->hcap) {
        q->hcap = q->hcap ? q->hcap * 2 : 64;
        q->heap = zk_xrealloc(q->heap, q->hcap * sizeof(*q->heap));
    }
    it->due = due;
    it->heap_pos = q->hlen;
    q->heap[q->hlen++] = it;
    heap_up(q, it->heap_pos);
    arm_timer(q);
}

/* Delay before a token is available (and take it). */
static uint64_t bucket_delay(zk_kube_queue *q)
{
    uint64_t now = zk_mono_ms();
    q->tokens += (double)(now - q->tokens_at) * BUCKET_RATE / 1000.0;
    if (q->tokens > BUCKET_BURST)
        q->tokens = BUCKET_BURST;
    q->tokens_at = now;
    q->tokens -= 1.0;
    if (q->tokens >= 0)
        return 0;
    return (uint64_t)(-q->tokens * 1000.0 / BUCKET_RATE);
}

void zk_kube_queue_add_rate_limited(zk_kube_queue *q, const char *key)
{
    zk_qitem *it = item(q, key);
    uint64_t d = zk_kube_backoff_ms(it->failures, BACKOFF_BASE_MS, BACKOFF_MAX_MS);
    it->failures++;
    uint64_t b = bucket_delay(q);
    zk_kube_queue_add_after(q, key, d > b ? d : b);
}

void zk_kube_queue_forget(zk_kube_queue *q, const char *key)
{
    zk_qitem *it = zk_map_get(q->items, key);
    if (!it)
        return;
    it->failures = 0;
    maybe_drop(q, it);
}

int zk_kube_queue_requeues(const zk_kube_queue *q, const char *key)
{
    zk_qitem *it = zk_map_get(q->items, key);
    return it ? it->failures : 0;
}

void zk_kube_queue_done(zk_kube_queue *q, const char *key, bool requeue)
{
    zk_qitem *it = zk_map_get(q->items, key);
    if (!it || !it->processing) {
        zk_error("workqueue %s: done(%s) for a key not in process", q->name, key);
        return;
    }
    it->processing = false;
    q->active--;
    if (requeue) {
        zk_kube_queue_add_rate_limited(q, key);
    } else {
        it->failures = 0;
    }
    if (it->dirty) {
        it->dirty = false;
        zk_kube_queue_add(q, key);
    }
    maybe_drop(q, it);
    kick(q);
}

void zk_kube_queue_set_paused(zk_kube_queue *q, bool paused)
{
    q->paused = paused;
    kick(q);
}

size_t zk_kube_queue_len(const zk_kube_queue *q)
{
    return q->flen;
}

static void on_handle_closed(uv_handle_t *h)
{
    zk_kube_queue *q = h->data;
    if (h == (uv_handle_t *)&q->timer) {
        q->timer.data = NULL;
    } else {
        q->idle.data = NULL;
    }
    if (!q->timer.data && !q->idle.data)
        free(q);
}

void zk_kube_queue_free(zk_kube_queue *q)
{
    if (!q)
        return;
    size_t pos = 0;
    void *v;
    while (zk_map_next(q->items, &pos, NULL, &v)) {
        zk_qitem *it = v;
        free(it->key);
        free(it);
    }
    zk_map_free(q->items);
    free(q->fifo);
    free(q->heap);
    free(q->name);
    uv_close((uv_handle_t *)&q->timer, on_handle_closed);
    uv_close((uv_handle_t *)&q->idle, on_handle_closed);
}
