/* Validators of the apps/v1 kinds: Deployment, ReplicaSet, StatefulSet,
 * DaemonSet (Kubernetes' pkg/apis/apps/validation and the registry's
 * selector immutability). */
#include <string.h>

#include "base/json.h"
#include "kube/validate.h"
#include "kube/validate_int.h"

static const char *const always[] = {"Always", NULL};

/* spec.selector: required, well-formed, not empty. */
static void validate_selector(zk_field_errors *e, const json_t *spec, const char *what)
{
    const json_t *sel = zk_kube__obj(spec, "selector");
    if (!sel) {
        zk_field_required(e, "spec.selector", "");
        return;
    }
    zk_kube__validate_label_selector(e, sel, "spec.selector");
    if (zk_kube__selector_empty(sel)) {
        char msg[128];
        snprintf(msg, sizeof(msg), "empty selector is invalid for %s", what);
        zk_field_invalid(e, "spec.selector", sel, msg);
    }
}

static void selector_matches_template(zk_field_errors *e, const json_t *spec)
{
    const json_t *sel = zk_kube__obj(spec, "selector");
    const json_t *labels = zk_kube__obj(zk_kube__obj(zk_kube__obj(spec, "template"), "metadata"),
                                        "labels");
    if (sel && !zk_kube__selector_empty(sel) && !zk_kube__selector_matches(sel, labels))
        zk_field_invalid(e, "spec.template.metadata.labels", labels,
                         "`selector` does not match template `labels`");
}

/* ValidatePodTemplateSpecForReplicaSet, shared by Deployment and ReplicaSet. */
static void validate_rs_template(zk_field_errors *e, const json_t *spec, const char *kind)
{
    const json_t *tmpl = zk_kube__obj(spec, "template");
    if (!tmpl) {
        zk_field_required(e, "spec.template", "");
        return;
    }
    selector_matches_template(e, spec);
    zk_kube__validate_pod_template_spec(e, tmpl, "spec.template");
    const json_t *ts = zk_kube__obj(tmpl, "spec");
    const char *rp = zk_kube__str0(ts, "restartPolicy");
    if (strcmp(rp, "Always") != 0)
        zk_kube__not_supported_str(e, "spec.template.spec.restartPolicy", rp, always);
    if (zk_kube__has(ts, "activeDeadlineSeconds")) {
        char msg[128];
        snprintf(msg, sizeof(msg), "activeDeadlineSeconds in %s is not Supported", kind);
        zk_field_forbidden(e, "spec.template.spec.activeDeadlineSeconds", msg);
    }
}

static void selector_immutable(zk_field_errors *e, const json_t *obj, const json_t *old)
{
    if (!old)
        return;
    zk_kube__immutable(e, "spec.selector", zk_kube__obj(zk_kube__obj(obj, "spec"), "selector"),
                       zk_kube__obj(zk_kube__obj(old, "spec"), "selector"));
}

static void validate_rolling_update_deployment(zk_field_errors *e, const json_t *ru)
{
    const json_t *mu = json_object_get(ru, "maxUnavailable");
    const json_t *ms = json_object_get(ru, "maxSurge");
    zk_kube__validate_int_or_percent(e, mu, "spec.strategy.rollingUpdate.maxUnavailable");
    zk_kube__validate_int_or_percent(e, ms, "spec.strategy.rollingUpdate.maxSurge");
    if (zk_kube__int_or_percent_value(mu) == 0 && zk_kube__int_or_percent_value(ms) == 0) {
        zk_autojson json_t *zero = json_integer(0);
        zk_field_invalid(e, "spec.strategy.rollingUpdate.maxUnavailable", mu ? mu : zero,
                         "may not be 0 when `maxSurge` is 0");
    }
    zk_kube__not_more_than_100_percent(e, mu, "spec.strategy.rollingUpdate.maxUnavailable");
}

void zk_kube_validate_deployment(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    zk_kube__nonneg(e, "spec.replicas", spec, "replicas");
    validate_selector(e, spec, "deployment");
    validate_rs_template(e, spec, "Deployment");

    static const char *const types[] = {"Recreate", "RollingUpdate", NULL};
    const json_t *strategy = zk_kube__obj(spec, "strategy");
    const char *type = zk_kube__str0(strategy, "type");
    const json_t *ru = zk_kube__obj(strategy, "rollingUpdate");
    if (strcmp(type, "Recreate") == 0) {
        if (ru)
            zk_field_forbidden(e, "spec.strategy.rollingUpdate",
                               "may not be specified when strategy `type` is 'Recreate'");
    } else if (strcmp(type, "RollingUpdate") == 0) {
        if (!ru)
            zk_field_required(e, "spec.strategy.rollingUpdate",
                              "this should be defaulted and never be nil");
        else
            validate_rolling_update_deployment(e, ru);
    } else {
        zk_autojson json_t *empty = json_object();
        zk_field_not_supported(e, "spec.strategy", strategy ? strategy : empty, types);
    }
    zk_kube__nonneg(e, "spec.minReadySeconds", spec, "minReadySeconds");
    zk_kube__nonneg(e, "spec.revisionHistoryLimit", spec, "revisionHistoryLimit");
    const json_t *pds = json_object_get(spec, "progressDeadlineSeconds");
    if (json_is_integer(pds)) {
        zk_kube__nonneg(e, "spec.progressDeadlineSeconds", spec, "progressDeadlineSeconds");
        if (json_integer_value(pds) <= zk_json_int(spec, "minReadySeconds", 0))
            zk_field_invalid(e, "spec.progressDeadlineSeconds", pds,
                             "must be greater than minReadySeconds");
    }
    selector_immutable(e, obj, old);
}

void zk_kube_validate_replica_set(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    zk_kube__nonneg(e, "spec.replicas", spec, "replicas");
    zk_kube__nonneg(e, "spec.minReadySeconds", spec, "minReadySeconds");
    /* Kubernetes says "deployment" here too. */
    validate_selector(e, spec, "deployment");
    validate_rs_template(e, spec, "ReplicaSet");
    selector_immutable(e, obj, old);
}

static void validate_pvc_retention(zk_field_errors *e, const json_t *spec)
{
    static const char *const policies[] = {"Retain", "Delete", NULL};
    const json_t *pol = zk_kube__obj(spec, "persistentVolumeClaimRetentionPolicy");
    if (!pol)
        return;
    static const char *const keys[] = {"whenDeleted", "whenScaled", NULL};
    char p[ZK_KPATH_MAX];
    for (size_t i = 0; keys[i]; i++) {
        const char *v = zk_kube__str0(pol, keys[i]);
        if (!zk_kube__one_of(v, policies))
            zk_kube__not_supported_str(
                e, ZK_KP(p, "spec.persistentVolumeClaimRetentionPolicy.%s", keys[i]), v, policies);
    }
}

void zk_kube_validate_stateful_set(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");

    const char *pmp = zk_kube__str0(spec, "podManagementPolicy");
    if (!pmp[0])
        zk_field_required(e, "spec.podManagementPolicy", "");
    else if (strcmp(pmp, "OrderedReady") != 0 && strcmp(pmp, "Parallel") != 0)
        zk_field_invalid_str(e, "spec.podManagementPolicy", pmp,
                             "must be 'OrderedReady' or 'Parallel'");

    const json_t *us = zk_kube__obj(spec, "updateStrategy");
    const char *ut = zk_kube__str0(us, "type");
    const json_t *ru = zk_kube__obj(us, "rollingUpdate");
    if (!ut[0]) {
        zk_field_required(e, "spec.updateStrategy", "");
    } else if (strcmp(ut, "OnDelete") == 0) {
        if (ru)
            zk_field_invalid(e, "spec.updateStrategy.rollingUpdate", ru,
                             "only allowed for updateStrategy 'RollingUpdate'");
    } else if (strcmp(ut, "RollingUpdate") == 0) {
        if (ru) {
            zk_kube__nonneg(e, "spec.updateStrategy.rollingUpdate.partition", ru, "partition");
            const json_t *mu = json_object_get(ru, "maxUnavailable");
            if (mu && !json_is_null(mu)) {
                const char *mp = "spec.updateStrategy.rollingUpdate.maxUnavailable";
                zk_kube__validate_int_or_percent(e, mu, mp);
                if (zk_kube__int_or_percent_value(mu) == 0)
                    zk_field_invalid(e, mp, mu, "cannot be 0");
                zk_kube__not_more_than_100_percent(e, mu, mp);
            }
        }
    } else {
        zk_field_invalid(e, "spec.updateStrategy", us, "must be 'RollingUpdate' or 'OnDelete'");
    }

    validate_pvc_retention(e, spec);
    zk_kube__nonneg(e, "spec.replicas", spec, "replicas");
    zk_kube__nonneg(e, "spec.minReadySeconds", spec, "minReadySeconds");
    const json_t *ord = zk_kube__obj(spec, "ordinals");
    if (ord)
        zk_kube__nonneg(e, "spec.ordinals.start", ord, "start");

    const json_t *sel = zk_kube__obj(spec, "selector");
    if (!sel) {
        zk_field_required(e, "spec.selector", "");
    } else {
        zk_kube__validate_label_selector(e, sel, "spec.selector");
        if (zk_kube__selector_empty(sel))
            zk_field_invalid(e, "spec.selector", sel, "empty selector is invalid for statefulset");
    }
    /* Like Kubernetes, only the template's metadata is checked here: its pod
     * spec may mount volumes that volumeClaimTemplates provide. */
    const json_t *tmpl = zk_kube__obj(spec, "template");
    const json_t *tmeta = zk_kube__obj(tmpl, "metadata");
    selector_matches_template(e, spec);
    zk_kube__validate_labels(e, zk_kube__obj(tmeta, "labels"), "spec.template.labels");
    zk_kube__validate_annotations(e, zk_kube__obj(tmeta, "annotations"),
                                  "spec.template.annotations");
    const json_t *ts = zk_kube__obj(tmpl, "spec");
    const char *rp = zk_kube__str0(ts, "restartPolicy");
    if (strcmp(rp, "Always") != 0)
        zk_kube__not_supported_str(e, "spec.template.spec.restartPolicy", rp, always);
    if (zk_kube__has(ts, "activeDeadlineSeconds"))
        zk_field_forbidden(e, "spec.template.spec.activeDeadlineSeconds",
                           "activeDeadlineSeconds in StatefulSet is not Supported");

    if (!old)
        return;
    /* Only these may change; everything else in spec is fixed at creation. */
    const json_t *ospec = zk_kube__obj(old, "spec");
    zk_autojson json_t *a = spec ? json_deep_copy(spec) : json_object();
    zk_autojson json_t *b = ospec ? json_deep_copy(ospec) : json_object();
    static const char *const mutable_keys[] = {"replicas", "template", "updateStrategy",
                                               "minReadySeconds", "ordinals",
                                               "persistentVolumeClaimRetentionPolicy", NULL};
    for (size_t i = 0; mutable_keys[i]; i++) {
        json_object_del(a, mutable_keys[i]);
        json_object_del(b, mutable_keys[i]);
    }
    if (!zk_kube__equal(a, b))
        zk_field_forbidden(e, "spec", "updates to statefulset spec for fields other than "
                                      "'replicas', 'ordinals', 'template', 'updateStrategy', "
                                      "'persistentVolumeClaimRetentionPolicy' and "
                                      "'minReadySeconds' are forbidden");
}

void zk_kube_validate_daemon_set(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    const json_t *sel = zk_kube__obj(spec, "selector");
    if (!sel)
        zk_field_required(e, "spec.selector", "");
    zk_kube__validate_label_selector(e, sel, "spec.selector");
    selector_matches_template(e, spec);
    if (sel && zk_kube__selector_empty(sel))
        zk_field_invalid(e, "spec.selector", sel, "empty selector is invalid for daemonset");

    const json_t *tmpl = zk_kube__obj(spec, "template");
    zk_kube__validate_pod_template_spec(e, tmpl, "spec.template");
    const json_t *ts = zk_kube__obj(tmpl, "spec");
    const char *rp = zk_kube__str0(ts, "restartPolicy");
    if (strcmp(rp, "Always") != 0)
        zk_kube__not_supported_str(e, "spec.template.spec.restartPolicy", rp, always);
    if (zk_kube__has(ts, "activeDeadlineSeconds"))
        zk_field_forbidden(e, "spec.template.spec.activeDeadlineSeconds",
                           "activeDeadlineSeconds in DaemonSet is not Supported");
    zk_kube__nonneg(e, "spec.minReadySeconds", spec, "minReadySeconds");
    zk_kube__nonneg(e, "spec.templateGeneration", spec, "templateGeneration");

    static const char *const types[] = {"RollingUpdate", "OnDelete", NULL};
    const json_t *us = zk_kube__obj(spec, "updateStrategy");
    const char *ut = zk_kube__str0(us, "type");
    if (strcmp(ut, "RollingUpdate") == 0) {
        const json_t *ru = zk_kube__obj(us, "rollingUpdate");
        if (!ru) {
            zk_field_required(e, "spec.updateStrategy.rollingUpdate", "");
        } else {
            const char *mup = "spec.updateStrategy.rollingUpdate.maxUnavailable";
            const char *msp = "spec.updateStrategy.rollingUpdate.maxSurge";
            const json_t *mu = json_object_get(ru, "maxUnavailable");
            const json_t *ms = json_object_get(ru, "maxSurge");
            zk_kube__validate_int_or_percent(e, mu, mup);
            zk_kube__validate_int_or_percent(e, ms, msp);
            zk_kube__not_more_than_100_percent(e, mu, mup);
            zk_kube__not_more_than_100_percent(e, ms, msp);
            bool has_u = zk_kube__int_or_percent_value(mu) != 0;
            bool has_s = zk_kube__int_or_percent_value(ms) != 0;
            if (has_u && has_s)
                zk_field_invalid(e, msp, ms, "may not be set when maxUnavailable is non-zero");
            else if (!has_u && !has_s)
                zk_field_required(e, mup, "cannot be 0 when maxSurge is 0");
        }
    } else if (strcmp(ut, "OnDelete") != 0) {
        zk_autojson json_t *empty = json_object();
        zk_field_not_supported(e, "spec.updateStrategy", us ? us : empty, types);
    }
    zk_kube__nonneg(e, "spec.revisionHistoryLimit", spec, "revisionHistoryLimit");
    selector_immutable(e, obj, old);
}
