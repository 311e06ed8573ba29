/* Protobuf field numbers of the schema tables (schema_apps.c, schema_batch.c,
 * schema_other.c, schema_ext.c): every field of every type reachable from the
 * kinds of those groups carries its generated.proto number, and no two fields
 * of one type share one. meta/v1 and core/v1 types are numbered in their own
 * files and are not walked into here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "kube/schema.h"
/* for ZK_PB_INLINE, the encoding of PB_IN(outer, inner) */
#include "kube/schema_decl.h"

typedef struct gvk {
    const char *group, *version, *kind;
} gvk;

static const gvk kinds[] = {
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
    { "authorization.k8s.io", "v1", "SubjectAccessReview" },
    { "authorization.k8s.io", "v1", "SelfSubjectAccessReview" },
    { "authorization.k8s.io", "v1", "SelfSubjectRulesReview" },
    { "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration" },
    { "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration" },
    { "apiregistration.k8s.io", "v1", "APIService" },
    { "apiextensions.k8s.io", "v1", "CustomResourceDefinition" },
};

/* Definition-name prefixes of the types these files declare. autoscaling/v1
 * Scale shares N_AS1 but lives in schema_core.c; no kind here reaches it. */
static const char *const own_prefixes[] = {
    "io.k8s.api.apps.v1.",
    "io.k8s.api.batch.v1.",
    "io.k8s.api.autoscaling.v1.",
    "io.k8s.api.autoscaling.v2.",
    "io.k8s.api.coordination.v1.",
    "io.k8s.api.events.v1.",
    "io.k8s.api.discovery.v1.",
    "io.k8s.api.networking.v1.",
    "io.k8s.api.policy.v1.",
    "io.k8s.api.rbac.v1.",
    "io.k8s.api.authorization.v1.",
    "io.k8s.api.admissionregistration.v1.",
    "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.",
};

/* Rows that have no protobuf counterpart; type NULL means every top-level kind.
 * (Fields of structs Go embeds inline, such as IngressRule's http, do have
 * one: PB_IN(outer, inner).) */
static const struct {
    const char *type, *field;
} unnumbered[] = {
    /* TypeMeta: no kind's message holds apiVersion and kind; the protobuf
     * envelope (runtime.Unknown) carries them. */
    { NULL, "apiVersion" },
    { NULL, "kind" },
};
#define N_UNNUMBERED (sizeof unnumbered / sizeof unnumbered[0])

static bool own_type(const zk_schema_type *t)
{
    for (size_t i = 0; i < sizeof own_prefixes / sizeof own_prefixes[0]; i++)
        if (!strncmp(t->name, own_prefixes[i], strlen(own_prefixes[i])))
            return true;
    return false;
}

static const zk_schema_type *field_ref(const zk_schema_field *f)
{
    if (f->kind == ZK_S_OBJECT)
        return f->ref;
    if ((f->kind == ZK_S_ARRAY || f->kind == ZK_S_MAP) && f->elem.kind == ZK_S_OBJECT)
        return f->elem.ref;
    return NULL;
}

static int unnumbered_index(const zk_schema_type *t, const zk_schema_field *f)
{
    for (size_t i = 0; i < N_UNNUMBERED; i++) {
        bool type_matches = unnumbered[i].type ? !strcmp(t->name, unnumbered[i].type)
                                               : t->gvk_kind != NULL;
        if (type_matches && !strcmp(f->name, unnumbered[i].field))
            return (int)i;
    }
    return -1;
}

static const zk_schema_type *kind_type(size_t i)
{
    const zk_schema_type *t =
        zk_kube_schema_for_kind(kinds[i].group, kinds[i].version, kinds[i].kind);
    if (!t)
        fail_msg("no schema for %s/%s %s", kinds[i].group, kinds[i].version, kinds[i].kind);
    return t;
}

static void test_every_field_is_numbered(void **state)
{
    enum { MAX = 256 };
    const zk_schema_type *queue[MAX];
    size_t head = 0, tail = 0, checked = 0;
    bool used[N_UNNUMBERED] = { false };

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        queue[tail++] = kind_type(i);
    while (head < tail) {
        const zk_schema_type *t = queue[head++];
        if (!own_type(t))
            continue;
        checked++;
        for (const zk_schema_field *f = t->fields; f->name; f++) {
            int u = unnumbered_index(t, f);
            if (u >= 0) {
                if (f->proto != 0)
                    fail_msg("%s.%s: has number %d but no protobuf field", t->name, f->name,
                             f->proto);
                used[u] = true;
            } else if (f->proto <= 0) {
                fail_msg("%s.%s: no protobuf field number", t->name, f->name);
            }
            for (const zk_schema_field *g = f + 1; g->name; g++)
                if (f->proto > 0 && g->proto == f->proto)
                    fail_msg("%s: %s and %s both have number %d", t->name, f->name,
                             g->name, f->proto);
            /* a field of an inlined struct: both halves set, and the embedded
             * message's number is not also a plain field of this type */
            if (f->proto >= ZK_PB_INLINE) {
                int outer = f->proto / ZK_PB_INLINE, inner = f->proto % ZK_PB_INLINE;
                if (inner == 0)
                    fail_msg("%s.%s: inline number %d has no inner field", t->name,
                             f->name, f->proto);
                for (const zk_schema_field *g = t->fields; g->name; g++)
                    if (g->proto == outer)
                        fail_msg("%s: %s has number %d, which %s is inlined from",
                                 t->name, g->name, outer, f->name);
            }
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
    /* the allow-list names rows that exist */
    for (size_t i = 0; i < N_UNNUMBERED; i++)
        if (!used[i])
            fail_msg("allow-list entry %s.%s matches no reachable row", unnumbered[i].type,
                     unnumbered[i].field);
    assert_true(checked > 100);
}

/* metadata is field 1 of every kind's message. */
static void test_metadata_is_one(void **state)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const zk_schema_type *t = kind_type(i);
        const zk_schema_field *md = zk_kube_schema_field(t, "metadata");
        assert_non_null(md);
        if (md->proto != 1)
            fail_msg("%s.metadata: number %d, want 1", t->name, md->proto);
    }
}

static int number(const char *group, const char *version, const char *kind, const char *path)
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
        if (!t)
            fail_msg("%s %s: %s is not an object", kind, path, name);
        f = zk_kube_schema_field(t, name);
        if (!f)
            fail_msg("%s %s: no field %s", kind, path, name);
        t = field_ref(f);
        part = dot ? dot + 1 : NULL;
    }
    return f->proto;
}

/* Numbers that break the usual pattern (and that shared row macros must keep
 * apart), checked against generated.proto by hand. */
static void test_irregular_numbers(void **state)
{
    static const struct {
        const char *group, *version, *kind, *path;
        int want;
    } cases[] = {
        { "apps", "v1", "Deployment", "status.conditions.lastTransitionTime", 7 },
        { "apps", "v1", "Deployment", "status.conditions.lastUpdateTime", 6 },
        { "apps", "v1", "DaemonSet", "status.conditions.lastTransitionTime", 3 },
        { "apps", "v1", "Deployment", "spec.progressDeadlineSeconds", 9 },
        { "apps", "v1", "Deployment", "status.readyReplicas", 7 },
        { "apps", "v1", "DaemonSet", "spec.revisionHistoryLimit", 6 },
        { "apps", "v1", "ControllerRevision", "data", 2 },
        { "apps", "v1", "ControllerRevision", "revision", 3 },
        { "batch", "v1", "Job", "spec.successPolicy", 16 },
        { "batch", "v1", "Job", "status.terminating", 11 },
        { "batch", "v1", "CronJob", "spec.timeZone", 8 },
        { "batch", "v1", "CronJob", "spec.jobTemplate.metadata", 1 },
        { "batch", "v1", "CronJob", "status.lastScheduleTime", 4 },
        { "autoscaling", "v2", "HorizontalPodAutoscaler", "spec.metrics.containerResource", 7 },
        { "autoscaling", "v2", "HorizontalPodAutoscaler", "spec.behavior.scaleUp.selectPolicy",
          1 },
        { "discovery.k8s.io", "v1", "EndpointSlice", "addressType", 4 },
        { "discovery.k8s.io", "v1", "EndpointSlice", "endpoints", 2 },
        { "networking.k8s.io", "v1", "Ingress", "spec.ingressClassName", 4 },
        { "networking.k8s.io", "v1", "Ingress", "spec.defaultBackend.service", 4 },
        { "networking.k8s.io", "v1", "Ingress", "spec.rules.http", 2 * ZK_PB_INLINE + 1 },
        { "networking.k8s.io", "v1", "Ingress", "spec.rules.http.paths.pathType", 3 },
        { "rbac.authorization.k8s.io", "v1", "RoleBinding", "subjects", 2 },
        { "rbac.authorization.k8s.io", "v1", "RoleBinding", "roleRef", 3 },
        { "authorization.k8s.io", "v1", "SubjectAccessReview", "status.denied", 4 },
        { "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
          "webhooks.objectSelector", 11 },
        { "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
          "webhooks.reinvocationPolicy", 10 },
        { "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
          "webhooks.matchConditions", 12 },
        { "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
          "webhooks.objectSelector", 10 },
        { "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
          "webhooks.matchConditions", 11 },
        { "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
          "webhooks.clientConfig.url", 3 },
        { "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
          "webhooks.rules.operations", 1 },
        { "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
          "webhooks.rules.scope", 2 * ZK_PB_INLINE + 4 },
        { "apiregistration.k8s.io", "v1", "APIService", "spec.groupPriorityMinimum", 7 },
        { "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "spec.versions", 7 },
        { "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
          "spec.versions.schema.openAPIV3Schema.$ref", 3 },
        { "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
          "spec.versions.schema.openAPIV3Schema.properties.x-kubernetes-validations", 44 },
        { "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
          "spec.conversion.webhook.clientConfig", 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = number(cases[i].group, cases[i].version, cases[i].kind, cases[i].path);
        if (got != cases[i].want)
            fail_msg("%s/%s %s %s: number %d, want %d", cases[i].group, cases[i].version,
                     cases[i].kind, cases[i].path, got, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field_is_numbered),
        cmocka_unit_test(test_metadata_is_one),
        cmocka_unit_test(test_irregular_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
