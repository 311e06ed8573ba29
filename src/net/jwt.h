/* zke net: JSON Web Tokens signed with RS256, for ServiceAccount tokens.
 *
 * A token is the JWS compact form BASE64URL(header).BASE64URL(claims).
 * BASE64URL(signature), unpadded (RFC 7515). zke signs with RSASSA-PKCS1-v1_5
 * over SHA-256 ("RS256"), the algorithm Kubernetes uses for ServiceAccount
 * tokens, and verifies only that: "none", HS256 and every other alg are
 * rejected before the signature is looked at. Inputs are bounded: a token
 * longer than ZK_NET_JWT_MAX bytes is refused unparsed. */
#ifndef ZK_NET_JWT_H
#define ZK_NET_JWT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

#define ZK_NET_JWT_MAX (16 * 1024)
/* Clock skew tolerated on exp, nbf and iat, in seconds (as Kubernetes). */
#define ZK_NET_JWT_DEFAULT_LEEWAY 60

/* Append the unpadded base64url encoding of data to out. Returns 0 or
 * -ZK_ETOOBIG when out's bound is hit. */
int zk_net_jwt_b64url_encode(const void *data, size_t len, zk_buf *out);

/* Decode len bytes of unpadded base64url text, appending the bytes to out.
 * Padding, characters outside [A-Za-z0-9_-], an impossible length, and
 * non-zero trailing bits are -ZK_EPARSE; out's bound -ZK_ETOOBIG. On error
 * out may hold part of the result. */
int zk_net_jwt_b64url_decode(const char *s, size_t len, zk_buf *out, zk_err *err);

/* The key ID Kubernetes puts in a token's "kid" header: unpadded base64url
 * of the SHA-256 of the key's DER SubjectPublicKeyInfo. Writes it to out
 * (at least 44 bytes). Works on a private or a public key. */
int zk_net_jwt_key_id(EVP_PKEY *key, char *out, size_t outlen, zk_err *err);

/* Sign claims (a JSON object, encoded compactly) with an RSA private key
 * of at least 2048 bits. The header is {"alg":"RS256","kid":kid}; kid NULL
 * means the key's zk_net_jwt_key_id, "" leaves kid out. On success *token
 * is a new NUL-terminated string the caller free()s. A non-RSA key is
 * -ZK_EINVAL. */
int zk_net_jwt_sign(const json_t *claims, EVP_PKEY *key, const char *kid, char **token,
                    zk_err *err);

/* Same, loading the PEM private key from key_path first (kid computed). */
int zk_net_jwt_sign_file(const json_t *claims, const char *key_path, char **token, zk_err *err);

/* What zk_net_jwt_verify checks beyond the signature. Zero-initialised means:
 * any issuer, any audience, wall clock, default leeway, exp optional. */
typedef struct zk_net_jwt_verify_opts {
    const char *const *issuers;   /* iss must equal one of these; NULL/0: not checked */
    size_t nissuers;
    const char *const *audiences; /* aud (string or array) must contain one; NULL/0: not checked */
    size_t naudiences;
    int64_t now;                  /* seconds since the epoch; 0: wall clock */
    int64_t leeway;               /* seconds; 0: ZK_NET_JWT_DEFAULT_LEEWAY, <0: none */
    bool require_exp;             /* reject tokens without exp */
} zk_net_jwt_verify_opts;

/* Verify a compact token against an RSA public key, then its claims:
 * header alg must be "RS256" and carry no "crit"; the signature must be
 * valid; exp (if present) not past now-leeway; nbf and iat (if present) not
 * after now+leeway; iss and aud as opts asks. opts may be NULL.
 * On success returns 0 and, when claims is non-NULL, *claims is the claims
 * object (new reference). On failure *claims is NULL and the result is
 * -ZK_ETOOBIG (longer than ZK_NET_JWT_MAX), -ZK_EPARSE (not a JWS compact
 * token / bad JSON), -ZK_EFORBIDDEN (wrong alg, bad signature, expired,
 * not yet valid, wrong issuer or audience), or -ZK_EINVAL (pub is not an RSA
 * key of at least 2048 bits), with a message saying which. One key per call:
 * to accept several (key rotation), try each in turn. */
int zk_net_jwt_verify(const char *token, size_t len, EVP_PKEY *pub,
                      const zk_net_jwt_verify_opts *opts, json_t **claims, zk_err *err);

/* Inputs of a bound ServiceAccount token, as TokenRequest issues it. */
typedef struct zk_net_jwt_sa_token {
    const char *issuer;            /* the server's --service-account-issuer */
    const char *const *audiences;  /* at least one */
    size_t naudiences;
    const char *ns;                /* the ServiceAccount's namespace */
    const char *sa_name;
    const char *sa_uid;
    const char *pod_name;          /* bound object refs: NULL when not bound */
    const char *pod_uid;
    const char *secret_name;
    const char *secret_uid;
    const char *node_name;         /* the pod's node, or a node-bound token */
    const char *node_uid;
    int64_t now;                   /* iat and nbf; 0: wall clock */
    int64_t expiration_seconds;    /* exp = now + this; must be > 0 */
    int64_t warnafter;             /* 0: absent; else kubernetes.io.warnafter (epoch s) */
} zk_net_jwt_sa_token;

/* Build the claims Kubernetes puts in a bound ServiceAccount token:
 *   iss, sub "system:serviceaccount:<ns>:<name>", aud [..], exp, iat, nbf,
 *   jti (a random UUID), and "kubernetes.io": {namespace,
 *   serviceaccount: {name, uid}, pod/secret/node: {name, uid} when bound,
 *   warnafter when set}.
 * On success *claims is a new object. Missing issuer, audience, namespace,
 * name or uid, half of a bound-object ref, or a non-positive expiration is
 * -ZK_EINVAL. */
int zk_net_jwt_sa_claims(const zk_net_jwt_sa_token *in, json_t **claims, zk_err *err);

#endif
