#include "kube/openapi_pb.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"

/* ---- a minimal protobuf writer ------------------------------------------
 *
 * Errors are sticky: the first failed append is kept in w->err and every
 * later write is a no-op, so the encoders below need no error checks; the
 * caller looks at w->err once at the end. */

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2 };

typedef struct pbw {
    zk_buf *b;
    int err;     /* 0 or the first negative ZK_E* code */
    int depth;   /* open length-delimited fields */
} pbw;

static void pb_raw(pbw *w, const void *p, size_t n)
{
    if (w->err)
        return;
    int r = zk_buf_append(w->b, p, n);
    if (r < 0)
        w->err = r;
}

static size_t pb_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t pb_varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

static void pb_varint(pbw *w, uint64_t v)
{
    uint8_t tmp[10];
    pb_raw(w, tmp, pb_varint_put(tmp, v));
}

static void pb_tag(pbw *w, unsigned num, unsigned wire)
{
    pb_varint(w, ((uint64_t)num << 3) | wire);
}

/* A length-delimited field; written even when empty (repeated elements). */
static void pb_bytes(pbw *w, unsigned num, const char *s, size_t n)
{
    pb_tag(w, num, PB_LEN);
    pb_varint(w, n);
    pb_raw(w, s, n);
}

/* A proto3 singular string: the empty string is the default and omitted. */
static void pb_string(pbw *w, unsigned num, const char *s, size_t n)
{
    if (n)
        pb_bytes(w, num, s, n);
}

static void pb_bool(pbw *w, unsigned num, bool v)
{
    pb_tag(w, num, PB_VARINT);
    pb_varint(w, v ? 1 : 0);
}

/* proto3 double: omitted when its bits are all zero (0.0), like Go's proto. */
static void pb_double(pbw *w, unsigned num, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    if (!bits)
        return;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(bits >> (8 * i));
    pb_tag(w, num, PB_I64);
    pb_raw(w, le, sizeof(le));
}

/* Open a length-delimited field and return where its content starts. One
 * byte is reserved for the length; pb_end() widens it if the content needs a
 * longer varint, moving the content up in place. */
static size_t pb_begin(pbw *w, unsigned num)
{
    pb_tag(w, num, PB_LEN);
    pb_raw(w, "", 1);
    if (++w->depth > ZK_KUBE_OPENAPI_PB_MAX_DEPTH && !w->err)
        w->err = -ZK_ETOOBIG;
    return w->b->len;
}

static void pb_end(pbw *w, size_t start)
{
    w->depth--;
    if (w->err)
        return;
    size_t n = w->b->len - start;
    size_t vl = pb_varint_len(n);
    if (vl > 1) {
        static const uint8_t pad[9];
        pb_raw(w, pad, vl - 1);
        if (w->err)
            return;
        memmove(w->b->data + start + vl - 1, w->b->data + start, n);
    }
    pb_varint_put((uint8_t *)w->b->data + start - 1, n);
}

/* ---- YAML text of a value, as gnostic puts it into Any.yaml -------------
 *
 * gnostic marshals the value's yaml.Node with yaml.v3 after clearing styles:
 * block style, 4-space indentation for nested collections, "- " items whose
 * mappings continue two columns in, no line wrapping. client-go reads the
 * text back with a YAML 1.1 decoder, so strings that such a reader would
 * take for a bool, null, number or time are double-quoted. */

#define Y_MAX_DEPTH 128

static void y_put(pbw *w, const char *s)
{
    pb_raw(w, s, strlen(s));
}

static void y_spaces(pbw *w, int n)
{
    static const char sp[] = "                                ";
    while (n > 0) {
        int k = n > 32 ? 32 : n;
        pb_raw(w, sp, (size_t)k);
        n -= k;
    }
}

static bool y_word_in(const char *s, size_t len, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
            return true;
    return false;
}

static bool y_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Would a plain scalar with this text resolve to something other than a
 * string, in YAML 1.2 (yaml.v3) or YAML 1.1 (yaml.v2)? */
static bool y_resolves_nonstring(const char *s, size_t len)
{
    static const char *const words[] = {
        "~", "null", "Null", "NULL",
        "true", "True", "TRUE", "false", "False", "FALSE",
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
        ".nan", ".NaN", ".NAN", "<<", NULL,
    };
    if (len == 0 || y_word_in(s, len, words))
        return true;
    char c = s[0];
    if (!(y_is_digit(c) || c == '+' || c == '-' || c == '.'))
        return false;
    /* Numbers: drop '_' (YAML 1.1 allows it) and see if the whole text
     * parses as an integer in any base or as a float. */
    char tmp[128];
    size_t n = 0;
    bool numberish = true;
    for (size_t i = 0; i < len; i++) {
        char d = s[i];
        if (d == '_')
            continue;
        if (!(y_is_digit(d) || strchr("+-.eExXoObBaAcCdDfF:", d)))
            numberish = false;
        if (n + 1 < sizeof(tmp))
            tmp[n++] = d;
    }
    if (!numberish)
        return false;
    if (n + 1 >= sizeof(tmp))
        return true; /* a very long number-like text: quote to be safe */
    tmp[n] = '\0';
    char *end = NULL;
    const char *p = tmp;
    if ((p[0] == '+' || p[0] == '-') && p[1] == '0' && (p[2] == 'o' || p[2] == 'O' ||
                                                        p[2] == 'b' || p[2] == 'B'))
        p++;
    if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        strtoll(p + 2, &end, 8);
        if (p[2] && !*end)
            return true;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
        strtoll(p + 2, &end, 2);
        if (p[2] && !*end)
            return true;
    }
    strtoll(tmp, &end, 0);
    if (end != tmp && !*end)
        return true;
    strtod(tmp, &end);
    if (end != tmp && !*end)
        return true;
    /* Sexagesimal (YAML 1.1) and timestamps (2001-12-14...). */
    if (y_is_digit(c) && memchr(s, ':', len))
        return true;
    if (len >= 8 && y_is_digit(s[0]) && y_is_digit(s[1]) && y_is_digit(s[2]) &&
        y_is_digit(s[3]) && s[4] == '-' && y_is_digit(s[5]))
        return true;
    return false;
}

/* Characters that force double quotes: C0/C1 controls, DEL, NEL, BOM and the
 * Unicode line separators. */
static bool y_needs_escape(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c < 0x20 || c == 0x7f)
            return true;
        if (c == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
            return true;
        if (c == 0xef && i + 2 < len && s[i + 1] == 0xbb && s[i + 2] == 0xbf)
            return true;
        if (c == 0xe2 && i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
            return true;
    }
    return false;
}

/* libyaml's rules for a plain scalar in block context. */
static bool y_plain_ok(const char *s, size_t len)
{
    if (s[0] == ' ' || s[len - 1] == ' ')
        return false;
    if (len >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
        return false;
    if (strchr("#,[]{}&*!|>'\"%@`", s[0]))
        return false;
    if ((s[0] == '-' || s[0] == '?' || s[0] == ':') && (len == 1 || s[1] == ' '))
        return false;
    for (size_t i = 1; i < len; i++) {
        if (s[i] == ':' && (i + 1 == len || s[i + 1] == ' '))
            return false;
        if (s[i] == '#' && s[i - 1] == ' ')
            return false;
    }
    return true;
}

static void y_double_quoted(pbw *w, const char *s, size_t len)
{
    pb_raw(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char hex[12];
        size_t skip = 1;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\0': esc = "\\0"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\v': esc = "\\v"; break;
        case '\f': esc = "\\f"; break;
        case '\r': esc = "\\r"; break;
        case 0x1b: esc = "\\e"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(hex, sizeof(hex), "\\x%02X", c);
                esc = hex;
            } else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                       (unsigned char)s[i + 1] <= 0x9f) {
                unsigned cp = (unsigned char)s[i + 1];
                if (cp == 0x85)
                    esc = "\\N";
                else {
                    snprintf(hex, sizeof(hex), "\\x%02X", cp);
                    esc = hex;
                }
                skip = 2;
            } else if (c == 0xef && i + 2 < len && (unsigned char)s[i + 1] == 0xbb &&
                       (unsigned char)s[i + 2] == 0xbf) {
                esc = "\\uFEFF";
                skip = 3;
            } else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                       ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
                esc = (unsigned char)s[i + 2] == 0xa8 ? "\\L" : "\\P";
                skip = 3;
            }
            break;
        }
        if (!esc) {
            run++;
            continue;
        }
        pb_raw(w, s + i - run, run);
        run = 0;
        y_put(w, esc);
        i += skip - 1;
    }
    pb_raw(w, s + len - run, run);
    pb_raw(w, "\"", 1);
}

static void y_single_quoted(pbw *w, const char *s, size_t len)
{
    pb_raw(w, "'", 1);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\'') {
            pb_raw(w, s + start, i + 1 - start);
            pb_raw(w, "'", 1);
            start = i + 1;
        }
    }
    pb_raw(w, s + start, len - start);
    pb_raw(w, "'", 1);
}

static void y_string(pbw *w, const char *s, size_t len)
{
    if (len == 0 || y_needs_escape((const unsigned char *)s, len) || y_resolves_nonstring(s, len))
        y_double_quoted(w, s, len);
    else if (y_plain_ok(s, len))
        pb_raw(w, s, len);
    else
        y_single_quoted(w, s, len);
}

static void y_real(pbw *w, double d)
{
    if (isnan(d)) {
        y_put(w, ".nan");
        return;
    }
    if (isinf(d)) {
        y_put(w, d < 0 ? "-.inf" : ".inf");
        return;
    }
    char t[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(t, sizeof(t), "%.*g", prec, d);
        if (strtod(t, NULL) == d)
            break;
    }
    y_put(w, t);
    if (!strpbrk(t, ".eE"))
        y_put(w, ".0");
}

static void y_scalar(pbw *w, const json_t *v)
{
    char t[32];
    switch (json_typeof(v)) {
    case JSON_STRING:
        y_string(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        y_put(w, t);
        break;
    case JSON_REAL:
        y_real(w, json_real_value(v));
        break;
    case JSON_TRUE: y_put(w, "true"); break;
    case JSON_FALSE: y_put(w, "false"); break;
    case JSON_OBJECT: y_put(w, "{}"); break;
    case JSON_ARRAY: y_put(w, "[]"); break;
    default: y_put(w, "null"); break;
    }
}

/* A block collection is a non-empty object or array; everything else is
 * written inline (scalars, {} and []). */
static bool y_is_block(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) > 0) ||
           (json_is_array(v) && json_array_size(v) > 0);
}

static void y_block(pbw *w, const json_t *v, int ind, bool first_inline, int depth);

static void y_map(pbw *w, const json_t *obj, int ind, bool first_inline, int depth)
{
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)obj, k, v) {
        if (!first || !first_inline)
            y_spaces(w, ind);
        first = false;
        y_string(w, k, strlen(k));
        pb_raw(w, ":", 1);
        if (y_is_block(v)) {
            pb_raw(w, "\n", 1);
            y_block(w, v, 4 * ((ind + 4) / 4), false, depth + 1);
        } else {
            pb_raw(w, " ", 1);
            y_scalar(w, v);
            pb_raw(w, "\n", 1);
        }
        if (w->err)
            return;
    }
}

static void y_seq(pbw *w, const json_t *arr, int ind, bool first_inline, int depth)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (i > 0 || !first_inline)
            y_spaces(w, ind);
        pb_raw(w, "- ", 2);
        if (y_is_block(v)) {
            y_block(w, v, ind + 2, true, depth + 1);
        } else {
            y_scalar(w, v);
            pb_raw(w, "\n", 1);
        }
        if (w->err)
            return;
    }
}

static void y_block(pbw *w, const json_t *v, int ind, bool first_inline, int depth)
{
    if (depth > Y_MAX_DEPTH) {
        if (!w->err)
            w->err = -ZK_ETOOBIG;
        return;
    }
    if (json_is_object(v))
        y_map(w, v, ind, first_inline, depth);
    else
        y_seq(w, v, ind, first_inline, depth);
}

static void y_doc(pbw *w, const json_t *v)
{
    if (y_is_block(v)) {
        y_block(w, v, 0, false, 0);
    } else {
        y_scalar(w, v);
        pb_raw(w, "\n", 1);
    }
}

int zk_kube_openapi_pb_yaml(const json_t *v, zk_buf *out)
{
    pbw w = {out, 0, 0};
    y_doc(&w, v);
    return w.err;
}

/* ---- JSON to gnostic messages ---------------------------------------------
 *
 * Each message is a table of (JSON key, field number, kind); kinds that need
 * more than a scalar copy name an encoder. Tables list fields in field-number
 * order, so the output is in the order Go's proto.Marshal writes. */

typedef void pb_body_fn(pbw *w, const json_t *obj);
typedef void pb_value_fn(pbw *w, unsigned num, const json_t *v);

typedef enum pb_kind {
    K_STR,     /* string (a JSON string, or an integer's text like gnostic) */
    K_BOOL,    /* bool, omitted when false */
    K_INT,     /* int64 from a JSON integer, omitted when 0 */
    K_DBL,     /* double from a JSON number, omitted when 0 */
    K_STRS,    /* repeated string from a JSON array */
    K_ANY,     /* Any{yaml} of any JSON value */
    K_ANYS,    /* repeated Any from a JSON array */
    K_MSG,     /* a message from a JSON object, encoded by body */
    K_MSGS,    /* repeated message from a JSON array of objects */
    K_VALUE,   /* anything else: value() writes the field itself */
    K_EXT,     /* repeated NamedAny of the object's "x-" keys */
} pb_kind;

typedef struct pb_field {
    const char *key;
    unsigned num;          /* 0 ends a table */
    pb_kind kind;
    pb_body_fn *body;
    pb_value_fn *value;
} pb_field;

#define F_STR(k, n) { k, n, K_STR, NULL, NULL }
#define F_BOOL(k, n) { k, n, K_BOOL, NULL, NULL }
#define F_INT(k, n) { k, n, K_INT, NULL, NULL }
#define F_DBL(k, n) { k, n, K_DBL, NULL, NULL }
#define F_STRS(k, n) { k, n, K_STRS, NULL, NULL }
#define F_ANY(k, n) { k, n, K_ANY, NULL, NULL }
#define F_ANYS(k, n) { k, n, K_ANYS, NULL, NULL }
#define F_MSG(k, n, fn) { k, n, K_MSG, fn, NULL }
#define F_MSGS(k, n, fn) { k, n, K_MSGS, fn, NULL }
#define F_VALUE(k, n, fn) { k, n, K_VALUE, NULL, fn }
#define F_EXT(n) { NULL, n, K_EXT, NULL, NULL }
#define F_END { NULL, 0, K_STR, NULL, NULL }

static void pb_fields(pbw *w, const json_t *obj, const pb_field *f);

static void pb_str_value(pbw *w, unsigned num, const json_t *v, bool repeated)
{
    if (json_is_string(v)) {
        if (repeated)
            pb_bytes(w, num, json_string_value(v), json_string_length(v));
        else
            pb_string(w, num, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        char t[32];
        int n = snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        pb_bytes(w, num, t, (size_t)n);
    } else if (repeated && json_is_null(v)) {
        pb_bytes(w, num, "", 0);
    }
}

static void pb_msg(pbw *w, unsigned num, const json_t *v, pb_body_fn *body)
{
    if (!json_is_object(v))
        return;
    size_t s = pb_begin(w, num);
    body(w, v);
    pb_end(w, s);
}

/* Any{yaml = 2}: the YAML text goes straight into the output buffer. */
static void pb_any(pbw *w, unsigned num, const json_t *v)
{
    size_t s = pb_begin(w, num);
    size_t y = pb_begin(w, 2);
    y_doc(w, v);
    pb_end(w, y);
    pb_end(w, s);
}

/* Repeated Named<T>{name = 1, value = 2} for the keys of obj that keep()
 * accepts (all keys when keep is NULL). */
static void pb_named(pbw *w, unsigned num, const json_t *obj, bool (*keep)(const char *),
                     pb_value_fn *value)
{
    const char *k;
    json_t *v;
    if (!json_is_object(obj))
        return;
    json_object_foreach((json_t *)obj, k, v) {
        if (keep && !keep(k))
            continue;
        size_t s = pb_begin(w, num);
        pb_string(w, 1, k, strlen(k));
        value(w, 2, v);
        pb_end(w, s);
        if (w->err)
            return;
    }
}

static bool is_extension_key(const char *k)
{
    return k[0] == 'x' && k[1] == '-';
}

static bool is_path_key(const char *k)
{
    return k[0] == '/';
}

static bool is_response_code(const char *k)
{
    if (strcmp(k, "default") == 0)
        return true;
    return strlen(k) == 3 && y_is_digit(k[0]) && y_is_digit(k[1]) && y_is_digit(k[2]);
}

static void pb_fields(pbw *w, const json_t *obj, const pb_field *f)
{
    for (; f->num && !w->err; f++) {
        if (f->kind == K_EXT) {
            pb_named(w, f->num, obj, is_extension_key, pb_any);
            continue;
        }
        const json_t *v = json_object_get(obj, f->key);
        size_t i;
        json_t *e;
        if (!v)
            continue;
        switch (f->kind) {
        case K_STR:
            pb_str_value(w, f->num, v, false);
            break;
        case K_BOOL:
            if (json_is_true(v))
                pb_bool(w, f->num, true);
            break;
        case K_INT:
            if (json_is_integer(v) && json_integer_value(v) != 0) {
                pb_tag(w, f->num, PB_VARINT);
                pb_varint(w, (uint64_t)json_integer_value(v));
            }
            break;
        case K_DBL:
            if (json_is_number(v))
                pb_double(w, f->num, json_number_value(v));
            break;
        case K_STRS:
            json_array_foreach(v, i, e)
                pb_str_value(w, f->num, e, true);
            break;
        case K_ANY:
            pb_any(w, f->num, v);
            break;
        case K_ANYS:
            json_array_foreach(v, i, e)
                pb_any(w, f->num, e);
            break;
        case K_MSG:
            pb_msg(w, f->num, v, f->body);
            break;
        case K_MSGS:
            json_array_foreach(v, i, e)
                pb_msg(w, f->num, e, f->body);
            break;
        case K_VALUE:
            f->value(w, f->num, v);
            break;
        case K_EXT:
            break;
        }
    }
}

/* Encoders named by the tables, declared first because the tables refer to
 * each other (a Schema holds Schemas). */
static pb_body_fn enc_info, enc_contact, enc_license, enc_external_docs, enc_tag, enc_paths,
    enc_path_item, enc_operation, enc_parameters_item, enc_parameter, enc_body_parameter,
    enc_header_path_parameter, enc_query_form_parameter, enc_json_reference,
    enc_primitives_items, enc_header, enc_headers, enc_examples, enc_responses, enc_response,
    enc_named_schemas, enc_schema, enc_file_schema, enc_xml, enc_parameter_definitions,
    enc_response_definitions, enc_security_definitions, enc_security_requirement,
    enc_basic_security, enc_api_key_security, enc_oauth2_implicit, enc_oauth2_password,
    enc_oauth2_application, enc_oauth2_access_code, enc_oauth2_scopes;
static pb_value_fn val_schema_item, val_additional_properties, val_type_item, val_items_item;

static const pb_field document_fields[] = {
    F_STR("swagger", 1),
    F_MSG("info", 2, enc_info),
    F_STR("host", 3),
    F_STR("basePath", 4),
    F_STRS("schemes", 5),
    F_STRS("consumes", 6),
    F_STRS("produces", 7),
    F_MSG("paths", 8, enc_paths),
    F_MSG("definitions", 9, enc_named_schemas),
    F_MSG("parameters", 10, enc_parameter_definitions),
    F_MSG("responses", 11, enc_response_definitions),
    F_MSGS("security", 12, enc_security_requirement),
    F_MSG("securityDefinitions", 13, enc_security_definitions),
    F_MSGS("tags", 14, enc_tag),
    F_MSG("externalDocs", 15, enc_external_docs),
    F_EXT(16),
    F_END,
};

static const pb_field info_fields[] = {
    F_STR("title", 1),
    F_STR("version", 2),
    F_STR("description", 3),
    F_STR("termsOfService", 4),
    F_MSG("contact", 5, enc_contact),
    F_MSG("license", 6, enc_license),
    F_EXT(7),
    F_END,
};

static const pb_field contact_fields[] = {
    F_STR("name", 1), F_STR("url", 2), F_STR("email", 3), F_EXT(4), F_END,
};

static const pb_field license_fields[] = {
    F_STR("name", 1), F_STR("url", 2), F_EXT(3), F_END,
};

static const pb_field external_docs_fields[] = {
    F_STR("description", 1), F_STR("url", 2), F_EXT(3), F_END,
};

static const pb_field tag_fields[] = {
    F_STR("name", 1),
    F_STR("description", 2),
    F_MSG("externalDocs", 3, enc_external_docs),
    F_EXT(4),
    F_END,
};

static const pb_field path_item_fields[] = {
    F_STR("$ref", 1),
    F_MSG("get", 2, enc_operation),
    F_MSG("put", 3, enc_operation),
    F_MSG("post", 4, enc_operation),
    F_MSG("delete", 5, enc_operation),
    F_MSG("options", 6, enc_operation),
    F_MSG("head", 7, enc_operation),
    F_MSG("patch", 8, enc_operation),
    F_MSGS("parameters", 9, enc_parameters_item),
    F_EXT(10),
    F_END,
};

static const pb_field operation_fields[] = {
    F_STRS("tags", 1),
    F_STR("summary", 2),
    F_STR("description", 3),
    F_MSG("externalDocs", 4, enc_external_docs),
    F_STR("operationId", 5),
    F_STRS("produces", 6),
    F_STRS("consumes", 7),
    F_MSGS("parameters", 8, enc_parameters_item),
    F_MSG("responses", 9, enc_responses),
    F_STRS("schemes", 10),
    F_BOOL("deprecated", 11),
    F_MSGS("security", 12, enc_security_requirement),
    F_EXT(13),
    F_END,
};

static const pb_field body_parameter_fields[] = {
    F_STR("description", 1),
    F_STR("name", 2),
    F_STR("in", 3),
    F_BOOL("required", 4),
    F_MSG("schema", 5, enc_schema),
    F_EXT(6),
    F_END,
};

static const pb_field json_reference_fields[] = {
    F_STR("$ref", 1), F_STR("description", 2), F_END,
};

/* The validation keywords that PrimitivesItems, Header and the non-body
 * parameters share, seventeen consecutive fields from `type` on. */
#define PRIMITIVE_FIELDS(b)                                                                \
    F_STR("type", (b)), F_STR("format", (b) + 1), F_MSG("items", (b) + 2, enc_primitives_items), \
        F_STR("collectionFormat", (b) + 3), F_ANY("default", (b) + 4),                      \
        F_DBL("maximum", (b) + 5), F_BOOL("exclusiveMaximum", (b) + 6),                     \
        F_DBL("minimum", (b) + 7), F_BOOL("exclusiveMinimum", (b) + 8),                     \
        F_INT("maxLength", (b) + 9), F_INT("minLength", (b) + 10), F_STR("pattern", (b) + 11), \
        F_INT("maxItems", (b) + 12), F_INT("minItems", (b) + 13),                            \
        F_BOOL("uniqueItems", (b) + 14), F_ANYS("enum", (b) + 15), F_DBL("multipleOf", (b) + 16)

/* HeaderParameterSubSchema and PathParameterSubSchema. */
static const pb_field header_path_parameter_fields[] = {
    F_BOOL("required", 1),
    F_STR("in", 2),
    F_STR("description", 3),
    F_STR("name", 4),
    PRIMITIVE_FIELDS(5),
    F_EXT(22),
    F_END,
};

/* QueryParameterSubSchema and FormDataParameterSubSchema. */
static const pb_field query_form_parameter_fields[] = {
    F_BOOL("required", 1),
    F_STR("in", 2),
    F_STR("description", 3),
    F_STR("name", 4),
    F_BOOL("allowEmptyValue", 5),
    PRIMITIVE_FIELDS(6),
    F_EXT(23),
    F_END,
};

static const pb_field primitives_items_fields[] = {
    PRIMITIVE_FIELDS(1),
    F_EXT(18),
    F_END,
};

static const pb_field header_fields[] = {
    PRIMITIVE_FIELDS(1),
    F_STR("description", 18),
    F_EXT(19),
    F_END,
};

static const pb_field response_fields[] = {
    F_STR("description", 1),
    F_VALUE("schema", 2, val_schema_item),
    F_MSG("headers", 3, enc_headers),
    F_MSG("examples", 4, enc_examples),
    F_EXT(5),
    F_END,
};

static const pb_field schema_fields[] = {
    F_STR("$ref", 1),
    F_STR("format", 2),
    F_STR("title", 3),
    F_STR("description", 4),
    F_ANY("default", 5),
    F_DBL("multipleOf", 6),
    F_DBL("maximum", 7),
    F_BOOL("exclusiveMaximum", 8),
    F_DBL("minimum", 9),
    F_BOOL("exclusiveMinimum", 10),
    F_INT("maxLength", 11),
    F_INT("minLength", 12),
    F_STR("pattern", 13),
    F_INT("maxItems", 14),
    F_INT("minItems", 15),
    F_BOOL("uniqueItems", 16),
    F_INT("maxProperties", 17),
    F_INT("minProperties", 18),
    F_STRS("required", 19),
    F_ANYS("enum", 20),
    F_VALUE("additionalProperties", 21, val_additional_properties),
    F_VALUE("type", 22, val_type_item),
    F_VALUE("items", 23, val_items_item),
    F_MSGS("allOf", 24, enc_schema),
    F_MSG("properties", 25, enc_named_schemas),
    F_STR("discriminator", 26),
    F_BOOL("readOnly", 27),
    F_MSG("xml", 28, enc_xml),
    F_MSG("externalDocs", 29, enc_external_docs),
    F_ANY("example", 30),
    F_EXT(31),
    F_END,
};

static const pb_field file_schema_fields[] = {
    F_STR("format", 1),
    F_STR("title", 2),
    F_STR("description", 3),
    F_ANY("default", 4),
    F_STRS("required", 5),
    F_STR("type", 6),
    F_BOOL("readOnly", 7),
    F_MSG("externalDocs", 8, enc_external_docs),
    F_ANY("example", 9),
    F_EXT(10),
    F_END,
};

static const pb_field xml_fields[] = {
    F_STR("name", 1),
    F_STR("namespace", 2),
    F_STR("prefix", 3),
    F_BOOL("attribute", 4),
    F_BOOL("wrapped", 5),
    F_EXT(6),
    F_END,
};

static const pb_field basic_security_fields[] = {
    F_STR("type", 1), F_STR("description", 2), F_EXT(3), F_END,
};

static const pb_field api_key_security_fields[] = {
    F_STR("type", 1), F_STR("name", 2), F_STR("in", 3), F_STR("description", 4), F_EXT(5), F_END,
};

static const pb_field oauth2_implicit_fields[] = {
    F_STR("type", 1), F_STR("flow", 2), F_MSG("scopes", 3, enc_oauth2_scopes),
    F_STR("authorizationUrl", 4), F_STR("description", 5), F_EXT(6), F_END,
};

/* Oauth2PasswordSecurity and Oauth2ApplicationSecurity have one layout. */
static const pb_field oauth2_token_fields[] = {
    F_STR("type", 1), F_STR("flow", 2), F_MSG("scopes", 3, enc_oauth2_scopes),
    F_STR("tokenUrl", 4), F_STR("description", 5), F_EXT(6), F_END,
};

static const pb_field oauth2_access_code_fields[] = {
    F_STR("type", 1), F_STR("flow", 2), F_MSG("scopes", 3, enc_oauth2_scopes),
    F_STR("authorizationUrl", 4), F_STR("tokenUrl", 5), F_STR("description", 6), F_EXT(7),
    F_END,
};

static void enc_info(pbw *w, const json_t *o) { pb_fields(w, o, info_fields); }
static void enc_contact(pbw *w, const json_t *o) { pb_fields(w, o, contact_fields); }
static void enc_license(pbw *w, const json_t *o) { pb_fields(w, o, license_fields); }
static void enc_external_docs(pbw *w, const json_t *o) { pb_fields(w, o, external_docs_fields); }
static void enc_tag(pbw *w, const json_t *o) { pb_fields(w, o, tag_fields); }
static void enc_path_item(pbw *w, const json_t *o) { pb_fields(w, o, path_item_fields); }
static void enc_operation(pbw *w, const json_t *o) { pb_fields(w, o, operation_fields); }
static void enc_body_parameter(pbw *w, const json_t *o) { pb_fields(w, o, body_parameter_fields); }
static void enc_json_reference(pbw *w, const json_t *o) { pb_fields(w, o, json_reference_fields); }
static void enc_primitives_items(pbw *w, const json_t *o) { pb_fields(w, o, primitives_items_fields); }
static void enc_header(pbw *w, const json_t *o) { pb_fields(w, o, header_fields); }
static void enc_response(pbw *w, const json_t *o) { pb_fields(w, o, response_fields); }
static void enc_schema(pbw *w, const json_t *o) { pb_fields(w, o, schema_fields); }
static void enc_file_schema(pbw *w, const json_t *o) { pb_fields(w, o, file_schema_fields); }
static void enc_xml(pbw *w, const json_t *o) { pb_fields(w, o, xml_fields); }
static void enc_basic_security(pbw *w, const json_t *o) { pb_fields(w, o, basic_security_fields); }
static void enc_api_key_security(pbw *w, const json_t *o) { pb_fields(w, o, api_key_security_fields); }
static void enc_oauth2_implicit(pbw *w, const json_t *o) { pb_fields(w, o, oauth2_implicit_fields); }
static void enc_oauth2_password(pbw *w, const json_t *o) { pb_fields(w, o, oauth2_token_fields); }
static void enc_oauth2_application(pbw *w, const json_t *o) { pb_fields(w, o, oauth2_token_fields); }
static void enc_oauth2_access_code(pbw *w, const json_t *o) { pb_fields(w, o, oauth2_access_code_fields); }

static void enc_header_path_parameter(pbw *w, const json_t *o)
{
    pb_fields(w, o, header_path_parameter_fields);
}

static void enc_query_form_parameter(pbw *w, const json_t *o)
{
    pb_fields(w, o, query_form_parameter_fields);
}

static void val_schema(pbw *w, unsigned num, const json_t *v) { pb_msg(w, num, v, enc_schema); }
static void val_path_item(pbw *w, unsigned num, const json_t *v) { pb_msg(w, num, v, enc_path_item); }
static void val_header(pbw *w, unsigned num, const json_t *v) { pb_msg(w, num, v, enc_header); }
static void val_response(pbw *w, unsigned num, const json_t *v) { pb_msg(w, num, v, enc_response); }
static void val_parameter(pbw *w, unsigned num, const json_t *v) { pb_msg(w, num, v, enc_parameter); }

static void val_string(pbw *w, unsigned num, const json_t *v)
{
    pb_str_value(w, num, v, false);
}

/* StringArray{repeated string value = 1}. */
static void val_string_array(pbw *w, unsigned num, const json_t *v)
{
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return;
    size_t s = pb_begin(w, num);
    json_array_foreach(v, i, e)
        pb_str_value(w, 1, e, true);
    pb_end(w, s);
}

/* Paths{vendor_extension = 1, NamedPathItem path = 2}: proto.Marshal writes
 * all of field 1 before field 2. */
static void enc_paths(pbw *w, const json_t *o)
{
    pb_named(w, 1, o, is_extension_key, pb_any);
    pb_named(w, 2, o, is_path_key, val_path_item);
}

/* ParametersItem: a JsonReference (2) for {"$ref": ...}, else a Parameter (1). */
static void enc_parameters_item(pbw *w, const json_t *o)
{
    if (json_object_get(o, "$ref"))
        pb_msg(w, 2, o, enc_json_reference);
    else
        pb_msg(w, 1, o, enc_parameter);
}

/* Parameter: BodyParameter (1) for in=body, else NonBodyParameter (2) whose
 * oneof is chosen by "in": header 1, formData 2, query 3, path 4. A
 * parameter without a known "in" matches none of them and is left empty. */
static void enc_parameter(pbw *w, const json_t *o)
{
    const char *in = zk_json_str(o, "in");
    if (!in)
        return;
    if (strcmp(in, "body") == 0) {
        pb_msg(w, 1, o, enc_body_parameter);
        return;
    }
    static const struct { const char *in; unsigned num; pb_body_fn *body; } kinds[] = {
        { "header", 1, enc_header_path_parameter },
        { "formData", 2, enc_query_form_parameter },
        { "query", 3, enc_query_form_parameter },
        { "path", 4, enc_header_path_parameter },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(kinds); i++) {
        if (strcmp(in, kinds[i].in) == 0) {
            size_t s = pb_begin(w, 2);
            pb_msg(w, kinds[i].num, o, kinds[i].body);
            pb_end(w, s);
            return;
        }
    }
}

/* ResponseValue: JsonReference (2) for {"$ref": ...}, else Response (1). */
static void val_response_value(pbw *w, unsigned num, const json_t *v)
{
    if (!json_is_object(v))
        return;
    size_t s = pb_begin(w, num);
    if (json_object_get(v, "$ref"))
        pb_msg(w, 2, v, enc_json_reference);
    else
        pb_msg(w, 1, v, enc_response);
    pb_end(w, s);
}

/* Responses{NamedResponseValue response_code = 1, vendor_extension = 2}. */
static void enc_responses(pbw *w, const json_t *o)
{
    pb_named(w, 1, o, is_response_code, val_response_value);
    pb_named(w, 2, o, is_extension_key, pb_any);
}

/* SchemaItem: FileSchema (2) for type "file", else Schema (1). */
static void val_schema_item(pbw *w, unsigned num, const json_t *v)
{
    if (!json_is_object(v))
        return;
    const char *type = zk_json_str(v, "type");
    size_t s = pb_begin(w, num);
    if (type && strcmp(type, "file") == 0)
        pb_msg(w, 2, v, enc_file_schema);
    else
        pb_msg(w, 1, v, enc_schema);
    pb_end(w, s);
}

static void enc_headers(pbw *w, const json_t *o) { pb_named(w, 1, o, NULL, val_header); }
static void enc_examples(pbw *w, const json_t *o) { pb_named(w, 1, o, NULL, pb_any); }
static void enc_named_schemas(pbw *w, const json_t *o) { pb_named(w, 1, o, NULL, val_schema); }
static void enc_parameter_definitions(pbw *w, const json_t *o) { pb_named(w, 1, o, NULL, val_parameter); }
static void enc_response_definitions(pbw *w, const json_t *o) { pb_named(w, 1, o, NULL, val_response); }
static void enc_oauth2_scopes(pbw *w, const json_t *o) { pb_named(w, 1, o, NULL, val_string); }
static void enc_security_requirement(pbw *w, const json_t *o) { pb_named(w, 1, o, NULL, val_string_array); }

/* SecurityDefinitionsItem: the oneof is chosen by type (and flow for oauth2). */
static void val_security_definitions_item(pbw *w, unsigned num, const json_t *v)
{
    static const struct { const char *type, *flow; unsigned num; pb_body_fn *body; } kinds[] = {
        { "basic", NULL, 1, enc_basic_security },
        { "apiKey", NULL, 2, enc_api_key_security },
        { "oauth2", "implicit", 3, enc_oauth2_implicit },
        { "oauth2", "password", 4, enc_oauth2_password },
        { "oauth2", "application", 5, enc_oauth2_application },
        { "oauth2", "accessCode", 6, enc_oauth2_access_code },
    };
    if (!json_is_object(v))
        return;
    const char *type = zk_json_str(v, "type");
    const char *flow = zk_json_str(v, "flow");
    if (!type)
        return;
    for (size_t i = 0; i < ZK_ARRAY_LEN(kinds); i++) {
        if (strcmp(type, kinds[i].type) != 0)
            continue;
        if (kinds[i].flow && (!flow || strcmp(flow, kinds[i].flow) != 0))
            continue;
        size_t s = pb_begin(w, num);
        pb_msg(w, kinds[i].num, v, kinds[i].body);
        pb_end(w, s);
        return;
    }
}

static void enc_security_definitions(pbw *w, const json_t *o)
{
    pb_named(w, 1, o, NULL, val_security_definitions_item);
}

/* AdditionalPropertiesItem: Schema (1) or boolean (2). A oneof member is
 * written even when false. */
static void val_additional_properties(pbw *w, unsigned num, const json_t *v)
{
    if (json_is_boolean(v)) {
        size_t s = pb_begin(w, num);
        pb_bool(w, 2, json_is_true(v));
        pb_end(w, s);
    } else if (json_is_object(v)) {
        size_t s = pb_begin(w, num);
        pb_msg(w, 1, v, enc_schema);
        pb_end(w, s);
    }
}

/* TypeItem{repeated string value = 1}: "type" is a string or a list. */
static void val_type_item(pbw *w, unsigned num, const json_t *v)
{
    if (json_is_string(v)) {
        size_t s = pb_begin(w, num);
        pb_bytes(w, 1, json_string_value(v), json_string_length(v));
        pb_end(w, s);
    } else if (json_is_array(v)) {
        val_string_array(w, num, v);
    }
}

/* ItemsItem{repeated Schema schema = 1}: one schema, or a list of them. */
static void val_items_item(pbw *w, unsigned num, const json_t *v)
{
    size_t i;
    json_t *e;
    if (json_is_object(v)) {
        size_t s = pb_begin(w, num);
        pb_msg(w, 1, v, enc_schema);
        pb_end(w, s);
    } else if (json_is_array(v)) {
        size_t s = pb_begin(w, num);
        json_array_foreach(v, i, e)
            pb_msg(w, 1, e, enc_schema);
        pb_end(w, s);
    }
}

int zk_kube_openapi_pb_encode(const json_t *doc, zk_buf *out, zk_err *err)
{
    if (!json_is_object(doc))
        return zk_err_set(err, ZK_EINVAL, "openapi v2: the document is not a JSON object");
    pbw w = {out, 0, 0};
    pb_fields(&w, doc, document_fields);
    if (w.err == -ZK_ETOOBIG)
        return zk_err_set(err, ZK_ETOOBIG,
                          "openapi v2: protobuf encoding exceeds %zu bytes or %d levels of nesting",
                          out->max, ZK_KUBE_OPENAPI_PB_MAX_DEPTH);
    if (w.err)
        return zk_err_set(err, -w.err, "openapi v2: protobuf encoding failed");
    return 0;
}
