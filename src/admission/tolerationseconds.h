/* zke admission: DefaultTolerationSeconds, as Kubernetes' plugin of that
 * name.
 *
 * A pod that does not tolerate node.kubernetes.io/not-ready:NoExecute (or
 * node.kubernetes.io/unreachable:NoExecute) gets a toleration of it for 300
 * seconds, so that its pods stay 5 minutes on a node that stops reporting
 * before the node lifecycle controller evicts them. A toleration with an
 * empty key, or an empty effect, counts as tolerating. Pure. */
#ifndef ZK_ADM_TOLERATIONSECONDS_H
#define ZK_ADM_TOLERATIONSECONDS_H

#include <jansson.h>
#include <stdint.h>

#define ZK_ADM_DEFAULT_TOLERATION_SECONDS 300

/* Mutating admission of a pod being created: add the missing tolerations
 * (operator Exists, effect NoExecute, tolerationSeconds seconds) to
 * spec.tolerations. Modifies pod in place. */
void zk_adm_default_toleration_seconds(json_t *pod, int64_t seconds);

#endif
