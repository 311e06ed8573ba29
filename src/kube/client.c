/* zke kube: the API client over HTTPS (libcurl multi on a libuv loop).
 *
 * Each request is one curl easy handle added to the client's multi handle;
 * curl tells us which sockets to poll and when to wake it (socket and timer
 * callbacks), and we hand completed transfers back to their callbacks. A
 * watch is a request whose body is read as it arrives, line by line. */
#include "kube/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/yaml.h"
#include "net/h1client.h"
#include "net/pki.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#define ZK_KUBE_MAX_RESPONSE (1024u * 1024 * 1024)  /* a LIST page of big objects */
#define ZK_KUBE_MAX_EVENT (64u * 1024 * 1024)       /* one watch event line */
#define ZK_KUBE_TIMEOUT_MS 60000

/* ---- resources ---- */

#define RES(var, g, v, r, k, nsd) \
    const zk_kube_resource var = {.group = g, .version = v, .resource = r, .kind = k, .namespaced = nsd}
RES(zk_kube_pods, "", "v1", "pods", "Pod", true);
RES(zk_kube_nodes, "", "v1", "nodes", "Node", false);
RES(zk_kube_namespaces, "", "v1", "namespaces", "Namespace", false);
RES(zk_kube_services, "", "v1", "services", "Service", true);
RES(zk_kube_endpoints, "", "v1", "endpoints", "Endpoints", true);
RES(zk_kube_events, "", "v1", "events", "Event", true);
RES(zk_kube_replicationcontrollers, "", "v1", "replicationcontrollers", "ReplicationController",
    true);
RES(zk_kube_serviceaccounts, "", "v1", "serviceaccounts", "ServiceAccount", true);
RES(zk_kube_secrets, "", "v1", "secrets", "Secret", true);
RES(zk_kube_configmaps, "", "v1", "configmaps", "ConfigMap", true);
RES(zk_kube_limitranges, "", "v1", "limitranges", "LimitRange", true);
RES(zk_kube_resourcequotas, "", "v1", "resourcequotas", "ResourceQuota", true);
RES(zk_kube_endpointslices, "discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true);
RES(zk_kube_leases, "coordination.k8s.io", "v1", "leases", "Lease", true);
RES(zk_kube_deployments, "apps", "v1", "deployments", "Deployment", true);
RES(zk_kube_replicasets, "apps", "v1", "replicasets", "ReplicaSet", true);
RES(zk_kube_daemonsets, "apps", "v1", "daemonsets", "DaemonSet", true);
RES(zk_kube_statefulsets, "apps", "v1", "statefulsets", "StatefulSet", true);
RES(zk_kube_controllerrevisions, "apps", "v1", "controllerrevisions", "ControllerRevision", true);
RES(zk_kube_jobs, "batch", "v1", "jobs", "Job", true);
RES(zk_kube_cronjobs, "batch", "v1", "cronjobs", "CronJob", true);
RES(zk_kube_poddisruptionbudgets, "policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget",
    true);
RES(zk_kube_hpas, "autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler",
    true);

int zk_kube_path(char *out, size_t n, const zk_kube_resource *r, const char *ns,
                 const char *name, const char *sub, const char *query)
{
    zk_buf b;
    zk_buf_init(&b, n);
    int bad = 0;
    if (r->group[0])
        bad |= zk_buf_printf(&b, "/apis/%s/%s", r->group, r->version);
    else
        bad |= zk_buf_printf(&b, "/api/%s", r->version);
    if (r->namespaced && ns && ns[0])
        bad |= zk_buf_printf(&b, "/namespaces/%s", ns);
    bad |= zk_buf_printf(&b, "/%s", r->resource);
    if (name)
        bad |= zk_buf_printf(&b, "/%s", name);
    if (sub)
        bad |= zk_buf_printf(&b, "/%s", sub);
    if (query && query[0])
        bad |= zk_buf_printf(&b, "?%s", query);
    int rc = -1;
    if (!bad && zk_buf_putc(&b, 0) == 0 && b.len <= n) {
        memcpy(out, b.data, b.len);
        rc = (int)b.len - 1;
    }
    zk_buf_free(&b);
    return rc;
}

/* ---- kubeconfig ---- */

void zk_kube_config_free(zk_kube_config *c)
{
    free(c->server);
    free(c->ca_pem);
    free(c->cert_pem);
    free(c->key_pem);
    free(c->token);
    free(c->user_agent);
    memset(c, 0, sizeof(*c));
}

/* The entry of a named list ("clusters", "users", "contexts") with .name. */
static const json_t *named(const json_t *doc, const char *list, const char *name, const char *field)
{
    const json_t *arr = json_object_get(doc, list);
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        const char *n = zk_json_str(e, "name");
        if (n && name && !strcmp(n, name))
            return json_object_get(e, field);
    }
    return NULL;
}

static int b64_decode(const char *in, char **out, zk_err *err)
{
    /* without the whitespace EVP_DecodeBlock does not skip */
    size_t len = strlen(in), m = 0;
    zk_autofree char *clean = zk_xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", in[i]))
            clean[m++] = in[i];
    clean[m] = 0;
    if (m % 4 != 0)
        return zk_err_set(err, ZK_EINVAL, "bad base64 data");
    unsigned char *buf = zk_xmalloc(m / 4 * 3 + 4);
    int n = m ? EVP_DecodeBlock(buf, (const unsigned char *)clean, (int)m) : 0;
    if (n < 0) {
        free(buf);
        return zk_err_set(err, ZK_EINVAL, "bad base64 data");
    }
    for (size_t i = m; i > 0 && clean[i - 1] == '='; i--)
        n--;
    buf[n] = 0;
    *out = (char *)buf;
    return 0;
}

/* A PEM from "<key>-data" (base64) or "<key>" (a file, relative to dir). */
static int pem_field(const json_t *obj, const char *key, const char *dir, char **out, zk_err *err)
{
    char dkey[128];
    snprintf(dkey, sizeof(dkey), "%s-data", key);
    const char *data = zk_json_str(obj, dkey);
    if (data && data[0])
        return b64_decode(data, out, err) < 0 ? zk_err_wrap(err, "%s", dkey) : 0;
    const char *file = zk_json_str(obj, key);
    if (!file || !file[0])
        return 0;
    if (!dir)
        return zk_err_set(err, ZK_EINVAL, "%s: file references are not allowed here", key);
    zk_autofree char *path = file[0] == '/' ? zk_xstrdup(file) : zk_xasprintf("%s/%s", dir, file);
    if (zk_net_pki_read_file(path, 1u << 20, out, NULL, err) < 0)
        return zk_err_wrap(err, "%s", key);
    return 0;
}

int zk_kube_config_load(const char *path, zk_kube_config *out, zk_err *err)
{
    memset(out, 0, sizeof(*out));
    char fallback[4096];
    if (!path || !path[0]) {
        const char *env = getenv("KUBECONFIG");
        if (env && env[0]) {
            /* a list: the first file is enough for our needs */
            snprintf(fallback, sizeof(fallback), "%s", env);
            char *colon = strchr(fallback, ':');
            if (colon)
                *colon = 0;
        } else {
            snprintf(fallback, sizeof(fallback), "%s/.kube/config",
                     getenv("HOME") ? getenv("HOME") : "");
        }
        path = fallback;
    }
    char *text = NULL;
    size_t len = 0;
    if (zk_net_pki_read_file(path, 16u << 20, &text, &len, err) < 0)
        return zk_err_wrap(err, "kubeconfig");
    zk_autofree char *pathcopy = zk_xstrdup(path);
    int rc = zk_kube_config_parse(text ? text : "", len, dirname(pathcopy), out, err);
    free(text);
    return rc < 0 ? zk_err_wrap(err, "kubeconfig %s", path) : 0;
}

int zk_kube_config_in_cluster(const char *dir, zk_kube_config *out, zk_err *err)
{
    memset(out, 0, sizeof(*out));
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port)
        return zk_err_set(err, ZK_ENOTFOUND,
                          "not in a pod: KUBERNETES_SERVICE_HOST and _PORT are not set");
    if (!dir)
        dir = "/var/run/secrets/kubernetes.io/serviceaccount";
    char path[4096];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/token", dir);
    char *token = NULL;
    if (zk_net_pki_read_file(path, 64u << 10, &token, &len, err) < 0)
        return zk_err_wrap(err, "in-cluster config");
    while (len && (token[len - 1] == '\n' || token[len - 1] == '\r' || token[len - 1] == ' '))
        token[--len] = '\0';
    snprintf(path, sizeof(path), "%s/ca.crt", dir);
    char *ca = NULL;
    if (zk_net_pki_read_file(path, 1u << 20, &ca, &len, err) < 0) {
        free(token);
        return zk_err_wrap(err, "in-cluster config");
    }
    bool v6 = strchr(host, ':') != NULL;
    out->server = zk_xasprintf("https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    out->token = token;
    out->ca_pem = ca;
    return 0;
}

int zk_kube_config_parse(const char *text, size_t len, const char *dir, zk_kube_config *out,
                         zk_err *err)
{
    memset(out, 0, sizeof(*out));
    json_t *doc = NULL;
    if (zk_yaml_decode(text, len, &doc, err) < 0)
        return -ZK_EINVAL;
    if (!json_is_object(doc)) {
        json_decref(doc);
        return zk_err_set(err, ZK_EINVAL, "not a kubeconfig (a mapping is expected)");
    }
    const char *ctxname = zk_json_str(doc, "current-context");
    const json_t *ctx = named(doc, "contexts", ctxname, "context");
    if (!ctx) {
        zk_err_set(err, ZK_EINVAL, "current-context \"%s\" not found", ctxname ? ctxname : "");
        json_decref(doc);
        return -ZK_EINVAL;
    }
    const json_t *cluster = named(doc, "clusters", zk_json_str(ctx, "cluster"), "cluster");
    const json_t *user = named(doc, "users", zk_json_str(ctx, "user"), "user");
    if (!cluster || !zk_json_str(cluster, "server")) {
        json_decref(doc);
        return zk_err_set(err, ZK_EINVAL, "the context's cluster has no server");
    }
    out->server = zk_xstrdup(zk_json_str(cluster, "server"));
    size_t sl = strlen(out->server);
    while (sl > 0 && out->server[sl - 1] == '/')
        out->server[--sl] = 0;
    out->insecure = zk_json_bool(cluster, "insecure-skip-tls-verify", false);
    if (pem_field(cluster, "certificate-authority", dir, &out->ca_pem, err) < 0)
        goto fail;
    if (user) {
        if (pem_field(user, "client-certificate", dir, &out->cert_pem, err) < 0 ||
            pem_field(user, "client-key", dir, &out->key_pem, err) < 0)
            goto fail;
        const char *tok = zk_json_str(user, "token");
        if (tok && tok[0]) {
            out->token = zk_xstrdup(tok);
        } else if (zk_json_str(user, "tokenFile")) {
            if (pem_field(user, "tokenFile", dir, &out->token, err) < 0)
                goto fail;
            if (out->token) {
                size_t tl = strlen(out->token);
                while (tl > 0 && (out->token[tl - 1] == '\n' || out->token[tl - 1] == '\r'))
                    out->token[--tl] = 0;
            }
        }
    }
    json_decref(doc);
    return 0;
fail:
    json_decref(doc);
    zk_kube_config_free(out);
    return -ZK_EINVAL;
}

/* ---- the client ---- */

typedef struct zk_kube_req zk_kube_req;

struct zk_kube_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    char *server;
    char *ca, *cert, *key;
    char *auth;            /* "Authorization: Bearer ..." or NULL */
    char *ua;
    bool insecure;
    bool http1;             /* DISABLE_HTTP2 was set when the client was made */
    zk_h1c *h1;            /* cfg->lite: requests go through net/h1client.c, not curl */
    zk_kube_req *reqs;     /* in flight, and queued */
    int inflight;          /* requests (not watches) handed to curl */
    int max_inflight;
    zk_kube_req *qhead, *qtail;   /* waiting for a slot, FIFO */
    zk_kube_req *whead, *wtail;   /* watches waiting to be handed to curl */
    int in_curl;           /* inside a curl callback: curl may not be re-entered */
    uv_timer_t kick;       /* hands queued transfers to curl after a callback */
    int closing;           /* handles still to close after free */
};

struct zk_kube_watch {
    zk_kube_req *req;
    zk_kube_event_fn ev;
    zk_kube_watch_end_fn end;
    void *ctx;
    int gone_code;         /* an ERROR event's code */
    char *gone_msg;
    bool stopped;
    bool in_cb;
    size_t scanned;        /* bytes of the buffer already searched for '\n' */
};

struct zk_kube_req {
    zk_kube_req *prev, *next;
    zk_kube_req *qnext;    /* in the client's wait queue */
    bool queued;           /* in a wait queue, not yet handed to curl */
    bool counted;          /* holds an in-flight slot */
    zk_kube_client *c;
    CURL *easy;
    struct curl_slist *hdrs;
    char *body;
    zk_buf resp;
    zk_kube_done_fn done;
    void *ctx;
    zk_kube_watch *watch;
    char errbuf[CURL_ERROR_SIZE];
    /* the h1 client's: what to send, and the exchange under way */
    char *method, *path, *h1hdrs;
    size_t body_len;
    zk_h1c_req *h1r;
    int h1status;
};

typedef struct zk_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    zk_kube_client *c;
} zk_sock;

static void check_done(zk_kube_client *c);

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    zk_sock *s = p->data;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    zk_kube_client *c = s->c;
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    check_done(c);
}

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
    zk_kube_client *c = userp;
    zk_sock *s = socketp;
    if (action == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = zk_xcalloc(1, sizeof(*s));
        s->fd = fd;
        s->c = c;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) < 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(c->multi, fd, s);
    }
    int ev = 0;
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static void on_timer(uv_timer_t *t)
{
    zk_kube_client *c = t->data;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
    zk_kube_client *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}


/* Requests at once through the h1 client (one connection each). */
#define H1_INFLIGHT 8

zk_kube_client *zk_kube_client_new(uv_loop_t *loop, const zk_kube_config *cfg, zk_err *err)
{
    bool lite = cfg->lite;
    const char *force = getenv("ZKE_KUBE_CLIENT");
    if (force && !strcmp(force, "h1"))
        lite = true;
    else if (force && !strcmp(force, "curl"))
        lite = false;
    if (lite) {
        if (!cfg->server || strncmp(cfg->server, "http", 4) != 0) {
            zk_err_set(err, ZK_EINVAL, "server URL \"%s\" is not http(s)",
                       cfg->server ? cfg->server : "");
            return NULL;
        }
        SSL_CTX *ctx = NULL;
        if (!strncmp(cfg->server, "https://", 8) && !(ctx = zk_kube_tls_ctx(cfg, err)))
            return NULL;
        /* requests in flight and the watches each hold a connection; as
         * many stay open between bursts, so a burst costs no handshakes */
        zk_h1c *h1 = zk_h1c_new(loop, &(zk_h1c_opts){.url = cfg->server, .tls = ctx,
                                                      .idle_max = H1_INFLIGHT + 4}, err);
        SSL_CTX_free(ctx);   /* the h1 client holds its own reference */
        if (!h1)
            return NULL;
        zk_kube_client *c = zk_xcalloc(1, sizeof(*c));
        c->loop = loop;
        c->h1 = h1;
        c->server = zk_xstrdup(cfg->server);
        c->auth = cfg->token ? zk_xasprintf("Authorization: Bearer %s", cfg->token) : NULL;
        c->ua = zk_xasprintf("User-Agent: %s",
                             cfg->user_agent ? cfg->user_agent : "zke/" ZK_VERSION);
        uv_timer_init(loop, &c->timer);
        c->timer.data = c;
        uv_timer_init(loop, &c->kick);
        c->kick.data = c;
        c->max_inflight = H1_INFLIGHT;
        return c;
    }
    static bool inited;
    if (!inited) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
            zk_err_set(err, ZK_EINTERNAL, "curl_global_init failed");
            return NULL;
        }
        inited = true;
    }
    if (!cfg->server || strncmp(cfg->server, "http", 4) != 0) {
        zk_err_set(err, ZK_EINVAL, "server URL \"%s\" is not http(s)",
                   cfg->server ? cfg->server : "");
        return NULL;
    }
    zk_kube_client *c = zk_xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->multi = curl_multi_init();
    c->server = zk_xstrdup(cfg->server);
    c->ca = cfg->ca_pem ? zk_xstrdup(cfg->ca_pem) : NULL;
    c->cert = cfg->cert_pem ? zk_xstrdup(cfg->cert_pem) : NULL;
    c->key = cfg->key_pem ? zk_xstrdup(cfg->key_pem) : NULL;
    c->auth = cfg->token ? zk_xasprintf("Authorization: Bearer %s", cfg->token) : NULL;
    c->ua = zk_xasprintf("User-Agent: %s", cfg->user_agent ? cfg->user_agent : "zke/" ZK_VERSION);
    c->insecure = cfg->insecure;
    const char *no_h2 = getenv("DISABLE_HTTP2");
    c->http1 = no_h2 && *no_h2;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    uv_timer_init(loop, &c->kick);
    c->kick.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    zk_kube_client_set_max_inflight(c, 32);
    return c;
}

void zk_kube_client_set_max_inflight(zk_kube_client *c, int n)
{
    c->max_inflight = n > 0 ? n : 1;
    if (!c->multi)
        return;
    /* keep a connection for every request in flight and every watch, or
     * curl closes one and opens (a TLS handshake) another all the time */
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)(c->max_inflight * 2 + 64));
}

uv_loop_t *zk_kube_client_loop(zk_kube_client *c)
{
    return c->loop;
}

/* Take r out of a wait queue, if it is in it. */
static void unqueue(zk_kube_req **head, zk_kube_req **tail, zk_kube_req *r)
{
    zk_kube_req *prev = NULL;
    for (zk_kube_req *q = *head; q; prev = q, q = q->qnext) {
        if (q != r)
            continue;
        if (prev)
            prev->qnext = q->qnext;
        else
            *head = q->qnext;
        if (*tail == q)
            *tail = prev;
        return;
    }
}

static void req_free(zk_kube_req *r)
{
    zk_kube_client *c = r->c;
    if (r->queued) {
        unqueue(&c->qhead, &c->qtail, r);
        unqueue(&c->whead, &c->wtail, r);
    }
    if (r->prev)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    if (r->counted)
        c->inflight--;
    if (r->easy) {
        curl_multi_remove_handle(c->multi, r->easy);
        curl_easy_cleanup(r->easy);
    }
    if (r->h1r)
        zk_h1c_cancel(r->h1r);
    curl_slist_free_all(r->hdrs);
    free(r->method);
    free(r->path);
    free(r->h1hdrs);
    free(r->body);
    zk_buf_free(&r->resp);
    if (r->watch) {
        free(r->watch->gone_msg);
        free(r->watch);
    }
    free(r);
}

static void on_client_timer_closed(uv_handle_t *h)
{
    zk_kube_client *c = h->data;
    if (--c->closing == 0)
        free(c);
}

void zk_kube_client_free(zk_kube_client *c)
{
    if (!c)
        return;
    c->qhead = c->qtail = c->whead = c->wtail = NULL;
    while (c->reqs)
        req_free(c->reqs);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    zk_h1c_free(c->h1);
    free(c->server);
    free(c->ca);
    free(c->cert);
    free(c->key);
    free(c->auth);
    free(c->ua);
    c->closing = 2;
    uv_close((uv_handle_t *)&c->kick, on_client_timer_closed);
    uv_close((uv_handle_t *)&c->timer, on_client_timer_closed);
}

/* ---- watch streams ---- */

static void watch_line(zk_kube_watch *w, const char *line, size_t len)
{
    json_t *doc = NULL;
    zk_err err = {0};
    if (zk_json_decode(line, len, &doc, &err) < 0) {
        zk_warn("watch: bad event: %s", err.msg);
        return;
    }
    const char *type = zk_json_str(doc, "type");
    json_t *obj = json_object_get(doc, "object");
    if (!type || !json_is_object(obj)) {
        json_decref(doc);
        return;
    }
    if (!strcmp(type, "ERROR")) {
        int code = (int)zk_json_int(obj, "code", 500);
        if (!w->gone_code) {
            w->gone_code = code;
            const char *m = zk_json_str(obj, "message");
            w->gone_msg = zk_xstrdup(m ? m : "watch error");
        }
    } else {
        w->in_cb = true;
        w->ev(w->ctx, type, obj);
        w->in_cb = false;
    }
    json_decref(doc);
}

static bool body_bytes(zk_kube_req *r, long code, const char *data, size_t n);

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    zk_kube_req *r = userp;
    zk_kube_client *c = r->c;
    long code = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    c->in_curl++;
    bool ok = body_bytes(r, code, data, size * nmemb);
    c->in_curl--;
    return ok ? size * nmemb : 0;
}

/* Bytes of a response body (code: its status): kept, or for a watch cut
 * into events. false: stop the transfer (over the bound, the watch was
 * stopped or ended by an ERROR event). */
static bool body_bytes(zk_kube_req *r, long code, const char *data, size_t n)
{
    zk_kube_watch *w = r->watch;
    if (w && w->stopped)
        return false;
    if (zk_buf_append(&r->resp, data, n) < 0)
        return false;   /* over the bound: abort */
    if (!w)
        return true;
    if (code != 200)
        return true;   /* an error body: read whole */
    /* dispatch every complete line */
    size_t start = 0;
    for (size_t i = w->scanned; i < r->resp.len; i++) {
        if (r->resp.data[i] != '\n')
            continue;
        if (i > start)
            watch_line(w, r->resp.data + start, i - start);
        start = i + 1;
        if (w->stopped || w->gone_code)
            return false;
    }
    if (start > 0) {
        memmove(r->resp.data, r->resp.data + start, r->resp.len - start);
        r->resp.len -= start;
    }
    w->scanned = r->resp.len;
    return true;
}

/* ---- requests ---- */

/* The exchange is over: code is the response's status (0: none came),
 * error what broke it (NULL: nothing), version 20, 11 or 10. */
static void finish_with(zk_kube_req *r, long code, const char *error, int version)
{
    zk_kube_watch *w = r->watch;
    if (w) {
        if (w->stopped)
            return;
        int status;
        const char *msg = NULL;
        char buf[512];
        json_t *doc = NULL;
        if (w->gone_code) {
            status = w->gone_code;
            msg = w->gone_msg;
        } else if (code == 200) {
            status = 200;
            msg = error ? error : "watch closed";
        } else if (code > 0) {
            status = (int)code;
            if (zk_json_decode(r->resp.data ? r->resp.data : "", r->resp.len, &doc, NULL) == 0)
                msg = zk_json_str(doc, "message");
            if (!msg) {
                snprintf(buf, sizeof(buf), "HTTP %ld", code);
                msg = buf;
            }
        } else {
            status = 0;
            msg = error ? error : "no response";
        }
        if (w->end)
            w->end(w->ctx, status, msg);
        json_decref(doc);
        return;
    }
    zk_kube_result res = {.status = (int)code, .reason = "", .error = ""};
    res.http_version = version;
    json_t *doc = NULL;
    char buf[1200];
    if (error || code == 0) {
        res.status = 0;
        snprintf(buf, sizeof(buf), "%s", error ? error : "no response");
        res.error = buf;
    } else {
        zk_err err = {0};
        if (r->resp.len > 0 &&
            zk_json_decode(r->resp.data, r->resp.len, &doc, &err) < 0 && code < 300) {
            snprintf(buf, sizeof(buf), "bad response body: %s", err.msg);
            res.error = buf;
        }
        res.body = doc;
        if (code >= 300) {
            const char *reason = zk_json_str(doc, "reason");
            const char *msg = zk_json_str(doc, "message");
            res.reason = reason ? reason : "";
            if (msg) {
                res.error = msg;
            } else {
                snprintf(buf, sizeof(buf), "HTTP %ld", code);
                res.error = buf;
            }
        }
    }
    if (r->done)
        r->done(r->ctx, &res);
    json_decref(doc);
}

static void finish(zk_kube_req *r, CURLcode rc)
{
    long code = 0, ver = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &ver);
    int version = ver == CURL_HTTP_VERSION_2_0   ? 20
                  : ver == CURL_HTTP_VERSION_1_1 ? 11
                  : ver == CURL_HTTP_VERSION_1_0 ? 10
                                                 : 0;
    const char *error = rc == CURLE_OK ? NULL : r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
    finish_with(r, code, error, version);
}

/* ---- the h1 client's way ---- */

static void pump(zk_kube_client *c);

static void h1_head(void *ctx, int status, const zk_h1_header *h, size_t n)
{
    ((zk_kube_req *)ctx)->h1status = status;
}

static void h1_body(void *ctx, const char *p, size_t n)
{
    zk_kube_req *r = ctx;
    if (body_bytes(r, r->h1status, p, n))
        return;
    /* stop the exchange, as curl does when its write callback refuses */
    zk_h1c_cancel(r->h1r);
    r->h1r = NULL;
    zk_kube_client *c = r->c;
    finish_with(r, r->h1status, "the response was cut off (too large, or the watch ended)", 11);
    req_free(r);
    pump(c);
}

static void h1_done(void *ctx, const char *error)
{
    zk_kube_req *r = ctx;
    zk_kube_client *c = r->c;
    r->h1r = NULL;   /* the h1 client frees it */
    finish_with(r, error ? 0 : r->h1status, error, 11);
    req_free(r);
    pump(c);
}

static const zk_h1c_cb h1_cb = {.head = h1_head, .body = h1_body, .done = h1_done};

/* Watches: silent for this long means dead (the server sends bookmarks). */
#define WATCH_IDLE_MS (600 * 1000)

static void h1_start(zk_kube_req *r)
{
    zk_kube_client *c = r->c;
    r->h1r = zk_h1c_send(c->h1, r->method, r->path, r->h1hdrs, r->body, r->body_len,
                         r->watch ? -WATCH_IDLE_MS : ZK_KUBE_TIMEOUT_MS, &h1_cb, r);
}

SSL_CTX *zk_kube_tls_ctx(const zk_kube_config *cfg, zk_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        zk_err_set(err, ZK_EINTERNAL, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, cfg->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    if (cfg->ca_pem) {
        BIO *b = BIO_new_mem_buf(cfg->ca_pem, -1);
        X509_STORE *st = SSL_CTX_get_cert_store(ctx);
        X509 *x;
        int n = 0;
        while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
            X509_STORE_add_cert(st, x);
            X509_free(x);
            n++;
        }
        BIO_free(b);
        ERR_clear_error();
        if (!n) {
            zk_err_set(err, ZK_EINVAL, "the kubeconfig's certificate authority holds no "
                       "certificate");
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    if (cfg->cert_pem && cfg->key_pem) {
        BIO *b = BIO_new_mem_buf(cfg->cert_pem, -1);
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        bool ok = x && SSL_CTX_use_certificate(ctx, x) == 1;
        X509_free(x);
        X509 *extra;
        while (ok && (extra = PEM_read_bio_X509(b, NULL, NULL, NULL)))
            if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1)
                X509_free(extra);
        BIO_free(b);
        b = BIO_new_mem_buf(cfg->key_pem, -1);
        EVP_PKEY *k = ok ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
        ok = k && SSL_CTX_use_PrivateKey(ctx, k) == 1 && SSL_CTX_check_private_key(ctx) == 1;
        EVP_PKEY_free(k);
        BIO_free(b);
        ERR_clear_error();
        if (!ok) {
            zk_err_set(err, ZK_EINVAL, "the kubeconfig's client certificate and key cannot "
                       "be used together");
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    return ctx;
}

static void on_kick(uv_timer_t *t);

/* Hand queued requests to curl while there are free slots. */
static void pump(zk_kube_client *c)
{
    if (c->in_curl) {
        /* curl refuses new transfers from inside its callbacks */
        uv_timer_start(&c->kick, on_kick, 0, 0);
        return;
    }
    while (c->whead) {
        zk_kube_req *r = c->whead;
        c->whead = r->qnext;
        if (!c->whead)
            c->wtail = NULL;
        r->queued = false;
        if (c->h1)
            h1_start(r);
        else
            curl_multi_add_handle(c->multi, r->easy);
    }
    while (c->qhead && c->inflight < c->max_inflight) {
        zk_kube_req *r = c->qhead;
        c->qhead = r->qnext;
        if (!c->qhead)
            c->qtail = NULL;
        r->queued = false;
        r->counted = true;
        c->inflight++;
        if (c->h1)
            h1_start(r);
        else
            curl_multi_add_handle(c->multi, r->easy);
    }
}

static void on_kick(uv_timer_t *t)
{
    pump(t->data);
}

static void check_done(zk_kube_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        zk_kube_req *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode rc = m->data.result;
        /* take it out of the multi first: callbacks may start new requests */
        curl_multi_remove_handle(c->multi, r->easy);
        finish(r, rc);
        req_free(r);
    }
    pump(c);
}

static zk_kube_req *req_new(zk_kube_client *c, const char *method, const char *path,
                            const json_t *body, const char *content_type)
{
    zk_kube_req *r = zk_xcalloc(1, sizeof(*r));
    r->c = c;
    zk_buf_init(&r->resp, ZK_KUBE_MAX_RESPONSE);
    if (c->h1) {
        r->method = zk_xstrdup(method);
        r->path = zk_xstrdup(path);
        char ct[160] = "";
        if (body) {
            r->body = zk_json_write(body, &r->body_len);
            if (!r->body)
                abort();
            snprintf(ct, sizeof(ct), "Content-Type: %.120s\r\n",
                     content_type ? content_type : "application/json");
        }
        r->h1hdrs = zk_xasprintf("Accept: application/json\r\n%s\r\n%s%s%s", c->ua,
                                 c->auth ? c->auth : "", c->auth ? "\r\n" : "", ct);
        r->next = c->reqs;
        if (c->reqs)
            c->reqs->prev = r;
        c->reqs = r;
        return r;
    }
    r->easy = curl_easy_init();
    zk_autofree char *url = zk_xasprintf("%s%s", c->server, path);
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* HTTP/2 when the server offers it (ALPN), as client-go does: requests
     * and watches share one connection, and a burst of them costs the
     * server a few reads and writes instead of one pair per request
     * (bench/scheduler.sh: server CPU -20 %). DISABLE_HTTP2, client-go's
     * switch, keeps HTTP/1.1. */
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     c->http1 ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
    /* wait for a connection being set up rather than open one per request */
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->ca) {
        struct curl_blob b = {.data = c->ca, .len = strlen(c->ca), .flags = CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
    }
    if (c->cert && c->key) {
        struct curl_blob b = {.data = c->cert, .len = strlen(c->cert), .flags = CURL_BLOB_COPY};
        struct curl_blob k = {.data = c->key, .len = strlen(c->key), .flags = CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &k);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (c->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    r->hdrs = curl_slist_append(r->hdrs, "Accept: application/json");
    r->hdrs = curl_slist_append(r->hdrs, c->ua);
    if (c->auth)
        r->hdrs = curl_slist_append(r->hdrs, c->auth);
    if (!strcmp(method, "GET")) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    if (body) {
        size_t blen = 0;
        r->body = zk_json_write(body, &blen);
        if (!r->body)
            abort();
        char ct[128];
        snprintf(ct, sizeof(ct), "Content-Type: %s", content_type ? content_type : "application/json");
        r->hdrs = curl_slist_append(r->hdrs, ct);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)blen);
    }
    /* no "Expect: 100-continue" round trip */
    r->hdrs = curl_slist_append(r->hdrs, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    r->next = c->reqs;
    if (c->reqs)
        c->reqs->prev = r;
    c->reqs = r;
    return r;
}

void zk_kube_request(zk_kube_client *c, const char *method, const char *path,
                     const json_t *body, const char *content_type, zk_kube_done_fn done,
                     void *ctx)
{
    zk_kube_req *r = req_new(c, method, path, body, content_type);
    r->done = done;
    r->ctx = ctx;
    if (r->easy)
        curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)ZK_KUBE_TIMEOUT_MS);
    r->queued = true;
    if (c->qtail)
        c->qtail->qnext = r;
    else
        c->qhead = r;
    c->qtail = r;
    pump(c);
}

void zk_kube_create(zk_kube_client *c, const zk_kube_resource *r, const char *ns,
                    const json_t *obj, zk_kube_done_fn done, void *ctx)
{
    char path[1024];
    zk_kube_path(path, sizeof(path), r, ns, NULL, NULL, NULL);
    zk_kube_request(c, "POST", path, obj, NULL, done, ctx);
}

void zk_kube_update(zk_kube_client *c, const zk_kube_resource *r, const json_t *obj,
                    const char *sub, zk_kube_done_fn done, void *ctx)
{
    char path[1024];
    zk_kube_path(path, sizeof(path), r, zk_kube_namespace(obj), zk_kube_name(obj), sub, NULL);
    zk_kube_request(c, "PUT", path, obj, NULL, done, ctx);
}

void zk_kube_patch(zk_kube_client *c, const zk_kube_resource *r, const char *ns,
                   const char *name, const char *sub, const char *content_type,
                   const json_t *patch, zk_kube_done_fn done, void *ctx)
{
    char path[1024];
    zk_kube_path(path, sizeof(path), r, ns, name, sub, NULL);
    zk_kube_request(c, "PATCH", path, patch,
                    content_type ? content_type : "application/merge-patch+json", done, ctx);
}

void zk_kube_delete(zk_kube_client *c, const zk_kube_resource *r, const char *ns,
                    const char *name, const char *propagation, const char *uid,
                    zk_kube_done_fn done, void *ctx)
{
    char path[1024];
    zk_kube_path(path, sizeof(path), r, ns, name, NULL, NULL);
    zk_autojson json_t *opts = NULL;
    if (propagation || uid) {
        opts = json_pack("{s:s,s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
        if (propagation)
            json_object_set_new(opts, "propagationPolicy", json_string(propagation));
        if (uid)
            json_object_set_new(opts, "preconditions", json_pack("{s:s}", "uid", uid));
    }
    zk_kube_request(c, "DELETE", path, opts, NULL, done, ctx);
}

zk_kube_watch *zk_kube_watch_start(zk_kube_client *c, const char *path, zk_kube_event_fn ev,
                                   zk_kube_watch_end_fn end, void *ctx)
{
    zk_autofree char *full = zk_xasprintf("%s%swatch=1&allowWatchBookmarks=true", path,
                                          strchr(path, '?') ? "&" : "?");
    zk_kube_req *r = req_new(c, "GET", full, NULL, NULL);
    zk_kube_watch *w = zk_xcalloc(1, sizeof(*w));
    w->req = r;
    w->ev = ev;
    w->end = end;
    w->ctx = ctx;
    r->watch = w;
    r->resp.max = ZK_KUBE_MAX_EVENT;
    /* a silent connection for this long is dead: the server sends bookmarks */
    if (r->easy) {
        curl_easy_setopt(r->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(r->easy, CURLOPT_LOW_SPEED_TIME, (long)(WATCH_IDLE_MS / 1000));
    }
    r->queued = true;
    if (c->wtail)
        c->wtail->qnext = r;
    else
        c->whead = r;
    c->wtail = r;
    pump(c);
    return w;
}

void zk_kube_watch_stop(zk_kube_watch *w)
{
    if (!w || w->stopped)
        return;
    w->stopped = true;
    if (w->in_cb)
        return;   /* the write callback aborts the transfer; finish() frees it */
    req_free(w->req);
}

/* ---- helpers on objects ---- */

const char *zk_kube_name(const json_t *obj)
{
    const char *s = zk_json_path_str(obj, "metadata", "name", NULL);
    return s ? s : "";
}

const char *zk_kube_namespace(const json_t *obj)
{
    const char *s = zk_json_path_str(obj, "metadata", "namespace", NULL);
    return s ? s : "";
}

const char *zk_kube_uid(const json_t *obj)
{
    const char *s = zk_json_path_str(obj, "metadata", "uid", NULL);
    return s ? s : "";
}

int64_t zk_kube_rv(const json_t *obj)
{
    const char *s = zk_json_path_str(obj, "metadata", "resourceVersion", NULL);
    return s ? strtoll(s, NULL, 10) : 0;
}

int zk_kube_key(const json_t *obj, char *out, size_t n)
{
    const char *ns = zk_kube_namespace(obj);
    int len = ns[0] ? snprintf(out, n, "%s/%s", ns, zk_kube_name(obj))
                    : snprintf(out, n, "%s", zk_kube_name(obj));
    return len < 0 || (size_t)len >= n ? -1 : len;
}

json_t *zk_kube_controller_ref(const json_t *obj)
{
    json_t *refs = zk_json_path(obj, "metadata", "ownerReferences", NULL);
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref) {
        if (json_is_true(json_object_get(ref, "controller")))
            return ref;
    }
    return NULL;
}
