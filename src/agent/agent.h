/* zke agent: the node agent — kubelet and container engine in one.
 *
 * It registers a Node, renews its Lease, and runs the pods bound to it as
 * real containers: a network namespace per pod wired by the CNI plugins,
 * images from the node's store (pulled on demand), an overlayfs root per
 * container, and one detached `zke shim` per container run, so the agent
 * may restart without touching what runs. See docs/agent.md. */
#ifndef ZK_AGENT_AGENT_H
#define ZK_AGENT_AGENT_H

#include <stdbool.h>

#include "base/err.h"
#include "kube/client.h"

typedef struct zk_agent_opts {
    const char *data_dir;        /* images, pods, logs, runtime state */
    const char *node_name;       /* NULL: the host name */
    const char *node_ip;         /* NULL: the first non-loopback IPv4 address */
    const char *runtime;         /* NULL: "runc" */
    const char *cni_bin;         /* NULL: ZK_CNI_DEFAULT_PATH */
    const char *bridge;          /* NULL: "zke" + a hash of the node name */
    const char *reserved_cpu;    /* system reservation, e.g. "100m"; NULL: none */
    const char *reserved_memory; /* e.g. "256Mi"; NULL: none */
    int max_pods;                /* 0: 110 */
    const char *zke_bin;         /* the binary that runs `zke shim`; NULL: /proc/self/exe */
    /* image GC: used disk percents that start and end it, and the age an
     * image must have; image_gc_set false: 85, 80, 2 min */
    bool image_gc_set;
    /* how often ConfigMaps and Secrets that running pods mount are read
     * again (the kubelet's --sync-frequency); 0: 60 s */
    int64_t sync_frequency_s;
    int image_gc_high, image_gc_low;
    int64_t image_gc_min_age_s;
    /* Service networking: no nft rules and no cluster DNS when disabled */
    bool disable_proxy;
    int dns_port;                /* 0: 53 */
    const char *dns_upstreams;   /* "IP[:PORT],..."; NULL: the host's resolv.conf */
    const char *proxy_mode;      /* "nftables", "iptables" or "auto" (NULL) */
} zk_agent_opts;

/* Run the agent in a new thread with its own loop (inside `zke server`).
 * The strings of o are copied; cfg's are taken over. */
int zk_agent_start_thread(const zk_agent_opts *o, const zk_kube_config *cfg, zk_err *err);

/* `zke ctty PROGRAM ...`: PROGRAM with stdin as its controlling terminal
 * (the agent's exec -t runs runc through it). */
int zk_agent_ctty_main(int argc, char **argv);

/* `zke node-cleanup`: stop a stopped agent's containers and remove its pod
 * network (cleanup.c). */
int zk_agent_cleanup_main(int argc, char **argv);

/* `zke agent`: the standalone command. */
int zk_agent_main(int argc, char **argv);

#endif
