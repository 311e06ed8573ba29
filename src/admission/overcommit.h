/* zke admission: overcommit. Developers set limits; requests are the
 * limits divided by a ratio (cpu 10 and memory 1.5 by default), so a node
 * takes more pods than their limits add up to, and the scheduler places
 * them by what they are expected to use.
 *
 * Policies are OvercommitPolicy objects (zke.io/v1alpha1, cluster-scoped;
 * deploy/crds/overcommitpolicies.yaml):
 *   spec.cpuRatio, spec.memoryRatio   > 0 (defaults 10 and 1.5)
 *   spec.namespaceSelector            the namespaces it applies to (empty: all)
 *   spec.overrideRequests             also replace requests the user set
 *   spec.minRequests.{cpu,memory}     floors (defaults 10m and 16Mi)
 *   spec.priority                     the highest of those that apply wins,
 *                                     then the first by name
 * A namespace labelled zke.io/overcommit=false (or disabled) is left out;
 * =true (enabled) takes every policy whatever its selector; =NAME takes
 * that policy alone. A pod annotated zke.io/overcommit: "false" (from its
 * workload's template) is left alone.
 *
 * For each container and init container: a resource without a limit first
 * gets the LimitRange default; then, for cpu and memory with a limit,
 * request = limit / ratio, rounded up to 1m (cpu) or 1Mi (memory), at least
 * the policy's floor and the LimitRanges' minimum, at most the limit. A
 * request the user set is kept unless the policy overrides it. What counts
 * as set by the user: a request that differs from its limit and that the
 * LimitRanger did not default (Kubernetes' defaulting copies a missing
 * request from the limit before admission, so a request equal to its limit
 * cannot be told from one never written). So a second pass changes
 * nothing: the result is idempotent under reinvocation.
 *
 * What was done is recorded on the pod, in the annotation
 * policy.zke.io/overcommit ("OvercommitPolicy default (cpu 10, memory 1.5):
 * web cpu 2 -> 200m, memory 3Gi -> 2Gi"). Pure: the caller finds the
 * objects. */
#ifndef ZK_ADM_OVERCOMMIT_H
#define ZK_ADM_OVERCOMMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define ZK_ADM_OC_OPT_OUT "zke.io/overcommit"            /* pod annotation, namespace label */
#define ZK_ADM_OC_RECORD "policy.zke.io/overcommit"     /* what was done */

/* Overcommit pod (changed in place). ns: its Namespace (NULL: none known);
 * policies: every OvercommitPolicy; ranges: the namespace's LimitRanges,
 * sorted by name. Returns 1 when the pod changed, 0 when not, -1 when the
 * input cannot be used (a malformed opt-out annotation, a namespace label
 * naming no policy, a policy with a ratio <= 0 or a bad floor): *why then
 * says what (the caller frees it; the pod is unchanged). */
int zk_adm_overcommit(json_t *pod, const json_t *ns, json_t *const *policies, size_t npolicies,
                      const json_t *const *ranges, size_t nranges, char **why);

/* Whether the opt-out annotation among annotations (a pod's, or a
 * workload's template's) is well-formed; NULL, or what is wrong (caller
 * frees). */
char *zk_adm_overcommit_check_annotations(const json_t *annotations);

/* Whether an OvercommitPolicy can be used; NULL, or what is wrong with it
 * (caller frees): for the validating side (a policy whose ratio is 0 is
 * refused when written, not found out when pods are created). */
char *zk_adm_overcommit_check_policy(const json_t *policy);

#endif
