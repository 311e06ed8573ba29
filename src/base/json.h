/* zke base: helpers over jansson.
 *
 * Objects travel as jansson trees inside the process and as compact JSON
 * text at rest and on the wire. Decoding is bounded: by size (the caller's
 * limit) and by nesting depth, and reports the position of the first error. */
#ifndef ZK_BASE_JSON_H
#define ZK_BASE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

static inline void zk__json_decrefp(json_t **j) { if (*j) json_decref(*j); }
#define zk_autojson __attribute__((cleanup(zk__json_decrefp)))

#define ZK_JSON_MAX_DEPTH 256

/* Parse len bytes of JSON text (need not be NUL-terminated). Rejects nesting
 * deeper than ZK_JSON_MAX_DEPTH, duplicate-free checks are not done (last
 * key wins, like encoding/json). On error returns -ZK_EPARSE or -ZK_ETOOBIG
 * with a message naming line and column. */
int zk_json_decode(const char *data, size_t len, json_t **out, zk_err *err);

/* Deepest nesting of arrays/objects in data, scanning outside strings. */
int zk_json_depth(const char *data, size_t len);

/* Compact encoding appended to b. */
int zk_json_encode(const json_t *j, zk_buf *b);
/* Compact encoding as a new string (aborts on OOM); free() it. */
char *zk_json_dumps(const json_t *j);

/* zke's own reader alone: the tree of valid JSON text (an object or array
 * unless any), or NULL for invalid text and for what it leaves to jansson
 * (\u0000, numbers out of range, nesting past ZK_JSON_MAX_DEPTH). */
json_t *zk_json_read(const char *data, size_t len, bool any);
/* json_loadb() for flags 0, JSON_DECODE_ANY and JSON_ALLOW_NUL, with the
 * same result, key order and error; valid text is read by zke's own reader
 * (several times faster on long strings), anything else by jansson. */
json_t *zk_json_loadb(const char *data, size_t len, size_t flags, json_error_t *err);
/* What json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) returns, byte for
 * byte, written by zke's own writer; *len (if not NULL) gets its length.
 * NULL when out of memory. free() it. */
char *zk_json_write(const json_t *j, size_t *len);

/* Walk object keys: zk_json_path(obj, "metadata", "labels", NULL).
 * Returns a borrowed reference or NULL. */
json_t *zk_json_path(const json_t *obj, ...) __attribute__((sentinel));
/* String value at a path, or NULL when absent or not a string. */
const char *zk_json_path_str(const json_t *obj, ...) __attribute__((sentinel));
/* Object at the path, created (as empty objects) where missing. NULL if a
 * non-object is in the way. Borrowed. */
json_t *zk_json_path_obj(json_t *obj, ...) __attribute__((sentinel));

/* The object (array) at key of parent, made when it is missing or is not
 * one (what was there is replaced). Borrowed. For code that writes a
 * field into a document it builds on. */
json_t *zk_json_child_obj(json_t *parent, const char *key);
json_t *zk_json_child_arr(json_t *parent, const char *key);

/* Set key to a new string (copied). */
void zk_json_set_str(json_t *obj, const char *key, const char *val);
/* Borrowed string value of key or NULL. */
const char *zk_json_str(const json_t *obj, const char *key);
/* Integer value of key, or def when absent/not an integer. */
json_int_t zk_json_int(const json_t *obj, const char *key, json_int_t def);
/* Boolean value of key, or def. */
bool zk_json_bool(const json_t *obj, const char *key, bool def);

#endif
