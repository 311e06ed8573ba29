/* zke base: small string builders for hot paths, where snprintf's format
 * machinery costs more than the copying (keys, paths, revisions). */
#ifndef ZK_BASE_STR_H
#define ZK_BASE_STR_H

#include <stddef.h>
#include <stdint.h>

/* Concatenate the strings (a NULL ends the list) into out, as
 * snprintf(out, n, "%s%s...") does: at most n - 1 bytes and a NUL (when
 * n > 0). Returns the full length, so a result >= n means it was cut. */
size_t zk_str_concat(char *out, size_t n, ...) __attribute__((sentinel));

/* v in decimal into out, which has room for 21 bytes; returns the length. */
size_t zk_str_i64(char *out, int64_t v);
/* Percent-escape s as a URL query value into out (n bytes, NUL included;
 * a value too long is cut at a whole escape). */
void zk_str_query_escape(char *out, size_t n, const char *s);

/* FNV-1a of a string, 32 and 64 bit: names derived from names (a node's
 * bridge, a Service port's iptables chains), stable across versions. */
uint32_t zk_fnv1a32(const char *s);
uint64_t zk_fnv1a64(const char *s);

/* n bytes as 2n lower-case hex digits into out (no NUL added). */
void zk_str_hex(char *out, const unsigned char *bytes, size_t n);

/* Decode standard base64 (RFC 4648, '=' padding optional, whitespace
 * skipped) into out (at most cap bytes). Returns the length, or -1 for a
 * character outside the alphabet or an output over cap. */
int zk_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap);
/* Standard base64 of len bytes, padded, NUL-terminated (caller frees). */
char *zk_base64_encode(const void *in, size_t len);

#endif
