/* zke controllers: the runtime every controller shares.
 *
 * A controller is a sync function over keys ("ns/name") fed by a work queue
 * that its informer handlers fill. A sync reads the shared informer caches,
 * decides, and sends its writes as one batch; the key is done when every
 * write has answered (requeued with backoff if one failed). Each write's
 * answer goes into the informer cache at once, so the next sync sees what
 * this one did even before the watch delivers it.
 *
 * Everything runs on the loop of the factory's client. Controllers start
 * after the caches have synced, and only while this process leads (when a
 * lease is configured). */
#ifndef ZK_CTL_H
#define ZK_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "kube/client.h"
#include "kube/informer.h"

typedef struct zk_ctl_mgr zk_ctl_mgr;
typedef struct zk_ctl zk_ctl;

typedef struct zk_ctl_def {
    const char *name;      /* "replicaset": the queue's name and the event source */
    int workers;           /* keys synced at once */
    /* Make informers (zk_ctl_informer), register handlers, return state. */
    void *(*init)(zk_ctl *c);
    /* Reconcile key; must lead to zk_ctl_done(c, key, ...) (directly or
     * through a batch). */
    void (*sync)(zk_ctl *c, void *state, const char *key);
    void (*free)(void *state);
} zk_ctl_def;

zk_ctl_mgr *zk_ctl_mgr_new(zk_kube_factory *f);
zk_ctl *zk_ctl_mgr_add(zk_ctl_mgr *m, const zk_ctl_def *def);
/* Add the built-in controllers (see controllers.c), skipping the names in
 * the comma-separated list `disabled` (may be NULL). */
void zk_ctl_mgr_add_all(zk_ctl_mgr *m, const char *disabled);
/* Start the informers; syncing starts once they have synced. */
void zk_ctl_mgr_start(zk_ctl_mgr *m);
/* Stop processing (on lost leadership); keys wait until resumed. */
void zk_ctl_mgr_pause(zk_ctl_mgr *m, bool paused);
void zk_ctl_mgr_free(zk_ctl_mgr *m);
size_t zk_ctl_mgr_syncs(const zk_ctl_mgr *m);

zk_kube_factory *zk_ctl_factory(zk_ctl *c);
zk_kube_client *zk_ctl_client(zk_ctl *c);
const char *zk_ctl_name(const zk_ctl *c);
/* The shared informer of r, with the standard indexes "owner" (controller
 * owner uid), "orphan" (namespace of objects without a controller) and, for
 * pods, "node" (spec.nodeName). */
zk_kube_informer *zk_ctl_informer(zk_ctl *c, const zk_kube_resource *r);

void zk_ctl_enqueue(zk_ctl *c, const char *key);
void zk_ctl_enqueue_obj(zk_ctl *c, const json_t *obj);
void zk_ctl_enqueue_after(zk_ctl *c, const char *key, uint64_t ms);
/* Enqueue the controller owner of obj if it is of kind `kind`. */
void zk_ctl_enqueue_owner(zk_ctl *c, const json_t *obj, const char *kind);
void zk_ctl_done(zk_ctl *c, const char *key, bool requeue);

/* ---- writes of one sync ---- */

typedef struct zk_ctl_batch zk_ctl_batch;

/* Called with each answer (optional), before it is observed. */
typedef void (*zk_ctl_answer_fn)(void *ctx, const zk_kube_result *r);

zk_ctl_batch *zk_ctl_batch_begin(zk_ctl *c, const char *key);
void zk_ctl_batch_create(zk_ctl_batch *b, const zk_kube_resource *r, const char *ns,
                         const json_t *obj);
void zk_ctl_batch_update(zk_ctl_batch *b, const zk_kube_resource *r, const json_t *obj,
                         const char *sub);
/* A merge patch (content_type NULL) or another patch type. */
void zk_ctl_batch_patch(zk_ctl_batch *b, const zk_kube_resource *r, const char *ns,
                        const char *name, const char *sub, const char *content_type,
                        const json_t *patch);
/* NotFound counts as success. uid (optional) is a precondition. */
void zk_ctl_batch_delete(zk_ctl_batch *b, const zk_kube_resource *r, const char *ns,
                         const char *name, const char *uid, const char *propagation);
/* Any request, answered to fn; a status of 300 or more fails the batch
 * unless fn is given (then fn decides with zk_ctl_batch_fail). */
void zk_ctl_batch_request(zk_ctl_batch *b, const char *method, const char *path,
                          const json_t *body, zk_ctl_answer_fn fn, void *ctx);
/* The same with a content type (a patch's). */
void zk_ctl_batch_request_as(zk_ctl_batch *b, const char *method, const char *path,
                             const char *content_type, const json_t *body, zk_ctl_answer_fn fn,
                             void *ctx);
void zk_ctl_batch_fail(zk_ctl_batch *b);
/* Requeue the key after ms even if every write succeeds. */
void zk_ctl_batch_requeue_after(zk_ctl_batch *b, uint64_t ms);
size_t zk_ctl_batch_count(const zk_ctl_batch *b);
/* No more writes: the key is done when all have answered (at once if none). */
void zk_ctl_batch_end(zk_ctl_batch *b);

/* ---- events ---- */

/* Record a core/v1 Event about obj ("Normal" or "Warning"), from this
 * controller. Repeats of the same reason and message about one object
 * within 10 minutes bump the count of one Event. Fire and forget, bounded. */
void zk_ctl_event(zk_ctl *c, const json_t *obj, const char *type, const char *reason,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- helpers ---- */

/* Now, as metav1.Time ("2026-11-27T10:00:00Z"). */
void zk_ctl_now(char *out, size_t n);
/* An ownerReference to owner (controller: true, blockOwnerDeletion: true). */
json_t *zk_ctl_owner_ref(const json_t *owner);
/* Is pod active: not terminal (Succeeded/Failed) and not being deleted. */
bool zk_ctl_pod_active(const json_t *pod);
/* Pod Ready condition True. */
bool zk_ctl_pod_ready(const json_t *pod);
/* Ready for at least min_ready_s seconds by now (wall clock). */
bool zk_ctl_pod_available(const json_t *pod, int64_t min_ready_s, int64_t now);
/* Set or replace a condition of type in status.conditions; keeps
 * lastTransitionTime when the status did not change. Returns true if
 * anything changed. */
bool zk_ctl_set_condition(json_t *status, const char *type, const char *cstatus,
                          const char *reason, const char *message, bool with_update_time);
json_t *zk_ctl_get_condition(const json_t *status, const char *type);

#endif
