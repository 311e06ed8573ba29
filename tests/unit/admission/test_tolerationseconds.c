/* DefaultTolerationSeconds: which pods get the 300 s tolerations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "admission/tolerationseconds.h"
#include "base/json.h"
#include "base/mem.h"

static json_t *pod(const char *tolerations)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "{\"spec\":{\"containers\":[{\"name\":\"c\"}]%s%s}}",
             tolerations ? ",\"tolerations\":" : "", tolerations ? tolerations : "");
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    if (!j)
        fail_msg("bad JSON: %s", e.text);
    return j;
}

/* tolerationSeconds of the toleration of key (NoExecute), -1 if absent, -2
 * if present without seconds. */
static json_int_t secs(const json_t *p, const char *key)
{
    size_t i;
    json_t *t;
    json_array_foreach(zk_json_path(p, "spec", "tolerations", NULL), i, t) {
        const char *k = zk_json_str(t, "key");
        if (k && !strcmp(k, key)) {
            json_t *s = json_object_get(t, "tolerationSeconds");
            return json_is_integer(s) ? json_integer_value(s) : -2;
        }
    }
    return -1;
}

static void test_adds_both(void **state)
{
    zk_autojson json_t *p = pod(NULL);
    zk_adm_default_toleration_seconds(p, 300);
    json_t *tols = zk_json_path(p, "spec", "tolerations", NULL);
    assert_int_equal(json_array_size(tols), 2);
    assert_int_equal(secs(p, "node.kubernetes.io/not-ready"), 300);
    assert_int_equal(secs(p, "node.kubernetes.io/unreachable"), 300);
    json_t *t = json_array_get(tols, 0);
    assert_string_equal(zk_json_str(t, "operator"), "Exists");
    assert_string_equal(zk_json_str(t, "effect"), "NoExecute");
}

static void test_keeps_what_the_pod_says(void **state)
{
    /* the pod's own 2 s toleration of unreachable stays; not-ready is added */
    zk_autojson json_t *p = pod("[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":"
                                "\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":2}]");
    zk_adm_default_toleration_seconds(p, 300);
    assert_int_equal(json_array_size(zk_json_path(p, "spec", "tolerations", NULL)), 2);
    assert_int_equal(secs(p, "node.kubernetes.io/unreachable"), 2);
    assert_int_equal(secs(p, "node.kubernetes.io/not-ready"), 300);
    /* an empty effect covers NoExecute; a NoSchedule one does not */
    zk_autojson json_t *q = pod("[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":"
                                "\"Exists\"},{\"key\":\"node.kubernetes.io/unreachable\","
                                "\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]");
    zk_adm_default_toleration_seconds(q, 300);
    assert_int_equal(json_array_size(zk_json_path(q, "spec", "tolerations", NULL)), 3);
    assert_int_equal(secs(q, "node.kubernetes.io/not-ready"), -2);
    /* tolerating every key: nothing added */
    zk_autojson json_t *r = pod("[{\"operator\":\"Exists\"}]");
    zk_adm_default_toleration_seconds(r, 300);
    assert_int_equal(json_array_size(zk_json_path(r, "spec", "tolerations", NULL)), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adds_both),
        cmocka_unit_test(test_keeps_what_the_pod_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
