/* admission/overcommit.c, strategies.c, antiaffinity.c: zke's pod policies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/antiaffinity.h"
#include "admission/overcommit.h"
#include "admission/strategies.h"
#include "base/json.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", e.text, text);
    return j;
}

/* a pod with one container "web" whose resources are the given JSON */
static json_t *pod_with(const char *resources)
{
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"metadata\":{\"name\":\"p\",\"namespace\":\"team\",\"labels\":{\"app\":\"web\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"x\",\"resources\":%s}]}}",
             resources);
    return js(buf);
}

static const char *req(json_t *pod, const char *res)
{
    return zk_json_path_str(json_array_get(zk_json_path(pod, "spec", "containers", NULL), 0),
                            "resources", "requests", res, NULL);
}

static json_t *ns(const char *labels)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"team\",\"labels\":%s}}", labels);
    return js(buf);
}

/* ---- overcommit ---- */

static void test_default_ratios(void **state)
{
    (void)state;
    json_t *pol = js("{\"metadata\":{\"name\":\"default\"},\"spec\":{}}");
    json_t *n = ns("{}");
    json_t *pod = pod_with("{\"limits\":{\"cpu\":\"2\",\"memory\":\"3Gi\"}}");
    char *why = NULL;
    assert_int_equal(zk_adm_overcommit(pod, n, &pol, 1, NULL, 0, &why), 1);
    assert_null(why);
    assert_string_equal(req(pod, "cpu"), "200m");
    assert_string_equal(req(pod, "memory"), "2Gi");
    assert_string_equal(zk_json_path_str(pod, "metadata", "annotations", ZK_ADM_OC_RECORD, NULL),
                        "OvercommitPolicy default (cpu 10, memory 1.5): web cpu 2 -> 200m, "
                        "memory 3Gi -> 2Gi");
    /* again: nothing changes (reinvocation) */
    json_t *copy = json_deep_copy(pod);
    assert_int_equal(zk_adm_overcommit(pod, n, &pol, 1, NULL, 0, &why), 0);
    assert_true(json_equal(pod, copy));
    json_decref(copy);
    json_decref(pod);
    /* a request equal to its limit (what defaulting writes) is recomputed */
    pod = pod_with("{\"limits\":{\"cpu\":\"1\"},\"requests\":{\"cpu\":\"1\"}}");
    assert_int_equal(zk_adm_overcommit(pod, n, &pol, 1, NULL, 0, &why), 1);
    assert_string_equal(req(pod, "cpu"), "100m");
    json_decref(pod);
    /* a request the user set is kept; the other resource still derived */
    pod = pod_with("{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},\"requests\":{\"cpu\":\"500m\"}}");
    assert_int_equal(zk_adm_overcommit(pod, n, &pol, 1, NULL, 0, &why), 1);
    assert_string_equal(req(pod, "cpu"), "500m");
    assert_string_equal(req(pod, "memory"), "683Mi");   /* 1024/1.5 rounded up */
    json_decref(pod);
    /* floors: 10m cpu, 16Mi memory; never above the limit */
    pod = pod_with("{\"limits\":{\"cpu\":\"50m\",\"memory\":\"10Mi\"}}");
    assert_int_equal(zk_adm_overcommit(pod, n, &pol, 1, NULL, 0, &why), 1);
    assert_string_equal(req(pod, "cpu"), "10m");
    assert_string_equal(req(pod, "memory"), "10Mi");
    json_decref(pod);
    /* no limits: nothing to derive */
    pod = pod_with("{}");
    assert_int_equal(zk_adm_overcommit(pod, n, &pol, 1, NULL, 0, &why), 0);
    json_decref(pod);
    json_decref(n);
    json_decref(pol);
}

static void test_override_init_and_limitrange(void **state)
{
    (void)state;
    json_t *pol = js("{\"metadata\":{\"name\":\"hard\"},\"spec\":{\"cpuRatio\":4,"
                     "\"memoryRatio\":2,\"overrideRequests\":true,"
                     "\"minRequests\":{\"cpu\":\"1m\",\"memory\":\"1Mi\"}}}");
    json_t *lr = js("{\"metadata\":{\"name\":\"lr\"},\"spec\":{\"limits\":[{\"type\":\"Container\","
                    "\"default\":{\"cpu\":\"800m\",\"memory\":\"512Mi\"},"
                    "\"min\":{\"cpu\":\"150m\"}}]}}");
    json_t *pod = js("{\"metadata\":{\"name\":\"p\",\"annotations\":{\"kubernetes.io/limit-ranger\":"
                     "\"LimitRanger plugin set: memory request for init container setup\"}},"
                     "\"spec\":{\"initContainers\":[{\"name\":\"setup\",\"resources\":{\"limits\":"
                     "{\"memory\":\"100Mi\"},\"requests\":{\"memory\":\"60Mi\"}}}],"
                     "\"containers\":[{\"name\":\"web\",\"resources\":{\"limits\":{\"cpu\":\"2\"},"
                     "\"requests\":{\"cpu\":\"1\"}}}]}}");
    char *why = NULL;
    const json_t *ranges[] = {lr};
    assert_int_equal(zk_adm_overcommit(pod, NULL, &pol, 1, ranges, 1, &why), 1);
    json_t *web = json_array_get(zk_json_path(pod, "spec", "containers", NULL), 0);
    json_t *setup = json_array_get(zk_json_path(pod, "spec", "initContainers", NULL), 0);
    /* override: the user's 1 cpu becomes 2/4 */
    assert_string_equal(zk_json_path_str(web, "resources", "requests", "cpu", NULL), "500m");
    /* memory limit from the LimitRange default, request 512Mi/2 */
    assert_string_equal(zk_json_path_str(web, "resources", "limits", "memory", NULL), "512Mi");
    assert_string_equal(zk_json_path_str(web, "resources", "requests", "memory", NULL), "256Mi");
    /* the init container's defaulted request is recomputed: 100Mi/2 */
    assert_string_equal(zk_json_path_str(setup, "resources", "requests", "memory", NULL), "50Mi");
    /* the LimitRange minimum is a floor: 800m/4 = 200m, above 150m; a small limit */
    json_decref(pod);
    pod = pod_with("{\"limits\":{\"cpu\":\"400m\"}}");
    assert_int_equal(zk_adm_overcommit(pod, NULL, &pol, 1, ranges, 1, &why), 1);
    assert_string_equal(req(pod, "cpu"), "150m");
    json_decref(pod);
    json_decref(lr);
    json_decref(pol);
}

static void test_selection_and_opt_out(void **state)
{
    (void)state;
    json_t *pols[] = {
        js("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"cpuRatio\":2}}"),
        js("{\"metadata\":{\"name\":\"b\"},\"spec\":{\"cpuRatio\":4,\"priority\":5,"
           "\"namespaceSelector\":{\"matchLabels\":{\"tier\":\"batch\"}}}}"),
        js("{\"metadata\":{\"name\":\"c\"},\"spec\":{\"cpuRatio\":8}}"),
    };
    char *why = NULL;
    /* b is the highest priority but does not select this namespace: a (first by name) */
    json_t *n = ns("{\"tier\":\"web\"}");
    json_t *pod = pod_with("{\"limits\":{\"cpu\":\"1\"}}");
    assert_int_equal(zk_adm_overcommit(pod, n, pols, 3, NULL, 0, &why), 1);
    assert_string_equal(req(pod, "cpu"), "500m");
    json_decref(pod);
    json_decref(n);
    /* b selects this one and wins by priority */
    n = ns("{\"tier\":\"batch\"}");
    pod = pod_with("{\"limits\":{\"cpu\":\"1\"}}");
    assert_int_equal(zk_adm_overcommit(pod, n, pols, 3, NULL, 0, &why), 1);
    assert_string_equal(req(pod, "cpu"), "250m");
    json_decref(pod);
    json_decref(n);
    /* the namespace names c */
    n = ns("{\"zke.io/overcommit\":\"c\"}");
    pod = pod_with("{\"limits\":{\"cpu\":\"1\"}}");
    assert_int_equal(zk_adm_overcommit(pod, n, pols, 3, NULL, 0, &why), 1);
    assert_string_equal(req(pod, "cpu"), "125m");
    json_decref(pod);
    json_decref(n);
    /* opted out: the namespace, or the workload */
    n = ns("{\"zke.io/overcommit\":\"false\"}");
    pod = pod_with("{\"limits\":{\"cpu\":\"1\"},\"requests\":{\"cpu\":\"1\"}}");
    assert_int_equal(zk_adm_overcommit(pod, n, pols, 3, NULL, 0, &why), 0);
    assert_string_equal(req(pod, "cpu"), "1");
    json_decref(n);
    n = ns("{}");
    json_object_set_new(json_object_get(pod, "metadata"), "annotations",
                        js("{\"zke.io/overcommit\":\"false\"}"));
    assert_int_equal(zk_adm_overcommit(pod, n, pols, 3, NULL, 0, &why), 0);
    /* a malformed opt-out: a clear error, the pod untouched */
    json_object_set_new(json_object_get(pod, "metadata"), "annotations",
                        js("{\"zke.io/overcommit\":\"nope\"}"));
    json_t *before = json_deep_copy(pod);
    assert_int_equal(zk_adm_overcommit(pod, n, pols, 3, NULL, 0, &why), -1);
    assert_string_equal(why, "metadata.annotations[zke.io/overcommit]: \"nope\" is neither "
                             "\"false\" (leave this workload's requests alone) nor \"true\"");
    free(why);
    assert_true(json_equal(pod, before));
    json_decref(before);
    json_decref(n);
    /* a namespace naming no policy */
    json_object_del(json_object_get(pod, "metadata"), "annotations");
    n = ns("{\"zke.io/overcommit\":\"gone\"}");
    assert_int_equal(zk_adm_overcommit(pod, n, pols, 3, NULL, 0, &why), -1);
    assert_non_null(strstr(why, "names no OvercommitPolicy"));
    free(why);
    json_decref(n);
    json_decref(pod);
    for (int i = 0; i < 3; i++)
        json_decref(pols[i]);
}

static void test_bad_policies(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"metadata\":{\"name\":\"z\"},\"spec\":{\"cpuRatio\":0}}",
        "{\"metadata\":{\"name\":\"z\"},\"spec\":{\"memoryRatio\":-1.5}}",
        "{\"metadata\":{\"name\":\"z\"},\"spec\":{\"cpuRatio\":\"ten\"}}",
        "{\"metadata\":{\"name\":\"z\"},\"spec\":{\"minRequests\":{\"cpu\":\"lots\"}}}",
        "{\"metadata\":{\"name\":\"z\"},\"spec\":{\"namespaceSelector\":{\"matchExpressions\":"
        "[{\"key\":\"a\",\"operator\":\"Huh\"}]}}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *pol = js(bad[i]);
        char *why = zk_adm_overcommit_check_policy(pol);
        assert_non_null(why);
        assert_non_null(strstr(why, "OvercommitPolicy \"z\""));
        free(why);
        json_t *pod = pod_with("{\"limits\":{\"cpu\":\"1\"}}");
        if (i < 4) {   /* a bad selector selects nothing; the others refuse */
            assert_int_equal(zk_adm_overcommit(pod, NULL, &pol, 1, NULL, 0, &why), -1);
            free(why);
        }
        json_decref(pod);
        json_decref(pol);
    }
    json_t *ok = js("{\"metadata\":{\"name\":\"ok\"},\"spec\":{\"cpuRatio\":1.5}}");
    assert_null(zk_adm_overcommit_check_policy(ok));
    json_decref(ok);
}

/* ---- strategies ---- */

static json_t *groups[2], *nodes[3];

static int strategies_setup(void **state)
{
    (void)state;
    groups[0] = js("{\"metadata\":{\"name\":\"bigdata\"},\"spec\":{\"exclusive\":true}}");
    groups[1] = js("{\"metadata\":{\"name\":\"web\"},\"spec\":{}}");
    nodes[0] = js("{\"metadata\":{\"name\":\"n1\",\"labels\":{\"zke.io/host-group\":\"web\"}}}");
    nodes[1] = js("{\"metadata\":{\"name\":\"n2\"}}");
    nodes[2] = js("{\"metadata\":{\"name\":\"n3\",\"labels\":{\"zke.io/host-group\":\"bigdata\"}}}");
    return 0;
}

static int strategies_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        json_decref(groups[i]);
    for (int i = 0; i < 3; i++)
        json_decref(nodes[i]);
    return 0;
}

static json_t *pod_asking(const char *annotations)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"p\",\"annotations\":%s},"
                               "\"spec\":{\"containers\":[{\"name\":\"c\"}]}}", annotations);
    return js(buf);
}

static char *check(const char *annotations)
{
    json_t *a = js(annotations);
    char *why = zk_adm_strategies_check(a, groups, 2, nodes, 3);
    json_decref(a);
    return why;
}

static void test_strategies_rewrite(void **state)
{
    (void)state;
    char *why = NULL;
    json_t *pod = pod_asking("{\"scheduling.zke.io/hosts\":\"n1, n2\"}");
    assert_int_equal(zk_adm_strategies_pod(pod, groups, 2, nodes, 3, &why), 1);
    char *text = json_dumps(zk_json_path(pod, "spec", "affinity", NULL), JSON_COMPACT);
    assert_string_equal(text, "{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                              "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":"
                              "\"kubernetes.io/hostname\",\"operator\":\"In\",\"values\":"
                              "[\"n1\",\"n2\"]}]}]}}}");
    free(text);
    /* again: no change */
    assert_int_equal(zk_adm_strategies_pod(pod, groups, 2, nodes, 3, &why), 0);
    json_decref(pod);
    /* exclusive: the group's label in every existing term, and the toleration */
    pod = pod_asking("{\"scheduling.zke.io/exclusive\":\"bigdata\"}");
    json_object_set_new(json_object_get(pod, "spec"), "affinity",
                        js("{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                           "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"disk\","
                           "\"operator\":\"In\",\"values\":[\"ssd\"]}]},{\"matchFields\":[]}]}}}"));
    assert_int_equal(zk_adm_strategies_pod(pod, groups, 2, nodes, 3, &why), 1);
    json_t *terms = zk_json_path(pod, "spec", "affinity", "nodeAffinity",
                                 "requiredDuringSchedulingIgnoredDuringExecution",
                                 "nodeSelectorTerms", NULL);
    assert_int_equal(json_array_size(terms), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *exprs = json_object_get(json_array_get(terms, i), "matchExpressions");
        json_t *last = json_array_get(exprs, json_array_size(exprs) - 1);
        assert_string_equal(zk_json_str(last, "key"), "zke.io/host-group");
        assert_string_equal(json_string_value(json_array_get(json_object_get(last, "values"), 0)),
                            "bigdata");
    }
    text = json_dumps(zk_json_path(pod, "spec", "tolerations", NULL), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "[{\"effect\":\"NoSchedule\",\"key\":\"zke.io/exclusive\","
                              "\"operator\":\"Equal\",\"value\":\"bigdata\"}]");
    free(text);
    assert_string_equal(zk_json_path_str(pod, "metadata", "annotations", ZK_ADM_PLACEMENT_RECORD, NULL),
                        "scheduling.zke.io/exclusive: nodeAffinity zke.io/host-group=bigdata, "
                        "toleration zke.io/exclusive=bigdata:NoSchedule");
    json_decref(pod);
    /* nothing asked: nothing done */
    pod = pod_asking("{\"other\":\"x\"}");
    assert_int_equal(zk_adm_strategies_pod(pod, groups, 2, nodes, 3, &why), 0);
    assert_null(zk_json_path(pod, "spec", "affinity", NULL));
    json_decref(pod);
}

static void test_strategies_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *ann, *why;
    } cases[] = {
        {"{\"scheduling.zke.io/host-group\":\"nope\"}",
         "scheduling.zke.io/host-group: there is no host group \"nope\""},
        {"{\"scheduling.zke.io/hosts\":\"n1,n9\"}", "scheduling.zke.io/hosts: there is no node \"n9\""},
        {"{\"scheduling.zke.io/hosts\":\"n3\"}",
         "scheduling.zke.io/hosts: node \"n3\" belongs to the exclusive host group \"bigdata\": "
         "ask for the group with scheduling.zke.io/exclusive: bigdata"},
        {"{\"scheduling.zke.io/host-group\":\"bigdata\"}",
         "scheduling.zke.io/host-group: host group \"bigdata\" is exclusive: ask for it with "
         "scheduling.zke.io/exclusive: bigdata"},
        {"{\"scheduling.zke.io/exclusive\":\"web\"}",
         "scheduling.zke.io/exclusive: host group \"web\" is not exclusive: ask for it with "
         "scheduling.zke.io/host-group: web"},
        {"{\"scheduling.zke.io/host-group\":\"web\",\"scheduling.zke.io/hosts\":\"n1\"}",
         "scheduling.zke.io/host-group and scheduling.zke.io/hosts ask for two scheduling "
         "strategies: use one"},
        {"{\"scheduling.zke.io/hots\":\"n1\"}",
         "unknown scheduling strategy scheduling.zke.io/hots: use one of scheduling.zke.io/hosts, "
         "scheduling.zke.io/host-group or scheduling.zke.io/exclusive"},
        {"{\"scheduling.zke.io/hosts\":\"\"}", "scheduling.zke.io/hosts is empty: name one or more nodes"},
        {"{\"scheduling.zke.io/hosts\":\" , \"}", "scheduling.zke.io/hosts names no node"},
        {"{\"scheduling.zke.io/host-group\":\"Big_Data\"}", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *why = check(cases[i].ann);
        assert_non_null(why);
        if (cases[i].why)
            assert_string_equal(why, cases[i].why);
        else
            assert_non_null(strstr(why, "\"Big_Data\" is no host group name"));
        free(why);
        /* a pod asking so is refused and left as it was */
        json_t *pod = pod_asking(cases[i].ann), *before = json_deep_copy(pod);
        assert_int_equal(zk_adm_strategies_pod(pod, groups, 2, nodes, 3, &why), -1);
        free(why);
        assert_true(json_equal(pod, before));
        json_decref(pod);
        json_decref(before);
    }
    assert_null(check("{\"scheduling.zke.io/host-group\":\"web\"}"));
    assert_null(check("{}"));
    json_t *dep = js("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}}}");
    assert_string_equal(zk_json_str(zk_adm_template_annotations("deployments", dep), "a"), "b");
    json_decref(dep);
    json_t *cj = js("{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"metadata\":"
                    "{\"annotations\":{\"a\":\"c\"}}}}}}}");
    assert_string_equal(zk_json_str(zk_adm_template_annotations("cronjobs", cj), "a"), "c");
    json_decref(cj);
}

/* ---- soft anti-affinity ---- */

static void test_soft_anti_affinity(void **state)
{
    (void)state;
    json_t *on = ns("{\"zke.io/soft-anti-affinity\":\"true\"}");
    json_t *off = ns("{\"zke.io/soft-anti-affinity\":\"false\"}");
    json_t *plain = ns("{}");
    json_t *sys_on = ns("{\"zke.io/soft-anti-affinity\":\"enabled\"}");
    json_t *pod = pod_with("{}");
    assert_int_equal(zk_adm_soft_anti_affinity(pod, on, NULL), 1);
    char *text = json_dumps(zk_json_path(pod, "spec", "affinity", NULL), JSON_COMPACT);
    assert_string_equal(text, "{\"podAntiAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
                              "[{\"weight\":100,\"podAffinityTerm\":{\"labelSelector\":{\"matchLabels\":"
                              "{\"app\":\"web\"}},\"topologyKey\":\"kubernetes.io/hostname\"}}]}}");
    free(text);
    /* its own anti-affinity now: left alone */
    assert_int_equal(zk_adm_soft_anti_affinity(pod, on, NULL), 0);
    json_decref(pod);
    /* the cluster default (kube-system's label), unless the namespace says no */
    pod = pod_with("{}");
    assert_int_equal(zk_adm_soft_anti_affinity(pod, plain, NULL), 0);
    assert_int_equal(zk_adm_soft_anti_affinity(pod, off, sys_on), 0);
    assert_int_equal(zk_adm_soft_anti_affinity(pod, plain, sys_on), 1);
    json_decref(pod);
    /* no app label: nothing to spread by */
    pod = js("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[]}}");
    assert_int_equal(zk_adm_soft_anti_affinity(pod, on, NULL), 0);
    json_decref(pod);
    /* app.kubernetes.io/name before app */
    pod = js("{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"x\",\"app.kubernetes.io/name\":\"y\"}},"
             "\"spec\":{\"affinity\":{\"nodeAffinity\":{}}}}");
    assert_int_equal(zk_adm_soft_anti_affinity(pod, on, NULL), 1);
    assert_string_equal(zk_json_path_str(pod, "metadata", "annotations", ZK_ADM_SAA_RECORD, NULL),
                        "preferred podAntiAffinity on app.kubernetes.io/name=y, kubernetes.io/hostname");
    assert_non_null(zk_json_path(pod, "spec", "affinity", "nodeAffinity", NULL));
    json_decref(pod);
    json_decref(on);
    json_decref(off);
    json_decref(plain);
    json_decref(sys_on);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_ratios),
        cmocka_unit_test(test_override_init_and_limitrange),
        cmocka_unit_test(test_selection_and_opt_out),
        cmocka_unit_test(test_bad_policies),
        cmocka_unit_test_setup_teardown(test_strategies_rewrite, strategies_setup, strategies_teardown),
        cmocka_unit_test_setup_teardown(test_strategies_refusals, strategies_setup, strategies_teardown),
        cmocka_unit_test(test_soft_anti_affinity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
