/* Calling admission webhooks from the write path, as kube-apiserver does:
 * the webhooks of MutatingWebhookConfigurations, then (after validation)
 * those of ValidatingWebhookConfigurations. admission/hooks.h decides which
 * webhooks a write concerns and reads their answers; this file calls them
 * (zk_h1c, HTTPS, the caBundle's CA) and carries the write on.
 *
 * - Mutating webhooks run one after another, in configuration-name order
 *   and then in their order, each seeing the object as the last one left
 *   it. Those with reinvocationPolicy IfNeeded that saw an object a later
 *   one changed run once more.
 * - Validating webhooks run one after another too (kube-apiserver runs
 *   them in parallel; the outcome is the same, the latency the sum).
 * - A refusal answers the call with the webhook's Status. A webhook that
 *   cannot be called, times out (timeoutSeconds, default 10) or answers
 *   nonsense fails the write (500) under failurePolicy Fail and is skipped
 *   under Ignore. A dry-run write is refused (400) if a webhook it concerns
 *   may have side effects (sideEffects not None or NoneOnDryRun).
 * - Warnings of the webhooks go to the client as Warning headers.
 * - clientConfig.service is reached at a ready endpoint of the Service
 *   (the port its EndpointSlices give the Service port), with the
 *   certificate checked for <name>.<namespace>.svc.
 * Writes with no webhook concerned go on at once, without a copy. */
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/hooks.h"
#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "net/h1client.h"

#define ZK_WH_CLIENTS_MAX 128
#define ZK_WH_BODY_MAX (8u << 20)

/* The parsed webhooks of one phase, shared by the runs that use them. */
typedef struct zk__hookset {
    int refs;
    zk_adm_hook *v;
    size_t n;
    char *fingerprint;         /* names and revisions of the configurations */
} zk__hookset;

struct zk_apis_webhooks {
    zk__hookset *sets[2];      /* [0] validating, [1] mutating */
    zk_map *clients;           /* "url|server name|ca" -> zk__client */
};

typedef struct zk__client {
    zk_h1c *h1;
    SSL_CTX *ctx;
} zk__client;

static void zk__hookset_unref(zk__hookset *s)
{
    if (s && --s->refs == 0) {
        zk_adm_hooks_free(s->v, s->n);
        free(s->fingerprint);
        free(s);
    }
}

static int zk__by_name(const void *a, const void *b)
{
    return strcmp(zk_json_path_str(*(json_t *const *)a, "metadata", "name", NULL) ?: "",
                  zk_json_path_str(*(json_t *const *)b, "metadata", "name", NULL) ?: "");
}

/* The webhooks of a phase as the store has them now: the cached set when
 * no configuration changed. NULL when there are none. */
static zk__hookset *zk__hooks(zk_apiserver *srv, bool mutating)
{
    if (!srv->webhooks)
        srv->webhooks = zk_xcalloc(1, sizeof(*srv->webhooks));
    const zk_kind *k = zk_kinds_find("admissionregistration.k8s.io", "v1",
                                     mutating ? "mutatingwebhookconfigurations"
                                              : "validatingwebhookconfigurations");
    zk_storage *st = k ? zk_apis_storage(srv, k) : NULL;
    zk__hookset **slot = &srv->webhooks->sets[mutating];
    if (!st || zk_map_count(st->entries) == 0) {
        zk__hookset_unref(*slot);
        *slot = NULL;
        return NULL;
    }
    zk_buf fp;
    zk_buf_init(&fp, SIZE_MAX);
    size_t pos = 0, n = 0;
    void *v;
    zk_obj **objs = zk_xcalloc(zk_map_count(st->entries), sizeof(*objs));
    while (zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (!e->latest)
            continue;
        objs[n++] = e->latest;
        zk_buf_printf(&fp, "%s@%lld,", e->latest->name, (long long)e->latest->rev);
    }
    zk_buf_putc(&fp, '\0');
    if (*slot && !strcmp((*slot)->fingerprint, fp.data)) {
        zk_buf_free(&fp);
        free(objs);
        return (*slot)->n ? *slot : NULL;
    }
    json_t **docs = zk_xcalloc(n ? n : 1, sizeof(*docs));
    for (size_t i = 0; i < n; i++)
        docs[i] = zk_obj_parse(objs[i]);
    qsort(docs, n, sizeof(*docs), zk__by_name);
    zk__hookset *s = zk_xcalloc(1, sizeof(*s));
    s->refs = 1;
    for (size_t i = 0; i < n; i++) {
        zk_adm_hooks_parse(docs[i], mutating, &s->v, &s->n);
        json_decref(docs[i]);
    }
    free(docs);
    free(objs);
    s->fingerprint = zk_buf_steal(&fp, NULL);
    zk__hookset_unref(*slot);
    *slot = s;
    return s->n ? s : NULL;
}

/* ---- clients ---- */

static SSL_CTX *zk__tls(const char *ca_pem, char *why, size_t whylen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(why, whylen, "no TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (!ca_pem) {
        SSL_CTX_set_default_verify_paths(ctx);
        return ctx;
    }
    BIO *bio = BIO_new_mem_buf(ca_pem, -1);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    X509 *x;
    while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (X509_STORE_add_cert(store, x) == 1)
            added++;
        X509_free(x);
    }
    BIO_free(bio);
    if (!added) {
        snprintf(why, whylen, "its caBundle holds no PEM certificate");
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static zk_h1c *zk__client_for(zk_apiserver *srv, const char *base, const char *server_name,
                              const char *ca_pem, char *why, size_t whylen)
{
    zk_map *m = srv->webhooks->clients;
    if (!m)
        m = srv->webhooks->clients = zk_map_new();
    zk_autofree char *key = zk_xasprintf("%s|%s|%s", base, server_name ? server_name : "",
                                         ca_pem ? ca_pem : "");
    zk__client *cl = zk_map_get(m, key);
    if (cl)
        return cl->h1;
    if (zk_map_count(m) >= ZK_WH_CLIENTS_MAX) {
        /* a bound: start again (configurations come and go rarely) */
        size_t pos = 0;
        void *v;
        while (zk_map_next(m, &pos, NULL, &v)) {
            zk__client *old = v;
            zk_h1c_free(old->h1);
            SSL_CTX_free(old->ctx);
            free(old);
        }
        zk_map_free(m);
        m = srv->webhooks->clients = zk_map_new();
    }
    SSL_CTX *ctx = zk__tls(ca_pem, why, whylen);
    if (!ctx)
        return NULL;
    zk_err err = {0};
    zk_h1c_opts o = {.url = base, .tls = ctx, .idle_max = 8, .connect_timeout_ms = 10000,
                     .server_name = server_name};
    zk_h1c *h1 = zk_h1c_new(srv->loop, &o, &err);
    if (!h1) {
        snprintf(why, whylen, "%.500s", err.msg);
        SSL_CTX_free(ctx);
        return NULL;
    }
    cl = zk_xcalloc(1, sizeof(*cl));
    cl->h1 = h1;
    cl->ctx = ctx;
    zk_map_put(m, key, cl);
    return h1;
}

/* The client and path for a webhook; NULL with why when it cannot be
 * reached. */
static zk_h1c *zk__target(zk_apiserver *srv, const zk_adm_hook *h, char *path, size_t plen,
                          char *why, size_t whylen)
{
    if (h->url) {
        /* https://host[:port][/path] */
        const char *hs = h->url + 8, *slash = strchr(hs, '/');
        char base[1100];
        snprintf(base, sizeof(base), "%.*s", (int)(slash ? (size_t)(slash - h->url) : strlen(h->url)),
                 h->url);
        snprintf(path, plen, "%s", slash ? slash : "/");
        return zk__client_for(srv, base, NULL, h->ca_pem, why, whylen);
    }
    if (!h->svc_name) {
        snprintf(why, whylen, "its clientConfig has no usable url or service");
        return NULL;
    }
    /* the Service's port, then a ready endpoint on the slices' port of that name */
    const zk_kind *sk = zk_kinds_find("", "v1", "services");
    zk_obj *so = zk_storage_latest(zk_apis_storage(srv, sk), h->svc_ns, h->svc_name);
    if (!so) {
        snprintf(why, whylen, "service \"%s/%s\" not found", h->svc_ns, h->svc_name);
        return NULL;
    }
    zk_autojson json_t *svc = zk_obj_parse(so);
    const char *pname = NULL;
    bool found = false;
    size_t i;
    json_t *p;
    json_array_foreach(zk_json_path(svc, "spec", "ports", NULL), i, p) {
        if (zk_json_int(p, "port", 0) == h->port) {
            pname = zk_json_str(p, "name");
            found = true;
        }
    }
    if (!found) {
        snprintf(why, whylen, "service \"%s/%s\" has no port %d", h->svc_ns, h->svc_name, h->port);
        return NULL;
    }
    const zk_kind *ek = zk_kinds_find("discovery.k8s.io", "v1", "endpointslices");
    zk_storage *es = zk_apis_storage(srv, ek);
    size_t pos = 0;
    void *v;
    char addr[64] = "";
    int port = 0;
    while (!port && zk_map_next(es->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (!e->latest || strcmp(e->latest->ns, h->svc_ns))
            continue;
        zk_autojson json_t *sl = zk_obj_parse(e->latest);
        const char *owner = zk_json_path_str(sl, "metadata", "labels",
                                             "kubernetes.io/service-name", NULL);
        if (!owner || strcmp(owner, h->svc_name))
            continue;
        int sport = 0;
        json_array_foreach(json_object_get(sl, "ports"), i, p) {
            const char *n2 = zk_json_str(p, "name");
            if (!strcmp(n2 ? n2 : "", pname ? pname : ""))
                sport = (int)zk_json_int(p, "port", 0);
        }
        json_t *ep;
        json_array_foreach(json_object_get(sl, "endpoints"), i, ep) {
            json_t *ready = zk_json_path(ep, "conditions", "ready", NULL);
            const char *a = json_string_value(json_array_get(json_object_get(ep, "addresses"), 0));
            if (sport > 0 && a && (!ready || json_is_true(ready))) {
                snprintf(addr, sizeof(addr), "%s", a);
                port = sport;
                break;
            }
        }
    }
    if (!port) {
        snprintf(why, whylen, "service \"%s/%s\" has no ready endpoint for port %d", h->svc_ns,
                 h->svc_name, h->port);
        return NULL;
    }
    char base[128], sname[600];
    snprintf(base, sizeof(base), "https://%s:%d", addr, port);
    snprintf(sname, sizeof(sname), "%s.%s.svc", h->svc_name, h->svc_ns);
    snprintf(path, plen, "%s", h->path ? h->path : "/");
    return zk__client_for(srv, base, sname, h->ca_pem, why, whylen);
}

/* ---- a run: the webhooks of one phase for one write ---- */

typedef struct zk__run {
    zk_call *c;
    bool mutating;
    zk__hookset *set;
    size_t *todo;              /* indexes into set->v of the webhooks concerned */
    size_t ntodo, at;
    unsigned *seen;            /* per todo: the object version it saw (mutating) */
    unsigned version;          /* bumped by each change */
    bool second;               /* the reinvocation pass */
    json_t *doc, *old, *ns_labels, *user, *warnings;
    char *op;
    zk_apis_wh_next next;
    void *ctx;
    char uid[40];
    int http_status;           /* of the answer being read */
    zk_buf body;
} zk__run;

static void zk__run_step(zk__run *r);

static void zk__run_end(zk__run *r, json_t *doc)
{
    zk_call *c = r->c;
    if (c->req && doc) {
        size_t i;
        json_t *w;
        json_array_foreach(r->warnings, i, w) {
            char text[1200];
            snprintf(text, sizeof(text), "299 - \"%.1000s\"", json_string_value(w));
            zk_http_add_header(c->req, "warning", text);
        }
    }
    zk_apis_wh_next next = r->next;
    void *ctx = r->ctx;
    json_decref(r->old);
    json_decref(r->ns_labels);
    json_decref(r->user);
    json_decref(r->warnings);
    free(r->op);
    free(r->todo);
    free(r->seen);
    zk_buf_free(&r->body);
    zk__hookset_unref(r->set);
    free(r);
    next(c, doc, ctx);
    zk_apis_call_unref(c);
}

/* The webhook could not be used: fail the write, or go on (Ignore). */
static void zk__run_failed(zk__run *r, const zk_adm_hook *h, const char *what)
{
    if (h->fail_open) {
        zk_warn("webhook %s (%s): %s; failurePolicy Ignore: going on", h->name, h->config, what);
        r->at++;
        zk__run_step(r);
        return;
    }
    if (r->c->req)
        zk_apis_status_fmt(r->c->req, 500, "InternalError",
                           "Internal error occurred: failed calling webhook \"%s\": %s", h->name,
                           what);
    json_decref(r->doc);
    r->doc = NULL;
    zk__run_end(r, NULL);
}

static void zk__on_head(void *ctx, int status, const zk_h1_header *headers, size_t n)
{
    (void)headers;
    (void)n;
    zk__run *r = ctx;
    zk_buf_reset(&r->body);
    r->http_status = status;
}

static void zk__on_body(void *ctx, const char *p, size_t n)
{
    zk__run *r = ctx;
    zk_buf_append(&r->body, p, n);
}

static void zk__on_done(void *ctx, const char *error)
{
    zk__run *r = ctx;
    const zk_adm_hook *h = &r->set->v[r->todo[r->at]];
    if (error) {
        char what[600];
        snprintf(what, sizeof(what), "failed to call webhook: Post \"%s\": %s",
                 h->url ? h->url : h->svc_name, error);
        zk__run_failed(r, h, what);
        return;
    }
    if (r->http_status != 200) {
        char what[200];
        snprintf(what, sizeof(what), "failed to call webhook: the server answered HTTP %d",
                 r->http_status);
        zk__run_failed(r, h, what);
        return;
    }
    json_t *patched = NULL, *status = NULL;
    char *why = NULL;
    int rc = zk_adm_hook_answer(h, r->uid, r->body.data, r->body.len, r->doc, &patched, &status,
                                r->warnings, &why);
    if (rc < 0) {
        char what[1200];
        snprintf(what, sizeof(what), "received invalid webhook response: %s", why);
        free(why);
        zk__run_failed(r, h, what);
        return;
    }
    if (rc > 0) {
        if (r->c->req) {
            json_t *d = json_object_get(status, "details");
            zk_apis_status(r->c->req, (int)zk_json_int(status, "code", 400),
                           zk_json_str(status, "reason"), zk_json_str(status, "message"),
                           d ? json_incref(d) : NULL);
        }
        json_decref(status);
        json_decref(r->doc);
        r->doc = NULL;
        zk__run_end(r, NULL);
        return;
    }
    if (patched) {
        if (!json_equal(patched, r->doc)) {
            r->version++;
            /* its own change is no reason to call it again: only what
             * later webhooks change is */
            if (r->seen && !r->second)
                r->seen[r->at] = r->version;
        }
        json_decref(r->doc);
        r->doc = patched;
    }
    r->at++;
    zk__run_step(r);
}

static void zk__run_call(zk__run *r, const zk_adm_hook *h)
{
    char path[1100], why[600] = "";
    zk_h1c *h1 = zk__target(r->c->srv, h, path, sizeof(path), why, sizeof(why));
    if (!h1) {
        char what[700];
        snprintf(what, sizeof(what), "failed to call webhook: %s", why);
        zk__run_failed(r, h, what);
        return;
    }
    zk_apis_new_uid(r->uid, sizeof(r->uid));
    zk_adm_attrs a = {0};
    const zk_kind *k = zk_apis_storage_kind(r->c->kind);
    a.group = k->group;
    a.version = k->version;
    a.resource = k->resource;
    a.kind = k->kind;
    a.subresource = r->c->ri.subresource[0] ? r->c->ri.subresource : NULL;
    a.ns = zk_json_path_str(r->doc, "metadata", "namespace", NULL);
    a.name = zk_json_path_str(r->doc, "metadata", "name", NULL);
    a.op = r->op;
    a.obj = r->doc;
    a.old = r->old;
    a.user = r->user;
    a.dry_run = r->c->dry_run;
    json_t *review = zk_adm_hook_review(&a, r->uid);
    char *text = json_dumps(review, JSON_COMPACT);
    json_decref(review);
    zk_buf_reset(&r->body);
    zk_h1c_cb cb = {.head = zk__on_head, .body = zk__on_body, .done = zk__on_done};
    zk_h1c_send(h1, "POST", path, "Content-Type: application/json\r\nAccept: application/json\r\n",
                text, strlen(text), h->timeout_s * 1000, &cb, r);
    free(text);
}

static void zk__run_step(zk__run *r)
{
    if (r->at < r->ntodo) {
        const zk_adm_hook *h = &r->set->v[r->todo[r->at]];
        if (r->seen)
            r->seen[r->at] = r->version;
        zk__run_call(r, h);
        return;
    }
    if (r->mutating && !r->second) {
        /* IfNeeded: those that saw an object changed after them, once more */
        size_t k = 0;
        for (size_t i = 0; i < r->ntodo; i++)
            if (r->set->v[r->todo[i]].reinvoke && r->seen[i] != r->version)
                r->todo[k++] = r->todo[i];
        r->second = true;
        if (k) {
            r->ntodo = k;
            r->at = 0;
            zk__run_step(r);
            return;
        }
    }
    json_t *doc = r->doc;
    r->doc = NULL;
    zk__run_end(r, doc);
}

void zk_apis_webhooks_run(zk_call *c, bool mutating, const char *op, json_t *doc,
                          const json_t *old, zk_apis_wh_next next, void *ctx)
{
    zk__hookset *set = zk__hooks(c->srv, mutating);
    if (!set) {
        next(c, doc, ctx);
        return;
    }
    const zk_kind *k = zk_apis_storage_kind(c->kind);
    const char *ns = zk_json_path_str(doc, "metadata", "namespace", NULL);
    json_t *ns_labels = NULL;
    if (k->namespaced && ns) {
        const zk_kind *nsk = zk_kinds_find("", "v1", "namespaces");
        zk_obj *no = zk_storage_latest(zk_apis_storage(c->srv, nsk), "", ns);
        if (no) {
            json_t *nso = zk_obj_parse(no);
            ns_labels = json_incref(zk_json_path(nso, "metadata", "labels", NULL));
            json_decref(nso);
        }
    }
    zk_adm_attrs a = {.group = k->group, .version = k->version, .resource = k->resource,
                      .kind = k->kind,
                      .subresource = c->ri.subresource[0] ? c->ri.subresource : NULL,
                      .ns = k->namespaced && ns ? ns : "", .op = op, .obj = doc, .old = old,
                      .ns_labels = ns_labels};
    size_t *todo = NULL, ntodo = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (!zk_adm_hook_matches(&set->v[i], &a))
            continue;
        const char *se = zk_json_str(set->v[i].spec, "sideEffects");
        if (c->dry_run && (!se || (strcmp(se, "None") && strcmp(se, "NoneOnDryRun")))) {
            if (c->req)
                zk_apis_status_fmt(c->req, 400, "BadRequest",
                                   "admission webhook \"%s\" does not support dry run",
                                   set->v[i].name);
            free(todo);
            json_decref(ns_labels);
            json_decref(doc);
            next(c, NULL, ctx);
            return;
        }
        todo = zk_xrealloc(todo, (ntodo + 1) * sizeof(*todo));
        todo[ntodo++] = i;
    }
    if (!ntodo) {
        json_decref(ns_labels);
        next(c, doc, ctx);
        return;
    }
    zk__run *r = zk_xcalloc(1, sizeof(*r));
    r->c = zk_apis_call_ref(c);
    r->mutating = mutating;
    r->set = set;
    set->refs++;
    r->todo = todo;
    r->ntodo = ntodo;
    r->seen = mutating ? zk_xcalloc(ntodo, sizeof(*r->seen)) : NULL;
    r->doc = doc;
    r->old = old ? json_deep_copy(old) : NULL;
    r->ns_labels = ns_labels;
    r->op = zk_xstrdup(op);
    r->next = next;
    r->ctx = ctx;
    r->warnings = json_array();
    json_t *groups = json_array();
    for (size_t i = 0; i < c->user.ngroups; i++)
        json_array_append_new(groups, json_string(c->user.groups[i]));
    r->user = json_pack("{s:s,s:s,s:o}", "username", c->user.name ? c->user.name : "", "uid",
                        c->user.uid ? c->user.uid : "", "groups", groups);
    zk_buf_init(&r->body, ZK_WH_BODY_MAX);
    zk__run_step(r);
}
