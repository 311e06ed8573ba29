/* zke controllers: HorizontalPodAutoscaler (autoscaling/v2; v1 is the same
 * object converted by the API server).
 *
 * Every sync period (15 s) each HPA is reconciled as kube-controller-
 * manager does it:
 *   1. find the target's resource (built-in kinds, else API discovery of
 *      its group/version, cached) and GET its scale subresource;
 *   2. outside [minReplicas, maxReplicas], move inside; a target at zero
 *      replicas is left alone (ScalingDisabled);
 *   3. otherwise read the metrics: Resource and ContainerResource from
 *      metrics.k8s.io (pod usage against the pods' requests), Pods and
 *      Object from custom.metrics.k8s.io, External from
 *      external.metrics.k8s.io; each gives a proposal (hpa_calc.c), the
 *      highest wins;
 *   4. normalise (stabilisation, behavior) and, when it differs, PUT the
 *      scale, with a SuccessfulRescale event;
 *   5. write status: replicas, currentMetrics, the conditions AbleToScale,
 *      ScalingActive, ScalingLimited, and zke's LimitUtilization.
 *
 * LimitUtilization: under overcommit a pod's requests are its limits
 * divided by a ratio, so "80 % of requests" is a small share of what the
 * pod may use. The condition's message gives usage against limits too
 * (kubectl describe hpa shows it), the figure that tunes the ratio.
 *
 * Settings (environment): ZKE_HPA_SYNC_PERIOD (15s),
 * ZKE_HPA_DOWNSCALE_STABILIZATION (5m), ZKE_HPA_TOLERANCE (0.1),
 * ZKE_HPA_CPU_INITIALIZATION_PERIOD (5m),
 * ZKE_HPA_INITIAL_READINESS_DELAY (30s). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/hpa.h"
#include "controllers/internal.h"
#include "kube/quantity.h"
#include "kube/selector.h"

typedef struct hpa_st {
    zk_ctl *c;
    zk_kube_informer *hpas, *pods;
    zk_map *hist;          /* key -> zk_hpa_hist* */
    zk_ctl_kinds *kinds;
    uint64_t sync_ms;
    int64_t down_window_s, cpu_init_s, ready_delay_s;
    double tolerance;
} hpa_st;

enum { M_RESOURCE, M_CONTAINER, M_PODS, M_OBJECT, M_EXTERNAL, M_UNKNOWN };

typedef struct run {
    hpa_st *st;
    zk_ctl *c;
    zk_ctl_batch *b;
    char *key;
    json_t *hpa;            /* our copy: status is rewritten here */
    json_t *orig_status;
    json_t *scale;
    char *scale_path;
    int32_t current, min, max;
    int pending;            /* metric reads in flight */
    json_t *pod_metrics;    /* PodMetricsList, or NULL */
    char *pod_metrics_err;
    json_t **answers;       /* per metric: the custom/external answer */
    char **errors;          /* per metric: why it could not be read */
    size_t nmetrics;
    bool need_discovery;
} run;

/* ---- small helpers ---- */

static const char *metric_type_name(int t)
{
    static const char *const n[] = {"Resource", "ContainerResource", "Pods", "Object", "External",
                                    "Unknown"};
    return n[t];
}

static int metric_type(const json_t *m)
{
    const char *t = zk_json_str(m, "type");
    if (!t)
        return M_UNKNOWN;
    for (int i = 0; i < M_UNKNOWN; i++)
        if (!strcmp(t, metric_type_name(i)))
            return i;
    return M_UNKNOWN;
}

static int64_t milli_of(const json_t *q)
{
    zk_kube_quantity v;
    int64_t m = 0;
    if (!q || zk_kube_quantity_parse_json(q, &v, NULL) < 0)
        return -1;
    zk_kube_quantity_milli(&v, &m, NULL);
    return m;
}

static json_t *milli_quantity(double milli)
{
    zk_kube_quantity q;
    char s[ZK_KUBE_QUANTITY_STR_MAX];
    int64_t m = (int64_t)ceil(milli);
    zk_kube_quantity_from_milli(m, ZK_KUBE_QUANTITY_DECIMAL_SI, &q);
    zk_kube_quantity_canonical(&q, s, sizeof(s));
    return json_string(s);
}

static const char *group_of(const char *api_version, char *g, size_t n)
{
    const char *slash = strchr(api_version, '/');
    snprintf(g, n, "%.*s", slash ? (int)(slash - api_version) : 0, api_version);
    return g;
}

/* ---- status ---- */

static void set_cond(run *r, const char *type, bool status, const char *reason, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

static void set_cond(run *r, const char *type, bool status, const char *reason, const char *fmt,
                     ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *st = zk_json_child_obj(r->hpa, "status");
    zk_ctl_set_condition(st, type, status ? "True" : "False", reason, msg, false);
}

static void write_status(run *r, int32_t desired, bool rescaled)
{
    json_t *st = zk_json_child_obj(r->hpa, "status");
    json_object_set_new(st, "currentReplicas", json_integer(r->current));
    json_object_set_new(st, "desiredReplicas", json_integer(desired));
    json_t *gen = zk_json_path(r->hpa, "metadata", "generation", NULL);
    if (gen)
        json_object_set(st, "observedGeneration", gen);
    if (rescaled) {
        char now[40];
        zk_ctl_now(now, sizeof(now));
        json_object_set_new(st, "lastScaleTime", json_string(now));
    }
    if (json_equal(st, r->orig_status))
        return;
    zk_ctl_batch_update(r->b, &zk_kube_hpas, r->hpa, "status");
}

static void run_free(run *r)
{
    for (size_t i = 0; i < r->nmetrics; i++) {
        json_decref(r->answers[i]);
        free(r->errors[i]);
    }
    free(r->answers);
    free(r->errors);
    json_decref(r->pod_metrics);
    free(r->pod_metrics_err);
    json_decref(r->hpa);
    json_decref(r->orig_status);
    json_decref(r->scale);
    free(r->scale_path);
    free(r->key);
    free(r);
}

static void run_end(run *r)
{
    zk_ctl_batch_requeue_after(r->b, r->st->sync_ms);
    zk_ctl_batch_end(r->b);
    run_free(r);
}

/* The target could not be read: AbleToScale False, an event, status. */
static void fail_get_scale(run *r, const char *why)
{
    set_cond(r, "AbleToScale", false, "FailedGetScale",
             "the HPA controller was unable to get the target's current scale: %s", why);
    zk_ctl_event(r->c, r->hpa, "Warning", "FailedGetScale", "%s", why);
    json_t *st = zk_json_child_obj(r->hpa, "status");
    if (!json_object_get(st, "desiredReplicas"))
        json_object_set_new(st, "desiredReplicas", json_integer(0));
    if (!json_object_get(st, "currentReplicas"))
        json_object_set_new(st, "currentReplicas", json_integer(0));
    if (!json_equal(st, r->orig_status))
        zk_ctl_batch_update(r->b, &zk_kube_hpas, r->hpa, "status");
    run_end(r);
}

/* ---- pods of the target ---- */

typedef struct podset {
    json_t **pods;
    size_t n;
} podset;

static void pods_of(run *r, podset *ps)
{
    memset(ps, 0, sizeof(*ps));
    const char *sel = zk_json_path_str(r->scale, "status", "selector", NULL);
    zk_autoselector zk_kube_selector *s = NULL;
    if (!sel || zk_kube_selector_parse(sel, &s, NULL) < 0)
        return;
    json_t **all;
    size_t n = zk_kube_informer_by_index(r->st->pods, "namespace", zk_kube_namespace(r->hpa), &all);
    ps->pods = zk_xcalloc(n ? n : 1, sizeof(*ps->pods));
    for (size_t i = 0; i < n; i++)
        if (zk_kube_selector_matches(s, zk_json_path(all[i], "metadata", "labels", NULL)))
            ps->pods[ps->n++] = all[i];
    free(all);
}

/* The usage of pod name in the PodMetricsList (one container, or all) */
static bool usage_of(const json_t *list, const char *name, const char *container,
                     const char *resource, int64_t *milli, int64_t *ts, int64_t *window)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it) {
        if (strcmp(zk_json_path_str(it, "metadata", "name", NULL) ?: "", name))
            continue;
        int64_t sum = 0;
        bool any = false;
        size_t j;
        json_t *ctr;
        json_array_foreach(json_object_get(it, "containers"), j, ctr) {
            if (container && strcmp(zk_json_str(ctr, "name") ?: "", container))
                continue;
            int64_t m = milli_of(zk_json_path(ctr, "usage", resource, NULL));
            if (m < 0)
                continue;
            sum += m;
            any = true;
        }
        if (!any)
            return false;
        *milli = sum;
        *ts = zk_time_parse_rfc3339(zk_json_str(it, "timestamp") ?: "");
        const char *w = zk_json_str(it, "window");
        int64_t wms = w ? zk_ctl_parse_duration_ms(w) : -1;
        *window = wms > 0 ? wms / 1000 : 30;
        return true;
    }
    return false;
}

/* Summed requests (or limits) of resource over the pod's containers (or
 * one); -1 when a container has none. */
static int64_t pod_amount(const json_t *pod, const char *container, const char *resource,
                          const char *which, char *missing, size_t mlen)
{
    int64_t sum = 0;
    bool any = false;
    size_t i;
    json_t *ctr;
    json_array_foreach(zk_json_path(pod, "spec", "containers", NULL), i, ctr) {
        const char *cn = zk_json_str(ctr, "name") ?: "";
        if (container && strcmp(cn, container))
            continue;
        any = true;
        int64_t m = milli_of(zk_json_path(ctr, "resources", which, resource, NULL));
        if (m < 0) {
            if (missing)
                snprintf(missing, mlen, "%s", cn);
            return -1;
        }
        sum += m;
    }
    return any ? sum : -1;
}

/* ---- one metric ---- */

typedef struct usage_sum {
    int64_t usage, limits;     /* over pods that have limits */
    bool all_limited;
} usage_sum;

/* A Resource or ContainerResource metric. Fills the status entry. */
static int32_t resource_metric(run *r, const json_t *src, bool per_container, const podset *ps,
                               json_t *status, char *err, size_t errlen, usage_sum *lim)
{
    const char *res = zk_json_str(src, "name") ?: "";
    const char *container = per_container ? zk_json_str(src, "container") : NULL;
    const json_t *target = json_object_get(src, "target");
    const char *ttype = zk_json_str(target, "type") ?: "";
    if (!r->pod_metrics) {
        snprintf(err, errlen, "unable to get metrics for resource %s: %s", res,
                 r->pod_metrics_err ? r->pod_metrics_err : "no metrics returned from resource "
                                                           "metrics API");
        return -1;
    }
    bool cpu = !strcmp(res, "cpu");
    int64_t now = zk_wall_s();
    zk_hpa_pod *pods = zk_xcalloc(ps->n ? ps->n : 1, sizeof(*pods));
    char missing[256] = "";
    const char *missing_pod = NULL;
    for (size_t i = 0; i < ps->n; i++) {
        const char *name = zk_kube_name(ps->pods[i]);
        int64_t m = 0, ts = now, window = 30;
        pods[i].has_metric = usage_of(r->pod_metrics, name, container, res, &m, &ts, &window);
        pods[i].metric = (double)m;
        pods[i].state = zk_hpa_pod_state(ps->pods[i], cpu, now, ts, window, r->st->cpu_init_s,
                                         r->st->ready_delay_s);
        char miss[256] = "";
        pods[i].request = (double)pod_amount(ps->pods[i], container, res, "requests", miss,
                                             sizeof(miss));
        if (pods[i].request < 0 && !missing_pod) {
            missing_pod = name;
            snprintf(missing, sizeof(missing), "%s", miss);
        }
        /* usage against limits, for LimitUtilization */
        if (pods[i].state == ZK_HPA_POD_READY && pods[i].has_metric) {
            int64_t l = pod_amount(ps->pods[i], container, res, "limits", NULL, 0);
            if (l > 0) {
                lim->usage += m;
                lim->limits += l;
            } else {
                lim->all_limited = false;
            }
        }
    }
    zk_hpa_proposal p;
    int rc;
    json_t *cur = json_object();
    if (!strcmp(ttype, "Utilization")) {
        rc = zk_hpa_utilization_replicas(r->current, pods, ps->n,
                                         (int32_t)zk_json_int(target, "averageUtilization", 0),
                                         r->st->tolerance, &p);
        if (rc == 0) {
            json_object_set_new(cur, "averageUtilization", json_integer(p.utilization));
            json_object_set_new(cur, "averageValue", milli_quantity(p.average));
        }
    } else {
        int64_t t = milli_of(json_object_get(target, "averageValue"));
        rc = zk_hpa_average_replicas(r->current, pods, ps->n, (double)t, r->st->tolerance, &p);
        if (rc == 0)
            json_object_set_new(cur, "averageValue", milli_quantity(p.average));
    }
    free(pods);
    if (rc < 0) {
        json_decref(cur);
        if (missing_pod && strstr(p.error, "missing request"))
            snprintf(err, errlen, "failed to get %s utilization: missing request for %s in "
                     "container %s of Pod %s", res, res, missing, missing_pod);
        else
            snprintf(err, errlen, "failed to get %s utilization: %s", res, p.error);
        return -1;
    }
    json_t *body = json_pack("{s:s,s:o}", "name", res, "current", cur);
    if (container)
        json_object_set_new(body, "container", json_string(container));
    json_object_set_new(status, per_container ? "containerResource" : "resource", body);
    return p.replicas;
}

/* Sum of a custom/external MetricValueList's values (milli). */
static int64_t sum_values(const json_t *list, size_t *count)
{
    int64_t sum = 0;
    size_t i;
    json_t *it;
    *count = 0;
    json_array_foreach(json_object_get(list, "items"), i, it) {
        int64_t m = milli_of(json_object_get(it, "value"));
        if (m < 0)
            continue;
        sum += m;
        (*count)++;
    }
    return sum;
}

static int32_t ready_pods(const podset *ps)
{
    int32_t n = 0;
    for (size_t i = 0; i < ps->n; i++) {
        const char *phase = zk_json_path_str(ps->pods[i], "status", "phase", NULL);
        if (phase && !strcmp(phase, "Running") && zk_ctl_pod_ready(ps->pods[i]) &&
            !zk_json_path(ps->pods[i], "metadata", "deletionTimestamp", NULL))
            n++;
    }
    return n;
}

/* A Pods, Object or External metric from its answer. */
static int32_t custom_metric(run *r, size_t i, int type, const json_t *src, const podset *ps,
                             json_t *status, char *err, size_t errlen)
{
    const json_t *target = json_object_get(src, "target");
    const char *ttype = zk_json_str(target, "type") ?: "";
    const char *mname = zk_json_path_str(src, "metric", "name", NULL) ?: "";
    if (r->errors[i]) {
        snprintf(err, errlen, "unable to get %s metric %s: %s",
                 type == M_EXTERNAL ? "external" : type == M_PODS ? "pods" : "object", mname,
                 r->errors[i]);
        return -1;
    }
    json_t *ans = r->answers[i];
    json_t *cur = json_object();
    json_t *body = json_pack("{s:O}", "metric", json_object_get(src, "metric"));
    if (type == M_OBJECT)
        json_object_set(body, "describedObject", json_object_get(src, "describedObject"));
    json_object_set_new(body, "current", cur);
    json_object_set_new(status, type == M_PODS ? "pods" : type == M_OBJECT ? "object" : "external",
                        body);
    int32_t out;
    if (type == M_PODS) {
        /* per-pod values, against the pods as the resource metrics are */
        zk_hpa_pod *pods = zk_xcalloc(ps->n ? ps->n : 1, sizeof(*pods));
        for (size_t k = 0; k < ps->n; k++) {
            pods[k].state = zk_hpa_pod_state(ps->pods[k], false, 0, 0, 0, 0, 0);
            size_t j;
            json_t *it;
            json_array_foreach(json_object_get(ans, "items"), j, it) {
                if (strcmp(zk_json_path_str(it, "describedObject", "name", NULL) ?: "",
                           zk_kube_name(ps->pods[k])))
                    continue;
                int64_t m = milli_of(json_object_get(it, "value"));
                if (m >= 0) {
                    pods[k].has_metric = true;
                    pods[k].metric = (double)m;
                }
            }
        }
        zk_hpa_proposal p;
        int rc = zk_hpa_average_replicas(r->current, pods, ps->n,
                                         (double)milli_of(json_object_get(target, "averageValue")),
                                         r->st->tolerance, &p);
        free(pods);
        if (rc < 0) {
            snprintf(err, errlen, "failed to get pods metric value: %s", p.error);
            return -1;
        }
        json_object_set_new(cur, "averageValue", milli_quantity(p.average));
        return p.replicas;
    }
    size_t count;
    int64_t usage = sum_values(ans, &count);
    if (!count) {
        snprintf(err, errlen, "unable to get %s metric %s: no metrics returned",
                 type == M_EXTERNAL ? "external" : "object", mname);
        return -1;
    }
    if (!strcmp(ttype, "AverageValue")) {
        double t = (double)milli_of(json_object_get(target, "averageValue"));
        out = zk_hpa_per_pod_replicas(r->current, (double)usage, t, r->st->tolerance);
        json_object_set_new(cur, "averageValue",
                            milli_quantity(r->current ? (double)usage / r->current : usage));
    } else {
        double t = (double)milli_of(json_object_get(target, "value"));
        out = zk_hpa_value_replicas(r->current, ready_pods(ps), (double)usage, t,
                                    r->st->tolerance);
        json_object_set_new(cur, "value", milli_quantity((double)usage));
    }
    return out;
}

static void metric_label(const json_t *m, int type, char *out, size_t n)
{
    switch (type) {
    case M_RESOURCE:
    case M_CONTAINER: {
        const json_t *src = json_object_get(m, type == M_RESOURCE ? "resource" : "containerResource");
        bool util = !strcmp(zk_json_path_str(src, "target", "type", NULL) ?: "", "Utilization");
        snprintf(out, n, "%s %sresource%s", zk_json_str(src, "name") ?: "",
                 type == M_CONTAINER ? "container " : "",
                 util ? " utilization (percentage of request)" : "");
        break;
    }
    case M_PODS:
        snprintf(out, n, "pods metric %s",
                 zk_json_path_str(m, "pods", "metric", "name", NULL) ?: "");
        break;
    case M_OBJECT:
        snprintf(out, n, "%s metric %s",
                 zk_json_path_str(m, "object", "describedObject", "kind", NULL) ?: "",
                 zk_json_path_str(m, "object", "metric", "name", NULL) ?: "");
        break;
    default:
        snprintf(out, n, "external metric %s",
                 zk_json_path_str(m, "external", "metric", "name", NULL) ?: "");
    }
}

/* ---- the decision ---- */

static zk_hpa_hist *hist_of(hpa_st *st, const char *key)
{
    zk_hpa_hist *h = zk_map_get(st->hist, key);
    if (!h) {
        h = zk_xcalloc(1, sizeof(*h));
        zk_map_put(st->hist, key, h);
    }
    return h;
}

typedef struct rescale_ctx {
    run *r;
    int32_t desired;
    char reason[300];
    zk_hpa_rules up, down;
    bool behavior;
} rescale_ctx;

static void on_rescaled(void *ctx, const zk_kube_result *res)
{
    rescale_ctx *x = ctx;
    run *r = x->r;
    if (res->status >= 200 && res->status < 300) {
        set_cond(r, "AbleToScale", true, "SucceededRescale",
                 "the HPA controller was able to update the target scale to %d", x->desired);
        zk_ctl_event(r->c, r->hpa, "Normal", "SuccessfulRescale", "New size: %d; reason: %s",
                     x->desired, x->reason);
        zk_hpa_record_scale(hist_of(r->st, r->key), x->behavior ? &x->up : NULL,
                            x->behavior ? &x->down : NULL, r->current, x->desired,
                            (int64_t)zk_mono_ms());
        write_status(r, x->desired, true);
    } else {
        set_cond(r, "AbleToScale", false, "FailedUpdateScale",
                 "the HPA controller was unable to update the target scale: %s",
                 res->error ? res->error : "error");
        zk_ctl_event(r->c, r->hpa, "Warning", "FailedRescale",
                     "New size: %d; reason: %s; error: %s", x->desired, x->reason,
                     res->error ? res->error : "error");
        write_status(r, x->desired, false);
        zk_ctl_batch_fail(r->b);
    }
    free(x);
    run_end(r);
}

static void rescale(run *r, int32_t desired, const char *reason, const zk_hpa_rules *up,
                    const zk_hpa_rules *down)
{
    if (desired == r->current) {
        write_status(r, desired, false);
        run_end(r);
        return;
    }
    rescale_ctx *x = zk_xcalloc(1, sizeof(*x));
    x->r = r;
    x->desired = desired;
    snprintf(x->reason, sizeof(x->reason), "%s", reason);
    if (up && down) {
        x->behavior = true;
        x->up = *up;
        x->down = *down;
    }
    json_t *scale = json_deep_copy(r->scale);
    json_object_set_new(zk_json_child_obj(scale, "spec"), "replicas", json_integer(desired));
    zk_ctl_batch_request(r->b, "PUT", r->scale_path, scale, on_rescaled, x);
    json_decref(scale);
}

static void limit_condition(run *r, const usage_sum *cpu, const usage_sum *mem)
{
    char msg[400] = "";
    size_t off = 0;
    const usage_sum *u[2] = {cpu, mem};
    const char *names[2] = {"cpu", "memory"};
    for (int i = 0; i < 2; i++)
        if (u[i]->limits > 0 && off < sizeof(msg))
            off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s%s at %lld%% of limits%s",
                                    off ? "; " : "", names[i],
                                    (long long)(u[i]->usage * 100 / u[i]->limits),
                                    u[i]->all_limited ? "" : " (pods without limits left out)");
    json_t *st = zk_json_child_obj(r->hpa, "status");
    if (!off) {
        /* no limits to compare with: no condition */
        json_t *conds = json_object_get(st, "conditions");
        size_t i;
        json_t *c;
        json_array_foreach(conds, i, c) if (!strcmp(zk_json_str(c, "type") ?: "",
                                                    "LimitUtilization")) {
            json_array_remove(conds, i);
            break;
        }
        return;
    }
    set_cond(r, "LimitUtilization", true, "UsageAgainstLimits",
             "%s (utilization above is of requests; under overcommit requests are limits / "
             "ratio)", msg);
}

static void decide(run *r)
{
    hpa_st *st = r->st;
    const json_t *spec = json_object_get(r->hpa, "spec");
    const json_t *behavior = json_object_get(spec, "behavior");
    zk_hpa_rules up, down;
    bool has_behavior = json_is_object(behavior);
    if (has_behavior) {
        zk_hpa_rules_parse(json_object_get(behavior, "scaleUp"), true, &up);
        zk_hpa_rules_parse(json_object_get(behavior, "scaleDown"), false, &down);
    }
    podset ps;
    pods_of(r, &ps);
    const json_t *metrics = json_object_get(spec, "metrics");
    json_t *statuses = json_array();
    int32_t best = -1;
    char best_name[300] = "", first_err[600] = "", first_reason[64] = "";
    size_t invalid = 0;
    usage_sum lim[2] = {{0, 0, true}, {0, 0, true}};
    for (size_t i = 0; i < json_array_size(metrics); i++) {
        const json_t *m = json_array_get(metrics, i);
        int type = metric_type(m);
        json_t *status = json_pack("{s:s}", "type", metric_type_name(type));
        char err[600] = "";
        int32_t p = -1;
        if (type == M_RESOURCE || type == M_CONTAINER) {
            const json_t *src = json_object_get(m, type == M_RESOURCE ? "resource"
                                                                      : "containerResource");
            const char *res = zk_json_str(src, "name") ?: "";
            usage_sum *u = !strcmp(res, "cpu") ? &lim[0] : !strcmp(res, "memory") ? &lim[1] : NULL;
            usage_sum scratch = {0, 0, true};
            p = resource_metric(r, src, type == M_CONTAINER, &ps, status, err, sizeof(err),
                                u ? u : &scratch);
        } else if (type != M_UNKNOWN) {
            const json_t *src = json_object_get(m, type == M_PODS     ? "pods"
                                                   : type == M_OBJECT ? "object"
                                                                      : "external");
            p = custom_metric(r, i, type, src, &ps, status, err, sizeof(err));
        } else {
            snprintf(err, sizeof(err), "unknown metric source type \"%s\"",
                     zk_json_str(m, "type") ?: "");
        }
        if (p < 0) {
            char reason[64];
            snprintf(reason, sizeof(reason), "FailedGet%sMetric", metric_type_name(type));
            zk_ctl_event(r->c, r->hpa, "Warning", reason, "%s", err);
            if (!invalid++) {
                snprintf(first_err, sizeof(first_err), "%s", err);
                snprintf(first_reason, sizeof(first_reason), "%s", reason);
            }
            json_decref(status);   /* a metric that failed has no current value */
            continue;
        }
        json_array_append_new(statuses, status);
        if (best < 0 || p > best) {
            best = p;
            metric_label(m, type, best_name, sizeof(best_name));
        }
    }
    free(ps.pods);
    json_t *hst = zk_json_child_obj(r->hpa, "status");
    json_object_set_new(hst, "currentMetrics", statuses);
    limit_condition(r, &lim[0], &lim[1]);
    size_t nm = json_array_size(metrics);
    if (invalid >= nm || (invalid > 0 && best < r->current)) {
        set_cond(r, "ScalingActive", false, first_reason,
                 "the HPA was unable to compute the replica count: %s", first_err);
        zk_ctl_event(r->c, r->hpa, "Warning", "FailedComputeMetricsReplicas",
                     "invalid metrics (%zu invalid out of %zu), first error is: %s", invalid, nm,
                     first_err);
        write_status(r, r->current, false);
        zk_ctl_batch_fail(r->b);
        run_end(r);
        return;
    }
    set_cond(r, "ScalingActive", true, "ValidMetricFound",
             "the HPA was able to successfully calculate a replica count from %s", best_name);
    zk_hpa_norm n;
    zk_hpa_normalize(hist_of(st, r->key), has_behavior ? &up : NULL, has_behavior ? &down : NULL,
                     r->min, r->max, r->current, best, st->down_window_s, (int64_t)zk_mono_ms(),
                     &n);
    set_cond(r, "AbleToScale", true, n.able_reason, "%s", n.able_message);
    set_cond(r, "ScalingLimited", n.limited, n.limited_reason, "%s", n.limited_message);
    char reason[400];
    if (n.desired > r->current)
        snprintf(reason, sizeof(reason), "%s above target", best_name);
    else
        snprintf(reason, sizeof(reason), "All metrics below target");
    rescale(r, n.desired, reason, has_behavior ? &up : NULL, has_behavior ? &down : NULL);
}

/* ---- reading the metrics ---- */

typedef struct read_ctx {
    run *r;
    ssize_t index;    /* -1: the pod metrics */
} read_ctx;

static void metrics_read(run *r)
{
    if (--r->pending == 0)
        decide(r);
}

static void on_metric(void *ctx, const zk_kube_result *res)
{
    read_ctx *x = ctx;
    run *r = x->r;
    bool ok = res->status == 200 && json_is_object(res->body);
    const char *why = res->error ? res->error : "no answer";
    if (x->index < 0) {
        if (ok)
            r->pod_metrics = json_incref(res->body);
        else
            r->pod_metrics_err = zk_xstrdup(why);
    } else if (ok) {
        r->answers[x->index] = json_incref(res->body);
    } else {
        r->errors[x->index] = zk_xstrdup(why);
    }
    free(x);
    metrics_read(r);
}

static void read_metric(run *r, ssize_t index, const char *path)
{
    read_ctx *x = zk_xcalloc(1, sizeof(*x));
    x->r = r;
    x->index = index;
    r->pending++;
    zk_ctl_batch_request(r->b, "GET", path, NULL, on_metric, x);
}

static void selector_query(const json_t *label_selector, char *out, size_t n)
{
    out[0] = 0;
    if (!json_is_object(label_selector))
        return;
    zk_autoselector zk_kube_selector *s = NULL;
    if (zk_kube_selector_from_json(label_selector, &s, NULL) < 0)
        return;
    zk_autofree char *str = zk_kube_selector_string(s);
    char esc[2048];
    zk_str_query_escape(esc, sizeof(esc), str ? str : "");
    snprintf(out, n, "%s", esc);
}

static void read_metrics(run *r)
{
    const char *ns = zk_kube_namespace(r->hpa);
    const json_t *metrics = json_object_get(zk_json_path(r->hpa, "spec", NULL), "metrics");
    r->nmetrics = json_array_size(metrics);
    r->answers = zk_xcalloc(r->nmetrics ? r->nmetrics : 1, sizeof(*r->answers));
    r->errors = zk_xcalloc(r->nmetrics ? r->nmetrics : 1, sizeof(*r->errors));
    r->pending = 1;   /* held until every read is sent */
    bool pod_metrics = false;
    char sel[2048];
    zk_str_query_escape(sel, sizeof(sel),
                        zk_json_path_str(r->scale, "status", "selector", NULL) ?: "");
    for (size_t i = 0; i < r->nmetrics; i++) {
        const json_t *m = json_array_get(metrics, i);
        int type = metric_type(m);
        if ((type == M_RESOURCE || type == M_CONTAINER) && !pod_metrics) {
            pod_metrics = true;
            zk_autofree char *path = zk_xasprintf(
                     "/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods?labelSelector=%s", ns, sel);
            read_metric(r, -1, path);
        } else if (type == M_PODS) {
            const json_t *src = json_object_get(m, "pods");
            char msel[2048];
            selector_query(zk_json_path(src, "metric", "selector", NULL), msel, sizeof(msel));
            zk_autofree char *path = zk_xasprintf(
                     "/apis/custom.metrics.k8s.io/v1beta2/namespaces/%s/pods/%%2A/%s"
                     "?labelSelector=%s%s%s",
                     ns, zk_json_path_str(src, "metric", "name", NULL) ?: "", sel,
                     msel[0] ? "&metricLabelSelector=" : "", msel);
            read_metric(r, (ssize_t)i, path);
        } else if (type == M_OBJECT) {
            const json_t *src = json_object_get(m, "object");
            const json_t *obj = json_object_get(src, "describedObject");
            bool scalable, stale;
            const char *res = zk_ctl_kinds_lookup(r->st->kinds, zk_json_str(obj, "apiVersion") ?: "v1",
                                                  zk_json_str(obj, "kind") ?: "", &scalable,
                                                  &stale);
            if (!res || !res[0]) {
                r->errors[i] = zk_xasprintf("no resource for kind %s",
                                            zk_json_str(obj, "kind") ?: "");
                continue;
            }
            char g[256];
            group_of(zk_json_str(obj, "apiVersion") ?: "", g, sizeof(g));
            char msel[2048];
            selector_query(zk_json_path(src, "metric", "selector", NULL), msel, sizeof(msel));
            zk_autofree char *path = zk_xasprintf(
                     "/apis/custom.metrics.k8s.io/v1beta2/namespaces/%s/%s%s%s/%s/%s%s%s", ns,
                     res, g[0] ? "." : "", g, zk_json_str(obj, "name") ?: "",
                     zk_json_path_str(src, "metric", "name", NULL) ?: "",
                     msel[0] ? "?metricLabelSelector=" : "", msel);
            read_metric(r, (ssize_t)i, path);
        } else if (type == M_EXTERNAL) {
            const json_t *src = json_object_get(m, "external");
            char msel[2048];
            selector_query(zk_json_path(src, "metric", "selector", NULL), msel, sizeof(msel));
            zk_autofree char *path = zk_xasprintf(
                     "/apis/external.metrics.k8s.io/v1beta1/namespaces/%s/%s%s%s", ns,
                     zk_json_path_str(src, "metric", "name", NULL) ?: "",
                     msel[0] ? "?labelSelector=" : "", msel);
            read_metric(r, (ssize_t)i, path);
        }
    }
    metrics_read(r);
}

/* ---- the target's scale ---- */

static void on_scale(void *ctx, const zk_kube_result *res)
{
    run *r = ctx;
    if (res->status != 200 || !json_is_object(res->body)) {
        fail_get_scale(r, res->error ? res->error : "no answer");
        return;
    }
    r->scale = json_incref(res->body);
    set_cond(r, "AbleToScale", true, "SucceededGetScale",
             "the HPA controller was able to get the target's current scale");
    r->current = (int32_t)zk_json_int(json_object_get(r->scale, "spec"), "replicas", 0);
    const json_t *spec = json_object_get(r->hpa, "spec");
    r->min = (int32_t)zk_json_int(spec, "minReplicas", 1);
    r->max = (int32_t)zk_json_int(spec, "maxReplicas", 1);
    if (r->current == 0 && r->min != 0) {
        set_cond(r, "ScalingActive", false, "ScalingDisabled",
                 "scaling is disabled since the replica count of the target is zero");
        write_status(r, 0, false);
        run_end(r);
    } else if (r->current > r->max) {
        rescale(r, r->max, "Current number of replicas above Spec.MaxReplicas", NULL, NULL);
    } else if (r->current < r->min) {
        rescale(r, r->min, "Current number of replicas below Spec.MinReplicas", NULL, NULL);
    } else {
        read_metrics(r);
    }
}

static void get_scale(run *r)
{
    const json_t *ref = zk_json_path(r->hpa, "spec", "scaleTargetRef", NULL);
    const char *gv = zk_json_str(ref, "apiVersion") ?: "";
    const char *kind = zk_json_str(ref, "kind") ?: "";
    const char *name = zk_json_str(ref, "name") ?: "";
    bool scalable = false, stale = false;
    const char *res = zk_ctl_kinds_lookup(r->st->kinds, gv, kind, &scalable, &stale);
    if (!res || !res[0] || !scalable) {
        char g[256];
        char why[700];
        group_of(gv, g, sizeof(g));
        if (res && res[0])
            snprintf(why, sizeof(why), "%s.%s has no scale subresource", res, g);
        else
            snprintf(why, sizeof(why), "no matches for kind \"%s\" in group \"%s\"", kind, g);
        fail_get_scale(r, why);
        return;
    }
    r->scale_path = zk_ctl_kinds_path(gv, zk_kube_namespace(r->hpa), res, name, "scale");
    zk_ctl_batch_request(r->b, "GET", r->scale_path, NULL, on_scale, r);
}

/* The first apiVersion this HPA needs (its target's, its Object metrics'
 * described objects') whose kinds are unknown or old, into gv; false when
 * every one is known. */
static bool unknown_gv(run *r, char *gv, size_t n)
{
    const json_t *spec = json_object_get(r->hpa, "spec");
    const json_t *refs[1 + 16];
    size_t nrefs = 0;
    refs[nrefs++] = json_object_get(spec, "scaleTargetRef");
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(spec, "metrics"), i, m) {
        if (metric_type(m) == M_OBJECT && nrefs < ZK_ARRAY_LEN(refs))
            refs[nrefs++] = zk_json_path(m, "object", "describedObject", NULL);
    }
    for (size_t k = 0; k < nrefs; k++) {
        const char *v = zk_json_str(refs[k], "apiVersion") ?: "";
        bool scalable, stale;
        /* stale: never read, or read over a minute ago */
        zk_ctl_kinds_lookup(r->st->kinds, v, zk_json_str(refs[k], "kind") ?: "", &scalable,
                            &stale);
        if (v[0] && stale) {
            snprintf(gv, n, "%s", v);
            return true;
        }
    }
    return false;
}

static void resolve(run *r);

typedef struct disc_ctx {
    run *r;
    char gv[256];
} disc_ctx;

static void on_discovery(void *ctx, const zk_kube_result *res)
{
    disc_ctx *d = ctx;
    zk_ctl_kinds_learn(d->r->st->kinds, d->gv, res->status == 200 ? res->body : NULL);
    run *r = d->r;
    free(d);
    resolve(r);
}

/* Learn the kinds the HPA names (one discovery read per group/version,
 * then kept a minute), then read the target's scale. */
static void resolve(run *r)
{
    disc_ctx *d = zk_xcalloc(1, sizeof(*d));
    if (!unknown_gv(r, d->gv, sizeof(d->gv))) {
        free(d);
        get_scale(r);
        return;
    }
    d->r = r;
    zk_autofree char *path = zk_ctl_kinds_discovery_path(d->gv);
    zk_ctl_batch_request(r->b, "GET", path, NULL, on_discovery, d);
}

/* ---- the controller ---- */

static void hpa_sync(zk_ctl *c, void *state, const char *key)
{
    hpa_st *st = state;
    json_t *hpa = zk_kube_informer_get_key(st->hpas, key);
    if (!hpa) {
        zk_hpa_hist *h = zk_map_del(st->hist, key);
        if (h) {
            zk_hpa_hist_free(h);
            free(h);
        }
        zk_ctl_done(c, key, false);
        return;
    }
    run *r = zk_xcalloc(1, sizeof(*r));
    r->st = st;
    r->c = c;
    r->key = zk_xstrdup(key);
    r->hpa = json_deep_copy(hpa);
    r->orig_status = json_deep_copy(json_object_get(hpa, "status"));
    r->b = zk_ctl_batch_begin(c, key);
    resolve(r);
}

static void hpa_ev(void *ctx, json_t *obj)
{
    zk_ctl_enqueue_obj(ctx, obj);
}

static void hpa_upd(void *ctx, json_t *old, json_t *obj)
{
    /* our own status writes come back as updates: only spec changes (and
     * the periodic requeue) trigger a sync */
    if (json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")) &&
        json_equal(zk_json_path(old, "metadata", "labels", NULL),
                   zk_json_path(obj, "metadata", "labels", NULL)))
        return;
    zk_ctl_enqueue_obj(ctx, obj);
}

/* A BacklogScaler's new reading: its HPA syncs now, not at its period. */
static void backlog_upd(void *ctx, json_t *old, json_t *obj)
{
    if (json_equal(zk_json_path(old, "status", "triggers", NULL),
                   zk_json_path(obj, "status", "triggers", NULL)))
        return;
    char key[600];
    snprintf(key, sizeof(key), "%s/zke-backlog-%.240s", zk_kube_namespace(obj), zk_kube_name(obj));
    zk_ctl_enqueue(ctx, key);
}

static void *hpa_init(zk_ctl *c)
{
    hpa_st *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->hpas = zk_ctl_informer(c, &zk_kube_hpas);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    st->hist = zk_map_new();
    st->kinds = zk_ctl_kinds_new();
    st->sync_ms = zk_ctl_setting_ms("hpa", "ZKE_HPA_SYNC_PERIOD", 15000);
    st->down_window_s =
        (int64_t)zk_ctl_setting_ms("hpa", "ZKE_HPA_DOWNSCALE_STABILIZATION", 300000) / 1000;
    st->cpu_init_s =
        (int64_t)zk_ctl_setting_ms("hpa", "ZKE_HPA_CPU_INITIALIZATION_PERIOD", 300000) / 1000;
    st->ready_delay_s =
        (int64_t)zk_ctl_setting_ms("hpa", "ZKE_HPA_INITIAL_READINESS_DELAY", 30000) / 1000;
    st->tolerance = ZK_HPA_TOLERANCE;
    const char *tol = getenv("ZKE_HPA_TOLERANCE");
    if (tol && *tol) {
        char *end;
        double t = strtod(tol, &end);
        if (*end || !(t >= 0 && t < 1))
            zk_warn("hpa: ZKE_HPA_TOLERANCE=%s is not a fraction in [0, 1); using 0.1", tol);
        else
            st->tolerance = t;
    }
    zk_kube_informer_on(st->hpas, &(zk_kube_handler){.add = hpa_ev, .update = hpa_upd,
                                                     .del = hpa_ev, .ctx = c});
    zk_kube_informer_on(zk_ctl_informer(c, &zk_kube_backlogscalers),
                        &(zk_kube_handler){.update = backlog_upd, .ctx = c});
    return st;
}

static void hpa_free(void *state)
{
    hpa_st *st = state;
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(st->hist, &pos, &k, &v)) {
        zk_hpa_hist_free(v);
        free(v);
    }
    zk_map_free(st->hist);
    zk_ctl_kinds_free(st->kinds);
    free(st);
}

const zk_ctl_def zk_ctl_hpa = {
    .name = "horizontalpodautoscaling", .workers = 4, .init = hpa_init, .sync = hpa_sync,
    .free = hpa_free};
