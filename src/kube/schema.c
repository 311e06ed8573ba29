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
#include <stdio.h>

static void zk__unknown_walk(const zk_schema_type *t, json_t *obj, char *path, size_t plen,
                             size_t cap, int depth, bool prune, zk_schema_unknown_fn fn, void *ctx);

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
        int n = snprintf(path + plen, cap - plen, plen ? ".%s" : "%s", key);
        if (n < 0 || (size_t)n >= cap - plen)
            continue;
        size_t np = plen + (size_t)n;
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
                int m = snprintf(path + np, cap - np, "[%zu]", i);
                if (m > 0 && (size_t)m < cap - np)
                    zk__unknown_item(&f->elem, item, path, np + (size_t)m, cap, depth, prune, fn,
                                     ctx);
            }
        } else if (f->kind == ZK_S_MAP && json_is_object(v)) {
            const char *k2;
            json_t *item;
            json_object_foreach(v, k2, item) {
                int m = snprintf(path + np, cap - np, "[%s]", k2);
                if (m > 0 && (size_t)m < cap - np)
                    zk__unknown_item(&f->elem, item, path, np + (size_t)m, cap, depth, prune, fn,
                                     ctx);
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
