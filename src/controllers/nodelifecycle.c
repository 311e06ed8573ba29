/* zke controllers: node lifecycle and taint-based eviction.
 *
 * Heartbeats: a node is alive while its Lease in kube-node-lease is renewed
 * or its Ready condition's lastHeartbeatTime moves. Both are timed on this
 * process's own clock when it sees them change (as Kubernetes does, so clock
 * skew between nodes and controller does not matter). A node silent for the
 * grace period (40 s; a node that never posted status gets the startup
 * grace, 60 s) has Ready, MemoryPressure, DiskPressure and PIDPressure set to
 * Unknown (reason NodeStatusUnknown, "Kubelet stopped posting node
 * status."), and its pods' Ready conditions are set to False.
 *
 * Taints follow the conditions: Ready False gives node.kubernetes.io/
 * not-ready, Ready Unknown node.kubernetes.io/unreachable, each as NoSchedule
 * and NoExecute; memory, disk and PID pressure, NetworkUnavailable and
 * spec.unschedulable give their NoSchedule taints. They go when the
 * condition clears. As in Kubernetes, no NoExecute taint is added while
 * every node of the cluster is not ready (the controller, not the nodes, is
 * then probably cut off: existing ones are removed), nor in a zone of at
 * most 50 nodes with more than 2 and at least 55% of them not ready.
 *
 * Eviction: a pod on a node with NoExecute taints (any, not only ours) is
 * deleted once it does not tolerate one of them, or once the shortest
 * tolerationSeconds among the tolerations it uses has passed since the
 * taint's timeAdded (taints without one: since this process first saw them).
 *
 * Settings (environment, read when the controller starts):
 * ZKE_NODE_MONITOR_GRACE_PERIOD (40s), ZKE_NODE_STARTUP_GRACE_PERIOD (60s),
 * as durations "500ms", "40s", "2m" or plain seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"

#define TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define TAINT_UNREACHABLE "node.kubernetes.io/unreachable"
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define LABEL_ZONE "topology.kubernetes.io/zone"
#define LABEL_EXCLUDE "node.kubernetes.io/exclude-disruption"
#define LEASE_NS "kube-node-lease"
#define DEFAULT_GRACE_MS 40000
#define DEFAULT_STARTUP_GRACE_MS 60000
#define LARGE_CLUSTER 50
#define UNHEALTHY_ZONE 0.55

/* ---- durations, taints and tolerations (pure) ---- */

int64_t zk_ctl_parse_duration_ms(const char *s)
{
    if (!s || !*s)
        return -1;
    int64_t total = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            return -1;
        p = end;
        double unit;
        if (!strncmp(p, "ms", 2)) {
            unit = 1;
            p += 2;
        } else if (*p == 's') {
            unit = 1000;
            p++;
        } else if (*p == 'm') {
            unit = 60000;
            p++;
        } else if (*p == 'h') {
            unit = 3600000;
            p++;
        } else if (!*p && p == end && total == 0) {
            unit = 1000;   /* plain seconds */
        } else {
            return -1;
        }
        total += (int64_t)(v * unit + 0.5);
    }
    return total;
}

static bool str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

bool zk_ctl_tolerates(const json_t *toleration, const json_t *taint)
{
    const char *te = zk_json_str(toleration, "effect");
    if (te && te[0] && !str_eq(te, zk_json_str(taint, "effect")))
        return false;
    const char *tk = zk_json_str(toleration, "key");
    const char *op = zk_json_str(toleration, "operator");
    bool exists = op && !strcmp(op, "Exists");
    if (!tk || !tk[0])
        return exists;   /* an empty key with Exists tolerates everything */
    if (strcmp(tk, zk_json_str(taint, "key") ? zk_json_str(taint, "key") : ""))
        return false;
    if (exists)
        return true;
    if (op && op[0] && strcmp(op, "Equal"))
        return false;
    return str_eq(zk_json_str(toleration, "value"), zk_json_str(taint, "value"));
}

int64_t zk_ctl_eviction_time(const json_t *taints, const json_t *tolerations)
{
    int64_t when = ZK_CTL_NEVER;
    size_t i, j;
    json_t *t, *tol;
    json_array_foreach(taints, i, t) {
        const char *eff = zk_json_str(t, "effect");
        if (!eff || strcmp(eff, "NoExecute"))
            continue;
        const char *added = zk_json_str(t, "timeAdded");
        int64_t since = added ? zk_time_parse_rfc3339(added) : -1;
        if (since < 0)
            since = 0;
        /* the first toleration that tolerates the taint is the one used */
        json_t *used = NULL;
        json_array_foreach(tolerations, j, tol) {
            if (zk_ctl_tolerates(tol, t)) {
                used = tol;
                break;
            }
        }
        if (!used)
            return 0;   /* not tolerated: at once */
        json_t *secs = json_object_get(used, "tolerationSeconds");
        if (!json_is_integer(secs))
            continue;   /* tolerated for ever */
        int64_t s = json_integer_value(secs);
        int64_t at = since + (s > 0 ? s : 0);
        if (when == ZK_CTL_NEVER || at < when)
            when = at;
    }
    return when;
}

int zk_ctl_zone_state(int ready, int not_ready)
{
    if (ready == 0 && not_ready > 0)
        return ZK_CTL_ZONE_FULL;
    if (not_ready > 2 && (double)not_ready / (double)(ready + not_ready) >= UNHEALTHY_ZONE)
        return ZK_CTL_ZONE_PARTIAL;
    return ZK_CTL_ZONE_NORMAL;
}

/* The NoSchedule taint keys a node's conditions call for. */
static const struct {
    const char *cond, *status, *key;
} cond_taints[] = {
    {"Ready", "False", TAINT_NOT_READY},
    {"Ready", "Unknown", TAINT_UNREACHABLE},
    {"MemoryPressure", "True", "node.kubernetes.io/memory-pressure"},
    {"DiskPressure", "True", "node.kubernetes.io/disk-pressure"},
    {"PIDPressure", "True", "node.kubernetes.io/pid-pressure"},
    {"NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable"},
};

static bool managed_taint(const json_t *t)
{
    const char *k = zk_json_str(t, "key"), *e = zk_json_str(t, "effect");
    if (!k || !e)
        return false;
    if (!strcmp(e, "NoExecute"))
        return !strcmp(k, TAINT_NOT_READY) || !strcmp(k, TAINT_UNREACHABLE);
    if (strcmp(e, "NoSchedule"))
        return false;
    if (!strcmp(k, TAINT_UNSCHEDULABLE))
        return true;
    for (size_t i = 0; i < sizeof(cond_taints) / sizeof(cond_taints[0]); i++)
        if (!strcmp(k, cond_taints[i].key))
            return true;
    return false;
}

static const char *cond_status(const json_t *node, const char *type)
{
    json_t *c = zk_ctl_get_condition(json_object_get(node, "status"), type);
    return c ? zk_json_str(c, "status") : NULL;
}

static void want_taint(json_t *want, const char *key, const char *effect)
{
    json_array_append_new(want, json_pack("{s:s,s:s}", "key", key, "effect", effect));
}

static bool has_taint(const json_t *taints, const char *key, const char *effect)
{
    size_t i;
    json_t *t;
    json_array_foreach(taints, i, t) if (str_eq(zk_json_str(t, "key"), key) &&
                                         str_eq(zk_json_str(t, "effect"), effect)) return true;
    return false;
}

json_t *zk_ctl_node_taints(const json_t *node, int no_execute, const char *now)
{
    json_t *cur = zk_json_path(node, "spec", "taints", NULL);
    zk_autojson json_t *want = json_array();
    for (size_t i = 0; i < sizeof(cond_taints) / sizeof(cond_taints[0]); i++) {
        const char *s = cond_status(node, cond_taints[i].cond);
        if (s && !strcmp(s, cond_taints[i].status))
            want_taint(want, cond_taints[i].key, "NoSchedule");
    }
    if (zk_json_bool(json_object_get(node, "spec"), "unschedulable", false))
        want_taint(want, TAINT_UNSCHEDULABLE, "NoSchedule");
    const char *ready = cond_status(node, "Ready");
    const char *nx = ready && !strcmp(ready, "False")     ? TAINT_NOT_READY
                     : ready && !strcmp(ready, "Unknown") ? TAINT_UNREACHABLE
                                                          : NULL;
    /* KEEP: no new NoExecute taint, but one already there follows the
     * condition (unreachable and not-ready swap at once, as Kubernetes) */
    bool had = has_taint(cur, TAINT_NOT_READY, "NoExecute") ||
               has_taint(cur, TAINT_UNREACHABLE, "NoExecute");
    if (nx && (no_execute == ZK_CTL_TAINT_ADD || (no_execute == ZK_CTL_TAINT_KEEP && had)))
        want_taint(want, nx, "NoExecute");

    json_t *out = json_array();
    bool changed = false;
    size_t i;
    json_t *t;
    json_array_foreach(cur, i, t) {
        if (managed_taint(t) &&
            !has_taint(want, zk_json_str(t, "key"), zk_json_str(t, "effect"))) {
            changed = true;   /* its condition cleared */
            continue;
        }
        json_array_append(out, t);
    }
    json_array_foreach(want, i, t) {
        if (has_taint(cur, zk_json_str(t, "key"), zk_json_str(t, "effect")))
            continue;
        json_t *n = json_deep_copy(t);
        zk_json_set_str(n, "timeAdded", now);
        json_array_append_new(out, n);
        changed = true;
    }
    if (!changed) {
        json_decref(out);
        return NULL;
    }
    return out;
}

bool zk_ctl_node_mark_unknown(json_t *node, const char *now)
{
    static const char *const types[] = {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"};
    json_t *status = zk_json_path_obj(node, "status", NULL);
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    const char *created = zk_json_path_str(node, "metadata", "creationTimestamp", NULL);
    bool changed = false;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        json_t *c = zk_ctl_get_condition(status, types[i]);
        if (!c) {
            json_array_append_new(
                conds, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", types[i], "status",
                                 "Unknown", "reason", "NodeStatusNeverUpdated", "message",
                                 "Kubelet never posted node status.", "lastHeartbeatTime",
                                 created ? created : now, "lastTransitionTime", now));
            changed = true;
        } else if (!str_eq(zk_json_str(c, "status"), "Unknown")) {
            zk_json_set_str(c, "status", "Unknown");
            zk_json_set_str(c, "reason", "NodeStatusUnknown");
            zk_json_set_str(c, "message", "Kubelet stopped posting node status.");
            zk_json_set_str(c, "lastTransitionTime", now);
            changed = true;
        }
    }
    return changed;
}

/* ---- health records ---- */

typedef struct node_health {
    uint64_t probe_ms;     /* when a heartbeat was last seen (monotonic) */
    char *lease_renew;     /* the last Lease renewTime seen */
    char *heartbeat;       /* the last Ready lastHeartbeatTime seen */
    char *ready;           /* the Ready status last synced ("True", ...) */
    zk_map *seen;          /* "key\x1feffect" of NoExecute taints without
                            * timeAdded -> first seen (wall s, as a pointer) */
} node_health;

typedef struct nl_state {
    zk_ctl *c;
    zk_kube_informer *nodes, *leases, *pods;
    zk_map *health;        /* node name -> node_health */
    uint64_t grace_ms, startup_ms;
    uv_timer_t monitor;
    zk_map *zones;         /* zone -> (void *)(state + 1) */
    bool zones_known;      /* the monitor has looked at every node once */
    uint64_t looked_ms;    /* when it last did */
    bool all_disrupted;
} nl_state;

static void health_free(node_health *h)
{
    if (!h)
        return;
    free(h->lease_renew);
    free(h->heartbeat);
    free(h->ready);
    zk_map_free(h->seen);
    free(h);
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = v ? zk_xstrdup(v) : NULL;
}

static node_health *health_of(nl_state *st, const json_t *node)
{
    const char *name = zk_kube_name(node);
    node_health *h = zk_map_get(st->health, name);
    if (h)
        return h;
    h = zk_xcalloc(1, sizeof(*h));
    h->seen = zk_map_new();
    uint64_t now = zk_mono_ms();
    h->probe_ms = now;
    /* A node that never posted status is timed from its creation (its
     * startup grace), as Kubernetes does. */
    json_t *rc = zk_ctl_get_condition(json_object_get(node, "status"), "Ready");
    const char *created = zk_json_path_str(node, "metadata", "creationTimestamp", NULL);
    if (!rc && created) {
        int64_t age_ms = (zk_wall_s() - zk_time_parse_rfc3339(created)) * 1000;
        if (age_ms > 0)
            h->probe_ms = (uint64_t)age_ms < now ? now - (uint64_t)age_ms : 0;
    }
    if (rc)
        set_str(&h->heartbeat, zk_json_str(rc, "lastHeartbeatTime"));
    zk_map_put(st->health, name, h);
    return h;
}

static void observe_node(nl_state *st, const json_t *node)
{
    node_health *h = health_of(st, node);
    json_t *rc = zk_ctl_get_condition(json_object_get(node, "status"), "Ready");
    const char *hb = rc ? zk_json_str(rc, "lastHeartbeatTime") : NULL;
    if (hb && !str_eq(hb, h->heartbeat)) {
        set_str(&h->heartbeat, hb);
        h->probe_ms = zk_mono_ms();
    }
}

static void observe_lease(nl_state *st, const json_t *lease)
{
    if (strcmp(zk_kube_namespace(lease), LEASE_NS))
        return;
    json_t *node = zk_kube_informer_get(st->nodes, NULL, zk_kube_name(lease));
    if (!node)
        return;
    node_health *h = health_of(st, node);
    const char *renew = zk_json_path_str(lease, "spec", "renewTime", NULL);
    if (renew && !str_eq(renew, h->lease_renew)) {
        set_str(&h->lease_renew, renew);
        h->probe_ms = zk_mono_ms();
    }
}

/* ---- handlers ---- */

static void node_add(void *ctx, json_t *node)
{
    nl_state *st = ctx;
    observe_node(st, node);
    zk_ctl_enqueue(st->c, zk_kube_name(node));
}

static void node_upd(void *ctx, json_t *old, json_t *node)
{
    nl_state *st = ctx;
    observe_node(st, node);
    /* a heartbeat alone needs no sync: the monitor times it */
    zk_autojson json_t *a = json_deep_copy(old);
    zk_autojson json_t *b = json_deep_copy(node);
    static const char *const drop[] = {"resourceVersion", "managedFields", "generation"};
    for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
        json_object_del(json_object_get(a, "metadata"), drop[i]);
        json_object_del(json_object_get(b, "metadata"), drop[i]);
    }
    size_t i;
    json_t *c;
    json_array_foreach(zk_json_path(a, "status", "conditions", NULL), i, c)
        json_object_del(c, "lastHeartbeatTime");
    json_array_foreach(zk_json_path(b, "status", "conditions", NULL), i, c)
        json_object_del(c, "lastHeartbeatTime");
    if (!json_equal(zk_json_path(a, "spec", NULL) ?: json_null(),
                    zk_json_path(b, "spec", NULL) ?: json_null()) ||
        !json_equal(zk_json_path(a, "status", "conditions", NULL) ?: json_null(),
                    zk_json_path(b, "status", "conditions", NULL) ?: json_null()) ||
        !json_equal(zk_json_path(a, "metadata", "labels", NULL) ?: json_null(),
                    zk_json_path(b, "metadata", "labels", NULL) ?: json_null()))
        zk_ctl_enqueue(st->c, zk_kube_name(node));
}

static void node_del(void *ctx, json_t *node)
{
    nl_state *st = ctx;
    health_free(zk_map_del(st->health, zk_kube_name(node)));
}

static void lease_add(void *ctx, json_t *lease) { observe_lease(ctx, lease); }
static void lease_upd(void *ctx, json_t *old, json_t *lease) { observe_lease(ctx, lease); }

/* A pod came to a node, or its tolerations changed: the node's sync decides
 * whether it may stay. */
static void pod_add(void *ctx, json_t *pod)
{
    nl_state *st = ctx;
    const char *node = zk_json_path_str(pod, "spec", "nodeName", NULL);
    if (node && node[0])
        zk_ctl_enqueue(st->c, node);
}

static void pod_upd(void *ctx, json_t *old, json_t *pod)
{
    const char *a = zk_json_path_str(old, "spec", "nodeName", NULL);
    const char *b = zk_json_path_str(pod, "spec", "nodeName", NULL);
    json_t *ta = zk_json_path(old, "spec", "tolerations", NULL);
    json_t *tb = zk_json_path(pod, "spec", "tolerations", NULL);
    if (!str_eq(a, b) || (ta && tb ? !json_equal(ta, tb) : ta != tb))
        pod_add(ctx, pod);
}

/* ---- the monitor: silent nodes and disruption ---- */

static uint64_t grace_for(const nl_state *st, const json_t *node)
{
    return zk_ctl_get_condition(json_object_get(node, "status"), "Ready") ? st->grace_ms
                                                                          : st->startup_ms;
}

typedef struct zone_count {
    int ready, not_ready;
} zone_count;

typedef struct monitor_pass {
    nl_state *st;
    uint64_t now;
    zk_map *counts;        /* zone -> zone_count */
} monitor_pass;

static const char *zone_of(const json_t *node)
{
    const char *z = zk_json_path_str(node, "metadata", "labels", LABEL_ZONE, NULL);
    return z ? z : "";
}

static void monitor_node(void *ctx, json_t *node)
{
    monitor_pass *mp = ctx;
    nl_state *st = mp->st;
    node_health *h = health_of(st, node);
    const char *ready = cond_status(node, "Ready");
    bool silent = mp->now > h->probe_ms + grace_for(st, node);
    if (silent && !str_eq(ready, "Unknown"))
        zk_ctl_enqueue(st->c, zk_kube_name(node));
    if (zk_json_path(node, "metadata", "labels", LABEL_EXCLUDE, NULL))
        return;
    zone_count *zc = zk_map_get(mp->counts, zone_of(node));
    if (!zc) {
        zc = zk_xcalloc(1, sizeof(*zc));
        zk_map_put(mp->counts, zone_of(node), zc);
    }
    /* a silent node counts as not ready already: nodes that fall silent
     * together are seen together */
    if (str_eq(ready, "True") && !silent)
        zc->ready++;
    else
        zc->not_ready++;
}

static void enqueue_node(void *ctx, json_t *node)
{
    zk_ctl_enqueue(((nl_state *)ctx)->c, zk_kube_name(node));
}

static void reset_probe(nl_state *st, uint64_t now)
{
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->health, &pos, NULL, &v))
        ((node_health *)v)->probe_ms = now;
}

/* Look at every node: enqueue the silent ones, and work out each zone's
 * disruption state (every node is enqueued when that changes). */
static void look_at_nodes(nl_state *st)
{
    monitor_pass mp = {.st = st, .now = zk_mono_ms(), .counts = zk_map_new()};
    st->looked_ms = mp.now;
    zk_kube_informer_each(st->nodes, monitor_node, &mp);
    bool all_full = zk_map_count(mp.counts) > 0;
    bool changed = false;
    zk_map *zones = zk_map_new();
    size_t pos = 0;
    const char *zone;
    void *v;
    while (zk_map_next(mp.counts, &pos, &zone, &v)) {
        zone_count *zc = v;
        int s = zk_ctl_zone_state(zc->ready, zc->not_ready);
        /* a small zone in partial disruption gets no new NoExecute taints;
         * Kubernetes only slows tainting down in a large one */
        if (s == ZK_CTL_ZONE_PARTIAL && zc->ready + zc->not_ready > LARGE_CLUSTER)
            s = ZK_CTL_ZONE_NORMAL;
        if (s != ZK_CTL_ZONE_FULL)
            all_full = false;
        if ((intptr_t)zk_map_get(st->zones, zone) != s + 1)
            changed = true;
        zk_map_put(zones, zone, (void *)(intptr_t)(s + 1));
        free(zc);
    }
    zk_map_free(mp.counts);
    if (zk_map_count(zones) != zk_map_count(st->zones))
        changed = true;
    zk_map_free(st->zones);
    st->zones = zones;
    if (!st->zones_known) {
        st->zones_known = true;
        changed = true;
    }
    if (all_full != st->all_disrupted) {
        if (all_full)
            zk_warn("nodelifecycle: every node is not ready: no NoExecute taints, no evictions");
        else {
            zk_info("nodelifecycle: some nodes are ready again: back to normal");
            /* as Kubernetes: the nodes get a full grace period from now */
            reset_probe(st, mp.now);
        }
        st->all_disrupted = all_full;
        changed = true;
    }
    if (changed)
        zk_kube_informer_each(st->nodes, enqueue_node, st);
}

static void on_monitor(uv_timer_t *t)
{
    nl_state *st = t->data;
    if (zk_kube_informer_synced(st->nodes) && zk_kube_informer_synced(st->leases))
        look_at_nodes(st);
}

/* ---- sync ---- */

static int no_execute_policy(const nl_state *st, const json_t *node)
{
    if (!st->zones_known)
        return ZK_CTL_TAINT_KEEP;   /* until the first look at every node */
    if (st->all_disrupted)
        return ZK_CTL_TAINT_REMOVE;
    intptr_t s = (intptr_t)zk_map_get(st->zones, zone_of(node)) - 1;
    if (s == ZK_CTL_ZONE_PARTIAL)
        return ZK_CTL_TAINT_KEEP;
    return ZK_CTL_TAINT_ADD;
}

/* The NoExecute taints among taints, with a start time: those without
 * timeAdded get the time this process first saw them. New reference. */
static json_t *timed_taints(node_health *h, const json_t *taints, int64_t now)
{
    json_t *out = json_array();
    zk_map *seen = zk_map_new();
    size_t i;
    json_t *t;
    json_array_foreach(taints, i, t) {
        if (!str_eq(zk_json_str(t, "effect"), "NoExecute"))
            continue;
        json_t *c = json_deep_copy(t);
        if (!zk_json_str(t, "timeAdded")) {
            char k[600];
            snprintf(k, sizeof(k), "%.500s\x1f%s", zk_json_str(t, "key") ?: "", "NoExecute");
            intptr_t first = (intptr_t)zk_map_get(h->seen, k);
            if (!first)
                first = (intptr_t)now;
            zk_map_put(seen, k, (void *)first);
            char ts[40];
            zk_time_rfc3339((int64_t)first, ts, sizeof(ts));
            zk_json_set_str(c, "timeAdded", ts);
        }
        json_array_append_new(out, c);
    }
    zk_map_free(h->seen);
    h->seen = seen;
    return out;
}

static void nl_sync(zk_ctl *c, void *state, const char *key)
{
    nl_state *st = state;
    json_t *node = zk_kube_informer_get_key(st->nodes, key);
    if (!node) {
        health_free(zk_map_del(st->health, key));
        zk_ctl_done(c, key, false);
        return;
    }
    node_health *h = health_of(st, node);
    uint64_t now_ms = zk_mono_ms();
    int64_t now = zk_wall_s();
    char nowts[40];
    zk_ctl_now(nowts, sizeof(nowts));
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    uint64_t deadline = h->probe_ms + grace_for(st, node);

    /* 1. a silent node: its conditions go Unknown (written first; the rest
     * follows in the next sync, on the written node) */
    if (now_ms > deadline) {
        zk_autojson json_t *n = json_deep_copy(node);
        if (zk_ctl_node_mark_unknown(n, nowts)) {
            if (str_eq(cond_status(node, "Ready"), "True"))
                zk_ctl_event(c, node, "Normal", "NodeNotReady",
                             "Node %s status is now: NodeNotReady", key);
            zk_ctl_batch_update(b, &zk_kube_nodes, n, "status");
            zk_ctl_batch_requeue_after(b, 1);
            zk_ctl_batch_end(b);
            return;
        }
    } else if (now_ms <= deadline) {
        zk_ctl_batch_requeue_after(b, deadline - now_ms + 50);
    }
    const char *ready = cond_status(node, "Ready");
    bool was_ready = str_eq(h->ready, "True");
    set_str(&h->ready, ready);

    /* 2. taints follow the conditions; before a NoExecute taint is added,
     * the disruption state is brought up to date (cutting the cluster off
     * makes every node fall silent within moments: the first one must not
     * be tainted on a picture taken before the others went) */
    zk_autojson json_t *taints = NULL;
    {
        zk_autojson json_t *keep = zk_ctl_node_taints(node, ZK_CTL_TAINT_KEEP, nowts);
        zk_autojson json_t *add = zk_ctl_node_taints(node, ZK_CTL_TAINT_ADD, nowts);
        bool same = keep && add ? json_equal(keep, add) : keep == add;
        /* (at most every 100 ms: a thousand nodes failing together do not
         * make a thousand passes over every node) */
        if (!same && zk_mono_ms() >= st->looked_ms + 100)
            look_at_nodes(st);
    }
    taints = zk_ctl_node_taints(node, no_execute_policy(st, node), nowts);
    if (taints) {
        zk_autojson json_t *n = json_deep_copy(node);
        json_object_set(zk_json_path_obj(n, "spec", NULL), "taints", taints);
        zk_ctl_batch_update(b, &zk_kube_nodes, n, NULL);
    }

    /* 3. its pods: not ready when the node is unreachable (or just stopped
     * being ready), evicted when they do not tolerate its NoExecute taints */
    json_t **pods = NULL;
    size_t np = zk_kube_informer_by_index(st->pods, "node", key, &pods);
    bool mark = ready && (str_eq(ready, "Unknown") || (str_eq(ready, "False") && was_ready));
    /* (the taints as this sync leaves them: one it removes evicts nobody) */
    zk_autojson json_t *nx =
        timed_taints(h, taints ? taints : zk_json_path(node, "spec", "taints", NULL), now);
    int64_t next = 0;
    for (size_t i = 0; i < np; i++) {
        json_t *pod = pods[i];
        if (zk_ctl_pod_terminal(pod))
            continue;
        bool deleting = zk_json_path(pod, "metadata", "deletionTimestamp", NULL) != NULL;
        if (!deleting && json_array_size(nx)) {
            int64_t at = zk_ctl_eviction_time(nx, zk_json_path(pod, "spec", "tolerations", NULL));
            if (at != ZK_CTL_NEVER && at <= now) {
                zk_ctl_event(c, pod, "Normal", "TaintManagerEviction",
                             "Marking for deletion Pod %s/%s", zk_kube_namespace(pod),
                             zk_kube_name(pod));
                zk_ctl_batch_delete(b, &zk_kube_pods, zk_kube_namespace(pod), zk_kube_name(pod),
                                    zk_kube_uid(pod), NULL);
                continue;
            }
            if (at != ZK_CTL_NEVER && (!next || at < next))
                next = at;
        }
        if (mark && zk_ctl_pod_ready(pod)) {
            zk_autojson json_t *p = json_deep_copy(pod);
            json_t *rc = zk_ctl_get_condition(json_object_get(p, "status"), "Ready");
            zk_json_set_str(rc, "status", "False");
            zk_json_set_str(rc, "lastTransitionTime", nowts);
            zk_ctl_batch_update(b, &zk_kube_pods, p, "status");
            zk_ctl_event(c, pod, "Warning", "NodeNotReady", "Node is not ready");
        }
    }
    free(pods);
    if (next)
        zk_ctl_batch_requeue_after(b, (uint64_t)(next - now) * 1000 + 100);
    zk_ctl_batch_end(b);
}

/* ---- setup ---- */

uint64_t zk_ctl_setting_ms(const char *who, const char *env, uint64_t dflt)
{
    const char *v = getenv(env);
    if (!v || !*v)
        return dflt;
    int64_t ms = zk_ctl_parse_duration_ms(v);
    if (ms <= 0) {
        zk_warn("%s: %s=%s is not a duration; using %llu ms", who, env, v,
                (unsigned long long)dflt);
        return dflt;
    }
    return (uint64_t)ms;
}

static void *nl_init(zk_ctl *c)
{
    nl_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->health = zk_map_new();
    st->zones = zk_map_new();
    st->grace_ms =
        zk_ctl_setting_ms("nodelifecycle", "ZKE_NODE_MONITOR_GRACE_PERIOD", DEFAULT_GRACE_MS);
    st->startup_ms = zk_ctl_setting_ms("nodelifecycle", "ZKE_NODE_STARTUP_GRACE_PERIOD",
                                       DEFAULT_STARTUP_GRACE_MS);
    st->nodes = zk_ctl_informer(c, &zk_kube_nodes);
    st->leases = zk_ctl_informer(c, &zk_kube_leases);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    zk_kube_handler hn = {.add = node_add, .update = node_upd, .del = node_del, .ctx = st};
    zk_kube_informer_on(st->nodes, &hn);
    zk_kube_handler hl = {.add = lease_add, .update = lease_upd, .ctx = st};
    zk_kube_informer_on(st->leases, &hl);
    zk_kube_handler hp = {.add = pod_add, .update = pod_upd, .ctx = st};
    zk_kube_informer_on(st->pods, &hp);
    /* Kubernetes looks every 5 s; a short grace period is looked at more
     * often so that it means what it says */
    uint64_t period = st->grace_ms / 8;
    if (period > 5000)
        period = 5000;
    if (period < 100)
        period = 100;
    uv_timer_init(zk_kube_client_loop(zk_ctl_client(c)), &st->monitor);
    st->monitor.data = st;
    uv_timer_start(&st->monitor, on_monitor, period, period);
    zk_info("nodelifecycle: grace period %llu ms, startup grace %llu ms",
            (unsigned long long)st->grace_ms, (unsigned long long)st->startup_ms);
    return st;
}

static void on_closed(uv_handle_t *h)
{
    nl_state *st = h->data;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->health, &pos, NULL, &v))
        health_free(v);
    zk_map_free(st->health);
    zk_map_free(st->zones);
    free(st);
}

static void nl_free(void *state)
{
    nl_state *st = state;
    uv_timer_stop(&st->monitor);
    uv_close((uv_handle_t *)&st->monitor, on_closed);
}

const zk_ctl_def zk_ctl_nodelifecycle = {
    .name = "nodelifecycle", .workers = 8, .init = nl_init, .sync = nl_sync, .free = nl_free};
