/* The node lifecycle controller's pure parts: tolerations against taints,
 * eviction timing, taints from conditions, zone disruption, Unknown status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/internal.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad test JSON: %s: %s", e.text, text);
    return j;
}

static void test_parse_duration(void **state)
{
    assert_int_equal(zk_ctl_parse_duration_ms("40s"), 40000);
    assert_int_equal(zk_ctl_parse_duration_ms("500ms"), 500);
    assert_int_equal(zk_ctl_parse_duration_ms("2m"), 120000);
    assert_int_equal(zk_ctl_parse_duration_ms("1m30s"), 90000);
    assert_int_equal(zk_ctl_parse_duration_ms("1.5s"), 1500);
    assert_int_equal(zk_ctl_parse_duration_ms("7"), 7000);
    assert_int_equal(zk_ctl_parse_duration_ms(""), -1);
    assert_int_equal(zk_ctl_parse_duration_ms("abc"), -1);
    assert_int_equal(zk_ctl_parse_duration_ms("5x"), -1);
    assert_int_equal(zk_ctl_parse_duration_ms("-3s"), -1);
}

static void test_tolerates(void **state)
{
    zk_autojson json_t *taint =
        js("{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\"}");
    zk_autojson json_t *valued = js("{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoSchedule\"}");
    static const struct {
        const char *tol;
        bool on_taint, on_valued;
    } cases[] = {
        {"{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}", true, false},
        {"{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\"}", true, false},
        {"{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}", false, false},
        {"{\"operator\":\"Exists\"}", true, true},
        {"{\"key\":\"\",\"operator\":\"Equal\"}", false, false},
        {"{\"key\":\"dedicated\",\"value\":\"db\"}", false, true},
        {"{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"web\"}", false, false},
        {"{\"key\":\"dedicated\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}", false, true},
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_autojson json_t *tol = js(cases[i].tol);
        if (zk_ctl_tolerates(tol, taint) != cases[i].on_taint)
            fail_msg("%s on the unreachable taint: want %d", cases[i].tol, cases[i].on_taint);
        if (zk_ctl_tolerates(tol, valued) != cases[i].on_valued)
            fail_msg("%s on dedicated=db: want %d", cases[i].tol, cases[i].on_valued);
    }
}

static void test_eviction_time(void **state)
{
    /* unreachable since t=1000, a user's NoExecute taint since t=2000, a
     * NoSchedule taint that eviction ignores */
    zk_autojson json_t *taints = js(
        "[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\","
        "\"timeAdded\":\"1970-01-01T00:16:40Z\"},"
        "{\"key\":\"maint\",\"effect\":\"NoExecute\",\"timeAdded\":\"1970-01-01T00:33:20Z\"},"
        "{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\"}]");
    /* tolerates nothing: at once */
    zk_autojson json_t *none = js("[]");
    assert_int_equal(zk_ctl_eviction_time(taints, none), 0);
    assert_int_equal(zk_ctl_eviction_time(taints, NULL), 0);
    /* tolerates one of the two NoExecute taints only: at once */
    zk_autojson json_t *one = js(
        "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":"
        "\"NoExecute\",\"tolerationSeconds\":300}]");
    assert_int_equal(zk_ctl_eviction_time(taints, one), 0);
    /* both, one for 300 s and one for 60 s: the earlier end wins */
    zk_autojson json_t *both = js(
        "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":"
        "\"NoExecute\",\"tolerationSeconds\":300},"
        "{\"key\":\"maint\",\"operator\":\"Exists\",\"tolerationSeconds\":60}]");
    assert_int_equal(zk_ctl_eviction_time(taints, both), 1300);   /* 1000+300 < 2000+60 */
    zk_autojson json_t *both2 = js(
        "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":"
        "\"NoExecute\",\"tolerationSeconds\":3000},"
        "{\"key\":\"maint\",\"operator\":\"Exists\",\"tolerationSeconds\":60}]");
    assert_int_equal(zk_ctl_eviction_time(taints, both2), 2060);
    /* tolerating everything for ever: never */
    zk_autojson json_t *all = js("[{\"operator\":\"Exists\"}]");
    assert_int_equal(zk_ctl_eviction_time(taints, all), ZK_CTL_NEVER);
    /* for ever on one, 10 s on the other */
    zk_autojson json_t *mixed = js(
        "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\"},"
        "{\"key\":\"maint\",\"operator\":\"Exists\",\"tolerationSeconds\":10}]");
    assert_int_equal(zk_ctl_eviction_time(taints, mixed), 2010);
    /* the first toleration that matches is the one used, and negative
     * seconds mean none */
    zk_autojson json_t *first = js(
        "[{\"operator\":\"Exists\",\"tolerationSeconds\":-5},"
        "{\"key\":\"maint\",\"operator\":\"Exists\"}]");
    assert_int_equal(zk_ctl_eviction_time(taints, first), 1000);
    /* no NoExecute taint: never */
    zk_autojson json_t *soft = js("[{\"key\":\"a\",\"effect\":\"NoSchedule\"},"
                                  "{\"key\":\"b\",\"effect\":\"PreferNoSchedule\"}]");
    assert_int_equal(zk_ctl_eviction_time(soft, none), ZK_CTL_NEVER);
}

static void test_zone_state(void **state)
{
    assert_int_equal(zk_ctl_zone_state(0, 1), ZK_CTL_ZONE_FULL);
    assert_int_equal(zk_ctl_zone_state(0, 0), ZK_CTL_ZONE_NORMAL);
    assert_int_equal(zk_ctl_zone_state(1, 1), ZK_CTL_ZONE_NORMAL);
    assert_int_equal(zk_ctl_zone_state(1, 2), ZK_CTL_ZONE_NORMAL);     /* not more than 2 */
    assert_int_equal(zk_ctl_zone_state(2, 3), ZK_CTL_ZONE_PARTIAL);    /* 60% */
    assert_int_equal(zk_ctl_zone_state(10, 3), ZK_CTL_ZONE_NORMAL);    /* 23% */
    assert_int_equal(zk_ctl_zone_state(45, 55), ZK_CTL_ZONE_PARTIAL);  /* 55% exactly */
}

static json_t *node_with(const char *ready, const char *taints, bool unschedulable)
{
    json_t *n = json_pack("{s:{s:s},s:{s:b},s:{s:[{s:s,s:s}]}}", "metadata", "name", "n1",
                          "spec", "unschedulable", unschedulable, "status", "conditions", "type",
                          "Ready", "status", ready);
    if (taints)
        json_object_set_new(json_object_get(n, "spec"), "taints", js(taints));
    return n;
}

static bool has(const json_t *taints, const char *key, const char *effect)
{
    size_t i;
    json_t *t;
    json_array_foreach(taints, i, t) if (!strcmp(zk_json_str(t, "key"), key) &&
                                         !strcmp(zk_json_str(t, "effect"), effect)) return true;
    return false;
}

static void test_node_taints(void **state)
{
    const char *now = "2026-01-01T00:00:00Z";
    /* unreachable: NoSchedule and NoExecute, stamped */
    zk_autojson json_t *n1 = node_with("Unknown", NULL, false);
    zk_autojson json_t *t1 = zk_ctl_node_taints(n1, ZK_CTL_TAINT_ADD, now);
    assert_non_null(t1);
    assert_int_equal(json_array_size(t1), 2);
    assert_true(has(t1, "node.kubernetes.io/unreachable", "NoSchedule"));
    assert_true(has(t1, "node.kubernetes.io/unreachable", "NoExecute"));
    assert_string_equal(zk_json_str(json_array_get(t1, 1), "timeAdded"), now);
    /* when NoExecute taints may not be added (disruption), only NoSchedule */
    zk_autojson json_t *t1k = zk_ctl_node_taints(n1, ZK_CTL_TAINT_KEEP, now);
    assert_int_equal(json_array_size(t1k), 1);
    assert_true(has(t1k, "node.kubernetes.io/unreachable", "NoSchedule"));

    /* already tainted as wanted: no change */
    zk_autojson json_t *n2 = node_with(
        "Unknown",
        "[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\"},"
        "{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\"},"
        "{\"key\":\"team\",\"value\":\"a\",\"effect\":\"NoExecute\"}]",
        false);
    assert_null(zk_ctl_node_taints(n2, ZK_CTL_TAINT_ADD, now));
    assert_null(zk_ctl_node_taints(n2, ZK_CTL_TAINT_KEEP, now));
    /* every node down: ours go, a user's NoExecute taint stays */
    zk_autojson json_t *t2 = zk_ctl_node_taints(n2, ZK_CTL_TAINT_REMOVE, now);
    assert_int_equal(json_array_size(t2), 2);
    assert_false(has(t2, "node.kubernetes.io/unreachable", "NoExecute"));
    assert_true(has(t2, "team", "NoExecute"));

    /* Ready False while unreachable-tainted: swapped to not-ready */
    zk_autojson json_t *n3 = node_with(
        "False",
        "[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\"},"
        "{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\"}]",
        false);
    zk_autojson json_t *t3 = zk_ctl_node_taints(n3, ZK_CTL_TAINT_ADD, now);
    assert_int_equal(json_array_size(t3), 2);
    assert_true(has(t3, "node.kubernetes.io/not-ready", "NoSchedule"));
    assert_true(has(t3, "node.kubernetes.io/not-ready", "NoExecute"));
    /* ... even where no new NoExecute taint may be added */
    zk_autojson json_t *t3k = zk_ctl_node_taints(n3, ZK_CTL_TAINT_KEEP, now);
    assert_int_equal(json_array_size(t3k), 2);
    assert_true(has(t3k, "node.kubernetes.io/not-ready", "NoExecute"));

    /* back to Ready: ours go; cordoned: the unschedulable taint */
    zk_autojson json_t *n4 = node_with(
        "True",
        "[{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoExecute\"},"
        "{\"key\":\"gpu\",\"effect\":\"NoSchedule\"}]",
        true);
    zk_autojson json_t *t4 = zk_ctl_node_taints(n4, ZK_CTL_TAINT_ADD, now);
    assert_int_equal(json_array_size(t4), 2);
    assert_true(has(t4, "gpu", "NoSchedule"));
    assert_true(has(t4, "node.kubernetes.io/unschedulable", "NoSchedule"));

    /* pressure conditions */
    zk_autojson json_t *n5 = node_with("True", NULL, false);
    json_array_append_new(zk_json_path(n5, "status", "conditions", NULL),
                          js("{\"type\":\"MemoryPressure\",\"status\":\"True\"}"));
    json_array_append_new(zk_json_path(n5, "status", "conditions", NULL),
                          js("{\"type\":\"DiskPressure\",\"status\":\"False\"}"));
    zk_autojson json_t *t5 = zk_ctl_node_taints(n5, ZK_CTL_TAINT_ADD, now);
    assert_int_equal(json_array_size(t5), 1);
    assert_true(has(t5, "node.kubernetes.io/memory-pressure", "NoSchedule"));
    /* a healthy node without taints: nothing to do */
    zk_autojson json_t *n6 = node_with("True", NULL, false);
    assert_null(zk_ctl_node_taints(n6, ZK_CTL_TAINT_ADD, now));
}

static void test_mark_unknown(void **state)
{
    zk_autojson json_t *n = js(
        "{\"metadata\":{\"name\":\"n1\",\"creationTimestamp\":\"2025-12-31T00:00:00Z\"},"
        "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":"
        "\"KubeletReady\",\"lastHeartbeatTime\":\"2025-12-31T23:59:00Z\",\"lastTransitionTime\":"
        "\"2025-12-31T00:00:00Z\"},{\"type\":\"NetworkUnavailable\",\"status\":\"False\"}]}}");
    assert_true(zk_ctl_node_mark_unknown(n, "2026-01-01T00:00:00Z"));
    json_t *st = json_object_get(n, "status");
    json_t *ready = zk_ctl_get_condition(st, "Ready");
    assert_string_equal(zk_json_str(ready, "status"), "Unknown");
    assert_string_equal(zk_json_str(ready, "reason"), "NodeStatusUnknown");
    assert_string_equal(zk_json_str(ready, "message"), "Kubelet stopped posting node status.");
    assert_string_equal(zk_json_str(ready, "lastTransitionTime"), "2026-01-01T00:00:00Z");
    /* the heartbeat is left as the node last posted it */
    assert_string_equal(zk_json_str(ready, "lastHeartbeatTime"), "2025-12-31T23:59:00Z");
    json_t *mem = zk_ctl_get_condition(st, "MemoryPressure");
    assert_string_equal(zk_json_str(mem, "status"), "Unknown");
    assert_string_equal(zk_json_str(mem, "reason"), "NodeStatusNeverUpdated");
    assert_string_equal(zk_json_str(mem, "message"), "Kubelet never posted node status.");
    assert_non_null(zk_ctl_get_condition(st, "DiskPressure"));
    assert_non_null(zk_ctl_get_condition(st, "PIDPressure"));
    /* NetworkUnavailable is not the node's to report here */
    assert_string_equal(zk_json_str(zk_ctl_get_condition(st, "NetworkUnavailable"), "status"),
                        "False");
    /* a second time: nothing changes */
    assert_false(zk_ctl_node_mark_unknown(n, "2026-01-01T00:01:00Z"));
    assert_string_equal(zk_json_str(ready, "lastTransitionTime"), "2026-01-01T00:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_tolerates),
        cmocka_unit_test(test_eviction_time),
        cmocka_unit_test(test_zone_state),
        cmocka_unit_test(test_node_taints),
        cmocka_unit_test(test_mark_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
