/* zke sim: the Node and Lease objects of simulated nodes.
 *
 * Pure functions: they build JSON and never talk to a server. A node is
 * the default node below with a user's template merged over it (JSON merge
 * patch semantics: maps merge, lists such as taints replace), then the
 * fields the sim owns are set: name, the kubernetes.io/hostname and
 * zke.io/sim labels, spec.podCIDR(s), status.addresses and the conditions.
 *
 * Defaults: capacity = allocatable = cpu 32, memory 256Gi, pods 110,
 * ephemeral-storage 1Ti; labels kubernetes.io/os=linux,
 * kubernetes.io/arch=amd64, zke.io/sim=true; no taints; kubeletVersion
 * ZK_SIM_KUBELET_VERSION. Node i has InternalIP 10.200.0.0 + i + 1 (only
 * data: nothing is ever sent there) and podCIDR 10.128.0.0/10's i-th /24. */
#ifndef ZK_SIM_NODE_H
#define ZK_SIM_NODE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ZK_SIM_MAX_NODES 16384u        /* /24s in 10.128.0.0/10 */
#define ZK_SIM_KUBELET_VERSION "v1.32.0-zke-sim"
#define ZK_SIM_LABEL "zke.io/sim"
#define ZK_SIM_HEARTBEAT_ANNOTATION "zke.io/sim-heartbeat"
#define ZK_SIM_LEASE_NS "kube-node-lease"
#define ZK_SIM_TEMPLATE_MAX_BYTES (1u << 20)

/* "10.200.x.y" of node index i (< ZK_SIM_MAX_NODES). */
void zk_sim_node_ip(uint32_t index, char *out, size_t n);
/* "10.x.y.0/24" of node index i (< ZK_SIM_MAX_NODES). */
void zk_sim_node_cidr(uint32_t index, char *out, size_t n);

/* Parse a node template (YAML or JSON text of one Node) and check the
 * fields the sim reads: metadata.labels/annotations are maps of strings,
 * spec.taints a list of objects, status.capacity/allocatable maps of
 * quantities (numbers become strings), status.nodeInfo a map of strings.
 * kind, when present, must be Node. *out is a new reference; errors name
 * the field. */
int zk_sim_node_template_parse(const char *text, size_t len, json_t **out, zk_err *err);
/* The same from a file (at most ZK_SIM_TEMPLATE_MAX_BYTES). */
int zk_sim_node_template_load(const char *path, json_t **out, zk_err *err);
/* The template's metadata.generateName, or NULL. Borrowed. */
const char *zk_sim_node_template_prefix(const json_t *tmpl);

/* The Node to register as name, the index-th node, at wall time now_s.
 * tmpl may be NULL. New reference. */
json_t *zk_sim_node_build(const json_t *tmpl, const char *name, uint32_t index, int64_t now_s);

/* status.conditions of a healthy node at now_s: MemoryPressure,
 * DiskPressure and PIDPressure False, Ready True (KubeletReady), all with
 * lastHeartbeatTime now. A condition whose status in the current node
 * `cur` (may be NULL) is the same keeps its lastTransitionTime. New
 * reference (an array). */
json_t *zk_sim_node_conditions(const json_t *cur, int64_t now_s);

/* The coordination.k8s.io/v1 Lease of node name (uid: the Node's, for the
 * owner reference; may be NULL), renewed at renew (a MicroTime string). */
json_t *zk_sim_node_lease(const char *name, const char *uid, int duration_s, const char *renew);

/* Pacing of a periodic per-node action (Lease renewal, heartbeat): of n
 * nodes, node i acts at i*interval/n within each interval after start.
 * Given the time since start and *done, the actions already started,
 * returns how many are due in all; the caller acts for nodes
 * (*done % n) .. (due-1) % n and sets *done = due. After a stall of more
 * than an interval, *done is moved up so that each node acts once, not
 * several times. */
uint64_t zk_sim_pace(uint64_t elapsed_ms, size_t n, uint64_t interval_ms, uint64_t *done);

#endif
