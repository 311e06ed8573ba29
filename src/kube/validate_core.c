/* Validators of the core ("" group) kinds: Pod, Service, ConfigMap, Secret,
 * Namespace, ServiceAccount, ReplicationController, PodTemplate. */
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "kube/validate.h"
#include "kube/validate_int.h"

/* ---- Pod ---------------------------------------------------------------- */

#define POD_UPDATABLE                                                                      \
    "pod updates may not change fields other than `spec.containers[*].image`,"             \
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only " \
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "  \
    "be set to 1 if it was previously negative)"

static bool container_updates(zk_field_errors *e, const json_t *cur, const json_t *old,
                              const char *path)
{
    char p[ZK_KPATH_MAX];
    if (zk_kube__len(cur) != zk_kube__len(old)) {
        zk_field_forbidden(e, path, "pod updates may not add or remove containers");
        return true;
    }
    for (size_t i = 0; i < json_array_size(cur); i++) {
        const char *img = zk_kube__str0(json_array_get(cur, i), "image");
        size_t len = strlen(img);
        if (!len)
            zk_field_required(e, ZK_KP(p, "%s[%zu].image", path, i), "");
        else if (img[0] == ' ' || img[len - 1] == ' ' || img[0] == '\t' || img[len - 1] == '\t')
            zk_field_invalid_str(e, ZK_KP(p, "%s[%zu].image", path, i), img,
                                 "must not have leading or trailing whitespace");
    }
    return false;
}

/* A toleration equal to old except maybe tolerationSeconds. */
static bool toleration_kept(const json_t *old, const json_t *list)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        zk_autojson json_t *a = json_deep_copy(old);
        zk_autojson json_t *b = json_deep_copy(json_array_get(list, i));
        json_object_del(a, "tolerationSeconds");
        json_object_del(b, "tolerationSeconds");
        if (zk_kube__equal(a, b))
            return true;
    }
    return false;
}

static void set_or_del(json_t *o, const char *key, const json_t *v)
{
    if (v)
        json_object_set_new(o, key, json_deep_copy(v));
    else
        json_object_del(o, key);
}

static void munge_images(json_t *spec, const json_t *ospec, const char *list)
{
    json_t *cs = json_object_get(spec, list);
    const json_t *ocs = zk_kube__arr(ospec, list);
    for (size_t i = 0; i < json_array_size(cs) && i < json_array_size(ocs); i++) {
        json_t *c = json_array_get(cs, i);
        if (json_is_object(c))
            set_or_del(c, "image", json_object_get(json_array_get(ocs, i), "image"));
    }
}

static void validate_pod_update(zk_field_errors *e, const json_t *spec, const json_t *ospec)
{
    char p[ZK_KPATH_MAX];
    if (container_updates(e, zk_kube__arr(spec, "containers"), zk_kube__arr(ospec, "containers"),
                          "spec.containers"))
        return;
    if (container_updates(e, zk_kube__arr(spec, "initContainers"),
                          zk_kube__arr(ospec, "initContainers"), "spec.initContainers"))
        return;

    const json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
    const json_t *oads = json_object_get(ospec, "activeDeadlineSeconds");
    if (json_is_integer(ads)) {
        json_int_t v = json_integer_value(ads);
        if (v < 0 || v > 2147483647) {
            zk_field_invalid(e, "spec.activeDeadlineSeconds", ads,
                             "must be between 0 and 2147483647, inclusive");
            return;
        }
        if (json_is_integer(oads) && json_integer_value(oads) < v) {
            zk_field_invalid(e, "spec.activeDeadlineSeconds", ads,
                             "must be less than or equal to previous value");
            return;
        }
    } else if (json_is_integer(oads)) {
        zk_field_invalid(e, "spec.activeDeadlineSeconds", NULL,
                         "must not update from a positive integer to nil value");
    }

    const json_t *tols = zk_kube__arr(spec, "tolerations");
    const json_t *otols = zk_kube__arr(ospec, "tolerations");
    for (size_t i = 0; i < json_array_size(otols); i++) {
        if (!toleration_kept(json_array_get(otols, i), tols)) {
            zk_field_forbidden(e, "spec.tolerations",
                               "existing toleration can not be modified except its "
                               "tolerationSeconds");
            break;
        }
    }

    const json_t *gates = zk_kube__arr(spec, "schedulingGates");
    const json_t *ogates = zk_kube__arr(ospec, "schedulingGates");
    for (size_t i = 0; i < json_array_size(gates); i++) {
        const char *g = zk_kube__str0(json_array_get(gates, i), "name");
        bool found = false;
        for (size_t j = 0; j < json_array_size(ogates) && !found; j++)
            found = strcmp(g, zk_kube__str0(json_array_get(ogates, j), "name")) == 0;
        if (!found) {
            char msg[512];
            snprintf(msg, sizeof(msg),
                     "only deletion is allowed, but found new scheduling gate '%s'", g);
            zk_field_forbidden(e, ZK_KP(p, "spec.schedulingGates[%zu].name", i), msg);
        }
    }

    if (zk_kube__equal(spec, ospec))
        return;
    zk_autojson json_t *m = json_deep_copy(spec);
    if (!json_is_object(m))
        m = json_object();
    munge_images(m, ospec, "containers");
    munge_images(m, ospec, "initContainers");
    set_or_del(m, "activeDeadlineSeconds", oads);
    set_or_del(m, "schedulingGates", json_object_get(ospec, "schedulingGates"));
    set_or_del(m, "tolerations", json_object_get(ospec, "tolerations"));
    const json_t *og = json_object_get(ospec, "terminationGracePeriodSeconds");
    if (json_is_integer(og) && json_integer_value(og) < 0 &&
        zk_json_int(m, "terminationGracePeriodSeconds", 0) == 1)
        set_or_del(m, "terminationGracePeriodSeconds", og);
    if (zk_kube__equal(m, ospec))
        return;
    /* Name the top-level fields that differ; Kubernetes prints a Go diff here. */
    zk_autobuf zk_buf b = ZK_BUF_INIT(8192);
    zk_buf_puts(&b, POD_UPDATABLE "\n  changed:");
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        if (!zk_kube__equal(v, json_object_get(ospec, k)))
            zk_buf_printf(&b, " spec.%s", k);
    }
    json_object_foreach((json_t *)ospec, k, v) {
        if (!json_object_get(m, k) && !zk_kube__equal(v, NULL))
            zk_buf_printf(&b, " spec.%s", k);
    }
    zk_field_forbidden(e, "spec", b.data);
}

void zk_kube_validate_pod(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    zk_kube__validate_pod_spec(e, spec, "spec", true);
    if (old) {
        validate_pod_update(e, spec, zk_kube__obj(old, "spec"));
        return;
    }
    if (zk_kube__len(zk_kube__arr(spec, "ephemeralContainers")) > 0)
        zk_field_forbidden(e, "spec.ephemeralContainers", "cannot be set on create");
    if (zk_kube__str0(spec, "nodeName")[0] && zk_kube__len(zk_kube__arr(spec, "schedulingGates")))
        zk_field_forbidden(e, "spec.nodeName",
                           "cannot be set until all schedulingGates have been cleared");
}

void zk_kube_validate_pod_template(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    zk_kube__validate_pod_template_spec(e, zk_kube__obj(obj, "template"), "template");
}

/* ---- Service ------------------------------------------------------------ */

#define NODE_PORT_MIN 30000
#define NODE_PORT_MAX 32767

static bool service_headless(const json_t *spec)
{
    const json_t *ips = zk_kube__arr(spec, "clusterIPs");
    if (json_array_size(ips) > 0)
        return json_array_size(ips) == 1 &&
               strcmp(json_string_value(json_array_get(ips, 0)) ?: "", "None") == 0;
    return strcmp(zk_kube__str0(spec, "clusterIP"), "None") == 0;
}

static void validate_service_port(zk_field_errors *e, const json_t *sp, bool require_name,
                                  const json_t *ports, size_t idx, const char *path)
{
    char p[ZK_KPATH_MAX];
    static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
    const char *name = zk_kube__str0(sp, "name");
    if (require_name && !name[0]) {
        zk_field_required(e, ZK_KP(p, "%s.name", path), "");
    } else if (name[0]) {
        zk_kube__check(e, ZK_KP(p, "%s.name", path), name, zk_kube_names_dns1123_label);
        for (size_t j = 0; j < idx; j++) {
            if (strcmp(zk_kube__str0(json_array_get(ports, j), "name"), name) == 0) {
                zk_autojson json_t *jn = json_string(name);
                zk_field_duplicate(e, ZK_KP(p, "%s.name", path), jn);
                break;
            }
        }
    }
    json_int_t port = zk_json_int(sp, "port", 0);
    if (!zk_kube_is_port_num(port))
        zk_kube__invalid_int(e, ZK_KP(p, "%s.port", path), port, ZK_KUBE_PORT_RANGE_MSG);
    const char *proto = zk_kube__str0(sp, "protocol");
    if (!proto[0])
        zk_field_required(e, ZK_KP(p, "%s.protocol", path), "");
    else if (!zk_kube__one_of(proto, protocols))
        zk_kube__not_supported_str(e, ZK_KP(p, "%s.protocol", path), proto, protocols);
    zk_kube__validate_port_num_or_name(e, json_object_get(sp, "targetPort"),
                                       ZK_KP(p, "%s.targetPort", path));
    const char *app = zk_kube__str(sp, "appProtocol");
    if (app)
        zk_kube__check(e, ZK_KP(p, "%s.appProtocol", path), app, zk_kube_names_qualified_name);
    json_int_t np = zk_json_int(sp, "nodePort", 0);
    if (np != 0 && (np < NODE_PORT_MIN || np > NODE_PORT_MAX))
        zk_kube__invalid_int(e, ZK_KP(p, "%s.nodePort", path), np,
                             "provided port is not in the valid range. The range of valid "
                             "ports is 30000-32767");
}

static void validate_cluster_ips(zk_field_errors *e, const json_t *spec)
{
    static const char *const families[] = {"IPv4", "IPv6", NULL};
    static const char *const policies[] = {"PreferDualStack", "RequireDualStack", "SingleStack",
                                           NULL};
    char p[ZK_KPATH_MAX];
    const char *cip = zk_kube__str0(spec, "clusterIP");
    const json_t *ips = zk_kube__arr(spec, "clusterIPs");
    size_t nips = json_array_size(ips);
    if (cip[0]) {
        if (nips == 0)
            zk_field_required(e, "spec.clusterIPs", "");
        else if (strcmp(json_string_value(json_array_get(ips, 0)) ?: "", cip) != 0)
            zk_field_invalid(e, "spec.clusterIPs", ips, "first value must match `clusterIP`");
    } else if (nips) {
        zk_field_invalid(e, "spec.clusterIPs", ips,
                         "must be empty when `clusterIP` is not specified");
    }

    const json_t *fams = zk_kube__arr(spec, "ipFamilies");
    for (size_t i = 0; i < json_array_size(fams); i++) {
        const char *f = json_string_value(json_array_get(fams, i)) ?: "";
        if (!zk_kube__one_of(f, families))
            zk_kube__not_supported_str(e, ZK_KP(p, "spec.ipFamilies[%zu]", i), f, families);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(json_string_value(json_array_get(fams, j)) ?: "", f) == 0) {
                zk_field_duplicate(e, ZK_KP(p, "spec.ipFamilies[%zu]", i), json_array_get(fams, i));
                break;
            }
        }
    }
    const json_t *pol = json_object_get(spec, "ipFamilyPolicy");
    if (json_is_string(pol) && !zk_kube__one_of(json_string_value(pol), policies))
        zk_kube__not_supported_str(e, "spec.ipFamilyPolicy", json_string_value(pol), policies);

    bool bad = false;
    for (size_t i = 0; i < nips; i++) {
        const char *ip = json_string_value(json_array_get(ips, i)) ?: "";
        if (i == 0 && strcmp(ip, "None") == 0) {
            if (nips > 1) {
                bad = true;
                zk_field_invalid(e, "spec.clusterIPs", ips,
                                 "'None' must be the first and only value");
            }
            continue;
        }
        zk_kube_name_msgs m;
        if (zk_kube_names_ip(ip, &m)) {
            bad = true;
            zk_field_invalid_str(e, ZK_KP(p, "spec.clusterIPs[%zu]", i), ip, m.msg[0]);
        }
    }
    if (nips > 2)
        zk_field_invalid(e, "spec.clusterIPs", ips, "may only hold up to 2 values");
    if (bad)
        return;
    if (nips > 1) {
        bool v6a = zk_kube_is_ipv6(json_string_value(json_array_get(ips, 0)));
        bool v6b = zk_kube_is_ipv6(json_string_value(json_array_get(ips, 1)));
        if (nips > 2 || v6a == v6b)
            zk_field_invalid(e, "spec.clusterIPs", ips,
                             "may specify no more than one IP for each IP family");
    }
    if (!service_headless(spec) && nips > 0) {
        for (size_t i = 0; i < nips && i < json_array_size(fams); i++) {
            const char *ip = json_string_value(json_array_get(ips, i));
            const char *f = json_string_value(json_array_get(fams, i)) ?: "";
            char msg[128];
            if (strcmp(f, "IPv4") == 0 && zk_kube_is_ipv6(ip)) {
                snprintf(msg, sizeof(msg),
                         "expected an IPv4 value as indicated by `ipFamilies[%zu]`", i);
                zk_field_invalid_str(e, ZK_KP(p, "spec.clusterIPs[%zu]", i), ip, msg);
            }
            if (strcmp(f, "IPv6") == 0 && !zk_kube_is_ipv6(ip)) {
                snprintf(msg, sizeof(msg),
                         "expected an IPv6 value as indicated by `ipFamilies[%zu]`", i);
                zk_field_invalid_str(e, ZK_KP(p, "spec.clusterIPs[%zu]", i), ip, msg);
            }
        }
    }
}

static void validate_service_update(zk_field_errors *e, const json_t *spec, const json_t *ospec)
{
    char p[ZK_KPATH_MAX];
    const char *type = zk_kube__str0(spec, "type"), *otype = zk_kube__str0(ospec, "type");
    if (strcmp(type, "ExternalName") == 0 || strcmp(otype, "ExternalName") == 0)
        return;
    const json_t *ips = zk_kube__arr(spec, "clusterIPs"), *oips = zk_kube__arr(ospec, "clusterIPs");
    size_t n = json_array_size(ips), on = json_array_size(oips);
    bool hl = service_headless(spec), ohl = service_headless(ospec);
    if (!(hl && ohl)) {
        if (n == on) {
            for (size_t i = 0; i < on; i++)
                if (!json_equal(json_array_get(ips, i), json_array_get(oips, i)))
                    zk_field_invalid(e, ZK_KP(p, "spec.clusterIPs[%zu]", i), ips,
                                     "may not change once set");
        } else if (on > n) {
            if (n == 0)
                zk_field_invalid(e, "spec.clusterIPs[0]", ips,
                                 "primary clusterIP can not be unset");
            if (on > 0 && n > 0 && !json_equal(json_array_get(ips, 0), json_array_get(oips, 0)))
                zk_field_invalid(e, "spec.clusterIPs[0]", ips, "may not change once set");
            if (n == 1 && strcmp(zk_kube__str0(spec, "ipFamilyPolicy"), "SingleStack") != 0)
                zk_field_invalid(e, "spec.ipFamilyPolicy", json_object_get(spec, "ipFamilyPolicy"),
                                 "must be set to 'SingleStack' when releasing the secondary "
                                 "clusterIP");
        } else if (on > 0 && !json_equal(json_array_get(ips, 0), json_array_get(oips, 0))) {
            zk_field_invalid(e, "spec.clusterIPs[0]", ips, "may not change once set");
        }
    }
    if (hl != ohl || hl)
        return;
    const json_t *f = zk_kube__arr(spec, "ipFamilies"), *of = zk_kube__arr(ospec, "ipFamilies");
    size_t fn = json_array_size(f), ofn = json_array_size(of);
    if (fn == ofn) {
        for (size_t i = 0; i < ofn; i++)
            if (!json_equal(json_array_get(f, i), json_array_get(of, i)))
                zk_field_invalid(e, "spec.ipFamilies[0]", f, "may not change once set");
    } else if (ofn > fn) {
        if (n == 0)
            zk_field_invalid(e, "spec.ipFamilies[0]", f, "primary ipFamily can not be unset");
        if (fn > 0 && !json_equal(json_array_get(f, 0), json_array_get(of, 0)))
            zk_field_invalid(e, "spec.ipFamilies[0]", ips, "may not change once set");
        if (fn == 1 && strcmp(zk_kube__str0(spec, "ipFamilyPolicy"), "SingleStack") != 0)
            zk_field_invalid(e, "spec.ipFamilyPolicy", json_object_get(spec, "ipFamilyPolicy"),
                             "must be set to 'SingleStack' when releasing the secondary ipFamily");
    } else if (ofn > 0 && fn > 0 && !json_equal(json_array_get(f, 0), json_array_get(of, 0))) {
        zk_field_invalid(e, "spec.ipFamilies[0]", ips, "may not change once set");
    }
    bool lb = strcmp(type, "LoadBalancer") == 0, olb = strcmp(otype, "LoadBalancer") == 0;
    bool local = strcmp(zk_kube__str0(spec, "externalTrafficPolicy"), "Local") == 0;
    bool olocal = strcmp(zk_kube__str0(ospec, "externalTrafficPolicy"), "Local") == 0;
    if (lb && olb && local && olocal &&
        zk_json_int(spec, "healthCheckNodePort", 0) != zk_json_int(ospec, "healthCheckNodePort", 0))
        zk_field_forbidden(e, "spec.healthCheckNodePort", ZK_KUBE_IMMUTABLE);
}

void zk_kube_validate_service(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    static const char *const types[] = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort",
                                        NULL};
    static const char *const affinities[] = {"ClientIP", "None", NULL};
    static const char *const traffic[] = {"Cluster", "Local", NULL};
    char p[ZK_KPATH_MAX];
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    const char *type = zk_kube__str0(spec, "type");
    bool headless = service_headless(spec);
    bool external_name = strcmp(type, "ExternalName") == 0;
    const json_t *ports = zk_kube__arr(spec, "ports");
    const json_t *ips = zk_kube__arr(spec, "clusterIPs");

    if (zk_kube__len(ports) == 0 && !headless && !external_name)
        zk_field_required(e, "spec.ports", "");
    if (strcmp(type, "LoadBalancer") == 0 && headless) {
        zk_field_invalid(e, "spec.clusterIPs[0]", json_array_get(ips, 0),
                         "may not be set to 'None' for LoadBalancer services");
    } else if (strcmp(type, "NodePort") == 0 && headless) {
        zk_field_invalid(e, "spec.clusterIPs[0]", json_array_get(ips, 0),
                         "may not be set to 'None' for NodePort services");
    } else if (external_name) {
        if (zk_kube__len(ips) > 0)
            zk_field_forbidden(e, "spec.clusterIPs", "may not be set for ExternalName services");
        if (zk_kube__len(zk_kube__arr(spec, "ipFamilies")) > 0)
            zk_field_forbidden(e, "spec.ipFamilies", "may not be set for ExternalName services");
        if (zk_kube__has(spec, "ipFamilyPolicy"))
            zk_field_forbidden(e, "spec.ipFamilyPolicy",
                               "may not be set for ExternalName services");
        char cname[512];
        snprintf(cname, sizeof(cname), "%s", zk_kube__str0(spec, "externalName"));
        size_t cl = strlen(cname);
        if (cl && cname[cl - 1] == '.')
            cname[--cl] = '\0';
        if (cl)
            zk_kube__check(e, "spec.externalName", cname, zk_kube_names_dns1123_subdomain);
        else
            zk_field_required(e, "spec.externalName", "");
    }

    for (size_t i = 0; i < json_array_size(ports); i++)
        validate_service_port(e, json_array_get(ports, i), json_array_size(ports) > 1, ports, i,
                              ZK_KP(p, "spec.ports[%zu]", i));

    zk_kube__validate_labels(e, zk_kube__obj(spec, "selector"), "spec.selector");

    const char *aff = zk_kube__str0(spec, "sessionAffinity");
    if (!aff[0])
        zk_field_required(e, "spec.sessionAffinity", "");
    else if (!zk_kube__one_of(aff, affinities))
        zk_kube__not_supported_str(e, "spec.sessionAffinity", aff, affinities);
    const json_t *sac = zk_kube__obj(spec, "sessionAffinityConfig");
    if (strcmp(aff, "ClientIP") == 0) {
        const char *when = "when session affinity type is ClientIP";
        const json_t *cip = zk_kube__obj(sac, "clientIP");
        const json_t *to = json_object_get(cip, "timeoutSeconds");
        if (!sac)
            zk_field_required(e, "spec.sessionAffinityConfig", when);
        else if (!cip)
            zk_field_required(e, "spec.sessionAffinityConfig.clientIP", when);
        else if (!json_is_integer(to))
            zk_field_required(e, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", when);
        else if (json_integer_value(to) <= 0 || json_integer_value(to) > 86400)
            zk_field_invalid(e, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", to,
                             "must be greater than 0 and less than 86400");
    } else if (strcmp(aff, "None") == 0 && sac) {
        zk_field_forbidden(e, "spec.sessionAffinityConfig",
                           "must not be set when session affinity is None");
    }

    if (!external_name)
        validate_cluster_ips(e, spec);

    const json_t *eips = zk_kube__arr(spec, "externalIPs");
    for (size_t i = 0; i < json_array_size(eips); i++) {
        const char *ip = json_string_value(json_array_get(eips, i)) ?: "";
        zk_kube__check(e, ZK_KP(p, "spec.externalIPs[%zu]", i), ip, zk_kube_names_ip);
    }

    if (!type[0])
        zk_field_required(e, "spec.type", "");
    else if (!zk_kube__one_of(type, types))
        zk_kube__not_supported_str(e, "spec.type", type, types);

    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *sp = json_array_get(ports, i);
        json_int_t np = zk_json_int(sp, "nodePort", 0);
        if (np == 0)
            continue;
        if (strcmp(type, "ClusterIP") == 0)
            zk_field_forbidden(e, ZK_KP(p, "spec.ports[%zu].nodePort", i),
                               "may not be used when `type` is 'ClusterIP'");
        for (size_t j = 0; j < i; j++) {
            const json_t *sp2 = json_array_get(ports, j);
            if (zk_json_int(sp2, "nodePort", 0) == np &&
                strcmp(zk_kube__str0(sp2, "protocol"), zk_kube__str0(sp, "protocol")) == 0) {
                zk_autojson json_t *jn = json_integer(np);
                zk_field_duplicate(e, ZK_KP(p, "spec.ports[%zu].nodePort", i), jn);
                break;
            }
        }
    }
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *sp = json_array_get(ports, i);
        for (size_t j = 0; j < i; j++) {
            const json_t *sp2 = json_array_get(ports, j);
            if (zk_json_int(sp2, "port", 0) == zk_json_int(sp, "port", 0) &&
                strcmp(zk_kube__str0(sp2, "protocol"), zk_kube__str0(sp, "protocol")) == 0) {
                zk_autojson json_t *key = json_pack("{s:I,s:s}", "port",
                                                    (json_int_t)zk_json_int(sp, "port", 0),
                                                    "protocol", zk_kube__str0(sp, "protocol"));
                zk_field_duplicate(e, ZK_KP(p, "spec.ports[%zu]", i), key);
                break;
            }
        }
    }

    bool lb = strcmp(type, "LoadBalancer") == 0;
    if (zk_kube__len(zk_kube__arr(spec, "loadBalancerSourceRanges")) > 0 && !lb)
        zk_field_forbidden(e, "spec.LoadBalancerSourceRanges",
                           "may only be used when `type` is 'LoadBalancer'");
    if (zk_kube__has(spec, "allocateLoadBalancerNodePorts") && !lb)
        zk_field_forbidden(e, "spec.allocateLoadBalancerNodePorts",
                           "may only be used when `type` is 'LoadBalancer'");
    if (lb && !zk_kube__has(spec, "allocateLoadBalancerNodePorts"))
        zk_field_required(e, "allocateLoadBalancerNodePorts", "");

    bool externally = lb || strcmp(type, "NodePort") == 0 ||
                      (strcmp(type, "ClusterIP") == 0 && zk_kube__len(eips) > 0);
    const char *etp = zk_kube__str0(spec, "externalTrafficPolicy");
    if (!externally) {
        if (etp[0])
            zk_field_invalid_str(e, "spec.externalTrafficPolicy", etp,
                                 "may only be set for externally-accessible services");
    } else if (!etp[0]) {
        zk_field_required(e, "spec.externalTrafficPolicy", "");
    } else if (!zk_kube__one_of(etp, traffic)) {
        zk_kube__not_supported_str(e, "spec.externalTrafficPolicy", etp, traffic);
    }
    json_int_t hc = zk_json_int(spec, "healthCheckNodePort", 0);
    bool needs_hc = lb && strcmp(etp, "Local") == 0;
    if (!needs_hc && hc != 0)
        zk_kube__invalid_int(e, "spec.healthCheckNodePort", hc,
                             "may only be set when `type` is 'LoadBalancer' and "
                             "`externalTrafficPolicy` is 'Local'");
    else if (needs_hc && hc != 0 && !zk_kube_is_port_num(hc))
        zk_kube__invalid_int(e, "spec.healthCheckNodePort", hc, ZK_KUBE_PORT_RANGE_MSG);

    const json_t *itp = json_object_get(spec, "internalTrafficPolicy");
    if ((!itp || json_is_null(itp)) &&
        (strcmp(type, "NodePort") == 0 || lb || strcmp(type, "ClusterIP") == 0))
        zk_field_required(e, "spec.internalTrafficPolicy", "");
    if (json_is_string(itp) && !zk_kube__one_of(json_string_value(itp), traffic))
        zk_kube__not_supported_str(e, "spec.internalTrafficPolicy", json_string_value(itp),
                                   traffic);

    if (old)
        validate_service_update(e, spec, zk_kube__obj(old, "spec"));
}

/* ---- ConfigMap and Secret ----------------------------------------------- */

#define MAX_SECRET_SIZE (1024 * 1024)
#define IMMUTABLE_SET "field is immutable when `immutable` is set"

/* Bytes a base64 string decodes to (padding-aware, tolerant). */
static size_t base64_decoded_len(const char *s)
{
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == '=')
        len--;
    return len * 3 / 4;
}

static int b64v(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decode standard base64; NULL when malformed. Caller frees. */
static char *base64_decode(const char *s, size_t *out_len)
{
    size_t len = strlen(s);
    char *out = zk_xmalloc(len * 3 / 4 + 4);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=')
            break;
        int v = b64v(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static void validate_data_keys(zk_field_errors *e, const json_t *data, const char *base)
{
    char p[ZK_KPATH_MAX];
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v)
        zk_kube__check(e, ZK_KP(p, "%s[%s]", base, k), k, zk_kube_names_config_map_key);
}

static void validate_immutable_data(zk_field_errors *e, const json_t *obj, const json_t *old,
                                    bool binary)
{
    if (!zk_kube__is_true(old, "immutable"))
        return;
    if (!zk_kube__is_true(obj, "immutable"))
        zk_field_forbidden(e, "immutable", IMMUTABLE_SET);
    if (!zk_kube__equal(json_object_get(obj, "data"), json_object_get(old, "data")))
        zk_field_forbidden(e, "data", IMMUTABLE_SET);
    if (binary &&
        !zk_kube__equal(json_object_get(obj, "binaryData"), json_object_get(old, "binaryData")))
        zk_field_forbidden(e, "binaryData", IMMUTABLE_SET);
}

void zk_kube_validate_config_map(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    char p[ZK_KPATH_MAX];
    zk_kube__validate_kube_finalizers(e, obj);
    if (old)
        validate_immutable_data(e, obj, old, true);
    const json_t *data = zk_kube__obj(obj, "data");
    const json_t *bin = zk_kube__obj(obj, "binaryData");
    size_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v) {
        zk_kube__check(e, ZK_KP(p, "data[%s]", k), k, zk_kube_names_config_map_key);
        if (json_object_get(bin, k))
            zk_field_invalid_str(e, p, k, "duplicate of key present in binaryData");
        total += json_is_string(v) ? json_string_length(v) : 0;
    }
    json_object_foreach((json_t *)bin, k, v) {
        zk_kube__check(e, ZK_KP(p, "binaryData[%s]", k), k, zk_kube_names_config_map_key);
        total += json_is_string(v) ? base64_decoded_len(json_string_value(v)) : 0;
    }
    if (total > MAX_SECRET_SIZE)
        zk_field_too_long(e, "", MAX_SECRET_SIZE);
}

static void require_data_json(zk_field_errors *e, const json_t *data, const char *key)
{
    char p[ZK_KPATH_MAX];
    ZK_KP(p, "data[%s]", key);
    const char *b64 = zk_kube__str(data, key);
    if (!b64) {
        zk_field_required(e, p, "");
        return;
    }
    size_t len = 0;
    zk_autofree char *raw = base64_decode(b64, &len);
    json_error_t jerr;
    json_t *j = raw ? json_loadb(raw, len, JSON_DECODE_ANY, &jerr) : NULL;
    if (!json_is_object(j))
        zk_field_invalid_str(e, p, "<secret contents redacted>",
                             raw ? (j ? "json: cannot unmarshal into Go value of type map[string]interface {}"
                                      : jerr.text)
                                 : "illegal base64 data");
    json_decref(j);
}

void zk_kube_validate_secret(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    if (old) {
        const json_t *t = json_object_get(obj, "type");
        if (!zk_kube__equal(t, json_object_get(old, "type")))
            zk_field_invalid(e, "type", t, ZK_KUBE_IMMUTABLE);
        validate_immutable_data(e, obj, old, false);
    }
    const json_t *data = zk_kube__obj(obj, "data");
    validate_data_keys(e, data, "data");
    size_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v)
        total += json_is_string(v) ? base64_decoded_len(json_string_value(v)) : 0;
    if (total > MAX_SECRET_SIZE)
        zk_field_too_long(e, "data", MAX_SECRET_SIZE);

    const char *type = zk_kube__str0(obj, "type");
    if (strcmp(type, "kubernetes.io/service-account-token") == 0) {
        const json_t *ann = zk_kube__obj(zk_kube__obj(obj, "metadata"), "annotations");
        if (!zk_kube__str0(ann, "kubernetes.io/service-account.name")[0])
            zk_field_required(e, "metadata.annotations[kubernetes.io/service-account.name]", "");
    } else if (strcmp(type, "kubernetes.io/dockercfg") == 0) {
        require_data_json(e, data, ".dockercfg");
    } else if (strcmp(type, "kubernetes.io/dockerconfigjson") == 0) {
        require_data_json(e, data, ".dockerconfigjson");
    } else if (strcmp(type, "kubernetes.io/basic-auth") == 0) {
        if (!json_object_get(data, "username") && !json_object_get(data, "password")) {
            zk_field_required(e, "data[username]", "");
            zk_field_required(e, "data[password]", "");
        }
    } else if (strcmp(type, "kubernetes.io/ssh-auth") == 0) {
        if (!zk_kube__str0(data, "ssh-privatekey")[0])
            zk_field_required(e, "data[ssh-privatekey]", "");
    } else if (strcmp(type, "kubernetes.io/tls") == 0) {
        if (!json_object_get(data, "tls.crt"))
            zk_field_required(e, "data[tls.crt]", "");
        if (!json_object_get(data, "tls.key"))
            zk_field_required(e, "data[tls.key]", "");
    }
}

/* ---- Namespace, ServiceAccount ------------------------------------------ */

void zk_kube_validate_namespace(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    static const char *const standard[] = {"kubernetes", "orphan", "foregroundDeletion", NULL};
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *fins = zk_kube__arr(zk_kube__obj(obj, "spec"), "finalizers");
    for (size_t i = 0; i < json_array_size(fins); i++) {
        const char *f = json_string_value(json_array_get(fins, i)) ?: "";
        zk_kube__check(e, "spec.finalizers", f, zk_kube_names_qualified_name);
        if (!strchr(f, '/') && !zk_kube__one_of(f, standard))
            zk_field_invalid_str(e, "spec.finalizers", f,
                                 "name is neither a standard finalizer name nor is it fully "
                                 "qualified");
    }
}

void zk_kube_validate_service_account(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
}

/* ---- ReplicationController ---------------------------------------------- */

void zk_kube_validate_replication_controller(const json_t *obj, const json_t *old,
                                             zk_field_errors *e)
{
    static const char *const always[] = {"Always", NULL};
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    zk_kube__nonneg(e, "spec.minReadySeconds", spec, "minReadySeconds");
    const json_t *sel = zk_kube__obj(spec, "selector");
    if (zk_kube__len(sel) == 0)
        zk_field_required(e, "spec.selector", "");
    zk_kube__nonneg(e, "spec.replicas", spec, "replicas");
    const json_t *tmpl = zk_kube__obj(spec, "template");
    if (!tmpl) {
        zk_field_required(e, "spec.template", "");
        return;
    }
    const json_t *labels = zk_kube__obj(zk_kube__obj(tmpl, "metadata"), "labels");
    if (zk_kube__len(sel) > 0 && !zk_kube__map_selector_matches(sel, labels))
        zk_field_invalid(e, "spec.template.metadata.labels", labels,
                         "`selector` does not match template `labels`");
    zk_kube__validate_pod_template_spec(e, tmpl, "spec.template");
    const json_t *ts = zk_kube__obj(tmpl, "spec");
    const char *rp = zk_kube__str0(ts, "restartPolicy");
    if (strcmp(rp, "Always") != 0)
        zk_kube__not_supported_str(e, "spec.template.spec.restartPolicy", rp, always);
    if (zk_kube__has(ts, "activeDeadlineSeconds"))
        zk_field_forbidden(e, "spec.template.spec.activeDeadlineSeconds",
                           "activeDeadlineSeconds in ReplicationController is not Supported");
}
