/* zke net: a small HTTP/1.1 client on libuv and OpenSSL.
 *
 * One client talks to one server (the API server, for a node agent). It
 * keeps a few idle connections open for the next requests and opens more
 * when requests overlap, one request per connection at a time: a watch
 * holds its connection for as long as it runs. TLS is OpenSSL through
 * memory BIOs, so reading and writing stay on the loop; the server's
 * certificate is checked against the caller's SSL_CTX (its CA) and the
 * URL's host (a name, or an IP address against the certificate's IP SANs).
 * Responses are read by net/h1.c.
 *
 * What it is for: a process that needs plain HTTPS to one server should
 * not have to load libcurl and the dozen libraries Debian's libcurl brings
 * (GnuTLS, Kerberos, LDAP, libssh2, ...): about 4 MiB of a node agent's
 * resident memory (docs/benchmarks.md). */
#ifndef ZK_NET_H1CLIENT_H
#define ZK_NET_H1CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "base/err.h"
#include "net/h1.h"

typedef struct zk_h1c zk_h1c;
typedef struct zk_h1c_req zk_h1c_req;

typedef struct zk_h1c_opts {
    const char *url;          /* "https://host:port" or "http://host:port"; a path is ignored */
    SSL_CTX *tls;             /* https: the context to use (CA, client certificate); the
                               * client takes a reference */
    int idle_max;             /* idle connections kept (default 4) */
    int connect_timeout_ms;   /* to connect and finish the TLS handshake (default 10000) */
    const char *server_name;  /* https: the name the certificate must hold (and SNI) when
                               * it is not the URL's host (a webhook Service reached at its
                               * endpoint's address); NULL: the URL's host */
} zk_h1c_opts;

typedef struct zk_h1c_cb {
    /* the response's head; headers are valid during the call */
    void (*head)(void *ctx, int status, const zk_h1_header *headers, size_t n);
    /* body bytes as they arrive (after chunked decoding) */
    void (*body)(void *ctx, const char *p, size_t n);
    /* the end: error NULL when the whole response came. The request is
     * over (and freed) when this returns. */
    void (*done)(void *ctx, const char *error);
} zk_h1c_cb;

zk_h1c *zk_h1c_new(uv_loop_t *loop, const zk_h1c_opts *o, zk_err *err);
/* Ends every request without calling done, closes the connections; the
 * memory goes once libuv has closed them. */
void zk_h1c_free(zk_h1c *c);

/* Send a request. headers is "Name: value\r\n" lines (or NULL); Host,
 * Content-Length (when there is a body or the method sends one) and
 * Connection are added. timeout_ms > 0 bounds the whole exchange; < 0
 * bounds the silence, -timeout_ms with no byte from the server (a watch);
 * 0: no limit. The callbacks run on the loop, never inside this call. */
zk_h1c_req *zk_h1c_send(zk_h1c *c, const char *method, const char *path, const char *headers,
                        const void *body, size_t len, int timeout_ms, const zk_h1c_cb *cb,
                        void *ctx);

/* Give up a request: done is not called; its connection is closed unless
 * the request had not started on one. */
void zk_h1c_cancel(zk_h1c_req *r);

/* An upgraded connection (HTTP 101): after the answer the connection is
 * the caller's byte stream, over the same TLS. */
typedef struct zk_h1c_raw zk_h1c_raw;

typedef struct zk_h1c_raw_cb {
    /* the answer: status 101 and error NULL, the stream is open; else the
     * attempt failed (error, or another status: headers and body are
     * dropped) and the stream is over when this returns */
    void (*open)(void *ctx, int status, const zk_h1_header *headers, size_t n,
                 const char *error);
    void (*data)(void *ctx, const char *p, size_t n);
    /* everything written went out */
    void (*drained)(void *ctx);
    /* the stream broke or the server ended it; it is over when this returns */
    void (*closed)(void *ctx, const char *why);
} zk_h1c_raw_cb;

/* GET path with "Connection: Upgrade" and the caller's headers (which name
 * the Upgrade); timeout_ms bounds the wait for the answer. */
zk_h1c_raw *zk_h1c_upgrade(zk_h1c *c, const char *path, const char *headers, int timeout_ms,
                           const zk_h1c_raw_cb *cb, void *ctx);
void zk_h1c_raw_write(zk_h1c_raw *r, const void *p, size_t n);
/* Bytes written and not yet taken by the kernel. */
size_t zk_h1c_raw_queued(const zk_h1c_raw *r);
/* End it: no callback follows. */
void zk_h1c_raw_close(zk_h1c_raw *r);

/* Connections open now, and idle among them (for tests and /metrics). */
void zk_h1c_counts(const zk_h1c *c, int *open, int *idle);

#endif
