/* agent/dnsconf.c: a pod's resolv.conf by dnsPolicy and dnsConfig. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agent/dnsconf.h"

static const char host[] = "# the host's\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"
                           "search corp.example\noptions timeout:2 rotate\n";

static char *conf(const char *pod_json, const char *dns)
{
    json_error_t e;
    json_t *pod = json_loads(pod_json, 0, &e);
    if (!pod)
        fail_msg("bad JSON: %s", e.text);
    char *text = zk_agent_resolv_conf(pod, dns, "cluster.local", host);
    json_decref(pod);
    return text;
}

static void test_cluster_first(void **state)
{
    (void)state;
    char *t = conf("{\"metadata\":{\"namespace\":\"shop\"},\"spec\":{}}", "10.42.0.1");
    assert_string_equal(t, "nameserver 10.42.0.1\n"
                           "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
                           "options ndots:5\n");
    free(t);
    /* no cluster DNS on the node: the host's */
    t = conf("{\"metadata\":{\"namespace\":\"shop\"},\"spec\":{}}", "");
    assert_string_equal(t, "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example\n"
                           "options timeout:2 rotate\n");
    free(t);
}

static void test_host_network_and_default(void **state)
{
    (void)state;
    const char *want = "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example\n"
                       "options timeout:2 rotate\n";
    char *t = conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"hostNetwork\":true}}", "10.42.0.1");
    assert_string_equal(t, want);
    free(t);
    t = conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"dnsPolicy\":\"Default\"}}", "10.42.0.1");
    assert_string_equal(t, want);
    free(t);
    t = conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"hostNetwork\":true,"
             "\"dnsPolicy\":\"ClusterFirstWithHostNet\"}}", "10.42.0.1");
    assert_string_equal(t, "nameserver 10.42.0.1\n"
                           "search a.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
                           "options ndots:5\n");
    free(t);
}

static void test_none_and_dns_config(void **state)
{
    (void)state;
    char *t = conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"dnsPolicy\":\"None\","
                   "\"dnsConfig\":{\"nameservers\":[\"1.1.1.1\",\"1.1.1.1\"],"
                   "\"searches\":[\"x.example\"],"
                   "\"options\":[{\"name\":\"ndots\",\"value\":\"2\"},{\"name\":\"edns0\"}]}}}",
                   "10.42.0.1");
    assert_string_equal(t, "nameserver 1.1.1.1\nsearch x.example\noptions ndots:2 edns0\n");
    free(t);
    /* dnsConfig on top of ClusterFirst: ndots replaced, more servers kept to 3 */
    t = conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"dnsConfig\":{"
             "\"nameservers\":[\"1.1.1.1\",\"2.2.2.2\",\"3.3.3.3\"],"
             "\"options\":[{\"name\":\"ndots\",\"value\":\"1\"}]}}}",
             "10.42.0.1");
    assert_string_equal(t, "nameserver 10.42.0.1\nnameserver 1.1.1.1\nnameserver 2.2.2.2\n"
                           "search a.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
                           "options ndots:1\n");
    free(t);
    /* nothing at all: an empty file, not a missing one */
    t = conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"dnsPolicy\":\"None\"}}", "10.42.0.1");
    assert_string_equal(t, "\n");
    free(t);
}

static void test_hostile_values_dropped(void **state)
{
    (void)state;
    char *t = conf("{\"metadata\":{\"namespace\":\"a\"},\"spec\":{\"dnsPolicy\":\"None\","
                   "\"dnsConfig\":{\"nameservers\":[\"1.1.1.1\\nnameserver 6.6.6.6\"],"
                   "\"searches\":[\"a b\",\"ok.example\"]}}}",
                   "10.42.0.1");
    assert_string_equal(t, "search ok.example\n");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_first),
        cmocka_unit_test(test_host_network_and_default),
        cmocka_unit_test(test_none_and_dns_config),
        cmocka_unit_test(test_hostile_values_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
