/* zke agent: `kubectl exec` on a tunnel stream. The command runs in the
 * container through `runc exec`; its stdout and stderr go out as channel 1
 * and 2 messages, channel 0 feeds its stdin, and when it ends channel 3
 * carries the Status kube-apiserver clients expect (Success, or
 * NonZeroExitCode with the exit code). With a terminal (-t), `runc exec
 * --tty` wants a terminal of its own (it copies between it and the one it
 * makes in the container, and follows its size): the agent opens a
 * pseudo-terminal, starts runc on its slave through `zke ctty` (which makes
 * it the controlling terminal), and relays the master: channel 0 in,
 * channel 1 out, channel 4 resizes. (runc takes a console socket only when
 * it detaches, which would lose the exit code.) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/frame.h"

#define EXEC_ARGS_MAX 128

typedef struct exec_run {
    zk_agent *a;
    zk_tstream *s;
    uv_process_t proc;
    uv_pipe_t in, out, err;
    bool has_in;
    int open;               /* handles not yet closed */
    int eofs;               /* output pipes at their end */
    bool out_eof, err_eof;
    bool in_shut;           /* stdin is ending (a shutdown is under way) */
    bool paused;            /* output waits for room on the stream */
    bool exited;
    int64_t status;
    int term_sig;
    bool done;
    bool tty;
    int master;             /* the terminal's master, with tty */
    uv_poll_t mpoll;
    bool mpolling;
} exec_run;

static void send_channel(exec_run *r, int ch, const char *p, size_t n)
{
    if (!r->s)
        return;
    /* one channel message per tunnel frame: the server relays each frame
     * as one WebSocket message, which must begin with its channel */
    char buf[ZK_FRAME_MAX];
    while (n > 0) {
        size_t part = n > ZK_FRAME_MAX - 1 ? ZK_FRAME_MAX - 1 : n;
        buf[0] = (char)ch;
        memcpy(buf + 1, p, part);
        zk_agent_tun_send(r->s, buf, part + 1);
        p += part;
        n -= part;
    }
}

static void on_closed(uv_handle_t *h)
{
    exec_run *r = h->data;
    if (--r->open == 0)
        free(r);
}

static void close_all(exec_run *r)
{
    if (r->mpolling) {
        r->mpolling = false;
        uv_close((uv_handle_t *)&r->mpoll, on_closed);
    }
    if (r->master >= 0) {
        close(r->master);
        r->master = -1;
    }
    uv_close((uv_handle_t *)&r->proc, on_closed);
    if (r->tty)
        return;
    if (r->has_in && !uv_is_closing((uv_handle_t *)&r->in))
        uv_close((uv_handle_t *)&r->in, on_closed);
    if (!uv_is_closing((uv_handle_t *)&r->out))
        uv_close((uv_handle_t *)&r->out, on_closed);
    if (!uv_is_closing((uv_handle_t *)&r->err))
        uv_close((uv_handle_t *)&r->err, on_closed);
}

/* The end: when the process exited and both outputs are drained. */
static void maybe_finish(exec_run *r)
{
    if (r->done || !r->exited || r->eofs < 2)
        return;
    r->done = true;
    json_t *st;
    if (r->status == 0 && !r->term_sig) {
        st = json_pack("{s:{},s:s}", "metadata", "status", "Success");
    } else {
        long long code = r->term_sig ? 128 + r->term_sig : r->status;
        char msg[128], num[24];
        snprintf(msg, sizeof(msg), "command terminated with non-zero exit code: exit status %lld",
                 code);
        snprintf(num, sizeof(num), "%lld", code);
        st = json_pack("{s:{},s:s,s:s,s:s,s:{s:[{s:s,s:s}]}}", "metadata", "status", "Failure",
                       "message", msg, "reason", "NonZeroExitCode", "details", "causes", "reason",
                       "ExitCode", "message", num);
    }
    zk_autofree char *text = json_dumps(st, JSON_COMPACT);
    json_decref(st);
    send_channel(r, 3, text, strlen(text));
    if (r->s) {
        zk_agent_tun_end(r->s, 0, NULL, NULL);
        r->s = NULL;
    }
    close_all(r);
}

static void on_proc_exit(uv_process_t *p, int64_t status, int sig)
{
    exec_run *r = p->data;
    r->exited = true;
    r->status = status;
    r->term_sig = sig;
    maybe_finish(r);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    static char buf[65536];
    (void)hint;
    b->base = buf;
    b->len = sizeof(buf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b);
static void on_master(uv_poll_t *p, int status, int events);

/* Output is read only while the stream has room: a client that reads
 * slowly slows the command down instead of filling memory. */
static void pause_output(exec_run *r)
{
    if (r->paused || !r->s)
        return;
    r->paused = true;
    if (r->tty) {
        if (r->mpolling)
            uv_poll_stop(&r->mpoll);
        return;
    }
    if (!r->out_eof)
        uv_read_stop((uv_stream_t *)&r->out);
    if (!r->err_eof)
        uv_read_stop((uv_stream_t *)&r->err);
}

static void on_writable(void *ctx)
{
    exec_run *r = ctx;
    if (!r->paused || r->done)
        return;
    r->paused = false;
    if (r->tty) {
        if (r->mpolling && r->eofs < 2)
            uv_poll_start(&r->mpoll, UV_READABLE, on_master);
        return;
    }
    if (!r->out_eof)
        uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
    if (!r->err_eof)
        uv_read_start((uv_stream_t *)&r->err, on_alloc, on_read);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    exec_run *r = st->data;
    /* with a terminal there is no stderr channel: what runc itself says
     * goes out on stdout */
    bool is_out = st == (uv_stream_t *)&r->out;
    int ch = is_out || r->tty ? 1 : 2;
    if (n > 0) {
        send_channel(r, ch, b->base, (size_t)n);
        if (r->s && zk_agent_tun_room(r->s) == 0)
            pause_output(r);
        return;
    }
    if (n < 0) {
        uv_read_stop(st);
        if (is_out)
            r->out_eof = true;
        else
            r->err_eof = true;
        r->eofs++;
        maybe_finish(r);
    }
}

static void on_stdin_shut(uv_shutdown_t *req, int status)
{
    exec_run *r = req->data;
    free(req);
    if (!uv_is_closing((uv_handle_t *)&r->in))
        uv_close((uv_handle_t *)&r->in, on_closed);
}

typedef struct stdin_write {
    uv_write_t w;
    exec_run *r;
    size_t n;
    char bytes[];
} stdin_write;

static void on_written(uv_write_t *w, int status)
{
    stdin_write *sw = (stdin_write *)w;
    exec_run *r = sw->r;
    if (r->s)
        zk_agent_tun_consumed(r->s, sw->n + 1);
    free(sw);
}

/* Bytes from the client: stdin, a resize, or v5's close of stdin. All but
 * stdin to a pipe count as taken at once. */
static void on_data(void *ctx, const char *p, size_t n)
{
    exec_run *r = ctx;
    int ch = n ? (unsigned char)p[0] : -1;
    if (!r->tty && ch == 0 && r->has_in && n > 1 && !uv_is_closing((uv_handle_t *)&r->in)) {
        /* credited when the command has taken it: a command that does not
         * read its stdin stops the client's sending */
        stdin_write *sw = zk_xmalloc(sizeof(*sw) + n - 1);
        sw->r = r;
        sw->n = n - 1;
        memcpy(sw->bytes, p + 1, n - 1);
        uv_buf_t b = uv_buf_init(sw->bytes, (unsigned)(n - 1));
        if (uv_write(&sw->w, (uv_stream_t *)&r->in, &b, 1, on_written) == 0)
            return;
        free(sw);
    } else if (!r->tty && ch == 255 && n >= 2 && p[1] == 0 && r->has_in &&
               !uv_is_closing((uv_handle_t *)&r->in) && !r->in_shut) {
        /* the end of stdin after what is still being written: a close now
         * would cancel those writes and lose the input's tail */
        r->in_shut = true;
        uv_shutdown_t *req = zk_xmalloc(sizeof(*req));
        req->data = r;
        if (uv_shutdown(req, (uv_stream_t *)&r->in, on_stdin_shut) < 0) {
            free(req);
            uv_close((uv_handle_t *)&r->in, on_closed);
        }
    } else if (r->tty && ch == 0 && r->master >= 0) {
        /* keystrokes are small: a full terminal drops them, as a real one would */
        size_t off = 1;
        for (int tries = 0; off < n && tries < 100; tries++) {
            ssize_t w = write(r->master, p + off, n - off);
            if (w > 0)
                off += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                break;
        }
    } else if (r->tty && ch == 4 && n > 1 && r->master >= 0) {
        json_t *sz = zk_json_read(p + 1, n - 1, false);
        struct winsize ws = {.ws_row = (unsigned short)zk_json_int(sz, "Height", 0),
                             .ws_col = (unsigned short)zk_json_int(sz, "Width", 0)};
        json_decref(sz);
        if (ws.ws_row && ws.ws_col)
            ioctl(r->master, TIOCSWINSZ, &ws);
    }
    if (r->s)
        zk_agent_tun_consumed(r->s, n);
}

/* The client left: stop the command (runc passes the signal on). */
static void on_gone(void *ctx)
{
    exec_run *r = ctx;
    r->s = NULL;
    on_writable(r);   /* output is read (and dropped) to the end */
    if (!r->exited)
        uv_process_kill(&r->proc, SIGTERM);
}

/* The terminal's output; EIO once nothing holds its slave open. */
static void on_master(uv_poll_t *p, int status, int events)
{
    exec_run *r = p->data;
    char buf[32768];
    for (;;) {
        ssize_t n = read(r->master, buf, sizeof(buf));
        if (n > 0) {
            send_channel(r, 1, buf, (size_t)n);
            if (r->s && zk_agent_tun_room(r->s) == 0) {
                pause_output(r);
                return;
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        uv_poll_stop(p);
        r->eofs = 2;
        maybe_finish(r);
        return;
    }
}

int zk_agent_ctty_main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zke ctty PROGRAM [ARGS...]\n"
                        "Runs PROGRAM in a new session whose controlling terminal is stdin "
                        "(for the node agent's exec -t).\n");
        return 2;
    }
    setsid();
    if (ioctl(0, TIOCSCTTY, 0) < 0) {
        fprintf(stderr, "zke ctty: stdin is no terminal: %s\n", strerror(errno));
        return 126;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "zke ctty: %s: %s\n", argv[1], strerror(errno));
    return 127;
}

/* A pseudo-terminal: the master in *master, the slave's fd returned. */
static int open_pty(int *master)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return -1;
    char name[128];
    if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0) {
        close(m);
        return -1;
    }
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        close(m);
        return -1;
    }
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    ioctl(m, TIOCSWINSZ, &ws);
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
    *master = m;
    return s;
}

void zk_agent_exec_open(zk_agent *a, zk_tstream *s, const json_t *req)
{
    zk_apod *p = NULL;
    zk_actr *c = zk_agent_find_ctr(a, req, &p);
    if (!c || c->cur.state != ZK_CTR_RUNNING) {
        zk_agent_tun_end(s, 400, "BadRequest", "the container is not running on this node");
        return;
    }
    const json_t *cmd = json_object_get(req, "command");
    size_t n = json_array_size(cmd);
    if (!n || n > EXEC_ARGS_MAX - 8) {
        zk_agent_tun_end(s, 400, "BadRequest", "a command of 1 to 120 words is required");
        return;
    }
    const char *argv[EXEC_ARGS_MAX];
    size_t k = 0;
    bool tty = json_is_true(json_object_get(req, "tty"));
    if (tty) {
        argv[k++] = a->exe;
        argv[k++] = "ctty";
    }
    argv[k++] = a->o.runtime;
    argv[k++] = "--root";
    argv[k++] = a->runc_root;
    argv[k++] = "exec";
    if (tty)
        argv[k++] = "--tty";
    argv[k++] = c->cur.id;
    for (size_t i = 0; i < n; i++)
        argv[k++] = json_string_value(json_array_get(cmd, i)) ?: "";
    argv[k] = NULL;
    exec_run *r = zk_xcalloc(1, sizeof(*r));
    r->a = a;
    r->s = s;
    r->master = -1;
    r->tty = tty;
    if (tty) {
        int slave = open_pty(&r->master);
        if (slave < 0) {
            zk_agent_tun_end(s, 500, "InternalError", "could not open a pseudo-terminal");
            free(r);
            return;
        }
        uv_stdio_container_t tio[3] = {{.flags = UV_INHERIT_FD, .data.fd = slave},
                                       {.flags = UV_INHERIT_FD, .data.fd = slave},
                                       {.flags = UV_INHERIT_FD, .data.fd = slave}};
        uv_process_options_t to = {.file = a->exe, .args = (char **)argv,
                                   .exit_cb = on_proc_exit, .stdio_count = 3, .stdio = tio};
        r->proc.data = r;
        r->open = 1;
        int rc = uv_spawn(a->loop, &r->proc, &to);
        close(slave);
        if (rc < 0) {
            zk_agent_tun_end(s, 500, "InternalError", uv_strerror(rc));
            r->s = NULL;
            r->exited = r->done = true;
            close_all(r);
            return;
        }
        uv_poll_init(a->loop, &r->mpoll, r->master);
        r->mpoll.data = r;
        r->mpolling = true;
        r->open++;
        r->eofs = 0;
        zk_agent_tun_bind(s, &(zk_tstream_ops){.data = on_data, .closed = on_gone, .writable = on_writable}, r);
        uv_poll_start(&r->mpoll, UV_READABLE, on_master);
        return;
    }
    r->has_in = json_is_true(json_object_get(req, "stdin"));
    uv_pipe_init(a->loop, &r->out, 0);
    uv_pipe_init(a->loop, &r->err, 0);
    r->out.data = r->err.data = r->proc.data = r;
    r->open = 3;
    if (r->has_in) {
        uv_pipe_init(a->loop, &r->in, 0);
        r->in.data = r;
        r->open++;
    }
    uv_stdio_container_t io[3] = {
        r->has_in ? (uv_stdio_container_t){.flags = UV_CREATE_PIPE | UV_READABLE_PIPE,
                                           .data.stream = (uv_stream_t *)&r->in}
                  : (uv_stdio_container_t){.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&r->out},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&r->err},
    };
    uv_process_options_t o = {.file = a->o.runtime, .args = (char **)argv, .exit_cb = on_proc_exit,
                              .stdio_count = 3, .stdio = io};
    int rc = uv_spawn(a->loop, &r->proc, &o);
    if (rc < 0) {
        zk_agent_tun_end(s, 500, "InternalError", uv_strerror(rc));
        r->s = NULL;
        r->exited = true;
        r->done = true;
        close_all(r);
        return;
    }
    zk_agent_tun_bind(s, &(zk_tstream_ops){.data = on_data, .closed = on_gone, .writable = on_writable}, r);
    uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
    uv_read_start((uv_stream_t *)&r->err, on_alloc, on_read);
}
