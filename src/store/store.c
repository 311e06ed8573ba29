/* zke store: the backend-independent half. Picks a backend from the URL,
 * bounds the write queue, and runs the writer thread that group-commits
 * whatever is queued and trims history between commits. */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "store/backend.h"

/* A submitter waiting for room; lives on its own stack. Waiters enqueue in
 * arrival order so revisions reach the backend in the order they were given. */
typedef struct zk_store__waiter {
    struct zk_store__waiter *next;
} zk_store__waiter;

struct zk_store {
    const zk_store__backend *bk;
    void *be;
    zk_store_options opt;          /* defaults filled in */

    pthread_mutex_t mu;            /* guards everything below */
    pthread_cond_t work_cv;        /* the writer waits here */
    pthread_cond_t room_cv;        /* submitters, compact() and close() wait here */
    pthread_t writer;

    zk_store__sub *head, *tail;    /* queued, not yet taken by the writer */
    size_t queued_ops;             /* queued or being committed */
    size_t queued_bytes;
    int64_t last_rev;              /* highest revision accepted by submit */
    zk_store__waiter *waiters, *waiters_tail;
    int closing;
    int writer_exited;
    int inside;                    /* threads blocked in submit or compact */

    uint64_t compact_req;          /* compaction requests made ... */
    uint64_t compact_done;         /* ... and answered */
    int compact_rc;
    zk_err compact_err;
    uint64_t next_compact_ms;      /* monotonic */

    zk_store__marks wmarks;        /* writer thread's copy */
    struct zk_store_stats st;      /* counters and marks published under mu */
};

static void zk_store__free_ops(zk_store_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ops[i].key);
        free(ops[i].value);
    }
    free(ops);
}

static int zk_store__resolve(zk_store_options *o, const zk_store_options *in, zk_err *err)
{
    if (in)
        *o = *in;
    else
        memset(o, 0, sizeof(*o));
    if (o->sync != ZK_STORE_SYNC_FULL && o->sync != ZK_STORE_SYNC_NORMAL)
        return zk_err_set(err, ZK_EINVAL, "sync mode %d is neither FULL (0) nor NORMAL (1)",
                          o->sync);
    if (o->history_min_revs <= 0)
        o->history_min_revs = ZK_STORE_DEFAULT_HISTORY_MIN_REVS;
    if (o->history_max_age_s == 0)
        o->history_max_age_s = ZK_STORE_DEFAULT_HISTORY_MAX_AGE_S;
    if (o->queue_max_ops == 0)
        o->queue_max_ops = ZK_STORE_DEFAULT_QUEUE_MAX_OPS;
    if (o->queue_max_bytes == 0)
        o->queue_max_bytes = ZK_STORE_DEFAULT_QUEUE_MAX_BYTES;
    if (o->submit_timeout_ms == 0)
        o->submit_timeout_ms = ZK_STORE_DEFAULT_SUBMIT_TIMEOUT_MS;
    if (o->compact_interval_ms <= 0)
        o->compact_interval_ms = ZK_STORE_DEFAULT_COMPACT_INTERVAL_MS;
    if (o->compact_step <= 0)
        o->compact_step = ZK_STORE_DEFAULT_COMPACT_STEP;
    if (o->max_db_bytes < 0)
        o->max_db_bytes = 0;
    return 0;
}

/* Split "sqlite:PATH" / "sqlite://PATH" / "PATH" into a backend and target. */
static int zk_store__pick(const char *url, const zk_store__backend **bk, const char **target,
                          zk_err *err)
{
    if (!url || !*url)
        return zk_err_set(err, ZK_EINVAL, "store: empty path; use sqlite:PATH or a file path");
    if (strncmp(url, "sqlite:", 7) == 0) {
        url += 7;
        if (strncmp(url, "//", 2) == 0)
            url += 2;
        *bk = &zk_store__sqlite;
    } else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        return zk_err_set(err, ZK_EUNSUPPORTED,
                          "store: the postgres backend is not built into this zke yet; "
                          "use sqlite:PATH");
    } else if (strstr(url, "://")) {
        return zk_err_set(err, ZK_EINVAL, "store: unknown store URL scheme in \"%s\"; "
                          "use sqlite:PATH or a file path", url);
    } else {
        *bk = &zk_store__sqlite;
    }
    if (!*url)
        return zk_err_set(err, ZK_EINVAL, "store: empty path after the scheme");
    *target = url;
    return 0;
}

static void zk_store__deadline(struct timespec *ts, uint64_t mono_ms)
{
    ts->tv_sec = (time_t)(mono_ms / 1000u);
    ts->tv_nsec = (long)(mono_ms % 1000u) * 1000000L;
}

/* Called with mu held; returns with mu held. Commits the whole queue. */
static void zk_store__writer_commit(zk_store *s)
{
    zk_store__sub *list = s->head;
    s->head = s->tail = NULL;
    size_t nops = 0, nsubs = 0, acct_bytes = 0;
    uint64_t data_bytes = 0;
    for (zk_store__sub *u = list; u; u = u->next) {
        nsubs++;
        nops += u->n;
        acct_bytes += u->bytes;
        for (size_t i = 0; i < u->n; i++)
            data_bytes += strlen(u->ops[i].key) + u->ops[i].len;
    }
    pthread_mutex_unlock(&s->mu);

    zk_err e = {0};
    double fsync_ms = 0;
    int rc = 0;
    uint64_t t0 = zk_hist_now_ns();
    if (nops > 0)
        rc = s->bk->commit(s->be, list, &s->wmarks, &fsync_ms, &e);
    double took = (double)(zk_hist_now_ns() - t0) / 1e9;
    if (rc < 0)
        zk_error("store: commit of %zu ops from %zu submits failed: %s", nops, nsubs, e.msg);
    for (zk_store__sub *u = list; u; u = u->next) {
        zk_store__free_ops(u->ops, u->n);
        u->ops = NULL;
    }

    pthread_mutex_lock(&s->mu);
    if (nops > 0) {
        s->st.batches++;
        if (rc < 0) {
            s->st.failed++;
        } else {
            s->st.commits++;
            s->st.ops += nops;
            s->st.bytes += data_bytes;
            if (nops > s->st.max_batch_ops)
                s->st.max_batch_ops = nops;
            s->st.last_fsync_ms = fsync_ms;
            zk_hist_add(&s->st.commit_hist, took);
            if (fsync_ms > s->st.max_fsync_ms)
                s->st.max_fsync_ms = fsync_ms;
            s->st.current_rev = s->wmarks.current_rev;
        }
    }
    s->queued_ops -= nops;
    s->queued_bytes -= acct_bytes;
    pthread_cond_broadcast(&s->room_cv);
    pthread_mutex_unlock(&s->mu);

    const char *msg = rc < 0 ? e.msg : NULL;
    while (list) {
        zk_store__sub *u = list;
        list = u->next;
        if (u->done)
            u->done(u->ctx, msg);
        free(u);
    }
    pthread_mutex_lock(&s->mu);
}

/* Called with mu held; returns with mu held. One compaction step. */
static void zk_store__writer_compact(zk_store *s)
{
    uint64_t target = s->compact_req;
    pthread_mutex_unlock(&s->mu);
    zk_err e = {0};
    uint64_t removed = 0;
    int more = 0;
    int rc = s->bk->compact_step(s->be, zk_wall_s(), &s->wmarks, &removed, &more, &e);
    if (rc < 0)
        zk_warn("store: history compaction failed (will retry): %s", e.msg);
    pthread_mutex_lock(&s->mu);
    s->st.compacted += removed;
    s->st.oldest_rev = s->wmarks.oldest_rev;
    if (rc == 0 && more) {
        s->next_compact_ms = 0; /* go on after the commits queued meanwhile */
        return;
    }
    s->next_compact_ms = zk_mono_ms() + (uint64_t)s->opt.compact_interval_ms;
    if (s->compact_done != target) {
        s->compact_done = target;
        s->compact_rc = rc;
        s->compact_err = e;
        pthread_cond_broadcast(&s->room_cv);
    }
}

static void *zk_store__writer_main(void *arg)
{
    zk_store *s = arg;
    int after_commit = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int due = !s->closing &&
                  (s->compact_req != s->compact_done || zk_mono_ms() >= s->next_compact_ms);
        /* Under a steady backlog the queue is never empty: when compaction
         * is due, commits and compaction steps take turns, so history stays
         * bounded and a commit waits for at most one small step. */
        if (due && (!s->head || after_commit)) {
            zk_store__writer_compact(s);
            after_commit = 0;
            continue;
        }
        if (s->head) {
            zk_store__writer_commit(s);
            after_commit = 1;
            continue;
        }
        if (s->closing)
            break;
        struct timespec ts;
        zk_store__deadline(&ts, s->next_compact_ms);
        pthread_cond_timedwait(&s->work_cv, &s->mu, &ts);
    }
    s->writer_exited = 1;
    pthread_cond_broadcast(&s->room_cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

zk_store *zk_store_open(const char *path_or_url, const zk_store_options *opt, zk_err *err)
{
    const zk_store__backend *bk = NULL;
    const char *target = NULL;
    if (zk_store__pick(path_or_url, &bk, &target, err) < 0)
        return NULL;
    zk_store *s = zk_xcalloc(1, sizeof(*s));
    s->bk = bk;
    if (zk_store__resolve(&s->opt, opt, err) < 0) {
        free(s);
        return NULL;
    }
    if (bk->open(target, &s->opt, &s->be, &s->wmarks, err) < 0) {
        zk_err_wrap(err, "store: open %s", target);
        free(s);
        return NULL;
    }
    s->last_rev = s->wmarks.current_rev;
    s->st.current_rev = s->wmarks.current_rev;
    s->st.oldest_rev = s->wmarks.oldest_rev;
    s->next_compact_ms = zk_mono_ms() + (uint64_t)s->opt.compact_interval_ms;

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work_cv, &ca);
    pthread_cond_init(&s->room_cv, &ca);
    pthread_condattr_destroy(&ca);

    /* Signals belong to the caller's event loop, not to the writer. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int prc = pthread_create(&s->writer, NULL, zk_store__writer_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc == 0)
        pthread_setname_np(s->writer, "zk-store");
    if (prc != 0) {
        zk_err_set(err, ZK_EINTERNAL, "store: start writer thread: %s", strerror(prc));
        bk->close(s->be);
        pthread_cond_destroy(&s->room_cv);
        pthread_cond_destroy(&s->work_cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    zk_info("store: opened %s:%s at revision %lld (history from %lld, sync %s)", bk->name,
            target, (long long)s->wmarks.current_rev, (long long)s->wmarks.oldest_rev,
            s->opt.sync == ZK_STORE_SYNC_FULL ? "FULL" : "NORMAL");
    return s;
}

int zk_store_load(zk_store *s, zk_store_each_fn each, void *ctx, int64_t *current_rev,
                  zk_err *err)
{
    int rc = s->bk->load(s->be, each, ctx, current_rev, err);
    if (rc < 0)
        zk_err_wrap(err, "store: load");
    return rc;
}

int zk_store_history(zk_store *s, int64_t after_rev, zk_store_event_fn fn, void *ctx,
                     int64_t *oldest_rev, zk_err *err)
{
    int rc = s->bk->history(s->be, after_rev, fn, ctx, oldest_rev, err);
    if (rc < 0)
        zk_err_wrap(err, "store: history after %lld", (long long)after_rev);
    return rc;
}

static int zk_store__fits(const zk_store *s, size_t n, size_t bytes)
{
    return s->queued_ops + n <= s->opt.queue_max_ops &&
           s->queued_bytes + bytes <= s->opt.queue_max_bytes;
}

static void zk_store__unlink_waiter(zk_store *s, zk_store__waiter *w)
{
    zk_store__waiter **pp = &s->waiters, *prev = NULL;
    while (*pp && *pp != w) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = w->next;
        if (s->waiters_tail == w)
            s->waiters_tail = prev;
    }
}

int zk_store_submit_ex(zk_store *s, zk_store_op *ops, size_t n, zk_store_done_fn done,
                       void *ctx, zk_err *err)
{
    size_t bytes = sizeof(zk_store__sub);
    int invalid = 0;
    for (size_t i = 0; i < n && !invalid; i++) {
        if (!ops[i].key || !ops[i].key[0]) {
            invalid = zk_err_set(err, ZK_EINVAL, "store: submit: op %zu has no key", i);
        } else if (i > 0 && ops[i].rev <= ops[i - 1].rev) {
            invalid = zk_err_set(err, ZK_EINVAL, "store: submit: op %zu has revision %lld, "
                                 "not above %lld before it", i, (long long)ops[i].rev,
                                 (long long)ops[i - 1].rev);
        } else {
            if (!ops[i].value)
                ops[i].len = 0;
            size_t klen = strlen(ops[i].key);
            /* Refused here, it cannot fail the other submits of its batch. */
            if (klen + ops[i].len > s->bk->max_entry)
                invalid = zk_err_set(err, ZK_ETOOBIG, "store: submit: op %zu is %zu bytes, "
                                     "more than the %s backend stores in one entry (%zu)", i,
                                     klen + ops[i].len, s->bk->name, s->bk->max_entry);
            bytes += sizeof(zk_store_op) + klen + 1 + ops[i].len + 1;
        }
    }

    pthread_mutex_lock(&s->mu);
    int rc = 0;
    if (s->closing) {
        rc = zk_err_set(err, ZK_EIO, "store: submit: the store is closed");
        goto refuse;
    }
    if (invalid) {
        rc = invalid;
        goto refuse;
    }
    if (n > 0 && ops[0].rev <= s->last_rev) {
        rc = zk_err_set(err, ZK_EINVAL, "store: submit: revision %lld is not above the last "
                        "submitted revision %lld", (long long)ops[0].rev,
                        (long long)s->last_rev);
        goto refuse;
    }
    if (n > s->opt.queue_max_ops || bytes > s->opt.queue_max_bytes) {
        rc = zk_err_set(err, ZK_ETOOBIG, "store: submit of %zu ops, %zu bytes is larger than "
                        "the whole write queue (%zu ops, %zu bytes)", n, bytes,
                        s->opt.queue_max_ops, s->opt.queue_max_bytes);
        goto refuse;
    }
    /* The revisions are taken even if the submit ends up refused below. */
    if (n > 0)
        s->last_rev = ops[n - 1].rev;

    if (s->waiters || !zk_store__fits(s, n, bytes)) {
        /* A done callback runs on the writer: waiting there would wait for ourselves. */
        if (s->opt.submit_timeout_ms < 0 || pthread_equal(pthread_self(), s->writer)) {
            rc = zk_err_set(err, ZK_ETOOBIG, "store: write queue full (%zu ops, %zu bytes "
                            "pending; bound %zu ops, %zu bytes)", s->queued_ops,
                            s->queued_bytes, s->opt.queue_max_ops, s->opt.queue_max_bytes);
            goto refuse;
        }
        zk_store__waiter w = {NULL};
        if (s->waiters_tail)
            s->waiters_tail->next = &w;
        else
            s->waiters = &w;
        s->waiters_tail = &w;
        s->inside++;
        struct timespec ts;
        zk_store__deadline(&ts, zk_mono_ms() + (uint64_t)s->opt.submit_timeout_ms);
        int timed_out = 0;
        while (!s->closing && !(s->waiters == &w && zk_store__fits(s, n, bytes))) {
            if (timed_out)
                break;
            timed_out = pthread_cond_timedwait(&s->room_cv, &s->mu, &ts) == ETIMEDOUT;
        }
        int ok = !s->closing && s->waiters == &w && zk_store__fits(s, n, bytes);
        zk_store__unlink_waiter(s, &w);
        s->inside--;
        pthread_cond_broadcast(&s->room_cv);
        if (s->closing) {
            rc = zk_err_set(err, ZK_EIO, "store: submit: the store was closed while waiting "
                            "for room in the write queue");
            goto refuse;
        }
        if (!ok) {
            rc = zk_err_set(err, ZK_ETOOBIG, "store: write queue stayed full for %d ms "
                            "(%zu ops, %zu bytes pending; bound %zu ops, %zu bytes): the "
                            "database is not keeping up with the write rate",
                            s->opt.submit_timeout_ms, s->queued_ops, s->queued_bytes,
                            s->opt.queue_max_ops, s->opt.queue_max_bytes);
            goto refuse;
        }
        s->st.waited++;
    }

    zk_store__sub *u = zk_xcalloc(1, sizeof(*u));
    u->ops = ops;
    u->n = n;
    u->bytes = bytes;
    u->done = done;
    u->ctx = ctx;
    if (s->tail)
        s->tail->next = u;
    else
        s->head = u;
    s->tail = u;
    s->queued_ops += n;
    s->queued_bytes += bytes;
    s->st.submits++;
    pthread_cond_signal(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    return 0;

refuse:
    s->st.rejected++;
    pthread_mutex_unlock(&s->mu);
    zk_store__free_ops(ops, n);
    return rc;
}

int zk_store_submit(zk_store *s, zk_store_op *ops, size_t n, zk_store_done_fn done, void *ctx)
{
    zk_err e = {0};
    int rc = zk_store_submit_ex(s, ops, n, done, ctx, &e);
    if (rc < 0)
        zk_warn("%s", e.msg);
    return rc;
}

int zk_store_compact(zk_store *s, zk_err *err)
{
    if (pthread_equal(pthread_self(), s->writer))
        return zk_err_set(err, ZK_EINVAL, "store: compact called from a done callback");
    pthread_mutex_lock(&s->mu);
    if (s->closing) {
        pthread_mutex_unlock(&s->mu);
        return zk_err_set(err, ZK_EIO, "store: compact: the store is closed");
    }
    uint64_t mine = ++s->compact_req;
    s->inside++;
    pthread_cond_signal(&s->work_cv);
    while (s->compact_done < mine && !s->writer_exited)
        pthread_cond_wait(&s->room_cv, &s->mu);
    int rc;
    if (s->compact_done < mine) {
        rc = zk_err_set(err, ZK_EIO, "store: compact: the store was closed");
    } else {
        rc = s->compact_rc;
        if (rc < 0 && err)
            *err = s->compact_err;
    }
    s->inside--;
    pthread_cond_broadcast(&s->room_cv);
    pthread_mutex_unlock(&s->mu);
    if (rc < 0)
        zk_err_wrap(err, "store: compact");
    return rc;
}

void zk_store_close(zk_store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->closing = 1;
    pthread_cond_broadcast(&s->work_cv);
    pthread_cond_broadcast(&s->room_cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL);
    pthread_mutex_lock(&s->mu);
    while (s->inside > 0)
        pthread_cond_wait(&s->room_cv, &s->mu);
    pthread_mutex_unlock(&s->mu);

    zk_info("store: closed at revision %lld after %llu commits",
            (long long)s->wmarks.current_rev, (unsigned long long)s->st.commits);
    s->bk->close(s->be);
    pthread_cond_destroy(&s->room_cv);
    pthread_cond_destroy(&s->work_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void zk_store_stats(zk_store *s, struct zk_store_stats *st)
{
    pthread_mutex_lock(&s->mu);
    *st = s->st;
    st->queued_ops = s->queued_ops;
    st->queued_bytes = s->queued_bytes;
    pthread_mutex_unlock(&s->mu);
}
