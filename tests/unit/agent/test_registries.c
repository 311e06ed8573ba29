/* Unit tests for the registries file: validation, the pull plan (mirrors,
 * rewrites, the registry last), credentials and the file's mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/registries.h"
#include "base/mem.h"

static zk_registries *parse_ok(const char *y)
{
    zk_registries *r = NULL;
    zk_err e = {0};
    if (zk_registries_parse(y, strlen(y), &r, &e) != 0)
        fail_msg("parse: %s", e.msg);
    return r;
}

static void expect_bad(const char *y, const char *needle)
{
    zk_registries *r = NULL;
    zk_err e = {0};
    assert_int_not_equal(zk_registries_parse(y, strlen(y), &r, &e), 0);
    assert_null(r);
    if (!strstr(e.msg, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
}

static void test_plan(void **state)
{
    (void)state;
    zk_registries *r = parse_ok(
        "mirrors:\n"
        "  docker.io:\n"
        "    endpoint: [\"http://127.0.0.1:5000/\", \"https://mirror.local\"]\n"
        "    rewrite:\n"
        "      \"^library/(.*)$\": \"hub/${1}-mirrored\"\n"
        "  \"*\":\n"
        "    endpoint: [\"http://127.0.0.1:6000\"]\n"
        "configs:\n"
        "  mirror.local:\n"
        "    auth: {username: u, password: p}\n"
        "    tls: {insecure_skip_verify: true, ca_file: /etc/zke/ca.crt}\n"
        "  reg.example:\n"
        "    auth: {username: a, password: b}\n");
    zk_image_ref ref;
    assert_int_equal(zk_agent_image_ref_parse("busybox:1", &ref, NULL), 0);
    zk_registry_try t[8];
    size_t n = zk_registries_plan(r, &ref, t, 8);
    assert_int_equal(n, 3);
    assert_string_equal(t[0].endpoint, "http://127.0.0.1:5000");
    assert_string_equal(t[0].path, "hub/busybox-mirrored");
    assert_true(t[0].insecure);
    assert_null(t[0].username);
    assert_string_equal(t[1].endpoint, "https://mirror.local");
    assert_string_equal(t[1].username, "u");
    assert_string_equal(t[1].password, "p");
    assert_true(t[1].insecure);
    assert_string_equal(t[1].ca_file, "/etc/zke/ca.crt");
    assert_string_equal(t[2].endpoint, "https://registry-1.docker.io");
    assert_string_equal(t[2].path, "library/busybox");
    assert_false(t[2].insecure);
    /* "*" serves every other registry; the registry's own config applies */
    assert_int_equal(zk_agent_image_ref_parse("reg.example/team/app:2", &ref, NULL), 0);
    n = zk_registries_plan(r, &ref, t, 8);
    assert_int_equal(n, 2);
    assert_string_equal(t[0].endpoint, "http://127.0.0.1:6000");
    assert_string_equal(t[0].path, "team/app");
    assert_string_equal(t[1].endpoint, "https://reg.example");
    assert_string_equal(t[1].username, "a");
    /* the plan is bounded by the room given */
    assert_int_equal(zk_registries_plan(r, &ref, t, 1), 1);
    zk_registries_free(r);
    /* no file: loopback registries over HTTP, others over HTTPS */
    assert_int_equal(zk_agent_image_ref_parse("127.0.0.1:5000/x:1", &ref, NULL), 0);
    n = zk_registries_plan(NULL, &ref, t, 8);
    assert_int_equal(n, 1);
    assert_string_equal(t[0].endpoint, "http://127.0.0.1:5000");
}

static void test_validation(void **state)
{
    (void)state;
    expect_bad("mirror: {}\n", "unknown field \"mirror\"");
    expect_bad("mirrors: {docker.io: {endpoints: []}}\n", "unknown field \"endpoints\"");
    expect_bad("mirrors: {docker.io: {endpoint: [\"ftp://x\"]}}\n", "endpoint[0]");
    expect_bad("mirrors: {docker.io: {endpoint: [\"http://\"]}}\n", "endpoint[0]");
    expect_bad("mirrors: {docker.io: {endpoint: \"http://x\"}}\n", "not a list");
    expect_bad("mirrors: {docker.io: {rewrite: {\"(\": \"x\"}}}\n", "regular expression");
    /* patterns that would make regcomp take gigabytes (found by fuzz_registries) */
    expect_bad("mirrors: {o.io: {rewrite: {\"^library+++++++++++++++++++\": \"x\"}}}\n",
               "stacked on another");
    expect_bad("mirrors: {o.io: {rewrite: {\"((a{50}){50})\": \"x\"}}}\n", "past 1000");
    expect_bad("mirrors: {o.io: {rewrite: {\"(((((a+)+)+)+)+)+\": \"x\"}}}\n",
               "quantified groups");
    expect_bad("mirrors: {o.io: {rewrite: {\"a{500}\": \"x\"}}}\n", "count over 100");
    /* what registries.yaml files say stays fine */
    zk_registries_free(parse_ok("mirrors: {o.io: {rewrite: {\"^library/(.*)\": \"m/$1\", "
                                "\"^a[+*]{2,3}(b|c)?$\": \"x\"}}}\n"));
    expect_bad("configs: {r: {auth: {user: x}}}\n", "unknown field \"user\"");
    expect_bad("configs: {r: {tls: {insecure_skip_verify: maybe}}}\n", "not a boolean");
    expect_bad("- a\n- b\n", "not a map");
    expect_bad("mirrors: [\n", "registries");
    zk_registries_free(parse_ok(""));
}

static void test_mode_of_a_file_with_credentials(void **state)
{
    (void)state;
    char dir[] = "/tmp/zk-reg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    zk_autofree char *path = zk_xasprintf("%s/registries.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("configs:\n  r.io:\n    auth: {username: u, password: secret}\n", f);
    fclose(f);
    chmod(path, 0644);
    zk_registries *r = NULL;
    zk_err e = {0};
    assert_int_equal(zk_registries_load(path, &r, &e), -ZK_EFORBIDDEN);
    assert_non_null(strstr(e.msg, "chmod 600"));
    chmod(path, 0600);
    assert_int_equal(zk_registries_load(path, &r, &e), 0);
    zk_registries_free(r);
    /* without credentials the mode does not matter */
    f = fopen(path, "w");
    fputs("mirrors:\n  docker.io:\n    endpoint: [\"http://127.0.0.1:5000\"]\n", f);
    fclose(f);
    chmod(path, 0644);
    assert_int_equal(zk_registries_load(path, &r, &e), 0);
    zk_registries_free(r);
    /* a missing file is an empty configuration */
    unlink(path);
    assert_int_equal(zk_registries_load(path, &r, &e), 0);
    zk_registries_free(r);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_mode_of_a_file_with_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
