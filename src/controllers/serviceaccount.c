/* zke controllers: ServiceAccounts and their token Secrets.
 *
 * serviceaccount: every namespace that is not terminating has a ServiceAccount
 * named "default"; it is made again when deleted.
 *
 * serviceaccount-token: a Secret of type kubernetes.io/service-account-token
 * that names an account (annotation kubernetes.io/service-account.name) gets
 * data.token, data["ca.crt"] and data.namespace, and the annotation
 * kubernetes.io/service-account.uid, as Kubernetes' tokens controller fills
 * them. The controller is an API client and holds no signing key: it asks
 * the API for the token (TokenRequest, serviceaccounts/<name>/token, bound to
 * the Secret) and reads the CA from the namespace's kube-root-ca.crt
 * ConfigMap. A TokenRequest token expires (zke caps them at 48 h), so the
 * Secret's token is renewed when a fifth of its life is left, where
 * Kubernetes' legacy tokens never expire. A Secret whose account was deleted
 * (the uid it was filled for no longer exists) is deleted. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "net/jwt.h"

#define SECRET_TYPE "kubernetes.io/service-account-token"
#define ANN_NAME "kubernetes.io/service-account.name"
#define ANN_UID "kubernetes.io/service-account.uid"
#define ROOT_CA_CM "kube-root-ca.crt"
/* asked for; the server may give less (zke: 48 h) */
#define TOKEN_SECONDS (365 * 24 * 3600)
#define CA_RETRY_MS 2000

/* ---- the default account ---- */

typedef struct sa_state {
    zk_ctl *c;
    zk_kube_informer *nss, *sas;
} sa_state;

static void ns_ev(void *ctx, json_t *ns) { zk_ctl_enqueue(((sa_state *)ctx)->c, zk_kube_name(ns)); }
static void ns_upd(void *ctx, json_t *old, json_t *ns) { ns_ev(ctx, ns); }

static void sa_del(void *ctx, json_t *sa)
{
    if (!strcmp(zk_kube_name(sa), "default"))
        zk_ctl_enqueue(((sa_state *)ctx)->c, zk_kube_namespace(sa));
}

static void sa_sync(zk_ctl *c, void *state, const char *key)
{
    sa_state *st = state;
    json_t *ns = zk_kube_informer_get_key(st->nss, key);
    const char *phase = ns ? zk_json_path_str(ns, "status", "phase", NULL) : NULL;
    if (!ns || zk_json_path(ns, "metadata", "deletionTimestamp", NULL) ||
        (phase && !strcmp(phase, "Terminating")) ||
        zk_kube_informer_get(st->sas, key, "default")) {
        zk_ctl_done(c, key, false);
        return;
    }
    zk_autojson json_t *sa = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind",
                                       "ServiceAccount", "metadata", "name", "default",
                                       "namespace", key);
    /* AlreadyExists (the server may make it too) fails the batch quietly;
     * the retry finds it in the cache */
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    zk_ctl_batch_create(b, &zk_kube_serviceaccounts, key, sa);
    zk_ctl_batch_end(b);
}

static void *sa_init(zk_ctl *c)
{
    sa_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->nss = zk_ctl_informer(c, &zk_kube_namespaces);
    st->sas = zk_ctl_informer(c, &zk_kube_serviceaccounts);
    zk_kube_handler hn = {.add = ns_ev, .update = ns_upd, .ctx = st};
    zk_kube_informer_on(st->nss, &hn);
    zk_kube_handler hs = {.del = sa_del, .ctx = st};
    zk_kube_informer_on(st->sas, &hs);
    return st;
}

const zk_ctl_def zk_ctl_serviceaccount = {
    .name = "serviceaccount", .workers = 2, .init = sa_init, .sync = sa_sync, .free = free};

/* ---- token Secrets ---- */

static char *b64_encode(const char *s, size_t n)
{
    char *out = zk_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

/* Standard base64 (as Secret data is) to a new NUL-terminated string, or
 * NULL when it is not base64. */
static char *b64_decode(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n % 4 || n > (1u << 20))
        return NULL;
    unsigned char *out = zk_xmalloc(n / 4 * 3 + 1);
    int m = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (m < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the bytes the padding stands for */
    if (s[n - 1] == '=')
        m--;
    if (s[n - 2] == '=')
        m--;
    out[m] = '\0';
    return (char *)out;
}

int zk_ctl_token_times(const char *jwt, const char *sa_uid, int64_t *iat, int64_t *exp)
{
    const char *dot1 = strchr(jwt, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2)
        return -1;
    zk_buf b;
    zk_buf_init(&b, 64 * 1024);
    zk_err err = {0};
    int rc = -1;
    json_t *claims = NULL;
    if (zk_net_jwt_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &b, &err) == 0 && b.data &&
        zk_json_decode(b.data, b.len, &claims, &err) == 0) {
        const char *uid = zk_json_path_str(claims, "kubernetes.io", "serviceaccount", "uid", NULL);
        json_t *e = json_object_get(claims, "exp"), *i = json_object_get(claims, "iat");
        if ((!sa_uid || (uid && !strcmp(uid, sa_uid))) && json_is_integer(e)) {
            *exp = json_integer_value(e);
            *iat = json_is_integer(i) ? json_integer_value(i) : 0;
            rc = 0;
        }
    }
    if (claims)
        json_decref(claims);
    zk_buf_free(&b);
    return rc;
}

int64_t zk_ctl_token_refresh_at(int64_t iat, int64_t exp)
{
    if (iat <= 0 || iat >= exp)
        return exp - 600;
    return exp - (exp - iat) / 5;
}

/* What a sync learned from the API, kept for the next sync of its key. */
typedef struct tok_pending {
    char *secret_uid, *sa_uid;
    char *token;           /* NULL until the TokenRequest answered */
    char *ca;              /* NULL when the namespace has no root CA ConfigMap */
    bool asked;            /* the requests went out */
} tok_pending;

typedef struct tok_state {
    zk_ctl *c;
    zk_kube_informer *secrets, *sas;
    zk_map *pending;       /* secret key -> tok_pending */
} tok_state;

typedef struct tok_call {
    tok_state *st;
    zk_ctl_batch *b;
    char *key;
    bool is_token;
} tok_call;

static void pending_free(tok_pending *p)
{
    if (!p)
        return;
    free(p->secret_uid);
    free(p->sa_uid);
    free(p->token);
    free(p->ca);
    free(p);
}

static void pending_drop(tok_state *st, const char *key)
{
    pending_free(zk_map_del(st->pending, key));
}

static bool is_token_secret(const json_t *s)
{
    const char *t = zk_json_str(s, "type");
    return t && !strcmp(t, SECRET_TYPE);
}

static void secret_ev(void *ctx, json_t *s)
{
    if (is_token_secret(s))
        zk_ctl_enqueue_obj(((tok_state *)ctx)->c, s);
}

static void secret_upd(void *ctx, json_t *old, json_t *s) { secret_ev(ctx, s); }

/* An account came, changed or went: its token Secrets follow. */
static void account_ev(void *ctx, json_t *sa)
{
    tok_state *st = ctx;
    json_t **list = NULL;
    size_t n = zk_kube_informer_by_index(st->secrets, "namespace", zk_kube_namespace(sa), &list);
    for (size_t i = 0; i < n; i++) {
        const char *name = zk_json_path_str(list[i], "metadata", "annotations", ANN_NAME, NULL);
        if (is_token_secret(list[i]) && name && !strcmp(name, zk_kube_name(sa)))
            zk_ctl_enqueue_obj(st->c, list[i]);
    }
    free(list);
}

static void account_upd(void *ctx, json_t *old, json_t *sa)
{
    if (strcmp(zk_kube_uid(old), zk_kube_uid(sa)))
        account_ev(ctx, sa);
}

static void on_answer(void *ctx, const zk_kube_result *r)
{
    tok_call *call = ctx;
    tok_pending *p = zk_map_get(call->st->pending, call->key);
    if (call->is_token) {
        const char *tok = zk_json_path_str(r->body, "status", "token", NULL);
        if (r->status >= 200 && r->status < 300 && tok && p) {
            free(p->token);
            p->token = zk_xstrdup(tok);
        } else {
            zk_warn("serviceaccount-token: %s: token request: %d %s", call->key, r->status,
                    r->error ? r->error : "");
            zk_ctl_batch_fail(call->b);
        }
    } else {
        const char *ca = zk_json_path_str(r->body, "data", "ca.crt", NULL);
        if (r->status == 200 && ca && p) {
            free(p->ca);
            p->ca = zk_xstrdup(ca);
        } else if (r->status != 404) {
            zk_ctl_batch_fail(call->b);
        }
    }
    free(call->key);
    free(call);
}

static void ask(tok_state *st, zk_ctl_batch *b, const char *key, const char *method,
                const char *path, const json_t *body, bool is_token)
{
    tok_call *call = zk_xcalloc(1, sizeof(*call));
    call->st = st;
    call->b = b;
    call->key = zk_xstrdup(key);
    call->is_token = is_token;
    zk_ctl_batch_request(b, method, path, body, on_answer, call);
}

/* Does the secret hold a token of this account that needs no renewal yet?
 * *refresh is when it will. */
static bool token_good(const json_t *secret, const json_t *sa, int64_t now, int64_t *refresh)
{
    json_t *data = json_object_get(secret, "data");
    const char *t = zk_json_str(data, "token");
    const char *nsd = zk_json_str(data, "namespace");
    const char *uid = zk_json_path_str(secret, "metadata", "annotations", ANN_UID, NULL);
    if (!t || !nsd || !uid || strcmp(uid, zk_kube_uid(sa)))
        return false;
    zk_autofree char *jwt = b64_decode(t);
    int64_t iat = 0, exp = 0;
    if (!jwt || zk_ctl_token_times(jwt, zk_kube_uid(sa), &iat, &exp) < 0)
        return false;
    *refresh = zk_ctl_token_refresh_at(iat, exp);
    return now < *refresh;
}

static void tok_sync(zk_ctl *c, void *state, const char *key)
{
    tok_state *st = state;
    json_t *secret = zk_kube_informer_get_key(st->secrets, key);
    if (!secret || !is_token_secret(secret) ||
        zk_json_path(secret, "metadata", "deletionTimestamp", NULL)) {
        pending_drop(st, key);
        zk_ctl_done(c, key, false);
        return;
    }
    const char *ns = zk_kube_namespace(secret);
    const char *name = zk_json_path_str(secret, "metadata", "annotations", ANN_NAME, NULL);
    const char *filled_for = zk_json_path_str(secret, "metadata", "annotations", ANN_UID, NULL);
    json_t *sa = name ? zk_kube_informer_get(st->sas, ns, name) : NULL;
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    if (!name) {
        /* names no account: nothing to fill */
    } else if (!sa || (filled_for && strcmp(filled_for, zk_kube_uid(sa)))) {
        /* The account it was filled for is gone: so is its token. A Secret
         * made before its account waits for the account instead. */
        if (filled_for) {
            zk_ctl_event(c, secret, "Normal", "TokenInvalidated",
                         "service account %s/%s (uid %s) no longer exists", ns, name, filled_for);
            zk_ctl_batch_delete(b, &zk_kube_secrets, ns, zk_kube_name(secret),
                                zk_kube_uid(secret), NULL);
        }
        pending_drop(st, key);
    } else {
        int64_t now = zk_wall_s(), refresh = 0;
        tok_pending *p = zk_map_get(st->pending, key);
        if (p && (strcmp(p->secret_uid, zk_kube_uid(secret)) ||
                  strcmp(p->sa_uid, zk_kube_uid(sa)))) {
            pending_drop(st, key);
            p = NULL;
        }
        bool need_token = !token_good(secret, sa, now, &refresh);
        bool need_ca = !zk_json_path_str(secret, "data", "ca.crt", NULL);
        if (!need_token && !need_ca) {
            pending_drop(st, key);
            uint64_t wait = refresh > now ? (uint64_t)(refresh - now) * 1000 : 1000;
            zk_ctl_batch_requeue_after(b, wait);
        } else if (p && p->asked && (p->token || !need_token)) {
            /* second step: write what the API gave */
            zk_autojson json_t *s = json_deep_copy(secret);
            json_t *data = json_object_get(s, "data");
            if (!json_is_object(data)) {
                data = json_object();
                json_object_set_new(s, "data", data);
            }
            if (need_token) {
                zk_autofree char *t64 = b64_encode(p->token, strlen(p->token));
                zk_autofree char *ns64 = b64_encode(ns, strlen(ns));
                zk_json_set_str(data, "token", t64);
                zk_json_set_str(data, "namespace", ns64);
                zk_json_set_str(zk_json_path_obj(s, "metadata", "annotations", NULL), ANN_UID,
                                zk_kube_uid(sa));
            }
            if (p->ca) {
                zk_autofree char *ca64 = b64_encode(p->ca, strlen(p->ca));
                zk_json_set_str(data, "ca.crt", ca64);
            } else if (need_ca) {
                /* the namespace's root CA is not published yet (a new
                 * namespace): look again in a while */
                zk_ctl_batch_requeue_after(b, CA_RETRY_MS);
            }
            if (need_token || p->ca)
                zk_ctl_batch_update(b, &zk_kube_secrets, s, NULL);
            pending_drop(st, key);
        } else {
            /* first step: ask the API for a token bound to this Secret (when
             * it needs one), and for the CA */
            if (!p) {
                p = zk_xcalloc(1, sizeof(*p));
                p->secret_uid = zk_xstrdup(zk_kube_uid(secret));
                p->sa_uid = zk_xstrdup(zk_kube_uid(sa));
                zk_map_put(st->pending, key, p);
            }
            p->asked = true;
            char path[1024];
            if (need_token) {
                zk_kube_path(path, sizeof(path), &zk_kube_serviceaccounts, ns, name, "token",
                             NULL);
                zk_autojson json_t *tr = json_pack(
                    "{s:s,s:s,s:{s:I,s:{s:s,s:s,s:s,s:s}}}", "apiVersion",
                    "authentication.k8s.io/v1", "kind", "TokenRequest", "spec",
                    "expirationSeconds", (json_int_t)TOKEN_SECONDS, "boundObjectRef",
                    "apiVersion", "v1", "kind", "Secret", "name", zk_kube_name(secret), "uid",
                    zk_kube_uid(secret));
                ask(st, b, key, "POST", path, tr, true);
            }
            zk_kube_path(path, sizeof(path), &zk_kube_configmaps, ns, ROOT_CA_CM, NULL, NULL);
            ask(st, b, key, "GET", path, NULL, false);
            zk_ctl_batch_requeue_after(b, 1);
        }
    }
    zk_ctl_batch_end(b);
}

static void tok_free(void *state)
{
    tok_state *st = state;
    size_t pos = 0;
    void *v;
    while (zk_map_next(st->pending, &pos, NULL, &v))
        pending_free(v);
    zk_map_free(st->pending);
    free(st);
}

static void *tok_init(zk_ctl *c)
{
    tok_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->pending = zk_map_new();
    st->secrets = zk_ctl_informer(c, &zk_kube_secrets);
    st->sas = zk_ctl_informer(c, &zk_kube_serviceaccounts);
    zk_kube_handler hs = {.add = secret_ev, .update = secret_upd, .ctx = st};
    zk_kube_informer_on(st->secrets, &hs);
    zk_kube_handler ha = {.add = account_ev, .update = account_upd, .del = account_ev, .ctx = st};
    zk_kube_informer_on(st->sas, &ha);
    return st;
}

const zk_ctl_def zk_ctl_serviceaccount_token = {.name = "serviceaccount-token",
                                                .workers = 2,
                                                .init = tok_init,
                                                .sync = tok_sync,
                                                .free = tok_free};
