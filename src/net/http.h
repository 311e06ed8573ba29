/* zke net: the HTTPS server (h2o on libuv) and streaming responses.
 *
 * One server runs on one libuv loop. Requests reach a single handler; the
 * handler answers with zk_http_respond() or starts a stream. Request bodies
 * are buffered by h2o up to ZK_HTTP_MAX_ENTITY (the handler applies the API's
 * own, smaller limit so clients get a proper error). */
#ifndef ZK_NET_HTTP_H
#define ZK_NET_HTTP_H

#include <h2o.h>
#include <stdbool.h>
#include <uv.h>

#include "base/err.h"

#define ZK_HTTP_MAX_ENTITY (8u * 1024 * 1024)

typedef struct zk_http_server zk_http_server;

/* The handler: answer req (now or later). Return 0. */
typedef int (*zk_http_handler_fn)(void *ctx, h2o_req_t *req);

typedef struct zk_http_options {
    const char *bind_address;  /* "127.0.0.1", "0.0.0.0", "::" */
    int port;
    const char *cert_file;     /* NULL: plain HTTP (only allowed on loopback) */
    const char *key_file;
    const char *client_ca_file; /* verify client certificates if given; NULL: none */
    uint64_t req_timeout_ms;   /* time to receive a whole request (slowloris bound) */
} zk_http_options;

zk_http_server *zk_http_server_new(uv_loop_t *loop, const zk_http_options *opt,
                                   zk_http_handler_fn handler, void *ctx, zk_err *err);
/* Stop listening and free; open connections are closed. */
void zk_http_server_free(zk_http_server *s);
/* The port actually bound (useful with port 0). */
int zk_http_server_port(const zk_http_server *s);

/* Empty reads (libuv's EAGAIN) kept from libh2o's TLS read callback, which
 * would have taken each for an I/O error and dropped its connection: see
 * net/uvread.c. */
unsigned long zk_http_empty_reads_dropped(void);

/* Header value of name (case-insensitive) or NULL; *len gets its length. */
const char *zk_http_header(h2o_req_t *req, const char *name, size_t *len);

/* Respond with a whole body (copied into the request's pool). */
void zk_http_respond(h2o_req_t *req, int status, const char *content_type, const char *body,
                     size_t len);
/* Add a response header before responding (copied). */
void zk_http_add_header(h2o_req_t *req, const char *name, const char *value);

/* Client certificate identity of the connection, if the client presented a
 * certificate that verified against the client CA: CN as user, O as groups.
 * Returns false when there is none. Strings are malloc'ed: free them (and
 * the groups array) with zk_http_peer_identity_free(). */
bool zk_http_peer_identity(h2o_req_t *req, char **user, char ***groups, size_t *ngroups);
void zk_http_peer_identity_free(char *user, char **groups, size_t ngroups);

/* ---- streaming responses ---- */

/* A reference-counted chunk of bytes shared by many streams (one watch event
 * goes to many watchers). Loop thread only. */
typedef struct zk_chunk {
    int refs;
    size_t len;
    char data[];
} zk_chunk;

zk_chunk *zk_chunk_new(const void *data, size_t len);
zk_chunk *zk_chunk_ref(zk_chunk *c);
void zk_chunk_unref(zk_chunk *c);

typedef struct zk_http_stream zk_http_stream;

/* Called once when the stream is gone: finished, or the client went away.
 * After it returns the stream pointer is invalid. */
typedef void (*zk_http_stream_closed_fn)(void *ctx, zk_http_stream *s);

/* Start a chunked/streamed response with the given status and content type.
 * max_queued bounds the bytes waiting to be sent; past it writes fail and the
 * owner should end the stream. */
zk_http_stream *zk_http_stream_start(h2o_req_t *req, int status, const char *content_type,
                                     size_t max_queued, zk_http_stream_closed_fn closed,
                                     void *ctx);
/* The same for a body that must be exactly its bytes (a log): over
 * HTTP/1.1 the headers then go out with the first bytes, not before. */
zk_http_stream *zk_http_stream_start_raw(h2o_req_t *req, int status, const char *content_type,
                                         size_t max_queued, zk_http_stream_closed_fn closed,
                                         void *ctx);
/* Queue a chunk (takes a new reference). -ZK_ETOOBIG when over the bound,
 * -ZK_EIO when the stream is ending or gone. */
int zk_http_stream_write(zk_http_stream *s, zk_chunk *c);
/* Raise the bound on queued bytes (an initial burst of known size). */
void zk_http_stream_allow(zk_http_stream *s, size_t extra);
/* Finish after what is queued has been sent. */
void zk_http_stream_end(zk_http_stream *s);
/* Between zk_http_cork() and the matching zk_http_uncork() on the same
 * thread, stream writes are queued but not sent; the last uncork sends each
 * written stream's queue at once, so a burst of events reaches a watcher in
 * one TLS record and one system call instead of one per event. Nests. */
void zk_http_cork(void);
void zk_http_uncork(void);
/* Bytes queued but not yet handed to the connection. */
size_t zk_http_stream_queued(const zk_http_stream *s);
h2o_req_t *zk_http_stream_req(zk_http_stream *s);

#endif
