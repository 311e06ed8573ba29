#include "apiserver/objects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/str.h"

/* ---- kept trees: most recently used last, bounded by their JSON bytes ---- */

#define ZK_OBJ_TREE_MAX_LEN (64u << 10) /* larger objects are parsed each time */

static zk_obj *zk__trees_head, *zk__trees_tail;
static size_t zk__trees_bytes;

static void zk__tree_unlink(zk_obj *o)
{
    if (o->tree_prev)
        o->tree_prev->tree_next = o->tree_next;
    else
        zk__trees_head = o->tree_next;
    if (o->tree_next)
        o->tree_next->tree_prev = o->tree_prev;
    else
        zk__trees_tail = o->tree_prev;
    o->tree_prev = o->tree_next = NULL;
}

static void zk__tree_link(zk_obj *o)
{
    o->tree_prev = zk__trees_tail;
    o->tree_next = NULL;
    if (zk__trees_tail)
        zk__trees_tail->tree_next = o;
    else
        zk__trees_head = o;
    zk__trees_tail = o;
}

void zk_obj_tree_drop(zk_obj *o)
{
    if (!o || !o->tree)
        return;
    zk__tree_unlink(o);
    zk__trees_bytes -= o->len;
    json_decref(o->tree);
    o->tree = NULL;
}

/* Keep tree (a reference the object takes) as o's document. */
static void zk__tree_keep(zk_obj *o, json_t *tree)
{
    if (o->tree || o->len > ZK_OBJ_TREE_MAX_LEN) {
        json_decref(tree);
        return;
    }
    o->tree = tree;
    zk__tree_link(o);
    zk__trees_bytes += o->len;
    while (zk__trees_bytes > ZK_OBJ_TREES_MAX_BYTES && zk__trees_head != o)
        zk_obj_tree_drop(zk__trees_head);
}

json_t *zk_obj_tree(zk_obj *o)
{
    if (o->tree) {
        zk__tree_unlink(o);
        zk__tree_link(o);
        return json_incref(o->tree);
    }
    json_t *doc = zk_obj_parse(o);
    zk__tree_keep(o, json_incref(doc));
    return doc;
}

/* ---- objects ---- */

/* node_name of every object without spec.nodeName: shared, never freed */
static char zk__no_node[1] = "";

static void zk__obj_header(zk_obj *o, const json_t *doc)
{
    json_t *meta = json_object_get(doc, "metadata");
    const char *ns = zk_json_str(meta, "namespace");
    const char *name = zk_json_str(meta, "name");
    const char *uid = zk_json_str(meta, "uid");
    o->ns = zk_xstrdup(ns ? ns : "");
    o->name = zk_xstrdup(name ? name : "");
    o->uid = zk_xstrdup(uid ? uid : "");
    json_t *labels = json_object_get(meta, "labels");
    o->labels = json_is_object(labels) && json_object_size(labels) ? json_incref(labels) : NULL;
    o->terminating = json_object_get(meta, "deletionTimestamp") != NULL &&
                     !json_is_null(json_object_get(meta, "deletionTimestamp"));
    json_t *refs = json_object_get(meta, "ownerReferences");
    if (json_is_array(refs) && json_array_size(refs)) {
        o->owners = zk_xcalloc(json_array_size(refs), sizeof(char *));
        size_t i;
        json_t *r;
        json_array_foreach(refs, i, r) {
            const char *u = zk_json_str(r, "uid");
            if (u)
                o->owners[o->nowners++] = zk_xstrdup(u);
        }
    }
    json_t *fin = json_object_get(meta, "finalizers");
    o->has_finalizers = json_is_array(fin) && json_array_size(fin) > 0;
    json_t *node = json_object_get(json_object_get(doc, "spec"), "nodeName");
    /* absent and null compare as "", as in zk_apis_filter_match's scan */
    o->node_name = json_is_string(node)            ? zk_xstrdup(json_string_value(node))
                   : (!node || json_is_null(node)) ? zk__no_node
                                                   : NULL;
}

zk_obj *zk_obj_from_json(const json_t *doc, int64_t rev)
{
    if (!json_is_object(doc))
        return NULL;
    zk_obj *o = zk_xcalloc(1, sizeof(*o));
    o->refs = 1;
    o->rev = rev;
    o->json = zk_json_write(doc, &o->len);
    if (!o->json)
        abort();
    zk__obj_header(o, doc);
    /* labels must not alias the caller's tree, which may change later */
    if (o->labels) {
        json_t *copy = json_deep_copy(o->labels);
        json_decref(o->labels);
        o->labels = copy;
    }
    return o;
}

zk_obj *zk_obj_take_json(json_t *doc, int64_t rev)
{
    if (!json_is_object(doc)) {
        if (doc)
            json_decref(doc);
        return NULL;
    }
    json_t *meta = json_object_get(doc, "metadata");
    json_t *labels = json_object_get(meta, "labels");
    /* The labels can be kept as they are when no other tree can reach them
     * to change them later: the document, its metadata and the labels are
     * held once each. Otherwise they are copied, as zk_obj_from_json does. */
    bool alone = doc->refcount == 1 && (!meta || meta->refcount == 1) &&
                 (!labels || labels->refcount == 1);
    if (!alone) {
        zk_obj *o = zk_obj_from_json(doc, rev);
        json_decref(doc);
        return o;
    }
    zk_obj *o = zk_xcalloc(1, sizeof(*o));
    o->refs = 1;
    o->rev = rev;
    o->json = zk_json_write(doc, &o->len);
    if (!o->json)
        abort();
    zk__obj_header(o, doc);
    /* Nothing else holds the document: it becomes the object's tree, which
     * the next update of this object reads instead of parsing the text. */
    zk__tree_keep(o, doc);
    return o;
}

zk_obj *zk_obj_new(const char *json, size_t len, int64_t rev)
{
    json_error_t jerr;
    json_t *doc = zk_json_loadb(json, len, 0, &jerr);
    if (!json_is_object(doc)) {
        if (doc)
            json_decref(doc);
        return NULL;
    }
    zk_obj *o = zk_xcalloc(1, sizeof(*o));
    o->refs = 1;
    o->rev = rev;
    o->json = zk_xstrndup(json, len);
    o->len = len;
    zk__obj_header(o, doc);
    json_decref(doc);
    return o;
}

zk_obj *zk_obj_ref(zk_obj *o)
{
    if (o)
        o->refs++;
    return o;
}

void zk_obj_unref(zk_obj *o)
{
    if (!o || --o->refs > 0)
        return;
    zk_obj_tree_drop(o);
    free(o->json);
    free(o->ns);
    free(o->name);
    free(o->uid);
    if (o->node_name != zk__no_node)
        free(o->node_name);
    for (size_t i = 0; i < o->nowners; i++)
        free(o->owners[i]);
    free(o->owners);
    if (o->labels)
        json_decref(o->labels);
    free(o);
}

json_t *zk_obj_parse(const zk_obj *o)
{
    json_error_t jerr;
    json_t *doc = zk_json_loadb(o->json, o->len, 0, &jerr);
    if (!doc) {
        fprintf(stderr, "zke: stored object does not parse: %s\n", jerr.text);
        abort();
    }
    return doc;
}

zk_storage *zk_storage_get(zk_map *all, const char *name, bool create)
{
    zk_storage *st = zk_map_get(all, name);
    if (st || !create)
        return st;
    st = zk_xcalloc(1, sizeof(*st));
    st->name = zk_xstrdup(name);
    st->entries = zk_map_new();
    st->dirty = true;
    zk_map_put(all, name, st);
    return st;
}

void zk_storage_key(char *buf, size_t n, const char *ns, const char *name)
{
    if (ns && *ns)
        zk_str_concat(buf, n, ns, "/", name, NULL);
    else
        zk_str_concat(buf, n, name, NULL);
}

zk_entry *zk_storage_entry(zk_storage *st, const char *key, bool create)
{
    zk_entry *e = zk_map_get(st->entries, key);
    if (e || !create)
        return e;
    e = zk_xcalloc(1, sizeof(*e));
    zk_map_put(st->entries, key, e);
    return e;
}

void zk_storage_gc_entry(zk_storage *st, const char *key, zk_entry *e)
{
    if (e->cur || e->latest || e->npending)
        return;
    zk_map_del(st->entries, key);
    free(e);
}

zk_obj *zk_storage_latest(zk_storage *st, const char *ns, const char *name)
{
    char key[512];
    zk_storage_key(key, sizeof(key), ns, name);
    zk_entry *e = zk_map_get(st->entries, key);
    return e ? e->latest : NULL;
}

zk_obj *zk_storage_get_obj(zk_storage *st, const char *ns, const char *name)
{
    if (!st)
        return NULL;
    char key[512];
    zk_storage_key(key, sizeof(key), ns, name);
    zk_entry *e = zk_map_get(st->entries, key);
    return e ? e->cur : NULL;
}

void zk_storage_touch(zk_storage *st)
{
    st->dirty = true;
}

typedef struct { const char *key; zk_entry *e; } zk__sort_item;

static int zk__sort_cmp(const void *a, const void *b)
{
    return strcmp(((const zk__sort_item *)a)->key, ((const zk__sort_item *)b)->key);
}

void zk_storage_sorted(zk_storage *st, zk_entry ***entries, char ***keys, size_t *n)
{
    if (st->dirty) {
        size_t count = zk_map_count(st->entries);
        zk__sort_item *items = zk_xmalloc((count ? count : 1) * sizeof(*items));
        size_t m = 0, pos = 0;
        const char *k;
        void *v;
        while (zk_map_next(st->entries, &pos, &k, &v)) {
            zk_entry *e = v;
            if (e->cur)
                items[m++] = (zk__sort_item){k, e};
        }
        qsort(items, m, sizeof(*items), zk__sort_cmp);
        if (m > st->capsorted) {
            st->capsorted = m * 2;
            st->sorted = zk_xrealloc(st->sorted, st->capsorted * sizeof(zk_entry *));
            st->sorted_keys = zk_xrealloc(st->sorted_keys, st->capsorted * sizeof(char *));
        }
        for (size_t i = 0; i < m; i++) {
            st->sorted[i] = items[i].e;
            st->sorted_keys[i] = (char *)items[i].key;
        }
        st->nsorted = m;
        st->count = m;
        st->dirty = false;
        free(items);
    }
    *entries = st->sorted;
    *keys = st->sorted_keys;
    *n = st->nsorted;
}
