/* zke controllers: the pure parts of the DaemonSet, StatefulSet, Job and
 * CronJob controllers, exposed for unit tests, and the ControllerRevision
 * helpers that DaemonSet and StatefulSet share (history.c). */
#ifndef ZK_CTL_WORKLOAD_H
#define ZK_CTL_WORKLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "controllers/ctl.h"
#include "controllers/cron.h"

/* ---- Job (job.c) ---- */

/* Pods a Job wants active: min(parallelism, completions - succeeded); with
 * completions unset (< 0), parallelism until one pod succeeded, then no new
 * ones (active stays as it is). Never negative. */
int64_t zk_ctl_job_want_active(int64_t completions, int64_t parallelism, int64_t succeeded,
                               int64_t active);
/* Seconds still to wait before creating pods after `failures` failures
 * since the last success, the latest at last_failure: 10 s doubled per
 * further failure, at most 10 min, counted from last_failure. 0 = now. */
int64_t zk_ctl_job_backoff_left(int64_t failures, int64_t last_failure, int64_t now);
/* Enough pods succeeded and none is active (completions < 0: one did). */
bool zk_ctl_job_complete(int64_t completions, int64_t succeeded, int64_t active);
/* The indexes set in set[0..n) as Kubernetes writes completedIndexes
 * ("1,3-5,7,8": runs of two are listed). Caller frees. */
char *zk_ctl_job_format_indexes(const bool *set, int64_t n);

/* ---- CronJob (cronjob.c) ---- */

/* The most recent time a schedule fired in (earliest, now], or -1 when
 * none did; *missed counts the firings (approximately, as Kubernetes does:
 * from the interval between the first two). Returns -2 when the schedule
 * never fires twice a second apart. */
int64_t zk_ctl_cron_most_recent(const zk_ctl_cron *c, const zk_ctl_tz *tz, int64_t earliest,
                                int64_t now, int64_t *missed);
/* The name of the Job for a scheduled time: "<cronjob>-<minutes since the
 * epoch>". */
void zk_ctl_cronjob_job_name(const char *cronjob, int64_t scheduled, char *out, size_t n);

typedef enum zk_ctl_cj_action {
    ZK_CJ_WAIT,            /* nothing is due */
    ZK_CJ_TOO_LATE,        /* due longer ago than startingDeadlineSeconds */
    ZK_CJ_STARTED,         /* that run was started already */
    ZK_CJ_FORBIDDEN,       /* a run is active and concurrencyPolicy is Forbid */
    ZK_CJ_START,           /* create the Job */
    ZK_CJ_REPLACE,         /* delete the active runs, then create the Job */
} zk_ctl_cj_action;

/* What to do about the run due at sched (-1: none) at now, given
 * startingDeadlineSeconds (< 0: unset), whether that run's Job exists
 * already, how many runs are active and the concurrencyPolicy ("Allow",
 * "Forbid", "Replace"; NULL is Allow). */
zk_ctl_cj_action zk_ctl_cronjob_decide(int64_t sched, int64_t now, int64_t deadline_s,
                                       bool started, size_t nactive, const char *policy);

/* ---- DaemonSet (daemonset.c) ---- */

/* Whether the daemon pod `pod` (as the DaemonSet would create it, with the
 * automatic tolerations) should run on node — nodeSelector, required node
 * affinity and the node's NoSchedule/NoExecute taints, judged as the
 * scheduler judges them — and, when not, whether one already there may
 * continue (only untolerated NoExecute taints evict). */
void zk_ctl_ds_should_run(const json_t *pod, const json_t *node, bool *should_run,
                          bool *should_continue);
/* Add the tolerations every daemon pod gets (not-ready and unreachable
 * NoExecute; disk-, memory-, pid-pressure and unschedulable NoSchedule;
 * network-unavailable with hostNetwork) to a pod spec, unless present. */
void zk_ctl_ds_add_tolerations(json_t *pod_spec);
/* Require the node by name in a pod spec's node affinity (the required
 * terms are replaced, as Kubernetes does once the node matched them). */
void zk_ctl_ds_set_node_affinity(json_t *pod_spec, const char *node);
/* The node a daemon pod is for: spec.nodeName, else the node its required
 * affinity names by metadata.name; NULL when neither. */
const char *zk_ctl_ds_pod_node(const json_t *pod);

typedef struct zk_ctl_ds_node {
    const char *name;
    json_t *old_pod;       /* a pod of an older revision on the node, or NULL */
    json_t *new_pod;       /* a pod of the current revision, or NULL */
    bool old_available, new_available;
} zk_ctl_ds_node;

/* One rolling update step over the nodes that run daemon pods: which old
 * pods to delete (max_surge 0: up to max_unavailable unavailable at once,
 * unavailable old pods first) or, with max_surge, on which nodes to start a
 * new pod beside the old one (up to max_surge at once) and which old pods
 * to delete because their replacement is available. Indexes into nodes are
 * written to del/add (each sized n); counts returned in *ndel, *nadd. */
void zk_ctl_ds_rolling_step(const zk_ctl_ds_node *nodes, size_t n, int64_t max_surge,
                            int64_t max_unavailable, size_t *del, size_t *ndel, size_t *add,
                            size_t *nadd);

/* ---- StatefulSet (statefulset.c) ---- */

/* The ordinal of a pod name "<set>-<n>" for set, or -1. */
int64_t zk_ctl_sts_ordinal(const char *set, const char *pod);
/* Phase Running and condition Ready. */
bool zk_ctl_sts_running_ready(const json_t *pod);

/* What a StatefulSet has, for one sync. */
typedef struct zk_ctl_sts_view {
    size_t replicas;
    json_t **slots;            /* [ordinal - start]: the pod, or NULL */
    bool *available;           /* [ordinal - start]: ready for minReadySeconds */
    json_t **condemned;        /* pods past replicas, highest ordinal first */
    size_t ncondemned;
    bool ordered;              /* podManagementPolicy OrderedReady */
    bool rolling;              /* updateStrategy RollingUpdate */
    int64_t partition;
    const char *update_revision;
} zk_ctl_sts_view;

typedef struct zk_ctl_sts_plan_out {
    const json_t **del;        /* pods to delete (caller sized: replicas + ncondemned) */
    size_t ndel;
    size_t *create;            /* slots to create a pod in (caller sized: replicas) */
    size_t ncreate;
    bool updating;             /* the delete is a rolling update step */
} zk_ctl_sts_plan_out;

/* One step of Kubernetes' StatefulSet algorithm: replace terminal pods,
 * create missing ones (OrderedReady: the lowest, only when all below are
 * Running, Ready and available), delete pods past replicas from the
 * highest (OrderedReady: one, when the rest are healthy), and then, for a
 * RollingUpdate, delete the highest pod at or above the partition that is
 * not at the update revision once all above it are healthy. */
void zk_ctl_sts_plan(const zk_ctl_sts_view *v, zk_ctl_sts_plan_out *out);

/* ---- ControllerRevisions (history.c) ---- */

/* The revision data Kubernetes keeps for a DaemonSet or StatefulSet: a
 * patch that replaces spec.template ({"spec":{"template":{...,"$patch":
 * "replace"}}}). New reference. */
json_t *zk_ctl_history_data(const json_t *owner);
/* The hash naming a revision of data (with a collision count). */
void zk_ctl_history_hash(const json_t *data, int64_t collisions, char *out, size_t n);
/* A ControllerRevision of owner with data, number `revision`, named
 * "<owner>-<hash>", labelled with the template's labels and
 * controller-revision-hash. New reference. */
json_t *zk_ctl_history_new(const json_t *owner, const json_t *data, int64_t revision,
                           const char *hash);
/* The revisions owned by owner, oldest revision first (array freed by the
 * caller). */
size_t zk_ctl_history_list(zk_kube_informer *inf, const json_t *owner, json_t ***out);

/* One sync's view of an owner's revisions. */
typedef struct zk_ctl_revs {
    json_t **all;          /* owned revisions, by number (borrowed from the cache) */
    size_t n;
    json_t *cur;           /* the revision of the current template: in all, or made */
    json_t *made;          /* created by this sync (owned), or NULL */
    int64_t max;           /* the highest number once this sync's writes are done */
    int64_t collisions;    /* status.collisionCount to report */
    char hash[32];         /* cur's controller-revision-hash */
} zk_ctl_revs;

/* Find the revision of owner's current template or create it (through b).
 * An equal revision that is not the newest gets the next number (what
 * `kubectl rollout undo` needs). A name already taken by other data bumps
 * the collision count. Free with zk_ctl_revs_free. */
void zk_ctl_history_sync(zk_ctl_batch *b, zk_kube_informer *inf, const json_t *owner,
                         zk_ctl_revs *r);
/* Delete the oldest revisions beyond limit (revisionHistoryLimit), never
 * the current one nor those live() says pods still use. */
void zk_ctl_history_prune(zk_ctl_batch *b, const zk_ctl_revs *r, int64_t limit,
                          bool (*live)(void *ctx, const json_t *rev), void *ctx);
void zk_ctl_revs_free(zk_ctl_revs *r);

/* zk_ctl_pod_from_template, but the pod's spec is a copy of its own (that
 * one shares the template's spec, which lives in an informer cache), for
 * callers that change it. */
json_t *zk_ctl_pod_from_template_owned(const json_t *owner, const json_t *tmpl,
                                       const char *prefix);

#endif
