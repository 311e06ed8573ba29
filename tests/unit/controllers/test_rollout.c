/* Unit tests of the Deployment rollout arithmetic and the ReplicaSet's
 * choice of pods to delete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "controllers/internal.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", text, e.text);
    return j;
}

static void test_int_or_percent(void **state)
{
    json_t *v = J("\"25%\"");
    assert_int_equal(zk_ctl_int_or_percent(v, 10, true, 0), 3);    /* 2.5 up */
    assert_int_equal(zk_ctl_int_or_percent(v, 10, false, 0), 2);   /* 2.5 down */
    assert_int_equal(zk_ctl_int_or_percent(v, 4, false, 0), 1);
    json_decref(v);
    v = J("3");
    assert_int_equal(zk_ctl_int_or_percent(v, 10, true, 0), 3);
    json_decref(v);
    v = J("\"abc\"");
    assert_int_equal(zk_ctl_int_or_percent(v, 10, true, 0), -1);
    json_decref(v);
    v = J("\"10\"");   /* a string without % is not a percentage */
    assert_int_equal(zk_ctl_int_or_percent(v, 10, true, 0), -1);
    json_decref(v);
    assert_int_equal(zk_ctl_int_or_percent(NULL, 10, true, 7), 7);
}

static void test_rolling_params(void **state)
{
    int64_t s, u;
    json_t *d = J("{\"spec\":{\"replicas\":10}}");   /* 25% / 25% */
    zk_ctl_rolling_params(d, &s, &u);
    assert_int_equal(s, 3);
    assert_int_equal(u, 2);
    json_decref(d);
    d = J("{\"spec\":{\"replicas\":3,\"strategy\":{\"rollingUpdate\":{\"maxSurge\":0,"
          "\"maxUnavailable\":0}}}}");
    zk_ctl_rolling_params(d, &s, &u);
    assert_int_equal(s, 0);
    assert_int_equal(u, 1);   /* both zero: one may be unavailable */
    json_decref(d);
    d = J("{\"spec\":{\"replicas\":4,\"strategy\":{\"rollingUpdate\":{\"maxSurge\":\"50%\","
          "\"maxUnavailable\":\"10%\"}}}}");
    zk_ctl_rolling_params(d, &s, &u);
    assert_int_equal(s, 2);
    assert_int_equal(u, 0);
    json_decref(d);
}

static void test_new_replicas(void **state)
{
    /* 6 wanted, surge 1: 6 old running, new at 0 -> 1 */
    assert_int_equal(zk_ctl_rolling_new_replicas(6, 1, 6, 0), 1);
    /* already at replicas + surge: no more */
    assert_int_equal(zk_ctl_rolling_new_replicas(6, 1, 7, 1), 1);
    /* room for 3 but only 2 left to want */
    assert_int_equal(zk_ctl_rolling_new_replicas(6, 3, 6, 4), 6);
    /* fresh deployment: all at once up to replicas */
    assert_int_equal(zk_ctl_rolling_new_replicas(10, 3, 0, 0), 10);
}

static void test_max_scale_down(void **state)
{
    /* 6 wanted, 1 unavailable allowed, 7 pods, new has 1 not yet available */
    assert_int_equal(zk_ctl_rolling_max_scale_down(6, 1, 7, 1), 1);
    /* nothing may go while the new ones are not available */
    assert_int_equal(zk_ctl_rolling_max_scale_down(6, 1, 7, 2), 0);
    assert_int_equal(zk_ctl_rolling_max_scale_down(6, 0, 6, 0), 0);
    assert_int_equal(zk_ctl_rolling_max_scale_down(4, 4, 4, 0), 4);   /* Recreate-like */
}

static void test_template_hash(void **state)
{
    json_t *a = J("{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
                  "[{\"name\":\"c\",\"image\":\"nginx:1\"}]}}");
    json_t *b = J("{\"spec\":{\"containers\":[{\"image\":\"nginx:1\",\"name\":\"c\"}]},"
                  "\"metadata\":{\"labels\":{\"app\":\"web\"}}}");
    json_t *c = J("{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
                  "[{\"name\":\"c\",\"image\":\"nginx:2\"}]}}");
    char ha[16], hb[16], hc[16], hcoll[16];
    zk_ctl_template_hash(a, 0, ha, sizeof(ha));
    zk_ctl_template_hash(b, 0, hb, sizeof(hb));
    zk_ctl_template_hash(c, 0, hc, sizeof(hc));
    zk_ctl_template_hash(a, 1, hcoll, sizeof(hcoll));
    assert_string_equal(ha, hb);          /* key order does not matter */
    assert_string_not_equal(ha, hc);      /* the image does */
    assert_string_not_equal(ha, hcoll);   /* so does the collision count */
    assert_true(strlen(ha) > 0);
    for (const char *p = ha; *p; p++)
        assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", *p));
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static void test_delete_order(void **state)
{
    json_t *pods[5];
    pods[0] = J("{\"metadata\":{\"name\":\"ready-old\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
                "\"spec\":{\"nodeName\":\"n\"},\"status\":{\"phase\":\"Running\",\"conditions\":"
                "[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"2026-01-01T00:00:10Z\"}]}}");
    pods[1] = J("{\"metadata\":{\"name\":\"unscheduled\"},\"spec\":{},\"status\":{\"phase\":\"Pending\"}}");
    pods[2] = J("{\"metadata\":{\"name\":\"pending\"},\"spec\":{\"nodeName\":\"n\"},"
                "\"status\":{\"phase\":\"Pending\"}}");
    pods[3] = J("{\"metadata\":{\"name\":\"running-unready\"},\"spec\":{\"nodeName\":\"n\"},"
                "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}");
    pods[4] = J("{\"metadata\":{\"name\":\"ready-new\",\"creationTimestamp\":\"2026-01-02T00:00:00Z\"},"
                "\"spec\":{\"nodeName\":\"n\"},\"status\":{\"phase\":\"Running\",\"conditions\":"
                "[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"2026-01-02T00:00:10Z\"}]}}");
    qsort(pods, 5, sizeof(pods[0]), zk_ctl_pod_delete_order);
    const char *want[] = {"unscheduled", "pending", "running-unready", "ready-new", "ready-old"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(json_string_value(json_object_get(json_object_get(pods[i], "metadata"),
                                                              "name")),
                            want[i]);
        json_decref(pods[i]);
    }
}

static void test_pod_from_template(void **state)
{
    json_t *owner = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":"
                      "{\"name\":\"web-abc\",\"namespace\":\"ns1\",\"uid\":\"u-1\"}}");
    json_t *tmpl = J("{\"metadata\":{\"labels\":{\"app\":\"web\"},\"annotations\":{\"a\":\"b\"}},"
                     "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
    json_t *pod = zk_ctl_pod_from_template(owner, tmpl, "web-abc-");
    assert_string_equal(zk_json_path_str(pod, "metadata", "generateName", NULL), "web-abc-");
    assert_string_equal(zk_json_path_str(pod, "metadata", "namespace", NULL), "ns1");
    assert_string_equal(zk_json_path_str(pod, "metadata", "labels", "app", NULL), "web");
    json_t *ref = json_array_get(zk_json_path(pod, "metadata", "ownerReferences", NULL), 0);
    assert_string_equal(zk_json_str(ref, "uid"), "u-1");
    assert_string_equal(zk_json_str(ref, "kind"), "ReplicaSet");
    assert_true(json_is_true(json_object_get(ref, "controller")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(
                            zk_json_path(pod, "spec", "containers", NULL), 0), "image")),
                        "nginx");
    json_decref(pod);
    json_decref(owner);
    json_decref(tmpl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_or_percent), cmocka_unit_test(test_rolling_params),
        cmocka_unit_test(test_new_replicas),   cmocka_unit_test(test_max_scale_down),
        cmocka_unit_test(test_template_hash),  cmocka_unit_test(test_delete_order),
        cmocka_unit_test(test_pod_from_template),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
