/* Unit tests for image reference parsing and normalization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "agent/image_ref.h"

static void expect_norm(const char *in, const char *want)
{
    zk_image_ref r;
    zk_err e = {0};
    int rc = zk_agent_image_ref_parse(in, &r, &e);
    if (rc != 0)
        fail_msg("parse %s: %s", in, e.msg);
    char buf[600];
    zk_agent_image_ref_string(&r, buf, sizeof(buf));
    if (strcmp(buf, want))
        fail_msg("%s normalized to %s, want %s", in, buf, want);
}

static void expect_bad(const char *in, const char *needle)
{
    zk_image_ref r;
    zk_err e = {0};
    assert_int_equal(zk_agent_image_ref_parse(in, &r, &e), -ZK_EINVAL);
    if (!strstr(e.msg, needle))
        fail_msg("error for \"%s\" is \"%s\", wanted it to mention \"%s\"", in, e.msg, needle);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_normalization(void **state)
{
    (void)state;
    expect_norm("busybox", "docker.io/library/busybox:latest");
    expect_norm("busybox:1.36", "docker.io/library/busybox:1.36");
    expect_norm("nginx:1.15.4", "docker.io/library/nginx:1.15.4");
    expect_norm("bitnami/redis", "docker.io/bitnami/redis:latest");
    expect_norm("docker.io/busybox", "docker.io/library/busybox:latest");
    expect_norm("index.docker.io/library/busybox:x", "docker.io/library/busybox:x");
    expect_norm("registry.local/app:1.3", "registry.local/app:1.3");
    expect_norm("127.0.0.1:5000/zke/test-http:v1", "127.0.0.1:5000/zke/test-http:v1");
    expect_norm("localhost/web", "localhost/web:latest");
    expect_norm("localhost:5000/a/b/c", "localhost:5000/a/b/c:latest");
    expect_norm("[::1]:5000/x", "[::1]:5000/x:latest");
    expect_norm("a.b-c/d__e/f--g.h", "a.b-c/d__e/f--g.h:latest");
    expect_norm("busybox@sha256:" D64, "docker.io/library/busybox@sha256:" D64);
    expect_norm("r.io/x:1@sha256:" D64, "r.io/x:1@sha256:" D64);
    /* a name without a registry keeps its first component as a path */
    expect_norm("myorg/app", "docker.io/myorg/app:latest");

    zk_image_ref r;
    assert_int_equal(zk_agent_image_ref_parse("reg.io:443/team/app:2", &r, NULL), 0);
    assert_string_equal(r.domain, "reg.io:443");
    assert_string_equal(r.path, "team/app");
    assert_string_equal(r.tag, "2");
    assert_string_equal(r.digest, "");
    char name[300];
    zk_agent_image_ref_name(&r, name, sizeof(name));
    assert_string_equal(name, "reg.io:443/team/app");
}

static void test_rejects(void **state)
{
    (void)state;
    expect_bad("", "empty");
    expect_bad("Busybox", "name component");
    expect_bad("busy box", "space");
    expect_bad("busybox:", "tag");
    expect_bad("busybox:.x", "tag");
    expect_bad("busybox@sha256:abc", "digest");
    expect_bad("busybox@md5:" D64, "digest");
    expect_bad("busybox@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
               "digest");
    expect_bad("a//b", "name component");
    expect_bad("a/b/", "ends in");
    expect_bad("-a", "name component");
    expect_bad("a-", "name component");
    expect_bad("a..b", "name component");
    expect_bad("a___b", "name component");
    expect_bad("reg.io:99999999/x", "registry");
    expect_bad("reg.io:/x", "registry");
    expect_bad(":tag", "no name");
    expect_bad("@sha256:" D64, "no name");
    expect_bad("r.io/x\x01", "printable");
    char longname[400];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    expect_bad(longname, "longer");
    char longtag[200] = "busybox:";
    memset(longtag + 8, 't', 150);
    longtag[158] = '\0';
    expect_bad(longtag, "tag");
}

static void test_digest_valid(void **state)
{
    (void)state;
    assert_true(zk_agent_image_digest_valid("sha256:" D64));
    assert_true(zk_agent_image_digest_valid("sha512:" D64 D64));
    assert_false(zk_agent_image_digest_valid("sha256:" D64 "0"));
    assert_false(zk_agent_image_digest_valid("sha512:" D64));
    assert_false(zk_agent_image_digest_valid("sha256:"));
    assert_false(zk_agent_image_digest_valid("SHA256:" D64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalization),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_digest_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
