/* zke admission: LimitRanger, as Kubernetes' plugin of that name.
 *
 * The LimitRanges of a namespace give containers default limits and
 * requests, and bound containers, pods and PersistentVolumeClaims with min,
 * max and maxLimitRequestRatio. The functions here are pure: the caller
 * finds the namespace's LimitRanges (sorted by name) and answers 403
 * Forbidden with `<resource> "<name>" is forbidden: <message>`. */
#ifndef ZK_ADM_LIMITRANGER_H
#define ZK_ADM_LIMITRANGER_H

#include <jansson.h>
#include <stddef.h>

/* The annotation that records which defaults were applied. */
#define ZK_ADM_LIMITRANGER_ANNOTATION "kubernetes.io/limit-ranger"

/* Mutating admission of a pod being created: for each range in turn, the
 * `default` (limits) and `defaultRequest` (requests) of its Container items
 * fill the resources containers and init containers lack. A container
 * resource with a limit and no request first gets the limit as its request,
 * as Kubernetes' defaulting does before admission. When anything was set,
 * metadata.annotations["kubernetes.io/limit-ranger"] says what, in
 * Kubernetes' words ("LimitRanger plugin set: cpu, memory request for
 * container web; cpu limit for container web"). Modifies pod in place. */
void zk_adm_limitranger_default(json_t *pod, const json_t *const *ranges, size_t n);

/* Validating admission: check obj of resource ("pods" or
 * "persistentvolumeclaims"; anything else passes) against each range in
 * turn. Returns NULL when it passes, else the reasons of the first range
 * that fails, in Kubernetes' words and aggregate form: one reason alone, or
 * "[reason, reason]" (duplicates dropped). Caller frees. */
char *zk_adm_limitranger_check(const char *resource, const json_t *obj,
                               const json_t *const *ranges, size_t n);

#endif
