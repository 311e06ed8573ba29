#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/quantity.h"

static const char format_msg[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

static void parse_ok(const char *in, zk_kube_quantity *q)
{
    zk_err err = {0};
    int rc = zk_kube_quantity_parse(in, q, &err);
    if (rc != 0)
        fail_msg("parse %s: %s", in, err.msg);
}

/* What Kubernetes serializes for each input (String() after ParseQuantity),
 * mostly from apimachinery's own tables. */
static void test_parse_and_serialize(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "0", "0" },
        { "0n", "0" },
        { "0Ki", "0" },
        { "0.0", "0" },
        { "-0", "0" },
        { "1", "1" },
        { "1000m", "1" },
        { "0.1", "100m" },
        { "1.5", "1500m" },
        { "1.5Gi", "1536Mi" },
        { "1024Mi", "1Gi" },
        { "1000M", "1G" },
        { "1e3", "1e3" },
        { "100000000n", "100m" },
        { "1Ki", "1Ki" },
        { "8Ki", "8Ki" },
        { "1Ei", "1Ei" },
        { "2048Ki", "2Mi" },
        { "1025Ki", "1025Ki" },
        { "300Mi", "300Mi" },
        { "307200Ki", "300Mi" },
        { ".001Ki", "1024m" },
        { ".000001Ki", "1024u" },
        { ".000000001Ki", "1024n" },
        { ".000000000001Ki", "2n" },
        { "0.5Mi", "512Ki" },
        { "100.035Ki", "102435840m" },
        { "0.05Gi", "53687091200m" },
        { "0.025Ti", "27487790694400m" },
        { "50k", "50k" },
        { "100.035k", "100.035k" }, /* canonical-looking: kept */
        { "0.0005k", "500m" },
        { "10.035M", "10.035M" },
        { "10.0350M", "10035k" },
        { "1080m", "1080m" },
        { "1.08", "1080m" },
        { "1080000000n", "1080m" },
        { "1000u", "1m" },
        { "0.001T", "1G" },
        { "1.2e3", "1200" },
        { "1.3E+6", "1300e3" },
        { "1.7E18", "1700e15" },
        { "0.5e-2", "5e-3" },
        { "1000e-12", "1e-9" },
        { ".001e12", "1e9" },
        { "1e-10", "1e-9" },
        { "3.001n", "4n" },
        { "1.1E-9", "2e-9" },
        { "0.0000000001", "1n" },
        { "0.00000012345", "124n" },
        { "0.9n", "1n" },
        { "-0.9n", "-1n" },
        { "12E", "12E" },
        { "1000E", "1e21" },
        { "5000E", "5e21" },
        { "9Ei", "9223372036854775807" },
        { "9223372036854775807Ki", "9223372036854775807" },
        { "-9Ei", "-9223372036854775807" },
        { "99999999999999999999999999999999999999999Ei", "9223372036854775807" },
        { "1.1", "1100m" },
        { "-1.1", "-1100m" },
        { "-1.5Gi", "-1536Mi" },
        { "1e-2147483647", "1e-9" },
        /* Kubernetes keeps a spelling that is already canonical, verbatim */
        { "+1", "+1" },
        { "01", "01" },
        { "1.", "1." },
        { "1.G", "1.G" },
        { "1E3", "1E3" },
        { "1e+3", "1e+3" },
        { "1.500k", "1.500k" },
        { "+1Ki", "+1Ki" },
        /* degenerate but valid in Kubernetes */
        { "-", "0" },
        { "+", "0" },
        { ".", "0" },
        { "e3", "0" },
        { "Ki", "0" },
        { "Ti", "0" },
        { "e-9", "0" },
        /* large integers round up once at 1n */
        { "9223372036854775808e-19", "922337204e-9" },
        { "18446744073709551615e-10", "1844674407370955162e-9" },
        { "-9223372036854775806Ki", "-9223372036854775807" },
        { "7Ei", "7Ei" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_kube_quantity q;
        char out[ZK_KUBE_QUANTITY_STR_MAX];
        parse_ok(cases[i].in, &q);
        zk_kube_quantity_string(&q, out, sizeof out);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("%s: got %s, want %s", cases[i].in, out, cases[i].out);
    }
}

static void test_canonical_ignores_kept_spelling(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "+1", "1" },
        { "01", "1" },
        { "1.", "1" },
        { "1.G", "1G" },
        { "1E3", "1e3" },
        { "1e+3", "1e3" },
        { "1.500k", "1500" },
        { "+1Ki", "1Ki" },
        { "100.035k", "100035" },
        { "10.035M", "10035k" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_kube_quantity q;
        char out[ZK_KUBE_QUANTITY_STR_MAX];
        parse_ok(cases[i].in, &q);
        zk_kube_quantity_canonical(&q, out, sizeof out);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("%s: got %s, want %s", cases[i].in, out, cases[i].out);
    }
}

static void test_formats(void **state)
{
    static const struct {
        const char *in;
        zk_kube_quantity_format format;
    } cases[] = {
        { "1", ZK_KUBE_QUANTITY_DECIMAL_SI },
        { "1k", ZK_KUBE_QUANTITY_DECIMAL_SI },
        { "1Ki", ZK_KUBE_QUANTITY_BINARY_SI },
        { "0Mi", ZK_KUBE_QUANTITY_BINARY_SI },
        { "1e3", ZK_KUBE_QUANTITY_DECIMAL_EXPONENT },
        { "1E-3", ZK_KUBE_QUANTITY_DECIMAL_EXPONENT },
        /* a binary quantity between 0 and 1 becomes DecimalSI */
        { "0.000000000001Ki", ZK_KUBE_QUANTITY_DECIMAL_SI },
        { "0.5Ki", ZK_KUBE_QUANTITY_BINARY_SI },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_kube_quantity q;
        parse_ok(cases[i].in, &q);
        if (q.format != cases[i].format)
            fail_msg("%s: format %d, want %d", cases[i].in, q.format, cases[i].format);
    }
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *in, *msg;
    } cases[] = {
        { "", format_msg },
        { " 1", format_msg },
        { "1 ", format_msg },
        { "1.1.M", format_msg },
        { "1+1.0M", format_msg },
        { "aoeu", format_msg },
        { "1e3Ki", format_msg },
        { "true", format_msg },
        { "0.1mi", "unable to parse quantity's suffix" },
        { "0.1am", format_msg },
        { ".5i", "unable to parse quantity's suffix" },
        { "1i", "unable to parse quantity's suffix" },
        { "-3.01i", "unable to parse quantity's suffix" },
        { "-3.01e-", "unable to parse quantity's suffix" },
        { "1ki", "unable to parse quantity's suffix" },
        { "1K", "unable to parse quantity's suffix" },
        { "1e", "unable to parse quantity's suffix" },
        { "1Gi3", "unable to parse quantity's suffix" },
        { "1e2147483648", "unable to parse quantity's suffix" },
        { "1e4294967297", "unable to parse quantity's suffix" },
        { "1e99999999999999999999", "unable to parse quantity's suffix" },
        { "e-10", "unable to parse numeric part of quantity" },
        { "-.e-10", "unable to parse numeric part of quantity" },
        { "Pi", "unable to parse numeric part of quantity" },
        { ".Ei", "unable to parse numeric part of quantity" },
        { "1e2147483647", "quantity too large" },
        { "1e30", "quantity too large" },
        { "170141183460469231731687303715884105728n", "quantity too large" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_kube_quantity q;
        zk_err err = {0};
        int rc = zk_kube_quantity_parse(cases[i].in, &q, &err);
        if (rc != -ZK_EINVAL)
            fail_msg("%s: rc %d, want -ZK_EINVAL", cases[i].in, rc);
        if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("%s: message %s, want %s", cases[i].in, err.msg, cases[i].msg);
        assert_true(zk_kube_quantity_is_zero(&q));
    }
    /* a NUL inside the text is not a quantity */
    zk_kube_quantity q;
    assert_int_equal(zk_kube_quantity_parse_n("1\0k", 3, &q, NULL), -ZK_EINVAL);
}

static void test_range_edges(void **state)
{
    zk_kube_quantity q;
    char out[ZK_KUBE_QUANTITY_STR_MAX];
    /* the largest value held: just under 2^127 nanos */
    parse_ok("170141183460469231731687303715884105727n", &q);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "170141183460469231731687303715884105727n");
    parse_ok("-170141183460469231731687303715884105727n", &q);
    assert_int_equal(zk_kube_quantity_sign(&q), -1);
    parse_ok("100000000000000000000", &q);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "100E");
    /* a long fraction is exact and rounds up once */
    parse_ok("0.000000000000000000000000000000000000000000000000000000000000001", &q);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "1n");
    parse_ok("00000000000000000000000000000000000000000000000000000000000000000005", &q);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "5");
}

static void test_cmp(void **state)
{
    static const struct {
        const char *a, *b;
        int want;
    } cases[] = {
        { "0", "0", 0 },
        { "100m", "50m", 1 },
        { "50m", "100m", -1 },
        { "10000T", "100Gi", 1 },
        { "1Gi", "1024Mi", 0 },
        { "1", "1000m", 0 },
        { "-1", "0", -1 },
        { "1e3", "1k", 0 },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_kube_quantity a, b;
        parse_ok(cases[i].a, &a);
        parse_ok(cases[i].b, &b);
        if (zk_kube_quantity_cmp(&a, &b) != cases[i].want)
            fail_msg("cmp(%s, %s) != %d", cases[i].a, cases[i].b, cases[i].want);
        if (zk_kube_quantity_cmp(&b, &a) != -cases[i].want)
            fail_msg("cmp(%s, %s) != %d", cases[i].b, cases[i].a, -cases[i].want);
    }
}

static void test_milli_and_value(void **state)
{
    static const struct {
        const char *in;
        int64_t milli, value;
    } cases[] = {
        { "1", 1000, 1 },
        { "1.5", 1500, 2 },
        { "-1.5", -1500, -2 },
        { "100m", 100, 1 },
        { "1n", 1, 1 },
        { "-1n", -1, -1 },
        { "1Gi", 1073741824000LL, 1073741824LL },
        { "0", 0, 0 },
        { "9223372036854775m", 9223372036854775LL, 9223372036855LL },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_kube_quantity q;
        int64_t m = 0, v = 0;
        parse_ok(cases[i].in, &q);
        assert_int_equal(zk_kube_quantity_milli(&q, &m, NULL), 0);
        assert_int_equal(zk_kube_quantity_value(&q, &v, NULL), 0);
        if (m != cases[i].milli || v != cases[i].value)
            fail_msg("%s: milli %lld value %lld", cases[i].in, (long long)m, (long long)v);
    }

    zk_kube_quantity q;
    zk_err err = {0};
    int64_t out = 0;
    parse_ok("9223372036854775807", &q);
    assert_int_equal(zk_kube_quantity_value(&q, &out, NULL), 0);
    assert_true(out == INT64_MAX);
    assert_int_equal(zk_kube_quantity_milli(&q, &out, &err), -ZK_ETOOBIG);
    assert_true(out == INT64_MAX);
    assert_non_null(strstr(err.msg, "does not fit"));
    parse_ok("-1e21", &q);
    assert_int_equal(zk_kube_quantity_value(&q, &out, NULL), -ZK_ETOOBIG);
    assert_true(out == INT64_MIN);
    parse_ok("-9223372036854775808", &q);
    assert_int_equal(zk_kube_quantity_value(&q, &out, NULL), 0);
    assert_true(out == INT64_MIN);
}

static void test_constructors_and_add(void **state)
{
    zk_kube_quantity q, y;
    char out[ZK_KUBE_QUANTITY_STR_MAX];
    zk_err err = {0};

    zk_kube_quantity_from_milli(1500, ZK_KUBE_QUANTITY_DECIMAL_SI, &q);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "1500m");
    zk_kube_quantity_from_value(1073741824, ZK_KUBE_QUANTITY_BINARY_SI, &q);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "1Gi");
    zk_kube_quantity_from_milli(500, ZK_KUBE_QUANTITY_BINARY_SI, &q);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "500m");
    zk_kube_quantity_from_value(INT64_MIN, ZK_KUBE_QUANTITY_DECIMAL_SI, &q);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "-9223372036854775808");

    /* adding to zero takes the other's format */
    parse_ok("0", &q);
    parse_ok("1Gi", &y);
    assert_int_equal(zk_kube_quantity_add(&q, &y, &err), 0);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "1Gi");
    parse_ok("100m", &q);
    parse_ok("0", &y);
    assert_int_equal(zk_kube_quantity_add(&q, &y, &err), 0);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "100m");
    parse_ok("+1", &q);
    parse_ok("500m", &y);
    assert_int_equal(zk_kube_quantity_add(&q, &y, &err), 0);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "1500m");
    assert_int_equal(zk_kube_quantity_sub(&q, &y, &err), 0);
    assert_int_equal(zk_kube_quantity_sub(&q, &y, &err), 0);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "500m");

    /* overflow is an error and leaves q alone */
    parse_ok("170141183460469231731687303715884105727n", &q);
    parse_ok("1n", &y);
    assert_int_equal(zk_kube_quantity_add(&q, &y, &err), -ZK_ETOOBIG);
    zk_kube_quantity_string(&q, out, sizeof out);
    assert_string_equal(out, "170141183460469231731687303715884105727n");
    parse_ok("-170141183460469231731687303715884105727n", &q);
    assert_int_equal(zk_kube_quantity_sub(&q, &y, &err), -ZK_ETOOBIG);
}

static void test_div_ratio(void **state)
{
    static const struct {
        const char *q, *ratio, *unit;
        zk_kube_round round;
        const char *want;
    } cases[] = {
        { "2", "10", "1m", ZK_KUBE_ROUND_UP, "200m" },
        { "1Gi", "1.5", "1Mi", ZK_KUBE_ROUND_UP, "683Mi" },
        { "1Gi", "1.5", "1Mi", ZK_KUBE_ROUND_DOWN, "682Mi" },
        { "1Gi", "1.5", "1", ZK_KUBE_ROUND_UP, "715827883" },
        { "1Gi", "1.5", "1", ZK_KUBE_ROUND_DOWN, "715827882" },
        { "100m", "3", "1m", ZK_KUBE_ROUND_UP, "34m" },
        { "100m", "3", "1m", ZK_KUBE_ROUND_DOWN, "33m" },
        { "100m", "3", NULL, ZK_KUBE_ROUND_DOWN, "33333333n" },
        { "-100m", "3", "1m", ZK_KUBE_ROUND_UP, "-34m" },
        { "3Gi", "1", "1Gi", ZK_KUBE_ROUND_UP, "3Gi" },
        { "1", "0.001", "1", ZK_KUBE_ROUND_UP, "1k" },
        { "1E", "0.000000001", NULL, ZK_KUBE_ROUND_UP, "1e27" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_kube_quantity q, r, u, out;
        char s[ZK_KUBE_QUANTITY_STR_MAX];
        zk_err err = {0};
        parse_ok(cases[i].q, &q);
        parse_ok(cases[i].ratio, &r);
        if (cases[i].unit)
            parse_ok(cases[i].unit, &u);
        if (zk_kube_quantity_div_ratio(&q, &r, cases[i].unit ? &u : NULL, cases[i].round, &out,
                                       &err) != 0)
            fail_msg("%s / %s: %s", cases[i].q, cases[i].ratio, err.msg);
        zk_kube_quantity_string(&out, s, sizeof s);
        if (strcmp(s, cases[i].want) != 0)
            fail_msg("%s / %s to %s: got %s, want %s", cases[i].q, cases[i].ratio,
                     cases[i].unit ? cases[i].unit : "1n", s, cases[i].want);
    }

    zk_kube_quantity q, r, out;
    parse_ok("1", &q);
    parse_ok("0", &r);
    assert_int_equal(zk_kube_quantity_div_ratio(&q, &r, NULL, ZK_KUBE_ROUND_UP, &out, NULL),
                     -ZK_EINVAL);
    parse_ok("-1", &r);
    assert_int_equal(zk_kube_quantity_div_ratio(&q, &r, NULL, ZK_KUBE_ROUND_UP, &out, NULL),
                     -ZK_EINVAL);
    parse_ok("1000E", &q);
    parse_ok("1n", &r);
    assert_int_equal(zk_kube_quantity_div_ratio(&q, &r, NULL, ZK_KUBE_ROUND_UP, &out, NULL),
                     -ZK_ETOOBIG);
}

static void test_json(void **state)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        { "\"100m\"", "100m" },
        { "\" 100m\\n\"", "100m" },
        { "\"\\u00a01Gi\\u3000\"", "1Gi" },
        { "\"1000m\"", "1" },
        { "2", "2" },
        { "-3", "-3" },
        { "0.5", "500m" },
        { "1.5e9", "1500e6" },
        { "null", "0" },
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_autojson json_t *in = NULL;
        zk_autojson json_t *out = NULL;
        zk_err err = {0};
        assert_int_equal(zk_json_decode(cases[i].json, strlen(cases[i].json), &in, &err), 0);
        if (zk_kube_quantity_normalize_json(in, &out, &err) != 0)
            fail_msg("%s: %s", cases[i].json, err.msg);
        assert_true(json_is_string(out));
        if (strcmp(json_string_value(out), cases[i].want) != 0)
            fail_msg("%s: got %s, want %s", cases[i].json, json_string_value(out), cases[i].want);
    }
    static const char *const bad[] = { "true", "{}", "[]", "\"1 k\"", "\"\"", "\"x\"" };
    for (size_t i = 0; i < ZK_ARRAY_LEN(bad); i++) {
        zk_autojson json_t *in = NULL;
        json_t *out = NULL;
        zk_err err = {0};
        assert_int_equal(zk_json_decode(bad[i], strlen(bad[i]), &in, &err), 0);
        assert_int_equal(zk_kube_quantity_normalize_json(in, &out, &err), -ZK_EINVAL);
        assert_null(out);
        assert_non_null(strstr(err.msg, "quantities must match"));
    }
}

static void test_string_buffer_contract(void **state)
{
    zk_kube_quantity q;
    char small[4];
    parse_ok("1536Mi", &q);
    assert_int_equal(zk_kube_quantity_string(&q, small, sizeof small), 6);
    assert_string_equal(small, "153");
    assert_int_equal(zk_kube_quantity_canonical(&q, NULL, 0), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_serialize),
        cmocka_unit_test(test_canonical_ignores_kept_spelling),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_range_edges),
        cmocka_unit_test(test_cmp),
        cmocka_unit_test(test_milli_and_value),
        cmocka_unit_test(test_constructors_and_add),
        cmocka_unit_test(test_div_ratio),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_string_buffer_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
