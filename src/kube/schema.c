#include "kube/schema.h"

#include <string.h>

const zk_schema_field *zk_kube_schema_field(const zk_schema_type *t, const char *name)
{
    if (!t || !t->fields)
        return NULL;
    for (const zk_schema_field *f = t->fields; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/str.h"

static void zk__unknown_walk(const zk_schema_type *t, json_t *obj, char *path, size_t plen,
                             size_t cap, int depth, bool prune, zk_schema_unknown_fn fn, void *ctx);

/* path + pre + s + post, as snprintf(path + plen, cap - plen, ...) would
 * write it; SIZE_MAX when it does not fit (the caller skips that field). Every
 * field of every request passes here: no format parsing. */
static size_t zk__path_put(char *path, size_t plen, size_t cap, char pre, const char *s,
                           size_t slen, char post)
{
    size_t n = (pre != 0) + slen + (post != 0);
    if (n >= cap - plen)
        return SIZE_MAX;
    char *p = path + plen;
    if (pre)
        *p++ = pre;
    memcpy(p, s, slen);
    p += slen;
    if (post)
        *p++ = post;
    *p = '\0';
    return plen + n;
}

static void zk__unknown_item(const zk_schema_item *it, json_t *v, char *path, size_t plen,
                             size_t cap, int depth, bool prune, zk_schema_unknown_fn fn, void *ctx)
{
    if (it->kind == ZK_S_OBJECT && it->ref && json_is_object(v))
        zk__unknown_walk(it->ref, v, path, plen, cap, depth + 1, prune, fn, ctx);
}

static void zk__unknown_walk(const zk_schema_type *t, json_t *obj, char *path, size_t plen,
                             size_t cap, int depth, bool prune, zk_schema_unknown_fn fn, void *ctx)
{
    if (!t || !t->fields || depth > 64)
        return;
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, v) {
        size_t np = zk__path_put(path, plen, cap, plen ? '.' : 0, key, strlen(key), 0);
        if (np == SIZE_MAX)
            continue;
        const zk_schema_field *f = zk_kube_schema_field(t, key);
        if (!f) {
            if (fn)
                fn(ctx, path);
            if (prune) {
                path[plen] = '\0';
                json_object_del(obj, key);
                continue;
            }
        } else if (f->kind == ZK_S_OBJECT && f->ref && json_is_object(v)) {
            zk__unknown_walk(f->ref, v, path, np, cap, depth + 1, prune, fn, ctx);
        } else if (f->kind == ZK_S_ARRAY && json_is_array(v)) {
            size_t i;
            json_t *item;
            json_array_foreach(v, i, item) {
                char num[24];
                size_t m = zk__path_put(path, np, cap, '[', num, zk_str_i64(num, (int64_t)i), ']');
                if (m != SIZE_MAX)
                    zk__unknown_item(&f->elem, item, path, m, cap, depth, prune, fn, ctx);
            }
        } else if (f->kind == ZK_S_MAP && json_is_object(v)) {
            const char *k2;
            json_t *item;
            json_object_foreach(v, k2, item) {
                size_t m = zk__path_put(path, np, cap, '[', k2, strlen(k2), ']');
                if (m != SIZE_MAX)
                    zk__unknown_item(&f->elem, item, path, m, cap, depth, prune, fn, ctx);
            }
        }
        path[plen] = '\0';
    }
}

void zk_kube_schema_unknown_fields(const zk_schema_type *t, const json_t *obj,
                                   zk_schema_unknown_fn fn, void *ctx)
{
    char path[1024] = "";
    if (json_is_object(obj))
        zk__unknown_walk(t, (json_t *)obj, path, 0, sizeof(path), 0, false, fn, ctx);
}

void zk_kube_schema_prune(const zk_schema_type *t, json_t *obj, zk_schema_unknown_fn fn,
                          void *ctx)
{
    char path[1024] = "";
    if (json_is_object(obj))
        zk__unknown_walk(t, obj, path, 0, sizeof(path), 0, true, fn, ctx);
}
