/* One scheduling decision: how many nodes are looked at, which node wins,
 * and the FailedScheduling message when none does. */
#include "support.h"

static void test_num_to_find(void **state)
{
    assert_int_equal(zk_sched_num_to_find(0, 0), 0);
    assert_int_equal(zk_sched_num_to_find(99, 0), 99);
    assert_int_equal(zk_sched_num_to_find(100, 0), 100);
    assert_int_equal(zk_sched_num_to_find(1000, 0), 420);    /* 50 - 8 = 42% */
    assert_int_equal(zk_sched_num_to_find(5000, 0), 500);    /* 50 - 40 = 10% */
    assert_int_equal(zk_sched_num_to_find(6000, 0), 300);    /* 50 - 48 = 2% -> 5% */
    assert_int_equal(zk_sched_num_to_find(1000, 5), 100);    /* 50 -> at least 100 */
    assert_int_equal(zk_sched_num_to_find(1000, 30), 300);
    assert_int_equal(zk_sched_num_to_find(1000, 100), 1000);
}

static void test_picks_the_only_node_that_fits(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    char name[16];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        zk_sched_cache_node_set(c, simple_node(name, NULL, i == 7 ? "8" : "1", "1Gi", 10, NULL));
    }
    zk_sched_algo a;
    zk_sched_algo_init(&a, c, 0, 1);
    zk_sched_pod *p = simple_pod("big", NULL, "4", NULL, NULL);
    for (int round = 0; round < 5; round++) {
        zk_sched_result r;
        zk_sched_algo_run(&a, p, &r);
        assert_non_null(r.node);
        assert_string_equal(r.node->name, "n7");
        assert_int_equal(r.feasible, 1);
    }
    zk_sched_pod_free(p);
    zk_sched_algo_fini(&a);
    zk_sched_cache_free(c);
}

static void test_prefers_the_emptier_node(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("busy", NULL, "4", "4Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("idle", NULL, "4", "4Gi", 10, NULL));
    place(c, simple_pod("old", NULL, "3", "3Gi", NULL), "busy");
    zk_sched_algo a;
    zk_sched_algo_init(&a, c, 0, 1);
    zk_sched_pod *p = simple_pod("p", NULL, "500m", "512Mi", NULL);
    zk_sched_result r;
    zk_sched_algo_run(&a, p, &r);
    assert_string_equal(r.node->name, "idle");
    zk_sched_pod_free(p);
    zk_sched_algo_fini(&a);
    zk_sched_cache_free(c);
}

static void test_ties_are_broken_at_random(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("a", NULL, "4", "4Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("b", NULL, "4", "4Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("c", NULL, "4", "4Gi", 10, NULL));
    zk_sched_algo a;
    zk_sched_algo_init(&a, c, 0, 42);
    zk_sched_pod *p = simple_pod("p", NULL, "1", "1Gi", NULL);
    int hits[3] = {0};
    for (int i = 0; i < 300; i++) {
        zk_sched_result r;
        zk_sched_algo_run(&a, p, &r);
        hits[r.node->name[0] - 'a']++;
    }
    /* each of three equal nodes is chosen (with p = 1/3 each, missing one
     * in 300 draws has probability ~1e-52) */
    assert_true(hits[0] > 0 && hits[1] > 0 && hits[2] > 0);
    zk_sched_pod_free(p);
    zk_sched_algo_fini(&a);
    zk_sched_cache_free(c);
}

static void test_failure_message_counts_reasons(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("small", NULL, "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("t1", NULL, "8", "8Gi", 10,
                                           "'taints':[{'key':'dedicated','value':'gpu','effect':'NoSchedule'}]"));
    zk_sched_cache_node_set(c, simple_node("t2", NULL, "8", "8Gi", 10,
                                           "'taints':[{'key':'dedicated','value':'gpu','effect':'NoSchedule'}]"));
    zk_sched_cache_node_set(c, simple_node("full", NULL, "1", "256Mi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("off", NULL, "8", "8Gi", 10, "'unschedulable':true"));
    zk_sched_algo a;
    zk_sched_algo_init(&a, c, 0, 1);
    zk_sched_pod *p = simple_pod("p", NULL, "2", "512Mi", NULL);
    zk_sched_result r;
    zk_sched_algo_run(&a, p, &r);
    assert_null(r.node);
    assert_int_equal(r.evaluated, 5);
    /* a node with two shortfalls counts for each */
    assert_string_equal(r.message,
                        "0/5 nodes are available: 1 Insufficient memory, 1 node(s) were "
                        "unschedulable, 2 Insufficient cpu, 2 node(s) had untolerated taint "
                        "{dedicated: gpu}.");
    assert_true(r.rejected & ZK_SCHED_P_FIT);
    assert_true(r.rejected & ZK_SCHED_P_TAINTS);
    assert_false(r.rejected & ZK_SCHED_P_POD_AFFINITY);
    zk_sched_pod_free(p);
    zk_sched_algo_fini(&a);
    zk_sched_cache_free(c);
}

static void test_failure_message_sorts_as_text(void **state)
{
    /* "10 ..." sorts before "2 ..." as Kubernetes' sort.Strings does */
    zk_sched_cache *c = zk_sched_cache_new();
    char name[16];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof(name), "n%02d", i);
        zk_sched_cache_node_set(c, simple_node(name, i < 10 ? "{'a':'b'}" : "{'z':'z'}", "1", "1Gi", 10,
                                               i < 10 ? "'taints':[{'key':'k','effect':'NoExecute'}]" : NULL));
    }
    zk_sched_algo a;
    zk_sched_algo_init(&a, c, 0, 1);
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL, "'nodeSelector':{'a':'b'}");
    zk_sched_result r;
    zk_sched_algo_run(&a, p, &r);
    assert_null(r.node);
    assert_string_equal(r.message,
                        "0/12 nodes are available: 10 node(s) had untolerated taint {k: }, "
                        "2 node(s) didn't match Pod's node affinity/selector.");
    zk_sched_pod_free(p);
    zk_sched_algo_fini(&a);
    zk_sched_cache_free(c);
}

static void test_no_nodes(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_algo a;
    zk_sched_algo_init(&a, c, 0, 1);
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL, NULL);
    zk_sched_result r;
    zk_sched_algo_run(&a, p, &r);
    assert_null(r.node);
    assert_string_equal(r.message, "no nodes available to schedule pods");
    zk_sched_pod_free(p);
    zk_sched_algo_fini(&a);
    zk_sched_cache_free(c);
}

static void test_stops_after_enough_feasible_nodes(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    char name[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        zk_sched_cache_node_set(c, simple_node(name, NULL, "4", "4Gi", 110, NULL));
    }
    zk_sched_algo a;
    zk_sched_algo_init(&a, c, 0, 1);
    zk_sched_pod *p = simple_pod("p", NULL, "100m", NULL, NULL);
    zk_sched_result r;
    zk_sched_algo_run(&a, p, &r);
    assert_int_equal(r.evaluated, 420);
    assert_int_equal(r.feasible, 420);
    /* the next cycle starts where this one stopped */
    assert_int_equal(a.next_start, 420);
    zk_sched_algo_run(&a, p, &r);
    assert_int_equal(a.next_start, 840);
    zk_sched_pod_free(p);
    zk_sched_algo_fini(&a);
    zk_sched_cache_free(c);
}

static void test_anti_affinity_spreads_replicas(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("h1", "{'kubernetes.io/hostname':'h1'}", "4", "4Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("h2", "{'kubernetes.io/hostname':'h2'}", "4", "4Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("h3", "{'kubernetes.io/hostname':'h3'}", "4", "4Gi", 10, NULL));
    zk_sched_algo a;
    zk_sched_algo_init(&a, c, 0, 7);
    const char *anti = "'affinity':{'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                       "[{'labelSelector':{'matchLabels':{'app':'web'}},'topologyKey':'kubernetes.io/hostname'}]}}";
    bool used[3] = {false};
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof(name), "web-%d", i);
        zk_sched_pod *p = simple_pod(name, "{'app':'web'}", NULL, NULL, anti);
        zk_sched_result r;
        zk_sched_algo_run(&a, p, &r);
        assert_non_null(r.node);
        int k = r.node->name[1] - '1';
        assert_false(used[k]);
        used[k] = true;
        place(c, p, r.node->name);
    }
    zk_sched_pod *p = simple_pod("web-3", "{'app':'web'}", NULL, NULL, anti);
    zk_sched_result r;
    zk_sched_algo_run(&a, p, &r);
    assert_null(r.node);
    assert_string_equal(r.message, "0/3 nodes are available: 3 node(s) didn't match pod "
                                   "anti-affinity rules.");
    zk_sched_pod_free(p);
    zk_sched_algo_fini(&a);
    zk_sched_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_to_find),
        cmocka_unit_test(test_picks_the_only_node_that_fits),
        cmocka_unit_test(test_prefers_the_emptier_node),
        cmocka_unit_test(test_ties_are_broken_at_random),
        cmocka_unit_test(test_failure_message_counts_reasons),
        cmocka_unit_test(test_failure_message_sorts_as_text),
        cmocka_unit_test(test_no_nodes),
        cmocka_unit_test(test_stops_after_enough_feasible_nodes),
        cmocka_unit_test(test_anti_affinity_spreads_replicas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
