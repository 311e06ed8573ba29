/* zke controllers: where the controllers run — a thread of `zke server`,
 * or `zke controller-manager --kubeconfig F` against any cluster. Either
 * way: one libuv loop, one client, shared informers, leader election on a
 * Lease so that two processes never run the same controllers. */
#include "controllers/host.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "controllers/ctl.h"
#include "kube/leader.h"

typedef struct zk_host {
    zk_ctl_host_opts o;
    zk_kube_config cfg;
    uv_loop_t loop;
    zk_kube_client *client;
    zk_kube_factory *factory;
    zk_ctl_mgr *mgr;
    zk_kube_leader *leader;
    void *extra;           /* what o.start_extra returned */
    bool started;
} zk_host;

static void on_lead(void *ctx)
{
    zk_host *h = ctx;
    if (h->started) {
        zk_ctl_mgr_pause(h->mgr, false);
        if (h->o.pause_extra)
            h->o.pause_extra(h->o.extra_ctx, false);
        return;
    }
    h->started = true;
    zk_ctl_mgr_start(h->mgr);
    if (h->o.start_extra)
        h->extra = h->o.start_extra(h->factory, h->o.extra_ctx);
}

static void on_lose(void *ctx)
{
    zk_host *h = ctx;
    /* another process leads now: stop acting until we lead again */
    zk_ctl_mgr_pause(h->mgr, true);
    if (h->o.pause_extra)
        h->o.pause_extra(h->o.extra_ctx, true);
}

static int host_init(zk_host *h, zk_err *err)
{
    uv_loop_init(&h->loop);
    h->client = zk_kube_client_new(&h->loop, &h->cfg, err);
    if (!h->client)
        return -1;
    zk_kube_client_set_max_inflight(h->client, 64);
    h->factory = zk_kube_factory_new(h->client);
    h->mgr = zk_ctl_mgr_new(h->factory);
    if (h->o.controllers)
        zk_ctl_mgr_add_all(h->mgr, h->o.disabled);
    if (h->o.prepare_extra)
        h->o.prepare_extra(h->factory, h->o.extra_ctx);
    if (h->o.leader_elect) {
        char host[128] = "zke";
        gethostname(host, sizeof(host) - 1);
        char id[256];
        snprintf(id, sizeof(id), "%s_%d_%p", host, (int)getpid(), (void *)h);
        zk_kube_leader_opts lo = {.ns = "kube-system",
                                  .name = h->o.lease_name ? h->o.lease_name
                                                          : "zke-controller-manager",
                                  .identity = id,
                                  .on_start = on_lead,
                                  .on_stop = on_lose,
                                  .ctx = h};
        h->leader = zk_kube_leader_start(h->client, &lo);
    } else {
        on_lead(h);
    }
    return 0;
}

static void *host_thread(void *arg)
{
    zk_host *h = arg;
    uv_run(&h->loop, UV_RUN_DEFAULT);
    return NULL;
}

int zk_ctl_host_start_thread(const zk_ctl_host_opts *o, const zk_kube_config *cfg, zk_err *err)
{
    zk_host *h = zk_xcalloc(1, sizeof(*h));
    h->o = *o;
    h->cfg = *cfg;   /* takes the strings */
    if (host_init(h, err) < 0)
        return -1;
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &a, host_thread, h);
    pthread_attr_destroy(&a);
    if (rc != 0)
        return zk_err_set(err, ZK_EINTERNAL, "controller thread: %s", strerror(rc));
    pthread_setname_np(t, "zke-controllers");
    return 0;
}

/* ---- `zke controller-manager` ---- */

static uv_signal_t sigint, sigterm;

static void on_release_wait(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void on_signal(uv_signal_t *s, int signum)
{
    zk_info("signal %d: stopping", signum);
    uv_stop(s->loop);
}

int zk_ctl_host_main(int argc, char **argv, const zk_ctl_host_opts *defaults, const char *cmd)
{
    static const struct option longopts[] = {
        {"kubeconfig", required_argument, NULL, 'k'},
        {"disable", required_argument, NULL, 'd'},
        {"leader-elect", required_argument, NULL, 'l'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    zk_ctl_host_opts o = *defaults;
    o.leader_elect = true;
    const char *kubeconfig = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'k': kubeconfig = optarg; break;
        case 'd': o.disabled = optarg; break;
        case 'l': o.leader_elect = strcmp(optarg, "false") != 0; break;
        case 'v':
            zk_log_set_level_name(optarg);
            break;
        case 'h':
            printf("usage: zke %s [--kubeconfig FILE] [--leader-elect true|false]%s\n", cmd,
                   o.controllers ? " [--disable NAME,...]" : "");
            return 0;
        default:
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    zk_host *h = zk_xcalloc(1, sizeof(*h));
    h->o = o;
    zk_err err = {0};
    if (zk_kube_config_load(kubeconfig, &h->cfg, &err) < 0 || host_init(h, &err) < 0) {
        fprintf(stderr, "zke %s: %s\n", cmd, err.msg);
        return 1;
    }
    uv_signal_init(&h->loop, &sigint);
    uv_signal_init(&h->loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    zk_info("%s: running against %s", cmd, h->cfg.server);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    /* release the lease so that another instance takes over at once */
    if (h->leader) {
        zk_kube_leader_free(h->leader);
        uv_timer_t t;
        uv_timer_init(&h->loop, &t);
        uv_timer_start(&t, on_release_wait, 1000, 0);
        uv_run(&h->loop, UV_RUN_DEFAULT);
    }
    return 0;
}
