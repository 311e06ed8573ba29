#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/patch.h"

/* ---- a small Pod-like schema ------------------------------------------- */

static const zk_schema_type t_env, t_port, t_container, t_toleration, t_podspec, t_meta, t_pod,
    t_strategy, t_deployspec, t_deploy, t_item;

static const zk_schema_field f_env[] = {
    {.name = "name", .kind = ZK_S_STRING},
    {.name = "value", .kind = ZK_S_STRING},
    {0},
};
static const zk_schema_type t_env = {.name = "EnvVar", .fields = f_env};

static const zk_schema_field f_port[] = {
    {.name = "containerPort", .kind = ZK_S_INTEGER},
    {.name = "name", .kind = ZK_S_STRING},
    {.name = "protocol", .kind = ZK_S_STRING},
    {0},
};
static const zk_schema_type t_port = {.name = "ContainerPort", .fields = f_port};

static const zk_schema_field f_container[] = {
    {.name = "name", .kind = ZK_S_STRING},
    {.name = "image", .kind = ZK_S_STRING},
    {.name = "args", .kind = ZK_S_ARRAY, .elem = {ZK_S_STRING}},
    {.name = "env", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &t_env}, .merge_key = "name",
     .strategy = ZK_PATCH_MERGE},
    {.name = "ports", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &t_port},
     .merge_key = "containerPort", .strategy = ZK_PATCH_MERGE},
    {.name = "resources", .kind = ZK_S_ANY},
    {0},
};
static const zk_schema_type t_container = {.name = "Container", .fields = f_container};

static const zk_schema_field f_toleration[] = {
    {.name = "key", .kind = ZK_S_STRING},
    {.name = "operator", .kind = ZK_S_STRING},
    {.name = "effect", .kind = ZK_S_STRING},
    {0},
};
static const zk_schema_type t_toleration = {.name = "Toleration", .fields = f_toleration};

static const zk_schema_field f_podspec[] = {
    {.name = "containers", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &t_container},
     .merge_key = "name", .strategy = ZK_PATCH_MERGE},
    {.name = "tolerations", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &t_toleration}},
    {.name = "nodeSelector", .kind = ZK_S_MAP, .elem = {ZK_S_STRING}},
    {.name = "nodeName", .kind = ZK_S_STRING},
    {0},
};
static const zk_schema_type t_podspec = {.name = "PodSpec", .fields = f_podspec};

static const zk_schema_field f_meta[] = {
    {.name = "name", .kind = ZK_S_STRING},
    {.name = "labels", .kind = ZK_S_MAP, .elem = {ZK_S_STRING}},
    {.name = "annotations", .kind = ZK_S_MAP, .elem = {ZK_S_STRING}},
    {.name = "finalizers", .kind = ZK_S_ARRAY, .elem = {ZK_S_STRING},
     .strategy = ZK_PATCH_MERGE},
    {0},
};
static const zk_schema_type t_meta = {.name = "ObjectMeta", .fields = f_meta};

static const zk_schema_field f_pod[] = {
    {.name = "apiVersion", .kind = ZK_S_STRING},
    {.name = "kind", .kind = ZK_S_STRING},
    {.name = "metadata", .kind = ZK_S_OBJECT, .ref = &t_meta},
    {.name = "spec", .kind = ZK_S_OBJECT, .ref = &t_podspec},
    {0},
};
static const zk_schema_type t_pod = {.name = "Pod", .fields = f_pod};

static const zk_schema_field f_strategy[] = {
    {.name = "type", .kind = ZK_S_STRING},
    {.name = "rollingUpdate", .kind = ZK_S_ANY},
    {0},
};
static const zk_schema_type t_strategy = {.name = "DeploymentStrategy", .fields = f_strategy};

static const zk_schema_field f_deployspec[] = {
    {.name = "replicas", .kind = ZK_S_INTEGER},
    {.name = "strategy", .kind = ZK_S_OBJECT, .ref = &t_strategy,
     .strategy = ZK_PATCH_RETAINKEYS},
    {0},
};
static const zk_schema_type t_deployspec = {.name = "DeploymentSpec", .fields = f_deployspec};

static const zk_schema_field f_deploy[] = {
    {.name = "metadata", .kind = ZK_S_OBJECT, .ref = &t_meta},
    {.name = "spec", .kind = ZK_S_OBJECT, .ref = &t_deployspec},
    {0},
};
static const zk_schema_type t_deploy = {.name = "Deployment", .fields = f_deploy};

/* apimachinery's own test type (MergeItem), for its test cases. */
static const zk_schema_field f_item[] = {
    {.name = "name", .kind = ZK_S_INTEGER},
    {.name = "value", .kind = ZK_S_ANY},
    {.name = "other", .kind = ZK_S_ANY},
    {.name = "mergingList", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &t_item},
     .merge_key = "name", .strategy = ZK_PATCH_MERGE},
    {.name = "nonMergingList", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &t_item}},
    {.name = "mergingIntList", .kind = ZK_S_ARRAY, .elem = {ZK_S_INTEGER},
     .strategy = ZK_PATCH_MERGE},
    {.name = "nonMergingIntList", .kind = ZK_S_ARRAY, .elem = {ZK_S_INTEGER}},
    {.name = "simpleMap", .kind = ZK_S_MAP, .elem = {ZK_S_STRING}},
    {.name = "retainKeysMap", .kind = ZK_S_OBJECT, .ref = &t_item,
     .strategy = ZK_PATCH_RETAINKEYS},
    {0},
};
static const zk_schema_type t_item = {.name = "MergeItem", .fields = f_item};

/* ---- table runner ------------------------------------------------------ */

enum { JSONP, MERGE, SMP, APPLY };

typedef struct pcase {
    const char *name;
    int kind;
    const zk_schema_type *type;  /* SMP, APPLY */
    const char *doc;
    const char *patch;
    const char *want;            /* expected result, or NULL on error */
    int rc;                      /* expected return code */
    const char *msg;             /* substring of the error message */
    const char *ctype;           /* APPLY */
} pcase;

static json_t *load(const char *s)
{
    json_t *j = NULL;
    zk_err err = {0};
    if (zk_json_decode(s, strlen(s), &j, &err) < 0)
        fail_msg("bad test JSON %s: %s", s, err.msg);
    return j;
}

static void run(const pcase *cases, size_t n)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        const pcase *c = &cases[i];
        zk_autojson json_t *doc = load(c->doc);
        zk_autojson json_t *patch = c->kind == APPLY ? NULL : load(c->patch);
        zk_autofree char *doc_before = zk_json_dumps(doc);
        zk_autofree char *patch_before = patch ? zk_json_dumps(patch) : NULL;
        zk_autojson json_t *out = NULL;
        zk_err err = {0};
        int rc;
        switch (c->kind) {
        case JSONP: rc = zk_kube_patch_json(doc, patch, &out, &err); break;
        case MERGE: rc = zk_kube_patch_merge(doc, patch, &out, &err); break;
        case SMP: rc = zk_kube_patch_strategic(doc, patch, c->type, &out, &err); break;
        default:
            rc = zk_kube_patch_apply(c->ctype, doc, c->patch, strlen(c->patch), c->type, &out,
                                     &err);
            break;
        }
        bool ok = rc == c->rc;
        zk_autofree char *got = out ? zk_json_dumps(out) : NULL;
        if (ok && c->want) {
            zk_autojson json_t *want = load(c->want);
            ok = out && json_equal(out, want);
        }
        if (ok && !c->want)
            ok = out == NULL;
        if (ok && c->msg)
            ok = strstr(err.msg, c->msg) != NULL;
        /* Inputs never change. */
        zk_autofree char *doc_after = zk_json_dumps(doc);
        zk_autofree char *patch_after = patch ? zk_json_dumps(patch) : NULL;
        if (strcmp(doc_before, doc_after) ||
            (patch && strcmp(patch_before, patch_after))) {
            print_error("case \"%s\": an input was modified\n", c->name);
            ok = false;
        }
        if (!ok) {
            print_error("case \"%s\": rc %d (want %d), result %s\n  want %s\n  error: %s\n",
                        c->name, rc, c->rc, got ? got : "(none)", c->want ? c->want : "(none)",
                        err.msg);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* ---- RFC 6902 ---------------------------------------------------------- */

static const pcase jsonpatch_cases[] = {
    /* Appendix A */
    {"A.1 add object member", JSONP, NULL, "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]", "{\"baz\":\"qux\",\"foo\":\"bar\"}"},
    {"A.2 add array element", JSONP, NULL, "{\"foo\":[\"bar\",\"baz\"]}",
     "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
     "{\"foo\":[\"bar\",\"qux\",\"baz\"]}"},
    {"A.3 remove object member", JSONP, NULL, "{\"baz\":\"qux\",\"foo\":\"bar\"}",
     "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}"},
    {"A.4 remove array element", JSONP, NULL, "{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
     "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}"},
    {"A.5 replace", JSONP, NULL, "{\"baz\":\"qux\",\"foo\":\"bar\"}",
     "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
     "{\"baz\":\"boo\",\"foo\":\"bar\"}"},
    {"A.6 move value", JSONP, NULL,
     "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
     "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
     "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}"},
    {"A.7 move array element", JSONP, NULL, "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
     "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
     "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}"},
    {"A.8 test success", JSONP, NULL, "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
     "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
     "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
     "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}"},
    {"A.9 test failure", JSONP, NULL, "{\"baz\":\"qux\"}",
     "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL, -ZK_EINVAL,
     "json patch operation 1 of 1 (test /baz): test failed: the value is \"qux\", not \"bar\""},
    {"A.10 add nested member object", JSONP, NULL, "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
     "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}"},
    {"A.11 ignore unrecognized elements", JSONP, NULL, "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
     "{\"foo\":\"bar\",\"baz\":\"qux\"}"},
    {"A.12 add to nonexistent target", JSONP, NULL, "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", NULL, -ZK_EINVAL,
     "member \"baz\" does not exist"},
    {"A.13 invalid patch document (duplicate op, last wins: remove of a missing member)",
     JSONP, NULL, "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]", NULL,
     -ZK_EINVAL, NULL},
    {"A.14 ~ escape ordering", JSONP, NULL, "{\"/\":9,\"~1\":10}",
     "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", "{\"/\":9,\"~1\":10}"},
    {"A.15 comparing strings and numbers", JSONP, NULL, "{\"/\":9,\"~1\":10}",
     "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", NULL, -ZK_EINVAL,
     "test failed"},
    {"A.16 add an array value", JSONP, NULL, "{\"foo\":[\"bar\"]}",
     "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
     "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}"},

    /* Pointers and indexes */
    {"~1 in a key", JSONP, NULL, "{\"metadata\":{\"labels\":{}}}",
     "[{\"op\":\"add\",\"path\":\"/metadata/labels/app.kubernetes.io~1name\",\"value\":\"web\"}]",
     "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"web\"}}}"},
    {"empty key", JSONP, NULL, "{\"\":1}", "[{\"op\":\"replace\",\"path\":\"/\",\"value\":2}]",
     "{\"\":2}"},
    {"bad escape", JSONP, NULL, "{}", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]", NULL,
     -ZK_EPARSE, "'~' must be followed by '0' or '1'"},
    {"pointer without leading slash", JSONP, NULL, "{}",
     "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", NULL, -ZK_EPARSE, "is not a JSON pointer"},
    {"leading zero index", JSONP, NULL, "{\"a\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/a/01\"}]",
     NULL, -ZK_EINVAL, "not a valid array index"},
    {"index past the end for add", JSONP, NULL, "{\"a\":[1]}",
     "[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":3}]", NULL, -ZK_EINVAL, "out of range"},
    {"add at the end by index", JSONP, NULL, "{\"a\":[1]}",
     "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":3}]", "{\"a\":[1,3]}"},
    {"remove with -", JSONP, NULL, "{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/-\"}]", NULL,
     -ZK_EINVAL, NULL},
    {"remove missing member", JSONP, NULL, "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]",
     NULL, -ZK_EINVAL, "json patch operation 1 of 1 (remove /b): member \"b\" does not exist"},
    {"replace missing member", JSONP, NULL, "{\"a\":1}",
     "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", NULL, -ZK_EINVAL, "does not exist"},
    {"replace array element", JSONP, NULL, "{\"a\":[1,2,3]}",
     "[{\"op\":\"replace\",\"path\":\"/a/1\",\"value\":{\"x\":1}}]", "{\"a\":[1,{\"x\":1},3]}"},
    {"replace the whole document", JSONP, NULL, "{\"a\":1}",
     "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]"},
    {"remove the whole document", JSONP, NULL, "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]",
     NULL, -ZK_EINVAL, "cannot remove the whole document"},
    {"look into a scalar", JSONP, NULL, "{\"a\":1}",
     "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", NULL, -ZK_EINVAL, "cannot look up"},
    {"move into own child", JSONP, NULL, "{\"a\":{\"b\":{}}}",
     "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", NULL, -ZK_EINVAL,
     "into one of its children"},
    {"move to a sibling with a common prefix", JSONP, NULL, "{\"a\":1}",
     "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab\"}]", "{\"ab\":1}"},
    {"move to itself", JSONP, NULL, "{\"a\":1}",
     "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]", "{\"a\":1}"},
    {"move from missing", JSONP, NULL, "{\"a\":1}",
     "[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/y\"}]", NULL, -ZK_EINVAL,
     "from: member \"x\" does not exist"},
    {"copy", JSONP, NULL, "{\"a\":{\"b\":[1]}}",
     "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
     "{\"op\":\"add\",\"path\":\"/c/b/-\",\"value\":2}]",
     "{\"a\":{\"b\":[1]},\"c\":{\"b\":[1,2]}}"},
    {"copy the whole document into itself", JSONP, NULL, "{\"a\":1}",
     "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/self\"}]", "{\"a\":1,\"self\":{\"a\":1}}"},
    {"test numbers by value", JSONP, NULL, "{\"a\":1,\"b\":[1.0,{\"c\":2}]}",
     "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.0},"
     "{\"op\":\"test\",\"path\":\"/b\",\"value\":[1,{\"c\":2.0}]}]",
     "{\"a\":1,\"b\":[1.0,{\"c\":2}]}"},
    {"test null", JSONP, NULL, "{\"a\":null}",
     "[{\"op\":\"test\",\"path\":\"/a\",\"value\":null}]", "{\"a\":null}"},
    {"add null value", JSONP, NULL, "{}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":null}]",
     "{\"a\":null}"},
    {"all or nothing", JSONP, NULL, "{\"a\":1}",
     "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]",
     NULL, -ZK_EINVAL, "json patch operation 2 of 2 (test /a)"},
    {"empty patch", JSONP, NULL, "{\"a\":1}", "[]", "{\"a\":1}"},
    {"patch is not a list", JSONP, NULL, "{}", "{\"op\":\"add\"}", NULL, -ZK_EPARSE,
     "JSON array of operations"},
    {"operation is not an object", JSONP, NULL, "{}", "[1]", NULL, -ZK_EPARSE,
     "operation 1 of 1 is not a JSON object"},
    {"unknown op", JSONP, NULL, "{}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL, -ZK_EPARSE,
     "unknown op"},
    {"missing op", JSONP, NULL, "{}", "[{\"path\":\"/a\"}]", NULL, -ZK_EPARSE, "\"op\""},
    {"missing value", JSONP, NULL, "{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", NULL, -ZK_EPARSE,
     "\"value\" is missing"},
    {"missing from", JSONP, NULL, "{}", "[{\"op\":\"copy\",\"path\":\"/a\"}]", NULL, -ZK_EPARSE,
     "\"from\""},
};

static void test_json_patch(void **state)
{
    run(jsonpatch_cases, ZK_ARRAY_LEN(jsonpatch_cases));
}

static json_t *repeat_ops(size_t n, const char *op)
{
    json_t *ops = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ops, load(op));
    return ops;
}

static void test_json_patch_bounds(void **state)
{
    zk_err err = {0};
    zk_autojson json_t *doc = load("{\"a\":[0,1,2,3,4,5,6,7]}");
    json_t *out = NULL;

    /* Too many operations. */
    zk_autojson json_t *many = repeat_ops(ZK_KUBE_PATCH_MAX_OPS + 1,
                                          "{\"op\":\"test\",\"path\":\"/a/0\",\"value\":0}");
    assert_int_equal(zk_kube_patch_json(doc, many, &out, &err), -ZK_ETOOBIG);
    assert_non_null(strstr(err.msg, "maximum operations"));
    assert_null(out);

    /* Doubling by copying a list into itself is stopped, not run to OOM. */
    zk_autojson json_t *dbl = repeat_ops(64, "{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/-\"}");
    assert_int_equal(zk_kube_patch_json(doc, dbl, &out, &err), -ZK_ETOOBIG);
    assert_null(out);

    /* Doubling across members. */
    zk_autojson json_t *grow = json_array();
    for (int i = 0; i < 40; i++) {
        char op[128];
        snprintf(op, sizeof(op), "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/k%d\"}", i);
        json_array_append_new(grow, load(op));
    }
    assert_int_equal(zk_kube_patch_json(doc, grow, &out, &err), -ZK_ETOOBIG);
    assert_null(out);

    /* Nesting deeper than a decodable document: add /x, /x/x, /x/x/x, ... */
    zk_autojson json_t *deep = json_array();
    zk_autofree char *path = zk_xcalloc(2 * (ZK_JSON_MAX_DEPTH + 5) + 1, 1);
    for (int i = 0; i < ZK_JSON_MAX_DEPTH + 5; i++) {
        memcpy(path + 2 * i, "/x", 2);
        json_array_append_new(deep, json_pack("{s:s,s:s,s:{}}", "op", "add", "path", path,
                                              "value"));
    }
    zk_autojson json_t *small = load("{}");
    assert_int_equal(zk_kube_patch_json(small, deep, &out, &err), -ZK_ETOOBIG);
    assert_non_null(strstr(err.msg, "deeper"));
    assert_non_null(strstr(err.msg, "operation 256 of"));
    assert_null(out);

    /* Within bounds, a few copies are fine. */
    zk_autojson json_t *few = repeat_ops(3, "{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/-\"}");
    assert_int_equal(zk_kube_patch_json(doc, few, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "a")), 11);
    json_decref(out);
}

/* ---- RFC 7386 ---------------------------------------------------------- */

static const pcase merge_cases[] = {
    /* Appendix A */
    {"1", MERGE, NULL, "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"2", MERGE, NULL, "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
    {"3", MERGE, NULL, "{\"a\":\"b\"}", "{\"a\":null}", "{}"},
    {"4", MERGE, NULL, "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
    {"5", MERGE, NULL, "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"6", MERGE, NULL, "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
    {"7", MERGE, NULL, "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
     "{\"a\":{\"b\":\"d\"}}"},
    {"8", MERGE, NULL, "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
    {"9", MERGE, NULL, "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
    {"10", MERGE, NULL, "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
    {"11", MERGE, NULL, "{\"a\":\"foo\"}", "null", "null"},
    {"12", MERGE, NULL, "{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
    {"13", MERGE, NULL, "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
    {"14", MERGE, NULL, "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
    {"15", MERGE, NULL, "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
    /* Section 3 example */
    {"section 3", MERGE, NULL,
     "{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
     "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
     "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\","
     "\"author\":{\"familyName\":null},\"tags\":[\"example\"]}",
     "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
     "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}"},
    {"nulls inside arrays are values", MERGE, NULL, "{}", "{\"a\":[null,{\"b\":null}]}",
     "{\"a\":[null,{\"b\":null}]}"},
};

static void test_merge_patch(void **state)
{
    run(merge_cases, ZK_ARRAY_LEN(merge_cases));
}

/* ---- strategic merge patch --------------------------------------------- */

#define POD2 \
    "{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}," \
    "\"finalizers\":[\"a\",\"b\"]}," \
    "\"spec\":{\"containers\":[" \
    "{\"name\":\"app\",\"image\":\"app:1\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}," \
    "{\"name\":\"B\",\"value\":\"2\"}],\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]}," \
    "{\"name\":\"log\",\"image\":\"log:1\"}]," \
    "\"tolerations\":[{\"key\":\"k1\",\"operator\":\"Exists\"}],\"nodeSelector\":{\"zone\":\"a\"}}}"

static const pcase smp_cases[] = {
    {"update a container's image by name", SMP, &t_pod, POD2,
     "{\"spec\":{\"containers\":[{\"name\":\"log\",\"image\":\"log:2\"}]}}",
     "{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"},"
     "\"finalizers\":[\"a\",\"b\"]},"
     "\"spec\":{\"containers\":["
     "{\"name\":\"app\",\"image\":\"app:1\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
     "{\"name\":\"B\",\"value\":\"2\"}],\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]},"
     "{\"name\":\"log\",\"image\":\"log:2\"}],"
     "\"tolerations\":[{\"key\":\"k1\",\"operator\":\"Exists\"}],\"nodeSelector\":{\"zone\":\"a\"}}}"},
    {"env merged by name, ports by containerPort", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"app\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
     "{\"name\":\"B\",\"value\":\"2\"}],\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"app\",\"env\":[{\"name\":\"B\",\"value\":\"3\"},"
     "{\"name\":\"C\",\"value\":\"4\"}],\"ports\":[{\"containerPort\":80,\"name\":\"http\"},"
     "{\"containerPort\":443}]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"app\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
     "{\"name\":\"B\",\"value\":\"3\"},{\"name\":\"C\",\"value\":\"4\"}],"
     "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\",\"name\":\"http\"},"
     "{\"containerPort\":443}]}]}}"},
    {"new list items go before server-only ones (kube-apiserver order)", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"c:1\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"c:1\"},{\"name\":\"a\"},"
     "{\"name\":\"b\"}]}}"},
    {"$patch: delete of a container", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"a\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"b\"}]}}"},
    {"$patch: replace of a list", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"containers\":[{\"$patch\":\"replace\"},{\"name\":\"z\",\"image\":\"z\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"z\",\"image\":\"z\"}]}}"},
    {"$patch: replace alone empties a list", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"containers\":[{\"$patch\":\"replace\"}]}}", "{\"spec\":{\"containers\":[]}}"},
    {"$patch: merge is the default", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\"}],\"nodeSelector\":{\"x\":\"1\"}}}",
     "{\"spec\":{\"containers\":[{\"$patch\":\"merge\"},{\"name\":\"a\",\"image\":\"2\"}],"
     "\"nodeSelector\":{\"$patch\":\"merge\",\"y\":\"2\"}}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"2\"}],"
     "\"nodeSelector\":{\"x\":\"1\",\"y\":\"2\"}}}"},
    {"$patch: replace of a map", SMP, &t_pod,
     "{\"spec\":{\"nodeSelector\":{\"zone\":\"a\",\"disk\":\"hdd\"}}}",
     "{\"spec\":{\"nodeSelector\":{\"$patch\":\"replace\",\"disk\":\"ssd\"}}}",
     "{\"spec\":{\"nodeSelector\":{\"disk\":\"ssd\"}}}"},
    {"$patch: delete of a map", SMP, &t_pod, "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}",
     "{\"metadata\":{\"labels\":{\"$patch\":\"delete\"}}}", "{\"metadata\":{\"labels\":{}}}"},
    {"$patch: replace of the whole object", SMP, &t_pod, "{\"metadata\":{\"name\":\"x\"}}",
     "{\"$patch\":\"replace\",\"kind\":\"Pod\"}", "{\"kind\":\"Pod\"}"},
    {"null deletes keys", SMP, &t_pod, POD2,
     "{\"metadata\":{\"labels\":{\"tier\":null,\"nothere\":null}},\"spec\":{\"nodeSelector\":null,"
     "\"containers\":[{\"name\":\"app\",\"image\":null,\"env\":null,\"ports\":null}]}}",
     "{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"},\"finalizers\":[\"a\",\"b\"]},"
     "\"spec\":{\"containers\":[{\"name\":\"app\"},{\"name\":\"log\",\"image\":\"log:1\"}],"
     "\"tolerations\":[{\"key\":\"k1\",\"operator\":\"Exists\"}]}}"},
    {"nulls in new values are dropped", SMP, &t_pod, "{\"metadata\":{}}",
     "{\"metadata\":{\"annotations\":{\"a\":\"1\",\"b\":null}},"
     "\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":null}]}}",
     "{\"metadata\":{\"annotations\":{\"a\":\"1\"}},\"spec\":{\"containers\":[{\"name\":\"x\"}]}}"},
    {"directives in new values do not leak", SMP, &t_pod, "{}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}],"
     "\"containers\":[{\"name\":\"b\"},{\"name\":\"a\"},{\"name\":\"z\",\"$patch\":\"delete\"}]},"
     "\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"x\"],\"labels\":{\"$patch\":\"delete\"}}}",
     "{\"spec\":{\"containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]},\"metadata\":{}}"},
    {"atomic list is replaced", SMP, &t_pod,
     "{\"spec\":{\"tolerations\":[{\"key\":\"k1\"},{\"key\":\"k2\"}]}}",
     "{\"spec\":{\"tolerations\":[{\"key\":\"k3\",\"effect\":\"NoSchedule\"}]}}",
     "{\"spec\":{\"tolerations\":[{\"key\":\"k3\",\"effect\":\"NoSchedule\"}]}}"},
    {"list of primitives without strategy is replaced", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"x\",\"y\"]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"z\"]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"z\"]}]}}"},
    {"primitive merge list is an ordered union", SMP, &t_pod,
     "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
     "{\"metadata\":{\"finalizers\":[\"c\",\"d\",\"a\"]}}",
     "{\"metadata\":{\"finalizers\":[\"b\",\"c\",\"d\",\"a\"]}}"},
    {"$deleteFromPrimitiveList", SMP, &t_pod,
     "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\",\"b\"]}}",
     "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\",\"zz\"]}}",
     "{\"metadata\":{\"finalizers\":[\"a\",\"c\"]}}"},
    {"$deleteFromPrimitiveList on a missing list", SMP, &t_pod, "{\"metadata\":{}}",
     "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}", "{\"metadata\":{}}"},
    {"unknown field: JSON merge patch semantics", SMP, &t_pod,
     "{\"spec\":{\"extra\":{\"x\":{\"z\":2,\"w\":3},\"q\":[1,2]}}}",
     "{\"spec\":{\"extra\":{\"x\":{\"y\":1,\"z\":null},\"q\":[{\"name\":\"n\"}],"
     "\"r\":{\"$patch\":\"delete\"}}}}",
     "{\"spec\":{\"extra\":{\"x\":{\"y\":1,\"w\":3},\"q\":[{\"name\":\"n\"}],"
     "\"r\":{\"$patch\":\"delete\"}}}}"},
    {"ZK_S_ANY field: JSON merge patch semantics", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"cpu\":\"1\","
     "\"memory\":\"1Gi\"}}}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"cpu\":\"2\","
     "\"memory\":null}}}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"cpu\":\"2\"}}}]}}"},
    {"no schema: merge patch", SMP, NULL, "{\"a\":[1],\"b\":{\"c\":1}}",
     "{\"a\":[2],\"b\":{\"$patch\":\"delete\"}}", "{\"a\":[2],\"b\":{\"c\":1,\"$patch\":\"delete\"}}"},
    {"$retainKeys clears other fields", SMP, &t_deploy,
     "{\"spec\":{\"replicas\":2,\"strategy\":{\"type\":\"RollingUpdate\","
     "\"rollingUpdate\":{\"maxSurge\":1}}}}",
     "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
     "{\"spec\":{\"replicas\":2,\"strategy\":{\"type\":\"Recreate\"}}}"},
    {"$retainKeys must list every field the patch sets", SMP, &t_deploy,
     "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\"}}}",
     "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"rollingUpdate\":{}}}}", NULL,
     -ZK_EPARSE, "spec.strategy: the patch sets rollingUpdate, which $retainKeys does not list"},
    {"$retainKeys must be a list", SMP, &t_deploy, "{}",
     "{\"spec\":{\"strategy\":{\"$retainKeys\":\"type\"}}}", NULL, -ZK_EPARSE, "$retainKeys"},
    {"missing merge key", SMP, &t_pod, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
     "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}", NULL, -ZK_EINVAL,
     "spec.containers: item {\"image\":\"x\"} does not contain declared merge key: name"},
    {"error path names the list item", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"A\"}]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"value\":\"x\"}]}]}}", NULL,
     -ZK_EINVAL, "spec.containers[name=\"a\"].env: item"},
    {"unknown $patch directive", SMP, &t_pod, "{}", "{\"spec\":{\"$patch\":\"frobnicate\"}}",
     NULL, -ZK_EPARSE, "unknown $patch directive \"frobnicate\""},
    {"unknown $patch directive in a list", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":1}]}}", NULL, -ZK_EPARSE,
     "unknown $patch directive 1"},
    {"lists of lists", SMP, &t_item, "{\"mergingIntList\":[[1]]}", "{\"mergingIntList\":[[2]]}",
     NULL, -ZK_EINVAL, "lists of lists are not supported"},
    {"mixed item types", SMP, &t_item, "{\"mergingIntList\":[1]}", "{\"mergingIntList\":[\"2\"]}",
     NULL, -ZK_EINVAL, "not all of the same type"},
    {"bad $setElementOrder key", SMP, &t_item, "{}", "{\"$setElementOrderX\":[]}", NULL,
     -ZK_EPARSE, "$setElementOrder/<list field>"},
    {"bad $deleteFromPrimitiveList key", SMP, &t_item, "{}", "{\"$deleteFromPrimitiveList\":[]}",
     NULL, -ZK_EPARSE, "$deleteFromPrimitiveList/<list field>"},
    {"patch must be an object", SMP, &t_pod, "{}", "[]", NULL, -ZK_EPARSE, "JSON object"},
    {"type change replaces", SMP, &t_pod, "{\"spec\":{\"nodeSelector\":\"x\"}}",
     "{\"spec\":{\"nodeSelector\":{\"a\":\"b\",\"c\":null}}}",
     "{\"spec\":{\"nodeSelector\":{\"a\":\"b\"}}}"},
    {"merge keys compare with their type", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80}]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"name\":\"h\"},"
     "{\"containerPort\":\"80\"}]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"name\":\"h\"},"
     "{\"containerPort\":\"80\"}]}]}}"},
};

static void test_strategic(void **state)
{
    run(smp_cases, ZK_ARRAY_LEN(smp_cases));
}

/* What kubectl apply sends, and what kube-apiserver makes of it. */
static const pcase kubectl_cases[] = {
    {"apply appends a container", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"a\"},{\"name\":\"b\",\"image\":\"b\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"b\"},"
     "{\"name\":\"c\"}],\"containers\":[{\"name\":\"c\",\"image\":\"c\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"a\"},{\"name\":\"b\",\"image\":\"b\"},"
     "{\"name\":\"c\",\"image\":\"c\"}]}}"},
    {"apply inserts in the middle, around a server-only item", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"x\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"n\"},"
     "{\"name\":\"b\"}],\"containers\":[{\"name\":\"n\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"n\"},{\"name\":\"x\"},"
     "{\"name\":\"b\"}]}}"},
    {"apply keeps an injected sidecar at the end", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"sidecar\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"b\"},"
     "{\"name\":\"c\"}],\"containers\":[{\"name\":\"c\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"},"
     "{\"name\":\"sidecar\"}]}}"},
    {"apply reorders env", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"value\":\"1\"},"
     "{\"name\":\"Y\",\"value\":\"2\"}]}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"}],\"containers\":[{\"name\":\"a\","
     "\"$setElementOrder/env\":[{\"name\":\"Y\"},{\"name\":\"X\"}]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Y\",\"value\":\"2\"},"
     "{\"name\":\"X\",\"value\":\"1\"}]}]}}"},
    {"apply renames a container (delete + add)", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"old\"},{\"name\":\"keep\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"new\"},{\"name\":\"keep\"}],"
     "\"containers\":[{\"name\":\"new\",\"image\":\"n\"},{\"name\":\"old\",\"$patch\":\"delete\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"new\",\"image\":\"n\"},{\"name\":\"keep\"}]}}"},
    {"apply drops a finalizer and adds one", SMP, &t_pod,
     "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
     "{\"metadata\":{\"$setElementOrder/finalizers\":[\"b\",\"c\"],"
     "\"$deleteFromPrimitiveList/finalizers\":[\"a\"],\"finalizers\":[\"c\"]}}",
     "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}"},
    {"patch list out of $setElementOrder order", SMP, &t_pod,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
     "\"containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]}}", NULL, -ZK_EPARSE,
     "does not match $setElementOrder/containers"},
    {"$setElementOrder on an atomic list is ignored", SMP, &t_pod,
     "{\"spec\":{\"tolerations\":[{\"key\":\"a\"}]}}",
     "{\"spec\":{\"$setElementOrder/tolerations\":[{\"key\":\"b\"}],"
     "\"tolerations\":[{\"key\":\"b\"}]}}",
     "{\"spec\":{\"tolerations\":[{\"key\":\"b\"}]}}"},
};

static void test_strategic_kubectl(void **state)
{
    run(kubectl_cases, ZK_ARRAY_LEN(kubectl_cases));
}

/* Cases from apimachinery's strategicpatch tests (the three-way "current"
 * documents and patches), on its MergeItem type. */
static const pcase apimachinery_cases[] = {
    {"preserve the order from the patch in a merging list 2", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1},{\"name\":2,\"value\":\"b\"},{\"name\":3}]}",
     "{\"mergingList\":[{\"name\":3,\"value\":\"c\"},{\"name\":1,\"value\":\"a\"}]}",
     "{\"mergingList\":[{\"name\":2,\"value\":\"b\"},{\"name\":3,\"value\":\"c\"},"
     "{\"name\":1,\"value\":\"a\"}]}"},
    {"preserve the order from the patch in a merging int list", SMP, &t_item,
     "{\"mergingIntList\":[1,2,3]}", "{\"mergingIntList\":[3,1]}",
     "{\"mergingIntList\":[2,3,1]}"},
    {"delete all duplicate entries in a merging list", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1},{\"name\":1},{\"name\":2,\"value\":\"a\"},{\"name\":3},"
     "{\"name\":3}]}",
     "{\"mergingList\":[{\"name\":1,\"$patch\":\"delete\"},{\"name\":3,\"$patch\":\"delete\"}]}",
     "{\"mergingList\":[{\"name\":2,\"value\":\"a\"}]}"},
    {"nested patch merge with empty list", SMP, &t_item,
     "{\"name\":\"hi\",\"mergingList\":[{\"name\":\"hello2\"}]}",
     "{\"$setElementOrder/mergingList\":[{\"name\":\"hello\"},{\"name\":\"doesntexist\"}],"
     "\"mergingList\":[{\"name\":\"hello\"},{\"$patch\":\"delete\",\"name\":\"doesntexist\"}]}",
     "{\"name\":\"hi\",\"mergingList\":[{\"name\":\"hello\"},{\"name\":\"hello2\"}]}"},
    {"delete items in lists of scalars", SMP, &t_item, "{\"mergingIntList\":[1,2,3,4]}",
     "{\"$setElementOrder/mergingIntList\":[1,2],\"$deleteFromPrimitiveList/mergingIntList\":[3]}",
     "{\"mergingIntList\":[1,2,4]}"},
    {"add map and delete map from merging list", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1},{\"name\":2,\"other\":\"b\"},{\"name\":4,\"other\":\"c\"}]}",
     "{\"$setElementOrder/mergingList\":[{\"name\":2},{\"name\":3}],"
     "\"mergingList\":[{\"name\":3},{\"name\":1,\"$patch\":\"delete\"}]}",
     "{\"mergingList\":[{\"name\":2,\"other\":\"b\"},{\"name\":4,\"other\":\"c\"},{\"name\":3}]}"},
    {"add map and delete map from merging list with conflict", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1,\"other\":\"a\"},{\"name\":4,\"other\":\"c\"}]}",
     "{\"$setElementOrder/mergingList\":[{\"name\":2},{\"name\":3}],"
     "\"mergingList\":[{\"name\":2},{\"name\":3},{\"name\":1,\"$patch\":\"delete\"}]}",
     "{\"mergingList\":[{\"name\":4,\"other\":\"c\"},{\"name\":2},{\"name\":3}]}"},
    {"add field to map in merging list with conflict", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1,\"other\":\"a\"},{\"name\":3,\"value\":2,\"other\":\"b\"}]}",
     "{\"$setElementOrder/mergingList\":[{\"name\":1},{\"name\":2}],"
     "\"mergingList\":[{\"name\":1,\"value\":1},{\"name\":2,\"value\":2}]}",
     "{\"mergingList\":[{\"name\":1,\"value\":1,\"other\":\"a\"},{\"name\":2,\"value\":2},"
     "{\"name\":3,\"value\":2,\"other\":\"b\"}]}"},
    {"set elements order in a list with server-only items 2", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1,\"other\":\"a\"},{\"name\":2},{\"name\":9},{\"name\":3},"
     "{\"name\":4}]}",
     "{\"$setElementOrder/mergingList\":[{\"name\":2},{\"name\":1},{\"name\":4},{\"name\":3}]}",
     "{\"mergingList\":[{\"name\":2},{\"name\":1,\"other\":\"a\"},{\"name\":9},{\"name\":4},"
     "{\"name\":3}]}"},
    {"set elements order in a int list with server-only items 3", SMP, &t_item,
     "{\"mergingIntList\":[1,2,7,9,8,3,4]}", "{\"$setElementOrder/mergingIntList\":[2,1,4,3]}",
     "{\"mergingIntList\":[2,1,7,9,8,4,3]}"},
    {"set element order for a merging list with duplicate", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1},{\"name\":2,\"value\":\"dup1\"},{\"name\":3},"
     "{\"name\":2,\"value\":\"dup2\"},{\"name\":4}]}",
     "{\"$setElementOrder/mergingList\":[{\"name\":2},{\"name\":1},{\"name\":4},{\"name\":3},"
     "{\"name\":2}]}",
     "{\"mergingList\":[{\"name\":2,\"value\":\"dup1\"},{\"name\":2,\"value\":\"dup2\"},"
     "{\"name\":1},{\"name\":4},{\"name\":3}]}"},
    {"add and delete an item in a int list and preserve order", SMP, &t_item,
     "{\"mergingIntList\":[1,2,3]}",
     "{\"$setElementOrder/mergingIntList\":[4,2,1],\"mergingIntList\":[4],"
     "\"$deleteFromPrimitiveList/mergingIntList\":[3]}",
     "{\"mergingIntList\":[4,2,1]}"},
    {"$setElementOrder contains an item not in the list", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1},{\"name\":3}]}",
     "{\"$setElementOrder/mergingList\":[{\"name\":3},{\"name\":2},{\"name\":1}],"
     "\"mergingList\":[{\"name\":3,\"value\":3},{\"name\":1,\"value\":1}]}",
     "{\"mergingList\":[{\"name\":3,\"value\":3},{\"name\":1,\"value\":1}]}"},
    {"order in $setElementOrder and the int patch list must match", SMP, &t_item,
     "{\"mergingIntList\":[1,3,2]}",
     "{\"$setElementOrder/mergingIntList\":[1,2,3],\"mergingIntList\":[3,1]}", NULL, -ZK_EPARSE,
     "does not match"},
    {"$deleteFromPrimitiveList on a list without merge strategy", SMP, &t_item,
     "{\"nonMergingIntList\":[1,2,3]}", "{\"$deleteFromPrimitiveList/nonMergingIntList\":[2]}",
     "{\"nonMergingIntList\":[1,3]}"},
    {"retainKeys map should clear defaulted field (discriminated union)", SMP, &t_item,
     "{\"retainKeysMap\":{\"name\":\"type1\",\"value\":\"foo\"}}",
     "{\"retainKeysMap\":{\"$retainKeys\":[\"name\",\"other\"],\"name\":\"type2\",\"other\":\"bar\"}}",
     "{\"retainKeysMap\":{\"name\":\"type2\",\"other\":\"bar\"}}"},
    {"retainKeys map deletes a field and clears a field", SMP, &t_item,
     "{\"retainKeysMap\":{\"name\":\"foo\",\"value\":\"bar\",\"other\":\"a\"}}",
     "{\"retainKeysMap\":{\"$retainKeys\":[\"name\"],\"value\":null}}",
     "{\"retainKeysMap\":{\"name\":\"foo\"}}"},
    {"two patch items with one key make one new item", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1}]}",
     "{\"mergingList\":[{\"name\":5,\"value\":1},{\"name\":5,\"other\":2}]}",
     "{\"mergingList\":[{\"name\":5,\"value\":1,\"other\":2},{\"name\":1}]}"},
    {"$patch: delete needs the merge key", SMP, &t_item, "{\"mergingList\":[{\"name\":1}]}",
     "{\"mergingList\":[{\"$patch\":\"delete\"}]}", NULL, -ZK_EINVAL,
     "does not contain a string, number or boolean merge key name"},
    {"$setElementOrder with $patch: replace in the list", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1},{\"name\":2}]}",
     "{\"$setElementOrder/mergingList\":[{\"name\":3},{\"name\":1}],"
     "\"mergingList\":[{\"$patch\":\"replace\"},{\"name\":3},{\"name\":1,\"value\":1}]}",
     "{\"mergingList\":[{\"name\":3},{\"name\":1,\"value\":1}]}"},
    {"$patch: delete of an absent map leaves nothing", SMP, &t_item, "{}",
     "{\"simpleMap\":{\"$patch\":\"delete\",\"a\":\"1\"}}", "{}"},
    {"live items without the merge key", SMP, &t_item,
     "{\"mergingList\":[{\"name\":1},{\"value\":1}]}", "{\"mergingList\":[{\"name\":2}]}",
     NULL, -ZK_EINVAL, "a live item {\"value\":1} does not contain declared merge key: name"},
    {"add key and delete all keys from map", SMP, &t_item, "{\"name\":1,\"value\":1}",
     "{\"other\":\"a\",\"$patch\":\"replace\"}", "{\"other\":\"a\"}"},
};

static void test_strategic_apimachinery(void **state)
{
    run(apimachinery_cases, ZK_ARRAY_LEN(apimachinery_cases));
}

/* ---- zk_kube_patch_apply ----------------------------------------------- */

static const pcase apply_cases[] = {
    {"json patch", APPLY, NULL, "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2}]",
     "{\"a\":2}", 0, NULL, "application/json-patch+json"},
    {"merge patch with parameters", APPLY, NULL, "{\"a\":1}", "{\"b\":2}", "{\"a\":1,\"b\":2}", 0,
     NULL, "Application/Merge-Patch+JSON; charset=utf-8"},
    {"strategic", APPLY, &t_pod, "{\"metadata\":{\"finalizers\":[\"a\"]}}",
     "{\"metadata\":{\"finalizers\":[\"b\"]}}", "{\"metadata\":{\"finalizers\":[\"b\",\"a\"]}}", 0,
     NULL, "application/strategic-merge-patch+json"},
    {"strategic without schema", APPLY, NULL, "{}", "{}", NULL, -ZK_EUNSUPPORTED,
     "strategic merge patch is not supported", "application/strategic-merge-patch+json"},
    {"apply patch is not ours", APPLY, NULL, "{}", "a: 1", NULL, -ZK_EUNSUPPORTED,
     "unknown format", "application/apply-patch+yaml"},
    {"plain json", APPLY, NULL, "{}", "{}", NULL, -ZK_EUNSUPPORTED, NULL, "application/json"},
    {"no content type", APPLY, NULL, "{}", "{}", NULL, -ZK_EUNSUPPORTED, NULL, NULL},
    {"bad json", APPLY, NULL, "{}", "{\"a\":", NULL, -ZK_EPARSE, "decode patch: invalid JSON",
     "application/merge-patch+json"},
    {"merge patch must be an object", APPLY, NULL, "{}", "[1]", NULL, -ZK_EPARSE,
     "must be a JSON object", "application/merge-patch+json"},
    {"json patch error keeps its code", APPLY, NULL, "{}",
     "[{\"op\":\"remove\",\"path\":\"/x\"}]", NULL, -ZK_EINVAL, "remove /x",
     "application/json-patch+json"},
};

static void test_apply(void **state)
{
    run(apply_cases, ZK_ARRAY_LEN(apply_cases));

    zk_autojson json_t *doc = load("{}");
    size_t n = ZK_KUBE_PATCH_MAX_BYTES + 1;
    zk_autofree char *big = zk_xmalloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    json_t *out = NULL;
    zk_err err = {0};
    assert_int_equal(zk_kube_patch_apply("application/merge-patch+json", doc, big, n, NULL, &out,
                                         &err), -ZK_ETOOBIG);
    assert_null(out);
    /* NULL err is allowed and keeps the code. */
    assert_int_equal(zk_kube_patch_apply("text/plain", doc, "{}", 2, NULL, &out, NULL),
                     -ZK_EUNSUPPORTED);
}

static void test_type_of(void **state)
{
    assert_int_equal(zk_kube_patch_type_of("application/json-patch+json"), ZK_KUBE_PATCH_JSON);
    assert_int_equal(zk_kube_patch_type_of(" application/merge-patch+json ;x=y"),
                     ZK_KUBE_PATCH_MERGE);
    assert_int_equal(zk_kube_patch_type_of("APPLICATION/STRATEGIC-MERGE-PATCH+JSON"),
                     ZK_KUBE_PATCH_STRATEGIC);
    assert_int_equal(zk_kube_patch_type_of("application/json-patch+jsonx"),
                     ZK_KUBE_PATCH_UNKNOWN);
    assert_int_equal(zk_kube_patch_type_of(""), ZK_KUBE_PATCH_UNKNOWN);
    assert_int_equal(zk_kube_patch_type_of(NULL), ZK_KUBE_PATCH_UNKNOWN);
}

/* The patch between two documents gives back the second, and says only
 * what changed. */
static void test_diff(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"{\"a\":1,\"b\":{\"c\":[1,2],\"d\":\"x\"}}", "{\"a\":1,\"b\":{\"c\":[1,3],\"e\":null}}"},
        {"{\"m\":{\"policy.zke.io/x\":\"1\",\"a~b\":2}}", "{\"m\":{\"policy.zke.io/x\":\"2\"}}"},
        {"{\"l\":[1,2,3]}", "{\"l\":[1]}"},
        {"{\"o\":{}}", "{\"o\":[],\"n\":{\"deep\":{\"er\":true}}}"},
        {"[1,{\"a\":2}]", "[1,{\"a\":3}]"},
        {"{}", "{}"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        json_t *a = json_loads(pairs[i][0], 0, NULL), *b = json_loads(pairs[i][1], 0, NULL);
        json_t *ops = zk_kube_patch_diff(a, b), *out = NULL;
        zk_err err = {0};
        assert_int_equal(zk_kube_patch_json(a, ops, &out, &err), 0);
        assert_true(json_equal(out, b));
        json_decref(out);
        json_decref(ops);
        json_decref(a);
        json_decref(b);
    }
    /* escaped keys; unchanged members are not named */
    json_t *a = json_loads(pairs[1][0], 0, NULL), *b = json_loads(pairs[1][1], 0, NULL);
    json_t *ops = zk_kube_patch_diff(a, b);
    char *text = json_dumps(ops, JSON_COMPACT);
    assert_string_equal(text, "[{\"op\":\"remove\",\"path\":\"/m/a~0b\"},{\"op\":\"replace\","
                              "\"path\":\"/m/policy.zke.io~1x\",\"value\":\"2\"}]");
    free(text);
    json_decref(ops);
    json_decref(a);
    json_decref(b);
    ops = zk_kube_patch_diff(json_true(), json_true());
    assert_int_equal(json_array_size(ops), 0);
    json_decref(ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_json_patch),
        cmocka_unit_test(test_json_patch_bounds),
        cmocka_unit_test(test_merge_patch),
        cmocka_unit_test(test_strategic),
        cmocka_unit_test(test_strategic_kubectl),
        cmocka_unit_test(test_strategic_apimachinery),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_type_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
