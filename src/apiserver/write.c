/* The commit path: accept a write into memory, make it durable through the
 * store's writer thread, then make it visible and tell watchers, in revision
 * order, on the loop thread. */
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"

int64_t zk_apis_next_rev(zk_apiserver *srv)
{
    return ++srv->next_rev;
}

zk_write *zk_apis_write_new(zk_apiserver *srv, size_t n)
{
    zk_write *w = zk_xcalloc(1, sizeof(*w) + n * sizeof(zk_write_item));
    w->srv = srv;
    w->n = n;
    return w;
}

void zk_apis_write_set(zk_write *w, size_t i, zk_storage *st, const char *ns, const char *name,
                       zk_obj *obj)
{
    char key[600];
    zk_storage_key(key, sizeof(key), ns, name);
    w->items[i].st = st;
    w->items[i].key = zk_xstrdup(key);
    size_t n = zk_str_concat(NULL, 0, "/registry/", st->name, "/", key, NULL) + 1;
    w->items[i].store_key = zk_xmalloc(n);
    zk_str_concat(w->items[i].store_key, n, "/registry/", st->name, "/", key, NULL);
    w->items[i].obj = obj;
}

static void zk__write_free(zk_write *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->items[i].key);
        free(w->items[i].store_key);
        zk_obj_unref(w->items[i].obj);
        zk_obj_unref(w->items[i].last);
    }
    free(w->err);
    free(w);
}

/* writer thread */
static void zk__write_durable(void *ctx, const char *err)
{
    zk_write *w = ctx;
    zk_apiserver *srv = w->srv;
    w->durable_ns = zk_hist_now_ns();
    if (err)
        w->err = zk_xstrdup(err);
    pthread_mutex_lock(&srv->commit_mu);
    if (srv->commit_tail)
        srv->commit_tail->next = w;
    else
        srv->commit_head = w;
    srv->commit_tail = w;
    pthread_mutex_unlock(&srv->commit_mu);
    uv_async_send(&srv->commit_async);
}

static void zk__write_apply(zk_apiserver *srv, zk_write *w)
{
    for (size_t i = 0; i < w->n; i++) {
        zk_write_item *it = &w->items[i];
        zk_entry *e = zk_storage_entry(it->st, it->key, false);
        if (!e)
            continue;
        e->npending--;
        if (w->err) {
            /* Not durable: forget what was accepted once nothing else is
             * pending on this key. */
            if (e->npending == 0) {
                zk_apis_gc_latest(srv, it->st, it->key, e->latest, e->cur);
                zk_obj_unref(e->latest);
                e->latest = zk_obj_ref(e->cur);
            }
            zk_storage_gc_entry(it->st, it->key, e);
            continue;
        }
        zk_obj *prev = e->cur;
        if (it->obj) {
            e->cur = zk_obj_ref(it->obj);
            zk_apis_watch_publish(srv, prev ? ZK_EV_MODIFIED : ZK_EV_ADDED, it->st, it->obj,
                                  prev);
            if (!prev)
                zk_storage_touch(it->st);
        } else {
            e->cur = NULL;
            if (prev)
                zk_apis_watch_publish(srv, ZK_EV_DELETED, it->st, it->last ? it->last : prev,
                                      prev);
            zk_storage_touch(it->st);
        }
        zk_obj_unref(prev);
        zk_obj *done = it->obj ? it->obj : it->last;
        if (done && done->rev > srv->committed_rev)
            srv->committed_rev = done->rev;
        zk_storage_gc_entry(it->st, it->key, e);
    }
}

static void zk__commit_drain(uv_async_t *a)
{
    zk_apiserver *srv = a->data;
    pthread_mutex_lock(&srv->commit_mu);
    zk_write *w = srv->commit_head;
    srv->commit_head = srv->commit_tail = NULL;
    pthread_mutex_unlock(&srv->commit_mu);
    uint64_t now = zk_hist_now_ns();
    /* the events of this whole batch go to each watcher together */
    zk_http_cork();
    while (w) {
        zk_write *next = w->next;
        if (!w->err) {
            zk_hist_add(&srv->commit_wait_hist, (double)(w->durable_ns - w->submit_ns) / 1e9);
            zk_hist_add(&srv->drain_hist, (double)(now - w->durable_ns) / 1e9);
        }
        zk__write_apply(srv, w);
        if (w->err)
            zk_error("store commit failed: %s", w->err);
        if (w->done)
            w->done(srv, w->ctx, w->err);
        zk__write_free(w);
        w = next;
    }
    zk_http_uncork();
}

void zk_apis_commit_init(zk_apiserver *srv)
{
    pthread_mutex_init(&srv->commit_mu, NULL);
    uv_async_init(srv->loop, &srv->commit_async, zk__commit_drain);
    srv->commit_async.data = srv;
}

int zk_apis_write_submit(zk_write *w, zk_write_done_fn done, void *ctx)
{
    zk_apiserver *srv = w->srv;
    w->done = done;
    w->ctx = ctx;
    w->submit_ns = zk_hist_now_ns();
    zk_store_op *ops = zk_xcalloc(w->n ? w->n : 1, sizeof(zk_store_op));
    for (size_t i = 0; i < w->n; i++) {
        zk_write_item *it = &w->items[i];
        zk_entry *e = zk_storage_entry(it->st, it->key, true);
        if (!it->obj)
            it->last = zk_obj_ref(e->latest);
        zk_apis_quota_written(srv, it->st, it->key, e->latest, it->obj);
        /* replaced: the next write of this key reads the new object's tree */
        zk_obj_tree_drop(e->latest);
        zk_apis_gc_latest(srv, it->st, it->key, e->latest, it->obj);
        zk_obj_unref(e->latest);
        e->latest = zk_obj_ref(it->obj);
        e->npending++;
        ops[i].key = zk_xstrdup(it->store_key);
        if (it->obj) {
            ops[i].value = zk_xstrndup(it->obj->json, it->obj->len);
            ops[i].len = it->obj->len;
            ops[i].rev = it->obj->rev;
        } else {
            ops[i].rev = zk_apis_next_rev(srv);
        }
    }
    /* A delete takes its own revision; make the deleted object's event carry it. */
    for (size_t i = 0; i < w->n; i++) {
        zk_write_item *it = &w->items[i];
        if (!it->obj && it->last) {
            json_t *doc = zk_obj_parse(it->last);
            zk_apis_set_rv(doc, ops[i].rev);
            zk_obj *o = zk_obj_from_json(doc, ops[i].rev);
            json_decref(doc);
            zk_obj_unref(it->last);
            it->last = o;
        }
    }
    zk_err err = {0};
    int rc = zk_store_submit_ex(srv->store, ops, w->n, zk__write_durable, w, &err);
    if (rc < 0) {
        /* never queued: undo the acceptance now */
        w->err = zk_xstrdup(err.msg[0] ? err.msg : "store refused the write");
        zk__write_apply(srv, w);
        if (done)
            done(srv, ctx, w->err);
        zk__write_free(w);
        return rc;
    }
    return 0;
}
