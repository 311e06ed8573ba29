#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"

static void test_decode_reports_position(void **state)
{
    json_t *j = NULL;
    zk_err err = {0};
    const char *bad = "{\"a\": 1,\n \"b\": }";
    assert_int_equal(zk_json_decode(bad, strlen(bad), &j, &err), -ZK_EPARSE);
    assert_null(j);
    assert_non_null(strstr(err.msg, "line 2"));
}

static void test_decode_rejects_deep_nesting(void **state)
{
    size_t n = ZK_JSON_MAX_DEPTH + 10;
    zk_autofree char *s = zk_xmalloc(2 * n + 1);
    memset(s, '[', n);
    memset(s + n, ']', n);
    s[2 * n] = '\0';
    json_t *j = NULL;
    zk_err err = {0};
    assert_int_equal(zk_json_decode(s, 2 * n, &j, &err), -ZK_ETOOBIG);
    assert_null(j);
}

static void test_depth_ignores_brackets_in_strings(void **state)
{
    const char *s = "{\"k\":\"[[[[{{{{\\\"[[\",\"l\":[1]}";
    assert_int_equal(zk_json_depth(s, strlen(s)), 2);
}

static void test_path_helpers(void **state)
{
    zk_autojson json_t *o = json_pack("{s:{s:s,s:{s:s}}}", "metadata", "name", "web", "labels",
                                      "app", "nginx");
    assert_string_equal(zk_json_path_str(o, "metadata", "name", NULL), "web");
    assert_string_equal(zk_json_path_str(o, "metadata", "labels", "app", NULL), "nginx");
    assert_null(zk_json_path_str(o, "metadata", "name", "x", NULL));
    json_t *ann = zk_json_path_obj(o, "metadata", "annotations", NULL);
    assert_non_null(ann);
    assert_true(json_is_object(zk_json_path(o, "metadata", "annotations", NULL)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_reports_position),
        cmocka_unit_test(test_decode_rejects_deep_nesting),
        cmocka_unit_test(test_depth_ignores_brackets_in_strings),
        cmocka_unit_test(test_path_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
