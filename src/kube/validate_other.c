/* Validators of autoscaling/v2 HPA, policy/v1 PodDisruptionBudget,
 * networking.k8s.io/v1 Ingress and NetworkPolicy, coordination.k8s.io/v1
 * Lease and discovery.k8s.io/v1 EndpointSlice. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "kube/validate.h"
#include "kube/validate_int.h"

/* ---- HorizontalPodAutoscaler -------------------------------------------- */

void zk_kube_validate_hpa(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    static const char *const sources[] = {"Object", "Pods", "Resource", "External",
                                          "ContainerResource", NULL};
    char p[ZK_KPATH_MAX];
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    const json_t *minr = json_object_get(spec, "minReplicas");
    const json_t *maxr = json_object_get(spec, "maxReplicas");
    json_int_t maxv = json_is_integer(maxr) ? json_integer_value(maxr) : 0;
    if (json_is_integer(minr) && json_integer_value(minr) < 1)
        zk_field_invalid(e, "spec.minReplicas", minr, "must be greater than or equal to 1");
    if (maxv < 1)
        zk_kube__invalid_int(e, "spec.maxReplicas", maxv, "must be greater than 0");
    if (json_is_integer(minr) && maxv < json_integer_value(minr))
        zk_kube__invalid_int(e, "spec.maxReplicas", maxv,
                             "must be greater than or equal to `minReplicas`");

    const json_t *ref = zk_kube__obj(spec, "scaleTargetRef");
    static const char *const ref_keys[] = {"kind", "name", NULL};
    for (size_t i = 0; ref_keys[i]; i++) {
        const char *v = zk_kube__str0(ref, ref_keys[i]);
        ZK_KP(p, "spec.scaleTargetRef.%s", ref_keys[i]);
        if (!v[0])
            zk_field_required(e, p, "");
        else
            zk_kube__check(e, p, v, zk_kube_names_path_segment_name);
    }

    const json_t *metrics = zk_kube__arr(spec, "metrics");
    for (size_t i = 0; i < json_array_size(metrics); i++) {
        const json_t *m = json_array_get(metrics, i);
        const char *type = zk_kube__str0(m, "type");
        ZK_KP(p, "spec.metrics[%zu].type", i);
        if (!type[0])
            zk_field_required(e, p, "must specify a metric source type");
        if (!zk_kube__one_of(type, sources))
            zk_kube__not_supported_str(e, p, type, sources);
        if (strcmp(type, "Resource") == 0) {
            const json_t *res = zk_kube__obj(m, "resource");
            if (!res)
                zk_field_required(e, ZK_KP(p, "spec.metrics[%zu].resource", i),
                                  "must populate information for the given metric source");
            else if (!zk_kube__str0(res, "name")[0])
                zk_field_required(e, ZK_KP(p, "spec.metrics[%zu].resource.name", i),
                                  "must specify a resource name");
        }
    }
}

/* ---- PodDisruptionBudget ------------------------------------------------ */

void zk_kube_validate_pdb(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    static const char *const policies[] = {"AlwaysAllow", "IfHealthyBudget", NULL};
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    const json_t *min = json_object_get(spec, "minAvailable");
    const json_t *max = json_object_get(spec, "maxUnavailable");
    bool has_min = min && !json_is_null(min), has_max = max && !json_is_null(max);
    if (has_min && has_max)
        zk_field_invalid(e, "spec", spec, "minAvailable and maxUnavailable cannot be both set");
    if (has_min) {
        zk_kube__validate_int_or_percent(e, min, "spec.minAvailable");
        zk_kube__not_more_than_100_percent(e, min, "spec.minAvailable");
    }
    if (has_max) {
        zk_kube__validate_int_or_percent(e, max, "spec.maxUnavailable");
        zk_kube__not_more_than_100_percent(e, max, "spec.maxUnavailable");
    }
    zk_kube__validate_label_selector(e, zk_kube__obj(spec, "selector"), "spec.selector");
    const json_t *upe = json_object_get(spec, "unhealthyPodEvictionPolicy");
    if (json_is_string(upe) && !zk_kube__one_of(json_string_value(upe), policies))
        zk_kube__not_supported_str(e, "spec.unhealthyPodEvictionPolicy", json_string_value(upe),
                                   policies);
}

/* ---- Ingress ------------------------------------------------------------ */

static void validate_ingress_backend(zk_field_errors *e, const json_t *be, const char *path)
{
    char p[ZK_KPATH_MAX];
    const json_t *res = zk_kube__obj(be, "resource");
    const json_t *svc = zk_kube__obj(be, "service");
    if (res && svc) {
        zk_field_invalid_str(e, path, "", "cannot set both resource and service backends");
        return;
    }
    if (res) {
        if (!zk_kube__str0(res, "kind")[0])
            zk_field_required(e, ZK_KP(p, "%s.resource.kind", path), "");
        if (!zk_kube__str0(res, "name")[0])
            zk_field_required(e, ZK_KP(p, "%s.resource.name", path), "");
        return;
    }
    if (!svc) {
        zk_field_invalid_str(e, path, "", "resource or service backend is required");
        return;
    }
    const char *name = zk_kube__str0(svc, "name");
    ZK_KP(p, "%s.service.name", path);
    if (!name[0])
        zk_field_required(e, p, "");
    else
        zk_kube__check(e, p, name, zk_kube_names_dns1035_label);
    const json_t *port = zk_kube__obj(svc, "port");
    const char *pname = zk_kube__str0(port, "name");
    json_int_t pnum = zk_json_int(port, "number", 0);
    if (pname[0] && pnum != 0)
        zk_field_invalid_str(e, path, "", "cannot set both port name & port number");
    else if (pname[0])
        zk_kube__check(e, ZK_KP(p, "%s.service.port.name", path), pname, zk_kube_names_port_name);
    else if (pnum != 0) {
        if (!zk_kube_is_port_num(pnum))
            zk_kube__invalid_int(e, ZK_KP(p, "%s.service.port.number", path), pnum,
                                 ZK_KUBE_PORT_RANGE_MSG);
    } else
        zk_field_required(e, path, "port name or number is required");
}

static void validate_ingress_path(zk_field_errors *e, const json_t *hp, const char *path)
{
    static const char *const types[] = {"Exact", "ImplementationSpecific", "Prefix", NULL};
    static const char *const bad_seq[] = {"//", "/./", "/../", "%2f", "%2F", NULL};
    static const char *const bad_sfx[] = {"/..", "/.", NULL};
    char p[ZK_KPATH_MAX], msg[64];
    const char *pt = zk_kube__str(hp, "pathType");
    if (!pt) {
        zk_field_required(e, ZK_KP(p, "%s.pathType", path), "pathType must be specified");
        return;
    }
    const char *value = zk_kube__str0(hp, "path");
    ZK_KP(p, "%s.path", path);
    if (strcmp(pt, "Exact") == 0 || strcmp(pt, "Prefix") == 0) {
        if (value[0] != '/')
            zk_field_invalid_str(e, p, value, "must be an absolute path");
        if (value[0]) {
            for (size_t i = 0; bad_seq[i]; i++) {
                if (strstr(value, bad_seq[i])) {
                    snprintf(msg, sizeof(msg), "must not contain '%s'", bad_seq[i]);
                    zk_field_invalid_str(e, p, value, msg);
                }
            }
            size_t len = strlen(value);
            for (size_t i = 0; bad_sfx[i]; i++) {
                size_t sl = strlen(bad_sfx[i]);
                if (len >= sl && strcmp(value + len - sl, bad_sfx[i]) == 0) {
                    snprintf(msg, sizeof(msg), "cannot end with '%s'", bad_sfx[i]);
                    zk_field_invalid_str(e, p, value, msg);
                }
            }
        }
    } else if (strcmp(pt, "ImplementationSpecific") == 0) {
        if (value[0] && value[0] != '/')
            zk_field_invalid_str(e, p, value, "must be an absolute path");
    } else {
        zk_kube__not_supported_str(e, ZK_KP(p, "%s.pathType", path), pt, types);
    }
    validate_ingress_backend(e, zk_kube__obj(hp, "backend"), ZK_KP(p, "%s.backend", path));
}

static void check_host(zk_field_errors *e, const char *host, const char *path)
{
    if (strchr(host, '*'))
        zk_kube__check(e, path, host, zk_kube_names_wildcard_dns1123_subdomain);
    else
        zk_kube__check(e, path, host, zk_kube_names_dns1123_subdomain);
}

void zk_kube_validate_ingress(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    char p[ZK_KPATH_MAX], q[ZK_KPATH_MAX];
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    const json_t *rules = zk_kube__arr(spec, "rules");
    const json_t *def = zk_kube__obj(spec, "defaultBackend");
    if (zk_kube__len(rules) == 0 && !def) {
        zk_autojson json_t *empty = json_array();
        zk_field_invalid(e, "spec", rules ? rules : empty,
                         "either `defaultBackend` or `rules` must be specified");
    }
    if (def)
        validate_ingress_backend(e, def, "spec.defaultBackend");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        const char *host = zk_kube__str0(r, "host");
        if (host[0]) {
            ZK_KP(p, "spec.rules[%zu].host", i);
            if (zk_kube_is_ip(host))
                zk_field_invalid_str(e, p, host, "must be a DNS name, not an IP address");
            check_host(e, host, p);
        }
        const json_t *http = zk_kube__obj(r, "http");
        if (!http)
            continue;
        const json_t *paths = zk_kube__arr(http, "paths");
        if (zk_kube__len(paths) == 0)
            zk_field_required(e, ZK_KP(p, "spec.rules[%zu].http.paths", i), "");
        for (size_t j = 0; j < json_array_size(paths); j++)
            validate_ingress_path(e, json_array_get(paths, j),
                                  ZK_KP(q, "spec.rules[%zu].http.paths[%zu]", i, j));
    }
    const json_t *tls = zk_kube__arr(spec, "tls");
    for (size_t i = 0; i < json_array_size(tls); i++) {
        const json_t *hosts = zk_kube__arr(json_array_get(tls, i), "hosts");
        for (size_t j = 0; j < json_array_size(hosts); j++) {
            const char *h = json_string_value(json_array_get(hosts, j));
            if (h)
                check_host(e, h, ZK_KP(p, "spec.tls[%zu].hosts[%zu]", i, j));
        }
    }
    const json_t *icn = json_object_get(spec, "ingressClassName");
    if (json_is_string(icn))
        zk_kube__check(e, "spec.ingressClassName", json_string_value(icn),
                       zk_kube_names_dns1123_subdomain);
}

/* ---- NetworkPolicy ------------------------------------------------------ */

/* "a.b.c.d/n" or an IPv6 CIDR; on success *v6 tells the family. */
static bool parse_cidr(const char *s, bool *v6)
{
    const char *slash = strchr(s, '/');
    if (!slash || !slash[1])
        return false;
    char ip[64];
    snprintf(ip, sizeof(ip), "%.*s", (int)(slash - s < 63 ? slash - s : 63), s);
    unsigned char buf[16];
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    if (*end)
        return false;
    if (inet_pton(AF_INET, ip, buf) == 1) {
        *v6 = false;
        return bits >= 0 && bits <= 32;
    }
    if (inet_pton(AF_INET6, ip, buf) == 1) {
        *v6 = true;
        return bits >= 0 && bits <= 128;
    }
    return false;
}

static void validate_np_port(zk_field_errors *e, const json_t *port, const char *path)
{
    static const char *const protocols[] = {"TCP", "UDP", "SCTP", NULL};
    char p[ZK_KPATH_MAX];
    const json_t *proto = json_object_get(port, "protocol");
    if (json_is_string(proto) && !zk_kube__one_of(json_string_value(proto), protocols))
        zk_kube__not_supported_str(e, ZK_KP(p, "%s.protocol", path), json_string_value(proto),
                                   protocols);
    const json_t *pv = json_object_get(port, "port");
    const json_t *ep = json_object_get(port, "endPort");
    if (pv && !json_is_null(pv))
        zk_kube__validate_port_num_or_name(e, pv, ZK_KP(p, "%s.port", path));
    if (json_is_integer(ep)) {
        ZK_KP(p, "%s.endPort", path);
        if (!pv || json_is_null(pv))
            zk_field_required(e, ZK_KP(p, "%s.port", path),
                              "must be specified when endPort is specified");
        else if (json_is_string(pv))
            zk_field_invalid(e, p, ep, "may not be specified when `port` is non-numeric");
        else if (json_is_integer(pv) && json_integer_value(ep) < json_integer_value(pv))
            zk_field_invalid(e, p, ep, "must be greater than or equal to `port`");
    }
}

static void validate_np_peer(zk_field_errors *e, const json_t *peer, const char *path)
{
    char p[ZK_KPATH_MAX];
    int n = 0;
    const json_t *ps = zk_kube__obj(peer, "podSelector");
    const json_t *ns = zk_kube__obj(peer, "namespaceSelector");
    const json_t *ipb = zk_kube__obj(peer, "ipBlock");
    if (ps) {
        n++;
        zk_kube__validate_label_selector(e, ps, ZK_KP(p, "%s.podSelector", path));
    }
    if (ns) {
        n++;
        zk_kube__validate_label_selector(e, ns, ZK_KP(p, "%s.namespaceSelector", path));
    }
    if (ipb) {
        n++;
        const char *cidr = zk_kube__str0(ipb, "cidr");
        bool v6;
        ZK_KP(p, "%s.ipBlock.cidr", path);
        if (!cidr[0])
            zk_field_required(e, p, "");
        else if (!parse_cidr(cidr, &v6))
            zk_field_invalid_str(e, p, cidr,
                                 "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
        const json_t *ex = zk_kube__arr(ipb, "except");
        for (size_t i = 0; i < json_array_size(ex); i++) {
            const char *c = json_string_value(json_array_get(ex, i));
            if (c && !parse_cidr(c, &v6))
                zk_field_invalid_str(e, ZK_KP(p, "%s.ipBlock.except[%zu]", path, i), c,
                                     "must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
                                     "2001:db8::/64)");
        }
    }
    if (n == 0)
        zk_field_required(e, path, "must specify a peer");
    else if (n > 1 && ipb)
        zk_field_forbidden(e, path, "may not specify both ipBlock and another peer");
}

void zk_kube_validate_network_policy(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    static const char *const types[] = {"Ingress", "Egress", NULL};
    char p[ZK_KPATH_MAX];
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    zk_kube__validate_label_selector(e, zk_kube__obj(spec, "podSelector"), "spec.podSelector");
    static const struct { const char *list, *peers; } dirs[] = {{"ingress", "from"},
                                                                {"egress", "to"}};
    for (size_t d = 0; d < 2; d++) {
        const json_t *rules = zk_kube__arr(spec, dirs[d].list);
        for (size_t i = 0; i < json_array_size(rules); i++) {
            const json_t *r = json_array_get(rules, i);
            const json_t *ports = zk_kube__arr(r, "ports");
            for (size_t j = 0; j < json_array_size(ports); j++)
                validate_np_port(e, json_array_get(ports, j),
                                 ZK_KP(p, "spec.%s[%zu].ports[%zu]", dirs[d].list, i, j));
            const json_t *peers = zk_kube__arr(r, dirs[d].peers);
            for (size_t j = 0; j < json_array_size(peers); j++)
                validate_np_peer(e, json_array_get(peers, j),
                                 ZK_KP(p, "spec.%s[%zu].%s[%zu]", dirs[d].list, i, dirs[d].peers,
                                       j));
        }
    }
    const json_t *pt = zk_kube__arr(spec, "policyTypes");
    if (json_array_size(pt) > 2) {
        zk_field_invalid(e, "spec.policyTypes", pt, "may not specify more than two policyTypes");
        return;
    }
    for (size_t i = 0; i < json_array_size(pt); i++) {
        const char *t = json_string_value(json_array_get(pt, i)) ?: "";
        if (!zk_kube__one_of(t, types))
            zk_kube__not_supported_str(e, ZK_KP(p, "spec.policyTypes[%zu]", i), t, types);
    }
}

/* ---- Lease -------------------------------------------------------------- */

void zk_kube_validate_lease(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    const json_t *ld = json_object_get(spec, "leaseDurationSeconds");
    if (json_is_integer(ld) && json_integer_value(ld) <= 0)
        zk_field_invalid(e, "spec.leaseDurationSeconds", ld, "must be greater than 0");
    zk_kube__nonneg(e, "spec.leaseTransitions", spec, "leaseTransitions");
}

/* ---- EndpointSlice ------------------------------------------------------ */

#define ENDPOINTSLICE_MAX_ADDRESSES 100

void zk_kube_validate_endpoint_slice(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    static const char *const types[] = {"FQDN", "IPv4", "IPv6", NULL};
    static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
    char p[ZK_KPATH_MAX], q[ZK_KPATH_MAX];
    zk_kube__validate_kube_finalizers(e, obj);
    const char *at = zk_kube__str0(obj, "addressType");
    if (!at[0])
        zk_field_required(e, "addressType", "");
    else if (!zk_kube__one_of(at, types))
        zk_kube__not_supported_str(e, "addressType", at, types);

    const json_t *eps = zk_kube__arr(obj, "endpoints");
    for (size_t i = 0; i < json_array_size(eps); i++) {
        const json_t *ep = json_array_get(eps, i);
        const json_t *addrs = zk_kube__arr(ep, "addresses");
        ZK_KP(p, "endpoints[%zu].addresses", i);
        if (zk_kube__len(addrs) == 0) {
            zk_field_required(e, p, "must contain at least 1 address");
        } else if (json_array_size(addrs) > ENDPOINTSLICE_MAX_ADDRESSES) {
            zk_field_errors_add(e, "FieldValueTooMany", p,
                                "Too many: %zu: must have at most %d items",
                                json_array_size(addrs), ENDPOINTSLICE_MAX_ADDRESSES);
        }
        for (size_t j = 0; j < json_array_size(addrs); j++) {
            const char *a = json_string_value(json_array_get(addrs, j)) ?: "";
            unsigned char buf[16];
            ZK_KP(q, "%s[%zu]", p, j);
            if (strcmp(at, "IPv4") == 0 && inet_pton(AF_INET, a, buf) != 1)
                zk_field_invalid_str(e, q, a, "must be a valid IPv4 address");
            else if (strcmp(at, "IPv6") == 0 && inet_pton(AF_INET6, a, buf) != 1)
                zk_field_invalid_str(e, q, a, "must be a valid IPv6 address");
            else if (strcmp(at, "FQDN") == 0)
                zk_kube__check(e, q, a, zk_kube_names_dns1123_subdomain);
        }
        const char *host = zk_kube__str(ep, "hostname");
        if (host)
            zk_kube__check(e, ZK_KP(p, "endpoints[%zu].hostname", i), host,
                           zk_kube_names_dns1123_label);
        const char *node = zk_kube__str(ep, "nodeName");
        if (node)
            zk_kube__check(e, ZK_KP(p, "endpoints[%zu].nodeName", i), node,
                           zk_kube_names_dns1123_subdomain);
    }

    const json_t *ports = zk_kube__arr(obj, "ports");
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *port = json_array_get(ports, i);
        const char *name = zk_kube__str0(port, "name");
        if (name[0])
            zk_kube__check(e, ZK_KP(p, "ports[%zu].name", i), name, zk_kube_names_dns1123_label);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(zk_kube__str0(json_array_get(ports, j), "name"), name) == 0) {
                zk_autojson json_t *jn = json_string(name);
                zk_field_duplicate(e, ZK_KP(p, "ports[%zu].name", i), jn);
                break;
            }
        }
        const char *proto = zk_kube__str0(port, "protocol");
        if (!proto[0])
            zk_field_required(e, ZK_KP(p, "ports[%zu].protocol", i), "");
        else if (!zk_kube__one_of(proto, protocols))
            zk_kube__not_supported_str(e, ZK_KP(p, "ports[%zu].protocol", i), proto, protocols);
        const json_t *pv = json_object_get(port, "port");
        if (json_is_integer(pv) && !zk_kube_is_port_num(json_integer_value(pv)))
            zk_field_invalid(e, ZK_KP(p, "ports[%zu].port", i), pv, ZK_KUBE_PORT_RANGE_MSG);
    }
    if (old)
        zk_kube__immutable(e, "addressType", json_object_get(obj, "addressType"),
                           json_object_get(old, "addressType"));
}
