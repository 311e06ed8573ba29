/* zke controllers: Endpoints.
 *
 * For each Service with a selector, an Endpoints object of the same name
 * lists the selected pods that have an IP: ready pods in `addresses`, the
 * others in `notReadyAddresses` (all in `addresses` when the Service sets
 * publishNotReadyAddresses). Terminal pods are left out, and so are pods
 * being deleted unless publishNotReadyAddresses is set, as Kubernetes does.
 * Each service port is resolved on each pod (a named targetPort is looked up
 * in the pod's container ports), and addresses are grouped into subsets by
 * the ports they serve, so pods that give one port name different numbers
 * land in different subsets. At most 1000 addresses are kept (ready ones
 * first), with the over-capacity annotation when some were cut. The object
 * is written only when it changes, and deleted with its Service. Services
 * without a selector (such as default/kubernetes) are left alone. */
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

#define EP_MAX_ADDRESSES 1000
#define ANN_TRIGGER "endpoints.kubernetes.io/last-change-trigger-time"
#define ANN_CAPACITY "endpoints.kubernetes.io/over-capacity"
#define LABEL_MANAGED_BY "endpoints.kubernetes.io/managed-by"
#define LABEL_HEADLESS "service.kubernetes.io/headless"

/* ---- subsets (pure) ---- */

json_t *zk_ctl_pod_target_ref(const json_t *pod)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "kind", "Pod", "namespace", zk_kube_namespace(pod),
                     "name", zk_kube_name(pod), "uid", zk_kube_uid(pod));
}

bool zk_ctl_svc_headless(const json_t *svc)
{
    const char *ip = zk_json_path_str(svc, "spec", "clusterIP", NULL);
    return ip && !strcmp(ip, "None");
}

/* The hostname a pod has in its Service's DNS: spec.hostname, when the pod's
 * subdomain is the Service. */
const char *zk_ctl_pod_svc_hostname(const json_t *pod, const json_t *svc)
{
    const char *h = zk_json_path_str(pod, "spec", "hostname", NULL);
    const char *sd = zk_json_path_str(pod, "spec", "subdomain", NULL);
    if (!h || !h[0] || !sd || strcmp(sd, zk_kube_name(svc)) ||
        strcmp(zk_kube_namespace(pod), zk_kube_namespace(svc)))
        return NULL;
    return h;
}

static json_t *address_of(const json_t *pod, const json_t *svc, const char *ip)
{
    json_t *a = json_pack("{s:s}", "ip", ip);
    const char *host = zk_ctl_pod_svc_hostname(pod, svc);
    if (host)
        zk_json_set_str(a, "hostname", host);
    const char *node = zk_json_path_str(pod, "spec", "nodeName", NULL);
    if (node && node[0])
        zk_json_set_str(a, "nodeName", node);
    json_object_set_new(a, "targetRef", zk_ctl_pod_target_ref(pod));
    return a;
}

/* An EndpointPort for a service port served on number `num`. */
static json_t *endpoint_port(const json_t *sp, int64_t num)
{
    json_t *p = json_pack("{s:I,s:s}", "port", (json_int_t)num, "protocol",
                          zk_json_str(sp, "protocol") ? zk_json_str(sp, "protocol") : "TCP");
    const char *name = zk_json_str(sp, "name");
    if (name && name[0])
        zk_json_set_str(p, "name", name);
    const char *app = zk_json_str(sp, "appProtocol");
    if (app)
        zk_json_set_str(p, "appProtocol", app);
    return p;
}

/* One address of a port's set; ready wins when a pod comes twice. */
typedef struct addr_ent {
    json_t *addr;          /* borrowed from `addrs` */
    bool ready;
} addr_ent;

/* The addresses behind one EndpointPort (or behind "no port" for headless
 * Services without ports). */
typedef struct port_set {
    json_t *port;          /* NULL: the no-port sentinel */
    zk_map *addrs;         /* ip/uid -> addr_ent */
    char *sig;             /* the set as text, to group ports by it */
} port_set;

static char *addr_key(const json_t *a)
{
    return zk_xasprintf("%s/%s", zk_json_str(a, "ip"),
                        zk_json_path_str(a, "targetRef", "uid", NULL) ?: "");
}

static int cmp_addr(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int r = strcmp(zk_json_str(a, "ip"), zk_json_str(b, "ip"));
    if (r)
        return r;
    const char *ua = zk_json_path_str(a, "targetRef", "uid", NULL) ?: "";
    const char *ub = zk_json_path_str(b, "targetRef", "uid", NULL) ?: "";
    return strcmp(ua, ub);
}

static int cmp_port(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int r = strcmp(zk_json_str(a, "name") ?: "", zk_json_str(b, "name") ?: "");
    if (r)
        return r;
    json_int_t x = zk_json_int(a, "port", 0), y = zk_json_int(b, "port", 0);
    if (x != y)
        return x < y ? -1 : 1;
    return strcmp(zk_json_str(a, "protocol") ?: "", zk_json_str(b, "protocol") ?: "");
}

static int cmp_key(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

static json_t *sorted_array(json_t **v, size_t n, int (*cmp)(const void *, const void *))
{
    qsort(v, n, sizeof(*v), cmp);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(arr, v[i]);
    return arr;
}

/* A subset's sort key: its first address, else its ports. */
static char *subset_key(const json_t *s)
{
    json_t *a = json_array_get(json_object_get(s, "addresses"), 0);
    if (!a)
        a = json_array_get(json_object_get(s, "notReadyAddresses"), 0);
    zk_autofree char *ports = zk_json_dumps(json_object_get(s, "ports") ?: json_null());
    return zk_xasprintf("%s\x1f%s", a ? zk_json_str(a, "ip") : "", ports);
}

static int cmp_subset(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    zk_autofree char *ka = subset_key(a);
    zk_autofree char *kb = subset_key(b);
    return strcmp(ka, kb);
}

static void sig_of(port_set *ps)
{
    size_t n = zk_map_count(ps->addrs), i = 0, pos = 0;
    const char *k;
    void *v;
    char **keys = zk_xcalloc(n ? n : 1, sizeof(*keys));
    while (zk_map_next(ps->addrs, &pos, &k, &v)) {
        addr_ent *e = v;
        keys[i++] = zk_xasprintf("%s=%d", k, e->ready ? 1 : 0);
    }
    qsort(keys, n, sizeof(*keys), cmp_key);
    zk_buf b;
    zk_buf_init(&b, 1u << 30);
    for (i = 0; i < n; i++) {
        zk_buf_append(&b, keys[i], strlen(keys[i]));
        zk_buf_append(&b, "\n", 1);
        free(keys[i]);
    }
    free(keys);
    ps->sig = zk_xstrndup(b.data ? b.data : "", b.len);
    zk_buf_free(&b);
}

/* Keep at most max addresses in subsets, ready ones first. */
static bool truncate_subsets(json_t *subsets, size_t max)
{
    size_t total = 0, i;
    json_t *s;
    json_array_foreach(subsets, i, s)
        total += json_array_size(json_object_get(s, "addresses")) +
                 json_array_size(json_object_get(s, "notReadyAddresses"));
    if (total <= max)
        return false;
    size_t budget = max;
    static const char *const kinds[] = {"addresses", "notReadyAddresses"};
    for (size_t k = 0; k < 2; k++) {
        json_array_foreach(subsets, i, s) {
            json_t *arr = json_object_get(s, kinds[k]);
            size_t n = json_array_size(arr);
            size_t keep = n < budget ? n : budget;
            while (json_array_size(arr) > keep)
                json_array_remove(arr, json_array_size(arr) - 1);
            budget -= keep;
            if (arr && json_array_size(arr) == 0)
                json_object_del(s, kinds[k]);
        }
    }
    /* drop subsets left with no address at all */
    for (i = json_array_size(subsets); i-- > 0;) {
        s = json_array_get(subsets, i);
        if (!json_object_get(s, "addresses") && !json_object_get(s, "notReadyAddresses"))
            json_array_remove(subsets, i);
    }
    return true;
}

json_t *zk_ctl_endpoints_subsets(const json_t *svc, json_t *const *pods, size_t npods,
                                 size_t max, bool *truncated)
{
    bool publish = zk_json_bool(json_object_get(svc, "spec"), "publishNotReadyAddresses", false);
    json_t *sports = zk_json_path(svc, "spec", "ports", NULL);
    bool no_ports = json_array_size(sports) == 0;
    if (no_ports && !zk_ctl_svc_headless(svc)) {
        /* a Service with a cluster IP and no ports has nothing to list */
        if (truncated)
            *truncated = false;
        return json_array();
    }
    zk_autojson json_t *addrs = json_array();   /* owns the address objects */
    zk_map *sets = zk_map_new();                 /* port text -> port_set */
    port_set **order = NULL;
    size_t nsets = 0;
    for (size_t i = 0; i < npods; i++) {
        const json_t *pod = pods[i];
        const char *ip = zk_ctl_pod_ipv4(pod);
        if (!ip || zk_ctl_pod_terminal(pod))
            continue;
        bool deleting = zk_json_path(pod, "metadata", "deletionTimestamp", NULL) != NULL;
        if (deleting && !publish)
            continue;
        bool ready = publish || zk_ctl_pod_ready(pod);
        json_t *a = address_of(pod, svc, ip);
        json_array_append_new(addrs, a);
        zk_autofree char *ak = addr_key(a);
        size_t np = no_ports ? 1 : json_array_size(sports);
        for (size_t j = 0; j < np; j++) {
            json_t *port = NULL;
            if (!no_ports) {
                json_t *sp = json_array_get(sports, j);
                int64_t num = zk_ctl_find_port(pod, sp);
                if (num <= 0)
                    continue;   /* the pod does not serve this port */
                port = endpoint_port(sp, num);
            }
            zk_autofree char *pk = port ? zk_json_dumps(port) : zk_xstrdup("-");
            port_set *ps = zk_map_get(sets, pk);
            if (!ps) {
                ps = zk_xcalloc(1, sizeof(*ps));
                ps->port = port;
                ps->addrs = zk_map_new();
                zk_map_put(sets, pk, ps);
                order = zk_xrealloc(order, (nsets + 1) * sizeof(*order));
                order[nsets++] = ps;
            } else if (port) {
                json_decref(port);
            }
            addr_ent *e = zk_map_get(ps->addrs, ak);
            if (!e) {
                e = zk_xcalloc(1, sizeof(*e));
                e->addr = a;
                zk_map_put(ps->addrs, ak, e);
            }
            e->ready = e->ready || ready;
        }
    }
    /* ports whose address sets are equal share one subset */
    zk_map *groups = zk_map_new();   /* sig -> subset */
    json_t *subsets = json_array();
    for (size_t i = 0; i < nsets; i++) {
        port_set *ps = order[i];
        sig_of(ps);
        json_t *sub = zk_map_get(groups, ps->sig);
        if (!sub) {
            sub = json_object();
            size_t n = zk_map_count(ps->addrs), nr = 0, nn = 0, pos = 0;
            json_t **ready = zk_xcalloc(n ? n : 1, sizeof(*ready));
            json_t **notready = zk_xcalloc(n ? n : 1, sizeof(*notready));
            void *v;
            while (zk_map_next(ps->addrs, &pos, NULL, &v)) {
                addr_ent *e = v;
                if (e->ready)
                    ready[nr++] = e->addr;
                else
                    notready[nn++] = e->addr;
            }
            if (nr)
                json_object_set_new(sub, "addresses", sorted_array(ready, nr, cmp_addr));
            if (nn)
                json_object_set_new(sub, "notReadyAddresses",
                                    sorted_array(notready, nn, cmp_addr));
            free(ready);
            free(notready);
            if (nr + nn == 0) {
                json_decref(sub);
                continue;
            }
            json_object_set_new(sub, "ports", json_array());
            zk_map_put(groups, ps->sig, sub);
            json_array_append_new(subsets, sub);
        }
        if (ps->port)
            json_array_append(json_object_get(sub, "ports"), ps->port);
    }
    /* order inside and across subsets, so that equal sets compare equal */
    size_t i;
    json_t *sub;
    json_array_foreach(subsets, i, sub) {
        json_t *ports = json_object_get(sub, "ports");
        size_t n = json_array_size(ports);
        if (n == 0) {
            json_object_del(sub, "ports");
            continue;
        }
        json_t **pv = zk_xcalloc(n, sizeof(*pv));
        for (size_t j = 0; j < n; j++)
            pv[j] = json_array_get(ports, j);
        json_object_set_new(sub, "ports", sorted_array(pv, n, cmp_port));
        free(pv);
    }
    size_t ns = json_array_size(subsets);
    json_t **sv = zk_xcalloc(ns ? ns : 1, sizeof(*sv));
    for (size_t j = 0; j < ns; j++)
        sv[j] = json_array_get(subsets, j);
    json_t *out = sorted_array(sv, ns, cmp_subset);
    free(sv);
    json_decref(subsets);
    bool cut = truncate_subsets(out, max);
    if (truncated)
        *truncated = cut;

    for (size_t j = 0; j < nsets; j++) {
        port_set *ps = order[j];
        size_t pos = 0;
        void *v;
        while (zk_map_next(ps->addrs, &pos, NULL, &v))
            free(v);
        zk_map_free(ps->addrs);
        if (ps->port)
            json_decref(ps->port);
        free(ps->sig);
        free(ps);
    }
    free(order);
    zk_map_free(sets);
    zk_map_free(groups);
    return out;
}

/* ---- the controller ---- */

typedef struct ep_state {
    zk_ctl *c;
    zk_kube_informer *svcs, *pods, *eps;
} ep_state;

static void svc_ev(void *ctx, json_t *o) { zk_ctl_enqueue_obj(((ep_state *)ctx)->c, o); }
static void svc_upd(void *ctx, json_t *old, json_t *o) { svc_ev(ctx, o); }

static void pod_add(void *ctx, json_t *pod)
{
    ep_state *st = ctx;
    zk_ctl_enqueue_pod_services(st->c, st->svcs, NULL, pod);
}

static void pod_upd(void *ctx, json_t *old, json_t *pod)
{
    ep_state *st = ctx;
    if (zk_ctl_pod_endpoint_changed(old, pod))
        zk_ctl_enqueue_pod_services(st->c, st->svcs, old, pod);
}

/* Someone deleted an Endpoints we keep: make it again. */
static void ep_del(void *ctx, json_t *ep)
{
    ep_state *st = ctx;
    if (zk_kube_informer_get(st->svcs, zk_kube_namespace(ep), zk_kube_name(ep)))
        zk_ctl_enqueue_obj(st->c, ep);
}

/* The labels an Endpoints carries: its Service's, plus ours. */
json_t *zk_ctl_endpoints_labels(const json_t *svc)
{
    json_t *labels = json_object();
    json_t *sl = zk_json_path(svc, "metadata", "labels", NULL);
    if (json_is_object(sl))
        json_object_update(labels, sl);
    if (zk_ctl_svc_headless(svc))
        json_object_set_new(labels, LABEL_HEADLESS, json_string(""));
    else
        json_object_del(labels, LABEL_HEADLESS);
    json_object_set_new(labels, LABEL_MANAGED_BY, json_string("endpoint-controller"));
    return labels;
}

static bool same_json(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    return json_equal((json_t *)a, (json_t *)b);
}

static void ep_sync(zk_ctl *c, void *state, const char *key)
{
    ep_state *st = state;
    json_t *svc = zk_kube_informer_get_key(st->svcs, key);
    json_t *cur = zk_kube_informer_get_key(st->eps, key);
    if (!svc) {
        zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
        /* the Endpoints of a deleted Service go with it (only ours: an
         * Endpoints somebody keeps by hand for a selector-less Service
         * that was never ours carries no managed-by label) */
        if (cur && zk_json_path_str(cur, "metadata", "labels", LABEL_MANAGED_BY, NULL))
            zk_ctl_batch_delete(b, &zk_kube_endpoints, zk_kube_namespace(cur),
                                zk_kube_name(cur), zk_kube_uid(cur), NULL);
        zk_ctl_batch_end(b);
        return;
    }
    const json_t *sel = zk_ctl_svc_selector(svc);
    if (!sel || zk_json_path(svc, "metadata", "deletionTimestamp", NULL)) {
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
    bool truncated = false;
    zk_autojson json_t *subsets =
        zk_ctl_endpoints_subsets(svc, inns, m, EP_MAX_ADDRESSES, &truncated);
    free(inns);
    zk_autojson json_t *labels = zk_ctl_endpoints_labels(svc);

    if (cur) {
        json_t *cs = json_object_get(cur, "subsets");
        bool subsets_same = (json_array_size(cs) == 0 && json_array_size(subsets) == 0) ||
                            same_json(cs, subsets);
        const char *cap = zk_json_path_str(cur, "metadata", "annotations", ANN_CAPACITY, NULL);
        if (subsets_same && same_json(zk_json_path(cur, "metadata", "labels", NULL), labels) &&
            (cap != NULL) == truncated) {
            zk_ctl_done(c, key, false);
            return;
        }
    }
    const char *svc_created = zk_json_path_str(svc, "metadata", "creationTimestamp", NULL);
    int64_t created = svc_created ? zk_time_parse_rfc3339(svc_created) : 0;
    if (created > trigger)
        trigger = created;

    zk_autojson json_t *ep = NULL;
    if (cur) {
        ep = json_deep_copy(cur);
    } else {
        ep = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Endpoints",
                       "metadata", "name", zk_kube_name(svc), "namespace", ns);
    }
    json_t *meta = json_object_get(ep, "metadata");
    json_object_set(meta, "labels", labels);
    json_t *ann = zk_json_path_obj(ep, "metadata", "annotations", NULL);
    if (trigger > 0) {
        char ts[40];
        zk_time_rfc3339(trigger, ts, sizeof(ts));
        zk_json_set_str(ann, ANN_TRIGGER, ts);
    } else {
        json_object_del(ann, ANN_TRIGGER);
    }
    if (truncated)
        zk_json_set_str(ann, ANN_CAPACITY, "truncated");
    else
        json_object_del(ann, ANN_CAPACITY);
    if (json_object_size(ann) == 0)
        json_object_del(meta, "annotations");
    json_object_set(ep, "subsets", subsets);

    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    if (cur)
        zk_ctl_batch_update(b, &zk_kube_endpoints, ep, NULL);
    else
        zk_ctl_batch_create(b, &zk_kube_endpoints, ns, ep);
    zk_ctl_batch_end(b);
}

static void *ep_init(zk_ctl *c)
{
    ep_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->svcs = zk_ctl_informer(c, &zk_kube_services);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    st->eps = zk_ctl_informer(c, &zk_kube_endpoints);
    zk_kube_handler hs = {.add = svc_ev, .update = svc_upd, .del = svc_ev, .ctx = st};
    zk_kube_informer_on(st->svcs, &hs);
    zk_kube_handler hp = {.add = pod_add, .update = pod_upd, .del = pod_add, .ctx = st};
    zk_kube_informer_on(st->pods, &hp);
    zk_kube_handler he = {.del = ep_del, .ctx = st};
    zk_kube_informer_on(st->eps, &he);
    return st;
}

const zk_ctl_def zk_ctl_endpoints = {
    .name = "endpoint", .workers = 4, .init = ep_init, .sync = ep_sync, .free = free};
