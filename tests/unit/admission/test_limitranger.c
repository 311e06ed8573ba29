/* LimitRanger: defaults, min, max, limit/request ratio, Pod and
 * PersistentVolumeClaim items, and Kubernetes' message texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "admission/limitranger.h"
#include "base/json.h"
#include "base/mem.h"

/* JSON with ' for " so the cases stay readable. */
static json_t *J(const char *text)
{
    char *s = zk_xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    if (!j)
        print_error("bad test JSON at %d:%d: %s\n%s\n", err.line, err.column, err.text, s);
    free(s);
    assert_non_null(j);
    return j;
}

static json_t *range(const char *limits)
{
    char *s = zk_xasprintf("{'metadata':{'name':'lr','namespace':'ns'},'spec':{'limits':%s}}",
                           limits);
    json_t *j = J(s);
    free(s);
    return j;
}

static void assert_str(const char *got, const char *want)
{
    if (!got || strcmp(got, want))
        print_error("got:  %s\nwant: %s\n", got ? got : "(null)", want);
    assert_non_null(got);
    assert_string_equal(got, want);
}

static const char *res_of(const json_t *pod, size_t i, const char *kind, const char *name)
{
    const json_t *c = json_array_get(zk_json_path(pod, "spec", "containers", NULL), i);
    return zk_json_path_str(c, "resources", kind, name, NULL);
}

static const char *annotation(const json_t *pod)
{
    return zk_json_path_str(pod, "metadata", "annotations", ZK_ADM_LIMITRANGER_ANNOTATION, NULL);
}

static char *check1(const char *resource, const json_t *obj, const json_t *lr)
{
    const json_t *ranges[1] = {lr};
    return zk_adm_limitranger_check(resource, obj, ranges, 1);
}

/* ---- defaults ---- */

static void test_defaults_fill_empty_containers(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','default':{'cpu':'500m','memory':'256Mi'},"
                                   "'defaultRequest':{'cpu':'0.2','memory':'128Mi'}}]");
    zk_autojson json_t *pod = J("{'metadata':{'name':'p'},'spec':{"
                                "'containers':[{'name':'web','image':'nginx'}],"
                                "'initContainers':[{'name':'setup','image':'busybox'}]}}");
    const json_t *ranges[1] = {lr};
    zk_adm_limitranger_default(pod, ranges, 1);
    assert_str(res_of(pod, 0, "limits", "cpu"), "500m");
    assert_str(res_of(pod, 0, "limits", "memory"), "256Mi");
    /* written in canonical form, as Kubernetes serializes quantities */
    assert_str(res_of(pod, 0, "requests", "cpu"), "200m");
    assert_str(res_of(pod, 0, "requests", "memory"), "128Mi");
    const json_t *init = json_array_get(zk_json_path(pod, "spec", "initContainers", NULL), 0);
    assert_str(zk_json_path_str(init, "resources", "limits", "cpu", NULL), "500m");
    assert_str(annotation(pod),
               "LimitRanger plugin set: cpu, memory request for container web; cpu, memory "
               "limit for container web; cpu, memory request for init container setup; cpu, "
               "memory limit for init container setup");
}

static void test_defaults_keep_what_is_set(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','default':{'cpu':'1','memory':'1Gi'},"
                                   "'defaultRequest':{'cpu':'100m','memory':'512Mi'}}]");
    /* a cpu limit without a request: the request is the limit (defaulting),
     * not the LimitRange's defaultRequest */
    zk_autojson json_t *pod = J("{'metadata':{'name':'p','annotations':{'a':'b'}},'spec':{"
                                "'containers':[{'name':'c','resources':{'limits':{'cpu':'2'}}}]}}");
    const json_t *ranges[1] = {lr};
    zk_adm_limitranger_default(pod, ranges, 1);
    assert_str(res_of(pod, 0, "limits", "cpu"), "2");
    assert_str(res_of(pod, 0, "requests", "cpu"), "2");
    assert_str(res_of(pod, 0, "limits", "memory"), "1Gi");
    assert_str(res_of(pod, 0, "requests", "memory"), "512Mi");
    assert_str(annotation(pod), "LimitRanger plugin set: memory request for container c; memory "
                                "limit for container c");
    assert_str(zk_json_path_str(pod, "metadata", "annotations", "a", NULL), "b");
}

static void test_defaults_nothing_to_do(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','default':{'cpu':'1'}},"
                                   "{'type':'Pod','max':{'cpu':'4'}}]");
    zk_autojson json_t *pod = J("{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c',"
                                "'resources':{'limits':{'cpu':'1'},'requests':{'cpu':'1'}}}]}}");
    zk_autojson json_t *before = json_deep_copy(pod);
    const json_t *ranges[1] = {lr};
    zk_adm_limitranger_default(pod, ranges, 1);
    assert_true(json_equal(pod, before));
    assert_null(annotation(pod));
}

static void test_defaults_first_range_wins(void **state)
{
    zk_autojson json_t *a = range("[{'type':'Container','default':{'cpu':'300m'},"
                                  "'defaultRequest':{'cpu':'300m'}}]");
    zk_autojson json_t *b = range("[{'type':'Container','default':{'cpu':'900m','memory':'1Gi'},"
                                  "'defaultRequest':{'cpu':'900m','memory':'1Gi'}}]");
    zk_autojson json_t *pod = J("{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]}}");
    const json_t *ranges[2] = {a, b};
    zk_adm_limitranger_default(pod, ranges, 2);
    assert_str(res_of(pod, 0, "limits", "cpu"), "300m");
    assert_str(res_of(pod, 0, "limits", "memory"), "1Gi");
    /* each range that sets something rewrites the annotation */
    assert_str(annotation(pod), "LimitRanger plugin set: memory request for container c; memory "
                                "limit for container c");
}

/* ---- container bounds ---- */

static void test_min_max_messages(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','min':{'cpu':'100m'},"
                                   "'max':{'memory':'1Gi'}}]");
    zk_autojson json_t *pod = J("{'metadata':{'name':'x'},'spec':{'containers':[{'name':'c',"
                                "'resources':{'requests':{'cpu':'50m','memory':'2Gi'},"
                                "'limits':{'memory':'2Gi'}}}]}}");
    zk_autofree char *msg = check1("pods", pod, lr);
    assert_str(msg, "[minimum cpu usage per Container is 100m, but request is 50m, maximum "
                    "memory usage per Container is 1Gi, but limit is 2Gi]");
}

static void test_single_reason_has_no_brackets(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','min':{'cpu':'100m'}}]");
    zk_autojson json_t *pod = J("{'spec':{'containers':[{'name':'c','resources':{}}]}}");
    zk_autofree char *msg = check1("pods", pod, lr);
    /* Kubernetes' text has two spaces here */
    assert_str(msg, "minimum cpu usage per Container is 100m.  No request is specified");
}

static void test_min_on_limit_and_max_on_request(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','min':{'memory':'64Mi'},"
                                   "'max':{'cpu':'1'}}]");
    /* a limit below min; a request above max whose limit is within it is
     * impossible after validation, so take a limit-less container */
    zk_autojson json_t *pod = J("{'spec':{'containers':["
                                "{'name':'a','resources':{'requests':{'memory':'64Mi'},"
                                "'limits':{'memory':'32Mi','cpu':'1'}}},"
                                "{'name':'b','resources':{'requests':{'memory':'64Mi','cpu':'2'},"
                                "'limits':{'cpu':'1'}}}]}}");
    zk_autofree char *msg = check1("pods", pod, lr);
    /* exact: container a fails min on its limit; b passes max on its limit
     * but its request exceeds it */
    assert_str(msg, "[minimum memory usage per Container is 64Mi, but limit is 32Mi, maximum cpu "
                    "usage per Container is 1, but request is 2]");
}

static void test_max_needs_a_limit(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','max':{'cpu':'2'}}]");
    zk_autojson json_t *pod = J("{'spec':{'containers':[{'name':'c','resources':"
                                "{'requests':{'cpu':'1'}}}]}}");
    zk_autofree char *msg = check1("pods", pod, lr);
    assert_str(msg, "maximum cpu usage per Container is 2.  No limit is specified");
}

static void test_bounds_pass(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','min':{'cpu':'100m','memory':'1Mi'},"
                                   "'max':{'cpu':'2','memory':'1Gi'},"
                                   "'maxLimitRequestRatio':{'cpu':'4'}}]");
    /* at the bounds exactly; 1000m and 1 compare equal */
    zk_autojson json_t *pod = J("{'spec':{'containers':[{'name':'c','resources':"
                                "{'requests':{'cpu':'500m','memory':'1Mi'},"
                                "'limits':{'cpu':'2000m','memory':'1024Mi'}}}]}}");
    assert_null(check1("pods", pod, lr));
}

static void test_ratio(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','maxLimitRequestRatio':{'cpu':'2'}}]");
    zk_autojson json_t *over = J("{'spec':{'containers':[{'name':'c','resources':"
                                 "{'requests':{'cpu':'250m'},'limits':{'cpu':'1'}}}]}}");
    zk_autofree char *m1 = check1("pods", over, lr);
    assert_str(m1, "cpu max limit to request ratio per Container is 2, but provided ratio is "
                   "4.000000");
    zk_autojson json_t *noreq = J("{'spec':{'containers':[{'name':'c','resources':"
                                  "{'limits':{'memory':'1Gi'}}}]}}");
    zk_autofree char *m2 = check1("pods", noreq, lr);
    assert_str(m2, "cpu max limit to request ratio per Container is 2, but no request is "
                   "specified or request is 0");
    zk_autojson json_t *nolim = J("{'spec':{'containers':[{'name':'c','resources':"
                                  "{'requests':{'cpu':'1'}}}]}}");
    zk_autofree char *m3 = check1("pods", nolim, lr);
    assert_str(m3, "cpu max limit to request ratio per Container is 2, but no limit is "
                   "specified or limit is 0");
    zk_autojson json_t *ok = J("{'spec':{'containers':[{'name':'c','resources':"
                               "{'requests':{'cpu':'500m'},'limits':{'cpu':'1'}}}]}}");
    assert_null(check1("pods", ok, lr));
}

static void test_init_containers_and_duplicates(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Container','min':{'cpu':'100m'}}]");
    /* two containers with the same failure give one reason */
    zk_autojson json_t *pod = J("{'spec':{'containers':["
                                "{'name':'a','resources':{'requests':{'cpu':'10m'}}},"
                                "{'name':'b','resources':{'requests':{'cpu':'10m'}}}],"
                                "'initContainers':[{'name':'i','resources':"
                                "{'requests':{'cpu':'20m'}}}]}}");
    zk_autofree char *msg = check1("pods", pod, lr);
    assert_str(msg, "[minimum cpu usage per Container is 100m, but request is 10m, minimum cpu "
                    "usage per Container is 100m, but request is 20m]");
}

/* ---- pod items ---- */

static void test_pod_totals(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'Pod','max':{'cpu':'1'},'min':{'memory':'200Mi'}}]");
    /* containers add up (600m + 600m); the init container sets a floor for
     * memory (300Mi beats 50Mi + 50Mi) */
    zk_autojson json_t *pod = J("{'spec':{'containers':["
                                "{'name':'a','resources':{'requests':{'cpu':'600m','memory':'50Mi'},"
                                "'limits':{'cpu':'600m'}}},"
                                "{'name':'b','resources':{'requests':{'cpu':'600m','memory':'50Mi'},"
                                "'limits':{'cpu':'600m'}}}],"
                                "'initContainers':[{'name':'i','resources':"
                                "{'requests':{'memory':'300Mi'}}}]}}");
    zk_autofree char *msg = check1("pods", pod, lr);
    assert_str(msg, "maximum cpu usage per Pod is 1, but limit is 1200m");
}

/* ---- claims ---- */

static void test_pvc(void **state)
{
    zk_autojson json_t *lr = range("[{'type':'PersistentVolumeClaim','min':{'storage':'1Gi'},"
                                   "'max':{'storage':'10Gi'}}]");
    zk_autojson json_t *big = J("{'spec':{'resources':{'requests':{'storage':'20Gi'}}}}");
    zk_autofree char *m1 = check1("persistentvolumeclaims", big, lr);
    assert_str(m1, "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi");
    zk_autojson json_t *small = J("{'spec':{'resources':{'requests':{'storage':'500Mi'}}}}");
    zk_autofree char *m2 = check1("persistentvolumeclaims", small, lr);
    assert_str(m2, "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi");
    zk_autojson json_t *ok = J("{'spec':{'resources':{'requests':{'storage':'5Gi'}}}}");
    assert_null(check1("persistentvolumeclaims", ok, lr));
    /* a Container item does not bound claims, and other kinds pass */
    zk_autojson json_t *clr = range("[{'type':'Container','max':{'storage':'1Gi'}}]");
    assert_null(check1("persistentvolumeclaims", big, clr));
    assert_null(check1("configmaps", big, lr));
}

static void test_first_failing_range_only(void **state)
{
    zk_autojson json_t *a = range("[{'type':'Container','max':{'cpu':'500m'}}]");
    zk_autojson json_t *b = range("[{'type':'Container','max':{'memory':'1Mi'}}]");
    zk_autojson json_t *pod = J("{'spec':{'containers':[{'name':'c','resources':"
                                "{'limits':{'cpu':'1','memory':'1Gi'}}}]}}");
    const json_t *ranges[2] = {a, b};
    zk_autofree char *msg = zk_adm_limitranger_check("pods", pod, ranges, 2);
    assert_str(msg, "maximum cpu usage per Container is 500m, but limit is 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_fill_empty_containers),
        cmocka_unit_test(test_defaults_keep_what_is_set),
        cmocka_unit_test(test_defaults_nothing_to_do),
        cmocka_unit_test(test_defaults_first_range_wins),
        cmocka_unit_test(test_min_max_messages),
        cmocka_unit_test(test_single_reason_has_no_brackets),
        cmocka_unit_test(test_min_on_limit_and_max_on_request),
        cmocka_unit_test(test_max_needs_a_limit),
        cmocka_unit_test(test_bounds_pass),
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_init_containers_and_duplicates),
        cmocka_unit_test(test_pod_totals),
        cmocka_unit_test(test_pvc),
        cmocka_unit_test(test_first_failing_range_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
