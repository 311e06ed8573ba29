#include "base/json.h"

#include <stdarg.h>
#include <string.h>

#include "base/mem.h"

int zk_json_depth(const char *data, size_t len)
{
    int depth = 0, maxd = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        switch (c) {
        case '"': in_str = true; break;
        case '[': case '{':
            if (++depth > maxd)
                maxd = depth;
            break;
        case ']': case '}':
            depth--;
            break;
        default: break;
        }
    }
    return maxd;
}

int zk_json_decode(const char *data, size_t len, json_t **out, zk_err *err)
{
    *out = NULL;
    /* Valid text within the depth bound is read at once; the checks below
     * run for the rest, so that errors keep their words. */
    json_t *j = zk_json_read(data, len, true);
    if (j) {
        *out = j;
        return 0;
    }
    int depth = zk_json_depth(data, len);
    if (depth > ZK_JSON_MAX_DEPTH)
        return zk_err_set(err, ZK_ETOOBIG, "JSON nesting depth %d exceeds the limit of %d", depth,
                          ZK_JSON_MAX_DEPTH);
    json_error_t jerr;
    j = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j)
        return zk_err_set(err, ZK_EPARSE, "invalid JSON at line %d, column %d: %s", jerr.line,
                          jerr.column, jerr.text);
    *out = j;
    return 0;
}

int zk_json_encode(const json_t *j, zk_buf *b)
{
    size_t n;
    zk_autofree char *s = zk_json_write(j, &n);
    if (!s)
        return -ZK_ETOOBIG;
    return zk_buf_append(b, s, n);
}

char *zk_json_dumps(const json_t *j)
{
    char *s = zk_json_write(j, NULL);
    if (!s) {
        fprintf(stderr, "zke: out of memory encoding JSON\n");
        abort();
    }
    return s;
}

static json_t *zk__json_vpath(const json_t *obj, va_list ap)
{
    const json_t *cur = obj;
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        if (!json_is_object(cur))
            return NULL;
        cur = json_object_get(cur, key);
        if (!cur)
            return NULL;
    }
    return (json_t *)cur;
}

json_t *zk_json_path(const json_t *obj, ...)
{
    va_list ap;
    va_start(ap, obj);
    json_t *r = zk__json_vpath(obj, ap);
    va_end(ap);
    return r;
}

const char *zk_json_path_str(const json_t *obj, ...)
{
    va_list ap;
    va_start(ap, obj);
    json_t *r = zk__json_vpath(obj, ap);
    va_end(ap);
    return json_is_string(r) ? json_string_value(r) : NULL;
}

json_t *zk_json_path_obj(json_t *obj, ...)
{
    va_list ap;
    va_start(ap, obj);
    json_t *cur = obj;
    const char *key;
    while (cur && (key = va_arg(ap, const char *)) != NULL) {
        if (!json_is_object(cur)) {
            cur = NULL;
            break;
        }
        json_t *next = json_object_get(cur, key);
        if (!next || json_is_null(next)) {
            next = json_object();
            json_object_set_new(cur, key, next);
        }
        cur = next;
    }
    va_end(ap);
    return json_is_object(cur) ? cur : NULL;
}

void zk_json_set_str(json_t *obj, const char *key, const char *val)
{
    json_object_set_new(obj, key, json_string(val));
}

const char *zk_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

json_int_t zk_json_int(const json_t *obj, const char *key, json_int_t def)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : def;
}

bool zk_json_bool(const json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

json_t *zk_json_child_obj(json_t *parent, const char *key)
{
    json_t *o = json_object_get(parent, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(parent, key, o);
    }
    return o;
}

json_t *zk_json_child_arr(json_t *parent, const char *key)
{
    json_t *a = json_object_get(parent, key);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(parent, key, a);
    }
    return a;
}
