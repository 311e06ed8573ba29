/* zke kube: informers (list, then watch; relist on 410) and their caches.
 *
 * States: LISTING (paged GETs into a fresh map) → WATCHING (from the list's
 * resourceVersion, then from the last one seen) → on the watch's end either
 * watch again, or list again after 410 Gone. Errors back off 1 s doubling
 * to 30 s. A relist swaps the new map in and reports the differences. */
#include "kube/informer.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "base/map.h"
#include "base/mem.h"

#define ZK_INF_PAGE 500
#define ZK_INF_MAX_HANDLERS 16
#define ZK_INF_MAX_INDEXES 8

typedef struct zk_inf_index {
    char *name;
    zk_kube_index_fn fn;
    zk_map *values;        /* value -> zk_map (key -> json_t*, borrowed) */
} zk_inf_index;

enum { ST_IDLE, ST_LISTING, ST_WATCHING, ST_WAITING };

struct zk_kube_informer {
    zk_kube_client *c;
    const zk_kube_resource *res;
    char *ns, *lsel, *fsel;
    zk_map *cache;         /* key -> json_t* (owned reference) */
    zk_kube_handler handlers[ZK_INF_MAX_HANDLERS];
    size_t nhandlers;
    zk_inf_index idx[ZK_INF_MAX_INDEXES];
    size_t nidx;
    int state;
    bool synced, started, freeing;
    size_t relists;
    int64_t last_rv;
    char *last_rv_str;     /* as the server wrote it */
    zk_map *listing;       /* the map being filled by a list */
    char *list_rv;
    zk_kube_watch *watch;
    uv_timer_t retry;
    uint64_t backoff_ms;
};

/* ---- indexes ---- */

typedef struct emit_ctx {
    zk_inf_index *ix;
    const char *key;
    json_t *obj;
    bool add;
} emit_ctx;

static void emit(void *p, const char *value)
{
    emit_ctx *e = p;
    zk_map *set = zk_map_get(e->ix->values, value);
    if (e->add) {
        if (!set) {
            set = zk_map_new();
            zk_map_put(e->ix->values, value, set);
        }
        zk_map_put(set, e->key, e->obj);
    } else if (set) {
        zk_map_del(set, e->key);
        if (zk_map_count(set) == 0) {
            zk_map_del(e->ix->values, value);
            zk_map_free(set);
        }
    }
}

static void ns_index(const json_t *obj, zk_kube_emit_fn fn, void *ectx)
{
    fn(ectx, zk_kube_namespace(obj));
}

static void index_obj(zk_kube_informer *inf, const char *key, json_t *obj, bool add)
{
    for (size_t i = 0; i < inf->nidx; i++) {
        emit_ctx e = {.ix = &inf->idx[i], .key = key, .obj = obj, .add = add};
        inf->idx[i].fn(obj, emit, &e);
    }
}

void zk_kube_informer_add_index(zk_kube_informer *inf, const char *name, zk_kube_index_fn fn)
{
    for (size_t i = 0; i < inf->nidx; i++)
        if (!strcmp(inf->idx[i].name, name))
            return;
    if (inf->nidx == ZK_INF_MAX_INDEXES) {
        zk_error("informer %s: too many indexes, %s ignored", inf->res->resource, name);
        return;
    }
    zk_inf_index *ix = &inf->idx[inf->nidx++];
    ix->name = zk_xstrdup(name);
    ix->fn = fn;
    ix->values = zk_map_new();
    /* objects already cached */
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(inf->cache, &pos, &k, &v)) {
        emit_ctx e = {.ix = ix, .key = k, .obj = v, .add = true};
        fn(v, emit, &e);
    }
}

size_t zk_kube_informer_by_index(const zk_kube_informer *inf, const char *index,
                                 const char *value, json_t ***out)
{
    *out = NULL;
    for (size_t i = 0; i < inf->nidx; i++) {
        if (strcmp(inf->idx[i].name, index))
            continue;
        zk_map *set = zk_map_get(inf->idx[i].values, value ? value : "");
        size_t n = set ? zk_map_count(set) : 0;
        if (!n)
            return 0;
        json_t **arr = zk_xmalloc(n * sizeof(*arr));
        size_t pos = 0, j = 0;
        void *v;
        while (j < n && zk_map_next(set, &pos, NULL, &v))
            arr[j++] = v;
        *out = arr;
        return j;
    }
    zk_error("informer %s: no index %s", inf->res->resource, index);
    return 0;
}

/* ---- the cache ---- */

static void key_of(const zk_kube_informer *inf, const json_t *obj, char *out, size_t n)
{
    if (inf->res->namespaced)
        snprintf(out, n, "%s/%s", zk_kube_namespace(obj), zk_kube_name(obj));
    else
        snprintf(out, n, "%s", zk_kube_name(obj));
}

/* Fill in what list items lack. */
static void complete(const zk_kube_informer *inf, json_t *obj)
{
    if (!json_object_get(obj, "kind"))
        json_object_set_new(obj, "kind", json_string(inf->res->kind));
    if (!json_object_get(obj, "apiVersion")) {
        char av[128];
        if (inf->res->group[0])
            snprintf(av, sizeof(av), "%s/%s", inf->res->group, inf->res->version);
        else
            snprintf(av, sizeof(av), "%s", inf->res->version);
        json_object_set_new(obj, "apiVersion", json_string(av));
    }
}

/* Insert or replace; runs handlers. Takes a reference to obj. */
static void upsert(zk_kube_informer *inf, json_t *obj)
{
    char key[512];
    key_of(inf, obj, key, sizeof(key));
    json_t *old = zk_map_get(inf->cache, key);
    if (old == obj)
        return;
    json_incref(obj);
    if (old)
        index_obj(inf, key, old, false);
    zk_map_put(inf->cache, key, obj);
    index_obj(inf, key, obj, true);
    for (size_t i = 0; i < inf->nhandlers; i++) {
        if (old && inf->handlers[i].update)
            inf->handlers[i].update(inf->handlers[i].ctx, old, obj);
        else if (!old && inf->handlers[i].add)
            inf->handlers[i].add(inf->handlers[i].ctx, obj);
    }
    json_decref(old);
}

static void remove_key(zk_kube_informer *inf, const char *key)
{
    json_t *old = zk_map_del(inf->cache, key);
    if (!old)
        return;
    index_obj(inf, key, old, false);
    for (size_t i = 0; i < inf->nhandlers; i++)
        if (inf->handlers[i].del)
            inf->handlers[i].del(inf->handlers[i].ctx, old);
    json_decref(old);
}

size_t zk_kube_informer_count(const zk_kube_informer *inf)
{
    return zk_map_count(inf->cache);
}

json_t *zk_kube_informer_get_key(const zk_kube_informer *inf, const char *key)
{
    return zk_map_get(inf->cache, key);
}

json_t *zk_kube_informer_get(const zk_kube_informer *inf, const char *ns, const char *name)
{
    char key[512];
    if (inf->res->namespaced)
        snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
    else
        snprintf(key, sizeof(key), "%s", name);
    return zk_map_get(inf->cache, key);
}

void zk_kube_informer_each(const zk_kube_informer *inf, void (*fn)(void *ctx, json_t *obj),
                           void *ctx)
{
    size_t pos = 0;
    void *v;
    while (zk_map_next(inf->cache, &pos, NULL, &v))
        fn(ctx, v);
}

size_t zk_kube_informer_list(const zk_kube_informer *inf, json_t ***out)
{
    size_t n = zk_map_count(inf->cache), i = 0;
    *out = zk_xcalloc(n ? n : 1, sizeof(**out));
    size_t pos = 0;
    void *v;
    while (i < n && zk_map_next(inf->cache, &pos, NULL, &v))
        (*out)[i++] = v;
    return i;
}

void zk_kube_informer_observe(zk_kube_informer *inf, json_t *obj)
{
    if (!json_is_object(obj))
        return;
    complete(inf, obj);
    char key[512];
    key_of(inf, obj, key, sizeof(key));
    json_t *old = zk_map_get(inf->cache, key);
    if (old && zk_kube_rv(old) >= zk_kube_rv(obj))
        return;
    /* Not cached, and the watch has already delivered this revision: the
     * object was deleted since (or does not match our selectors). A write's
     * answer read after the watch's DELETED event would bring it back as a
     * ghost that no event ever removes. */
    if (!old && inf->synced && zk_kube_rv(obj) <= inf->last_rv)
        return;
    upsert(inf, obj);
}

void zk_kube_informer_observe_delete(zk_kube_informer *inf, const char *ns, const char *name)
{
    char key[512];
    if (inf->res->namespaced)
        snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
    else
        snprintf(key, sizeof(key), "%s", name);
    remove_key(inf, key);
}

size_t zk_kube_informer_relists(const zk_kube_informer *inf)
{
    return inf->relists;
}

bool zk_kube_informer_synced(const zk_kube_informer *inf)
{
    return inf->synced;
}

const zk_kube_resource *zk_kube_informer_resource(const zk_kube_informer *inf)
{
    return inf->res;
}

void zk_kube_informer_on(zk_kube_informer *inf, const zk_kube_handler *h)
{
    if (inf->nhandlers == ZK_INF_MAX_HANDLERS) {
        zk_error("informer %s: too many handlers", inf->res->resource);
        return;
    }
    inf->handlers[inf->nhandlers++] = *h;
    if (inf->synced && h->add) {
        size_t pos = 0;
        void *v;
        while (zk_map_next(inf->cache, &pos, NULL, &v))
            h->add(h->ctx, v);
    }
}

/* ---- list and watch ---- */

static void list_page(zk_kube_informer *inf, const char *cont);
static void start_watch(zk_kube_informer *inf);

static void set_last_rv(zk_kube_informer *inf, const char *rv)
{
    if (!rv || !rv[0])
        return;
    free(inf->last_rv_str);
    inf->last_rv_str = zk_xstrdup(rv);
    inf->last_rv = strtoll(rv, NULL, 10);
}

static void on_retry(uv_timer_t *t)
{
    zk_kube_informer *inf = t->data;
    if (inf->state != ST_WAITING)
        return;
    if (inf->last_rv_str && inf->synced)
        start_watch(inf);
    else {
        inf->state = ST_LISTING;
        list_page(inf, NULL);
    }
}

static void retry_later(zk_kube_informer *inf, bool relist)
{
    if (relist) {
        free(inf->last_rv_str);
        inf->last_rv_str = NULL;
    }
    inf->state = ST_WAITING;
    inf->backoff_ms = inf->backoff_ms ? inf->backoff_ms * 2 : 1000;
    if (inf->backoff_ms > 30000)
        inf->backoff_ms = 30000;
    uv_timer_start(&inf->retry, on_retry, inf->backoff_ms, 0);
}

static void free_map_objs(zk_map *m)
{
    if (!m)
        return;
    size_t pos = 0;
    void *v;
    while (zk_map_next(m, &pos, NULL, &v))
        json_decref(v);
    zk_map_free(m);
}

/* The whole list is in inf->listing: make it the cache, report changes. */
static void list_done(zk_kube_informer *inf)
{
    zk_map *fresh = inf->listing;
    inf->listing = NULL;
    set_last_rv(inf, inf->list_rv);
    /* deletions first: keys cached but not listed */
    {
        size_t n = zk_map_count(inf->cache), k = 0, pos = 0;
        char **gone = zk_xmalloc((n ? n : 1) * sizeof(*gone));
        const char *key;
        while (zk_map_next(inf->cache, &pos, &key, NULL))
            if (!zk_map_get(fresh, key))
                gone[k++] = zk_xstrdup(key);
        for (size_t i = 0; i < k; i++) {
            remove_key(inf, gone[i]);
            free(gone[i]);
        }
        free(gone);
    }
    size_t pos = 0;
    void *v;
    while (zk_map_next(fresh, &pos, NULL, &v)) {
        json_t *obj = v;
        char key[512];
        key_of(inf, obj, key, sizeof(key));
        json_t *old = zk_map_get(inf->cache, key);
        if (old && zk_kube_rv(old) == zk_kube_rv(obj))
            continue;
        upsert(inf, obj);
    }
    free_map_objs(fresh);
    inf->synced = true;
    inf->backoff_ms = 0;
    start_watch(inf);
}

static void on_list(void *ctx, const zk_kube_result *r)
{
    zk_kube_informer *inf = ctx;
    if (r->status == 404) {
        /* the cluster does not serve this resource (a CRD not installed,
         * or removed): it is synced and empty, so that the other informers
         * of a process do not wait for it, and looked at again later */
        if (!inf->synced || zk_map_count(inf->cache))
            zk_warn("informer %s.%s: not served by this cluster (404); empty until it is",
                    inf->res->resource, inf->res->group[0] ? inf->res->group : "core");
        free_map_objs(inf->listing);
        inf->listing = NULL;
        size_t n = zk_map_count(inf->cache), k = 0, pos = 0;
        char **gone = zk_xmalloc((n ? n : 1) * sizeof(*gone));
        const char *key;
        while (zk_map_next(inf->cache, &pos, &key, NULL))
            gone[k++] = zk_xstrdup(key);
        for (size_t i = 0; i < k; i++) {
            remove_key(inf, gone[i]);
            free(gone[i]);
        }
        free(gone);
        inf->synced = true;
        retry_later(inf, true);
        return;
    }
    if (r->status != 200 || !json_is_object(r->body)) {
        zk_warn("informer %s: list: %s", inf->res->resource, r->error[0] ? r->error : "no body");
        free_map_objs(inf->listing);
        inf->listing = NULL;
        retry_later(inf, true);
        return;
    }
    json_t *items = json_object_get(r->body, "items");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        if (!json_is_object(it))
            continue;
        complete(inf, it);
        char key[512];
        key_of(inf, it, key, sizeof(key));
        json_t *prev = zk_map_put(inf->listing, key, json_incref(it));
        json_decref(prev);
    }
    const char *rv = zk_json_path_str(r->body, "metadata", "resourceVersion", NULL);
    if (rv) {
        free(inf->list_rv);
        inf->list_rv = zk_xstrdup(rv);
    }
    const char *cont = zk_json_path_str(r->body, "metadata", "continue", NULL);
    if (cont && cont[0])
        list_page(inf, cont);
    else
        list_done(inf);
}

static void base_query(zk_kube_informer *inf, zk_buf *q)
{
    char esc[2048];
    if (inf->lsel && inf->lsel[0]) {
        zk_str_query_escape(esc, sizeof(esc), inf->lsel);
        zk_buf_printf(q, "&labelSelector=%s", esc);
    }
    if (inf->fsel && inf->fsel[0]) {
        zk_str_query_escape(esc, sizeof(esc), inf->fsel);
        zk_buf_printf(q, "&fieldSelector=%s", esc);
    }
}

static void list_page(zk_kube_informer *inf, const char *cont)
{
    if (!cont) {
        free_map_objs(inf->listing);
        inf->listing = zk_map_new();
        free(inf->list_rv);
        inf->list_rv = NULL;
    }
    zk_buf q;
    zk_buf_init(&q, 16384);
    zk_buf_printf(&q, "limit=%d", ZK_INF_PAGE);
    base_query(inf, &q);
    if (cont) {
        char esc[4096];
        zk_str_query_escape(esc, sizeof(esc), cont);
        zk_buf_printf(&q, "&continue=%s", esc);
    }
    zk_buf_putc(&q, 0);
    char path[20000];
    zk_kube_path(path, sizeof(path), inf->res, inf->ns, NULL, NULL, q.data);
    zk_buf_free(&q);
    zk_kube_request(inf->c, "GET", path, NULL, NULL, on_list, inf);
}

static void on_event(void *ctx, const char *type, json_t *obj)
{
    zk_kube_informer *inf = ctx;
    const char *rv = zk_json_path_str(obj, "metadata", "resourceVersion", NULL);
    if (!strcmp(type, "BOOKMARK")) {
        set_last_rv(inf, rv);
        return;
    }
    complete(inf, obj);
    if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) {
        char key[512];
        key_of(inf, obj, key, sizeof(key));
        json_t *old = zk_map_get(inf->cache, key);
        /* our own write may already be here (observe) */
        if (!old || zk_kube_rv(old) < zk_kube_rv(obj))
            upsert(inf, obj);
    } else if (!strcmp(type, "DELETED")) {
        char key[512];
        key_of(inf, obj, key, sizeof(key));
        remove_key(inf, key);
    }
    set_last_rv(inf, rv);
}

static void on_watch_end(void *ctx, int status, const char *error)
{
    zk_kube_informer *inf = ctx;
    inf->watch = NULL;
    if (status == 410) {
        zk_debug("informer %s: watch: %s; listing again", inf->res->resource, error);
        inf->relists++;
        inf->state = ST_LISTING;
        list_page(inf, NULL);
    } else if (status == 200) {
        inf->backoff_ms = 0;
        start_watch(inf);          /* the server's timeout: resume */
    } else {
        zk_warn("informer %s: watch ended: %d %s", inf->res->resource, status,
                error ? error : "");
        /* resume from the last version; a 410 then makes it list again */
        retry_later(inf, status != 0);
        if (status != 0)
            inf->relists++;
    }
}

static void start_watch(zk_kube_informer *inf)
{
    inf->state = ST_WATCHING;
    zk_buf q;
    zk_buf_init(&q, 16384);
    /* the server ends a watch after a while, as client-go asks it to */
    zk_buf_printf(&q, "resourceVersion=%s&timeoutSeconds=%d",
                  inf->last_rv_str ? inf->last_rv_str : "0", 300 + rand() % 300);
    base_query(inf, &q);
    zk_buf_putc(&q, 0);
    char path[20000];
    zk_kube_path(path, sizeof(path), inf->res, inf->ns, NULL, NULL, q.data);
    zk_buf_free(&q);
    inf->watch = zk_kube_watch_start(inf->c, path, on_event, on_watch_end, inf);
}

zk_kube_informer *zk_kube_informer_new(zk_kube_client *c, const zk_kube_resource *r,
                                       const char *ns, const char *label_selector,
                                       const char *field_selector)
{
    zk_kube_informer *inf = zk_xcalloc(1, sizeof(*inf));
    inf->c = c;
    inf->res = r;
    inf->ns = zk_xstrdup(ns ? ns : "");
    inf->lsel = label_selector ? zk_xstrdup(label_selector) : NULL;
    inf->fsel = field_selector ? zk_xstrdup(field_selector) : NULL;
    inf->cache = zk_map_new();
    uv_timer_init(zk_kube_client_loop(c), &inf->retry);
    inf->retry.data = inf;
    zk_kube_informer_add_index(inf, "namespace", ns_index);
    return inf;
}

void zk_kube_informer_start(zk_kube_informer *inf)
{
    if (inf->started)
        return;
    inf->started = true;
    inf->state = ST_LISTING;
    list_page(inf, NULL);
}

static void on_retry_closed(uv_handle_t *h)
{
    free(h->data);
}

void zk_kube_informer_free(zk_kube_informer *inf)
{
    if (!inf)
        return;
    zk_kube_watch_stop(inf->watch);
    free_map_objs(inf->listing);
    for (size_t i = 0; i < inf->nidx; i++) {
        size_t pos = 0;
        void *v;
        while (zk_map_next(inf->idx[i].values, &pos, NULL, &v))
            zk_map_free(v);
        zk_map_free(inf->idx[i].values);
        free(inf->idx[i].name);
    }
    free_map_objs(inf->cache);
    free(inf->ns);
    free(inf->lsel);
    free(inf->fsel);
    free(inf->last_rv_str);
    free(inf->list_rv);
    /* the timer's memory goes with it: the informer is freed when it closes */
    uv_timer_stop(&inf->retry);
    inf->retry.data = inf;
    uv_close((uv_handle_t *)&inf->retry, on_retry_closed);
}

/* ---- the factory ---- */

struct zk_kube_factory {
    zk_kube_client *c;
    zk_kube_informer *infs[64];
    size_t n;
    bool started;
};

zk_kube_factory *zk_kube_factory_new(zk_kube_client *c)
{
    zk_kube_factory *f = zk_xcalloc(1, sizeof(*f));
    f->c = c;
    return f;
}

zk_kube_client *zk_kube_factory_client(zk_kube_factory *f)
{
    return f->c;
}

zk_kube_informer *zk_kube_factory_find(zk_kube_factory *f, const zk_kube_resource *r)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->infs[i]->res == r ||
            (!strcmp(f->infs[i]->res->group, r->group) &&
             !strcmp(f->infs[i]->res->resource, r->resource)))
            return f->infs[i];
    return NULL;
}

zk_kube_informer *zk_kube_factory_informer(zk_kube_factory *f, const zk_kube_resource *r)
{
    zk_kube_informer *found = zk_kube_factory_find(f, r);
    if (found)
        return found;
    if (f->n == sizeof(f->infs) / sizeof(f->infs[0])) {
        zk_error("informer factory: too many resources");
        abort();
    }
    zk_kube_informer *inf = zk_kube_informer_new(f->c, r, NULL, NULL, NULL);
    f->infs[f->n++] = inf;
    if (f->started)
        zk_kube_informer_start(inf);
    return inf;
}

void zk_kube_factory_start(zk_kube_factory *f)
{
    f->started = true;
    for (size_t i = 0; i < f->n; i++)
        zk_kube_informer_start(f->infs[i]);
}

bool zk_kube_factory_synced(const zk_kube_factory *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (!f->infs[i]->synced)
            return false;
    return true;
}

void zk_kube_factory_free(zk_kube_factory *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        zk_kube_informer_free(f->infs[i]);
    free(f);
}
