#include "base/mem.h"

#include <stdarg.h>
#include <string.h>

static void zk__oom(size_t n)
{
    fprintf(stderr, "zke: out of memory allocating %zu bytes\n", n);
    abort();
}

void *zk_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        zk__oom(n);
    return p;
}

void *zk_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        zk__oom(count * size);
    return p;
}

void *zk_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        zk__oom(n);
    return q;
}

char *zk_xstrdup(const char *s)
{
    return zk_xstrndup(s, strlen(s));
}

char *zk_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = zk_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* n bytes of s, NULs included, plus a terminating NUL. */
char *zk_xmemdupz(const void *s, size_t n)
{
    char *p = zk_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *zk_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        zk__oom(0);
    return s;
}
