/* `zke scheduler --kubeconfig FILE`: the scheduler as its own process,
 * against zke or any Kubernetes cluster. One loop, one client, the shared
 * informers, and leader election on a Lease in kube-system (named
 * "kube-scheduler" for the default scheduler, else after the scheduler)
 * so that two instances never both schedule. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "kube/leader.h"
#include "scheduler/scheduler.h"

typedef struct sched_main {
    zk_sched *s;
    bool led;
} sched_main;

static void on_lead(void *ctx)
{
    sched_main *m = ctx;
    if (!m->led) {
        m->led = true;
        zk_sched_start(m->s);
    } else {
        zk_sched_pause(m->s, false);
    }
}

static void on_lose(void *ctx)
{
    sched_main *m = ctx;
    zk_info("scheduler: lost the lease; waiting to lead again");
    zk_sched_pause(m->s, true);
}

static void on_signal(uv_signal_t *h, int signum)
{
    zk_info("scheduler: signal %d: stopping", signum);
    uv_stop(h->loop);
}

static void on_wait(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void close_cb(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke scheduler --kubeconfig FILE [options]\n"
            "\n"
            "  --kubeconfig FILE                 the cluster to schedule for\n"
            "  --scheduler-name NAME             pods with this spec.schedulerName "
            "(default-scheduler)\n"
            "  --percentage-of-nodes-to-score P  0 (adaptive, default) to 100\n"
            "  --leader-elect true|false         hold a Lease while scheduling (true)\n"
            "  --no-scheduled-events             do not write a Scheduled event per pod\n"
            "  --log-level debug|info|warn|error\n");
}

int zk_sched_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"kubeconfig", required_argument, NULL, 'k'},
        {"scheduler-name", required_argument, NULL, 'n'},
        {"percentage-of-nodes-to-score", required_argument, NULL, 'p'},
        {"leader-elect", required_argument, NULL, 'l'},
        {"no-scheduled-events", no_argument, NULL, 'E'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *kubeconfig = NULL;
    zk_sched_opts so = {0};
    bool leader_elect = true;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'k': kubeconfig = optarg; break;
        case 'n': so.name = optarg; break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 100) {
                fprintf(stderr, "zke scheduler: --percentage-of-nodes-to-score: want 0..100\n");
                return 2;
            }
            so.percentage = (int)v;
            break;
        }
        case 'l': leader_elect = strcmp(optarg, "false") != 0; break;
        case 'E': so.no_scheduled_events = true; break;
        case 'v':
            zk_log_set_level_name(optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!kubeconfig) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    zk_err err = {0};
    zk_kube_config cfg = {0};
    if (zk_kube_config_load(kubeconfig, &cfg, &err) < 0) {
        fprintf(stderr, "zke scheduler: %s\n", err.msg);
        return 1;
    }
    if (!cfg.user_agent)
        cfg.user_agent = zk_xstrdup("zke-scheduler/" ZK_VERSION);
    uv_loop_t loop;
    uv_loop_init(&loop);
    zk_kube_client *client = zk_kube_client_new(&loop, &cfg, &err);
    if (!client) {
        fprintf(stderr, "zke scheduler: %s\n", err.msg);
        zk_kube_config_free(&cfg);
        return 1;
    }
    /* bindings are many small requests: keep enough of them in flight */
    zk_kube_client_set_max_inflight(client, 48);
    zk_kube_factory *f = zk_kube_factory_new(client);
    sched_main m = {.s = zk_sched_new(f, &so)};

    zk_kube_leader *leader = NULL;
    char id[256];
    if (leader_elect) {
        char host[128] = "zke";
        gethostname(host, sizeof(host) - 1);
        snprintf(id, sizeof(id), "%s_%d", host, (int)getpid());
        const char *name = so.name && strcmp(so.name, "default-scheduler") ? so.name
                                                                             : "kube-scheduler";
        zk_kube_leader_opts lo = {.ns = "kube-system", .name = name, .identity = id,
                                  .on_start = on_lead, .on_stop = on_lose, .ctx = &m};
        /* the caches fill while we wait for the lease */
        zk_kube_factory_start(f);
        leader = zk_kube_leader_start(client, &lo);
    } else {
        on_lead(&m);
    }
    uv_signal_t sigint, sigterm;
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    zk_info("scheduler: running against %s", cfg.server);
    uv_run(&loop, UV_RUN_DEFAULT);

    if (leader) {
        /* give the Lease back so another instance takes over at once */
        zk_kube_leader_free(leader);
        uv_timer_t t;
        uv_timer_init(&loop, &t);
        uv_timer_start(&t, on_wait, 1000, 0);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_close((uv_handle_t *)&t, NULL);
    }
    zk_sched_stats st;
    zk_sched_get_stats(m.s, &st);
    zk_info("scheduler: stopped: %llu scheduled, %llu attempts, %llu unschedulable attempts",
            (unsigned long long)st.scheduled, (unsigned long long)st.attempts,
            (unsigned long long)st.failures);
    zk_kube_factory_free(f);
    zk_kube_client_free(client);
    zk_sched_free(m.s);
    uv_close((uv_handle_t *)&sigint, NULL);
    uv_close((uv_handle_t *)&sigterm, NULL);
    uv_walk(&loop, close_cb, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    zk_kube_config_free(&cfg);
    return 0;
}
