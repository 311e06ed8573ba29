/* zke kube: the JSONPath subset of CRD printer columns (see jsonpath.h). */
#include "kube/jsonpath.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

typedef enum { JP_FIELD, JP_ALL, JP_INDEX, JP_SLICE, JP_FILTER } jp_kind;
typedef enum { OPD_PATH, OPD_STR, OPD_NUM, OPD_BOOL, OPD_NULL } jp_opd_kind;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } jp_op;

typedef struct jp_step jp_step;

typedef struct jp_path {
    jp_step *steps;
    size_t n;
} jp_path;

typedef struct jp_operand {
    jp_opd_kind kind;
    jp_path path;   /* OPD_PATH: relative to the element ("@") */
    char *str;      /* OPD_STR */
    double num;     /* OPD_NUM */
    bool b;         /* OPD_BOOL */
} jp_operand;

typedef struct jp_filter {
    jp_operand lhs, rhs;
    jp_op op;
} jp_filter;

struct jp_step {
    jp_kind kind;
    char *name;                 /* JP_FIELD */
    long long index;            /* JP_INDEX */
    long long start, end;       /* JP_SLICE */
    bool has_start, has_end;
    jp_filter *filter;          /* JP_FILTER */
};

struct zk_kube_jsonpath {
    char *text;
    jp_path path;
};

/* ---- freeing ---------------------------------------------------------- */

static void jp_path_free(jp_path *p);

static void jp_operand_free(jp_operand *o)
{
    if (o->kind == OPD_PATH)
        jp_path_free(&o->path);
    free(o->str);
}

static void jp_step_clear(jp_step *st)
{
    free(st->name);
    st->name = NULL;
    if (st->filter) {
        jp_operand_free(&st->filter->lhs);
        jp_operand_free(&st->filter->rhs);
        free(st->filter);
        st->filter = NULL;
    }
}

static void jp_path_free(jp_path *p)
{
    for (size_t i = 0; i < p->n; i++)
        jp_step_clear(&p->steps[i]);
    free(p->steps);
    p->steps = NULL;
    p->n = 0;
}

void zk_kube_jsonpath_free(zk_kube_jsonpath *p)
{
    if (!p)
        return;
    jp_path_free(&p->path);
    free(p->text);
    free(p);
}

const char *zk_kube_jsonpath_text(const zk_kube_jsonpath *p)
{
    return p->text;
}

/* ---- parsing ---------------------------------------------------------- */

typedef struct jp_parser {
    const char *s;
    size_t len;
    size_t pos;
    size_t steps;   /* across all paths, for the step bound */
    int nest;       /* filters currently open */
    zk_err *err;
} jp_parser;

static int jp_fail(jp_parser *P, const char *what)
{
    return zk_err_set(P->err, ZK_EPARSE, "jsonpath %s at offset %zu", what, P->pos);
}

static int jp_peek(const jp_parser *P)
{
    return P->pos < P->len ? (unsigned char)P->s[P->pos] : -1;
}

static void jp_skip_ws(jp_parser *P)
{
    while (P->pos < P->len && (P->s[P->pos] == ' ' || P->s[P->pos] == '\t'))
        P->pos++;
}

static bool jp_is_name_char(int c)
{
    if (c < 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r')
        return false;
    return !strchr(".[]()=!<>{}'\",@$", c);
}

static int jp_add_step(jp_parser *P, jp_path *path, jp_step *st)
{
    if (++P->steps > ZK_KUBE_JSONPATH_MAX_STEPS)
        return zk_err_set(P->err, ZK_ETOOBIG, "jsonpath has more than %d steps",
                          ZK_KUBE_JSONPATH_MAX_STEPS);
    path->steps = zk_xrealloc(path->steps, (path->n + 1) * sizeof(*path->steps));
    path->steps[path->n++] = *st;
    return 0;
}

/* A quoted string starting at the quote; backslash escapes the next byte. */
static int jp_parse_quoted(jp_parser *P, char **out)
{
    char q = P->s[P->pos++];
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_KUBE_JSONPATH_MAX_LEN);
    zk_buf_puts(&b, "");
    for (;;) {
        int c = jp_peek(P);
        if (c < 0)
            return jp_fail(P, "unterminated string");
        P->pos++;
        if (c == q)
            break;
        if (c == '\\') {
            c = jp_peek(P);
            if (c < 0)
                return jp_fail(P, "unterminated string");
            P->pos++;
        }
        zk_buf_putc(&b, (char)c);
    }
    *out = zk_buf_steal(&b, NULL);
    return 0;
}

/* A field name after '.', up to the next delimiter; "\." keeps a dot. */
static int jp_parse_name(jp_parser *P, char **out)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_KUBE_JSONPATH_MAX_LEN);
    zk_buf_puts(&b, "");
    for (;;) {
        int c = jp_peek(P);
        if (c == '\\' && P->pos + 1 < P->len) {
            zk_buf_putc(&b, P->s[P->pos + 1]);
            P->pos += 2;
            continue;
        }
        if (!jp_is_name_char(c))
            break;
        zk_buf_putc(&b, (char)c);
        P->pos++;
    }
    if (b.len == 0)
        return jp_fail(P, "expects a field name");
    *out = zk_buf_steal(&b, NULL);
    return 0;
}

/* Optional sign and up to 9 digits. Returns 1 if a number was read. */
static int jp_parse_int(jp_parser *P, long long *out)
{
    size_t start = P->pos;
    bool neg = false;
    if (jp_peek(P) == '-') {
        neg = true;
        P->pos++;
    }
    long long v = 0;
    int digits = 0;
    while (jp_peek(P) >= '0' && jp_peek(P) <= '9') {
        if (++digits > 9) {
            jp_fail(P, "index is too large");
            return -1;
        }
        v = v * 10 + (P->s[P->pos] - '0');
        P->pos++;
    }
    if (digits == 0) {
        if (neg) {
            P->pos = start;
            jp_fail(P, "expects a number");
            return -1;
        }
        return 0;
    }
    *out = neg ? -v : v;
    return 1;
}

static int jp_parse_steps(jp_parser *P, jp_path *path, bool in_filter);

static int jp_parse_operand(jp_parser *P, jp_operand *o)
{
    memset(o, 0, sizeof(*o));
    int c = jp_peek(P);
    if (c == '@') {
        P->pos++;
        o->kind = OPD_PATH;
        return jp_parse_steps(P, &o->path, true);
    }
    if (c == '\'' || c == '"') {
        o->kind = OPD_STR;
        return jp_parse_quoted(P, &o->str);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        /* [-]digits[.digits][(e|E)[+-]digits], converted with strtod */
        size_t start = P->pos;
        if (c == '-')
            P->pos++;
        size_t int_start = P->pos;
        while (jp_peek(P) >= '0' && jp_peek(P) <= '9')
            P->pos++;
        if (P->pos == int_start)
            return jp_fail(P, "expects a number");
        if (jp_peek(P) == '.') {
            P->pos++;
            size_t frac = P->pos;
            while (jp_peek(P) >= '0' && jp_peek(P) <= '9')
                P->pos++;
            if (P->pos == frac)
                return jp_fail(P, "expects digits after '.'");
        }
        if (jp_peek(P) == 'e' || jp_peek(P) == 'E') {
            P->pos++;
            if (jp_peek(P) == '+' || jp_peek(P) == '-')
                P->pos++;
            size_t exp = P->pos;
            while (jp_peek(P) >= '0' && jp_peek(P) <= '9')
                P->pos++;
            if (P->pos == exp)
                return jp_fail(P, "expects an exponent");
        }
        zk_autofree char *num = zk_xstrndup(P->s + start, P->pos - start);
        o->kind = OPD_NUM;
        o->num = strtod(num, NULL);
        return 0;
    }
    static const struct { const char *word; jp_opd_kind kind; bool b; } words[] = {
        { "true", OPD_BOOL, true }, { "false", OPD_BOOL, false }, { "null", OPD_NULL, false },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(words); i++) {
        size_t wl = strlen(words[i].word);
        if (P->len - P->pos >= wl && memcmp(P->s + P->pos, words[i].word, wl) == 0 &&
            !jp_is_name_char(P->pos + wl < P->len ? (unsigned char)P->s[P->pos + wl] : -1)) {
            P->pos += wl;
            o->kind = words[i].kind;
            o->b = words[i].b;
            return 0;
        }
    }
    return jp_fail(P, "expects '@', a string, a number, true, false or null in the filter");
}

static int jp_parse_op(jp_parser *P, jp_op *op)
{
    static const struct { const char *text; jp_op op; } ops[] = {
        { "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE }, { "<", OP_LT },
        { ">", OP_GT },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(ops); i++) {
        size_t l = strlen(ops[i].text);
        if (P->len - P->pos >= l && memcmp(P->s + P->pos, ops[i].text, l) == 0) {
            P->pos += l;
            *op = ops[i].op;
            return 0;
        }
    }
    return jp_fail(P, "filter expects a comparison (== != < <= > >=)");
}

/* After "[?": "(lhs op rhs)]". */
static int jp_parse_filter(jp_parser *P, jp_filter **out)
{
    if (P->nest >= ZK_KUBE_JSONPATH_MAX_NEST)
        return zk_err_set(P->err, ZK_ETOOBIG, "jsonpath nests more than %d filters",
                          ZK_KUBE_JSONPATH_MAX_NEST);
    jp_skip_ws(P);
    if (jp_peek(P) != '(')
        return jp_fail(P, "filter expects '('");
    P->pos++;
    P->nest++;
    jp_filter *f = zk_xcalloc(1, sizeof(*f));
    int rc;
    jp_skip_ws(P);
    if ((rc = jp_parse_operand(P, &f->lhs)) < 0)
        goto fail;
    jp_skip_ws(P);
    if ((rc = jp_parse_op(P, &f->op)) < 0)
        goto fail;
    jp_skip_ws(P);
    if ((rc = jp_parse_operand(P, &f->rhs)) < 0)
        goto fail;
    jp_skip_ws(P);
    if (jp_peek(P) != ')') {
        rc = jp_fail(P, "filter expects ')'");
        goto fail;
    }
    P->pos++;
    P->nest--;
    *out = f;
    return 0;
fail:
    jp_operand_free(&f->lhs);
    jp_operand_free(&f->rhs);
    free(f);
    return rc;
}

/* After '[': an index, slice, '*', quoted key or filter, then ']'. */
static int jp_parse_bracket(jp_parser *P, jp_step *st)
{
    int rc;
    jp_skip_ws(P);
    int c = jp_peek(P);
    if (c == '*') {
        P->pos++;
        st->kind = JP_ALL;
    } else if (c == '\'' || c == '"') {
        st->kind = JP_FIELD;
        if ((rc = jp_parse_quoted(P, &st->name)) < 0)
            return rc;
    } else if (c == '?') {
        P->pos++;
        st->kind = JP_FILTER;
        if ((rc = jp_parse_filter(P, &st->filter)) < 0)
            return rc;
    } else {
        long long a = 0, b = 0;
        int has_a = jp_parse_int(P, &a);
        if (has_a < 0)
            return -ZK_EPARSE;
        jp_skip_ws(P);
        if (jp_peek(P) == ':') {
            P->pos++;
            jp_skip_ws(P);
            int has_b = jp_parse_int(P, &b);
            if (has_b < 0)
                return -ZK_EPARSE;
            jp_skip_ws(P);
            if (jp_peek(P) == ':')
                return jp_fail(P, "slice steps are not supported");
            st->kind = JP_SLICE;
            st->start = a;
            st->has_start = has_a;
            st->end = b;
            st->has_end = has_b;
        } else if (has_a) {
            st->kind = JP_INDEX;
            st->index = a;
        } else if (c == ',') {
            return jp_fail(P, "unions are not supported");
        } else {
            return jp_fail(P, "expects an index, '*', a quoted key or a filter after '['");
        }
    }
    jp_skip_ws(P);
    if (jp_peek(P) == ',')
        return jp_fail(P, "unions are not supported");
    if (jp_peek(P) != ']')
        return jp_fail(P, "expects ']'");
    P->pos++;
    return 0;
}

/* Steps until the text ends (top level) or a non-step character (filter). */
static int jp_parse_steps(jp_parser *P, jp_path *path, bool in_filter)
{
    for (;;) {
        int c = jp_peek(P);
        jp_step st;
        memset(&st, 0, sizeof(st));
        int rc;
        if (c == '.') {
            P->pos++;
            c = jp_peek(P);
            if (c == '.')
                return jp_fail(P, "recursive descent '..' is not supported");
            if (c == '*') {
                P->pos++;
                st.kind = JP_ALL;
            } else if (c == '[') {
                /* ".[0]" reads as "[0]" */
                continue;
            } else {
                st.kind = JP_FIELD;
                if ((rc = jp_parse_name(P, &st.name)) < 0)
                    return rc;
            }
        } else if (c == '[') {
            P->pos++;
            rc = jp_parse_bracket(P, &st);
            if (rc < 0) {
                jp_step_clear(&st);
                return rc;
            }
        } else if (c < 0 || in_filter) {
            return 0;
        } else {
            return jp_fail(P, "expects '.' or '['");
        }
        if ((rc = jp_add_step(P, path, &st)) < 0) {
            jp_step_clear(&st);
            return rc;
        }
    }
}

int zk_kube_jsonpath_compile(const char *expr, zk_kube_jsonpath **out, zk_err *err)
{
    *out = NULL;
    size_t len = strlen(expr);
    if (len > ZK_KUBE_JSONPATH_MAX_LEN)
        return zk_err_set(err, ZK_ETOOBIG, "jsonpath is longer than %d bytes",
                          ZK_KUBE_JSONPATH_MAX_LEN);
    /* Trim blanks, then one enclosing "{...}" as CRDs sometimes write it. */
    size_t b = 0, e = len;
    while (b < e && (expr[b] == ' ' || expr[b] == '\t'))
        b++;
    while (e > b && (expr[e - 1] == ' ' || expr[e - 1] == '\t'))
        e--;
    if (e - b >= 2 && expr[b] == '{' && expr[e - 1] == '}') {
        b++;
        e--;
    }
    jp_parser P = { .s = expr + b, .len = e - b, .err = err };
    if (P.len == 0)
        return zk_err_set(err, ZK_EPARSE, "jsonpath is empty");
    if (jp_peek(&P) == '$')
        P.pos++;
    else if (jp_peek(&P) != '.' && jp_peek(&P) != '[')
        return jp_fail(&P, "must start with '.', '[' or '$'");
    zk_kube_jsonpath *p = zk_xcalloc(1, sizeof(*p));
    int rc = jp_parse_steps(&P, &p->path, false);
    if (rc < 0) {
        zk_kube_jsonpath_free(p);
        return rc;
    }
    p->text = zk_xstrdup(expr);
    *out = p;
    return 0;
}

/* ---- evaluation ------------------------------------------------------- */

static json_t *jp_eval(const jp_step *st, size_t n, json_t *cur);

/* A side of a comparison, resolved against the element. */
typedef struct jp_val {
    jp_opd_kind kind;   /* OPD_PATH here means "object or array" */
    const char *str;
    double num;
    bool b;
    json_t *json;
} jp_val;

static bool jp_resolve(const jp_operand *o, json_t *elem, jp_val *v)
{
    memset(v, 0, sizeof(*v));
    if (o->kind != OPD_PATH) {
        v->kind = o->kind;
        v->str = o->str;
        v->num = o->num;
        v->b = o->b;
        return true;
    }
    json_t *j = jp_eval(o->path.steps, o->path.n, elem);
    if (!j)
        return false;
    v->json = j;
    switch (json_typeof(j)) {
    case JSON_STRING: v->kind = OPD_STR; v->str = json_string_value(j); break;
    case JSON_INTEGER: v->kind = OPD_NUM; v->num = (double)json_integer_value(j); break;
    case JSON_REAL: v->kind = OPD_NUM; v->num = json_real_value(j); break;
    case JSON_TRUE: v->kind = OPD_BOOL; v->b = true; break;
    case JSON_FALSE: v->kind = OPD_BOOL; v->b = false; break;
    case JSON_NULL: v->kind = OPD_NULL; break;
    default: v->kind = OPD_PATH; break;
    }
    return true;
}

static bool jp_filter_match(const jp_filter *f, json_t *elem)
{
    jp_val l, r;
    if (!jp_resolve(&f->lhs, elem, &l) || !jp_resolve(&f->rhs, elem, &r))
        return false;
    if (f->op == OP_EQ || f->op == OP_NE) {
        bool eq = false;
        if (l.kind == r.kind) {
            switch (l.kind) {
            case OPD_STR: eq = strcmp(l.str, r.str) == 0; break;
            case OPD_NUM: eq = l.num == r.num; break;
            case OPD_BOOL: eq = l.b == r.b; break;
            case OPD_NULL: eq = true; break;
            case OPD_PATH: eq = json_equal(l.json, r.json); break;
            }
        }
        return f->op == OP_EQ ? eq : !eq;
    }
    int cmp;
    if (l.kind == OPD_NUM && r.kind == OPD_NUM)
        cmp = l.num < r.num ? -1 : l.num > r.num ? 1 : 0;
    else if (l.kind == OPD_STR && r.kind == OPD_STR)
        cmp = strcmp(l.str, r.str);
    else
        return false;
    switch (f->op) {
    case OP_LT: return cmp < 0;
    case OP_LE: return cmp <= 0;
    case OP_GT: return cmp > 0;
    case OP_GE: return cmp >= 0;
    default: return false;
    }
}

/* Depth-first: the first value reached in document order. Recursion depth
 * is bounded by the step count (and filter nesting), never by the document. */
static json_t *jp_eval(const jp_step *st, size_t n, json_t *cur)
{
    /* a JSON null is a value here (filters may compare with null); it has
     * no children, so later steps do not match below it */
    if (!cur)
        return NULL;
    if (n == 0)
        return cur;
    json_t *r;
    switch (st->kind) {
    case JP_FIELD:
        return json_is_object(cur) ? jp_eval(st + 1, n - 1, json_object_get(cur, st->name))
                                   : NULL;
    case JP_ALL:
        if (json_is_array(cur)) {
            for (size_t i = 0; i < json_array_size(cur); i++)
                if ((r = jp_eval(st + 1, n - 1, json_array_get(cur, i))))
                    return r;
        } else if (json_is_object(cur)) {
            const char *k;
            json_t *v;
            json_object_foreach(cur, k, v)
                if ((r = jp_eval(st + 1, n - 1, v)))
                    return r;
        }
        return NULL;
    case JP_INDEX: {
        if (!json_is_array(cur))
            return NULL;
        long long len = (long long)json_array_size(cur);
        long long i = st->index < 0 ? st->index + len : st->index;
        if (i < 0 || i >= len)
            return NULL;
        return jp_eval(st + 1, n - 1, json_array_get(cur, (size_t)i));
    }
    case JP_SLICE: {
        if (!json_is_array(cur))
            return NULL;
        long long len = (long long)json_array_size(cur);
        long long a = st->has_start ? st->start : 0, b = st->has_end ? st->end : len;
        if (a < 0)
            a += len;
        if (b < 0)
            b += len;
        if (a < 0)
            a = 0;
        if (b > len)
            b = len;
        for (long long i = a; i < b; i++)
            if ((r = jp_eval(st + 1, n - 1, json_array_get(cur, (size_t)i))))
                return r;
        return NULL;
    }
    case JP_FILTER:
        if (!json_is_array(cur))
            return NULL;
        for (size_t i = 0; i < json_array_size(cur); i++) {
            json_t *elem = json_array_get(cur, i);
            if (jp_filter_match(st->filter, elem) && (r = jp_eval(st + 1, n - 1, elem)))
                return r;
        }
        return NULL;
    }
    return NULL;
}

json_t *zk_kube_jsonpath_first(const zk_kube_jsonpath *p, const json_t *doc)
{
    if (!p || !doc)
        return NULL;
    json_t *v = jp_eval(p->path.steps, p->path.n, (json_t *)doc);
    return json_is_null(v) ? NULL : v;
}

/* A double as Go's fmt prints it with %v: the shortest digits that read
 * back as the same value, in exponent form when the exponent is below -4 or
 * at least 6 ("100", "0.25", "1e+06", "1.5e-05"). */
static char *jp_format_real(double d)
{
    if (isnan(d) || isinf(d))
        return zk_xstrdup(isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf");
    char e[64];
    int prec;
    for (prec = 1; prec < 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", prec - 1, d);
    const char *x = strchr(e, 'e');
    int exp = x ? atoi(x + 1) : 0;
    if (exp < -4 || exp >= 6)
        return zk_xstrdup(e);
    int decimals = prec - 1 - exp;
    char f[64];
    snprintf(f, sizeof(f), "%.*f", decimals > 0 ? decimals : 0, d);
    return zk_xstrdup(f);
}

char *zk_kube_jsonpath_render(const json_t *v)
{
    if (!v)
        return NULL;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return zk_xstrdup(json_string_value(v));
    case JSON_INTEGER:
        return zk_xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return jp_format_real(json_real_value(v));
    case JSON_TRUE:
        return zk_xstrdup("true");
    case JSON_FALSE:
        return zk_xstrdup("false");
    case JSON_NULL:
        return NULL;
    default: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!s) {
            fprintf(stderr, "zke: out of memory encoding JSON\n");
            abort();
        }
        return s;
    }
    }
}
