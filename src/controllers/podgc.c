/* zke controllers: pod garbage collection of orphaned pods.
 *
 * A pod bound to a node that no longer exists has nobody to run it or to
 * finish its deletion, so it would stay (Terminating) for ever. As
 * Kubernetes' pod GC controller does, such pods are force-deleted (grace
 * period 0) once the node has been missing for a quarantine of 40 s — long
 * enough for a node that is being re-registered (ZKE_POD_GC_QUARANTINE, a
 * duration, changes it). Keys are node names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"

#define QUARANTINE_MS 40000

typedef struct gc_state {
    zk_ctl *c;
    zk_kube_informer *nodes, *pods;
    uint64_t quarantine_ms;
} gc_state;

/* A pod bound to a node not (or not yet: the node cache may not have
 * synced) in the cache: look again after the quarantine. */
static void pod_ev(void *ctx, json_t *pod)
{
    gc_state *st = ctx;
    const char *node = zk_json_path_str(pod, "spec", "nodeName", NULL);
    if (!node || !node[0] || zk_kube_informer_get(st->nodes, NULL, node))
        return;
    zk_ctl_enqueue_after(st->c, node, st->quarantine_ms);
}

static void pod_upd(void *ctx, json_t *old, json_t *pod) { pod_ev(ctx, pod); }

static void node_del(void *ctx, json_t *node)
{
    gc_state *st = ctx;
    zk_ctl_enqueue_after(st->c, zk_kube_name(node), st->quarantine_ms);
}

typedef struct gc_call {
    zk_ctl_batch *b;
    char *ns, *name;
    gc_state *st;
} gc_call;

static void on_deleted(void *ctx, const zk_kube_result *r)
{
    gc_call *call = ctx;
    if (r->status == 200 || r->status == 202 || r->status == 404) {
        zk_kube_informer_observe_delete(call->st->pods, call->ns, call->name);
    } else if (r->status != 409) {
        /* 409: the uid precondition — another pod of that name now */
        zk_warn("podgc: delete pod %s/%s: %d %s", call->ns, call->name, r->status,
                r->error ? r->error : "");
        zk_ctl_batch_fail(call->b);
    }
    free(call->ns);
    free(call->name);
    free(call);
}

static void gc_sync(zk_ctl *c, void *state, const char *key)
{
    gc_state *st = state;
    if (zk_kube_informer_get(st->nodes, NULL, key)) {
        zk_ctl_done(c, key, false);
        return;
    }
    json_t **pods = NULL;
    size_t n = zk_kube_informer_by_index(st->pods, "node", key, &pods);
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    for (size_t i = 0; i < n; i++) {
        const char *ns = zk_kube_namespace(pods[i]), *name = zk_kube_name(pods[i]);
        char path[1024];
        if (zk_kube_path(path, sizeof(path), &zk_kube_pods, ns, name, NULL, NULL) < 0)
            continue;
        zk_info("podgc: force-deleting pod %s/%s: its node %s no longer exists", ns, name, key);
        zk_autojson json_t *opts = json_pack(
            "{s:s,s:s,s:i,s:{s:s}}", "apiVersion", "v1", "kind", "DeleteOptions",
            "gracePeriodSeconds", 0, "preconditions", "uid", zk_kube_uid(pods[i]));
        gc_call *call = zk_xcalloc(1, sizeof(*call));
        call->b = b;
        call->st = st;
        call->ns = zk_xstrdup(ns);
        call->name = zk_xstrdup(name);
        zk_ctl_batch_request(b, "DELETE", path, opts, on_deleted, call);
    }
    free(pods);
    zk_ctl_batch_end(b);
}

static void *gc_init(zk_ctl *c)
{
    gc_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->quarantine_ms = QUARANTINE_MS;
    const char *q = getenv("ZKE_POD_GC_QUARANTINE");
    int64_t ms = q && *q ? zk_ctl_parse_duration_ms(q) : -1;
    if (ms > 0)
        st->quarantine_ms = (uint64_t)ms;
    else if (q && *q)
        zk_warn("podgc: ZKE_POD_GC_QUARANTINE=%s is not a duration; using 40s", q);
    st->nodes = zk_ctl_informer(c, &zk_kube_nodes);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    zk_kube_handler hn = {.del = node_del, .ctx = st};
    zk_kube_informer_on(st->nodes, &hn);
    zk_kube_handler hp = {.add = pod_ev, .update = pod_upd, .ctx = st};
    zk_kube_informer_on(st->pods, &hp);
    return st;
}

const zk_ctl_def zk_ctl_podgc = {
    .name = "podgc", .workers = 2, .init = gc_init, .sync = gc_sync, .free = free};
