/* admission/review.c: AdmissionReview v1 answered by zke's policies, as
 * `zke webhook` serves it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/review.h"
#include "base/json.h"
#include "base/str.h"
#include "kube/patch.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", e.text, text);
    return j;
}

/* the cluster: one policy, one exclusive group, two nodes, namespace "team" */
static json_t *get_ns(void *ctx, const char *name)
{
    (void)ctx;
    if (!strcmp(name, "team"))
        return js("{\"metadata\":{\"name\":\"team\",\"labels\":{}}}");
    return NULL;
}

static size_t list(void *ctx, const char *resource, const char *ns, json_t ***out)
{
    (void)ctx;
    (void)ns;
    json_t **v = calloc(2, sizeof(*v));
    size_t n = 0;
    if (!strcmp(resource, "overcommitpolicies"))
        v[n++] = js("{\"metadata\":{\"name\":\"default\"},\"spec\":{\"cpuRatio\":10,\"memoryRatio\":1.5}}");
    else if (!strcmp(resource, "hostgroups"))
        v[n++] = js("{\"metadata\":{\"name\":\"big\"},\"spec\":{\"exclusive\":true}}");
    else if (!strcmp(resource, "nodes")) {
        v[n++] = js("{\"metadata\":{\"name\":\"n1\"}}");
        v[n++] = js("{\"metadata\":{\"name\":\"n2\",\"labels\":{\"zke.io/host-group\":\"big\"}}}");
    }
    *out = v;
    return n;
}

static const zk_adm_sources src = {NULL, get_ns, list};

static json_t *review_of(const char *op, const char *group, const char *resource,
                         const char *object)
{
    char buf[4096];
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
             "{\"uid\":\"u-1\",\"operation\":\"%s\",\"namespace\":\"team\",\"resource\":"
             "{\"group\":\"%s\",\"version\":\"v1\",\"resource\":\"%s\"},\"object\":%s}}",
             op, group, resource, object);
    return js(buf);
}

static const char pod[] =
    "{\"metadata\":{\"generateName\":\"web-\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
    "[{\"name\":\"web\",\"image\":\"x\",\"resources\":{\"limits\":{\"cpu\":\"2\",\"memory\":\"3Gi\"},"
    "\"requests\":{\"cpu\":\"2\",\"memory\":\"3Gi\"}}}]}}";

static void test_pod_mutation_as_json_patch(void **state)
{
    (void)state;
    json_t *rv = review_of("CREATE", "", "pods", pod);
    char *why = NULL;
    json_t *ans = zk_adm_review(rv, true, &src, &why);
    assert_null(why);
    assert_string_equal(zk_json_str(ans, "kind"), "AdmissionReview");
    json_t *resp = json_object_get(ans, "response");
    assert_string_equal(zk_json_str(resp, "uid"), "u-1");
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_string_equal(zk_json_str(resp, "patchType"), "JSONPatch");
    const char *b64 = zk_json_str(resp, "patch");
    unsigned char raw[8192];
    int n = zk_base64_decode(b64, strlen(b64), raw, sizeof(raw) - 1);
    assert_true(n > 0);
    raw[n] = '\0';
    json_t *ops = js((const char *)raw), *out = NULL;
    zk_err err = {0};
    assert_int_equal(zk_kube_patch_json(json_object_get(json_object_get(rv, "request"), "object"),
                                        ops, &out, &err), 0);
    json_t *req = zk_json_path(json_array_get(zk_json_path(out, "spec", "containers", NULL), 0),
                               "resources", "requests", NULL);
    assert_string_equal(zk_json_str(req, "cpu"), "200m");
    assert_string_equal(zk_json_str(req, "memory"), "2Gi");
    assert_non_null(zk_json_path(out, "metadata", "annotations", "policy.zke.io/overcommit", NULL));
    json_decref(out);
    json_decref(ops);
    json_decref(ans);
    json_decref(rv);
    /* the same review at /validate: allowed, nothing to patch */
    rv = review_of("CREATE", "", "pods", pod);
    ans = zk_adm_review(rv, false, &src, &why);
    assert_true(json_is_true(zk_json_path(ans, "response", "allowed", NULL)));
    assert_null(zk_json_path(ans, "response", "patch", NULL));
    json_decref(ans);
    json_decref(rv);
    /* an update of a pod: not ours to change */
    rv = review_of("UPDATE", "", "pods", pod);
    ans = zk_adm_review(rv, true, &src, &why);
    assert_true(json_is_true(zk_json_path(ans, "response", "allowed", NULL)));
    assert_null(zk_json_path(ans, "response", "patch", NULL));
    json_decref(ans);
    json_decref(rv);
}

static void test_refusals(void **state)
{
    (void)state;
    char *why = NULL;
    json_t *rv = review_of("CREATE", "", "pods",
                           "{\"metadata\":{\"annotations\":{\"scheduling.zke.io/hosts\":\"n2\"}},"
                           "\"spec\":{\"containers\":[]}}");
    json_t *ans = zk_adm_review(rv, true, &src, &why);
    json_t *resp = json_object_get(ans, "response");
    assert_true(json_is_false(json_object_get(resp, "allowed")));
    assert_int_equal(zk_json_int(json_object_get(resp, "status"), "code", 0), 403);
    assert_string_equal(zk_json_path_str(resp, "status", "reason", NULL), "Forbidden");
    assert_non_null(strstr(zk_json_path_str(resp, "status", "message", NULL),
                           "node \"n2\" belongs to the exclusive host group \"big\""));
    json_decref(ans);
    json_decref(rv);
    /* a workload asking for a group that does not exist, at /validate */
    rv = review_of("CREATE", "apps", "deployments",
                   "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
                   "{\"scheduling.zke.io/host-group\":\"nope\"}}}}}");
    ans = zk_adm_review(rv, false, &src, &why);
    assert_true(json_is_false(zk_json_path(ans, "response", "allowed", NULL)));
    assert_string_equal(zk_json_path_str(ans, "response", "status", "message", NULL),
                        "scheduling.zke.io/host-group: there is no host group \"nope\"");
    json_decref(ans);
    json_decref(rv);
    /* a policy with a ratio of 0 */
    rv = review_of("CREATE", "zke.io", "overcommitpolicies",
                   "{\"metadata\":{\"name\":\"z\"},\"spec\":{\"cpuRatio\":0}}");
    ans = zk_adm_review(rv, false, &src, &why);
    assert_true(json_is_false(zk_json_path(ans, "response", "allowed", NULL)));
    json_decref(ans);
    json_decref(rv);
}

static void test_not_a_review(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{}", "[]", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = js(bad[i]);
        char *why = NULL;
        assert_null(zk_adm_review(j, true, &src, &why));
        assert_non_null(why);
        free(why);
        json_decref(j);
    }
    /* a request without an object, or with one that is no object: allowed as is */
    json_t *j = js("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                   "\"request\":{\"uid\":\"x\",\"operation\":\"CREATE\",\"object\":7,"
                   "\"resource\":{\"group\":\"\",\"resource\":\"pods\"}}}");
    char *why = NULL;
    json_t *ans = zk_adm_review(j, true, &src, &why);
    assert_true(json_is_true(zk_json_path(ans, "response", "allowed", NULL)));
    json_decref(ans);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_mutation_as_json_patch),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_not_a_review),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
