/* Each score plugin, with its normalized scores worked out by hand from
 * Kubernetes' formulas. */
#include "support.h"

#define ZONE_LABELS(z, h) "{'zone':'" z "','kubernetes.io/hostname':'" h "'}"

static void test_least_allocated(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("n1", NULL, "4", "4Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("n2", NULL, "2", "8Gi", 10, NULL));
    place(c, simple_pod("old", NULL, "1", "1Gi", NULL), "n1");
    zk_sched_pod *p = simple_pod("p", NULL, "1", "1Gi", NULL);
    int64_t s[2];
    run_score(c, "NodeResourcesFit", p, s);
    /* n1: cpu (4-2)/4 = 50, mem 50; n2: cpu 50, mem (8-1)/8 = 87 -> 68 */
    assert_int_equal(s[0], 50);
    assert_int_equal(s[1], 68);
    zk_sched_pod_free(p);

    /* no requests: counted as 100m and 200Mi */
    zk_sched_pod *be = simple_pod("be", NULL, NULL, NULL, NULL);
    run_score(c, "NodeResourcesFit", be, s);
    /* n1: cpu (4000-1100)*100/4000 = 72, mem (4096-1224)*100/4096 = 70 -> 71 */
    assert_int_equal(s[0], 71);
    zk_sched_pod_free(be);
    zk_sched_cache_free(c);
}

static void test_balanced_allocation(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("n1", NULL, "4", "4Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("n2", NULL, "2", "8Gi", 10, NULL));
    place(c, simple_pod("old", NULL, "1", "1Gi", NULL), "n1");
    zk_sched_pod *p = simple_pod("p", NULL, "1", "1Gi", NULL);
    int64_t s[2];
    run_score(c, "NodeResourcesBalancedAllocation", p, s);
    /* n1: 0.5 and 0.5 -> 100; n2: 0.5 and 0.125 -> (1 - 0.1875) * 100 */
    assert_int_equal(s[0], 100);
    assert_int_equal(s[1], 81);
    zk_sched_pod_free(p);
    /* best-effort pods are not scored by it */
    zk_sched_pod *be = simple_pod("be", NULL, NULL, NULL, NULL);
    run_score(c, "NodeResourcesBalancedAllocation", be, s);
    assert_int_equal(s[0], 0);
    assert_int_equal(s[1], 0);
    zk_sched_pod_free(be);
    zk_sched_cache_free(c);
}

static void test_preferred_node_affinity(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("n1", "{'zone':'a','disk':'ssd'}", "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("n2", "{'zone':'a'}", "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("n3", "{'zone':'b'}", "1", "1Gi", 10, NULL));
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL,
        "'affinity':{'nodeAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':["
        "{'weight':30,'preference':{'matchExpressions':[{'key':'zone','operator':'In','values':['a']}]}},"
        "{'weight':10,'preference':{'matchExpressions':[{'key':'disk','operator':'Exists'}]}}]}}");
    int64_t s[3];
    run_score(c, "NodeAffinity", p, s);
    assert_int_equal(s[0], 100);  /* 40 of 40 */
    assert_int_equal(s[1], 75);   /* 30 of 40 */
    assert_int_equal(s[2], 0);
    zk_sched_pod_free(p);
    zk_sched_cache_free(c);
}

static void test_prefer_no_schedule_taints(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("n1", NULL, "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("n2", NULL, "1", "1Gi", 10,
                                           "'taints':[{'key':'a','effect':'PreferNoSchedule'}]"));
    zk_sched_cache_node_set(c, simple_node("n3", NULL, "1", "1Gi", 10,
                                           "'taints':[{'key':'a','effect':'PreferNoSchedule'},"
                                           "{'key':'b','effect':'PreferNoSchedule'},"
                                           "{'key':'c','effect':'NoSchedule'}]"));
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL, NULL);
    int64_t s[3];
    run_score(c, "TaintToleration", p, s);
    assert_int_equal(s[0], 100);
    assert_int_equal(s[1], 50);
    assert_int_equal(s[2], 0);
    zk_sched_pod_free(p);
    /* tolerating a, only b counts: n3 has 1, the most */
    zk_sched_pod *t = simple_pod("t", NULL, NULL, NULL,
                                 "'tolerations':[{'key':'a','operator':'Exists','effect':'PreferNoSchedule'}]");
    run_score(c, "TaintToleration", t, s);
    assert_int_equal(s[0], 100);
    assert_int_equal(s[1], 100);
    assert_int_equal(s[2], 0);
    zk_sched_pod_free(t);
    /* a NoSchedule toleration does not count for PreferNoSchedule */
    zk_sched_pod *ns = simple_pod("ns", NULL, NULL, NULL,
                                  "'tolerations':[{'key':'a','operator':'Exists','effect':'NoSchedule'}]");
    run_score(c, "TaintToleration", ns, s);
    assert_int_equal(s[1], 50);
    zk_sched_pod_free(ns);
    zk_sched_cache_free(c);
}

static void test_preferred_pod_affinity(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("a1", ZONE_LABELS("a", "a1"), "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("a2", ZONE_LABELS("a", "a2"), "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("b1", ZONE_LABELS("b", "b1"), "1", "1Gi", 10, NULL));
    place(c, simple_pod("db", "{'app':'db'}", NULL, NULL, NULL), "a1");
    place(c, simple_pod("cache", "{'app':'cache'}", NULL, NULL, NULL), "a2");
    zk_sched_pod *p = simple_pod("web", "{'app':'web'}", NULL, NULL,
        "'affinity':{'podAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':["
        "{'weight':10,'podAffinityTerm':{'labelSelector':{'matchLabels':{'app':'db'}},'topologyKey':'zone'}}]},"
        "'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':["
        "{'weight':5,'podAffinityTerm':{'labelSelector':{'matchLabels':{'app':'cache'}},"
        "'topologyKey':'kubernetes.io/hostname'}}]}}");
    int64_t s[3];
    run_score(c, "InterPodAffinity", p, s);
    /* raw: a1 = 10, a2 = 10 - 5 = 5, b1 = 0 -> min-max scaled */
    assert_int_equal(s[0], 100);
    assert_int_equal(s[1], 50);
    assert_int_equal(s[2], 0);
    zk_sched_pod_free(p);

    /* an existing pod's required affinity to web draws web (weight 1) */
    place(c, simple_pod("agent", "{'app':'agent'}", NULL, NULL,
        "'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
        "[{'labelSelector':{'matchLabels':{'app':'web'}},'topologyKey':'zone'}]}}"), "b1");
    zk_sched_pod *plain = simple_pod("web2", "{'app':'web'}", NULL, NULL, NULL);
    run_score(c, "InterPodAffinity", plain, s);
    assert_int_equal(s[0], 0);
    assert_int_equal(s[1], 0);
    assert_int_equal(s[2], 100);
    zk_sched_pod_free(plain);
    zk_sched_cache_free(c);
}

static zk_sched_pod *owned(const char *name, const char *owner)
{
    char buf[512];
    snprintf(buf, sizeof(buf),
             "{'metadata':{'name':'%s','namespace':'default','labels':{'app':'web'},"
             "'ownerReferences':[{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'rs',"
             "'uid':'%s','controller':true}]},'spec':{'containers':[{'name':'c'}]}}",
             name, owner);
    return mkpod(buf);
}

static void test_default_spread_by_owner(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("h1", "{'kubernetes.io/hostname':'h1'}", "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("h2", "{'kubernetes.io/hostname':'h2'}", "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("h3", "{'kubernetes.io/hostname':'h3'}", "1", "1Gi", 10, NULL));
    place(c, owned("r1", "rs-1"), "h1");
    place(c, owned("r2", "rs-1"), "h1");
    place(c, owned("r3", "rs-1"), "h3");
    place(c, owned("x1", "rs-other"), "h2");
    zk_sched_pod *p = owned("r4", "rs-1");
    int64_t s[3];
    run_score(c, "PodTopologySpread", p, s);
    /* weight ln(5); raw round(n * 1.609 + 2): h1 5, h2 2, h3 4 */
    assert_int_equal(s[0], 40);
    assert_int_equal(s[1], 100);
    assert_int_equal(s[2], 60);
    zk_sched_pod_free(p);
    zk_sched_cache_free(c);
}

static void test_default_spread_by_owner_zones(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("za1", "{'kubernetes.io/hostname':'za1','topology.kubernetes.io/zone':'a'}", "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("za2", "{'kubernetes.io/hostname':'za2','topology.kubernetes.io/zone':'a'}", "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("zb1", "{'kubernetes.io/hostname':'zb1','topology.kubernetes.io/zone':'b'}", "1", "1Gi", 10, NULL));
    place(c, owned("r1", "rs-1"), "za1");
    place(c, owned("r2", "rs-1"), "za1");
    zk_sched_pod *p = owned("r3", "rs-1");
    int64_t s[3];
    run_score(c, "PodTopologySpread", p, s);
    /* host (ln 5) + zone (ln 4, maxSkew 5): za1 12, za2 9, zb1 6 */
    assert_int_equal(s[0], 50);
    assert_int_equal(s[1], 75);
    assert_int_equal(s[2], 100);
    zk_sched_pod_free(p);
    zk_sched_cache_free(c);
}

static void test_soft_spread_constraint(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("a", ZONE_LABELS("a", "a"), "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("b", ZONE_LABELS("b", "b"), "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("x", NULL, "1", "1Gi", 10, NULL));
    place(c, simple_pod("w1", "{'app':'web'}", NULL, NULL, NULL), "a");
    place(c, simple_pod("w2", "{'app':'web'}", NULL, NULL, NULL), "a");
    zk_sched_pod *p = simple_pod("w3", "{'app':'web'}", NULL, NULL,
                                 "'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
                                 "'whenUnsatisfiable':'ScheduleAnyway',"
                                 "'labelSelector':{'matchLabels':{'app':'web'}}}]");
    int64_t s[3];
    run_score(c, "PodTopologySpread", p, s);
    /* a: round(2 * ln 4) = 3, b: 0 -> a 0, b 100; x lacks the key: 0 */
    assert_int_equal(s[0], 0);
    assert_int_equal(s[1], 100);
    assert_int_equal(s[2], 0);
    zk_sched_pod_free(p);
    zk_sched_cache_free(c);
}

static void test_normalize_default(void **state)
{
    int64_t s[] = {0, 5, 10};
    zk_sched_normalize_default(s, 3, false);
    assert_int_equal(s[0], 0);
    assert_int_equal(s[1], 50);
    assert_int_equal(s[2], 100);
    int64_t z[] = {0, 0};
    zk_sched_normalize_default(z, 2, true);
    assert_int_equal(z[0], 100);
    assert_int_equal(z[1], 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_least_allocated),
        cmocka_unit_test(test_balanced_allocation),
        cmocka_unit_test(test_preferred_node_affinity),
        cmocka_unit_test(test_prefer_no_schedule_taints),
        cmocka_unit_test(test_preferred_pod_affinity),
        cmocka_unit_test(test_default_spread_by_owner),
        cmocka_unit_test(test_default_spread_by_owner_zones),
        cmocka_unit_test(test_soft_spread_constraint),
        cmocka_unit_test(test_normalize_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
