/* zke net: a small HTTP/1.1 client on libuv and OpenSSL; see h1client.h. */
#include "net/h1client.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "base/mem.h"

#define IN_MAX (4u << 20)      /* decrypted bytes waiting for the reader (a head is 64 KiB) */

enum { C_RESOLVING, C_CONNECTING, C_HANDSHAKE, C_READY, C_CLOSING };

typedef struct conn conn;

struct zk_h1c {
    uv_loop_t *loop;
    char host[256];
    char server_name[256];     /* what the certificate must say; "" = host */
    int port;
    bool tls, host_is_ip;
    SSL_CTX *ctx;
    int idle_max, connect_timeout_ms;
    conn *conns;
    int nopen;
    bool freeing;
};

struct zk_h1c_req {
    zk_h1c *c;
    conn *cn;
    char *out;                 /* the request's bytes */
    size_t out_len;
    bool head_method;
    int timeout_ms;
    zk_h1c_cb cb;
    void *ctx;
    zk_h1c_raw *raw;           /* an upgrade: the answer opens a raw stream */
    bool retried;              /* sent again once on a new connection */
};

struct zk_h1c_raw {
    zk_h1c_req *req;           /* until the answer */
    conn *cn;                  /* once open */
    zk_h1c_raw_cb cb;
    void *ctx;
};

struct conn {
    zk_h1c *c;
    int state;
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_getaddrinfo_t gai;
    uv_timer_t timer;          /* connect, then request time limits */
    int handles;               /* of tcp and timer still open */
    bool tcp_open, resolving;
    SSL *ssl;
    BIO *rbio, *wbio;
    zk_h1c_req *req;
    zk_h1c_raw *raw;           /* upgraded: the bytes are the caller's */
    bool idle;
    bool reused;               /* the request went on a kept-alive connection */
    bool answered;             /* a byte of its answer came */
    char *in;
    size_t in_len, in_cap;
    zk_h1_resp resp;
    conn *next;
};

typedef struct {
    uv_write_t w;
    char data[];
} wreq;

static void conn_close(conn *cn);
static void on_eof(conn *cn, const char *why);
static conn *conn_new(zk_h1c *c);

/* ---- the end of requests ---- */

static void req_free(zk_h1c_req *r)
{
    free(r->out);
    free(r);
}

/* The request on cn is over: it leaves the connection before done runs,
 * so done may send the next request (and get this connection). */
static void req_done(conn *cn, const char *error)
{
    zk_h1c_req *r = cn->req;
    if (!r)
        return;
    cn->req = NULL;
    r->cn = NULL;
    uv_timer_stop(&cn->timer);
    if (r->cb.done)
        r->cb.done(r->ctx, error);
    req_free(r);
}

static void fail(conn *cn, const char *msg)
{
    if (cn->raw) {
        on_eof(cn, msg);
        return;
    }
    req_done(cn, msg);
    conn_close(cn);
}

/* ---- connections ---- */

static void conn_freed(uv_handle_t *h)
{
    conn *cn = h->data;
    if (--cn->handles > 0)
        return;
    zk_h1c *c = cn->c;
    for (conn **pp = &c->conns; *pp; pp = &(*pp)->next)
        if (*pp == cn) {
            *pp = cn->next;
            break;
        }
    c->nopen--;
    if (cn->ssl)
        SSL_free(cn->ssl);   /* the BIOs with it */
    free(cn->in);
    free(cn);
    if (c->freeing && !c->conns) {
        SSL_CTX_free(c->ctx);
        free(c);
    }
}

static void conn_close(conn *cn)
{
    if (cn->state == C_CLOSING)
        return;
    cn->state = C_CLOSING;
    cn->idle = false;
    if (cn->resolving)
        return;   /* the resolver's answer closes it */
    uv_close((uv_handle_t *)&cn->timer, conn_freed);
    uv_close((uv_handle_t *)&cn->tcp, conn_freed);
}

static void on_written(uv_write_t *w, int status)
{
    conn *cn = w->handle->data;
    free(w);
    if (status == 0 && cn->raw && cn->state == C_READY && !cn->tcp.write_queue_size &&
        cn->raw->cb.drained)
        cn->raw->cb.drained(cn->raw->ctx);
}

static void send_raw(conn *cn, const char *p, size_t n)
{
    if (cn->state == C_CLOSING || !n)
        return;
    wreq *w = zk_xmalloc(sizeof(*w) + n);
    memcpy(w->data, p, n);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
    if (uv_write(&w->w, (uv_stream_t *)&cn->tcp, &b, 1, on_written) < 0)
        free(w);
}

/* What OpenSSL has for the wire. */
static void tls_flush(conn *cn)
{
    char buf[16384];
    int n;
    while ((n = BIO_read(cn->wbio, buf, sizeof(buf))) > 0)
        send_raw(cn, buf, (size_t)n);
}

static const char *tls_error(conn *cn, char *buf, size_t n)
{
    long v = SSL_get_verify_result(cn->ssl);
    unsigned long e = ERR_get_error();
    if (v != X509_V_OK)
        snprintf(buf, n, "certificate verify failed: %s", X509_verify_cert_error_string(v));
    else if (e)
        ERR_error_string_n(e, buf, n);
    else
        snprintf(buf, n, "the connection broke");
    ERR_clear_error();
    return buf;
}

static void on_timeout(uv_timer_t *t)
{
    conn *cn = t->data;
    char what[64];
    snprintf(what, sizeof(what), "%s", cn->state == C_READY ? "no answer in time"
                                                            : "could not connect in time");
    char msg[400];
    snprintf(msg, sizeof(msg), "%s:%d: %s", cn->c->host, cn->c->port, what);
    fail(cn, msg);
}

static void write_request(conn *cn)
{
    zk_h1c_req *r = cn->req;
    if (!r)
        return;
    if (r->timeout_ms)
        uv_timer_start(&cn->timer, on_timeout,
                       (uint64_t)(r->timeout_ms > 0 ? r->timeout_ms : -r->timeout_ms), 0);
    else
        uv_timer_stop(&cn->timer);
    if (!cn->ssl) {
        send_raw(cn, r->out, r->out_len);
        return;
    }
    size_t off = 0;
    while (off < r->out_len) {
        int chunk = r->out_len - off > (1u << 30) ? (1 << 30) : (int)(r->out_len - off);
        int n = SSL_write(cn->ssl, r->out + off, chunk);
        if (n <= 0) {
            char e[300], msg[320];
            snprintf(msg, sizeof(msg), "TLS write: %s", tls_error(cn, e, sizeof(e)));
            fail(cn, msg);
            return;
        }
        off += (size_t)n;
    }
    tls_flush(cn);
}

/* The answer to an upgrade: 101 turns the connection into the caller's
 * stream (what followed the head is its first data); anything else ends
 * the attempt. */
static void raw_answer(conn *cn, zk_h1c_req *r, const zk_h1_event *ev, size_t used)
{
    zk_h1c_raw *raw = r->raw;
    raw->req = NULL;
    cn->req = NULL;
    uv_timer_stop(&cn->timer);
    req_free(r);
    if (ev->status != 101) {
        char msg[64];
        snprintf(msg, sizeof(msg), "the server answered %d, not 101", ev->status);
        raw->cb.open(raw->ctx, ev->status, ev->headers, ev->nheaders, msg);
        free(raw);
        conn_close(cn);
        return;
    }
    cn->raw = raw;
    raw->cn = cn;
    raw->cb.open(raw->ctx, 101, ev->headers, ev->nheaders, NULL);
    if (cn->raw != raw || cn->state != C_READY)
        return;   /* closed from the callback */
    size_t rest = cn->in_len - used;
    if (rest && raw->cb.data)
        raw->cb.data(raw->ctx, cn->in + used, rest);
    cn->in_len = 0;
}

/* Take what the reader finds in cn->in, until it needs more. */
static void parse(conn *cn)
{
    while (cn->req && cn->state == C_READY) {
        zk_h1c_req *r = cn->req;
        size_t used = 0;
        zk_h1_event ev;
        zk_err err = {0};
        int rc = zk_h1_resp_parse(&cn->resp, cn->in, cn->in_len, &used, &ev, &err);
        if (rc < 0) {
            fail(cn, err.msg);
            return;
        }
        if (rc == 1 && ev.type == ZK_H1_HEAD && r->raw) {
            raw_answer(cn, r, &ev, used);
            return;
        }
        /* consumed first: a callback may end the request or the client */
        if (rc == 1 && ev.type == ZK_H1_HEAD && r->cb.head)
            r->cb.head(r->ctx, ev.status, ev.headers, ev.nheaders);
        else if (rc == 1 && ev.type == ZK_H1_DATA && r->cb.body)
            r->cb.body(r->ctx, ev.data, ev.len);
        if (cn->state != C_READY || cn->req != r)
            return;
        if (used) {
            memmove(cn->in, cn->in + used, cn->in_len - used);
            cn->in_len -= used;
        }
        if (rc == 1 && ev.type == ZK_H1_END) {
            bool keep = cn->resp.keep_alive && !cn->in_len && !cn->c->freeing;
            int idle = 0;
            for (conn *x = cn->c->conns; x; x = x->next)
                idle += x->idle;
            cn->idle = keep && idle < cn->c->idle_max;
            req_done(cn, NULL);
            if (!cn->idle && !cn->req)
                conn_close(cn);
            return;
        }
        if (rc == 0 && used == 0)
            return;
    }
}

static void take(conn *cn, const char *p, size_t n)
{
    if (cn->raw) {
        if (cn->raw->cb.data)
            cn->raw->cb.data(cn->raw->ctx, p, n);
        return;
    }
    if (!cn->req) {
        conn_close(cn);   /* bytes nobody asked for: the connection is not reusable */
        return;
    }
    cn->answered = true;
    if (cn->in_len + n > IN_MAX) {
        fail(cn, "the response arrives faster than it is read");
        return;
    }
    if (cn->req->timeout_ms < 0)   /* a limit on silence: bytes came */
        uv_timer_start(&cn->timer, on_timeout, (uint64_t)-cn->req->timeout_ms, 0);
    if (cn->in_len + n > cn->in_cap) {
        cn->in_cap = (cn->in_len + n) * 2;
        cn->in = zk_xrealloc(cn->in, cn->in_cap);
    }
    memcpy(cn->in + cn->in_len, p, n);
    cn->in_len += n;
}

static void on_eof(conn *cn, const char *why)
{
    if (cn->raw) {
        zk_h1c_raw *raw = cn->raw;
        cn->raw = NULL;
        conn_close(cn);
        if (raw->cb.closed)
            raw->cb.closed(raw->ctx, why);
        free(raw);
        return;
    }
    if (!cn->req) {
        conn_close(cn);   /* an idle connection the server let go */
        return;
    }
    zk_h1c_req *r = cn->req;
    if (cn->reused && !cn->answered && !r->retried && !r->raw) {
        /* the server let the kept-alive connection go as the request went
         * out (its idle timeout): nothing of it was answered, so it goes
         * again, once, on a new connection, as curl does */
        cn->req = NULL;
        r->cn = NULL;
        conn_close(cn);
        r->retried = true;
        conn *fresh = conn_new(r->c);
        fresh->req = r;
        r->cn = fresh;
        zk_h1_resp_init(&fresh->resp, r->head_method);
        return;
    }
    parse(cn);
    if (!cn->req || cn->state == C_CLOSING)
        return;
    zk_h1_event ev;
    zk_err err = {0};
    int rc = cn->state == C_READY ? zk_h1_resp_eof(&cn->resp, &ev, &err) : -1;
    if (rc == 1) {
        req_done(cn, NULL);
        conn_close(cn);
        return;
    }
    char msg[600];
    snprintf(msg, sizeof(msg), "%.255s:%d: %.300s", cn->c->host, cn->c->port,
             rc < 0 && err.msg[0] ? err.msg : why);
    fail(cn, msg);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    static __thread char buf[65536];
    *b = uv_buf_init(buf, sizeof(buf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    conn *cn = s->data;
    if (nread == 0 || cn->state == C_CLOSING)
        return;
    if (nread < 0) {
        on_eof(cn, nread == UV_EOF ? "the server closed the connection" : uv_strerror((int)nread));
        return;
    }
    if (!cn->ssl) {
        take(cn, b->base, (size_t)nread);
        if (!cn->raw)
            parse(cn);
        return;
    }
    BIO_write(cn->rbio, b->base, (int)nread);
    if (cn->state == C_HANDSHAKE) {
        int rc = SSL_do_handshake(cn->ssl);
        tls_flush(cn);
        if (rc != 1) {
            int e = SSL_get_error(cn->ssl, rc);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return;
            char buf[300], msg[500];
            snprintf(msg, sizeof(msg), "TLS handshake with %s:%d: %s", cn->c->host, cn->c->port,
                     tls_error(cn, buf, sizeof(buf)));
            fail(cn, msg);
            return;
        }
        cn->state = C_READY;
        write_request(cn);
        if (cn->state != C_READY)
            return;
    }
    char buf[16384];
    for (;;) {
        int n = SSL_read(cn->ssl, buf, sizeof(buf));
        if (n > 0) {
            take(cn, buf, (size_t)n);
            if (cn->state == C_CLOSING)
                return;
            continue;
        }
        int e = SSL_get_error(cn->ssl, n);
        tls_flush(cn);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        parse(cn);
        if (cn->state == C_CLOSING)
            return;
        if (e == SSL_ERROR_ZERO_RETURN) {
            on_eof(cn, "the server closed the connection");
        } else {
            char eb[300];
            on_eof(cn, tls_error(cn, eb, sizeof(eb)));
        }
        return;
    }
    parse(cn);
}

static void on_connect(uv_connect_t *cr, int status)
{
    conn *cn = cr->data;
    if (cn->state == C_CLOSING)
        return;
    if (status < 0) {
        char msg[400];
        snprintf(msg, sizeof(msg), "dial tcp %s:%d: connect: %s", cn->c->host, cn->c->port,
                 uv_strerror(status));
        fail(cn, msg);
        return;
    }
    uv_tcp_nodelay(&cn->tcp, 1);
    uv_read_start((uv_stream_t *)&cn->tcp, on_alloc, on_read);
    if (!cn->c->tls) {
        cn->state = C_READY;
        write_request(cn);
        return;
    }
    zk_h1c *c = cn->c;
    cn->ssl = SSL_new(c->ctx);
    cn->rbio = BIO_new(BIO_s_mem());
    cn->wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(cn->ssl, cn->rbio, cn->wbio);
    SSL_set_connect_state(cn->ssl);
    if (c->server_name[0]) {
        SSL_set_tlsext_host_name(cn->ssl, c->server_name);
        SSL_set1_host(cn->ssl, c->server_name);
    } else if (c->host_is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(cn->ssl), c->host);
    } else {
        SSL_set_tlsext_host_name(cn->ssl, c->host);
        SSL_set1_host(cn->ssl, c->host);
    }
    cn->state = C_HANDSHAKE;
    SSL_do_handshake(cn->ssl);
    tls_flush(cn);
}

static void connect_to(conn *cn, const struct sockaddr *sa)
{
    cn->state = C_CONNECTING;
    cn->creq.data = cn;
    int rc = uv_tcp_connect(&cn->creq, &cn->tcp, sa, on_connect);
    if (rc < 0) {
        char msg[400];
        snprintf(msg, sizeof(msg), "dial tcp %s:%d: %s", cn->c->host, cn->c->port,
                 uv_strerror(rc));
        fail(cn, msg);
    }
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res)
{
    conn *cn = g->data;
    cn->resolving = false;
    if (cn->state == C_CLOSING) {   /* closed while it resolved: now its handles go */
        uv_freeaddrinfo(res);
        uv_close((uv_handle_t *)&cn->timer, conn_freed);
        uv_close((uv_handle_t *)&cn->tcp, conn_freed);
        return;
    }
    if (status < 0 || !res) {
        char msg[400];
        snprintf(msg, sizeof(msg), "dial tcp: lookup %s: %s", cn->c->host, uv_strerror(status));
        uv_freeaddrinfo(res);
        fail(cn, msg);
        return;
    }
    connect_to(cn, res->ai_addr);
    uv_freeaddrinfo(res);
}

static void on_kick(uv_timer_t *t);

static conn *conn_new(zk_h1c *c)
{
    conn *cn = zk_xcalloc(1, sizeof(*cn));
    cn->c = c;
    uv_tcp_init(c->loop, &cn->tcp);
    uv_timer_init(c->loop, &cn->timer);
    cn->tcp.data = cn->timer.data = cn;
    cn->handles = 2;
    cn->next = c->conns;
    c->conns = cn;
    c->nopen++;
    cn->state = C_RESOLVING;
    /* connecting starts from the loop: a failure is never reported inside
     * zk_h1c_send */
    uv_timer_start(&cn->timer, on_kick, 0, 0);
    return cn;
}

static void on_kick(uv_timer_t *t)
{
    conn *cn = t->data;
    zk_h1c *c = cn->c;
    uv_timer_start(&cn->timer, on_timeout, (uint64_t)c->connect_timeout_ms, 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (uv_ip4_addr(c->host, c->port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(c->host, c->port, (struct sockaddr_in6 *)&ss) == 0) {
        connect_to(cn, (struct sockaddr *)&ss);
        return;
    }
    cn->state = C_RESOLVING;
    cn->resolving = true;
    cn->gai.data = cn;
    char port[16];
    snprintf(port, sizeof(port), "%d", c->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int rc = uv_getaddrinfo(c->loop, &cn->gai, on_resolved, c->host, port, &hints);
    if (rc < 0) {
        cn->resolving = false;
        char msg[400];
        snprintf(msg, sizeof(msg), "dial tcp: lookup %s: %s", c->host, uv_strerror(rc));
        fail(cn, msg);
    }
}

/* ---- the client ---- */

zk_h1c *zk_h1c_new(uv_loop_t *loop, const zk_h1c_opts *o, zk_err *err)
{
    const char *u = o->url;
    bool tls;
    if (!strncmp(u, "https://", 8)) {
        tls = true;
        u += 8;
    } else if (!strncmp(u, "http://", 7)) {
        tls = false;
        u += 7;
    } else {
        zk_err_set(err, ZK_EINVAL, "server URL %s: not http:// or https://", o->url);
        return NULL;
    }
    if (tls && !o->tls) {
        zk_err_set(err, ZK_EINVAL, "server URL %s: https needs a TLS context", o->url);
        return NULL;
    }
    zk_h1c *c = zk_xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->tls = tls;
    const char *hs = u, *he;
    if (*u == '[') {   /* [v6]:port */
        hs = u + 1;
        he = strchr(hs, ']');
        if (!he)
            goto bad;
        u = he + 1;
    } else {
        he = u + strcspn(u, ":/");
        u = he;
    }
    if (he == hs || (size_t)(he - hs) >= sizeof(c->host))
        goto bad;
    memcpy(c->host, hs, (size_t)(he - hs));
    c->port = tls ? 443 : 80;
    if (*u == ':') {
        char *end;
        long p = strtol(u + 1, &end, 10);
        if (p < 1 || p > 65535 || (*end && *end != '/'))
            goto bad;
        c->port = (int)p;
    } else if (*u && *u != '/') {
        goto bad;
    }
    unsigned char ip[16];
    c->host_is_ip = inet_pton(AF_INET, c->host, ip) == 1 || inet_pton(AF_INET6, c->host, ip) == 1;
    if (o->server_name && strlen(o->server_name) < sizeof(c->server_name))
        snprintf(c->server_name, sizeof(c->server_name), "%s", o->server_name);
    if (tls) {
        SSL_CTX_up_ref(o->tls);
        c->ctx = o->tls;
    }
    c->idle_max = o->idle_max > 0 ? o->idle_max : 4;
    c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    return c;
bad:
    zk_err_set(err, ZK_EINVAL, "server URL %s: no host[:port] in it", o->url);
    free(c);
    return NULL;
}

void zk_h1c_free(zk_h1c *c)
{
    if (!c)
        return;
    c->freeing = true;
    if (!c->conns) {
        SSL_CTX_free(c->ctx);
        free(c);
        return;
    }
    for (conn *cn = c->conns; cn; cn = cn->next) {
        if (cn->raw) {
            free(cn->raw);
            cn->raw = NULL;
        }
        if (cn->req) {
            free(cn->req->raw);
            cn->req->cn = NULL;
            req_free(cn->req);
            cn->req = NULL;
        }
        conn_close(cn);
    }
}

zk_h1c_req *zk_h1c_send(zk_h1c *c, const char *method, const char *path, const char *headers,
                        const void *body, size_t len, int timeout_ms, const zk_h1c_cb *cb,
                        void *ctx)
{
    zk_h1c_req *r = zk_xcalloc(1, sizeof(*r));
    r->c = c;
    r->cb = *cb;
    r->ctx = ctx;
    r->timeout_ms = timeout_ms;
    r->head_method = !strcmp(method, "HEAD");
    bool sends = body || !strcmp(method, "POST") || !strcmp(method, "PUT") ||
                 !strcmp(method, "PATCH");
    char host[300];
    if (strchr(c->host, ':'))
        snprintf(host, sizeof(host), "[%s]:%d", c->host, c->port);
    else
        snprintf(host, sizeof(host), "%s:%d", c->host, c->port);
    char *head = zk_xasprintf("%s %s HTTP/1.1\r\nHost: %s\r\n%s", method, path, host,
                              headers ? headers : "");
    char *cl = sends ? zk_xasprintf("Content-Length: %zu\r\n\r\n", len) : zk_xstrdup("\r\n");
    size_t hl = strlen(head), cll = strlen(cl);
    r->out_len = hl + cll + len;
    r->out = zk_xmalloc(r->out_len);
    memcpy(r->out, head, hl);
    memcpy(r->out + hl, cl, cll);
    if (len)
        memcpy(r->out + hl + cll, body, len);
    free(head);
    free(cl);

    conn *cn = NULL;
    for (conn *x = c->conns; x; x = x->next)
        if (x->idle && x->state == C_READY) {
            cn = x;
            break;
        }
    if (cn) {
        cn->idle = false;
        cn->reused = true;
    } else {
        cn = conn_new(c);
    }
    cn->answered = false;
    cn->req = r;
    r->cn = cn;
    zk_h1_resp_init(&cn->resp, r->head_method);
    if (cn->state == C_READY)
        write_request(cn);
    return r;
}

void zk_h1c_cancel(zk_h1c_req *r)
{
    conn *cn = r->cn;
    if (cn) {
        cn->req = NULL;
        conn_close(cn);
    }
    req_free(r);
}

void zk_h1c_counts(const zk_h1c *c, int *open, int *idle)
{
    int i = 0;
    for (const conn *cn = c->conns; cn; cn = cn->next)
        i += cn->idle;
    if (open)
        *open = c->nopen;
    if (idle)
        *idle = i;
}

/* ---- upgrades ---- */

static void raw_failed(void *ctx, const char *error)
{
    zk_h1c_raw *raw = ctx;
    raw->cb.open(raw->ctx, 0, NULL, 0, error ? error : "the server closed the connection");
    free(raw);
}

zk_h1c_raw *zk_h1c_upgrade(zk_h1c *c, const char *path, const char *headers, int timeout_ms,
                           const zk_h1c_raw_cb *cb, void *ctx)
{
    zk_h1c_raw *raw = zk_xcalloc(1, sizeof(*raw));
    raw->cb = *cb;
    raw->ctx = ctx;
    char *h = zk_xasprintf("Connection: Upgrade\r\n%s", headers ? headers : "");
    /* done is reached only when no answer came (an answer goes to
     * raw_answer): then the attempt failed */
    zk_h1c_cb rcb = {.done = raw_failed};
    zk_h1c_req *r = zk_h1c_send(c, "GET", path, h, NULL, 0, timeout_ms, &rcb, raw);
    free(h);
    r->raw = raw;
    raw->req = r;
    return raw;
}

void zk_h1c_raw_write(zk_h1c_raw *r, const void *p, size_t n)
{
    conn *cn = r->cn;
    if (!cn || cn->state != C_READY || !n)
        return;
    if (!cn->ssl) {
        send_raw(cn, p, n);
        return;
    }
    const char *b = p;
    while (n > 0) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        int k = SSL_write(cn->ssl, b, chunk);
        if (k <= 0) {
            char e[300];
            on_eof(cn, tls_error(cn, e, sizeof(e)));
            return;
        }
        b += k;
        n -= (size_t)k;
    }
    tls_flush(cn);
}

size_t zk_h1c_raw_queued(const zk_h1c_raw *r)
{
    return r->cn ? r->cn->tcp.write_queue_size : 0;
}

void zk_h1c_raw_close(zk_h1c_raw *r)
{
    if (r->cn) {
        r->cn->raw = NULL;
        conn_close(r->cn);
    } else if (r->req) {
        zk_h1c_cancel(r->req);   /* still waiting for its answer */
    }
    free(r);
}
