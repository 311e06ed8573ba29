#include "net/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"

#define CA_DAYS 3650
#define LEAF_DAYS 365
#define RENEW_BEFORE_DAYS 90
/* Tolerate clocks of peers that run a little behind ours. */
#define BACKDATE_SECONDS (5 * 60)
#define KUBECONFIG_MAX (1024 * 1024)

static const char *const default_sans[] = {
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "127.0.0.1",
    "::1",
};

static const char *const admin_orgs[] = {"system:masters"};

enum cert_kind { CERT_CA, CERT_SERVER, CERT_CLIENT };

/* Key material is wiped before its memory goes back to the allocator. */
static void cleanse_freep(char **p)
{
    if (*p) {
        OPENSSL_cleanse(*p, strlen(*p));
        free(*p);
    }
}
#define autocleanse __attribute__((cleanup(cleanse_freep)))

static void gens_freep(GENERAL_NAMES **p) { GENERAL_NAMES_free(*p); }
static void name_freep(X509_NAME **p) { X509_NAME_free(*p); }
static void bn_freep(BIGNUM **p) { BN_free(*p); }

const char *zk_net_pki_ossl_error(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        snprintf(buf, len, "unknown OpenSSL error");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

static int ossl_fail(zk_err *err, const char *what)
{
    char msg[256];
    return zk_err_set(err, ZK_EINTERNAL, "%s: %s", what, zk_net_pki_ossl_error(msg, sizeof(msg)));
}

/* ---- files ---- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return zk_xstrdup(".");
    if (slash == path)
        return zk_xstrdup("/");
    return zk_xstrndup(path, (size_t)(slash - path));
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int zk_net_pki_write_file(const char *path, const void *data, size_t len, mode_t mode, zk_err *err)
{
    zk_autofree char *tmp = zk_xasprintf("%s.tmp.XXXXXX", path);
    /* mkostemp creates the file 0600, so a key is never readable by others,
     * not even for a moment. */
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return zk_err_set(err, ZK_EIO, "create temporary file for %s: %s", path, strerror(errno));

    const char *step = NULL;
    int saved = 0;
    if (fchmod(fd, mode) < 0)
        step = "chmod";
    else if (write_all(fd, data, len) < 0)
        step = "write";
    else if (fsync(fd) < 0)
        step = "fsync";
    if (step)
        saved = errno;
    if (close(fd) < 0 && !step) {
        step = "close";
        saved = errno;
    }
    if (!step && rename(tmp, path) < 0) {
        step = "rename";
        saved = errno;
    }
    if (step) {
        unlink(tmp);
        return zk_err_set(err, ZK_EIO, "%s %s: %s", step, path, strerror(saved));
    }

    /* The rename is durable only once the directory entry is on disk. */
    zk_autofree char *dir = dir_of(path);
    zk_autoclose int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0)
        return zk_err_set(err, ZK_EIO, "fsync directory %s: %s", dir, strerror(errno));
    return 0;
}

int zk_net_pki_read_file(const char *path, size_t max, char **out, size_t *len, zk_err *err)
{
    *out = NULL;
    if (len)
        *len = 0;
    zk_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return zk_err_set(err, e == ENOENT ? ZK_ENOTFOUND : ZK_EIO, "open %s: %s", path,
                          strerror(e));
    }
    zk_autobuf zk_buf b = ZK_BUF_INIT(max);
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            OPENSSL_cleanse(chunk, sizeof(chunk));
            if (b.data)
                OPENSSL_cleanse(b.data, b.len);
            return zk_err_set(err, ZK_EIO, "read %s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        if (zk_buf_append(&b, chunk, (size_t)n) < 0) {
            OPENSSL_cleanse(chunk, sizeof(chunk));
            if (b.data)
                OPENSSL_cleanse(b.data, b.len);
            return zk_err_set(err, ZK_ETOOBIG, "%s is larger than %zu bytes", path, max);
        }
    }
    OPENSSL_cleanse(chunk, sizeof(chunk));
    *out = zk_buf_steal(&b, len);
    return 0;
}

static int file_exists(const char *path, bool *exists, zk_err *err)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return zk_err_set(err, ZK_EINVAL, "%s exists but is not a regular file", path);
        *exists = true;
        return 0;
    }
    if (errno == ENOENT) {
        *exists = false;
        return 0;
    }
    return zk_err_set(err, ZK_EIO, "stat %s: %s", path, strerror(errno));
}

/* ---- PEM ---- */

static char *bio_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n < 0 || !data)
        return NULL;
    char *s = zk_xmalloc((size_t)n + 1);
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

char *zk_net_pki_key_pem(EVP_PKEY *key)
{
    zk_net_autobio BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
        return NULL;
    char *s = bio_string(bio);
    /* The memory BIO holds key material too; wipe it before it is freed. */
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n > 0 && data)
        OPENSSL_cleanse(data, (size_t)n);
    return s;
}

char *zk_net_pki_pubkey_pem(EVP_PKEY *key)
{
    zk_net_autobio BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio_PUBKEY(bio, key) != 1)
        return NULL;
    return bio_string(bio);
}

char *zk_net_pki_cert_pem(X509 *cert)
{
    zk_net_autobio BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio_X509(bio, cert) != 1)
        return NULL;
    return bio_string(bio);
}

/* Never prompt on a terminal for the passphrase of an encrypted key. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

int zk_net_pki_load_key(const char *path, EVP_PKEY **out, zk_err *err)
{
    *out = NULL;
    autocleanse char *pem = NULL;
    size_t len = 0;
    int rc = zk_net_pki_read_file(path, ZK_NET_PKI_MAX_FILE, &pem, &len, err);
    if (rc < 0)
        return rc;
    zk_net_autobio BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return ossl_fail(err, "memory BIO");
    *out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    if (!*out) {
        char msg[256];
        return zk_err_set(err, ZK_EPARSE, "%s: no unencrypted PEM private key: %s", path,
                          zk_net_pki_ossl_error(msg, sizeof(msg)));
    }
    return 0;
}

int zk_net_pki_load_pubkey(const char *path, EVP_PKEY **out, zk_err *err)
{
    *out = NULL;
    autocleanse char *pem = NULL;
    size_t len = 0;
    int rc = zk_net_pki_read_file(path, ZK_NET_PKI_MAX_FILE, &pem, &len, err);
    if (rc < 0)
        return rc;
    /* Kubernetes accepts a public key, a certificate or a private key as a
     * service-account verification key; so do we. A read-only memory BIO
     * can be read again from the start by making a new one. */
    zk_net_autobio BIO *b1 = BIO_new_mem_buf(pem, (int)len);
    if (b1 && (*out = PEM_read_bio_PUBKEY(b1, NULL, no_passphrase, NULL)) != NULL)
        return 0;
    zk_net_autobio BIO *b2 = BIO_new_mem_buf(pem, (int)len);
    zk_net_autox509 X509 *cert = b2 ? PEM_read_bio_X509(b2, NULL, no_passphrase, NULL) : NULL;
    if (cert && (*out = X509_get_pubkey(cert)) != NULL) {
        ERR_clear_error();
        return 0;
    }
    zk_net_autobio BIO *b3 = BIO_new_mem_buf(pem, (int)len);
    if (b3 && (*out = PEM_read_bio_PrivateKey(b3, NULL, no_passphrase, NULL)) != NULL) {
        ERR_clear_error();
        return 0;
    }
    ERR_clear_error();
    return zk_err_set(err, ZK_EPARSE, "%s: no PEM public key, certificate or private key", path);
}

int zk_net_pki_load_cert(const char *path, X509 **out, zk_err *err)
{
    *out = NULL;
    zk_autofree char *pem = NULL;
    size_t len = 0;
    int rc = zk_net_pki_read_file(path, ZK_NET_PKI_MAX_FILE, &pem, &len, err);
    if (rc < 0)
        return rc;
    zk_net_autobio BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return ossl_fail(err, "memory BIO");
    *out = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
    if (!*out) {
        char msg[256];
        return zk_err_set(err, ZK_EPARSE, "%s: no PEM certificate: %s", path,
                          zk_net_pki_ossl_error(msg, sizeof(msg)));
    }
    return 0;
}

static int write_key(const char *path, EVP_PKEY *key, zk_err *err)
{
    autocleanse char *pem = zk_net_pki_key_pem(key);
    if (!pem)
        return ossl_fail(err, "encode private key");
    int rc = zk_net_pki_write_file(path, pem, strlen(pem), 0600, err);
    return rc;
}

static int write_cert(const char *path, X509 *cert, zk_err *err)
{
    zk_autofree char *pem = zk_net_pki_cert_pem(cert);
    if (!pem)
        return ossl_fail(err, "encode certificate");
    return zk_net_pki_write_file(path, pem, strlen(pem), 0644, err);
}

/* ---- subject alternative names ---- */

/* Parse an IPv4/IPv6 literal into bin (16 bytes); returns its length or 0. */
static int parse_ip(const char *s, unsigned char *bin)
{
    if (inet_pton(AF_INET, s, bin) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, bin) == 1)
        return 16;
    return 0;
}

static bool valid_dns_name(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253)
        return false;
    const char *p = s;
    if (p[0] == '*' && p[1] == '.')
        p += 2;
    /* Each label: 1..63 of [A-Za-z0-9-], not starting or ending with '-'. */
    while (*p) {
        const char *start = p;
        while (*p && *p != '.') {
            char c = *p;
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-';
            if (!ok)
                return false;
            p++;
        }
        size_t l = (size_t)(p - start);
        if (l == 0 || l > 63 || start[0] == '-' || p[-1] == '-')
            return false;
        if (*p == '.') {
            p++;
            if (*p == '\0')
                return false;
        }
    }
    return true;
}

static bool san_equal(const char *a, const char *b)
{
    unsigned char ba[16], bb[16];
    int la = parse_ip(a, ba), lb = parse_ip(b, bb);
    if (la || lb)
        return la == lb && memcmp(ba, bb, (size_t)la) == 0;
    return strcasecmp(a, b) == 0;
}

/* Does cert carry san (DNS name compared case-insensitively, IP by value)? */
static bool cert_has_san(X509 *cert, const char *san)
{
    GENERAL_NAMES *gens __attribute__((cleanup(gens_freep))) =
        X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!gens)
        return false;
    unsigned char bin[16];
    int binlen = parse_ip(san, bin);
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (binlen && g->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *ip = g->d.iPAddress;
            if (ASN1_STRING_length(ip) == binlen &&
                memcmp(ASN1_STRING_get0_data(ip), bin, (size_t)binlen) == 0)
                return true;
        } else if (!binlen && g->type == GEN_DNS) {
            const ASN1_IA5STRING *dns = g->d.dNSName;
            size_t l = (size_t)ASN1_STRING_length(dns);
            if (l == strlen(san) &&
                strncasecmp((const char *)ASN1_STRING_get0_data(dns), san, l) == 0)
                return true;
        }
    }
    return false;
}

static int add_sans(X509 *x, const char *const *sans, size_t n, zk_err *err)
{
    GENERAL_NAMES *gens __attribute__((cleanup(gens_freep))) = sk_GENERAL_NAME_new_null();
    if (!gens)
        return ossl_fail(err, "allocate SAN list");
    for (size_t i = 0; i < n; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        if (!g)
            return ossl_fail(err, "allocate SAN");
        unsigned char bin[16];
        int binlen = parse_ip(sans[i], bin);
        ASN1_STRING *v = binlen ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
        if (!v || !ASN1_STRING_set(v, binlen ? (const void *)bin : (const void *)sans[i],
                                   binlen ? binlen : -1)) {
            ASN1_STRING_free(v);
            GENERAL_NAME_free(g);
            return ossl_fail(err, "encode SAN");
        }
        GENERAL_NAME_set0_value(g, binlen ? GEN_IPADD : GEN_DNS, v);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            return ossl_fail(err, "append SAN");
        }
    }
    if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
        return ossl_fail(err, "add subjectAltName");
    return 0;
}

/* ---- certificates ---- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value, zk_err *err)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return ossl_fail(err, "build certificate extension");
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : ossl_fail(err, "add certificate extension");
}

typedef struct cert_req {
    enum cert_kind kind;
    const char *cn;
    const char *const *orgs;
    size_t norgs;
    const char *const *sans;
    size_t nsans;
    long days;
} cert_req;

/* Build and sign a certificate for pub. issuer/issuer_key NULL: self-signed
 * with pub's own private key (issuer_key must then be that key). */
static int make_cert(const cert_req *r, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key,
                     X509 **out, zk_err *err)
{
    *out = NULL;
    zk_net_autox509 X509 *x = X509_new();
    if (!x || X509_set_version(x, X509_VERSION_3) != 1)
        return ossl_fail(err, "new certificate");

    /* A random positive 127-bit serial, as RFC 5280 asks (at most 20 octets). */
    BIGNUM *bn __attribute__((cleanup(bn_freep))) = BN_new();
    if (!bn || BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
        return ossl_fail(err, "certificate serial number");

    if (!X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_SECONDS) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), (int)r->days, 0, NULL))
        return ossl_fail(err, "certificate validity");

    X509_NAME *name __attribute__((cleanup(name_freep))) = X509_NAME_new();
    if (!name)
        return ossl_fail(err, "certificate subject");
    for (size_t i = 0; i < r->norgs; i++) {
        if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                        (const unsigned char *)r->orgs[i], -1, -1, 0))
            return ossl_fail(err, "certificate subject O");
    }
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)r->cn, -1,
                                    -1, 0))
        return ossl_fail(err, "certificate subject CN");
    if (X509_set_subject_name(x, name) != 1 ||
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1 ||
        X509_set_pubkey(x, pub) != 1)
        return ossl_fail(err, "certificate names");

    int rc = 0;
    switch (r->kind) {
    case CERT_CA:
        rc = add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE", err);
        if (rc == 0)
            rc = add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign",
                         err);
        if (rc == 0)
            rc = add_ext(x, issuer, NID_subject_key_identifier, "hash", err);
        break;
    case CERT_SERVER:
    case CERT_CLIENT:
        rc = add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE", err);
        if (rc == 0)
            rc = add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment",
                         err);
        if (rc == 0)
            rc = add_ext(x, issuer, NID_ext_key_usage,
                         r->kind == CERT_SERVER ? "serverAuth" : "clientAuth", err);
        if (rc == 0 && issuer)
            rc = add_ext(x, issuer, NID_authority_key_identifier, "keyid:always", err);
        if (rc == 0 && r->nsans > 0)
            rc = add_sans(x, r->sans, r->nsans, err);
        break;
    }
    if (rc < 0)
        return rc;

    if (X509_sign(x, issuer_key, EVP_sha256()) <= 0)
        return ossl_fail(err, "sign certificate");
    *out = zk_steal(&x);
    return 0;
}

static EVP_PKEY *gen_ec_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static EVP_PKEY *gen_rsa_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

/* New EC key and certificate for it, signed by the CA. */
static int issue_leaf(const cert_req *r, X509 *ca, EVP_PKEY *ca_key, X509 **cert, EVP_PKEY **key,
                      zk_err *err)
{
    *cert = NULL;
    zk_net_autopkey EVP_PKEY *k = gen_ec_key();
    if (!k)
        return ossl_fail(err, "generate EC P-256 key");
    int rc = make_cert(r, k, ca, ca_key, cert, err);
    if (rc < 0)
        return rc;
    *key = zk_steal(&k);
    return 0;
}

/* ---- zk_net_pki_ensure ---- */

typedef struct pki_paths {
    char *crt;
    char *key;
} pki_paths;

static void pki_paths_free(pki_paths *p)
{
    free(p->crt);
    free(p->key);
}
#define autopaths __attribute__((cleanup(pki_paths_free)))

static pki_paths paths_for(const char *dir, const char *base, const char *crt_ext)
{
    pki_paths p = {
        zk_xasprintf("%s/%s.%s", dir, base, crt_ext),
        zk_xasprintf("%s/%s.key", dir, base),
    };
    return p;
}

static int ensure_ca(const char *dir, X509 **ca, EVP_PKEY **ca_key, zk_err *err)
{
    autopaths pki_paths p = paths_for(dir, "ca", "crt");
    bool have_crt = false, have_key = false;
    int rc = file_exists(p.crt, &have_crt, err);
    if (rc == 0)
        rc = file_exists(p.key, &have_key, err);
    if (rc < 0)
        return rc;
    if (have_crt && !have_key)
        return zk_err_set(err, ZK_EINVAL,
                          "%s exists without %s: restore the CA key, or remove %s to create a new "
                          "CA (every client must then trust the new one)",
                          p.crt, p.key, p.crt);

    zk_net_autopkey EVP_PKEY *key = NULL;
    if (have_key) {
        rc = zk_net_pki_load_key(p.key, &key, err);
        if (rc < 0)
            return zk_err_wrap(err, "load cluster CA key");
    } else {
        key = gen_ec_key();
        if (!key)
            return ossl_fail(err, "generate CA key");
        rc = write_key(p.key, key, err);
        if (rc < 0)
            return rc;
    }

    zk_net_autox509 X509 *cert = NULL;
    if (have_crt) {
        rc = zk_net_pki_load_cert(p.crt, &cert, err);
        if (rc < 0)
            return zk_err_wrap(err, "load cluster CA certificate");
        if (X509_check_private_key(cert, key) != 1) {
            ERR_clear_error();
            return zk_err_set(err, ZK_EINVAL, "%s does not match %s", p.key, p.crt);
        }
    } else {
        /* Also the path after a crash between writing ca.key and ca.crt. */
        char cn[64];
        snprintf(cn, sizeof(cn), "zke-ca@%lld", (long long)time(NULL));
        cert_req r = {.kind = CERT_CA, .cn = cn, .days = CA_DAYS};
        rc = make_cert(&r, key, NULL, key, &cert, err);
        if (rc < 0)
            return zk_err_wrap(err, "create cluster CA");
        rc = write_cert(p.crt, cert, err);
        if (rc < 0)
            return rc;
        zk_info("pki: created cluster CA %s", p.crt);
    }
    *ca = zk_steal(&cert);
    *ca_key = zk_steal(&key);
    return 0;
}

/* Why an existing leaf pair cannot be used as it is; NULL when it can. */
static const char *leaf_unusable(X509 *cert, EVP_PKEY *key, X509 *ca, const char *const *sans,
                                 size_t nsans, char *why, size_t whylen)
{
    const char *reason = NULL;
    EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
    time_t limit = time(NULL) + (time_t)RENEW_BEFORE_DAYS * 86400;
    if (X509_check_private_key(cert, key) != 1)
        reason = "key does not match certificate";
    else if (!ca_pub || X509_check_issued(ca, cert) != X509_V_OK || X509_verify(cert, ca_pub) != 1)
        reason = "not signed by the current CA";
    else if (X509_cmp_time(X509_get0_notAfter(cert), &limit) <= 0)
        reason = "expires within 90 days";
    for (size_t i = 0; !reason && i < nsans; i++) {
        if (!cert_has_san(cert, sans[i])) {
            snprintf(why, whylen, "lacks SAN %s", sans[i]);
            reason = why;
        }
    }
    ERR_clear_error();
    return reason;
}

static int ensure_leaf(const char *dir, const char *base, const cert_req *r, X509 *ca,
                       EVP_PKEY *ca_key, zk_err *err)
{
    autopaths pki_paths p = paths_for(dir, base, "crt");
    bool have_crt = false, have_key = false;
    int rc = file_exists(p.crt, &have_crt, err);
    if (rc == 0)
        rc = file_exists(p.key, &have_key, err);
    if (rc < 0)
        return rc;

    const char *reason = "missing";
    char why[ZK_ERR_MSG_MAX + 64];
    if (have_crt && have_key) {
        zk_net_autox509 X509 *cert = NULL;
        zk_net_autopkey EVP_PKEY *key = NULL;
        zk_err lerr = {0};
        if (zk_net_pki_load_cert(p.crt, &cert, &lerr) < 0 ||
            zk_net_pki_load_key(p.key, &key, &lerr) < 0) {
            snprintf(why, sizeof(why), "unreadable: %s", lerr.msg);
            reason = why;
        } else {
            reason = leaf_unusable(cert, key, ca, r->sans, r->nsans, why, sizeof(why));
        }
    }
    if (!reason)
        return 0;

    zk_net_autox509 X509 *cert = NULL;
    zk_net_autopkey EVP_PKEY *key = NULL;
    rc = issue_leaf(r, ca, ca_key, &cert, &key, err);
    if (rc < 0)
        return zk_err_wrap(err, "issue %s certificate", base);
    /* Key first: a crash in between leaves a mismatched pair, which the next
     * start detects and replaces. */
    rc = write_key(p.key, key, err);
    if (rc == 0)
        rc = write_cert(p.crt, cert, err);
    if (rc < 0)
        return rc;
    zk_info("pki: issued %s (%s)", p.crt, reason);
    return 0;
}

static int ensure_sa(const char *dir, zk_err *err)
{
    autopaths pki_paths p = paths_for(dir, "sa", "pub");
    bool have_pub = false, have_key = false;
    int rc = file_exists(p.key, &have_key, err);
    if (rc == 0)
        rc = file_exists(p.crt, &have_pub, err);
    if (rc < 0)
        return rc;

    zk_net_autopkey EVP_PKEY *key = NULL;
    if (have_key) {
        rc = zk_net_pki_load_key(p.key, &key, err);
        if (rc < 0)
            return zk_err_wrap(err, "load service-account signing key");
        if (!EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_get_bits(key) < 2048)
            return zk_err_set(err, ZK_EINVAL,
                              "%s: service-account tokens are signed RS256, which needs an RSA "
                              "key of at least 2048 bits",
                              p.key);
    } else {
        key = gen_rsa_key();
        if (!key)
            return ossl_fail(err, "generate RSA 2048 service-account key");
        rc = write_key(p.key, key, err);
        if (rc < 0)
            return rc;
        have_pub = false; /* a public key without its private key is stale */
        zk_info("pki: created service-account signing key %s", p.key);
    }

    if (have_pub) {
        zk_net_autopkey EVP_PKEY *pub = NULL;
        zk_err lerr = {0};
        if (zk_net_pki_load_pubkey(p.crt, &pub, &lerr) == 0 && EVP_PKEY_eq(pub, key) == 1)
            return 0;
        ERR_clear_error();
    }
    zk_autofree char *pem = zk_net_pki_pubkey_pem(key);
    if (!pem)
        return ossl_fail(err, "encode service-account public key");
    return zk_net_pki_write_file(p.crt, pem, strlen(pem), 0644, err);
}

int zk_net_pki_ensure(const char *dir, const char *const *sans, size_t nsans, zk_err *err)
{
    /* The server's SAN list: defaults first, then the caller's, deduplicated. */
    size_t ndef = ZK_ARRAY_LEN(default_sans);
    zk_autofree const char **all = zk_xcalloc(ndef + nsans, sizeof(*all));
    size_t nall = 0;
    for (size_t i = 0; i < ndef + nsans; i++) {
        const char *s = i < ndef ? default_sans[i] : sans[i - ndef];
        unsigned char bin[16];
        if (!s || (!parse_ip(s, bin) && !valid_dns_name(s)))
            return zk_err_set(err, ZK_EINVAL,
                              "invalid certificate SAN \"%s\": want a DNS name or an IP address",
                              s ? s : "(null)");
        bool dup = false;
        for (size_t j = 0; j < nall && !dup; j++)
            dup = san_equal(all[j], s);
        if (!dup)
            all[nall++] = s;
    }

    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return zk_err_set(err, ZK_EIO, "create PKI directory %s: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return zk_err_set(err, ZK_EIO, "PKI directory %s is not a directory", dir);

    zk_net_autox509 X509 *ca = NULL;
    zk_net_autopkey EVP_PKEY *ca_key = NULL;
    int rc = ensure_ca(dir, &ca, &ca_key, err);
    if (rc < 0)
        return rc;

    cert_req server = {
        .kind = CERT_SERVER, .cn = "kube-apiserver", .sans = all, .nsans = nall, .days = LEAF_DAYS,
    };
    rc = ensure_leaf(dir, "server", &server, ca, ca_key, err);
    if (rc < 0)
        return rc;

    cert_req admin = {
        .kind = CERT_CLIENT, .cn = "zke-admin", .orgs = admin_orgs,
        .norgs = ZK_ARRAY_LEN(admin_orgs), .days = LEAF_DAYS,
    };
    rc = ensure_leaf(dir, "admin", &admin, ca, ca_key, err);
    if (rc < 0)
        return rc;

    return ensure_sa(dir, err);
}

/* The cluster CA of dir: its certificate and key. */
static int load_ca(const char *dir, X509 **ca, EVP_PKEY **ca_key, zk_err *err)
{
    autopaths pki_paths p = paths_for(dir, "ca", "crt");
    int rc = zk_net_pki_load_cert(p.crt, ca, err);
    if (rc == 0)
        rc = zk_net_pki_load_key(p.key, ca_key, err);
    return rc < 0 ? zk_err_wrap(err, "load cluster CA") : 0;
}

int zk_net_pki_issue_client(const char *dir, const char *cn, const char *const *orgs, size_t norgs,
                            char **cert_pem, char **key_pem, zk_err *err)
{
    *cert_pem = NULL;
    *key_pem = NULL;
    if (!cn || !*cn)
        return zk_err_set(err, ZK_EINVAL, "client certificate needs a common name (the user)");
    for (size_t i = 0; i < norgs; i++) {
        if (!orgs[i] || !*orgs[i])
            return zk_err_set(err, ZK_EINVAL, "client certificate organization %zu is empty", i);
    }

    zk_net_autox509 X509 *ca = NULL;
    zk_net_autopkey EVP_PKEY *ca_key = NULL;
    int rc = load_ca(dir, &ca, &ca_key, err);
    if (rc < 0)
        return rc;

    cert_req r = {
        .kind = CERT_CLIENT, .cn = cn, .orgs = orgs, .norgs = norgs, .days = LEAF_DAYS,
    };
    zk_net_autox509 X509 *cert = NULL;
    zk_net_autopkey EVP_PKEY *key = NULL;
    rc = issue_leaf(&r, ca, ca_key, &cert, &key, err);
    if (rc < 0)
        return zk_err_wrap(err, "issue client certificate for %s", cn);
    char *c = zk_net_pki_cert_pem(cert);
    char *k = zk_net_pki_key_pem(key);
    if (!c || !k) {
        free(c);
        cleanse_freep(&k);
        return ossl_fail(err, "encode client certificate");
    }
    *cert_pem = c;
    *key_pem = k;
    return 0;
}

int zk_net_pki_sign_client(const char *dir, const char *cn, const char *const *orgs, size_t norgs,
                           const char *pub_pem, char **cert_pem, zk_err *err)
{
    *cert_pem = NULL;
    if (!cn || !*cn)
        return zk_err_set(err, ZK_EINVAL, "client certificate needs a common name (the user)");
    if (!pub_pem || strlen(pub_pem) > 16384)
        return zk_err_set(err, ZK_EINVAL, "the public key is missing or too long");
    zk_net_autobio BIO *b = BIO_new_mem_buf(pub_pem, (int)strlen(pub_pem));
    zk_net_autopkey EVP_PKEY *pub = b ? PEM_read_bio_PUBKEY(b, NULL, no_passphrase, NULL) : NULL;
    ERR_clear_error();
    if (!pub)
        return zk_err_set(err, ZK_EINVAL, "the public key is not a PEM \"PUBLIC KEY\"");
    char group[64] = "";
    size_t glen = 0;
    bool ok = (EVP_PKEY_is_a(pub, "EC") &&
               EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof(group), &glen) == 1 &&
               !strcmp(group, "prime256v1")) ||
              (EVP_PKEY_is_a(pub, "RSA") && EVP_PKEY_get_bits(pub) >= 2048);
    ERR_clear_error();
    if (!ok)
        return zk_err_set(err, ZK_EINVAL, "the public key must be EC P-256 or RSA of at least "
                          "2048 bits");
    zk_net_autox509 X509 *ca = NULL;
    zk_net_autopkey EVP_PKEY *ca_key = NULL;
    int rc = load_ca(dir, &ca, &ca_key, err);
    if (rc < 0)
        return rc;
    cert_req r = {
        .kind = CERT_CLIENT, .cn = cn, .orgs = orgs, .norgs = norgs, .days = LEAF_DAYS,
    };
    zk_net_autox509 X509 *cert = NULL;
    rc = make_cert(&r, pub, ca, ca_key, &cert, err);
    if (rc < 0)
        return zk_err_wrap(err, "sign client certificate for %s", cn);
    *cert_pem = zk_net_pki_cert_pem(cert);
    return *cert_pem ? 0 : ossl_fail(err, "encode client certificate");
}

int zk_net_pki_new_key(char **key_pem, char **pub_pem, zk_err *err)
{
    zk_net_autopkey EVP_PKEY *k = gen_ec_key();
    if (!k)
        return ossl_fail(err, "generate EC P-256 key");
    *key_pem = zk_net_pki_key_pem(k);
    *pub_pem = zk_net_pki_pubkey_pem(k);
    if (!*key_pem || !*pub_pem) {
        cleanse_freep(key_pem);
        free(*pub_pem);
        *pub_pem = NULL;
        return ossl_fail(err, "encode key");
    }
    return 0;
}

/* ---- kubeconfig ---- */

static bool has_control_chars(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return true;
    }
    return false;
}

/* A YAML double-quoted scalar; JSON string escapes are valid YAML ones. */
static int put_quoted(zk_buf *b, const char *s)
{
    return zk_buf_put_json_string(b, s, strlen(s));
}

static int put_b64(zk_buf *b, const char *data)
{
    size_t n = strlen(data);
    if (n > INT_MAX / 2)
        return -ZK_ETOOBIG;
    size_t cap = 4 * ((n + 2) / 3) + 1;
    autocleanse char *out = zk_xcalloc(cap, 1);
    int w = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)n);
    if (w < 0)
        return -ZK_EINTERNAL;
    return zk_buf_append(b, out, (size_t)w);
}

static bool looks_like_pem(const char *s)
{
    return s && strstr(s, "-----BEGIN ") != NULL;
}

int zk_net_kubeconfig_write(const char *path, const char *server_url, const char *ca_pem,
                            const char *client_cert_pem, const char *client_key_pem,
                            const char *token, const char *context_name, zk_err *err)
{
    if (!server_url || !*server_url || has_control_chars(server_url))
        return zk_err_set(err, ZK_EINVAL, "kubeconfig: server URL is empty or has control characters");
    if (!context_name || !*context_name || has_control_chars(context_name))
        return zk_err_set(err, ZK_EINVAL, "kubeconfig: context name is empty or has control characters");
    if (token && (!*token || has_control_chars(token)))
        return zk_err_set(err, ZK_EINVAL, "kubeconfig: token is empty or has control characters");
    if (!looks_like_pem(ca_pem))
        return zk_err_set(err, ZK_EINVAL, "kubeconfig: CA certificate is not PEM");
    if (!client_cert_pem != !client_key_pem)
        return zk_err_set(err, ZK_EINVAL,
                          "kubeconfig: client certificate and key must be given together");
    if (client_cert_pem && (!looks_like_pem(client_cert_pem) || !looks_like_pem(client_key_pem)))
        return zk_err_set(err, ZK_EINVAL, "kubeconfig: client certificate or key is not PEM");

    zk_autobuf zk_buf b = ZK_BUF_INIT(KUBECONFIG_MAX);
    int rc = zk_buf_puts(&b, "apiVersion: v1\nkind: Config\nclusters:\n- name: ");
    rc = rc ? rc : put_quoted(&b, context_name);
    rc = rc ? rc : zk_buf_puts(&b, "\n  cluster:\n    server: ");
    rc = rc ? rc : put_quoted(&b, server_url);
    rc = rc ? rc : zk_buf_puts(&b, "\n    certificate-authority-data: ");
    rc = rc ? rc : put_b64(&b, ca_pem);
    rc = rc ? rc : zk_buf_puts(&b, "\nusers:\n- name: ");
    rc = rc ? rc : put_quoted(&b, context_name);
    if (!client_cert_pem && !token) {
        rc = rc ? rc : zk_buf_puts(&b, "\n  user: {}");
    } else {
        rc = rc ? rc : zk_buf_puts(&b, "\n  user:");
        if (client_cert_pem) {
            rc = rc ? rc : zk_buf_puts(&b, "\n    client-certificate-data: ");
            rc = rc ? rc : put_b64(&b, client_cert_pem);
            rc = rc ? rc : zk_buf_puts(&b, "\n    client-key-data: ");
            rc = rc ? rc : put_b64(&b, client_key_pem);
        }
        if (token) {
            rc = rc ? rc : zk_buf_puts(&b, "\n    token: ");
            rc = rc ? rc : put_quoted(&b, token);
        }
    }
    rc = rc ? rc : zk_buf_puts(&b, "\ncontexts:\n- name: ");
    rc = rc ? rc : put_quoted(&b, context_name);
    rc = rc ? rc : zk_buf_puts(&b, "\n  context:\n    cluster: ");
    rc = rc ? rc : put_quoted(&b, context_name);
    rc = rc ? rc : zk_buf_puts(&b, "\n    user: ");
    rc = rc ? rc : put_quoted(&b, context_name);
    rc = rc ? rc : zk_buf_puts(&b, "\ncurrent-context: ");
    rc = rc ? rc : put_quoted(&b, context_name);
    rc = rc ? rc : zk_buf_puts(&b, "\npreferences: {}\n");
    if (rc < 0) {
        if (b.data)
            OPENSSL_cleanse(b.data, b.len);
        return zk_err_set(err, -rc, "kubeconfig: larger than %d bytes", KUBECONFIG_MAX);
    }
    rc = zk_net_pki_write_file(path, b.data, b.len, 0600, err);
    OPENSSL_cleanse(b.data, b.len);
    if (rc < 0)
        return zk_err_wrap(err, "write kubeconfig");
    return 0;
}

/* ---- peer identity ---- */

static char *entry_utf8(const X509_NAME_ENTRY *e)
{
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (n < 0) {
        ERR_clear_error();
        return NULL;
    }
    char *s = NULL;
    if (memchr(utf8, '\0', (size_t)n) == NULL) /* an embedded NUL would truncate a name */
        s = zk_xstrndup((const char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    return s;
}

void zk_net_pki_free_groups(char **groups, size_t ngroups)
{
    if (!groups)
        return;
    for (size_t i = 0; i < ngroups; i++)
        free(groups[i]);
    free(groups);
}

int zk_net_pki_peer_identity(X509 *cert, char **user, char ***groups, size_t *ngroups)
{
    *user = NULL;
    *groups = NULL;
    *ngroups = 0;
    const X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;
    if (!name)
        return -ZK_EINVAL;

    zk_autofree char *cn = NULL;
    size_t norg = 0;
    for (int i = 0; i < X509_NAME_entry_count(name); i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
        if (nid == NID_commonName) {
            free(cn);
            cn = entry_utf8(e);
            if (!cn)
                return -ZK_EINVAL;
        } else if (nid == NID_organizationName) {
            norg++;
        }
    }
    if (!cn || !*cn)
        return -ZK_EINVAL;

    char **g = zk_xcalloc(norg + 1, sizeof(*g));
    size_t n = 0;
    for (int i = 0; i < X509_NAME_entry_count(name) && n < norg; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != NID_organizationName)
            continue;
        g[n] = entry_utf8(e);
        if (!g[n]) {
            zk_net_pki_free_groups(g, n);
            return -ZK_EINVAL;
        }
        n++;
    }
    *user = zk_steal(&cn);
    *groups = g;
    *ngroups = n;
    return 0;
}
