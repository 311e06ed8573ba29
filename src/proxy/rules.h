/* zke proxy: the nftables rules of Services, without I/O.
 *
 * One table per node agent holds everything (its name is the agent's):
 *
 *   map svc-ips    cluster IP / external IP . protocol . port -> goto the
 *                  Service port's chain (only ports with endpoints)
 *   map svc-nps    protocol . node port -> goto its ext/ chain
 *   set no-ep      cluster IP . protocol . port of ports without endpoints;
 *   set no-ep-np   and their node ports: new connections are refused at
 *                  once (TCP reset, ICMP port unreachable), not left to time out
 *   chain svc/NS/NAME/PROTO/PORT
 *                  marks traffic from outside the pods and this host for
 *                  masquerade,
 *                  sends a client with affinity to its endpoint, else picks
 *                  an endpoint at random (numgen), each as often as its weight
 *   chain ext/NS/NAME/PROTO/PORT
 *                  node ports and external IPs: masquerade what comes from
 *                  127/8 or off the host, then the svc/ chain
 *   chain ep/NS/NAME/PROTO/PORT/IP/TARGETPORT
 *                  marks a pod's traffic to itself (hairpin) for masquerade,
 *                  records affinity, DNAT
 *   set aff/...    (sessionAffinity ClientIP) client addresses, with the
 *                  affinity's timeout
 *
 * A Service's part of the table is a plan: a JSON object
 *   {"chains": {name: [rule, ...]}, "sets": {name: declaration},
 *    "vmap": {key: verdict}, "npmap": {key: verdict},
 *    "noep": {key: true}, "nonp": {key: true},
 *    "udp-eps": {"IP PORT": true}, "udp-live": {"IP PORT": true}}
 * (the last two, for conntrack, are in iptables plans too)
 * zk_proxy_diff turns programmed plans into wanted ones with the fewest
 * commands: unchanged chains are not touched. */
#ifndef ZK_PROXY_RULES_H
#define ZK_PROXY_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define ZK_PROXY_MASQ_MARK 0x4000u

typedef enum zk_proxy_mode {
    ZK_PROXY_NFTABLES = 0,      /* one nft table (this file) */
    ZK_PROXY_IPTABLES = 1,      /* chains in the iptables tables (iptrules.h) */
} zk_proxy_mode;

typedef struct zk_proxy_cfg {
    const char *table;          /* nft table name (family ip) */
    const char *cluster_cidr;   /* pods: traffic from elsewhere to a cluster IP is masqueraded */
    zk_proxy_mode mode;
    const char *prefix;         /* iptables: what every chain's name starts with
                                   (zk_proxy_ipt_prefix) */
} zk_proxy_cfg;

/* Whether name may be a table name (it goes into nft scripts as is). */
bool zk_proxy_table_name_ok(const char *name);

/* The plan of one Service (nft or iptables, by cfg->mode) from its EndpointSlices (those labelled with its
 * name). Headless and ExternalName Services, and ones whose fields cannot
 * be used safely (bad address, bad name), get an empty plan; *why (may be
 * NULL) then says what was wrong, or is "" when nothing was. The caller
 * owns the result. */
json_t *zk_proxy_plan(const zk_proxy_cfg *cfg, const json_t *svc, json_t *const *slices,
                      size_t nslices, char *why, size_t whylen);

/* The commands that create the table from nothing (replacing any table of
 * that name in the same transaction) with its fixed chains and maps. */
void zk_proxy_skeleton(zk_buf *out, const zk_proxy_cfg *cfg);

/* The commands that turn plans from[i] into to[i] (either may be NULL:
 * nothing programmed / nothing wanted), for n Services at once, ordered so
 * that one nft transaction takes them: elements and references go before
 * what they name is deleted, and what is added exists before it is named. */
void zk_proxy_diff(zk_buf *out, const zk_proxy_cfg *cfg, json_t *const *from, json_t *const *to,
                   size_t n);

/* The conntrack entries a change leaves stale (UDP has no connection end, so
 * a flow keeps its old translation until its entry times out): appends to
 * argv_list one argument list ["conntrack", "-D", ...] per deletion:
 *   - a UDP endpoint that went: flows answered by it;
 *   - a UDP port that had no endpoints and has now: flows to it (refused
 *     until now, and kept untranslated in conntrack).
 * from/to as for zk_proxy_diff (either may be NULL). */
void zk_proxy_conntrack(const json_t *from, const json_t *to, json_t *argv_list);

#endif
