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

#define TUN_PING_MS 30000
#define TUN_OUT_MAX (32u << 20)    /* queued bytes before a tunnel is dropped */
#define LOG_QUEUE_MAX (8u << 20)   /* bytes a log client may lag behind */

struct zk_tun_stream {
    zk_tun *t;
    uint32_t id;
    zk_tun_stream_cb cb;
    void *ctx;
    int64_t room;          /* bytes it may still send to the agent */
    size_t held;           /* bytes from the agent not yet passed on */
    size_t owed;           /* passed on, not yet credited */
    bool waiting;
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
    bool flow;             /* the agent speaks version 2: stream windows */
    bool overflow;         /* the agent stopped reading: close it */
};

/* Without windows (an older agent) a sender pauses while this much waits
 * to go out on the tunnel. */
#define QUEUED_MAX (1u << 20)
/* What an agent may send past its window: one read of its source. */
#define WINDOW_SLACK (2 * ZK_FRAME_MAX)

/* ---- output ---- */

static void tun_flush(zk_tun *t);
static void wake_waiting(zk_tun *t);

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
    if (!t->writing)
        wake_waiting(t);
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
static void on_ping(uv_timer_t *tm);

static void tun_send(zk_tun *t, uint32_t id, int type, const void *p, size_t n)
{
    if (t->closed || t->overflow)
        return;
    const char *bytes = p;
    do {
        size_t part = n > ZK_FRAME_MAX ? ZK_FRAME_MAX : n;
        if (t->out_len + ZK_FRAME_HEADER + part > TUN_OUT_MAX) {
            /* closed from the loop, not inside a caller's send */
            t->overflow = true;
            uv_timer_start(&t->ping, on_ping, 0, TUN_PING_MS);
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
    s->room = ZK_TUN_WINDOW;
    s->next = t->streams;
    t->streams = s;
    zk_autofree char *text = json_dumps(req, JSON_COMPACT);
    tun_send(t, s->id, ZK_FRAME_OPEN, text, strlen(text));
    return s;
}

void zk_apis_tunnel_send(zk_tun_stream *s, const void *p, size_t n)
{
    s->room -= (int64_t)n;
    tun_send(s->t, s->id, ZK_FRAME_DATA, p, n);
}

void zk_apis_tunnel_send_channel(zk_tun_stream *s, int ch, const void *p, size_t n)
{
    uint8_t buf[ZK_FRAME_MAX];
    const uint8_t *bytes = p;
    do {
        size_t part = n > ZK_FRAME_MAX - 1 ? ZK_FRAME_MAX - 1 : n;
        buf[0] = (uint8_t)ch;
        memcpy(buf + 1, bytes, part);
        zk_apis_tunnel_send(s, buf, part + 1);
        bytes += part;
        n -= part;
    } while (n > 0);
}

size_t zk_apis_tunnel_room(zk_tun_stream *s)
{
    zk_tun *t = s->t;
    size_t queued = t->out_len + t->wlen;
    size_t room = 0;
    if (t->closed)
        room = 0;
    else if (!t->flow)
        room = queued < QUEUED_MAX ? QUEUED_MAX - queued : 0;
    else if (s->room > 0 && queued < 4 * QUEUED_MAX)
        room = (size_t)s->room;
    if (!room)
        s->waiting = true;
    return room;
}

void zk_apis_tunnel_consumed(zk_tun_stream *s, size_t n)
{
    zk_tun *t = s->t;
    s->held = n < s->held ? s->held - n : 0;
    if (!t->flow)
        return;
    uint8_t b[4];
    if (zk_frame_credit(&s->owed, n, b))
        tun_send(t, s->id, ZK_FRAME_WINDOW, b, 4);
}

/* Streams that found no room and have some now hear so, one at a time: a
 * callback may close any stream. */
static void wake_waiting(zk_tun *t)
{
    for (;;) {
        zk_tun_stream *s = t->streams;
        while (s && !(s->waiting && s->cb.writable && zk_apis_tunnel_room(s) > 0))
            s = s->next;
        if (!s)
            return;
        s->waiting = false;
        s->cb.writable(s->ctx);
    }
}

void zk_apis_tunnel_eof(zk_tun_stream *s)
{
    tun_send(s->t, s->id, ZK_FRAME_EOF, NULL, 0);
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
        if (t->flow && s->held + f->len > ZK_TUN_WINDOW + WINDOW_SLACK) {
            json_t *st = json_pack("{s:i,s:s,s:s}", "code", 502, "reason", "BadGateway",
                                   "message", "the node agent sent past its stream's window");
            zk_warn("tunnel of node %s: stream %u overran its window", t->node, s->id);
            unlink_stream(t, s);
            tun_send(t, s->id, ZK_FRAME_CLOSE, NULL, 0);
            if (s->cb.closed)
                s->cb.closed(s->ctx, st);
            json_decref(st);
            free(s);
            return;
        }
        if (!s->cb.credit || !s->cb.data)
            zk_apis_tunnel_consumed(s, f->len);   /* before: the callback may free s */
        else
            s->held += f->len;
        if (s->cb.data)
            s->cb.data(s->ctx, (const char *)f->payload, f->len);
    } else if (f->type == ZK_FRAME_WINDOW) {
        s->room += zk_frame_window(f);
        wake_waiting(t);
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
    if (t->overflow) {
        tun_close(t, "the agent does not read its tunnel");
        return;
    }
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
    size_t vlen = 0;
    const char *ver = zk_http_header(req, "zke-tunnel-version", &vlen);
    if (ver && vlen == 1 && *ver == '2') {
        t->flow = true;
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("zke-tunnel-version"), 0,
                              NULL, H2O_STRLIT("2"));
    }
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
const json_t *zk_apis_ctr_status(const json_t *pod, const char *name)
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
bool zk_apis_pick_container(zk_call *c, const json_t *pod, char *out, size_t n)
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
    if (!zk_apis_pick_container(c, pod, ctr, sizeof(ctr)))
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
    const json_t *cs = zk_apis_ctr_status(pod, ctr);
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
