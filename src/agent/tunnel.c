/* zke agent: the tunnel to the API server (see apiserver/tunnel.c and
 * net/frame.h). The agent dials out — an edge site behind NAT is never
 * dialed — authenticates as its node, upgrades the connection and serves
 * the streams the server opens on it: a pod's log now; exec, port-forward
 * and stats ride the same streams.
 *
 * The connection is zke's own HTTPS client's (net/h1client.c), upgraded
 * with "Upgrade: zke-tunnel" and then the agent's byte stream over the same
 * TLS, all on the agent's loop (decision 011: no libcurl in the agent). A
 * lost connection is made again with a growing delay (1 s to 30 s). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/client.h"
#include "net/frame.h"
#include "net/h1client.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
#define IN_MAX (ZK_FRAME_HEADER + ZK_FRAME_MAX + 4096)

typedef enum { T_DOWN, T_CONNECTING, T_HANDSHAKE, T_OPEN } tun_state;

struct zk_tstream {
    zk_agent_tun *t;
    uint32_t id;
    zk_tstream_ops ops;
    void *ctx;
    bool ended;
    int64_t room;          /* bytes it may still send (version 2) */
    size_t owed;           /* bytes taken from the server, not yet credited */
    bool waiting;          /* its sender found no room and waits for some */
    zk_tstream *next;
};

struct zk_agent_tun {
    zk_agent *a;
    tun_state state;
    zk_h1c *h1;            /* the client for the server; NULL: it could not be made */
    zk_h1c_raw *raw;       /* the connection, from the upgrade on */
    char *in;
    size_t in_len;
    uv_timer_t retry;
    uint64_t backoff_ms;
    zk_tstream *streams;
    bool flow;             /* the server speaks version 2: stream windows */
};

/* Without windows (an older server) a sender pauses while this much waits
 * to go out on the connection. */
#define QUEUED_MAX (1u << 20)

static void tun_down(zk_agent_tun *t, const char *why);
static void tun_connect(zk_agent_tun *t);
static void wake_waiting(zk_agent_tun *t);

/* ---- output ---- */

static void send_frame(zk_agent_tun *t, uint32_t id, int type, const void *p, size_t n)
{
    if (t->state != T_OPEN)
        return;
    const char *bytes = p;
    do {
        size_t part = n > ZK_FRAME_MAX ? ZK_FRAME_MAX : n;
        uint8_t h[ZK_FRAME_HEADER];
        zk_frame_header(h, id, type, part);
        zk_h1c_raw_write(t->raw, h, sizeof(h));
        if (t->state != T_OPEN)
            return;   /* the write broke the connection */
        if (part)
            zk_h1c_raw_write(t->raw, bytes, part);
        if (t->state != T_OPEN)
            return;
        bytes += part;
        n -= part;
    } while (n > 0);
}

bool zk_agent_tun_up(zk_agent *a)
{
    return a->tun && a->tun->state == T_OPEN;
}

/* ---- streams ---- */

void zk_agent_tun_send(zk_tstream *s, const void *p, size_t n)
{
    if (s->ended)
        return;
    s->room -= (int64_t)n;
    send_frame(s->t, s->id, ZK_FRAME_DATA, p, n);
}

size_t zk_agent_tun_room(zk_tstream *s)
{
    zk_agent_tun *t = s->t;
    size_t queued = t->raw ? zk_h1c_raw_queued(t->raw) : 0;
    size_t room = 0;
    if (t->state != T_OPEN)
        room = 0;
    else if (!t->flow)
        room = queued < QUEUED_MAX ? QUEUED_MAX - queued : 0;
    else if (s->room > 0 && queued < 4 * QUEUED_MAX)
        room = (size_t)s->room;
    if (!room)
        s->waiting = true;
    return room;
}

void zk_agent_tun_consumed(zk_tstream *s, size_t n)
{
    zk_agent_tun *t = s->t;
    if (!t->flow || s->ended)
        return;
    uint8_t b[4];
    if (zk_frame_credit(&s->owed, n, b))
        send_frame(t, s->id, ZK_FRAME_WINDOW, b, 4);
}

/* Streams that found no room and have some now hear so, one at a time:
 * a callback may end any stream. */
static void wake_waiting(zk_agent_tun *t)
{
    for (;;) {
        zk_tstream *s = t->streams;
        while (s && !(s->waiting && s->ops.writable && zk_agent_tun_room(s) > 0))
            s = s->next;
        if (!s)
            return;
        s->waiting = false;
        s->ops.writable(s->ctx);
    }
}

static void unlink_stream(zk_agent_tun *t, zk_tstream *s)
{
    for (zk_tstream **pp = &t->streams; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            return;
        }
}

void zk_agent_tun_end(zk_tstream *s, int code, const char *reason, const char *message)
{
    zk_agent_tun *t = s->t;
    if (code) {
        json_t *st = json_pack("{s:i,s:s,s:s}", "code", code, "reason", reason ? reason : "",
                               "message", message ? message : "");
        zk_autofree char *text = json_dumps(st, JSON_COMPACT);
        json_decref(st);
        send_frame(t, s->id, ZK_FRAME_CLOSE, text, strlen(text));
    } else {
        send_frame(t, s->id, ZK_FRAME_CLOSE, NULL, 0);
    }
    unlink_stream(t, s);
    free(s);
}

static void on_open(zk_agent_tun *t, uint32_t id, const char *p, size_t n)
{
    zk_tstream *s = zk_xcalloc(1, sizeof(*s));
    s->t = t;
    s->id = id;
    s->room = ZK_TUN_WINDOW;
    s->next = t->streams;
    t->streams = s;
    json_t *req = zk_json_read(p, n, false);
    const char *op = zk_json_str(req, "op");
    if (op && !strcmp(op, "log"))
        zk_agent_logs_open(t->a, s, req);
    else if (op && !strcmp(op, "exec"))
        zk_agent_exec_open(t->a, s, req);
    else if (op && !strcmp(op, "attach"))
        zk_agent_attach_open(t->a, s, req);
    else if (op && !strcmp(op, "proxy"))
        zk_agent_proxy_open(t->a, s, req);
    else if (op && !strcmp(op, "portforward"))
        zk_agent_portforward_open(t->a, s, req);
    else if (op && !strcmp(op, "stats"))
        zk_agent_stats_open(t->a, s, req);
    else
        zk_agent_tun_end(s, 400, "BadRequest", "this agent does not serve that request");
    json_decref(req);
}

void zk_agent_tun_bind(zk_tstream *s, const zk_tstream_ops *ops, void *ctx)
{
    s->ops = *ops;
    s->ctx = ctx;
}

static void on_frame(zk_agent_tun *t, const zk_frame *f)
{
    if (f->type == ZK_FRAME_PING) {
        send_frame(t, f->stream, ZK_FRAME_PONG, f->payload, f->len);
        return;
    }
    if (f->type == ZK_FRAME_PONG)
        return;
    if (f->type == ZK_FRAME_OPEN) {
        on_open(t, f->stream, (const char *)f->payload, f->len);
        return;
    }
    zk_tstream *s = t->streams;
    while (s && s->id != f->stream)
        s = s->next;
    if (!s)
        return;
    if (f->type == ZK_FRAME_DATA) {
        if (s->ops.data)
            s->ops.data(s->ctx, (const char *)f->payload, f->len);
        else
            zk_agent_tun_consumed(s, f->len);
    } else if (f->type == ZK_FRAME_EOF) {
        if (s->ops.eof)
            s->ops.eof(s->ctx);
    } else if (f->type == ZK_FRAME_WINDOW) {
        s->room += zk_frame_window(f);
        wake_waiting(t);
    } else if (f->type == ZK_FRAME_CLOSE) {
        /* the server ended it: no CLOSE back */
        unlink_stream(t, s);
        if (s->ops.closed)
            s->ops.closed(s->ctx);
        free(s);
    }
}

/* ---- the connection ---- */

static void on_raw_open(void *ctx, int status, const zk_h1_header *h, size_t n,
                        const char *error)
{
    zk_agent_tun *t = ctx;
    if (error) {
        t->raw = NULL;   /* it is over */
        if (status)
            zk_warn("agent: tunnel refused: the server answered %d", status);
        else
            zk_warn("agent: tunnel to %s: %s", t->a->cfg.server, error);
        tun_down(t, NULL);
        return;
    }
    t->flow = false;
    for (size_t i = 0; i < n; i++)
        if (h[i].name_len == 18 && !strncasecmp(h[i].name, "zke-tunnel-version", 18) &&
            h[i].value_len == 1 && h[i].value[0] == '2')
            t->flow = true;
    t->state = T_OPEN;
    t->in_len = 0;
    t->backoff_ms = 0;
    t->a->m.tunnel_connects++;
    zk_info("agent: tunnel to %s open", t->a->cfg.server);
}

static void on_raw_data(void *ctx, const char *p, size_t n)
{
    zk_agent_tun *t = ctx;
    while (n > 0 && t->state == T_OPEN) {
        if (t->in_len == IN_MAX) {
            tun_down(t, "a frame larger than allowed");
            return;
        }
        size_t take = n < IN_MAX - t->in_len ? n : IN_MAX - t->in_len;
        memcpy(t->in + t->in_len, p, take);
        t->in_len += take;
        p += take;
        n -= take;
        size_t off = 0;
        while (t->state == T_OPEN) {
            zk_frame f;
            int k = zk_frame_parse((const uint8_t *)t->in + off, t->in_len - off, &f);
            if (k < 0) {
                tun_down(t, "a malformed frame");
                return;
            }
            if (k == 0)
                break;
            off += (size_t)k;
            on_frame(t, &f);
        }
        if (t->state != T_OPEN)
            return;
        memmove(t->in, t->in + off, t->in_len - off);
        t->in_len -= off;
    }
}

static void on_raw_drained(void *ctx)
{
    wake_waiting(ctx);
}

static void on_raw_closed(void *ctx, const char *why)
{
    zk_agent_tun *t = ctx;
    t->raw = NULL;   /* it is over */
    tun_down(t, why);
}

static const zk_h1c_raw_cb raw_cb = {.open = on_raw_open, .data = on_raw_data,
                                     .drained = on_raw_drained, .closed = on_raw_closed};

static void tun_connect(zk_agent_tun *t)
{
    if (t->state != T_DOWN || !t->h1)
        return;
    zk_agent *a = t->a;
    /* the credentials are the TLS client certificate or the bearer token */
    zk_autofree char *hdrs = zk_xasprintf(
        "Upgrade: zke-tunnel\r\nZke-Tunnel-Version: 2\r\nUser-Agent: zke-agent/" ZK_VERSION
        "\r\n%s%s%s", a->cfg.token ? "Authorization: Bearer " : "",
        a->cfg.token ? a->cfg.token : "", a->cfg.token ? "\r\n" : "");
    t->state = T_CONNECTING;
    t->raw = zk_h1c_upgrade(t->h1, "/zke/v1/tunnel", hdrs, 10000, &raw_cb, t);
}

static void on_retry(uv_timer_t *tm)
{
    tun_connect(tm->data);
}

/* The connection is gone (or never came): end its streams, try again. */
static void tun_down(zk_agent_tun *t, const char *why)
{
    if (why)
        zk_warn("agent: tunnel down: %s", why);
    t->state = T_DOWN;
    if (t->raw) {
        zk_h1c_raw_close(t->raw);
        t->raw = NULL;
    }
    while (t->streams) {
        zk_tstream *s = t->streams;
        t->streams = s->next;
        if (s->ops.closed)
            s->ops.closed(s->ctx);
        free(s);
    }
    t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : RETRY_MIN_MS;
    if (t->backoff_ms > RETRY_MAX_MS)
        t->backoff_ms = RETRY_MAX_MS;
    uv_timer_start(&t->retry, on_retry, t->backoff_ms, 0);
}

void zk_agent_tun_start(zk_agent *a)
{
    zk_agent_tun *t = zk_xcalloc(1, sizeof(*t));
    t->a = a;
    t->in = zk_xmalloc(IN_MAX);
    uv_timer_init(a->loop, &t->retry);
    t->retry.data = t;
    a->tun = t;
    zk_err err = {0};
    SSL_CTX *ctx = NULL;
    if (!strncmp(a->cfg.server, "https://", 8) && !(ctx = zk_kube_tls_ctx(&a->cfg, &err))) {
        zk_error("agent: no tunnel: %s", err.msg);
        return;
    }
    t->h1 = zk_h1c_new(a->loop, &(zk_h1c_opts){.url = a->cfg.server, .tls = ctx}, &err);
    SSL_CTX_free(ctx);
    if (!t->h1) {
        zk_error("agent: no tunnel: %s", err.msg);
        return;
    }
    tun_connect(t);
}
