/* zke base: a growable byte buffer with a hard maximum.
 *
 * Every growable buffer in zke has a bound. Appends that would take the
 * buffer past `max` fail with -ZK_ETOOBIG and leave the buffer unchanged.
 * The data is always NUL-terminated (the NUL is not counted in len). */
#ifndef ZK_BASE_BUF_H
#define ZK_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "base/err.h"

typedef struct zk_buf {
    char *data;   /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;   /* bytes, excluding the NUL */
} zk_buf;

#define ZK_BUF_INIT(maxbytes) { NULL, 0, 0, (maxbytes) }

void zk_buf_init(zk_buf *b, size_t max);
void zk_buf_free(zk_buf *b);
/* Drop the contents, keep the allocation. */
void zk_buf_reset(zk_buf *b);
int zk_buf_append(zk_buf *b, const void *data, size_t len);
int zk_buf_puts(zk_buf *b, const char *s);
int zk_buf_putc(zk_buf *b, char c);
int zk_buf_printf(zk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int zk_buf_vprintf(zk_buf *b, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included. */
int zk_buf_put_json_string(zk_buf *b, const char *s, size_t len);
/* Hand the data to the caller (NUL-terminated, never NULL); the buffer is emptied. */
char *zk_buf_steal(zk_buf *b, size_t *len);

static inline void zk__buf_freep(zk_buf *b) { zk_buf_free(b); }
#define zk_autobuf __attribute__((cleanup(zk__buf_freep)))

#endif
