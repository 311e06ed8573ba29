#include "apiserver/rbac.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"

#define SA_PREFIX "system:serviceaccount:"
/* Bound on the problems collected for a deny reason. */
#define ERRORS_MAX 2048

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static bool in_groups(const zk_user_info *u, const char *group)
{
    for (size_t i = 0; i < u->ngroups; i++) {
        if (u->groups[i] && strcmp(u->groups[i], group) == 0)
            return true;
    }
    return false;
}

/* ---- rule matching ---- */

/* Is s an element of the JSON string array arr? "*" in the array matches
 * anything when wildcard is set. */
static bool array_has(const json_t *arr, const char *s, bool wildcard)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *e = json_string_value(v);
        if (!e)
            continue;
        if ((wildcard && strcmp(e, "*") == 0) || strcmp(e, s) == 0)
            return true;
    }
    return false;
}

static bool resource_matches(const json_t *resources, const char *res, const char *sub)
{
    size_t rlen = strlen(res);
    size_t slen = strlen(sub);
    size_t i;
    const json_t *v;
    json_array_foreach(resources, i, v)
    {
        const char *e = json_string_value(v);
        if (!e)
            continue;
        if (strcmp(e, "*") == 0)
            return true;
        if (slen == 0) {
            if (strcmp(e, res) == 0)
                return true;
            continue;
        }
        /* "resource/subresource" */
        if (strncmp(e, res, rlen) == 0 && e[rlen] == '/' && strcmp(e + rlen + 1, sub) == 0)
            return true;
        /* star-slash-subresource: that subresource of every resource */
        if (e[0] == '*' && e[1] == '/' && strcmp(e + 2, sub) == 0)
            return true;
    }
    return false;
}

static bool url_matches(const json_t *urls, const char *path)
{
    size_t i;
    const json_t *v;
    json_array_foreach(urls, i, v)
    {
        const char *e = json_string_value(v);
        if (!e)
            continue;
        if (strcmp(e, "*") == 0 || strcmp(e, path) == 0)
            return true;
        size_t n = strlen(e);
        if (n > 0 && e[n - 1] == '*') {
            while (n > 0 && e[n - 1] == '*') /* as Go's strings.TrimRight(spec, "*") */
                n--;
            if (strncmp(e, path, n) == 0)
                return true;
        }
    }
    return false;
}

bool zk_apis_rbac_rule_allows(const json_t *rule, const zk_authz_attrs *a)
{
    if (!json_is_object(rule) || !a->verb)
        return false;
    if (!array_has(json_object_get(rule, "verbs"), a->verb, true))
        return false;
    if (!a->resource_request)
        return a->path && url_matches(json_object_get(rule, "nonResourceURLs"), a->path);

    if (!array_has(json_object_get(rule, "apiGroups"), str_or_empty(a->api_group), true))
        return false;
    if (!a->resource || !resource_matches(json_object_get(rule, "resources"), a->resource,
                                          str_or_empty(a->subresource)))
        return false;
    const json_t *names = json_object_get(rule, "resourceNames");
    if (json_array_size(names) == 0)
        return true;
    /* A named rule never matches a request without a name (list, create). */
    return a->name && *a->name && array_has(names, a->name, false);
}

/* ---- subjects and role references ---- */

/* Does subject s (from a binding in binding_ns; "" for a ClusterRoleBinding)
 * stand for u? */
static bool subject_applies(const zk_user_info *u, const json_t *s, const char *binding_ns)
{
    const char *kind = zk_json_str(s, "kind");
    const char *name = zk_json_str(s, "name");
    if (!kind || !name)
        return false;
    const char *uname = str_or_empty(u->name);
    if (strcmp(kind, "User") == 0)
        return strcmp(uname, name) == 0;
    if (strcmp(kind, "Group") == 0)
        return in_groups(u, name);
    if (strcmp(kind, "ServiceAccount") == 0) {
        /* A RoleBinding may leave the namespace out: it means its own. */
        const char *sa_ns = zk_json_str(s, "namespace");
        if (!sa_ns || !*sa_ns)
            sa_ns = binding_ns;
        if (!*sa_ns)
            return false;
        size_t plen = strlen(SA_PREFIX), nslen = strlen(sa_ns);
        return strncmp(uname, SA_PREFIX, plen) == 0 && strncmp(uname + plen, sa_ns, nslen) == 0 &&
               uname[plen + nslen] == ':' && strcmp(uname + plen + nslen + 1, name) == 0;
    }
    return false;
}

/* The first subject of binding that applies to u, or NULL. */
static const json_t *binding_applies(const zk_user_info *u, const json_t *binding,
                                     const char *binding_ns)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(binding, "subjects"), i, s)
    {
        if (subject_applies(u, s, binding_ns))
            return s;
    }
    return NULL;
}

/* Text like `ServiceAccount "default/ns"` or `User "alice"`, as Kubernetes
 * describes subjects. */
static void describe_subject(const json_t *s, const char *binding_ns, char *out, size_t len)
{
    const char *kind = str_or_empty(zk_json_str(s, "kind"));
    const char *name = str_or_empty(zk_json_str(s, "name"));
    if (strcmp(kind, "ServiceAccount") == 0) {
        const char *sa_ns = zk_json_str(s, "namespace");
        snprintf(out, len, "%s \"%s/%s\"", kind, name, sa_ns && *sa_ns ? sa_ns : binding_ns);
    } else {
        snprintf(out, len, "%s \"%s\"", kind, name);
    }
}

/* Problems met while walking bindings, for a deny reason or evaluationError. */
typedef struct walk_errors {
    zk_buf buf;
    int count;
} walk_errors;

static void add_error(walk_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_error(walk_errors *e, const char *fmt, ...)
{
    /* Past the bound the list is cut short; the count stays right. */
    if (e->count++ > 0)
        zk_buf_puts(&e->buf, ", ");
    va_list ap;
    va_start(ap, fmt);
    zk_buf_vprintf(&e->buf, fmt, ap);
    va_end(ap);
}

/* Kubernetes formats one error bare and several as "[a, b]". */
static void format_errors(const walk_errors *e, zk_buf *out)
{
    if (e->count == 0)
        return;
    zk_buf_printf(out, e->count > 1 ? "[%s]" : "%s", str_or_empty(e->buf.data));
}

/* The role a binding refers to. Role refs resolve in binding_ns; a
 * ClusterRoleBinding (binding_ns "") cannot use one. */
static const json_t *resolve_role(const zk_rbac_source *src, const json_t *binding,
                                  const char *binding_ns, walk_errors *errs)
{
    const json_t *ref = json_object_get(binding, "roleRef");
    const char *kind = zk_json_str(ref, "kind");
    const char *name = zk_json_str(ref, "name");
    if (!kind || !name) {
        add_error(errs, "binding \"%s\" has no roleRef",
                  str_or_empty(zk_json_path_str(binding, "metadata", "name", NULL)));
        return NULL;
    }
    const json_t *role = NULL;
    if (strcmp(kind, "ClusterRole") == 0) {
        role = src->get_cluster_role ? src->get_cluster_role(src->ctx, name) : NULL;
        if (!role)
            add_error(errs, "clusterrole.rbac.authorization.k8s.io \"%s\" not found", name);
    } else if (strcmp(kind, "Role") == 0 && *binding_ns) {
        role = src->get_role ? src->get_role(src->ctx, binding_ns, name) : NULL;
        if (!role)
            add_error(errs, "role.rbac.authorization.k8s.io \"%s\" not found", name);
    } else {
        add_error(errs, "unsupported role reference kind: \"%s\"", kind);
    }
    return role;
}

/* ---- the authorizer ---- */

typedef struct authz_walk {
    const zk_rbac_source *src;
    const zk_user_info *u;
    const zk_authz_attrs *a;
    const char *ns;  /* namespace of the bindings being walked; "" for cluster */
    bool allowed;
    char *reason;
    size_t reason_len;
    walk_errors errs;
} authz_walk;

static int authz_visit(authz_walk *w, const json_t *binding)
{
    const json_t *subject = binding_applies(w->u, binding, w->ns);
    if (!subject)
        return 0;
    const json_t *role = resolve_role(w->src, binding, w->ns, &w->errs);
    if (!role)
        return 0;
    size_t i;
    const json_t *rule;
    json_array_foreach(json_object_get(role, "rules"), i, rule)
    {
        if (!zk_apis_rbac_rule_allows(rule, w->a))
            continue;
        w->allowed = true;
        if (w->reason && w->reason_len) {
            char subj[512];
            describe_subject(subject, w->ns, subj, sizeof(subj));
            const char *bname = str_or_empty(zk_json_path_str(binding, "metadata", "name", NULL));
            const json_t *ref = json_object_get(binding, "roleRef");
            if (*w->ns)
                snprintf(w->reason, w->reason_len,
                         "RBAC: allowed by RoleBinding \"%s/%s\" of %s \"%s\" to %s", bname, w->ns,
                         str_or_empty(zk_json_str(ref, "kind")),
                         str_or_empty(zk_json_str(ref, "name")), subj);
            else
                snprintf(w->reason, w->reason_len,
                         "RBAC: allowed by ClusterRoleBinding \"%s\" of %s \"%s\" to %s", bname,
                         str_or_empty(zk_json_str(ref, "kind")),
                         str_or_empty(zk_json_str(ref, "name")), subj);
        }
        return 1;
    }
    return 0;
}

static int authz_visit_cb(void *arg, const json_t *binding)
{
    return authz_visit(arg, binding);
}

bool zk_apis_rbac_allowed(const zk_rbac_source *src, const zk_user_info *u, const zk_authz_attrs *a,
                          char *reason, size_t reason_len)
{
    if (reason && reason_len)
        reason[0] = '\0';
    if (!u || !a || !a->verb)
        return false;
    if (in_groups(u, ZK_RBAC_MASTERS_GROUP)) {
        if (reason && reason_len)
            snprintf(reason, reason_len, "RBAC: allowed by membership in group \"%s\"",
                     ZK_RBAC_MASTERS_GROUP);
        return true;
    }
    if (!src)
        return false;

    authz_walk w = {
        .src = src, .u = u, .a = a, .ns = "", .reason = reason, .reason_len = reason_len,
        .errs = {ZK_BUF_INIT(ERRORS_MAX), 0},
    };
    if (src->each_cluster_role_binding)
        src->each_cluster_role_binding(src->ctx, authz_visit_cb, &w);
    /* Only namespaced resource requests look at RoleBindings. */
    const char *ns = str_or_empty(a->ns);
    if (!w.allowed && a->resource_request && *ns && src->each_role_binding) {
        w.ns = ns;
        src->each_role_binding(src->ctx, ns, authz_visit_cb, &w);
    }
    if (!w.allowed && w.errs.count > 0 && reason && reason_len) {
        zk_autobuf zk_buf out = ZK_BUF_INIT(ERRORS_MAX + 16);
        zk_buf_puts(&out, "RBAC: ");
        format_errors(&w.errs, &out);
        snprintf(reason, reason_len, "%s", str_or_empty(out.data));
    }
    zk_buf_free(&w.errs.buf);
    return w.allowed;
}

/* ---- rules for SelfSubjectRulesReview ---- */

typedef struct rules_walk {
    const zk_rbac_source *src;
    const zk_user_info *u;
    const char *ns;
    json_t *resource_rules;
    json_t *non_resource_rules;
    walk_errors errs;
} rules_walk;

static void append_unique(json_t *arr, json_t *rule)
{
    size_t i;
    const json_t *have;
    json_array_foreach(arr, i, have)
    {
        if (json_equal((json_t *)have, rule)) {
            json_decref(rule);
            return;
        }
    }
    json_array_append_new(arr, rule);
}

static json_t *copy_array(const json_t *rule, const char *key)
{
    const json_t *v = json_object_get(rule, key);
    return json_is_array(v) ? json_deep_copy(v) : json_array();
}

static void add_rule(rules_walk *w, const json_t *rule)
{
    if (!json_is_object(rule))
        return;
    if (json_array_size(json_object_get(rule, "resources")) > 0) {
        json_t *r = json_object();
        json_object_set_new(r, "verbs", copy_array(rule, "verbs"));
        json_object_set_new(r, "apiGroups", copy_array(rule, "apiGroups"));
        json_object_set_new(r, "resources", copy_array(rule, "resources"));
        if (json_array_size(json_object_get(rule, "resourceNames")) > 0)
            json_object_set_new(r, "resourceNames", copy_array(rule, "resourceNames"));
        append_unique(w->resource_rules, r);
    }
    if (json_array_size(json_object_get(rule, "nonResourceURLs")) > 0) {
        json_t *r = json_object();
        json_object_set_new(r, "verbs", copy_array(rule, "verbs"));
        json_object_set_new(r, "nonResourceURLs", copy_array(rule, "nonResourceURLs"));
        append_unique(w->non_resource_rules, r);
    }
}

static int rules_visit_cb(void *arg, const json_t *binding)
{
    rules_walk *w = arg;
    if (!binding_applies(w->u, binding, w->ns))
        return 0;
    const json_t *role = resolve_role(w->src, binding, w->ns, &w->errs);
    size_t i;
    const json_t *rule;
    json_array_foreach(json_object_get(role, "rules"), i, rule)
        add_rule(w, rule);
    return 0;
}

json_t *zk_apis_rbac_rules_for(const zk_rbac_source *src, const zk_user_info *u, const char *ns)
{
    rules_walk w = {
        .src = src, .u = u, .ns = "",
        .resource_rules = json_array(), .non_resource_rules = json_array(),
        .errs = {ZK_BUF_INIT(ERRORS_MAX), 0},
    };
    if (u && in_groups(u, ZK_RBAC_MASTERS_GROUP)) {
        append_unique(w.resource_rules, json_pack("{s:[s],s:[s],s:[s]}", "verbs", "*", "apiGroups",
                                                  "*", "resources", "*"));
        append_unique(w.non_resource_rules,
                      json_pack("{s:[s],s:[s]}", "verbs", "*", "nonResourceURLs", "*"));
    }
    if (u && src) {
        if (src->each_cluster_role_binding)
            src->each_cluster_role_binding(src->ctx, rules_visit_cb, &w);
        if (ns && *ns && src->each_role_binding) {
            w.ns = ns;
            src->each_role_binding(src->ctx, ns, rules_visit_cb, &w);
        }
    }
    json_t *out = json_object();
    json_object_set_new(out, "resourceRules", w.resource_rules);
    json_object_set_new(out, "nonResourceRules", w.non_resource_rules);
    json_object_set_new(out, "incomplete", json_boolean(w.errs.count > 0));
    if (w.errs.count > 0) {
        zk_autobuf zk_buf msg = ZK_BUF_INIT(ERRORS_MAX + 16);
        format_errors(&w.errs, &msg);
        json_object_set_new(out, "evaluationError", json_string(str_or_empty(msg.data)));
    }
    zk_buf_free(&w.errs.buf);
    return out;
}
