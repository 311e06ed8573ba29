/* zke proxy: the cluster DNS, served by each node agent on its bridge
 * address over UDP and TCP.
 *
 * Names under the cluster domain are answered from the proxy's caches of
 * Services and EndpointSlices, on every query, so answers follow the watch:
 *   <svc>.<ns>.svc.<domain>            A: the cluster IP; headless: the
 *                                      ready endpoints' addresses
 *   <host>.<svc>.<ns>.svc.<domain>     A: a headless endpoint by hostname
 *                                      or by its address with dashes
 *   _<port>._<proto>.<svc>.<ns>.svc... SRV: a named port (headless: one
 *                                      record per endpoint)
 *   <a-b-c-d>.<ns>.pod.<domain>        A: a.b.c.d
 *   ExternalName Services              CNAME
 *   d.c.b.a.in-addr.arpa               PTR of cluster IPs and endpoints
 * Other names go to the host's name servers (its resolv.conf), over UDP,
 * with the query's own ID replaced; an answer must come from the server
 * asked and carry the question asked. */
#ifndef ZK_PROXY_DNS_H
#define ZK_PROXY_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/err.h"
#include "kube/informer.h"

typedef struct zk_dns zk_dns;

typedef struct zk_dns_opts {
    const char *addr;           /* IPv4 address to serve on */
    int port;                   /* 0: 53 */
    const char *domain;         /* NULL: "cluster.local" */
    const char *resolv_conf;    /* upstreams from; NULL: /etc/resolv.conf */
    const char *upstreams;      /* instead: "IP[:PORT],..." */
    uint32_t ttl;               /* of cluster answers; 0: 5 s */
} zk_dns_opts;

/* A server on loop answering from svcs and slices (slices need an index
 * "svc" of "ns/service-name", as zk_proxy's has). Binds at once. */
zk_dns *zk_dns_new(uv_loop_t *loop, zk_kube_informer *svcs, zk_kube_informer *slices,
                   const zk_dns_opts *o, zk_err *err);
/* Close the sockets; queries in flight get no answer. */
void zk_dns_free(zk_dns *d);

typedef enum { ZK_DNS_DROP, ZK_DNS_REPLY, ZK_DNS_FORWARD } zk_dns_action;

/* Answer one query message from the caches into out (cap bytes), the way
 * a UDP (tcp false) or TCP client gets it: *len is the answer's length
 * with ZK_DNS_REPLY; ZK_DNS_FORWARD means the name is not the cluster's. */
zk_dns_action zk_dns_answer(zk_dns *d, const uint8_t *msg, size_t len, bool tcp, uint8_t *out,
                            size_t cap, size_t *outlen);

typedef struct zk_dns_stats {
    uint64_t queries, answered, forwarded, upstream_timeouts, dropped;
} zk_dns_stats;
void zk_dns_get_stats(const zk_dns *d, zk_dns_stats *s);

#endif
