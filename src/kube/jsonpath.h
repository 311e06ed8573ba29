/* zke kube: the JSONPath subset used by CRD additionalPrinterColumns.
 *
 * Kubernetes evaluates a printer column's jsonPath with client-go's JSONPath
 * and prints the first value found. This is the subset such columns use:
 *
 *   .a.b            fields (a name runs to the next '.' or '['; "\." is a dot)
 *   ['a.b'] ["a"]   quoted keys
 *   [n] [-1]        array index (negative counts from the end)
 *   [a:b]           array slice
 *   [*] .*          every element of an array or value of an object
 *   [?(@.type=="Ready")]   filter an array by comparing a path relative to
 *                   the element with a literal or another path; operators
 *                   == != < <= > >=; literals 'str' "str" numbers true false null
 *
 * An optional leading '$' and an enclosing "{...}" are accepted, as in CRDs.
 * Compilation is bounded (expression length, step count, filter nesting) and
 * reports what was wrong; evaluation never fails: a path that does not match
 * simply has no value. */
#ifndef ZK_KUBE_JSONPATH_H
#define ZK_KUBE_JSONPATH_H

#include <jansson.h>

#include "base/err.h"

#define ZK_KUBE_JSONPATH_MAX_LEN 1024   /* bytes of expression text */
#define ZK_KUBE_JSONPATH_MAX_STEPS 64   /* steps in one path, filters included */
#define ZK_KUBE_JSONPATH_MAX_NEST 4     /* filters inside filters */

typedef struct zk_kube_jsonpath zk_kube_jsonpath;

/* Compile expr into *out (free with zk_kube_jsonpath_free). Returns 0, or
 * -ZK_EPARSE with a message naming the offset of the problem, or
 * -ZK_ETOOBIG when a bound is exceeded. */
int zk_kube_jsonpath_compile(const char *expr, zk_kube_jsonpath **out, zk_err *err);

void zk_kube_jsonpath_free(zk_kube_jsonpath *p);

/* The expression text the path was compiled from (borrowed). */
const char *zk_kube_jsonpath_text(const zk_kube_jsonpath *p);

/* First value the path selects in doc, in document order, or NULL when
 * nothing matches. Borrowed from doc. A JSON null counts as no value. */
json_t *zk_kube_jsonpath_first(const zk_kube_jsonpath *p, const json_t *doc);

/* Text of a value as a printer column shows it: strings raw, integers and
 * reals as numbers, true/false, objects and arrays as compact JSON with
 * sorted keys. NULL for NULL or a JSON null. Caller frees. */
char *zk_kube_jsonpath_render(const json_t *v);

static inline void zk__jsonpath_freep(zk_kube_jsonpath **p) { zk_kube_jsonpath_free(*p); }
#define zk_autojsonpath __attribute__((cleanup(zk__jsonpath_freep)))

#endif
