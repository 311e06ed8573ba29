/* Deletion: options, preconditions, finalizers, cascading to dependents
 * (ownerReferences) per propagationPolicy, collections, and the namespace
 * lifecycle (a terminating namespace is emptied, then removed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"

typedef enum { ZK_PROP_BACKGROUND, ZK_PROP_FOREGROUND, ZK_PROP_ORPHAN } zk_prop;

typedef struct zk_delopts {
    zk_prop prop;
    bool prop_set;
    long long grace;       /* -1 when not given */
    char *pre_uid;
    char *pre_rv;
} zk_delopts;

static void zk__delopts_free(zk_delopts *o)
{
    free(o->pre_uid);
    free(o->pre_rv);
}

/* DeleteOptions come from the body (if any) and the query. Answers 400 on
 * bad input. */
static int zk__delopts(zk_call *c, zk_delopts *o)
{
    memset(o, 0, sizeof(*o));
    o->grace = -1;
    char buf[64];
    const char *p = zk_query_get(c->ri.query, "propagationPolicy", buf, sizeof(buf));
    json_t *body = NULL;
    bool is_delete = !strcmp(c->ri.verb, "delete") || !strcmp(c->ri.verb, "deletecollection");
    if (c->req && c->req->entity.len && is_delete) {
        zk_err err = {0};
        if (c->req->entity.len > ZK_MAX_BODY) {
            zk_apis_status_fmt(c->req, 413, "RequestEntityTooLarge",
                               "Request entity too large: limit is %u", ZK_MAX_BODY);
            return -1;
        }
        if (zk_json_decode(c->req->entity.base, c->req->entity.len, &body, &err) < 0) {
            zk_apis_status_fmt(c->req, 400, "BadRequest", "DeleteOptions: %s", err.msg);
            return -1;
        }
    }
    const char *bp = zk_json_str(body, "propagationPolicy");
    if (bp)
        p = bp;
    if (p && *p) {
        o->prop_set = true;
        if (!strcmp(p, "Background"))
            o->prop = ZK_PROP_BACKGROUND;
        else if (!strcmp(p, "Foreground"))
            o->prop = ZK_PROP_FOREGROUND;
        else if (!strcmp(p, "Orphan"))
            o->prop = ZK_PROP_ORPHAN;
        else {
            zk_apis_status_fmt(c->req, 422, "Invalid",
                               "propagationPolicy: Unsupported value: \"%s\": supported values: "
                               "\"Background\", \"Foreground\", \"Orphan\"", p);
            if (body)
                json_decref(body);
            return -1;
        }
    }
    json_t *orphan = json_object_get(body, "orphanDependents");
    if (!o->prop_set && json_is_boolean(orphan)) {
        o->prop_set = true;
        o->prop = json_is_true(orphan) ? ZK_PROP_ORPHAN : ZK_PROP_BACKGROUND;
    }
    const char *g = zk_query_get(c->ri.query, "gracePeriodSeconds", buf, sizeof(buf));
    if (g && *g)
        o->grace = strtoll(g, NULL, 10);
    json_t *bg = json_object_get(body, "gracePeriodSeconds");
    if (json_is_integer(bg))
        o->grace = json_integer_value(bg);
    json_t *pre = json_object_get(body, "preconditions");
    if (zk_json_str(pre, "uid"))
        o->pre_uid = zk_xstrdup(zk_json_str(pre, "uid"));
    if (zk_json_str(pre, "resourceVersion"))
        o->pre_rv = zk_xstrdup(zk_json_str(pre, "resourceVersion"));
    json_t *dry = json_object_get(body, "dryRun");
    if (json_is_array(dry) && json_array_size(dry))
        c->dry_run = true;
    if (body)
        json_decref(body);
    return 0;
}

/* A batch of deletions (and orphaning updates) built up before one commit. */
typedef struct zk__batch {
    zk_apiserver *srv;
    struct { zk_storage *st; zk_obj *obj; bool del; char *ns, *name; } *items;
    size_t n, cap;
    zk_map *seen;          /* uid -> 1 */
    long long grace;       /* asked for the object named in the request; -1 otherwise */
    const zk_obj *top;     /* that object */
    bool grace_all;        /* the grace applies to every object (deletecollection) */
} zk__batch;

static void zk__batch_add(zk__batch *b, zk_storage *st, zk_obj *obj, bool del)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = zk_xrealloc(b->items, b->cap * sizeof(*b->items));
    }
    b->items[b->n].st = st;
    b->items[b->n].obj = obj; /* owned: the new state, or the deleted one */
    b->items[b->n].del = del;
    b->items[b->n].ns = zk_xstrdup(obj->ns);
    b->items[b->n].name = zk_xstrdup(obj->name);
    b->n++;
}

/* Mark obj terminating (deletionTimestamp) instead of deleting it; a pod
 * stopping gracefully gets now + grace and deletionGracePeriodSeconds. */
static zk_obj *zk__mark_terminating_grace(zk_apiserver *srv, const zk_obj *cur,
                                          const char *add_finalizer, long long grace)
{
    json_t *doc = zk_obj_parse(cur);
    json_t *meta = zk_json_path_obj(doc, "metadata", NULL);
    json_t *old_grace = json_object_get(meta, "deletionGracePeriodSeconds");
    if (!json_object_get(meta, "deletionTimestamp") ||
        (grace > 0 && json_is_integer(old_grace) && grace < json_integer_value(old_grace))) {
        char now[32];
        zk_time_rfc3339(zk_wall_s() + (grace > 0 ? grace : 0), now, sizeof(now));
        zk_json_set_str(meta, "deletionTimestamp", now);
        json_object_set_new(meta, "deletionGracePeriodSeconds",
                            json_integer(grace > 0 ? grace : 0));
    }
    if (add_finalizer) {
        json_t *fins = json_object_get(meta, "finalizers");
        if (!json_is_array(fins)) {
            fins = json_array();
            json_object_set_new(meta, "finalizers", fins);
        }
        bool have = false;
        size_t i;
        json_t *f;
        json_array_foreach(fins, i, f) if (json_is_string(f) && !strcmp(json_string_value(f), add_finalizer)) have = true;
        if (!have)
            json_array_append_new(fins, json_string(add_finalizer));
    }
    json_t *kind = json_object_get(doc, "kind");
    if (json_is_string(kind) && !strcmp(json_string_value(kind), "Namespace")) {
        json_t *status = zk_json_path_obj(doc, "status", NULL);
        zk_json_set_str(status, "phase", "Terminating");
    }
    int64_t rev = zk_apis_next_rev(srv);
    zk_apis_set_rv(doc, rev);
    zk_obj *o = zk_obj_from_json(doc, rev);
    json_decref(doc);
    return o;
}

static zk_obj *zk__mark_terminating(zk_apiserver *srv, const zk_obj *cur, const char *add_finalizer)
{
    return zk__mark_terminating_grace(srv, cur, add_finalizer, 0);
}

/* How a pod is deleted: a pod bound to a node and not finished stops
 * gracefully — it is marked with a grace period and its node removes it
 * (with grace 0) once its containers stopped, as with a kubelet. Returns
 * the grace in seconds, 0 to delete at once, or -1 when a shorter grace
 * than the one already running was not asked for (nothing to change). */
static long long zk__pod_grace(zk_apiserver *srv, zk_storage *st, const zk_obj *o, long long asked)
{
    if (st != zk_apis_storage(srv, zk_kinds_find("", "v1", "pods")))
        return 0;
    json_t *doc = zk_obj_parse(o);
    const char *node = zk_json_path_str(doc, "spec", "nodeName", NULL);
    const char *phase = zk_json_path_str(doc, "status", "phase", NULL);
    long long g = asked >= 0 ? asked
                             : zk_json_int(json_object_get(doc, "spec"),
                                           "terminationGracePeriodSeconds", 30);
    if (!node || !node[0] || (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
        g = 0;
    if (g > 0 && o->terminating) {
        json_t *cur = zk_json_path(doc, "metadata", "deletionGracePeriodSeconds", NULL);
        if (json_is_integer(cur) && json_integer_value(cur) <= g)
            g = -1;
    }
    json_decref(doc);
    return g < 0 ? -1 : g;
}

static zk_obj *zk__without_owner(zk_apiserver *srv, const zk_obj *cur, const char *owner_uid)
{
    json_t *doc = zk_obj_parse(cur);
    json_t *refs = zk_json_path(doc, "metadata", "ownerReferences", NULL);
    json_t *keep = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        const char *u = zk_json_str(r, "uid");
        if (!u || strcmp(u, owner_uid))
            json_array_append(keep, r);
    }
    json_t *meta = json_object_get(doc, "metadata");
    if (json_array_size(keep))
        json_object_set_new(meta, "ownerReferences", keep);
    else {
        json_decref(keep);
        json_object_del(meta, "ownerReferences");
    }
    int64_t rev = zk_apis_next_rev(srv);
    zk_apis_set_rv(doc, rev);
    zk_obj *o = zk_obj_from_json(doc, rev);
    json_decref(doc);
    return o;
}

/* Dependents of uid: every visible object naming it as an owner. */
static void zk__each_dependent(zk_apiserver *srv, const char *uid,
                               void (*fn)(void *ctx, zk_storage *st, zk_obj *o), void *ctx)
{
    size_t pos = 0;
    void *v;
    /* collect first: fn may change the storages' sorted views */
    struct { zk_storage *st; zk_obj *o; } *found = NULL;
    size_t nfound = 0, cap = 0;
    while (zk_map_next(srv->storages, &pos, NULL, &v)) {
        zk_storage *st = v;
        size_t p2 = 0;
        void *ev;
        while (zk_map_next(st->entries, &p2, NULL, &ev)) {
            zk_entry *e = ev;
            zk_obj *o = e->latest;
            if (!o)
                continue;
            for (size_t i = 0; i < o->nowners; i++) {
                if (!strcmp(o->owners[i], uid)) {
                    if (nfound == cap) {
                        cap = cap ? cap * 2 : 16;
                        found = zk_xrealloc(found, cap * sizeof(*found));
                    }
                    found[nfound].st = st;
                    found[nfound].o = zk_obj_ref(o);
                    nfound++;
                    break;
                }
            }
        }
    }
    for (size_t i = 0; i < nfound; i++) {
        fn(ctx, found[i].st, found[i].o);
        zk_obj_unref(found[i].o);
    }
    free(found);
}

static bool zk__cascade(zk__batch *b, zk_storage *st, zk_obj *cur, zk_prop prop, int depth);

typedef struct {
    zk__batch *b;
    zk_prop prop;
    int depth;
    const char *owner;
    bool pending;          /* a dependent is still there (terminating) */
} zk__dep_ctx;

static void zk__dep_delete(void *ctx, zk_storage *st, zk_obj *o)
{
    zk__dep_ctx *d = ctx;
    /* under a foreground deletion, dependents are deleted in the
     * foreground too: each waits for its own */
    if (zk__cascade(d->b, st, o, d->prop == ZK_PROP_FOREGROUND ? ZK_PROP_FOREGROUND
                                                               : ZK_PROP_BACKGROUND,
                    d->depth + 1))
        d->pending = true;
}

static void zk__dep_orphan(void *ctx, zk_storage *st, zk_obj *o)
{
    zk__dep_ctx *d = ctx;
    if (zk_map_get(d->b->seen, o->uid))
        return;
    zk_map_put(d->b->seen, o->uid, (void *)1);
    zk__batch_add(d->b, st, zk__without_owner(d->b->srv, o, d->owner), false);
}

/* Delete cur and, unless orphaning, its dependents (dependents first), as
 * the garbage collector would. Objects with finalizers, pods stopping
 * gracefully and foreground owners whose dependents are still there are
 * marked instead; returns true when cur is still there afterwards. */
static bool zk__cascade(zk__batch *b, zk_storage *st, zk_obj *cur, zk_prop prop, int depth)
{
    if (depth > 32 || zk_map_get(b->seen, cur->uid))
        return cur->terminating;
    zk_map_put(b->seen, cur->uid, (void *)1);
    zk__dep_ctx d = {b, prop, depth, cur->uid, false};
    if (prop == ZK_PROP_ORPHAN)
        zk__each_dependent(b->srv, cur->uid, zk__dep_orphan, &d);
    else
        zk__each_dependent(b->srv, cur->uid, zk__dep_delete, &d);
    long long grace =
        zk__pod_grace(b->srv, st, cur, cur == b->top || b->grace_all ? b->grace : -1);
    if (grace != 0) {
        if (grace > 0)
            zk__batch_add(b, st, zk__mark_terminating_grace(b->srv, cur, NULL, grace), false);
        return true;
    }
    if (cur->has_finalizers) {
        if (!cur->terminating)
            zk__batch_add(b, st, zk__mark_terminating(b->srv, cur, NULL), false);
        return true;
    }
    if (prop == ZK_PROP_FOREGROUND && d.pending) {
        /* the owner waits for its dependents; the collector's tick
         * removes it once they are gone */
        zk__batch_add(b, st, zk__mark_terminating(b->srv, cur, "foregroundDeletion"), false);
        return true;
    }
    zk__batch_add(b, st, zk_obj_ref(cur), true);
    return false;
}

typedef struct zk__del_done {
    zk_call *c;
    zk_obj *answer;        /* what to send back */
    bool status_answer;    /* answer with a Status Success instead */
    bool collection;
    char *list_json;
} zk__del_done;

static void zk__deleted(zk_apiserver *srv, void *ctx, const char *err)
{
    zk__del_done *d = ctx;
    zk_call *c = d->c;
    if (c && c->req) {
        if (err)
            zk_apis_status_fmt(c->req, 500, "InternalError", "Internal error occurred: store: %s",
                               err);
        else if (d->list_json)
            zk_http_respond(c->req, 200, "application/json", d->list_json, strlen(d->list_json));
        else if (d->status_answer) {
            json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:{s:s,s:s,s:s,s:s},s:i}", "kind", "Status",
                                   "apiVersion", "v1", "metadata", "status", "Success",
                                   "details", "name", d->answer->name, "group", c->kind->group,
                                   "kind", c->kind->resource, "uid", d->answer->uid, "code", 200);
            zk_apis_respond_json(c->req, 200, st);
            json_decref(st);
        } else
            zk_apis_respond_obj(c, 200, d->answer);
    }
    zk_obj_unref(d->answer);
    free(d->list_json);
    if (c)
        zk_apis_call_unref(c);
    free(d);
}

static void zk__batch_commit(zk__batch *b, zk_call *c, zk__del_done *d)
{
    if (c && c->dry_run) {
        d->c = zk_apis_call_ref(c);
        zk__deleted(b->srv, d, NULL);
    } else {
        zk_write *w = zk_apis_write_new(b->srv, b->n);
        for (size_t i = 0; i < b->n; i++)
            zk_apis_write_set(w, i, b->items[i].st, b->items[i].ns, b->items[i].name,
                              b->items[i].del ? NULL : zk_obj_ref(b->items[i].obj));
        if (c)
            d->c = zk_apis_call_ref(c);
        /* CRDs going away stop being served */
        for (size_t i = 0; i < b->n; i++) {
            if (b->items[i].del && !strcmp(b->items[i].st->name,
                                           "apiextensions/customresourcedefinitions")) {
                json_t *doc = zk_obj_parse(b->items[i].obj);
                zk_apis_crd_unregister(b->srv, doc);
                json_decref(doc);
            }
        }
        zk_apis_write_submit(w, zk__deleted, d);
    }
    for (size_t i = 0; i < b->n; i++) {
        zk_obj_unref(b->items[i].obj);
        free(b->items[i].ns);
        free(b->items[i].name);
    }
    free(b->items);
    zk_map_free(b->seen);
}

static bool zk__returns_object(const zk_kind *k)
{
    /* kube-apiserver answers a delete with the object for these, and with a
     * Status for the rest */
    return !k->group[0] && (!strcmp(k->resource, "pods") || !strcmp(k->resource, "namespaces") ||
                            !strcmp(k->resource, "services"));
}

void zk_apis_delete(zk_call *c, zk_storage *st, const char *ns, const char *name)
{
    zk_delopts o;
    if (zk__delopts(c, &o) < 0)
        return;
    zk_obj *cur = zk_storage_latest(st, ns, name);
    if (!cur) {
        zk_apis_not_found(c->req, c->kind, name);
        zk__delopts_free(&o);
        return;
    }
    if (o.pre_uid && strcmp(o.pre_uid, cur->uid)) {
        zk_apis_status_fmt(c->req, 409, "Conflict",
                           "Precondition failed: UID in precondition: %s, UID in object meta: %s",
                           o.pre_uid, cur->uid);
        zk__delopts_free(&o);
        return;
    }
    if (o.pre_rv && strtoll(o.pre_rv, NULL, 10) != cur->rev) {
        zk_apis_status_fmt(c->req, 409, "Conflict",
                           "Precondition failed: ResourceVersion in precondition: %s, "
                           "ResourceVersion in object meta: %lld", o.pre_rv, (long long)cur->rev);
        zk__delopts_free(&o);
        return;
    }
    zk__batch b = {.srv = c->srv, .seen = zk_map_new(), .grace = o.grace, .top = cur};
    zk__del_done *d = zk_xcalloc(1, sizeof(*d));
    bool is_ns = !c->kind->group[0] && !strcmp(c->kind->resource, "namespaces");
    if (is_ns) {
        /* the namespace lifecycle empties it, then removes it */
        zk_obj *t = cur->terminating ? zk_obj_ref(cur) : zk__mark_terminating(c->srv, cur, NULL);
        if (!cur->terminating)
            zk__batch_add(&b, st, zk_obj_ref(t), false);
        d->answer = t;
    } else {
        zk__cascade(&b, st, cur, o.prop_set ? o.prop : ZK_PROP_BACKGROUND, 0);
        /* when the object itself was only marked, answer with that state */
        zk_obj *ans = cur;
        for (size_t i = 0; i < b.n; i++)
            if (!b.items[i].del && !strcmp(b.items[i].obj->uid, cur->uid))
                ans = b.items[i].obj;
        d->answer = zk_obj_ref(ans);
        d->status_answer = ans == cur && !zk__returns_object(c->kind);
    }
    zk__batch_commit(&b, c, d);
    zk__delopts_free(&o);
}

void zk_apis_finish_delete(zk_call *c, zk_storage *st, json_t *doc)
{
    /* the object's last finalizer went away: it is deleted now, with its
     * dependents, and the answer is its final state */
    int64_t rev = zk_apis_next_rev(c->srv);
    zk_apis_set_rv(doc, rev);
    zk_obj *o = zk_obj_from_json(doc, rev);
    json_decref(doc);
    zk__batch b = {.srv = c->srv, .seen = zk_map_new()};
    zk_map_put(b.seen, o->uid, (void *)1);
    zk__dep_ctx dc = {&b, ZK_PROP_BACKGROUND, 0, o->uid};
    zk__each_dependent(c->srv, o->uid, zk__dep_delete, &dc);
    zk__batch_add(&b, st, zk_obj_ref(o), true);
    zk__del_done *d = zk_xcalloc(1, sizeof(*d));
    d->answer = o;
    zk__batch_commit(&b, c, d);
}

void zk_apis_delete_collection(zk_call *c, zk_storage *st, const char *ns)
{
    zk_delopts o;
    if (zk__delopts(c, &o) < 0)
        return;
    zk_filter f;
    if (zk_apis_filter_init(&f, c) < 0) {
        zk__delopts_free(&o);
        return;
    }
    zk_entry **ents;
    char **keys;
    size_t n;
    zk_storage_sorted(st, &ents, &keys, &n);
    zk__batch b = {.srv = c->srv, .seen = zk_map_new(), .grace = o.grace, .grace_all = true};
    zk_buf out = ZK_BUF_INIT(SIZE_MAX / 4);
    char av[256];
    zk_buf_printf(&out, "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"metadata\":{},\"items\":[",
                  c->kind->kind, zk_kind_api_version(c->kind, av, sizeof(av)));
    /* copy the matching objects first: the cascade may re-sort the storage */
    zk_obj **victims = zk_xcalloc(n ? n : 1, sizeof(zk_obj *));
    size_t nv = 0;
    for (size_t i = 0; i < n; i++)
        if (ents[i]->latest && zk_apis_filter_match(&f, ents[i]->latest))
            victims[nv++] = zk_obj_ref(ents[i]->latest);
    for (size_t i = 0; i < nv; i++) {
        if (i)
            zk_buf_putc(&out, ',');
        if (zk_apis_kind_is_storage_version(c->kind)) {
            zk_buf_append(&out, victims[i]->json, victims[i]->len);
        } else {
            json_t *conv = zk_apis_obj_for_kind(c->kind, victims[i]);
            zk_json_encode(conv, &out);
            json_decref(conv);
        }
        zk__cascade(&b, st, victims[i], o.prop, 0);
        zk_obj_unref(victims[i]);
    }
    free(victims);
    zk_buf_puts(&out, "]}");
    zk__del_done *d = zk_xcalloc(1, sizeof(*d));
    d->list_json = zk_buf_steal(&out, NULL);
    zk__batch_commit(&b, c, d);
    zk_apis_filter_free(&f);
    zk__delopts_free(&o);
}

/* The namespace lifecycle: every tick, each terminating namespace has its
 * contents deleted (objects with finalizers are marked and waited for); an
 * empty one loses its "kubernetes" finalizer and goes away. */
void zk_apis_ns_tick(zk_apiserver *srv)
{
    const zk_kind *nsk = zk_kinds_find("", "v1", "namespaces");
    zk_storage *nss = zk_apis_storage(srv, nsk);
    zk_entry **ents;
    char **keys;
    size_t n;
    zk_storage_sorted(nss, &ents, &keys, &n);
    char **terminating = NULL;
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        zk_obj *o = ents[i]->latest;
        if (o && o->terminating && ents[i]->npending == 0) {
            terminating = zk_xrealloc(terminating, (nt + 1) * sizeof(char *));
            terminating[nt++] = zk_xstrdup(o->name);
        }
    }
    for (size_t t = 0; t < nt; t++) {
        const char *ns = terminating[t];
        zk__batch b = {.srv = srv, .seen = zk_map_new()};
        size_t remaining = 0;
        size_t pos = 0;
        void *v;
        while (zk_map_next(srv->storages, &pos, NULL, &v)) {
            zk_storage *st = v;
            if (st == nss)
                continue;
            size_t p2 = 0;
            void *ev;
            while (zk_map_next(st->entries, &p2, NULL, &ev)) {
                zk_entry *e = ev;
                zk_obj *o = e->latest;
                if (!o || strcmp(o->ns, ns))
                    continue;
                remaining++;
                if (e->npending || zk_map_get(b.seen, o->uid))
                    continue;
                zk_map_put(b.seen, o->uid, (void *)1);
                long long grace = zk__pod_grace(srv, st, o, -1);
                if (grace > 0)
                    zk__batch_add(&b, st, zk__mark_terminating_grace(srv, o, NULL, grace), false);
                else if (grace < 0)
                    ;   /* already stopping */
                else if (o->has_finalizers) {
                    if (!o->terminating)
                        zk__batch_add(&b, st, zk__mark_terminating(srv, o, NULL), false);
                } else {
                    zk__batch_add(&b, st, zk_obj_ref(o), true);
                }
            }
        }
        if (remaining == 0) {
            zk_obj *nso = zk_storage_get_obj(nss, "", ns);
            if (nso) {
                json_t *doc = zk_obj_parse(nso);
                json_t *fins = zk_json_path(doc, "metadata", "finalizers", NULL);
                json_decref(doc);
                if (!(json_is_array(fins) && json_array_size(fins)))
                    zk__batch_add(&b, nss, zk_obj_ref(nso), true);
            }
        }
        if (b.n) {
            zk__del_done *d = zk_xcalloc(1, sizeof(*d));
            zk__batch_commit(&b, NULL, d);
        } else {
            free(b.items);
            zk_map_free(b.seen);
        }
    }
    for (size_t t = 0; t < nt; t++)
        free(terminating[t]);
    free(terminating);
}

/* A dependent of an owner being deleted in the foreground: delete it if
 * nobody has yet; note that the owner still has to wait. */
static void zk__dep_new(void *ctx, zk_storage *st, zk_obj *o)
{
    zk__dep_ctx *d = ctx;
    d->pending = true;
    if (!o->terminating)
        zk__dep_delete(ctx, st, o);
}

static bool zk__waits_foreground(const zk_obj *o)
{
    return o && o->terminating && o->has_finalizers &&
           strstr(o->json, "\"foregroundDeletion\"") != NULL;
}

static void zk__gc_note_key(zk_map **set, zk_storage *st, const char *key)
{
    if (!*set)
        *set = zk_map_new();
    char k[1024];
    if (zk_str_concat(k, sizeof(k), st->name, "\x1f", key, NULL) < sizeof(k))
        zk_map_put(*set, k, st);
}

static void zk__gc_uid_add(zk_apiserver *srv, const char *uid, intptr_t d)
{
    if (!uid || !uid[0])
        return;
    if (!srv->gc_uids)
        srv->gc_uids = zk_map_new();
    intptr_t n = (intptr_t)zk_map_get(srv->gc_uids, uid) + d;
    if (n > 0)
        zk_map_put(srv->gc_uids, uid, (void *)n);
    else
        zk_map_del(srv->gc_uids, uid);
}

void zk_apis_gc_latest(zk_apiserver *srv, zk_storage *st, const char *key, const zk_obj *old,
                       const zk_obj *obj)
{
    if (old == obj)
        return;
    /* an update keeps its uid: nothing to move */
    if (!old || !obj || strcmp(old->uid, obj->uid)) {
        if (old)
            zk__gc_uid_add(srv, old->uid, -1);
        if (obj)
            zk__gc_uid_add(srv, obj->uid, 1);
    }
    /* keys are remembered here and forgotten by the ticks, once their latest
     * object no longer qualifies */
    if (!obj)
        return;
    if (obj->nowners)
        zk__gc_note_key(&srv->gc_owned, st, key);
    if (zk__waits_foreground(obj))
        zk__gc_note_key(&srv->gc_waiting, st, key);
}

/* The garbage collector's part that waits: an owner deleted in the
 * foreground carries the foregroundDeletion finalizer until none of its
 * dependents is left; then the finalizer goes, and with the last finalizer
 * the object. Runs every tick over the keys zk_apis_gc_latest() saw take
 * such an owner (a scan of every object here stalled the loop for
 * milliseconds per 10,000 objects); a key whose latest object no longer
 * waits is forgotten. */
void zk_apis_gc_tick(zk_apiserver *srv)
{
    if (!srv->gc_waiting || !zk_map_count(srv->gc_waiting))
        return;
    size_t pos = 0;
    const char *k;
    void *v;
    struct { zk_storage *st; zk_obj *o; } *found = NULL;
    size_t nfound = 0;
    char **gone = NULL;
    size_t ngone = 0;
    while (zk_map_next(srv->gc_waiting, &pos, &k, &v)) {
        zk_storage *st = v;
        const char *key = strchr(k, '\x1f') + 1;
        zk_entry *e = zk_storage_entry(st, key, false);
        zk_obj *o = e ? e->latest : NULL;
        if (!zk__waits_foreground(o)) {
            gone = zk_xrealloc(gone, (ngone + 1) * sizeof(*gone));
            gone[ngone++] = zk_xstrdup(k);
            continue;
        }
        if (e->npending)
            continue;
        found = zk_xrealloc(found, (nfound + 1) * sizeof(*found));
        found[nfound].st = st;
        found[nfound].o = zk_obj_ref(o);
        nfound++;
    }
    for (size_t i = 0; i < ngone; i++) {
        zk_map_del(srv->gc_waiting, gone[i]);
        free(gone[i]);
    }
    free(gone);
    for (size_t i = 0; i < nfound; i++) {
        zk_obj *o = found[i].o;
        /* dependents that appeared since (a controller that had not seen
         * the deletion yet) are deleted too */
        zk__batch db = {.srv = srv, .seen = zk_map_new()};
        zk_map_put(db.seen, o->uid, (void *)1);
        zk__dep_ctx dc = {&db, ZK_PROP_FOREGROUND, 0, o->uid, false};
        zk__each_dependent(srv, o->uid, zk__dep_new, &dc);
        bool has_dependents = dc.pending;
        if (db.n) {
            zk__del_done *dd = zk_xcalloc(1, sizeof(*dd));
            zk__batch_commit(&db, NULL, dd);
        } else {
            free(db.items);
            zk_map_free(db.seen);
        }
        if (!has_dependents) {
            json_t *doc = zk_obj_parse(o);
            json_t *fins = zk_json_path(doc, "metadata", "finalizers", NULL);
            json_t *keep = json_array();
            size_t j;
            json_t *f;
            json_array_foreach(fins, j, f) {
                if (!json_is_string(f) || strcmp(json_string_value(f), "foregroundDeletion"))
                    json_array_append(keep, f);
            }
            zk__batch b = {.srv = srv, .seen = zk_map_new()};
            if (json_array_size(keep)) {
                json_object_set_new(json_object_get(doc, "metadata"), "finalizers", keep);
                int64_t rev = zk_apis_next_rev(srv);
                zk_apis_set_rv(doc, rev);
                zk__batch_add(&b, found[i].st, zk_obj_from_json(doc, rev), false);
            } else {
                json_decref(keep);
                zk__batch_add(&b, found[i].st, zk_obj_ref(o), true);
            }
            json_decref(doc);
            zk__del_done *d = zk_xcalloc(1, sizeof(*d));
            zk__batch_commit(&b, NULL, d);
        }
        zk_obj_unref(o);
    }
    free(found);
}

/* The collector's sweep for dependents whose owners are all gone (an owner
 * deleted while a controller was creating a dependent of it): they are
 * deleted, as Kubernetes' garbage collector does. Every 10 s. */
void zk_apis_gc_orphans(zk_apiserver *srv)
{
    static uint64_t last;
    uint64_t now = zk_mono_ms();
    if (now - last < 10000)
        return;
    last = now;
    if (!srv->gc_owned || !zk_map_count(srv->gc_owned))
        return;
    /* Only the keys whose latest object had owners are visited, and a uid is
     * looked up in the index kept on every write: building a set of every
     * uid here stalled the loop for tens of milliseconds per 10,000 objects.
     * Collect first: the cascade changes the entries and the indexes. */
    struct { zk_storage *st; zk_obj *o; } *gone = NULL;
    size_t ngone = 0;
    char **forget = NULL;
    size_t nforget = 0;
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(srv->gc_owned, &pos, &k, &v)) {
        zk_storage *st = v;
        zk_entry *e = zk_storage_entry(st, strchr(k, '\x1f') + 1, false);
        zk_obj *o = e ? e->latest : NULL;
        if (!o || !o->nowners) {
            forget = zk_xrealloc(forget, (nforget + 1) * sizeof(*forget));
            forget[nforget++] = zk_xstrdup(k);
            continue;
        }
        if (o->terminating || e->npending)
            continue;
        bool any = false;
        for (size_t i = 0; i < o->nowners && !any; i++)
            any = srv->gc_uids && zk_map_get(srv->gc_uids, o->owners[i]) != NULL;
        if (any)
            continue;
        gone = zk_xrealloc(gone, (ngone + 1) * sizeof(*gone));
        gone[ngone].st = st;
        gone[ngone++].o = zk_obj_ref(o);
    }
    for (size_t i = 0; i < nforget; i++) {
        zk_map_del(srv->gc_owned, forget[i]);
        free(forget[i]);
    }
    free(forget);
    zk__batch b = {.srv = srv, .seen = zk_map_new(), .grace = -1};
    for (size_t i = 0; i < ngone; i++) {
        zk_info("garbage collector: %s %s/%s: its owners are gone, deleting it", gone[i].st->name,
                gone[i].o->ns, gone[i].o->name);
        zk__cascade(&b, gone[i].st, gone[i].o, ZK_PROP_BACKGROUND, 0);
        zk_obj_unref(gone[i].o);
    }
    free(gone);
    if (b.n) {
        zk__del_done *d = zk_xcalloc(1, sizeof(*d));
        zk__batch_commit(&b, NULL, d);
    } else {
        free(b.items);
        zk_map_free(b.seen);
    }
}
