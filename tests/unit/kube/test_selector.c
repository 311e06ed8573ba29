#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/selector.h"

#define QNAME_MSG                                                                               \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "       \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_MSG                                                                               \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or " \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "          \
    "'my_value',  or '12345', regex used for validation is "                                    \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

static zk_kube_selector *parse_ok(const char *s)
{
    zk_kube_selector *sel = NULL;
    zk_err err = {0};
    if (zk_kube_selector_parse(s, &sel, &err) != 0)
        fail_msg("parse '%s': %s", s, err.msg);
    return sel;
}

static void test_parse_renders_canonically(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "", "" },
        { "x=a,y=b,z=c", "x=a,y=b,z=c" },
        { "x!=a,y=b", "x!=a,y=b" },
        { "x=", "x=" },
        { "x= ", "x=" },
        { "x=,z= ", "x=,z=" },
        { "!x", "!x" },
        { "x>1", "x>1" },
        { "x>1,z<5", "x>1,z<5" },
        { "x==a", "x==a" },
        { "x=a,a=x", "a=x,x=a" },
        { "a=x,x=a", "a=x,x=a" },
        { "x in (b,a,a)", "x in (a,b)" },
        { "\rx", "x" },
        { "this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash" },
        { "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
          "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)" },
        { "foo  in\t (abc)", "foo in (abc)" },
        { "x notin\n (abc)", "x notin (abc)" },
        { "x in (abc,)", "x in (,abc)" },
        { "x in (,abc)", "x in (,abc)" },
        { "x in (a,,b)", "x in (,a,b)" },
        { "x in ()", "x in ()" },
        { "x notin (abc,def),bar,z in (),w", "bar,w,x notin (abc,def),z in ()" },
        { "x,y in (a)", "x,y in (a)" },
        { "notin=in", "notin=in" },
        { "x in (in,notin)", "x in (in,notin)" },
        { "z,y,x", "x,y,z" },
        /* equal keys keep their order */
        { "b,a!=1,a", "a!=1,a,b" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_autoselector zk_kube_selector *sel = parse_ok(cases[i].in);
        zk_autofree char *s = zk_kube_selector_string(sel);
        if (strcmp(s, cases[i].out) != 0)
            fail_msg("'%s' renders '%s', want '%s'", cases[i].in, s, cases[i].out);
    }
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *in, *msg;
    } cases[] = {
        { "x=a||y=b",
          "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": " VALUE_MSG },
        { "x==a==b", "found '==', expected: ',' or 'end of string'" },
        { "!x=a", "found '=', expected: ',' or 'end of string'" },
        { "x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' "
                 "operators, the value must be an integer" },
        { "x>a-",
          "unable to parse requirement: [values[0]: Invalid value: \"a-\": for 'Gt', 'Lt' "
          "operators, the value must be an integer, values[0][x]: Invalid value: \"a-\": " VALUE_MSG
          "]" },
        { "x>-1", "unable to parse requirement: values[0][x]: Invalid value: \"-1\": " VALUE_MSG },
        { "a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
        { "app:monolith",
          "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": name part " QNAME_MSG },
        { "a/b/c ?=? def",
          "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name " QNAME_MSG
          " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" },
        { "app.kubernetes_io/name=x",
          "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix "
          "part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
          "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
          "regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" },
        { "/a", "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be "
                "non-empty" },
        { "a/", "unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be "
                "non-empty; name part " QNAME_MSG },
        { "a\"b=c", "unable to parse requirement: <nil>: Invalid value: \"a\\\"b\": name part " QNAME_MSG },
        { ")", "found ')', expected: !, identifier, or 'end of string'" },
        { "x,", "found '', expected: identifier after ','" },
        { "x,,y", "found ',', expected: identifier after ','" },
        { "x in a", "unable to parse requirement: found 'a' expected: '('" },
        { "x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'" },
        { "x in (a", "unable to parse requirement: found '', expected: ',' or ')'" },
        { "x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier" },
        { "x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier" },
        { "x=(", "unable to parse requirement: found '(', expected: identifier" },
        { "x=a)", "found ')', expected: ',' or 'end of string'" },
        { "!", "unable to parse requirement: found '', expected: identifier" },
        { "!!x", "unable to parse requirement: found '!', expected: identifier" },
        { "k=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
          "unable to parse requirement: values[0][k]: Invalid value: "
          "\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\": must be no more "
          "than 63 characters" },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "unable to parse requirement: <nil>: Invalid value: "
          "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": name part must be "
          "no more than 63 characters" },
        { "k=a\tb", "found 'b', expected: ',' or 'end of string'" },
        { "k=caf\xc3\xa9\xc2\xa0",
          "unable to parse requirement: values[0][k]: Invalid value: \"caf\xc3\xa9\\u00a0\": " VALUE_MSG },
        { "k=\x01", "unable to parse requirement: values[0][k]: Invalid value: \"\\x01\": " VALUE_MSG },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_kube_selector *sel = NULL;
        zk_err err = {0};
        int rc = zk_kube_selector_parse(cases[i].in, &sel, &err);
        if (rc != -ZK_EINVAL)
            fail_msg("'%s': rc %d, want -ZK_EINVAL", cases[i].in, rc);
        assert_null(sel);
        if (strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("'%s':\n got  %s\n want %s", cases[i].in, err.msg, cases[i].msg);
    }
}

static void test_matches(void **state)
{
    static const struct {
        const char *sel, *labels;
        bool match;
    } cases[] = {
        { "", "{\"x\":\"y\"}", true },
        { "x=y", "{\"x\":\"y\"}", true },
        { "x=y,z=w", "{\"x\":\"y\",\"z\":\"w\"}", true },
        { "x!=y,z!=w", "{\"x\":\"z\",\"z\":\"a\"}", true },
        { "notin=in", "{\"notin\":\"in\"}", true },
        { "x", "{\"x\":\"z\"}", true },
        { "!x", "{\"y\":\"z\"}", true },
        { "x>1", "{\"x\":\"2\"}", true },
        { "x<1", "{\"x\":\"0\"}", true },
        { "x in (a,b)", "{\"x\":\"b\"}", true },
        { "x notin (a)", "{}", true },
        { "x in ()", "{\"x\":\"\"}", true },
        { "x=", "{\"x\":\"\"}", true },
        { "x=z", "{}", false },
        { "x=y", "{\"x\":\"z\"}", false },
        { "x=y,z=w", "{\"x\":\"w\",\"z\":\"w\"}", false },
        { "x!=y,z!=w", "{\"x\":\"z\",\"z\":\"w\"}", false },
        { "x", "{\"y\":\"z\"}", false },
        { "!x", "{\"x\":\"z\"}", false },
        { "x>1", "{\"x\":\"0\"}", false },
        { "x<1", "{\"x\":\"2\"}", false },
        { "x>1", "{\"x\":\"v2\"}", false },
        { "x notin (a)", "{\"x\":\"a\"}", false },
        { "x in (a,b)", "{}", false },
        { "x", "{\"x\":1}", false },
        { "foo=bar,foobar=bar,baz=blah", "{\"foo\":\"bar\",\"baz\":\"blah\"}", false },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_autoselector zk_kube_selector *sel = parse_ok(cases[i].sel);
        zk_autojson json_t *labels = NULL;
        assert_int_equal(zk_json_decode(cases[i].labels, strlen(cases[i].labels), &labels, NULL), 0);
        if (zk_kube_selector_matches(sel, labels) != cases[i].match)
            fail_msg("'%s' on %s: want %s", cases[i].sel, cases[i].labels,
                     cases[i].match ? "match" : "no match");
    }

    /* no labels at all */
    zk_autoselector zk_kube_selector *a = parse_ok("!x");
    zk_autoselector zk_kube_selector *b = parse_ok("x");
    zk_autoselector zk_kube_selector *c = parse_ok("");
    assert_true(zk_kube_selector_matches(a, NULL));
    assert_false(zk_kube_selector_matches(b, NULL));
    assert_true(zk_kube_selector_matches(c, NULL));
    assert_true(zk_kube_selector_empty(c));
    assert_false(zk_kube_selector_matches_nothing(c));

    zk_autoselector zk_kube_selector *all = zk_kube_selector_everything();
    zk_autoselector zk_kube_selector *none = zk_kube_selector_nothing();
    assert_true(zk_kube_selector_matches(all, NULL));
    assert_false(zk_kube_selector_matches(none, NULL));
    assert_true(zk_kube_selector_matches_nothing(none));
    assert_false(zk_kube_selector_empty(none));
    zk_autofree char *ns = zk_kube_selector_string(none);
    assert_string_equal(ns, "");
}

static void test_accessors(void **state)
{
    zk_autoselector zk_kube_selector *s = parse_ok("tier in (fe),app=web,x in (a,b),y!=c,z==q");
    assert_int_equal(zk_kube_selector_count(s), 5);
    const zk_kube_requirement *r = zk_kube_selector_get(s, 0);
    assert_string_equal(r->key, "app");
    assert_int_equal(r->op, ZK_KUBE_SELECTOR_EQUALS);
    assert_int_equal(r->n_values, 1);
    assert_string_equal(r->values[0], "web");
    assert_null(zk_kube_selector_get(s, 5));
    assert_string_equal(zk_kube_selector_exact_match(s, "app"), "web");
    assert_string_equal(zk_kube_selector_exact_match(s, "tier"), "fe");
    assert_string_equal(zk_kube_selector_exact_match(s, "z"), "q");
    assert_null(zk_kube_selector_exact_match(s, "x"));
    assert_null(zk_kube_selector_exact_match(s, "y"));
    assert_null(zk_kube_selector_exact_match(s, "nope"));
}

static zk_kube_selector *from_json(const char *json, zk_err *err, int want_rc)
{
    zk_autojson json_t *j = NULL;
    zk_kube_selector *sel = NULL;
    if (json)
        assert_int_equal(zk_json_decode(json, strlen(json), &j, NULL), 0);
    int rc = zk_kube_selector_from_json(j, &sel, err);
    if (rc != want_rc)
        fail_msg("%s: rc %d (%s), want %d", json ? json : "NULL", rc, err->msg, want_rc);
    return sel;
}

static void test_label_selector_json(void **state)
{
    zk_err err = {0};

    zk_autoselector zk_kube_selector *none = from_json(NULL, &err, 0);
    assert_true(zk_kube_selector_matches_nothing(none));
    zk_autoselector zk_kube_selector *none2 = from_json("null", &err, 0);
    assert_true(zk_kube_selector_matches_nothing(none2));
    zk_autoselector zk_kube_selector *all = from_json("{}", &err, 0);
    assert_true(zk_kube_selector_empty(all));
    zk_autoselector zk_kube_selector *all2 = from_json("{\"matchLabels\":{},\"matchExpressions\":[]}",
                                                       &err, 0);
    assert_true(zk_kube_selector_empty(all2));

    zk_autoselector zk_kube_selector *s = from_json(
        "{\"matchLabels\":{\"tier\":\"fe\",\"app\":\"web\"},\"matchExpressions\":["
        "{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"prod\",\"dev\"]},"
        "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"},"
        "{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"b\",\"a\",\"a\"]},"
        "{\"key\":\"gpu\",\"operator\":\"Exists\",\"values\":[]}]}",
        &err, 0);
    zk_autofree char *str = zk_kube_selector_string(s);
    assert_string_equal(str, "app=web,!canary,env in (dev,prod),gpu,tier=fe,zone notin (a,a,b)");
    zk_autojson json_t *l1 = json_pack("{s:s,s:s,s:s,s:s}", "app", "web", "tier", "fe", "env",
                                       "dev", "gpu", "1");
    zk_autojson json_t *l2 = json_pack("{s:s,s:s,s:s,s:s,s:s}", "app", "web", "tier", "fe", "env",
                                       "dev", "gpu", "1", "canary", "yes");
    assert_true(zk_kube_selector_matches(s, l1));
    assert_false(zk_kube_selector_matches(s, l2));

    static const struct {
        const char *json, *msg;
    } bad[] = {
        { "{\"matchExpressions\":[{\"key\":\"name\",\"operator\":\"Seriously\"}]}",
          "\"Seriously\" is not a valid label selector operator" },
        { "{\"matchExpressions\":[{\"key\":\"name\"}]}", "\"\" is not a valid label selector operator" },
        { "{\"matchExpressions\":[{\"key\":\"name\",\"operator\":\"In\",\"values\":[]}]}",
          "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
          "empty" },
        { "{\"matchExpressions\":[{\"key\":\"name\",\"operator\":\"Exists\",\"values\":[\"a\"]}]}",
          "values: Invalid value: []string{\"a\"}: values set must be empty for exists and does not "
          "exist" },
        { "{\"matchLabels\":{\"a b\":\"x\"}}",
          "key: Invalid value: \"a b\": name part " QNAME_MSG },
        { "{\"matchLabels\":{\"app\":\"x y\"}}",
          "values[0][app]: Invalid value: \"x y\": " VALUE_MSG },
        { "{\"matchLabels\":{\"a b\":\"x y\"}}",
          "[key: Invalid value: \"a b\": name part " QNAME_MSG
          ", values[0][a b]: Invalid value: \"x y\": " VALUE_MSG "]" },
        { "{\"matchLabels\":{\"app\":1}}", "matchLabels[app] must be a string" },
        { "[]", "a label selector must be an object" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(bad); i++) {
        zk_err e = {0};
        zk_kube_selector *sel = from_json(bad[i].json, &e, -ZK_EINVAL);
        assert_null(sel);
        if (strcmp(e.msg, bad[i].msg) != 0)
            fail_msg("%s:\n got  %s\n want %s", bad[i].json, e.msg, bad[i].msg);
    }
}

static void test_from_map(void **state)
{
    zk_err err = {0};
    zk_kube_selector *s = NULL;
    zk_autojson json_t *m = json_pack("{s:s,s:s}", "run", "web", "app", "x");
    assert_int_equal(zk_kube_selector_from_map(m, &s, &err), 0);
    zk_autofree char *str = zk_kube_selector_string(s);
    assert_string_equal(str, "app=x,run=web");
    assert_true(zk_kube_selector_matches(s, m));
    zk_kube_selector_free(s);

    assert_int_equal(zk_kube_selector_from_map(NULL, &s, &err), 0);
    assert_true(zk_kube_selector_empty(s));
    zk_kube_selector_free(s);

    zk_autojson json_t *bad = json_pack("{s:s}", "run", "-x");
    assert_int_equal(zk_kube_selector_from_map(bad, &s, &err), -ZK_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err.msg, "values[0][run]: Invalid value: \"-x\""));
}

static void test_validate_helpers(void **state)
{
    zk_err err = {0};
    assert_int_equal(zk_kube_validate_label_key("example.com/My_name-1.x", &err), 0);
    assert_int_equal(zk_kube_validate_label_key("Example.com/x", &err), -ZK_EINVAL);
    assert_non_null(strstr(err.msg, "prefix part a lowercase RFC 1123 subdomain"));
    assert_int_equal(zk_kube_validate_label_value("", &err), 0);
    assert_int_equal(zk_kube_validate_label_value("a.b_c-d", &err), 0);
    assert_int_equal(zk_kube_validate_label_value("a.", &err), -ZK_EINVAL);
    assert_string_equal(err.msg, VALUE_MSG);
}

/* ---- field selectors ---- */

static const char *const pod_fields[][2] = {
    { "metadata.name", "web-1" },
    { "metadata.namespace", "default" },
    { "status.phase", "Running" },
    { "spec.nodeName", NULL },
    { "metadata.annotations", "a,b=c\\d" },
};

static const char *get_field(void *ctx, const char *field)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(pod_fields); i++)
        if (!strcmp(pod_fields[i][0], field))
            return pod_fields[i][1];
    return NULL;
}

static bool known_field(void *ctx, const char *field)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(pod_fields); i++)
        if (!strcmp(pod_fields[i][0], field))
            return true;
    return false;
}

static void test_fieldsel_parse(void **state)
{
    zk_kube_fieldsel *s = NULL;
    zk_err err = {0};

    assert_int_equal(zk_kube_fieldsel_parse("", NULL, NULL, &s, &err), 0);
    assert_true(zk_kube_fieldsel_empty(s));
    zk_kube_fieldsel_free(s);

    assert_int_equal(zk_kube_fieldsel_parse("e==f,c!=d,a=b,,", NULL, NULL, &s, &err), 0);
    assert_int_equal(s->n, 3);
    assert_string_equal(s->reqs[0].field, "a");
    assert_int_equal(s->reqs[0].op, ZK_KUBE_FIELDSEL_EQUALS);
    assert_string_equal(s->reqs[0].value, "b");
    assert_string_equal(s->reqs[1].field, "c");
    assert_int_equal(s->reqs[1].op, ZK_KUBE_FIELDSEL_NOT_EQUALS);
    assert_string_equal(s->reqs[1].value, "d");
    assert_string_equal(s->reqs[2].field, "e");
    assert_int_equal(s->reqs[2].op, ZK_KUBE_FIELDSEL_EQUALS);
    assert_string_equal(s->reqs[2].value, "f");
    assert_string_equal(zk_kube_fieldsel_exact_match(s, "e"), "f");
    assert_null(zk_kube_fieldsel_exact_match(s, "c"));
    zk_autofree char *str = zk_kube_fieldsel_string(s);
    assert_string_equal(str, "a=b,c!=d,e=f");
    zk_kube_fieldsel_free(s);

    /* escapes: \\ \, \= ; an escaped comma does not split */
    assert_int_equal(zk_kube_fieldsel_parse("a=x\\,y\\=z\\\\w,b=", NULL, NULL, &s, &err), 0);
    assert_int_equal(s->n, 2);
    assert_string_equal(s->reqs[0].value, "x,y=z\\w");
    assert_string_equal(s->reqs[1].field, "b");
    assert_string_equal(s->reqs[1].value, "");
    zk_autofree char *str2 = zk_kube_fieldsel_string(s);
    assert_string_equal(str2, "a=x\\,y\\=z\\\\w,b=");
    zk_kube_fieldsel_free(s);

    /* an empty field name is syntax Kubernetes accepts */
    assert_int_equal(zk_kube_fieldsel_parse("=a", NULL, NULL, &s, &err), 0);
    assert_string_equal(s->reqs[0].field, "");
    zk_kube_fieldsel_free(s);

    static const struct {
        const char *in, *msg;
    } bad[] = {
        { "abc", "invalid selector: 'abc'; can't understand 'abc'" },
        { "x,a=b", "invalid selector: 'x,a=b'; can't understand 'x'" },
        { "a=b=c", "invalid field selector: unescaped character in value: 61" },
        { "a!==b", "invalid field selector: unescaped character in value: 61" },
        { "a=b\\q", "invalid field selector: invalid escape sequence: \\q" },
        { "a=b\\\xc3\xa9", "invalid field selector: invalid escape sequence: \\\xc3\xa9" },
        { "a=b\\", "invalid field selector: invalid escape sequence: \\" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(bad); i++) {
        zk_err e = {0};
        s = NULL;
        assert_int_equal(zk_kube_fieldsel_parse(bad[i].in, NULL, NULL, &s, &e), -ZK_EINVAL);
        assert_null(s);
        if (strcmp(e.msg, bad[i].msg) != 0)
            fail_msg("'%s':\n got  %s\n want %s", bad[i].in, e.msg, bad[i].msg);
    }

    /* the kind decides which fields exist; syntax errors come first */
    assert_int_equal(zk_kube_fieldsel_parse("status.phase=Running,spec.foo=1", known_field, NULL,
                                            &s, &err),
                     -ZK_EUNSUPPORTED);
    assert_string_equal(err.msg, "field label not supported: spec.foo");
    assert_int_equal(zk_kube_fieldsel_parse("spec.foo=1,a", known_field, NULL, &s, &err),
                     -ZK_EINVAL);
    assert_int_equal(zk_kube_fieldsel_parse("metadata.name=web-1", known_field, NULL, &s, &err), 0);
    zk_kube_fieldsel_free(s);
}

static void test_fieldsel_matches(void **state)
{
    static const struct {
        const char *sel;
        bool match;
    } cases[] = {
        { "", true },
        { "metadata.name=web-1", true },
        { "metadata.name==web-1", true },
        { "metadata.name=web-2", false },
        { "metadata.name!=web-2", true },
        { "status.phase!=Running", false },
        { "spec.nodeName=", true },
        { "spec.nodeName!=", false },
        { "spec.nodeName=n1", false },
        { "metadata.namespace=default,status.phase=Running", true },
        { "metadata.namespace=default,status.phase=Pending", false },
        { "metadata.annotations=a\\,b\\=c\\\\d", true },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_autofieldsel zk_kube_fieldsel *s = NULL;
        zk_err err = {0};
        if (zk_kube_fieldsel_parse(cases[i].sel, known_field, NULL, &s, &err) != 0)
            fail_msg("'%s': %s", cases[i].sel, err.msg);
        if (zk_kube_fieldsel_matches(s, get_field, NULL) != cases[i].match)
            fail_msg("'%s': want %s", cases[i].sel, cases[i].match ? "match" : "no match");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_renders_canonically),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_label_selector_json),
        cmocka_unit_test(test_from_map),
        cmocka_unit_test(test_validate_helpers),
        cmocka_unit_test(test_fieldsel_parse),
        cmocka_unit_test(test_fieldsel_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
