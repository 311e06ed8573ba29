#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void zk_buf_init(zk_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void zk_buf_free(zk_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void zk_buf_reset(zk_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int zk__buf_reserve(zk_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return -ZK_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    if (cap < need)
        cap = need;
    b->data = zk_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int zk_buf_append(zk_buf *b, const void *data, size_t len)
{
    int rc = zk__buf_reserve(b, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int zk_buf_puts(zk_buf *b, const char *s)
{
    return zk_buf_append(b, s, strlen(s));
}

int zk_buf_putc(zk_buf *b, char c)
{
    return zk_buf_append(b, &c, 1);
}

int zk_buf_vprintf(zk_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return -ZK_EINVAL;
    int rc = zk__buf_reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int zk_buf_printf(zk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = zk_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int zk_buf_put_json_string(zk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rc = zk_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = zk_buf_append(b, s + start, i - start);
        if (rc < 0)
            break;
        switch (c) {
        case '"': rc = zk_buf_puts(b, "\\\""); break;
        case '\\': rc = zk_buf_puts(b, "\\\\"); break;
        case '\n': rc = zk_buf_puts(b, "\\n"); break;
        case '\r': rc = zk_buf_puts(b, "\\r"); break;
        case '\t': rc = zk_buf_puts(b, "\\t"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = zk_buf_append(b, esc, 6);
        }
        }
        start = i + 1;
    }
    if (rc == 0)
        rc = zk_buf_append(b, s + start, len - start);
    if (rc == 0)
        rc = zk_buf_putc(b, '"');
    return rc;
}

char *zk_buf_steal(zk_buf *b, size_t *len)
{
    char *d = b->data ? b->data : zk_xstrdup("");
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
