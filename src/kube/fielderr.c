#include "kube/fielderr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"

void zk_field_errors_init(zk_field_errors *e)
{
    memset(e, 0, sizeof(*e));
}

void zk_field_errors_free(zk_field_errors *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->items[i].reason);
        free(e->items[i].field);
        free(e->items[i].message);
    }
    e->n = 0;
    e->dropped = 0;
}

static void zk__field_add(zk_field_errors *e, const char *reason, const char *field, char *msg)
{
    if (e->n >= ZK_FIELD_ERRORS_MAX) {
        e->dropped++;
        free(msg);
        return;
    }
    zk_field_error *fe = &e->items[e->n++];
    fe->reason = zk_xstrdup(reason);
    fe->field = zk_xstrdup(field ? field : "");
    fe->message = msg;
}

void zk_field_errors_add(zk_field_errors *e, const char *reason, const char *field,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = zk_xstrdup(reason);
    va_end(ap);
    zk__field_add(e, reason, field, msg);
}

/* Render a value the way field.Error does: strings quoted, numbers plain. */
static char *zk__field_value(const json_t *v)
{
    if (!v)
        return zk_xstrdup("null");
    if (json_is_string(v)) {
        zk_autobuf zk_buf b = ZK_BUF_INIT(4096);
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (zk_buf_put_json_string(&b, s, len > 1024 ? 1024 : len) < 0)
            return zk_xstrdup("\"...\"");
        return zk_buf_steal(&b, NULL);
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return zk_xstrdup("?");
    if (strlen(s) > 1024) {
        s[1021] = s[1022] = s[1023] = '.';
        s[1024] = '\0';
    }
    return s;
}

void zk_field_required(zk_field_errors *e, const char *field, const char *detail)
{
    if (detail && *detail)
        zk_field_errors_add(e, "FieldValueRequired", field, "Required value: %s", detail);
    else
        zk_field_errors_add(e, "FieldValueRequired", field, "Required value");
}

void zk_field_invalid(zk_field_errors *e, const char *field, const json_t *value,
                      const char *detail)
{
    zk_autofree char *v = zk__field_value(value);
    if (detail && *detail)
        zk_field_errors_add(e, "FieldValueInvalid", field, "Invalid value: %s: %s", v, detail);
    else
        zk_field_errors_add(e, "FieldValueInvalid", field, "Invalid value: %s", v);
}

void zk_field_invalid_str(zk_field_errors *e, const char *field, const char *value,
                          const char *detail)
{
    zk_autojson json_t *v = json_string(value ? value : "");
    zk_field_invalid(e, field, v, detail);
}

void zk_field_not_supported(zk_field_errors *e, const char *field, const json_t *value,
                            const char *const *valid)
{
    zk_autofree char *v = zk__field_value(value);
    zk_autobuf zk_buf b = ZK_BUF_INIT(4096);
    for (size_t i = 0; valid && valid[i]; i++) {
        if (i)
            zk_buf_puts(&b, ", ");
        zk_buf_put_json_string(&b, valid[i], strlen(valid[i]));
    }
    if (b.len)
        zk_field_errors_add(e, "FieldValueNotSupported", field,
                            "Unsupported value: %s: supported values: %s", v, b.data);
    else
        zk_field_errors_add(e, "FieldValueNotSupported", field, "Unsupported value: %s", v);
}

void zk_field_forbidden(zk_field_errors *e, const char *field, const char *detail)
{
    zk_field_errors_add(e, "FieldValueForbidden", field, "Forbidden: %s", detail);
}

void zk_field_duplicate(zk_field_errors *e, const char *field, const json_t *value)
{
    zk_autofree char *v = zk__field_value(value);
    zk_field_errors_add(e, "FieldValueDuplicate", field, "Duplicate value: %s", v);
}

void zk_field_too_long(zk_field_errors *e, const char *field, size_t max)
{
    zk_field_errors_add(e, "FieldValueTooLong", field,
                        "Too long: may not be more than %zu bytes", max);
}

char *zk_field_errors_summary(const zk_field_errors *e)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(64 * 1024);
    bool many = e->n + e->dropped > 1;
    if (many)
        zk_buf_putc(&b, '[');
    for (size_t i = 0; i < e->n; i++) {
        if (i)
            zk_buf_puts(&b, ", ");
        if (e->items[i].field[0])
            zk_buf_printf(&b, "%s: %s", e->items[i].field, e->items[i].message);
        else
            zk_buf_puts(&b, e->items[i].message);
    }
    if (e->dropped)
        zk_buf_printf(&b, ", and %zu more", e->dropped);
    if (many)
        zk_buf_putc(&b, ']');
    return zk_buf_steal(&b, NULL);
}

json_t *zk_field_errors_causes(const zk_field_errors *e)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < e->n; i++) {
        json_t *c = json_object();
        zk_json_set_str(c, "reason", e->items[i].reason);
        zk_json_set_str(c, "message", e->items[i].message);
        zk_json_set_str(c, "field", e->items[i].field);
        json_array_append_new(arr, c);
    }
    return arr;
}

const char *zk_field_path(char *buf, size_t n, const char *parent, const char *child)
{
    if (parent && *parent)
        snprintf(buf, n, "%s.%s", parent, child);
    else
        snprintf(buf, n, "%s", child);
    return buf;
}

const char *zk_field_index(char *buf, size_t n, const char *parent, size_t i)
{
    snprintf(buf, n, "%s[%zu]", parent, i);
    return buf;
}

const char *zk_field_key(char *buf, size_t n, const char *parent, const char *key)
{
    snprintf(buf, n, "%s[%s]", parent, key);
    return buf;
}
