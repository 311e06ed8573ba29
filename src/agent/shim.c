/* zke shim: the parent of one container run, as containerd's shim or
 * conmon is. The agent starts it in its own session, so a restart or a
 * kill -9 of the agent leaves it, the container and its log alone. It runs
 * the OCI runtime in the foreground with the container's stdout and stderr
 * on pipes, writes every line to the container's CRI log, and when the
 * container ends writes its exit status to BUNDLE/exit.json (atomically),
 * which is how the agent, now or after a restart, learns how it ended. */
#include "agent/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/crilog.h"
#include "base/mem.h"
#include "base/time.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: zke shim --id ID --bundle DIR --log FILE [--runtime runc] "
               "[--runtime-root DIR] [--log-max-bytes N] [--log-keep K]\n"
               "Runs one container and keeps its log; started by the node agent.\n");
}

static int write_exit(const char *bundle, int status, zk_err *err)
{
    char now[40];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    char text[256];
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int n = snprintf(text, sizeof(text), "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"}\n",
                     code, WIFSIGNALED(status) ? WTERMSIG(status) : 0, now);
    zk_autofree char *tmp = zk_xasprintf("%s/.exit.json.tmp", bundle);
    zk_autofree char *path = zk_xasprintf("%s/exit.json", bundle);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return zk_err_set(err, ZK_EIO, "write %s: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, path) < 0)
        return zk_err_set(err, ZK_EIO, "rename %s: %s", path, strerror(errno));
    return 0;
}

int zk_agent_shim_main(int argc, char **argv)
{
    const char *id = NULL, *bundle = NULL, *log = NULL, *runtime = "runc", *root = NULL;
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
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': id = optarg; break;
        case 'b': bundle = optarg; break;
        case 'l': log = optarg; break;
        case 'r': runtime = optarg; break;
        case 'R': root = optarg; break;
        case 'm': max_bytes = atoll(optarg); break;
        case 'k': keep = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!id || !bundle || !log) {
        usage(stderr);
        return 2;
    }
    zk_err err = {0};
    zk_crilog *l = zk_crilog_open(log, max_bytes, keep, &err);
    if (!l) {
        fprintf(stderr, "zke shim: %s\n", err.msg);
        return 1;
    }
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        fprintf(stderr, "zke shim: pipe: %s\n", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "zke shim: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(outp[1], 1);
        dup2(errp[1], 2);
        const char *args[12];
        int n = 0;
        args[n++] = runtime;
        if (root) {
            args[n++] = "--root";
            args[n++] = root;
        }
        args[n++] = "run";
        args[n++] = "--bundle";
        args[n++] = bundle;
        args[n++] = id;
        args[n] = NULL;
        execvp(runtime, (char *const *)args);
        fprintf(stderr, "zke shim: exec %s: %s\n", runtime, strerror(errno));
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);
    zk_autofree char *pidfile = zk_xasprintf("%s/shim.pid", bundle);
    FILE *pf = fopen(pidfile, "we");
    if (pf) {
        fprintf(pf, "%d\n", (int)getpid());
        fclose(pf);
    }
    struct pollfd fds[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        int r = poll(fds, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        for (int i = 0; i < 2; i++) {
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
            if (zk_crilog_feed(l, i == 1, buf, (size_t)n, &err) < 0)
                fprintf(stderr, "zke shim: %s\n", err.msg);
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    zk_crilog_close(l);
    if (write_exit(bundle, status, &err) < 0) {
        fprintf(stderr, "zke shim: %s\n", err.msg);
        return 1;
    }
    unlink(pidfile);
    return 0;
}
