/* zke apiserver: external.metrics.k8s.io/v1beta1 and custom.metrics.k8s.io
 * /v1beta2, served from BacklogScalers' readings — what an HPA reads for
 * its External and Object metrics.
 *
 * The BacklogScaler controller polls each trigger and writes the reading
 * into the scaler's status.triggers[] (metricName, metricValue, observedAt).
 * Here:
 *   GET /apis/external.metrics.k8s.io/v1beta1/namespaces/NS/METRIC
 *       ?labelSelector=zke.io/backlogscaler=NAME
 *     the readings named METRIC of the scalers in NS that the selector
 *     matches (a scaler carries its own labels and zke.io/backlogscaler);
 *   GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/NS/
 *       backlogscalers.zke.io/NAME/METRIC
 *     the same reading as an Object metric of the scaler.
 * A reading older than three polling intervals (at least 30 s) is left
 * out: the HPA then gets no value and does not act on a stale one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/selector.h"

#define EXT "external.metrics.k8s.io"
#define CUSTOM "custom.metrics.k8s.io"

static bool fresh(const json_t *scaler, const json_t *reading, int64_t now)
{
    int64_t at = zk_time_parse_rfc3339(zk_json_str(reading, "observedAt") ?: "");
    json_int_t every = zk_json_int(json_object_get(scaler, "spec"), "pollingInterval", 5);
    int64_t limit = every * 3 > 30 ? every * 3 : 30;
    return at > 0 && now - at <= limit && zk_json_str(reading, "metricValue");
}

static void not_found(zk_call *c)
{
    zk_apis_status(c->req, 404, "NotFound", "the server could not find the requested resource",
                   NULL);
}

static zk_storage *scalers(zk_call *c)
{
    const zk_kind *k = zk_kinds_find("zke.io", "v1alpha1", "backlogscalers");
    return k ? zk_apis_storage(c->srv, k) : NULL;
}

/* The fresh readings named by the request of the scaler o, if the
 * selector takes it (its labels, and zke.io/backlogscaler: its name). */
static void add_readings(zk_call *c, const zk_kube_selector *selector, zk_obj *o, int64_t now,
                         json_t *items)
{
    json_t *obj = zk_obj_tree(o);
    const char *name = zk_json_path_str(obj, "metadata", "name", NULL) ?: "";
    json_t *labels = json_deep_copy(zk_json_path(obj, "metadata", "labels", NULL));
    if (!json_is_object(labels)) {
        json_decref(labels);
        labels = json_object();
    }
    json_object_set_new(labels, "zke.io/backlogscaler", json_string(name));
    if (zk_kube_selector_matches(selector, labels)) {
        size_t i;
        json_t *r;
        json_array_foreach(zk_json_path(obj, "status", "triggers", NULL), i, r) {
            if (strcmp(zk_json_str(r, "metricName") ?: "", c->ri.resource) || !fresh(obj, r, now))
                continue;
            json_array_append_new(items, json_pack("{s:s,s:{s:s},s:s,s:s}", "metricName",
                                                   c->ri.resource, "metricLabels",
                                                   "zke.io/backlogscaler", name, "timestamp",
                                                   zk_json_str(r, "observedAt"), "value",
                                                   zk_json_str(r, "metricValue")));
        }
    }
    json_decref(labels);
    json_decref(obj);
}

static void serve_external(zk_call *c)
{
    char sel[4096];
    const char *s = zk_query_get(c->ri.query, "labelSelector", sel, sizeof(sel));
    zk_autoselector zk_kube_selector *selector = NULL;
    zk_err err = {0};
    if (zk_kube_selector_parse(s ? s : "", &selector, &err) < 0) {
        zk_apis_status(c->req, 400, "BadRequest", err.msg, NULL);
        return;
    }
    json_t *items = json_array();
    zk_storage *st = scalers(c);
    int64_t now = zk_wall_s();
    /* an HPA asks for one scaler by name: look it up, do not scan */
    const char *one = zk_kube_selector_exact_match(selector, "zke.io/backlogscaler");
    if (one) {
        zk_obj *o = st ? zk_storage_get_obj(st, c->ri.ns, one) : NULL;
        if (o)
            add_readings(c, selector, o, now, items);
    } else {
        size_t pos = 0;
        void *v;
        while (st && zk_map_next(st->entries, &pos, NULL, &v)) {
            zk_entry *e = v;
            if (e->latest && !strcmp(e->latest->ns, c->ri.ns))
                add_readings(c, selector, e->latest, now, items);
        }
    }
    json_t *list = json_pack("{s:s,s:s,s:{},s:o}", "kind", "ExternalMetricValueList", "apiVersion",
                             EXT "/v1beta1", "metadata", "items", items);
    zk_apis_respond_json(c->req, 200, list);
    json_decref(list);
}

static void serve_custom_object(zk_call *c)
{
    zk_storage *st = scalers(c);
    zk_obj *o = st ? zk_storage_get_obj(st, c->ri.ns, c->ri.name) : NULL;
    if (!o) {
        zk_autofree char *msg = zk_xasprintf("backlogscalers.zke.io \"%s\" not found", c->ri.name);
        zk_apis_status(c->req, 404, "NotFound", msg, NULL);
        return;
    }
    json_t *obj = zk_obj_tree(o);
    json_t *items = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(zk_json_path(obj, "status", "triggers", NULL), i, r) {
        if (strcmp(zk_json_str(r, "metricName") ?: "", c->ri.subresource) ||
            !fresh(obj, r, zk_wall_s()))
            continue;
        json_array_append_new(items, json_pack(
            "{s:{s:s,s:s,s:s,s:s},s:{s:s},s:s,s:s,s:s}", "describedObject", "kind", "BacklogScaler",
            "namespace", c->ri.ns, "name", c->ri.name, "apiVersion", "zke.io/v1alpha1", "metric",
            "name", c->ri.subresource, "timestamp", zk_json_str(r, "observedAt"), "windowSeconds",
            "0", "value", zk_json_str(r, "metricValue")));
    }
    json_decref(obj);
    if (!json_array_size(items)) {
        json_decref(items);
        zk_autofree char *msg = zk_xasprintf("no fresh reading of metric %s for backlogscalers.zke.io"
                                             " \"%s\"", c->ri.subresource, c->ri.name);
        zk_apis_status(c->req, 404, "NotFound", msg, NULL);
        return;
    }
    json_t *list = json_pack("{s:s,s:s,s:{},s:o}", "kind", "MetricValueList", "apiVersion",
                             CUSTOM "/v1beta2", "metadata", "items", items);
    zk_apis_respond_json(c->req, 200, list);
    json_decref(list);
}

bool zk_apis_serve_ext_metrics(zk_call *c)
{
    bool ext = !strcmp(c->ri.group, EXT), custom = !strcmp(c->ri.group, CUSTOM);
    if (!ext && !custom)
        return false;
    if (strcmp(c->ri.version, ext ? "v1beta1" : "v1beta2") || !c->ri.ns[0]) {
        not_found(c);
        return true;
    }
    if (strcmp(c->ri.verb, "get") && strcmp(c->ri.verb, "list")) {
        zk_apis_status(c->req, 405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource", NULL);
        return true;
    }
    if (ext) {
        if (c->ri.name[0])
            not_found(c);
        else
            serve_external(c);
        return true;
    }
    if (strcmp(c->ri.resource, "backlogscalers.zke.io") || !c->ri.name[0] ||
        !c->ri.subresource[0] || !strcmp(c->ri.name, "*")) {
        /* zke's custom metrics are its BacklogScalers' readings */
        zk_autofree char *msg = zk_xasprintf("no custom metrics for %s: zke serves the "
                                             "readings of backlogscalers.zke.io objects",
                                             c->ri.resource);
        zk_apis_status(c->req, 404, "NotFound", msg, NULL);
        return true;
    }
    serve_custom_object(c);
    return true;
}

json_t *zk_apis_ext_metrics_resources(const char *group)
{
    if (!strcmp(group, EXT))
        return json_pack("[{s:s,s:s,s:b,s:s,s:[s]}]", "name", "externalmetrics", "singularName",
                         "", "namespaced", 1, "kind", "ExternalMetricValueList", "verbs", "get");
    return json_pack("[{s:s,s:s,s:b,s:s,s:[s]}]", "name", "backlogscalers.zke.io/metrics",
                     "singularName", "", "namespaced", 1, "kind", "MetricValueList", "verbs",
                     "get");
}
