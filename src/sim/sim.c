/* zke sim: the command — options, the loop, start-up and shutdown.
 *
 * Start-up runs in steps on the loop: the node informer lists the sim's
 * nodes (label zke.io/sim=true); the Lease namespace is made; nodes named
 * by --fail/--recover that exist get their annotation; then every node is
 * registered or taken over, and once all are, the pod informer starts. */
#include "sim/sim.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "sim/internal.h"
#include "sim/node.h"

#define TICK_MS 100

/* ---- options ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke sim --nodes N [options]\n"
            "       zke sim --fail NODE | --recover NODE ...\n"
            "\n"
            "Simulated nodes: registers N Ready nodes, keeps their Leases fresh and runs the\n"
            "pods bound to them on paper (Pending -> Running -> Ready). See docs/sim.md.\n"
            "\n"
            "  --kubeconfig FILE         cluster to join (default $KUBECONFIG, ~/.kube/config)\n"
            "  --nodes N                 nodes to run, 1-%u\n"
            "  --node-template FILE      a Node (YAML/JSON) whose labels, taints, capacity ...\n"
            "                            every node gets\n"
            "  --prefix P                node names P0..P<N-1> (default: the template's\n"
            "                            generateName, else \"sim-\")\n"
            "  --lease-seconds S         Lease renewal interval (default 10)\n"
            "  --node-status-seconds S   Ready heartbeat interval (default 60)\n"
            "  --concurrency N           requests in flight at most, 1-512 (default 32)\n"
            "  --stats-seconds S         seconds between statistics lines on stderr (60)\n"
            "  --fail NODE               stop NODE's heartbeat (annotation "
            ZK_SIM_HEARTBEAT_ANNOTATION "=stopped);\n"
            "                            without --nodes: mark it and exit\n"
            "  --recover NODE            resume NODE's heartbeat (remove the annotation)\n"
            "  --delete-nodes-on-exit    delete the nodes on SIGINT/SIGTERM (default: keep)\n"
            "  --log-level LEVEL         debug, info, warn or error\n",
            ZK_SIM_MAX_NODES);
}

static int int_arg(const char *name, const char *v, int lo, int hi, int *out, zk_err *err)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!v[0] || *end || x < lo || x > hi)
        return zk_err_set(err, ZK_EINVAL, "%s wants a number from %d to %d, not '%s'", name, lo,
                          hi, v);
    *out = (int)x;
    return 0;
}

int zk_sim_opts_parse(int argc, char **argv, zk_sim_opts *o, zk_err *err)
{
    static const struct option longopts[] = {
        {"kubeconfig", required_argument, NULL, 'k'},
        {"nodes", required_argument, NULL, 'n'},
        {"node-template", required_argument, NULL, 't'},
        {"prefix", required_argument, NULL, 'p'},
        {"lease-seconds", required_argument, NULL, 'L'},
        {"node-status-seconds", required_argument, NULL, 'S'},
        {"concurrency", required_argument, NULL, 'c'},
        {"stats-seconds", required_argument, NULL, 's'},
        {"fail", required_argument, NULL, 'f'},
        {"recover", required_argument, NULL, 'r'},
        {"delete-nodes-on-exit", no_argument, NULL, 'D'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->lease_s = 10;
    o->status_s = 60;
    o->concurrency = 32;
    o->stats_s = 60;
    int ch;
    optind = 0;   /* glibc: 0 starts a fresh scan (a test parses many times) */
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'k': o->kubeconfig = optarg; break;
        case 'n':
            if (int_arg("--nodes", optarg, 1, (int)ZK_SIM_MAX_NODES, &o->nodes, err) < 0)
                return -ZK_EINVAL;
            break;
        case 't': o->template_path = optarg; break;
        case 'p':
            if (!optarg[0] || strlen(optarg) > 200)
                return zk_err_set(err, ZK_EINVAL, "--prefix wants 1-200 characters");
            o->prefix = optarg;
            break;
        case 'L':
            if (int_arg("--lease-seconds", optarg, 1, 3600, &o->lease_s, err) < 0)
                return -ZK_EINVAL;
            break;
        case 'S':
            if (int_arg("--node-status-seconds", optarg, 1, 3600, &o->status_s, err) < 0)
                return -ZK_EINVAL;
            break;
        case 'c':
            if (int_arg("--concurrency", optarg, 1, 512, &o->concurrency, err) < 0)
                return -ZK_EINVAL;
            break;
        case 's':
            if (int_arg("--stats-seconds", optarg, 1, 3600, &o->stats_s, err) < 0)
                return -ZK_EINVAL;
            break;
        case 'f':
        case 'r': {
            const char **list = ch == 'f' ? o->fail : o->recover;
            int *n = ch == 'f' ? &o->nfail : &o->nrecover;
            if (*n == ZK_SIM_MAX_NAMED)
                return zk_err_set(err, ZK_EINVAL, "at most %d --%s nodes at once",
                                  ZK_SIM_MAX_NAMED, ch == 'f' ? "fail" : "recover");
            if (!optarg[0])
                return zk_err_set(err, ZK_EINVAL, "--%s wants a node name",
                                  ch == 'f' ? "fail" : "recover");
            list[(*n)++] = optarg;
            break;
        }
        case 'D': o->delete_on_exit = true; break;
        case 'l':
            if (!strcmp(optarg, "debug"))
                zk_log_set_level(ZK_LOG_DEBUG);
            else if (!strcmp(optarg, "info"))
                zk_log_set_level(ZK_LOG_INFO);
            else if (!strcmp(optarg, "warn"))
                zk_log_set_level(ZK_LOG_WARN);
            else if (!strcmp(optarg, "error"))
                zk_log_set_level(ZK_LOG_ERROR);
            else
                return zk_err_set(err, ZK_EINVAL,
                                  "--log-level must be debug, info, warn or error");
            break;
        case 'h': o->help = true; return 0;
        case ':':
            return zk_err_set(err, ZK_EINVAL, "%s wants a value", argv[optind - 1]);
        default:
            return zk_err_set(err, ZK_EINVAL, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return zk_err_set(err, ZK_EINVAL, "unexpected argument '%s'", argv[optind]);
    for (int i = 0; i < o->nfail; i++)
        for (int j = 0; j < o->nrecover; j++)
            if (!strcmp(o->fail[i], o->recover[j]))
                return zk_err_set(err, ZK_EINVAL, "node %s is both --fail and --recover",
                                  o->fail[i]);
    if (!o->nodes && !o->nfail && !o->nrecover)
        return zk_err_set(err, ZK_EINVAL, "--nodes N is required (or --fail/--recover NODE)");
    if (!o->nodes && (o->template_path || o->prefix || o->delete_on_exit))
        return zk_err_set(err, ZK_EINVAL,
                          "--node-template, --prefix and --delete-nodes-on-exit need --nodes");
    return 0;
}

/* ---- output ---- */

void zk_sim__say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

void zk_sim__warn(zk_sim *s, const char *fmt, ...)
{
    uint64_t now = zk_mono_ms();
    if (now - s->warn_window_ms >= 10000) {
        if (s->warn_dropped)
            zk_warn("sim: %d more warnings were not shown", s->warn_dropped);
        s->warn_window_ms = now;
        s->warn_count = 0;
        s->warn_dropped = 0;
    }
    if (s->warn_count >= 10) {
        s->warn_dropped++;
        return;
    }
    s->warn_count++;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    zk_warn("sim: %s", msg);
}

void zk_sim__fatal(zk_sim *s, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "zke sim: %s\n", msg);
    s->exit_code = 1;
    s->stopping = true;
    uv_stop(&s->loop);
}

/* ---- the tick ---- */

static void stats(zk_sim *s, uint64_t now)
{
    if (!s->last_stats_ms) {
        s->last_stats_ms = now;   /* the first line covers a whole interval */
        return;
    }
    if (now - s->last_stats_ms < (uint64_t)s->opts.stats_s * 1000)
        return;
    double secs = (double)(now - s->last_stats_ms) / 1000.0;
    zk_sim_stats *a = &s->stats, *b = &s->stats_prev;
    zk_info("sim: %.0f lease renewals/s (%llu failed, %llu late), %.1f heartbeats/s, "
            "pods: %llu started, %llu updated, %llu ended, %llu deleted, %llu failed "
            "requests; %d requests in flight",
            (double)(a->leases - b->leases) / secs,
            (unsigned long long)(a->lease_errors - b->lease_errors),
            (unsigned long long)(a->lease_late - b->lease_late),
            (double)(a->heartbeats - b->heartbeats) / secs,
            (unsigned long long)(a->pods_started - b->pods_started),
            (unsigned long long)(a->pod_updates - b->pod_updates),
            (unsigned long long)(a->pods_ended - b->pods_ended),
            (unsigned long long)(a->pods_deleted - b->pods_deleted),
            (unsigned long long)(a->pod_errors - b->pod_errors), s->inflight);
    s->stats_prev = s->stats;
    s->last_stats_ms = now;
}

static void on_tick(uv_timer_t *t)
{
    zk_sim *s = t->data;
    uint64_t now = zk_mono_ms();
    if (!s->announced && s->reg_started_ms && now - s->last_progress_ms >= 1000) {
        s->last_progress_ms = now;
        zk_sim__say("sim: registered %zu/%zu nodes", s->registered, s->nnodes);
    }
    zk_sim__nodes_tick(s, now);
    stats(s, now);
}

void zk_sim__nodes_ready(zk_sim *s)
{
    if (s->announced)
        return;
    s->announced = true;
    double secs = (double)(zk_mono_ms() - s->reg_started_ms) / 1000.0;
    zk_sim__say("sim: %zu nodes ready (%zu created, %zu taken over) in %.2f s", s->nnodes,
                s->created, s->adopted, secs);
    zk_sim__pods_start(s);
}

/* ---- start-up steps ---- */

static void start_marks(zk_sim *s);

typedef struct mark_ctx {
    zk_sim *s;
    char *name;
    bool stop;
} mark_ctx;

static void marks_done(zk_sim *s)
{
    if (s->opts.nodes)
        zk_sim__nodes_start(s);
    else
        uv_stop(&s->loop);
}

static void on_marked(void *ctx, const zk_kube_result *r)
{
    mark_ctx *m = ctx;
    zk_sim *s = m->s;
    if (r->status == 200) {
        if (s->node_inf && json_is_object(r->body))
            zk_kube_informer_observe(s->node_inf, r->body);
        if (!s->opts.nodes)
            zk_sim__say("sim: node %s: heartbeat %s", m->name, m->stop ? "stopped" : "resumed");
    } else if (r->status == 404 && s->opts.nodes) {
        /* registered later with the annotation */
    } else {
        fprintf(stderr, "zke sim: mark node %s: %d %s\n", m->name, r->status, r->error);
        s->exit_code = 1;
    }
    free(m->name);
    free(m);
    if (--s->marks_pending == 0 && !s->stopping)
        marks_done(s);
}

static void mark(zk_sim *s, const char *name, bool stop)
{
    json_t *patch = json_pack("{s:{s:{s:o}}}", "metadata", "annotations",
                              ZK_SIM_HEARTBEAT_ANNOTATION,
                              stop ? json_string("stopped") : json_null());
    char path[512];
    zk_kube_path(path, sizeof(path), &zk_kube_nodes, NULL, name, NULL, NULL);
    mark_ctx *m = zk_xcalloc(1, sizeof(*m));
    m->s = s;
    m->name = zk_xstrdup(name);
    m->stop = stop;
    s->marks_pending++;
    zk_sim__call(s, ZK_SIM_PRIO_NODE, "PATCH", path, patch, "application/merge-patch+json",
                 on_marked, m, NULL);
}

/* --fail / --recover: annotate the nodes that exist. With --nodes, only
 * those the informer knows (ours); new ones are created annotated. */
static void start_marks(zk_sim *s)
{
    s->marks_pending = 1;   /* held until every request is sent */
    for (int i = 0; i < s->opts.nfail; i++)
        if (!s->opts.nodes || zk_kube_informer_get(s->node_inf, NULL, s->opts.fail[i]))
            mark(s, s->opts.fail[i], true);
    for (int i = 0; i < s->opts.nrecover; i++)
        if (!s->opts.nodes || zk_kube_informer_get(s->node_inf, NULL, s->opts.recover[i]))
            mark(s, s->opts.recover[i], false);
    if (--s->marks_pending == 0)
        marks_done(s);
}

static void on_namespace(void *ctx, const zk_kube_result *r);

static void make_namespace(zk_sim *s)
{
    char path[256];
    zk_kube_path(path, sizeof(path), &zk_kube_namespaces, NULL, NULL, NULL, NULL);
    zk_sim__call(s, ZK_SIM_PRIO_NODE, "POST", path,
                 json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                           "metadata", "name", ZK_SIM_LEASE_NS),
                 NULL, on_namespace, s, NULL);
}

static void on_retry_namespace(uv_timer_t *t)
{
    zk_sim *s = t->data;
    uv_timer_stop(t);
    make_namespace(s);
}

static void on_namespace(void *ctx, const zk_kube_result *r)
{
    zk_sim *s = ctx;
    if (r->status == 201 || r->status == 409) {
        start_marks(s);
    } else if (zk_sim__retryable(r)) {
        zk_sim__warn(s, "create namespace %s: %d %s (retrying)", ZK_SIM_LEASE_NS, r->status,
                     r->error);
        uv_timer_start(&s->guard, on_retry_namespace, 1000, 0);
    } else {
        zk_sim__fatal(s, "create namespace %s: %d %s", ZK_SIM_LEASE_NS, r->status, r->error);
    }
}

static void on_sync_poll(uv_timer_t *t)
{
    zk_sim *s = t->data;
    if (!zk_kube_informer_synced(s->node_inf))
        return;
    uv_timer_stop(t);
    uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
    make_namespace(s);
}

/* ---- signals and shutdown ---- */

typedef struct del_ctx {
    zk_sim *s;
    zk_sim_node *n;
} del_ctx;

static void on_deleted(void *ctx, const zk_kube_result *r)
{
    del_ctx *d = ctx;
    zk_sim *s = d->s;
    if (r->status != 200 && r->status != 202 && r->status != 404)
        zk_sim__warn(s, "delete node %s: %d %s", d->n->name, r->status, r->error);
    free(d);
    if (--s->deleting == 0) {
        zk_sim__say("sim: nodes deleted");
        uv_stop(&s->loop);
    }
}

static void on_guard(uv_timer_t *t)
{
    zk_sim *s = t->data;
    zk_warn("sim: %zu node deletions did not finish in 30 s; exiting", s->deleting);
    uv_stop(&s->loop);
}

static void on_signal(uv_signal_t *h, int signum)
{
    zk_sim *s = h->data;
    if (s->stopping || !s->opts.delete_on_exit || !s->nnodes) {
        zk_sim__say("sim: signal %d, stopping", signum);
        s->stopping = true;
        uv_stop(&s->loop);
        return;
    }
    s->stopping = true;
    uv_timer_stop(&s->tick);
    zk_sim__say("sim: signal %d, deleting %zu nodes", signum, s->nnodes);
    for (size_t i = 0; i < s->nnodes; i++) {
        char path[512];
        zk_kube_path(path, sizeof(path), &zk_kube_nodes, NULL, s->nodes[i].name, NULL, NULL);
        del_ctx *d = zk_xmalloc(sizeof(*d));
        d->s = s;
        d->n = &s->nodes[i];
        s->deleting++;
        zk_sim__call(s, ZK_SIM_PRIO_NODE, "DELETE", path, NULL, NULL, on_deleted, d, free);
    }
    uv_timer_stop(&s->guard);
    uv_timer_start(&s->guard, on_guard, 30000, 0);
}

static void on_close(uv_handle_t *h)
{
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, on_close);
}

/* ---- main ---- */

static int run(zk_sim *s)
{
    zk_err err = {0};
    zk_kube_config cfg;
    if (zk_kube_config_load(s->opts.kubeconfig, &cfg, &err) < 0) {
        fprintf(stderr, "zke sim: %s\n", err.msg);
        return 1;
    }
    if (!cfg.user_agent)
        cfg.user_agent = zk_xstrdup("zke-sim/" ZK_VERSION);
    s->client = zk_kube_client_new(&s->loop, &cfg, &err);
    zk_kube_config_free(&cfg);
    if (!s->client) {
        fprintf(stderr, "zke sim: %s\n", err.msg);
        return 1;
    }
    s->max_inflight = s->opts.concurrency;
    /* the sim orders its requests itself: the client must not hold any back */
    zk_kube_client_set_max_inflight(s->client, s->max_inflight);
    zk_sim__calls_init(s);
    s->lease_duration_s = s->opts.lease_s * 4 > 40 ? s->opts.lease_s * 4 : 40;
    uv_timer_init(&s->loop, &s->tick);
    s->tick.data = s;
    uv_timer_init(&s->loop, &s->guard);
    s->guard.data = s;
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sigterm);
    s->sigint.data = s->sigterm.data = s;
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);

    if (!s->opts.nodes) {
        start_marks(s);
    } else {
        if (zk_sim__nodes_init(s, &err) < 0) {
            fprintf(stderr, "zke sim: %s\n", err.msg);
            return 1;
        }
        zk_sim__pods_init(s);
        zk_sim__say("sim: registering %zu nodes (%s0 .. %s%zu)", s->nnodes, s->prefix,
                    s->prefix, s->nnodes - 1);
        zk_kube_informer_start(s->node_inf);
        uv_timer_start(&s->guard, on_sync_poll, 20, 20);
    }
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return s->exit_code;
}

int zk_sim_main(int argc, char **argv)
{
    zk_sim *s = zk_xcalloc(1, sizeof(*s));
    zk_err err = {0};
    int rc = 0;
    if (zk_sim_opts_parse(argc, argv, &s->opts, &err) < 0) {
        fprintf(stderr, "zke sim: %s\n\n", err.msg);
        usage(stderr);
        free(s);
        return 2;
    }
    if (s->opts.help) {
        usage(stdout);
        free(s);
        return 0;
    }
    if (s->opts.template_path &&
        zk_sim_node_template_load(s->opts.template_path, &s->tmpl, &err) < 0) {
        fprintf(stderr, "zke sim: %s\n", err.msg);
        free(s);
        return 1;
    }
    s->prefix = s->opts.prefix ? s->opts.prefix
                : zk_sim_node_template_prefix(s->tmpl) ? zk_sim_node_template_prefix(s->tmpl)
                                                        : "sim-";
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&s->loop);
    rc = run(s);

    /* the client first: after it no request callback runs */
    zk_sim__pods_free(s);
    zk_sim__nodes_free(s);
    zk_kube_client_free(s->client);
    zk_sim__calls_free(s);
    uv_walk(&s->loop, close_walk, NULL);
    for (int i = 0; i < 100 && uv_run(&s->loop, UV_RUN_NOWAIT); i++)
        ;
    uv_loop_close(&s->loop);
    json_decref(s->tmpl);
    free(s);
    return rc;
}
