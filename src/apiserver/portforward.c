/* zke apiserver: pods/portforward, relayed to the pod's node agent.
 *
 * Three ways in, one way out. kubectl 1.31+ sends SPDY/3.1 inside
 * WebSocket binary messages (subprotocol "SPDY/3.1+portforward.k8s.io");
 * older kubectl and other client-go users upgrade straight to SPDY/3.1
 * ("Upgrade: SPDY/3.1", "X-Stream-Protocol-Version: portforward.k8s.io");
 * the Python client speaks WebSocket channels (v4.channel.k8s.io, the
 * ports in the query: port i gets data channel 2i and error channel 2i+1,
 * each opened by a message of the port number, little-endian).
 *
 * In SPDY each forwarded connection is a pair of streams that share a
 * requestID header: an error stream (the client only reads it: a message
 * there is an error, its end is the end) and a data stream. Each pair (and
 * each WebSocket port) is one tunnel stream to the agent ({"op":
 * "portforward","uid","port"}), which connects to the port inside the pod.
 *
 * Both directions wait for the slower side, as exec does: the client is not
 * read while a stream to the agent has no room, and the agent gets its
 * credit back only once the client took the bytes. moby/spdystream counts
 * no SPDY windows (see net/spdy.h), so none are sent or enforced toward
 * the client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/spdy.h"
#include "net/ws.h"

#include <h2o/websocket.h>

#define PF_REQS_MAX 128            /* forwarded connections at once on one session */
#define PF_PORTS_MAX 16            /* ports of one WebSocket channel session */
#define WS_MSG_MAX (1u << 20)
#define SPDY_IN_MAX (2u << 20)     /* SPDY bytes taken from WebSocket messages, not yet parsed */
#define CLIENT_QUEUE_HIGH (256u * 1024)
#define OUT_MAX (8u << 20)

typedef enum { PF_SPDY, PF_SPDY_WS, PF_CHANNELS } pf_mode;

typedef struct pf_session pf_session;

/* One forwarded connection: a SPDY stream pair, or a channel pair. */
typedef struct pf_req {
    pf_session *ss;
    char id[64];               /* requestID (SPDY) */
    uint32_t data_sid, err_sid;
    int port;
    int index;                 /* channels: the port's index */
    zk_tun_stream *ts;
    size_t owed;               /* agent bytes the client has not taken yet */
    bool ended;                /* the agent's side is over */
    struct pf_req *next;
} pf_req;

struct pf_session {
    zk_apiserver *srv;
    char node[256], uid[64], pod[256];
    pf_mode mode;
    zk_upconn *u;
    zk_ws *ws;
    zk_spdy *spdy;
    uint8_t *in;               /* SPDY bytes to parse */
    size_t in_len;
    bool paused;               /* a stream to the agent has no room */
    bool dead;
    uv_timer_t reaper;         /* frees the session from the loop */
    pf_req *reqs;
    int nreqs;
};

static void session_end(pf_session *ss);

/* ---- output ---- */

/* Bytes of the session's protocol out to the client: SPDY frames go in a
 * WebSocket binary message when they ride one. */
static void client_write(pf_session *ss, const void *p, size_t n)
{
    if (!ss->u || !n)
        return;
    if (ss->mode == PF_SPDY_WS) {
        uint8_t h[ZK_WS_HEADER_MAX];
        zk_upconn_write(ss->u, h, zk_ws_header(h, ZK_WS_BINARY, n));
    }
    zk_upconn_write(ss->u, p, n);
}

static void spdy_flush(pf_session *ss, zk_buf *b)
{
    client_write(ss, b->data, b->len);
    zk_buf_reset(b);
}

static void spdy_fin(pf_session *ss, uint32_t sid, const char *msg)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
    if (msg && *msg)
        zk_spdy_data(&b, sid, msg, strlen(msg), 0);
    zk_spdy_data(&b, sid, NULL, 0, ZK_SPDY_FLAG_FIN);
    spdy_flush(ss, &b);
}

/* A channel message: the channel byte, then the bytes. */
static void channel_write(pf_session *ss, int ch, const void *p, size_t n)
{
    if (!ss->u)
        return;
    uint8_t h[ZK_WS_HEADER_MAX];
    uint8_t c = (uint8_t)ch;
    zk_upconn_write(ss->u, h, zk_ws_header(h, ZK_WS_BINARY, n + 1));
    zk_upconn_write(ss->u, &c, 1);
    zk_upconn_write(ss->u, p, n);
}

static void ws_close(pf_session *ss, uint16_t code, const char *reason)
{
    if (!ss->u)
        return;
    uint8_t pl[ZK_WS_CONTROL_MAX];
    size_t n = zk_ws_close_payload(pl, code, reason);
    uint8_t h[ZK_WS_HEADER_MAX];
    zk_upconn_write(ss->u, h, zk_ws_header(h, ZK_WS_CLOSE, n));
    zk_upconn_write(ss->u, pl, n);
}

/* ---- requests ---- */

static void req_free(pf_req *r)
{
    pf_session *ss = r->ss;
    for (pf_req **pp = &ss->reqs; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    ss->nreqs--;
    if (r->ts)
        zk_apis_tunnel_close(r->ts);
    free(r);
}

static void agent_data(void *ctx, const char *p, size_t n)
{
    pf_req *r = ctx;
    pf_session *ss = r->ss;
    if (!ss->u) {
        zk_apis_tunnel_consumed(r->ts, n);
        return;
    }
    if (ss->mode == PF_CHANNELS) {
        channel_write(ss, 2 * r->index, p, n);
    } else {
        zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
        zk_spdy_data(&b, r->data_sid, p, n, 0);
        spdy_flush(ss, &b);
    }
    if (zk_upconn_queued(ss->u) < CLIENT_QUEUE_HIGH)
        zk_apis_tunnel_consumed(r->ts, n);
    else
        r->owed += n;
}

static void pump(pf_session *ss);

static void agent_writable(void *ctx)
{
    pf_req *r = ctx;
    pf_session *ss = r->ss;
    if (!ss->paused || !ss->u)
        return;
    ss->paused = false;
    pump(ss);
    if (!ss->paused && ss->u)
        zk_upconn_pause(ss->u, false);
}

static void agent_closed(void *ctx, json_t *st)
{
    pf_req *r = ctx;
    pf_session *ss = r->ss;
    r->ts = NULL;
    r->ended = true;
    const char *msg = zk_json_int(st, "code", 0) >= 400 ? zk_json_str(st, "message") : NULL;
    if (ss->mode == PF_CHANNELS) {
        if (msg)
            channel_write(ss, 2 * r->index + 1, msg, strlen(msg));
        /* the client learns a port is over when the connection ends */
        bool all = true;
        for (pf_req *x = ss->reqs; x; x = x->next)
            all &= x->ended;
        if (all) {
            ws_close(ss, ZK_WS_NORMAL, NULL);
            session_end(ss);
        }
        return;
    }
    /* the data stream ends, then the error stream (with the error): the
     * client's copy finishes and its read of the error stream returns */
    spdy_fin(ss, r->data_sid, NULL);
    spdy_fin(ss, r->err_sid, msg);
    req_free(r);
}

static bool req_open(pf_req *r)
{
    pf_session *ss = r->ss;
    json_t *q = json_pack("{s:s,s:s,s:s,s:i}", "op", "portforward", "uid", ss->uid, "name",
                          ss->pod, "port", r->port);
    zk_tun_stream_cb cb = {.data = agent_data, .credit = true, .writable = agent_writable,
                           .closed = agent_closed};
    r->ts = zk_apis_tunnel_open(ss->srv, ss->node, q, &cb, r);
    json_decref(q);
    return r->ts != NULL;
}

static pf_req *req_find(pf_session *ss, const char *id)
{
    for (pf_req *r = ss->reqs; r; r = r->next)
        if (!strcmp(r->id, id))
            return r;
    return NULL;
}

static pf_req *req_of_stream(pf_session *ss, uint32_t sid)
{
    for (pf_req *r = ss->reqs; r; r = r->next)
        if (r->data_sid == sid || r->err_sid == sid)
            return r;
    return NULL;
}

/* ---- SPDY from the client ---- */

static void rst(pf_session *ss, uint32_t sid, uint32_t status)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
    zk_spdy_rst_stream(&b, sid, status);
    spdy_flush(ss, &b);
}

static void on_syn_stream(pf_session *ss, const zk_spdy_event *ev)
{
    size_t tl = 0, pl = 0, il = 0;
    const char *type = zk_spdy_event_header(ev, "streamtype", &tl);
    const char *port = zk_spdy_event_header(ev, "port", &pl);
    const char *rid = zk_spdy_event_header(ev, "requestid", &il);
    bool is_data = type && tl == 4 && !memcmp(type, "data", 4);
    bool is_err = type && tl == 5 && !memcmp(type, "error", 5);
    char pbuf[8] = "";
    if (port && pl < sizeof(pbuf))
        memcpy(pbuf, port, pl), pbuf[pl] = '\0';
    char *end;
    long pn = strtol(pbuf, &end, 10);
    if ((!is_data && !is_err) || !*pbuf || *end || pn < 1 || pn > 65535 || (rid && il > 60)) {
        rst(ss, ev->stream, ZK_SPDY_PROTOCOL_ERROR);
        return;
    }
    /* without a requestID (very old clients) the pair is the error stream
     * and the data stream two ids after it, as the kubelet pairs them */
    char id[64];
    if (rid)
        snprintf(id, sizeof(id), "%.*s", (int)il, rid);
    else
        snprintf(id, sizeof(id), "#%u", is_err ? ev->stream : ev->stream - 2);
    pf_req *r = req_find(ss, id);
    if (!r) {
        if (ss->nreqs >= PF_REQS_MAX) {
            rst(ss, ev->stream, ZK_SPDY_REFUSED_STREAM);
            return;
        }
        r = zk_xcalloc(1, sizeof(*r));
        r->ss = ss;
        snprintf(r->id, sizeof(r->id), "%s", id);
        r->port = (int)pn;
        r->next = ss->reqs;
        ss->reqs = r;
        ss->nreqs++;
    }
    if ((is_data ? r->data_sid : r->err_sid) || r->port != (int)pn) {
        rst(ss, ev->stream, ZK_SPDY_PROTOCOL_ERROR);
        return;
    }
    *(is_data ? &r->data_sid : &r->err_sid) = ev->stream;
    zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
    zk_err err = {0};
    if (zk_spdy_syn_reply(ss->spdy, &b, ev->stream, NULL, NULL, 0, 0, &err) < 0) {
        zk_warn("port-forward: %s", err.msg);
        session_end(ss);
        return;
    }
    spdy_flush(ss, &b);
    if (r->data_sid && r->err_sid && !r->ts && !req_open(r)) {
        zk_autofree char *msg = zk_xasprintf("error forwarding port %d to pod %s: the node "
                                             "agent on node \"%s\" is not connected to this "
                                             "server", r->port, ss->pod, ss->node);
        spdy_fin(ss, r->data_sid, NULL);
        spdy_fin(ss, r->err_sid, msg);
        req_free(r);
    }
}

static void on_spdy_event(pf_session *ss, const zk_spdy_event *ev)
{
    switch (ev->type) {
    case ZK_SPDY_SYN_STREAM:
        on_syn_stream(ss, ev);
        break;
    case ZK_SPDY_DATA: {
        pf_req *r = req_of_stream(ss, ev->stream);
        if (!r || ev->stream != r->data_sid)
            break;   /* the error stream carries nothing from the client */
        if (r->ts && ev->len) {
            zk_apis_tunnel_send(r->ts, ev->data, ev->len);
            if (zk_apis_tunnel_room(r->ts) == 0)
                ss->paused = true;
        }
        if ((ev->flags & ZK_SPDY_FLAG_FIN) && r->ts)
            zk_apis_tunnel_eof(r->ts);
        break;
    }
    case ZK_SPDY_RST_STREAM: {
        pf_req *r = req_of_stream(ss, ev->stream);
        if (r)
            req_free(r);
        break;
    }
    case ZK_SPDY_PING: {
        zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
        zk_spdy_ping(&b, ev->ping);
        spdy_flush(ss, &b);
        break;
    }
    case ZK_SPDY_GOAWAY:
        zk_info("port-forward to pod %s: the client said goodbye", ss->pod);
        session_end(ss);
        break;
    default:
        break;   /* SETTINGS, WINDOW_UPDATE, HEADERS, SYN_REPLY: nothing to do */
    }
}

/* Parse what SPDY bytes there are, until a stream to the agent is full. */
static void pump(pf_session *ss)
{
    size_t off = 0;
    while (!ss->dead && !ss->paused && off < ss->in_len) {
        zk_spdy_event ev;
        zk_err err = {0};
        int n = zk_spdy_parse(ss->spdy, ss->in + off, ss->in_len - off, &ev, &err);
        if (n < 0) {
            zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
            zk_spdy_goaway(&b, 0, ZK_SPDY_GOAWAY_PROTOCOL_ERROR);
            spdy_flush(ss, &b);
            zk_warn("port-forward to pod %s: the client broke SPDY: %s", ss->pod, err.msg);
            session_end(ss);
            return;
        }
        if (n == 0)
            break;
        off += (size_t)n;
        on_spdy_event(ss, &ev);
    }
    if (ss->dead)
        return;
    memmove(ss->in, ss->in + off, ss->in_len - off);
    ss->in_len -= off;
}

static bool take_spdy(pf_session *ss, const uint8_t *p, size_t n)
{
    if (ss->in_len + n > SPDY_IN_MAX)
        return false;
    memcpy(ss->in + ss->in_len, p, n);
    ss->in_len += n;
    pump(ss);
    return true;
}

/* ---- the channel protocol from the client ---- */

static void on_channel_msg(pf_session *ss, const uint8_t *p, size_t n)
{
    if (n < 1)
        return;
    int ch = p[0];
    for (pf_req *r = ss->reqs; r; r = r->next) {
        if (ch != 2 * r->index || !r->ts || n < 2)
            continue;
        zk_apis_tunnel_send(r->ts, p + 1, n - 1);
        if (zk_apis_tunnel_room(r->ts) == 0)
            ss->paused = true;
    }
}

/* ---- the connection ---- */

static ssize_t client_read(void *ctx, uint8_t *p, size_t n)
{
    pf_session *ss = ctx;
    if (ss->mode == PF_SPDY) {
        size_t take = n < SPDY_IN_MAX - ss->in_len ? n : SPDY_IN_MAX - ss->in_len;
        if (ss->paused || !take)
            goto paused;
        take_spdy(ss, p, take);
        if (ss->paused)
            zk_upconn_pause(ss->u, true);
        return ss->dead ? -1 : (ssize_t)take;
    }
    size_t off = 0;
    while (off < n && !ss->dead) {
        if (ss->paused)
            goto paused_off;
        size_t used = 0;
        zk_ws_msg m;
        int rc = zk_ws_parse(ss->ws, p + off, n - off, &used, &m);
        off += used;
        if (rc < 0) {
            uint16_t code = ZK_WS_PROTOCOL_ERROR;
            const char *why = zk_ws_error(ss->ws, &code);
            ws_close(ss, code, why);
            session_end(ss);
            break;
        }
        if (rc == 0)
            break;
        if (m.opcode == ZK_WS_PING) {
            uint8_t h[ZK_WS_HEADER_MAX];
            zk_upconn_write(ss->u, h, zk_ws_header(h, ZK_WS_PONG, m.len));
            zk_upconn_write(ss->u, m.data, m.len);
        } else if (m.opcode == ZK_WS_CLOSE) {
            ws_close(ss, ZK_WS_NORMAL, NULL);
            session_end(ss);
        } else if (m.opcode == ZK_WS_BINARY || m.opcode == ZK_WS_TEXT) {
            if (ss->mode == PF_CHANNELS) {
                on_channel_msg(ss, m.data, m.len);
            } else if (!take_spdy(ss, m.data, m.len)) {
                ws_close(ss, ZK_WS_TOO_BIG, "SPDY frames arrive faster than they are taken");
                session_end(ss);
            }
        }
    }
    return (ssize_t)off;
paused_off:
    zk_upconn_pause(ss->u, true);
    return (ssize_t)off;
paused:
    zk_upconn_pause(ss->u, true);
    return 0;
}

static void client_drained(void *ctx)
{
    pf_session *ss = ctx;
    for (pf_req *r = ss->reqs; r; r = r->next)
        if (r->ts && r->owed) {
            zk_apis_tunnel_consumed(r->ts, r->owed);
            r->owed = 0;
        }
}

static void session_free(pf_session *ss)
{
    while (ss->reqs)
        req_free(ss->reqs);
    zk_ws_free(ss->ws);
    if (ss->spdy)
        zk_spdy_free(ss->spdy);
    free(ss->in);
    free(ss);
}

static void on_reaped(uv_handle_t *h)
{
    session_free(h->data);
}

/* The session is over: its streams to the agent are closed, the connection
 * goes once what is queued is written, and the session is freed from the
 * loop (its callers may still hold it). */
static void session_end(pf_session *ss)
{
    if (ss->dead)
        return;
    ss->dead = true;
    if (ss->u) {
        zk_upconn_close(ss->u);
        ss->u = NULL;
    }
    while (ss->reqs)
        req_free(ss->reqs);
    uv_close((uv_handle_t *)&ss->reaper, on_reaped);
}

static void client_closed(void *ctx)
{
    pf_session *ss = ctx;
    ss->u = NULL;
    session_end(ss);
}

/* ---- the request ---- */

static pf_mode pick_mode(h2o_req_t *req, const char **key, const char **proto)
{
    size_t len = 0;
    const char *v = zk_http_header(req, "sec-websocket-protocol", &len);
    char buf[512] = "";
    if (v)
        snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1),
                 v);
    if (req->version < 0x200 && h2o_is_websocket_handshake(req, key) == 0 && *key) {
        if (strstr(buf, "SPDY/3.1+portforward.k8s.io")) {
            *proto = "SPDY/3.1+portforward.k8s.io";
            return PF_SPDY_WS;
        }
        if (strstr(buf, "v4.channel.k8s.io")) {
            *proto = "v4.channel.k8s.io";
            return PF_CHANNELS;
        }
        if (strstr(buf, "portforward.k8s.io")) {
            *proto = "portforward.k8s.io";
            return PF_CHANNELS;
        }
        *proto = NULL;
        return PF_CHANNELS;
    }
    *proto = NULL;
    return PF_SPDY;
}

/* ports=8080,9090 (or repeated): the channel protocol's ports, in order. */
static int parse_ports(const char *query, int *ports, int max)
{
    int n = 0;
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen > 6 && !strncmp(p, "ports=", 6)) {
            char val[256];
            if (zk_url_decode(p + 6, plen - 6, val, sizeof(val), true) < 0)
                return -1;
            for (char *s = val; *s;) {
                char *end;
                long v = strtol(s, &end, 10);
                if (end == s || v < 1 || v > 65535 || n >= max)
                    return -1;
                ports[n++] = (int)v;
                s = end;
                if (*s == ',')
                    s++;
                else if (*s)
                    return -1;
            }
        }
        p = amp ? amp + 1 : NULL;
    }
    return n;
}

void zk_apis_serve_pod_portforward(zk_call *c, const json_t *pod, const char *node)
{
    h2o_req_t *req = c->req;
    const char *phase = zk_json_path_str(pod, "status", "phase", NULL);
    if (!phase || strcmp(phase, "Running")) {
        zk_apis_status_fmt(req, 400, "BadRequest", "pod %s is not running and cannot be "
                           "port-forwarded (phase %s)", c->ri.name, phase ? phase : "Pending");
        return;
    }
    const char *key = NULL, *proto = NULL;
    pf_mode mode = pick_mode(req, &key, &proto);
    int ports[PF_PORTS_MAX], nports = 0;
    if (mode == PF_CHANNELS) {
        if (!proto) {
            zk_apis_status(req, 400, "BadRequest", "no WebSocket subprotocol this server speaks "
                           "for port-forward: ask for SPDY/3.1+portforward.k8s.io or "
                           "v4.channel.k8s.io", NULL);
            return;
        }
        nports = parse_ports(c->ri.query, ports, PF_PORTS_MAX);
        if (nports <= 0) {
            zk_apis_status_fmt(req, 400, "BadRequest", "query parameter \"ports\" is required: "
                               "1 to %d port numbers from 1 to 65535, comma-separated",
                               PF_PORTS_MAX);
            return;
        }
    } else if (mode == PF_SPDY) {
        size_t pl = 0;
        const char *sp = zk_http_header(req, "x-stream-protocol-version", &pl);
        bool ok = sp && memmem(sp, pl, "portforward.k8s.io", 18);
        if (req->version >= 0x200 || !req->upgrade.base || req->upgrade.len != 8 ||
            strncasecmp(req->upgrade.base, "SPDY/3.1", 8) || !ok) {
            zk_apis_status(req, 400, "BadRequest", "Upgrade request required: port-forward is "
                           "served over WebSocket (SPDY/3.1+portforward.k8s.io or "
                           "v4.channel.k8s.io) or an upgrade to SPDY/3.1 with protocol "
                           "portforward.k8s.io", NULL);
            return;
        }
    }
    if (!zk_apis_tunnel_connected(c->srv, node)) {
        zk_apis_status_fmt(req, 503, "ServiceUnavailable",
                           "the node agent on node \"%s\" is not connected to this server, so "
                           "pods/portforward for pod \"%s\" cannot be served", node, c->ri.name);
        return;
    }
    pf_session *ss = zk_xcalloc(1, sizeof(*ss));
    ss->srv = c->srv;
    ss->mode = mode;
    uv_timer_init(c->srv->loop, &ss->reaper);
    ss->reaper.data = ss;
    snprintf(ss->node, sizeof(ss->node), "%s", node);
    snprintf(ss->uid, sizeof(ss->uid), "%s", zk_json_path_str(pod, "metadata", "uid", NULL) ?: "");
    snprintf(ss->pod, sizeof(ss->pod), "%s", c->ri.name);
    if (mode != PF_SPDY)
        ss->ws = zk_ws_new(WS_MSG_MAX);
    if (mode != PF_CHANNELS) {
        ss->spdy = zk_spdy_new();
        ss->in = zk_xmalloc(SPDY_IN_MAX);
    }
    zk_upconn_ops ops = {.read = client_read, .drained = client_drained,
                         .closed = client_closed};
    if (mode == PF_SPDY) {
        h2o_add_header_by_str(&req->pool, &req->res.headers,
                              H2O_STRLIT("x-stream-protocol-version"), 0, NULL,
                              H2O_STRLIT("portforward.k8s.io"));
        ss->u = zk_upconn_start(req, "SPDY/3.1", &ops, ss);
    } else {
        zk_apis_ws_accept(req, key, proto);
        ss->u = zk_upconn_start(req, "websocket", &ops, ss);
    }
    c->req = NULL;   /* the connection is the upgrade's now */
    if (mode != PF_CHANNELS)
        return;
    /* the channel protocol: a stream per port now, each channel opened
     * with its port number */
    for (int i = 0; i < nports; i++) {
        pf_req *r = zk_xcalloc(1, sizeof(*r));
        r->ss = ss;
        r->port = ports[i];
        r->index = i;
        r->next = ss->reqs;
        ss->reqs = r;
        ss->nreqs++;
        uint8_t le[2] = {(uint8_t)(ports[i] & 0xff), (uint8_t)(ports[i] >> 8)};
        channel_write(ss, 2 * i, le, 2);
        channel_write(ss, 2 * i + 1, le, 2);
        if (!req_open(r)) {
            r->ended = true;
            const char *msg = "the node agent is not connected to this server";
            channel_write(ss, 2 * i + 1, msg, strlen(msg));
        }
    }
}
