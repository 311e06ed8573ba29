/* zke sim: Node and Lease objects (see node.h). */
#include "sim/node.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "base/yaml.h"
#include "kube/patch.h"
#include "kube/quantity.h"

void zk_sim_node_ip(uint32_t index, char *out, size_t n)
{
    uint32_t a = (10u << 24 | 200u << 16) + index + 1;
    snprintf(out, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

void zk_sim_node_cidr(uint32_t index, char *out, size_t n)
{
    uint32_t a = (10u << 24 | 128u << 16) + (index << 8);
    snprintf(out, n, "%u.%u.%u.0/24", a >> 24, (a >> 16) & 255, (a >> 8) & 255);
}

/* ---- templates ---- */

static int check_string_map(const json_t *m, const char *field, zk_err *err)
{
    if (!m)
        return 0;
    if (!json_is_object(m))
        return zk_err_set(err, ZK_EINVAL, "%s must be a map of strings", field);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v) {
        /* null removes a default (merge patch semantics) */
        if (!json_is_string(v) && !json_is_null(v))
            return zk_err_set(err, ZK_EINVAL, "%s.%s must be a string", field, k);
    }
    return 0;
}

/* Quantities in a resource map; numbers become their string form. */
static int check_resources(json_t *m, const char *field, zk_err *err)
{
    if (!m)
        return 0;
    if (!json_is_object(m))
        return zk_err_set(err, ZK_EINVAL, "%s must be a map of quantities", field);
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        char text[64];
        if (json_is_null(v))
            continue;   /* removes a default resource */
        if (json_is_integer(v)) {
            snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
        } else if (json_is_real(v)) {
            snprintf(text, sizeof(text), "%.17g", json_real_value(v));
        } else if (json_is_string(v) && json_string_length(v) < sizeof(text)) {
            snprintf(text, sizeof(text), "%s", json_string_value(v));
        } else {
            return zk_err_set(err, ZK_EINVAL, "%s.%s must be a quantity such as 4 or 8Gi",
                              field, k);
        }
        zk_kube_quantity q;
        zk_err qerr = {0};
        if (zk_kube_quantity_parse(text, &q, &qerr) < 0)
            return zk_err_set(err, ZK_EINVAL, "%s.%s: \"%s\": %s", field, k, text, qerr.msg);
        if (zk_kube_quantity_sign(&q) < 0)
            return zk_err_set(err, ZK_EINVAL, "%s.%s: \"%s\" is negative", field, k, text);
        if (!json_is_string(v))
            json_object_set_new(m, k, json_string(text));
    }
    return 0;
}

static int check_object(const json_t *v, const char *field, zk_err *err)
{
    if (v && !json_is_object(v))
        return zk_err_set(err, ZK_EINVAL, "%s must be a map", field);
    return 0;
}

int zk_sim_node_template_parse(const char *text, size_t len, json_t **out, zk_err *err)
{
    *out = NULL;
    json_t *doc = NULL;
    if (zk_yaml_decode_max(text, len, ZK_SIM_TEMPLATE_MAX_BYTES, &doc, err) < 0)
        return zk_err_wrap(err, "node template");
    int rc = 0;
    if (!json_is_object(doc)) {
        rc = zk_err_set(err, ZK_EINVAL, "node template: not a Node object");
        goto out;
    }
    const char *kind = zk_json_str(doc, "kind");
    if (json_object_get(doc, "kind") && (!kind || strcmp(kind, "Node"))) {
        rc = zk_err_set(err, ZK_EINVAL, "node template: kind is \"%s\", not Node",
                        kind ? kind : "?");
        goto out;
    }
    json_t *meta = json_object_get(doc, "metadata");
    json_t *spec = json_object_get(doc, "spec");
    json_t *status = json_object_get(doc, "status");
    if ((rc = check_object(meta, "metadata", err)) < 0 ||
        (rc = check_object(spec, "spec", err)) < 0 ||
        (rc = check_object(status, "status", err)) < 0 ||
        (rc = check_string_map(json_object_get(meta, "labels"), "metadata.labels", err)) < 0 ||
        (rc = check_string_map(json_object_get(meta, "annotations"), "metadata.annotations",
                               err)) < 0 ||
        (rc = check_string_map(json_object_get(status, "nodeInfo"), "status.nodeInfo", err)) < 0 ||
        (rc = check_resources(json_object_get(status, "capacity"), "status.capacity", err)) < 0 ||
        (rc = check_resources(json_object_get(status, "allocatable"), "status.allocatable",
                              err)) < 0)
        goto wrap;
    json_t *gen = json_object_get(meta, "generateName");
    if (gen && (!json_is_string(gen) || json_string_length(gen) > 200)) {
        rc = zk_err_set(err, ZK_EINVAL, "metadata.generateName must be a short string");
        goto wrap;
    }
    json_t *taints = json_object_get(spec, "taints");
    if (taints) {
        size_t i;
        json_t *t;
        if (!json_is_array(taints)) {
            rc = zk_err_set(err, ZK_EINVAL, "spec.taints must be a list");
            goto wrap;
        }
        json_array_foreach(taints, i, t) {
            if (!json_is_object(t) || !zk_json_str(t, "key") || !zk_json_str(t, "effect")) {
                rc = zk_err_set(err, ZK_EINVAL, "spec.taints[%zu] needs a key and an effect", i);
                goto wrap;
            }
        }
    }
    *out = zk_steal(&doc);
    return 0;
wrap:
    rc = zk_err_wrap(err, "node template");
out:
    json_decref(doc);
    return rc;
}

int zk_sim_node_template_load(const char *path, json_t **out, zk_err *err)
{
    *out = NULL;
    zk_autofclose FILE *f = fopen(path, "rb");
    if (!f)
        return zk_err_set(err, ZK_EIO, "node template %s: %s", path, strerror(errno));
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_SIM_TEMPLATE_MAX_BYTES);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (zk_buf_append(&b, chunk, n) < 0)
            return zk_err_set(err, ZK_ETOOBIG, "node template %s: over %u bytes", path,
                              ZK_SIM_TEMPLATE_MAX_BYTES);
    if (ferror(f))
        return zk_err_set(err, ZK_EIO, "node template %s: read error", path);
    if (zk_sim_node_template_parse(b.data ? b.data : "", b.len, out, err) < 0)
        return zk_err_wrap(err, "%s", path);
    return 0;
}

const char *zk_sim_node_template_prefix(const json_t *tmpl)
{
    const char *g = zk_json_path_str(tmpl, "metadata", "generateName", NULL);
    return g && g[0] ? g : NULL;
}

/* ---- nodes ---- */

static json_t *resources(void)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "cpu", "32", "memory", "256Gi", "pods", "110",
                     "ephemeral-storage", "1Ti");
}

/* A short stable hex id of a name, for machineID and friends. */
static void name_id(const char *name, const char *salt, char *out, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = salt; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    uint64_t h2 = h * 0x9e3779b97f4a7c15ull ^ (h >> 29);
    snprintf(out, n, "%016llx%016llx", (unsigned long long)h, (unsigned long long)h2);
}

static json_t *default_node(const char *name)
{
    char machine[40], boot[40];
    name_id(name, "machine", machine, sizeof(machine));
    name_id(name, "boot", boot, sizeof(boot));
    return json_pack(
        "{s:s,s:s,s:{s:{s:s,s:s}},s:{},s:{s:o,s:o,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
        "s:{s:{s:i}}}}",
        "apiVersion", "v1", "kind", "Node",
        "metadata", "labels", "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64",
        "spec",
        "status", "capacity", resources(), "allocatable", resources(),
        "nodeInfo", "kubeletVersion", ZK_SIM_KUBELET_VERSION, "kubeProxyVersion",
        ZK_SIM_KUBELET_VERSION, "containerRuntimeVersion", "sim://" ZK_VERSION,
        "operatingSystem", "linux", "architecture", "amd64", "osImage", "zke simulated node",
        "kernelVersion", "sim", "machineID", machine, "systemUUID", machine, "bootID", boot,
        "daemonEndpoints", "kubeletEndpoint", "Port", 10250);
}

/* obj[key] as an object, replacing whatever else is there. Borrowed. */
static json_t *obj_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(obj, key, v);
    }
    return v;
}

json_t *zk_sim_node_build(const json_t *tmpl, const char *name, uint32_t index, int64_t now_s)
{
    json_t *node = default_node(name);
    if (json_is_object(tmpl)) {
        json_t *t = json_deep_copy(tmpl);
        /* what identifies an object, and what the sim owns, is not taken */
        json_t *tm = json_object_get(t, "metadata");
        if (json_is_object(tm)) {
            static const char *const drop[] = {"name", "generateName", "namespace", "uid",
                                               "resourceVersion", "creationTimestamp",
                                               "deletionTimestamp", "managedFields",
                                               "ownerReferences", "finalizers"};
            for (size_t i = 0; i < ZK_ARRAY_LEN(drop); i++)
                json_object_del(tm, drop[i]);
        }
        json_t *ts = json_object_get(t, "status");
        bool has_alloc = json_is_object(json_object_get(ts, "allocatable"));
        if (json_is_object(ts)) {
            json_object_del(ts, "conditions");
            json_object_del(ts, "addresses");
        }
        json_t *merged = NULL;
        if (zk_kube_patch_merge(node, t, &merged, NULL) == 0 && json_is_object(merged)) {
            json_decref(node);
            node = merged;
        } else {
            json_decref(merged);
        }
        /* a template that sizes the node sizes what can be scheduled too */
        json_t *cap = json_object_get(json_object_get(node, "status"), "capacity");
        if (!has_alloc && json_is_object(json_object_get(ts, "capacity")) && json_is_object(cap))
            json_object_set_new(obj_at(node, "status"), "allocatable", json_deep_copy(cap));
        json_decref(t);
    }
    json_object_set_new(node, "apiVersion", json_string("v1"));
    json_object_set_new(node, "kind", json_string("Node"));
    json_t *meta = obj_at(node, "metadata");
    zk_json_set_str(meta, "name", name);
    json_t *labels = obj_at(meta, "labels");
    zk_json_set_str(labels, "kubernetes.io/hostname", name);
    zk_json_set_str(labels, ZK_SIM_LABEL, "true");
    json_t *spec = obj_at(node, "spec");
    char cidr[32], ip[20];
    zk_sim_node_cidr(index, cidr, sizeof(cidr));
    zk_sim_node_ip(index, ip, sizeof(ip));
    zk_json_set_str(spec, "podCIDR", cidr);
    json_object_set_new(spec, "podCIDRs", json_pack("[s]", cidr));
    json_t *status = obj_at(node, "status");
    json_object_set_new(status, "addresses",
                        json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "InternalIP", "address", ip,
                                  "type", "Hostname", "address", name));
    json_object_set_new(status, "conditions", zk_sim_node_conditions(NULL, now_s));
    return node;
}

json_t *zk_sim_node_conditions(const json_t *cur, int64_t now_s)
{
    static const struct {
        const char *type, *status, *reason, *message;
    } conds[] = {
        {"MemoryPressure", "False", "KubeletHasSufficientMemory",
         "kubelet has sufficient memory available"},
        {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
        {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
        {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
    };
    char now[32];
    zk_time_rfc3339(now_s, now, sizeof(now));
    json_t *have = zk_json_path(cur, "status", "conditions", NULL);
    json_t *arr = json_array();
    for (size_t i = 0; i < ZK_ARRAY_LEN(conds); i++) {
        const char *since = now;
        size_t j;
        json_t *c;
        json_array_foreach(have, j, c) {
            const char *t = zk_json_str(c, "type"), *s = zk_json_str(c, "status");
            const char *lt = zk_json_str(c, "lastTransitionTime");
            if (t && !strcmp(t, conds[i].type) && s && !strcmp(s, conds[i].status) && lt)
                since = lt;
        }
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", conds[i].type, "status",
                           conds[i].status, "reason", conds[i].reason, "message",
                           conds[i].message, "lastHeartbeatTime", now, "lastTransitionTime",
                           since));
    }
    return arr;
}

json_t *zk_sim_node_lease(const char *name, const char *uid, int duration_s, const char *renew)
{
    json_t *lease = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i,s:s}}", "apiVersion",
                              "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
                              name, "namespace", ZK_SIM_LEASE_NS, "spec", "holderIdentity",
                              name, "leaseDurationSeconds", duration_s, "renewTime", renew);
    if (uid && uid[0])
        json_object_set_new(json_object_get(lease, "metadata"), "ownerReferences",
                            json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "v1", "kind",
                                      "Node", "name", name, "uid", uid));
    return lease;
}

uint64_t zk_sim_pace(uint64_t elapsed_ms, size_t n, uint64_t interval_ms, uint64_t *done)
{
    if (!n || !interval_ms)
        return *done;
    /* elapsed * n overflows after 35,000 years at 16,384 nodes */
    uint64_t due = elapsed_ms * n / interval_ms;
    if (due > *done + n)
        *done = due - n;
    return due < *done ? *done : due;
}
