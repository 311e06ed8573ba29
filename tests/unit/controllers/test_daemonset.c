/* DaemonSet: which nodes want a daemon pod, the automatic tolerations, the
 * node affinity a pod gets, and the rolling update step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/json.h"
#include "controllers/workload.h"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON %s: %s", text, e.text);
    return j;
}

/* A daemon pod with spec `spec` as the controller makes it (tolerations
 * added). */
static json_t *daemon_pod(const char *spec)
{
    json_t *pod = js("{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"}}");
    json_t *s = js(spec);
    zk_ctl_ds_add_tolerations(s);
    json_object_set_new(pod, "spec", s);
    return pod;
}

static void expect(const char *spec, const char *node, bool run, bool cont)
{
    json_t *p = daemon_pod(spec), *n = js(node);
    bool r = !run, c = !cont;
    zk_ctl_ds_should_run(p, n, &r, &c);
    if (r != run || c != cont)
        fail_msg("pod %s on node %s: should_run %d (want %d), continue %d (want %d)", spec, node,
                 r, run, c, cont);
    json_decref(p);
    json_decref(n);
}

#define NODE(extra) "{\"metadata\":{\"name\":\"n1\",\"labels\":{\"zone\":\"a\",\"disk\":\"ssd\"}}" extra "}"

static void test_should_run(void **state)
{
    expect("{}", NODE(""), true, true);
    /* nodeSelector */
    expect("{\"nodeSelector\":{\"zone\":\"a\"}}", NODE(""), true, true);
    expect("{\"nodeSelector\":{\"zone\":\"b\"}}", NODE(""), false, false);
    /* required node affinity: terms ORed, expressions ANDed */
    expect("{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
           "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
           "\"values\":[\"b\"]}]},{\"matchExpressions\":[{\"key\":\"disk\",\"operator\":"
           "\"Exists\"}]}]}}}}",
           NODE(""), true, true);
    expect("{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
           "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
           "\"values\":[\"a\"]},{\"key\":\"disk\",\"operator\":\"DoesNotExist\"}]}]}}}}",
           NODE(""), false, false);
    /* a NoSchedule taint keeps new pods away but lets one there stay */
    expect("{}", NODE(",\"spec\":{\"taints\":[{\"key\":\"gpu\",\"effect\":\"NoSchedule\"}]}"),
           false, true);
    /* a NoExecute taint evicts */
    expect("{}", NODE(",\"spec\":{\"taints\":[{\"key\":\"gpu\",\"effect\":\"NoExecute\"}]}"),
           false, false);
    /* PreferNoSchedule does not matter */
    expect("{}", NODE(",\"spec\":{\"taints\":[{\"key\":\"gpu\",\"effect\":\"PreferNoSchedule\"}]}"),
           true, true);
    /* a toleration of the pod's own */
    expect("{\"tolerations\":[{\"key\":\"gpu\",\"operator\":\"Equal\",\"value\":\"yes\","
           "\"effect\":\"NoExecute\"}]}",
           NODE(",\"spec\":{\"taints\":[{\"key\":\"gpu\",\"value\":\"yes\",\"effect\":\"NoExecute\"}]}"),
           true, true);
    expect("{\"tolerations\":[{\"key\":\"gpu\",\"operator\":\"Equal\",\"value\":\"no\"}]}",
           NODE(",\"spec\":{\"taints\":[{\"key\":\"gpu\",\"value\":\"yes\",\"effect\":\"NoSchedule\"}]}"),
           false, true);
    /* the automatic tolerations: cordoned, unready and unreachable nodes
     * keep their daemon pods */
    expect("{}", NODE(",\"spec\":{\"unschedulable\":true,\"taints\":[{\"key\":"
                      "\"node.kubernetes.io/unschedulable\",\"effect\":\"NoSchedule\"}]}"),
           true, true);
    expect("{}", NODE(",\"spec\":{\"taints\":[{\"key\":\"node.kubernetes.io/not-ready\","
                      "\"effect\":\"NoExecute\"},{\"key\":\"node.kubernetes.io/unreachable\","
                      "\"effect\":\"NoExecute\"},{\"key\":\"node.kubernetes.io/memory-pressure\","
                      "\"effect\":\"NoSchedule\"}]}"),
           true, true);
    /* network-unavailable is tolerated only with hostNetwork */
    const char *netdown = NODE(",\"spec\":{\"taints\":[{\"key\":"
                               "\"node.kubernetes.io/network-unavailable\",\"effect\":\"NoSchedule\"}]}");
    expect("{}", netdown, false, true);
    expect("{\"hostNetwork\":true}", netdown, true, true);
    /* a template pinned to another node */
    expect("{\"nodeName\":\"n2\"}", NODE(""), false, false);
}

static void test_tolerations_not_repeated(void **state)
{
    json_t *spec = js("{\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\","
                      "\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]}");
    zk_ctl_ds_add_tolerations(spec);
    zk_ctl_ds_add_tolerations(spec);
    assert_int_equal(json_array_size(json_object_get(spec, "tolerations")), 6);
    json_decref(spec);
}

static void test_node_affinity(void **state)
{
    json_t *spec = js("{\"affinity\":{\"podAntiAffinity\":{},\"nodeAffinity\":{"
                      "\"preferredDuringSchedulingIgnoredDuringExecution\":[],"
                      "\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":"
                      "[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":"
                      "[\"a\"]}]}]}}}}");
    zk_ctl_ds_set_node_affinity(spec, "n7");
    json_t *want = js("{\"affinity\":{\"podAntiAffinity\":{},\"nodeAffinity\":{"
                      "\"preferredDuringSchedulingIgnoredDuringExecution\":[],"
                      "\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":"
                      "[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\","
                      "\"values\":[\"n7\"]}]}]}}}}");
    assert_true(json_equal(spec, want));
    json_t *pod = json_pack("{s:O}", "spec", spec);
    assert_string_equal(zk_ctl_ds_pod_node(pod), "n7");
    json_object_set_new(spec, "nodeName", json_string("n8"));
    assert_string_equal(zk_ctl_ds_pod_node(pod), "n8");
    json_decref(pod);
    json_decref(want);
    json_decref(spec);
    spec = js("{}");
    zk_ctl_ds_set_node_affinity(spec, "n1");
    pod = json_pack("{s:o}", "spec", spec);
    assert_string_equal(zk_ctl_ds_pod_node(pod), "n1");
    json_decref(pod);
    pod = js("{\"spec\":{}}");
    assert_null(zk_ctl_ds_pod_node(pod));
    json_decref(pod);
}

static json_t *const OLD = (json_t *)1, *const NEW = (json_t *)2;

/* nodes described by letters: o = old available, u = old unavailable,
 * n = new available, w = new not yet available, b = both (old available,
 * new w), B = both with new available, x = neither */
static size_t make_nodes(const char *desc, zk_ctl_ds_node *nodes)
{
    size_t n = strlen(desc);
    for (size_t i = 0; i < n; i++) {
        zk_ctl_ds_node *d = &nodes[i];
        memset(d, 0, sizeof(*d));
        d->name = "node";
        switch (desc[i]) {
        case 'o': d->old_pod = OLD; d->old_available = true; break;
        case 'u': d->old_pod = OLD; break;
        case 'n': d->new_pod = NEW; d->new_available = true; break;
        case 'w': d->new_pod = NEW; break;
        case 'b': d->old_pod = OLD; d->old_available = true; d->new_pod = NEW; break;
        case 'B': d->old_pod = OLD; d->old_available = true; d->new_pod = NEW;
                  d->new_available = true; break;
        default: break;
        }
    }
    return n;
}

static void expect_step(const char *desc, int64_t surge, int64_t unav, const char *want_del,
                        const char *want_add)
{
    zk_ctl_ds_node nodes[32];
    size_t n = make_nodes(desc, nodes);
    size_t del[32], add[32], ndel = 99, nadd = 99;
    zk_ctl_ds_rolling_step(nodes, n, surge, unav, del, &ndel, add, &nadd);
    char got_del[33] = {0}, got_add[33] = {0};
    /* as a string of node positions marked with 'd' / 'a' */
    memset(got_del, '.', n);
    memset(got_add, '.', n);
    for (size_t i = 0; i < ndel; i++)
        got_del[del[i]] = 'd';
    for (size_t i = 0; i < nadd; i++)
        got_add[add[i]] = 'a';
    if (strcmp(got_del, want_del) || strcmp(got_add, want_add))
        fail_msg("%s surge %lld unavailable %lld: deletes %s (want %s), adds %s (want %s)", desc,
                 (long long)surge, (long long)unav, got_del, want_del, got_add, want_add);
}

static void test_rolling_step(void **state)
{
    /* maxUnavailable 1: one old pod at a time */
    expect_step("ooo", 0, 1, "d..", "...");
    /* a new pod not yet available holds the next one back */
    expect_step("woo", 0, 1, "...", "...");
    expect_step("noo", 0, 1, ".d.", "...");
    /* a node between pods (old one gone, new one not there) counts as down */
    expect_step("xoo", 0, 1, "...", "...");
    expect_step("xoo", 0, 2, ".d.", "...");
    /* unavailable old pods are replaced whatever the budget, and do not
     * use it up (as in Kubernetes: they are down already) */
    expect_step("uuo", 0, 1, "ddd", "...");
    expect_step("uwo", 0, 1, "d..", "...");
    /* maxUnavailable 2 of 4 */
    expect_step("oooo", 0, 2, "dd..", "....");
    expect_step("nnnn", 0, 1, "....", "....");
    /* maxSurge 1: the new pod starts beside the old one */
    expect_step("ooo", 1, 0, "...", "a..");
    expect_step("boo", 1, 0, "...", "...");
    /* once available, the old one goes and the next node surges */
    expect_step("Boo", 1, 0, "d..", ".a.");
    expect_step("noo", 1, 0, "...", ".a.");
    /* an unavailable old pod gets its replacement at once */
    expect_step("buo", 1, 0, "...", ".a.");
    expect_step("ooo", 2, 0, "...", "aa.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_should_run),
        cmocka_unit_test(test_tolerations_not_repeated),
        cmocka_unit_test(test_node_affinity),
        cmocka_unit_test(test_rolling_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
