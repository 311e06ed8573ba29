/* zke apiserver: state shared by the files of the apiserver module.
 * Everything here runs on the server's one loop thread unless noted. */
#ifndef ZK_APIS_INTERNAL_H
#define ZK_APIS_INTERNAL_H

#include <h2o.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "apiserver/kinds.h"
#include "apiserver/objects.h"
#include "apiserver/reqinfo.h"
#include "base/buf.h"
#include "base/hist.h"
#include "base/map.h"
#include "net/http.h"
#include "store/store.h"

#define ZK_MAX_BODY (3u * 1024 * 1024)   /* Kubernetes' request body limit */
#define ZK_WATCH_MAX_QUEUED (16u * 1024 * 1024)
#define ZK_HISTORY_MAX 20000       /* default watch history, in events */

typedef struct zk_apiserver zk_apiserver;
typedef struct zk_watcher zk_watcher;

/* One committed change, kept in the history ring for watch resume. */
typedef struct zk_event {
    int refs;
    int64_t rev;
    int type;              /* ZK_EV_ADDED, MODIFIED, DELETED */
    const char *storage;   /* interned storage name */
    zk_obj *obj;           /* new state, or the last state for DELETED */
    zk_obj *prev;          /* old state or NULL */
    zk_chunk *line;        /* {"type":..,"object":..}\n, built on first use */
} zk_event;

enum { ZK_EV_ADDED = 0, ZK_EV_MODIFIED = 1, ZK_EV_DELETED = 2 };

/* The authenticated caller. */
typedef struct zk_user {
    char *name;
    char *uid;
    char **groups;
    size_t ngroups;
    bool admin;            /* in system:masters */
} zk_user;

/* One request being served: lives in the request's pool. */
typedef struct zk_call {
    zk_apiserver *srv;
    h2o_req_t *req;        /* NULL once the client went away */
    zk_user user;
    const zk_kind *kind;   /* resource requests */
    bool table;            /* Accept asks for as=Table */
    bool dry_run;
    bool scale_reply;      /* answer writes with the Scale view */
    bool status_reply;     /* answer writes with a Status Success */
    uint64_t start_ns;     /* when the handler began (zk_hist_now_ns) */
    zk_reqinfo ri;         /* last: its scratch buffer is not zeroed per request */
} zk_call;

/* ---- the agent tunnel (tunnel.c) ---- */
typedef struct zk_tun zk_tun;
typedef struct zk_tun_stream zk_tun_stream;
typedef struct zk_tun_stream_cb {
    /* bytes from the agent; with `credit` the user calls
     * zk_apis_tunnel_consumed once they are passed on, else they count as
     * taken at once */
    void (*data)(void *ctx, const char *p, size_t n);
    bool credit;
    /* zk_apis_tunnel_room said 0 before, and there is room now */
    void (*writable)(void *ctx);
    /* the agent ended the stream (status: {"code","reason","message"} or
     * NULL), or the tunnel went away; the stream is freed after this */
    void (*closed)(void *ctx, json_t *status);
} zk_tun_stream_cb;

struct zk_apiserver {
    uv_loop_t *loop;
    zk_http_server *http;
    zk_store *store;
    char *data_dir;
    char *pki_dir;
    zk_map *storages;          /* storage name -> zk_storage */
    zk_map *tunnels;           /* node name -> zk_tun (tunnel.c) */
    /* the garbage collector's indexes, kept by zk_apis_gc_latest() */
    zk_map *gc_waiting;        /* "<storage>\x1f<key>" -> zk_storage: keys whose latest
                                  object waits on foregroundDeletion (or did) */
    zk_map *gc_owned;          /* the same for latest objects with owner references */
    zk_map *gc_uids;           /* uid -> how many keys' latest objects have it */
    int64_t next_rev;          /* last revision handed out */
    int64_t committed_rev;     /* last revision made visible */
    int64_t start_time;

    /* store completions, handed from the writer thread */
    uv_async_t commit_async;
    pthread_mutex_t commit_mu;
    struct zk_write *commit_head, *commit_tail;

    /* watch */
    zk_event **history;        /* ring */
    size_t hist_cap, hist_start, hist_len;
    zk_map *watchers;          /* storage name -> zk_watcher list head */
    size_t nwatchers;
    uv_timer_t bookmark_timer;

    /* auth */
    zk_map *static_tokens;     /* token -> zk_user* */
    char *sa_key_file;
    char *sa_pub_file;
    char *issuer;

    /* openapi cache */
    json_t *openapi_v2;
    zk_buf openapi_v2_pb;
    unsigned openapi_gen;

    /* latency of writes, for /metrics (loop thread) */
    zk_hist write_hist;        /* handler start -> answer of an acknowledged write */
    zk_hist commit_wait_hist;  /* submitted -> durable (queue and commit) */
    zk_hist drain_hist;        /* durable -> seen by the loop */

    const char *ready_line;
    bool trim_wanted;          /* a large response was built: give memory back */
    uint64_t bookmark_ms;      /* interval of BOOKMARK events */

    struct zk_apis_quota_state *quota; /* admission.c */
    struct zk_apis_webhooks *webhooks; /* webhooks.c */
    unsigned adm_disabled;     /* ZK_ADM_OFF_*: admission plugins turned off */
};

/* ---- status.c: Kubernetes Status responses ---- */
void zk_apis_status(h2o_req_t *req, int code, const char *reason, const char *message,
                    json_t *details);
void zk_apis_status_fmt(h2o_req_t *req, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "deployments.apps" / "pods" for messages and details.group */
const char *zk_apis_qualified_resource(const zk_kind *k, char *buf, size_t n);
void zk_apis_not_found(h2o_req_t *req, const zk_kind *k, const char *name);
void zk_apis_respond_json(h2o_req_t *req, int code, const json_t *doc);
void zk_apis_respond_text(h2o_req_t *req, int code, const char *body, size_t len);

/* ---- commit path (write.c) ---- */
typedef struct zk_write_item {
    zk_storage *st;
    char *key;             /* storage key "ns/name" */
    char *store_key;       /* "/registry/<storage>/<key>" */
    zk_obj *obj;           /* new state, or NULL for a delete */
    zk_obj *last;          /* for a delete: the state being deleted */
} zk_write_item;

typedef void (*zk_write_done_fn)(zk_apiserver *srv, void *ctx, const char *err);

typedef struct zk_write {
    struct zk_write *next;
    uint64_t submit_ns, durable_ns; /* for the write histograms */
    zk_apiserver *srv;
    char *err;
    zk_write_done_fn done;
    void *ctx;
    size_t n;
    zk_write_item items[];
} zk_write;

/* Accept writes: each item's object gets the next revision (already in its
 * JSON: the caller builds it with zk_apis_next_rev() first), becomes the
 * entry's latest, and goes to the store; done runs on the loop when durable. */
int64_t zk_apis_next_rev(zk_apiserver *srv);
zk_write *zk_apis_write_new(zk_apiserver *srv, size_t n);
void zk_apis_write_set(zk_write *w, size_t i, zk_storage *st, const char *ns, const char *name,
                       zk_obj *obj /* owned; NULL = delete */);
int zk_apis_write_submit(zk_write *w, zk_write_done_fn done, void *ctx);
void zk_apis_commit_init(zk_apiserver *srv);

/* ---- watch.c ---- */
void zk_apis_watch_init(zk_apiserver *srv);
void zk_apis_watch_publish(zk_apiserver *srv, int type, zk_storage *st, zk_obj *obj,
                           zk_obj *prev);
void zk_apis_watch_serve(zk_call *c, zk_storage *st);
void zk_event_unref(zk_event *e);

/* ---- the resource handlers (crud.c) ---- */
void zk_apis_serve_resource(zk_call *c);
/* Set metadata.resourceVersion and return the object to write. */
void zk_apis_set_rv(json_t *doc, int64_t rev);
const char *zk_apis_storage_name(const zk_kind *k);

void zk_apis_new_uid(char *out, size_t n);
void zk_apis_respond_obj(zk_call *c, int code, const zk_obj *o);
bool zk_apis_kind_is_storage_version(const zk_kind *k);
/* Decode the request body (JSON or YAML, bounded); answers and returns NULL on error. */
json_t *zk_apis_read_body(zk_call *c);
bool zk_apis_check_gvk(zk_call *c, json_t *doc, const char *want_kind, const char *want_av);
/* The storage of a kind (created on first use). */
zk_storage *zk_apis_storage(zk_apiserver *srv, const zk_kind *k);
/* Delete objects (with cascade to dependents per policy) in one commit. */

/* ---- discovery.c ---- */
bool zk_apis_serve_nonresource(zk_call *c);

/* ---- auth.c ---- */
int zk_apis_authenticate(zk_call *c);     /* 0 ok, <0 answered 401 */
bool zk_apis_authorize(zk_call *c);       /* false: answered 403 */

/* nodeauth.c: join tokens, node credentials, the node authorizer */
void zk_apis_user_add_group(zk_user *u, const char *g);
bool zk_apis_bootstrap_token_user(zk_apiserver *srv, const char *tok, size_t len, zk_user *u);
/* GET /zke/v1/ca, POST /zke/v1/join; false when the path is neither */
bool zk_apis_serve_node_join(zk_call *c);
/* For system:node:<name> users, before RBAC; false: answered 403. */
bool zk_apis_node_authorize(zk_call *c);

/* GET /zke/v1/tunnel from a node agent: upgrade to its tunnel. */
bool zk_apis_serve_tunnel(zk_call *c);
bool zk_apis_tunnel_connected(zk_apiserver *srv, const char *node);
/* Open a stream to node's agent with request req (JSON); NULL when the
 * node has no tunnel. */
zk_tun_stream *zk_apis_tunnel_open(zk_apiserver *srv, const char *node, const json_t *req,
                                   const zk_tun_stream_cb *cb, void *ctx);
void zk_apis_tunnel_send(zk_tun_stream *s, const void *p, size_t n);
/* A channel message (exec's channel byte, then bytes), in as many messages
 * as it takes: the agent reads every frame as one message. */
void zk_apis_tunnel_send_channel(zk_tun_stream *s, int ch, const void *p, size_t n);
/* Bytes s may send to the agent now (its window; see net/frame.h). A
 * sender reads its client only while there is room. */
size_t zk_apis_tunnel_room(zk_tun_stream *s);
void zk_apis_tunnel_consumed(zk_tun_stream *s, size_t n);
/* This side sends no more on s (a half close); the agent still sends. */
void zk_apis_tunnel_eof(zk_tun_stream *s);
/* End a stream from this side: no callbacks after this. */
void zk_apis_tunnel_close(zk_tun_stream *s);
/* upconn.c: a connection taken over by an HTTP/1.1 upgrade */
typedef struct zk_upconn zk_upconn;
typedef struct zk_upconn_ops {
    /* bytes from the client: returns how many it took (the rest comes
     * again with more), or -1 to drop the connection */
    ssize_t (*read)(void *ctx, uint8_t *p, size_t n);
    void (*drained)(void *ctx);   /* all queued output is written */
    /* the client or the network ended it (not said after zk_upconn_close);
     * the connection is freed after */
    void (*closed)(void *ctx);
} zk_upconn_ops;
/* Output a relay may queue before the connection is dropped; relays stay
 * far below it by pausing their source. */
#define ZK_UPCONN_OUT_MAX (16u << 20)
/* Answer req with 101 and "Upgrade: token" (other headers set on req->res
 * before) and take the connection over. */
zk_upconn *zk_upconn_start(h2o_req_t *req, const char *token, const zk_upconn_ops *ops,
                           void *ctx);
void zk_upconn_write(zk_upconn *u, const void *p, size_t n);
size_t zk_upconn_queued(const zk_upconn *u);
/* Stop (true) or go on (false) reading the client. */
void zk_upconn_pause(zk_upconn *u, bool paused);
/* The user is done: no more callbacks; what is queued is written, then
 * the connection closes and frees itself. */
void zk_upconn_close(zk_upconn *u);

/* The status of container name in pod (any of its lists), or NULL. */
const json_t *zk_apis_ctr_status(const json_t *pod, const char *name);
/* The container a pods/log|exec|attach request names (the only one when
 * there is one), or false with the error answered. */
bool zk_apis_pick_container(zk_call *c, const json_t *pod, char *out, size_t n);
void zk_apis_serve_pod_log(zk_call *c, const json_t *pod, const char *node);
void zk_apis_serve_pod_exec(zk_call *c, const json_t *pod, const char *node);
void zk_apis_serve_pod_portforward(zk_call *c, const json_t *pod, const char *node);
/* nodeproxy.c: GET nodes/<name>/proxy/<path>, answered by the agent */
void zk_apis_serve_node_proxy(zk_call *c, zk_storage *st);
/* exec_spdy.c: exec over SPDY/3.1; agent_req is the agent's exec request
 * (taken over). */
bool zk_apis_is_spdy_upgrade(h2o_req_t *req);
void zk_apis_serve_exec_spdy(zk_call *c, json_t *agent_req, const char *node);
/* The WebSocket handshake's answer headers for client key and subprotocol
 * proto (exec.c); zk_upconn_start(req, "websocket", ...) sends them. */
void zk_apis_ws_accept(h2o_req_t *req, const char *key, const char *proto);
/* metrics.k8s.io/v1beta1 from the agents (metrics_api.c); false when the
 * request is for another group */
bool zk_apis_serve_metrics_api(zk_call *c);
json_t *zk_apis_metrics_resources(void);
/* external.metrics.k8s.io and custom.metrics.k8s.io from BacklogScalers
 * (extmetrics_api.c) */
bool zk_apis_serve_ext_metrics(zk_call *c);
json_t *zk_apis_ext_metrics_resources(const char *group);
void zk_apis_user_free(zk_user *u);

/* ---- tables and conversion ---- */
json_t *zk_apis_convert(const zk_kind *to, json_t *doc); /* in place; returns doc */

#endif

/* ---- filter.c: which objects a list or watch wants ---- */
typedef struct zk_filter {
    const zk_kind *kind;
    char *ns;              /* "" = every namespace */
    char *name;            /* metadata.name= from the field selector, or "" */
    void *labels;          /* parsed label selector or NULL */
    void *fields;          /* parsed field selector or NULL */
} zk_filter;

/* Read namespace, labelSelector and fieldSelector of the call. On a bad
 * selector answers 400 and returns -1. */
int zk_apis_filter_init(zk_filter *f, zk_call *c);
bool zk_apis_filter_match(const zk_filter *f, const zk_obj *o);
void zk_apis_filter_free(zk_filter *f);
/* Encode obj (storage JSON) for the kind the client asked for: converts
 * between versions where needed. New reference. */
json_t *zk_apis_obj_for_kind(const zk_kind *k, const zk_obj *o);
/* One Table (one row, or many) for objects, as JSON. */
json_t *zk_apis_table(const zk_kind *k, const zk_obj *const *objs, size_t n, const char *rv,
                      const char *cont, const char *include_object);

/* ---- calls that outlive their handler (async commits) ---- */
zk_call *zk_apis_call_new(zk_apiserver *srv, h2o_req_t *req);
zk_call *zk_apis_call_ref(zk_call *c);
void zk_apis_call_unref(zk_call *c);

/* ---- hooks.c: per-kind behaviour on create/update ---- */
/* Fill server-owned parts of a new object (status, allocations). Returns
 * false when it answered an error. */
bool zk_apis_hook_create(zk_call *c, json_t *obj);
bool zk_apis_hook_update(zk_call *c, json_t *obj, const json_t *old);
/* After a write of kind k was accepted (CRD registration etc.). */
void zk_apis_hook_accepted(zk_apiserver *srv, const zk_kind *k, const json_t *obj, bool deleted);

/* ---- admission.c: LimitRanger and ResourceQuota ---- */
/* Mutating admission of a create, before the server's hooks and
 * validation (LimitRanger defaults). false when it answered. */
bool zk_apis_adm_mutate(zk_call *c, json_t *obj);
/* Validating admission of a create (old NULL) or an update, after
 * validation: LimitRanger bounds, ResourceQuota. false when it answered 403. */
bool zk_apis_adm_validate(zk_call *c, const json_t *obj, const json_t *old);
/* Start quota status upkeep; recounts every quota once. */
void zk_apis_quota_init(zk_apiserver *srv);
/* A write to key of st is being accepted: old (the entry's latest, or NULL)
 * gives way to obj (NULL for a delete). The quotas of its namespace count
 * it now and are recounted shortly after. Borrowed. */
void zk_apis_quota_written(zk_apiserver *srv, zk_storage *st, const char *key, zk_obj *old,
                           zk_obj *obj);

/* ---- crd.c ---- */
struct zk_field_errors;
void zk_apis_crd_validate(const zk_kind *k, json_t *obj, struct zk_field_errors *errs);
void zk_apis_crd_register(zk_apiserver *srv, const json_t *crd);
/* ---- admission.c: the built-in plugins that can be turned off ---- */
#define ZK_ADM_OFF_LIMITRANGER 1u
#define ZK_ADM_OFF_QUOTA 2u
#define ZK_ADM_OFF_POLICIES 4u

/* ---- webhooks.c: admission webhooks ---- */

/* What comes after a webhook phase: doc (taken) is the object to go on
 * with, or NULL when the call has been answered (a refusal, a failure). */
typedef void (*zk_apis_wh_next)(zk_call *c, json_t *doc, void *ctx);
/* Run the mutating or validating webhooks this write (op "CREATE" or
 * "UPDATE"; old NULL for a create) concerns, on doc (taken), then next.
 * With none concerned next runs at once; else later, on the loop. */
void zk_apis_webhooks_run(zk_call *c, bool mutating, const char *op, json_t *doc,
                          const json_t *old, zk_apis_wh_next next, void *ctx);

/* The status of a CRD being stored: names accepted, established. */
json_t *zk_apis_crd_status(const json_t *crd);
void zk_apis_crd_unregister(zk_apiserver *srv, const json_t *crd);

/* ---- shared by crud.c and sub.c ---- */
bool zk_apis_admit(zk_call *c, json_t *obj, const json_t *old);
void zk_apis_invalid(zk_call *c, const char *name, struct zk_field_errors *errs);
/* Write doc (already admitted) over the entry's latest, or create it; answer
 * with code when durable. Consumes doc. */
void zk_apis_write_one(zk_call *c, zk_storage *st, json_t *doc, int code);
/* Replace `cur` by `doc` as an update: RV check, immutable metadata, status
 * rules, generation, admission, no-op detection, finalizer completion. */
void zk_apis_update_obj(zk_call *c, zk_storage *st, zk_obj *cur, json_t *doc,
                        bool status_only, bool check_rv);
/* Delete helpers (delete.c) */
void zk_apis_delete(zk_call *c, zk_storage *st, const char *ns, const char *name);
void zk_apis_delete_collection(zk_call *c, zk_storage *st, const char *ns);
/* A terminating object lost its last finalizer: delete it (consumes doc). */
void zk_apis_finish_delete(zk_call *c, zk_storage *st, json_t *doc);
void zk_apis_ns_tick(zk_apiserver *srv);
/* Every change of a key's latest object (old -> obj, either NULL) passes
 * here before it is made: the garbage collector keeps its indexes (uids, keys
 * waiting on foregroundDeletion, keys with owners) so that its ticks visit
 * those keys, not every object. */
void zk_apis_gc_latest(zk_apiserver *srv, zk_storage *st, const char *key, const zk_obj *old,
                       const zk_obj *obj);
void zk_apis_gc_tick(zk_apiserver *srv);
void zk_apis_gc_orphans(zk_apiserver *srv);
void zk_apis_serve_virtual(zk_call *c);
void zk_apis_serve_subresource(zk_call *c, zk_storage *st, const char *ns);
void zk_apis_serve_status_sub(zk_call *c, zk_storage *st, const char *ns);
void zk_apis_already_exists(zk_call *c, const char *name);
/* Convert an object in the client's version into the storage version, in place. */
void zk_apis_convert_to_storage(const zk_kind *k, json_t *doc);

/* ---- auth.c extras ---- */
struct zk_authz_attrs;
bool zk_apis_allowed(zk_apiserver *srv, const zk_user *u, const struct zk_authz_attrs *a,
                     char *reason, size_t n);
json_t *zk_apis_rules_for(zk_apiserver *srv, const zk_user *u, const char *ns);
bool zk_apis_token_user(zk_apiserver *srv, const char *tok, size_t len, zk_user *u);
int zk_apis_load_token_file(zk_apiserver *srv, const char *path, zk_err *err);
json_t *zk_apis_scale_reply(zk_call *c, const zk_obj *o);
const zk_kind *zk_apis_storage_kind(const zk_kind *k);
/* includeObject of a Table request: "Metadata" (default), "Object", "None",
 * or NULL when the value is not one of those. */
const char *zk_apis_include_object(zk_call *c);
