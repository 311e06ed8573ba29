#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/jsonpath.h"

/* Test JSON is written with single quotes; this swaps them for double. */
static json_t *J(const char *text)
{
    zk_autofree char *s = zk_xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *j = NULL;
    zk_err err = { 0 };
    if (zk_json_decode(s, strlen(s), &j, &err) != 0)
        fail_msg("bad test JSON: %s: %s", err.msg, text);
    return j;
}

static const char *doc_text =
    "{'metadata':{'name':'web','labels':{'app.kubernetes.io/name':'web','tier':'front'},"
    "'creationTimestamp':'2023-11-14T22:00:00Z'},"
    "'spec':{'replicas':3,'ratio':0.25,'paused':false,'ports':[{'name':'http','port':80},"
    "{'name':'https','port':443}],'tags':['a','b','c','d'],'empty':null},"
    "'status':{'conditions':[{'type':'Progressing','status':'True','age':5},"
    "{'type':'Ready','status':'False','reason':'MinimumReplicasUnavailable','age':10}],"
    "'nested':[[1,2],[3,4]]}}";

typedef struct eval_case {
    const char *expr;
    const char *want;   /* rendered first value; NULL for no value */
} eval_case;

static const eval_case eval_cases[] = {
    { ".metadata.name", "web" },
    { "{.metadata.name}", "web" },
    { "$.metadata.name", "web" },
    { " {.metadata.name} ", "web" },
    { ".spec.replicas", "3" },
    { ".spec.ratio", "0.25" },
    { ".spec.paused", "false" },
    { ".spec.empty", NULL },
    { ".spec.missing", NULL },
    { ".spec.replicas.deeper", NULL },
    { ".metadata.labels['app.kubernetes.io/name']", "web" },
    { ".metadata.labels[\"tier\"]", "front" },
    { ".metadata.labels.app\\.kubernetes\\.io/name", "web" },
    { ".spec.ports[0].port", "80" },
    { ".spec.ports[1].name", "https" },
    { ".spec.ports[-1].name", "https" },
    { ".spec.ports[2].name", NULL },
    { ".spec.ports[-3].name", NULL },
    { ".spec.ports[*].port", "80" },
    { ".spec.ports.*.name", "http" },
    { ".spec.tags[1:3]", "b" },
    { ".spec.tags[2:]", "c" },
    { ".spec.tags[:1]", "a" },
    { ".spec.tags[-1:]", "d" },
    { ".spec.tags[3:1]", NULL },
    { ".status.nested[1][0]", "3" },
    { ".status.nested[*][1]", "2" },
    { ".status.conditions[?(@.type==\"Ready\")].status", "False" },
    { ".status.conditions[?(@.type=='Ready')].reason", "MinimumReplicasUnavailable" },
    { ".status.conditions[?( @.type == \"Progressing\" )].status", "True" },
    { ".status.conditions[?(@.type!=\"Progressing\")].type", "Ready" },
    { ".status.conditions[?(@.age>5)].type", "Ready" },
    { ".status.conditions[?(@.age<=5)].type", "Progressing" },
    { ".status.conditions[?(@.age>=10.0)].type", "Ready" },
    { ".status.conditions[?(@.type==\"Missing\")].status", NULL },
    { ".status.conditions[?(@.reason)].type", NULL }, /* compiled below as error */
    { ".spec.tags[?(@=='c')]", "c" },
    { ".spec.ports[?(@.port>100)].name", "https" },
    { ".spec.ports", "[{\"name\":\"http\",\"port\":80},{\"name\":\"https\",\"port\":443}]" },
    { ".metadata.labels", "{\"app.kubernetes.io/name\":\"web\",\"tier\":\"front\"}" },
    { ".status.conditions[?(@.type==\"Ready\")]",
      "{\"age\":10,\"reason\":\"MinimumReplicasUnavailable\",\"status\":\"False\",\"type\":"
      "\"Ready\"}" },
};

static void test_eval_cases(void **state)
{
    zk_autojson json_t *doc = J(doc_text);
    for (size_t i = 0; i < ZK_ARRAY_LEN(eval_cases); i++) {
        const eval_case *c = &eval_cases[i];
        zk_kube_jsonpath *p = NULL;
        zk_err err = { 0 };
        int rc = zk_kube_jsonpath_compile(c->expr, &p, &err);
        if (strcmp(c->expr, ".status.conditions[?(@.reason)].type") == 0) {
            /* client-go filters need a comparison; so do we */
            assert_int_equal(rc, -ZK_EPARSE);
            continue;
        }
        if (rc != 0)
            fail_msg("compile %s: %s", c->expr, err.msg);
        zk_autofree char *got = zk_kube_jsonpath_render(zk_kube_jsonpath_first(p, doc));
        if (c->want == NULL) {
            if (got)
                fail_msg("%s: want no value, got %s", c->expr, got);
        } else {
            if (!got || strcmp(got, c->want) != 0)
                fail_msg("%s: want %s, got %s", c->expr, c->want, got ? got : "(none)");
        }
        assert_string_equal(zk_kube_jsonpath_text(p), c->expr);
        zk_kube_jsonpath_free(p);
    }
}

static const char *const bad_exprs[] = {
    "",
    "   ",
    "metadata.name",
    ".",
    ".metadata.",
    ".metadata..name",
    "..name",
    ".a[",
    ".a[0",
    ".a[x]",
    ".a[-]",
    ".a['unterminated]",
    ".a[?(@.b==)]",
    ".a[?(@.b=='x']",
    ".a[?@.b=='x')]",
    ".a[?(@.b~'x')]",
    ".a[?(@.b=='x')",
    ".a[0,1]",
    ".a[1:2:1]",
    ".a[9999999999]",
    ".a b",
    "{.a}{.b}",
    ".a[?(@.b==1.)]",
    ".a[?(@.b==1e)]",
    ".a[?(@.b==-)]",
};

static void test_bad_expressions(void **state)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(bad_exprs); i++) {
        zk_kube_jsonpath *p = NULL;
        zk_err err = { 0 };
        int rc = zk_kube_jsonpath_compile(bad_exprs[i], &p, &err);
        if (rc == 0)
            fail_msg("%s: compiled but should not", bad_exprs[i]);
        assert_null(p);
        assert_true(err.msg[0] != '\0');
    }
}

static void test_error_names_offset(void **state)
{
    zk_kube_jsonpath *p = NULL;
    zk_err err = { 0 };
    assert_int_equal(zk_kube_jsonpath_compile(".spec[?(@.x=='a'", &p, &err), -ZK_EPARSE);
    assert_non_null(strstr(err.msg, "offset"));
}

static void test_bounds(void **state)
{
    zk_err err = { 0 };
    zk_kube_jsonpath *p = NULL;
    /* too long */
    size_t n = ZK_KUBE_JSONPATH_MAX_LEN + 10;
    zk_autofree char *longexpr = zk_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        longexpr[i] = i % 2 ? 'a' : '.';
    longexpr[n] = '\0';
    assert_int_equal(zk_kube_jsonpath_compile(longexpr, &p, &err), -ZK_ETOOBIG);
    /* too many steps */
    zk_autofree char *steps = zk_xmalloc(2 * (ZK_KUBE_JSONPATH_MAX_STEPS + 1) + 1);
    for (int i = 0; i <= ZK_KUBE_JSONPATH_MAX_STEPS; i++) {
        steps[2 * i] = '.';
        steps[2 * i + 1] = 'a';
    }
    steps[2 * (ZK_KUBE_JSONPATH_MAX_STEPS + 1)] = '\0';
    assert_int_equal(zk_kube_jsonpath_compile(steps, &p, &err), -ZK_ETOOBIG);
    /* filters nested too deep */
    const char *deep = ".a[?(@.b[?(@.c[?(@.d[?(@.e[?(@.f==1)].g==1)].h==1)].i==1)].j==1)]";
    assert_int_equal(zk_kube_jsonpath_compile(deep, &p, &err), -ZK_ETOOBIG);
    /* one level less is fine */
    const char *ok = ".a[?(@.b[?(@.c[?(@.d[?(@.f==1)].g==1)].h==1)].i==1)]";
    assert_int_equal(zk_kube_jsonpath_compile(ok, &p, &err), 0);
    zk_kube_jsonpath_free(p);
}

static void test_nested_filter_and_literals(void **state)
{
    zk_autojson json_t *doc = J("{'items':[{'name':'a','ok':true,'subs':[{'k':1}]},"
                                "{'name':'b','ok':false,'subs':[{'k':2}],'n':null}]}");
    static const eval_case cases[] = {
        { ".items[?(@.subs[?(@.k==2)].k==2)].name", "b" },
        { ".items[?(@.ok==true)].name", "a" },
        { ".items[?(@.ok==false)].name", "b" },
        { ".items[?(@.n==null)].name", "b" },
        { ".items[?('b'==@.name)].ok", "false" },
        { ".items[?(@.name<'b')].name", "a" },
        { ".items[?(@.name==@.name)].name", "a" },
        { ".items[?(@.subs==@.subs)].name", "a" },
        { ".items[?(@.ok=='true')].name", NULL },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_autojsonpath zk_kube_jsonpath *p = NULL;
        zk_err err = { 0 };
        if (zk_kube_jsonpath_compile(cases[i].expr, &p, &err) != 0)
            fail_msg("compile %s: %s", cases[i].expr, err.msg);
        zk_autofree char *got = zk_kube_jsonpath_render(zk_kube_jsonpath_first(p, doc));
        if (cases[i].want ? !got || strcmp(got, cases[i].want) : got != NULL)
            fail_msg("%s: want %s, got %s", cases[i].expr, cases[i].want ? cases[i].want : "-",
                     got ? got : "-");
    }
}

static void test_render(void **state)
{
    zk_autojson json_t *v = J("[1.5,1e21,-0.0001,100.0,true,null,'x',{'b':1,'a':[2]},"
                              "1234567.0,0.000015,123456.5,0.1,-2.5e-7,42]");
    const char *want[] = { "1.5", "1e+21", "-0.0001", "100", "true", NULL, "x",
                           "{\"a\":[2],\"b\":1}", "1.234567e+06", "1.5e-05", "123456.5",
                           "0.1", "-2.5e-07", "42" };
    for (size_t i = 0; i < ZK_ARRAY_LEN(want); i++) {
        zk_autofree char *got = zk_kube_jsonpath_render(json_array_get(v, i));
        if (want[i])
            assert_string_equal(got, want[i]);
        else
            assert_null(got);
    }
    assert_null(zk_kube_jsonpath_render(NULL));
}

static void test_eval_on_odd_documents(void **state)
{
    zk_autojsonpath zk_kube_jsonpath *p = NULL;
    assert_int_equal(zk_kube_jsonpath_compile(".a[*].b[?(@.c==1)][0]", &p, NULL), 0);
    const char *docs[] = { "1", "'s'", "[]", "{}", "{'a':5}", "{'a':{'x':{'b':[{'c':1}]}}}",
                           "{'a':[null,{'b':{'c':1}},{'b':[{'c':1}]}]}" };
    for (size_t i = 0; i < ZK_ARRAY_LEN(docs); i++) {
        zk_autojson json_t *d = J(docs[i]);
        json_t *r = zk_kube_jsonpath_first(p, d);
        if (i < 5)
            assert_null(r);
        (void)r;
    }
    assert_null(zk_kube_jsonpath_first(p, NULL));
    assert_null(zk_kube_jsonpath_first(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_cases),
        cmocka_unit_test(test_bad_expressions),
        cmocka_unit_test(test_error_names_offset),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_nested_filter_and_literals),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_eval_on_odd_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
