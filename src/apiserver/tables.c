/* Table output for `kubectl get`: the kind's printer (built-in, or from a
 * CRD's additionalPrinterColumns) over the objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/table.h"

typedef struct zk__crd_printer {
    unsigned gen;
    zk_table_printer *p;
} zk__crd_printer;

static zk_map *zk__crd_printers;

static const zk_table_printer *zk__printer(const zk_kind *k)
{
    if (k->flags & ZK_KF_CRD) {
        /* with no columns declared a CRD prints Name and Age */
        if (!zk__crd_printers)
            zk__crd_printers = zk_map_new();
        char key[512];
        snprintf(key, sizeof(key), "%s/%s/%s", k->group, k->version, k->resource);
        zk__crd_printer *cp = zk_map_get(zk__crd_printers, key);
        if (cp && cp->gen == zk_kinds_generation())
            return cp->p;
        if (!cp) {
            cp = zk_xcalloc(1, sizeof(*cp));
            zk_map_put(zk__crd_printers, key, cp);
        } else {
            zk_kube_table_printer_free(cp->p);
        }
        zk_err err = {0};
        json_t *none = json_array();
        cp->p = zk_kube_table_crd_printer(k->printer_columns ? k->printer_columns : none, &err);
        json_decref(none);
        cp->gen = zk_kinds_generation();
        if (!cp->p)
            zk_warn("printer columns of %s: %s", key, err.msg);
        return cp->p ? cp->p : zk_kube_table_default_printer();
    }
    const zk_table_printer *p = zk_kube_table_printer_for(k->group, k->resource);
    return p ? p : zk_kube_table_default_printer();
}

json_t *zk_apis_table(const zk_kind *k, const zk_obj *const *objs, size_t n, const char *rv,
                      const char *cont, const char *include_object)
{
    json_t **docs = zk_xcalloc(n ? n : 1, sizeof(json_t *));
    for (size_t i = 0; i < n; i++)
        docs[i] = zk_apis_obj_for_kind(k, objs[i]);
    json_t *t = zk_kube_table_build(zk__printer(k), (const json_t *const *)docs, n, include_object,
                                    rv, cont, zk_wall_s());
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    return t;
}

const char *zk_apis_include_object(zk_call *c)
{
    char v[32];
    const char *io = zk_query_get(c->ri.query, "includeObject", v, sizeof(v));
    if (!io || !*io)
        return "Metadata";
    if (!strcmp(io, "None"))
        return "None";
    if (!strcmp(io, "Object"))
        return "Object";
    if (!strcmp(io, "Metadata"))
        return "Metadata";
    return NULL;
}
