/* zke kube: the API client — kubeconfig, REST requests and watches.
 *
 * One client belongs to one libuv loop and is used only from that loop's
 * thread. Requests are asynchronous: the callback runs on the loop with the
 * HTTP status and the decoded JSON body. The transport is HTTPS through
 * libcurl's multi interface driven by the loop (see
 * docs/decisions/005-controllers-as-clients.md), so the same code talks to
 * zke or to any Kubernetes cluster. */
#ifndef ZK_KUBE_CLIENT_H
#define ZK_KUBE_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "base/err.h"

/* Where and as whom to connect. Strings are owned (free with _free). */
typedef struct zk_kube_config {
    char *server;          /* "https://127.0.0.1:6443" */
    char *ca_pem;          /* trusted CA (PEM) or NULL for the system store */
    char *cert_pem;        /* client certificate (PEM) or NULL */
    char *key_pem;         /* its key (PEM) or NULL */
    char *token;           /* bearer token or NULL */
    bool insecure;         /* insecure-skip-tls-verify */
    char *user_agent;      /* NULL: "zke/<version>" */
    /* speak HTTP/1.1 through zke's own client (net/h1client.c) instead of
     * libcurl: for a process that needs nothing else of curl (the node
     * agent; decision 011). ZKE_KUBE_CLIENT=h1 or =curl in the environment
     * overrides it. */
    bool lite;
} zk_kube_config;

/* An OpenSSL client context from a config: its CA bundle (or the system's
 * when it has none), its client certificate and key, peer verification
 * unless insecure. NULL with err set when they cannot be used. */
struct ssl_ctx_st;
struct ssl_ctx_st *zk_kube_tls_ctx(const zk_kube_config *cfg, zk_err *err);

/* Read a kubeconfig file (its current context). Supports certificate-
 * authority(-data), client-certificate(-data), client-key(-data), token,
 * tokenFile and insecure-skip-tls-verify. */
int zk_kube_config_load(const char *path, zk_kube_config *out, zk_err *err);
/* The config of a process in a pod: https://$KUBERNETES_SERVICE_HOST:
 * $KUBERNETES_SERVICE_PORT with the token and CA of the pod's service
 * account, from dir (NULL: /var/run/secrets/kubernetes.io/serviceaccount).
 * -ZK_ENOTFOUND when this is no pod (no such variables or files). The token
 * is read once (kube-apiserver's bound tokens stay valid for a year by
 * default for that reason). */
int zk_kube_config_in_cluster(const char *dir, zk_kube_config *out, zk_err *err);
/* The same from text; relative file names are resolved against dir (NULL:
 * file references are refused). */
int zk_kube_config_parse(const char *text, size_t len, const char *dir, zk_kube_config *out,
                         zk_err *err);
void zk_kube_config_free(zk_kube_config *c);

/* A resource kind as a client addresses it. */
typedef struct zk_kube_resource {
    const char *group;     /* "" for core */
    const char *version;   /* "v1" */
    const char *resource;  /* plural: "pods" */
    const char *kind;      /* "Pod" */
    bool namespaced;
} zk_kube_resource;

extern const zk_kube_resource zk_kube_pods, zk_kube_nodes, zk_kube_namespaces,
    zk_kube_services, zk_kube_endpoints, zk_kube_endpointslices, zk_kube_events,
    zk_kube_leases, zk_kube_deployments, zk_kube_replicasets, zk_kube_daemonsets,
    zk_kube_statefulsets, zk_kube_controllerrevisions, zk_kube_jobs, zk_kube_cronjobs,
    zk_kube_replicationcontrollers, zk_kube_serviceaccounts, zk_kube_secrets,
    zk_kube_configmaps, zk_kube_limitranges, zk_kube_resourcequotas,
    zk_kube_poddisruptionbudgets, zk_kube_hpas;

/* The path of a collection (name NULL) or object, with an optional
 * subresource and query ("labelSelector=a%3Db&limit=500", already escaped).
 * ns is ignored for cluster-scoped kinds; NULL/"" = all namespaces. Returns
 * the length, or -1 when it does not fit. */
int zk_kube_path(char *out, size_t n, const zk_kube_resource *r, const char *ns,
                 const char *name, const char *sub, const char *query);

typedef struct zk_kube_client zk_kube_client;

zk_kube_client *zk_kube_client_new(uv_loop_t *loop, const zk_kube_config *cfg, zk_err *err);
/* Cancel everything in flight (callbacks do not run) and free. */
void zk_kube_client_free(zk_kube_client *c);
uv_loop_t *zk_kube_client_loop(zk_kube_client *c);
/* At most n requests (not counting watches) in flight at once, 32 by
 * default; the rest wait in order. Bounds the connections a controller
 * opens when it creates thousands of objects. */
void zk_kube_client_set_max_inflight(zk_kube_client *c, int n);

/* The outcome of a request. status is the HTTP status, or 0 when the
 * request never got an answer (connection refused, timeout); then body is
 * NULL and error says why. For a 4xx/5xx, body is usually a Status and
 * reason its .reason ("AlreadyExists", "Conflict", "NotFound"...). */
typedef struct zk_kube_result {
    int status;
    json_t *body;          /* borrowed: take a reference to keep it */
    const char *reason;    /* Status.reason or "" */
    const char *error;     /* a message for logs: transport error or Status.message */
    int http_version;      /* 20 (HTTP/2), 11 or 10; 0 when nothing came back */
} zk_kube_result;

typedef void (*zk_kube_done_fn)(void *ctx, const zk_kube_result *r);

/* Send a request. body may be NULL; content_type NULL means
 * application/json (patches pass "application/merge-patch+json",
 * "application/strategic-merge-patch+json" or "application/json-patch+json").
 * done may be NULL. Requests time out after 60 s. */
void zk_kube_request(zk_kube_client *c, const char *method, const char *path,
                     const json_t *body, const char *content_type, zk_kube_done_fn done,
                     void *ctx);

/* Shorthands over zk_kube_request for one object of r. */
void zk_kube_create(zk_kube_client *c, const zk_kube_resource *r, const char *ns,
                    const json_t *obj, zk_kube_done_fn done, void *ctx);
void zk_kube_update(zk_kube_client *c, const zk_kube_resource *r, const json_t *obj,
                    const char *sub /* NULL or "status" */, zk_kube_done_fn done, void *ctx);
void zk_kube_patch(zk_kube_client *c, const zk_kube_resource *r, const char *ns,
                   const char *name, const char *sub, const char *content_type,
                   const json_t *patch, zk_kube_done_fn done, void *ctx);
/* propagation NULL (server default), "Foreground", "Background" or "Orphan";
 * uid, when given, is a precondition. */
void zk_kube_delete(zk_kube_client *c, const zk_kube_resource *r, const char *ns,
                    const char *name, const char *propagation, const char *uid,
                    zk_kube_done_fn done, void *ctx);

/* ---- watches ---- */

typedef struct zk_kube_watch zk_kube_watch;

/* type is "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR"; object is
 * borrowed. */
typedef void (*zk_kube_event_fn)(void *ctx, const char *type, json_t *object);
/* The stream ended: status is the HTTP status of the response (200 when a
 * started stream ended, 410 when the server said Gone either as status or as
 * an ERROR event with code 410, 0 on a transport error). The watch is freed
 * after this returns. Not called after zk_kube_watch_stop(). */
typedef void (*zk_kube_watch_end_fn)(void *ctx, int status, const char *error);

/* Start a watch on path (a collection path with query; "watch=1" and
 * "allowWatchBookmarks=true" are added). */
zk_kube_watch *zk_kube_watch_start(zk_kube_client *c, const char *path, zk_kube_event_fn ev,
                                   zk_kube_watch_end_fn end, void *ctx);
void zk_kube_watch_stop(zk_kube_watch *w);

/* ---- small helpers on objects ---- */

/* metadata.namespace/name as "ns/name" (or "name" when cluster-scoped). */
int zk_kube_key(const json_t *obj, char *out, size_t n);
const char *zk_kube_name(const json_t *obj);
const char *zk_kube_namespace(const json_t *obj);   /* "" when absent */
const char *zk_kube_uid(const json_t *obj);
int64_t zk_kube_rv(const json_t *obj);               /* metadata.resourceVersion, 0 if none */
/* The controller owner reference (controller: true) or NULL. */
json_t *zk_kube_controller_ref(const json_t *obj);

#endif
