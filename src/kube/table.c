/* zke kube: Table objects, the printer registry and helpers shared by the
 * per-group printer files (table_core.c, table_apps.c, table_net.c,
 * table_misc.c) and the CRD printer (table_crd.c). */
#include "kube/table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/table_internal.h"

/* ---- cells ------------------------------------------------------------- */

void zk_kube_table__cell_str(json_t *cells, const char *s)
{
    json_t *v = json_string(s ? s : "");
    json_array_append_new(cells, v ? v : json_null());
}

void zk_kube_table__cell_str_or(json_t *cells, const char *s, const char *def)
{
    zk_kube_table__cell_str(cells, s && *s ? s : def);
}

void zk_kube_table__cell_own(json_t *cells, char *s)
{
    zk_kube_table__cell_str(cells, s);
    free(s);
}

void zk_kube_table__cell_printf(json_t *cells, const char *fmt, ...)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    va_list ap;
    va_start(ap, fmt);
    zk_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    zk_kube_table__cell_str(cells, b.data);
}

void zk_kube_table__cell_int(json_t *cells, json_int_t v)
{
    json_array_append_new(cells, json_integer(v));
}

void zk_kube_table__cell_name(json_t *cells, const json_t *obj)
{
    zk_kube_table__cell_str(cells, zk_json_path_str(obj, "metadata", "name", NULL));
}

void zk_kube_table__cell_age(json_t *cells, const json_t *obj, int64_t now)
{
    char age[32];
    zk_kube_table__since(zk_kube_table__time(zk_json_path(obj, "metadata", "creationTimestamp",
                                                          NULL)),
                         now, age, sizeof(age));
    zk_kube_table__cell_str(cells, age);
}

void zk_kube_table__cell_containers(json_t *cells, const json_t *pod_spec)
{
    zk_autobuf zk_buf names = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_autobuf zk_buf images = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    json_t *list = json_object_get(pod_spec, "containers");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *c = json_array_get(list, i);
        if (i > 0) {
            zk_buf_putc(&names, ',');
            zk_buf_putc(&images, ',');
        }
        const char *n = zk_json_str(c, "name"), *img = zk_json_str(c, "image");
        zk_buf_puts(&names, n ? n : "");
        zk_buf_puts(&images, img ? img : "");
    }
    zk_kube_table__cell_str(cells, names.data);
    zk_kube_table__cell_str(cells, images.data);
}

/* ---- reading ----------------------------------------------------------- */

json_int_t zk_kube_table__geti(const json_t *obj, json_int_t def, ...)
{
    va_list ap;
    va_start(ap, def);
    const json_t *cur = obj;
    const char *key;
    while (cur && (key = va_arg(ap, const char *)) != NULL)
        cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
    va_end(ap);
    return json_is_integer(cur) ? json_integer_value(cur) : def;
}

int64_t zk_kube_table__time(const json_t *v)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s || !*s)
        return ZK_TABLE_NO_TIME;
    int64_t t = zk_time_parse_rfc3339(s);
    /* -1 is also 1969-12-31T23:59:59Z; only the parse error matters here */
    if (t == -1 && strncmp(s, "1969-12-31T23:59:59", 19) != 0)
        return ZK_TABLE_NO_TIME;
    /* Go's zero time, 0001-01-01T00:00:00Z, means "unset" */
    if (t <= -62135596800LL)
        return ZK_TABLE_NO_TIME;
    return t;
}

void zk_kube_table__duration(int64_t secs, char *out, size_t outlen)
{
    if (secs < -1)
        snprintf(out, outlen, "<invalid>");
    else if (secs < 0)
        snprintf(out, outlen, "0s");
    else
        zk_time_age(secs, out, outlen);
}

void zk_kube_table__since(int64_t t, int64_t now, char *out, size_t outlen)
{
    if (t == ZK_TABLE_NO_TIME)
        snprintf(out, outlen, "<unknown>");
    else
        zk_kube_table__duration(now - t, out, outlen);
}

/* ---- formatting -------------------------------------------------------- */

static int strset_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void zk_kube_table__strset_add(zk_kube_table__strset *s, const char *str)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = zk_xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = str;
}

void zk_kube_table__strset_sort(zk_kube_table__strset *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof(*s->v), strset_cmp);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++)
        if (strcmp(s->v[i], s->v[k - 1]) != 0)
            s->v[k++] = s->v[i];
    s->n = k;
}

void zk_kube_table__strset_free(zk_kube_table__strset *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

char *zk_kube_table__strset_join(zk_kube_table__strset *s, const char *sep)
{
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_buf_puts(&b, "");
    zk_kube_table__strset_sort(s);
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            zk_buf_puts(&b, sep);
        zk_buf_puts(&b, s->v[i]);
    }
    zk_kube_table__strset_free(s);
    return zk_buf_steal(&b, NULL);
}

/* One selector requirement: its key (for sorting) and text. */
typedef struct sel_req {
    const char *key;
    char *text;
    size_t order;
} sel_req;

static int sel_req_cmp(const void *a, const void *b)
{
    const sel_req *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static char *join_reqs(sel_req *reqs, size_t n)
{
    qsort(reqs, n, sizeof(*reqs), sel_req_cmp);
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    zk_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (i)
            zk_buf_putc(&b, ',');
        zk_buf_puts(&b, reqs[i].text);
    }
    return zk_buf_steal(&b, NULL);
}

static void free_reqs(sel_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(reqs[i].text);
    free(reqs);
}

char *zk_kube_table__labels(const json_t *map)
{
    size_t n = json_is_object(map) ? json_object_size(map) : 0;
    if (n == 0)
        return zk_xstrdup("<none>");
    sel_req *reqs = zk_xcalloc(n, sizeof(*reqs));
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)map, key, v) {
        if (k == n)
            break;
        reqs[k].key = key;
        reqs[k].order = k;
        reqs[k].text = zk_xasprintf("%s=%s", key, json_is_string(v) ? json_string_value(v) : "");
        k++;
    }
    char *s = join_reqs(reqs, k);
    free_reqs(reqs, k);
    return s;
}

/* The values of an In/NotIn requirement, sorted and deduplicated. */
static char *sel_values(const json_t *values)
{
    zk_kube_table__strset set = { 0 };
    for (size_t i = 0; i < json_array_size(values); i++) {
        const char *v = json_string_value(json_array_get(values, i));
        if (v)
            zk_kube_table__strset_add(&set, v);
    }
    return zk_kube_table__strset_join(&set, ",");
}

char *zk_kube_table__selector(const json_t *sel, const char *empty, const char *invalid)
{
    const json_t *ml = json_object_get(sel, "matchLabels");
    const json_t *me = json_object_get(sel, "matchExpressions");
    size_t cap = (json_is_object(ml) ? json_object_size(ml) : 0) + json_array_size(me);
    if (cap == 0)
        return zk_xstrdup(empty);
    sel_req *reqs = zk_xcalloc(cap, sizeof(*reqs));
    size_t n = 0;
    const char *key;
    json_t *v;
    if (json_is_object(ml)) {
        json_object_foreach((json_t *)ml, key, v) {
            if (!json_is_string(v) || n == cap)
                goto bad;
            reqs[n].key = key;
            reqs[n].order = n;
            reqs[n].text = zk_xasprintf("%s=%s", key, json_string_value(v));
            n++;
        }
    }
    for (size_t i = 0; i < json_array_size(me) && n < cap; i++) {
        json_t *e = json_array_get(me, i);
        const char *k = zk_json_str(e, "key"), *op = zk_json_str(e, "operator");
        json_t *values = json_object_get(e, "values");
        size_t nv = json_array_size(values);
        if (!k || !op)
            goto bad;
        char *text;
        if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
            if (nv == 0)
                goto bad;
            zk_autofree char *vals = sel_values(values);
            text = zk_xasprintf("%s %s (%s)", k, op[0] == 'I' ? "in" : "notin", vals);
        } else if (strcmp(op, "Exists") == 0 && nv == 0) {
            text = zk_xstrdup(k);
        } else if (strcmp(op, "DoesNotExist") == 0 && nv == 0) {
            text = zk_xasprintf("!%s", k);
        } else {
            goto bad;
        }
        reqs[n].key = k;
        reqs[n].order = n;
        reqs[n].text = text;
        n++;
    }
    char *s = join_reqs(reqs, n);
    free_reqs(reqs, n);
    return s;
bad:
    free_reqs(reqs, n);
    return zk_xstrdup(invalid);
}

/* ---- the default printer ------------------------------------------------- */

static const zk_table_column default_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Created At", "date", "", "Time the object was created (metadata.creationTimestamp).", 0 },
};

static void default_row(const json_t *obj, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, obj);
    int64_t t = zk_kube_table__time(zk_json_path(obj, "metadata", "creationTimestamp", NULL));
    char ts[40];
    if (t == ZK_TABLE_NO_TIME)
        snprintf(ts, sizeof(ts), "0001-01-01T00:00:00Z");
    else
        zk_time_rfc3339(t, ts, sizeof(ts));
    zk_kube_table__cell_str(cells, ts);
}

static const zk_table_printer default_printer = {
    default_columns, ZK_ARRAY_LEN(default_columns), default_row, NULL, NULL, NULL,
};

const zk_table_printer *zk_kube_table_default_printer(void)
{
    return &default_printer;
}

/* ---- registry ---------------------------------------------------------- */

typedef struct table_entry {
    const char *group;
    const char *resource;
    const zk_table_printer *printer;
} table_entry;

static const table_entry entries[] = {
    { "", "pods", &zk_kube_table__pods },
    { "", "nodes", &zk_kube_table__nodes },
    { "", "namespaces", &zk_kube_table__namespaces },
    { "", "services", &zk_kube_table__services },
    { "", "endpoints", &zk_kube_table__endpoints },
    { "", "configmaps", &zk_kube_table__configmaps },
    { "", "secrets", &zk_kube_table__secrets },
    { "", "serviceaccounts", &zk_kube_table__serviceaccounts },
    { "", "events", &zk_kube_table__events },
    { "", "limitranges", &default_printer },
    { "", "resourcequotas", &zk_kube_table__resourcequotas },
    { "", "replicationcontrollers", &zk_kube_table__replicationcontrollers },
    { "", "persistentvolumeclaims", &zk_kube_table__persistentvolumeclaims },
    { "events.k8s.io", "events", &zk_kube_table__events_v1 },
    { "apps", "deployments", &zk_kube_table__deployments },
    { "apps", "replicasets", &zk_kube_table__replicasets },
    { "apps", "daemonsets", &zk_kube_table__daemonsets },
    { "apps", "statefulsets", &zk_kube_table__statefulsets },
    { "apps", "controllerrevisions", &zk_kube_table__controllerrevisions },
    { "batch", "jobs", &zk_kube_table__jobs },
    { "batch", "cronjobs", &zk_kube_table__cronjobs },
    { "autoscaling", "horizontalpodautoscalers", &zk_kube_table__horizontalpodautoscalers },
    { "coordination.k8s.io", "leases", &zk_kube_table__leases },
    { "discovery.k8s.io", "endpointslices", &zk_kube_table__endpointslices },
    { "networking.k8s.io", "ingresses", &zk_kube_table__ingresses },
    { "networking.k8s.io", "ingressclasses", &zk_kube_table__ingressclasses },
    { "networking.k8s.io", "networkpolicies", &zk_kube_table__networkpolicies },
    { "policy", "poddisruptionbudgets", &zk_kube_table__poddisruptionbudgets },
    { "rbac.authorization.k8s.io", "roles", &default_printer },
    { "rbac.authorization.k8s.io", "clusterroles", &default_printer },
    { "rbac.authorization.k8s.io", "rolebindings", &zk_kube_table__rolebindings },
    { "rbac.authorization.k8s.io", "clusterrolebindings", &zk_kube_table__clusterrolebindings },
    { "admissionregistration.k8s.io", "mutatingwebhookconfigurations",
      &zk_kube_table__mutatingwebhookconfigurations },
    { "admissionregistration.k8s.io", "validatingwebhookconfigurations",
      &zk_kube_table__validatingwebhookconfigurations },
    { "apiregistration.k8s.io", "apiservices", &zk_kube_table__apiservices },
    { "apiextensions.k8s.io", "customresourcedefinitions", &default_printer },
};

const zk_table_printer *zk_kube_table_printer_for(const char *group, const char *resource)
{
    if (!resource)
        return NULL;
    if (!group)
        group = "";
    for (size_t i = 0; i < ZK_ARRAY_LEN(entries); i++)
        if (strcmp(entries[i].resource, resource) == 0 && strcmp(entries[i].group, group) == 0)
            return entries[i].printer;
    return NULL;
}

/* ---- building tables ----------------------------------------------------- */

json_t *zk_kube_table_cells(const zk_table_printer *p, const json_t *obj, int64_t now)
{
    if (!p)
        p = &default_printer;
    json_t *cells = json_array();
    if (p->row_ex)
        p->row_ex(p, obj, cells, now);
    else if (p->row)
        p->row(obj, cells, now);
    /* kubectl rejects rows whose length differs from the columns' */
    while (json_array_size(cells) < p->ncolumns)
        json_array_append_new(cells, json_null());
    while (json_array_size(cells) > p->ncolumns)
        json_array_remove(cells, json_array_size(cells) - 1);
    return cells;
}

static json_t *column_definitions(const zk_table_printer *p)
{
    json_t *defs = json_array();
    for (size_t i = 0; i < p->ncolumns; i++) {
        const zk_table_column *c = &p->columns[i];
        json_t *d = json_object();
        zk_json_set_str(d, "name", c->name ? c->name : "");
        zk_json_set_str(d, "type", c->type ? c->type : "string");
        zk_json_set_str(d, "format", c->format ? c->format : "");
        zk_json_set_str(d, "description", c->description ? c->description : "");
        json_object_set_new(d, "priority", json_integer(c->priority));
        json_array_append_new(defs, d);
    }
    return defs;
}

enum { INCLUDE_METADATA, INCLUDE_OBJECT, INCLUDE_NONE };

json_t *zk_kube_table_build_opts(const zk_table_printer *p, const json_t *const *objs, size_t n,
                                 const zk_table_opts *opts, int64_t now)
{
    static const zk_table_opts no_opts = { .remaining = -1 };
    if (!opts)
        opts = &no_opts;
    if (!p)
        p = &default_printer;
    int include;
    const char *io = opts->include_object;
    if (!io || !*io || strcmp(io, "Metadata") == 0)
        include = INCLUDE_METADATA;
    else if (strcmp(io, "Object") == 0)
        include = INCLUDE_OBJECT;
    else if (strcmp(io, "None") == 0)
        include = INCLUDE_NONE;
    else
        return NULL;

    json_t *table = json_object();
    zk_json_set_str(table, "kind", "Table");
    zk_json_set_str(table, "apiVersion", "meta.k8s.io/v1");
    json_t *meta = json_object();
    if (opts->resource_version && *opts->resource_version)
        zk_json_set_str(meta, "resourceVersion", opts->resource_version);
    if (opts->cont && *opts->cont)
        zk_json_set_str(meta, "continue", opts->cont);
    if (opts->remaining >= 0)
        json_object_set_new(meta, "remainingItemCount", json_integer(opts->remaining));
    json_object_set_new(table, "metadata", meta);
    if (!opts->no_headers)
        json_object_set_new(table, "columnDefinitions", column_definitions(p));

    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        const json_t *obj = objs[i];
        if (!obj)
            continue;
        json_t *row = json_object();
        json_object_set_new(row, "cells", zk_kube_table_cells(p, obj, now));
        json_t *conds = p->conditions ? p->conditions(obj) : NULL;
        if (conds)
            json_object_set_new(row, "conditions", conds);
        if (include == INCLUDE_OBJECT) {
            json_object_set_new(row, "object", json_deep_copy(obj));
        } else if (include == INCLUDE_METADATA) {
            json_t *partial = json_object();
            zk_json_set_str(partial, "kind", "PartialObjectMetadata");
            zk_json_set_str(partial, "apiVersion", "meta.k8s.io/v1");
            json_t *md = json_object_get(obj, "metadata");
            json_object_set_new(partial, "metadata",
                                json_is_object(md) ? json_deep_copy(md) : json_object());
            json_object_set_new(row, "object", partial);
        }
        json_array_append_new(rows, row);
    }
    json_object_set_new(table, "rows", rows);
    return table;
}

json_t *zk_kube_table_build(const zk_table_printer *p, const json_t *const *objs, size_t n,
                            const char *include_object, const char *list_rv, const char *cont,
                            int64_t now)
{
    zk_table_opts o = {
        .include_object = include_object,
        .resource_version = list_rv,
        .cont = cont,
        .remaining = -1,
    };
    return zk_kube_table_build_opts(p, objs, n, &o, now);
}
