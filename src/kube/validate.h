/* zke kube: semantic validation of objects, per kind, as Kubernetes does it.
 *
 * Validation runs after decoding, defaulting and mutating admission. It
 * collects every problem as a field error with Kubernetes' field path, cause
 * reason and message (see kube/fielderr.h), so that a 422 Invalid Status reads
 * the same as kube-apiserver's.
 *
 * A full check of one object is two calls:
 *   zk_kube_validate_object_meta(obj, old, namespaced,
 *                                zk_kube_name_rule_for(group, kind), errs);
 *   zk_kube_validator fn = zk_kube_validator_for(group, version, kind);
 *   if (fn) fn(obj, old, errs);
 * or zk_kube_validate(), which does both. old is NULL on create and the stored
 * object on update; both are only read.
 *
 * Before an update is validated the caller is expected to have done what
 * Kubernetes' registry does first: copy uid, creationTimestamp and the
 * deletion fields from old when the request omits them, and for a Service
 * carry over allocated clusterIP(s)/nodePorts (zk_kube_service_patch_allocated
 * in kube/defaults.h). An absent uid or creationTimestamp counts as unchanged.
 *
 * Deliberately not done here (other layers own them): structural/type checks
 * from the schema, resourceVersion preconditions, quota and limit ranges,
 * uniqueness against other stored objects, nodePort/clusterIP allocation. */
#ifndef ZK_KUBE_VALIDATE_H
#define ZK_KUBE_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "kube/fielderr.h"

/* Which rule metadata.name follows for a kind. */
typedef enum {
    ZK_NAME_DNS1123_SUBDOMAIN,  /* most kinds, and custom resources */
    ZK_NAME_DNS1123_LABEL,      /* Namespace, StatefulSet */
    ZK_NAME_PATH_SEGMENT,       /* RBAC kinds */
    ZK_NAME_DNS1035_LABEL,      /* Service */
} zk_name_rule;

typedef void (*zk_kube_validator)(const json_t *obj, const json_t *old /* NULL on create */,
                                  zk_field_errors *errs);

/* The kind's validator, or NULL when only metadata validation applies
 * (unknown kinds, custom resources). group is "" for the core group. */
zk_kube_validator zk_kube_validator_for(const char *group, const char *version, const char *kind);

/* Name rule for a kind; ZK_NAME_DNS1123_SUBDOMAIN when zke knows no other. */
zk_name_rule zk_kube_name_rule_for(const char *group, const char *kind);

/* metadata of any object: name (or generateName) by rule on create,
 * namespace required / forbidden, labels, annotations (keys and total size
 * <= 256 KiB), ownerReferences, finalizers, generation; on update also the
 * immutable name, namespace, uid and creationTimestamp, and no new
 * finalizers once deletionTimestamp is set. */
void zk_kube_validate_object_meta(const json_t *obj, const json_t *old, bool namespaced,
                                  zk_name_rule rule, zk_field_errors *errs);

/* Both of the above for one object. */
void zk_kube_validate(const json_t *obj, const json_t *old, const char *group,
                      const char *version, const char *kind, bool namespaced,
                      zk_field_errors *errs);

/* Per-kind validators (what zk_kube_validator_for returns). Each checks the
 * kind's spec (and the kind-specific parts of metadata), not the generic
 * metadata above. */
void zk_kube_validate_pod(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_service(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_config_map(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_secret(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_namespace(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_service_account(const json_t *obj, const json_t *old,
                                      zk_field_errors *errs);
void zk_kube_validate_replication_controller(const json_t *obj, const json_t *old,
                                             zk_field_errors *errs);
void zk_kube_validate_pod_template(const json_t *obj, const json_t *old, zk_field_errors *errs);

void zk_kube_validate_deployment(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_replica_set(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_stateful_set(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_daemon_set(const json_t *obj, const json_t *old, zk_field_errors *errs);

void zk_kube_validate_job(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_cron_job(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_hpa(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_pdb(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_ingress(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_network_policy(const json_t *obj, const json_t *old,
                                     zk_field_errors *errs);
void zk_kube_validate_role(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_cluster_role(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_role_binding(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_cluster_role_binding(const json_t *obj, const json_t *old,
                                           zk_field_errors *errs);
void zk_kube_validate_lease(const json_t *obj, const json_t *old, zk_field_errors *errs);
void zk_kube_validate_endpoint_slice(const json_t *obj, const json_t *old,
                                     zk_field_errors *errs);
void zk_kube_validate_crd(const json_t *obj, const json_t *old, zk_field_errors *errs);

/* Is s a valid 5-field cron schedule or descriptor (@hourly, @every 1h, ...)
 * as robfig/cron's ParseStandard accepts? On failure why gets its message,
 * e.g. "expected exactly 5 fields, found 1: [foo]". */
bool zk_kube_cron_schedule_valid(const char *s, char *why, size_t n);

#endif
