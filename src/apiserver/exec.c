/* zke apiserver: pods/exec over WebSocket (v5.channel.k8s.io,
 * v4.channel.k8s.io), relayed to the pod's node agent on a tunnel stream.
 *
 * Every WebSocket message is a channel byte and its bytes (0 stdin, 1
 * stdout, 2 stderr, 3 the error channel with the final Status, 4 resize;
 * v5 adds 255: close the channel named by the next byte). The agent speaks
 * the same messages on its stream, so they pass as they are.
 *
 * The connection is ours after the upgrade (upconn.c) and the framing is
 * net/ws.c, so both directions wait for the slower side: a client that
 * reads slowly gets no credit handed back to the agent (which then stops
 * reading the command's output), and the client is not read while the
 * stream to the agent has no room. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/ws.h"

#include <h2o/websocket.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

/* After the final Status the server waits this long before it closes:
 * client-go drops an error-channel message that the close overtakes, and
 * kubectl then exits 0 for a failed command (one run in 30 here without the
 * pause, none in 120 with it). kubectl itself waits for the server to close. */
#define EXEC_LINGER_MS 100
#define WS_MSG_MAX (1u << 20)
/* Output queued to the client past which the agent gets no more credit. */
#define CLIENT_QUEUE_HIGH (256u * 1024)

typedef struct exec_call {
    zk_upconn *u;
    zk_ws *ws;
    zk_tun_stream *ts;
    uv_timer_t linger;
    bool lingering;
    size_t owed;           /* agent bytes the client has not taken yet */
} exec_call;

static void on_timer_closed(uv_handle_t *h)
{
    exec_call *e = h->data;
    zk_ws_free(e->ws);
    free(e);
}

/* Freed when neither side is left. */
static void maybe_free(exec_call *e)
{
    if (e->u || e->ts)
        return;
    uv_timer_stop(&e->linger);
    uv_close((uv_handle_t *)&e->linger, on_timer_closed);
}

static void ws_write(zk_upconn *u, int opcode, const void *p, size_t n)
{
    uint8_t h[ZK_WS_HEADER_MAX];
    size_t hl = zk_ws_header(h, opcode, n);
    zk_upconn_write(u, h, hl);
    zk_upconn_write(u, p, n);
}

/* A close frame with code and reason, then the connection ends. */
static void ws_close(exec_call *e, uint16_t code, const char *reason)
{
    if (!e->u)
        return;
    uint8_t pl[ZK_WS_CONTROL_MAX];
    size_t n = zk_ws_close_payload(pl, code, reason);
    ws_write(e->u, ZK_WS_CLOSE, pl, n);
    zk_upconn_close(e->u);
    e->u = NULL;
}

static void drop_agent(exec_call *e)
{
    if (e->ts) {
        zk_apis_tunnel_close(e->ts);
        e->ts = NULL;
    }
}

/* ---- the client side ---- */

static ssize_t client_read(void *ctx, uint8_t *p, size_t n)
{
    exec_call *e = ctx;
    size_t off = 0;
    while (off < n && e->u) {
        if (e->ts && zk_apis_tunnel_room(e->ts) == 0) {
            zk_upconn_pause(e->u, true);   /* on again when the stream has room */
            break;
        }
        size_t used = 0;
        zk_ws_msg m;
        int rc = zk_ws_parse(e->ws, p + off, n - off, &used, &m);
        off += used;
        if (rc < 0) {
            uint16_t code = ZK_WS_PROTOCOL_ERROR;
            const char *why = zk_ws_error(e->ws, &code);
            ws_close(e, code, why);
            drop_agent(e);
            maybe_free(e);
            return (ssize_t)off;
        }
        if (rc == 0)
            break;
        if (m.opcode == ZK_WS_BINARY || m.opcode == ZK_WS_TEXT) {
            if (e->ts && m.len)
                zk_apis_tunnel_send_channel(e->ts, m.data[0], m.data + 1, m.len - 1);
        } else if (m.opcode == ZK_WS_PING) {
            ws_write(e->u, ZK_WS_PONG, m.data, m.len);
        } else if (m.opcode == ZK_WS_CLOSE) {
            ws_close(e, ZK_WS_NORMAL, NULL);
            drop_agent(e);
            maybe_free(e);
            return (ssize_t)off;
        }
    }
    return (ssize_t)off;
}

static void client_drained(void *ctx)
{
    exec_call *e = ctx;
    if (e->ts && e->owed) {
        zk_apis_tunnel_consumed(e->ts, e->owed);
        e->owed = 0;
    }
}

static void client_closed(void *ctx)
{
    exec_call *e = ctx;
    e->u = NULL;
    drop_agent(e);
    maybe_free(e);
}

/* ---- the agent side ---- */

static void agent_data(void *ctx, const char *p, size_t n)
{
    exec_call *e = ctx;
    if (!e->u) {
        zk_apis_tunnel_consumed(e->ts, n);
        return;
    }
    ws_write(e->u, ZK_WS_BINARY, p, n);
    if (zk_upconn_queued(e->u) < CLIENT_QUEUE_HIGH)
        zk_apis_tunnel_consumed(e->ts, n);
    else
        e->owed += n;   /* credited when the client took it */
}

static void agent_writable(void *ctx)
{
    exec_call *e = ctx;
    if (e->u)
        zk_upconn_pause(e->u, false);
}

static void on_linger(uv_timer_t *t)
{
    exec_call *e = t->data;
    e->lingering = false;
    ws_close(e, ZK_WS_NORMAL, NULL);
    maybe_free(e);
}

static void agent_closed(void *ctx, json_t *st)
{
    exec_call *e = ctx;
    e->ts = NULL;
    const char *msg = zk_json_str(st, "message");
    if (e->u && zk_json_int(st, "code", 0) >= 400 && msg) {
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
        ws_write(e->u, ZK_WS_BINARY, buf, n + 1);
    }
    if (!e->u) {
        maybe_free(e);
        return;
    }
    uv_timer_start(&e->linger, on_linger, EXEC_LINGER_MS, 0);
    e->lingering = true;
}

/* ---- the request ---- */

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

void zk_apis_ws_accept(h2o_req_t *req, const char *key, const char *proto)
{
    /* RFC 6455 4.2.2: base64 of the SHA-1 of the key and the protocol's GUID */
    unsigned char digest[SHA_DIGEST_LENGTH];
    zk_autofree char *text = zk_xasprintf("%.24s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    SHA1((const unsigned char *)text, strlen(text), digest);
    char accept[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);
    /* h2o keeps a pointer to the value: it lives in the request's pool */
    h2o_iovec_t v = h2o_strdup(&req->pool, accept, strlen(accept));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-accept"), 0,
                          NULL, v.base, v.len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-protocol"), 0,
                          NULL, proto, strlen(proto));
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
    if (!zk_apis_pick_container(c, pod, ctr, sizeof(ctr)))
        return;
    bool attach = !strcmp(c->ri.subresource, "attach");
    json_t *cmd = query_all(c->ri.query, "command");
    if (!attach && !json_array_size(cmd)) {
        json_decref(cmd);
        zk_apis_status(req, 400, "BadRequest", "you must specify at least 1 command", NULL);
        return;
    }
    const json_t *cs = zk_apis_ctr_status(pod, ctr);
    if (!zk_json_path(cs, "state", "running", NULL)) {
        json_decref(cmd);
        zk_apis_status_fmt(req, 400, "BadRequest", "container %s is not running in pod %s", ctr,
                           c->ri.name);
        return;
    }
    bool spdy = zk_apis_is_spdy_upgrade(req);
    if (!spdy && (req->version >= 0x200 || h2o_is_websocket_handshake(req, &key) != 0 || !key)) {
        json_decref(cmd);
        zk_apis_status_fmt(req, 400, "BadRequest", "Upgrade request required: zke serves %s "
                           "over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) and SPDY/3.1 "
                           "(v4.channel.k8s.io)", attach ? "attach" : "exec");
        return;
    }
    if (!spdy && !proto) {
        json_decref(cmd);
        zk_apis_status(req, 400, "BadRequest", "no WebSocket subprotocol this server speaks: "
                       "ask for v5.channel.k8s.io or v4.channel.k8s.io", NULL);
        return;
    }
    char b[16];
    bool tty = zk_query_get(c->ri.query, "tty", b, sizeof(b)) && !strcmp(b, "true");
    if (attach) {
        /* whether the process has a terminal was settled when it started:
         * the container's setting wins, as with the kubelet */
        const json_t *spec = NULL;
        size_t i;
        json_t *x;
        json_array_foreach(zk_json_path(pod, "spec", "containers", NULL), i, x)
            if (!strcmp(zk_json_str(x, "name") ?: "", ctr))
                spec = x;
        tty = zk_json_bool(spec, "tty", false);
    }
    json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:b,s:b,s:b,s:b,s:s}", "op",
                          attach ? "attach" : "exec",
                          "namespace", zk_json_path_str(pod, "metadata", "namespace", NULL) ?: "",
                          "name", c->ri.name, "uid",
                          zk_json_path_str(pod, "metadata", "uid", NULL) ?: "", "container", ctr,
                          "command", cmd, "stdin", zk_query_get(c->ri.query, "stdin", b, sizeof(b))
                                                       && !strcmp(b, "true"),
                          "stdout", !zk_query_get(c->ri.query, "stdout", b, sizeof(b)) ||
                                        strcmp(b, "false"),
                          "stderr", !zk_query_get(c->ri.query, "stderr", b, sizeof(b)) ||
                                        strcmp(b, "false"),
                          "tty", tty,
                          "protocol", proto ? proto : "");
    if (spdy) {
        zk_apis_serve_exec_spdy(c, r, node);
        return;
    }
    exec_call *e = zk_xcalloc(1, sizeof(*e));
    zk_tun_stream_cb cb = {.data = agent_data, .credit = true, .writable = agent_writable,
                           .closed = agent_closed};
    e->ts = zk_apis_tunnel_open(c->srv, node, r, &cb, e);
    json_decref(r);
    if (!e->ts) {
        free(e);
        zk_apis_status_fmt(req, 503, "ServiceUnavailable",
                           "the node agent on node \"%s\" is not connected to this server, so "
                           "pods/%s for pod \"%s\" cannot be served", node, c->ri.subresource,
                           c->ri.name);
        return;
    }
    e->ws = zk_ws_new(WS_MSG_MAX);
    uv_timer_init(c->srv->loop, &e->linger);
    e->linger.data = e;
    zk_apis_ws_accept(req, key, proto);
    e->u = zk_upconn_start(req, "websocket", &(zk_upconn_ops){.read = client_read,
                           .drained = client_drained, .closed = client_closed}, e);
    c->req = NULL;   /* the connection is the upgrade's now */
}
