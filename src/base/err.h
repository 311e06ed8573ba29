/* zke base: error values.
 *
 * Fallible functions return int: 0 on success, a negative ZK_E* code on
 * failure, and take `zk_err *err` as their last argument. The error carries
 * the code and a human message; callers add context with zk_err_wrap(), so a
 * message reads outermost first: "create pod web-1: store: database is locked".
 * `err` may be NULL when the caller does not want the message. */
#ifndef ZK_BASE_ERR_H
#define ZK_BASE_ERR_H

#include <stddef.h>

enum {
    ZK_OK = 0,
    ZK_EINVAL = 1,      /* bad input from a caller or client */
    ZK_ENOMEM = 2,      /* allocation failed (normally we abort instead) */
    ZK_EIO = 3,         /* file, socket or database I/O failed */
    ZK_ENOTFOUND = 4,   /* the named thing does not exist */
    ZK_EEXIST = 5,      /* it already exists */
    ZK_ECONFLICT = 6,   /* optimistic concurrency: stale version */
    ZK_ETOOBIG = 7,     /* a bound was hit (body, buffer, depth, count) */
    ZK_EPARSE = 8,      /* malformed syntax */
    ZK_EUNSUPPORTED = 9,/* understood, but not supported */
    ZK_EINTERNAL = 10,  /* a bug or broken invariant reported as an error */
    ZK_EGONE = 11,      /* history was compacted away */
    ZK_EFORBIDDEN = 12, /* not allowed */
};

#define ZK_ERR_MSG_MAX 1024

typedef struct zk_err {
    int code;                  /* positive ZK_E* code, 0 when unset */
    char msg[ZK_ERR_MSG_MAX];
} zk_err;

/* Set err (if non-NULL) to code with a printf-style message; returns -code. */
int zk_err_set(zk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix err's message with "context: "; keeps the code; returns -err->code
 * (or -ZK_EINTERNAL when err is NULL or unset). */
int zk_err_wrap(zk_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clear err to the success state. */
void zk_err_clear(zk_err *err);

/* Short name of a code, for logs: "EINVAL". */
const char *zk_err_name(int code);

#endif
