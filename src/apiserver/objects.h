/* zke apiserver: the objects served from memory.
 *
 * Every current object lives here as its canonical JSON text (with its
 * resourceVersion already in it) plus a small parsed header, grouped by
 * storage ("apps/deployments"). A write is accepted into `latest` at once (so
 * later writes see it for conflicts), and becomes visible in `cur` when the
 * store says it is durable. Reads only ever see `cur`. Loop thread only. */
#ifndef ZK_APIS_OBJECTS_H
#define ZK_APIS_OBJECTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/map.h"

typedef struct zk_obj {
    int refs;
    int64_t rev;
    char *json;        /* canonical JSON, NUL-terminated */
    size_t len;
    char *ns;          /* "" for cluster-scoped */
    char *name;
    char *uid;
    json_t *labels;    /* metadata.labels or NULL */
    char **owners;     /* metadata.ownerReferences[].uid */
    size_t nowners;
    char *node_name;   /* spec.nodeName when it is a string, "" when absent
                        * or null, else NULL: the field selector every node
                        * agent lists pods by */
    bool terminating;  /* has deletionTimestamp */
    bool has_finalizers;
    /* The parsed document, kept for recently written objects so that an
     * update does not parse the object it replaces again. Never changed
     * once kept; see zk_obj_tree(). */
    json_t *tree;
    struct zk_obj *tree_prev, *tree_next;
} zk_obj;

/* Build from JSON text (copied); fills the header. NULL if not an object. */
zk_obj *zk_obj_new(const char *json, size_t len, int64_t rev);
/* Build from a tree: encodes it. */
zk_obj *zk_obj_from_json(const json_t *doc, int64_t rev);
/* The same, consuming doc: the parts the header keeps are not copied when
 * nothing else holds them. */
zk_obj *zk_obj_take_json(json_t *doc, int64_t rev);
zk_obj *zk_obj_ref(zk_obj *o);
void zk_obj_unref(zk_obj *o);
/* Parse the JSON text; new reference, NULL only on broken invariants. */
json_t *zk_obj_parse(const zk_obj *o);
/* The document as a tree that the caller must not change (it is shared):
 * kept from the write that made the object, or parsed now and kept. A new
 * reference. Trees are kept for the most recently used objects up to
 * ZK_OBJ_TREES_MAX_BYTES of their JSON text. */
json_t *zk_obj_tree(zk_obj *o);
/* Forget the kept tree (the object was replaced as its key's latest). */
void zk_obj_tree_drop(zk_obj *o);

#define ZK_OBJ_TREES_MAX_BYTES (256u << 10)

typedef struct zk_entry {
    zk_obj *cur;       /* durable, visible; NULL while a create is pending */
    zk_obj *latest;    /* accepted; NULL when a delete is pending */
    int npending;
} zk_entry;

typedef struct zk_storage {
    char *name;
    zk_map *entries;       /* "ns/name" -> zk_entry */
    zk_entry **sorted;     /* visible entries sorted by key, rebuilt lazily */
    char **sorted_keys;
    size_t nsorted, capsorted;
    bool dirty;
    size_t count;          /* visible objects */
} zk_storage;

zk_storage *zk_storage_get(zk_map *all, const char *name, bool create);
/* Key of an object within its storage: "ns/name" or "name". */
void zk_storage_key(char *buf, size_t n, const char *ns, const char *name);
zk_entry *zk_storage_entry(zk_storage *st, const char *key, bool create);
/* Drop the entry when it holds nothing. */
void zk_storage_gc_entry(zk_storage *st, const char *key, zk_entry *e);
/* The latest accepted state (including writes not yet durable), or NULL
 * when absent or a delete is pending (borrowed). Writes check against it. */
zk_obj *zk_storage_latest(zk_storage *st, const char *ns, const char *name);
/* Visible object or NULL (borrowed). */
zk_obj *zk_storage_get_obj(zk_storage *st, const char *ns, const char *name);
/* Sorted view of visible entries; valid until the next write. */
void zk_storage_sorted(zk_storage *st, zk_entry ***entries, char ***keys, size_t *n);
/* Mark that the visible set changed. */
void zk_storage_touch(zk_storage *st);

#endif
