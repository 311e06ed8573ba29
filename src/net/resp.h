/* zke net: the Redis protocol (RESP2, and the RESP3 types Redis 7 may
 * send), for BacklogScaler's Redis triggers: commands out, replies in.
 *
 * A reply becomes JSON: integers and doubles as numbers, simple and bulk
 * strings as strings (bytes kept as they are), arrays, sets and pushes as
 * arrays, maps as arrays of alternating keys and values (as RESP2 sends
 * them), nulls as null, and errors as {"error": "message"}. Parsing is
 * bounded: 16 levels of nesting, 1 Mi elements and 64 MiB of strings in one
 * reply; more is a protocol error, not memory. */
#ifndef ZK_NET_RESP_H
#define ZK_NET_RESP_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"

/* One reply from p[0..n): the bytes it took (*out a new reference), 0 when
 * more bytes are needed, or -1 for a malformed reply (err says why). */
ssize_t zk_resp_parse(const char *p, size_t n, json_t **out, zk_err *err);

/* Append a command: an array of bulk strings. */
int zk_resp_command(zk_buf *b, size_t argc, const char *const *argv);

#endif
