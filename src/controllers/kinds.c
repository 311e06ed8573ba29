/* zke controllers: the resource behind an apiVersion and kind, for the
 * controllers that scale "anything with a scale subresource" (HPA,
 * ScheduledScaling, BacklogScaler). Built-in workloads are known; other
 * kinds are learnt from the API's discovery document of their
 * group/version and kept for a minute, so a CRD installed later is found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/internal.h"

#define DISCOVERY_TTL_MS 60000

struct zk_ctl_kinds {
    json_t *map;    /* "group/version/Kind" -> {"resource","scale","at"}; "gv/" -> {"at"} */
};

static const struct {
    const char *gv, *kind, *resource;
} builtin[] = {
    {"apps/v1", "Deployment", "deployments"},
    {"apps/v1", "ReplicaSet", "replicasets"},
    {"apps/v1", "StatefulSet", "statefulsets"},
    {"v1", "ReplicationController", "replicationcontrollers"},
};

zk_ctl_kinds *zk_ctl_kinds_new(void)
{
    zk_ctl_kinds *k = zk_xcalloc(1, sizeof(*k));
    k->map = json_object();
    return k;
}

void zk_ctl_kinds_free(zk_ctl_kinds *k)
{
    if (!k)
        return;
    json_decref(k->map);
    free(k);
}

static bool old(const json_t *e)
{
    return zk_mono_ms() - (uint64_t)zk_json_int(e, "at", 0) > DISCOVERY_TTL_MS;
}

const char *zk_ctl_kinds_lookup(zk_ctl_kinds *k, const char *gv, const char *kind, bool *scalable,
                                bool *stale)
{
    *stale = false;
    *scalable = false;
    for (size_t i = 0; i < ZK_ARRAY_LEN(builtin); i++)
        if (!strcmp(builtin[i].gv, gv) && !strcmp(builtin[i].kind, kind)) {
            *scalable = true;
            return builtin[i].resource;
        }
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", gv, kind);
    json_t *e = json_object_get(k->map, key);
    if (!e) {
        snprintf(key, sizeof(key), "%s/", gv);
        json_t *mark = json_object_get(k->map, key);
        *stale = !mark || old(mark);
        return NULL;
    }
    *stale = old(e);
    *scalable = zk_json_bool(e, "scale", false);
    return zk_json_str(e, "resource");
}

void zk_ctl_kinds_learn(zk_ctl_kinds *k, const char *gv, const json_t *discovery)
{
    json_int_t now = (json_int_t)zk_mono_ms();
    const json_t *list = json_object_get(discovery, "resources");
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *name = zk_json_str(e, "name"), *kind = zk_json_str(e, "kind");
        if (!name || !kind || strchr(name, '/'))
            continue;
        char sub[300];
        snprintf(sub, sizeof(sub), "%s/scale", name);
        bool scalable = false;
        size_t j;
        json_t *o;
        json_array_foreach(list, j, o) if (!strcmp(zk_json_str(o, "name") ?: "", sub))
            scalable = true;
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", gv, kind);
        json_object_set_new(k->map, key, json_pack("{s:s,s:b,s:I}", "resource", name, "scale",
                                                   scalable, "at", now));
    }
    char key[600];
    snprintf(key, sizeof(key), "%s/", gv);
    json_object_set_new(k->map, key, json_pack("{s:I}", "at", now));
}

char *zk_ctl_kinds_discovery_path(const char *gv)
{
    return zk_xasprintf("%s%s", strchr(gv, '/') ? "/apis/" : "/api/", gv);
}

char *zk_ctl_kinds_path(const char *gv, const char *ns, const char *resource, const char *name,
                        const char *sub)
{
    return zk_xasprintf("%s%s/namespaces/%s/%s/%s%s%s", strchr(gv, '/') ? "/apis/" : "/api/", gv,
                        ns, resource, name, sub ? "/" : "", sub ? sub : "");
}
