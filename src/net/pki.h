/* zke net: the cluster's certificates and keys, and kubeconfig files.
 *
 * One CA signs the API server's serving certificate and every client
 * certificate. zk_net_pki_ensure() keeps these files in the PKI directory:
 *
 *   ca.crt     ca.key      the cluster CA: EC P-256, self-signed, 10 years
 *   server.crt server.key  serving certificate, EC P-256, 1 year, signed by the CA
 *   admin.crt  admin.key   client certificate CN=zke-admin, O=system:masters
 *   sa.key     sa.pub      RSA 2048 key pair that signs ServiceAccount tokens (RS256)
 *
 * Private keys are PKCS#8 PEM with mode 0600; certificates and sa.pub are PEM
 * with mode 0644. Every file is written atomically (temp file in the same
 * directory, fsync, rename, fsync of the directory), so a crash leaves either
 * the old file or the new one, never a torn one.
 *
 * Only OpenSSL 3 EVP/X509 APIs are used; nothing here is deprecated in 3.0. */
#ifndef ZK_NET_PKI_H
#define ZK_NET_PKI_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* Scope-bound cleanup for OpenSSL objects (see base/mem.h for the idea). */
static inline void zk_net__pkey_freep(EVP_PKEY **p) { EVP_PKEY_free(*p); }
static inline void zk_net__x509_freep(X509 **p) { X509_free(*p); }
static inline void zk_net__bio_freep(BIO **p) { BIO_free_all(*p); }
#define zk_net_autopkey __attribute__((cleanup(zk_net__pkey_freep)))
#define zk_net_autox509 __attribute__((cleanup(zk_net__x509_freep)))
#define zk_net_autobio __attribute__((cleanup(zk_net__bio_freep)))

/* Largest PEM/key/cert file the PKI code reads. */
#define ZK_NET_PKI_MAX_FILE (1024 * 1024)

/* Make sure dir holds a complete, consistent PKI; create what is missing.
 *
 * dir is created with mode 0700 when it does not exist. Existing files are
 * reused. A leaf pair (server, admin) is issued again only when it cannot be
 * used as it is: one half missing, key and certificate do not match, not
 * signed by the current CA, within 90 days of expiry, or (server) missing one
 * of the required SANs. A lone ca.crt without ca.key is an error (-ZK_EINVAL):
 * zke will not silently replace a CA that other parties may trust.
 * sa.pub is rewritten from sa.key when it is missing or does not match.
 *
 * The serving certificate's SANs are DNS localhost, kubernetes,
 * kubernetes.default, kubernetes.default.svc,
 * kubernetes.default.svc.cluster.local, IP 127.0.0.1 and ::1, plus sans[0..nsans),
 * each a hostname (letters, digits, '-', '.', optional leading "*.") or an
 * IPv4/IPv6 literal. The caller adds the "kubernetes" Service ClusterIP and
 * any external names here. A malformed SAN is -ZK_EINVAL; I/O errors are
 * -ZK_EIO; OpenSSL failures -ZK_EINTERNAL. */
int zk_net_pki_ensure(const char *dir, const char *const *sans, size_t nsans, zk_err *err);

/* Issue a client certificate signed by the CA in dir (ca.crt/ca.key must
 * exist, e.g. after zk_net_pki_ensure). Subject CN=cn, one O= entry per
 * orgs[i]; EC P-256 key; extended key usage clientAuth; valid for one year.
 * On success *cert_pem and *key_pem are new NUL-terminated PEM strings the
 * caller free()s; on failure both are NULL. An empty cn is -ZK_EINVAL. */
int zk_net_pki_issue_client(const char *dir, const char *cn, const char *const *orgs, size_t norgs,
                            char **cert_pem, char **key_pem, zk_err *err);

/* The same for a key the client made and keeps: pub_pem is its public key
 * (PEM "PUBLIC KEY"; EC P-256 or RSA of 2048 bits or more, else
 * -ZK_EINVAL). *cert_pem is a new PEM string the caller free()s. */
int zk_net_pki_sign_client(const char *dir, const char *cn, const char *const *orgs, size_t norgs,
                           const char *pub_pem, char **cert_pem, zk_err *err);

/* A new EC P-256 key pair as PEM: *key_pem (private, PKCS#8) and *pub_pem
 * (public); the caller frees both (cleansing the key). */
int zk_net_pki_new_key(char **key_pem, char **pub_pem, zk_err *err);

/* Write a kubeconfig to path (mode 0600, atomically) with one cluster, one
 * user and one context, all named context_name, which is also the
 * current-context. ca_pem is required; client_cert_pem and client_key_pem
 * go together (both or neither); token may be NULL. PEM blocks are stored
 * base64-encoded as certificate-authority-data, client-certificate-data and
 * client-key-data, the way kubectl writes them. Strings are emitted as YAML
 * double-quoted scalars; control characters in server_url, token or
 * context_name are -ZK_EINVAL. */
int zk_net_kubeconfig_write(const char *path, const char *server_url, const char *ca_pem,
                            const char *client_cert_pem, const char *client_key_pem,
                            const char *token, const char *context_name, zk_err *err);

/* The identity a verified client certificate stands for, the way
 * Kubernetes' x509 authenticator reads it: the subject's CommonName is the
 * user name (the last CN when there are several, as Go's pkix does), and
 * every Organization entry, in order, is a group.
 * On success returns 0, *user is a new string and *groups a new array of
 * *ngroups new strings followed by a NULL; free them with free() and
 * zk_net_pki_free_groups(). Returns -ZK_EINVAL (outputs NULL/0) when the
 * certificate has no usable CommonName: Kubernetes does not authenticate
 * such a certificate. The caller verifies the chain first; this function
 * does not. */
int zk_net_pki_peer_identity(X509 *cert, char **user, char ***groups, size_t *ngroups);

/* Free a group array from zk_net_pki_peer_identity (NULL is fine). */
void zk_net_pki_free_groups(char **groups, size_t ngroups);

/* Atomically replace path with len bytes of data and the given mode: write a
 * temp file next to it, fsync, rename over path, fsync the directory. */
int zk_net_pki_write_file(const char *path, const void *data, size_t len, mode_t mode, zk_err *err);

/* Read a whole file of at most max bytes into a new NUL-terminated buffer
 * (*out, free() it; *len excludes the NUL, may be NULL). A missing file is
 * -ZK_ENOTFOUND, a bigger one -ZK_ETOOBIG. */
int zk_net_pki_read_file(const char *path, size_t max, char **out, size_t *len, zk_err *err);

/* Load a PEM private key, public key (SubjectPublicKeyInfo "PUBLIC KEY"; a
 * certificate's key is also accepted) or certificate from a file. The caller
 * owns the returned object. -ZK_ENOTFOUND when the file is missing,
 * -ZK_EPARSE when it holds no such PEM object. */
int zk_net_pki_load_key(const char *path, EVP_PKEY **out, zk_err *err);
int zk_net_pki_load_pubkey(const char *path, EVP_PKEY **out, zk_err *err);
int zk_net_pki_load_cert(const char *path, X509 **out, zk_err *err);

/* PEM encodings as new strings (free() them); NULL only if OpenSSL fails.
 * Private keys are written as unencrypted PKCS#8. */
char *zk_net_pki_key_pem(EVP_PKEY *key);
char *zk_net_pki_pubkey_pem(EVP_PKEY *key);
char *zk_net_pki_cert_pem(X509 *cert);

/* Describe the newest entry of OpenSSL's thread error queue into buf and
 * clear the queue; "unknown OpenSSL error" when it is empty. Returns buf. */
const char *zk_net_pki_ossl_error(char *buf, size_t len);

#endif
