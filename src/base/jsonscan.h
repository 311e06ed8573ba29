/* zke base: read one scalar out of JSON text without building a tree.
 *
 * Field selectors ask for one field (spec.nodeName, status.phase) of every
 * object in a list; parsing each whole object for that is what made a
 * filtered LIST of 10,000 pods cost half a second. The scanner walks the
 * text, skipping the values of other keys, and stops at the field. It
 * never reads past len, never recurses, and gives up on malformed text. */
#ifndef ZK_BASE_JSONSCAN_H
#define ZK_BASE_JSONSCAN_H

#include <stddef.h>

enum {
    ZK_JSCAN_ABSENT = 0,   /* no such field (or a parent is not an object) */
    ZK_JSCAN_STRING = 1,   /* a string, unescaped into out */
    ZK_JSCAN_LITERAL = 2,  /* a number, true, false or null, copied as written */
    ZK_JSCAN_OTHER = 3,    /* an object or array */
    ZK_JSCAN_BAD = -1,     /* malformed text, or the value does not fit in out */
};

/* The value at a dotted path ("spec.nodeName") of the JSON object in
 * text[0..len). Keys are matched exactly; the first occurrence wins. */
int zk_json_scan(const char *text, size_t len, const char *path, char *out, size_t outlen);

#endif
