/* zke store, internal: the backend vtable.
 *
 * store.c owns the queue, the writer thread, backpressure and counters; a
 * backend only talks to its database. commit and compact_step are called on
 * the writer thread only, never at the same time; load and history may be
 * called from any thread while the writer runs, so a backend reads through
 * its own connection. */
#ifndef ZK_STORE_BACKEND_H
#define ZK_STORE_BACKEND_H

#include <stdint.h>

#include "store/store.h"

/* One accepted submit, as the writer hands it to a backend. */
typedef struct zk_store__sub {
    struct zk_store__sub *next;
    zk_store_op *ops;
    size_t n;
    size_t bytes;            /* accounted against the queue bound */
    zk_store_done_fn done;
    void *ctx;
} zk_store__sub;

/* Where the backend reports the state that survives restarts. */
typedef struct zk_store__marks {
    int64_t current_rev;     /* latest committed revision */
    int64_t oldest_rev;      /* first revision still in history */
} zk_store__marks;

typedef struct zk_store__backend {
    const char *name;
    size_t max_entry;        /* largest key + value the backend can store */
    /* Open target (the part after "sqlite:"); fill *marks. */
    int (*open)(const char *target, const zk_store_options *opt, void **be,
                zk_store__marks *marks, zk_err *err);
    void (*close)(void *be);
    int (*load)(void *be, zk_store_each_fn each, void *ctx, int64_t *current_rev, zk_err *err);
    int (*history)(void *be, int64_t after_rev, zk_store_event_fn fn, void *ctx,
                   int64_t *oldest_rev, zk_err *err);
    /* Apply every op of every submit in the list in one transaction, all or
     * nothing. On success update *marks and set *fsync_ms to the COMMIT time. */
    int (*commit)(void *be, const zk_store__sub *list, zk_store__marks *marks, double *fsync_ms,
                  zk_err *err);
    /* Remove up to opt->compact_step history events that fell out of the
     * window; *removed counts them, *more is 1 when a full step was removed. */
    int (*compact_step)(void *be, int64_t now_s, zk_store__marks *marks, uint64_t *removed,
                        int *more, zk_err *err);
} zk_store__backend;

extern const zk_store__backend zk_store__sqlite;

#endif
