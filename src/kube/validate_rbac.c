/* Validators of rbac.authorization.k8s.io/v1 (Role, ClusterRole and their
 * bindings) and apiextensions.k8s.io/v1 CustomResourceDefinition. */
#include <ctype.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/validate.h"
#include "kube/validate_int.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"

static void validate_policy_rules(zk_field_errors *e, const json_t *obj, bool namespaced)
{
    char p[ZK_KPATH_MAX], rp[ZK_KPATH_MAX];
    const json_t *rules = zk_kube__arr(obj, "rules");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        ZK_KP(rp, "rules[%zu]", i);
        if (zk_kube__len(zk_kube__arr(r, "verbs")) == 0)
            zk_field_required(e, ZK_KP(p, "%s.verbs", rp), "verbs must contain at least one value");
        const json_t *urls = zk_kube__arr(r, "nonResourceURLs");
        if (zk_kube__len(urls) > 0) {
            ZK_KP(p, "%s.nonResourceURLs", rp);
            if (namespaced)
                zk_field_invalid(e, p, urls, "namespaced rules cannot apply to non-resource URLs");
            if (zk_kube__len(zk_kube__arr(r, "apiGroups")) || zk_kube__len(zk_kube__arr(r, "resources")) ||
                zk_kube__len(zk_kube__arr(r, "resourceNames")))
                zk_field_invalid(e, p, urls, "rules cannot apply to both regular resources and "
                                             "non-resource URLs");
            continue;
        }
        if (zk_kube__len(zk_kube__arr(r, "apiGroups")) == 0)
            zk_field_required(e, ZK_KP(p, "%s.apiGroups", rp),
                              "resource rules must supply at least one api group");
        if (zk_kube__len(zk_kube__arr(r, "resources")) == 0)
            zk_field_required(e, ZK_KP(p, "%s.resources", rp),
                              "resource rules must supply at least one resource");
    }
}

void zk_kube_validate_role(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    validate_policy_rules(e, obj, true);
}

void zk_kube_validate_cluster_role(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    validate_policy_rules(e, obj, false);
    const json_t *agg = zk_kube__obj(obj, "aggregationRule");
    if (!agg)
        return;
    const json_t *sels = zk_kube__arr(agg, "clusterRoleSelectors");
    if (zk_kube__len(sels) == 0)
        zk_field_required(e, "aggregationRule.clusterRoleSelectors",
                          "at least one clusterRoleSelector required if aggregationRule is "
                          "non-nil");
    char p[ZK_KPATH_MAX];
    for (size_t i = 0; i < json_array_size(sels); i++)
        zk_kube__validate_label_selector(e, json_array_get(sels, i),
                                         ZK_KP(p, "aggregationRule.clusterRoleSelectors[%zu]", i));
}

static void validate_subject(zk_field_errors *e, const json_t *s, bool namespaced,
                             const char *path)
{
    static const char *const kinds[] = {"ServiceAccount", "User", "Group", NULL};
    static const char *const rbac_group[] = {RBAC_GROUP, NULL};
    static const char *const core_group[] = {"", NULL};
    char p[ZK_KPATH_MAX];
    const char *name = zk_kube__str0(s, "name");
    const char *kind = zk_kube__str0(s, "kind");
    const char *group = zk_kube__str0(s, "apiGroup");
    if (!name[0])
        zk_field_required(e, ZK_KP(p, "%s.name", path), "");
    if (strcmp(kind, "ServiceAccount") == 0) {
        if (name[0])
            zk_kube__check(e, ZK_KP(p, "%s.name", path), name, zk_kube_names_dns1123_subdomain);
        if (group[0])
            zk_kube__not_supported_str(e, ZK_KP(p, "%s.apiGroup", path), group, core_group);
        if (!namespaced && !zk_kube__str0(s, "namespace")[0])
            zk_field_required(e, ZK_KP(p, "%s.namespace", path), "");
    } else if (strcmp(kind, "User") == 0 || strcmp(kind, "Group") == 0) {
        if (strcmp(group, RBAC_GROUP) != 0)
            zk_kube__not_supported_str(e, ZK_KP(p, "%s.apiGroup", path), group, rbac_group);
    } else {
        zk_kube__not_supported_str(e, ZK_KP(p, "%s.kind", path), kind, kinds);
    }
}

static void validate_binding(zk_field_errors *e, const json_t *obj, const json_t *old,
                             bool namespaced)
{
    static const char *const rbac_group[] = {RBAC_GROUP, NULL};
    static const char *const ns_kinds[] = {"Role", "ClusterRole", NULL};
    static const char *const cluster_kinds[] = {"ClusterRole", NULL};
    const json_t *ref = zk_kube__obj(obj, "roleRef");
    const char *group = zk_kube__str0(ref, "apiGroup");
    const char *kind = zk_kube__str0(ref, "kind");
    const char *name = zk_kube__str0(ref, "name");
    if (strcmp(group, RBAC_GROUP) != 0)
        zk_kube__not_supported_str(e, "roleRef.apiGroup", group, rbac_group);
    const char *const *kinds = namespaced ? ns_kinds : cluster_kinds;
    if (!zk_kube__one_of(kind, kinds))
        zk_kube__not_supported_str(e, "roleRef.kind", kind, kinds);
    if (!name[0])
        zk_field_required(e, "roleRef.name", "");
    else
        zk_kube__check(e, "roleRef.name", name, zk_kube_names_path_segment_name);
    const json_t *subjects = zk_kube__arr(obj, "subjects");
    char p[ZK_KPATH_MAX];
    for (size_t i = 0; i < json_array_size(subjects); i++)
        validate_subject(e, json_array_get(subjects, i), namespaced,
                         ZK_KP(p, "subjects[%zu]", i));
    if (old) {
        const json_t *oref = zk_kube__obj(old, "roleRef");
        if (!zk_kube__equal(ref, oref))
            zk_field_invalid(e, "roleRef", ref, "cannot change roleRef");
    }
}

void zk_kube_validate_role_binding(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    validate_binding(e, obj, old, true);
}

void zk_kube_validate_cluster_role_binding(const json_t *obj, const json_t *old,
                                           zk_field_errors *e)
{
    validate_binding(e, obj, old, false);
}

/* ---- CustomResourceDefinition ------------------------------------------- */

/* DNS-1035 messages joined with ",", as the CRD validation prints them. */
static void check_1035_joined(zk_field_errors *e, const char *path, const char *value,
                              const char *shown, const char *prefix)
{
    zk_kube_name_msgs m;
    if (!zk_kube_names_dns1035_label(value, &m))
        return;
    char msg[ZK_KUBE_NAME_MSGS_MAX * ZK_KUBE_NAME_MSG_LEN + 128];
    size_t used = (size_t)snprintf(msg, sizeof(msg), "%s", prefix);
    for (size_t i = 0; i < m.n && used < sizeof(msg); i++)
        used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? "," : "", m.msg[i]);
    zk_field_invalid_str(e, path, shown, msg);
}

void zk_kube_validate_crd(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    static const char *const scopes[] = {"Cluster", "Namespaced", NULL};
    static const char *const strategies[] = {"None", "Webhook", NULL};
    char p[ZK_KPATH_MAX];
    const json_t *spec = zk_kube__obj(obj, "spec");
    const json_t *names = zk_kube__obj(spec, "names");
    const char *group = zk_kube__str0(spec, "group");
    const char *plural = zk_kube__str0(names, "plural");

    if (!old) {
        const char *name = zk_kube__str0(zk_kube__obj(obj, "metadata"), "name");
        char want[600];
        snprintf(want, sizeof(want), "%s.%s", plural, group);
        if (name[0] && strcmp(name, want) != 0)
            zk_field_invalid_str(e, "metadata.name", name,
                                 "must be spec.names.plural+\".\"+spec.group");
    }

    if (!group[0]) {
        zk_field_required(e, "spec.group", "");
    } else {
        zk_kube_name_msgs m;
        if (zk_kube_names_dns1123_subdomain(group, &m))
            zk_kube__check(e, "spec.group", group, zk_kube_names_dns1123_subdomain);
        else if (!strchr(group, '.'))
            zk_field_invalid_str(e, "spec.group", group,
                                 "should be a domain with at least one dot");
    }

    const char *scope = zk_kube__str0(spec, "scope");
    if (!scope[0])
        zk_field_required(e, "spec.scope", "");
    else if (!zk_kube__one_of(scope, scopes))
        zk_kube__not_supported_str(e, "spec.scope", scope, scopes);

    const json_t *versions = zk_kube__arr(spec, "versions");
    size_t storage = 0;
    bool unique = true;
    for (size_t i = 0; i < json_array_size(versions); i++) {
        const json_t *v = json_array_get(versions, i);
        const char *vn = zk_kube__str0(v, "name");
        if (zk_kube__is_true(v, "storage"))
            storage++;
        for (size_t j = 0; j < i; j++)
            if (strcmp(zk_kube__str0(json_array_get(versions, j), "name"), vn) == 0)
                unique = false;
        check_1035_joined(e, ZK_KP(p, "spec.versions[%zu].name", i), vn, vn, "");
    }
    if (!unique)
        zk_field_invalid(e, "spec.versions", versions, "must contain unique version names");
    if (json_array_size(versions) < 1)
        zk_field_required(e, "spec.versions", "must have at least one version");
    else if (storage != 1)
        zk_field_invalid(e, "spec.versions", versions,
                         "must have exactly one version marked as storage version");

    /* names */
    static const char *const lower_keys[] = {"plural", "singular", NULL};
    for (size_t i = 0; lower_keys[i]; i++) {
        const char *v = zk_kube__str0(names, lower_keys[i]);
        if (v[0])
            check_1035_joined(e, ZK_KP(p, "spec.names.%s", lower_keys[i]), v, v, "");
    }
    if (!plural[0])
        zk_field_required(e, "spec.names.plural", "");
    if (!zk_kube__str0(names, "singular")[0])
        zk_field_required(e, "spec.names.singular", "");
    static const char *const lists[] = {"shortNames", "categories", NULL};
    for (size_t l = 0; lists[l]; l++) {
        const json_t *arr = zk_kube__arr(names, lists[l]);
        for (size_t i = 0; i < json_array_size(arr); i++) {
            const char *v = json_string_value(json_array_get(arr, i)) ?: "";
            check_1035_joined(e, ZK_KP(p, "spec.names.%s[%zu]", lists[l], i), v, v, "");
        }
    }
    static const char *const kind_keys[] = {"kind", "listKind", NULL};
    for (size_t i = 0; kind_keys[i]; i++) {
        const char *v = zk_kube__str0(names, kind_keys[i]);
        ZK_KP(p, "spec.names.%s", kind_keys[i]);
        if (!v[0]) {
            zk_field_required(e, p, "");
            continue;
        }
        zk_autofree char *lower = zk_xstrdup(v);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        check_1035_joined(e, p, lower, v, "may have mixed case, but should otherwise match: ");
    }
    const char *kind = zk_kube__str0(names, "kind"), *list = zk_kube__str0(names, "listKind");
    if (kind[0] && strcmp(kind, list) == 0)
        zk_field_invalid_str(e, "spec.names.listKind", list, "kind and listKind may not be the same");

    const json_t *conv = zk_kube__obj(spec, "conversion");
    if (conv) {
        const char *st = zk_kube__str0(conv, "strategy");
        if (!zk_kube__one_of(st, strategies))
            zk_kube__not_supported_str(e, "spec.conversion.strategy", st, strategies);
        else if (strcmp(st, "Webhook") == 0 && !zk_kube__obj(conv, "webhook"))
            zk_field_required(e, "spec.conversion.webhook",
                              "webhook must be specified when strategy is Webhook");
    }

    if (old) {
        const json_t *ospec = zk_kube__obj(old, "spec");
        zk_kube__immutable(e, "spec.group", json_object_get(spec, "group"),
                           json_object_get(ospec, "group"));
        zk_kube__immutable(e, "spec.names.plural", json_object_get(names, "plural"),
                           json_object_get(zk_kube__obj(ospec, "names"), "plural"));
        /* Once established, clients rely on scope and kind. */
        const json_t *conds = zk_kube__arr(zk_kube__obj(old, "status"), "conditions");
        bool established = false;
        for (size_t i = 0; i < json_array_size(conds); i++) {
            const json_t *c = json_array_get(conds, i);
            established |= strcmp(zk_kube__str0(c, "type"), "Established") == 0 &&
                           strcmp(zk_kube__str0(c, "status"), "True") == 0;
        }
        if (established) {
            zk_kube__immutable(e, "spec.scope", json_object_get(spec, "scope"),
                               json_object_get(ospec, "scope"));
            zk_kube__immutable(e, "spec.names.kind", json_object_get(names, "kind"),
                               json_object_get(zk_kube__obj(ospec, "names"), "kind"));
        }
    }
}
