/* PodSpec and PodTemplateSpec validation (Kubernetes' ValidatePodSpec and
 * what it calls), used by Pod and by every workload that embeds a template. */
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/validate_int.h"

#define FILE_MODE_MSG "must be a number between 0 and 0777 (octal), both inclusive"
#define NOT_WITHOUT_RESTART "may not be set for init containers without restartPolicy=Always"

static const char *const volume_sources[] = {
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret",
    "nfs", "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs",
    "quobyte", "downwardAPI", "fc", "flexVolume", "configMap", "azureFile", "vsphereVolume",
    "photonPersistentDisk", "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO",
    "csi", "ephemeral", "image", NULL,
};

/* Names of the volumes that validated cleanly; mounts may only use these. */
typedef struct vol_set {
    const char **names;
    size_t n;
} vol_set;

static bool vol_set_has(const vol_set *vs, const char *name)
{
    for (size_t i = 0; i < vs->n; i++)
        if (strcmp(vs->names[i], name) == 0)
            return true;
    return false;
}

static size_t nerrs(const zk_field_errors *e)
{
    return e->n + e->dropped;
}

static void validate_mode(zk_field_errors *e, const json_t *o, const char *key, const char *path)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v) && (json_integer_value(v) < 0 || json_integer_value(v) > 0777))
        zk_field_invalid(e, path, v, FILE_MODE_MSG);
}

/* Kubernetes' validateLocalDescendingPath, both errors on the same path. */
static void validate_local_descending_path(zk_field_errors *e, const char *value, const char *path)
{
    if (value[0] == '/')
        zk_field_invalid_str(e, path, value, "must be a relative path");
    /* validatePathNoBacksteps: no ".." element */
    const char *p = value;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            zk_field_invalid_str(e, path, value, "must not contain '..'");
            break;
        }
        p += len;
        if (*p == '/')
            p++;
    }
}

static void validate_key_to_paths(zk_field_errors *e, const json_t *items, const char *path)
{
    char ip[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *it = json_array_get(items, i);
        ZK_KP(ip, "%s[%zu]", path, i);
        if (!zk_kube__str0(it, "key")[0])
            zk_field_required(e, ZK_KP(p, "%s.key", ip), "");
        const char *ipath = zk_kube__str0(it, "path");
        if (!ipath[0]) {
            zk_field_required(e, ZK_KP(p, "%s.path", ip), "");
        } else {
            validate_local_descending_path(e, ipath, ZK_KP(p, "%s.path", ip));
            if (strncmp(ipath, "..", 2) == 0)
                zk_field_invalid_str(e, ZK_KP(p, "%s.path", ip), ipath,
                                     "must not start with '..'");
        }
        validate_mode(e, it, "mode", ZK_KP(p, "%s.mode", ip));
    }
}

static void validate_volume_source(zk_field_errors *e, const json_t *vol, const char *path)
{
    char p[ZK_KPATH_MAX], q[ZK_KPATH_MAX];
    size_t n = 0;
    for (size_t i = 0; volume_sources[i]; i++) {
        const char *src = volume_sources[i];
        const json_t *s = json_object_get(vol, src);
        if (!s || json_is_null(s))
            continue;
        ZK_KP(p, "%s.%s", path, src);
        if (n++ > 0) {
            zk_field_forbidden(e, p, "may not specify more than 1 volume type");
            continue;
        }
        if (strcmp(src, "configMap") == 0) {
            if (!zk_kube__str0(s, "name")[0])
                zk_field_required(e, ZK_KP(q, "%s.name", p), "");
            validate_mode(e, s, "defaultMode", ZK_KP(q, "%s.defaultMode", p));
            validate_key_to_paths(e, zk_kube__arr(s, "items"), ZK_KP(q, "%s.items", p));
        } else if (strcmp(src, "secret") == 0) {
            if (!zk_kube__str0(s, "secretName")[0])
                zk_field_required(e, ZK_KP(q, "%s.secretName", p), "");
            validate_mode(e, s, "defaultMode", ZK_KP(q, "%s.defaultMode", p));
            validate_key_to_paths(e, zk_kube__arr(s, "items"), ZK_KP(q, "%s.items", p));
        } else if (strcmp(src, "hostPath") == 0) {
            const char *hp = zk_kube__str0(s, "path");
            if (!hp[0])
                zk_field_required(e, ZK_KP(q, "%s.path", p), "");
        } else if (strcmp(src, "persistentVolumeClaim") == 0) {
            if (!zk_kube__str0(s, "claimName")[0])
                zk_field_required(e, ZK_KP(q, "%s.claimName", p), "");
        } else if (strcmp(src, "nfs") == 0) {
            if (!zk_kube__str0(s, "server")[0])
                zk_field_required(e, ZK_KP(q, "%s.server", p), "");
            const char *np = zk_kube__str0(s, "path");
            if (!np[0])
                zk_field_required(e, ZK_KP(q, "%s.path", p), "");
            else if (np[0] != '/')
                zk_field_invalid_str(e, ZK_KP(q, "%s.path", p), np, "must be an absolute path");
        } else if (strcmp(src, "emptyDir") == 0) {
            const json_t *sl = json_object_get(s, "sizeLimit");
            long double v;
            if (sl && zk_kube__quantity_parse(sl, &v) && v < 0)
                zk_field_forbidden(e, ZK_KP(q, "%s.sizeLimit", p),
                                   "SizeLimit field must be a valid resource quantity");
        } else if (strcmp(src, "downwardAPI") == 0 || strcmp(src, "projected") == 0) {
            validate_mode(e, s, "defaultMode", ZK_KP(q, "%s.defaultMode", p));
        }
    }
    if (n == 0)
        zk_field_required(e, path, "must specify a volume type");
}

static void validate_volumes(zk_field_errors *e, const json_t *vols, const char *path,
                             vol_set *vs)
{
    char ip[ZK_KPATH_MAX], np[ZK_KPATH_MAX];
    vs->names = zk_xcalloc(json_array_size(vols) + 1, sizeof(*vs->names));
    vs->n = 0;
    for (size_t i = 0; i < json_array_size(vols); i++) {
        const json_t *v = json_array_get(vols, i);
        ZK_KP(ip, "%s[%zu]", path, i);
        ZK_KP(np, "%s.name", ip);
        size_t before = nerrs(e);
        validate_volume_source(e, v, ip);
        const char *name = zk_kube__str0(v, "name");
        if (!name[0])
            zk_field_required(e, np, "");
        else
            zk_kube__check(e, np, name, zk_kube_names_dns1123_label);
        if (vol_set_has(vs, name)) {
            zk_autojson json_t *j = json_string(name);
            zk_field_duplicate(e, np, j);
        }
        if (nerrs(e) == before)
            vs->names[vs->n++] = name;
    }
}

static void validate_ports(zk_field_errors *e, const json_t *ports, const char *path)
{
    char ip[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *port = json_array_get(ports, i);
        ZK_KP(ip, "%s[%zu]", path, i);
        const char *name = zk_kube__str0(port, "name");
        if (name[0]) {
            zk_kube_name_msgs m;
            if (zk_kube_names_port_name(name, &m)) {
                for (size_t k = 0; k < m.n; k++)
                    zk_field_invalid_str(e, ZK_KP(p, "%s.name", ip), name, m.msg[k]);
            } else {
                for (size_t j = 0; j < i; j++) {
                    if (strcmp(zk_kube__str0(json_array_get(ports, j), "name"), name) == 0) {
                        zk_autojson json_t *jn = json_string(name);
                        zk_field_duplicate(e, ZK_KP(p, "%s.name", ip), jn);
                        break;
                    }
                }
            }
        }
        const json_t *cp = json_object_get(port, "containerPort");
        json_int_t cpv = json_is_integer(cp) ? json_integer_value(cp) : 0;
        if (cpv == 0)
            zk_field_required(e, ZK_KP(p, "%s.containerPort", ip), "");
        else if (!zk_kube_is_port_num(cpv))
            zk_field_invalid(e, ZK_KP(p, "%s.containerPort", ip), cp, ZK_KUBE_PORT_RANGE_MSG);
        const json_t *hp = json_object_get(port, "hostPort");
        if (json_is_integer(hp) && json_integer_value(hp) != 0 &&
            !zk_kube_is_port_num(json_integer_value(hp)))
            zk_field_invalid(e, ZK_KP(p, "%s.hostPort", ip), hp, ZK_KUBE_PORT_RANGE_MSG);
        const char *proto = zk_kube__str0(port, "protocol");
        if (!proto[0])
            zk_field_required(e, ZK_KP(p, "%s.protocol", ip), "");
        else if (!zk_kube__one_of(proto, protocols))
            zk_kube__not_supported_str(e, ZK_KP(p, "%s.protocol", ip), proto, protocols);
    }
}

/* Field paths a pod's fieldRef may name; the convertible and the env sets. */
static const char *const field_labels_v1[] = {
    "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
    "metadata.uid", "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName",
    "spec.schedulerName", "status.phase", "status.hostIP", "status.hostIPs", "status.podIP",
    "status.podIPs", NULL,
};
static const char *const env_field_paths[] = {
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
    "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
    "status.podIPs", NULL,
};
static const char *const env_resource_paths[] = {
    "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
    "requests.ephemeral-storage", "requests.memory", NULL,
};

static void validate_field_ref(zk_field_errors *e, const json_t *fs, const char *path)
{
    char p[ZK_KPATH_MAX];
    const char *apiv = zk_kube__str0(fs, "apiVersion");
    const char *fp = zk_kube__str0(fs, "fieldPath");
    if (!apiv[0]) {
        zk_field_required(e, ZK_KP(p, "%s.apiVersion", path), "");
        return;
    }
    if (!fp[0]) {
        zk_field_required(e, ZK_KP(p, "%s.fieldPath", path), "");
        return;
    }
    char msg[512];
    if (strcmp(apiv, "v1") != 0) {
        snprintf(msg, sizeof(msg), "error converting fieldPath: unsupported pod version: %s", apiv);
        zk_field_invalid_str(e, ZK_KP(p, "%s.fieldPath", path), fp, msg);
        return;
    }
    /* metadata.labels['key'] and metadata.annotations['key'] */
    const char *br = strchr(fp, '[');
    if (br) {
        size_t plen = (size_t)(br - fp), len = strlen(fp);
        char base[128];
        snprintf(base, sizeof(base), "%.*s", (int)(plen < 127 ? plen : 127), fp);
        if (len > plen + 4 && br[1] == '\'' && fp[len - 2] == '\'' && fp[len - 1] == ']') {
            char key[512];
            snprintf(key, sizeof(key), "%.*s", (int)(len - plen - 4), br + 2);
            if (strcmp(base, "metadata.annotations") == 0) {
                for (char *c = key; *c; c++)
                    if (*c >= 'A' && *c <= 'Z')
                        *c = (char)(*c - 'A' + 'a');
                zk_kube__check(e, path, key, zk_kube_names_qualified_name);
                return;
            }
            if (strcmp(base, "metadata.labels") == 0) {
                zk_kube__check(e, path, key, zk_kube_names_qualified_name);
                return;
            }
            zk_field_invalid_str(e, path, base, "does not support subscript");
            return;
        }
    }
    if (!zk_kube__one_of(fp, field_labels_v1)) {
        snprintf(msg, sizeof(msg), "error converting fieldPath: field label not supported: %s", fp);
        zk_field_invalid_str(e, ZK_KP(p, "%s.fieldPath", path), fp, msg);
        return;
    }
    if (!zk_kube__one_of(fp, env_field_paths))
        zk_kube__not_supported_str(e, ZK_KP(p, "%s.fieldPath", path), fp, env_field_paths);
}

static void validate_key_selector(zk_field_errors *e, const json_t *s, const char *path)
{
    char p[ZK_KPATH_MAX];
    zk_kube_name_msgs m;
    const char *name = zk_kube__str0(s, "name");
    zk_kube_names_object_subdomain(name, false, &m);
    for (size_t i = 0; i < m.n; i++)
        zk_field_invalid_str(e, ZK_KP(p, "%s.name", path), name, m.msg[i]);
    const char *key = zk_kube__str0(s, "key");
    if (!key[0])
        zk_field_required(e, ZK_KP(p, "%s.key", path), "");
    else
        zk_kube__check(e, ZK_KP(p, "%s.key", path), key, zk_kube_names_config_map_key);
}

static void validate_env(zk_field_errors *e, const json_t *env, const char *path)
{
    char ip[ZK_KPATH_MAX], vp[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    for (size_t i = 0; i < json_array_size(env); i++) {
        const json_t *ev = json_array_get(env, i);
        ZK_KP(ip, "%s[%zu]", path, i);
        const char *name = zk_kube__str0(ev, "name");
        if (!name[0])
            zk_field_required(e, ZK_KP(p, "%s.name", ip), "");
        else
            zk_kube__check(e, ZK_KP(p, "%s.name", ip), name, zk_kube_names_env_var_name);
        const json_t *vf = zk_kube__obj(ev, "valueFrom");
        if (!vf)
            continue;
        ZK_KP(vp, "%s.valueFrom", ip);
        int sources = 0;
        const json_t *s;
        if ((s = zk_kube__obj(vf, "fieldRef"))) {
            sources++;
            validate_field_ref(e, s, ZK_KP(p, "%s.fieldRef", vp));
        }
        if ((s = zk_kube__obj(vf, "resourceFieldRef"))) {
            sources++;
            const char *res = zk_kube__str0(s, "resource");
            ZK_KP(p, "%s.resourceFieldRef.resource", vp);
            if (!res[0])
                zk_field_required(e, p, "");
            else if (!zk_kube__one_of(res, env_resource_paths) &&
                     strncmp(res, "requests.hugepages-", 19) != 0 &&
                     strncmp(res, "limits.hugepages-", 17) != 0)
                zk_kube__not_supported_str(e, p, res, env_resource_paths);
        }
        if ((s = zk_kube__obj(vf, "configMapKeyRef"))) {
            sources++;
            validate_key_selector(e, s, ZK_KP(p, "%s.configMapKeyRef", vp));
        }
        if ((s = zk_kube__obj(vf, "secretKeyRef"))) {
            sources++;
            validate_key_selector(e, s, ZK_KP(p, "%s.secretKeyRef", vp));
        }
        if (sources == 0)
            zk_field_invalid_str(e, vp, "", "must specify one of: `fieldRef`, "
                                            "`resourceFieldRef`, `configMapKeyRef` or "
                                            "`secretKeyRef`");
        else if (zk_kube__str0(ev, "value")[0])
            zk_field_invalid_str(e, vp, "", "may not be specified when `value` is not empty");
        else if (sources > 1)
            zk_field_invalid_str(e, vp, "", "may not have more than one field specified at a "
                                            "time");
    }
}

static void validate_env_from(zk_field_errors *e, const json_t *from, const char *path)
{
    char ip[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    for (size_t i = 0; i < json_array_size(from); i++) {
        const json_t *ef = json_array_get(from, i);
        ZK_KP(ip, "%s[%zu]", path, i);
        const char *prefix = zk_kube__str0(ef, "prefix");
        if (prefix[0])
            zk_kube__check(e, ZK_KP(p, "%s.prefix", ip), prefix, zk_kube_names_env_var_name);
        int sources = 0;
        static const char *const refs[] = {"configMapRef", "secretRef", NULL};
        for (size_t r = 0; refs[r]; r++) {
            const json_t *ref = zk_kube__obj(ef, refs[r]);
            if (!ref)
                continue;
            sources++;
            const char *name = zk_kube__str0(ref, "name");
            ZK_KP(p, "%s.%s.name", ip, refs[r]);
            if (!name[0]) {
                zk_field_required(e, p, "");
            } else {
                zk_kube_name_msgs m;
                zk_kube_names_object_subdomain(name, true, &m);
                for (size_t k = 0; k < m.n; k++)
                    zk_field_invalid_str(e, p, name, m.msg[k]);
            }
        }
        if (sources == 0)
            zk_field_invalid_str(e, path, "", "must specify one of: `configMapRef` or "
                                              "`secretRef`");
        else if (sources > 1)
            zk_field_invalid_str(e, path, "", "may not have more than one field specified at a "
                                              "time");
    }
}

static void validate_volume_mounts(zk_field_errors *e, const json_t *mounts, const char *path,
                                   const vol_set *vs)
{
    char ip[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    for (size_t i = 0; i < json_array_size(mounts); i++) {
        const json_t *m = json_array_get(mounts, i);
        ZK_KP(ip, "%s[%zu]", path, i);
        const char *name = zk_kube__str0(m, "name");
        if (!name[0])
            zk_field_required(e, ZK_KP(p, "%s.name", ip), "");
        if (!vol_set_has(vs, name))
            zk_kube__not_found(e, ZK_KP(p, "%s.name", ip), name);
        const char *mp = zk_kube__str0(m, "mountPath");
        if (!mp[0])
            zk_field_required(e, ZK_KP(p, "%s.mountPath", ip), "");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(zk_kube__str0(json_array_get(mounts, j), "mountPath"), mp) == 0) {
                zk_field_invalid_str(e, ZK_KP(p, "%s.mountPath", ip), mp, "must be unique");
                break;
            }
        }
        const char *sub = zk_kube__str0(m, "subPath");
        const char *subx = zk_kube__str0(m, "subPathExpr");
        if (sub[0])
            validate_local_descending_path(e, sub, ZK_KP(p, "%s.subPath", path));
        if (subx[0]) {
            if (sub[0])
                zk_field_invalid_str(e, ZK_KP(p, "%s.subPathExpr", ip), subx,
                                     "subPathExpr and subPath are mutually exclusive");
            validate_local_descending_path(e, subx, ZK_KP(p, "%s.subPathExpr", path));
        }
    }
}

/* Resource names a container may request without a domain prefix. */
static bool is_hugepages(const char *n)
{
    return strncmp(n, "hugepages-", 10) == 0;
}

static bool is_standard_container_resource(const char *n)
{
    return strcmp(n, "cpu") == 0 || strcmp(n, "memory") == 0 ||
           strcmp(n, "ephemeral-storage") == 0 || is_hugepages(n);
}

static bool is_standard_resource(const char *n)
{
    static const char *const std[] = {
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
        "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
        "persistentvolumeclaims", "storage", "requests.storage", "services.nodeports",
        "services.loadbalancers", NULL,
    };
    return zk_kube__one_of(n, std) || is_hugepages(n) || strncmp(n, "requests.hugepages-", 19) == 0;
}

static bool is_native_resource(const char *n)
{
    return !strchr(n, '/') || strstr(n, "kubernetes.io/") != NULL;
}

/* Requests may exceed neither limits nor, for these, differ from them. */
static bool overcommit_allowed(const char *n)
{
    return is_native_resource(n) && !is_hugepages(n);
}

static void validate_resource_name(zk_field_errors *e, const char *name, const char *path)
{
    zk_kube_name_msgs m;
    if (zk_kube_names_qualified_name(name, &m)) {
        for (size_t i = 0; i < m.n; i++)
            zk_field_invalid_str(e, path, name, m.msg[i]);
        return;
    }
    if (!strchr(name, '/')) {
        if (!is_standard_resource(name))
            zk_field_invalid_str(e, path, name, "must be a standard resource type or fully "
                                                "qualified");
        if (!is_standard_container_resource(name))
            zk_field_invalid_str(e, path, name, "must be a standard resource for containers");
    } else if (!is_native_resource(name) && strncmp(name, "requests.", 9) == 0) {
        zk_field_invalid_str(e, path, name, "doesn't follow extended resource name standard");
    }
}

/* One quantity: syntax, sign, integrality of extended resources. */
static bool validate_quantity(zk_field_errors *e, const char *name, const json_t *q,
                              const char *path, long double *out)
{
    char text[128];
    zk_kube__quantity_text(q, text, sizeof(text));
    if (!zk_kube__quantity_parse(q, out)) {
        zk_field_invalid_str(e, path, text, ZK_KUBE_QUANTITY_REGEX_MSG);
        return false;
    }
    if (*out < 0) {
        zk_field_invalid_str(e, path, text, ZK_KUBE_NONNEG);
        return false;
    }
    if (!is_native_resource(name) && *out != (long double)(long long)*out)
        zk_field_invalid_str(e, path, text, "must be an integer");
    return true;
}

static void validate_resources(zk_field_errors *e, const json_t *res, const char *path)
{
    char lp[ZK_KPATH_MAX], rp[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    const json_t *limits = zk_kube__obj(res, "limits");
    const json_t *requests = zk_kube__obj(res, "requests");
    ZK_KP(lp, "%s.limits", path);
    ZK_KP(rp, "%s.requests", path);
    bool lim_cpu_mem = false, req_cpu_mem = false, hugepages = false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)limits, k, v) {
        ZK_KP(p, "%s[%s]", lp, k);
        validate_resource_name(e, k, p);
        long double q;
        validate_quantity(e, k, v, p, &q);
        hugepages |= is_hugepages(k);
        lim_cpu_mem |= strcmp(k, "cpu") == 0 || strcmp(k, "memory") == 0;
    }
    json_object_foreach((json_t *)requests, k, v) {
        ZK_KP(p, "%s[%s]", rp, k);
        validate_resource_name(e, k, p);
        long double q, l;
        bool ok = validate_quantity(e, k, v, p, &q);
        const json_t *lim = json_object_get(limits, k);
        char qt[128], lt[128], msg[512];
        zk_kube__quantity_text(v, qt, sizeof(qt));
        if (lim) {
            zk_kube__quantity_text(lim, lt, sizeof(lt));
            if (ok && zk_kube__quantity_parse(lim, &l)) {
                if (q != l && !overcommit_allowed(k)) {
                    snprintf(msg, sizeof(msg), "must be equal to %s limit of %s", k, lt);
                    zk_field_invalid_str(e, rp, qt, msg);
                } else if (q > l) {
                    snprintf(msg, sizeof(msg), "must be less than or equal to %s limit of %s", k,
                             lt);
                    zk_field_invalid_str(e, rp, qt, msg);
                }
            }
        } else if (!overcommit_allowed(k)) {
            zk_field_required(e, lp, "Limit must be set for non overcommitable resources");
        }
        hugepages |= is_hugepages(k);
        req_cpu_mem |= strcmp(k, "cpu") == 0 || strcmp(k, "memory") == 0;
    }
    if (hugepages && !lim_cpu_mem && !req_cpu_mem)
        zk_field_forbidden(e, path, "HugePages require cpu or memory");
}

#define UID_RANGE_MSG "must be between 0 and 4294967295, inclusive"

static void validate_id(zk_field_errors *e, const json_t *sc, const char *key, const char *base)
{
    char p[ZK_KPATH_MAX];
    const json_t *v = json_object_get(sc, key);
    if (json_is_integer(v) && (json_integer_value(v) < 0 || json_integer_value(v) > 0xffffffffLL))
        zk_field_invalid(e, ZK_KP(p, "%s.%s", base, key), v, UID_RANGE_MSG);
}

static void validate_container_security_context(zk_field_errors *e, const json_t *sc,
                                                const char *path)
{
    if (!sc)
        return;
    validate_id(e, sc, "runAsUser", path);
    validate_id(e, sc, "runAsGroup", path);
    const json_t *ape = json_object_get(sc, "allowPrivilegeEscalation");
    if (json_is_false(ape) && zk_kube__is_true(sc, "privileged"))
        zk_field_invalid(e, path, sc, "cannot set `allowPrivilegeEscalation` to false and "
                                      "`privileged` to true");
}

static void validate_handler(zk_field_errors *e, const json_t *h, const char *path,
                             bool probe, json_int_t grace)
{
    char p[ZK_KPATH_MAX], q[ZK_KPATH_MAX];
    static const char *const probe_kinds[] = {"exec", "httpGet", "tcpSocket", "grpc", NULL};
    static const char *const life_kinds[] = {"exec", "httpGet", "tcpSocket", "sleep", NULL};
    const char *const *kinds = probe ? probe_kinds : life_kinds;
    int n = 0;
    for (size_t i = 0; kinds[i]; i++) {
        const json_t *a = zk_kube__obj(h, kinds[i]);
        if (!a)
            continue;
        ZK_KP(p, "%s.%s", path, kinds[i]);
        if (n++ > 0) {
            zk_field_forbidden(e, p, "may not specify more than 1 handler type");
            continue;
        }
        if (strcmp(kinds[i], "exec") == 0) {
            if (zk_kube__len(zk_kube__arr(a, "command")) == 0)
                zk_field_required(e, ZK_KP(q, "%s.command", p), "");
        } else if (strcmp(kinds[i], "httpGet") == 0) {
            static const char *const schemes[] = {"HTTP", "HTTPS", NULL};
            if (!zk_kube__str0(a, "path")[0])
                zk_field_required(e, ZK_KP(q, "%s.path", p), "");
            zk_kube__validate_port_num_or_name(e, json_object_get(a, "port"),
                                               ZK_KP(q, "%s.port", p));
            const char *scheme = zk_kube__str0(a, "scheme");
            if (!zk_kube__one_of(scheme, schemes))
                zk_kube__not_supported_str(e, ZK_KP(q, "%s.scheme", p), scheme, schemes);
            const json_t *hdrs = zk_kube__arr(a, "httpHeaders");
            for (size_t j = 0; j < json_array_size(hdrs); j++)
                zk_kube__check(e, ZK_KP(q, "%s.httpHeaders", p),
                               zk_kube__str0(json_array_get(hdrs, j), "name"),
                               zk_kube_names_http_header_name);
        } else if (strcmp(kinds[i], "tcpSocket") == 0) {
            zk_kube__validate_port_num_or_name(e, json_object_get(a, "port"),
                                               ZK_KP(q, "%s.port", p));
        } else if (strcmp(kinds[i], "grpc") == 0) {
            const json_t *port = json_object_get(a, "port");
            json_int_t pv = json_is_integer(port) ? json_integer_value(port) : 0;
            if (!zk_kube_is_port_num(pv))
                zk_kube__invalid_int(e, ZK_KP(q, "%s.port", p), pv, ZK_KUBE_PORT_RANGE_MSG);
        } else if (strcmp(kinds[i], "sleep") == 0) {
            const json_t *sec = json_object_get(a, "seconds");
            json_int_t sv = json_is_integer(sec) ? json_integer_value(sec) : 0;
            if (grace >= 0 && (sv < 0 || sv > grace)) {
                char msg[160];
                snprintf(msg, sizeof(msg), "must be non-negative and less than "
                                           "terminationGracePeriodSeconds (%" JSON_INTEGER_FORMAT
                                           ")", grace);
                zk_kube__invalid_int(e, p, sv, msg);
            }
        }
    }
    if (n == 0)
        zk_field_required(e, path, "must specify a handler type");
}

enum { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };

static void validate_probe(zk_field_errors *e, const json_t *probe, const char *path, int kind,
                           json_int_t grace)
{
    if (!probe)
        return;
    char p[ZK_KPATH_MAX];
    validate_handler(e, probe, path, true, grace);
    static const char *const nonneg[] = {"initialDelaySeconds", "timeoutSeconds",
                                         "periodSeconds", "successThreshold",
                                         "failureThreshold", NULL};
    for (size_t i = 0; nonneg[i]; i++)
        zk_kube__nonneg(e, ZK_KP(p, "%s.%s", path, nonneg[i]), probe, nonneg[i]);
    const json_t *tg = json_object_get(probe, "terminationGracePeriodSeconds");
    if (json_is_integer(tg) && json_integer_value(tg) <= 0)
        zk_field_invalid(e, ZK_KP(p, "%s.terminationGracePeriodSeconds", path), tg,
                         "must be greater than 0");
    const json_t *st = json_object_get(probe, "successThreshold");
    if (kind != PROBE_READINESS && json_is_integer(st) && json_integer_value(st) != 1)
        zk_field_invalid(e, ZK_KP(p, "%s.successThreshold", path), st, "must be 1");
    if (kind == PROBE_READINESS && tg && !json_is_null(tg))
        zk_field_invalid(e, ZK_KP(p, "%s.terminationGracePeriodSeconds", path), tg,
                         "must not be set for readinessProbes");
}

static void validate_lifecycle(zk_field_errors *e, const json_t *lc, const char *path,
                               json_int_t grace)
{
    char p[ZK_KPATH_MAX];
    const json_t *h;
    if ((h = zk_kube__obj(lc, "postStart")))
        validate_handler(e, h, ZK_KP(p, "%s.postStart", path), false, grace);
    if ((h = zk_kube__obj(lc, "preStop")))
        validate_handler(e, h, ZK_KP(p, "%s.preStop", path), false, grace);
}

static void validate_container_common(zk_field_errors *e, const json_t *c, const char *path,
                                      const vol_set *vs)
{
    char p[ZK_KPATH_MAX];
    const char *name = zk_kube__str0(c, "name");
    ZK_KP(p, "%s.name", path);
    if (!name[0])
        zk_field_required(e, p, "");
    else
        zk_kube__check(e, p, name, zk_kube_names_dns1123_label);
    if (!zk_kube__str0(c, "image")[0])
        zk_field_required(e, ZK_KP(p, "%s.image", path), "");

    static const char *const tmp[] = {"File", "FallbackToLogsOnError", NULL};
    const char *policy = zk_kube__str0(c, "terminationMessagePolicy");
    ZK_KP(p, "%s.terminationMessagePolicy", path);
    if (!policy[0])
        zk_field_required(e, p, "");
    else if (!zk_kube__one_of(policy, tmp))
        zk_kube__not_supported_str(e, p, policy, tmp);

    validate_ports(e, zk_kube__arr(c, "ports"), ZK_KP(p, "%s.ports", path));
    validate_env(e, zk_kube__arr(c, "env"), ZK_KP(p, "%s.env", path));
    validate_env_from(e, zk_kube__arr(c, "envFrom"), ZK_KP(p, "%s.envFrom", path));
    validate_volume_mounts(e, zk_kube__arr(c, "volumeMounts"), ZK_KP(p, "%s.volumeMounts", path),
                           vs);

    static const char *const pulls[] = {"Always", "IfNotPresent", "Never", NULL};
    const char *pull = zk_kube__str0(c, "imagePullPolicy");
    ZK_KP(p, "%s.imagePullPolicy", path);
    if (!pull[0])
        zk_field_required(e, p, "");
    else if (!zk_kube__one_of(pull, pulls))
        zk_kube__not_supported_str(e, p, pull, pulls);

    validate_resources(e, zk_kube__obj(c, "resources"), ZK_KP(p, "%s.resources", path));
    validate_container_security_context(e, zk_kube__obj(c, "securityContext"),
                                        ZK_KP(p, "%s.securityContext", path));
}

/* Host ports must not collide across the given containers. */
static void check_host_ports(zk_field_errors *e, const json_t *ctrs, size_t from, size_t to,
                             const char *path)
{
    char p[ZK_KPATH_MAX], key[256], other[256];
    for (size_t ci = from; ci < to; ci++) {
        const json_t *ports = zk_kube__arr(json_array_get(ctrs, ci), "ports");
        for (size_t pi = 0; pi < json_array_size(ports); pi++) {
            const json_t *port = json_array_get(ports, pi);
            json_int_t hp = zk_json_int(port, "hostPort", 0);
            if (hp == 0)
                continue;
            snprintf(key, sizeof(key), "%s/%s/%" JSON_INTEGER_FORMAT,
                     zk_kube__str0(port, "protocol"), zk_kube__str0(port, "hostIP"), hp);
            bool dup = false;
            for (size_t cj = from; cj <= ci && !dup; cj++) {
                const json_t *ports2 = zk_kube__arr(json_array_get(ctrs, cj), "ports");
                size_t lim = cj == ci ? pi : json_array_size(ports2);
                for (size_t pj = 0; pj < lim && !dup; pj++) {
                    const json_t *p2 = json_array_get(ports2, pj);
                    json_int_t hp2 = zk_json_int(p2, "hostPort", 0);
                    if (hp2 == 0)
                        continue;
                    snprintf(other, sizeof(other), "%s/%s/%" JSON_INTEGER_FORMAT,
                             zk_kube__str0(p2, "protocol"), zk_kube__str0(p2, "hostIP"), hp2);
                    dup = strcmp(key, other) == 0;
                }
            }
            if (dup) {
                zk_autojson json_t *j = json_string(key);
                zk_field_duplicate(e, ZK_KP(p, "%s[%zu].ports[%zu].hostPort", path, ci, pi), j);
            }
        }
    }
}

static bool name_in(const json_t *ctrs, size_t upto, const char *name)
{
    for (size_t i = 0; i < upto && i < json_array_size(ctrs); i++)
        if (strcmp(zk_kube__str0(json_array_get(ctrs, i), "name"), name) == 0)
            return true;
    return false;
}

static void validate_containers(zk_field_errors *e, const json_t *ctrs, const char *path,
                                const vol_set *vs, json_int_t grace)
{
    char cp[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    if (zk_kube__len(ctrs) == 0) {
        zk_field_required(e, path, "");
        return;
    }
    for (size_t i = 0; i < json_array_size(ctrs); i++) {
        const json_t *c = json_array_get(ctrs, i);
        ZK_KP(cp, "%s[%zu]", path, i);
        validate_container_common(e, c, cp, vs);
        const char *name = zk_kube__str0(c, "name");
        if (name_in(ctrs, i, name)) {
            zk_autojson json_t *j = json_string(name);
            zk_field_duplicate(e, ZK_KP(p, "%s.name", cp), j);
        }
        const json_t *lc = zk_kube__obj(c, "lifecycle");
        if (lc)
            validate_lifecycle(e, lc, ZK_KP(p, "%s.lifecycle", cp), grace);
        validate_probe(e, zk_kube__obj(c, "livenessProbe"), ZK_KP(p, "%s.livenessProbe", cp),
                       PROBE_LIVENESS, grace);
        validate_probe(e, zk_kube__obj(c, "readinessProbe"), ZK_KP(p, "%s.readinessProbe", cp),
                       PROBE_READINESS, grace);
        validate_probe(e, zk_kube__obj(c, "startupProbe"), ZK_KP(p, "%s.startupProbe", cp),
                       PROBE_STARTUP, grace);
        if (zk_kube__has(c, "restartPolicy"))
            zk_field_forbidden(e, ZK_KP(p, "%s.restartPolicy", cp),
                               "may not be set for non-init containers");
    }
    check_host_ports(e, ctrs, 0, json_array_size(ctrs), path);
}

static void validate_init_containers(zk_field_errors *e, const json_t *ctrs,
                                     const json_t *regular, const char *path, const vol_set *vs,
                                     json_int_t grace)
{
    char cp[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    static const char *const always[] = {"Always", NULL};
    for (size_t i = 0; i < json_array_size(ctrs); i++) {
        const json_t *c = json_array_get(ctrs, i);
        ZK_KP(cp, "%s[%zu]", path, i);
        validate_container_common(e, c, cp, vs);
        bool restart_always = false;
        const char *rp = zk_kube__str(c, "restartPolicy");
        if (rp) {
            if (strcmp(rp, "Always") == 0)
                restart_always = true;
            else
                zk_kube__not_supported_str(e, ZK_KP(p, "%s.restartPolicy", cp), rp, always);
        }
        const char *name = zk_kube__str0(c, "name");
        if (name_in(regular, json_array_size(regular), name) || name_in(ctrs, i, name)) {
            zk_autojson json_t *j = json_string(name);
            zk_field_duplicate(e, ZK_KP(p, "%s.name", cp), j);
        }
        check_host_ports(e, ctrs, i, i + 1, path);
        if (restart_always) {
            const json_t *lc = zk_kube__obj(c, "lifecycle");
            if (lc)
                validate_lifecycle(e, lc, ZK_KP(p, "%s.lifecycle", cp), grace);
            validate_probe(e, zk_kube__obj(c, "livenessProbe"),
                           ZK_KP(p, "%s.livenessProbe", cp), PROBE_LIVENESS, grace);
            validate_probe(e, zk_kube__obj(c, "readinessProbe"),
                           ZK_KP(p, "%s.readinessProbe", cp), PROBE_READINESS, grace);
            validate_probe(e, zk_kube__obj(c, "startupProbe"), ZK_KP(p, "%s.startupProbe", cp),
                           PROBE_STARTUP, grace);
        } else {
            static const char *const banned[] = {"lifecycle", "livenessProbe", "readinessProbe",
                                                 "startupProbe", NULL};
            for (size_t b = 0; banned[b]; b++)
                if (zk_kube__has(c, banned[b]))
                    zk_field_forbidden(e, ZK_KP(p, "%s.%s", cp, banned[b]), NOT_WITHOUT_RESTART);
        }
    }
}

static void validate_tolerations(zk_field_errors *e, const json_t *tols, const char *path)
{
    char ip[ZK_KPATH_MAX], p[ZK_KPATH_MAX];
    static const char *const ops[] = {"Equal", "Exists", NULL};
    static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
    for (size_t i = 0; i < json_array_size(tols); i++) {
        const json_t *t = json_array_get(tols, i);
        ZK_KP(ip, "%s[%zu]", path, i);
        const char *key = zk_kube__str0(t, "key");
        const char *op = zk_kube__str0(t, "operator");
        const char *value = zk_kube__str0(t, "value");
        const char *effect = zk_kube__str0(t, "effect");
        if (key[0])
            zk_kube__check(e, ZK_KP(p, "%s.key", ip), key, zk_kube_names_qualified_name);
        if (!key[0] && strcmp(op, "Exists") != 0)
            zk_field_invalid_str(e, ZK_KP(p, "%s.operator", ip), op,
                                 "operator must be Exists when `key` is empty, which means "
                                 "\"match all values and all keys\"");
        if (zk_kube__has(t, "tolerationSeconds") && strcmp(effect, "NoExecute") != 0)
            zk_field_invalid_str(e, ZK_KP(p, "%s.effect", ip), effect,
                                 "effect must be 'NoExecute' when `tolerationSeconds` is set");
        if (!op[0] || strcmp(op, "Equal") == 0) {
            zk_kube_name_msgs m;
            if (zk_kube_names_label_value(value, &m)) {
                char joined[ZK_KUBE_NAME_MSGS_MAX * ZK_KUBE_NAME_MSG_LEN];
                size_t used = 0;
                joined[0] = '\0';
                for (size_t k = 0; k < m.n; k++)
                    used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s",
                                             k ? ";" : "", m.msg[k]);
                zk_field_invalid_str(e, ZK_KP(p, "%s.operator", ip), value, joined);
            }
        } else if (strcmp(op, "Exists") == 0) {
            if (value[0])
                zk_field_invalid_str(e, ZK_KP(p, "%s.operator", ip), value,
                                     "value must be empty when `operator` is 'Exists'");
        } else {
            zk_kube__not_supported_str(e, ZK_KP(p, "%s.operator", ip), op, ops);
        }
        if (effect[0] && !zk_kube__one_of(effect, effects))
            zk_kube__not_supported_str(e, ZK_KP(p, "%s.effect", ip), effect, effects);
    }
}

static void validate_pod_security_context(zk_field_errors *e, const json_t *sc, const char *path)
{
    if (!sc)
        return;
    char p[ZK_KPATH_MAX];
    validate_id(e, sc, "runAsUser", path);
    validate_id(e, sc, "runAsGroup", path);
    validate_id(e, sc, "fsGroup", path);
    const json_t *groups = zk_kube__arr(sc, "supplementalGroups");
    for (size_t i = 0; i < json_array_size(groups); i++) {
        const json_t *g = json_array_get(groups, i);
        if (json_is_integer(g) && (json_integer_value(g) < 0 || json_integer_value(g) > 0xffffffffLL))
            zk_field_invalid(e, ZK_KP(p, "%s.supplementalGroups[%zu]", path, i), g, UID_RANGE_MSG);
    }
}

static void validate_dns_config(zk_field_errors *e, const json_t *spec, const char *path)
{
    char p[ZK_KPATH_MAX], q[ZK_KPATH_MAX];
    const json_t *cfg = zk_kube__obj(spec, "dnsConfig");
    ZK_KP(p, "%s.dnsConfig", path);
    if (strcmp(zk_kube__str0(spec, "dnsPolicy"), "None") == 0) {
        if (!cfg) {
            zk_field_required(e, p, "must provide `dnsConfig` when `dnsPolicy` is None");
            return;
        }
        if (zk_kube__len(zk_kube__arr(cfg, "nameservers")) == 0) {
            zk_field_required(e, ZK_KP(q, "%s.nameservers", p),
                              "must provide at least one DNS nameserver when `dnsPolicy` is None");
            return;
        }
    }
    if (!cfg)
        return;
    const json_t *ns = zk_kube__arr(cfg, "nameservers");
    if (json_array_size(ns) > 3)
        zk_field_invalid(e, ZK_KP(q, "%s.nameservers", p), ns, "must not have more than 3 nameservers");
    for (size_t i = 0; i < json_array_size(ns); i++) {
        const json_t *s = json_array_get(ns, i);
        if (json_is_string(s))
            zk_kube__check(e, ZK_KP(q, "%s.nameservers[%zu]", p, i), json_string_value(s),
                           zk_kube_names_ip);
    }
    const json_t *opts = zk_kube__arr(cfg, "options");
    for (size_t i = 0; i < json_array_size(opts); i++)
        if (!zk_kube__str0(json_array_get(opts, i), "name")[0])
            zk_field_required(e, ZK_KP(q, "%s.options[%zu]", p, i), "must not be empty");
}

static void check_object_name(zk_field_errors *e, const json_t *spec, const char *key,
                              const char *path, zk_kube_name_check fn)
{
    char p[ZK_KPATH_MAX];
    const char *v = zk_kube__str0(spec, key);
    if (v[0])
        zk_kube__check(e, ZK_KP(p, "%s.%s", path, key), v, fn);
}

void zk_kube__validate_pod_spec(zk_field_errors *e, const json_t *spec, const char *path,
                                bool is_pod)
{
    char p[ZK_KPATH_MAX], q[ZK_KPATH_MAX];
    const json_t *grace_v = json_object_get(spec, "terminationGracePeriodSeconds");
    json_int_t grace = json_is_integer(grace_v) ? json_integer_value(grace_v) : -1;
    if (!grace_v || json_is_null(grace_v))
        zk_field_required(e, ZK_KP(p, "%s.terminationGracePeriodSeconds", path), "");

    vol_set vs = {0};
    validate_volumes(e, zk_kube__arr(spec, "volumes"), ZK_KP(p, "%s.volumes", path), &vs);
    const json_t *ctrs = zk_kube__arr(spec, "containers");
    validate_containers(e, ctrs, ZK_KP(p, "%s.containers", path), &vs, grace);
    validate_init_containers(e, zk_kube__arr(spec, "initContainers"), ctrs,
                             ZK_KP(p, "%s.initContainers", path), &vs, grace);
    free(vs.names);

    if (zk_kube__is_true(spec, "hostNetwork")) {
        for (size_t i = 0; i < json_array_size(ctrs); i++) {
            const json_t *ports = zk_kube__arr(json_array_get(ctrs, i), "ports");
            for (size_t j = 0; j < json_array_size(ports); j++) {
                const json_t *port = json_array_get(ports, j);
                json_int_t hp = zk_json_int(port, "hostPort", 0);
                json_int_t cp = zk_json_int(port, "containerPort", 0);
                if ((is_pod || hp != 0) && hp != cp)
                    zk_kube__invalid_int(e, ZK_KP(q, "%s.containers[%zu].ports[%zu].hostPort",
                                                  path, i, j),
                                         hp, "must match `containerPort` when `hostNetwork` is "
                                             "true");
            }
        }
    }

    static const char *const restarts[] = {"Always", "OnFailure", "Never", NULL};
    const char *rp = zk_kube__str0(spec, "restartPolicy");
    ZK_KP(p, "%s.restartPolicy", path);
    if (!rp[0])
        zk_field_required(e, p, "");
    else if (!zk_kube__one_of(rp, restarts))
        zk_kube__not_supported_str(e, p, rp, restarts);

    static const char *const dns[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default",
                                      "None", NULL};
    const char *dp = zk_kube__str0(spec, "dnsPolicy");
    ZK_KP(p, "%s.dnsPolicy", path);
    if (!dp[0])
        zk_field_required(e, p, "");
    else if (!zk_kube__one_of(dp, dns))
        zk_kube__not_supported_str(e, p, dp, dns);

    zk_kube__validate_labels(e, zk_kube__obj(spec, "nodeSelector"),
                             ZK_KP(p, "%s.nodeSelector", path));
    validate_pod_security_context(e, zk_kube__obj(spec, "securityContext"),
                                  ZK_KP(p, "%s.securityContext", path));
    validate_dns_config(e, spec, path);

    const json_t *rg = zk_kube__arr(spec, "readinessGates");
    for (size_t i = 0; i < json_array_size(rg); i++)
        zk_kube__check(e, ZK_KP(p, "%s.readinessGates[%zu].conditionType", path, i),
                       zk_kube__str0(json_array_get(rg, i), "conditionType"),
                       zk_kube_names_qualified_name);

    check_object_name(e, spec, "serviceAccountName", path, zk_kube_names_dns1123_subdomain);
    check_object_name(e, spec, "nodeName", path, zk_kube_names_dns1123_subdomain);
    const json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
    if (json_is_integer(ads) && (json_integer_value(ads) < 1 || json_integer_value(ads) > 2147483647))
        zk_field_invalid(e, ZK_KP(p, "%s.activeDeadlineSeconds", path), ads,
                         "must be between 1 and 2147483647, inclusive");
    check_object_name(e, spec, "hostname", path, zk_kube_names_dns1123_label);
    check_object_name(e, spec, "subdomain", path, zk_kube_names_dns1123_label);
    validate_tolerations(e, zk_kube__arr(spec, "tolerations"), ZK_KP(p, "%s.tolerations", path));
    check_object_name(e, spec, "priorityClassName", path, zk_kube_names_dns1123_subdomain);
    const json_t *rcn = json_object_get(spec, "runtimeClassName");
    if (json_is_string(rcn))
        zk_kube__check(e, ZK_KP(p, "%s.runtimeClassName", path), json_string_value(rcn),
                       zk_kube_names_dns1123_subdomain);
    const json_t *pp = json_object_get(spec, "preemptionPolicy");
    if (json_is_string(pp)) {
        static const char *const pps[] = {"PreemptLowerPriority", "Never", NULL};
        const char *v = json_string_value(pp);
        ZK_KP(p, "%s.preemptionPolicy", path);
        if (!v[0])
            zk_field_required(e, p, "");
        else if (!zk_kube__one_of(v, pps))
            zk_kube__not_supported_str(e, p, v, pps);
    }
    const json_t *os = zk_kube__obj(spec, "os");
    if (os) {
        static const char *const oses[] = {"linux", "windows", NULL};
        const char *osn = zk_kube__str0(os, "name");
        ZK_KP(p, "%s.os.name", path);
        if (!osn[0])
            zk_field_required(e, p, "");
        else if (!zk_kube__one_of(osn, oses))
            zk_kube__not_supported_str(e, p, osn, oses);
    }

    if (is_pod) {
        /* Only for pods, not templates (Kubernetes keeps old templates valid). */
        static const char *const lists[] = {"containers", "initContainers", NULL};
        for (size_t l = 0; lists[l]; l++) {
            const json_t *cs = zk_kube__arr(spec, lists[l]);
            for (size_t i = 0; i < json_array_size(cs); i++) {
                const char *img = zk_kube__str0(json_array_get(cs, i), "image");
                size_t len = strlen(img);
                if (len && (img[0] == ' ' || img[0] == '\t' || img[0] == '\n' ||
                            img[len - 1] == ' ' || img[len - 1] == '\t' || img[len - 1] == '\n'))
                    zk_field_invalid_str(e, ZK_KP(q, "%s.%s[%zu].image", path, lists[l], i), img,
                                         "must not have leading or trailing whitespace");
            }
        }
    }
}

void zk_kube__validate_pod_template_spec(zk_field_errors *e, const json_t *tmpl,
                                         const char *path)
{
    char p[ZK_KPATH_MAX];
    const json_t *meta = zk_kube__obj(tmpl, "metadata");
    /* Kubernetes reports template labels at "<path>.labels", not ".metadata.labels". */
    zk_kube__validate_labels(e, zk_kube__obj(meta, "labels"), ZK_KP(p, "%s.labels", path));
    zk_kube__validate_annotations(e, zk_kube__obj(meta, "annotations"),
                                  ZK_KP(p, "%s.annotations", path));
    const json_t *spec = zk_kube__obj(tmpl, "spec");
    zk_kube__validate_pod_spec(e, spec, ZK_KP(p, "%s.spec", path), false);
    if (zk_kube__len(zk_kube__arr(spec, "ephemeralContainers")) > 0)
        zk_field_forbidden(e, ZK_KP(p, "%s.spec.ephemeralContainers", path),
                           "ephemeral containers not allowed in pod template");
}
