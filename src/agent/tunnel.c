/* zke agent: the tunnel to the API server (see apiserver/tunnel.c and
 * net/frame.h). The agent dials out — an edge site behind NAT is never
 * dialed — authenticates as its node, upgrades the connection and serves
 * the streams the server opens on it: a pod's log now; exec, port-forward
 * and stats ride the same streams.
 *
 * The TLS connection is libcurl's (CONNECT_ONLY), made on the threadpool so
 * that a slow or unreachable server never blocks the agent's loop, and then
 * driven from the loop with a uv_poll on its socket. A lost connection is
 * made again with a growing delay (1 s to 30 s). */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "net/frame.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
#define IN_MAX (ZK_FRAME_HEADER + ZK_FRAME_MAX + 4096)

typedef enum { T_DOWN, T_CONNECTING, T_HANDSHAKE, T_OPEN } tun_state;

struct zk_tstream {
    zk_agent_tun *t;
    uint32_t id;
    zk_tstream_ops ops;
    void *ctx;
    bool ended;
    int64_t room;          /* bytes it may still send (version 2) */
    size_t owed;           /* bytes taken from the server, not yet credited */
    bool waiting;          /* its sender found no room and waits for some */
    zk_tstream *next;
};

struct zk_agent_tun {
    zk_agent *a;
    tun_state state;
    CURL *easy;
    curl_socket_t fd;
    uv_poll_t poll;
    bool polling;
    int events;
    char *in;
    size_t in_len;
    char *out;
    size_t out_len, out_cap, out_off;
    uv_timer_t retry;
    uint64_t backoff_ms;
    zk_tstream *streams;
    char errbuf[CURL_ERROR_SIZE];
    bool closing_poll;
    bool flow;             /* the server speaks version 2: stream windows */
};

/* Without windows (an older server) a sender pauses while this much waits
 * to go out on the connection. */
#define QUEUED_MAX (1u << 20)

static void tun_down(zk_agent_tun *t, const char *why);
static void tun_connect(zk_agent_tun *t);
static void on_poll(uv_poll_t *p, int status, int events);

/* ---- output ---- */

static void want_events(zk_agent_tun *t)
{
    if (!t->polling)
        return;
    int ev = UV_READABLE | (t->out_len > t->out_off ? UV_WRITABLE : 0);
    if (ev != t->events) {
        t->events = ev;
        uv_poll_start(&t->poll, ev, on_poll);
    }
}

static void wake_waiting(zk_agent_tun *t);

static void tun_write(zk_agent_tun *t)
{
    while (t->out_off < t->out_len) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(t->easy, t->out + t->out_off, t->out_len - t->out_off, &n);
        if (rc == CURLE_AGAIN)
            break;
        if (rc != CURLE_OK) {
            tun_down(t, curl_easy_strerror(rc));
            return;
        }
        t->out_off += n;
    }
    if (t->out_off == t->out_len) {
        t->out_off = t->out_len = 0;
        wake_waiting(t);
    }
    else if (t->out_off > (1u << 20)) {
        memmove(t->out, t->out + t->out_off, t->out_len - t->out_off);
        t->out_len -= t->out_off;
        t->out_off = 0;
    }
    want_events(t);
}

static void queue_bytes(zk_agent_tun *t, const void *p, size_t n)
{
    if (t->out_len + n > t->out_cap) {
        t->out_cap = (t->out_len + n) * 2;
        t->out = zk_xrealloc(t->out, t->out_cap);
    }
    memcpy(t->out + t->out_len, p, n);
    t->out_len += n;
}

static void send_frame(zk_agent_tun *t, uint32_t id, int type, const void *p, size_t n)
{
    if (t->state != T_OPEN)
        return;
    const char *bytes = p;
    do {
        size_t part = n > ZK_FRAME_MAX ? ZK_FRAME_MAX : n;
        uint8_t h[ZK_FRAME_HEADER];
        zk_frame_header(h, id, type, part);
        queue_bytes(t, h, sizeof(h));
        if (part)
            queue_bytes(t, bytes, part);
        bytes += part;
        n -= part;
    } while (n > 0);
    tun_write(t);
}

bool zk_agent_tun_up(zk_agent *a)
{
    return a->tun && a->tun->state == T_OPEN;
}

/* ---- streams ---- */

void zk_agent_tun_send(zk_tstream *s, const void *p, size_t n)
{
    if (s->ended)
        return;
    s->room -= (int64_t)n;
    send_frame(s->t, s->id, ZK_FRAME_DATA, p, n);
}

size_t zk_agent_tun_room(zk_tstream *s)
{
    zk_agent_tun *t = s->t;
    size_t queued = t->out_len - t->out_off;
    size_t room = 0;
    if (t->state != T_OPEN)
        room = 0;
    else if (!t->flow)
        room = queued < QUEUED_MAX ? QUEUED_MAX - queued : 0;
    else if (s->room > 0 && queued < 4 * QUEUED_MAX)
        room = (size_t)s->room;
    if (!room)
        s->waiting = true;
    return room;
}

void zk_agent_tun_consumed(zk_tstream *s, size_t n)
{
    zk_agent_tun *t = s->t;
    if (!t->flow || s->ended)
        return;
    uint8_t b[4];
    if (zk_frame_credit(&s->owed, n, b))
        send_frame(t, s->id, ZK_FRAME_WINDOW, b, 4);
}

/* Streams that found no room and have some now hear so, one at a time:
 * a callback may end any stream. */
static void wake_waiting(zk_agent_tun *t)
{
    for (;;) {
        zk_tstream *s = t->streams;
        while (s && !(s->waiting && s->ops.writable && zk_agent_tun_room(s) > 0))
            s = s->next;
        if (!s)
            return;
        s->waiting = false;
        s->ops.writable(s->ctx);
    }
}

static void unlink_stream(zk_agent_tun *t, zk_tstream *s)
{
    for (zk_tstream **pp = &t->streams; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            return;
        }
}

void zk_agent_tun_end(zk_tstream *s, int code, const char *reason, const char *message)
{
    zk_agent_tun *t = s->t;
    if (code) {
        json_t *st = json_pack("{s:i,s:s,s:s}", "code", code, "reason", reason ? reason : "",
                               "message", message ? message : "");
        zk_autofree char *text = json_dumps(st, JSON_COMPACT);
        json_decref(st);
        send_frame(t, s->id, ZK_FRAME_CLOSE, text, strlen(text));
    } else {
        send_frame(t, s->id, ZK_FRAME_CLOSE, NULL, 0);
    }
    unlink_stream(t, s);
    free(s);
}

static void on_open(zk_agent_tun *t, uint32_t id, const char *p, size_t n)
{
    zk_tstream *s = zk_xcalloc(1, sizeof(*s));
    s->t = t;
    s->id = id;
    s->room = ZK_TUN_WINDOW;
    s->next = t->streams;
    t->streams = s;
    json_t *req = zk_json_read(p, n, false);
    const char *op = zk_json_str(req, "op");
    if (op && !strcmp(op, "log"))
        zk_agent_logs_open(t->a, s, req);
    else if (op && !strcmp(op, "exec"))
        zk_agent_exec_open(t->a, s, req);
    else if (op && !strcmp(op, "attach"))
        zk_agent_attach_open(t->a, s, req);
    else if (op && !strcmp(op, "proxy"))
        zk_agent_proxy_open(t->a, s, req);
    else if (op && !strcmp(op, "portforward"))
        zk_agent_portforward_open(t->a, s, req);
    else if (op && !strcmp(op, "stats"))
        zk_agent_stats_open(t->a, s, req);
    else
        zk_agent_tun_end(s, 400, "BadRequest", "this agent does not serve that request");
    json_decref(req);
}

void zk_agent_tun_bind(zk_tstream *s, const zk_tstream_ops *ops, void *ctx)
{
    s->ops = *ops;
    s->ctx = ctx;
}

static void on_frame(zk_agent_tun *t, const zk_frame *f)
{
    if (f->type == ZK_FRAME_PING) {
        send_frame(t, f->stream, ZK_FRAME_PONG, f->payload, f->len);
        return;
    }
    if (f->type == ZK_FRAME_PONG)
        return;
    if (f->type == ZK_FRAME_OPEN) {
        on_open(t, f->stream, (const char *)f->payload, f->len);
        return;
    }
    zk_tstream *s = t->streams;
    while (s && s->id != f->stream)
        s = s->next;
    if (!s)
        return;
    if (f->type == ZK_FRAME_DATA) {
        if (s->ops.data)
            s->ops.data(s->ctx, (const char *)f->payload, f->len);
        else
            zk_agent_tun_consumed(s, f->len);
    } else if (f->type == ZK_FRAME_EOF) {
        if (s->ops.eof)
            s->ops.eof(s->ctx);
    } else if (f->type == ZK_FRAME_WINDOW) {
        s->room += zk_frame_window(f);
        wake_waiting(t);
    } else if (f->type == ZK_FRAME_CLOSE) {
        /* the server ended it: no CLOSE back */
        unlink_stream(t, s);
        if (s->ops.closed)
            s->ops.closed(s->ctx);
        free(s);
    }
}

/* ---- input ---- */

static void handshake(zk_agent_tun *t)
{
    char *end = memmem(t->in, t->in_len, "\r\n\r\n", 4);
    if (!end) {
        if (t->in_len > 8192)
            tun_down(t, "the server's answer to the upgrade is too long");
        return;
    }
    int code = 0;
    sscanf(t->in, "HTTP/1.1 %d", &code);
    *end = '\0';
    t->flow = strcasestr(t->in, "\r\nzke-tunnel-version: 2") != NULL;
    if (code != 101) {
        char line[200];
        snprintf(line, sizeof(line), "%.*s", (int)strcspn(t->in, "\r\n"), t->in);
        zk_warn("agent: tunnel refused: %s", line);
        tun_down(t, "the server refused the tunnel");
        return;
    }
    size_t used = (size_t)(end + 4 - t->in);
    memmove(t->in, end + 4, t->in_len - used);
    t->in_len -= used;
    t->state = T_OPEN;
    t->backoff_ms = 0;
    t->a->m.tunnel_connects++;
    zk_info("agent: tunnel to %s open", t->a->cfg.server);
}

static void tun_read(zk_agent_tun *t)
{
    for (;;) {
        size_t n = 0;
        if (t->in_len == IN_MAX) {
            tun_down(t, "a frame larger than allowed");
            return;
        }
        CURLcode rc = curl_easy_recv(t->easy, t->in + t->in_len, IN_MAX - t->in_len, &n);
        if (rc == CURLE_AGAIN)
            return;
        if (rc != CURLE_OK || n == 0) {
            tun_down(t, rc == CURLE_OK ? "the server closed the connection" : curl_easy_strerror(rc));
            return;
        }
        t->in_len += n;
        if (t->state == T_HANDSHAKE) {
            handshake(t);
            if (t->state != T_OPEN)
                continue;
        }
        size_t off = 0;
        while (t->state == T_OPEN) {
            zk_frame f;
            int k = zk_frame_parse((const uint8_t *)t->in + off, t->in_len - off, &f);
            if (k < 0) {
                tun_down(t, "a malformed frame");
                return;
            }
            if (k == 0)
                break;
            off += (size_t)k;
            on_frame(t, &f);
        }
        if (t->state != T_OPEN && t->state != T_HANDSHAKE)
            return;
        memmove(t->in, t->in + off, t->in_len - off);
        t->in_len -= off;
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    zk_agent_tun *t = p->data;
    if (status < 0) {
        tun_down(t, uv_strerror(status));
        return;
    }
    if (events & UV_WRITABLE)
        tun_write(t);
    if (t->state != T_DOWN && (events & UV_READABLE))
        tun_read(t);
}

/* ---- connecting ---- */

typedef struct conn_job {
    uv_work_t w;
    zk_agent_tun *t;
    CURL *easy;
    CURLcode rc;
} conn_job;

static void conn_work(uv_work_t *w)
{
    conn_job *j = w->data;
    j->rc = curl_easy_perform(j->easy);
}

static void on_poll_closed(uv_handle_t *h)
{
    zk_agent_tun *t = h->data;
    t->closing_poll = false;
    if (t->easy) {
        curl_easy_cleanup(t->easy);
        t->easy = NULL;
    }
}

static void conn_done(uv_work_t *w, int status)
{
    conn_job *j = w->data;
    zk_agent_tun *t = j->t;
    CURLcode rc = j->rc;
    free(j);
    if (rc != CURLE_OK) {
        zk_warn("agent: tunnel to %s: %s", t->a->cfg.server,
                t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        curl_easy_cleanup(t->easy);
        t->easy = NULL;
        tun_down(t, NULL);
        return;
    }
    curl_socket_t fd;
    if (curl_easy_getinfo(t->easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK) {
        tun_down(t, "no socket");
        return;
    }
    t->fd = fd;
    /* the upgrade request; the credentials are the TLS client certificate
     * or the bearer token */
    const char *url = t->a->cfg.server;
    const char *host = strstr(url, "://") ? strstr(url, "://") + 3 : url;
    zk_autofree char *req = zk_xasprintf(
        "GET /zke/v1/tunnel HTTP/1.1\r\nHost: %.*s\r\nConnection: Upgrade\r\nUpgrade: zke-tunnel\r\n"
        "Zke-Tunnel-Version: 2\r\nUser-Agent: zke-agent/" ZK_VERSION "\r\n%s%s%s\r\n",
        (int)strcspn(host, "/"), host, t->a->cfg.token ? "Authorization: Bearer " : "",
        t->a->cfg.token ? t->a->cfg.token : "", t->a->cfg.token ? "\r\n" : "");
    t->state = T_HANDSHAKE;
    t->in_len = 0;
    t->out_len = t->out_off = 0;
    queue_bytes(t, req, strlen(req));
    uv_poll_init_socket(t->a->loop, &t->poll, fd);
    t->poll.data = t;
    t->polling = true;
    t->events = 0;
    uv_poll_start(&t->poll, UV_READABLE | UV_WRITABLE, on_poll);
    t->events = UV_READABLE | UV_WRITABLE;
    tun_write(t);
}

static void tun_connect(zk_agent_tun *t)
{
    if (t->state != T_DOWN || t->closing_poll)
        return;
    zk_agent *a = t->a;
    CURL *e = curl_easy_init();
    if (!e)
        return;
    zk_autofree char *url = zk_xasprintf("%s/zke/v1/tunnel", a->cfg.server);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    t->errbuf[0] = '\0';
    if (a->cfg.ca_pem) {
        struct curl_blob b = {.data = a->cfg.ca_pem, .len = strlen(a->cfg.ca_pem),
                              .flags = CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
    }
    if (a->cfg.cert_pem && a->cfg.key_pem) {
        struct curl_blob b = {.data = a->cfg.cert_pem, .len = strlen(a->cfg.cert_pem),
                              .flags = CURL_BLOB_COPY};
        struct curl_blob k = {.data = a->cfg.key_pem, .len = strlen(a->cfg.key_pem),
                              .flags = CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &k);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (a->cfg.insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    t->easy = e;
    t->state = T_CONNECTING;
    conn_job *j = zk_xcalloc(1, sizeof(*j));
    j->w.data = j;
    j->t = t;
    j->easy = e;
    uv_queue_work(a->loop, &j->w, conn_work, conn_done);
}

static void on_retry(uv_timer_t *tm)
{
    tun_connect(tm->data);
}

/* The connection is gone (or never came): end its streams, try again. */
static void tun_down(zk_agent_tun *t, const char *why)
{
    if (why)
        zk_warn("agent: tunnel down: %s", why);
    t->state = T_DOWN;
    while (t->streams) {
        zk_tstream *s = t->streams;
        t->streams = s->next;
        if (s->ops.closed)
            s->ops.closed(s->ctx);
        free(s);
    }
    if (t->polling) {
        t->polling = false;
        t->closing_poll = true;
        uv_poll_stop(&t->poll);
        uv_close((uv_handle_t *)&t->poll, on_poll_closed);
    } else if (t->easy) {
        curl_easy_cleanup(t->easy);
        t->easy = NULL;
    }
    t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : RETRY_MIN_MS;
    if (t->backoff_ms > RETRY_MAX_MS)
        t->backoff_ms = RETRY_MAX_MS;
    uv_timer_start(&t->retry, on_retry, t->backoff_ms, 0);
}

void zk_agent_tun_start(zk_agent *a)
{
    zk_agent_tun *t = zk_xcalloc(1, sizeof(*t));
    t->a = a;
    t->in = zk_xmalloc(IN_MAX);
    uv_timer_init(a->loop, &t->retry);
    t->retry.data = t;
    a->tun = t;
    tun_connect(t);
}
