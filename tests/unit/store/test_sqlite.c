/* Unit tests for the store module on real SQLite, in a temp dir under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "store/sqlite_vfs.h"
#include "store/store.h"

/* ---- helpers ---------------------------------------------------------- */

typedef struct tdir {
    char dir[64];
    char db[128];
} tdir;

static void tdir_make(tdir *t)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/zk-store-test-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->db, sizeof(t->db), "%s/state.db", t->dir);
}

static void tdir_remove(tdir *t)
{
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(t->dir);
}

/* Every test gets a fresh temp dir, removed by the teardown even when the
 * test fails. */
static int tdir_setup(void **state)
{
    tdir *t = zk_xcalloc(1, sizeof(*t));
    tdir_make(t);
    *state = t;
    return 0;
}

static int tdir_teardown(void **state)
{
    tdir_remove(*state);
    free(*state);
    return 0;
}

static zk_store *open_or_fail(const char *path, const zk_store_options *opt)
{
    zk_err e = {0};
    zk_store *s = zk_store_open(path, opt, &e);
    if (!s)
        fail_msg("open %s: %s", path, e.msg);
    return s;
}

/* One submit's completion, waited on by the submitter. */
typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    char err[512];
} waiter;

static void waiter_init(waiter *w)
{
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->calls = 0;
    w->err[0] = '\0';
}

static void waiter_destroy(waiter *w)
{
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static void waiter_done(void *ctx, const char *err)
{
    waiter *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->calls++;
    snprintf(w->err, sizeof(w->err), "%s", err ? err : "");
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void waiter_wait(waiter *w, int calls)
{
    pthread_mutex_lock(&w->mu);
    while (w->calls < calls)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static zk_store_op *one_op(const char *key, const char *value, int64_t rev)
{
    zk_store_op *op = zk_xcalloc(1, sizeof(*op));
    op->key = zk_xstrdup(key);
    op->value = value ? zk_xstrdup(value) : NULL;
    op->len = value ? strlen(value) : 0;
    op->rev = rev;
    return op;
}

/* Submit one op and wait until it is durable; returns the done error ("" = ok). */
static void put_sync(zk_store *s, const char *key, const char *value, int64_t rev, char *errout,
                     size_t errlen)
{
    waiter w;
    waiter_init(&w);
    zk_err e = {0};
    int rc = zk_store_submit_ex(s, one_op(key, value, rev), 1, waiter_done, &w, &e);
    if (rc < 0)
        fail_msg("submit %s@%" PRId64 ": %s", key, rev, e.msg);
    waiter_wait(&w, 1);
    assert_int_equal(w.calls, 1);
    snprintf(errout, errlen, "%s", w.err);
    waiter_destroy(&w);
}

static void put_ok(zk_store *s, const char *key, const char *value, int64_t rev)
{
    char err[512];
    put_sync(s, key, value, rev, err, sizeof(err));
    if (err[0])
        fail_msg("write %s@%" PRId64 " failed: %s", key, rev, err);
}

/* A loaded copy of the current objects. */
typedef struct kvrow {
    char *key;
    char *value;
    int64_t mod_rev;
} kvrow;

typedef struct kvset {
    kvrow *rows;
    size_t n, cap;
} kvset;

static int kvset_add(void *ctx, const char *key, const char *value, size_t len, int64_t mod_rev)
{
    kvset *k = ctx;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 64;
        k->rows = zk_xrealloc(k->rows, k->cap * sizeof(*k->rows));
    }
    assert_int_equal(strlen(value), len);
    k->rows[k->n].key = zk_xstrdup(key);
    k->rows[k->n].value = zk_xstrndup(value, len);
    k->rows[k->n].mod_rev = mod_rev;
    k->n++;
    return 0;
}

static void kvset_free(kvset *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->rows[i].key);
        free(k->rows[i].value);
    }
    free(k->rows);
    memset(k, 0, sizeof(*k));
}

static const kvrow *kvset_find(const kvset *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->rows[i].key, key) == 0)
            return &k->rows[i];
    return NULL;
}

static int64_t load_into(zk_store *s, kvset *k)
{
    zk_err e = {0};
    int64_t rev = -1;
    if (zk_store_load(s, kvset_add, k, &rev, &e) != 0)
        fail_msg("load: %s", e.msg);
    return rev;
}

/* A copy of history events. */
typedef struct event {
    int64_t rev;
    char *key;
    char *value; /* NULL = delete */
} event;

typedef struct evlist {
    event *ev;
    size_t n, cap;
} evlist;

static int evlist_add(void *ctx, int64_t rev, const char *key, const char *value, size_t len)
{
    evlist *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->ev = zk_xrealloc(l->ev, l->cap * sizeof(*l->ev));
    }
    l->ev[l->n].rev = rev;
    l->ev[l->n].key = zk_xstrdup(key);
    l->ev[l->n].value = value ? zk_xstrndup(value, len) : NULL;
    l->n++;
    return 0;
}

static void evlist_free(evlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->ev[i].key);
        free(l->ev[i].value);
    }
    free(l->ev);
    memset(l, 0, sizeof(*l));
}

static int64_t history_into(zk_store *s, int64_t after, evlist *l)
{
    zk_err e = {0};
    int64_t oldest = -1;
    if (zk_store_history(s, after, evlist_add, l, &oldest, &e) != 0)
        fail_msg("history: %s", e.msg);
    return oldest;
}

/* ---- put, overwrite, delete, restart ----------------------------------- */

static void test_put_overwrite_delete_restart(void **state)
{
    tdir t = *(tdir *)*state;
    zk_store *s = open_or_fail(t.db, NULL);
    kvset k = {0};
    assert_int_equal(load_into(s, &k), 0);
    assert_int_equal(k.n, 0);

    put_ok(s, "/registry/pods/default/a", "{\"v\":1}", 1);
    put_ok(s, "/registry/pods/default/b", "{\"v\":2}", 2);
    put_ok(s, "/registry/pods/default/a", "{\"v\":3}", 3);
    put_ok(s, "/registry/pods/default/b", NULL, 4);
    put_ok(s, "/registry/pods/default/c", "{\"v\":5}", 5);

    assert_int_equal(load_into(s, &k), 5);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.rows[0].key, "/registry/pods/default/a");
    assert_string_equal(k.rows[0].value, "{\"v\":3}");
    assert_int_equal(k.rows[0].mod_rev, 3);
    assert_string_equal(k.rows[1].key, "/registry/pods/default/c");
    assert_string_equal(k.rows[1].value, "{\"v\":5}");
    assert_int_equal(k.rows[1].mod_rev, 5);
    kvset_free(&k);
    zk_store_close(s);

    /* Restart: same set, same revision; then delete everything. */
    s = open_or_fail(t.db, NULL);
    assert_int_equal(load_into(s, &k), 5);
    assert_int_equal(k.n, 2);
    kvset_free(&k);
    put_ok(s, "/registry/pods/default/a", NULL, 6);
    put_ok(s, "/registry/pods/default/c", NULL, 7);
    zk_store_close(s);

    /* The revision survives even when no object is left. */
    char url[256];
    snprintf(url, sizeof(url), "sqlite:%s", t.db);
    s = open_or_fail(url, NULL);
    assert_int_equal(load_into(s, &k), 7);
    assert_int_equal(k.n, 0);
    struct zk_store_stats st;
    zk_store_stats(s, &st);
    assert_int_equal(st.current_rev, 7);

    /* Revisions must keep increasing across the restart. */
    zk_err e = {0};
    assert_int_equal(zk_store_submit_ex(s, one_op("/x", "{}", 7), 1, NULL, NULL, &e), -ZK_EINVAL);
    assert_non_null(strstr(e.msg, "not above"));
    put_ok(s, "/registry/pods/default/a", "{\"v\":8}", 8);
    assert_int_equal(load_into(s, &k), 8);
    assert_int_equal(k.n, 1);
    kvset_free(&k);
    zk_store_close(s);
}

/* ---- open and submit errors ------------------------------------------- */

static int stop_after_one(void *ctx, const char *key, const char *value, size_t len, int64_t rev)
{
    (*(int *)ctx)++;
    return 7;
}

static void test_open_and_submit_errors(void **state)
{
    tdir t = *(tdir *)*state;
    zk_err e = {0};
    assert_null(zk_store_open("postgres://db/zke", NULL, &e));
    assert_int_equal(e.code, ZK_EUNSUPPORTED);
    assert_null(zk_store_open("etcd://x", NULL, &e));
    assert_int_equal(e.code, ZK_EINVAL);
    assert_null(zk_store_open("sqlite:", NULL, &e));
    assert_int_equal(e.code, ZK_EINVAL);
    zk_store_options bad = {.sync = 9};
    assert_null(zk_store_open(t.db, &bad, &e));
    assert_int_equal(e.code, ZK_EINVAL);

    zk_store *s = open_or_fail(t.db, NULL);
    /* A second opener, even in this process, is refused. */
    assert_null(zk_store_open(t.db, NULL, &e));
    assert_int_equal(e.code, ZK_EEXIST);
    assert_non_null(strstr(e.msg, "in use"));

    zk_store_op *ops = zk_xcalloc(2, sizeof(*ops));
    ops[0].key = zk_xstrdup("/a");
    ops[0].value = zk_xstrdup("{}");
    ops[0].len = 2;
    ops[0].rev = 5;
    ops[1].key = zk_xstrdup("/b");
    ops[1].rev = 5; /* not increasing */
    assert_int_equal(zk_store_submit_ex(s, ops, 2, NULL, NULL, &e), -ZK_EINVAL);
    ops = zk_xcalloc(1, sizeof(*ops));
    ops[0].rev = 6; /* no key */
    assert_int_equal(zk_store_submit_ex(s, ops, 1, NULL, NULL, &e), -ZK_EINVAL);

    /* An empty submit is a barrier: done runs once earlier writes are durable. */
    waiter w;
    waiter_init(&w);
    assert_int_equal(zk_store_submit(s, one_op("/a", "{}", 1), 1, NULL, NULL), 0);
    assert_int_equal(zk_store_submit(s, NULL, 0, waiter_done, &w), 0);
    waiter_wait(&w, 1);
    assert_string_equal(w.err, "");
    waiter_destroy(&w);
    kvset k = {0};
    assert_int_equal(load_into(s, &k), 1);
    kvset_free(&k);

    /* A callback's non-zero return stops the walk and is returned. */
    put_ok(s, "/b", "{}", 2);
    int calls = 0;
    int64_t rev = 0;
    assert_int_equal(zk_store_load(s, stop_after_one, &calls, &rev, &e), 7);
    assert_int_equal(calls, 1);

    struct zk_store_stats st;
    zk_store_stats(s, &st);
    assert_int_equal(st.rejected, 2);
    zk_store_close(s);
    zk_store_close(NULL);
}

/* ---- group commit ------------------------------------------------------ */

#define GC_THREADS 8
#define GC_PER_THREAD 150

typedef struct gc_shared {
    zk_store *s;
    pthread_mutex_t rev_mu; /* assigning a revision and submitting are one step */
    int64_t next_rev;
    atomic_int calls[4096];
    size_t value_len;
    atomic_int failures;
} gc_shared;

typedef struct gc_call {
    gc_shared *sh;
    int idx;
    waiter *w;
} gc_call;

static void gc_done(void *ctx, const char *err)
{
    gc_call *c = ctx;
    atomic_fetch_add(&c->sh->calls[c->idx], 1);
    if (err)
        atomic_fetch_add(&c->sh->failures, 1);
    waiter_done(c->w, err);
}

typedef struct gc_thread {
    gc_shared *sh;
    int id;
    int per;
} gc_thread;

static void *gc_worker(void *arg)
{
    gc_thread *th = arg;
    gc_shared *sh = th->sh;
    waiter w;
    waiter_init(&w);
    char *pad = zk_xmalloc(sh->value_len + 1);
    memset(pad, 'x', sh->value_len);
    pad[sh->value_len] = '\0';
    for (int i = 0; i < th->per; i++) {
        gc_call c = {sh, th->id * th->per + i, &w};
        char key[64];
        snprintf(key, sizeof(key), "/registry/configmaps/t%d/cm-%d", th->id, i);
        pthread_mutex_lock(&sh->rev_mu);
        int64_t rev = ++sh->next_rev;
        int rc = zk_store_submit(sh->s, one_op(key, pad, rev), 1, gc_done, &c);
        pthread_mutex_unlock(&sh->rev_mu);
        /* cmocka asserts belong to the main thread: count, check there */
        if (rc != 0) {
            atomic_fetch_add(&sh->failures, 1);
            break;
        }
        waiter_wait(&w, i + 1);
    }
    free(pad);
    waiter_destroy(&w);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* nthreads concurrent submitters, each waiting for its write like a client. */
static void run_submitters(zk_store *s, gc_shared *sh, int nthreads, int per)
{
    pthread_t tids[64];
    gc_thread th[64];
    assert_true(nthreads <= 64 && (size_t)nthreads * (size_t)per <= ZK_ARRAY_LEN(sh->calls));
    for (int i = 0; i < nthreads; i++) {
        th[i] = (gc_thread){sh, i, per};
        assert_int_equal(pthread_create(&tids[i], NULL, gc_worker, &th[i]), 0);
    }
    for (int i = 0; i < nthreads; i++)
        pthread_join(tids[i], NULL);
}

static void test_group_commit(void **state)
{
    tdir t = *(tdir *)*state;
    zk_store *s = open_or_fail(t.db, NULL);
    gc_shared *sh = zk_xcalloc(1, sizeof(*sh));
    sh->s = s;
    sh->value_len = 200;
    pthread_mutex_init(&sh->rev_mu, NULL);
    run_submitters(s, sh, GC_THREADS, GC_PER_THREAD);

    int total = GC_THREADS * GC_PER_THREAD;
    for (int i = 0; i < total; i++)
        assert_int_equal(atomic_load(&sh->calls[i]), 1);
    assert_int_equal(atomic_load(&sh->failures), 0);
    struct zk_store_stats st;
    zk_store_stats(s, &st);
    assert_int_equal(st.submits, (uint64_t)total);
    assert_int_equal(st.ops, (uint64_t)total);
    assert_int_equal(st.commits, st.batches);
    assert_true(st.batches < (uint64_t)total);
    assert_true(st.max_batch_ops > 1);
    assert_int_equal(st.current_rev, total);
    assert_int_equal(st.queued_ops, 0);
    print_message("group commit: %d submits from %d threads in %" PRIu64 " batches "
                  "(largest %" PRIu64 " ops)\n", total, GC_THREADS, st.batches,
                  st.max_batch_ops);

    /* Fire-and-forget submits: close commits them all and calls every done. */
    waiter w;
    waiter_init(&w);
    for (int i = 0; i < 500; i++) {
        char key[32];
        snprintf(key, sizeof(key), "/async/%d", i);
        assert_int_equal(zk_store_submit(s, one_op(key, "{}", total + 1 + i), 1, waiter_done, &w),
                         0);
    }
    zk_store_close(s);
    assert_int_equal(w.calls, 500);
    waiter_destroy(&w);

    s = open_or_fail(t.db, NULL);
    kvset k = {0};
    assert_int_equal(load_into(s, &k), total + 500);
    assert_int_equal(k.n, (size_t)total + 500);
    kvset_free(&k);
    zk_store_close(s);
    pthread_mutex_destroy(&sh->rev_mu);
    free(sh);
}

/* ---- history and compaction ------------------------------------------- */

static void write_history_ops(zk_store *s, int64_t first, int count)
{
    waiter w;
    waiter_init(&w);
    for (int i = 0; i < count; i++) {
        int64_t rev = first + i;
        char key[32], val[64];
        snprintf(key, sizeof(key), "/h/%" PRId64, rev % 10);
        snprintf(val, sizeof(val), "{\"rev\":%" PRId64 "}", rev);
        /* every 7th op deletes */
        assert_int_equal(zk_store_submit(s, one_op(key, rev % 7 == 0 ? NULL : val, rev), 1,
                                         waiter_done, &w), 0);
    }
    waiter_wait(&w, count);
    assert_string_equal(w.err, "");
    waiter_destroy(&w);
}

static void check_event(const event *ev, int64_t rev)
{
    char key[32], val[64];
    snprintf(key, sizeof(key), "/h/%" PRId64, rev % 10);
    snprintf(val, sizeof(val), "{\"rev\":%" PRId64 "}", rev);
    assert_int_equal(ev->rev, rev);
    assert_string_equal(ev->key, key);
    if (rev % 7 == 0)
        assert_null(ev->value);
    else
        assert_string_equal(ev->value, val);
}

static void test_history_and_compaction(void **state)
{
    tdir t = *(tdir *)*state;
    zk_store_options opt = {
        .history_min_revs = 10,
        .history_max_age_s = -1,         /* age keeps nothing beyond the last 10 */
        .compact_interval_ms = 3600000,  /* only explicit compaction here */
        .compact_step = 7,               /* several steps per compaction */
    };
    zk_store *s = open_or_fail(t.db, &opt);
    write_history_ops(s, 1, 100);

    evlist l = {0};
    assert_int_equal(history_into(s, 0, &l), 1);
    assert_int_equal(l.n, 100);
    for (size_t i = 0; i < l.n; i++)
        check_event(&l.ev[i], (int64_t)i + 1);
    evlist_free(&l);
    assert_int_equal(history_into(s, 60, &l), 1);
    assert_int_equal(l.n, 40);
    check_event(&l.ev[0], 61);
    evlist_free(&l);

    zk_err e = {0};
    if (zk_store_compact(s, &e) < 0)
        fail_msg("compact: %s", e.msg);
    assert_int_equal(history_into(s, 0, &l), 91);
    assert_int_equal(l.n, 10);
    for (size_t i = 0; i < l.n; i++)
        check_event(&l.ev[i], 91 + (int64_t)i);
    evlist_free(&l);
    struct zk_store_stats st;
    zk_store_stats(s, &st);
    assert_int_equal(st.oldest_rev, 91);
    assert_int_equal(st.compacted, 90);

    /* More writes move the window; the current objects are untouched. */
    write_history_ops(s, 101, 25);
    assert_int_equal(zk_store_compact(s, &e), 0);
    assert_int_equal(history_into(s, 115, &l), 116);
    assert_int_equal(l.n, 10);
    evlist_free(&l);
    kvset k = {0};
    assert_int_equal(load_into(s, &k), 125);
    /* revs 116..125 last wrote keys /h/6../h/5; 119 (a multiple of 7) deleted /h/9 */
    assert_int_equal(k.n, 9);
    assert_null(kvset_find(&k, "/h/9"));
    kvset_free(&k);
    zk_store_close(s);

    /* The window and oldest revision survive a restart. */
    s = open_or_fail(t.db, &opt);
    assert_int_equal(history_into(s, 0, &l), 116);
    assert_int_equal(l.n, 10);
    check_event(&l.ev[0], 116);
    evlist_free(&l);
    zk_store_close(s);

    /* With an age window, young events outside the last N are kept. */
    opt.history_max_age_s = 3600;
    s = open_or_fail(t.db, &opt);
    write_history_ops(s, 126, 50);
    assert_int_equal(zk_store_compact(s, &e), 0);
    assert_int_equal(history_into(s, 0, &l), 116);
    assert_int_equal(l.n, 60);
    evlist_free(&l);
    zk_store_close(s);

    /* The writer also compacts on its own, every compact_interval_ms. */
    opt.history_max_age_s = -1;
    opt.compact_interval_ms = 20;
    opt.compact_step = 0;
    s = open_or_fail(t.db, &opt);
    for (int i = 0; i < 500; i++) {
        zk_store_stats(s, &st);
        if (st.oldest_rev == 166)
            break;
        usleep(10000);
    }
    assert_int_equal(st.oldest_rev, 166);
    zk_store_close(s);
}

/* A submitter that never lets the queue run empty. */
typedef struct busy {
    zk_store *s;
    int64_t first;
    int count;
    atomic_int stop;
    atomic_int running;
    atomic_int failures;
} busy;

static void busy_done(void *ctx, const char *err)
{
    if (err)
        atomic_fetch_add(&((busy *)ctx)->failures, 1);
}

static void *busy_main(void *arg)
{
    busy *b = arg;
    for (int i = 0; i < b->count && !atomic_load(&b->stop); i++) {
        char key[32];
        snprintf(key, sizeof(key), "/busy/%d", i % 50);
        if (zk_store_submit(b->s, one_op(key, "{\"busy\":true}", b->first + i), 1, busy_done,
                            b) < 0)
            atomic_fetch_add(&b->failures, 1);
    }
    atomic_store(&b->running, 0);
    return NULL;
}

static void test_compaction_under_load(void **state)
{
    tdir t = *(tdir *)*state;
    zk_store_options opt = {
        .history_min_revs = 100,
        .history_max_age_s = -1,
        .compact_interval_ms = 10,
        .compact_step = 50,
        .queue_max_ops = 500, /* the submitter always has a backlog waiting */
    };
    zk_store *s = open_or_fail(t.db, &opt);
    busy b = {.s = s, .first = 1, .count = 5000000, .running = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, busy_main, &b), 0);
    struct zk_store_stats st = {0};
    uint64_t seen = 0;
    /* Only compaction seen while the backlog lasts counts. */
    for (int i = 0; i < 2000 && seen < 2000; i++) {
        usleep(5000);
        zk_store_stats(s, &st);
        if (!atomic_load(&b.running))
            break;
        seen = st.compacted;
    }
    atomic_store(&b.stop, 1);
    pthread_join(th, NULL);
    print_message("under load: %" PRIu64 " history events compacted while %" PRIu64
                  " ops were committed\n", seen, st.ops);
    assert_true(seen >= 2000);
    /* Commits and steps take turns: at most one 500-op batch per 50-row step,
     * read from one snapshot, so this holds at any speed. Starved compaction
     * only runs when the queue happens to be empty and falls far behind. */
    assert_true(st.ops <= 12 * st.compacted + 5000);
    assert_int_equal(atomic_load(&b.failures), 0);
    zk_store_close(s);
}

/* ---- database failure -------------------------------------------------- */

static void test_db_failure_then_retry(void **state)
{
    tdir t = *(tdir *)*state;
    zk_store_options opt = {.max_db_bytes = 256 << 10};
    zk_store *s = open_or_fail(t.db, &opt);
    put_ok(s, "/small/1", "{\"a\":1}", 1);

    size_t big = 1 << 20;
    char *value = zk_xmalloc(big + 1);
    memset(value, 'y', big);
    value[big] = '\0';
    char err[512];
    put_sync(s, "/big", value, 2, err, sizeof(err));
    free(value);
    assert_non_null(strstr(err, "full"));

    /* The failed batch is gone; later submits go through. */
    put_ok(s, "/small/2", "{\"a\":2}", 3);
    struct zk_store_stats st;
    zk_store_stats(s, &st);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.commits, 2);
    kvset k = {0};
    assert_int_equal(load_into(s, &k), 3);
    assert_int_equal(k.n, 2);
    assert_null(kvset_find(&k, "/big"));
    kvset_free(&k);
    evlist l = {0};
    history_into(s, 0, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.ev[1].rev, 3);
    evlist_free(&l);
    zk_store_close(s);
}

/* ---- queue bound ------------------------------------------------------- */

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered;
    int open;
} gate;

/* A done callback that holds the writer until the gate opens. */
static void gate_done(void *ctx, const char *err)
{
    gate *g = ctx;
    pthread_mutex_lock(&g->mu);
    g->entered = 1;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void gate_wait_entered(gate *g)
{
    pthread_mutex_lock(&g->mu);
    while (!g->entered)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void *gate_open_later(void *arg)
{
    usleep(50000);
    gate_open(arg);
    return NULL;
}

static zk_store_op *two_ops(const char *k1, const char *k2, int64_t rev)
{
    zk_store_op *ops = zk_xcalloc(2, sizeof(*ops));
    ops[0].key = zk_xstrdup(k1);
    ops[0].value = zk_xstrdup("{}");
    ops[0].len = 2;
    ops[0].rev = rev;
    ops[1].key = zk_xstrdup(k2);
    ops[1].rev = rev + 1;
    return ops;
}

static void test_queue_bound(void **state)
{
    tdir t = *(tdir *)*state;
    zk_store_options opt = {.queue_max_ops = 4, .submit_timeout_ms = 300};
    zk_store *s = open_or_fail(t.db, &opt);
    zk_err e = {0};

    /* A submit bigger than the whole queue fails at once. */
    zk_store_op *five = zk_xcalloc(5, sizeof(*five));
    for (int i = 0; i < 5; i++) {
        five[i].key = zk_xasprintf("/five/%d", i);
        five[i].rev = i + 1;
    }
    assert_int_equal(zk_store_submit_ex(s, five, 5, NULL, NULL, &e), -ZK_ETOOBIG);
    assert_non_null(strstr(e.msg, "larger than the whole write queue"));

    /* Hold the writer inside a done callback; the queue then fills up. */
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    assert_int_equal(zk_store_submit(s, one_op("/q/a", "{}", 10), 1, gate_done, &g), 0);
    gate_wait_entered(&g);
    waiter w;
    waiter_init(&w);
    assert_int_equal(zk_store_submit(s, two_ops("/q/b", "/q/c", 11), 2, waiter_done, &w), 0);
    assert_int_equal(zk_store_submit(s, two_ops("/q/d", "/q/e", 13), 2, waiter_done, &w), 0);
    assert_int_equal(zk_store_submit_ex(s, one_op("/q/f", "{}", 15), 1, waiter_done, &w, &e),
                     -ZK_ETOOBIG);
    assert_non_null(strstr(e.msg, "write queue stayed full for 300 ms"));
    struct zk_store_stats st;
    zk_store_stats(s, &st);
    assert_int_equal(st.queued_ops, 4);
    assert_int_equal(st.rejected, 2);

    /* Room appears while a submit waits: it goes through. */
    pthread_t opener;
    assert_int_equal(pthread_create(&opener, NULL, gate_open_later, &g), 0);
    assert_int_equal(zk_store_submit_ex(s, one_op("/q/g", "{}", 16), 1, waiter_done, &w, &e), 0);
    pthread_join(opener, NULL);
    waiter_wait(&w, 3);
    assert_int_equal(w.calls, 3);
    assert_string_equal(w.err, "");
    zk_store_stats(s, &st);
    assert_int_equal(st.waited, 1);
    assert_int_equal(st.submits, 4);
    waiter_destroy(&w);

    kvset k = {0};
    assert_int_equal(load_into(s, &k), 16);
    assert_int_equal(k.n, 4); /* a, b, d, g; c and e were deletes */
    assert_null(kvset_find(&k, "/q/f"));
    kvset_free(&k);
    zk_store_close(s);

    /* A byte bound, and a store that never waits. */
    zk_store_options nowait = {.queue_max_bytes = 4096, .submit_timeout_ms = -1};
    s = open_or_fail(t.db, &nowait);
    char *big = zk_xmalloc(8193);
    memset(big, 'z', 8192);
    big[8192] = '\0';
    assert_int_equal(zk_store_submit_ex(s, one_op("/big", big, 17), 1, NULL, NULL, &e),
                     -ZK_ETOOBIG);
    free(big);
    gate g2 = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    assert_int_equal(zk_store_submit(s, one_op("/n/a", "{}", 18), 1, gate_done, &g2), 0);
    gate_wait_entered(&g2);
    char *mid = zk_xmalloc(3001);
    memset(mid, 'm', 3000);
    mid[3000] = '\0';
    assert_int_equal(zk_store_submit(s, one_op("/n/b", mid, 19), 1, NULL, NULL), 0);
    assert_int_equal(zk_store_submit_ex(s, one_op("/n/c", mid, 20), 1, NULL, NULL, &e),
                     -ZK_ETOOBIG);
    assert_non_null(strstr(e.msg, "write queue full"));
    free(mid);
    gate_open(&g2);
    zk_store_close(s);
}

/* ---- durability under kill -9 ------------------------------------------ */

/* The child's writes are a pure function of the revision, so the parent can
 * recompute the exact state any prefix of revisions leaves behind. */
#define KILL_KEYS 97

static void kill_key(int64_t rev, char *out, size_t len)
{
    snprintf(out, len, "/registry/secrets/kill/k%" PRId64, rev % KILL_KEYS);
}

static int kill_is_delete(int64_t rev)
{
    return rev % 5 == 0;
}

static char *kill_value(int64_t rev)
{
    size_t pad = (size_t)((rev * 7919) % 3000);
    char *pads = zk_xmalloc(pad + 1);
    memset(pads, 'a' + (int)(rev % 26), pad);
    pads[pad] = '\0';
    char *v = zk_xasprintf("{\"rev\":%" PRId64 ",\"pad\":\"%s\"}", rev, pads);
    free(pads);
    return v;
}

typedef struct kill_ack {
    int fd;
    int64_t first;
    size_t n;
} kill_ack;

static void kill_done(void *ctx, const char *err)
{
    kill_ack *a = ctx;
    if (!err) {
        int64_t revs[8];
        for (size_t i = 0; i < a->n; i++)
            revs[i] = a->first + (int64_t)i;
        /* One write below PIPE_BUF: all of it or none. */
        if (write(a->fd, revs, a->n * sizeof(int64_t)) < 0)
            _exit(3);
    }
    free(a);
}

static int count_only(void *ctx, const char *key, const char *value, size_t len, int64_t rev)
{
    return 0;
}

static void kill_child(const char *db, int fd)
{
    zk_log_set_level(ZK_LOG_ERROR);
    zk_store_options opt = {.queue_max_ops = 1000};
    zk_err e = {0};
    zk_store *s = zk_store_open(db, &opt, &e);
    if (!s)
        _exit(2);
    int64_t rev = 0;
    if (zk_store_load(s, count_only, NULL, &rev, &e) != 0)
        _exit(2);
    unsigned seed = (unsigned)getpid();
    for (;;) {
        size_t n = 1 + (size_t)(rand_r(&seed) % 3);
        zk_store_op *ops = zk_xcalloc(n, sizeof(*ops));
        kill_ack *a = zk_xcalloc(1, sizeof(*a));
        a->fd = fd;
        a->first = rev + 1;
        a->n = n;
        for (size_t i = 0; i < n; i++) {
            int64_t r = ++rev;
            char key[64];
            kill_key(r, key, sizeof(key));
            ops[i].key = zk_xstrdup(key);
            ops[i].rev = r;
            if (!kill_is_delete(r)) {
                ops[i].value = kill_value(r);
                ops[i].len = strlen(ops[i].value);
            }
        }
        if (zk_store_submit(s, ops, n, kill_done, a) < 0)
            _exit(4);
    }
}

/* Verify the reopened store holds exactly the effect of revisions 1..R and
 * that every acknowledged revision is within them. */
static int64_t kill_verify(const char *db, int64_t max_acked)
{
    zk_store *s = open_or_fail(db, NULL);
    kvset k = {0};
    int64_t R = load_into(s, &k);
    assert_true(R >= max_acked);

    int64_t last[KILL_KEYS];
    for (int i = 0; i < KILL_KEYS; i++)
        last[i] = 0;
    for (int64_t r = 1; r <= R; r++)
        last[r % KILL_KEYS] = r;
    size_t present = 0;
    for (int i = 0; i < KILL_KEYS; i++) {
        int64_t r = last[i];
        if (r == 0 || kill_is_delete(r))
            continue;
        present++;
        char key[64];
        kill_key(r, key, sizeof(key));
        const kvrow *row = kvset_find(&k, key);
        if (!row)
            fail_msg("key %s (rev %" PRId64 ") missing after kill; R=%" PRId64, key, r, R);
        assert_int_equal(row->mod_rev, r);
        char *want = kill_value(r);
        assert_string_equal(row->value, want);
        free(want);
    }
    assert_int_equal(k.n, present);
    kvset_free(&k);

    /* History holds every revision 1..R (nothing old enough to compact). */
    evlist l = {0};
    assert_int_equal(history_into(s, 0, &l), 1);
    assert_int_equal(l.n, (size_t)R);
    for (size_t i = 0; i < l.n; i++) {
        int64_t r = (int64_t)i + 1;
        assert_int_equal(l.ev[i].rev, r);
        if (kill_is_delete(r))
            assert_null(l.ev[i].value);
        else
            assert_non_null(l.ev[i].value);
    }
    evlist_free(&l);
    zk_store_close(s);
    return R;
}

static void test_kill9_durability(void **state)
{
    tdir t = *(tdir *)*state;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    print_message("kill -9 test seed %u\n", seed);
    int64_t acked_total = 0;
    for (int round = 0; round < 5; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            kill_child(t.db, p[1]);
            _exit(0);
        }
        close(p[1]);
        size_t target = 1 + (size_t)(rand_r(&seed) % 3000);
        int delay_us = (int)(rand_r(&seed) % 20000);
        size_t acked = 0;
        int64_t max_acked = 0;
        int killed = 0;
        double start = now_s();
        for (;;) {
            if (!killed && (acked >= target || now_s() - start > 30)) {
                usleep((useconds_t)delay_us);
                kill(pid, SIGKILL);
                killed = 1;
            }
            struct pollfd pfd = {p[0], POLLIN, 0};
            if (poll(&pfd, 1, 100) <= 0)
                continue;
            int64_t revs[64];
            ssize_t n = read(p[0], revs, sizeof(revs));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; /* EOF: the child is gone */
            for (size_t i = 0; i < (size_t)n / sizeof(int64_t); i++) {
                if (revs[i] > max_acked)
                    max_acked = revs[i];
                acked++;
            }
        }
        close(p[0]);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!killed || acked == 0)
            fail_msg("round %d: child ended %s (status 0x%x) after %.1f s with %zu acks",
                     round, killed ? "after our kill" : "on its own", status,
                     now_s() - start, acked);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        int64_t R = kill_verify(t.db, max_acked);
        acked_total += (int64_t)acked;
        print_message("round %d: %zu acks (kill after %zu + %d us), max acked rev %" PRId64
                      ", durable rev %" PRId64 "\n", round, acked, target, delay_us, max_acked, R);
    }
    assert_true(acked_total > 0);
}

/* ---- throughput (printed, not asserted) -------------------------------- */

static void measure(const tdir *t, int sync, const char *name)
{
    char db[192];
    snprintf(db, sizeof(db), "%s/throughput-%s.db", t->dir, name);
    zk_store_options opt = {.sync = sync};
    zk_store *s = open_or_fail(db, &opt);
    gc_shared *sh = zk_xcalloc(1, sizeof(*sh));
    sh->s = s;
    sh->value_len = 1024;
    pthread_mutex_init(&sh->rev_mu, NULL);
    int threads = 32, per = 100;
    double t0 = now_s();
    run_submitters(s, sh, threads, per);
    double dt = now_s() - t0;
    struct zk_store_stats st;
    zk_store_stats(s, &st);
    assert_int_equal(atomic_load(&sh->failures), 0);
    print_message("throughput (sync=%s): %d submitters x %d writes of 1 KiB: %.0f acked "
                  "writes/s, %.0f transactions/s, %.1f writes per transaction, "
                  "max commit %.1f ms\n", name, threads, per, threads * per / dt,
                  (double)st.commits / dt, (double)st.ops / (double)st.commits,
                  st.max_fsync_ms);
    zk_store_close(s);
    pthread_mutex_destroy(&sh->rev_mu);
    free(sh);
}

static void test_throughput_printed(void **state)
{
    measure(*state, ZK_STORE_SYNC_FULL, "FULL");
    measure(*state, ZK_STORE_SYNC_NORMAL, "NORMAL");
}

/* ---- paced checkpoints ------------------------------------------------- */

/* Enough writes for the background checkpointer to copy megabytes into the
 * database file: those writes go out in pieces through the zk-paced VFS,
 * and every object is there after a restart. */
static void test_checkpoints_paced(void **state)
{
    tdir t = *(tdir *)*state;
    assert_non_null(zk_sqlite_paced_vfs());
    assert_string_equal(zk_sqlite_paced_vfs(), ZK_SQLITE_PACED_VFS);
    unsigned long before = zk_sqlite_paced_vfs_pushes();
    zk_store *s = open_or_fail(t.db, NULL);
    char *big = zk_xmalloc(4001);
    memset(big, 'p', 4000);
    big[0] = '"';
    big[3999] = '"';
    big[4000] = '\0';
    enum { N = 3000 };
    char key[64];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "/registry/configmaps/default/cm-%05d", i);
        put_ok(s, key, big, i + 1);
    }
    /* The checkpointer runs on its own thread: wait for it, bounded. */
    for (int i = 0; i < 200 && zk_sqlite_paced_vfs_pushes() == before; i++)
        usleep(50 * 1000);
    assert_true(zk_sqlite_paced_vfs_pushes() > before);
    zk_store_close(s);

    struct stat sb;
    assert_int_equal(stat(t.db, &sb), 0);
    assert_true(sb.st_size >= (off_t)N * 4000);
    s = open_or_fail(t.db, NULL);
    kvset k = {0};
    assert_int_equal(load_into(s, &k), N);
    assert_int_equal(k.n, N);
    assert_string_equal(k.rows[N - 1].value, big);
    kvset_free(&k);
    zk_store_close(s);
    free(big);
}

#define ZK_STORE_TEST(fn) cmocka_unit_test_setup_teardown(fn, tdir_setup, tdir_teardown)

int main(void)
{
    zk_log_set_level(ZK_LOG_WARN);
    const struct CMUnitTest tests[] = {
        ZK_STORE_TEST(test_put_overwrite_delete_restart),
        ZK_STORE_TEST(test_open_and_submit_errors),
        ZK_STORE_TEST(test_group_commit),
        ZK_STORE_TEST(test_history_and_compaction),
        ZK_STORE_TEST(test_compaction_under_load),
        ZK_STORE_TEST(test_db_failure_then_retry),
        ZK_STORE_TEST(test_queue_bound),
        ZK_STORE_TEST(test_kill9_durability),
        ZK_STORE_TEST(test_checkpoints_paced),
        ZK_STORE_TEST(test_throughput_printed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
