#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/defaults.h"
#include "kube/validate.h"

#define LABEL_MSG                                                                          \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "    \
    "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "     \
    "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                      \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "  \
    "'-' or '.', and must start and end with an alphanumeric character (e.g. "             \
    "'example.com', regex used for validation is "                                         \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define DNS1035_MSG                                                                        \
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "   \
    "with an alphabetic character, and end with an alphanumeric character (e.g. "          \
    "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define QNAME_PART                                                                         \
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "  \
    "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', " \
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define CONFIG_KEY_MSG                                                                     \
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "   \
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "            \
    "'[-._a-zA-Z0-9]+')"
#define QTY_MSG                                                                            \
    "quantities must match the regular expression "                                        \
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define IMMUTABLE "field is immutable"

/* ---- objects the cases start from --------------------------------------- */

#define META_NS(name) "\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"}"
#define POD_WITH(spec) "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"," META_NS("web") ",\"spec\":" spec "}"
#define POD POD_WITH("{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}")
#define TEMPLATE(labels, spec) \
    "\"template\":{\"metadata\":{\"labels\":" labels "},\"spec\":" spec "}"
#define WEB_SPEC "{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}"
#define DEPLOY_WITH(spec) \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"," META_NS("web") ",\"spec\":" spec "}"
#define DEPLOY                                                                             \
    DEPLOY_WITH("{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"                       \
                TEMPLATE("{\"app\":\"web\"}", WEB_SPEC) "}")

typedef struct want_err {
    const char *reason, *field, *message; /* message "*x": ends with x */
} want_err;

typedef struct vcase {
    const char *name;
    const char *group, *kind;
    bool namespaced;
    const char *obj, *old; /* old NULL: create */
    want_err want[8];      /* reason NULL ends the list */
} vcase;

static json_t *parse(const char *s)
{
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    if (!j)
        print_error("bad test JSON at %d:%d: %s\n%s\n", err.line, err.column, err.text, s);
    assert_non_null(j);
    return j;
}

static void dump_errs(const zk_field_errors *e)
{
    for (size_t i = 0; i < e->n; i++)
        print_error("  [%zu] %s %s: %s\n", i, e->items[i].reason, e->items[i].field,
                    e->items[i].message);
}

static bool msg_matches(const char *got, const char *want)
{
    if (want[0] == '*') {
        size_t gl = strlen(got), wl = strlen(want + 1);
        return gl >= wl && strcmp(got + gl - wl, want + 1) == 0;
    }
    return strcmp(got, want) == 0;
}

/* Default (as the server does before validating), then validate. */
static void run_case(const vcase *c)
{
    zk_autojson json_t *obj = parse(c->obj);
    zk_autojson json_t *old = c->old ? parse(c->old) : NULL;
    zk_kube_default(obj, c->group, NULL, c->kind);
    if (old)
        zk_kube_default(old, c->group, NULL, c->kind);
    zk_field_errors e;
    zk_field_errors_init(&e);
    zk_kube_validate(obj, old, c->group, NULL, c->kind, c->namespaced, &e);
    size_t want = 0;
    while (want < 8 && c->want[want].reason)
        want++;
    bool ok = e.n == want && e.dropped == 0;
    for (size_t i = 0; ok && i < want; i++)
        ok = strcmp(e.items[i].reason, c->want[i].reason) == 0 &&
             strcmp(e.items[i].field, c->want[i].field) == 0 &&
             msg_matches(e.items[i].message, c->want[i].message);
    if (!ok) {
        print_error("case \"%s\": got %zu errors, want %zu:\n", c->name, e.n, want);
        dump_errs(&e);
        for (size_t i = 0; i < want; i++)
            print_error("  want %s %s: %s\n", c->want[i].reason, c->want[i].field,
                        c->want[i].message);
    }
    zk_field_errors_free(&e);
    assert_true(ok);
}

#define REQ "FieldValueRequired"
#define INV "FieldValueInvalid"
#define NSUP "FieldValueNotSupported"
#define DUP "FieldValueDuplicate"
#define FORB "FieldValueForbidden"
#define NFOUND "FieldValueNotFound"
#define LONG "FieldValueTooLong"

/* ---- objects that must pass --------------------------------------------- */

static const vcase valid_cases[] = {
    {"pod", "", "Pod", true, POD, NULL, {{0}}},
    {"pod full", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"app\",\"image\":\"registry:5000/app:v1\","
              "\"ports\":[{\"name\":\"http\",\"containerPort\":8080}],"
              "\"env\":[{\"name\":\"NODE\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
              "\"spec.nodeName\"}}},{\"name\":\"LVL\",\"valueFrom\":{\"configMapKeyRef\":"
              "{\"name\":\"cfg\",\"key\":\"level\"}}},{\"name\":\"APP\",\"valueFrom\":{"
              "\"fieldRef\":{\"fieldPath\":\"metadata.labels['app']\"}}}],"
              "\"envFrom\":[{\"secretRef\":{\"name\":\"creds\"}}],"
              "\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"512Mi\"},"
              "\"requests\":{\"cpu\":\"250m\",\"memory\":\"0.25Gi\"}},"
              "\"volumeMounts\":[{\"name\":\"cfg\",\"mountPath\":\"/etc/app\"},"
              "{\"name\":\"tmp\",\"mountPath\":\"/tmp\",\"subPath\":\"x\"}],"
              "\"livenessProbe\":{\"httpGet\":{\"port\":\"http\"}},"
              "\"readinessProbe\":{\"grpc\":{\"port\":9000}},"
              "\"lifecycle\":{\"preStop\":{\"sleep\":{\"seconds\":5}}}}],"
              "\"initContainers\":[{\"name\":\"migrate\",\"image\":\"app:v1\"},"
              "{\"name\":\"proxy\",\"image\":\"envoy:1\",\"restartPolicy\":\"Always\","
              "\"readinessProbe\":{\"tcpSocket\":{\"port\":15000}}}],"
              "\"volumes\":[{\"name\":\"cfg\",\"configMap\":{\"name\":\"cfg\",\"items\":"
              "[{\"key\":\"a\",\"path\":\"a.conf\"}]}},{\"name\":\"tmp\"}],"
              "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":"
              "\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}],"
              "\"nodeSelector\":{\"kubernetes.io/os\":\"linux\"},\"hostname\":\"web-0\"}"),
     NULL, {{0}}},
    {"pod image update", "", "Pod", true, POD_WITH("{\"containers\":[{\"name\":\"web\","
                                                  "\"image\":\"nginx:1.26\"}],"
                                                  "\"activeDeadlineSeconds\":10}"),
     POD_WITH("{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}],"
              "\"activeDeadlineSeconds\":20}"),
     {{0}}},
    {"deployment", "apps", "Deployment", true, DEPLOY, NULL, {{0}}},
    {"deployment match expressions", "apps", "Deployment", true,
     DEPLOY_WITH("{\"selector\":{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\","
                 "\"values\":[\"web\",\"api\"]},{\"key\":\"canary\",\"operator\":"
                 "\"DoesNotExist\"}]}," TEMPLATE("{\"app\":\"api\"}", WEB_SPEC) "}"),
     NULL, {{0}}},
    {"replicaset", "apps", "ReplicaSet", true,
     "{\"metadata\":{\"name\":\"rs\",\"namespace\":\"d\"},\"spec\":{\"selector\":"
     "{\"matchLabels\":{\"a\":\"b\"}}," TEMPLATE("{\"a\":\"b\"}", WEB_SPEC) "}}", NULL, {{0}}},
    {"statefulset", "apps", "StatefulSet", true,
     "{\"metadata\":{\"name\":\"db\",\"namespace\":\"d\"},\"spec\":{\"serviceName\":\"db\","
     "\"selector\":{\"matchLabels\":{\"a\":\"db\"}}," TEMPLATE("{\"a\":\"db\"}",
     "{\"containers\":[{\"name\":\"db\",\"image\":\"pg:16\",\"volumeMounts\":[{\"name\":"
     "\"data\",\"mountPath\":\"/var/lib/pg\"}]}]}") ",\"volumeClaimTemplates\":[{\"metadata\":"
     "{\"name\":\"data\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}]}}", NULL, {{0}}},
    {"daemonset", "apps", "DaemonSet", true,
     "{\"metadata\":{\"name\":\"agent\",\"namespace\":\"d\"},\"spec\":{\"selector\":"
     "{\"matchLabels\":{\"a\":\"x\"}}," TEMPLATE("{\"a\":\"x\"}", WEB_SPEC) "}}", NULL, {{0}}},
    {"job", "batch", "Job", true,
     "{\"metadata\":{\"name\":\"pi\",\"namespace\":\"d\",\"uid\":\"7f0c\"},\"spec\":{"
     TEMPLATE("{\"app\":\"pi\"}", "{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":"
     "\"pi\",\"image\":\"perl:5\"}]}") "}}", NULL, {{0}}},
    {"cronjob", "batch", "CronJob", true,
     "{\"metadata\":{\"name\":\"nightly\",\"namespace\":\"d\"},\"spec\":{\"schedule\":"
     "\"0 3 * * MON-FRI\",\"timeZone\":\"Asia/Shanghai\",\"jobTemplate\":{\"spec\":{"
     TEMPLATE("{}", "{\"restartPolicy\":\"OnFailure\",\"containers\":[{\"name\":\"c\","
     "\"image\":\"c:1\"}]}") "}}}}", NULL, {{0}}},
    {"service clusterip", "", "Service", true,
     "{\"metadata\":{\"name\":\"web\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"app\":"
     "\"web\"},\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"http\"},"
     "{\"name\":\"https\",\"port\":443}],\"clusterIP\":\"10.43.0.20\"}}", NULL, {{0}}},
    {"service nodeport", "", "Service", true,
     "{\"metadata\":{\"name\":\"web\",\"namespace\":\"d\"},\"spec\":{\"type\":\"NodePort\","
     "\"ports\":[{\"port\":80,\"nodePort\":30080}]}}", NULL, {{0}}},
    {"service headless", "", "Service", true,
     "{\"metadata\":{\"name\":\"db\",\"namespace\":\"d\"},\"spec\":{\"clusterIP\":\"None\"}}",
     NULL, {{0}}},
    {"service externalname", "", "Service", true,
     "{\"metadata\":{\"name\":\"ext\",\"namespace\":\"d\"},\"spec\":{\"type\":\"ExternalName\","
     "\"externalName\":\"db.example.com.\"}}", NULL, {{0}}},
    {"service lb local", "", "Service", true,
     "{\"metadata\":{\"name\":\"lb\",\"namespace\":\"d\"},\"spec\":{\"type\":\"LoadBalancer\","
     "\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":31000,\"ports\":[{\"port\":"
     "443}]}}", NULL, {{0}}},
    {"configmap", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"cfg\",\"namespace\":\"d\"},\"data\":{\"app.properties\":"
     "\"a=1\"},\"binaryData\":{\"logo.png\":\"iVBORw0KGgo=\"}}", NULL, {{0}}},
    {"secret tls", "", "Secret", true,
     "{\"metadata\":{\"name\":\"tls\",\"namespace\":\"d\"},\"type\":\"kubernetes.io/tls\","
     "\"data\":{\"tls.crt\":\"eA==\",\"tls.key\":\"eA==\"}}", NULL, {{0}}},
    {"secret dockerconfigjson", "", "Secret", true,
     "{\"metadata\":{\"name\":\"pull\",\"namespace\":\"d\"},\"type\":"
     "\"kubernetes.io/dockerconfigjson\",\"stringData\":{\".dockerconfigjson\":"
     "\"{\\\"auths\\\":{}}\"}}", NULL, {{0}}},
    {"namespace", "", "Namespace", false, "{\"metadata\":{\"name\":\"team-a\"}}", NULL, {{0}}},
    {"serviceaccount", "", "ServiceAccount", true,
     "{\"metadata\":{\"name\":\"builder\",\"namespace\":\"d\"}}", NULL, {{0}}},
    {"rc", "", "ReplicationController", true,
     "{\"metadata\":{\"name\":\"rc\",\"namespace\":\"d\"},\"spec\":{"
     TEMPLATE("{\"a\":\"b\"}", WEB_SPEC) "}}", NULL, {{0}}},
    {"role", "rbac.authorization.k8s.io", "Role", true,
     "{\"metadata\":{\"name\":\"reader\",\"namespace\":\"d\"},\"rules\":[{\"apiGroups\":[\"\"],"
     "\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\"]}]}", NULL, {{0}}},
    {"clusterrole", "rbac.authorization.k8s.io", "ClusterRole", false,
     "{\"metadata\":{\"name\":\"system:health\"},\"rules\":[{\"nonResourceURLs\":"
     "[\"/healthz\"],\"verbs\":[\"get\"]}]}", NULL, {{0}}},
    {"rolebinding", "rbac.authorization.k8s.io", "RoleBinding", true,
     "{\"metadata\":{\"name\":\"rb\",\"namespace\":\"d\"},\"roleRef\":{\"kind\":\"Role\","
     "\"name\":\"reader\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"},"
     "{\"kind\":\"ServiceAccount\",\"name\":\"builder\"}]}", NULL, {{0}}},
    {"clusterrolebinding", "rbac.authorization.k8s.io", "ClusterRoleBinding", false,
     "{\"metadata\":{\"name\":\"crb\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":"
     "\"view\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"b\",\"namespace\":"
     "\"d\"}]}", NULL, {{0}}},
    {"hpa", "autoscaling", "HorizontalPodAutoscaler", true,
     "{\"metadata\":{\"name\":\"web\",\"namespace\":\"d\"},\"spec\":{\"scaleTargetRef\":"
     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web\"},\"maxReplicas\":"
     "10}}", NULL, {{0}}},
    {"pdb", "policy", "PodDisruptionBudget", true,
     "{\"metadata\":{\"name\":\"web\",\"namespace\":\"d\"},\"spec\":{\"minAvailable\":\"50%\","
     "\"selector\":{\"matchLabels\":{\"app\":\"web\"}}}}", NULL, {{0}}},
    {"ingress", "networking.k8s.io", "Ingress", true,
     "{\"metadata\":{\"name\":\"web\",\"namespace\":\"d\"},\"spec\":{\"ingressClassName\":"
     "\"zke\",\"tls\":[{\"hosts\":[\"*.example.com\"],\"secretName\":\"tls\"}],\"rules\":[{"
     "\"host\":\"www.example.com\",\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":"
     "\"Prefix\",\"backend\":{\"service\":{\"name\":\"web\",\"port\":{\"name\":\"http\"}}}},"
     "{\"path\":\"/api\",\"pathType\":\"Exact\",\"backend\":{\"service\":{\"name\":\"api\","
     "\"port\":{\"number\":8080}}}}]}}]}}", NULL, {{0}}},
    {"networkpolicy", "networking.k8s.io", "NetworkPolicy", true,
     "{\"metadata\":{\"name\":\"db\",\"namespace\":\"d\"},\"spec\":{\"podSelector\":"
     "{\"matchLabels\":{\"app\":\"db\"}},\"ingress\":[{\"from\":[{\"podSelector\":{}},"
     "{\"ipBlock\":{\"cidr\":\"10.42.0.0/16\",\"except\":[\"10.42.1.0/24\"]}}],"
     "\"ports\":[{\"port\":5432},{\"port\":30000,\"endPort\":30100}]}]}}", NULL, {{0}}},
    {"lease", "coordination.k8s.io", "Lease", true,
     "{\"metadata\":{\"name\":\"leader\",\"namespace\":\"d\"},\"spec\":{\"holderIdentity\":"
     "\"a\",\"leaseDurationSeconds\":15}}", NULL, {{0}}},
    {"endpointslice", "discovery.k8s.io", "EndpointSlice", true,
     "{\"metadata\":{\"name\":\"web-x\",\"namespace\":\"d\"},\"addressType\":\"IPv4\","
     "\"endpoints\":[{\"addresses\":[\"10.42.0.5\"]}],\"ports\":[{\"name\":\"http\","
     "\"port\":80}]}", NULL, {{0}}},
    {"crd", "apiextensions.k8s.io", "CustomResourceDefinition", false,
     "{\"metadata\":{\"name\":\"hostgroups.zke.io\"},\"spec\":{\"group\":\"zke.io\","
     "\"scope\":\"Cluster\",\"names\":{\"plural\":\"hostgroups\",\"kind\":\"HostGroup\"},"
     "\"versions\":[{\"name\":\"v1alpha1\",\"served\":true,\"storage\":false},"
     "{\"name\":\"v1\",\"served\":true,\"storage\":true}]}}", NULL, {{0}}},
    {"custom resource", "zke.io", "HostGroup", false,
     "{\"metadata\":{\"name\":\"edge-a\",\"finalizers\":[\"cleanup\"]},\"spec\":{}}", NULL,
     {{0}}},
};

/* ---- objects that must fail, with Kubernetes' exact errors --------------- */

static const vcase invalid_cases[] = {
    /* metadata */
    {"meta no name", "", "ConfigMap", true, "{\"metadata\":{\"namespace\":\"d\"}}", NULL,
     {{REQ, "metadata.name", "Required value: name or generateName is required"}}},
    {"meta bad generateName", "", "ConfigMap", true,
     "{\"metadata\":{\"generateName\":\"Web-\",\"namespace\":\"d\"}}", NULL,
     {{INV, "metadata.generateName", "Invalid value: \"Web-\": " SUBDOMAIN_MSG},
      {REQ, "metadata.name", "Required value: name or generateName is required"}}},
    {"meta namespace required", "", "ConfigMap", true, "{\"metadata\":{\"name\":\"c\"}}", NULL,
     {{REQ, "metadata.namespace", "Required value"}}},
    {"meta namespace on cluster kind", "", "Namespace", false,
     "{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"}}", NULL,
     {{FORB, "metadata.namespace", "Forbidden: not allowed on this type"}}},
    {"meta labels", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"labels\":{\"-bad\":\"ok\","
     "\"good\":\"not ok\"}}}", NULL,
     {{INV, "metadata.labels", "Invalid value: \"-bad\": " QNAME_PART},
      {INV, "metadata.labels",
       "Invalid value: \"not ok\": a valid label must be an empty string or consist of "
       "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
       "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
       "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"}}},
    {"meta annotation key", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"annotations\":{"
     "\"Example.COM/Owner\":\"x\",\"bad key\":\"y\"}}}", NULL,
     {{INV, "metadata.annotations", "Invalid value: \"bad key\": " QNAME_PART}}},
    {"meta owner references", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"ownerReferences\":["
     "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"a\",\"uid\":\"1\","
     "\"controller\":true},{\"apiVersion\":\"\",\"kind\":\"\",\"name\":\"b\",\"uid\":\"\","
     "\"controller\":true}]}}", NULL,
     {{INV, "metadata.ownerReferences.apiVersion", "Invalid value: \"\": version must not be empty"},
      {INV, "metadata.ownerReferences.kind", "Invalid value: \"\": must not be empty"},
      {INV, "metadata.ownerReferences.uid", "Invalid value: \"\": must not be empty"},
      {INV, "metadata.ownerReferences",
       "*Only one reference can have Controller set to true. Found \"true\" in references for "
       "ReplicaSet/a and /b"}}},
    {"meta finalizers", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"finalizers\":[\"example.com/ok\","
     "\"cleanup\",\"Bad Name/x\"]}}", NULL,
     {{INV, "metadata.finalizers", "Invalid value: \"Bad Name/x\": prefix part " SUBDOMAIN_MSG},
      {INV, "metadata.finalizers[1]",
       "Invalid value: \"cleanup\": name is neither a standard finalizer name nor is it fully "
       "qualified"}}},
    {"meta annotations too big", "", "ConfigMap", true, NULL /* built in the test */, NULL,
     {{LONG, "metadata.annotations", "Too long: may not be more than 262144 bytes"}}},
    {"meta immutable on update", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"c2\",\"namespace\":\"e\",\"uid\":\"2\",\"creationTimestamp\":"
     "\"2024-01-01T00:00:00Z\"}}",
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"uid\":\"1\",\"creationTimestamp\":"
     "\"2023-01-01T00:00:00Z\"}}",
     {{INV, "metadata.name", "Invalid value: \"c2\": " IMMUTABLE},
      {INV, "metadata.namespace", "Invalid value: \"e\": " IMMUTABLE},
      {INV, "metadata.uid", "Invalid value: \"2\": " IMMUTABLE},
      {INV, "metadata.creationTimestamp", "Invalid value: \"2024-01-01T00:00:00Z\": " IMMUTABLE}}},
    {"meta no new finalizers while deleting", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"finalizers\":[\"example.com/a\","
     "\"example.com/b\"]}}",
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"deletionTimestamp\":"
     "\"2024-01-01T00:00:00Z\",\"finalizers\":[\"example.com/a\"]}}",
     {{FORB, "metadata.finalizers",
       "Forbidden: no new finalizers can be added if the object is being deleted, found new "
       "finalizers []string{\"example.com/b\"}"}}},

    /* Pod */
    {"pod no containers", "", "Pod", true, POD_WITH("{}"), NULL,
     {{REQ, "spec.containers", "Required value"}}},
    {"pod bad container", "", "Pod", true, POD_WITH("{\"containers\":[{\"name\":\"Web\"}]}"),
     NULL,
     {{INV, "spec.containers[0].name", "Invalid value: \"Web\": " LABEL_MSG},
      {REQ, "spec.containers[0].image", "Required value"}}},
    {"pod duplicate containers", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"a\",\"image\":\"a\"},{\"name\":\"a\",\"image\":"
              "\"b\"}],\"initContainers\":[{\"name\":\"a\",\"image\":\"c\"}]}"), NULL,
     {{DUP, "spec.containers[1].name", "Duplicate value: \"a\""},
      {DUP, "spec.initContainers[0].name", "Duplicate value: \"a\""}}},
    {"pod ports", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"ports\":["
              "{\"containerPort\":70000,\"protocol\":\"HTTP\"},{\"name\":\"x\","
              "\"containerPort\":80},{\"name\":\"x\",\"containerPort\":81}]}]}"), NULL,
     {{INV, "spec.containers[0].ports[0].containerPort",
       "Invalid value: 70000: must be between 1 and 65535, inclusive"},
      {NSUP, "spec.containers[0].ports[0].protocol",
       "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""},
      {DUP, "spec.containers[0].ports[2].name", "Duplicate value: \"x\""}}},
    {"pod env", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"env\":[{\"name\":\"A=B\","
              "\"value\":\"x\"},{\"name\":\"X\",\"valueFrom\":{}},{\"name\":\"\"},"
              "{\"name\":\"Y\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"spec.restartPolicy\"}}}]}]}"),
     NULL,
     {{INV, "spec.containers[0].env[0].name",
       "Invalid value: \"A=B\": a valid environment variable name must consist only of "
       "printable ASCII characters other than '='"},
      {INV, "spec.containers[0].env[1].valueFrom",
       "Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, "
       "`configMapKeyRef` or `secretKeyRef`"},
      {REQ, "spec.containers[0].env[2].name", "Required value"},
      {NSUP, "spec.containers[0].env[3].valueFrom.fieldRef.fieldPath",
       "Unsupported value: \"spec.restartPolicy\": supported values: \"metadata.name\", "
       "\"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", "
       "\"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\""}}},
    {"pod resources", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"resources\":{"
              "\"limits\":{\"cpu\":\"500m\",\"nvidia.com/gpu\":1},"
              "\"requests\":{\"cpu\":\"1\",\"memory\":\"12x\",\"nvidia.com/gpu\":2}}}]}"),
     NULL,
     {{INV, "spec.containers[0].resources.requests",
       "Invalid value: \"1\": must be less than or equal to cpu limit of 500m"},
      {INV, "spec.containers[0].resources.requests[memory]", "Invalid value: \"12x\": " QTY_MSG},
      {INV, "spec.containers[0].resources.requests",
       "Invalid value: \"2\": must be equal to nvidia.com/gpu limit of 1"}}},
    {"pod policies", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"imagePullPolicy\":"
              "\"Sometimes\"}],\"restartPolicy\":\"Sometimes\",\"dnsPolicy\":\"Foo\"}"), NULL,
     {{NSUP, "spec.containers[0].imagePullPolicy",
       "Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", "
       "\"Never\""},
      {NSUP, "spec.restartPolicy",
       "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""},
      {NSUP, "spec.dnsPolicy",
       "Unsupported value: \"Foo\": supported values: \"ClusterFirstWithHostNet\", "
       "\"ClusterFirst\", \"Default\", \"None\""}}},
    {"pod volumes", "", "Pod", true,
     POD_WITH("{\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}},{\"name\":\"data\","
              "\"emptyDir\":{}},{\"name\":\"x\",\"emptyDir\":{},\"hostPath\":{\"path\":\"/x\"}},"
              "{\"name\":\"s\",\"secret\":{\"defaultMode\":4096}}],"
              "\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"volumeMounts\":["
              "{\"name\":\"data\",\"mountPath\":\"/d\"},{\"name\":\"cfg\",\"mountPath\":\"/d\"}]}]}"),
     NULL,
     {{DUP, "spec.volumes[1].name", "Duplicate value: \"data\""},
      {FORB, "spec.volumes[2].hostPath", "Forbidden: may not specify more than 1 volume type"},
      {REQ, "spec.volumes[3].secret.secretName", "Required value"},
      {INV, "spec.volumes[3].secret.defaultMode",
       "Invalid value: 4096: must be a number between 0 and 0777 (octal), both inclusive"},
      {NFOUND, "spec.containers[0].volumeMounts[1].name", "Not found: \"cfg\""},
      {INV, "spec.containers[0].volumeMounts[1].mountPath", "Invalid value: \"/d\": must be unique"}}},
    {"pod probes", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"livenessProbe\":{\"exec\":"
              "{\"command\":[\"true\"]},\"successThreshold\":2},\"readinessProbe\":{},"
              "\"startupProbe\":{\"httpGet\":{\"port\":0,\"scheme\":\"FTP\"}}}],"
              "\"initContainers\":[{\"name\":\"i\",\"image\":\"i\",\"livenessProbe\":{\"exec\":"
              "{\"command\":[\"true\"]}}}]}"),
     NULL,
     {{INV, "spec.containers[0].livenessProbe.successThreshold", "Invalid value: 2: must be 1"},
      {REQ, "spec.containers[0].readinessProbe", "Required value: must specify a handler type"},
      {INV, "spec.containers[0].startupProbe.httpGet.port",
       "Invalid value: 0: must be between 1 and 65535, inclusive"},
      {NSUP, "spec.containers[0].startupProbe.httpGet.scheme",
       "Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\""},
      {FORB, "spec.initContainers[0].livenessProbe",
       "Forbidden: may not be set for init containers without restartPolicy=Always"}}},
    {"pod misc spec", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"a\",\"image\":\" a \"}],\"activeDeadlineSeconds\":0,"
              "\"serviceAccountName\":\"Bad\",\"tolerations\":[{\"operator\":\"Equal\","
              "\"value\":\"x\"}],\"dnsPolicy\":\"None\"}"),
     NULL,
     {{REQ, "spec.dnsConfig", "Required value: must provide `dnsConfig` when `dnsPolicy` is None"},
      {INV, "spec.serviceAccountName", "Invalid value: \"Bad\": " SUBDOMAIN_MSG},
      {INV, "spec.activeDeadlineSeconds",
       "Invalid value: 0: must be between 1 and 2147483647, inclusive"},
      {INV, "spec.tolerations[0].operator",
       "Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means "
       "\"match all values and all keys\""},
      {INV, "spec.containers[0].image",
       "Invalid value: \" a \": must not have leading or trailing whitespace"}}},
    {"pod update forbidden field", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}],\"restartPolicy\":"
              "\"Never\"}"),
     POD, {{FORB, "spec",
            "Forbidden: pod updates may not change fields other than "
            "`spec.containers[*].image`,`spec.initContainers[*].image`,"
            "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
            "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
            "was previously negative)\n  changed: spec.restartPolicy"}}},
    {"pod update add container", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"},{\"name\":\"b\","
              "\"image\":\"b\"}]}"),
     POD, {{FORB, "spec.containers", "Forbidden: pod updates may not add or remove containers"}}},
    {"pod update tolerations", "", "Pod", true, POD,
     POD_WITH("{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}],\"tolerations\":"
              "[{\"key\":\"k\",\"operator\":\"Exists\"}]}"),
     {{FORB, "spec.tolerations",
       "Forbidden: existing toleration can not be modified except its tolerationSeconds"}}},
    {"pod update deadline", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}],"
              "\"activeDeadlineSeconds\":30}"),
     POD_WITH("{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}],"
              "\"activeDeadlineSeconds\":20}"),
     {{INV, "spec.activeDeadlineSeconds",
       "Invalid value: 30: must be less than or equal to previous value"}}},
    {"pod ephemeral on create", "", "Pod", true,
     POD_WITH("{\"containers\":[{\"name\":\"web\",\"image\":\"a\"}],\"ephemeralContainers\":"
              "[{\"name\":\"dbg\",\"image\":\"busybox\"}]}"),
     NULL, {{FORB, "spec.ephemeralContainers", "Forbidden: cannot be set on create"}}},

    /* Deployment and friends */
    {"deploy selector mismatch", "apps", "Deployment", true,
     DEPLOY_WITH("{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
                 TEMPLATE("{\"app\":\"other\"}", WEB_SPEC) "}"), NULL,
     {{INV, "spec.template.metadata.labels",
       "Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`"}}},
    {"deploy no selector", "apps", "Deployment", true,
     DEPLOY_WITH("{" TEMPLATE("{\"app\":\"web\"}", WEB_SPEC) "}"), NULL,
     {{REQ, "spec.selector", "Required value"}}},
    {"deploy empty selector", "apps", "Deployment", true,
     DEPLOY_WITH("{\"selector\":{}," TEMPLATE("{\"app\":\"web\"}", WEB_SPEC) "}"), NULL,
     {{INV, "spec.selector", "Invalid value: {}: empty selector is invalid for deployment"}}},
    {"deploy bad selector", "apps", "Deployment", true,
     DEPLOY_WITH("{\"selector\":{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\"},"
                 "{\"key\":\"x\",\"operator\":\"Near\"}]},"
                 TEMPLATE("{\"app\":\"web\"}", WEB_SPEC) "}"), NULL,
     {{REQ, "spec.selector.matchExpressions[0].values",
       "Required value: must be specified when `operator` is 'In' or 'NotIn'"},
      {INV, "spec.selector.matchExpressions[1].operator",
       "Invalid value: \"Near\": not a valid selector operator"},
      {INV, "spec.template.metadata.labels",
       "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"}}},
    {"deploy replicas", "apps", "Deployment", true,
     DEPLOY_WITH("{\"replicas\":-1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
                 TEMPLATE("{\"app\":\"web\"}", WEB_SPEC) "}"), NULL,
     {{INV, "spec.replicas", "Invalid value: -1: must be greater than or equal to 0"}}},
    {"deploy surge and unavailable zero", "apps", "Deployment", true,
     DEPLOY_WITH("{\"strategy\":{\"rollingUpdate\":{\"maxSurge\":0,\"maxUnavailable\":\"0%\"}},"
                 "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
                 TEMPLATE("{\"app\":\"web\"}", WEB_SPEC) "}"), NULL,
     {{INV, "spec.strategy.rollingUpdate.maxUnavailable",
       "Invalid value: \"0%\": may not be 0 when `maxSurge` is 0"}}},
    {"deploy bad percent", "apps", "Deployment", true,
     DEPLOY_WITH("{\"strategy\":{\"rollingUpdate\":{\"maxSurge\":\"x%\",\"maxUnavailable\":"
                 "\"120%\"}},\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
                 TEMPLATE("{\"app\":\"web\"}", WEB_SPEC) "}"), NULL,
     {{INV, "spec.strategy.rollingUpdate.maxSurge",
       "Invalid value: \"x%\": a valid percent string must be a numeric string followed by an "
       "ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"},
      {INV, "spec.strategy.rollingUpdate.maxUnavailable",
       "Invalid value: \"120%\": must not be greater than 100%"}}},
    {"deploy strategy type", "apps", "Deployment", true,
     DEPLOY_WITH("{\"strategy\":{\"type\":\"BlueGreen\"},\"selector\":{\"matchLabels\":"
                 "{\"app\":\"web\"}}," TEMPLATE("{\"app\":\"web\"}", WEB_SPEC) "}"), NULL,
     {{NSUP, "spec.strategy",
       "Unsupported value: {\"type\":\"BlueGreen\"}: supported values: \"Recreate\", "
       "\"RollingUpdate\""}}},
    {"deploy template restart policy", "apps", "Deployment", true,
     DEPLOY_WITH("{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
                 TEMPLATE("{\"app\":\"web\"}", "{\"restartPolicy\":\"Never\",\"containers\":"
                 "[{\"name\":\"w\",\"image\":\"w\"}]}") "}"), NULL,
     {{NSUP, "spec.template.spec.restartPolicy",
       "Unsupported value: \"Never\": supported values: \"Always\""}}},
    {"deploy template pod errors", "apps", "Deployment", true,
     DEPLOY_WITH("{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
                 TEMPLATE("{\"app\":\"web\",\"bad key\":\"x\"}", "{\"containers\":[{\"name\":"
                 "\"w\"}]}") "}"), NULL,
     {{INV, "spec.template.labels", "Invalid value: \"bad key\": " QNAME_PART},
      {REQ, "spec.template.spec.containers[0].image", "Required value"}}},
    {"deploy selector immutable", "apps", "Deployment", true,
     DEPLOY_WITH("{\"selector\":{\"matchLabels\":{\"app\":\"web2\"}},"
                 TEMPLATE("{\"app\":\"web2\"}", WEB_SPEC) "}"),
     DEPLOY,
     {{INV, "spec.selector", "Invalid value: {\"matchLabels\":{\"app\":\"web2\"}}: " IMMUTABLE}}},
    {"replicaset selector immutable", "apps", "ReplicaSet", true,
     "{\"metadata\":{\"name\":\"rs\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":"
     "{\"a\":\"c\"}}," TEMPLATE("{\"a\":\"c\"}", WEB_SPEC) "}}",
     "{\"metadata\":{\"name\":\"rs\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":"
     "{\"a\":\"b\"}}," TEMPLATE("{\"a\":\"b\"}", WEB_SPEC) "}}",
     {{INV, "spec.selector", "Invalid value: {\"matchLabels\":{\"a\":\"c\"}}: " IMMUTABLE}}},
    {"statefulset", "apps", "StatefulSet", true,
     "{\"metadata\":{\"name\":\"db.x\",\"namespace\":\"d\"},\"spec\":{\"podManagementPolicy\":"
     "\"Random\",\"selector\":{\"matchLabels\":{\"a\":\"db\"}},"
     TEMPLATE("{\"a\":\"db\"}", WEB_SPEC) "}}", NULL,
     {{INV, "metadata.name", "Invalid value: \"db.x\": must not contain dots"},
      {INV, "spec.podManagementPolicy",
       "Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"}}},
    {"statefulset update forbidden", "apps", "StatefulSet", true,
     "{\"metadata\":{\"name\":\"db\",\"namespace\":\"d\"},\"spec\":{\"serviceName\":\"db2\","
     "\"replicas\":5,\"selector\":{\"matchLabels\":{\"a\":\"db\"}},"
     TEMPLATE("{\"a\":\"db\"}", WEB_SPEC) "}}",
     "{\"metadata\":{\"name\":\"db\",\"namespace\":\"d\"},\"spec\":{\"serviceName\":\"db\","
     "\"selector\":{\"matchLabels\":{\"a\":\"db\"}}," TEMPLATE("{\"a\":\"db\"}", WEB_SPEC) "}}",
     {{FORB, "spec",
       "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
       "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
       "'minReadySeconds' are forbidden"}}},
    {"daemonset surge and unavailable", "apps", "DaemonSet", true,
     "{\"metadata\":{\"name\":\"ds\",\"namespace\":\"d\"},\"spec\":{\"updateStrategy\":{"
     "\"rollingUpdate\":{\"maxSurge\":1}},\"selector\":{\"matchLabels\":{\"a\":\"x\"}},"
     TEMPLATE("{\"a\":\"x\"}", WEB_SPEC) "}}", NULL,
     {{INV, "spec.updateStrategy.rollingUpdate.maxSurge",
       "Invalid value: 1: may not be set when maxUnavailable is non-zero"}}},

    /* batch */
    {"job restart policy and counts", "batch", "Job", true,
     "{\"metadata\":{\"name\":\"j\",\"namespace\":\"d\",\"uid\":\"1\"},\"spec\":{"
     "\"backoffLimit\":-1,\"parallelism\":-2," TEMPLATE("{}", WEB_SPEC) "}}", NULL,
     {{INV, "spec.parallelism", "Invalid value: -2: must be greater than or equal to 0"},
      {INV, "spec.backoffLimit", "Invalid value: -1: must be greater than or equal to 0"},
      {NSUP, "spec.template.spec.restartPolicy",
       "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""}}},
    {"job manual selector mismatch", "batch", "Job", true,
     "{\"metadata\":{\"name\":\"j\",\"namespace\":\"d\"},\"spec\":{\"manualSelector\":true,"
     "\"selector\":{\"matchLabels\":{\"x\":\"y\"}},"
     TEMPLATE("{\"x\":\"z\"}", "{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","
     "\"image\":\"c\"}]}") "}}", NULL,
     {{INV, "spec.template.metadata.labels",
       "Invalid value: {\"x\":\"z\"}: `selector` does not match template `labels`"}}},
    {"job template immutable", "batch", "Job", true,
     "{\"metadata\":{\"name\":\"j\",\"namespace\":\"d\",\"uid\":\"1\"},\"spec\":{"
     TEMPLATE("{}", "{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":"
     "\"c:2\"}]}") "}}",
     "{\"metadata\":{\"name\":\"j\",\"namespace\":\"d\",\"uid\":\"1\"},\"spec\":{"
     TEMPLATE("{}", "{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":"
     "\"c:1\"}]}") "}}",
     {{INV, "spec.template", "*: " IMMUTABLE}}},
    {"cronjob schedule range", "batch", "CronJob", true,
     "{\"metadata\":{\"name\":\"cj\",\"namespace\":\"d\"},\"spec\":{\"schedule\":\"61 * * * *\","
     "\"jobTemplate\":{\"spec\":{" TEMPLATE("{}", "{\"restartPolicy\":\"Never\","
     "\"containers\":[{\"name\":\"c\",\"image\":\"c\"}]}") "}}}}", NULL,
     {{INV, "spec.schedule",
       "Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61"}}},
    {"cronjob misc", "batch", "CronJob", true,
     "{\"metadata\":{\"name\":\"this-cronjob-name-is-far-too-long-for-the-job-suffix-x\","
     "\"namespace\":\"d\"},\"spec\":{\"schedule\":\"TZ=UTC 0 * * * *\",\"timeZone\":"
     "\"Mars/Olympus\",\"concurrencyPolicy\":\"Sometimes\",\"jobTemplate\":{\"spec\":{"
     "\"selector\":{\"matchLabels\":{\"a\":\"b\"}},"
     TEMPLATE("{\"a\":\"b\"}", "{\"containers\":[{\"name\":\"c\",\"image\":\"c\"}]}") "}}}}",
     NULL,
     {{INV, "metadata.name",
       "Invalid value: \"this-cronjob-name-is-far-too-long-for-the-job-suffix-x\": must be no "
       "more than 52 characters"},
      {INV, "spec.schedule",
       "Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use "
       "timeZone field instead"},
      {INV, "spec.timeZone", "Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus"},
      {NSUP, "spec.concurrencyPolicy",
       "Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\""},
      {NSUP, "spec.jobTemplate.spec.template.spec.restartPolicy",
       "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""},
      {INV, "spec.jobTemplate.spec.selector",
       "Invalid value: {\"matchLabels\":{\"a\":\"b\"}}: `selector` will be auto-generated"}}},

    /* Service */
    {"service no ports", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{}}", NULL,
     {{REQ, "spec.ports", "Required value"}}},
    {"service bad name and ports", "", "Service", true,
     "{\"metadata\":{\"name\":\"1web\",\"namespace\":\"d\"},\"spec\":{\"ports\":["
     "{\"name\":\"http\",\"port\":80},{\"port\":0},{\"name\":\"http\",\"port\":80}]}}", NULL,
     {{INV, "metadata.name", "Invalid value: \"1web\": " DNS1035_MSG},
      {REQ, "spec.ports[1].name", "Required value"},
      {INV, "spec.ports[1].port", "Invalid value: 0: must be between 1 and 65535, inclusive"},
      {INV, "spec.ports[1].targetPort", "Invalid value: 0: must be between 1 and 65535, inclusive"},
      {DUP, "spec.ports[2].name", "Duplicate value: \"http\""},
      {DUP, "spec.ports[2]", "Duplicate value: {\"port\":80,\"protocol\":\"TCP\"}"}}},
    {"service type", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"type\":\"Magic\",\"ports\":"
     "[{\"port\":80}]}}", NULL,
     {{NSUP, "spec.type",
       "Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", "
       "\"LoadBalancer\", \"NodePort\""}}},
    {"service node ports", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"type\":\"NodePort\","
     "\"ports\":[{\"name\":\"a\",\"port\":80,\"nodePort\":80},{\"name\":\"b\",\"port\":81,"
     "\"nodePort\":30001},{\"name\":\"c\",\"port\":82,\"nodePort\":30001}]}}", NULL,
     {{INV, "spec.ports[0].nodePort",
       "Invalid value: 80: provided port is not in the valid range. The range of valid ports "
       "is 30000-32767"},
      {DUP, "spec.ports[2].nodePort", "Duplicate value: 30001"}}},
    {"service node port on clusterip", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"ports\":[{\"port\":80,"
     "\"nodePort\":30080}]}}", NULL,
     {{FORB, "spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'"}}},
    {"service externalname", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"type\":\"ExternalName\","
     "\"externalName\":\"bad_name\",\"clusterIP\":\"10.43.0.3\"}}", NULL,
     {{FORB, "spec.clusterIPs", "Forbidden: may not be set for ExternalName services"},
      {INV, "spec.externalName", "Invalid value: \"bad_name\": " SUBDOMAIN_MSG}}},
    {"service bad cluster ip", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"clusterIP\":\"10.43.0\","
     "\"ports\":[{\"port\":80}]}}", NULL,
     {{INV, "spec.clusterIPs[0]",
       "Invalid value: \"10.43.0\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"}}},
    {"service cluster ip immutable", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"clusterIP\":\"10.43.0.11\","
     "\"ports\":[{\"port\":80}]}}",
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"clusterIP\":\"10.43.0.10\","
     "\"ports\":[{\"port\":80}]}}",
     {{INV, "spec.clusterIPs[0]", "Invalid value: [\"10.43.0.11\"]: may not change once set"}}},
    {"service cluster ip unset", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"ports\":[{\"port\":80}]}}",
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"clusterIP\":\"10.43.0.10\","
     "\"ports\":[{\"port\":80}]}}",
     {{INV, "spec.clusterIPs[0]", "Invalid value: null: primary clusterIP can not be unset"}}},
    {"service affinity", "", "Service", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"sessionAffinity\":"
     "\"Sticky\",\"externalTrafficPolicy\":\"Local\",\"ports\":[{\"port\":80}]}}", NULL,
     {{NSUP, "spec.sessionAffinity",
       "Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\""},
      {INV, "spec.externalTrafficPolicy",
       "Invalid value: \"Local\": may only be set for externally-accessible services"}}},

    /* ConfigMap, Secret, Namespace */
    {"configmap keys", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"data\":{\"a/b\":\"x\",\"dup\":\"1\"},"
     "\"binaryData\":{\"dup\":\"eA==\",\"..x\":\"eA==\"}}", NULL,
     {{INV, "data[a/b]", "Invalid value: \"a/b\": " CONFIG_KEY_MSG},
      {INV, "data[dup]", "Invalid value: \"dup\": duplicate of key present in binaryData"},
      {INV, "binaryData[..x]", "Invalid value: \"..x\": must not start with '..'"}}},
    {"configmap too big", "", "ConfigMap", true, NULL /* built in the test */, NULL,
     {{LONG, "", "Too long: may not be more than 1048576 bytes"}}},
    {"configmap immutable", "", "ConfigMap", true,
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"data\":{\"a\":\"2\"}}",
     "{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"immutable\":true,\"data\":{\"a\":\"1\"}}",
     {{FORB, "immutable", "Forbidden: field is immutable when `immutable` is set"},
      {FORB, "data", "Forbidden: field is immutable when `immutable` is set"}}},
    {"secret tls missing key", "", "Secret", true,
     "{\"metadata\":{\"name\":\"t\",\"namespace\":\"d\"},\"type\":\"kubernetes.io/tls\","
     "\"data\":{\"tls.crt\":\"eA==\",\"bad key\":\"eA==\"}}", NULL,
     {{INV, "data[bad key]", "Invalid value: \"bad key\": " CONFIG_KEY_MSG},
      {REQ, "data[tls.key]", "Required value"}}},
    {"secret type immutable", "", "Secret", true,
     "{\"metadata\":{\"name\":\"t\",\"namespace\":\"d\"},\"type\":\"kubernetes.io/basic-auth\","
     "\"data\":{\"username\":\"eA==\"}}",
     "{\"metadata\":{\"name\":\"t\",\"namespace\":\"d\"},\"data\":{\"username\":\"eA==\"}}",
     {{INV, "type", "Invalid value: \"kubernetes.io/basic-auth\": " IMMUTABLE}}},
    {"secret service account token", "", "Secret", true,
     "{\"metadata\":{\"name\":\"t\",\"namespace\":\"d\"},\"type\":"
     "\"kubernetes.io/service-account-token\"}", NULL,
     {{REQ, "metadata.annotations[kubernetes.io/service-account.name]", "Required value"}}},
    {"namespace name", "", "Namespace", false, "{\"metadata\":{\"name\":\"team.a\"}}", NULL,
     {{INV, "metadata.name", "Invalid value: \"team.a\": must not contain dots"}}},

    /* RBAC */
    {"role rules", "rbac.authorization.k8s.io", "Role", true,
     "{\"metadata\":{\"name\":\"a/b\",\"namespace\":\"d\"},\"rules\":[{\"nonResourceURLs\":"
     "[\"/healthz\"]},{\"verbs\":[\"get\"]}]}", NULL,
     {{INV, "metadata.name", "Invalid value: \"a/b\": may not contain '/'"},
      {REQ, "rules[0].verbs", "Required value: verbs must contain at least one value"},
      {INV, "rules[0].nonResourceURLs",
       "Invalid value: [\"/healthz\"]: namespaced rules cannot apply to non-resource URLs"},
      {REQ, "rules[1].apiGroups",
       "Required value: resource rules must supply at least one api group"},
      {REQ, "rules[1].resources",
       "Required value: resource rules must supply at least one resource"}}},
    {"rolebinding refs", "rbac.authorization.k8s.io", "RoleBinding", true,
     "{\"metadata\":{\"name\":\"rb\",\"namespace\":\"d\"},\"roleRef\":{\"kind\":\"Deployment\"},"
     "\"subjects\":[{\"kind\":\"Robot\",\"name\":\"r2\"},{\"kind\":\"User\"}]}", NULL,
     {{NSUP, "roleRef.kind",
       "Unsupported value: \"Deployment\": supported values: \"Role\", \"ClusterRole\""},
      {REQ, "roleRef.name", "Required value"},
      {NSUP, "subjects[0].kind",
       "Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\""},
      {REQ, "subjects[1].name", "Required value"}}},
    {"clusterrolebinding refs", "rbac.authorization.k8s.io", "ClusterRoleBinding", false,
     "{\"metadata\":{\"name\":\"crb\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"},"
     "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"sa\"}]}", NULL,
     {{NSUP, "roleRef.kind", "Unsupported value: \"Role\": supported values: \"ClusterRole\""},
      {REQ, "subjects[0].namespace", "Required value"}}},
    {"rolebinding roleRef immutable", "rbac.authorization.k8s.io", "RoleBinding", true,
     "{\"metadata\":{\"name\":\"rb\",\"namespace\":\"d\"},\"roleRef\":{\"kind\":\"Role\","
     "\"name\":\"b\"}}",
     "{\"metadata\":{\"name\":\"rb\",\"namespace\":\"d\"},\"roleRef\":{\"kind\":\"Role\","
     "\"name\":\"a\"}}",
     {{INV, "roleRef", "*: cannot change roleRef"}}},

    /* other groups */
    {"hpa replicas", "autoscaling", "HorizontalPodAutoscaler", true,
     "{\"metadata\":{\"name\":\"h\",\"namespace\":\"d\"},\"spec\":{\"minReplicas\":5,"
     "\"maxReplicas\":3,\"scaleTargetRef\":{}}}", NULL,
     {{INV, "spec.maxReplicas", "Invalid value: 3: must be greater than or equal to `minReplicas`"},
      {REQ, "spec.scaleTargetRef.kind", "Required value"},
      {REQ, "spec.scaleTargetRef.name", "Required value"}}},
    {"hpa min zero", "autoscaling", "HorizontalPodAutoscaler", true,
     "{\"metadata\":{\"name\":\"h\",\"namespace\":\"d\"},\"spec\":{\"minReplicas\":0,"
     "\"maxReplicas\":0,\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"w\"}}}", NULL,
     {{INV, "spec.minReplicas", "Invalid value: 0: must be greater than or equal to 1"},
      {INV, "spec.maxReplicas", "Invalid value: 0: must be greater than 0"}}},
    {"pdb both", "policy", "PodDisruptionBudget", true,
     "{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"},\"spec\":{\"minAvailable\":1,"
     "\"maxUnavailable\":\"150%\"}}", NULL,
     {{INV, "spec", "*: minAvailable and maxUnavailable cannot be both set"},
      {INV, "spec.maxUnavailable", "Invalid value: \"150%\": must not be greater than 100%"}}},
    {"ingress paths", "networking.k8s.io", "Ingress", true,
     "{\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},\"spec\":{\"rules\":[{\"host\":"
     "\"10.0.0.1\",\"http\":{\"paths\":[{\"path\":\"/\",\"backend\":{\"service\":{\"name\":"
     "\"w\",\"port\":{\"number\":80}}}},{\"path\":\"a\",\"pathType\":\"Prefix\",\"backend\":"
     "{\"service\":{\"name\":\"w\"}}},{\"path\":\"/\",\"pathType\":\"Regex\",\"backend\":"
     "{\"service\":{\"name\":\"w\",\"port\":{\"number\":80}}}}]}},{\"http\":{}}]}}", NULL,
     {{INV, "spec.rules[0].host", "Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address"},
      {REQ, "spec.rules[0].http.paths[0].pathType", "Required value: pathType must be specified"},
      {INV, "spec.rules[0].http.paths[1].path", "Invalid value: \"a\": must be an absolute path"},
      {REQ, "spec.rules[0].http.paths[1].backend",
       "Required value: port name or number is required"},
      {NSUP, "spec.rules[0].http.paths[2].pathType",
       "Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", "
       "\"Prefix\""},
      {REQ, "spec.rules[1].http.paths", "Required value"}}},
    {"ingress empty", "networking.k8s.io", "Ingress", true,
     "{\"metadata\":{\"name\":\"i\",\"namespace\":\"d\"},\"spec\":{}}", NULL,
     {{INV, "spec", "Invalid value: []: either `defaultBackend` or `rules` must be specified"}}},
    {"networkpolicy", "networking.k8s.io", "NetworkPolicy", true,
     "{\"metadata\":{\"name\":\"n\",\"namespace\":\"d\"},\"spec\":{\"podSelector\":{},"
     "\"ingress\":[{\"from\":[{}],\"ports\":[{\"protocol\":\"ICMP\"}]}],\"policyTypes\":"
     "[\"Sideways\"]}}", NULL,
     {{NSUP, "spec.ingress[0].ports[0].protocol",
       "Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\""},
      {REQ, "spec.ingress[0].from[0]", "Required value: must specify a peer"},
      {NSUP, "spec.policyTypes[0]",
       "Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\""}}},
    {"lease", "coordination.k8s.io", "Lease", true,
     "{\"metadata\":{\"name\":\"l\",\"namespace\":\"d\"},\"spec\":{\"leaseDurationSeconds\":0,"
     "\"leaseTransitions\":-1}}", NULL,
     {{INV, "spec.leaseDurationSeconds", "Invalid value: 0: must be greater than 0"},
      {INV, "spec.leaseTransitions", "Invalid value: -1: must be greater than or equal to 0"}}},
    {"endpointslice", "discovery.k8s.io", "EndpointSlice", true,
     "{\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},\"addressType\":\"IPv5\","
     "\"endpoints\":[{\"addresses\":[]}]}", NULL,
     {{NSUP, "addressType",
       "Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""},
      {REQ, "endpoints[0].addresses", "Required value: must contain at least 1 address"}}},
    {"endpointslice address type immutable", "discovery.k8s.io", "EndpointSlice", true,
     "{\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},\"addressType\":\"IPv6\"}",
     "{\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},\"addressType\":\"IPv4\"}",
     {{INV, "addressType", "Invalid value: \"IPv6\": " IMMUTABLE}}},
    {"crd", "apiextensions.k8s.io", "CustomResourceDefinition", false,
     "{\"metadata\":{\"name\":\"foo.zke.io\"},\"spec\":{\"group\":\"zke.io\",\"scope\":"
     "\"Global\",\"names\":{\"plural\":\"hostgroups\",\"kind\":\"HostGroup\"},\"versions\":"
     "[{\"name\":\"v1\",\"storage\":true},{\"name\":\"v2\",\"storage\":true}]}}", NULL,
     {{INV, "metadata.name",
       "Invalid value: \"foo.zke.io\": must be spec.names.plural+\".\"+spec.group"},
      {NSUP, "spec.scope", "Unsupported value: \"Global\": supported values: \"Cluster\", "
                           "\"Namespaced\""},
      {INV, "spec.versions", "*: must have exactly one version marked as storage version"}}},
    {"crd group and names", "apiextensions.k8s.io", "CustomResourceDefinition", false,
     "{\"metadata\":{\"name\":\"things.example\"},\"spec\":{\"group\":\"example\",\"scope\":"
     "\"Cluster\",\"names\":{\"plural\":\"things\",\"kind\":\"Thing_X\"},\"versions\":"
     "[{\"name\":\"v1\",\"storage\":true}]}}", NULL,
     {{INV, "spec.group", "Invalid value: \"example\": should be a domain with at least one dot"},
      {INV, "spec.names.singular", "Invalid value: \"thing_x\": " DNS1035_MSG},
      {INV, "spec.names.kind",
       "Invalid value: \"Thing_X\": may have mixed case, but should otherwise match: " DNS1035_MSG},
      {INV, "spec.names.listKind",
       "Invalid value: \"Thing_XList\": may have mixed case, but should otherwise match: "
       DNS1035_MSG}}},
};

static void test_valid_objects(void **state)
{
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
        run_case(&valid_cases[i]);
}

/* Cases whose objects are too big to spell out. */
static char *big_object(const char *name)
{
    size_t big = strcmp(name, "meta annotations too big") == 0 ? 256 * 1024 : 1024 * 1024 + 1;
    char *fill = zk_xmalloc(big + 1);
    memset(fill, 'x', big);
    fill[big] = '\0';
    char *s;
    if (strcmp(name, "meta annotations too big") == 0)
        s = zk_xasprintf("{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\",\"annotations\":"
                         "{\"a\":\"%s\"}}}", fill);
    else
        s = zk_xasprintf("{\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},\"data\":"
                         "{\"a\":\"%s\"}}", fill);
    free(fill);
    return s;
}

static void test_invalid_objects(void **state)
{
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        vcase c = invalid_cases[i];
        zk_autofree char *text = NULL;
        if (!c.obj) {
            text = big_object(c.name);
            c.obj = text;
        }
        run_case(&c);
    }
}

static void test_service_update_after_patch(void **state)
{
    zk_autojson json_t *old = json_loads(
        "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"type\":\"NodePort\","
        "\"clusterIP\":\"10.43.0.10\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}}", 0, NULL);
    zk_autojson json_t *cur = json_loads(
        "{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"type\":\"NodePort\","
        "\"ports\":[{\"port\":80}]}}", 0, NULL);
    zk_kube_default(old, "", "v1", "Service");
    zk_kube_service_patch_allocated(cur, old);
    zk_kube_default(cur, "", "v1", "Service");
    zk_field_errors e;
    zk_field_errors_init(&e);
    zk_kube_validate(cur, old, "", "v1", "Service", true, &e);
    dump_errs(&e);
    assert_int_equal(e.n, 0);
    assert_int_equal(zk_json_int(json_array_get(zk_json_path(cur, "spec", "ports", NULL), 0),
                                 "nodePort", 0), 30080);
    zk_field_errors_free(&e);
}

static void test_cron_schedules(void **state)
{
    static const struct { const char *spec, *why; } cases[] = {
        {"*/5 * * * *", NULL},
        {"0 0 1 jan,JUL *", NULL},
        {"0 9 * * MON-FRI", NULL},
        {"30 2 * * 0", NULL},
        {"0 0 ? * *", NULL},
        {"1-10/3,20 0-23 1-31 1-12 0-6", NULL},
        {"@hourly", NULL},
        {"@every 1h30m", NULL},
        {"CRON_TZ=UTC 0 * * * *", NULL},
        {"", "empty spec string"},
        {"foo", "expected exactly 5 fields, found 1: [foo]"},
        {"* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"},
        {"* 24 * * *", "end of range (24) above maximum (23): 24"},
        {"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
        {"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
        {"*/0 * * * *", "step of range should be a positive number: */0"},
        {"1-2-3 * * * *", "too many hyphens: 1-2-3"},
        {"*/2/3 * * * *", "too many slashes: */2/3"},
        {"x * * * *",
         "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"},
        {"* * * foo *",
         "failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax"},
        {"@fortnightly", "unrecognized descriptor: @fortnightly"},
        {"@every 5", "failed to parse duration @every 5: time: missing unit in duration \"5\""},
        {"TZ=Nowhere/Atlantis * * * * *",
         "provided bad location Nowhere/Atlantis: unknown time zone Nowhere/Atlantis"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char why[512];
        bool ok = zk_kube_cron_schedule_valid(cases[i].spec, why, sizeof(why));
        if (ok != (cases[i].why == NULL) || (!ok && strcmp(why, cases[i].why) != 0))
            print_error("\"%s\": ok=%d why=%s\n", cases[i].spec, ok, why);
        assert_int_equal(ok, cases[i].why == NULL);
        if (!ok)
            assert_string_equal(why, cases[i].why);
    }
}

static void test_lookups(void **state)
{
    assert_ptr_equal(zk_kube_validator_for("", "v1", "Pod"), zk_kube_validate_pod);
    assert_ptr_equal(zk_kube_validator_for("apps", "v1", "StatefulSet"),
                     zk_kube_validate_stateful_set);
    assert_ptr_equal(zk_kube_validator_for("autoscaling", "v2", "HorizontalPodAutoscaler"),
                     zk_kube_validate_hpa);
    assert_ptr_equal(zk_kube_validator_for("apiextensions.k8s.io", NULL,
                                           "CustomResourceDefinition"),
                     zk_kube_validate_crd);
    assert_null(zk_kube_validator_for("zke.io", "v1", "HostGroup"));
    assert_null(zk_kube_validator_for("apps", "v1beta2", "Deployment"));
    assert_null(zk_kube_validator_for("", "v1", "Event"));

    assert_int_equal(zk_kube_name_rule_for("", "Namespace"), ZK_NAME_DNS1123_LABEL);
    assert_int_equal(zk_kube_name_rule_for("", "Service"), ZK_NAME_DNS1035_LABEL);
    assert_int_equal(zk_kube_name_rule_for("", "Pod"), ZK_NAME_DNS1123_SUBDOMAIN);
    assert_int_equal(zk_kube_name_rule_for("apps", "StatefulSet"), ZK_NAME_DNS1123_LABEL);
    assert_int_equal(zk_kube_name_rule_for("rbac.authorization.k8s.io", "ClusterRole"),
                     ZK_NAME_PATH_SEGMENT);
    assert_int_equal(zk_kube_name_rule_for("zke.io", "HostGroup"), ZK_NAME_DNS1123_SUBDOMAIN);
}

static void test_wrong_shapes_do_not_crash(void **state)
{
    /* Types the schema layer would reject must still be safe here. */
    static const char *const kinds[][2] = {
        {"", "Pod"}, {"", "Service"}, {"", "ConfigMap"}, {"", "Secret"}, {"", "Namespace"},
        {"", "ReplicationController"}, {"apps", "Deployment"}, {"apps", "StatefulSet"},
        {"apps", "DaemonSet"}, {"apps", "ReplicaSet"}, {"batch", "Job"}, {"batch", "CronJob"},
        {"autoscaling", "HorizontalPodAutoscaler"}, {"policy", "PodDisruptionBudget"},
        {"networking.k8s.io", "Ingress"}, {"networking.k8s.io", "NetworkPolicy"},
        {"rbac.authorization.k8s.io", "Role"}, {"rbac.authorization.k8s.io", "RoleBinding"},
        {"coordination.k8s.io", "Lease"}, {"discovery.k8s.io", "EndpointSlice"},
        {"apiextensions.k8s.io", "CustomResourceDefinition"},
    };
    static const char *const shapes[] = {
        "{}", "[]", "{\"metadata\":5,\"spec\":\"x\"}",
        "{\"metadata\":{\"name\":7,\"labels\":[1]},\"spec\":{\"containers\":{},\"ports\":[1,"
        "null],\"template\":[],\"selector\":\"a\",\"rules\":7,\"replicas\":\"3\"},\"data\":[],"
        "\"rules\":[null,{\"verbs\":\"get\"}],\"roleRef\":[],\"subjects\":[1]}",
        "{\"spec\":{\"containers\":[null,7,{\"ports\":[{\"containerPort\":\"80\"}],\"env\":[1],"
        "\"resources\":{\"limits\":[],\"requests\":{\"cpu\":{}}}}],\"volumes\":[[],{}]}}",
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            zk_autojson json_t *obj = json_loads(shapes[s], 0, NULL);
            zk_autojson json_t *old = json_loads(shapes[s], 0, NULL);
            zk_kube_default(obj, kinds[k][0], NULL, kinds[k][1]);
            zk_field_errors e;
            zk_field_errors_init(&e);
            zk_kube_validate(obj, NULL, kinds[k][0], NULL, kinds[k][1], true, &e);
            zk_kube_validate(obj, old, kinds[k][0], NULL, kinds[k][1], false, &e);
            zk_field_errors_free(&e);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_objects),
        cmocka_unit_test(test_invalid_objects),
        cmocka_unit_test(test_service_update_after_patch),
        cmocka_unit_test(test_cron_schedules),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_wrong_shapes_do_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
