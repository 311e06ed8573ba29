#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kube/schema.h"

typedef struct gvk {
    const char *group, *version, *kind;
} gvk;

/* Every top-level kind zke declares a schema for. */
static const gvk kinds[] = {
    { "", "v1", "Namespace" },
    { "", "v1", "Pod" },
    { "", "v1", "Node" },
    { "", "v1", "Service" },
    { "", "v1", "Endpoints" },
    { "", "v1", "ConfigMap" },
    { "", "v1", "Secret" },
    { "", "v1", "ServiceAccount" },
    { "", "v1", "Event" },
    { "", "v1", "LimitRange" },
    { "", "v1", "ResourceQuota" },
    { "", "v1", "ReplicationController" },
    { "", "v1", "PersistentVolumeClaim" },
    { "", "v1", "Binding" },
    { "authentication.k8s.io", "v1", "TokenRequest" },
    { "autoscaling", "v1", "Scale" },
    { "apps", "v1", "Deployment" },
    { "apps", "v1", "ReplicaSet" },
    { "apps", "v1", "DaemonSet" },
    { "apps", "v1", "StatefulSet" },
    { "apps", "v1", "ControllerRevision" },
    { "batch", "v1", "Job" },
    { "batch", "v1", "CronJob" },
    { "autoscaling", "v1", "HorizontalPodAutoscaler" },
    { "autoscaling", "v2", "HorizontalPodAutoscaler" },
    { "coordination.k8s.io", "v1", "Lease" },
    { "events.k8s.io", "v1", "Event" },
    { "discovery.k8s.io", "v1", "EndpointSlice" },
    { "networking.k8s.io", "v1", "Ingress" },
    { "networking.k8s.io", "v1", "IngressClass" },
    { "networking.k8s.io", "v1", "NetworkPolicy" },
    { "policy", "v1", "PodDisruptionBudget" },
    { "policy", "v1", "Eviction" },
    { "rbac.authorization.k8s.io", "v1", "Role" },
    { "rbac.authorization.k8s.io", "v1", "ClusterRole" },
    { "rbac.authorization.k8s.io", "v1", "RoleBinding" },
    { "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding" },
    { "authorization.k8s.io", "v1", "SelfSubjectAccessReview" },
    { "authorization.k8s.io", "v1", "SubjectAccessReview" },
    { "authorization.k8s.io", "v1", "SelfSubjectRulesReview" },
    { "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration" },
    { "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration" },
    { "apiregistration.k8s.io", "v1", "APIService" },
    { "apiextensions.k8s.io", "v1", "CustomResourceDefinition" },
};

static bool in_all(const zk_schema_type *t)
{
    for (const zk_schema_type *const *a = zk_kube_schema_all(); *a; a++)
        if (*a == t)
            return true;
    return false;
}

/* The type a field refers to (directly, or as array item / map value). */
static const zk_schema_type *field_ref(const zk_schema_field *f)
{
    if (f->kind == ZK_S_OBJECT)
        return f->ref;
    if ((f->kind == ZK_S_ARRAY || f->kind == ZK_S_MAP) && f->elem.kind == ZK_S_OBJECT)
        return f->elem.ref;
    return NULL;
}

static const zk_schema_field *path_field(const char *group, const char *version,
                                         const char *kind, const char *path)
{
    const zk_schema_type *t = zk_kube_schema_for_kind(group, version, kind);
    assert_non_null(t);
    const zk_schema_field *f = NULL;
    for (const char *part = path; part;) {
        const char *dot = strchr(part, '.');
        size_t len = dot ? (size_t)(dot - part) : strlen(part);
        char name[128];
        assert_true(len < sizeof name);
        memcpy(name, part, len);
        name[len] = '\0';
        assert_non_null(t);
        f = zk_kube_schema_field(t, name);
        if (!f)
            fail_msg("%s/%s %s: no field %s", group, version, kind, name);
        t = field_ref(f);
        part = dot ? dot + 1 : NULL;
    }
    return f;
}

static void test_every_kind_resolves(void **state)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const zk_schema_type *t =
            zk_kube_schema_for_kind(kinds[i].group, kinds[i].version, kinds[i].kind);
        if (!t)
            fail_msg("no schema for %s/%s %s", kinds[i].group, kinds[i].version,
                     kinds[i].kind);
        assert_string_equal(t->gvk_group, kinds[i].group);
        assert_string_equal(t->gvk_version, kinds[i].version);
        assert_string_equal(t->gvk_kind, kinds[i].kind);
        assert_true(in_all(t));
        /* the definition name ends in the kind */
        size_t nl = strlen(t->name), kl = strlen(t->gvk_kind);
        assert_true(nl > kl && t->name[nl - kl - 1] == '.' &&
                    !strcmp(t->name + nl - kl, t->gvk_kind));
        assert_non_null(zk_kube_schema_field(t, "apiVersion"));
        assert_non_null(zk_kube_schema_field(t, "kind"));
        const zk_schema_field *md = zk_kube_schema_field(t, "metadata");
        assert_non_null(md);
        assert_int_equal(md->kind, ZK_S_OBJECT);
        assert_string_equal(md->ref->name, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    }
    /* autoscaling v1 and v2 HorizontalPodAutoscaler are distinct types */
    assert_ptr_not_equal(zk_kube_schema_for_kind("autoscaling", "v1", "HorizontalPodAutoscaler"),
                         zk_kube_schema_for_kind("autoscaling", "v2", "HorizontalPodAutoscaler"));
    assert_ptr_not_equal(zk_kube_schema_for_kind("", "v1", "Event"),
                         zk_kube_schema_for_kind("events.k8s.io", "v1", "Event"));
    assert_null(zk_kube_schema_for_kind("apps", "v1beta1", "Deployment"));
    assert_null(zk_kube_schema_for_kind("", "v1", "NoSuchKind"));
    assert_null(zk_kube_schema_for_kind(NULL, NULL, "Pod"));
    assert_non_null(zk_kube_schema_for_kind(NULL, "v1", "Pod"));
}

static void test_types_are_well_formed(void **state)
{
    size_t n = 0;
    const zk_schema_type *const *all = zk_kube_schema_all();
    for (const zk_schema_type *const *a = all; *a; a++, n++) {
        const zk_schema_type *t = *a;
        assert_non_null(t->name);
        assert_non_null(t->fields);
        assert_true(t->description && *t->description);
        /* names are unique across types */
        for (const zk_schema_type *const *b = a + 1; *b; b++)
            if (!strcmp(t->name, (*b)->name))
                fail_msg("type %s declared twice", t->name);
        for (const zk_schema_field *f = t->fields; f->name; f++) {
            /* no duplicate field names */
            for (const zk_schema_field *h = f + 1; h->name; h++)
                if (!strcmp(f->name, h->name))
                    fail_msg("%s: field %s twice", t->name, f->name);
            if (!f->description || !*f->description)
                fail_msg("%s.%s: no description", t->name, f->name);
            if (f->kind == ZK_S_OBJECT && !f->ref)
                fail_msg("%s.%s: object without a type", t->name, f->name);
            if ((f->kind == ZK_S_ARRAY || f->kind == ZK_S_MAP) && !f->elem.kind)
                fail_msg("%s.%s: list or map without items", t->name, f->name);
            if (f->elem.kind == ZK_S_OBJECT && !f->elem.ref)
                fail_msg("%s.%s: items without a type", t->name, f->name);
            const zk_schema_type *r = field_ref(f);
            if (r && !in_all(r))
                fail_msg("%s.%s: refers to %s, missing from zk_kube_schema_all", t->name,
                         f->name, r->name);
            if (f->enums && !f->enums[0])
                fail_msg("%s.%s: empty enum", t->name, f->name);
            /* a merge key names a field of the item type; map keys likewise */
            if (f->merge_key && f->elem.kind == ZK_S_OBJECT &&
                !zk_kube_schema_field(f->elem.ref, f->merge_key))
                fail_msg("%s.%s: merge key %s is not a field of %s", t->name, f->name,
                         f->merge_key, f->elem.ref->name);
            if (f->merge_key && f->kind != ZK_S_ARRAY)
                fail_msg("%s.%s: merge key on a non-list", t->name, f->name);
            for (const char *const *k = f->list_map_keys; k && *k; k++)
                if (f->elem.kind != ZK_S_OBJECT || !zk_kube_schema_field(f->elem.ref, *k))
                    fail_msg("%s.%s: list map key %s is not an item field", t->name, f->name,
                             *k);
            if (f->list_map_keys && (!f->list_type || strcmp(f->list_type, "map")))
                fail_msg("%s.%s: list map keys without listType map", t->name, f->name);
            if (f->list_type && f->kind != ZK_S_ARRAY)
                fail_msg("%s.%s: listType on a non-list", t->name, f->name);
        }
    }
    assert_true(n > 300);
}

/* Walk from every top-level kind: everything reachable is in the list. */
static void test_every_reachable_type_is_listed(void **state)
{
    enum { MAX = 1024 };
    const zk_schema_type *queue[MAX];
    size_t head = 0, tail = 0;
    for (const zk_schema_type *const *a = zk_kube_schema_all(); *a; a++)
        if ((*a)->gvk_kind)
            queue[tail++] = *a;
    assert_true(tail >= sizeof kinds / sizeof kinds[0]);
    while (head < tail) {
        const zk_schema_type *t = queue[head++];
        assert_true(in_all(t));
        for (const zk_schema_field *f = t->fields; f->name; f++) {
            const zk_schema_type *r = field_ref(f);
            if (!r)
                continue;
            bool seen = false;
            for (size_t i = 0; i < tail && !seen; i++)
                seen = queue[i] == r;
            if (!seen) {
                assert_true(tail < MAX);
                queue[tail++] = r;
            }
        }
    }
    /* and nearly everything listed is reachable from some kind */
    assert_true(tail > 300);
}

static void expect_merge(const char *group, const char *kind, const char *path,
                         const char *key)
{
    const zk_schema_field *f = path_field(group, "v1", kind, path);
    assert_int_equal(f->kind, ZK_S_ARRAY);
    if (!f->merge_key || strcmp(f->merge_key, key))
        fail_msg("%s %s: merge key %s, want %s", kind, path,
                 f->merge_key ? f->merge_key : "(none)", key);
    assert_true(f->strategy & ZK_PATCH_MERGE);
}

static void test_merge_keys(void **state)
{
    expect_merge("", "Pod", "spec.containers", "name");
    expect_merge("", "Pod", "spec.initContainers", "name");
    expect_merge("", "Pod", "spec.ephemeralContainers", "name");
    expect_merge("", "Pod", "spec.containers.env", "name");
    expect_merge("", "Pod", "spec.containers.ports", "containerPort");
    expect_merge("", "Pod", "spec.containers.volumeMounts", "mountPath");
    expect_merge("", "Pod", "spec.volumes", "name");
    expect_merge("", "Pod", "spec.imagePullSecrets", "name");
    expect_merge("", "Pod", "spec.hostAliases", "ip");
    expect_merge("", "Pod", "status.conditions", "type");
    expect_merge("", "Pod", "metadata.ownerReferences", "uid");
    expect_merge("", "Service", "spec.ports", "port");
    expect_merge("", "Node", "status.conditions", "type");
    expect_merge("", "Node", "status.addresses", "type");
    expect_merge("apps", "Deployment", "spec.template.spec.containers", "name");
    expect_merge("apps", "Deployment", "status.conditions", "type");
    expect_merge("batch", "CronJob", "spec.jobTemplate.spec.template.spec.containers.env",
                 "name");
    expect_merge("admissionregistration.k8s.io", "MutatingWebhookConfiguration", "webhooks",
                 "name");

    /* volumes are merge,retainKeys; ports are a map list on containerPort + protocol */
    const zk_schema_field *vol = path_field("", "v1", "Pod", "spec.volumes");
    assert_int_equal(vol->strategy, ZK_PATCH_MERGE | ZK_PATCH_RETAINKEYS);
    const zk_schema_field *ports = path_field("", "v1", "Pod", "spec.containers.ports");
    assert_string_equal(ports->list_type, "map");
    assert_string_equal(ports->list_map_keys[0], "containerPort");
    assert_string_equal(ports->list_map_keys[1], "protocol");
    assert_null(ports->list_map_keys[2]);

    /* tolerations and container args are atomic: no key, replaced whole */
    const zk_schema_field *tol = path_field("", "v1", "Pod", "spec.tolerations");
    assert_null(tol->merge_key);
    assert_int_equal(tol->strategy, ZK_PATCH_NONE);
    assert_string_equal(tol->list_type, "atomic");
    assert_null(path_field("", "v1", "Pod", "spec.containers.args")->merge_key);

    /* finalizers merge as a set of strings */
    const zk_schema_field *fin = path_field("", "v1", "Namespace", "metadata.finalizers");
    assert_int_equal(fin->elem.kind, ZK_S_STRING);
    assert_true(fin->strategy & ZK_PATCH_MERGE);

    /* the deployment strategy retains keys */
    assert_int_equal(path_field("apps", "v1", "Deployment", "spec.strategy")->strategy,
                     ZK_PATCH_RETAINKEYS);
}

static void test_field_types(void **state)
{
    const zk_schema_field *f;
    f = path_field("", "v1", "Pod", "spec.containers.resources.limits");
    assert_int_equal(f->kind, ZK_S_MAP);
    assert_int_equal(f->elem.kind, ZK_S_QUANTITY);
    f = path_field("", "v1", "Service", "spec.ports.targetPort");
    assert_int_equal(f->kind, ZK_S_INT_OR_STRING);
    f = path_field("apps", "v1", "Deployment", "spec.strategy.rollingUpdate.maxSurge");
    assert_int_equal(f->kind, ZK_S_INT_OR_STRING);
    f = path_field("", "v1", "Pod", "metadata.creationTimestamp");
    assert_int_equal(f->kind, ZK_S_TIME);
    f = path_field("coordination.k8s.io", "v1", "Lease", "spec.renewTime");
    assert_int_equal(f->kind, ZK_S_TIME);
    assert_string_equal(f->format, "micro-time");
    f = path_field("", "v1", "Secret", "data");
    assert_int_equal(f->elem.kind, ZK_S_BYTES);
    f = path_field("apps", "v1", "Deployment", "spec.replicas");
    assert_int_equal(f->kind, ZK_S_INTEGER);
    assert_string_equal(f->format, "int32");
    f = path_field("", "v1", "Pod", "spec.terminationGracePeriodSeconds");
    assert_string_equal(f->format, "int64");
    f = path_field("", "v1", "Pod", "spec.containers.name");
    assert_true(f->flags & ZK_F_REQUIRED);
    f = path_field("", "v1", "Pod", "spec.containers.imagePullPolicy");
    assert_non_null(f->enums);
    f = path_field("apps", "v1", "Deployment", "spec.selector");
    assert_true(f->flags & ZK_F_REQUIRED);
    f = path_field("apps", "v1", "ControllerRevision", "data");
    assert_int_equal(f->kind, ZK_S_ANY);
    /* JSONSchemaProps is recursive */
    f = path_field("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                   "spec.versions.schema.openAPIV3Schema.properties");
    assert_int_equal(f->kind, ZK_S_MAP);
    assert_string_equal(f->elem.ref->name,
                        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps");
    assert_null(zk_kube_schema_field(NULL, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_resolves),
        cmocka_unit_test(test_types_are_well_formed),
        cmocka_unit_test(test_every_reachable_type_is_listed),
        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test(test_field_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
