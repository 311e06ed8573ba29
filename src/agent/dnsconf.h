/* zke agent: a pod's /etc/resolv.conf (see dnsconf.c for the rules). */
#ifndef ZK_AGENT_DNSCONF_H
#define ZK_AGENT_DNSCONF_H

#include <jansson.h>

/* The resolv.conf of pod: cluster_dns is the node's cluster DNS address
 * (NULL or "": none, the host's is used), domain the cluster domain
 * ("cluster.local"), host_text the host's own resolv.conf. Caller frees. */
char *zk_agent_resolv_conf(const json_t *pod, const char *cluster_dns, const char *domain,
                           const char *host_text);

#endif
