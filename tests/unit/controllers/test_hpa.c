/* The HorizontalPodAutoscaler's arithmetic: replica proposals (with the
 * missing-metric and unready-pod rules), the stabilisation windows and the
 * behavior policies, on the cases Kubernetes documents (the HPA walkthrough
 * and "Configurable scaling behavior") and on its controller's own tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "controllers/hpa.h"

#define TOL ZK_HPA_TOLERANCE

static zk_hpa_pod ready(int64_t usage, int64_t request)
{
    return (zk_hpa_pod){ZK_HPA_POD_READY, true, (double)usage, (double)request};
}

static int32_t util(int32_t current, const zk_hpa_pod *p, size_t n, int32_t target)
{
    zk_hpa_proposal out;
    if (zk_hpa_utilization_replicas(current, p, n, target, TOL, &out) != 0)
        fail_msg("no proposal: %s", out.error);
    return out.replicas;
}

/* desired = ceil(current × usage / target), for the documented examples:
 * 200m against 100m doubles, 50m against 100m halves */
static void test_ratio(void **state)
{
    (void)state;
    zk_hpa_pod two[] = {ready(200, 1000), ready(200, 1000)};
    assert_int_equal(util(2, two, 2, 10), 4);   /* 20 % of request vs 10 % */
    zk_hpa_pod half[] = {ready(50, 1000), ready(50, 1000), ready(50, 1000), ready(50, 1000)};
    assert_int_equal(util(4, half, 4, 10), 2);  /* 5 % vs 10 % */
    /* the average-value form: 200m per pod against 100m */
    zk_hpa_proposal out;
    assert_int_equal(zk_hpa_average_replicas(3, (zk_hpa_pod[]){ready(200, 0), ready(200, 0),
                                                               ready(200, 0)},
                                             3, 100, TOL, &out),
                     0);
    assert_int_equal(out.replicas, 6);
    assert_true(out.average == 200);
    /* utilization truncates like Kubernetes: 3 pods at 70 % of 100m vs 50 %
     * -> ceil(1.4 × 3) = 5 */
    zk_hpa_pod p[] = {ready(70, 100), ready(70, 100), ready(70, 100)};
    assert_int_equal(zk_hpa_utilization_replicas(3, p, 3, 50, TOL, &out), 0);
    assert_int_equal(out.utilization, 70);
    assert_int_equal(out.replicas, 5);
}

/* within 10 % of the target nothing moves */
static void test_tolerance(void **state)
{
    (void)state;
    zk_hpa_pod p[] = {ready(105, 100), ready(105, 100), ready(105, 100)};
    assert_int_equal(util(3, p, 3, 100), 3);
    zk_hpa_pod q[] = {ready(91, 100), ready(91, 100), ready(91, 100)};
    assert_int_equal(util(3, q, 3, 100), 3);
    zk_hpa_pod r[] = {ready(112, 100), ready(112, 100), ready(112, 100)};
    assert_int_equal(util(3, r, 3, 100), 4);   /* ceil(1.12 × 3) */
    /* value targets: 1.05 stays, 2.0 doubles the ready pods, from zero
     * ceil(usage/target) */
    assert_int_equal(zk_hpa_value_replicas(4, 4, 105, 100, TOL), 4);
    assert_int_equal(zk_hpa_value_replicas(4, 3, 200, 100, TOL), 6);
    assert_int_equal(zk_hpa_value_replicas(0, 0, 250, 100, TOL), 3);
    /* per-pod targets: a backlog of 10,000 at 1,000 per replica wants 10 */
    assert_int_equal(zk_hpa_per_pod_replicas(1, 10000, 1000, TOL), 10);
    assert_int_equal(zk_hpa_per_pod_replicas(10, 10400, 1000, TOL), 10);
    assert_int_equal(zk_hpa_per_pod_replicas(10, 3000, 1000, TOL), 3);
}

/* Pods without metrics count as using their whole request on a scale-down
 * and nothing on a scale-up; unready pods count as zero on a scale-up. The
 * cases are from Kubernetes' replica_calculator_test. */
static void test_missing_and_unready(void **state)
{
    (void)state;
    zk_hpa_pod missing = {ZK_HPA_POD_READY, false, 0, 1000};
    /* scale-down with a missing pod: 3 pods at 40 % (ratio 0.8), the
     * fourth assumed at 100 % -> (120+100)/400 = 55 % -> ratio 1.1,
     * flips direction -> stays at 4 */
    zk_hpa_pod down[] = {ready(400, 1000), ready(400, 1000), ready(400, 1000), missing};
    assert_int_equal(util(4, down, 4, 50), 4);
    /* scale-down with a missing pod that still goes down */
    zk_hpa_pod down2[] = {ready(100, 1000), ready(100, 1000), ready(100, 1000), missing};
    /* (10+10+10+100)/4 = 32 % against 50 % -> ceil(0.64 × 4) = 3 */
    assert_int_equal(util(4, down2, 4, 50), 3);
    /* scale-up with a missing pod: the missing pod at 0 */
    zk_hpa_pod up[] = {ready(900, 1000), ready(900, 1000), missing};
    /* ratio 90/50 = 1.8; with the missing pod at 0: 60 % -> 1.2 -> ceil(3.6) = 4 */
    assert_int_equal(util(3, up, 3, 50), 4);
    /* scale-up with an unready pod: counted at 0 */
    zk_hpa_pod unready = {ZK_HPA_POD_UNREADY, true, 900, 1000};
    zk_hpa_pod upu[] = {ready(900, 1000), ready(900, 1000), unready};
    assert_int_equal(util(3, upu, 3, 50), 4);
    /* unready pods do not hold back a scale-down (they are just left out) */
    zk_hpa_pod downu[] = {ready(100, 1000), ready(100, 1000), unready};
    assert_int_equal(util(3, downu, 3, 50), 1);   /* ceil(0.2 × 2) */
    /* ignored pods (deleted, failed) are left out entirely */
    zk_hpa_pod gone = {ZK_HPA_POD_IGNORED, true, 5000, 1000};
    zk_hpa_pod ig[] = {ready(1000, 1000), ready(1000, 1000), gone};
    assert_int_equal(util(3, ig, 3, 100), 3);  /* 2 ready at 100 %: within tolerance of 3 */
}

static void test_errors(void **state)
{
    (void)state;
    zk_hpa_proposal out;
    assert_int_equal(zk_hpa_utilization_replicas(2, NULL, 0, 50, TOL, &out), -1);
    assert_string_equal(out.error, "no pods returned by selector while calculating replica count");
    zk_hpa_pod none[] = {{ZK_HPA_POD_READY, false, 0, 100}, {ZK_HPA_POD_UNREADY, true, 5, 100}};
    assert_int_equal(zk_hpa_utilization_replicas(2, none, 2, 50, TOL, &out), -1);
    assert_string_equal(out.error,
                        "did not receive metrics for targeted pods (pods might be unready)");
    zk_hpa_pod noreq[] = {ready(100, 100), {ZK_HPA_POD_READY, true, 100, -1}};
    assert_int_equal(zk_hpa_utilization_replicas(2, noreq, 2, 50, TOL, &out), -1);
    assert_non_null(strstr(out.error, "missing request"));
}

static json_t *pod(const char *phase, const char *ready, const char *start, const char *changed)
{
    json_t *p = json_pack("{s:{s:s}}", "status", "phase", phase);
    if (start)
        json_object_set_new(json_object_get(p, "status"), "startTime", json_string(start));
    if (ready)
        json_object_set_new(json_object_get(p, "status"), "conditions",
                            json_pack("[{s:s,s:s,s:s}]", "type", "Ready", "status", ready,
                                      "lastTransitionTime", changed));
    return p;
}

/* Kubernetes' groupPods: CPU samples of young pods count only once the pod
 * has been ready for a whole metric window */
static void test_pod_state(void **state)
{
    (void)state;
    int64_t now = zk_time_parse_rfc3339("2026-11-11T10:10:00Z");
    int64_t ts = now - 5;   /* metric timestamp, window 30 s */
    json_t *p;
#define STATE(p, cpu) zk_hpa_pod_state(p, cpu, now, ts, 30, 300, 30)
    p = pod("Pending", NULL, NULL, NULL);
    assert_int_equal(STATE(p, true), ZK_HPA_POD_UNREADY);
    assert_int_equal(STATE(p, false), ZK_HPA_POD_UNREADY);
    json_decref(p);
    p = pod("Failed", "False", "2026-11-11T10:00:00Z", "2026-11-11T10:00:00Z");
    assert_int_equal(STATE(p, true), ZK_HPA_POD_IGNORED);
    json_decref(p);
    /* young (started 2 min ago), ready 1 min ago: a full window passed */
    p = pod("Running", "True", "2026-11-11T10:08:00Z", "2026-11-11T10:09:00Z");
    assert_int_equal(STATE(p, true), ZK_HPA_POD_READY);
    json_decref(p);
    /* young, ready 10 s ago: the sample may predate readiness */
    p = pod("Running", "True", "2026-11-11T10:08:00Z", "2026-11-11T10:09:50Z");
    assert_int_equal(STATE(p, true), ZK_HPA_POD_UNREADY);
    assert_int_equal(STATE(p, false), ZK_HPA_POD_READY);   /* memory: no such rule */
    json_decref(p);
    /* old, not ready now but was ready once (changed long after start) */
    p = pod("Running", "False", "2026-11-11T09:00:00Z", "2026-11-11T10:05:00Z");
    assert_int_equal(STATE(p, true), ZK_HPA_POD_READY);
    json_decref(p);
    /* old and never ready (its condition last changed 10 s after start) */
    p = pod("Running", "False", "2026-11-11T09:00:00Z", "2026-11-11T09:00:10Z");
    assert_int_equal(STATE(p, true), ZK_HPA_POD_UNREADY);
    json_decref(p);
    p = json_pack("{s:{s:s},s:{s:s}}", "metadata", "deletionTimestamp", "2026-11-11T10:09:00Z",
                  "status", "phase", "Running");
    assert_int_equal(STATE(p, true), ZK_HPA_POD_IGNORED);
    json_decref(p);
#undef STATE
}

static zk_hpa_rules rules(const char *json, bool up)
{
    zk_hpa_rules r;
    json_t *j = json ? json_loads(json, 0, NULL) : NULL;
    if (json && !j)
        fail_msg("bad json %s", json);
    zk_hpa_rules_parse(j, up, &r);
    json_decref(j);
    return r;
}

#define S(x) ((int64_t)(x) * 1000)

/* Without spec.behavior: the highest recommendation of the last 300 s,
 * and at most max(2 × current, 4) in one step. */
static void test_plain_normalisation(void **state)
{
    (void)state;
    zk_hpa_hist h = {0};
    zk_hpa_norm n;
    /* a spike up is taken at once, but capped at double */
    zk_hpa_normalize(&h, NULL, NULL, 1, 100, 5, 30, 300, S(1000), &n);
    assert_int_equal(n.desired, 10);
    assert_true(n.limited);
    assert_string_equal(n.limited_reason, "ScaleUpLimit");
    /* from 1 the cap is 4 */
    zk_hpa_hist h2 = {0};
    zk_hpa_normalize(&h2, NULL, NULL, 1, 100, 1, 30, 300, S(1000), &n);
    assert_int_equal(n.desired, 4);
    zk_hpa_hist_free(&h2);
    /* then load drops: 10 -> 2 is held at the highest of the window */
    zk_hpa_normalize(&h, NULL, NULL, 1, 100, 10, 2, 300, S(1060), &n);
    /* the 30 recommended at 1000 s is in the window, capped at double */
    assert_int_equal(n.desired, 20);
    assert_string_equal(n.able_reason, "ScaleDownStabilized");
    zk_hpa_hist_free(&h);
    zk_hpa_normalize(&h, NULL, NULL, 1, 100, 10, 12, 300, S(1000), &n);
    zk_hpa_normalize(&h, NULL, NULL, 1, 100, 12, 2, 300, S(1200), &n);
    assert_int_equal(n.desired, 12);
    assert_string_equal(n.able_reason, "ScaleDownStabilized");
    assert_false(n.limited);
    /* 301 s after the 12 it is gone; the 2 of 1200 s is the highest */
    zk_hpa_normalize(&h, NULL, NULL, 1, 100, 12, 2, 300, S(1301), &n);
    assert_int_equal(n.desired, 2);
    assert_string_equal(n.able_reason, "ReadyForNewScale");
    /* min and max */
    zk_hpa_normalize(&h, NULL, NULL, 3, 100, 3, 1, 0, S(2000), &n);
    assert_int_equal(n.desired, 3);
    assert_string_equal(n.limited_reason, "TooFewReplicas");
    zk_hpa_normalize(&h, NULL, NULL, 1, 5, 4, 9, 0, S(2000), &n);
    assert_int_equal(n.desired, 5);
    assert_string_equal(n.limited_reason, "TooManyReplicas");
    zk_hpa_hist_free(&h);
}

/* The defaults: up by 4 pods or 100 % per 15 s (the higher), down by 100 %
 * per 15 s after a 300 s window. */
static void test_default_behavior(void **state)
{
    (void)state;
    zk_hpa_rules up = rules(NULL, true), down = rules(NULL, false);
    assert_int_equal(up.npol, 2);
    assert_int_equal(up.window_s, 0);
    assert_int_equal(down.window_s, -1);
    zk_hpa_hist h = {0};
    zk_hpa_norm n;
    /* 1 -> wants 20: 4 pods beats 100 % (2) */
    zk_hpa_normalize(&h, &up, &down, 1, 50, 1, 20, 300, S(0), &n);
    assert_int_equal(n.desired, 5);
    assert_string_equal(n.limited_reason, "ScaleUpLimit");
    zk_hpa_record_scale(&h, &up, &down, 1, 5, S(0));
    /* 5 s later nothing more: the period's start was 1, limit 5 */
    zk_hpa_normalize(&h, &up, &down, 1, 50, 5, 20, 300, S(5), &n);
    assert_int_equal(n.desired, 5);
    /* after 15 s: 5 -> 10 (100 %) */
    zk_hpa_normalize(&h, &up, &down, 1, 50, 5, 20, 300, S(16), &n);
    assert_int_equal(n.desired, 10);
    zk_hpa_record_scale(&h, &up, &down, 5, 10, S(16));
    zk_hpa_normalize(&h, &up, &down, 1, 50, 10, 20, 300, S(32), &n);
    assert_int_equal(n.desired, 20);
    zk_hpa_record_scale(&h, &up, &down, 10, 20, S(32));
    /* the load goes: held at 20 for the 300 s window */
    zk_hpa_normalize(&h, &up, &down, 1, 50, 20, 2, 300, S(100), &n);
    assert_int_equal(n.desired, 20);
    assert_string_equal(n.able_reason, "ScaleDownStabilized");
    zk_hpa_normalize(&h, &up, &down, 1, 50, 20, 2, 300, S(333), &n);
    assert_int_equal(n.desired, 2);   /* 100 % per 15 s allows all of it */
    zk_hpa_hist_free(&h);
}

/* "Configurable scaling behavior": scaleDown with Pods 4 and Percent 10
 * per 60 s; the policy allowing the bigger change wins: 10 % above 40
 * replicas, 4 pods at or below. From 80: -8 (to 72), then from 72 10 % is
 * 7.2, rounded to a change of 8 (64). */
static void test_documented_scale_down(void **state)
{
    (void)state;
    zk_hpa_rules up = rules(NULL, true);
    zk_hpa_rules down = rules("{\"stabilizationWindowSeconds\":0,\"policies\":["
                              "{\"type\":\"Pods\",\"value\":4,\"periodSeconds\":60},"
                              "{\"type\":\"Percent\",\"value\":10,\"periodSeconds\":60}]}",
                              false);
    zk_hpa_hist h = {0};
    zk_hpa_norm n;
    zk_hpa_normalize(&h, &up, &down, 1, 100, 80, 10, 300, S(0), &n);
    assert_int_equal(n.desired, 72);
    assert_string_equal(n.limited_reason, "ScaleDownLimit");
    zk_hpa_record_scale(&h, &up, &down, 80, 72, S(0));
    /* within the minute the period started at 80: no more */
    zk_hpa_normalize(&h, &up, &down, 1, 100, 72, 10, 300, S(30), &n);
    assert_int_equal(n.desired, 72);
    zk_hpa_normalize(&h, &up, &down, 1, 100, 72, 10, 300, S(61), &n);
    assert_int_equal(n.desired, 64);
    /* at 40 and below the 4-pod policy is the bigger change */
    zk_hpa_hist h2 = {0};
    zk_hpa_normalize(&h2, &up, &down, 1, 100, 30, 10, 300, S(0), &n);
    assert_int_equal(n.desired, 26);
    zk_hpa_hist_free(&h2);
    /* selectPolicy Min takes the smaller change */
    zk_hpa_rules dmin = down;
    dmin.select = ZK_HPA_SELECT_MIN;
    zk_hpa_hist h3 = {0};
    zk_hpa_normalize(&h3, &up, &dmin, 1, 100, 80, 10, 300, S(0), &n);
    assert_int_equal(n.desired, 76);
    zk_hpa_hist_free(&h3);
    zk_hpa_hist_free(&h);
}

/* scaleDown selectPolicy Disabled never scales down; scaleUp with a
 * stabilisation window takes the lowest recommendation of the window;
 * scale-up of 90 % per 15 s from 5 rounds up. */
static void test_disabled_and_up_window(void **state)
{
    (void)state;
    zk_hpa_rules up = rules("{\"stabilizationWindowSeconds\":60}", true);
    zk_hpa_rules off = rules("{\"selectPolicy\":\"Disabled\"}", false);
    zk_hpa_hist h = {0};
    zk_hpa_norm n;
    zk_hpa_normalize(&h, &up, &off, 1, 100, 10, 2, 0, S(0), &n);
    assert_int_equal(n.desired, 10);
    assert_string_equal(n.limited_reason, "ScaleDownLimit");
    zk_hpa_hist_free(&h);
    /* the up window: 10 recommended 10 s ago holds 14 down to 10 */
    zk_hpa_rules down = rules(NULL, false);
    zk_hpa_normalize(&h, &up, &down, 1, 100, 8, 10, 300, S(0), &n);
    assert_int_equal(n.desired, 10);
    zk_hpa_normalize(&h, &up, &down, 1, 100, 10, 14, 300, S(10), &n);
    assert_int_equal(n.desired, 10);
    assert_string_equal(n.able_reason, "ScaleUpStabilized");
    zk_hpa_normalize(&h, &up, &down, 1, 100, 10, 14, 300, S(75), &n);
    assert_int_equal(n.desired, 14);
    zk_hpa_hist_free(&h);
    zk_hpa_rules pct = rules("{\"policies\":[{\"type\":\"Percent\",\"value\":90,"
                             "\"periodSeconds\":15}]}", true);
    zk_hpa_normalize(&h, &pct, &down, 1, 100, 5, 50, 300, S(0), &n);
    assert_int_equal(n.desired, 10);   /* ceil(5 × 1.9) = 10 */
    zk_hpa_hist_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_missing_and_unready),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pod_state),
        cmocka_unit_test(test_plain_normalisation),
        cmocka_unit_test(test_default_behavior),
        cmocka_unit_test(test_documented_scale_down),
        cmocka_unit_test(test_disabled_and_up_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
