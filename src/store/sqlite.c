/* zke store: the SQLite backend (WAL).
 *
 * Tables: kv holds the current objects, history one row per revision (value
 * NULL for a delete), meta the latest revision and the highest compacted one,
 * so the sequence survives deletes, compaction and restarts. Two
 * connections: the writer's (writer thread only) and a reader for load and
 * history, so reads never wait for a commit. A lock file keeps a second
 * process from opening the same database.
 *
 * Checkpoints (copying the WAL into the database, with an fsync of its own)
 * run on a checkpointer thread with a third connection, in PASSIVE mode, so
 * a commit never waits for one; SQLite's automatic checkpoint inside the
 * committing call is turned off. Should the checkpointer fall far behind,
 * the writer checkpoints itself rather than let the WAL grow without bound.
 * Every connection opens through the zk-paced VFS (sqlite_vfs.c), which
 * pushes a checkpoint's database writes out in small pieces so that a
 * commit's fdatasync never queues behind megabytes of them. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "store/backend.h"
#include "store/sqlite_vfs.h"

#define ZK_SQ_SCHEMA 1

typedef struct zk_sq {
    sqlite3 *w;                 /* writer connection */
    sqlite3 *r;                 /* reader connection, under rmu */
    pthread_mutex_t rmu;
    zk_store_options opt;
    int lockfd;
    /* writer statements */
    sqlite3_stmt *begin, *commit, *rollback, *put, *del, *hist, *setmeta, *cscan, *cdel;
    /* reader statements */
    sqlite3_stmt *rbegin, *rend, *rmeta, *rload, *rhist;
    /* checkpointer */
    sqlite3 *c;
    pthread_t cthread;
    pthread_mutex_t cmu;
    pthread_cond_t ccv;
    int cwanted, cstop, crunning;
} zk_sq;

static int zk_sq__fail(zk_err *err, sqlite3 *db, const char *what);
static int zk_sq__exec(sqlite3 *db, const char *sql, const char *what, zk_err *err);

/* WAL pages that start a background checkpoint, and the (far larger) count
 * at which the writer does one itself. */
#define ZK_SQ_CKPT_PAGES 2000
#define ZK_SQ_CKPT_FORCE_PAGES 200000

/* Checkpoints are background work: the thread runs at nice 10, so that on
 * a busy machine the loop serving requests and the writer committing them
 * get the CPU first (it still gets a share; a WAL far behind makes the
 * writer checkpoint itself, see zk_sq__wal_hook). */
#define ZK_SQ_CKPT_NICE 10

static void *zk_sq__checkpointer(void *arg)
{
    zk_sq *q = arg;
    pthread_setname_np(pthread_self(), "zk-checkpoint");
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), ZK_SQ_CKPT_NICE) < 0)
        zk_debug("store: checkpointer priority: %s", strerror(errno));
    pthread_mutex_lock(&q->cmu);
    for (;;) {
        while (!q->cwanted && !q->cstop)
            pthread_cond_wait(&q->ccv, &q->cmu);
        if (q->cstop)
            break;
        q->cwanted = 0;
        pthread_mutex_unlock(&q->cmu);
        int logp = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(q->c, NULL, SQLITE_CHECKPOINT_PASSIVE, &logp, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            zk_warn("store: background checkpoint: %s", sqlite3_errmsg(q->c));
        pthread_mutex_lock(&q->cmu);
    }
    pthread_mutex_unlock(&q->cmu);
    return NULL;
}

/* After each commit on the writer: wake the checkpointer when the WAL has
 * grown; checkpoint here only when it is far behind. */
static int zk_sq__wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    zk_sq *q = arg;
    if (pages >= ZK_SQ_CKPT_FORCE_PAGES) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= ZK_SQ_CKPT_PAGES && q->crunning) {
        pthread_mutex_lock(&q->cmu);
        q->cwanted = 1;
        pthread_cond_signal(&q->ccv);
        pthread_mutex_unlock(&q->cmu);
    }
    return SQLITE_OK;
}

static int zk_sq__setup_checkpointer(zk_sq *q, const char *path, zk_err *err)
{
    pthread_mutex_init(&q->cmu, NULL);
    pthread_cond_init(&q->ccv, NULL);
    if (sqlite3_open_v2(path, &q->c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        zk_sqlite_paced_vfs()) !=
        SQLITE_OK)
        return zk_sq__fail(err, q->c, "open checkpointer");
    sqlite3_busy_timeout(q->c, 5000);
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA synchronous=%s",
             q->opt.sync == ZK_STORE_SYNC_NORMAL ? "NORMAL" : "FULL");
    if (zk_sq__exec(q->c, pragma, "checkpointer pragmas", err) < 0)
        return -ZK_EIO;
    if (pthread_create(&q->cthread, NULL, zk_sq__checkpointer, q) != 0)
        return zk_err_set(err, ZK_EINTERNAL, "store: cannot start the checkpointer thread");
    q->crunning = 1;
    sqlite3_wal_autocheckpoint(q->w, 0);
    sqlite3_wal_hook(q->w, zk_sq__wal_hook, q);
    return 0;
}

static const char zk_sq__schema[] =
    "CREATE TABLE IF NOT EXISTS kv ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  value TEXT NOT NULL,"
    "  create_rev INTEGER NOT NULL,"
    "  mod_rev INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS history ("
    "  rev INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL,"
    "  value TEXT,"
    "  ts INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta ("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta(name, value) VALUES ('rev', 0), ('compacted', 0);";

static double zk_sq__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int zk_sq__fail(zk_err *err, sqlite3 *db, const char *what)
{
    return zk_err_set(err, ZK_EIO, "sqlite: %s: %s", what, sqlite3_errmsg(db));
}

static int zk_sq__exec(sqlite3 *db, const char *sql, const char *what, zk_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = zk_err_set(err, ZK_EIO, "sqlite: %s: %s", what, msg ? msg : "unknown error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static int zk_sq__prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, zk_err *err)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return zk_err_set(err, ZK_EIO, "sqlite: prepare \"%s\": %s", sql, sqlite3_errmsg(db));
    return 0;
}

/* Run a statement that returns no rows, then reset it for reuse. */
static int zk_sq__run(sqlite3 *db, sqlite3_stmt *st, const char *what, zk_err *err)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        int r = zk_sq__fail(err, db, what);
        sqlite3_reset(st);
        return r;
    }
    sqlite3_reset(st);
    return 0;
}

/* One integer from meta through statement st (bound to name). */
static int zk_sq__meta(sqlite3 *db, sqlite3_stmt *st, const char *name, int64_t *out, zk_err *err)
{
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return zk_err_set(err, ZK_EINTERNAL, "sqlite: meta row \"%s\" is missing", name);
    }
    int r = zk_sq__fail(err, db, "read meta");
    sqlite3_reset(st);
    return r;
}

static void zk_sq__close(void *be)
{
    zk_sq *q = be;
    if (!q)
        return;
    sqlite3_stmt *all[] = {q->begin, q->commit, q->rollback, q->put, q->del, q->hist,
                           q->setmeta, q->cscan, q->cdel, q->rbegin, q->rend, q->rmeta,
                           q->rload, q->rhist};
    for (size_t i = 0; i < ZK_ARRAY_LEN(all); i++)
        sqlite3_finalize(all[i]);
    if (q->crunning) {
        pthread_mutex_lock(&q->cmu);
        q->cstop = 1;
        pthread_cond_signal(&q->ccv);
        pthread_mutex_unlock(&q->cmu);
        pthread_join(q->cthread, NULL);
        q->crunning = 0;
    }
    if (q->c)
        sqlite3_close(q->c);
    /* The last connection to close checkpoints the WAL into the database. */
    if (q->r)
        sqlite3_close(q->r);
    if (q->w && sqlite3_close(q->w) != SQLITE_OK)
        zk_warn("store: sqlite close: %s", sqlite3_errmsg(q->w));
    if (q->lockfd >= 0)
        close(q->lockfd);
    pthread_mutex_destroy(&q->rmu);
    free(q);
}

/* Refuse a second process on the same database: two writers would each think
 * they own the revision sequence. The lock goes away with the process. */
static int zk_sq__lock(zk_sq *q, const char *path, zk_err *err)
{
    zk_autofree char *lp = zk_xasprintf("%s.lock", path);
    q->lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (q->lockfd < 0)
        return zk_err_set(err, ZK_EIO, "open lock file %s: %s", lp, strerror(errno));
    if (flock(q->lockfd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(q->lockfd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            return zk_err_set(err, ZK_EEXIST, "the database is in use by another process "
                              "(pid %s, lock file %s)", pid[0] ? pid : "unknown", lp);
        return zk_err_set(err, ZK_EIO, "lock %s: %s", lp, strerror(e));
    }
    char line[32];
    int len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
    if (ftruncate(q->lockfd, 0) < 0 || pwrite(q->lockfd, line, (size_t)len, 0) != len)
        zk_warn("store: could not write pid to %s: %s", lp, strerror(errno));
    return 0;
}

/* Make a newly created file's directory entry durable. */
static void zk_sq__sync_dir(const char *path)
{
    zk_autofree char *copy = zk_xstrdup(path);
    zk_autoclose int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 && fsync(fd) < 0)
        zk_warn("store: fsync directory of %s: %s", path, strerror(errno));
}

static int zk_sq__setup_writer(zk_sq *q, const char *path, zk_err *err)
{
    /* Secrets live in here: create it 0600; SQLite gives the WAL the same mode. */
    struct stat sb;
    int created = 0;
    if (stat(path, &sb) < 0) {
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            return zk_err_set(err, ZK_EIO, "create %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            created = 1;
        }
    }
    if (sqlite3_open_v2(path, &q->w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        zk_sqlite_paced_vfs()) !=
        SQLITE_OK)
        return zk_sq__fail(err, q->w, "open");
    sqlite3_extended_result_codes(q->w, 1);
    sqlite3_busy_timeout(q->w, 5000);

    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->w, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
        return zk_sq__fail(err, q->w, "set WAL mode");
    int rc = sqlite3_step(st);
    const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int wal = mode && strcmp(mode, "wal") == 0;
    sqlite3_finalize(st);
    if (!wal)
        return zk_err_set(err, ZK_EIO, "sqlite: could not switch %s to WAL mode (%s)", path,
                          rc == SQLITE_ROW ? "another journal mode stuck" : sqlite3_errmsg(q->w));

    char pragmas[512];
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA synchronous=%s; PRAGMA journal_size_limit=%d; PRAGMA cache_size=-16384;"
             "PRAGMA temp_store=MEMORY;",
             q->opt.sync == ZK_STORE_SYNC_NORMAL ? "NORMAL" : "FULL", 64 << 20);
    if (zk_sq__exec(q->w, pragmas, "set pragmas", err) < 0)
        return -ZK_EIO;
    if (q->opt.max_db_bytes > 0) {
        int64_t page = 4096;
        if (sqlite3_prepare_v2(q->w, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                page = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        int64_t pages = q->opt.max_db_bytes / (page > 0 ? page : 4096);
        snprintf(pragmas, sizeof(pragmas), "PRAGMA max_page_count=%lld",
                 (long long)(pages > 0 ? pages : 1));
        if (zk_sq__exec(q->w, pragmas, "set max_page_count", err) < 0)
            return -ZK_EIO;
    }

    int64_t version = 0;
    if (sqlite3_prepare_v2(q->w, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return zk_sq__fail(err, q->w, "read schema version");
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (version > ZK_SQ_SCHEMA)
        return zk_err_set(err, ZK_EUNSUPPORTED, "database schema %lld is newer than this zke "
                          "understands (%d); run a newer zke", (long long)version,
                          ZK_SQ_SCHEMA);
    if (zk_sq__exec(q->w, "BEGIN IMMEDIATE", "begin schema", err) < 0)
        return -ZK_EIO;
    char setver[64];
    snprintf(setver, sizeof(setver), "PRAGMA user_version=%d", ZK_SQ_SCHEMA);
    if (zk_sq__exec(q->w, zk_sq__schema, "create schema", err) < 0 ||
        zk_sq__exec(q->w, setver, "set schema version", err) < 0 ||
        zk_sq__exec(q->w, "COMMIT", "commit schema", err) < 0) {
        sqlite3_exec(q->w, "ROLLBACK", NULL, NULL, NULL);
        return -ZK_EIO;
    }
    if (created)
        zk_sq__sync_dir(path);

    if (zk_sq__prepare(q->w, &q->begin, "BEGIN IMMEDIATE", err) < 0 ||
        zk_sq__prepare(q->w, &q->commit, "COMMIT", err) < 0 ||
        zk_sq__prepare(q->w, &q->rollback, "ROLLBACK", err) < 0 ||
        zk_sq__prepare(q->w, &q->put,
                       "INSERT INTO kv(key, value, create_rev, mod_rev) VALUES (?1, ?2, ?3, ?3) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                       "mod_rev = excluded.mod_rev", err) < 0 ||
        zk_sq__prepare(q->w, &q->del, "DELETE FROM kv WHERE key = ?1", err) < 0 ||
        zk_sq__prepare(q->w, &q->hist,
                       "INSERT INTO history(rev, key, value, ts) VALUES (?1, ?2, ?3, ?4)",
                       err) < 0 ||
        zk_sq__prepare(q->w, &q->setmeta, "UPDATE meta SET value = ?2 WHERE name = ?1",
                       err) < 0 ||
        zk_sq__prepare(q->w, &q->cscan,
                       "SELECT rev, ts FROM history WHERE rev <= ?1 ORDER BY rev LIMIT ?2",
                       err) < 0 ||
        zk_sq__prepare(q->w, &q->cdel, "DELETE FROM history WHERE rev <= ?1", err) < 0)
        return -ZK_EIO;
    return 0;
}

static int zk_sq__setup_reader(zk_sq *q, const char *path, zk_err *err)
{
    if (sqlite3_open_v2(path, &q->r, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        zk_sqlite_paced_vfs()) !=
        SQLITE_OK)
        return zk_sq__fail(err, q->r, "open reader");
    sqlite3_busy_timeout(q->r, 5000);
    if (zk_sq__exec(q->r, "PRAGMA query_only=1", "reader pragmas", err) < 0)
        return -ZK_EIO;
    if (zk_sq__prepare(q->r, &q->rbegin, "BEGIN", err) < 0 ||
        zk_sq__prepare(q->r, &q->rend, "COMMIT", err) < 0 ||
        zk_sq__prepare(q->r, &q->rmeta, "SELECT value FROM meta WHERE name = ?1", err) < 0 ||
        zk_sq__prepare(q->r, &q->rload,
                       "SELECT key, value, mod_rev FROM kv ORDER BY key", err) < 0 ||
        zk_sq__prepare(q->r, &q->rhist,
                       "SELECT rev, key, value FROM history WHERE rev > ?1 ORDER BY rev",
                       err) < 0)
        return -ZK_EIO;
    return 0;
}

static int zk_sq__open(const char *target, const zk_store_options *opt, void **be,
                       zk_store__marks *marks, zk_err *err)
{
    zk_sq *q = zk_xcalloc(1, sizeof(*q));
    q->opt = *opt;
    q->lockfd = -1;
    pthread_mutex_init(&q->rmu, NULL);
    int64_t rev = 0, compacted = 0;
    int rc;
    if ((rc = zk_sq__lock(q, target, err)) < 0 || (rc = zk_sq__setup_writer(q, target, err)) < 0 ||
        (rc = zk_sq__setup_reader(q, target, err)) < 0 ||
        (rc = zk_sq__setup_checkpointer(q, target, err)) < 0 ||
        (rc = zk_sq__meta(q->r, q->rmeta, "rev", &rev, err)) < 0 ||
        (rc = zk_sq__meta(q->r, q->rmeta, "compacted", &compacted, err)) < 0) {
        zk_sq__close(q);
        return rc;
    }
    marks->current_rev = rev;
    marks->oldest_rev = compacted + 1;
    *be = q;
    return 0;
}

/* End the reader's snapshot; on error roll it back. */
static void zk_sq__read_end(zk_sq *q, int ok)
{
    if (ok)
        sqlite3_step(q->rend);
    sqlite3_reset(q->rend);
    if (!sqlite3_get_autocommit(q->r))
        sqlite3_exec(q->r, "ROLLBACK", NULL, NULL, NULL);
}

static int zk_sq__load(void *be, zk_store_each_fn each, void *ctx, int64_t *current_rev,
                       zk_err *err)
{
    zk_sq *q = be;
    pthread_mutex_lock(&q->rmu);
    int rc = zk_sq__run(q->r, q->rbegin, "begin read", err);
    if (rc < 0)
        goto out;
    int64_t rev = 0;
    rc = zk_sq__meta(q->r, q->rmeta, "rev", &rev, err);
    if (rc < 0)
        goto out;
    if (current_rev)
        *current_rev = rev;
    int step;
    while ((step = sqlite3_step(q->rload)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(q->rload, 0);
        const char *value = (const char *)sqlite3_column_text(q->rload, 1);
        size_t len = (size_t)sqlite3_column_bytes(q->rload, 1);
        int64_t mod = sqlite3_column_int64(q->rload, 2);
        rc = each(ctx, key, value ? value : "", len, mod);
        if (rc != 0) {
            if (rc < 0)
                zk_err_set(err, rc, "stopped by the callback (%d)", rc);
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = zk_sq__fail(err, q->r, "read objects");
    sqlite3_reset(q->rload);
out:
    zk_sq__read_end(q, rc >= 0);
    pthread_mutex_unlock(&q->rmu);
    return rc;
}

static int zk_sq__history(void *be, int64_t after_rev, zk_store_event_fn fn, void *ctx,
                          int64_t *oldest_rev, zk_err *err)
{
    zk_sq *q = be;
    pthread_mutex_lock(&q->rmu);
    int rc = zk_sq__run(q->r, q->rbegin, "begin read", err);
    if (rc < 0)
        goto out;
    int64_t compacted = 0;
    rc = zk_sq__meta(q->r, q->rmeta, "compacted", &compacted, err);
    if (rc < 0)
        goto out;
    if (oldest_rev)
        *oldest_rev = compacted + 1;
    sqlite3_bind_int64(q->rhist, 1, after_rev);
    int step;
    while ((step = sqlite3_step(q->rhist)) == SQLITE_ROW) {
        int64_t rev = sqlite3_column_int64(q->rhist, 0);
        const char *key = (const char *)sqlite3_column_text(q->rhist, 1);
        const char *value = NULL;
        size_t len = 0;
        if (sqlite3_column_type(q->rhist, 2) != SQLITE_NULL) {
            value = (const char *)sqlite3_column_text(q->rhist, 2);
            len = (size_t)sqlite3_column_bytes(q->rhist, 2);
        }
        rc = fn(ctx, rev, key, value, len);
        if (rc != 0) {
            if (rc < 0)
                zk_err_set(err, rc, "stopped by the callback (%d)", rc);
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = zk_sq__fail(err, q->r, "read history");
    sqlite3_reset(q->rhist);
out:
    zk_sq__read_end(q, rc >= 0);
    pthread_mutex_unlock(&q->rmu);
    return rc;
}

/* Roll back whatever the writer connection has open; keeps err as it is. */
static void zk_sq__abort(zk_sq *q)
{
    if (!sqlite3_get_autocommit(q->w)) {
        sqlite3_step(q->rollback);
        sqlite3_reset(q->rollback);
    }
}

static int zk_sq__commit(void *be, const zk_store__sub *list, zk_store__marks *marks,
                         double *fsync_ms, zk_err *err)
{
    zk_sq *q = be;
    int64_t now = (int64_t)time(NULL);
    int64_t last = marks->current_rev;
    size_t nops = 0;
    if (zk_sq__run(q->w, q->begin, "begin", err) < 0)
        goto fail;
    for (const zk_store__sub *u = list; u; u = u->next) {
        for (size_t i = 0; i < u->n; i++) {
            const zk_store_op *op = &u->ops[i];
            sqlite3_bind_int64(q->hist, 1, op->rev);
            sqlite3_bind_text(q->hist, 2, op->key, -1, SQLITE_STATIC);
            if (op->value)
                sqlite3_bind_text(q->hist, 3, op->value, (int)op->len, SQLITE_STATIC);
            else
                sqlite3_bind_null(q->hist, 3);
            sqlite3_bind_int64(q->hist, 4, now);
            if (zk_sq__run(q->w, q->hist, "write history", err) < 0)
                goto fail;
            if (op->value) {
                sqlite3_bind_text(q->put, 1, op->key, -1, SQLITE_STATIC);
                sqlite3_bind_text(q->put, 2, op->value, (int)op->len, SQLITE_STATIC);
                sqlite3_bind_int64(q->put, 3, op->rev);
                if (zk_sq__run(q->w, q->put, "write object", err) < 0)
                    goto fail;
            } else {
                sqlite3_bind_text(q->del, 1, op->key, -1, SQLITE_STATIC);
                if (zk_sq__run(q->w, q->del, "delete object", err) < 0)
                    goto fail;
            }
            last = op->rev;
            nops++;
        }
    }
    sqlite3_bind_text(q->setmeta, 1, "rev", -1, SQLITE_STATIC);
    sqlite3_bind_int64(q->setmeta, 2, last);
    if (zk_sq__run(q->w, q->setmeta, "write revision", err) < 0)
        goto fail;
    double t0 = zk_sq__now_ms();
    if (zk_sq__run(q->w, q->commit, "commit", err) < 0)
        goto fail;
    *fsync_ms = zk_sq__now_ms() - t0;
    marks->current_rev = last;
    return 0;
fail:
    zk_sq__abort(q);
    return -ZK_EIO;
}

static int zk_sq__compact_step(void *be, int64_t now_s, zk_store__marks *marks,
                               uint64_t *removed, int *more, zk_err *err)
{
    zk_sq *q = be;
    *removed = 0;
    *more = 0;
    int64_t floor = marks->current_rev - q->opt.history_min_revs;
    if (floor < marks->oldest_rev)
        return 0;
    int64_t age_cut = q->opt.history_max_age_s < 0 ? INT64_MAX : now_s - q->opt.history_max_age_s;

    /* Only a prefix of history is ever removed: stop at the first event that
     * is still young enough, even if the wall clock stepped back after it. */
    int64_t cut = 0;
    uint64_t count = 0;
    sqlite3_bind_int64(q->cscan, 1, floor);
    sqlite3_bind_int64(q->cscan, 2, q->opt.compact_step);
    int step;
    while ((step = sqlite3_step(q->cscan)) == SQLITE_ROW) {
        if (sqlite3_column_int64(q->cscan, 1) > age_cut)
            break;
        cut = sqlite3_column_int64(q->cscan, 0);
        count++;
    }
    int scan_failed = step != SQLITE_ROW && step != SQLITE_DONE;
    if (scan_failed)
        zk_sq__fail(err, q->w, "scan history");
    sqlite3_reset(q->cscan);
    if (scan_failed)
        return -ZK_EIO;
    if (count == 0)
        return 0;

    if (zk_sq__run(q->w, q->begin, "begin compaction", err) < 0)
        goto fail;
    sqlite3_bind_int64(q->cdel, 1, cut);
    if (zk_sq__run(q->w, q->cdel, "delete history", err) < 0)
        goto fail;
    sqlite3_bind_text(q->setmeta, 1, "compacted", -1, SQLITE_STATIC);
    sqlite3_bind_int64(q->setmeta, 2, cut);
    if (zk_sq__run(q->w, q->setmeta, "write compacted revision", err) < 0 ||
        zk_sq__run(q->w, q->commit, "commit compaction", err) < 0)
        goto fail;
    marks->oldest_rev = cut + 1;
    *removed = count;
    *more = count == (uint64_t)q->opt.compact_step;
    return 0;
fail:
    zk_sq__abort(q);
    return -ZK_EIO;
}

const zk_store__backend zk_store__sqlite = {
    .name = "sqlite",
    .max_entry = 512u << 20, /* well under SQLITE_MAX_LENGTH (1e9) for key + value rows */
    .open = zk_sq__open,
    .close = zk_sq__close,
    .load = zk_sq__load,
    .history = zk_sq__history,
    .commit = zk_sq__commit,
    .compact_step = zk_sq__compact_step,
};
