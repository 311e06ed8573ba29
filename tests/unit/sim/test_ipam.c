/* Pod address pools of simulated nodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim/ipam.h"

static void test_parse_ipv4(void **state)
{
    uint32_t a;
    assert_true(zk_sim_ipv4_parse("10.128.3.7", &a));
    assert_int_equal(a, (10u << 24) | (128u << 16) | (3u << 8) | 7u);
    assert_true(zk_sim_ipv4_parse("0.0.0.0", &a));
    assert_int_equal(a, 0);
    assert_true(zk_sim_ipv4_parse("255.255.255.255", &a));
    assert_int_equal(a, 0xffffffffu);
    static const char *const bad[] = {"", "1.2.3", "1.2.3.4.5", "1..2.3", "256.1.1.1",
                                      "1.2.3.4 ", "a.b.c.d", "1.2.3.-4", "1234.1.1.1",
                                      "fe80::1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(zk_sim_ipv4_parse(bad[i], &a));
    char out[16];
    zk_sim_ipv4_format(a = (192u << 24) | (168u << 16) | 255u, out, sizeof(out));
    assert_string_equal(out, "192.168.0.255");
}

static void test_bad_cidrs(void **state)
{
    static const char *const bad[] = {"10.0.0.0",      "10.0.0.0/",    "10.0.0.0/33",
                                      "10.0.0.0/31",   "10.0.0.0/7",   "fe80::/64",
                                      "10.0.0/24",     "10.0.0.0/24x", "300.0.0.0/24",
                                      "10.0.0.0/-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        zk_sim_ipam p;
        zk_err err = {0};
        assert_true(zk_sim_ipam_init(&p, bad[i], &err) < 0);
        assert_non_null(strstr(err.msg, "pod CIDR"));
    }
}

static void test_a_24_hands_out_each_host_once(void **state)
{
    zk_sim_ipam p;
    assert_int_equal(zk_sim_ipam_init(&p, "10.128.5.77/24", NULL), 0);   /* host bits masked */
    assert_int_equal(zk_sim_ipam_capacity(&p), 253);
    char ip[16], seen[256] = {0};
    assert_int_equal(zk_sim_ipam_alloc(&p, ip, sizeof(ip)), 0);
    assert_string_equal(ip, "10.128.5.2");   /* .0 network, .1 gateway */
    seen[2] = 1;
    for (int i = 1; i < 253; i++) {
        assert_int_equal(zk_sim_ipam_alloc(&p, ip, sizeof(ip)), 0);
        unsigned a, b, c, d;
        assert_int_equal(sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
        assert_int_equal(a * 1000000 + b * 1000 + c, 10128005);
        assert_true(d >= 2 && d <= 254);   /* never .255, the broadcast address */
        assert_int_equal(seen[d], 0);
        seen[d] = 1;
    }
    assert_int_equal(zk_sim_ipam_alloc(&p, ip, sizeof(ip)), -ZK_ETOOBIG);
    /* the one given back is the only one left */
    assert_true(zk_sim_ipam_release(&p, "10.128.5.100"));
    assert_false(zk_sim_ipam_release(&p, "10.128.5.100"));
    assert_int_equal(zk_sim_ipam_alloc(&p, ip, sizeof(ip)), 0);
    assert_string_equal(ip, "10.128.5.100");
    zk_sim_ipam_free(&p);
}

static void test_freed_address_is_not_reused_at_once(void **state)
{
    zk_sim_ipam p;
    assert_int_equal(zk_sim_ipam_init(&p, "10.0.0.0/24", NULL), 0);
    char a[16], b[16];
    assert_int_equal(zk_sim_ipam_alloc(&p, a, sizeof(a)), 0);
    assert_true(zk_sim_ipam_release(&p, a));
    assert_int_equal(zk_sim_ipam_alloc(&p, b, sizeof(b)), 0);
    assert_string_not_equal(a, b);
    zk_sim_ipam_free(&p);
}

static void test_reserve(void **state)
{
    zk_sim_ipam p;
    assert_int_equal(zk_sim_ipam_init(&p, "10.0.0.0/24", NULL), 0);
    assert_true(zk_sim_ipam_reserve(&p, "10.0.0.2"));
    assert_false(zk_sim_ipam_reserve(&p, "10.0.0.2"));   /* taken */
    assert_false(zk_sim_ipam_reserve(&p, "10.0.0.0"));   /* network */
    assert_false(zk_sim_ipam_reserve(&p, "10.0.0.1"));   /* gateway */
    assert_false(zk_sim_ipam_reserve(&p, "10.0.0.255")); /* broadcast */
    assert_false(zk_sim_ipam_reserve(&p, "10.0.1.5"));   /* another network */
    assert_false(zk_sim_ipam_reserve(&p, "junk"));
    assert_false(zk_sim_ipam_reserve(&p, NULL));
    char ip[16];
    assert_int_equal(zk_sim_ipam_alloc(&p, ip, sizeof(ip)), 0);
    assert_string_equal(ip, "10.0.0.3");   /* .2 is reserved */
    assert_false(zk_sim_ipam_release(&p, "10.0.0.9"));   /* never taken */
    zk_sim_ipam_free(&p);
}

static void test_large_pool_is_capped(void **state)
{
    zk_sim_ipam p;
    assert_int_equal(zk_sim_ipam_init(&p, "10.0.0.0/12", NULL), 0);
    assert_int_equal(zk_sim_ipam_capacity(&p), ZK_SIM_IPAM_MAX - 2);
    assert_true(zk_sim_ipam_reserve(&p, "10.0.255.255"));   /* inside the first 65,536 */
    assert_false(zk_sim_ipam_reserve(&p, "10.1.0.5"));      /* past them */
    zk_sim_ipam_free(&p);
    /* the smallest pool: a /30 has one address to give */
    assert_int_equal(zk_sim_ipam_init(&p, "10.0.0.4/30", NULL), 0);
    char ip[16];
    assert_int_equal(zk_sim_ipam_alloc(&p, ip, sizeof(ip)), 0);
    assert_string_equal(ip, "10.0.0.6");
    assert_int_equal(zk_sim_ipam_alloc(&p, ip, sizeof(ip)), -ZK_ETOOBIG);
    zk_sim_ipam_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ipv4),
        cmocka_unit_test(test_bad_cidrs),
        cmocka_unit_test(test_a_24_hands_out_each_host_once),
        cmocka_unit_test(test_freed_address_is_not_reused_at_once),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_large_pool_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
