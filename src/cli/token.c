/* zke token: `zke token create` makes a join token for node agents.
 *
 * The token is a Kubernetes bootstrap token (a Secret
 * kube-system/bootstrap-token-<id>, which expires) wrapped with the hash of
 * the cluster CA, so that `zke agent --token` can trust the server before it
 * has any credentials: zke1.<sha256 of the CA PEM>.<id>.<secret>. */
#include "cli/token.h"

#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "kube/client.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: zke token create (--data-dir DIR | --kubeconfig FILE) [--ttl HOURS] "
               "[--description TEXT]\n"
               "Prints a join token for `zke agent --server URL --token TOKEN`.\n");
}

static int random_chars(char *out, size_t n)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[64];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || n > sizeof(raw) || read(fd, raw, n) != (ssize_t)n) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    for (size_t i = 0; i < n; i++)
        out[i] = alpha[raw[i] % 36];   /* 252 of 256 values: a slight bias, no use to anyone */
    out[n] = '\0';
    return 0;
}

static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *out = zk_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

typedef struct wait_ctx {
    int status;
    char msg[512];
    bool done;
} wait_ctx;

static void on_created(void *ctx, const zk_kube_result *r)
{
    wait_ctx *w = ctx;
    w->status = r->status;
    snprintf(w->msg, sizeof(w->msg), "%s", r->error ? r->error : "");
    w->done = true;
}

int zk_cli_token_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "create")) {
        usage(stderr);
        return 2;
    }
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"kubeconfig", required_argument, NULL, 'k'},
        {"ttl", required_argument, NULL, 't'},
        {"description", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *dir = NULL, *kubeconfig = NULL, *desc = "zke agent join token";
    long ttl_h = 24;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'k': kubeconfig = optarg; break;
        case 't': ttl_h = atol(optarg); break;
        case 'D': desc = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if ((!dir && !kubeconfig) || ttl_h < 0 || ttl_h > 24 * 365) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    zk_autofree char *kpath = kubeconfig ? zk_xstrdup(kubeconfig)
                                         : zk_xasprintf("%s/kubeconfig.yaml", dir);
    zk_kube_config cfg = {0};
    zk_err err = {0};
    if (zk_kube_config_load(kpath, &cfg, &err) < 0) {
        fprintf(stderr, "zke token: %s\n", err.msg);
        return 1;
    }
    if (!cfg.ca_pem) {
        fprintf(stderr, "zke token: %s names no certificate authority; the token must carry "
                        "the CA's hash\n", kpath);
        zk_kube_config_free(&cfg);
        return 1;
    }
    char id[8], secret[24];
    if (random_chars(id, 6) < 0 || random_chars(secret, 16) < 0) {
        fprintf(stderr, "zke token: no randomness from /dev/urandom\n");
        return 1;
    }
    char exp[40] = "";
    if (ttl_h > 0)
        zk_time_rfc3339(zk_wall_s() + ttl_h * 3600, exp, sizeof(exp));
    zk_autofree char *b_id = b64(id), *b_secret = b64(secret), *b_usage = b64("true"),
                     *b_groups = b64("system:bootstrappers:zke:agents"), *b_desc = b64(desc),
                     *b_exp = b64(exp);
    char name[40];
    snprintf(name, sizeof(name), "bootstrap-token-%s", id);
    json_t *s = json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "apiVersion", "v1",
                          "kind", "Secret", "metadata", "name", name, "namespace", "kube-system",
                          "type", "bootstrap.kubernetes.io/token", "data", "token-id", b_id,
                          "token-secret", b_secret, "usage-bootstrap-authentication", b_usage,
                          "auth-extra-groups", b_groups, "description", b_desc);
    if (exp[0])
        json_object_set_new(json_object_get(s, "data"), "expiration", json_string(b_exp));
    uv_loop_t loop;
    uv_loop_init(&loop);
    zk_kube_client *cl = zk_kube_client_new(&loop, &cfg, &err);
    if (!cl) {
        fprintf(stderr, "zke token: %s\n", err.msg);
        return 1;
    }
    wait_ctx w = {0};
    zk_kube_create(cl, &zk_kube_secrets, "kube-system", s, on_created, &w);
    json_decref(s);
    while (!w.done)
        uv_run(&loop, UV_RUN_ONCE);
    zk_kube_client_free(cl);
    uv_run(&loop, UV_RUN_DEFAULT);   /* the client's handles close */
    uv_loop_close(&loop);
    if (w.status != 201) {
        fprintf(stderr, "zke token: storing the token: %d %s\n", w.status, w.msg);
        zk_kube_config_free(&cfg);
        return 1;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(cfg.ca_pem, strlen(cfg.ca_pem), md, &mdlen, EVP_sha256(), NULL);
    char hash[65];
    zk_str_hex(hash, md, 32);
    hash[64] = '\0';
    printf("zke1.%s.%s.%s\n", hash, id, secret);
    fflush(stdout);
    zk_kube_config_free(&cfg);
    return 0;
}
