#include "kube/selector.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

struct zk_kube_selector {
    bool nothing;
    size_t n;
    zk_kube_requirement *reqs;
};

/* Bound for messages built from user input; zk_err keeps 1 KiB of it. */
#define MSG_MAX 4096

/* ------------------------------------------------------------------------
 * Kubernetes' validation messages
 * ------------------------------------------------------------------------ */

static const char qname_msg[] =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
static const char qname_examples[] = " (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
                                     "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
static const char dns_subdomain_msg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char label_value_msg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qname(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* */
static bool match_dns_subdomain(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            size_t len = i - start;
            if (len == 0 || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1]))
                return false;
            for (size_t k = start + 1; k + 1 < i; k++)
                if (!is_lower_alnum(s[k]) && s[k] != '-')
                    return false;
            start = i + 1;
        }
    }
    return true;
}

/* Messages of validation.IsQualifiedName, appended to b joined by "; ".
 * Returns how many there are. */
static int qualified_name_errors(const char *key, size_t len, zk_buf *b)
{
    const char *slash = memchr(key, '/', len);
    const char *name = key;
    size_t name_len = len;
    int n = 0;

    if (slash) {
        const char *prefix = key;
        size_t prefix_len = (size_t)(slash - key);
        name = slash + 1;
        name_len = len - prefix_len - 1;
        if (memchr(name, '/', name_len)) {
            zk_buf_printf(b, "a qualified name %s%s with an optional DNS subdomain prefix and '/' "
                             "(e.g. 'example.com/MyName')",
                          qname_msg, qname_examples);
            return 1;
        }
        if (prefix_len == 0) {
            zk_buf_puts(b, "prefix part must be non-empty");
            n++;
        } else {
            if (prefix_len > 253) {
                zk_buf_puts(b, "prefix part must be no more than 253 characters");
                n++;
            }
            if (!match_dns_subdomain(prefix, prefix_len)) {
                zk_buf_printf(b, "%sprefix part %s", n ? "; " : "", dns_subdomain_msg);
                n++;
            }
        }
    }
    if (name_len == 0) {
        zk_buf_printf(b, "%sname part must be non-empty", n ? "; " : "");
        n++;
    } else if (name_len > 63) {
        zk_buf_printf(b, "%sname part must be no more than 63 characters", n ? "; " : "");
        n++;
    }
    if (!match_qname(name, name_len)) {
        zk_buf_printf(b, "%sname part %s%s", n ? "; " : "", qname_msg, qname_examples);
        n++;
    }
    return n;
}

/* Messages of validation.IsValidLabelValue. */
static int label_value_errors(const char *v, size_t len, zk_buf *b)
{
    int n = 0;
    if (len > 63) {
        zk_buf_puts(b, "must be no more than 63 characters");
        n++;
    }
    if (len > 0 && !match_qname(v, len)) {
        zk_buf_printf(b, "%s%s", n ? "; " : "", label_value_msg);
        n++;
    }
    return n;
}

int zk_kube_validate_label_key(const char *key, zk_err *err)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(MSG_MAX);
    if (qualified_name_errors(key, strlen(key), &b) == 0)
        return 0;
    return zk_err_set(err, ZK_EINVAL, "%s", b.data);
}

int zk_kube_validate_label_value(const char *value, zk_err *err)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(MSG_MAX);
    if (label_value_errors(value, strlen(value), &b) == 0)
        return 0;
    return zk_err_set(err, ZK_EINVAL, "%s", b.data);
}

/* Decode one UTF-8 sequence; returns its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0 && n >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
        return *cp >= 0x80 ? 2 : 0;
    }
    if ((s[0] & 0xF0) == 0xE0 && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return *cp >= 0x800 && (*cp < 0xD800 || *cp > 0xDFFF) ? 3 : 0;
    }
    if ((s[0] & 0xF8) == 0xF0 && n >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80) {
        *cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
              ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return *cp >= 0x10000 && *cp <= 0x10FFFF ? 4 : 0;
    }
    return 0;
}

/* Go's unicode.IsPrint for code points past ASCII, approximately: the
 * controls, separators and format characters a label could carry. */
static bool go_is_print(uint32_t cp)
{
    return !((cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || (cp >= 0x2000 && cp <= 0x200F) ||
             (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 ||
             cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB));
}

/* Append s quoted as Go's %q (strconv.Quote) does. */
static void go_quote(zk_buf *b, const char *s, size_t n)
{
    zk_buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t k;
        switch (c) {
        case '"': zk_buf_puts(b, "\\\""); i++; continue;
        case '\\': zk_buf_puts(b, "\\\\"); i++; continue;
        case '\a': zk_buf_puts(b, "\\a"); i++; continue;
        case '\b': zk_buf_puts(b, "\\b"); i++; continue;
        case '\f': zk_buf_puts(b, "\\f"); i++; continue;
        case '\n': zk_buf_puts(b, "\\n"); i++; continue;
        case '\r': zk_buf_puts(b, "\\r"); i++; continue;
        case '\t': zk_buf_puts(b, "\\t"); i++; continue;
        case '\v': zk_buf_puts(b, "\\v"); i++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            zk_buf_printf(b, "\\x%02x", c);
            i++;
        } else if (c < 0x80) {
            zk_buf_putc(b, (char)c);
            i++;
        } else if ((k = utf8_decode((const unsigned char *)s + i, n - i, &cp)) == 0) {
            zk_buf_printf(b, "\\x%02x", c);
            i++;
        } else if (!go_is_print(cp)) {
            zk_buf_printf(b, cp < 0x10000 ? "\\u%04x" : "\\U%08x", cp);
            i += k;
        } else {
            zk_buf_append(b, s + i, k);
            i += k;
        }
    }
    zk_buf_putc(b, '"');
}

/* Go's %#v of a []string. */
static void go_string_slice(zk_buf *b, char *const *v, size_t n, bool is_nil)
{
    if (is_nil) {
        zk_buf_puts(b, "[]string(nil)");
        return;
    }
    zk_buf_puts(b, "[]string{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            zk_buf_puts(b, ", ");
        go_quote(b, v[i], strlen(v[i]));
    }
    zk_buf_putc(b, '}');
}

/* ------------------------------------------------------------------------
 * Requirements
 * ------------------------------------------------------------------------ */

static void requirement_clear(zk_kube_requirement *r)
{
    free(r->key);
    for (size_t i = 0; i < r->n_values; i++)
        free(r->values[i]);
    free(r->values);
    memset(r, 0, sizeof *r);
}

/* A list of error messages, reported as utilerrors' aggregate does:
 * one as itself, several as "[a, b]", duplicates dropped. */
typedef struct errlist {
    char *msgs[16];
    size_t n;
} errlist;

static void errlist_add(errlist *l, zk_buf *b)
{
    char *m = zk_buf_steal(b, NULL);
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->msgs[i], m)) {
            free(m);
            return;
        }
    if (l->n < ZK_ARRAY_LEN(l->msgs))
        l->msgs[l->n++] = m;
    else
        free(m);
}

static int errlist_report(errlist *l, zk_err *err)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(MSG_MAX);
    int rc = 0;
    if (l->n == 1) {
        rc = zk_err_set(err, ZK_EINVAL, "%s", l->msgs[0]);
    } else if (l->n > 1) {
        zk_buf_putc(&b, '[');
        for (size_t i = 0; i < l->n; i++)
            zk_buf_printf(&b, "%s%s", i ? ", " : "", l->msgs[i]);
        zk_buf_putc(&b, ']');
        rc = zk_err_set(err, ZK_EINVAL, "%s", b.data ? b.data : "");
    }
    for (size_t i = 0; i < l->n; i++)
        free(l->msgs[i]);
    l->n = 0;
    return rc;
}

/* strconv.ParseInt(s, 10, 64) succeeds? */
static bool go_is_int64(const char *s, long long *out)
{
    size_t i = 0;
    bool neg = false;
    unsigned long long v = 0;

    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    if (!s[i])
        return false;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (ULLONG_MAX - (unsigned)(s[i] - '0')) / 10)
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if ((!neg && v > (unsigned long long)LLONG_MAX) ||
        (neg && v > (unsigned long long)LLONG_MAX + 1))
        return false;
    if (out)
        *out = neg ? (long long)(0 - v) : (long long)v;
    return true;
}

/* labels.NewRequirement's checks, with its field paths ("key",
 * "values", "values[0][key]"). values_nil: Go would see a nil slice. */
static int requirement_validate(const char *key, zk_kube_selector_op op, char *const *vals,
                                size_t n, bool values_nil, bool check_key, zk_err *err)
{
    errlist l = { .n = 0 };
    zk_autobuf zk_buf b = ZK_BUF_INIT(MSG_MAX);
    zk_autobuf zk_buf why = ZK_BUF_INIT(MSG_MAX);

    if (check_key && qualified_name_errors(key, strlen(key), &why) > 0) {
        zk_buf_puts(&b, "key: Invalid value: ");
        go_quote(&b, key, strlen(key));
        zk_buf_printf(&b, ": %s", why.data);
        errlist_add(&l, &b);
    }
    const char *detail = NULL;
    switch (op) {
    case ZK_KUBE_SELECTOR_IN:
    case ZK_KUBE_SELECTOR_NOT_IN:
        if (n == 0)
            detail = "for 'in', 'notin' operators, values set can't be empty";
        break;
    case ZK_KUBE_SELECTOR_EQUALS:
    case ZK_KUBE_SELECTOR_DOUBLE_EQUALS:
    case ZK_KUBE_SELECTOR_NOT_EQUALS:
        if (n != 1)
            detail = "exact-match compatibility requires one single value";
        break;
    case ZK_KUBE_SELECTOR_EXISTS:
    case ZK_KUBE_SELECTOR_DOES_NOT_EXIST:
        if (n != 0)
            detail = "values set must be empty for exists and does not exist";
        break;
    case ZK_KUBE_SELECTOR_GT:
    case ZK_KUBE_SELECTOR_LT:
        if (n != 1)
            detail = "for 'Gt', 'Lt' operators, exactly one value is required";
        break;
    }
    if (detail) {
        zk_buf_puts(&b, "values: Invalid value: ");
        go_string_slice(&b, vals, n, values_nil);
        zk_buf_printf(&b, ": %s", detail);
        errlist_add(&l, &b);
    }
    if (op == ZK_KUBE_SELECTOR_GT || op == ZK_KUBE_SELECTOR_LT) {
        for (size_t i = 0; i < n; i++) {
            if (go_is_int64(vals[i], NULL))
                continue;
            zk_buf_printf(&b, "values[%zu]: Invalid value: ", i);
            go_quote(&b, vals[i], strlen(vals[i]));
            zk_buf_puts(&b, ": for 'Gt', 'Lt' operators, the value must be an integer");
            errlist_add(&l, &b);
        }
    }
    for (size_t i = 0; i < n; i++) {
        zk_buf_reset(&why);
        if (label_value_errors(vals[i], strlen(vals[i]), &why) == 0)
            continue;
        zk_buf_printf(&b, "values[%zu][%s]: Invalid value: ", i, key);
        go_quote(&b, vals[i], strlen(vals[i]));
        zk_buf_printf(&b, ": %s", why.data);
        errlist_add(&l, &b);
    }
    return errlist_report(&l, err);
}

static zk_kube_selector *selector_new(void)
{
    return zk_xcalloc(1, sizeof(zk_kube_selector));
}

static zk_kube_requirement *selector_push(zk_kube_selector *s, size_t *cap)
{
    if (s->n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        s->reqs = zk_xrealloc(s->reqs, *cap * sizeof *s->reqs);
    }
    zk_kube_requirement *r = &s->reqs[s->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static int cmp_req_key(const void *a, const void *b)
{
    const zk_kube_requirement *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    /* keep equal keys in their original order: a stable sort */
    return x < y ? -1 : x > y;
}

static void selector_sort(zk_kube_selector *s)
{
    if (s->n > 1)
        qsort(s->reqs, s->n, sizeof *s->reqs, cmp_req_key);
}

void zk_kube_selector_free(zk_kube_selector *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        requirement_clear(&s->reqs[i]);
    free(s->reqs);
    free(s);
}

zk_kube_selector *zk_kube_selector_everything(void)
{
    return selector_new();
}

zk_kube_selector *zk_kube_selector_nothing(void)
{
    zk_kube_selector *s = selector_new();
    s->nothing = true;
    return s;
}

/* ------------------------------------------------------------------------
 * The string grammar: a lexer and a parser that mirror labels/selector.go,
 * so that errors read the same.
 * ------------------------------------------------------------------------ */

typedef enum tok_t {
    T_ERROR,
    T_EOS,
    T_CLOSE,
    T_COMMA,
    T_NOT,
    T_DEQ,
    T_EQ,
    T_GT,
    T_IDENT,
    T_IN,
    T_LT,
    T_NEQ,
    T_NOTIN,
    T_OPEN,
} tok_t;

typedef struct token {
    tok_t t;
    const char *lit;
    size_t len;
} token;

typedef struct parser {
    token *toks;
    size_t n, pos;
    zk_err *err;
} parser;

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static bool is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static tok_t literal_token(const char *s, size_t n)
{
    static const struct {
        const char *s;
        tok_t t;
    } words[] = {
        { ")", T_CLOSE }, { ",", T_COMMA }, { "!", T_NOT },   { "==", T_DEQ },
        { "=", T_EQ },    { ">", T_GT },    { "in", T_IN },   { "<", T_LT },
        { "!=", T_NEQ },  { "notin", T_NOTIN }, { "(", T_OPEN },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(words); i++)
        if (strlen(words[i].s) == n && memcmp(words[i].s, s, n) == 0)
            return words[i].t;
    return T_ERROR;
}

static token lex_one(const char *s, size_t *pos)
{
    token t = { T_EOS, s + *pos, 0 };
    size_t i;

    while (is_ws(s[*pos]))
        (*pos)++;
    t.lit = s + *pos;
    if (s[*pos] == '\0')
        return t;
    if (is_special(s[*pos])) {
        /* the longest run of special characters that is an operator */
        tok_t best = T_ERROR;
        size_t best_len = 0;
        for (i = *pos; is_special(s[i]); i++) {
            tok_t tt = literal_token(s + *pos, i - *pos + 1);
            if (tt != T_ERROR) {
                best = tt;
                best_len = i - *pos + 1;
            } else if (best != T_ERROR) {
                break;
            }
        }
        t.t = best;
        t.len = best != T_ERROR ? best_len : i - *pos;
        *pos += t.len;
        return t;
    }
    for (i = *pos; s[i] && !is_special(s[i]) && !is_ws(s[i]); i++)
        ;
    t.len = i - *pos;
    t.t = literal_token(t.lit, t.len);
    if (t.t != T_IN && t.t != T_NOTIN)
        t.t = T_IDENT;
    *pos = i;
    return t;
}

/* In a values context the words in and notin are identifiers. */
static token peek(parser *p, bool values)
{
    token t = p->toks[p->pos];
    if (values && (t.t == T_IN || t.t == T_NOTIN))
        t.t = T_IDENT;
    return t;
}

static token consume(parser *p, bool values)
{
    token t = peek(p, values);
    if (p->pos + 1 < p->n)
        p->pos++;
    return t;
}

__attribute__((format(printf, 2, 3)))
static int perr(parser *p, const char *fmt, ...)
{
    char msg[ZK_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return zk_err_set(p->err, ZK_EINVAL, "%s", msg);
}

#define LIT(t) (int)((t).len > 512 ? 512 : (t).len), (t).lit

/* A set of values, kept as slices of the input until the end. */
typedef struct valset {
    token *v;
    size_t n, cap;
} valset;

static void valset_add(valset *vs, const char *s, size_t n)
{
    if (vs->n == vs->cap) {
        vs->cap = vs->cap ? vs->cap * 2 : 4;
        vs->v = zk_xrealloc(vs->v, vs->cap * sizeof *vs->v);
    }
    vs->v[vs->n++] = (token){ T_IDENT, s, n };
}

static int cmp_slice(const void *a, const void *b)
{
    const token *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->lit, y->lit, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int parse_key_and_op(parser *p, token *key, zk_kube_selector_op *op, bool *have_op)
{
    token t = consume(p, true);
    zk_autobuf zk_buf why = ZK_BUF_INIT(MSG_MAX);

    *have_op = false;
    if (t.t == T_NOT) {
        *op = ZK_KUBE_SELECTOR_DOES_NOT_EXIST;
        *have_op = true;
        t = consume(p, true);
    }
    if (t.t != T_IDENT)
        return perr(p, "found '%.*s', expected: identifier", LIT(t));
    if (qualified_name_errors(t.lit, t.len, &why) > 0) {
        zk_autobuf zk_buf b = ZK_BUF_INIT(MSG_MAX);
        zk_buf_puts(&b, "<nil>: Invalid value: ");
        go_quote(&b, t.lit, t.len);
        zk_buf_printf(&b, ": %s", why.data);
        return perr(p, "%s", b.data);
    }
    *key = t;
    token next = peek(p, true);
    if ((next.t == T_EOS || next.t == T_COMMA) && !*have_op) {
        *op = ZK_KUBE_SELECTOR_EXISTS;
        *have_op = true;
    }
    return 0;
}

static int parse_operator(parser *p, zk_kube_selector_op *op)
{
    token t = consume(p, false);
    switch (t.t) {
    case T_IN: *op = ZK_KUBE_SELECTOR_IN; return 0;
    case T_EQ: *op = ZK_KUBE_SELECTOR_EQUALS; return 0;
    case T_DEQ: *op = ZK_KUBE_SELECTOR_DOUBLE_EQUALS; return 0;
    case T_GT: *op = ZK_KUBE_SELECTOR_GT; return 0;
    case T_LT: *op = ZK_KUBE_SELECTOR_LT; return 0;
    case T_NOTIN: *op = ZK_KUBE_SELECTOR_NOT_IN; return 0;
    case T_NEQ: *op = ZK_KUBE_SELECTOR_NOT_EQUALS; return 0;
    default:
        return perr(p, "found '%.*s', expected: in, notin, =, ==, !=, gt, lt", LIT(t));
    }
}

static int parse_identifiers_list(parser *p, valset *vs)
{
    for (;;) {
        token t = consume(p, true), t2;
        switch (t.t) {
        case T_IDENT:
            valset_add(vs, t.lit, t.len);
            t2 = peek(p, true);
            if (t2.t == T_COMMA)
                continue;
            if (t2.t == T_CLOSE)
                return 0;
            return perr(p, "found '%.*s', expected: ',' or ')'", LIT(t2));
        case T_COMMA:
            if (vs->n == 0)
                valset_add(vs, "", 0); /* "(," */
            t2 = peek(p, true);
            if (t2.t == T_CLOSE) {
                valset_add(vs, "", 0); /* ",)" */
                return 0;
            }
            if (t2.t == T_COMMA)
                valset_add(vs, "", 0); /* ",," */
            continue;
        default:
            return perr(p, "found '%.*s', expected: ',', or identifier", LIT(t));
        }
    }
}

static int parse_values(parser *p, valset *vs)
{
    token t = consume(p, true);
    int rc;

    if (t.t != T_OPEN)
        return perr(p, "found '%.*s' expected: '('", LIT(t));
    t = peek(p, true);
    switch (t.t) {
    case T_IDENT:
    case T_COMMA:
        if ((rc = parse_identifiers_list(p, vs)) < 0)
            return rc;
        /* Kubernetes names the token after '(' here, not the bad one */
        if (consume(p, true).t != T_CLOSE)
            return perr(p, "found '%.*s', expected: ')'", LIT(t));
        return 0;
    case T_CLOSE:
        consume(p, true);
        valset_add(vs, "", 0);
        return 0;
    default:
        return perr(p, "found '%.*s', expected: ',', ')' or identifier", LIT(t));
    }
}

static int parse_exact_value(parser *p, valset *vs)
{
    token t = peek(p, true);
    if (t.t == T_EOS || t.t == T_COMMA) {
        valset_add(vs, "", 0);
        return 0;
    }
    t = consume(p, true);
    if (t.t == T_IDENT) {
        valset_add(vs, t.lit, t.len);
        return 0;
    }
    return perr(p, "found '%.*s', expected: identifier", LIT(t));
}

static int parse_requirement(parser *p, zk_kube_requirement *r)
{
    token key = { T_EOS, "", 0 };
    zk_kube_selector_op op = ZK_KUBE_SELECTOR_EXISTS;
    bool have_op;
    valset vs = { NULL, 0, 0 };
    int rc;

    if ((rc = parse_key_and_op(p, &key, &op, &have_op)) < 0)
        return rc;
    if (!have_op) {
        if ((rc = parse_operator(p, &op)) < 0)
            return rc;
        if (op == ZK_KUBE_SELECTOR_IN || op == ZK_KUBE_SELECTOR_NOT_IN)
            rc = parse_values(p, &vs);
        else
            rc = parse_exact_value(p, &vs);
        if (rc < 0) {
            free(vs.v);
            return rc;
        }
    }
    /* sets.String: sorted, no duplicates */
    if (vs.n > 1)
        qsort(vs.v, vs.n, sizeof *vs.v, cmp_slice);
    r->key = zk_xstrndup(key.lit, key.len);
    r->op = op;
    r->values = zk_xcalloc(vs.n ? vs.n : 1, sizeof *r->values);
    for (size_t i = 0; i < vs.n; i++) {
        if (i > 0 && cmp_slice(&vs.v[i - 1], &vs.v[i]) == 0)
            continue;
        r->values[r->n_values++] = zk_xstrndup(vs.v[i].lit, vs.v[i].len);
    }
    free(vs.v);
    return requirement_validate(r->key, r->op, r->values, r->n_values, false, false, p->err);
}

int zk_kube_selector_parse(const char *s, zk_kube_selector **out, zk_err *err)
{
    size_t len = strlen(s), pos = 0, cap = 0;
    zk_autofree token *toks = zk_xcalloc(len + 1, sizeof *toks);
    parser p = { toks, 0, 0, err };
    zk_kube_selector *sel = selector_new();
    int rc = 0;

    *out = NULL;
    do {
        toks[p.n] = lex_one(s, &pos);
    } while (toks[p.n++].t != T_EOS);

    for (;;) {
        token t = peek(&p, true);
        if (t.t == T_EOS)
            break;
        if (t.t != T_IDENT && t.t != T_NOT) {
            rc = perr(&p, "found '%.*s', expected: !, identifier, or 'end of string'", LIT(t));
            break;
        }
        zk_kube_requirement *r = selector_push(sel, &cap);
        if ((rc = parse_requirement(&p, r)) < 0) {
            zk_err_wrap(err, "unable to parse requirement");
            break;
        }
        t = consume(&p, true);
        if (t.t == T_EOS)
            break;
        if (t.t != T_COMMA) {
            rc = perr(&p, "found '%.*s', expected: ',' or 'end of string'", LIT(t));
            break;
        }
        token t2 = peek(&p, true);
        if (t2.t != T_IDENT && t2.t != T_NOT) {
            rc = perr(&p, "found '%.*s', expected: identifier after ','", LIT(t2));
            break;
        }
    }
    if (rc < 0) {
        zk_kube_selector_free(sel);
        return rc;
    }
    selector_sort(sel);
    *out = sel;
    return 0;
}

/* ------------------------------------------------------------------------
 * metav1.LabelSelector and plain label maps
 * ------------------------------------------------------------------------ */

static int add_equals(zk_kube_selector *sel, size_t *cap, const char *k, const char *v,
                      zk_err *err)
{
    zk_kube_requirement *r = selector_push(sel, cap);
    r->key = zk_xstrdup(k);
    r->op = ZK_KUBE_SELECTOR_EQUALS;
    r->values = zk_xcalloc(1, sizeof *r->values);
    r->values[0] = zk_xstrdup(v);
    r->n_values = 1;
    return requirement_validate(r->key, r->op, r->values, 1, false, true, err);
}

static int add_map(zk_kube_selector *sel, size_t *cap, const json_t *map, const char *what,
                   zk_err *err)
{
    const char *k;
    json_t *v;
    int rc;

    if (!map || json_is_null(map))
        return 0;
    if (!json_is_object(map))
        return zk_err_set(err, ZK_EINVAL, "%s must be an object of strings", what);
    json_object_foreach((json_t *)map, k, v) {
        if (!json_is_string(v))
            return zk_err_set(err, ZK_EINVAL, "%s[%s] must be a string", what, k);
        if ((rc = add_equals(sel, cap, k, json_string_value(v), err)) < 0)
            return rc;
    }
    return 0;
}

static int add_expression(zk_kube_selector *sel, size_t *cap, const json_t *expr, size_t idx,
                          zk_err *err)
{
    static const struct {
        const char *name;
        zk_kube_selector_op op;
    } ops[] = {
        { "In", ZK_KUBE_SELECTOR_IN },
        { "NotIn", ZK_KUBE_SELECTOR_NOT_IN },
        { "Exists", ZK_KUBE_SELECTOR_EXISTS },
        { "DoesNotExist", ZK_KUBE_SELECTOR_DOES_NOT_EXIST },
    };
    const json_t *key = json_object_get(expr, "key");
    const json_t *opv = json_object_get(expr, "operator");
    const json_t *vals = json_object_get(expr, "values");
    const char *opname = json_is_string(opv) ? json_string_value(opv) : "";
    size_t i;

    if (!json_is_object(expr))
        return zk_err_set(err, ZK_EINVAL, "matchExpressions[%zu] must be an object", idx);
    if (key && !json_is_string(key))
        return zk_err_set(err, ZK_EINVAL, "matchExpressions[%zu].key must be a string", idx);
    if (opv && !json_is_string(opv) && !json_is_null(opv))
        return zk_err_set(err, ZK_EINVAL, "matchExpressions[%zu].operator must be a string", idx);
    if (vals && !json_is_array(vals) && !json_is_null(vals))
        return zk_err_set(err, ZK_EINVAL, "matchExpressions[%zu].values must be an array", idx);
    for (i = 0; i < ZK_ARRAY_LEN(ops); i++)
        if (!strcmp(ops[i].name, opname))
            break;
    if (i == ZK_ARRAY_LEN(ops)) {
        zk_autobuf zk_buf b = ZK_BUF_INIT(MSG_MAX);
        go_quote(&b, opname, json_is_string(opv) ? json_string_length(opv) : 0);
        return zk_err_set(err, ZK_EINVAL, "%s is not a valid label selector operator", b.data);
    }

    zk_kube_requirement *r = selector_push(sel, cap);
    size_t n = json_array_size(vals);
    r->key = zk_xstrdup(json_is_string(key) ? json_string_value(key) : "");
    r->op = ops[i].op;
    r->values = zk_xcalloc(n ? n : 1, sizeof *r->values);
    for (size_t k = 0; k < n; k++) {
        const json_t *v = json_array_get(vals, k);
        if (!json_is_string(v))
            return zk_err_set(err, ZK_EINVAL, "matchExpressions[%zu].values[%zu] must be a string",
                              idx, k);
        r->values[r->n_values++] = zk_xstrdup(json_string_value(v));
    }
    return requirement_validate(r->key, r->op, r->values, r->n_values, n == 0, true, err);
}

int zk_kube_selector_from_json(const json_t *ls, zk_kube_selector **out, zk_err *err)
{
    size_t cap = 0;
    zk_kube_selector *sel;
    const json_t *labels, *exprs;
    int rc = 0;

    *out = NULL;
    if (!ls || json_is_null(ls)) {
        *out = zk_kube_selector_nothing();
        return 0;
    }
    if (!json_is_object(ls))
        return zk_err_set(err, ZK_EINVAL, "a label selector must be an object");
    labels = json_object_get(ls, "matchLabels");
    exprs = json_object_get(ls, "matchExpressions");
    if (exprs && !json_is_array(exprs) && !json_is_null(exprs))
        return zk_err_set(err, ZK_EINVAL, "matchExpressions must be an array");
    sel = selector_new();
    rc = add_map(sel, &cap, labels, "matchLabels", err);
    for (size_t i = 0; rc == 0 && i < json_array_size(exprs); i++)
        rc = add_expression(sel, &cap, json_array_get(exprs, i), i, err);
    if (rc < 0) {
        zk_kube_selector_free(sel);
        return rc;
    }
    selector_sort(sel);
    *out = sel;
    return 0;
}

int zk_kube_selector_from_map(const json_t *map, zk_kube_selector **out, zk_err *err)
{
    size_t cap = 0;
    zk_kube_selector *sel = selector_new();
    int rc = add_map(sel, &cap, map, "selector", err);

    *out = NULL;
    if (rc < 0) {
        zk_kube_selector_free(sel);
        return rc;
    }
    selector_sort(sel);
    *out = sel;
    return 0;
}

/* ------------------------------------------------------------------------
 * Matching and rendering
 * ------------------------------------------------------------------------ */

static bool has_value(const zk_kube_requirement *r, const char *v)
{
    for (size_t i = 0; i < r->n_values; i++)
        if (!strcmp(r->values[i], v))
            return true;
    return false;
}

static bool requirement_matches(const zk_kube_requirement *r, const json_t *labels)
{
    const json_t *jv = labels ? json_object_get(labels, r->key) : NULL;
    const char *v = json_is_string(jv) ? json_string_value(jv) : NULL;
    long long lv, rv;

    switch (r->op) {
    case ZK_KUBE_SELECTOR_IN:
    case ZK_KUBE_SELECTOR_EQUALS:
    case ZK_KUBE_SELECTOR_DOUBLE_EQUALS:
        return v && has_value(r, v);
    case ZK_KUBE_SELECTOR_NOT_IN:
    case ZK_KUBE_SELECTOR_NOT_EQUALS:
        return !v || !has_value(r, v);
    case ZK_KUBE_SELECTOR_EXISTS:
        return v != NULL;
    case ZK_KUBE_SELECTOR_DOES_NOT_EXIST:
        return v == NULL;
    case ZK_KUBE_SELECTOR_GT:
    case ZK_KUBE_SELECTOR_LT:
        if (!v || r->n_values != 1 || !go_is_int64(v, &lv) || !go_is_int64(r->values[0], &rv))
            return false;
        return r->op == ZK_KUBE_SELECTOR_GT ? lv > rv : lv < rv;
    }
    return false;
}

bool zk_kube_selector_matches(const zk_kube_selector *s, const json_t *labels)
{
    if (s->nothing)
        return false;
    if (labels && !json_is_object(labels))
        labels = NULL;
    for (size_t i = 0; i < s->n; i++)
        if (!requirement_matches(&s->reqs[i], labels))
            return false;
    return true;
}

bool zk_kube_selector_empty(const zk_kube_selector *s)
{
    return !s->nothing && s->n == 0;
}

bool zk_kube_selector_matches_nothing(const zk_kube_selector *s)
{
    return s->nothing;
}

size_t zk_kube_selector_count(const zk_kube_selector *s)
{
    return s->n;
}

const zk_kube_requirement *zk_kube_selector_get(const zk_kube_selector *s, size_t i)
{
    return i < s->n ? &s->reqs[i] : NULL;
}

const char *zk_kube_selector_exact_match(const zk_kube_selector *s, const char *label)
{
    for (size_t i = 0; i < s->n; i++) {
        const zk_kube_requirement *r = &s->reqs[i];
        if (strcmp(r->key, label) != 0)
            continue;
        if ((r->op == ZK_KUBE_SELECTOR_EQUALS || r->op == ZK_KUBE_SELECTOR_DOUBLE_EQUALS ||
             r->op == ZK_KUBE_SELECTOR_IN) &&
            r->n_values == 1)
            return r->values[0];
        return NULL;
    }
    return NULL;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void requirement_string(const zk_kube_requirement *r, zk_buf *b)
{
    static const char *const ops[] = {
        [ZK_KUBE_SELECTOR_EXISTS] = "",   [ZK_KUBE_SELECTOR_DOES_NOT_EXIST] = "",
        [ZK_KUBE_SELECTOR_EQUALS] = "=",  [ZK_KUBE_SELECTOR_DOUBLE_EQUALS] = "==",
        [ZK_KUBE_SELECTOR_NOT_EQUALS] = "!=", [ZK_KUBE_SELECTOR_IN] = " in ",
        [ZK_KUBE_SELECTOR_NOT_IN] = " notin ", [ZK_KUBE_SELECTOR_GT] = ">",
        [ZK_KUBE_SELECTOR_LT] = "<",
    };
    bool set = r->op == ZK_KUBE_SELECTOR_IN || r->op == ZK_KUBE_SELECTOR_NOT_IN;

    if (r->op == ZK_KUBE_SELECTOR_DOES_NOT_EXIST)
        zk_buf_putc(b, '!');
    zk_buf_puts(b, r->key);
    if (r->op == ZK_KUBE_SELECTOR_EXISTS || r->op == ZK_KUBE_SELECTOR_DOES_NOT_EXIST)
        return;
    zk_buf_puts(b, ops[r->op]);
    if (set)
        zk_buf_putc(b, '(');
    /* values print sorted, without touching the requirement */
    zk_autofree char **sorted = zk_xcalloc(r->n_values ? r->n_values : 1, sizeof *sorted);
    memcpy(sorted, r->values, r->n_values * sizeof *sorted);
    if (r->n_values > 1)
        qsort(sorted, r->n_values, sizeof *sorted, cmp_cstr);
    for (size_t i = 0; i < r->n_values; i++)
        zk_buf_printf(b, "%s%s", i ? "," : "", sorted[i]);
    if (set)
        zk_buf_putc(b, ')');
}

char *zk_kube_selector_string(const zk_kube_selector *s)
{
    /* selectors come from bounded requests; this bound only guards
     * against a broken caller */
    zk_buf b = ZK_BUF_INIT((size_t)64 << 20);
    for (size_t i = 0; !s->nothing && i < s->n; i++) {
        if (i)
            zk_buf_putc(&b, ',');
        requirement_string(&s->reqs[i], &b);
    }
    return zk_buf_steal(&b, NULL);
}

/* ------------------------------------------------------------------------
 * Field selectors (fields/selector.go)
 * ------------------------------------------------------------------------ */

typedef struct term {
    const char *s;
    size_t n;
} term;

static int cmp_term(const void *a, const void *b)
{
    const term *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* fields.UnescapeValue into a new string. */
static int unescape_value(const char *s, size_t n, char **out, zk_err *err)
{
    /* an invalid byte turns into a 3-byte U+FFFD, as in Go */
    zk_buf b = ZK_BUF_INIT(3 * n + 1);
    bool in_slash = false;

    *out = NULL;
    if (!memchr(s, '\\', n) && !memchr(s, ',', n) && !memchr(s, '=', n)) {
        *out = zk_xstrndup(s, n);
        return 0;
    }
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        const char *rune = s + i;
        size_t rlen = k;
        if (k == 0) {
            /* Go reads an invalid byte as U+FFFD */
            rune = "\xEF\xBF\xBD";
            rlen = 3;
            cp = 0xFFFD;
            k = 1;
        }
        i += k;
        if (in_slash) {
            if (cp == '\\' || cp == ',' || cp == '=') {
                zk_buf_putc(&b, (char)cp);
                in_slash = false;
                continue;
            }
            zk_buf_free(&b);
            return zk_err_set(err, ZK_EINVAL,
                              "invalid field selector: invalid escape sequence: \\%.*s", (int)rlen,
                              rune);
        }
        if (cp == '\\') {
            in_slash = true;
        } else if (cp == ',' || cp == '=') {
            zk_buf_free(&b);
            return zk_err_set(err, ZK_EINVAL,
                              "invalid field selector: unescaped character in value: %u", cp);
        } else {
            zk_buf_append(&b, rune, rlen);
        }
    }
    if (in_slash) {
        zk_buf_free(&b);
        return zk_err_set(err, ZK_EINVAL, "invalid field selector: invalid escape sequence: \\");
    }
    *out = zk_buf_steal(&b, NULL);
    return 0;
}

void zk_kube_fieldsel_free(zk_kube_fieldsel *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->reqs[i].field);
        free(s->reqs[i].value);
    }
    free(s->reqs);
    free(s);
}

int zk_kube_fieldsel_parse(const char *s, zk_kube_fieldsel_known_fn known, void *ctx,
                           zk_kube_fieldsel **out, zk_err *err)
{
    size_t len = strlen(s), nterms = 0;
    zk_autofree term *terms = zk_xcalloc(len + 1, sizeof *terms);
    zk_kube_fieldsel *sel = zk_xcalloc(1, sizeof *sel);
    bool in_slash = false;
    size_t start = 0;
    int rc = 0;

    *out = NULL;
    /* split on commas that are not escaped */
    for (size_t i = 0; len > 0 && i <= len; i++) {
        if (i == len) {
            terms[nterms++] = (term){ s + start, len - start };
        } else if (in_slash) {
            in_slash = false;
        } else if (s[i] == '\\') {
            in_slash = true;
        } else if (s[i] == ',') {
            terms[nterms++] = (term){ s + start, i - start };
            start = i + 1;
        }
    }
    if (nterms > 1)
        qsort(terms, nterms, sizeof *terms, cmp_term);
    sel->reqs = zk_xcalloc(nterms ? nterms : 1, sizeof *sel->reqs);

    for (size_t t = 0; t < nterms && rc == 0; t++) {
        const char *p = terms[t].s;
        size_t n = terms[t].n, i, oplen = 0;
        zk_kube_fieldsel_op op = ZK_KUBE_FIELDSEL_EQUALS;

        if (n == 0)
            continue;
        for (i = 0; i < n; i++) {
            if (i + 1 < n && p[i] == '!' && p[i + 1] == '=') {
                op = ZK_KUBE_FIELDSEL_NOT_EQUALS;
                oplen = 2;
            } else if (i + 1 < n && p[i] == '=' && p[i + 1] == '=') {
                oplen = 2;
            } else if (p[i] == '=') {
                oplen = 1;
            } else {
                continue;
            }
            break;
        }
        if (oplen == 0) {
            rc = zk_err_set(err, ZK_EINVAL, "invalid selector: '%s'; can't understand '%.*s'", s,
                            (int)n, p);
            break;
        }
        zk_kube_fieldsel_req *r = &sel->reqs[sel->n];
        if ((rc = unescape_value(p + i + oplen, n - i - oplen, &r->value, err)) < 0)
            break;
        r->field = zk_xstrndup(p, i);
        r->op = op;
        sel->n++;
    }
    /* the kind's supported fields are checked once the syntax is good */
    for (size_t i = 0; rc == 0 && known && i < sel->n; i++)
        if (!known(ctx, sel->reqs[i].field))
            rc = zk_err_set(err, ZK_EUNSUPPORTED, "field label not supported: %s",
                            sel->reqs[i].field);
    if (rc < 0) {
        zk_kube_fieldsel_free(sel);
        return rc;
    }
    *out = sel;
    return 0;
}

bool zk_kube_fieldsel_matches(const zk_kube_fieldsel *s, zk_kube_fieldsel_get_fn get, void *ctx)
{
    for (size_t i = 0; i < s->n; i++) {
        const char *v = get(ctx, s->reqs[i].field);
        bool eq = strcmp(v ? v : "", s->reqs[i].value) == 0;
        if (eq != (s->reqs[i].op == ZK_KUBE_FIELDSEL_EQUALS))
            return false;
    }
    return true;
}

bool zk_kube_fieldsel_empty(const zk_kube_fieldsel *s)
{
    return s->n == 0;
}

const char *zk_kube_fieldsel_exact_match(const zk_kube_fieldsel *s, const char *field)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->reqs[i].op == ZK_KUBE_FIELDSEL_EQUALS && !strcmp(s->reqs[i].field, field))
            return s->reqs[i].value;
    return NULL;
}

char *zk_kube_fieldsel_string(const zk_kube_fieldsel *s)
{
    zk_buf b = ZK_BUF_INIT((size_t)64 << 20);
    for (size_t i = 0; i < s->n; i++) {
        zk_buf_printf(&b, "%s%s%s", i ? "," : "", s->reqs[i].field,
                      s->reqs[i].op == ZK_KUBE_FIELDSEL_EQUALS ? "=" : "!=");
        for (const char *p = s->reqs[i].value; *p; p++) {
            if (*p == '\\' || *p == ',' || *p == '=')
                zk_buf_putc(&b, '\\');
            zk_buf_putc(&b, *p);
        }
    }
    return zk_buf_steal(&b, NULL);
}
