/* zke controllers: BacklogScaler's trigger sources (backlog.h).
 *
 * Redis: one short connection per reading (AUTH and SELECT when needed,
 * the command, QUIT), so a broken server is seen at once and no state is
 * left between readings. HTTP sources (RabbitMQ, Prometheus, any JSON) keep
 * a zke HTTP/1.1 client, with its idle connections, per source. Every
 * reading is bounded: the caller's timeout, and 4 MiB of answer. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "controllers/backlog.h"
#include "kube/jsonpath.h"
#include "net/h1client.h"
#include "net/resp.h"

#define ANSWER_MAX (4u << 20)

enum { T_REDIS, T_STREAM, T_RABBIT, T_PROM, T_HTTP };

typedef struct rpoll rpoll;
typedef struct hpoll hpoll;
typedef struct busy busy;

struct zk_bl_src {
    uv_loop_t *loop;
    int type;
    char desc[300];
    /* redis */
    char host[256], port[8];
    char *user, *pass;
    int db;
    char key[256], group[256];
    rpoll *rp;
    /* http */
    zk_h1c *h1;
    char *path, *headers;
    zk_kube_jsonpath *jp;
    hpoll *hp;
    busy *busy;              /* refusals not yet delivered */
};

/* ---- answers ---- */

static int number_of(const json_t *v, double *out, zk_err *err)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *e;
        double d = strtod(s, &e);
        if (e != s && !*e) {
            *out = d;
            return 0;
        }
    }
    char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    int rc = zk_err_set(err, ZK_EINVAL, "%.80s is not a number", text ? text : "nothing");
    free(text);
    return rc;
}

int zk_bl_prometheus_value(const json_t *answer, double *out, zk_err *err)
{
    const char *st = zk_json_str(answer, "status");
    if (!st || strcmp(st, "success"))
        return zk_err_set(err, ZK_EINVAL, "prometheus: %s",
                          zk_json_str(answer, "error") ?: "the answer is not a success");
    const json_t *data = json_object_get(answer, "data");
    const char *rt = zk_json_str(data, "resultType") ?: "";
    const json_t *res = json_object_get(data, "result");
    if (!strcmp(rt, "scalar"))
        return number_of(json_array_get(res, 1), out, err);
    if (!strcmp(rt, "vector")) {
        if (!json_array_size(res)) {
            *out = 0;   /* no series: nothing waiting */
            return 0;
        }
        return number_of(json_array_get(json_object_get(json_array_get(res, 0), "value"), 1), out,
                         err);
    }
    return zk_err_set(err, ZK_EINVAL, "prometheus: a %s result; the query must give a scalar or "
                      "a vector", rt[0] ? rt : "missing");
}

int zk_bl_json_value(const json_t *doc, const char *jsonpath, double *out, zk_err *err)
{
    zk_kube_jsonpath *p = NULL;
    char expr[600];
    /* "a.b" and ".a.b" are taken as "{.a.b}" */
    if (jsonpath[0] == '{')
        snprintf(expr, sizeof(expr), "%s", jsonpath);
    else
        snprintf(expr, sizeof(expr), "{%s%s}", jsonpath[0] == '.' ? "" : ".", jsonpath);
    if (zk_kube_jsonpath_compile(expr, &p, err) < 0)
        return zk_err_wrap(err, "metadata.valueLocation");
    json_t *v = zk_kube_jsonpath_first(p, doc);
    int rc = v ? number_of(v, out, err)
               : zk_err_set(err, ZK_ENOTFOUND, "nothing at %s in the answer", expr);
    zk_kube_jsonpath_free(p);
    return rc;
}

/* XINFO GROUPS: per group a flat [key, value, ...] array with "name",
 * "pending" and (Redis 7) "lag" */
int zk_bl_stream_backlog(const json_t *groups, const char *group, double *out, zk_err *err)
{
    if (!json_is_array(groups))
        return zk_err_set(err, ZK_EINVAL, "redis: XINFO GROUPS did not answer a list");
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        const json_t *name = NULL, *pending = NULL, *lag = NULL;
        for (size_t k = 0; k + 1 < json_array_size(g); k += 2) {
            const char *f = json_string_value(json_array_get(g, k));
            if (!f)
                continue;
            if (!strcmp(f, "name"))
                name = json_array_get(g, k + 1);
            else if (!strcmp(f, "pending"))
                pending = json_array_get(g, k + 1);
            else if (!strcmp(f, "lag"))
                lag = json_array_get(g, k + 1);
        }
        if (!json_is_string(name) || strcmp(json_string_value(name), group))
            continue;
        if (!json_is_integer(pending))
            return zk_err_set(err, ZK_EINVAL, "redis: group %s has no pending count", group);
        /* lag is nil when Redis cannot tell (after deletions): pending alone */
        *out = (double)json_integer_value(pending) +
               (json_is_integer(lag) ? (double)json_integer_value(lag) : 0);
        return 0;
    }
    return zk_err_set(err, ZK_ENOTFOUND, "redis: the stream has no consumer group %s", group);
}

/* ---- redis ---- */

struct rpoll {
    zk_bl_src *s;            /* NULL once the source is gone */
    uv_getaddrinfo_t gai;
    uv_tcp_t tcp;
    uv_connect_t conn;
    uv_write_t wr;
    uv_timer_t timer;
    zk_buf out, in;
    int want;                /* replies expected */
    json_t *replies;
    bool tcp_open, done;
    int handles;             /* open handles left to close */
    char rbuf[16384];
    zk_bl_done_fn cb;
    void *ctx;
};

/* A handle (or the address lookup) is over; the last one frees. */
static void rp_unref(rpoll *p)
{
    if (--p->handles > 0)
        return;
    zk_buf_free(&p->out);
    zk_buf_free(&p->in);
    json_decref(p->replies);
    free(p);
}

static void rp_closed(uv_handle_t *h)
{
    rp_unref(h->data);
}

static void rp_finish(rpoll *p, bool ok, double v, const char *error)
{
    if (p->done)
        return;
    p->done = true;
    zk_bl_src *s = p->s;
    if (s) {
        s->rp = NULL;
        p->cb(p->ctx, ok, v, error);
    }
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, rp_closed);
    if (p->tcp_open)
        uv_close((uv_handle_t *)&p->tcp, rp_closed);
}

static void rp_fail(rpoll *p, const char *fmt, const char *detail)
{
    char msg[600];
    snprintf(msg, sizeof(msg), fmt, detail);
    char full[1000];
    snprintf(full, sizeof(full), "%.300s: %.600s", p->s ? p->s->desc : "redis", msg);
    rp_finish(p, false, 0, full);
}

static void rp_timeout(uv_timer_t *t)
{
    rp_fail(t->data, "%s", "no answer in time");
}

static void rp_answer(rpoll *p)
{
    zk_bl_src *s = p->s;
    if (!s)
        return;
    size_t n = json_array_size(p->replies);
    for (size_t i = 0; i < n; i++) {
        const char *e = zk_json_str(json_array_get(p->replies, i), "error");
        if (e && i < n - 1) {   /* QUIT's is last; AUTH, SELECT and the command before */
            rp_fail(p, "%s", e);
            return;
        }
    }
    /* the command's reply is the one before QUIT's */
    const json_t *r = json_array_get(p->replies, n - 2);
    zk_err err = {0};
    double v = 0;
    if (s->type == T_STREAM && s->group[0]) {
        if (zk_bl_stream_backlog(r, s->group, &v, &err) < 0) {
            rp_fail(p, "%s", err.msg);
            return;
        }
    } else if (json_is_integer(r)) {
        v = (double)json_integer_value(r);
    } else {
        rp_fail(p, "%s", "the length is not a number");
        return;
    }
    rp_finish(p, true, v, NULL);
}

static void rp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    rpoll *p = h->data;
    b->base = p->rbuf;
    b->len = sizeof(p->rbuf);
}

static void rp_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    rpoll *p = st->data;
    if (p->done)
        return;
    if (n < 0) {
        rp_fail(p, "%s", n == UV_EOF ? "the server closed the connection" : uv_strerror((int)n));
        return;
    }
    if (zk_buf_append(&p->in, b->base, (size_t)n) < 0) {
        rp_fail(p, "%s", "the answer is too big");
        return;
    }
    size_t off = 0;
    while (off < p->in.len && (int)json_array_size(p->replies) < p->want) {
        json_t *v = NULL;
        zk_err err = {0};
        ssize_t used = zk_resp_parse(p->in.data + off, p->in.len - off, &v, &err);
        if (used < 0) {
            rp_fail(p, "%s", err.msg);
            return;
        }
        if (!used)
            break;
        json_array_append_new(p->replies, v);
        off += (size_t)used;
    }
    if (off) {
        memmove(p->in.data, p->in.data + off, p->in.len - off);
        p->in.len -= off;
    }
    if ((int)json_array_size(p->replies) >= p->want)
        rp_answer(p);
}

static void rp_written(uv_write_t *w, int status)
{
    rpoll *p = w->data;
    if (status < 0 && !p->done)
        rp_fail(p, "%s", uv_strerror(status));
}

static void rp_connected(uv_connect_t *c, int status)
{
    rpoll *p = c->data;
    if (p->done)
        return;
    if (status < 0) {
        rp_fail(p, "%s", uv_strerror(status));
        return;
    }
    p->tcp.data = p;
    uv_read_start((uv_stream_t *)&p->tcp, rp_alloc, rp_read);
    uv_buf_t b = uv_buf_init(p->out.data, (unsigned)p->out.len);
    p->wr.data = p;
    int rc = uv_write(&p->wr, (uv_stream_t *)&p->tcp, &b, 1, rp_written);
    if (rc < 0)
        rp_fail(p, "%s", uv_strerror(rc));
}

static void rp_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *ai)
{
    rpoll *p = g->data;
    if (p->done) {   /* timed out or given up meanwhile */
        uv_freeaddrinfo(ai);
        rp_unref(p);
        return;
    }
    p->handles--;    /* the lookup is over; the open timer keeps p */
    if (status < 0 || !ai) {
        uv_freeaddrinfo(ai);
        rp_fail(p, "cannot resolve the address: %s", uv_strerror(status));
        return;
    }
    uv_tcp_init(p->s->loop, &p->tcp);
    p->tcp.data = p;
    p->tcp_open = true;
    p->handles++;
    p->conn.data = p;
    int rc = uv_tcp_connect(&p->conn, &p->tcp, ai->ai_addr, rp_connected);
    uv_freeaddrinfo(ai);
    if (rc < 0)
        rp_fail(p, "%s", uv_strerror(rc));
}

static void redis_poll(zk_bl_src *s, int timeout_ms, zk_bl_done_fn cb, void *ctx)
{
    rpoll *p = zk_xcalloc(1, sizeof(*p));
    p->s = s;
    p->cb = cb;
    p->ctx = ctx;
    s->rp = p;
    zk_buf_init(&p->out, 1 << 16);
    zk_buf_init(&p->in, ANSWER_MAX);
    p->replies = json_array();
    if (s->pass) {
        const char *a[] = {"AUTH", s->user ? s->user : "default", s->pass};
        zk_resp_command(&p->out, 3, a);
        p->want++;
    }
    if (s->db) {
        char db[16];
        snprintf(db, sizeof(db), "%d", s->db);
        const char *a[] = {"SELECT", db};
        zk_resp_command(&p->out, 2, a);
        p->want++;
    }
    if (s->type == T_REDIS) {
        const char *a[] = {"LLEN", s->key};
        zk_resp_command(&p->out, 2, a);
    } else if (s->group[0]) {
        const char *a[] = {"XINFO", "GROUPS", s->key};
        zk_resp_command(&p->out, 3, a);
    } else {
        const char *a[] = {"XLEN", s->key};
        zk_resp_command(&p->out, 2, a);
    }
    const char *q[] = {"QUIT"};
    zk_resp_command(&p->out, 1, q);
    p->want += 2;
    uv_timer_init(s->loop, &p->timer);
    p->timer.data = p;
    p->handles = 2;   /* the timer, and the lookup until it answers */
    uv_timer_start(&p->timer, rp_timeout, (uint64_t)(timeout_ms > 0 ? timeout_ms : 5000), 0);
    p->gai.data = p;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    int rc = uv_getaddrinfo(s->loop, &p->gai, rp_resolved, s->host, s->port, &hints);
    if (rc < 0) {
        p->handles--;
        rp_fail(p, "cannot resolve the address: %s", uv_strerror(rc));
    }
}

/* ---- http ---- */

struct hpoll {
    zk_bl_src *s;
    int status;
    zk_buf body;
    bool too_big;
    zk_bl_done_fn cb;
    void *ctx;
};

static void hp_head(void *ctx, int status, const zk_h1_header *h, size_t n)
{
    (void)h;
    (void)n;
    ((hpoll *)ctx)->status = status;
}

static void hp_body(void *ctx, const char *p, size_t n)
{
    hpoll *hp = ctx;
    if (zk_buf_append(&hp->body, p, n) < 0)
        hp->too_big = true;
}

static void hp_done(void *ctx, const char *error)
{
    hpoll *hp = ctx;
    zk_bl_src *s = hp->s;
    s->hp = NULL;
    char msg[900];
    double v = 0;
    bool ok = false;
    if (error) {
        snprintf(msg, sizeof(msg), "%s: %s", s->desc, error);
    } else if (hp->too_big) {
        snprintf(msg, sizeof(msg), "%s: the answer is over %u bytes", s->desc, ANSWER_MAX);
    } else if (hp->status != 200) {
        snprintf(msg, sizeof(msg), "%s: HTTP %d: %.200s", s->desc, hp->status,
                 hp->body.data ? hp->body.data : "");
    } else {
        json_t *doc = zk_json_read(hp->body.data ? hp->body.data : "", hp->body.len, true);
        zk_err err = {0};
        int rc;
        if (!doc)
            rc = zk_err_set(&err, ZK_EPARSE, "the answer is not JSON");
        else if (s->type == T_PROM)
            rc = zk_bl_prometheus_value(doc, &v, &err);
        else if (s->type == T_RABBIT)
            rc = number_of(json_object_get(doc, "messages"), &v, &err);
        else
            rc = zk_bl_json_value(doc, zk_kube_jsonpath_text(s->jp), &v, &err);
        json_decref(doc);
        ok = rc == 0;
        if (!ok)
            snprintf(msg, sizeof(msg), "%.300s: %.500s", s->desc, err.msg);
    }
    zk_bl_done_fn cb = hp->cb;
    void *cctx = hp->ctx;
    zk_buf_free(&hp->body);
    free(hp);
    cb(cctx, ok, v, ok ? NULL : msg);
}

static void http_poll(zk_bl_src *s, int timeout_ms, zk_bl_done_fn cb, void *ctx)
{
    hpoll *hp = zk_xcalloc(1, sizeof(*hp));
    hp->s = s;
    hp->cb = cb;
    hp->ctx = ctx;
    zk_buf_init(&hp->body, ANSWER_MAX);
    s->hp = hp;
    static const zk_h1c_cb cbs = {hp_head, hp_body, hp_done};
    zk_h1c_send(s->h1, "GET", s->path, s->headers, NULL, 0, timeout_ms > 0 ? timeout_ms : 5000,
                &cbs, hp);
}

/* ---- sources ---- */

static const char *meta(const json_t *trigger, const char *key)
{
    const json_t *v = zk_json_path(trigger, "metadata", key, NULL);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *param(const json_t *params, const char *key)
{
    const char *v = zk_json_str(params, key);
    return v && v[0] ? v : NULL;
}

/* "scheme://host:port/path?query" into the client's base and the path */
static int split_url(const char *url, char *base, size_t blen, char **path, zk_err *err)
{
    const char *p = strstr(url, "://");
    if (!p || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
        return zk_err_set(err, ZK_EINVAL, "\"%s\" is not an http:// or https:// URL", url);
    const char *slash = strchr(p + 3, '/');
    size_t n = slash ? (size_t)(slash - url) : strlen(url);
    if (n >= blen)
        return zk_err_set(err, ZK_EINVAL, "the URL is too long");
    memcpy(base, url, n);
    base[n] = 0;
    *path = zk_xstrdup(slash ? slash : "/");
    return 0;
}

static char *auth_headers(const json_t *params)
{
    zk_buf h = ZK_BUF_INIT(1 << 16);
    const char *tok = param(params, "bearerToken");
    const char *user = param(params, "username"), *pass = param(params, "password");
    if (tok) {
        zk_buf_printf(&h, "Authorization: Bearer %s\r\n", tok);
    } else if (user || pass) {
        zk_autofree char *up = zk_xasprintf("%s:%s", user ? user : "", pass ? pass : "");
        zk_autofree char *b64 = zk_base64_encode(up, strlen(up));
        zk_buf_printf(&h, "Authorization: Basic %s\r\n", b64);
    }
    zk_buf_puts(&h, "Accept: application/json\r\n");
    return zk_buf_steal(&h, NULL);
}

static bool header_safe(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n')
            return false;
    return true;
}

static int new_http(zk_bl_src *s, uv_loop_t *loop, const char *url, const json_t *params,
                    zk_err *err)
{
    char base[600];
    if (split_url(url, base, sizeof(base), &s->path, err) < 0)
        return -1;
    for (const char *k = "bearerToken"; k; k = !strcmp(k, "bearerToken") ? "username"
                                               : !strcmp(k, "username")  ? "password"
                                                                         : NULL)
        if (param(params, k) && !header_safe(param(params, k)))
            return zk_err_set(err, ZK_EINVAL, "the %s holds a line break", k);
    s->headers = auth_headers(params);
    zk_h1c_opts o = {.url = base, .idle_max = 1, .connect_timeout_ms = 5000};
    SSL_CTX *tls = NULL;
    if (!strncmp(base, "https://", 8)) {
        tls = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_default_verify_paths(tls);
        SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
        o.tls = tls;
    }
    s->h1 = zk_h1c_new(loop, &o, err);
    if (tls)
        SSL_CTX_free(tls);   /* the client holds its own reference */
    return s->h1 ? 0 : -1;
}

static int redis_address(zk_bl_src *s, const char *addr, zk_err *err)
{
    const char *colon = strrchr(addr, ':');
    size_t hl = colon ? (size_t)(colon - addr) : strlen(addr);
    if (!hl || hl >= sizeof(s->host))
        return zk_err_set(err, ZK_EINVAL, "metadata.address: \"%s\" is not host:port", addr);
    memcpy(s->host, addr, hl);
    s->host[hl] = 0;
    const char *port = colon ? colon + 1 : "6379";
    long p = strtol(port, NULL, 10);
    if (p < 1 || p > 65535 || strspn(port, "0123456789") != strlen(port))
        return zk_err_set(err, ZK_EINVAL, "metadata.address: bad port in \"%s\"", addr);
    snprintf(s->port, sizeof(s->port), "%ld", p);
    return 0;
}

int zk_bl_src_new(uv_loop_t *loop, const json_t *trigger, const json_t *params, zk_bl_src **out,
                  zk_err *err)
{
    *out = NULL;
    const char *type = zk_json_str(trigger, "type");
    zk_bl_src *s = zk_xcalloc(1, sizeof(*s));
    s->loop = loop;
    int rc = 0;
    if (!type) {
        rc = zk_err_set(err, ZK_EINVAL, "type: required (redis, redis-streams, rabbitmq, "
                        "prometheus or http)");
    } else if (!strcmp(type, "redis") || !strcmp(type, "redis-streams")) {
        bool stream = type[5] == '-';
        s->type = stream ? T_STREAM : T_REDIS;
        const char *addr = meta(trigger, "address");
        const char *key = meta(trigger, stream ? "stream" : "listName");
        const char *db = meta(trigger, "databaseIndex");
        if (!addr)
            rc = zk_err_set(err, ZK_EINVAL, "metadata.address: required (host:port)");
        else if (!key || !key[0] || strlen(key) >= sizeof(s->key))
            rc = zk_err_set(err, ZK_EINVAL, "metadata.%s: required",
                            stream ? "stream" : "listName");
        else if (db && (strspn(db, "0123456789") != strlen(db) || !db[0] || atoi(db) > 10000))
            rc = zk_err_set(err, ZK_EINVAL, "metadata.databaseIndex: \"%s\" is not a number", db);
        else
            rc = redis_address(s, addr, err);
        if (!rc) {
            snprintf(s->key, sizeof(s->key), "%s", key);
            const char *g = stream ? meta(trigger, "consumerGroup") : NULL;
            snprintf(s->group, sizeof(s->group), "%.255s", g ? g : "");
            s->db = db ? atoi(db) : 0;
            if (param(params, "password"))
                s->pass = zk_xstrdup(param(params, "password"));
            if (param(params, "username"))
                s->user = zk_xstrdup(param(params, "username"));
            snprintf(s->desc, sizeof(s->desc), "redis %.100s:%s %s %.80s%s%.80s", s->host, s->port,
                     stream ? "stream" : "list", s->key, s->group[0] ? " group " : "", s->group);
        }
    } else if (!strcmp(type, "rabbitmq")) {
        s->type = T_RABBIT;
        const char *host = meta(trigger, "host"), *q = meta(trigger, "queueName");
        const char *vhost = meta(trigger, "vhostName") ?: "/";
        if (!host)
            rc = zk_err_set(err, ZK_EINVAL, "metadata.host: required (the management API, "
                            "http://host:15672)");
        else if (!q || !q[0])
            rc = zk_err_set(err, ZK_EINVAL, "metadata.queueName: required");
        if (!rc) {
            char ev[600], eq[600];
            zk_str_query_escape(ev, sizeof(ev), vhost);
            zk_str_query_escape(eq, sizeof(eq), q);
            zk_autofree char *url = zk_xasprintf("%s%sapi/queues/%s/%s", host,
                                                 host[strlen(host) - 1] == '/' ? "" : "/", ev, eq);
            rc = new_http(s, loop, url, params, err);
            snprintf(s->desc, sizeof(s->desc), "rabbitmq %.120s queue %.120s", host, q);
        }
    } else if (!strcmp(type, "prometheus")) {
        s->type = T_PROM;
        const char *addr = meta(trigger, "serverAddress"), *q = meta(trigger, "query");
        if (!addr)
            rc = zk_err_set(err, ZK_EINVAL, "metadata.serverAddress: required");
        else if (!q || !q[0])
            rc = zk_err_set(err, ZK_EINVAL, "metadata.query: required");
        if (!rc) {
            size_t ql = strlen(q) * 3 + 1;
            char *eq = zk_xmalloc(ql);
            zk_str_query_escape(eq, ql, q);
            zk_autofree char *url = zk_xasprintf("%s%sapi/v1/query?query=%s", addr,
                                                 addr[strlen(addr) - 1] == '/' ? "" : "/", eq);
            free(eq);
            rc = new_http(s, loop, url, params, err);
            snprintf(s->desc, sizeof(s->desc), "prometheus %.120s query %.120s", addr, q);
        }
    } else if (!strcmp(type, "http")) {
        s->type = T_HTTP;
        const char *url = meta(trigger, "url"), *loc = meta(trigger, "valueLocation");
        if (!url)
            rc = zk_err_set(err, ZK_EINVAL, "metadata.url: required");
        else if (!loc || !loc[0])
            rc = zk_err_set(err, ZK_EINVAL, "metadata.valueLocation: required (a JSONPath such "
                            "as {.queue.depth})");
        if (!rc) {
            char expr[600];
            if (loc[0] == '{')
                snprintf(expr, sizeof(expr), "%s", loc);
            else
                snprintf(expr, sizeof(expr), "{%s%s}", loc[0] == '.' ? "" : ".", loc);
            if (zk_kube_jsonpath_compile(expr, &s->jp, err) < 0)
                rc = zk_err_wrap(err, "metadata.valueLocation");
        }
        if (!rc) {
            rc = new_http(s, loop, url, params, err);
            snprintf(s->desc, sizeof(s->desc), "http %.200s", url);
        }
    } else {
        rc = zk_err_set(err, ZK_EINVAL, "type: \"%s\" is not one of redis, redis-streams, "
                        "rabbitmq, prometheus, http", type);
    }
    if (rc < 0) {
        zk_bl_src_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

struct busy {
    zk_bl_src *s;
    zk_bl_done_fn cb;
    void *ctx;
    uv_timer_t t;
    busy *next;
};

static void busy_closed(uv_handle_t *h)
{
    free(h->data);
}

static void busy_unlink(busy *b)
{
    for (busy **p = &b->s->busy; *p; p = &(*p)->next)
        if (*p == b) {
            *p = b->next;
            break;
        }
}

static void busy_fire(uv_timer_t *t)
{
    busy *b = t->data;
    busy_unlink(b);
    uv_close((uv_handle_t *)&b->t, busy_closed);
    b->cb(b->ctx, false, 0, "a reading is still running");
}

void zk_bl_src_poll(zk_bl_src *s, int timeout_ms, zk_bl_done_fn cb, void *ctx)
{
    if (s->rp || s->hp) {
        /* answered later, never inside this call */
        busy *b = zk_xcalloc(1, sizeof(*b));
        b->s = s;
        b->cb = cb;
        b->ctx = ctx;
        b->next = s->busy;
        s->busy = b;
        uv_timer_init(s->loop, &b->t);
        b->t.data = b;
        uv_timer_start(&b->t, busy_fire, 0, 0);
        return;
    }
    if (s->type == T_REDIS || s->type == T_STREAM)
        redis_poll(s, timeout_ms, cb, ctx);
    else
        http_poll(s, timeout_ms, cb, ctx);
}

void zk_bl_src_free(zk_bl_src *s)
{
    if (!s)
        return;
    if (s->rp) {
        rpoll *p = s->rp;
        p->s = NULL;
        rp_finish(p, false, 0, "gone");
    }
    while (s->busy) {
        busy *b = s->busy;
        s->busy = b->next;
        uv_timer_stop(&b->t);
        uv_close((uv_handle_t *)&b->t, busy_closed);
    }
    if (s->hp) {
        zk_buf_free(&s->hp->body);
        free(s->hp);   /* zk_h1c_free ends it without a callback */
        s->hp = NULL;
    }
    if (s->h1)
        zk_h1c_free(s->h1);
    zk_kube_jsonpath_free(s->jp);
    free(s->user);
    if (s->pass) {
        memset(s->pass, 0, strlen(s->pass));
        free(s->pass);
    }
    free(s->path);
    if (s->headers) {
        memset(s->headers, 0, strlen(s->headers));
        free(s->headers);
    }
    free(s);
}

const char *zk_bl_src_describe(const zk_bl_src *s)
{
    return s->desc;
}
