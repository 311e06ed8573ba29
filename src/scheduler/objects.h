/* zke scheduler: pods and nodes as the plugins see them.
 *
 * Each Pod and Node object is parsed once, when the informer delivers it,
 * into the structs below: quantities become int64 (cpu in millicores,
 * everything else in units), taints, tolerations, affinity terms and
 * spread constraints become arrays with their selectors pre-parsed. The
 * plugins then never look at JSON again, except for label lookups on the
 * labels objects kept (by reference) from the originals. */
#ifndef ZK_SCHED_OBJECTS_H
#define ZK_SCHED_OBJECTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "kube/selector.h"

/* CPU default for a container without a cpu request, when scoring (as
 * Kubernetes' DefaultMilliCPURequest) and the memory one (200 MiB). */
#define ZK_SCHED_DEFAULT_MILLI_CPU 100
#define ZK_SCHED_DEFAULT_MEMORY (200LL * 1024 * 1024)

/* An extended, hugepages or attachable-volumes resource. */
typedef struct zk_sched_scalar {
    char *name;
    int64_t value;
} zk_sched_scalar;

/* A resource list: cpu in millicores, memory and ephemeral storage in bytes,
 * scalar resources in units. */
typedef struct zk_sched_res {
    int64_t cpu;
    int64_t mem;
    int64_t eph;
    zk_sched_scalar *scalar;
    size_t n_scalar;
} zk_sched_res;

void zk_sched_res_free(zk_sched_res *r);
int64_t zk_sched_res_scalar(const zk_sched_res *r, const char *name);
/* r += sign * y (sign 1 or -1), scalars included. */
void zk_sched_res_add(zk_sched_res *r, const zk_sched_res *y, int sign);
/* Read a ResourceList ({"cpu": "500m", ...}) into r (r must be zeroed);
 * -ZK_EINVAL names the bad quantity. */
int zk_sched_res_parse(const json_t *list, zk_sched_res *r, zk_err *err);
/* Is name an extended/hugepages/attachable-volumes resource (one that
 * Kubernetes' scheduler tracks as a scalar)? */
bool zk_sched_is_scalar(const char *name);

typedef enum zk_sched_effect {
    ZK_SCHED_EFFECT_ALL = 0, /* a toleration without effect */
    ZK_SCHED_NO_SCHEDULE,
    ZK_SCHED_PREFER_NO_SCHEDULE,
    ZK_SCHED_NO_EXECUTE,
} zk_sched_effect;

typedef struct zk_sched_taint {
    char *key;
    char *value;
    zk_sched_effect effect;
} zk_sched_taint;

typedef struct zk_sched_toleration {
    char *key;    /* "" = any key (with Exists) */
    bool exists;  /* operator Exists (else Equal) */
    char *value;
    zk_sched_effect effect;
} zk_sched_toleration;

/* One NodeSelectorRequirement. */
typedef enum zk_sched_nsop {
    ZK_SCHED_NS_IN,
    ZK_SCHED_NS_NOT_IN,
    ZK_SCHED_NS_EXISTS,
    ZK_SCHED_NS_DOES_NOT_EXIST,
    ZK_SCHED_NS_GT,
    ZK_SCHED_NS_LT,
} zk_sched_nsop;

typedef struct zk_sched_nsreq {
    char *key;
    zk_sched_nsop op;
    char **values;
    size_t n_values;
    int64_t num;  /* Gt/Lt operand */
    bool field;   /* a matchFields entry (key is metadata.name) */
} zk_sched_nsreq;

/* A NodeSelectorTerm: requirements ANDed. An empty term matches nothing. */
typedef struct zk_sched_nsterm {
    zk_sched_nsreq *reqs;
    size_t n_reqs;
    int32_t weight; /* preferred terms */
} zk_sched_nsterm;

/* Topology keys that nodes keep at hand (see zk_sched_node_label). */
enum { ZK_SCHED_WK_NONE = 0, ZK_SCHED_WK_HOSTNAME, ZK_SCHED_WK_ZONE };
#define ZK_SCHED_HOSTNAME_KEY "kubernetes.io/hostname"
#define ZK_SCHED_ZONE_KEY "topology.kubernetes.io/zone"
int zk_sched_wk(const char *key);

/* A PodAffinityTerm (weight set for preferred ones). */
typedef struct zk_sched_aterm {
    zk_kube_selector *sel;
    char **namespaces;           /* explicit list, or the pod's own namespace */
    size_t n_namespaces;
    zk_kube_selector *ns_sel;    /* NULL when the term had no namespaceSelector */
    char *topology_key;
    int wk;                      /* ZK_SCHED_WK_* of topology_key */
    int32_t weight;
} zk_sched_aterm;

/* A TopologySpreadConstraint. owner_default marks the system default
 * constraints, whose selector is "same controller owner" (sel NULL). */
typedef struct zk_sched_spread {
    int32_t max_skew;
    char *topology_key;
    int wk;               /* ZK_SCHED_WK_* of topology_key */
    bool do_not_schedule;
    zk_kube_selector *sel;
    int32_t min_domains;
    bool honor_affinity;  /* nodeAffinityPolicy: Honor (default) */
    bool honor_taints;    /* nodeTaintsPolicy: Honor (default Ignore) */
    bool owner_default;
} zk_sched_spread;

typedef enum zk_sched_proto {
    ZK_SCHED_TCP = 0,
    ZK_SCHED_UDP,
    ZK_SCHED_SCTP,
} zk_sched_proto;

typedef struct zk_sched_port {
    char ip[48];  /* "0.0.0.0" when unset */
    zk_sched_proto proto;
    int32_t port;
} zk_sched_port;

struct zk_sched_owner;
struct zk_sched_node;

typedef struct zk_sched_pod {
    char *ns, *name, *uid;
    char *key;               /* "ns/name" */
    json_t *labels;          /* a reference, or NULL */
    char *node_name;         /* spec.nodeName, NULL when unset */
    char *scheduler_name;    /* "" when unset */
    int32_t priority;
    bool terminating;        /* metadata.deletionTimestamp set */
    bool terminal;           /* phase Succeeded or Failed */
    bool preempt_never;      /* preemptionPolicy: Never */

    zk_sched_res req;        /* requests: containers, init rule, overhead */
    int64_t nz_cpu, nz_mem;  /* the same with defaults for missing requests */

    zk_sched_port *ports;
    size_t n_ports;

    /* nodeSelector as key/value pairs */
    char **sel_keys, **sel_values;
    size_t n_sel;
    /* required node affinity: terms ORed; has_required tells NULL from none */
    bool has_required;
    zk_sched_nsterm *required;
    size_t n_required;
    zk_sched_nsterm *preferred;
    size_t n_preferred;

    zk_sched_toleration *tols;
    size_t n_tols;

    zk_sched_aterm *aff_req, *aff_pref, *anti_req, *anti_pref;
    size_t n_aff_req, n_aff_pref, n_anti_req, n_anti_pref;

    zk_sched_spread *spread;   /* explicit, or the defaults when owned */
    size_t n_spread;
    bool spread_defaulted;

    char *owner_uid;           /* controller owner, or NULL */

    /* ---- kept by the cache ---- */
    struct zk_sched_node *node;   /* assigned node entry, or NULL */
    struct zk_sched_owner *owner;
    size_t node_idx;              /* index in node->pods */
    size_t owner_idx;             /* index in owner->pods */
    size_t ns_idx;                /* index in the namespace list */
    size_t aff_idx, anti_idx;     /* index in the affinity lists */
    bool assumed;                 /* bound by us; the watch has not confirmed */
    int attempts;                 /* failed scheduling attempts (queue) */
    bool counted;                 /* in its owner's counts */
    uint32_t counted_zone;        /* the zone id it is counted in (0 = none) */
} zk_sched_pod;

/* Parse a Pod. The result owns copies of what it needs (labels by
 * reference). When default_spread is set and the pod has no topology
 * spread constraints but a controller owner, it gets Kubernetes' system
 * default constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway)
 * over pods of the same owner. Errors: -ZK_EINVAL for a malformed field. */
int zk_sched_pod_parse(const json_t *obj, bool default_spread, zk_sched_pod **out,
                       zk_err *err);
void zk_sched_pod_free(zk_sched_pod *p);
bool zk_sched_pod_has_affinity(const zk_sched_pod *p);   /* any pod (anti-)affinity term */
const char *zk_sched_label(const json_t *labels, const char *key);  /* NULL when absent */

typedef struct zk_sched_node {
    char *name;
    json_t *labels;           /* a reference, or NULL */
    const char *hostname;     /* its kubernetes.io/hostname label (in labels) or NULL */
    const char *zone;         /* its topology.kubernetes.io/zone label or NULL */
    uint32_t zone_id;         /* the cache's id of zone (0 = none) */
    zk_sched_res alloc;
    int64_t alloc_pods;
    zk_sched_taint *taints;
    size_t n_taints;
    bool unschedulable;
    bool present;             /* a Node object exists (else only its pods do) */

    /* ---- kept by the cache ---- */
    zk_sched_res requested;   /* sum of pod requests */
    int64_t nz_cpu, nz_mem;   /* the same with the scoring defaults */
    zk_sched_pod **pods;
    size_t n_pods, cap_pods;
    size_t n_port_pods;       /* pods with host ports */
    /* pods per controller owner: a few inline (read for every node scored),
     * the rest in more_owners */
    struct zk_sched_owner_count { struct zk_sched_owner *owner; int32_t count; } owners[4];
    size_t n_owners;
    struct zk_sched_owner_count *more_owners;
    size_t n_more_owners, cap_more_owners;
    size_t idx;               /* index in the cache's node list */
} zk_sched_node;

/* Parse a Node's scheduling fields (name, labels, status.allocatable,
 * spec.taints, spec.unschedulable) into a new node entry. */
int zk_sched_node_parse(const json_t *obj, zk_sched_node **out, zk_err *err);
/* Move the parsed fields of src into dst (dst keeps its pods and counts);
 * src is freed. */
void zk_sched_node_take_spec(zk_sched_node *dst, zk_sched_node *src);
void zk_sched_node_free(zk_sched_node *n);

/* A node's label; wk (ZK_SCHED_WK_*) short-cuts the well-known keys. */
static inline const char *zk_sched_node_label(const zk_sched_node *n, int wk, const char *key)
{
    if (wk == ZK_SCHED_WK_HOSTNAME)
        return n->hostname;
    if (wk == ZK_SCHED_WK_ZONE)
        return n->zone;
    return zk_sched_label(n->labels, key);
}

/* Toleration matching as v1.Toleration.ToleratesTaint. */
bool zk_sched_tolerates(const zk_sched_toleration *t, size_t n, const zk_sched_taint *taint);
/* Does the node satisfy the pod's nodeSelector and required node affinity? */
bool zk_sched_node_matches_pod(const zk_sched_pod *p, const zk_sched_node *n);
bool zk_sched_nsterm_matches(const zk_sched_nsterm *t, const zk_sched_node *n);
/* Does the affinity term select pod q? ns_labels are the labels of q's
 * namespace (NULL when unknown: a namespaceSelector then matches only an
 * empty selector). */
bool zk_sched_aterm_matches(const zk_sched_aterm *t, const zk_sched_pod *q,
                            const json_t *ns_labels);

#endif
