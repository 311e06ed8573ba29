/* zke sim's command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim/sim.h"

/* Parse a space-separated command line (getopt wants writable strings). */
static int parse(const char *line, zk_sim_opts *o, zk_err *err)
{
    static char buf[4096];
    static char *argv[256];
    snprintf(buf, sizeof(buf), "sim %s", line);
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 255;
         t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    argv[argc] = NULL;
    memset(err, 0, sizeof(*err));
    return zk_sim_opts_parse(argc, argv, o, err);
}

static void test_defaults(void **state)
{
    zk_sim_opts o;
    zk_err err;
    assert_int_equal(parse("--nodes 5", &o, &err), 0);
    assert_int_equal(o.nodes, 5);
    assert_int_equal(o.lease_s, 10);
    assert_int_equal(o.status_s, 60);
    assert_int_equal(o.concurrency, 32);
    assert_int_equal(o.stats_s, 60);
    assert_null(o.kubeconfig);
    assert_null(o.prefix);
    assert_null(o.template_path);
    assert_false(o.delete_on_exit);
    assert_int_equal(o.nfail, 0);
}

static void test_everything(void **state)
{
    zk_sim_opts o;
    zk_err err;
    assert_int_equal(parse("--kubeconfig /k --nodes 16384 --node-template t.yaml --prefix p- "
                           "--lease-seconds 1 --node-status-seconds 5 --concurrency 512 "
                           "--fail p-1 --fail p-2 --recover p-3 --delete-nodes-on-exit "
                           "--stats-seconds 7",
                           &o, &err),
                     0);
    assert_string_equal(o.kubeconfig, "/k");
    assert_int_equal(o.nodes, 16384);
    assert_string_equal(o.template_path, "t.yaml");
    assert_string_equal(o.prefix, "p-");
    assert_int_equal(o.lease_s, 1);
    assert_int_equal(o.status_s, 5);
    assert_int_equal(o.concurrency, 512);
    assert_int_equal(o.stats_s, 7);
    assert_int_equal(o.nfail, 2);
    assert_string_equal(o.fail[1], "p-2");
    assert_int_equal(o.nrecover, 1);
    assert_string_equal(o.recover[0], "p-3");
    assert_true(o.delete_on_exit);
    /* --fail alone: mark and exit */
    assert_int_equal(parse("--fail sim-3", &o, &err), 0);
    assert_int_equal(o.nodes, 0);
    assert_int_equal(o.nfail, 1);
    assert_int_equal(parse("--help", &o, &err), 0);
    assert_true(o.help);
}

static void test_errors(void **state)
{
    static const struct {
        const char *line, *want;
    } bad[] = {
        {"", "--nodes N is required"},
        {"--nodes 0", "--nodes wants a number from 1 to 16384"},
        {"--nodes 16385", "--nodes wants"},
        {"--nodes 5x", "not '5x'"},
        {"--nodes 5 --lease-seconds 0", "--lease-seconds"},
        {"--nodes 5 --node-status-seconds 3601", "--node-status-seconds"},
        {"--nodes 5 --concurrency 513", "--concurrency wants a number from 1 to 512"},
        {"--nodes 5 --stats-seconds -1", "--stats-seconds"},
        {"--fail a --recover a", "node a is both --fail and --recover"},
        {"--fail a --node-template t.yaml", "need --nodes"},
        {"--fail a --delete-nodes-on-exit", "need --nodes"},
        {"--nodes 5 --bogus", "unknown option '--bogus'"},
        {"--nodes", "--nodes wants a value"},
        {"--nodes 5 extra", "unexpected argument 'extra'"},
        {"--nodes 5 --log-level loud", "--log-level"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        zk_sim_opts o;
        zk_err err;
        if (parse(bad[i].line, &o, &err) == 0)
            fail_msg("'%s' was accepted", bad[i].line);
        if (!strstr(err.msg, bad[i].want))
            fail_msg("'%s': message '%s' does not say '%s'", bad[i].line, err.msg, bad[i].want);
    }
}

static void test_named_nodes_are_bounded(void **state)
{
    char line[4096] = "";
    size_t n = 0;
    for (int i = 0; i < ZK_SIM_MAX_NAMED; i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, "--fail n%d ", i);
    zk_sim_opts o;
    zk_err err;
    assert_int_equal(parse(line, &o, &err), 0);
    assert_int_equal(o.nfail, ZK_SIM_MAX_NAMED);
    snprintf(line + n, sizeof(line) - n, "--fail one-more");
    assert_true(parse(line, &o, &err) < 0);
    assert_non_null(strstr(err.msg, "at most 64 --fail nodes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_everything),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_named_nodes_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
