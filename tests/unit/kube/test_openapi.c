#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "kube/openapi.h"

static const char *const sub_status[] = { "status", NULL };
static const char *const sub_scale[] = { "status", "scale", NULL };
static const char *const sub_pod[] = {
    "status", "log", "exec", "attach", "portforward", "proxy", "binding", "eviction",
    "ephemeralcontainers", "resize", NULL,
};
static const char *const sub_sa[] = { "token", NULL };
static const char *const verbs_create[] = { "create", NULL };

#define K(g, v, k, r, ns, sub) \
    { g, v, k, r, ns, NULL, sub, NULL, NULL }

/* A kinds table like the API server's; types are filled in from the schemas. */
static zk_openapi_kind builtin[] = {
    K("", "v1", "Namespace", "namespaces", false, sub_status),
    K("", "v1", "Pod", "pods", true, sub_pod),
    K("", "v1", "Node", "nodes", false, sub_status),
    K("", "v1", "Service", "services", true, sub_status),
    K("", "v1", "Endpoints", "endpoints", true, NULL),
    K("", "v1", "ConfigMap", "configmaps", true, NULL),
    K("", "v1", "Secret", "secrets", true, NULL),
    K("", "v1", "ServiceAccount", "serviceaccounts", true, sub_sa),
    K("", "v1", "Event", "events", true, NULL),
    K("", "v1", "LimitRange", "limitranges", true, NULL),
    K("", "v1", "ResourceQuota", "resourcequotas", true, sub_status),
    K("", "v1", "ReplicationController", "replicationcontrollers", true, sub_scale),
    K("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, sub_status),
    K("apps", "v1", "Deployment", "deployments", true, sub_scale),
    K("apps", "v1", "ReplicaSet", "replicasets", true, sub_scale),
    K("apps", "v1", "DaemonSet", "daemonsets", true, sub_status),
    K("apps", "v1", "StatefulSet", "statefulsets", true, sub_scale),
    K("apps", "v1", "ControllerRevision", "controllerrevisions", true, NULL),
    K("batch", "v1", "Job", "jobs", true, sub_status),
    K("batch", "v1", "CronJob", "cronjobs", true, sub_status),
    K("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true,
      sub_status),
    K("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true,
      sub_status),
    K("coordination.k8s.io", "v1", "Lease", "leases", true, NULL),
    K("events.k8s.io", "v1", "Event", "events", true, NULL),
    K("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, NULL),
    K("networking.k8s.io", "v1", "Ingress", "ingresses", true, sub_status),
    K("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, NULL),
    K("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, NULL),
    K("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, sub_status),
    K("rbac.authorization.k8s.io", "v1", "Role", "roles", true, NULL),
    K("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, NULL),
    K("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, NULL),
    K("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false,
      NULL),
    K("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews",
      false, NULL),
    K("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", false,
      NULL),
    K("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews",
      false, NULL),
    K("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
      "mutatingwebhookconfigurations", false, NULL),
    K("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
      "validatingwebhookconfigurations", false, NULL),
    K("apiregistration.k8s.io", "v1", "APIService", "apiservices", false, sub_status),
    K("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
      false, sub_status),
    /* a custom resource, filled in by setup */
    K("zke.io", "v1", "HostGroup", "hostgroups", false, sub_status),
};
#define NKINDS (sizeof builtin / sizeof builtin[0])

static const char *crd_schema_text =
    "{\"type\":\"object\",\"description\":\"A group of hosts pods can be pinned to.\","
    "\"properties\":{\"metadata\":{\"type\":\"object\"},"
    "\"spec\":{\"type\":\"object\",\"required\":[\"hosts\"],\"properties\":{"
    "\"hosts\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
    "\"x-kubernetes-list-type\":\"set\"},"
    "\"exclusive\":{\"type\":\"boolean\",\"nullable\":true},"
    "\"port\":{\"x-kubernetes-int-or-string\":true,\"anyOf\":[{\"type\":\"integer\"},"
    "{\"type\":\"string\"}]}}},"
    "\"status\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}";

static json_t *crd_schema;

static int setup(void **state)
{
    zk_err err = { 0 };
    assert_int_equal(zk_json_decode(crd_schema_text, strlen(crd_schema_text), &crd_schema,
                                    &err), 0);
    for (size_t i = 0; i < NKINDS; i++) {
        if (!strcmp(builtin[i].group, "zke.io")) {
            builtin[i].crd_schema = crd_schema;
            continue;
        }
        builtin[i].type = zk_kube_schema_for_kind(builtin[i].group, builtin[i].version,
                                                  builtin[i].kind);
        assert_non_null(builtin[i].type);
        if (!strcmp(builtin[i].resource, "selfsubjectaccessreviews") ||
            !strcmp(builtin[i].resource, "subjectaccessreviews") ||
            !strcmp(builtin[i].resource, "selfsubjectrulesreviews"))
            builtin[i].verbs = verbs_create;
    }
    return 0;
}

static int teardown(void **state)
{
    json_decref(crd_schema);
    return 0;
}

/* Every {"$ref": ...} below j must name a member of defs. In a properties
 * object the keys are field names (JSONSchemaProps has one called "$ref"). */
static void check_refs(const json_t *j, const json_t *defs, const char *prefix, int *count)
{
    if (json_is_object(j)) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)j, key, val) {
            if (!strcmp(key, "$ref")) {
                assert_true(json_is_string(val));
                const char *ref = json_string_value(val);
                if (strncmp(ref, prefix, strlen(prefix)))
                    fail_msg("ref %s does not start with %s", ref, prefix);
                if (!json_object_get(defs, ref + strlen(prefix)))
                    fail_msg("ref %s does not resolve", ref);
                (*count)++;
            } else if (!strcmp(key, "properties") && json_is_object(val)) {
                const char *field;
                json_t *schema;
                json_object_foreach(val, field, schema)
                    check_refs(schema, defs, prefix, count);
            } else {
                check_refs(val, defs, prefix, count);
            }
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *val;
        json_array_foreach((json_t *)j, i, val)
            check_refs(val, defs, prefix, count);
    }
}

static bool gvk_is(const json_t *gvk, const char *group, const char *version, const char *kind)
{
    return json_is_object(gvk) && json_object_size(gvk) == 3 &&
           !strcmp(zk_json_str(gvk, "group") ?: "-", group) &&
           !strcmp(zk_json_str(gvk, "version") ?: "-", version) &&
           !strcmp(zk_json_str(gvk, "kind") ?: "-", kind);
}

/* The x-kubernetes-group-version-kind list of a definition holds this gvk. */
static bool def_has_gvk(const json_t *def, const char *group, const char *version,
                        const char *kind)
{
    const json_t *list = json_object_get(def, "x-kubernetes-group-version-kind");
    size_t i;
    json_t *g;
    json_array_foreach(list, i, g)
        if (gvk_is(g, group, version, kind))
            return true;
    return false;
}

static void test_v2_document(void **state)
{
    zk_autojson json_t *doc = zk_kube_openapi_v2(builtin, NKINDS, "v1.32.0");
    assert_string_equal(zk_json_str(doc, "swagger"), "2.0");
    assert_string_equal(zk_json_path_str(doc, "info", "version", NULL), "v1.32.0");
    json_t *defs = json_object_get(doc, "definitions");
    assert_true(json_object_size(defs) > 250);

    json_t *dep = json_object_get(defs, "io.k8s.api.apps.v1.Deployment");
    assert_non_null(dep);
    assert_true(def_has_gvk(dep, "apps", "v1", "Deployment"));
    assert_string_equal(zk_json_path_str(dep, "properties", "spec", "$ref", NULL),
                        "#/definitions/io.k8s.api.apps.v1.DeploymentSpec");
    json_t *list = json_object_get(defs, "io.k8s.api.apps.v1.DeploymentList");
    assert_true(def_has_gvk(list, "apps", "v1", "DeploymentList"));
    assert_true(def_has_gvk(json_object_get(defs, "io.k8s.api.core.v1.Pod"), "", "v1", "Pod"));

    /* patch metadata on list fields */
    json_t *containers = zk_json_path(defs, "io.k8s.api.core.v1.PodSpec", "properties",
                                      "containers", NULL);
    assert_string_equal(zk_json_str(containers, "x-kubernetes-patch-merge-key"), "name");
    assert_string_equal(zk_json_str(containers, "x-kubernetes-patch-strategy"), "merge");
    assert_string_equal(zk_json_path_str(containers, "items", "$ref", NULL),
                        "#/definitions/io.k8s.api.core.v1.Container");
    json_t *volumes = zk_json_path(defs, "io.k8s.api.core.v1.PodSpec", "properties", "volumes",
                                   NULL);
    assert_string_equal(zk_json_str(volumes, "x-kubernetes-patch-strategy"),
                        "merge,retainKeys");
    json_t *required = zk_json_path(defs, "io.k8s.api.core.v1.PodSpec", "required", NULL);
    assert_string_equal(json_string_value(json_array_get(required, 0)), "containers");

    /* scalar kinds as upstream */
    json_t *ios = json_object_get(defs, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    assert_string_equal(zk_json_str(ios, "type"), "string");
    assert_string_equal(zk_json_str(ios, "format"), "int-or-string");
    json_t *qty = json_object_get(defs, "io.k8s.apimachinery.pkg.api.resource.Quantity");
    assert_string_equal(zk_json_str(qty, "type"), "string");
    assert_string_equal(zk_json_path_str(defs, "io.k8s.api.core.v1.ResourceRequirements",
                                         "properties", "limits", "additionalProperties",
                                         "$ref", NULL),
                        "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity");
    assert_string_equal(zk_json_path_str(defs, "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
                                         "format", NULL), "date-time");

    /* every reference resolves */
    int refs = 0;
    check_refs(doc, defs, "#/definitions/", &refs);
    assert_true(refs > 1000);

    /* paths: collection and item operations with their extensions */
    json_t *paths = json_object_get(doc, "paths");
    json_t *item = json_object_get(paths, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
    assert_non_null(item);
    json_t *patch = json_object_get(item, "patch");
    assert_string_equal(zk_json_str(patch, "x-kubernetes-action"), "patch");
    assert_true(gvk_is(json_object_get(patch, "x-kubernetes-group-version-kind"), "apps", "v1",
                       "Deployment"));
    assert_string_equal(zk_json_str(patch, "operationId"), "patchAppsV1NamespacedDeployment");
    json_t *coll = json_object_get(paths, "/apis/apps/v1/namespaces/{namespace}/deployments");
    assert_string_equal(zk_json_path_str(coll, "get", "x-kubernetes-action", NULL), "list");
    assert_string_equal(zk_json_path_str(coll, "post", "x-kubernetes-action", NULL), "post");
    assert_string_equal(zk_json_path_str(coll, "delete", "x-kubernetes-action", NULL),
                        "deletecollection");
    assert_non_null(json_object_get(paths, "/apis/apps/v1/deployments"));
    assert_non_null(json_object_get(paths, "/api/v1/namespaces/{name}"));
    assert_non_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/pods/{name}/log"));
    assert_true(gvk_is(zk_json_path(paths,
                                    "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
                                    "put", "x-kubernetes-group-version-kind", NULL),
                       "autoscaling", "v1", "Scale"));
    /* the body of a v2 create is a body parameter */
    json_t *params = zk_json_path(coll, "post", "parameters", NULL);
    json_t *body = json_array_get(params, 0);
    assert_string_equal(zk_json_str(body, "in"), "body");
    assert_string_equal(zk_json_path_str(body, "schema", "$ref", NULL),
                        "#/definitions/io.k8s.api.apps.v1.Deployment");

    /* the custom resource, with keywords Swagger 2.0 lacks removed */
    json_t *hg = json_object_get(defs, "io.zke.v1.HostGroup");
    assert_non_null(hg);
    assert_true(def_has_gvk(hg, "zke.io", "v1", "HostGroup"));
    assert_true(def_has_gvk(json_object_get(defs, "io.zke.v1.HostGroupList"), "zke.io", "v1",
                            "HostGroupList"));
    assert_string_equal(zk_json_path_str(hg, "properties", "metadata", "$ref", NULL),
                        "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    json_t *excl = zk_json_path(hg, "properties", "spec", "properties", "exclusive", NULL);
    assert_non_null(excl);
    assert_null(json_object_get(excl, "nullable"));
    json_t *port = zk_json_path(hg, "properties", "spec", "properties", "port", NULL);
    assert_null(json_object_get(port, "anyOf"));
    assert_true(json_is_true(json_object_get(port, "x-kubernetes-int-or-string")));
    assert_non_null(json_object_get(paths, "/apis/zke.io/v1/hostgroups/{name}/status"));

    /* generation is deterministic */
    zk_autojson json_t *again = zk_kube_openapi_v2(builtin, NKINDS, "v1.32.0");
    assert_true(json_equal(doc, again));
}

/* client-go's queryParamVerifierV3: the first PATCH operation (map order, so
 * any of them) whose x-kubernetes-group-version-kind is gvk must list the
 * query parameter, and there must be one. */
static bool supports_query_param_v3(const json_t *doc, const char *group, const char *version,
                                    const char *kind, const char *param)
{
    const json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *item;
    int patches = 0;
    json_object_foreach((json_t *)paths, path, item) {
        json_t *op = json_object_get(item, "patch");
        if (!op || !gvk_is(json_object_get(op, "x-kubernetes-group-version-kind"), group,
                           version, kind))
            continue;
        patches++;
        bool found = false;
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(op, "parameters"), i, p)
            if (!strcmp(zk_json_str(p, "name") ?: "", param) &&
                !strcmp(zk_json_str(p, "in") ?: "", "query"))
                found = true;
        if (!found)
            return false;
    }
    return patches > 0;
}

static void test_v3_group_version(void **state)
{
    zk_autojson json_t *doc = zk_kube_openapi_v3_group_version(builtin, NKINDS, "apps", "v1");
    assert_non_null(doc);
    assert_string_equal(zk_json_str(doc, "openapi"), "3.0.0");
    json_t *schemas = zk_json_path(doc, "components", "schemas", NULL);
    assert_non_null(json_object_get(schemas, "io.k8s.api.apps.v1.Deployment"));
    assert_non_null(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    assert_non_null(json_object_get(schemas, "io.k8s.api.core.v1.PodSpec"));
    assert_null(json_object_get(schemas, "io.k8s.api.batch.v1.Job"));
    int refs = 0;
    check_refs(doc, schemas, "#/components/schemas/", &refs);
    assert_true(refs > 300);

    /* the PATCH kubectl checks for server-side field validation */
    json_t *patch = zk_json_path(doc, "paths",
                                 "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
                                 "patch", NULL);
    assert_non_null(patch);
    assert_true(gvk_is(json_object_get(patch, "x-kubernetes-group-version-kind"), "apps", "v1",
                       "Deployment"));
    bool fv = false;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(patch, "parameters"), i, p)
        if (!strcmp(zk_json_str(p, "name"), "fieldValidation")) {
            fv = true;
            assert_string_equal(zk_json_str(p, "in"), "query");
            assert_string_equal(zk_json_path_str(p, "schema", "type", NULL), "string");
        }
    assert_true(fv);
    assert_non_null(zk_json_path(patch, "requestBody", "content",
                                 "application/strategic-merge-patch+json", NULL));
    assert_non_null(zk_json_path(patch, "responses", "200", "content", "application/json",
                                 "schema", "$ref", NULL));

    /* every kind of every group-version passes kubectl's check */
    for (size_t k = 0; k < NKINDS; k++) {
        if (builtin[k].verbs == verbs_create)
            continue;
        zk_autojson json_t *gv = zk_kube_openapi_v3_group_version(
            builtin, NKINDS, builtin[k].group, builtin[k].version);
        if (!supports_query_param_v3(gv, builtin[k].group, builtin[k].version,
                                     builtin[k].kind, "fieldValidation"))
            fail_msg("%s/%s %s: no PATCH with fieldValidation", builtin[k].group,
                     builtin[k].version, builtin[k].kind);
    }

    /* what kubectl explain deployment.spec.strategy walks through */
    const json_t *dep = NULL;
    const char *name;
    json_t *s;
    json_object_foreach(schemas, name, s)
        if (def_has_gvk(s, "apps", "v1", "Deployment"))
            dep = s;
    assert_non_null(dep);
    json_t *spec = zk_json_path(dep, "properties", "spec", NULL);
    assert_true(json_is_array(json_object_get(spec, "allOf")));
    const char *ref = zk_json_str(json_array_get(json_object_get(spec, "allOf"), 0), "$ref");
    assert_string_equal(ref, "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec");
    json_t *strategy = zk_json_path(schemas, "io.k8s.api.apps.v1.DeploymentSpec", "properties",
                                    "strategy", NULL);
    assert_non_null(zk_json_str(strategy, "description"));
    assert_string_equal(zk_json_str(strategy, "x-kubernetes-patch-strategy"), "retainKeys");
    json_t *ds = json_object_get(schemas, "io.k8s.api.apps.v1.DeploymentStrategy");
    assert_non_null(zk_json_str(ds, "description"));
    assert_string_equal(zk_json_path_str(ds, "properties", "type", "type", NULL), "string");
    assert_non_null(zk_json_path(ds, "properties", "type", "enum", NULL));
    assert_non_null(zk_json_path(ds, "properties", "rollingUpdate", "allOf", NULL));

    /* no such group-version */
    assert_null(zk_kube_openapi_v3_group_version(builtin, NKINDS, "apps", "v1beta1"));
    assert_null(zk_kube_openapi_v3_group_version(builtin, NKINDS, "nope", "v1"));
}

static void test_v3_core_and_crd(void **state)
{
    zk_autojson json_t *core = zk_kube_openapi_v3_group_version(builtin, NKINDS, "", "v1");
    assert_non_null(core);
    assert_non_null(zk_json_path(core, "paths", "/api/v1/namespaces/{name}", "patch", NULL));
    assert_true(supports_query_param_v3(core, "", "v1", "Namespace", "fieldValidation"));
    json_t *schemas = zk_json_path(core, "components", "schemas", NULL);
    int refs = 0;
    check_refs(core, schemas, "#/components/schemas/", &refs);
    /* subresource kinds come along */
    assert_non_null(json_object_get(schemas, "io.k8s.api.autoscaling.v1.Scale"));
    assert_non_null(json_object_get(schemas, "io.k8s.api.policy.v1.Eviction"));
    assert_non_null(json_object_get(schemas, "io.k8s.api.authentication.v1.TokenRequest"));

    zk_autojson json_t *crd = zk_kube_openapi_v3_group_version(builtin, NKINDS, "zke.io",
                                                               "v1");
    assert_non_null(crd);
    schemas = zk_json_path(crd, "components", "schemas", NULL);
    json_t *hg = json_object_get(schemas, "io.zke.v1.HostGroup");
    assert_true(def_has_gvk(hg, "zke.io", "v1", "HostGroup"));
    /* v3 keeps what v3 can say */
    assert_true(json_is_true(zk_json_path(hg, "properties", "spec", "properties", "exclusive",
                                          "nullable", NULL)));
    assert_string_equal(zk_json_path_str(hg, "description", NULL),
                        "A group of hosts pods can be pinned to.");
    assert_true(supports_query_param_v3(crd, "zke.io", "v1", "HostGroup", "fieldValidation"));
    refs = 0;
    check_refs(crd, schemas, "#/components/schemas/", &refs);
    assert_true(refs > 3);
}

static void test_v3_index(void **state)
{
    zk_autojson json_t *index = zk_kube_openapi_v3_index(builtin, NKINDS);
    json_t *paths = json_object_get(index, "paths");
    assert_non_null(json_object_get(paths, "api/v1"));
    assert_non_null(json_object_get(paths, "apis/apps/v1"));
    assert_non_null(json_object_get(paths, "apis/autoscaling/v1"));
    assert_non_null(json_object_get(paths, "apis/autoscaling/v2"));
    assert_non_null(json_object_get(paths, "apis/zke.io/v1"));
    assert_int_equal(json_object_size(paths), 16);

    zk_autojson json_t *apps = zk_kube_openapi_v3_group_version(builtin, NKINDS, "apps", "v1");
    char *hash = zk_kube_openapi_hash(apps);
    assert_int_equal(strlen(hash), 128);
    char want[256];
    snprintf(want, sizeof want, "/openapi/v3/apis/apps/v1?hash=%s", hash);
    assert_string_equal(zk_json_path_str(paths, "apis/apps/v1", "serverRelativeURL", NULL), want);
    free(hash);

    /* stable across runs, different across documents */
    zk_autojson json_t *again = zk_kube_openapi_v3_index(builtin, NKINDS);
    assert_true(json_equal(index, again));
    assert_string_not_equal(zk_json_path_str(paths, "api/v1", "serverRelativeURL", NULL),
                            zk_json_path_str(paths, "apis/batch/v1", "serverRelativeURL", NULL));
}

static void test_names(void **state)
{
    zk_openapi_kind crd = { "stable.example.com", "v1beta1", "CronTab", "crontabs", true,
                            NULL, NULL, NULL, NULL };
    char *name = zk_kube_openapi_definition_name(&crd);
    assert_string_equal(name, "com.example.stable.v1beta1.CronTab");
    free(name);
    name = zk_kube_openapi_definition_name(&builtin[13]);
    assert_string_equal(name, "io.k8s.api.apps.v1.Deployment");
    free(name);

    /* a kind with neither type nor schema still gets a permissive definition */
    zk_autojson json_t *doc = zk_kube_openapi_v3_group_version(&crd, 1, "stable.example.com",
                                                               "v1beta1");
    json_t *def = zk_json_path(doc, "components", "schemas",
                               "com.example.stable.v1beta1.CronTab", NULL);
    assert_true(json_is_true(json_object_get(def, "x-kubernetes-preserve-unknown-fields")));
    assert_non_null(zk_json_path(doc, "paths",
                                 "/apis/stable.example.com/v1beta1/namespaces/{namespace}/"
                                 "crontabs/{name}", "patch", NULL));
    assert_string_equal(zk_json_path_str(doc, "paths",
                                         "/apis/stable.example.com/v1beta1/namespaces/"
                                         "{namespace}/crontabs/{name}", "patch", "operationId",
                                         NULL),
                        "patchStableExampleComV1beta1NamespacedCronTab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_document),
        cmocka_unit_test(test_v3_group_version),
        cmocka_unit_test(test_v3_core_and_crd),
        cmocka_unit_test(test_v3_index),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
