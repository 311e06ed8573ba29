/* `zke webhook`: zke's policies as admission webhooks (see webhook.h). */
#include "admission/webhook.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/review.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "net/http.h"

#define ZK_WEBHOOK_MAX_BODY (3u * 1024 * 1024)   /* kube-apiserver's request limit */

static const zk_kube_resource res_policies = {"zke.io", "v1alpha1", "overcommitpolicies",
                                              "OvercommitPolicy", false};
static const zk_kube_resource res_groups = {"zke.io", "v1alpha1", "hostgroups", "HostGroup",
                                            false};

typedef struct webhook {
    zk_kube_factory *f;
    zk_kube_informer *namespaces, *nodes, *ranges, *policies, *groups;
    uint64_t reviews, refusals, bad;
} webhook;

/* ---- where the policies find objects: the caches ---- */

static json_t *src_namespace(void *ctx, const char *name)
{
    webhook *w = ctx;
    return json_incref(zk_kube_informer_get(w->namespaces, NULL, name));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(zk_kube_name(*(json_t *const *)a) ?: "", zk_kube_name(*(json_t *const *)b) ?: "");
}

static size_t src_list(void *ctx, const char *resource, const char *ns, json_t ***out)
{
    webhook *w = ctx;
    zk_kube_informer *inf = !strcmp(resource, "nodes")                ? w->nodes
                            : !strcmp(resource, "limitranges")        ? w->ranges
                            : !strcmp(resource, "overcommitpolicies") ? w->policies
                            : !strcmp(resource, "hostgroups")         ? w->groups
                                                                      : NULL;
    *out = NULL;
    if (!inf)
        return 0;
    json_t **all = NULL;
    size_t n = zk_kube_informer_list(inf, &all), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (ns && strcmp(zk_kube_namespace(all[i]) ?: "", ns))
            continue;
        all[k++] = json_incref(all[i]);
    }
    qsort(all, k, sizeof(*all), by_name);
    *out = all;
    return k;
}

/* ---- HTTP ---- */

static void answer_text(h2o_req_t *req, int status, const char *text)
{
    zk_http_respond(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

static int on_request(void *ctx, h2o_req_t *req)
{
    webhook *w = ctx;
    bool get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    bool post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    const h2o_iovec_t *path = &req->path_normalized;
    if (get && h2o_memis(path->base, path->len, H2O_STRLIT("/healthz"))) {
        bool ok = zk_kube_factory_synced(w->f);
        answer_text(req, ok ? 200 : 503, ok ? "ok\n" : "caches not synced\n");
        return 0;
    }
    bool mutate = h2o_memis(path->base, path->len, H2O_STRLIT("/mutate"));
    bool validate = h2o_memis(path->base, path->len, H2O_STRLIT("/validate"));
    if (!mutate && !validate) {
        answer_text(req, 404, "not found: POST /mutate or /validate, GET /healthz\n");
        return 0;
    }
    if (!post) {
        zk_http_add_header(req, "allow", "POST");
        answer_text(req, 405, "POST an AdmissionReview\n");
        return 0;
    }
    if (req->entity.len > ZK_WEBHOOK_MAX_BODY) {
        w->bad++;
        answer_text(req, 413, "the AdmissionReview is over 3 MiB\n");
        return 0;
    }
    json_error_t jerr;
    json_t *review = json_loadb(req->entity.base ? req->entity.base : "", req->entity.len,
                                JSON_REJECT_DUPLICATES, &jerr);
    char *why = NULL;
    json_t *answer = NULL;
    if (!review)
        why = zk_xasprintf("the body is not JSON: %s (line %d)", jerr.text, jerr.line);
    else
        answer = zk_adm_review(review, mutate, &(zk_adm_sources){w, src_namespace, src_list},
                               &why);
    json_decref(review);
    if (!answer) {
        w->bad++;
        zk_buf b;
        zk_buf_init(&b, 4096);
        zk_buf_printf(&b, "%s\n", why ? why : "bad request");
        answer_text(req, 400, b.data);
        zk_buf_free(&b);
        free(why);
        return 0;
    }
    w->reviews++;
    if (json_is_false(zk_json_path(answer, "response", "allowed", NULL))) {
        w->refusals++;
        zk_info("webhook: refused %s: %s", mutate ? "a pod" : "an object",
                zk_json_path_str(answer, "response", "status", "message", NULL));
    }
    char *text = json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    zk_http_respond(req, 200, "application/json", text, strlen(text));
    free(text);
    return 0;
}

/* ---- the command ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke webhook --kubeconfig FILE --tls-cert FILE --tls-key FILE [options]\n"
            "\n"
            "Serves zke's policies (overcommit, scheduling strategies, soft\n"
            "anti-affinity) as admission webhooks: POST /mutate (pods), POST /validate\n"
            "(workloads, OvercommitPolicies), GET /healthz.\n"
            "\n"
            "  --kubeconfig FILE      the cluster whose objects the policies read\n"
            "                         (default: $KUBECONFIG, else the pod's service account)\n"
            "  --tls-cert FILE        the serving certificate (PEM)\n"
            "  --tls-key FILE         its key\n"
            "  --bind-address ADDR    default 0.0.0.0\n"
            "  --port PORT            default 9443\n"
            "  --log-level debug|info|warn|error\n");
}

static void on_signal(uv_signal_t *s, int signum)
{
    zk_info("webhook: signal %d: stopping", signum);
    uv_stop(s->loop);
}

static void close_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int zk_adm_webhook_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"kubeconfig", required_argument, NULL, 'k'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'K'},
        {"bind-address", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *kubeconfig = getenv("KUBECONFIG"), *cert = NULL, *key = NULL;
    const char *bind = "0.0.0.0";
    int port = 9443, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'k': kubeconfig = optarg; break;
        case 'c': cert = optarg; break;
        case 'K': key = optarg; break;
        case 'b': bind = optarg; break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 65535) {
                fprintf(stderr, "zke webhook: --port: \"%s\" is not a port number\n", optarg);
                return 2;
            }
            port = (int)v;
            break;
        }
        case 'v':
            zk_log_set_level_name(optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!cert || !key) {
        fprintf(stderr, "zke webhook: --tls-cert and --tls-key are required: kube-apiserver "
                        "calls webhooks over HTTPS only\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    zk_err err = {0};
    zk_kube_config cfg = {0};
    /* a flag or $KUBECONFIG; in a pod, its service account */
    int lrc = kubeconfig ? zk_kube_config_load(kubeconfig, &cfg, &err)
                         : zk_kube_config_in_cluster(NULL, &cfg, &err);
    if (lrc < 0) {
        fprintf(stderr, "zke webhook: %s%s\n", err.msg,
                kubeconfig ? "" : " (give --kubeconfig outside a pod)");
        return 1;
    }
    if (!cfg.user_agent)
        cfg.user_agent = zk_xstrdup("zke-webhook/" ZK_VERSION);
    uv_loop_t loop;
    uv_loop_init(&loop);
    zk_kube_client *client = zk_kube_client_new(&loop, &cfg, &err);
    if (!client) {
        fprintf(stderr, "zke webhook: %s\n", err.msg);
        zk_kube_config_free(&cfg);
        return 1;
    }
    webhook w = {.f = zk_kube_factory_new(client)};
    w.namespaces = zk_kube_factory_informer(w.f, &zk_kube_namespaces);
    w.nodes = zk_kube_factory_informer(w.f, &zk_kube_nodes);
    w.ranges = zk_kube_factory_informer(w.f, &zk_kube_limitranges);
    w.policies = zk_kube_factory_informer(w.f, &res_policies);
    w.groups = zk_kube_factory_informer(w.f, &res_groups);
    zk_kube_factory_start(w.f);
    zk_http_options ho = {.bind_address = bind, .port = port, .cert_file = cert,
                          .key_file = key, .req_timeout_ms = 10000};
    zk_http_server *http = zk_http_server_new(&loop, &ho, on_request, &w, &err);
    int rc = 0;
    if (!http) {
        fprintf(stderr, "zke webhook: %s\n", err.msg);
        rc = 1;
    } else {
        uv_signal_t sigint, sigterm;
        uv_signal_init(&loop, &sigint);
        uv_signal_init(&loop, &sigterm);
        uv_signal_start(&sigint, on_signal, SIGINT);
        uv_signal_start(&sigterm, on_signal, SIGTERM);
        zk_info("webhook: serving https://%s:%d (/mutate, /validate, /healthz) for %s", bind,
                zk_http_server_port(http), cfg.server);
        printf("zke webhook: serving on port %d\n", zk_http_server_port(http));
        fflush(stdout);
        uv_run(&loop, UV_RUN_DEFAULT);
        zk_info("webhook: stopped: %llu reviews, %llu refused, %llu bad requests",
                (unsigned long long)w.reviews, (unsigned long long)w.refusals,
                (unsigned long long)w.bad);
        zk_http_server_free(http);
        uv_close((uv_handle_t *)&sigint, NULL);
        uv_close((uv_handle_t *)&sigterm, NULL);
    }
    zk_kube_factory_free(w.f);
    zk_kube_client_free(client);
    uv_walk(&loop, close_cb, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    zk_kube_config_free(&cfg);
    return rc;
}
