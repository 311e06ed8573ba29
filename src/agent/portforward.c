/* zke agent: `kubectl port-forward` on a tunnel stream. One stream is one
 * connection to a port of a pod: the agent connects to 127.0.0.1:<port>
 * inside the pod's network namespace (as the kubelet's runtimes do, so a
 * server bound to loopback in the pod is reachable too) and relays bytes
 * both ways. The namespace is entered by a threadpool thread for just the
 * socket() call — a socket stays in the namespace it was made in — and the
 * connect runs there too, so a slow one never blocks the loop.
 *
 * Backpressure both ways: the pod's bytes are read only while the stream
 * has room, and the server's bytes are credited back once the pod's socket
 * took them. The server's EOF half-closes the pod's socket; the pod's EOF
 * (or an error) ends the stream. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"

#define CONNECT_TIMEOUT_MS 10000

typedef struct pf_conn {
    zk_agent *a;
    zk_tstream *s;
    uv_work_t w;
    char netns[4200];      /* empty: the host's (hostNetwork pods) */
    int port;
    char pod[256], uid[64];
    int fd;                /* from the connect job */
    char err[256];
    uv_tcp_t tcp;
    bool tcp_open;
    bool paused, eof_in, ended;
    int writes;            /* uv_writes in flight */
    struct pf_write *early, **early_tail;   /* bytes that came before the connection */
    bool closing;
} pf_conn;

typedef struct pf_write {
    uv_write_t w;
    pf_conn *c;
    size_t n;
    struct pf_write *next;   /* while the connect is under way */
    char bytes[];
} pf_write;

static void pf_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b);
static void pf_written(uv_write_t *w, int status);
static void pf_shut(uv_shutdown_t *req, int status);

static void drop_early(pf_conn *c)
{
    while (c->early) {
        pf_write *pw = c->early;
        c->early = pw->next;
        free(pw);
    }
}

/* Write pw to the pod (credited when it is taken); false when the socket
 * broke. */
static bool write_pod(pf_conn *c, pf_write *pw)
{
    uv_buf_t b = uv_buf_init(pw->bytes, (unsigned)pw->n);
    if (uv_write(&pw->w, (uv_stream_t *)&c->tcp, &b, 1, pf_written) < 0) {
        free(pw);
        return false;
    }
    c->writes++;
    return true;
}

static void shut_pod(pf_conn *c)
{
    uv_shutdown_t *req = zk_xmalloc(sizeof(*req));
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, pf_shut) < 0)
        free(req);
}

static void pf_closed(uv_handle_t *h)
{
    free(h->data);
}

/* The end, from either side; the stream is ended here unless the server
 * did it. */
static void pf_end(pf_conn *c, int code, const char *reason, const char *msg)
{
    drop_early(c);
    if (c->s) {
        zk_agent_tun_end(c->s, code, reason, msg);
        c->s = NULL;
    }
    if (c->closing)
        return;
    c->closing = true;
    if (c->tcp_open)
        uv_close((uv_handle_t *)&c->tcp, pf_closed);
    else
        free(c);
}

/* ---- connecting, on a threadpool thread ---- */

static int connect_in(const char *netns, int port, char *err, size_t errlen)
{
    int self = -1, target = -1, fd = -1;
    if (*netns) {
        self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        target = open(netns, O_RDONLY | O_CLOEXEC);
        if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
            snprintf(err, errlen, "cannot enter the pod's network namespace: %s",
                     strerror(errno));
            goto out;
        }
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int saved = errno;
    if (*netns && setns(self, CLONE_NEWNET) < 0) {
        /* a worker thread stuck in a pod's namespace would do everything
         * after this there: no way on */
        zk_error("agent: cannot return to the host's network namespace: %s", strerror(errno));
        abort();
    }
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(saved));
        goto out;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        fd = -1;
        goto out;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    int pr = poll(&p, 1, CONNECT_TIMEOUT_MS);
    if (pr <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
        snprintf(err, errlen, "%s", pr == 0 ? "connection timed out" : strerror(soerr ?: errno));
        close(fd);
        fd = -1;
    }
out:
    if (self >= 0)
        close(self);
    if (target >= 0)
        close(target);
    return fd;
}

static void connect_work(uv_work_t *w)
{
    pf_conn *c = w->data;
    c->fd = connect_in(c->netns, c->port, c->err, sizeof(c->err));
}

static void pf_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    static char buf[65536];
    (void)hint;
    b->base = buf;
    b->len = sizeof(buf);
}

static void connect_done(uv_work_t *w, int status)
{
    pf_conn *c = w->data;
    if (!c->s) {   /* the server gave up meanwhile */
        if (c->fd >= 0)
            close(c->fd);
        drop_early(c);
        free(c);
        return;
    }
    if (c->fd < 0) {
        /* in the kubelet's words, which people search for */
        if (c->err[0] >= 'A' && c->err[0] <= 'Z')
            c->err[0] = (char)(c->err[0] - 'A' + 'a');
        char msg[1024];
        snprintf(msg, sizeof(msg), "error forwarding port %d to pod %s, uid %s: failed to connect "
                 "to localhost:%d inside the pod's network namespace: dial tcp4 127.0.0.1:%d: "
                 "connect: %s", c->port, c->pod, c->uid, c->port, c->port, c->err);
        pf_end(c, 500, "InternalError", msg);
        return;
    }
    uv_tcp_init(c->a->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_open = true;
    if (uv_tcp_open(&c->tcp, c->fd) < 0) {
        close(c->fd);
        pf_end(c, 500, "InternalError", "error forwarding port: the connection failed");
        return;
    }
    /* what the client sent meanwhile, then its end if it came */
    while (c->early) {
        pf_write *pw = c->early;
        c->early = pw->next;
        if (!write_pod(c, pw)) {
            pf_end(c, 0, NULL, NULL);
            return;
        }
    }
    if (c->eof_in)
        shut_pod(c);
    uv_read_start((uv_stream_t *)&c->tcp, pf_alloc, pf_on_read);
}

/* ---- relaying ---- */

static void pf_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    pf_conn *c = st->data;
    if (n > 0) {
        if (c->s) {
            zk_agent_tun_send(c->s, b->base, (size_t)n);
            if (zk_agent_tun_room(c->s) == 0) {
                c->paused = true;
                uv_read_stop(st);
            }
        }
        return;
    }
    if (n < 0)
        pf_end(c, 0, NULL, NULL);   /* the pod closed it (or it broke) */
}

static void pf_writable(void *ctx)
{
    pf_conn *c = ctx;
    if (c->paused && c->tcp_open && !c->closing) {
        c->paused = false;
        uv_read_start((uv_stream_t *)&c->tcp, pf_alloc, pf_on_read);
    }
}

static void pf_written(uv_write_t *w, int status)
{
    pf_write *pw = (pf_write *)w;
    pf_conn *c = pw->c;
    c->writes--;
    if (c->s)
        zk_agent_tun_consumed(c->s, pw->n);
    free(pw);
}

static void pf_shut(uv_shutdown_t *req, int status)
{
    free(req);
}

static void pf_data(void *ctx, const char *p, size_t n)
{
    pf_conn *c = ctx;
    if (c->closing || c->eof_in) {
        zk_agent_tun_consumed(c->s, n);
        return;
    }
    pf_write *pw = zk_xmalloc(sizeof(*pw) + n);
    pw->c = c;
    pw->n = n;
    pw->next = NULL;
    memcpy(pw->bytes, p, n);
    if (!c->tcp_open) {
        /* still connecting: kept (the stream's window bounds it) */
        *c->early_tail = pw;
        c->early_tail = &pw->next;
        return;
    }
    if (!write_pod(c, pw))
        pf_end(c, 0, NULL, NULL);
}

static void pf_eof(void *ctx)
{
    pf_conn *c = ctx;
    c->eof_in = true;
    if (c->tcp_open && !c->closing)
        shut_pod(c);
}

static void pf_gone(void *ctx)
{
    pf_conn *c = ctx;
    c->s = NULL;
    if (c->tcp_open)
        pf_end(c, 0, NULL, NULL);
    /* still connecting: connect_done frees it */
}

void zk_agent_portforward_open(zk_agent *a, zk_tstream *s, const json_t *req)
{
    const char *uid = zk_json_str(req, "uid");
    zk_apod *p = uid ? zk_map_get(a->apods, uid) : NULL;
    int64_t port = zk_json_int(req, "port", 0);
    if (!p || !p->ip[0]) {
        zk_agent_tun_end(s, 400, "BadRequest", "the pod is not running on this node");
        return;
    }
    if (port < 1 || port > 65535) {
        zk_agent_tun_end(s, 400, "BadRequest", "a port from 1 to 65535 is required");
        return;
    }
    pf_conn *c = zk_xcalloc(1, sizeof(*c));
    c->a = a;
    c->s = s;
    c->port = (int)port;
    c->fd = -1;
    c->early_tail = &c->early;
    snprintf(c->pod, sizeof(c->pod), "%s", p->name);
    snprintf(c->uid, sizeof(c->uid), "%s", p->uid);
    if (!zk_json_bool(json_object_get(p->pod, "spec"), "hostNetwork", false)) {
        char dir[4096];
        zk_agent_pod_dir(a, p->uid, dir, sizeof(dir));
        zk_str_concat(c->netns, sizeof(c->netns), dir, "/netns", NULL);
    }
    zk_agent_tun_bind(s, &(zk_tstream_ops){.data = pf_data, .closed = pf_gone,
                                            .writable = pf_writable, .eof = pf_eof}, c);
    c->w.data = c;
    uv_queue_work(a->loop, &c->w, connect_work, connect_done);
}
