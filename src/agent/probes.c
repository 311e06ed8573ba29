/* zke agent: startup, liveness and readiness probes — HTTP GET, TCP
 * connect or a command run in the container — on a running container's
 * schedule (initialDelaySeconds, periodSeconds, timeoutSeconds,
 * successThreshold, failureThreshold; the API server defaults them); and
 * the lifecycle hooks postStart and preStop, which run the same handlers
 * once (and sleep).
 *
 * Each try is a job on the threadpool with its own timeout. The startup
 * probe holds the others back until it passes; a failed startup or
 * liveness probe restarts the container; readiness decides the
 * container's (and so the pod's) Ready condition. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"

extern char **environ;

typedef enum { P_STARTUP, P_LIVENESS, P_READINESS } probe_kind;
static const char *const probe_field[] = {"startupProbe", "livenessProbe", "readinessProbe"};

typedef struct probe_job {
    uv_work_t w;
    zk_apod *p;
    char ctr[64];
    int attempt;
    probe_kind kind;
    json_t *probe;              /* copy */
    char ip[64], id[128], runtime[256], root[4096];
    bool ok;
    char error[256];
} probe_job;

void zk_agent_probes_reset(zk_actr *c)
{
    memset(&c->startup, 0, sizeof(c->startup));
    memset(&c->liveness, 0, sizeof(c->liveness));
    memset(&c->readiness, 0, sizeof(c->readiness));
    c->started_ok = false;
}

bool zk_agent_probes_ready(zk_apod *p, const zk_actr *c)
{
    const json_t *spec = zk_agent_ctr_spec(p, c);
    if (json_object_get(spec, "startupProbe") && !c->started_ok)
        return false;
    if (json_object_get(spec, "readinessProbe"))
        return c->readiness.ok;
    return true;
}

/* ---- one try (threadpool) ---- */

/* Connect to ip:port within timeout_ms; the socket, or -1 with error set. */
static int dial(const char *host, int port, int timeout_ms, char *error, size_t n)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        snprintf(error, n, "probe host \"%.100s\" is not an IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(error, n, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
        snprintf(error, n, "dial tcp %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t el = sizeof(err);
    if (poll(&pf, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 ||
        err) {
        snprintf(error, n, "dial tcp %s:%d: %s", host, port,
                 err ? strerror(err) : "i/o timeout");
        close(fd);
        return -1;
    }
    return fd;
}

static int port_of(const json_t *action, const json_t *ctr)
{
    const json_t *port = json_object_get(action, "port");
    if (json_is_integer(port))
        return (int)json_integer_value(port);
    const char *name = json_string_value(port);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(ctr, "ports"), i, p) {
        const char *pn = zk_json_str(p, "name");
        if (name && pn && !strcmp(pn, name))
            return (int)zk_json_int(p, "containerPort", 0);
    }
    return name ? atoi(name) : 0;
}

/* Wait until fd can do what an SSL call asked for (rc its result), at most
 * until deadline; false on a timeout or an error. */
static bool ssl_wait(SSL *ssl, int fd, int rc, uint64_t deadline)
{
    int e = SSL_get_error(ssl, rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return false;
    uint64_t now = zk_mono_ms();
    struct pollfd pf = {.fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
    return now < deadline && poll(&pf, 1, (int)(deadline - now)) == 1;
}

static SSL_CTX *probe_ctx;   /* one for every HTTPS probe, made on first use */
static pthread_once_t probe_ctx_once = PTHREAD_ONCE_INIT;

static void make_probe_ctx(void)
{
    probe_ctx = SSL_CTX_new(TLS_client_method());
    if (probe_ctx)
        SSL_CTX_set_verify(probe_ctx, SSL_VERIFY_NONE, NULL);
}

/* An HTTPS probe's TLS session on fd, made before deadline; the kubelet
 * checks no certificate (probes reach pods by IP), and neither does this. */
static SSL *tls_open(int fd, const char *host, uint64_t deadline, char *error, size_t n)
{
    pthread_once(&probe_ctx_once, make_probe_ctx);
    if (!probe_ctx) {
        snprintf(error, n, "TLS is not available");
        return NULL;
    }
    SSL *ssl = SSL_new(probe_ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        snprintf(error, n, "TLS: out of memory");
        return NULL;
    }
    /* no SNI: probes dial IP addresses, which SNI does not carry */
    int rc;
    while ((rc = SSL_connect(ssl)) != 1) {
        if (!ssl_wait(ssl, fd, rc, deadline)) {
            unsigned long e = ERR_get_error();
            char why[160];
            ERR_error_string_n(e, why, sizeof(why));
            snprintf(error, n, "TLS handshake with %s failed: %s", host,
                     e ? why : "timeout or connection closed");
            ERR_clear_error();
            SSL_free(ssl);
            return NULL;
        }
    }
    return ssl;
}

static void try_http(probe_job *j, const json_t *act, int timeout_ms, const json_t *ctr)
{
    const char *host = zk_json_str(act, "host");
    const char *path = zk_json_str(act, "path");
    int port = port_of(act, ctr);
    const char *scheme = zk_json_str(act, "scheme");
    bool https = scheme && !strcmp(scheme, "HTTPS");
    if (scheme && !https && strcmp(scheme, "HTTP")) {
        snprintf(j->error, sizeof(j->error), "unsupported scheme \"%.50s\"", scheme);
        return;
    }
    int fd = dial(host && *host ? host : j->ip, port, timeout_ms, j->error, sizeof(j->error));
    if (fd < 0)
        return;
    uint64_t deadline = zk_mono_ms() + (uint64_t)timeout_ms;
    SSL *ssl = NULL;
    if (https && !(ssl = tls_open(fd, host && *host ? host : j->ip, deadline, j->error,
                                  sizeof(j->error)))) {
        close(fd);
        return;
    }
    char req[2048];
    int n = snprintf(req, sizeof(req), "GET %.1000s HTTP/1.1\r\nHost: %s:%d\r\n"
                     "User-Agent: kube-probe/1.32\r\nAccept: */*\r\nConnection: close\r\n",
                     path && *path ? path : "/", host && *host ? host : j->ip, port);
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(act, "httpHeaders"), i, h) {
        const char *hn = zk_json_str(h, "name"), *hv = zk_json_str(h, "value");
        if (hn && hv && (size_t)n < sizeof(req) - 300 && !strpbrk(hn, "\r\n") && !strpbrk(hv, "\r\n"))
            n += snprintf(req + n, sizeof(req) - (size_t)n, "%.100s: %.150s\r\n", hn, hv);
    }
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
    char buf[256];
    size_t got = 0;
    bool sent = false;
    while (zk_mono_ms() < deadline) {
        if (ssl) {
            /* the request is small: one SSL_write takes it whole */
            int rc = sent ? SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got))
                          : SSL_write(ssl, req, n);
            if (rc <= 0) {
                if (ssl_wait(ssl, fd, rc, deadline))
                    continue;
                break;
            }
            if (!sent) {
                sent = true;
                continue;
            }
            got += (size_t)rc;
        } else {
            struct pollfd pf = {.fd = fd, .events = sent ? POLLIN : POLLOUT};
            if (poll(&pf, 1, (int)(deadline - zk_mono_ms())) != 1)
                break;
            if (!sent) {
                sent = send(fd, req, (size_t)n, MSG_NOSIGNAL) == n;
                if (!sent)
                    break;
                continue;
            }
            ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        buf[got] = '\0';
        if (strchr(buf, '\n') || got == sizeof(buf) - 1)
            break;
    }
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
        ERR_clear_error();
    }
    close(fd);
    buf[got] = '\0';
    int code = 0;
    if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1) {
        snprintf(j->error, sizeof(j->error), "Get \"%s://%s:%d%.100s\": %s",
                 https ? "https" : "http", j->ip, port, path ? path : "/",
                 got ? "malformed HTTP response" : "context deadline exceeded");
        return;
    }
    if (code >= 200 && code < 400)
        j->ok = true;
    else
        snprintf(j->error, sizeof(j->error), "HTTP probe failed with statuscode: %d", code);
}

/* The runtime's exec of the action's command in j's container, into argv
 * (64 entries, NULL-terminated); false when the command is empty. */
static bool exec_argv(const probe_job *j, const json_t *act, const char **argv)
{
    int n = 0;
    argv[n++] = j->runtime;
    argv[n++] = "--root";
    argv[n++] = j->root;
    argv[n++] = "exec";
    argv[n++] = j->id;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(act, "command"), i, a) {
        if (n < 62 && json_is_string(a))
            argv[n++] = json_string_value(a);
    }
    argv[n] = NULL;
    return n > 5;
}

static void try_exec(probe_job *j, const json_t *act, int timeout_ms)
{
    const char *argv[64];
    if (!exec_argv(j, act, argv)) {
        snprintf(j->error, sizeof(j->error), "exec probe has no command");
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(j->error, sizeof(j->error), "exec probe: %s", strerror(rc));
        return;
    }
    /* the runtime's own start-up counts too: give it a second on top */
    uint64_t deadline = zk_mono_ms() + (uint64_t)timeout_ms + 1000;
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (zk_mono_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            snprintf(j->error, sizeof(j->error), "command timed out after %ds",
                     timeout_ms / 1000);
            return;
        }
        usleep(10 * 1000);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        j->ok = true;
    else
        snprintf(j->error, sizeof(j->error), "command exited with %d",
                 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static void probe_work(uv_work_t *w)
{
    probe_job *j = w->data;
    int timeout_ms = (int)zk_json_int(j->probe, "timeoutSeconds", 1) * 1000;
    if (timeout_ms <= 0)
        timeout_ms = 1000;
    json_t *act;
    const json_t *ctr = json_object_get(j->probe, "__container");
    if ((act = json_object_get(j->probe, "httpGet"))) {
        try_http(j, act, timeout_ms, ctr);
    } else if ((act = json_object_get(j->probe, "tcpSocket"))) {
        const char *host = zk_json_str(act, "host");
        int fd = dial(host && *host ? host : j->ip, port_of(act, ctr), timeout_ms, j->error,
                      sizeof(j->error));
        if (fd >= 0) {
            close(fd);
            j->ok = true;
        }
    } else if ((act = json_object_get(j->probe, "exec"))) {
        try_exec(j, act, timeout_ms);
    } else if (json_object_get(j->probe, "grpc")) {
        snprintf(j->error, sizeof(j->error), "gRPC probes are not supported yet");
    } else {
        snprintf(j->error, sizeof(j->error), "the probe has no action");
    }
}

static zk_probe *state_of(zk_actr *c, probe_kind k)
{
    return k == P_STARTUP ? &c->startup : k == P_LIVENESS ? &c->liveness : &c->readiness;
}

static void probe_done(uv_work_t *w, int status)
{
    probe_job *j = w->data;
    zk_apod *p = j->p;
    /* the record may be gone, or the container in a new run */
    if (!zk_agent_pod_call_end(p)) {
        json_decref(j->probe);
        free(j);
        return;
    }
    zk_actr *c = NULL;
    for (size_t i = 0; i < p->nctrs; i++)
        if (!strcmp(p->ctrs[i].name, j->ctr))
            c = &p->ctrs[i];
    if (!c || c->cur.attempt != j->attempt || c->cur.state != ZK_CTR_RUNNING) {
        if (c)
            state_of(c, j->kind)->inflight = false;
        json_decref(j->probe);
        free(j);
        return;
    }
    zk_probe *s = state_of(c, j->kind);
    s->inflight = false;
    int success = (int)zk_json_int(j->probe, "successThreshold", 1);
    int failure = (int)zk_json_int(j->probe, "failureThreshold", 3);
    bool was = s->ok;
    if (j->ok) {
        s->fail_run = 0;
        s->ok_run++;
        if (s->ok_run >= (success > 0 ? success : 1))
            s->ok = true;
        s->last_error[0] = '\0';
    } else {
        s->ok_run = 0;
        s->fail_run++;
        snprintf(s->last_error, sizeof(s->last_error), "%s", j->error);
        if (s->fail_run >= (failure > 0 ? failure : 1)) {
            s->ok = false;
            if (j->kind != P_READINESS) {
                char why[400];
                snprintf(why, sizeof(why), "Container %.63s failed %s probe, will be restarted: "
                         "%.250s", c->name, j->kind == P_STARTUP ? "startup" : "liveness",
                         j->error);
                zk_agent_ctr_restart(p, c, why);
            }
        }
    }
    if (j->kind == P_STARTUP && s->ok && !c->started_ok) {
        c->started_ok = true;
        was = !s->ok;
    }
    if (was != s->ok)
        zk_agent_pod_queue(p);   /* readiness changed: the status follows */
    json_decref(j->probe);
    free(j);
}

static void start_try(zk_apod *p, zk_actr *c, probe_kind k, const json_t *probe,
                      const json_t *spec)
{
    zk_agent *a = p->a;
    probe_job *j = zk_xcalloc(1, sizeof(*j));
    j->w.data = j;
    j->p = p;
    j->kind = k;
    j->attempt = c->cur.attempt;
    snprintf(j->ctr, sizeof(j->ctr), "%s", c->name);
    j->probe = json_deep_copy(probe);
    json_object_set_new(j->probe, "__container",
                        json_pack("{s:O*}", "ports", json_object_get(spec, "ports")));
    snprintf(j->ip, sizeof(j->ip), "%s", p->ip);
    snprintf(j->id, sizeof(j->id), "%s", c->cur.id);
    snprintf(j->runtime, sizeof(j->runtime), "%s", a->o.runtime);
    snprintf(j->root, sizeof(j->root), "%s", a->runc_root);
    state_of(c, k)->inflight = true;
    zk_agent_pod_call_begin(p);
    uv_queue_work(a->loop, &j->w, probe_work, probe_done);
}

void zk_agent_probes_tick(zk_agent *a, zk_apod *p, uint64_t now)
{
    if (!p->pod || zk_json_path(p->pod, "metadata", "deletionTimestamp", NULL))
        return;
    for (size_t i = 0; i < p->nctrs; i++) {
        zk_actr *c = &p->ctrs[i];
        if (c->init || c->cur.state != ZK_CTR_RUNNING || c->killing)
            continue;
        const json_t *spec = zk_agent_ctr_spec(p, c);
        if (!json_object_get(spec, "startupProbe"))
            c->started_ok = true;
        for (probe_kind k = P_STARTUP; k <= P_READINESS; k++) {
            const json_t *probe = json_object_get(spec, probe_field[k]);
            zk_probe *s = state_of(c, k);
            if (!probe || s->inflight || (k != P_STARTUP && !c->started_ok) ||
                (k == P_STARTUP && c->started_ok))
                continue;
            uint64_t period = (uint64_t)zk_json_int(probe, "periodSeconds", 10) * 1000;
            if (!s->next_ms) {
                /* the first try after the initial delay, counted from the start */
                int64_t delay = zk_json_int(probe, "initialDelaySeconds", 0);
                int64_t since = zk_wall_s() - c->cur.started_at;
                s->next_ms = now + (uint64_t)(delay > since ? (delay - since) * 1000 : 0);
            }
            if (now < s->next_ms)
                continue;
            s->next_ms = now + (period ? period : 10000);
            start_try(p, c, k, probe, spec);
        }
    }
}

/* ---- lifecycle hooks ---- */

typedef struct hook_job {
    probe_job pj;               /* httpGet and tcpSocket run as a probe try */
    zk_hook_done_fn done;
    char which[16];             /* PostStart, PreStop: for messages */
    uv_process_t proc;          /* exec: the runtime's exec, waited on the loop */
    uv_timer_t timer;           /* exec's time limit; sleep */
    int handles;
    bool exited;
} hook_job;

static void hook_finish(hook_job *h)
{
    zk_apod *p = h->pj.p;
    if (zk_agent_pod_call_end(p))
        h->done(p, h->pj.ctr, h->pj.attempt, h->pj.ok ? NULL : h->pj.error);
    json_decref(h->pj.probe);
    free(h);
}

static void hook_handle_closed(uv_handle_t *hd)
{
    hook_job *h = hd->data;
    if (--h->handles == 0)
        hook_finish(h);
}

static void hook_exited(uv_process_t *pr, int64_t status, int sig)
{
    hook_job *h = pr->data;
    h->exited = true;
    if (status == 0 && !sig)
        h->pj.ok = true;
    else if (!h->pj.error[0])
        snprintf(h->pj.error, sizeof(h->pj.error), "command exited with %d",
                 sig ? 128 + sig : (int)status);
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->proc, hook_handle_closed);
    uv_close((uv_handle_t *)&h->timer, hook_handle_closed);
}

static void hook_timer(uv_timer_t *t)
{
    hook_job *h = t->data;
    if (json_object_get(h->pj.probe, "sleep")) {   /* the sleep is over */
        h->pj.ok = true;
        uv_close((uv_handle_t *)&h->timer, hook_handle_closed);
        return;
    }
    /* exec over its time: the runtime's exec goes, its exit finishes */
    snprintf(h->pj.error, sizeof(h->pj.error), "command timed out");
    if (!h->exited)
        uv_process_kill(&h->proc, SIGKILL);
}

static void hook_work(uv_work_t *w)
{
    probe_work(w);
}

static void hook_work_done(uv_work_t *w, int status)
{
    hook_finish((hook_job *)w->data);
}

void zk_agent_hook_run(zk_apod *p, zk_actr *c, const char *which, const json_t *handler,
                       int timeout_s, zk_hook_done_fn done)
{
    zk_agent *a = p->a;
    hook_job *h = zk_xcalloc(1, sizeof(*h));
    probe_job *j = &h->pj;
    j->w.data = h;
    j->p = p;
    j->attempt = c->cur.attempt;
    snprintf(j->ctr, sizeof(j->ctr), "%s", c->name);
    snprintf(h->which, sizeof(h->which), "%s", which);
    h->done = done;
    j->probe = json_deep_copy(handler);
    if (!json_is_object(j->probe)) {
        json_decref(j->probe);
        j->probe = json_object();
    }
    json_object_set_new(j->probe, "timeoutSeconds", json_integer(timeout_s > 0 ? timeout_s : 1));
    json_object_set_new(j->probe, "__container",
                        json_pack("{s:O*}", "ports",
                                  json_object_get(zk_agent_ctr_spec(p, c), "ports")));
    snprintf(j->ip, sizeof(j->ip), "%s", p->ip);
    snprintf(j->id, sizeof(j->id), "%s", c->cur.id);
    snprintf(j->runtime, sizeof(j->runtime), "%s", a->o.runtime);
    snprintf(j->root, sizeof(j->root), "%s", a->runc_root);
    zk_agent_pod_call_begin(p);

    const json_t *act;
    if ((act = json_object_get(j->probe, "exec"))) {
        /* spawned from the loop and waited there: a long hook (a preStop
         * that drains for a minute) holds no threadpool thread */
        const char *argv[64];
        if (!exec_argv(j, act, argv)) {
            snprintf(j->error, sizeof(j->error), "%s hook: exec has no command", which);
            hook_finish(h);
            return;
        }
        uv_stdio_container_t io[3] = {{.flags = UV_IGNORE}, {.flags = UV_IGNORE},
                                      {.flags = UV_IGNORE}};
        uv_process_options_t o = {.file = j->runtime, .args = (char **)argv,
                                  .exit_cb = hook_exited, .stdio_count = 3, .stdio = io};
        h->proc.data = h;
        int rc = uv_spawn(a->loop, &h->proc, &o);
        if (rc < 0) {
            snprintf(j->error, sizeof(j->error), "%s hook: %s", which, uv_strerror(rc));
            h->handles = 1;   /* a failed spawn's handle is closed all the same */
            uv_close((uv_handle_t *)&h->proc, hook_handle_closed);
            return;
        }
        uv_timer_init(a->loop, &h->timer);
        h->timer.data = h;
        h->handles = 2;
        uv_timer_start(&h->timer, hook_timer, (uint64_t)(timeout_s > 0 ? timeout_s : 1) * 1000, 0);
    } else if ((act = json_object_get(j->probe, "sleep"))) {
        int64_t secs = zk_json_int(act, "seconds", 0);
        if (secs < 0)
            secs = 0;
        if (timeout_s > 0 && secs > timeout_s)
            secs = timeout_s;
        uv_timer_init(a->loop, &h->timer);
        h->timer.data = h;
        h->handles = 1;
        uv_timer_start(&h->timer, hook_timer, (uint64_t)secs * 1000, 0);
    } else if (!json_object_get(j->probe, "httpGet") && json_object_get(j->probe, "tcpSocket")) {
        /* the API keeps tcpSocket for old objects; the kubelet fails such a
         * hook, and so does this */
        snprintf(j->error, sizeof(j->error), "%s hook: tcpSocket is not supported as a "
                 "lifecycle handler", which);
        hook_finish(h);
    } else {
        /* httpGet: short, bounded by the time limit */
        uv_queue_work(a->loop, &j->w, hook_work, hook_work_done);
    }
}
