/* Watch: a ring of recent events for resume, and the watchers they go to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"

struct zk_watcher {
    zk_watcher *next, *prev;
    zk_apiserver *srv;
    zk_http_stream *stream;
    const zk_kind *kind;
    char *storage;
    zk_filter filter;
    bool table;
    bool bookmarks;
    bool storage_version;  /* events can be sent as stored */
    int64_t last_rev;
    uint64_t deadline_ms;  /* 0 = none */
    uint64_t last_bookmark_ms;
};

static const char *const zk__ev_names[] = {"ADDED", "MODIFIED", "DELETED"};

void zk_event_unref(zk_event *e)
{
    if (!e || --e->refs > 0)
        return;
    zk_obj_unref(e->obj);
    zk_obj_unref(e->prev);
    zk_chunk_unref(e->line);
    free(e);
}

static zk_chunk *zk__event_line(zk_event *e)
{
    if (!e->line) {
        zk_buf b = ZK_BUF_INIT(SIZE_MAX / 4);
        zk_buf_printf(&b, "{\"type\":\"%s\",\"object\":", zk__ev_names[e->type]);
        zk_buf_append(&b, e->obj->json, e->obj->len);
        zk_buf_puts(&b, "}\n");
        e->line = zk_chunk_new(b.data, b.len);
        zk_buf_free(&b);
    }
    return e->line;
}

static zk_chunk *zk__doc_line(const char *type, json_t *obj)
{
    zk_buf b = ZK_BUF_INIT(SIZE_MAX / 4);
    zk_buf_printf(&b, "{\"type\":\"%s\",\"object\":", type);
    zk_json_encode(obj, &b);
    zk_buf_puts(&b, "}\n");
    zk_chunk *c = zk_chunk_new(b.data, b.len);
    zk_buf_free(&b);
    return c;
}

/* Encode an event for one watcher: as stored, converted, or as a Table row. */
static zk_chunk *zk__line_for(zk_watcher *w, zk_event *e, const char *type)
{
    if (!w->table && w->storage_version && !strcmp(type, zk__ev_names[e->type]))
        return zk_chunk_ref(zk__event_line(e));
    if (w->table) {
        char rv[32];
        snprintf(rv, sizeof(rv), "%lld", (long long)e->rev);
        const zk_obj *one[1] = {e->obj};
        json_t *t = zk_apis_table(w->kind, one, 1, rv, NULL, "Object");
        zk_chunk *c = zk__doc_line(type, t);
        json_decref(t);
        return c;
    }
    json_t *doc = zk_apis_obj_for_kind(w->kind, e->obj);
    zk_chunk *c = zk__doc_line(type, doc);
    json_decref(doc);
    return c;
}

static void zk__watcher_send(zk_watcher *w, zk_chunk *c)
{
    int rc = zk_http_stream_write(w->stream, c);
    if (rc == -ZK_ETOOBIG) {
        /* A watcher that cannot keep up is ended; it relists and rewatches,
         * as clients of kube-apiserver do. */
        zk_warn("watch on %s: client too slow (%zu bytes queued), closing", w->storage,
                zk_http_stream_queued(w->stream));
        zk_http_stream_end(w->stream);
    }
}

static void zk__watcher_event(zk_watcher *w, zk_event *e)
{
    if (e->rev <= w->last_rev)
        return;
    w->last_rev = e->rev;
    bool now = zk_apis_filter_match(&w->filter, e->obj);
    bool before = e->prev && zk_apis_filter_match(&w->filter, e->prev);
    const char *type;
    if (e->type == ZK_EV_DELETED) {
        if (!now)
            return;
        type = "DELETED";
    } else if (now) {
        /* an object that starts matching a selector is ADDED for this watcher */
        type = before ? "MODIFIED" : "ADDED";
    } else if (before) {
        type = "DELETED";
    } else {
        return;
    }
    zk_chunk *c = zk__line_for(w, e, type);
    zk__watcher_send(w, c);
    zk_chunk_unref(c);
}

void zk_apis_watch_publish(zk_apiserver *srv, int type, zk_storage *st, zk_obj *obj,
                           zk_obj *prev)
{
    zk_event *e = zk_xcalloc(1, sizeof(*e));
    e->refs = 1;
    e->rev = obj->rev;
    e->type = type;
    e->storage = st->name;
    e->obj = zk_obj_ref(obj);
    e->prev = zk_obj_ref(prev);
    /* history ring */
    if (srv->hist_len == srv->hist_cap) {
        zk_event_unref(srv->history[srv->hist_start]);
        srv->history[srv->hist_start] = e;
        srv->hist_start = (srv->hist_start + 1) % srv->hist_cap;
    } else {
        srv->history[(srv->hist_start + srv->hist_len) % srv->hist_cap] = e;
        srv->hist_len++;
    }
    e->refs++;
    /* take next first: sending may end a stream, and its watcher with it */
    for (zk_watcher *w = zk_map_get(srv->watchers, st->name), *next; w; w = next) {
        next = w->next;
        zk__watcher_event(w, e);
    }
    zk_event_unref(e);
}

static void zk__watcher_closed(void *ctx, zk_http_stream *s)
{
    zk_watcher *w = ctx;
    zk_apiserver *srv = w->srv;
    if (w->prev)
        w->prev->next = w->next;
    else
        zk_map_put(srv->watchers, w->storage, w->next);
    if (w->next)
        w->next->prev = w->prev;
    srv->nwatchers--;
    zk_apis_filter_free(&w->filter);
    free(w->storage);
    free(w);
}

static void zk__watch_tick(uv_timer_t *t)
{
    zk_apiserver *srv = t->data;
    uint64_t now = zk_mono_ms();
    size_t pos = 0;
    void *v;
    while (zk_map_next(srv->watchers, &pos, NULL, &v)) {
        for (zk_watcher *w = v, *next; w; w = next) {
            next = w->next;
            if (w->deadline_ms && now >= w->deadline_ms) {
                zk_http_stream_end(w->stream);
                continue;
            }
            if (w->bookmarks && now - w->last_bookmark_ms >= srv->bookmark_ms &&
                srv->committed_rev > 0) {
                w->last_bookmark_ms = now;
                char av[128], line[512];
                int n = snprintf(line, sizeof(line),
                                 "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":"
                                 "\"%s\",\"metadata\":{\"resourceVersion\":\"%lld\"}}}\n",
                                 w->kind->kind, zk_kind_api_version(w->kind, av, sizeof(av)),
                                 (long long)srv->committed_rev);
                zk_chunk *c = zk_chunk_new(line, (size_t)n);
                zk__watcher_send(w, c);
                zk_chunk_unref(c);
            }
        }
    }
}

void zk_apis_watch_init(zk_apiserver *srv)
{
    if (!srv->hist_cap)
        srv->hist_cap = ZK_HISTORY_MAX;
    if (!srv->bookmark_ms)
        srv->bookmark_ms = 60000; /* about a minute, as kube-apiserver */
    srv->history = zk_xcalloc(srv->hist_cap, sizeof(zk_event *));
    srv->watchers = zk_map_new();
    uv_timer_init(srv->loop, &srv->bookmark_timer);
    srv->bookmark_timer.data = srv;
    uv_timer_start(&srv->bookmark_timer, zk__watch_tick, 1000, 1000);
}

/* The oldest revision a watch may resume after. */
static int64_t zk__history_floor(zk_apiserver *srv)
{
    if (srv->hist_len == 0)
        return srv->committed_rev;
    return srv->history[srv->hist_start]->rev - 1;
}

void zk_apis_watch_serve(zk_call *c, zk_storage *st)
{
    zk_apiserver *srv = c->srv;
    char rvbuf[32], tbuf[32];
    const char *rvs = zk_query_get(c->ri.query, "resourceVersion", rvbuf, sizeof(rvbuf));
    int64_t rv = 0;
    bool initial = true;
    if (rvs && *rvs && strcmp(rvs, "0")) {
        char *end;
        rv = strtoll(rvs, &end, 10);
        if (*end || rv < 0) {
            zk_apis_status_fmt(c->req, 400, "BadRequest", "invalid resourceVersion: %s", rvs);
            return;
        }
        initial = false;
    }
    zk_watcher *w = zk_xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->kind = c->kind;
    w->storage = zk_xstrdup(st->name);
    w->table = c->table;
    w->bookmarks = zk_query_bool(c->ri.query, "allowWatchBookmarks");
    w->storage_version = zk_apis_kind_is_storage_version(c->kind);
    w->last_bookmark_ms = zk_mono_ms();
    if (zk_apis_filter_init(&w->filter, c) < 0) {
        free(w->storage);
        free(w);
        return;
    }
    const char *ts = zk_query_get(c->ri.query, "timeoutSeconds", tbuf, sizeof(tbuf));
    if (ts && *ts) {
        long secs = strtol(ts, NULL, 10);
        if (secs > 0)
            w->deadline_ms = zk_mono_ms() + (uint64_t)secs * 1000;
    }
    /* kube-apiserver ends watches after a while so clients rebalance */
    if (!w->deadline_ms)
        w->deadline_ms = zk_mono_ms() + (uint64_t)(1800 + rand() % 1800) * 1000;

    const char *ctype = "application/json";
    w->stream = zk_http_stream_start(c->req, 200, ctype, ZK_WATCH_MAX_QUEUED, zk__watcher_closed, w);
    /* link */
    w->next = zk_map_get(srv->watchers, st->name);
    if (w->next)
        w->next->prev = w;
    zk_map_put(srv->watchers, st->name, w);
    srv->nwatchers++;

    if (initial) {
        zk_entry **ents;
        char **keys;
        size_t n;
        zk_storage_sorted(st, &ents, &keys, &n);
        /* The initial state goes out at once: the slow-client bound applies
         * on top of it, not to it (it is as large as the objects are). */
        size_t burst = 0;
        for (size_t i = 0; i < n; i++)
            if (zk_apis_filter_match(&w->filter, ents[i]->cur))
                burst += ents[i]->cur->len + 64;
        zk_http_stream_allow(w->stream, burst);
        for (size_t i = 0; i < n; i++) {
            zk_obj *o = ents[i]->cur;
            if (!zk_apis_filter_match(&w->filter, o))
                continue;
            zk_event tmp = {.refs = 1, .rev = o->rev, .type = ZK_EV_ADDED, .obj = o};
            zk_chunk *line = zk__line_for(w, &tmp, "ADDED");
            zk__watcher_send(w, line);
            zk_chunk_unref(line);
            zk_chunk_unref(tmp.line);
        }
        w->last_rev = srv->committed_rev;
        return;
    }
    if (rv < zk__history_floor(srv)) {
        char msg[128];
        snprintf(msg, sizeof(msg), "too old resource version: %lld (%lld)", (long long)rv,
                 (long long)(zk__history_floor(srv) + 1));
        json_t *status = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status",
                                   "apiVersion", "v1", "metadata", "status", "Failure",
                                   "message", msg, "reason", "Expired", "code", 410);
        zk_chunk *line = zk__doc_line("ERROR", status);
        json_decref(status);
        zk__watcher_send(w, line);
        zk_chunk_unref(line);
        zk_http_stream_end(w->stream);
        return;
    }
    w->last_rev = rv;
    for (size_t i = 0; i < srv->hist_len; i++) {
        zk_event *e = srv->history[(srv->hist_start + i) % srv->hist_cap];
        if (e->rev > rv && !strcmp(e->storage, st->name))
            zk__watcher_event(w, e);
    }
    if (w->last_rev < srv->committed_rev)
        w->last_rev = srv->committed_rev;
}
