/* The core admission plugins on the server's write path: LimitRanger and
 * ResourceQuota (src/admission/ holds their logic; this file gives them the
 * namespace's objects and turns their answers into Status errors), and the
 * upkeep of ResourceQuota status. */
#include <stdlib.h>
#include <string.h>

#include "admission/limitranger.h"
#include "admission/quota.h"
#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"

/* How long writes gather before the quotas of their namespaces are
 * recounted. */
#define ZK__QUOTA_DELAY_MS 100

struct zk_apis_quota_state {
    uv_timer_t timer;
    bool armed;
    bool flushing;         /* our own status writes do not re-dirty */
    zk_map *dirty;         /* namespace -> (void *)1 */
};

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
static void zk__list_ns(zk_apiserver *srv, const char *group, const char *resource,
                        const char *ns, zk__list *out)
{
    zk_storage *st = zk__storage_of(srv, group, resource);
    if (!st)
        return;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (!e->latest || strcmp(e->latest->ns, ns))
            continue;
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 4;
            out->v = zk_xrealloc(out->v, out->cap * sizeof(*out->v));
        }
        out->v[out->n++] = zk_obj_parse(e->latest);
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), zk__by_name);
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
        json_t *doc = zk_obj_parse(e->latest);
        fn(arg, doc);
        json_decref(doc);
    }
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
    zk__list_ns(c->srv, "", "limitranges", ns, &ranges);
    if (ranges.n)
        zk_adm_limitranger_default(obj, (const json_t *const *)ranges.v, ranges.n);
    zk__list_free(&ranges);
    return true;
}

/* ---- validating ---- */

bool zk_apis_adm_validate(zk_call *c, const json_t *obj, const json_t *old)
{
    const zk_kind *k = zk_apis_storage_kind(c->kind);
    if (!k->namespaced)
        return true;
    const char *ns = zk_json_path_str(obj, "metadata", "namespace", NULL);
    if (!ns)
        return true;
    /* LimitRanger: pods when created (their resources cannot change
     * afterwards), claims when created or updated, nothing on its way out */
    bool lr = (zk__is(k, "", "pods") && !old) || zk__is(k, "", "persistentvolumeclaims");
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
    /* ResourceQuota: creates */
    if (!old && zk__any_in_ns(c->srv, "", "resourcequotas", ns)) {
        zk__list quotas = {0};
        zk__list_ns(c->srv, "", "resourcequotas", ns, &quotas);
        zk_adm_objects src = {c->srv, zk__each};
        zk_autofree char *why =
            zk_adm_quota_admit(&src, k->group, k->resource, ns, obj,
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
    zk_storage *st = zk__quota_storage(srv);
    zk__list changed = {0};
    if (st) {
        zk_adm_objects src = {srv, zk__each};
        int64_t now = zk_wall_s();
        size_t pos = 0;
        void *v;
        while (zk_map_next(st->entries, &pos, NULL, &v)) {
            zk_entry *e = v;
            if (!e->latest || e->latest->terminating || !zk_map_get(dirty, e->latest->ns))
                continue;
            json_t *doc = zk_obj_parse(e->latest);
            json_t *status = zk_adm_quota_status(&src, doc, now);
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

void zk_apis_quota_init(zk_apiserver *srv)
{
    struct zk_apis_quota_state *q = zk_xcalloc(1, sizeof(*q));
    q->dirty = zk_map_new();
    uv_timer_init(srv->loop, &q->timer);
    q->timer.data = srv;
    srv->quota = q;
    /* statuses may be stale from before a restart: recount every quota */
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

void zk_apis_quota_touch(zk_apiserver *srv, zk_storage *st, const char *key)
{
    struct zk_apis_quota_state *q = srv->quota;
    if (!q || q->flushing)
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
    zk__quota_mark(srv, ns);
}
