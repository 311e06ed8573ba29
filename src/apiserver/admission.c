/* The core admission plugins on the server's write path: LimitRanger and
 * ResourceQuota (src/admission/ holds their logic; this file gives them the
 * namespace's objects and turns their answers into Status errors), and the
 * upkeep of ResourceQuota status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/limitranger.h"
#include "admission/review.h"
#include "admission/quota.h"
#include "admission/tolerationseconds.h"
#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"

/* How long writes gather before the quotas of their namespaces are
 * recounted and their statuses written. */
#define ZK__QUOTA_DELAY_MS 100
/* Every quota is recounted this often even without writes: a pod stuck
 * terminating stops counting once its grace period is over. */
#define ZK__QUOTA_RESYNC_MS 30000

/* How ResourceQuota is kept:
 * - Each quota has a running count (zk__qsum) of what its namespace uses,
 *   counted in full once, then moved by every accepted write in the
 *   namespace (old version out, new version in). Admission reads it, so a
 *   create costs the same with 10 or 10,000 pods in the namespace, and a
 *   write accepted but not durable yet is already counted.
 * - Writes mark their namespace; ZK__QUOTA_DELAY_MS later its quotas are
 *   counted in full again (which also rebases the running counts, e.g.
 *   after a write the store refused) and statuses that changed are written. */
struct zk_apis_quota_state {
    uv_timer_t timer, resync;
    bool armed;
    bool flushing;         /* our own status writes do not re-dirty */
    zk_map *dirty;         /* namespace -> (void *)1 */
    zk_map *items;         /* "%p" of a zk_obj -> zk__cached: what it means to quotas */
    zk_map *sums;          /* "ns/name" of a quota -> zk__qsum */
};

typedef struct zk__qsum {
    json_t *quota;         /* the quota (parsed) the count is for */
    zk_adm_rlist used;     /* over its hard names */
} zk__qsum;

/* Objects are immutable, so what one means to quotas is worked out once:
 * a count then reads no JSON. The entry holds a reference to its object, so
 * the address stays its own; entries whose object nothing else holds any
 * more are dropped after each recount. */
typedef struct zk__cached {
    zk_obj *obj;
    zk_adm_quota_item item;
} zk__cached;

static bool zk__is(const zk_kind *k, const char *group, const char *resource)
{
    return k && !strcmp(k->group, group) && !strcmp(k->resource, resource);
}

static zk_storage *zk__storage_of(zk_apiserver *srv, const char *group, const char *resource)
{
    size_t pos = 0;
    const zk_kind *k;
    while ((k = zk_kinds_next(&pos)))
        if (zk__is(k, group, resource))
            return zk_storage_get(srv->storages, k->storage, false);
    return NULL;
}

/* ---- the objects of a namespace, accepted writes included ---- */

typedef struct zk__list {
    json_t **v;
    size_t n, cap;
} zk__list;

static void zk__list_free(zk__list *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->v[i]);
    free(l->v);
}

static int zk__by_name(const void *a, const void *b)
{
    const char *x = zk_json_path_str(*(json_t *const *)a, "metadata", "name", NULL);
    const char *y = zk_json_path_str(*(json_t *const *)b, "metadata", "name", NULL);
    return strcmp(x ? x : "", y ? y : "");
}

/* The live objects of a kind in ns, parsed and sorted by name. */
/* The live objects of st in ns, sorted by name: parsed copies, or (shared)
 * the objects' kept trees, which the caller must only read. */
static void zk__list_storage(zk_storage *st, const char *ns, bool shared, zk__list *out)
{
    size_t pos = 0;
    void *v;
    while (st && zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (!e->latest || strcmp(e->latest->ns, ns))
            continue;
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 4;
            out->v = zk_xrealloc(out->v, out->cap * sizeof(*out->v));
        }
        out->v[out->n++] = shared ? zk_obj_tree(e->latest) : zk_obj_parse(e->latest);
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), zk__by_name);
}

static void zk__list_ns(zk_apiserver *srv, const char *group, const char *resource,
                        const char *ns, zk__list *out)
{
    zk__list_storage(zk__storage_of(srv, group, resource), ns, false, out);
}

static bool zk__any_in_ns(zk_apiserver *srv, const char *group, const char *resource,
                          const char *ns)
{
    zk_storage *st = zk__storage_of(srv, group, resource);
    if (!st)
        return false;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (e->latest && !strcmp(e->latest->ns, ns))
            return true;
    }
    return false;
}

/* What o (of group/resource) means to quotas: cached when the state is up,
 * else built into *tmp (free it when the result is tmp). */
static const zk_adm_quota_item *zk__item_of(zk_apiserver *srv, const char *group,
                                             const char *resource, zk_obj *o,
                                             zk_adm_quota_item *tmp)
{
    zk_map *items = srv->quota ? srv->quota->items : NULL;
    char key[32];
    snprintf(key, sizeof(key), "%p", (void *)o);
    zk__cached *c = items ? zk_map_get(items, key) : NULL;
    if (c)
        return &c->item;
    json_t *doc = zk_obj_parse(o);
    zk_adm_quota_item_init(tmp, group, resource, doc);
    json_decref(doc);
    if (!items)
        return tmp;
    c = zk_xcalloc(1, sizeof(*c));
    c->obj = zk_obj_ref(o);
    c->item = *tmp;
    zk_map_put(items, key, c);
    return &c->item;
}

static void zk__each(void *ud, const char *group, const char *resource, const char *ns,
                     zk_adm_visit_fn fn, void *arg)
{
    zk_apiserver *srv = ud;
    zk_storage *st = zk__storage_of(srv, group, resource);
    if (!st)
        return;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (!e->latest || strcmp(e->latest->ns, ns))
            continue;
        zk_adm_quota_item tmp;
        const zk_adm_quota_item *it = zk__item_of(srv, group, resource, e->latest, &tmp);
        fn(arg, it);
        if (it == &tmp)
            zk_adm_quota_item_free(&tmp);
    }
}

static void zk__qsum_free(zk__qsum *q)
{
    json_decref(q->quota);
    zk_adm_rlist_free(&q->used);
    free(q);
}

static void zk__qsum_key(char *buf, size_t n, const json_t *quota)
{
    const char *ns = zk_json_path_str(quota, "metadata", "namespace", NULL);
    const char *name = zk_json_path_str(quota, "metadata", "name", NULL);
    snprintf(buf, n, "%s/%s", ns ? ns : "", name ? name : "");
}

/* Count quota in full and keep the count. */
static zk__qsum *zk__qsum_count(zk_apiserver *srv, const json_t *quota, int64_t now)
{
    zk_adm_objects src = {srv, zk__each, NULL};
    zk__qsum *q = zk_xcalloc(1, sizeof(*q));
    q->quota = json_deep_copy(quota);
    zk_adm_quota_count(&src, quota, now, &q->used);
    char key[600];
    zk__qsum_key(key, sizeof(key), quota);
    zk__qsum *old = zk_map_put(srv->quota->sums, key, q);
    if (old)
        zk__qsum_free(old);
    return q;
}

/* zk_adm_objects.used: the running count, while it is for this spec. */
static const zk_adm_rlist *zk__used(void *ud, const json_t *quota)
{
    zk_apiserver *srv = ud;
    if (!srv->quota)
        return NULL;
    char key[600];
    zk__qsum_key(key, sizeof(key), quota);
    zk__qsum *q = zk_map_get(srv->quota->sums, key);
    if (!q || !json_equal(json_object_get(q->quota, "spec"), json_object_get(quota, "spec")))
        q = zk__qsum_count(srv, quota, zk_wall_s());
    return &q->used;
}

/* Drop cached items of objects no one else holds. */
static void zk__items_sweep(struct zk_apis_quota_state *q)
{
    size_t pos = 0, n = 0, cap = 0;
    const char *key;
    void *v;
    char **drop = NULL;
    while (zk_map_next(q->items, &pos, &key, &v)) {
        zk__cached *c = v;
        if (c->obj->refs > 1)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            drop = zk_xrealloc(drop, cap * sizeof(*drop));
        }
        drop[n++] = zk_xstrdup(key);
    }
    for (size_t i = 0; i < n; i++) {
        zk__cached *c = zk_map_del(q->items, drop[i]);
        zk_adm_quota_item_free(&c->item);
        zk_obj_unref(c->obj);
        free(c);
        free(drop[i]);
    }
    free(drop);
}

/* ---- answers ---- */

static void zk__forbidden(zk_call *c, const zk_kind *k, const json_t *obj, const char *why)
{
    char qr[256];
    zk_apis_qualified_resource(k, qr, sizeof(qr));
    const char *name = zk_json_path_str(obj, "metadata", "name", NULL);
    if (!name)
        name = "";
    zk_autofree char *msg = zk_xasprintf("%s \"%s\" is forbidden: %s", qr, name, why);
    json_t *d = json_pack("{s:s,s:s}", "name", name, "kind", k->resource);
    if (k->group[0])
        zk_json_set_str(d, "group", k->group);
    zk_apis_status(c->req, 403, "Forbidden", msg, d);
}

/* ---- zke's policies (src/admission/overcommit.c, strategies.c,
 * antiaffinity.c): the objects they read ---- */

/* The sources read objects and never change them: they get the kept
 * (shared) trees of the objects, not copies, so a pod create costs no
 * parsing of its namespace, policies or LimitRanges once they are warm. */
static json_t *zk__src_namespace(void *ctx, const char *name)
{
    const zk_kind *nsk = zk_kinds_find("", "v1", "namespaces");
    zk_obj *o = zk_storage_get_obj(zk_apis_storage(ctx, nsk), "", name);
    return o ? zk_obj_tree(o) : NULL;
}

static size_t zk__src_list(void *ctx, const char *resource, const char *ns, json_t ***out)
{
    zk_apiserver *srv = ctx;
    const zk_kind *k = !strcmp(resource, "nodes")         ? zk_kinds_find("", "v1", "nodes")
                       : !strcmp(resource, "limitranges") ? zk_kinds_find("", "v1", "limitranges")
                                                          : zk_kinds_find("zke.io", "v1alpha1",
                                                                          resource);
    zk__list l = {0};
    zk__list_storage(k ? zk_apis_storage(srv, k) : NULL,
                     k && k->namespaced ? (ns ? ns : "") : "", true, &l);
    *out = l.v;
    return l.n;
}

/* ---- mutating ---- */

bool zk_apis_adm_mutate(zk_call *c, json_t *obj)
{
    const zk_kind *k = zk_apis_storage_kind(c->kind);
    if (!zk__is(k, "", "pods"))
        return true;
    const char *ns = zk_json_path_str(obj, "metadata", "namespace", NULL);
    if (!ns)
        return true;
    zk__list ranges = {0};
    if (!(c->srv->adm_disabled & ZK_ADM_OFF_LIMITRANGER))
        zk__list_ns(c->srv, "", "limitranges", ns, &ranges);
    if (ranges.n)
        zk_adm_limitranger_default(obj, (const json_t *const *)ranges.v, ranges.n);
    zk__list_free(&ranges);
    /* zke's policies (admission/review.h), where Kubernetes runs mutating
     * webhooks: after the built-in plugins */
    zk_adm_sources src = {c->srv, zk__src_namespace, zk__src_list};
    char *why = c->srv->adm_disabled & ZK_ADM_OFF_POLICIES ? NULL
                                                            : zk_adm_policies_pod(obj, ns, &src);
    if (why) {
        zk__forbidden(c, k, obj, why);
        free(why);
        return false;
    }
    zk_adm_default_toleration_seconds(obj, ZK_ADM_DEFAULT_TOLERATION_SECONDS);
    return true;
}

/* ---- validating ---- */

bool zk_apis_adm_validate(zk_call *c, const json_t *obj, const json_t *old)
{
    const zk_kind *k = zk_apis_storage_kind(c->kind);
    /* zke's policies: OvercommitPolicies, workloads' templates */
    zk_adm_sources psrc = {c->srv, zk__src_namespace, zk__src_list};
    zk_autofree char *why_policy = c->srv->adm_disabled & ZK_ADM_OFF_POLICIES
                                       ? NULL
                                       : zk_adm_policies_check(k->group, k->resource, obj, old,
                                                               &psrc);
    if (why_policy) {
        zk__forbidden(c, k, obj, why_policy);
        return false;
    }
    if (!k->namespaced)
        return true;
    const char *ns = zk_json_path_str(obj, "metadata", "namespace", NULL);
    if (!ns)
        return true;
    /* LimitRanger: pods when created (their resources cannot change
     * afterwards), claims when created or updated, nothing on its way out */
    bool lr = (zk__is(k, "", "pods") && !old) || zk__is(k, "", "persistentvolumeclaims");
    if (c->srv->adm_disabled & ZK_ADM_OFF_LIMITRANGER)
        lr = false;
    if (old && zk_json_path(old, "metadata", "deletionTimestamp", NULL))
        lr = false;
    if (lr) {
        zk__list ranges = {0};
        zk__list_ns(c->srv, "", "limitranges", ns, &ranges);
        zk_autofree char *why = ranges.n ? zk_adm_limitranger_check(
                                               k->resource, obj,
                                               (const json_t *const *)ranges.v, ranges.n)
                                         : NULL;
        zk__list_free(&ranges);
        if (why) {
            zk__forbidden(c, k, obj, why);
            return false;
        }
    }
    /* ResourceQuota: creates, and updates of what can grow through one */
    bool quota = !old || zk__is(k, "", "services") || zk__is(k, "", "persistentvolumeclaims");
    if (c->srv->adm_disabled & ZK_ADM_OFF_QUOTA)
        quota = false;
    if (quota && zk__any_in_ns(c->srv, "", "resourcequotas", ns)) {
        zk__list quotas = {0};
        zk__list_ns(c->srv, "", "resourcequotas", ns, &quotas);
        zk_adm_objects src = {c->srv, zk__each, zk__used};
        zk_autofree char *why =
            zk_adm_quota_admit(&src, k->group, k->resource, ns, obj, old,
                               (const json_t *const *)quotas.v, quotas.n, zk_wall_s());
        zk__list_free(&quotas);
        if (why) {
            zk__forbidden(c, k, obj, why);
            return false;
        }
    }
    return true;
}

/* ---- quota status upkeep ---- */

static zk_storage *zk__quota_storage(zk_apiserver *srv)
{
    return zk_storage_get(srv->storages, "core/resourcequotas", false);
}

/* Recount the quotas of the dirty namespaces; write the statuses that
 * changed. */
static void zk__quota_flush(uv_timer_t *t)
{
    zk_apiserver *srv = t->data;
    struct zk_apis_quota_state *q = srv->quota;
    q->armed = false;
    zk_map *dirty = q->dirty;
    q->dirty = zk_map_new();
    /* forget the counts of dirty namespaces; quotas still there get new ones */
    {
        size_t pos = 0, n = 0, cap = 0;
        const char *key;
        void *v;
        char **drop = NULL;
        while (zk_map_next(q->sums, &pos, &key, &v)) {
            const char *ns = zk_json_path_str(((zk__qsum *)v)->quota, "metadata", "namespace",
                                              NULL);
            if (!ns || !zk_map_get(dirty, ns))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                drop = zk_xrealloc(drop, cap * sizeof(*drop));
            }
            drop[n++] = zk_xstrdup(key);
        }
        for (size_t i = 0; i < n; i++) {
            zk__qsum_free(zk_map_del(q->sums, drop[i]));
            free(drop[i]);
        }
        free(drop);
    }
    zk_storage *st = zk__quota_storage(srv);
    zk__list changed = {0};
    if (st) {
        int64_t now = zk_wall_s();
        size_t pos = 0;
        void *v;
        while (zk_map_next(st->entries, &pos, NULL, &v)) {
            zk_entry *e = v;
            if (!e->latest || e->latest->terminating || !zk_map_get(dirty, e->latest->ns))
                continue;
            json_t *doc = zk_obj_parse(e->latest);
            zk__qsum *sum = zk__qsum_count(srv, doc, now);
            json_t *status = zk_adm_quota_status_of(doc, &sum->used);
            if (json_equal(status, json_object_get(doc, "status"))) {
                json_decref(status);
                json_decref(doc);
                continue;
            }
            json_object_set_new(doc, "status", status);
            if (changed.n == changed.cap) {
                changed.cap = changed.cap ? changed.cap * 2 : 4;
                changed.v = zk_xrealloc(changed.v, changed.cap * sizeof(*changed.v));
            }
            changed.v[changed.n++] = doc;
        }
    }
    zk_map_free(dirty);
    zk__items_sweep(q);
    if (!changed.n) {
        zk__list_free(&changed);
        return;
    }
    /* one commit for all of them, after the scan (a write changes entries) */
    zk_write *w = zk_apis_write_new(srv, changed.n);
    for (size_t i = 0; i < changed.n; i++) {
        int64_t rev = zk_apis_next_rev(srv);
        zk_apis_set_rv(changed.v[i], rev);
        zk_obj *o = zk_obj_from_json(changed.v[i], rev);
        zk_apis_write_set(w, i, st, o->ns, o->name, o);
    }
    q->flushing = true;
    zk_apis_write_submit(w, NULL, NULL);
    q->flushing = false;
    zk__list_free(&changed);
}

static void zk__quota_mark(zk_apiserver *srv, const char *ns)
{
    struct zk_apis_quota_state *q = srv->quota;
    if (!zk_map_get(q->dirty, ns))
        zk_map_put(q->dirty, ns, (void *)1);
    if (!q->armed) {
        q->armed = true;
        uv_timer_start(&q->timer, zk__quota_flush, ZK__QUOTA_DELAY_MS, 0);
    }
}

static void zk__quota_mark_all(zk_apiserver *srv)
{
    zk_storage *st = zk__quota_storage(srv);
    if (!st)
        return;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (e->latest)
            zk__quota_mark(srv, e->latest->ns);
    }
}

static void zk__quota_resync(uv_timer_t *t)
{
    zk__quota_mark_all(t->data);
}

void zk_apis_quota_init(zk_apiserver *srv)
{
    struct zk_apis_quota_state *q = zk_xcalloc(1, sizeof(*q));
    q->dirty = zk_map_new();
    q->items = zk_map_new();
    q->sums = zk_map_new();
    uv_timer_init(srv->loop, &q->timer);
    q->timer.data = srv;
    uv_timer_init(srv->loop, &q->resync);
    q->resync.data = srv;
    uv_timer_start(&q->resync, zk__quota_resync, ZK__QUOTA_RESYNC_MS, ZK__QUOTA_RESYNC_MS);
    srv->quota = q;
    /* statuses may be stale from before a restart: recount every quota */
    zk__quota_mark_all(srv);
}

/* The kind stored in st (its storage version row). */
static const zk_kind *zk__kind_of_storage(const zk_storage *st)
{
    size_t pos = 0;
    const zk_kind *k;
    while ((k = zk_kinds_next(&pos)))
        if (!strcmp(k->storage, st->name))
            return zk_apis_storage_kind(k);
    return NULL;
}

void zk_apis_quota_written(zk_apiserver *srv, zk_storage *st, const char *key, zk_obj *old,
                           zk_obj *obj)
{
    struct zk_apis_quota_state *q = srv->quota;
    if (!q)
        return;
    const char *slash = strchr(key, '/');
    if (!slash)
        return; /* cluster-scoped: no quota counts it */
    zk_storage *qs = zk__quota_storage(srv);
    if (!qs || !zk_map_count(qs->entries))
        return;
    char ns[256];
    size_t n = (size_t)(slash - key);
    if (n >= sizeof(ns))
        return;
    memcpy(ns, key, n);
    ns[n] = '\0';
    if (!q->flushing)
        zk__quota_mark(srv, ns);
    /* move the running counts of the namespace's quotas */
    const zk_kind *k = NULL;
    int64_t now = 0;
    size_t pos = 0;
    void *v;
    while (zk_map_next(q->sums, &pos, NULL, &v)) {
        zk__qsum *sum = v;
        const char *qns = zk_json_path_str(sum->quota, "metadata", "namespace", NULL);
        if (!qns || strcmp(qns, ns))
            continue;
        if (!k) {
            k = zk__kind_of_storage(st);
            if (!k)
                return;
            now = zk_wall_s();
        }
        zk_adm_quota_item a, b;
        if (old) {
            const zk_adm_quota_item *it = zk__item_of(srv, k->group, k->resource, old, &a);
            zk_adm_quota_account(&sum->used, sum->quota, it, now, true);
            if (it == &a)
                zk_adm_quota_item_free(&a);
        }
        if (obj) {
            const zk_adm_quota_item *it = zk__item_of(srv, k->group, k->resource, obj, &b);
            zk_adm_quota_account(&sum->used, sum->quota, it, now, false);
            if (it == &b)
                zk_adm_quota_item_free(&b);
        }
    }
}
