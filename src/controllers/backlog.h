/* zke controllers: BacklogScaler's triggers — reading a backlog.
 *
 * A source reads one number, asynchronously on the controller's loop:
 *   redis          LLEN of metadata.listName
 *   redis-streams  with metadata.consumerGroup: the group's lag plus its
 *                  pending entries (XINFO GROUPS; Redis 7); without: XLEN
 *                  of metadata.stream
 *   rabbitmq       the queue's messages (ready + unacknowledged) from the
 *                  management API (metadata.host, vhostName, queueName)
 *   prometheus     the value of metadata.query (a scalar, or the first
 *                  sample of a vector; an empty vector is 0)
 *   http           the number at metadata.valueLocation (a JSONPath, as
 *                  in kubectl's printer columns: "{.queue.depth}") of the
 *                  JSON at metadata.url
 * Credentials (username, password, bearerToken) come from Secrets; the
 * controller resolves them into params. A failed read is an error, never
 * a zero. */
#ifndef ZK_CTL_BACKLOG_H
#define ZK_CTL_BACKLOG_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "base/err.h"

typedef struct zk_bl_src zk_bl_src;

/* ok: value is the reading; else error says why (never NULL then). */
typedef void (*zk_bl_done_fn)(void *ctx, bool ok, double value, const char *error);

/* A source for trigger (an element of spec.triggers) with params (an
 * object of parameter -> string, may be NULL). Errors name the field:
 * "metadata.listName: required". */
int zk_bl_src_new(uv_loop_t *loop, const json_t *trigger, const json_t *params, zk_bl_src **out,
                  zk_err *err);
/* Read once; cb runs later on the loop, once, unless the source is freed
 * first. One read at a time: a second call while one runs fails at once. */
void zk_bl_src_poll(zk_bl_src *s, int timeout_ms, zk_bl_done_fn cb, void *ctx);
/* No callback follows. */
void zk_bl_src_free(zk_bl_src *s);
/* "redis 127.0.0.1:6379 list jobs", for messages */
const char *zk_bl_src_describe(const zk_bl_src *s);

/* The number in a Prometheus /api/v1/query answer, an HTTP JSON answer at
 * a JSONPath, a RabbitMQ queue, or Redis replies (exposed for tests). */
int zk_bl_prometheus_value(const json_t *answer, double *out, zk_err *err);
int zk_bl_json_value(const json_t *doc, const char *jsonpath, double *out, zk_err *err);
int zk_bl_stream_backlog(const json_t *xinfo_groups, const char *group, double *out, zk_err *err);

#endif
