/* zke's JSON reader and writer against jansson's: the same trees (key order
 * included) and the same text, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"

/* jansson's text for j, which zk_json_write() must match */
static char *zk__jansson_text(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Read s both ways: both fail, or both give the same tree in the same order. */
static void zk__same_read(const char *s, size_t len, size_t flags)
{
    json_error_t e1, e2;
    json_t *want = json_loadb(s, len, flags, &e1);
    json_t *got = zk_json_loadb(s, len, flags, &e2);
    if (!want) {
        assert_null(got);
        assert_string_equal(e1.text, e2.text);
        assert_int_equal(e1.line, e2.line);
        assert_int_equal(e1.column, e2.column);
        return;
    }
    assert_non_null(got);
    assert_true(json_equal(want, got));
    zk_autofree char *a = zk__jansson_text(want);
    zk_autofree char *b = zk__jansson_text(got);
    assert_string_equal(a, b);
    json_decref(want);
    json_decref(got);
}

static void test_read_matches_jansson(void **state)
{
    static const char *const cases[] = {
        "{}", "[]", " { } ", "{\"a\":1}", "{\"a\" : [1, 2 ,3] }\n",
        "{\"b\":1,\"a\":2,\"c\":{\"z\":true,\"y\":false,\"x\":null}}",
        "{\"dup\":1,\"other\":2,\"dup\":3}",
        "[0, -0, 1, -1, 9223372036854775807, -9223372036854775808]",
        "[9223372036854775808]", "[-9223372036854775809]", "[99999999999999999999999]",
        "[1.5, -0.25, 1e10, 1E-3, 2.5e+7, 0.0, -0.0, 1e400, 1e-400, 123456789.123456789]",
        "[01]", "[1.]", "[.5]", "[1e]", "[-]", "[+1]", "[1,]", "{\"a\":1,}", "{\"a\"}", "{a:1}",
        "[\"plain ascii\", \"\", \"with \\\"quotes\\\" and \\\\ and \\/\"]",
        "[\"\\b\\f\\n\\r\\t\"]", "[\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"]",
        "[\"\\ud83d\"]", "[\"\\ude00\"]", "[\"\\ud83d\\u0041\"]", "[\"\\u0000\"]", "[\"\\uZZZZ\"]",
        "[\"\\q\"]", "[\"raw\ttab\"]", "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]",
        "[\"\xc3\"]", "[\"\xc0\x80\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",
        "[\"\xe0\x80\x80\"]", "[\"\xff\"]", "{\"k\\u00e9y\":\"v\",\"k\\\"2\":[\"\\u00e9\"]}",
        "[true, false, null]", "[tru]", "[nul]", "[truex]", "{} x", "{}}", "", "   ",
        "\"top string\"", "42", "null", "[\"unterminated", "{\"a\":[1,2,{\"b\":[]}]}",
        "[\"a 16+ byte string, \\\" after sixteen\", \"0123456789abcdef\\\\\"]",
        "\xef\xbb\xbf{}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        zk__same_read(cases[i], strlen(cases[i]), 0);
        zk__same_read(cases[i], strlen(cases[i]), JSON_DECODE_ANY);
        zk__same_read(cases[i], strlen(cases[i]), JSON_DECODE_ANY | JSON_ALLOW_NUL);
    }
    /* an embedded NUL byte, and text that is not NUL-terminated */
    zk__same_read("[\"a\0b\"]", 7, 0);
    zk__same_read("{}\0", 3, 0);
    zk__same_read("[1]]]]", 3, 0);
}

static void test_read_deep_nesting_left_to_jansson(void **state)
{
    size_t n = ZK_JSON_MAX_DEPTH + 1;
    zk_autofree char *s = zk_xmalloc(2 * n + 1);
    memset(s, '[', n);
    memset(s + n, ']', n);
    assert_null(zk_json_read(s, 2 * n, false));
    zk__same_read(s, 2 * n, 0);
    json_t *ok = zk_json_read(s + 1, 2 * n - 2, false);
    assert_non_null(ok);
    json_decref(ok);
}

static uint64_t zk__rng = 88172645463325252ull;

static uint64_t zk__rand(void)
{
    zk__rng ^= zk__rng << 13;
    zk__rng ^= zk__rng >> 7;
    zk__rng ^= zk__rng << 17;
    return zk__rng;
}

/* A random valid UTF-8 string: every ASCII byte, and 2-, 3- and 4-byte
 * characters, in runs of every length. */
static json_t *zk__rand_string(void)
{
    char b[200];
    size_t n = 0, want = zk__rand() % 40;
    if (zk__rand() % 8 == 0)
        want += 100;
    while (n < want) {
        unsigned k = (unsigned)(zk__rand() % 20);
        if (k == 0) {
            memcpy(b + n, "\xc3\xa9", 2);
            n += 2;
        } else if (k == 1) {
            memcpy(b + n, "\xe2\x82\xac", 3);
            n += 3;
        } else if (k == 2) {
            memcpy(b + n, "\xf0\x9f\x98\x80", 4);
            n += 4;
        } else if (k < 6) {
            b[n++] = (char)(zk__rand() % 128);
        } else {
            b[n++] = (char)('a' + zk__rand() % 26);
        }
    }
    return json_stringn(b, n);
}

static json_t *zk__rand_tree(int depth)
{
    unsigned k = (unsigned)(zk__rand() % (depth > 4 ? 6 : 9));
    switch (k) {
    case 0: return zk__rand_string();
    case 1: return json_integer((json_int_t)zk__rand() >> (zk__rand() % 64));
    case 2: return json_real((double)(int64_t)zk__rand() / (double)(zk__rand() % 1000 + 1));
    case 3: return zk__rand() % 2 ? json_true() : json_false();
    case 4: return json_null();
    case 5: return json_integer(-(json_int_t)(zk__rand() % 1000));
    case 6:
    case 7: {
        json_t *o = json_object();
        size_t n = zk__rand() % 6;
        for (size_t i = 0; i < n; i++) {
            json_t *key = zk__rand_string();
            json_object_set_new(o, json_string_value(key), zk__rand_tree(depth + 1));
            json_decref(key);
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        size_t n = zk__rand() % 6;
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, zk__rand_tree(depth + 1));
        return a;
    }
    }
}

static void test_write_and_read_random_trees(void **state)
{
    for (int i = 0; i < 5000; i++) {
        json_t *t = zk__rand_tree(0);
        zk_autofree char *want = zk__jansson_text(t);
        size_t len = 0;
        zk_autofree char *got = zk_json_write(t, &len);
        assert_non_null(want);
        assert_non_null(got);
        assert_string_equal(got, want);
        assert_int_equal(len, strlen(want));
        zk__same_read(want, len, JSON_DECODE_ANY);
        json_error_t e;
        json_t *back = zk_json_loadb(want, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        assert_non_null(back);
        assert_true(json_equal(back, t));
        json_decref(back);
        json_decref(t);
    }
}

static void test_write_escapes(void **state)
{
    char all[128];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i;
    json_t *s = json_stringn(all, sizeof(all));
    zk_autofree char *want = zk__jansson_text(s);
    zk_autofree char *got = zk_json_write(s, NULL);
    assert_string_equal(got, want);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_matches_jansson),
        cmocka_unit_test(test_read_deep_nesting_left_to_jansson),
        cmocka_unit_test(test_write_and_read_random_trees),
        cmocka_unit_test(test_write_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
