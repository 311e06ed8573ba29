/* cli/overcommit.c: the sums, usage percentiles and suggestions of
 * `zke overcommit report`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cli/overcommit.h"

static json_t *pod(const char *ns, const char *name, const char *node, const char *phase,
                   const char *lcpu, const char *rcpu, const char *lmem, const char *rmem)
{
    return json_pack("{s:{s:s,s:s},s:{s:s,s:[{s:{s:{s:s,s:s},s:{s:s,s:s}}}]},s:{s:s}}", "metadata",
                     "namespace", ns, "name", name, "spec", "nodeName", node, "containers",
                     "resources", "limits", "cpu", lcpu, "memory", lmem, "requests", "cpu", rcpu,
                     "memory", rmem, "status", "phase", phase);
}

static void test_rows_and_suggestions(void **state)
{
    (void)state;
    json_t *pods[] = {
        pod("a", "p1", "n1", "Running", "2", "200m", "3Gi", "2Gi"),
        pod("a", "p2", "n2", "Running", "2", "200m", "3Gi", "2Gi"),
        pod("b", "p3", "n1", "Running", "1", "1", "1Gi", "1Gi"),
        pod("b", "done", "n1", "Succeeded", "8", "8", "8Gi", "8Gi"),
    };
    /* p1 used 0.1..0.5 cores (p95 of 20 samples: the 19th), 1Gi; p3 nothing sampled */
    json_t *samples = json_object(), *l = json_array();
    for (int i = 1; i <= 20; i++)
        json_array_append_new(l, json_pack("[f,f]", i * 0.025, 1073741824.0));
    json_object_set_new(samples, "a/p1", l);
    size_t n = 0;
    zk_oc_row *rows = zk_oc_rows(pods, 4, samples, false, &n);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].key, "a");
    assert_int_equal(rows[0].pods, 2);
    assert_true(fabs(rows[0].lim[0] - 4) < 1e-9 && fabs(rows[0].req[0] - 0.4) < 1e-9);
    assert_true(fabs(rows[0].lim[1] - 6.0 * 1073741824) < 1);
    assert_true(fabs(rows[0].p95[0] - 0.475) < 1e-9);   /* nearest rank: the 19th of 20 */
    assert_true(fabs(rows[0].p95[1] - 1073741824.0) < 1);
    /* cpu: 4 / (0.475 x 1.25) = 6.7 -> 6.5; memory 6Gi / (1Gi x 1.25) = 4.8 -> at most 4 */
    assert_true(fabs(zk_oc_suggest(&rows[0], 0) - 6.5) < 1e-9);
    assert_true(fabs(zk_oc_suggest(&rows[0], 1) - 4) < 1e-9);
    /* b: the finished pod does not count; no usage, no suggestion */
    assert_string_equal(rows[1].key, "b");
    assert_int_equal(rows[1].pods, 1);
    assert_true(rows[1].p95[0] < 0);
    assert_true(zk_oc_suggest(&rows[1], 0) == 0);
    free(rows);
    rows = zk_oc_rows(pods, 4, samples, true, &n);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].key, "n1");
    assert_int_equal(rows[0].pods, 2);
    assert_true(fabs(rows[0].lim[0] - 3) < 1e-9);
    free(rows);
    /* usage above the limit: never below 1 */
    zk_oc_row r = {.lim = {1, 1}, .p95 = {2, 2}};
    assert_true(zk_oc_suggest(&r, 0) == 1);
    json_decref(samples);
    for (int i = 0; i < 4; i++)
        json_decref(pods[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_and_suggestions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
