/* zke kube: informers — a cache of one resource kept by list and watch.
 *
 * An informer lists its resource (in pages), then watches from the list's
 * resourceVersion. When the watch ends it resumes from the last version it
 * saw; when the server answers 410 Gone it lists again and reports the
 * difference as adds, updates and deletes. Objects in the cache are shared
 * jansson trees: handlers and readers get borrowed pointers and must not
 * modify them (copy first: json_deep_copy()).
 *
 * Indexes map a value computed from an object (its namespace, node name,
 * owner uid ...) to the objects that have it. Everything runs on the
 * client's loop thread. Handlers must not free the informer. */
#ifndef ZK_KUBE_INFORMER_H
#define ZK_KUBE_INFORMER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kube/client.h"

typedef struct zk_kube_informer zk_kube_informer;

typedef struct zk_kube_handler {
    void (*add)(void *ctx, json_t *obj);
    /* old and new are different versions of one object */
    void (*update)(void *ctx, json_t *old, json_t *obj);
    /* obj is the last state seen */
    void (*del)(void *ctx, json_t *obj);
    void *ctx;
} zk_kube_handler;

/* ns NULL or "" watches every namespace; selectors may be NULL. */
zk_kube_informer *zk_kube_informer_new(zk_kube_client *c, const zk_kube_resource *r,
                                       const char *ns, const char *label_selector,
                                       const char *field_selector);
void zk_kube_informer_free(zk_kube_informer *inf);
const zk_kube_resource *zk_kube_informer_resource(const zk_kube_informer *inf);

/* Register before or after start; a handler added after the first list
 * gets an add for every object already cached. */
void zk_kube_informer_on(zk_kube_informer *inf, const zk_kube_handler *h);

/* An index: call emit(ectx, value) for each value obj has (zero or more). */
typedef void (*zk_kube_emit_fn)(void *ectx, const char *value);
typedef void (*zk_kube_index_fn)(const json_t *obj, zk_kube_emit_fn emit, void *ectx);
/* Add before start. Built-in: "namespace" is always there. */
void zk_kube_informer_add_index(zk_kube_informer *inf, const char *name, zk_kube_index_fn fn);

void zk_kube_informer_start(zk_kube_informer *inf);
/* The first list has completed and been delivered to the handlers. */
bool zk_kube_informer_synced(const zk_kube_informer *inf);

/* ---- the cache (lister) ---- */

size_t zk_kube_informer_count(const zk_kube_informer *inf);
/* By key "ns/name" or "name"; borrowed or NULL. */
json_t *zk_kube_informer_get_key(const zk_kube_informer *inf, const char *key);
json_t *zk_kube_informer_get(const zk_kube_informer *inf, const char *ns, const char *name);
/* Call fn for each cached object (do not change the informer from fn). */
void zk_kube_informer_each(const zk_kube_informer *inf, void (*fn)(void *ctx, json_t *obj),
                           void *ctx);
/* Every cached object, borrowed, in *out (an array the caller frees with
 * free()); returns the count. */
size_t zk_kube_informer_list(const zk_kube_informer *inf, json_t ***out);
/* The objects whose index `index` has `value`, borrowed, in *out (an array
 * the caller frees with free()); returns the count. */
size_t zk_kube_informer_by_index(const zk_kube_informer *inf, const char *index,
                                 const char *value, json_t ***out);

/* Put a server response into the cache at once (a create, update or patch
 * this process made), so the next reconcile sees it before the watch event
 * comes. Ignored if the cache already has this or a newer version. Handlers
 * run as for a watch event. */
void zk_kube_informer_observe(zk_kube_informer *inf, json_t *obj);
/* The same for a deletion this process made and the server confirmed. */
void zk_kube_informer_observe_delete(zk_kube_informer *inf, const char *ns, const char *name);

/* Relists done after the first list (410s and resyncs), for tests. */
size_t zk_kube_informer_relists(const zk_kube_informer *inf);

/* ---- shared informers ----
 * One informer per resource (all namespaces, no selectors) shared by every
 * controller and the scheduler of a process. */
typedef struct zk_kube_factory zk_kube_factory;

zk_kube_factory *zk_kube_factory_new(zk_kube_client *c);
void zk_kube_factory_free(zk_kube_factory *f);
zk_kube_client *zk_kube_factory_client(zk_kube_factory *f);
/* The shared informer of r, created on first use. Indexes may be added to
 * it until the factory starts; adding an index name twice keeps the first. */
zk_kube_informer *zk_kube_factory_informer(zk_kube_factory *f, const zk_kube_resource *r);
/* The shared informer of r if one was made, else NULL. */
zk_kube_informer *zk_kube_factory_find(zk_kube_factory *f, const zk_kube_resource *r);
/* Start every informer made so far (and any made later, at once). */
void zk_kube_factory_start(zk_kube_factory *f);
bool zk_kube_factory_synced(const zk_kube_factory *f);

#endif
