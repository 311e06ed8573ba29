/* Helpers shared by the per-kind validators: typed JSON access, error
 * shapes, labels, selectors, IntOrString, ports and quantities. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "kube/validate_int.h"

const char *zk_kube__pathf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return buf;
}

const json_t *zk_kube__obj(const json_t *o, const char *key)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_object(v) ? v : NULL;
}

const json_t *zk_kube__arr(const json_t *o, const char *key)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_array(v) ? v : NULL;
}

const char *zk_kube__str(const json_t *o, const char *key)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *zk_kube__str0(const json_t *o, const char *key)
{
    const char *s = zk_kube__str(o, key);
    return s ? s : "";
}

bool zk_kube__has(const json_t *o, const char *key)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return v && !json_is_null(v);
}

bool zk_kube__is_true(const json_t *o, const char *key)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_true(v);
}

size_t zk_kube__len(const json_t *v)
{
    if (json_is_array(v))
        return json_array_size(v);
    if (json_is_object(v))
        return json_object_size(v);
    return 0;
}

static bool is_emptyish(const json_t *v)
{
    return !v || json_is_null(v) || ((json_is_array(v) || json_is_object(v)) && zk_kube__len(v) == 0);
}

bool zk_kube__equal(const json_t *a, const json_t *b)
{
    if (is_emptyish(a) || is_emptyish(b))
        return is_emptyish(a) && is_emptyish(b);
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            if (!zk_kube__equal(v, json_object_get(b, k)))
                return false;
        }
        json_object_foreach((json_t *)b, k, v) {
            if (!json_object_get(a, k) && !is_emptyish(v))
                return false;
        }
        return true;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!zk_kube__equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

void zk_kube__invalid_int(zk_field_errors *e, const char *path, json_int_t v, const char *detail)
{
    zk_autojson json_t *j = json_integer(v);
    zk_field_invalid(e, path, j, detail);
}

void zk_kube__not_found(zk_field_errors *e, const char *path, const char *value)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(4096);
    zk_buf_put_json_string(&b, value, strlen(value) > 1024 ? 1024 : strlen(value));
    zk_field_errors_add(e, "FieldValueNotFound", path, "Not found: %s", b.data ? b.data : "\"\"");
}

void zk_kube__not_supported_str(zk_field_errors *e, const char *path, const char *value,
                                const char *const *valid)
{
    zk_autojson json_t *j = json_string(value ? value : "");
    zk_field_not_supported(e, path, j, valid);
}

void zk_kube__check(zk_field_errors *e, const char *path, const char *value,
                    zk_kube_name_check fn)
{
    zk_kube_name_msgs m;
    fn(value, &m);
    for (size_t i = 0; i < m.n; i++)
        zk_field_invalid_str(e, path, value, m.msg[i]);
}

void zk_kube__immutable(zk_field_errors *e, const char *path, const json_t *newv,
                        const json_t *oldv)
{
    if (!zk_kube__equal(newv, oldv))
        zk_field_invalid(e, path, newv, ZK_KUBE_IMMUTABLE);
}

void zk_kube__nonneg(zk_field_errors *e, const char *path, const json_t *o, const char *key)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    if (json_is_integer(v) && json_integer_value(v) < 0)
        zk_field_invalid(e, path, v, ZK_KUBE_NONNEG);
}

bool zk_kube__one_of(const char *s, const char *const *valid)
{
    for (size_t i = 0; s && valid[i]; i++)
        if (strcmp(s, valid[i]) == 0)
            return true;
    return false;
}

void zk_kube__validate_labels(zk_field_errors *e, const json_t *labels, const char *path)
{
    if (!json_is_object(labels))
        return;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)labels, k, v) {
        zk_kube__check(e, path, k, zk_kube_names_qualified_name);
        if (json_is_string(v))
            zk_kube__check(e, path, json_string_value(v), zk_kube_names_label_value);
    }
}

#define ZK_ANNOTATIONS_MAX_BYTES (256 * 1024)

void zk_kube__validate_annotations(zk_field_errors *e, const json_t *ann, const char *path)
{
    if (!json_is_object(ann))
        return;
    size_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ann, k, v) {
        /* The rule is a qualified name, except that case does not matter. */
        size_t klen = strlen(k);
        zk_autofree char *lower = zk_xstrdup(k);
        for (size_t i = 0; i < klen; i++)
            lower[i] = (char)tolower((unsigned char)lower[i]);
        zk_kube_name_msgs m;
        zk_kube_names_qualified_name(lower, &m);
        for (size_t i = 0; i < m.n; i++)
            zk_field_invalid_str(e, path, k, m.msg[i]);
        total += klen + (json_is_string(v) ? json_string_length(v) : 0);
    }
    if (total > ZK_ANNOTATIONS_MAX_BYTES)
        zk_field_too_long(e, path, ZK_ANNOTATIONS_MAX_BYTES);
}

void zk_kube__validate_label_selector(zk_field_errors *e, const json_t *sel, const char *path)
{
    if (!json_is_object(sel))
        return;
    char p[ZK_KPATH_MAX], q[ZK_KPATH_MAX];
    zk_kube__validate_labels(e, zk_kube__obj(sel, "matchLabels"), ZK_KP(p, "%s.matchLabels", path));
    const json_t *exprs = zk_kube__arr(sel, "matchExpressions");
    for (size_t i = 0; i < json_array_size(exprs); i++) {
        const json_t *x = json_array_get(exprs, i);
        char xp[ZK_KPATH_MAX];
        ZK_KP(xp, "%s.matchExpressions[%zu]", path, i);
        const char *op = zk_kube__str0(x, "operator");
        const json_t *values = zk_kube__arr(x, "values");
        if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
            if (zk_kube__len(values) == 0)
                zk_field_required(e, ZK_KP(p, "%s.values", xp),
                                  "must be specified when `operator` is 'In' or 'NotIn'");
        } else if (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) {
            if (zk_kube__len(values) > 0)
                zk_field_forbidden(e, ZK_KP(p, "%s.values", xp),
                                   "may not be specified when `operator` is 'Exists' or "
                                   "'DoesNotExist'");
        } else {
            zk_field_invalid_str(e, ZK_KP(p, "%s.operator", xp), op,
                                 "not a valid selector operator");
        }
        zk_kube__check(e, ZK_KP(p, "%s.key", xp), zk_kube__str0(x, "key"),
                       zk_kube_names_qualified_name);
        for (size_t j = 0; j < json_array_size(values); j++) {
            const json_t *v = json_array_get(values, j);
            if (json_is_string(v))
                zk_kube__check(e, ZK_KP(q, "%s.values[%zu]", xp, j), json_string_value(v),
                               zk_kube_names_label_value);
        }
    }
}

static bool value_in(const json_t *values, const char *s)
{
    for (size_t i = 0; s && i < json_array_size(values); i++) {
        const json_t *v = json_array_get(values, i);
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

bool zk_kube__selector_empty(const json_t *sel)
{
    return zk_kube__len(zk_kube__obj(sel, "matchLabels")) == 0 &&
           zk_kube__len(zk_kube__arr(sel, "matchExpressions")) == 0;
}

bool zk_kube__selector_matches(const json_t *sel, const json_t *labels)
{
    if (!json_is_object(sel))
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(sel, "matchLabels"), k, v) {
        const char *have = zk_kube__str(labels, k);
        if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)) != 0)
            return false;
    }
    const json_t *exprs = zk_kube__arr(sel, "matchExpressions");
    for (size_t i = 0; i < json_array_size(exprs); i++) {
        const json_t *x = json_array_get(exprs, i);
        const char *key = zk_kube__str0(x, "key"), *op = zk_kube__str0(x, "operator");
        const char *have = zk_kube__str(labels, key);
        const json_t *values = zk_kube__arr(x, "values");
        if (strcmp(op, "In") == 0) {
            if (!have || !value_in(values, have))
                return false;
        } else if (strcmp(op, "NotIn") == 0) {
            if (have && value_in(values, have))
                return false;
        } else if (strcmp(op, "Exists") == 0) {
            if (!have)
                return false;
        } else if (strcmp(op, "DoesNotExist") == 0) {
            if (have)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

bool zk_kube__map_selector_matches(const json_t *sel, const json_t *labels)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)sel, k, v) {
        const char *have = zk_kube__str(labels, k);
        if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)) != 0)
            return false;
    }
    return true;
}

void zk_kube__validate_int_or_percent(zk_field_errors *e, const json_t *v, const char *path)
{
    if (json_is_string(v)) {
        zk_kube_name_msgs m;
        zk_kube_names_percent(json_string_value(v), &m);
        for (size_t i = 0; i < m.n; i++)
            zk_field_invalid(e, path, v, m.msg[i]);
    } else if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            zk_field_invalid(e, path, v, ZK_KUBE_NONNEG);
    } else if (v && !json_is_null(v)) {
        zk_field_invalid(e, path, v, "must be an integer or percentage (e.g '5%%')");
    }
}

/* Percent value of "N%", or -1 when v is not a valid percent string. */
static int percent_value(const json_t *v)
{
    if (!json_is_string(v))
        return -1;
    zk_kube_name_msgs m;
    const char *s = json_string_value(v);
    if (zk_kube_names_percent(s, &m))
        return -1;
    long n = strtol(s, NULL, 10);
    return n > 1000000 ? 1000000 : (int)n;
}

int zk_kube__int_or_percent_value(const json_t *v)
{
    int p = percent_value(v);
    if (p >= 0)
        return p;
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    return 0;
}

void zk_kube__not_more_than_100_percent(zk_field_errors *e, const json_t *v, const char *path)
{
    int p = percent_value(v);
    if (p > 100)
        zk_field_invalid(e, path, v, "must not be greater than 100%");
}

void zk_kube__validate_port_num_or_name(zk_field_errors *e, const json_t *v, const char *path)
{
    if (json_is_integer(v)) {
        if (!zk_kube_is_port_num(json_integer_value(v)))
            zk_field_invalid(e, path, v, ZK_KUBE_PORT_RANGE_MSG);
    } else if (json_is_string(v)) {
        zk_kube__check(e, path, json_string_value(v), zk_kube_names_port_name);
    } else {
        /* An absent port is the zero IntOrString: an int 0. */
        zk_kube__invalid_int(e, path, 0, ZK_KUBE_PORT_RANGE_MSG);
    }
}

bool zk_kube__quantity_parse(const json_t *v, long double *out)
{
    if (json_is_integer(v)) {
        *out = (long double)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        *out = (long double)json_real_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    const char *p = s;
    long double sign = 1;
    if (*p == '+' || *p == '-')
        sign = (*p++ == '-') ? -1 : 1;
    long double num = 0, frac = 0.1L;
    size_t digits = 0;
    bool dot = false;
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            if (dot)
                return false;
            dot = true;
            continue;
        }
        if (!dot) {
            num = num * 10 + (*p - '0');
        } else {
            num += frac * (*p - '0');
            frac /= 10;
        }
        digits++;
    }
    if (digits == 0)
        return false;
    long double mult = 1;
    static const struct { const char *sfx; long double mult; } sfx[] = {
        {"", 1},        {"n", 1e-9L},   {"u", 1e-6L},   {"m", 1e-3L},
        {"k", 1e3L},    {"M", 1e6L},    {"G", 1e9L},    {"T", 1e12L},
        {"P", 1e15L},   {"E", 1e18L},   {"Ki", 1024.0L}, {"Mi", 1048576.0L},
        {"Gi", 1073741824.0L}, {"Ti", 1099511627776.0L},
        {"Pi", 1125899906842624.0L}, {"Ei", 1152921504606846976.0L},
    };
    bool found = false;
    for (size_t i = 0; i < ZK_ARRAY_LEN(sfx); i++) {
        if (strcmp(p, sfx[i].sfx) == 0) {
            mult = sfx[i].mult;
            found = true;
            break;
        }
    }
    if (!found) {
        /* decimal exponent: e/E followed by a signed integer */
        if (*p != 'e' && *p != 'E')
            return false;
        p++;
        int esign = 1;
        if (*p == '+' || *p == '-')
            esign = (*p++ == '-') ? -1 : 1;
        if (!*p)
            return false;
        long exp = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return false;
            if (exp < 100000)
                exp = exp * 10 + (*p - '0');
        }
        mult = powl(10.0L, (long double)(esign * exp));
    }
    *out = sign * num * mult;
    return true;
}

void zk_kube__quantity_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        snprintf(buf, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%g", json_real_value(v));
    else
        snprintf(buf, n, "0");
}
