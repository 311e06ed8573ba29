/* RFC 6902 JSON Patch over RFC 6901 JSON Pointers. */
#include "kube/patch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"

/* A parsed pointer: n unescaped segments, all pointing into one buffer. */
typedef struct jp_ptr {
    char *buf;
    char **seg;
    size_t n;
} jp_ptr;

static void jp_ptr_free(jp_ptr *p)
{
    free(p->buf);
    free(p->seg);
    p->buf = NULL;
    p->seg = NULL;
    p->n = 0;
}

static void jp__ptr_freep(jp_ptr *p) { jp_ptr_free(p); }
#define jp_autoptr __attribute__((cleanup(jp__ptr_freep)))

/* State of one patch application. */
typedef struct jp_ctx {
    json_t *root;        /* the document being built, owned */
    size_t nodes;        /* values in root */
    size_t copied;       /* values duplicated by copy (and deepening moves) so far */
    zk_err *err;
} jp_ctx;

/* Count the values in v and its nesting depth (a scalar is 0, [] is 1). */
static int jp_measure(const json_t *v, int level, size_t *nodes, int *depth)
{
    if (level > ZK_KUBE_PATCH__MAX_RECURSION)
        return -1;
    (*nodes)++;
    int d = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        d = 1;
        json_object_foreach((json_t *)v, k, c) {
            int cd = 0;
            if (jp_measure(c, level + 1, nodes, &cd) < 0)
                return -1;
            if (cd + 1 > d)
                d = cd + 1;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        d = 1;
        json_array_foreach(v, i, c) {
            int cd = 0;
            if (jp_measure(c, level + 1, nodes, &cd) < 0)
                return -1;
            if (cd + 1 > d)
                d = cd + 1;
        }
    }
    *depth = d;
    return 0;
}

/* RFC 6902 section 4.6: numbers are equal when their values are. */
static bool jp_equal(const json_t *a, const json_t *b, int level)
{
    if (level > ZK_KUBE_PATCH__MAX_RECURSION)
        return false;
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        size_t klen;
        json_t *av;
        json_object_keylen_foreach((json_t *)a, k, klen, av) {
            json_t *bv = json_object_getn(b, k, klen);
            if (!bv || !jp_equal(av, bv, level + 1))
                return false;
        }
        return true;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!jp_equal(json_array_get(a, i), json_array_get(b, i), level + 1))
                return false;
        return true;
    }
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default:
        return true; /* true, false, null */
    }
}

/* A short rendering of v for messages: compact JSON cut at about 60 bytes. */
static void jp_render(const json_t *v, char *out, size_t outlen)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(60);
    bool cut = zk_json_encode(v, &b) != 0;
    snprintf(out, outlen, "%s%s", b.data ? b.data : "", cut ? "..." : "");
}

/* Parse an RFC 6901 pointer. "" is the whole document. */
static int jp_parse(const json_t *s, const char *what, jp_ptr *p, zk_err *err)
{
    const char *str = json_string_value(s);
    size_t len = json_string_length(s);
    p->buf = NULL;
    p->seg = NULL;
    p->n = 0;
    if (strlen(str) != len)
        return zk_err_set(err, ZK_EPARSE, "\"%s\" contains a NUL character", what);
    if (len == 0)
        return 0;
    if (str[0] != '/')
        return zk_err_set(err, ZK_EPARSE, "\"%s\" %s is not a JSON pointer: it must be empty or "
                          "start with '/'", what, str);
    size_t nseg = 0;
    for (size_t i = 0; i < len; i++)
        if (str[i] == '/')
            nseg++;
    p->buf = zk_xmalloc(len + 1);
    p->seg = zk_xcalloc(nseg, sizeof(*p->seg));
    /* Unescape in one pass; each '/' starts a segment and becomes its NUL. */
    char *w = p->buf;
    for (size_t i = 0; i < len; i++) {
        char c = str[i];
        if (c == '/') {
            if (p->n > 0)
                *w++ = '\0';
            p->seg[p->n++] = w;
        } else if (c == '~') {
            char e = i + 1 < len ? str[i + 1] : '\0';
            if (e != '0' && e != '1')
                return zk_err_set(err, ZK_EPARSE, "\"%s\" %s is not a JSON pointer: '~' must be "
                                  "followed by '0' or '1'", what, str);
            *w++ = e == '0' ? '~' : '/';
            i++;
        } else {
            *w++ = c;
        }
    }
    *w = '\0';
    return 0;
}

/* Array index of a segment: decimal digits without leading zeros; false
 * when the segment is not one. Huge values saturate (and so fail range
 * checks). */
static bool jp_index(const char *seg, size_t *out)
{
    if (!seg[0] || (seg[0] == '0' && seg[1]))
        return false;
    size_t v = 0;
    for (const char *c = seg; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        if (v > (SIZE_MAX - 9) / 10)
            v = SIZE_MAX - 1;
        else
            v = v * 10 + (size_t)(*c - '0');
    }
    *out = v;
    return true;
}

static const char *jp_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: return "string";
    case JSON_INTEGER: case JSON_REAL: return "number";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    default: return "container";
    }
}

/* Walk the first upto segments of p; *out is a borrowed reference. */
static int jp_walk(jp_ctx *c, const jp_ptr *p, size_t upto, json_t **out)
{
    json_t *cur = c->root;
    for (size_t i = 0; i < upto; i++) {
        const char *s = p->seg[i];
        if (json_is_object(cur)) {
            json_t *next = json_object_get(cur, s);
            if (!next)
                return zk_err_set(c->err, ZK_EINVAL, "member \"%s\" does not exist", s);
            cur = next;
        } else if (json_is_array(cur)) {
            size_t idx;
            if (!jp_index(s, &idx))
                return zk_err_set(c->err, ZK_EINVAL, "\"%s\" is not a valid array index", s);
            if (idx >= json_array_size(cur))
                return zk_err_set(c->err, ZK_EINVAL, "array index %s is out of range (%zu items)",
                                  s, json_array_size(cur));
            cur = json_array_get(cur, idx);
        } else {
            return zk_err_set(c->err, ZK_EINVAL, "cannot look up \"%s\" in a %s", s,
                              jp_kind(cur));
        }
    }
    *out = cur;
    return 0;
}

static int jp_measure_checked(jp_ctx *c, const json_t *v, size_t *nodes, int *depth)
{
    *nodes = 0;
    *depth = 0;
    if (jp_measure(v, 0, nodes, depth) < 0)
        return zk_err_set(c->err, ZK_ETOOBIG, "value nests deeper than %d levels",
                          ZK_KUBE_PATCH__MAX_RECURSION);
    return 0;
}

static int jp_count(jp_ctx *c, const json_t *v, size_t *nodes)
{
    int depth;
    return jp_measure_checked(c, v, nodes, &depth);
}

/* Insert value (consumed) at p, as the add operation does. value has vnodes
 * values and nesting vdepth. */
static int jp_add(jp_ctx *c, const jp_ptr *p, json_t *value, size_t vnodes, int vdepth)
{
    if ((size_t)vdepth + p->n > ZK_JSON_MAX_DEPTH) {
        json_decref(value);
        return zk_err_set(c->err, ZK_ETOOBIG, "the result would nest deeper than %d levels",
                          ZK_JSON_MAX_DEPTH);
    }
    size_t old = 0;
    if (p->n == 0) {
        if (jp_count(c, c->root, &old) < 0) {
            json_decref(value);
            return -c->err->code;
        }
        json_decref(c->root);
        c->root = value;
        c->nodes = c->nodes - old + vnodes;
        goto check;
    }
    json_t *parent;
    int rc = jp_walk(c, p, p->n - 1, &parent);
    if (rc < 0) {
        json_decref(value);
        return rc;
    }
    const char *last = p->seg[p->n - 1];
    if (json_is_object(parent)) {
        json_t *prev = json_object_get(parent, last);
        if (prev && jp_count(c, prev, &old) < 0) {
            json_decref(value);
            return -ZK_ETOOBIG;
        }
        if (json_object_set_new_nocheck(parent, last, value) != 0)
            abort();
    } else if (json_is_array(parent)) {
        size_t idx, size = json_array_size(parent);
        if (!strcmp(last, "-")) {
            idx = size;
        } else if (!jp_index(last, &idx)) {
            json_decref(value);
            return zk_err_set(c->err, ZK_EINVAL, "\"%s\" is not a valid array index", last);
        } else if (idx > size) {
            json_decref(value);
            return zk_err_set(c->err, ZK_EINVAL, "array index %s is out of range (%zu items)",
                              last, size);
        }
        if (json_array_insert_new(parent, idx, value) != 0)
            abort();
    } else {
        json_decref(value);
        return zk_err_set(c->err, ZK_EINVAL, "cannot look up \"%s\" in a %s", last,
                          jp_kind(parent));
    }
    c->nodes = c->nodes - old + vnodes;
check:
    if (c->nodes > ZK_KUBE_PATCH_MAX_NODES)
        return zk_err_set(c->err, ZK_ETOOBIG, "the result would hold more than %u JSON values",
                          ZK_KUBE_PATCH_MAX_NODES);
    return 0;
}

/* Detach the value at p; *taken (if non-NULL) receives a new reference to it. */
static int jp_remove(jp_ctx *c, const jp_ptr *p, json_t **taken)
{
    if (p->n == 0)
        return zk_err_set(c->err, ZK_EINVAL, "cannot remove the whole document");
    json_t *parent;
    int rc = jp_walk(c, p, p->n - 1, &parent);
    if (rc < 0)
        return rc;
    const char *last = p->seg[p->n - 1];
    json_t *v;
    if (json_is_object(parent)) {
        v = json_object_get(parent, last);
        if (!v)
            return zk_err_set(c->err, ZK_EINVAL, "member \"%s\" does not exist", last);
    } else if (json_is_array(parent)) {
        size_t idx;
        if (!jp_index(last, &idx))
            return zk_err_set(c->err, ZK_EINVAL, "\"%s\" is not a valid array index", last);
        if (idx >= json_array_size(parent))
            return zk_err_set(c->err, ZK_EINVAL, "array index %s is out of range (%zu items)",
                              last, json_array_size(parent));
        v = json_array_get(parent, idx);
    } else {
        return zk_err_set(c->err, ZK_EINVAL, "cannot look up \"%s\" in a %s", last,
                          jp_kind(parent));
    }
    if (!taken) {
        size_t n;
        if (jp_count(c, v, &n) < 0)
            return -ZK_ETOOBIG;
        c->nodes -= n;
    }
    json_incref(v);
    if (json_is_object(parent))
        json_object_del(parent, last);
    else {
        size_t idx;
        jp_index(last, &idx);
        json_array_remove(parent, idx);
    }
    if (taken)
        *taken = v;
    else
        json_decref(v);
    return 0;
}

static int jp_replace(jp_ctx *c, const jp_ptr *p, const json_t *pv)
{
    json_t *target;
    int rc = jp_walk(c, p, p->n, &target);
    if (rc < 0)
        return rc;
    size_t vnodes;
    int vdepth;
    if (jp_measure_checked(c, pv, &vnodes, &vdepth) < 0)
        return -ZK_ETOOBIG;
    /* The target exists, so add's "replace existing member" covers objects;
     * for arrays replace in place instead of inserting. */
    if (p->n > 0) {
        json_t *parent;
        jp_walk(c, p, p->n - 1, &parent);
        if (json_is_array(parent)) {
            if ((size_t)vdepth + p->n > ZK_JSON_MAX_DEPTH)
                return zk_err_set(c->err, ZK_ETOOBIG, "the result would nest deeper than %d "
                                  "levels", ZK_JSON_MAX_DEPTH);
            size_t old, idx;
            if (jp_count(c, target, &old) < 0)
                return -ZK_ETOOBIG;
            jp_index(p->seg[p->n - 1], &idx);
            if (json_array_set_new(parent, idx, zk_kube_patch__copy(pv)) != 0)
                abort();
            c->nodes = c->nodes - old + vnodes;
            if (c->nodes > ZK_KUBE_PATCH_MAX_NODES)
                return zk_err_set(c->err, ZK_ETOOBIG, "the result would hold more than %u JSON "
                                  "values", ZK_KUBE_PATCH_MAX_NODES);
            return 0;
        }
    }
    return jp_add(c, p, zk_kube_patch__copy(pv), vnodes, vdepth);
}

/* Is a a proper prefix of b, segment by segment? */
static bool jp_is_proper_prefix(const jp_ptr *a, const jp_ptr *b)
{
    if (a->n >= b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->seg[i], b->seg[i]))
            return false;
    return true;
}

static bool jp_same(const jp_ptr *a, const jp_ptr *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->seg[i], b->seg[i]))
            return false;
    return true;
}

static int jp_charge_copy(jp_ctx *c, size_t n)
{
    c->copied += n;
    if (c->copied > ZK_KUBE_PATCH_MAX_COPIED)
        return zk_err_set(c->err, ZK_ETOOBIG, "the patch copies more than %u JSON values in total",
                          ZK_KUBE_PATCH_MAX_COPIED);
    return 0;
}

static int jp_move(jp_ctx *c, const jp_ptr *from, const jp_ptr *to)
{
    json_t *v;
    int rc = jp_walk(c, from, from->n, &v);
    if (rc < 0) {
        zk_err_wrap(c->err, "from");
        return rc;
    }
    if (jp_same(from, to))
        return 0;
    if (jp_is_proper_prefix(from, to))
        return zk_err_set(c->err, ZK_EINVAL, "a value cannot be moved into one of its children");
    int vdepth = 0;
    /* Only a move to a deeper place can deepen the document. Measuring walks
     * the value, so that walk is charged like a copy: repeated moves of a
     * large value stay bounded. */
    if (to->n > from->n) {
        size_t vnodes;
        if (jp_measure_checked(c, v, &vnodes, &vdepth) < 0)
            return -ZK_ETOOBIG;
        if ((rc = jp_charge_copy(c, vnodes)) < 0)
            return rc;
    }
    json_t *taken = NULL;
    if ((rc = jp_remove(c, from, &taken)) < 0) {
        zk_err_wrap(c->err, "from");
        return rc;
    }
    /* The moved values stay counted in c->nodes: add them as zero new ones. */
    return jp_add(c, to, taken, 0, vdepth);
}

static int jp_copy(jp_ctx *c, const jp_ptr *from, const jp_ptr *to)
{
    json_t *v;
    int rc = jp_walk(c, from, from->n, &v);
    if (rc < 0) {
        zk_err_wrap(c->err, "from");
        return rc;
    }
    size_t vnodes;
    int vdepth;
    if (jp_measure_checked(c, v, &vnodes, &vdepth) < 0)
        return -ZK_ETOOBIG;
    if ((rc = jp_charge_copy(c, vnodes)) < 0)
        return rc;
    return jp_add(c, to, zk_kube_patch__copy(v), vnodes, vdepth);
}

static int jp_test(jp_ctx *c, const jp_ptr *p, const json_t *expected)
{
    json_t *v;
    int rc = jp_walk(c, p, p->n, &v);
    if (rc < 0)
        return rc;
    if (jp_equal(v, expected, 0))
        return 0;
    char have[80], want[80];
    jp_render(v, have, sizeof(have));
    jp_render(expected, want, sizeof(want));
    return zk_err_set(c->err, ZK_EINVAL, "test failed: the value is %s, not %s", have, want);
}

/* One operation; messages are wrapped with its position by the caller. */
static int jp_apply_op(jp_ctx *c, const json_t *op, const char *name)
{
    const json_t *path = json_object_get(op, "path");
    if (!json_is_string(path))
        return zk_err_set(c->err, ZK_EPARSE, "\"path\" is missing or not a string");
    jp_autoptr jp_ptr p = {0};
    int rc = jp_parse(path, "path", &p, c->err);
    if (rc < 0)
        return rc;

    if (!strcmp(name, "add") || !strcmp(name, "replace") || !strcmp(name, "test")) {
        const json_t *value = json_object_get(op, "value");
        if (!value)
            return zk_err_set(c->err, ZK_EPARSE, "\"value\" is missing");
        if (name[0] == 't')
            return jp_test(c, &p, value);
        if (name[0] == 'r')
            return jp_replace(c, &p, value);
        size_t vnodes;
        int vdepth;
        if (jp_measure_checked(c, value, &vnodes, &vdepth) < 0)
            return -ZK_ETOOBIG;
        return jp_add(c, &p, zk_kube_patch__copy(value), vnodes, vdepth);
    }
    if (!strcmp(name, "remove"))
        return jp_remove(c, &p, NULL);
    if (!strcmp(name, "move") || !strcmp(name, "copy")) {
        const json_t *from = json_object_get(op, "from");
        if (!json_is_string(from))
            return zk_err_set(c->err, ZK_EPARSE, "\"from\" is missing or not a string");
        jp_autoptr jp_ptr f = {0};
        if ((rc = jp_parse(from, "from", &f, c->err)) < 0)
            return rc;
        return name[0] == 'm' ? jp_move(c, &f, &p) : jp_copy(c, &f, &p);
    }
    return zk_err_set(c->err, ZK_EPARSE, "unknown op; expected add, remove, replace, move, copy "
                      "or test");
}

int zk_kube_patch_json(const json_t *doc, const json_t *patch, json_t **out, zk_err *err)
{
    *out = NULL;
    zk_err local = {0};
    if (!err)
        err = &local;
    if (!json_is_array(patch))
        return zk_err_set(err, ZK_EPARSE, "a JSON patch must be a JSON array of operations");
    size_t nops = json_array_size(patch);
    if (nops > ZK_KUBE_PATCH_MAX_OPS)
        return zk_err_set(err, ZK_ETOOBIG, "The allowed maximum operations in a JSON patch is %d, "
                          "got %zu", ZK_KUBE_PATCH_MAX_OPS, nops);
    if (!doc)
        return zk_err_set(err, ZK_EINVAL, "json patch: no document given");

    jp_ctx c = {.root = zk_kube_patch__copy(doc), .err = err};
    int depth;
    if (jp_measure_checked(&c, c.root, &c.nodes, &depth) < 0) {
        json_decref(c.root);
        return -ZK_ETOOBIG;
    }
    for (size_t i = 0; i < nops; i++) {
        const json_t *op = json_array_get(patch, i);
        if (!json_is_object(op)) {
            json_decref(c.root);
            return zk_err_set(err, ZK_EPARSE, "json patch operation %zu of %zu is not a JSON "
                              "object", i + 1, nops);
        }
        const char *name = json_string_value(json_object_get(op, "op"));
        const char *path = json_string_value(json_object_get(op, "path"));
        int rc = name ? jp_apply_op(&c, op, name)
                      : zk_err_set(err, ZK_EPARSE, "\"op\" is missing or not a string");
        if (rc < 0) {
            json_decref(c.root);
            zk_err_wrap(err, "json patch operation %zu of %zu (%s %s)", i + 1, nops,
                        name ? name : "?", path ? path : "?");
            return rc;
        }
    }
    *out = c.root;
    return 0;
}

/* ---- the patch between two documents ---- */

/* path + "/" + the key escaped (~0, ~1) */
static char *diff_path(const char *path, const char *key)
{
    zk_buf b;
    zk_buf_init(&b, SIZE_MAX);
    zk_buf_printf(&b, "%s/", path);
    for (const char *p = key; *p; p++) {
        if (*p == '~')
            zk_buf_puts(&b, "~0");
        else if (*p == '/')
            zk_buf_puts(&b, "~1");
        else
            zk_buf_putc(&b, *p);
    }
    zk_buf_putc(&b, '\0');
    return zk_buf_steal(&b, NULL);
}

static void diff_op(json_t *ops, const char *op, const char *path, const json_t *value)
{
    json_t *o = json_pack("{s:s,s:s}", "op", op, "path", path);
    if (value)
        json_object_set_new(o, "value", json_deep_copy(value));
    json_array_append_new(ops, o);
}

static void diff_into(json_t *ops, const char *path, const json_t *a, const json_t *b)
{
    if (json_equal(a, b))
        return;
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            if (!json_object_get(b, k)) {
                char *p = diff_path(path, k);
                diff_op(ops, "remove", p, NULL);
                free(p);
            }
        }
        json_object_foreach((json_t *)b, k, v) {
            char *p = diff_path(path, k);
            json_t *old = json_object_get(a, k);
            if (!old)
                diff_op(ops, "add", p, v);
            else
                diff_into(ops, p, old, v);
            free(p);
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++) {
            char idx[24];
            snprintf(idx, sizeof(idx), "%zu", i);
            char *p = diff_path(path, idx);
            diff_into(ops, p, json_array_get(a, i), json_array_get(b, i));
            free(p);
        }
        return;
    }
    diff_op(ops, "replace", path, b);
}

json_t *zk_kube_patch_diff(const json_t *from, const json_t *to)
{
    json_t *ops = json_array();
    diff_into(ops, "", from, to);
    return ops;
}
