/* zke: one binary, many subcommands. This file only dispatches. */
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

#ifdef ZK_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "admission/webhook.h"
#include "agent/agent.h"
#include "agent/shim.h"
#include "apiserver/server.h"
#include "base/mem.h"
#include "cli/image.h"
#include "cli/overcommit.h"
#include "cli/restart.h"
#include "cli/token.h"
#include "controllers/host.h"
#include "net/pki.h"
#include "scheduler/scheduler.h"
#include "sim/sim.h"

static int cmd_version(int argc, char **argv)
{
    printf("zke version v%s\n", ZK_VERSION);
#ifdef ZK_WITH_MIMALLOC
    int mv = mi_version();
    printf("allocator: mimalloc %d.%d.%d\n", mv / 100, mv / 10 % 10, mv % 10);
#else
    printf("allocator: libc\n");
#endif
    return 0;
}

/* The in-process scheduler shares the controllers' loop and informers. */
static zk_sched *embedded_sched;

static void sched_prepare(zk_kube_factory *f, void *ctx)
{
    embedded_sched = zk_sched_new(f, NULL);
}

static void *sched_start(zk_kube_factory *f, void *ctx)
{
    zk_sched_start(embedded_sched);
    return embedded_sched;
}

static void sched_pause(void *ctx, bool paused)
{
    zk_sched_pause(embedded_sched, paused);
}

/* The components `zke server` runs beside the API, each an API client with
 * its own certificate, on one thread with its own loop. */
/* The node agent of `zke server`: a thread with its own loop and a client
 * certificate as system:node:<name>. It needs root (mounts, network
 * namespaces, runc); without root the server says so and runs the
 * control plane alone. */
static int start_agent(const zk_apis_ready *r, zk_err *err)
{
    if (r->disable_agent)
        return 0;
    if (geteuid() != 0) {
        zk_warn("the node agent needs root (mounts, network namespaces, runc): not started; "
                "this server runs the control plane only");
        return 0;
    }
    char host[256] = "";
    if (r->node_name && r->node_name[0])
        snprintf(host, sizeof(host), "%s", r->node_name);
    else if (gethostname(host, sizeof(host) - 1) < 0)
        snprintf(host, sizeof(host), "localhost");
    /* a node name is a DNS subdomain: lower case, and '-' for the rest */
    for (char *p = host; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
            *p = '-';
    }
    zk_kube_config cfg = {0};
    char path[4096], cn[300];
    size_t len;
    snprintf(path, sizeof(path), "%s/ca.crt", r->pki_dir);
    snprintf(cn, sizeof(cn), "system:node:%s", host);
    const char *orgs[] = {"system:nodes"};
    if (zk_net_pki_read_file(path, 1 << 20, &cfg.ca_pem, &len, err) < 0 ||
        zk_net_pki_issue_client(r->pki_dir, cn, orgs, 1, &cfg.cert_pem, &cfg.key_pem, err) < 0) {
        zk_kube_config_free(&cfg);
        return zk_err_wrap(err, "node agent credentials");
    }
    cfg.server = zk_xstrdup(r->url);
    cfg.user_agent = zk_xstrdup("zke-agent/" ZK_VERSION);
    zk_agent_opts o = {.data_dir = r->data_dir, .node_name = host,
                       .dns_upstreams = r->dns_upstreams, .proxy_mode = r->proxy_mode};
    return zk_agent_start_thread(&o, &cfg, err);
}

static int start_components(const zk_apis_ready *r, zk_err *err)
{
    if (start_agent(r, err) < 0)
        return -1;
    if (r->disable_controller_manager && r->disable_scheduler)
        return 0;
    zk_kube_config cfg = {0};
    char path[4096];
    size_t len;
    snprintf(path, sizeof(path), "%s/ca.crt", r->pki_dir);
    if (zk_net_pki_read_file(path, 1 << 20, &cfg.ca_pem, &len, err) < 0 ||
        zk_net_pki_issue_client(r->pki_dir, "system:kube-controller-manager", NULL, 0,
                                &cfg.cert_pem, &cfg.key_pem, err) < 0) {
        zk_kube_config_free(&cfg);
        return zk_err_wrap(err, "controller credentials");
    }
    cfg.server = zk_xstrdup(r->url);
    cfg.user_agent = zk_xstrdup("zke-controller-manager/" ZK_VERSION);
    /* the scheduler alone (controllers disabled, a `zke controller-manager`
     * elsewhere) leads on a lease of its own, as kube-scheduler does */
    zk_ctl_host_opts o = {.controllers = !r->disable_controller_manager,
                          .leader_elect = true,
                          .lease_name = r->disable_controller_manager ? "zke-scheduler"
                                                                      : "zke-controller-manager"};
    if (!r->disable_scheduler) {
        o.prepare_extra = sched_prepare;
        o.start_extra = sched_start;
        o.pause_extra = sched_pause;
    }
    return zk_ctl_host_start_thread(&o, &cfg, err);
}

static int cmd_server(int argc, char **argv)
{
    zk_apis_set_ready_hook(start_components);
    return zk_apis_server_main(argc, argv);
}

static int cmd_controller_manager(int argc, char **argv)
{
    zk_ctl_host_opts o = {.controllers = true, .lease_name = "zke-controller-manager"};
    return zk_ctl_host_main(argc, argv, &o, "controller-manager");
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke <command> [options]\n"
            "\n"
            "commands:\n"
            "  server    run the API server (and its store) on this machine\n"
            "  controller-manager  run the controllers against a cluster (--kubeconfig)\n"
            "  scheduler run the scheduler against a cluster (--kubeconfig)\n"
            "  agent     run a node agent that joins a cluster (--server, --token)\n"
            "  sim       simulated nodes for scale tests (like KWOK)\n"
            "  image     import and list the images of a node's image store\n"
            "  token     create a join token for node agents (token create)\n"
            "  node-cleanup  stop a stopped node's containers, remove its pod network\n"
            "  webhook   zke's policies as admission webhooks for other clusters\n"
            "  restart   restart many workloads, a few at a time (a BatchRestart)\n"
            "  overcommit report: limits, requests and usage per namespace and node\n"
            "  version   print the version\n"
            "\n"
            "Run 'zke <command> --help' for a command's options.\n");
}

/* libcurl brings GnuTLS in (through librtmp and libldap), and GnuTLS sets
 * itself up from a constructor as it loads: about 1 MiB of resident memory
 * in every long-running zke process, for a library zke never calls. GnuTLS
 * skips that when GNUTLS_NO_IMPLICIT_INIT is in the environment before it
 * loads (libldap still initialises it explicitly if it ever needs TLS), so
 * the long-running commands set it and run themselves again, once. If that
 * exec fails the command runs as it is. */
static void lighter_exec(char **argv)
{
    if (getenv("GNUTLS_NO_IMPLICIT_INIT") || getenv("ZKE_NO_REEXEC"))
        return;
    setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1);
    execv("/proc/self/exe", argv);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "agent") || !strcmp(argv[1], "server") ||
                      !strcmp(argv[1], "shim")))
        lighter_exec(argv);
#ifdef ZK_WITH_MIMALLOC
    /* Give freed memory back to the system at once: mimalloc otherwise
     * decommits lazily, on later allocations, so an idle server kept the
     * buffers of its last big LIST in its RSS. MIMALLOC_* variables still
     * override these defaults. */
    mi_option_set_default(mi_option_decommit_delay, 0);
    mi_option_set_default(mi_option_segment_decommit_delay, 0);
#endif
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"server", cmd_server},
        {"agent", zk_agent_main},
        {"ctty", zk_agent_ctty_main},
        {"controller-manager", cmd_controller_manager},
        {"scheduler", zk_sched_main},
        {"sim", zk_sim_main},
        {"version", cmd_version},
        {"image", zk_cli_image_main},
        {"token", zk_cli_token_main},
        {"shim", zk_agent_shim_main},
        {"node-cleanup", zk_agent_cleanup_main},
        {"webhook", zk_adm_webhook_main},
        {"restart", zk_cli_restart_main},
        {"overcommit", zk_cli_overcommit_main},
    };
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "zke: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
