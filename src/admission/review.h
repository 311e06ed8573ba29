/* zke admission: AdmissionReview (admission.k8s.io/v1) answered by zke's
 * policies, for `zke webhook` (clusters that are not zke: the same code
 * zke server runs in its own admission chain).
 *
 *   mutate   pods being created: overcommit, scheduling strategy, soft
 *            anti-affinity, in that order; the answer carries the JSON
 *            Patch from the pod as sent to the pod as changed
 *   validate workloads being created or updated (their template's
 *            strategy and overcommit opt-out), OvercommitPolicies
 *
 * A refusal is allowed: false with status code 403, reason Forbidden and
 * the plugins' message. Anything else is allowed unchanged. */
#ifndef ZK_ADM_REVIEW_H
#define ZK_ADM_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Where a review finds the cluster's objects. Both return new references
 * (list: an array of them in *out, which the caller frees with the
 * objects). */
typedef struct zk_adm_sources {
    void *ctx;
    /* the Namespace called name, or NULL */
    json_t *(*get_namespace)(void *ctx, const char *name);
    /* every object of resource ("overcommitpolicies", "hostgroups",
     * "nodes"), or of "limitranges" in namespace ns, sorted by name */
    size_t (*list)(void *ctx, const char *resource, const char *ns, json_t ***out);
} zk_adm_sources;

/* zke's policies on a pod being created in namespace ns (changed in
 * place): overcommit, scheduling strategy, soft anti-affinity. NULL, or
 * why it is refused (caller frees; the pod may then be half changed). */
char *zk_adm_policies_pod(json_t *pod, const char *ns, const zk_adm_sources *src);

/* zke's checks of an object of group/resource being created (old NULL) or
 * updated: a workload's template (strategy, overcommit opt-out), an
 * OvercommitPolicy. NULL, or why it is refused (caller frees). */
char *zk_adm_policies_check(const char *group, const char *resource, const json_t *obj,
                            const json_t *old, const zk_adm_sources *src);

#define ZK_ADM_REQUESTED_BY "zke.io/requested-by"

/* A BatchRestart's requester, recorded for its controller (which restarts
 * only what the requester may patch): on a create the annotation
 * zke.io/requested-by becomes user ({"username", "groups"}, as JSON); on
 * an update it keeps old's value, whatever obj says. */
void zk_adm_record_requester(json_t *obj, const json_t *old, const json_t *user);

/* The AdmissionReview answering review (a new reference), or NULL with
 * *why (caller frees) when review is not an AdmissionReview request. */
json_t *zk_adm_review(const json_t *review, bool mutate, const zk_adm_sources *src, char **why);

#endif
