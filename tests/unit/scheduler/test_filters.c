/* Each filter plugin, with nodes and pods shaped to make it decide. */
#include "support.h"

static char why[1024];

static void test_fit_resources(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *n = zk_sched_cache_node_set(c, simple_node("n1", NULL, "2", "1Gi", 3, NULL));
    place(c, simple_pod("old", NULL, "1500m", "512Mi", NULL), "n1");

    zk_sched_pod *fits = simple_pod("p1", NULL, "500m", "512Mi", NULL);
    assert_true(run_filter(c, "NodeResourcesFit", fits, n, why, sizeof(why)));

    zk_sched_pod *cpu = simple_pod("p2", NULL, "501m", NULL, NULL);
    assert_false(run_filter(c, "NodeResourcesFit", cpu, n, why, sizeof(why)));
    assert_string_equal(why, "Insufficient cpu");

    zk_sched_pod *both = simple_pod("p3", NULL, "1", "1Gi", NULL);
    assert_false(run_filter(c, "NodeResourcesFit", both, n, why, sizeof(why)));
    assert_string_equal(why, "Insufficient cpu; Insufficient memory");

    /* a pod without requests fits on a full node while pod slots remain */
    zk_sched_pod *none = simple_pod("p4", NULL, NULL, NULL, NULL);
    place(c, simple_pod("old2", NULL, "500m", "512Mi", NULL), "n1");
    assert_true(run_filter(c, "NodeResourcesFit", none, n, why, sizeof(why)));
    place(c, simple_pod("old3", NULL, NULL, NULL, NULL), "n1");
    assert_false(run_filter(c, "NodeResourcesFit", none, n, why, sizeof(why)));
    assert_string_equal(why, "Too many pods");

    zk_sched_pod *gpu = mkpod("{'metadata':{'name':'g','namespace':'default'},'spec':{"
                              "'containers':[{'name':'c','resources':{'requests':"
                              "{'example.com/gpu':'1','ephemeral-storage':'1Gi'}}}]}}");
    zk_sched_node *n2 = zk_sched_cache_node_set(
        c, mknode("{'metadata':{'name':'n2'},'status':{'allocatable':{'cpu':'1',"
                  "'memory':'1Gi','pods':'10','example.com/gpu':'1'}}}"));
    assert_false(run_filter(c, "NodeResourcesFit", gpu, n2, why, sizeof(why)));
    assert_string_equal(why, "Insufficient ephemeral-storage");
    zk_sched_node *n3 = zk_sched_cache_node_set(
        c, mknode("{'metadata':{'name':'n3'},'status':{'allocatable':{'cpu':'1',"
                  "'memory':'1Gi','pods':'10','ephemeral-storage':'10Gi'}}}"));
    assert_false(run_filter(c, "NodeResourcesFit", gpu, n3, why, sizeof(why)));
    assert_string_equal(why, "Insufficient example.com/gpu");

    zk_sched_pod *inits[] = {fits, cpu, both, none, gpu};
    for (size_t i = 0; i < ZK_ARRAY_LEN(inits); i++)
        zk_sched_pod_free(inits[i]);
    zk_sched_cache_free(c);
}

static void test_fit_counts_init_containers_and_overhead(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *n = zk_sched_cache_node_set(c, simple_node("n1", NULL, "2", "1Gi", 10, NULL));
    zk_sched_pod *p = mkpod("{'metadata':{'name':'p','namespace':'d'},'spec':{"
                            "'initContainers':[{'name':'i','resources':{'requests':{'cpu':'2'}}}],"
                            "'containers':[{'name':'c','resources':{'requests':{'cpu':'1'}}}],"
                            "'overhead':{'cpu':'1m'}}}");
    assert_false(run_filter(c, "NodeResourcesFit", p, n, why, sizeof(why)));
    assert_string_equal(why, "Insufficient cpu");
    zk_sched_pod_free(p);
    zk_sched_cache_free(c);
}

static void test_node_name(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *n1 = zk_sched_cache_node_set(c, simple_node("n1", NULL, "1", "1Gi", 10, NULL));
    zk_sched_node *n2 = zk_sched_cache_node_set(c, simple_node("n2", NULL, "1", "1Gi", 10, NULL));
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL, "'nodeName':'n2'");
    assert_false(run_filter(c, "NodeName", p, n1, why, sizeof(why)));
    assert_string_equal(why, "node(s) didn't match the requested node name");
    assert_true(run_filter(c, "NodeName", p, n2, why, sizeof(why)));
    zk_sched_pod_free(p);
    zk_sched_cache_free(c);
}

static void test_node_selector(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *ssd = zk_sched_cache_node_set(
        c, simple_node("n1", "{'disk':'ssd','zone':'a'}", "1", "1Gi", 10, NULL));
    zk_sched_node *hdd = zk_sched_cache_node_set(
        c, simple_node("n2", "{'disk':'hdd','zone':'a'}", "1", "1Gi", 10, NULL));
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL, "'nodeSelector':{'disk':'ssd'}");
    assert_true(run_filter(c, "NodeAffinity", p, ssd, why, sizeof(why)));
    assert_false(run_filter(c, "NodeAffinity", p, hdd, why, sizeof(why)));
    assert_string_equal(why, "node(s) didn't match Pod's node affinity/selector");
    zk_sched_pod_free(p);
    zk_sched_cache_free(c);
}

static bool affinity_fits(zk_sched_cache *c, const char *exprs, const zk_sched_node *n)
{
    char spec[2048];
    snprintf(spec, sizeof(spec),
             "'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
             "{'nodeSelectorTerms':[%s]}}}", exprs);
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL, spec);
    bool ok = run_filter(c, "NodeAffinity", p, n, why, sizeof(why));
    zk_sched_pod_free(p);
    return ok;
}

static void test_required_node_affinity_operators(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *n = zk_sched_cache_node_set(
        c, simple_node("n1", "{'zone':'a','cores':'16'}", "1", "1Gi", 10, NULL));
#define EXPR(k, op, vals) "{'matchExpressions':[{'key':'" k "','operator':'" op "'" vals "}]}"
    assert_true(affinity_fits(c, EXPR("zone", "In", ",'values':['b','a']"), n));
    assert_false(affinity_fits(c, EXPR("zone", "In", ",'values':['b']"), n));
    assert_true(affinity_fits(c, EXPR("zone", "NotIn", ",'values':['b']"), n));
    assert_false(affinity_fits(c, EXPR("zone", "NotIn", ",'values':['a']"), n));
    assert_true(affinity_fits(c, EXPR("other", "NotIn", ",'values':['a']"), n));
    assert_true(affinity_fits(c, EXPR("zone", "Exists", ""), n));
    assert_false(affinity_fits(c, EXPR("other", "Exists", ""), n));
    assert_true(affinity_fits(c, EXPR("other", "DoesNotExist", ""), n));
    assert_false(affinity_fits(c, EXPR("zone", "DoesNotExist", ""), n));
    assert_true(affinity_fits(c, EXPR("cores", "Gt", ",'values':['8']"), n));
    assert_false(affinity_fits(c, EXPR("cores", "Gt", ",'values':['16']"), n));
    assert_true(affinity_fits(c, EXPR("cores", "Lt", ",'values':['17']"), n));
    assert_false(affinity_fits(c, EXPR("zone", "Lt", ",'values':['17']"), n));  /* not a number */
    assert_false(affinity_fits(c, EXPR("cores", "Gt", ",'values':['x']"), n));  /* bad operand */
    /* expressions in a term are ANDed, terms are ORed */
    assert_false(affinity_fits(c, "{'matchExpressions':[{'key':'zone','operator':'In','values':['a']},"
                                  "{'key':'cores','operator':'Lt','values':['4']}]}", n));
    assert_true(affinity_fits(c, EXPR("zone", "In", ",'values':['b']") "," EXPR("cores", "Exists", ""), n));
    /* matchFields on the node's name */
    assert_true(affinity_fits(c, "{'matchFields':[{'key':'metadata.name','operator':'In','values':['n1']}]}", n));
    assert_false(affinity_fits(c, "{'matchFields':[{'key':'metadata.name','operator':'NotIn','values':['n1']}]}", n));
    /* an empty term matches nothing; so does an empty list of terms */
    assert_false(affinity_fits(c, "{}", n));
    assert_false(affinity_fits(c, "", n));
#undef EXPR
    zk_sched_cache_free(c);
}

static void test_taints(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *n = zk_sched_cache_node_set(
        c, simple_node("n1", NULL, "1", "1Gi", 10,
                       "'taints':[{'key':'soft','effect':'PreferNoSchedule'},"
                       "{'key':'dedicated','value':'db','effect':'NoSchedule'},"
                       "{'key':'gone','effect':'NoExecute'}]"));
    zk_sched_pod *none = simple_pod("p0", NULL, NULL, NULL, NULL);
    assert_false(run_filter(c, "TaintToleration", none, n, why, sizeof(why)));
    assert_string_equal(why, "node(s) had untolerated taint {dedicated: db}");

    zk_sched_pod *one = simple_pod("p1", NULL, NULL, NULL,
                                   "'tolerations':[{'key':'dedicated','operator':'Equal',"
                                   "'value':'db','effect':'NoSchedule'}]");
    assert_false(run_filter(c, "TaintToleration", one, n, why, sizeof(why)));
    assert_string_equal(why, "node(s) had untolerated taint {gone: }");

    zk_sched_pod *wrong = simple_pod("p2", NULL, NULL, NULL,
                                     "'tolerations':[{'key':'dedicated','value':'web'},"
                                     "{'key':'gone','operator':'Exists'}]");
    assert_false(run_filter(c, "TaintToleration", wrong, n, why, sizeof(why)));
    assert_string_equal(why, "node(s) had untolerated taint {dedicated: db}");

    zk_sched_pod *both = simple_pod("p3", NULL, NULL, NULL,
                                    "'tolerations':[{'key':'dedicated','value':'db'},"
                                    "{'key':'gone','operator':'Exists','effect':'NoExecute'}]");
    assert_true(run_filter(c, "TaintToleration", both, n, why, sizeof(why)));

    /* an empty key with Exists tolerates everything */
    zk_sched_pod *all = simple_pod("p4", NULL, NULL, NULL, "'tolerations':[{'operator':'Exists'}]");
    assert_true(run_filter(c, "TaintToleration", all, n, why, sizeof(why)));

    /* an effect that differs does not tolerate */
    zk_sched_pod *eff = simple_pod("p5", NULL, NULL, NULL,
                                   "'tolerations':[{'operator':'Exists','effect':'PreferNoSchedule'}]");
    assert_false(run_filter(c, "TaintToleration", eff, n, why, sizeof(why)));

    zk_sched_pod *ps[] = {none, one, wrong, both, all, eff};
    for (size_t i = 0; i < ZK_ARRAY_LEN(ps); i++)
        zk_sched_pod_free(ps[i]);
    zk_sched_cache_free(c);
}

static void test_unschedulable(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *n = zk_sched_cache_node_set(
        c, simple_node("n1", NULL, "1", "1Gi", 10, "'unschedulable':true"));
    zk_sched_node *ok = zk_sched_cache_node_set(c, simple_node("n2", NULL, "1", "1Gi", 10, NULL));
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL, NULL);
    assert_false(run_filter(c, "NodeUnschedulable", p, n, why, sizeof(why)));
    assert_string_equal(why, "node(s) were unschedulable");
    assert_true(run_filter(c, "NodeUnschedulable", p, ok, why, sizeof(why)));
    zk_sched_pod *tol = simple_pod("t", NULL, NULL, NULL,
                                   "'tolerations':[{'key':'node.kubernetes.io/unschedulable',"
                                   "'operator':'Exists','effect':'NoSchedule'}]");
    assert_true(run_filter(c, "NodeUnschedulable", tol, n, why, sizeof(why)));
    zk_sched_pod_free(p);
    zk_sched_pod_free(tol);
    zk_sched_cache_free(c);
}

static void test_host_ports(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *n = zk_sched_cache_node_set(c, simple_node("n1", NULL, "1", "1Gi", 10, NULL));
    place(c, mkpod("{'metadata':{'name':'old','namespace':'d'},'spec':{'containers':[{'name':'c',"
                   "'ports':[{'containerPort':80,'hostPort':8080,'hostIP':'10.0.0.1'},"
                   "{'containerPort':53,'hostPort':53,'protocol':'UDP'}]}]}}"),
          "n1");
    static const struct {
        const char *port;
        bool ok;
    } cases[] = {
        {"{'containerPort':1,'hostPort':8080,'hostIP':'10.0.0.1'}", false},
        {"{'containerPort':1,'hostPort':8080}", false},               /* 0.0.0.0 takes all */
        {"{'containerPort':1,'hostPort':8080,'hostIP':'10.0.0.2'}", true},
        {"{'containerPort':1,'hostPort':8080,'protocol':'UDP'}", true},
        {"{'containerPort':1,'hostPort':53,'hostIP':'10.0.0.9','protocol':'UDP'}", false},
        {"{'containerPort':1,'hostPort':53}", true},                  /* TCP vs UDP */
        {"{'containerPort':8080}", true},                             /* no host port */
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        char buf[512];
        snprintf(buf, sizeof(buf), "{'metadata':{'name':'p','namespace':'d'},'spec':{"
                                   "'containers':[{'name':'c','ports':[%s]}]}}", cases[i].port);
        zk_sched_pod *p = mkpod(buf);
        bool ok = run_filter(c, "NodePorts", p, n, why, sizeof(why));
        if (ok != cases[i].ok)
            fail_msg("case %zu (%s): got %d", i, cases[i].port, ok);
        if (!ok)
            assert_string_equal(why, "node(s) didn't have free ports for the requested pod ports");
        zk_sched_pod_free(p);
    }
    zk_sched_cache_free(c);
}

#define ZONE_LABELS(z, h) "{'zone':'" z "','kubernetes.io/hostname':'" h "'}"

static void test_required_pod_affinity(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *a1 = zk_sched_cache_node_set(c, simple_node("a1", ZONE_LABELS("a", "a1"), "1", "1Gi", 10, NULL));
    zk_sched_node *a2 = zk_sched_cache_node_set(c, simple_node("a2", ZONE_LABELS("a", "a2"), "1", "1Gi", 10, NULL));
    zk_sched_node *b1 = zk_sched_cache_node_set(c, simple_node("b1", ZONE_LABELS("b", "b1"), "1", "1Gi", 10, NULL));
    zk_sched_node *bare = zk_sched_cache_node_set(c, simple_node("x", NULL, "1", "1Gi", 10, NULL));
    const char *aff = "'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                      "[{'labelSelector':{'matchLabels':{'app':'db'}},'topologyKey':'zone'}]}}";
    zk_sched_pod *web = simple_pod("web", "{'app':'web'}", NULL, NULL, aff);

    /* no db pod anywhere, and web does not select itself: nowhere fits */
    assert_false(run_filter(c, "InterPodAffinity", web, a1, why, sizeof(why)));
    assert_string_equal(why, "node(s) didn't match pod affinity rules");

    place(c, simple_pod("db", "{'app':'db'}", NULL, NULL, NULL), "a2");
    assert_true(run_filter(c, "InterPodAffinity", web, a1, why, sizeof(why)));
    assert_true(run_filter(c, "InterPodAffinity", web, a2, why, sizeof(why)));
    assert_false(run_filter(c, "InterPodAffinity", web, b1, why, sizeof(why)));
    assert_false(run_filter(c, "InterPodAffinity", web, bare, why, sizeof(why)));  /* no zone label */

    /* a db pod in another namespace does not count */
    zk_sched_cache *c2 = zk_sched_cache_new();
    zk_sched_node *o1 = zk_sched_cache_node_set(c2, simple_node("a1", ZONE_LABELS("a", "a1"), "1", "1Gi", 10, NULL));
    place(c2, mkpod("{'metadata':{'name':'db','namespace':'other','labels':{'app':'db'}},"
                    "'spec':{'containers':[{'name':'c'}]}}"), "a1");
    assert_false(run_filter(c2, "InterPodAffinity", web, o1, why, sizeof(why)));
    zk_sched_cache_free(c2);

    /* the first pod of a group that selects itself may go anywhere labelled */
    zk_sched_pod *self = simple_pod("s", "{'app':'grp'}", NULL, NULL,
                                    "'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                                    "[{'labelSelector':{'matchLabels':{'app':'grp'}},'topologyKey':'zone'}]}}");
    assert_true(run_filter(c, "InterPodAffinity", self, b1, why, sizeof(why)));
    assert_false(run_filter(c, "InterPodAffinity", self, bare, why, sizeof(why)));
    zk_sched_pod_free(self);
    zk_sched_pod_free(web);
    zk_sched_cache_free(c);
}

static void test_required_pod_anti_affinity(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *h1 = zk_sched_cache_node_set(c, simple_node("h1", ZONE_LABELS("a", "h1"), "1", "1Gi", 10, NULL));
    zk_sched_node *h2 = zk_sched_cache_node_set(c, simple_node("h2", ZONE_LABELS("a", "h2"), "1", "1Gi", 10, NULL));
    const char *anti = "'affinity':{'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                       "[{'labelSelector':{'matchLabels':{'app':'web'}},"
                       "'topologyKey':'kubernetes.io/hostname'}]}}";
    place(c, simple_pod("web-1", "{'app':'web'}", NULL, NULL, anti), "h1");
    zk_sched_pod *web2 = simple_pod("web-2", "{'app':'web'}", NULL, NULL, anti);
    assert_false(run_filter(c, "InterPodAffinity", web2, h1, why, sizeof(why)));
    assert_string_equal(why, "node(s) didn't match pod anti-affinity rules");
    assert_true(run_filter(c, "InterPodAffinity", web2, h2, why, sizeof(why)));

    /* a pod without terms is kept off h1 by web-1's own anti-affinity */
    zk_sched_pod *plain = simple_pod("plain", "{'app':'web'}", NULL, NULL, NULL);
    assert_false(run_filter(c, "InterPodAffinity", plain, h1, why, sizeof(why)));
    assert_string_equal(why, "node(s) didn't satisfy existing pods anti-affinity rules");
    assert_true(run_filter(c, "InterPodAffinity", plain, h2, why, sizeof(why)));
    zk_sched_pod *other = simple_pod("other", "{'app':'db'}", NULL, NULL, NULL);
    assert_true(run_filter(c, "InterPodAffinity", other, h1, why, sizeof(why)));

    /* zone topology: the whole zone is excluded */
    const char *zanti = "'affinity':{'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                        "[{'labelSelector':{'matchLabels':{'app':'web'}},'topologyKey':'zone'}]}}";
    zk_sched_pod *zweb = simple_pod("zweb", "{'app':'x'}", NULL, NULL, zanti);
    assert_false(run_filter(c, "InterPodAffinity", zweb, h2, why, sizeof(why)));
    zk_sched_pod_free(web2);
    zk_sched_pod_free(plain);
    zk_sched_pod_free(other);
    zk_sched_pod_free(zweb);
    zk_sched_cache_free(c);
}

static const json_t *ns_lookup(void *ctx, const char *ns)
{
    return !strcmp(ns, "team-a") ? (const json_t *)ctx : NULL;
}

static void test_anti_affinity_namespace_selector(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    json_t *labels = sq_json("{'team':'a'}");
    zk_sched_cache_set_ns_lookup(c, ns_lookup, labels);
    zk_sched_node *h1 = zk_sched_cache_node_set(c, simple_node("h1", ZONE_LABELS("a", "h1"), "1", "1Gi", 10, NULL));
    place(c, mkpod("{'metadata':{'name':'db','namespace':'team-a','labels':{'app':'db'}},"
                   "'spec':{'containers':[{'name':'c'}]}}"), "h1");
    zk_sched_pod *p = simple_pod("p", NULL, NULL, NULL,
                                 "'affinity':{'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                                 "[{'labelSelector':{'matchLabels':{'app':'db'}},"
                                 "'namespaceSelector':{'matchLabels':{'team':'a'}},"
                                 "'topologyKey':'zone'}]}}");
    assert_false(run_filter(c, "InterPodAffinity", p, h1, why, sizeof(why)));
    zk_sched_pod *q = simple_pod("q", NULL, NULL, NULL,
                                 "'affinity':{'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                                 "[{'labelSelector':{'matchLabels':{'app':'db'}},"
                                 "'namespaceSelector':{'matchLabels':{'team':'b'}},"
                                 "'topologyKey':'zone'}]}}");
    assert_true(run_filter(c, "InterPodAffinity", q, h1, why, sizeof(why)));
    zk_sched_pod_free(p);
    zk_sched_pod_free(q);
    json_decref(labels);
    zk_sched_cache_free(c);
}

static void test_topology_spread_filter(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *a = zk_sched_cache_node_set(c, simple_node("a", ZONE_LABELS("a", "a"), "1", "1Gi", 10, NULL));
    zk_sched_node *b = zk_sched_cache_node_set(c, simple_node("b", ZONE_LABELS("b", "b"), "1", "1Gi", 10, NULL));
    zk_sched_node *bare = zk_sched_cache_node_set(c, simple_node("x", NULL, "1", "1Gi", 10, NULL));
    const char *tsc = "'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
                      "'whenUnsatisfiable':'DoNotSchedule','labelSelector':{'matchLabels':{'app':'web'}}}]";
    place(c, simple_pod("w1", "{'app':'web'}", NULL, NULL, NULL), "a");
    zk_sched_pod *p = simple_pod("w2", "{'app':'web'}", NULL, NULL, tsc);
    /* a: 1 + 1 - 0 = 2 > 1; b: 0 + 1 - 0 = 1 */
    assert_false(run_filter(c, "PodTopologySpread", p, a, why, sizeof(why)));
    assert_string_equal(why, "node(s) didn't match pod topology spread constraints");
    assert_true(run_filter(c, "PodTopologySpread", p, b, why, sizeof(why)));
    assert_false(run_filter(c, "PodTopologySpread", p, bare, why, sizeof(why)));
    assert_string_equal(why, "node(s) didn't match pod topology spread constraints (missing required label)");

    /* pods in a node the pod's nodeSelector excludes do not count (Honor) */
    zk_sched_pod *sel = simple_pod("w3", "{'app':'web'}", NULL, NULL,
                                   "'nodeSelector':{'zone':'b'},"
                                   "'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
                                   "'whenUnsatisfiable':'DoNotSchedule','labelSelector':{'matchLabels':{'app':'web'}}}]");
    place(c, simple_pod("w4", "{'app':'web'}", NULL, NULL, NULL), "b");
    assert_true(run_filter(c, "PodTopologySpread", sel, b, why, sizeof(why)));  /* only domain b: 1+1-1 */

    /* minDomains above the domain count makes the minimum 0 */
    zk_sched_pod *md = simple_pod("w5", "{'app':'web'}", NULL, NULL,
                                  "'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
                                  "'minDomains':3,'whenUnsatisfiable':'DoNotSchedule',"
                                  "'labelSelector':{'matchLabels':{'app':'web'}}}]");
    assert_false(run_filter(c, "PodTopologySpread", md, b, why, sizeof(why)));  /* 1 + 1 - 0 */
    zk_sched_pod *nomd = simple_pod("w6", "{'app':'web'}", NULL, NULL, tsc);
    assert_true(run_filter(c, "PodTopologySpread", nomd, b, why, sizeof(why)));  /* 1 + 1 - 1 */

    /* ScheduleAnyway never filters */
    zk_sched_pod *soft = simple_pod("w7", "{'app':'web'}", NULL, NULL,
                                    "'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
                                    "'whenUnsatisfiable':'ScheduleAnyway','labelSelector':{'matchLabels':{'app':'web'}}}]");
    assert_true(run_filter(c, "PodTopologySpread", soft, bare, why, sizeof(why)));
    zk_sched_pod *ps[] = {p, sel, md, nomd, soft};
    for (size_t i = 0; i < ZK_ARRAY_LEN(ps); i++)
        zk_sched_pod_free(ps[i]);
    zk_sched_cache_free(c);
}

static void test_topology_spread_match_label_keys(void **state)
{
    zk_sched_cache *c = zk_sched_cache_new();
    zk_sched_node *a = zk_sched_cache_node_set(c, simple_node("a", ZONE_LABELS("a", "a"), "1", "1Gi", 10, NULL));
    zk_sched_cache_node_set(c, simple_node("b", ZONE_LABELS("b", "b"), "1", "1Gi", 10, NULL));
    /* an older revision's pod in zone a does not count for revision 2 */
    place(c, simple_pod("old", "{'app':'web','rev':'1'}", NULL, NULL, NULL), "a");
    zk_sched_pod *p = simple_pod("new", "{'app':'web','rev':'2'}", NULL, NULL,
                                 "'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone',"
                                 "'whenUnsatisfiable':'DoNotSchedule','matchLabelKeys':['rev'],"
                                 "'labelSelector':{'matchLabels':{'app':'web'}}}]");
    assert_true(run_filter(c, "PodTopologySpread", p, a, why, sizeof(why)));
    zk_sched_pod_free(p);
    zk_sched_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_resources),
        cmocka_unit_test(test_fit_counts_init_containers_and_overhead),
        cmocka_unit_test(test_node_name),
        cmocka_unit_test(test_node_selector),
        cmocka_unit_test(test_required_node_affinity_operators),
        cmocka_unit_test(test_taints),
        cmocka_unit_test(test_unschedulable),
        cmocka_unit_test(test_host_ports),
        cmocka_unit_test(test_required_pod_affinity),
        cmocka_unit_test(test_required_pod_anti_affinity),
        cmocka_unit_test(test_anti_affinity_namespace_selector),
        cmocka_unit_test(test_topology_spread_filter),
        cmocka_unit_test(test_topology_spread_match_label_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
