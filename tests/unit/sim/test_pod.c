/* The simulated kubelet's pod model: durations, steps and the status a
 * pod should show at a given time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "sim/pod.h"

/* 2026-11-27T07:15:05Z, on a whole second as startTime is */
#define T0 (1795763705LL * 1000)

static void test_durations(void **state)
{
    static const struct {
        const char *in;
        long long ms;
    } ok[] = {
        {"0", 0},          {"5s", 5000},        {"1m30s", 90000},  {"250ms", 250},
        {"1.5s", 1500},    {".5s", 500},        {"2h", 7200000},   {"1h2m3s4ms", 3723004},
        {"1500us", 1},     {"1500\xc2\xb5s", 1}, {"999999ns", 0},   {"8784h", 8784LL * 3600000},
        {"1.s", 1000},     {"0s", 0},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ms = -1;
        zk_err err = {0};
        if (zk_sim_duration_parse(ok[i].in, &ms, &err) < 0)
            fail_msg("%s: %s", ok[i].in, err.msg);
        assert_int_equal(ms, ok[i].ms);
    }
    static const char *const bad[] = {"",    "5",   "s",     "-5s",     "+5s",  "5x",  "5 s",
                                      "1d",  ".s",  "5s5",   "8785h",   "99999999999999999999s",
                                      "1e3s", "5S"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 0;
        zk_err err = {0};
        if (zk_sim_duration_parse(bad[i], &ms, &err) == 0)
            fail_msg("'%s' parsed as %lld ms", bad[i], (long long)ms);
        assert_non_null(strstr(err.msg, "duration"));
    }
}

static json_t *pod(const char *extra_spec)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
             "\"namespace\":\"default\",\"uid\":\"u-1\",\"annotations\":{}},"
             "\"spec\":{\"nodeName\":\"sim-1\",\"containers\":[{\"name\":\"app\","
             "\"image\":\"nginx:1\"}]%s%s},\"status\":{\"phase\":\"Pending\"}}",
             extra_spec ? "," : "", extra_spec ? extra_spec : "");
    json_error_t e;
    json_t *p = json_loads(text, 0, &e);
    if (!p)
        fail_msg("test pod: %s", e.text);
    return p;
}

static void annotate(json_t *p, const char *key, const char *value)
{
    json_t *a = zk_json_path_obj(p, "metadata", "annotations", NULL);
    if (value)
        json_object_set_new(a, key, json_string(value));
    else
        json_object_del(a, key);
}

/* Plan at now_ms and, when there is a patch, apply it as the server would
 * (the sim sends every field it owns). Returns whether there was a patch. */
static bool step(json_t *p, int64_t now_ms, zk_sim_pod_plan *plan)
{
    zk_sim_pod_env env = {.host_ip = "10.200.0.2", .pod_ip = "10.128.1.2", .now_ms = now_ms};
    zk_sim_pod_plan_make(p, &env, plan);
    if (!plan->patch)
        return false;
    json_t *st = json_object_get(plan->patch, "status");
    json_t *old = json_object_get(p, "status");
    /* conditions the sim does not own stay, as a strategic merge keeps them */
    json_t *keep = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(old, "conditions"), i, c) {
        const char *t = zk_json_str(c, "type");
        bool ours = false;
        size_t j;
        json_t *d;
        json_array_foreach(json_object_get(st, "conditions"), j, d)
            ours |= !strcmp(zk_json_str(d, "type"), t);
        if (!ours)
            json_array_append(keep, c);
    }
    json_t *copy = json_deep_copy(st);
    json_array_extend(json_object_get(copy, "conditions"), keep);
    json_decref(keep);
    json_object_set_new(p, "status", copy);
    json_decref(plan->patch);
    plan->patch = NULL;
    return true;
}

static const char *cond(const json_t *p, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(zk_json_path(p, "status", "conditions", NULL), i, c) {
        if (!strcmp(zk_json_str(c, "type"), type))
            return zk_json_str(c, "status");
    }
    return NULL;
}

static const char *cond_since(const json_t *p, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(zk_json_path(p, "status", "conditions", NULL), i, c) {
        if (!strcmp(zk_json_str(c, "type"), type))
            return zk_json_str(c, "lastTransitionTime");
    }
    return NULL;
}

static json_t *container(const json_t *p, size_t i)
{
    return json_array_get(zk_json_path(p, "status", "containerStatuses", NULL), i);
}

static void test_steps(void **state)
{
    json_t *p = pod(NULL);
    assert_int_equal(zk_sim_pod_step_of(p), ZK_SIM_POD_START);
    json_object_set_new(json_object_get(p, "status"), "phase", json_string("Running"));
    assert_int_equal(zk_sim_pod_step_of(p), ZK_SIM_POD_START);   /* no address yet */
    json_object_set_new(json_object_get(p, "status"), "podIP", json_string("10.1.1.2"));
    assert_int_equal(zk_sim_pod_step_of(p), ZK_SIM_POD_SYNC);
    json_object_set_new(json_object_get(p, "status"), "phase", json_string("Succeeded"));
    assert_int_equal(zk_sim_pod_step_of(p), ZK_SIM_POD_IGNORE);
    json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp",
                        json_string("2026-11-27T07:15:05Z"));
    assert_int_equal(zk_sim_pod_step_of(p), ZK_SIM_POD_DELETE);
    json_decref(p);
    p = pod("\"hostNetwork\":true");
    assert_true(zk_sim_pod_host_network(p));
    json_decref(p);
}

static void test_start_runs_and_readies_a_plain_pod(void **state)
{
    json_t *p = pod(NULL);
    zk_sim_pod_plan plan;
    assert_true(step(p, T0 + 400, &plan));
    assert_int_equal(plan.next_ms, 0);   /* nothing more will change */
    assert_false(plan.terminal);
    assert_null(plan.bad_annotation);
    assert_string_equal(zk_json_path_str(p, "status", "phase", NULL), "Running");
    assert_string_equal(zk_json_path_str(p, "status", "podIP", NULL), "10.128.1.2");
    assert_string_equal(zk_json_path_str(p, "status", "hostIP", NULL), "10.200.0.2");
    json_t *ips = zk_json_path(p, "status", "podIPs", NULL);
    assert_int_equal(json_array_size(ips), 1);
    assert_string_equal(zk_json_str(json_array_get(ips, 0), "ip"), "10.128.1.2");
    assert_string_equal(zk_json_path_str(p, "status", "startTime", NULL),
                        "2026-11-27T07:15:05Z");
    static const char *const trues[] = {"PodScheduled", "Initialized", "ContainersReady",
                                        "Ready", "PodReadyToStartContainers"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(cond(p, trues[i]), "True");
    json_t *c = container(p, 0);
    assert_string_equal(zk_json_str(c, "name"), "app");
    assert_string_equal(zk_json_str(c, "image"), "nginx:1");
    assert_true(json_is_true(json_object_get(c, "ready")));
    assert_true(json_is_true(json_object_get(c, "started")));
    assert_int_equal(zk_json_int(c, "restartCount", -1), 0);
    assert_string_equal(zk_json_path_str(c, "state", "running", "startedAt", NULL),
                        "2026-11-27T07:15:05Z");
    assert_true(strncmp(zk_json_str(c, "containerID"), "sim://", 6) == 0);
    /* the same status later needs no patch */
    assert_false(step(p, T0 + 60000, &plan));
    assert_int_equal(plan.next_ms, 0);
    json_decref(p);
}

static void test_readiness_probe_delays_ready(void **state)
{
    json_t *p = pod(NULL);
    json_t *c0 = json_array_get(zk_json_path(p, "spec", "containers", NULL), 0);
    json_object_set_new(c0, "readinessProbe",
                        json_pack("{s:i,s:{s:i}}", "initialDelaySeconds", 10, "tcpSocket",
                                  "port", 80));
    zk_sim_pod_plan plan;
    assert_true(step(p, T0, &plan));
    assert_string_equal(zk_json_path_str(p, "status", "phase", NULL), "Running");
    assert_string_equal(cond(p, "Ready"), "False");
    assert_string_equal(cond(p, "ContainersReady"), "False");
    assert_false(json_is_true(json_object_get(container(p, 0), "ready")));
    assert_int_equal(plan.next_ms, T0 + 10000);
    assert_false(step(p, T0 + 5000, &plan));   /* nothing to say yet */
    assert_int_equal(plan.next_ms, T0 + 10000);
    assert_true(step(p, T0 + 10000, &plan));
    assert_string_equal(cond(p, "Ready"), "True");
    assert_string_equal(cond_since(p, "Ready"), "2026-11-27T07:15:15Z");
    /* unchanged conditions keep their transition time */
    assert_string_equal(cond_since(p, "PodScheduled"), "2026-11-27T07:15:05Z");
    assert_true(json_is_true(json_object_get(container(p, 0), "ready")));
    assert_int_equal(plan.next_ms, 0);
    json_decref(p);
}

static void test_ready_annotation(void **state)
{
    json_t *p = pod(NULL);
    zk_sim_pod_plan plan;
    annotate(p, ZK_SIM_READY_ANNOTATION, "false");
    assert_true(step(p, T0, &plan));
    assert_string_equal(zk_json_path_str(p, "status", "phase", NULL), "Running");
    assert_string_equal(cond(p, "Ready"), "False");
    assert_int_equal(plan.next_ms, 0);   /* only the annotation changes it */
    annotate(p, ZK_SIM_READY_ANNOTATION, "true");
    assert_true(step(p, T0 + 3000, &plan));
    assert_string_equal(cond(p, "Ready"), "True");
    assert_string_equal(cond_since(p, "Ready"), "2026-11-27T07:15:08Z");
    annotate(p, ZK_SIM_READY_ANNOTATION, "false");
    assert_true(step(p, T0 + 4000, &plan));
    assert_string_equal(cond(p, "Ready"), "False");
    assert_string_equal(cond(p, "ContainersReady"), "False");
    annotate(p, ZK_SIM_READY_ANNOTATION, NULL);   /* removed: ready again */
    assert_true(step(p, T0 + 5000, &plan));
    assert_string_equal(cond(p, "Ready"), "True");
    json_decref(p);
}

static void test_readiness_gates(void **state)
{
    json_t *p = pod("\"readinessGates\":[{\"conditionType\":\"example.com/lb\"}]");
    zk_sim_pod_plan plan;
    assert_true(step(p, T0, &plan));
    assert_string_equal(cond(p, "ContainersReady"), "True");
    assert_string_equal(cond(p, "Ready"), "False");
    /* another controller sets the gate */
    json_array_append_new(zk_json_path(p, "status", "conditions", NULL),
                          json_pack("{s:s,s:s}", "type", "example.com/lb", "status", "True"));
    assert_true(step(p, T0 + 1000, &plan));
    assert_string_equal(cond(p, "Ready"), "True");
    assert_string_equal(cond(p, "example.com/lb"), "True");   /* left alone */
    json_decref(p);
}

static void test_complete_after(void **state)
{
    json_t *p = pod("\"restartPolicy\":\"Never\"");
    annotate(p, ZK_SIM_COMPLETE_ANNOTATION, "5s");
    zk_sim_pod_plan plan;
    assert_true(step(p, T0, &plan));
    assert_int_equal(plan.next_ms, T0 + 5000);
    assert_false(step(p, T0 + 4999, &plan));
    assert_true(step(p, T0 + 5000, &plan));
    assert_true(plan.terminal);
    assert_int_equal(plan.next_ms, 0);
    assert_string_equal(zk_json_path_str(p, "status", "phase", NULL), "Succeeded");
    assert_string_equal(cond(p, "Ready"), "False");
    assert_string_equal(cond(p, "PodReadyToStartContainers"), "False");
    json_t *t = zk_json_path(container(p, 0), "state", "terminated", NULL);
    assert_int_equal(zk_json_int(t, "exitCode", -1), 0);
    assert_string_equal(zk_json_str(t, "reason"), "Completed");
    assert_string_equal(zk_json_str(t, "finishedAt"), "2026-11-27T07:15:10Z");
    assert_int_equal(zk_sim_pod_step_of(p), ZK_SIM_POD_IGNORE);
    json_decref(p);

    /* restartPolicy Always (the default): never ends */
    p = pod(NULL);
    annotate(p, ZK_SIM_COMPLETE_ANNOTATION, "5s");
    assert_true(step(p, T0, &plan));
    assert_int_equal(plan.next_ms, 0);
    assert_false(step(p, T0 + 3600000, &plan));
    assert_string_equal(zk_json_path_str(p, "status", "phase", NULL), "Running");
    json_decref(p);
}

static void test_fail_after(void **state)
{
    json_t *p = pod("\"restartPolicy\":\"Never\"");
    annotate(p, ZK_SIM_FAIL_ANNOTATION, "2s");
    annotate(p, ZK_SIM_COMPLETE_ANNOTATION, "3s");   /* the earlier wins */
    zk_sim_pod_plan plan;
    assert_true(step(p, T0, &plan));
    assert_int_equal(plan.next_ms, T0 + 2000);
    assert_true(step(p, T0 + 2500, &plan));
    assert_true(plan.terminal);
    assert_string_equal(zk_json_path_str(p, "status", "phase", NULL), "Failed");
    json_t *t = zk_json_path(container(p, 0), "state", "terminated", NULL);
    assert_int_equal(zk_json_int(t, "exitCode", -1), 1);
    assert_string_equal(zk_json_str(t, "reason"), "Error");
    json_decref(p);

    /* OnFailure: the container restarts instead, every period */
    p = pod("\"restartPolicy\":\"OnFailure\"");
    annotate(p, ZK_SIM_FAIL_ANNOTATION, "1s");
    assert_true(step(p, T0, &plan));
    assert_int_equal(plan.next_ms, T0 + 1000);
    assert_true(step(p, T0 + 2500, &plan));
    assert_false(plan.terminal);
    assert_string_equal(zk_json_path_str(p, "status", "phase", NULL), "Running");
    json_t *c = container(p, 0);
    assert_int_equal(zk_json_int(c, "restartCount", -1), 2);
    assert_string_equal(zk_json_path_str(c, "state", "running", "startedAt", NULL),
                        "2026-11-27T07:15:07Z");
    assert_int_equal(zk_json_int(zk_json_path(c, "lastState", "terminated", NULL), "exitCode", -1),
                     1);
    assert_int_equal(plan.next_ms, T0 + 3000);
    json_decref(p);
}

static void test_bad_annotation_is_reported_and_ignored(void **state)
{
    json_t *p = pod("\"restartPolicy\":\"Never\"");
    annotate(p, ZK_SIM_COMPLETE_ANNOTATION, "soon");
    zk_sim_pod_plan plan;
    assert_true(step(p, T0, &plan));
    assert_string_equal(plan.bad_annotation, ZK_SIM_COMPLETE_ANNOTATION);
    assert_int_equal(plan.next_ms, 0);
    assert_string_equal(zk_json_path_str(p, "status", "phase", NULL), "Running");
    json_decref(p);
}

static void test_init_containers_and_sidecars(void **state)
{
    json_t *p = pod("\"initContainers\":[{\"name\":\"setup\",\"image\":\"busybox\"},"
                    "{\"name\":\"proxy\",\"image\":\"envoy\",\"restartPolicy\":\"Always\","
                    "\"readinessProbe\":{\"initialDelaySeconds\":2}}]");
    zk_sim_pod_plan plan;
    assert_true(step(p, T0, &plan));
    json_t *inits = zk_json_path(p, "status", "initContainerStatuses", NULL);
    assert_int_equal(json_array_size(inits), 2);
    json_t *setup = json_array_get(inits, 0), *proxy = json_array_get(inits, 1);
    assert_string_equal(zk_json_path_str(setup, "state", "terminated", "reason", NULL),
                        "Completed");
    assert_true(json_is_true(json_object_get(setup, "ready")));
    assert_non_null(zk_json_path(proxy, "state", "running", NULL));
    /* the sidecar's readiness holds the pod back */
    assert_string_equal(cond(p, "Ready"), "False");
    assert_int_equal(plan.next_ms, T0 + 2000);
    assert_true(step(p, T0 + 2000, &plan));
    assert_string_equal(cond(p, "Ready"), "True");
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_start_runs_and_readies_a_plain_pod),
        cmocka_unit_test(test_readiness_probe_delays_ready),
        cmocka_unit_test(test_ready_annotation),
        cmocka_unit_test(test_readiness_gates),
        cmocka_unit_test(test_complete_after),
        cmocka_unit_test(test_fail_after),
        cmocka_unit_test(test_bad_annotation_is_reported_and_ignored),
        cmocka_unit_test(test_init_containers_and_sidecars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
