/* A real `zke server` for unit tests of clients: started in a temp dir on
 * a free loopback port (ZKE_BIN, set by the build), killed by its PID. */
#ifndef ZK_TEST_TESTSRV_H
#define ZK_TEST_TESTSRV_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/time.h"

typedef struct server {
    char dir[64];
    int port;
    pid_t pid;
} server;

static int free_port(void)
{
    /* a port from the ephemeral range unlikely to be taken; the server
     * fails loudly if it is, and start() then tries another */
    return 20000 + (int)(zk_mono_ms() * 7919 % 20000) + rand() % 1000;
}

static bool server_start(server *s, const char *extra)
{
    const char *bin = getenv("ZKE_BIN");
    if (!bin)
        bin = "build/zke";
    for (int attempt = 0; attempt < 5; attempt++) {
        if (!s->port || attempt > 0)
            s->port = free_port();
        int pfd[2];
        if (pipe(pfd) < 0)
            return false;
        pid_t pid = fork();
        if (pid == 0) {
            dup2(pfd[1], 1);
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 2);
            close(pfd[0]);
            char port[16];
            snprintf(port, sizeof(port), "%d", s->port);
            const char *argv[16] = {bin, "server", "--data-dir", s->dir, "--https-port", port,
                                    "--disable-agent"};
            int n = 7;
            char extra_copy[256];
            if (extra) {
                snprintf(extra_copy, sizeof(extra_copy), "%s", extra);
                for (char *tok = strtok(extra_copy, " "); tok && n < 15; tok = strtok(NULL, " "))
                    argv[n++] = tok;
            }
            argv[n] = NULL;
            execv(bin, (char **)argv);
            _exit(127);
        }
        close(pfd[1]);
        FILE *f = fdopen(pfd[0], "r");
        char line[512];
        bool ready = false;
        while (fgets(line, sizeof(line), f))
            if (strstr(line, "ready")) {
                ready = true;
                break;
            }
        fclose(f);
        if (ready) {
            s->pid = pid;
            return true;
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return false;
}

static void server_kill(server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

/* Kill the server and remove its temp dir. */
static void server_remove(server *s)
{
    server_kill(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s->dir);
}

#endif
