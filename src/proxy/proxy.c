/* zke proxy: keeps the node's nftables table equal to Services and their
 * EndpointSlices (see proxy.h for the contract, rules.h for the table). */
#include "proxy/proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "proxy/iptrules.h"
#include "proxy/rules.h"

extern char **environ;

#define LABEL_SERVICE "kubernetes.io/service-name"
#define ZK_PROXY_SCRIPT_MAX (256u << 20)
#define ZK_PROXY_STDERR_MAX 4096
#define ZK_PROXY_RETRY_MIN_MS 500
#define ZK_PROXY_RETRY_MAX_MS 30000
#define ZK_PROXY_NFT_TIMEOUT_MS 30000
#define ZK_PROXY_CT_MAX 64     /* conntrack runs after one nft run */

struct zk_proxy {
    uv_loop_t *loop;
    zk_kube_client *client;
    char *table, *cluster_cidr, *nft, *ipt_restore, *ipt_save;
    zk_proxy_mode mode;
    char prefix[ZK_PROXY_PREFIX_SIZE];   /* iptables chains */
    zk_proxy_cfg cfg;
    zk_kube_informer *svcs, *slices;
    json_t *state;             /* "ns/name" -> the plan nft has */
    json_t *dirty;             /* "ns/name" -> true: look again */
    bool full;                 /* write the whole table next time */
    bool stopping, remove_rules;
    /* the nft run in flight */
    bool running;
    json_t *pending;           /* "ns/name" -> the plan this run writes (null: none) */
    json_t *pending_ct;        /* conntrack argument lists to run once it is in */
    bool ct_missing;           /* conntrack is not installed: said once */
    bool pending_full;
    bool saving;               /* the run is iptables-save, before a whole write */
    const char *prog;          /* the run's program */
    uv_process_t proc;
    uv_pipe_t in, out, err;
    uv_write_t wreq;
    char *script;
    size_t script_len;
    zk_buf errbuf;
    zk_buf outbuf;             /* iptables-save's output */
    bool out_over;             /* more than ZK_PROXY_SCRIPT_MAX */
    int handles;               /* open handles of the run */
    int64_t exit_status;
    int term_signal;
    uint64_t started_ms;
    uv_timer_t timer;          /* a run soon (0) or a retry; the run's time limit */
    uv_timer_t limit;
    uint64_t retry_ms;
    zk_proxy_stats stats;
};

/* ---- keys ---- */

static void svc_key(const json_t *obj, char *out, size_t n)
{
    snprintf(out, n, "%.63s/%.253s", zk_json_path_str(obj, "metadata", "namespace", NULL) ?: "",
             zk_json_path_str(obj, "metadata", "name", NULL) ?: "");
}

/* The Service a slice belongs to (its label), as "ns/name"; false if none. */
static bool slice_key(const json_t *obj, char *out, size_t n)
{
    const char *svc = zk_json_path_str(obj, "metadata", "labels", LABEL_SERVICE, NULL);
    if (!svc || !*svc)
        return false;
    snprintf(out, n, "%.63s/%.253s", zk_json_path_str(obj, "metadata", "namespace", NULL) ?: "",
             svc);
    return true;
}

void zk_proxy_slice_index(const json_t *obj, zk_kube_emit_fn emit, void *ectx)
{
    char key[400];
    if (slice_key(obj, key, sizeof(key)))
        emit(ectx, key);
}

/* ---- runs ---- */

static void schedule(zk_proxy *p, uint64_t delay_ms);

static void mark(zk_proxy *p, const char *key)
{
    json_object_set_new(p->dirty, key, json_true());
    schedule(p, 0);
}

static void svc_changed(void *ctx, json_t *obj)
{
    char key[400];
    svc_key(obj, key, sizeof(key));
    mark(ctx, key);
}
static void svc_updated(void *ctx, json_t *old, json_t *obj)
{
    (void)old;
    svc_changed(ctx, obj);
}

static void slice_changed(void *ctx, json_t *obj)
{
    char key[400];
    if (slice_key(obj, key, sizeof(key)))
        mark(ctx, key);
}
static void slice_updated(void *ctx, json_t *old, json_t *obj)
{
    slice_changed(ctx, old);
    slice_changed(ctx, obj);
}

size_t zk_proxy_slices_of(zk_proxy *p, const char *ns, const char *name, json_t ***out)
{
    char key[400];
    snprintf(key, sizeof(key), "%.63s/%.253s", ns, name);
    return zk_kube_informer_by_index(p->slices, "svc", key, out);
}

/* The plan for Service key as the caches have it (NULL: no such Service). */
static json_t *want(zk_proxy *p, const char *key)
{
    json_t *svc = zk_kube_informer_get_key(p->svcs, key);
    if (!svc)
        return NULL;
    json_t **sl = NULL;
    size_t n = zk_kube_informer_by_index(p->slices, "svc", key, &sl);
    char why[256];
    json_t *plan = zk_proxy_plan(&p->cfg, svc, sl, n, why, sizeof(why));
    free(sl);
    if (why[0])
        zk_warn("proxy: Service %s gets no rules: %s", key, why);
    return plan;
}

static void collect(void *ctx, json_t *svc)
{
    json_t *keys = ctx;
    char key[400];
    svc_key(svc, key, sizeof(key));
    json_object_set_new(keys, key, json_true());
}

static void on_handle_closed(uv_handle_t *h);
static void run_finish(zk_proxy *p);

static void on_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
    zk_proxy *p = proc->data;
    p->exit_status = status;
    p->term_signal = sig;
    uv_timer_stop(&p->limit);
    uv_close((uv_handle_t *)proc, on_handle_closed);
}

static void on_limit(uv_timer_t *t)
{
    zk_proxy *p = t->data;
    zk_warn("proxy: %s ran for %d s; killing it", p->prog, ZK_PROXY_NFT_TIMEOUT_MS / 1000);
    uv_process_kill(&p->proc, SIGKILL);
}

static void on_written(uv_write_t *w, int status)
{
    zk_proxy *p = w->data;
    if (status < 0)
        zk_warn("proxy: writing the rules to %s: %s", p->prog, uv_strerror(status));
    free(p->script);
    p->script = NULL;
    uv_close((uv_handle_t *)&p->in, on_handle_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    static char scratch[1024];
    *buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_err_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    zk_proxy *p = s->data;
    if (n > 0) {
        size_t room = ZK_PROXY_STDERR_MAX - p->errbuf.len;
        zk_buf_append(&p->errbuf, buf->base, (size_t)n < room ? (size_t)n : room);
        return;
    }
    if (n < 0)
        uv_close((uv_handle_t *)s, on_handle_closed);
}

static void on_out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    zk_proxy *p = s->data;
    if (n > 0) {
        if (zk_buf_append(&p->outbuf, buf->base, (size_t)n) < 0)
            p->out_over = true;
        return;
    }
    if (n < 0)
        uv_close((uv_handle_t *)s, on_handle_closed);
}

static void on_handle_closed(uv_handle_t *h)
{
    zk_proxy *p = h->data;
    if (--p->handles == 0)
        run_finish(p);
}

static void proxy_free(zk_proxy *p)
{
    zk_kube_informer_free(p->svcs);
    zk_kube_informer_free(p->slices);
    json_decref(p->state);
    json_decref(p->dirty);
    json_decref(p->pending);
    zk_buf_free(&p->errbuf);
    zk_buf_free(&p->outbuf);
    free(p->table);
    free(p->cluster_cidr);
    free(p->nft);
    free(p->ipt_restore);
    free(p->ipt_save);
    free(p);
}

static void timers_closed(uv_handle_t *h)
{
    zk_proxy *p = h->data;
    if (--p->handles == 0)
        proxy_free(p);
}

typedef struct ct_run {
    uv_process_t proc;
} ct_run;

static void ct_closed(uv_handle_t *h) { free(h->data); }

static void ct_exited(uv_process_t *proc, int64_t status, int sig)
{
    (void)sig;
    /* 1: nothing matched, which is the usual case */
    if (status > 1)
        zk_debug("proxy: conntrack exited %lld", (long long)status);
    uv_close((uv_handle_t *)proc, ct_closed);
}

/* Delete the conntrack entries the last run left stale (UDP flows whose
 * endpoint went, or that were refused while there was none). */
static void run_conntrack(zk_proxy *p)
{
    size_t i;
    json_t *args;
    json_array_foreach(p->pending_ct, i, args) {
        if (i == ZK_PROXY_CT_MAX) {
            zk_warn("proxy: %zu conntrack deletions at once; the rest wait for their timeouts",
                    json_array_size(p->pending_ct));
            break;
        }
        char *argv[12] = {0};
        for (size_t k = 0; k < json_array_size(args) && k < 11; k++)
            argv[k] = (char *)json_string_value(json_array_get(args, k));
        ct_run *r = zk_xcalloc(1, sizeof(*r));
        r->proc.data = r;
        uv_stdio_container_t io[3] = {{.flags = UV_IGNORE}, {.flags = UV_IGNORE}, {.flags = UV_IGNORE}};
        uv_process_options_t o = {.file = argv[0], .args = argv, .exit_cb = ct_exited,
                                  .stdio_count = 3, .stdio = io};
        int rc = uv_spawn(p->loop, &r->proc, &o);
        if (rc < 0) {
            if (!p->ct_missing)
                zk_warn("proxy: cannot run conntrack (%s): UDP flows to endpoints that went "
                        "keep going there until their entries time out",
                        uv_strerror(rc));
            p->ct_missing = true;
            uv_close((uv_handle_t *)&r->proc, ct_closed);
            break;
        }
    }
}

static void run_child(zk_proxy *p, char *const *argv, char *script, size_t len, bool capture);
static void write_ipt_full(zk_proxy *p);

static void run_finish(zk_proxy *p)
{
    p->running = false;
    uint64_t took = zk_mono_ms() - p->started_ms;
    bool ok = p->exit_status == 0 && p->term_signal == 0;
    if (p->saving) {
        p->saving = false;
        if (p->out_over) {
            zk_buf_printf(&p->errbuf, "its output is over %u MiB", ZK_PROXY_SCRIPT_MAX >> 20);
            ok = false;
        }
        if (ok && !p->stopping) {
            write_ipt_full(p);
            return;
        }
        ok = false;   /* nothing was written */
    }
    zk_buf_reset(&p->outbuf);
    p->out_over = false;
    if (ok) {
        if (p->pending_full)
            json_object_clear(p->state);
        const char *k;
        json_t *v;
        json_object_foreach(p->pending, k, v) {
            if (json_is_null(v))
                json_object_del(p->state, k);
            else
                json_object_set(p->state, k, v);
        }
        p->stats.syncs++;
        if (p->pending_full) {
            p->stats.full_syncs++;
            if (!p->stats.synced)
                zk_info("proxy: %s rules of %s written: %zu Services (%llu ms)",
                        zk_proxy_mode_name(p->mode), p->table, json_object_size(p->state),
                        (unsigned long long)took);
            p->stats.synced = true;
        }
        p->stats.last_ms = took;
        p->retry_ms = 0;
        run_conntrack(p);
    } else {
        /* what the table holds is unknown now: write all of it next time */
        p->stats.failures++;
        p->full = true;
        size_t n = p->errbuf.len;
        while (n && (p->errbuf.data[n - 1] == '\n' || p->errbuf.data[n - 1] == ' '))
            n--;
        if (!p->stopping)
            zk_warn("proxy: %s failed (exit %lld%s%s): %.*s", p->prog, (long long)p->exit_status,
                    p->term_signal ? ", signal " : "",
                    p->term_signal ? strsignal(p->term_signal) : "", (int)(n > 1500 ? 1500 : n),
                    p->errbuf.data ? p->errbuf.data : "");
        p->retry_ms = p->retry_ms ? p->retry_ms * 2 : ZK_PROXY_RETRY_MIN_MS;
        if (p->retry_ms > ZK_PROXY_RETRY_MAX_MS)
            p->retry_ms = ZK_PROXY_RETRY_MAX_MS;
    }
    json_decref(p->pending);
    p->pending = NULL;
    json_decref(p->pending_ct);
    p->pending_ct = NULL;
    zk_buf_reset(&p->errbuf);
    if (p->stopping) {
        p->handles = 2;
        uv_close((uv_handle_t *)&p->timer, timers_closed);
        uv_close((uv_handle_t *)&p->limit, timers_closed);
        return;
    }
    if (!ok)
        schedule(p, p->retry_ms);
    else if (json_object_size(p->dirty) || p->full)
        schedule(p, 0);
}

/* Start argv[0] with script (taken; may be NULL) on stdin, its stdout
 * gathered in outbuf when capture is set. */
static void run_child(zk_proxy *p, char *const *argv, char *script, size_t len, bool capture)
{
    p->running = true;
    p->prog = argv[0];
    p->script = script;
    p->script_len = len;
    p->exit_status = -1;
    p->term_signal = 0;
    uv_pipe_init(p->loop, &p->in, 0);
    uv_pipe_init(p->loop, &p->out, 0);
    uv_pipe_init(p->loop, &p->err, 0);
    p->in.data = p->out.data = p->err.data = p->proc.data = p;
    uv_stdio_container_t io[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&p->in},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->out},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->err},
    };
    if (!capture)
        io[1] = (uv_stdio_container_t){.flags = UV_IGNORE};
    uv_process_options_t o = {.file = argv[0], .args = (char **)argv, .exit_cb = on_exit_cb,
                              .stdio_count = 3, .stdio = io};
    int rc = uv_spawn(p->loop, &p->proc, &o);
    p->handles = 4;
    if (rc < 0) {
        zk_buf_printf(&p->errbuf, "cannot start %s: %s", argv[0], uv_strerror(rc));
        free(p->script);
        p->script = NULL;
        p->exit_status = 127;
        uv_close((uv_handle_t *)&p->proc, on_handle_closed);
        uv_close((uv_handle_t *)&p->in, on_handle_closed);
        uv_close((uv_handle_t *)&p->out, on_handle_closed);
        uv_close((uv_handle_t *)&p->err, on_handle_closed);
        return;
    }
    uv_timer_start(&p->limit, on_limit, ZK_PROXY_NFT_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&p->err, on_alloc, on_err_read);
    if (capture)
        uv_read_start((uv_stream_t *)&p->out, on_alloc, on_out_read);
    else
        uv_close((uv_handle_t *)&p->out, on_handle_closed);
    if (!script) {
        uv_close((uv_handle_t *)&p->in, on_handle_closed);
        return;
    }
    uv_buf_t b = uv_buf_init(p->script, (unsigned)p->script_len);
    p->wreq.data = p;
    rc = uv_write(&p->wreq, (uv_stream_t *)&p->in, &b, 1, on_written);
    if (rc < 0) {
        zk_buf_printf(&p->errbuf, "writing to %s: %s", argv[0], uv_strerror(rc));
        free(p->script);
        p->script = NULL;
        uv_close((uv_handle_t *)&p->in, on_handle_closed);
    }
}

static void run_script(zk_proxy *p, char *script, size_t len)
{
    if (p->mode == ZK_PROXY_IPTABLES) {
        char *argv[] = {p->ipt_restore, "-w", "5", "--noflush", NULL};
        run_child(p, argv, script, len, false);
    } else {
        char *argv[] = {p->nft, "-f", "-", NULL};
        run_child(p, argv, script, len, false);
    }
}

/* iptables-save has said what is there: write all of it. */
static void write_ipt_full(zk_proxy *p)
{
    json_t *seen = zk_proxy_ipt_seen(p->outbuf.data ? p->outbuf.data : "", p->outbuf.len, p->prefix);
    zk_buf_reset(&p->outbuf);
    zk_buf_reset(&p->errbuf);   /* iptables-save's warnings are not the restore's */
    size_t n = json_object_size(p->pending), i = 0;
    json_t **plans = zk_xcalloc(n ? n : 1, sizeof(*plans));
    const char *k;
    json_t *v;
    json_object_foreach(p->pending, k, v)
        plans[i++] = json_is_null(v) ? NULL : v;
    zk_buf script;
    zk_buf_init(&script, ZK_PROXY_SCRIPT_MAX);
    zk_proxy_ipt_full(&script, &p->cfg, seen, plans, n);
    free(plans);
    json_decref(seen);
    size_t len = 0;
    char *text = zk_buf_steal(&script, &len);
    zk_debug("proxy: iptables-restore input of %zu bytes (everything)", len);
    run_script(p, text, len);
}

static void run(uv_timer_t *t)
{
    zk_proxy *p = t->data;
    if (p->running || p->stopping)
        return;
    if (!zk_kube_informer_synced(p->svcs) || !zk_kube_informer_synced(p->slices)) {
        /* writing from half a cache would drop live Services' rules */
        schedule(p, 100);
        return;
    }
    zk_buf script;
    zk_buf_init(&script, ZK_PROXY_SCRIPT_MAX);
    json_t *keys;
    p->pending_full = p->full;
    p->started_ms = zk_mono_ms();
    if (p->full && p->mode == ZK_PROXY_NFTABLES) {
        zk_proxy_skeleton(&script, &p->cfg);
        keys = json_object();
        zk_kube_informer_each(p->svcs, collect, keys);
    } else if (p->full) {
        keys = json_object();
        zk_kube_informer_each(p->svcs, collect, keys);
    } else {
        keys = p->dirty;
        p->dirty = json_object();
    }
    p->full = false;
    json_object_clear(p->dirty);
    size_t n = json_object_size(keys), i = 0;
    json_t **from = zk_xcalloc(n ? n : 1, sizeof(*from));
    json_t **to = zk_xcalloc(n ? n : 1, sizeof(*to));
    p->pending = json_object();
    const char *k;
    json_t *v;
    p->pending_ct = json_array();
    json_object_foreach(keys, k, v) {
        from[i] = p->pending_full ? NULL : json_object_get(p->state, k);
        to[i] = want(p, k);
        json_object_set(p->pending, k, to[i] ? to[i] : json_null());
        /* against what was written before, also when all is written again;
         * not on the first write after start: what an earlier run left is
         * unknown, and live flows are not cut on a guess */
        if (p->stats.synced)
            zk_proxy_conntrack(json_object_get(p->state, k), to[i], p->pending_ct);
        i++;
    }
    if (p->mode == ZK_PROXY_NFTABLES)
        zk_proxy_diff(&script, &p->cfg, from, to, n);
    else if (!p->pending_full)
        zk_proxy_ipt_diff(&script, &p->cfg, from, to, n);
    for (i = 0; i < n; i++)
        json_decref(to[i]);
    free(from);
    free(to);
    json_decref(keys);
    if (script.len == 0 && !p->pending_full) {
        /* nothing to change (a status-only update, say) */
        p->exit_status = 0;
        p->term_signal = 0;
        p->started_ms = zk_mono_ms();
        zk_buf_free(&script);
        run_finish(p);
        return;
    }
    if (p->pending_full && p->mode == ZK_PROXY_IPTABLES) {
        /* what an earlier run left decides what the script deletes */
        zk_buf_free(&script);
        p->saving = true;
        char *argv[] = {p->ipt_save, NULL};
        run_child(p, argv, NULL, 0, true);
        return;
    }
    size_t len = 0;
    char *text = zk_buf_steal(&script, &len);
    zk_debug("proxy: %s input of %zu bytes (%s)", p->mode == ZK_PROXY_NFTABLES ? "nft" : "iptables-restore",
             len, p->pending_full ? "everything" : "changes");
    run_script(p, text, len);
}

static void schedule(zk_proxy *p, uint64_t delay_ms)
{
    if (p->running || p->stopping)
        return;   /* run_finish looks at the dirty set */
    if (uv_is_active((uv_handle_t *)&p->timer) && delay_ms > 0)
        return;
    uv_timer_start(&p->timer, run, delay_ms, 0);
}

/* ---- the host ---- */

static void sysctl_on(const char *path, const char *why)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "1", 1) != 1)
        zk_warn("proxy: cannot set %s (%s): %s", path, why, strerror(errno));
    if (fd >= 0)
        close(fd);
}

/* Whether prog runs: a path that is executable, or a name found on PATH. */
static bool on_path(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        char file[4096];
        if (n && snprintf(file, sizeof(file), "%.*s/%s", (int)n, path, prog) < (int)sizeof(file) &&
            access(file, X_OK) == 0)
            return true;
        path += n + (end ? 1 : 0);
    }
    return false;
}

/* Run argv; in (may be NULL) is its stdin, its stdout goes to out (may be
 * NULL: dropped), stderr is dropped. Blocks; returns the exit status, or
 * -1 when it could not run or was killed. */
static int run_sync(char *const *argv, const char *in, size_t inlen, zk_buf *out)
{
    int pin[2] = {-1, -1}, pout[2] = {-1, -1};
    if ((in && pipe2(pin, O_CLOEXEC) < 0) || (out && pipe2(pout, O_CLOEXEC) < 0)) {
        if (pin[0] >= 0) {
            close(pin[0]);
            close(pin[1]);
        }
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in)
        posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out)
        posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (in)
        close(pin[0]);
    if (out)
        close(pout[1]);
    if (rc == 0 && in) {
        /* a closed pipe is an error here, not a signal */
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        for (size_t off = 0; off < inlen;) {
            ssize_t w = write(pin[1], in + off, inlen - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        signal(SIGPIPE, old);
    }
    if (in)
        close(pin[1]);
    if (rc == 0 && out) {
        char chunk[8192];
        for (;;) {
            ssize_t r = read(pout[0], chunk, sizeof(chunk));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            zk_buf_append(out, chunk, (size_t)r);
        }
    }
    if (out)
        close(pout[0]);
    if (rc != 0)
        return -1;
    int st = -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Remove the iptables chains of prefix and the jumps to them; true if
 * there were any and they went. */
static bool ipt_remove(const char *save, const char *restore, const char *prefix)
{
    zk_buf out;
    zk_buf_init(&out, ZK_PROXY_SCRIPT_MAX);
    char *argv_save[] = {(char *)save, NULL};
    bool done = false;
    if (on_path(save) && run_sync(argv_save, NULL, 0, &out) == 0) {
        json_t *seen = zk_proxy_ipt_seen(out.data ? out.data : "", out.len, prefix);
        zk_buf_reset(&out);
        zk_proxy_ipt_cleanup(&out, seen);
        json_decref(seen);
        char *argv_restore[] = {(char *)restore, "-w", "5", "--noflush", NULL};
        if (out.len)
            done = run_sync(argv_restore, out.data, out.len, NULL) == 0;
    }
    zk_buf_free(&out);
    return done;
}

static bool nft_remove(const char *nft, const char *table)
{
    char *argv[] = {(char *)nft, "delete", "table", "ip", (char *)table, NULL};
    return on_path(nft) && run_sync(argv, NULL, 0, NULL) == 0;
}

int zk_proxy_remove_host_rules(const char *table)
{
    char prefix[ZK_PROXY_PREFIX_SIZE];
    zk_proxy_ipt_prefix(table, prefix);
    return (int)nft_remove("nft", table) +
           (int)ipt_remove("iptables-save", "iptables-restore", prefix);
}

const char *zk_proxy_mode_name(zk_proxy_mode m)
{
    return m == ZK_PROXY_IPTABLES ? "iptables" : "nftables";
}

zk_proxy_mode zk_proxy_get_mode(const zk_proxy *p) { return p->mode; }

/* ---- life ---- */

zk_proxy *zk_proxy_new(zk_kube_client *c, const zk_proxy_opts *o, zk_err *err)
{
    const char *table = o && o->table ? o->table : "zke";
    if (!zk_proxy_table_name_ok(table)) {
        zk_err_set(err, ZK_EINVAL,
                   "proxy: table name %.80s: use up to 64 letters, digits, '-', '_' or '.', "
                   "starting with a letter",
                   table);
        return NULL;
    }
    const char *nft = o && o->nft ? o->nft : "nft";
    const char *restore = o && o->iptables_restore ? o->iptables_restore : "iptables-restore";
    const char *save = o && o->iptables_save ? o->iptables_save : "iptables-save";
    const char *m = o && o->mode ? o->mode : "auto";
    zk_proxy_mode mode;
    if (!strcmp(m, "nftables")) {
        mode = ZK_PROXY_NFTABLES;
    } else if (!strcmp(m, "iptables")) {
        mode = ZK_PROXY_IPTABLES;
    } else if (!strcmp(m, "auto")) {
        if (on_path(nft)) {
            mode = ZK_PROXY_NFTABLES;
        } else if (on_path(restore) && on_path(save)) {
            mode = ZK_PROXY_IPTABLES;
        } else {
            zk_err_set(err, ZK_EINVAL,
                       "proxy: neither %s nor %s is on PATH: install nftables (or iptables) "
                       "for Services to work on this node",
                       nft, restore);
            return NULL;
        }
    } else {
        zk_err_set(err, ZK_EINVAL, "proxy: mode \"%.40s\": use nftables, iptables or auto", m);
        return NULL;
    }
    zk_proxy *p = zk_xcalloc(1, sizeof(*p));
    p->client = c;
    p->mode = mode;
    zk_proxy_ipt_prefix(table, p->prefix);
    p->ipt_restore = zk_xstrdup(restore);
    p->ipt_save = zk_xstrdup(save);
    p->loop = zk_kube_client_loop(c);
    p->table = zk_xstrdup(table);
    p->cluster_cidr = zk_xstrdup(o && o->cluster_cidr ? o->cluster_cidr : "10.42.0.0/16");
    p->nft = zk_xstrdup(nft);
    p->cfg = (zk_proxy_cfg){.table = p->table, .cluster_cidr = p->cluster_cidr, .mode = mode,
                            .prefix = p->prefix};
    p->state = json_object();
    p->dirty = json_object();
    p->full = true;
    zk_buf_init(&p->errbuf, ZK_PROXY_STDERR_MAX + 1);
    zk_buf_init(&p->outbuf, ZK_PROXY_SCRIPT_MAX);
    uv_timer_init(p->loop, &p->timer);
    uv_timer_init(p->loop, &p->limit);
    p->timer.data = p->limit.data = p;
    p->svcs = zk_kube_informer_new(c, &zk_kube_services, NULL, NULL, NULL);
    p->slices = zk_kube_informer_new(c, &zk_kube_endpointslices, NULL, NULL, NULL);
    zk_kube_informer_add_index(p->slices, "svc", zk_proxy_slice_index);
    zk_kube_informer_on(p->svcs, &(zk_kube_handler){.add = svc_changed, .update = svc_updated,
                                                    .del = svc_changed, .ctx = p});
    zk_kube_informer_on(p->slices, &(zk_kube_handler){.add = slice_changed,
                                                      .update = slice_updated,
                                                      .del = slice_changed, .ctx = p});
    return p;
}

void zk_proxy_start(zk_proxy *p)
{
    /* node ports on 127.0.0.1 are DNATed out of the loopback device */
    sysctl_on("/proc/sys/net/ipv4/conf/all/route_localnet", "node ports on 127.0.0.1");
    /* pods on one bridge reach each other's Services: replies must pass
     * conntrack to be translated back */
    sysctl_on("/proc/sys/net/bridge/bridge-nf-call-iptables", "Services between pods of a bridge");
    sysctl_on("/proc/sys/net/ipv4/ip_forward", "pod traffic");
    zk_kube_informer_start(p->svcs);
    zk_kube_informer_start(p->slices);
    schedule(p, 0);
}

void zk_proxy_stop(zk_proxy *p, bool remove_rules)
{
    p->stopping = true;
    p->remove_rules = remove_rules;
    uv_timer_stop(&p->timer);
    if (remove_rules) {
        /* a clean stop: take the rules away (synchronously: the loop may
         * not run again) */
        bool gone = p->mode == ZK_PROXY_IPTABLES ? ipt_remove(p->ipt_save, p->ipt_restore, p->prefix)
                                                 : nft_remove(p->nft, p->table);
        if (gone)
            zk_info("proxy: %s rules of %s deleted", zk_proxy_mode_name(p->mode), p->table);
        else
            zk_debug("proxy: no %s rules of %s to delete", zk_proxy_mode_name(p->mode), p->table);
    }
    if (p->running)
        return;   /* run_finish closes the timers */
    p->handles = 2;
    uv_close((uv_handle_t *)&p->timer, timers_closed);
    uv_close((uv_handle_t *)&p->limit, timers_closed);
}

zk_kube_informer *zk_proxy_services(zk_proxy *p) { return p->svcs; }
zk_kube_informer *zk_proxy_slices(zk_proxy *p) { return p->slices; }

void zk_proxy_get_stats(const zk_proxy *p, zk_proxy_stats *s) { *s = p->stats; }
