/* zke apiserver: metrics.k8s.io/v1beta1 — NodeMetrics and PodMetrics, what
 * `kubectl top` and the HPA read. The server holds no metrics: each request
 * asks every connected node agent on its tunnel ("op":"stats") and answers
 * with what came back within 5 s, as metrics-server answers from its last
 * scrape of the kubelets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"

#define ASK_TIMEOUT_MS 5000
#define STATS_MAX (4u << 20)

typedef struct ask ask;

typedef struct ask_node {
    ask *q;
    char node[256];
    zk_tun_stream *s;
    zk_buf buf;
} ask_node;

struct ask {
    zk_call *c;
    bool nodes;               /* NodeMetrics, else PodMetrics */
    char ns[256], name[300];
    ask_node *n;
    size_t nn, pending;
    json_t *answers;          /* node name -> stats */
    uv_timer_t timer;
    bool answered;
};

static json_t *metrics_list(const char *kind)
{
    return json_pack("{s:s,s:s,s:{},s:[]}", "kind", kind, "apiVersion", "metrics.k8s.io/v1beta1",
                     "metadata", "items");
}

static char *cpu_q(json_int_t nanocores)
{
    return zk_xasprintf("%lldn", (long long)(nanocores < 0 ? 0 : nanocores));
}

static char *mem_q(json_int_t bytes)
{
    return zk_xasprintf("%lldKi", (long long)((bytes < 0 ? 0 : bytes) / 1024));
}

static json_t *usage(const json_t *x)
{
    zk_autofree char *c = cpu_q(zk_json_int(x, "cpu", 0));
    zk_autofree char *m = mem_q(zk_json_int(x, "memory", 0));
    return json_pack("{s:s,s:s}", "cpu", c, "memory", m);
}

static void not_found(zk_call *c, const char *what, const char *name)
{
    zk_autofree char *msg = zk_xasprintf("%s.metrics.k8s.io \"%s\" not found", what, name);
    json_t *d = json_pack("{s:s,s:s,s:s}", "name", name, "group", "metrics.k8s.io", "kind", what);
    zk_apis_status(c->req, 404, "NotFound", msg, d);
}

static void answer(ask *q)
{
    if (q->answered)
        return;
    q->answered = true;
    zk_call *c = q->c;
    if (!c->req)
        return;   /* the client left */
    char now[40];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    json_t *list = metrics_list(q->nodes ? "NodeMetricsList" : "PodMetricsList");
    json_t *items = json_object_get(list, "items");
    const char *node;
    json_t *st;
    json_object_foreach(q->answers, node, st) {
        const char *ts = zk_json_str(st, "timestamp") ?: now;
        char window[16];
        snprintf(window, sizeof(window), "%llds", (long long)zk_json_int(st, "window", 10));
        if (q->nodes) {
            if (q->name[0] && strcmp(q->name, node))
                continue;
            json_array_append_new(items, json_pack("{s:{s:s,s:s,s:{}},s:s,s:s,s:o}", "metadata",
                                                   "name", node, "creationTimestamp", now,
                                                   "labels", "timestamp", ts, "window", window,
                                                   "usage", usage(json_object_get(st, "node"))));
            continue;
        }
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(st, "pods"), i, p) {
            const char *pns = zk_json_str(p, "namespace"), *pn = zk_json_str(p, "name");
            if (!pns || !pn || (q->ns[0] && strcmp(q->ns, pns)) || (q->name[0] && strcmp(q->name, pn)))
                continue;
            json_t *ctrs = json_array();
            size_t j;
            json_t *x;
            json_array_foreach(json_object_get(p, "containers"), j, x)
                json_array_append_new(ctrs, json_pack("{s:s,s:o}", "name",
                                                      zk_json_str(x, "name") ?: "", "usage",
                                                      usage(x)));
            json_array_append_new(items, json_pack("{s:{s:s,s:s,s:s,s:{}},s:s,s:s,s:o}",
                                                   "metadata", "name", pn, "namespace", pns,
                                                   "creationTimestamp", now, "labels",
                                                   "timestamp", ts, "window", window,
                                                   "containers", ctrs));
        }
    }
    if (q->name[0]) {
        json_t *one = json_array_get(items, 0);
        if (!one) {
            not_found(c, q->nodes ? "nodemetrics" : "podmetrics", q->name);
        } else {
            json_object_set_new(one, "kind", json_string(q->nodes ? "NodeMetrics" : "PodMetrics"));
            json_object_set_new(one, "apiVersion", json_string("metrics.k8s.io/v1beta1"));
            zk_apis_respond_json(c->req, 200, one);
        }
    } else {
        zk_apis_respond_json(c->req, 200, list);
    }
    json_decref(list);
}

static void on_timer_closed(uv_handle_t *h)
{
    ask *q = h->data;
    for (size_t i = 0; i < q->nn; i++)
        zk_buf_free(&q->n[i].buf);
    free(q->n);
    json_decref(q->answers);
    zk_apis_call_unref(q->c);
    free(q);
}

static void finish(ask *q)
{
    answer(q);
    for (size_t i = 0; i < q->nn; i++) {
        if (q->n[i].s) {
            zk_apis_tunnel_close(q->n[i].s);
            q->n[i].s = NULL;
        }
    }
    uv_timer_stop(&q->timer);
    uv_close((uv_handle_t *)&q->timer, on_timer_closed);
}

static void on_timeout(uv_timer_t *t)
{
    finish(t->data);
}

static void node_data(void *ctx, const char *p, size_t n)
{
    ask_node *an = ctx;
    if (zk_buf_append(&an->buf, p, n) < 0)
        zk_warn("metrics: the stats of node %s are over %u bytes", an->node, STATS_MAX);
}

static void node_closed(void *ctx, json_t *status)
{
    ask_node *an = ctx;
    ask *q = an->q;
    an->s = NULL;
    json_t *st = zk_json_read(an->buf.data ? an->buf.data : "", an->buf.len, false);
    if (json_is_object(st))
        json_object_set_new(q->answers, an->node, st);
    else
        json_decref(st);
    if (--q->pending == 0 && !q->answered)
        finish(q);
}

static void serve_metrics(zk_call *c, bool nodes)
{
    zk_apiserver *srv = c->srv;
    ask *q = zk_xcalloc(1, sizeof(*q));
    q->c = zk_apis_call_ref(c);
    q->nodes = nodes;
    snprintf(q->ns, sizeof(q->ns), "%s", c->ri.ns);
    snprintf(q->name, sizeof(q->name), "%s", c->ri.name);
    q->answers = json_object();
    size_t count = srv->tunnels ? zk_map_count(srv->tunnels) : 0;
    q->n = zk_xcalloc(count ? count : 1, sizeof(*q->n));
    uv_timer_init(srv->loop, &q->timer);
    q->timer.data = q;
    json_t *req = json_pack("{s:s}", "op", "stats");
    size_t pos = 0;
    const char *node;
    void *v;
    while (srv->tunnels && zk_map_next(srv->tunnels, &pos, &node, &v) && q->nn < count) {
        ask_node *an = &q->n[q->nn];
        an->q = q;
        snprintf(an->node, sizeof(an->node), "%s", node);
        an->buf = (zk_buf)ZK_BUF_INIT(STATS_MAX);
        zk_tun_stream_cb cb = {.data = node_data, .closed = node_closed};
        an->s = zk_apis_tunnel_open(srv, node, req, &cb, an);
        if (an->s) {
            q->nn++;
            q->pending++;
        }
    }
    json_decref(req);
    if (q->pending == 0) {
        finish(q);
        return;
    }
    uv_timer_start(&q->timer, on_timeout, ASK_TIMEOUT_MS, 0);
}

bool zk_apis_serve_metrics_api(zk_call *c)
{
    if (strcmp(c->ri.group, "metrics.k8s.io"))
        return false;
    if (strcmp(c->ri.version, "v1beta1")) {
        zk_apis_status(c->req, 404, "NotFound", "the server could not find the requested resource",
                       NULL);
        return true;
    }
    bool nodes = !strcmp(c->ri.resource, "nodes"), pods = !strcmp(c->ri.resource, "pods");
    if ((!nodes && !pods) || c->ri.subresource[0]) {
        zk_apis_status(c->req, 404, "NotFound", "the server could not find the requested resource",
                       NULL);
        return true;
    }
    if (strcmp(c->ri.verb, "get") && strcmp(c->ri.verb, "list")) {
        zk_apis_status(c->req, 405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource", NULL);
        return true;
    }
    serve_metrics(c, nodes);
    return true;
}

json_t *zk_apis_metrics_resources(void)
{
    return json_pack("[{s:s,s:s,s:b,s:s,s:[s,s]},{s:s,s:s,s:b,s:s,s:[s,s]}]", "name", "nodes",
                     "singularName", "", "namespaced", 0, "kind", "NodeMetrics", "verbs", "get",
                     "list", "name", "pods", "singularName", "", "namespaced", 1, "kind",
                     "PodMetrics", "verbs", "get", "list");
}
