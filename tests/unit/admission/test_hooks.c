/* admission/hooks.c: which webhooks a write concerns, the review sent and
 * the answer read, as kube-apiserver does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/hooks.h"
#include "base/json.h"
#include "base/str.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", e.text, text);
    return j;
}

/* one webhook with the given rules and extra fields */
static zk_adm_hook *one(const char *webhook, size_t *n)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"cfg\"},\"webhooks\":[%s]}", webhook);
    json_t *cfg = js(buf);
    zk_adm_hook *h = NULL;
    *n = 0;
    zk_adm_hooks_parse(cfg, true, &h, n);
    json_decref(cfg);
    return h;
}

static bool matches(const char *webhook, const zk_adm_attrs *a)
{
    size_t n;
    zk_adm_hook *h = one(webhook, &n);
    assert_int_equal(n, 1);
    bool m = zk_adm_hook_matches(h, a);
    zk_adm_hooks_free(h, n);
    return m;
}

#define W(rules, extra)                                                                            \
    "{\"name\":\"w.zke.io\",\"clientConfig\":{\"url\":\"https://127.0.0.1:9/x\"},\"rules\":" rules \
    extra "}"

static void test_parse(void **state)
{
    (void)state;
    size_t n;
    zk_adm_hook *h = one(W("[]", ",\"failurePolicy\":\"Ignore\",\"timeoutSeconds\":99,"
                                 "\"reinvocationPolicy\":\"IfNeeded\",\"matchPolicy\":\"Exact\""),
                         &n);
    assert_int_equal(n, 1);
    assert_string_equal(h->config, "cfg");
    assert_string_equal(h->name, "w.zke.io");
    assert_true(h->fail_open && h->reinvoke && h->exact);
    assert_int_equal(h->timeout_s, 30);   /* capped */
    assert_string_equal(h->url, "https://127.0.0.1:9/x");
    zk_adm_hooks_free(h, n);
    /* a service reference, defaults; plain http is not callable */
    h = one("{\"name\":\"s\",\"clientConfig\":{\"service\":{\"namespace\":\"ns\",\"name\":\"svc\"}}},"
            "{\"name\":\"p\",\"clientConfig\":{\"url\":\"http://x/\"}}", &n);
    assert_int_equal(n, 2);
    assert_string_equal(h[0].svc_ns, "ns");
    assert_string_equal(h[0].path, "/");
    assert_int_equal(h[0].port, 443);
    assert_int_equal(h[0].timeout_s, 10);
    assert_false(h[0].fail_open);
    assert_null(h[1].url);
    assert_null(h[1].svc_name);
    zk_adm_hooks_free(h, n);
    /* a caBundle that is not base64 makes it uncallable */
    h = one("{\"name\":\"c\",\"clientConfig\":{\"url\":\"https://a/\",\"caBundle\":\"%%%\"}}", &n);
    assert_null(h[0].url);
    zk_adm_hooks_free(h, n);
}

static void test_matching(void **state)
{
    (void)state;
    json_t *pod = js("{\"metadata\":{\"name\":\"p\",\"labels\":{\"tier\":\"web\"}}}");
    json_t *nsl = js("{\"team\":\"a\"}");
    zk_adm_attrs a = {.group = "", .version = "v1", .resource = "pods", .kind = "Pod",
                      .ns = "ns1", .name = "p", .op = "CREATE", .obj = pod, .ns_labels = nsl};
    const char *pods = "[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
                       "\"resources\":[\"pods\"]}]";
    char buf[1024];
#define M(rules, extra) (snprintf(buf, sizeof(buf), W("%s", "%s"), rules, extra), matches(buf, &a))
    assert_true(M(pods, ""));
    a.op = "UPDATE";
    assert_false(M(pods, ""));
    a.op = "CREATE";
    /* subresources: "pods" is not "pods/status"; wildcards */
    a.subresource = "status";
    assert_false(M(pods, ""));
    assert_true(M("[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],"
                  "\"resources\":[\"pods/status\"]}]", ""));
    assert_true(M("[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],"
                  "\"resources\":[\"*/*\"]}]", ""));
    assert_false(M("[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],"
                   "\"resources\":[\"*\"]}]", ""));
    a.subresource = NULL;
    /* scope */
    assert_false(M("[{\"operations\":[\"*\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"*\"],"
                   "\"resources\":[\"pods\"],\"scope\":\"Cluster\"}]", ""));
    /* matchPolicy: Exact needs the version; Equivalent does not */
    const char *v2 = "[{\"operations\":[\"*\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v2\"],"
                     "\"resources\":[\"pods\"]}]";
    assert_true(M(v2, ""));
    assert_false(M(v2, ",\"matchPolicy\":\"Exact\""));
    /* selectors */
    assert_true(M(pods, ",\"namespaceSelector\":{\"matchLabels\":{\"team\":\"a\"}}"));
    assert_false(M(pods, ",\"namespaceSelector\":{\"matchLabels\":{\"team\":\"b\"}}"));
    assert_true(M(pods, ",\"objectSelector\":{\"matchExpressions\":[{\"key\":\"tier\","
                        "\"operator\":\"In\",\"values\":[\"web\"]}]}"));
    assert_false(M(pods, ",\"objectSelector\":{\"matchLabels\":{\"tier\":\"db\"}}"));
    /* webhook configurations themselves are never sent to webhooks */
    zk_adm_attrs cfg = {.group = "admissionregistration.k8s.io", .version = "v1",
                        .resource = "validatingwebhookconfigurations", .ns = "", .op = "CREATE"};
    snprintf(buf, sizeof(buf), W("%s", ""),
             "[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],"
             "\"resources\":[\"*\"]}]");
    assert_false(matches(buf, &cfg));
#undef M
    json_decref(pod);
    json_decref(nsl);
}

static const char *answer_of(const char *resp, char *buf, size_t n)
{
    snprintf(buf, n, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                     "\"response\":%s}", resp);
    return buf;
}

static void test_answers(void **state)
{
    (void)state;
    size_t n;
    zk_adm_hook *h = one(W("[]", ""), &n);
    json_t *obj = js("{\"metadata\":{\"name\":\"x\"}}");
    json_t *warnings = json_array(), *patched, *status;
    char *why, buf[2048];
    /* allowed with a patch and a warning */
    const char *ops = "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a\":\"b\"}}]";
    char *b64 = zk_base64_encode(ops, strlen(ops));
    char resp[1024];
    snprintf(resp, sizeof(resp), "{\"uid\":\"u\",\"allowed\":true,\"patchType\":\"JSONPatch\","
                                 "\"patch\":\"%s\",\"warnings\":[\"careful\"]}", b64);
    free(b64);
    answer_of(resp, buf, sizeof(buf));
    assert_int_equal(zk_adm_hook_answer(h, "u", buf, strlen(buf), obj, &patched, &status,
                                        warnings, &why), 0);
    assert_string_equal(zk_json_path_str(patched, "metadata", "labels", "a", NULL), "b");
    assert_string_equal(json_string_value(json_array_get(warnings, 0)), "careful");
    json_decref(patched);
    /* refusals as kube-apiserver words them */
    static const struct {
        const char *resp, *msg;
        int code;
    } refusals[] = {
        {"{\"uid\":\"u\",\"allowed\":false,\"status\":{\"code\":403,\"message\":\"no\"}}",
         "admission webhook \"w.zke.io\" denied the request: no", 403},
        {"{\"uid\":\"u\",\"allowed\":false,\"status\":{\"code\":200}}",
         "admission webhook \"w.zke.io\" denied the request without explanation", 400},
        {"{\"uid\":\"u\",\"allowed\":false}",
         "admission webhook \"w.zke.io\" denied the request without explanation", 400},
        {"{\"uid\":\"u\",\"allowed\":false,\"status\":{\"reason\":\"Because\"}}",
         "admission webhook \"w.zke.io\" denied the request: Because", 400},
    };
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        answer_of(refusals[i].resp, buf, sizeof(buf));
        assert_int_equal(zk_adm_hook_answer(h, "u", buf, strlen(buf), obj, &patched, &status,
                                            warnings, &why), 1);
        assert_string_equal(zk_json_str(status, "message"), refusals[i].msg);
        assert_int_equal(zk_json_int(status, "code", 0), refusals[i].code);
        json_decref(status);
    }
    /* answers that cannot be used */
    static const char *const bad[] = {
        "not json",
        "{\"apiVersion\":\"v1\",\"kind\":\"Status\"}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"other\",\"allowed\":true}}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"u\",\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\"!!\"}}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"u\",\"allowed\":true,\"patch\":\"W10=\"}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(zk_adm_hook_answer(h, "u", bad[i], strlen(bad[i]), obj, &patched,
                                            &status, warnings, &why), -1);
        assert_non_null(why);
        free(why);
    }
    json_decref(warnings);
    json_decref(obj);
    zk_adm_hooks_free(h, n);
}

static void test_review(void **state)
{
    (void)state;
    json_t *obj = js("{\"metadata\":{\"name\":\"p\"}}"), *user = js("{\"username\":\"alice\"}");
    zk_adm_attrs a = {.group = "apps", .version = "v1", .resource = "deployments",
                      .kind = "Deployment", .ns = "ns1", .name = "p", .op = "UPDATE",
                      .obj = obj, .old = obj, .user = user, .dry_run = true};
    json_t *r = zk_adm_hook_review(&a, "uid-1");
    assert_string_equal(zk_json_str(r, "apiVersion"), "admission.k8s.io/v1");
    json_t *req = json_object_get(r, "request");
    assert_string_equal(zk_json_str(req, "uid"), "uid-1");
    assert_string_equal(zk_json_path_str(req, "resource", "resource", NULL), "deployments");
    assert_string_equal(zk_json_path_str(req, "kind", "kind", NULL), "Deployment");
    assert_string_equal(zk_json_str(req, "operation"), "UPDATE");
    assert_string_equal(zk_json_str(req, "namespace"), "ns1");
    assert_true(json_is_true(json_object_get(req, "dryRun")));
    assert_string_equal(zk_json_path_str(req, "userInfo", "username", NULL), "alice");
    assert_string_equal(zk_json_path_str(req, "options", "kind", NULL), "UpdateOptions");
    assert_true(json_equal(json_object_get(req, "oldObject"), obj));
    json_decref(r);
    json_decref(obj);
    json_decref(user);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_review),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
