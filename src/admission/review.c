/* AdmissionReview answered by zke's policies (see review.h). */
#include "admission/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/antiaffinity.h"
#include "admission/overcommit.h"
#include "admission/strategies.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/str.h"
#include "kube/patch.h"

typedef struct objs {
    json_t **v;
    size_t n;
} objs;

static void objs_free(objs *o)
{
    for (size_t i = 0; i < o->n; i++)
        json_decref(o->v[i]);
    free(o->v);
    o->v = NULL;
    o->n = 0;
}

static void list(const zk_adm_sources *src, const char *resource, const char *ns, objs *out)
{
    out->v = NULL;
    out->n = src && src->list ? src->list(src->ctx, resource, ns, &out->v) : 0;
}

static json_t *get_ns(const zk_adm_sources *src, const char *name)
{
    return src && src->get_namespace && name ? src->get_namespace(src->ctx, name) : NULL;
}

static bool is(const json_t *req, const char *group, const char *resource)
{
    const char *g = zk_json_path_str(req, "resource", "group", NULL);
    const char *r = zk_json_path_str(req, "resource", "resource", NULL);
    const char *sub = zk_json_str(req, "subResource");
    return g && r && !strcmp(g, group) && !strcmp(r, resource) && (!sub || !*sub);
}

static bool workload(const char *group, const char *resource)
{
    if (!strcmp(group, "apps"))
        return !strcmp(resource, "deployments") || !strcmp(resource, "replicasets") ||
               !strcmp(resource, "statefulsets") || !strcmp(resource, "daemonsets");
    if (!strcmp(group, "batch"))
        return !strcmp(resource, "jobs") || !strcmp(resource, "cronjobs");
    return false;
}

char *zk_adm_policies_pod(json_t *pod, const char *ns, const zk_adm_sources *src)
{
    char *why = NULL;
    json_t *nso = get_ns(src, ns);
    objs pols, ranges;
    list(src, "overcommitpolicies", NULL, &pols);
    if (pols.n) {
        list(src, "limitranges", ns, &ranges);
        zk_adm_overcommit(pod, nso, pols.v, pols.n, (const json_t *const *)ranges.v, ranges.n,
                          &why);
        objs_free(&ranges);
    }
    objs_free(&pols);
    if (!why && zk_adm_strategies_wanted(zk_json_path(pod, "metadata", "annotations", NULL))) {
        objs groups, nodes;
        list(src, "hostgroups", NULL, &groups);
        list(src, "nodes", NULL, &nodes);
        zk_adm_strategies_pod(pod, groups.v, groups.n, nodes.v, nodes.n, &why);
        objs_free(&groups);
        objs_free(&nodes);
    }
    if (!why) {
        json_t *sys = get_ns(src, "kube-system");
        zk_adm_soft_anti_affinity(pod, nso, sys);
        json_decref(sys);
    }
    json_decref(nso);
    return why;
}

char *zk_adm_policies_check(const char *group, const char *resource, const json_t *obj,
                            const json_t *old, const zk_adm_sources *src)
{
    if (!strcmp(group, "zke.io") && !strcmp(resource, "overcommitpolicies"))
        return zk_adm_overcommit_check_policy(obj);
    if (!workload(group, resource))
        return NULL;
    const json_t *ann = zk_adm_template_annotations(resource, obj);
    const json_t *oann = json_is_object(old) ? zk_adm_template_annotations(resource, old) : NULL;
    if (oann && ann && json_equal(ann, oann))
        return NULL;   /* unchanged since it was let in */
    char *why = zk_adm_overcommit_check_annotations(ann);
    if (why || !zk_adm_strategies_wanted(ann))
        return why;
    objs groups, nodes;
    list(src, "hostgroups", NULL, &groups);
    list(src, "nodes", NULL, &nodes);
    why = zk_adm_strategies_check(ann, groups.v, groups.n, nodes.v, nodes.n);
    objs_free(&groups);
    objs_free(&nodes);
    return why;
}

/* The answer's JSON Patch from what came to what goes (none when equal). */
static void set_patch(json_t *resp, const json_t *from, const json_t *to)
{
    json_t *ops = zk_kube_patch_diff(from, to);
    if (json_array_size(ops)) {
        char *text = json_dumps(ops, JSON_COMPACT);
        char *b64 = zk_base64_encode(text, strlen(text));
        json_object_set_new(resp, "patchType", json_string("JSONPatch"));
        json_object_set_new(resp, "patch", json_string(b64));
        free(b64);
        free(text);
    }
    json_decref(ops);
}

void zk_adm_record_requester(json_t *obj, const json_t *old, const json_t *user)
{
    json_t *meta = json_object_get(obj, "metadata");
    if (!json_is_object(meta))
        return;
    json_t *ann = json_object_get(meta, "annotations");
    if (!json_is_object(ann)) {
        ann = json_object();
        json_object_set_new(meta, "annotations", ann);
    }
    if (old) {
        const char *was = zk_json_path_str(old, "metadata", "annotations", ZK_ADM_REQUESTED_BY,
                                           NULL);
        if (was)
            zk_json_set_str(ann, ZK_ADM_REQUESTED_BY, was);
        else
            json_object_del(ann, ZK_ADM_REQUESTED_BY);
        return;
    }
    json_t *groups = json_object_get(user, "groups");
    json_t *who = json_pack("{s:s,s:O}", "username", zk_json_str(user, "username") ?: "",
                            "groups", json_is_array(groups) ? groups : json_array());
    char *text = json_dumps(who, JSON_COMPACT);
    zk_json_set_str(ann, ZK_ADM_REQUESTED_BY, text);
    free(text);
    json_decref(who);
}

json_t *zk_adm_review(const json_t *review, bool mutate, const zk_adm_sources *src, char **why)
{
    *why = NULL;
    const char *api = zk_json_str(review, "apiVersion"), *kind = zk_json_str(review, "kind");
    const json_t *req = json_object_get(review, "request");
    const char *uid = zk_json_str(req, "uid");
    if (!api || (strcmp(api, "admission.k8s.io/v1") && strcmp(api, "admission.k8s.io/v1beta1")) ||
        !kind || strcmp(kind, "AdmissionReview")) {
        *why = zk_xstrdup("expected an AdmissionReview of admission.k8s.io/v1");
        return NULL;
    }
    if (!json_is_object(req) || !uid) {
        *why = zk_xstrdup("the AdmissionReview has no request with a uid");
        return NULL;
    }
    const char *op = zk_json_str(req, "operation");
    const json_t *obj = json_object_get(req, "object");
    json_t *resp = json_pack("{s:s,s:b}", "uid", uid, "allowed", 1);
    char *refused = NULL;
    if (mutate && op && !strcmp(op, "CREATE") && is(req, "", "pods") && json_is_object(obj)) {
        json_t *pod = json_deep_copy(obj);
        const char *ns = zk_json_str(req, "namespace");
        if (!ns)
            ns = zk_json_path_str(pod, "metadata", "namespace", NULL);
        refused = zk_adm_policies_pod(pod, ns ? ns : "", src);
        if (!refused) {
            set_patch(resp, obj, pod);
        }
        json_decref(pod);
    } else if (mutate && op && (!strcmp(op, "CREATE") || !strcmp(op, "UPDATE")) &&
               is(req, "zke.io", "batchrestarts") && json_is_object(obj)) {
        json_t *copy = json_deep_copy(obj);
        json_t *old = json_object_get(req, "oldObject");
        zk_adm_record_requester(copy, !strcmp(op, "UPDATE") && json_is_object(old) ? old : NULL,
                                json_object_get(req, "userInfo"));
        set_patch(resp, obj, copy);
        json_decref(copy);
    } else if (!mutate && op && (!strcmp(op, "CREATE") || !strcmp(op, "UPDATE")) &&
               json_is_object(obj)) {
        const char *g = zk_json_path_str(req, "resource", "group", NULL);
        const char *r = zk_json_path_str(req, "resource", "resource", NULL);
        const char *sub = zk_json_str(req, "subResource");
        if (g && r && (!sub || !*sub))
            refused = zk_adm_policies_check(g, r, obj, json_object_get(req, "oldObject"), src);
    }
    if (refused) {
        json_object_set_new(resp, "allowed", json_false());
        json_object_set_new(resp, "status", json_pack("{s:i,s:s,s:s}", "code", 403, "reason",
                                                      "Forbidden", "message", refused));
        free(refused);
    }
    return json_pack("{s:s,s:s,s:o}", "apiVersion", api, "kind", "AdmissionReview", "response",
                     resp);
}
