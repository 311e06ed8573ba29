/* BacklogScaler's readers: Prometheus answers (scalar, vector, empty,
 * errors), numbers at a JSONPath, a stream group's backlog; and trigger
 * specs refused with the field at fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "controllers/backlog.h"

static json_t *J(const char *s)
{
    json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
    if (!v)
        fail_msg("bad json %s", s);
    return v;
}

static void test_prometheus(void **state)
{
    (void)state;
    double v = -1;
    zk_err err = {0};
    json_t *a = J("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                  "[{\"metric\":{\"queue\":\"a\"},\"value\":[1764300000.1,\"1234\"]}]}}");
    assert_int_equal(zk_bl_prometheus_value(a, &v, &err), 0);
    assert_true(v == 1234);
    json_decref(a);
    a = J("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"2.5\"]}}");
    assert_int_equal(zk_bl_prometheus_value(a, &v, &err), 0);
    assert_true(v == 2.5);
    json_decref(a);
    a = J("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}");
    assert_int_equal(zk_bl_prometheus_value(a, &v, &err), 0);
    assert_true(v == 0);
    json_decref(a);
    a = J("{\"status\":\"error\",\"error\":\"parse error at char 3\"}");
    assert_true(zk_bl_prometheus_value(a, &v, &err) < 0);
    assert_string_equal(err.msg, "prometheus: parse error at char 3");
    json_decref(a);
    a = J("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}");
    assert_true(zk_bl_prometheus_value(a, &v, &err) < 0);
    assert_non_null(strstr(err.msg, "must give a scalar or a vector"));
    json_decref(a);
}

static void test_json_path(void **state)
{
    (void)state;
    double v = -1;
    zk_err err = {0};
    json_t *d = J("{\"queue\":{\"depth\":17,\"name\":\"x\",\"s\":\"42\"}}");
    assert_int_equal(zk_bl_json_value(d, "queue.depth", &v, &err), 0);
    assert_true(v == 17);
    assert_int_equal(zk_bl_json_value(d, "{.queue.s}", &v, &err), 0);
    assert_true(v == 42);
    assert_true(zk_bl_json_value(d, ".queue.name", &v, &err) < 0);
    assert_non_null(strstr(err.msg, "is not a number"));
    assert_true(zk_bl_json_value(d, "queue.none", &v, &err) < 0);
    assert_non_null(strstr(err.msg, "nothing at {.queue.none}"));
    json_decref(d);
}

static void test_stream_backlog(void **state)
{
    (void)state;
    double v = -1;
    zk_err err = {0};
    json_t *g = J("[[\"name\",\"other\",\"pending\",1,\"lag\",1],"
                  "[\"name\",\"workers\",\"consumers\",2,\"pending\",5,\"lag\",4]]");
    assert_int_equal(zk_bl_stream_backlog(g, "workers", &v, &err), 0);
    assert_true(v == 9);
    assert_true(zk_bl_stream_backlog(g, "nobody", &v, &err) < 0);
    assert_non_null(strstr(err.msg, "no consumer group nobody"));
    json_decref(g);
    /* lag unknown (nil): pending alone */
    g = J("[[\"name\",\"workers\",\"pending\",5,\"lag\",null]]");
    assert_int_equal(zk_bl_stream_backlog(g, "workers", &v, &err), 0);
    assert_true(v == 5);
    json_decref(g);
}

static void expect_bad(const char *trigger, const char *want)
{
    json_t *t = J(trigger);
    zk_bl_src *s = NULL;
    zk_err err = {0};
    assert_true(zk_bl_src_new(uv_default_loop(), t, NULL, &s, &err) < 0);
    assert_null(s);
    if (!strstr(err.msg, want))
        fail_msg("\"%s\" does not say \"%s\"", err.msg, want);
    json_decref(t);
}

static void test_bad_triggers(void **state)
{
    (void)state;
    expect_bad("{\"type\":\"kafka\"}", "type: \"kafka\" is not one of");
    expect_bad("{\"type\":\"redis\",\"metadata\":{\"listName\":\"q\"}}", "metadata.address: required");
    expect_bad("{\"type\":\"redis\",\"metadata\":{\"address\":\"h:99999\",\"listName\":\"q\"}}",
               "bad port");
    expect_bad("{\"type\":\"rabbitmq\",\"metadata\":{\"host\":\"http://h:15672\"}}",
               "metadata.queueName: required");
    expect_bad("{\"type\":\"prometheus\",\"metadata\":{\"serverAddress\":\"ftp://x\","
               "\"query\":\"up\"}}", "is not an http:// or https:// URL");
    expect_bad("{\"type\":\"http\",\"metadata\":{\"url\":\"http://h/x\",\"valueLocation\":"
               "\"{.a[\"}}", "metadata.valueLocation");
    /* a working one, freed unused */
    json_t *t = J("{\"type\":\"redis-streams\",\"metadata\":{\"address\":\"127.0.0.1:6379\","
                  "\"stream\":\"s\",\"consumerGroup\":\"g\"}}");
    zk_bl_src *s = NULL;
    assert_int_equal(zk_bl_src_new(uv_default_loop(), t, NULL, &s, NULL), 0);
    assert_string_equal(zk_bl_src_describe(s), "redis 127.0.0.1:6379 stream s group g");
    zk_bl_src_free(s);
    json_decref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prometheus),
        cmocka_unit_test(test_json_path),
        cmocka_unit_test(test_stream_backlog),
        cmocka_unit_test(test_bad_triggers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
