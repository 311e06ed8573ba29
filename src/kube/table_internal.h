/* zke kube: helpers shared by the table printer files (table*.c) only. */
#ifndef ZK_KUBE_TABLE_INTERNAL_H
#define ZK_KUBE_TABLE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/table.h"

/* Bound on any one cell's text; a longer cell is cut (it stays valid UTF-8
 * because it is cut only between whole pieces). */
#define ZK_TABLE_CELL_MAX (256 * 1024)

/* "No time": absent, null, unparseable or the zero time. */
#define ZK_TABLE_NO_TIME INT64_MIN

/* Column descriptions shared by many printers. */
#define ZK_TABLE_DESC_NAME "Name must be unique within a namespace; it identifies the object."
#define ZK_TABLE_DESC_AGE "Time since the object was created (metadata.creationTimestamp)."
#define ZK_TABLE_DESC_CONTAINERS "Names of each container in the template."
#define ZK_TABLE_DESC_IMAGES "Images referenced by each container in the template."
#define ZK_TABLE_COL_NAME { "Name", "string", "name", ZK_TABLE_DESC_NAME, 0 }
#define ZK_TABLE_COL_AGE { "Age", "string", "", ZK_TABLE_DESC_AGE, 0 }

/* ---- appending cells --------------------------------------------------- */

/* A string cell; NULL appends "". Invalid UTF-8 becomes a null cell. */
void zk_kube_table__cell_str(json_t *cells, const char *s);
/* A string cell, def when s is NULL or empty. */
void zk_kube_table__cell_str_or(json_t *cells, const char *s, const char *def);
/* A string cell from a heap string, which is freed. */
void zk_kube_table__cell_own(json_t *cells, char *s);
void zk_kube_table__cell_printf(json_t *cells, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void zk_kube_table__cell_int(json_t *cells, json_int_t v);
/* metadata.name */
void zk_kube_table__cell_name(json_t *cells, const json_t *obj);
/* The AGE cell: age of metadata.creationTimestamp, "<unknown>" without one. */
void zk_kube_table__cell_age(json_t *cells, const json_t *obj, int64_t now);
/* CONTAINERS and IMAGES cells of a pod spec (comma-separated). */
void zk_kube_table__cell_containers(json_t *cells, const json_t *pod_spec);

/* ---- reading objects --------------------------------------------------- */

/* Integer at a key path (NULL-terminated), def when absent or not integer. */
json_int_t zk_kube_table__geti(const json_t *obj, json_int_t def, ...) __attribute__((sentinel));
/* Seconds since the epoch of an RFC 3339 string value, or ZK_TABLE_NO_TIME. */
int64_t zk_kube_table__time(const json_t *v);
/* Human duration as Kubernetes prints it: "<invalid>" below -1s, "0s" for
 * -1s, else like zk_time_age. */
void zk_kube_table__duration(int64_t secs, char *out, size_t outlen);
/* Age of time t at now; "<unknown>" for ZK_TABLE_NO_TIME. */
void zk_kube_table__since(int64_t t, int64_t now, char *out, size_t outlen);

/* ---- formatting -------------------------------------------------------- */

/* A label map as "k1=v1,k2=v2" sorted by key; "<none>" when empty. */
char *zk_kube_table__labels(const json_t *map);
/* A metav1.LabelSelector as its selector string ("app=web,tier in (a,b)",
 * sorted by key). empty is returned for an absent or empty selector, and
 * invalid for a malformed one (unknown operator, missing values). */
char *zk_kube_table__selector(const json_t *sel, const char *empty, const char *invalid);

/* A sorted set of strings without duplicates. */
typedef struct zk_kube_table__strset {
    const char **v;
    size_t n, cap;
} zk_kube_table__strset;
void zk_kube_table__strset_add(zk_kube_table__strset *s, const char *str); /* borrowed */
/* Sort and drop duplicates in place. */
void zk_kube_table__strset_sort(zk_kube_table__strset *s);
void zk_kube_table__strset_free(zk_kube_table__strset *s);
/* Sort, drop duplicates and join with sep; the set is freed. */
char *zk_kube_table__strset_join(zk_kube_table__strset *s, const char *sep);

/* ---- printers of each group file ----------------------------------------- */

extern const zk_table_printer zk_kube_table__pods, zk_kube_table__nodes,
    zk_kube_table__namespaces, zk_kube_table__services, zk_kube_table__endpoints,
    zk_kube_table__configmaps, zk_kube_table__secrets, zk_kube_table__serviceaccounts,
    zk_kube_table__events, zk_kube_table__events_v1, zk_kube_table__resourcequotas,
    zk_kube_table__replicationcontrollers, zk_kube_table__persistentvolumeclaims;
extern const zk_table_printer zk_kube_table__deployments, zk_kube_table__replicasets,
    zk_kube_table__daemonsets, zk_kube_table__statefulsets, zk_kube_table__controllerrevisions,
    zk_kube_table__jobs, zk_kube_table__cronjobs, zk_kube_table__horizontalpodautoscalers;
extern const zk_table_printer zk_kube_table__ingresses, zk_kube_table__ingressclasses,
    zk_kube_table__networkpolicies, zk_kube_table__endpointslices,
    zk_kube_table__poddisruptionbudgets, zk_kube_table__leases, zk_kube_table__rolebindings,
    zk_kube_table__clusterrolebindings, zk_kube_table__mutatingwebhookconfigurations,
    zk_kube_table__validatingwebhookconfigurations, zk_kube_table__apiservices;

#endif
