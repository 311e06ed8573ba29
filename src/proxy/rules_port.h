/* zke proxy: one Service port as both kinds of rules see it (internal to
 * rules.c and iptrules.c). */
#ifndef ZK_PROXY_RULES_PORT_H
#define ZK_PROXY_RULES_PORT_H

#include <arpa/inet.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "proxy/rules.h"

#define ZK_PROXY_ADDRS_MAX 17   /* the cluster IP and up to 16 external IPs */

typedef struct zk_proxy_ep {
    char ip[INET_ADDRSTRLEN];
    int port;                 /* the target port */
    int weight;               /* 1..100 */
    const char *pod;          /* targetRef name, borrowed; may be NULL */
} zk_proxy_ep;

typedef struct zk_proxy_port {
    const char *id;           /* "ns/name/proto/port" */
    const char *proto;        /* "tcp", "udp" or "sctp" */
    int port;
    int nodeport;             /* 0: none */
    const char *vip;          /* the cluster IP; NULL: none */
    char addrs[ZK_PROXY_ADDRS_MAX][INET_ADDRSTRLEN];   /* the cluster IP first, then external IPs */
    size_t naddrs;
    const zk_proxy_ep *eps;   /* ready (or else serving) endpoints, sorted */
    size_t neps;
    bool affinity;            /* sessionAffinity ClientIP */
    long long timeout;        /* its timeout, seconds */
} zk_proxy_port;

/* Whether the port answers on more than its cluster IP (a node port or
 * external IPs): those go through the ext chain. */
bool zk_proxy_port_has_ext(const zk_proxy_port *pt);

/* plan[what][printf(fmt, ...)] = val (taken) */
void zk_proxy_put(json_t *plan, const char *what, json_t *val, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends rule (taken) to plan["chains"][chain]. */
void zk_proxy_add_rule(json_t *plan, const char *chain, char *rule);

/* The iptables part of one port (iptrules.c). */
void zk_proxy_ipt_port(json_t *plan, const zk_proxy_cfg *cfg, const zk_proxy_port *pt);

#endif
