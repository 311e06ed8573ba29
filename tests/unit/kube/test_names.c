#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "kube/names.h"

#define LABEL_MSG                                                                          \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "    \
    "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "     \
    "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                      \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "  \
    "'-' or '.', and must start and end with an alphanumeric character (e.g. "             \
    "'example.com', regex used for validation is "                                         \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define DNS1035_MSG                                                                        \
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "   \
    "with an alphabetic character, and end with an alphanumeric character (e.g. "          \
    "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define QNAME_BODY                                                                         \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "    \
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "  \
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_MSG                                                                    \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', "   \
    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  " \
    "or 'my_value',  or '12345', regex used for validation is "                            \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define CONFIG_KEY_MSG                                                                     \
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "   \
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "            \
    "'[-._a-zA-Z0-9]+')"
#define C_ID_MSG                                                                           \
    "a valid C identifier must start with alphabetic character or '_', followed by a "     \
    "string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or "        \
    "'MyName', regex used for validation is '[A-Za-z_][A-Za-z0-9_]*')"

static const char long64[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; /* 64 */

typedef struct name_case {
    zk_kube_name_check fn;
    const char *in;
    const char *msgs[4]; /* expected messages in order; none = valid */
} name_case;

static const name_case cases[] = {
    /* RFC 1123 labels */
    {zk_kube_names_dns1123_label, "my-name", {NULL}},
    {zk_kube_names_dns1123_label, "123-abc", {NULL}},
    {zk_kube_names_dns1123_label, "a", {NULL}},
    {zk_kube_names_dns1123_label, "", {LABEL_MSG}},
    {zk_kube_names_dns1123_label, "Web", {LABEL_MSG}},
    {zk_kube_names_dns1123_label, "-web", {LABEL_MSG}},
    {zk_kube_names_dns1123_label, "web-", {LABEL_MSG}},
    {zk_kube_names_dns1123_label, "web_1", {LABEL_MSG}},
    {zk_kube_names_dns1123_label, "a.b", {"must not contain dots"}},
    {zk_kube_names_dns1123_label, long64, {"must be no more than 63 characters"}},
    /* RFC 1123 subdomains */
    {zk_kube_names_dns1123_subdomain, "example.com", {NULL}},
    {zk_kube_names_dns1123_subdomain, "web-1", {NULL}},
    {zk_kube_names_dns1123_subdomain, "a..b", {SUBDOMAIN_MSG}},
    {zk_kube_names_dns1123_subdomain, ".a", {SUBDOMAIN_MSG}},
    {zk_kube_names_dns1123_subdomain, "a.", {SUBDOMAIN_MSG}},
    {zk_kube_names_dns1123_subdomain, "Example.com", {SUBDOMAIN_MSG}},
    {zk_kube_names_dns1123_subdomain, "", {SUBDOMAIN_MSG}},
    /* RFC 1035 labels */
    {zk_kube_names_dns1035_label, "web", {NULL}},
    {zk_kube_names_dns1035_label, "1web", {DNS1035_MSG}},
    {zk_kube_names_dns1035_label, "web.x", {DNS1035_MSG}},
    /* qualified names (label keys) */
    {zk_kube_names_qualified_name, "app", {NULL}},
    {zk_kube_names_qualified_name, "MyName", {NULL}},
    {zk_kube_names_qualified_name, "example.com/my_name.x", {NULL}},
    {zk_kube_names_qualified_name, "kubernetes.io/metadata.name", {NULL}},
    {zk_kube_names_qualified_name, "", {"name part must be non-empty", "name part " QNAME_BODY}},
    {zk_kube_names_qualified_name, "-app", {"name part " QNAME_BODY}},
    {zk_kube_names_qualified_name, "/app", {"prefix part must be non-empty"}},
    {zk_kube_names_qualified_name, "Example.com/app", {"prefix part " SUBDOMAIN_MSG}},
    {zk_kube_names_qualified_name, "a/b/c",
     {"a qualified name " QNAME_BODY " with an optional DNS subdomain prefix and '/' (e.g. "
      "'example.com/MyName')"}},
    {zk_kube_names_qualified_name, long64, {"name part must be no more than 63 characters"}},
    /* label values */
    {zk_kube_names_label_value, "", {NULL}},
    {zk_kube_names_label_value, "v1.2_3-x", {NULL}},
    {zk_kube_names_label_value, "a b", {LABEL_VALUE_MSG}},
    {zk_kube_names_label_value, "-x", {LABEL_VALUE_MSG}},
    {zk_kube_names_label_value, long64, {"must be no more than 63 characters"}},
    /* path segments */
    {zk_kube_names_path_segment_name, "system:admin", {NULL}},
    {zk_kube_names_path_segment_name, ".", {"may not be '.'"}},
    {zk_kube_names_path_segment_name, "..", {"may not be '..'"}},
    {zk_kube_names_path_segment_name, "a/b%c", {"may not contain '/'", "may not contain '%'"}},
    /* C identifiers */
    {zk_kube_names_c_identifier, "_my_NAME1", {NULL}},
    {zk_kube_names_c_identifier, "1abc", {C_ID_MSG}},
    {zk_kube_names_c_identifier, "my-name", {C_ID_MSG}},
    /* env names, Kubernetes' relaxed rule */
    {zk_kube_names_env_var_name, "MY_VAR", {NULL}},
    {zk_kube_names_env_var_name, "1 my.var-x", {NULL}},
    {zk_kube_names_env_var_name, "A=B",
     {"a valid environment variable name must consist only of printable ASCII characters "
      "other than '='"}},
    {zk_kube_names_env_var_name, "", {"environment variable name must be non-empty"}},
    /* config keys */
    {zk_kube_names_config_map_key, "app.properties", {NULL}},
    {zk_kube_names_config_map_key, "a/b", {CONFIG_KEY_MSG}},
    {zk_kube_names_config_map_key, "..data", {"must not start with '..'"}},
    {zk_kube_names_config_map_key, ".", {"must not be '.'"}},
    /* port names */
    {zk_kube_names_port_name, "http", {NULL}},
    {zk_kube_names_port_name, "8080", {"must contain at least one letter (a-z)"}},
    {zk_kube_names_port_name, "web--x", {"must not contain consecutive hyphens"}},
    {zk_kube_names_port_name, "very-long-port-name",
     {"must be no more than 15 characters"}},
    {zk_kube_names_port_name, "HTTP",
     {"must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
      "must contain at least one letter (a-z)"}},
    /* percents, IPs, wildcard hosts */
    {zk_kube_names_percent, "25%", {NULL}},
    {zk_kube_names_percent, "25",
     {"a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  "
      "or '93%', regex used for validation is '[0-9]+%')"}},
    {zk_kube_names_ip, "10.43.0.1", {NULL}},
    {zk_kube_names_ip, "2001:db8::1", {NULL}},
    {zk_kube_names_ip, "10.43.0", {"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"}},
    {zk_kube_names_wildcard_dns1123_subdomain, "*.example.com", {NULL}},
};

static void test_name_table(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const name_case *c = &cases[i];
        zk_kube_name_msgs m;
        size_t want = 0;
        while (want < 4 && c->msgs[want])
            want++;
        size_t got = c->fn(c->in, &m);
        if (got != want)
            print_error("case %zu (\"%s\"): %zu messages, want %zu; first: %s\n", i, c->in, got,
                        want, got ? m.msg[0] : "-");
        assert_int_equal(got, want);
        for (size_t j = 0; j < want; j++) {
            if (strcmp(m.msg[j], c->msgs[j]) != 0)
                print_error("case %zu (\"%s\") msg %zu:\n got  %s\n want %s\n", i, c->in, j,
                            m.msg[j], c->msgs[j]);
            assert_string_equal(m.msg[j], c->msgs[j]);
        }
    }
}

static void test_bool_forms(void **state)
{
    char why[2048];
    assert_true(zk_kube_is_dns1123_subdomain("example.com", why, sizeof(why)));
    assert_false(zk_kube_is_dns1123_subdomain("Example.com", why, sizeof(why)));
    assert_string_equal(why, SUBDOMAIN_MSG);
    assert_true(zk_kube_is_dns1123_label("web-1", NULL, 0));
    assert_false(zk_kube_is_dns1123_label(long64, why, sizeof(why)));
    assert_string_equal(why, "must be no more than 63 characters");
    assert_false(zk_kube_is_qualified_name("", why, sizeof(why)));
    assert_string_equal(why, "name part must be non-empty; name part " QNAME_BODY);
    assert_true(zk_kube_is_label_value("", why, sizeof(why)));
    assert_false(zk_kube_is_path_segment_name("..", why, sizeof(why)));
    assert_string_equal(why, "may not be '..'");
    assert_true(zk_kube_is_c_identifier("FOO_BAR", why, sizeof(why)));
    assert_true(zk_kube_is_env_var_name("my.env-name", why, sizeof(why)));
    assert_false(zk_kube_is_config_map_key("a b", why, sizeof(why)));
    /* a short buffer truncates, never overflows */
    char tiny[8];
    assert_false(zk_kube_is_dns1123_label("A", tiny, sizeof(tiny)));
    assert_int_equal(strlen(tiny), 7);
}

static void test_object_names_and_prefixes(void **state)
{
    zk_kube_name_msgs m;
    /* generateName may end in '-' */
    assert_int_equal(zk_kube_names_object_subdomain("web-", true, &m), 0);
    assert_int_equal(zk_kube_names_object_subdomain("web-", false, &m), 1);
    assert_int_equal(zk_kube_names_object_label("db-", true, &m), 0);
    assert_int_equal(zk_kube_names_object_dns1035("svc-", true, &m), 0);
    assert_int_equal(zk_kube_names_object_path_segment("..", true, &m), 0);
    assert_int_equal(zk_kube_names_object_path_segment("..", false, &m), 1);
    assert_true(zk_kube_is_port_num(1));
    assert_true(zk_kube_is_port_num(65535));
    assert_false(zk_kube_is_port_num(0));
    assert_false(zk_kube_is_port_num(65536));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_table),
        cmocka_unit_test(test_bool_forms),
        cmocka_unit_test(test_object_names_and_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
