/* zke controllers: what the controller files share, and their pure parts
 * (exposed for unit tests). */
#ifndef ZK_CTL_INTERNAL_H
#define ZK_CTL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "controllers/ctl.h"

extern const zk_ctl_def zk_ctl_replicaset, zk_ctl_replicationcontroller, zk_ctl_deployment;

/* qsort order of pods to delete first (unscheduled, pending, not ready,
 * low deletion cost, ready for less time, more restarts, newer). */
int zk_ctl_pod_delete_order(const void *a, const void *b);
/* A Pod for owner from a pod template, named prefix + a generated suffix. */
json_t *zk_ctl_pod_from_template(const json_t *owner, const json_t *tmpl, const char *prefix);

/* ---- rollout arithmetic (deployment.c) ---- */

/* An IntOrString (int or "25%") resolved against total; percentages round
 * up or down. Returns -1 for a malformed value. */
int64_t zk_ctl_int_or_percent(const json_t *v, int64_t total, bool round_up, int64_t dflt);
/* maxSurge and maxUnavailable of a RollingUpdate deployment, resolved as
 * Kubernetes does (surge rounds up, unavailable down; if both are 0,
 * unavailable becomes 1). */
void zk_ctl_rolling_params(const json_t *deploy, int64_t *surge, int64_t *unavailable);

typedef struct zk_ctl_rs_view {
    int64_t replicas;      /* spec.replicas of the ReplicaSet */
    int64_t available;     /* status.availableReplicas */
    int64_t created;       /* creation time, for oldest-first */
} zk_ctl_rs_view;

/* New replicas for the new ReplicaSet in a rolling update. */
int64_t zk_ctl_rolling_new_replicas(int64_t want, int64_t surge, int64_t total_current,
                                    int64_t new_current);
/* How many old replicas may go now, given every ReplicaSet's available
 * pods: available - (want - maxUnavailable), never below 0. */
int64_t zk_ctl_rolling_max_scale_down(int64_t want, int64_t unavailable, int64_t all_available,
                                      int64_t new_unavailable_replicas);

/* The hash that names a pod template (pod-template-hash label). */
void zk_ctl_template_hash(const json_t *tmpl, int64_t collisions, char *out, size_t n);

#endif
