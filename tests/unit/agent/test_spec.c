/* Unit tests for a container's OCI runtime spec, and one run of it through
 * the real runc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/spec.h"
#include "base/json.h"
#include "base/mem.h"

/* The temp dir of the test that ran, removed even when it failed. */
static char tmp[64];

static int remove_tmp(void **state)
{
    (void)state;
    if (tmp[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmp);
        tmp[0] = '\0';
    }
    return 0;
}

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad test JSON: %s: %s", e.text, text);
    return j;
}

static json_t *build_ok(const char *pod, const char *ctr, const char *img,
                        const zk_agent_spec_opts *o)
{
    json_t *p = J(pod), *c = J(ctr), *i = J(img), *out = NULL;
    zk_err e = {0};
    if (zk_agent_spec_build(p, c, i, o, &out, &e) != 0)
        fail_msg("build: %s", e.msg);
    json_decref(p);
    json_decref(c);
    json_decref(i);
    return out;
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

#define POD "{\"metadata\":{\"name\":\"web-1\"},\"spec\":{}}"
#define IMG "{\"config\":{\"Entrypoint\":[\"/bin/app\"],\"Cmd\":[\"--serve\"],\"Env\":[\"PATH=/bin\",\"A=1\"]}}"

static void expect_args(const char *ctr, const char *want)
{
    json_t *s = build_ok(POD, ctr, IMG, NULL);
    zk_autofree char *got = dump(zk_json_path(s, "process", "args", NULL));
    if (strcmp(got, want))
        fail_msg("args for %s: %s, want %s", ctr, got, want);
    json_decref(s);
}

static void test_command_args_env(void **state)
{
    (void)state;
    expect_args("{\"name\":\"c\"}", "[\"/bin/app\",\"--serve\"]");
    expect_args("{\"name\":\"c\",\"args\":[\"x\"]}", "[\"/bin/app\",\"x\"]");
    expect_args("{\"name\":\"c\",\"command\":[\"/run\"]}", "[\"/run\"]");
    expect_args("{\"name\":\"c\",\"command\":[\"/run\"],\"args\":[\"-v\"]}", "[\"/run\",\"-v\"]");
    expect_args("{\"name\":\"c\",\"command\":[\"/run\",\"$(A)\",\"$$(A)\",\"$(NOPE)\"]}",
                "[\"/run\",\"1\",\"$(A)\",\"$(NOPE)\"]");

    json_t *s = build_ok(POD, "{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"2\"},"
                              "{\"name\":\"B\",\"value\":\"$(A)-x\"},{\"name\":\"C\",\"value\":\"$$(A)\"}]}",
                         IMG, NULL);
    zk_autofree char *env = dump(zk_json_path(s, "process", "env", NULL));
    /* the container's A replaces the image's, in place */
    assert_string_equal(env, "[\"PATH=/bin\",\"A=2\",\"B=2-x\",\"C=$(A)\"]");
    assert_string_equal(zk_json_path_str(s, "process", "cwd", NULL), "/");
    assert_string_equal(zk_json_str(s, "hostname"), "web-1");
    json_decref(s);

    /* an image without PATH gets the usual one */
    s = build_ok(POD, "{\"name\":\"c\",\"command\":[\"/x\"],\"workingDir\":\"/srv\"}", "{}", NULL);
    assert_non_null(strstr(json_string_value(json_array_get(zk_json_path(s, "process", "env", NULL), 0)),
                           "PATH=/usr/local/sbin"));
    assert_string_equal(zk_json_path_str(s, "process", "cwd", NULL), "/srv");
    json_decref(s);

    zk_err e = {0};
    json_t *p = J(POD), *c = J("{\"name\":\"c\"}"), *i = J("{}"), *out = NULL;
    assert_int_equal(zk_agent_spec_build(p, c, i, NULL, &out, &e), -ZK_EINVAL);
    assert_non_null(strstr(e.msg, "no command"));
    json_decref(c);
    c = J("{\"name\":\"c\",\"command\":[\"/x\"],\"workingDir\":\"rel\"}");
    assert_int_equal(zk_agent_spec_build(p, c, i, NULL, &out, &e), -ZK_EINVAL);
    assert_non_null(strstr(e.msg, "workingDir"));
    json_decref(p);
    json_decref(c);
    json_decref(i);
}

static void test_resources(void **state)
{
    (void)state;
    assert_int_equal(zk_agent_cpu_shares(250), 256);
    assert_int_equal(zk_agent_cpu_shares(1), 2);
    assert_int_equal(zk_agent_cpu_shares(0), 2);
    assert_int_equal(zk_agent_cpu_quota(500), 50000);
    assert_int_equal(zk_agent_cpu_quota(5), 1000);
    zk_agent_spec_opts o = {.rootfs = "/r", .pids_limit = 4096, .cgroups_path = "/zke/p1/c"};
    json_t *s = build_ok(POD, "{\"name\":\"c\",\"command\":[\"/x\"],\"resources\":{"
                              "\"requests\":{\"cpu\":\"250m\"},\"limits\":{\"cpu\":\"500m\","
                              "\"memory\":\"64Mi\"}}}", "{}", &o);
    const json_t *r = zk_json_path(s, "linux", "resources", NULL);
    assert_int_equal(zk_json_int(json_object_get(r, "cpu"), "shares", 0), 256);
    assert_int_equal(zk_json_int(json_object_get(r, "cpu"), "quota", 0), 50000);
    assert_int_equal(zk_json_int(json_object_get(r, "cpu"), "period", 0), 100000);
    assert_int_equal(zk_json_int(json_object_get(r, "memory"), "limit", 0), 64 << 20);
    assert_int_equal(zk_json_int(json_object_get(r, "pids"), "limit", 0), 4096);
    assert_string_equal(zk_json_path_str(s, "linux", "cgroupsPath", NULL), "/zke/p1/c");
    assert_string_equal(zk_json_path_str(s, "root", "path", NULL), "/r");
    json_decref(s);
    /* only a limit: the request is the limit, as the API server defaults it */
    s = build_ok(POD, "{\"name\":\"c\",\"command\":[\"/x\"],\"resources\":{\"limits\":{\"cpu\":\"2\"}}}",
                 "{}", NULL);
    r = zk_json_path(s, "linux", "resources", "cpu", NULL);
    assert_int_equal(zk_json_int(r, "shares", 0), 2048);
    assert_int_equal(zk_json_int(r, "quota", 0), 200000);
    json_decref(s);
}

static void test_user_and_security(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/zk-spec-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    const char *root = tmp;
    zk_autofree char *etc = zk_xasprintf("%s/etc", root);
    mkdir(etc, 0755);
    zk_autofree char *pw = zk_xasprintf("%s/passwd", etc);
    zk_autofree char *gr = zk_xasprintf("%s/group", etc);
    FILE *f = fopen(pw, "w");
    fputs("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n", f);
    fclose(f);
    f = fopen(gr, "w");
    fputs("root:x:0:\nstaff:x:50:\n", f);
    fclose(f);
    zk_agent_spec_opts o = {.rootfs = root};
    json_t *s = build_ok(POD, "{\"name\":\"c\",\"command\":[\"/x\"]}",
                         "{\"config\":{\"User\":\"app\"}}", &o);
    assert_int_equal(zk_json_int(zk_json_path(s, "process", "user", NULL), "uid", -1), 1000);
    assert_int_equal(zk_json_int(zk_json_path(s, "process", "user", NULL), "gid", -1), 1001);
    json_decref(s);
    s = build_ok(POD, "{\"name\":\"c\",\"command\":[\"/x\"]}", "{\"config\":{\"User\":\"app:staff\"}}", &o);
    assert_int_equal(zk_json_int(zk_json_path(s, "process", "user", NULL), "gid", -1), 50);
    json_decref(s);
    /* the pod's securityContext, then the container's, win over the image */
    s = build_ok("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"securityContext\":{\"runAsUser\":7,"
                 "\"runAsGroup\":8}}}",
                 "{\"name\":\"c\",\"command\":[\"/x\"],\"securityContext\":{\"runAsUser\":9,"
                 "\"readOnlyRootFilesystem\":true,\"allowPrivilegeEscalation\":false,"
                 "\"capabilities\":{\"drop\":[\"ALL\"],\"add\":[\"NET_ADMIN\",\"CAP_NET_RAW\"]}}}",
                 "{\"config\":{\"User\":\"app\"}}", &o);
    assert_int_equal(zk_json_int(zk_json_path(s, "process", "user", NULL), "uid", -1), 9);
    assert_int_equal(zk_json_int(zk_json_path(s, "process", "user", NULL), "gid", -1), 8);
    assert_true(json_is_true(zk_json_path(s, "root", "readonly", NULL)));
    assert_true(json_is_true(zk_json_path(s, "process", "noNewPrivileges", NULL)));
    zk_autofree char *caps = dump(zk_json_path(s, "process", "capabilities", "bounding", NULL));
    assert_string_equal(caps, "[\"CAP_NET_ADMIN\",\"CAP_NET_RAW\"]");
    json_decref(s);

    zk_err e = {0};
    json_t *p = J("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"securityContext\":{\"runAsNonRoot\":true}}}");
    json_t *c = J("{\"name\":\"c\",\"command\":[\"/x\"]}"), *i = J("{}"), *out = NULL;
    assert_int_equal(zk_agent_spec_build(p, c, i, &o, &out, &e), -ZK_EINVAL);
    assert_non_null(strstr(e.msg, "runAsNonRoot"));
    json_decref(i);
    i = J("{\"config\":{\"User\":\"nobody-here\"}}");
    assert_int_equal(zk_agent_spec_build(p, c, i, &o, &out, &e), -ZK_EINVAL);
    assert_non_null(strstr(e.msg, "/etc/passwd"));
    json_decref(c);
    c = J("{\"name\":\"c\",\"command\":[\"/x\"],\"securityContext\":{\"capabilities\":{\"add\":[\"NET ADMIN\"]}}}");
    json_decref(i);
    i = J("{}");
    json_decref(p);
    p = J(POD);
    assert_int_equal(zk_agent_spec_build(p, c, i, &o, &out, &e), -ZK_EINVAL);
    assert_non_null(strstr(e.msg, "capability"));
    json_decref(p);
    json_decref(c);
    json_decref(i);
}

/* The spec runs under the real runc: a static program in an otherwise
 * empty root prints its arguments, a variable, its uid and its directory,
 * and exits 3. */
static void test_runc_runs_the_spec(void **state)
{
    (void)state;
    if (geteuid() != 0 || system("runc --version >/dev/null 2>&1") != 0) {
        /* CI runs as root with runc installed (scripts/deps.sh) */
        skip();
    }
    snprintf(tmp, sizeof(tmp), "/tmp/zk-runc-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    const char *dir = tmp;
    zk_autofree char *rootfs = zk_xasprintf("%s/rootfs", dir);
    assert_int_equal(mkdir(rootfs, 0755), 0);
    zk_autofree char *src = zk_xasprintf("%s/hello.c", dir);
    FILE *f = fopen(src, "w");
    fputs("#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n"
          "int main(int argc, char **argv) {\n"
          "  char cwd[256];\n"
          "  printf(\"args:\");\n"
          "  for (int i = 0; i < argc; i++) printf(\" %s\", argv[i]);\n"
          "  printf(\"\\nGREETING=%s uid=%d cwd=%s\\n\", getenv(\"GREETING\"), (int)getuid(),\n"
          "         getcwd(cwd, sizeof cwd));\n"
          "  return 3;\n}\n", f);
    fclose(f);
    zk_autofree char *cc = zk_xasprintf("cc -static -O1 -o %s/hello %s", rootfs, src);
    assert_int_equal(system(cc), 0);
    zk_autofree char *tmpdir = zk_xasprintf("%s/tmp", rootfs);
    mkdir(tmpdir, 01777);

    zk_agent_spec_opts o = {.rootfs = rootfs, .pids_limit = 64};
    json_t *s = build_ok(POD,
                         "{\"name\":\"c\",\"args\":[\"one\",\"$(GREETING)\"],\"workingDir\":\"/tmp\","
                         "\"env\":[{\"name\":\"GREETING\",\"value\":\"hi\"}],"
                         "\"securityContext\":{\"runAsUser\":1234},"
                         "\"resources\":{\"limits\":{\"cpu\":\"200m\",\"memory\":\"32Mi\"}}}",
                         "{\"config\":{\"Entrypoint\":[\"/hello\"],\"Cmd\":[\"default\"]}}", &o);
    zk_autofree char *cfg = zk_xasprintf("%s/config.json", dir);
    assert_int_equal(json_dump_file(s, cfg, JSON_INDENT(1)), 0);
    json_decref(s);
    zk_autofree char *out = zk_xasprintf("%s/out.txt", dir);
    zk_autofree char *run = zk_xasprintf("cd %s && runc run --bundle %s zk-spec-test-%d > %s 2>&1",
                                         dir, dir, (int)getpid(), out);
    int st = system(run);
    assert_true(WIFEXITED(st));
    char text[1024] = "";
    f = fopen(out, "r");
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    if (WEXITSTATUS(st) != 3)
        fail_msg("runc exited %d: %s", WEXITSTATUS(st), text);
    assert_non_null(strstr(text, "args: /hello one hi\n"));
    assert_non_null(strstr(text, "GREETING=hi uid=1234 cwd=/tmp\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_args_env),
        cmocka_unit_test(test_resources),
        cmocka_unit_test_teardown(test_user_and_security, remove_tmp),
        cmocka_unit_test_teardown(test_runc_runs_the_spec, remove_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
