/* zke apiserver: nodes/proxy — GET /api/v1/nodes/<node>/proxy/<path>,
 * answered by that node's agent on its tunnel ("op":"proxy"). This is
 * where Prometheus scrapes a kubelet when it cannot reach the node (the
 * usual kubernetes_sd "node" job rewrites __metrics_path__ to it): the
 * agent serves /metrics (its own), /metrics/cadvisor and /metrics/resource
 * (containers' and the node's CPU and memory) and /healthz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"

#define PROXY_MAX (16u << 20)
#define PROXY_TIMEOUT_MS 10000

typedef struct proxy_call {
    zk_call *c;
    zk_tun_stream *ts;
    zk_buf body;
    uv_timer_t timer;
    char node[256];
    char path[512];
    bool over;
} proxy_call;

static void on_closed_timer(uv_handle_t *h)
{
    proxy_call *p = h->data;
    zk_buf_free(&p->body);
    zk_apis_call_unref(p->c);
    free(p);
}

static void finish(proxy_call *p, int code, const char *reason, const char *msg)
{
    if (p->over)
        return;
    p->over = true;
    if (p->ts) {
        zk_apis_tunnel_close(p->ts);
        p->ts = NULL;
    }
    h2o_req_t *req = p->c->req;
    if (req && code) {
        zk_apis_status(req, code, reason, msg, NULL);
    } else if (req) {
        bool metrics = !strncmp(p->path, "metrics", 7);
        req->res.status = 200;
        req->res.reason = "OK";
        const char *ct = metrics ? "text/plain; version=0.0.4; charset=utf-8"
                                 : "text/plain; charset=utf-8";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct,
                       strlen(ct));
        h2o_iovec_t b = h2o_strdup(&req->pool, p->body.data ? p->body.data : "", p->body.len);
        h2o_send_inline(req, b.base, b.len);
    }
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, on_closed_timer);
}

static void agent_data(void *ctx, const char *d, size_t n)
{
    proxy_call *p = ctx;
    if (zk_buf_append(&p->body, d, n) < 0)
        finish(p, 502, "BadGateway", "the node agent's answer is too large");
}

static void agent_closed(void *ctx, json_t *st)
{
    proxy_call *p = ctx;
    p->ts = NULL;
    int code = (int)zk_json_int(st, "code", 0);
    if (code >= 400)
        finish(p, code, zk_json_str(st, "reason") ?: "InternalError",
               zk_json_str(st, "message") ?: "the node agent failed");
    else
        finish(p, 0, NULL, NULL);
}

static void on_timeout(uv_timer_t *t)
{
    proxy_call *p = t->data;
    zk_autofree char *msg = zk_xasprintf("the node agent on node \"%s\" did not answer in %d s",
                                         p->node, PROXY_TIMEOUT_MS / 1000);
    finish(p, 504, "Timeout", msg);
}

void zk_apis_serve_node_proxy(zk_call *c, zk_storage *st)
{
    if (strcmp(c->ri.verb, "get")) {
        zk_apis_status(c->req, 405, "MethodNotAllowed", "the node agent's proxy serves GET only",
                       NULL);
        return;
    }
    if (!zk_storage_get_obj(st, "", c->ri.name)) {
        zk_apis_not_found(c->req, c->kind, c->ri.name);
        return;
    }
    if (!zk_apis_tunnel_connected(c->srv, c->ri.name)) {
        zk_apis_status_fmt(c->req, 503, "ServiceUnavailable",
                           "the node agent on node \"%s\" is not connected to this server",
                           c->ri.name);
        return;
    }
    proxy_call *p = zk_xcalloc(1, sizeof(*p));
    snprintf(p->node, sizeof(p->node), "%s", c->ri.name);
    snprintf(p->path, sizeof(p->path), "%s", c->ri.rest);
    p->body = (zk_buf)ZK_BUF_INIT(PROXY_MAX);
    json_t *r = json_pack("{s:s,s:s,s:s}", "op", "proxy", "path", p->path, "query", c->ri.query);
    zk_tun_stream_cb cb = {.data = agent_data, .closed = agent_closed};
    p->ts = zk_apis_tunnel_open(c->srv, c->ri.name, r, &cb, p);
    json_decref(r);
    if (!p->ts) {
        free(p);
        zk_apis_status(c->req, 503, "ServiceUnavailable", "the node agent is not connected",
                       NULL);
        return;
    }
    p->c = zk_apis_call_ref(c);
    uv_timer_init(c->srv->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_timeout, PROXY_TIMEOUT_MS, 0);
}
