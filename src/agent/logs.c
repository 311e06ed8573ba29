/* zke agent: a container's log for `kubectl logs`, served on a tunnel
 * stream. The CRI files of the run (and its rotated parts, oldest first)
 * are read line by line: partial lines are joined, and tailLines,
 * sinceSeconds/sinceTime, timestamps and limitBytes apply as the kubelet
 * applies them. With follow, the reader stays at the end of the file,
 * follows a rotation, and ends when the run has ended and everything is
 * sent. It pauses while the tunnel has a backlog, so a fast writer never
 * grows the agent's memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/crilog.h"
#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "net/frame.h"

#define FOLLOW_MS 200
#define MAX_ROTATED 16

typedef struct log_reader {
    zk_agent *a;
    zk_tstream *s;
    char path[4096];      /* the run's log */
    char bundle[4096];    /* the run's bundle: exit.json ends a follow */
    char uid[64], ctr[64];
    int attempt;
    bool follow, timestamps;
    int64_t since;        /* wall s, 0: all */
    int64_t skip;         /* complete lines still to skip (tailLines) */
    int64_t limit;        /* bytes left to send, -1: no limit */
    int files[MAX_ROTATED + 1];
    int nfiles, cur;      /* rotated parts first, then the live file */
    ino_t live_ino;
    char *carry;          /* a line not complete yet */
    size_t carry_len;
    bool in_line;         /* inside a logical line (after a "P" piece) */
    bool skipping_line;
    uv_timer_t timer;
    bool done;
    bool attach;          /* kubectl attach: channel messages, a Status at the end */
    int stdin_fd;         /* attach -i: the container's stdin FIFO, or -1 */
    int ctl_fd;           /* the shim's control FIFO (resizes, stdinOnce), or -1 */
    bool stdin_once;      /* the container's stdin ends with this attach */
    /* attach -i: input the FIFO had no room for yet. The server gets credit
     * for stdin bytes only once the FIFO took them, so a container that
     * reads slowly (or not at all) holds the client back instead of losing
     * its input; the tunnel's window bounds what waits here. */
    zk_buf pending;
    uv_poll_t in_poll;    /* the FIFO is writable again */
    bool in_poll_open, in_polling;
    bool stdin_end;       /* the client ended its input: close once written */
    int handles;          /* open uv handles; r goes with the last */
} log_reader;

static void reader_closed(uv_handle_t *h)
{
    log_reader *r = h->data;
    if (--r->handles > 0)
        return;
    zk_buf_free(&r->pending);
    for (int i = 0; i < r->nfiles; i++)
        if (r->files[i] >= 0)
            close(r->files[i]);
    if (r->stdin_fd >= 0)
        close(r->stdin_fd);
    if (r->ctl_fd >= 0)
        close(r->ctl_fd);
    free(r->carry);
    free(r);
}

/* stdinOnce: the first attach is over, and with it the container's
 * input. */
static void end_stdin(log_reader *r)
{
    if (r->in_poll_open) {
        /* closed with its fd, never after: a later close would take the
         * number's next owner out of the loop's epoll set */
        r->in_poll_open = r->in_polling = false;
        uv_close((uv_handle_t *)&r->in_poll, reader_closed);
    }
    if (r->stdin_fd >= 0) {
        close(r->stdin_fd);
        r->stdin_fd = -1;
    }
    if (r->pending.len && r->s)
        zk_agent_tun_consumed(r->s, r->pending.len);   /* dropped with the input */
    zk_buf_reset(&r->pending);
    if (r->stdin_once && r->ctl_fd >= 0) {
        r->stdin_once = false;
        static const char cmd[] = "close-stdin\n";
        if (write(r->ctl_fd, cmd, sizeof(cmd) - 1) < 0) {
            /* the shim is gone: so is the container's input */
        }
    }
}

static void stdin_flush(log_reader *r);

static void reader_free(log_reader *r)
{
    stdin_flush(r);   /* what fits still goes in */
    end_stdin(r);
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, reader_closed);
}

static void finish(log_reader *r, int code, const char *reason, const char *msg)
{
    if (r->done)
        return;
    r->done = true;
    if (r->s && r->attach && !code) {
        /* attach ends with the container: Success on the error channel */
        static const char ok[] = "\003{\"metadata\":{},\"status\":\"Success\"}";
        zk_agent_tun_send(r->s, ok, sizeof(ok) - 1);
    }
    if (r->s)
        zk_agent_tun_end(r->s, code, reason, msg);
    r->s = NULL;
    reader_free(r);
}

static void on_server_closed(void *ctx)
{
    log_reader *r = ctx;
    r->s = NULL;
    if (!r->done) {
        r->done = true;
        reader_free(r);
    }
}

/* Emit one CRI line's share of the output. */
static void emit(log_reader *r, const char *line, size_t len)
{
    zk_crilog_line l;
    if (zk_crilog_parse(line, len, &l) < 0)
        return;
    bool start = !r->in_line;
    r->in_line = l.partial;
    if (start) {
        r->skipping_line = false;
        if (r->skip > 0) {
            r->skip--;
            r->skipping_line = true;
        } else if (r->since) {
            char t[40];
            snprintf(t, sizeof(t), "%.*s", (int)(l.time_len < 39 ? l.time_len : 39), l.time);
            if (zk_time_parse_rfc3339(t) < r->since)
                r->skipping_line = true;
        }
    }
    if (r->skipping_line || r->limit == 0)
        return;
    char out[ZK_CRILOG_MAX_LINE + 128];
    size_t n = 0;
    if (r->attach)
        out[n++] = l.err_stream ? 2 : 1;   /* the channel */
    if (start && r->timestamps) {
        memcpy(out, l.time, l.time_len);
        n = l.time_len;
        out[n++] = ' ';
    }
    size_t m = l.msg_len < ZK_CRILOG_MAX_LINE ? l.msg_len : ZK_CRILOG_MAX_LINE;
    memcpy(out + n, l.msg, m);
    n += m;
    if (!l.partial)
        out[n++] = '\n';
    if (r->limit > 0 && (int64_t)n > r->limit)
        n = (size_t)r->limit;
    if (r->limit > 0)
        r->limit -= (int64_t)n;
    zk_agent_tun_send(r->s, out, n);
}

/* Read what file i has now; complete lines are emitted, the rest kept. */
static void drain(log_reader *r, int fd)
{
    char buf[65536];
    for (;;) {
        if (r->done || r->limit == 0 || zk_agent_tun_room(r->s) == 0)
            return;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            return;
        size_t start = 0;
        for (size_t i = 0; i < (size_t)n; i++) {
            if (buf[i] != '\n')
                continue;
            if (r->carry_len) {
                size_t piece = i - start;
                if (r->carry_len + piece <= ZK_CRILOG_MAX_LINE + 256) {
                    r->carry = zk_xrealloc(r->carry, r->carry_len + piece);
                    memcpy(r->carry + r->carry_len, buf + start, piece);
                    r->carry_len += piece;
                    emit(r, r->carry, r->carry_len);
                }
                r->carry_len = 0;
            } else {
                emit(r, buf + start, i - start);
            }
            start = i + 1;
        }
        size_t rest = (size_t)n - start;
        if (rest && r->carry_len + rest <= ZK_CRILOG_MAX_LINE + 256) {
            r->carry = zk_xrealloc(r->carry, r->carry_len + rest);
            memcpy(r->carry + r->carry_len, buf + start, rest);
            r->carry_len += rest;
        }
    }
}

static bool run_ended(log_reader *r)
{
    zk_autofree char *ep = zk_xasprintf("%s/exit.json", r->bundle);
    struct stat st;
    if (stat(ep, &st) == 0)
        return true;
    /* the bundle went away (the pod was torn down) */
    return stat(r->bundle, &st) < 0;
}

static void pump(log_reader *r)
{
    while (!r->done && r->cur < r->nfiles) {
        drain(r, r->files[r->cur]);
        if (r->done || zk_agent_tun_room(r->s) == 0)
            return;
        if (r->limit == 0) {
            finish(r, 0, NULL, NULL);
            return;
        }
        if (r->cur < r->nfiles - 1) {
            r->cur++;   /* the next (newer) part */
            continue;
        }
        /* at the end of the live file */
        if (!r->follow) {
            finish(r, 0, NULL, NULL);
            return;
        }
        struct stat st;
        if (stat(r->path, &st) == 0 && st.st_ino != r->live_ino && r->nfiles <= MAX_ROTATED) {
            /* rotated: what was live is a part now; the new file is live */
            int fd = open(r->path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                drain(r, r->files[r->cur]);
                r->files[r->nfiles++] = fd;
                r->live_ino = st.st_ino;
                r->cur++;
                continue;
            }
        }
        if (run_ended(r)) {
            drain(r, r->files[r->cur]);
            finish(r, 0, NULL, NULL);
        }
        return;
    }
}

static void on_timer(uv_timer_t *t)
{
    log_reader *r = t->data;
    if (r->pending.len)
        stdin_flush(r);   /* also where the FIFO cannot be polled */
    pump(r);
}

/* Count only full ("F") lines, reading each line's tag. */
static int64_t count_full_lines(log_reader *r)
{
    int64_t n = 0;
    for (int i = 0; i < r->nfiles; i++) {
        int fd = dup(r->files[i]);
        if (fd < 0)
            continue;
        lseek(fd, 0, SEEK_SET);
        FILE *f = fdopen(fd, "re");
        if (!f) {
            close(fd);
            continue;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
            zk_crilog_line l;
            if (zk_crilog_parse(line, (size_t)len - (line[len - 1] == '\n'), &l) == 0 &&
                !l.partial)
                n++;
        }
        free(line);
        fclose(f);
        lseek(r->files[i], 0, SEEK_SET);   /* the dup shared the offset */
    }
    return n;
}

static void on_stdin_writable(uv_poll_t *h, int status, int events)
{
    stdin_flush(h->data);
}

/* Write what waits for the container's stdin, credit the server for what
 * the FIFO took, and wait for room for the rest. */
static void stdin_flush(log_reader *r)
{
    size_t off = 0;
    while (off < r->pending.len && r->stdin_fd >= 0) {
        ssize_t w = write(r->stdin_fd, r->pending.data + off, r->pending.len - off);
        if (w > 0)
            off += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else if (w < 0 && errno == EAGAIN)
            break;
        else
            off = r->pending.len;   /* nobody reads it any more (EPIPE): nor will */
    }
    if (off) {
        memmove(r->pending.data, r->pending.data + off, r->pending.len - off);
        r->pending.len -= off;
        if (r->s)
            zk_agent_tun_consumed(r->s, off);
    }
    bool wait = r->pending.len && r->in_poll_open;
    if (wait != r->in_polling) {
        r->in_polling = wait;
        if (wait)
            uv_poll_start(&r->in_poll, UV_WRITABLE, on_stdin_writable);
        else
            uv_poll_stop(&r->in_poll);
    }
    if (!r->pending.len && r->stdin_end)
        end_stdin(r);
}

/* attach -i: bytes for the container's stdin (channel 0), written to its
 * FIFO as it takes them; v5's close of channel 0 closes it once what came
 * before is in. */
static void attach_data(void *ctx, const char *p, size_t n)
{
    log_reader *r = ctx;
    int ch = n ? (unsigned char)p[0] : -1;
    bool input = ch == 0 && n > 1 && r->stdin_fd >= 0 && !r->stdin_end;
    if (r->s)
        zk_agent_tun_consumed(r->s, input ? 1 : n);   /* stdin bytes: once written */
    if (ch == 255 && n >= 2 && p[1] == 0) {
        r->stdin_end = true;
        stdin_flush(r);
        return;
    }
    if (ch == 4 && n > 1 && r->ctl_fd >= 0) {
        json_t *sz = zk_json_read(p + 1, n - 1, false);
        char line[64];
        int len = snprintf(line, sizeof(line), "resize %lld %lld\n",
                           (long long)zk_json_int(sz, "Width", 0),
                           (long long)zk_json_int(sz, "Height", 0));
        json_decref(sz);
        if (write(r->ctl_fd, line, (size_t)len) < 0) {
            /* the shim is gone or its FIFO full: the size waits for the next */
        }
        return;
    }
    if (!input)
        return;
    if (zk_buf_append(&r->pending, p + 1, n - 1) < 0) {
        /* past the window and its slack: the server broke flow control */
        zk_warn("agent: attach to %s: stdin beyond the stream's window, dropped", r->ctr);
        if (r->s)
            zk_agent_tun_consumed(r->s, n - 1);
        return;
    }
    stdin_flush(r);
}

void zk_agent_attach_open(zk_agent *a, zk_tstream *s, const json_t *req)
{
    zk_apod *p = NULL;
    zk_actr *c = zk_agent_find_ctr(a, req, &p);
    if (!c || c->cur.state != ZK_CTR_RUNNING) {
        zk_agent_tun_end(s, 400, "BadRequest", "the container is not running on this node");
        return;
    }
    char bundle[4096];
    snprintf(bundle, sizeof(bundle), "%s/pods/%s/c/%s-%d", a->dir, p->uid, c->name,
             c->cur.attempt);
    char ctlpath[4200];
    snprintf(ctlpath, sizeof(ctlpath), "%s/control", bundle);
    int rs = open(ctlpath, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (json_is_true(json_object_get(req, "tty"))) {
        if (rs < 0) {
            zk_agent_tun_end(s, 400, "BadRequest", "the container has no terminal of its own "
                             "(it started before this agent held terminals): restart it");
            return;
        }
    }
    int in = -1;
    if (json_is_true(json_object_get(req, "stdin"))) {
        char fifo[4200];
        snprintf(fifo, sizeof(fifo), "%s/stdin", bundle);
        in = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (in < 0) {
            char msg[300];
            snprintf(msg, sizeof(msg), "container %s was not started with stdin: true, so there "
                     "is no stdin to attach to", c->name);
            zk_agent_tun_end(s, 400, "BadRequest", msg);
            if (rs >= 0)
                close(rs);
            return;
        }
    }
    log_reader *r = zk_xcalloc(1, sizeof(*r));
    r->a = a;
    r->s = s;
    r->attach = true;
    r->stdin_fd = in;
    r->ctl_fd = rs;
    r->stdin_once = in >= 0 && zk_json_bool(zk_agent_ctr_spec(p, c), "stdinOnce", false);
    zk_buf_init(&r->pending, 2 * ZK_TUN_WINDOW);
    if (in >= 0 && uv_poll_init(a->loop, &r->in_poll, in) == 0) {
        r->in_poll.data = r;
        r->in_poll_open = true;
        r->handles++;
    }
    r->follow = true;
    r->limit = -1;
    r->attempt = c->cur.attempt;
    snprintf(r->uid, sizeof(r->uid), "%s", p->uid);
    snprintf(r->ctr, sizeof(r->ctr), "%s", c->name);
    snprintf(r->path, sizeof(r->path), "%s/%s_%s_%s/%s/%d.log", a->logs_dir, p->ns, p->name,
             p->uid, c->name, c->cur.attempt);
    snprintf(r->bundle, sizeof(r->bundle), "%s", bundle);
    uv_timer_init(a->loop, &r->timer);
    r->handles++;
    r->timer.data = r;
    zk_agent_tun_bind(s, &(zk_tstream_ops){.data = attach_data, .closed = on_server_closed}, r);
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        finish(r, 404, "NotFound", "the container's log file is gone");
        return;
    }
    /* from now on: what the container writes after the attach */
    lseek(fd, 0, SEEK_END);
    struct stat st;
    fstat(fd, &st);
    r->live_ino = st.st_ino;
    r->files[r->nfiles++] = fd;
    uv_timer_start(&r->timer, on_timer, FOLLOW_MS, FOLLOW_MS);
}

void zk_agent_logs_open(zk_agent *a, zk_tstream *s, const json_t *req)
{
    zk_apod *p = NULL;
    zk_actr *c = zk_agent_find_ctr(a, req, &p);
    if (!c || c->cur.state == ZK_CTR_NONE) {
        zk_agent_tun_end(s, 400, "BadRequest", "the container has not run on this node");
        return;
    }
    bool previous = json_is_true(json_object_get(req, "previous"));
    int attempt = previous ? c->cur.attempt - 1 : c->cur.attempt;
    if (attempt < 0) {
        zk_agent_tun_end(s, 400, "BadRequest", "previous terminated container not found");
        return;
    }
    log_reader *r = zk_xcalloc(1, sizeof(*r));
    r->stdin_fd = r->ctl_fd = -1;
    r->a = a;
    r->s = s;
    r->attempt = attempt;
    const char *ctr = c->name;
    snprintf(r->uid, sizeof(r->uid), "%s", p->uid);
    snprintf(r->ctr, sizeof(r->ctr), "%s", ctr);
    snprintf(r->path, sizeof(r->path), "%s/%s_%s_%s/%s/%d.log", a->logs_dir, p->ns, p->name,
             p->uid, ctr, attempt);
    snprintf(r->bundle, sizeof(r->bundle), "%s/pods/%s/c/%s-%d", a->dir, p->uid, ctr, attempt);
    r->follow = !previous && json_is_true(json_object_get(req, "follow"));
    r->timestamps = json_is_true(json_object_get(req, "timestamps"));
    r->limit = zk_json_int(req, "limitBytes", -1);
    int64_t since_s = zk_json_int(req, "sinceSeconds", 0);
    if (since_s > 0)
        r->since = zk_wall_s() - since_s;
    else if (zk_json_str(req, "sinceTime"))
        r->since = zk_time_parse_rfc3339(zk_json_str(req, "sinceTime"));
    uv_timer_init(a->loop, &r->timer);
    r->handles++;
    r->timer.data = r;
    zk_agent_tun_bind(s, &(zk_tstream_ops){.closed = on_server_closed}, r);
    /* the parts, oldest first: N.log.K ... N.log.1, then N.log */
    for (int k = MAX_ROTATED; k >= 1; k--) {
        char part[4200];
        snprintf(part, sizeof(part), "%s.%d", r->path, k);
        int fd = open(part, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            r->files[r->nfiles++] = fd;
    }
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        finish(r, 404, "NotFound", "the container's log file is gone");
        return;
    }
    struct stat st;
    fstat(fd, &st);
    r->live_ino = st.st_ino;
    r->files[r->nfiles++] = fd;
    json_t *tail = json_object_get(req, "tailLines");
    if (json_is_integer(tail)) {
        int64_t total = count_full_lines(r);
        r->skip = total > json_integer_value(tail) ? total - json_integer_value(tail) : 0;
    }
    uv_timer_start(&r->timer, on_timer, 0, FOLLOW_MS);
}
