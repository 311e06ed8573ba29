/* zke kube: Table printers built from a CRD version's additionalPrinterColumns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/jsonpath.h"
#include "kube/table_internal.h"

#define CRD_MAX_COLUMNS 64

typedef enum { T_STRING, T_INTEGER, T_NUMBER, T_BOOLEAN, T_DATE } crd_type;

static const char *const type_names[] = { "string", "integer", "number", "boolean", "date" };

typedef struct crd_col {
    zk_kube_jsonpath *path;
    crd_type type;
} crd_col;

typedef struct crd_printer {
    zk_table_printer base;
    zk_table_column *columns;   /* [0] is Name; strings owned */
    crd_col *cols;              /* one per column after Name */
    size_t ncols;
} crd_printer;

static void crd_cell(json_t *cells, const crd_col *c, const json_t *obj, int64_t now)
{
    json_t *v = zk_kube_jsonpath_first(c->path, obj);
    json_t *cell = NULL;
    switch (c->type) {
    case T_STRING: {
        char *s = zk_kube_jsonpath_render(v);
        if (s) {
            cell = json_string(s);
            free(s);
        }
        break;
    }
    case T_INTEGER:
        if (json_is_integer(v)) {
            cell = json_integer(json_integer_value(v));
        } else if (json_is_real(v)) {
            double d = json_real_value(v);
            /* Go's int64(float64), for values that fit */
            if (isfinite(d) && d > -9.2e18 && d < 9.2e18)
                cell = json_integer((json_int_t)d);
        }
        break;
    case T_NUMBER:
        if (json_is_number(v))
            cell = json_real(json_number_value(v));
        break;
    case T_BOOLEAN:
        if (json_is_boolean(v))
            cell = json_boolean(json_is_true(v));
        break;
    case T_DATE:
        if (json_is_string(v)) {
            const char *s = json_string_value(v);
            char age[32];
            if (!*s || strcmp(s, "null") == 0) {
                snprintf(age, sizeof(age), "<unknown>");
            } else {
                int64_t t = zk_time_parse_rfc3339(s);
                if (t == -1 && strncmp(s, "1969-12-31T23:59:59", 19) != 0)
                    snprintf(age, sizeof(age), "<invalid>");
                else
                    zk_kube_table__since(t <= -62135596800LL ? ZK_TABLE_NO_TIME : t, now, age,
                                         sizeof(age));
            }
            cell = json_string(age);
        }
        break;
    }
    json_array_append_new(cells, cell ? cell : json_null());
}

static void crd_row(const zk_table_printer *p, const json_t *obj, json_t *cells, int64_t now)
{
    const crd_printer *cp = p->data;
    zk_kube_table__cell_name(cells, obj);
    for (size_t i = 0; i < cp->ncols; i++)
        crd_cell(cells, &cp->cols[i], obj, now);
}

void zk_kube_table_printer_free(zk_table_printer *p)
{
    if (!p || p->row_ex != crd_row)
        return;
    crd_printer *cp = p->data;
    for (size_t i = 0; i < cp->ncols; i++)
        zk_kube_jsonpath_free(cp->cols[i].path);
    for (size_t i = 0; i < cp->base.ncolumns; i++) {
        free((char *)cp->columns[i].name);
        free((char *)cp->columns[i].type);
        free((char *)cp->columns[i].format);
        free((char *)cp->columns[i].description);
    }
    free(cp->columns);
    free(cp->cols);
    free(cp);
}

/* Validate one additionalPrinterColumns entry and add it as column i+1. */
static int crd_add_column(crd_printer *cp, size_t i, const json_t *def, zk_err *err)
{
    if (!json_is_object(def))
        return zk_err_set(err, ZK_EINVAL, "additionalPrinterColumns[%zu]: must be an object", i);
    const char *name = zk_json_str(def, "name"), *type = zk_json_str(def, "type");
    const char *jp = zk_json_str(def, "jsonPath"), *format = zk_json_str(def, "format");
    const char *desc = zk_json_str(def, "description");
    json_t *prio = json_object_get(def, "priority");
    if (!name || !*name)
        return zk_err_set(err, ZK_EINVAL, "additionalPrinterColumns[%zu].name: Required value",
                          i);
    if (!type)
        return zk_err_set(err, ZK_EINVAL, "additionalPrinterColumns[%zu].type: Required value",
                          i);
    size_t t;
    for (t = 0; t < ZK_ARRAY_LEN(type_names); t++)
        if (strcmp(type, type_names[t]) == 0)
            break;
    if (t == ZK_ARRAY_LEN(type_names))
        return zk_err_set(err, ZK_EINVAL,
                          "additionalPrinterColumns[%zu].type: Unsupported value \"%s\": "
                          "supported values: \"integer\", \"number\", \"string\", \"boolean\", "
                          "\"date\"",
                          i, type);
    if (prio && !json_is_null(prio) && (!json_is_integer(prio) || json_integer_value(prio) < 0 ||
                                        json_integer_value(prio) > 1000000))
        return zk_err_set(err, ZK_EINVAL,
                          "additionalPrinterColumns[%zu].priority: must be a non-negative integer",
                          i);
    if (!jp || !*jp)
        return zk_err_set(err, ZK_EINVAL,
                          "additionalPrinterColumns[%zu].jsonPath: Required value", i);
    zk_kube_jsonpath *path = NULL;
    int rc = zk_kube_jsonpath_compile(jp, &path, err);
    if (rc < 0) {
        if (err)
            zk_err_wrap(err, "additionalPrinterColumns[%zu].jsonPath %s", i, jp);
        return rc;
    }

    zk_table_column *c = &cp->columns[i + 1];
    c->name = zk_xstrdup(name);
    c->type = zk_xstrdup(type);
    c->format = zk_xstrdup(format ? format : "");
    c->description = desc && *desc ? zk_xstrdup(desc)
        : zk_xasprintf("Custom resource definition column (in JSONPath format): %s", jp);
    c->priority = json_is_integer(prio) ? (int)json_integer_value(prio) : 0;
    cp->base.ncolumns = i + 2;
    cp->cols[i].path = path;
    cp->cols[i].type = (crd_type)t;
    cp->ncols = i + 1;
    return 0;
}

int zk_kube_table_crd_printer_new(const json_t *additional_printer_columns, zk_table_printer **out,
                                  zk_err *err)
{
    *out = NULL;
    const json_t *defs = additional_printer_columns;
    if (defs && !json_is_null(defs) && !json_is_array(defs))
        return zk_err_set(err, ZK_EINVAL, "additionalPrinterColumns: must be an array");
    zk_autojson json_t *age = NULL;
    if (json_array_size(defs) == 0) {
        /* Kubernetes serves a single Age column when a version declares none */
        age = json_pack("[{s:s,s:s,s:s,s:s}]", "name", "Age", "type", "date", "jsonPath",
                        ".metadata.creationTimestamp", "description",
                        "Time since the object was created (metadata.creationTimestamp).");
        defs = age;
    }
    size_t n = json_array_size(defs);
    if (n > CRD_MAX_COLUMNS)
        return zk_err_set(err, ZK_ETOOBIG, "additionalPrinterColumns: more than %d columns",
                          CRD_MAX_COLUMNS);

    crd_printer *cp = zk_xcalloc(1, sizeof(*cp));
    cp->columns = zk_xcalloc(n + 1, sizeof(*cp->columns));
    cp->cols = zk_xcalloc(n, sizeof(*cp->cols));
    cp->columns[0] = (zk_table_column){
        zk_xstrdup("Name"), zk_xstrdup("string"), zk_xstrdup("name"),
        zk_xstrdup(ZK_TABLE_DESC_NAME), 0,
    };
    cp->base.columns = cp->columns;
    cp->base.ncolumns = 1;
    cp->base.row_ex = crd_row;
    cp->base.data = cp;
    for (size_t i = 0; i < n; i++) {
        int rc = crd_add_column(cp, i, json_array_get(defs, i), err);
        if (rc < 0) {
            zk_kube_table_printer_free(&cp->base);
            return rc;
        }
    }
    *out = &cp->base;
    return 0;
}

zk_table_printer *zk_kube_table_crd_printer(const json_t *additional_printer_columns, zk_err *err)
{
    zk_table_printer *p = NULL;
    zk_kube_table_crd_printer_new(additional_printer_columns, &p, err);
    return p;
}
