/* PodSpec and Pod defaults (Kubernetes' core/v1 SetDefaults_PodSpec,
 * SetDefaults_Container, SetDefaults_Probe, SetDefaults_Volume, ...) and the
 * small JSON helpers every defaults_*.c file shares. */
#include <ctype.h>
#include <string.h>

#include "kube/defaults.h"
#include "kube/defaults_int.h"

/* ---- helpers ------------------------------------------------------------ */

bool zk_kube__unset(const json_t *o, const char *key)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return !v || json_is_null(v);
}

json_t *zk_kube__dobj(json_t *o, const char *key)
{
    if (!json_is_object(o))
        return NULL;
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        v = json_object();
        json_object_set_new(o, key, v);
    }
    return json_is_object(v) ? v : NULL;
}

json_t *zk_kube__darr(json_t *o, const char *key)
{
    json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_array(v) ? v : NULL;
}

void zk_kube__dstr(json_t *o, const char *key, const char *val)
{
    if (!json_is_object(o))
        return;
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        json_object_set_new(o, key, json_string(val));
}

void zk_kube__dint(json_t *o, const char *key, json_int_t val)
{
    if (json_is_object(o) && zk_kube__unset(o, key))
        json_object_set_new(o, key, json_integer(val));
}

void zk_kube__dint0(json_t *o, const char *key, json_int_t val)
{
    if (!json_is_object(o))
        return;
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v) || (json_is_integer(v) && json_integer_value(v) == 0))
        json_object_set_new(o, key, json_integer(val));
}

void zk_kube__dbool(json_t *o, const char *key, bool val)
{
    if (json_is_object(o) && zk_kube__unset(o, key))
        json_object_set_new(o, key, json_boolean(val));
}

void zk_kube__dempty(json_t *o, const char *key)
{
    if (json_is_object(o) && zk_kube__unset(o, key))
        json_object_set_new(o, key, json_object());
}

/* ---- containers --------------------------------------------------------- */

/* Always for ":latest" or no tag, IfNotPresent otherwise (digest-only images
 * and references Kubernetes cannot parse included), as SetDefaults_Container. */
static const char *pull_policy_for(const char *image)
{
    if (!image || !*image)
        return "IfNotPresent";
    const char *at = strchr(image, '@');
    size_t len = at ? (size_t)(at - image) : strlen(image);
    size_t name_start = 0, first_slash = len;
    for (size_t i = 0; i < len; i++) {
        if (image[i] == '/') {
            name_start = i + 1;
            if (first_slash == len)
                first_slash = i;
        }
    }
    /* The first component is a registry host when it looks like one. */
    size_t path_start = 0;
    if (first_slash < len) {
        bool host = strncmp(image, "localhost", first_slash) == 0 && first_slash == 9;
        for (size_t i = 0; i < first_slash && !host; i++)
            host = image[i] == '.' || image[i] == ':';
        if (host)
            path_start = first_slash + 1;
    }
    const char *colon = NULL;
    for (size_t i = name_start; i < len; i++)
        if (image[i] == ':')
            colon = image + i;
    size_t repo_end = colon ? (size_t)(colon - image) : len;
    for (size_t i = path_start; i < repo_end; i++)
        if (isupper((unsigned char)image[i]))
            return "IfNotPresent"; /* "repository name must be lowercase" */
    if (colon) {
        size_t tlen = len - (size_t)(colon + 1 - image);
        return (tlen == 6 && strncmp(colon + 1, "latest", 6) == 0) ? "Always" : "IfNotPresent";
    }
    return at ? "IfNotPresent" : "Always";
}

static void default_field_ref(json_t *holder)
{
    json_t *fr = json_object_get(holder, "fieldRef");
    if (json_is_object(fr))
        zk_kube__dstr(fr, "apiVersion", "v1");
}

static void default_http_get(json_t *handler)
{
    json_t *hg = json_object_get(handler, "httpGet");
    if (!json_is_object(hg))
        return;
    zk_kube__dstr(hg, "path", "/");
    zk_kube__dstr(hg, "scheme", "HTTP");
}

static void default_probe(json_t *c, const char *key)
{
    json_t *p = json_object_get(c, key);
    if (!json_is_object(p))
        return;
    zk_kube__dint0(p, "timeoutSeconds", 1);
    zk_kube__dint0(p, "periodSeconds", 10);
    zk_kube__dint0(p, "successThreshold", 1);
    zk_kube__dint0(p, "failureThreshold", 3);
    default_http_get(p);
}

static void default_container(json_t *c)
{
    if (!json_is_object(c))
        return;
    json_t *pp = json_object_get(c, "imagePullPolicy");
    if (!pp || json_is_null(pp) || (json_is_string(pp) && json_string_length(pp) == 0))
        json_object_set_new(c, "imagePullPolicy",
                            json_string(pull_policy_for(json_string_value(json_object_get(c, "image")))));
    zk_kube__dstr(c, "terminationMessagePath", "/dev/termination-log");
    zk_kube__dstr(c, "terminationMessagePolicy", "File");
    zk_kube__dempty(c, "resources");

    json_t *ports = zk_kube__darr(c, "ports");
    for (size_t i = 0; i < json_array_size(ports); i++)
        zk_kube__dstr(json_array_get(ports, i), "protocol", "TCP");
    json_t *env = zk_kube__darr(c, "env");
    for (size_t i = 0; i < json_array_size(env); i++) {
        json_t *vf = json_object_get(json_array_get(env, i), "valueFrom");
        if (json_is_object(vf))
            default_field_ref(vf);
    }
    default_probe(c, "livenessProbe");
    default_probe(c, "readinessProbe");
    default_probe(c, "startupProbe");
    json_t *lc = json_object_get(c, "lifecycle");
    if (json_is_object(lc)) {
        default_http_get(json_object_get(lc, "postStart"));
        default_http_get(json_object_get(lc, "preStop"));
    }
}

/* ---- volumes ------------------------------------------------------------ */

#define DEFAULT_MODE 0644 /* 420 */

static const char *const volume_sources[] = {
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret",
    "nfs", "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs",
    "quobyte", "downwardAPI", "fc", "flexVolume", "configMap", "azureFile", "vsphereVolume",
    "photonPersistentDisk", "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO",
    "csi", "ephemeral", "image", NULL,
};

static void default_downward_items(json_t *dapi)
{
    json_t *items = zk_kube__darr(dapi, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        default_field_ref(json_array_get(items, i));
}

static void default_volume(json_t *v)
{
    if (!json_is_object(v))
        return;
    bool any = false;
    for (size_t i = 0; volume_sources[i] && !any; i++)
        any = !zk_kube__unset(v, volume_sources[i]);
    if (!any)
        json_object_set_new(v, "emptyDir", json_object());
    json_t *s;
    if (json_is_object(s = json_object_get(v, "configMap")))
        zk_kube__dint(s, "defaultMode", DEFAULT_MODE);
    if (json_is_object(s = json_object_get(v, "secret")))
        zk_kube__dint(s, "defaultMode", DEFAULT_MODE);
    if (json_is_object(s = json_object_get(v, "downwardAPI"))) {
        zk_kube__dint(s, "defaultMode", DEFAULT_MODE);
        default_downward_items(s);
    }
    if (json_is_object(s = json_object_get(v, "hostPath")) && zk_kube__unset(s, "type"))
        json_object_set_new(s, "type", json_string("")); /* HostPathUnset */
    if (json_is_object(s = json_object_get(v, "projected"))) {
        zk_kube__dint(s, "defaultMode", DEFAULT_MODE);
        json_t *srcs = zk_kube__darr(s, "sources");
        for (size_t i = 0; i < json_array_size(srcs); i++) {
            json_t *src = json_array_get(srcs, i);
            json_t *sat = json_object_get(src, "serviceAccountToken");
            if (json_is_object(sat))
                zk_kube__dint(sat, "expirationSeconds", 3600);
            json_t *da = json_object_get(src, "downwardAPI");
            if (json_is_object(da))
                default_downward_items(da);
        }
    }
    if (json_is_object(s = json_object_get(v, "ephemeral"))) {
        json_t *tmpl = json_object_get(s, "volumeClaimTemplate");
        json_t *spec = json_is_object(tmpl) ? zk_kube__dobj(tmpl, "spec") : NULL;
        if (spec)
            zk_kube__dstr(spec, "volumeMode", "Filesystem");
    }
}

/* ---- pod spec ----------------------------------------------------------- */

void zk_kube_default_pod_spec(json_t *spec)
{
    if (!json_is_object(spec))
        return;
    zk_kube__dstr(spec, "dnsPolicy", "ClusterFirst");
    zk_kube__dstr(spec, "restartPolicy", "Always");
    zk_kube__dint(spec, "terminationGracePeriodSeconds", 30);
    zk_kube__dempty(spec, "securityContext");
    zk_kube__dstr(spec, "schedulerName", "default-scheduler");
    static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers",
                                        NULL};
    for (size_t l = 0; lists[l]; l++) {
        json_t *cs = zk_kube__darr(spec, lists[l]);
        for (size_t i = 0; i < json_array_size(cs); i++)
            default_container(json_array_get(cs, i));
    }
    json_t *vols = zk_kube__darr(spec, "volumes");
    for (size_t i = 0; i < json_array_size(vols); i++)
        default_volume(json_array_get(vols, i));
}

void zk_kube_default_pod_template_spec(json_t *tmpl)
{
    zk_kube_default_pod_spec(zk_kube__dobj(tmpl, "spec"));
}

/* Requests default to limits for each resource with a limit but no request. */
static void requests_from_limits(json_t *c)
{
    json_t *res = json_object_get(c, "resources");
    json_t *limits = json_is_object(res) ? json_object_get(res, "limits") : NULL;
    if (!json_is_object(limits) || json_object_size(limits) == 0)
        return;
    json_t *requests = zk_kube__dobj(res, "requests");
    if (!requests)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(limits, k, v) {
        if (!json_object_get(requests, k))
            json_object_set_new(requests, k, json_deep_copy(v));
    }
}

void zk_kube_default_pod(json_t *obj)
{
    json_t *spec = zk_kube__dobj(obj, "spec");
    if (!spec)
        return;
    zk_kube_default_pod_spec(spec);
    zk_kube__dbool(spec, "enableServiceLinks", true);
    static const char *const lists[] = {"containers", "initContainers", NULL};
    bool host_net = json_is_true(json_object_get(spec, "hostNetwork"));
    for (size_t l = 0; lists[l]; l++) {
        json_t *cs = zk_kube__darr(spec, lists[l]);
        for (size_t i = 0; i < json_array_size(cs); i++) {
            json_t *c = json_array_get(cs, i);
            requests_from_limits(c);
            if (!host_net)
                continue;
            /* With the host's network, a port is its host port. */
            json_t *ports = zk_kube__darr(c, "ports");
            for (size_t j = 0; j < json_array_size(ports); j++) {
                json_t *p = json_array_get(ports, j);
                json_t *cp = json_object_get(p, "containerPort");
                json_t *hp = json_object_get(p, "hostPort");
                if (json_is_integer(cp) &&
                    (!hp || json_is_null(hp) || (json_is_integer(hp) && json_integer_value(hp) == 0)))
                    json_object_set_new(p, "hostPort", json_integer(json_integer_value(cp)));
            }
        }
    }
}

void zk_kube_default_pod_template(json_t *obj)
{
    zk_kube_default_pod_template_spec(zk_kube__dobj(obj, "template"));
}
