/* Defaults of core/v1 kinds other than Pod: ReplicationController, Service,
 * Secret, Namespace, LimitRange, PersistentVolumeClaim. */
#include <string.h>

#include "base/buf.h"
#include "kube/defaults.h"
#include "kube/defaults_int.h"

void zk_kube_default_replication_controller(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    json_t *tmpl = json_object_get(spec, "template");
    if (json_is_object(tmpl)) {
        json_t *meta = json_object_get(tmpl, "metadata");
        json_t *labels = json_is_object(meta) ? json_object_get(meta, "labels") : NULL;
        if (json_is_object(labels)) {
            json_t *sel = json_object_get(spec, "selector");
            if (!json_is_object(sel) || json_object_size(sel) == 0)
                json_object_set_new(spec, "selector", json_deep_copy(labels));
            json_t *ometa = zk_kube__dobj(obj, "metadata");
            json_t *olabels = ometa ? json_object_get(ometa, "labels") : NULL;
            if (ometa && (!json_is_object(olabels) || json_object_size(olabels) == 0))
                json_object_set_new(ometa, "labels", json_deep_copy(labels));
        }
        zk_kube_default_pod_template_spec(tmpl);
    }
    zk_kube__dint(spec, "replicas", 1);
}

/* ---- Service ------------------------------------------------------------ */

#define CLIENT_IP_AFFINITY_SECONDS 10800

void zk_kube_default_service(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    zk_kube__dstr(spec, "sessionAffinity", "None");
    const char *aff = json_string_value(json_object_get(spec, "sessionAffinity")) ?: "";
    if (strcmp(aff, "None") == 0) {
        json_object_del(spec, "sessionAffinityConfig");
    } else if (strcmp(aff, "ClientIP") == 0) {
        json_t *cfg = json_object_get(spec, "sessionAffinityConfig");
        json_t *cip = json_is_object(cfg) ? json_object_get(cfg, "clientIP") : NULL;
        if (!json_is_object(cip) || zk_kube__unset(cip, "timeoutSeconds"))
            json_object_set_new(spec, "sessionAffinityConfig",
                                json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds",
                                          CLIENT_IP_AFFINITY_SECONDS));
    }
    zk_kube__dstr(spec, "type", "ClusterIP");
    const char *type = json_string_value(json_object_get(spec, "type")) ?: "";

    json_t *ports = zk_kube__darr(spec, "ports");
    for (size_t i = 0; i < json_array_size(ports); i++) {
        json_t *sp = json_array_get(ports, i);
        if (!json_is_object(sp))
            continue;
        zk_kube__dstr(sp, "protocol", "TCP");
        json_t *tp = json_object_get(sp, "targetPort");
        json_t *port = json_object_get(sp, "port");
        bool unset = !tp || json_is_null(tp) ||
                     (json_is_integer(tp) && json_integer_value(tp) == 0) ||
                     (json_is_string(tp) && json_string_length(tp) == 0);
        if (unset && json_is_integer(port))
            json_object_set_new(sp, "targetPort", json_integer(json_integer_value(port)));
    }

    bool lb = strcmp(type, "LoadBalancer") == 0;
    bool external_ips = json_array_size(json_object_get(spec, "externalIPs")) > 0;
    if (lb || strcmp(type, "NodePort") == 0 || (strcmp(type, "ClusterIP") == 0 && external_ips))
        zk_kube__dstr(spec, "externalTrafficPolicy", "Cluster");
    if (lb || strcmp(type, "NodePort") == 0 || strcmp(type, "ClusterIP") == 0)
        zk_kube__dstr(spec, "internalTrafficPolicy", "Cluster");
    if (lb)
        zk_kube__dbool(spec, "allocateLoadBalancerNodePorts", true);

    /* What Kubernetes' service strategy and allocator settle before
     * validation: clusterIPs mirrors a clusterIP given alone (any type, so
     * that validation sees it), and non-ExternalName services are
     * single-stack unless told otherwise. */
    json_t *cip = json_object_get(spec, "clusterIP");
    json_t *cips = json_object_get(spec, "clusterIPs");
    if (json_is_string(cip) && json_string_length(cip) > 0 &&
        (!cips || json_is_null(cips) || (json_is_array(cips) && json_array_size(cips) == 0)))
        json_object_set_new(spec, "clusterIPs", json_pack("[O]", cip));
    if (strcmp(type, "ExternalName") != 0)
        zk_kube__dstr(spec, "ipFamilyPolicy", "SingleStack");
}

static bool needs_node_port(const json_t *spec)
{
    const char *t = json_string_value(json_object_get(spec, "type")) ?: "";
    return strcmp(t, "NodePort") == 0 || strcmp(t, "LoadBalancer") == 0;
}

static bool needs_hc_node_port(const json_t *spec)
{
    const char *t = json_string_value(json_object_get(spec, "type")) ?: "";
    const char *p = json_string_value(json_object_get(spec, "externalTrafficPolicy")) ?: "";
    return strcmp(t, "LoadBalancer") == 0 && strcmp(p, "Local") == 0;
}

static bool node_port_used(const json_t *ports, json_int_t np)
{
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *v = json_object_get(json_array_get(ports, i), "nodePort");
        if (json_is_integer(v) && json_integer_value(v) == np)
            return true;
    }
    return false;
}

static void copy_if_empty(json_t *spec, const json_t *ospec, const char *key)
{
    const json_t *ov = json_object_get(ospec, key);
    json_t *nv = json_object_get(spec, key);
    bool empty = !nv || json_is_null(nv) || (json_is_string(nv) && json_string_length(nv) == 0) ||
                 (json_is_array(nv) && json_array_size(nv) == 0);
    if (empty && ov && !json_is_null(ov))
        json_object_set_new(spec, key, json_deep_copy(ov));
}

void zk_kube_service_patch_allocated(json_t *svc, const json_t *old)
{
    json_t *spec = json_is_object(svc) ? json_object_get(svc, "spec") : NULL;
    const json_t *ospec = json_is_object(old) ? json_object_get(old, "spec") : NULL;
    if (!json_is_object(spec) || !json_is_object(ospec))
        return;
    const char *t = json_string_value(json_object_get(spec, "type")) ?: "";
    const char *ot = json_string_value(json_object_get(ospec, "type")) ?: "";
    if (strcmp(t, "ExternalName") != 0 && strcmp(ot, "ExternalName") != 0) {
        copy_if_empty(spec, ospec, "clusterIP");
        copy_if_empty(spec, ospec, "clusterIPs");
        copy_if_empty(spec, ospec, "ipFamilies");
    }
    if (needs_node_port(spec) && needs_node_port(ospec)) {
        const json_t *oports = json_object_get(ospec, "ports");
        json_t *ports = json_object_get(spec, "ports");
        for (size_t i = 0; i < json_array_size(ports); i++) {
            json_t *p = json_array_get(ports, i);
            const json_t *np = json_object_get(p, "nodePort");
            if (!json_is_object(p) || (json_is_integer(np) && json_integer_value(np) != 0))
                continue;
            const char *name = json_string_value(json_object_get(p, "name")) ?: "";
            for (size_t j = 0; j < json_array_size(oports); j++) {
                const json_t *op = json_array_get(oports, j);
                const json_t *onp = json_object_get(op, "nodePort");
                const char *oname = json_string_value(json_object_get(op, "name")) ?: "";
                if (strcmp(name, oname) != 0 || !json_is_integer(onp))
                    continue;
                /* Not when another port of the update already claims it. */
                if (!node_port_used(ports, json_integer_value(onp)))
                    json_object_set_new(p, "nodePort", json_integer(json_integer_value(onp)));
                break;
            }
        }
    }
    if (needs_hc_node_port(spec) && needs_hc_node_port(ospec)) {
        const json_t *hc = json_object_get(spec, "healthCheckNodePort");
        const json_t *ohc = json_object_get(ospec, "healthCheckNodePort");
        if ((!json_is_integer(hc) || json_integer_value(hc) == 0) && json_is_integer(ohc))
            json_object_set_new(spec, "healthCheckNodePort",
                                json_integer(json_integer_value(ohc)));
    }
}

/* ---- Secret ------------------------------------------------------------- */

static int put_base64(zk_buf *b, const unsigned char *s, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        char out[4] = {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63],
                       i + 1 < len ? tbl[(v >> 6) & 63] : '=', i + 2 < len ? tbl[v & 63] : '='};
        if (zk_buf_append(b, out, 4) < 0)
            return -1;
    }
    return 0;
}

void zk_kube_default_secret(json_t *obj)
{
    if (!json_is_object(obj))
        return;
    zk_kube__dstr(obj, "type", "Opaque");
    /* stringData is write-only: Kubernetes merges it into data (base64),
     * stringData winning, before anything else sees the object. */
    json_t *sd = json_object_get(obj, "stringData");
    if (!json_is_object(sd))
        return;
    json_t *data = zk_kube__dobj(obj, "data");
    if (!data)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(sd, k, v) {
        if (!json_is_string(v))
            continue;
        zk_autobuf zk_buf b = ZK_BUF_INIT(8 * 1024 * 1024);
        if (put_base64(&b, (const unsigned char *)json_string_value(v), json_string_length(v)) < 0)
            continue;
        json_object_set_new(data, k, json_string(b.data ? b.data : ""));
    }
    json_object_del(obj, "stringData");
}

/* ---- Namespace ---------------------------------------------------------- */

void zk_kube_default_namespace(json_t *obj)
{
    json_t *meta = zk_kube__dobj(obj, "metadata");
    const char *name = meta ? json_string_value(json_object_get(meta, "name")) : NULL;
    if (name && name[0]) {
        json_t *labels = zk_kube__dobj(meta, "labels");
        if (labels)
            json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
    }
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (spec && zk_kube__unset(spec, "finalizers"))
        json_object_set_new(spec, "finalizers", json_pack("[s]", "kubernetes"));
    json_t *status = zk_kube__dobj(obj, "status");
    zk_kube__dstr(status, "phase", "Active");
}

/* ---- LimitRange, PersistentVolumeClaim ---------------------------------- */

static void copy_missing(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v) {
        if (!json_object_get(dst, k))
            json_object_set_new(dst, k, json_deep_copy(v));
    }
}

void zk_kube_default_limit_range(json_t *obj)
{
    json_t *spec = json_is_object(obj) ? json_object_get(obj, "spec") : NULL;
    json_t *limits = json_is_object(spec) ? zk_kube__darr(spec, "limits") : NULL;
    for (size_t i = 0; i < json_array_size(limits); i++) {
        json_t *item = json_array_get(limits, i);
        const char *type = json_string_value(json_object_get(item, "type")) ?: "";
        if (strcmp(type, "Container") != 0)
            continue;
        json_t *def = zk_kube__dobj(item, "default");
        json_t *defreq = zk_kube__dobj(item, "defaultRequest");
        if (!def || !defreq)
            continue;
        /* default <- max; defaultRequest <- default, then min */
        const json_t *max = json_object_get(item, "max");
        if (json_is_object(max))
            copy_missing(def, max);
        copy_missing(defreq, def);
        const json_t *min = json_object_get(item, "min");
        if (json_is_object(min))
            copy_missing(defreq, min);
    }
}

void zk_kube_default_pvc(json_t *obj)
{
    zk_kube__dstr(zk_kube__dobj(obj, "spec"), "volumeMode", "Filesystem");
    zk_kube__dstr(zk_kube__dobj(obj, "status"), "phase", "Pending");
}
