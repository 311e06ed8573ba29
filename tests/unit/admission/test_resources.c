/* Resource lists and a pod's effective requests and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "admission/resources.h"
#include "base/json.h"
#include "base/mem.h"

static json_t *J(const char *text)
{
    char *s = zk_xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *j = json_loads(s, 0, NULL);
    free(s);
    assert_non_null(j);
    return j;
}

static char *pod_list(const char *pod_text, bool limits, bool overhead)
{
    zk_autojson json_t *pod = J(pod_text);
    zk_adm_rlist l = ZK_ADM_RLIST_INIT;
    zk_adm_pod_resources(&l, pod, limits, overhead);
    char *s = zk_adm_rlist_format(&l);
    zk_adm_rlist_free(&l);
    return s;
}

static void test_list_sorted_and_summed(void **state)
{
    zk_autojson json_t *a = J("{'memory':'1Gi','cpu':'1','zz':'2','bad':'x1'}");
    zk_autojson json_t *b = J("{'cpu':'0.5','memory':'512Mi','aa':3}");
    zk_adm_rlist l = ZK_ADM_RLIST_INIT, m = ZK_ADM_RLIST_INIT;
    zk_adm_rlist_from_json(&l, a);
    zk_adm_rlist_from_json(&m, b);
    /* the bad quantity is skipped, names come out sorted */
    zk_autofree char *s1 = zk_adm_rlist_format(&l);
    assert_string_equal(s1, "cpu=1,memory=1Gi,zz=2");
    zk_adm_rlist_add_all(&l, &m);
    zk_autofree char *s2 = zk_adm_rlist_format(&l);
    assert_string_equal(s2, "aa=3,cpu=1500m,memory=1536Mi,zz=2");
    zk_autojson json_t *j = zk_adm_rlist_to_json(&l);
    assert_string_equal(zk_json_str(j, "cpu"), "1500m");
    assert_false(zk_adm_rlist_is_zero(&l));
    zk_adm_rlist_free(&l);
    zk_adm_rlist_free(&m);
    assert_true(zk_adm_rlist_is_zero(&l));
}

static void test_pod_sidecars_and_init(void **state)
{
    /* containers 1 + sidecar 1 run together (2); the plain init container
     * runs beside the sidecar started before it (1 + 3 = 4): floor 4 */
    static const char pod[] =
        "{'spec':{'containers':[{'name':'a','resources':{'requests':{'cpu':'1'},"
        "'limits':{'cpu':'1'}}}],"
        "'initContainers':["
        "{'name':'side','restartPolicy':'Always','resources':{'requests':{'cpu':'1'}}},"
        "{'name':'init','resources':{'requests':{'cpu':'3'},'limits':{'cpu':'3'}}}],"
        "'overhead':{'cpu':'100m','memory':'10Mi'}}}";
    zk_autofree char *req = pod_list(pod, false, false);
    assert_string_equal(req, "cpu=4");
    zk_autofree char *req_oh = pod_list(pod, false, true);
    assert_string_equal(req_oh, "cpu=4100m,memory=10Mi");
    /* limits: 1 (container) vs init 3 beside a sidecar without a limit */
    zk_autofree char *lim = pod_list(pod, true, false);
    assert_string_equal(lim, "cpu=3");
    /* overhead adds to limits only where there is one */
    zk_autofree char *lim_oh = pod_list(pod, true, true);
    assert_string_equal(lim_oh, "cpu=3100m");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_sorted_and_summed),
        cmocka_unit_test(test_pod_sidecars_and_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
