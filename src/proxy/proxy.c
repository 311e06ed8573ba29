/* zke proxy: keeps the node's nftables table equal to Services and their
 * EndpointSlices (see proxy.h for the contract, rules.h for the table). */
#include "proxy/proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
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
    char *table, *cluster_cidr, *nft;
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
    uv_process_t proc;
    uv_pipe_t in, err;
    uv_write_t wreq;
    char *script;
    size_t script_len;
    zk_buf errbuf;
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
    zk_warn("proxy: nft ran for %d s; killing it", ZK_PROXY_NFT_TIMEOUT_MS / 1000);
    uv_process_kill(&p->proc, SIGKILL);
}

static void on_written(uv_write_t *w, int status)
{
    zk_proxy *p = w->data;
    if (status < 0)
        zk_warn("proxy: writing the rules to nft: %s", uv_strerror(status));
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
    free(p->table);
    free(p->cluster_cidr);
    free(p->nft);
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

static void run_finish(zk_proxy *p)
{
    p->running = false;
    uint64_t took = zk_mono_ms() - p->started_ms;
    bool ok = p->exit_status == 0 && p->term_signal == 0;
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
                zk_info("proxy: table ip %s written: %zu Services (%llu ms)", p->table,
                        json_object_size(p->state), (unsigned long long)took);
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
        zk_warn("proxy: nft failed (exit %lld%s%s): %.*s", (long long)p->exit_status,
                p->term_signal ? ", signal " : "", p->term_signal ? strsignal(p->term_signal) : "",
                (int)(n > 1500 ? 1500 : n), p->errbuf.data ? p->errbuf.data : "");
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

/* Start nft with script on stdin (taken). */
static void run_nft(zk_proxy *p, char *script, size_t len)
{
    p->running = true;
    p->started_ms = zk_mono_ms();
    p->script = script;
    p->script_len = len;
    p->exit_status = -1;
    p->term_signal = 0;
    uv_pipe_init(p->loop, &p->in, 0);
    uv_pipe_init(p->loop, &p->err, 0);
    p->in.data = p->err.data = p->proc.data = p;
    uv_stdio_container_t io[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&p->in},
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->err},
    };
    char *argv[] = {p->nft, "-f", "-", NULL};
    uv_process_options_t o = {.file = p->nft, .args = argv, .exit_cb = on_exit_cb,
                              .stdio_count = 3, .stdio = io};
    int rc = uv_spawn(p->loop, &p->proc, &o);
    p->handles = 3;
    if (rc < 0) {
        zk_buf_printf(&p->errbuf, "cannot start %s: %s", p->nft, uv_strerror(rc));
        free(p->script);
        p->script = NULL;
        p->exit_status = 127;
        uv_close((uv_handle_t *)&p->proc, on_handle_closed);
        uv_close((uv_handle_t *)&p->in, on_handle_closed);
        uv_close((uv_handle_t *)&p->err, on_handle_closed);
        return;
    }
    uv_timer_start(&p->limit, on_limit, ZK_PROXY_NFT_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&p->err, on_alloc, on_err_read);
    uv_buf_t b = uv_buf_init(p->script, (unsigned)p->script_len);
    p->wreq.data = p;
    rc = uv_write(&p->wreq, (uv_stream_t *)&p->in, &b, 1, on_written);
    if (rc < 0) {
        zk_buf_printf(&p->errbuf, "writing to nft: %s", uv_strerror(rc));
        free(p->script);
        p->script = NULL;
        uv_close((uv_handle_t *)&p->in, on_handle_closed);
    }
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
    if (p->full) {
        zk_proxy_skeleton(&script, &p->cfg);
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
    zk_proxy_diff(&script, &p->cfg, from, to, n);
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
    size_t len = 0;
    char *text = zk_buf_steal(&script, &len);
    zk_debug("proxy: nft script of %zu bytes (%s)", len, p->pending_full ? "whole table" : "changes");
    run_nft(p, text, len);
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
    zk_proxy *p = zk_xcalloc(1, sizeof(*p));
    p->client = c;
    p->loop = zk_kube_client_loop(c);
    p->table = zk_xstrdup(table);
    p->cluster_cidr = zk_xstrdup(o && o->cluster_cidr ? o->cluster_cidr : "10.42.0.0/16");
    p->nft = zk_xstrdup(o && o->nft ? o->nft : "nft");
    p->cfg = (zk_proxy_cfg){.table = p->table, .cluster_cidr = p->cluster_cidr};
    p->state = json_object();
    p->dirty = json_object();
    p->full = true;
    zk_buf_init(&p->errbuf, ZK_PROXY_STDERR_MAX + 1);
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
        /* a clean stop: take the table away (synchronously: the loop may
         * not run again) */
        char *argv[] = {p->nft, "delete", "table", "ip", p->table, NULL};
        pid_t pid;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        int st = -1;
        if (posix_spawnp(&pid, p->nft, &fa, NULL, argv, environ) == 0)
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        posix_spawn_file_actions_destroy(&fa);
        if (st != 0)
            zk_debug("proxy: no table %s to delete", p->table);
        else
            zk_info("proxy: table ip %s deleted", p->table);
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
