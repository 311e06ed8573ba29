/* What the server itself fills in for some kinds on create and update:
 * namespace and pod phases, a pod's QoS class, Service cluster IPs and node
 * ports, CRD status and registration. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/review.h"
#include "apiserver/internal.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"

#define ZK_SERVICE_NET 0x0a2b0000u   /* 10.43.0.0/16 */
#define ZK_SERVICE_MASK 0xffff0000u
#define ZK_NODEPORT_MIN 30000
#define ZK_NODEPORT_MAX 32767

static bool zk__is(const zk_kind *k, const char *group, const char *resource)
{
    return k && !strcmp(k->group, group) && !strcmp(k->resource, resource);
}

/* ---- pods ---- */

static const char *zk__qos(json_t *pod)
{
    bool any = false, guaranteed = true;
    json_t *cs = zk_json_path(pod, "spec", "containers", NULL);
    size_t i;
    json_t *ct;
    json_array_foreach(cs, i, ct) {
        json_t *req = zk_json_path(ct, "resources", "requests", NULL);
        json_t *lim = zk_json_path(ct, "resources", "limits", NULL);
        if (json_object_size(req) || json_object_size(lim))
            any = true;
        static const char *const res[] = {"cpu", "memory"};
        for (size_t r = 0; r < 2; r++) {
            json_t *l = json_object_get(lim, res[r]);
            json_t *q = json_object_get(req, res[r]);
            if (!l)
                guaranteed = false;
            else if (q && !json_equal(q, l))
                guaranteed = false;
        }
    }
    if (!any)
        return "BestEffort";
    return guaranteed ? "Guaranteed" : "Burstable";
}

/* ---- services ---- */

static bool zk__ip_used(zk_storage *st, const char *ip)
{
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (!e->latest)
            continue;
        json_t *doc = zk_obj_parse(e->latest);
        const char *have = zk_json_path_str(doc, "spec", "clusterIP", NULL);
        bool used = have && !strcmp(have, ip);
        json_decref(doc);
        if (used)
            return true;
    }
    return false;
}

static bool zk__nodeport_used(zk_storage *st, json_int_t port)
{
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (!e->latest)
            continue;
        json_t *doc = zk_obj_parse(e->latest);
        json_t *ports = zk_json_path(doc, "spec", "ports", NULL);
        size_t i;
        json_t *p;
        bool used = false;
        json_array_foreach(ports, i, p) if (zk_json_int(p, "nodePort", 0) == port) used = true;
        json_decref(doc);
        if (used)
            return true;
    }
    return false;
}

static bool zk__service_allocate(zk_call *c, json_t *svc, const json_t *old)
{
    json_t *spec = zk_json_path_obj(svc, "spec", NULL);
    const char *type = zk_json_str(spec, "type");
    zk_storage *st = zk_apis_storage(c->srv, c->kind);
    json_t *ospec = old ? json_object_get(old, "spec") : NULL;
    if (type && !strcmp(type, "ExternalName")) {
        json_object_del(spec, "clusterIP");
        json_object_del(spec, "clusterIPs");
        return true;
    }
    const char *ip = zk_json_str(spec, "clusterIP");
    if ((!ip || !*ip) && ospec && zk_json_str(ospec, "clusterIP")) {
        /* an update that leaves the allocated address out keeps it */
        json_object_set(spec, "clusterIP", json_object_get(ospec, "clusterIP"));
        json_t *ips = json_object_get(ospec, "clusterIPs");
        if (ips) /* a copy: old is shared and not to be changed */
            json_object_set_new(spec, "clusterIPs", json_deep_copy(ips));
        ip = zk_json_str(spec, "clusterIP");
    }
    if (!ip || !*ip) {
        char buf[32] = "";
        /* .1 belongs to the kubernetes service; start from a hash of the name */
        const char *name = zk_json_path_str(svc, "metadata", "name", NULL);
        uint32_t h = 2166136261u;
        for (const char *p = name ? name : ""; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        bool found = false;
        for (uint32_t i = 0; i < 65534 && !found; i++) {
            uint32_t host = 2 + (h + i) % 65532;
            uint32_t addr = ZK_SERVICE_NET | host;
            snprintf(buf, sizeof(buf), "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255,
                     (addr >> 8) & 255, addr & 255);
            if (!zk__ip_used(st, buf))
                found = true;
        }
        if (!found) {
            zk_apis_status(c->req, 500, "InternalError",
                           "Internal error occurred: failed to allocate a serviceIP: range is full",
                           NULL);
            return false;
        }
        zk_json_set_str(spec, "clusterIP", buf);
        ip = zk_json_str(spec, "clusterIP");
    } else if (strcmp(ip, "None")) {
        struct in_addr a;
        if (inet_pton(AF_INET, ip, &a) == 1) {
            uint32_t v = ntohl(a.s_addr);
            if ((v & ZK_SERVICE_MASK) != ZK_SERVICE_NET) {
                zk_apis_status_fmt(c->req, 422, "Invalid",
                                   "Service \"%s\" is invalid: spec.clusterIPs: Invalid value: "
                                   "[]string{\"%s\"}: failed to allocate IP %s: provided IP is not "
                                   "in the valid range. The range of valid IPs is 10.43.0.0/16",
                                   zk_json_path_str(svc, "metadata", "name", NULL), ip, ip);
                return false;
            }
            if (!old && zk__ip_used(st, ip)) {
                zk_apis_status_fmt(c->req, 422, "Invalid",
                                   "Service \"%s\" is invalid: spec.clusterIPs: Invalid value: "
                                   "[]string{\"%s\"}: failed to allocate IP %s: provided IP is "
                                   "already allocated",
                                   zk_json_path_str(svc, "metadata", "name", NULL), ip, ip);
                return false;
            }
        }
    }
    json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
    if (!json_object_get(spec, "ipFamilies") && strcmp(ip, "None"))
        json_object_set_new(spec, "ipFamilies", json_pack("[s]", "IPv4"));
    if (type && (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"))) {
        json_t *ports = json_object_get(spec, "ports");
        json_t *oports = ospec ? json_object_get(ospec, "ports") : NULL;
        size_t i;
        json_t *p;
        json_array_foreach(ports, i, p) {
            if (zk_json_int(p, "nodePort", 0))
                continue;
            /* keep a port's node port across updates */
            size_t j;
            json_t *op;
            json_array_foreach(oports, j, op) {
                if (zk_json_int(op, "port", -1) == zk_json_int(p, "port", -2) &&
                    zk_json_int(op, "nodePort", 0))
                    json_object_set(p, "nodePort", json_object_get(op, "nodePort"));
            }
            if (zk_json_int(p, "nodePort", 0))
                continue;
            for (json_int_t np = ZK_NODEPORT_MIN; np <= ZK_NODEPORT_MAX; np++) {
                if (!zk__nodeport_used(st, np)) {
                    bool dup = false;
                    size_t k;
                    json_t *q;
                    json_array_foreach(ports, k, q) if (zk_json_int(q, "nodePort", 0) == np) dup = true;
                    if (!dup) {
                        json_object_set_new(p, "nodePort", json_integer(np));
                        break;
                    }
                }
            }
        }
    }
    if (!json_object_get(svc, "status"))
        json_object_set_new(svc, "status", json_pack("{s:{}}", "loadBalancer"));
    return true;
}

/* Who asked for a BatchRestart (admission/review.h), from the request's
 * user: its controller restarts only what that user may patch. */
static void zk__record_requester(zk_call *c, json_t *obj, const json_t *old)
{
    json_t *groups = json_array();
    for (size_t i = 0; i < c->user.ngroups; i++)
        json_array_append_new(groups, json_string(c->user.groups[i]));
    json_t *user = json_pack("{s:s,s:o}", "username", c->user.name ? c->user.name : "", "groups",
                             groups);
    zk_adm_record_requester(obj, old, user);
    json_decref(user);
}

bool zk_apis_hook_create(zk_call *c, json_t *obj)
{
    const zk_kind *k = c->kind;
    if (zk__is(k, "", "namespaces")) {
        json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
    } else if (zk__is(k, "", "pods")) {
        json_t *status = json_object_get(obj, "status");
        if (!json_is_object(status)) {
            status = json_object();
            json_object_set_new(obj, "status", status);
        }
        if (!zk_json_str(status, "phase"))
            zk_json_set_str(status, "phase", "Pending");
        zk_json_set_str(status, "qosClass", zk__qos(obj));
    } else if (zk__is(k, "", "services")) {
        return zk__service_allocate(c, obj, NULL);
    } else if (zk__is(k, "zke.io", "batchrestarts")) {
        zk__record_requester(c, obj, NULL);
    } else if (zk__is(k, "apiextensions.k8s.io", "customresourcedefinitions")) {
        json_t *status = zk_apis_crd_status(obj);
        if (status)
            json_object_set_new(obj, "status", status);
    }
    return true;
}

json_t *zk_apis_crd_status(const json_t *crd)
{
    json_t *names = zk_json_path(crd, "spec", "names", NULL);
    json_t *stored = json_array();
    json_t *versions = zk_json_path(crd, "spec", "versions", NULL);
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) {
        if (zk_json_bool(v, "storage", false) && zk_json_str(v, "name"))
            json_array_append_new(stored, json_string(zk_json_str(v, "name")));
    }
    char now[32];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    return json_pack("{s:O,s:[{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s}],s:o}", "acceptedNames",
                     names ? names : json_object(), "conditions", "type", "NamesAccepted", "status",
                     "True", "lastTransitionTime", now, "reason", "NoConflicts", "message",
                     "no conflicts found", "type", "Established", "status", "True",
                     "lastTransitionTime", now, "reason", "InitialNamesAccepted", "message",
                     "the initial names have been accepted", "storedVersions", stored);
}

bool zk_apis_hook_update(zk_call *c, json_t *obj, const json_t *old)
{
    if (zk__is(c->kind, "zke.io", "batchrestarts"))
        zk__record_requester(c, obj, old);
    if (zk__is(c->kind, "", "services"))
        return zk__service_allocate(c, obj, old);
    if (zk__is(c->kind, "", "pods")) {
        json_t *st = json_object_get(obj, "status");
        if (json_is_object(st) && !zk_json_str(st, "qosClass")) {
            const char *q = zk_json_path_str(old, "status", "qosClass", NULL);
            if (q)
                zk_json_set_str(st, "qosClass", q);
        }
    }
    return true;
}

void zk_apis_hook_accepted(zk_apiserver *srv, const zk_kind *k, const json_t *obj, bool deleted)
{
    if (zk__is(k, "apiextensions.k8s.io", "customresourcedefinitions")) {
        if (deleted)
            zk_apis_crd_unregister(srv, obj);
        else
            zk_apis_crd_register(srv, obj);
    }
}
