/* Defaults of batch/v1, autoscaling/v2, networking.k8s.io/v1,
 * rbac.authorization.k8s.io/v1, discovery.k8s.io/v1 and
 * apiextensions.k8s.io/v1 kinds. */
#include <ctype.h>
#include <string.h>

#include "base/mem.h"
#include "kube/defaults.h"
#include "kube/defaults_int.h"

/* ---- Job, CronJob ------------------------------------------------------- */

#define JOB_UID_LABEL "batch.kubernetes.io/controller-uid"
#define JOB_NAME_LABEL "batch.kubernetes.io/job-name"
#define LEGACY_UID_LABEL "controller-uid"
#define LEGACY_NAME_LABEL "job-name"

void zk_kube_job_generate_selector(json_t *job)
{
    json_t *meta = json_is_object(job) ? json_object_get(job, "metadata") : NULL;
    json_t *spec = json_is_object(job) ? json_object_get(job, "spec") : NULL;
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    const char *name = json_string_value(json_object_get(meta, "name")) ?: "";
    if (!json_is_object(spec) || !uid || !uid[0] || json_is_true(json_object_get(spec, "manualSelector")))
        return;
    json_t *tmeta = zk_kube__dobj(zk_kube__dobj(spec, "template"), "metadata");
    json_t *labels = zk_kube__dobj(tmeta, "labels");
    if (!labels)
        return;
    /* Labels a user set are kept; a conflict is validation's to report. */
    static const char *const name_keys[] = {LEGACY_NAME_LABEL, JOB_NAME_LABEL, NULL};
    static const char *const uid_keys[] = {LEGACY_UID_LABEL, JOB_UID_LABEL, NULL};
    for (size_t i = 0; name_keys[i]; i++)
        if (!json_object_get(labels, name_keys[i]))
            json_object_set_new(labels, name_keys[i], json_string(name));
    for (size_t i = 0; uid_keys[i]; i++)
        if (!json_object_get(labels, uid_keys[i]))
            json_object_set_new(labels, uid_keys[i], json_string(uid));
    json_t *ml = zk_kube__dobj(zk_kube__dobj(spec, "selector"), "matchLabels");
    if (ml && !json_object_get(ml, JOB_UID_LABEL))
        json_object_set_new(ml, JOB_UID_LABEL, json_string(uid));
}

void zk_kube_default_job(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    json_t *tmpl = zk_kube__dobj(spec, "template");
    zk_kube_default_pod_template_spec(tmpl);
    if (zk_kube__unset(spec, "completions") && zk_kube__unset(spec, "parallelism")) {
        json_object_set_new(spec, "completions", json_integer(1));
        json_object_set_new(spec, "parallelism", json_integer(1));
    }
    zk_kube__dint(spec, "parallelism", 1);
    zk_kube__dint(spec, "backoffLimit",
                  zk_kube__unset(spec, "backoffLimitPerIndex") ? 6 : 2147483647);
    /* The Job takes its template's labels when it has none of its own. */
    json_t *tmeta = json_object_get(tmpl, "metadata");
    json_t *tlabels = json_is_object(tmeta) ? json_object_get(tmeta, "labels") : NULL;
    if (json_is_object(tlabels)) {
        json_t *meta = zk_kube__dobj(obj, "metadata");
        json_t *labels = meta ? json_object_get(meta, "labels") : NULL;
        if (meta && (!json_is_object(labels) || json_object_size(labels) == 0))
            json_object_set_new(meta, "labels", json_deep_copy(tlabels));
    }
    zk_kube__dstr(spec, "completionMode", "NonIndexed");
    zk_kube__dbool(spec, "suspend", false);
    json_t *pfp = json_object_get(spec, "podFailurePolicy");
    if (json_is_object(pfp)) {
        json_t *rules = zk_kube__darr(pfp, "rules");
        for (size_t i = 0; i < json_array_size(rules); i++) {
            json_t *conds = zk_kube__darr(json_array_get(rules, i), "onPodConditions");
            for (size_t j = 0; j < json_array_size(conds); j++)
                zk_kube__dstr(json_array_get(conds, j), "status", "True");
        }
    }
    zk_kube__dstr(spec, "podReplacementPolicy", json_is_object(pfp) ? "Failed"
                                                                      : "TerminatingOrFailed");
    zk_kube_job_generate_selector(obj);
}

void zk_kube_default_cron_job(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    zk_kube__dstr(spec, "concurrencyPolicy", "Allow");
    zk_kube__dbool(spec, "suspend", false);
    zk_kube__dint(spec, "successfulJobsHistoryLimit", 3);
    zk_kube__dint(spec, "failedJobsHistoryLimit", 1);
    /* The job template gets pod defaults only, not Job's own. */
    json_t *jspec = zk_kube__dobj(zk_kube__dobj(spec, "jobTemplate"), "spec");
    zk_kube_default_pod_template_spec(zk_kube__dobj(jspec, "template"));
}

/* ---- HorizontalPodAutoscaler (autoscaling/v2) --------------------------- */

static void default_scaling_rules(json_t *behavior, const char *key, bool up)
{
    json_t *rules = zk_kube__dobj(behavior, key);
    if (!rules)
        return;
    zk_kube__dint(rules, "stabilizationWindowSeconds", up ? 0 : 300);
    zk_kube__dstr(rules, "selectPolicy", "Max");
    if (zk_kube__unset(rules, "policies")) {
        json_t *pol = up ? json_pack("[{s:s,s:i,s:i},{s:s,s:i,s:i}]", "type", "Pods", "value", 4,
                                     "periodSeconds", 15, "type", "Percent", "value", 100,
                                     "periodSeconds", 15)
                         : json_pack("[{s:s,s:i,s:i}]", "type", "Percent", "value", 100,
                                     "periodSeconds", 15);
        json_object_set_new(rules, "policies", pol);
    }
}

void zk_kube_default_hpa(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    zk_kube__dint(spec, "minReplicas", 1);
    json_t *metrics = json_object_get(spec, "metrics");
    if (!metrics || json_is_null(metrics) || (json_is_array(metrics) && json_array_size(metrics) == 0))
        json_object_set_new(spec, "metrics",
                            json_pack("[{s:s,s:{s:s,s:{s:s,s:i}}}]", "type", "Resource",
                                      "resource", "name", "cpu", "target", "type", "Utilization",
                                      "averageUtilization", 80));
    json_t *behavior = json_object_get(spec, "behavior");
    if (json_is_object(behavior)) {
        default_scaling_rules(behavior, "scaleUp", true);
        default_scaling_rules(behavior, "scaleDown", false);
    }
}

/* ---- NetworkPolicy ------------------------------------------------------ */

void zk_kube_default_network_policy(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    static const char *const dirs[] = {"ingress", "egress", NULL};
    for (size_t d = 0; dirs[d]; d++) {
        json_t *rules = zk_kube__darr(spec, dirs[d]);
        for (size_t i = 0; i < json_array_size(rules); i++) {
            json_t *ports = zk_kube__darr(json_array_get(rules, i), "ports");
            for (size_t j = 0; j < json_array_size(ports); j++)
                zk_kube__dstr(json_array_get(ports, j), "protocol", "TCP");
        }
    }
    json_t *types = json_object_get(spec, "policyTypes");
    if (!types || json_is_null(types) || (json_is_array(types) && json_array_size(types) == 0)) {
        json_t *t = json_pack("[s]", "Ingress");
        if (json_array_size(json_object_get(spec, "egress")) > 0)
            json_array_append_new(t, json_string("Egress"));
        json_object_set_new(spec, "policyTypes", t);
    }
}

/* ---- RBAC --------------------------------------------------------------- */

#define RBAC_GROUP "rbac.authorization.k8s.io"

void zk_kube_default_role_binding(json_t *obj)
{
    zk_kube__dstr(zk_kube__dobj(obj, "roleRef"), "apiGroup", RBAC_GROUP);
    json_t *subjects = zk_kube__darr(obj, "subjects");
    for (size_t i = 0; i < json_array_size(subjects); i++) {
        json_t *s = json_array_get(subjects, i);
        const char *kind = json_string_value(json_object_get(s, "kind")) ?: "";
        if (!json_is_object(s) || !zk_kube__unset(s, "apiGroup"))
            continue;
        if (strcmp(kind, "User") == 0 || strcmp(kind, "Group") == 0)
            json_object_set_new(s, "apiGroup", json_string(RBAC_GROUP));
        else if (strcmp(kind, "ServiceAccount") == 0)
            json_object_set_new(s, "apiGroup", json_string(""));
    }
}

/* ---- EndpointSlice ------------------------------------------------------ */

void zk_kube_default_endpoint_slice(json_t *obj)
{
    json_t *ports = zk_kube__darr(obj, "ports");
    for (size_t i = 0; i < json_array_size(ports); i++) {
        json_t *p = json_array_get(ports, i);
        if (!json_is_object(p))
            continue;
        if (zk_kube__unset(p, "name"))
            json_object_set_new(p, "name", json_string(""));
        zk_kube__dstr(p, "protocol", "TCP");
    }
}

/* ---- CustomResourceDefinition ------------------------------------------- */

void zk_kube_default_crd(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    json_t *names = zk_kube__dobj(spec, "names");
    if (!names)
        return;
    const char *kind = json_string_value(json_object_get(names, "kind")) ?: "";
    if (kind[0]) {
        zk_autofree char *lower = zk_xstrdup(kind);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        zk_kube__dstr(names, "singular", lower);
        zk_autofree char *list = zk_xasprintf("%sList", kind);
        zk_kube__dstr(names, "listKind", list);
    }
    json_t *conv = zk_kube__dobj(spec, "conversion");
    zk_kube__dstr(conv, "strategy", "None");
    json_t *wh = conv ? json_object_get(conv, "webhook") : NULL;
    json_t *cc = json_is_object(wh) ? json_object_get(wh, "clientConfig") : NULL;
    json_t *svc = json_is_object(cc) ? json_object_get(cc, "service") : NULL;
    if (json_is_object(svc))
        zk_kube__dint(svc, "port", 443);
}
