/* zke agent: container logs in the CRI format the kubelet reads,
 * "2026-11-27T14:24:19.123456789Z stdout F the line", one file per
 * container run, rotated by size. */
#ifndef ZK_AGENT_CRILOG_H
#define ZK_AGENT_CRILOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Longer lines are split into "P" (partial) pieces of this size, with the
 * rest ending in an "F" line, as containerd does. */
#define ZK_CRILOG_MAX_LINE (16u << 10)

typedef struct zk_crilog zk_crilog;

/* Append to path (mode 0600, created). When the file would grow past
 * max_bytes (0: never), it is renamed path.1 (path.1 to path.2, ..., up to
 * keep files) and a new one begins. */
zk_crilog *zk_crilog_open(const char *path, int64_t max_bytes, int keep, zk_err *err);
void zk_crilog_close(zk_crilog *l);

/* Feed bytes read from a stream (stdout or stderr); complete lines are
 * written at once, each with the time it was fed. */
int zk_crilog_feed(zk_crilog *l, bool err_stream, const char *data, size_t len, zk_err *err);
/* Write what is left of a stream's last line (at its end). */
int zk_crilog_flush(zk_crilog *l, bool err_stream, zk_err *err);
/* Write what there is of the line being fed as a "P" piece now (a
 * terminal's prompt has no newline, and attach shows it at once). */
int zk_crilog_flush_partial(zk_crilog *l, bool err_stream, zk_err *err);

/* One parsed line. The fields point into the line given. */
typedef struct zk_crilog_line {
    const char *time;      /* RFC 3339 with nanoseconds */
    size_t time_len;
    bool err_stream;
    bool partial;          /* "P": continues in the next line */
    const char *msg;       /* without the newline */
    size_t msg_len;
} zk_crilog_line;

/* Parse one line (without its newline). -ZK_EPARSE when it is not in the
 * format; then out is untouched. */
int zk_crilog_parse(const char *line, size_t len, zk_crilog_line *out);

#endif
