/* zke agent: state shared by the agent's files (not a public interface). */
#ifndef ZK_AGENT_INTERNAL_H
#define ZK_AGENT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "agent/agent.h"
#include "agent/images.h"
#include "agent/registries.h"
#include "base/map.h"
#include "kube/client.h"
#include "kube/informer.h"

#define ZK_AGENT_LEASE_NS "kube-node-lease"
#define ZK_AGENT_LEASE_S 40
#define ZK_AGENT_HEARTBEAT_MS 10000
#define ZK_AGENT_NAME_MAX 253
#define ZK_AGENT_CLUSTER_DOMAIN "cluster.local"
#define ZK_AGENT_CLUSTER_CIDR "10.42.0.0/16"

typedef struct zk_agent zk_agent;
typedef struct zk_apod zk_apod;
typedef struct zk_agent_tun zk_agent_tun;
typedef struct zk_tstream zk_tstream;
typedef struct zk_agent_gpus zk_agent_gpus;   /* gpu.h */

/* What the host has, read at start and refreshed with the node status. */
typedef struct zk_agent_host {
    int64_t cpu_milli;
    int64_t mem_bytes;
    int64_t mem_available;
    int64_t storage_bytes;
    int64_t storage_free;
    int64_t pids_max;
    int64_t pids_used;
    char hostname[256];
    char ip[64];
    char kernel[128];
    char os_image[256];
    char machine_id[64];
    char boot_id[64];
} zk_agent_host;

/* host.c */
void zk_agent_host_read(const char *data_dir, zk_agent_host *h);
json_t *zk_agent_node_build(zk_agent *a);
json_t *zk_agent_node_status(zk_agent *a, const json_t *cur);

/* One run of a container: a bundle directory c/<name>-<attempt>. */
typedef enum { ZK_CTR_NONE, ZK_CTR_STARTING, ZK_CTR_RUNNING, ZK_CTR_EXITED } zk_ctr_state;

typedef struct zk_ctr_run {
    zk_ctr_state state;
    int attempt;
    int64_t started_at, finished_at;
    int exit_code, signal;
    bool oom;
    char reason[48];          /* StartError, OOMKilled, Error, Completed */
    char message[512];
    char id[128];             /* the runtime's container id */
} zk_ctr_run;

/* One probe of a container run (probes.c). */
typedef struct zk_probe {
    uint64_t next_ms;          /* mono ms of the next try; 0: not yet planned */
    int ok_run, fail_run;      /* consecutive results */
    bool inflight;
    bool ok;                   /* the verdict so far (readiness: ready) */
    char last_error[256];
} zk_probe;

typedef struct zk_actr {
    char name[64];
    bool init;
    zk_ctr_run cur, last;      /* the latest run and the one before */
    int restarts;
    /* waiting: why it is not running (ContainerCreating, ErrImagePull,
     * ImagePullBackOff, CrashLoopBackOff, CreateContainerConfigError...) */
    char wait_reason[48];
    char wait_message[512];
    uint64_t backoff_until_ms; /* mono ms: no start before */
    int backoff_s;
    char image[512];           /* as the spec says */
    char image_id[700];        /* repo@sha256:... of what runs */
    bool ready;
    bool killing;              /* a stop was sent */
    bool respec;               /* its image changed: restart it, whatever the policy */
    bool poststart;            /* its postStart hook runs: not Running until it is done */
    zk_probe startup, liveness, readiness;
    bool started_ok;           /* the startup probe passed (or there is none) */
    /* stats.c: the last sample of this run */
    int stats_attempt;
    uint64_t cpu_ns, nanocores, mem_bytes;
    int stats_seen;
    bool stats_ready;          /* two samples: the rate means something */
    uint64_t kill_deadline_ms;
} zk_actr;

struct zk_apod {
    zk_agent *a;
    char uid[64], ns[ZK_AGENT_NAME_MAX + 1], name[ZK_AGENT_NAME_MAX + 1];
    json_t *pod;               /* the latest from the API; NULL once it is gone */
    bool seen;                 /* the API had it since this process started */
    bool busy, dirty;          /* a job runs / another sync was asked for */
    bool queued;
    bool sandbox;              /* the network namespace is up */
    char ip[64];
    char sandbox_error[512];
    bool refs_ready, refs_pending;
    int refs_wait;
    /* a refresh of refs while the pod runs (ConfigMap/Secret volumes
     * follow their sources): the answers gather in refs_next */
    json_t *refs_next;
    uint64_t refs_at;          /* mono ms of the last fetch */
    uint64_t token_at;         /* mono ms the token was asked for */
    int64_t token_ttl_s;
    json_t *refs;              /* "configmap/name" / "secret/name" -> object or null */
    zk_actr *ctrs;             /* init containers first */
    size_t nctrs;
    int64_t start_time;        /* wall s */
    bool torn_down;            /* containers and sandbox are gone */
    bool delete_sent;
    uint64_t status_sent;      /* a hash of the status last sent (kept small: one a pod) */
    bool status_known;         /* status_sent means something */
    bool status_inflight;
    uint64_t next_sync_ms;     /* a timed re-sync (backoff), 0: none */
    int calls;                 /* API requests in flight with this record as context */
    bool dead;                 /* freed once the last of them answers */
};

struct zk_agent {
    zk_agent_opts o;           /* strings owned */
    char *exe;                 /* the zke binary for shims */
    uv_loop_t *loop;
    zk_kube_config cfg;
    zk_kube_client *client;
    zk_kube_informer *pods;
    zk_kube_informer *nodes;   /* this node only */
    zk_agent_host host;
    char node_uid[64];
    char pod_cidr[64];
    bool registered;
    bool lease_made;
    zk_map *apods;             /* uid -> zk_apod */
    zk_agent_images *images;
    zk_registries *registries;
    json_t *conflist;
    char *dir;                 /* DATA/agent */
    char *runc_root;
    char *logs_dir;            /* DATA/pods */
    uv_timer_t heartbeat, tick, kick;
    bool stopping;
    zk_agent_tun *tun;
    zk_agent_gpus *gpus;       /* gpu.c: NVML's GPUs and who holds them */
    struct zk_proxy *proxy;    /* Service rules (proxy/proxy.h) */
    struct zk_dns *dns;        /* the cluster DNS on this node (proxy/dns.h) */
    char dns_ip[64];           /* its address (the bridge's); "" until it serves */
    uint64_t stats_at, node_cpu_ns, node_nanocores;
    /* image GC (imagegc.c) */
    int gc_high, gc_low;       /* percent of the disk in use */
    int64_t gc_min_age_ms;
    uint64_t sync_ms;          /* how often running pods' references are read again */
    uint64_t gc_at;
    bool gc_running;
    json_t *image_seen;        /* ref -> ms first seen */
    json_t *image_last_used;   /* manifest digest -> ms a container last started with it */
    struct {                   /* counters for /metrics (metrics.c) */
        uint64_t starts_ok, starts_failed, pull_failures, tunnel_connects;
    } m;
    /* the sync queue */
    zk_apod **queue;
    size_t nqueue, capqueue;
};

/* pods.c */
void zk_agent_pods_start(zk_agent *a);
void zk_agent_pods_adopt(zk_agent *a);
void zk_agent_pods_tick(zk_agent *a);
void zk_agent_pod_queue(zk_apod *p);
/* The container a stream request names ({"uid","container"}), or NULL;
 * *pod is its pod's record (or NULL). */
zk_actr *zk_agent_find_ctr(zk_agent *a, const json_t *req, zk_apod **pod);
/* Count an asynchronous call that carries p; its end says whether p still
 * exists (false: it was removed and is freed now). */
void zk_agent_pod_call_begin(zk_apod *p);
bool zk_agent_pod_call_end(zk_apod *p);

/* tunnel.c: streams the API server opens on the agent's tunnel */
typedef struct zk_tstream_ops {
    /* bytes from the server; the stream's user calls zk_agent_tun_consumed
     * once it has passed them on (without a data callback they count as
     * taken at once) */
    void (*data)(void *ctx, const char *p, size_t n);
    void (*closed)(void *ctx);   /* the server or the connection ended it; freed after */
    /* zk_agent_tun_room said 0 before, and there is room now */
    void (*writable)(void *ctx);
    void (*eof)(void *ctx);   /* the server sends no more (it still reads) */
} zk_tstream_ops;
void zk_agent_tun_start(zk_agent *a);
void zk_agent_tun_bind(zk_tstream *s, const zk_tstream_ops *ops, void *ctx);
void zk_agent_tun_send(zk_tstream *s, const void *p, size_t n);
/* End the stream (code 0: fine; else an error status); s is freed. */
void zk_agent_tun_end(zk_tstream *s, int code, const char *reason, const char *message);
/* How many bytes s may send now (its window, or with an older server what
 * the connection's queue allows). A sender that reads its source only
 * while there is room — overshooting by at most one read — keeps both
 * sides' memory bounded; after a 0 its writable callback says when to go
 * on. */
size_t zk_agent_tun_room(zk_tstream *s);
/* n bytes of what the server sent on s were passed on: credit them back. */
void zk_agent_tun_consumed(zk_tstream *s, size_t n);

/* join.c: credentials of node `node` from a join token, written as a
 * kubeconfig to path */
int zk_agent_join(const char *server, const char *token, const char *node, const char *path,
                  zk_err *err);

/* exec.c */
void zk_agent_exec_open(zk_agent *a, zk_tstream *s, const json_t *req);

/* imagegc.c */
void zk_agent_image_gc_tick(zk_agent *a);
/* A container started from image_id (repo@digest): it is recent. */
void zk_agent_image_used(zk_agent *a, const char *image_id);
/* runtime.c: write POD_DIR/resolv.conf for pod (dnsconf.c) */
void zk_agent_rt_resolv(zk_agent *a, const char *pod_dir, const json_t *pod);
/* agent.c: the cluster DNS address pods get, "" when none serves */
void zk_agent_dns_addr(zk_agent *a, char *out, size_t n);
/* runtime.c: remove a directory tree without crossing into mounts */
void zk_agent_rm_tree(const char *path);

/* metrics.c: /metrics and friends, asked through the server's nodes/proxy */
void zk_agent_proxy_open(zk_agent *a, zk_tstream *s, const json_t *req);
bool zk_agent_tun_up(zk_agent *a);

/* portforward.c */
void zk_agent_portforward_open(zk_agent *a, zk_tstream *s, const json_t *req);

/* stats.c */
void zk_agent_stats_sample(zk_agent *a);
void zk_agent_stats_open(zk_agent *a, zk_tstream *s, const json_t *req);

/* logs.c */
void zk_agent_logs_open(zk_agent *a, zk_tstream *s, const json_t *req);
/* kubectl attach: the container's output from now on as exec channel messages,
 * and with stdin: true its stdin FIFO (BUNDLE/stdin) */
void zk_agent_attach_open(zk_agent *a, zk_tstream *s, const json_t *req);

/* probes.c */
void zk_agent_probes_tick(zk_agent *a, zk_apod *p, uint64_t now);
void zk_agent_probes_reset(zk_actr *c);
/* Whether a running container counts as ready. */
bool zk_agent_probes_ready(zk_apod *p, const zk_actr *c);
/* A lifecycle hook (which: "PostStart", "PreStop"): the handler's exec,
 * httpGet, tcpSocket or sleep, within timeout_s. done runs on the loop,
 * with the error or NULL, unless the pod's record is gone; the container's
 * run may have changed meanwhile (attempt says which it was). */
typedef void (*zk_hook_done_fn)(zk_apod *p, const char *ctr, int attempt, const char *error);
void zk_agent_hook_run(zk_apod *p, zk_actr *c, const char *which, const json_t *handler,
                       int timeout_s, zk_hook_done_fn done);
const json_t *zk_agent_ctr_spec(zk_apod *p, const zk_actr *c);
void zk_agent_ctr_restart(zk_apod *p, zk_actr *c, const char *why);

/* runtime.c: blocking work, run on the threadpool */
typedef struct zk_start_job {
    /* in */
    zk_agent *a;
    json_t *pod, *container;   /* owned copies; container's env resolved */
    char uid[64], pod_dir[4096], log_path[4096], netns[4096];
    int attempt;
    char pull_policy[16];      /* "Always", "IfNotPresent", "Never" */
    json_t *creds;             /* [{"server","username","password"}] from pull secrets */
    json_t *mounts;            /* OCI mounts for the container */
    uint64_t gpus;             /* the GPUs it gets (gpu.h), a mask */
    /* out */
    int rc;
    char reason[48];
    char message[1024];
    char image_id[700];
    zk_ctr_run run;
} zk_start_job;

void zk_agent_rt_start(zk_start_job *j);
/* Create the sandbox: netns + CNI ADD; ip out. */
int zk_agent_rt_sandbox(zk_agent *a, const char *uid, const char *pod_dir, const json_t *pod,
                        char *ip, size_t iplen, zk_err *err);
/* Stop whatever still runs of the pod (SIGKILL), unmount, CNI DEL, remove
 * the pod's directory. */
int zk_agent_rt_teardown(zk_agent *a, const char *uid, const char *pod_dir, zk_err *err);
/* Write the pod's volumes under pod_dir/volumes. */
int zk_agent_rt_volumes(zk_agent *a, const json_t *pod, const json_t *refs, const char *pod_dir,
                        zk_err *err);
/* One MASQUERADE rule for traffic from the node's pods that leaves the
 * cluster CIDR (idempotent). */
int zk_agent_rt_masquerade(const char *pod_cidr, const char *cluster_cidr);
int zk_agent_rt_bridge(zk_agent *a, const char *gw, int prefix, zk_err *err);
/* Read a run's state from its bundle. */
void zk_agent_rt_read_run(const char *bundle, zk_ctr_run *r);
const char *zk_agent_pod_dir(zk_agent *a, const char *uid, char *buf, size_t n);
/* The runtime's id of a container run. */
void zk_agent_ctr_id(const char *uid, const char *name, int attempt, char *out, size_t n);

#endif
