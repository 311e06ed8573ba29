#include "base/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/json.h"
#include "base/mem.h"

/* ------------------------------------------------------------------------
 * Scalar resolution, as go-yaml v2's resolve() does it for untagged plain
 * scalars (and for scalars tagged !!int, !!bool, ...).
 * ------------------------------------------------------------------------ */

typedef enum yr_kind {
    YR_STR,
    YR_NULL,
    YR_BOOL,
    YR_INT,   /* fits int64 */
    YR_UINT,  /* past int64, fits uint64 */
    YR_FLOAT,
    YR_BIG,   /* an integer past uint64 (hex, octal or binary); f approximates it */
    YR_TIME,  /* a timestamp; time holds its RFC 3339 rendering */
    YR_MERGE, /* a plain "<<": a merge when it is a key, else the text */
} yr_kind;

typedef struct yr_value {
    yr_kind kind;
    bool b;
    int64_t i;
    uint64_t u;
    double f;
    char time[128];
} yr_value;

static const struct {
    const char *s;
    yr_kind kind;
    int v; /* bool value; for floats 0 = NaN, 1 = +Inf, -1 = -Inf */
} yr_words[] = {
    { "y", YR_BOOL, 1 },      { "Y", YR_BOOL, 1 },      { "yes", YR_BOOL, 1 },
    { "Yes", YR_BOOL, 1 },    { "YES", YR_BOOL, 1 },    { "true", YR_BOOL, 1 },
    { "True", YR_BOOL, 1 },   { "TRUE", YR_BOOL, 1 },   { "on", YR_BOOL, 1 },
    { "On", YR_BOOL, 1 },     { "ON", YR_BOOL, 1 },     { "n", YR_BOOL, 0 },
    { "N", YR_BOOL, 0 },      { "no", YR_BOOL, 0 },     { "No", YR_BOOL, 0 },
    { "NO", YR_BOOL, 0 },     { "false", YR_BOOL, 0 },  { "False", YR_BOOL, 0 },
    { "FALSE", YR_BOOL, 0 },  { "off", YR_BOOL, 0 },    { "Off", YR_BOOL, 0 },
    { "OFF", YR_BOOL, 0 },    { "", YR_NULL, 0 },       { "~", YR_NULL, 0 },
    { "null", YR_NULL, 0 },   { "Null", YR_NULL, 0 },   { "NULL", YR_NULL, 0 },
    { ".nan", YR_FLOAT, 0 },  { ".NaN", YR_FLOAT, 0 },  { ".NAN", YR_FLOAT, 0 },
    { ".inf", YR_FLOAT, 1 },  { ".Inf", YR_FLOAT, 1 },  { ".INF", YR_FLOAT, 1 },
    { "+.inf", YR_FLOAT, 1 }, { "+.Inf", YR_FLOAT, 1 }, { "+.INF", YR_FLOAT, 1 },
    { "-.inf", YR_FLOAT, -1 }, { "-.Inf", YR_FLOAT, -1 }, { "-.INF", YR_FLOAT, -1 },
};

/* go-yaml's hint from the first byte: 'S'ign, 'D'igit, 'M'ap word, '.'. */
static char yr_hint(unsigned char c)
{
    if (c == '+' || c == '-')
        return 'S';
    if (c >= '0' && c <= '9')
        return 'D';
    if (c != '\0' && strchr("yYnNtTfFoO~", c))
        return 'M';
    if (c == '.')
        return '.';
    return 0;
}

static bool yr_digit(char c) { return c >= '0' && c <= '9'; }
static char yr_lower(char c) { return (char)(c | 0x20); }

typedef enum { GO_OK, GO_SYNTAX, GO_RANGE } go_err;

/* strconv.ParseUint(s, 0, 64) on a string without underscores. */
static go_err go_parse_uint(const char *s, size_t n, uint64_t *out)
{
    unsigned base = 10;
    size_t i = 0;
    uint64_t v = 0;

    if (n == 0)
        return GO_SYNTAX;
    if (s[0] == '0') {
        char p = n >= 3 ? yr_lower(s[1]) : 0;
        if (p == 'b' || p == 'o' || p == 'x') {
            base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
            i = 2;
        } else {
            base = 8;
            i = 1;
        }
    }
    for (; i < n; i++) {
        char c = s[i], lc = yr_lower(c);
        unsigned d;
        if (yr_digit(c))
            d = (unsigned)(c - '0');
        else if (lc >= 'a' && lc <= 'z')
            d = (unsigned)(lc - 'a' + 10);
        else
            return GO_SYNTAX;
        if (d >= base)
            return GO_SYNTAX;
        if (v > (UINT64_MAX - d) / base)
            return GO_RANGE;
        v = v * base + d;
    }
    *out = v;
    return GO_OK;
}

/* strconv.ParseInt(s, 0, 64). */
static go_err go_parse_int(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    uint64_t u;
    go_err e;

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if ((e = go_parse_uint(s, n, &u)) != GO_OK)
        return e;
    if (!neg && u > (uint64_t)INT64_MAX)
        return GO_RANGE;
    if (neg && u > (uint64_t)INT64_MAX + 1)
        return GO_RANGE;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return GO_OK;
}

/* big.Int.SetString(s, 0), approximated as a double. */
static bool go_parse_big(const char *s, size_t n, double *out)
{
    bool neg = false;
    unsigned base = 10;
    size_t i = 0;
    double v = 0;

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i + 1 < n && s[i] == '0') {
        char p = yr_lower(s[i + 1]);
        if (p == 'b' || p == 'o' || p == 'x') {
            base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
            i += 2;
        } else {
            base = 8;
            i += 1;
        }
    }
    if (i >= n)
        return false;
    for (; i < n; i++) {
        char c = s[i], lc = yr_lower(c);
        unsigned d;
        if (yr_digit(c))
            d = (unsigned)(c - '0');
        else if (lc >= 'a' && lc <= 'z')
            d = (unsigned)(lc - 'a' + 10);
        else
            return false;
        if (d >= base)
            return false;
        v = v * base + d;
    }
    *out = neg ? -v : v;
    return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t n)
{
    size_t i = 0, d;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        i++;
        for (d = i; i < n && yr_digit(s[i]); i++)
            ;
        if (i == d)
            return false;
    } else {
        for (d = i; i < n && yr_digit(s[i]); i++)
            ;
        if (i == d)
            return false;
        if (i < n && s[i] == '.')
            for (i++; i < n && yr_digit(s[i]); i++)
                ;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = i; i < n && yr_digit(s[i]); i++)
            ;
        if (i == d)
            return false;
    }
    return i == n;
}

/* strconv.ParseFloat on text already known to be a plain decimal float:
 * fails on overflow, as Go does (underflow is not an error). */
static bool parse_float(const char *s, size_t n, double *out)
{
    char stackbuf[128];
    zk_autofree char *heap = NULL;
    char *buf = stackbuf, *end;

    if (n >= sizeof stackbuf)
        buf = heap = zk_xmalloc(n + 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    if (end == buf || *end != '\0')
        return false;
    if (errno == ERANGE && isinf(*out))
        return false;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Go's getnum(s, false): one or two digits. */
static bool get_num12(const char *s, size_t n, size_t *i, int *out)
{
    if (*i >= n || !yr_digit(s[*i]))
        return false;
    *out = s[(*i)++] - '0';
    if (*i < n && yr_digit(s[*i]))
        *out = *out * 10 + (s[(*i)++] - '0');
    return true;
}

/* go-yaml's timestamp formats, via Go's time.Parse:
 *   2006-1-2T15:4:5.999999999Z07:00, the same with 't',
 *   2006-1-2 15:4:5.999999999 (UTC), 2006-1-2 (midnight UTC)
 * rendered as encoding/json renders a time.Time (RFC 3339, nanoseconds). */
static bool parse_timestamp(const char *s, size_t n, char *out, size_t outlen)
{
    size_t i = 0;
    int year = 0, mon, day, hour = 0, min = 0, sec = 0, zh = 0, zm = 0;
    char frac[10] = "", sep = 0, zsign = 0;

    while (i < n && yr_digit(s[i]))
        i++;
    if (i != 4 || i == n || s[i] != '-')
        return false;
    for (size_t k = 0; k < 4; k++)
        year = year * 10 + (s[k] - '0');
    i++;
    if (!get_num12(s, n, &i, &mon) || i >= n || s[i] != '-')
        return false;
    i++;
    if (!get_num12(s, n, &i, &day))
        return false;
    if (i < n) {
        sep = s[i++];
        if (sep != 'T' && sep != 't' && sep != ' ')
            return false;
        if (!get_num12(s, n, &i, &hour) || i >= n || s[i++] != ':')
            return false;
        if (!get_num12(s, n, &i, &min) || i >= n || s[i++] != ':')
            return false;
        if (!get_num12(s, n, &i, &sec))
            return false;
        if (i + 1 < n && (s[i] == '.' || s[i] == ',') && yr_digit(s[i + 1])) {
            size_t k = 0;
            for (i++; i < n && yr_digit(s[i]); i++)
                if (k < 9)
                    frac[k++] = s[i];
            frac[k] = '\0';
        }
        if (sep != ' ') {
            if (i < n && s[i] == 'Z') {
                i++;
            } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && yr_digit(s[i + 1]) &&
                       yr_digit(s[i + 2]) && s[i + 3] == ':' && yr_digit(s[i + 4]) &&
                       yr_digit(s[i + 5])) {
                zsign = s[i];
                zh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
                zm = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
                i += 6;
            } else {
                return false;
            }
        }
        if (i != n)
            return false;
    }
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 ||
        min > 59 || sec > 59 || zh > 24 || zm > 60)
        return false;
    /* trailing zeros of the fraction are dropped, as RFC3339Nano does */
    for (size_t k = strlen(frac); k > 0 && frac[k - 1] == '0'; k--)
        frac[k - 1] = '\0';
    if (zsign && (zh || zm))
        snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%s%s%c%02d:%02d", year, mon, day,
                 hour, min, sec, frac[0] ? "." : "", frac, zsign, zh, zm);
    else
        snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%s%sZ", year, mon, day, hour, min,
                 sec, frac[0] ? "." : "", frac);
    return true;
}

static yr_kind yaml_resolve(const char *in, size_t n, bool allow_time, yr_value *v)
{
    char hint = n ? yr_hint((unsigned char)in[0]) : 'N';

    memset(v, 0, sizeof *v);
    v->kind = YR_STR;
    if (hint == 0)
        return v->kind;
    for (size_t k = 0; k < ZK_ARRAY_LEN(yr_words); k++) {
        if (strlen(yr_words[k].s) == n && memcmp(yr_words[k].s, in, n) == 0) {
            v->kind = yr_words[k].kind;
            v->b = yr_words[k].v != 0;
            if (v->kind == YR_FLOAT)
                v->f = yr_words[k].v == 0 ? NAN : yr_words[k].v > 0 ? INFINITY : -INFINITY;
            return v->kind;
        }
    }
    if (hint == '.') {
        if (parse_float(in, n, &v->f))
            v->kind = YR_FLOAT;
        return v->kind;
    }
    if (hint != 'D' && hint != 'S')
        return v->kind;

    if (allow_time && parse_timestamp(in, n, v->time, sizeof v->time))
        return v->kind = YR_TIME;

    char stackbuf[128];
    zk_autofree char *heap = NULL;
    char *plain = n < sizeof stackbuf ? stackbuf : (heap = zk_xmalloc(n + 1));
    size_t pn = 0;
    go_err uerr;
    for (size_t k = 0; k < n; k++)
        if (in[k] != '_')
            plain[pn++] = in[k];

    if (go_parse_int(plain, pn, &v->i) == GO_OK)
        return v->kind = YR_INT;
    if ((uerr = go_parse_uint(plain, pn, &v->u)) == GO_OK)
        return v->kind = YR_UINT;
    if (yaml_style_float(plain, pn) && parse_float(plain, pn, &v->f))
        return v->kind = YR_FLOAT;
    if (uerr == GO_RANGE && go_parse_big(plain, pn, &v->f))
        return v->kind = YR_BIG;
    return v->kind;
}

/* strconv.FormatFloat(float64(float32(d)), 'g', -1, 32): go-yaml's and
 * sigs.k8s.io/yaml's rendering of float map keys. */
static void go_format_float32(double d, char *out, size_t outlen)
{
    float f = (float)d;
    char buf[40], digits[16];
    int exp10 = 0, nd = 0, len = 0;
    bool neg;

    if (isnan(f)) {
        snprintf(out, outlen, ".nan");
        return;
    }
    if (isinf(f)) {
        snprintf(out, outlen, f > 0 ? ".inf" : "-.inf");
        return;
    }
    if (f == 0) {
        snprintf(out, outlen, signbit(f) ? "-0" : "0");
        return;
    }
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, (double)f);
        if (strtof(buf, NULL) == f)
            break;
    }
    neg = buf[0] == '-';
    for (const char *p = buf + neg; *p && *p != 'e'; p++)
        if (yr_digit(*p) && nd < (int)sizeof digits - 1)
            digits[nd++] = *p;
    digits[nd] = '\0';
    exp10 = atoi(strchr(buf, 'e') + 1);

    char res[64];
    if (neg)
        res[len++] = '-';
    if (exp10 < -4 || exp10 >= 6) {
        res[len++] = digits[0];
        if (nd > 1) {
            res[len++] = '.';
            for (int k = 1; k < nd; k++)
                res[len++] = digits[k];
        }
        len += snprintf(res + len, sizeof res - (size_t)len, "e%c%02d", exp10 < 0 ? '-' : '+',
                        exp10 < 0 ? -exp10 : exp10);
    } else if (exp10 >= 0) {
        for (int k = 0; k <= exp10; k++)
            res[len++] = k < nd ? digits[k] : '0';
        if (nd > exp10 + 1) {
            res[len++] = '.';
            for (int k = exp10 + 1; k < nd; k++)
                res[len++] = digits[k];
        }
        res[len] = '\0';
    } else {
        res[len++] = '0';
        res[len++] = '.';
        for (int k = 0; k < -exp10 - 1; k++)
            res[len++] = '0';
        for (int k = 0; k < nd; k++)
            res[len++] = digits[k];
        res[len] = '\0';
    }
    snprintf(out, outlen, "%s", res);
}

/* ------------------------------------------------------------------------
 * Decoding: libyaml events into a jansson tree, bounded.
 * ------------------------------------------------------------------------ */

typedef struct yanchor {
    json_t *node;  /* a reference to the anchored value */
    size_t nodes;  /* JSON values in it, aliases expanded */
    size_t bytes;  /* string bytes in it (keys included) */
    int height;    /* collection levels: 0 for a scalar */
} yanchor;

typedef struct yframe {
    json_t *node;   /* the array or object being filled */
    bool is_map;
    char *key;      /* pending key, owned; NULL while a key is expected */
    size_t key_len;
    bool merge;     /* the pending key is "<<" */
    char *anchor;   /* to register when the collection ends, owned */
    size_t nodes0;  /* counters when it started */
    size_t bytes0;
    int child_height;
} yframe;

typedef struct ybuild {
    yframe stack[ZK_JSON_MAX_DEPTH];
    int depth;
    json_t *root;          /* the current document's value once complete */
    bool have_root;
    yanchor *anchors;
    size_t n_anchors, cap_anchors;
    json_t *anchor_index;  /* anchor name -> index into anchors */
    size_t nodes, bytes;
    size_t max_bytes;      /* bound on string bytes, aliases expanded */
    zk_err *err;
} ybuild;

__attribute__((format(printf, 4, 5)))
static int yb_fail(ybuild *b, int code, const yaml_mark_t *m, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return zk_err_set(b->err, code, "yaml: line %zu, column %zu: %s", m->line + 1, m->column + 1,
                      msg);
}

static void yb_clear_anchors(ybuild *b)
{
    for (size_t i = 0; i < b->n_anchors; i++)
        json_decref(b->anchors[i].node);
    b->n_anchors = 0;
    json_object_clear(b->anchor_index);
}

static void yb_free(ybuild *b)
{
    while (b->depth > 0) {
        yframe *f = &b->stack[--b->depth];
        json_decref(f->node);
        free(f->key);
        free(f->anchor);
    }
    yb_clear_anchors(b);
    free(b->anchors);
    json_decref(b->anchor_index);
    json_decref(b->root);
    b->root = NULL;
}

static void yb_register(ybuild *b, const char *name, json_t *node, size_t nodes, size_t bytes,
                        int height)
{
    if (b->n_anchors == b->cap_anchors) {
        b->cap_anchors = b->cap_anchors ? b->cap_anchors * 2 : 16;
        b->anchors = zk_xrealloc(b->anchors, b->cap_anchors * sizeof *b->anchors);
    }
    b->anchors[b->n_anchors] = (yanchor){ json_incref(node), nodes, bytes, height };
    /* a later anchor of the same name replaces the earlier one */
    json_object_set_new(b->anchor_index, name, json_integer((json_int_t)b->n_anchors));
    b->n_anchors++;
}

static int yb_count(ybuild *b, size_t nodes, size_t bytes, const yaml_mark_t *m)
{
    if (nodes > ZK_YAML_MAX_NODES - b->nodes)
        return yb_fail(b, ZK_ETOOBIG, m, "document expands to more than %d values",
                       ZK_YAML_MAX_NODES);
    if (bytes > b->max_bytes - b->bytes)
        return yb_fail(b, ZK_ETOOBIG, m, "document expands to more than %zu bytes of strings",
                       b->max_bytes);
    b->nodes += nodes;
    b->bytes += bytes;
    return 0;
}

static int yb_merge(ybuild *b, json_t *obj, json_t *v, const yaml_mark_t *m)
{
    const char *k;
    size_t klen;
    json_t *val;

    if (json_is_object(v)) {
        json_object_keylen_foreach(v, k, klen, val)
            json_object_setn(obj, k, klen, val);
        return 0;
    }
    if (json_is_array(v)) {
        /* earlier maps take precedence: apply them last */
        for (size_t i = json_array_size(v); i-- > 0;)
            if (!json_is_object(json_array_get(v, i)))
                goto bad;
        for (size_t i = json_array_size(v); i-- > 0;)
            json_object_keylen_foreach(json_array_get(v, i), k, klen, val)
                json_object_setn(obj, k, klen, val);
        return 0;
    }
bad:
    return yb_fail(b, ZK_EPARSE, m, "map merge requires map or sequence of maps as the value");
}

/* Attach a finished value (owned) to the open collection, or make it the
 * document's root. */
static int yb_attach(ybuild *b, json_t *v, int height, const yaml_mark_t *m)
{
    if (b->depth == 0) {
        b->root = v;
        b->have_root = true;
        return 0;
    }
    yframe *f = &b->stack[b->depth - 1];
    if (height > f->child_height)
        f->child_height = height;
    if (!f->is_map) {
        json_array_append_new(f->node, v);
        return 0;
    }
    if (f->merge) {
        int rc = yb_merge(b, f->node, v, m);
        json_decref(v);
        f->merge = false;
        return rc;
    }
    json_object_setn_new(f->node, f->key, f->key_len, v);
    free(f->key);
    f->key = NULL;
    return 0;
}

static bool yb_expects_key(const ybuild *b)
{
    const yframe *f = b->depth ? &b->stack[b->depth - 1] : NULL;
    return f && f->is_map && !f->key && !f->merge;
}

/* Set the pending key of the open mapping from a resolved scalar, turning
 * non-string keys into strings as sigs.k8s.io/yaml does. */
static int yb_set_key(ybuild *b, const yr_value *rv, const char *s, size_t n,
                      const yaml_mark_t *m)
{
    yframe *f = &b->stack[b->depth - 1];
    char buf[64];
    const char *type = NULL;

    switch (rv->kind) {
    case YR_STR:
        break;
    case YR_MERGE:
        f->merge = true;
        return 0;
    case YR_INT:
        n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)rv->i);
        s = buf;
        break;
    case YR_FLOAT:
        go_format_float32(rv->f, buf, sizeof buf);
        s = buf;
        n = strlen(buf);
        break;
    case YR_BOOL:
        s = rv->b ? "true" : "false";
        n = strlen(s);
        break;
    case YR_NULL: type = "<nil>"; break;
    case YR_UINT: type = "uint64"; break;
    case YR_BIG: type = "*big.Int"; break;
    case YR_TIME: type = "time.Time"; break;
    }
    if (type)
        return yb_fail(b, ZK_EPARSE, m, "unsupported map key of type: %s", type);
    int rc = yb_count(b, 0, n, m);
    if (rc < 0)
        return rc;
    f->key = zk_xmemdupz(s, n);   /* a quoted key may hold "\0" */
    f->key_len = n;
    return 0;
}

/* The JSON value of a resolved scalar (new reference). */
static int yb_value(ybuild *b, const yr_value *rv, const char *s, size_t n,
                    const yaml_mark_t *m, json_t **out)
{
    *out = NULL;
    switch (rv->kind) {
    case YR_STR:
    case YR_MERGE:
        *out = json_stringn(s, n);
        if (!*out)
            return yb_fail(b, ZK_EPARSE, m, "string is not valid UTF-8");
        return 0;
    case YR_NULL:
        *out = json_null();
        return 0;
    case YR_BOOL:
        *out = json_boolean(rv->b);
        return 0;
    case YR_INT:
        *out = json_integer((json_int_t)rv->i);
        return 0;
    case YR_UINT:
        *out = json_real((double)rv->u);
        return 0;
    case YR_BIG:
        *out = json_real(rv->f);
        return 0;
    case YR_TIME:
        *out = json_string(rv->time);
        return 0;
    case YR_FLOAT:
        if (isnan(rv->f) || isinf(rv->f))
            return yb_fail(b, ZK_EPARSE, m, "%.*s cannot be represented in JSON",
                           n > 16 ? 16 : (int)n, s);
        /* encoding/json prints integral floats as integers */
        if (rv->f == floor(rv->f) && fabs(rv->f) < 9223372036854775808.0)
            *out = json_integer((json_int_t)rv->f);
        else
            *out = json_real(rv->f);
        return 0;
    }
    return yb_fail(b, ZK_EINTERNAL, m, "unknown scalar kind");
}

static const char yaml_tag_prefix[] = "tag:yaml.org,2002:";

/* Resolve a scalar event as go-yaml's decoder does: quoted and block
 * scalars are strings; tags ask for a type and must get it. */
static int yb_resolve_event(ybuild *b, const yaml_event_t *ev, yr_value *rv)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    const yaml_mark_t *m = &ev->start_mark;
    const char *short_tag;

    if (!tag || !tag[0]) {
        if (ev->data.scalar.plain_implicit && n == 2 && s[0] == '<' && s[1] == '<') {
            /* go-yaml's isMerge(): the untagged plain text "<<" */
            memset(rv, 0, sizeof *rv);
            rv->kind = YR_MERGE;
        } else if (ev->data.scalar.plain_implicit) {
            yaml_resolve(s, n, true, rv);
        } else {
            memset(rv, 0, sizeof *rv);
            rv->kind = YR_STR;
        }
        return 0;
    }
    if (strncmp(tag, yaml_tag_prefix, sizeof yaml_tag_prefix - 1) != 0) {
        memset(rv, 0, sizeof *rv); /* a local tag: the text as given */
        rv->kind = YR_STR;
        return 0;
    }
    short_tag = tag + sizeof yaml_tag_prefix - 1;
    memset(rv, 0, sizeof *rv);
    rv->kind = YR_STR;
    if (!strcmp(short_tag, "str"))
        return 0;
    if (!strcmp(short_tag, "merge")) {
        rv->kind = YR_MERGE;
        return 0;
    }
    if (!strcmp(short_tag, "binary"))
        return yb_fail(b, ZK_EUNSUPPORTED, m, "!!binary values are not supported");
    if (strcmp(short_tag, "bool") && strcmp(short_tag, "int") && strcmp(short_tag, "float") &&
        strcmp(short_tag, "null") && strcmp(short_tag, "timestamp"))
        return 0; /* !!map, !!seq, ... on a scalar: keep the text */
    yaml_resolve(s, n, !strcmp(short_tag, "timestamp"), rv);
    bool ok = (rv->kind == YR_BOOL && !strcmp(short_tag, "bool")) ||
              ((rv->kind == YR_INT || rv->kind == YR_UINT || rv->kind == YR_BIG) &&
               !strcmp(short_tag, "int")) ||
              (rv->kind == YR_FLOAT && !strcmp(short_tag, "float")) ||
              (rv->kind == YR_NULL && !strcmp(short_tag, "null")) ||
              (rv->kind == YR_TIME && !strcmp(short_tag, "timestamp"));
    if (!ok && rv->kind == YR_INT && !strcmp(short_tag, "float")) {
        rv->f = (double)rv->i;
        rv->kind = YR_FLOAT;
        ok = true;
    }
    if (!ok) {
        static const char *const names[] = { "str", "null", "bool", "int", "int",
                                             "float", "int", "timestamp", "merge" };
        return yb_fail(b, ZK_EPARSE, m, "cannot decode !!%s `%.*s` as a !!%s", names[rv->kind],
                       n > 64 ? 64 : (int)n, s, short_tag);
    }
    return 0;
}

static int yb_scalar(ybuild *b, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    const yaml_mark_t *m = &ev->start_mark;
    yr_value rv;
    json_t *v;
    int rc;

    if ((rc = yb_resolve_event(b, ev, &rv)) < 0)
        return rc;
    if (yb_expects_key(b)) {
        if ((rc = yb_set_key(b, &rv, s, n, m)) < 0)
            return rc;
        /* an anchored key can be aliased as a value later */
        if (anchor && yb_value(b, &rv, s, n, m, &v) == 0) {
            yb_register(b, anchor, v, 1, n, 0);
            json_decref(v);
        }
        zk_err_clear(b->err);
        return 0;
    }
    if ((rc = yb_value(b, &rv, s, n, m, &v)) < 0)
        return rc;
    if ((rc = yb_count(b, 1, json_is_string(v) ? n : 0, m)) < 0) {
        json_decref(v);
        return rc;
    }
    if (anchor)
        yb_register(b, anchor, v, 1, json_is_string(v) ? n : 0, 0);
    return yb_attach(b, v, 0, m);
}

static int yb_alias(ybuild *b, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const yaml_mark_t *m = &ev->start_mark;
    json_t *idx = json_object_get(b->anchor_index, name);
    yanchor *a;
    int rc;

    if (!idx)
        return yb_fail(b, ZK_EPARSE, m, "unknown anchor '%s' referenced", name);
    a = &b->anchors[json_integer_value(idx)];
    if (yb_expects_key(b)) {
        yr_value rv;
        memset(&rv, 0, sizeof rv);
        switch (json_typeof(a->node)) {
        case JSON_STRING:
            rv.kind = YR_STR;
            return yb_set_key(b, &rv, json_string_value(a->node), json_string_length(a->node), m);
        case JSON_INTEGER:
            rv.kind = YR_INT;
            rv.i = json_integer_value(a->node);
            return yb_set_key(b, &rv, NULL, 0, m);
        case JSON_REAL:
            rv.kind = YR_FLOAT;
            rv.f = json_real_value(a->node);
            return yb_set_key(b, &rv, NULL, 0, m);
        case JSON_TRUE:
        case JSON_FALSE:
            rv.kind = YR_BOOL;
            rv.b = json_is_true(a->node);
            return yb_set_key(b, &rv, NULL, 0, m);
        case JSON_NULL:
            rv.kind = YR_NULL;
            return yb_set_key(b, &rv, NULL, 0, m);
        default:
            return yb_fail(b, ZK_EPARSE, m, "mapping keys must be scalars");
        }
    }
    if (b->depth + a->height > ZK_JSON_MAX_DEPTH)
        return yb_fail(b, ZK_ETOOBIG, m, "nesting depth exceeds the limit of %d",
                       ZK_JSON_MAX_DEPTH);
    if ((rc = yb_count(b, a->nodes, a->bytes, m)) < 0)
        return rc;
    json_t *copy = json_deep_copy(a->node);
    if (!copy) {
        fprintf(stderr, "zke: out of memory copying a YAML alias\n");
        abort();
    }
    return yb_attach(b, copy, a->height, m);
}

static int yb_start(ybuild *b, const yaml_event_t *ev, bool is_map)
{
    const yaml_mark_t *m = &ev->start_mark;
    const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor
                                       : ev->data.sequence_start.anchor;
    int rc;

    if (yb_expects_key(b))
        return yb_fail(b, ZK_EPARSE, m, "mapping keys must be scalars");
    if (b->depth >= ZK_JSON_MAX_DEPTH)
        return yb_fail(b, ZK_ETOOBIG, m, "nesting depth exceeds the limit of %d",
                       ZK_JSON_MAX_DEPTH);
    if ((rc = yb_count(b, 1, 0, m)) < 0)
        return rc;
    yframe *f = &b->stack[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = is_map ? json_object() : json_array();
    f->is_map = is_map;
    f->anchor = anchor ? zk_xstrdup((const char *)anchor) : NULL;
    f->nodes0 = b->nodes - 1;
    f->bytes0 = b->bytes;
    return 0;
}

static int yb_end(ybuild *b, const yaml_event_t *ev)
{
    yframe f = b->stack[--b->depth];
    int height = f.child_height + 1;

    free(f.key);
    if (f.anchor) {
        yb_register(b, f.anchor, f.node, b->nodes - f.nodes0, b->bytes - f.bytes0, height);
        free(f.anchor);
    }
    return yb_attach(b, f.node, height, &ev->start_mark);
}

static int yb_parser_error(ybuild *b, const yaml_parser_t *p, const char *data, size_t len)
{
    const char *problem = p->problem ? p->problem : "cannot parse the document";

    if (p->error == YAML_MEMORY_ERROR) {
        fprintf(stderr, "zke: out of memory parsing YAML\n");
        abort();
    }
    if (p->error == YAML_READER_ERROR) {
        /* the reader knows only a byte offset: count lines up to it */
        size_t line = 1, col = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++) {
            if (data[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)data[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        return zk_err_set(b->err, ZK_EPARSE, "yaml: line %zu, column %zu: %s", line, col,
                          problem);
    }
    if (p->context)
        return zk_err_set(b->err, ZK_EPARSE,
                          "yaml: line %zu, column %zu: %s (%s at line %zu, column %zu)",
                          p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                          p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    return zk_err_set(b->err, ZK_EPARSE, "yaml: line %zu, column %zu: %s",
                      p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

/* Run the parser over the stream; every finished document goes to
 * on_doc (which takes the reference). */
static int yaml_run(const char *data, size_t len, size_t max_bytes,
                    int (*on_doc)(void *ctx, json_t *doc, const yaml_mark_t *m), void *ctx,
                    zk_err *err)
{
    yaml_parser_t parser;
    ybuild b;
    int rc = 0, docs = 0;
    bool done = false;

    if (len > max_bytes)
        return zk_err_set(err, ZK_ETOOBIG, "yaml: input of %zu bytes exceeds the limit of %zu bytes",
                          len, max_bytes);
    if (!data)
        data = "";
    memset(&b, 0, sizeof b);
    b.err = err;
    b.anchor_index = json_object();
    b.max_bytes = max_bytes > (SIZE_MAX - ((size_t)1 << 20)) / 4 ? SIZE_MAX
                                                                 : max_bytes * 4 + ((size_t)1 << 20);
    if (!yaml_parser_initialize(&parser)) {
        fprintf(stderr, "zke: out of memory starting the YAML parser\n");
        abort();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

    while (rc == 0 && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = yb_parser_error(&b, &parser, data, len);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > ZK_YAML_MAX_DOCUMENTS)
                rc = yb_fail(&b, ZK_ETOOBIG, &ev.start_mark,
                             "the stream holds more than %d documents", ZK_YAML_MAX_DOCUMENTS);
            break;
        case YAML_DOCUMENT_END_EVENT:
            if (b.have_root) {
                json_t *doc = zk_steal(&b.root);
                b.have_root = false;
                rc = on_doc(ctx, doc, &ev.start_mark);
            }
            yb_clear_anchors(&b);
            break;
        case YAML_SCALAR_EVENT:
            rc = yb_scalar(&b, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = yb_alias(&b, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = yb_start(&b, &ev, false);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = yb_start(&b, &ev, true);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = yb_end(&b, &ev);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    yb_free(&b);
    return rc;
}

typedef struct one_doc {
    json_t *doc;
    zk_err *err;
} one_doc;

static int one_doc_cb(void *ctx, json_t *doc, const yaml_mark_t *m)
{
    one_doc *o = ctx;
    if (json_is_null(doc)) {
        json_decref(doc);
        return 0;
    }
    if (o->doc) {
        json_decref(doc);
        return zk_err_set(o->err, ZK_EPARSE,
                          "yaml: line %zu, column %zu: the stream holds more than one document; "
                          "send one object (or a List)",
                          m->line + 1, m->column + 1);
    }
    o->doc = doc;
    return 0;
}

int zk_yaml_decode_max(const char *data, size_t len, size_t max_bytes, json_t **out,
                       zk_err *err)
{
    one_doc o = { NULL, err };
    int rc = yaml_run(data, len, max_bytes, one_doc_cb, &o, err);

    *out = NULL;
    if (rc < 0) {
        json_decref(o.doc);
        return rc;
    }
    *out = o.doc ? o.doc : json_null();
    return 0;
}

int zk_yaml_decode(const char *data, size_t len, json_t **out, zk_err *err)
{
    return zk_yaml_decode_max(data, len, ZK_YAML_DEFAULT_MAX_BYTES, out, err);
}

static int all_docs_cb(void *ctx, json_t *doc, const yaml_mark_t *m)
{
    if (json_is_null(doc))
        json_decref(doc);
    else
        json_array_append_new(ctx, doc);
    return 0;
}

int zk_yaml_decode_all(const char *data, size_t len, size_t max_bytes, json_t **out,
                       zk_err *err)
{
    json_t *docs = json_array();
    int rc = yaml_run(data, len, max_bytes, all_docs_cb, docs, err);

    *out = NULL;
    if (rc < 0) {
        json_decref(docs);
        return rc;
    }
    *out = docs;
    return 0;
}

/* ------------------------------------------------------------------------
 * Encoding: jansson to YAML through libyaml's emitter.
 * ------------------------------------------------------------------------ */

typedef struct yemit {
    yaml_emitter_t e;
    zk_buf *out;
    bool full;
    zk_err *err;
} yemit;

static int ye_write(void *data, unsigned char *buffer, size_t size)
{
    yemit *y = data;
    if (zk_buf_append(y->out, buffer, size) != 0) {
        y->full = true;
        return 0;
    }
    return 1;
}

static int ye_fail(yemit *y)
{
    if (y->full)
        return zk_err_set(y->err, ZK_ETOOBIG, "yaml: output exceeds the buffer's limit of %zu bytes",
                          y->out->max);
    return zk_err_set(y->err, ZK_EINVAL, "yaml: cannot emit: %s",
                      y->e.problem ? y->e.problem : "unknown error");
}

static int ye_emit(yemit *y, yaml_event_t *ev)
{
    if (!yaml_emitter_emit(&y->e, ev))
        return ye_fail(y);
    return 0;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ : YAML 1.1 base-60
 * numbers, which go-yaml quotes on output for other parsers' sake. */
static bool is_base60_float(const char *s, size_t n)
{
    size_t i = 0, groups = 0;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i >= n || !yr_digit(s[i]))
        return false;
    while (i < n && (yr_digit(s[i]) || s[i] == '_'))
        i++;
    while (i < n && s[i] == ':') {
        i++;
        if (i + 1 < n && s[i] >= '0' && s[i] <= '5' && yr_digit(s[i + 1]))
            i += 2;
        else if (i < n && yr_digit(s[i]))
            i++;
        else
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < n && s[i] == '.')
        for (i++; i < n && (yr_digit(s[i]) || s[i] == '_'); i++)
            ;
    return i == n;
}

static int ye_scalar(yemit *y, const char *s, size_t n, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style)) {
        fprintf(stderr, "zke: out of memory emitting YAML\n");
        abort();
    }
    return ye_emit(y, &ev);
}

static int ye_string(yemit *y, const char *s, size_t n)
{
    yr_value rv;
    yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;

    if (n > INT32_MAX)
        return zk_err_set(y->err, ZK_ETOOBIG, "yaml: string too long to emit");
    if (memchr(s, '\n', n))
        style = YAML_LITERAL_SCALAR_STYLE;
    else if (yaml_resolve(s, n, true, &rv) != YR_STR || is_base60_float(s, n) ||
             (n == 2 && s[0] == '<' && s[1] == '<'))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE; /* "<<" too: as a key it would merge */
    /* libyaml falls back to a quoted style wherever plain is not allowed */
    return ye_scalar(y, s, n, style);
}

static int ye_node(yemit *y, const json_t *j, int depth)
{
    yaml_event_t ev;
    char buf[64];
    int rc, n;

    if (depth > ZK_JSON_MAX_DEPTH)
        return zk_err_set(y->err, ZK_ETOOBIG, "yaml: nesting depth exceeds the limit of %d",
                          ZK_JSON_MAX_DEPTH);
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        size_t klen;
        json_t *v;
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        if ((rc = ye_emit(y, &ev)) < 0)
            return rc;
        json_object_keylen_foreach((json_t *)j, k, klen, v) {
            if ((rc = ye_string(y, k, klen)) < 0)
                return rc;
            if ((rc = ye_node(y, v, depth + 1)) < 0)
                return rc;
        }
        yaml_mapping_end_event_initialize(&ev);
        return ye_emit(y, &ev);
    }
    case JSON_ARRAY:
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if ((rc = ye_emit(y, &ev)) < 0)
            return rc;
        for (size_t i = 0; i < json_array_size(j); i++)
            if ((rc = ye_node(y, json_array_get(j, i), depth + 1)) < 0)
                return rc;
        yaml_sequence_end_event_initialize(&ev);
        return ye_emit(y, &ev);
    case JSON_STRING:
        return ye_string(y, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return ye_scalar(y, buf, (size_t)n, YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL: {
        double d = json_real_value(j);
        for (int prec = 1; prec <= 17; prec++) {
            n = snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return ye_scalar(y, buf, (size_t)n, YAML_PLAIN_SCALAR_STYLE);
    }
    case JSON_TRUE:
        return ye_scalar(y, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return ye_scalar(y, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
        return ye_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    }
    return zk_err_set(y->err, ZK_EINTERNAL, "yaml: unknown JSON type");
}

static int yaml_encode_docs(const json_t *const *docs, size_t ndocs, bool explicit_start,
                            zk_buf *out, zk_err *err)
{
    yemit y;
    yaml_event_t ev;
    int rc = 0;

    memset(&y, 0, sizeof y);
    y.out = out;
    y.err = err;
    if (!yaml_emitter_initialize(&y.e)) {
        fprintf(stderr, "zke: out of memory starting the YAML emitter\n");
        abort();
    }
    yaml_emitter_set_output(&y.e, ye_write, &y);
    yaml_emitter_set_unicode(&y.e, 1);
    yaml_emitter_set_width(&y.e, -1);
    yaml_emitter_set_indent(&y.e, 2);

    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    rc = ye_emit(&y, &ev);
    for (size_t i = 0; rc == 0 && i < ndocs; i++) {
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, !explicit_start);
        if ((rc = ye_emit(&y, &ev)) < 0)
            break;
        if ((rc = ye_node(&y, docs[i], 0)) < 0)
            break;
        yaml_document_end_event_initialize(&ev, 1);
        rc = ye_emit(&y, &ev);
    }
    if (rc == 0) {
        yaml_stream_end_event_initialize(&ev);
        rc = ye_emit(&y, &ev);
    }
    if (rc == 0 && !yaml_emitter_flush(&y.e))
        rc = ye_fail(&y);
    yaml_emitter_delete(&y.e);
    return rc;
}

int zk_yaml_encode(const json_t *j, zk_buf *out, zk_err *err)
{
    return yaml_encode_docs(&j, 1, false, out, err);
}

int zk_yaml_encode_all(const json_t *docs, zk_buf *out, zk_err *err)
{
    size_t n = json_array_size(docs);
    zk_autofree const json_t **list = NULL;

    if (!json_is_array(docs))
        return zk_err_set(err, ZK_EINVAL, "yaml: documents must be given as a JSON array");
    if (n == 0)
        return 0;
    list = zk_xcalloc(n, sizeof *list);
    for (size_t i = 0; i < n; i++)
        list[i] = json_array_get(docs, i);
    return yaml_encode_docs(list, n, true, out, err);
}
