/* zke controllers: the pods behind a Service, as the Endpoints and
 * EndpointSlice controllers both see them — which pods a Service selects,
 * which port a service port means on a pod, and which pod changes matter. */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"

const json_t *zk_ctl_svc_selector(const json_t *svc)
{
    const char *type = zk_json_path_str(svc, "spec", "type", NULL);
    if (type && !strcmp(type, "ExternalName"))
        return NULL;
    json_t *sel = zk_json_path(svc, "spec", "selector", NULL);
    /* An empty selector is dropped on the wire in Kubernetes (omitempty), so
     * a Service with `selector: {}` has no selector there: do the same. */
    if (!json_is_object(sel) || json_object_size(sel) == 0)
        return NULL;
    return sel;
}

bool zk_ctl_svc_selects(const json_t *selector, const json_t *pod)
{
    json_t *labels = zk_json_path(pod, "metadata", "labels", NULL);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)selector, k, v) {
        json_t *have = json_object_get(labels, k);
        if (!json_is_string(have) || !json_is_string(v) ||
            strcmp(json_string_value(have), json_string_value(v)))
            return false;
    }
    return true;
}

const char *zk_ctl_pod_ipv4(const json_t *pod)
{
    const char *ip = zk_json_path_str(pod, "status", "podIP", NULL);
    if (ip && ip[0] && !strchr(ip, ':'))
        return ip;
    /* dual-stack pods list both families in podIPs */
    size_t i;
    json_t *e;
    json_array_foreach(zk_json_path(pod, "status", "podIPs", NULL), i, e) {
        const char *a = zk_json_str(e, "ip");
        if (a && a[0] && !strchr(a, ':'))
            return a;
    }
    return NULL;
}

bool zk_ctl_pod_terminal(const json_t *pod)
{
    const char *phase = zk_json_path_str(pod, "status", "phase", NULL);
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

int64_t zk_ctl_find_port(const json_t *pod, const json_t *svc_port)
{
    json_t *tp = json_object_get(svc_port, "targetPort");
    if (!tp || json_is_null(tp))
        return zk_json_int(svc_port, "port", -1);
    if (json_is_integer(tp)) {
        json_int_t n = json_integer_value(tp);
        return n > 0 ? n : zk_json_int(svc_port, "port", -1);
    }
    if (!json_is_string(tp))
        return -1;
    const char *name = json_string_value(tp);
    /* a number written as a string is a number */
    char *end;
    long num = strtol(name, &end, 10);
    if (name[0] && !*end)
        return num > 0 ? num : -1;
    const char *proto = zk_json_str(svc_port, "protocol");
    if (!proto)
        proto = "TCP";
    size_t i, j;
    json_t *ct, *cp;
    json_array_foreach(zk_json_path(pod, "spec", "containers", NULL), i, ct) {
        json_array_foreach(json_object_get(ct, "ports"), j, cp) {
            const char *pn = zk_json_str(cp, "name");
            const char *pp = zk_json_str(cp, "protocol");
            if (pn && !strcmp(pn, name) && !strcmp(pp ? pp : "TCP", proto))
                return zk_json_int(cp, "containerPort", -1);
        }
    }
    return -1;
}

int64_t zk_ctl_pod_change_time(const json_t *pod)
{
    json_t *c = zk_ctl_get_condition(json_object_get(pod, "status"), "Ready");
    const char *t = c ? zk_json_str(c, "lastTransitionTime") : NULL;
    if (!t)
        t = zk_json_path_str(pod, "metadata", "creationTimestamp", NULL);
    return t ? zk_time_parse_rfc3339(t) : 0;
}

static bool same(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    return json_equal((json_t *)a, (json_t *)b);
}

bool zk_ctl_pod_endpoint_changed(const json_t *old, const json_t *pod)
{
    static const char *const meta[] = {"labels", "deletionTimestamp"};
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
        if (!same(zk_json_path(old, "metadata", meta[i], NULL),
                  zk_json_path(pod, "metadata", meta[i], NULL)))
            return true;
    static const char *const spec[] = {"nodeName", "hostname", "subdomain", "containers"};
    for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++)
        if (!same(zk_json_path(old, "spec", spec[i], NULL), zk_json_path(pod, "spec", spec[i], NULL)))
            return true;
    static const char *const status[] = {"podIP", "podIPs", "phase"};
    for (size_t i = 0; i < sizeof(status) / sizeof(status[0]); i++)
        if (!same(zk_json_path(old, "status", status[i], NULL),
                  zk_json_path(pod, "status", status[i], NULL)))
            return true;
    return zk_ctl_pod_ready(old) != zk_ctl_pod_ready(pod);
}

void zk_ctl_enqueue_pod_services(zk_ctl *c, zk_kube_informer *svcs, const json_t *old,
                                 const json_t *pod)
{
    json_t **list = NULL;
    size_t n = zk_kube_informer_by_index(svcs, "namespace", zk_kube_namespace(pod), &list);
    for (size_t i = 0; i < n; i++) {
        const json_t *sel = zk_ctl_svc_selector(list[i]);
        if (!sel)
            continue;
        if (zk_ctl_svc_selects(sel, pod) || (old && zk_ctl_svc_selects(sel, old)))
            zk_ctl_enqueue_obj(c, list[i]);
    }
    free(list);
}
