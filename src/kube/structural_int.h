/* zke kube: internals shared by structural.c and structural_format.c.
 * Not a public header. */
#ifndef ZK_KUBE_STRUCTURAL_INT_H
#define ZK_KUBE_STRUCTURAL_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

/* A compiled `pattern` (ECMA-262 translated to POSIX ERE); ok false with
 * why set when it cannot be used. */
typedef struct pattern_entry {
    char *pattern;
    regex_t re;
    bool ok;
    char why[160];
} pattern_entry;

/* The cached compilation of pat (len bytes). Returns a shared entry, or
 * scratch (compiled for this call) when the cache is full; pass the result
 * and scratch to _pattern_release when done. Thread-safe. */
pattern_entry *zk_kube_structural__pattern_get(const char *pat, size_t len, pattern_entry *scratch);
void zk_kube_structural__pattern_release(pattern_entry *e, pattern_entry *scratch);
/* Whether s (n bytes) is valid in the OpenAPI string format fmt; unknown
 * formats pass. */
bool zk_kube_structural__format_ok(const char *fmt, const char *s, size_t n);

#endif
