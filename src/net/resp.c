/* zke net: the Redis protocol (resp.h). */
#include "net/resp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 16
#define ELEMS_MAX (1 << 20)
#define BYTES_MAX (64u << 20)

typedef struct parser {
    const char *p, *end;
    size_t elems, bytes;
    zk_err *err;
    bool bad;
} parser;

static int bad(parser *ps, const char *what)
{
    ps->bad = true;
    zk_err_set(ps->err, ZK_EPARSE, "redis protocol: %s", what);
    return -1;
}

/* The line at ps->p up to CRLF: *line, *len; 0 when incomplete. */
static int line(parser *ps, const char **l, size_t *len)
{
    const char *cr = memchr(ps->p, '\r', (size_t)(ps->end - ps->p));
    if (!cr || cr + 1 >= ps->end)
        return 0;
    if (cr[1] != '\n')
        return bad(ps, "a line does not end in CRLF");
    *l = ps->p;
    *len = (size_t)(cr - ps->p);
    ps->p = cr + 2;
    return 1;
}

static int number(parser *ps, const char *s, size_t len, long long *out)
{
    if (!len || len > 20)
        return bad(ps, "bad number");
    char buf[24];
    memcpy(buf, s, len);
    buf[len] = 0;
    char *e;
    errno = 0;
    long long v = strtoll(buf, &e, 10);
    if (*e || errno)
        return bad(ps, "bad number");
    *out = v;
    return 0;
}

static int value(parser *ps, int depth, json_t **out);

static int aggregate(parser *ps, int depth, long long count, bool map, json_t **out)
{
    if (count < 0) {
        *out = json_null();
        return 1;
    }
    if (map)
        count = count > ELEMS_MAX ? ELEMS_MAX + 1 : count * 2;
    if (count > ELEMS_MAX || (ps->elems += (size_t)count) > ELEMS_MAX)
        return bad(ps, "too many elements");
    if (depth >= DEPTH_MAX)
        return bad(ps, "nested too deeply");
    json_t *arr = json_array();
    for (long long i = 0; i < count; i++) {
        json_t *v = NULL;
        int rc = value(ps, depth + 1, &v);
        if (rc <= 0) {
            json_decref(arr);
            return rc;
        }
        json_array_append_new(arr, v);
    }
    *out = arr;
    return 1;
}

/* 1 done, 0 incomplete, -1 malformed */
static int value(parser *ps, int depth, json_t **out)
{
    if (ps->p >= ps->end)
        return 0;
    char type = *ps->p++;
    const char *l;
    size_t len;
    int rc = line(ps, &l, &len);
    if (rc <= 0)
        return rc;
    long long n;
    switch (type) {
    case '+':
        *out = json_stringn_nocheck(l, len);
        return 1;
    case '-':
    case '!':   /* RESP3 blob error: the length line, then the message */
        if (type == '!') {
            if (number(ps, l, len, &n) < 0 || n < 0)
                return bad(ps, "bad error length");
            if ((size_t)(ps->end - ps->p) < (size_t)n + 2)
                return 0;
            l = ps->p;
            len = (size_t)n;
            ps->p += n + 2;
        }
        *out = json_pack("{s:s%}", "error", l, len);
        if (!*out)
            *out = json_pack("{s:s}", "error", "(not UTF-8)");
        return 1;
    case ':':
        if (number(ps, l, len, &n) < 0)
            return -1;
        *out = json_integer(n);
        return 1;
    case ',': {
        char buf[64];
        if (len >= sizeof(buf))
            return bad(ps, "bad double");
        memcpy(buf, l, len);
        buf[len] = 0;
        char *e;
        double d = strtod(buf, &e);
        if (*e)
            return bad(ps, "bad double");
        *out = json_real(d);
        return 1;
    }
    case '_':
        *out = json_null();
        return 1;
    case '#':
        *out = json_boolean(len == 1 && l[0] == 't');
        return 1;
    case '$':
    case '=': {   /* bulk string, RESP3 verbatim string */
        if (number(ps, l, len, &n) < 0)
            return -1;
        if (n < 0) {
            *out = json_null();
            return 1;
        }
        if ((unsigned long long)n > BYTES_MAX || (ps->bytes += (size_t)n) > BYTES_MAX)
            return bad(ps, "string too long");
        if ((size_t)(ps->end - ps->p) < (size_t)n + 2)
            return 0;
        if (ps->p[n] != '\r' || ps->p[n + 1] != '\n')
            return bad(ps, "a string does not end in CRLF");
        *out = json_stringn_nocheck(ps->p, (size_t)n);
        ps->p += n + 2;
        return 1;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|':
        if (number(ps, l, len, &n) < 0)
            return -1;
        if (type == '|') {   /* attributes: read and drop, then the value they annotate */
            json_t *attrs = NULL;
            rc = aggregate(ps, depth, n, true, &attrs);
            json_decref(attrs);
            if (rc <= 0)
                return rc;
            return value(ps, depth, out);
        }
        return aggregate(ps, depth, n, type == '%', out);
    default:
        return bad(ps, "unknown reply type");
    }
}

ssize_t zk_resp_parse(const char *p, size_t n, json_t **out, zk_err *err)
{
    parser ps = {p, p + n, 0, 0, err, false};
    *out = NULL;
    json_t *v = NULL;
    int rc = value(&ps, 0, &v);
    if (rc < 0 || ps.bad) {
        json_decref(v);
        return -1;
    }
    if (rc == 0) {
        json_decref(v);
        return 0;
    }
    *out = v;
    return ps.p - p;
}

int zk_resp_command(zk_buf *b, size_t argc, const char *const *argv)
{
    if (zk_buf_printf(b, "*%zu\r\n", argc) < 0)
        return -1;
    for (size_t i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (zk_buf_printf(b, "$%zu\r\n", len) < 0 || zk_buf_append(b, argv[i], len) < 0 ||
            zk_buf_append(b, "\r\n", 2) < 0)
            return -1;
    }
    return 0;
}
