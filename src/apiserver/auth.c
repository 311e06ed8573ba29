/* Authentication (client certificates, bearer tokens: static and
 * ServiceAccount JWTs, impersonation) and authorization (RBAC over the
 * objects in memory, with a parse cache). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "apiserver/rbac.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/jwt.h"
#include "net/pki.h"

void zk_apis_user_free(zk_user *u)
{
    free(u->name);
    free(u->uid);
    for (size_t i = 0; i < u->ngroups; i++)
        free(u->groups[i]);
    free(u->groups);
    memset(u, 0, sizeof(*u));
}

void zk_apis_user_add_group(zk_user *u, const char *g)
{
    for (size_t i = 0; i < u->ngroups; i++)
        if (!strcmp(u->groups[i], g))
            return;
    if (u->ngroups >= 256)
        return;
    u->groups = zk_xrealloc(u->groups, (u->ngroups + 1) * sizeof(char *));
    u->groups[u->ngroups++] = zk_xstrdup(g);
    if (!strcmp(g, "system:masters"))
        u->admin = true;
}

static void zk__user_copy(zk_user *dst, const zk_user *src)
{
    dst->name = zk_xstrdup(src->name);
    dst->uid = src->uid ? zk_xstrdup(src->uid) : NULL;
    for (size_t i = 0; i < src->ngroups; i++)
        zk_apis_user_add_group(dst, src->groups[i]);
}

/* ---- static tokens: --token-auth-file, CSV: token,user,uid,"g1,g2" ---- */

int zk_apis_load_token_file(zk_apiserver *srv, const char *path, zk_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return zk_err_set(err, ZK_EIO, "open token file %s: %m", path);
    srv->static_tokens = srv->static_tokens ? srv->static_tokens : zk_map_new();
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *fields[4] = {0};
        int nf = 0;
        char *p = line;
        while (nf < 4 && p) {
            if (*p == '"') {
                char *end = strchr(p + 1, '"');
                if (!end)
                    break;
                *end = '\0';
                fields[nf++] = p + 1;
                p = end + 1;
                p = *p == ',' ? p + 1 : NULL;
            } else {
                char *comma = strchr(p, ',');
                if (comma)
                    *comma = '\0';
                fields[nf++] = p;
                p = comma ? comma + 1 : NULL;
            }
        }
        if (nf < 3 || !fields[0][0] || !fields[1][0]) {
            fclose(f);
            return zk_err_set(err, ZK_EINVAL, "token file %s line %d: want token,user,uid[,groups]",
                              path, lineno);
        }
        zk_user *u = zk_xcalloc(1, sizeof(*u));
        u->name = zk_xstrdup(fields[1]);
        u->uid = zk_xstrdup(fields[2]);
        if (nf == 4 && fields[3][0]) {
            char *g = fields[3];
            while (g) {
                char *comma = strchr(g, ',');
                if (comma)
                    *comma = '\0';
                if (*g)
                    zk_apis_user_add_group(u, g);
                g = comma ? comma + 1 : NULL;
            }
        }
        zk_user *old = zk_map_put(srv->static_tokens, fields[0], u);
        if (old) {
            zk_apis_user_free(old);
            free(old);
        }
    }
    fclose(f);
    return 0;
}

/* ---- ServiceAccount tokens ---- */

static EVP_PKEY *zk__sa_pub(zk_apiserver *srv)
{
    static EVP_PKEY *pub;
    if (!pub) {
        zk_err err = {0};
        if (zk_net_pki_load_pubkey(srv->sa_pub_file, &pub, &err) < 0)
            zk_error("service account public key: %s", err.msg);
    }
    return pub;
}

/* A JWT we issued, for a ServiceAccount that still exists. */
static bool zk__sa_token_user(zk_apiserver *srv, const char *tok, size_t len, zk_user *u)
{
    EVP_PKEY *pub = zk__sa_pub(srv);
    if (!pub)
        return false;
    const char *iss[1] = {srv->issuer};
    zk_net_jwt_verify_opts opts = {.issuers = iss, .nissuers = 1};
    json_t *claims = NULL;
    zk_err err = {0};
    if (zk_net_jwt_verify(tok, len, pub, &opts, &claims, &err) < 0)
        return false;
    bool ok = false;
    json_t *k8s = json_object_get(claims, "kubernetes.io");
    const char *ns = zk_json_str(k8s, "namespace");
    const char *name = zk_json_path_str(k8s, "serviceaccount", "name", NULL);
    const char *uid = zk_json_path_str(k8s, "serviceaccount", "uid", NULL);
    if (ns && name) {
        const zk_kind *sak = zk_kinds_find("", "v1", "serviceaccounts");
        zk_obj *sa = zk_storage_get_obj(zk_apis_storage(srv, sak), ns, name);
        if (sa && (!uid || !strcmp(uid, sa->uid))) {
            u->name = zk_xasprintf("system:serviceaccount:%s:%s", ns, name);
            u->uid = zk_xstrdup(sa->uid);
            zk_apis_user_add_group(u, "system:serviceaccounts");
            char g[300];
            snprintf(g, sizeof(g), "system:serviceaccounts:%s", ns);
            zk_apis_user_add_group(u, g);
            ok = true;
        }
    }
    json_decref(claims);
    return ok;
}

bool zk_apis_token_user(zk_apiserver *srv, const char *tok, size_t len, zk_user *u)
{
    if (len == 0 || len > 16384)
        return false;
    if (srv->static_tokens) {
        char key[512];
        if (len < sizeof(key)) {
            memcpy(key, tok, len);
            key[len] = '\0';
            zk_user *su = zk_map_get(srv->static_tokens, key);
            if (su) {
                zk__user_copy(u, su);
                return true;
            }
        }
    }
    if (zk_apis_bootstrap_token_user(srv, tok, len, u))
        return true;
    return zk__sa_token_user(srv, tok, len, u);
}

/* ---- RBAC source over the in-memory objects ---- */

typedef struct zk__parsed {
    int64_t rev;
    json_t *doc;
} zk__parsed;

static zk_map *zk__rbac_cache;

static const json_t *zk__parsed_obj(const char *storage, const zk_obj *o)
{
    if (!zk__rbac_cache)
        zk__rbac_cache = zk_map_new();
    char key[700];
    snprintf(key, sizeof(key), "%s/%s/%s", storage, o->ns, o->name);
    zk__parsed *p = zk_map_get(zk__rbac_cache, key);
    if (p && p->rev == o->rev)
        return p->doc;
    if (!p) {
        p = zk_xcalloc(1, sizeof(*p));
        zk_map_put(zk__rbac_cache, key, p);
    } else {
        json_decref(p->doc);
    }
    p->rev = o->rev;
    p->doc = zk_obj_parse(o);
    return p->doc;
}

static void zk__each_in(zk_apiserver *srv, const char *storage, const char *ns,
                        int (*fn)(void *arg, const json_t *obj), void *arg)
{
    zk_storage *st = zk_storage_get(srv->storages, storage, false);
    if (!st)
        return;
    zk_entry **ents;
    char **keys;
    size_t n;
    zk_storage_sorted(st, &ents, &keys, &n);
    for (size_t i = 0; i < n; i++) {
        zk_obj *o = ents[i]->cur;
        if (ns && strcmp(o->ns, ns))
            continue;
        if (fn(arg, zk__parsed_obj(storage, o)))
            return;
    }
}

static void zk__each_crb(void *ctx, int (*fn)(void *arg, const json_t *obj), void *arg)
{
    zk__each_in(ctx, "rbac/clusterrolebindings", NULL, fn, arg);
}

static void zk__each_rb(void *ctx, const char *ns, int (*fn)(void *arg, const json_t *obj),
                        void *arg)
{
    zk__each_in(ctx, "rbac/rolebindings", ns, fn, arg);
}

static const json_t *zk__get_in(zk_apiserver *srv, const char *storage, const char *ns,
                                const char *name)
{
    zk_storage *st = zk_storage_get(srv->storages, storage, false);
    zk_obj *o = zk_storage_get_obj(st, ns, name);
    return o ? zk__parsed_obj(storage, o) : NULL;
}

static const json_t *zk__get_cr(void *ctx, const char *name)
{
    return zk__get_in(ctx, "rbac/clusterroles", "", name);
}

static const json_t *zk__get_role(void *ctx, const char *ns, const char *name)
{
    return zk__get_in(ctx, "rbac/roles", ns, name);
}

static void zk__rbac_source(zk_apiserver *srv, zk_rbac_source *src)
{
    src->ctx = srv;
    src->each_cluster_role_binding = zk__each_crb;
    src->each_role_binding = zk__each_rb;
    src->get_cluster_role = zk__get_cr;
    src->get_role = zk__get_role;
}

static void zk__user_info(const zk_user *u, zk_user_info *ui)
{
    ui->name = u->name;
    ui->uid = u->uid;
    ui->groups = (const char *const *)u->groups;
    ui->ngroups = u->ngroups;
}

bool zk_apis_allowed(zk_apiserver *srv, const zk_user *u, const zk_authz_attrs *a, char *reason,
                     size_t n)
{
    if (u->admin) {
        if (reason)
            snprintf(reason, n, "allowed: member of system:masters");
        return true;
    }
    zk_rbac_source src;
    zk__rbac_source(srv, &src);
    zk_user_info ui;
    zk__user_info(u, &ui);
    char tmp[512];
    return zk_apis_rbac_allowed(&src, &ui, a, reason ? reason : tmp, reason ? n : sizeof(tmp));
}

json_t *zk_apis_rules_for(zk_apiserver *srv, const zk_user *u, const char *ns)
{
    zk_rbac_source src;
    zk__rbac_source(srv, &src);
    zk_user_info ui;
    zk__user_info(u, &ui);
    return zk_apis_rbac_rules_for(&src, &ui, ns);
}

/* ---- the request ---- */

static int zk__unauthorized(zk_call *c)
{
    zk_apis_status(c->req, 401, "Unauthorized", "Unauthorized", NULL);
    return -1;
}

static bool zk__public_path(const char *path)
{
    return !strcmp(path, "/healthz") || !strcmp(path, "/livez") || !strcmp(path, "/readyz") ||
           !strcmp(path, "/version") || !strcmp(path, "/zke/v1/ca") ||
           !strncmp(path, "/healthz/", 9) ||
           !strncmp(path, "/livez/", 7) || !strncmp(path, "/readyz/", 8);
}

static int zk__impersonate(zk_call *c)
{
    h2o_req_t *req = c->req;
    size_t ulen = 0;
    const char *iu = zk_http_header(req, "impersonate-user", &ulen);
    bool any_group = h2o_find_header_by_str(&req->headers, H2O_STRLIT("impersonate-group"), -1) >= 0;
    if (!iu && !any_group)
        return 0;
    if (!iu) {
        zk_apis_status(req, 400, "BadRequest",
                       "requested [Impersonate-Group] without impersonating a user", NULL);
        return -1;
    }
    zk_user nu = {0};
    nu.name = zk_xstrndup(iu, ulen);
    char reason[512];
    /* may the caller impersonate this user (or service account)? */
    zk_authz_attrs a = {.verb = "impersonate", .resource_request = true, .api_group = "",
                        .resource = "users", .name = nu.name, .ns = "", .subresource = ""};
    char sa_ns[256], sa_name[256];
    bool is_sa = sscanf(nu.name, "system:serviceaccount:%255[^:]:%255s", sa_ns, sa_name) == 2;
    if (is_sa) {
        a.resource = "serviceaccounts";
        a.ns = sa_ns;
        a.name = sa_name;
    }
    if (!zk_apis_allowed(c->srv, &c->user, &a, reason, sizeof(reason))) {
        zk_apis_status_fmt(req, 403, "Forbidden",
                           "users \"%s\" is forbidden: User \"%s\" cannot impersonate resource "
                           "\"%s\" in API group \"\" at the cluster scope",
                           nu.name, c->user.name, a.resource);
        zk_apis_user_free(&nu);
        return -1;
    }
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("impersonate-group"), i)) >= 0;) {
        char g[512];
        snprintf(g, sizeof(g), "%.*s", (int)req->headers.entries[i].value.len,
                 req->headers.entries[i].value.base);
        zk_authz_attrs ga = {.verb = "impersonate", .resource_request = true, .api_group = "",
                             .resource = "groups", .name = g, .ns = "", .subresource = ""};
        if (!zk_apis_allowed(c->srv, &c->user, &ga, reason, sizeof(reason))) {
            zk_apis_status_fmt(req, 403, "Forbidden",
                               "groups \"%s\" is forbidden: User \"%s\" cannot impersonate "
                               "resource \"groups\" in API group \"\" at the cluster scope",
                               g, c->user.name);
            zk_apis_user_free(&nu);
            return -1;
        }
        zk_apis_user_add_group(&nu, g);
    }
    if (is_sa) {
        zk_apis_user_add_group(&nu, "system:serviceaccounts");
        char g[300];
        snprintf(g, sizeof(g), "system:serviceaccounts:%s", sa_ns);
        zk_apis_user_add_group(&nu, g);
    }
    zk_apis_user_add_group(&nu, "system:authenticated");
    zk_apis_user_free(&c->user);
    c->user = nu;
    return 0;
}

int zk_apis_authenticate(zk_call *c)
{
    h2o_req_t *req = c->req;
    char *user = NULL;
    char **groups = NULL;
    size_t ngroups = 0;
    size_t alen = 0;
    const char *auth = zk_http_header(req, "authorization", &alen);
    if (auth && alen > 7 && !strncasecmp(auth, "Bearer ", 7)) {
        const char *tok = auth + 7;
        size_t tlen = alen - 7;
        while (tlen && *tok == ' ') {
            tok++;
            tlen--;
        }
        if (!zk_apis_token_user(c->srv, tok, tlen, &c->user))
            return zk__unauthorized(c);
    } else if (zk_http_peer_identity(req, &user, &groups, &ngroups)) {
        c->user.name = user;
        for (size_t i = 0; i < ngroups; i++)
            zk_apis_user_add_group(&c->user, groups[i]);
        zk_http_peer_identity_free(NULL, groups, ngroups);
    } else if (zk__public_path(c->ri.path)) {
        c->user.name = zk_xstrdup("system:anonymous");
        zk_apis_user_add_group(&c->user, "system:unauthenticated");
        return 0;
    } else {
        return zk__unauthorized(c);
    }
    zk_apis_user_add_group(&c->user, "system:authenticated");
    return zk__impersonate(c);
}

bool zk_apis_authorize(zk_call *c)
{
    if (!strcmp(c->user.name, "system:anonymous"))
        return true; /* only public paths get here unauthenticated */
    if (!zk_apis_node_authorize(c))
        return false;
    zk_authz_attrs a = {
        .verb = c->ri.verb, .resource_request = c->ri.resource_request,
        .api_group = c->ri.group, .resource = c->ri.resource, .subresource = c->ri.subresource,
        .ns = c->ri.ns, .name = c->ri.name, .path = c->ri.path,
    };
    /* the namespace object itself is cluster-scoped for authorization */
    if (c->ri.resource_request && !strcmp(c->ri.resource, "namespaces") && !c->ri.group[0])
        a.ns = c->ri.name[0] ? c->ri.name : "";
    char reason[512] = "";
    if (zk_apis_allowed(c->srv, &c->user, &a, reason, sizeof(reason)))
        return true;
    char msg[2048];
    if (c->ri.resource_request) {
        char res[256];
        if (c->ri.subresource[0])
            snprintf(res, sizeof(res), "%s/%s", c->ri.resource, c->ri.subresource);
        else
            snprintf(res, sizeof(res), "%s", c->ri.resource);
        char target[600];
        if (c->ri.name[0])
            snprintf(target, sizeof(target), "%s%s%s \"%s\"", c->ri.resource,
                     c->ri.group[0] ? "." : "", c->ri.group, c->ri.name);
        else
            snprintf(target, sizeof(target), "%s%s%s", c->ri.resource, c->ri.group[0] ? "." : "",
                     c->ri.group);
        char scope[300];
        if (c->ri.ns[0] && strcmp(c->ri.resource, "namespaces"))
            snprintf(scope, sizeof(scope), "in the namespace \"%s\"", c->ri.ns);
        else
            snprintf(scope, sizeof(scope), "at the cluster scope");
        snprintf(msg, sizeof(msg),
                 "%s is forbidden: User \"%s\" cannot %s resource \"%s\" in API group \"%s\" %s",
                 target, c->user.name, c->ri.verb, res, c->ri.group, scope);
        json_t *d = json_pack("{s:s,s:s,s:s}", "name", c->ri.name, "group", c->ri.group, "kind",
                              c->ri.resource);
        zk_apis_status(c->req, 403, "Forbidden", msg, d);
    } else {
        snprintf(msg, sizeof(msg), "forbidden: User \"%s\" cannot %s path \"%s\"", c->user.name,
                 c->ri.verb, c->ri.path);
        zk_apis_status(c->req, 403, "Forbidden", msg, NULL);
    }
    return false;
}
