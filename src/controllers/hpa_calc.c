/* zke controllers: the HorizontalPodAutoscaler's arithmetic (hpa.h). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/hpa.h"

/* a recommendation older than this is dropped whatever the windows say */
#define HIST_MAX 1024

/* ---- pods ---- */

static int64_t ts_of(const char *s)
{
    return s ? zk_time_parse_rfc3339(s) : -1;
}

int zk_hpa_pod_state(const json_t *pod, bool cpu, int64_t now, int64_t metric_ts,
                     int64_t window_s, int64_t cpu_init_s, int64_t ready_delay_s)
{
    const char *phase = zk_json_path_str(pod, "status", "phase", NULL);
    if (zk_json_path(pod, "metadata", "deletionTimestamp", NULL) ||
        (phase && !strcmp(phase, "Failed")))
        return ZK_HPA_POD_IGNORED;
    if (phase && !strcmp(phase, "Pending"))
        return ZK_HPA_POD_UNREADY;
    if (!cpu)
        return ZK_HPA_POD_READY;
    const json_t *ready = NULL, *conds = zk_json_path(pod, "status", "conditions", NULL);
    size_t i;
    json_t *cnd;
    json_array_foreach(conds, i, cnd) {
        const char *t = zk_json_str(cnd, "type");
        if (t && !strcmp(t, "Ready"))
            ready = cnd;
    }
    int64_t start = ts_of(zk_json_path_str(pod, "status", "startTime", NULL));
    if (!ready || start < 0)
        return ZK_HPA_POD_UNREADY;
    const char *st = zk_json_str(ready, "status");
    bool is_false = st && !strcmp(st, "False");
    int64_t changed = ts_of(zk_json_str(ready, "lastTransitionTime"));
    if (changed < 0)
        changed = start;
    bool unready;
    if (start + cpu_init_s > now)
        /* young: trust a sample only when ready for a whole window */
        unready = is_false || metric_ts < changed + window_s;
    else
        /* older: unready only if it has never been ready */
        unready = is_false && start + ready_delay_s > changed;
    return unready ? ZK_HPA_POD_UNREADY : ZK_HPA_POD_READY;
}

/* ---- proposals ---- */

/* usage over requests of the pods in `with` (metrics known), as Kubernetes'
 * GetResourceUtilizationRatio: the percentage truncates. */
static int util_ratio(const zk_hpa_pod *pods, const int64_t *metric, const bool *with, size_t n,
                      int32_t target, double *ratio, int64_t *util, double *avg)
{
    int64_t mt = 0, rt = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        if (with[i] && pods[i].request >= 0) {
            mt += metric[i];
            rt += pods[i].request;
            k++;
        }
    if (rt <= 0)
        return -1;
    *util = (mt * 100) / rt;
    *ratio = (double)*util / (double)target;
    if (avg)
        *avg = (double)mt / (double)k;
    return 0;
}

static int avg_ratio(const int64_t *metric, const bool *with, size_t n, double target,
                     double *ratio, double *avg)
{
    double total = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (with[i]) {
            total += (double)metric[i];
            k++;
        }
    if (!k)
        return -1;
    *avg = total / (double)k;
    *ratio = *avg / target;
    return 0;
}

/* The shared body of the Utilization and average-value calculations
 * (Kubernetes' GetResourceReplicas and calcPlainMetricReplicas). */
static int plain(int32_t current, const zk_hpa_pod *pods, size_t n, bool util, double target,
                 double tolerance, zk_hpa_proposal *out)
{
    memset(out, 0, sizeof(*out));
    out->replicas = -1;
    if (!n) {
        snprintf(out->error, sizeof(out->error),
                 "no pods returned by selector while calculating replica count");
        return -1;
    }
    if (util)
        for (size_t i = 0; i < n; i++)
            if (pods[i].request < 0) {
                snprintf(out->error, sizeof(out->error), "missing request for a container of a pod");
                return -1;
            }
    int64_t *metric = zk_xcalloc(n, sizeof(*metric));
    bool *with = zk_xcalloc(n, sizeof(*with));
    size_t ready = 0, unready = 0, missing = 0, counted = 0;
    for (size_t i = 0; i < n; i++) {
        if (pods[i].state == ZK_HPA_POD_IGNORED)
            continue;
        if (pods[i].state == ZK_HPA_POD_UNREADY) {
            unready++;
            continue;
        }
        if (!pods[i].has_metric) {
            missing++;
            continue;
        }
        metric[i] = (int64_t)pods[i].metric;
        with[i] = true;
        ready++;
        counted++;
    }
    int rc = -1;
    double ratio = 0, avg = 0;
    int64_t utilization = 0;
    if (!counted) {
        snprintf(out->error, sizeof(out->error),
                 "did not receive metrics for targeted pods (pods might be unready)");
        goto out;
    }
    if (util ? util_ratio(pods, metric, with, n, (int32_t)target, &ratio, &utilization, &avg)
             : avg_ratio(metric, with, n, target, &ratio, &avg)) {
        snprintf(out->error, sizeof(out->error), "no metrics returned matched known pods");
        goto out;
    }
    out->utilization = utilization;
    out->average = avg;
    rc = 0;
    bool up_with_unready = unready > 0 && ratio > 1.0;
    if (!up_with_unready && !missing) {
        out->replicas = fabs(1.0 - ratio) <= tolerance ? current
                                                       : (int32_t)ceil(ratio * (double)ready);
        goto out;
    }
    /* fill in the pods without a usable sample, in the direction that
     * damps the change: missing pods at their full request (or the
     * target) when scaling down, at zero when scaling up; unready pods at
     * zero when scaling up */
    for (size_t i = 0; i < n; i++) {
        if (pods[i].state == ZK_HPA_POD_IGNORED)
            continue;
        if (pods[i].state == ZK_HPA_POD_READY && !pods[i].has_metric) {
            if (ratio < 1.0)
                metric[i] = util ? pods[i].request * (target > 100 ? (int64_t)target : 100) / 100
                                 : (int64_t)target;
            else if (ratio > 1.0)
                metric[i] = 0;
            else
                continue;
            with[i] = true;
        } else if (pods[i].state == ZK_HPA_POD_UNREADY && up_with_unready) {
            metric[i] = 0;
            with[i] = true;
        }
    }
    size_t entries = 0;
    for (size_t i = 0; i < n; i++)
        entries += with[i];
    double nratio = 0, navg;
    int64_t nutil;
    if (util)
        util_ratio(pods, metric, with, n, (int32_t)target, &nratio, &nutil, NULL);
    else
        avg_ratio(metric, with, n, target, &nratio, &navg);
    if (fabs(1.0 - nratio) <= tolerance || (ratio < 1.0 && nratio > 1.0) ||
        (ratio > 1.0 && nratio < 1.0)) {
        out->replicas = current;   /* the change would flip or vanish */
        goto out;
    }
    int32_t next = (int32_t)ceil(nratio * (double)entries);
    if ((nratio < 1.0 && next > current) || (nratio > 1.0 && next < current))
        next = current;
    out->replicas = next;
out:
    free(metric);
    free(with);
    return rc;
}

int zk_hpa_utilization_replicas(int32_t current, const zk_hpa_pod *pods, size_t n,
                                int32_t target_util, double tolerance, zk_hpa_proposal *out)
{
    if (target_util <= 0) {
        memset(out, 0, sizeof(*out));
        out->replicas = -1;
        snprintf(out->error, sizeof(out->error), "target utilization must be above 0");
        return -1;
    }
    return plain(current, pods, n, true, target_util, tolerance, out);
}

int zk_hpa_average_replicas(int32_t current, const zk_hpa_pod *pods, size_t n,
                            double target_avg, double tolerance, zk_hpa_proposal *out)
{
    if (!(target_avg > 0)) {
        memset(out, 0, sizeof(*out));
        out->replicas = -1;
        snprintf(out->error, sizeof(out->error), "target average value must be above 0");
        return -1;
    }
    return plain(current, pods, n, false, target_avg, tolerance, out);
}

int32_t zk_hpa_value_replicas(int32_t current, int32_t ready_pods, double usage, double target,
                              double tolerance)
{
    if (!(target > 0))
        return current;
    double ratio = usage / target;
    if (current == 0)
        return (int32_t)ceil(ratio);
    if (fabs(1.0 - ratio) <= tolerance)
        return current;
    return (int32_t)ceil(ratio * (double)ready_pods);
}

int32_t zk_hpa_per_pod_replicas(int32_t current, double usage, double target, double tolerance)
{
    if (!(target > 0))
        return current;
    if (current > 0 && fabs(1.0 - usage / (target * (double)current)) <= tolerance)
        return current;
    return (int32_t)ceil(usage / target);
}

/* ---- behavior ---- */

void zk_hpa_rules_parse(const json_t *rules, bool up, zk_hpa_rules *out)
{
    memset(out, 0, sizeof(*out));
    json_t *w = json_object_get(rules, "stabilizationWindowSeconds");
    out->window_s = json_is_integer(w) ? json_integer_value(w) : (up ? 0 : -1);
    if (out->window_s < -1)
        out->window_s = 0;
    const char *sel = zk_json_str(rules, "selectPolicy");
    out->select = sel && !strcmp(sel, "Min")        ? ZK_HPA_SELECT_MIN
                  : sel && !strcmp(sel, "Disabled") ? ZK_HPA_SELECT_DISABLED
                                                    : ZK_HPA_SELECT_MAX;
    const json_t *pols = json_object_get(rules, "policies");
    size_t i;
    json_t *p;
    json_array_foreach(pols, i, p) {
        if (out->npol == ZK_HPA_MAX_POLICIES)
            break;
        const char *type = zk_json_str(p, "type");
        json_int_t v = zk_json_int(p, "value", 0), per = zk_json_int(p, "periodSeconds", 0);
        if (!type || v <= 0 || v > INT32_MAX || per <= 0 || per > 1800)
            continue;   /* validation refuses these; skip what slipped by */
        out->pol[out->npol].percent = !strcmp(type, "Percent");
        out->pol[out->npol].value = (int32_t)v;
        out->pol[out->npol].period_s = per;
        out->npol++;
    }
    if (!out->npol && (!pols || !json_array_size(pols))) {
        if (up) {
            out->pol[0].percent = false;
            out->pol[0].value = 4;
            out->pol[0].period_s = 15;
            out->pol[1].percent = true;
            out->pol[1].value = 100;
            out->pol[1].period_s = 15;
            out->npol = 2;
        } else {
            out->pol[0].percent = true;
            out->pol[0].value = 100;
            out->pol[0].period_s = 15;
            out->npol = 1;
        }
    }
}

void zk_hpa_hist_free(zk_hpa_hist *h)
{
    free(h->recs);
    free(h->ups);
    free(h->downs);
    memset(h, 0, sizeof(*h));
}

/* Put r into the array, over an outdated entry if there is one (as
 * Kubernetes reuses old samples), else at the end; at HIST_MAX the oldest
 * goes. */
static void hist_put(zk_hpa_rec **a, size_t *n, zk_hpa_rec r)
{
    for (size_t i = 0; i < *n; i++)
        if ((*a)[i].outdated) {
            (*a)[i] = r;
            return;
        }
    if (*n == HIST_MAX) {
        size_t oldest = 0;
        for (size_t i = 1; i < *n; i++)
            if ((*a)[i].at_ms < (*a)[oldest].at_ms)
                oldest = i;
        (*a)[oldest] = r;
        return;
    }
    *a = zk_xrealloc(*a, (*n + 1) * sizeof(**a));
    (*a)[(*n)++] = r;
}

static int64_t window_ms(const zk_hpa_rules *r, int64_t dflt_s)
{
    return (r->window_s < 0 ? dflt_s : r->window_s) * 1000;
}

/* replicas added (or removed) within the last period_s */
static int32_t change_in(const zk_hpa_rec *ev, size_t n, int64_t period_s, int64_t now_ms)
{
    int64_t cutoff = now_ms - period_s * 1000, sum = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].at_ms > cutoff)
            sum += ev[i].value;
    return sum > INT32_MAX ? INT32_MAX : (int32_t)sum;
}

static int32_t up_limit(const zk_hpa_hist *h, const zk_hpa_rules *r, int32_t current,
                        int64_t now_ms)
{
    if (r->select == ZK_HPA_SELECT_DISABLED)
        return current;
    bool min = r->select == ZK_HPA_SELECT_MIN;
    int64_t result = min ? INT32_MAX : INT32_MIN;
    for (size_t i = 0; i < r->npol; i++) {
        int64_t start = (int64_t)current - change_in(h->ups, h->nups, r->pol[i].period_s, now_ms) +
                        change_in(h->downs, h->ndowns, r->pol[i].period_s, now_ms);
        int64_t p = r->pol[i].percent
                        ? (int64_t)ceil((double)start * (1.0 + r->pol[i].value / 100.0))
                        : start + r->pol[i].value;
        result = min ? (p < result ? p : result) : (p > result ? p : result);
    }
    return result > INT32_MAX ? INT32_MAX : result < INT32_MIN ? INT32_MIN : (int32_t)result;
}

static int32_t down_limit(const zk_hpa_hist *h, const zk_hpa_rules *r, int32_t current,
                          int64_t now_ms)
{
    if (r->select == ZK_HPA_SELECT_DISABLED)
        return current;
    bool min = r->select == ZK_HPA_SELECT_MIN;
    int64_t result = min ? INT32_MIN : INT32_MAX;
    for (size_t i = 0; i < r->npol; i++) {
        int64_t start = (int64_t)current + change_in(h->downs, h->ndowns, r->pol[i].period_s,
                                                     now_ms) -
                        change_in(h->ups, h->nups, r->pol[i].period_s, now_ms);
        int64_t p = r->pol[i].percent
                        ? (int64_t)((double)start * (1.0 - r->pol[i].value / 100.0))
                        : start - r->pol[i].value;
        result = min ? (p > result ? p : result) : (p < result ? p : result);
    }
    return result > INT32_MAX ? INT32_MAX : result < INT32_MIN ? INT32_MIN : (int32_t)result;
}

static void limited(zk_hpa_norm *out, int32_t stabilized, int32_t desired, const char *reason,
                    const char *message)
{
    out->desired = desired;
    out->limited = desired != stabilized;
    out->limited_reason = reason;
    out->limited_message = message;
}

#define WITHIN "DesiredWithinRange", "the desired count is within the acceptable range"

/* without spec.behavior: the downscale window, then min/max and the fixed
 * scale-up limit */
static void normalize_plain(zk_hpa_hist *h, int32_t min, int32_t max, int32_t current,
                            int32_t proposal, int64_t down_window_s, int64_t now_ms,
                            zk_hpa_norm *out)
{
    int32_t best = proposal;
    int64_t cutoff = now_ms - down_window_s * 1000;
    for (size_t i = 0; i < h->nrecs; i++) {
        h->recs[i].outdated = h->recs[i].at_ms < cutoff;
        if (!h->recs[i].outdated && h->recs[i].value > best)
            best = h->recs[i].value;
    }
    hist_put(&h->recs, &h->nrecs, (zk_hpa_rec){now_ms, proposal, false});
    if (best != proposal) {
        out->able_reason = "ScaleDownStabilized";
        out->able_message = "recent recommendations were higher than current one, applying the "
                            "highest recent recommendation";
    }
    int64_t up = current * 2 > 4 ? (int64_t)current * 2 : 4;
    int32_t allowed_max = max;
    const char *reason = "TooManyReplicas";
    const char *message = "the desired replica count is more than the maximum replica count";
    if (max > up) {
        allowed_max = (int32_t)up;
        reason = "ScaleUpLimit";
        message = "the desired replica count is increasing faster than the maximum scale rate";
    }
    if (best < min)
        limited(out, best, min, "TooFewReplicas",
                "the desired replica count is less than the minimum replica count");
    else if (best > allowed_max)
        limited(out, best, allowed_max, reason, message);
    else
        limited(out, best, best, WITHIN);
}

void zk_hpa_normalize(zk_hpa_hist *h, const zk_hpa_rules *up, const zk_hpa_rules *down,
                      int32_t min, int32_t max, int32_t current, int32_t proposal,
                      int64_t down_window_s, int64_t now_ms, zk_hpa_norm *out)
{
    memset(out, 0, sizeof(*out));
    out->able_reason = "ReadyForNewScale";
    out->able_message = "recommended size matches current size";
    if (!up || !down) {
        normalize_plain(h, min, max, current, proposal, down_window_s, now_ms, out);
        return;
    }
    /* stabilise: the lowest recommendation of the up window, the highest
     * of the down window, current kept between them */
    int64_t up_cut = now_ms - window_ms(up, down_window_s);
    int64_t down_cut = now_ms - window_ms(down, down_window_s);
    int32_t up_rec = proposal, down_rec = proposal;
    for (size_t i = 0; i < h->nrecs; i++) {
        zk_hpa_rec *r = &h->recs[i];
        if (r->at_ms > up_cut && r->value < up_rec)
            up_rec = r->value;
        if (r->at_ms > down_cut && r->value > down_rec)
            down_rec = r->value;
        r->outdated = r->at_ms < up_cut && r->at_ms < down_cut;
    }
    int32_t stabilized = current;
    if (stabilized < up_rec)
        stabilized = up_rec;
    if (stabilized > down_rec)
        stabilized = down_rec;
    hist_put(&h->recs, &h->nrecs, (zk_hpa_rec){now_ms, proposal, false});
    if (stabilized != proposal) {
        if (proposal >= current) {
            out->able_reason = "ScaleUpStabilized";
            out->able_message = "recent recommendations were lower than current one, applying "
                                "the lowest recent recommendation";
        } else {
            out->able_reason = "ScaleDownStabilized";
            out->able_message = "recent recommendations were higher than current one, applying "
                                "the highest recent recommendation";
        }
    }
    /* rate limits */
    if (stabilized > current) {
        int32_t lim = up_limit(h, up, current, now_ms);
        if (lim < current)
            lim = current;   /* no further up until the events age out */
        int32_t allowed = max;
        const char *reason = "TooManyReplicas";
        const char *message = "the desired replica count is more than the maximum replica count";
        if (allowed > lim) {
            allowed = lim;
            reason = "ScaleUpLimit";
            message = "the desired replica count is increasing faster than the maximum scale rate";
        }
        if (stabilized > allowed) {
            limited(out, stabilized, allowed, reason, message);
            return;
        }
    } else if (stabilized < current) {
        int32_t lim = down_limit(h, down, current, now_ms);
        if (lim > current)
            lim = current;
        int32_t allowed = min;
        const char *reason = "TooFewReplicas";
        const char *message = "the desired replica count is less than the minimum replica count";
        if (allowed < lim) {
            allowed = lim;
            reason = "ScaleDownLimit";
            message = "the desired replica count is decreasing faster than the maximum scale rate";
        }
        if (stabilized < allowed) {
            limited(out, stabilized, allowed, reason, message);
            return;
        }
    }
    limited(out, stabilized, stabilized, WITHIN);
}

static int64_t longest_period(const zk_hpa_rules *r)
{
    int64_t p = 0;
    for (size_t i = 0; i < r->npol; i++)
        if (r->pol[i].period_s > p)
            p = r->pol[i].period_s;
    return p;
}

void zk_hpa_record_scale(zk_hpa_hist *h, const zk_hpa_rules *up, const zk_hpa_rules *down,
                         int32_t prev, int32_t next, int64_t now_ms)
{
    if (!up || !down || prev == next)
        return;
    bool grow = next > prev;
    zk_hpa_rec **a = grow ? &h->ups : &h->downs;
    size_t *n = grow ? &h->nups : &h->ndowns;
    int64_t cutoff = now_ms - longest_period(grow ? up : down) * 1000;
    for (size_t i = 0; i < *n; i++)
        (*a)[i].outdated = (*a)[i].at_ms <= cutoff;
    hist_put(a, n, (zk_hpa_rec){now_ms, grow ? next - prev : prev - next, false});
}
