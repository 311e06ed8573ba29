/* zke controllers: what the controller files share, and their pure parts
 * (exposed for unit tests). */
#ifndef ZK_CTL_INTERNAL_H
#define ZK_CTL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "controllers/ctl.h"

extern const zk_ctl_def zk_ctl_replicaset, zk_ctl_replicationcontroller, zk_ctl_deployment;
extern const zk_ctl_def zk_ctl_endpoints, zk_ctl_endpointslice;
extern const zk_ctl_def zk_ctl_job, zk_ctl_cronjob;
extern const zk_ctl_def zk_ctl_serviceaccount, zk_ctl_serviceaccount_token;
extern const zk_ctl_def zk_ctl_nodelifecycle, zk_ctl_podgc, zk_ctl_nodeipam;
extern const zk_ctl_def zk_ctl_daemonset;
extern const zk_ctl_def zk_ctl_statefulset;
extern const zk_ctl_def zk_ctl_hostgroup, zk_ctl_batchrestart;
extern const zk_ctl_def zk_ctl_hpa, zk_ctl_scheduledscaling, zk_ctl_backlogscaler;
extern const zk_kube_resource zk_kube_scheduledscalings, zk_kube_backlogscalers;
extern const zk_kube_resource zk_kube_hostgroups, zk_kube_batchrestarts;

/* ---- kinds and their resources (kinds.c) ---- */

typedef struct zk_ctl_kinds zk_ctl_kinds;
zk_ctl_kinds *zk_ctl_kinds_new(void);
void zk_ctl_kinds_free(zk_ctl_kinds *k);
/* The resource of apiVersion gv and kind (borrowed), NULL when unknown;
 * *scalable when it has a scale subresource; *stale when discovery should
 * be asked (never read, or read over a minute ago). */
const char *zk_ctl_kinds_lookup(zk_ctl_kinds *k, const char *gv, const char *kind, bool *scalable,
                                bool *stale);
/* Learn gv's kinds from its discovery document (NULL: the read failed;
 * the attempt is remembered for a minute all the same). */
void zk_ctl_kinds_learn(zk_ctl_kinds *k, const char *gv, const json_t *discovery);
/* "/apis/gv" or "/api/v1"; and an object's path (sub: "scale" or NULL). */
char *zk_ctl_kinds_discovery_path(const char *gv);
char *zk_ctl_kinds_path(const char *gv, const char *ns, const char *resource, const char *name,
                        const char *sub);

/* ---- batch restarts (batchrestart.c) ---- */

enum { ZK_ROLLOUT_NOT_STARTED, ZK_ROLLOUT_PROGRESSING, ZK_ROLLOUT_DONE, ZK_ROLLOUT_FAILED };
/* Where the restart (kubectl.kubernetes.io/restartedAt = restarted_at on
 * its template) of a Deployment, StatefulSet or DaemonSet (kind) stands:
 * not yet seen, rolling, healthy (every replica updated and available), or
 * failed (a Deployment's ProgressDeadlineExceeded; why says so). */
int zk_ctl_rollout_state(const char *kind, const json_t *w, const char *restarted_at,
                         char *why, size_t whylen);

/* ---- host groups (hostgroup.c) ---- */

/* Does the HostGroup take the node: named in spec.nodes, or matched by a
 * non-empty spec.nodeSelector (and the group is not being deleted). */
bool zk_ctl_hostgroup_selects(const json_t *group, const json_t *node);
/* The group a node belongs to: the first by name of those that select it;
 * NULL when none does. */
const json_t *zk_ctl_hostgroup_of(const json_t *node, json_t *const *groups, size_t n);
/* Make the node's label zke.io/host-group and its zke.io/exclusive taint
 * say that it is in group (NULL: in none); returns whether it changed. */
bool zk_ctl_hostgroup_apply(json_t *node, const json_t *group);

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

/* ---- pods behind Services (svcpods.c, endpoints.c) ---- */

/* The Service's selector map, or NULL when the Service has none (no
 * selector, an empty one, or type ExternalName): then the Endpoints and
 * EndpointSlice controllers leave it alone. Borrowed. */
const json_t *zk_ctl_svc_selector(const json_t *svc);
/* Does the selector map match the pod's labels. */
bool zk_ctl_svc_selects(const json_t *selector, const json_t *pod);
bool zk_ctl_svc_headless(const json_t *svc);
/* The pod's IPv4 address (status.podIP or status.podIPs), or NULL. */
const char *zk_ctl_pod_ipv4(const json_t *pod);
/* Phase Succeeded or Failed. */
bool zk_ctl_pod_terminal(const json_t *pod);
/* The number a service port (a ServicePort object) means on pod: an integer
 * targetPort, the port when targetPort is unset, or the containerPort of the
 * pod's container port of the targetPort's name and the same protocol.
 * -1 when the pod has no such port. */
int64_t zk_ctl_find_port(const json_t *pod, const json_t *svc_port);
/* When the pod last changed in a way that matters to endpoints: its Ready
 * condition's transition, else its creation (seconds, 0 if unknown). */
int64_t zk_ctl_pod_change_time(const json_t *pod);
/* Did anything a Service's endpoints are built from change between two
 * versions of a pod (labels, IPs, readiness, deletion, node, ports...). */
bool zk_ctl_pod_endpoint_changed(const json_t *old, const json_t *pod);
/* Enqueue (in c) every Service of the pod's namespace whose selector matches
 * pod or old (may be NULL). */
void zk_ctl_enqueue_pod_services(zk_ctl *c, zk_kube_informer *svcs, const json_t *old,
                                 const json_t *pod);
/* {"kind":"Pod","namespace":..,"name":..,"uid":..}. New reference. */
json_t *zk_ctl_pod_target_ref(const json_t *pod);
/* spec.hostname when the pod's subdomain names this Service, else NULL. */
const char *zk_ctl_pod_svc_hostname(const json_t *pod, const json_t *svc);

/* The subsets of svc's Endpoints from the pods its selector matched:
 * addresses of ready pods, notReadyAddresses of the others that have an IP
 * (publishNotReadyAddresses: all are ready; pods being deleted are left out
 * unless it is set; terminal pods always), ports resolved per pod and
 * ports with the same address sets sharing a subset. Sorted (addresses by
 * IP, ports by name, subsets by first address), so equal inputs give equal
 * output. At most max addresses, ready ones first; *truncated (may be NULL)
 * says whether some were cut. New reference (an array, maybe empty). */
json_t *zk_ctl_endpoints_subsets(const json_t *svc, json_t *const *pods, size_t npods,
                                 size_t max, bool *truncated);
/* The labels of svc's Endpoints: the Service's, service.kubernetes.io/headless
 * for a headless Service, endpoints.kubernetes.io/managed-by. New reference. */
json_t *zk_ctl_endpoints_labels(const json_t *svc);

/* ---- EndpointSlices (endpointslice.c) ---- */

#define ZK_CTL_SLICE_MAX 100   /* endpoints per slice, as Kubernetes' default */

/* svc's endpoints grouped by the ports their pods serve: an array of
 * {"ports": [...], "endpoints": [...]} (ports sorted by name, endpoints by
 * address), one per distinct ports list. zone_of (may be NULL) gives a
 * node's zone. New reference. */
json_t *zk_ctl_slice_groups(const json_t *svc, json_t *const *pods, size_t npods,
                            const char *(*zone_of)(void *ctx, const char *node), void *ctx);
/* The labels of svc's slices. New reference. */
json_t *zk_ctl_slice_labels(const json_t *svc);
/* The writes that make svc's slices (cur, ncur: the IPv4 slices this
 * controller manages for it) hold groups with at most max endpoints a
 * slice, changing as few slices as it can. An array of {"op": "create" |
 * "update" | "delete", "slice": object} (creates use generateName; updates
 * carry the resourceVersion they were read at). trigger (may be NULL) is
 * set as the last-change-trigger-time of written slices. New reference. */
json_t *zk_ctl_slices_plan(const json_t *svc, json_t *const *cur, size_t ncur,
                           const json_t *groups, size_t max, const char *trigger);

/* ---- ServiceAccount tokens (serviceaccount.c) ---- */

/* Read iat and exp from a ServiceAccount JWT's claims (the signature is not
 * checked: the token came from the API). With sa_uid, the token must be of
 * that account. -1 when the text is not such a token. */
int zk_ctl_token_times(const char *jwt, const char *sa_uid, int64_t *iat, int64_t *exp);
/* When a token issued at iat that expires at exp is renewed: with a fifth
 * of its life left (10 minutes before exp when iat is unknown). */
int64_t zk_ctl_token_refresh_at(int64_t iat, int64_t exp);

/* ---- node lifecycle and taint eviction (nodelifecycle.c) ---- */

#define ZK_CTL_NEVER INT64_MAX

/* "500ms", "40s", "2m", "1m30s", "1h" or plain seconds ("40") to ms; -1 when
 * it is none of these. */
int64_t zk_ctl_parse_duration_ms(const char *s);
/* A duration setting from the environment (env), in ms; dflt when unset,
 * and with a warning naming who when it is not a duration. */
uint64_t zk_ctl_setting_ms(const char *who, const char *env, uint64_t dflt);
/* Does the toleration tolerate the taint (effect, key, Exists/Equal). */
bool zk_ctl_tolerates(const json_t *toleration, const json_t *taint);
/* When (wall seconds) a pod with these tolerations must leave a node with
 * these taints: 0 when one NoExecute taint is not tolerated, ZK_CTL_NEVER
 * when every NoExecute taint is tolerated without tolerationSeconds, else
 * the earliest timeAdded + tolerationSeconds (of the first toleration that
 * tolerates each taint; negative seconds count as 0). Other effects are
 * ignored. */
int64_t zk_ctl_eviction_time(const json_t *taints, const json_t *tolerations);

enum { ZK_CTL_ZONE_NORMAL, ZK_CTL_ZONE_PARTIAL, ZK_CTL_ZONE_FULL };
/* A zone's state from its ready and not-ready node counts: FULL when none
 * is ready, PARTIAL when more than 2 and at least 55% are not. */
int zk_ctl_zone_state(int ready, int not_ready);

enum { ZK_CTL_TAINT_ADD, ZK_CTL_TAINT_KEEP, ZK_CTL_TAINT_REMOVE };
/* The node's taints as its conditions want them: NoSchedule taints of the
 * Ready (not-ready / unreachable), pressure, NetworkUnavailable conditions
 * and spec.unschedulable; the NoExecute not-ready / unreachable taint added
 * (ADD), only kept if one is present (KEEP: it still follows the condition,
 * unreachable and not-ready swapping) or removed (REMOVE) per no_execute.
 * Added taints get timeAdded now; other taints are kept as they are. NULL
 * when nothing changes, else the new list (new reference). */
json_t *zk_ctl_node_taints(const json_t *node, int no_execute, const char *now);
/* Set Ready, MemoryPressure, DiskPressure and PIDPressure to Unknown as the
 * node lifecycle controller does for a silent node (NodeStatusUnknown, or
 * NodeStatusNeverUpdated for conditions never posted). True if it changed. */
bool zk_ctl_node_mark_unknown(json_t *node, const char *now);

#endif
