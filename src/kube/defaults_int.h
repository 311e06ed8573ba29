/* zke kube: helpers shared by the defaults_*.c files. Not a public API. */
#ifndef ZK_KUBE_DEFAULTS_INT_H
#define ZK_KUBE_DEFAULTS_INT_H

#include <jansson.h>
#include <stdbool.h>

/* The object at key, created when absent or null; NULL when another type is
 * in the way (or o is not an object). */
json_t *zk_kube__dobj(json_t *o, const char *key);
/* The array at key or NULL. */
json_t *zk_kube__darr(json_t *o, const char *key);
/* Go zero-value semantics: strings default when absent, null or "". */
void zk_kube__dstr(json_t *o, const char *key, const char *val);
/* Pointer fields: default when absent or null. */
void zk_kube__dint(json_t *o, const char *key, json_int_t val);
/* Plain int fields: default when absent, null or 0. */
void zk_kube__dint0(json_t *o, const char *key, json_int_t val);
void zk_kube__dbool(json_t *o, const char *key, bool val);
/* Empty object when absent or null. */
void zk_kube__dempty(json_t *o, const char *key);
/* Is key absent or null? */
bool zk_kube__unset(const json_t *o, const char *key);

#endif
