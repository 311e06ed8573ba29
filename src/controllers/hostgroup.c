/* zke controllers: HostGroups (zke.io/v1alpha1, deploy/crds/hostgroups.yaml).
 *
 * A HostGroup names nodes (spec.nodes) or selects them (spec.nodeSelector,
 * a label selector). Each member node gets the label
 * zke.io/host-group=<group>; a member of an exclusive group also the taint
 * zke.io/exclusive=<group>:NoSchedule, so only pods that tolerate it (those
 * asking for the group: admission/strategies.h) run there. A node that
 * leaves every group loses both. A node selected by two groups belongs to
 * the first by name; the other says so in its status (condition Conflict).
 * Status: the member nodes (status.nodes, status.nodeCount) and the
 * condition Ready.
 *
 * Keys: "n:<node>" (make one node's label and taint right) and "g:<group>"
 * (write one group's status). A group that changes enqueues every node and
 * every group; a node whose labels change enqueues itself and the groups.
 * Nodes are written with their resourceVersion (a conflict requeues). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/strategies.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "kube/selector.h"

const zk_kube_resource zk_kube_hostgroups = {"zke.io", "v1alpha1", "hostgroups", "HostGroup",
                                             false};

typedef struct hg_state {
    zk_ctl *c;
    zk_kube_informer *groups, *nodes;
} hg_state;

/* ---- the pure part ---- */

bool zk_ctl_hostgroup_selects(const json_t *group, const json_t *node)
{
    if (zk_json_path(group, "metadata", "deletionTimestamp", NULL))
        return false;
    const char *name = zk_kube_name(node);
    size_t i;
    json_t *v;
    json_array_foreach(zk_json_path(group, "spec", "nodes", NULL), i, v)
        if (name && json_is_string(v) && !strcmp(json_string_value(v), name))
            return true;
    json_t *sel = zk_json_path(group, "spec", "nodeSelector", NULL);
    if (!json_is_object(sel) || !json_object_size(sel))
        return false;   /* an empty selector selects nothing here: not "every node" */
    zk_kube_selector *s = NULL;
    zk_err err = {0};
    if (zk_kube_selector_from_json(sel, &s, &err) < 0)
        return false;
    bool ok = zk_kube_selector_matches(s, zk_json_path(node, "metadata", "labels", NULL));
    zk_kube_selector_free(s);
    return ok;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(zk_kube_name(*(json_t *const *)a) ?: "", zk_kube_name(*(json_t *const *)b) ?: "");
}

const json_t *zk_ctl_hostgroup_of(const json_t *node, json_t *const *groups, size_t n)
{
    const json_t *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (zk_ctl_hostgroup_selects(groups[i], node) &&
            (!best || strcmp(zk_kube_name(groups[i]), zk_kube_name(best)) < 0))
            best = groups[i];
    return best;
}

bool zk_ctl_hostgroup_apply(json_t *node, const json_t *group)
{
    bool changed = false;
    json_t *meta = json_object_get(node, "metadata");
    json_t *labels = json_object_get(meta, "labels");
    const char *gname = group ? zk_kube_name(group) : NULL;
    const char *have = zk_json_str(labels, ZK_ADM_HOST_GROUP_LABEL);
    if (gname && (!have || strcmp(have, gname))) {
        if (!json_is_object(labels)) {
            labels = json_object();
            json_object_set_new(meta, "labels", labels);
        }
        json_object_set_new(labels, ZK_ADM_HOST_GROUP_LABEL, json_string(gname));
        changed = true;
    } else if (!gname && have) {
        json_object_del(labels, ZK_ADM_HOST_GROUP_LABEL);
        changed = true;
    }
    bool excl = group && json_is_true(zk_json_path(group, "spec", "exclusive", NULL));
    json_t *spec = json_object_get(node, "spec");
    json_t *taints = json_object_get(spec, "taints");
    json_t *keep = json_array();
    bool have_taint = false;
    size_t i;
    json_t *t;
    json_array_foreach(taints, i, t) {
        const char *key = zk_json_str(t, "key");
        if (key && !strcmp(key, ZK_ADM_EXCLUSIVE_TAINT)) {
            const char *val = zk_json_str(t, "value"), *eff = zk_json_str(t, "effect");
            if (excl && !have_taint && val && !strcmp(val, gname) && eff &&
                !strcmp(eff, "NoSchedule")) {
                have_taint = true;
                json_array_append(keep, t);
            } else {
                changed = true;   /* another group's, or a duplicate */
            }
            continue;
        }
        json_array_append(keep, t);
    }
    if (excl && !have_taint) {
        json_array_append_new(keep, json_pack("{s:s,s:s,s:s}", "key", ZK_ADM_EXCLUSIVE_TAINT,
                                              "value", gname, "effect", "NoSchedule"));
        changed = true;
    }
    if (changed) {
        if (!json_is_object(spec)) {
            spec = json_object();
            json_object_set_new(node, "spec", spec);
        }
        if (json_array_size(keep))
            json_object_set_new(spec, "taints", keep);
        else {
            json_object_del(spec, "taints");
            json_decref(keep);
        }
    } else {
        json_decref(keep);
    }
    return changed;
}

/* ---- the controller ---- */

/* Enqueue "<kind>:<name>" (kind 'g' a group, 'n' a node). */
static void enqueue(hg_state *st, char kind, const json_t *obj)
{
    char key[300];
    snprintf(key, sizeof(key), "%c:%.253s", kind, zk_kube_name(obj));
    zk_ctl_enqueue(st->c, key);
}

static void enqueue_all(hg_state *st, zk_kube_informer *inf, char kind)
{
    json_t **all = NULL;
    size_t n = zk_kube_informer_list(inf, &all);
    for (size_t i = 0; i < n; i++)
        enqueue(st, kind, all[i]);
    free(all);
}

static void group_ev(void *ctx, json_t *g)
{
    hg_state *st = ctx;
    enqueue_all(st, st->nodes, 'n');
    enqueue_all(st, st->groups, 'g');
    enqueue(st, 'g', g);
}

static void group_upd(void *ctx, json_t *old, json_t *g)
{
    /* a status write of ours changes nothing that matters */
    if (json_equal(json_object_get(old, "spec"), json_object_get(g, "spec")) &&
        !zk_json_path(g, "metadata", "deletionTimestamp", NULL))
        return;
    group_ev(ctx, g);
}

static void node_ev(void *ctx, json_t *node)
{
    hg_state *st = ctx;
    enqueue(st, 'n', node);
    enqueue_all(st, st->groups, 'g');
}

static void node_upd(void *ctx, json_t *old, json_t *node)
{
    /* heartbeats change only status: labels and taints decide */
    if (json_equal(zk_json_path(old, "metadata", "labels", NULL),
                   zk_json_path(node, "metadata", "labels", NULL)) &&
        json_equal(zk_json_path(old, "spec", "taints", NULL) ?: json_null(),
                   zk_json_path(node, "spec", "taints", NULL) ?: json_null()))
        return;
    node_ev(ctx, node);
}

static void node_sync(hg_state *st, const char *key, const char *name)
{
    json_t *node = zk_kube_informer_get(st->nodes, NULL, name);
    if (!node) {
        zk_ctl_done(st->c, key, false);
        return;
    }
    json_t **gs = NULL;
    size_t n = zk_kube_informer_list(st->groups, &gs);
    const json_t *g = zk_ctl_hostgroup_of(node, gs, n);
    json_t *want = json_deep_copy(node);
    bool changed = zk_ctl_hostgroup_apply(want, g);
    zk_ctl_batch *b = zk_ctl_batch_begin(st->c, key);
    if (changed) {
        zk_info("hostgroup: node %s %s host group %s", name, g ? "joins" : "leaves",
                g ? zk_kube_name(g) : zk_json_path_str(node, "metadata", "labels",
                                                       ZK_ADM_HOST_GROUP_LABEL, NULL));
        zk_ctl_batch_update(b, &zk_kube_nodes, want, NULL);
    }
    json_decref(want);
    free(gs);
    zk_ctl_batch_end(b);
}

static void group_sync(hg_state *st, const char *key, const char *name)
{
    json_t *g = zk_kube_informer_get(st->groups, NULL, name);
    if (!g || zk_json_path(g, "metadata", "deletionTimestamp", NULL)) {
        zk_ctl_done(st->c, key, false);
        return;
    }
    json_t **gs = NULL, **ns = NULL;
    size_t ng = zk_kube_informer_list(st->groups, &gs);
    size_t nn = zk_kube_informer_list(st->nodes, &ns);
    qsort(ns, nn, sizeof(*ns), by_name);
    json_t *members = json_array();
    zk_buf conflicts;
    zk_buf_init(&conflicts, 4096);
    size_t nconf = 0;
    for (size_t i = 0; i < nn; i++) {
        if (!zk_ctl_hostgroup_selects(g, ns[i]))
            continue;
        const json_t *owner = zk_ctl_hostgroup_of(ns[i], gs, ng);
        if (owner == g) {
            json_array_append_new(members, json_string(zk_kube_name(ns[i])));
        } else if (owner) {
            if (nconf++ < 8)
                zk_buf_printf(&conflicts, "%snode %s is in host group %s", nconf > 1 ? ", " : "",
                              zk_kube_name(ns[i]), zk_kube_name(owner));
        }
    }
    /* named nodes that do not exist */
    size_t missing = 0;
    size_t i;
    json_t *v;
    json_array_foreach(zk_json_path(g, "spec", "nodes", NULL), i, v)
        if (json_is_string(v) && !zk_kube_informer_get(st->nodes, NULL, json_string_value(v)))
            missing++;
    json_t *status = json_deep_copy(json_object_get(g, "status"));
    if (!json_is_object(status)) {
        json_decref(status);
        status = json_object();
    }
    json_object_set(status, "nodes", members);
    json_object_set_new(status, "nodeCount", json_integer((json_int_t)json_array_size(members)));
    char msg[600];
    if (nconf) {
        snprintf(msg, sizeof(msg), "%.*s%s: a node belongs to the first of its groups by name",
                 (int)conflicts.len, conflicts.data, nconf > 8 ? ", ..." : "");
        zk_ctl_set_condition(status, "Conflict", "True", "NodeInAnotherGroup", msg, false);
    } else {
        zk_ctl_set_condition(status, "Conflict", "False", "NoConflict",
                             "every selected node is in this group", false);
    }
    if (json_array_size(members) == 0) {
        snprintf(msg, sizeof(msg), "no node is in this group%s",
                 missing ? " (the named nodes do not exist)" : "");
        zk_ctl_set_condition(status, "Ready", "False", "NoNodes", msg, false);
    } else {
        snprintf(msg, sizeof(msg), "%zu node%s labelled %s=%s%s", json_array_size(members),
                 json_array_size(members) == 1 ? "" : "s", ZK_ADM_HOST_GROUP_LABEL, name,
                 json_is_true(zk_json_path(g, "spec", "exclusive", NULL))
                     ? " and tainted " ZK_ADM_EXCLUSIVE_TAINT ":NoSchedule" : "");
        zk_ctl_set_condition(status, "Ready", "True", "NodesLabelled", msg, false);
    }
    json_decref(members);
    zk_buf_free(&conflicts);
    zk_ctl_batch *b = zk_ctl_batch_begin(st->c, key);
    if (!json_equal(status, json_object_get(g, "status"))) {
        json_t *upd = json_deep_copy(g);
        json_object_set(upd, "status", status);
        zk_ctl_batch_update(b, &zk_kube_hostgroups, upd, "status");
        json_decref(upd);
    }
    json_decref(status);
    free(gs);
    free(ns);
    zk_ctl_batch_end(b);
}

static void hg_sync(zk_ctl *c, void *state, const char *key)
{
    hg_state *st = state;
    if (!strncmp(key, "n:", 2))
        node_sync(st, key, key + 2);
    else if (!strncmp(key, "g:", 2))
        group_sync(st, key, key + 2);
    else
        zk_ctl_done(c, key, false);
}

static void *hg_init(zk_ctl *c)
{
    hg_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->groups = zk_ctl_informer(c, &zk_kube_hostgroups);
    st->nodes = zk_ctl_informer(c, &zk_kube_nodes);
    zk_kube_informer_on(st->groups, &(zk_kube_handler){.add = group_ev, .update = group_upd,
                                                       .del = group_ev, .ctx = st});
    zk_kube_informer_on(st->nodes, &(zk_kube_handler){.add = node_ev, .update = node_upd,
                                                      .del = node_ev, .ctx = st});
    return st;
}

const zk_ctl_def zk_ctl_hostgroup = {
    .name = "hostgroup", .workers = 2, .init = hg_init, .sync = hg_sync, .free = free};
