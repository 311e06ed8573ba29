/* Admission webhooks: configurations, matching, reviews, answers (see
 * hooks.h). */
#include "admission/hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/str.h"
#include "kube/patch.h"
#include "kube/selector.h"

#define ZK_HOOK_TIMEOUT_DEFAULT 10
#define ZK_HOOK_TIMEOUT_MAX 30
#define ZK_HOOK_CA_MAX (1u << 20)
#define ZK_HOOK_PATCH_MAX (3u << 20)
#define ZK_HOOK_WARNINGS_MAX 20

static char *dup_or_null(const char *s) { return s ? zk_xstrdup(s) : NULL; }

void zk_adm_hooks_parse(const json_t *config, bool mutating, zk_adm_hook **hooks, size_t *n)
{
    const char *cname = zk_json_path_str(config, "metadata", "name", NULL);
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(config, "webhooks"), i, w) {
        if (!json_is_object(w))
            continue;
        *hooks = zk_xrealloc(*hooks, (*n + 1) * sizeof(**hooks));
        zk_adm_hook *h = &(*hooks)[(*n)++];
        memset(h, 0, sizeof(*h));
        h->config = zk_xstrdup(cname ? cname : "");
        h->name = zk_xstrdup(zk_json_str(w, "name") ?: "");
        h->mutating = mutating;
        h->spec = json_incref(w);
        const char *fp = zk_json_str(w, "failurePolicy");
        h->fail_open = fp && !strcmp(fp, "Ignore");
        json_int_t t = zk_json_int(w, "timeoutSeconds", ZK_HOOK_TIMEOUT_DEFAULT);
        h->timeout_s = t < 1 ? 1 : t > ZK_HOOK_TIMEOUT_MAX ? ZK_HOOK_TIMEOUT_MAX : (int)t;
        const char *rp = zk_json_str(w, "reinvocationPolicy");
        h->reinvoke = mutating && rp && !strcmp(rp, "IfNeeded");
        const char *mp = zk_json_str(w, "matchPolicy");
        h->exact = mp && !strcmp(mp, "Exact");
        json_t *cc = json_object_get(w, "clientConfig");
        const char *url = zk_json_str(cc, "url");
        json_t *svc = json_object_get(cc, "service");
        if (url && !svc && !strncmp(url, "https://", 8) && strlen(url) < 2048) {
            h->url = zk_xstrdup(url);
        } else if (svc && !url) {
            h->svc_ns = dup_or_null(zk_json_str(svc, "namespace"));
            h->svc_name = dup_or_null(zk_json_str(svc, "name"));
            const char *p = zk_json_str(svc, "path");
            h->path = zk_xstrdup(p && p[0] == '/' ? p : "/");
            json_int_t port = zk_json_int(svc, "port", 443);
            h->port = port > 0 && port < 65536 ? (int)port : 443;
            if (!h->svc_ns || !h->svc_name) {
                free(h->svc_ns);
                free(h->svc_name);
                h->svc_ns = h->svc_name = NULL;
            }
        }
        const char *ca = zk_json_str(cc, "caBundle");
        if (ca && *ca) {
            size_t len = strlen(ca);
            unsigned char *pem = zk_xmalloc(len + 1);
            int got = len <= ZK_HOOK_CA_MAX * 2 ? zk_base64_decode(ca, len, pem, len) : -1;
            if (got > 0) {
                pem[got] = '\0';
                h->ca_pem = (char *)pem;
            } else {
                free(pem);
                /* a CA that cannot be read: the call cannot be trusted */
                free(h->url);
                free(h->svc_name);
                h->url = h->svc_name = NULL;
            }
        }
    }
}

void zk_adm_hooks_free(zk_adm_hook *hooks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        zk_adm_hook *h = &hooks[i];
        free(h->config);
        free(h->name);
        json_decref(h->spec);
        free(h->url);
        free(h->svc_ns);
        free(h->svc_name);
        free(h->path);
        free(h->ca_pem);
    }
    free(hooks);
}

/* ---- matching ---- */

static bool in_list(const json_t *list, const char *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *s = json_string_value(x);
        if (s && (!strcmp(s, "*") || !strcmp(s, v)))
            return true;
    }
    return false;
}

/* "pods", "pods/status", "*", "* /status" (no space), "pods/ *", "* / *" */
static bool resource_matches(const json_t *list, const char *res, const char *sub)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *s = json_string_value(x);
        if (!s)
            continue;
        const char *slash = strchr(s, '/');
        size_t rlen = slash ? (size_t)(slash - s) : strlen(s);
        bool rok = (rlen == 1 && s[0] == '*') || (rlen == strlen(res) && !strncmp(s, res, rlen));
        if (!rok)
            continue;
        if (!slash) {
            if (!sub || !*sub)
                return true;
            continue;
        }
        const char *ssel = slash + 1;
        if (!strcmp(ssel, "*") ? (sub && *sub) : (sub && !strcmp(ssel, sub)))
            return true;
    }
    return false;
}

static bool rule_matches(const zk_adm_hook *h, const json_t *r, const zk_adm_attrs *a)
{
    if (!in_list(json_object_get(r, "operations"), a->op))
        return false;
    if (!in_list(json_object_get(r, "apiGroups"), a->group))
        return false;
    if (h->exact && !in_list(json_object_get(r, "apiVersions"), a->version))
        return false;
    if (!resource_matches(json_object_get(r, "resources"), a->resource, a->subresource))
        return false;
    const char *scope = zk_json_str(r, "scope");
    if (scope && !strcmp(scope, "Cluster") && a->ns && *a->ns)
        return false;
    if (scope && !strcmp(scope, "Namespaced") && (!a->ns || !*a->ns))
        return false;
    return true;
}

static bool selector_matches(const json_t *sel, const json_t *labels)
{
    if (!json_is_object(sel) || !json_object_size(sel))
        return true;
    zk_kube_selector *s = NULL;
    zk_err err = {0};
    if (zk_kube_selector_from_json(sel, &s, &err) < 0)
        return false;
    bool ok = zk_kube_selector_matches(s, labels);
    zk_kube_selector_free(s);
    return ok;
}

bool zk_adm_hook_matches(const zk_adm_hook *h, const zk_adm_attrs *a)
{
    if (!strcmp(a->group, "admissionregistration.k8s.io") &&
        (!strcmp(a->resource, "mutatingwebhookconfigurations") ||
         !strcmp(a->resource, "validatingwebhookconfigurations")))
        return false;
    bool any = false;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(h->spec, "rules"), i, r)
        any = any || rule_matches(h, r, a);
    if (!any)
        return false;
    json_t *nss = json_object_get(h->spec, "namespaceSelector");
    if (!a->group[0] && !strcmp(a->resource, "namespaces")) {
        const json_t *o = a->obj ? a->obj : a->old;
        if (!selector_matches(nss, zk_json_path(o, "metadata", "labels", NULL)))
            return false;
    } else if (a->ns && *a->ns) {
        if (!selector_matches(nss, a->ns_labels))
            return false;
    }
    json_t *os = json_object_get(h->spec, "objectSelector");
    if (json_is_object(os) && json_object_size(os)) {
        bool obj_ok = a->obj && selector_matches(os, zk_json_path(a->obj, "metadata", "labels", NULL));
        bool old_ok = a->old && selector_matches(os, zk_json_path(a->old, "metadata", "labels", NULL));
        if (!obj_ok && !old_ok)
            return false;
    }
    return true;
}

/* ---- reviews and answers ---- */

json_t *zk_adm_hook_review(const zk_adm_attrs *a, const char *uid)
{
    json_t *kind = json_pack("{s:s,s:s,s:s}", "group", a->group, "version", a->version, "kind",
                             a->kind ? a->kind : "");
    json_t *res = json_pack("{s:s,s:s,s:s}", "group", a->group, "version", a->version, "resource",
                            a->resource);
    json_t *req = json_pack("{s:s,s:O,s:O,s:O,s:O,s:s,s:s,s:b}", "uid", uid, "kind", kind,
                            "resource", res, "requestKind", kind, "requestResource", res,
                            "operation", a->op, "name", a->name ? a->name : "", "dryRun",
                            a->dry_run);
    json_decref(kind);
    json_decref(res);
    if (a->subresource && *a->subresource) {
        zk_json_set_str(req, "subResource", a->subresource);
        zk_json_set_str(req, "requestSubResource", a->subresource);
    }
    if (a->ns && *a->ns)
        zk_json_set_str(req, "namespace", a->ns);
    json_object_set_new(req, "userInfo", a->user ? json_deep_copy(a->user) : json_object());
    json_object_set_new(req, "object", a->obj ? json_deep_copy(a->obj) : json_null());
    json_object_set_new(req, "oldObject", a->old ? json_deep_copy(a->old) : json_null());
    const char *okind = !strcmp(a->op, "CREATE")   ? "CreateOptions"
                        : !strcmp(a->op, "UPDATE") ? "UpdateOptions"
                                                   : "DeleteOptions";
    json_object_set_new(req, "options", json_pack("{s:s,s:s}", "apiVersion", "meta.k8s.io/v1",
                                                  "kind", okind));
    return json_pack("{s:s,s:s,s:o}", "apiVersion", "admission.k8s.io/v1", "kind",
                     "AdmissionReview", "request", req);
}

int zk_adm_hook_answer(const zk_adm_hook *h, const char *uid, const char *body, size_t len,
                       const json_t *obj, json_t **patched, json_t **status, json_t *warnings,
                       char **why)
{
    *patched = *status = NULL;
    *why = NULL;
    json_error_t jerr;
    json_t *ans = json_loadb(body ? body : "", len, 0, &jerr);
    const char *api = zk_json_str(ans, "apiVersion"), *kind = zk_json_str(ans, "kind");
    json_t *resp = json_object_get(ans, "response");
    if (!ans || !api || strcmp(api, "admission.k8s.io/v1") || !kind ||
        strcmp(kind, "AdmissionReview") || !json_is_object(resp)) {
        *why = zk_xstrdup("expected response.uid to be set and an AdmissionReview of "
                          "admission.k8s.io/v1");
        json_decref(ans);
        return -1;
    }
    const char *ruid = zk_json_str(resp, "uid");
    if (!ruid || strcmp(ruid, uid)) {
        *why = zk_xasprintf("expected response.uid=\"%s\", got \"%.64s\"", uid, ruid ? ruid : "");
        json_decref(ans);
        return -1;
    }
    size_t i;
    json_t *wv;
    json_array_foreach(json_object_get(resp, "warnings"), i, wv) {
        if (json_is_string(wv) && json_array_size(warnings) < ZK_HOOK_WARNINGS_MAX)
            json_array_append(warnings, wv);
    }
    if (!json_is_true(json_object_get(resp, "allowed"))) {
        json_t *st = json_object_get(resp, "status");
        const char *msg = zk_json_str(st, "message"), *reason = zk_json_str(st, "reason");
        json_int_t code = zk_json_int(st, "code", 0);
        if (code < 400 || code > 599)
            code = 400;
        char *text = msg && *msg ? zk_xasprintf("admission webhook \"%s\" denied the request: %s",
                                                h->name, msg)
                     : reason && *reason
                         ? zk_xasprintf("admission webhook \"%s\" denied the request: %s", h->name,
                                        reason)
                         : zk_xasprintf("admission webhook \"%s\" denied the request without "
                                        "explanation",
                                        h->name);
        *status = json_pack("{s:s,s:s,s:{},s:s,s:s,s:I}", "kind", "Status", "apiVersion", "v1",
                            "metadata", "status", "Failure", "message", text, "code", code);
        free(text);
        if (reason && *reason)
            zk_json_set_str(*status, "reason", reason);
        json_t *details = json_object_get(st, "details");
        if (json_is_object(details))
            json_object_set(*status, "details", details);
        json_decref(ans);
        return 1;
    }
    const char *patch = zk_json_str(resp, "patch");
    if (patch && *patch) {
        const char *pt = zk_json_str(resp, "patchType");
        if (!h->mutating || !pt || strcmp(pt, "JSONPatch")) {
            *why = zk_xstrdup(h->mutating ? "the patchType of a patch must be JSONPatch"
                                          : "a validating webhook sent a patch");
            json_decref(ans);
            return -1;
        }
        size_t plen = strlen(patch);
        if (plen > ZK_HOOK_PATCH_MAX * 2) {
            *why = zk_xstrdup("the patch is too large");
            json_decref(ans);
            return -1;
        }
        unsigned char *raw = zk_xmalloc(plen + 1);
        int got = zk_base64_decode(patch, plen, raw, plen);
        json_t *ops = got >= 0 ? json_loadb((const char *)raw, (size_t)got, 0, &jerr) : NULL;
        free(raw);
        zk_err err = {0};
        json_t *out = NULL;
        if (!ops || zk_kube_patch_json(obj, ops, &out, &err) < 0) {
            *why = zk_xasprintf("its patch cannot be applied: %s",
                                !ops ? "not base64 of a JSON array" : err.msg);
            json_decref(ops);
            json_decref(ans);
            return -1;
        }
        json_decref(ops);
        if (!json_is_object(out)) {
            json_decref(out);
            *why = zk_xstrdup("its patch must leave an object");
            json_decref(ans);
            return -1;
        }
        *patched = out;
    }
    json_decref(ans);
    return 0;
}
