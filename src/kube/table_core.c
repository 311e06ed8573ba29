/* zke kube: Table printers of the core group (v1) and events.k8s.io. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "kube/table_internal.h"

#define PRINTER(id, cols, rowfn, condfn) \
    const zk_table_printer zk_kube_table__##id = { \
        cols, ZK_ARRAY_LEN(cols), rowfn, NULL, NULL, condfn, \
    }

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool nonempty(const char *s)
{
    return s && *s;
}

/* The condition of a given type in a conditions array, or NULL. */
static const json_t *find_condition(const json_t *conds, const char *type)
{
    for (size_t i = 0; i < json_array_size(conds); i++) {
        json_t *c = json_array_get(conds, i);
        if (str_eq(zk_json_str(c, "type"), type))
            return c;
    }
    return NULL;
}

static bool condition_true(const json_t *conds, const char *type)
{
    return str_eq(zk_json_str(find_condition(conds, type), "status"), "True");
}

/* ===== pods ================================================================ */

static const zk_table_column pod_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Ready", "string", "", "Ready containers out of all containers of the pod.", 0 },
    { "Status", "string", "", "The aggregate status of the containers in this pod.", 0 },
    { "Restarts", "string", "",
      "How often the containers of this pod restarted, and when the last restart was.", 0 },
    ZK_TABLE_COL_AGE,
    { "IP", "string", "", "The pod's first IP address (status.podIPs).", 1 },
    { "Node", "string", "", "The node the pod is bound to (spec.nodeName).", 1 },
    { "Nominated Node", "string", "",
      "The node where the pod may run once preemption finishes (status.nominatedNodeName).", 1 },
    { "Readiness Gates", "string", "", "Readiness gates that are true, out of all gates.", 1 },
};

/* An init container runs as a sidecar when its restartPolicy is Always. */
static bool restartable_init(const json_t *spec, const char *name)
{
    json_t *inits = json_object_get(spec, "initContainers");
    for (size_t i = 0; i < json_array_size(inits); i++) {
        json_t *c = json_array_get(inits, i);
        if (str_eq(zk_json_str(c, "name"), name))
            return str_eq(zk_json_str(c, "restartPolicy"), "Always");
    }
    return false;
}

static void set_reason(char **reason, char *s)
{
    free(*reason);
    *reason = s;
}

/* The later of t and the finish time of the container's last termination. */
static int64_t later_restart(int64_t t, const json_t *cs)
{
    int64_t f = zk_kube_table__time(
        zk_json_path(cs, "lastState", "terminated", "finishedAt", NULL));
    return f != ZK_TABLE_NO_TIME && (t == ZK_TABLE_NO_TIME || f > t) ? f : t;
}

static char *exit_reason(const char *prefix, const json_t *term)
{
    json_int_t sig = zk_kube_table__geti(term, 0, "signal", NULL);
    if (sig != 0)
        return zk_xasprintf("%sSignal:%" JSON_INTEGER_FORMAT, prefix, sig);
    return zk_xasprintf("%sExitCode:%" JSON_INTEGER_FORMAT, prefix,
                        zk_kube_table__geti(term, 0, "exitCode", NULL));
}

static void pod_row(const json_t *pod, json_t *cells, int64_t now)
{
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *status = json_object_get(pod, "status");
    const json_t *conds = json_object_get(status, "conditions");
    json_int_t restarts = 0, sidecar_restarts = 0;
    size_t total = json_array_size(json_object_get(spec, "containers"));
    size_t ready = 0;
    int64_t last_restart = ZK_TABLE_NO_TIME, last_sidecar_restart = ZK_TABLE_NO_TIME;

    const char *phase = zk_json_str(status, "phase");
    const char *status_reason = zk_json_str(status, "reason");
    zk_autofree char *reason = zk_xstrdup(nonempty(status_reason) ? status_reason
                                          : phase ? phase : "");
    for (size_t i = 0; i < json_array_size(conds); i++) {
        json_t *c = json_array_get(conds, i);
        if (str_eq(zk_json_str(c, "type"), "PodScheduled") &&
            str_eq(zk_json_str(c, "reason"), "SchedulingGated"))
            set_reason(&reason, zk_xstrdup("SchedulingGated"));
    }

    json_t *inits = json_object_get(spec, "initContainers");
    for (size_t i = 0; i < json_array_size(inits); i++)
        if (str_eq(zk_json_str(json_array_get(inits, i), "restartPolicy"), "Always"))
            total++;

    bool initializing = false;
    json_t *ics = json_object_get(status, "initContainerStatuses");
    for (size_t i = 0; i < json_array_size(ics); i++) {
        json_t *cs = json_array_get(ics, i);
        json_int_t rc = zk_kube_table__geti(cs, 0, "restartCount", NULL);
        bool sidecar = restartable_init(spec, zk_json_str(cs, "name"));
        restarts += rc;
        last_restart = later_restart(last_restart, cs);
        if (sidecar) {
            sidecar_restarts += rc;
            last_sidecar_restart = later_restart(last_sidecar_restart, cs);
        }
        json_t *term = zk_json_path(cs, "state", "terminated", NULL);
        json_t *wait = zk_json_path(cs, "state", "waiting", NULL);
        if (json_is_object(term) && zk_kube_table__geti(term, 0, "exitCode", NULL) == 0)
            continue;
        if (sidecar && json_is_true(json_object_get(cs, "started"))) {
            if (json_is_true(json_object_get(cs, "ready")))
                ready++;
            continue;
        }
        const char *wr = zk_json_str(wait, "reason");
        if (json_is_object(term)) {
            const char *tr = zk_json_str(term, "reason");
            set_reason(&reason, nonempty(tr) ? zk_xasprintf("Init:%s", tr)
                                             : exit_reason("Init:", term));
        } else if (nonempty(wr) && strcmp(wr, "PodInitializing") != 0) {
            set_reason(&reason, zk_xasprintf("Init:%s", wr));
        } else {
            set_reason(&reason, zk_xasprintf("Init:%zu/%zu", i, json_array_size(inits)));
        }
        initializing = true;
        break;
    }

    if (!initializing || condition_true(conds, "Initialized")) {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        bool has_running = false;
        json_t *css = json_object_get(status, "containerStatuses");
        for (size_t k = json_array_size(css); k-- > 0;) {
            json_t *cs = json_array_get(css, k);
            restarts += zk_kube_table__geti(cs, 0, "restartCount", NULL);
            last_restart = later_restart(last_restart, cs);
            json_t *term = zk_json_path(cs, "state", "terminated", NULL);
            const char *wr = zk_json_path_str(cs, "state", "waiting", "reason", NULL);
            const char *tr = zk_json_str(term, "reason");
            if (nonempty(wr)) {
                set_reason(&reason, zk_xstrdup(wr));
            } else if (nonempty(tr)) {
                set_reason(&reason, zk_xstrdup(tr));
            } else if (json_is_object(term)) {
                set_reason(&reason, exit_reason("", term));
            } else if (json_is_true(json_object_get(cs, "ready")) &&
                       json_is_object(zk_json_path(cs, "state", "running", NULL))) {
                has_running = true;
                ready++;
            }
        }
        /* a container still runs: the pod is not done yet */
        if (strcmp(reason, "Completed") == 0 && has_running)
            set_reason(&reason, zk_xstrdup(condition_true(conds, "Ready") ? "Running"
                                                                           : "NotReady"));
    }

    bool deleting = zk_json_path(pod, "metadata", "deletionTimestamp", NULL) != NULL &&
                    !json_is_null(zk_json_path(pod, "metadata", "deletionTimestamp", NULL));
    if (deleting && str_eq(status_reason, "NodeLost"))
        set_reason(&reason, zk_xstrdup("Unknown"));
    else if (deleting && !str_eq(phase, "Succeeded") && !str_eq(phase, "Failed"))
        set_reason(&reason, zk_xstrdup("Terminating"));

    zk_kube_table__cell_name(cells, pod);
    zk_kube_table__cell_printf(cells, "%zu/%zu", ready, total);
    zk_kube_table__cell_str(cells, reason);
    if (restarts != 0 && last_restart != ZK_TABLE_NO_TIME) {
        char ago[32];
        zk_kube_table__since(last_restart, now, ago, sizeof(ago));
        zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT " (%s ago)", restarts, ago);
    } else {
        zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT, restarts);
    }
    zk_kube_table__cell_age(cells, pod, now);

    /* -o wide */
    const char *ip = zk_json_str(json_array_get(json_object_get(status, "podIPs"), 0), "ip");
    if (!nonempty(ip))
        ip = zk_json_str(status, "podIP");
    zk_kube_table__cell_str_or(cells, ip, "<none>");
    zk_kube_table__cell_str_or(cells, zk_json_str(spec, "nodeName"), "<none>");
    zk_kube_table__cell_str_or(cells, zk_json_str(status, "nominatedNodeName"), "<none>");
    json_t *gates = json_object_get(spec, "readinessGates");
    if (json_array_size(gates) == 0) {
        zk_kube_table__cell_str(cells, "<none>");
    } else {
        size_t ok = 0;
        for (size_t i = 0; i < json_array_size(gates); i++)
            if (condition_true(conds, zk_json_str(json_array_get(gates, i), "conditionType")))
                ok++;
        zk_kube_table__cell_printf(cells, "%zu/%zu", ok, json_array_size(gates));
    }
}

/* Finished pods carry a Completed row condition, as Kubernetes marks them. */
static json_t *pod_conditions(const json_t *pod)
{
    const char *phase = zk_json_path_str(pod, "status", "phase", NULL);
    const char *msg;
    if (str_eq(phase, "Succeeded"))
        msg = "The pod has completed successfully.";
    else if (str_eq(phase, "Failed"))
        msg = "The pod failed.";
    else
        return NULL;
    return json_pack("[{s:s,s:s,s:s,s:s}]", "type", "Completed", "status", "True", "reason",
                     phase, "message", msg);
}

PRINTER(pods, pod_columns, pod_row, pod_conditions);

/* ===== nodes =============================================================== */

static const zk_table_column node_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Status", "string", "", "The status of the node.", 0 },
    { "Roles", "string", "", "The roles of the node, from its node-role labels.", 0 },
    ZK_TABLE_COL_AGE,
    { "Version", "string", "", "Kubelet version reported by the node.", 0 },
    { "Internal-IP", "string", "", "The node's first InternalIP address.", 1 },
    { "External-IP", "string", "", "The node's first ExternalIP address.", 1 },
    { "OS-Image", "string", "", "OS image reported by the node.", 1 },
    { "Kernel-Version", "string", "", "Kernel version reported by the node.", 1 },
    { "Container-Runtime", "string", "", "Container runtime version reported by the node.", 1 },
};

static const char *node_address(const json_t *node, const char *type)
{
    json_t *addrs = zk_json_path(node, "status", "addresses", NULL);
    for (size_t i = 0; i < json_array_size(addrs); i++) {
        json_t *a = json_array_get(addrs, i);
        if (str_eq(zk_json_str(a, "type"), type))
            return zk_json_str(a, "address");
    }
    return NULL;
}

static void node_row(const json_t *node, json_t *cells, int64_t now)
{
    zk_autobuf zk_buf st = ZK_BUF_INIT(256);
    const json_t *ready = find_condition(zk_json_path(node, "status", "conditions", NULL), "Ready");
    if (!ready)
        zk_buf_puts(&st, "Unknown");
    else if (str_eq(zk_json_str(ready, "status"), "True"))
        zk_buf_puts(&st, "Ready");
    else
        zk_buf_puts(&st, "NotReady");
    if (json_is_true(zk_json_path(node, "spec", "unschedulable", NULL)))
        zk_buf_puts(&st, ",SchedulingDisabled");

    /* node-role.kubernetes.io/<role> keys and kubernetes.io/role=<role> */
    static const char prefix[] = "node-role.kubernetes.io/";
    zk_kube_table__strset roles = { 0 };
    const char *key;
    json_t *v;
    json_object_foreach(zk_json_path(node, "metadata", "labels", NULL), key, v) {
        if (strncmp(key, prefix, sizeof(prefix) - 1) == 0 && key[sizeof(prefix) - 1])
            zk_kube_table__strset_add(&roles, key + sizeof(prefix) - 1);
        else if (strcmp(key, "kubernetes.io/role") == 0 && nonempty(json_string_value(v)))
            zk_kube_table__strset_add(&roles, json_string_value(v));
    }
    zk_autofree char *role_list = zk_kube_table__strset_join(&roles, ",");

    const json_t *info = zk_json_path(node, "status", "nodeInfo", NULL);
    zk_kube_table__cell_name(cells, node);
    zk_kube_table__cell_str(cells, st.data);
    zk_kube_table__cell_str_or(cells, role_list, "<none>");
    zk_kube_table__cell_age(cells, node, now);
    zk_kube_table__cell_str(cells, zk_json_str(info, "kubeletVersion"));
    zk_kube_table__cell_str_or(cells, node_address(node, "InternalIP"), "<none>");
    zk_kube_table__cell_str_or(cells, node_address(node, "ExternalIP"), "<none>");
    zk_kube_table__cell_str_or(cells, zk_json_str(info, "osImage"), "<unknown>");
    zk_kube_table__cell_str_or(cells, zk_json_str(info, "kernelVersion"), "<unknown>");
    zk_kube_table__cell_str_or(cells, zk_json_str(info, "containerRuntimeVersion"), "<unknown>");
}

PRINTER(nodes, node_columns, node_row, NULL);

/* ===== namespaces, configmaps, secrets, serviceaccounts ===================== */

static const zk_table_column namespace_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Status", "string", "", "The phase of the namespace (Active or Terminating).", 0 },
    ZK_TABLE_COL_AGE,
};

static void namespace_row(const json_t *ns, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, ns);
    zk_kube_table__cell_str(cells, zk_json_path_str(ns, "status", "phase", NULL));
    zk_kube_table__cell_age(cells, ns, now);
}

PRINTER(namespaces, namespace_columns, namespace_row, NULL);

static size_t object_size(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? json_object_size(v) : 0;
}

static const zk_table_column configmap_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Data", "string", "", "Number of keys in data and binaryData.", 0 },
    ZK_TABLE_COL_AGE,
};

static void configmap_row(const json_t *cm, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, cm);
    zk_kube_table__cell_int(cells, (json_int_t)(object_size(cm, "data") +
                                                object_size(cm, "binaryData")));
    zk_kube_table__cell_age(cells, cm, now);
}

PRINTER(configmaps, configmap_columns, configmap_row, NULL);

static const zk_table_column secret_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Type", "string", "", "Type of the secret, which says how its data is used.", 0 },
    { "Data", "string", "", "Number of keys in data.", 0 },
    ZK_TABLE_COL_AGE,
};

static void secret_row(const json_t *s, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, s);
    zk_kube_table__cell_str(cells, zk_json_str(s, "type"));
    zk_kube_table__cell_int(cells, (json_int_t)object_size(s, "data"));
    zk_kube_table__cell_age(cells, s, now);
}

PRINTER(secrets, secret_columns, secret_row, NULL);

static const zk_table_column serviceaccount_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Secrets", "string", "", "Number of secrets listed by the service account.", 0 },
    ZK_TABLE_COL_AGE,
};

static void serviceaccount_row(const json_t *sa, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, sa);
    zk_kube_table__cell_int(cells, (json_int_t)json_array_size(json_object_get(sa, "secrets")));
    zk_kube_table__cell_age(cells, sa, now);
}

PRINTER(serviceaccounts, serviceaccount_columns, serviceaccount_row, NULL);

/* ===== services ============================================================ */

static const zk_table_column service_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Type", "string", "", "How the service is exposed (spec.type).", 0 },
    { "Cluster-IP", "string", "", "The service's cluster IP address.", 0 },
    { "External-IP", "string", "", "Addresses the service is reachable on from outside.", 0 },
    { "Port(s)", "string", "", "The service's ports: port[:nodePort]/protocol.", 0 },
    ZK_TABLE_COL_AGE,
    { "Selector", "string", "", "Labels of the pods the service routes to.", 1 },
};

/* Sorted, distinct ingress IPs (or hostnames) of a load balancer status. */
static char *lb_ingress(const json_t *lb_status)
{
    zk_kube_table__strset set = { 0 };
    json_t *ing = json_object_get(lb_status, "ingress");
    for (size_t i = 0; i < json_array_size(ing); i++) {
        json_t *e = json_array_get(ing, i);
        const char *ip = zk_json_str(e, "ip"), *host = zk_json_str(e, "hostname");
        if (nonempty(ip))
            zk_kube_table__strset_add(&set, ip);
        else if (nonempty(host))
            zk_kube_table__strset_add(&set, host);
    }
    return zk_kube_table__strset_join(&set, ",");
}

static void join_strings(zk_buf *b, const json_t *arr, const char *sep)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (b->len)
            zk_buf_puts(b, sep);
        zk_buf_puts(b, s ? s : "");
    }
}

static char *service_external_ip(const json_t *svc)
{
    const json_t *spec = json_object_get(svc, "spec");
    const char *type = zk_json_str(spec, "type");
    json_t *ext = json_object_get(spec, "externalIPs");
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_buf_puts(&b, "");
    if (!nonempty(type) || str_eq(type, "ClusterIP") || str_eq(type, "NodePort")) {
        if (json_array_size(ext) == 0)
            return zk_xstrdup("<none>");
        join_strings(&b, ext, ",");
    } else if (str_eq(type, "LoadBalancer")) {
        zk_autofree char *lb = lb_ingress(zk_json_path(svc, "status", "loadBalancer", NULL));
        zk_buf_puts(&b, lb);
        join_strings(&b, ext, ",");
        if (b.len == 0)
            return zk_xstrdup("<pending>");
    } else if (str_eq(type, "ExternalName")) {
        zk_buf_puts(&b, zk_json_str(spec, "externalName") ? zk_json_str(spec, "externalName")
                                                           : "");
    } else {
        return zk_xstrdup("<unknown>");
    }
    return zk_buf_steal(&b, NULL);
}

static void service_row(const json_t *svc, json_t *cells, int64_t now)
{
    const json_t *spec = json_object_get(svc, "spec");
    const char *type = zk_json_str(spec, "type");
    const char *cip = json_string_value(json_array_get(json_object_get(spec, "clusterIPs"), 0));
    if (!nonempty(cip))
        cip = zk_json_str(spec, "clusterIP");

    zk_autobuf zk_buf ports = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    json_t *plist = json_object_get(spec, "ports");
    for (size_t i = 0; i < json_array_size(plist); i++) {
        json_t *p = json_array_get(plist, i);
        const char *proto = zk_json_str(p, "protocol");
        json_int_t port = zk_kube_table__geti(p, 0, "port", NULL);
        json_int_t node_port = zk_kube_table__geti(p, 0, "nodePort", NULL);
        if (i)
            zk_buf_putc(&ports, ',');
        if (node_port > 0)
            zk_buf_printf(&ports, "%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT "/%s", port,
                          node_port, nonempty(proto) ? proto : "TCP");
        else
            zk_buf_printf(&ports, "%" JSON_INTEGER_FORMAT "/%s", port,
                          nonempty(proto) ? proto : "TCP");
    }

    zk_kube_table__cell_name(cells, svc);
    zk_kube_table__cell_str(cells, nonempty(type) ? type : "ClusterIP");
    zk_kube_table__cell_str_or(cells, cip, "<none>");
    zk_kube_table__cell_own(cells, service_external_ip(svc));
    zk_kube_table__cell_str_or(cells, ports.data, "<none>");
    zk_kube_table__cell_age(cells, svc, now);
    zk_kube_table__cell_own(cells, zk_kube_table__labels(json_object_get(spec, "selector")));
}

PRINTER(services, service_columns, service_row, NULL);

/* ===== endpoints =========================================================== */

static const zk_table_column endpoints_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Endpoints", "string", "", "The first few endpoint addresses (ip:port).", 0 },
    ZK_TABLE_COL_AGE,
};

static void put_host_port(zk_buf *b, const char *ip, json_int_t port, bool with_port)
{
    if (b->len)
        zk_buf_putc(b, ',');
    if (!with_port)
        zk_buf_puts(b, ip);
    else if (strchr(ip, ':'))
        zk_buf_printf(b, "[%s]:%" JSON_INTEGER_FORMAT, ip, port);
    else
        zk_buf_printf(b, "%s:%" JSON_INTEGER_FORMAT, ip, port);
}

static char *format_endpoints(const json_t *ep)
{
    json_t *subsets = json_object_get(ep, "subsets");
    if (json_array_size(subsets) == 0)
        return zk_xstrdup("<none>");
    enum { MAX_SHOWN = 3 };
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_buf_puts(&b, "");
    size_t shown = 0, count = 0;
    bool more = false;
    for (size_t s = 0; s < json_array_size(subsets); s++) {
        json_t *ss = json_array_get(subsets, s);
        json_t *addrs = json_object_get(ss, "addresses");
        json_t *ports = json_object_get(ss, "ports");
        size_t nports = json_array_size(ports);
        /* headless services may have no ports: list the bare IPs */
        for (size_t p = 0; p < (nports ? nports : 1); p++) {
            json_int_t port = zk_kube_table__geti(json_array_get(ports, p), 0, "port", NULL);
            count += json_array_size(addrs);
            for (size_t a = 0; a < json_array_size(addrs); a++) {
                if (shown == MAX_SHOWN) {
                    more = true;
                    break;
                }
                const char *ip = zk_json_str(json_array_get(addrs, a), "ip");
                put_host_port(&b, ip ? ip : "", port, nports > 0);
                shown++;
            }
        }
    }
    if (more)
        zk_buf_printf(&b, " + %zu more...", count - MAX_SHOWN);
    return zk_buf_steal(&b, NULL);
}

static void endpoints_row(const json_t *ep, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, ep);
    zk_kube_table__cell_own(cells, format_endpoints(ep));
    zk_kube_table__cell_age(cells, ep, now);
}

PRINTER(endpoints, endpoints_columns, endpoints_row, NULL);

/* ===== events (v1 and events.k8s.io/v1) ====================================== */

static const zk_table_column event_columns[] = {
    { "Last Seen", "string", "", "Time since the event was last seen.", 0 },
    { "Type", "string", "", "Type of the event (Normal, Warning).", 0 },
    { "Reason", "string", "", "Short, machine-readable reason for the event.", 0 },
    { "Object", "string", "", "The object the event is about, as kind/name.", 0 },
    { "Subobject", "string", "", "The part of the object the event is about (fieldPath).", 1 },
    { "Source", "string", "", "The component (and host) that reported the event.", 1 },
    { "Message", "string", "", "Human-readable description of the event.", 0 },
    { "First Seen", "string", "", "Time since the event was first seen.", 1 },
    { "Count", "string", "", "How many times the event occurred.", 1 },
    { "Name", "string", "name", ZK_TABLE_DESC_NAME, 1 },
};

/* Field names differ between core/v1 Event and events.k8s.io/v1 Event. */
typedef struct event_fields {
    const char *regarding, *message, *source, *reporting_controller, *first, *last, *count;
} event_fields;

static const event_fields core_event = {
    "involvedObject", "message", "source", "reportingComponent", "firstTimestamp",
    "lastTimestamp", "count",
};
static const event_fields v1_event = {
    "regarding", "note", "deprecatedSource", "reportingController", "deprecatedFirstTimestamp",
    "deprecatedLastTimestamp", "deprecatedCount",
};

static void event_row_fields(const json_t *ev, json_t *cells, int64_t now, const event_fields *f)
{
    char first[32], last[32];
    int64_t t = zk_kube_table__time(json_object_get(ev, f->first));
    if (t == ZK_TABLE_NO_TIME)
        t = zk_kube_table__time(json_object_get(ev, "eventTime"));
    zk_kube_table__since(t, now, first, sizeof(first));
    int64_t tl = zk_kube_table__time(json_object_get(ev, f->last));
    if (tl == ZK_TABLE_NO_TIME)
        memcpy(last, first, sizeof(last));
    else
        zk_kube_table__since(tl, now, last, sizeof(last));

    json_int_t count = zk_kube_table__geti(ev, 0, f->count, NULL);
    json_t *series = json_object_get(ev, "series");
    if (json_is_object(series)) {
        zk_kube_table__since(zk_kube_table__time(json_object_get(series, "lastObservedTime")),
                             now, last, sizeof(last));
        count = zk_kube_table__geti(series, 0, "count", NULL);
    } else if (count == 0) {
        count = 1; /* singleton events of the new API carry no count */
    }

    const json_t *reg = json_object_get(ev, f->regarding);
    const char *kind = zk_json_str(reg, "kind"), *name = zk_json_str(reg, "name");
    zk_autofree char *lkind = zk_xstrdup(kind ? kind : "");
    for (char *p = lkind; *p; p++)
        *p = (char)tolower((unsigned char)*p);

    const json_t *src = json_object_get(ev, f->source);
    const char *component = zk_json_str(src, "component"), *host = zk_json_str(src, "host");
    if (!nonempty(component))
        component = zk_json_str(ev, f->reporting_controller);
    if (!nonempty(host))
        host = zk_json_str(ev, "reportingInstance");

    const char *msg = zk_json_str(ev, f->message);
    if (!msg)
        msg = "";
    size_t mb = 0, me = strlen(msg);
    while (mb < me && isspace((unsigned char)msg[mb]))
        mb++;
    while (me > mb && isspace((unsigned char)msg[me - 1]))
        me--;

    zk_kube_table__cell_str(cells, last);
    zk_kube_table__cell_str(cells, zk_json_str(ev, "type"));
    zk_kube_table__cell_str(cells, zk_json_str(ev, "reason"));
    if (nonempty(name))
        zk_kube_table__cell_printf(cells, "%s/%s", lkind, name);
    else
        zk_kube_table__cell_str(cells, lkind);
    zk_kube_table__cell_str(cells, zk_json_str(reg, "fieldPath"));
    if (nonempty(host))
        zk_kube_table__cell_printf(cells, "%s, %s", component ? component : "", host);
    else
        zk_kube_table__cell_str(cells, component);
    zk_kube_table__cell_own(cells, zk_xstrndup(msg + mb, me - mb));
    zk_kube_table__cell_str(cells, first);
    zk_kube_table__cell_int(cells, count);
    zk_kube_table__cell_name(cells, ev);
}

static void event_row(const json_t *ev, json_t *cells, int64_t now)
{
    event_row_fields(ev, cells, now, &core_event);
}

static void event_v1_row(const json_t *ev, json_t *cells, int64_t now)
{
    event_row_fields(ev, cells, now, &v1_event);
}

PRINTER(events, event_columns, event_row, NULL);
PRINTER(events_v1, event_columns, event_v1_row, NULL);

/* ===== resourcequotas ====================================================== */

static const zk_table_column resourcequota_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Request", "string", "", "Used and hard quota of each request-type resource.", 0 },
    { "Limit", "string", "", "Used and hard quota of each limits.* resource.", 0 },
    ZK_TABLE_COL_AGE,
};

static const char *quantity_text(const json_t *v, char *tmp, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return tmp;
    }
    if (json_is_real(v)) {
        snprintf(tmp, len, "%g", json_real_value(v));
        return tmp;
    }
    return "0";
}

static void resourcequota_row(const json_t *rq, json_t *cells, int64_t now)
{
    const json_t *hard = zk_json_path(rq, "status", "hard", NULL);
    const json_t *used = zk_json_path(rq, "status", "used", NULL);
    zk_kube_table__strset names = { 0 };
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)hard, key, v)
        zk_kube_table__strset_add(&names, key);
    zk_kube_table__strset_sort(&names);
    zk_autobuf zk_buf req = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_autobuf zk_buf lim = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_buf_puts(&req, "");
    zk_buf_puts(&lim, "");
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.v[i];
        char t1[32], t2[32];
        const char *u = quantity_text(json_object_get(used, name), t1, sizeof(t1));
        const char *h = quantity_text(json_object_get(hard, name), t2, sizeof(t2));
        zk_buf *w = strncmp(name, "limits.", 7) == 0 ? &lim : &req;
        if (w->len)
            zk_buf_puts(w, ", ");
        zk_buf_printf(w, "%s: %s/%s", name, u, h);
    }
    zk_kube_table__strset_free(&names);
    zk_kube_table__cell_name(cells, rq);
    zk_kube_table__cell_str(cells, req.data);
    zk_kube_table__cell_str(cells, lim.data);
    zk_kube_table__cell_age(cells, rq, now);
}

PRINTER(resourcequotas, resourcequota_columns, resourcequota_row, NULL);

/* ===== replicationcontrollers ================================================ */

static const zk_table_column rc_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Desired", "integer", "", "Number of desired replicas (spec.replicas).", 0 },
    { "Current", "integer", "", "Number of replicas created (status.replicas).", 0 },
    { "Ready", "integer", "", "Number of ready replicas (status.readyReplicas).", 0 },
    ZK_TABLE_COL_AGE,
    { "Containers", "string", "", ZK_TABLE_DESC_CONTAINERS, 1 },
    { "Images", "string", "", ZK_TABLE_DESC_IMAGES, 1 },
    { "Selector", "string", "", "Labels of the pods the controller manages.", 1 },
};

static void rc_row(const json_t *rc, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, rc);
    zk_kube_table__cell_int(cells, zk_kube_table__geti(rc, 1, "spec", "replicas", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(rc, 0, "status", "replicas", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(rc, 0, "status", "readyReplicas", NULL));
    zk_kube_table__cell_age(cells, rc, now);
    zk_kube_table__cell_containers(cells, zk_json_path(rc, "spec", "template", "spec", NULL));
    zk_kube_table__cell_own(cells, zk_kube_table__labels(zk_json_path(rc, "spec", "selector",
                                                                      NULL)));
}

PRINTER(replicationcontrollers, rc_columns, rc_row, NULL);

/* ===== persistentvolumeclaims ================================================ */

static const zk_table_column pvc_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Status", "string", "", "The phase of the claim (Pending, Bound, Lost).", 0 },
    { "Volume", "string", "", "The volume bound to the claim.", 0 },
    { "Capacity", "string", "", "Storage capacity of the bound volume.", 0 },
    { "Access Modes", "string", "", "Access modes of the bound volume.", 0 },
    { "StorageClass", "string", "", "StorageClass of the pvc.", 0 },
    { "VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pvc.", 0 },
    ZK_TABLE_COL_AGE,
    { "VolumeMode", "string", "", "Filesystem or Block (spec.volumeMode).", 1 },
};

static char *access_modes(const json_t *modes)
{
    static const struct { const char *mode, *abbr; } known[] = {
        { "ReadWriteOnce", "RWO" }, { "ReadOnlyMany", "ROX" },
        { "ReadWriteMany", "RWX" }, { "ReadWriteOncePod", "RWOP" },
    };
    zk_autobuf zk_buf b = ZK_BUF_INIT(64);
    zk_buf_puts(&b, "");
    for (size_t k = 0; k < ZK_ARRAY_LEN(known); k++) {
        for (size_t i = 0; i < json_array_size(modes); i++) {
            if (str_eq(json_string_value(json_array_get(modes, i)), known[k].mode)) {
                if (b.len)
                    zk_buf_putc(&b, ',');
                zk_buf_puts(&b, known[k].abbr);
                break;
            }
        }
    }
    return zk_buf_steal(&b, NULL);
}

static void pvc_row(const json_t *pvc, json_t *cells, int64_t now)
{
    const json_t *spec = json_object_get(pvc, "spec");
    const json_t *status = json_object_get(pvc, "status");
    const char *phase = zk_json_str(status, "phase");
    json_t *del = zk_json_path(pvc, "metadata", "deletionTimestamp", NULL);
    if (del && !json_is_null(del))
        phase = "Terminating";
    const char *volume = zk_json_str(spec, "volumeName");

    /* the beta annotation wins over spec.storageClassName */
    json_t *ann = zk_json_path(pvc, "metadata", "annotations",
                               "volume.beta.kubernetes.io/storage-class", NULL);
    const char *sc = json_is_string(ann) ? json_string_value(ann)
                                         : zk_json_str(spec, "storageClassName");

    zk_kube_table__cell_name(cells, pvc);
    zk_kube_table__cell_str(cells, phase);
    zk_kube_table__cell_str(cells, volume);
    if (nonempty(volume)) {
        char tmp[32];
        zk_kube_table__cell_str(cells, quantity_text(zk_json_path(status, "capacity", "storage",
                                                                  NULL), tmp, sizeof(tmp)));
        zk_kube_table__cell_own(cells, access_modes(json_object_get(status, "accessModes")));
    } else {
        zk_kube_table__cell_str(cells, "");
        zk_kube_table__cell_str(cells, "");
    }
    zk_kube_table__cell_str(cells, sc);
    /* pointers in the API: present-but-empty prints empty, absent <unset> */
    const char *vac = zk_json_str(spec, "volumeAttributesClassName");
    const char *mode = zk_json_str(spec, "volumeMode");
    zk_kube_table__cell_str(cells, vac ? vac : "<unset>");
    zk_kube_table__cell_age(cells, pvc, now);
    zk_kube_table__cell_str(cells, mode ? mode : "<unset>");
}

PRINTER(persistentvolumeclaims, pvc_columns, pvc_row, NULL);
