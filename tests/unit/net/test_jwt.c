#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "net/jwt.h"
#include "net/pki.h"

#define NOW 1800000000LL

typedef struct keys {
    EVP_PKEY *key;
    EVP_PKEY *pub;   /* public half only */
    EVP_PKEY *other; /* an unrelated RSA key */
} keys;

static EVP_PKEY *public_only(EVP_PKEY *k)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    const unsigned char *p = der;
    EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, n);
    OPENSSL_free(der);
    return pub;
}

static int setup(void **state)
{
    keys *k = zk_xcalloc(1, sizeof(*k));
    k->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    k->other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (!k->key || !k->other)
        return -1;
    k->pub = public_only(k->key);
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    keys *k = *state;
    EVP_PKEY_free(k->key);
    EVP_PKEY_free(k->pub);
    EVP_PKEY_free(k->other);
    free(k);
    return 0;
}

static const char *const auds[] = {"https://kubernetes.default.svc.cluster.local", "zke"};

static json_t *sa_claims(int64_t now, int64_t ttl)
{
    zk_net_jwt_sa_token in = {
        .issuer = "https://kubernetes.default.svc.cluster.local",
        .audiences = auds,
        .naudiences = 2,
        .ns = "team-a",
        .sa_name = "builder",
        .sa_uid = "5d1b2c9e-0000-4000-8000-000000000001",
        .pod_name = "web-1",
        .pod_uid = "5d1b2c9e-0000-4000-8000-000000000002",
        .node_name = "edge-7",
        .node_uid = "5d1b2c9e-0000-4000-8000-000000000003",
        .now = now,
        .expiration_seconds = ttl,
    };
    json_t *c = NULL;
    zk_err err = {0};
    assert_int_equal(zk_net_jwt_sa_claims(&in, &c, &err), 0);
    return c;
}

static char *sign(EVP_PKEY *key, const json_t *claims)
{
    char *tok = NULL;
    zk_err err = {0};
    assert_int_equal(zk_net_jwt_sign(claims, key, NULL, &tok, &err), 0);
    return tok;
}

static int verify(EVP_PKEY *pub, const char *tok, const zk_net_jwt_verify_opts *o, zk_err *err)
{
    return zk_net_jwt_verify(tok, strlen(tok), pub, o, NULL, err);
}

static void test_b64url(void **state)
{
    static const struct {
        const char *raw;
        const char *enc;
    } cases[] = {
        {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"},
        {"\xfb\xff\xbf", "-_-_"},
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        zk_autobuf zk_buf b = ZK_BUF_INIT(64);
        assert_int_equal(zk_net_jwt_b64url_encode(cases[i].raw, strlen(cases[i].raw), &b), 0);
        assert_string_equal(b.len ? b.data : "", cases[i].enc);
        zk_autobuf zk_buf d = ZK_BUF_INIT(64);
        assert_int_equal(zk_net_jwt_b64url_decode(cases[i].enc, strlen(cases[i].enc), &d, NULL),
                         0);
        assert_int_equal(d.len, strlen(cases[i].raw));
        assert_memory_equal(d.len ? d.data : "", cases[i].raw, d.len);
    }
    static const char *const bad[] = {"Zg==", "Z", "Zh", "Zm9v+", "Zm/v", "a b"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(bad); i++) {
        zk_autobuf zk_buf d = ZK_BUF_INIT(64);
        assert_int_equal(zk_net_jwt_b64url_decode(bad[i], strlen(bad[i]), &d, NULL), -ZK_EPARSE);
    }
    zk_autobuf zk_buf small = ZK_BUF_INIT(2);
    assert_int_equal(zk_net_jwt_b64url_decode("Zm9v", 4, &small, NULL), -ZK_ETOOBIG);
}

static void test_sa_claims_layout(void **state)
{
    zk_autojson json_t *c = sa_claims(NOW, 3600);
    assert_string_equal(zk_json_str(c, "iss"), "https://kubernetes.default.svc.cluster.local");
    assert_string_equal(zk_json_str(c, "sub"), "system:serviceaccount:team-a:builder");
    assert_int_equal(json_array_size(json_object_get(c, "aud")), 2);
    assert_int_equal(zk_json_int(c, "iat", 0), NOW);
    assert_int_equal(zk_json_int(c, "nbf", 0), NOW);
    assert_int_equal(zk_json_int(c, "exp", 0), NOW + 3600);
    assert_int_equal(strlen(zk_json_str(c, "jti")), 36);
    assert_string_equal(zk_json_path_str(c, "kubernetes.io", "namespace", NULL), "team-a");
    assert_string_equal(zk_json_path_str(c, "kubernetes.io", "serviceaccount", "name", NULL),
                        "builder");
    assert_non_null(zk_json_path_str(c, "kubernetes.io", "serviceaccount", "uid", NULL));
    assert_string_equal(zk_json_path_str(c, "kubernetes.io", "pod", "name", NULL), "web-1");
    assert_string_equal(zk_json_path_str(c, "kubernetes.io", "node", "name", NULL), "edge-7");
    assert_null(zk_json_path(c, "kubernetes.io", "secret", NULL));
    assert_null(zk_json_path(c, "kubernetes.io", "warnafter", NULL));

    zk_autojson json_t *c2 = sa_claims(NOW, 3600);
    assert_string_not_equal(zk_json_str(c, "jti"), zk_json_str(c2, "jti"));

    zk_net_jwt_sa_token half = {
        .issuer = "x", .audiences = auds, .naudiences = 1, .ns = "a", .sa_name = "b",
        .sa_uid = "c", .pod_name = "p", .expiration_seconds = 60,
    };
    json_t *out = NULL;
    assert_int_equal(zk_net_jwt_sa_claims(&half, &out, NULL), -ZK_EINVAL);
    assert_null(out);
}

static void test_round_trip(void **state)
{
    keys *k = *state;
    zk_autojson json_t *c = sa_claims(NOW, 3600);
    zk_autofree char *tok = sign(k->key, c);

    /* Header: RS256 with the Kubernetes-style key ID. */
    size_t hlen = strcspn(tok, ".");
    zk_autobuf zk_buf hdr = ZK_BUF_INIT(1024);
    assert_int_equal(zk_net_jwt_b64url_decode(tok, hlen, &hdr, NULL), 0);
    char kid[64];
    assert_int_equal(zk_net_jwt_key_id(k->pub, kid, sizeof(kid), NULL), 0);
    zk_autofree char *want = zk_xasprintf("{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
    assert_string_equal(hdr.data, want);

    zk_net_jwt_verify_opts o = {
        .issuers = (const char *[]){"https://kubernetes.default.svc.cluster.local"},
        .nissuers = 1,
        .audiences = (const char *[]){"zke"},
        .naudiences = 1,
        .now = NOW + 10,
        .require_exp = true,
    };
    json_t *got = NULL;
    zk_err err = {0};
    assert_int_equal(zk_net_jwt_verify(tok, strlen(tok), k->pub, &o, &got, &err), 0);
    assert_true(json_equal(got, c));
    json_decref(got);

    /* Defaults: no iss/aud checks, wall clock. */
    zk_autojson json_t *fresh = sa_claims(zk_wall_s(), 600);
    zk_autofree char *t2 = sign(k->key, fresh);
    assert_int_equal(verify(k->pub, t2, NULL, &err), 0);
    zk_autojson json_t *old = sa_claims(zk_wall_s() - 7200, 600);
    zk_autofree char *t3 = sign(k->key, old);
    assert_int_equal(verify(k->pub, t3, NULL, &err), -ZK_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "expired"));
}

static void test_sign_and_verify_with_pki_files(void **state)
{
    char dir[] = "/tmp/zke-jwt-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    zk_err err = {0};
    assert_int_equal(zk_net_pki_ensure(dir, NULL, 0, &err), 0);
    zk_autofree char *keyp = zk_xasprintf("%s/sa.key", dir);
    zk_autofree char *pubp = zk_xasprintf("%s/sa.pub", dir);
    zk_autojson json_t *c = sa_claims(NOW, 600);
    zk_autofree char *tok = NULL;
    assert_int_equal(zk_net_jwt_sign_file(c, keyp, &tok, &err), 0);
    zk_net_autopkey EVP_PKEY *pub = NULL;
    assert_int_equal(zk_net_pki_load_pubkey(pubp, &pub, &err), 0);
    zk_net_jwt_verify_opts o = {.now = NOW};
    assert_int_equal(verify(pub, tok, &o, &err), 0);
    zk_autofree char *cmd = zk_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Replace the claims segment of tok with the encoding of claims. */
static char *swap_claims(const char *tok, const json_t *claims)
{
    size_t h = strcspn(tok, ".");
    size_t sig = h + 1 + strcspn(tok + h + 1, ".");
    zk_autofree char *c = zk_json_dumps(claims);
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_NET_JWT_MAX * 2);
    zk_buf_append(&b, tok, h + 1);
    zk_net_jwt_b64url_encode(c, strlen(c), &b);
    zk_buf_puts(&b, tok + sig);
    return zk_buf_steal(&b, NULL);
}

static void test_tampered_payload_fails(void **state)
{
    keys *k = *state;
    zk_autojson json_t *c = sa_claims(NOW, 3600);
    zk_autofree char *tok = sign(k->key, c);
    zk_autojson json_t *evil = json_deep_copy(c);
    json_object_set_new(evil, "sub", json_string("system:serviceaccount:kube-system:admin"));
    zk_autofree char *forged = swap_claims(tok, evil);
    zk_net_jwt_verify_opts o = {.now = NOW};
    zk_err err = {0};
    assert_int_equal(verify(k->pub, forged, &o, &err), -ZK_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "signature"));

    /* One flipped signature character. */
    zk_autofree char *flipped = zk_xstrdup(tok);
    size_t n = strlen(flipped);
    flipped[n - 3] = flipped[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(k->pub, flipped, &o, &err), -ZK_EFORBIDDEN);

    /* The right token against another key. */
    assert_int_equal(verify(k->other, tok, &o, &err), -ZK_EFORBIDDEN);
}

static char *unsigned_token(const char *alg, const json_t *claims, const char *sig)
{
    zk_autojson json_t *hdr = json_pack("{s:s}", "alg", alg);
    zk_autofree char *h = zk_json_dumps(hdr);
    zk_autofree char *c = zk_json_dumps(claims);
    zk_autobuf zk_buf b = ZK_BUF_INIT(ZK_NET_JWT_MAX);
    zk_net_jwt_b64url_encode(h, strlen(h), &b);
    zk_buf_putc(&b, '.');
    zk_net_jwt_b64url_encode(c, strlen(c), &b);
    zk_buf_putc(&b, '.');
    zk_buf_puts(&b, sig);
    return zk_buf_steal(&b, NULL);
}

static void expect_alg_rejected(EVP_PKEY *pub, const char *alg, const json_t *claims,
                                const char *sig, const zk_net_jwt_verify_opts *o)
{
    char *tok = unsigned_token(alg, claims, sig);
    zk_err err = {0};
    assert_int_equal(verify(pub, tok, o, &err), -ZK_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "algorithm"));
    free(tok);
}

static void test_other_algs_fail(void **state)
{
    keys *k = *state;
    zk_autojson json_t *c = sa_claims(NOW, 3600);
    zk_net_jwt_verify_opts o = {.now = NOW};
    static const char *const algs[] = {"none", "None", "HS256", "RS512", "ES256", "PS256"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(algs); i++)
        expect_alg_rejected(k->pub, algs[i], c, "", &o);
    /* A real RS256 signature does not help a header that says "none". */
    zk_autofree char *good = sign(k->key, c);
    size_t h = strcspn(good, ".");
    size_t sig = h + 1 + strcspn(good + h + 1, ".") + 1;
    expect_alg_rejected(k->pub, "none", c, good + sig, &o);
}

static void test_time_checks(void **state)
{
    keys *k = *state;
    zk_autojson json_t *c = sa_claims(NOW, 600);
    zk_autofree char *tok = sign(k->key, c);
    zk_err err = {0};
    zk_net_jwt_verify_opts o = {.now = NOW + 600 + 30}; /* within the 60 s leeway */
    assert_int_equal(verify(k->pub, tok, &o, &err), 0);
    o.now = NOW + 600 + 61;
    assert_int_equal(verify(k->pub, tok, &o, &err), -ZK_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "expired"));
    o.now = NOW + 601;
    o.leeway = -1; /* no leeway */
    assert_int_equal(verify(k->pub, tok, &o, &err), -ZK_EFORBIDDEN);

    zk_net_jwt_verify_opts early = {.now = NOW - 120};
    assert_int_equal(verify(k->pub, tok, &early, &err), -ZK_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "not valid yet"));

    /* exp required but absent. */
    zk_autojson json_t *noexp = json_deep_copy(c);
    json_object_del(noexp, "exp");
    zk_autofree char *t2 = sign(k->key, noexp);
    zk_net_jwt_verify_opts need = {.now = NOW, .require_exp = true};
    assert_int_equal(verify(k->pub, t2, &need, &err), -ZK_EFORBIDDEN);
    need.require_exp = false;
    assert_int_equal(verify(k->pub, t2, &need, &err), 0);
}

static void test_iss_and_aud(void **state)
{
    keys *k = *state;
    zk_autojson json_t *c = sa_claims(NOW, 600);
    zk_autofree char *tok = sign(k->key, c);
    zk_err err = {0};
    zk_net_jwt_verify_opts o = {
        .audiences = (const char *[]){"vault", "sts.amazonaws.com"}, .naudiences = 2, .now = NOW};
    assert_int_equal(verify(k->pub, tok, &o, &err), -ZK_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "audience"));
    o.audiences = (const char *[]){"vault", "zke"};
    assert_int_equal(verify(k->pub, tok, &o, &err), 0);

    /* aud as a single string is valid JWT too. */
    zk_autojson json_t *one = json_deep_copy(c);
    json_object_set_new(one, "aud", json_string("zke"));
    zk_autofree char *t2 = sign(k->key, one);
    assert_int_equal(verify(k->pub, t2, &o, &err), 0);

    zk_net_jwt_verify_opts iss = {.issuers = (const char *[]){"https://other"}, .nissuers = 1,
                                  .now = NOW};
    assert_int_equal(verify(k->pub, tok, &iss, &err), -ZK_EFORBIDDEN);
    assert_non_null(strstr(err.msg, "issuer"));
}

static void test_malformed_and_oversized(void **state)
{
    keys *k = *state;
    zk_err err = {0};
    static const char *const bad[] = {"", "abc", "a.b", "a.b.c.d", "..", "e30.e30.", "!!.e30.AA"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(bad); i++) {
        int rc = verify(k->pub, bad[i], NULL, &err);
        assert_true(rc == -ZK_EPARSE || rc == -ZK_EFORBIDDEN);
    }
    /* Header that is JSON but not an object; duplicate keys. */
    zk_autobuf zk_buf b = ZK_BUF_INIT(256);
    zk_net_jwt_b64url_encode("[1]", 3, &b);
    zk_buf_puts(&b, ".e30.AA");
    assert_int_equal(verify(k->pub, b.data, NULL, &err), -ZK_EPARSE);
    zk_buf_reset(&b);
    const char *dup = "{\"alg\":\"RS256\",\"alg\":\"none\"}";
    zk_net_jwt_b64url_encode(dup, strlen(dup), &b);
    zk_buf_puts(&b, ".e30.AA");
    assert_int_equal(verify(k->pub, b.data, NULL, &err), -ZK_EPARSE);

    size_t n = ZK_NET_JWT_MAX + 1;
    zk_autofree char *big = zk_xmalloc(n + 1);
    memset(big, 'A', n);
    big[10] = '.';
    big[20] = '.';
    big[n] = '\0';
    assert_int_equal(verify(k->pub, big, NULL, &err), -ZK_ETOOBIG);

    /* Signing refuses non-RSA keys. */
    zk_net_autopkey EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    zk_autojson json_t *c = json_pack("{s:s}", "sub", "x");
    char *tok = NULL;
    assert_int_equal(zk_net_jwt_sign(c, ec, NULL, &tok, &err), -ZK_EINVAL);
    assert_null(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_sa_claims_layout),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_sign_and_verify_with_pki_files),
        cmocka_unit_test(test_tampered_payload_fails),
        cmocka_unit_test(test_other_algs_fail),
        cmocka_unit_test(test_time_checks),
        cmocka_unit_test(test_iss_and_aud),
        cmocka_unit_test(test_malformed_and_oversized),
    };
    return cmocka_run_group_tests_name("jwt", tests, setup, teardown);
}
