#include "net/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"

struct zk_http_server {
    uv_loop_t *loop;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    SSL_CTX *ssl_ctx;
    uv_tcp_t listener;
    bool listening;
    int port;
    zk_http_handler_fn handler;
    void *handler_ctx;
};

typedef struct zk_http_handler {
    h2o_handler_t super;
    zk_http_server *server;
} zk_http_handler;

static int zk__http_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    zk_http_server *s = ((zk_http_handler *)self)->server;
    return s->handler(s->handler_ctx, req);
}

static void zk__http_on_accept(uv_stream_t *listener, int status)
{
    zk_http_server *s = listener->data;
    if (status != 0)
        return;
    uv_tcp_t *conn = zk_xmalloc(sizeof(*conn));
    uv_tcp_init(listener->loop, conn);
    if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, (uv_close_cb)free);
        return;
    }
    uv_tcp_nodelay(conn, 1);
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)conn, (uv_close_cb)free);
    h2o_accept(&s->accept_ctx, sock);
}

static SSL_CTX *zk__http_ssl_ctx(const zk_http_options *opt, zk_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        zk_err_set(err, ZK_EINTERNAL, "cannot create TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* idle connections (watches) give their TLS buffers back */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, opt->cert_file) != 1) {
        zk_err_set(err, ZK_EIO, "load serving certificate %s: %s", opt->cert_file,
                   ERR_reason_error_string(ERR_get_error()));
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, opt->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        zk_err_set(err, ZK_EIO, "load serving key %s: %s", opt->key_file,
                   ERR_reason_error_string(ERR_get_error()));
        goto fail;
    }
    if (opt->client_ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, opt->client_ca_file, NULL) != 1) {
            zk_err_set(err, ZK_EIO, "load client CA %s: %s", opt->client_ca_file,
                       ERR_reason_error_string(ERR_get_error()));
            goto fail;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(opt->client_ca_file);
        if (names)
            SSL_CTX_set_client_CA_list(ctx, names);
        /* Ask for a certificate; a client without one still connects and
         * authenticates some other way (a bearer token), as kube-apiserver does. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        static const unsigned char sid[] = "zke";
        SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

static bool zk__is_loopback(const char *addr)
{
    return !strcmp(addr, "127.0.0.1") || !strcmp(addr, "::1") || !strcmp(addr, "localhost") ||
           !strncmp(addr, "127.", 4);
}

zk_http_server *zk_http_server_new(uv_loop_t *loop, const zk_http_options *opt,
                                   zk_http_handler_fn handler, void *ctx, zk_err *err)
{
    if (!opt->cert_file && !zk__is_loopback(opt->bind_address)) {
        zk_err_set(err, ZK_EINVAL,
                   "plain HTTP is only allowed on a loopback address, not %s", opt->bind_address);
        return NULL;
    }
    zk_http_server *s = zk_xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->handler = handler;
    s->handler_ctx = ctx;
    if (opt->cert_file) {
        s->ssl_ctx = zk__http_ssl_ctx(opt, err);
        if (!s->ssl_ctx) {
            free(s);
            return NULL;
        }
    }

    h2o_config_init(&s->config);
    s->config.max_request_entity_size = ZK_HTTP_MAX_ENTITY;
    if (opt->req_timeout_ms) {
        s->config.http1.req_timeout = opt->req_timeout_ms;
        s->config.http2.idle_timeout = opt->req_timeout_ms * 6;
    }
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("zke"));
    h2o_hostconf_t *host =
        h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    zk_http_handler *h = (zk_http_handler *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = zk__http_on_req;
    h->server = s;

    h2o_context_init(&s->ctx, loop, &s->config);
    s->accept_ctx.ctx = &s->ctx;
    s->accept_ctx.hosts = s->config.hosts;
    s->accept_ctx.ssl_ctx = s->ssl_ctx;

    struct sockaddr_storage ss;
    int rc;
    if (strchr(opt->bind_address, ':'))
        rc = uv_ip6_addr(opt->bind_address, opt->port, (struct sockaddr_in6 *)&ss);
    else
        rc = uv_ip4_addr(!strcmp(opt->bind_address, "localhost") ? "127.0.0.1" : opt->bind_address,
                         opt->port, (struct sockaddr_in *)&ss);
    if (rc != 0) {
        zk_err_set(err, ZK_EINVAL, "bad bind address %s: %s", opt->bind_address, uv_strerror(rc));
        goto fail;
    }
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->listening = true;
    if ((rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&s->listener, 1024, zk__http_on_accept)) != 0) {
        zk_err_set(err, ZK_EIO, "listen on %s:%d: %s", opt->bind_address, opt->port,
                   uv_strerror(rc));
        goto fail;
    }
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
    s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                 : ((struct sockaddr_in *)&bound)->sin_port);
    return s;
fail:
    zk_http_server_free(s);
    return NULL;
}

static void zk__http_listener_closed(uv_handle_t *h)
{
    (void)h;
}

void zk_http_server_free(zk_http_server *s)
{
    if (!s)
        return;
    unsigned long kept = zk_http_empty_reads_dropped();
    if (kept)
        zk_info("http: %lu empty TLS reads were not taken for errors (net/uvread.c)", kept);
    if (s->listening)
        uv_close((uv_handle_t *)&s->listener, zk__http_listener_closed);
    /* The context and config live until process exit: h2o has no safe way to
     * dispose of a context with live connections, and the server runs once. */
    if (!s->listening) {
        if (s->ssl_ctx)
            SSL_CTX_free(s->ssl_ctx);
        free(s);
    }
}

int zk_http_server_port(const zk_http_server *s)
{
    return s->port;
}

const char *zk_http_header(h2o_req_t *req, const char *name, size_t *len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    if (len)
        *len = req->headers.entries[i].value.len;
    return req->headers.entries[i].value.base;
}

void zk_http_add_header(h2o_req_t *req, const char *name, const char *value)
{
    size_t nlen = strlen(name);
    char *n = h2o_mem_alloc_pool(&req->pool, nlen + 1);
    for (size_t i = 0; i <= nlen; i++)
        n[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    h2o_iovec_t v = h2o_strdup(&req->pool, value, SIZE_MAX);
    h2o_add_header_by_str(&req->pool, &req->res.headers, n, nlen, 0, NULL, v.base, v.len);
}

void zk_http_respond(h2o_req_t *req, int status, const char *content_type, const char *body,
                     size_t len)
{
    static h2o_generator_t generator = {NULL, NULL};
    req->res.status = status;
    req->res.reason = "";
    if (content_type) {
        h2o_iovec_t ct = h2o_strdup(&req->pool, content_type, SIZE_MAX);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct.base,
                       ct.len);
    }
    req->res.content_length = len;
    h2o_iovec_t buf = h2o_strdup(&req->pool, body ? body : "", len);
    h2o_start_response(req, &generator);
    h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

/* h2o keeps its TLS state private; its first two members are the SSL_CTX and
 * the SSL object in the 2.2 series that Debian ships. We read only those and
 * check the SSL_CTX matches before trusting the layout. */
struct zk__h2o_socket_ssl_head {
    SSL_CTX *ssl_ctx;
    SSL *ossl;
};

bool zk_http_peer_identity(h2o_req_t *req, char **user, char ***groups, size_t *ngroups)
{
    *user = NULL;
    *groups = NULL;
    *ngroups = 0;
    if (!req->conn->callbacks->get_socket)
        return false;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (!sock || !sock->ssl)
        return false;
    struct zk__h2o_socket_ssl_head *head = (struct zk__h2o_socket_ssl_head *)sock->ssl;
    if (!head->ossl || SSL_get_SSL_CTX(head->ossl) != head->ssl_ctx)
        return false;
    if (SSL_get_verify_result(head->ossl) != X509_V_OK)
        return false;
    X509 *cert = SSL_get1_peer_certificate(head->ossl);
    if (!cert)
        return false;
    X509_NAME *subj = X509_get_subject_name(cert);
    char buf[512];
    int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
    if (idx >= 0) {
        ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, d);
        if (n > 0) {
            *user = zk_xstrndup((char *)utf8, (size_t)n);
            OPENSSL_free(utf8);
        }
    }
    int last = -1;
    while ((last = X509_NAME_get_index_by_NID(subj, NID_organizationName, last)) >= 0) {
        ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last));
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, d);
        if (n > 0 && *ngroups < 64) {
            snprintf(buf, sizeof(buf), "%.*s", n, (char *)utf8);
            *groups = zk_xrealloc(*groups, (*ngroups + 1) * sizeof(char *));
            (*groups)[(*ngroups)++] = zk_xstrdup(buf);
        }
        OPENSSL_free(utf8);
    }
    X509_free(cert);
    if (!*user) {
        zk_http_peer_identity_free(NULL, *groups, *ngroups);
        *groups = NULL;
        *ngroups = 0;
        return false;
    }
    return true;
}

void zk_http_peer_identity_free(char *user, char **groups, size_t ngroups)
{
    free(user);
    for (size_t i = 0; i < ngroups; i++)
        free(groups[i]);
    free(groups);
}

/* ---- chunks ---- */

zk_chunk *zk_chunk_new(const void *data, size_t len)
{
    zk_chunk *c = zk_xmalloc(sizeof(*c) + len + 1);
    c->refs = 1;
    c->len = len;
    if (len)
        memcpy(c->data, data, len);
    c->data[len] = '\0';
    return c;
}

zk_chunk *zk_chunk_ref(zk_chunk *c)
{
    c->refs++;
    return c;
}

void zk_chunk_unref(zk_chunk *c)
{
    if (c && --c->refs == 0)
        free(c);
}

/* ---- streams ---- */

#define ZK_STREAM_BATCH 64

struct zk_http_stream {
    h2o_generator_t gen;     /* first: h2o hands us back this pointer */
    h2o_req_t *req;
    zk_chunk **queue;        /* waiting to be sent */
    size_t nqueue, capqueue;
    size_t queued_bytes, max_queued;
    zk_chunk *inflight[ZK_STREAM_BATCH];
    size_t ninflight;
    bool sending;            /* h2o_send called, proceed not yet */
    bool ending;             /* end requested */
    bool finished;           /* FINAL sent, or the client went away */
    bool corked;             /* on the corked list, see zk_http_cork() */
    struct zk_http_stream *cork_prev, *cork_next;
    zk_http_stream_closed_fn closed;
    void *ctx;
};

/* Streams written to while corked, flushed by the last zk_http_uncork().
 * A loop serves its streams on one thread, so the list is per thread. */
static __thread int zk__cork_depth;
static __thread zk_http_stream *zk__corked;

static void zk__cork_unlink(zk_http_stream *s)
{
    if (!s->corked)
        return;
    if (s->cork_prev)
        s->cork_prev->cork_next = s->cork_next;
    else
        zk__corked = s->cork_next;
    if (s->cork_next)
        s->cork_next->cork_prev = s->cork_prev;
    s->cork_prev = s->cork_next = NULL;
    s->corked = false;
}

static void zk__stream_release_inflight(zk_http_stream *s)
{
    for (size_t i = 0; i < s->ninflight; i++)
        zk_chunk_unref(s->inflight[i]);
    s->ninflight = 0;
}

static void zk__stream_flush(zk_http_stream *s)
{
    if (s->sending || s->finished)
        return;
    h2o_iovec_t bufs[ZK_STREAM_BATCH];
    size_t n = s->nqueue < ZK_STREAM_BATCH ? s->nqueue : ZK_STREAM_BATCH;
    for (size_t i = 0; i < n; i++) {
        s->inflight[i] = s->queue[i];
        bufs[i] = h2o_iovec_init(s->queue[i]->data, s->queue[i]->len);
        s->queued_bytes -= s->queue[i]->len;
    }
    s->ninflight = n;
    if (s->nqueue > n)
        memmove(s->queue, s->queue + n, (s->nqueue - n) * sizeof(zk_chunk *));
    s->nqueue -= n;
    bool final = s->ending && s->nqueue == 0;
    if (n == 0 && !final)
        return;
    s->sending = true;
    if (final)
        s->finished = true;
    h2o_send(s->req, bufs, n, final ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void zk__stream_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    zk_http_stream *s = (zk_http_stream *)gen;
    s->sending = false;
    zk__stream_release_inflight(s);
    zk__stream_flush(s);
}

static void zk__stream_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    zk_http_stream *s = (zk_http_stream *)gen;
    s->finished = true;
}

/* Runs when the request's pool is cleared: the response is over one way or
 * another. This is the single place a stream dies. */
static void zk__stream_dispose(void *p)
{
    zk_http_stream *s = p;
    s->finished = true;
    zk__cork_unlink(s);
    zk__stream_release_inflight(s);
    for (size_t i = 0; i < s->nqueue; i++)
        zk_chunk_unref(s->queue[i]);
    free(s->queue);
    s->queue = NULL;
    s->nqueue = 0;
    if (s->closed)
        s->closed(s->ctx, s);
}

static zk_http_stream *stream_start(h2o_req_t *req, int status, const char *content_type,
                                    size_t max_queued, zk_http_stream_closed_fn closed,
                                    void *ctx, bool prime);

zk_http_stream *zk_http_stream_start(h2o_req_t *req, int status, const char *content_type,
                                     size_t max_queued, zk_http_stream_closed_fn closed,
                                     void *ctx)
{
    return stream_start(req, status, content_type, max_queued, closed, ctx, true);
}

zk_http_stream *zk_http_stream_start_raw(h2o_req_t *req, int status, const char *content_type,
                                         size_t max_queued, zk_http_stream_closed_fn closed,
                                         void *ctx)
{
    return stream_start(req, status, content_type, max_queued, closed, ctx, false);
}

static zk_http_stream *stream_start(h2o_req_t *req, int status, const char *content_type,
                                    size_t max_queued, zk_http_stream_closed_fn closed,
                                    void *ctx, bool prime)
{
    zk_http_stream *s = h2o_mem_alloc_shared(&req->pool, sizeof(*s), zk__stream_dispose);
    memset(s, 0, sizeof(*s));
    s->gen.proceed = zk__stream_proceed;
    s->gen.stop = zk__stream_stop;
    s->req = req;
    s->max_queued = max_queued;
    s->closed = closed;
    s->ctx = ctx;
    /* allocated linked to the pool: its reference drops when the request ends */
    req->res.status = status;
    req->res.reason = "";
    h2o_iovec_t ct = h2o_strdup(&req->pool, content_type, SIZE_MAX);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct.base, ct.len);
    h2o_start_response(req, &s->gen);
    /* Send the headers now so the client knows the stream is established.
     * HTTP/1.1 in h2o writes headers only with the first bytes of body, so
     * there the stream opens with a newline, which JSON stream readers skip
     * as whitespace. */
    s->sending = true;
    if (req->version < 0x200 && prime) {
        static char nl[] = "\n";
        h2o_iovec_t b = h2o_iovec_init(nl, 1);
        h2o_send(req, &b, 1, H2O_SEND_STATE_IN_PROGRESS);
    } else {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_IN_PROGRESS);
    }
    return s;
}

int zk_http_stream_write(zk_http_stream *s, zk_chunk *c)
{
    if (s->finished || s->ending)
        return -ZK_EIO;
    if (s->queued_bytes + c->len > s->max_queued)
        return -ZK_ETOOBIG;
    if (s->nqueue == s->capqueue) {
        s->capqueue = s->capqueue ? s->capqueue * 2 : 8;
        s->queue = zk_xrealloc(s->queue, s->capqueue * sizeof(zk_chunk *));
    }
    s->queue[s->nqueue++] = zk_chunk_ref(c);
    s->queued_bytes += c->len;
    if (zk__cork_depth > 0) {
        if (!s->corked) {
            s->corked = true;
            s->cork_prev = NULL;
            s->cork_next = zk__corked;
            if (zk__corked)
                zk__corked->cork_prev = s;
            zk__corked = s;
        }
        return 0;
    }
    zk__stream_flush(s);
    return 0;
}

void zk_http_cork(void)
{
    zk__cork_depth++;
}

void zk_http_uncork(void)
{
    if (zk__cork_depth == 0 || --zk__cork_depth > 0)
        return;
    while (zk__corked) {
        zk_http_stream *s = zk__corked;
        zk__cork_unlink(s);
        zk__stream_flush(s);
    }
}

void zk_http_stream_allow(zk_http_stream *s, size_t extra)
{
    s->max_queued += extra;
}

void zk_http_stream_end(zk_http_stream *s)
{
    if (s->finished || s->ending)
        return;
    s->ending = true;
    zk__stream_flush(s);
}

size_t zk_http_stream_queued(const zk_http_stream *s)
{
    return s->queued_bytes;
}

h2o_req_t *zk_http_stream_req(zk_http_stream *s)
{
    return s->req;
}
