#include "base/str.h"

#include <stdarg.h>
#include <string.h>

size_t zk_str_concat(char *out, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    size_t len = 0;
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL) {
        size_t k = strlen(s);
        if (len < n) {
            size_t room = n - 1 - len;
            memcpy(out + len, s, k < room ? k : room);
        }
        len += k;
    }
    va_end(ap);
    if (n)
        out[len < n ? len : n - 1] = '\0';
    return len;
}

size_t zk_str_i64(char *out, int64_t v)
{
    char b[24];
    char *p = b + sizeof(b);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    size_t len = (size_t)(b + sizeof(b) - p);
    memcpy(out, p, len);
    out[len] = '\0';
    return len;
}

void zk_str_hex(char *out, const unsigned char *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
}
