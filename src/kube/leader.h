/* zke kube: leader election on a coordination.k8s.io/v1 Lease.
 *
 * A candidate takes the Lease when it is absent or its renewTime is older
 * than leaseDurationSeconds, and renews it every retry period. Updates are
 * conditional on the resourceVersion read, so two candidates can never both
 * hold it: the loser's write is a 409. A leader that cannot renew within
 * the renew deadline stops leading (on_stop) before another can take over. */
#ifndef ZK_KUBE_LEADER_H
#define ZK_KUBE_LEADER_H

#include <stdbool.h>

#include "kube/client.h"

typedef struct zk_kube_leader zk_kube_leader;

typedef struct zk_kube_leader_opts {
    const char *ns;          /* "kube-system" */
    const char *name;        /* "zke-controller-manager" */
    const char *identity;    /* unique per process: "host_pid" */
    int lease_s;             /* 15 */
    int renew_deadline_s;    /* 10 */
    int retry_s;             /* 2 */
    void (*on_start)(void *ctx);
    void (*on_stop)(void *ctx);
    void *ctx;
} zk_kube_leader_opts;

zk_kube_leader *zk_kube_leader_start(zk_kube_client *c, const zk_kube_leader_opts *o);
/* Stop campaigning; a leader releases the Lease (best effort). */
void zk_kube_leader_free(zk_kube_leader *l);
bool zk_kube_leader_is_leader(const zk_kube_leader *l);

#endif
