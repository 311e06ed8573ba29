/* zke agent: joining a cluster with a join token.
 *
 * A join token "zke1.<sha256 of the CA>.<id>.<secret>" (`zke token create`)
 * holds a bootstrap token and the hash of the cluster CA. The agent fetches
 * the CA from the server, trusts it only when its hash matches, then asks
 * for its node's credentials with the bootstrap token and keeps them in
 * DATA/agent/node.kubeconfig (mode 0600). A later start uses that file and
 * no longer needs the token. */
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
#include "kube/client.h"
#include "net/h1client.h"
#include "net/pki.h"

#define JOIN_MAX_BODY (1u << 20)

typedef struct fetch_state {
    zk_buf *out;
    long code;
    bool done;
    char error[600];
} fetch_state;

static void fetch_head(void *ctx, int status, const zk_h1_header *h, size_t n)
{
    ((fetch_state *)ctx)->code = status;
}

static void fetch_body(void *ctx, const char *p, size_t n)
{
    fetch_state *f = ctx;
    if (zk_buf_append(f->out, p, n) < 0 && !f->error[0])
        snprintf(f->error, sizeof(f->error), "the answer is larger than %u bytes",
                 JOIN_MAX_BODY);
}

static void fetch_done(void *ctx, const char *error)
{
    fetch_state *f = ctx;
    f->done = true;
    if (error && !f->error[0])
        snprintf(f->error, sizeof(f->error), "%s", error);
}

/* One HTTPS exchange with the server, on a loop of its own (joining comes
 * before the agent's loop runs): the status, or -1 with err set. Without
 * ca_pem the server is not checked: that is how its CA is fetched, and
 * it is trusted only once its hash matches the token's. */
static long fetch(const char *url, const char *ca_pem, const char *token, const char *post,
                  zk_buf *out, zk_err *err)
{
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    if (strncmp(url, "https://", 8) || !path)
        return zk_err_set(err, ZK_EINVAL, "%s: joining needs an https:// server URL", url);
    zk_kube_config cfg = {.ca_pem = (char *)ca_pem, .insecure = !ca_pem};
    SSL_CTX *ctx = zk_kube_tls_ctx(&cfg, err);
    if (!ctx)
        return -1;
    zk_autofree char *base = zk_xstrndup(url, (size_t)(path - url));
    uv_loop_t loop;
    uv_loop_init(&loop);
    zk_h1c *c = zk_h1c_new(&loop, &(zk_h1c_opts){.url = base, .tls = ctx}, err);
    SSL_CTX_free(ctx);
    if (!c) {
        uv_loop_close(&loop);
        return -1;
    }
    zk_autofree char *hdrs = zk_xasprintf(
        "Content-Type: application/json\r\nAccept: application/json, application/x-pem-file\r\n"
        "%s%s%s", token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");
    fetch_state f = {.out = out, .code = -1};
    zk_h1c_send(c, post ? "POST" : "GET", path, hdrs, post, post ? strlen(post) : 0, 30000,
                &(zk_h1c_cb){.head = fetch_head, .body = fetch_body, .done = fetch_done}, &f);
    while (!f.done)
        uv_run(&loop, UV_RUN_ONCE);
    zk_h1c_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);   /* the connection's handles close */
    uv_loop_close(&loop);
    if (f.error[0]) {
        zk_err_set(err, ZK_EIO, "%s: %s", url, f.error);
        return -1;
    }
    return f.code;
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
