/* proxy/iptrules.c: Services as iptables chains, iptables-save read back,
 * and the iptables-restore input between plans. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "proxy/iptrules.h"
#include "proxy/rules.h"

#include "fixtures.h"

#define P "Ztest0001-"

static const zk_proxy_cfg cfg = {.table = "zketest", .cluster_cidr = "10.42.0.0/16",
                                 .mode = ZK_PROXY_IPTABLES, .prefix = P};

static json_t *plan_of(json_t *svc, json_t *sl)
{
    char why[256];
    json_t *p = zk_proxy_plan(&cfg, svc, sl ? &sl : NULL, sl ? 1 : 0, why, sizeof(why));
    assert_string_equal(why, "");
    return p;
}

/* The nth chain of the plan whose name is P KIND-..., or NULL. */
static const char *chain_named(json_t *plan, const char *kind, size_t nth)
{
    const char *k;
    json_t *v;
    char want[32];
    snprintf(want, sizeof(want), P "%s-", kind);
    json_object_foreach(json_object_get(plan, "chains"), k, v) {
        if (!strncmp(k, want, strlen(want)) && nth-- == 0)
            return k;
    }
    return NULL;
}

static const char *rule(json_t *plan, const char *chain, size_t i)
{
    return json_string_value(json_array_get(zk_json_path(plan, "chains", chain, NULL), i));
}

static void test_prefix_and_chain_names(void **state)
{
    (void)state;
    char prefix[ZK_PROXY_PREFIX_SIZE];
    zk_proxy_ipt_prefix("zke94ecdbf8", prefix);
    assert_int_equal(strlen(prefix), 10);
    assert_true(prefix[0] == 'Z' && prefix[9] == '-');
    char other[ZK_PROXY_PREFIX_SIZE];
    zk_proxy_ipt_prefix("zke94ecdbf9", other);
    assert_string_not_equal(prefix, other);
    /* FNV-1a 32 of "zketest", as the integration test computes it */
    zk_proxy_ipt_prefix("zketest", prefix);
    assert_string_equal(prefix, "Z93bdd7f5-");

    json_t *svc = svc_web(), *sl = slice("10.42.0.6,10.42.0.5");
    json_t *p = plan_of(svc, sl);
    const char *k;
    json_t *v;
    size_t nchains = 0;
    json_object_foreach(json_object_get(p, "chains"), k, v) {
        assert_true(strlen(k) <= 28);   /* iptables' limit */
        nchains++;
    }
    assert_int_equal(nchains, 3);      /* SVC and two SEP; no EXT without a node port */
    assert_null(chain_named(p, "EXT", 0));
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

static void test_cluster_ip_chains(void **state)
{
    (void)state;
    json_t *svc = svc_web(), *sl = slice("10.42.0.6,10.42.0.5");
    json_t *p = plan_of(svc, sl);
    const char *svcc = chain_named(p, "SVC", 0);
    assert_non_null(svcc);
    /* masquerade from outside the pods and the host, then the pick: the
     * first endpoint (sorted) half the time, else the second */
    assert_string_equal(rule(p, svcc, 0),
                        "! -s 10.42.0.0/16 -m addrtype ! --src-type LOCAL -j " P "MARK-MASQ");
    assert_true(strstr(rule(p, svcc, 1), "-m statistic --mode random --probability 0.5000000000 -j " P "SEP-") == rule(p, svcc, 1));
    assert_true(!strncmp(rule(p, svcc, 2), "-j " P "SEP-", strlen("-j " P "SEP-")));
    assert_null(rule(p, svcc, 3));
    /* the first pick is 10.42.0.5's chain */
    const char *first = strstr(rule(p, svcc, 1), "-j ") + 3;
    assert_string_equal(rule(p, first, 0), "-s 10.42.0.5/32 -j " P "MARK-MASQ");
    assert_string_equal(rule(p, first, 1), "-p tcp -m comment --comment default/web/tcp/80 -j DNAT "
                                           "--to-destination 10.42.0.5:8080");
    /* the cluster IP's rule in the shared chain */
    char want[256];
    snprintf(want, sizeof(want),
             P "SERVICES -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment "
               "default/web/tcp/80 -j %s", svcc);
    assert_true(json_is_true(zk_json_path(p, "nat", want, NULL)));
    assert_int_equal(json_object_size(json_object_get(p, "nat")), 1);
    assert_null(json_object_get(p, "filter"));
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

static void test_weights_and_three_ways(void **state)
{
    (void)state;
    json_t *svc = svc_web(), *sl = slice("10.42.0.5,10.42.0.6,10.42.0.7");
    json_t *p = plan_of(svc, sl);
    const char *s = chain_named(p, "SVC", 0);
    assert_non_null(strstr(rule(p, s, 1), "--probability 0.3333333333 "));
    assert_non_null(strstr(rule(p, s, 2), "--probability 0.5000000000 "));
    assert_null(strstr(rule(p, s, 3), "probability"));
    json_decref(p);
    json_decref(sl);
    /* blue 9, green 1: 9 in 10 to blue, the rest to green */
    json_object_set_new(json_object_get(svc, "metadata"), "annotations",
                        json_pack("{s:s}", "zke.io/weights", "blue-=9,green-=1"));
    sl = slice("10.42.0.5=blue-1,10.42.0.6=green-1");
    p = plan_of(svc, sl);
    s = chain_named(p, "SVC", 0);
    assert_non_null(strstr(rule(p, s, 1), "--probability 0.9000000000 "));
    assert_null(strstr(rule(p, s, 2), "probability"));
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

static void test_affinity_node_port_external_ip(void **state)
{
    (void)state;
    json_t *svc = svc_web(), *sl = slice("10.42.0.5,10.42.0.6");
    json_t *spec = json_object_get(svc, "spec");
    zk_json_set_str(spec, "type", "NodePort");
    zk_json_set_str(spec, "sessionAffinity", "ClientIP");
    json_object_set_new(spec, "sessionAffinityConfig", js("{\"clientIP\":{\"timeoutSeconds\":60}}"));
    json_object_set_new(spec, "externalIPs", js("[\"192.0.2.10\"]"));
    json_object_set_new(json_array_get(json_object_get(spec, "ports"), 0), "nodePort",
                        json_integer(30080));
    json_t *p = plan_of(svc, sl);
    const char *s = chain_named(p, "SVC", 0), *ext = chain_named(p, "EXT", 0);
    assert_non_null(ext);
    /* a client seen within 60 s goes back to its endpoint before any pick */
    assert_non_null(strstr(rule(p, s, 1), "-m recent --rcheck --seconds 60 --reap --name " P "SEP-"));
    assert_non_null(strstr(rule(p, s, 2), "-m recent --rcheck --seconds 60 --reap --name " P "SEP-"));
    assert_non_null(strstr(rule(p, s, 3), "--probability 0.5000000000"));
    const char *sep = strstr(rule(p, s, 1), "-j ") + 3;
    char want[256];
    snprintf(want, sizeof(want), "-m recent --set --name %s --mask 255.255.255.255 --rsource", sep);
    assert_string_equal(rule(p, sep, 1), want);
    /* node port and external IP go through EXT */
    assert_string_equal(rule(p, ext, 0), "-s 127.0.0.0/8 -j " P "MARK-MASQ");
    assert_string_equal(rule(p, ext, 1), "-m addrtype ! --src-type LOCAL -j " P "MARK-MASQ");
    snprintf(want, sizeof(want), "-j %s", s);
    assert_string_equal(rule(p, ext, 2), want);
    snprintf(want, sizeof(want),
             P "NODEPORTS -p tcp -m tcp --dport 30080 -m comment --comment default/web/tcp/80 -j %s",
             ext);
    assert_true(json_is_true(zk_json_path(p, "nat", want, NULL)));
    snprintf(want, sizeof(want),
             P "SERVICES -d 192.0.2.10/32 -p tcp -m tcp --dport 80 -m comment --comment "
               "default/web/tcp/80 -j %s", ext);
    assert_true(json_is_true(zk_json_path(p, "nat", want, NULL)));
    json_decref(p);
    json_decref(sl);
    /* no endpoints: refused in filter, on the cluster IP, external IP and node port */
    sl = slice("");
    p = plan_of(svc, sl);
    assert_null(json_object_get(p, "chains"));
    assert_null(json_object_get(p, "nat"));
    assert_true(json_is_true(zk_json_path(
        p, "filter", P "NOEP -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment "
                       "default/web/tcp/80 -j " P "REJECT", NULL)));
    assert_true(json_is_true(zk_json_path(
        p, "filter", P "NOEP -d 192.0.2.10/32 -p tcp -m tcp --dport 80 -m comment --comment "
                       "default/web/tcp/80 -j " P "REJECT", NULL)));
    assert_true(json_is_true(zk_json_path(
        p, "filter", P "NOEP-NP -p tcp -m tcp --dport 30080 -m comment --comment "
                       "default/web/tcp/80 -j " P "REJECT", NULL)));
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
}

static void test_diff(void **state)
{
    (void)state;
    json_t *svc = svc_web();
    json_t *s1 = slice("10.42.0.5,10.42.0.6"), *s2 = slice("10.42.0.5,10.42.0.7");
    json_t *a = plan_of(svc, s1), *b = plan_of(svc, s2);
    zk_buf out;
    zk_buf_init(&out, 1u << 20);
    zk_proxy_ipt_diff(&out, &cfg, &a, &b, 1);
    zk_buf_putc(&out, '\0');
    const char *t = out.data;
    const char *svcc = chain_named(a, "SVC", 0);
    /* 10.42.0.5's chain is the same in both: not touched (only named by
     * the rewritten SVC chain) */
    const char *keep = strstr(rule(a, svcc, 1), "-j ") + 3;
    char kept[64];
    snprintf(kept, sizeof(kept), ":%s ", keep);
    assert_null(strstr(t, kept));
    snprintf(kept, sizeof(kept), "-A %s ", keep);
    assert_null(strstr(t, kept));
    const char *gone = strstr(rule(a, svcc, 2), "-j ") + 3;
    const char *came = strstr(rule(b, svcc, 2), "-j ") + 3;
    char line[128];
    assert_true(!strncmp(t, "*nat\n", 5));
    snprintf(line, sizeof(line), ":%s - [0:0]", svcc);
    assert_true(has_line(t, line));
    snprintf(line, sizeof(line), ":%s - [0:0]", came);
    assert_true(has_line(t, line));
    snprintf(line, sizeof(line), ":%s - [0:0]", gone);
    assert_true(has_line(t, line));
    snprintf(line, sizeof(line), "-X %s", gone);
    assert_true(has_line(t, line));
    assert_true(strstr(t, "-A ") < strstr(t, "-X "));
    assert_null(strstr(t, "SERVICES"));   /* the cluster IP's rule stays */
    assert_null(strstr(t, "*filter"));
    assert_true(has_line(t, "COMMIT"));
    zk_buf_free(&out);
    /* the Service goes: its shared rule is deleted before its chains */
    zk_buf_init(&out, 1u << 20);
    json_t *none = NULL;
    zk_proxy_ipt_diff(&out, &cfg, &b, &none, 1);
    zk_buf_putc(&out, '\0');
    t = out.data;
    assert_non_null(strstr(t, "-D " P "SERVICES -d 10.43.0.20/32 "));
    assert_true(strstr(t, "-D " P "SERVICES") < strstr(t, "-X "));
    snprintf(line, sizeof(line), "-X %s", svcc);
    assert_true(has_line(t, line));
    zk_buf_free(&out);
    /* endpoints go: nat rules out, a filter rule in */
    json_t *s0 = slice(""), *c = plan_of(svc, s0);
    zk_buf_init(&out, 1u << 20);
    zk_proxy_ipt_diff(&out, &cfg, &b, &c, 1);
    zk_buf_putc(&out, '\0');
    t = out.data;
    assert_non_null(strstr(t, "*filter\n-A " P "NOEP -d 10.43.0.20/32 -p tcp -m tcp --dport 80 "));
    zk_buf_free(&out);
    /* the same plan: nothing */
    zk_buf_init(&out, 1u << 20);
    zk_proxy_ipt_diff(&out, &cfg, &a, &a, 1);
    assert_int_equal(out.len, 0);
    zk_buf_free(&out);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(s0);
    json_decref(s1);
    json_decref(s2);
    json_decref(svc);
}

static const char save_text[] =
    "# Generated by iptables-save v1.8.9 (nf_tables) on Sat Nov 28 05:00:00 2026\n"
    "*raw\n"
    ":PREROUTING ACCEPT [0:0]\n"
    ":OUTPUT ACCEPT [0:0]\n"
    ":" P "RAW - [0:0]\n"
    "-A PREROUTING -j " P "RAW\n"
    "-A " P "RAW -d 127.0.0.0/8 ! -i lo -j DROP\n"
    "COMMIT\n"
    "*nat\n"
    ":PREROUTING ACCEPT [0:0]\n"
    ":OUTPUT ACCEPT [0:0]\n"
    ":POSTROUTING ACCEPT [0:0]\n"
    ":CNI-abc - [0:0]\n"
    ":" P "NAT - [0:0]\n"
    ":" P "SERVICES - [0:0]\n"
    ":" P "SVC-00000000000000 - [0:0]\n"
    ":Zother000-NAT - [0:0]\n"
    "-A PREROUTING -j " P "NAT\n"
    "-A PREROUTING -j " P "NAT\n"
    "-A PREROUTING -m addrtype --dst-type LOCAL -j " P "NAT\n"
    "-A PREROUTING -j Zother000-NAT\n"
    "-A POSTROUTING -j " P "OLD\n"
    "-A POSTROUTING -s 10.42.0.0/24 ! -d 10.42.0.0/16 -j MASQUERADE\n"
    "-A " P "NAT -j " P "SERVICES\n"
    "garbage line without meaning\n"
    "-A\n"
    ":\n"
    "COMMIT\n"
    "*filter\n"
    ":INPUT ACCEPT [0:0]\n"
    "COMMIT\n";

static void test_seen_full_and_cleanup(void **state)
{
    (void)state;
    json_t *seen = zk_proxy_ipt_seen(save_text, sizeof(save_text) - 1, P);
    char *dump = json_dumps(seen, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(dump,
        "{\"nat\":{\"chains\":{\"" P "NAT\":true,\"" P "SERVICES\":true,\"" P "SVC-00000000000000\":true},"
        "\"jumps\":{\"POSTROUTING " P "OLD\":1,\"PREROUTING " P "NAT\":2}},"
        "\"raw\":{\"chains\":{\"" P "RAW\":true},\"jumps\":{\"PREROUTING " P "RAW\":1}}}");
    free(dump);
    /* the whole write, with one Service */
    json_t *svc = svc_web(), *sl = slice("10.42.0.5");
    json_t *p = plan_of(svc, sl);
    zk_buf out;
    zk_buf_init(&out, 1u << 20);
    zk_proxy_ipt_full(&out, &cfg, seen, &p, 1);
    zk_buf_putc(&out, '\0');
    const char *t = out.data;
    /* three transactions; declarations first in each */
    assert_true(!strncmp(t, "*raw\n:" P "RAW - [0:0]\n", strlen("*raw\n:" P "RAW - [0:0]\n")));
    assert_non_null(strstr(t, "COMMIT\n*nat\n"));
    assert_non_null(strstr(t, "COMMIT\n*filter\n"));
    /* the raw jump is there: not added again */
    assert_false(has_line(t, "-I PREROUTING 1 -j " P "RAW"));
    /* two PREROUTING jumps: one goes; OUTPUT's and POSTROUTING's come */
    assert_true(has_line(t, "-D PREROUTING -j " P "NAT"));
    assert_false(has_line(t, "-I PREROUTING 1 -j " P "NAT"));
    assert_true(has_line(t, "-I OUTPUT 1 -j " P "NAT"));
    assert_true(has_line(t, "-I POSTROUTING 1 -j " P "POSTROUTING"));
    assert_true(has_line(t, "-I INPUT 1 -j " P "FILTER"));
    assert_true(has_line(t, "-I FORWARD 1 -j " P "FILTER"));
    /* a jump to a chain of ours that is no longer made goes */
    assert_true(has_line(t, "-D POSTROUTING -j " P "OLD"));
    /* the stale chain is emptied, then deleted after everything else */
    assert_true(has_line(t, ":" P "SVC-00000000000000 - [0:0]"));
    assert_true(has_line(t, "-X " P "SVC-00000000000000"));
    assert_true(strstr(t, "-X " P "SVC-00000000000000") > strstr(t, "-D PREROUTING"));
    /* the Service's chains and rule; fixed chains not deleted; others' untouched */
    char line[160];
    snprintf(line, sizeof(line), ":%s - [0:0]", chain_named(p, "SVC", 0));
    assert_true(has_line(t, line));
    assert_non_null(strstr(t, "-A " P "SERVICES -d 10.43.0.20/32 "));
    assert_false(has_line(t, "-X " P "NAT"));
    assert_null(strstr(t, "Zother000"));
    assert_null(strstr(t, "CNI-abc"));
    zk_buf_free(&out);
    /* cleanup: the jumps, then the chains, in the tables that have them */
    zk_buf_init(&out, 1u << 20);
    zk_proxy_ipt_cleanup(&out, seen);
    zk_buf_putc(&out, '\0');
    t = out.data;
    assert_null(strstr(t, "*filter"));
    assert_true(has_line(t, "-D PREROUTING -j " P "RAW"));
    assert_true(has_line(t, "-X " P "RAW"));
    const char *d1 = strstr(t, "-D PREROUTING -j " P "NAT\n");
    assert_non_null(d1);
    assert_non_null(strstr(d1 + 1, "-D PREROUTING -j " P "NAT\n"));   /* both */
    assert_true(has_line(t, "-X " P "SVC-00000000000000"));
    assert_true(strstr(t, "-D PREROUTING -j " P "NAT") < strstr(t, "-X " P "NAT"));
    assert_null(strstr(t, "Zother000"));
    zk_buf_free(&out);
    /* nothing of ours: nothing to do */
    json_t *empty = zk_proxy_ipt_seen("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n", 36, P);
    zk_buf_init(&out, 1u << 20);
    zk_proxy_ipt_cleanup(&out, empty);
    assert_int_equal(out.len, 0);
    zk_buf_free(&out);
    json_decref(empty);
    json_decref(p);
    json_decref(sl);
    json_decref(svc);
    json_decref(seen);
}

/* What we write is what iptables-restore takes: parsed, not committed
 * (--test), when this runs as root with it; skipped otherwise, saying so. */
static void test_restore_accepts_scripts(void **state)
{
    (void)state;
    if (geteuid() != 0 || access("/usr/sbin/iptables-restore", X_OK) != 0) {
        fprintf(stderr, "skipped: iptables-restore --test needs root and /usr/sbin/iptables-restore\n");
        skip();
    }
    json_t *svc = svc_web(), *sl = slice("10.42.0.5,10.42.0.6");
    json_t *spec = json_object_get(svc, "spec");
    zk_json_set_str(spec, "type", "NodePort");
    zk_json_set_str(spec, "sessionAffinity", "ClientIP");
    json_object_set_new(json_array_get(json_object_get(spec, "ports"), 0), "nodePort",
                        json_integer(30080));
    json_t *p = plan_of(svc, sl), *s0 = slice(""), *q = plan_of(svc, s0);
    json_t *seen = json_object();
    zk_buf out;
    zk_buf_init(&out, 1u << 20);
    zk_proxy_ipt_full(&out, &cfg, seen, &p, 1);
    zk_proxy_ipt_diff(&out, &cfg, &p, &q, 1);
    zk_buf_putc(&out, '\0');
    char path[] = "/tmp/zke-ipt-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, out.data, out.len - 1), (ssize_t)(out.len - 1));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "/usr/sbin/iptables-restore --test --noflush -w 5 < %s", path);
    int rc = system(cmd);
    unlink(path);
    if (rc != 0)
        fail_msg("iptables-restore --test rejected:\n%s", out.data);
    zk_buf_free(&out);
    json_decref(seen);
    json_decref(p);
    json_decref(q);
    json_decref(s0);
    json_decref(sl);
    json_decref(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_and_chain_names),
        cmocka_unit_test(test_cluster_ip_chains),
        cmocka_unit_test(test_weights_and_three_ways),
        cmocka_unit_test(test_affinity_node_port_external_ip),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_seen_full_and_cleanup),
        cmocka_unit_test(test_restore_accepts_scripts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
