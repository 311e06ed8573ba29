/* Parsing pods and nodes: requests arithmetic, taints, terms. */
#include "support.h"

static void test_requests_sum_containers_and_overhead(void **state)
{
    zk_sched_pod *p = mkpod(
        "{'metadata':{'name':'p','namespace':'d'},'spec':{'containers':["
        "{'name':'a','resources':{'requests':{'cpu':'250m','memory':'64Mi',"
        "'ephemeral-storage':'1Gi','nvidia.com/gpu':'1'}}},"
        "{'name':'b','resources':{'requests':{'cpu':'0.5','memory':'1Gi'}}}],"
        "'overhead':{'cpu':'10m','memory':'1Mi'}}}");
    assert_int_equal(p->req.cpu, 760);
    assert_int_equal(p->req.mem, (64LL + 1024 + 1) * 1024 * 1024);
    assert_int_equal(p->req.eph, 1024LL * 1024 * 1024);
    assert_int_equal(zk_sched_res_scalar(&p->req, "nvidia.com/gpu"), 1);
    /* every container named cpu and memory: the scoring view is the same */
    assert_int_equal(p->nz_cpu, 760);
    assert_int_equal(p->nz_mem, p->req.mem);
    zk_sched_pod_free(p);
}

static void test_requests_init_container_max(void **state)
{
    /* an init container larger than the app containers sets the request */
    zk_sched_pod *p = mkpod(
        "{'metadata':{'name':'p','namespace':'d'},'spec':{"
        "'initContainers':[{'name':'i1','resources':{'requests':{'cpu':'2','memory':'10Mi'}}},"
        "{'name':'i2','resources':{'requests':{'cpu':'1','memory':'300Mi'}}}],"
        "'containers':[{'name':'a','resources':{'requests':{'cpu':'500m','memory':'100Mi'}}},"
        "{'name':'b','resources':{'requests':{'cpu':'500m','memory':'100Mi'}}}]}}");
    assert_int_equal(p->req.cpu, 2000);                  /* max(2, 1, 0.5+0.5) */
    assert_int_equal(p->req.mem, 300LL * 1024 * 1024);   /* max(10, 300, 200) Mi */
    zk_sched_pod_free(p);
}

static void test_requests_sidecar_init_containers(void **state)
{
    /* a restartable init container runs beside the app: it adds up, and the
     * init containers after it run beside it */
    zk_sched_pod *p = mkpod(
        "{'metadata':{'name':'p','namespace':'d'},'spec':{"
        "'initContainers':[{'name':'side','restartPolicy':'Always',"
        "'resources':{'requests':{'cpu':'100m'}}},"
        "{'name':'init','resources':{'requests':{'cpu':'1'}}}],"
        "'containers':[{'name':'a','resources':{'requests':{'cpu':'300m'}}}]}}");
    /* sum = 300 + 100 = 400; init phase = 1000 + 100 = 1100 */
    assert_int_equal(p->req.cpu, 1100);
    zk_sched_pod_free(p);
}

static void test_requests_nonzero_defaults(void **state)
{
    zk_sched_pod *p = mkpod(
        "{'metadata':{'name':'p','namespace':'d'},'spec':{'containers':["
        "{'name':'a'},{'name':'b','resources':{'requests':{'cpu':'0'}}}]}}");
    assert_int_equal(p->req.cpu, 0);
    assert_int_equal(p->req.mem, 0);
    /* a: both defaults; b: cpu given as 0 stays 0, memory defaults */
    assert_int_equal(p->nz_cpu, ZK_SCHED_DEFAULT_MILLI_CPU);
    assert_int_equal(p->nz_mem, 2 * ZK_SCHED_DEFAULT_MEMORY);
    zk_sched_pod_free(p);
}

static void test_bad_quantity_is_an_error(void **state)
{
    json_t *j = sq_json("{'metadata':{'name':'p','namespace':'d'},'spec':{'containers':["
                        "{'name':'a','resources':{'requests':{'cpu':'lots'}}}]}}");
    zk_sched_pod *p = NULL;
    zk_err err = {0};
    assert_true(zk_sched_pod_parse(j, true, &p, &err) < 0);
    assert_null(p);
    assert_non_null(strstr(err.msg, "cpu"));
    json_decref(j);
}

static void test_pod_fields(void **state)
{
    zk_sched_pod *p = mkpod(
        "{'metadata':{'name':'p','namespace':'ns1','uid':'u1','labels':{'app':'web'},"
        "'deletionTimestamp':'2026-01-01T00:00:00Z',"
        "'ownerReferences':[{'uid':'o1','controller':false},{'uid':'rs1','controller':true}]},"
        "'spec':{'schedulerName':'mine','priority':7,'nodeSelector':{'disk':'ssd'},"
        "'containers':[{'name':'a','ports':[{'containerPort':80,'hostPort':8080},"
        "{'containerPort':53,'hostPort':53,'protocol':'UDP','hostIP':'10.0.0.1'},"
        "{'containerPort':9090}]}]},"
        "'status':{'phase':'Succeeded'}}");
    assert_string_equal(p->key, "ns1/p");
    assert_string_equal(p->scheduler_name, "mine");
    assert_int_equal(p->priority, 7);
    assert_true(p->terminating);
    assert_true(p->terminal);
    assert_string_equal(p->owner_uid, "rs1");
    assert_int_equal(p->n_sel, 1);
    assert_int_equal(p->n_ports, 2);
    assert_string_equal(p->ports[0].ip, "0.0.0.0");
    assert_int_equal(p->ports[1].proto, ZK_SCHED_UDP);
    assert_string_equal(zk_sched_label(p->labels, "app"), "web");
    /* owned and without constraints: the system default spreading */
    assert_true(p->spread_defaulted);
    assert_int_equal(p->n_spread, 2);
    assert_false(p->spread[0].do_not_schedule);
    zk_sched_pod_free(p);
}

static void test_node_fields(void **state)
{
    zk_sched_node *n = mknode(
        "{'metadata':{'name':'n1','labels':{'zone':'a'}},"
        "'spec':{'unschedulable':true,'taints':[{'key':'k','value':'v','effect':'NoSchedule'},"
        "{'key':'x','effect':'PreferNoSchedule'}]},"
        "'status':{'capacity':{'cpu':'8'},'allocatable':{'cpu':'3500m','memory':'2Gi',"
        "'pods':'110','example.com/foo':'4','hugepages-2Mi':'0'}}}");
    assert_string_equal(n->name, "n1");
    assert_int_equal(n->alloc.cpu, 3500);
    assert_int_equal(n->alloc.mem, 2LL << 30);
    assert_int_equal(n->alloc_pods, 110);
    assert_int_equal(zk_sched_res_scalar(&n->alloc, "example.com/foo"), 4);
    assert_true(n->unschedulable);
    assert_int_equal(n->n_taints, 2);
    assert_int_equal(n->taints[0].effect, ZK_SCHED_NO_SCHEDULE);
    assert_string_equal(n->taints[1].value, "");
    zk_sched_node_free(n);
}

static void test_scalar_names(void **state)
{
    assert_true(zk_sched_is_scalar("nvidia.com/gpu"));
    assert_true(zk_sched_is_scalar("hugepages-1Gi"));
    assert_true(zk_sched_is_scalar("attachable-volumes-aws-ebs"));
    assert_false(zk_sched_is_scalar("cpu"));
    assert_false(zk_sched_is_scalar("storage"));
    assert_false(zk_sched_is_scalar("kubernetes.io/foo"));
    assert_false(zk_sched_is_scalar("requests.nvidia.com/gpu"));
}

static void test_cache_counts_follow_pods(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("n1", NULL, "4", "4Gi", 10, NULL));
    zk_sched_pod *a = simple_pod("a", NULL, "1", "1Gi", NULL);
    a->owner_uid = zk_xstrdup("rs");
    place(c, a, "n1");
    place(c, simple_pod("b", NULL, "500m", NULL, NULL), "n1");
    zk_sched_node *n = zk_sched_cache_node(c, "n1");
    assert_int_equal(n->requested.cpu, 1500);
    assert_int_equal(n->requested.mem, 1LL << 30);
    assert_int_equal(n->nz_mem, (1LL << 30) + ZK_SCHED_DEFAULT_MEMORY);
    assert_int_equal(n->n_pods, 2);
    zk_sched_owner *o = zk_sched_cache_owner(c, "rs");
    assert_non_null(o);
    assert_int_equal(zk_sched_node_owner_count(n, o), 1);
    /* a terminating pod keeps its resources but no longer counts for its owner */
    zk_sched_cache_pod_set_terminating(c, a);
    assert_null(zk_sched_cache_owner(c, "rs"));
    assert_int_equal(n->requested.cpu, 1500);
    zk_sched_cache_pod_remove(c, "default/a");
    assert_int_equal(n->requested.cpu, 500);
    /* pods on a node whose Node object went away keep its entry alive */
    zk_sched_cache_node_remove(c, "n1");
    assert_null(zk_sched_cache_node(c, "n1"));
    assert_int_equal(c->n_nodes, 0);
    zk_sched_cache_node_set(c, simple_node("n1", NULL, "4", "4Gi", 10, NULL));
    assert_int_equal(zk_sched_cache_node(c, "n1")->requested.cpu, 500);
    zk_sched_cache_free(c);
}

static void test_owner_zone_counts_follow_node_labels(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_cache_node_set(c, simple_node("n1", "{'topology.kubernetes.io/zone':'a'}", "4", "4Gi", 10, NULL));
    zk_sched_pod *p = simple_pod("a", NULL, NULL, NULL, NULL);
    p->owner_uid = zk_xstrdup("rs");
    place(c, p, "n1");
    /* a pod whose node is not known yet counts in no zone (id 0) */
    zk_sched_pod *q = simple_pod("b", NULL, NULL, NULL, NULL);
    q->owner_uid = zk_xstrdup("rs");
    place(c, q, "n2");
    zk_sched_owner *o = zk_sched_cache_owner(c, "rs");
    int64_t za = zk_sched_cache_zone_id(c, "a");
    assert_true(za > 0);
    assert_int_equal(zk_sched_owner_zone_count(o, (uint32_t)za), 1);
    assert_int_equal(zk_sched_owner_zone_count(o, 0), 1);
    /* n1 moves to zone b, n2 arrives in zone b: both pods follow */
    zk_sched_cache_node_set(c, simple_node("n1", "{'topology.kubernetes.io/zone':'b'}", "4", "4Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("n2", "{'topology.kubernetes.io/zone':'b'}", "4", "4Gi", 10, NULL));
    int64_t zb = zk_sched_cache_zone_id(c, "b");
    o = zk_sched_cache_owner(c, "rs");
    assert_int_equal(zk_sched_owner_zone_count(o, (uint32_t)za), 0);
    assert_int_equal(zk_sched_owner_zone_count(o, 0), 0);
    assert_int_equal(zk_sched_owner_zone_count(o, (uint32_t)zb), 2);
    assert_int_equal(zk_sched_node_owner_count(zk_sched_cache_node(c, "n2"), o), 1);
    zk_sched_cache_free(c);
}

static void test_many_owners_on_one_node(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *n = zk_sched_cache_node_set(c, simple_node("n1", NULL, "4", "4Gi", 100, NULL));
    char name[16], uid[16];
    for (int i = 0; i < 9; i++) {
        for (int k = 0; k <= i; k++) {
            snprintf(name, sizeof(name), "p%d-%d", i, k);
            snprintf(uid, sizeof(uid), "rs%d", i);
            zk_sched_pod *p = simple_pod(name, NULL, NULL, NULL, NULL);
            p->owner_uid = zk_xstrdup(uid);
            place(c, p, "n1");
        }
    }
    for (int i = 0; i < 9; i++) {
        snprintf(uid, sizeof(uid), "rs%d", i);
        assert_int_equal(zk_sched_node_owner_count(n, zk_sched_cache_owner(c, uid)), i + 1);
    }
    zk_sched_cache_pod_remove(c, "default/p0-0");
    zk_sched_cache_pod_remove(c, "default/p1-0");
    assert_null(zk_sched_cache_owner(c, "rs0"));
    assert_int_equal(zk_sched_node_owner_count(n, zk_sched_cache_owner(c, "rs1")), 1);
    assert_int_equal(zk_sched_node_owner_count(n, zk_sched_cache_owner(c, "rs8")), 9);
    assert_int_equal(n->n_owners, 8);
    zk_sched_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_sum_containers_and_overhead),
        cmocka_unit_test(test_requests_init_container_max),
        cmocka_unit_test(test_requests_sidecar_init_containers),
        cmocka_unit_test(test_requests_nonzero_defaults),
        cmocka_unit_test(test_bad_quantity_is_an_error),
        cmocka_unit_test(test_pod_fields),
        cmocka_unit_test(test_node_fields),
        cmocka_unit_test(test_scalar_names),
        cmocka_unit_test(test_cache_counts_follow_pods),
        cmocka_unit_test(test_owner_zone_counts_follow_node_labels),
        cmocka_unit_test(test_many_owners_on_one_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
