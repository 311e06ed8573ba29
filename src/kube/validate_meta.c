/* ObjectMeta validation, as apimachinery's ValidateObjectMeta and
 * ValidateObjectMetaUpdate do it, and the per-kind name rules. */
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "kube/validate.h"
#include "kube/validate_int.h"

typedef size_t (*name_fn)(const char *s, bool prefix, zk_kube_name_msgs *m);

static name_fn name_fn_for(zk_name_rule rule)
{
    switch (rule) {
    case ZK_NAME_DNS1123_LABEL:
        return zk_kube_names_object_label;
    case ZK_NAME_PATH_SEGMENT:
        return zk_kube_names_object_path_segment;
    case ZK_NAME_DNS1035_LABEL:
        return zk_kube_names_object_dns1035;
    case ZK_NAME_DNS1123_SUBDOMAIN:
    default:
        return zk_kube_names_object_subdomain;
    }
}

zk_name_rule zk_kube_name_rule_for(const char *group, const char *kind)
{
    if (!group || !kind)
        return ZK_NAME_DNS1123_SUBDOMAIN;
    if (group[0] == '\0') {
        if (strcmp(kind, "Namespace") == 0)
            return ZK_NAME_DNS1123_LABEL;
        if (strcmp(kind, "Service") == 0)
            return ZK_NAME_DNS1035_LABEL;
        return ZK_NAME_DNS1123_SUBDOMAIN;
    }
    if (strcmp(group, "apps") == 0 && strcmp(kind, "StatefulSet") == 0)
        return ZK_NAME_DNS1123_LABEL;
    if (strcmp(group, "rbac.authorization.k8s.io") == 0)
        return ZK_NAME_PATH_SEGMENT;
    return ZK_NAME_DNS1123_SUBDOMAIN;
}

static void name_errors(zk_field_errors *e, const char *path, const char *value, bool prefix,
                        name_fn fn)
{
    zk_kube_name_msgs m;
    fn(value, prefix, &m);
    for (size_t i = 0; i < m.n; i++)
        zk_field_invalid_str(e, path, value, m.msg[i]);
}

/* The version part of "group/version" or "version"; empty when malformed,
 * as schema.ParseGroupVersion then fails. */
static void api_version_version(const char *apiv, char *out, size_t n)
{
    out[0] = '\0';
    const char *slash = strchr(apiv, '/');
    if (!slash) {
        snprintf(out, n, "%s", apiv);
        return;
    }
    if (strchr(slash + 1, '/'))
        return;
    snprintf(out, n, "%s", slash + 1);
}

static void validate_owner_references(zk_field_errors *e, const json_t *refs)
{
    const char *path = "metadata.ownerReferences";
    char p[ZK_KPATH_MAX];
    char first[ZK_KPATH_MAX] = "";
    for (size_t i = 0; i < json_array_size(refs); i++) {
        const json_t *r = json_array_get(refs, i);
        const char *apiv = zk_kube__str0(r, "apiVersion");
        const char *kind = zk_kube__str0(r, "kind");
        char version[256];
        api_version_version(apiv, version, sizeof(version));
        if (!version[0])
            zk_field_invalid_str(e, ZK_KP(p, "%s.apiVersion", path), apiv,
                                 "version must not be empty");
        if (!kind[0])
            zk_field_invalid_str(e, ZK_KP(p, "%s.kind", path), kind, "must not be empty");
        if (!zk_kube__str0(r, "name")[0])
            zk_field_invalid_str(e, ZK_KP(p, "%s.name", path), "", "must not be empty");
        if (!zk_kube__str0(r, "uid")[0])
            zk_field_invalid_str(e, ZK_KP(p, "%s.uid", path), "", "must not be empty");
        if (strcmp(apiv, "v1") == 0 && strcmp(kind, "Event") == 0)
            zk_field_invalid(e, path, r, "/v1, Kind=Event is disallowed from being an owner");
        if (zk_kube__is_true(r, "controller")) {
            char cur[ZK_KPATH_MAX];
            snprintf(cur, sizeof(cur), "%s/%s", kind, zk_kube__str0(r, "name"));
            if (first[0]) {
                char msg[2 * ZK_KPATH_MAX + 128];
                snprintf(msg, sizeof(msg),
                         "Only one reference can have Controller set to true. Found \"true\" "
                         "in references for %s and %s", first, cur);
                zk_field_invalid(e, path, refs, msg);
            } else {
                snprintf(first, sizeof(first), "%s", cur);
            }
        }
    }
}

static void validate_finalizers(zk_field_errors *e, const json_t *fins)
{
    bool orphan = false, foreground = false;
    for (size_t i = 0; i < json_array_size(fins); i++) {
        const json_t *f = json_array_get(fins, i);
        if (!json_is_string(f))
            continue;
        const char *s = json_string_value(f);
        zk_kube__check(e, "metadata.finalizers", s, zk_kube_names_qualified_name);
        if (strcmp(s, "orphan") == 0)
            orphan = true;
        if (strcmp(s, "foregroundDeletion") == 0)
            foreground = true;
    }
    if (orphan && foreground)
        zk_field_invalid(e, "metadata.finalizers", fins,
                         "finalizer orphan and foregroundDeletion cannot be both set");
}

void zk_kube__validate_kube_finalizers(zk_field_errors *e, const json_t *obj)
{
    static const char *const standard[] = {"kubernetes", "orphan", "foregroundDeletion", NULL};
    const json_t *fins = zk_kube__arr(zk_kube__obj(obj, "metadata"), "finalizers");
    char p[ZK_KPATH_MAX];
    for (size_t i = 0; i < json_array_size(fins); i++) {
        const json_t *f = json_array_get(fins, i);
        if (!json_is_string(f))
            continue;
        const char *s = json_string_value(f);
        if (!strchr(s, '/') && !zk_kube__one_of(s, standard))
            zk_field_invalid_str(e, ZK_KP(p, "metadata.finalizers[%zu]", i), s,
                                 "name is neither a standard finalizer name nor is it fully "
                                 "qualified");
    }
}

/* Finalizers in cur that old lacks, as Go prints []string{"a", "b"}. */
static bool new_finalizers(const json_t *cur, const json_t *old, zk_buf *out)
{
    bool any = false;
    zk_buf_puts(out, "[]string{");
    for (size_t i = 0; i < json_array_size(cur); i++) {
        const json_t *f = json_array_get(cur, i);
        bool found = false;
        for (size_t j = 0; j < json_array_size(old) && !found; j++)
            found = json_equal((json_t *)f, json_array_get(old, j));
        if (!found && json_is_string(f)) {
            if (any)
                zk_buf_puts(out, ", ");
            zk_buf_put_json_string(out, json_string_value(f), json_string_length(f));
            any = true;
        }
    }
    zk_buf_puts(out, "}");
    return any;
}

static void validate_meta_update(zk_field_errors *e, const json_t *meta, const json_t *ometa)
{
    if (zk_kube__has(ometa, "deletionTimestamp")) {
        zk_autobuf zk_buf b = ZK_BUF_INIT(16384);
        if (new_finalizers(zk_kube__arr(meta, "finalizers"), zk_kube__arr(ometa, "finalizers"),
                           &b)) {
            char msg[17000];
            snprintf(msg, sizeof(msg),
                     "no new finalizers can be added if the object is being deleted, found new "
                     "finalizers %s", b.data);
            zk_field_forbidden(e, "metadata.finalizers", msg);
        }
    }
    const json_t *gen = json_object_get(meta, "generation");
    const json_t *ogen = json_object_get(ometa, "generation");
    if (json_is_integer(gen) && json_is_integer(ogen) &&
        json_integer_value(gen) < json_integer_value(ogen))
        zk_field_invalid(e, "metadata.generation", gen, "must not be decremented");

    static const char *const strict[] = {"name", "namespace", NULL};
    char p[ZK_KPATH_MAX];
    for (size_t i = 0; strict[i]; i++) {
        const char *a = zk_kube__str0(meta, strict[i]), *b = zk_kube__str0(ometa, strict[i]);
        if (strcmp(a, b) != 0)
            zk_field_invalid_str(e, ZK_KP(p, "metadata.%s", strict[i]), a, ZK_KUBE_IMMUTABLE);
    }
    /* Absent means "not given": the registry fills these in from old. */
    static const char *const when_given[] = {"uid", "creationTimestamp", NULL};
    for (size_t i = 0; when_given[i]; i++) {
        const json_t *a = json_object_get(meta, when_given[i]);
        if (!a || json_is_null(a))
            continue;
        if (!zk_kube__equal(a, json_object_get(ometa, when_given[i])))
            zk_field_invalid(e, ZK_KP(p, "metadata.%s", when_given[i]), a, ZK_KUBE_IMMUTABLE);
    }
}

void zk_kube_validate_object_meta(const json_t *obj, const json_t *old, bool namespaced,
                                  zk_name_rule rule, zk_field_errors *errs)
{
    const json_t *meta = zk_kube__obj(obj, "metadata");
    const char *name = zk_kube__str0(meta, "name");
    const char *gen_name = zk_kube__str0(meta, "generateName");
    name_fn fn = name_fn_for(rule);

    /* Names are checked on create only: a name cannot change, and objects
     * stored under older rules must stay updatable (Kubernetes does the same). */
    if (!old) {
        if (gen_name[0])
            name_errors(errs, "metadata.generateName", gen_name, true, fn);
        if (!name[0])
            zk_field_required(errs, "metadata.name", "name or generateName is required");
        else
            name_errors(errs, "metadata.name", name, false, fn);
    }

    const char *ns = zk_kube__str0(meta, "namespace");
    if (namespaced) {
        if (!ns[0])
            zk_field_required(errs, "metadata.namespace", "");
        else
            name_errors(errs, "metadata.namespace", ns, false, zk_kube_names_object_label);
    } else if (ns[0]) {
        zk_field_forbidden(errs, "metadata.namespace", "not allowed on this type");
    }

    zk_kube__nonneg(errs, "metadata.generation", meta, "generation");
    zk_kube__validate_labels(errs, zk_kube__obj(meta, "labels"), "metadata.labels");
    zk_kube__validate_annotations(errs, zk_kube__obj(meta, "annotations"), "metadata.annotations");
    validate_owner_references(errs, zk_kube__arr(meta, "ownerReferences"));
    validate_finalizers(errs, zk_kube__arr(meta, "finalizers"));

    if (old)
        validate_meta_update(errs, meta, zk_kube__obj(old, "metadata"));
}
