/* Defaults of apps/v1: Deployment, ReplicaSet, DaemonSet, StatefulSet. */
#include <string.h>

#include "kube/defaults.h"
#include "kube/defaults_int.h"

static const char *str_at(const json_t *o, const char *key)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

void zk_kube_default_deployment(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    zk_kube_default_pod_template_spec(zk_kube__dobj(spec, "template"));
    zk_kube__dint(spec, "replicas", 1);
    json_t *strategy = zk_kube__dobj(spec, "strategy");
    zk_kube__dstr(strategy, "type", "RollingUpdate");
    if (strcmp(str_at(strategy, "type"), "RollingUpdate") == 0) {
        json_t *ru = zk_kube__dobj(strategy, "rollingUpdate");
        if (ru && zk_kube__unset(ru, "maxUnavailable"))
            json_object_set_new(ru, "maxUnavailable", json_string("25%"));
        if (ru && zk_kube__unset(ru, "maxSurge"))
            json_object_set_new(ru, "maxSurge", json_string("25%"));
    }
    zk_kube__dint(spec, "revisionHistoryLimit", 10);
    zk_kube__dint(spec, "progressDeadlineSeconds", 600);
}

void zk_kube_default_replica_set(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    zk_kube_default_pod_template_spec(zk_kube__dobj(spec, "template"));
    zk_kube__dint(spec, "replicas", 1);
}

void zk_kube_default_daemon_set(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    zk_kube_default_pod_template_spec(zk_kube__dobj(spec, "template"));
    json_t *us = zk_kube__dobj(spec, "updateStrategy");
    zk_kube__dstr(us, "type", "RollingUpdate");
    if (strcmp(str_at(us, "type"), "RollingUpdate") == 0) {
        json_t *ru = zk_kube__dobj(us, "rollingUpdate");
        zk_kube__dint(ru, "maxUnavailable", 1);
        zk_kube__dint(ru, "maxSurge", 0);
    }
    zk_kube__dint(spec, "revisionHistoryLimit", 10);
}

void zk_kube_default_stateful_set(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    zk_kube_default_pod_template_spec(zk_kube__dobj(spec, "template"));
    zk_kube__dstr(spec, "podManagementPolicy", "OrderedReady");
    json_t *us = zk_kube__dobj(spec, "updateStrategy");
    if (us && (zk_kube__unset(us, "type") || !str_at(us, "type")[0])) {
        zk_kube__dstr(us, "type", "RollingUpdate");
        zk_kube__dempty(us, "rollingUpdate");
    }
    json_t *ru = us ? json_object_get(us, "rollingUpdate") : NULL;
    if (strcmp(str_at(us, "type"), "RollingUpdate") == 0 && json_is_object(ru))
        zk_kube__dint(ru, "partition", 0);
    zk_kube__dint(spec, "replicas", 1);
    zk_kube__dint(spec, "revisionHistoryLimit", 10);
    json_t *pol = zk_kube__dobj(spec, "persistentVolumeClaimRetentionPolicy");
    zk_kube__dstr(pol, "whenDeleted", "Retain");
    zk_kube__dstr(pol, "whenScaled", "Retain");
    json_t *vcts = zk_kube__darr(spec, "volumeClaimTemplates");
    for (size_t i = 0; i < json_array_size(vcts); i++) {
        json_t *vct = json_array_get(vcts, i);
        if (json_is_object(vct))
            zk_kube__dstr(zk_kube__dobj(vct, "spec"), "volumeMode", "Filesystem");
    }
}
