/* Kubernetes protobuf bodies to JSON, driven by the field schemas (see protobuf.h). */
#include "kube/protobuf.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base/json.h"
#include "base/mem.h"
/* for ZK_PB_INLINE, the encoding of PB_IN(outer, inner) */
#include "kube/schema_decl.h"

/* ---- Go pointer fields ---------------------------------------------------
 *
 * Go's generated marshallers write every non-pointer scalar, set or not, and a
 * pointer scalar only when it is set. encoding/json leaves a non-pointer zero out
 * (omitempty) but writes a set pointer even when it points at zero. So a zero on
 * the wire is a value the client chose only for these fields: `replicas: 0`,
 * `automountServiceAccountToken: false`, `storageClassName: ""`. Keys are the
 * definition name without "io.k8s.api." or "io.k8s.apimachinery.pkg.apis.", a
 * dot and the JSON field name, sorted bytewise (bsearch). The list was taken
 * from the runtime type data of kubectl 1.32 by
 * tests/unit/kube/data/protobuf/kubectl_types.py (the *T scalar fields of the API
 * structs zke has schemas for, through inline structs). apiextensions and
 * apiregistration are not in kubectl and not listed. */
static const char *const pointer_fields[] = {
    "admissionregistration.v1.MutatingWebhook.failurePolicy",
    "admissionregistration.v1.MutatingWebhook.matchPolicy",
    "admissionregistration.v1.MutatingWebhook.reinvocationPolicy",
    "admissionregistration.v1.MutatingWebhook.sideEffects",
    "admissionregistration.v1.MutatingWebhook.timeoutSeconds",
    "admissionregistration.v1.RuleWithOperations.scope",
    "admissionregistration.v1.ServiceReference.path",
    "admissionregistration.v1.ServiceReference.port",
    "admissionregistration.v1.ValidatingWebhook.failurePolicy",
    "admissionregistration.v1.ValidatingWebhook.matchPolicy",
    "admissionregistration.v1.ValidatingWebhook.sideEffects",
    "admissionregistration.v1.ValidatingWebhook.timeoutSeconds",
    "admissionregistration.v1.WebhookClientConfig.url",
    "apps.v1.DaemonSetSpec.revisionHistoryLimit",
    "apps.v1.DaemonSetStatus.collisionCount",
    "apps.v1.DeploymentSpec.progressDeadlineSeconds",
    "apps.v1.DeploymentSpec.replicas",
    "apps.v1.DeploymentSpec.revisionHistoryLimit",
    "apps.v1.DeploymentStatus.collisionCount",
    "apps.v1.ReplicaSetSpec.replicas",
    "apps.v1.RollingUpdateStatefulSetStrategy.partition",
    "apps.v1.StatefulSetSpec.replicas",
    "apps.v1.StatefulSetSpec.revisionHistoryLimit",
    "apps.v1.StatefulSetStatus.collisionCount",
    "authentication.v1.TokenRequestSpec.expirationSeconds",
    "autoscaling.v1.HorizontalPodAutoscalerSpec.minReplicas",
    "autoscaling.v1.HorizontalPodAutoscalerSpec.targetCPUUtilizationPercentage",
    "autoscaling.v1.HorizontalPodAutoscalerStatus.currentCPUUtilizationPercentage",
    "autoscaling.v1.HorizontalPodAutoscalerStatus.observedGeneration",
    "autoscaling.v2.HPAScalingRules.selectPolicy",
    "autoscaling.v2.HPAScalingRules.stabilizationWindowSeconds",
    "autoscaling.v2.HorizontalPodAutoscalerSpec.minReplicas",
    "autoscaling.v2.HorizontalPodAutoscalerStatus.observedGeneration",
    "autoscaling.v2.MetricTarget.averageUtilization",
    "autoscaling.v2.MetricValueStatus.averageUtilization",
    "batch.v1.CronJobSpec.failedJobsHistoryLimit",
    "batch.v1.CronJobSpec.startingDeadlineSeconds",
    "batch.v1.CronJobSpec.successfulJobsHistoryLimit",
    "batch.v1.CronJobSpec.suspend",
    "batch.v1.CronJobSpec.timeZone",
    "batch.v1.JobSpec.activeDeadlineSeconds",
    "batch.v1.JobSpec.backoffLimit",
    "batch.v1.JobSpec.backoffLimitPerIndex",
    "batch.v1.JobSpec.completionMode",
    "batch.v1.JobSpec.completions",
    "batch.v1.JobSpec.managedBy",
    "batch.v1.JobSpec.manualSelector",
    "batch.v1.JobSpec.maxFailedIndexes",
    "batch.v1.JobSpec.parallelism",
    "batch.v1.JobSpec.podReplacementPolicy",
    "batch.v1.JobSpec.suspend",
    "batch.v1.JobSpec.ttlSecondsAfterFinished",
    "batch.v1.JobStatus.failedIndexes",
    "batch.v1.JobStatus.ready",
    "batch.v1.JobStatus.terminating",
    "batch.v1.PodFailurePolicyOnExitCodesRequirement.containerName",
    "batch.v1.SuccessPolicyRule.succeededCount",
    "batch.v1.SuccessPolicyRule.succeededIndexes",
    "coordination.v1.LeaseSpec.holderIdentity",
    "coordination.v1.LeaseSpec.leaseDurationSeconds",
    "coordination.v1.LeaseSpec.leaseTransitions",
    "coordination.v1.LeaseSpec.preferredHolder",
    "coordination.v1.LeaseSpec.strategy",
    "core.v1.AppArmorProfile.localhostProfile",
    "core.v1.AzureDiskVolumeSource.cachingMode",
    "core.v1.AzureDiskVolumeSource.fsType",
    "core.v1.AzureDiskVolumeSource.kind",
    "core.v1.AzureDiskVolumeSource.readOnly",
    "core.v1.CSIVolumeSource.fsType",
    "core.v1.CSIVolumeSource.readOnly",
    "core.v1.ClientIPConfig.timeoutSeconds",
    "core.v1.ClusterTrustBundleProjection.name",
    "core.v1.ClusterTrustBundleProjection.optional",
    "core.v1.ClusterTrustBundleProjection.signerName",
    "core.v1.ConfigMap.immutable",
    "core.v1.ConfigMapEnvSource.optional",
    "core.v1.ConfigMapKeySelector.optional",
    "core.v1.ConfigMapProjection.optional",
    "core.v1.ConfigMapVolumeSource.defaultMode",
    "core.v1.ConfigMapVolumeSource.optional",
    "core.v1.Container.restartPolicy",
    "core.v1.ContainerStatus.started",
    "core.v1.DownwardAPIVolumeFile.mode",
    "core.v1.DownwardAPIVolumeSource.defaultMode",
    "core.v1.EndpointAddress.nodeName",
    "core.v1.EndpointPort.appProtocol",
    "core.v1.EphemeralContainer.restartPolicy",
    "core.v1.FCVolumeSource.lun",
    "core.v1.GRPCAction.service",
    "core.v1.HostPathVolumeSource.type",
    "core.v1.ISCSIVolumeSource.initiatorName",
    "core.v1.KeyToPath.mode",
    "core.v1.LoadBalancerIngress.ipMode",
    "core.v1.NodeFeatures.supplementalGroupsPolicy",
    "core.v1.NodeRuntimeHandlerFeatures.recursiveReadOnlyMounts",
    "core.v1.NodeRuntimeHandlerFeatures.userNamespaces",
    "core.v1.PersistentVolumeClaimSpec.storageClassName",
    "core.v1.PersistentVolumeClaimSpec.volumeAttributesClassName",
    "core.v1.PersistentVolumeClaimSpec.volumeMode",
    "core.v1.PersistentVolumeClaimStatus.currentVolumeAttributesClassName",
    "core.v1.PodDNSConfigOption.value",
    "core.v1.PodResourceClaim.resourceClaimName",
    "core.v1.PodResourceClaim.resourceClaimTemplateName",
    "core.v1.PodResourceClaimStatus.resourceClaimName",
    "core.v1.PodSecurityContext.fsGroup",
    "core.v1.PodSecurityContext.fsGroupChangePolicy",
    "core.v1.PodSecurityContext.runAsGroup",
    "core.v1.PodSecurityContext.runAsNonRoot",
    "core.v1.PodSecurityContext.runAsUser",
    "core.v1.PodSecurityContext.seLinuxChangePolicy",
    "core.v1.PodSecurityContext.supplementalGroupsPolicy",
    "core.v1.PodSpec.activeDeadlineSeconds",
    "core.v1.PodSpec.automountServiceAccountToken",
    "core.v1.PodSpec.enableServiceLinks",
    "core.v1.PodSpec.hostUsers",
    "core.v1.PodSpec.preemptionPolicy",
    "core.v1.PodSpec.priority",
    "core.v1.PodSpec.runtimeClassName",
    "core.v1.PodSpec.setHostnameAsFQDN",
    "core.v1.PodSpec.shareProcessNamespace",
    "core.v1.PodSpec.terminationGracePeriodSeconds",
    "core.v1.PortStatus.error",
    "core.v1.Probe.terminationGracePeriodSeconds",
    "core.v1.ProjectedVolumeSource.defaultMode",
    "core.v1.ReplicationControllerSpec.replicas",
    "core.v1.SeccompProfile.localhostProfile",
    "core.v1.Secret.immutable",
    "core.v1.SecretEnvSource.optional",
    "core.v1.SecretKeySelector.optional",
    "core.v1.SecretProjection.optional",
    "core.v1.SecretVolumeSource.defaultMode",
    "core.v1.SecretVolumeSource.optional",
    "core.v1.SecurityContext.allowPrivilegeEscalation",
    "core.v1.SecurityContext.privileged",
    "core.v1.SecurityContext.procMount",
    "core.v1.SecurityContext.readOnlyRootFilesystem",
    "core.v1.SecurityContext.runAsGroup",
    "core.v1.SecurityContext.runAsNonRoot",
    "core.v1.SecurityContext.runAsUser",
    "core.v1.ServiceAccount.automountServiceAccountToken",
    "core.v1.ServiceAccountTokenProjection.expirationSeconds",
    "core.v1.ServicePort.appProtocol",
    "core.v1.ServiceSpec.allocateLoadBalancerNodePorts",
    "core.v1.ServiceSpec.internalTrafficPolicy",
    "core.v1.ServiceSpec.ipFamilyPolicy",
    "core.v1.ServiceSpec.loadBalancerClass",
    "core.v1.ServiceSpec.trafficDistribution",
    "core.v1.Toleration.tolerationSeconds",
    "core.v1.TopologySpreadConstraint.minDomains",
    "core.v1.TopologySpreadConstraint.nodeAffinityPolicy",
    "core.v1.TopologySpreadConstraint.nodeTaintsPolicy",
    "core.v1.TypedLocalObjectReference.apiGroup",
    "core.v1.TypedObjectReference.apiGroup",
    "core.v1.TypedObjectReference.namespace",
    "core.v1.VolumeMount.mountPropagation",
    "core.v1.VolumeMount.recursiveReadOnly",
    "core.v1.VolumeMountStatus.recursiveReadOnly",
    "core.v1.WindowsSecurityContextOptions.gmsaCredentialSpec",
    "core.v1.WindowsSecurityContextOptions.gmsaCredentialSpecName",
    "core.v1.WindowsSecurityContextOptions.hostProcess",
    "core.v1.WindowsSecurityContextOptions.runAsUserName",
    "discovery.v1.Endpoint.hostname",
    "discovery.v1.Endpoint.nodeName",
    "discovery.v1.Endpoint.zone",
    "discovery.v1.EndpointConditions.ready",
    "discovery.v1.EndpointConditions.serving",
    "discovery.v1.EndpointConditions.terminating",
    "discovery.v1.EndpointPort.appProtocol",
    "discovery.v1.EndpointPort.name",
    "discovery.v1.EndpointPort.port",
    "discovery.v1.EndpointPort.protocol",
    "meta.v1.DeleteOptions.gracePeriodSeconds",
    "meta.v1.DeleteOptions.ignoreStoreReadErrorWithClusterBreakingPotential",
    "meta.v1.DeleteOptions.orphanDependents",
    "meta.v1.DeleteOptions.propagationPolicy",
    "meta.v1.ListMeta.remainingItemCount",
    "meta.v1.ObjectMeta.deletionGracePeriodSeconds",
    "meta.v1.OwnerReference.blockOwnerDeletion",
    "meta.v1.OwnerReference.controller",
    "meta.v1.Preconditions.resourceVersion",
    "meta.v1.Preconditions.uid",
    "networking.v1.HTTPIngressPath.pathType",
    "networking.v1.IngressClassParametersReference.apiGroup",
    "networking.v1.IngressClassParametersReference.namespace",
    "networking.v1.IngressClassParametersReference.scope",
    "networking.v1.IngressPortStatus.error",
    "networking.v1.IngressSpec.ingressClassName",
    "networking.v1.NetworkPolicyPort.endPort",
    "networking.v1.NetworkPolicyPort.protocol",
    "policy.v1.PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy",
};

static int cmp_key(const void *a, const void *b)
{
    return strcmp((const char *)a, *(const char *const *)b);
}

/* Whether a zero scalar in field f of type t is a value (see above). */
static bool keeps_zero(const zk_schema_type *t, const zk_schema_field *f)
{
    if (f->flags & ZK_F_REQUIRED)
        return true;   /* no omitempty in Go: JSON clients send the zero too */
    static const char *const prefixes[] = { "io.k8s.api.", "io.k8s.apimachinery.pkg.apis." };
    const char *name = t->name;
    for (size_t i = 0; i < ZK_ARRAY_LEN(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncmp(name, prefixes[i], n)) {
            name += n;
            break;
        }
    }
    char key[256];
    int n = snprintf(key, sizeof(key), "%s.%s", name, f->name);
    if (n < 0 || (size_t)n >= sizeof(key))
        return false;
    return bsearch(key, pointer_fields, ZK_ARRAY_LEN(pointer_fields), sizeof(pointer_fields[0]),
                   cmp_key) != NULL;
}

/* ---- wire format ---------------------------------------------------------- */

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_BYTES = 2, WT_FIXED32 = 5 };

typedef struct pb_reader {
    const uint8_t *p, *end;
} pb_reader;

/* One field as read off the wire. */
typedef struct pb_wire {
    uint32_t num;
    unsigned wt;
    uint64_t v;              /* varint, fixed64 or fixed32 */
    const uint8_t *data;     /* length-delimited payload */
    size_t len;
} pb_wire;

typedef struct pb_ctx {
    zk_err *err;
    size_t out;              /* estimated JSON bytes produced so far */
} pb_ctx;

static const char *wt_name(unsigned wt)
{
    switch (wt) {
    case WT_VARINT: return "varint";
    case WT_FIXED64: return "fixed64";
    case WT_BYTES: return "length-delimited";
    case WT_FIXED32: return "fixed32";
    default: return "invalid";
    }
}

static int pb_varint(pb_ctx *c, pb_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end)
            return zk_err_set(c->err, ZK_EPARSE, "truncated varint");
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return zk_err_set(c->err, ZK_EPARSE, "varint longer than 10 bytes");
}

/* Read the next field of a message: 1 with *w filled, 0 at the end, or an error. */
static int pb_next(pb_ctx *c, pb_reader *r, pb_wire *w)
{
    if (r->p >= r->end)
        return 0;
    uint64_t key;
    int rc = pb_varint(c, r, &key);
    if (rc < 0)
        return rc;
    memset(w, 0, sizeof(*w));
    w->wt = (unsigned)(key & 7);
    if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
        return zk_err_set(c->err, ZK_EPARSE, "invalid field number %" PRIu64, key >> 3);
    w->num = (uint32_t)(key >> 3);
    size_t left;
    switch (w->wt) {
    case WT_VARINT:
        return pb_varint(c, r, &w->v) < 0 ? -ZK_EPARSE : 1;
    case WT_FIXED64:
    case WT_FIXED32: {
        size_t n = w->wt == WT_FIXED64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return zk_err_set(c->err, ZK_EPARSE, "field %" PRIu32 ": truncated %s", w->num,
                              wt_name(w->wt));
        for (size_t i = 0; i < n; i++)
            w->v |= (uint64_t)r->p[i] << (8 * i);
        r->p += n;
        return 1;
    }
    case WT_BYTES: {
        uint64_t n;
        if (pb_varint(c, r, &n) < 0)
            return -ZK_EPARSE;
        left = (size_t)(r->end - r->p);
        if (n > left)
            return zk_err_set(c->err, ZK_EPARSE,
                              "field %" PRIu32 ": length %" PRIu64 " goes past the end of the "
                              "message (%zu bytes left)", w->num, n, left);
        w->data = r->p;
        w->len = (size_t)n;
        r->p += n;
        return 1;
    }
    case 3:
    case 4:
        return zk_err_set(c->err, ZK_EPARSE, "field %" PRIu32 ": groups (wire type %u) are not "
                          "used by Kubernetes", w->num, w->wt);
    default:
        return zk_err_set(c->err, ZK_EPARSE, "field %" PRIu32 ": invalid wire type %u", w->num,
                          w->wt);
    }
}

static int want_wt(pb_ctx *c, const pb_wire *w, unsigned wt)
{
    if (w->wt == wt)
        return 0;
    return zk_err_set(c->err, ZK_EPARSE, "wire type %s, expected %s", wt_name(w->wt),
                      wt_name(wt));
}

/* Add a field name to the error path; keeps the code. A path that already fills
 * half the message stops growing, so the cause at its end is never cut off. */
static int wrap(pb_ctx *c, int rc, const char *name)
{
    if (c->err && strlen(c->err->msg) < ZK_ERR_MSG_MAX / 2)
        zk_err_wrap(c->err, "%s", name);
    return rc;
}

/* Count n bytes of JSON against the output bound. */
static int charge(pb_ctx *c, size_t n)
{
    if (n > ZK_KUBE_PROTOBUF_MAX_OUT - c->out)
        return zk_err_set(c->err, ZK_ETOOBIG, "decoded JSON exceeds the limit of %u bytes",
                          ZK_KUBE_PROTOBUF_MAX_OUT);
    c->out += n;
    return 0;
}

/* The nesting bound of JSON holds for protobuf too. */
static int check_depth(pb_ctx *c, int depth)
{
    if (depth > ZK_JSON_MAX_DEPTH)
        return zk_err_set(c->err, ZK_ETOOBIG, "nesting depth exceeds the limit of %d",
                          ZK_JSON_MAX_DEPTH);
    return 0;
}

/* ---- values -------------------------------------------------------------- */

static int pb_envelope(pb_ctx *c, const uint8_t *data, size_t len, json_t **out, int depth);
static int pb_message(pb_ctx *c, const zk_schema_type *t, const uint8_t *data, size_t len,
                      json_t *obj, int outer, int depth);

static int new_string(pb_ctx *c, const uint8_t *s, size_t n, json_t **out)
{
    int rc = charge(c, n + 3);
    if (rc < 0)
        return rc;
    *out = json_stringn((const char *)s, n);
    if (!*out)
        return zk_err_set(c->err, ZK_EPARSE, "string is not valid UTF-8");
    return 0;
}

static int new_base64(pb_ctx *c, const uint8_t *s, size_t n, json_t **out)
{
    if (n > ZK_KUBE_PROTOBUF_MAX_OUT)
        return charge(c, n);   /* fails; and keeps n within EVP_EncodeBlock's int */
    size_t enc = 4 * ((n + 2) / 3);
    int rc = charge(c, enc + 3);
    if (rc < 0)
        return rc;
    zk_autofree unsigned char *b = zk_xmalloc(enc + 1);
    int m = EVP_EncodeBlock(b, s, (int)n);
    *out = json_stringn((const char *)b, (size_t)m);
    return 0;
}

/* meta/v1 Time and MicroTime: {seconds = 1, nanos = 2}. Go writes nothing for its
 * zero time, and reads an empty message back as the zero time, which encoding/json
 * writes as null. Time keeps whole seconds (its JSON form has no fraction). */
static int new_time(pb_ctx *c, const pb_wire *w, bool micro, json_t **out)
{
    int rc = want_wt(c, w, WT_BYTES);
    if (rc < 0)
        return rc;
    if ((rc = charge(c, 32)) < 0)
        return rc;
    if (w->len == 0) {
        *out = json_null();
        return 0;
    }
    int64_t secs = 0, nanos = 0;
    pb_reader r = { w->data, w->data + w->len };
    pb_wire f;
    while ((rc = pb_next(c, &r, &f)) > 0) {
        if (f.num != 1 && f.num != 2)
            continue;
        if ((rc = want_wt(c, &f, WT_VARINT)) < 0)
            return rc;
        if (f.num == 1)
            secs = (int64_t)f.v;
        else
            nanos = (int32_t)f.v;
    }
    if (rc < 0)
        return rc;
    /* RFC 3339 has four-digit years: 0001-01-01 .. 9999-12-31 */
    if (secs < INT64_C(-62135596800) || secs > INT64_C(253402300799) || nanos < 0 ||
        nanos > 999999999)
        return zk_err_set(c->err, ZK_EPARSE, "time %" PRId64 "s %" PRId64 "ns is out of range",
                          secs, nanos);
    time_t tt = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return zk_err_set(c->err, ZK_EPARSE, "time %" PRId64 "s is out of range", secs);
    char buf[96];
    if (micro)
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(nanos / 1000));
    else
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    *out = json_string(buf);
    return 0;
}

/* The last field 1 of a wrapper message such as Quantity {string = 1} or
 * RawExtension {raw = 1}; *len is 0 when there is none. */
static int wrapped_bytes(pb_ctx *c, const pb_wire *w, const uint8_t **data, size_t *len)
{
    int rc = want_wt(c, w, WT_BYTES);
    if (rc < 0)
        return rc;
    *data = (const uint8_t *)"";
    *len = 0;
    pb_reader r = { w->data, w->data + w->len };
    pb_wire f;
    while ((rc = pb_next(c, &r, &f)) > 0) {
        if (f.num != 1)
            continue;
        if ((rc = want_wt(c, &f, WT_BYTES)) < 0)
            return rc;
        *data = f.data;
        *len = f.len;
    }
    return rc;
}

/* resource.Quantity: {string = 1}. Go's zero Quantity is "0". */
static int new_quantity(pb_ctx *c, const pb_wire *w, json_t **out)
{
    const uint8_t *s;
    size_t n;
    int rc = wrapped_bytes(c, w, &s, &n);
    if (rc < 0)
        return rc;
    return n ? new_string(c, s, n, out) : new_string(c, (const uint8_t *)"0", 1, out);
}

/* intstr.IntOrString: {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}. */
static int new_int_or_string(pb_ctx *c, const pb_wire *w, json_t **out)
{
    int rc = want_wt(c, w, WT_BYTES);
    if (rc < 0)
        return rc;
    uint64_t type = 0;
    int32_t ival = 0;
    const uint8_t *s = NULL;
    size_t n = 0;
    pb_reader r = { w->data, w->data + w->len };
    pb_wire f;
    while ((rc = pb_next(c, &r, &f)) > 0) {
        if (f.num < 1 || f.num > 3)
            continue;
        if ((rc = want_wt(c, &f, f.num == 3 ? WT_BYTES : WT_VARINT)) < 0)
            return rc;
        if (f.num == 1)
            type = f.v;
        else if (f.num == 2)
            ival = (int32_t)f.v;
        else {
            s = f.data;
            n = f.len;
        }
    }
    if (rc < 0)
        return rc;
    if (type == 1)
        return new_string(c, s ? s : (const uint8_t *)"", n, out);
    if ((rc = charge(c, 12)) < 0)
        return rc;
    *out = json_integer(ival);
    return 0;
}

/* RawExtension, apiextensions JSON and FieldsV1: {raw = 1}, the value as JSON text
 * (or, from a protobuf client, as a nested "k8s\0" envelope). Nothing is null. */
static int new_raw_json(pb_ctx *c, const pb_wire *w, int depth, json_t **out)
{
    const uint8_t *raw;
    size_t n;
    int rc = wrapped_bytes(c, w, &raw, &n);
    if (rc < 0)
        return rc;
    if (n == 0) {
        *out = json_null();
        return charge(c, 4);
    }
    if (n >= ZK_KUBE_PROTOBUF_MAGIC_LEN &&
        !memcmp(raw, ZK_KUBE_PROTOBUF_MAGIC, ZK_KUBE_PROTOBUF_MAGIC_LEN))
        return pb_envelope(c, raw, n, out, depth + 1);
    if ((rc = charge(c, n)) < 0)
        return rc;
    if (zk_json_depth((const char *)raw, n) + depth > ZK_JSON_MAX_DEPTH)
        return check_depth(c, ZK_JSON_MAX_DEPTH + 1);
    return zk_json_decode((const char *)raw, n, out, c->err);
}

/* authorization ExtraValue: {items = 1, repeated string}. */
static int new_extra_value(pb_ctx *c, const pb_wire *w, json_t **out)
{
    int rc = want_wt(c, w, WT_BYTES);
    if (rc < 0)
        return rc;
    zk_autojson json_t *arr = json_array();
    pb_reader r = { w->data, w->data + w->len };
    pb_wire f;
    while ((rc = pb_next(c, &r, &f)) > 0) {
        if (f.num != 1)
            continue;
        json_t *s;
        if ((rc = want_wt(c, &f, WT_BYTES)) < 0 || (rc = new_string(c, f.data, f.len, &s)) < 0)
            return rc;
        json_array_append_new(arr, s);
    }
    if (rc < 0)
        return rc;
    *out = zk_steal(&arr);
    return charge(c, 2);
}

/* One value of the given kind (a field, a list item or a map value). */
static int pb_value(pb_ctx *c, zk_schema_kind kind, const zk_schema_type *ref, const char *format,
                    bool map_value, const pb_wire *w, int depth, json_t **out)
{
    int rc;
    *out = NULL;
    switch (kind) {
    case ZK_S_STRING:
        if ((rc = want_wt(c, w, WT_BYTES)) < 0)
            return rc;
        return new_string(c, w->data, w->len, out);
    case ZK_S_BYTES:
        if ((rc = want_wt(c, w, WT_BYTES)) < 0)
            return rc;
        return new_base64(c, w->data, w->len, out);
    case ZK_S_INTEGER:
        if ((rc = want_wt(c, w, WT_VARINT)) < 0 || (rc = charge(c, 21)) < 0)
            return rc;
        /* int32 fields travel sign-extended to 64 bits; Go truncates them */
        if (format && !strcmp(format, "int32"))
            *out = json_integer((int32_t)w->v);
        else
            *out = json_integer((json_int_t)(int64_t)w->v);
        return 0;
    case ZK_S_BOOLEAN:
        if ((rc = want_wt(c, w, WT_VARINT)) < 0 || (rc = charge(c, 6)) < 0)
            return rc;
        *out = json_boolean(w->v != 0);
        return 0;
    case ZK_S_NUMBER: {
        double d;
        if (w->wt == WT_FIXED64) {
            memcpy(&d, &w->v, sizeof(d));
        } else if (w->wt == WT_FIXED32) {
            uint32_t bits = (uint32_t)w->v;
            float fl;
            memcpy(&fl, &bits, sizeof(fl));
            d = fl;
        } else {
            return want_wt(c, w, WT_FIXED64);
        }
        if ((rc = charge(c, 24)) < 0)
            return rc;
        *out = json_real(d);
        if (!*out)
            return zk_err_set(c->err, ZK_EPARSE, "number is not finite");
        return 0;
    }
    case ZK_S_TIME:
        return new_time(c, w, format && !strcmp(format, "micro-time"), out);
    case ZK_S_QUANTITY:
        return new_quantity(c, w, out);
    case ZK_S_INT_OR_STRING:
        return new_int_or_string(c, w, out);
    case ZK_S_ANY:
        return map_value ? new_extra_value(c, w, out) : new_raw_json(c, w, depth, out);
    case ZK_S_OBJECT: {
        if ((rc = want_wt(c, w, WT_BYTES)) < 0 || (rc = charge(c, 2)) < 0)
            return rc;
        zk_autojson json_t *obj = json_object();
        if ((rc = pb_message(c, ref, w->data, w->len, obj, 0, depth + 1)) < 0)
            return rc;
        *out = zk_steal(&obj);
        return 0;
    }
    case ZK_S_ARRAY:
    case ZK_S_MAP:
        break;
    }
    return zk_err_set(c->err, ZK_EINTERNAL, "schema: nested list or map (kind %d)", (int)kind);
}

/* Whether v is the zero value of a scalar (structs such as Quantity, IntOrString
 * and Time are never empty to encoding/json). */
static bool is_zero(zk_schema_kind kind, const json_t *v)
{
    if (kind != ZK_S_STRING && kind != ZK_S_BYTES && kind != ZK_S_INTEGER &&
        kind != ZK_S_NUMBER && kind != ZK_S_BOOLEAN)
        return false;
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_length(v) == 0;
    case JSON_INTEGER: return json_integer_value(v) == 0;
    case JSON_REAL: return json_real_value(v) == 0;
    case JSON_FALSE: return true;
    default: return false;
    }
}

/* The list or map held in obj[name], made when missing (or of another shape). */
static json_t *container(json_t *obj, const char *name, bool array)
{
    json_t *v = json_object_get(obj, name);
    if (array ? json_is_array(v) : json_is_object(v))
        return v;
    v = array ? json_array() : json_object();
    json_object_set_new(obj, name, v);
    return v;
}

/* A repeated field: one item, or (for numbers and booleans) a packed run of them. */
static int pb_list_item(pb_ctx *c, const zk_schema_field *f, const pb_wire *w, json_t *obj,
                        int depth)
{
    json_t *arr = container(obj, f->name, true);
    zk_schema_kind ek = f->elem.kind;
    int rc = charge(c, 2);
    if (rc < 0)
        return rc;
    bool scalar = ek == ZK_S_INTEGER || ek == ZK_S_BOOLEAN || ek == ZK_S_NUMBER;
    if (scalar && w->wt == WT_BYTES) {
        pb_reader r = { w->data, w->data + w->len };
        while (r.p < r.end) {
            pb_wire item = { .num = w->num, .wt = ek == ZK_S_NUMBER ? WT_FIXED64 : WT_VARINT };
            if (ek != ZK_S_NUMBER) {
                if ((rc = pb_varint(c, &r, &item.v)) < 0)
                    return rc;
            } else {
                if (r.end - r.p < 8)
                    return zk_err_set(c->err, ZK_EPARSE, "truncated packed fixed64");
                for (int i = 0; i < 8; i++)
                    item.v |= (uint64_t)r.p[i] << (8 * i);
                r.p += 8;
            }
            json_t *v;
            if ((rc = pb_value(c, ek, f->elem.ref, f->elem.format, false, &item, depth, &v)) < 0)
                return rc;
            json_array_append_new(arr, v);
        }
        return 0;
    }
    json_t *v;
    if ((rc = pb_value(c, ek, f->elem.ref, f->elem.format, false, w, depth, &v)) < 0)
        return rc;
    json_array_append_new(arr, v);
    return 0;
}

/* The wire type a value of this kind travels as. */
static unsigned kind_wt(zk_schema_kind k)
{
    switch (k) {
    case ZK_S_INTEGER:
    case ZK_S_BOOLEAN: return WT_VARINT;
    case ZK_S_NUMBER: return WT_FIXED64;
    default: return WT_BYTES;
    }
}

/* A map field: one entry message {key = 1, value = 2}. */
static int pb_map_entry(pb_ctx *c, const zk_schema_field *f, const pb_wire *w, json_t *obj,
                        int depth)
{
    int rc = want_wt(c, w, WT_BYTES);
    if (rc < 0)
        return rc;
    const uint8_t *key = (const uint8_t *)"";
    size_t klen = 0;
    /* a missing value is the zero value: an empty message or string, a zero varint */
    pb_wire val = { .num = 2, .wt = kind_wt(f->elem.kind), .data = (const uint8_t *)"" };
    pb_reader r = { w->data, w->data + w->len };
    pb_wire e;
    while ((rc = pb_next(c, &r, &e)) > 0) {
        if (e.num == 1) {
            if ((rc = want_wt(c, &e, WT_BYTES)) < 0)
                return wrap(c, rc, "map key");
            key = e.data;
            klen = e.len;
        } else if (e.num == 2) {
            val = e;
        }
    }
    if (rc < 0)
        return rc;
    if (memchr(key, '\0', klen))
        return zk_err_set(c->err, ZK_EPARSE, "map key contains a NUL byte");
    if ((rc = charge(c, klen + 4)) < 0)
        return rc;
    json_t *v;
    if ((rc = pb_value(c, f->elem.kind, f->elem.ref, f->elem.format, true, &val, depth, &v)) < 0)
        return rc;
    zk_autofree char *k = zk_xstrndup((const char *)key, klen);
    if (json_object_set_new(container(obj, f->name, false), k, v) < 0)
        return zk_err_set(c->err, ZK_EPARSE, "map key is not valid UTF-8");
    return 0;
}

/* The field of t numbered num, inside the inline-embedded message numbered outer
 * (0: directly in t). */
static const zk_schema_field *field_by_number(const zk_schema_type *t, int outer, uint32_t num)
{
    if (num >= ZK_PB_INLINE)
        return NULL;
    int want = outer * ZK_PB_INLINE + (int)num;
    for (const zk_schema_field *f = t->fields; f->name; f++)
        if (f->proto == want)
            return f;
    return NULL;
}

/* Whether some field of t lives in an inline-embedded message numbered num. */
static bool has_inline(const zk_schema_type *t, uint32_t num)
{
    if (num >= ZK_PB_INLINE)
        return false;
    for (const zk_schema_field *f = t->fields; f->name; f++)
        if (f->proto >= ZK_PB_INLINE && (uint32_t)(f->proto / ZK_PB_INLINE) == num)
            return true;
    return false;
}

/* Decode the fields of a message of type t into obj. outer != 0: the message is
 * the inline-embedded one numbered outer, whose fields JSON puts in obj itself. */
static int pb_message(pb_ctx *c, const zk_schema_type *t, const uint8_t *data, size_t len,
                      json_t *obj, int outer, int depth)
{
    int rc = check_depth(c, depth);
    if (rc < 0)
        return rc;
    pb_reader r = { data, data + len };
    pb_wire w;
    while ((rc = pb_next(c, &r, &w)) > 0) {
        const zk_schema_field *f = field_by_number(t, outer, w.num);
        if (!f) {
            if (!outer && w.wt == WT_BYTES && has_inline(t, w.num) &&
                (rc = pb_message(c, t, w.data, w.len, obj, (int)w.num, depth + 1)) < 0)
                return rc;
            continue;   /* unknown fields are skipped, as Go does */
        }
        if (f->kind == ZK_S_ARRAY) {
            rc = pb_list_item(c, f, &w, obj, depth);
        } else if (f->kind == ZK_S_MAP) {
            rc = pb_map_entry(c, f, &w, obj, depth);
        } else if (f->kind == ZK_S_OBJECT) {
            /* a repeated occurrence of a message merges into the first */
            if ((rc = want_wt(c, &w, WT_BYTES)) == 0 && (rc = charge(c, strlen(f->name) + 5)) == 0)
                rc = pb_message(c, f->ref, w.data, w.len, container(obj, f->name, false), 0,
                                depth + 1);
        } else {
            json_t *v;
            rc = pb_value(c, f->kind, f->ref, f->format, false, &w, depth, &v);
            if (rc == 0 && (rc = charge(c, strlen(f->name) + 4)) < 0)
                json_decref(v);
            if (rc == 0) {
                if (is_zero(f->kind, v) && !keeps_zero(t, f)) {
                    json_decref(v);
                    json_object_del(obj, f->name);   /* last one wins, as in Go */
                } else {
                    json_object_set_new(obj, f->name, v);
                }
            }
        }
        if (rc < 0)
            return wrap(c, rc, f->name);
    }
    return rc;
}

/* ---- envelope ------------------------------------------------------------ */

/* A string field of the envelope, copied into buf (NUL-terminated). */
static int envelope_string(pb_ctx *c, const pb_wire *w, const char *what, char *buf, size_t cap)
{
    int rc = want_wt(c, w, WT_BYTES);
    if (rc < 0)
        return wrap(c, rc, what);
    if (w->len >= cap || memchr(w->data, '\0', w->len))
        return zk_err_set(c->err, ZK_EPARSE, "%s: longer than %zu bytes or not text", what,
                          cap - 1);
    memcpy(buf, w->data, w->len);
    buf[w->len] = '\0';
    return 0;
}

static int pb_envelope(pb_ctx *c, const uint8_t *data, size_t len, json_t **out, int depth)
{
    *out = NULL;
    if (len < ZK_KUBE_PROTOBUF_MAGIC_LEN ||
        memcmp(data, ZK_KUBE_PROTOBUF_MAGIC, ZK_KUBE_PROTOBUF_MAGIC_LEN))
        return zk_err_set(c->err, ZK_EPARSE, "protobuf: the body does not start with the "
                          "magic bytes k8s\\0");
    int rc = check_depth(c, depth);
    if (rc < 0)
        return rc;
    char api_version[256] = "", kind[256] = "", encoding[64] = "", ctype[128] = "";
    const uint8_t *raw = (const uint8_t *)"";
    size_t raw_len = 0;
    pb_reader r = { data + ZK_KUBE_PROTOBUF_MAGIC_LEN, data + len };
    pb_wire w;
    while ((rc = pb_next(c, &r, &w)) > 0) {
        if (w.num == 1) {   /* typeMeta {apiVersion = 1, kind = 2} */
            if ((rc = want_wt(c, &w, WT_BYTES)) < 0)
                return wrap(c, rc, "protobuf envelope: typeMeta");
            pb_reader tr = { w.data, w.data + w.len };
            pb_wire tw;
            while ((rc = pb_next(c, &tr, &tw)) > 0) {
                if (tw.num == 1)
                    rc = envelope_string(c, &tw, "apiVersion", api_version, sizeof(api_version));
                else if (tw.num == 2)
                    rc = envelope_string(c, &tw, "kind", kind, sizeof(kind));
                if (rc < 0)
                    break;
            }
        } else if (w.num == 2) {
            if ((rc = want_wt(c, &w, WT_BYTES)) < 0)
                return wrap(c, rc, "protobuf envelope: raw");
            raw = w.data;
            raw_len = w.len;
        } else if (w.num == 3) {
            rc = envelope_string(c, &w, "contentEncoding", encoding, sizeof(encoding));
        } else if (w.num == 4) {
            rc = envelope_string(c, &w, "contentType", ctype, sizeof(ctype));
        }
        if (rc < 0)
            return wrap(c, rc, "protobuf envelope");
    }
    if (rc < 0)
        return wrap(c, rc, "protobuf envelope");
    if (encoding[0])
        return zk_err_set(c->err, ZK_EUNSUPPORTED, "protobuf: content encoding %s is not "
                          "supported", encoding);
    if (ctype[0] && strcmp(ctype, ZK_KUBE_PROTOBUF_CONTENT_TYPE))
        return zk_err_set(c->err, ZK_EUNSUPPORTED, "protobuf: inner content type %s is not "
                          "supported", ctype);
    if (!kind[0] || !api_version[0])
        return zk_err_set(c->err, ZK_EPARSE, "protobuf: the envelope names no apiVersion and "
                          "kind");
    /* "group/version", or "version" for the core group */
    const char *group = "", *version = api_version;
    char *slash = strrchr(api_version, '/');
    if (slash) {
        *slash = '\0';
        group = api_version;
        version = slash + 1;
    }
    const zk_schema_type *t = zk_kube_schema_for_kind(group, version, kind);
    if (!t)
        return zk_err_set(c->err, ZK_EUNSUPPORTED, "protobuf: no schema for %s%s%s, Kind=%s",
                          group, *group ? "/" : "", version, kind);
    if (slash)
        *slash = '/';
    if ((rc = charge(c, strlen(api_version) + strlen(kind) + 32)) < 0)
        return rc;
    zk_autojson json_t *obj = json_object();
    zk_json_set_str(obj, "apiVersion", api_version);
    zk_json_set_str(obj, "kind", kind);
    if ((rc = pb_message(c, t, raw, raw_len, obj, 0, depth + 1)) < 0)
        return wrap(c, rc, kind);
    *out = zk_steal(&obj);
    return 0;
}

int zk_kube_protobuf_decode(const char *data, size_t len, json_t **out, zk_err *err)
{
    pb_ctx c = { .err = err };
    return pb_envelope(&c, (const uint8_t *)data, len, out, 0);
}

int zk_kube_protobuf_decode_message(const zk_schema_type *t, const char *data, size_t len,
                                    json_t **out, zk_err *err)
{
    pb_ctx c = { .err = err };
    *out = NULL;
    zk_autojson json_t *obj = json_object();
    int rc = pb_message(&c, t, (const uint8_t *)data, len, obj, 0, 1);
    if (rc < 0)
        return rc;
    *out = zk_steal(&obj);
    return 0;
}

/* ---- coverage ------------------------------------------------------------ */

typedef struct gap_walk {
    const zk_schema_type *seen[1024];
    size_t nseen;
    zk_kube_protobuf_gap_fn fn;
    void *ctx;
    int count;
} gap_walk;

static bool json_only(const zk_schema_type *t, const zk_schema_field *f)
{
    if (t->gvk_kind && (!strcmp(f->name, "apiVersion") || !strcmp(f->name, "kind")))
        return true;
    return !strcmp(t->name, N_META "APIResource") && !strcmp(f->name, "verbs");
}

static void gap_visit(gap_walk *g, const zk_schema_type *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < g->nseen; i++)
        if (g->seen[i] == t)
            return;
    if (g->nseen == ZK_ARRAY_LEN(g->seen))
        return;
    g->seen[g->nseen++] = t;
    for (const zk_schema_field *f = t->fields; f->name; f++) {
        if (f->proto == 0 && !json_only(t, f)) {
            g->count++;
            if (g->fn)
                g->fn(g->ctx, t, f);
        }
        gap_visit(g, f->ref);
        gap_visit(g, f->elem.ref);
    }
}

int zk_kube_protobuf_unnumbered(const zk_schema_type *t, zk_kube_protobuf_gap_fn fn, void *ctx)
{
    gap_walk *g = zk_xcalloc(1, sizeof(*g));
    g->fn = fn;
    g->ctx = ctx;
    gap_visit(g, t);
    int n = g->count;
    free(g);
    return n;
}
