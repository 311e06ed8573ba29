/* zke shim: the parent of one container, as containerd's shim or conmon
 * is. The agent starts `zke shim`; it detaches (a new session, its own
 * parent exits), so a restart or a kill -9 of the agent leaves it, the
 * container and its log alone.
 *
 * It is a child subreaper: it runs `runc create` with the container's
 * stdout and stderr on its pipes, `runc start`, and then the container's
 * init process is its child. It writes every line to the container's CRI
 * log. BUNDLE/started.json says when the container started; when it ends,
 * BUNDLE/exit.json (written atomically, last) holds its exit code and
 * whether the kernel's OOM killer ended it. That is how the agent, now or
 * after a restart, learns what happened. The first process exits 0 once
 * the container runs, 1 when it could not be started (exit.json says why). */
#include "agent/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/crilog.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: zke shim --id ID --bundle DIR --log FILE [--runtime runc] "
               "[--runtime-root DIR] [--log-max-bytes N] [--log-keep K] [--stdin] [--tty]\n"
               "Runs one container and keeps its log; started by the node agent.\n");
}

typedef struct shim {
    const char *id, *bundle, *runtime, *root;
    bool stdin_fifo;   /* the container's stdin is BUNDLE/stdin */
    bool tty;          /* a terminal: the shim holds its master */
} shim;

/* Write name in the bundle atomically (temp file, fsync, rename). */
static int write_atomic(const char *bundle, const char *name, const json_t *doc)
{
    zk_autofree char *tmp = zk_xasprintf("%s/.%s.tmp", bundle, name);
    zk_autofree char *path = zk_xasprintf("%s/%s", bundle, name);
    zk_autofree char *text = json_dumps(doc, JSON_COMPACT);
    if (!text)
        return -1;
    size_t n = strlen(text);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    bool ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void now_text(char *out, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    zk_time_rfc3339(ts.tv_sec, out, n);
}

/* The last line runc logged (its --log file, JSON lines) as a message. */
static void runc_error(const char *bundle, char *out, size_t n)
{
    snprintf(out, n, "the OCI runtime failed without saying why");
    zk_autofree char *path = zk_xasprintf("%s/runc.log", bundle);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[4096], last[4096] = "";
    while (fgets(line, sizeof(line), f)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *lvl = zk_json_str(j, "level"), *msg = zk_json_str(j, "msg");
        if (msg && lvl && (!strcmp(lvl, "error") || !strcmp(lvl, "fatal")))
            snprintf(last, sizeof(last), "%s", msg);
        json_decref(j);
    }
    fclose(f);
    if (last[0])
        snprintf(out, n, "%s", last);
}

/* Run the runtime with args; its stdin/stdout/stderr are in_fd/out_fd/err_fd
 * (or /dev/null). Returns its exit status, -1 when it could not run. */
static int run_runtime(const shim *s, const char *const *args, int in_fd, int out_fd,
                       int err_fd)
{
    const char *argv[16];
    int n = 0;
    argv[n++] = s->runtime;
    if (s->root) {
        argv[n++] = "--root";
        argv[n++] = s->root;
    }
    zk_autofree char *logp = zk_xasprintf("%s/runc.log", s->bundle);
    argv[n++] = "--log";
    argv[n++] = logp;
    argv[n++] = "--log-format";
    argv[n++] = "json";
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(in_fd >= 0 ? in_fd : devnull, 0);
        dup2(out_fd >= 0 ? out_fd : devnull, 1);
        dup2(err_fd >= 0 ? err_fd : devnull, 2);
        execvp(s->runtime, (char *const *)argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Whether the OOM killer acted in the container's memory cgroup (v1
 * memory.oom_control or v2 memory.events: "oom_kill N"). */
static bool oom_killed(const char *bundle)
{
    zk_autofree char *cfgp = zk_xasprintf("%s/config.json", bundle);
    json_t *cfg = json_load_file(cfgp, 0, NULL);
    const char *cg = zk_json_path_str(cfg, "linux", "cgroupsPath", NULL);
    bool oom = false;
    if (cg && cg[0] == '/' && !strstr(cg, "..")) {
        const char *files[] = {"/sys/fs/cgroup/memory%s/memory.oom_control",
                               "/sys/fs/cgroup%s/memory.events",
                               "/sys/fs/cgroup/unified%s/memory.events"};
        for (size_t i = 0; i < ZK_ARRAY_LEN(files) && !oom; i++) {
            char path[4096];
            snprintf(path, sizeof(path), files[i], cg);
            FILE *f = fopen(path, "re");
            if (!f)
                continue;
            char line[256];
            long long v;
            while (fgets(line, sizeof(line), f))
                if (sscanf(line, "oom_kill %lld", &v) == 1 && v > 0)
                    oom = true;
            fclose(f);
        }
    }
    json_decref(cfg);
    return oom;
}

static void write_exit(const shim *s, int code, int sig, bool oom, const char *reason,
                       const char *message)
{
    char now[40];
    now_text(now, sizeof(now));
    json_t *doc = json_pack("{s:i,s:i,s:s,s:b}", "exitCode", code, "signal", sig, "finishedAt",
                            now, "oomKilled", oom);
    if (reason)
        zk_json_set_str(doc, "reason", reason);
    if (message)
        zk_json_set_str(doc, "message", message);
    if (write_atomic(s->bundle, "exit.json", doc) < 0)
        fprintf(stderr, "zke shim: write exit.json: %s\n", strerror(errno));
    json_decref(doc);
}

/* Tell the first process how the start went, once. */
static void report(int *fd, char c)
{
    if (*fd >= 0) {
        if (write(*fd, &c, 1) < 0) {
            /* the first process is gone; nothing to tell */
        }
        close(*fd);
        *fd = -1;
    }
}

static int read_pid(const char *bundle)
{
    zk_autofree char *path = zk_xasprintf("%s/init.pid", bundle);
    FILE *f = fopen(path, "re");
    int pid = -1;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = -1;
        fclose(f);
    }
    return pid;
}

/* runc create or start failed: remove what it left, record why, tell the
 * first process. */
static int start_failed(const shim *s, int *report_fd)
{
    char msg[1024];
    runc_error(s->bundle, msg, sizeof(msg));
    const char *del[] = {"delete", "--force", s->id, NULL};
    run_runtime(s, del, -1, -1, -1);
    write_exit(s, 128, 0, false, "StartError", msg);
    report(report_fd, 'F');
    return 1;
}

/* ---- a terminal ----
 *
 * For a container with tty: true, runc makes the pseudo-terminal and hands
 * its master over a unix socket (--console-socket). The shim then holds it:
 * what the container writes goes to the log as stdout (partial lines at
 * once: a prompt has no newline), BUNDLE/stdin feeds its input and
 * BUNDLE/control takes commands (below). */

static int console_listen(char *dir, size_t dn, char *path, size_t pn)
{
    snprintf(dir, dn, "/tmp/zke-console-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, pn, "%s/s", dir);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
        if (fd >= 0)
            close(fd);
        rmdir(dir);
        return -1;
    }
    return fd;
}

/* The master runc sent on the console socket, or -1. */
static int console_receive(int lfd)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    if (poll(&p, 1, 10000) != 1)
        return -1;
    int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return -1;
    char data[256];
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof(ctl.buf)};
    int master = -1;
    if (recvmsg(c, &m, MSG_CMSG_CLOEXEC) > 0) {
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
            h->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&master, CMSG_DATA(h), sizeof(int));
    }
    close(c);
    return master;
}

/* Commands from BUNDLE/control, a line each: "resize WIDTH HEIGHT" (a
 * terminal's size; the last one counts) and "close-stdin" (stdinOnce: the
 * first attach is over, so the shim lets go of stdin and the container
 * reads its end once the attach's own writer is closed; on a terminal the
 * end is an EOT). *in_fd is the shim's stdin FIFO, closed by the latter. */
static void on_control(int cfd, int master, int *in_fd)
{
    char buf[512];
    ssize_t n = read(cfd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return;
    buf[n] = '\0';
    unsigned w = 0, h = 0;
    for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        unsigned a, b;
        if (sscanf(line, "resize %u %u", &a, &b) == 2 && a && b && a < 10000 && b < 10000) {
            w = a;
            h = b;
        } else if (!strncmp(line, "close-stdin", 11) && *in_fd >= 0) {
            if (master >= 0 && write(master, "\004", 1) < 0) {
                /* the terminal is gone: nothing to end */
            }
            close(*in_fd);
            *in_fd = -1;
        }
    }
    if (w && h && master >= 0) {
        struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
        ioctl(master, TIOCSWINSZ, &ws);
    }
}

/* The detached shim: start the container, log it, wait for it. */
static int run_shim(const shim *s, zk_crilog *l, int report_fd)
{
    zk_err err = {0};
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        write_exit(s, 128, 0, false, "StartError", strerror(errno));
        report(&report_fd, 'F');
        return 1;
    }
    zk_autofree char *pidfile = zk_xasprintf("%s/init.pid", s->bundle);
    char condir[64] = "", conpath[96] = "";
    int lfd = -1;
    if (s->tty && (lfd = console_listen(condir, sizeof(condir), conpath, sizeof(conpath))) < 0) {
        write_exit(s, 128, 0, false, "StartError", "cannot make the console socket");
        report(&report_fd, 'F');
        return 1;
    }
    const char *create[] = {"create", "--bundle", s->bundle, "--pid-file", pidfile,
                            s->tty ? "--console-socket" : s->id, s->tty ? conpath : NULL,
                            s->id, NULL};
    /* stdin: a FIFO the shim holds open for writing too (in_fd), so the
     * container never reads an end of it until "close-stdin"; without a
     * terminal the container reads it through an fd of its own (rd) */
    int in_fd = -1, rd = -1, rfd = -1;
    if (s->stdin_fifo || s->tty) {
        zk_autofree char *fifo = zk_xasprintf("%s/stdin", s->bundle);
        zk_autofree char *ctl = zk_xasprintf("%s/control", s->bundle);
        unlink(fifo);
        unlink(ctl);
        bool ok = mkfifo(ctl, 0600) == 0 &&
                  (rfd = open(ctl, O_RDWR | O_NONBLOCK | O_CLOEXEC)) >= 0;
        if (ok && s->stdin_fifo)
            ok = mkfifo(fifo, 0600) == 0 && (in_fd = open(fifo, O_RDWR | O_CLOEXEC)) >= 0 &&
                 (s->tty || (rd = open(fifo, O_RDONLY | O_CLOEXEC)) >= 0);
        if (!ok) {
            write_exit(s, 128, 0, false, "StartError", strerror(errno));
            report(&report_fd, 'F');
            return 1;
        }
    }
    int rc = run_runtime(s, create, rd, outp[1], errp[1]);
    close(outp[1]);
    close(errp[1]);
    if (rd >= 0)
        close(rd);   /* the container has its own now */
    int master = -1;
    if (s->tty) {
        if (rc == 0)
            master = console_receive(lfd);
        close(lfd);
        unlink(conpath);
        rmdir(condir);
        if (rc == 0 && master < 0)
            rc = -1;
        /* the pipes stay quiet: the terminal is the output */
        close(outp[0]);
        close(errp[0]);
        outp[0] = errp[0] = -1;
    }
    if (rc != 0)
        return start_failed(s, &report_fd);
    int cpid = read_pid(s->bundle);
    const char *start[] = {"start", s->id, NULL};
    if (cpid <= 0 || run_runtime(s, start, -1, -1, -1) != 0)
        return start_failed(s, &report_fd);
    char now[40];
    now_text(now, sizeof(now));
    json_t *started = json_pack("{s:i,s:s,s:i}", "pid", cpid, "startedAt", now, "shimPid",
                                (int)getpid());
    write_atomic(s->bundle, "started.json", started);
    json_decref(started);
    report(&report_fd, 'S');

    /* output: the two pipes, or the terminal's master; then stdin and
     * resizes for a terminal */
    struct pollfd fds[4] = {{.fd = s->tty ? master : outp[0], .events = POLLIN},
                            {.fd = errp[0], .events = POLLIN},
                            {.fd = s->tty ? in_fd : -1, .events = POLLIN},
                            {.fd = rfd, .events = POLLIN}};
    int open_fds = s->tty ? 1 : 2, status = 0;
    bool exited = false;
    int64_t exited_at = 0;
    char buf[65536];
    for (;;) {
        /* reap: the container's init and whatever it left behind */
        int st;
        pid_t p;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
            if (p == cpid) {
                exited = true;
                status = st;
                exited_at = zk_mono_ms();
            }
        }
        if (open_fds == 0 && exited)
            break;
        /* a process that escaped the container's end and keeps its pipes
         * open does not keep the exit from being reported */
        if (exited && zk_mono_ms() - exited_at > 2000)
            break;
        if (open_fds == 0) {
            /* the pipes closed before the exit: wait for it */
            p = waitpid(cpid, &st, 0);
            if (p == cpid) {
                exited = true;
                status = st;
            } else if (p < 0 && errno == ECHILD) {
                exited = true;   /* not ours after all: nothing to wait for */
            }
            continue;
        }
        int r = poll(fds, 4, 200);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && fds[2].fd >= 0 && (fds[2].revents & POLLIN)) {
            ssize_t n = read(fds[2].fd, buf, sizeof(buf));
            /* typed input is small: a terminal that does not take it drops it */
            for (ssize_t off = 0, w; n > 0 && off < n; off += w)
                if ((w = write(master, buf + off, (size_t)(n - off))) <= 0)
                    break;
        }
        if (r > 0 && fds[3].fd >= 0 && (fds[3].revents & POLLIN)) {
            on_control(fds[3].fd, master, &in_fd);
            if (s->tty)
                fds[2].fd = in_fd;
        }
        for (int i = 0; i < 2 && r > 0; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(fds[i].fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                zk_crilog_flush(l, i == 1, &err);
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            if (zk_crilog_feed(l, i == 1, buf, (size_t)n, &err) < 0 ||
                (s->tty && zk_crilog_flush_partial(l, false, &err) < 0))
                fprintf(stderr, "zke shim: %s\n", err.msg);
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            zk_crilog_flush(l, i == 1, &err);
    zk_crilog_close(l);
    bool oom = oom_killed(s->bundle);
    const char *del[] = {"delete", "--force", s->id, NULL};
    run_runtime(s, del, -1, -1, -1);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    write_exit(s, code, WIFSIGNALED(status) ? WTERMSIG(status) : 0, oom, NULL, NULL);
    unlink(pidfile);
    return 0;
}

int zk_agent_shim_main(int argc, char **argv)
{
    shim s = {.runtime = "runc"};
    const char *log = NULL;
    long long max_bytes = 10 << 20;
    int keep = 5;
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"bundle", required_argument, NULL, 'b'},
        {"log", required_argument, NULL, 'l'},
        {"runtime", required_argument, NULL, 'r'},
        {"runtime-root", required_argument, NULL, 'R'},
        {"log-max-bytes", required_argument, NULL, 'm'},
        {"log-keep", required_argument, NULL, 'k'},
        {"stdin", no_argument, NULL, 's'},
        {"tty", no_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': s.id = optarg; break;
        case 'b': s.bundle = optarg; break;
        case 'l': log = optarg; break;
        case 'r': s.runtime = optarg; break;
        case 'R': s.root = optarg; break;
        case 'm': max_bytes = atoll(optarg); break;
        case 'k': keep = atoi(optarg); break;
        case 's': s.stdin_fifo = true; break;
        case 't': s.tty = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!s.id || !s.bundle || !log) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    zk_err err = {0};
    zk_crilog *l = zk_crilog_open(log, max_bytes, keep, &err);
    if (!l) {
        fprintf(stderr, "zke shim: %s\n", err.msg);
        return 1;
    }
    int rp[2];
    if (pipe2(rp, O_CLOEXEC) < 0) {
        fprintf(stderr, "zke shim: pipe: %s\n", strerror(errno));
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "zke shim: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid > 0) {
        /* the first process: wait for the verdict, then leave the shim to
         * its container */
        close(rp[1]);
        zk_crilog_close(l);
        char v = 0;
        ssize_t n;
        while ((n = read(rp[0], &v, 1)) < 0 && errno == EINTR)
            ;
        waitpid(pid, NULL, WNOHANG);
        return n == 1 && v == 'S' ? 0 : 1;
    }
    close(rp[0]);
    setsid();
    /* the shim's own messages: BUNDLE/shim.log */
    zk_autofree char *slog = zk_xasprintf("%s/shim.log", s.bundle);
    int fd = open(slog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    close(devnull);
    zk_autofree char *pidfile = zk_xasprintf("%s/shim.pid", s.bundle);
    FILE *pf = fopen(pidfile, "we");
    if (pf) {
        fprintf(pf, "%d\n", (int)getpid());
        fclose(pf);
    }
    int rc = run_shim(&s, l, rp[1]);
    unlink(pidfile);
    _exit(rc);
}
