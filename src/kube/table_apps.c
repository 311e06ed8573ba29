/* zke kube: Table printers of workloads: apps, batch and autoscaling. */
#include <ctype.h>
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

#define COL_CONTAINERS { "Containers", "string", "", ZK_TABLE_DESC_CONTAINERS, 1 }
#define COL_IMAGES { "Images", "string", "", ZK_TABLE_DESC_IMAGES, 1 }
#define COL_SELECTOR { "Selector", "string", "", "Label selector of the pods it manages.", 1 }

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* "<none>" for an empty selector and "<error>" for a bad one, as
 * metav1.FormatLabelSelector prints them. */
static void cell_selector(json_t *cells, const json_t *sel)
{
    zk_kube_table__cell_own(cells, zk_kube_table__selector(sel, "<none>", "<error>"));
}

static bool is_deleting(const json_t *obj)
{
    json_t *d = zk_json_path(obj, "metadata", "deletionTimestamp", NULL);
    return d && !json_is_null(d);
}

/* ===== deployments ========================================================= */

static const zk_table_column deployment_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Ready", "string", "", "Ready pods out of the desired replicas.", 0 },
    { "Up-to-date", "string", "", "Pods of the latest template (status.updatedReplicas).", 0 },
    { "Available", "string", "", "Pods available to users (status.availableReplicas).", 0 },
    ZK_TABLE_COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR,
};

static void deployment_row(const json_t *d, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, d);
    zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
                               zk_kube_table__geti(d, 0, "status", "readyReplicas", NULL),
                               zk_kube_table__geti(d, 1, "spec", "replicas", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(d, 0, "status", "updatedReplicas", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(d, 0, "status", "availableReplicas", NULL));
    zk_kube_table__cell_age(cells, d, now);
    zk_kube_table__cell_containers(cells, zk_json_path(d, "spec", "template", "spec", NULL));
    /* a Deployment prints the bare selector string: empty stays empty */
    const json_t *sel = zk_json_path(d, "spec", "selector", NULL);
    zk_kube_table__cell_own(cells, zk_kube_table__selector(sel, "", "<invalid>"));
}

PRINTER(deployments, deployment_columns, deployment_row);

/* ===== replicasets ========================================================= */

static const zk_table_column replicaset_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Desired", "integer", "", "Number of desired replicas (spec.replicas).", 0 },
    { "Current", "integer", "", "Number of replicas created (status.replicas).", 0 },
    { "Ready", "integer", "", "Number of ready replicas (status.readyReplicas).", 0 },
    ZK_TABLE_COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR,
};

static void replicaset_row(const json_t *rs, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, rs);
    zk_kube_table__cell_int(cells, zk_kube_table__geti(rs, 1, "spec", "replicas", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(rs, 0, "status", "replicas", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(rs, 0, "status", "readyReplicas", NULL));
    zk_kube_table__cell_age(cells, rs, now);
    zk_kube_table__cell_containers(cells, zk_json_path(rs, "spec", "template", "spec", NULL));
    cell_selector(cells, zk_json_path(rs, "spec", "selector", NULL));
}

PRINTER(replicasets, replicaset_columns, replicaset_row);

/* ===== daemonsets ========================================================== */

static const zk_table_column daemonset_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Desired", "integer", "", "Nodes that should run the daemon pod.", 0 },
    { "Current", "integer", "", "Nodes that run at least one daemon pod.", 0 },
    { "Ready", "integer", "", "Nodes whose daemon pod is ready.", 0 },
    { "Up-to-date", "integer", "", "Nodes that run the updated daemon pod.", 0 },
    { "Available", "integer", "", "Nodes whose daemon pod is available.", 0 },
    { "Node Selector", "string", "", "Node selector of the pod template.", 0 },
    ZK_TABLE_COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR,
};

static void daemonset_row(const json_t *ds, json_t *cells, int64_t now)
{
    const json_t *st = json_object_get(ds, "status");
    zk_kube_table__cell_name(cells, ds);
    zk_kube_table__cell_int(cells, zk_kube_table__geti(st, 0, "desiredNumberScheduled", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(st, 0, "currentNumberScheduled", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(st, 0, "numberReady", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(st, 0, "updatedNumberScheduled", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(st, 0, "numberAvailable", NULL));
    zk_kube_table__cell_own(cells, zk_kube_table__labels(
                                       zk_json_path(ds, "spec", "template", "spec", "nodeSelector",
                                                    NULL)));
    zk_kube_table__cell_age(cells, ds, now);
    zk_kube_table__cell_containers(cells, zk_json_path(ds, "spec", "template", "spec", NULL));
    cell_selector(cells, zk_json_path(ds, "spec", "selector", NULL));
}

PRINTER(daemonsets, daemonset_columns, daemonset_row);

/* ===== statefulsets ======================================================== */

static const zk_table_column statefulset_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Ready", "string", "", "Ready pods out of the desired replicas.", 0 },
    ZK_TABLE_COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
};

static void statefulset_row(const json_t *ss, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, ss);
    zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
                               zk_kube_table__geti(ss, 0, "status", "readyReplicas", NULL),
                               zk_kube_table__geti(ss, 1, "spec", "replicas", NULL));
    zk_kube_table__cell_age(cells, ss, now);
    zk_kube_table__cell_containers(cells, zk_json_path(ss, "spec", "template", "spec", NULL));
}

PRINTER(statefulsets, statefulset_columns, statefulset_row);

/* ===== controllerrevisions ================================================= */

static const zk_table_column controllerrevision_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Controller", "string", "", "The controller that owns the revision, as kind.group/name.", 0 },
    { "Revision", "string", "", "Revision number of the state it records.", 0 },
    ZK_TABLE_COL_AGE,
};

/* "statefulset.apps/web" for the controlling owner reference. */
static char *controller_name(const json_t *obj)
{
    json_t *refs = zk_json_path(obj, "metadata", "ownerReferences", NULL);
    for (size_t i = 0; i < json_array_size(refs); i++) {
        json_t *r = json_array_get(refs, i);
        if (!json_is_true(json_object_get(r, "controller")))
            continue;
        const char *api = zk_json_str(r, "apiVersion"), *kind = zk_json_str(r, "kind");
        const char *name = zk_json_str(r, "name");
        if (!name)
            name = "";
        if (!kind)
            kind = "";
        const char *slash = api ? strchr(api, '/') : NULL;
        if (slash && strchr(slash + 1, '/'))
            return zk_xstrdup("<invalid>");
        size_t glen = slash ? (size_t)(slash - api) : 0;
        if (glen == 0 && !*kind)
            return zk_xstrdup(name);
        char *s = glen ? zk_xasprintf("%s.%.*s/%s", kind, (int)glen, api, name)
                       : zk_xasprintf("%s/%s", kind, name);
        /* lower-case "Kind.group", not the name */
        for (char *p = s; *p && *p != '/'; p++)
            *p = (char)tolower((unsigned char)*p);
        return s;
    }
    return zk_xstrdup("<none>");
}

static void controllerrevision_row(const json_t *cr, json_t *cells, int64_t now)
{
    zk_kube_table__cell_name(cells, cr);
    zk_kube_table__cell_own(cells, controller_name(cr));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(cr, 0, "revision", NULL));
    zk_kube_table__cell_age(cells, cr, now);
}

PRINTER(controllerrevisions, controllerrevision_columns, controllerrevision_row);

/* ===== jobs ================================================================ */

static const zk_table_column job_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Status", "string", "", "Status of the job.", 0 },
    { "Completions", "string", "", "Succeeded pods out of the completions wanted.", 0 },
    { "Duration", "string", "", "Time required to complete the job.", 0 },
    ZK_TABLE_COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR,
};

/* The status of the first condition of a type is True. */
static bool job_condition(const json_t *job, const char *type)
{
    json_t *conds = zk_json_path(job, "status", "conditions", NULL);
    for (size_t i = 0; i < json_array_size(conds); i++) {
        json_t *c = json_array_get(conds, i);
        if (str_eq(zk_json_str(c, "type"), type))
            return str_eq(zk_json_str(c, "status"), "True");
    }
    return false;
}

static void job_row(const json_t *job, json_t *cells, int64_t now)
{
    const json_t *spec = json_object_get(job, "spec");
    const json_t *st = json_object_get(job, "status");
    json_int_t succeeded = zk_kube_table__geti(st, 0, "succeeded", NULL);

    const char *status = "Running";
    if (job_condition(job, "Complete"))
        status = "Complete";
    else if (job_condition(job, "Failed"))
        status = "Failed";
    else if (is_deleting(job))
        status = "Terminating";
    else if (job_condition(job, "Suspended"))
        status = "Suspended";
    else if (job_condition(job, "FailureTarget"))
        status = "FailureTarget";

    char duration[32] = "";
    int64_t start = zk_kube_table__time(json_object_get(st, "startTime"));
    int64_t done = zk_kube_table__time(json_object_get(st, "completionTime"));
    if (start != ZK_TABLE_NO_TIME)
        zk_kube_table__duration((done != ZK_TABLE_NO_TIME ? done : now) - start, duration,
                                sizeof(duration));

    zk_kube_table__cell_name(cells, job);
    zk_kube_table__cell_str(cells, status);
    json_t *completions = json_object_get(spec, "completions");
    json_int_t parallelism = zk_kube_table__geti(spec, 0, "parallelism", NULL);
    if (json_is_integer(completions))
        zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
                                   succeeded, json_integer_value(completions));
    else if (parallelism > 1)
        zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT "/1 of %" JSON_INTEGER_FORMAT,
                                   succeeded, parallelism);
    else
        zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT "/1", succeeded);
    zk_kube_table__cell_str(cells, duration);
    zk_kube_table__cell_age(cells, job, now);
    zk_kube_table__cell_containers(cells, zk_json_path(spec, "template", "spec", NULL));
    cell_selector(cells, json_object_get(spec, "selector"));
}

PRINTER(jobs, job_columns, job_row);

/* ===== cronjobs ============================================================ */

static const zk_table_column cronjob_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Schedule", "string", "", "The schedule in Cron format.", 0 },
    { "Timezone", "string", "", "The time zone of the schedule.", 0 },
    { "Suspend", "boolean", "", "Whether new runs are suspended.", 0 },
    { "Active", "integer", "", "Number of jobs running now.", 0 },
    { "Last Schedule", "string", "", "Time since a job was last scheduled.", 0 },
    ZK_TABLE_COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR,
};

static void cronjob_row(const json_t *cj, json_t *cells, int64_t now)
{
    const json_t *spec = json_object_get(cj, "spec");
    const json_t *jspec = zk_json_path(spec, "jobTemplate", "spec", NULL);
    json_t *suspend = json_object_get(spec, "suspend");
    int64_t last = zk_kube_table__time(zk_json_path(cj, "status", "lastScheduleTime", NULL));
    char last_s[32] = "<none>";
    if (last != ZK_TABLE_NO_TIME)
        zk_kube_table__since(last, now, last_s, sizeof(last_s));
    const char *tz = zk_json_str(spec, "timeZone");

    zk_kube_table__cell_name(cells, cj);
    zk_kube_table__cell_str(cells, zk_json_str(spec, "schedule"));
    zk_kube_table__cell_str(cells, tz ? tz : "<none>");
    zk_kube_table__cell_str(cells, json_is_boolean(suspend)
                                       ? (json_is_true(suspend) ? "True" : "False")
                                       : "<unset>");
    zk_kube_table__cell_int(cells, (json_int_t)json_array_size(zk_json_path(cj, "status", "active",
                                                                            NULL)));
    zk_kube_table__cell_str(cells, last_s);
    zk_kube_table__cell_age(cells, cj, now);
    zk_kube_table__cell_containers(cells, zk_json_path(jspec, "template", "spec", NULL));
    cell_selector(cells, json_object_get(jspec, "selector"));
}

PRINTER(cronjobs, cronjob_columns, cronjob_row);

/* ===== horizontalpodautoscalers ============================================== */

static const zk_table_column hpa_columns[] = {
    ZK_TABLE_COL_NAME,
    { "Reference", "string", "", "The scaled object, as Kind/name.", 0 },
    { "Targets", "string", "", "Current and target value of each metric.", 0 },
    { "MinPods", "string", "", "Lower limit of replicas.", 0 },
    { "MaxPods", "string", "", "Upper limit of replicas.", 0 },
    { "Replicas", "string", "", "Current number of replicas.", 0 },
    ZK_TABLE_COL_AGE,
};

/* A quantity as text; a missing one prints as Go prints a nil Quantity. */
static const char *qty(const json_t *v, char *tmp, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return tmp;
    }
    return "<nil>";
}

/* One "current/target" piece of the TARGETS cell, from a metric spec and
 * the status entry at the same position. */
static void hpa_metric(zk_buf *b, const json_t *spec, const json_t *status)
{
    const char *type = zk_json_str(spec, "type");
    char t1[32], t2[32], t3[32];
    if (str_eq(type, "External") || str_eq(type, "Object")) {
        const char *key = type[0] == 'E' ? "external" : "object";
        const json_t *target = zk_json_path(spec, key, "target", NULL);
        const json_t *src = json_object_get(status, key);
        const json_t *cur = json_object_get(src, "current");
        json_t *avg = json_object_get(target, "averageValue");
        if (avg) {
            json_t *c = json_object_get(cur, "averageValue");
            zk_buf_printf(b, "%s/%s (avg)", json_is_object(src) && c ? qty(c, t1, 32) : "<unknown>",
                          qty(avg, t2, 32));
        } else {
            zk_buf_printf(b, "%s/%s",
                          json_is_object(src) ? qty(json_object_get(cur, "value"), t1, 32)
                                              : "<unknown>",
                          qty(json_object_get(target, "value"), t2, 32));
        }
    } else if (str_eq(type, "Pods")) {
        const json_t *src = json_object_get(status, "pods");
        zk_buf_printf(b, "%s/%s",
                      json_is_object(src) ? qty(zk_json_path(src, "current", "averageValue", NULL),
                                                t1, 32)
                                          : "<unknown>",
                      qty(zk_json_path(spec, "pods", "target", "averageValue", NULL), t2, 32));
    } else if (str_eq(type, "Resource") || str_eq(type, "ContainerResource")) {
        const char *key = type[0] == 'R' ? "resource" : "containerResource";
        const json_t *m = json_object_get(spec, key);
        const json_t *target = json_object_get(m, "target");
        const json_t *src = json_object_get(status, key);
        const char *name = zk_json_str(m, "name");
        json_t *avg = json_object_get(target, "averageValue");
        if (avg) {
            zk_buf_printf(b, "%s: %s/%s", name ? name : "",
                          json_is_object(src) ? qty(zk_json_path(src, "current", "averageValue",
                                                                 NULL), t1, 32)
                                              : "<unknown>",
                          qty(avg, t2, 32));
        } else {
            json_t *cu = zk_json_path(src, "current", "averageUtilization", NULL);
            json_t *tu = json_object_get(target, "averageUtilization");
            if (json_is_integer(cu))
                snprintf(t1, sizeof(t1), "%" JSON_INTEGER_FORMAT "%%", json_integer_value(cu));
            else
                snprintf(t1, sizeof(t1), "<unknown>");
            if (json_is_integer(tu))
                snprintf(t3, sizeof(t3), "%" JSON_INTEGER_FORMAT "%%", json_integer_value(tu));
            else
                snprintf(t3, sizeof(t3), "<auto>");
            zk_buf_printf(b, "%s: %s/%s", name ? name : "", t1, t3);
        }
    } else {
        zk_buf_puts(b, "<unknown type>");
    }
}

static char *hpa_targets(const json_t *hpa)
{
    const json_t *metrics = zk_json_path(hpa, "spec", "metrics", NULL);
    const json_t *current = zk_json_path(hpa, "status", "currentMetrics", NULL);
    zk_autojson json_t *v1_metrics = NULL, *v1_current = NULL;
    /* autoscaling/v1 objects carry a single CPU utilization target */
    json_t *cpu = zk_json_path(hpa, "spec", "targetCPUUtilizationPercentage", NULL);
    if (!json_is_array(metrics) && json_is_integer(cpu)) {
        v1_metrics = json_pack("[{s:s,s:{s:s,s:{s:s,s:O}}}]", "type", "Resource", "resource",
                               "name", "cpu", "target", "type", "Utilization",
                               "averageUtilization", cpu);
        metrics = v1_metrics;
        json_t *cur = zk_json_path(hpa, "status", "currentCPUUtilizationPercentage", NULL);
        if (json_is_integer(cur))
            v1_current = json_pack("[{s:s,s:{s:s,s:{s:O}}}]", "type", "Resource", "resource",
                                   "name", "cpu", "current", "averageUtilization", cur);
        current = v1_current;
    }
    size_t n = json_array_size(metrics);
    if (n == 0)
        return zk_xstrdup("<none>");
    enum { MAX_SHOWN = 2 };
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_TABLE_CELL_MAX);
    for (size_t i = 0; i < n && i < MAX_SHOWN; i++) {
        if (i)
            zk_buf_puts(&b, ", ");
        /* statuses pair with specs by position, as Kubernetes prints them */
        hpa_metric(&b, json_array_get(metrics, i), json_array_get(current, i));
    }
    if (n > MAX_SHOWN)
        zk_buf_printf(&b, " + %zu more...", n - MAX_SHOWN);
    return zk_buf_steal(&b, NULL);
}

static void hpa_row(const json_t *hpa, json_t *cells, int64_t now)
{
    const json_t *spec = json_object_get(hpa, "spec");
    const json_t *ref = json_object_get(spec, "scaleTargetRef");
    const char *kind = zk_json_str(ref, "kind"), *name = zk_json_str(ref, "name");
    json_t *min = json_object_get(spec, "minReplicas");

    zk_kube_table__cell_name(cells, hpa);
    zk_kube_table__cell_printf(cells, "%s/%s", kind ? kind : "", name ? name : "");
    zk_kube_table__cell_own(cells, hpa_targets(hpa));
    if (json_is_integer(min))
        zk_kube_table__cell_printf(cells, "%" JSON_INTEGER_FORMAT, json_integer_value(min));
    else
        zk_kube_table__cell_str(cells, "<unset>");
    zk_kube_table__cell_int(cells, zk_kube_table__geti(spec, 0, "maxReplicas", NULL));
    zk_kube_table__cell_int(cells, zk_kube_table__geti(hpa, 0, "status", "currentReplicas", NULL));
    zk_kube_table__cell_age(cells, hpa, now);
}

PRINTER(horizontalpodautoscalers, hpa_columns, hpa_row);
