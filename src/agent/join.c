/* zke agent: joining a cluster with a join token.
 *
 * A join token "zke1.<sha256 of the CA>.<id>.<secret>" (`zke token create`)
 * holds a bootstrap token and the hash of the cluster CA. The agent fetches
 * the CA from the server, trusts it only when its hash matches, then asks
 * for its node's credentials with the bootstrap token and keeps them in
 * DATA/agent/node.kubeconfig (mode 0600). A later start uses that file and
 * no longer needs the token. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/internal.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/str.h"
#include "net/pki.h"

#define JOIN_MAX_BODY (1u << 20)

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    zk_buf *b = ud;
    return zk_buf_append(b, p, size * n) < 0 ? 0 : size * n;
}

/* One request; the body in *out (caller frees). Returns the HTTP status or
 * -1 with err set. */
static long fetch(const char *url, const char *ca_pem, const char *token, const char *post,
                  zk_buf *out, zk_err *err)
{
    CURL *e = curl_easy_init();
    if (!e)
        return zk_err_set(err, ZK_EINTERNAL, "curl");
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *h = NULL;
    zk_autofree char *auth = token ? zk_xasprintf("Authorization: Bearer %s", token) : NULL;
    if (auth)
        h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json, application/x-pem-file");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    if (ca_pem) {
        struct curl_blob b = {.data = (void *)ca_pem, .len = strlen(ca_pem),
                              .flags = CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
    } else {
        /* the CA itself: not trusted until its hash matches the token's */
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (post)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, post);
    CURLcode rc = curl_easy_perform(e);
    long code = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    else
        zk_err_set(err, ZK_EIO, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return code;
}

int zk_agent_join(const char *server, const char *token, const char *node, const char *path,
                  zk_err *err)
{
    /* zke1.<64 hex>.<6>.<16> */
    const char *p = token;
    if (strncmp(p, "zke1.", 5) || strlen(p) != 5 + 64 + 1 + 23 || p[69] != '.')
        return zk_err_set(err, ZK_EINVAL, "the join token is not in the form "
                          "zke1.<CA hash>.<id>.<secret> that `zke token create` prints");
    char want[65];
    memcpy(want, p + 5, 64);
    want[64] = '\0';
    const char *boot = p + 70;
    zk_autofree char *ca_url = zk_xasprintf("%s/zke/v1/ca", server);
    zk_autobuf zk_buf ca = ZK_BUF_INIT(JOIN_MAX_BODY);
    long code = fetch(ca_url, NULL, NULL, NULL, &ca, err);
    if (code < 0)
        return -1;
    if (code != 200)
        return zk_err_set(err, ZK_EIO, "%s answered %ld", ca_url, code);
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(ca.data, ca.len, md, &mdlen, EVP_sha256(), NULL);
    char got[65];
    zk_str_hex(got, md, 32);
    got[64] = '\0';
    if (strcmp(got, want))
        return zk_err_set(err, ZK_EFORBIDDEN, "the server's CA (sha256 %s) is not the one the "
                          "join token names (%s): not joining", got, want);
    zk_autofree char *ca_pem = zk_xstrndup(ca.data, ca.len);
    zk_autofree char *join_url = zk_xasprintf("%s/zke/v1/join", server);
    /* the node's key is made here and never leaves it; the server signs
     * its public half */
    char *key = NULL, *pub = NULL;
    if (zk_net_pki_new_key(&key, &pub, err) < 0)
        return -1;
    json_t *req = json_pack("{s:s,s:s}", "nodeName", node, "publicKey", pub);
    free(pub);
    zk_autofree char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    zk_autobuf zk_buf ans = ZK_BUF_INIT(JOIN_MAX_BODY);
    code = fetch(join_url, ca_pem, boot, body, &ans, err);
    if (code < 0) {
        OPENSSL_cleanse(key, strlen(key));
        free(key);
        return -1;
    }
    json_t *doc = zk_json_read(ans.data ? ans.data : "", ans.len, false);
    const char *cert = zk_json_str(doc, "clientCert");
    int rc;
    if (code != 200)
        rc = zk_err_set(err, code == 401 || code == 403 ? ZK_EFORBIDDEN : ZK_EIO,
                        "joining: the server answered %ld: %s", code,
                        zk_json_str(doc, "message") ?: "no message");
    else if (!cert)
        rc = zk_err_set(err, ZK_EIO, "joining: the answer holds no certificate");
    else
        rc = zk_net_kubeconfig_write(path, server, ca_pem, cert, key, NULL, node, err);
    json_decref(doc);
    OPENSSL_cleanse(key, strlen(key));
    free(key);
    return rc;
}
