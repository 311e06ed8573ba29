/* zke agent: pulling images from OCI distribution registries into the
 * store (the /v2/ API: manifests by tag or digest, blobs by digest), with
 * anonymous, basic and bearer-token authentication. Every byte is checked
 * against its digest before it is kept. Synchronous (libcurl easy): the
 * agent calls it from a worker, the CLI directly. */
#include "agent/images.h"
#include "agent/registries.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"

#define ACCEPT_MANIFESTS                                                                          \
    "Accept: application/vnd.oci.image.index.v1+json, "                                           \
    "application/vnd.oci.image.manifest.v1+json, "                                                \
    "application/vnd.docker.distribution.manifest.list.v2+json, "                                 \
    "application/vnd.docker.distribution.manifest.v2+json"

typedef struct pull {
    zk_agent_images *s;
    const zk_agent_pull_opts *o;
    zk_image_ref ref;
    /* where this attempt pulls from */
    char endpoint[600];     /* scheme://host[:port] */
    char path[ZK_IMAGE_NAME_MAX + 1]; /* repository path there */
    const char *username, *password, *ca_file;
    bool skip_verify;
    char *auth;             /* "Authorization: ..." once known */
} pull;

/* ---- HTTP ---- */

typedef struct sink {
    zk_buf *buf;            /* in memory, bounded */
    int fd;                 /* or to a file */
    EVP_MD_CTX *md;         /* hashing what is written */
    char www_auth[1024];    /* WWW-Authenticate of a 401 */
    char ctype[256];
    bool failed;
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    sink *k = ctx;
    size_t len = size * n;
    if (k->buf)
        return zk_buf_append(k->buf, data, len) < 0 ? 0 : len;
    if (k->md)
        EVP_DigestUpdate(k->md, data, len);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(k->fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            k->failed = true;
            return 0;
        }
        off += (size_t)w;
    }
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    sink *k = ctx;
    size_t len = size * n;
    if (len > 17 && !strncasecmp(data, "WWW-Authenticate:", 17))
        snprintf(k->www_auth, sizeof(k->www_auth), "%.*s", (int)(len - 17), data + 17);
    else if (len > 13 && !strncasecmp(data, "Content-Type:", 13))
        snprintf(k->ctype, sizeof(k->ctype), "%.*s", (int)(len - 13), data + 13);
    return len;
}

/* GET url into k; *status gets the HTTP status (0 on a transport error,
 * with err set). */
static int http_get(pull *p, const char *url, const char *accept, const char *auth, sink *k,
                    long *status, zk_err *err)
{
    CURL *e = curl_easy_init();
    if (!e)
        return zk_err_set(err, ZK_EINTERNAL, "curl_easy_init failed");
    struct curl_slist *h = NULL;
    if (accept)
        h = curl_slist_append(h, accept);
    if (auth)
        h = curl_slist_append(h, auth);
    char ua[64];
    snprintf(ua, sizeof(ua), "User-Agent: zke/%s", ZK_VERSION);
    h = curl_slist_append(h, ua);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, k);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* give up on a transfer slower than 1 KiB/s for 60 s */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
    /* blobs are often served by a redirect to storage; credentials stay
     * with the registry (curl drops Authorization on another host) */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (p->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
    if (p->skip_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode rc = curl_easy_perform(e);
    *status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    if (rc != CURLE_OK) {
        *status = 0;
        return zk_err_set(err, ZK_EIO, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    return 0;
}

/* The message of a registry's error body ({"errors":[{"code","message"}]}). */
static void registry_message(const zk_buf *b, char *out, size_t len)
{
    out[0] = '\0';
    json_t *doc = NULL;
    if (!b || !b->len || zk_json_decode(b->data, b->len, &doc, NULL) < 0)
        return;
    json_t *e0 = json_array_get(json_object_get(doc, "errors"), 0);
    const char *code = zk_json_str(e0, "code"), *msg = zk_json_str(e0, "message");
    if (code || msg)
        snprintf(out, len, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
    json_decref(doc);
}

/* Value of key in a WWW-Authenticate parameter list: realm="...",... */
static bool auth_param(const char *h, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    for (const char *p = h; (p = strcasestr(p, key)); p += kl) {
        if (p != h && p[-1] != ' ' && p[-1] != ',')
            continue;
        const char *v = p + kl;
        if (*v != '=')
            continue;
        v++;
        if (*v == '"') {
            const char *end = strchr(++v, '"');
            if (!end)
                return false;
            snprintf(out, len, "%.*s", (int)(end - v), v);
        } else {
            size_t n = strcspn(v, ", \r\n");
            snprintf(out, len, "%.*s", (int)n, v);
        }
        return true;
    }
    return false;
}

/* After a 401: get credentials the challenge asks for into p->auth. */
static int authenticate(pull *p, const char *challenge, zk_err *err)
{
    const char *c = challenge;
    while (*c == ' ')
        c++;
    bool have_creds = p->username && p->password;
    if (!strncasecmp(c, "Basic", 5)) {
        if (!have_creds)
            return zk_err_set(err, ZK_EFORBIDDEN, "registry %s asks for a user name and password",
                              p->endpoint);
        zk_autofree char *pair = zk_xasprintf("%s:%s", p->username, p->password);
        unsigned char b64[1024];
        int n = EVP_EncodeBlock(b64, (const unsigned char *)pair, (int)strlen(pair));
        free(p->auth);
        p->auth = zk_xasprintf("Authorization: Basic %.*s", n, b64);
        return 0;
    }
    if (strncasecmp(c, "Bearer", 6))
        return zk_err_set(err, ZK_EUNSUPPORTED, "registry %s asks for an authentication scheme "
                          "zke does not speak: %.100s", p->endpoint, c);
    char realm[512], service[256] = "", scope[512] = "";
    if (!auth_param(c + 6, "realm", realm, sizeof(realm)))
        return zk_err_set(err, ZK_EPARSE, "registry %s: Bearer challenge without a realm",
                          p->endpoint);
    auth_param(c + 6, "service", service, sizeof(service));
    if (!auth_param(c + 6, "scope", scope, sizeof(scope)))
        snprintf(scope, sizeof(scope), "repository:%s:pull", p->path);
    CURL *esc = curl_easy_init();
    char *es = curl_easy_escape(esc, service, 0), *sc = curl_easy_escape(esc, scope, 0);
    zk_autofree char *url = zk_xasprintf("%s%sservice=%s&scope=%s", realm,
                                         strchr(realm, '?') ? "&" : "?", es, sc);
    curl_free(es);
    curl_free(sc);
    curl_easy_cleanup(esc);
    zk_autofree char *basic = NULL;
    if (have_creds) {
        zk_autofree char *pair = zk_xasprintf("%s:%s", p->username, p->password);
        unsigned char b64[1024];
        int n = EVP_EncodeBlock(b64, (const unsigned char *)pair, (int)strlen(pair));
        basic = zk_xasprintf("Authorization: Basic %.*s", n, b64);
    }
    zk_buf b = ZK_BUF_INIT(1 << 20);
    sink k = {.buf = &b, .fd = -1};
    long status = 0;
    int rc = http_get(p, url, NULL, basic, &k, &status, err);
    if (rc == 0 && status != 200) {
        char msg[300];
        registry_message(&b, msg, sizeof(msg));
        rc = zk_err_set(err, status == 401 || status == 403 ? ZK_EFORBIDDEN : ZK_EIO,
                        "token from %s: HTTP %ld%s%s", realm, status, msg[0] ? ": " : "", msg);
    }
    json_t *doc = NULL;
    if (rc == 0 && zk_json_decode(b.data, b.len, &doc, err) < 0)
        rc = zk_err_wrap(err, "token from %s", realm);
    const char *tok = zk_json_str(doc, "token") ?: zk_json_str(doc, "access_token");
    if (rc == 0 && !tok)
        rc = zk_err_set(err, ZK_EPARSE, "token from %s: no token in the answer", realm);
    if (rc == 0) {
        free(p->auth);
        p->auth = zk_xasprintf("Authorization: Bearer %s", tok);
    }
    json_decref(doc);
    zk_buf_free(&b);
    return rc;
}

/* GET with one round of authentication on a 401. */
static int registry_get(pull *p, const char *path, const char *accept, sink *k, long *status,
                        zk_err *err)
{
    zk_autofree char *url = zk_xasprintf("%s/v2/%s", p->endpoint, path);
    for (int round = 0; round < 2; round++) {
        k->www_auth[0] = '\0';
        if (http_get(p, url, accept, p->auth, k, status, err) < 0)
            return -err->code;
        if (*status != 401 || round == 1)
            return 0;
        if (!k->www_auth[0])
            return zk_err_set(err, ZK_EFORBIDDEN, "%s: 401 without a challenge", url);
        if (authenticate(p, k->www_auth, err) < 0)
            return -err->code;
        if (k->buf)
            k->buf->len = 0;
        if (k->fd >= 0 && (ftruncate(k->fd, 0) < 0 || lseek(k->fd, 0, SEEK_SET) < 0))
            return zk_err_set(err, ZK_EIO, "reset a download: %s", strerror(errno));
        if (k->md)
            EVP_DigestInit_ex(k->md, EVP_sha256(), NULL);
    }
    return 0;
}

static int status_error(pull *p, const char *what, long status, const zk_buf *b, zk_err *err)
{
    char msg[300];
    registry_message(b, msg, sizeof(msg));
    char name[600];
    zk_agent_image_ref_string(&p->ref, name, sizeof(name));
    return zk_err_set(err, status == 404 ? ZK_ENOTFOUND
                           : status == 401 || status == 403 ? ZK_EFORBIDDEN : ZK_EIO,
                      "pull %s: %s: HTTP %ld from %s%s%s", name, what, status, p->endpoint,
                      msg[0] ? ": " : "", msg);
}

/* ---- the steps ---- */

static void sha256_hex(const char *data, size_t len, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    zk_str_hex(out, md, n);
    out[2 * n] = '\0';
}

/* Fetch a manifest (by tag or digest) into the store; *digest gets its
 * digest, *doc its parsed text. */
static int fetch_manifest(pull *p, const char *ref, char *digest, json_t **doc, zk_err *err)
{
    zk_buf b = ZK_BUF_INIT(ZK_IMAGES_MAX_DOC);
    sink k = {.buf = &b, .fd = -1};
    long status = 0;
    zk_autofree char *path = zk_xasprintf("%s/manifests/%s", p->path, ref);
    int rc = registry_get(p, path, ACCEPT_MANIFESTS, &k, &status, err);
    if (rc == 0 && status != 200)
        rc = status_error(p, "manifest", status, &b, err);
    if (rc == 0) {
        char hex[65];
        sha256_hex(b.data ? b.data : "", b.len, hex);
        snprintf(digest, ZK_IMAGE_DIGEST_MAX + 1, "sha256:%s", hex);
        if (!strncmp(ref, "sha256:", 7) && strcmp(ref, digest))
            rc = zk_err_set(err, ZK_EINVAL, "pull: the registry sent a manifest whose digest is "
                            "%s, not the %s asked for", digest, ref);
    }
    if (rc == 0 && zk_json_decode(b.data, b.len, doc, err) < 0)
        rc = zk_err_wrap(err, "manifest from %s", p->endpoint);
    if (rc == 0) {
        char stored[ZK_IMAGE_DIGEST_MAX + 1];
        rc = zk_agent_images_put_blob(p->s, b.data, b.len, stored, err);
    }
    zk_buf_free(&b);
    return rc;
}

static int fetch_blob(pull *p, const char *digest, zk_err *err)
{
    char path[1024];
    zk_err e = {0};
    if (zk_agent_images_blob_path(p->s, digest, path, sizeof(path), &e) == 0)
        return 0; /* already here */
    if (e.code != ZK_ENOTFOUND)
        return zk_err_set(err, e.code, "%s", e.msg);
    char tmp[1100];
    int fd = zk_agent_images_blob_tmp(p->s, tmp, sizeof(tmp), err);
    if (fd < 0)
        return fd;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    sink k = {.fd = fd, .md = md};
    long status = 0;
    zk_autofree char *rpath = zk_xasprintf("%s/blobs/%s", p->path, digest);
    int rc = registry_get(p, rpath, NULL, &k, &status, err);
    if (rc == 0 && k.failed)
        rc = zk_err_set(err, ZK_EIO, "write blob %s: %s", digest, strerror(errno));
    if (rc == 0 && status != 200)
        rc = status_error(p, digest, status, NULL, err);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(md, out, &n);
    EVP_MD_CTX_free(md);
    if (rc == 0) {
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        zk_str_hex(hex, out, n);
        hex[2 * n] = '\0';
        if (strcmp(digest + 7, hex))
            rc = zk_err_set(err, ZK_EINVAL, "pull: blob %s arrived with digest sha256:%s", digest,
                            hex);
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = zk_err_set(err, ZK_EIO, "sync blob %s: %s", digest, strerror(errno));
    close(fd);
    if (rc == 0)
        rc = zk_agent_images_blob_commit(p->s, tmp, digest, err);
    else
        unlink(tmp);
    return rc;
}

/* Pull from the place p is set to; *digest gets the manifest's. */
static int pull_from(pull *p, char *digest, zk_err *err)
{
    char name[600];
    zk_agent_image_ref_string(&p->ref, name, sizeof(name));
    json_t *doc = NULL;
    int rc = fetch_manifest(p, p->ref.digest[0] ? p->ref.digest : p->ref.tag, digest, &doc, err);
    /* an index: the manifest for this platform */
    for (int depth = 0; rc == 0 && depth < 3 && json_is_array(json_object_get(doc, "manifests")) &&
                        !json_object_get(doc, "layers");
         depth++) {
        const char *child = NULL;
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(doc, "manifests"), i, m) {
            const char *os = zk_json_path_str(m, "platform", "os", NULL);
            const char *arch = zk_json_path_str(m, "platform", "architecture", NULL);
            const char *d = zk_json_str(m, "digest");
            if (!child && d && zk_agent_image_digest_valid(d) && (!os || !strcmp(os, "linux")) &&
                (!arch || !strcmp(arch, zk_agent_images_arch())))
                child = d;
        }
        if (!child) {
            rc = zk_err_set(err, ZK_ENOTFOUND, "pull %s: no manifest for linux/%s in its index",
                            name, zk_agent_images_arch());
            break;
        }
        zk_autofree char *c = zk_xstrdup(child);
        json_decref(doc);
        doc = NULL;
        rc = fetch_manifest(p, c, digest, &doc, err);
    }
    json_decref(doc);
    zk_agent_image img;
    memset(&img, 0, sizeof(img));
    if (rc == 0) {
        char *text = NULL;
        size_t len = 0;
        char bp[1024];
        rc = zk_agent_images_blob_path(p->s, digest, bp, sizeof(bp), err);
        if (rc == 0)
            rc = zk_agent_images_read_doc(bp, &text, &len, err);
        if (rc == 0)
            rc = zk_agent_image_parse_manifest(text, len, &img, err);
        free(text);
    }
    if (rc == 0)
        rc = fetch_blob(p, img.config, err);
    for (size_t i = 0; rc == 0 && i < img.nlayers; i++)
        rc = fetch_blob(p, img.layers[i].digest, err);
    zk_agent_image_clear(&img);
    return rc;
}

static int pull_image(zk_agent_images *s, const char *ref, const zk_agent_pull_opts *o,
                      zk_agent_image *out, zk_err *err);

int zk_agent_images_pull(zk_agent_images *s, const char *ref, const zk_agent_pull_opts *o,
                         zk_agent_image *out, zk_err *err)
{
    /* image GC leaves blobs alone while a pull writes some it has not named yet */
    zk_agent_images_writing(s, 1);
    int rc = pull_image(s, ref, o, out, err);
    zk_agent_images_writing(s, -1);
    return rc;
}

static int pull_image(zk_agent_images *s, const char *ref, const zk_agent_pull_opts *o,
                zk_agent_image *out, zk_err *err)
{
    memset(out, 0, sizeof(*out));
    pull p = {.s = s, .o = o};
    if (zk_agent_image_ref_parse(ref, &p.ref, err) < 0)
        return -err->code;
    char name[600];
    zk_agent_image_ref_string(&p.ref, name, sizeof(name));
    zk_registry_try tries[ZK_REGISTRIES_MAX_ENDPOINTS + 1];
    size_t ntries;
    if (o && o->endpoint) {
        memset(&tries[0], 0, sizeof(tries[0]));
        snprintf(tries[0].endpoint, sizeof(tries[0].endpoint), "%s", o->endpoint);
        snprintf(tries[0].path, sizeof(tries[0].path), "%s", p.ref.path);
        ntries = 1;
    } else {
        ntries = zk_registries_plan(o ? o->registries : NULL, &p.ref, tries,
                                    sizeof(tries) / sizeof(tries[0]));
    }
    char digest[ZK_IMAGE_DIGEST_MAX + 1];
    int rc = -ZK_EINTERNAL;
    zk_err last = {0};
    for (size_t i = 0; i < ntries; i++) {
        zk_registry_try *t = &tries[i];
        size_t n = strnlen(t->endpoint, sizeof(t->endpoint) - 1);
        memcpy(p.endpoint, t->endpoint, n);
        p.endpoint[n] = '\0';
        while (n && p.endpoint[n - 1] == '/')
            p.endpoint[--n] = '\0';
        size_t pl = strnlen(t->path, sizeof(p.path) - 1);
        memcpy(p.path, t->path, pl);
        p.path[pl] = '\0';
        /* credentials given for this pull win over the file's */
        p.username = o && o->username ? o->username : t->username;
        p.password = o && o->username ? o->password : t->password;
        p.ca_file = o && o->ca_file ? o->ca_file : t->ca_file;
        p.skip_verify = t->insecure && !strncmp(p.endpoint, "https://", 8);
        if (!(o && o->endpoint) && o && o->insecure && !strncmp(p.endpoint, "https://", 8) &&
            i + 1 == ntries) {
            /* --insecure: the registry itself over plain HTTP */
            memmove(p.endpoint + 4, p.endpoint + 5, strlen(p.endpoint + 5) + 1);
        }
        free(p.auth);
        p.auth = NULL;
        memset(&last, 0, sizeof(last));
        rc = pull_from(&p, digest, &last);
        if (rc == 0)
            break;
        if (ntries > 1)
            zk_warn("pull %s from %s: %s", name, p.endpoint, last.msg);
    }
    free(p.auth);
    if (rc < 0) {
        if (err)
            *err = last;
        if (ntries > 1)
            zk_err_wrap(err, "tried %zu places, the last", ntries);
        return rc;
    }
    /* a tagged pull records the tag; a by-digest one, name@digest */
    rc = zk_agent_images_tag(s, name, digest, err);
    if (rc == 0)
        rc = zk_agent_images_get(s, name, out, err);
    return rc;
}
