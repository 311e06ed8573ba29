/* The resource verbs: get, list, create, update, patch, delete and
 * deletecollection, over the in-memory objects and the commit path. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "base/yaml.h"
#include "kube/fielderr.h"
#include "kube/patch.h"
#include "kube/protobuf.h"
#include "kube/schema.h"
#include "kube/structural.h"
#include "kube/defaults.h"
#include "kube/validate.h"

const char *zk_apis_storage_name(const zk_kind *k)
{
    return k->storage;
}

void zk_apis_set_rv(json_t *doc, int64_t rev)
{
    json_t *meta = zk_json_path_obj(doc, "metadata", NULL);
    char rv[24];
    zk_str_i64(rv, rev);
    zk_json_set_str(meta, "resourceVersion", rv);
}

/* Random bytes from OpenSSL's generator, fetched a few hundred at a time:
 * each RAND_bytes() call costs several thousand instructions of provider
 * machinery, the bytes themselves little. */
static void zk__random(unsigned char *out, size_t n)
{
    static __thread unsigned char pool[512];
    static __thread size_t left;
    while (n) {
        if (!left) {
            if (RAND_bytes(pool, sizeof(pool)) != 1)
                abort();
            left = sizeof(pool);
        }
        size_t k = n < left ? n : left;
        memcpy(out, pool + sizeof(pool) - left, k);
        /* handed out once: forget them */
        memset(pool + sizeof(pool) - left, 0, k);
        left -= k;
        out += k;
        n -= k;
    }
}

void zk_apis_new_uid(char *out, size_t n)
{
    unsigned char b[16];
    zk__random(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char s[37];
    zk_str_hex(s, b, 4);
    s[8] = '-';
    zk_str_hex(s + 9, b + 4, 2);
    s[13] = '-';
    zk_str_hex(s + 14, b + 6, 2);
    s[18] = '-';
    zk_str_hex(s + 19, b + 8, 2);
    s[23] = '-';
    zk_str_hex(s + 24, b + 10, 6);
    s[36] = '\0';
    zk_str_concat(out, n, s, NULL);
}

static void zk__random_suffix(char *out, size_t n)
{
    /* the alphabet Kubernetes uses for generateName: no vowels, no 0/1/3 */
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    unsigned char b[5];
    zk__random(b, sizeof(b));
    size_t i;
    for (i = 0; i < 5 && i + 1 < n; i++)
        out[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
    out[i] = '\0';
}

/* ---------------------------------------------------------------- output */

json_t *zk_apis_obj_for_kind(const zk_kind *k, const zk_obj *o)
{
    json_t *doc = zk_obj_parse(o);
    return zk_apis_convert(k, doc);
}

/* Send one object as the kind the client asked for (or as a Table). */
void zk_apis_respond_obj(zk_call *c, int code, const zk_obj *o)
{
    if (!c->req)
        return;
    if (c->scale_reply) {
        json_t *s = zk_apis_scale_reply(c, o);
        zk_apis_respond_json(c->req, code, s);
        json_decref(s);
        return;
    }
    if (c->status_reply) {
        json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                               "metadata", "status", "Success", "code", 201);
        zk_apis_respond_json(c->req, 201, st);
        json_decref(st);
        return;
    }
    if (c->table) {
        const zk_obj *one[1] = {o};
        char rv[32];
        snprintf(rv, sizeof(rv), "%lld", (long long)o->rev);
        json_t *t = zk_apis_table(c->kind, one, 1, rv, NULL, zk_apis_include_object(c));
        zk_apis_respond_json(c->req, code, t);
        json_decref(t);
        return;
    }
    if (zk_apis_kind_is_storage_version(c->kind)) {
        zk_http_respond(c->req, code, "application/json", o->json, o->len);
        return;
    }
    json_t *doc = zk_apis_obj_for_kind(c->kind, o);
    zk_apis_respond_json(c->req, code, doc);
    json_decref(doc);
}


/* ------------------------------------------------------------------ body */

json_t *zk_apis_read_body(zk_call *c)
{
    h2o_req_t *req = c->req;
    if (req->entity.len > ZK_MAX_BODY) {
        zk_apis_status_fmt(req, 413, "RequestEntityTooLarge",
                           "Request entity too large: limit is %u", ZK_MAX_BODY);
        return NULL;
    }
    if (req->entity.base == NULL || req->entity.len == 0) {
        zk_apis_status(req, 400, "BadRequest", "the request body is empty", NULL);
        return NULL;
    }
    size_t ctlen = 0;
    const char *ct = zk_http_header(req, "content-type", &ctlen);
    char ctype[128] = "application/json";
    if (ct) {
        size_t n = ctlen < sizeof(ctype) - 1 ? ctlen : sizeof(ctype) - 1;
        memcpy(ctype, ct, n);
        ctype[n] = '\0';
        char *semi = strchr(ctype, ';');
        if (semi)
            *semi = '\0';
    }
    json_t *doc = NULL;
    zk_err err = {0};
    int rc;
    if (!strcmp(ctype, "application/json") || !strcmp(ctype, "*/*") || !ctype[0]) {
        rc = zk_json_decode(req->entity.base, req->entity.len, &doc, &err);
    } else if (!strcmp(ctype, "application/yaml") || !strcmp(ctype, "application/x-yaml") ||
               !strcmp(ctype, "text/yaml")) {
        rc = zk_yaml_decode(req->entity.base, req->entity.len, &doc, &err);
    } else if (!strcmp(ctype, "application/vnd.kubernetes.protobuf")) {
        /* kubectl's typed clients send built-in kinds as protobuf */
        rc = zk_kube_protobuf_decode(req->entity.base, req->entity.len, &doc, &err);
        if (rc == -ZK_EUNSUPPORTED) {
            zk_apis_status_fmt(req, 415, "UnsupportedMediaType", "%s", err.msg);
            return NULL;
        }
    } else {
        zk_apis_status_fmt(req, 415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media "
                           "types include: application/json, application/yaml, "
                           "application/vnd.kubernetes.protobuf");
        return NULL;
    }
    if (rc < 0) {
        zk_apis_status_fmt(req, rc == -ZK_ETOOBIG ? 413 : 400,
                           rc == -ZK_ETOOBIG ? "RequestEntityTooLarge" : "BadRequest",
                           "%s", err.msg);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        zk_apis_status(req, 400, "BadRequest",
                       "the request body must be a JSON or YAML object", NULL);
        return NULL;
    }
    return doc;
}

/* Check apiVersion/kind of a body against the endpoint; fill them in when
 * missing. Answers 400 and returns false on a mismatch. */
bool zk_apis_check_gvk(zk_call *c, json_t *doc, const char *want_kind, const char *want_av)
{
    const zk_kind *k = c->kind;
    char avbuf[256];
    const char *av = want_av ? want_av : zk_kind_api_version(k, avbuf, sizeof(avbuf));
    const char *kind = want_kind ? want_kind : k->kind;
    const char *bav = zk_json_str(doc, "apiVersion");
    const char *bkind = zk_json_str(doc, "kind");
    if (bkind && *bkind && strcmp(bkind, kind)) {
        zk_apis_status_fmt(c->req, 400, "BadRequest",
                           "the kind in the data (%s) does not match the expected kind (%s)", bkind,
                           kind);
        return false;
    }
    if (bav && *bav && strcmp(bav, av)) {
        zk_apis_status_fmt(c->req, 400, "BadRequest",
                           "the API version in the data (%s) does not match the expected API "
                           "version (%s)",
                           bav, av);
        return false;
    }
    zk_json_set_str(doc, "apiVersion", av);
    zk_json_set_str(doc, "kind", kind);
    /* keep apiVersion and kind first, as Kubernetes prints them */
    return true;
}

/* ------------------------------------------------------------- admission */

zk_storage *zk_apis_storage(zk_apiserver *srv, const zk_kind *k)
{
    return zk_storage_get(srv->storages, zk_apis_storage_name(k), true);
}

typedef struct zk__unknown_ctx {
    zk_call *c;
    bool strict;
    zk_field_errors *errs;
    int nwarn;
} zk__unknown_ctx;

static void zk__on_unknown(void *ctx, const char *path)
{
    zk__unknown_ctx *u = ctx;
    if (u->strict) {
        zk_field_errors_add(u->errs, "FieldValueInvalid", "", "unknown field \"%s\"", path);
    } else if (u->nwarn++ < 32 && u->c->req) {
        char w[1200];
        snprintf(w, sizeof(w), "299 - \"unknown field \\\"%s\\\"\"", path);
        zk_http_add_header(u->c->req, "warning", w);
    }
}

static void zk__on_pruned(const char *path, void *ud)
{
    zk__on_unknown(ud, path);
}

/* fieldValidation: Strict rejects unknown fields, Warn (the default) warns,
 * Ignore drops them silently. Returns false when answered. */
static bool zk__field_validation(zk_call *c, json_t *doc)
{
    char fv[32];
    const char *mode = zk_query_get(c->ri.query, "fieldValidation", fv, sizeof(fv));
    if (mode && *mode && strcmp(mode, "Strict") && strcmp(mode, "Warn") && strcmp(mode, "Ignore")) {
        zk_apis_status_fmt(c->req, 400, "BadRequest",
                           "fieldValidation: Unsupported value: \"%s\": supported values: "
                           "\"Ignore\", \"Strict\", \"Warn\"", mode);
        return false;
    }
    const zk_schema_type *t =
        zk_kube_schema_for_kind(c->kind->group, c->kind->version, c->kind->kind);
    if (!t && !c->kind->crd_schema)
        return true;
    zk_field_errors errs;
    zk_field_errors_init(&errs);
    zk__unknown_ctx u = {c, mode && !strcmp(mode, "Strict"), &errs, 0};
    bool ignore = mode && !strcmp(mode, "Ignore");
    if (t) {
        /* unknown fields are dropped, as decoding into the typed struct does;
         * Strict refuses them, Warn says so, Ignore is silent */
        zk_kube_schema_prune(t, doc, ignore ? NULL : zk__on_unknown, &u);
    } else if (ignore) {
        /* custom resources are pruned by their structural schema in admission */
    } else {
        /* custom resources: what pruning would drop is unknown */
        json_t *copy = json_deep_copy(doc);
        zk_kube_structural_prune(c->kind->crd_schema, copy, zk__on_pruned, &u);
        json_decref(copy);
    }
    if (errs.n) {
        zk_autofree char *sum = zk_field_errors_summary(&errs);
        char msg[4096];
        snprintf(msg, sizeof(msg), "%s in version \"%s\" cannot be handled as a %s: strict "
                 "decoding error: %s", c->kind->kind, c->kind->version, c->kind->kind, sum);
        zk_apis_status(c->req, 400, "BadRequest", msg, NULL);
        zk_field_errors_free(&errs);
        return false;
    }
    zk_field_errors_free(&errs);
    return true;
}

void zk_apis_invalid(zk_call *c, const char *name, zk_field_errors *errs)
{
    zk_autofree char *sum = zk_field_errors_summary(errs);
    char *msg = zk_xasprintf("%s%s%s \"%s\" is invalid: %s", c->kind->kind,
                             c->kind->group[0] ? "." : "", c->kind->group, name ? name : "", sum);
    json_t *d = json_pack("{s:s,s:s,s:s,s:o}", "name", name ? name : "", "group", c->kind->group,
                          "kind", c->kind->kind, "causes", zk_field_errors_causes(errs));
    zk_apis_status(c->req, 422, "Invalid", msg, d);
    free(msg);
}

/* Defaults and validation for an object about to be written. Returns false
 * when it answered 422. */
bool zk_apis_admit(zk_call *c, json_t *obj, const json_t *old)
{
    const zk_kind *k = zk_apis_storage_kind(c->kind);
    zk_kube_defaulter def = zk_kube_defaulter_for(k->group, k->version, k->kind);
    if (def)
        def(obj);
    zk_field_errors errs;
    zk_field_errors_init(&errs);
    zk_kube_validate_object_meta(obj, old, k->namespaced, zk_kube_name_rule_for(k->group, k->kind),
                                 &errs);
    zk_kube_validator val = zk_kube_validator_for(k->group, k->version, k->kind);
    if (val)
        val(obj, old, &errs);
    if (k->flags & ZK_KF_CRD)
        zk_apis_crd_validate(k, obj, &errs);
    bool ok = errs.n == 0 && errs.dropped == 0;
    if (!ok) {
        const char *name = zk_json_path_str(obj, "metadata", "name", NULL);
        if (!name)
            name = zk_json_path_str(obj, "metadata", "generateName", NULL);
        zk_apis_invalid(c, name, &errs);
    }
    zk_field_errors_free(&errs);
    return ok;
}

/* ------------------------------------------------------------------- get */

static void zk__get(zk_call *c, zk_storage *st, const char *ns)
{
    zk_obj *o = zk_storage_get_obj(st, ns, c->ri.name);
    if (!o) {
        zk_apis_not_found(c->req, c->kind, c->ri.name);
        return;
    }
    zk_apis_respond_obj(c, 200, o);
}

/* ------------------------------------------------------------------ list */

/* continue tokens: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"} */
static char *zk__continue_encode(int64_t rv, const char *start)
{
    json_t *t = json_pack("{s:s,s:I,s:s}", "v", "meta.k8s.io/v1", "rv", (json_int_t)rv, "start",
                          start);
    zk_autofree char *s = zk_json_dumps(t);
    json_decref(t);
    size_t n = strlen(s);
    char *out = zk_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (unsigned char *)s, (int)n);
    return out;
}

static int zk__continue_decode(const char *tok, int64_t *rv, char *start, size_t n)
{
    size_t len = strlen(tok);
    if (len == 0 || len > 4096 || len % 4)
        return -1;
    unsigned char dec[4096];
    int m = EVP_DecodeBlock(dec, (const unsigned char *)tok, (int)len);
    if (m < 0)
        return -1;
    while (m > 0 && dec[m - 1] == '\0')
        m--;
    json_error_t jerr;
    zk_autojson json_t *t = json_loadb((char *)dec, (size_t)m, 0, &jerr);
    const char *s = zk_json_str(t, "start");
    json_t *r = json_object_get(t, "rv");
    if (!s || !json_is_integer(r))
        return -1;
    *rv = json_integer_value(r);
    snprintf(start, n, "%s", s);
    return 0;
}

static void zk__list(zk_call *c, zk_storage *st)
{
    zk_apiserver *srv = c->srv;
    char buf[4096];
    zk_filter f;
    if (zk_apis_filter_init(&f, c) < 0)
        return;
    long limit = 0;
    const char *ls = zk_query_get(c->ri.query, "limit", buf, sizeof(buf));
    if (ls && *ls)
        limit = strtol(ls, NULL, 10);
    if (limit < 0)
        limit = 0;
    int64_t list_rv = srv->committed_rev;
    char start[1024] = "";
    const char *cont = zk_query_get(c->ri.query, "continue", buf, sizeof(buf));
    if (cont && *cont) {
        int64_t crv;
        if (zk__continue_decode(cont, &crv, start, sizeof(start)) < 0) {
            zk_apis_status(c->req, 400, "BadRequest", "continue key is not valid", NULL);
            zk_apis_filter_free(&f);
            return;
        }
        int64_t floor = srv->hist_len ? srv->history[srv->hist_start]->rev - 1 : srv->committed_rev;
        if (crv < floor && srv->hist_len == srv->hist_cap) {
            zk_apis_status(c->req, 410, "Expired",
                           "The provided continue parameter is too old to display a consistent "
                           "list result. You can start a new list without the continue "
                           "parameter, or use the continue token in this response to retrieve "
                           "the remainder of the results. Continuing with the provided token "
                           "results in an inconsistent list - objects that were created, "
                           "modified, or deleted between the time the first chunk was returned "
                           "and now may show up in the list.", NULL);
            zk_apis_filter_free(&f);
            return;
        }
        list_rv = crv;
    } else {
        char rvb[32], match[32];
        const char *rvs = zk_query_get(c->ri.query, "resourceVersion", rvb, sizeof(rvb));
        const char *rvm = zk_query_get(c->ri.query, "resourceVersionMatch", match, sizeof(match));
        if (rvm && *rvm && (!rvs || !*rvs)) {
            zk_apis_status(c->req, 400, "BadRequest",
                           "resourceVersionMatch is forbidden unless resourceVersion is provided",
                           NULL);
            zk_apis_filter_free(&f);
            return;
        }
        if (rvs && *rvs && strcmp(rvs, "0")) {
            char *end;
            long long want = strtoll(rvs, &end, 10);
            if (*end || want < 0) {
                zk_apis_status_fmt(c->req, 400, "BadRequest", "invalid resourceVersion: %s", rvs);
                zk_apis_filter_free(&f);
                return;
            }
            if (rvm && !strcmp(rvm, "Exact") && want != srv->committed_rev) {
                zk_apis_status_fmt(c->req, 410, "Expired",
                                   "too old resource version: %lld (%lld)", want,
                                   (long long)srv->committed_rev);
                zk_apis_filter_free(&f);
                return;
            }
            if (want > srv->committed_rev) {
                zk_apis_status_fmt(c->req, 504, "Timeout",
                                   "Too large resource version: %lld, current: %lld", want,
                                   (long long)srv->committed_rev);
                zk_apis_filter_free(&f);
                return;
            }
        }
    }

    zk_entry **ents;
    char **keys;
    size_t n;
    zk_storage_sorted(st, &ents, &keys, &n);
    /* the first key after start */
    size_t lo = 0, hi = n;
    if (start[0]) {
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(keys[mid], start) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    const zk_obj **sel = NULL;
    size_t nsel = 0, capsel = 0;
    size_t i;
    const char *last_key = NULL;
    bool more = false;
    size_t remaining = 0;
    for (i = lo; i < n; i++) {
        zk_obj *o = ents[i]->cur;
        if (!zk_apis_filter_match(&f, o))
            continue;
        if (limit && nsel == (size_t)limit) {
            more = true;
            remaining++;
            continue;
        }
        if (nsel == capsel) {
            capsel = capsel ? capsel * 2 : 64;
            sel = zk_xrealloc(sel, capsel * sizeof(*sel));
        }
        sel[nsel++] = o;
        last_key = keys[i];
    }
    zk_autofree char *next = more && last_key ? zk__continue_encode(list_rv, last_key) : NULL;
    char rvs[32];
    snprintf(rvs, sizeof(rvs), "%lld", (long long)list_rv);

    if (c->table) {
        json_t *t = zk_apis_table(c->kind, sel, nsel, rvs, next, zk_apis_include_object(c));
        if (more)
            json_object_set_new(zk_json_path_obj(t, "metadata", NULL), "remainingItemCount",
                                json_integer((json_int_t)remaining));
        zk_apis_respond_json(c->req, 200, t);
        json_decref(t);
    } else {
        zk_buf b = ZK_BUF_INIT(SIZE_MAX / 4);
        char av[256];
        zk_buf_printf(&b, "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"metadata\":{"
                      "\"resourceVersion\":\"%s\"",
                      c->kind->kind, zk_kind_api_version(c->kind, av, sizeof(av)), rvs);
        if (next)
            zk_buf_printf(&b, ",\"continue\":\"%s\",\"remainingItemCount\":%zu", next, remaining);
        zk_buf_puts(&b, "},\"items\":[");
        bool conv = !zk_apis_kind_is_storage_version(c->kind);
        for (size_t j = 0; j < nsel; j++) {
            if (j)
                zk_buf_putc(&b, ',');
            if (conv) {
                json_t *d = zk_apis_obj_for_kind(c->kind, sel[j]);
                zk_json_encode(d, &b);
                json_decref(d);
            } else {
                zk_buf_append(&b, sel[j]->json, sel[j]->len);
            }
        }
        zk_buf_puts(&b, "]}");
        zk_http_respond(c->req, 200, "application/json", b.data, b.len);
        zk_buf_free(&b);
    }
    if (nsel > 1000)
        srv->trim_wanted = true;
    free(sel);
    zk_apis_filter_free(&f);
}

/* ----------------------------------------------------------------- calls */

typedef struct zk__call_guard {
    zk_call *c;
} zk__call_guard;

static void zk__call_guard_dispose(void *p)
{
    zk__call_guard *g = p;
    if (g->c) {
        g->c->req = NULL;
        zk_apis_call_unref(g->c);
    }
}

struct zk__call_box {
    int refs;
    zk_call call;  /* last, so that its reqinfo buffer is last */
};

zk_call *zk_apis_call_new(zk_apiserver *srv, h2o_req_t *req)
{
    struct zk__call_box *b = zk_xmalloc(sizeof(*b));
    /* zero all but the request-info scratch buffer, which parsing fills */
    memset(b, 0, offsetof(struct zk__call_box, call.ri.inline_buf));
    b->refs = 2; /* the handler's, and the request guard's */
    b->call.srv = srv;
    b->call.req = req;
    zk__call_guard *g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), zk__call_guard_dispose);
    g->c = &b->call;
    return &b->call;
}

static struct zk__call_box *zk__box_of(zk_call *c)
{
    return (struct zk__call_box *)((char *)c - offsetof(struct zk__call_box, call));
}

zk_call *zk_apis_call_ref(zk_call *c)
{
    zk__box_of(c)->refs++;
    return c;
}

void zk_apis_call_unref(zk_call *c)
{
    struct zk__call_box *b = zk__box_of(c);
    if (--b->refs > 0)
        return;
    zk_apis_user_free(&c->user);
    zk_reqinfo_free(&c->ri);
    free(b);
}

/* ---------------------------------------------------------------- writes */

typedef struct zk__one_write {
    zk_call *c;
    zk_obj *obj;
    int code;
} zk__one_write;

static void zk__one_written(zk_apiserver *srv, void *ctx, const char *err)
{
    zk__one_write *ow = ctx;
    if (ow->c->req) {
        if (err)
            zk_apis_status_fmt(ow->c->req, 500, "InternalError",
                               "Internal error occurred: store: %s", err);
        else
            zk_apis_respond_obj(ow->c, ow->code, ow->obj);
        if (!err)
            zk_hist_add(&srv->write_hist, (double)(zk_hist_now_ns() - ow->c->start_ns) / 1e9);
    }
    zk_obj_unref(ow->obj);
    zk_apis_call_unref(ow->c);
    free(ow);
}

void zk_apis_write_one(zk_call *c, zk_storage *st, json_t *doc, int code)
{
    zk_apiserver *srv = c->srv;
    if (c->dry_run) {
        /* nothing is stored; the answer shows what would have been */
        zk_obj *o = zk_obj_from_json(doc, srv->committed_rev);
        zk_apis_respond_obj(c, code, o);
        zk_obj_unref(o);
        json_decref(doc);
        return;
    }
    int64_t rev = zk_apis_next_rev(srv);
    zk_apis_set_rv(doc, rev);
    zk_apis_hook_accepted(srv, c->kind, doc, false);
    zk_obj *o = zk_obj_take_json(doc, rev);
    zk__one_write *ow = zk_xcalloc(1, sizeof(*ow));
    ow->c = zk_apis_call_ref(c);
    ow->obj = zk_obj_ref(o);
    ow->code = code;
    zk_write *w = zk_apis_write_new(srv, 1);
    zk_apis_write_set(w, 0, st, o->ns, o->name, o);
    zk_apis_write_submit(w, zk__one_written, ow);
}

/* ---------------------------------------------------------------- create */

static bool zk__namespace_usable(zk_call *c, const char *ns)
{
    const zk_kind *nsk = zk_kinds_find("", "v1", "namespaces");
    zk_obj *o = zk_storage_get_obj(zk_apis_storage(c->srv, nsk), "", ns);
    if (!o) {
        json_t *d = json_pack("{s:s,s:s}", "name", ns, "kind", "namespaces");
        char msg[512];
        snprintf(msg, sizeof(msg), "namespaces \"%s\" not found", ns);
        zk_apis_status(c->req, 404, "NotFound", msg, d);
        return false;
    }
    if (o->terminating) {
        json_t *d = json_pack("{s:s,s:s,s:[{s:s,s:s,s:s}]}", "name", ns, "kind", "namespaces",
                              "causes", "reason", "NamespaceTerminating", "message",
                              "namespace is being terminated", "field", "metadata.namespace");
        char msg[512];
        snprintf(msg, sizeof(msg),
                 "%s \"%s\" is forbidden: unable to create new content in namespace %s because "
                 "it is being terminated", c->kind->resource, c->ri.name[0] ? c->ri.name : "", ns);
        zk_apis_status(c->req, 403, "Forbidden", msg, d);
        return false;
    }
    return true;
}

void zk_apis_already_exists(zk_call *c, const char *name)
{
    char qr[256], msg[1024];
    zk_apis_qualified_resource(c->kind, qr, sizeof(qr));
    snprintf(msg, sizeof(msg), "%s \"%s\" already exists", qr, name);
    json_t *d = json_pack("{s:s,s:s,s:s}", "name", name, "group", c->kind->group, "kind",
                          c->kind->resource);
    zk_apis_status(c->req, 409, "AlreadyExists", msg, d);
}

/* After the validating webhooks: store it unless the name was taken
 * meanwhile. */
static void zk__create_validated(zk_call *c, json_t *doc, void *ctx)
{
    zk_storage *st = ctx;
    if (!doc)
        return;
    if (!c->req) {   /* the client went away while webhooks ran */
        json_decref(doc);
        return;
    }
    const char *ns = zk_json_path_str(doc, "metadata", "namespace", NULL);
    const char *name = zk_json_path_str(doc, "metadata", "name", NULL);
    if (zk_storage_latest(st, ns ? ns : "", name ? name : "")) {
        zk_apis_already_exists(c, name ? name : "");
        json_decref(doc);
        return;
    }
    zk_apis_write_one(c, st, doc, 201);
}

/* After the mutating webhooks: server hooks, validation, validating
 * admission, then the validating webhooks. */
static void zk__create_mutated(zk_call *c, json_t *doc, void *ctx)
{
    if (!doc)
        return;
    if (!c->req || !zk_apis_hook_create(c, doc) || !zk_apis_admit(c, doc, NULL) ||
        !zk_apis_adm_validate(c, doc, NULL)) {
        json_decref(doc);
        return;
    }
    zk_apis_webhooks_run(c, false, "CREATE", doc, NULL, zk__create_validated, ctx);
}

static void zk__create(zk_call *c, zk_storage *st, const char *ns)
{
    zk_autojson json_t *doc = zk_apis_read_body(c);
    if (!doc)
        return;
    if (!zk_apis_check_gvk(c, doc, NULL, NULL))
        return;
    if (!zk__field_validation(c, doc))
        return;
    zk_apis_convert_to_storage(c->kind, doc);
    json_t *meta = zk_json_path_obj(doc, "metadata", NULL);
    if (!meta) {
        zk_apis_status(c->req, 400, "BadRequest", "metadata must be an object", NULL);
        return;
    }
    const char *bns = zk_json_str(meta, "namespace");
    if (c->kind->namespaced) {
        if (bns && *bns && strcmp(bns, ns)) {
            zk_apis_status(c->req, 400, "BadRequest",
                           "the namespace of the provided object does not match the namespace "
                           "sent on the request", NULL);
            return;
        }
        zk_json_set_str(meta, "namespace", ns);
        if (!zk__namespace_usable(c, ns))
            return;
    } else {
        json_object_del(meta, "namespace");
    }
    const char *name = zk_json_str(meta, "name");
    const char *gen = zk_json_str(meta, "generateName");
    if ((!name || !*name) && gen && *gen) {
        char suffix[8];
        for (int tries = 0; tries < 8; tries++) {
            zk__random_suffix(suffix, sizeof(suffix));
            char *nm = zk_xasprintf("%.*s%s", 58, gen, suffix);
            if (!zk_storage_latest(st, ns, nm)) {
                zk_json_set_str(meta, "name", nm);
                free(nm);
                break;
            }
            free(nm);
        }
    }
    /* server-owned metadata */
    char uid[40], now[32];
    zk_apis_new_uid(uid, sizeof(uid));
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    zk_json_set_str(meta, "uid", uid);
    zk_json_set_str(meta, "creationTimestamp", now);
    json_object_del(meta, "resourceVersion");
    json_object_del(meta, "deletionTimestamp");
    json_object_del(meta, "deletionGracePeriodSeconds");
    json_object_del(meta, "selfLink");
    if ((c->kind->flags & ZK_KF_GENERATION) || (c->kind->flags & ZK_KF_CRD))
        json_object_set_new(meta, "generation", json_integer(1));
    else
        json_object_del(meta, "generation");
    /* status is the status subresource's; but a Node is created with its
     * status (capacity, allocatable), as Kubernetes' node strategy allows
     * and as kubelet, KWOK and `zke sim` do */
    if ((c->kind->subresources & ZK_SUB_STATUS) && !(!c->kind->group[0] && !strcmp(c->kind->kind, "Node")))
        json_object_del(doc, "status");
    if (!zk_apis_adm_mutate(c, doc))
        return;
    /* the mutating webhooks, then the rest (zk__create_mutated) */
    zk_apis_webhooks_run(c, true, "CREATE", zk_steal(&doc), NULL, zk__create_mutated, st);
}

/* ---------------------------------------------------------------- update */

/* json_equal() of two objects, leaving out the member named skip. */
static bool zk__object_equal_except(const json_t *a, const json_t *b, const char *skip)
{
    size_t na = json_object_size(a) - (json_object_get(a, skip) != NULL);
    size_t nb = json_object_size(b) - (json_object_get(b, skip) != NULL);
    if (na != nb)
        return false;
    const char *k;
    json_t *va;
    json_object_foreach((json_t *)a, k, va) {
        if (!strcmp(k, skip))
            continue;
        json_t *vb = json_object_get(b, k);
        if (!vb || !json_equal(va, vb))
            return false;
    }
    return true;
}

/* Equal but for metadata.resourceVersion; changes neither (old is shared). */
static bool zk__json_equal_ignoring_rv(const json_t *a, const json_t *b)
{
    if (json_object_size(a) != json_object_size(b))
        return false;
    const char *k;
    json_t *va;
    json_object_foreach((json_t *)a, k, va) {
        json_t *vb = json_object_get(b, k);
        if (!vb)
            return false;
        bool eq = !strcmp(k, "metadata") && json_is_object(va) && json_is_object(vb)
                      ? zk__object_equal_except(va, vb, "resourceVersion")
                      : json_equal(va, vb);
        if (!eq)
            return false;
    }
    return true;
}

static void zk__conflict(zk_call *c, const char *name)
{
    char qr[256], msg[1024];
    zk_apis_qualified_resource(c->kind, qr, sizeof(qr));
    snprintf(msg, sizeof(msg),
             "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please "
             "apply your changes to the latest version and try again", qr, name);
    json_t *d = json_pack("{s:s,s:s,s:s}", "name", name, "group", c->kind->group, "kind",
                          c->kind->resource);
    zk_apis_status(c->req, 409, "Conflict", msg, d);
}

/* An update between its webhook phases. */
typedef struct zk__upd {
    zk_storage *st;
    zk_obj *cur;               /* the version the update was made against */
    bool status_only;
} zk__upd;

static void zk__upd_free(zk__upd *u)
{
    zk_obj_unref(u->cur);
    free(u);
}

/* Still the version the update was made against? Webhooks take time, and
 * another write may have come in meanwhile: then it is a conflict, as a
 * resourceVersion mismatch in kube-apiserver's store would make it. */
static bool zk__upd_current(zk_call *c, zk__upd *u)
{
    if (zk_storage_latest(u->st, u->cur->ns, u->cur->name) == u->cur)
        return true;
    zk__conflict(c, u->cur->name);
    return false;
}

/* After the validating webhooks: store it. */
static void zk__update_validated(zk_call *c, json_t *doc, void *ctx)
{
    zk__upd *u = ctx;
    if (!doc || !c->req || !zk__upd_current(c, u)) {
        json_decref(doc);
        zk__upd_free(u);
        return;
    }
    zk_obj *cur = u->cur;
    zk_autojson json_t *old = zk_obj_tree(cur);
    /* a terminating object whose last finalizer went away is deleted now */
    json_t *fins = zk_json_path(doc, "metadata", "finalizers", NULL);
    if (cur->terminating && !(json_is_array(fins) && json_array_size(fins))) {
        zk_apis_finish_delete(c, u->st, doc);
    } else if (zk__json_equal_ignoring_rv(doc, old)) {
        /* nothing changed: no new revision, as kube-apiserver does */
        zk_apis_respond_obj(c, 200, cur);
        json_decref(doc);
    } else {
        zk_apis_write_one(c, u->st, doc, 200);
    }
    zk__upd_free(u);
}

/* After the mutating webhooks: validation, validating admission, then the
 * validating webhooks. */
static void zk__update_mutated(zk_call *c, json_t *doc, void *ctx)
{
    zk__upd *u = ctx;
    if (!doc || !c->req || !zk__upd_current(c, u)) {
        json_decref(doc);
        zk__upd_free(u);
        return;
    }
    zk_autojson json_t *old = zk_obj_tree(u->cur);
    if (!u->status_only || c->kind->flags & ZK_KF_CRD) {
        if (!zk_apis_admit(c, doc, old) || !zk_apis_adm_validate(c, doc, old)) {
            json_decref(doc);
            zk__upd_free(u);
            return;
        }
    }
    zk_apis_webhooks_run(c, false, "UPDATE", doc, old, zk__update_validated, u);
}

void zk_apis_update_obj(zk_call *c, zk_storage *st, zk_obj *cur, json_t *doc,
                        bool status_only, bool check_rv)
{
    zk_autojson json_t *owned = doc;
    /* shared with the object's kept tree: read it, never change it, and
     * copy (not share) the containers taken from it into doc */
    zk_autojson json_t *old = zk_obj_tree(cur);
    json_t *meta = zk_json_path_obj(doc, "metadata", NULL);
    json_t *ometa = json_object_get(old, "metadata");
    if (!meta) {
        zk_apis_status(c->req, 400, "BadRequest", "metadata must be an object", NULL);
        return;
    }
    const char *name = zk_json_str(meta, "name");
    if (name && *name && strcmp(name, cur->name)) {
        zk_apis_status_fmt(c->req, 400, "BadRequest",
                           "the name of the object (%s) does not match the name on the URL (%s)",
                           name, cur->name);
        return;
    }
    const char *rv = zk_json_str(meta, "resourceVersion");
    if (check_rv && rv && *rv) {
        char *end;
        long long v = strtoll(rv, &end, 10);
        if (*end || v != cur->rev) {
            zk__conflict(c, cur->name);
            return;
        }
    }
    /* fields the server owns */
    zk_json_set_str(meta, "name", cur->name);
    if (c->kind->namespaced)
        zk_json_set_str(meta, "namespace", cur->ns);
    static const char *const keep[] = {"uid", "creationTimestamp", "deletionTimestamp",
                                       "deletionGracePeriodSeconds", "generation", NULL};
    for (size_t i = 0; keep[i]; i++) {
        json_t *v = json_object_get(ometa, keep[i]);
        if (v) /* scalars are never changed in place: share them */
            json_object_set_new(meta, keep[i], json_is_object(v) || json_is_array(v)
                                                   ? json_deep_copy(v) : json_incref(v));
        else
            json_object_del(meta, keep[i]);
    }
    if (c->kind->subresources & ZK_SUB_STATUS) {
        if (status_only) {
            /* only status changes through /status */
            json_t *st_new = json_incref(json_object_get(doc, "status"));
            json_t *fresh = json_deep_copy(old);
            if (st_new)
                json_object_set_new(fresh, "status", st_new);
            else
                json_object_del(fresh, "status");
            json_decref(owned);
            owned = doc = fresh;
            meta = json_object_get(doc, "metadata");
        } else {
            json_t *ost = json_object_get(old, "status");
            if (ost)
                json_object_set_new(doc, "status", json_deep_copy(ost));
            else
                json_object_del(doc, "status");
        }
    }
    /* metadata.generation moves when the spec does */
    if ((c->kind->flags & (ZK_KF_GENERATION | ZK_KF_CRD)) && !status_only) {
        json_t *a = json_object_get(doc, "spec"), *b = json_object_get(old, "spec");
        bool changed = (a || b) && !(a && b && json_equal(a, b));
        if (c->kind->flags & ZK_KF_CRD && !(c->kind->subresources & ZK_SUB_STATUS)) {
            /* without a status subresource every non-metadata change counts */
            json_t *ca = json_deep_copy(doc), *cb = json_deep_copy(old);
            json_object_del(ca, "metadata");
            json_object_del(cb, "metadata");
            changed = !json_equal(ca, cb);
            json_decref(ca);
            json_decref(cb);
        }
        json_int_t g = zk_json_int(ometa, "generation", 1);
        json_object_set_new(meta, "generation", json_integer(changed ? g + 1 : g));
    }
    if (!zk_apis_hook_update(c, doc, old))
        return;
    zk__upd *u = zk_xcalloc(1, sizeof(*u));
    u->st = st;
    u->cur = zk_obj_ref(cur);
    u->status_only = status_only;
    zk_apis_webhooks_run(c, true, "UPDATE", zk_steal(&owned), old, zk__update_mutated, u);
}

static void zk__update(zk_call *c, zk_storage *st, const char *ns, bool status_only)
{
    json_t *doc = zk_apis_read_body(c);
    if (!doc)
        return;
    if (!zk_apis_check_gvk(c, doc, NULL, NULL) || !zk__field_validation(c, doc)) {
        json_decref(doc);
        return;
    }
    zk_apis_convert_to_storage(c->kind, doc);
    zk_obj *cur = zk_storage_latest(st, ns, c->ri.name);
    if (!cur) {
        json_decref(doc);
        zk_apis_not_found(c->req, c->kind, c->ri.name);
        return;
    }
    zk_apis_update_obj(c, st, cur, doc, status_only, true);
}

/* ----------------------------------------------------------------- patch */

static void zk__patch(zk_call *c, zk_storage *st, const char *ns, bool status_only)
{
    h2o_req_t *req = c->req;
    size_t ctlen = 0;
    const char *ct = zk_http_header(req, "content-type", &ctlen);
    char ctype[128] = "";
    if (ct)
        snprintf(ctype, sizeof(ctype), "%.*s", (int)(ctlen < 127 ? ctlen : 127), ct);
    if (req->entity.len > ZK_MAX_BODY) {
        zk_apis_status_fmt(req, 413, "RequestEntityTooLarge",
                           "Request entity too large: limit is %u", ZK_MAX_BODY);
        return;
    }
    zk_kube_patch_type pt = zk_kube_patch_type_of(ctype);
    if (pt == ZK_KUBE_PATCH_UNKNOWN) {
        if (!strncmp(ctype, "application/apply-patch", 23))
            zk_apis_status(req, 415, "UnsupportedMediaType",
                           "server-side apply (application/apply-patch+yaml) is not supported by "
                           "this zke server yet; use client-side `kubectl apply` "
                           "(--server-side=false)", NULL);
        else
            zk_apis_status_fmt(req, 415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted "
                               "media types include: application/json-patch+json, "
                               "application/merge-patch+json, "
                               "application/strategic-merge-patch+json");
        return;
    }
    const zk_schema_type *schema =
        zk_kube_schema_for_kind(c->kind->group, c->kind->version, c->kind->kind);
    if (pt == ZK_KUBE_PATCH_STRATEGIC && !schema) {
        zk_apis_status(req, 415, "UnsupportedMediaType",
                       "strategic merge patch is not supported for custom resources; use a JSON "
                       "merge patch (--type=merge) or a JSON patch (--type=json)", NULL);
        return;
    }
    zk_obj *cur = zk_storage_latest(st, ns, c->ri.name);
    if (!cur) {
        zk_apis_not_found(req, c->kind, c->ri.name);
        return;
    }
    zk_autojson json_t *doc = zk_apis_obj_for_kind(c->kind, cur);
    json_t *out = NULL;
    zk_err err = {0};
    int rc = zk_kube_patch_apply(ctype, doc, req->entity.base ? req->entity.base : "",
                                 req->entity.len, schema, &out, &err);
    if (rc < 0) {
        if (rc == -ZK_EPARSE || rc == -ZK_ETOOBIG)
            zk_apis_status_fmt(req, rc == -ZK_ETOOBIG ? 413 : 400,
                               rc == -ZK_ETOOBIG ? "RequestEntityTooLarge" : "BadRequest", "%s",
                               err.msg);
        else
            zk_apis_status_fmt(req, 422, "Invalid", "%s", err.msg);
        return;
    }
    if (!json_is_object(out)) {
        if (out)
            json_decref(out);
        zk_apis_status(req, 422, "Invalid", "the patch must leave an object", NULL);
        return;
    }
    if (!zk_apis_check_gvk(c, out, NULL, NULL) || !zk__field_validation(c, out)) {
        json_decref(out);
        return;
    }
    zk_apis_convert_to_storage(c->kind, out);
    zk_apis_update_obj(c, st, cur, out, status_only, true);
}

/* ---------------------------------------------------------------- router */

void zk_apis_serve_resource(zk_call *c)
{
    const zk_kind *k = c->kind;
    const char *verb = c->ri.verb;
    const char *ns = k->namespaced ? c->ri.ns : "";
    const char *sub = c->ri.subresource;
    if (k->namespaced && !ns[0] && strcmp(verb, "list") && strcmp(verb, "watch") &&
        !(k->flags & ZK_KF_VIRTUAL)) {
        zk_apis_status(c->req, 404, "NotFound", "the server could not find the requested resource",
                       NULL);
        return;
    }
    if (k->flags & ZK_KF_VIRTUAL) {
        zk_apis_serve_virtual(c);
        return;
    }
    zk_storage *st = zk_apis_storage(c->srv, k);
    if (sub[0]) {
        zk_apis_serve_subresource(c, st, ns);
        return;
    }
    if (!strcmp(verb, "get"))
        zk__get(c, st, ns);
    else if (!strcmp(verb, "list"))
        zk__list(c, st);
    else if (!strcmp(verb, "watch"))
        zk_apis_watch_serve(c, st);
    else if (!strcmp(verb, "create") && !c->ri.name[0])
        zk__create(c, st, ns);
    else if (!strcmp(verb, "update"))
        zk__update(c, st, ns, false);
    else if (!strcmp(verb, "patch"))
        zk__patch(c, st, ns, false);
    else if (!strcmp(verb, "delete"))
        zk_apis_delete(c, st, ns, c->ri.name);
    else if (!strcmp(verb, "deletecollection"))
        zk_apis_delete_collection(c, st, ns);
    else
        zk_apis_status_fmt(c->req, 405, "MethodNotAllowed",
                           "the server does not allow this method on the requested resource");
}

void zk_apis_serve_status_sub(zk_call *c, zk_storage *st, const char *ns)
{
    const char *verb = c->ri.verb;
    if (!strcmp(verb, "get"))
        zk__get(c, st, ns);
    else if (!strcmp(verb, "update"))
        zk__update(c, st, ns, true);
    else if (!strcmp(verb, "patch"))
        zk__patch(c, st, ns, true);
    else
        zk_apis_status(c->req, 405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource", NULL);
}
