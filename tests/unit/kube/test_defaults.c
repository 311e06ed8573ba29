#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "kube/defaults.h"

static json_t *parse(const char *s)
{
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    if (!j)
        print_error("bad test JSON at %d:%d: %s\n", err.line, err.column, err.text);
    assert_non_null(j);
    return j;
}

static void assert_json(const json_t *got, const char *want_text)
{
    zk_autojson json_t *want = parse(want_text);
    if (!json_equal((json_t *)got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
        print_error("got:\n%s\nwant:\n%s\n", g, w);
        free(g);
        free(w);
    }
    assert_true(json_equal((json_t *)got, want));
}

/* Default obj as its kind says, check the result, and that a second run
 * changes nothing. */
static json_t *defaulted(const char *group, const char *kind, const char *text)
{
    json_t *obj = parse(text);
    zk_kube_defaulter fn = zk_kube_defaulter_for(group, NULL, kind);
    assert_non_null(fn);
    fn(obj);
    zk_autojson json_t *again = json_deep_copy(obj);
    fn(again);
    assert_true(json_equal(obj, again));
    return obj;
}

#define CONTAINER_DEFAULTS                                                                 \
    "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\"," \
    "\"resources\":{}"
#define POD_SPEC_DEFAULTS                                                                  \
    "\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\","                         \
    "\"terminationGracePeriodSeconds\":30,\"securityContext\":{},"                         \
    "\"schedulerName\":\"default-scheduler\""

static void test_minimal_deployment(void **state)
{
    zk_autojson json_t *d = defaulted("apps", "Deployment",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"
        "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":["
        "{\"name\":\"web\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]},"
        "{\"name\":\"side\",\"image\":\"busybox\"}]}}}}");
    assert_json(d,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"
        "\"spec\":{\"replicas\":1,\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600,"
        "\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"25%\","
        "\"maxSurge\":\"25%\"}},\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{" POD_SPEC_DEFAULTS ","
        "\"containers\":["
        "{\"name\":\"web\",\"image\":\"nginx:1.25\",\"imagePullPolicy\":\"IfNotPresent\","
        "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]," CONTAINER_DEFAULTS "},"
        "{\"name\":\"side\",\"image\":\"busybox\",\"imagePullPolicy\":\"Always\","
        CONTAINER_DEFAULTS "}]}}}}");
}

static void test_deployment_keeps_user_values(void **state)
{
    zk_autojson json_t *d = defaulted("apps", "Deployment",
        "{\"spec\":{\"replicas\":0,\"revisionHistoryLimit\":0,\"strategy\":{\"type\":\"Recreate\"},"
        "\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"a\","
        "\"image\":\"x\",\"imagePullPolicy\":\"Never\",\"ports\":[{\"containerPort\":53,"
        "\"protocol\":\"UDP\"}]}]}}}}");
    assert_json(json_object_get(d, "spec"),
        "{\"replicas\":0,\"revisionHistoryLimit\":0,\"progressDeadlineSeconds\":600,"
        "\"strategy\":{\"type\":\"Recreate\"},\"template\":{\"spec\":{"
        "\"restartPolicy\":\"Never\",\"dnsPolicy\":\"ClusterFirst\","
        "\"terminationGracePeriodSeconds\":30,\"securityContext\":{},"
        "\"schedulerName\":\"default-scheduler\",\"containers\":[{\"name\":\"a\",\"image\":\"x\","
        "\"imagePullPolicy\":\"Never\",\"ports\":[{\"containerPort\":53,\"protocol\":\"UDP\"}],"
        CONTAINER_DEFAULTS "}]}}}");
}

static void test_pull_policy_by_tag(void **state)
{
    static const struct { const char *image, *policy; } cases[] = {
        {"nginx", "Always"},
        {"nginx:latest", "Always"},
        {"nginx:1.25", "IfNotPresent"},
        {"docker.io/library/nginx", "Always"},
        {"registry:5000/team/app", "Always"},
        {"registry:5000/team/app:v2", "IfNotPresent"},
        {"localhost/app", "Always"},
        {"nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "IfNotPresent"},
        {"nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "Always"},
        {"Nginx", "IfNotPresent"}, /* not a valid reference: no tag found */
        {"", "IfNotPresent"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        zk_autojson json_t *pod = json_pack("{s:{s:[{s:s,s:s}]}}", "spec", "containers", "name",
                                            "c", "image", cases[i].image);
        zk_kube_default_pod(pod);
        const char *got = zk_json_path_str(json_array_get(zk_json_path(pod, "spec", "containers",
                                                                       NULL), 0),
                                           "imagePullPolicy", NULL);
        if (strcmp(got, cases[i].policy) != 0)
            print_error("%s: got %s want %s\n", cases[i].image, got, cases[i].policy);
        assert_string_equal(got, cases[i].policy);
    }
}

static void test_pod_defaults(void **state)
{
    zk_autojson json_t *pod = defaulted("", "Pod",
        "{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"app:v1\","
        "\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"},"
        "\"requests\":{\"cpu\":\"100m\"}},"
        "\"env\":[{\"name\":\"POD\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}],"
        "\"livenessProbe\":{\"httpGet\":{\"port\":8080}},"
        "\"readinessProbe\":{\"tcpSocket\":{\"port\":8080},\"periodSeconds\":5},"
        "\"lifecycle\":{\"preStop\":{\"httpGet\":{\"port\":8080,\"path\":\"/stop\"}}}}],"
        "\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox:latest\"}],"
        "\"volumes\":[{\"name\":\"cfg\",\"configMap\":{\"name\":\"cfg\"}},"
        "{\"name\":\"sec\",\"secret\":{\"secretName\":\"s\",\"defaultMode\":256}},"
        "{\"name\":\"scratch\"},{\"name\":\"host\",\"hostPath\":{\"path\":\"/var\"}},"
        "{\"name\":\"info\",\"downwardAPI\":{\"items\":[{\"path\":\"n\",\"fieldRef\":{"
        "\"fieldPath\":\"metadata.name\"}}]}}]}}");
    assert_json(json_object_get(pod, "spec"),
        "{" POD_SPEC_DEFAULTS ",\"enableServiceLinks\":true,"
        "\"containers\":[{\"name\":\"app\",\"image\":\"app:v1\",\"imagePullPolicy\":\"IfNotPresent\","
        "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
        "\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"},"
        "\"requests\":{\"cpu\":\"100m\",\"memory\":\"1Gi\"}},"
        "\"env\":[{\"name\":\"POD\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
        "\"fieldPath\":\"metadata.name\"}}}],"
        "\"livenessProbe\":{\"httpGet\":{\"port\":8080,\"path\":\"/\",\"scheme\":\"HTTP\"},"
        "\"timeoutSeconds\":1,\"periodSeconds\":10,\"successThreshold\":1,\"failureThreshold\":3},"
        "\"readinessProbe\":{\"tcpSocket\":{\"port\":8080},\"periodSeconds\":5,"
        "\"timeoutSeconds\":1,\"successThreshold\":1,\"failureThreshold\":3},"
        "\"lifecycle\":{\"preStop\":{\"httpGet\":{\"port\":8080,\"path\":\"/stop\","
        "\"scheme\":\"HTTP\"}}}}],"
        "\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox:latest\","
        "\"imagePullPolicy\":\"Always\"," CONTAINER_DEFAULTS "}],"
        "\"volumes\":[{\"name\":\"cfg\",\"configMap\":{\"name\":\"cfg\",\"defaultMode\":420}},"
        "{\"name\":\"sec\",\"secret\":{\"secretName\":\"s\",\"defaultMode\":256}},"
        "{\"name\":\"scratch\",\"emptyDir\":{}},"
        "{\"name\":\"host\",\"hostPath\":{\"path\":\"/var\",\"type\":\"\"}},"
        "{\"name\":\"info\",\"downwardAPI\":{\"defaultMode\":420,\"items\":[{\"path\":\"n\","
        "\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}]}}]}");
}

static void test_pod_host_network_ports(void **state)
{
    zk_autojson json_t *pod = defaulted("", "Pod",
        "{\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"a\",\"image\":\"a:1\","
        "\"ports\":[{\"containerPort\":9100},{\"containerPort\":9200,\"hostPort\":9200}]}]}}");
    json_t *c = json_array_get(zk_json_path(pod, "spec", "containers", NULL), 0);
    assert_json(json_object_get(c, "ports"),
                "[{\"containerPort\":9100,\"hostPort\":9100,\"protocol\":\"TCP\"},"
                "{\"containerPort\":9200,\"hostPort\":9200,\"protocol\":\"TCP\"}]");
    /* templates keep hostPort unset: it is a Pod-only default */
    zk_autojson json_t *rs = defaulted("apps", "ReplicaSet",
        "{\"spec\":{\"template\":{\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"a\","
        "\"image\":\"a:1\",\"ports\":[{\"containerPort\":9100}]}]}}}}");
    json_t *rc = json_array_get(zk_json_path(rs, "spec", "template", "spec", "containers", NULL), 0);
    assert_json(json_object_get(rc, "ports"), "[{\"containerPort\":9100,\"protocol\":\"TCP\"}]");
    assert_null(zk_json_path(rs, "spec", "template", "spec", "enableServiceLinks", NULL));
}

static void test_service_defaults(void **state)
{
    zk_autojson json_t *np = defaulted("", "Service",
        "{\"spec\":{\"type\":\"NodePort\",\"selector\":{\"app\":\"web\"},\"ports\":["
        "{\"name\":\"http\",\"port\":80},{\"name\":\"metrics\",\"port\":9090,"
        "\"targetPort\":\"metrics\",\"protocol\":\"UDP\"}]}}");
    assert_json(json_object_get(np, "spec"),
        "{\"type\":\"NodePort\",\"selector\":{\"app\":\"web\"},\"sessionAffinity\":\"None\","
        "\"externalTrafficPolicy\":\"Cluster\",\"internalTrafficPolicy\":\"Cluster\","
        "\"ipFamilyPolicy\":\"SingleStack\",\"ports\":["
        "{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":80},"
        "{\"name\":\"metrics\",\"port\":9090,\"targetPort\":\"metrics\",\"protocol\":\"UDP\"}]}");

    zk_autojson json_t *cip = defaulted("", "Service",
        "{\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":5432,\"targetPort\":0}]}}");
    assert_json(json_object_get(cip, "spec"),
        "{\"type\":\"ClusterIP\",\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"],"
        "\"sessionAffinity\":\"None\",\"internalTrafficPolicy\":\"Cluster\","
        "\"ipFamilyPolicy\":\"SingleStack\",\"ports\":[{\"port\":5432,\"targetPort\":5432,"
        "\"protocol\":\"TCP\"}]}");

    zk_autojson json_t *lb = defaulted("", "Service",
        "{\"spec\":{\"type\":\"LoadBalancer\",\"sessionAffinity\":\"ClientIP\","
        "\"ports\":[{\"port\":443}]}}");
    assert_json(json_object_get(lb, "spec"),
        "{\"type\":\"LoadBalancer\",\"sessionAffinity\":\"ClientIP\","
        "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":10800}},"
        "\"externalTrafficPolicy\":\"Cluster\",\"internalTrafficPolicy\":\"Cluster\","
        "\"allocateLoadBalancerNodePorts\":true,\"ipFamilyPolicy\":\"SingleStack\","
        "\"ports\":[{\"port\":443,\"protocol\":\"TCP\",\"targetPort\":443}]}");

    zk_autojson json_t *ext = defaulted("", "Service",
        "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}}");
    assert_json(json_object_get(ext, "spec"),
        "{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\","
        "\"sessionAffinity\":\"None\"}");
}

static void test_service_patch_allocated(void **state)
{
    zk_autojson json_t *old = parse(
        "{\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.43.0.9\",\"clusterIPs\":"
        "[\"10.43.0.9\"],\"ipFamilies\":[\"IPv4\"],\"ports\":[{\"name\":\"http\",\"port\":80,"
        "\"nodePort\":30080},{\"name\":\"https\",\"port\":443,\"nodePort\":30443}]}}");
    zk_autojson json_t *svc = parse(
        "{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"name\":\"http\",\"port\":8080},"
        "{\"name\":\"https\",\"port\":443,\"nodePort\":30080}]}}");
    zk_kube_service_patch_allocated(svc, old);
    /* https keeps its own nodePort; http may not take 30080, which https now uses */
    assert_json(json_object_get(svc, "spec"),
        "{\"type\":\"NodePort\",\"clusterIP\":\"10.43.0.9\",\"clusterIPs\":[\"10.43.0.9\"],"
        "\"ipFamilies\":[\"IPv4\"],\"ports\":[{\"name\":\"http\",\"port\":8080},"
        "{\"name\":\"https\",\"port\":443,\"nodePort\":30080}]}");
}

static void test_statefulset_daemonset_replicaset(void **state)
{
    zk_autojson json_t *sts = defaulted("apps", "StatefulSet",
        "{\"spec\":{\"serviceName\":\"db\",\"template\":{\"spec\":{\"containers\":[]}},"
        "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\"},\"spec\":{}}]}}");
    assert_json(json_object_get(sts, "spec"),
        "{\"serviceName\":\"db\",\"replicas\":1,\"revisionHistoryLimit\":10,"
        "\"podManagementPolicy\":\"OrderedReady\","
        "\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":0}},"
        "\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Retain\","
        "\"whenScaled\":\"Retain\"},"
        "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\"},"
        "\"spec\":{\"volumeMode\":\"Filesystem\"}}],"
        "\"template\":{\"spec\":{\"containers\":[]," POD_SPEC_DEFAULTS "}}}");

    zk_autojson json_t *ds = defaulted("apps", "DaemonSet", "{\"spec\":{}}");
    assert_json(json_object_get(ds, "spec"),
        "{\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{"
        "\"maxUnavailable\":1,\"maxSurge\":0}},\"revisionHistoryLimit\":10,"
        "\"template\":{\"spec\":{" POD_SPEC_DEFAULTS "}}}");

    zk_autojson json_t *ds2 = defaulted("apps", "DaemonSet",
        "{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\"}}}");
    assert_json(zk_json_path(ds2, "spec", "updateStrategy", NULL), "{\"type\":\"OnDelete\"}");

    zk_autojson json_t *rs = defaulted("apps", "ReplicaSet", "{\"spec\":{}}");
    assert_json(json_object_get(rs, "spec"),
        "{\"replicas\":1,\"template\":{\"spec\":{" POD_SPEC_DEFAULTS "}}}");
}

static void test_job_and_cronjob(void **state)
{
    zk_autojson json_t *job = defaulted("batch", "Job",
        "{\"metadata\":{\"name\":\"pi\",\"uid\":\"u-1\"},\"spec\":{\"template\":{"
        "\"metadata\":{\"labels\":{\"app\":\"pi\"}},\"spec\":{\"restartPolicy\":\"Never\"}}}}");
    assert_json(job,
        "{\"metadata\":{\"name\":\"pi\",\"uid\":\"u-1\",\"labels\":{\"app\":\"pi\"}},"
        "\"spec\":{\"completions\":1,\"parallelism\":1,\"backoffLimit\":6,"
        "\"completionMode\":\"NonIndexed\",\"suspend\":false,"
        "\"podReplacementPolicy\":\"TerminatingOrFailed\","
        "\"selector\":{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"u-1\"}},"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"pi\",\"job-name\":\"pi\","
        "\"batch.kubernetes.io/job-name\":\"pi\",\"controller-uid\":\"u-1\","
        "\"batch.kubernetes.io/controller-uid\":\"u-1\"}},"
        "\"spec\":{\"restartPolicy\":\"Never\",\"dnsPolicy\":\"ClusterFirst\","
        "\"terminationGracePeriodSeconds\":30,\"securityContext\":{},"
        "\"schedulerName\":\"default-scheduler\"}}}}");

    /* parallel job: only parallelism defaults; manual selector left alone */
    zk_autojson json_t *par = defaulted("batch", "Job",
        "{\"metadata\":{\"name\":\"p\",\"uid\":\"u\"},\"spec\":{\"completions\":5,"
        "\"manualSelector\":true,\"selector\":{\"matchLabels\":{\"x\":\"y\"}}}}");
    assert_int_equal(zk_json_int(json_object_get(par, "spec"), "parallelism", 0), 1);
    assert_int_equal(zk_json_int(json_object_get(par, "spec"), "completions", 0), 5);
    assert_json(zk_json_path(par, "spec", "selector", NULL), "{\"matchLabels\":{\"x\":\"y\"}}");

    zk_autojson json_t *cj = defaulted("batch", "CronJob",
        "{\"spec\":{\"schedule\":\"*/5 * * * *\",\"jobTemplate\":{\"spec\":{\"template\":"
        "{\"spec\":{\"restartPolicy\":\"OnFailure\"}}}}}}");
    assert_json(json_object_get(cj, "spec"),
        "{\"schedule\":\"*/5 * * * *\",\"concurrencyPolicy\":\"Allow\",\"suspend\":false,"
        "\"successfulJobsHistoryLimit\":3,\"failedJobsHistoryLimit\":1,"
        "\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"OnFailure\","
        "\"dnsPolicy\":\"ClusterFirst\",\"terminationGracePeriodSeconds\":30,"
        "\"securityContext\":{},\"schedulerName\":\"default-scheduler\"}}}}}");
}

static void test_core_kinds(void **state)
{
    zk_autojson json_t *ns = defaulted("", "Namespace",
        "{\"metadata\":{\"name\":\"team-a\",\"labels\":{\"kubernetes.io/metadata.name\":\"x\"}}}");
    assert_json(ns,
        "{\"metadata\":{\"name\":\"team-a\",\"labels\":{\"kubernetes.io/metadata.name\":"
        "\"team-a\"}},\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}");

    zk_autojson json_t *sec = defaulted("", "Secret",
        "{\"data\":{\"a\":\"eA==\",\"b\":\"eA==\"},\"stringData\":{\"b\":\"hi!\",\"c\":\"\"}}");
    assert_json(sec, "{\"type\":\"Opaque\",\"data\":{\"a\":\"eA==\",\"b\":\"aGkh\",\"c\":\"\"}}");

    zk_autojson json_t *rc = defaulted("", "ReplicationController",
        "{\"metadata\":{\"name\":\"rc\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":"
        "{\"app\":\"a\"}},\"spec\":{}}}}");
    assert_json(rc,
        "{\"metadata\":{\"name\":\"rc\",\"labels\":{\"app\":\"a\"}},\"spec\":{\"replicas\":1,"
        "\"selector\":{\"app\":\"a\"},\"template\":{\"metadata\":{\"labels\":{\"app\":\"a\"}},"
        "\"spec\":{" POD_SPEC_DEFAULTS "}}}}");

    zk_autojson json_t *lr = defaulted("", "LimitRange",
        "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"2\"},"
        "\"min\":{\"memory\":\"64Mi\"},\"default\":{\"memory\":\"256Mi\"}},"
        "{\"type\":\"Pod\",\"max\":{\"cpu\":\"4\"}}]}}");
    assert_json(lr,
        "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"2\"},"
        "\"min\":{\"memory\":\"64Mi\"},\"default\":{\"memory\":\"256Mi\",\"cpu\":\"2\"},"
        "\"defaultRequest\":{\"memory\":\"256Mi\",\"cpu\":\"2\"}},"
        "{\"type\":\"Pod\",\"max\":{\"cpu\":\"4\"}}]}}");
}

static void test_other_groups(void **state)
{
    zk_autojson json_t *np = defaulted("networking.k8s.io", "NetworkPolicy",
        "{\"spec\":{\"podSelector\":{},\"egress\":[{\"ports\":[{\"port\":53}]}]}}");
    assert_json(json_object_get(np, "spec"),
        "{\"podSelector\":{},\"egress\":[{\"ports\":[{\"port\":53,\"protocol\":\"TCP\"}]}],"
        "\"policyTypes\":[\"Ingress\",\"Egress\"]}");
    zk_autojson json_t *np2 = defaulted("networking.k8s.io", "NetworkPolicy",
        "{\"spec\":{\"podSelector\":{}}}");
    assert_json(json_object_get(np2, "spec"), "{\"podSelector\":{},\"policyTypes\":[\"Ingress\"]}");

    zk_autojson json_t *rb = defaulted("rbac.authorization.k8s.io", "RoleBinding",
        "{\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"},\"subjects\":["
        "{\"kind\":\"User\",\"name\":\"alice\"},{\"kind\":\"Group\",\"name\":\"devs\"},"
        "{\"kind\":\"ServiceAccount\",\"name\":\"default\",\"namespace\":\"x\"}]}");
    assert_json(rb,
        "{\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\",\"apiGroup\":\"rbac.authorization.k8s.io\"},"
        "\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\",\"apiGroup\":"
        "\"rbac.authorization.k8s.io\"},{\"kind\":\"Group\",\"name\":\"devs\",\"apiGroup\":"
        "\"rbac.authorization.k8s.io\"},{\"kind\":\"ServiceAccount\",\"name\":\"default\","
        "\"namespace\":\"x\",\"apiGroup\":\"\"}]}");
    assert_ptr_equal(zk_kube_defaulter_for("rbac.authorization.k8s.io", "v1",
                                           "ClusterRoleBinding"),
                     zk_kube_default_role_binding);

    zk_autojson json_t *hpa = defaulted("autoscaling", "HorizontalPodAutoscaler",
        "{\"spec\":{\"maxReplicas\":5,\"behavior\":{\"scaleDown\":{\"stabilizationWindowSeconds\":60}}}}");
    assert_json(json_object_get(hpa, "spec"),
        "{\"maxReplicas\":5,\"minReplicas\":1,\"metrics\":[{\"type\":\"Resource\",\"resource\":"
        "{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\",\"averageUtilization\":80}}}],"
        "\"behavior\":{\"scaleDown\":{\"stabilizationWindowSeconds\":60,\"selectPolicy\":\"Max\","
        "\"policies\":[{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":15}]},"
        "\"scaleUp\":{\"stabilizationWindowSeconds\":0,\"selectPolicy\":\"Max\",\"policies\":["
        "{\"type\":\"Pods\",\"value\":4,\"periodSeconds\":15},"
        "{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":15}]}}}");

    zk_autojson json_t *crd = defaulted("apiextensions.k8s.io", "CustomResourceDefinition",
        "{\"spec\":{\"group\":\"zke.io\",\"scope\":\"Namespaced\",\"names\":{\"plural\":"
        "\"hostgroups\",\"kind\":\"HostGroup\"}}}");
    assert_json(json_object_get(crd, "spec"),
        "{\"group\":\"zke.io\",\"scope\":\"Namespaced\",\"names\":{\"plural\":\"hostgroups\","
        "\"kind\":\"HostGroup\",\"singular\":\"hostgroup\",\"listKind\":\"HostGroupList\"},"
        "\"conversion\":{\"strategy\":\"None\"}}");

    zk_autojson json_t *es = defaulted("discovery.k8s.io", "EndpointSlice",
        "{\"addressType\":\"IPv4\",\"ports\":[{\"port\":80}]}");
    assert_json(es, "{\"addressType\":\"IPv4\",\"ports\":[{\"port\":80,\"name\":\"\","
                    "\"protocol\":\"TCP\"}]}");
}

static void test_lookup(void **state)
{
    assert_ptr_equal(zk_kube_defaulter_for("", "v1", "Pod"), zk_kube_default_pod);
    assert_ptr_equal(zk_kube_defaulter_for("apps", "v1", "Deployment"), zk_kube_default_deployment);
    assert_ptr_equal(zk_kube_defaulter_for("batch", "v1", "CronJob"), zk_kube_default_cron_job);
    assert_null(zk_kube_defaulter_for("apps", "v1beta1", "Deployment"));
    /* kinds Kubernetes does not default */
    static const char *const none[][2] = {
        {"", "ConfigMap"}, {"", "ServiceAccount"}, {"policy", "PodDisruptionBudget"},
        {"coordination.k8s.io", "Lease"}, {"networking.k8s.io", "Ingress"},
        {"", "ResourceQuota"}, {"zke.io", "HostGroup"},
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        assert_null(zk_kube_defaulter_for(none[i][0], NULL, none[i][1]));
    /* wrong shapes are left alone, not crashed on */
    zk_autojson json_t *odd = parse("{\"spec\":{\"template\":7,\"strategy\":\"x\"}}");
    zk_kube_default(odd, "apps", "v1", "Deployment");
    assert_int_equal(json_integer_value(zk_json_path(odd, "spec", "template", NULL)), 7);
    zk_autojson json_t *arr = parse("[1,2]");
    zk_kube_default(arr, "", "v1", "Pod");
    zk_kube_default(arr, "", "v1", "Service");
    assert_int_equal(json_array_size(arr), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_deployment),
        cmocka_unit_test(test_deployment_keeps_user_values),
        cmocka_unit_test(test_pull_policy_by_tag),
        cmocka_unit_test(test_pod_defaults),
        cmocka_unit_test(test_pod_host_network_ports),
        cmocka_unit_test(test_service_defaults),
        cmocka_unit_test(test_service_patch_allocated),
        cmocka_unit_test(test_statefulset_daemonset_replicaset),
        cmocka_unit_test(test_job_and_cronjob),
        cmocka_unit_test(test_core_kinds),
        cmocka_unit_test(test_other_groups),
        cmocka_unit_test(test_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
