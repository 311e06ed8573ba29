/* zke apiserver: the agent tunnel and what rides on it (pods/log).
 *
 * A node agent connects to the API port like any client, authenticates as
 * system:node:<name>, and asks `GET /zke/v1/tunnel` with "Upgrade:
 * zke-tunnel". The server answers 101 and keeps the connection as that
 * node's tunnel (a newer one replaces an older one). Requests that need the
 * node — a pod's log, exec, port-forward, stats — open a stream on it: the
 * agent may sit behind NAT at an edge site and is never dialed. Frames are
 * in net/frame.h; docs/decisions/008-agent-tunnel.md has the why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "apiserver/reqinfo.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "net/frame.h"

#include <h2o/http1.h>
#include <h2o/websocket.h>

#define TUN_PING_MS 30000
#define TUN_OUT_MAX (32u << 20)    /* queued bytes before a tunnel is dropped */
#define LOG_QUEUE_MAX (8u << 20)   /* bytes a log client may lag behind */

struct zk_tun_stream {
    zk_tun *t;
    uint32_t id;
    zk_tun_stream_cb cb;
    void *ctx;
    zk_tun_stream *next;
};

struct zk_tun {
    zk_apiserver *srv;
    char node[256];
    h2o_socket_t *sock;
    zk_tun_stream *streams;
    uint32_t next_id;
    /* output: frames wait in `out` while `wbuf` is being written */
    char *out, *wbuf;
    size_t out_len, out_cap, wlen;
    bool writing;
    bool closed;
    uv_timer_t ping;
    uint64_t last_in_ms;
};

/* ---- output ---- */

static void tun_flush(zk_tun *t);

static void on_written(h2o_socket_t *sock, const char *err)
{
    zk_tun *t = sock->data;
    t->writing = false;
    free(t->wbuf);
    t->wbuf = NULL;
    if (err) {
        zk_warn("tunnel of node %s: write: %s", t->node, err);
        return;   /* the read side sees the error too and closes */
    }
    tun_flush(t);
}

static void tun_flush(zk_tun *t)
{
    if (t->writing || !t->out_len || t->closed)
        return;
    t->wbuf = t->out;
    t->wlen = t->out_len;
    t->out = NULL;
    t->out_len = t->out_cap = 0;
    t->writing = true;
    h2o_iovec_t b = h2o_iovec_init(t->wbuf, t->wlen);
    h2o_socket_write(t->sock, &b, 1, on_written);
}

static void tun_close(zk_tun *t, const char *why);

static void tun_send(zk_tun *t, uint32_t id, int type, const void *p, size_t n)
{
    if (t->closed)
        return;
    const char *bytes = p;
    do {
        size_t part = n > ZK_FRAME_MAX ? ZK_FRAME_MAX : n;
        if (t->out_len + ZK_FRAME_HEADER + part > TUN_OUT_MAX) {
            tun_close(t, "the agent does not read its tunnel");
            return;
        }
        if (t->out_len + ZK_FRAME_HEADER + part > t->out_cap) {
            t->out_cap = (t->out_len + ZK_FRAME_HEADER + part) * 2;
            t->out = zk_xrealloc(t->out, t->out_cap);
        }
        zk_frame_header((uint8_t *)t->out + t->out_len, id, type, part);
        if (part)
            memcpy(t->out + t->out_len + ZK_FRAME_HEADER, bytes, part);
        t->out_len += ZK_FRAME_HEADER + part;
        bytes += part;
        n -= part;
    } while (n > 0);
    tun_flush(t);
}

/* ---- streams ---- */

static zk_tun_stream *find_stream(zk_tun *t, uint32_t id)
{
    for (zk_tun_stream *s = t->streams; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

static void unlink_stream(zk_tun *t, zk_tun_stream *s)
{
    for (zk_tun_stream **pp = &t->streams; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            return;
        }
}

zk_tun_stream *zk_apis_tunnel_open(zk_apiserver *srv, const char *node, const json_t *req,
                                   const zk_tun_stream_cb *cb, void *ctx)
{
    zk_tun *t = srv->tunnels ? zk_map_get(srv->tunnels, node) : NULL;
    if (!t || t->closed)
        return NULL;
    zk_tun_stream *s = zk_xcalloc(1, sizeof(*s));
    s->t = t;
    s->id = ++t->next_id;
    s->cb = *cb;
    s->ctx = ctx;
    s->next = t->streams;
    t->streams = s;
    zk_autofree char *text = json_dumps(req, JSON_COMPACT);
    tun_send(t, s->id, ZK_FRAME_OPEN, text, strlen(text));
    return s;
}

void zk_apis_tunnel_send(zk_tun_stream *s, const void *p, size_t n)
{
    tun_send(s->t, s->id, ZK_FRAME_DATA, p, n);
}

void zk_apis_tunnel_close(zk_tun_stream *s)
{
    zk_tun *t = s->t;
    unlink_stream(t, s);
    tun_send(t, s->id, ZK_FRAME_CLOSE, NULL, 0);
    free(s);
}

/* ---- input ---- */

static void on_frame(zk_tun *t, const zk_frame *f)
{
    if (f->type == ZK_FRAME_PING) {
        tun_send(t, f->stream, ZK_FRAME_PONG, f->payload, f->len);
        return;
    }
    if (f->type == ZK_FRAME_PONG)
        return;
    zk_tun_stream *s = find_stream(t, f->stream);
    if (!s)
        return;   /* closed here already */
    if (f->type == ZK_FRAME_DATA) {
        if (s->cb.data)
            s->cb.data(s->ctx, (const char *)f->payload, f->len);
    } else if (f->type == ZK_FRAME_CLOSE) {
        json_t *st = f->len ? zk_json_read((const char *)f->payload, f->len, false) : NULL;
        unlink_stream(t, s);
        if (s->cb.closed)
            s->cb.closed(s->ctx, st);
        json_decref(st);
        free(s);
    }
}

static void on_ping_closed(uv_handle_t *h)
{
    zk_tun *t = h->data;
    free(t->out);
    free(t);
}

static void tun_close(zk_tun *t, const char *why)
{
    if (t->closed)
        return;
    t->closed = true;
    zk_info("tunnel of node %s closed: %s", t->node, why);
    if (t->srv->tunnels && zk_map_get(t->srv->tunnels, t->node) == t)
        zk_map_del(t->srv->tunnels, t->node);
    json_t *st = json_pack("{s:i,s:s,s:s}", "code", 503, "reason", "ServiceUnavailable",
                           "message", "the connection to the node agent was lost");
    while (t->streams) {
        zk_tun_stream *s = t->streams;
        t->streams = s->next;
        if (s->cb.closed)
            s->cb.closed(s->ctx, st);
        free(s);
    }
    json_decref(st);
    h2o_socket_close(t->sock);
    free(t->wbuf);
    t->wbuf = NULL;
    uv_timer_stop(&t->ping);
    uv_close((uv_handle_t *)&t->ping, on_ping_closed);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    zk_tun *t = sock->data;
    if (err) {
        tun_close(t, err);
        return;
    }
    t->last_in_ms = zk_mono_ms();
    size_t off = 0;
    while (!t->closed) {
        zk_frame f;
        int n = zk_frame_parse((const uint8_t *)sock->input->bytes + off, sock->input->size - off,
                               &f);
        if (n < 0) {
            tun_close(t, "malformed frame");
            return;
        }
        if (n == 0)
            break;
        off += (size_t)n;
        on_frame(t, &f);
    }
    if (!t->closed)
        h2o_buffer_consume(&sock->input, off);
}

static void on_ping(uv_timer_t *tm)
{
    zk_tun *t = tm->data;
    if (zk_mono_ms() - t->last_in_ms > 3 * TUN_PING_MS) {
        tun_close(t, "no answer to pings");
        return;
    }
    tun_send(t, 0, ZK_FRAME_PING, NULL, 0);
}

static void on_upgraded(void *user, h2o_socket_t *sock, size_t reqsize)
{
    zk_tun *t = user;
    if (!sock) {
        zk_warn("tunnel of node %s: the upgrade failed", t->node);
        free(t);
        return;
    }
    t->sock = sock;
    sock->data = t;
    h2o_buffer_consume(&sock->input, reqsize);
    zk_apiserver *srv = t->srv;
    if (!srv->tunnels)
        srv->tunnels = zk_map_new();
    zk_tun *old = zk_map_get(srv->tunnels, t->node);
    if (old)
        tun_close(old, "replaced by a new connection");
    zk_map_put(srv->tunnels, t->node, t);
    t->last_in_ms = zk_mono_ms();
    uv_timer_init(srv->loop, &t->ping);
    t->ping.data = t;
    uv_timer_start(&t->ping, on_ping, TUN_PING_MS, TUN_PING_MS);
    zk_info("tunnel of node %s open", t->node);
    h2o_socket_read_start(sock, on_read);
    if (sock->input->size)
        on_read(sock, NULL);
}

bool zk_apis_serve_tunnel(zk_call *c)
{
    h2o_req_t *req = c->req;
    const char *name = c->user.name;
    bool node = false;
    for (size_t i = 0; i < c->user.ngroups; i++)
        node |= !strcmp(c->user.groups[i], "system:nodes");
    if (!node || !name || strncmp(name, "system:node:", 12) || !name[12]) {
        zk_apis_status_fmt(req, 403, "Forbidden", "user \"%s\" cannot open a node tunnel: "
                           "only node agents (system:node:<name>, group system:nodes) can",
                           name ? name : "");
        return true;
    }
    /* h2o keeps the Upgrade header apart from the others */
    size_t ulen = req->upgrade.len;
    const char *up = req->upgrade.base;
    if (!up || ulen != 10 || strncasecmp(up, "zke-tunnel", 10) || req->version >= 0x200) {
        zk_apis_status(req, 400, "BadRequest",
                       "a node tunnel is an HTTP/1.1 upgrade to \"zke-tunnel\"", NULL);
        return true;
    }
    zk_tun *t = zk_xcalloc(1, sizeof(*t));
    t->srv = c->srv;
    snprintf(t->node, sizeof(t->node), "%s", name + 12);
    req->res.status = 101;
    req->res.reason = "Switching Protocols";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_UPGRADE, NULL,
                   H2O_STRLIT("zke-tunnel"));
    h2o_http1_upgrade(req, NULL, 0, on_upgraded, t);
    c->req = NULL;   /* the connection is the tunnel's now */
    return true;
}

bool zk_apis_tunnel_connected(zk_apiserver *srv, const char *node)
{
    zk_tun *t = srv->tunnels ? zk_map_get(srv->tunnels, node) : NULL;
    return t && !t->closed;
}

/* ---- pods/log ---- */

typedef struct log_call {
    zk_http_stream *hs;
    zk_tun_stream *ts;
} log_call;

static void log_http_closed(void *ctx, zk_http_stream *s)
{
    log_call *l = ctx;
    l->hs = NULL;
    if (l->ts) {
        zk_apis_tunnel_close(l->ts);
        l->ts = NULL;
    }
    free(l);
}

static void log_write(log_call *l, const char *p, size_t n)
{
    zk_chunk *c = zk_chunk_new(p, n);
    int rc = zk_http_stream_write(l->hs, c);
    zk_chunk_unref(c);
    if (rc < 0 && l->ts) {
        /* the client reads too slowly: end its stream */
        zk_apis_tunnel_close(l->ts);
        l->ts = NULL;
        zk_http_stream_end(l->hs);
    }
}

static void log_data(void *ctx, const char *p, size_t n)
{
    log_call *l = ctx;
    if (l->hs)
        log_write(l, p, n);
}

static void log_closed(void *ctx, json_t *st)
{
    log_call *l = ctx;
    l->ts = NULL;
    if (!l->hs)
        return;
    const char *msg = zk_json_str(st, "message");
    if (zk_json_int(st, "code", 0) >= 400 && msg) {
        /* the stream has begun: the agent's error ends it as text */
        zk_autofree char *line = zk_xasprintf("unable to retrieve container logs: %s\n", msg);
        log_write(l, line, strlen(line));
    }
    if (l->hs)
        zk_http_stream_end(l->hs);   /* frees l through log_http_closed */
}

/* The status of container name in pod (any list), or NULL. */
static const json_t *ctr_status_of(const json_t *pod, const char *name)
{
    const char *lists[] = {"containerStatuses", "initContainerStatuses",
                           "ephemeralContainerStatuses"};
    for (size_t l = 0; l < 3; l++) {
        size_t i;
        json_t *x;
        json_array_foreach(zk_json_path(pod, "status", lists[l], NULL), i, x) {
            const char *n = zk_json_str(x, "name");
            if (n && !strcmp(n, name))
                return x;
        }
    }
    return NULL;
}

/* A container name of the pod, or an error answered (false). */
static bool pick_container(zk_call *c, const json_t *pod, char *out, size_t n)
{
    char want[300];
    const char *q = zk_query_get(c->ri.query, "container", want, sizeof(want));
    const json_t *spec = json_object_get(pod, "spec");
    const char *lists[] = {"containers", "initContainers", "ephemeralContainers"};
    if (q && *q) {
        for (size_t l = 0; l < 3; l++) {
            size_t i;
            json_t *x;
            json_array_foreach(json_object_get(spec, lists[l]), i, x) {
                const char *name = zk_json_str(x, "name");
                if (name && !strcmp(name, q)) {
                    snprintf(out, n, "%s", name);
                    return true;
                }
            }
        }
        zk_apis_status_fmt(c->req, 400, "BadRequest", "container %s is not valid for pod %s", q,
                           c->ri.name);
        return false;
    }
    const json_t *ctrs = json_object_get(spec, "containers");
    if (json_array_size(ctrs) == 1) {
        snprintf(out, n, "%s", zk_json_str(json_array_get(ctrs, 0), "name") ?: "");
        return true;
    }
    char names[1024] = "";
    size_t off = 0, i;
    json_t *x;
    json_array_foreach(ctrs, i, x) {
        int w = snprintf(names + off, sizeof(names) - off, "%s%s", i ? " " : "",
                         zk_json_str(x, "name") ?: "");
        if (w < 0 || (size_t)w >= sizeof(names) - off)
            break;
        off += (size_t)w;
    }
    zk_apis_status_fmt(c->req, 400, "BadRequest",
                       "a container name must be specified for pod %s, choose one of: [%s]",
                       c->ri.name, names);
    return false;
}

/* Query parameters of a log request, checked, into the agent's request. */
static bool log_params(zk_call *c, json_t *r)
{
    static const struct {
        const char *name;
        bool boolean;
    } params[] = {{"follow", true},     {"previous", true},     {"timestamps", true},
                  {"tailLines", false}, {"sinceSeconds", false}, {"limitBytes", false}};
    char buf[64];
    for (size_t i = 0; i < ZK_ARRAY_LEN(params); i++) {
        const char *v = zk_query_get(c->ri.query, params[i].name, buf, sizeof(buf));
        if (!v)
            continue;
        if (params[i].boolean) {
            json_object_set_new(r, params[i].name, json_boolean(!strcmp(v, "true") ||
                                                                !strcmp(v, "1")));
            continue;
        }
        char *end;
        long long n = strtoll(v, &end, 10);
        if (*end || !*v || n < 0 || (n == 0 && strcmp(params[i].name, "tailLines"))) {
            zk_apis_status_fmt(c->req, 422, "Invalid",
                               "PodLogOptions \"%s\" is invalid: %s: Invalid value: \"%s\": must "
                               "be %s", c->ri.name, params[i].name, v,
                               !strcmp(params[i].name, "tailLines") ? "greater than or equal to 0"
                                                                    : "greater than 0");
            return false;
        }
        json_object_set_new(r, params[i].name, json_integer(n));
    }
    char since[64];
    const char *st = zk_query_get(c->ri.query, "sinceTime", since, sizeof(since));
    if (st) {
        if (json_object_get(r, "sinceSeconds")) {
            zk_apis_status_fmt(c->req, 422, "Invalid",
                               "PodLogOptions \"%s\" is invalid: sinceTime: Forbidden: at most "
                               "one of sinceTime or sinceSeconds may be specified", c->ri.name);
            return false;
        }
        zk_json_set_str(r, "sinceTime", st);
    }
    return true;
}

void zk_apis_serve_pod_log(zk_call *c, const json_t *pod, const char *node)
{
    if (strcmp(c->ri.verb, "get")) {
        zk_apis_status(c->req, 405, "MethodNotAllowed", "the server does not allow this method "
                       "on the requested resource", NULL);
        return;
    }
    char ctr[300];
    if (!pick_container(c, pod, ctr, sizeof(ctr)))
        return;
    json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:s}", "op", "log", "namespace",
                          zk_json_path_str(pod, "metadata", "namespace", NULL) ?: "", "name",
                          c->ri.name, "uid", zk_json_path_str(pod, "metadata", "uid", NULL) ?: "",
                          "container", ctr);
    if (!log_params(c, r)) {
        json_decref(r);
        return;
    }
    /* what the pod's status already tells, answered as the kubelet does */
    const json_t *cs = ctr_status_of(pod, ctr);
    bool previous = json_is_true(json_object_get(r, "previous"));
    const json_t *waiting = zk_json_path(cs, "state", "waiting", NULL);
    if (previous && !zk_json_path(cs, "lastState", "terminated", NULL)) {
        zk_apis_status_fmt(c->req, 400, "BadRequest",
                           "previous terminated container \"%s\" in pod \"%s\" not found", ctr,
                           c->ri.name);
        json_decref(r);
        return;
    }
    if (!previous && (!cs || (waiting && !zk_json_path(cs, "lastState", "terminated", NULL)))) {
        zk_apis_status_fmt(c->req, 400, "BadRequest",
                           "container \"%s\" in pod \"%s\" is waiting to start: %s", ctr,
                           c->ri.name, zk_json_str(waiting, "reason") ?: "ContainerCreating");
        json_decref(r);
        return;
    }
    log_call *l = zk_xcalloc(1, sizeof(*l));
    zk_tun_stream_cb cb = {.data = log_data, .closed = log_closed};
    l->ts = zk_apis_tunnel_open(c->srv, node, r, &cb, l);
    json_decref(r);
    if (!l->ts) {
        free(l);
        zk_apis_status_fmt(c->req, 503, "ServiceUnavailable",
                           "the node agent on node \"%s\" is not connected to this server, so "
                           "pods/log for pod \"%s\" cannot be served", node, c->ri.name);
        return;
    }
    l->hs = zk_http_stream_start_raw(c->req, 200, "text/plain", LOG_QUEUE_MAX, log_http_closed,
                                     l);
    if (!l->hs) {
        zk_apis_tunnel_close(l->ts);
        free(l);
    }
}

/* ---- pods/exec over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) ----
 *
 * Every WebSocket message is a channel byte and its bytes (0 stdin, 1
 * stdout, 2 stderr, 3 the error channel with the final Status, 4 resize;
 * v5 adds 255: close the channel named by the next byte). The agent speaks
 * the same messages on its tunnel stream, so the server relays them as they
 * are. */

/* After the final Status the server waits this long before it closes:
 * client-go drops an error-channel message that the close overtakes, and
 * kubectl then exits 0 for a failed command (one run in 30 here without the
 * pause, none in 120 with it). kubectl itself waits for the server to close. */
#define EXEC_LINGER_MS 100

typedef struct exec_call {
    h2o_websocket_conn_t *ws;
    zk_tun_stream *ts;
    bool ws_closing;
    uv_timer_t linger;
    bool lingering;
} exec_call;

static void ws_send(exec_call *e, const char *p, size_t n)
{
    if (!e->ws || e->ws_closing)
        return;
    struct wslay_event_msg m = {.opcode = WSLAY_BINARY_FRAME, .msg = (const uint8_t *)p,
                                .msg_length = n};
    wslay_event_queue_msg(e->ws->ws_ctx, &m);
    h2o_websocket_proceed(e->ws);
}

static void ws_close(exec_call *e)
{
    if (!e->ws || e->ws_closing)
        return;
    e->ws_closing = true;
    /* a normal close after what is queued; h2o ends the connection then */
    wslay_event_queue_close(e->ws->ws_ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
    h2o_websocket_proceed(e->ws);
}

static void exec_data(void *ctx, const char *p, size_t n)
{
    ws_send(ctx, p, n);
}

static void on_linger(uv_timer_t *t)
{
    exec_call *e = t->data;
    e->lingering = false;
    ws_close(e);
}

static void on_linger_closed(uv_handle_t *h)
{
    free(h->data);
}

static void exec_closed(void *ctx, json_t *st)
{
    exec_call *e = ctx;
    e->ts = NULL;
    const char *msg = zk_json_str(st, "message");
    if (zk_json_int(st, "code", 0) >= 400 && msg) {
        /* the agent could not run it: the error channel says why */
        json_t *s = json_pack("{s:{},s:s,s:s,s:s,s:I}", "metadata", "status", "Failure",
                              "message", msg, "reason", zk_json_str(st, "reason") ?: "InternalError",
                              "code", zk_json_int(st, "code", 500));
        zk_autofree char *text = json_dumps(s, JSON_COMPACT);
        json_decref(s);
        size_t n = strlen(text);
        zk_autofree char *buf = zk_xmalloc(n + 1);
        buf[0] = 3;
        memcpy(buf + 1, text, n);
        ws_send(e, buf, n + 1);
    }
    if (!e->ws) {
        uv_close((uv_handle_t *)&e->linger, on_linger_closed);
        return;
    }
    uv_timer_start(&e->linger, on_linger, EXEC_LINGER_MS, 0);
    e->lingering = true;
}

static void on_ws_msg(h2o_websocket_conn_t *ws, const struct wslay_event_on_msg_recv_arg *arg)
{
    exec_call *e = ws->data;
    if (!arg) {
        /* the connection is gone (either side closed it) */
        h2o_websocket_close(ws);
        e->ws = NULL;
        if (e->ts) {
            zk_apis_tunnel_close(e->ts);
            e->ts = NULL;
        }
        uv_timer_stop(&e->linger);
        uv_close((uv_handle_t *)&e->linger, on_linger_closed);
        return;
    }
    if (arg->opcode != WSLAY_BINARY_FRAME && arg->opcode != WSLAY_TEXT_FRAME)
        return;
    if (e->ts && arg->msg_length)
        zk_apis_tunnel_send(e->ts, arg->msg, arg->msg_length);
}

/* The subprotocol to speak: v5 first, as kube-apiserver prefers it. */
static const char *pick_protocol(h2o_req_t *req)
{
    size_t len = 0;
    const char *v = zk_http_header(req, "sec-websocket-protocol", &len);
    if (!v)
        return NULL;
    char buf[512];
    snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), v);
    if (strstr(buf, "v5.channel.k8s.io"))
        return "v5.channel.k8s.io";
    if (strstr(buf, "v4.channel.k8s.io"))
        return "v4.channel.k8s.io";
    return NULL;
}

/* command=... may repeat: every value, decoded, in order. */
static json_t *query_all(const char *query, const char *name)
{
    json_t *out = json_array();
    size_t nl = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            char val[4096];
            if (zk_url_decode(p + nl + 1, plen - nl - 1, val, sizeof(val), true) >= 0)
                json_array_append_new(out, json_string(val));
        }
        p = amp ? amp + 1 : NULL;
    }
    return out;
}

void zk_apis_serve_pod_exec(zk_call *c, const json_t *pod, const char *node)
{
    h2o_req_t *req = c->req;
    const char *key = NULL;
    const char *proto = pick_protocol(req);
    /* what is wrong with the request is said first, whatever the protocol:
     * kubectl retries a failed WebSocket upgrade with SPDY and shows that
     * answer */
    char ctr[300];
    if (!pick_container(c, pod, ctr, sizeof(ctr)))
        return;
    json_t *cmd = query_all(c->ri.query, "command");
    if (!json_array_size(cmd)) {
        json_decref(cmd);
        zk_apis_status(req, 400, "BadRequest", "you must specify at least 1 command", NULL);
        return;
    }
    const json_t *cs = ctr_status_of(pod, ctr);
    if (!zk_json_path(cs, "state", "running", NULL)) {
        json_decref(cmd);
        zk_apis_status_fmt(req, 400, "BadRequest", "container %s is not running in pod %s", ctr,
                           c->ri.name);
        return;
    }
    if (req->version >= 0x200 || h2o_is_websocket_handshake(req, &key) != 0 || !key) {
        json_decref(cmd);
        zk_apis_status(req, 400, "BadRequest", "Upgrade request required: zke serves exec over "
                       "WebSocket (v5.channel.k8s.io, v4.channel.k8s.io); SPDY/3.1 is not "
                       "supported yet", NULL);
        return;
    }
    if (!proto) {
        json_decref(cmd);
        zk_apis_status(req, 400, "BadRequest", "no WebSocket subprotocol this server speaks: "
                       "ask for v5.channel.k8s.io or v4.channel.k8s.io", NULL);
        return;
    }
    char b[16];
    json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:b,s:b,s:b,s:b,s:s}", "op", "exec",
                          "namespace", zk_json_path_str(pod, "metadata", "namespace", NULL) ?: "",
                          "name", c->ri.name, "uid",
                          zk_json_path_str(pod, "metadata", "uid", NULL) ?: "", "container", ctr,
                          "command", cmd, "stdin", zk_query_get(c->ri.query, "stdin", b, sizeof(b))
                                                       && !strcmp(b, "true"),
                          "stdout", !zk_query_get(c->ri.query, "stdout", b, sizeof(b)) ||
                                        strcmp(b, "false"),
                          "stderr", !zk_query_get(c->ri.query, "stderr", b, sizeof(b)) ||
                                        strcmp(b, "false"),
                          "tty", zk_query_get(c->ri.query, "tty", b, sizeof(b)) &&
                                     !strcmp(b, "true"),
                          "protocol", proto);
    exec_call *e = zk_xcalloc(1, sizeof(*e));
    zk_tun_stream_cb cb = {.data = exec_data, .closed = exec_closed};
    e->ts = zk_apis_tunnel_open(c->srv, node, r, &cb, e);
    json_decref(r);
    if (!e->ts) {
        free(e);
        zk_apis_status_fmt(req, 503, "ServiceUnavailable",
                           "the node agent on node \"%s\" is not connected to this server, so "
                           "pods/exec for pod \"%s\" cannot be served", node, c->ri.name);
        return;
    }
    uv_timer_init(c->srv->loop, &e->linger);
    e->linger.data = e;
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-protocol"), 0,
                          NULL, proto, strlen(proto));
    e->ws = h2o_upgrade_to_websocket(req, key, e, on_ws_msg);
    c->req = NULL;   /* the connection is the WebSocket's now */
}
