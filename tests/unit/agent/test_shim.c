/* zke shim runs a container under the real runc: every line the container
 * writes reaches the CRI log with its stream, and its exit status reaches
 * exit.json. Needs root and runc (CI has both). */
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

#include "agent/crilog.h"
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

static void test_shim_logs_and_exit_status(void **state)
{
    (void)state;
    const char *zke = getenv("ZKE_BIN");
    if (geteuid() != 0 || !zke || system("runc --version >/dev/null 2>&1") != 0) {
        /* CI runs as root with runc (scripts/deps.sh) and sets ZKE_BIN */
        skip();
    }
    snprintf(tmp, sizeof(tmp), "/tmp/zk-shim-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    const char *dir = tmp;
    zk_autofree char *rootfs = zk_xasprintf("%s/rootfs", dir);
    assert_int_equal(mkdir(rootfs, 0755), 0);
    zk_autofree char *src = zk_xasprintf("%s/p.c", dir);
    FILE *f = fopen(src, "w");
    fputs("#include <stdio.h>\n#include <string.h>\n"
          "int main(void) {\n"
          "  for (int i = 0; i < 1000; i++) printf(\"out %d\\n\", i);\n"
          "  fflush(stdout);\n"
          "  fprintf(stderr, \"err line\\n\");\n"
          "  static char big[40000]; memset(big, 'b', sizeof big - 1); puts(big);\n"
          "  printf(\"no newline at the end\");\n"
          "  return 5;\n}\n", f);
    fclose(f);
    zk_autofree char *cc = zk_xasprintf("cc -static -O1 -o %s/p %s", rootfs, src);
    assert_int_equal(system(cc), 0);

    json_error_t je;
    json_t *pod = json_loads("{\"metadata\":{\"name\":\"shim-test\"}}", 0, &je);
    json_t *ctr = json_loads("{\"name\":\"c\",\"command\":[\"/p\"]}", 0, &je);
    json_t *img = json_object();
    json_t *spec = NULL;
    zk_agent_spec_opts o = {.rootfs = rootfs};
    zk_err e = {0};
    assert_int_equal(zk_agent_spec_build(pod, ctr, img, &o, &spec, &e), 0);
    zk_autofree char *cfg = zk_xasprintf("%s/config.json", dir);
    assert_int_equal(json_dump_file(spec, cfg, 0), 0);
    json_decref(pod);
    json_decref(ctr);
    json_decref(img);
    json_decref(spec);

    zk_autofree char *log = zk_xasprintf("%s/0.log", dir);
    zk_autofree char *cmd = zk_xasprintf("%s shim --id zk-shim-test-%d --bundle %s --log %s", zke,
                                         (int)getpid(), dir, log);
    /* the shim answers once the container runs, then detaches */
    assert_int_equal(system(cmd), 0);
    zk_autofree char *startp = zk_xasprintf("%s/started.json", dir);
    json_t *st = json_load_file(startp, 0, &je);
    assert_non_null(st);
    assert_true(zk_json_int(st, "pid", 0) > 0);
    json_decref(st);

    zk_autofree char *exitp = zk_xasprintf("%s/exit.json", dir);
    json_t *ex = NULL;
    for (int i = 0; i < 300 && !ex; i++) {   /* bounded: 30 s */
        ex = json_load_file(exitp, 0, &je);
        if (!ex)
            usleep(100 * 1000);
    }
    assert_non_null(ex);
    assert_int_equal(zk_json_int(ex, "exitCode", -1), 5);
    assert_non_null(zk_json_str(ex, "finishedAt"));
    assert_false(json_is_true(json_object_get(ex, "oomKilled")));
    json_decref(ex);

    f = fopen(log, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int outs = 0, errs = 0, partials = 0, last_out = -1;
    bool tail_seen = false;
    size_t big_len = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        zk_crilog_line l;
        assert_int_equal(zk_crilog_parse(line, (size_t)n - 1, &l), 0);
        if (l.err_stream) {
            errs++;
            assert_memory_equal(l.msg, "err line", 8);
            continue;
        }
        int v;
        if (l.msg_len < 20 && sscanf(l.msg, "out %d", &v) == 1) {
            assert_int_equal(v, last_out + 1); /* every line, in order */
            last_out = v;
        } else if (l.msg_len && l.msg[0] == 'b') {
            big_len += l.msg_len;
            partials += l.partial;
        } else if (l.msg_len == 21 && !memcmp(l.msg, "no newline at the end", 21)) {
            tail_seen = true;
        }
        outs++;
    }
    free(line);
    fclose(f);
    assert_int_equal(last_out, 999);
    assert_int_equal(errs, 1);
    assert_int_equal(big_len, 39999);
    assert_int_equal(partials, 2);
    assert_true(tail_seen);
    assert_true(outs >= 1003);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_shim_logs_and_exit_status, remove_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
