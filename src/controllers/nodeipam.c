/* zke controllers: node IPAM — each node gets a pod CIDR.
 *
 * As kube-controller-manager's range allocator does: a node without
 * spec.podCIDR gets the lowest free /24 of the cluster CIDR (10.42.0.0/16
 * unless ZKE_CLUSTER_CIDR says otherwise, a /16 or larger IPv4 range).
 * The node agent wires its pods' bridge from it. Keys are node names; one
 * worker, so two nodes never get the same range. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"

typedef struct ipam_state {
    zk_ctl *c;
    zk_kube_informer *nodes;
    uint32_t base;       /* the cluster CIDR's network, host order */
    int prefix;          /* its length */
    zk_map *given;       /* CIDRs patched but maybe not yet seen */
} ipam_state;

static void node_ev(void *ctx, json_t *node)
{
    ipam_state *st = ctx;
    if (!zk_json_path_str(node, "spec", "podCIDR", NULL))
        zk_ctl_enqueue(st->c, zk_kube_name(node));
}

static void node_upd(void *ctx, json_t *old, json_t *node) { node_ev(ctx, node); }

typedef struct used_ctx {
    zk_map *used;
} used_ctx;

static void mark_used(void *ctx, json_t *node)
{
    used_ctx *u = ctx;
    const char *cidr = zk_json_path_str(node, "spec", "podCIDR", NULL);
    if (cidr)
        zk_map_put(u->used, cidr, (void *)1);
}

static void ipam_sync(zk_ctl *c, void *state, const char *key)
{
    ipam_state *st = state;
    json_t *node = zk_kube_informer_get(st->nodes, NULL, key);
    if (!node || zk_json_path_str(node, "spec", "podCIDR", NULL)) {
        zk_ctl_done(c, key, false);
        return;
    }
    used_ctx u = {.used = zk_map_new()};
    zk_kube_informer_each(st->nodes, mark_used, &u);
    uint32_t count = st->prefix >= 24 ? 1 : 1u << (24 - st->prefix);
    char cidr[32] = "";
    for (uint32_t i = 0; i < count; i++) {
        uint32_t net = st->base + (i << 8);
        char cand[32];
        snprintf(cand, sizeof(cand), "%u.%u.%u.0/24", net >> 24, (net >> 16) & 255,
                 (net >> 8) & 255);
        const char *owner = zk_map_get(st->given, cand);
        if (zk_map_get(u.used, cand) || (owner && strcmp(owner, key)))
            continue;
        memcpy(cidr, cand, sizeof(cidr));
        break;
    }
    zk_map_free(u.used);
    if (!cidr[0]) {
        zk_warn("nodeipam: no free /24 left for node %s", key);
        zk_ctl_done(c, key, false);
        return;
    }
    free(zk_map_put(st->given, cidr, zk_xstrdup(key)));
    zk_info("nodeipam: node %s gets pod CIDR %s", key, cidr);
    json_t *patch = json_pack("{s:{s:s,s:[s]}}", "spec", "podCIDR", cidr, "podCIDRs", cidr);
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    zk_ctl_batch_patch(b, &zk_kube_nodes, NULL, key, NULL, NULL, patch);
    zk_ctl_batch_end(b);
    json_decref(patch);
}

static void *ipam_init(zk_ctl *c)
{
    ipam_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->given = zk_map_new();
    const char *env = getenv("ZKE_CLUSTER_CIDR");
    const char *cidr = env && *env ? env : "10.42.0.0/16";
    char addr[32];
    const char *slash = strchr(cidr, '/');
    struct in_addr in;
    int prefix = slash ? atoi(slash + 1) : -1;
    snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - cidr) : 0, cidr);
    if (!slash || prefix < 8 || prefix > 24 || inet_pton(AF_INET, addr, &in) != 1) {
        zk_warn("nodeipam: ZKE_CLUSTER_CIDR=%s is not an IPv4 CIDR of /8 to /24; using "
                "10.42.0.0/16", cidr);
        inet_pton(AF_INET, "10.42.0.0", &in);
        prefix = 16;
    }
    st->base = ntohl(in.s_addr) & (prefix ? ~0u << (32 - prefix) : 0);
    st->prefix = prefix;
    st->nodes = zk_ctl_informer(c, &zk_kube_nodes);
    zk_kube_handler h = {.add = node_ev, .update = node_upd, .ctx = st};
    zk_kube_informer_on(st->nodes, &h);
    return st;
}

const zk_ctl_def zk_ctl_nodeipam = {
    .name = "nodeipam", .workers = 1, .init = ipam_init, .sync = ipam_sync, .free = free};
