/* zke sim: pod IP addresses of one simulated node.
 *
 * A pool hands out the host addresses of an IPv4 CIDR (the node's
 * podCIDR) so that no two live pods of the node share one. The network
 * address, the first host (the bridge's gateway on a real node) and the
 * broadcast address are never handed out. Allocation goes round the pool
 * from where it last stopped, so a freed address is not reused at once.
 * Pools larger than 65,536 addresses use their first 65,536. The sim only
 * writes these addresses into pod status: nothing is ever sent to them. */
#ifndef ZK_SIM_IPAM_H
#define ZK_SIM_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ZK_SIM_IPAM_MAX 65536u

typedef struct zk_sim_ipam {
    uint32_t base;         /* network address, host order */
    uint32_t size;         /* addresses in the pool (2^(32-prefix), capped) */
    uint32_t next;         /* offset to try first */
    uint32_t used;
    uint8_t *bits;         /* one bit per offset; NULL until the first use */
} zk_sim_ipam;

/* Set up p for "a.b.c.d/len" (len 8..30). -ZK_EINVAL for anything else,
 * IPv6 included. */
int zk_sim_ipam_init(zk_sim_ipam *p, const char *cidr, zk_err *err);
void zk_sim_ipam_free(zk_sim_ipam *p);

/* Take a free address; writes its dotted form into out (>= 16 bytes).
 * -ZK_ETOOBIG when the pool is full. */
int zk_sim_ipam_alloc(zk_sim_ipam *p, char *out, size_t n);
/* Mark ip taken (a pod that already has it). false when ip is not an
 * address the pool hands out or is already taken. */
bool zk_sim_ipam_reserve(zk_sim_ipam *p, const char *ip);
/* Give ip back; false when it was not taken. */
bool zk_sim_ipam_release(zk_sim_ipam *p, const char *ip);
/* Addresses the pool can hand out in all. */
uint32_t zk_sim_ipam_capacity(const zk_sim_ipam *p);

/* Parse a dotted IPv4 address (exactly four decimal parts 0-255). */
bool zk_sim_ipv4_parse(const char *s, uint32_t *out);
void zk_sim_ipv4_format(uint32_t a, char *out, size_t n);

#endif
