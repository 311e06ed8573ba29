#include "kube/structural.h"

#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "kube/structural_int.h"

/* ---- field paths ----------------------------------------------------------
 *
 * One fixed buffer per walk; children are appended and popped back. A path
 * longer than the buffer is cut, never overflowed. */

#define SP_MAX 1024

typedef struct spath {
    char b[SP_MAX];
    size_t len;
} spath;

static size_t sp_printf(spath *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t sp_printf(spath *p, const char *fmt, ...)
{
    size_t old = p->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->b + p->len, SP_MAX - p->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        p->b[old] = '\0';
        return old;
    }
    p->len += (size_t)n;
    if (p->len >= SP_MAX)
        p->len = SP_MAX - 1;
    return old;
}

static void sp_init(spath *p, const char *base)
{
    p->len = 0;
    p->b[0] = '\0';
    if (base)
        sp_printf(p, "%s", base);
}

static size_t sp_child(spath *p, const char *name)
{
    return p->len ? sp_printf(p, ".%s", name) : sp_printf(p, "%s", name);
}

static size_t sp_index(spath *p, size_t i)
{
    return sp_printf(p, "[%zu]", i);
}

static size_t sp_key(spath *p, const char *k)
{
    return sp_printf(p, "[%s]", k);
}

static void sp_pop(spath *p, size_t old)
{
    p->len = old;
    p->b[old] = '\0';
}

/* ---- schema access ------------------------------------------------------- */

static const json_t *sch_get(const json_t *s, const char *k)
{
    return json_is_object(s) ? json_object_get(s, k) : NULL;
}

static const char *sch_type(const json_t *s)
{
    const json_t *t = sch_get(s, "type");
    return json_is_string(t) ? json_string_value(t) : NULL;
}

static bool sch_flag(const json_t *s, const char *k)
{
    return json_is_true(sch_get(s, k));
}

static const json_t *sch_obj(const json_t *s, const char *k)
{
    const json_t *v = sch_get(s, k);
    return json_is_object(v) ? v : NULL;
}

static const json_t *sch_prop(const json_t *s, const char *name)
{
    const json_t *v = json_object_get(sch_obj(s, "properties"), name);
    return json_is_object(v) ? v : NULL;
}

/* additionalProperties present (a schema or a bool); *sub is the schema or
 * NULL for a bool, which Kubernetes treats as an empty schema. */
static bool sch_addl(const json_t *s, const json_t **sub)
{
    const json_t *a = sch_get(s, "additionalProperties");
    *sub = json_is_object(a) ? a : NULL;
    return json_is_object(a) || json_is_boolean(a);
}

static bool sch_number(const json_t *s, const char *k, double *out)
{
    const json_t *v = sch_get(s, k);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

static bool sch_int(const json_t *s, const char *k, json_int_t *out)
{
    const json_t *v = sch_get(s, k);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v) &&
        fabs(json_real_value(v)) < 9e15) {
        *out = (json_int_t)json_real_value(v);
        return true;
    }
    return false;
}

static bool is_meta_field(const char *k)
{
    return strcmp(k, "apiVersion") == 0 || strcmp(k, "kind") == 0 || strcmp(k, "metadata") == 0;
}

#define X_PRESERVE "x-kubernetes-preserve-unknown-fields"
#define X_EMBEDDED "x-kubernetes-embedded-resource"
#define X_INT_OR_STRING "x-kubernetes-int-or-string"
#define X_LIST_TYPE "x-kubernetes-list-type"
#define X_LIST_MAP_KEYS "x-kubernetes-list-map-keys"

/* ---- values -------------------------------------------------------------- */

static void go_float(char *out, size_t n, double d);

/* A value as Kubernetes' field errors print it: JSON (floats as Go's %v
 * prints them), cut at 1 KiB. */
static char *render_value(const json_t *v)
{
    if (json_is_real(v)) {
        char num[48];
        go_float(num, sizeof(num), json_real_value(v));
        return zk_xstrdup(num);
    }
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (!s)
        return zk_xstrdup(v ? "\"\"" : "null");
    if (strlen(s) > 1024) {
        s[1021] = s[1022] = s[1023] = '.';
        s[1024] = '\0';
    }
    return s;
}

/* Canonical JSON for equality (sorted keys); NULL when too deep to print. */
static char *canonical(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
}

static bool values_equal(const json_t *a, const json_t *b, int depth)
{
    if (depth > ZK_KUBE_STRUCTURAL_MAX_DEPTH)
        return false;
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *av;
        json_object_foreach((json_t *)a, k, av) {
            json_t *bv = json_object_get(b, k);
            if (!bv || !values_equal(av, bv, depth + 1))
                return false;
        }
        return true;
    }
    if (json_is_array(a)) {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!values_equal(json_array_get(a, i), json_array_get(b, i), depth + 1))
                return false;
        return true;
    }
    return json_equal(a, b);
}

/* A number the way Go's %v prints a float64: shortest digits, exponent form
 * below 1e-4 and from 1e+06 on (strconv's 'g' with shortest precision),
 * otherwise plain ("100000", "0.5"). */
static void go_float(char *out, size_t n, double d)
{
    if (isnan(d)) {
        snprintf(out, n, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(out, n, d < 0 ? "-Inf" : "+Inf");
        return;
    }
    int prec = 1;
    char e[40];
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    int exp10 = atoi(strchr(e, 'e') + 1);
    if (exp10 < -4 || exp10 >= 6) {
        /* "%.*e" already has Go's form: shortest mantissa, two-digit exponent */
        snprintf(out, n, "%s", e);
    } else {
        int decimals = prec - 1 - exp10;
        snprintf(out, n, "%.*f", decimals > 0 ? decimals : 0, d);
    }
}

static size_t utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            count++;
    return count;
}

static const char *value_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static bool type_allows(const char *type, const json_t *v)
{
    if (strcmp(type, "integer") == 0)
        return json_is_integer(v) || (json_is_real(v) && isfinite(json_real_value(v)) &&
                                      floor(json_real_value(v)) == json_real_value(v));
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    return strcmp(type, value_kind(v)) == 0;
}

/* ---- validate ------------------------------------------------------------- */

typedef struct vctx {
    zk_field_errors *errs;
    spath path;
} vctx;

static void v_add(vctx *c, const char *reason, const json_t *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "Invalid value: <value>: <detail>" with the given cause reason. */
static void v_add(vctx *c, const char *reason, const json_t *value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *detail = NULL;
    if (vasprintf(&detail, fmt, ap) < 0)
        detail = NULL;
    va_end(ap);
    zk_autofree char *v = render_value(value);
    zk_field_errors_add(c->errs, reason, c->path.b, "Invalid value: %s: %s", v,
                        detail ? detail : "invalid");
    free(detail);
}

static void v_node(vctx *c, const json_t *s, const json_t *v, int depth);

/* Indices of the first repeat of each duplicated canonical value, in order;
 * keys[i] == NULL entries are ignored. */
typedef struct dup_item {
    const char *key;
    size_t index;
} dup_item;

static int dup_cmp(const void *a, const void *b)
{
    const dup_item *x = a, *y = b;
    int r = strcmp(x->key, y->key);
    if (r)
        return r;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int size_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Returns the number of first repeats written to out (sorted by index). */
static size_t find_duplicates(char **keys, size_t n, size_t *out)
{
    dup_item *items = zk_xcalloc(n ? n : 1, sizeof(*items));
    size_t m = 0, found = 0;
    for (size_t i = 0; i < n; i++)
        if (keys[i])
            items[m++] = (dup_item){keys[i], i};
    qsort(items, m, sizeof(*items), dup_cmp);
    for (size_t i = 1; i < m; i++) {
        /* the second element of a run of equal keys is the first repeat */
        if (strcmp(items[i].key, items[i - 1].key) == 0 &&
            (i < 2 || strcmp(items[i - 1].key, items[i - 2].key) != 0))
            out[found++] = items[i].index;
    }
    free(items);
    qsort(out, found, sizeof(*out), size_cmp);
    return found;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

static void v_list_type(vctx *c, const json_t *s, const json_t *arr)
{
    const char *lt = zk_json_str(s, X_LIST_TYPE);
    size_t n = json_array_size(arr);
    if (!lt || n == 0 || (strcmp(lt, "set") != 0 && strcmp(lt, "map") != 0))
        return;
    bool is_map = strcmp(lt, "map") == 0;
    const json_t *mk = sch_get(s, X_LIST_MAP_KEYS);
    if (is_map) {
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(arr, i);
            if (!json_is_object(e) && !json_is_null(e)) {
                size_t old = sp_index(&c->path, i);
                v_add(c, "FieldValueInvalid", e, "must be an object for an array of list-type map");
                sp_pop(&c->path, old);
                return;
            }
        }
    }
    if (n < 2)
        return;
    char **keys = zk_xcalloc(n, sizeof(*keys));
    json_t **keyobjs = zk_xcalloc(n, sizeof(*keyobjs));
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        if (is_map) {
            keyobjs[i] = json_object();
            size_t k;
            json_t *name;
            json_array_foreach(mk, k, name) {
                const json_t *kv = json_is_string(name) ? json_object_get(e, json_string_value(name)) : NULL;
                if (kv)
                    json_object_set(keyobjs[i], json_string_value(name), (json_t *)kv);
            }
            keys[i] = canonical(keyobjs[i]);
        } else {
            keys[i] = canonical(e);
        }
    }
    size_t *dups = zk_xcalloc(n, sizeof(*dups));
    size_t nd = find_duplicates(keys, n, dups);
    for (size_t d = 0; d < nd; d++) {
        size_t i = dups[d];
        size_t old = sp_index(&c->path, i);
        zk_field_duplicate(c->errs, c->path.b, is_map ? keyobjs[i] : json_array_get(arr, i));
        sp_pop(&c->path, old);
    }
    free(dups);
    for (size_t i = 0; i < n; i++)
        if (keyobjs[i])
            json_decref(keyobjs[i]);
    free(keyobjs);
    free_keys(keys, n);
}

static void v_array(vctx *c, const json_t *s, const json_t *arr, int depth)
{
    const json_t *items = sch_obj(s, "items");
    size_t n = json_array_size(arr), i;
    json_t *e;
    json_int_t lim;
    if (items) {
        json_array_foreach(arr, i, e) {
            size_t old = sp_index(&c->path, i);
            v_node(c, items, e, depth + 1);
            sp_pop(&c->path, old);
        }
    }
    if (sch_int(s, "minItems", &lim) && (json_int_t)n < lim) {
        zk_autojson json_t *size = json_integer((json_int_t)n);
        v_add(c, "FieldValueInvalid", size, "%s in body should have at least %" JSON_INTEGER_FORMAT
              " items", c->path.b, lim);
    }
    if (sch_int(s, "maxItems", &lim) && (json_int_t)n > lim)
        zk_field_errors_add(c->errs, "FieldValueTooMany", c->path.b,
                            "Too many: must have at most %" JSON_INTEGER_FORMAT " items", lim);
    if (sch_flag(s, "uniqueItems") && n > 1) {
        char **keys = zk_xcalloc(n, sizeof(*keys));
        json_array_foreach(arr, i, e)
            keys[i] = canonical(e);
        size_t *dups = zk_xcalloc(n, sizeof(*dups));
        if (find_duplicates(keys, n, dups) > 0) {
            zk_autojson json_t *empty = json_string("");
            v_add(c, "FieldValueInvalid", empty, "%s in body shouldn't contain duplicates",
                  c->path.b);
        }
        free(dups);
        free_keys(keys, n);
    }
    v_list_type(c, s, arr);
}

static void v_object(vctx *c, const json_t *s, const json_t *obj, int depth)
{
    size_t n = json_object_size(obj);
    json_int_t lim;
    const char *k;
    json_t *v;
    if (sch_int(s, "minProperties", &lim) && (json_int_t)n < lim) {
        zk_autojson json_t *size = json_integer((json_int_t)n);
        v_add(c, "FieldValueInvalid", size, "%s in body should have at least %" JSON_INTEGER_FORMAT
              " properties", c->path.b, lim);
        return;
    }
    if (sch_int(s, "maxProperties", &lim) && (json_int_t)n > lim) {
        zk_field_errors_add(c->errs, "FieldValueTooMany", c->path.b,
                            "Too many: must have at most %" JSON_INTEGER_FORMAT " items", lim);
        return;
    }
    const json_t *props = sch_obj(s, "properties");
    const json_t *addl = sch_get(s, "additionalProperties");
    json_object_foreach((json_t *)obj, k, v) {
        if (json_object_get(props, k))
            continue;
        if (json_is_false(addl)) {
            zk_autojson json_t *key = json_string(k);
            v_add(c, "FieldValueInvalid", key, "%s%s%s in body is a forbidden property", c->path.b,
                  c->path.len ? "." : "", k);
        } else if (json_is_object(addl)) {
            size_t old = sp_child(&c->path, k);
            v_node(c, addl, v, depth + 1);
            sp_pop(&c->path, old);
        }
    }
    json_object_foreach((json_t *)props, k, v) {
        const json_t *val = json_object_get(obj, k);
        if (!val || !json_is_object(v))
            continue;
        size_t old = sp_child(&c->path, k);
        v_node(c, v, val, depth + 1);
        sp_pop(&c->path, old);
    }
    size_t i;
    json_t *req;
    json_array_foreach(sch_get(s, "required"), i, req) {
        if (!json_is_string(req) || json_object_get(obj, json_string_value(req)))
            continue;
        size_t old = sp_child(&c->path, json_string_value(req));
        zk_field_required(c->errs, c->path.b, NULL);
        sp_pop(&c->path, old);
    }
    if (sch_flag(s, X_EMBEDDED)) {
        static const char *const meta[] = {"kind", "apiVersion"};
        for (i = 0; i < ZK_ARRAY_LEN(meta); i++) {
            const char *mv = zk_json_str(obj, meta[i]);
            if (mv && *mv)
                continue;
            size_t old = sp_child(&c->path, meta[i]);
            zk_field_required(c->errs, c->path.b, "must not be empty");
            sp_pop(&c->path, old);
        }
    }
}

static void v_string(vctx *c, const json_t *s, const json_t *v)
{
    const char *str = json_string_value(v);
    size_t len = json_string_length(v);
    json_int_t lim;
    size_t runes = utf8_len(str, len);
    if (sch_int(s, "maxLength", &lim) && (json_int_t)runes > lim)
        zk_field_too_long(c->errs, c->path.b, (size_t)(lim < 0 ? 0 : lim));
    if (sch_int(s, "minLength", &lim) && (json_int_t)runes < lim)
        v_add(c, "FieldValueInvalid", v, "%s in body should be at least %" JSON_INTEGER_FORMAT
              " chars long", c->path.b, lim);
    const json_t *pat = sch_get(s, "pattern");
    if (json_is_string(pat)) {
        pattern_entry scratch = {0};
        pattern_entry *e = zk_kube_structural__pattern_get(json_string_value(pat), json_string_length(pat), &scratch);
        if (!e->ok) {
            v_add(c, "FieldValueInvalid", v, "%s in body: pattern '%s' cannot be evaluated: %s",
                  c->path.b, json_string_value(pat), e->why);
        } else if (memchr(str, '\0', len) || regexec(&e->re, str, 0, NULL, 0) != 0) {
            v_add(c, "FieldValueInvalid", v, "%s in body should match '%s'", c->path.b,
                  json_string_value(pat));
        }
        zk_kube_structural__pattern_release(e, &scratch);
    }
}

/* A limit in a message: kube-openapi compares an integer value with int64
 * limits (printed as integers) and anything else as float64. */
static void limit_text(char *out, size_t n, const json_t *v, double lim)
{
    if (json_is_integer(v) && floor(lim) == lim && fabs(lim) < 9.2e18)
        snprintf(out, n, "%lld", (long long)lim);
    else
        go_float(out, n, lim);
}

static void v_number(vctx *c, const json_t *s, const json_t *v, const char *type)
{
    double x = json_number_value(v), lim;
    char num[48];
    const char *format = zk_json_str(s, "format");
    if (type && strcmp(type, "integer") == 0 && format && strcmp(format, "int32") == 0 &&
        (x < -2147483648.0 || x > 2147483647.0)) {
        zk_autojson json_t *empty = json_string("");
        v_add(c, "FieldValueInvalid", empty,
              "Checked value must be of type integer with format int32 in %s", c->path.b);
    }
    if (sch_number(s, "multipleOf", &lim) && lim > 0) {
        double q = x / lim, r = round(q);
        if (!(q == r || fabs(q - r) / fmax(fabs(q), 1.0) < 1e-9)) {
            limit_text(num, sizeof(num), v, lim);
            v_add(c, "FieldValueInvalid", v, "%s in body should be a multiple of %s", c->path.b, num);
        }
    }
    if (sch_number(s, "maximum", &lim)) {
        bool excl = sch_flag(s, "exclusiveMaximum");
        if (excl ? x >= lim : x > lim) {
            limit_text(num, sizeof(num), v, lim);
            v_add(c, "FieldValueInvalid", v, "%s in body should be less than %s%s", c->path.b,
                  excl ? "" : "or equal to ", num);
        }
    }
    if (sch_number(s, "minimum", &lim)) {
        bool excl = sch_flag(s, "exclusiveMinimum");
        if (excl ? x <= lim : x < lim) {
            limit_text(num, sizeof(num), v, lim);
            v_add(c, "FieldValueInvalid", v, "%s in body should be greater than %s%s", c->path.b,
                  excl ? "" : "or equal to ", num);
        }
    }
}

static void v_enum(vctx *c, const json_t *s, const json_t *v)
{
    const json_t *en = sch_get(s, "enum");
    size_t i, n = json_array_size(en);
    json_t *e;
    if (!json_is_array(en))
        return;
    json_array_foreach(en, i, e)
        if (values_equal(v, e, 0))
            return;
    if (n > 256)
        n = 256;
    char **valid = zk_xcalloc(n + 1, sizeof(*valid));
    for (i = 0; i < n; i++) {
        e = json_array_get(en, i);
        valid[i] = json_is_string(e) ? zk_xstrdup(json_string_value(e)) : render_value(e);
    }
    zk_field_not_supported(c->errs, c->path.b, v, (const char *const *)valid);
    free_keys(valid, n);
}

/* Run v_node on sub-schema s into a scratch error list; returns its error
 * count and, when keep is set, hands the errors over. */
static size_t v_try(vctx *c, const json_t *s, const json_t *v, int depth, zk_field_errors **keep)
{
    zk_field_errors *scratch = zk_xcalloc(1, sizeof(*scratch));
    zk_field_errors *saved = c->errs;
    c->errs = scratch;
    v_node(c, s, v, depth);
    c->errs = saved;
    size_t n = scratch->n + scratch->dropped;
    if (keep) {
        *keep = scratch;
    } else {
        zk_field_errors_free(scratch);
        free(scratch);
    }
    return n;
}

static void merge_errors(zk_field_errors *dst, zk_field_errors *src)
{
    for (size_t i = 0; i < src->n; i++)
        zk_field_errors_add(dst, src->items[i].reason, src->items[i].field, "%s",
                            src->items[i].message);
    zk_field_errors_free(src);
    free(src);
}

static void v_junctors(vctx *c, const json_t *s, const json_t *v, int depth)
{
    size_t i;
    json_t *sub;
    json_array_foreach(sch_get(s, "allOf"), i, sub)
        v_node(c, sub, v, depth + 1);

    const json_t *any = sch_get(s, "anyOf");
    if (json_array_size(any) > 0) {
        zk_field_errors *best = NULL;
        size_t best_n = SIZE_MAX;
        bool ok = false;
        json_array_foreach(any, i, sub) {
            zk_field_errors *errs = NULL;
            size_t n = v_try(c, sub, v, depth + 1, &errs);
            if (n < best_n) {
                if (best) {
                    zk_field_errors_free(best);
                    free(best);
                }
                best = errs;
                best_n = n;
            } else {
                zk_field_errors_free(errs);
                free(errs);
            }
            if (n == 0) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            zk_field_errors_add(c->errs, "FieldValueInvalid", c->path.b,
                                "Invalid value: \"\": \"%s\" must validate at least one schema (anyOf)",
                                c->path.b);
            merge_errors(c->errs, best);
        } else if (best) {
            zk_field_errors_free(best);
            free(best);
        }
    }

    const json_t *one = sch_get(s, "oneOf");
    if (json_array_size(one) > 0) {
        size_t valid = 0;
        json_array_foreach(one, i, sub)
            if (v_try(c, sub, v, depth + 1, NULL) == 0)
                valid++;
        if (valid != 1)
            zk_field_errors_add(c->errs, "FieldValueInvalid", c->path.b,
                                "Invalid value: \"\": \"%s\" must validate one and only one schema (oneOf)",
                                c->path.b);
    }

    const json_t *neg = sch_obj(s, "not");
    if (neg && v_try(c, neg, v, depth + 1, NULL) == 0)
        zk_field_errors_add(c->errs, "FieldValueInvalid", c->path.b,
                            "Invalid value: \"\": \"%s\" must not validate the schema (not)",
                            c->path.b);
}

static void v_node(vctx *c, const json_t *s, const json_t *v, int depth)
{
    if (!json_is_object(s) || !v)
        return;
    if (depth > ZK_KUBE_STRUCTURAL_MAX_DEPTH) {
        zk_autojson json_t *empty = json_string("");
        v_add(c, "FieldValueInvalid", empty, "exceeds the maximum nesting depth of %d",
              ZK_KUBE_STRUCTURAL_MAX_DEPTH);
        return;
    }
    const char *types[2] = {NULL, NULL};
    size_t ntypes = 0;
    if (sch_flag(s, X_INT_OR_STRING)) {
        types[ntypes++] = "integer";
        types[ntypes++] = "string";
    } else if (sch_type(s)) {
        types[ntypes++] = sch_type(s);
    }
    if (json_is_null(v)) {
        if (sch_flag(s, "nullable") || ntypes == 0)
            return;
    }
    if (ntypes) {
        bool ok = false;
        for (size_t i = 0; i < ntypes; i++)
            ok = ok || type_allows(types[i], v);
        if (!ok) {
            const char *kind = value_kind(v);
            zk_field_errors_add(c->errs, "FieldValueTypeInvalid", c->path.b,
                                "Invalid value: \"%s\": %s in body must be of type %s%s%s: \"%s\"",
                                kind, c->path.b, types[0], ntypes > 1 ? "," : "",
                                ntypes > 1 ? types[1] : "", kind);
            return;
        }
    }
    const char *format = zk_json_str(s, "format");
    if (format && json_is_string(v) &&
        !zk_kube_structural__format_ok(format, json_string_value(v), json_string_length(v))) {
        zk_autofree char *rv = render_value(v);
        zk_field_errors_add(c->errs, "FieldValueTypeInvalid", c->path.b,
                            "Invalid value: %s: %s in body must be of type %s: %s", rv, c->path.b,
                            format, rv);
    }
    switch (json_typeof(v)) {
    case JSON_STRING: v_string(c, s, v); break;
    case JSON_INTEGER:
    case JSON_REAL: v_number(c, s, v, ntypes ? types[0] : NULL); break;
    case JSON_ARRAY: v_array(c, s, v, depth); break;
    case JSON_OBJECT: v_object(c, s, v, depth); break;
    default: break;
    }
    v_enum(c, s, v);
    v_junctors(c, s, v, depth);
}

int zk_kube_structural_validate(const json_t *schema, const json_t *obj, zk_field_errors *errs)
{
    size_t before = errs->n + errs->dropped;
    vctx *c = zk_xcalloc(1, sizeof(*c));
    c->errs = errs;
    sp_init(&c->path, NULL);
    v_node(c, schema, obj, 0);
    free(c);
    return errs->n + errs->dropped > before ? -ZK_EINVAL : 0;
}

/* ---- prune ---------------------------------------------------------------- */

typedef struct pctx {
    zk_kube_structural_unknown_fn *cb;
    void *ud;
    size_t dropped;
    spath path;
} pctx;

static void p_drop(pctx *c, json_t *obj, const char *k)
{
    size_t old = sp_child(&c->path, k);
    if (c->cb)
        c->cb(c->path.b, c->ud);
    sp_pop(&c->path, old);
    c->dropped++;
    json_object_del(obj, k);
}

static void p_node(pctx *c, json_t *x, const json_t *s, bool root, int depth);

/* Under x-kubernetes-preserve-unknown-fields: keep unknown fields, prune
 * inside the known ones. */
static void p_skip(pctx *c, json_t *x, const json_t *s, bool root, int depth)
{
    if (!s || depth > ZK_KUBE_STRUCTURAL_MAX_DEPTH)
        return;
    if (json_is_object(x)) {
        bool embedded = root || sch_flag(s, X_EMBEDDED);
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(x, tmp, k, v) {
            const json_t *sub = NULL;
            if (embedded && is_meta_field(k))
                continue;
            const json_t *prop = sch_prop(s, k);
            if (prop || sch_addl(s, &sub)) {
                size_t old = sp_child(&c->path, k);
                p_node(c, v, prop ? prop : sub, false, depth + 1);
                sp_pop(&c->path, old);
            }
        }
    } else if (json_is_array(x)) {
        size_t i;
        json_t *v;
        json_array_foreach(x, i, v) {
            size_t old = sp_index(&c->path, i);
            p_skip(c, v, sch_obj(s, "items"), false, depth + 1);
            sp_pop(&c->path, old);
        }
    }
}

static void p_node(pctx *c, json_t *x, const json_t *s, bool root, int depth)
{
    if (depth > ZK_KUBE_STRUCTURAL_MAX_DEPTH)
        return;
    if (s && sch_flag(s, X_PRESERVE)) {
        p_skip(c, x, s, root, depth);
        return;
    }
    if (json_is_object(x)) {
        const char *k;
        json_t *v;
        void *tmp;
        bool embedded = root || sch_flag(s, X_EMBEDDED);
        json_object_foreach_safe(x, tmp, k, v) {
            const json_t *sub = NULL;
            if (s && embedded && is_meta_field(k))
                continue;
            const json_t *prop = s ? sch_prop(s, k) : NULL;
            if (prop || (s && sch_addl(s, &sub))) {
                size_t old = sp_child(&c->path, k);
                p_node(c, v, prop ? prop : sub, false, depth + 1);
                sp_pop(&c->path, old);
            } else {
                p_drop(c, x, k);
            }
        }
    } else if (json_is_array(x)) {
        size_t i;
        json_t *v;
        json_array_foreach(x, i, v) {
            size_t old = sp_index(&c->path, i);
            p_node(c, v, s ? sch_obj(s, "items") : NULL, false, depth + 1);
            sp_pop(&c->path, old);
        }
    }
}

size_t zk_kube_structural_prune(const json_t *schema, json_t *obj,
                                zk_kube_structural_unknown_fn *cb, void *ud)
{
    zk_autojson json_t *empty = json_object();
    pctx *c = zk_xcalloc(1, sizeof(*c));
    c->cb = cb;
    c->ud = ud;
    sp_init(&c->path, NULL);
    p_node(c, obj, json_is_object(schema) ? schema : empty, true, 0);
    size_t n = c->dropped;
    free(c);
    return n;
}

/* ---- default -------------------------------------------------------------- */

/* A null that the schema's default replaces: not nullable, default set. */
static bool d_replaces_null(const json_t *v, const json_t *s)
{
    return json_is_null(v) && s && !sch_flag(s, "nullable") && sch_get(s, "default");
}

static void d_node(json_t *x, const json_t *s, int depth)
{
    if (!json_is_object(s) || depth > ZK_KUBE_STRUCTURAL_MAX_DEPTH)
        return;
    if (json_is_object(x)) {
        const char *k;
        json_t *prop, *v;
        json_object_foreach((json_t *)sch_obj(s, "properties"), k, prop) {
            const json_t *def = sch_get(prop, "default");
            if (!def)
                continue;
            json_t *cur = json_object_get(x, k);
            if (!cur || d_replaces_null(cur, prop))
                json_object_set_new(x, k, json_deep_copy(def));
        }
        const json_t *addl = NULL;
        sch_addl(s, &addl);
        json_object_foreach(x, k, v) {
            const json_t *p = sch_prop(s, k);
            if (p) {
                d_node(v, p, depth + 1);
            } else if (addl) {
                if (d_replaces_null(v, addl)) {
                    json_object_set_new(x, k, json_deep_copy(sch_get(addl, "default")));
                    v = json_object_get(x, k);
                }
                d_node(v, addl, depth + 1);
            }
        }
    } else if (json_is_array(x)) {
        const json_t *items = sch_obj(s, "items");
        size_t i;
        json_t *v;
        if (!items)
            return;
        json_array_foreach(x, i, v) {
            if (d_replaces_null(v, items)) {
                json_array_set_new(x, i, json_deep_copy(sch_get(items, "default")));
                v = json_array_get(x, i);
            }
            d_node(v, items, depth + 1);
        }
    }
}

void zk_kube_structural_default(const json_t *schema, json_t *obj)
{
    d_node(obj, schema, 0);
}

/* ---- check the schema ------------------------------------------------------- */

typedef enum { LVL_ROOT, LVL_ITEM, LVL_FIELD } slevel;

typedef struct cctx {
    zk_field_errors *errs;
    spath path;
} cctx;

static void c_forbidden(cctx *c, const char *child, const char *detail)
{
    size_t old = child ? sp_child(&c->path, child) : c->path.len;
    zk_field_forbidden(c->errs, c->path.b, detail);
    sp_pop(&c->path, old);
}

static void c_required(cctx *c, const char *child, const char *detail)
{
    size_t old = sp_child(&c->path, child);
    zk_field_required(c->errs, c->path.b, detail);
    sp_pop(&c->path, old);
}

static void c_invalid(cctx *c, const char *child, const json_t *value, const char *detail)
{
    size_t old = child ? sp_child(&c->path, child) : c->path.len;
    zk_field_invalid(c->errs, c->path.b, value, detail);
    sp_pop(&c->path, old);
}

static void c_invalid_str(cctx *c, const char *child, const char *value, const char *detail)
{
    size_t old = sp_child(&c->path, child);
    zk_field_invalid_str(c->errs, c->path.b, value ? value : "", detail);
    sp_pop(&c->path, old);
}

static void c_pattern(cctx *c, const json_t *s)
{
    const json_t *pat = sch_get(s, "pattern");
    if (!pat)
        return;
    if (!json_is_string(pat)) {
        c_invalid(c, "pattern", pat, "must be a string");
        return;
    }
    pattern_entry scratch = {0};
    pattern_entry *e = zk_kube_structural__pattern_get(json_string_value(pat), json_string_length(pat), &scratch);
    if (!e->ok) {
        zk_autofree char *msg = zk_xasprintf("must be a valid regular expression, but isn't: %s",
                                             e->why);
        c_invalid(c, "pattern", pat, msg);
    }
    zk_kube_structural__pattern_release(e, &scratch);
}

/* Keywords CRD schemas reject wherever they appear. */
static void c_unsupported(cctx *c, const json_t *s)
{
    static const struct { const char *key, *detail; } kws[] = {
        { "id", "id is not supported" },
        { "additionalItems", "additionalItems is not supported" },
        { "patternProperties", "patternProperties is not supported" },
        { "definitions", "definitions is not supported" },
        { "dependencies", "dependencies is not supported" },
        { "$ref", "$ref is not supported" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(kws); i++)
        if (sch_get(s, kws[i].key))
            c_forbidden(c, kws[i].key, kws[i].detail);
    if (sch_flag(s, "uniqueItems"))
        c_forbidden(c, "uniqueItems",
                    "uniqueItems cannot be set to true since the runtime complexity becomes quadratic");
}

static bool is_type_only(const json_t *s, const char *type)
{
    return json_is_object(s) && json_object_size(s) == 1 && sch_type(s) &&
           strcmp(sch_type(s), type) == 0;
}

/* anyOf: [{type: integer}, {type: string}], the int-or-string exception. */
static bool is_int_or_string_any_of(const json_t *s)
{
    const json_t *any = sch_get(s, "anyOf");
    return json_array_size(any) == 2 && is_type_only(json_array_get(any, 0), "integer") &&
           is_type_only(json_array_get(any, 1), "string");
}

static void c_nested(cctx *c, const json_t *v, bool skip_any_of, int depth);

static void c_junctors(cctx *c, const json_t *s, bool skip_any_of, bool skip_first_all_of_any_of,
                       int depth)
{
    static const char *const lists[] = {"allOf", "anyOf", "oneOf"};
    for (size_t l = 0; l < ZK_ARRAY_LEN(lists); l++) {
        size_t i;
        json_t *sub;
        if (l == 1 && skip_any_of)
            continue;
        size_t o1 = sp_child(&c->path, lists[l]);
        json_array_foreach(sch_get(s, lists[l]), i, sub) {
            size_t o2 = sp_index(&c->path, i);
            c_nested(c, sub, l == 0 && i == 0 && skip_first_all_of_any_of, depth + 1);
            sp_pop(&c->path, o2);
        }
        sp_pop(&c->path, o1);
    }
    const json_t *neg = sch_get(s, "not");
    if (neg) {
        size_t o = sp_child(&c->path, "not");
        c_nested(c, neg, false, depth + 1);
        sp_pop(&c->path, o);
    }
}

/* A schema under allOf/anyOf/oneOf/not: value validations only. */
static void c_nested(cctx *c, const json_t *v, bool skip_any_of, int depth)
{
    if (!json_is_object(v)) {
        c_invalid(c, NULL, v, "must be a schema object");
        return;
    }
    if (depth > ZK_KUBE_STRUCTURAL_MAX_DEPTH) {
        c_forbidden(c, NULL, "must not be nested this deep");
        return;
    }
    static const struct { const char *key, *detail; bool when_true; } forbidden[] = {
        { "type", "must be empty to be structural", false },
        { "additionalProperties", "must be undefined to be structural", false },
        { "default", "must be undefined to be structural", false },
        { "title", "must be empty to be structural", false },
        { "description", "must be empty to be structural", false },
        { "nullable", "must be false to be structural", true },
        { "externalDocs", "must be undefined to be structural", false },
        { X_PRESERVE, "must be false to be structural", true },
        { X_EMBEDDED, "must be false to be structural", true },
        { X_INT_OR_STRING, "must be false to be structural", true },
        { X_LIST_MAP_KEYS, "must be empty to be structural", false },
        { X_LIST_TYPE, "must be undefined to be structural", false },
        { "x-kubernetes-map-type", "must be undefined to be structural", false },
        { "x-kubernetes-validations", "must be empty to be structural", false },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(forbidden); i++) {
        const json_t *f = sch_get(v, forbidden[i].key);
        if (!f || (forbidden[i].when_true && !json_is_true(f)))
            continue;
        if (json_is_array(f) && json_array_size(f) == 0)
            continue;
        c_forbidden(c, forbidden[i].key, forbidden[i].detail);
    }
    c_unsupported(c, v);
    c_pattern(c, v);
    const json_t *items = sch_get(v, "items");
    if (items) {
        size_t o = sp_child(&c->path, "items");
        c_nested(c, items, false, depth + 1);
        sp_pop(&c->path, o);
    }
    const char *k;
    json_t *p;
    size_t o1 = sp_child(&c->path, "properties");
    json_object_foreach((json_t *)sch_obj(v, "properties"), k, p) {
        size_t o2 = sp_key(&c->path, k);
        if (strcmp(k, "metadata") == 0)
            c_forbidden(c, NULL, "must not be specified in a nested context");
        c_nested(c, p, false, depth + 1);
        sp_pop(&c->path, o2);
    }
    sp_pop(&c->path, o1);
    c_junctors(c, v, skip_any_of, is_int_or_string_any_of(json_array_get(sch_get(v, "allOf"), 0)),
               depth);
}

/* Everything a junctor specifies (properties, items) must also be specified
 * in the structural schema s. sp is s's path, vp the junctor's. */
static void c_complete(cctx *c, const json_t *v, const json_t *s, spath *vp, int depth)
{
    if (!json_is_object(v) || depth > ZK_KUBE_STRUCTURAL_MAX_DEPTH)
        return;
    if (!json_is_object(s)) {
        zk_autofree char *d = zk_xasprintf("because it is defined in %s", vp->b);
        zk_field_required(c->errs, c->path.b, d);
        return;
    }
    static const char *const lists[] = {"allOf", "anyOf", "oneOf"};
    for (size_t l = 0; l < ZK_ARRAY_LEN(lists); l++) {
        size_t i;
        json_t *sub;
        size_t o1 = sp_child(vp, lists[l]);
        json_array_foreach(sch_get(v, lists[l]), i, sub) {
            size_t o2 = sp_index(vp, i);
            c_complete(c, sub, s, vp, depth + 1);
            sp_pop(vp, o2);
        }
        sp_pop(vp, o1);
    }
    if (sch_get(v, "not")) {
        size_t o = sp_child(vp, "not");
        c_complete(c, sch_get(v, "not"), s, vp, depth + 1);
        sp_pop(vp, o);
    }
    if (sch_get(v, "items")) {
        size_t o = sp_child(vp, "items"), os = sp_child(&c->path, "items");
        c_complete(c, sch_get(v, "items"), sch_obj(s, "items"), vp, depth + 1);
        sp_pop(&c->path, os);
        sp_pop(vp, o);
    }
    const char *k;
    json_t *p;
    json_object_foreach((json_t *)sch_obj(v, "properties"), k, p) {
        size_t o1 = sp_child(vp, "properties"), os1 = sp_child(&c->path, "properties");
        sp_key(vp, k);
        sp_key(&c->path, k);
        c_complete(c, p, sch_prop(s, k), vp, depth + 1);
        sp_pop(&c->path, os1);
        sp_pop(vp, o1);
    }
}

static void c_complete_junctors(cctx *c, const json_t *s)
{
    static const char *const lists[] = {"allOf", "anyOf", "oneOf"};
    spath *vp = zk_xcalloc(1, sizeof(*vp));
    for (size_t l = 0; l < ZK_ARRAY_LEN(lists); l++) {
        size_t i;
        json_t *sub;
        json_array_foreach(sch_get(s, lists[l]), i, sub) {
            sp_init(vp, c->path.b);
            sp_child(vp, lists[l]);
            sp_index(vp, i);
            c_complete(c, sub, s, vp, 0);
        }
    }
    if (sch_get(s, "not")) {
        sp_init(vp, c->path.b);
        sp_child(vp, "not");
        c_complete(c, sch_get(s, "not"), s, vp, 0);
    }
    free(vp);
}

/* metadata at the root may only restrict name and generateName. */
static bool metadata_only_names(const json_t *m)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v) {
        if (strcmp(k, "type") == 0 || strcmp(k, "default") == 0)
            continue;
        if (strcmp(k, "properties") != 0 || !json_is_object(v))
            return false;
        const char *pk;
        json_t *pv;
        json_object_foreach(v, pk, pv)
            if (strcmp(pk, "name") != 0 && strcmp(pk, "generateName") != 0)
                return false;
    }
    return true;
}

static void c_list_type(cctx *c, const json_t *s, const char *type)
{
    const json_t *ltv = sch_get(s, X_LIST_TYPE);
    const char *lt = json_is_string(ltv) ? json_string_value(ltv) : NULL;
    const json_t *mk = sch_get(s, X_LIST_MAP_KEYS);
    static const char *const list_types[] = {"atomic", "set", "map", NULL};
    if (lt) {
        if (strcmp(lt, "atomic") && strcmp(lt, "set") && strcmp(lt, "map")) {
            size_t o = sp_child(&c->path, X_LIST_TYPE);
            zk_field_not_supported(c->errs, c->path.b, ltv, list_types);
            sp_pop(&c->path, o);
        }
        if (!type || strcmp(type, "array") != 0)
            c_invalid(c, X_LIST_TYPE, ltv, "must only be used on type=array");
    }
    if (json_array_size(mk) > 0) {
        if (!lt)
            c_required(c, X_LIST_TYPE, "must be map if x-kubernetes-list-map-keys is non-empty");
        else if (strcmp(lt, "map") != 0)
            c_invalid(c, X_LIST_TYPE, ltv, "must be map if x-kubernetes-list-map-keys is non-empty");
    }
    if (!lt || strcmp(lt, "map") != 0)
        return;
    if (json_array_size(mk) == 0)
        c_required(c, X_LIST_MAP_KEYS, "must not be empty if x-kubernetes-list-type is map");
    const json_t *items = sch_obj(s, "items");
    if (!items) {
        c_required(c, "items", "must have a schema if x-kubernetes-list-type is map");
        return;
    }
    const char *it = sch_type(items);
    if (!it || strcmp(it, "object") != 0) {
        size_t o = sp_child(&c->path, "items");
        c_invalid_str(c, "type", it, "must be object if parent array's x-kubernetes-list-type is map");
        sp_pop(&c->path, o);
        return;
    }
    size_t i, j;
    json_t *k;
    json_array_foreach(mk, i, k) {
        const char *name = json_string_value(k);
        const json_t *prop = name ? sch_prop(items, name) : NULL;
        if (!prop) {
            c_invalid(c, X_LIST_MAP_KEYS, mk, "entries must all be names of item properties");
        } else if (sch_type(prop) && (!strcmp(sch_type(prop), "array") ||
                                      !strcmp(sch_type(prop), "object"))) {
            size_t o1 = sp_child(&c->path, "items"), o2 = sp_child(&c->path, "properties");
            sp_key(&c->path, name);
            c_invalid_str(c, "type", sch_type(prop),
                          "must be a scalar type if parent array's x-kubernetes-list-type is map");
            sp_pop(&c->path, o2);
            sp_pop(&c->path, o1);
        }
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(mk, j), k))
                c_invalid(c, X_LIST_MAP_KEYS, mk, "must not contain duplicate entries");
    }
}

static void c_node(cctx *c, const json_t *s, slevel lvl, int depth)
{
    if (!json_is_object(s)) {
        c_invalid(c, NULL, s, "must be a schema object");
        return;
    }
    if (depth > ZK_KUBE_STRUCTURAL_MAX_DEPTH) {
        char d[96];
        snprintf(d, sizeof(d), "must not be nested more than %d levels deep",
                 ZK_KUBE_STRUCTURAL_MAX_DEPTH);
        c_forbidden(c, NULL, d);
        return;
    }
    static const char *const types[] = {"array", "boolean", "integer", "number", "object",
                                        "string", NULL};
    const json_t *tv = sch_get(s, "type");
    const char *type = NULL;
    if (tv && !json_is_string(tv)) {
        c_invalid(c, "type", tv, "must be a string");
    } else if (tv) {
        type = json_string_value(tv);
        bool known = false;
        for (size_t i = 0; types[i]; i++)
            known = known || strcmp(types[i], type) == 0;
        if (strcmp(type, "null") == 0) {
            c_forbidden(c, "type", "type cannot be set to null, use nullable as an alternative");
        } else if (!known && *type) {
            size_t o = sp_child(&c->path, "type");
            zk_field_not_supported(c->errs, c->path.b, tv, types);
            sp_pop(&c->path, o);
        }
        if (!*type)
            type = NULL;
    }
    c_unsupported(c, s);

    const json_t *items = sch_get(s, "items");
    if (json_is_array(items)) {
        c_forbidden(c, "items", "items must be a schema object and not an array");
    } else if (items) {
        size_t o = sp_child(&c->path, "items");
        c_node(c, items, LVL_ITEM, depth + 1);
        sp_pop(&c->path, o);
    }
    if (type && strcmp(type, "array") == 0 && !json_is_object(items))
        c_required(c, "items", "must be specified");

    const json_t *props = sch_obj(s, "properties");
    const char *k;
    json_t *p;
    json_object_foreach((json_t *)props, k, p) {
        size_t o1 = sp_child(&c->path, "properties");
        sp_key(&c->path, k);
        c_node(c, p, LVL_FIELD, depth + 1);
        sp_pop(&c->path, o1);
    }

    bool preserve = sch_flag(s, X_PRESERVE);
    bool int_or_string = sch_flag(s, X_INT_OR_STRING);
    bool embedded = sch_flag(s, X_EMBEDDED);
    const json_t *addl = sch_get(s, "additionalProperties");
    if (addl && (json_is_boolean(addl) || json_is_object(addl))) {
        if (lvl == LVL_ROOT)
            c_forbidden(c, "additionalProperties", "must not be used at the root");
        if (json_is_false(addl))
            c_forbidden(c, "additionalProperties", "additionalProperties cannot be set to false");
        if (json_object_size(props) > 0 && !json_is_true(addl))
            c_forbidden(c, "additionalProperties", "additionalProperties and properties are mutual exclusive");
        if (embedded)
            c_forbidden(c, "additionalProperties",
                        "must not be used if x-kubernetes-embedded-resource is set");
        if (json_is_object(addl)) {
            size_t o = sp_child(&c->path, "additionalProperties");
            c_node(c, addl, LVL_FIELD, depth + 1);
            sp_pop(&c->path, o);
        }
    } else if (addl) {
        c_invalid(c, "additionalProperties", addl, "must be a schema object or a boolean");
    }

    const json_t *pv = sch_get(s, X_PRESERVE);
    if (pv && !json_is_true(pv))
        c_invalid(c, X_PRESERVE, pv, "must be true or undefined");
    if (int_or_string && preserve)
        c_invalid(c, X_PRESERVE, pv, "must be false if x-kubernetes-int-or-string is true");
    if (int_or_string && embedded)
        c_invalid(c, X_EMBEDDED, sch_get(s, X_EMBEDDED),
                  "must be false if x-kubernetes-int-or-string is true");
    if (int_or_string && type)
        c_invalid(c, "type", tv, "must be empty if x-kubernetes-int-or-string is true");
    if (embedded && (!type || strcmp(type, "object") != 0)) {
        if (!type)
            c_required(c, "type", "must be object if x-kubernetes-embedded-resource is true");
        else
            c_invalid(c, "type", tv, "must be object if x-kubernetes-embedded-resource is true");
    } else if (!type && !int_or_string && !preserve) {
        c_required(c, "type", lvl == LVL_ROOT   ? "must not be empty at the root"
                              : lvl == LVL_ITEM ? "must not be empty for specified array items"
                                                : "must not be empty for specified object fields");
    }
    if (lvl == LVL_ROOT && type && strcmp(type, "object") != 0)
        c_invalid(c, "type", tv, "must be object at the root");
    if (embedded && !preserve && json_object_size(props) == 0)
        c_required(c, "properties", "must not be empty if x-kubernetes-embedded-resource is true "
                                    "without x-kubernetes-preserve-unknown-fields");

    bool check_meta = lvl == LVL_ROOT || embedded;
    static const char *const meta_strings[] = {"kind", "apiVersion"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(meta_strings) && check_meta; i++) {
        const json_t *mp = sch_prop(s, meta_strings[i]);
        const char *mt = sch_type(mp);
        if (mp && (!mt || strcmp(mt, "string") != 0)) {
            size_t o = sp_child(&c->path, "properties");
            sp_key(&c->path, meta_strings[i]);
            c_invalid_str(c, "type", mt, "must be string");
            sp_pop(&c->path, o);
        }
    }
    const json_t *meta = sch_prop(s, "metadata");
    if (meta) {
        size_t o = sp_child(&c->path, "properties");
        sp_key(&c->path, "metadata");
        const char *mt = sch_type(meta);
        if (check_meta && (!mt || strcmp(mt, "object") != 0))
            c_invalid_str(c, "type", mt, "must be object");
        if (lvl == LVL_ROOT && !metadata_only_names(meta))
            c_forbidden(c, NULL, "must not specify anything other than name and generateName, "
                                 "but metadata is implicitly specified");
        sp_pop(&c->path, o);
    }

    c_pattern(c, s);
    c_list_type(c, s, type);
    c_junctors(c, s, is_int_or_string_any_of(s),
               is_int_or_string_any_of(json_array_get(sch_get(s, "allOf"), 0)), depth);
    c_complete_junctors(c, s);

    /* A default must itself be valid against its schema. */
    const json_t *def = sch_get(s, "default");
    if (def) {
        vctx *vc = zk_xcalloc(1, sizeof(*vc));
        vc->errs = c->errs;
        sp_init(&vc->path, c->path.b);
        sp_child(&vc->path, "default");
        v_node(vc, s, def, depth);
        free(vc);
    }
}

int zk_kube_structural_check_schema(const json_t *schema, const char *path,
                                    zk_field_errors *errs)
{
    size_t before = errs->n + errs->dropped;
    cctx *c = zk_xcalloc(1, sizeof(*c));
    c->errs = errs;
    sp_init(&c->path, path);
    if (!schema)
        zk_field_required(errs, c->path.b, NULL);
    else
        c_node(c, schema, LVL_ROOT, 0);
    free(c);
    return errs->n + errs->dropped > before ? -ZK_EINVAL : 0;
}
