#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/openapi_pb.h"

/* ---- a small protobuf reader, independent of the encoder ---------------- */

typedef struct pbmsg {
    const uint8_t *p;
    size_t len;
} pbmsg;

typedef struct pbfield {
    unsigned num, wire;
    uint64_t v;          /* varint / fixed64 value */
    pbmsg data;          /* length-delimited content */
} pbfield;

static bool rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return false;
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Walk every field of m; returns false on malformed input. With want != 0,
 * stops at the nth field numbered want and stores it in out. */
static bool pb_walk(pbmsg m, unsigned want, int nth, pbfield *out, int *count)
{
    const uint8_t *p = m.p, *end = m.p + m.len;
    int seen = 0;
    while (p < end) {
        uint64_t key;
        pbfield f = {0};
        if (!rd_varint(&p, end, &key))
            return false;
        f.num = (unsigned)(key >> 3);
        f.wire = (unsigned)(key & 7);
        if (f.num == 0)
            return false;
        switch (f.wire) {
        case 0:
            if (!rd_varint(&p, end, &f.v))
                return false;
            break;
        case 1:
            if (end - p < 8)
                return false;
            for (int i = 0; i < 8; i++)
                f.v |= (uint64_t)p[i] << (8 * i);
            p += 8;
            break;
        case 2: {
            uint64_t n;
            if (!rd_varint(&p, end, &n) || n > (uint64_t)(end - p))
                return false;
            f.data.p = p;
            f.data.len = (size_t)n;
            p += n;
            break;
        }
        default:
            return false;
        }
        if (want && f.num == want) {
            if (seen == nth && out) {
                *out = f;
                if (!count)
                    return true;
            }
            seen++;
        }
    }
    if (count)
        *count = seen;
    return true;
}

/* The nth field `num` of m; fails the test when absent. */
static pbfield get(pbmsg m, unsigned num, int nth)
{
    pbfield f = {0};
    int count = 0;
    assert_true(pb_walk(m, num, nth, &f, &count));
    if (nth >= count)
        fail_msg("field %u #%d not found (%d present)", num, nth, count);
    return f;
}

static pbmsg sub(pbmsg m, unsigned num)
{
    pbfield f = get(m, num, 0);
    assert_int_equal(f.wire, 2);
    return f.data;
}

static int count(pbmsg m, unsigned num)
{
    int n = 0;
    assert_true(pb_walk(m, num, 0, NULL, &n));
    return n;
}

static void assert_str(pbmsg m, unsigned num, int nth, const char *want)
{
    pbfield f = get(m, num, nth);
    assert_int_equal(f.wire, 2);
    if (f.data.len != strlen(want) || memcmp(f.data.p, want, f.data.len) != 0)
        fail_msg("field %u: got \"%.*s\", want \"%s\"", num, (int)f.data.len, f.data.p, want);
}

static void assert_varint(pbmsg m, unsigned num, uint64_t want)
{
    pbfield f = get(m, num, 0);
    assert_int_equal(f.wire, 0);
    assert_int_equal(f.v, want);
}

static void assert_double(pbmsg m, unsigned num, double want)
{
    pbfield f = get(m, num, 0);
    assert_int_equal(f.wire, 1);
    double d;
    memcpy(&d, &f.v, sizeof(d));
    assert_true(d == want);
}

/* The entry of a repeated Named* field (num) whose name is `name`; returns
 * its value (field 2). */
static pbmsg named(pbmsg m, unsigned num, const char *name)
{
    int n = count(m, num);
    for (int i = 0; i < n; i++) {
        pbmsg pair = get(m, num, i).data;
        pbfield k = get(pair, 1, 0);
        if (k.data.len == strlen(name) && memcmp(k.data.p, name, k.data.len) == 0) {
            pbfield v = {0};
            int c = 0;
            assert_true(pb_walk(pair, 2, 0, &v, &c));
            if (c == 0)
                return (pbmsg){NULL, 0}; /* an empty value message is omitted? never here */
            return v.data;
        }
    }
    fail_msg("no named entry \"%s\" in field %u", name, num);
    return (pbmsg){NULL, 0};
}

/* Any.yaml of the vendor extension `name` in field num. */
static void assert_ext_yaml(pbmsg m, unsigned num, const char *name, const char *yaml)
{
    pbmsg any = named(m, num, name);
    assert_str(any, 2, 0, yaml);
}

/* Recursively check that every length-delimited field that parses as a
 * message does so to the end; a crude but independent well-formedness walk
 * of the whole document. */
static void walk_all(pbmsg m, int depth)
{
    assert_true(depth < 64);
    assert_true(pb_walk(m, 0, 0, NULL, NULL));
}

/* ---- the document ------------------------------------------------------- */

static const char swagger[] =
    "{"
    "\"swagger\": \"2.0\","
    "\"info\": {\"title\": \"Kubernetes\", \"version\": \"v1.20.0\"},"
    "\"paths\": {"
    "  \"/apis/apps/v1/namespaces/{namespace}/deployments/{name}\": {"
    "    \"parameters\": ["
    "      {\"$ref\": \"#/parameters/name-deployment\"},"
    "      {\"name\": \"namespace\", \"in\": \"path\", \"required\": true, \"type\": \"string\","
    "       \"uniqueItems\": true, \"description\": \"object name and auth scope\"}"
    "    ],"
    "    \"patch\": {"
    "      \"consumes\": [\"application/json-patch+json\", \"application/merge-patch+json\","
    "                     \"application/strategic-merge-patch+json\"],"
    "      \"produces\": [\"application/json\", \"application/yaml\"],"
    "      \"schemes\": [\"https\"],"
    "      \"tags\": [\"apps_v1\"],"
    "      \"operationId\": \"patchAppsV1NamespacedDeployment\","
    "      \"description\": \"partially update the specified Deployment\","
    "      \"parameters\": ["
    "        {\"name\": \"body\", \"in\": \"body\", \"required\": true,"
    "         \"schema\": {\"$ref\": \"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch\"}},"
    "        {\"name\": \"dryRun\", \"in\": \"query\", \"type\": \"string\", \"uniqueItems\": true},"
    "        {\"name\": \"force\", \"in\": \"query\", \"type\": \"boolean\"}"
    "      ],"
    "      \"responses\": {"
    "        \"200\": {\"description\": \"OK\","
    "                \"schema\": {\"$ref\": \"#/definitions/io.k8s.api.apps.v1.Deployment\"}},"
    "        \"401\": {\"description\": \"Unauthorized\"}"
    "      },"
    "      \"x-kubernetes-action\": \"patch\","
    "      \"x-kubernetes-group-version-kind\": {\"group\": \"apps\", \"kind\": \"Deployment\","
    "                                            \"version\": \"v1\"}"
    "    }"
    "  }"
    "},"
    "\"definitions\": {"
    "  \"io.k8s.api.apps.v1.Deployment\": {"
    "    \"description\": \"Deployment enables declarative updates for Pods and ReplicaSets.\","
    "    \"properties\": {"
    "      \"apiVersion\": {\"description\": \"APIVersion defines the versioned schema of this"
    " representation of an object. Servers should convert recognized schemas to the latest"
    " internal value, and may reject unrecognized values.\", \"type\": \"string\"},"
    "      \"kind\": {\"type\": \"string\"},"
    "      \"metadata\": {\"$ref\": \"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta\"},"
    "      \"spec\": {\"$ref\": \"#/definitions/io.k8s.api.apps.v1.DeploymentSpec\"}"
    "    },"
    "    \"type\": \"object\","
    "    \"x-kubernetes-group-version-kind\": [{\"group\": \"apps\", \"kind\": \"Deployment\","
    "                                         \"version\": \"v1\"}]"
    "  },"
    "  \"io.k8s.api.apps.v1.DeploymentSpec\": {"
    "    \"properties\": {"
    "      \"replicas\": {\"format\": \"int32\", \"type\": \"integer\", \"minimum\": 0,"
    "                     \"maximum\": 1000.5},"
    "      \"strategy\": {\"type\": \"string\", \"enum\": [\"Recreate\", \"RollingUpdate\"],"
    "                     \"maxLength\": 32},"
    "      \"containers\": {\"type\": \"array\","
    "        \"items\": {\"$ref\": \"#/definitions/io.k8s.api.core.v1.Container\"},"
    "        \"x-kubernetes-patch-merge-key\": \"name\","
    "        \"x-kubernetes-patch-strategy\": \"merge\","
    "        \"x-kubernetes-list-map-keys\": [\"name\"]},"
    "      \"labels\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"string\"}},"
    "      \"closed\": {\"type\": \"object\", \"additionalProperties\": false}"
    "    },"
    "    \"required\": [\"selector\", \"template\"],"
    "    \"type\": \"object\""
    "  }"
    "},"
    "\"securityDefinitions\": {\"BearerToken\": {\"type\": \"apiKey\", \"name\": \"authorization\","
    "                          \"in\": \"header\", \"description\": \"Bearer Token authentication\"}},"
    "\"security\": [{\"BearerToken\": []}],"
    "\"tags\": [{\"name\": \"apps_v1\", \"description\": \"apps\"}],"
    "\"x-zke-extra\": 1"
    "}";

static pbmsg encode_doc(const char *text, zk_buf *out)
{
    zk_autojson json_t *doc = NULL;
    zk_err err = {0};
    assert_int_equal(zk_json_decode(text, strlen(text), &doc, &err), 0);
    assert_int_equal(zk_kube_openapi_pb_encode(doc, out, &err), 0);
    pbmsg m = {(const uint8_t *)out->data, out->len};
    walk_all(m, 0);
    return m;
}

static void test_document_top_level(void **state)
{
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    pbmsg doc = encode_doc(swagger, &out);
    assert_str(doc, 1, 0, "2.0");
    pbmsg info = sub(doc, 2);
    assert_str(info, 1, 0, "Kubernetes");
    assert_str(info, 2, 0, "v1.20.0");
    /* Fields come in field-number order, as proto.Marshal writes them. */
    unsigned last = 0;
    const uint8_t *p = doc.p, *end = doc.p + doc.len;
    while (p < end) {
        uint64_t key = 0, n = 0;
        assert_true(rd_varint(&p, end, &key));
        assert_true((unsigned)(key >> 3) >= last);
        last = (unsigned)(key >> 3);
        assert_int_equal(key & 7, 2);
        assert_true(rd_varint(&p, end, &n));
        p += n;
    }
    assert_int_equal(last, 16);
    assert_ext_yaml(doc, 16, "x-zke-extra", "1\n");
}

static void test_paths_and_parameters(void **state)
{
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    pbmsg doc = encode_doc(swagger, &out);
    pbmsg paths = sub(doc, 8);
    assert_int_equal(count(paths, 2), 1);
    pbmsg item = named(paths, 2, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}");

    /* Path-level parameters: a $ref and a path parameter. */
    assert_int_equal(count(item, 9), 2);
    pbmsg ref = sub(get(item, 9, 0).data, 2);
    assert_str(ref, 1, 0, "#/parameters/name-deployment");
    pbmsg param = sub(get(item, 9, 1).data, 1);
    pbmsg nonbody = sub(param, 2);
    pbmsg pathp = sub(nonbody, 4);
    assert_varint(pathp, 1, 1);
    assert_str(pathp, 2, 0, "path");
    assert_str(pathp, 3, 0, "object name and auth scope");
    assert_str(pathp, 4, 0, "namespace");
    assert_str(pathp, 5, 0, "string");
    assert_varint(pathp, 19, 1);

    /* The PATCH operation. */
    pbmsg op = sub(item, 8);
    assert_int_equal(count(item, 2), 0); /* no GET here */
    assert_str(op, 1, 0, "apps_v1");
    assert_str(op, 3, 0, "partially update the specified Deployment");
    assert_str(op, 5, 0, "patchAppsV1NamespacedDeployment");
    assert_int_equal(count(op, 6), 2);
    assert_int_equal(count(op, 7), 3);
    assert_str(op, 7, 2, "application/strategic-merge-patch+json");
    assert_str(op, 10, 0, "https");

    assert_int_equal(count(op, 8), 3);
    pbmsg body = sub(sub(get(op, 8, 0).data, 1), 1);
    assert_str(body, 2, 0, "body");
    assert_str(body, 3, 0, "body");
    assert_varint(body, 4, 1);
    assert_str(sub(body, 5), 1, 0, "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");

    pbmsg query = sub(sub(sub(get(op, 8, 1).data, 1), 2), 3);
    assert_str(query, 2, 0, "query");
    assert_str(query, 4, 0, "dryRun");
    assert_str(query, 6, 0, "string");
    assert_varint(query, 20, 1);
    assert_int_equal(count(query, 1), 0); /* required: false is the default */

    pbmsg responses = sub(op, 9);
    assert_int_equal(count(responses, 1), 2);
    pbmsg ok = sub(named(responses, 1, "200"), 1);
    assert_str(ok, 1, 0, "OK");
    assert_str(sub(sub(ok, 2), 1), 1, 0, "#/definitions/io.k8s.api.apps.v1.Deployment");
    assert_str(sub(named(responses, 1, "401"), 1), 1, 0, "Unauthorized");

    assert_int_equal(count(op, 13), 2);
    assert_ext_yaml(op, 13, "x-kubernetes-action", "patch\n");
    assert_ext_yaml(op, 13, "x-kubernetes-group-version-kind",
                    "group: apps\nkind: Deployment\nversion: v1\n");
}

static void test_definitions(void **state)
{
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    pbmsg doc = encode_doc(swagger, &out);
    pbmsg defs = sub(doc, 9);
    assert_int_equal(count(defs, 1), 2);

    pbmsg dep = named(defs, 1, "io.k8s.api.apps.v1.Deployment");
    assert_str(dep, 4, 0, "Deployment enables declarative updates for Pods and ReplicaSets.");
    assert_str(sub(dep, 22), 1, 0, "object");
    pbmsg props = sub(dep, 25);
    assert_int_equal(count(props, 1), 4);
    pbmsg api_version = named(props, 1, "apiVersion");
    assert_str(sub(api_version, 22), 1, 0, "string");
    assert_true(get(api_version, 4, 0).data.len > 127); /* a two-byte length */
    assert_str(named(props, 1, "metadata"), 1, 0,
               "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    assert_ext_yaml(dep, 31, "x-kubernetes-group-version-kind",
                    "- group: apps\n  kind: Deployment\n  version: v1\n");

    pbmsg spec = named(defs, 1, "io.k8s.api.apps.v1.DeploymentSpec");
    assert_int_equal(count(spec, 19), 2);
    assert_str(spec, 19, 0, "selector");
    assert_str(spec, 19, 1, "template");
    pbmsg sprops = sub(spec, 25);

    pbmsg replicas = named(sprops, 1, "replicas");
    assert_str(replicas, 2, 0, "int32");
    assert_int_equal(count(replicas, 9), 0); /* minimum 0 is the proto3 default */
    assert_double(replicas, 7, 1000.5);

    pbmsg strategy = named(sprops, 1, "strategy");
    assert_int_equal(count(strategy, 20), 2);
    assert_str(get(strategy, 20, 0).data, 2, 0, "Recreate\n");
    assert_str(get(strategy, 20, 1).data, 2, 0, "RollingUpdate\n");
    assert_varint(strategy, 11, 32);

    pbmsg containers = named(sprops, 1, "containers");
    assert_str(sub(sub(containers, 23), 1), 1, 0, "#/definitions/io.k8s.api.core.v1.Container");
    assert_ext_yaml(containers, 31, "x-kubernetes-patch-merge-key", "name\n");
    assert_ext_yaml(containers, 31, "x-kubernetes-patch-strategy", "merge\n");
    assert_ext_yaml(containers, 31, "x-kubernetes-list-map-keys", "- name\n");

    pbmsg labels = named(sprops, 1, "labels");
    assert_str(sub(sub(sub(labels, 21), 1), 22), 1, 0, "string");

    /* additionalProperties: false is a oneof member and is written. */
    pbmsg closed = sub(named(sprops, 1, "closed"), 21);
    assert_varint(closed, 2, 0);
}

static void test_security(void **state)
{
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    pbmsg doc = encode_doc(swagger, &out);
    pbmsg apikey = sub(named(sub(doc, 13), 1, "BearerToken"), 2);
    assert_str(apikey, 1, 0, "apiKey");
    assert_str(apikey, 2, 0, "authorization");
    assert_str(apikey, 3, 0, "header");
    assert_str(apikey, 4, 0, "Bearer Token authentication");

    pbmsg req = get(doc, 12, 0).data;
    pbmsg pair = get(req, 1, 0).data;
    assert_str(pair, 1, 0, "BearerToken");
    assert_int_equal(get(pair, 2, 0).data.len, 0); /* empty StringArray */

    pbmsg tag = get(doc, 14, 0).data;
    assert_str(tag, 1, 0, "apps_v1");
}

static void check_yaml(const char *json, const char *want)
{
    zk_autojson json_t *v = NULL;
    zk_err err = {0};
    assert_int_equal(zk_json_decode(json, strlen(json), &v, &err), 0);
    zk_autobuf zk_buf b = ZK_BUF_INIT(4096);
    assert_int_equal(zk_kube_openapi_pb_yaml(v, &b), 0);
    if (strcmp(b.data, want) != 0)
        fail_msg("yaml of %s:\n got: [%s]\nwant: [%s]", json, b.data, want);
}

static void test_yaml_text(void **state)
{
    static const struct { const char *json, *yaml; } cases[] = {
        { "\"merge\"", "merge\n" },
        { "true", "true\n" },
        { "null", "null\n" },
        { "42", "42\n" },
        { "-7", "-7\n" },
        { "1.5", "1.5\n" },
        { "2.0", "2.0\n" },
        { "\"\"", "\"\"\n" },
        { "\"true\"", "\"true\"\n" },
        { "\"yes\"", "\"yes\"\n" },
        { "\"Off\"", "\"Off\"\n" },
        { "\"null\"", "\"null\"\n" },
        { "\"~\"", "\"~\"\n" },
        { "\"123\"", "\"123\"\n" },
        { "\"0x1F\"", "\"0x1F\"\n" },
        { "\"1e3\"", "\"1e3\"\n" },
        { "\"1_000\"", "\"1_000\"\n" },
        { "\"2001-12-14\"", "\"2001-12-14\"\n" },
        { "\"v1\"", "v1\n" },
        { "\"1.2.3\"", "1.2.3\n" },
        { "\"a: b\"", "'a: b'\n" },
        { "\"it's: x\"", "'it''s: x'\n" },
        { "\"#comment\"", "'#comment'\n" },
        { "\"- item\"", "'- item'\n" },
        { "\" lead\"", "' lead'\n" },
        { "\"a #b\"", "'a #b'\n" },
        { "\"a#b\"", "a#b\n" },
        { "\"http://x/y\"", "http://x/y\n" },
        { "\"two\\nlines\"", "\"two\\nlines\"\n" },
        { "\"tab\\there\"", "\"tab\\there\"\n" },
        { "\"q\\\"uote\\\\\"", "q\"uote\\\n" },
        { "\"caf\\u00e9\"", "caf\xc3\xa9\n" },
        { "{}", "{}\n" },
        { "[]", "[]\n" },
        { "[\"a\", \"b\"]", "- a\n- b\n" },
        { "{\"k\": \"v\", \"num\": 1}", "k: v\nnum: 1\n" },
        { "{\"y\": 1}", "\"y\": 1\n" }, /* YAML 1.1 would read a plain y as true */
        { "[{\"group\": \"\", \"kind\": \"Pod\", \"version\": \"v1\"}]",
          "- group: \"\"\n  kind: Pod\n  version: v1\n" },
        { "{\"a\": {\"b\": [1, {\"c\": \"d\", \"e\": []}]}}",
          "a:\n    b:\n        - 1\n        - c: d\n          e: []\n" },
        { "[[1, 2], [3]]", "- - 1\n  - 2\n- - 3\n" },
        { "[{\"a\": {\"b\": 1}, \"c\": [2]}]", "- a:\n    b: 1\n  c:\n    - 2\n" },
        { "{\"true\": 1, \"a b\": 2}", "\"true\": 1\na b: 2\n" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++)
        check_yaml(cases[i].json, cases[i].yaml);
}

static void test_errors_and_bounds(void **state)
{
    zk_err err = {0};
    zk_autojson json_t *arr = json_array();
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    assert_int_equal(zk_kube_openapi_pb_encode(arr, &out, &err), -ZK_EINVAL);

    zk_autojson json_t *doc = NULL;
    assert_int_equal(zk_json_decode(swagger, strlen(swagger), &doc, &err), 0);
    zk_autobuf zk_buf small = ZK_BUF_INIT(200);
    assert_int_equal(zk_kube_openapi_pb_encode(doc, &small, &err), -ZK_ETOOBIG);
    assert_non_null(strstr(err.msg, "exceeds"));

    /* Wrong types and unknown keys are skipped, not fatal. */
    static const char junk[] =
        "{\"swagger\": 2, \"info\": 5, \"paths\": {\"/a\": {\"get\": {\"parameters\": [1, {},"
        " {\"in\": \"cookie\"}, {\"$ref\": 3}], \"responses\": {\"999x\": {}, \"default\": 7}}},"
        " \"x-y\": [1]}, \"definitions\": {\"x\": 3, \"y\": {\"type\": 5, \"items\": [{}, 2],"
        " \"additionalProperties\": \"no\", \"enum\": 3, \"required\": [1, null, \"a\"]}},"
        " \"securityDefinitions\": {\"a\": {\"type\": \"oauth2\", \"flow\": \"nope\"}},"
        " \"unknown\": {\"deep\": true}}";
    zk_autobuf zk_buf j = ZK_BUF_INIT(1 << 16);
    pbmsg m = encode_doc(junk, &j);
    assert_str(m, 1, 0, "2");
    assert_int_equal(count(m, 2), 0);

    /* Deep schema nesting hits the depth bound instead of the stack. */
    zk_autobuf zk_buf deep = ZK_BUF_INIT(1 << 20);
    zk_buf_puts(&deep, "{\"definitions\": {\"d\": ");
    for (int i = 0; i < 120; i++)
        zk_buf_puts(&deep, "{\"items\": ");
    zk_buf_puts(&deep, "{}");
    for (int i = 0; i < 120; i++)
        zk_buf_puts(&deep, "}");
    zk_buf_puts(&deep, "}}");
    zk_autojson json_t *dd = NULL;
    assert_int_equal(zk_json_decode(deep.data, deep.len, &dd, &err), 0);
    zk_autobuf zk_buf dout = ZK_BUF_INIT(1 << 20);
    assert_int_equal(zk_kube_openapi_pb_encode(dd, &dout, &err), -ZK_ETOOBIG);
}

/* Second opinion from protoc, when Debian's protobuf-compiler is there. */
static void test_protoc_decode_raw(void **state)
{
    if (system("command -v protoc >/dev/null 2>&1") != 0) {
        printf("skipped: protoc not installed (Debian package protobuf-compiler)\n");
        skip();
    }
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    encode_doc(swagger, &out);
    char dir[] = "/tmp/zke-openapi-pb-XXXXXX";
    assert_non_null(mkdtemp(dir));
    zk_autofree char *file = zk_xasprintf("%s/doc.pb", dir);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(out.data, 1, out.len, f), out.len);
    fclose(f);
    zk_autofree char *cmd = zk_xasprintf("protoc --decode_raw < %s 2>&1", file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    zk_autobuf zk_buf text = ZK_BUF_INIT(1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        zk_buf_append(&text, chunk, n);
    int rc = pclose(p);
    unlink(file);
    rmdir(dir);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text.data, "1: \"2.0\""));
    assert_non_null(strstr(text.data, "\"x-kubernetes-group-version-kind\""));
    assert_non_null(strstr(text.data, "\"- group: apps\\n  kind: Deployment\\n  version: v1\\n\""));
    assert_non_null(strstr(text.data, "\"patchAppsV1NamespacedDeployment\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_top_level),
        cmocka_unit_test(test_paths_and_parameters),
        cmocka_unit_test(test_definitions),
        cmocka_unit_test(test_security),
        cmocka_unit_test(test_yaml_text),
        cmocka_unit_test(test_errors_and_bounds),
        cmocka_unit_test(test_protoc_decode_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
