/* zke proxy: Service networking on a node, the counterpart of kube-proxy.
 *
 * It watches Services and EndpointSlices through the Kubernetes API and
 * keeps one nftables table (rules.h) equal to them, or, on a host without
 * nft, chains in the iptables tables (iptrules.h):
 *   - on start, once both caches are synced, the whole table is written in
 *     one transaction (replacing what an earlier run left); with iptables,
 *     iptables-save first says what an earlier run left, and each table is
 *     one iptables-restore transaction;
 *   - after that only the Services whose object or slices changed are
 *     rewritten, and within them only the chains that changed;
 *   - one `nft -f -` (`iptables-restore --noflush`) runs at a time; changes
 *     that come meanwhile are gathered and go in the next run; a run that
 *     fails makes the next one write the whole table again.
 * Everything runs on the loop of the client it was given. */
#ifndef ZK_PROXY_PROXY_H
#define ZK_PROXY_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "kube/client.h"
#include "kube/informer.h"
#include "proxy/rules.h"

typedef struct zk_proxy zk_proxy;

typedef struct zk_proxy_opts {
    const char *table;          /* nft table (family ip); "zke" when NULL */
    const char *cluster_cidr;   /* pod addresses; "10.42.0.0/16" when NULL */
    const char *mode;           /* "nftables", "iptables" or "auto" (NULL): nftables
                                   when nft is on PATH, else iptables */
    const char *nft;            /* the nft program; "nft" (on PATH) when NULL */
    const char *iptables_restore, *iptables_save;   /* "iptables-restore", "iptables-save" */
} zk_proxy_opts;

/* A proxy on c's loop; strings of o are copied. Returns NULL with err set
 * when the options are unusable (a table name nft would misread, an unknown
 * mode, neither nft nor iptables-restore on PATH in auto mode). */
zk_proxy *zk_proxy_new(zk_kube_client *c, const zk_proxy_opts *o, zk_err *err);
/* The mode it runs in. */
zk_proxy_mode zk_proxy_get_mode(const zk_proxy *p);
const char *zk_proxy_mode_name(zk_proxy_mode m);
void zk_proxy_start(zk_proxy *p);
/* Stop watching; remove_rules also deletes the table (a clean stop). The
 * proxy is freed once a running nft has ended. */
void zk_proxy_stop(zk_proxy *p, bool remove_rules);

/* The index "svc" of EndpointSlices: "ns/service-name" from the slice's
 * kubernetes.io/service-name label (none without it). The cluster DNS needs
 * its slices informer to have it; zk_proxy's has. */
void zk_proxy_slice_index(const json_t *obj, zk_kube_emit_fn emit, void *ectx);

/* Remove what a proxy with this table name left on the host: the nft
 * table, and the iptables chains of its prefix with the jumps to them
 * (`zke node-cleanup`). Blocks; programs that are missing are skipped.
 * Returns how many of the two were found and removed. */
int zk_proxy_remove_host_rules(const char *table);

/* The caches, for the cluster DNS. */
zk_kube_informer *zk_proxy_services(zk_proxy *p);
zk_kube_informer *zk_proxy_slices(zk_proxy *p);
/* EndpointSlices of the Service ns/name (borrowed, in *out, which the
 * caller frees with free()); returns the count. */
size_t zk_proxy_slices_of(zk_proxy *p, const char *ns, const char *name, json_t ***out);

typedef struct zk_proxy_stats {
    uint64_t syncs, full_syncs, failures;
    uint64_t last_ms;           /* how long the last nft run took */
    bool synced;                /* the whole table has been written once */
} zk_proxy_stats;
void zk_proxy_get_stats(const zk_proxy *p, zk_proxy_stats *s);

#endif
