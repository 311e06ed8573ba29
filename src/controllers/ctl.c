/* zke controllers: manager, write batches, events and small helpers. */
#include "controllers/ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/workqueue.h"

#define ZK_CTL_MAX 32
#define ZK_EVENTS_INFLIGHT 256
#define ZK_EVENTS_REMEMBERED 4096

struct zk_ctl {
    zk_ctl_mgr *m;
    zk_ctl_def def;
    void *state;
    zk_kube_queue *q;
    char *source;          /* "replicaset-controller" */
};

struct zk_ctl_mgr {
    zk_kube_factory *f;
    zk_ctl *ctls[ZK_CTL_MAX];
    size_t n;
    bool started, running, paused;
    uv_timer_t wait_sync;
    size_t syncs;
    /* events: key -> zk_evrec */
    zk_map *events;
    int events_inflight;
};

typedef struct zk_evrec {
    char *name, *ns;
    int count;
    int64_t first;
} zk_evrec;

/* ---- indexes ---- */

static void owner_index(const json_t *obj, zk_kube_emit_fn emit, void *ectx)
{
    json_t *ref = zk_kube_controller_ref(obj);
    const char *uid = ref ? zk_json_str(ref, "uid") : NULL;
    if (uid)
        emit(ectx, uid);
}

static void node_index(const json_t *obj, zk_kube_emit_fn emit, void *ectx)
{
    const char *n = zk_json_path_str(obj, "spec", "nodeName", NULL);
    if (n && n[0])
        emit(ectx, n);
}

/* Objects without a controller, by namespace: candidates for adoption. */
static void orphan_index(const json_t *obj, zk_kube_emit_fn emit, void *ectx)
{
    if (!zk_kube_controller_ref(obj))
        emit(ectx, zk_kube_namespace(obj));
}

zk_kube_informer *zk_ctl_informer(zk_ctl *c, const zk_kube_resource *r)
{
    zk_kube_informer *inf = zk_kube_factory_informer(c->m->f, r);
    zk_kube_informer_add_index(inf, "owner", owner_index);
    zk_kube_informer_add_index(inf, "orphan", orphan_index);
    if (r == &zk_kube_pods)
        zk_kube_informer_add_index(inf, "node", node_index);
    return inf;
}

/* ---- the manager ---- */

zk_ctl_mgr *zk_ctl_mgr_new(zk_kube_factory *f)
{
    zk_ctl_mgr *m = zk_xcalloc(1, sizeof(*m));
    m->f = f;
    m->events = zk_map_new();
    uv_timer_init(zk_kube_client_loop(zk_kube_factory_client(f)), &m->wait_sync);
    m->wait_sync.data = m;
    return m;
}

static void process(void *ctx, const char *key)
{
    zk_ctl *c = ctx;
    if (c->m->paused) {
        /* not leading: keep the key for later */
        zk_kube_queue_done(c->q, key, false);
        zk_kube_queue_add_after(c->q, key, 1000);
        return;
    }
    c->m->syncs++;
    c->def.sync(c, c->state, key);
}

zk_ctl *zk_ctl_mgr_add(zk_ctl_mgr *m, const zk_ctl_def *def)
{
    if (m->n == ZK_CTL_MAX) {
        zk_error("controllers: too many");
        return NULL;
    }
    zk_ctl *c = zk_xcalloc(1, sizeof(*c));
    c->m = m;
    c->def = *def;
    c->source = zk_xasprintf("%s-controller", def->name);
    c->q = zk_kube_queue_new(zk_kube_client_loop(zk_kube_factory_client(m->f)), def->name,
                             def->workers > 0 ? def->workers : 4, process, c);
    m->ctls[m->n++] = c;
    c->state = def->init ? def->init(c) : NULL;
    return c;
}

/* Keys enqueued before the caches synced wait in the queues; the queues'
 * workers are released here. */
static void on_wait_sync(uv_timer_t *t)
{
    zk_ctl_mgr *m = t->data;
    if (!zk_kube_factory_synced(m->f))
        return;
    uv_timer_stop(t);
    m->running = true;
    zk_info("controllers: caches synced, %zu controllers running", m->n);
    for (size_t i = 0; i < m->n; i++)
        zk_kube_queue_set_paused(m->ctls[i]->q, false);
}

void zk_ctl_mgr_start(zk_ctl_mgr *m)
{
    if (m->started)
        return;
    m->started = true;
    for (size_t i = 0; i < m->n; i++)
        zk_kube_queue_set_paused(m->ctls[i]->q, true);
    zk_kube_factory_start(m->f);
    uv_timer_start(&m->wait_sync, on_wait_sync, 10, 50);
}

void zk_ctl_mgr_pause(zk_ctl_mgr *m, bool paused)
{
    m->paused = paused;
}

size_t zk_ctl_mgr_syncs(const zk_ctl_mgr *m)
{
    return m->syncs;
}

static void on_mgr_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void zk_ctl_mgr_free(zk_ctl_mgr *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        zk_ctl *c = m->ctls[i];
        if (c->def.free)
            c->def.free(c->state);
        zk_kube_queue_free(c->q);
        free(c->source);
        free(c);
    }
    size_t pos = 0;
    void *v;
    while (zk_map_next(m->events, &pos, NULL, &v)) {
        zk_evrec *e = v;
        free(e->name);
        free(e->ns);
        free(e);
    }
    zk_map_free(m->events);
    uv_timer_stop(&m->wait_sync);
    uv_close((uv_handle_t *)&m->wait_sync, on_mgr_timer_closed);
}

zk_kube_factory *zk_ctl_factory(zk_ctl *c)
{
    return c->m->f;
}

zk_kube_client *zk_ctl_client(zk_ctl *c)
{
    return zk_kube_factory_client(c->m->f);
}

const char *zk_ctl_name(const zk_ctl *c)
{
    return c->def.name;
}

void zk_ctl_enqueue(zk_ctl *c, const char *key)
{
    zk_kube_queue_add(c->q, key);
}

void zk_ctl_enqueue_obj(zk_ctl *c, const json_t *obj)
{
    char key[512];
    if (zk_kube_key(obj, key, sizeof(key)) >= 0)
        zk_kube_queue_add(c->q, key);
}

void zk_ctl_enqueue_after(zk_ctl *c, const char *key, uint64_t ms)
{
    zk_kube_queue_add_after(c->q, key, ms);
}

void zk_ctl_enqueue_owner(zk_ctl *c, const json_t *obj, const char *kind)
{
    json_t *ref = zk_kube_controller_ref(obj);
    const char *k = ref ? zk_json_str(ref, "kind") : NULL;
    const char *name = ref ? zk_json_str(ref, "name") : NULL;
    if (!k || !name || strcmp(k, kind))
        return;
    const char *ns = zk_kube_namespace(obj);
    char key[512];
    if (ns[0])
        snprintf(key, sizeof(key), "%s/%s", ns, name);
    else
        snprintf(key, sizeof(key), "%s", name);
    zk_kube_queue_add(c->q, key);
}

void zk_ctl_done(zk_ctl *c, const char *key, bool requeue)
{
    zk_kube_queue_done(c->q, key, requeue);
}

/* ---- batches ---- */

struct zk_ctl_batch {
    zk_ctl *c;
    char *key;
    int pending;
    bool ended, failed;
    uint64_t requeue_ms;
    size_t count;
};

typedef struct zk_ctl_op {
    zk_ctl_batch *b;
    const zk_kube_resource *res;
    int kind;              /* 0 write, 1 delete, 2 raw */
    char *ns, *name;
    zk_ctl_answer_fn fn;
    void *ctx;
} zk_ctl_op;

static void batch_maybe_done(zk_ctl_batch *b)
{
    if (!b->ended || b->pending > 0)
        return;
    zk_ctl *c = b->c;
    if (!b->failed && b->requeue_ms)
        zk_kube_queue_add_after(c->q, b->key, b->requeue_ms);
    zk_kube_queue_done(c->q, b->key, b->failed);
    free(b->key);
    free(b);
}

static void on_op(void *ctx, const zk_kube_result *r)
{
    zk_ctl_op *op = ctx;
    zk_ctl_batch *b = op->b;
    zk_ctl *c = b->c;
    if (op->fn) {
        op->fn(op->ctx, r);
    } else if (op->kind == 1) {
        if (r->status == 200 || r->status == 202 || r->status == 404) {
            zk_kube_informer *inf = zk_kube_factory_find(c->m->f, op->res);
            /* a graceful delete answers the object, now terminating */
            if (inf && r->status == 200 && json_is_object(r->body) &&
                zk_json_path(r->body, "metadata", "deletionTimestamp", NULL) &&
                !zk_json_str(r->body, "status"))
                zk_kube_informer_observe(inf, r->body);
            else if (inf)
                zk_kube_informer_observe_delete(inf, op->ns, op->name);
        } else {
            zk_warn("%s: delete %s %s/%s: %s", c->def.name, op->res->resource, op->ns, op->name,
                    r->error);
            b->failed = true;
        }
    } else if (r->status >= 200 && r->status < 300) {
        if (op->res) {
            zk_kube_informer *inf = zk_kube_factory_find(c->m->f, op->res);
            if (inf)
                zk_kube_informer_observe(inf, r->body);
        }
    } else {
        if (r->status != 409)
            zk_warn("%s: %s %s/%s: %s", c->def.name, op->res ? op->res->resource : "request",
                    op->ns ? op->ns : "", op->name ? op->name : "", r->error);
        b->failed = true;
    }
    b->pending--;
    free(op->ns);
    free(op->name);
    free(op);
    batch_maybe_done(b);
}

static zk_ctl_op *op_new(zk_ctl_batch *b, const zk_kube_resource *r, int kind, const char *ns,
                         const char *name)
{
    zk_ctl_op *op = zk_xcalloc(1, sizeof(*op));
    op->b = b;
    op->res = r;
    op->kind = kind;
    op->ns = zk_xstrdup(ns ? ns : "");
    op->name = zk_xstrdup(name ? name : "");
    b->pending++;
    b->count++;
    return op;
}

zk_ctl_batch *zk_ctl_batch_begin(zk_ctl *c, const char *key)
{
    zk_ctl_batch *b = zk_xcalloc(1, sizeof(*b));
    b->c = c;
    b->key = zk_xstrdup(key);
    return b;
}

void zk_ctl_batch_create(zk_ctl_batch *b, const zk_kube_resource *r, const char *ns,
                         const json_t *obj)
{
    zk_ctl_op *op = op_new(b, r, 0, ns, zk_kube_name(obj));
    zk_kube_create(zk_ctl_client(b->c), r, ns, obj, on_op, op);
}

void zk_ctl_batch_update(zk_ctl_batch *b, const zk_kube_resource *r, const json_t *obj,
                         const char *sub)
{
    zk_ctl_op *op = op_new(b, r, 0, zk_kube_namespace(obj), zk_kube_name(obj));
    zk_kube_update(zk_ctl_client(b->c), r, obj, sub, on_op, op);
}

void zk_ctl_batch_patch(zk_ctl_batch *b, const zk_kube_resource *r, const char *ns,
                        const char *name, const char *sub, const char *content_type,
                        const json_t *patch)
{
    zk_ctl_op *op = op_new(b, r, 0, ns, name);
    zk_kube_patch(zk_ctl_client(b->c), r, ns, name, sub, content_type, patch, on_op, op);
}

void zk_ctl_batch_delete(zk_ctl_batch *b, const zk_kube_resource *r, const char *ns,
                         const char *name, const char *uid, const char *propagation)
{
    zk_ctl_op *op = op_new(b, r, 1, ns, name);
    zk_kube_delete(zk_ctl_client(b->c), r, ns, name, propagation, uid, on_op, op);
}

void zk_ctl_batch_request_as(zk_ctl_batch *b, const char *method, const char *path,
                             const char *content_type, const json_t *body, zk_ctl_answer_fn fn,
                             void *ctx)
{
    zk_ctl_op *op = op_new(b, NULL, 2, NULL, path);
    op->fn = fn;
    op->ctx = ctx;
    zk_kube_request(zk_ctl_client(b->c), method, path, body, content_type, on_op, op);
}

void zk_ctl_batch_request(zk_ctl_batch *b, const char *method, const char *path,
                          const json_t *body, zk_ctl_answer_fn fn, void *ctx)
{
    zk_ctl_batch_request_as(b, method, path, NULL, body, fn, ctx);
}

void zk_ctl_batch_fail(zk_ctl_batch *b)
{
    b->failed = true;
}

void zk_ctl_batch_requeue_after(zk_ctl_batch *b, uint64_t ms)
{
    if (!b->requeue_ms || ms < b->requeue_ms)
        b->requeue_ms = ms;
}

size_t zk_ctl_batch_count(const zk_ctl_batch *b)
{
    return b->count;
}

void zk_ctl_batch_end(zk_ctl_batch *b)
{
    b->ended = true;
    batch_maybe_done(b);
}

/* ---- events ---- */

typedef struct zk_evsend {
    zk_ctl_mgr *m;
} zk_evsend;

static void on_event_sent(void *ctx, const zk_kube_result *r)
{
    zk_ctl_mgr *m = ctx;
    m->events_inflight--;
    if (r->status >= 300 && r->status != 404)
        zk_debug("event: %s", r->error);
}

void zk_ctl_event(zk_ctl *c, const json_t *obj, const char *type, const char *reason,
                  const char *fmt, ...)
{
    zk_ctl_mgr *m = c->m;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    zk_info("%s: %s %s/%s: %s: %s", c->source, zk_json_str(obj, "kind") ? zk_json_str(obj, "kind") : "",
            zk_kube_namespace(obj), zk_kube_name(obj), reason, msg);
    if (m->events_inflight >= ZK_EVENTS_INFLIGHT)
        return;   /* bounded: drop rather than queue without end */
    const char *ns = zk_kube_namespace(obj);
    if (!ns[0])
        ns = "default";
    char now[64];
    zk_ctl_now(now, sizeof(now));
    zk_autofree char *k = zk_xasprintf("%s\x1f%s\x1f%s\x1f%s", zk_kube_uid(obj), reason, type, msg);
    zk_evrec *e = zk_map_get(m->events, k);
    int64_t t = zk_wall_s();
    zk_kube_client *cl = zk_ctl_client(c);
    m->events_inflight++;
    if (e && t - e->first < 600) {
        e->count++;
        json_t *p = json_pack("{s:i,s:s}", "count", e->count, "lastTimestamp", now);
        zk_kube_patch(cl, &zk_kube_events, e->ns, e->name, NULL, NULL, p, on_event_sent, m);
        json_decref(p);
        return;
    }
    if (zk_map_count(m->events) >= ZK_EVENTS_REMEMBERED) {
        size_t pos = 0;
        void *v;
        while (zk_map_next(m->events, &pos, NULL, &v)) {
            zk_evrec *old = v;
            free(old->name);
            free(old->ns);
            free(old);
        }
        zk_map_free(m->events);
        m->events = zk_map_new();
        e = NULL;
    }
    char name[320];
    snprintf(name, sizeof(name), "%.240s.%llx", zk_kube_name(obj),
             (unsigned long long)(zk_mono_ms() * 1000003ull + (unsigned)rand()));
    json_t *ev = json_pack(
        "{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},s:s,s:s,s:i,s:s}",
        "apiVersion", "v1", "kind", "Event", "metadata", "name", name, "namespace", ns,
        "involvedObject", "kind", zk_json_str(obj, "kind") ? zk_json_str(obj, "kind") : "",
        "namespace", zk_kube_namespace(obj), "name", zk_kube_name(obj), "uid", zk_kube_uid(obj),
        "apiVersion", zk_json_str(obj, "apiVersion") ? zk_json_str(obj, "apiVersion") : "",
        "reason", reason, "message", msg, "type", type, "source", "component", c->source,
        "firstTimestamp", now, "lastTimestamp", now, "count", 1, "reportingComponent",
        c->source);
    if (!e) {
        e = zk_xcalloc(1, sizeof(*e));
        zk_map_put(m->events, k, e);
    } else {
        free(e->name);
        free(e->ns);
    }
    e->name = zk_xstrdup(name);
    e->ns = zk_xstrdup(ns);
    e->count = 1;
    e->first = t;
    zk_kube_create(cl, &zk_kube_events, ns, ev, on_event_sent, m);
    json_decref(ev);
}

/* ---- helpers ---- */

void zk_ctl_now(char *out, size_t n)
{
    zk_time_rfc3339(zk_wall_s(), out, n);
}

json_t *zk_ctl_owner_ref(const json_t *owner)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "apiVersion", zk_json_str(owner, "apiVersion"),
                     "kind", zk_json_str(owner, "kind"), "name", zk_kube_name(owner), "uid",
                     zk_kube_uid(owner), "controller", 1, "blockOwnerDeletion", 1);
}

bool zk_ctl_pod_active(const json_t *pod)
{
    if (zk_json_path(pod, "metadata", "deletionTimestamp", NULL))
        return false;
    const char *phase = zk_json_path_str(pod, "status", "phase", NULL);
    return !phase || (strcmp(phase, "Succeeded") && strcmp(phase, "Failed"));
}

json_t *zk_ctl_get_condition(const json_t *status, const char *type)
{
    json_t *conds = json_object_get(status, "conditions");
    size_t i;
    json_t *cnd;
    json_array_foreach(conds, i, cnd) {
        const char *t = zk_json_str(cnd, "type");
        if (t && !strcmp(t, type))
            return cnd;
    }
    return NULL;
}

bool zk_ctl_pod_ready(const json_t *pod)
{
    json_t *c = zk_ctl_get_condition(json_object_get(pod, "status"), "Ready");
    const char *s = c ? zk_json_str(c, "status") : NULL;
    return s && !strcmp(s, "True");
}

bool zk_ctl_pod_available(const json_t *pod, int64_t min_ready_s, int64_t now)
{
    json_t *c = zk_ctl_get_condition(json_object_get(pod, "status"), "Ready");
    const char *s = c ? zk_json_str(c, "status") : NULL;
    if (!s || strcmp(s, "True"))
        return false;
    if (min_ready_s <= 0)
        return true;
    const char *since = zk_json_str(c, "lastTransitionTime");
    int64_t t = since ? zk_time_parse_rfc3339(since) : -1;
    return t > 0 && t + min_ready_s <= now;
}

bool zk_ctl_set_condition(json_t *status, const char *type, const char *cstatus,
                          const char *reason, const char *message, bool with_update_time)
{
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    char now[64];
    zk_ctl_now(now, sizeof(now));
    json_t *cur = zk_ctl_get_condition(status, type);
    if (cur) {
        const char *os = zk_json_str(cur, "status");
        const char *orr = zk_json_str(cur, "reason");
        const char *om = zk_json_str(cur, "message");
        bool same_status = os && !strcmp(os, cstatus);
        bool same = same_status && orr && !strcmp(orr, reason) && om && !strcmp(om, message);
        if (same && !with_update_time)
            return false;
        if (!same_status)
            zk_json_set_str(cur, "lastTransitionTime", now);
        zk_json_set_str(cur, "status", cstatus);
        zk_json_set_str(cur, "reason", reason);
        zk_json_set_str(cur, "message", message);
        if (with_update_time)
            zk_json_set_str(cur, "lastUpdateTime", now);
        return true;
    }
    json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "status", cstatus,
                          "lastTransitionTime", now, "reason", reason, "message", message);
    if (with_update_time)
        json_object_set_new(c, "lastUpdateTime", json_string(now));
    json_array_append_new(conds, c);
    return true;
}
