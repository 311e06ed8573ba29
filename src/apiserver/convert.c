/* Conversion between served versions that share one storage:
 * - autoscaling/v1 HorizontalPodAutoscaler <-> autoscaling/v2 (storage).
 *   Fields v1 cannot express ride in annotations, as kube-apiserver does, so
 *   a v1 read-modify-write keeps them.
 * - events.k8s.io/v1 Event <-> core v1 Event (storage): renamed fields. */
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/mem.h"

#define ANN_METRICS "autoscaling.alpha.kubernetes.io/metrics"
#define ANN_CURRENT "autoscaling.alpha.kubernetes.io/current-metrics"
#define ANN_CONDITIONS "autoscaling.alpha.kubernetes.io/conditions"
#define ANN_BEHAVIOR "autoscaling.alpha.kubernetes.io/behavior"

static bool zk__is_hpa_v1(const zk_kind *k)
{
    return !strcmp(k->group, "autoscaling") && !strcmp(k->version, "v1");
}

static bool zk__is_cpu_utilization(json_t *m, const char *which)
{
    const char *type = zk_json_str(m, "type");
    json_t *r = json_object_get(m, "resource");
    const char *name = zk_json_str(r, "name");
    json_t *t = json_object_get(r, which);
    return type && !strcmp(type, "Resource") && name && !strcmp(name, "cpu") &&
           json_is_integer(json_object_get(t, "averageUtilization")) &&
           (strcmp(which, "target") || (zk_json_str(t, "type") &&
                                        !strcmp(zk_json_str(t, "type"), "Utilization")));
}

static void zk__annotate(json_t *doc, const char *key, json_t *value /* stolen */)
{
    if (!value)
        return;
    if (json_array_size(value) == 0 && json_is_array(value)) {
        json_decref(value);
        return;
    }
    json_t *ann = zk_json_path_obj(doc, "metadata", "annotations", NULL);
    char *s = zk_json_dumps(value);
    zk_json_set_str(ann, key, s);
    free(s);
    json_decref(value);
}

/* v2 -> v1, in place */
static void zk__hpa_to_v1(json_t *doc)
{
    zk_json_set_str(doc, "apiVersion", "autoscaling/v1");
    json_t *spec = json_object_get(doc, "spec");
    if (json_is_object(spec)) {
        json_t *metrics = json_object_get(spec, "metrics");
        json_t *rest = json_array();
        size_t i;
        json_t *m;
        json_array_foreach(metrics, i, m) {
            if (zk__is_cpu_utilization(m, "target") &&
                !json_object_get(spec, "targetCPUUtilizationPercentage"))
                json_object_set(spec, "targetCPUUtilizationPercentage",
                                zk_json_path(m, "resource", "target", "averageUtilization", NULL));
            else
                json_array_append(rest, m);
        }
        json_object_del(spec, "metrics");
        zk__annotate(doc, ANN_METRICS, rest);
        json_t *behavior = json_object_get(spec, "behavior");
        if (behavior) {
            zk__annotate(doc, ANN_BEHAVIOR, json_incref(behavior));
            json_object_del(spec, "behavior");
        }
    }
    json_t *status = json_object_get(doc, "status");
    if (json_is_object(status)) {
        json_t *cur = json_object_get(status, "currentMetrics");
        json_t *rest = json_array();
        size_t i;
        json_t *m;
        json_array_foreach(cur, i, m) {
            if (zk__is_cpu_utilization(m, "current"))
                json_object_set(status, "currentCPUUtilizationPercentage",
                                zk_json_path(m, "resource", "current", "averageUtilization", NULL));
            else
                json_array_append(rest, m);
        }
        json_object_del(status, "currentMetrics");
        zk__annotate(doc, ANN_CURRENT, rest);
        json_t *conds = json_object_get(status, "conditions");
        if (conds) {
            zk__annotate(doc, ANN_CONDITIONS, json_incref(conds));
            json_object_del(status, "conditions");
        }
    }
}

static json_t *zk__take_annotation(json_t *doc, const char *key)
{
    json_t *ann = zk_json_path(doc, "metadata", "annotations", NULL);
    const char *s = zk_json_str(ann, key);
    if (!s)
        return NULL;
    json_error_t jerr;
    json_t *v = json_loads(s, 0, &jerr);
    json_object_del(ann, key);
    if (json_object_size(ann) == 0)
        json_object_del(json_object_get(doc, "metadata"), "annotations");
    return v;
}

/* v1 -> v2, in place */
static void zk__hpa_to_v2(json_t *doc)
{
    zk_json_set_str(doc, "apiVersion", "autoscaling/v2");
    json_t *spec = zk_json_path_obj(doc, "spec", NULL);
    json_t *metrics = json_array();
    json_t *cpu = json_object_get(spec, "targetCPUUtilizationPercentage");
    if (json_is_integer(cpu))
        json_array_append_new(
            metrics, json_pack("{s:s,s:{s:s,s:{s:s,s:O}}}", "type", "Resource", "resource", "name",
                               "cpu", "target", "type", "Utilization", "averageUtilization", cpu));
    json_object_del(spec, "targetCPUUtilizationPercentage");
    json_t *rest = zk__take_annotation(doc, ANN_METRICS);
    if (json_is_array(rest))
        json_array_extend(metrics, rest);
    if (rest)
        json_decref(rest);
    if (json_array_size(metrics))
        json_object_set_new(spec, "metrics", metrics);
    else
        json_decref(metrics);
    json_t *behavior = zk__take_annotation(doc, ANN_BEHAVIOR);
    if (behavior)
        json_object_set_new(spec, "behavior", behavior);
    json_t *status = json_object_get(doc, "status");
    json_t *cur_rest = zk__take_annotation(doc, ANN_CURRENT);
    json_t *conds = zk__take_annotation(doc, ANN_CONDITIONS);
    if (json_is_object(status)) {
        json_t *cur = json_array();
        json_t *ccpu = json_object_get(status, "currentCPUUtilizationPercentage");
        if (json_is_integer(ccpu))
            json_array_append_new(
                cur, json_pack("{s:s,s:{s:s,s:{s:O}}}", "type", "Resource", "resource", "name",
                               "cpu", "current", "averageUtilization", ccpu));
        json_object_del(status, "currentCPUUtilizationPercentage");
        if (json_is_array(cur_rest))
            json_array_extend(cur, cur_rest);
        if (json_array_size(cur))
            json_object_set_new(status, "currentMetrics", cur);
        else
            json_decref(cur);
        if (conds)
            json_object_set(status, "conditions", conds);
    }
    if (cur_rest)
        json_decref(cur_rest);
    if (conds)
        json_decref(conds);
}

/* ---- events: core v1 (storage) <-> events.k8s.io/v1 ---- */

static bool zk__is_events_v1(const zk_kind *k)
{
    return !strcmp(k->group, "events.k8s.io");
}

/* core name, events.k8s.io name */
static const char *const zk__event_renames[][2] = {
    {"involvedObject", "regarding"},
    {"message", "note"},
    {"reportingComponent", "reportingController"},
    {"source", "deprecatedSource"},
    {"firstTimestamp", "deprecatedFirstTimestamp"},
    {"lastTimestamp", "deprecatedLastTimestamp"},
    {"count", "deprecatedCount"},
};

static void zk__event_rename(json_t *doc, int from, int to)
{
    for (size_t i = 0; i < sizeof(zk__event_renames) / sizeof(zk__event_renames[0]); i++) {
        const char *a = zk__event_renames[i][from], *b = zk__event_renames[i][to];
        json_t *v = json_object_get(doc, a);
        if (!v)
            continue;
        json_object_set(doc, b, v);
        json_object_del(doc, a);
    }
}

/* ---- the two directions ---- */

bool zk_apis_kind_is_storage_version(const zk_kind *k)
{
    return !zk__is_hpa_v1(k) && !zk__is_events_v1(k);
}

const zk_kind *zk_apis_storage_kind(const zk_kind *k)
{
    if (zk__is_hpa_v1(k)) {
        const zk_kind *s = zk_kinds_find("autoscaling", "v2", k->resource);
        return s ? s : k;
    }
    if (zk__is_events_v1(k)) {
        const zk_kind *s = zk_kinds_find("", "v1", "events");
        return s ? s : k;
    }
    return k;
}

json_t *zk_apis_convert(const zk_kind *to, json_t *doc)
{
    if (zk__is_hpa_v1(to)) {
        zk__hpa_to_v1(doc);
    } else if (zk__is_events_v1(to)) {
        zk_json_set_str(doc, "apiVersion", "events.k8s.io/v1");
        zk__event_rename(doc, 0, 1);
    }
    return doc;
}

void zk_apis_convert_to_storage(const zk_kind *k, json_t *doc)
{
    if (zk__is_hpa_v1(k)) {
        zk__hpa_to_v2(doc);
    } else if (zk__is_events_v1(k)) {
        zk_json_set_str(doc, "apiVersion", "v1");
        zk__event_rename(doc, 1, 0);
    }
}
