/* Kubernetes strategic merge patch, the apply side, as kube-apiserver runs it
 * (k8s.io/apimachinery/pkg/util/strategicpatch with MergeParallelList and
 * IgnoreUnmatchedNulls), driven by zke's field schemas instead of Go struct
 * tags.
 *
 * The document is deep-copied once and then merged in place; the patch is only
 * read. Where Kubernetes' behaviour is an accident of Go (map iteration order,
 * panics on odd input, directives leaking into new fields) we pick the
 * deterministic reading and say so in a comment. */
#include "kube/patch.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"

#define SMP_DIRECTIVE "$patch"
#define SMP_RETAIN_KEYS "$retainKeys"
#define SMP_SET_ORDER "$setElementOrder"
#define SMP_DELETE_PRIMS "$deleteFromPrimitiveList"

/* What the schema says about one value. kind 0 means the schema does not
 * know it: JSON merge patch semantics apply below that point. */
typedef struct smp_meta {
    zk_schema_kind kind;
    const zk_schema_type *type;  /* ZK_S_OBJECT, or items that are objects */
    zk_schema_kind elem;         /* ZK_S_ARRAY / ZK_S_MAP: kind of the items */
    const char *merge_key;       /* ZK_S_ARRAY of objects */
    unsigned strategy;           /* ZK_PATCH_* */
} smp_meta;

/* Where we are, for messages and the recursion bound; lives on the C stack. */
typedef struct smp_path {
    const struct smp_path *up;
    const char *key;             /* member name, or NULL for a list item */
    const char *mk;              /* list item: merge key, with value mv */
    const json_t *mv;
    int depth;
} smp_path;

typedef struct smp_ctx {
    zk_err *err;
    zk_buf key;                  /* scratch: hash key of a scalar */
} smp_ctx;

typedef enum { SMP_C_NONE = 0, SMP_C_OBJECT, SMP_C_STRING, SMP_C_INTEGER, SMP_C_REAL,
               SMP_C_BOOL, SMP_C_NULL } smp_class;

static int smp_merge_map(smp_ctx *c, json_t *orig, const json_t *patch, const smp_meta *m,
                         bool fresh, const smp_path *path, json_t **out);
static int smp_fresh(smp_ctx *c, const json_t *pv, const smp_meta *m, const smp_path *path,
                     json_t **out);

/* ---- messages ---------------------------------------------------------- */

static void smp_path_render(const smp_path *p, zk_buf *b)
{
    if (!p || !p->up)
        return;
    smp_path_render(p->up, b);
    if (p->key) {
        if (b->len)
            zk_buf_putc(b, '.');
        zk_buf_puts(b, p->key);
    } else if (p->mk) {
        zk_autobuf zk_buf v = ZK_BUF_INIT(48);
        if (zk_json_encode(p->mv, &v) < 0)
            zk_buf_puts(&v, "...");
        zk_buf_printf(b, "[%s=%s]", p->mk, v.data ? v.data : "");
    } else {
        zk_buf_puts(b, "[]");
    }
}

static int smp_fail(smp_ctx *c, const smp_path *path, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int smp_fail(smp_ctx *c, const smp_path *path, int code, const char *fmt, ...)
{
    char msg[ZK_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    zk_autobuf zk_buf where = ZK_BUF_INIT(256);
    smp_path_render(path, &where);
    if (where.len)
        return zk_err_set(c->err, code, "strategic merge patch: %s: %s", where.data, msg);
    return zk_err_set(c->err, code, "strategic merge patch: %s", msg);
}

/* Short JSON rendering of v for messages. */
static void smp_render(const json_t *v, char *out, size_t outlen)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(60);
    bool cut = zk_json_encode(v, &b) != 0;
    snprintf(out, outlen, "%s%s", b.data ? b.data : "", cut ? "..." : "");
}

/* ---- schema ------------------------------------------------------------ */

static bool smp_unknown(const smp_meta *m)
{
    return m->kind == 0 || m->kind == ZK_S_ANY;
}

static bool smp_is_struct(const smp_meta *m)
{
    return m->kind == ZK_S_OBJECT || m->kind == ZK_S_MAP;
}

static bool smp_is_merge_list(const smp_meta *m)
{
    return m->kind == ZK_S_ARRAY && (m->strategy & ZK_PATCH_MERGE);
}

/* The meta of member key of a value described by m. */
static smp_meta smp_child(const smp_meta *m, const char *key, size_t klen)
{
    smp_meta r = {0};
    if (m->kind == ZK_S_MAP) {
        /* Values of a map have no patch strategy of their own (Kubernetes
         * looks up the map's element type and no tags). */
        r.kind = m->elem;
        r.type = m->type;
        return r;
    }
    if (m->kind != ZK_S_OBJECT || strlen(key) != klen)
        return r;
    const zk_schema_field *f = zk_kube_schema_field(m->type, key);
    if (!f)
        return r;
    r.kind = f->kind;
    r.strategy = f->strategy;
    if (f->kind == ZK_S_OBJECT) {
        r.type = f->ref;
    } else if (f->kind == ZK_S_ARRAY || f->kind == ZK_S_MAP) {
        r.elem = f->elem.kind;
        r.type = f->elem.kind == ZK_S_OBJECT ? f->elem.ref : NULL;
        r.merge_key = f->merge_key;
    }
    return r;
}

static smp_meta smp_item(const smp_meta *m)
{
    smp_meta r = {0};
    if (m->kind == ZK_S_ARRAY) {
        r.kind = m->elem;
        r.type = m->type;
    }
    return r;
}

/* ---- values ------------------------------------------------------------ */

static void smp_set(json_t *obj, const char *key, size_t klen, json_t *v)
{
    if (json_object_setn_new_nocheck(obj, key, klen, v) != 0)
        abort();
}

static void smp_append(json_t *arr, json_t *v)
{
    if (json_array_append_new(arr, v) != 0)
        abort();
}

static json_t *smp_new_object(void)
{
    json_t *o = json_object();
    if (!o)
        abort();
    return o;
}

static json_t *smp_new_array(void)
{
    json_t *a = json_array();
    if (!a)
        abort();
    return a;
}

static smp_class smp_class_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return SMP_C_OBJECT;
    case JSON_STRING: return SMP_C_STRING;
    case JSON_INTEGER: return SMP_C_INTEGER;
    case JSON_REAL: return SMP_C_REAL;
    case JSON_TRUE: case JSON_FALSE: return SMP_C_BOOL;
    case JSON_NULL: return SMP_C_NULL;
    default: return SMP_C_NONE;
    }
}

/* Values of different shapes never merge: the patch value replaces. */
static int smp_shape(const json_t *v)
{
    return json_is_object(v) ? 1 : json_is_array(v) ? 2 : 3;
}

static bool smp_has_prefix(const char *key, size_t klen, const char *prefix)
{
    size_t n = strlen(prefix);
    return klen >= n && memcmp(key, prefix, n) == 0;
}

/* Put a type-tagged hash key of scalar v into c->key (Go compares list items
 * and merge key values with ==, which includes the type). -1 for objects and
 * arrays, which Go cannot compare. */
static int smp_scalar_key(smp_ctx *c, const json_t *v)
{
    zk_buf_reset(&c->key);
    int rc;
    switch (json_typeof(v)) {
    case JSON_STRING:
        rc = zk_buf_putc(&c->key, 's');
        if (rc == 0)
            rc = zk_buf_append(&c->key, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        rc = zk_buf_printf(&c->key, "i%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        rc = zk_buf_printf(&c->key, "r%.17g", d == 0 ? 0.0 : d);
        break;
    }
    case JSON_TRUE: rc = zk_buf_putc(&c->key, 't'); break;
    case JSON_FALSE: rc = zk_buf_putc(&c->key, 'f'); break;
    case JSON_NULL: rc = zk_buf_putc(&c->key, 'n'); break;
    default: return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* The value that identifies a list item: its merge key's value, or the item
 * itself in a list of primitives. NULL when an object lacks its merge key. */
static const json_t *smp_item_id(const json_t *v, const char *mk)
{
    if (!mk)
        return v;
    return json_is_object(v) ? json_object_get(v, mk) : NULL;
}

/* Position of id in an index built by smp_index, or -1. */
static long smp_lookup(smp_ctx *c, const json_t *ix, const json_t *id)
{
    if (!id || smp_scalar_key(c, id) < 0)
        return -1;
    json_t *pos = json_object_getn(ix, c->key.data, c->key.len);
    return pos ? (long)json_integer_value(pos) : -1;
}

static void smp_index_put(smp_ctx *c, json_t *ix, size_t pos)
{
    if (!json_object_getn(ix, c->key.data, c->key.len))
        if (json_object_setn_new_nocheck(ix, c->key.data, c->key.len,
                                         json_integer((json_int_t)pos)) != 0)
            abort();
}

/* Map each item's id to its first position. Every item must have an id that
 * is a scalar; what names the list in messages. */
static int smp_index(smp_ctx *c, const smp_path *path, const json_t *list, const char *mk,
                     const char *what, json_t **out)
{
    *out = NULL;
    json_t *ix = smp_new_object();
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) {
        const json_t *id = smp_item_id(v, mk);
        char shown[80];
        if (!id) {
            smp_render(v, shown, sizeof(shown));
            json_decref(ix);
            return smp_fail(c, path, ZK_EINVAL, "%s item %s does not contain declared merge key: "
                            "%s", what, shown, mk);
        }
        if (smp_scalar_key(c, id) < 0) {
            smp_render(id, shown, sizeof(shown));
            json_decref(ix);
            return smp_fail(c, path, ZK_EINVAL, "%s item %s: %s must be a string, number or "
                            "boolean", what, shown, mk ? mk : "a list item");
        }
        smp_index_put(c, ix, i);
    }
    *out = ix;
    return 0;
}

/* Check that the items of a and b (either may be NULL) are all of one JSON
 * type and none is a list; *cls gets that type (SMP_C_NONE when empty). */
static int smp_check_items(smp_ctx *c, const smp_path *path, const json_t *a, const json_t *b,
                           smp_class *cls)
{
    *cls = SMP_C_NONE;
    const json_t *lists[2] = {a, b};
    for (int l = 0; l < 2; l++) {
        size_t i;
        const json_t *v;
        json_array_foreach(lists[l], i, v) {
            if (json_is_array(v))
                return smp_fail(c, path, ZK_EINVAL, "lists of lists are not supported");
            smp_class k = smp_class_of(v);
            if (*cls == SMP_C_NONE)
                *cls = k;
            else if (*cls != k)
                return smp_fail(c, path, ZK_EINVAL, "list items are not all of the same type");
        }
    }
    return 0;
}

/* ---- list order -------------------------------------------------------- */

typedef struct smp_rank {
    json_t *v;
    size_t rank;     /* place in the list that orders this group */
    size_t srank;    /* place in the live list, SIZE_MAX when not there */
    size_t pos;      /* place in the merged list: keeps the sort stable */
} smp_rank;

static int smp_rank_cmp(const void *pa, const void *pb)
{
    const smp_rank *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Order the merged list as kube-apiserver's normalizeElementOrder does:
 * items whose id is in `order` are sorted by their place there; the others
 * (server-only items) by their place in the live list `server`; the two runs
 * are then interleaved, a server-only item going first only when both items
 * are in the live list and it comes first there. Consumes merged. */
static int smp_order(smp_ctx *c, const smp_path *path, json_t *merged, const json_t *order,
                     const json_t *server, const char *mk, json_t **out)
{
    *out = NULL;
    zk_autojson json_t *oi = NULL;
    zk_autojson json_t *si = NULL;
    int rc = smp_index(c, path, order, mk, "the ordering list's", &oi);
    if (rc == 0)
        rc = smp_index(c, path, server, mk, "a live", &si);
    if (rc < 0) {
        json_decref(merged);
        return rc;
    }
    size_t n = json_array_size(merged), na = 0, nb = 0;
    zk_autofree smp_rank *a = zk_xcalloc(n ? n : 1, sizeof(*a));
    zk_autofree smp_rank *b = zk_xcalloc(n ? n : 1, sizeof(*b));
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(merged, i);
        const json_t *id = smp_item_id(v, mk);
        if (!id) {
            char shown[80];
            smp_render(v, shown, sizeof(shown));
            json_decref(merged);
            return smp_fail(c, path, ZK_EINVAL, "item %s does not contain declared merge key: %s",
                            shown, mk);
        }
        long r = smp_lookup(c, oi, id);
        long s = smp_lookup(c, si, id);
        smp_rank e = {v, 0, s >= 0 ? (size_t)s : SIZE_MAX, i};
        if (r >= 0) {
            e.rank = (size_t)r;
            a[na++] = e;
        } else {
            e.rank = e.srank;
            b[nb++] = e;
        }
    }
    qsort(a, na, sizeof(*a), smp_rank_cmp);
    qsort(b, nb, sizeof(*b), smp_rank_cmp);
    json_t *res = smp_new_array();
    size_t i = 0, j = 0;
    while (i < nb || j < na) {
        bool left;
        if (i >= nb)
            left = false;
        else if (j >= na)
            left = true;
        else
            left = b[i].srank != SIZE_MAX && a[j].srank != SIZE_MAX && b[i].srank < a[j].srank;
        smp_append(res, json_incref(left ? b[i++].v : a[j++].v));
    }
    json_decref(merged);
    *out = res;
    return 0;
}

/* ---- lists ------------------------------------------------------------- */

/* A list that replaces whatever was there: items carrying a $patch directive
 * are dropped (as Kubernetes' removeDirectives does), the others are taken
 * as new values. */
static int smp_fresh_list(smp_ctx *c, const json_t *pv, const smp_meta *m, const smp_path *path,
                          json_t **out)
{
    *out = NULL;
    smp_meta im = smp_item(m);
    json_t *res = smp_new_array();
    size_t i;
    const json_t *v;
    json_array_foreach(pv, i, v) {
        if (json_is_object(v) && json_object_get(v, SMP_DIRECTIVE))
            continue;
        const json_t *id = m->merge_key ? smp_item_id(v, m->merge_key) : NULL;
        smp_path sub = {path, NULL, id ? m->merge_key : NULL, id, path->depth + 1};
        json_t *nv = NULL;
        int rc = smp_fresh(c, v, &im, &sub, &nv);
        if (rc < 0) {
            json_decref(res);
            return rc;
        }
        if (nv)
            smp_append(res, nv);
    }
    *out = res;
    return 0;
}

/* Union of two lists of primitives, in Kubernetes' order. Consumes orig. */
static int smp_merge_primitives(smp_ctx *c, json_t *orig, const json_t *patch,
                                const smp_path *path, json_t **out)
{
    json_t *merged = smp_new_array();
    zk_autojson json_t *seen = smp_new_object();
    const json_t *lists[2] = {orig, patch};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        json_array_foreach(lists[l], i, v) {
            if (smp_scalar_key(c, v) < 0) {
                json_decref(merged);
                json_decref(orig);
                return smp_fail(c, path, ZK_EINVAL, "list items are too large");
            }
            if (json_object_getn(seen, c->key.data, c->key.len))
                continue;
            smp_index_put(c, seen, 0);
            smp_append(merged, zk_kube_patch__copy(v));
        }
    }
    int rc = smp_order(c, path, merged, patch, orig, NULL, out);
    json_decref(orig);
    return rc;
}

/* The first n items of list, as a new array. */
static json_t *smp_head(const json_t *list, size_t n)
{
    json_t *h = smp_new_array();
    for (size_t i = 0; i < n && i < json_array_size(list); i++)
        smp_append(h, json_incref(json_array_get(list, i)));
    return h;
}

/* Merge a patch list into a live list with the merge strategy
 * (mergeSlice). Consumes orig; *out is the merged list.
 *
 * alias, when non-NULL, receives the live order that kube-apiserver's
 * $setElementOrder step sees afterwards. Go deletes list items by shifting
 * the slice in place and appends new items into the same backing array, so
 * its view of "the live list" becomes the kept items followed by as many
 * appended items as were deleted. Its own tests depend on that, so we
 * reproduce it. */
static int smp_merge_list(smp_ctx *c, json_t *orig, const json_t *patch, const smp_meta *m,
                          const smp_path *path, json_t **out, json_t **alias)
{
    *out = NULL;
    if (alias)
        *alias = NULL;
    size_t live = json_array_size(orig);
    if (live == 0 && json_array_size(patch) == 0) {
        if (alias)
            *alias = smp_new_array();
        *out = orig;
        return 0;
    }
    smp_class cls;
    int rc = smp_check_items(c, path, orig, patch, &cls);
    if (rc < 0) {
        json_decref(orig);
        return rc;
    }
    if (cls != SMP_C_OBJECT) {
        if (alias)
            *alias = smp_head(orig, live);
        return smp_merge_primitives(c, orig, patch, path, out);
    }

    const char *mk = m->merge_key;
    if (!mk) {
        json_decref(orig);
        return smp_fail(c, path, ZK_EINVAL, "cannot merge a list of objects without a merge key");
    }
    smp_meta im = smp_item(m);

    /* Directives in list items first (mergeSliceWithSpecialElements). */
    zk_autojson json_t *plain = smp_new_array();
    zk_autojson json_t *deleted = NULL;
    bool replace = false;
    size_t i;
    const json_t *p;
    json_array_foreach(patch, i, p) {
        const json_t *d = json_object_get(p, SMP_DIRECTIVE);
        const char *ds = json_string_value(d);
        if (!d || (ds && !strcmp(ds, "merge") && json_object_size(p) > 1)) {
            /* $patch: merge is the default; Kubernetes refuses it in lists,
             * we take it at its word. */
            smp_append(plain, json_incref((json_t *)p));
        } else if (ds && !strcmp(ds, "merge")) {
            continue;
        } else if (ds && !strcmp(ds, "delete")) {
            const json_t *kv = json_object_get(p, mk);
            if (!kv || smp_scalar_key(c, kv) < 0) {
                char shown[80];
                smp_render(p, shown, sizeof(shown));
                json_decref(orig);
                return smp_fail(c, path, ZK_EINVAL, "$patch: delete item %s does not contain a "
                                "string, number or boolean merge key %s", shown, mk);
            }
            if (!deleted)
                deleted = smp_new_object();
            smp_index_put(c, deleted, i);
        } else if (ds && !strcmp(ds, "replace")) {
            replace = true;
        } else {
            char shown[80];
            smp_render(d, shown, sizeof(shown));
            json_decref(orig);
            return smp_fail(c, path, ZK_EPARSE, "unknown $patch directive %s in a list item; "
                            "expected replace, delete or merge", shown);
        }
    }

    json_t *list = orig;
    if (deleted) {
        list = smp_new_array();
        json_t *v;
        json_array_foreach(orig, i, v)
            if (smp_lookup(c, deleted, smp_item_id(v, mk)) < 0)
                smp_append(list, json_incref(v));
        json_decref(orig);
    }

    if (replace) {
        /* The list becomes the patch's other items, as new values. */
        if (alias)
            *alias = smp_head(list, live);
        json_decref(list);
        zk_autojson json_t *check = NULL;
        if ((rc = smp_index(c, path, plain, mk, "a", &check)) < 0)
            return rc;
        return smp_fresh_list(c, plain, m, path, out);
    }

    /* The live order, before merging: items only change in place below. */
    zk_autojson json_t *server = smp_new_array();
    json_array_extend(server, list);
    zk_autojson json_t *where = smp_new_object();
    json_t *v;
    json_array_foreach(list, i, v) {
        const json_t *id = smp_item_id(v, mk);
        if (id && smp_scalar_key(c, id) == 0)
            smp_index_put(c, where, i);
    }

    json_array_foreach(plain, i, p) {
        const json_t *kv = json_object_get(p, mk);
        smp_path sub = {path, NULL, mk, kv, path->depth + 1};
        if (!kv) {
            char shown[80];
            smp_render(p, shown, sizeof(shown));
            json_decref(list);
            return smp_fail(c, path, ZK_EINVAL, "item %s does not contain declared merge key: %s",
                            shown, mk);
        }
        if (smp_scalar_key(c, kv) < 0) {
            json_decref(list);
            return smp_fail(c, &sub, ZK_EINVAL, "merge key %s must be a string, number or "
                            "boolean", mk);
        }
        json_t *pos = json_object_getn(where, c->key.data, c->key.len);
        json_t *nv = NULL;
        if (pos) {
            size_t at = (size_t)json_integer_value(pos);
            json_t *cur = json_incref(json_array_get(list, at));
            rc = smp_merge_map(c, cur, p, &im, false, &sub, &nv);
            if (rc == 0 && json_array_set_new(list, at, nv) != 0)
                abort();
        } else {
            rc = smp_fresh(c, p, &im, &sub, &nv);
            if (rc == 0 && nv) {
                /* The scratch key was clobbered by the recursion. */
                smp_scalar_key(c, kv);
                smp_index_put(c, where, json_array_size(list));
                smp_append(list, nv);
            }
        }
        if (rc < 0) {
            json_decref(list);
            return rc;
        }
    }
    if (alias)
        *alias = smp_head(list, live);
    rc = smp_order(c, path, list, plain, server, mk, out);
    if (rc < 0 && alias) {
        json_decref(*alias);
        *alias = NULL;
    }
    return rc;
}

/* ---- directives on maps ------------------------------------------------ */

/* $setElementOrder/<name>: merge the list named by it and put the result in
 * the requested order (mergePatchIntoOriginal). *applied is false when the
 * directive does not apply to this field and the list is left to the
 * ordinary merge. */
static int smp_set_order(smp_ctx *c, json_t *orig, const json_t *patch, const char *name,
                         size_t nlen, const json_t *so, const smp_meta *m, const smp_path *path,
                         bool *applied)
{
    *applied = false;
    smp_meta cm = smp_child(m, name, nlen);
    smp_path here = {path, name, NULL, NULL, path->depth + 1};
    /* Kubernetes fails on lists that are not merged by strategy; kubectl only
     * sends the directive for merged lists, so where our schema disagrees we
     * fall back to the list's own semantics. */
    if (!smp_is_merge_list(&cm))
        return 0;
    if (!json_is_array(so))
        return smp_fail(c, &here, ZK_EPARSE, "$setElementOrder/%s must be a list", name);
    json_t *ol = json_object_getn(orig, name, nlen);
    const json_t *pl = json_object_getn(patch, name, nlen);
    if ((pl && !json_is_array(pl)) || (ol && !json_is_array(ol)))
        return 0;
    *applied = true;
    if (!ol && !pl)
        return 0;

    smp_class cls;
    int rc = smp_check_items(c, &here, ol, pl, &cls);
    if (rc < 0)
        return rc;
    bool objects = cls == SMP_C_OBJECT || (cls == SMP_C_NONE && cm.elem == ZK_S_OBJECT);
    const char *mk = objects ? cm.merge_key : NULL;
    if (objects && !mk)
        return smp_fail(c, &here, ZK_EINVAL, "cannot order a list of objects without a merge key");

    /* The patch's items must come in the order the directive gives
     * (validatePatchWithSetOrderList); items with directives do not count. */
    size_t np = json_array_size(pl), ns = json_array_size(so), pi = 0, si = 0;
    while (pi < np && si < ns) {
        const json_t *pv = json_array_get(pl, pi);
        if (json_is_object(pv) && json_object_get(pv, SMP_DIRECTIVE)) {
            pi++;
            continue;
        }
        const json_t *a = smp_item_id(pv, mk), *b = smp_item_id(json_array_get(so, si), mk);
        if (!a || !b)
            return smp_fail(c, &here, ZK_EINVAL, "an item of the list or of $setElementOrder/%s "
                            "does not contain declared merge key: %s", name, mk);
        if (json_equal(a, b))
            pi++;
        si++;
    }
    while (pi < np && json_is_object(json_array_get(pl, pi)) &&
           json_object_get(json_array_get(pl, pi), SMP_DIRECTIVE))
        pi++;
    if (pi < np && ns > 0) {
        char shown[80];
        smp_render(json_array_get(pl, pi), shown, sizeof(shown));
        return smp_fail(c, &here, ZK_EPARSE, "the order of the patch list does not match "
                        "$setElementOrder/%s: item %s is missing from it or out of order",
                        name, shown);
    }

    zk_autojson json_t *server = NULL;
    json_t *merged = NULL;
    if (ol && !pl) {
        merged = json_incref(ol);
        server = smp_head(ol, json_array_size(ol));
    } else if (!ol) {
        rc = smp_fresh_list(c, pl, &cm, &here, &merged);
        server = smp_new_array();
    } else {
        rc = smp_merge_list(c, json_incref(ol), pl, &cm, &here, &merged, &server);
    }
    if (rc < 0)
        return rc;
    json_t *res = NULL;
    if ((rc = smp_order(c, &here, merged, so, server, mk, &res)) < 0)
        return rc;
    smp_set(orig, name, nlen, res);
    return 0;
}

/* $retainKeys: every key the patch sets must be listed; keys of orig that
 * are not listed are cleared (applyRetainKeysDirective). */
static int smp_retain_keys(smp_ctx *c, json_t *orig, const json_t *patch, const json_t *rk,
                           const smp_path *path)
{
    if (!json_is_array(rk))
        return smp_fail(c, path, ZK_EPARSE, "$retainKeys must be a list of field names");
    zk_autojson json_t *keep = smp_new_object();
    size_t i;
    const json_t *v;
    json_array_foreach(rk, i, v)
        if (json_is_string(v))
            smp_set(keep, json_string_value(v), json_string_length(v), json_true());
    const char *k;
    size_t klen;
    json_t *pv;
    json_object_keylen_foreach((json_t *)patch, k, klen, pv) {
        if (json_is_null(pv) || smp_has_prefix(k, klen, SMP_DELETE_PRIMS) ||
            smp_has_prefix(k, klen, SMP_SET_ORDER) || !strcmp(k, SMP_RETAIN_KEYS) ||
            !strcmp(k, SMP_DIRECTIVE))
            continue;
        if (!json_object_getn(keep, k, klen))
            return smp_fail(c, path, ZK_EPARSE, "the patch sets %s, which $retainKeys does not "
                            "list", k);
    }
    void *tmp;
    json_object_keylen_foreach_safe(orig, tmp, k, klen, pv)
        if (!json_object_getn(keep, k, klen))
            json_object_deln(orig, k, klen);
    return 0;
}

/* $deleteFromPrimitiveList/<name>: drop the listed values from the list. */
static int smp_delete_primitives(smp_ctx *c, json_t *orig, const char *name, size_t nlen,
                                 const json_t *dl, const smp_path *path)
{
    smp_path here = {path, name, NULL, NULL, path->depth + 1};
    if (!json_is_array(dl))
        return smp_fail(c, &here, ZK_EPARSE, "$deleteFromPrimitiveList/%s must be a list", name);
    json_t *ol = json_object_getn(orig, name, nlen);
    if (!json_is_array(ol))
        return 0;
    const json_t *lists[2] = {ol, dl};
    for (int l = 0; l < 2; l++) {
        size_t i;
        const json_t *v;
        json_array_foreach(lists[l], i, v)
            if (json_is_object(v) || json_is_array(v))
                return smp_fail(c, &here, ZK_EINVAL, "$deleteFromPrimitiveList applies to lists "
                                "of primitives only");
    }
    zk_autojson json_t *gone = NULL;
    int rc = smp_index(c, &here, dl, NULL, "a", &gone);
    if (rc < 0)
        return rc;
    json_t *res = smp_new_array();
    size_t i;
    json_t *v;
    json_array_foreach(ol, i, v)
        if (smp_lookup(c, gone, v) < 0)
            smp_append(res, json_incref(v));
    smp_set(orig, name, nlen, res);
    return 0;
}

/* ---- maps -------------------------------------------------------------- */

/* Merge one member k of the patch into orig. */
static int smp_merge_member(smp_ctx *c, json_t *orig, const char *k, size_t klen,
                            const json_t *pv, const smp_meta *m, const smp_path *path)
{
    smp_meta cm = smp_child(m, k, klen);
    smp_path here = {path, k, NULL, NULL, path->depth + 1};
    if (json_is_null(pv)) {
        json_object_deln(orig, k, klen);
        return 0;
    }
    json_t *ov = json_object_getn(orig, k, klen);
    json_t *nv = NULL;
    int rc;
    if (!ov || smp_shape(ov) != smp_shape(pv)) {
        rc = smp_fresh(c, pv, &cm, &here, &nv);
    } else if (json_is_object(pv)) {
        if (smp_unknown(&cm) || !smp_is_struct(&cm))
            rc = zk_kube_patch__merge_into(json_incref(ov), pv, here.depth, &nv, c->err);
        else if (cm.strategy & ZK_PATCH_REPLACE)
            rc = smp_fresh(c, pv, &cm, &here, &nv);
        else
            rc = smp_merge_map(c, json_incref(ov), pv, &cm, false, &here, &nv);
    } else if (json_is_array(pv)) {
        if (smp_is_merge_list(&cm))
            rc = smp_merge_list(c, json_incref(ov), pv, &cm, &here, &nv, NULL);
        else
            rc = smp_fresh(c, pv, &cm, &here, &nv);
    } else {
        nv = zk_kube_patch__copy(pv);
        rc = 0;
    }
    if (rc < 0)
        return rc;
    if (nv)
        smp_set(orig, k, klen, nv);
    else
        json_object_deln(orig, k, klen);
    return 0;
}

/* Merge patch (an object) into orig (an object or NULL, consumed) as
 * mergeMap does. fresh: orig was absent, so `$patch: delete` leaves nothing
 * (*out NULL) instead of an empty map. */
static int smp_merge_map(smp_ctx *c, json_t *orig, const json_t *patch, const smp_meta *m,
                         bool fresh, const smp_path *path, json_t **out)
{
    *out = NULL;
    if (path->depth > ZK_KUBE_PATCH__MAX_RECURSION) {
        json_decref(orig);
        return smp_fail(c, path, ZK_ETOOBIG, "nesting exceeds %d levels",
                        ZK_KUBE_PATCH__MAX_RECURSION);
    }
    const json_t *d = json_object_get(patch, SMP_DIRECTIVE);
    if (d) {
        const char *ds = json_string_value(d);
        if (ds && !strcmp(ds, "delete")) {
            json_decref(orig);
            *out = fresh ? NULL : smp_new_object();
            return 0;
        }
        if (ds && !strcmp(ds, "replace")) {
            /* Kubernetes keeps the rest of the patch verbatim; we apply it to
             * nothing, so that directives inside it do not leak out. */
            json_decref(orig);
            orig = NULL;
        } else if (!ds || strcmp(ds, "merge")) {
            char shown[80];
            smp_render(d, shown, sizeof(shown));
            json_decref(orig);
            return smp_fail(c, path, ZK_EPARSE, "unknown $patch directive %s in a map; expected "
                            "replace, delete or merge", shown);
        }
    }
    if (!orig)
        orig = smp_new_object();

    int rc = 0;
    zk_autojson json_t *done = NULL;
    const json_t *rk = json_object_get(patch, SMP_RETAIN_KEYS);
    if (rk && (rc = smp_retain_keys(c, orig, patch, rk, path)) < 0)
        goto fail;

    const char *k;
    size_t klen;
    json_t *pv;
    json_object_keylen_foreach((json_t *)patch, k, klen, pv) {
        if (!smp_has_prefix(k, klen, SMP_SET_ORDER))
            continue;
        size_t plen = strlen(SMP_SET_ORDER);
        if (klen <= plen || k[plen] != '/') {
            rc = smp_fail(c, path, ZK_EPARSE, "invalid directive %s: expected "
                          "$setElementOrder/<list field>", k);
            goto fail;
        }
        bool applied;
        rc = smp_set_order(c, orig, patch, k + plen + 1, klen - plen - 1, pv, m, path, &applied);
        if (rc < 0)
            goto fail;
        if (applied) {
            if (!done)
                done = smp_new_object();
            smp_set(done, k + plen + 1, klen - plen - 1, json_true());
        }
    }

    json_object_keylen_foreach((json_t *)patch, k, klen, pv) {
        if (!strcmp(k, SMP_DIRECTIVE) || !strcmp(k, SMP_RETAIN_KEYS) ||
            smp_has_prefix(k, klen, SMP_SET_ORDER) || smp_has_prefix(k, klen, SMP_DELETE_PRIMS))
            continue;
        if (done && json_object_getn(done, k, klen))
            continue;
        if ((rc = smp_merge_member(c, orig, k, klen, pv, m, path)) < 0)
            goto fail;
    }

    /* Deletions from primitive lists come last: Kubernetes iterates a Go map,
     * so its order is random; after the additions is the order it uses when
     * $setElementOrder is present, and the only one that makes a patch that
     * both adds and deletes a value deterministic. */
    json_object_keylen_foreach((json_t *)patch, k, klen, pv) {
        if (!smp_has_prefix(k, klen, SMP_DELETE_PRIMS))
            continue;
        size_t plen = strlen(SMP_DELETE_PRIMS);
        if (klen <= plen || k[plen] != '/') {
            rc = smp_fail(c, path, ZK_EPARSE, "invalid directive %s: expected "
                          "$deleteFromPrimitiveList/<list field>", k);
            goto fail;
        }
        rc = smp_delete_primitives(c, orig, k + plen + 1, klen - plen - 1, pv, path);
        if (rc < 0)
            goto fail;
    }
    *out = orig;
    return 0;
fail:
    json_decref(orig);
    return rc;
}

/* A patch value where the document has none (or one of another shape):
 * Kubernetes takes it as it is, minus nulls in maps and minus anything that
 * carries a $patch directive. We apply it to nothing, which does that and
 * also honours $setElementOrder, $retainKeys and $patch: replace inside it.
 * *out is NULL when nothing remains (`$patch: delete`). */
static int smp_fresh(smp_ctx *c, const json_t *pv, const smp_meta *m, const smp_path *path,
                     json_t **out)
{
    *out = NULL;
    if (path->depth > ZK_KUBE_PATCH__MAX_RECURSION)
        return smp_fail(c, path, ZK_ETOOBIG, "nesting exceeds %d levels",
                        ZK_KUBE_PATCH__MAX_RECURSION);
    if (json_is_object(pv) && smp_is_struct(m))
        return smp_merge_map(c, NULL, pv, m, true, path, out);
    if (json_is_array(pv) && m->kind == ZK_S_ARRAY)
        return smp_fresh_list(c, pv, m, path, out);
    return zk_kube_patch__merge_into(NULL, pv, path->depth, out, c->err);
}

int zk_kube_patch_strategic(const json_t *doc, const json_t *patch, const zk_schema_type *type,
                            json_t **out, zk_err *err)
{
    *out = NULL;
    zk_err local = {0};
    if (!err)
        err = &local;
    if (!json_is_object(patch))
        return zk_err_set(err, ZK_EPARSE, "a strategic merge patch must be a JSON object");
    if (!type)
        return zk_kube_patch_merge(json_is_object(doc) ? doc : NULL, patch, out, err);
    smp_ctx c = {.err = err, .key = ZK_BUF_INIT((size_t)1 << 30)};
    smp_meta top = {.kind = ZK_S_OBJECT, .type = type};
    smp_path root = {0};
    json_t *orig = json_is_object(doc) ? zk_kube_patch__copy(doc) : NULL;
    int rc = smp_merge_map(&c, orig, patch, &top, false, &root, out);
    zk_buf_free(&c.key);
    return rc;
}
