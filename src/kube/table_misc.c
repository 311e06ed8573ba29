/* zke kube: Table printers of coordination, rbac, admissionregistration and
 * apiregistration resources. */
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

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* ===== leases ============================================================== */

static const zk_table_column lease_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Holder", "string", "", "The current holder of the lease.", 0 },
    ZK_TABLE_COL_AGE,
};

static void lease_row(const json_t *l, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, l);
    zk_kube_table__cell_str(cells, zk_json_path_str(l, "spec", "holderIdentity", NULL));
    zk_kube_table__cell_age(cells, l, now);
}

PRINTER(leases, lease_columns, lease_row);

/* ===== rolebindings, clusterrolebindings ===================================== */

static const zk_table_column rolebinding_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Role", "string", "", "The role granted, as Kind/name.", 0 },
    ZK_TABLE_COL_AGE,
    { "Users", "string", "", "Users in the binding.", 1 },
    { "Groups", "string", "", "Groups in the binding.", 1 },
    { "ServiceAccounts", "string", "", "Service accounts in the binding, as namespace/name.", 1 },
};

static void append_subject(zk_buf *b, const char *s)
{
    if (b->len)
        zk_buf_puts(b, ", ");
    zk_buf_puts(b, s);
}

static void rolebinding_row(const json_t *rb, json_t *cells, int64_t now)
{
    const json_t *ref = json_object_get(rb, "roleRef");
    const char *kind = zk_json_str(ref, "kind"), *name = zk_json_str(ref, "name");
    zk_autobuf zk_buf users = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_autobuf zk_buf groups = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_autobuf zk_buf sas = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    json_t *subjects = json_object_get(rb, "subjects");
    for (size_t i = 0; i < json_array_size(subjects); i++) {
        json_t *s = json_array_get(subjects, i);
        const char *sk = zk_json_str(s, "kind"), *sn = zk_json_str(s, "name");
        if (!sn)
            sn = "";
        if (str_eq(sk, "User")) {
            append_subject(&users, sn);
        } else if (str_eq(sk, "Group")) {
            append_subject(&groups, sn);
        } else if (str_eq(sk, "ServiceAccount")) {
            const char *ns = zk_json_str(s, "namespace");
            zk_autofree char *full = zk_xasprintf("%s/%s", ns ? ns : "", sn);
            append_subject(&sas, full);
        }
    }
    zk_kube_table__cell_name(cells, rb);
    zk_kube_table__cell_printf(cells, "%s/%s", kind ? kind : "", name ? name : "");
    zk_kube_table__cell_age(cells, rb, now);
    zk_kube_table__cell_str(cells, users.data);
    zk_kube_table__cell_str(cells, groups.data);
    zk_kube_table__cell_str(cells, sas.data);
}

PRINTER(rolebindings, rolebinding_columns, rolebinding_row);
PRINTER(clusterrolebindings, rolebinding_columns, rolebinding_row);

/* ===== webhook configurations ============================================== */

static const zk_table_column webhook_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Webhooks", "integer", "", "Number of webhooks in this configuration.", 0 },
    ZK_TABLE_COL_AGE,
};

static void webhook_row(const json_t *wh, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, wh);
    zk_kube_table__cell_int(cells, (json_int_t)json_array_size(json_object_get(wh, "webhooks")));
    zk_kube_table__cell_age(cells, wh, now);
}

PRINTER(mutatingwebhookconfigurations, webhook_columns, webhook_row);
PRINTER(validatingwebhookconfigurations, webhook_columns, webhook_row);

/* ===== apiservices ========================================================= */

static const zk_table_column apiservice_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Service", "string", "", "The service that serves this API, or Local.", 0 },
    { "Available", "string", "", "Whether the API is available.", 0 },
    ZK_TABLE_COL_AGE,
};

static void apiservice_row(const json_t *as, json_t *cells, int64_t now)
{
    const json_t *svc = zk_json_path(as, "spec", "service", NULL);
    zk_kube_table__cell_name(cells, as);
    if (json_is_object(svc)) {
        const char *ns = zk_json_str(svc, "namespace"), *name = zk_json_str(svc, "name");
        zk_kube_table__cell_printf(cells, "%s/%s", ns ? ns : "", name ? name : "");
    } else {
        zk_kube_table__cell_str(cells, "Local");
    }
    const json_t *avail = NULL;
    json_t *conds = zk_json_path(as, "status", "conditions", NULL);
    for (size_t i = 0; i < json_array_size(conds) && !avail; i++)
        if (str_eq(zk_json_str(json_array_get(conds, i), "type"), "Available"))
            avail = json_array_get(conds, i);
    const char *st = zk_json_str(avail, "status"), *reason = zk_json_str(avail, "reason");
    if (!avail)
        zk_kube_table__cell_str(cells, "Unknown");
    else if (!str_eq(st, "True") && reason && *reason)
        zk_kube_table__cell_printf(cells, "%s (%s)", st ? st : "", reason);
    else
        zk_kube_table__cell_str(cells, st);
    zk_kube_table__cell_age(cells, as, now);
}

PRINTER(apiservices, apiservice_columns, apiservice_row);
