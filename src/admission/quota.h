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

typedef void (*zk_adm_visit_fn)(void *arg, const json_t *obj);

/* The server's objects, as the admission plugins see them. */
typedef struct zk_adm_objects {
    void *ud;
    /* Call fn(arg, obj) for every object of group/resource (resource plural,
     * group "" for core) in namespace ns. obj is borrowed for the call. */
    void (*each)(void *ud, const char *group, const char *resource, const char *ns,
                 zk_adm_visit_fn fn, void *arg);
} zk_adm_objects;

/* The usage obj adds, as Kubernetes' evaluators compute it. A pod that has
 * finished (Succeeded, Failed), or is still terminating past its grace
 * period at `now` (Unix seconds), adds only count/pods. Events add nothing. */
void zk_adm_quota_usage(zk_adm_rlist *out, const char *group, const char *resource,
                        const json_t *obj, int64_t now);

/* Whether quota's scopes (spec.scopes and spec.scopeSelector) take obj in.
 * Scopes describe pods: a quota with any scope leaves other kinds out. */
bool zk_adm_quota_scopes_match(const json_t *quota, const char *group, const char *resource,
                               const json_t *obj);

/* The kind whose objects a quota resource name counts ("requests.cpu" ->
 * pods, "count/deployments.apps" -> apps/deployments). false for a name no
 * kind counts. Writes the group and plural resource into the buffers. */
bool zk_adm_quota_source(const char *name, char *group, size_t gn, char *resource, size_t rn);

/* Admission of a create of obj (group/resource, in ns) against the
 * namespace's quotas (sorted by name; their spec.hard is the limit).
 * Returns NULL to admit, or the reason Kubernetes gives (caller frees):
 *   "failed quota: <q>: must specify limits.cpu for: a,b; requests.memory for: a"
 *   "exceeded quota: <q>, requested: pods=1, used: pods=2, limited: pods=2" */
char *zk_adm_quota_admit(const zk_adm_objects *src, const char *group, const char *resource,
                         const char *ns, const json_t *obj, const json_t *const *quotas,
                         size_t n, int64_t now);

/* The status a quota should have now: {"hard": spec.hard, "used": usage of
 * every hard resource, zero included}. New reference. */
json_t *zk_adm_quota_status(const zk_adm_objects *src, const json_t *quota, int64_t now);

#endif
