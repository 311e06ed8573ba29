/* zke admission: ResourceQuota, as Kubernetes' quota admission plugin and
 * its usage evaluators.
 *
 * Usage is what an object adds to a namespace's quotas: pods (count,
 * requests and limits of cpu, memory, ephemeral-storage, hugepages,
 * extended resources), services (count, node ports, load balancers),
 * PersistentVolumeClaims (count and requested storage, also per storage
 * class), the legacy counts (configmaps, secrets, replicationcontrollers,
 * resourcequotas) and `count/<resource>[.<group>]` for every kind.
 *
 * The functions are pure over JSON objects. What they need of the server is
 * one thing: the objects of a kind in a namespace, given through
 * zk_adm_objects (the server includes writes it accepted and has not made
 * durable yet, so two creates admitted back to back both count). */
#ifndef ZK_ADM_QUOTA_H
#define ZK_ADM_QUOTA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admission/resources.h"

/* What one version of an object means to quotas: its usage and the facts
 * quota scopes look at. The server builds one per object version and keeps
 * it, so a count does not parse every object again. */
typedef struct zk_adm_quota_item {
    zk_adm_rlist usage;       /* while the object counts in full */
    zk_adm_rlist spent;       /* a finished pod: count/pods only */
    bool pod;
    bool finished;            /* pod phase Succeeded or Failed */
    int64_t grace_end;        /* a deleted pod is no longer charged after this
                                 (Unix seconds); INT64_MAX when not deleted */
    bool deadline;            /* activeDeadlineSeconds >= 0 (Terminating scope) */
    bool best_effort;
    bool cross_ns;            /* pod (anti-)affinity terms name other namespaces */
    char *priority_class;     /* "" when none */
} zk_adm_quota_item;

/* Build the item of obj (group "" for core, resource plural). Free with
 * zk_adm_quota_item_free. */
void zk_adm_quota_item_init(zk_adm_quota_item *it, const char *group, const char *resource,
                            const json_t *obj);
void zk_adm_quota_item_free(zk_adm_quota_item *it);
/* The usage of the item at `now`: a pod that has finished (Succeeded,
 * Failed), or is still terminating past its grace period, adds only
 * count/pods. Borrowed from the item. */
const zk_adm_rlist *zk_adm_quota_item_usage(const zk_adm_quota_item *it, int64_t now);

typedef void (*zk_adm_visit_fn)(void *arg, const zk_adm_quota_item *it);

/* The server's objects, as the admission plugins see them. */
typedef struct zk_adm_objects {
    void *ud;
    /* Call fn(arg, item) for every object of group/resource (resource
     * plural, group "" for core) in namespace ns. item is borrowed for the
     * call. */
    void (*each)(void *ud, const char *group, const char *resource, const char *ns,
                 zk_adm_visit_fn fn, void *arg);
    /* Optional (may be NULL, or return NULL): the current usage of quota
     * over its hard names, as zk_adm_quota_count would find it, when the
     * server keeps it. Saves counting at every create. Borrowed. */
    const zk_adm_rlist *(*used)(void *ud, const json_t *quota);
} zk_adm_objects;

/* The usage obj adds at `now` (Unix seconds), as Kubernetes' evaluators
 * compute it (zk_adm_quota_item_usage of its item). Events add nothing. */
void zk_adm_quota_usage(zk_adm_rlist *out, const char *group, const char *resource,
                        const json_t *obj, int64_t now);

/* Whether quota's scopes (spec.scopes and spec.scopeSelector) take the
 * object in. Scopes describe pods: a quota with any scope leaves other kinds
 * out. */
bool zk_adm_quota_scopes_match(const json_t *quota, const zk_adm_quota_item *it);

/* The kind whose objects a quota resource name counts ("requests.cpu" ->
 * pods, "count/deployments.apps" -> apps/deployments). false for a name no
 * kind counts. Writes the group and plural resource into the buffers. */
bool zk_adm_quota_source(const char *name, char *group, size_t gn, char *resource, size_t rn);

/* Admission of a create of obj (group/resource, in ns), or of an update
 * from old to obj, against the namespace's quotas (sorted by name; their
 * spec.hard is the limit). A create is charged its usage; an update only
 * what it adds (new usage less old, never below zero), and only for
 * Services and PersistentVolumeClaims (other kinds cannot grow through an
 * update here). Returns NULL to admit, or the reason Kubernetes gives
 * (caller frees):
 *   "failed quota: <q>: must specify limits.cpu for: a,b; requests.memory for: a"
 *   "exceeded quota: <q>, requested: pods=1, used: pods=2, limited: pods=2" */
char *zk_adm_quota_admit(const zk_adm_objects *src, const char *group, const char *resource,
                         const char *ns, const json_t *obj, const json_t *old,
                         const json_t *const *quotas, size_t n, int64_t now);

/* Count what the namespace uses of each hard resource of quota, zero
 * included, into used (empty on entry). */
void zk_adm_quota_count(const zk_adm_objects *src, const json_t *quota, int64_t now,
                        zk_adm_rlist *used);
/* Keep a count current: add (or, with remove, take away) what the item
 * uses of the names already in used, when quota's scopes take it in. A
 * count never goes below zero. */
void zk_adm_quota_account(zk_adm_rlist *used, const json_t *quota,
                          const zk_adm_quota_item *it, int64_t now, bool remove);
/* {"hard": spec.hard, "used": used}: the status of quota. New reference. */
json_t *zk_adm_quota_status_of(const json_t *quota, const zk_adm_rlist *used);
/* zk_adm_quota_count, then zk_adm_quota_status_of. New reference. */
json_t *zk_adm_quota_status(const zk_adm_objects *src, const json_t *quota, int64_t now);

#endif
