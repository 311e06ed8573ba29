/* zke kube: Table printers of networking.k8s.io, discovery.k8s.io and policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "kube/table_internal.h"

#define PRINTER(id, cols, rowfn) \
    const zk_table_printer zk_kube_table__##id = { \
        cols, ZK_ARRAY_LEN(cols), rowfn, NULL, NULL, NULL, \
    }

static bool nonempty(const char *s)
{
    return s && *s;
}

/* Up to three items, then " + N more..."; "<unset>" for none. */
typedef struct more_list {
    zk_buf b;
    size_t shown, count;
} more_list;

enum { MORE_MAX = 3 };

static void more_add(more_list *l, const char *s)
{
    if (l->shown < MORE_MAX) {
        if (l->shown)
            zk_buf_putc(&l->b, ',');
        zk_buf_puts(&l->b, s);
        l->shown++;
    }
    l->count++;
}

static char *more_finish(more_list *l)
{
    if (l->count > MORE_MAX)
        zk_buf_printf(&l->b, " + %zu more...", l->count - MORE_MAX);
    else if (l->b.len == 0)
        zk_buf_puts(&l->b, "<unset>");
    return zk_buf_steal(&l->b, NULL);
}

/* ===== ingresses =========================================================== */

static const zk_table_column ingress_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Class", "string", "", "The IngressClass that handles the ingress.", 0 },
    { "Hosts", "string", "", "Hosts that requests are matched against.", 0 },
    { "Address", "string", "", "Addresses of the load balancer serving the ingress.", 0 },
    { "Ports", "string", "", "Ports the ingress serves on (443 when TLS is set).", 0 },
    ZK_TABLE_COL_AGE,
};

static char *ingress_hosts(const json_t *rules)
{
    enum { MAX_HOSTS = 3 };
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    size_t shown = 0, n = json_array_size(rules);
    bool more = false;
    for (size_t i = 0; i < n; i++) {
        if (shown == MAX_HOSTS)
            more = true;
        const char *host = zk_json_str(json_array_get(rules, i), "host");
        if (!more && nonempty(host)) {
            if (shown)
                zk_buf_putc(&b, ',');
            zk_buf_puts(&b, host);
            shown++;
        }
    }
    if (shown == 0)
        return zk_xstrdup("*");
    if (more)
        zk_buf_printf(&b, " + %zu more...", n - MAX_HOSTS);
    return zk_buf_steal(&b, NULL);
}

static void ingress_row(const json_t *ing, json_t *cells, int64_t now)
{
    const json_t *spec = json_object_get(ing, "spec");
    const char *cls = zk_json_str(spec, "ingressClassName");
    zk_kube_table__strset addrs = { 0 };
    json_t *lb = zk_json_path(ing, "status", "loadBalancer", "ingress", NULL);
    for (size_t i = 0; i < json_array_size(lb); i++) {
        json_t *e = json_array_get(lb, i);
        const char *ip = zk_json_str(e, "ip"), *host = zk_json_str(e, "hostname");
        if (nonempty(ip))
            zk_kube_table__strset_add(&addrs, ip);
        else if (nonempty(host))
            zk_kube_table__strset_add(&addrs, host);
    }
    zk_kube_table__cell_name(cells, ing);
    zk_kube_table__cell_str(cells, cls ? cls : "<none>");
    zk_kube_table__cell_own(cells, ingress_hosts(json_object_get(spec, "rules")));
    zk_kube_table__cell_own(cells, zk_kube_table__strset_join(&addrs, ","));
    bool tls = json_array_size(json_object_get(spec, "tls")) > 0;
    zk_kube_table__cell_str(cells, tls ? "80, 443" : "80");
    zk_kube_table__cell_age(cells, ing, now);
}

PRINTER(ingresses, ingress_columns, ingress_row);

/* ===== ingressclasses ====================================================== */

static const zk_table_column ingressclass_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Controller", "string", "", "The controller that handles ingresses of this class.", 0 },
    { "Parameters", "string", "", "The resource holding further configuration.", 0 },
    ZK_TABLE_COL_AGE,
};

static void ingressclass_row(const json_t *ic, json_t *cells, int64_t now)
{
    const json_t *params = zk_json_path(ic, "spec", "parameters", NULL);
    zk_kube_table__cell_name(cells, ic);
    zk_kube_table__cell_str(cells, zk_json_path_str(ic, "spec", "controller", NULL));
    if (json_is_object(params)) {
        const char *kind = zk_json_str(params, "kind"), *group = zk_json_str(params, "apiGroup");
        const char *name = zk_json_str(params, "name");
        if (group)
            zk_kube_table__cell_printf(cells, "%s.%s/%s", kind ? kind : "", group,
                                       name ? name : "");
        else
            zk_kube_table__cell_printf(cells, "%s/%s", kind ? kind : "", name ? name : "");
    } else {
        zk_kube_table__cell_str(cells, "<none>");
    }
    zk_kube_table__cell_age(cells, ic, now);
}

PRINTER(ingressclasses, ingressclass_columns, ingressclass_row);

/* ===== networkpolicies ===================================================== */

static const zk_table_column networkpolicy_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Pod-Selector", "string", "", "The pods the policy applies to.", 0 },
    ZK_TABLE_COL_AGE,
};

static void networkpolicy_row(const json_t *np, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, np);
    zk_kube_table__cell_own(cells, zk_kube_table__selector(
                                       zk_json_path(np, "spec", "podSelector", NULL), "<none>",
                                       "<error>"));
    zk_kube_table__cell_age(cells, np, now);
}

PRINTER(networkpolicies, networkpolicy_columns, networkpolicy_row);

/* ===== endpointslices ====================================================== */

static const zk_table_column endpointslice_columns[] = {
    ZK_TABLE_COL_NAME,
    { "AddressType", "string", "", "Type of the addresses (IPv4, IPv6, FQDN).", 0 },
    { "Ports", "string", "", "The first few ports of the slice.", 0 },
    { "Endpoints", "string", "", "The first few endpoint addresses of the slice.", 0 },
    ZK_TABLE_COL_AGE,
};

static void endpointslice_row(const json_t *es, json_t *cells, int64_t now)
{
    more_list ports = { ZK_BUF_INIT(ZK_TABLE_CELL_MAX), 0, 0 };
    json_t *plist = json_object_get(es, "ports");
    for (size_t i = 0; i < json_array_size(plist); i++) {
        json_t *p = json_array_get(plist, i);
        json_t *num = json_object_get(p, "port");
        const char *name = zk_json_str(p, "name");
        char tmp[24];
        if (json_is_integer(num)) {
            snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(num));
            more_add(&ports, tmp);
        } else {
            more_add(&ports, name ? name : "*");
        }
    }
    more_list eps = { ZK_BUF_INIT(ZK_TABLE_CELL_MAX), 0, 0 };
    json_t *elist = json_object_get(es, "endpoints");
    for (size_t i = 0; i < json_array_size(elist); i++) {
        json_t *addrs = json_object_get(json_array_get(elist, i), "addresses");
        for (size_t a = 0; a < json_array_size(addrs); a++) {
            const char *s = json_string_value(json_array_get(addrs, a));
            more_add(&eps, s ? s : "");
        }
    }
    zk_kube_table__cell_name(cells, es);
    zk_kube_table__cell_str(cells, zk_json_str(es, "addressType"));
    zk_kube_table__cell_own(cells, more_finish(&ports));
    zk_kube_table__cell_own(cells, more_finish(&eps));
    zk_kube_table__cell_age(cells, es, now);
    zk_buf_free(&ports.b);
    zk_buf_free(&eps.b);
}

PRINTER(endpointslices, endpointslice_columns, endpointslice_row);

/* ===== poddisruptionbudgets ================================================== */

static const zk_table_column pdb_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Min Available", "string", "", "The minimum number of pods that must be available.", 0 },
    { "Max Unavailable", "string", "", "The maximum number of pods that may be unavailable.", 0 },
    { "Allowed Disruptions", "integer", "", "Pods that may be disrupted right now.", 0 },
    ZK_TABLE_COL_AGE,
};

/* An IntOrString ("2" or "50%"), "N/A" when unset. */
static void cell_int_or_string(json_t *cells, const json_t *v)
{
    if (json_is_integer(v))
        zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_string(v))
        zk_kube_table__cell_str(cells, json_string_value(v));
    else
        zk_kube_table__cell_str(cells, "N/A");
}

static void pdb_row(const json_t *pdb, json_t *cells, int64_t now)
{
    const json_t *spec = json_object_get(pdb, "spec");
    zk_kube_table__cell_name(cells, pdb);
    cell_int_or_string(cells, json_object_get(spec, "minAvailable"));
    cell_int_or_string(cells, json_object_get(spec, "maxUnavailable"));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(pdb, 0, "status", "disruptionsAllowed",
                                                      NULL));
    zk_kube_table__cell_age(cells, pdb, now);
}

PRINTER(poddisruptionbudgets, pdb_columns, pdb_row);
