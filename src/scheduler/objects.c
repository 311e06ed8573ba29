/* zke scheduler: parsing pods and nodes into the plugins' structs, and the
 * matching rules shared by several plugins (tolerations, node selector
 * terms, pod affinity terms). */
#include "scheduler/objects.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/quantity.h"

/* ---- resource lists ---- */

void zk_sched_res_free(zk_sched_res *r)
{
    for (size_t i = 0; i < r->n_scalar; i++)
        free(r->scalar[i].name);
    free(r->scalar);
    memset(r, 0, sizeof(*r));
}

bool zk_sched_is_scalar(const char *name)
{
    if (!strncmp(name, "hugepages-", 10) || !strncmp(name, "attachable-volumes-", 19))
        return true;
    /* extended resources: a domain-prefixed name outside kubernetes.io */
    if (!strchr(name, '/') || !strncmp(name, "requests.", 9))
        return false;
    if (!strncmp(name, "kubernetes.io/", 14))
        return false;
    const char *slash = strchr(name, '/');
    size_t dl = (size_t)(slash - name);
    /* "*.kubernetes.io/..." is reserved too */
    if (dl >= 14 && !strncmp(slash - 14, ".kubernetes.io", 14))
        return false;
    return true;
}

static zk_sched_scalar *res_scalar_slot(zk_sched_res *r, const char *name)
{
    for (size_t i = 0; i < r->n_scalar; i++)
        if (!strcmp(r->scalar[i].name, name))
            return &r->scalar[i];
    r->scalar = zk_xrealloc(r->scalar, (r->n_scalar + 1) * sizeof(*r->scalar));
    zk_sched_scalar *s = &r->scalar[r->n_scalar++];
    s->name = zk_xstrdup(name);
    s->value = 0;
    return s;
}

int64_t zk_sched_res_scalar(const zk_sched_res *r, const char *name)
{
    for (size_t i = 0; i < r->n_scalar; i++)
        if (!strcmp(r->scalar[i].name, name))
            return r->scalar[i].value;
    return 0;
}

void zk_sched_res_add(zk_sched_res *r, const zk_sched_res *y, int sign)
{
    r->cpu += sign * y->cpu;
    r->mem += sign * y->mem;
    r->eph += sign * y->eph;
    for (size_t i = 0; i < y->n_scalar; i++)
        res_scalar_slot(r, y->scalar[i].name)->value += sign * y->scalar[i].value;
}

static void res_max(zk_sched_res *r, const zk_sched_res *y)
{
    if (y->cpu > r->cpu)
        r->cpu = y->cpu;
    if (y->mem > r->mem)
        r->mem = y->mem;
    if (y->eph > r->eph)
        r->eph = y->eph;
    for (size_t i = 0; i < y->n_scalar; i++) {
        zk_sched_scalar *s = res_scalar_slot(r, y->scalar[i].name);
        if (y->scalar[i].value > s->value)
            s->value = y->scalar[i].value;
    }
}

static void res_copy(zk_sched_res *dst, const zk_sched_res *src)
{
    zk_sched_res_free(dst);
    zk_sched_res_add(dst, src, 1);
}

int zk_sched_res_parse(const json_t *list, zk_sched_res *r, zk_err *err)
{
    if (!json_is_object(list))
        return 0;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)list, name, v) {
        zk_kube_quantity q;
        if (zk_kube_quantity_parse_json(v, &q, err) < 0)
            return zk_err_wrap(err, "resource %s", name);
        int64_t x = 0;
        if (!strcmp(name, "cpu")) {
            zk_kube_quantity_milli(&q, &x, NULL);
            r->cpu = x;
            continue;
        }
        zk_kube_quantity_value(&q, &x, NULL);
        if (!strcmp(name, "memory"))
            r->mem = x;
        else if (!strcmp(name, "ephemeral-storage"))
            r->eph = x;
        else if (zk_sched_is_scalar(name))
            res_scalar_slot(r, name)->value = x;
    }
    return 0;
}

/* One container's requests. With nonzero, a missing cpu or memory request
 * counts as the scoring default (Kubernetes' NonMissingContainerRequests). */
static int container_requests(const json_t *c, bool nonzero, zk_sched_res *out, zk_err *err)
{
    const json_t *req = zk_json_path(c, "resources", "requests", NULL);
    if (zk_sched_res_parse(req, out, err) < 0)
        return -ZK_EINVAL;
    if (nonzero) {
        if (!json_object_get(req, "cpu"))
            out->cpu = ZK_SCHED_DEFAULT_MILLI_CPU;
        if (!json_object_get(req, "memory"))
            out->mem = ZK_SCHED_DEFAULT_MEMORY;
    }
    return 0;
}

/* The pod's effective requests, as resourcehelper.PodRequests: the sum of
 * the app containers and of the restartable (sidecar) init containers, at
 * least the largest init container (plus the sidecars started before it),
 * plus the overhead. */
static int pod_requests(const json_t *spec, bool nonzero, zk_sched_res *out, zk_err *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c) {
        zk_sched_res one = {0};
        if (container_requests(c, nonzero, &one, err) < 0) {
            zk_sched_res_free(&one);
            return zk_err_wrap(err, "containers[%zu]", i);
        }
        zk_sched_res_add(out, &one, 1);
        zk_sched_res_free(&one);
    }
    zk_sched_res sidecars = {0}, init = {0};
    json_array_foreach(json_object_get(spec, "initContainers"), i, c) {
        zk_sched_res one = {0};
        if (container_requests(c, nonzero, &one, err) < 0) {
            zk_sched_res_free(&one);
            zk_sched_res_free(&sidecars);
            zk_sched_res_free(&init);
            return zk_err_wrap(err, "initContainers[%zu]", i);
        }
        const char *rp = zk_json_str(c, "restartPolicy");
        zk_sched_res eff = {0};
        if (rp && !strcmp(rp, "Always")) {
            zk_sched_res_add(out, &one, 1);
            zk_sched_res_add(&sidecars, &one, 1);
            res_copy(&eff, &sidecars);
        } else {
            zk_sched_res_add(&eff, &one, 1);
            zk_sched_res_add(&eff, &sidecars, 1);
        }
        res_max(&init, &eff);
        zk_sched_res_free(&eff);
        zk_sched_res_free(&one);
    }
    res_max(out, &init);
    zk_sched_res_free(&sidecars);
    zk_sched_res_free(&init);
    zk_sched_res over = {0};
    if (zk_sched_res_parse(json_object_get(spec, "overhead"), &over, err) < 0) {
        zk_sched_res_free(&over);
        return zk_err_wrap(err, "overhead");
    }
    zk_sched_res_add(out, &over, 1);
    zk_sched_res_free(&over);
    return 0;
}

/* ---- small helpers ---- */

const char *zk_sched_label(const json_t *labels, const char *key)
{
    if (!labels)
        return NULL;
    json_t *v = json_object_get(labels, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *xstrdup_or(const char *s, const char *def)
{
    return zk_xstrdup(s ? s : def);
}

static zk_sched_effect parse_effect(const char *s)
{
    if (!s || !*s)
        return ZK_SCHED_EFFECT_ALL;
    if (!strcmp(s, "NoSchedule"))
        return ZK_SCHED_NO_SCHEDULE;
    if (!strcmp(s, "PreferNoSchedule"))
        return ZK_SCHED_PREFER_NO_SCHEDULE;
    if (!strcmp(s, "NoExecute"))
        return ZK_SCHED_NO_EXECUTE;
    return (zk_sched_effect)-1;
}

static bool parse_int64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

int zk_sched_wk(const char *key)
{
    if (!strcmp(key, ZK_SCHED_HOSTNAME_KEY))
        return ZK_SCHED_WK_HOSTNAME;
    if (!strcmp(key, ZK_SCHED_ZONE_KEY))
        return ZK_SCHED_WK_ZONE;
    return ZK_SCHED_WK_NONE;
}

/* ---- node selector terms ---- */

static void nsterm_free(zk_sched_nsterm *t)
{
    for (size_t i = 0; i < t->n_reqs; i++) {
        zk_sched_nsreq *r = &t->reqs[i];
        free(r->key);
        for (size_t j = 0; j < r->n_values; j++)
            free(r->values[j]);
        free(r->values);
    }
    free(t->reqs);
    memset(t, 0, sizeof(*t));
}

static bool nsreq_parse(const json_t *e, bool field, zk_sched_nsreq *r)
{
    const char *key = zk_json_str(e, "key");
    const char *op = zk_json_str(e, "operator");
    r->key = zk_xstrdup(key ? key : "");
    r->field = field;
    if (!key || !op)
        return false;
    if (!strcmp(op, "In"))
        r->op = ZK_SCHED_NS_IN;
    else if (!strcmp(op, "NotIn"))
        r->op = ZK_SCHED_NS_NOT_IN;
    else if (!strcmp(op, "Exists") && !field)
        r->op = ZK_SCHED_NS_EXISTS;
    else if (!strcmp(op, "DoesNotExist") && !field)
        r->op = ZK_SCHED_NS_DOES_NOT_EXIST;
    else if (!strcmp(op, "Gt") && !field)
        r->op = ZK_SCHED_NS_GT;
    else if (!strcmp(op, "Lt") && !field)
        r->op = ZK_SCHED_NS_LT;
    else
        return false;
    if (field && strcmp(key, "metadata.name"))
        return false;
    json_t *vals = json_object_get(e, "values");
    size_t n = json_is_array(vals) ? json_array_size(vals) : 0;
    r->values = zk_xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(vals, i));
        if (!v)
            return false;
        r->values[r->n_values++] = zk_xstrdup(v);
    }
    switch (r->op) {
    case ZK_SCHED_NS_IN:
    case ZK_SCHED_NS_NOT_IN:
        /* a field requirement takes exactly one value */
        return n > 0 && (!field || n == 1);
    case ZK_SCHED_NS_EXISTS:
    case ZK_SCHED_NS_DOES_NOT_EXIST:
        return n == 0;
    case ZK_SCHED_NS_GT:
    case ZK_SCHED_NS_LT:
        return n == 1 && parse_int64(r->values[0], &r->num);
    }
    return false;
}

/* A term that cannot be parsed matches no node (as Kubernetes' lazy-error
 * node selector does): it is left empty. */
static void nsterm_parse(const json_t *term, zk_sched_nsterm *t)
{
    json_t *me = json_object_get(term, "matchExpressions");
    json_t *mf = json_object_get(term, "matchFields");
    size_t n = (json_is_array(me) ? json_array_size(me) : 0) +
               (json_is_array(mf) ? json_array_size(mf) : 0);
    t->reqs = zk_xcalloc(n ? n : 1, sizeof(*t->reqs));
    bool ok = true;
    size_t i;
    json_t *e;
    json_array_foreach(me, i, e)
        if (!nsreq_parse(e, false, &t->reqs[t->n_reqs++]))
            ok = false;
    json_array_foreach(mf, i, e)
        if (!nsreq_parse(e, true, &t->reqs[t->n_reqs++]))
            ok = false;
    if (!ok) {
        int32_t w = t->weight;
        nsterm_free(t);
        t->weight = w;
    }
}

static bool nsreq_matches(const zk_sched_nsreq *r, const zk_sched_node *n)
{
    const char *v = r->field ? n->name : zk_sched_label(n->labels, r->key);
    switch (r->op) {
    case ZK_SCHED_NS_IN:
    case ZK_SCHED_NS_NOT_IN: {
        bool in = false;
        for (size_t i = 0; v && i < r->n_values && !in; i++)
            in = !strcmp(r->values[i], v);
        return r->op == ZK_SCHED_NS_IN ? in : !in;
    }
    case ZK_SCHED_NS_EXISTS:
        return v != NULL;
    case ZK_SCHED_NS_DOES_NOT_EXIST:
        return v == NULL;
    case ZK_SCHED_NS_GT:
    case ZK_SCHED_NS_LT: {
        int64_t x;
        if (!parse_int64(v, &x))
            return false;
        return r->op == ZK_SCHED_NS_GT ? x > r->num : x < r->num;
    }
    }
    return false;
}

bool zk_sched_nsterm_matches(const zk_sched_nsterm *t, const zk_sched_node *n)
{
    if (t->n_reqs == 0)
        return false;
    for (size_t i = 0; i < t->n_reqs; i++)
        if (!nsreq_matches(&t->reqs[i], n))
            return false;
    return true;
}

bool zk_sched_node_matches_pod(const zk_sched_pod *p, const zk_sched_node *n)
{
    for (size_t i = 0; i < p->n_sel; i++) {
        const char *v = zk_sched_label(n->labels, p->sel_keys[i]);
        if (!v || strcmp(v, p->sel_values[i]))
            return false;
    }
    if (!p->has_required)
        return true;
    for (size_t i = 0; i < p->n_required; i++)
        if (zk_sched_nsterm_matches(&p->required[i], n))
            return true;
    return false;
}

/* ---- tolerations ---- */

static bool tolerates_one(const zk_sched_toleration *t, const zk_sched_taint *taint)
{
    if (t->effect != ZK_SCHED_EFFECT_ALL && t->effect != taint->effect)
        return false;
    if (*t->key && strcmp(t->key, taint->key))
        return false;
    if (t->exists)
        return true;
    return !strcmp(t->value, taint->value);
}

bool zk_sched_tolerates(const zk_sched_toleration *t, size_t n, const zk_sched_taint *taint)
{
    for (size_t i = 0; i < n; i++)
        if (tolerates_one(&t[i], taint))
            return true;
    return false;
}

/* ---- pod affinity terms ---- */

static void aterm_free(zk_sched_aterm *t)
{
    zk_kube_selector_free(t->sel);
    zk_kube_selector_free(t->ns_sel);
    for (size_t i = 0; i < t->n_namespaces; i++)
        free(t->namespaces[i]);
    free(t->namespaces);
    free(t->topology_key);
    memset(t, 0, sizeof(*t));
}

static int aterm_parse(const json_t *term, const char *pod_ns, int32_t weight,
                       zk_sched_aterm *t, zk_err *err)
{
    t->weight = weight;
    t->topology_key = xstrdup_or(zk_json_str(term, "topologyKey"), "");
    t->wk = zk_sched_wk(t->topology_key);
    if (zk_kube_selector_from_json(json_object_get(term, "labelSelector"), &t->sel, err) < 0)
        return zk_err_wrap(err, "labelSelector");
    json_t *nss = json_object_get(term, "namespaceSelector");
    if (nss && !json_is_null(nss) &&
        zk_kube_selector_from_json(nss, &t->ns_sel, err) < 0)
        return zk_err_wrap(err, "namespaceSelector");
    json_t *ns = json_object_get(term, "namespaces");
    size_t n = json_is_array(ns) ? json_array_size(ns) : 0;
    t->namespaces = zk_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(ns, i));
        if (s)
            t->namespaces[t->n_namespaces++] = zk_xstrdup(s);
    }
    /* neither namespaces nor a namespaceSelector: the pod's own namespace */
    if (n == 0 && !t->ns_sel)
        t->namespaces[t->n_namespaces++] = zk_xstrdup(pod_ns);
    return 0;
}

bool zk_sched_aterm_matches(const zk_sched_aterm *t, const zk_sched_pod *q,
                            const json_t *ns_labels)
{
    bool ns_ok = false;
    for (size_t i = 0; i < t->n_namespaces && !ns_ok; i++)
        ns_ok = !strcmp(t->namespaces[i], q->ns);
    if (!ns_ok && t->ns_sel)
        ns_ok = zk_kube_selector_matches(t->ns_sel, ns_labels);
    if (!ns_ok)
        return false;
    return zk_kube_selector_matches(t->sel, q->labels);
}

static int aterms_parse(const json_t *arr, bool weighted, const char *pod_ns,
                        zk_sched_aterm **out, size_t *n_out, zk_err *err)
{
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    if (n == 0)
        return 0;
    *out = zk_xcalloc(n, sizeof(**out));
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        int32_t w = 0;
        if (weighted) {
            w = (int32_t)zk_json_int(e, "weight", 0);
            e = json_object_get(e, "podAffinityTerm");
        }
        (*n_out)++;
        if (aterm_parse(e, pod_ns, w, &(*out)[i], err) < 0)
            return zk_err_wrap(err, "[%zu]", i);
    }
    return 0;
}

/* ---- topology spread constraints ---- */

static void spread_free(zk_sched_spread *c)
{
    free(c->topology_key);
    zk_kube_selector_free(c->sel);
}

/* matchLabelKeys: each key the pod has becomes "key in (its value)" in the
 * selector (the scheduler does this when the API server did not). */
static int spread_selector(const json_t *c, const json_t *pod_labels, zk_kube_selector **out,
                           zk_err *err)
{
    json_t *ls = json_object_get(c, "labelSelector");
    json_t *keys = json_object_get(c, "matchLabelKeys");
    if (!json_is_array(keys) || json_array_size(keys) == 0 || !ls || json_is_null(ls))
        return zk_kube_selector_from_json(ls, out, err);
    zk_autojson json_t *copy = json_deep_copy(ls);
    json_t *me = json_object_get(copy, "matchExpressions");
    if (!json_is_array(me)) {
        me = json_array();
        json_object_set_new(copy, "matchExpressions", me);
    }
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        const char *v = zk_sched_label(pod_labels, json_string_value(k) ? json_string_value(k) : "");
        if (v)
            json_array_append_new(me, json_pack("{s:s,s:s,s:[s]}", "key", json_string_value(k),
                                                "operator", "In", "values", v));
    }
    return zk_kube_selector_from_json(copy, out, err);
}

static int spread_parse(const json_t *arr, const json_t *labels, zk_sched_pod *p, zk_err *err)
{
    size_t n = json_array_size(arr);
    p->spread = zk_xcalloc(n, sizeof(*p->spread));
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(arr, i);
        zk_sched_spread *s = &p->spread[p->n_spread++];
        s->max_skew = (int32_t)zk_json_int(c, "maxSkew", 1);
        s->topology_key = xstrdup_or(zk_json_str(c, "topologyKey"), "");
        s->wk = zk_sched_wk(s->topology_key);
        const char *wu = zk_json_str(c, "whenUnsatisfiable");
        s->do_not_schedule = !wu || strcmp(wu, "ScheduleAnyway");
        s->min_domains = (int32_t)zk_json_int(c, "minDomains", 1);
        const char *nap = zk_json_str(c, "nodeAffinityPolicy");
        const char *ntp = zk_json_str(c, "nodeTaintsPolicy");
        s->honor_affinity = !nap || strcmp(nap, "Ignore");
        s->honor_taints = ntp && !strcmp(ntp, "Honor");
        if (spread_selector(c, labels, &s->sel, err) < 0)
            return zk_err_wrap(err, "topologySpreadConstraints[%zu]", i);
    }
    return 0;
}

static void spread_defaults(zk_sched_pod *p)
{
    static const struct {
        const char *key;
        int32_t skew;
    } defs[] = {{ZK_SCHED_HOSTNAME_KEY, 3}, {ZK_SCHED_ZONE_KEY, 5}};
    p->spread = zk_xcalloc(2, sizeof(*p->spread));
    for (size_t i = 0; i < 2; i++) {
        zk_sched_spread *s = &p->spread[p->n_spread++];
        s->max_skew = defs[i].skew;
        s->topology_key = zk_xstrdup(defs[i].key);
        s->wk = zk_sched_wk(s->topology_key);
        s->min_domains = 1;
        s->honor_affinity = true;
        s->owner_default = true;
    }
    p->spread_defaulted = true;
}

/* ---- pods ---- */

static zk_sched_proto parse_proto(const char *s)
{
    if (s && !strcmp(s, "UDP"))
        return ZK_SCHED_UDP;
    if (s && !strcmp(s, "SCTP"))
        return ZK_SCHED_SCTP;
    return ZK_SCHED_TCP;
}

static void pod_ports(const json_t *spec, zk_sched_pod *p)
{
    size_t i, j;
    json_t *c, *port;
    json_array_foreach(json_object_get(spec, "containers"), i, c) {
        json_array_foreach(json_object_get(c, "ports"), j, port) {
            json_int_t hp = zk_json_int(port, "hostPort", 0);
            if (hp <= 0)
                continue;
            p->ports = zk_xrealloc(p->ports, (p->n_ports + 1) * sizeof(*p->ports));
            zk_sched_port *pp = &p->ports[p->n_ports++];
            const char *ip = zk_json_str(port, "hostIP");
            snprintf(pp->ip, sizeof(pp->ip), "%s", ip && *ip ? ip : "0.0.0.0");
            pp->proto = parse_proto(zk_json_str(port, "protocol"));
            pp->port = (int32_t)hp;
        }
    }
}

static int pod_node_affinity(const json_t *na, zk_sched_pod *p)
{
    json_t *req = json_object_get(na, "requiredDuringSchedulingIgnoredDuringExecution");
    if (json_is_object(req)) {
        json_t *terms = json_object_get(req, "nodeSelectorTerms");
        size_t n = json_is_array(terms) ? json_array_size(terms) : 0;
        p->has_required = true;
        p->required = zk_xcalloc(n ? n : 1, sizeof(*p->required));
        for (size_t i = 0; i < n; i++)
            nsterm_parse(json_array_get(terms, i), &p->required[p->n_required++]);
    }
    json_t *pref = json_object_get(na, "preferredDuringSchedulingIgnoredDuringExecution");
    size_t n = json_is_array(pref) ? json_array_size(pref) : 0;
    if (n) {
        p->preferred = zk_xcalloc(n, sizeof(*p->preferred));
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(pref, i);
            zk_sched_nsterm *t = &p->preferred[p->n_preferred++];
            t->weight = (int32_t)zk_json_int(e, "weight", 0);
            nsterm_parse(json_object_get(e, "preference"), t);
        }
    }
    return 0;
}

static const char *controller_uid(const json_t *meta)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(meta, "ownerReferences"), i, r)
        if (zk_json_bool(r, "controller", false))
            return zk_json_str(r, "uid");
    return NULL;
}

int zk_sched_pod_parse(const json_t *obj, bool default_spread, zk_sched_pod **out,
                       zk_err *err)
{
    *out = NULL;
    const json_t *meta = json_object_get(obj, "metadata");
    const json_t *spec = json_object_get(obj, "spec");
    const char *name = zk_json_str(meta, "name");
    if (!name)
        return zk_err_set(err, ZK_EINVAL, "pod without metadata.name");
    zk_sched_pod *p = zk_xcalloc(1, sizeof(*p));
    p->ns = xstrdup_or(zk_json_str(meta, "namespace"), "");
    p->name = zk_xstrdup(name);
    p->uid = xstrdup_or(zk_json_str(meta, "uid"), "");
    p->key = zk_xasprintf("%s/%s", p->ns, p->name);
    json_t *labels = json_object_get(meta, "labels");
    if (json_is_object(labels))
        p->labels = json_incref(labels);
    const char *nn = zk_json_str(spec, "nodeName");
    p->node_name = nn && *nn ? zk_xstrdup(nn) : NULL;
    p->scheduler_name = xstrdup_or(zk_json_str(spec, "schedulerName"), "");
    p->priority = (int32_t)zk_json_int(spec, "priority", 0);
    const char *pp = zk_json_str(spec, "preemptionPolicy");
    p->preempt_never = pp && !strcmp(pp, "Never");
    json_t *dt = json_object_get(meta, "deletionTimestamp");
    p->terminating = dt && !json_is_null(dt);
    const char *phase = zk_json_path_str(obj, "status", "phase", NULL);
    p->terminal = phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
    const char *owner = controller_uid(meta);
    p->owner_uid = owner && *owner ? zk_xstrdup(owner) : NULL;

    zk_sched_res nz = {0};
    if (pod_requests(spec, false, &p->req, err) < 0 || pod_requests(spec, true, &nz, err) < 0) {
        zk_sched_res_free(&nz);
        zk_sched_pod_free(p);
        return zk_err_wrap(err, "pod %s/%s", zk_json_str(meta, "namespace"), name);
    }
    p->nz_cpu = nz.cpu;
    p->nz_mem = nz.mem;
    zk_sched_res_free(&nz);

    pod_ports(spec, p);

    json_t *ns = json_object_get(spec, "nodeSelector");
    if (json_is_object(ns) && json_object_size(ns)) {
        size_t n = json_object_size(ns);
        p->sel_keys = zk_xcalloc(n, sizeof(char *));
        p->sel_values = zk_xcalloc(n, sizeof(char *));
        const char *k;
        json_t *v;
        json_object_foreach(ns, k, v) {
            p->sel_keys[p->n_sel] = zk_xstrdup(k);
            p->sel_values[p->n_sel++] = xstrdup_or(json_string_value(v), "");
        }
    }

    const json_t *aff = json_object_get(spec, "affinity");
    pod_node_affinity(json_object_get(aff, "nodeAffinity"), p);
    const json_t *pa = json_object_get(aff, "podAffinity");
    const json_t *paa = json_object_get(aff, "podAntiAffinity");
    const char *R = "requiredDuringSchedulingIgnoredDuringExecution";
    const char *P = "preferredDuringSchedulingIgnoredDuringExecution";
    if (aterms_parse(json_object_get(pa, R), false, p->ns, &p->aff_req, &p->n_aff_req, err) < 0 ||
        aterms_parse(json_object_get(pa, P), true, p->ns, &p->aff_pref, &p->n_aff_pref, err) < 0 ||
        aterms_parse(json_object_get(paa, R), false, p->ns, &p->anti_req, &p->n_anti_req, err) < 0 ||
        aterms_parse(json_object_get(paa, P), true, p->ns, &p->anti_pref, &p->n_anti_pref, err) < 0) {
        zk_err_wrap(err, "pod %s: affinity", p->key);
        zk_sched_pod_free(p);
        return -ZK_EINVAL;
    }

    size_t i;
    json_t *t;
    json_t *tols = json_object_get(spec, "tolerations");
    if (json_is_array(tols) && json_array_size(tols)) {
        p->tols = zk_xcalloc(json_array_size(tols), sizeof(*p->tols));
        json_array_foreach(tols, i, t) {
            zk_sched_toleration *tl = &p->tols[p->n_tols++];
            tl->key = xstrdup_or(zk_json_str(t, "key"), "");
            const char *op = zk_json_str(t, "operator");
            tl->exists = op && !strcmp(op, "Exists");
            tl->value = xstrdup_or(zk_json_str(t, "value"), "");
            tl->effect = parse_effect(zk_json_str(t, "effect"));
            /* an unknown operator tolerates nothing */
            if (op && *op && strcmp(op, "Exists") && strcmp(op, "Equal"))
                tl->effect = (zk_sched_effect)-1;
        }
    }

    json_t *tsc = json_object_get(spec, "topologySpreadConstraints");
    if (json_is_array(tsc) && json_array_size(tsc)) {
        if (spread_parse(tsc, p->labels, p, err) < 0) {
            zk_err_wrap(err, "pod %s", p->key);
            zk_sched_pod_free(p);
            return -ZK_EINVAL;
        }
    } else if (default_spread && p->owner_uid) {
        spread_defaults(p);
    }
    *out = p;
    return 0;
}

bool zk_sched_pod_has_affinity(const zk_sched_pod *p)
{
    return p->n_aff_req || p->n_aff_pref || p->n_anti_req || p->n_anti_pref;
}

void zk_sched_pod_free(zk_sched_pod *p)
{
    if (!p)
        return;
    free(p->ns);
    free(p->name);
    free(p->uid);
    free(p->key);
    if (p->labels)
        json_decref(p->labels);
    free(p->node_name);
    free(p->scheduler_name);
    zk_sched_res_free(&p->req);
    free(p->ports);
    for (size_t i = 0; i < p->n_sel; i++) {
        free(p->sel_keys[i]);
        free(p->sel_values[i]);
    }
    free(p->sel_keys);
    free(p->sel_values);
    for (size_t i = 0; i < p->n_required; i++)
        nsterm_free(&p->required[i]);
    free(p->required);
    for (size_t i = 0; i < p->n_preferred; i++)
        nsterm_free(&p->preferred[i]);
    free(p->preferred);
    for (size_t i = 0; i < p->n_tols; i++) {
        free(p->tols[i].key);
        free(p->tols[i].value);
    }
    free(p->tols);
    zk_sched_aterm *lists[] = {p->aff_req, p->aff_pref, p->anti_req, p->anti_pref};
    size_t counts[] = {p->n_aff_req, p->n_aff_pref, p->n_anti_req, p->n_anti_pref};
    for (size_t l = 0; l < 4; l++) {
        for (size_t i = 0; i < counts[l]; i++)
            aterm_free(&lists[l][i]);
        free(lists[l]);
    }
    for (size_t i = 0; i < p->n_spread; i++)
        spread_free(&p->spread[i]);
    free(p->spread);
    free(p->owner_uid);
    free(p);
}

/* ---- nodes ---- */

int zk_sched_node_parse(const json_t *obj, zk_sched_node **out, zk_err *err)
{
    *out = NULL;
    const char *name = zk_json_path_str(obj, "metadata", "name", NULL);
    if (!name)
        return zk_err_set(err, ZK_EINVAL, "node without metadata.name");
    zk_sched_node *n = zk_xcalloc(1, sizeof(*n));
    n->name = zk_xstrdup(name);
    n->present = true;
    json_t *labels = zk_json_path(obj, "metadata", "labels", NULL);
    if (json_is_object(labels)) {
        n->labels = json_incref(labels);
        n->hostname = zk_sched_label(labels, ZK_SCHED_HOSTNAME_KEY);
        n->zone = zk_sched_label(labels, ZK_SCHED_ZONE_KEY);
    }
    json_t *alloc = zk_json_path(obj, "status", "allocatable", NULL);
    if (zk_sched_res_parse(alloc, &n->alloc, err) < 0) {
        zk_sched_node_free(n);
        return zk_err_wrap(err, "node %s: allocatable", name);
    }
    json_t *pods = json_object_get(alloc, "pods");
    if (pods) {
        zk_kube_quantity q;
        if (zk_kube_quantity_parse_json(pods, &q, NULL) == 0)
            zk_kube_quantity_value(&q, &n->alloc_pods, NULL);
    }
    json_t *spec = json_object_get(obj, "spec");
    n->unschedulable = zk_json_bool(spec, "unschedulable", false);
    json_t *taints = json_object_get(spec, "taints");
    if (json_is_array(taints) && json_array_size(taints)) {
        n->taints = zk_xcalloc(json_array_size(taints), sizeof(*n->taints));
        size_t i;
        json_t *t;
        json_array_foreach(taints, i, t) {
            zk_sched_effect e = parse_effect(zk_json_str(t, "effect"));
            if (e == ZK_SCHED_EFFECT_ALL || e == (zk_sched_effect)-1)
                continue;
            zk_sched_taint *tt = &n->taints[n->n_taints++];
            tt->key = xstrdup_or(zk_json_str(t, "key"), "");
            tt->value = xstrdup_or(zk_json_str(t, "value"), "");
            tt->effect = e;
        }
    }
    *out = n;
    return 0;
}

static void node_spec_free(zk_sched_node *n)
{
    free(n->name);
    n->name = NULL;
    if (n->labels)
        json_decref(n->labels);
    n->labels = NULL;
    n->hostname = n->zone = NULL;
    zk_sched_res_free(&n->alloc);
    for (size_t i = 0; i < n->n_taints; i++) {
        free(n->taints[i].key);
        free(n->taints[i].value);
    }
    free(n->taints);
    n->taints = NULL;
    n->n_taints = 0;
}

void zk_sched_node_take_spec(zk_sched_node *dst, zk_sched_node *src)
{
    node_spec_free(dst);
    dst->name = src->name;
    dst->labels = src->labels;
    dst->hostname = src->hostname;
    dst->zone = src->zone;
    dst->zone_id = src->zone_id;
    dst->alloc = src->alloc;
    dst->alloc_pods = src->alloc_pods;
    dst->taints = src->taints;
    dst->n_taints = src->n_taints;
    dst->unschedulable = src->unschedulable;
    dst->present = src->present;
    free(src->pods);
    free(src->more_owners);
    zk_sched_res_free(&src->requested);
    free(src);
}

void zk_sched_node_free(zk_sched_node *n)
{
    if (!n)
        return;
    node_spec_free(n);
    zk_sched_res_free(&n->requested);
    free(n->pods);
    free(n->more_owners);
    free(n);
}
