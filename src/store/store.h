/* zke store: durable, revisioned key-value storage behind the API server.
 *
 * The API server keeps every current object in memory, assigns revisions
 * itself (one int64 sequence that becomes resourceVersion) and checks
 * conflicts itself. The store makes its writes durable, gives everything
 * back at start (zk_store_load), keeps a window of history so watches can
 * resume across a restart (zk_store_history), and trims that window.
 *
 * Writes are asynchronous: zk_store_submit() queues ops; one writer thread
 * commits everything queued in one transaction (group commit) and then calls
 * each submit's done callback. A write is durable when its callback gets
 * err == NULL, and not before.
 *
 * Backends sit behind a vtable (store/backend.h); "sqlite:PATH" (or a plain
 * path) is SQLite in WAL mode. See docs/decisions/002-store.md.
 *
 * Thread safety: submit, history, stats and compact may be called from any
 * thread. load is called once, before the first submit. close is called once,
 * when no other call is running or will start. Callbacks run on the store's
 * writer thread (done) or on the caller's thread (each, event); none of them
 * may call zk_store_close() or zk_store_compact(). */
#ifndef ZK_STORE_STORE_H
#define ZK_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/hist.h"

typedef struct zk_store zk_store;

typedef struct zk_store_op {
    char *key;       /* e.g. "/registry/pods/default/web-1"; owned by the op */
    char *value;     /* JSON text, owned; NULL means delete */
    size_t len;      /* bytes of value; ignored for a delete */
    int64_t rev;     /* revision assigned by the caller; strictly increasing
                      * across all submitted ops */
} zk_store_op;

enum {
    ZK_STORE_SYNC_FULL = 0,   /* fsync every commit: survives power loss */
    ZK_STORE_SYNC_NORMAL = 1, /* fsync at checkpoints: survives a process
                               * crash, may lose the last commits on power loss */
};

#define ZK_STORE_DEFAULT_HISTORY_MIN_REVS 10000
#define ZK_STORE_DEFAULT_HISTORY_MAX_AGE_S 300
#define ZK_STORE_DEFAULT_QUEUE_MAX_OPS 100000
#define ZK_STORE_DEFAULT_QUEUE_MAX_BYTES ((size_t)256 << 20)
#define ZK_STORE_DEFAULT_SUBMIT_TIMEOUT_MS 10000
#define ZK_STORE_DEFAULT_COMPACT_INTERVAL_MS 1000
#define ZK_STORE_DEFAULT_COMPACT_STEP 2000

/* Options. A zero field means its default, so `zk_store_options o = {0};`
 * is the default configuration. */
typedef struct zk_store_options {
    int sync;                  /* ZK_STORE_SYNC_FULL (default) or _NORMAL */
    /* History window: an event is dropped only when it is outside the last
     * history_min_revs revisions AND older than history_max_age_s seconds.
     * So the last N revisions are always there, and older ones stay at most
     * M seconds. A negative max age means age keeps nothing beyond the last N. */
    int64_t history_min_revs;  /* default 10,000 */
    int64_t history_max_age_s; /* default 300 */
    /* Write queue bound, counting ops and bytes queued or being committed.
     * When a submit does not fit, it waits up to submit_timeout_ms for room
     * (negative: does not wait), then fails with -ZK_ETOOBIG. */
    size_t queue_max_ops;      /* default 100,000 */
    size_t queue_max_bytes;    /* default 256 MiB */
    int submit_timeout_ms;     /* default 10,000 */
    int compact_interval_ms;   /* how often the writer trims history; default 1,000 */
    int compact_step;          /* history rows removed per transaction; default 2,000 */
    int64_t max_db_bytes;      /* cap on the database size, 0 = none; a write past
                                * it fails like a full disk */
} zk_store_options;

/* Counters, read with zk_store_stats(). A struct tag, not a typedef: the
 * function already owns the name zk_store_stats. */
struct zk_store_stats {
    uint64_t submits;          /* submits accepted into the queue */
    uint64_t rejected;         /* submits refused (bad ops, queue full, closed) */
    uint64_t waited;           /* accepted submits that had to wait for room */
    uint64_t batches;          /* transactions attempted for submits */
    uint64_t commits;          /* of those, committed */
    uint64_t failed;           /* of those, failed (their submits got an error) */
    uint64_t ops;              /* ops committed */
    uint64_t bytes;            /* key + value bytes committed */
    uint64_t max_batch_ops;    /* largest batch committed, in ops */
    double last_fsync_ms;      /* duration of the last COMMIT (WAL write + fsync) */
    double max_fsync_ms;
    size_t queued_ops;         /* ops queued or being committed now */
    size_t queued_bytes;
    int64_t current_rev;       /* latest committed revision */
    int64_t oldest_rev;        /* first revision still in history */
    uint64_t compacted;        /* history events removed since open */
    zk_hist commit_hist;       /* duration of each commit: statements, WAL write, fsync */
};

/* Called once per accepted submit, on the store's writer thread, after the
 * batch holding these ops is durable (err NULL) or failed (err = message; the
 * ops are not known durable, and may or may not appear after a restart).
 * Keep it short: hand the result to your own loop. It may submit more. */
typedef void (*zk_store_done_fn)(void *ctx, const char *err);
/* One current object. value is NUL-terminated (the NUL not counted in len)
 * and valid only during the call. Non-zero stops the walk. */
typedef int (*zk_store_each_fn)(void *ctx, const char *key, const char *value, size_t len,
                                int64_t mod_rev);
/* One history event; value NULL for a delete. Non-zero stops the walk. */
typedef int (*zk_store_event_fn)(void *ctx, int64_t rev, const char *key,
                                 const char *value /*NULL=delete*/, size_t len);

/* Open (creating if needed) the store at path_or_url: "sqlite:PATH" or a
 * plain PATH for SQLite. opt may be NULL for defaults. Starts the writer
 * thread. Only one process may hold a store open: a second open fails with
 * -ZK_EEXIST in err. Returns NULL with err set on failure. */
zk_store *zk_store_open(const char *path_or_url, const zk_store_options *opt, zk_err *err);

/* Call each() for every current object, in key order, and set *current_rev
 * to the latest revision (kept across deletes and restarts; 0 for a new
 * store). Synchronous; call before the first submit. Returns 0, the
 * callback's non-zero value when it stopped the walk, or a negative error. */
int zk_store_load(zk_store *s, zk_store_each_fn each, void *ctx, int64_t *current_rev,
                  zk_err *err);

/* Call fn() for every kept history event with rev > after_rev, in revision
 * order, from one consistent snapshot. *oldest_rev is set (before the first
 * fn call) to the first revision still available: when after_rev + 1 <
 * *oldest_rev, events in between were compacted and the caller must treat
 * the resume as gone (HTTP 410). Returns 0, fn's non-zero value when it
 * stopped the walk, or a negative error. */
int zk_store_history(zk_store *s, int64_t after_rev, zk_store_event_fn fn, void *ctx,
                     int64_t *oldest_rev, zk_err *err);

/* Queue ops[0..n) for the next group commit. Takes ownership of the ops'
 * strings and of ops itself (allocated with malloc), whatever it returns.
 * n may be 0: done then runs once everything submitted before is durable.
 * Returns 0 when queued: done will be called exactly once. Returns < 0 and
 * never calls done when refused: -ZK_EIO the store is closed, -ZK_EINVAL a
 * key is missing or the revisions do not increase, -ZK_ETOOBIG the queue
 * stayed full for submit_timeout_ms (backpressure), or the submit alone is
 * bigger than the queue, or one op is bigger than the backend stores (512 MiB
 * for SQLite). Blocks only while waiting for room; never blocks
 * when called from a done callback. */
int zk_store_submit(zk_store *s, zk_store_op *ops, size_t n, zk_store_done_fn done, void *ctx);

/* zk_store_submit(), with the reason for a refusal in err (zk_store_submit
 * logs it as a warning instead). */
int zk_store_submit_ex(zk_store *s, zk_store_op *ops, size_t n, zk_store_done_fn done,
                       void *ctx, zk_err *err);

/* Trim history to the window now (the writer also does this every
 * compact_interval_ms) and wait for it. Commits queued first take turns with
 * the compaction steps. Returns 0 or a negative error. */
int zk_store_compact(zk_store *s, zk_err *err);

/* Commit what is queued, call its done callbacks, stop the writer and free
 * the store. Submits after this point are a caller bug. NULL is a no-op. */
void zk_store_close(zk_store *s);

/* A snapshot of the counters. */
void zk_store_stats(zk_store *s, struct zk_store_stats *st);

#endif
