#include "apiserver/kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/map.h"
#include "base/mem.h"
#include "base/str.h"

#define ALL ZK_VERBS_ALL
#define CREATE_ONLY ZK_VERBS_CREATE_ONLY
#define GEN ZK_KF_GENERATION

/* group, version, kind, resource, singular, namespaced, verbs, subresources,
 * flags, short names, in "all", storage */
static const zk_kind zk__builtin[] = {
    /* core/v1 */
    {"", "v1", "Namespace", "namespaces", "namespace", false, ALL & ~ZK_VERB_DELETECOLLECTION,
     ZK_SUB_STATUS | ZK_SUB_FINALIZE, 0, {"ns"}, false, "core/namespaces"},
    {"", "v1", "Pod", "pods", "pod", true, ALL,
     ZK_SUB_STATUS | ZK_SUB_BINDING | ZK_SUB_LOG | ZK_SUB_EXEC | ZK_SUB_EVICTION | ZK_SUB_EPHEMERAL,
     0, {"po"}, true, "core/pods"},
    {"", "v1", "Binding", "bindings", "binding", true, CREATE_ONLY, 0, ZK_KF_VIRTUAL, {0}, false,
     "core/bindings"},
    {"", "v1", "Node", "nodes", "node", false, ALL, ZK_SUB_STATUS, 0, {"no"}, false, "core/nodes"},
    {"", "v1", "Service", "services", "service", true, ALL, ZK_SUB_STATUS, 0, {"svc"}, true,
     "core/services"},
    {"", "v1", "Endpoints", "endpoints", "endpoints", true, ALL, 0, 0, {"ep"}, false,
     "core/endpoints"},
    {"", "v1", "ConfigMap", "configmaps", "configmap", true, ALL, 0, 0, {"cm"}, false,
     "core/configmaps"},
    {"", "v1", "Secret", "secrets", "secret", true, ALL, 0, 0, {0}, false, "core/secrets"},
    {"", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", true, ALL, ZK_SUB_TOKEN, 0,
     {"sa"}, false, "core/serviceaccounts"},
    {"", "v1", "Event", "events", "event", true, ALL, 0, 0, {"ev"}, false, "core/events"},
    {"", "v1", "LimitRange", "limitranges", "limitrange", true, ALL, 0, 0, {"limits"}, false,
     "core/limitranges"},
    {"", "v1", "ResourceQuota", "resourcequotas", "resourcequota", true, ALL, ZK_SUB_STATUS, 0,
     {"quota"}, false, "core/resourcequotas"},
    {"", "v1", "ReplicationController", "replicationcontrollers", "replicationcontroller", true,
     ALL, ZK_SUB_STATUS | ZK_SUB_SCALE, GEN, {"rc"}, true, "core/replicationcontrollers"},
    {"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", true,
     ALL, ZK_SUB_STATUS, 0, {"pvc"}, false, "core/persistentvolumeclaims"},
    /* apps/v1 */
    {"apps", "v1", "Deployment", "deployments", "deployment", true, ALL,
     ZK_SUB_STATUS | ZK_SUB_SCALE, GEN, {"deploy"}, true, "apps/deployments"},
    {"apps", "v1", "ReplicaSet", "replicasets", "replicaset", true, ALL,
     ZK_SUB_STATUS | ZK_SUB_SCALE, GEN, {"rs"}, true, "apps/replicasets"},
    {"apps", "v1", "DaemonSet", "daemonsets", "daemonset", true, ALL, ZK_SUB_STATUS, GEN,
     {"ds"}, true, "apps/daemonsets"},
    {"apps", "v1", "StatefulSet", "statefulsets", "statefulset", true, ALL,
     ZK_SUB_STATUS | ZK_SUB_SCALE, GEN, {"sts"}, true, "apps/statefulsets"},
    {"apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", true, ALL,
     0, 0, {0}, false, "apps/controllerrevisions"},
    /* batch/v1 */
    {"batch", "v1", "Job", "jobs", "job", true, ALL, ZK_SUB_STATUS, GEN, {0}, true, "batch/jobs"},
    {"batch", "v1", "CronJob", "cronjobs", "cronjob", true, ALL, ZK_SUB_STATUS, GEN, {"cj"},
     true, "batch/cronjobs"},
    /* autoscaling: v2 is the storage version, v1 is converted */
    {"autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
     "horizontalpodautoscaler", true, ALL, ZK_SUB_STATUS, GEN, {"hpa"}, true,
     "autoscaling/horizontalpodautoscalers"},
    {"autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
     "horizontalpodautoscaler", true, ALL, ZK_SUB_STATUS, GEN, {"hpa"}, true,
     "autoscaling/horizontalpodautoscalers"},
    /* coordination, events, discovery */
    {"coordination.k8s.io", "v1", "Lease", "leases", "lease", true, ALL, 0, 0, {0}, false,
     "coordination.k8s.io/leases"},
    /* one storage with core/v1 Events (the storage version), converted */
    {"events.k8s.io", "v1", "Event", "events", "event", true, ALL, 0, 0, {"ev"}, false,
     "core/events"},
    {"discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", true, ALL, 0,
     0, {0}, false, "discovery.k8s.io/endpointslices"},
    /* networking */
    {"networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", true, ALL, ZK_SUB_STATUS, GEN,
     {"ing"}, false, "networking.k8s.io/ingresses"},
    {"networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", false, ALL, 0,
     0, {0}, false, "networking.k8s.io/ingressclasses"},
    {"networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "networkpolicy", true, ALL, 0,
     GEN, {"netpol"}, false, "networking.k8s.io/networkpolicies"},
    /* policy */
    {"policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", true,
     ALL, ZK_SUB_STATUS, GEN, {"pdb"}, false, "policy/poddisruptionbudgets"},
    /* rbac */
    {"rbac.authorization.k8s.io", "v1", "Role", "roles", "role", true, ALL, 0, 0, {0}, false,
     "rbac/roles"},
    {"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", false, ALL,
     0, 0, {0}, false, "rbac/clusterroles"},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", true, ALL,
     0, 0, {0}, false, "rbac/rolebindings"},
    {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
     "clusterrolebinding", false, ALL, 0, 0, {0}, false, "rbac/clusterrolebindings"},
    /* authorization reviews: answered, not stored */
    {"authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews",
     "selfsubjectaccessreview", false, CREATE_ONLY, 0, ZK_KF_VIRTUAL, {0}, false,
     "authorization/selfsubjectaccessreviews"},
    {"authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews",
     "selfsubjectrulesreview", false, CREATE_ONLY, 0, ZK_KF_VIRTUAL, {0}, false,
     "authorization/selfsubjectrulesreviews"},
    {"authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews",
     "subjectaccessreview", false, CREATE_ONLY, 0, ZK_KF_VIRTUAL, {0}, false,
     "authorization/subjectaccessreviews"},
    {"authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews",
     "localsubjectaccessreview", true, CREATE_ONLY, 0, ZK_KF_VIRTUAL, {0}, false,
     "authorization/localsubjectaccessreviews"},
    {"authentication.k8s.io", "v1", "TokenReview", "tokenreviews", "tokenreview", false,
     CREATE_ONLY, 0, ZK_KF_VIRTUAL, {0}, false, "authentication/tokenreviews"},
    {"authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews",
     "selfsubjectreview", false, CREATE_ONLY, 0, ZK_KF_VIRTUAL, {0}, false,
     "authentication/selfsubjectreviews"},
    /* admission registration */
    {"admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
     "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", false, ALL, 0, GEN, {0},
     false, "admissionregistration/mutatingwebhookconfigurations"},
    {"admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
     "validatingwebhookconfigurations", "validatingwebhookconfiguration", false, ALL, 0, GEN,
     {0}, false, "admissionregistration/validatingwebhookconfigurations"},
    /* aggregation and extensions */
    {"apiregistration.k8s.io", "v1", "APIService", "apiservices", "apiservice", false, ALL,
     ZK_SUB_STATUS, 0, {0}, false, "apiregistration/apiservices"},
    {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
     "customresourcedefinition", false, ALL, ZK_SUB_STATUS, GEN, {"crd", "crds"}, false,
     "apiextensions/customresourcedefinitions"},
};

const zk_kind *zk_kinds_builtin(size_t *n)
{
    *n = ZK_ARRAY_LEN(zk__builtin);
    return zk__builtin;
}

/* Served rows: the built-ins first, then custom ones (heap rows). */
static zk_kind **zk__custom;
static size_t zk__ncustom;
static unsigned zk__generation;

void zk_kinds_init(void)
{
    zk__generation++;
}

const zk_kind *zk_kinds_next(size_t *pos)
{
    while (*pos < ZK_ARRAY_LEN(zk__builtin) + zk__ncustom) {
        size_t i = (*pos)++;
        if (i < ZK_ARRAY_LEN(zk__builtin))
            return &zk__builtin[i];
        zk_kind *k = zk__custom[i - ZK_ARRAY_LEN(zk__builtin)];
        if (k->served)
            return k;
    }
    return NULL;
}

/* "group/version/resource" -> row, rebuilt when the set of kinds changes */
static zk_map *zk__index;
static unsigned zk__index_gen;

const zk_kind *zk_kinds_find(const char *group, const char *version, const char *resource)
{
    char key[512];
    if (!zk__index || zk__index_gen != zk__generation) {
        zk_map_free(zk__index);
        zk__index = zk_map_new();
        size_t pos = 0;
        const zk_kind *k;
        while ((k = zk_kinds_next(&pos))) {
            snprintf(key, sizeof(key), "%s/%s/%s", k->group, k->version, k->resource);
            if (!zk_map_get(zk__index, key))
                zk_map_put(zk__index, key, (void *)k);
        }
        zk__index_gen = zk__generation;
    }
    if (zk_str_concat(key, sizeof(key), group, "/", version, "/", resource, NULL) >= sizeof(key))
        return NULL;
    return zk_map_get(zk__index, key);
}

const zk_kind *zk_kinds_find_kind(const char *group, const char *version, const char *kind)
{
    size_t pos = 0;
    const zk_kind *k;
    while ((k = zk_kinds_next(&pos)))
        if (!strcmp(k->kind, kind) && !strcmp(k->version, version) && !strcmp(k->group, group))
            return k;
    return NULL;
}

const zk_kind *zk_kinds_find_group_kind(const char *group, const char *kind)
{
    size_t pos = 0;
    const zk_kind *k;
    while ((k = zk_kinds_next(&pos)))
        if (!strcmp(k->kind, kind) && !strcmp(k->group, group))
            return k;
    return NULL;
}

static void zk__kind_free(zk_kind *k)
{
    free((char *)k->group);
    free((char *)k->version);
    free((char *)k->kind);
    free((char *)k->resource);
    free((char *)k->singular);
    free((char *)k->storage);
    for (size_t i = 0; i < 4; i++)
        free((char *)k->short_names[i]);
    if (k->crd_schema)
        json_decref(k->crd_schema);
    if (k->printer_columns)
        json_decref(k->printer_columns);
    if (k->scale_paths)
        json_decref(k->scale_paths);
    free(k);
}

void zk_kinds_put_custom(zk_kind *k)
{
    for (size_t i = 0; i < zk__ncustom; i++) {
        zk_kind *o = zk__custom[i];
        if (!strcmp(o->group, k->group) && !strcmp(o->version, k->version) &&
            !strcmp(o->resource, k->resource)) {
            /* Rows are handed out as pointers; a replaced row is kept alive
             * (leaked) for in-flight requests only if referenced. Keep it
             * simple: swap the contents in place. */
            zk_kind tmp = *o;
            *o = *k;
            *k = tmp;
            zk__kind_free(k);
            zk__generation++;
            return;
        }
    }
    zk__custom = zk_xrealloc(zk__custom, (zk__ncustom + 1) * sizeof(zk_kind *));
    zk__custom[zk__ncustom++] = k;
    zk__generation++;
}

void zk_kinds_remove_custom(const char *group, const char *resource)
{
    for (size_t i = 0; i < zk__ncustom; i++) {
        zk_kind *o = zk__custom[i];
        if (!strcmp(o->group, group) && !strcmp(o->resource, resource))
            o->served = false; /* rows stay allocated: requests may hold them */
    }
    zk__generation++;
}

unsigned zk_kinds_generation(void)
{
    return zk__generation;
}

const char *zk_kind_api_version(const zk_kind *k, char *buf, size_t n)
{
    if (!k->group[0])
        return k->version;
    snprintf(buf, n, "%s/%s", k->group, k->version);
    return buf;
}
