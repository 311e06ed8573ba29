/* Unit tests for CRI log writing, parsing and rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/crilog.h"
#include "base/mem.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = zk_xmalloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

/* Parse every line of text into lines[]; returns their count. */
static int parse_all(char *text, zk_crilog_line *lines, int max)
{
    int n = 0;
    for (char *p = text; *p && n < max;) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl);
        if (zk_crilog_parse(p, (size_t)(nl - p), &lines[n]) != 0)
            fail_msg("unparsable line: %.*s", (int)(nl - p), p);
        n++;
        p = nl + 1;
    }
    return n;
}

static void test_write_and_parse(void **state)
{
    (void)state;
    char dir[] = "/tmp/zk-crilog-XXXXXX";
    assert_non_null(mkdtemp(dir));
    zk_autofree char *path = zk_xasprintf("%s/0.log", dir);
    zk_err e = {0};
    zk_crilog *l = zk_crilog_open(path, 0, 1, &e);
    assert_non_null(l);
    /* lines arrive in pieces, interleaved between the streams */
    assert_int_equal(zk_crilog_feed(l, false, "hel", 3, &e), 0);
    assert_int_equal(zk_crilog_feed(l, true, "oops\n", 5, &e), 0);
    assert_int_equal(zk_crilog_feed(l, false, "lo\n\nworld", 9, &e), 0);
    /* a line longer than the limit is split: P pieces, then F */
    size_t big = ZK_CRILOG_MAX_LINE + 100;
    char *long_line = zk_xmalloc(big + 1);
    memset(long_line, 'x', big);
    long_line[big] = '\n';
    assert_int_equal(zk_crilog_feed(l, true, long_line, big + 1, &e), 0);
    assert_int_equal(zk_crilog_flush(l, false, &e), 0);
    zk_crilog_close(l);
    free(long_line);
    assert_int_equal(
        ({ struct stat sb; stat(path, &sb); (int)(sb.st_mode & 0777); }), 0600);

    size_t len;
    zk_autofree char *text = slurp(path, &len);
    zk_crilog_line lines[8];
    int n = parse_all(text, lines, 8);
    assert_int_equal(n, 6);
    assert_true(lines[0].err_stream);
    assert_memory_equal(lines[0].msg, "oops", 4);
    assert_false(lines[1].err_stream);
    assert_int_equal(lines[1].msg_len, 5);
    assert_memory_equal(lines[1].msg, "hello", 5);
    assert_int_equal(lines[2].msg_len, 0);               /* the empty line */
    assert_true(lines[3].partial);
    assert_int_equal(lines[3].msg_len, ZK_CRILOG_MAX_LINE);
    assert_false(lines[4].partial);
    assert_int_equal(lines[4].msg_len, 100);
    assert_memory_equal(lines[5].msg, "world", 5);       /* flushed at the end */
    assert_false(lines[5].partial);
    assert_int_equal(lines[5].time_len, 30);             /* ....T..:..:..123456789Z */
    unlink(path);
    rmdir(dir);
}

static void test_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/zk-crilog-XXXXXX";
    assert_non_null(mkdtemp(dir));
    zk_autofree char *path = zk_xasprintf("%s/0.log", dir);
    zk_err e = {0};
    zk_crilog *l = zk_crilog_open(path, 1000, 3, &e);
    assert_non_null(l);
    char line[64];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(line, sizeof(line), "line %03d\n", i);
        assert_int_equal(zk_crilog_feed(l, false, line, (size_t)n, &e), 0);
    }
    zk_crilog_close(l);
    /* three files at most, each within the bound, the newest lines last */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size <= 1000);
    zk_autofree char *p1 = zk_xasprintf("%s.1", path);
    zk_autofree char *p2 = zk_xasprintf("%s.2", path);
    zk_autofree char *p3 = zk_xasprintf("%s.3", path);
    assert_int_equal(stat(p1, &sb), 0);
    assert_true(sb.st_size <= 1000);
    assert_int_equal(stat(p2, &sb), 0);
    assert_int_equal(stat(p3, &sb), -1);
    size_t len;
    zk_autofree char *text = slurp(path, &len);
    assert_non_null(strstr(text, "line 099"));
    zk_autofree char *old = slurp(p1, &len);
    assert_null(strstr(old, "line 099"));
    unlink(path);
    unlink(p1);
    unlink(p2);
    rmdir(dir);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    zk_crilog_line l;
    const char *bad[] = {
        "", "no-spaces", "2026-11-27T00:00:00Z stdin F x", "2026-11-27T00:00:00Z stdout X x",
        "2026-11-27T00:00:00Z stdout Fx", "hello stdout F x", " stdout F x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (zk_crilog_parse(bad[i], strlen(bad[i]), &l) != -ZK_EPARSE)
            fail_msg("accepted: \"%s\"", bad[i]);
    const char *ok = "2026-11-27T00:00:00.000000001Z stderr F";
    assert_int_equal(zk_crilog_parse(ok, strlen(ok), &l), 0);
    assert_int_equal(l.msg_len, 0);
    assert_true(l.err_stream);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_and_parse),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_parse_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
