/* zke admission: scheduling strategies. A workload asks where its pods
 * go with annotations on its pod template:
 *
 *   scheduling.zke.io/hosts: n1,n2        on one of these nodes
 *   scheduling.zke.io/host-group: g       on a node of HostGroup g
 *   scheduling.zke.io/exclusive: g        on a node of exclusive HostGroup g
 *
 * and this plugin writes them as standard fields that any scheduler
 * honours: a required nodeAffinity term on kubernetes.io/hostname or on the
 * label zke.io/host-group (which the HostGroup controller puts on member
 * nodes), added to every term the pod has already; for an exclusive group
 * also the toleration of its taint zke.io/exclusive=<g>:NoSchedule. The
 * pod gets the annotation policy.zke.io/placement saying what was added.
 *
 * Refused, with a message naming the annotation, group or host: more than
 * one strategy, an unknown scheduling.zke.io/ annotation, an empty or
 * malformed value, a group that does not exist, host-group on an exclusive
 * group or exclusive on a group that is not, a host that is no node, or a
 * host that belongs to an exclusive group (its pods must ask for the group).
 * Pure: the caller finds the HostGroups and the Nodes. */
#ifndef ZK_ADM_STRATEGIES_H
#define ZK_ADM_STRATEGIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define ZK_ADM_STRATEGY_PREFIX "scheduling.zke.io/"
#define ZK_ADM_HOST_GROUP_LABEL "zke.io/host-group"
#define ZK_ADM_EXCLUSIVE_TAINT "zke.io/exclusive"
#define ZK_ADM_PLACEMENT_RECORD "policy.zke.io/placement"

/* Whether annotations hold any scheduling.zke.io/ key: the caller finds
 * groups and nodes only then. */
bool zk_adm_strategies_wanted(const json_t *annotations);

/* Check the strategy that annotations ask for; NULL when it can be
 * honoured (or none is asked), else why not (caller frees). groups: every
 * HostGroup; nodes: every Node. */
char *zk_adm_strategies_check(const json_t *annotations, json_t *const *groups, size_t ngroups,
                              json_t *const *nodes, size_t nnodes);

/* Rewrite the pod's strategy into spec.affinity and spec.tolerations (in
 * place). Returns 1 when the pod changed, 0 when not (no strategy, or it is
 * there already), -1 with *why when zk_adm_strategies_check refuses. */
int zk_adm_strategies_pod(json_t *pod, json_t *const *groups, size_t ngroups, json_t *const *nodes,
                          size_t nnodes, char **why);

/* The pod template's annotations of a workload (Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, Job: spec.template; CronJob:
 * spec.jobTemplate.spec.template), or NULL. */
const json_t *zk_adm_template_annotations(const char *resource, const json_t *obj);

#endif
