/* zke apiserver: a connection taken over by an HTTP/1.1 upgrade (exec and
 * port-forward over WebSocket or SPDY). It owns its output: bytes queue in
 * `out` while `wbuf` is being written, `queued` says how much waits, and
 * `drained` fires when everything went out — what a relay needs to stop
 * reading its source while a client is slow. Its input can be paused the
 * same way. See zk_upconn_* in internal.h. */
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/log.h"
#include "base/mem.h"

#include <h2o/http1.h>

struct zk_upconn {
    h2o_socket_t *sock;
    zk_upconn_ops ops;
    void *ctx;
    char *out, *wbuf;
    size_t out_len, out_cap, wlen;
    bool writing;
    bool paused;
    bool closing;          /* the user closed it: close once the output is written */
    bool gone;             /* the socket is closed */
    int busy;              /* inside a callback: free later */
    bool free_later;
    bool overflow;         /* the client fell too far behind */
};

static void up_read(h2o_socket_t *sock, const char *err);
static void up_flush(zk_upconn *u);

static void up_free(zk_upconn *u)
{
    free(u->out);
    free(u->wbuf);
    free(u);
}

/* The end: the socket is closed, the user hears it unless it closed the
 * connection itself, and u is freed once no callback runs. */
static void up_gone(zk_upconn *u)
{
    if (u->gone)
        return;
    u->gone = true;
    if (u->sock) {
        h2o_socket_close(u->sock);
        u->sock = NULL;
    }
    if (!u->closing && u->ops.closed) {
        u->busy++;
        u->ops.closed(u->ctx);
        u->busy--;
    }
    if (u->busy)
        u->free_later = true;
    else
        up_free(u);
}

static void on_written(h2o_socket_t *sock, const char *err)
{
    zk_upconn *u = sock->data;
    u->writing = false;
    free(u->wbuf);
    u->wbuf = NULL;
    u->wlen = 0;
    if (err || u->overflow) {
        up_gone(u);
        return;
    }
    up_flush(u);
    if (u->writing || u->gone)
        return;
    if (u->closing) {
        up_gone(u);
        return;
    }
    if (u->ops.drained && !u->closing) {
        u->busy++;
        u->ops.drained(u->ctx);
        u->busy--;
        if (u->free_later && !u->busy)
            up_free(u);
    }
}

static void up_flush(zk_upconn *u)
{
    if (u->writing || !u->out_len || !u->sock || u->gone)
        return;
    u->wbuf = u->out;
    u->wlen = u->out_len;
    u->out = NULL;
    u->out_len = u->out_cap = 0;
    u->writing = true;
    h2o_iovec_t b = h2o_iovec_init(u->wbuf, u->wlen);
    h2o_socket_write(u->sock, &b, 1, on_written);
}

void zk_upconn_write(zk_upconn *u, const void *p, size_t n)
{
    if (u->gone || u->closing || !n)
        return;
    if (u->overflow)
        return;
    if (u->out_len + u->wlen + n > ZK_UPCONN_OUT_MAX) {
        /* a write is under way (output is always being written): its end
         * drops the connection, so the user hears it from the loop and not
         * inside this call */
        zk_warn("an upgraded connection's client reads too slowly: closing it");
        u->overflow = true;
        u->out_len = 0;
        return;
    }
    if (u->out_len + n > u->out_cap) {
        u->out_cap = (u->out_len + n) * 2;
        u->out = zk_xrealloc(u->out, u->out_cap);
    }
    memcpy(u->out + u->out_len, p, n);
    u->out_len += n;
    up_flush(u);
}

size_t zk_upconn_queued(const zk_upconn *u)
{
    return u->out_len + u->wlen;
}

void zk_upconn_pause(zk_upconn *u, bool paused)
{
    if (u->paused == paused || u->gone)
        return;
    u->paused = paused;
    if (!u->sock)
        return;
    if (paused) {
        h2o_socket_read_stop(u->sock);
    } else {
        h2o_socket_read_start(u->sock, up_read);
        if (u->sock->input->size)
            up_read(u->sock, NULL);
    }
}

void zk_upconn_close(zk_upconn *u)
{
    if (u->gone || u->closing)
        return;
    u->closing = true;
    if (u->sock && !u->writing && !u->out_len)
        up_gone(u);
}

static void up_read(h2o_socket_t *sock, const char *err)
{
    zk_upconn *u = sock->data;
    if (err) {
        up_gone(u);
        return;
    }
    /* the user takes what it can; a partial message stays for later */
    u->busy++;
    while (!u->gone && !u->closing && !u->paused && sock->input->size) {
        ssize_t took = u->ops.read(u->ctx, (uint8_t *)sock->input->bytes, sock->input->size);
        if (took < 0) {
            u->busy--;
            up_gone(u);
            if (u->free_later && !u->busy)
                up_free(u);
            return;
        }
        if (took == 0)
            break;
        h2o_buffer_consume(&sock->input, (size_t)took);
    }
    u->busy--;
    if (u->free_later && !u->busy)
        up_free(u);
}

static void on_upgraded(void *user, h2o_socket_t *sock, size_t reqsize)
{
    zk_upconn *u = user;
    if (!sock) {
        up_gone(u);
        return;
    }
    u->sock = sock;
    sock->data = u;
    h2o_buffer_consume(&sock->input, reqsize);
    up_flush(u);
    if (u->closing && !u->writing) {
        up_gone(u);
        return;
    }
    if (!u->paused) {
        h2o_socket_read_start(sock, up_read);
        if (sock->input->size)
            up_read(sock, NULL);
    }
}

zk_upconn *zk_upconn_start(h2o_req_t *req, const char *token, const zk_upconn_ops *ops, void *ctx)
{
    zk_upconn *u = zk_xcalloc(1, sizeof(*u));
    u->ops = *ops;
    u->ctx = ctx;
    req->res.status = 101;
    req->res.reason = "Switching Protocols";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_UPGRADE, NULL, token, strlen(token));
    h2o_http1_upgrade(req, NULL, 0, on_upgraded, u);
    return u;
}
