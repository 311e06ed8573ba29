#include "net/jwt.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "net/pki.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void md_ctx_freep(EVP_MD_CTX **p) { EVP_MD_CTX_free(*p); }

static int ossl_fail(zk_err *err, int code, const char *what)
{
    char msg[256];
    return zk_err_set(err, code, "%s: %s", what, zk_net_pki_ossl_error(msg, sizeof(msg)));
}

/* ---- base64url ---- */

int zk_net_jwt_b64url_encode(const void *data, size_t len, zk_buf *out)
{
    const unsigned char *p = data;
    char quad[4];
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        quad[0] = b64url_alphabet[(v >> 18) & 63];
        quad[1] = b64url_alphabet[(v >> 12) & 63];
        quad[2] = b64url_alphabet[(v >> 6) & 63];
        quad[3] = b64url_alphabet[v & 63];
        int rc = zk_buf_append(out, quad, 4);
        if (rc < 0)
            return rc;
    }
    size_t rest = len - i;
    if (rest == 0)
        return 0;
    uint32_t v = (uint32_t)p[i] << 16 | (rest == 2 ? (uint32_t)p[i + 1] << 8 : 0);
    quad[0] = b64url_alphabet[(v >> 18) & 63];
    quad[1] = b64url_alphabet[(v >> 12) & 63];
    quad[2] = b64url_alphabet[(v >> 6) & 63];
    /* Unpadded: 1 byte -> 2 chars, 2 bytes -> 3 chars. */
    return zk_buf_append(out, quad, rest + 1);
}

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int zk_net_jwt_b64url_decode(const char *s, size_t len, zk_buf *out, zk_err *err)
{
    if (len % 4 == 1)
        return zk_err_set(err, ZK_EPARSE, "base64url: impossible length %zu", len);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)s[i]);
        if (v < 0)
            return zk_err_set(err, ZK_EPARSE, "base64url: invalid character at offset %zu", i);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            char byte = (char)((acc >> bits) & 0xff);
            acc &= (1u << bits) - 1;
            int rc = zk_buf_putc(out, byte);
            if (rc < 0)
                return zk_err_set(err, ZK_ETOOBIG, "base64url: decoded data too large");
        }
    }
    /* Canonical encodings leave the unused low bits zero. */
    if (acc != 0)
        return zk_err_set(err, ZK_EPARSE, "base64url: non-zero trailing bits");
    return 0;
}

/* ---- signing ---- */

int zk_net_jwt_key_id(EVP_PKEY *key, char *out, size_t outlen, zk_err *err)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key, &der);
    if (n <= 0)
        return ossl_fail(err, ZK_EINTERNAL, "encode public key");
    unsigned char digest[32];
    unsigned int dlen = 0;
    int ok = EVP_Digest(der, (size_t)n, digest, &dlen, EVP_sha256(), NULL);
    OPENSSL_free(der);
    if (!ok)
        return ossl_fail(err, ZK_EINTERNAL, "hash public key");
    zk_autobuf zk_buf b = ZK_BUF_INIT(64);
    zk_net_jwt_b64url_encode(digest, dlen, &b);
    if (outlen <= b.len)
        return zk_err_set(err, ZK_ETOOBIG, "key ID needs %zu bytes", b.len + 1);
    memcpy(out, b.data, b.len + 1);
    return 0;
}

static int check_rsa_key(EVP_PKEY *key, const char *what, zk_err *err)
{
    if (!key || !EVP_PKEY_is_a(key, "RSA"))
        return zk_err_set(err, ZK_EINVAL, "%s is not an RSA key; RS256 needs one", what);
    if (EVP_PKEY_get_bits(key) < 2048)
        return zk_err_set(err, ZK_EINVAL, "%s has %d bits; RS256 needs at least 2048", what,
                          EVP_PKEY_get_bits(key));
    return 0;
}

int zk_net_jwt_sign(const json_t *claims, EVP_PKEY *key, const char *kid, char **token,
                    zk_err *err)
{
    *token = NULL;
    if (!json_is_object(claims))
        return zk_err_set(err, ZK_EINVAL, "JWT claims must be a JSON object");
    int rc = check_rsa_key(key, "signing key", err);
    if (rc < 0)
        return rc;

    char kidbuf[64];
    if (!kid) {
        rc = zk_net_jwt_key_id(key, kidbuf, sizeof(kidbuf), err);
        if (rc < 0)
            return rc;
        kid = kidbuf;
    }
    zk_autojson json_t *hdr = json_pack("{s:s}", "alg", "RS256");
    if (!hdr)
        abort();
    if (*kid && json_object_set_new(hdr, "kid", json_string(kid)) < 0)
        return zk_err_set(err, ZK_EINVAL, "JWT key ID is not valid UTF-8");

    zk_autofree char *h = zk_json_dumps(hdr);
    zk_autofree char *c = zk_json_dumps(claims);
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_NET_JWT_MAX);
    rc = zk_net_jwt_b64url_encode(h, strlen(h), &b);
    if (rc == 0)
        rc = zk_buf_putc(&b, '.');
    if (rc == 0)
        rc = zk_net_jwt_b64url_encode(c, strlen(c), &b);
    if (rc < 0)
        return zk_err_set(err, ZK_ETOOBIG, "JWT would exceed %d bytes", ZK_NET_JWT_MAX);

    EVP_MD_CTX *md __attribute__((cleanup(md_ctx_freep))) = EVP_MD_CTX_new();
    size_t siglen = 0;
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)b.data, b.len) != 1)
        return ossl_fail(err, ZK_EINTERNAL, "RS256 sign");
    zk_autofree unsigned char *sig = zk_xmalloc(siglen);
    if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)b.data, b.len) != 1)
        return ossl_fail(err, ZK_EINTERNAL, "RS256 sign");

    rc = zk_buf_putc(&b, '.');
    if (rc == 0)
        rc = zk_net_jwt_b64url_encode(sig, siglen, &b);
    if (rc < 0)
        return zk_err_set(err, ZK_ETOOBIG, "JWT would exceed %d bytes", ZK_NET_JWT_MAX);
    *token = zk_buf_steal(&b, NULL);
    return 0;
}

int zk_net_jwt_sign_file(const json_t *claims, const char *key_path, char **token, zk_err *err)
{
    *token = NULL;
    zk_net_autopkey EVP_PKEY *key = NULL;
    int rc = zk_net_pki_load_key(key_path, &key, err);
    if (rc < 0)
        return zk_err_wrap(err, "load service-account signing key");
    return zk_net_jwt_sign(claims, key, NULL, token, err);
}

/* ---- verification ---- */

/* Decode one base64url segment and parse it as a JSON object. */
static int decode_json_segment(const char *s, size_t len, const char *what, json_t **out,
                               zk_err *err)
{
    *out = NULL;
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_NET_JWT_MAX);
    int rc = zk_net_jwt_b64url_decode(s, len, &b, err);
    if (rc < 0)
        return zk_err_wrap(err, "JWT %s", what);
    if (b.len == 0)
        return zk_err_set(err, ZK_EPARSE, "JWT %s is empty", what);
    if (zk_json_depth(b.data, b.len) > ZK_JSON_MAX_DEPTH)
        return zk_err_set(err, ZK_EPARSE, "JWT %s nests too deeply", what);
    json_error_t jerr;
    /* Duplicate names are refused (RFC 7515 5.2 allows either; refusing
     * leaves no doubt which "alg" or "aud" was meant). */
    json_t *j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return zk_err_set(err, ZK_EPARSE, "JWT %s is not valid JSON: %s", what, jerr.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return zk_err_set(err, ZK_EPARSE, "JWT %s is not a JSON object", what);
    }
    *out = j;
    return 0;
}

/* Read NumericDate claim name into *v; 0 absent, 1 present, <0 malformed. */
static int numeric_date(const json_t *claims, const char *name, double *v, zk_err *err)
{
    const json_t *j = json_object_get(claims, name);
    if (!j)
        return 0;
    if (!json_is_number(j))
        return zk_err_set(err, ZK_EPARSE, "JWT claim %s is not a number", name);
    *v = json_number_value(j);
    return 1;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] && strcmp(s, list[i]) == 0)
            return true;
    }
    return false;
}

static int check_claims(const json_t *claims, const zk_net_jwt_verify_opts *o, zk_err *err)
{
    double now = (double)(o->now ? o->now : zk_wall_s());
    double leeway = o->leeway == 0 ? ZK_NET_JWT_DEFAULT_LEEWAY : o->leeway < 0 ? 0 : (double)o->leeway;
    double t = 0;

    int rc = numeric_date(claims, "exp", &t, err);
    if (rc < 0)
        return rc;
    if (rc == 0 && o->require_exp)
        return zk_err_set(err, ZK_EFORBIDDEN, "JWT has no expiry (exp)");
    if (rc == 1 && now > t + leeway)
        return zk_err_set(err, ZK_EFORBIDDEN, "JWT has expired");
    rc = numeric_date(claims, "nbf", &t, err);
    if (rc < 0)
        return rc;
    if (rc == 1 && now + leeway < t)
        return zk_err_set(err, ZK_EFORBIDDEN, "JWT is not valid yet (nbf)");
    rc = numeric_date(claims, "iat", &t, err);
    if (rc < 0)
        return rc;
    if (rc == 1 && now + leeway < t)
        return zk_err_set(err, ZK_EFORBIDDEN, "JWT was issued in the future (iat)");

    if (o->nissuers > 0) {
        const char *iss = json_string_value(json_object_get(claims, "iss"));
        if (!iss || !in_list(iss, o->issuers, o->nissuers))
            return zk_err_set(err, ZK_EFORBIDDEN, "JWT issuer \"%s\" is not accepted",
                              iss ? iss : "");
    }
    if (o->naudiences > 0) {
        const json_t *aud = json_object_get(claims, "aud");
        bool ok = false;
        if (json_is_string(aud)) {
            ok = in_list(json_string_value(aud), o->audiences, o->naudiences);
        } else if (json_is_array(aud)) {
            size_t i;
            const json_t *a;
            json_array_foreach(aud, i, a)
            {
                if (json_is_string(a) && in_list(json_string_value(a), o->audiences, o->naudiences))
                    ok = true;
            }
        }
        if (!ok)
            return zk_err_set(err, ZK_EFORBIDDEN, "JWT audience is not accepted");
    }
    return 0;
}

int zk_net_jwt_verify(const char *token, size_t len, EVP_PKEY *pub,
                      const zk_net_jwt_verify_opts *opts, json_t **claims, zk_err *err)
{
    static const zk_net_jwt_verify_opts defaults = {0};
    if (claims)
        *claims = NULL;
    if (!opts)
        opts = &defaults;
    if (!token)
        return zk_err_set(err, ZK_EPARSE, "JWT is missing");
    if (len > ZK_NET_JWT_MAX)
        return zk_err_set(err, ZK_ETOOBIG, "JWT is longer than %d bytes", ZK_NET_JWT_MAX);

    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    const char *end = token + len;
    if (!d1 || !d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)))
        return zk_err_set(err, ZK_EPARSE, "JWT is not three dot-separated parts");

    /* Header first: the algorithm decides whether we look any further. */
    zk_autojson json_t *hdr = NULL;
    int rc = decode_json_segment(token, (size_t)(d1 - token), "header", &hdr, err);
    if (rc < 0)
        return rc;
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    if (!alg || strcmp(alg, "RS256") != 0)
        return zk_err_set(err, ZK_EFORBIDDEN, "JWT algorithm \"%s\" is not accepted (want RS256)",
                          alg ? alg : "");
    if (json_object_get(hdr, "crit"))
        return zk_err_set(err, ZK_EFORBIDDEN, "JWT has critical header parameters zke does not know");

    rc = check_rsa_key(pub, "verification key", err);
    if (rc < 0)
        return rc;
    zk_autobuf zk_buf sig = ZK_BUF_INIT(1024);
    rc = zk_net_jwt_b64url_decode(d2 + 1, (size_t)(end - d2 - 1), &sig, err);
    if (rc < 0)
        return zk_err_wrap(err, "JWT signature");
    if (sig.len != (size_t)EVP_PKEY_get_size(pub))
        return zk_err_set(err, ZK_EFORBIDDEN, "JWT signature is invalid");

    EVP_MD_CTX *md __attribute__((cleanup(md_ctx_freep))) = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) != 1)
        return ossl_fail(err, ZK_EINTERNAL, "RS256 verify");
    int ok = EVP_DigestVerify(md, (const unsigned char *)sig.data, sig.len,
                              (const unsigned char *)token, (size_t)(d2 - token));
    ERR_clear_error();
    if (ok != 1)
        return zk_err_set(err, ZK_EFORBIDDEN, "JWT signature is invalid");

    zk_autojson json_t *body = NULL;
    rc = decode_json_segment(d1 + 1, (size_t)(d2 - d1 - 1), "claims", &body, err);
    if (rc < 0)
        return rc;
    rc = check_claims(body, opts, err);
    if (rc < 0)
        return rc;
    if (claims)
        *claims = zk_steal(&body);
    return 0;
}

/* ---- ServiceAccount claims ---- */

static void random_uuid(char out[37])
{
    unsigned char u[16];
    if (RAND_bytes(u, sizeof(u)) != 1)
        abort(); /* no randomness: nothing safe to do */
    u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
    u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
}

static bool empty(const char *s)
{
    return !s || !*s;
}

/* Add {"name":..,"uid":..} under key when the ref is set; half a ref is an error. */
static int add_ref(json_t *k8s, const char *key, const char *name, const char *uid, zk_err *err)
{
    if (empty(name) && empty(uid))
        return 0;
    if (empty(name) || empty(uid))
        return zk_err_set(err, ZK_EINVAL, "bound %s reference needs both name and uid", key);
    if (json_object_set_new(k8s, key, json_pack("{s:s,s:s}", "name", name, "uid", uid)) < 0)
        return zk_err_set(err, ZK_EINVAL, "bound %s reference is not valid UTF-8", key);
    return 0;
}

int zk_net_jwt_sa_claims(const zk_net_jwt_sa_token *in, json_t **claims, zk_err *err)
{
    *claims = NULL;
    if (empty(in->issuer))
        return zk_err_set(err, ZK_EINVAL, "service-account token needs an issuer");
    if (in->naudiences == 0)
        return zk_err_set(err, ZK_EINVAL, "service-account token needs at least one audience");
    if (empty(in->ns) || empty(in->sa_name) || empty(in->sa_uid))
        return zk_err_set(err, ZK_EINVAL,
                          "service-account token needs the namespace, name and uid of the account");
    if (in->expiration_seconds <= 0)
        return zk_err_set(err, ZK_EINVAL, "service-account token expiration must be positive");

    zk_autojson json_t *aud = json_array();
    for (size_t i = 0; i < in->naudiences; i++) {
        if (empty(in->audiences[i]))
            return zk_err_set(err, ZK_EINVAL, "service-account token audience %zu is empty", i);
        json_array_append_new(aud, json_string(in->audiences[i]));
    }

    int64_t now = in->now ? in->now : zk_wall_s();
    char jti[37];
    random_uuid(jti);
    zk_autofree char *sub = zk_xasprintf("system:serviceaccount:%s:%s", in->ns, in->sa_name);

    zk_autojson json_t *k8s = json_pack("{s:s,s:{s:s,s:s}}", "namespace", in->ns,
                                        "serviceaccount", "name", in->sa_name, "uid", in->sa_uid);
    if (!k8s)
        return zk_err_set(err, ZK_EINVAL, "service-account token fields are not valid UTF-8");
    int rc = add_ref(k8s, "pod", in->pod_name, in->pod_uid, err);
    if (rc == 0)
        rc = add_ref(k8s, "secret", in->secret_name, in->secret_uid, err);
    if (rc == 0)
        rc = add_ref(k8s, "node", in->node_name, in->node_uid, err);
    if (rc < 0)
        return rc;
    if (in->warnafter > 0)
        json_object_set_new(k8s, "warnafter", json_integer(in->warnafter));

    json_t *c = json_pack("{s:O,s:I,s:I,s:s,s:s,s:s,s:O,s:I}", "aud", aud, "exp",
                          (json_int_t)(now + in->expiration_seconds), "iat", (json_int_t)now, "iss",
                          in->issuer, "jti", jti, "sub", sub, "kubernetes.io", k8s, "nbf",
                          (json_int_t)now);
    if (!c)
        return zk_err_set(err, ZK_EINVAL, "service-account token fields are not valid UTF-8");
    *claims = c;
    return 0;
}
