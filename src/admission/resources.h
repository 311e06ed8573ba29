/* zke admission: resource lists, the arithmetic LimitRanger and
 * ResourceQuota share.
 *
 * A resource list is Kubernetes' ResourceList: resource name -> quantity,
 * kept sorted by name so that messages list resources in the order
 * Kubernetes prints them ("limits.cpu=1,pods=2"). The pod helpers compute
 * the effective requests and limits of a pod as Kubernetes' resource helpers
 * do: containers add up, an init container sets a floor, sidecars (init
 * containers with restartPolicy Always) add up too, and spec.overhead is
 * added where the caller asks for it. */
#ifndef ZK_ADM_RESOURCES_H
#define ZK_ADM_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kube/quantity.h"

typedef struct zk_adm_res {
    char *name;
    zk_kube_quantity q;
} zk_adm_res;

typedef struct zk_adm_rlist {
    zk_adm_res *items; /* sorted by name, names unique */
    size_t n, cap;
} zk_adm_rlist;

#define ZK_ADM_RLIST_INIT {NULL, 0, 0}

void zk_adm_rlist_free(zk_adm_rlist *l);
/* The entry of name, or NULL. */
const zk_adm_res *zk_adm_rlist_get(const zk_adm_rlist *l, const char *name);
/* Set name to q (replacing any value). */
void zk_adm_rlist_set(zk_adm_rlist *l, const char *name, const zk_kube_quantity *q);
/* name += q (name absent: set to q, keeping q's spelling, as Kubernetes'
 * quota.Add copies it). Sums past the quantity range saturate at the
 * larger operand rather than wrap. */
void zk_adm_rlist_add(zk_adm_rlist *l, const char *name, const zk_kube_quantity *q);
void zk_adm_rlist_add_all(zk_adm_rlist *l, const zk_adm_rlist *other);
/* name = max(name, q) for each entry of other. */
void zk_adm_rlist_max_all(zk_adm_rlist *l, const zk_adm_rlist *other);
void zk_adm_rlist_copy(zk_adm_rlist *dst, const zk_adm_rlist *src);
/* Entries of l whose names are in mask (both sorted). */
void zk_adm_rlist_mask(zk_adm_rlist *out, const zk_adm_rlist *l, const zk_adm_rlist *mask);
/* True when every quantity is zero (an empty list is zero). */
bool zk_adm_rlist_is_zero(const zk_adm_rlist *l);

/* Read a JSON ResourceList ({"cpu":"100m",...}); entries that are not
 * quantities are skipped (validation reports them). NULL or a non-object
 * gives an empty list. */
void zk_adm_rlist_from_json(zk_adm_rlist *out, const json_t *obj);
/* {"name":"<quantity string>",...}; new reference. */
json_t *zk_adm_rlist_to_json(const zk_adm_rlist *l);
/* "a=1,b=500m" as Kubernetes' quota prettyPrint; caller frees. */
char *zk_adm_rlist_format(const zk_adm_rlist *l);

/* The string Kubernetes prints for a quantity (String()). */
const char *zk_adm_qstr(const zk_kube_quantity *q, char buf[ZK_KUBE_QUANTITY_STR_MAX]);

/* Effective requests (or limits when limits is true) of a pod:
 * sum(containers + sidecars) floored by each init container, plus
 * spec.overhead when with_overhead is set. */
void zk_adm_pod_resources(zk_adm_rlist *out, const json_t *pod, bool limits, bool with_overhead);

#endif
