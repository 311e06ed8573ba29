/* Node and Lease objects of simulated nodes, and node templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/time.h"
#include "sim/node.h"

#define NOW 1795763705LL   /* 2026-11-27T07:15:05Z */

static void test_addresses(void **state)
{
    char ip[20], cidr[32];
    zk_sim_node_ip(0, ip, sizeof(ip));
    assert_string_equal(ip, "10.200.0.1");
    zk_sim_node_ip(255, ip, sizeof(ip));
    assert_string_equal(ip, "10.200.1.0");
    zk_sim_node_ip(ZK_SIM_MAX_NODES - 1, ip, sizeof(ip));
    assert_string_equal(ip, "10.200.64.0");
    zk_sim_node_cidr(0, cidr, sizeof(cidr));
    assert_string_equal(cidr, "10.128.0.0/24");
    zk_sim_node_cidr(257, cidr, sizeof(cidr));
    assert_string_equal(cidr, "10.129.1.0/24");
    /* the last node's /24 is still inside 10.128.0.0/10 */
    zk_sim_node_cidr(ZK_SIM_MAX_NODES - 1, cidr, sizeof(cidr));
    assert_string_equal(cidr, "10.191.255.0/24");
}

static const char *cond_status(const json_t *node, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(zk_json_path(node, "status", "conditions", NULL), i, c) {
        if (!strcmp(zk_json_str(c, "type"), type))
            return zk_json_str(c, "status");
    }
    return NULL;
}

static void test_default_node(void **state)
{
    json_t *n = zk_sim_node_build(NULL, "sim-7", 7, NOW);
    assert_string_equal(zk_json_str(n, "kind"), "Node");
    assert_string_equal(zk_json_path_str(n, "metadata", "name", NULL), "sim-7");
    json_t *labels = zk_json_path(n, "metadata", "labels", NULL);
    assert_string_equal(zk_json_str(labels, "kubernetes.io/hostname"), "sim-7");
    assert_string_equal(zk_json_str(labels, "kubernetes.io/os"), "linux");
    assert_string_equal(zk_json_str(labels, "kubernetes.io/arch"), "amd64");
    assert_string_equal(zk_json_str(labels, ZK_SIM_LABEL), "true");
    assert_null(zk_json_path(n, "spec", "taints", NULL));
    assert_string_equal(zk_json_path_str(n, "spec", "podCIDR", NULL), "10.128.7.0/24");
    static const char *const res[] = {"capacity", "allocatable"};
    for (int i = 0; i < 2; i++) {
        json_t *r = zk_json_path(n, "status", res[i], NULL);
        assert_string_equal(zk_json_str(r, "cpu"), "32");
        assert_string_equal(zk_json_str(r, "memory"), "256Gi");
        assert_string_equal(zk_json_str(r, "pods"), "110");
    }
    json_t *addr = zk_json_path(n, "status", "addresses", NULL);
    assert_string_equal(zk_json_str(json_array_get(addr, 0), "type"), "InternalIP");
    assert_string_equal(zk_json_str(json_array_get(addr, 0), "address"), "10.200.0.8");
    assert_string_equal(zk_json_path_str(n, "status", "nodeInfo", "kubeletVersion", NULL),
                        ZK_SIM_KUBELET_VERSION);
    assert_string_equal(cond_status(n, "Ready"), "True");
    assert_string_equal(cond_status(n, "MemoryPressure"), "False");
    assert_string_equal(cond_status(n, "DiskPressure"), "False");
    assert_string_equal(cond_status(n, "PIDPressure"), "False");
    json_decref(n);
}

static json_t *tmpl(const char *yaml)
{
    json_t *t = NULL;
    zk_err err = {0};
    if (zk_sim_node_template_parse(yaml, strlen(yaml), &t, &err) < 0)
        fail_msg("template: %s", err.msg);
    return t;
}

static void test_template_merge(void **state)
{
    json_t *t = tmpl("apiVersion: v1\n"
                     "kind: Node\n"
                     "metadata:\n"
                     "  name: ignored\n"
                     "  generateName: gpu-\n"
                     "  labels:\n"
                     "    pool: gpu\n"
                     "    kubernetes.io/arch: null\n"
                     "    kubernetes.io/hostname: not-this\n"
                     "    zke.io/sim: \"false\"\n"
                     "  annotations: {team: ml}\n"
                     "spec:\n"
                     "  taints:\n"
                     "  - {key: gpu, value: \"true\", effect: NoSchedule}\n"
                     "status:\n"
                     "  capacity: {cpu: 4, memory: 16Gi, nvidia.com/gpu: \"2\"}\n"
                     "  conditions: [{type: Ready, status: \"False\"}]\n");
    assert_string_equal(zk_sim_node_template_prefix(t), "gpu-");
    json_t *n = zk_sim_node_build(t, "gpu-0", 0, NOW);
    assert_string_equal(zk_json_path_str(n, "metadata", "name", NULL), "gpu-0");
    json_t *labels = zk_json_path(n, "metadata", "labels", NULL);
    assert_string_equal(zk_json_str(labels, "pool"), "gpu");
    assert_null(json_object_get(labels, "kubernetes.io/arch"));   /* null removed it */
    assert_string_equal(zk_json_str(labels, "kubernetes.io/os"), "linux");
    assert_string_equal(zk_json_str(labels, "kubernetes.io/hostname"), "gpu-0");
    assert_string_equal(zk_json_str(labels, ZK_SIM_LABEL), "true");
    assert_string_equal(zk_json_path_str(n, "metadata", "annotations", "team", NULL), "ml");
    assert_null(zk_json_path(n, "metadata", "generateName", NULL));
    json_t *taints = zk_json_path(n, "spec", "taints", NULL);
    assert_int_equal(json_array_size(taints), 1);
    assert_string_equal(zk_json_str(json_array_get(taints, 0), "effect"), "NoSchedule");
    /* capacity merges over the defaults; allocatable follows it */
    static const char *const res[] = {"capacity", "allocatable"};
    for (int i = 0; i < 2; i++) {
        json_t *r = zk_json_path(n, "status", res[i], NULL);
        assert_string_equal(zk_json_str(r, "cpu"), "4");   /* a number became a string */
        assert_string_equal(zk_json_str(r, "memory"), "16Gi");
        assert_string_equal(zk_json_str(r, "nvidia.com/gpu"), "2");
        assert_string_equal(zk_json_str(r, "pods"), "110");
    }
    /* the sim owns the conditions */
    assert_string_equal(cond_status(n, "Ready"), "True");
    json_decref(n);
    json_decref(t);

    /* an explicit allocatable is kept */
    t = tmpl("status: {capacity: {cpu: \"8\"}, allocatable: {cpu: 7500m}}\n");
    n = zk_sim_node_build(t, "x", 1, NOW);
    assert_string_equal(zk_json_path_str(n, "status", "capacity", "cpu", NULL), "8");
    assert_string_equal(zk_json_path_str(n, "status", "allocatable", "cpu", NULL), "7500m");
    assert_null(zk_sim_node_template_prefix(t));
    json_decref(n);
    json_decref(t);
}

static void test_template_errors(void **state)
{
    static const struct {
        const char *yaml, *want;
    } bad[] = {
        {"kind: Pod\n", "not Node"},
        {"- a\n- b\n", "not a Node object"},
        {"metadata: {labels: {a: [1]}}\n", "metadata.labels.a must be a string"},
        {"metadata: {labels: [a]}\n", "metadata.labels must be a map"},
        {"metadata: 5\n", "metadata must be a map"},
        {"status: {capacity: {cpu: lots}}\n", "status.capacity.cpu"},
        {"status: {capacity: {cpu: \"-1\"}}\n", "negative"},
        {"status: {allocatable: {cpu: [1]}}\n", "must be a quantity"},
        {"spec: {taints: [{key: a}]}\n", "spec.taints[0] needs a key and an effect"},
        {"spec: {taints: {key: a}}\n", "spec.taints must be a list"},
        {"status: {nodeInfo: {kubeletVersion: 1}}\n", "status.nodeInfo.kubeletVersion"},
        {"metadata: {generateName: [x]}\n", "generateName"},
        {"a: [\n", "yaml"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *t = NULL;
        zk_err err = {0};
        assert_true(zk_sim_node_template_parse(bad[i].yaml, strlen(bad[i].yaml), &t, &err) < 0);
        assert_null(t);
        if (!strstr(err.msg, bad[i].want) || !strstr(err.msg, "node template"))
            fail_msg("%s: message '%s' does not say '%s'", bad[i].yaml, err.msg, bad[i].want);
    }
    json_t *t = NULL;
    zk_err err = {0};
    assert_true(zk_sim_node_template_load("/nonexistent/node.yaml", &t, &err) < 0);
    assert_non_null(strstr(err.msg, "/nonexistent/node.yaml"));
}

static void test_conditions_keep_transition_time(void **state)
{
    json_t *cur = json_pack(
        "{s:{s:[{s:s,s:s,s:s},{s:s,s:s,s:s}]}}", "status", "conditions", "type", "Ready",
        "status", "True", "lastTransitionTime", "2026-01-01T00:00:00Z", "type", "DiskPressure",
        "status", "Unknown", "lastTransitionTime", "2026-01-01T00:00:00Z");
    json_t *c = zk_sim_node_conditions(cur, NOW);
    assert_int_equal(json_array_size(c), 4);
    size_t i;
    json_t *x;
    json_array_foreach(c, i, x) {
        const char *type = zk_json_str(x, "type");
        assert_string_equal(zk_json_str(x, "lastHeartbeatTime"), "2026-11-27T07:15:05Z");
        if (!strcmp(type, "Ready")) {
            assert_string_equal(zk_json_str(x, "reason"), "KubeletReady");
            assert_string_equal(zk_json_str(x, "lastTransitionTime"), "2026-01-01T00:00:00Z");
        } else {
            /* DiskPressure was Unknown (the node controller said so): it changes now */
            assert_string_equal(zk_json_str(x, "status"), "False");
            assert_string_equal(zk_json_str(x, "lastTransitionTime"), "2026-11-27T07:15:05Z");
        }
    }
    json_decref(c);
    json_decref(cur);
}

static void test_lease(void **state)
{
    json_t *l = zk_sim_node_lease("sim-3", "uid-3", 40, "2026-11-27T07:15:05.000001Z");
    assert_string_equal(zk_json_str(l, "apiVersion"), "coordination.k8s.io/v1");
    assert_string_equal(zk_json_path_str(l, "metadata", "namespace", NULL), ZK_SIM_LEASE_NS);
    assert_string_equal(zk_json_path_str(l, "spec", "holderIdentity", NULL), "sim-3");
    assert_int_equal(zk_json_int(json_object_get(l, "spec"), "leaseDurationSeconds", 0), 40);
    assert_string_equal(zk_json_path_str(l, "spec", "renewTime", NULL),
                        "2026-11-27T07:15:05.000001Z");
    json_t *ref = json_array_get(zk_json_path(l, "metadata", "ownerReferences", NULL), 0);
    assert_string_equal(zk_json_str(ref, "kind"), "Node");
    assert_string_equal(zk_json_str(ref, "uid"), "uid-3");
    json_decref(l);
    l = zk_sim_node_lease("sim-3", NULL, 40, "x");
    assert_null(zk_json_path(l, "metadata", "ownerReferences", NULL));
    json_decref(l);
}

static void test_pace(void **state)
{
    uint64_t done = 0;
    /* 5,000 nodes over 10 s: 500 a second, evenly */
    assert_int_equal(zk_sim_pace(0, 5000, 10000, &done), 0);
    assert_int_equal(zk_sim_pace(100, 5000, 10000, &done), 50);
    done = 50;
    assert_int_equal(zk_sim_pace(1000, 5000, 10000, &done), 500);
    done = 500;
    assert_int_equal(zk_sim_pace(10000, 5000, 10000, &done), 5000);   /* a full round */
    done = 5000;
    assert_int_equal(zk_sim_pace(10001, 5000, 10000, &done), 5000);
    /* a stall of 3 intervals: each node once, not three times */
    uint64_t due = zk_sim_pace(40000, 5000, 10000, &done);
    assert_int_equal(due, 20000);
    assert_int_equal(done, 15000);
    /* time that does not move on asks for nothing more */
    done = due;
    assert_int_equal(zk_sim_pace(40000, 5000, 10000, &done), 20000);
    assert_int_equal(done, 20000);
    /* no nodes, no interval: nothing */
    assert_int_equal(zk_sim_pace(5000, 0, 10000, &done), 20000);
    assert_int_equal(zk_sim_pace(5000, 10, 0, &done), 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_default_node),
        cmocka_unit_test(test_template_merge),
        cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_conditions_keep_transition_time),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_pace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
