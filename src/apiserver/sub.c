/* Subresources (status, scale, binding, token, eviction, log/exec until the
 * node agent serves them) and the review kinds that are answered, not
 * stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "apiserver/rbac.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/patch.h"
#include "kube/schema.h"
#include "kube/selector.h"
#include "net/jwt.h"

static void zk__method_not_allowed(zk_call *c)
{
    zk_apis_status(c->req, 405, "MethodNotAllowed",
                   "the server does not allow this method on the requested resource", NULL);
}

/* ---- scale ---- */

/* Where replicas live in this kind: spec.replicas for built-ins, the CRD's
 * specReplicasPath/statusReplicasPath/labelSelectorPath otherwise. */
static void zk__scale_paths(const zk_kind *k, const char **spec, const char **status,
                            const char **selector)
{
    *spec = ".spec.replicas";
    *status = ".status.replicas";
    *selector = NULL;
    if (k->scale_paths) {
        const char *s = zk_json_str(k->scale_paths, "specReplicasPath");
        const char *t = zk_json_str(k->scale_paths, "statusReplicasPath");
        const char *l = zk_json_str(k->scale_paths, "labelSelectorPath");
        if (s)
            *spec = s;
        if (t)
            *status = t;
        *selector = l;
    }
}

/* Follow a ".a.b.c" path; create objects on the way when create is set. */
static json_t *zk__dot_path(json_t *doc, const char *path, bool create, char *last, size_t n)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path[0] == '.' ? path + 1 : path);
    json_t *cur = doc;
    char *p = buf;
    for (;;) {
        char *dot = strchr(p, '.');
        if (!dot) {
            snprintf(last, n, "%s", p);
            return cur;
        }
        *dot = '\0';
        json_t *next = json_object_get(cur, p);
        if (!json_is_object(next)) {
            if (!create)
                return NULL;
            next = json_object();
            json_object_set_new(cur, p, next);
        }
        cur = next;
        p = dot + 1;
    }
}

static json_t *zk__scale_of(const zk_kind *k, json_t *doc)
{
    const char *sp, *tp, *lp;
    zk__scale_paths(k, &sp, &tp, &lp);
    char last[256];
    json_t *parent = zk__dot_path(doc, sp, false, last, sizeof(last));
    json_int_t spec = json_integer_value(parent ? json_object_get(parent, last) : NULL);
    parent = zk__dot_path(doc, tp, false, last, sizeof(last));
    json_int_t status = json_integer_value(parent ? json_object_get(parent, last) : NULL);
    json_t *meta = json_object_get(doc, "metadata");
    json_t *scale = json_pack("{s:s,s:s,s:{s:O,s:O,s:O,s:O,s:O},s:{s:I},s:{s:I}}", "kind", "Scale",
                              "apiVersion", "autoscaling/v1", "metadata", "name",
                              json_object_get(meta, "name"), "namespace",
                              json_object_get(meta, "namespace"), "uid",
                              json_object_get(meta, "uid"), "resourceVersion",
                              json_object_get(meta, "resourceVersion"), "creationTimestamp",
                              json_object_get(meta, "creationTimestamp"), "spec", "replicas", spec,
                              "status", "replicas", status);
    if (!scale)
        scale = json_pack("{s:s,s:s,s:{},s:{s:I},s:{s:I}}", "kind", "Scale", "apiVersion",
                          "autoscaling/v1", "metadata", "spec", "replicas", spec, "status",
                          "replicas", status);
    /* status.selector: the label selector as a string */
    const char *sel = NULL;
    char *selstr = NULL;
    if (lp) {
        parent = zk__dot_path(doc, lp, false, last, sizeof(last));
        sel = parent ? zk_json_str(parent, last) : NULL;
    } else {
        json_t *ls = zk_json_path(doc, "spec", "selector", NULL);
        if (json_is_object(ls) && !json_object_get(ls, "matchLabels") &&
            !json_object_get(ls, "matchExpressions")) {
            /* ReplicationController: a plain map */
            ls = json_pack("{s:O}", "matchLabels", ls);
        } else if (ls) {
            json_incref(ls);
        }
        if (ls) {
            zk_kube_selector *s = NULL;
            zk_err err = {0};
            if (zk_kube_selector_from_json(ls, &s, &err) == 0) {
                selstr = zk_kube_selector_string(s);
                zk_kube_selector_free(s);
            }
            json_decref(ls);
        }
        sel = selstr;
    }
    if (sel && *sel)
        zk_json_set_str(json_object_get(scale, "status"), "selector", sel);
    free(selstr);
    return scale;
}

static void zk__scale(zk_call *c, zk_storage *st, const char *ns)
{
    zk_obj *cur = zk_storage_latest(st, ns, c->ri.name);
    if (!cur) {
        zk_apis_not_found(c->req, c->kind, c->ri.name);
        return;
    }
    zk_autojson json_t *doc = zk_apis_obj_for_kind(c->kind, cur);
    zk_autojson json_t *scale = zk__scale_of(c->kind, doc);
    if (!strcmp(c->ri.verb, "get")) {
        zk_obj *vis = zk_storage_get_obj(st, ns, c->ri.name);
        if (!vis) {
            zk_apis_not_found(c->req, c->kind, c->ri.name);
            return;
        }
        zk_autojson json_t *vdoc = zk_apis_obj_for_kind(c->kind, vis);
        zk_autojson json_t *vscale = zk__scale_of(c->kind, vdoc);
        zk_apis_respond_json(c->req, 200, vscale);
        return;
    }
    json_t *want = NULL;
    if (!strcmp(c->ri.verb, "update")) {
        want = zk_apis_read_body(c);
        if (!want)
            return;
        const char *rv = zk_json_path_str(want, "metadata", "resourceVersion", NULL);
        if (rv && *rv && strtoll(rv, NULL, 10) != cur->rev) {
            json_decref(want);
            char qr[256];
            zk_apis_status_fmt(c->req, 409, "Conflict",
                               "Operation cannot be fulfilled on %s \"%s\": the object has been "
                               "modified; please apply your changes to the latest version and "
                               "try again",
                               zk_apis_qualified_resource(c->kind, qr, sizeof(qr)), c->ri.name);
            return;
        }
    } else if (!strcmp(c->ri.verb, "patch")) {
        size_t ctlen = 0;
        const char *ct = zk_http_header(c->req, "content-type", &ctlen);
        char ctype[128] = "";
        if (ct)
            snprintf(ctype, sizeof(ctype), "%.*s", (int)(ctlen < 127 ? ctlen : 127), ct);
        zk_err err = {0};
        const zk_schema_type *t = zk_kube_schema_for_kind("autoscaling", "v1", "Scale");
        if (zk_kube_patch_type_of(ctype) == ZK_KUBE_PATCH_UNKNOWN) {
            zk_apis_status(c->req, 415, "UnsupportedMediaType", "unsupported patch type", NULL);
            return;
        }
        if (zk_kube_patch_apply(ctype, scale, c->req->entity.base ? c->req->entity.base : "",
                                c->req->entity.len, t, &want, &err) < 0) {
            zk_apis_status_fmt(c->req, 422, "Invalid", "%s", err.msg);
            return;
        }
    } else {
        zk__method_not_allowed(c);
        return;
    }
    json_t *r = zk_json_path(want, "spec", "replicas", NULL);
    json_int_t replicas = json_is_integer(r) ? json_integer_value(r) : 0;
    json_decref(want);
    if (replicas < 0) {
        zk_apis_status_fmt(c->req, 422, "Invalid",
                           "Scale.autoscaling \"%s\" is invalid: spec.replicas: Invalid value: "
                           "%lld: must be greater than or equal to 0",
                           c->ri.name, (long long)replicas);
        return;
    }
    const char *sp, *tp, *lp;
    zk__scale_paths(c->kind, &sp, &tp, &lp);
    char last[256];
    json_t *parent = zk__dot_path(doc, sp, true, last, sizeof(last));
    json_object_set_new(parent, last, json_integer(replicas));
    zk_apis_convert_to_storage(c->kind, doc);
    /* answer with a Scale: remember that the reply is a Scale */
    c->scale_reply = true;
    zk_apis_update_obj(c, st, cur, json_incref(doc), false, false);
}

json_t *zk_apis_scale_reply(zk_call *c, const zk_obj *o)
{
    json_t *doc = zk_apis_obj_for_kind(c->kind, o);
    json_t *s = zk__scale_of(c->kind, doc);
    json_decref(doc);
    return s;
}

/* ---- pods/binding ---- */

static void zk__binding(zk_call *c, zk_storage *st, const char *ns)
{
    if (strcmp(c->ri.verb, "create")) {
        zk__method_not_allowed(c);
        return;
    }
    zk_autojson json_t *b = zk_apis_read_body(c);
    if (!b)
        return;
    const char *node = zk_json_path_str(b, "target", "name", NULL);
    if (!node || !*node) {
        zk_apis_status_fmt(c->req, 422, "Invalid",
                           "Binding \"%s\" is invalid: target.name: Required value", c->ri.name);
        return;
    }
    zk_obj *cur = zk_storage_latest(st, ns, c->ri.name);
    if (!cur) {
        zk_apis_not_found(c->req, c->kind, c->ri.name);
        return;
    }
    zk_autojson json_t *pod = zk_obj_parse(cur);
    const char *have = zk_json_path_str(pod, "spec", "nodeName", NULL);
    if (have && *have) {
        zk_apis_status_fmt(c->req, 409, "Conflict",
                           "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is "
                           "already assigned to node \"%s\"", c->ri.name, c->ri.name, have);
        return;
    }
    if (cur->terminating) {
        zk_apis_status_fmt(c->req, 409, "Conflict",
                           "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is being "
                           "deleted, cannot be assigned to a host", c->ri.name, c->ri.name);
        return;
    }
    zk_json_set_str(zk_json_path_obj(pod, "spec", NULL), "nodeName", node);
    /* PodScheduled=True, as the binding registry does */
    json_t *status = zk_json_path_obj(pod, "status", NULL);
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    char now[32];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    size_t i;
    json_t *cd;
    bool found = false;
    json_array_foreach(conds, i, cd) {
        if (!strcmp(zk_json_str(cd, "type") ? zk_json_str(cd, "type") : "", "PodScheduled")) {
            zk_json_set_str(cd, "status", "True");
            zk_json_set_str(cd, "lastTransitionTime", now);
            json_object_del(cd, "reason");
            json_object_del(cd, "message");
            found = true;
        }
    }
    if (!found)
        json_array_append_new(conds, json_pack("{s:s,s:s,s:n,s:s}", "type", "PodScheduled",
                                               "status", "True", "lastProbeTime",
                                               "lastTransitionTime", now));
    c->status_reply = true;
    zk_apis_write_one(c, st, zk_steal(&pod), 201);
}

/* ---- serviceaccounts/token ---- */

static void zk__token(zk_call *c, zk_storage *st, const char *ns)
{
    if (strcmp(c->ri.verb, "create")) {
        zk__method_not_allowed(c);
        return;
    }
    zk_autojson json_t *tr = zk_apis_read_body(c);
    if (!tr)
        return;
    zk_obj *sa = zk_storage_get_obj(st, ns, c->ri.name);
    if (!sa) {
        zk_apis_not_found(c->req, c->kind, c->ri.name);
        return;
    }
    json_t *spec = zk_json_path_obj(tr, "spec", NULL);
    json_int_t exp = zk_json_int(spec, "expirationSeconds", 3600);
    if (exp < 600) {
        zk_apis_status_fmt(c->req, 422, "Invalid",
                           "TokenRequest.authentication.k8s.io \"%s\" is invalid: "
                           "spec.expirationSeconds: Invalid value: %lld: may not specify a "
                           "duration less than 10 minutes", c->ri.name, (long long)exp);
        return;
    }
    if (exp > 48 * 3600)
        exp = 48 * 3600;
    json_t *auds = json_object_get(spec, "audiences");
    const char *audv[16];
    size_t naud = 0;
    size_t i;
    json_t *a;
    json_array_foreach(auds, i, a) if (json_is_string(a) && naud < 16) audv[naud++] = json_string_value(a);
    if (naud == 0) {
        audv[naud++] = c->srv->issuer;
        json_object_set_new(spec, "audiences", json_pack("[s]", c->srv->issuer));
    }
    json_object_set_new(spec, "expirationSeconds", json_integer(exp));
    zk_net_jwt_sa_token in = {
        .issuer = c->srv->issuer, .audiences = audv, .naudiences = naud, .ns = ns,
        .sa_name = sa->name, .sa_uid = sa->uid, .expiration_seconds = exp,
    };
    json_t *bound = json_object_get(spec, "boundObjectRef");
    if (json_is_object(bound)) {
        const char *bk = zk_json_str(bound, "kind");
        if (bk && !strcmp(bk, "Pod")) {
            in.pod_name = zk_json_str(bound, "name");
            in.pod_uid = zk_json_str(bound, "uid");
        } else if (bk && !strcmp(bk, "Secret")) {
            in.secret_name = zk_json_str(bound, "name");
            in.secret_uid = zk_json_str(bound, "uid");
        }
    }
    json_t *claims = NULL;
    zk_err err = {0};
    char *token = NULL;
    if (zk_net_jwt_sa_claims(&in, &claims, &err) < 0 ||
        zk_net_jwt_sign_file(claims, c->srv->sa_key_file, &token, &err) < 0) {
        if (claims)
            json_decref(claims);
        zk_apis_status_fmt(c->req, 500, "InternalError", "Internal error occurred: %s", err.msg);
        return;
    }
    json_decref(claims);
    char expts[32];
    zk_time_rfc3339(zk_wall_s() + exp, expts, sizeof(expts));
    zk_json_set_str(tr, "kind", "TokenRequest");
    zk_json_set_str(tr, "apiVersion", "authentication.k8s.io/v1");
    json_t *meta = zk_json_path_obj(tr, "metadata", NULL);
    zk_json_set_str(meta, "name", sa->name);
    zk_json_set_str(meta, "namespace", ns);
    char now[32];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    zk_json_set_str(meta, "creationTimestamp", now);
    json_object_set_new(tr, "status",
                        json_pack("{s:s,s:s}", "token", token, "expirationTimestamp", expts));
    free(token);
    zk_apis_respond_json(c->req, 201, tr);
}

/* ---- pods/eviction ---- */

static void zk__eviction(zk_call *c, zk_storage *st, const char *ns)
{
    if (strcmp(c->ri.verb, "create")) {
        zk__method_not_allowed(c);
        return;
    }
    zk_autojson json_t *ev = zk_apis_read_body(c);
    if (!ev)
        return;
    if (!zk_storage_get_obj(st, ns, c->ri.name)) {
        zk_apis_not_found(c->req, c->kind, c->ri.name);
        return;
    }
    c->status_reply = true;
    zk_apis_delete(c, st, ns, c->ri.name);
}

/* ---- log, exec, attach, portforward ---- */

static void zk__node_stream(zk_call *c, zk_storage *st, const char *ns)
{
    zk_obj *o = zk_storage_get_obj(st, ns, c->ri.name);
    if (!o) {
        zk_apis_not_found(c->req, c->kind, c->ri.name);
        return;
    }
    zk_autojson json_t *pod = zk_obj_parse(o);
    const char *node = zk_json_path_str(pod, "spec", "nodeName", NULL);
    if (!node || !*node) {
        zk_apis_status_fmt(c->req, 400, "BadRequest", "pod %s does not have a host assigned",
                           c->ri.name);
        return;
    }
    if (!strcmp(c->ri.subresource, "log")) {
        zk_apis_serve_pod_log(c, pod, node);
        return;
    }
    if (!strcmp(c->ri.subresource, "exec") || !strcmp(c->ri.subresource, "attach")) {
        zk_apis_serve_pod_exec(c, pod, node);
        return;
    }
    if (!strcmp(c->ri.subresource, "portforward")) {
        zk_apis_serve_pod_portforward(c, pod, node);
        return;
    }
    zk_apis_status(c->req, 404, "NotFound", "the server could not find the requested resource",
                   NULL);
}

void zk_apis_serve_subresource(zk_call *c, zk_storage *st, const char *ns)
{
    const zk_kind *k = c->kind;
    const char *sub = c->ri.subresource;
    if (!strcmp(sub, "status") && (k->subresources & ZK_SUB_STATUS))
        zk_apis_serve_status_sub(c, st, ns);
    else if (!strcmp(sub, "scale") && (k->subresources & ZK_SUB_SCALE))
        zk__scale(c, st, ns);
    else if (!strcmp(sub, "binding") && (k->subresources & ZK_SUB_BINDING))
        zk__binding(c, st, ns);
    else if (!strcmp(sub, "token") && (k->subresources & ZK_SUB_TOKEN))
        zk__token(c, st, ns);
    else if (!strcmp(sub, "eviction") && (k->subresources & ZK_SUB_EVICTION))
        zk__eviction(c, st, ns);
    else if ((!strcmp(sub, "log") && (k->subresources & ZK_SUB_LOG)) ||
             ((!strcmp(sub, "exec") || !strcmp(sub, "attach") || !strcmp(sub, "portforward")) &&
              (k->subresources & ZK_SUB_EXEC)))
        zk__node_stream(c, st, ns);
    else if (!strcmp(sub, "proxy") && !strcmp(k->resource, "nodes") && !k->group[0])
        zk_apis_serve_node_proxy(c, st);
    else if (!strcmp(sub, "finalize") && (k->subresources & ZK_SUB_FINALIZE))
        zk_apis_serve_status_sub(c, st, ns);
    else
        zk_apis_status(c->req, 404, "NotFound", "the server could not find the requested resource",
                       NULL);
}

/* ---- review kinds ---- */

static void zk__attrs_from(json_t *spec, zk_authz_attrs *a, const char *force_ns)
{
    json_t *ra = json_object_get(spec, "resourceAttributes");
    json_t *na = json_object_get(spec, "nonResourceAttributes");
    memset(a, 0, sizeof(*a));
    a->api_group = a->resource = a->subresource = a->ns = a->name = a->path = "";
    a->verb = "";
    if (json_is_object(ra)) {
        a->resource_request = true;
#define S(f, k) do { const char *v_ = zk_json_str(ra, k); if (v_) a->f = v_; } while (0)
        S(verb, "verb");
        S(api_group, "group");
        S(resource, "resource");
        S(subresource, "subresource");
        S(ns, "namespace");
        S(name, "name");
#undef S
    } else if (json_is_object(na)) {
        const char *v = zk_json_str(na, "verb");
        const char *p = zk_json_str(na, "path");
        a->verb = v ? v : "";
        a->path = p ? p : "";
    }
    if (force_ns)
        a->ns = force_ns;
}

static void zk__review_answer(zk_call *c, json_t *doc, bool allowed, const char *reason)
{
    json_object_set_new(doc, "status", json_pack("{s:b,s:s}", "allowed", allowed, "reason",
                                                 reason ? reason : ""));
    if (!allowed)
        json_object_set_new(json_object_get(doc, "status"), "denied", json_false());
    json_object_del(json_object_get(doc, "status"), "denied");
    if (!json_object_get(doc, "metadata"))
        json_object_set_new(doc, "metadata", json_object());
    zk_apis_respond_json(c->req, 201, doc);
}

void zk_apis_serve_virtual(zk_call *c)
{
    const zk_kind *k = c->kind;
    if (strcmp(c->ri.verb, "create")) {
        zk__method_not_allowed(c);
        return;
    }
    if (!strcmp(k->resource, "bindings")) {
        /* POST /api/v1/namespaces/{ns}/bindings: the same as pods/{name}/binding */
        zk_autojson json_t *b = zk_apis_read_body(c);
        if (!b)
            return;
        const char *name = zk_json_path_str(b, "metadata", "name", NULL);
        if (!name) {
            zk_apis_status(c->req, 422, "Invalid", "Binding is invalid: metadata.name: Required value",
                           NULL);
            return;
        }
        zk_apis_status(c->req, 405, "MethodNotAllowed",
                       "use pods/{name}/binding to bind a pod", NULL);
        return;
    }
    zk_autojson json_t *doc = zk_apis_read_body(c);
    if (!doc)
        return;
    if (!zk_apis_check_gvk(c, doc, NULL, NULL))
        return;
    json_t *spec = zk_json_path_obj(doc, "spec", NULL);
    char reason[512] = "";
    if (!strcmp(k->resource, "selfsubjectaccessreviews")) {
        zk_authz_attrs a;
        zk__attrs_from(spec, &a, NULL);
        bool ok = zk_apis_allowed(c->srv, &c->user, &a, reason, sizeof(reason));
        zk__review_answer(c, doc, ok, reason);
    } else if (!strcmp(k->resource, "subjectaccessreviews") ||
               !strcmp(k->resource, "localsubjectaccessreviews")) {
        zk_user u = {0};
        const char *user = zk_json_str(spec, "user");
        u.name = zk_xstrdup(user ? user : "");
        json_t *groups = json_object_get(spec, "groups");
        size_t i;
        json_t *g;
        json_array_foreach(groups, i, g) {
            if (json_is_string(g) && u.ngroups < 256) {
                u.groups = zk_xrealloc(u.groups, (u.ngroups + 1) * sizeof(char *));
                u.groups[u.ngroups++] = zk_xstrdup(json_string_value(g));
                if (!strcmp(json_string_value(g), "system:masters"))
                    u.admin = true;
            }
        }
        zk_authz_attrs a;
        zk__attrs_from(spec, &a, k->namespaced ? c->ri.ns : NULL);
        bool ok = zk_apis_allowed(c->srv, &u, &a, reason, sizeof(reason));
        zk_apis_user_free(&u);
        zk__review_answer(c, doc, ok, reason);
    } else if (!strcmp(k->resource, "selfsubjectrulesreviews")) {
        const char *ns = zk_json_str(spec, "namespace");
        json_t *rules = zk_apis_rules_for(c->srv, &c->user, ns ? ns : "");
        if (!json_object_get(rules, "incomplete"))
            json_object_set_new(rules, "incomplete", json_false());
        json_object_set_new(doc, "status", rules);
        zk_apis_respond_json(c->req, 201, doc);
    } else if (!strcmp(k->resource, "tokenreviews")) {
        const char *tok = zk_json_str(spec, "token");
        zk_user u = {0};
        bool ok = tok && zk_apis_token_user(c->srv, tok, strlen(tok), &u);
        json_t *status = json_object();
        json_object_set_new(status, "authenticated", json_boolean(ok));
        if (ok) {
            json_t *groups = json_array();
            for (size_t i = 0; i < u.ngroups; i++)
                json_array_append_new(groups, json_string(u.groups[i]));
            json_array_append_new(groups, json_string("system:authenticated"));
            json_object_set_new(status, "user",
                                json_pack("{s:s,s:s,s:o}", "username", u.name, "uid",
                                          u.uid ? u.uid : "", "groups", groups));
        } else {
            zk_json_set_str(status, "error", "invalid bearer token");
        }
        zk_apis_user_free(&u);
        json_object_set_new(doc, "status", status);
        zk_apis_respond_json(c->req, 201, doc);
    } else if (!strcmp(k->resource, "selfsubjectreviews")) {
        json_t *groups = json_array();
        for (size_t i = 0; i < c->user.ngroups; i++)
            json_array_append_new(groups, json_string(c->user.groups[i]));
        json_t *ui = json_pack("{s:s,s:o}", "username", c->user.name, "groups", groups);
        if (c->user.uid)
            zk_json_set_str(ui, "uid", c->user.uid);
        json_object_set_new(doc, "status", json_pack("{s:o}", "userInfo", ui));
        zk_apis_respond_json(c->req, 201, doc);
    } else {
        zk__method_not_allowed(c);
    }
}
