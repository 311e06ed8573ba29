/* Protobuf request bodies to JSON (kube/protobuf.c): bodies recorded from the real
 * kubectl 1.32 (data/protobuf/, see record.py there) against the JSON kubectl renders
 * for the same objects, hand-made bodies for every special type and error, and the
 * coverage of the core and meta field numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "kube/protobuf.h"
#include "kube/schema.h"

/* ---- a small protobuf writer for hand-made bodies ------------------------ */

static void w_varint(zk_buf *b, uint64_t v)
{
    do {
        char c = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        assert_int_equal(zk_buf_putc(b, c), 0);
        v >>= 7;
    } while (v);
}

static void w_tag(zk_buf *b, unsigned num, unsigned wt)
{
    w_varint(b, (uint64_t)num << 3 | wt);
}

static void w_uint(zk_buf *b, unsigned num, uint64_t v)
{
    w_tag(b, num, 0);
    w_varint(b, v);
}

static void w_bytes(zk_buf *b, unsigned num, const void *p, size_t n)
{
    w_tag(b, num, 2);
    w_varint(b, n);
    if (n)
        assert_int_equal(zk_buf_append(b, p, n), 0);
}

static void w_str(zk_buf *b, unsigned num, const char *s)
{
    w_bytes(b, num, s, strlen(s));
}

static void w_msg(zk_buf *b, unsigned num, const zk_buf *m)
{
    w_bytes(b, num, m->data, m->len);
}

static void w_fixed(zk_buf *b, unsigned num, uint64_t v, int n)
{
    w_tag(b, num, n == 8 ? 1 : 5);
    for (int i = 0; i < n; i++)
        assert_int_equal(zk_buf_putc(b, (char)(v >> (8 * i))), 0);
}

/* A map entry {key = 1, value = 2 (string)}. */
static void w_entry(zk_buf *b, unsigned num, const char *k, const char *v)
{
    zk_autobuf zk_buf e = ZK_BUF_INIT(1 << 20);
    w_str(&e, 1, k);
    if (v)
        w_str(&e, 2, v);
    w_msg(b, num, &e);
}

/* The whole body: magic + runtime.Unknown{typeMeta, raw}. */
static void w_body(zk_buf *out, const char *api_version, const char *kind, const zk_buf *raw)
{
    zk_autobuf zk_buf tm = ZK_BUF_INIT(1 << 20);
    w_str(&tm, 1, api_version);
    w_str(&tm, 2, kind);
    assert_int_equal(zk_buf_append(out, ZK_KUBE_PROTOBUF_MAGIC, ZK_KUBE_PROTOBUF_MAGIC_LEN), 0);
    w_msg(out, 1, &tm);
    w_msg(out, 2, raw);
}

/* Decode and compare with the expected JSON text. */
static void expect_json(const zk_buf *body, const char *want)
{
    zk_autojson json_t *got = NULL, *exp = NULL;
    zk_err err = {0};
    int rc = zk_kube_protobuf_decode(body->data, body->len, &got, &err);
    if (rc < 0)
        fail_msg("decode: %s", err.msg);
    assert_int_equal(zk_json_decode(want, strlen(want), &exp, NULL), 0);
    if (!json_equal(got, exp)) {
        zk_autofree char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
        fail_msg("got  %s\nwant %s", g, want);
    }
}

/* Decode must fail with code; the message must mention `part`. */
static void expect_error(const zk_buf *body, int code, const char *part)
{
    json_t *got = (json_t *)1;
    zk_err err = {0};
    int rc = zk_kube_protobuf_decode(body->data ? body->data : "", body->len, &got, &err);
    if (rc != -code)
        fail_msg("rc %d, want %d (%s)", rc, -code, err.msg);
    assert_null(got);
    if (!strstr(err.msg, part))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, part);
    /* without an error struct the code is the same */
    got = (json_t *)1;
    assert_int_equal(zk_kube_protobuf_decode(body->data ? body->data : "", body->len, &got, NULL),
                     -code);
    assert_null(got);
}

/* ---- recorded kubectl bodies --------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    zk_buf b = ZK_BUF_INIT(1 << 22);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(zk_buf_append(&b, chunk, n), 0);
    fclose(f);
    return zk_buf_steal(&b, len);
}

/* tests/unit/kube/data/protobuf, found from this file's path (meson runs the
 * tests in the build directory, and compiles this file by a relative path). */
static char *data_path(const char *name)
{
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    int dirlen = slash ? (int)(slash - file) : 1;
    return zk_xasprintf("%.*s/data/protobuf/%s", dirlen, slash ? file : ".", name);
}

static void gap_print(void *ctx, const zk_schema_type *t, const zk_schema_field *f)
{
    (void)ctx;
    printf("    unnumbered: %s.%s\n", t->name, f->name);
}

static void test_vector(void **state)
{
    const char *name = *state;
    zk_autofree char *pb_name = zk_xasprintf("%s.pb", name);
    zk_autofree char *json_name = zk_xasprintf("%s.json", name);
    zk_autofree char *pb_path = data_path(pb_name);
    zk_autofree char *json_path = data_path(json_name);
    size_t pb_len = 0, json_len = 0;
    zk_autofree char *pb = read_file(pb_path, &pb_len);
    zk_autofree char *js = read_file(json_path, &json_len);
    if (!pb || !js)
        fail_msg("cannot read %s / %s (run the tests from the build directory)", pb_path,
                 json_path);
    zk_autojson json_t *want = NULL, *got = NULL;
    assert_int_equal(zk_json_decode(js, json_len, &want, NULL), 0);

    /* kinds whose groups are still being numbered turn on when they are done */
    char group[128] = "";
    const char *av = zk_json_str(want, "apiVersion"), *version = av;
    const char *slash = strchr(av, '/');
    if (slash) {
        snprintf(group, sizeof(group), "%.*s", (int)(slash - av), av);
        version = slash + 1;
    }
    const zk_schema_type *t = zk_kube_schema_for_kind(group, version, zk_json_str(want, "kind"));
    assert_non_null(t);
    int gaps = zk_kube_protobuf_unnumbered(t, gap_print, NULL);
    if (gaps > 0) {
        printf("skip %s: %s has %d fields without a protobuf number\n", name, t->name, gaps);
        skip();
    }

    zk_err err = {0};
    if (zk_kube_protobuf_decode(pb, pb_len, &got, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    if (!json_equal(got, want)) {
        zk_autofree char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
        zk_autofree char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
        fail_msg("%s:\ngot  %s\nwant %s", name, g, w);
    }
}

/* ---- field-number coverage ------------------------------------------------ */

/* Kinds whose tables are schema_meta.c and schema_core*.c. */
static bool core_or_meta(const zk_schema_type *t)
{
    return !strncmp(t->name, "io.k8s.api.core.v1.", 19) ||
           !strncmp(t->name, "io.k8s.apimachinery.pkg.apis.meta.v1.", 37) ||
           !strcmp(t->name, "io.k8s.api.authentication.v1.TokenRequest") ||
           !strcmp(t->name, "io.k8s.api.autoscaling.v1.Scale");
}

static void test_core_meta_numbered(void **state)
{
    (void)state;
    int gaps = 0, kinds = 0;
    for (const zk_schema_type *const *t = zk_kube_schema_all(); *t; t++) {
        if (!(*t)->gvk_kind || !core_or_meta(*t))
            continue;
        kinds++;
        gaps += zk_kube_protobuf_unnumbered(*t, gap_print, NULL);
    }
    assert_true(kinds >= 15);
    assert_int_equal(gaps, 0);
}

/* Every other kind: reported, not asserted (their tables have their own test). */
static void test_report_other_kinds(void **state)
{
    (void)state;
    int gaps = 0;
    for (const zk_schema_type *const *t = zk_kube_schema_all(); *t; t++)
        if ((*t)->gvk_kind && !core_or_meta(*t))
            gaps += zk_kube_protobuf_unnumbered(*t, gap_print, NULL);
    printf("fields without a protobuf number outside core/meta: %d\n", gaps);
    /* the JSON-only fields are not gaps */
    const zk_schema_type *ns = zk_kube_schema_for_kind("", "v1", "Namespace");
    assert_int_equal(zk_kube_protobuf_unnumbered(ns, NULL, NULL), 0);
}

/* ---- hand-made bodies ------------------------------------------------------ */

static void test_envelope_errors(void **state)
{
    (void)state;
    zk_autobuf zk_buf b = ZK_BUF_INIT(1 << 20);
    expect_error(&b, ZK_EPARSE, "magic");
    assert_int_equal(zk_buf_append(&b, "k8s", 3), 0);
    expect_error(&b, ZK_EPARSE, "magic");
    zk_buf_reset(&b);
    assert_int_equal(zk_buf_append(&b, "{\"kind\":1}", 10), 0);
    expect_error(&b, ZK_EPARSE, "magic");

    /* magic alone: no kind */
    zk_buf_reset(&b);
    assert_int_equal(zk_buf_append(&b, "k8s\0", 4), 0);
    expect_error(&b, ZK_EPARSE, "names no apiVersion and kind");

    zk_autobuf zk_buf raw = ZK_BUF_INIT(1 << 20);
    zk_buf_reset(&b);
    w_body(&b, "v1", "Frobnicator", &raw);
    expect_error(&b, ZK_EUNSUPPORTED, "Frobnicator");
    zk_buf_reset(&b);
    w_body(&b, "nosuch.example/v1", "Namespace", &raw);
    expect_error(&b, ZK_EUNSUPPORTED, "nosuch.example/v1");

    zk_buf_reset(&b);
    w_body(&b, "v1", "Namespace", &raw);
    w_str(&b, 3, "gzip");
    expect_error(&b, ZK_EUNSUPPORTED, "gzip");
    zk_buf_reset(&b);
    w_body(&b, "v1", "Namespace", &raw);
    w_str(&b, 4, "application/json");
    expect_error(&b, ZK_EUNSUPPORTED, "application/json");
    zk_buf_reset(&b);
    w_body(&b, "v1", "Namespace", &raw);
    w_str(&b, 3, "");
    w_str(&b, 4, ZK_KUBE_PROTOBUF_CONTENT_TYPE);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\"}");

    /* typeMeta of the wrong wire type; a kind with a NUL */
    zk_buf_reset(&b);
    assert_int_equal(zk_buf_append(&b, "k8s\0", 4), 0);
    w_uint(&b, 1, 5);
    expect_error(&b, ZK_EPARSE, "typeMeta");
    zk_buf_reset(&b);
    assert_int_equal(zk_buf_append(&b, "k8s\0", 4), 0);
    zk_buf_reset(&raw);
    w_str(&raw, 1, "v1");
    w_bytes(&raw, 2, "Name\0space", 10);
    w_msg(&b, 1, &raw);
    expect_error(&b, ZK_EPARSE, "kind");
}

static void test_wire_errors(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        size_t len;
        int code;
        const char *part;
    } cases[] = {
        { "\x0a\x80", 2, ZK_EPARSE, "truncated varint" },
        { "\x0a\x05" "ab", 4, ZK_EPARSE, "past the end" },
        { "\x0a\x03\x0a\x09" "x", 5, ZK_EPARSE, "metadata: field 1: length 9" },
        { "\x08\x01", 2, ZK_EPARSE, "wire type varint, expected length-delimited" },
        { "\x0a\x02\x08\x01", 4, ZK_EPARSE, "metadata: name: wire type varint" },
        { "\x0b", 1, ZK_EPARSE, "groups" },
        { "\x0f", 1, ZK_EPARSE, "invalid wire type 7" },
        { "\x02\x00", 2, ZK_EPARSE, "invalid field number 0" },
        { "\x0a\x03\x0a\x01\xff", 5, ZK_EPARSE, "not valid UTF-8" },
        { "\x0a\x05\x62\x03\x0a\x01\xc0", 7, ZK_EPARSE, "map key" },
        { "\x0a\x05\x62\x03\x0a\x01\x00", 7, ZK_EPARSE, "NUL" },
        { "\x0d\x01\x02", 3, ZK_EPARSE, "truncated fixed32" },
        { "\x09\x01\x02\x03", 4, ZK_EPARSE, "truncated fixed64" },
        { "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, ZK_EPARSE, "longer than 10" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_autobuf zk_buf raw = ZK_BUF_INIT(1 << 20);
        zk_autobuf zk_buf b = ZK_BUF_INIT(1 << 20);
        assert_int_equal(zk_buf_append(&raw, cases[i].raw, cases[i].len), 0);
        w_body(&b, "v1", "Namespace", &raw);
        expect_error(&b, cases[i].code, cases[i].part);
    }
    /* the path of the field comes first */
    zk_autobuf zk_buf raw = ZK_BUF_INIT(1 << 20), spec = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf b = ZK_BUF_INIT(1 << 20);
    w_str(&spec, 1, "not-a-number");   /* replicas */
    w_msg(&raw, 2, &spec);
    w_body(&b, "apps/v1", "Deployment", &raw);
    expect_error(&b, ZK_EPARSE, "Deployment: spec: replicas: wire type length-delimited");
}

static void test_unknown_fields_skipped(void **state)
{
    (void)state;
    zk_autobuf zk_buf raw = ZK_BUF_INIT(1 << 20), meta = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf b = ZK_BUF_INIT(1 << 20);
    w_uint(&meta, 99, 7);
    w_str(&meta, 1, "ns1");
    w_fixed(&meta, 98, 1, 8);
    w_fixed(&meta, 97, 1, 4);
    w_str(&meta, 96, "x");
    w_uint(&meta, 536870911, 1);   /* the largest field number */
    w_msg(&raw, 1, &meta);
    w_str(&raw, 5000, "far");
    w_str(&raw, 2001, "not an inline field");   /* no inline message is numbered 2 */
    w_body(&b, "v1", "Namespace", &raw);
    static const char want[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns1\"}}";
    expect_json(&b, want);
    /* unknown envelope fields too */
    w_str(&b, 9, "later");
    expect_json(&b, want);
}

/* Go writes every non-pointer scalar; zero ones are dropped unless required or a
 * pointer in Go. */
static void test_zero_values(void **state)
{
    (void)state;
    zk_autobuf zk_buf raw = ZK_BUF_INIT(1 << 20), meta = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf spec = ZK_BUF_INIT(1 << 20), c = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf port = ZK_BUF_INIT(1 << 20), sc = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf b = ZK_BUF_INIT(1 << 20);
    w_str(&meta, 1, "p");
    w_str(&meta, 2, "");          /* generateName */
    w_uint(&meta, 7, 0);          /* generation */
    w_bytes(&meta, 8, NULL, 0);   /* creationTimestamp: Go's zero time */
    w_msg(&raw, 1, &meta);
    w_str(&c, 1, "");             /* name is required: kept */
    w_str(&c, 2, "nginx");
    w_str(&c, 5, "");             /* workingDir */
    w_uint(&c, 16, 0);            /* stdin */
    w_uint(&c, 18, 1);            /* tty */
    w_uint(&port, 3, 0);          /* containerPort, required */
    w_uint(&port, 2, 0);          /* hostPort */
    w_msg(&c, 6, &port);
    w_str(&c, 24, "");            /* restartPolicy is *string */
    w_msg(&spec, 2, &c);
    w_uint(&spec, 4, 0);          /* terminationGracePeriodSeconds *int64 */
    w_uint(&spec, 5, (uint64_t)-5);   /* activeDeadlineSeconds, int64 */
    w_uint(&spec, 25, 0xffffffffffffffffull);   /* priority, int32 sign-extended: -1 */
    w_uint(&spec, 11, 0);         /* hostNetwork */
    w_uint(&spec, 21, 0);         /* automountServiceAccountToken *bool */
    /* supplementalGroups: packed, then one more unpacked */
    zk_autobuf zk_buf packed = ZK_BUF_INIT(1 << 20);
    w_varint(&packed, 1);
    w_varint(&packed, 2);
    w_varint(&packed, 300);
    w_msg(&sc, 4, &packed);
    w_uint(&sc, 4, 4);
    w_msg(&spec, 14, &sc);
    w_msg(&raw, 2, &spec);
    w_body(&b, "v1", "Pod", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
                    "\"creationTimestamp\":null},\"spec\":{\"containers\":[{\"name\":\"\","
                    "\"image\":\"nginx\",\"tty\":true,\"ports\":[{\"containerPort\":0}],"
                    "\"restartPolicy\":\"\"}],\"terminationGracePeriodSeconds\":0,"
                    "\"activeDeadlineSeconds\":-5,\"priority\":-1,"
                    "\"automountServiceAccountToken\":false,"
                    "\"securityContext\":{\"supplementalGroups\":[1,2,300,4]}}}");

    /* the last occurrence wins, a zero one removes the field; messages merge */
    zk_autobuf zk_buf raw2 = ZK_BUF_INIT(1 << 20), m1 = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf m2 = ZK_BUF_INIT(1 << 20), b2 = ZK_BUF_INIT(1 << 20);
    w_str(&m1, 1, "a");
    w_str(&m1, 3, "ns");
    w_str(&m1, 2, "gen-");
    w_msg(&raw2, 1, &m1);
    w_str(&m2, 1, "b");
    w_str(&m2, 2, "");
    w_msg(&raw2, 1, &m2);
    w_body(&b2, "v1", "ConfigMap", &raw2);
    expect_json(&b2, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                     "\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\"}}");
}

static void test_special_types(void **state)
{
    (void)state;
    /* Time (whole seconds), MicroTime (microseconds), the zero time */
    zk_autobuf zk_buf raw = ZK_BUF_INIT(1 << 20), t1 = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf t2 = ZK_BUF_INIT(1 << 20), b = ZK_BUF_INIT(1 << 20);
    w_uint(&t1, 1, 1700000000);
    w_uint(&t1, 2, 5);
    w_msg(&raw, 6, &t1);          /* firstTimestamp */
    w_bytes(&raw, 7, NULL, 0);    /* lastTimestamp */
    w_uint(&t2, 1, 1700000000);
    w_uint(&t2, 2, 123456789);
    w_msg(&raw, 10, &t2);         /* eventTime */
    w_body(&b, "v1", "Event", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Event\","
                    "\"firstTimestamp\":\"2023-11-14T22:13:20Z\",\"lastTimestamp\":null,"
                    "\"eventTime\":\"2023-11-14T22:13:20.123456Z\"}");
    /* far past and far future */
    zk_buf_reset(&raw);
    zk_buf_reset(&t1);
    zk_buf_reset(&b);
    w_uint(&t1, 1, (uint64_t)INT64_C(-62135596800));
    w_msg(&raw, 6, &t1);
    zk_buf_reset(&t2);
    w_uint(&t2, 1, 253402300799);
    w_msg(&raw, 7, &t2);
    w_body(&b, "v1", "Event", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Event\","
                    "\"firstTimestamp\":\"0001-01-01T00:00:00Z\","
                    "\"lastTimestamp\":\"9999-12-31T23:59:59Z\"}");
    zk_buf_reset(&raw);
    zk_buf_reset(&t1);
    zk_buf_reset(&b);
    w_uint(&t1, 1, 253402300800);
    w_msg(&raw, 6, &t1);
    w_body(&b, "v1", "Event", &raw);
    expect_error(&b, ZK_EPARSE, "firstTimestamp: time 253402300800s");
    zk_buf_reset(&raw);
    zk_buf_reset(&t1);
    zk_buf_reset(&b);
    w_uint(&t1, 1, 1);
    w_uint(&t1, 2, 1000000000);
    w_msg(&raw, 6, &t1);
    w_body(&b, "v1", "Event", &raw);
    expect_error(&b, ZK_EPARSE, "out of range");

    /* Quantity: its string; an empty one is "0" */
    zk_autobuf zk_buf spec = ZK_BUF_INIT(1 << 20), e = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf q = ZK_BUF_INIT(1 << 20);
    zk_buf_reset(&raw);
    zk_buf_reset(&b);
    w_str(&q, 1, "500m");
    w_str(&e, 1, "cpu");
    w_msg(&e, 2, &q);
    w_msg(&spec, 1, &e);
    zk_buf_reset(&e);
    w_str(&e, 1, "pods");
    w_bytes(&e, 2, NULL, 0);
    w_msg(&spec, 1, &e);
    zk_buf_reset(&e);
    w_str(&e, 1, "memory");   /* no value at all */
    w_msg(&spec, 1, &e);
    w_msg(&raw, 2, &spec);
    w_body(&b, "v1", "ResourceQuota", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"spec\":{\"hard\":"
                    "{\"cpu\":\"500m\",\"pods\":\"0\",\"memory\":\"0\"}}}");

    /* IntOrString: a name, a number, the zero value */
    zk_autobuf zk_buf p1 = ZK_BUF_INIT(1 << 20), p2 = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf ios = ZK_BUF_INIT(1 << 20);
    zk_buf_reset(&raw);
    zk_buf_reset(&spec);
    zk_buf_reset(&b);
    w_uint(&ios, 1, 1);
    w_str(&ios, 3, "http");
    w_uint(&p1, 3, 80);
    w_msg(&p1, 4, &ios);
    w_msg(&spec, 1, &p1);
    zk_buf_reset(&ios);
    w_uint(&ios, 1, 0);
    w_uint(&ios, 2, 8443);
    w_uint(&p2, 3, 443);
    w_msg(&p2, 4, &ios);
    w_msg(&spec, 1, &p2);
    zk_buf_reset(&p1);
    w_uint(&p1, 3, 53);
    w_bytes(&p1, 4, NULL, 0);
    w_msg(&spec, 1, &p1);
    w_msg(&raw, 2, &spec);
    w_body(&b, "v1", "Service", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"ports\":["
                    "{\"port\":80,\"targetPort\":\"http\"},{\"port\":443,\"targetPort\":8443},"
                    "{\"port\":53,\"targetPort\":0}]}}");

    /* []byte: base64, empty included */
    zk_buf_reset(&raw);
    zk_buf_reset(&b);
    zk_buf_reset(&e);
    w_str(&e, 1, "bin");
    w_bytes(&e, 2, "\x00\x01\xff", 3);
    w_msg(&raw, 3, &e);
    zk_buf_reset(&e);
    w_str(&e, 1, "empty");
    w_msg(&raw, 3, &e);
    w_uint(&raw, 4, 1);   /* immutable */
    w_body(&b, "v1", "ConfigMap", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"immutable\":true,"
                    "\"binaryData\":{\"bin\":\"AAH/\",\"empty\":\"\"}}");
}

/* Structs Go embeds inline: JSON flattens them, protobuf nests them. */
static void test_inline_fields(void **state)
{
    (void)state;
    zk_autobuf zk_buf raw = ZK_BUF_INIT(1 << 20), spec = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf v = ZK_BUF_INIT(1 << 20), src = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf m = ZK_BUF_INIT(1 << 20), c = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf probe = ZK_BUF_INIT(1 << 20), h = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf env = ZK_BUF_INIT(1 << 20), vf = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf sel = ZK_BUF_INIT(1 << 20), lor = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf eph = ZK_BUF_INIT(1 << 20), common = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf b = ZK_BUF_INIT(1 << 20);

    /* volumes: {name, volumeSource{emptyDir{}}} and {name, volumeSource{secret{...}}} */
    w_str(&v, 1, "scratch");
    w_bytes(&src, 2, NULL, 0);
    w_msg(&v, 2, &src);
    w_msg(&spec, 1, &v);
    zk_buf_reset(&v);
    zk_buf_reset(&src);
    w_str(&v, 1, "creds");
    w_str(&m, 1, "s1");
    w_uint(&m, 3, 0420);   /* defaultMode *int32 */
    w_msg(&src, 6, &m);
    w_msg(&v, 2, &src);
    w_msg(&spec, 1, &v);

    /* a container with a probe (ProbeHandler inline) and an env var from a
     * ConfigMap key (LocalObjectReference inline) */
    w_str(&c, 1, "app");
    w_str(&h, 1, "true");
    zk_autobuf zk_buf ex = ZK_BUF_INIT(1 << 20);
    w_msg(&ex, 1, &h);
    w_msg(&probe, 1, &ex);
    w_uint(&probe, 4, 5);
    w_msg(&c, 10, &probe);
    w_str(&lor, 1, "cm");
    w_msg(&sel, 1, &lor);
    w_str(&sel, 2, "k");
    w_msg(&vf, 3, &sel);
    w_str(&env, 1, "K");
    w_msg(&env, 3, &vf);
    w_msg(&c, 7, &env);
    w_msg(&spec, 2, &c);

    /* an ephemeral container: the Container fields sit in EphemeralContainerCommon */
    w_str(&common, 1, "debug");
    w_str(&common, 2, "busybox");
    w_uint(&common, 16, 1);   /* stdin */
    w_msg(&eph, 1, &common);
    w_str(&eph, 2, "app");
    w_msg(&spec, 34, &eph);

    w_msg(&raw, 2, &spec);
    w_body(&b, "v1", "Pod", &raw);
    expect_json(&b,
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{"
        "\"volumes\":[{\"name\":\"scratch\",\"emptyDir\":{}},"
        "{\"name\":\"creds\",\"secret\":{\"secretName\":\"s1\",\"defaultMode\":272}}],"
        "\"containers\":[{\"name\":\"app\",\"livenessProbe\":{\"exec\":{\"command\":[\"true\"]},"
        "\"periodSeconds\":5},\"env\":[{\"name\":\"K\",\"valueFrom\":{\"configMapKeyRef\":"
        "{\"name\":\"cm\",\"key\":\"k\"}}}]}],"
        "\"ephemeralContainers\":[{\"name\":\"debug\",\"image\":\"busybox\",\"stdin\":true,"
        "\"targetContainerName\":\"app\"}]}}");

    /* an inline message of the wrong wire type is an unknown field: skipped */
    zk_buf_reset(&raw);
    zk_buf_reset(&spec);
    zk_buf_reset(&v);
    zk_buf_reset(&b);
    w_str(&v, 1, "x");
    w_uint(&v, 2, 1);
    w_msg(&spec, 1, &v);
    w_msg(&raw, 2, &spec);
    w_body(&b, "v1", "Pod", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"volumes\":"
                    "[{\"name\":\"x\"}]}}");
}

/* RawExtension: JSON text, or a nested envelope; ExtraValue: a list of strings. */
static void test_raw_and_extra(void **state)
{
    (void)state;
    zk_autobuf zk_buf raw = ZK_BUF_INIT(1 << 20), ext = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf b = ZK_BUF_INIT(1 << 20);
    w_str(&raw, 1, "ADDED");
    w_str(&ext, 1, "{\"a\":[1,2],\"b\":null}");
    w_msg(&raw, 2, &ext);
    w_body(&b, "v1", "WatchEvent", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"WatchEvent\",\"type\":\"ADDED\","
                    "\"object\":{\"a\":[1,2],\"b\":null}}");

    /* a protobuf object inside */
    zk_autobuf zk_buf inner = ZK_BUF_INIT(1 << 20), ns = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf meta = ZK_BUF_INIT(1 << 20);
    w_str(&meta, 1, "n1");
    w_msg(&ns, 1, &meta);
    w_body(&inner, "v1", "Namespace", &ns);
    zk_buf_reset(&raw);
    zk_buf_reset(&ext);
    zk_buf_reset(&b);
    w_str(&raw, 1, "DELETED");
    w_msg(&ext, 1, &inner);
    w_msg(&raw, 2, &ext);
    w_body(&b, "v1", "WatchEvent", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"WatchEvent\",\"type\":\"DELETED\","
                    "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
                    "\"metadata\":{\"name\":\"n1\"}}}");

    /* empty: null; bad JSON: an error */
    zk_buf_reset(&raw);
    zk_buf_reset(&b);
    w_bytes(&raw, 2, NULL, 0);
    w_body(&b, "v1", "WatchEvent", &raw);
    expect_json(&b, "{\"apiVersion\":\"v1\",\"kind\":\"WatchEvent\",\"object\":null}");
    zk_buf_reset(&raw);
    zk_buf_reset(&ext);
    zk_buf_reset(&b);
    w_str(&ext, 1, "{\"a\":");
    w_msg(&raw, 2, &ext);
    w_body(&b, "v1", "WatchEvent", &raw);
    expect_error(&b, ZK_EPARSE, "object: ");

    /* SubjectAccessReviewSpec.extra: map<string, ExtraValue{items = 1}> */
    zk_autobuf zk_buf spec = ZK_BUF_INIT(1 << 20), ent = ZK_BUF_INIT(1 << 20);
    zk_autobuf zk_buf items = ZK_BUF_INIT(1 << 20);
    zk_buf_reset(&raw);
    zk_buf_reset(&b);
    w_str(&spec, 3, "jane");
    w_str(&spec, 4, "devs");
    w_str(&spec, 4, "ops");
    w_str(&items, 1, "a");
    w_str(&items, 1, "b");
    w_str(&ent, 1, "scopes");
    w_msg(&ent, 2, &items);
    w_msg(&spec, 5, &ent);
    zk_buf_reset(&ent);
    w_str(&ent, 1, "none");
    w_msg(&spec, 5, &ent);
    w_msg(&raw, 2, &spec);
    w_body(&b, "authorization.k8s.io/v1", "SubjectAccessReview", &raw);
    expect_json(&b, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
                    "\"SubjectAccessReview\",\"spec\":{\"user\":\"jane\",\"groups\":[\"devs\","
                    "\"ops\"],\"extra\":{\"scopes\":[\"a\",\"b\"],\"none\":[]}}}");
}

static const zk_schema_type *type_named(const char *name)
{
    for (const zk_schema_type *const *t = zk_kube_schema_all(); *t; t++)
        if (!strcmp((*t)->name, name))
            return *t;
    return NULL;
}

/* Doubles (fixed64) and floats (fixed32), through decode_message. */
static void test_numbers(void **state)
{
    (void)state;
    const zk_schema_type *t =
        type_named("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps");
    assert_non_null(t);
    const zk_schema_field *max = zk_kube_schema_field(t, "maximum");
    const zk_schema_field *min = zk_kube_schema_field(t, "minimum");
    if (!max->proto || !min->proto)
        skip();
    zk_autobuf zk_buf m = ZK_BUF_INIT(1 << 20);
    double d = 1.5;
    float f = 2.25f;
    uint64_t db;
    uint32_t fb;
    memcpy(&db, &d, 8);
    memcpy(&fb, &f, 4);
    w_fixed(&m, (unsigned)max->proto, db, 8);
    w_fixed(&m, (unsigned)min->proto, fb, 4);
    zk_autojson json_t *got = NULL;
    zk_err err = {0};
    assert_int_equal(zk_kube_protobuf_decode_message(t, m.data, m.len, &got, &err), 0);
    assert_true(json_real_value(json_object_get(got, "maximum")) == 1.5);
    assert_true(json_real_value(json_object_get(got, "minimum")) == 2.25);
    /* NaN is not JSON */
    zk_buf_reset(&m);
    d = __builtin_nan("");
    memcpy(&db, &d, 8);
    w_fixed(&m, (unsigned)max->proto, db, 8);
    json_t *none = NULL;
    assert_int_equal(zk_kube_protobuf_decode_message(t, m.data, m.len, &none, &err), -ZK_EPARSE);
    assert_null(none);
}

static void test_bounds(void **state)
{
    (void)state;
    /* envelopes nested in WatchEvent objects past the depth limit */
    zk_autobuf zk_buf body = ZK_BUF_INIT(1 << 22);
    zk_autobuf zk_buf empty = ZK_BUF_INIT(16);
    w_body(&body, "v1", "Namespace", &empty);
    for (int i = 0; i < ZK_JSON_MAX_DEPTH; i++) {
        zk_autobuf zk_buf ext = ZK_BUF_INIT(1 << 22), raw = ZK_BUF_INIT(1 << 22);
        w_msg(&ext, 1, &body);
        w_msg(&raw, 2, &ext);
        zk_buf_reset(&body);
        w_body(&body, "v1", "WatchEvent", &raw);
    }
    expect_error(&body, ZK_ETOOBIG, "nesting depth");

    /* a recursive schema type (JSONSchemaProps.properties) nested too deep */
    const zk_schema_type *t =
        type_named("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps");
    const zk_schema_field *props = t ? zk_kube_schema_field(t, "properties") : NULL;
    if (props && props->proto && props->kind == ZK_S_MAP && props->elem.ref == t) {
        zk_autobuf zk_buf m = ZK_BUF_INIT(1 << 22);
        for (int i = 0; i < ZK_JSON_MAX_DEPTH + 2; i++) {
            zk_autobuf zk_buf ent = ZK_BUF_INIT(1 << 22), outer = ZK_BUF_INIT(1 << 22);
            w_str(&ent, 1, "p");
            w_msg(&ent, 2, &m);
            w_msg(&outer, (unsigned)props->proto, &ent);
            zk_buf_reset(&m);
            assert_int_equal(zk_buf_append(&m, outer.data, outer.len), 0);
        }
        json_t *got = NULL;
        zk_err err = {0};
        assert_int_equal(zk_kube_protobuf_decode_message(t, m.data, m.len, &got, &err),
                         -ZK_ETOOBIG);
        assert_null(got);
    }

    /* output past the size bound */
    size_t big = ZK_KUBE_PROTOBUF_MAX_OUT + 16;
    zk_autofree char *val = zk_xmalloc(big);
    memset(val, 'x', big);
    zk_autobuf zk_buf raw = ZK_BUF_INIT(big + 1024), e = ZK_BUF_INIT(big + 1024);
    zk_autobuf zk_buf b = ZK_BUF_INIT(big + 1024);
    w_str(&e, 1, "k");
    w_bytes(&e, 2, val, big);
    w_msg(&raw, 2, &e);
    w_body(&b, "v1", "ConfigMap", &raw);
    expect_error(&b, ZK_ETOOBIG, "exceeds the limit");
    /* many small values add up too: 2-byte empty entries of data, 7 bytes of JSON each */
    zk_buf_reset(&raw);
    zk_buf_reset(&b);
    while (raw.len < ZK_KUBE_PROTOBUF_MAX_OUT / 3)
        w_bytes(&raw, 2, NULL, 0);
    w_entry(&raw, 2, "k", "v");
    w_body(&b, "v1", "ConfigMap", &raw);
    expect_error(&b, ZK_ETOOBIG, "exceeds the limit");
}

int main(void)
{
    static const char *const vectors[] = {
        "namespace", "configmap", "secret", "secret_docker", "serviceaccount", "service",
        "quota", "token", "token_bound", "deployment", "deployment_zero", "role",
        "rolebinding", "clusterrole", "clusterrolebinding", "job", "cronjob", "can_i",
        "can_i_list",
    };
    struct CMUnitTest tests[64];
    size_t n = 0;
    static char names[ZK_ARRAY_LEN(vectors)][64];
    for (size_t i = 0; i < ZK_ARRAY_LEN(vectors); i++) {
        snprintf(names[i], sizeof(names[i]), "kubectl_%s", vectors[i]);
        tests[n++] = (struct CMUnitTest){ .name = names[i], .test_func = test_vector,
                                          .initial_state = (void *)vectors[i] };
    }
    const struct CMUnitTest rest[] = {
        cmocka_unit_test(test_core_meta_numbered),
        cmocka_unit_test(test_report_other_kinds),
        cmocka_unit_test(test_envelope_errors),
        cmocka_unit_test(test_wire_errors),
        cmocka_unit_test(test_unknown_fields_skipped),
        cmocka_unit_test(test_zero_values),
        cmocka_unit_test(test_special_types),
        cmocka_unit_test(test_inline_fields),
        cmocka_unit_test(test_raw_and_extra),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_bounds),
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(rest); i++)
        tests[n++] = rest[i];
    return _cmocka_run_group_tests("protobuf", tests, n, NULL, NULL);
}
