/* zke apiserver: pods/exec over SPDY/3.1 (remotecommand v4.channel.k8s.io),
 * which kubectl before 1.30 speaks and newer kubectl falls back to.
 *
 * The client upgrades with "Upgrade: SPDY/3.1" and offers protocols in
 * X-Stream-Protocol-Version headers; we speak v4. It then opens one SPDY
 * stream per channel, named by its streamType header: error, stdin,
 * stdout, stderr, resize. Once every stream the query asks for is there,
 * the agent runs the command on a tunnel stream that speaks the same
 * channel messages as WebSocket exec (exec.c), so this file only maps
 * streams to channels: stdin DATA -> channel 0 (its FIN -> v5's close of
 * channel 0), channels 1/2 -> stdout/stderr DATA, channel 3 (the final
 * Status) -> the error stream, resize JSON objects -> channel 4. When the
 * agent ends, every stream gets its FIN and the connection closes.
 *
 * Backpressure as in exec.c: the client is not read while the stream to
 * the agent has no room, and the agent's bytes are credited once the client
 * took them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/spdy.h"

#define IN_MAX (ZK_SPDY_READ_MIN * 2)
#define OUT_MAX (8u << 20)
#define CLIENT_QUEUE_HIGH (256u * 1024)
#define STREAMS_WAIT_MS 30000      /* the kubelet waits as long for the streams */
#define LINGER_MS 100
#define RESIZE_MAX 1024

enum { S_ERROR, S_STDIN, S_STDOUT, S_STDERR, S_RESIZE, S_COUNT };
static const char *const stream_names[S_COUNT] = {"error", "stdin", "stdout", "stderr",
                                                  "resize"};

typedef struct sexec {
    zk_apiserver *srv;
    char node[256];
    json_t *req;               /* the agent's request, sent once the streams are there */
    zk_upconn *u;
    zk_spdy *spdy;
    uint8_t *in;
    size_t in_len;
    zk_tun_stream *ts;
    bool want[S_COUNT];
    uint32_t sid[S_COUNT];
    char resize[RESIZE_MAX];
    size_t resize_len;
    size_t owed;
    bool paused, dead, started;
    uv_timer_t timer;          /* waiting for the streams; then the linger */
} sexec;

static void sx_end(sexec *x);

static void sx_flush(sexec *x, zk_buf *b)
{
    if (x->u && b->len)
        zk_upconn_write(x->u, b->data, b->len);
    zk_buf_reset(b);
}

/* ---- the agent side ---- */

static void agent_data(void *ctx, const char *p, size_t n)
{
    sexec *x = ctx;
    int ch = n ? (unsigned char)p[0] : -1;
    int which = ch == 1 ? S_STDOUT : ch == 2 ? S_STDERR : ch == 3 ? S_ERROR : -1;
    if (!x->u || which < 0 || !x->sid[which] || n < 2) {
        zk_apis_tunnel_consumed(x->ts, n);
        return;
    }
    zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
    zk_spdy_data(&b, x->sid[which], p + 1, n - 1, 0);
    sx_flush(x, &b);
    if (zk_upconn_queued(x->u) < CLIENT_QUEUE_HIGH)
        zk_apis_tunnel_consumed(x->ts, n);
    else
        x->owed += n;
}

static void sx_pump(sexec *x);

static void agent_writable(void *ctx)
{
    sexec *x = ctx;
    if (!x->paused || !x->u)
        return;
    x->paused = false;
    sx_pump(x);
    if (!x->paused && x->u)
        zk_upconn_pause(x->u, false);
}

static void on_linger(uv_timer_t *t)
{
    sx_end(t->data);
}

static void agent_closed(void *ctx, json_t *st)
{
    sexec *x = ctx;
    x->ts = NULL;
    if (!x->u) {
        sx_end(x);
        return;
    }
    zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
    const char *msg = zk_json_str(st, "message");
    if (zk_json_int(st, "code", 0) >= 400 && msg) {
        json_t *s = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:I}", "kind", "Status", "apiVersion",
                              "v1", "metadata", "status", "Failure", "message", msg, "reason",
                              zk_json_str(st, "reason") ?: "InternalError", "code",
                              zk_json_int(st, "code", 500));
        zk_autofree char *text = json_dumps(s, JSON_COMPACT);
        json_decref(s);
        zk_spdy_data(&b, x->sid[S_ERROR], text, strlen(text), 0);
    }
    for (int i = S_STDOUT; i <= S_STDERR; i++)
        if (x->sid[i])
            zk_spdy_data(&b, x->sid[i], NULL, 0, ZK_SPDY_FLAG_FIN);
    zk_spdy_data(&b, x->sid[S_ERROR], NULL, 0, ZK_SPDY_FLAG_FIN);
    sx_flush(x, &b);
    uv_timer_start(&x->timer, on_linger, LINGER_MS, 0);
}

static void to_agent(sexec *x, int ch, const uint8_t *p, size_t n)
{
    if (!x->ts)
        return;
    zk_apis_tunnel_send_channel(x->ts, ch, p, n);
    if (zk_apis_tunnel_room(x->ts) == 0)
        x->paused = true;
}

/* Resize messages are JSON objects one after another: each whole one goes
 * on as a channel 4 message. */
static void on_resize(sexec *x, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (x->resize_len == sizeof(x->resize)) {
            x->resize_len = 0;   /* no resize is this long: start over */
            continue;
        }
        x->resize[x->resize_len++] = (char)p[i];
        if (p[i] != '}')
            continue;
        to_agent(x, 4, (const uint8_t *)x->resize, x->resize_len);
        x->resize_len = 0;
    }
}

/* ---- SPDY from the client ---- */

static void start_agent(sexec *x)
{
    for (int i = 0; i < S_COUNT; i++)
        if (x->want[i] && !x->sid[i])
            return;
    uv_timer_stop(&x->timer);
    x->started = true;
    zk_tun_stream_cb cb = {.data = agent_data, .credit = true, .writable = agent_writable,
                           .closed = agent_closed};
    x->ts = zk_apis_tunnel_open(x->srv, x->node, x->req, &cb, x);
    if (!x->ts) {
        json_t *st = json_pack("{s:i,s:s,s:s}", "code", 503, "reason", "ServiceUnavailable",
                               "message", "the node agent is not connected to this server");
        agent_closed(x, st);
        json_decref(st);
    }
}

static void on_syn_stream(sexec *x, const zk_spdy_event *ev)
{
    size_t tl = 0;
    const char *type = zk_spdy_event_header(ev, "streamtype", &tl);
    int which = -1;
    for (int i = 0; type && i < S_COUNT; i++)
        if (tl == strlen(stream_names[i]) && !memcmp(type, stream_names[i], tl))
            which = i;
    zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
    if (which < 0 || x->sid[which] || x->started) {
        zk_spdy_rst_stream(&b, ev->stream, ZK_SPDY_PROTOCOL_ERROR);
        sx_flush(x, &b);
        return;
    }
    x->sid[which] = ev->stream;
    zk_err err = {0};
    if (zk_spdy_syn_reply(x->spdy, &b, ev->stream, NULL, NULL, 0, 0, &err) < 0) {
        zk_warn("exec over SPDY: %s", err.msg);
        sx_end(x);
        return;
    }
    sx_flush(x, &b);
    start_agent(x);
}

static void on_event(sexec *x, const zk_spdy_event *ev)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
    switch (ev->type) {
    case ZK_SPDY_SYN_STREAM:
        on_syn_stream(x, ev);
        break;
    case ZK_SPDY_DATA:
        if (ev->stream == x->sid[S_STDIN] && x->sid[S_STDIN]) {
            if (ev->len)
                to_agent(x, 0, ev->data, ev->len);
            if (ev->flags & ZK_SPDY_FLAG_FIN)
                to_agent(x, 255, (const uint8_t *)"", 1);   /* v5's close of stdin */
        } else if (ev->stream == x->sid[S_RESIZE] && x->sid[S_RESIZE]) {
            on_resize(x, ev->data, ev->len);
        }
        break;
    case ZK_SPDY_PING:
        zk_spdy_ping(&b, ev->ping);
        sx_flush(x, &b);
        break;
    case ZK_SPDY_GOAWAY:
        sx_end(x);
        break;
    case ZK_SPDY_RST_STREAM:
        if (ev->stream == x->sid[S_ERROR])
            sx_end(x);   /* the client gave up on the whole thing */
        break;
    default:
        break;
    }
}

static void sx_pump(sexec *x)
{
    size_t off = 0;
    while (!x->dead && !x->paused && off < x->in_len) {
        zk_spdy_event ev;
        zk_err err = {0};
        int n = zk_spdy_parse(x->spdy, x->in + off, x->in_len - off, &ev, &err);
        if (n < 0) {
            zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
            zk_spdy_goaway(&b, 0, ZK_SPDY_GOAWAY_PROTOCOL_ERROR);
            sx_flush(x, &b);
            zk_info("exec over SPDY: %s", err.msg);
            sx_end(x);
            return;
        }
        if (n == 0)
            break;
        off += (size_t)n;
        on_event(x, &ev);
    }
    if (x->dead)
        return;
    memmove(x->in, x->in + off, x->in_len - off);
    x->in_len -= off;
}

/* ---- the connection ---- */

static ssize_t client_read(void *ctx, uint8_t *p, size_t n)
{
    sexec *x = ctx;
    size_t take = n < IN_MAX - x->in_len ? n : IN_MAX - x->in_len;
    if (x->paused || !take) {
        zk_upconn_pause(x->u, true);
        return 0;
    }
    memcpy(x->in + x->in_len, p, take);
    x->in_len += take;
    sx_pump(x);
    if (x->dead)
        return -1;
    if (x->paused)
        zk_upconn_pause(x->u, true);
    return (ssize_t)take;
}

static void client_drained(void *ctx)
{
    sexec *x = ctx;
    if (x->ts && x->owed) {
        zk_apis_tunnel_consumed(x->ts, x->owed);
        x->owed = 0;
    }
}

static void on_reaped(uv_handle_t *h)
{
    sexec *x = h->data;
    zk_spdy_free(x->spdy);
    json_decref(x->req);
    free(x->in);
    free(x);
}

/* Over: the agent's stream closes, the connection goes once its output is
 * written, and x is freed from the loop. */
static void sx_end(sexec *x)
{
    if (x->dead)
        return;
    x->dead = true;
    if (x->ts) {
        zk_apis_tunnel_close(x->ts);
        x->ts = NULL;
    }
    if (x->u) {
        zk_upconn_close(x->u);
        x->u = NULL;
    }
    uv_timer_stop(&x->timer);
    uv_close((uv_handle_t *)&x->timer, on_reaped);
}

static void client_closed(void *ctx)
{
    sexec *x = ctx;
    x->u = NULL;
    sx_end(x);
}

static void on_streams_late(uv_timer_t *t)
{
    sexec *x = t->data;
    zk_info("exec over SPDY: the client did not open its streams in time");
    sx_end(x);
}

/* Whether the client offers protocol among its X-Stream-Protocol-Version
 * headers (one per protocol, or comma-separated). */
static bool offers(h2o_req_t *req, const char *proto)
{
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&req->headers,
                                                      H2O_STRLIT("x-stream-protocol-version"),
                                                      i)) >= 0;) {
        h2o_iovec_t v = req->headers.entries[i].value;
        size_t pl = strlen(proto);
        for (size_t off = 0; off + pl <= v.len; off++)
            if (!memcmp(v.base + off, proto, pl) && (off == 0 || v.base[off - 1] == ' ' ||
                                                     v.base[off - 1] == ',') &&
                (off + pl == v.len || v.base[off + pl] == ',' || v.base[off + pl] == ' '))
                return true;
    }
    return false;
}

bool zk_apis_is_spdy_upgrade(h2o_req_t *req)
{
    return req->version < 0x200 && req->upgrade.base && req->upgrade.len == 8 &&
           !strncasecmp(req->upgrade.base, "SPDY/3.1", 8);
}

void zk_apis_serve_exec_spdy(zk_call *c, json_t *agent_req, const char *node)
{
    h2o_req_t *req = c->req;
    if (!offers(req, "v4.channel.k8s.io")) {
        json_decref(agent_req);
        zk_apis_status(req, 400, "BadRequest", "no stream protocol this server speaks: exec "
                       "over SPDY/3.1 needs X-Stream-Protocol-Version v4.channel.k8s.io", NULL);
        return;
    }
    if (!zk_apis_tunnel_connected(c->srv, node)) {
        json_decref(agent_req);
        zk_apis_status_fmt(req, 503, "ServiceUnavailable",
                           "the node agent on node \"%s\" is not connected to this server, so "
                           "pods/exec for pod \"%s\" cannot be served", node, c->ri.name);
        return;
    }
    sexec *x = zk_xcalloc(1, sizeof(*x));
    x->srv = c->srv;
    snprintf(x->node, sizeof(x->node), "%s", node);
    json_object_set_new(agent_req, "protocol", json_string("v4.channel.k8s.io"));
    x->req = agent_req;
    bool tty = json_is_true(json_object_get(agent_req, "tty"));
    x->want[S_ERROR] = true;
    x->want[S_STDIN] = json_is_true(json_object_get(agent_req, "stdin"));
    x->want[S_STDOUT] = json_is_true(json_object_get(agent_req, "stdout"));
    x->want[S_STDERR] = json_is_true(json_object_get(agent_req, "stderr")) && !tty;
    x->want[S_RESIZE] = tty;
    x->spdy = zk_spdy_new();
    x->in = zk_xmalloc(IN_MAX);
    uv_timer_init(c->srv->loop, &x->timer);
    x->timer.data = x;
    uv_timer_start(&x->timer, on_streams_late, STREAMS_WAIT_MS, 0);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-stream-protocol-version"),
                          0, NULL, H2O_STRLIT("v4.channel.k8s.io"));
    x->u = zk_upconn_start(req, "SPDY/3.1", &(zk_upconn_ops){.read = client_read,
                           .drained = client_drained, .closed = client_closed}, x);
    c->req = NULL;   /* the connection is the upgrade's now */
}
