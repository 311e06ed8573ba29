#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "apiserver/rbac.h"
#include "base/json.h"
#include "base/mem.h"

/* ---- an in-memory RBAC source ---- */

typedef struct store {
    json_t *cluster_roles; /* name -> ClusterRole */
    json_t *roles;         /* "ns/name" -> Role */
    json_t *crbs;          /* [ClusterRoleBinding] */
    json_t *rbs;           /* [RoleBinding] */
} store;

static void each_crb(void *ctx, int (*fn)(void *arg, const json_t *obj), void *arg)
{
    store *s = ctx;
    size_t i;
    json_t *b;
    json_array_foreach(s->crbs, i, b)
    {
        if (fn(arg, b))
            return;
    }
}

static void each_rb(void *ctx, const char *ns, int (*fn)(void *arg, const json_t *obj), void *arg)
{
    store *s = ctx;
    size_t i;
    json_t *b;
    json_array_foreach(s->rbs, i, b)
    {
        const char *bns = zk_json_path_str(b, "metadata", "namespace", NULL);
        if (bns && strcmp(bns, ns) == 0 && fn(arg, b))
            return;
    }
}

static const json_t *get_cluster_role(void *ctx, const char *name)
{
    store *s = ctx;
    return json_object_get(s->cluster_roles, name);
}

static const json_t *get_role(void *ctx, const char *ns, const char *name)
{
    store *s = ctx;
    char key[256];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    return json_object_get(s->roles, key);
}

static void store_add(store *s, json_t *obj)
{
    const char *kind = zk_json_str(obj, "kind");
    const char *name = zk_json_path_str(obj, "metadata", "name", NULL);
    const char *ns = zk_json_path_str(obj, "metadata", "namespace", NULL);
    assert_non_null(kind);
    assert_non_null(name);
    if (strcmp(kind, "ClusterRole") == 0) {
        json_object_set_new(s->cluster_roles, name, obj);
    } else if (strcmp(kind, "Role") == 0) {
        char key[256];
        snprintf(key, sizeof(key), "%s/%s", ns, name);
        json_object_set_new(s->roles, key, obj);
    } else if (strcmp(kind, "ClusterRoleBinding") == 0) {
        json_array_append_new(s->crbs, obj);
    } else {
        json_array_append_new(s->rbs, obj);
    }
}

/* JSON with single quotes for readability in C. */
static json_t *J(const char *text)
{
    zk_autofree char *t = zk_xstrdup(text);
    for (char *p = t; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    json_t *j = NULL;
    zk_err err = {0};
    if (zk_json_decode(t, strlen(t), &j, &err) != 0)
        fail_msg("bad fixture JSON: %s: %s", err.msg, text);
    return j;
}

static const char *const fixtures[] = {
    "{'kind':'Role','metadata':{'namespace':'team-a','name':'pod-reader'},"
    " 'rules':[{'apiGroups':[''],'resources':['pods'],'verbs':['get','list','watch']}]}",
    "{'kind':'Role','metadata':{'namespace':'team-a','name':'log-reader'},"
    " 'rules':[{'apiGroups':[''],'resources':['pods/log'],'verbs':['get']}]}",
    "{'kind':'Role','metadata':{'namespace':'team-a','name':'named-cm'},"
    " 'rules':[{'apiGroups':[''],'resources':['configmaps'],'resourceNames':['app-config'],"
    "           'verbs':['get','update']}]}",
    "{'kind':'ClusterRole','metadata':{'name':'secret-reader'},"
    " 'rules':[{'apiGroups':[''],'resources':['secrets'],'verbs':['get','list']}]}",
    "{'kind':'ClusterRole','metadata':{'name':'scaler'},"
    " 'rules':[{'apiGroups':['*'],'resources':['*/scale'],'verbs':['get','update']}]}",
    "{'kind':'ClusterRole','metadata':{'name':'health'},"
    " 'rules':[{'nonResourceURLs':['/healthz','/logs/*'],'verbs':['get']}]}",
    "{'kind':'ClusterRole','metadata':{'name':'batch-all'},"
    " 'rules':[{'apiGroups':['batch'],'resources':['*'],'verbs':['*']}]}",

    "{'kind':'RoleBinding','metadata':{'namespace':'team-a','name':'read-pods'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'pod-reader'},"
    " 'subjects':[{'kind':'User','name':'alice'}]}",
    "{'kind':'RoleBinding','metadata':{'namespace':'team-a','name':'read-logs'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'log-reader'},"
    " 'subjects':[{'kind':'Group','name':'devs'}]}",
    "{'kind':'RoleBinding','metadata':{'namespace':'team-a','name':'secrets'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'secret-reader'},"
    " 'subjects':[{'kind':'User','name':'nobody'},{'kind':'User','name':'bob'}]}",
    "{'kind':'RoleBinding','metadata':{'namespace':'team-a','name':'cm'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'named-cm'},"
    " 'subjects':[{'kind':'ServiceAccount','name':'ci'}]}",
    "{'kind':'ClusterRoleBinding','metadata':{'name':'scalers'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'scaler'},"
    " 'subjects':[{'kind':'ServiceAccount','name':'autoscaler','namespace':'ops'}]}",
    "{'kind':'ClusterRoleBinding','metadata':{'name':'health'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'health'},"
    " 'subjects':[{'kind':'Group','name':'system:authenticated'}]}",
    "{'kind':'ClusterRoleBinding','metadata':{'name':'batch-all'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'batch-all'},"
    " 'subjects':[{'kind':'Group','name':'system:serviceaccounts:jobs'}]}",
    "{'kind':'ClusterRoleBinding','metadata':{'name':'root'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'cluster-admin'},"
    " 'subjects':[{'kind':'User','name':'superuser'}]}",
    "{'kind':'RoleBinding','metadata':{'namespace':'team-b','name':'dangling'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'missing'},"
    " 'subjects':[{'kind':'User','name':'carol'}]}",
    /* The user-facing bootstrap roles, granted in team-a. */
    "{'kind':'RoleBinding','metadata':{'namespace':'team-a','name':'viewers'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'view'},"
    " 'subjects':[{'kind':'User','name':'viewer'}]}",
    "{'kind':'RoleBinding','metadata':{'namespace':'team-a','name':'editors'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'edit'},"
    " 'subjects':[{'kind':'User','name':'editor'}]}",
    "{'kind':'RoleBinding','metadata':{'namespace':'team-a','name':'admins'},"
    " 'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'admin'},"
    " 'subjects':[{'kind':'User','name':'nsadmin'}]}",
};

static int setup(void **state)
{
    store *s = zk_xcalloc(1, sizeof(*s));
    s->cluster_roles = json_object();
    s->roles = json_object();
    s->crbs = json_array();
    s->rbs = json_array();
    for (size_t i = 0; i < ZK_ARRAY_LEN(fixtures); i++)
        store_add(s, J(fixtures[i]));
    zk_autojson json_t *boot = zk_apis_rbac_bootstrap();
    size_t i;
    json_t *obj;
    json_array_foreach(boot, i, obj)
        store_add(s, json_incref(obj));
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    store *s = *state;
    json_decref(s->cluster_roles);
    json_decref(s->roles);
    json_decref(s->crbs);
    json_decref(s->rbs);
    free(s);
    return 0;
}

static zk_rbac_source source_of(store *s)
{
    zk_rbac_source src = {
        .ctx = s,
        .each_cluster_role_binding = each_crb,
        .each_role_binding = each_rb,
        .get_cluster_role = get_cluster_role,
        .get_role = get_role,
    };
    return src;
}

/* ---- the table ---- */

#define AUTH "system:authenticated"
#define NR false /* non-resource request */
#define RR true

typedef struct authz_case {
    const char *user;
    const char *groups; /* space-separated */
    const char *verb;
    bool resource_request;
    const char *group;
    const char *resource;
    const char *sub;
    const char *ns;
    const char *name;
    const char *path;
    bool want;
    const char *reason_has; /* substring of the reason, or NULL */
} authz_case;

static const authz_case cases[] = {
    /* A RoleBinding to a Role: get pods in its namespace only. */
    {"alice", AUTH, "get", RR, "", "pods", NULL, "team-a", "web", NULL, true,
     "RBAC: allowed by RoleBinding \"read-pods/team-a\" of Role \"pod-reader\" to User \"alice\""},
    {"alice", AUTH, "list", RR, "", "pods", NULL, "team-a", NULL, NULL, true, NULL},
    {"alice", AUTH, "get", RR, "", "pods", NULL, "team-b", "web", NULL, false, NULL},
    {"alice", AUTH, "list", RR, "", "pods", NULL, "", NULL, NULL, false, NULL},
    {"alice", AUTH, "delete", RR, "", "pods", NULL, "team-a", "web", NULL, false, NULL},
    {"alice", AUTH, "get", RR, "apps", "pods", NULL, "team-a", "web", NULL, false, NULL},
    /* Subresources are separate from their resource. */
    {"alice", AUTH, "get", RR, "", "pods", "log", "team-a", "web", NULL, false, NULL},
    {"dan", "devs " AUTH, "get", RR, "", "pods", "log", "team-a", "web", NULL, true,
     "to Group \"devs\""},
    {"dan", "devs " AUTH, "get", RR, "", "pods", NULL, "team-a", "web", NULL, false, NULL},
    {"dan", "devs " AUTH, "get", RR, "", "pods", "exec", "team-a", "web", NULL, false, NULL},
    /* A ClusterRole through a RoleBinding is limited to that namespace. */
    {"bob", AUTH, "get", RR, "", "secrets", NULL, "team-a", "db", NULL, true,
     "RoleBinding \"secrets/team-a\" of ClusterRole \"secret-reader\" to User \"bob\""},
    {"bob", AUTH, "get", RR, "", "secrets", NULL, "team-b", "db", NULL, false, NULL},
    {"bob", AUTH, "list", RR, "", "secrets", NULL, "", NULL, NULL, false, NULL},
    /* resourceNames; a ServiceAccount subject without namespace means the binding's. */
    {"system:serviceaccount:team-a:ci", "system:serviceaccounts system:serviceaccounts:team-a " AUTH,
     "get", RR, "", "configmaps", NULL, "team-a", "app-config", NULL, true,
     "to ServiceAccount \"ci/team-a\""},
    {"system:serviceaccount:team-a:ci", "system:serviceaccounts system:serviceaccounts:team-a " AUTH,
     "update", RR, "", "configmaps", NULL, "team-a", "app-config", NULL, true, NULL},
    {"system:serviceaccount:team-a:ci", "system:serviceaccounts system:serviceaccounts:team-a " AUTH,
     "get", RR, "", "configmaps", NULL, "team-a", "other", NULL, false, NULL},
    {"system:serviceaccount:team-a:ci", "system:serviceaccounts system:serviceaccounts:team-a " AUTH,
     "list", RR, "", "configmaps", NULL, "team-a", NULL, NULL, false, NULL},
    {"system:serviceaccount:team-b:ci", "system:serviceaccounts system:serviceaccounts:team-b " AUTH,
     "get", RR, "", "configmaps", NULL, "team-a", "app-config", NULL, false, NULL},
    {"system:serviceaccount:team-a:cid", AUTH, "get", RR, "", "configmaps", NULL, "team-a",
     "app-config", NULL, false, NULL},
    {"ci", AUTH, "get", RR, "", "configmaps", NULL, "team-a", "app-config", NULL, false, NULL},
    /* star-slash-scale: the scale subresource of anything, cluster-wide. */
    {"system:serviceaccount:ops:autoscaler", AUTH, "update", RR, "apps", "deployments", "scale",
     "team-x", "web", NULL, true,
     "RBAC: allowed by ClusterRoleBinding \"scalers\" of ClusterRole \"scaler\" to ServiceAccount "
     "\"autoscaler/ops\""},
    {"system:serviceaccount:ops:autoscaler", AUTH, "get", RR, "", "replicationcontrollers",
     "scale", "team-y", "rc", NULL, true, NULL},
    {"system:serviceaccount:ops:autoscaler", AUTH, "get", RR, "apps", "deployments", NULL,
     "team-x", "web", NULL, false, NULL},
    {"system:serviceaccount:ops:autoscaler", AUTH, "update", RR, "", "pods", "status", "team-x",
     "web", NULL, false, NULL},
    {"system:serviceaccount:ops:autoscaler", AUTH, "update", RR, "apps", "deployments",
     "scales", "team-x", "web", NULL, false, NULL},
    /* Wildcard resources and verbs in one group, via an SA's namespace group. */
    {"system:serviceaccount:jobs:runner", "system:serviceaccounts system:serviceaccounts:jobs " AUTH,
     "create", RR, "batch", "jobs", NULL, "jobs", NULL, NULL, true, "to Group "
     "\"system:serviceaccounts:jobs\""},
    {"system:serviceaccount:jobs:runner", "system:serviceaccounts system:serviceaccounts:jobs " AUTH,
     "deletecollection", RR, "batch", "cronjobs", NULL, "elsewhere", NULL, NULL, true, NULL},
    {"system:serviceaccount:jobs:runner", "system:serviceaccounts system:serviceaccounts:jobs " AUTH,
     "get", RR, "batch", "jobs", "status", "jobs", "j", NULL, true, NULL},
    {"system:serviceaccount:jobs:runner", "system:serviceaccounts system:serviceaccounts:jobs " AUTH,
     "create", RR, "", "pods", NULL, "jobs", NULL, NULL, false, NULL},
    /* Non-resource URLs: exact and trailing-star prefix; lower-case HTTP verbs. */
    {"eve", AUTH, "get", NR, NULL, NULL, NULL, NULL, NULL, "/healthz", true,
     "ClusterRoleBinding \"health\""},
    {"eve", AUTH, "get", NR, NULL, NULL, NULL, NULL, NULL, "/logs/kube.log", true, NULL},
    {"eve", AUTH, "get", NR, NULL, NULL, NULL, NULL, NULL, "/logs", false, NULL},
    {"eve", AUTH, "post", NR, NULL, NULL, NULL, NULL, NULL, "/healthz", false, NULL},
    {"eve", AUTH, "get", NR, NULL, NULL, NULL, NULL, NULL, "/metrics", false, NULL},
    {"eve", "", "get", NR, NULL, NULL, NULL, NULL, NULL, "/logs/kube.log", false, NULL},
    /* system:masters may do anything. */
    {"root", "system:masters " AUTH, "delete", RR, "", "nodes", NULL, "", "n1", NULL, true,
     "system:masters"},
    {"root", "system:masters", "post", NR, NULL, NULL, NULL, NULL, NULL, "/anything", true, NULL},
    {"system:masters", AUTH, "delete", RR, "", "nodes", NULL, "", "n1", NULL, false, NULL},
    /* cluster-admin through a ClusterRoleBinding. */
    {"superuser", AUTH, "escalate", RR, "rbac.authorization.k8s.io", "clusterroles", NULL, "",
     "x", NULL, true,
     "ClusterRoleBinding \"root\" of ClusterRole \"cluster-admin\" to User \"superuser\""},
    {"superuser", AUTH, "put", NR, NULL, NULL, NULL, NULL, NULL, "/whatever", true, NULL},
    /* Bootstrap view: read, but not secrets, and no writes. */
    {"viewer", AUTH, "get", RR, "", "pods", NULL, "team-a", "web", NULL, true,
     "of ClusterRole \"view\""},
    {"viewer", AUTH, "get", RR, "", "pods", "log", "team-a", "web", NULL, true, NULL},
    {"viewer", AUTH, "list", RR, "apps", "deployments", NULL, "team-a", NULL, NULL, true, NULL},
    {"viewer", AUTH, "get", RR, "", "secrets", NULL, "team-a", "db", NULL, false, NULL},
    {"viewer", AUTH, "create", RR, "apps", "deployments", NULL, "team-a", NULL, NULL, false, NULL},
    {"viewer", AUTH, "create", RR, "", "pods", "exec", "team-a", "web", NULL, false, NULL},
    {"viewer", AUTH, "get", RR, "", "pods", NULL, "team-b", "web", NULL, false, NULL},
    {"viewer", AUTH, "list", RR, "rbac.authorization.k8s.io", "roles", NULL, "team-a", NULL, NULL,
     false, NULL},
    /* Bootstrap edit: workloads and secrets, not RBAC. */
    {"editor", AUTH, "create", RR, "apps", "deployments", NULL, "team-a", NULL, NULL, true,
     "of ClusterRole \"edit\""},
    {"editor", AUTH, "patch", RR, "apps", "deployments", "scale", "team-a", "web", NULL, true,
     NULL},
    {"editor", AUTH, "get", RR, "", "secrets", NULL, "team-a", "db", NULL, true, NULL},
    {"editor", AUTH, "create", RR, "", "pods", "exec", "team-a", "web", NULL, true, NULL},
    {"editor", AUTH, "list", RR, "", "pods", NULL, "team-a", NULL, NULL, true, NULL},
    {"editor", AUTH, "create", RR, "rbac.authorization.k8s.io", "rolebindings", NULL, "team-a",
     NULL, NULL, false, NULL},
    {"editor", AUTH, "update", RR, "", "resourcequotas", NULL, "team-a", "q", NULL, false, NULL},
    {"editor", AUTH, "create", RR, "apps", "deployments", NULL, "team-b", NULL, NULL, false, NULL},
    /* Bootstrap admin: edit plus namespaced RBAC, not the namespace itself. */
    {"nsadmin", AUTH, "create", RR, "rbac.authorization.k8s.io", "rolebindings", NULL, "team-a",
     NULL, NULL, true, "of ClusterRole \"admin\""},
    {"nsadmin", AUTH, "create", RR, "apps", "deployments", NULL, "team-a", NULL, NULL, true, NULL},
    {"nsadmin", AUTH, "get", RR, "", "secrets", NULL, "team-a", "db", NULL, true, NULL},
    {"nsadmin", AUTH, "create", RR, "authorization.k8s.io", "localsubjectaccessreviews", NULL,
     "team-a", NULL, NULL, true, NULL},
    {"nsadmin", AUTH, "delete", RR, "", "namespaces", NULL, "team-a", "team-a", NULL, false, NULL},
    {"nsadmin", AUTH, "create", RR, "rbac.authorization.k8s.io", "clusterrolebindings", NULL, "",
     NULL, NULL, false, NULL},
    /* Bootstrap discovery, basic-user, public-info-viewer. */
    {"system:anonymous", "system:unauthenticated", "get", NR, NULL, NULL, NULL, NULL, NULL,
     "/version", true, "ClusterRoleBinding \"system:public-info-viewer\""},
    {"system:anonymous", "system:unauthenticated", "get", NR, NULL, NULL, NULL, NULL, NULL,
     "/readyz", true, NULL},
    {"system:anonymous", "system:unauthenticated", "get", NR, NULL, NULL, NULL, NULL, NULL, "/api",
     false, NULL},
    {"system:anonymous", "system:unauthenticated", "create", RR, "authorization.k8s.io",
     "selfsubjectaccessreviews", NULL, "", NULL, NULL, false, NULL},
    {"eve", AUTH, "get", NR, NULL, NULL, NULL, NULL, NULL, "/apis/apps/v1", true,
     "ClusterRole \"system:discovery\""},
    {"eve", AUTH, "create", RR, "authorization.k8s.io", "selfsubjectaccessreviews", NULL, "",
     NULL, NULL, true, "ClusterRole \"system:basic-user\""},
    {"eve", AUTH, "create", RR, "authorization.k8s.io", "selfsubjectrulesreviews", NULL, "", NULL,
     NULL, true, NULL},
    {"eve", AUTH, "create", RR, "authorization.k8s.io", "subjectaccessreviews", NULL, "", NULL,
     NULL, false, NULL},
    /* A binding to a missing role denies and says why. */
    {"carol", AUTH, "get", RR, "", "pods", NULL, "team-b", "web", NULL, false,
     "RBAC: role.rbac.authorization.k8s.io \"missing\" not found"},
};

static size_t split_groups(const char *s, char *storage, size_t storage_len, const char **out,
                           size_t max)
{
    snprintf(storage, storage_len, "%s", s ? s : "");
    size_t n = 0;
    char *p = storage;
    while (*p && n < max) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        out[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

static void test_authorize_table(void **state)
{
    store *s = *state;
    zk_rbac_source src = source_of(s);
    int failures = 0;
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        const authz_case *c = &cases[i];
        char storage[256];
        const char *groups[8];
        size_t ng = split_groups(c->groups, storage, sizeof(storage), groups, 8);
        zk_user_info u = {.name = c->user, .groups = groups, .ngroups = ng};
        zk_authz_attrs a = {
            .verb = c->verb, .resource_request = c->resource_request, .api_group = c->group,
            .resource = c->resource, .subresource = c->sub, .ns = c->ns, .name = c->name,
            .path = c->path,
        };
        char reason[512];
        bool got = zk_apis_rbac_allowed(&src, &u, &a, reason, sizeof(reason));
        bool reason_ok = !c->reason_has || strstr(reason, c->reason_has) != NULL;
        if (got != c->want || !reason_ok) {
            print_error("case %zu: %s %s %s/%s/%s ns=%s name=%s path=%s: got %s (reason: %s), "
                        "want %s%s%s\n",
                        i, c->user, c->verb, c->group ? c->group : "", c->resource ? c->resource : "",
                        c->sub ? c->sub : "", c->ns ? c->ns : "", c->name ? c->name : "",
                        c->path ? c->path : "", got ? "allow" : "deny", reason,
                        c->want ? "allow" : "deny", c->reason_has ? " with reason containing " : "",
                        c->reason_has ? c->reason_has : "");
            failures++;
        }
        if (!got && !c->reason_has)
            assert_null(strstr(reason, "allowed"));
    }
    assert_int_equal(failures, 0);
}

static void test_reason_is_bounded(void **state)
{
    store *s = *state;
    zk_rbac_source src = source_of(s);
    const char *groups[] = {AUTH};
    zk_user_info u = {.name = "alice", .groups = groups, .ngroups = 1};
    zk_authz_attrs a = {.verb = "get", .resource_request = true, .api_group = "",
                        .resource = "pods", .ns = "team-a", .name = "x"};
    char reason[8];
    memset(reason, 'X', sizeof(reason));
    assert_true(zk_apis_rbac_allowed(&src, &u, &a, reason, sizeof(reason)));
    assert_int_equal(strlen(reason), 7);
    assert_true(zk_apis_rbac_allowed(&src, &u, &a, NULL, 0));
    /* No source: only system:masters passes. */
    assert_false(zk_apis_rbac_allowed(NULL, &u, &a, NULL, 0));
}

static bool has_rule(const json_t *rules, const char *rule_text)
{
    zk_autojson json_t *want = J(rule_text);
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        if (json_equal(r, want))
            return true;
    }
    return false;
}

static void test_rules_for(void **state)
{
    store *s = *state;
    zk_rbac_source src = source_of(s);
    const char *groups[] = {"devs", AUTH};
    zk_user_info alice = {.name = "alice", .groups = groups, .ngroups = 2};
    zk_autojson json_t *r = zk_apis_rbac_rules_for(&src, &alice, "team-a");
    const json_t *rr = json_object_get(r, "resourceRules");
    const json_t *nr = json_object_get(r, "nonResourceRules");
    assert_true(has_rule(rr, "{'verbs':['get','list','watch'],'apiGroups':[''],'resources':['pods']}"));
    assert_true(has_rule(rr, "{'verbs':['get'],'apiGroups':[''],'resources':['pods/log']}"));
    assert_true(has_rule(rr, "{'verbs':['create'],'apiGroups':['authorization.k8s.io'],"
                             "'resources':['selfsubjectaccessreviews','selfsubjectrulesreviews']}"));
    assert_true(has_rule(nr, "{'verbs':['get'],'nonResourceURLs':['/healthz','/logs/*']}"));
    assert_false(zk_json_bool(r, "incomplete", true));
    assert_null(json_object_get(r, "evaluationError"));

    /* Cluster scope only: the RoleBindings' rules are gone. */
    zk_autojson json_t *cluster = zk_apis_rbac_rules_for(&src, &alice, NULL);
    assert_false(has_rule(json_object_get(cluster, "resourceRules"),
                          "{'verbs':['get','list','watch'],'apiGroups':[''],'resources':['pods']}"));

    /* resourceNames are kept. */
    const char *sa_groups[] = {"system:serviceaccounts", "system:serviceaccounts:team-a"};
    zk_user_info ci = {.name = "system:serviceaccount:team-a:ci", .groups = sa_groups, .ngroups = 2};
    zk_autojson json_t *cr = zk_apis_rbac_rules_for(&src, &ci, "team-a");
    assert_true(has_rule(json_object_get(cr, "resourceRules"),
                         "{'verbs':['get','update'],'apiGroups':[''],'resources':['configmaps'],"
                         "'resourceNames':['app-config']}"));

    /* A dangling reference makes the answer incomplete. */
    zk_user_info carol = {.name = "carol"};
    zk_autojson json_t *c = zk_apis_rbac_rules_for(&src, &carol, "team-b");
    assert_true(zk_json_bool(c, "incomplete", false));
    assert_non_null(strstr(zk_json_str(c, "evaluationError"), "\"missing\" not found"));

    /* system:masters: the wildcard rules first, and each rule once although
     * the bootstrap cluster-admin binding grants the same. */
    const char *mg[] = {"system:masters", AUTH};
    zk_user_info root = {.name = "root", .groups = mg, .ngroups = 2};
    zk_autojson json_t *m = zk_apis_rbac_rules_for(&src, &root, "default");
    zk_autojson json_t *wild = J("{'verbs':['*'],'apiGroups':['*'],'resources':['*']}");
    assert_true(json_equal(json_array_get(json_object_get(m, "resourceRules"), 0), wild));
    size_t count = 0, i;
    json_t *x;
    json_array_foreach(json_object_get(m, "resourceRules"), i, x)
        count += json_equal(x, wild);
    assert_int_equal(count, 1);
}

static const json_t *find(const json_t *items, const char *kind, const char *name)
{
    size_t i;
    const json_t *o;
    json_array_foreach(items, i, o)
    {
        if (strcmp(zk_json_str(o, "kind"), kind) == 0 &&
            strcmp(zk_json_path_str(o, "metadata", "name", NULL), name) == 0)
            return o;
    }
    return NULL;
}

static void test_bootstrap_objects(void **state)
{
    zk_autojson json_t *items = zk_apis_rbac_bootstrap();
    size_t i;
    const json_t *o;
    json_array_foreach(items, i, o)
    {
        assert_string_equal(zk_json_str(o, "apiVersion"), "rbac.authorization.k8s.io/v1");
        assert_string_equal(
            zk_json_path_str(o, "metadata", "labels", "kubernetes.io/bootstrapping", NULL),
            "rbac-defaults");
        assert_string_equal(zk_json_path_str(o, "metadata", "annotations",
                                             "rbac.authorization.kubernetes.io/autoupdate", NULL),
                            "true");
        if (strcmp(zk_json_str(o, "kind"), "ClusterRoleBinding") == 0) {
            /* Every binding points at a role that exists. */
            const char *role = zk_json_path_str(o, "roleRef", "name", NULL);
            assert_non_null(find(items, "ClusterRole", role));
            assert_true(json_array_size(json_object_get(o, "subjects")) > 0);
        } else {
            assert_true(json_array_size(json_object_get(o, "rules")) > 0);
        }
    }
    static const char *const want_roles[] = {
        "cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user",
        "system:public-info-viewer",
    };
    for (size_t k = 0; k < ZK_ARRAY_LEN(want_roles); k++)
        assert_non_null(find(items, "ClusterRole", want_roles[k]));

    const json_t *ca = find(items, "ClusterRoleBinding", "cluster-admin");
    assert_string_equal(zk_json_str(json_array_get(json_object_get(ca, "subjects"), 0), "name"),
                        "system:masters");
    const json_t *piv = find(items, "ClusterRoleBinding", "system:public-info-viewer");
    assert_int_equal(json_array_size(json_object_get(piv, "subjects")), 2);
    const json_t *disc = find(items, "ClusterRoleBinding", "system:discovery");
    assert_int_equal(json_array_size(json_object_get(disc, "subjects")), 1);
    assert_string_equal(
        zk_json_str(json_array_get(json_object_get(disc, "subjects"), 0), "name"),
        "system:authenticated");

    /* Aggregation written out: view is in edit, edit is in admin, and the
     * aggregationRule stays. */
    const json_t *view = find(items, "ClusterRole", "view");
    const json_t *edit = find(items, "ClusterRole", "edit");
    const json_t *admin = find(items, "ClusterRole", "admin");
    assert_string_equal(
        zk_json_path_str(json_array_get(json_object_get(json_object_get(view, "aggregationRule"),
                                                        "clusterRoleSelectors"),
                                        0),
                         "matchLabels", "rbac.authorization.k8s.io/aggregate-to-view", NULL),
        "true");
    assert_string_equal(zk_json_path_str(edit, "metadata", "labels",
                                         "rbac.authorization.k8s.io/aggregate-to-admin", NULL),
                        "true");
    const json_t *view_rules = json_object_get(view, "rules");
    const json_t *edit_rules = json_object_get(edit, "rules");
    const json_t *admin_rules = json_object_get(admin, "rules");
    /* view has metrics.k8s.io too (kubectl top), as with metrics-server */
    assert_int_equal(json_array_size(view_rules), 11);
    assert_int_equal(json_array_size(edit_rules), 13 + 11);
    assert_int_equal(json_array_size(admin_rules), 13 + 11 + 2);
    json_array_foreach(view_rules, i, o)
    {
        size_t j;
        const json_t *e;
        bool in_edit = false, in_admin = false;
        json_array_foreach(edit_rules, j, e) in_edit |= json_equal((json_t *)e, (json_t *)o);
        json_array_foreach(admin_rules, j, e) in_admin |= json_equal((json_t *)e, (json_t *)o);
        assert_true(in_edit && in_admin);
    }
    /* No user-facing role may read secrets by accident: view has no rule
     * naming secrets or a wildcard. */
    json_array_foreach(view_rules, i, o)
    {
        size_t j;
        const json_t *r;
        json_array_foreach(json_object_get(o, "resources"), j, r)
        {
            assert_string_not_equal(json_string_value(r), "secrets");
            assert_string_not_equal(json_string_value(r), "*");
        }
    }
}

static void test_rule_allows_edge_cases(void **state)
{
    zk_autojson json_t *r = J("{'verbs':['get'],'apiGroups':[''],'resources':['pods']}");
    zk_authz_attrs a = {.verb = "get", .resource_request = true, .api_group = NULL,
                        .resource = "pods", .ns = "x"};
    assert_true(zk_apis_rbac_rule_allows(r, &a)); /* NULL group is the core group */
    a.subresource = "";
    assert_true(zk_apis_rbac_rule_allows(r, &a));
    a.verb = "GET";
    assert_false(zk_apis_rbac_rule_allows(r, &a)); /* verbs are case-sensitive */
    a.verb = NULL;
    assert_false(zk_apis_rbac_rule_allows(r, &a));

    /* A resource rule never matches a non-resource request, and back. */
    zk_autojson json_t *u = J("{'verbs':['*'],'nonResourceURLs':['*']}");
    zk_authz_attrs nr = {.verb = "get", .path = "/api"};
    assert_true(zk_apis_rbac_rule_allows(u, &nr));
    assert_false(zk_apis_rbac_rule_allows(r, &nr));
    zk_authz_attrs pods = {.verb = "get", .resource_request = true, .api_group = "",
                           .resource = "pods"};
    assert_false(zk_apis_rbac_rule_allows(u, &pods));

    /* A star after "pods/" is not a pattern: only a literal subresource
     * named "*" would match it. */
    zk_autojson json_t *ps = J("{'verbs':['get'],'apiGroups':[''],'resources':['pods/*']}");
    zk_authz_attrs logs = {.verb = "get", .resource_request = true, .api_group = "",
                           .resource = "pods", .subresource = "log"};
    assert_false(zk_apis_rbac_rule_allows(ps, &logs));

    /* Prefix match strips every trailing star, as Kubernetes does. */
    zk_autojson json_t *p = J("{'verbs':['get'],'nonResourceURLs':['/apis/**']}");
    zk_authz_attrs deep = {.verb = "get", .path = "/apis/apps/v1"};
    assert_true(zk_apis_rbac_rule_allows(p, &deep));
    deep.path = "/api";
    assert_false(zk_apis_rbac_rule_allows(p, &deep));

    /* Malformed rules allow nothing. */
    zk_autojson json_t *bad = J("{'verbs':'get','apiGroups':[''],'resources':['pods']}");
    a.verb = "get";
    assert_false(zk_apis_rbac_rule_allows(bad, &a));
    assert_false(zk_apis_rbac_rule_allows(NULL, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorize_table),
        cmocka_unit_test(test_reason_is_bounded),
        cmocka_unit_test(test_rules_for),
        cmocka_unit_test(test_bootstrap_objects),
        cmocka_unit_test(test_rule_allows_edge_cases),
    };
    return cmocka_run_group_tests_name("rbac", tests, setup, teardown);
}
