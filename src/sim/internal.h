/* zke sim: state shared by the files of the running sim (sim.c, calls.c,
 * nodes.c, pods.c). Everything runs on one libuv loop thread. */
#ifndef ZK_SIM_INTERNAL_H
#define ZK_SIM_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/map.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/workqueue.h"
#include "sim/ipam.h"
#include "sim/sim.h"

enum { ZK_SIM_NODE_NEW, ZK_SIM_NODE_REGISTERING, ZK_SIM_NODE_READY, ZK_SIM_NODE_GONE };

typedef struct zk_sim_node {
    char *name;
    uint32_t index;
    char ip[20];           /* InternalIP */
    char *uid;
    char cidr[48];         /* spec.podCIDR the pool hands addresses of */
    zk_sim_ipam pool;      /* pod addresses */
    int state;
    bool adopt;            /* it existed: take it over instead of creating it */
    bool failed;           /* annotation zke.io/sim-heartbeat: stopped */
    bool lease_busy, status_busy;
    bool status_wanted;    /* push the Ready heartbeat at the next chance */
    bool status_full;      /* ... with the whole status: capacity, addresses, nodeInfo */
    int retries;
} zk_sim_node;

typedef struct zk_sim_call zk_sim_call;

typedef struct zk_sim_stats {
    uint64_t leases, lease_errors, lease_late, heartbeats, heartbeat_errors;
    uint64_t pods_started, pod_updates, pods_ended, pods_deleted, pod_errors;
} zk_sim_stats;

typedef struct zk_sim {
    zk_sim_opts opts;
    uv_loop_t loop;
    zk_kube_client *client;
    json_t *tmpl;
    const char *prefix;
    int lease_duration_s;

    zk_sim_node *nodes;
    size_t nnodes;
    zk_map *by_name;       /* name -> zk_sim_node* */
    size_t registered, created, adopted;
    uint64_t reg_started_ms;
    bool announced;        /* "N nodes ready" printed */
    size_t marks_pending;  /* --fail/--recover annotations on their way */

    zk_kube_informer *node_inf, *pod_inf;
    zk_kube_queue *nodeq, *podq;
    zk_map *allocs;        /* pod uid -> zk_sim_alloc* */

    /* bounded requests: at most max_inflight at once, the rest wait in a
     * FIFO per priority: Lease renewals, node work, pods (calls.c) */
    int inflight, max_inflight;
    uint64_t picks;
    zk_sim_call *fifo_head[3], *fifo_tail[3];
    zk_sim_call *live;
    uv_idle_t pump_idle;

    uint64_t warn_window_ms;
    int warn_count, warn_dropped;

    uv_timer_t tick;
    uint64_t t0_ms, lease_done, status_done, last_progress_ms, last_stats_ms;
    zk_sim_stats stats, stats_prev;

    uv_signal_t sigint, sigterm;
    uv_timer_t guard;      /* bounds a --delete-nodes-on-exit */
    bool stopping;
    size_t deleting;
    int exit_code;
} zk_sim;

/* ---- calls.c: requests through the bound ---- */

/* Lease renewals; registration and Ready heartbeats; pods */
enum { ZK_SIM_PRIO_BEAT = 0, ZK_SIM_PRIO_NODE = 1, ZK_SIM_PRIO_POD = 2, ZK_SIM_PRIOS = 3 };

/* Send a request when a slot is free. body is taken (decref'd when sent);
 * ctx_free, when not NULL, frees ctx if the sim stops before done runs. */
void zk_sim__call(zk_sim *s, int prio, const char *method, const char *path, json_t *body,
                  const char *content_type, zk_kube_done_fn done, void *ctx,
                  void (*ctx_free)(void *));
void zk_sim__calls_init(zk_sim *s);
/* Drop every request queued or in flight (their callbacks do not run). */
void zk_sim__calls_free(zk_sim *s);
/* A transient failure worth a retry: no answer, 429, 5xx. */
bool zk_sim__retryable(const zk_kube_result *r);

/* ---- nodes.c ---- */

int zk_sim__nodes_init(zk_sim *s, zk_err *err);
/* Register or adopt every node (after the node informer synced). */
void zk_sim__nodes_start(zk_sim *s);
/* The periodic work: Lease renewals and Ready heartbeats, spread evenly. */
void zk_sim__nodes_tick(zk_sim *s, uint64_t now_ms);
void zk_sim__nodes_free(zk_sim *s);
zk_sim_node *zk_sim__node(zk_sim *s, const char *name);
/* The renewal of one node's Lease (creating it when missing). */
void zk_sim__lease_renew(zk_sim *s, zk_sim_node *n);

/* ---- sim.c ---- */

/* A fatal error: print it and stop with exit code 1. */
void zk_sim__fatal(zk_sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning, at most 10 every 10 s (at 5,000 nodes one cause can fail
 * thousands of requests); the rest are counted in the next one. */
void zk_sim__warn(zk_sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line for people and tests on stdout, flushed. */
void zk_sim__say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Every node is registered: say so and start driving pods. */
void zk_sim__nodes_ready(zk_sim *s);
int64_t zk_sim__wall_ms(void);

/* ---- pods.c ---- */

void zk_sim__pods_init(zk_sim *s);
void zk_sim__pods_start(zk_sim *s);
/* Look at every pod of node n again (it came back or registered). */
void zk_sim__pods_requeue_node(zk_sim *s, zk_sim_node *n);
void zk_sim__pods_free(zk_sim *s);

#endif
