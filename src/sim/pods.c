/* zke sim: the pods bound to simulated nodes.
 *
 * One informer watches every pod that has a node (fieldSelector
 * spec.nodeName!=), indexed by node name. A pod of one of our nodes goes
 * into a work queue keyed by namespace/name; processing it reads the pod
 * from the cache, asks pod.c what its status should be now, and sends the
 * difference as one strategic merge patch of pods/<name>/status (or
 * deletes a terminating pod). When the status will change later (a
 * readiness delay, sim-complete-after), the key comes back at that time.
 * Pod addresses are tracked per pod uid so that each is given back once. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "sim/internal.h"
#include "sim/pod.h"

typedef struct zk_sim_alloc {
    zk_sim_node *node;
    char ip[20];
} zk_sim_alloc;

typedef struct pod_ctx {
    zk_sim *s;
    int64_t next_ms;
    bool terminal;
    char uid[64];
    char key[];            /* ns/name */
} pod_ctx;

int64_t zk_sim__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static zk_sim_node *node_of(zk_sim *s, const json_t *pod)
{
    return zk_sim__node(s, zk_json_path_str(pod, "spec", "nodeName", NULL));
}

/* ---- addresses ---- */

static void release(zk_sim *s, const char *uid)
{
    zk_sim_alloc *a = zk_map_del(s->allocs, uid);
    if (!a)
        return;
    zk_sim_ipam_release(&a->node->pool, a->ip);
    free(a);
}

static void record(zk_sim *s, const char *uid, zk_sim_node *n, const char *ip)
{
    zk_sim_alloc *a = zk_xcalloc(1, sizeof(*a));
    a->node = n;
    snprintf(a->ip, sizeof(a->ip), "%s", ip);
    free(zk_map_put(s->allocs, uid, a));
}

/* Keep the pools in step with what pods show: an address a pod has (one
 * given before a restart of the sim) is taken; an ended pod's goes back. */
static void track(zk_sim *s, zk_sim_node *n, const json_t *pod)
{
    const char *uid = zk_kube_uid(pod);
    if (!uid[0])
        return;
    zk_sim_pod_step step = zk_sim_pod_step_of(pod);
    bool have = zk_map_get(s->allocs, uid) != NULL;
    if (step == ZK_SIM_POD_IGNORE) {
        if (have)
            release(s, uid);
        return;
    }
    const char *ip = zk_json_path_str(pod, "status", "podIP", NULL);
    if (!have && ip && ip[0] && !zk_sim_pod_host_network(pod) &&
        zk_sim_ipam_reserve(&n->pool, ip))
        record(s, uid, n, ip);
}

/* ---- processing ---- */

static void later(zk_sim *s, const char *key, int64_t at_ms)
{
    if (!at_ms)
        return;
    int64_t d = at_ms - zk_sim__wall_ms();
    /* a little after the moment, so that the clock has passed it */
    zk_kube_queue_add_after(s->podq, key, d > 0 ? (uint64_t)d + 20 : 20);
}

static pod_ctx *ctx_new(zk_sim *s, const char *key, const char *uid)
{
    size_t kl = strlen(key);
    pod_ctx *c = zk_xcalloc(1, sizeof(*c) + kl + 1);
    c->s = s;
    memcpy(c->key, key, kl + 1);
    snprintf(c->uid, sizeof(c->uid), "%s", uid);
    return c;
}

static void on_deleted(void *ctx, const zk_kube_result *r)
{
    pod_ctx *c = ctx;
    zk_sim *s = c->s;
    zk_kube_queue_done(s->podq, c->key, false);
    if (r->status == 200 || r->status == 202) {
        s->stats.pods_deleted++;
    } else if (zk_sim__retryable(r)) {
        s->stats.pod_errors++;
        zk_kube_queue_add_after(s->podq, c->key, 1000);
    } else if (r->status != 404 && r->status != 409) {
        /* 404: gone already; 409: the uid precondition failed, a new pod
         * of the same name is not ours to delete */
        s->stats.pod_errors++;
        zk_sim__warn(s, "delete pod %s: %d %s", c->key, r->status, r->error);
    }
    free(c);
}

static void delete_pod(zk_sim *s, const char *key, const json_t *pod)
{
    const char *uid = zk_kube_uid(pod);
    json_t *opts = json_pack("{s:s,s:s,s:i}", "apiVersion", "v1", "kind", "DeleteOptions",
                             "gracePeriodSeconds", 0);
    if (uid[0])
        json_object_set_new(opts, "preconditions", json_pack("{s:s}", "uid", uid));
    char path[1024];
    zk_kube_path(path, sizeof(path), &zk_kube_pods, zk_kube_namespace(pod), zk_kube_name(pod),
                 NULL, NULL);
    zk_sim__call(s, ZK_SIM_PRIO_POD, "DELETE", path, opts, NULL, on_deleted,
                 ctx_new(s, key, uid), free);
}

static void on_patched(void *ctx, const zk_kube_result *r)
{
    pod_ctx *c = ctx;
    zk_sim *s = c->s;
    if (r->status == 200) {
        if (json_is_object(r->body) && s->pod_inf)
            zk_kube_informer_observe(s->pod_inf, r->body);
        if (c->terminal) {
            s->stats.pods_ended++;
            release(s, c->uid);
        }
        zk_kube_queue_done(s->podq, c->key, false);
        later(s, c->key, c->next_ms);
    } else {
        zk_kube_queue_done(s->podq, c->key, false);
        if (r->status != 404) {
            s->stats.pod_errors++;
            if (!zk_sim__retryable(r))
                zk_sim__warn(s, "pod %s status: %d %s", c->key, r->status, r->error);
            zk_kube_queue_add_after(s->podq, c->key, zk_sim__retryable(r) ? 1000 : 30000);
        }
    }
    free(c);
}

static void pod_process(void *ctx, const char *key)
{
    zk_sim *s = ctx;
    json_t *pod = s->pod_inf ? zk_kube_informer_get_key(s->pod_inf, key) : NULL;
    zk_sim_node *n = pod ? node_of(s, pod) : NULL;
    /* a failed node's pods are left as they are, as a dead kubelet leaves them */
    if (!n || n->state != ZK_SIM_NODE_READY || n->failed || s->stopping) {
        zk_kube_queue_done(s->podq, key, false);
        return;
    }
    zk_sim_pod_step step = zk_sim_pod_step_of(pod);
    if (step == ZK_SIM_POD_IGNORE) {
        zk_kube_queue_done(s->podq, key, false);
        return;
    }
    if (step == ZK_SIM_POD_DELETE) {
        delete_pod(s, key, pod);
        return;
    }
    const char *uid = zk_kube_uid(pod);
    zk_sim_pod_env env = {.host_ip = n->ip, .now_ms = zk_sim__wall_ms()};
    char ip[20] = "";
    if (step == ZK_SIM_POD_START) {
        zk_sim_alloc *a = zk_map_get(s->allocs, uid);
        if (zk_sim_pod_host_network(pod)) {
            snprintf(ip, sizeof(ip), "%s", n->ip);
        } else if (a) {
            snprintf(ip, sizeof(ip), "%s", a->ip);   /* an earlier try's */
        } else if (zk_sim_ipam_alloc(&n->pool, ip, sizeof(ip)) == 0) {
            record(s, uid, n, ip);
        } else {
            zk_sim__warn(s, "pod %s: node %s has no free pod address in %s", key, n->name,
                         n->cidr);
            zk_kube_queue_done(s->podq, key, false);
            zk_kube_queue_add_after(s->podq, key, 10000);
            return;
        }
        env.pod_ip = ip;
    }
    zk_sim_pod_plan plan;
    zk_sim_pod_plan_make(pod, &env, &plan);
    if (plan.bad_annotation)
        zk_sim__warn(s, "pod %s: annotation %s is not a duration such as 5s; ignored", key,
                     plan.bad_annotation);
    if (!plan.patch) {
        zk_kube_queue_done(s->podq, key, false);
        later(s, key, plan.next_ms);
        return;
    }
    if (step == ZK_SIM_POD_START)
        s->stats.pods_started++;
    else
        s->stats.pod_updates++;
    pod_ctx *c = ctx_new(s, key, uid);
    c->next_ms = plan.next_ms;
    c->terminal = plan.terminal;
    char path[1024];
    zk_kube_path(path, sizeof(path), &zk_kube_pods, zk_kube_namespace(pod), zk_kube_name(pod),
                 "status", NULL);
    zk_sim__call(s, ZK_SIM_PRIO_POD, "PATCH", path, plan.patch,
                 "application/strategic-merge-patch+json", on_patched, c, free);
}

/* ---- the informer ---- */

static void node_index(const json_t *obj, zk_kube_emit_fn emit, void *ectx)
{
    const char *n = zk_json_path_str(obj, "spec", "nodeName", NULL);
    if (n && n[0])
        emit(ectx, n);
}

static void pod_seen(zk_sim *s, json_t *pod)
{
    zk_sim_node *n = node_of(s, pod);
    if (!n)
        return;
    track(s, n, pod);
    char key[512];
    if (zk_kube_key(pod, key, sizeof(key)) > 0)
        zk_kube_queue_add(s->podq, key);
}

static void on_pod_add(void *ctx, json_t *obj)
{
    pod_seen(ctx, obj);
}

static void on_pod_update(void *ctx, json_t *old, json_t *obj)
{
    pod_seen(ctx, obj);
}

static void on_pod_del(void *ctx, json_t *obj)
{
    zk_sim *s = ctx;
    release(s, zk_kube_uid(obj));
}

void zk_sim__pods_init(zk_sim *s)
{
    s->allocs = zk_map_new();
    s->podq = zk_kube_queue_new(&s->loop, "sim-pods", s->max_inflight * 2, pod_process, s);
}

void zk_sim__pods_start(zk_sim *s)
{
    s->pod_inf = zk_kube_informer_new(s->client, &zk_kube_pods, NULL, NULL, "spec.nodeName!=");
    zk_kube_informer_add_index(s->pod_inf, "node", node_index);
    zk_kube_handler h = {.add = on_pod_add, .update = on_pod_update, .del = on_pod_del,
                         .ctx = s};
    zk_kube_informer_on(s->pod_inf, &h);
    zk_kube_informer_start(s->pod_inf);
}

void zk_sim__pods_requeue_node(zk_sim *s, zk_sim_node *n)
{
    if (!s->pod_inf)
        return;
    json_t **pods;
    size_t k = zk_kube_informer_by_index(s->pod_inf, "node", n->name, &pods);
    for (size_t i = 0; i < k; i++) {
        char key[512];
        if (zk_kube_key(pods[i], key, sizeof(key)) > 0)
            zk_kube_queue_add(s->podq, key);
    }
    free(pods);
}

void zk_sim__pods_free(zk_sim *s)
{
    zk_kube_informer_free(s->pod_inf);
    s->pod_inf = NULL;
    zk_kube_queue_free(s->podq);
    s->podq = NULL;
    if (s->allocs) {
        size_t pos = 0;
        void *v;
        while (zk_map_next(s->allocs, &pos, NULL, &v))
            free(v);
        zk_map_free(s->allocs);
        s->allocs = NULL;
    }
}
