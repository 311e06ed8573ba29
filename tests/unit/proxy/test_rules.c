/* proxy/rules.c: plans of Services and the nft commands between them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "proxy/rules.h"

#include "fixtures.h"

static const zk_proxy_cfg cfg = {.table = "zketest", .cluster_cidr = "10.42.0.0/16"};

static json_t *plan_of(json_t *svc, json_t *sl)
{
    char why[256];
    json_t *p = zk_proxy_plan(&cfg, svc, sl ? &sl : NULL, sl ? 1 : 0, why, sizeof(why));
    assert_string_equal(why, "");
    return p;
}

static void test_cluster_ip_plan(void **state)
{
    (void)state;
    json_t *svc = svc_web(), *sl = slice("10.42.0.6,10.42.0.5,!10.42.0.9");
    json_t *p = plan_of(svc, sl);
    /* the map entry, the service chain and one chain per ready endpoint, sorted */
    assert_string_equal(zk_json_path_str(p, "vmap", "10.43.0.20 . tcp . 80", NULL),
                        "goto svc/default/web/tcp/80");
    json_t *rules = zk_json_path(p, "chains", "svc/default/web/tcp/80", NULL);
    assert_int_equal(json_array_size(rules), 2);
    assert_string_equal(json_string_value(json_array_get(rules, 0)),
                        "ip saddr != 10.42.0.0/16 fib saddr type != local jump to-masq");
    assert_string_equal(json_string_value(json_array_get(rules, 1)),
                        "numgen random mod 2 vmap { 0 : goto ep/default/web/tcp/80/10.42.0.5/8080, "
                        "1 : goto ep/default/web/tcp/80/10.42.0.6/8080 }");
    json_t *ep = zk_json_path(p, "chains", "ep/default/web/tcp/80/10.42.0.5/8080", NULL);
    assert_int_equal(json_array_size(ep), 2);
    assert_string_equal(json_string_value(json_array_get(ep, 0)), "ip saddr 10.42.0.5 jump to-masq");
    assert_string_equal(json_string_value(json_array_get(ep, 1)),
                        "meta l4proto tcp dnat to 10.42.0.5:8080");
    assert_null(zk_json_path(p, "chains", "ep/default/web/tcp/80/10.42.0.9/8080", NULL));
    assert_null(json_object_get(p, "noep"));
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

static void test_no_endpoints_and_terminating_fallback(void **state)
{
    (void)state;
    json_t *svc = svc_web(), *sl = slice("!10.42.0.5");
    json_t *p = plan_of(svc, sl);
    assert_true(json_is_true(zk_json_path(p, "noep", "10.43.0.20 . tcp . 80", NULL)));
    assert_null(json_object_get(p, "vmap"));
    assert_null(json_object_get(p, "chains"));
    json_decref(p);
    json_decref(sl);
    /* none ready, one serving while it terminates: it is used */
    sl = slice("!10.42.0.5,~10.42.0.7");
    p = plan_of(svc, sl);
    assert_non_null(zk_json_path(p, "chains", "ep/default/web/tcp/80/10.42.0.7/8080", NULL));
    assert_null(zk_json_path(p, "chains", "ep/default/web/tcp/80/10.42.0.5/8080", NULL));
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

static void test_node_port_affinity_external_ip(void **state)
{
    (void)state;
    json_t *svc = svc_web(), *sl = slice("10.42.0.5");
    json_t *spec = json_object_get(svc, "spec");
    zk_json_set_str(spec, "type", "NodePort");
    zk_json_set_str(spec, "sessionAffinity", "ClientIP");
    json_object_set_new(spec, "externalIPs", json_pack("[s,s]", "192.0.2.9", "not-an-ip"));
    json_object_set_new(json_array_get(json_object_get(spec, "ports"), 0), "nodePort",
                        json_integer(30080));
    json_t *p = plan_of(svc, sl);
    assert_string_equal(zk_json_path_str(p, "npmap", "tcp . 30080", NULL),
                        "goto ext/default/web/tcp/80");
    assert_string_equal(zk_json_path_str(p, "vmap", "192.0.2.9 . tcp . 80", NULL),
                        "goto ext/default/web/tcp/80");
    assert_int_equal(json_object_size(json_object_get(p, "vmap")), 2);
    json_t *ext = zk_json_path(p, "chains", "ext/default/web/tcp/80", NULL);
    assert_string_equal(json_string_value(json_array_get(ext, 0)), "ip saddr 127.0.0.0/8 jump to-masq");
    assert_string_equal(json_string_value(json_array_get(ext, 1)), "fib saddr type != local jump to-masq");
    assert_string_equal(json_string_value(json_array_get(ext, 2)), "goto svc/default/web/tcp/80");
    const char *set = zk_json_path_str(p, "sets", "aff/default/web/tcp/80/10.42.0.5/8080", NULL);
    assert_non_null(set);
    assert_non_null(strstr(set, "timeout 10800s"));
    json_t *rules = zk_json_path(p, "chains", "svc/default/web/tcp/80", NULL);
    assert_string_equal(json_string_value(json_array_get(rules, 1)),
                        "ip saddr @aff/default/web/tcp/80/10.42.0.5/8080 goto "
                        "ep/default/web/tcp/80/10.42.0.5/8080");
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

static void test_weights(void **state)
{
    (void)state;
    json_t *svc = svc_web(), *sl = slice("10.42.0.5,10.42.0.6,10.42.0.7");
    json_object_set_new(json_object_get(svc, "metadata"), "annotations",
                        json_pack("{s:s}", "zke.io/weights", "10.42.0.5=3, 10.42.0.6=0,bad,x=999"));
    json_t *p = plan_of(svc, sl);
    json_t *rules = zk_json_path(p, "chains", "svc/default/web/tcp/80", NULL);
    /* targetRef names are the addresses here: .5 weighs 3, .6 is out, .7 is 1 */
    assert_string_equal(json_string_value(json_array_get(rules, 1)),
                        "numgen random mod 4 vmap { 0-2 : goto ep/default/web/tcp/80/10.42.0.5/8080, "
                        "3 : goto ep/default/web/tcp/80/10.42.0.7/8080 }");
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

static void test_unsafe_or_headless_get_nothing(void **state)
{
    (void)state;
    char why[256];
    json_t *svc = svc_web();
    zk_json_set_str(json_object_get(svc, "metadata"), "name", "web; flush ruleset");
    json_t *p = zk_proxy_plan(&cfg, svc, NULL, 0, why, sizeof(why));
    assert_int_equal(json_object_size(p), 0);
    assert_non_null(strstr(why, "DNS label"));
    json_decref(p);
    json_decref(svc);
    svc = svc_web();
    zk_json_set_str(json_object_get(svc, "spec"), "clusterIP", "None");
    p = zk_proxy_plan(&cfg, svc, NULL, 0, why, sizeof(why));
    assert_int_equal(json_object_size(p), 0);
    assert_string_equal(why, "");
    json_decref(p);
    json_decref(svc);
    /* an address that is not one does not reach a script */
    svc = svc_web();
    json_t *sl = slice("10.42.0.5");
    json_array_set_new(json_object_get(json_array_get(json_object_get(sl, "endpoints"), 0),
                                       "addresses"), 0, json_string("1.2.3.4 } ; flush ruleset"));
    p = plan_of(svc, sl);
    assert_true(json_is_true(zk_json_path(p, "noep", "10.43.0.20 . tcp . 80", NULL)));
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
    assert_true(zk_proxy_table_name_ok("zke1a2b3c4d"));
    assert_false(zk_proxy_table_name_ok("zke table"));
    assert_false(zk_proxy_table_name_ok("1zke"));
    assert_false(zk_proxy_table_name_ok(""));
}

static void test_diff_touches_only_what_changed(void **state)
{
    (void)state;
    json_t *svc = svc_web();
    json_t *s1 = slice("10.42.0.5,10.42.0.6"), *s2 = slice("10.42.0.5,10.42.0.7");
    json_t *a = plan_of(svc, s1), *b = plan_of(svc, s2);
    zk_buf out;
    zk_buf_init(&out, 1u << 20);
    zk_proxy_diff(&out, &cfg, &a, &b, 1);
    zk_buf_putc(&out, '\0');
    const char *t = out.data;
    /* the kept endpoint's chain is not touched; the gone one is flushed and
     * deleted; the new one added; the service chain rewritten; the map entry stays */
    assert_null(strstr(t, "10.42.0.5/8080\n"));
    assert_true(has_line(t, "flush chain ip zketest ep/default/web/tcp/80/10.42.0.6/8080"));
    assert_true(has_line(t, "delete chain ip zketest ep/default/web/tcp/80/10.42.0.6/8080"));
    assert_true(has_line(t, "add chain ip zketest ep/default/web/tcp/80/10.42.0.7/8080"));
    assert_true(has_line(t, "flush chain ip zketest svc/default/web/tcp/80"));
    assert_null(strstr(t, "element"));
    /* deletes come after the flush that drops the references */
    assert_true(strstr(t, "flush chain ip zketest svc/") < strstr(t, "delete chain"));
    zk_buf_free(&out);
    /* the Service goes: elements first, then chains */
    zk_buf_init(&out, 1u << 20);
    json_t *none = NULL;
    zk_proxy_diff(&out, &cfg, &b, &none, 1);
    zk_buf_putc(&out, '\0');
    t = out.data;
    assert_true(has_line(t, "delete element ip zketest svc-ips { 10.43.0.20 . tcp . 80 }"));
    assert_true(strstr(t, "delete element") < strstr(t, "delete chain"));
    zk_buf_free(&out);
    /* same plan: nothing at all */
    zk_buf_init(&out, 1u << 20);
    zk_proxy_diff(&out, &cfg, &a, &a, 1);
    assert_int_equal(out.len, 0);
    zk_buf_free(&out);
    json_decref(a);
    json_decref(b);
    json_decref(s1);
    json_decref(s2);
    json_decref(svc);
}

static void test_conntrack_for_udp_changes(void **state)
{
    (void)state;
    json_t *svc = svc_web();
    zk_json_set_str(json_array_get(zk_json_path(svc, "spec", "ports", NULL), 0), "protocol", "UDP");
    json_t *s1 = slice("10.42.0.5,10.42.0.6"), *s2 = slice("10.42.0.5"), *s0 = slice("!10.42.0.5");
    /* the slice's port is TCP in slice(): make it UDP too */
    json_t *sl[] = {s1, s2, s0};
    for (size_t i = 0; i < 3; i++)
        zk_json_set_str(json_array_get(json_object_get(sl[i], "ports"), 0), "protocol", "UDP");
    json_t *a = plan_of(svc, s1), *b = plan_of(svc, s2), *none = plan_of(svc, s0);
    json_t *cmds = json_array();
    /* an endpoint went: flows it answered */
    zk_proxy_conntrack(a, b, cmds);
    assert_int_equal(json_array_size(cmds), 1);
    char *text = json_dumps(json_array_get(cmds, 0), JSON_COMPACT);
    assert_string_equal(text, "[\"conntrack\",\"-D\",\"-p\",\"udp\",\"--reply-src\",\"10.42.0.6\","
                              "\"--reply-port-src\",\"8080\"]");
    free(text);
    json_array_clear(cmds);
    /* endpoints came to a port that had none: flows to the cluster IP */
    zk_proxy_conntrack(none, b, cmds);
    assert_int_equal(json_array_size(cmds), 1);
    text = json_dumps(json_array_get(cmds, 0), JSON_COMPACT);
    assert_string_equal(text, "[\"conntrack\",\"-D\",\"-p\",\"udp\",\"--orig-dst\",\"10.43.0.20\","
                              "\"--orig-port-dst\",\"80\"]");
    free(text);
    json_array_clear(cmds);
    /* nothing went and nothing came: nothing; TCP never */
    zk_proxy_conntrack(b, b, cmds);
    assert_int_equal(json_array_size(cmds), 0);
    json_t *tsvc = svc_web(), *t1 = slice("10.42.0.5,10.42.0.6"), *t2 = slice("10.42.0.5");
    json_t *ta = plan_of(tsvc, t1), *tb = plan_of(tsvc, t2);
    zk_proxy_conntrack(ta, tb, cmds);
    assert_int_equal(json_array_size(cmds), 0);
    json_decref(cmds);
    json_decref(ta);
    json_decref(tb);
    json_decref(t1);
    json_decref(t2);
    json_decref(tsvc);
    json_decref(a);
    json_decref(b);
    json_decref(none);
    json_decref(s1);
    json_decref(s2);
    json_decref(s0);
    json_decref(svc);
}

/* The scripts are ones nft takes: checked (not applied) with nft -c when
 * this runs as root with nft present; skipped otherwise, saying so. */
static void test_nft_accepts_scripts(void **state)
{
    (void)state;
    if (geteuid() != 0 || access("/usr/sbin/nft", X_OK) != 0) {
        fprintf(stderr, "skipped: nft -c needs root and /usr/sbin/nft\n");
        skip();
    }
    json_t *svc = svc_web(), *sl = slice("10.42.0.5,10.42.0.6");
    json_t *spec = json_object_get(svc, "spec");
    zk_json_set_str(spec, "type", "NodePort");
    zk_json_set_str(spec, "sessionAffinity", "ClientIP");
    json_object_set_new(json_array_get(json_object_get(spec, "ports"), 0), "nodePort",
                        json_integer(30080));
    json_t *p = plan_of(svc, sl), *none = NULL;
    zk_buf out;
    zk_buf_init(&out, 1u << 20);
    zk_proxy_skeleton(&out, &cfg);
    zk_proxy_diff(&out, &cfg, &none, &p, 1);
    zk_buf_putc(&out, '\0');
    char path[] = "/tmp/zke-rules-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, out.data, out.len - 1), (ssize_t)(out.len - 1));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "/usr/sbin/nft -c -f %s", path);
    int rc = system(cmd);
    unlink(path);
    if (rc != 0)
        fail_msg("nft -c rejected:\n%s", out.data);
    zk_buf_free(&out);
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_ip_plan),
        cmocka_unit_test(test_no_endpoints_and_terminating_fallback),
        cmocka_unit_test(test_node_port_affinity_external_ip),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_unsafe_or_headless_get_nothing),
        cmocka_unit_test(test_diff_touches_only_what_changed),
        cmocka_unit_test(test_conntrack_for_udp_changes),
        cmocka_unit_test(test_nft_accepts_scripts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
