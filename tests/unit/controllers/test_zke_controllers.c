/* controllers/hostgroup.c and batchrestart.c: their pure parts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "controllers/internal.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", e.text, text);
    return j;
}

static void test_hostgroup_membership(void **state)
{
    (void)state;
    json_t *groups[] = {
        js("{\"metadata\":{\"name\":\"b-ssd\"},\"spec\":{\"nodeSelector\":{\"matchLabels\":{\"disk\":\"ssd\"}},\"exclusive\":true}}"),
        js("{\"metadata\":{\"name\":\"a-named\"},\"spec\":{\"nodes\":[\"n2\"]}}"),
        js("{\"metadata\":{\"name\":\"c-empty\"},\"spec\":{\"nodeSelector\":{}}}"),
    };
    json_t *n1 = js("{\"metadata\":{\"name\":\"n1\",\"labels\":{\"disk\":\"ssd\"}},\"spec\":{}}");
    json_t *n2 = js("{\"metadata\":{\"name\":\"n2\",\"labels\":{\"disk\":\"ssd\"}},\"spec\":{}}");
    json_t *n3 = js("{\"metadata\":{\"name\":\"n3\",\"labels\":{\"zke.io/host-group\":\"b-ssd\"}},"
                    "\"spec\":{\"taints\":[{\"key\":\"zke.io/exclusive\",\"value\":\"b-ssd\","
                    "\"effect\":\"NoSchedule\"},{\"key\":\"other\",\"effect\":\"NoExecute\"}]}}");
    /* by selector; named wins a tie by name; an empty selector selects nothing */
    assert_string_equal(zk_kube_name(zk_ctl_hostgroup_of(n1, groups, 3)), "b-ssd");
    assert_string_equal(zk_kube_name(zk_ctl_hostgroup_of(n2, groups, 3)), "a-named");
    assert_null(zk_ctl_hostgroup_of(n3, groups, 3));
    assert_false(zk_ctl_hostgroup_selects(groups[2], n1));
    /* joining an exclusive group: label and taint; again: nothing to do */
    assert_true(zk_ctl_hostgroup_apply(n1, groups[0]));
    assert_string_equal(zk_json_path_str(n1, "metadata", "labels", "zke.io/host-group", NULL), "b-ssd");
    char *t = json_dumps(zk_json_path(n1, "spec", "taints", NULL), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(t, "[{\"effect\":\"NoSchedule\",\"key\":\"zke.io/exclusive\",\"value\":\"b-ssd\"}]");
    free(t);
    assert_false(zk_ctl_hostgroup_apply(n1, groups[0]));
    /* leaving: both go, other taints stay */
    assert_true(zk_ctl_hostgroup_apply(n3, NULL));
    assert_null(zk_json_path(n3, "metadata", "labels", "zke.io/host-group", NULL));
    t = json_dumps(zk_json_path(n3, "spec", "taints", NULL), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(t, "[{\"effect\":\"NoExecute\",\"key\":\"other\"}]");
    free(t);
    /* a non-exclusive group: the label only */
    assert_true(zk_ctl_hostgroup_apply(n2, groups[1]));
    assert_null(zk_json_path(n2, "spec", "taints", NULL));
    for (int i = 0; i < 3; i++)
        json_decref(groups[i]);
    json_decref(n1);
    json_decref(n2);
    json_decref(n3);
}

static void test_rollout_states(void **state)
{
    (void)state;
    const char *at = "2026-11-28T06:00:00Z";
    char why[256] = "";
    json_t *d = js("{\"metadata\":{\"generation\":3},\"spec\":{\"replicas\":2,\"template\":{\"metadata\":"
                   "{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"2026-11-28T06:00:00Z\"}}}},"
                   "\"status\":{\"observedGeneration\":3,\"replicas\":2,\"updatedReplicas\":2,"
                   "\"availableReplicas\":2}}");
    assert_int_equal(zk_ctl_rollout_state("Deployment", d, at, why, sizeof(why)), ZK_ROLLOUT_DONE);
    assert_int_equal(zk_ctl_rollout_state("Deployment", d, "2026-11-28T07:00:00Z", why, sizeof(why)),
                     ZK_ROLLOUT_NOT_STARTED);
    json_object_set_new(json_object_get(d, "status"), "availableReplicas", json_integer(1));
    assert_int_equal(zk_ctl_rollout_state("Deployment", d, at, why, sizeof(why)),
                     ZK_ROLLOUT_PROGRESSING);
    json_object_set_new(json_object_get(d, "status"), "availableReplicas", json_integer(2));
    json_object_set_new(json_object_get(d, "status"), "observedGeneration", json_integer(2));   /* not seen yet */
    assert_int_equal(zk_ctl_rollout_state("Deployment", d, at, why, sizeof(why)),
                     ZK_ROLLOUT_PROGRESSING);
    json_object_set_new(json_object_get(d, "status"), "observedGeneration", json_integer(3));
    json_object_set_new(json_object_get(d, "status"), "conditions",
                        js("[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":"
                           "\"ProgressDeadlineExceeded\",\"message\":\"ReplicaSet \\\"x\\\" has "
                           "timed out progressing.\"}]"));
    assert_int_equal(zk_ctl_rollout_state("Deployment", d, at, why, sizeof(why)), ZK_ROLLOUT_FAILED);
    assert_string_equal(why, "ReplicaSet \"x\" has timed out progressing.");
    json_decref(d);
    json_t *s = js("{\"metadata\":{\"generation\":1},\"spec\":{\"replicas\":3,\"template\":{\"metadata\":"
                   "{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"2026-11-28T06:00:00Z\"}}}},"
                   "\"status\":{\"observedGeneration\":1,\"readyReplicas\":3,\"currentRevision\":\"a\","
                   "\"updateRevision\":\"b\"}}");
    assert_int_equal(zk_ctl_rollout_state("StatefulSet", s, at, why, sizeof(why)),
                     ZK_ROLLOUT_PROGRESSING);
    zk_json_set_str(json_object_get(s, "status"), "currentRevision", "b");
    assert_int_equal(zk_ctl_rollout_state("StatefulSet", s, at, why, sizeof(why)), ZK_ROLLOUT_DONE);
    json_decref(s);
    json_t *ds = js("{\"metadata\":{\"generation\":1},\"spec\":{\"template\":{\"metadata\":"
                    "{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"2026-11-28T06:00:00Z\"}}}},"
                    "\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":3,"
                    "\"updatedNumberScheduled\":3,\"numberAvailable\":2}}");
    assert_int_equal(zk_ctl_rollout_state("DaemonSet", ds, at, why, sizeof(why)),
                     ZK_ROLLOUT_PROGRESSING);
    json_object_set_new(json_object_get(ds, "status"), "numberAvailable", json_integer(3));
    assert_int_equal(zk_ctl_rollout_state("DaemonSet", ds, at, why, sizeof(why)), ZK_ROLLOUT_DONE);
    json_decref(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostgroup_membership),
        cmocka_unit_test(test_rollout_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
