#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/structural.h"

#define MAX_EXPECT 6

static json_t *parse(const char *text)
{
    json_t *j = NULL;
    zk_err err = {0};
    if (zk_json_decode(text, strlen(text), &j, &err) != 0)
        fail_msg("bad JSON in test (%s): %s", err.msg, text);
    return j;
}

/* errs must hold exactly the expected "field: message" lines, in any order. */
static void expect_errors(const char *name, const zk_field_errors *errs, const char *const *want)
{
    size_t nwant = 0;
    while (nwant < MAX_EXPECT && want[nwant])
        nwant++;
    bool used[ZK_FIELD_ERRORS_MAX] = {false};
    bool ok = errs->n == nwant && errs->dropped == 0;
    for (size_t w = 0; ok && w < nwant; w++) {
        bool found = false;
        for (size_t i = 0; i < errs->n && !found; i++) {
            zk_autofree char *line = zk_xasprintf("%s: %s", errs->items[i].field,
                                                  errs->items[i].message);
            if (!used[i] && strcmp(line, want[w]) == 0)
                found = used[i] = true;
        }
        ok = found;
    }
    if (!ok) {
        fprintf(stderr, "case %s: got %zu error(s):\n", name, errs->n);
        for (size_t i = 0; i < errs->n; i++)
            fprintf(stderr, "  [%s] %s: %s\n", errs->items[i].reason, errs->items[i].field,
                    errs->items[i].message);
        fprintf(stderr, "want %zu:\n", nwant);
        for (size_t w = 0; w < nwant; w++)
            fprintf(stderr, "  %s\n", want[w]);
        fail_msg("case %s: errors differ", name);
    }
}

/* ---- validate -------------------------------------------------------------- */

typedef struct vcase {
    const char *name;
    const char *spec_schema;   /* the schema of .spec; wrapped into a resource */
    const char *spec;          /* the value of .spec */
    const char *want[MAX_EXPECT];
} vcase;

static const vcase validate_cases[] = {
    { "type mismatch",
      "{\"type\":\"object\",\"properties\":{\"replicas\":{\"type\":\"integer\"}}}",
      "{\"replicas\":\"three\"}",
      { "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"" } },
    { "integer accepts an integral real, number accepts an integer",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"number\"}}}",
      "{\"a\":3.0,\"b\":4}", { NULL } },
    { "number rejects a string, boolean rejects a number",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"boolean\"}}}",
      "{\"a\":\"1\",\"b\":1.5}",
      { "spec.a: Invalid value: \"string\": spec.a in body must be of type number: \"string\"",
        "spec.b: Invalid value: \"number\": spec.b in body must be of type boolean: \"number\"" } },
    { "required",
      "{\"type\":\"object\",\"required\":[\"size\",\"mode\"],\"properties\":{\"size\":{\"type\":\"integer\"},"
      "\"mode\":{\"type\":\"string\"}}}",
      "{\"mode\":\"a\"}", { "spec.size: Required value" } },
    { "enum",
      "{\"type\":\"object\",\"properties\":{\"mode\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
      "\"n\":{\"type\":\"integer\",\"enum\":[1,2]}}}",
      "{\"mode\":\"x\",\"n\":3}",
      { "spec.mode: Unsupported value: \"x\": supported values: \"a\", \"b\"",
        "spec.n: Unsupported value: 3: supported values: \"1\", \"2\"" } },
    { "enum match with an integral real",
      "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\",\"enum\":[1,2]}}}",
      "{\"n\":2.0}", { NULL } },
    { "minimum and maximum",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":1},"
      "\"b\":{\"type\":\"integer\",\"maximum\":10,\"exclusiveMaximum\":true},"
      "\"c\":{\"type\":\"number\",\"minimum\":0.5,\"exclusiveMinimum\":true},"
      "\"d\":{\"type\":\"integer\",\"maximum\":1000000},\"e\":{\"type\":\"number\",\"maximum\":1000000},"
      "\"f\":{\"type\":\"number\",\"minimum\":0.0001}}}",
      "{\"a\":0,\"b\":10,\"c\":0.5,\"d\":1000001,\"e\":1000000.5,\"f\":0.00001}",
      { "spec.a: Invalid value: 0: spec.a in body should be greater than or equal to 1",
        "spec.b: Invalid value: 10: spec.b in body should be less than 10",
        "spec.c: Invalid value: 0.5: spec.c in body should be greater than 0.5",
        "spec.d: Invalid value: 1000001: spec.d in body should be less than or equal to 1000000",
        "spec.e: Invalid value: 1.0000005e+06: spec.e in body should be less than or equal to 1e+06",
        "spec.f: Invalid value: 1e-05: spec.f in body should be greater than or equal to 0.0001" } },
    { "multipleOf",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\",\"multipleOf\":0.5},"
      "\"b\":{\"type\":\"integer\",\"multipleOf\":3}}}",
      "{\"a\":1.25,\"b\":9}",
      { "spec.a: Invalid value: 1.25: spec.a in body should be a multiple of 0.5" } },
    { "string lengths count characters",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":3},"
      "\"b\":{\"type\":\"string\",\"minLength\":2},\"c\":{\"type\":\"string\",\"maxLength\":2}}}",
      "{\"a\":\"abcd\",\"b\":\"x\",\"c\":\"\\u00e9\\u00e9\"}",
      { "spec.a: Too long: may not be more than 3 bytes",
        "spec.b: Invalid value: \"x\": spec.b in body should be at least 2 chars long" } },
    { "pattern",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"},"
      "\"b\":{\"type\":\"string\",\"pattern\":\"^\\\\d{3}-\\\\w+$\"}}}",
      "{\"a\":\"ABC\",\"b\":\"12-x\"}",
      { "spec.a: Invalid value: \"ABC\": spec.a in body should match '^[a-z]+$'",
        "spec.b: Invalid value: \"12-x\": spec.b in body should match '^\\d{3}-\\w+$'" } },
    { "ECMA patterns that translate",
      "{\"type\":\"object\",\"properties\":{"
      "\"a\":{\"type\":\"string\",\"pattern\":\"^[\\\\w.-]+$\"},"
      "\"b\":{\"type\":\"string\",\"pattern\":\"^(?:ab)+?c\\\\.d$\"},"
      "\"c\":{\"type\":\"string\",\"pattern\":\"^[^\\\\s\\\\]]+$\"},"
      "\"d\":{\"type\":\"string\",\"pattern\":\"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\"},"
      "\"e\":{\"type\":\"string\",\"pattern\":\"^\\\\x41\\\\u0042[\\\\^x]$\"}}}",
      "{\"a\":\"a.b-c_d\",\"b\":\"ababc.d\",\"c\":\"no-space\",\"d\":\"web-1\",\"e\":\"AB^\"}",
      { NULL } },
    { "ECMA patterns that do not match",
      "{\"type\":\"object\",\"properties\":{"
      "\"a\":{\"type\":\"string\",\"pattern\":\"^[\\\\w.-]+$\"},"
      "\"c\":{\"type\":\"string\",\"pattern\":\"^[^\\\\s\\\\]]+$\"}}}",
      "{\"a\":\"a b\",\"c\":\"x]y\"}",
      { "spec.a: Invalid value: \"a b\": spec.a in body should match '^[\\w.-]+$'",
        "spec.c: Invalid value: \"x]y\": spec.c in body should match '^[^\\s\\]]+$'" } },
    { "pattern without a POSIX form is an error, not a crash",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"^(?=x)\"}}}",
      "{\"a\":\"x\"}",
      { "spec.a: Invalid value: \"x\": spec.a in body: pattern '^(?=x)' cannot be evaluated: "
        "lookaround and named groups are not supported" } },
    { "items",
      "{\"type\":\"object\",\"properties\":{\"l\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,"
      "\"items\":{\"type\":\"string\"}},\"e\":{\"type\":\"array\",\"minItems\":1,"
      "\"items\":{\"type\":\"string\"}}}}",
      "{\"l\":[\"a\",2,\"c\"],\"e\":[]}",
      { "spec.l[1]: Invalid value: \"integer\": spec.l[1] in body must be of type string: \"integer\"",
        "spec.l: Too many: must have at most 2 items",
        "spec.e: Invalid value: 0: spec.e in body should have at least 1 items" } },
    { "uniqueItems",
      "{\"type\":\"object\",\"properties\":{\"l\":{\"type\":\"array\",\"uniqueItems\":true,"
      "\"items\":{\"type\":\"object\"}}}}",
      "{\"l\":[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]}",
      { "spec.l: Invalid value: \"\": spec.l in body shouldn't contain duplicates" } },
    { "nested objects in arrays",
      "{\"type\":\"object\",\"properties\":{\"containers\":{\"type\":\"array\",\"items\":{"
      "\"type\":\"object\",\"required\":[\"name\",\"image\"],\"properties\":{"
      "\"name\":{\"type\":\"string\"},\"image\":{\"type\":\"string\"},"
      "\"ports\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
      "\"port\":{\"type\":\"integer\",\"maximum\":65535}}}}}}}}}",
      "{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"ports\":[{\"port\":70000}]}]}",
      { "spec.containers[1].image: Required value",
        "spec.containers[1].ports[0].port: Invalid value: 70000: spec.containers[1].ports[0].port "
        "in body should be less than or equal to 65535" } },
    { "min and max properties",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"object\",\"minProperties\":1,"
      "\"additionalProperties\":{\"type\":\"string\"}},\"b\":{\"type\":\"object\",\"maxProperties\":1,"
      "\"additionalProperties\":{\"type\":\"string\"}}}}",
      "{\"a\":{},\"b\":{\"x\":\"1\",\"y\":\"2\"}}",
      { "spec.a: Invalid value: 0: spec.a in body should have at least 1 properties",
        "spec.b: Too many: must have at most 1 items" } },
    { "additionalProperties schema and false",
      "{\"type\":\"object\",\"properties\":{\"labels\":{\"type\":\"object\","
      "\"additionalProperties\":{\"type\":\"string\"}},\"closed\":{\"type\":\"object\","
      "\"properties\":{\"a\":{\"type\":\"string\"}},\"additionalProperties\":false}}}",
      "{\"labels\":{\"ok\":\"v\",\"bad\":1},\"closed\":{\"a\":\"x\",\"b\":\"y\"}}",
      { "spec.labels.bad: Invalid value: \"integer\": spec.labels.bad in body must be of type string: \"integer\"",
        "spec.closed: Invalid value: \"b\": spec.closed.b in body is a forbidden property" } },
    { "nullable",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"nullable\":true},"
      "\"b\":{\"type\":\"string\"}}}",
      "{\"a\":null,\"b\":null}",
      { "spec.b: Invalid value: \"null\": spec.b in body must be of type string: \"null\"" } },
    { "int-or-string",
      "{\"type\":\"object\",\"properties\":{\"p\":{\"x-kubernetes-int-or-string\":true},"
      "\"q\":{\"x-kubernetes-int-or-string\":true},\"r\":{\"x-kubernetes-int-or-string\":true,"
      "\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}],\"pattern\":\"^[0-9]+%$\"}}}",
      "{\"p\":8080,\"q\":true,\"r\":\"25%\"}",
      { "spec.q: Invalid value: \"boolean\": spec.q in body must be of type integer,string: \"boolean\"" } },
    { "preserve-unknown-fields takes anything",
      "{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true,\"properties\":{"
      "\"known\":{\"type\":\"integer\"}}}",
      "{\"anything\":{\"deep\":[1,\"x\",null]},\"known\":\"no\"}",
      { "spec.known: Invalid value: \"string\": spec.known in body must be of type integer: \"string\"" } },
    { "formats",
      "{\"type\":\"object\",\"properties\":{\"t\":{\"type\":\"string\",\"format\":\"date-time\"},"
      "\"t2\":{\"type\":\"string\",\"format\":\"date-time\"},\"b\":{\"type\":\"string\",\"format\":\"byte\"},"
      "\"b2\":{\"type\":\"string\",\"format\":\"byte\"},\"u\":{\"type\":\"string\",\"format\":\"uuid\"},"
      "\"ip\":{\"type\":\"string\",\"format\":\"ipv4\"},\"h\":{\"type\":\"string\",\"format\":\"hostname\"},"
      "\"d\":{\"type\":\"string\",\"format\":\"duration\"},\"i\":{\"type\":\"string\",\"format\":\"int32\"}}}",
      "{\"t\":\"2020-01-01T00:00:00Z\",\"t2\":\"yesterday\",\"b\":\"aGVsbG8=\",\"b2\":\"abc\","
      "\"u\":\"123e4567-e89b-12d3-a456-426614174000\",\"ip\":\"300.1.1.1\",\"h\":\"web-1.example.com\","
      "\"d\":\"1h30m\",\"i\":\"x\"}",
      { "spec.t2: Invalid value: \"yesterday\": spec.t2 in body must be of type date-time: \"yesterday\"",
        "spec.b2: Invalid value: \"abc\": spec.b2 in body must be of type byte: \"abc\"",
        "spec.ip: Invalid value: \"300.1.1.1\": spec.ip in body must be of type ipv4: \"300.1.1.1\"" } },
    { "int32 range",
      "{\"type\":\"object\",\"properties\":{\"r\":{\"type\":\"integer\",\"format\":\"int32\"}}}",
      "{\"r\":4294967296}",
      { "spec.r: Invalid value: \"\": Checked value must be of type integer with format int32 in spec.r" } },
    { "list-type set",
      "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"set\","
      "\"items\":{\"type\":\"string\"}}}}",
      "{\"tags\":[\"a\",\"b\",\"a\",\"a\",\"b\"]}",
      { "spec.tags[2]: Duplicate value: \"a\"", "spec.tags[4]: Duplicate value: \"b\"" } },
    { "list-type map",
      "{\"type\":\"object\",\"properties\":{\"ports\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\","
      "\"x-kubernetes-list-map-keys\":[\"name\",\"protocol\"],\"items\":{\"type\":\"object\",\"properties\":{"
      "\"name\":{\"type\":\"string\"},\"protocol\":{\"type\":\"string\"},\"port\":{\"type\":\"integer\"}}}}}}",
      "{\"ports\":[{\"name\":\"a\",\"protocol\":\"TCP\",\"port\":1},{\"name\":\"a\",\"protocol\":\"UDP\"},"
      "{\"protocol\":\"TCP\",\"name\":\"a\",\"port\":2}]}",
      { "spec.ports[2]: Duplicate value: {\"name\":\"a\",\"protocol\":\"TCP\"}" } },
    { "list-type map needs objects",
      "{\"type\":\"object\",\"properties\":{\"ports\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\","
      "\"x-kubernetes-list-map-keys\":[\"name\"],\"items\":{\"x-kubernetes-preserve-unknown-fields\":true}}}}",
      "{\"ports\":[{\"name\":\"a\"},3]}",
      { "spec.ports[1]: Invalid value: 3: must be an object for an array of list-type map" } },
    { "anyOf, oneOf, not",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"anyOf\":[{\"minimum\":10},"
      "{\"maximum\":0}]},\"o\":{\"type\":\"integer\",\"oneOf\":[{\"minimum\":0},{\"maximum\":5}]},"
      "\"n\":{\"type\":\"string\",\"not\":{\"enum\":[\"bad\"]}}}}",
      "{\"a\":5,\"o\":3,\"n\":\"bad\"}",
      { "spec.a: Invalid value: \"\": \"spec.a\" must validate at least one schema (anyOf)",
        "spec.a: Invalid value: 5: spec.a in body should be greater than or equal to 10",
        "spec.o: Invalid value: \"\": \"spec.o\" must validate one and only one schema (oneOf)",
        "spec.n: Invalid value: \"\": \"spec.n\" must not validate the schema (not)" } },
    { "allOf",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"allOf\":[{\"minLength\":2},"
      "{\"pattern\":\"^x\"}]}}}",
      "{\"a\":\"y\"}",
      { "spec.a: Invalid value: \"y\": spec.a in body should be at least 2 chars long",
        "spec.a: Invalid value: \"y\": spec.a in body should match '^x'" } },
    { "embedded resource needs kind and apiVersion",
      "{\"type\":\"object\",\"properties\":{\"template\":{\"type\":\"object\","
      "\"x-kubernetes-embedded-resource\":true,\"x-kubernetes-preserve-unknown-fields\":true}}}",
      "{\"template\":{\"apiVersion\":\"v1\",\"spec\":{}}}",
      { "spec.template.kind: Required value: must not be empty" } },
    { "a valid object",
      "{\"type\":\"object\",\"required\":[\"replicas\"],\"properties\":{\"replicas\":{\"type\":\"integer\","
      "\"minimum\":0},\"image\":{\"type\":\"string\",\"pattern\":\"^[a-z./:0-9-]+$\"},"
      "\"ports\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}}",
      "{\"replicas\":3,\"image\":\"nginx:1.25\",\"ports\":[80,443]}", { NULL } },
};

static void test_validate_table(void **state)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(validate_cases); i++) {
        const vcase *tc = &validate_cases[i];
        zk_autofree char *schema_text = zk_xasprintf(
            "{\"type\":\"object\",\"properties\":{\"apiVersion\":{\"type\":\"string\"},"
            "\"kind\":{\"type\":\"string\"},\"metadata\":{\"type\":\"object\"},\"spec\":%s}}",
            tc->spec_schema);
        zk_autofree char *obj_text = zk_xasprintf(
            "{\"apiVersion\":\"zke.io/v1\",\"kind\":\"Thing\",\"metadata\":{\"name\":\"t\"},"
            "\"spec\":%s}", tc->spec);
        zk_autojson json_t *schema = parse(schema_text);
        zk_autojson json_t *obj = parse(obj_text);
        zk_field_errors errs;
        zk_field_errors_init(&errs);
        int rc = zk_kube_structural_validate(schema, obj, &errs);
        expect_errors(tc->name, &errs, tc->want);
        assert_int_equal(rc, errs.n ? -ZK_EINVAL : 0);
        zk_field_errors_free(&errs);
    }
}

static void test_validate_depth_bound(void **state)
{
    /* A schema and object nested past the bound: an error, not a stack overflow. */
    zk_buf s = ZK_BUF_INIT(1 << 20), o = ZK_BUF_INIT(1 << 20);
    int n = ZK_KUBE_STRUCTURAL_MAX_DEPTH + 20;
    for (int i = 0; i < n; i++) {
        zk_buf_puts(&s, "{\"type\":\"object\",\"properties\":{\"a\":");
        zk_buf_puts(&o, "{\"a\":");
    }
    zk_buf_puts(&s, "{\"type\":\"string\"}");
    zk_buf_puts(&o, "1");
    for (int i = 0; i < n; i++) {
        zk_buf_puts(&s, "}}");
        zk_buf_puts(&o, "}");
    }
    zk_autojson json_t *schema = parse(s.data);
    zk_autojson json_t *obj = parse(o.data);
    zk_field_errors errs;
    zk_field_errors_init(&errs);
    assert_int_equal(zk_kube_structural_validate(schema, obj, &errs), -ZK_EINVAL);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.items[0].message, "maximum nesting depth"));
    zk_field_errors_free(&errs);
    zk_field_errors_init(&errs);
    assert_int_equal(zk_kube_structural_check_schema(schema, "s", &errs), -ZK_EINVAL);
    zk_field_errors_free(&errs);
    zk_kube_structural_default(schema, obj);
    zk_kube_structural_prune(schema, obj, NULL, NULL);
    zk_buf_free(&s);
    zk_buf_free(&o);
}

/* ---- prune ----------------------------------------------------------------- */

typedef struct pcase {
    const char *name;
    const char *schema;
    const char *obj;
    const char *after;
    const char *dropped[MAX_EXPECT];
} pcase;

static const pcase prune_cases[] = {
    { "unknown fields at every level",
      "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
      "\"replicas\":{\"type\":\"integer\"}}}}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"K\",\"metadata\":{\"name\":\"n\",\"x\":1},"
      "\"spec\":{\"replicas\":1,\"foo\":2,\"bar\":{\"x\":1}},\"status\":{},\"extra\":1}",
      "{\"apiVersion\":\"v1\",\"kind\":\"K\",\"metadata\":{\"name\":\"n\",\"x\":1},\"spec\":{\"replicas\":1}}",
      { "spec.foo", "spec.bar", "status", "extra" } },
    { "inside arrays",
      "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
      "\"containers\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
      "\"name\":{\"type\":\"string\"}}}}}}}}",
      "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\",\"junk\":true}]}}",
      "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
      { "spec.containers[1].junk" } },
    { "preserve-unknown-fields keeps unknown, prunes inside known",
      "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
      "\"x-kubernetes-preserve-unknown-fields\":true,\"properties\":{\"known\":{\"type\":\"object\","
      "\"properties\":{\"a\":{\"type\":\"integer\"}}}}}}}",
      "{\"spec\":{\"random\":{\"z\":1},\"known\":{\"a\":1,\"b\":2}}}",
      "{\"spec\":{\"random\":{\"z\":1},\"known\":{\"a\":1}}}",
      { "spec.known.b" } },
    { "additionalProperties specifies every key",
      "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
      "\"byName\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"object\",\"properties\":{"
      "\"v\":{\"type\":\"string\"}}}}}}}}",
      "{\"spec\":{\"byName\":{\"x\":{\"v\":\"1\",\"w\":2},\"y\":{}}}}",
      "{\"spec\":{\"byName\":{\"x\":{\"v\":\"1\"},\"y\":{}}}}",
      { "spec.byName.x.w" } },
    { "embedded resources keep apiVersion, kind and metadata",
      "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
      "\"template\":{\"type\":\"object\",\"x-kubernetes-embedded-resource\":true,\"properties\":{"
      "\"spec\":{\"type\":\"object\"}}}}}}}",
      "{\"spec\":{\"template\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
      "\"spec\":{\"x\":1},\"other\":2}}}",
      "{\"spec\":{\"template\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
      "\"spec\":{}}}}",
      { "spec.template.spec.x", "spec.template.other" } },
    { "preserve-unknown-fields at the root",
      "{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}",
      "{\"kind\":\"K\",\"anything\":{\"goes\":[1]}}",
      "{\"kind\":\"K\",\"anything\":{\"goes\":[1]}}",
      { NULL } },
    { "no schema keeps only the type and object meta",
      NULL,
      "{\"apiVersion\":\"v1\",\"kind\":\"K\",\"metadata\":{},\"spec\":{}}",
      "{\"apiVersion\":\"v1\",\"kind\":\"K\",\"metadata\":{}}",
      { "spec" } },
};

typedef struct seen {
    char *paths[16];
    size_t n;
} seen;

static void record(const char *path, void *ud)
{
    seen *s = ud;
    if (s->n < 16)
        s->paths[s->n++] = zk_xstrdup(path);
}

static void test_prune_table(void **state)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(prune_cases); i++) {
        const pcase *tc = &prune_cases[i];
        zk_autojson json_t *schema = tc->schema ? parse(tc->schema) : NULL;
        zk_autojson json_t *obj = parse(tc->obj);
        zk_autojson json_t *want = parse(tc->after);
        seen s = {0};
        size_t n = zk_kube_structural_prune(schema, obj, record, &s);
        size_t nwant = 0;
        while (nwant < MAX_EXPECT && tc->dropped[nwant])
            nwant++;
        if (!json_equal(obj, want) || n != nwant || s.n != nwant) {
            zk_autofree char *got = zk_json_dumps(obj);
            fprintf(stderr, "case %s: got %s, %zu dropped:\n", tc->name, got, n);
            for (size_t k = 0; k < s.n; k++)
                fprintf(stderr, "  %s\n", s.paths[k]);
            fail_msg("case %s", tc->name);
        }
        for (size_t w = 0; w < nwant; w++) {
            bool found = false;
            for (size_t k = 0; k < s.n; k++)
                found = found || strcmp(s.paths[k], tc->dropped[w]) == 0;
            if (!found)
                fail_msg("case %s: %s not reported", tc->name, tc->dropped[w]);
        }
        for (size_t k = 0; k < s.n; k++)
            free(s.paths[k]);
    }
}

/* ---- default ----------------------------------------------------------------- */

typedef struct dcase {
    const char *name;
    const char *schema;
    const char *obj;
    const char *after;
} dcase;

static const dcase default_cases[] = {
    { "missing field",
      "{\"type\":\"object\",\"properties\":{\"replicas\":{\"type\":\"integer\",\"default\":1},"
      "\"mode\":{\"type\":\"string\",\"default\":\"auto\"}}}",
      "{\"mode\":\"manual\"}", "{\"mode\":\"manual\",\"replicas\":1}" },
    { "null is replaced unless nullable",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"default\":1},"
      "\"b\":{\"type\":\"integer\",\"nullable\":true,\"default\":2}}}",
      "{\"a\":null,\"b\":null}", "{\"a\":1,\"b\":null}" },
    { "defaults inside a defaulted object",
      "{\"type\":\"object\",\"properties\":{\"strategy\":{\"type\":\"object\",\"default\":{\"type\":\"Rolling\"},"
      "\"properties\":{\"type\":{\"type\":\"string\"},\"maxSurge\":{\"x-kubernetes-int-or-string\":true,"
      "\"default\":\"25%\"}}}}}",
      "{}", "{\"strategy\":{\"type\":\"Rolling\",\"maxSurge\":\"25%\"}}" },
    { "array items",
      "{\"type\":\"object\",\"properties\":{\"ports\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
      "\"properties\":{\"protocol\":{\"type\":\"string\",\"default\":\"TCP\"}}}}}}",
      "{\"ports\":[{\"port\":1},{\"protocol\":\"UDP\"}]}",
      "{\"ports\":[{\"port\":1,\"protocol\":\"TCP\"},{\"protocol\":\"UDP\"}]}" },
    { "null array items and map values take the item default",
      "{\"type\":\"object\",\"properties\":{\"l\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
      "\"default\":\"x\"}},\"m\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\","
      "\"default\":0}}}}",
      "{\"l\":[\"a\",null],\"m\":{\"k\":null}}", "{\"l\":[\"a\",\"x\"],\"m\":{\"k\":0}}" },
    { "defaults are copies",
      "{\"type\":\"object\",\"properties\":{\"o\":{\"type\":\"object\",\"default\":{\"a\":[1]}}}}",
      "{}", "{\"o\":{\"a\":[1]}}" },
};

static void test_default_table(void **state)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(default_cases); i++) {
        const dcase *tc = &default_cases[i];
        zk_autojson json_t *schema = parse(tc->schema);
        zk_autojson json_t *obj = parse(tc->obj);
        zk_autojson json_t *want = parse(tc->after);
        zk_kube_structural_default(schema, obj);
        if (!json_equal(obj, want)) {
            zk_autofree char *got = zk_json_dumps(obj);
            fail_msg("case %s: got %s, want %s", tc->name, got, tc->after);
        }
    }
    /* A default is deep-copied: changing the object leaves the schema alone. */
    zk_autojson json_t *schema = parse(default_cases[5].schema);
    zk_autojson json_t *obj = parse("{}");
    zk_kube_structural_default(schema, obj);
    json_array_append_new(zk_json_path(obj, "o", "a", NULL), json_integer(2));
    assert_int_equal(json_array_size(zk_json_path(schema, "properties", "o", "default", "a", NULL)), 1);
}

static void test_prune_then_default(void **state)
{
    zk_autojson json_t *schema = parse(
        "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{"
        "\"replicas\":{\"type\":\"integer\",\"default\":1}}}}}");
    zk_autojson json_t *obj = parse("{\"kind\":\"K\",\"spec\":{\"replicaz\":3}}");
    seen s = {0};
    assert_int_equal(zk_kube_structural_prune(schema, obj, record, &s), 1);
    assert_string_equal(s.paths[0], "spec.replicaz");
    free(s.paths[0]);
    zk_kube_structural_default(schema, obj);
    zk_autojson json_t *want = parse("{\"kind\":\"K\",\"spec\":{\"replicas\":1}}");
    assert_true(json_equal(obj, want));
    zk_field_errors errs;
    zk_field_errors_init(&errs);
    assert_int_equal(zk_kube_structural_validate(schema, obj, &errs), 0);
    zk_field_errors_free(&errs);
}

/* ---- check the schema -------------------------------------------------------- */

#define P "spec.versions[0].schema.openAPIV3Schema"

typedef struct ccase {
    const char *name;
    const char *schema;
    const char *want[MAX_EXPECT];
} ccase;

static const ccase check_cases[] = {
    { "a kubebuilder-style schema is structural",
      "{\"type\":\"object\",\"description\":\"Thing\",\"properties\":{\"apiVersion\":{\"type\":\"string\"},"
      "\"kind\":{\"type\":\"string\"},\"metadata\":{\"type\":\"object\"},"
      "\"spec\":{\"type\":\"object\",\"required\":[\"size\"],\"properties\":{"
      "\"size\":{\"type\":\"integer\",\"minimum\":1,\"default\":1},"
      "\"port\":{\"x-kubernetes-int-or-string\":true,\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]},"
      "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
      "\"raw\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true},"
      "\"any\":{\"x-kubernetes-preserve-unknown-fields\":true},"
      "\"tmpl\":{\"type\":\"object\",\"x-kubernetes-embedded-resource\":true,"
      "\"x-kubernetes-preserve-unknown-fields\":true},"
      "\"name\":{\"type\":\"string\",\"pattern\":\"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\",\"maxLength\":63},"
      "\"ports\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\",\"x-kubernetes-list-map-keys\":[\"name\"],"
      "\"items\":{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":\"string\"}}}},"
      "\"mode\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
      "\"n\":{\"type\":\"integer\",\"allOf\":[{\"minimum\":0},{\"maximum\":9}]}}},"
      "\"status\":{\"type\":\"object\",\"properties\":{\"ready\":{\"type\":\"boolean\"}}}}}",
      { NULL } },
    { "metadata may restrict name and generateName",
      "{\"type\":\"object\",\"properties\":{\"metadata\":{\"type\":\"object\",\"properties\":{"
      "\"name\":{\"type\":\"string\",\"maxLength\":20}}}}}",
      { NULL } },
    { "types are required",
      "{\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{\"foo\":{\"description\":\"x\"},"
      "\"list\":{\"type\":\"array\",\"items\":{\"minimum\":1}}}}}}",
      { P ".type: Required value: must not be empty at the root",
        P ".properties[spec].properties[foo].type: Required value: must not be empty for specified object fields",
        P ".properties[spec].properties[list].items.type: Required value: must not be empty for specified array items" } },
    { "arrays need items, root must be an object",
      "{\"type\":\"array\"}",
      { P ".items: Required value: must be specified",
        P ".type: Invalid value: \"array\": must be object at the root" } },
    { "$ref and other unsupported keywords",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/definitions/x\",\"type\":\"object\"},"
      "\"b\":{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]},"
      "\"c\":{\"type\":\"array\",\"uniqueItems\":true,\"items\":{\"type\":\"string\"}},"
      "\"d\":{\"type\":\"null\"},\"e\":{\"type\":\"strnig\"}}}",
      { P ".properties[a].$ref: Forbidden: $ref is not supported",
        P ".properties[b].items: Forbidden: items must be a schema object and not an array",
        P ".properties[b].items: Required value: must be specified",
        P ".properties[c].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        P ".properties[d].type: Forbidden: type cannot be set to null, use nullable as an alternative",
        P ".properties[e].type: Unsupported value: \"strnig\": supported values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", \"string\"" } },
    { "metadata restricted to name and generateName",
      "{\"type\":\"object\",\"properties\":{\"metadata\":{\"type\":\"object\",\"properties\":{"
      "\"labels\":{\"type\":\"object\"}}}}}",
      { P ".properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified" } },
    { "kind and apiVersion are strings, metadata an object",
      "{\"type\":\"object\",\"properties\":{\"kind\":{\"type\":\"integer\"},\"metadata\":{\"type\":\"string\"}}}",
      { P ".properties[kind].type: Invalid value: \"integer\": must be string",
        P ".properties[metadata].type: Invalid value: \"string\": must be object" } },
    { "value validations may not carry types or defaults",
      "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\",\"anyOf\":[{\"type\":\"string\"},"
      "{\"default\":\"a\",\"description\":\"d\"}],\"not\":{\"nullable\":true}}}}",
      { P ".properties[x].anyOf[0].type: Forbidden: must be empty to be structural",
        P ".properties[x].anyOf[1].default: Forbidden: must be undefined to be structural",
        P ".properties[x].anyOf[1].description: Forbidden: must be empty to be structural",
        P ".properties[x].not.nullable: Forbidden: must be false to be structural" } },
    { "fields in value validations must be specified outside",
      "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
      "\"allOf\":[{\"properties\":{\"a\":{\"minLength\":1},\"b\":{\"minLength\":1},"
      "\"metadata\":{\"minProperties\":1}}}]}}}",
      { P ".properties[spec].properties[b]: Required value: because it is defined in " P ".properties[spec].allOf[0].properties[b]",
        P ".properties[spec].properties[metadata]: Required value: because it is defined in " P ".properties[spec].allOf[0].properties[metadata]",
        P ".properties[spec].allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context" } },
    { "additionalProperties rules",
      "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"},\"properties\":{"
      "\"a\":{\"type\":\"object\",\"additionalProperties\":false},"
      "\"b\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}},"
      "\"additionalProperties\":{\"type\":\"string\"}}}}",
      { P ".additionalProperties: Forbidden: must not be used at the root",
        P ".additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
        P ".properties[a].additionalProperties: Forbidden: additionalProperties cannot be set to false",
        P ".properties[b].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive" } },
    { "extension rules",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":false},"
      "\"b\":{\"x-kubernetes-int-or-string\":true,\"x-kubernetes-preserve-unknown-fields\":true},"
      "\"c\":{\"type\":\"string\",\"x-kubernetes-embedded-resource\":true}}}",
      { P ".properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined",
        P ".properties[b].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true",
        P ".properties[c].type: Invalid value: \"string\": must be object if x-kubernetes-embedded-resource is true",
        P ".properties[c].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields" } },
    { "patterns must compile",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"(\"}}}",
      { NULL } /* checked by prefix below */ },
    { "list types",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\","
      "\"items\":{\"type\":\"string\"}},\"b\":{\"type\":\"string\",\"x-kubernetes-list-type\":\"bag\"},"
      "\"c\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\",\"x-kubernetes-list-map-keys\":[\"k\",\"z\"],"
      "\"items\":{\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"object\"}}}}}}",
      { P ".properties[a].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map",
        P ".properties[a].items.type: Invalid value: \"string\": must be object if parent array's x-kubernetes-list-type is map",
        P ".properties[b].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", \"set\", \"map\"",
        P ".properties[b].x-kubernetes-list-type: Invalid value: \"bag\": must only be used on type=array",
        P ".properties[c].items.properties[k].type: Invalid value: \"object\": must be a scalar type if parent array's x-kubernetes-list-type is map",
        P ".properties[c].x-kubernetes-list-map-keys: Invalid value: [\"k\",\"z\"]: entries must all be names of item properties" } },
    { "defaults must be valid",
      "{\"type\":\"object\",\"properties\":{\"r\":{\"type\":\"integer\",\"default\":\"one\"}}}",
      { P ".properties[r].default: Invalid value: \"string\": " P ".properties[r].default in body must be of type integer: \"string\"" } },
    { "not a schema",
      "{\"type\":\"object\",\"properties\":{\"a\":3}}",
      { P ".properties[a]: Invalid value: 3: must be a schema object" } },
};

static void test_check_schema_table(void **state)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(check_cases); i++) {
        const ccase *tc = &check_cases[i];
        zk_autojson json_t *schema = parse(tc->schema);
        zk_field_errors errs;
        zk_field_errors_init(&errs);
        int rc = zk_kube_structural_check_schema(schema, P, &errs);
        if (strcmp(tc->name, "patterns must compile") == 0) {
            assert_int_equal(rc, -ZK_EINVAL);
            assert_int_equal(errs.n, 1);
            assert_string_equal(errs.items[0].field, P ".properties[a].pattern");
            assert_non_null(strstr(errs.items[0].message,
                                   "Invalid value: \"(\": must be a valid regular expression, but isn't: "));
        } else {
            expect_errors(tc->name, &errs, tc->want);
            assert_int_equal(rc, errs.n ? -ZK_EINVAL : 0);
        }
        zk_field_errors_free(&errs);
    }
}

static void test_pattern_cache_is_shared(void **state)
{
    /* The same pattern twice, and many distinct ones past the cache size:
     * results stay right once the cache is full. */
    zk_autojson json_t *schema = parse("{\"type\":\"string\",\"pattern\":\"^a+$\"}");
    zk_autojson json_t *ok = json_string("aaa");
    zk_autojson json_t *bad = json_string("b");
    for (int round = 0; round < 2; round++) {
        zk_field_errors errs;
        zk_field_errors_init(&errs);
        assert_int_equal(zk_kube_structural_validate(schema, ok, &errs), 0);
        assert_int_equal(zk_kube_structural_validate(schema, bad, &errs), -ZK_EINVAL);
        zk_field_errors_free(&errs);
    }
    for (int i = 0; i < 600; i++) {
        char pat[32];
        snprintf(pat, sizeof(pat), "^x{%d}$", i % 50 + 1);
        zk_autojson json_t *s = json_pack("{s:s,s:s}", "type", "string", "pattern", pat);
        zk_autojson json_t *v = json_string(i % 50 == 0 ? "x" : "y");
        zk_field_errors errs;
        zk_field_errors_init(&errs);
        int rc = zk_kube_structural_validate(s, v, &errs);
        assert_int_equal(rc, i % 50 == 0 ? 0 : -ZK_EINVAL);
        zk_field_errors_free(&errs);
        (void)i;
    }
    zk_autofree char *longpat = zk_xmalloc(ZK_KUBE_STRUCTURAL_PATTERN_MAX + 2);
    memset(longpat, 'a', ZK_KUBE_STRUCTURAL_PATTERN_MAX + 1);
    longpat[ZK_KUBE_STRUCTURAL_PATTERN_MAX + 1] = '\0';
    zk_autojson json_t *ls = json_pack("{s:s,s:s}", "type", "string", "pattern", longpat);
    zk_field_errors errs;
    zk_field_errors_init(&errs);
    assert_int_equal(zk_kube_structural_validate(ls, ok, &errs), -ZK_EINVAL);
    assert_non_null(strstr(errs.items[0].message, "longer than 1024 bytes"));
    zk_field_errors_free(&errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_table),
        cmocka_unit_test(test_validate_depth_bound),
        cmocka_unit_test(test_prune_table),
        cmocka_unit_test(test_default_table),
        cmocka_unit_test(test_prune_then_default),
        cmocka_unit_test(test_check_schema_table),
        cmocka_unit_test(test_pattern_cache_is_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
