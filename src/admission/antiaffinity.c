/* Soft anti-affinity among the replicas of one app (see antiaffinity.h). */
#include "admission/antiaffinity.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"

/* 1 on, 0 off, -1 not said (or not understood) */
static int setting(const json_t *ns)
{
    const char *v = zk_json_path_str(ns, "metadata", "labels", ZK_ADM_SAA_LABEL, NULL);
    if (!v)
        return -1;
    if (!strcmp(v, "true") || !strcmp(v, "enabled"))
        return 1;
    if (!strcmp(v, "false") || !strcmp(v, "disabled"))
        return 0;
    return -1;
}

int zk_adm_soft_anti_affinity(json_t *pod, const json_t *ns, const json_t *cluster)
{
    int on = setting(ns);
    if (on < 0)
        on = setting(cluster);
    if (on != 1)
        return 0;
    json_t *aff = zk_json_path(pod, "spec", "affinity", NULL);
    if (json_object_get(aff, "podAffinity") || json_object_get(aff, "podAntiAffinity"))
        return 0;
    json_t *labels = zk_json_path(pod, "metadata", "labels", NULL);
    const char *key = "app.kubernetes.io/name";
    const char *app = zk_json_str(labels, key);
    if (!app) {
        key = "app";
        app = zk_json_str(labels, key);
    }
    if (!app || !*app)
        return 0;
    json_t *spec = json_object_get(pod, "spec");
    if (!json_is_object(spec))
        return 0;
    if (!json_is_object(aff)) {
        aff = json_object();
        json_object_set_new(spec, "affinity", aff);
    }
    json_object_set_new(
        aff, "podAntiAffinity",
        json_pack("{s:[{s:i,s:{s:{s:{s:s}},s:s}}]}", "preferredDuringSchedulingIgnoredDuringExecution",
                  "weight", 100, "podAffinityTerm", "labelSelector", "matchLabels", key, app,
                  "topologyKey", "kubernetes.io/hostname"));
    json_t *meta = json_object_get(pod, "metadata");
    json_t *ann = json_object_get(meta, "annotations");
    if (!json_is_object(ann)) {
        ann = json_object();
        json_object_set_new(meta, "annotations", ann);
    }
    char *note = zk_xasprintf("preferred podAntiAffinity on %s=%s, kubernetes.io/hostname", key, app);
    json_object_set_new(ann, ZK_ADM_SAA_RECORD, json_string(note));
    free(note);
    return 1;
}
