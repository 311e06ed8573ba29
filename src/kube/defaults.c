/* The table of per-kind defaulters, looked up by group/version/kind. */
#include <string.h>

#include "base/mem.h"
#include "kube/defaults.h"

typedef struct defaulter_row {
    const char *group, *version, *kind;
    zk_kube_defaulter fn;
} defaulter_row;

static const defaulter_row defaulters[] = {
    {"", "v1", "Pod", zk_kube_default_pod},
    {"", "v1", "PodTemplate", zk_kube_default_pod_template},
    {"", "v1", "ReplicationController", zk_kube_default_replication_controller},
    {"", "v1", "Service", zk_kube_default_service},
    {"", "v1", "Secret", zk_kube_default_secret},
    {"", "v1", "Namespace", zk_kube_default_namespace},
    {"", "v1", "LimitRange", zk_kube_default_limit_range},
    {"", "v1", "PersistentVolumeClaim", zk_kube_default_pvc},
    {"apps", "v1", "Deployment", zk_kube_default_deployment},
    {"apps", "v1", "ReplicaSet", zk_kube_default_replica_set},
    {"apps", "v1", "DaemonSet", zk_kube_default_daemon_set},
    {"apps", "v1", "StatefulSet", zk_kube_default_stateful_set},
    {"batch", "v1", "Job", zk_kube_default_job},
    {"batch", "v1", "CronJob", zk_kube_default_cron_job},
    {"autoscaling", "v2", "HorizontalPodAutoscaler", zk_kube_default_hpa},
    {"networking.k8s.io", "v1", "NetworkPolicy", zk_kube_default_network_policy},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", zk_kube_default_role_binding},
    {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", zk_kube_default_role_binding},
    {"discovery.k8s.io", "v1", "EndpointSlice", zk_kube_default_endpoint_slice},
    {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", zk_kube_default_crd},
};

zk_kube_defaulter zk_kube_defaulter_for(const char *group, const char *version, const char *kind)
{
    if (!kind)
        return NULL;
    if (!group)
        group = "";
    for (size_t i = 0; i < ZK_ARRAY_LEN(defaulters); i++) {
        const defaulter_row *r = &defaulters[i];
        if (strcmp(r->group, group) == 0 && strcmp(r->kind, kind) == 0 &&
            (!version || strcmp(r->version, version) == 0))
            return r->fn;
    }
    return NULL;
}

void zk_kube_default(json_t *obj, const char *group, const char *version, const char *kind)
{
    zk_kube_defaulter fn = zk_kube_defaulter_for(group, version, kind);
    if (fn)
        fn(obj);
}
