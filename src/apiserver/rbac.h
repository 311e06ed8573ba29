/* zke apiserver: the RBAC authorizer and the bootstrap policy.
 *
 * Semantics follow Kubernetes RBAC (rbac.authorization.k8s.io/v1):
 *   - members of the group system:masters may do anything (as kube-apiserver's
 *     privileged-group authorizer in front of RBAC);
 *   - every ClusterRoleBinding grants its ClusterRole's rules cluster-wide;
 *   - RoleBindings in the request's namespace grant their Role's, or the
 *     referenced ClusterRole's, rules in that namespace only; cluster-scoped
 *     and non-resource requests never consult RoleBindings;
 *   - permissions only add up; there are no deny rules.
 * The authorizer reads the server's in-memory RBAC objects through a
 * zk_rbac_source and keeps no state of its own. */
#ifndef ZK_APIS_RBAC_H
#define ZK_APIS_RBAC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define ZK_RBAC_API_GROUP "rbac.authorization.k8s.io"
#define ZK_RBAC_MASTERS_GROUP "system:masters"

/* Who makes the request, as the authenticator resolved it. A ServiceAccount
 * is user "system:serviceaccount:<ns>:<name>" with groups
 * system:serviceaccounts and system:serviceaccounts:<ns> (the authenticator
 * adds them; RBAC only matches). Anonymous requests are user
 * system:anonymous in group system:unauthenticated. */
typedef struct zk_user_info {
    const char *name;
    const char *uid;
    const char *const *groups;
    size_t ngroups;
} zk_user_info;

/* What the request wants. For a resource request: verb (get, list, watch,
 * create, update, patch, delete, deletecollection, or a special verb such as
 * impersonate, bind, escalate), api_group ("" for core), resource,
 * subresource (NULL or "" for none), ns ("" or NULL when cluster-scoped) and
 * name (NULL or "" for collection requests). For a non-resource request
 * (resource_request false): verb is the lower-case HTTP method and path the
 * URL path. */
typedef struct zk_authz_attrs {
    const char *verb;
    bool resource_request;
    const char *api_group;
    const char *resource;
    const char *subresource;
    const char *ns;
    const char *name;
    const char *path;
} zk_authz_attrs;

/* The server's in-memory RBAC objects. All json_t are borrowed and must stay
 * valid during one zk_apis_rbac_* call. The each_* functions call fn for each
 * binding until fn returns nonzero. get_* return NULL when there is no such
 * object. */
typedef struct zk_rbac_source {
    void *ctx;
    void (*each_cluster_role_binding)(void *ctx, int (*fn)(void *arg, const json_t *obj), void *arg);
    void (*each_role_binding)(void *ctx, const char *ns, int (*fn)(void *arg, const json_t *obj),
                              void *arg);
    const json_t *(*get_cluster_role)(void *ctx, const char *name);
    const json_t *(*get_role)(void *ctx, const char *ns, const char *name);
} zk_rbac_source;

/* Decide whether u may do a. Returns true when allowed.
 * When reason is non-NULL it receives (truncated to reason_len, always
 * NUL-terminated) the Kubernetes-style explanation: on allow, e.g.
 *   RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "z"
 *   RBAC: allowed by RoleBinding "x/ns" of Role "y" to ServiceAccount "sa/ns"
 * on deny, "" or the problems met on the way, e.g.
 *   RBAC: clusterrole.rbac.authorization.k8s.io "y" not found
 * Malformed objects in the source are skipped (and named in the reason). */
bool zk_apis_rbac_allowed(const zk_rbac_source *src, const zk_user_info *u, const zk_authz_attrs *a,
                          char *reason, size_t reason_len);

/* Does one PolicyRule (a JSON object with verbs, apiGroups, resources,
 * resourceNames, nonResourceURLs) allow a? A resource entry matches when it
 * is "*", the exact "resource" or "resource/subresource", or a star, a slash
 * and the subresource (that subresource of every resource, e.g. scale).
 * Non-resource URLs match "*", exactly, or by prefix when the entry ends in
 * "*". An empty resourceNames list matches every name; a non-empty one only
 * requests that name one of them (never list or create). Verbs and groups
 * match exactly or by "*". */
bool zk_apis_rbac_rule_allows(const json_t *rule, const zk_authz_attrs *a);

/* The rules u has in namespace ns (ns NULL or "": cluster-wide rules only),
 * shaped as a SelfSubjectRulesReview status:
 *   {"resourceRules":[{verbs,apiGroups,resources,resourceNames}],
 *    "nonResourceRules":[{verbs,nonResourceURLs}],
 *    "incomplete":bool, "evaluationError":"..." (only when incomplete)}
 * Exact duplicate rules are listed once. Members of system:masters get the
 * wildcard rules first. Returns a new reference; never NULL. */
json_t *zk_apis_rbac_rules_for(const zk_rbac_source *src, const zk_user_info *u, const char *ns);

/* The default ClusterRoles and ClusterRoleBindings a Kubernetes API server
 * creates at start (a new JSON array of complete objects, apiVersion
 * rbac.authorization.k8s.io/v1): cluster-admin, admin, edit, view (with
 * aggregationRule, and their rules already aggregated from the
 * system:aggregate-to-* roles, which are included), system:discovery,
 * system:basic-user, system:public-info-viewer, system:monitoring,
 * system:service-account-issuer-discovery, system:auth-delegator, and the
 * bindings Kubernetes makes for them. Every object carries the label
 * kubernetes.io/bootstrapping=rbac-defaults and the annotation
 * rbac.authorization.kubernetes.io/autoupdate=true. Defined in
 * rbac_bootstrap.c. */
json_t *zk_apis_rbac_bootstrap(void);

#endif
