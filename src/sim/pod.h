/* zke sim: what a simulated kubelet does with a pod bound to its node.
 *
 * Pure functions: from a pod object and the time they compute the status
 * the pod should show, and the sim sends it as a strategic merge patch of
 * pods/<name>/status. Everything follows from the pod and the clock, so a
 * restarted sim picks up where the last one stopped.
 *
 * The model, from status.startTime (the moment the sim started the pod):
 *   - Pending -> Running at once: podIP from the node's pool (the node's IP
 *     for hostNetwork pods), PodScheduled/Initialized/PodReadyToStartContainers
 *     True, every container running since startTime, init containers
 *     terminated Completed (sidecars, restartPolicy Always, run).
 *   - A container is ready once its readinessProbe's initialDelaySeconds
 *     have passed (at once without a probe), and started once its
 *     startupProbe's have. ContainersReady and Ready follow; Ready also
 *     needs the pod's readinessGates to be True.
 *   - Annotation zke.io/sim-ready: "false" makes every container unready
 *     (as a failing probe would); any other value, or none, leaves it to
 *     the probes.
 *   - Annotations zke.io/sim-complete-after / zke.io/sim-fail-after (Go
 *     durations: "5s", "1m30s", "250ms") end the pod that long after it
 *     started: Succeeded with exit code 0, or Failed with exit code 1; the
 *     earlier of the two wins. restartPolicy Always pods never end;
 *     OnFailure pods do not fail but restart their containers every
 *     fail-after period (restartCount counts up).
 *   - A pod with metadata.deletionTimestamp is deleted (grace period 0). */
#ifndef ZK_SIM_POD_H
#define ZK_SIM_POD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define ZK_SIM_READY_ANNOTATION "zke.io/sim-ready"
#define ZK_SIM_COMPLETE_ANNOTATION "zke.io/sim-complete-after"
#define ZK_SIM_FAIL_ANNOTATION "zke.io/sim-fail-after"
/* The longest duration accepted: a year. */
#define ZK_SIM_DURATION_MAX_MS (366LL * 24 * 3600 * 1000)

/* Parse a Go duration ("300ms", "1.5s", "2h45m", "0") into milliseconds
 * (fractions of a millisecond are dropped). Units: ns, us (µs), ms, s, m,
 * h. No sign; at most ZK_SIM_DURATION_MAX_MS. -ZK_EINVAL otherwise. */
int zk_sim_duration_parse(const char *s, int64_t *ms, zk_err *err);

typedef enum zk_sim_pod_step {
    ZK_SIM_POD_IGNORE = 0,  /* ended (Succeeded/Failed): nothing to do */
    ZK_SIM_POD_DELETE,      /* terminating: delete it */
    ZK_SIM_POD_START,       /* not started yet: needs an address, then a status */
    ZK_SIM_POD_SYNC,        /* running: bring the status up to date */
} zk_sim_pod_step;

zk_sim_pod_step zk_sim_pod_step_of(const json_t *pod);
bool zk_sim_pod_host_network(const json_t *pod);

typedef struct zk_sim_pod_env {
    const char *host_ip;   /* the node's InternalIP */
    const char *pod_ip;    /* for a START: the address the sim gave the pod */
    int64_t now_ms;        /* wall clock */
} zk_sim_pod_env;

typedef struct zk_sim_pod_plan {
    json_t *patch;         /* {"status":{...}} to send, or NULL when up to date */
    int64_t next_ms;       /* wall time at which the status changes next; 0: never */
    bool terminal;         /* the patch ends the pod (its address can go back) */
    const char *bad_annotation; /* an annotation whose value was ignored, or NULL */
} zk_sim_pod_plan;

/* The plan for a pod whose step is START or SYNC. The caller owns
 * out->patch. */
void zk_sim_pod_plan_make(const json_t *pod, const zk_sim_pod_env *env, zk_sim_pod_plan *out);

#endif
