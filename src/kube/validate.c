/* The table of per-kind validators, looked up by group/version/kind. */
#include <string.h>

#include "base/mem.h"
#include "kube/validate.h"

typedef struct validator_row {
    const char *group, *version, *kind;
    zk_kube_validator fn;
} validator_row;

/* version NULL: every version of the group serves the same shape here. */
static const validator_row validators[] = {
    {"", "v1", "Pod", zk_kube_validate_pod},
    {"", "v1", "PodTemplate", zk_kube_validate_pod_template},
    {"", "v1", "Service", zk_kube_validate_service},
    {"", "v1", "ConfigMap", zk_kube_validate_config_map},
    {"", "v1", "Secret", zk_kube_validate_secret},
    {"", "v1", "Namespace", zk_kube_validate_namespace},
    {"", "v1", "ServiceAccount", zk_kube_validate_service_account},
    {"", "v1", "ReplicationController", zk_kube_validate_replication_controller},
    {"apps", "v1", "Deployment", zk_kube_validate_deployment},
    {"apps", "v1", "ReplicaSet", zk_kube_validate_replica_set},
    {"apps", "v1", "StatefulSet", zk_kube_validate_stateful_set},
    {"apps", "v1", "DaemonSet", zk_kube_validate_daemon_set},
    {"batch", "v1", "Job", zk_kube_validate_job},
    {"batch", "v1", "CronJob", zk_kube_validate_cron_job},
    {"autoscaling", "v2", "HorizontalPodAutoscaler", zk_kube_validate_hpa},
    {"policy", "v1", "PodDisruptionBudget", zk_kube_validate_pdb},
    {"networking.k8s.io", "v1", "Ingress", zk_kube_validate_ingress},
    {"networking.k8s.io", "v1", "NetworkPolicy", zk_kube_validate_network_policy},
    {"rbac.authorization.k8s.io", "v1", "Role", zk_kube_validate_role},
    {"rbac.authorization.k8s.io", "v1", "ClusterRole", zk_kube_validate_cluster_role},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", zk_kube_validate_role_binding},
    {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding",
     zk_kube_validate_cluster_role_binding},
    {"coordination.k8s.io", "v1", "Lease", zk_kube_validate_lease},
    {"discovery.k8s.io", "v1", "EndpointSlice", zk_kube_validate_endpoint_slice},
    {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", zk_kube_validate_crd},
};

zk_kube_validator zk_kube_validator_for(const char *group, const char *version, const char *kind)
{
    if (!kind)
        return NULL;
    if (!group)
        group = "";
    for (size_t i = 0; i < ZK_ARRAY_LEN(validators); i++) {
        const validator_row *r = &validators[i];
        if (strcmp(r->group, group) == 0 && strcmp(r->kind, kind) == 0 &&
            (!r->version || !version || strcmp(r->version, version) == 0))
            return r->fn;
    }
    return NULL;
}

void zk_kube_validate(const json_t *obj, const json_t *old, const char *group,
                      const char *version, const char *kind, bool namespaced,
                      zk_field_errors *errs)
{
    zk_kube_validate_object_meta(obj, old, namespaced, zk_kube_name_rule_for(group, kind), errs);
    zk_kube_validator fn = zk_kube_validator_for(group, version, kind);
    if (fn)
        fn(obj, old, errs);
}
