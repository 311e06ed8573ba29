/* zke admission: soft anti-affinity. Replicas of one app are kept on
 * different nodes when the scheduler can: the pod gets a preferred
 * podAntiAffinity term (weight 100, topology kubernetes.io/hostname) on
 * its app label (app.kubernetes.io/name, else app).
 *
 * Who gets it: namespaces labelled zke.io/soft-anti-affinity=true (or
 * enabled); namespaces without the label follow the cluster default, which
 * is that label on the kube-system namespace; =false (disabled) is off.
 * Pods that declare any pod affinity or anti-affinity of their own, and
 * pods without an app label, are left alone. The pod gets the annotation
 * policy.zke.io/soft-anti-affinity naming the label it spreads by. Pure. */
#ifndef ZK_ADM_ANTIAFFINITY_H
#define ZK_ADM_ANTIAFFINITY_H

#include <jansson.h>

#define ZK_ADM_SAA_LABEL "zke.io/soft-anti-affinity"
#define ZK_ADM_SAA_RECORD "policy.zke.io/soft-anti-affinity"

/* ns: the pod's Namespace; cluster: the kube-system Namespace (either may
 * be NULL). Returns 1 when the pod changed, else 0. */
int zk_adm_soft_anti_affinity(json_t *pod, const json_t *ns, const json_t *cluster);

#endif
