/* zke kube: per-kind defaulting, as Kubernetes' v1 SetDefaults_* functions do.
 *
 * Defaulting runs after decoding and before admission and validation, on
 * create and on update. It fills in only what is absent (or, where Go's zero
 * value means "unset", empty), never overwrites what a client set, and is
 * idempotent: running it twice changes nothing the second time.
 *
 * Objects are jansson trees of the Kubernetes JSON; a defaulter modifies the
 * tree in place and takes no ownership. Missing intermediate objects are
 * created, as Go's zero-valued structs would be. A field of the wrong JSON
 * type is left alone (validation reports it).
 *
 * Things that are not defaulting in Kubernetes either and stay with the
 * registry: allocating clusterIP(s), nodePorts and healthCheckNodePort, uid,
 * generateName, and the Job selector, which needs the uid (see
 * zk_kube_job_generate_selector). */
#ifndef ZK_KUBE_DEFAULTS_H
#define ZK_KUBE_DEFAULTS_H

#include <jansson.h>

typedef void (*zk_kube_defaulter)(json_t *obj);

/* The defaulter of a kind, or NULL when Kubernetes defaults nothing in it.
 * group is "" for the core group. */
zk_kube_defaulter zk_kube_defaulter_for(const char *group, const char *version, const char *kind);

/* Run the kind's defaulter, if any. */
void zk_kube_default(json_t *obj, const char *group, const char *version, const char *kind);

/* Per-kind defaulters (what zk_kube_defaulter_for returns). */
void zk_kube_default_pod(json_t *obj);
void zk_kube_default_pod_template(json_t *obj);
void zk_kube_default_replication_controller(json_t *obj);
void zk_kube_default_service(json_t *obj);
void zk_kube_default_secret(json_t *obj);
void zk_kube_default_namespace(json_t *obj);
void zk_kube_default_limit_range(json_t *obj);
void zk_kube_default_pvc(json_t *obj);
void zk_kube_default_deployment(json_t *obj);
void zk_kube_default_replica_set(json_t *obj);
void zk_kube_default_daemon_set(json_t *obj);
void zk_kube_default_stateful_set(json_t *obj);
void zk_kube_default_job(json_t *obj);
void zk_kube_default_cron_job(json_t *obj);
void zk_kube_default_hpa(json_t *obj);
void zk_kube_default_network_policy(json_t *obj);
void zk_kube_default_role_binding(json_t *obj);         /* also ClusterRoleBinding */
void zk_kube_default_endpoint_slice(json_t *obj);
void zk_kube_default_crd(json_t *obj);

/* PodSpec defaults (restartPolicy, dnsPolicy, containers, probes, volumes,
 * ...) on a bare spec object, and on a PodTemplateSpec ({metadata, spec}),
 * whose spec is created when missing. Pod-only defaults (enableServiceLinks,
 * requests from limits, hostNetwork ports) are in zk_kube_default_pod. */
void zk_kube_default_pod_spec(json_t *spec);
void zk_kube_default_pod_template_spec(json_t *tmpl);

/* For a Job without spec.manualSelector=true and with metadata.uid set:
 * label the template with batch.kubernetes.io/controller-uid, job-name (and
 * their legacy keys) and select on the uid, as Kubernetes' job strategy does
 * before validation. A no-op without a uid. zk_kube_default_job calls it. */
void zk_kube_job_generate_selector(json_t *job);

/* On a Service update, carry over from old what the registry allocated and the
 * client may omit: clusterIP(s), ipFamilies, nodePorts, healthCheckNodePort
 * (Kubernetes' patchAllocatedValues). Call before validating the update. */
void zk_kube_service_patch_allocated(json_t *svc, const json_t *old);

#endif
