/* ResourceQuota: what objects use, which quotas count them, and the
 * admission check of a create. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/quota.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"

#define ZK__SC_SUFFIX ".storageclass.storage.k8s.io/"

static bool zk__is(const char *group, const char *resource, const char *g, const char *r)
{
    return !strcmp(group, g) && !strcmp(resource, r);
}

static bool zk__prefix(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

static void zk__one(zk_adm_rlist *out, const char *name, int64_t v)
{
    zk_kube_quantity q;
    zk_kube_quantity_from_value(v, ZK_KUBE_QUANTITY_DECIMAL_SI, &q);
    zk_adm_rlist_set(out, name, &q);
}

/* Kubernetes' IsExtendedResourceName: a domain-qualified name outside
 * kubernetes.io that is not itself a quota "requests." name. */
static bool zk__extended(const char *name)
{
    return strchr(name, '/') && !strstr(name, "kubernetes.io/") && !zk__prefix(name, "requests.");
}

/* ---- usage ---- */

/* When a deleted pod stops being charged: a pod stuck terminating (its node
 * gone) is not held against the namespace past its grace period. */
static int64_t zk__grace_end(const json_t *pod)
{
    const json_t *meta = json_object_get(pod, "metadata");
    const char *del = zk_json_str(meta, "deletionTimestamp");
    const json_t *grace = json_object_get(meta, "deletionGracePeriodSeconds");
    if (del && json_is_integer(grace)) {
        int64_t t = zk_time_parse_rfc3339(del);
        if (t >= 0)
            return t + (int64_t)json_integer_value(grace);
    }
    return INT64_MAX;
}

/* Kubernetes' podComputeUsageHelper over a pod's effective requests and limits. */
static void zk__pod_compute(zk_adm_rlist *out, const zk_adm_rlist *reqs, const zk_adm_rlist *lims)
{
    zk__one(out, "pods", 1);
    static const char *const std[] = {"cpu", "memory", "ephemeral-storage"};
    for (size_t i = 0; i < 3; i++) {
        char name[64];
        const zk_adm_res *r = zk_adm_rlist_get(reqs, std[i]);
        if (r) {
            zk_adm_rlist_set(out, std[i], &r->q);
            snprintf(name, sizeof(name), "requests.%s", std[i]);
            zk_adm_rlist_set(out, name, &r->q);
        }
        const zk_adm_res *l = zk_adm_rlist_get(lims, std[i]);
        if (l) {
            snprintf(name, sizeof(name), "limits.%s", std[i]);
            zk_adm_rlist_set(out, name, &l->q);
        }
    }
    for (size_t i = 0; i < reqs->n; i++) {
        const char *n = reqs->items[i].name;
        if (zk__prefix(n, "hugepages-"))
            zk_adm_rlist_set(out, n, &reqs->items[i].q);
        if (zk__prefix(n, "hugepages-") || zk__extended(n)) {
            zk_autofree char *rn = zk_xasprintf("requests.%s", n);
            zk_adm_rlist_set(out, rn, &reqs->items[i].q);
        }
    }
}

static void zk__pod_usage(zk_adm_rlist *out, const json_t *pod)
{
    /* count/pods counts every stored pod; the rest only pods still running */
    zk__one(out, "count/pods", 1);
    zk_adm_rlist reqs = ZK_ADM_RLIST_INIT, lims = ZK_ADM_RLIST_INIT;
    zk_adm_pod_resources(&reqs, pod, false, true);
    zk_adm_pod_resources(&lims, pod, true, true);
    zk__pod_compute(out, &reqs, &lims);
    zk_adm_rlist_free(&reqs);
    zk_adm_rlist_free(&lims);
}

static void zk__service_usage(zk_adm_rlist *out, const json_t *svc)
{
    zk__one(out, "count/services", 1);
    zk__one(out, "services", 1);
    const json_t *spec = json_object_get(svc, "spec");
    const char *type = zk_json_str(spec, "type");
    const json_t *ports = json_object_get(spec, "ports");
    int64_t nodeports = 0, lbs = 0;
    if (type && !strcmp(type, "NodePort")) {
        nodeports = (int64_t)json_array_size(ports);
    } else if (type && !strcmp(type, "LoadBalancer")) {
        lbs = 1;
        if (zk_json_bool(spec, "allocateLoadBalancerNodePorts", true)) {
            nodeports = (int64_t)json_array_size(ports);
        } else {
            size_t i;
            json_t *p;
            json_array_foreach(ports, i, p) if (zk_json_int(p, "nodePort", 0)) nodeports++;
        }
    }
    zk__one(out, "services.loadbalancers", lbs);
    zk__one(out, "services.nodeports", nodeports);
}

static void zk__pvc_usage(zk_adm_rlist *out, const json_t *pvc)
{
    zk__one(out, "count/persistentvolumeclaims", 1);
    zk__one(out, "persistentvolumeclaims", 1);
    const char *sc = zk_json_path_str(pvc, "spec", "storageClassName", NULL);
    if (!sc)
        sc = zk_json_path_str(pvc, "metadata", "annotations",
                              "volume.beta.kubernetes.io/storage-class", NULL);
    char name[400];
    if (sc && *sc) {
        snprintf(name, sizeof(name), "%s" ZK__SC_SUFFIX "persistentvolumeclaims", sc);
        zk__one(out, name, 1);
    }
    zk_kube_quantity q;
    const json_t *req = zk_json_path(pvc, "spec", "resources", "requests", "storage", NULL);
    if (req && zk_kube_quantity_parse_json(req, &q, NULL) == 0) {
        zk_adm_rlist_set(out, "requests.storage", &q);
        if (sc && *sc) {
            snprintf(name, sizeof(name), "%s" ZK__SC_SUFFIX "requests.storage", sc);
            zk_adm_rlist_set(out, name, &q);
        }
    }
}

/* The usage of obj while it counts in full. */
static void zk__usage(zk_adm_rlist *out, const char *group, const char *resource,
                      const json_t *obj)
{
    if (zk__is(group, resource, "", "events") || zk__is(group, resource, "events.k8s.io", "events"))
        return;
    if (zk__is(group, resource, "", "pods")) {
        zk__pod_usage(out, obj);
        return;
    }
    if (zk__is(group, resource, "", "services")) {
        zk__service_usage(out, obj);
        return;
    }
    if (zk__is(group, resource, "", "persistentvolumeclaims")) {
        zk__pvc_usage(out, obj);
        return;
    }
    char name[512];
    if (group[0])
        snprintf(name, sizeof(name), "count/%s.%s", resource, group);
    else
        snprintf(name, sizeof(name), "count/%s", resource);
    zk__one(out, name, 1);
    static const char *const legacy[] = {"configmaps", "secrets", "replicationcontrollers",
                                         "resourcequotas", NULL};
    if (!group[0])
        for (size_t i = 0; legacy[i]; i++)
            if (!strcmp(resource, legacy[i]))
                zk__one(out, resource, 1);
}

/* ---- which kind a quota name counts ---- */

static bool zk__set(char *group, size_t gn, char *resource, size_t rn, const char *g,
                    const char *r, size_t rlen)
{
    snprintf(group, gn, "%s", g);
    snprintf(resource, rn, "%.*s", (int)rlen, r);
    return true;
}

bool zk_adm_quota_source(const char *name, char *group, size_t gn, char *resource, size_t rn)
{
    static const char *const pod[] = {
        "pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
        "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
        NULL};
    static const char *const svc[] = {"services", "services.nodeports", "services.loadbalancers",
                                      NULL};
    static const char *const legacy[] = {"configmaps", "secrets", "replicationcontrollers",
                                         "resourcequotas", "persistentvolumeclaims", NULL};
    for (size_t i = 0; pod[i]; i++)
        if (!strcmp(name, pod[i]))
            return zk__set(group, gn, resource, rn, "", "pods", 4);
    if (zk__prefix(name, "hugepages-") || zk__prefix(name, "requests.hugepages-") ||
        (zk__prefix(name, "requests.") && zk__extended(name + 9)))
        return zk__set(group, gn, resource, rn, "", "pods", 4);
    for (size_t i = 0; svc[i]; i++)
        if (!strcmp(name, svc[i]))
            return zk__set(group, gn, resource, rn, "", "services", 8);
    for (size_t i = 0; legacy[i]; i++)
        if (!strcmp(name, legacy[i]))
            return zk__set(group, gn, resource, rn, "", name, strlen(name));
    const char *sc = strstr(name, ZK__SC_SUFFIX);
    if (!strcmp(name, "requests.storage") ||
        (sc && sc != name && (!strcmp(sc + strlen(ZK__SC_SUFFIX), "requests.storage") ||
                              !strcmp(sc + strlen(ZK__SC_SUFFIX), "persistentvolumeclaims"))))
        return zk__set(group, gn, resource, rn, "", "persistentvolumeclaims", 22);
    if (zk__prefix(name, "count/") && name[6]) {
        const char *r = name + 6;
        const char *dot = strchr(r, '.');
        if (!dot)
            return zk__set(group, gn, resource, rn, "", r, strlen(r));
        if (dot == r || !dot[1])
            return false;
        return zk__set(group, gn, resource, rn, dot + 1, r, (size_t)(dot - r));
    }
    return false;
}

/* The hard names whose usage comes from objects of group/resource. */
static void zk__matching(zk_adm_rlist *out, const zk_adm_rlist *hard, const char *group,
                         const char *resource)
{
    for (size_t i = 0; i < hard->n; i++) {
        char g[256], r[256];
        if (zk_adm_quota_source(hard->items[i].name, g, sizeof(g), r, sizeof(r)) &&
            zk__is(group, resource, g, r))
            zk_adm_rlist_set(out, hard->items[i].name, &hard->items[i].q);
    }
}

/* ---- scopes ---- */

static bool zk__best_effort(const json_t *pod)
{
    const json_t *spec = json_object_get(pod, "spec");
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *ct;
        json_array_foreach(json_object_get(spec, lists[l]), i, ct) {
            static const char *const kinds[] = {"requests", "limits"};
            for (size_t k = 0; k < 2; k++) {
                const json_t *rl = zk_json_path(ct, "resources", kinds[k], NULL);
                static const char *const res[] = {"cpu", "memory"};
                for (size_t r = 0; r < 2; r++) {
                    zk_kube_quantity q;
                    const json_t *v = json_object_get(rl, res[r]);
                    if (v && zk_kube_quantity_parse_json(v, &q, NULL) == 0 &&
                        !zk_kube_quantity_is_zero(&q))
                        return false;
                }
            }
        }
    }
    return true;
}

static bool zk__terms_cross_ns(const json_t *aff)
{
    const json_t *req = json_object_get(aff, "requiredDuringSchedulingIgnoredDuringExecution");
    const json_t *pref = json_object_get(aff, "preferredDuringSchedulingIgnoredDuringExecution");
    size_t i;
    json_t *t;
    json_array_foreach(req, i, t) {
        if (json_array_size(json_object_get(t, "namespaces")) ||
            json_is_object(json_object_get(t, "namespaceSelector")))
            return true;
    }
    json_array_foreach(pref, i, t) {
        const json_t *term = json_object_get(t, "podAffinityTerm");
        if (json_array_size(json_object_get(term, "namespaces")) ||
            json_is_object(json_object_get(term, "namespaceSelector")))
            return true;
    }
    return false;
}

static bool zk__in(const json_t *values, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s))
        return true;
    return false;
}

static bool zk__pod_scope(const char *scope, const char *op, const json_t *values,
                          const zk_adm_quota_item *it)
{
    if (!strcmp(scope, "Terminating"))
        return it->deadline;
    if (!strcmp(scope, "NotTerminating"))
        return !it->deadline;
    if (!strcmp(scope, "BestEffort"))
        return it->best_effort;
    if (!strcmp(scope, "NotBestEffort"))
        return !it->best_effort;
    if (!strcmp(scope, "PriorityClass")) {
        /* Kubernetes matches a label selector against {PriorityClass: name},
         * where the key is always present */
        if (!strcmp(op, "Exists"))
            return it->priority_class[0] != '\0';
        if (!strcmp(op, "In"))
            return zk__in(values, it->priority_class);
        if (!strcmp(op, "NotIn"))
            return !zk__in(values, it->priority_class);
        return false;
    }
    if (!strcmp(scope, "CrossNamespacePodAffinity"))
        return it->cross_ns;
    return false;
}

bool zk_adm_quota_scopes_match(const json_t *quota, const zk_adm_quota_item *it)
{
    const json_t *spec = json_object_get(quota, "spec");
    const json_t *scopes = json_object_get(spec, "scopes");
    const json_t *exprs = zk_json_path(spec, "scopeSelector", "matchExpressions", NULL);
    if (!json_array_size(scopes) && !json_array_size(exprs))
        return true;
    if (!it->pod)
        return false;
    size_t i;
    json_t *s;
    json_array_foreach(scopes, i, s) {
        if (!json_is_string(s) || !zk__pod_scope(json_string_value(s), "Exists", NULL, it))
            return false;
    }
    json_array_foreach(exprs, i, s) {
        const char *scope = zk_json_str(s, "scopeName");
        const char *op = zk_json_str(s, "operator");
        if (!scope || !op || !zk__pod_scope(scope, op, json_object_get(s, "values"), it))
            return false;
    }
    return true;
}

/* ---- items ---- */

void zk_adm_quota_item_init(zk_adm_quota_item *it, const char *group, const char *resource,
                            const json_t *obj)
{
    memset(it, 0, sizeof(*it));
    zk__usage(&it->usage, group, resource, obj);
    it->grace_end = INT64_MAX;
    it->pod = zk__is(group, resource, "", "pods");
    if (!it->pod) {
        it->priority_class = zk_xstrdup("");
        return;
    }
    zk__one(&it->spent, "count/pods", 1);
    const char *phase = zk_json_path_str(obj, "status", "phase", NULL);
    it->finished = phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
    it->grace_end = zk__grace_end(obj);
    const json_t *spec = json_object_get(obj, "spec");
    const json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
    it->deadline = json_is_integer(ads) && json_integer_value(ads) >= 0;
    it->best_effort = zk__best_effort(obj);
    const json_t *aff = json_object_get(spec, "affinity");
    it->cross_ns = zk__terms_cross_ns(json_object_get(aff, "podAffinity")) ||
                   zk__terms_cross_ns(json_object_get(aff, "podAntiAffinity"));
    const char *pc = zk_json_str(spec, "priorityClassName");
    it->priority_class = zk_xstrdup(pc ? pc : "");
}

void zk_adm_quota_item_free(zk_adm_quota_item *it)
{
    zk_adm_rlist_free(&it->usage);
    zk_adm_rlist_free(&it->spent);
    free(it->priority_class);
    it->priority_class = NULL;
}

const zk_adm_rlist *zk_adm_quota_item_usage(const zk_adm_quota_item *it, int64_t now)
{
    if (it->pod && (it->finished || now > it->grace_end))
        return &it->spent;
    return &it->usage;
}

void zk_adm_quota_usage(zk_adm_rlist *out, const char *group, const char *resource,
                        const json_t *obj, int64_t now)
{
    zk_adm_quota_item it;
    zk_adm_quota_item_init(&it, group, resource, obj);
    zk_adm_rlist_copy(out, zk_adm_quota_item_usage(&it, now));
    zk_adm_quota_item_free(&it);
}

/* ---- constraints: a compute quota needs every container to say ---- */

typedef struct zk__names {
    const char **v;
    size_t n, cap;
} zk__names;

static int zk__strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *zk__pod_constraints(const json_t *pod, const zk_adm_rlist *matching)
{
    static const char *const checked[] = {"cpu", "limits.cpu", "limits.memory", "memory",
                                          "requests.cpu", "requests.memory"}; /* sorted */
    enum { NCHECK = 6 };
    zk__names missing[NCHECK] = {{0}};
    bool any = false;
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *ct;
        json_array_foreach(zk_json_path(pod, "spec", lists[l], NULL), i, ct) {
            zk_adm_rlist reqs = ZK_ADM_RLIST_INIT, lims = ZK_ADM_RLIST_INIT, have = ZK_ADM_RLIST_INIT;
            zk_adm_rlist_from_json(&reqs, zk_json_path(ct, "resources", "requests", NULL));
            zk_adm_rlist_from_json(&lims, zk_json_path(ct, "resources", "limits", NULL));
            zk__pod_compute(&have, &reqs, &lims);
            const char *name = zk_json_str(ct, "name");
            for (size_t k = 0; k < NCHECK; k++) {
                if (!zk_adm_rlist_get(matching, checked[k]) || zk_adm_rlist_get(&have, checked[k]))
                    continue;
                zk__names *m = &missing[k];
                if (m->n == m->cap) {
                    m->cap = m->cap ? m->cap * 2 : 4;
                    m->v = zk_xrealloc(m->v, m->cap * sizeof(*m->v));
                }
                m->v[m->n++] = name ? name : "";
                any = true;
            }
            zk_adm_rlist_free(&reqs);
            zk_adm_rlist_free(&lims);
            zk_adm_rlist_free(&have);
        }
    }
    if (!any)
        return NULL;
    zk_buf b = ZK_BUF_INIT(1u << 20);
    zk_buf_puts(&b, "must specify ");
    bool first = true;
    for (size_t k = 0; k < NCHECK; k++) {
        zk__names *m = &missing[k];
        if (!m->n)
            continue;
        qsort(m->v, m->n, sizeof(*m->v), zk__strcmp);
        zk_buf_printf(&b, "%s%s for: ", first ? "" : "; ", checked[k]);
        first = false;
        for (size_t j = 0; j < m->n; j++) {
            if (j && !strcmp(m->v[j], m->v[j - 1]))
                continue;
            zk_buf_printf(&b, "%s%s", j ? "," : "", m->v[j]);
        }
        free(m->v);
    }
    return zk_buf_steal(&b, NULL);
}

/* ---- admission ---- */

typedef struct zk__quota_use {
    const json_t *quota;
    zk_adm_rlist hard;     /* spec.hard */
    zk_adm_rlist used;     /* over the hard names, zero included */
} zk__quota_use;

typedef struct zk__scan {
    int64_t now;
    zk__quota_use **q;
    size_t n;
} zk__scan;

static void zk__scan_one(void *arg, const zk_adm_quota_item *it)
{
    zk__scan *s = arg;
    const zk_adm_rlist *u = zk_adm_quota_item_usage(it, s->now);
    for (size_t i = 0; i < s->n; i++) {
        zk__quota_use *qu = s->q[i];
        if (!zk_adm_quota_scopes_match(qu->quota, it))
            continue;
        for (size_t k = 0; k < u->n; k++)
            if (zk_adm_rlist_get(&qu->hard, u->items[k].name))
                zk_adm_rlist_add(&qu->used, u->items[k].name, &u->items[k].q);
    }
}

static void zk__zero_used(zk__quota_use *qu)
{
    zk_kube_quantity zero;
    zk_kube_quantity_from_value(0, ZK_KUBE_QUANTITY_DECIMAL_SI, &zero);
    for (size_t k = 0; k < qu->hard.n; k++)
        zk_adm_rlist_set(&qu->used, qu->hard.items[k].name, &zero);
}

static void zk__uses_free(zk__quota_use *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        zk_adm_rlist_free(&q[i].hard);
        zk_adm_rlist_free(&q[i].used);
    }
    free(q);
}

/* What an update adds: the new usage less the old, never below zero. */
static void zk__delta(zk_adm_rlist *out, const zk_adm_rlist *now_use, const zk_adm_rlist *before)
{
    for (size_t i = 0; i < now_use->n; i++) {
        zk_kube_quantity q = now_use->items[i].q;
        const zk_adm_res *b = zk_adm_rlist_get(before, now_use->items[i].name);
        if (b && (zk_kube_quantity_sub(&q, &b->q, NULL) < 0 || zk_kube_quantity_sign(&q) < 0))
            zk_kube_quantity_from_value(0, q.format, &q);
        zk_adm_rlist_set(out, now_use->items[i].name, &q);
    }
}

char *zk_adm_quota_admit(const zk_adm_objects *src, const char *group, const char *resource,
                         const char *ns, const json_t *obj, const json_t *old,
                         const json_t *const *quotas, size_t n, int64_t now)
{
    if (!n)
        return NULL;
    /* an update is charged where it can grow: a claim's storage, a
     * Service's node ports and load balancers */
    if (old && !zk__is(group, resource, "", "services") &&
        !zk__is(group, resource, "", "persistentvolumeclaims"))
        return NULL;
    zk_adm_quota_item item;
    zk_adm_quota_item_init(&item, group, resource, obj);
    const zk_adm_rlist *usage = zk_adm_quota_item_usage(&item, now);
    zk_adm_rlist delta = ZK_ADM_RLIST_INIT;
    if (old) {
        zk_adm_quota_item before;
        zk_adm_quota_item_init(&before, group, resource, old);
        zk__delta(&delta, usage, zk_adm_quota_item_usage(&before, now));
        zk_adm_quota_item_free(&before);
        usage = &delta;
    }
    if (!usage->n) {
        zk_adm_quota_item_free(&item);
        return NULL;
    }
    bool pod = zk__is(group, resource, "", "pods");
    zk__quota_use *uses = zk_xcalloc(n, sizeof(*uses));
    size_t nuse = 0;
    char *msg = NULL;
    for (size_t i = 0; i < n && !msg; i++) {
        zk_adm_rlist hard = ZK_ADM_RLIST_INIT, matching = ZK_ADM_RLIST_INIT;
        zk_adm_rlist_from_json(&hard, zk_json_path(quotas[i], "spec", "hard", NULL));
        zk__matching(&matching, &hard, group, resource);
        if (matching.n && zk_adm_quota_scopes_match(quotas[i], &item)) {
            char *why = pod ? zk__pod_constraints(obj, &matching) : NULL;
            if (why) {
                msg = zk_xasprintf("failed quota: %s: %s",
                                   zk_json_path_str(quotas[i], "metadata", "name", NULL), why);
                free(why);
            } else {
                uses[nuse].quota = quotas[i];
                zk_adm_rlist_copy(&uses[nuse].hard, &hard);
                zk__zero_used(&uses[nuse]);
                nuse++;
            }
        }
        zk_adm_rlist_free(&hard);
        zk_adm_rlist_free(&matching);
    }
    if (msg || !nuse || zk_adm_rlist_is_zero(usage))
        goto out;
    /* what the namespace uses now, writes accepted but not durable included:
     * kept by the server, or counted here */
    zk__quota_use **scan_list = zk_xcalloc(nuse, sizeof(*scan_list));
    size_t nscan = 0;
    for (size_t i = 0; i < nuse; i++) {
        const zk_adm_rlist *kept = src->used ? src->used(src->ud, uses[i].quota) : NULL;
        if (kept)
            zk_adm_rlist_mask(&uses[i].used, kept, &uses[i].hard);
        else
            scan_list[nscan++] = &uses[i];
    }
    if (nscan) {
        zk__scan scan = {now, scan_list, nscan};
        src->each(src->ud, group, resource, ns, zk__scan_one, &scan);
    }
    free(scan_list);
    for (size_t i = 0; i < nuse && !msg; i++) {
        zk__quota_use *qu = &uses[i];
        zk_adm_rlist req = ZK_ADM_RLIST_INIT, fr = ZK_ADM_RLIST_INIT, fu = ZK_ADM_RLIST_INIT,
                     fh = ZK_ADM_RLIST_INIT;
        zk_adm_rlist_mask(&req, usage, &qu->hard);
        for (size_t k = 0; k < req.n; k++) {
            const char *name = req.items[k].name;
            const zk_adm_res *limit = zk_adm_rlist_get(&qu->hard, name);
            const zk_adm_res *used = zk_adm_rlist_get(&qu->used, name);
            zk_kube_quantity sum = used->q;
            bool over = zk_kube_quantity_add(&sum, &req.items[k].q, NULL) < 0 ||
                        zk_kube_quantity_cmp(&sum, &limit->q) > 0;
            if (over) {
                zk_adm_rlist_set(&fr, name, &req.items[k].q);
                zk_adm_rlist_set(&fu, name, &used->q);
                zk_adm_rlist_set(&fh, name, &limit->q);
            }
        }
        if (fr.n) {
            zk_autofree char *a = zk_adm_rlist_format(&fr);
            zk_autofree char *b = zk_adm_rlist_format(&fu);
            zk_autofree char *c = zk_adm_rlist_format(&fh);
            msg = zk_xasprintf("exceeded quota: %s, requested: %s, used: %s, limited: %s",
                               zk_json_path_str(qu->quota, "metadata", "name", NULL), a, b, c);
        }
        zk_adm_rlist_free(&req);
        zk_adm_rlist_free(&fr);
        zk_adm_rlist_free(&fu);
        zk_adm_rlist_free(&fh);
    }
out:
    zk__uses_free(uses, n);
    zk_adm_quota_item_free(&item);
    zk_adm_rlist_free(&delta);
    return msg;
}

/* ---- counts and status ---- */

void zk_adm_quota_count(const zk_adm_objects *src, const json_t *quota, int64_t now,
                        zk_adm_rlist *used)
{
    const char *ns = zk_json_path_str(quota, "metadata", "namespace", NULL);
    zk__quota_use qu = {quota, ZK_ADM_RLIST_INIT, ZK_ADM_RLIST_INIT};
    zk_adm_rlist_from_json(&qu.hard, zk_json_path(quota, "spec", "hard", NULL));
    zk__zero_used(&qu);
    /* each kind a hard name counts, scanned once */
    for (size_t i = 0; i < qu.hard.n && ns; i++) {
        char g[256], r[256];
        if (!zk_adm_quota_source(qu.hard.items[i].name, g, sizeof(g), r, sizeof(r)))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            char g2[256], r2[256];
            seen = zk_adm_quota_source(qu.hard.items[j].name, g2, sizeof(g2), r2, sizeof(r2)) &&
                   zk__is(g, r, g2, r2);
        }
        if (seen)
            continue;
        zk__quota_use *one = &qu;
        zk__scan scan = {now, &one, 1};
        src->each(src->ud, g, r, ns, zk__scan_one, &scan);
    }
    zk_adm_rlist_copy(used, &qu.used);
    zk_adm_rlist_free(&qu.hard);
    zk_adm_rlist_free(&qu.used);
}

void zk_adm_quota_account(zk_adm_rlist *used, const json_t *quota,
                          const zk_adm_quota_item *it, int64_t now, bool remove)
{
    if (!zk_adm_quota_scopes_match(quota, it))
        return;
    const zk_adm_rlist *u = zk_adm_quota_item_usage(it, now);
    for (size_t k = 0; k < u->n; k++) {
        const zk_adm_res *have = zk_adm_rlist_get(used, u->items[k].name);
        if (!have)
            continue;
        if (!remove) {
            zk_adm_rlist_add(used, u->items[k].name, &u->items[k].q);
            continue;
        }
        zk_kube_quantity q = have->q;
        if (zk_kube_quantity_sub(&q, &u->items[k].q, NULL) < 0 || zk_kube_quantity_sign(&q) < 0)
            zk_kube_quantity_from_value(0, q.format, &q);
        zk_adm_rlist_set(used, u->items[k].name, &q);
    }
}

json_t *zk_adm_quota_status_of(const json_t *quota, const zk_adm_rlist *used)
{
    zk_adm_rlist hard = ZK_ADM_RLIST_INIT;
    zk_adm_rlist_from_json(&hard, zk_json_path(quota, "spec", "hard", NULL));
    json_t *st = json_pack("{s:o,s:o}", "hard", zk_adm_rlist_to_json(&hard), "used",
                           zk_adm_rlist_to_json(used));
    zk_adm_rlist_free(&hard);
    return st;
}

json_t *zk_adm_quota_status(const zk_adm_objects *src, const json_t *quota, int64_t now)
{
    zk_adm_rlist used = ZK_ADM_RLIST_INIT;
    zk_adm_quota_count(src, quota, now, &used);
    json_t *st = zk_adm_quota_status_of(quota, &used);
    zk_adm_rlist_free(&used);
    return st;
}
