/* zke sim: simulated nodes for scale tests, zke's counterpart of KWOK.
 *
 * `zke sim --kubeconfig F --nodes N` registers N Nodes that report Ready,
 * keeps their Leases fresh and plays the kubelet for the pods bound to
 * them, all through the standard Kubernetes API, so it works against zke
 * and against any cluster. docs/sim.md describes what is simulated. */
#ifndef ZK_SIM_SIM_H
#define ZK_SIM_SIM_H

#include <stdbool.h>

#include "base/err.h"

#define ZK_SIM_MAX_NAMED 64    /* --fail / --recover names in one run */

typedef struct zk_sim_opts {
    const char *kubeconfig;        /* NULL: $KUBECONFIG or ~/.kube/config */
    int nodes;                     /* 0: not given */
    const char *template_path;
    const char *prefix;            /* NULL: the template's generateName, else "sim-" */
    int lease_s;                   /* Lease renewal interval (10) */
    int status_s;                  /* Ready heartbeat interval (60) */
    int concurrency;               /* requests in flight (32) */
    int stats_s;                   /* seconds between statistics lines (60) */
    const char *fail[ZK_SIM_MAX_NAMED];
    int nfail;
    const char *recover[ZK_SIM_MAX_NAMED];
    int nrecover;
    bool delete_on_exit;
    bool help;
} zk_sim_opts;

/* Parse the command line (argv[0] is "sim"). -ZK_EINVAL with a message
 * for a bad option or value; opts->help set for --help. */
int zk_sim_opts_parse(int argc, char **argv, zk_sim_opts *opts, zk_err *err);

/* `zke sim ...`: runs until SIGINT/SIGTERM (exit 0), or, given only
 * --fail/--recover, marks those nodes and exits. */
int zk_sim_main(int argc, char **argv);

#endif
