/* zke controllers: EndpointSlices (discovery.k8s.io/v1).
 *
 * For each Service with a selector, EndpointSlices of addressType IPv4 hold
 * one endpoint per selected pod that has an IP and is not terminal:
 * conditions ready (serving and not terminating, or always with
 * publishNotReadyAddresses), serving (the pod's Ready condition) and
 * terminating (deletionTimestamp set), nodeName, zone, targetRef. Pods that
 * resolve the service ports to the same numbers share slices; a slice holds
 * at most 100 endpoints. Slices are named <service>-<random>, labelled
 * kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by=
 * endpointslice-controller.k8s.io, and owned by the Service (the garbage
 * collector removes them with it).
 *
 * Churn is kept low as in Kubernetes' reconciler: an endpoint stays in the
 * slice that has it and is updated there; new endpoints fill slices that are
 * being written anyway, then new slices, and a last partial batch goes into
 * an unchanged slice with room rather than a new one; emptied slices are
 * deleted. A Service with no endpoints keeps one empty placeholder slice. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"

#define MANAGED_BY "endpointslice-controller.k8s.io"
#define LABEL_SERVICE "kubernetes.io/service-name"
#define LABEL_MANAGED_BY "endpointslice.kubernetes.io/managed-by"
#define LABEL_HEADLESS "service.kubernetes.io/headless"
#define ANN_TRIGGER "endpoints.kubernetes.io/last-change-trigger-time"
#define LABEL_ZONE "topology.kubernetes.io/zone"

/* ---- desired endpoints (pure) ---- */

/* The ports of a slice in one canonical form (name "" when unnamed, TCP by
 * default, sorted by name), as text: the key slices are grouped by. */
static char *ports_key(const json_t *ports)
{
    size_t n = json_array_size(ports);
    char **parts = zk_xcalloc(n ? n : 1, sizeof(*parts));
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(ports, i);
        parts[i] = zk_xasprintf("%s/%lld/%s/%s", zk_json_str(p, "name") ?: "",
                                (long long)zk_json_int(p, "port", 0),
                                zk_json_str(p, "protocol") ?: "TCP",
                                zk_json_str(p, "appProtocol") ?: "");
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(parts[j - 1], parts[j]) > 0; j--) {
            char *t = parts[j];
            parts[j] = parts[j - 1];
            parts[j - 1] = t;
        }
    zk_buf b;
    zk_buf_init(&b, 1u << 20);
    zk_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        zk_buf_puts(&b, parts[i]);
        zk_buf_putc(&b, ';');
        free(parts[i]);
    }
    free(parts);
    return zk_buf_steal(&b, NULL);
}

static int cmp_port_name(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    return strcmp(zk_json_str(a, "name") ?: "", zk_json_str(b, "name") ?: "");
}

/* The slice ports of svc as served by pod, sorted by name. */
static json_t *pod_ports(const json_t *svc, const json_t *pod)
{
    json_t *sports = zk_json_path(svc, "spec", "ports", NULL);
    size_t n = json_array_size(sports), m = 0;
    json_t **v = zk_xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        json_t *sp = json_array_get(sports, i);
        int64_t num = zk_ctl_find_port(pod, sp);
        if (num <= 0)
            continue;
        json_t *p = json_pack("{s:s,s:I,s:s}", "name", zk_json_str(sp, "name") ?: "", "port",
                              (json_int_t)num, "protocol", zk_json_str(sp, "protocol") ?: "TCP");
        const char *app = zk_json_str(sp, "appProtocol");
        if (app)
            zk_json_set_str(p, "appProtocol", app);
        v[m++] = p;
    }
    qsort(v, m, sizeof(*v), cmp_port_name);
    json_t *arr = json_array();
    for (size_t i = 0; i < m; i++)
        json_array_append_new(arr, v[i]);
    free(v);
    return arr;
}

static json_t *pod_endpoint(const json_t *svc, const json_t *pod, const char *ip,
                            const char *zone)
{
    bool publish = zk_json_bool(json_object_get(svc, "spec"), "publishNotReadyAddresses", false);
    bool serving = zk_ctl_pod_ready(pod);
    bool terminating = zk_json_path(pod, "metadata", "deletionTimestamp", NULL) != NULL;
    bool ready = publish || (serving && !terminating);
    json_t *ep = json_pack("{s:[s],s:{s:b,s:b,s:b}}", "addresses", ip, "conditions", "ready",
                           ready, "serving", serving, "terminating", terminating);
    const char *host = zk_ctl_pod_svc_hostname(pod, svc);
    if (host)
        zk_json_set_str(ep, "hostname", host);
    const char *node = zk_json_path_str(pod, "spec", "nodeName", NULL);
    if (node && node[0])
        zk_json_set_str(ep, "nodeName", node);
    if (zone && zone[0])
        zk_json_set_str(ep, "zone", zone);
    json_object_set_new(ep, "targetRef", zk_ctl_pod_target_ref(pod));
    return ep;
}

static int cmp_endpoint(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    const char *ia = json_string_value(json_array_get(json_object_get(a, "addresses"), 0));
    const char *ib = json_string_value(json_array_get(json_object_get(b, "addresses"), 0));
    int r = strcmp(ia ? ia : "", ib ? ib : "");
    if (r)
        return r;
    return strcmp(zk_json_path_str(a, "targetRef", "uid", NULL) ?: "",
                  zk_json_path_str(b, "targetRef", "uid", NULL) ?: "");
}

json_t *zk_ctl_slice_groups(const json_t *svc, json_t *const *pods, size_t npods,
                            const char *(*zone_of)(void *ctx, const char *node), void *ctx)
{
    zk_map *by_key = zk_map_new();   /* ports key -> group */
    json_t *groups = json_array();
    for (size_t i = 0; i < npods; i++) {
        const json_t *pod = pods[i];
        const char *ip = zk_ctl_pod_ipv4(pod);
        if (!ip || zk_ctl_pod_terminal(pod))
            continue;
        json_t *ports = pod_ports(svc, pod);
        zk_autofree char *key = ports_key(ports);
        json_t *g = zk_map_get(by_key, key);
        if (!g) {
            g = json_pack("{s:o,s:[]}", "ports", ports, "endpoints");
            zk_map_put(by_key, key, g);
            json_array_append_new(groups, g);
        } else {
            json_decref(ports);
        }
        const char *node = zk_json_path_str(pod, "spec", "nodeName", NULL);
        const char *zone = node && zone_of ? zone_of(ctx, node) : NULL;
        json_array_append_new(json_object_get(g, "endpoints"), pod_endpoint(svc, pod, ip, zone));
    }
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        json_t *eps = json_object_get(g, "endpoints");
        size_t n = json_array_size(eps);
        json_t **v = zk_xcalloc(n ? n : 1, sizeof(*v));
        for (size_t j = 0; j < n; j++)
            v[j] = json_incref(json_array_get(eps, j));
        qsort(v, n, sizeof(*v), cmp_endpoint);
        json_array_clear(eps);
        for (size_t j = 0; j < n; j++)
            json_array_append_new(eps, v[j]);
        free(v);
    }
    zk_map_free(by_key);
    return groups;
}

/* ---- planning the writes (pure) ---- */

json_t *zk_ctl_slice_labels(const json_t *svc)
{
    json_t *labels = json_object();
    json_t *sl = zk_json_path(svc, "metadata", "labels", NULL);
    if (json_is_object(sl))
        json_object_update(labels, sl);
    if (zk_ctl_svc_headless(svc))
        json_object_set_new(labels, LABEL_HEADLESS, json_string(""));
    else
        json_object_del(labels, LABEL_HEADLESS);
    json_object_set_new(labels, LABEL_SERVICE, json_string(zk_kube_name(svc)));
    json_object_set_new(labels, LABEL_MANAGED_BY, json_string(MANAGED_BY));
    return labels;
}

/* An endpoint's identity across versions: the pod's uid, else its address. */
static const char *ep_id(const json_t *ep)
{
    const char *uid = zk_json_path_str(ep, "targetRef", "uid", NULL);
    if (uid && uid[0])
        return uid;
    const char *ip = json_string_value(json_array_get(json_object_get(ep, "addresses"), 0));
    return ip ? ip : "";
}

typedef struct slice_plan {
    const json_t *cur;     /* NULL for a new slice */
    const json_t *ports;   /* borrowed */
    json_t *eps;           /* the endpoints it will hold */
    bool dirty;
} slice_plan;

static json_t *new_slice(const json_t *svc, const json_t *labels)
{
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "%.250s-", zk_kube_name(svc));
    json_t *s = json_pack("{s:s,s:s,s:{s:s,s:s,s:O,s:[o]},s:s}", "apiVersion",
                          "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata",
                          "generateName", prefix, "namespace", zk_kube_namespace(svc), "labels",
                          labels, "ownerReferences", zk_ctl_owner_ref(svc), "addressType",
                          "IPv4");
    return s;
}

static void add_op(json_t *ops, const char *op, json_t *slice)
{
    json_array_append_new(ops, json_pack("{s:s,s:o}", "op", op, "slice", slice));
}

static bool labels_same(const json_t *slice, const json_t *labels)
{
    json_t *have = zk_json_path(slice, "metadata", "labels", NULL);
    return have && json_equal(have, (json_t *)labels);
}

static void emit(json_t *ops, const json_t *svc, const json_t *labels, slice_plan *p,
                 const char *trigger)
{
    if (p->cur && !p->dirty && labels_same(p->cur, labels))
        return;
    json_t *s = p->cur ? json_deep_copy(p->cur) : new_slice(svc, labels);
    json_t *meta = json_object_get(s, "metadata");
    json_object_set(meta, "labels", (json_t *)labels);
    if (trigger && (p->dirty || !p->cur)) {
        json_t *ann = zk_json_path_obj(s, "metadata", "annotations", NULL);
        zk_json_set_str(ann, ANN_TRIGGER, trigger);
    }
    json_object_set(s, "endpoints", p->eps);
    if (json_array_size(p->ports))
        json_object_set(s, "ports", (json_t *)p->ports);
    else
        json_object_del(s, "ports");
    add_op(ops, p->cur ? "update" : "create", s);
}

json_t *zk_ctl_slices_plan(const json_t *svc, json_t *const *cur, size_t ncur,
                           const json_t *groups, size_t max, const char *trigger)
{
    json_t *ops = json_array();
    zk_autojson json_t *labels = zk_ctl_slice_labels(svc);
    bool *claimed = zk_xcalloc(ncur ? ncur : 1, sizeof(*claimed));
    char **keys = zk_xcalloc(ncur ? ncur : 1, sizeof(*keys));
    for (size_t i = 0; i < ncur; i++)
        keys[i] = ports_key(json_object_get(cur[i], "ports"));
    size_t total = 0;

    size_t gi;
    json_t *g;
    json_array_foreach(groups, gi, g) {
        const json_t *ports = json_object_get(g, "ports");
        json_t *want = json_object_get(g, "endpoints");
        total += json_array_size(want);
        zk_autofree char *key = ports_key(ports);
        zk_map *desired = zk_map_new();   /* id -> endpoint (borrowed) */
        size_t i;
        json_t *ep;
        json_array_foreach(want, i, ep) zk_map_put(desired, ep_id(ep), ep);
        zk_map *placed = zk_map_new();

        /* 1. existing slices of these ports keep what they have */
        slice_plan *plans = zk_xcalloc(ncur + json_array_size(want) / (max ? max : 1) + 2,
                                       sizeof(*plans));
        size_t np = 0;
        for (size_t s = 0; s < ncur; s++) {
            if (claimed[s] || strcmp(keys[s], key))
                continue;
            claimed[s] = true;
            slice_plan *p = &plans[np++];
            p->cur = cur[s];
            p->ports = ports;
            p->eps = json_array();
            size_t j;
            json_t *have;
            json_array_foreach(json_object_get(cur[s], "endpoints"), j, have) {
                const char *id = ep_id(have);
                json_t *d = zk_map_get(desired, id);
                if (d && !zk_map_get(placed, id)) {
                    json_array_append(p->eps, d);
                    zk_map_put(placed, id, d);
                    if (!json_equal(d, have))
                        p->dirty = true;
                } else {
                    p->dirty = true;   /* gone, or a duplicate */
                }
            }
        }
        /* 2. the rest, in order */
        size_t nrest = 0;
        json_t **rest = zk_xcalloc(json_array_size(want) + 1, sizeof(*rest));
        json_array_foreach(want, i, ep) if (!zk_map_get(placed, ep_id(ep))) rest[nrest++] = ep;
        size_t r = 0;
        /* 2a. into slices being written anyway */
        for (size_t s = 0; s < np && r < nrest; s++) {
            slice_plan *p = &plans[s];
            if (!p->dirty)
                continue;
            while (json_array_size(p->eps) < max && r < nrest)
                json_array_append(p->eps, rest[r++]);
        }
        /* 2b. full new slices; a last partial one goes into an unchanged
         * slice with room when there is one */
        while (r < nrest) {
            size_t left = nrest - r;
            slice_plan *into = NULL;
            if (left < max) {
                size_t best_room = 0;
                for (size_t s = 0; s < np; s++) {
                    size_t room = max - json_array_size(plans[s].eps);
                    if (!plans[s].dirty && room >= left && (!into || room < best_room)) {
                        into = &plans[s];
                        best_room = room;
                    }
                }
            }
            if (into) {
                into->dirty = true;
            } else {
                into = &plans[np++];
                into->ports = ports;
                into->eps = json_array();
                into->dirty = true;
            }
            while (json_array_size(into->eps) < max && r < nrest)
                json_array_append(into->eps, rest[r++]);
        }
        free(rest);
        for (size_t s = 0; s < np; s++) {
            slice_plan *p = &plans[s];
            if (json_array_size(p->eps) == 0)
                add_op(ops, "delete", json_deep_copy(p->cur));
            else
                emit(ops, svc, labels, p, trigger);
            json_decref(p->eps);
        }
        free(plans);
        zk_map_free(placed);
        zk_map_free(desired);
    }

    /* slices of ports nobody serves now go; with no endpoints at all, one
     * empty placeholder stays */
    bool have_placeholder = false;
    for (size_t s = 0; s < ncur; s++) {
        if (claimed[s])
            continue;
        bool is_placeholder = json_array_size(json_object_get(cur[s], "endpoints")) == 0 &&
                              json_array_size(json_object_get(cur[s], "ports")) == 0;
        if (total == 0 && is_placeholder && !have_placeholder) {
            have_placeholder = true;
            if (!labels_same(cur[s], labels)) {
                json_t *c = json_deep_copy(cur[s]);
                json_object_set(json_object_get(c, "metadata"), "labels", labels);
                add_op(ops, "update", c);
            }
            continue;
        }
        add_op(ops, "delete", json_deep_copy(cur[s]));
    }
    if (total == 0 && !have_placeholder) {
        json_t *s = new_slice(svc, labels);
        json_object_set_new(s, "endpoints", json_array());
        add_op(ops, "create", s);
    }
    for (size_t i = 0; i < ncur; i++)
        free(keys[i]);
    free(keys);
    free(claimed);
    return ops;
}

/* ---- the controller ---- */

typedef struct eps_state {
    zk_ctl *c;
    zk_kube_informer *svcs, *pods, *slices, *nodes;
} eps_state;

static void svc_ev(void *ctx, json_t *o) { zk_ctl_enqueue_obj(((eps_state *)ctx)->c, o); }
static void svc_upd(void *ctx, json_t *old, json_t *o) { svc_ev(ctx, o); }

static void pod_add(void *ctx, json_t *pod)
{
    eps_state *st = ctx;
    zk_ctl_enqueue_pod_services(st->c, st->svcs, NULL, pod);
}

static void pod_upd(void *ctx, json_t *old, json_t *pod)
{
    eps_state *st = ctx;
    if (zk_ctl_pod_endpoint_changed(old, pod))
        zk_ctl_enqueue_pod_services(st->c, st->svcs, old, pod);
}

static bool ours(const json_t *slice)
{
    const char *m = zk_json_path_str(slice, "metadata", "labels", LABEL_MANAGED_BY, NULL);
    return m && !strcmp(m, MANAGED_BY);
}

/* A slice of ours changed or went away by someone else's hand: the
 * Service's sync puts it right (our own writes come back here too and find
 * nothing to do). */
static void slice_ev(eps_state *st, json_t *slice, uint64_t delay_ms)
{
    const char *svc = zk_json_path_str(slice, "metadata", "labels", LABEL_SERVICE, NULL);
    if (!svc || !ours(slice))
        return;
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", zk_kube_namespace(slice), svc);
    zk_ctl_enqueue_after(st->c, key, delay_ms);
}

static void slice_upd(void *ctx, json_t *old, json_t *slice) { slice_ev(ctx, slice, 0); }

/* Deleting a Service deletes its slices, and the informers of the two kinds
 * deliver the events in no set order: wait a moment before making slices
 * again, so that a Service just deleted is gone from the cache by then. */
static void slice_del(void *ctx, json_t *slice) { slice_ev(ctx, slice, 1000); }

static const char *zone_of(void *ctx, const char *node)
{
    eps_state *st = ctx;
    json_t *n = zk_kube_informer_get(st->nodes, NULL, node);
    return n ? zk_json_path_str(n, "metadata", "labels", LABEL_ZONE, NULL) : NULL;
}

static void eps_sync(zk_ctl *c, void *state, const char *key)
{
    eps_state *st = state;
    json_t *svc = zk_kube_informer_get_key(st->svcs, key);
    /* a deleted Service's slices are its dependents: the garbage collector
     * removes them */
    const json_t *sel = svc ? zk_ctl_svc_selector(svc) : NULL;
    if (!svc || !sel || zk_json_path(svc, "metadata", "deletionTimestamp", NULL)) {
        zk_ctl_done(c, key, false);
        return;
    }
    const char *ns = zk_kube_namespace(svc);
    json_t **inns = NULL;
    size_t n = zk_kube_informer_by_index(st->pods, "namespace", ns, &inns);
    size_t m = 0;
    int64_t trigger = 0;
    for (size_t i = 0; i < n; i++) {
        if (!zk_ctl_svc_selects(sel, inns[i]))
            continue;
        inns[m++] = inns[i];
        int64_t t = zk_ctl_pod_change_time(inns[i]);
        if (t > trigger)
            trigger = t;
    }
    const char *svc_created = zk_json_path_str(svc, "metadata", "creationTimestamp", NULL);
    int64_t created = svc_created ? zk_time_parse_rfc3339(svc_created) : 0;
    if (created > trigger)
        trigger = created;
    zk_autojson json_t *groups = zk_ctl_slice_groups(svc, inns, m, zone_of, st);
    free(inns);

    json_t **owned = NULL;
    size_t no = zk_kube_informer_by_index(st->slices, "owner", zk_kube_uid(svc), &owned);
    size_t k = 0;
    for (size_t i = 0; i < no; i++) {
        const char *at = zk_json_str(owned[i], "addressType");
        if (ours(owned[i]) && at && !strcmp(at, "IPv4") &&
            !zk_json_path(owned[i], "metadata", "deletionTimestamp", NULL))
            owned[k++] = owned[i];
    }
    char ts[40] = "";
    if (trigger > 0)
        zk_time_rfc3339(trigger, ts, sizeof(ts));
    zk_autojson json_t *ops =
        zk_ctl_slices_plan(svc, owned, k, groups, ZK_CTL_SLICE_MAX, ts[0] ? ts : NULL);
    free(owned);

    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        const char *what = zk_json_str(op, "op");
        json_t *s = json_object_get(op, "slice");
        if (!strcmp(what, "create"))
            zk_ctl_batch_create(b, &zk_kube_endpointslices, ns, s);
        else if (!strcmp(what, "update"))
            zk_ctl_batch_update(b, &zk_kube_endpointslices, s, NULL);
        else
            zk_ctl_batch_delete(b, &zk_kube_endpointslices, ns, zk_kube_name(s), zk_kube_uid(s),
                                NULL);
    }
    zk_ctl_batch_end(b);
}

static void *eps_init(zk_ctl *c)
{
    eps_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->svcs = zk_ctl_informer(c, &zk_kube_services);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    st->slices = zk_ctl_informer(c, &zk_kube_endpointslices);
    st->nodes = zk_ctl_informer(c, &zk_kube_nodes);
    zk_kube_handler hs = {.add = svc_ev, .update = svc_upd, .del = svc_ev, .ctx = st};
    zk_kube_informer_on(st->svcs, &hs);
    zk_kube_handler hp = {.add = pod_add, .update = pod_upd, .del = pod_add, .ctx = st};
    zk_kube_informer_on(st->pods, &hp);
    zk_kube_handler hl = {.update = slice_upd, .del = slice_del, .ctx = st};
    zk_kube_informer_on(st->slices, &hl);
    return st;
}

const zk_ctl_def zk_ctl_endpointslice = {
    .name = "endpointslice", .workers = 4, .init = eps_init, .sync = eps_sync, .free = free};
