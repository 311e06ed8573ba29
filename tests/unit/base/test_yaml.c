#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/yaml.h"

/* Decode yaml and compare its compact JSON with want. */
static void expect_json(const char *yaml, const char *want)
{
    json_t *j = NULL;
    zk_err err = {0};
    if (zk_yaml_decode(yaml, strlen(yaml), &j, &err) != 0)
        fail_msg("decode %s: %s", yaml, err.msg);
    zk_autofree char *got = zk_json_dumps(j);
    json_decref(j);
    if (strcmp(got, want) != 0)
        fail_msg("decode %s: got %s, want %s", yaml, got, want);
}

static void expect_error(const char *yaml, int code, const char *msg_part)
{
    json_t *j = NULL;
    zk_err err = {0};
    int rc = zk_yaml_decode(yaml, strlen(yaml), &j, &err);
    if (rc != -code)
        fail_msg("decode %s: rc %d (%s), want %d", yaml, rc, err.msg, -code);
    assert_null(j);
    if (!strstr(err.msg, msg_part))
        fail_msg("decode %s: message '%s' lacks '%s'", yaml, err.msg, msg_part);
}

static void test_scalars_resolve_like_go_yaml(void **state)
{
    static const struct {
        const char *yaml, *json;
    } cases[] = {
        /* YAML 1.1 booleans, exactly go-yaml v2's table */
        { "[y, Y, yes, Yes, YES, true, True, TRUE, on, On, ON]",
          "[true,true,true,true,true,true,true,true,true,true,true]" },
        { "[n, N, no, No, NO, false, False, FALSE, off, Off, OFF]",
          "[false,false,false,false,false,false,false,false,false,false,false]" },
        { "[yEs, tRUE, oN, 'yes', \"on\", o, t, f]",
          "[\"yEs\",\"tRUE\",\"oN\",\"yes\",\"on\",\"o\",\"t\",\"f\"]" },
        { "[~, null, Null, NULL, nULL, '', \"null\"]",
          "[null,null,null,null,\"nULL\",\"\",\"null\"]" },
        { "a:", "{\"a\":null}" },
        /* integers in Go syntax, '_' ignored */
        { "[12, -3, +7, 0x1F, 0X1f, 0o17, 017, 0b101, 1_000, -0x10, 0]",
          "[12,-3,7,31,31,15,15,5,1000,-16,0]" },
        { "[9223372036854775807, -9223372036854775808]",
          "[9223372036854775807,-9223372036854775808]" },
        /* 08 is no octal number: it is read as the float 8 */
        { "[08, 09.5]", "[8,9.5]" },
        /* floats; integral ones print as integers like encoding/json's */
        { "[1.5, .5, -2.25, 1e3, 1.0, 1_0.5, 3., -.5]", "[1.5,0.5,-2.25,1000,1,10.5,3,-0.5]" },
        /* not numbers */
        { "[1e400, 0x, 1:20, 1.2.3, -, +, .e5, 0b2, 12abc]",
          "[\"1e400\",\"0x\",\"1:20\",\"1.2.3\",\"-\",\"+\",\".e5\",\"0b2\",\"12abc\"]" },
        /* timestamps become RFC 3339 strings */
        { "[2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10, "
          "2001-12-14T21:59:43Z, 2001-1-2T3:4:5.123456789123+00:00, 2024-02-29]",
          "[\"2001-12-14T00:00:00Z\",\"2001-12-14T21:59:43.1-05:00\","
          "\"2001-12-14T21:59:43.1Z\",\"2001-12-14T21:59:43Z\","
          "\"2001-01-02T03:04:05.123456789Z\",\"2024-02-29T00:00:00Z\"]" },
        { "[2023-02-29, '2001-12-14', 2001-12-14T25:00:00Z, 20011-12-14]",
          "[\"2023-02-29\",\"2001-12-14\",\"2001-12-14T25:00:00Z\",\"20011-12-14\"]" },
        /* block and quoted scalars are strings */
        { "a: |\n  line1\n  line2\nb: >\n  folded\n  text\n",
          "{\"a\":\"line1\\nline2\\n\",\"b\":\"folded text\\n\"}" },
        { "a: \"\\u00e9\\t\\x41\"", "{\"a\":\"\u00e9\\tA\"}" },
        { "a: '12'", "{\"a\":\"12\"}" },
        /* tags */
        { "[!!str 123, !!int '12', !!float 1, !!bool 'yes', !!null '', !custom foo, !!str true]",
          "[\"123\",12,1,true,null,\"foo\",\"true\"]" },
        /* merge key "<<" as a plain value is just text */
        { "a: <<", "{\"a\":\"<<\"}" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++)
        expect_json(cases[i].yaml, cases[i].json);

    json_t *j = NULL;
    assert_int_equal(zk_yaml_decode("9223372036854775808", 19, &j, NULL), 0);
    assert_true(json_is_real(j));
    assert_true(json_real_value(j) == 9223372036854775808.0);
    json_decref(j);
    assert_int_equal(zk_yaml_decode("0x1FFFFFFFFFFFFFFFF", 19, &j, NULL), 0);
    assert_true(json_is_real(j));
    assert_true(json_real_value(j) == 36893488147419103231.0);
    json_decref(j);
}

static void test_keys_become_strings(void **state)
{
    static const struct {
        const char *yaml, *json;
    } cases[] = {
        { "1: a", "{\"1\":\"a\"}" },
        { "yes: a", "{\"true\":\"a\"}" },
        { "off: a", "{\"false\":\"a\"}" },
        { "1.5: a", "{\"1.5\":\"a\"}" },
        { "0.1: a", "{\"0.1\":\"a\"}" },
        { "0x10: a", "{\"16\":\"a\"}" },
        { "1e6: a", "{\"1e+06\":\"a\"}" },
        { "123456.0: a", "{\"123456\":\"a\"}" },
        { "1234567.0: a", "{\"1.234567e+06\":\"a\"}" },
        { "0.0001: a", "{\"0.0001\":\"a\"}" },
        { "0.00001: a", "{\"1e-05\":\"a\"}" },
        { ".inf: a", "{\".inf\":\"a\"}" },
        { "'1': a", "{\"1\":\"a\"}" },
        { "a: 1\na: 2", "{\"a\":2}" },
        { "&k key: v\nother: *k", "{\"key\":\"v\",\"other\":\"key\"}" },
        { "a: &n 5\n*n : x", "{\"a\":5,\"5\":\"x\"}" },
        /* a quoted key keeps a NUL and what follows it (fuzz_yaml found
         * the key cut at the NUL while its length was kept) */
        { "\"a\\0bc\": 1", "{\"a\\u0000bc\":1}" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++)
        expect_json(cases[i].yaml, cases[i].json);

    expect_error("~: a", ZK_EPARSE, "unsupported map key of type: <nil>");
    expect_error("null: a", ZK_EPARSE, "unsupported map key of type: <nil>");
    expect_error("18446744073709551615: a", ZK_EPARSE, "unsupported map key of type: uint64");
    expect_error("2001-12-14: a", ZK_EPARSE, "unsupported map key of type: time.Time");
    expect_error("? [a, b]\n: c", ZK_EPARSE, "mapping keys must be scalars");
    expect_error("? {a: b}\n: c", ZK_EPARSE, "mapping keys must be scalars");
    expect_error("a: &l [1]\n*l : c", ZK_EPARSE, "mapping keys must be scalars");
}

static void test_anchors_aliases_and_merge(void **state)
{
    expect_json("a: &x [1, 2]\nb: *x", "{\"a\":[1,2],\"b\":[1,2]}");
    expect_json("base: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3",
                "{\"base\":{\"x\":1,\"z\":2},\"d\":{\"x\":1,\"z\":3}}");
    /* YAML 1.1: the key y is the boolean true, as in go-yaml */
    expect_json("y: 1\nn: 2", "{\"true\":1,\"false\":2}");
    /* yaml.v2 applies a merge where it stands: later keys win */
    expect_json("a: &a {x: 1}\nb:\n  x: 0\n  <<: *a", "{\"a\":{\"x\":1},\"b\":{\"x\":1}}");
    expect_json("a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc:\n  <<: [*a, *b]\n  w: 0",
                "{\"a\":{\"x\":1},\"b\":{\"x\":2,\"z\":3},\"c\":{\"x\":1,\"z\":3,\"w\":0}}");
    expect_json("c:\n  <<: {p: 1}\n  q: 2", "{\"c\":{\"p\":1,\"q\":2}}");
    /* a redefined anchor refers to its latest value */
    expect_json("- &a 1\n- &a 2\n- *a", "[1,2,2]");
    /* a quoted "<<" is an ordinary key */
    expect_json("'<<': {a: 1}", "{\"<<\":{\"a\":1}}");

    expect_error("a: *nope", ZK_EPARSE, "unknown anchor 'nope' referenced");
    expect_error("a: &r [*r]", ZK_EPARSE, "unknown anchor 'r' referenced");
    expect_error("a:\n  <<: 1", ZK_EPARSE, "map merge requires map or sequence of maps");
    expect_error("a:\n  <<: [{b: 1}, 2]", ZK_EPARSE, "map merge requires map or sequence of maps");
    /* anchors do not cross documents */
    json_t *docs = NULL;
    zk_err err = {0};
    const char *two = "a: &x 1\n---\nb: *x\n";
    assert_int_equal(zk_yaml_decode_all(two, strlen(two), 1 << 20, &docs, &err), -ZK_EPARSE);
    assert_non_null(strstr(err.msg, "unknown anchor 'x'"));

    /* aliased values are copies, not shared nodes */
    json_t *j = NULL;
    const char *y = "a: &x {k: v}\nb: *x";
    assert_int_equal(zk_yaml_decode(y, strlen(y), &j, &err), 0);
    assert_ptr_not_equal(json_object_get(j, "a"), json_object_get(j, "b"));
    json_object_set_new(json_object_get(j, "b"), "k", json_string("changed"));
    assert_string_equal(zk_json_path_str(j, "a", "k", NULL), "v");
    json_decref(j);
}

static void test_errors_name_position(void **state)
{
    expect_error("a: 1\nb: [1, 2\nc: 3\n", ZK_EPARSE, "yaml: line ");
    expect_error("a:\n  - b\n c: d\n", ZK_EPARSE, "yaml: line 3, column 2:");
    expect_error("a: b: c", ZK_EPARSE, "mapping values are not allowed in this context");
    expect_error("a: .inf", ZK_EPARSE, "yaml: line 1, column 4: .inf cannot be represented in JSON");
    expect_error("- -.Inf", ZK_EPARSE, "cannot be represented in JSON");
    expect_error("- .nan", ZK_EPARSE, "cannot be represented in JSON");
    expect_error("a: !!int abc", ZK_EPARSE, "cannot decode !!str `abc` as a !!int");
    expect_error("a: !!int 1.5", ZK_EPARSE, "cannot decode !!float `1.5` as a !!int");
    expect_error("a: !!binary aGVsbG8=", ZK_EUNSUPPORTED, "!!binary");
    expect_error("a: 1\nb: \"\xff\"", ZK_EPARSE, "yaml: line 2, column 5: invalid leading UTF-8 octet");
    expect_error("a: \"b\x01\"", ZK_EPARSE, "control characters are not allowed");
}

static void test_documents(void **state)
{
    json_t *j = NULL, *docs = NULL;
    zk_err err = {0};

    expect_json("", "null");
    expect_json("# only a comment\n", "null");
    expect_json("---\n", "null");
    expect_json("---\na: 1\n...\n", "{\"a\":1}");
    expect_json("---\na: 1\n---\n", "{\"a\":1}");
    expect_error("a: 1\n---\nb: 2\n", ZK_EPARSE, "more than one document");

    const char *s = "a: 1\n---\n---\nnull\n---\n- b\n";
    assert_int_equal(zk_yaml_decode_all(s, strlen(s), 1 << 20, &docs, &err), 0);
    zk_autofree char *got = zk_json_dumps(docs);
    assert_string_equal(got, "[{\"a\":1},[\"b\"]]");
    json_decref(docs);

    assert_int_equal(zk_yaml_decode_all("", 0, 10, &docs, &err), 0);
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);

    /* the caller's bound on input bytes */
    assert_int_equal(zk_yaml_decode_max("a: 1234", 7, 6, &j, &err), -ZK_ETOOBIG);
    assert_null(j);
    assert_non_null(strstr(err.msg, "exceeds the limit of 6 bytes"));
    assert_int_equal(zk_yaml_decode_max("a: 1234", 7, 7, &j, &err), 0);
    json_decref(j);
}

static void test_hostile_input_is_bounded(void **state)
{
    zk_buf b = ZK_BUF_INIT(1 << 22);
    json_t *j = NULL;
    zk_err err = {0};

    /* billion laughs: 9^9 values if expanded */
    zk_buf_puts(&b, "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for (char c = 'b'; c <= 'i'; c++)
        zk_buf_printf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1, c - 1,
                      c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    assert_int_equal(zk_yaml_decode(b.data, b.len, &j, &err), -ZK_ETOOBIG);
    assert_null(j);
    assert_non_null(strstr(err.msg, "more than 1000000 values"));

    /* deep nesting, directly and through an alias */
    zk_buf_reset(&b);
    for (int i = 0; i < 300; i++)
        zk_buf_putc(&b, '[');
    for (int i = 0; i < 300; i++)
        zk_buf_putc(&b, ']');
    assert_int_equal(zk_yaml_decode(b.data, b.len, &j, &err), -ZK_ETOOBIG);
    assert_non_null(strstr(err.msg, "nesting depth exceeds the limit of 256"));

    zk_buf_reset(&b);
    zk_buf_puts(&b, "a: &d ");
    for (int i = 0; i < 200; i++)
        zk_buf_putc(&b, '[');
    for (int i = 0; i < 200; i++)
        zk_buf_putc(&b, ']');
    zk_buf_puts(&b, "\nb: ");
    for (int i = 0; i < 100; i++)
        zk_buf_putc(&b, '[');
    zk_buf_puts(&b, "*d");
    for (int i = 0; i < 100; i++)
        zk_buf_putc(&b, ']');
    assert_int_equal(zk_yaml_decode(b.data, b.len, &j, &err), -ZK_ETOOBIG);
    assert_non_null(strstr(err.msg, "nesting depth"));

    /* exactly at the limit is fine */
    zk_buf_reset(&b);
    for (int i = 0; i < ZK_JSON_MAX_DEPTH; i++)
        zk_buf_putc(&b, '[');
    for (int i = 0; i < ZK_JSON_MAX_DEPTH; i++)
        zk_buf_putc(&b, ']');
    assert_int_equal(zk_yaml_decode(b.data, b.len, &j, &err), 0);
    json_decref(j);

    /* too many documents */
    zk_buf_reset(&b);
    for (int i = 0; i <= ZK_YAML_MAX_DOCUMENTS; i++)
        zk_buf_puts(&b, "---\na: 1\n");
    assert_int_equal(zk_yaml_decode_all(b.data, b.len, 1 << 22, &j, &err), -ZK_ETOOBIG);
    assert_null(j);
    assert_non_null(strstr(err.msg, "more than 10000 documents"));

    /* one big string aliased many times */
    zk_buf_reset(&b);
    zk_buf_puts(&b, "s: &s ");
    for (int i = 0; i < 1000; i++)
        zk_buf_putc(&b, 'x');
    zk_buf_puts(&b, "\nl:\n");
    for (int i = 0; i < 2000; i++)
        zk_buf_puts(&b, "- *s\n");
    assert_int_equal(zk_yaml_decode_max(b.data, b.len, 20000, &j, &err), -ZK_ETOOBIG);
    assert_non_null(strstr(err.msg, "bytes of strings"));

    zk_buf_free(&b);
}

/* Encode and compare the text. */
static void expect_yaml(const char *json, const char *want)
{
    json_t *j = NULL;
    zk_err err = {0};
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    assert_int_equal(zk_json_decode(json, strlen(json), &j, &err), 0);
    if (zk_yaml_encode(j, &out, &err) != 0)
        fail_msg("encode %s: %s", json, err.msg);
    json_decref(j);
    if (strcmp(out.data, want) != 0)
        fail_msg("encode %s: got\n%s\nwant\n%s", json, out.data, want);
}

static void test_encode(void **state)
{
    expect_yaml("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
                "\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
                "\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]}]}}",
                "apiVersion: v1\n"
                "kind: Pod\n"
                "metadata:\n"
                "  name: web\n"
                "  labels:\n"
                "    app: web\n"
                "spec:\n"
                "  containers:\n"
                "  - name: c\n"
                "    image: nginx:1.25\n"
                "    ports:\n"
                "    - containerPort: 80\n");
    /* strings that would read back as something else are quoted */
    expect_yaml("{\"a\":\"yes\",\"b\":\"1\",\"c\":\"\",\"d\":\"null\",\"e\":\"1.5\","
                "\"f\":\"2001-12-14\",\"g\":\"1:20\",\"h\":\"<<\",\"i\":\"0x1F\",\"j\":\"~\"}",
                "a: \"yes\"\nb: \"1\"\nc: \"\"\nd: \"null\"\ne: \"1.5\"\nf: \"2001-12-14\"\n"
                "g: \"1:20\"\nh: \"<<\"\ni: \"0x1F\"\nj: \"~\"\n");
    expect_yaml("{\"true\":1,\"1\":2}", "\"true\": 1\n\"1\": 2\n");
    expect_yaml("{\"s\":\"line1\\nline2\\n\"}", "s: |\n  line1\n  line2\n");
    expect_yaml("{\"i\":true,\"j\":null,\"k\":-12,\"l\":1.5,\"m\":[],\"n\":{}}",
                "i: true\nj: null\nk: -12\nl: 1.5\nm: []\n\"n\": {}\n");
    expect_yaml("[\"a\",[\"b\"],{\"c\":\"d\"}]", "- a\n- - b\n- c: d\n");
    expect_yaml("\"plain\"", "plain\n");
    expect_yaml("{\"k\":\"caf\\u00e9\"}", "k: café\n");
}

static void test_encode_roundtrip(void **state)
{
    static const char *const docs[] = {
        "{\"a\":\"yes\",\"b\":\"1\",\"c\":\"\",\"d\":\"null\",\"e\":\"1e3\",\"f\":\" lead\","
        "\"g\":\"trail \",\"h\":\"a: b\",\"i\":\"- x\",\"j\":\"#c\",\"k\":\"x\\ny \\n\","
        "\"l\":\"\\t\",\"m\":\"'q'\",\"n\":\"\\\"dq\\\"\",\"o\":\"@at\",\"p\":\"%pct\","
        "\"q\":\"*star\",\"r\":\"&amp\",\"s\":\"!bang\",\"t\":\"{x}\",\"u\":\"[y]\","
        "\"v\":\"\\u0000nul\",\"w\":\"2001-12-14T21:59:43Z\",\"x\":\"0o17\",\"y\":\"-.inf\"}",
        "[1,-2,3.25,true,false,null,[],{},[[[]]],{\"a\":{\"b\":{\"c\":[1,2]}}}]",
        "{\"multi\":\"line one\\nline two\",\"key with spaces\":\"v\",\"\":\"empty key\"}",
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(docs); i++) {
        json_t *in = NULL, *back = NULL;
        zk_err err = {0};
        zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
        assert_int_equal(zk_json_decode(docs[i], strlen(docs[i]), &in, &err), 0);
        assert_int_equal(zk_yaml_encode(in, &out, &err), 0);
        if (zk_yaml_decode(out.data, out.len, &back, &err) != 0)
            fail_msg("%s -> %s: %s", docs[i], out.data, err.msg);
        if (!json_equal(in, back))
            fail_msg("roundtrip of %s via\n%s\ngave %s", docs[i], out.data, zk_json_dumps(back));
        json_decref(in);
        json_decref(back);
    }
}

static void test_encode_all_and_bounds(void **state)
{
    json_t *docs = json_pack("[{s:i},{s:s}]", "a", 1, "b", "c");
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 10);
    zk_err err = {0};
    json_t *back = NULL;

    assert_int_equal(zk_yaml_encode_all(docs, &out, &err), 0);
    assert_string_equal(out.data, "---\na: 1\n---\nb: c\n");
    assert_int_equal(zk_yaml_decode_all(out.data, out.len, 1 << 10, &back, &err), 0);
    assert_true(json_equal(docs, back));
    json_decref(back);

    zk_autobuf zk_buf tiny = ZK_BUF_INIT(8);
    assert_int_equal(zk_yaml_encode(docs, &tiny, &err), -ZK_ETOOBIG);
    assert_int_equal(zk_yaml_encode_all(json_object_get(json_array_get(docs, 0), "a"), &out, &err),
                     -ZK_EINVAL);
    json_decref(docs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_resolve_like_go_yaml),
        cmocka_unit_test(test_keys_become_strings),
        cmocka_unit_test(test_anchors_aliases_and_merge),
        cmocka_unit_test(test_errors_name_position),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_hostile_input_is_bounded),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_encode_all_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
