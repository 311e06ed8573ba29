/* zke controllers: the HorizontalPodAutoscaler's arithmetic, pure (no
 * loop, no clock: every function takes `now`), so that unit tests can walk
 * it through Kubernetes' documented cases.
 *
 * It follows kube-controller-manager's podautoscaler package:
 *   - replica proposals per metric: ceil(current × usage / target), with a
 *     tolerance (0.1) inside which nothing changes, and the rules for pods
 *     without metrics (assumed at 100 % of their request on a scale-down, 0
 *     on a scale-up) and unready pods (assumed at 0 on a scale-up);
 *   - normalisation: without spec.behavior, a downscale stabilisation
 *     window (the highest recommendation of the last 300 s) and a scale-up
 *     limit of max(2 × current, 4); with it, both windows, and the Pods and
 *     Percent policies over their periods, picked by selectPolicy.
 * Quantities are in milli-units (CPU millicores, memory milli-bytes as
 * Kubernetes' MilliValue) held in doubles. */
#ifndef ZK_CTL_HPA_H
#define ZK_CTL_HPA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZK_HPA_TOLERANCE 0.1

/* ---- replica proposals ---- */

enum { ZK_HPA_POD_READY, ZK_HPA_POD_UNREADY, ZK_HPA_POD_IGNORED };

typedef struct zk_hpa_pod {
    int state;           /* ZK_HPA_POD_* (zk_hpa_pod_state) */
    bool has_metric;
    double metric;       /* usage, milli-units */
    double request;      /* summed requests, milli-units; < 0 when a container has none */
} zk_hpa_pod;

/* How the HPA counts a pod (Kubernetes' groupPods): being deleted or
 * Failed is ignored; Pending is unready; for CPU, a pod in its first
 * cpu_init_s seconds is unready until its Ready condition is True and a
 * whole metric window has passed since it turned so, and after that only a
 * pod that was never ready (not ready, and its condition changed within
 * ready_delay_s of its start) is unready. metric_ts is the metric's
 * timestamp, window_s its window (seconds since the epoch / seconds). */
int zk_hpa_pod_state(const json_t *pod, bool cpu, int64_t now, int64_t metric_ts,
                     int64_t window_s, int64_t cpu_init_s, int64_t ready_delay_s);

typedef struct zk_hpa_proposal {
    int32_t replicas;
    int64_t utilization;    /* percent of requests (Utilization targets) */
    double average;         /* average usage per counted pod, milli-units */
    char error[200];        /* why there is no proposal (replicas then -1) */
} zk_hpa_proposal;

/* A Resource or ContainerResource metric against target_util percent of
 * the pods' requests. Returns 0, or -1 with out->error set (no pods, no
 * metrics, a pod without a request). */
int zk_hpa_utilization_replicas(int32_t current, const zk_hpa_pod *pods, size_t n,
                                int32_t target_util, double tolerance, zk_hpa_proposal *out);
/* A per-pod average target (a Resource AverageValue or a Pods metric). */
int zk_hpa_average_replicas(int32_t current, const zk_hpa_pod *pods, size_t n,
                            double target_avg, double tolerance, zk_hpa_proposal *out);
/* An Object or External metric with a Value target: usage / target times
 * the ready pods (from zero replicas: ceil(usage / target)). */
int32_t zk_hpa_value_replicas(int32_t current, int32_t ready_pods, double usage, double target,
                              double tolerance);
/* An Object or External metric with an AverageValue target:
 * ceil(usage / target) unless within the tolerance of current. */
int32_t zk_hpa_per_pod_replicas(int32_t current, double usage, double target, double tolerance);

/* ---- normalisation (stabilisation windows, rate limits) ---- */

enum { ZK_HPA_SELECT_MAX, ZK_HPA_SELECT_MIN, ZK_HPA_SELECT_DISABLED };

#define ZK_HPA_MAX_POLICIES 10

typedef struct zk_hpa_rules {
    int64_t window_s;        /* stabilizationWindowSeconds (-1: the default) */
    int select;
    size_t npol;
    struct {
        bool percent;        /* Percent, else Pods */
        int32_t value;
        int64_t period_s;
    } pol[ZK_HPA_MAX_POLICIES];
} zk_hpa_rules;

/* Read spec.behavior.scaleUp/scaleDown (rules may be NULL or partial;
 * Kubernetes' defaults fill the gaps: up 0 s, Max of 4 pods and 100 % per
 * 15 s; down -1 (the controller's window), Max of 100 % per 15 s). */
void zk_hpa_rules_parse(const json_t *rules, bool up, zk_hpa_rules *out);

typedef struct zk_hpa_rec {
    int64_t at_ms;
    int32_t value;        /* a recommendation, or a scale event's change */
    bool outdated;
} zk_hpa_rec;

/* What the controller remembers of one HPA between syncs. */
typedef struct zk_hpa_hist {
    zk_hpa_rec *recs, *ups, *downs;
    size_t nrecs, nups, ndowns;
} zk_hpa_hist;

void zk_hpa_hist_free(zk_hpa_hist *h);

typedef struct zk_hpa_norm {
    int32_t desired;
    const char *able_reason, *able_message;       /* AbleToScale True */
    bool limited;                                 /* ScalingLimited status */
    const char *limited_reason, *limited_message;
} zk_hpa_norm;

/* Turn the metrics' proposal into the replicas to set. up/down NULL: the
 * HPA has no behavior (down_window_s is the controller's window). Records
 * the proposal in h. */
void zk_hpa_normalize(zk_hpa_hist *h, const zk_hpa_rules *up, const zk_hpa_rules *down,
                      int32_t min, int32_t max, int32_t current, int32_t proposal,
                      int64_t down_window_s, int64_t now_ms, zk_hpa_norm *out);
/* Record a rescale from prev to next (only kept when the HPA has a
 * behavior: the rate policies read it). */
void zk_hpa_record_scale(zk_hpa_hist *h, const zk_hpa_rules *up, const zk_hpa_rules *down,
                         int32_t prev, int32_t next, int64_t now_ms);

#endif
