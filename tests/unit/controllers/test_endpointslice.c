/* The EndpointSlice controller's pure parts: grouping endpoints by the
 * ports their pods serve, and packing them into slices with little churn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "controllers/internal.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad test JSON: %s: %s", e.text, text);
    return j;
}

static json_t *service(bool publish)
{
    json_t *svc = js("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
                     "\"namespace\":\"default\",\"uid\":\"svc-uid\",\"labels\":{\"team\":\"a\"}},"
                     "\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":[{\"name\":\"http\","
                     "\"port\":80,\"targetPort\":\"http\",\"protocol\":\"TCP\"}]}}");
    if (publish)
        json_object_set_new(json_object_get(svc, "spec"), "publishNotReadyAddresses", json_true());
    return svc;
}

static json_t *pod(int i, bool ready, int http_port)
{
    char name[16], uid[16], ip[32];
    snprintf(name, sizeof(name), "p%d", i);
    snprintf(uid, sizeof(uid), "u%d", i);
    snprintf(ip, sizeof(ip), "10.42.%d.%d", i / 250, i % 250 + 1);
    return json_pack("{s:{s:s,s:s,s:s,s:{s:s}},s:{s:s,s:[{s:s,s:[{s:s,s:i}]}]},"
                     "s:{s:s,s:s,s:[{s:s,s:s}]}}",
                     "metadata", "name", name, "namespace", "default", "uid", uid, "labels", "app",
                     "web", "spec", "nodeName", "n1", "containers", "name", "c", "ports", "name",
                     "http", "containerPort", http_port, "status", "phase", "Running", "podIP", ip,
                     "conditions", "type", "Ready", "status", ready ? "True" : "False");
}

static const char *zone_of(void *ctx, const char *node)
{
    return !strcmp(node, "n1") ? "zone-a" : NULL;
}

/* n pods, all ready, all on 8080: one group. */
static json_t *groups_of(const json_t *svc, json_t **pods, size_t n)
{
    return zk_ctl_slice_groups(svc, pods, n, zone_of, NULL);
}

/* Turn a plan's create/update ops into the slices a server would then hold
 * (names given to creates), replacing cur. */
static size_t apply(json_t *ops, json_t **cur, size_t ncur, json_t **out, int *serial)
{
    size_t n = 0;
    for (size_t i = 0; i < ncur; i++) {
        bool gone = false, updated = false;
        size_t k;
        json_t *op;
        json_array_foreach(ops, k, op) {
            json_t *s = json_object_get(op, "slice");
            if (strcmp(zk_kube_name(s), zk_kube_name(cur[i])))
                continue;
            if (!strcmp(zk_json_str(op, "op"), "delete"))
                gone = true;
            else {
                out[n++] = json_incref(s);
                updated = true;
            }
        }
        if (!gone && !updated)
            out[n++] = json_incref(cur[i]);
    }
    size_t k;
    json_t *op;
    json_array_foreach(ops, k, op) {
        if (strcmp(zk_json_str(op, "op"), "create"))
            continue;
        json_t *s = json_deep_copy(json_object_get(op, "slice"));
        char name[32];
        snprintf(name, sizeof(name), "web-%d", (*serial)++);
        zk_json_set_str(json_object_get(s, "metadata"), "name", name);
        out[n++] = s;
    }
    return n;
}

static size_t count_ops(const json_t *ops, const char *what)
{
    size_t n = 0, i;
    json_t *op;
    json_array_foreach(ops, i, op) if (!strcmp(zk_json_str(op, "op"), what)) n++;
    return n;
}

static void free_all(json_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(v[i]);
}

static void test_groups_and_conditions(void **state)
{
    zk_autojson json_t *svc = service(false);
    json_t *pods[] = {pod(3, true, 8080), pod(1, false, 8080), pod(2, true, 8081),
                      pod(4, true, 8080)};
    zk_json_set_str(json_object_get(pods[3], "metadata"), "deletionTimestamp",
                    "2026-01-01T00:00:00Z");
    zk_autojson json_t *g = groups_of(svc, pods, 4);
    assert_int_equal(json_array_size(g), 2);   /* 8080 and 8081 */
    json_t *g8080 = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(g, i, x) {
        json_t *p = json_array_get(json_object_get(x, "ports"), 0);
        assert_string_equal(zk_json_str(p, "name"), "http");
        assert_string_equal(zk_json_str(p, "protocol"), "TCP");
        if (zk_json_int(p, "port", 0) == 8080)
            g8080 = x;
    }
    assert_non_null(g8080);
    json_t *eps = json_object_get(g8080, "endpoints");
    assert_int_equal(json_array_size(eps), 3);
    /* sorted by address: p1 (not ready), p3 (ready), p4 (terminating) */
    json_t *e1 = json_array_get(eps, 0), *e3 = json_array_get(eps, 1), *e4 = json_array_get(eps, 2);
    assert_string_equal(zk_json_path_str(e1, "targetRef", "name", NULL), "p1");
    assert_false(json_is_true(zk_json_path(e1, "conditions", "ready", NULL)));
    assert_false(json_is_true(zk_json_path(e1, "conditions", "serving", NULL)));
    assert_true(json_is_true(zk_json_path(e3, "conditions", "ready", NULL)));
    assert_true(json_is_true(zk_json_path(e3, "conditions", "serving", NULL)));
    assert_false(json_is_true(zk_json_path(e3, "conditions", "terminating", NULL)));
    assert_string_equal(zk_json_str(e3, "nodeName"), "n1");
    assert_string_equal(zk_json_str(e3, "zone"), "zone-a");
    assert_string_equal(json_string_value(json_array_get(json_object_get(e3, "addresses"), 0)),
                        "10.42.0.4");
    /* a terminating pod stays listed, serving but not ready */
    assert_false(json_is_true(zk_json_path(e4, "conditions", "ready", NULL)));
    assert_true(json_is_true(zk_json_path(e4, "conditions", "serving", NULL)));
    assert_true(json_is_true(zk_json_path(e4, "conditions", "terminating", NULL)));

    zk_autojson json_t *psvc = service(true);
    zk_autojson json_t *pg = groups_of(psvc, pods, 4);
    json_array_foreach(pg, i, x) {
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(x, "endpoints"), j, e)
            assert_true(json_is_true(zk_json_path(e, "conditions", "ready", NULL)));
    }
    free_all(pods, 4);
}

static void test_pack_new_and_stable(void **state)
{
    zk_autojson json_t *svc = service(false);
    json_t *pods[250];
    for (int i = 0; i < 250; i++)
        pods[i] = pod(i, true, 8080);
    zk_autojson json_t *g = groups_of(svc, pods, 250);
    zk_autojson json_t *ops = zk_ctl_slices_plan(svc, NULL, 0, g, 100, "2026-01-01T00:00:00Z");
    assert_int_equal(json_array_size(ops), 3);
    assert_int_equal(count_ops(ops, "create"), 3);
    size_t sizes[3], i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        json_t *s = json_object_get(op, "slice");
        sizes[i] = json_array_size(json_object_get(s, "endpoints"));
        assert_string_equal(zk_json_str(s, "addressType"), "IPv4");
        assert_string_equal(zk_json_path_str(s, "metadata", "generateName", NULL), "web-");
        assert_string_equal(
            zk_json_path_str(s, "metadata", "labels", "kubernetes.io/service-name", NULL), "web");
        assert_string_equal(zk_json_path_str(s, "metadata", "labels",
                                             "endpointslice.kubernetes.io/managed-by", NULL),
                            "endpointslice-controller.k8s.io");
        assert_string_equal(zk_json_path_str(s, "metadata", "labels", "team", NULL), "a");
        json_t *ref = json_array_get(zk_json_path(s, "metadata", "ownerReferences", NULL), 0);
        assert_string_equal(zk_json_str(ref, "uid"), "svc-uid");
        assert_true(zk_json_bool(ref, "controller", false));
        assert_string_equal(zk_json_path_str(s, "metadata", "annotations",
                                             "endpoints.kubernetes.io/last-change-trigger-time",
                                             NULL),
                            "2026-01-01T00:00:00Z");
    }
    assert_int_equal(sizes[0] + sizes[1] + sizes[2], 250);
    assert_true(sizes[0] <= 100 && sizes[1] <= 100 && sizes[2] <= 100);

    /* planning again over what was written changes nothing */
    json_t *cur[8];
    int serial = 0;
    size_t n = apply(ops, NULL, 0, cur, &serial);
    assert_int_equal(n, 3);
    zk_autojson json_t *again = zk_ctl_slices_plan(svc, cur, n, g, 100, "2026-01-02T00:00:00Z");
    assert_int_equal(json_array_size(again), 0);
    free_all(cur, n);
    free_all(pods, 250);
}

static void test_minimal_churn(void **state)
{
    zk_autojson json_t *svc = service(false);
    json_t *pods[300];
    for (int i = 0; i < 300; i++)
        pods[i] = pod(i, true, 8080);
    /* 250 endpoints in 3 slices */
    zk_autojson json_t *g = groups_of(svc, pods, 250);
    zk_autojson json_t *ops = zk_ctl_slices_plan(svc, NULL, 0, g, 100, NULL);
    json_t *cur[8], *next[8];
    int serial = 0;
    size_t n = apply(ops, NULL, 0, cur, &serial);

    /* one pod becomes not ready: only the slice holding it is written */
    zk_json_set_str(json_array_get(zk_json_path(pods[7], "status", "conditions", NULL), 0),
                    "status", "False");
    zk_autojson json_t *g2 = groups_of(svc, pods, 250);
    zk_autojson json_t *ops2 = zk_ctl_slices_plan(svc, cur, n, g2, 100, NULL);
    assert_int_equal(json_array_size(ops2), 1);
    assert_int_equal(count_ops(ops2, "update"), 1);
    json_t *upd = json_object_get(json_array_get(ops2, 0), "slice");
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(upd, "endpoints"), i, e) {
        if (!strcmp(zk_json_path_str(e, "targetRef", "name", NULL), "p7")) {
            found = true;
            assert_false(json_is_true(zk_json_path(e, "conditions", "ready", NULL)));
        }
    }
    assert_true(found);
    size_t n2 = apply(ops2, cur, n, next, &serial);
    free_all(cur, n);
    memcpy(cur, next, n2 * sizeof(*cur));
    n = n2;

    /* one pod goes and another comes: the newcomer takes the freed place
     * in the slice being written anyway, and no slice is created */
    json_t *sel[250];
    for (int k = 0; k < 250; k++)
        sel[k] = pods[k == 10 ? 260 : k];
    zk_autojson json_t *g3 = groups_of(svc, sel, 250);
    zk_autojson json_t *ops3 = zk_ctl_slices_plan(svc, cur, n, g3, 100, NULL);
    assert_int_equal(json_array_size(ops3), 1);
    assert_int_equal(count_ops(ops3, "update"), 1);
    n2 = apply(ops3, cur, n, next, &serial);
    free_all(cur, n);
    memcpy(cur, next, n2 * sizeof(*cur));
    n = n2;

    /* a new pod while nothing else changes goes into an unchanged slice
     * with room (the 50-endpoint one), not into a new slice */
    json_t *sel4[251];
    memcpy(sel4, sel, sizeof(sel));
    sel4[250] = pods[270];
    zk_autojson json_t *g4 = groups_of(svc, sel4, 251);
    zk_autojson json_t *ops4 = zk_ctl_slices_plan(svc, cur, n, g4, 100, NULL);
    assert_int_equal(json_array_size(ops4), 1);
    assert_int_equal(count_ops(ops4, "update"), 1);
    assert_int_equal(json_array_size(json_object_get(json_object_get(json_array_get(ops4, 0),
                                                                     "slice"),
                                                     "endpoints")),
                     51);
    n2 = apply(ops4, cur, n, next, &serial);
    free_all(cur, n);
    memcpy(cur, next, n2 * sizeof(*cur));
    n = n2;

    /* every endpoint gone: the slices go, one empty placeholder is made */
    zk_autojson json_t *none = json_array();
    zk_autojson json_t *ops5 = zk_ctl_slices_plan(svc, cur, n, none, 100, NULL);
    assert_int_equal(count_ops(ops5, "delete"), 3);
    assert_int_equal(count_ops(ops5, "create"), 1);
    json_array_foreach(ops5, i, e) {
        if (!strcmp(zk_json_str(e, "op"), "create")) {
            json_t *s = json_object_get(e, "slice");
            assert_int_equal(json_array_size(json_object_get(s, "endpoints")), 0);
            assert_null(json_object_get(s, "ports"));
        }
    }
    n2 = apply(ops5, cur, n, next, &serial);
    free_all(cur, n);
    memcpy(cur, next, n2 * sizeof(*cur));
    n = n2;
    assert_int_equal(n, 1);
    /* ... and stays */
    zk_autojson json_t *ops6 = zk_ctl_slices_plan(svc, cur, n, none, 100, NULL);
    assert_int_equal(json_array_size(ops6), 0);
    /* the placeholder goes once there are endpoints again */
    zk_autojson json_t *ops7 = zk_ctl_slices_plan(svc, cur, n, g, 100, NULL);
    assert_int_equal(count_ops(ops7, "delete"), 1);
    assert_int_equal(count_ops(ops7, "create"), 3);
    free_all(cur, n);
    free_all(pods, 300);
}

static void test_ports_change_replaces_slices(void **state)
{
    zk_autojson json_t *svc = service(false);
    json_t *pods[5];
    for (int i = 0; i < 5; i++)
        pods[i] = pod(i, true, 8080);
    zk_autojson json_t *g = groups_of(svc, pods, 5);
    zk_autojson json_t *ops = zk_ctl_slices_plan(svc, NULL, 0, g, 100, NULL);
    json_t *cur[4];
    int serial = 0;
    size_t n = apply(ops, NULL, 0, cur, &serial);
    assert_int_equal(n, 1);
    /* the pods now serve http on 9090: a slice for the new ports, the old
     * one deleted */
    for (int i = 0; i < 5; i++) {
        json_decref(pods[i]);
        pods[i] = pod(i, true, 9090);
    }
    zk_autojson json_t *g2 = groups_of(svc, pods, 5);
    zk_autojson json_t *ops2 = zk_ctl_slices_plan(svc, cur, n, g2, 100, NULL);
    assert_int_equal(count_ops(ops2, "delete"), 1);
    assert_int_equal(count_ops(ops2, "create"), 1);
    /* a label on the Service reaches the slices */
    json_object_set_new(zk_json_path(svc, "metadata", "labels", NULL), "tier",
                        json_string("front"));
    zk_autojson json_t *ops3 = zk_ctl_slices_plan(svc, cur, n, g, 100, NULL);
    assert_int_equal(count_ops(ops3, "update"), 1);
    assert_string_equal(zk_json_path_str(json_object_get(json_array_get(ops3, 0), "slice"),
                                         "metadata", "labels", "tier", NULL),
                        "front");
    free_all(cur, n);
    free_all(pods, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_and_conditions),
        cmocka_unit_test(test_pack_new_and_stable),
        cmocka_unit_test(test_minimal_churn),
        cmocka_unit_test(test_ports_change_replaces_slices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
