/* The Endpoints controller's pure part: which pods a Service's Endpoints
 * list, where (addresses or notReadyAddresses), and how ports group them. */
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

/* A pod named name with uid "u-name", IP ip (NULL: none), Ready or not, and
 * one container port "http" with number http_port (0: no ports). */
static json_t *pod(const char *name, const char *ip, bool ready, int http_port)
{
    json_t *p = json_pack("{s:{s:s,s:s,s:s,s:{s:s}},s:{s:s,s:[{s:s,s:[]}]},s:{s:s,s:[{s:s,s:s}]}}",
                          "metadata", "name", name, "namespace", "default", "uid", "", "labels",
                          "app", "web", "spec", "nodeName", "n1", "containers", "name", "c",
                          "ports", "status", "phase", "Running", "conditions", "type", "Ready",
                          "status", ready ? "True" : "False");
    char uid[64];
    snprintf(uid, sizeof(uid), "u-%s", name);
    zk_json_set_str(json_object_get(p, "metadata"), "uid", uid);
    if (ip)
        zk_json_set_str(json_object_get(p, "status"), "podIP", ip);
    if (http_port) {
        json_t *ports = json_object_get(json_array_get(zk_json_path(p, "spec", "containers", NULL), 0),
                                        "ports");
        json_array_append_new(ports, json_pack("{s:s,s:i,s:s}", "name", "http", "containerPort",
                                               http_port, "protocol", "TCP"));
    }
    return p;
}

static json_t *service(const char *spec_json)
{
    json_t *svc = js("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}}");
    json_object_set_new(svc, "spec", js(spec_json));
    return svc;
}

static json_t *subsets_of(const json_t *svc, json_t **pods, size_t n, size_t max, bool *trunc)
{
    return zk_ctl_endpoints_subsets(svc, pods, n, max, trunc);
}

/* The IPs of subset i's addresses (kind "addresses" or "notReadyAddresses"),
 * comma-joined. */
static char *ips(const json_t *subsets, size_t i, const char *kind)
{
    json_t *arr = json_object_get(json_array_get(subsets, i), kind);
    char out[512] = "";
    size_t k;
    json_t *a;
    json_array_foreach(arr, k, a) {
        if (k)
            strncat(out, ",", sizeof(out) - strlen(out) - 1);
        strncat(out, zk_json_str(a, "ip"), sizeof(out) - strlen(out) - 1);
    }
    return zk_xstrdup(out);
}

static void free_all(json_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(v[i]);
}

static void test_ready_and_not_ready(void **state)
{
    zk_autojson json_t *svc = service(
        "{\"selector\":{\"app\":\"web\"},\"ports\":[{\"name\":\"http\",\"port\":80,"
        "\"targetPort\":\"http\",\"protocol\":\"TCP\"}]}");
    json_t *pods[] = {pod("a", "10.42.0.3", true, 8080), pod("b", "10.42.0.1", false, 8080),
                      pod("c", "10.42.0.2", true, 8080), pod("d", NULL, true, 8080)};
    bool trunc = true;
    zk_autojson json_t *s = subsets_of(svc, pods, 4, 1000, &trunc);
    assert_false(trunc);
    assert_int_equal(json_array_size(s), 1);
    zk_autofree char *ready = ips(s, 0, "addresses");
    zk_autofree char *notready = ips(s, 0, "notReadyAddresses");
    assert_string_equal(ready, "10.42.0.2,10.42.0.3");   /* sorted; d has no IP */
    assert_string_equal(notready, "10.42.0.1");
    json_t *port = json_array_get(json_object_get(json_array_get(s, 0), "ports"), 0);
    assert_int_equal(zk_json_int(port, "port", 0), 8080);   /* the named port, resolved */
    assert_string_equal(zk_json_str(port, "name"), "http");
    assert_string_equal(zk_json_str(port, "protocol"), "TCP");
    json_t *a = json_array_get(json_object_get(json_array_get(s, 0), "addresses"), 0);
    assert_string_equal(zk_json_str(a, "nodeName"), "n1");
    assert_string_equal(zk_json_path_str(a, "targetRef", "kind", NULL), "Pod");
    assert_string_equal(zk_json_path_str(a, "targetRef", "name", NULL), "c");
    assert_string_equal(zk_json_path_str(a, "targetRef", "uid", NULL), "u-c");
    free_all(pods, 4);
}

static void test_named_port_numbers_split_subsets(void **state)
{
    zk_autojson json_t *svc = service(
        "{\"selector\":{\"app\":\"web\"},\"ports\":[{\"name\":\"http\",\"port\":80,"
        "\"targetPort\":\"http\",\"protocol\":\"TCP\"},{\"name\":\"metrics\",\"port\":9000,"
        "\"targetPort\":9100,\"protocol\":\"TCP\"}]}");
    /* a and c serve http on 8080, b on 8081; e has no http port at all */
    json_t *pods[] = {pod("a", "10.42.0.1", true, 8080), pod("b", "10.42.0.2", true, 8081),
                      pod("c", "10.42.0.3", false, 8080), pod("e", "10.42.0.5", true, 0)};
    zk_autojson json_t *s = subsets_of(svc, pods, 4, 1000, NULL);
    /* metrics (9100) is served by all four: its own subset; http:8080 by
     * a and c; http:8081 by b */
    assert_int_equal(json_array_size(s), 3);
    int seen = 0;
    for (size_t i = 0; i < 3; i++) {
        json_t *ports = json_object_get(json_array_get(s, i), "ports");
        assert_int_equal(json_array_size(ports), 1);
        json_int_t num = zk_json_int(json_array_get(ports, 0), "port", 0);
        zk_autofree char *r = ips(s, i, "addresses");
        zk_autofree char *nr = ips(s, i, "notReadyAddresses");
        if (num == 8080) {
            assert_string_equal(r, "10.42.0.1");
            assert_string_equal(nr, "10.42.0.3");
            seen |= 1;
        } else if (num == 8081) {
            assert_string_equal(r, "10.42.0.2");
            assert_string_equal(nr, "");
            seen |= 2;
        } else if (num == 9100) {
            assert_string_equal(r, "10.42.0.1,10.42.0.2,10.42.0.5");
            assert_string_equal(nr, "10.42.0.3");
            seen |= 4;
        } else {
            fail_msg("unexpected port %lld", (long long)num);
        }
    }
    assert_int_equal(seen, 7);
    free_all(pods, 4);
}

static void test_same_ports_merge(void **state)
{
    /* two service ports whose address sets are equal share one subset */
    zk_autojson json_t *svc = service(
        "{\"selector\":{\"app\":\"web\"},\"ports\":[{\"name\":\"b\",\"port\":81,\"protocol\":"
        "\"TCP\"},{\"name\":\"a\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}]}");
    json_t *pods[] = {pod("a", "10.42.0.1", true, 0), pod("b", "10.42.0.2", false, 0)};
    zk_autojson json_t *s = subsets_of(svc, pods, 2, 1000, NULL);
    assert_int_equal(json_array_size(s), 1);
    json_t *ports = json_object_get(json_array_get(s, 0), "ports");
    assert_int_equal(json_array_size(ports), 2);
    /* sorted by name; an unset targetPort means the port */
    assert_string_equal(zk_json_str(json_array_get(ports, 0), "name"), "a");
    assert_int_equal(zk_json_int(json_array_get(ports, 0), "port", 0), 8080);
    assert_string_equal(zk_json_str(json_array_get(ports, 1), "name"), "b");
    assert_int_equal(zk_json_int(json_array_get(ports, 1), "port", 0), 81);
    free_all(pods, 2);
}

static void test_terminating_and_terminal(void **state)
{
    const char *spec = "{\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80,\"protocol\":"
                       "\"TCP\"}]%s}";
    char buf[256];
    json_t *pods[] = {pod("a", "10.42.0.1", true, 0), pod("b", "10.42.0.2", true, 0),
                      pod("c", "10.42.0.3", false, 0)};
    zk_json_set_str(json_object_get(pods[0], "metadata"), "deletionTimestamp",
                    "2026-01-01T00:00:00Z");
    zk_json_set_str(json_object_get(pods[2], "status"), "phase", "Succeeded");
    snprintf(buf, sizeof(buf), spec, "");
    zk_autojson json_t *svc = service(buf);
    zk_autojson json_t *s = subsets_of(svc, pods, 3, 1000, NULL);
    /* the pod being deleted and the finished one are not listed at all */
    assert_int_equal(json_array_size(s), 1);
    zk_autofree char *r = ips(s, 0, "addresses");
    zk_autofree char *nr = ips(s, 0, "notReadyAddresses");
    assert_string_equal(r, "10.42.0.2");
    assert_string_equal(nr, "");
    /* an unnamed service port gives an unnamed endpoint port */
    json_t *port = json_array_get(json_object_get(json_array_get(s, 0), "ports"), 0);
    assert_null(json_object_get(port, "name"));
    assert_int_equal(zk_json_int(port, "port", 0), 80);

    /* publishNotReadyAddresses: every pod with an IP is ready, terminating
     * ones too; a terminal pod still is not */
    snprintf(buf, sizeof(buf), spec, ",\"publishNotReadyAddresses\":true");
    zk_autojson json_t *svc2 = service(buf);
    zk_autojson json_t *s2 = subsets_of(svc2, pods, 3, 1000, NULL);
    assert_int_equal(json_array_size(s2), 1);
    zk_autofree char *r2 = ips(s2, 0, "addresses");
    zk_autofree char *nr2 = ips(s2, 0, "notReadyAddresses");
    assert_string_equal(r2, "10.42.0.1,10.42.0.2");
    assert_string_equal(nr2, "");
    free_all(pods, 3);
}

static void test_headless_without_ports(void **state)
{
    json_t *pods[] = {pod("a", "10.42.0.1", true, 0), pod("b", "10.42.0.2", false, 0)};
    zk_autojson json_t *headless =
        service("{\"selector\":{\"app\":\"web\"},\"clusterIP\":\"None\"}");
    zk_autojson json_t *s = subsets_of(headless, pods, 2, 1000, NULL);
    assert_int_equal(json_array_size(s), 1);
    assert_null(json_object_get(json_array_get(s, 0), "ports"));
    zk_autofree char *r = ips(s, 0, "addresses");
    assert_string_equal(r, "10.42.0.1");
    /* with a cluster IP and no ports there is nothing to list */
    zk_autojson json_t *plain =
        service("{\"selector\":{\"app\":\"web\"},\"clusterIP\":\"10.43.0.9\"}");
    zk_autojson json_t *s2 = subsets_of(plain, pods, 2, 1000, NULL);
    assert_int_equal(json_array_size(s2), 0);
    /* the headless label */
    zk_autojson json_t *l1 = zk_ctl_endpoints_labels(headless);
    zk_autojson json_t *l2 = zk_ctl_endpoints_labels(plain);
    assert_non_null(json_object_get(l1, "service.kubernetes.io/headless"));
    assert_null(json_object_get(l2, "service.kubernetes.io/headless"));
    assert_string_equal(zk_json_str(l2, "endpoints.kubernetes.io/managed-by"),
                        "endpoint-controller");
    free_all(pods, 2);
}

static void test_truncation_keeps_ready_first(void **state)
{
    zk_autojson json_t *svc =
        service("{\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}");
    json_t *pods[6];
    for (int i = 0; i < 6; i++) {
        char name[8], ip[32];
        snprintf(name, sizeof(name), "p%d", i);
        snprintf(ip, sizeof(ip), "10.42.0.%d", i + 1);
        pods[i] = pod(name, ip, i % 2 == 1, 0);   /* p1, p3, p5 ready */
    }
    bool trunc = false;
    zk_autojson json_t *s = subsets_of(svc, pods, 6, 4, &trunc);
    assert_true(trunc);
    zk_autofree char *r = ips(s, 0, "addresses");
    assert_string_equal(r, "10.42.0.2,10.42.0.4,10.42.0.6");
    assert_int_equal(json_array_size(json_object_get(json_array_get(s, 0), "notReadyAddresses")),
                     1);
    zk_autojson json_t *s2 = subsets_of(svc, pods, 6, 6, &trunc);
    assert_false(trunc);
    free_all(pods, 6);
}

static void test_find_port(void **state)
{
    zk_autojson json_t *p = pod("a", "10.42.0.1", true, 8080);
    zk_autojson json_t *named = js("{\"port\":80,\"targetPort\":\"http\",\"protocol\":\"TCP\"}");
    zk_autojson json_t *udp = js("{\"port\":80,\"targetPort\":\"http\",\"protocol\":\"UDP\"}");
    zk_autojson json_t *missing = js("{\"port\":80,\"targetPort\":\"grpc\"}");
    zk_autojson json_t *num = js("{\"port\":80,\"targetPort\":9090}");
    zk_autojson json_t *unset = js("{\"port\":80}");
    assert_int_equal(zk_ctl_find_port(p, named), 8080);
    assert_int_equal(zk_ctl_find_port(p, udp), -1);   /* the protocol must match */
    assert_int_equal(zk_ctl_find_port(p, missing), -1);
    assert_int_equal(zk_ctl_find_port(p, num), 9090);
    assert_int_equal(zk_ctl_find_port(p, unset), 80);
}

static void test_selector_and_changes(void **state)
{
    zk_autojson json_t *svc = service("{\"selector\":{\"app\":\"web\"}}");
    zk_autojson json_t *none = service("{\"ports\":[{\"port\":443}]}");
    zk_autojson json_t *empty = service("{\"selector\":{}}");
    zk_autojson json_t *ext =
        service("{\"type\":\"ExternalName\",\"externalName\":\"x.example\",\"selector\":{\"app\":\"web\"}}");
    assert_non_null(zk_ctl_svc_selector(svc));
    assert_null(zk_ctl_svc_selector(none));
    assert_null(zk_ctl_svc_selector(empty));
    assert_null(zk_ctl_svc_selector(ext));
    zk_autojson json_t *a = pod("a", "10.42.0.1", false, 0);
    zk_autojson json_t *b = json_deep_copy(a);
    assert_true(zk_ctl_svc_selects(zk_ctl_svc_selector(svc), a));
    assert_false(zk_ctl_pod_endpoint_changed(a, b));
    /* an unrelated status field does not matter; readiness does */
    zk_json_set_str(json_object_get(b, "status"), "message", "hello");
    assert_false(zk_ctl_pod_endpoint_changed(a, b));
    zk_json_set_str(json_array_get(zk_json_path(b, "status", "conditions", NULL), 0), "status",
                    "True");
    assert_true(zk_ctl_pod_endpoint_changed(a, b));
    zk_autojson json_t *c = json_deep_copy(a);
    json_object_set_new(zk_json_path(c, "metadata", "labels", NULL), "app", json_string("db"));
    assert_true(zk_ctl_pod_endpoint_changed(a, c));
    assert_false(zk_ctl_svc_selects(zk_ctl_svc_selector(svc), c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_and_not_ready),
        cmocka_unit_test(test_named_port_numbers_split_subsets),
        cmocka_unit_test(test_same_ports_merge),
        cmocka_unit_test(test_terminating_and_terminal),
        cmocka_unit_test(test_headless_without_ports),
        cmocka_unit_test(test_truncation_keeps_ready_first),
        cmocka_unit_test(test_find_port),
        cmocka_unit_test(test_selector_and_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
