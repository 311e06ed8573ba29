/* ResourceQuota: usage of pods, services, claims and counted kinds; the
 * admission check and its messages; the status a quota gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "admission/quota.h"
#include "base/json.h"
#include "base/mem.h"

#define NOW 1800000000 /* 2027-01-15 */

static json_t *J(const char *text)
{
    char *s = zk_xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    if (!j)
        print_error("bad test JSON at %d:%d: %s\n%s\n", err.line, err.column, err.text, s);
    free(s);
    assert_non_null(j);
    return j;
}

static void assert_str(const char *got, const char *want)
{
    if (!got || strcmp(got, want))
        print_error("got:  %s\nwant: %s\n", got ? got : "(null)", want);
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* usage of obj, as "a=1,b=2" */
static char *usage(const char *group, const char *resource, const char *obj_text)
{
    zk_autojson json_t *obj = J(obj_text);
    zk_adm_rlist u = ZK_ADM_RLIST_INIT;
    zk_adm_quota_usage(&u, group, resource, obj, NOW);
    char *s = zk_adm_rlist_format(&u);
    zk_adm_rlist_free(&u);
    return s;
}

/* ---- a namespace of objects for the admission check ---- */

typedef struct fake_obj {
    const char *group, *resource, *ns;
    zk_adm_quota_item item;
} fake_obj;

typedef struct fake_ns {
    fake_obj objs[16];
    size_t n;
    int visits;
} fake_ns;

static void fake_add(fake_ns *f, const char *group, const char *resource, const char *ns,
                     const char *text)
{
    assert_true(f->n < 16);
    fake_obj *o = &f->objs[f->n++];
    *o = (fake_obj){group, resource, ns, {{0}}};
    zk_autojson json_t *doc = J(text);
    zk_adm_quota_item_init(&o->item, group, resource, doc);
}

static void fake_free(fake_ns *f)
{
    for (size_t i = 0; i < f->n; i++)
        zk_adm_quota_item_free(&f->objs[i].item);
}

static void fake_each(void *ud, const char *group, const char *resource, const char *ns,
                      zk_adm_visit_fn fn, void *arg)
{
    fake_ns *f = ud;
    for (size_t i = 0; i < f->n; i++) {
        fake_obj *o = &f->objs[i];
        if (!strcmp(o->group, group) && !strcmp(o->resource, resource) && !strcmp(o->ns, ns)) {
            f->visits++;
            fn(arg, &o->item);
        }
    }
}

static json_t *quota(const char *name, const char *spec)
{
    char *s = zk_xasprintf("{'metadata':{'name':'%s','namespace':'ns'},'spec':%s}", name, spec);
    json_t *q = J(s);
    free(s);
    return q;
}

static const char pod_300m[] =
    "{'metadata':{'name':'p','namespace':'ns'},'spec':{'containers':[{'name':'c',"
    "'resources':{'requests':{'cpu':'300m','memory':'100Mi'},'limits':{'cpu':'1'}}}]}}";

static char *admit(fake_ns *f, const char *resource, const char *obj_text, json_t **quotas,
                   size_t n)
{
    zk_adm_objects src = {f, fake_each, NULL};
    zk_autojson json_t *obj = J(obj_text);
    return zk_adm_quota_admit(&src, "", resource, "ns", obj, NULL,
                              (const json_t *const *)quotas, n, NOW);
}

/* ---- usage ---- */

static void test_pod_usage(void **state)
{
    zk_autofree char *u = usage("", "pods", pod_300m);
    assert_str(u, "count/pods=1,cpu=300m,limits.cpu=1,memory=100Mi,pods=1,requests.cpu=300m,"
                  "requests.memory=100Mi");
    /* containers add up; the init container is a floor; overhead adds */
    zk_autofree char *u2 = usage("", "pods",
                                 "{'spec':{'containers':["
                                 "{'name':'a','resources':{'requests':{'cpu':'1','hugepages-2Mi':'4Mi',"
                                 "'example.com/gpu':'1'}}},"
                                 "{'name':'b','resources':{'requests':{'cpu':'500m'}}}],"
                                 "'initContainers':[{'name':'i','resources':{'requests':{'cpu':'2'}}}],"
                                 "'overhead':{'cpu':'100m'}}}");
    assert_str(u2, "count/pods=1,cpu=2100m,hugepages-2Mi=4Mi,pods=1,requests.cpu=2100m,"
                   "requests.example.com/gpu=1,requests.hugepages-2Mi=4Mi");
}

static void test_finished_pods_count_only_as_objects(void **state)
{
    zk_autofree char *done = usage("", "pods",
                                   "{'spec':{'containers':[{'name':'c','resources':"
                                   "{'requests':{'cpu':'1'}}}]},'status':{'phase':'Succeeded'}}");
    assert_str(done, "count/pods=1");
    zk_autofree char *failed = usage("", "pods", "{'spec':{},'status':{'phase':'Failed'}}");
    assert_str(failed, "count/pods=1");
    /* terminating past its grace period (deleted at NOW-60 with 30s) */
    zk_autofree char *stuck = usage("", "pods",
                                    "{'metadata':{'deletionTimestamp':'2027-01-15T07:59:00Z',"
                                    "'deletionGracePeriodSeconds':30},'spec':{}}");
    assert_str(stuck, "count/pods=1");
    /* still inside it */
    zk_autofree char *going = usage("", "pods",
                                    "{'metadata':{'deletionTimestamp':'2027-01-15T07:59:50Z',"
                                    "'deletionGracePeriodSeconds':30},'spec':{}}");
    assert_str(going, "count/pods=1,pods=1");
}

static void test_other_usage(void **state)
{
    zk_autofree char *np = usage("", "services", "{'spec':{'type':'NodePort','ports':[{'port':80},"
                                                 "{'port':443}]}}");
    assert_str(np, "count/services=1,services=1,services.loadbalancers=0,services.nodeports=2");
    zk_autofree char *lb = usage("", "services", "{'spec':{'type':'LoadBalancer',"
                                                 "'allocateLoadBalancerNodePorts':false,"
                                                 "'ports':[{'port':80}]}}");
    assert_str(lb, "count/services=1,services=1,services.loadbalancers=1,services.nodeports=0");
    zk_autofree char *pvc = usage("", "persistentvolumeclaims",
                                  "{'spec':{'storageClassName':'fast','resources':"
                                  "{'requests':{'storage':'5Gi'}}}}");
    assert_str(pvc, "count/persistentvolumeclaims=1,"
                    "fast.storageclass.storage.k8s.io/persistentvolumeclaims=1,"
                    "fast.storageclass.storage.k8s.io/requests.storage=5Gi,"
                    "persistentvolumeclaims=1,requests.storage=5Gi");
    zk_autofree char *cm = usage("", "configmaps", "{}");
    assert_str(cm, "configmaps=1,count/configmaps=1");
    zk_autofree char *dep = usage("apps", "deployments", "{}");
    assert_str(dep, "count/deployments.apps=1");
    zk_autofree char *ev = usage("", "events", "{}");
    assert_str(ev, "");
}

static void test_sources(void **state)
{
    static const struct {
        const char *name, *group, *resource;
    } cases[] = {
        {"pods", "", "pods"},
        {"requests.cpu", "", "pods"},
        {"limits.memory", "", "pods"},
        {"cpu", "", "pods"},
        {"requests.hugepages-2Mi", "", "pods"},
        {"requests.example.com/gpu", "", "pods"},
        {"count/pods", "", "pods"},
        {"requests.storage", "", "persistentvolumeclaims"},
        {"gold.storageclass.storage.k8s.io/requests.storage", "", "persistentvolumeclaims"},
        {"services.nodeports", "", "services"},
        {"secrets", "", "secrets"},
        {"count/deployments.apps", "apps", "deployments"},
        {"count/widgets.example.com", "example.com", "widgets"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char g[64], r[64];
        assert_true(zk_adm_quota_source(cases[i].name, g, sizeof(g), r, sizeof(r)));
        assert_str(g, cases[i].group);
        assert_str(r, cases[i].resource);
    }
    char g[64], r[64];
    assert_false(zk_adm_quota_source("limits.example.com/gpu", g, sizeof(g), r, sizeof(r)));
    assert_false(zk_adm_quota_source("nonsense", g, sizeof(g), r, sizeof(r)));
    assert_false(zk_adm_quota_source("count/.apps", g, sizeof(g), r, sizeof(r)));
}

/* ---- admission ---- */

static void test_pod_count_exceeded(void **state)
{
    fake_ns f = {0};
    fake_add(&f, "", "pods", "ns", "{'spec':{}}");
    fake_add(&f, "", "pods", "ns", "{'spec':{}}");
    fake_add(&f, "", "pods", "other", "{'spec':{}}");
    /* a finished pod is not counted */
    fake_add(&f, "", "pods", "ns", "{'spec':{},'status':{'phase':'Succeeded'}}");
    json_t *q = quota("compute", "{'hard':{'pods':'2'}}");
    zk_autofree char *msg = admit(&f, "pods", "{'spec':{}}", &q, 1);
    assert_str(msg, "exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2");
    json_decref(q);
    fake_free(&f);
}

static void test_pod_count_allowed(void **state)
{
    fake_ns f = {0};
    fake_add(&f, "", "pods", "ns", "{'spec':{}}");
    json_t *q = quota("compute", "{'hard':{'pods':'2'}}");
    assert_null(admit(&f, "pods", "{'spec':{}}", &q, 1));
    json_decref(q);
    fake_free(&f);
}

static void test_cpu_sums(void **state)
{
    fake_ns f = {0};
    fake_add(&f, "", "pods", "ns", pod_300m);
    fake_add(&f, "", "pods", "ns", pod_300m);
    json_t *qs[2] = {quota("a-pods", "{'hard':{'pods':'10'}}"),
                     quota("b-cpu", "{'hard':{'requests.cpu':'1','limits.cpu':'4',"
                                    "'requests.memory':'1Gi'}}")};
    /* 600m used + 500m asked > 1; limits (2 + 1 <= 4) and memory are fine */
    zk_autofree char *msg = admit(&f, "pods",
                                  "{'spec':{'containers':[{'name':'c','resources':{'requests':"
                                  "{'cpu':'500m','memory':'1Mi'},'limits':{'cpu':'1'}}}]}}",
                                  qs, 2);
    assert_str(msg, "exceeded quota: b-cpu, requested: requests.cpu=500m, used: "
                    "requests.cpu=600m, limited: requests.cpu=1");
    /* 400m fits exactly */
    zk_autofree char *ok = admit(&f, "pods",
                                 "{'spec':{'containers':[{'name':'c','resources':{'requests':"
                                 "{'cpu':'400m','memory':'1Mi'},'limits':{'cpu':'1'}}}]}}",
                                 qs, 2);
    assert_null(ok);
    json_decref(qs[0]);
    json_decref(qs[1]);
    fake_free(&f);
}

static void test_several_exceeded_are_sorted(void **state)
{
    fake_ns f = {0};
    fake_add(&f, "", "pods", "ns", pod_300m);
    json_t *q = quota("q", "{'hard':{'requests.memory':'150Mi','pods':'1','requests.cpu':'10'}}");
    zk_autofree char *msg = admit(&f, "pods", pod_300m, &q, 1);
    assert_str(msg, "exceeded quota: q, requested: pods=1,requests.memory=100Mi, used: "
                    "pods=1,requests.memory=100Mi, limited: pods=1,requests.memory=150Mi");
    json_decref(q);
    fake_free(&f);
}

static void test_compute_quota_needs_resources(void **state)
{
    fake_ns f = {0};
    json_t *q = quota("mem", "{'hard':{'limits.cpu':'4','requests.memory':'1Gi','pods':'9'}}");
    zk_autofree char *msg = admit(&f, "pods",
                                  "{'spec':{'containers':["
                                  "{'name':'web','resources':{'requests':{'memory':'1Mi'}}},"
                                  "{'name':'app'}],"
                                  "'initContainers':[{'name':'init','resources':"
                                  "{'limits':{'cpu':'1'}}}]}}",
                                  &q, 1);
    assert_str(msg, "failed quota: mem: must specify limits.cpu for: app,web; requests.memory "
                    "for: app,init");
    /* nothing is scanned when the pod is refused on its own */
    assert_int_equal(f.visits, 0);
    json_decref(q);
    fake_free(&f);
}

static void test_scopes(void **state)
{
    fake_ns f = {0};
    /* one best-effort pod exists, one burstable */
    fake_add(&f, "", "pods", "ns", "{'spec':{'containers':[{'name':'c'}]}}");
    fake_add(&f, "", "pods", "ns", pod_300m);
    json_t *q = quota("be", "{'hard':{'pods':'1'},'scopes':['BestEffort']}");
    /* a burstable pod is outside the quota */
    assert_null(admit(&f, "pods", pod_300m, &q, 1));
    zk_autofree char *msg = admit(&f, "pods", "{'spec':{'containers':[{'name':'c'}]}}", &q, 1);
    assert_str(msg, "exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1");
    json_decref(q);
    /* scopes leave other kinds out */
    json_t *qc = quota("cm", "{'hard':{'configmaps':'0'},'scopes':['NotTerminating']}");
    assert_null(admit(&f, "configmaps", "{}", &qc, 1));
    json_decref(qc);
    /* priority class selector */
    json_t *qp = quota("prio", "{'hard':{'pods':'0'},'scopeSelector':{'matchExpressions':"
                               "[{'scopeName':'PriorityClass','operator':'In',"
                               "'values':['high']}]}}");
    assert_null(admit(&f, "pods", "{'spec':{'priorityClassName':'low'}}", &qp, 1));
    zk_autofree char *m2 = admit(&f, "pods", "{'spec':{'priorityClassName':'high'}}", &qp, 1);
    assert_str(m2, "exceeded quota: prio, requested: pods=1, used: pods=0, limited: pods=0");
    json_decref(qp);
    fake_free(&f);
}

static void test_object_counts(void **state)
{
    fake_ns f = {0};
    fake_add(&f, "", "configmaps", "ns", "{}");
    fake_add(&f, "", "configmaps", "ns", "{}");
    json_t *q = quota("objs", "{'hard':{'count/configmaps':'2','pods':'0'}}");
    zk_autofree char *msg = admit(&f, "configmaps", "{}", &q, 1);
    assert_str(msg, "exceeded quota: objs, requested: count/configmaps=1, used: "
                    "count/configmaps=2, limited: count/configmaps=2");
    /* secrets are not limited by this quota: nothing is scanned */
    f.visits = 0;
    assert_null(admit(&f, "secrets", "{}", &q, 1));
    assert_int_equal(f.visits, 0);
    json_decref(q);
    fake_free(&f);
}

static void test_updates(void **state)
{
    fake_ns f = {0};
    static const char small[] = "{'metadata':{'name':'c'},'spec':{'resources':{'requests':"
                                "{'storage':'4Gi'}}}}";
    fake_add(&f, "", "persistentvolumeclaims", "ns", small);
    fake_add(&f, "", "services", "ns", "{'spec':{'type':'NodePort','ports':[{'port':1}]}}");
    json_t *q = quota("st", "{'hard':{'requests.storage':'10Gi','services.nodeports':'2'}}");
    zk_adm_objects src = {&f, fake_each, NULL};
    zk_autojson json_t *old = J(small);
    /* growing the claim by 8Gi passes 10Gi; the request names the growth */
    zk_autojson json_t *big = J("{'metadata':{'name':'c'},'spec':{'resources':{'requests':"
                                "{'storage':'12Gi'}}}}");
    zk_autofree char *m1 = zk_adm_quota_admit(&src, "", "persistentvolumeclaims", "ns", big, old,
                                              (const json_t *const *)&q, 1, NOW);
    assert_str(m1, "exceeded quota: st, requested: requests.storage=8Gi, used: "
                   "requests.storage=4Gi, limited: requests.storage=10Gi");
    zk_autojson json_t *more = J("{'metadata':{'name':'c'},'spec':{'resources':{'requests':"
                                 "{'storage':'10Gi'}}}}");
    assert_null(zk_adm_quota_admit(&src, "", "persistentvolumeclaims", "ns", more, old,
                                   (const json_t *const *)&q, 1, NOW));
    /* shrinking adds nothing */
    assert_null(zk_adm_quota_admit(&src, "", "persistentvolumeclaims", "ns", old, big,
                                   (const json_t *const *)&q, 1, NOW));
    /* a ClusterIP Service becoming a NodePort one with two ports: 1 + 2 > 2 */
    zk_autojson json_t *cip = J("{'metadata':{'name':'s'},'spec':{'ports':[{'port':1},"
                                "{'port':2}]}}");
    zk_autojson json_t *np = J("{'metadata':{'name':'s'},'spec':{'type':'NodePort','ports':"
                               "[{'port':1},{'port':2}]}}");
    zk_autofree char *m2 = zk_adm_quota_admit(&src, "", "services", "ns", np, cip,
                                              (const json_t *const *)&q, 1, NOW);
    assert_str(m2, "exceeded quota: st, requested: services.nodeports=2, used: "
                   "services.nodeports=1, limited: services.nodeports=2");
    /* pods are not charged on update */
    json_t *qp = quota("p", "{'hard':{'pods':'0'}}");
    zk_autojson json_t *pod = J(pod_300m);
    assert_null(zk_adm_quota_admit(&src, "", "pods", "ns", pod, pod,
                                   (const json_t *const *)&qp, 1, NOW));
    json_decref(qp);
    json_decref(q);
    fake_free(&f);
}

/* ---- status ---- */

static void test_status(void **state)
{
    fake_ns f = {0};
    fake_add(&f, "", "pods", "ns", pod_300m);
    fake_add(&f, "", "pods", "ns", pod_300m);
    fake_add(&f, "", "pods", "ns", "{'spec':{},'status':{'phase':'Failed'}}");
    fake_add(&f, "", "pods", "elsewhere", pod_300m);
    fake_add(&f, "", "services", "ns", "{'spec':{'type':'NodePort','ports':[{'port':1}]}}");
    json_t *q = quota("all", "{'hard':{'pods':'10','requests.cpu':'2','requests.memory':'1Gi',"
                             "'count/pods':'20','services.nodeports':'5','secrets':'3',"
                             "'count/widgets.example.com':'1'}}");
    zk_adm_objects src = {&f, fake_each, NULL};
    zk_autojson json_t *st = zk_adm_quota_status(&src, q, NOW);
    zk_autojson json_t *want = J("{'hard':{'count/pods':'20','count/widgets.example.com':'1',"
                                 "'pods':'10','requests.cpu':'2','requests.memory':'1Gi',"
                                 "'secrets':'3','services.nodeports':'5'},"
                                 "'used':{'count/pods':'3','count/widgets.example.com':'0',"
                                 "'pods':'2','requests.cpu':'600m','requests.memory':'200Mi',"
                                 "'secrets':'0','services.nodeports':'1'}}");
    if (!json_equal(st, want)) {
        char *s = json_dumps(st, JSON_SORT_KEYS);
        print_error("status: %s\n", s);
        free(s);
    }
    assert_true(json_equal(st, want));
    json_decref(q);
    fake_free(&f);
}

/* A kept count, moved by writes, stands in for counting at admission. */
static zk_adm_rlist kept;
static int kept_asked;

static const zk_adm_rlist *kept_used(void *ud, const json_t *quota)
{
    kept_asked++;
    return &kept;
}

static void test_kept_counts(void **state)
{
    fake_ns f = {0};
    fake_add(&f, "", "pods", "ns", pod_300m);
    json_t *q = quota("q", "{'hard':{'pods':'2','requests.cpu':'1'},'scopes':['NotBestEffort']}");
    zk_adm_objects src = {&f, fake_each, NULL};
    zk_adm_quota_count(&src, q, NOW, &kept);
    zk_autofree char *s0 = zk_adm_rlist_format(&kept);
    assert_string_equal(s0, "pods=1,requests.cpu=300m");

    /* a second pod is accepted: it counts at once */
    zk_autojson json_t *doc = J(pod_300m);
    zk_adm_quota_item it;
    zk_adm_quota_item_init(&it, "", "pods", doc);
    zk_adm_quota_account(&kept, q, &it, NOW, false);
    zk_autofree char *s1 = zk_adm_rlist_format(&kept);
    assert_string_equal(s1, "pods=2,requests.cpu=600m");
    /* a best-effort pod is outside the quota's scope */
    zk_autojson json_t *be = J("{'spec':{'containers':[{'name':'c'}]}}");
    zk_adm_quota_item bi;
    zk_adm_quota_item_init(&bi, "", "pods", be);
    zk_adm_quota_account(&kept, q, &bi, NOW, false);
    zk_autofree char *s2 = zk_adm_rlist_format(&kept);
    assert_string_equal(s2, "pods=2,requests.cpu=600m");

    /* admission reads the kept count, not the objects (only one is there) */
    src.used = kept_used;
    f.visits = 0;
    zk_autojson json_t *obj = J(pod_300m);
    zk_autofree char *msg = zk_adm_quota_admit(&src, "", "pods", "ns", obj, NULL,
                                               (const json_t *const *)&q, 1, NOW);
    assert_string_equal(msg, "exceeded quota: q, requested: pods=1, used: pods=2, limited: "
                             "pods=2");
    assert_int_equal(kept_asked, 1);
    assert_int_equal(f.visits, 0);

    /* the pod goes away (twice: a count never goes below zero) */
    zk_adm_quota_account(&kept, q, &it, NOW, true);
    zk_adm_quota_account(&kept, q, &it, NOW, true);
    zk_adm_quota_account(&kept, q, &it, NOW, true);
    zk_autofree char *s3 = zk_adm_rlist_format(&kept);
    assert_string_equal(s3, "pods=0,requests.cpu=0");
    zk_adm_quota_item_free(&it);
    zk_adm_quota_item_free(&bi);
    zk_adm_rlist_free(&kept);
    json_decref(q);
    fake_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_usage),
        cmocka_unit_test(test_finished_pods_count_only_as_objects),
        cmocka_unit_test(test_other_usage),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_pod_count_exceeded),
        cmocka_unit_test(test_pod_count_allowed),
        cmocka_unit_test(test_cpu_sums),
        cmocka_unit_test(test_several_exceeded_are_sorted),
        cmocka_unit_test(test_compute_quota_needs_resources),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_object_counts),
        cmocka_unit_test(test_updates),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_kept_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
