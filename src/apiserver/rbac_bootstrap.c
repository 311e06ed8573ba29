/* The default RBAC policy: the ClusterRoles and ClusterRoleBindings a
 * Kubernetes API server creates at start and kubectl users rely on.
 *
 * Roles are written as compact tables; each field is a space-separated list.
 * In apiGroups the token "core" stands for the core group "". */
#include "apiserver/rbac.h"

#include <string.h>

#include "base/mem.h"

#define BOOTSTRAP_LABEL "kubernetes.io/bootstrapping"
#define BOOTSTRAP_LABEL_VALUE "rbac-defaults"
#define AUTOUPDATE_ANNOTATION "rbac.authorization.kubernetes.io/autoupdate"
#define AGG_ADMIN "rbac.authorization.k8s.io/aggregate-to-admin"
#define AGG_EDIT "rbac.authorization.k8s.io/aggregate-to-edit"
#define AGG_VIEW "rbac.authorization.k8s.io/aggregate-to-view"

#define READ "get list watch"
#define WRITE "create delete deletecollection patch update"
#define READ_WRITE "create delete deletecollection get list patch update watch"

typedef struct rule_def {
    const char *verbs;
    const char *groups;
    const char *resources;
    const char *urls;
} rule_def;

#define RULES_MAX 16

typedef struct role_def {
    const char *name;
    const char *agg_label;    /* label this role carries to join an aggregate, or NULL */
    const char *aggregate_of; /* aggregationRule selects this label, or NULL */
    rule_def rules[RULES_MAX];
} role_def;

typedef struct binding_def {
    const char *name;      /* binding and ClusterRole name */
    const char *groups;    /* Group subjects, space-separated */
    const char *users;     /* User subjects, space-separated, or NULL */
} binding_def;

static const role_def roles[] = {
    {
        .name = "cluster-admin",
        .rules = {
            {"*", "*", "*", NULL},
            {"*", NULL, NULL, "*"},
        },
    },
    /* The user-facing roles. Their rules come from aggregation (below). */
    {.name = "admin", .aggregate_of = AGG_ADMIN},
    {.name = "edit", .agg_label = AGG_ADMIN, .aggregate_of = AGG_EDIT},
    {.name = "view", .agg_label = AGG_EDIT, .aggregate_of = AGG_VIEW},
    {
        /* admin on top of edit: inspect access and manage namespaced RBAC. */
        .name = "system:aggregate-to-admin",
        .agg_label = AGG_ADMIN,
        .rules = {
            {"create", "authorization.k8s.io", "localsubjectaccessreviews", NULL},
            {READ_WRITE, "rbac.authorization.k8s.io", "rolebindings roles", NULL},
        },
    },
    {
        /* edit on top of view: change workloads, read and write secrets,
         * exec/attach/port-forward, impersonate service accounts. */
        .name = "system:aggregate-to-edit",
        .agg_label = AGG_EDIT,
        .rules = {
            {READ, "core",
             "pods/attach pods/exec pods/portforward pods/proxy secrets services/proxy", NULL},
            {"impersonate", "core", "serviceaccounts", NULL},
            {WRITE, "core", "pods pods/attach pods/exec pods/portforward pods/proxy", NULL},
            {"create", "core", "pods/eviction", NULL},
            {WRITE, "core",
             "configmaps events persistentvolumeclaims replicationcontrollers "
             "replicationcontrollers/scale secrets serviceaccounts services services/proxy",
             NULL},
            {"create", "core", "serviceaccounts/token", NULL},
            {WRITE, "apps",
             "daemonsets deployments deployments/rollback deployments/scale replicasets "
             "replicasets/scale statefulsets statefulsets/scale",
             NULL},
            {WRITE, "autoscaling", "horizontalpodautoscalers", NULL},
            {WRITE, "batch", "cronjobs jobs", NULL},
            {WRITE, "extensions",
             "daemonsets deployments deployments/rollback deployments/scale ingresses "
             "networkpolicies replicasets replicasets/scale replicationcontrollers/scale",
             NULL},
            {WRITE, "policy", "poddisruptionbudgets", NULL},
            {WRITE, "networking.k8s.io", "ingresses networkpolicies", NULL},
            {READ_WRITE, "coordination.k8s.io", "leases", NULL},
        },
    },
    {
        /* view: read everything in a namespace except secrets and RBAC. */
        .name = "system:aggregate-to-view",
        .agg_label = AGG_VIEW,
        .rules = {
            {READ, "core",
             "configmaps endpoints persistentvolumeclaims persistentvolumeclaims/status pods "
             "replicationcontrollers replicationcontrollers/scale serviceaccounts services "
             "services/status",
             NULL},
            {READ, "core",
             "bindings events limitranges namespaces/status pods/log pods/status "
             "replicationcontrollers/status resourcequotas resourcequotas/status",
             NULL},
            {READ, "core", "namespaces", NULL},
            {READ, "discovery.k8s.io", "endpointslices", NULL},
            {READ, "apps",
             "controllerrevisions daemonsets daemonsets/status deployments deployments/scale "
             "deployments/status replicasets replicasets/scale replicasets/status statefulsets "
             "statefulsets/scale statefulsets/status",
             NULL},
            {READ, "autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status", NULL},
            {READ, "batch", "cronjobs cronjobs/status jobs jobs/status", NULL},
            {READ, "extensions",
             "daemonsets daemonsets/status deployments deployments/scale deployments/status "
             "ingresses ingresses/status networkpolicies replicasets replicasets/scale "
             "replicasets/status replicationcontrollers/scale",
             NULL},
            {READ, "policy", "poddisruptionbudgets poddisruptionbudgets/status", NULL},
            {READ, "metrics.k8s.io", "pods nodes", NULL},
            {READ, "networking.k8s.io", "ingresses ingresses/status networkpolicies", NULL},
        },
    },
    {
        .name = "system:discovery",
        .rules = {
            {"get", NULL, NULL,
             "/api /api/* /apis /apis/* /healthz /livez /openapi /openapi/* /readyz /version "
             "/version/"},
        },
    },
    {
        .name = "system:basic-user",
        .rules = {
            {"create", "authorization.k8s.io", "selfsubjectaccessreviews selfsubjectrulesreviews",
             NULL},
            {"create", "authentication.k8s.io", "selfsubjectreviews", NULL},
        },
    },
    {
        .name = "system:public-info-viewer",
        .rules = {
            {"get", NULL, NULL, "/healthz /livez /readyz /version /version/ /zke/v1/ca"},
        },
    },
    {
        .name = "system:monitoring",
        .rules = {
            {"get", NULL, NULL,
             "/healthz /healthz/* /livez /livez/* /metrics /metrics/slis /readyz /readyz/*"},
        },
    },
    {
        .name = "system:service-account-issuer-discovery",
        .rules = {
            {"get", NULL, NULL, "/.well-known/openid-configuration /openid/v1/jwks"},
        },
    },
    {
        /* zke's scheduler (in the server, or `zke scheduler`) */
        .name = "system:kube-scheduler",
        .rules = {
            {READ, "core", "pods nodes namespaces services persistentvolumeclaims "
                           "persistentvolumes replicationcontrollers", NULL},
            {READ, "apps", "replicasets statefulsets", NULL},
            {READ, "policy", "poddisruptionbudgets", NULL},
            {"create", "core", "pods/binding bindings", NULL},
            {"patch update", "core", "pods/status", NULL},
            {"delete", "core", "pods", NULL},
            {"create patch update", "core events.k8s.io", "events", NULL},
            {"create get list watch update patch", "coordination.k8s.io", "leases", NULL},
        },
    },
    {
        /* zke's controllers (in the server, or `zke controller-manager`):
         * they manage every workload and service resource */
        .name = "system:kube-controller-manager",
        .rules = {
            {"*", "core apps batch discovery.k8s.io coordination.k8s.io events.k8s.io policy "
                  "autoscaling networking.k8s.io zke.io", "*", NULL},
            {READ, "rbac.authorization.k8s.io apiextensions.k8s.io metrics.k8s.io "
                   "custom.metrics.k8s.io external.metrics.k8s.io", "*", NULL},
            /* the HPA and ScheduledScaling scale whatever has a scale */
            {"get update patch", "*", "*/scale", NULL},
            {"create", "authentication.k8s.io", "tokenreviews", NULL},
            {"create", "authorization.k8s.io", "subjectaccessreviews", NULL},
        },
    },
    {
        /* node agents (group system:nodes): what a kubelet does. The node
         * authorizer in front of RBAC narrows it to each node's own
         * objects (auth.c). */
        .name = "system:node",
        .rules = {
            {"get list watch create update patch", "core", "nodes", NULL},
            {"patch update", "core", "nodes/status", NULL},
            {"get list watch delete", "core", "pods", NULL},
            {"patch update", "core", "pods/status", NULL},
            {"create", "core", "pods/eviction", NULL},
            {"get list watch", "core", "configmaps secrets services endpoints "
                                       "persistentvolumeclaims persistentvolumes", NULL},
            {"create", "core", "serviceaccounts/token", NULL},
            {"create patch update", "core events.k8s.io", "events", NULL},
            {"get create update patch delete", "coordination.k8s.io", "leases", NULL},
            {"get list watch", "discovery.k8s.io", "endpointslices", NULL},
            {"get", NULL, NULL, "/zke/v1/tunnel"},
        },
    },
    {
        /* join tokens (bootstrap tokens): ask for node credentials */
        .name = "zke:node-bootstrapper",
        .rules = {
            {"post", NULL, NULL, "/zke/v1/join"},
        },
    },
    {
        .name = "system:auth-delegator",
        .rules = {
            {"create", "authentication.k8s.io", "tokenreviews", NULL},
            {"create", "authorization.k8s.io", "subjectaccessreviews", NULL},
        },
    },
};

static const binding_def bindings[] = {
    {"cluster-admin", "system:masters"},
    {"system:discovery", "system:authenticated"},
    {"system:basic-user", "system:authenticated"},
    {"system:public-info-viewer", "system:authenticated system:unauthenticated"},
    {"system:monitoring", "system:monitoring"},
    {"system:service-account-issuer-discovery", "system:serviceaccounts"},
    {"system:kube-scheduler", NULL, "system:kube-scheduler"},
    {"system:kube-controller-manager", NULL, "system:kube-controller-manager"},
    {"system:node", "system:nodes"},
    {"zke:node-bootstrapper", "system:bootstrappers"},
};

/* A JSON array of the space-separated words of s ("core" becomes "" when
 * core_is_empty). */
static json_t *words(const char *s, bool core_is_empty)
{
    json_t *arr = json_array();
    const char *p = s;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0)
            break;
        if (core_is_empty && n == 4 && strncmp(start, "core", 4) == 0)
            json_array_append_new(arr, json_string(""));
        else
            json_array_append_new(arr, json_stringn(start, n));
    }
    return arr;
}

static json_t *rule_json(const rule_def *r)
{
    /* Field order as the API serves a PolicyRule. */
    json_t *j = json_object();
    json_object_set_new(j, "verbs", words(r->verbs, false));
    if (r->groups)
        json_object_set_new(j, "apiGroups", words(r->groups, true));
    if (r->resources)
        json_object_set_new(j, "resources", words(r->resources, false));
    if (r->urls)
        json_object_set_new(j, "nonResourceURLs", words(r->urls, false));
    return j;
}

static json_t *bootstrap_meta(const char *name)
{
    return json_pack("{s:s,s:{s:s},s:{s:s}}", "name", name, "labels", BOOTSTRAP_LABEL,
                     BOOTSTRAP_LABEL_VALUE, "annotations", AUTOUPDATE_ANNOTATION, "true");
}

static json_t *role_json(const role_def *d)
{
    json_t *meta = bootstrap_meta(d->name);
    if (d->agg_label)
        json_object_set_new(json_object_get(meta, "labels"), d->agg_label, json_string("true"));
    json_t *role = json_pack("{s:s,s:s,s:o}", "apiVersion", ZK_RBAC_API_GROUP "/v1", "kind",
                             "ClusterRole", "metadata", meta);
    json_t *rules = json_array();
    for (size_t i = 0; i < RULES_MAX && d->rules[i].verbs; i++)
        json_array_append_new(rules, rule_json(&d->rules[i]));
    json_object_set_new(role, "rules", rules);
    if (d->aggregate_of)
        json_object_set_new(role, "aggregationRule",
                            json_pack("{s:[{s:{s:s}}]}", "clusterRoleSelectors", "matchLabels",
                                      d->aggregate_of, "true"));
    return role;
}

static json_t *binding_json(const binding_def *d)
{
    json_t *subjects = json_array();
    json_t *names = words(d->groups, false);
    size_t i;
    json_t *g;
    json_array_foreach(names, i, g)
    {
        json_array_append_new(subjects, json_pack("{s:s,s:s,s:O}", "apiGroup", ZK_RBAC_API_GROUP,
                                                  "kind", "Group", "name", g));
    }
    json_decref(names);
    names = words(d->users, false);
    json_array_foreach(names, i, g)
    {
        json_array_append_new(subjects, json_pack("{s:s,s:s,s:O}", "apiGroup", ZK_RBAC_API_GROUP,
                                                  "kind", "User", "name", g));
    }
    json_decref(names);
    return json_pack("{s:s,s:s,s:o,s:{s:s,s:s,s:s},s:o}", "apiVersion", ZK_RBAC_API_GROUP "/v1",
                     "kind", "ClusterRoleBinding", "metadata", bootstrap_meta(d->name), "roleRef",
                     "apiGroup", ZK_RBAC_API_GROUP, "kind", "ClusterRole", "name", d->name,
                     "subjects", subjects);
}

static int by_name(const void *a, const void *b)
{
    const json_t *const *x = a, *const *y = b;
    const char *nx = json_string_value(json_object_get(json_object_get(*x, "metadata"), "name"));
    const char *ny = json_string_value(json_object_get(json_object_get(*y, "metadata"), "name"));
    return strcmp(nx, ny);
}

/* Do what the clusterrole-aggregation controller does: an aggregated role's
 * rules become the rules of every other role whose labels match its
 * selector, taken in name order, each distinct rule once. Repeat until
 * nothing changes, so that edit picks up view and admin picks up edit. */
static void aggregate(json_t *items)
{
    size_t n = json_array_size(items);
    zk_autofree json_t **sorted = zk_xcalloc(n, sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_array_get(items, i);
    qsort(sorted, n, sizeof(*sorted), by_name);

    for (int round = 0; round < 8; round++) {
        bool changed = false;
        for (size_t i = 0; i < n; i++) {
            json_t *role = sorted[i];
            const json_t *sel = json_object_get(
                json_array_get(json_object_get(json_object_get(role, "aggregationRule"),
                                               "clusterRoleSelectors"),
                               0),
                "matchLabels");
            if (!sel)
                continue;
            json_t *rules = json_array();
            for (size_t j = 0; j < n; j++) {
                if (j == i)
                    continue;
                const json_t *labels =
                    json_object_get(json_object_get(sorted[j], "metadata"), "labels");
                const char *k;
                const json_t *v;
                bool match = true;
                json_object_foreach((json_t *)sel, k, v)
                {
                    if (!json_equal((json_t *)v, json_object_get(labels, k)))
                        match = false;
                }
                if (!match)
                    continue;
                size_t r;
                json_t *rule;
                json_array_foreach(json_object_get(sorted[j], "rules"), r, rule)
                {
                    bool dup = false;
                    size_t q;
                    json_t *have;
                    json_array_foreach(rules, q, have)
                    {
                        if (json_equal(have, rule))
                            dup = true;
                    }
                    if (!dup)
                        json_array_append_new(rules, json_deep_copy(rule));
                }
            }
            if (!json_equal(rules, json_object_get(role, "rules")))
                changed = true;
            json_object_set_new(role, "rules", rules);
        }
        if (!changed)
            break;
    }
}

json_t *zk_apis_rbac_bootstrap(void)
{
    json_t *items = json_array();
    for (size_t i = 0; i < ZK_ARRAY_LEN(roles); i++)
        json_array_append_new(items, role_json(&roles[i]));
    aggregate(items);
    for (size_t i = 0; i < ZK_ARRAY_LEN(bindings); i++)
        json_array_append_new(items, binding_json(&bindings[i]));
    return items;
}
