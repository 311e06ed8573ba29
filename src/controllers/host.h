/* zke controllers: running controllers (and other informer-driven
 * components such as the scheduler) in a thread of `zke server` or as a
 * command against any cluster. */
#ifndef ZK_CTL_HOST_H
#define ZK_CTL_HOST_H

#include <stdbool.h>

#include "base/err.h"
#include "kube/client.h"
#include "kube/informer.h"

typedef struct zk_ctl_host_opts {
    bool controllers;      /* run the built-in controllers */
    const char *disabled;  /* comma-separated controller names not to run */
    bool leader_elect;     /* only while holding the Lease lease_name */
    const char *lease_name;
    /* Another component on the same loop and shared informers: prepare
     * registers its informers (before they start), start runs it once this
     * process leads. */
    void (*prepare_extra)(zk_kube_factory *f, void *ctx);
    void *(*start_extra)(zk_kube_factory *f, void *ctx);
    /* leadership lost (paused) or won again */
    void (*pause_extra)(void *ctx, bool paused);
    void *extra_ctx;
} zk_ctl_host_opts;

/* Run in a new thread with its own loop; cfg's strings are taken over. */
int zk_ctl_host_start_thread(const zk_ctl_host_opts *o, const zk_kube_config *cfg, zk_err *err);

/* A command: parse --kubeconfig, --leader-elect, --disable; run until
 * SIGINT/SIGTERM. cmd names it in messages ("controller-manager"). */
int zk_ctl_host_main(int argc, char **argv, const zk_ctl_host_opts *defaults, const char *cmd);

#endif
