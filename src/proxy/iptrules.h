/* zke proxy: the iptables rules of Services, without I/O; for nodes
 * without nft (--proxy-mode iptables, or auto when nft is missing).
 *
 * The same Services as the nft table (rules.h), as iptables-restore input.
 * Every chain's name starts with the agent's prefix P ("Z" and 8 hex digits
 * of its table name, then "-"), so agents and other software on one host
 * keep apart:
 *
 *   raw     P-RAW           from PREROUTING: drops packets for 127/8 that
 *                           did not come from lo (route_localnet is on)
 *   nat     P-NAT           from PREROUTING and OUTPUT: P-SERVICES, then
 *                           P-NODEPORTS for local addresses
 *           P-SERVICES      one rule per cluster IP / external IP and port
 *                           with endpoints -> its P-SVC- (P-EXT-) chain
 *           P-NODEPORTS     one rule per node port -> its P-EXT- chain
 *           P-SVC-<hash>    marks for masquerade what comes from outside the
 *                           pods and this host; sends a client with affinity
 *                           back to its endpoint (recent); picks an endpoint
 *                           with statistic random, each by its weight
 *           P-EXT-<hash>    node ports and external IPs: marks what comes
 *                           from 127/8 or off the host, then P-SVC-
 *           P-SEP-<hash>    one endpoint: marks hairpin traffic, records
 *                           affinity, DNAT
 *           P-MARK-MASQ     sets the mark; P-POSTROUTING (from POSTROUTING)
 *                           masquerades what has it
 *   filter  P-FILTER        from INPUT, FORWARD and OUTPUT: new connections
 *                           to ports without endpoints -> P-REJECT
 *           P-NOEP, P-NOEP-NP  those ports (cluster / external IPs; node ports)
 *
 * <hash> is 14 hex digits of the chain's nft name ("svc/NS/NAME/PROTO/PORT",
 * ...), so names stay under iptables' 28 characters. Rules in the shared
 * chains carry the Service port as a comment.
 *
 * A Service's plan (zk_proxy_plan with mode ZK_PROXY_IPTABLES):
 *   {"chains": {nat chain: [rule, ...]}, "nat": {"CHAIN rule": true},
 *    "filter": {"CHAIN rule": true}, "udp-eps": ..., "udp-live": ...}
 * where "CHAIN rule" is a rule of a shared chain, as after -A. */
#ifndef ZK_PROXY_IPTRULES_H
#define ZK_PROXY_IPTRULES_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "proxy/rules.h"

#define ZK_PROXY_PREFIX_SIZE 11   /* "Z" 8 hex "-" NUL */

/* The chain prefix of the agent whose nft table name is table. */
void zk_proxy_ipt_prefix(const char *table, char out[ZK_PROXY_PREFIX_SIZE]);

/* What iptables-save printed that concerns prefix: per table, our chains
 * and the jumps from built-in chains to them:
 *   {"nat": {"chains": {"P-NAT": true, ...},
 *            "jumps": {"PREROUTING P-NAT": count, ...}}, ...}
 * Lines that do not parse are skipped; the caller owns the result. */
json_t *zk_proxy_ipt_seen(const char *save, size_t len, const char *prefix);

/* iptables-restore --noflush input that makes the whole of it from what
 * is there (seen, from zk_proxy_ipt_seen): every chain of ours written
 * again, chains no plan names deleted, jumps from the built-in chains put
 * first where missing and made single. plans[i] may be NULL (none). */
void zk_proxy_ipt_full(zk_buf *out, const zk_proxy_cfg *cfg, const json_t *seen,
                       json_t *const *plans, size_t n);

/* iptables-restore --noflush input that turns plans from[i] into to[i]
 * (either may be NULL), as zk_proxy_diff does for nft: only changed chains
 * are written, only changed rules of the shared chains added or deleted.
 * Appends nothing when nothing changes. */
void zk_proxy_ipt_diff(zk_buf *out, const zk_proxy_cfg *cfg, json_t *const *from,
                       json_t *const *to, size_t n);

/* iptables-restore --noflush input that removes everything seen (the jumps
 * to our chains, then the chains). Appends nothing when nothing is there. */
void zk_proxy_ipt_cleanup(zk_buf *out, const json_t *seen);

#endif
