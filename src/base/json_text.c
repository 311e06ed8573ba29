/* zke base: JSON text to jansson trees and back, on the request path.
 *
 * jansson's reader takes a character at a time through a stream with a
 * UTF-8 check per byte, ~130 instructions per byte of a long string value;
 * its writer is nearly as slow. Objects are mostly long runs of plain ASCII,
 * so here both directions skip such runs eight bytes at a time and hand
 * jansson whole strings (the _nocheck constructors: UTF-8 is checked here).
 *
 * The reader accepts a subset of what json_loadb() accepts and builds the
 * same tree, key order included. Whatever it does not accept (errors, and a
 * few rare valid forms: \u0000, numbers out of range, nesting deeper than
 * ZK_JSON_MAX_DEPTH) goes to json_loadb(), so results and error messages
 * are jansson's. The writer gives what json_dumps(JSON_COMPACT |
 * JSON_ENCODE_ANY) gives, byte for byte; reals are formatted by jansson. */
#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#define ZK__ONES 0x0101010101010101ull
#define ZK__HIGH 0x8080808080808080ull

/* True when one of the 8 bytes of w is '"', '\\', a control character or
 * not ASCII: the bytes that a JSON string cannot hold as they are. */
static inline bool zk__special8(uint64_t w)
{
    uint64_t q = w ^ (ZK__ONES * '"'), b = w ^ (ZK__ONES * '\\');
    uint64_t t = (w - ZK__ONES * 0x20) | (q - ZK__ONES) | (b - ZK__ONES);
    /* a byte >= 0x80 is special by itself; (x - k) & ~x & HIGH finds a byte
     * below k among the others */
    return ((t & ~w) | w) & ZK__HIGH;
}

static inline bool zk__plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* The longest run of plain bytes at p. */
static inline const char *zk__plain_run(const char *p, const char *end)
{
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (zk__special8(w))
            break;
        p += 8;
    }
    while (p < end && zk__plain((unsigned char)*p))
        p++;
    return p;
}

/* ------------------------------------------------------------- reading */

typedef struct zk__jr {
    const char *p, *end;
    int depth;
    char *tmp;             /* strings with escapes or non-ASCII, unescaped */
    size_t tmplen, tmpcap;
} zk__jr;

static json_t *zk__jr_value(zk__jr *r);

static inline void zk__jr_ws(zk__jr *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static void zk__jr_put(zk__jr *r, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (r->tmpcap - r->tmplen < n) {
        size_t cap = r->tmpcap ? r->tmpcap : 256;
        while (cap - r->tmplen < n)
            cap *= 2;
        r->tmp = zk_xrealloc(r->tmp, cap);
        r->tmpcap = cap;
    }
    memcpy(r->tmp + r->tmplen, s, n);
    r->tmplen += n;
}

static int zk__hex4(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (a byte >= 0x80), or 0. */
static size_t zk__utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t v;
    if (c < 0xC2)
        return 0;
    if (c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
    } else if (c <= 0xF4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n;
}

static void zk__jr_put_cp(zk__jr *r, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    zk__jr_put(r, b, n);
}

/* A string at r->p (on its opening quote). *s points into the input when
 * it holds nothing to unescape, else into r->tmp (valid until the next
 * string). */
static int zk__jr_string(zk__jr *r, const char **s, size_t *n)
{
    const char *start = ++r->p;
    const char *p = zk__plain_run(start, r->end);
    if (p < r->end && *p == '"') {
        *s = start;
        *n = (size_t)(p - start);
        r->p = p + 1;
        return 0;
    }
    r->tmplen = 0;
    zk__jr_put(r, start, (size_t)(p - start));
    for (;;) {
        if (p >= r->end)
            return -1;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c == '\\') {
            if (r->end - p < 2)
                return -1;
            char e = p[1];
            p += 2;
            char one;
            switch (e) {
            case '"': one = '"'; break;
            case '\\': one = '\\'; break;
            case '/': one = '/'; break;
            case 'b': one = '\b'; break;
            case 'f': one = '\f'; break;
            case 'n': one = '\n'; break;
            case 'r': one = '\r'; break;
            case 't': one = '\t'; break;
            case 'u': {
                unsigned v, lo;
                if (zk__hex4(p, r->end, &v) < 0)
                    return -1;
                p += 4;
                if (v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
                    return -1; /* \u0000 depends on the flags: jansson decides */
                if (v >= 0xD800 && v <= 0xDBFF) {
                    if (r->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                        zk__hex4(p + 2, r->end, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                        return -1;
                    p += 6;
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                }
                zk__jr_put_cp(r, v);
                continue;
            }
            default:
                return -1;
            }
            zk__jr_put(r, &one, 1);
            continue;
        }
        if (c >= 0x80) {
            size_t k = zk__utf8_len((const unsigned char *)p, (const unsigned char *)r->end);
            if (!k)
                return -1;
            zk__jr_put(r, p, k);
            p += k;
            continue;
        }
        if (c < 0x20)
            return -1;
        const char *q = zk__plain_run(p, r->end);
        zk__jr_put(r, p, (size_t)(q - p));
        p = q;
    }
    *s = r->tmp ? r->tmp : "";
    *n = r->tmplen;
    r->p = p + 1;
    return 0;
}

static json_t *zk__jr_number(zk__jr *r)
{
    const char *p = r->p, *start = p;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p >= r->end || *p < '0' || *p > '9')
        return NULL;
    if (*p == '0' && p + 1 < r->end && p[1] >= '0' && p[1] <= '9')
        return NULL;
    uint64_t v = 0;
    bool big = false;
    while (p < r->end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            big = true;
        else
            v = v * 10 + d;
        p++;
    }
    bool real = p < r->end && (*p == '.' || *p == 'e' || *p == 'E');
    if (!real) {
        if (big || v > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
            return NULL; /* out of range: jansson's error */
        r->p = p;
        if (neg)
            return json_integer(v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)v);
        return json_integer((json_int_t)v);
    }
    if (*p == '.') {
        p++;
        const char *f = p;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return NULL;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < r->end && (*p == '+' || *p == '-'))
            p++;
        const char *x = p;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
        if (p == x)
            return NULL;
    }
    char buf[64];
    size_t n = (size_t)(p - start);
    if (n >= sizeof(buf))
        return NULL;
    memcpy(buf, start, n);
    buf[n] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    if (errno == ERANGE && isinf(d))
        return NULL;
    r->p = p;
    return json_real(d);
}

static json_t *zk__jr_object(zk__jr *r)
{
    if (++r->depth > ZK_JSON_MAX_DEPTH)
        return NULL;
    r->p++;
    json_t *obj = json_object();
    zk__jr_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        r->depth--;
        return obj;
    }
    for (;;) {
        zk__jr_ws(r);
        if (r->p >= r->end || *r->p != '"')
            goto fail;
        const char *k;
        size_t kn;
        if (zk__jr_string(r, &k, &kn) < 0)
            goto fail;
        char *kcopy = NULL;
        if (k == r->tmp) /* the value's strings reuse tmp */
            k = kcopy = zk_xstrndup(k, kn);
        zk__jr_ws(r);
        json_t *v = NULL;
        if (r->p < r->end && *r->p == ':') {
            r->p++;
            v = zk__jr_value(r);
        }
        if (!v || json_object_setn_new_nocheck(obj, k, kn, v) < 0) {
            free(kcopy);
            goto fail;
        }
        free(kcopy);
        zk__jr_ws(r);
        if (r->p >= r->end)
            goto fail;
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p != '}')
            goto fail;
        r->p++;
        r->depth--;
        return obj;
    }
fail:
    json_decref(obj);
    return NULL;
}

static json_t *zk__jr_array(zk__jr *r)
{
    if (++r->depth > ZK_JSON_MAX_DEPTH)
        return NULL;
    r->p++;
    json_t *arr = json_array();
    zk__jr_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        r->depth--;
        return arr;
    }
    for (;;) {
        json_t *v = zk__jr_value(r);
        if (!v || json_array_append_new(arr, v) < 0)
            goto fail;
        zk__jr_ws(r);
        if (r->p >= r->end)
            goto fail;
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p != ']')
            goto fail;
        r->p++;
        r->depth--;
        return arr;
    }
fail:
    json_decref(arr);
    return NULL;
}

static bool zk__jr_word(zk__jr *r, const char *w, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n))
        return false;
    r->p += n;
    return true;
}

static json_t *zk__jr_value(zk__jr *r)
{
    zk__jr_ws(r);
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
        return zk__jr_object(r);
    case '[':
        return zk__jr_array(r);
    case '"': {
        const char *s;
        size_t n;
        if (zk__jr_string(r, &s, &n) < 0)
            return NULL;
        return json_stringn_nocheck(s, n);
    }
    case 't':
        return zk__jr_word(r, "true", 4) ? json_true() : NULL;
    case 'f':
        return zk__jr_word(r, "false", 5) ? json_false() : NULL;
    case 'n':
        return zk__jr_word(r, "null", 4) ? json_null() : NULL;
    default:
        return zk__jr_number(r);
    }
}

json_t *zk_json_read(const char *data, size_t len, bool any)
{
    zk__jr r = {.p = data, .end = data + len};
    json_t *j = NULL;
    zk__jr_ws(&r);
    if (r.p < r.end && (any || *r.p == '{' || *r.p == '['))
        j = zk__jr_value(&r);
    if (j) {
        zk__jr_ws(&r);
        if (r.p != r.end) {
            json_decref(j);
            j = NULL;
        }
    }
    free(r.tmp);
    return j;
}

json_t *zk_json_loadb(const char *data, size_t len, size_t flags, json_error_t *err)
{
    json_t *j = zk_json_read(data, len, flags & JSON_DECODE_ANY);
    if (j)
        return j;
    /* not the common case: jansson decides, and words the error */
    return json_loadb(data, len, flags, err);
}

/* ------------------------------------------------------------- writing */

typedef struct zk__jw {
    char *d;
    size_t len, cap;
} zk__jw;

static void zk__jw_grow(zk__jw *w, size_t n)
{
    size_t cap = w->cap ? w->cap : 1024;
    while (cap - w->len < n + 1)
        cap *= 2;
    w->d = zk_xrealloc(w->d, cap);
    w->cap = cap;
}

static inline void zk__jw_put(zk__jw *w, const char *s, size_t n)
{
    if (w->cap - w->len < n + 1)
        zk__jw_grow(w, n);
    memcpy(w->d + w->len, s, n);
    w->len += n;
}

static inline void zk__jw_putc(zk__jw *w, char c)
{
    if (w->cap - w->len < 2)
        zk__jw_grow(w, 1);
    w->d[w->len++] = c;
}

static void zk__jw_string(zk__jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *end = s + n;
    zk__jw_putc(w, '"');
    while (s < end) {
        /* bytes >= 0x80 go out as they are (jansson checked them) */
        const char *q = s;
        for (;;) {
            q = zk__plain_run(q, end);
            if (q < end && (unsigned char)*q >= 0x80)
                q++;
            else
                break;
        }
        zk__jw_put(w, s, (size_t)(q - s));
        s = q;
        if (s >= end)
            break;
        unsigned char c = (unsigned char)*s++;
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            en = 6;
            break;
        }
        zk__jw_put(w, e, en);
    }
    zk__jw_putc(w, '"');
}

static void zk__jw_int(zk__jw *w, json_int_t v)
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
    zk__jw_put(w, p, (size_t)(b + sizeof(b) - p));
}

static int zk__jw_value(zk__jw *w, const json_t *j, int depth)
{
    if (depth > 2048)
        return -1; /* a tree this deep was not built by a decoder */
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        zk__jw_putc(w, '{');
        bool first = true;
        for (void *it = json_object_iter((json_t *)j); it;
             it = json_object_iter_next((json_t *)j, it)) {
            if (!first)
                zk__jw_putc(w, ',');
            first = false;
            zk__jw_string(w, json_object_iter_key(it), json_object_iter_key_len(it));
            zk__jw_putc(w, ':');
            if (zk__jw_value(w, json_object_iter_value(it), depth + 1) < 0)
                return -1;
        }
        zk__jw_putc(w, '}');
        return 0;
    }
    case JSON_ARRAY: {
        zk__jw_putc(w, '[');
        size_t n = json_array_size(j);
        for (size_t i = 0; i < n; i++) {
            if (i)
                zk__jw_putc(w, ',');
            if (zk__jw_value(w, json_array_get(j, i), depth + 1) < 0)
                return -1;
        }
        zk__jw_putc(w, ']');
        return 0;
    }
    case JSON_STRING:
        zk__jw_string(w, json_string_value(j), json_string_length(j));
        return 0;
    case JSON_INTEGER:
        zk__jw_int(w, json_integer_value(j));
        return 0;
    case JSON_REAL: {
        char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s)
            return -1;
        zk__jw_put(w, s, strlen(s));
        free(s);
        return 0;
    }
    case JSON_TRUE:
        zk__jw_put(w, "true", 4);
        return 0;
    case JSON_FALSE:
        zk__jw_put(w, "false", 5);
        return 0;
    case JSON_NULL:
        zk__jw_put(w, "null", 4);
        return 0;
    }
    return -1;
}

char *zk_json_write(const json_t *j, size_t *len)
{
    zk__jw w = {0};
    if (!j || zk__jw_value(&w, j, 0) < 0) {
        free(w.d);
        /* deeper than any decoder builds: jansson recurses without a bound */
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (s && len)
            *len = strlen(s);
        return s;
    }
    zk__jw_putc(&w, '\0');
    if (len)
        *len = w.len - 1;
    /* the text is often kept (a stored object): give back what doubling
     * left over, as jansson's exact copy did */
    if (w.cap - w.len >= 64)
        w.d = zk_xrealloc(w.d, w.len);
    return w.d;
}
