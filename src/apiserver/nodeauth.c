/* zke apiserver: node agents — join tokens, node credentials and the node
 * authorizer.
 *
 * Join tokens are Kubernetes bootstrap tokens: a Secret
 * kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token
 * holding token-id, token-secret, expiration and
 * usage-bootstrap-authentication. "<id>.<secret>" as a bearer token
 * authenticates as system:bootstrap:<id> in system:bootstrappers. With it an
 * agent may POST /zke/v1/join {"nodeName": N} and gets a client certificate
 * for system:node:N (group system:nodes) signed by the cluster CA; from then
 * on it uses that. GET /zke/v1/ca is public: the agent checks the CA it
 * gets against the hash in its join token before trusting it.
 *
 * The node authorizer runs before RBAC for system:node:<name> users, as
 * Kubernetes' Node authorizer does: a node reads and writes its own Node,
 * Lease and pods, and reads only the Secrets, ConfigMaps and service
 * account tokens its pods use. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "apiserver/reqinfo.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "net/pki.h"

/* ---- bootstrap tokens ---- */

static bool token_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* data[key] decoded into out; false when missing. */
static bool secret_value(const json_t *secret, const char *key, char *out, size_t n)
{
    const char *b64 = zk_json_path_str(secret, "data", key, NULL);
    if (!b64)
        return false;
    int len = zk_base64_decode(b64, strlen(b64), (unsigned char *)out, n - 1);
    if (len < 0)
        return false;
    out[len] = '\0';
    return true;
}

bool zk_apis_bootstrap_token_user(zk_apiserver *srv, const char *tok, size_t len, zk_user *u)
{
    /* [a-z0-9]{6}.[a-z0-9]{16} */
    if (len != 23 || tok[6] != '.' || !token_chars(tok, 6) || !token_chars(tok + 7, 16))
        return false;
    char name[40];
    snprintf(name, sizeof(name), "bootstrap-token-%.6s", tok);
    const zk_kind *sk = zk_kinds_find("", "v1", "secrets");
    zk_obj *o = zk_storage_get_obj(zk_apis_storage(srv, sk), "kube-system", name);
    if (!o)
        return false;
    json_t *s = zk_obj_parse(o);
    bool ok = false;
    char secret[64], usage[16], exp[64], groups[512];
    const char *type = zk_json_str(s, "type");
    if (type && !strcmp(type, "bootstrap.kubernetes.io/token") &&
        secret_value(s, "token-secret", secret, sizeof(secret)) && strlen(secret) == 16 &&
        CRYPTO_memcmp(secret, tok + 7, 16) == 0 &&
        secret_value(s, "usage-bootstrap-authentication", usage, sizeof(usage)) &&
        !strcmp(usage, "true") && !zk_json_path(s, "metadata", "deletionTimestamp", NULL)) {
        ok = !secret_value(s, "expiration", exp, sizeof(exp)) ||
             zk_time_parse_rfc3339(exp) > zk_wall_s();
    }
    if (ok) {
        u->name = zk_xasprintf("system:bootstrap:%.6s", tok);
        zk_apis_user_add_group(u, "system:bootstrappers");
        if (secret_value(s, "auth-extra-groups", groups, sizeof(groups))) {
            char *save = NULL;
            for (char *g = strtok_r(groups, ",", &save); g; g = strtok_r(NULL, ",", &save))
                if (!strncmp(g, "system:bootstrappers:", 21))
                    zk_apis_user_add_group(u, g);
        }
    }
    json_decref(s);
    return ok;
}

/* ---- /zke/v1/ca and /zke/v1/join ---- */

static bool in_group(const zk_user *u, const char *g)
{
    for (size_t i = 0; i < u->ngroups; i++)
        if (!strcmp(u->groups[i], g))
            return true;
    return false;
}

static bool dns_subdomain(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '.'))
            return false;
    return true;
}

bool zk_apis_serve_node_join(zk_call *c)
{
    const char *p = c->ri.path;
    h2o_req_t *req = c->req;
    if (!strcmp(p, "/zke/v1/ca") && !strcmp(c->ri.verb, "get")) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/ca.crt", c->srv->pki_dir);
        char *pem = NULL;
        size_t len = 0;
        zk_err err = {0};
        if (zk_net_pki_read_file(path, 1 << 20, &pem, &len, &err) < 0) {
            zk_apis_status(req, 500, "InternalError", err.msg, NULL);
            return true;
        }
        zk_http_respond(req, 200, "application/x-pem-file", pem, len);
        free(pem);
        return true;
    }
    if (strcmp(p, "/zke/v1/join") || strcmp(c->ri.verb, "post"))
        return false;
    if (!in_group(&c->user, "system:bootstrappers")) {
        zk_apis_status(req, 403, "Forbidden", "only a join token may ask for node credentials",
                       NULL);
        return true;
    }
    zk_autojson json_t *body = zk_apis_read_body(c);
    if (!body)
        return true;
    const char *node = zk_json_str(body, "nodeName");
    if (!node || !dns_subdomain(node)) {
        zk_apis_status(req, 422, "Invalid", "nodeName must be a DNS subdomain name (lower case "
                       "letters, digits, '-' and '.', at most 253)", NULL);
        return true;
    }
    /* the node makes its key and keeps it: only its public half comes here */
    const char *pub = zk_json_str(body, "publicKey");
    if (!pub) {
        zk_apis_status(req, 422, "Invalid", "publicKey is required: the node agent sends the "
                       "public half of a key it made, and this server signs it", NULL);
        return true;
    }
    char cn[300], path[4096];
    snprintf(cn, sizeof(cn), "system:node:%s", node);
    snprintf(path, sizeof(path), "%s/ca.crt", c->srv->pki_dir);
    const char *orgs[] = {"system:nodes"};
    char *cert = NULL, *ca = NULL;
    size_t calen = 0;
    zk_err err = {0};
    if (zk_net_pki_read_file(path, 1 << 20, &ca, &calen, &err) < 0) {
        zk_apis_status(req, 500, "InternalError", err.msg, NULL);
        return true;
    }
    if (zk_net_pki_sign_client(c->srv->pki_dir, cn, orgs, 1, pub, &cert, &err) < 0) {
        bool bad = err.code == ZK_EINVAL;
        zk_apis_status(req, bad ? 422 : 500, bad ? "Invalid" : "InternalError", err.msg, NULL);
        free(ca);
        return true;
    }
    zk_info("join: %s got a certificate for node %s", c->user.name, node);
    json_t *out = json_pack("{s:s,s:s,s:s}", "nodeName", node, "caCert", ca, "clientCert", cert);
    zk_apis_respond_json(req, 200, out);
    json_decref(out);
    free(ca);
    free(cert);
    return true;
}

/* ---- the node authorizer ---- */

typedef enum { NA_ALLOW, NA_DENY, NA_RBAC } na_verdict;

static const char *pod_node(zk_apiserver *srv, const char *ns, const char *name, json_t **pod)
{
    const zk_kind *pk = zk_kinds_find("", "v1", "pods");
    zk_obj *o = zk_storage_get_obj(zk_apis_storage(srv, pk), ns, name);
    if (!o)
        return NULL;
    *pod = zk_obj_parse(o);
    return zk_json_path_str(*pod, "spec", "nodeName", NULL);
}

typedef struct ref_scan {
    const char *node, *kind, *name, *ns;
    bool found;
} ref_scan;

static bool names(const json_t *obj, const char *field, const char *want)
{
    const char *v = zk_json_str(obj, field);
    return v && !strcmp(v, want);
}

/* Whether pod uses the object of the scan (a Secret, ConfigMap, PVC or
 * ServiceAccount). */
static bool pod_uses(const json_t *pod, const ref_scan *r)
{
    const json_t *spec = json_object_get(pod, "spec");
    bool secret = !strcmp(r->kind, "secrets"), cm = !strcmp(r->kind, "configmaps");
    if (!strcmp(r->kind, "serviceaccounts")) {
        const char *sa = zk_json_str(spec, "serviceAccountName");
        return !strcmp(sa ? sa : "default", r->name);
    }
    size_t i, j;
    json_t *v, *s;
    if (secret) {
        json_array_foreach(json_object_get(spec, "imagePullSecrets"), i, v)
            if (names(v, "name", r->name))
                return true;
    }
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        if (secret && names(json_object_get(v, "secret"), "secretName", r->name))
            return true;
        if (cm && names(json_object_get(v, "configMap"), "name", r->name))
            return true;
        if (!strcmp(r->kind, "persistentvolumeclaims") &&
            names(json_object_get(v, "persistentVolumeClaim"), "claimName", r->name))
            return true;
        json_array_foreach(zk_json_path(v, "projected", "sources", NULL), j, s) {
            if ((secret && names(json_object_get(s, "secret"), "name", r->name)) ||
                (cm && names(json_object_get(s, "configMap"), "name", r->name)))
                return true;
        }
    }
    const char *lists[] = {"containers", "initContainers", "ephemeralContainers"};
    for (size_t l = 0; l < 3; l++) {
        json_t *c;
        json_array_foreach(json_object_get(spec, lists[l]), i, c) {
            json_array_foreach(json_object_get(c, "env"), j, v) {
                const json_t *vf = json_object_get(v, "valueFrom");
                if ((secret && names(json_object_get(vf, "secretKeyRef"), "name", r->name)) ||
                    (cm && names(json_object_get(vf, "configMapKeyRef"), "name", r->name)))
                    return true;
            }
            json_array_foreach(json_object_get(c, "envFrom"), j, v) {
                if ((secret && names(json_object_get(v, "secretRef"), "name", r->name)) ||
                    (cm && names(json_object_get(v, "configMapRef"), "name", r->name)))
                    return true;
            }
        }
    }
    return false;
}

static bool node_uses(zk_apiserver *srv, const char *node, const char *kind, const char *ns,
                      const char *name)
{
    ref_scan r = {.node = node, .kind = kind, .name = name, .ns = ns};
    const zk_kind *pk = zk_kinds_find("", "v1", "pods");
    zk_storage *st = zk_apis_storage(srv, pk);
    size_t nl = strlen(ns), pos = 0;
    const char *key;
    void *v;
    /* the pods of the namespace bound to this node: a node runs ~100 */
    while (!r.found && zk_map_next(st->entries, &pos, &key, &v)) {
        zk_entry *e = v;
        zk_obj *o = e->cur;
        if (!o || strncmp(key, ns, nl) || key[nl] != '/' || !o->node_name ||
            strcmp(o->node_name, node))
            continue;
        json_t *pod = zk_obj_parse(o);
        r.found = pod_uses(pod, &r);
        json_decref(pod);
    }
    return r.found;
}

static na_verdict node_authorize(zk_call *c, const char *node)
{
    const zk_reqinfo *ri = &c->ri;
    if (!ri->resource_request)
        return NA_RBAC;
    const char *res = ri->resource, *sub = ri->subresource, *verb = ri->verb;
    bool core = !ri->group[0];
    bool read = !strcmp(verb, "get") || !strcmp(verb, "list") || !strcmp(verb, "watch");
    if (core && !strcmp(res, "nodes")) {
        if (read && !sub[0])
            return NA_ALLOW;
        /* its own Node only */
        if (!strcmp(verb, "create")) {
            h2o_req_t *req = c->req;
            json_t *doc = zk_json_read(req->entity.base ? req->entity.base : "", req->entity.len,
                                       false);
            const char *n = zk_json_path_str(doc, "metadata", "name", NULL);
            bool own = n && !strcmp(n, node);
            json_decref(doc);
            return own ? NA_RBAC : NA_DENY;
        }
        return ri->name[0] && !strcmp(ri->name, node) ? NA_RBAC : NA_DENY;
    }
    if (core && !strcmp(res, "pods")) {
        if (!strcmp(verb, "list") || !strcmp(verb, "watch")) {
            /* only with spec.nodeName=<node> */
            char fs[600], want[300];
            const char *f = zk_query_get(ri->query, "fieldSelector", fs, sizeof(fs));
            snprintf(want, sizeof(want), "spec.nodeName=%s", node);
            return f && !strcmp(f, want) ? NA_RBAC : NA_DENY;
        }
        if (!ri->name[0] || !strcmp(verb, "create"))
            return !strcmp(sub, "eviction") ? NA_RBAC : NA_DENY;
        json_t *pod = NULL;
        const char *pn = pod_node(c->srv, ri->ns, ri->name, &pod);
        bool mine = pn && !strcmp(pn, node), absent = !pod;
        json_decref(pod);
        /* a pod that is not there: RBAC answers (404 for a get) */
        return mine || absent ? NA_RBAC : NA_DENY;
    }
    if (core && (!strcmp(res, "secrets") || !strcmp(res, "configmaps") ||
                 !strcmp(res, "persistentvolumeclaims"))) {
        if (strcmp(verb, "get") || !ri->name[0])
            return NA_DENY;
        return node_uses(c->srv, node, res, ri->ns, ri->name) ? NA_RBAC : NA_DENY;
    }
    if (core && !strcmp(res, "serviceaccounts") && !strcmp(sub, "token")) {
        return node_uses(c->srv, node, res, ri->ns, ri->name) ? NA_RBAC : NA_DENY;
    }
    if (!strcmp(ri->group, "coordination.k8s.io") && !strcmp(res, "leases")) {
        if (strcmp(ri->ns, "kube-node-lease"))
            return NA_DENY;
        if (!strcmp(verb, "create"))
            return NA_RBAC;
        return !strcmp(ri->name, node) ? NA_RBAC : NA_DENY;
    }
    return NA_RBAC;
}

/* Called before RBAC. false: answered 403. */
bool zk_apis_node_authorize(zk_call *c)
{
    const char *name = c->user.name;
    if (!name || strncmp(name, "system:node:", 12) || !in_group(&c->user, "system:nodes"))
        return true;
    const char *node = name + 12;
    if (node_authorize(c, node) != NA_DENY)
        return true;
    char msg[1200];
    if (c->ri.name[0])
        snprintf(msg, sizeof(msg), "%s \"%s\" is forbidden: User \"%s\" cannot %s resource "
                 "\"%s%s%s\" in API group \"%s\"%s%s%s: node '%s' has no relationship with "
                 "this object", c->ri.resource, c->ri.name, name, c->ri.verb, c->ri.resource,
                 c->ri.subresource[0] ? "/" : "", c->ri.subresource, c->ri.group,
                 c->ri.ns[0] ? " in the namespace \"" : "", c->ri.ns, c->ri.ns[0] ? "\"" : "",
                 node);
    else
        snprintf(msg, sizeof(msg), "%s is forbidden: User \"%s\" cannot %s resource \"%s\" in "
                 "API group \"%s\": node '%s' may only %s what is bound to it", c->ri.resource,
                 name, c->ri.verb, c->ri.resource, c->ri.group, node, c->ri.verb);
    zk_apis_status(c->req, 403, "Forbidden", msg, NULL);
    return false;
}
