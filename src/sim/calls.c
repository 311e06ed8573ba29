/* zke sim: every request goes through here, so that at most
 * opts.concurrency are in flight and the rest wait their turn in order,
 * in three FIFOs: Lease renewals, node work (registration, Ready
 * heartbeats), pods. See pick() for who goes next.
 *
 * A new request is sent from an idle callback, never from the caller's
 * stack: informer handlers run inside libcurl's write callback, where
 * curl_multi_add_handle() refuses to work (CURLM_RECURSIVE_API_CALL). The
 * client defers such requests itself now; sending from the idle callback
 * also hands curl the requests of one loop turn together. */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/time.h"
#include "sim/internal.h"

struct zk_sim_call {
    zk_sim_call *next, *prev;
    zk_sim *s;
    uint64_t queued_ms;
    char *method, *path;
    json_t *body;
    const char *content_type;
    zk_kube_done_fn done;
    void *ctx;
    void (*ctx_free)(void *);
};

static void call_free(zk_sim_call *c, bool with_ctx)
{
    if (with_ctx && c->ctx_free)
        c->ctx_free(c->ctx);
    free(c->method);
    free(c->path);
    json_decref(c->body);
    free(c);
}

static void pump(zk_sim *s);

static void on_done(void *ctx, const zk_kube_result *r)
{
    zk_sim_call *c = ctx;
    zk_sim *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->live = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->inflight--;
    if (c->done)
        c->done(c->ctx, r);
    call_free(c, false);
    pump(s);
}

/* The FIFO to serve next. Lease renewals (BEAT) go first, but every
 * fourth request goes to the lower FIFOs when one waits (they take turns),
 * so that pods move on also while renewals fill every slot: a server that
 * does fewer requests a second than 5,000 nodes' Leases need would
 * otherwise starve them. When the oldest waiting renewal has waited a
 * quarter of a Lease's duration, renewals take every slot until it is
 * sent: a node must not die of a busy sim. */
static int pick(zk_sim *s)
{
    zk_sim_call *beat = s->fifo_head[ZK_SIM_PRIO_BEAT];
    bool urgent = beat && zk_mono_ms() - beat->queued_ms > (uint64_t)s->lease_duration_s * 250;
    if (!urgent && ++s->picks % 4 == 0)
        for (uint64_t i = 0; i < 2; i++) {
            int q = 1 + (int)((s->picks / 4 + i) % 2);
            if (s->fifo_head[q])
                return q;
        }
    for (int q = 0; q < ZK_SIM_PRIOS; q++)
        if (s->fifo_head[q])
            return q;
    return -1;
}

static void pump(zk_sim *s)
{
    while (s->inflight < s->max_inflight) {
        int q = pick(s);
        if (q < 0)
            return;
        zk_sim_call *c = s->fifo_head[q];
        s->fifo_head[q] = c->next;
        if (!c->next)
            s->fifo_tail[q] = NULL;
        c->prev = NULL;
        c->next = s->live;
        if (s->live)
            s->live->prev = c;
        s->live = c;
        s->inflight++;
        zk_kube_request(s->client, c->method, c->path, c->body, c->content_type, on_done, c);
        /* the client has its own copy of the body now */
        json_decref(c->body);
        c->body = NULL;
    }
}

static void on_idle(uv_idle_t *h)
{
    zk_sim *s = h->data;
    uv_idle_stop(h);
    pump(s);
}

void zk_sim__call(zk_sim *s, int prio, const char *method, const char *path, json_t *body,
                  const char *content_type, zk_kube_done_fn done, void *ctx,
                  void (*ctx_free)(void *))
{
    zk_sim_call *c = zk_xcalloc(1, sizeof(*c));
    c->s = s;
    c->method = zk_xstrdup(method);
    c->path = zk_xstrdup(path);
    c->body = body;
    c->content_type = content_type;
    c->done = done;
    c->ctx = ctx;
    c->ctx_free = ctx_free;
    c->queued_ms = zk_mono_ms();
    int q = prio >= 0 && prio < ZK_SIM_PRIOS ? prio : ZK_SIM_PRIO_POD;
    if (s->fifo_tail[q])
        s->fifo_tail[q]->next = c;
    else
        s->fifo_head[q] = c;
    s->fifo_tail[q] = c;
    if (s->inflight < s->max_inflight && !uv_is_active((uv_handle_t *)&s->pump_idle))
        uv_idle_start(&s->pump_idle, on_idle);
}

void zk_sim__calls_init(zk_sim *s)
{
    uv_idle_init(&s->loop, &s->pump_idle);
    s->pump_idle.data = s;
}

void zk_sim__calls_free(zk_sim *s)
{
    /* the client is freed first: no callback of these runs any more */
    while (s->live) {
        zk_sim_call *c = s->live;
        s->live = c->next;
        call_free(c, true);
    }
    for (int q = 0; q < ZK_SIM_PRIOS; q++)
        while (s->fifo_head[q]) {
            zk_sim_call *c = s->fifo_head[q];
            s->fifo_head[q] = c->next;
            call_free(c, true);
        }
    for (int q = 0; q < ZK_SIM_PRIOS; q++)
        s->fifo_tail[q] = NULL;
    s->inflight = 0;
}

bool zk_sim__retryable(const zk_kube_result *r)
{
    return r->status == 0 || r->status == 429 || r->status >= 500;
}
