/* zke sim: registering simulated nodes and keeping them alive.
 *
 * Each node goes NEW -> REGISTERING -> READY through a work queue keyed
 * by node name (creating it, or taking over one that exists), then lives
 * on two clocks: its Lease is renewed every --lease-seconds and its Ready
 * condition's heartbeat pushed every --node-status-seconds. Both clocks
 * walk the node array at an even pace (N nodes per interval), so 5,000
 * renewals every 10 s are 500 a second, never 5,000 at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "sim/internal.h"
#include "sim/node.h"

#define SMP "application/strategic-merge-patch+json"
#define MERGE "application/merge-patch+json"

zk_sim_node *zk_sim__node(zk_sim *s, const char *name)
{
    return name && s->by_name ? zk_map_get(s->by_name, name) : NULL;
}

static bool named(const char *const *list, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

static uint64_t backoff_ms(zk_sim_node *n)
{
    int r = n->retries < 5 ? n->retries : 5;
    n->retries++;
    return 500u << r;   /* 0.5 s doubling to 16 s */
}

/* Take what the server says about the node: its uid and pod CIDR. */
static void take(zk_sim *s, zk_sim_node *n, const json_t *node)
{
    const char *uid = zk_kube_uid(node);
    if (uid[0] && (!n->uid || strcmp(n->uid, uid))) {
        free(n->uid);
        n->uid = zk_xstrdup(uid);
    }
    const char *cidr = zk_json_path_str(node, "spec", "podCIDR", NULL);
    if (cidr && strcmp(cidr, n->cidr) && n->pool.used == 0) {
        zk_sim_ipam pool;
        if (zk_sim_ipam_init(&pool, cidr, NULL) == 0) {
            zk_sim_ipam_free(&n->pool);
            n->pool = pool;
            snprintf(n->cidr, sizeof(n->cidr), "%s", cidr);
        }
    }
    const char *hb = zk_json_path_str(node, "metadata", "annotations",
                                      ZK_SIM_HEARTBEAT_ANNOTATION, NULL);
    n->failed = hb && !strcmp(hb, "stopped");
}

static void registered(zk_sim *s, zk_sim_node *n)
{
    n->state = ZK_SIM_NODE_READY;
    n->retries = 0;
    s->registered++;
    if (n->adopt)
        s->adopted++;
    else
        s->created++;
    if (n->failed)
        zk_sim__say("sim: node %s: heartbeat stopped", n->name);
    if (s->registered == s->nnodes)
        zk_sim__nodes_ready(s);
    else
        zk_sim__pods_requeue_node(s, n);
}

/* ---- leases ---- */

/* The context of a node's request. */
typedef struct lease_ctx {
    zk_sim *s;
    zk_sim_node *n;
    bool full;             /* a whole-status push */
} lease_ctx;

static void lease_create(zk_sim *s, zk_sim_node *n, zk_kube_done_fn done, void *ctx,
                         void (*ctx_free)(void *))
{
    char renew[40], path[512];
    zk_time_rfc3339_micro(renew, sizeof(renew));
    json_t *lease = zk_sim_node_lease(n->name, n->uid, s->lease_duration_s, renew);
    zk_kube_path(path, sizeof(path), &zk_kube_leases, ZK_SIM_LEASE_NS, NULL, NULL, NULL);
    zk_sim__call(s, ZK_SIM_PRIO_BEAT, "POST", path, lease, NULL, done, ctx, ctx_free);
}

static void on_lease_create_done(void *ctx, const zk_kube_result *r)
{
    lease_ctx *lc = ctx;
    zk_sim *s = lc->s;
    zk_sim_node *n = lc->n;
    free(lc);
    n->lease_busy = false;
    if (r->status == 201 || r->status == 409) {
        s->stats.leases++;
        return;
    }
    s->stats.lease_errors++;
    if (r->status == 404) {
        /* the namespace went away: make it again, the next renewal creates the lease */
        char path[256];
        zk_kube_path(path, sizeof(path), &zk_kube_namespaces, NULL, NULL, NULL, NULL);
        zk_sim__call(s, ZK_SIM_PRIO_NODE, "POST", path,
                     json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                               "metadata", "name", ZK_SIM_LEASE_NS),
                     NULL, NULL, NULL, NULL);
    }
    if (!zk_sim__retryable(r))
        zk_sim__warn(s, "create lease %s: %d %s", n->name, r->status, r->error);
}

static void on_lease_renewed(void *ctx, const zk_kube_result *r)
{
    lease_ctx *lc = ctx;
    zk_sim *s = lc->s;
    zk_sim_node *n = lc->n;
    if (r->status == 404 && !s->stopping) {
        lease_create(s, n, on_lease_create_done, lc, free);   /* stays busy */
        return;
    }
    free(lc);
    n->lease_busy = false;
    if (r->status == 200) {
        s->stats.leases++;
        return;
    }
    s->stats.lease_errors++;
    if (!zk_sim__retryable(r))
        zk_sim__warn(s, "renew lease %s: %d %s", n->name, r->status, r->error);
}

void zk_sim__lease_renew(zk_sim *s, zk_sim_node *n)
{
    if (n->lease_busy) {
        s->stats.lease_late++;   /* the last renewal has not come back yet */
        return;
    }
    n->lease_busy = true;
    char renew[40], path[512];
    zk_time_rfc3339_micro(renew, sizeof(renew));
    json_t *patch = json_pack("{s:{s:s,s:s,s:i}}", "spec", "renewTime", renew, "holderIdentity",
                              n->name, "leaseDurationSeconds", s->lease_duration_s);
    zk_kube_path(path, sizeof(path), &zk_kube_leases, ZK_SIM_LEASE_NS, n->name, NULL, NULL);
    lease_ctx *lc = zk_xcalloc(1, sizeof(*lc));
    lc->s = s;
    lc->n = n;
    zk_sim__call(s, ZK_SIM_PRIO_BEAT, "PATCH", path, patch, MERGE, on_lease_renewed, lc, free);
}

/* ---- registration ---- */

static void on_created(void *ctx, const zk_kube_result *r)
{
    lease_ctx *lc = ctx;
    zk_sim *s = lc->s;
    zk_sim_node *n = lc->n;
    free(lc);
    if (s->stopping)
        return;
    if (r->status == 201 && json_is_object(r->body)) {
        take(s, n, r->body);
        /* a server that drops a Node's status on create gets it at once
         * (Kubernetes keeps it) */
        if (!json_is_object(zk_json_path(r->body, "status", "capacity", NULL)) ||
            !json_array_size(zk_json_path(r->body, "status", "conditions", NULL)))
            n->status_wanted = n->status_full = true;
        n->lease_busy = true;
        lease_ctx *l2 = zk_xcalloc(1, sizeof(*l2));
        l2->s = s;
        l2->n = n;
        lease_create(s, n, on_lease_create_done, l2, free);
        registered(s, n);
        zk_kube_queue_done(s->nodeq, n->name, false);
        if (n->status_wanted)
            zk_kube_queue_add(s->nodeq, n->name);
        return;
    }
    n->state = ZK_SIM_NODE_NEW;
    zk_kube_queue_done(s->nodeq, n->name, false);
    if (r->status == 409) {
        n->adopt = true;   /* there already: take it over */
        zk_kube_queue_add(s->nodeq, n->name);
    } else if (zk_sim__retryable(r)) {
        zk_sim__warn(s, "register node %s: %d %s (retrying)", n->name, r->status, r->error);
        zk_kube_queue_add_after(s->nodeq, n->name, backoff_ms(n));
    } else {
        zk_sim__fatal(s, "register node %s: %d %s", n->name, r->status, r->error);
    }
}

static void create(zk_sim *s, zk_sim_node *n)
{
    json_t *node = zk_sim_node_build(s->tmpl, n->name, n->index, zk_wall_s());
    if (named(s->opts.fail, s->opts.nfail, n->name))
        json_object_set_new(zk_json_path_obj(node, "metadata", "annotations", NULL),
                            ZK_SIM_HEARTBEAT_ANNOTATION, json_string("stopped"));
    char path[256];
    zk_kube_path(path, sizeof(path), &zk_kube_nodes, NULL, NULL, NULL, NULL);
    lease_ctx *lc = zk_xcalloc(1, sizeof(*lc));
    lc->s = s;
    lc->n = n;
    n->state = ZK_SIM_NODE_REGISTERING;
    zk_sim__call(s, ZK_SIM_PRIO_NODE, "POST", path, node, NULL, on_created, lc, free);
}

static void on_adopted(void *ctx, const zk_kube_result *r)
{
    lease_ctx *lc = ctx;
    zk_sim *s = lc->s;
    zk_sim_node *n = lc->n;
    free(lc);
    if (s->stopping)
        return;
    zk_kube_queue_done(s->nodeq, n->name, false);
    if (r->status == 200 && json_is_object(r->body)) {
        take(s, n, r->body);
        if (s->node_inf)
            zk_kube_informer_observe(s->node_inf, r->body);
        /* capacity, addresses and nodeInfo as this run (and template) says */
        n->status_wanted = n->status_full = true;
        registered(s, n);
        zk_kube_queue_add(s->nodeq, n->name);
        return;
    }
    n->state = ZK_SIM_NODE_NEW;
    if (r->status == 404) {
        n->adopt = false;   /* gone meanwhile: create it */
        zk_kube_queue_add(s->nodeq, n->name);
    } else if (zk_sim__retryable(r)) {
        zk_sim__warn(s, "take over node %s: %d %s (retrying)", n->name, r->status, r->error);
        zk_kube_queue_add_after(s->nodeq, n->name, backoff_ms(n));
    } else {
        zk_sim__fatal(s, "take over node %s: %d %s", n->name, r->status, r->error);
    }
}

/* A node of this name exists: put our labels on it (and the heartbeat
 * annotation --fail/--recover asked for), and run it from now on. */
static void adopt(zk_sim *s, zk_sim_node *n)
{
    json_t *patch = json_pack("{s:{s:{s:s,s:s}}}", "metadata", "labels", ZK_SIM_LABEL, "true",
                              "kubernetes.io/hostname", n->name);
    if (named(s->opts.fail, s->opts.nfail, n->name))
        json_object_set_new(zk_json_path_obj(patch, "metadata", "annotations", NULL),
                            ZK_SIM_HEARTBEAT_ANNOTATION, json_string("stopped"));
    else if (named(s->opts.recover, s->opts.nrecover, n->name))
        json_object_set_new(zk_json_path_obj(patch, "metadata", "annotations", NULL),
                            ZK_SIM_HEARTBEAT_ANNOTATION, json_null());
    char path[512];
    zk_kube_path(path, sizeof(path), &zk_kube_nodes, NULL, n->name, NULL, NULL);
    lease_ctx *lc = zk_xcalloc(1, sizeof(*lc));
    lc->s = s;
    lc->n = n;
    n->state = ZK_SIM_NODE_REGISTERING;
    zk_sim__call(s, ZK_SIM_PRIO_NODE, "PATCH", path, patch, MERGE, on_adopted, lc, free);
}

/* ---- heartbeats ---- */

static void on_status(void *ctx, const zk_kube_result *r)
{
    lease_ctx *lc = ctx;
    zk_sim *s = lc->s;
    zk_sim_node *n = lc->n;
    bool lc_full = lc->full;
    free(lc);
    n->status_busy = false;
    if (s->stopping)
        return;
    zk_kube_queue_done(s->nodeq, n->name, false);
    if (r->status == 200) {
        s->stats.heartbeats++;
        if (s->node_inf && json_is_object(r->body))
            zk_kube_informer_observe(s->node_inf, r->body);
        return;
    }
    s->stats.heartbeat_errors++;
    if (zk_sim__retryable(r)) {
        n->status_wanted = true;
        n->status_full = lc_full;
        zk_kube_queue_add_after(s->nodeq, n->name, 1000);
    } else if (r->status != 404) {   /* a deleted node is seen by the informer */
        zk_sim__warn(s, "node %s status: %d %s", n->name, r->status, r->error);
    }
}

static void push_status(zk_sim *s, zk_sim_node *n)
{
    n->status_wanted = false;
    n->status_busy = true;
    json_t *cur = s->node_inf ? zk_kube_informer_get(s->node_inf, NULL, n->name) : NULL;
    json_t *status;
    if (n->status_full) {
        json_t *node = zk_sim_node_build(s->tmpl, n->name, n->index, zk_wall_s());
        status = json_incref(json_object_get(node, "status"));
        json_decref(node);
    } else {
        status = json_object();
    }
    json_object_set_new(status, "conditions", zk_sim_node_conditions(cur, zk_wall_s()));
    json_t *patch = json_pack("{s:o}", "status", status);
    char path[512];
    zk_kube_path(path, sizeof(path), &zk_kube_nodes, NULL, n->name, "status", NULL);
    lease_ctx *lc = zk_xcalloc(1, sizeof(*lc));
    lc->s = s;
    lc->n = n;
    lc->full = n->status_full;
    n->status_full = false;
    zk_sim__call(s, ZK_SIM_PRIO_NODE, "PATCH", path, patch, SMP, on_status, lc, free);
}

static void node_process(void *ctx, const char *name)
{
    zk_sim *s = ctx;
    zk_sim_node *n = zk_sim__node(s, name);
    if (!n || s->stopping) {
        zk_kube_queue_done(s->nodeq, name, false);
        return;
    }
    if (n->state == ZK_SIM_NODE_NEW) {
        if (n->adopt)
            adopt(s, n);
        else
            create(s, n);
        return;
    }
    if (n->state == ZK_SIM_NODE_READY && n->status_wanted && !n->failed && !n->status_busy) {
        push_status(s, n);
        return;
    }
    zk_kube_queue_done(s->nodeq, name, false);
}

/* ---- the node informer: deletions and --fail / --recover at runtime ---- */

static void node_seen(zk_sim *s, json_t *obj)
{
    zk_sim_node *n = zk_sim__node(s, zk_kube_name(obj));
    if (!n || n->state != ZK_SIM_NODE_READY)
        return;
    bool was = n->failed;
    take(s, n, obj);
    if (n->failed == was)
        return;
    if (n->failed) {
        zk_sim__say("sim: node %s: heartbeat stopped", n->name);
        return;
    }
    zk_sim__say("sim: node %s: heartbeat resumed", n->name);
    n->status_wanted = true;
    zk_kube_queue_add(s->nodeq, n->name);
    zk_sim__lease_renew(s, n);
    zk_sim__pods_requeue_node(s, n);
}

static void on_node_add(void *ctx, json_t *obj)
{
    node_seen(ctx, obj);
}

static void on_node_update(void *ctx, json_t *old, json_t *obj)
{
    node_seen(ctx, obj);
}

static void on_node_del(void *ctx, json_t *obj)
{
    zk_sim *s = ctx;
    zk_sim_node *n = zk_sim__node(s, zk_kube_name(obj));
    if (!n || n->state != ZK_SIM_NODE_READY || s->stopping)
        return;
    n->state = ZK_SIM_NODE_GONE;
    zk_sim__say("sim: node %s was deleted; it is no longer simulated (restart the sim to "
                "register it again)",
                n->name);
}

/* ---- setup ---- */

int zk_sim__nodes_init(zk_sim *s, zk_err *err)
{
    s->nnodes = (size_t)s->opts.nodes;
    s->nodes = zk_xcalloc(s->nnodes ? s->nnodes : 1, sizeof(*s->nodes));
    s->by_name = zk_map_new();
    for (size_t i = 0; i < s->nnodes; i++) {
        zk_sim_node *n = &s->nodes[i];
        n->name = zk_xasprintf("%s%zu", s->prefix, i);
        if (strlen(n->name) > 253)
            return zk_err_set(err, ZK_EINVAL, "node name %s... is too long", s->prefix);
        n->index = (uint32_t)i;
        zk_sim_node_ip(n->index, n->ip, sizeof(n->ip));
        zk_sim_node_cidr(n->index, n->cidr, sizeof(n->cidr));
        if (zk_sim_ipam_init(&n->pool, n->cidr, err) < 0)
            return -1;
        zk_map_put(s->by_name, n->name, n);
    }
    s->nodeq = zk_kube_queue_new(&s->loop, "sim-nodes", s->max_inflight, node_process, s);
    s->node_inf = zk_kube_informer_new(s->client, &zk_kube_nodes, NULL, ZK_SIM_LABEL "=true",
                                       NULL);
    zk_kube_handler h = {.add = on_node_add, .update = on_node_update, .del = on_node_del,
                         .ctx = s};
    zk_kube_informer_on(s->node_inf, &h);
    return 0;
}

void zk_sim__nodes_start(zk_sim *s)
{
    s->reg_started_ms = zk_mono_ms();
    /* both clocks start now: node 0 first, node N-1 one interval later */
    s->t0_ms = s->reg_started_ms;
    s->lease_done = s->status_done = 0;
    for (size_t i = 0; i < s->nnodes; i++) {
        zk_sim_node *n = &s->nodes[i];
        /* one we ran before (it has our label): take it over */
        n->adopt = zk_kube_informer_get(s->node_inf, NULL, n->name) != NULL;
        zk_kube_queue_add(s->nodeq, n->name);
    }
}

void zk_sim__nodes_tick(zk_sim *s, uint64_t now)
{
    size_t N = s->nnodes;
    if (!N || !s->t0_ms || s->stopping)
        return;
    uint64_t elapsed = now - s->t0_ms;
    uint64_t lease_target = zk_sim_pace(elapsed, N, (uint64_t)s->opts.lease_s * 1000,
                                        &s->lease_done);
    uint64_t status_target = zk_sim_pace(elapsed, N, (uint64_t)s->opts.status_s * 1000,
                                         &s->status_done);
    for (; s->lease_done < lease_target; s->lease_done++) {
        zk_sim_node *n = &s->nodes[s->lease_done % N];
        if (n->state == ZK_SIM_NODE_READY && !n->failed)
            zk_sim__lease_renew(s, n);
    }
    for (; s->status_done < status_target; s->status_done++) {
        zk_sim_node *n = &s->nodes[s->status_done % N];
        if (n->state == ZK_SIM_NODE_READY && !n->failed) {
            n->status_wanted = true;
            zk_kube_queue_add(s->nodeq, n->name);
        }
    }
}

void zk_sim__nodes_free(zk_sim *s)
{
    zk_kube_informer_free(s->node_inf);
    s->node_inf = NULL;
    zk_kube_queue_free(s->nodeq);
    s->nodeq = NULL;
    for (size_t i = 0; i < s->nnodes; i++) {
        free(s->nodes[i].name);
        free(s->nodes[i].uid);
        zk_sim_ipam_free(&s->nodes[i].pool);
    }
    free(s->nodes);
    s->nodes = NULL;
    zk_map_free(s->by_name);
    s->by_name = NULL;
}
