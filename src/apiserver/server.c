/* `zke server`: options, start-up (PKI, kubeconfig, store, bootstrap
 * objects), the request entry point, and shutdown. */
#include "apiserver/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apiserver/crds_builtin.h"
#include "apiserver/internal.h"
#include "apiserver/rbac.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "base/yaml.h"
#include "net/pki.h"

typedef struct zk_server_opts {
    const char *data_dir;
    int https_port;
    const char *bind;
    bool disable_agent;
    const char *node_name;
    const char *dns_upstreams;
    const char *proxy_mode;
    bool disable_scheduler;
    bool disable_cm;
    unsigned adm_disabled;     /* ZK_ADM_OFF_* */
    const char *token_file;
    const char *advertise;
    int sync;
    int request_timeout_s;
    long watch_history;
    long bookmark_s;
} zk_server_opts;

/* ---- the request entry point ---- */

static void zk__table_accept(zk_call *c)
{
    size_t len = 0;
    const char *acc = zk_http_header(c->req, "accept", &len);
    if (!acc)
        return;
    /* the first media type that we can produce wins: Table if asked first */
    char buf[512];
    snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), acc);
    char *save = NULL;
    for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        if (strstr(part, "as=Table")) {
            c->table = true;
            return;
        }
        if (strstr(part, "application/json") || strstr(part, "*/*"))
            return;
    }
}

static int zk__on_request(void *ctx, h2o_req_t *req)
{
    zk_apiserver *srv = ctx;
    zk_call *c = zk_apis_call_new(srv, req);
    c->start_ns = zk_hist_now_ns();
    zk_err err = {0};
    if (zk_reqinfo_parse(&c->ri, req->method.base, req->method.len, req->path.base, req->path.len,
                         &err) < 0) {
        zk_apis_status_fmt(req, 400, "BadRequest", "%s", err.msg);
        goto done;
    }
    if (zk_apis_authenticate(c) < 0)
        goto done;
    if (!zk_apis_authorize(c))
        goto done;
    char dry[16];
    const char *d = zk_query_get(c->ri.query, "dryRun", dry, sizeof(dry));
    if (d) {
        if (strcmp(d, "All")) {
            zk_apis_status_fmt(req, 400, "BadRequest",
                               "dryRun: Unsupported value: \"%s\": supported values: \"All\"", d);
            goto done;
        }
        c->dry_run = true;
    }
    if (!c->ri.resource_request) {
        if (!zk_apis_serve_nonresource(c))
            zk_apis_status(req, 404, "NotFound", "the server could not find the requested resource",
                           NULL);
        goto done;
    }
    if (zk_apis_serve_metrics_api(c) || zk_apis_serve_ext_metrics(c))
        goto done;
    c->kind = zk_kinds_find(c->ri.group, c->ri.version, c->ri.resource);
    if (!c->kind) {
        zk_apis_status(req, 404, "NotFound", "the server could not find the requested resource",
                       NULL);
        goto done;
    }
    if (!strcmp(c->ri.verb, "get") || !strcmp(c->ri.verb, "list") || !strcmp(c->ri.verb, "watch") ||
        c->ri.subresource[0] == '\0')
        zk__table_accept(c);
    if (c->ri.subresource[0] && strcmp(c->ri.subresource, "status"))
        c->table = false;
    if (c->table && !zk_apis_include_object(c)) {
        zk_apis_status(req, 400, "BadRequest",
                       "includeObject: Unsupported value: supported values: \"Metadata\", "
                       "\"None\", \"Object\"", NULL);
        goto done;
    }
    zk_apis_serve_resource(c);
done:
    zk_apis_call_unref(c);
    return 0;
}

/* ---- loading ---- */

/* The storage of a stored key "/registry/<storage>/<ns>/<name>" (write.c
 * builds them), whose object is o: storage names hold '/' themselves, so the
 * object's own key is cut from the end. NULL when the key is not of that form. */
static zk_storage *zk__storage_of(zk_apiserver *srv, const char *key, const zk_obj *o)
{
    char okey[600], storage[512];
    zk_storage_key(okey, sizeof(okey), o->ns, o->name);
    size_t klen = strlen(key), oklen = strlen(okey);
    if (strncmp(key, "/registry/", 10) || klen <= 10 + oklen + 1 ||
        strcmp(key + klen - oklen, okey) || key[klen - oklen - 1] != '/')
        return NULL;
    snprintf(storage, sizeof(storage), "%.*s", (int)(klen - 10 - oklen - 1), key + 10);
    return zk_storage_get(srv->storages, storage, true);
}

static int zk__load_each(void *ctx, const char *key, const char *value, size_t len, int64_t rev)
{
    zk_apiserver *srv = ctx;
    zk_obj *o = zk_obj_new(value, len, rev);
    zk_storage *st = o ? zk__storage_of(srv, key, o) : NULL;
    if (!st) {
        zk_warn("store: %s does not hold an object of that name; skipped", key);
        zk_obj_unref(o);
        return 0;
    }
    char okey[600];
    zk_storage_key(okey, sizeof(okey), o->ns, o->name);
    zk_entry *e = zk_storage_entry(st, okey, true);
    e->cur = o;
    zk_apis_gc_latest(srv, st, okey, e->latest, o);
    e->latest = zk_obj_ref(o);
    zk_storage_touch(st);
    return 0;
}

static int zk__history_each(void *ctx, int64_t rev, const char *key, const char *value, size_t len)
{
    /* Kept history primes the watch ring so clients resume across restarts.
     * Deletions keep no last state: a resume across one falls back to a relist. */
    zk_apiserver *srv = ctx;
    if (!value)
        return 0;
    zk_obj *o = zk_obj_new(value, len, rev);
    zk_storage *st = o ? zk__storage_of(srv, key, o) : NULL;
    if (st)
        zk_apis_watch_publish(srv, ZK_EV_MODIFIED, st, o, NULL);
    zk_obj_unref(o);
    return 0;
}

/* ---- bootstrap ---- */

typedef struct zk__boot {
    int pending;
    int failed;
} zk__boot;

static void zk__boot_done(zk_apiserver *srv, void *ctx, const char *err)
{
    zk__boot *b = ctx;
    b->pending--;
    if (err) {
        b->failed++;
        zk_error("bootstrap write failed: %s", err);
    }
}

/* Create doc (cluster object or namespaced) when missing. */
/* Store doc (taken) at the next revision; b counts the write in flight. */
static void zk__store(zk_apiserver *srv, zk__boot *b, zk_storage *st, json_t *doc)
{
    int64_t rev = zk_apis_next_rev(srv);
    zk_apis_set_rv(doc, rev);
    zk_obj *o = zk_obj_from_json(doc, rev);
    json_decref(doc);
    zk_write *w = zk_apis_write_new(srv, 1);
    zk_apis_write_set(w, 0, st, o->ns, o->name, o);
    if (b)
        b->pending++;
    zk_apis_write_submit(w, b ? zk__boot_done : NULL, b);
}

static void zk__ensure(zk_apiserver *srv, zk__boot *b, const zk_kind *k, json_t *doc)
{
    zk_storage *st = zk_apis_storage(srv, k);
    const char *ns = zk_json_path_str(doc, "metadata", "namespace", NULL);
    const char *name = zk_json_path_str(doc, "metadata", "name", NULL);
    if (zk_storage_latest(st, ns ? ns : "", name)) {
        json_decref(doc);
        return;
    }
    json_t *meta = zk_json_path_obj(doc, "metadata", NULL);
    char uid[40], now[32];
    zk_apis_new_uid(uid, sizeof(uid));
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    zk_json_set_str(meta, "uid", uid);
    zk_json_set_str(meta, "creationTimestamp", now);
    zk__store(srv, b, st, doc);
}

/* Write doc unless the stored object has the same content already (the
 * stored one's uid and creation time are kept). */
static void zk__upsert(zk_apiserver *srv, zk__boot *b, const zk_kind *k, json_t *doc)
{
    zk_storage *st = zk_apis_storage(srv, k);
    const char *ns = zk_json_path_str(doc, "metadata", "namespace", NULL);
    const char *name = zk_json_path_str(doc, "metadata", "name", NULL);
    zk_obj *cur = zk_storage_latest(st, ns ? ns : "", name);
    if (!cur) {
        zk__ensure(srv, b, k, doc);
        return;
    }
    json_t *old = zk_json_read(cur->json, cur->len, false);
    json_t *meta = zk_json_path_obj(doc, "metadata", NULL);
    json_t *ometa = json_object_get(old, "metadata");
    json_object_set(meta, "uid", json_object_get(ometa, "uid"));
    json_object_set(meta, "creationTimestamp", json_object_get(ometa, "creationTimestamp"));
    json_object_set(meta, "resourceVersion", json_object_get(ometa, "resourceVersion"));
    json_t *ma = json_object_get(ometa, "managedFields");
    if (ma)
        json_object_set(meta, "managedFields", ma);
    bool same = old && json_equal(old, doc);
    json_decref(old);
    if (same) {
        json_decref(doc);
        return;
    }
    zk__store(srv, b, st, doc);
}

/* The address pods reach the API on: the bind address, or with a wildcard
 * bind the advertised one, else the host's first IPv4 address. Loopback
 * works for pods of this machine (the node proxy turns on route_localnet). */
static const char *zk__endpoint_address(const char *bind, const char *advertise)
{
    static char addr[64];
    if (!bind)
        bind = "127.0.0.1";
    struct in_addr in;
    if (inet_pton(AF_INET, bind, &in) == 1 && in.s_addr != htonl(INADDR_ANY))
        return bind;
    if (advertise && inet_pton(AF_INET, advertise, &in) == 1)
        return advertise;
    snprintf(addr, sizeof(addr), "127.0.0.1");
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
            if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK)) {
                inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr,
                          sizeof(addr));
                break;
            }
        freeifaddrs(ifs);
    }
    return addr;
}

static json_t *zk__namespace(const char *name)
{
    return json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:[s]},s:{s:s}}", "apiVersion", "v1", "kind",
                     "Namespace", "metadata", "name", name, "labels", "kubernetes.io/metadata.name",
                     name, "spec", "finalizers", "kubernetes", "status", "phase", "Active");
}

/* Per namespace: the "default" ServiceAccount and the kube-root-ca.crt
 * ConfigMap, as the serviceaccounts and root-ca-publisher controllers keep. */
static void zk__namespace_defaults(zk_apiserver *srv, zk__boot *b)
{
    const zk_kind *nsk = zk_kinds_find("", "v1", "namespaces");
    const zk_kind *sak = zk_kinds_find("", "v1", "serviceaccounts");
    const zk_kind *cmk = zk_kinds_find("", "v1", "configmaps");
    zk_storage *nss = zk_apis_storage(srv, nsk);
    zk_entry **ents;
    char **keys;
    size_t n;
    zk_storage_sorted(nss, &ents, &keys, &n);
    char **names = zk_xcalloc(n ? n : 1, sizeof(char *));
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (ents[i]->cur && !ents[i]->cur->terminating)
            names[m++] = zk_xstrdup(ents[i]->cur->name);
    static char *ca_pem;
    if (!ca_pem) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/ca.crt", srv->pki_dir);
        size_t len;
        zk_err err = {0};
        if (zk_net_pki_read_file(path, 1 << 20, &ca_pem, &len, &err) < 0)
            ca_pem = NULL;
    }
    zk_storage *sas = zk_apis_storage(srv, sak), *cms = zk_apis_storage(srv, cmk);
    for (size_t i = 0; i < m; i++) {
        /* most ticks find both in place: look before building anything */
        if (!zk_storage_latest(sas, names[i], "default"))
            zk__ensure(srv, b, sak,
                       json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind",
                                 "ServiceAccount", "metadata", "name", "default", "namespace",
                                 names[i]));
        if (ca_pem && !zk_storage_latest(cms, names[i], "kube-root-ca.crt"))
            zk__ensure(srv, b, cmk,
                       json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1",
                                 "kind", "ConfigMap", "metadata", "name", "kube-root-ca.crt",
                                 "namespace", names[i], "annotations",
                                 "kubernetes.io/description",
                                 "Contains a CA bundle that can be used to verify the "
                                 "kube-apiserver when using internal endpoints such as the "
                                 "internal service IP or kubernetes.default.svc. No other usage is "
                                 "guaranteed across distributions of Kubernetes clusters.",
                                 "data", "ca.crt", ca_pem));
        free(names[i]);
    }
    free(names);
}

static void zk__bootstrap(zk_apiserver *srv, zk__boot *b, int port, const char *addr)
{
    const zk_kind *nsk = zk_kinds_find("", "v1", "namespaces");
    static const char *const nss[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(nss); i++)
        zk__ensure(srv, b, nsk, zk__namespace(nss[i]));
    json_t *rbac = zk_apis_rbac_bootstrap();
    size_t i;
    json_t *o;
    json_array_foreach(rbac, i, o) {
        const char *kind = zk_json_str(o, "kind");
        const zk_kind *k = zk_kinds_find_kind("rbac.authorization.k8s.io", "v1", kind ? kind : "");
        if (!k)
            continue;
        /* as kube-apiserver reconciles its bootstrap roles: a newer zke's
         * rules replace an older one's, unless the stored object says
         * rbac.authorization.kubernetes.io/autoupdate: "false" */
        zk_storage *st = zk_apis_storage(srv, k);
        zk_obj *cur = zk_storage_latest(st, "", zk_json_path_str(o, "metadata", "name", NULL) ?: "");
        json_t *old = cur ? zk_json_read(cur->json, cur->len, false) : NULL;
        const char *au = zk_json_path_str(old, "metadata", "annotations",
                                          "rbac.authorization.kubernetes.io/autoupdate", NULL);
        bool keep = au && !strcmp(au, "false");
        json_decref(old);
        if (!keep)
            zk__upsert(srv, b, k, json_incref(o));
    }
    json_decref(rbac);
    const zk_kind *svck = zk_kinds_find("", "v1", "services");
    zk__ensure(srv, b, svck,
               json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:s,s:[s],s:[s],s:s,s:s,s:[{s:s,s:s,s:i,s:i}],s:s},s:{s:{}}}",
                         "apiVersion", "v1", "kind", "Service", "metadata", "name", "kubernetes",
                         "namespace", "default", "labels", "component", "apiserver", "provider",
                         "kubernetes", "spec", "clusterIP", "10.43.0.1", "clusterIPs", "10.43.0.1",
                         "ipFamilies", "IPv4", "ipFamilyPolicy", "SingleStack", "type", "ClusterIP",
                         "ports", "name", "https", "protocol", "TCP", "port", 443, "targetPort",
                         port, "sessionAffinity", "None", "status", "loadBalancer"));
    /* where the API is, as Endpoints and as the EndpointSlice that node
     * proxies read: written on every start (the port may have changed) */
    const zk_kind *epk = zk_kinds_find("", "v1", "endpoints");
    zk__upsert(srv, b, epk,
               json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:[{s:s}],s:[{s:s,s:i,s:s}]}]}", "apiVersion",
                         "v1", "kind", "Endpoints", "metadata", "name", "kubernetes", "namespace",
                         "default", "subsets", "addresses", "ip", addr, "ports", "name",
                         "https", "port", port, "protocol", "TCP"));
    const zk_kind *esk = zk_kinds_find("discovery.k8s.io", "v1", "endpointslices");
    zk__upsert(srv, b, esk,
               json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s,s:[{s:[s],s:{s:b}}],s:[{s:s,s:i,s:s}]}",
                         "apiVersion", "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata",
                         "name", "kubernetes", "namespace", "default", "labels",
                         "kubernetes.io/service-name", "kubernetes", "addressType", "IPv4",
                         "endpoints", "addresses", addr, "conditions", "ready", 1, "ports", "name",
                         "https", "port", port, "protocol", "TCP"));
}

/* zke.io's CRDs (deploy/crds/): stored when missing or when this build's
 * spec differs from the stored one, and served. */
static void zk__builtin_crds(zk_apiserver *srv, zk__boot *b)
{
    const zk_kind *ck = zk_kinds_find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    zk_storage *st = zk_apis_storage(srv, ck);
    for (size_t i = 0; zk_builtin_crds[i]; i++) {
        json_t *doc = NULL;
        zk_err err = {0};
        if (zk_yaml_decode(zk_builtin_crds[i], strlen(zk_builtin_crds[i]), &doc, &err) < 0) {
            zk_error("built-in CRD %s: %s", zk_builtin_crds_names[i], err.msg);
            continue;
        }
        const char *name = zk_json_path_str(doc, "metadata", "name", NULL);
        zk_obj *cur = name ? zk_storage_latest(st, "", name) : NULL;
        json_t *old = cur ? zk_json_read(cur->json, cur->len, false) : NULL;
        bool same = old && json_equal(json_object_get(old, "spec"), json_object_get(doc, "spec"));
        json_decref(old);
        if (!same) {
            json_object_set_new(doc, "status", zk_apis_crd_status(doc));
            zk_apis_crd_register(srv, doc);
            zk__upsert(srv, b, ck, json_incref(doc));
        }
        json_decref(doc);
    }
}

/* ---- periodic work ---- */

static uv_timer_t zk__tick_timer;

static void zk__tick(uv_timer_t *t)
{
    zk_apiserver *srv = t->data;
    zk_apis_ns_tick(srv);
    zk_apis_gc_tick(srv);
    zk_apis_gc_orphans(srv);
    zk__namespace_defaults(srv, NULL);
    /* Large LISTs (and their Tables) allocate and free tens of MB; glibc
     * keeps freed memory unless asked to give it back. */
    if (srv->trim_wanted) {
        srv->trim_wanted = false;
        malloc_trim(0);
    }
}

/* ---- signals ---- */

static uv_signal_t zk__sigint, zk__sigterm;

static void zk__on_signal(uv_signal_t *h, int signum)
{
    zk_info("received signal %d, shutting down", signum);
    uv_stop(h->loop);
}

/* ---- options ---- */

static zk_apis_ready_fn zk__ready_hook;

void zk_apis_set_ready_hook(zk_apis_ready_fn fn)
{
    zk__ready_hook = fn;
}

static void zk__usage(FILE *f)
{
    fprintf(f,
            "usage: zke server --data-dir DIR --https-port PORT [options]\n"
            "\n"
            "  --data-dir DIR          where the store, certificates and kubeconfig live\n"
            "  --https-port PORT       HTTPS port of the API (default 6443)\n"
            "  --bind-address ADDR     address to listen on (default 127.0.0.1)\n"
            "  --advertise-address A   extra name or IP for the serving certificate\n"
            "  --token-auth-file FILE  static bearer tokens: token,user,uid,\"group1,group2\"\n"
            "  --store-sync MODE       full (fsync each commit, default) or normal\n"
            "  --disable-agent         do not run a node agent in this process\n"
            "  --node-name NAME        the name of this machine's node (default: host name)\n"
            "  --cluster-dns-upstream IP[:PORT],...  where the node's cluster DNS sends\n"
            "                          other names (default: the host's resolv.conf)\n"
            "  --proxy-mode MODE       the node's Service rules: nftables, iptables or auto\n"
            "                          (default: nftables when nft is installed)\n"
            "  --disable-scheduler     do not run the scheduler in this process\n"
            "  --disable-controller-manager  do not run the controllers in this process\n"
            "  --disable-admission-plugins LIST  of LimitRanger, ResourceQuota, ZkePolicies\n"
            "                          (overcommit, scheduling strategies, soft anti-affinity:\n"
            "                          off when `zke webhook` serves them instead)\n"
            "  --request-timeout SECS  time a client has to send a whole request (default 30)\n"
            "  --watch-history N       events kept for watch resume (default 20000)\n"
            "  --watch-bookmark-interval SECS  BOOKMARK events on watches that allow them (60)\n"
            "  --log-level LEVEL       debug, info, warn or error\n");
}

static int zk__parse(int argc, char **argv, zk_server_opts *o)
{
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"https-port", required_argument, NULL, 'p'},
        {"bind-address", required_argument, NULL, 'b'},
        {"advertise-address", required_argument, NULL, 'a'},
        {"token-auth-file", required_argument, NULL, 't'},
        {"store-sync", required_argument, NULL, 's'},
        {"disable-agent", no_argument, NULL, 'n'},
        {"node-name", required_argument, NULL, 'N'},
        {"cluster-dns-upstream", required_argument, NULL, 'U'},
        {"proxy-mode", required_argument, NULL, 'X'},
        {"disable-scheduler", no_argument, NULL, 'S'},
        {"disable-controller-manager", no_argument, NULL, 'C'},
        {"disable-admission-plugins", required_argument, NULL, 'A'},
        {"log-level", required_argument, NULL, 'l'},
        {"request-timeout", required_argument, NULL, 'r'},
        {"watch-history", required_argument, NULL, 'w'},
        {"watch-bookmark-interval", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->https_port = 6443;
    o->bind = "127.0.0.1";
    o->request_timeout_s = 30;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': o->data_dir = optarg; break;
        case 'p': {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "zke server: --https-port: '%s' is not a port number\n", optarg);
                return -1;
            }
            o->https_port = (int)p;
            break;
        }
        case 'b': o->bind = optarg; break;
        case 'a': o->advertise = optarg; break;
        case 't': o->token_file = optarg; break;
        case 's':
            if (!strcmp(optarg, "full"))
                o->sync = ZK_STORE_SYNC_FULL;
            else if (!strcmp(optarg, "normal"))
                o->sync = ZK_STORE_SYNC_NORMAL;
            else {
                fprintf(stderr, "zke server: --store-sync must be full or normal\n");
                return -1;
            }
            break;
        case 'n': o->disable_agent = true; break;
        case 'N': o->node_name = optarg; break;
        case 'U': o->dns_upstreams = optarg; break;
        case 'X':
            if (strcmp(optarg, "auto") && strcmp(optarg, "nftables") && strcmp(optarg, "iptables")) {
                fprintf(stderr, "zke server: --proxy-mode \"%s\": use auto, nftables or iptables\n",
                        optarg);
                return -1;
            }
            o->proxy_mode = optarg;
            break;
        case 'S': o->disable_scheduler = true; break;
        case 'C': o->disable_cm = true; break;
        case 'A': {
            char list[512];
            snprintf(list, sizeof(list), "%s", optarg);
            char *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (!strcmp(t, "LimitRanger"))
                    o->adm_disabled |= ZK_ADM_OFF_LIMITRANGER;
                else if (!strcmp(t, "ResourceQuota"))
                    o->adm_disabled |= ZK_ADM_OFF_QUOTA;
                else if (!strcmp(t, "ZkePolicies"))
                    o->adm_disabled |= ZK_ADM_OFF_POLICIES;
                else {
                    fprintf(stderr, "zke server: --disable-admission-plugins: unknown plugin "
                                    "\"%s\" (LimitRanger, ResourceQuota, ZkePolicies)\n", t);
                    return -1;
                }
            }
            break;
        }
        case 'k': {
            char *end;
            long b = strtol(optarg, &end, 10);
            if (*end || b < 1 || b > 3600) {
                fprintf(stderr, "zke server: --watch-bookmark-interval wants seconds (1-3600)\n");
                return -1;
            }
            o->bookmark_s = b;
            break;
        }
        case 'w': {
            char *end;
            long h = strtol(optarg, &end, 10);
            if (*end || h < 10 || h > 10000000) {
                fprintf(stderr, "zke server: --watch-history wants a count of events (10-10000000)\n");
                return -1;
            }
            o->watch_history = h;
            break;
        }
        case 'r': {
            char *end;
            long t = strtol(optarg, &end, 10);
            if (*end || t < 1 || t > 3600) {
                fprintf(stderr, "zke server: --request-timeout wants seconds (1-3600)\n");
                return -1;
            }
            o->request_timeout_s = (int)t;
            break;
        }
        case 'l':
            if (!strcmp(optarg, "debug"))
                zk_log_set_level(ZK_LOG_DEBUG);
            else if (!strcmp(optarg, "info"))
                zk_log_set_level(ZK_LOG_INFO);
            else if (!strcmp(optarg, "warn"))
                zk_log_set_level(ZK_LOG_WARN);
            else if (!strcmp(optarg, "error"))
                zk_log_set_level(ZK_LOG_ERROR);
            else {
                fprintf(stderr, "zke server: --log-level must be debug, info, warn or error\n");
                return -1;
            }
            break;
        case 'h': zk__usage(stdout); exit(0);
        default: zk__usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "zke server: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->data_dir) {
        fprintf(stderr, "zke server: --data-dir is required\n");
        zk__usage(stderr);
        return -1;
    }
    return 0;
}

static int zk__mkdir(const char *path, zk_err *err)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return zk_err_set(err, ZK_EIO, "create %s: %s", path, strerror(errno));
    return 0;
}

static int zk__write_kubeconfig(zk_apiserver *srv, const char *url, zk_err *err)
{
    char path[4096];
    zk_autofree char *ca = NULL, *cert = NULL, *key = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/ca.crt", srv->pki_dir);
    if (zk_net_pki_read_file(path, 1 << 20, &ca, &len, err) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/admin.crt", srv->pki_dir);
    if (zk_net_pki_read_file(path, 1 << 20, &cert, &len, err) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/admin.key", srv->pki_dir);
    if (zk_net_pki_read_file(path, 1 << 20, &key, &len, err) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/kubeconfig.yaml", srv->data_dir);
    return zk_net_kubeconfig_write(path, url, ca, cert, key, NULL, "zke", err);
}

int zk_apis_server_main(int argc, char **argv)
{
    zk_server_opts o;
    if (zk__parse(argc, argv, &o) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    /* watches hold connections open: allow as many descriptors as we may */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    zk_err err = {0};
    zk_apiserver *srv = zk_xcalloc(1, sizeof(*srv));
    srv->loop = uv_default_loop();
    srv->data_dir = zk_xstrdup(o.data_dir);
    srv->pki_dir = zk_xasprintf("%s/pki", o.data_dir);
    srv->storages = zk_map_new();
    srv->start_time = zk_wall_s();
    srv->issuer = zk_xstrdup("https://kubernetes.default.svc.cluster.local");
    srv->sa_key_file = zk_xasprintf("%s/sa.key", srv->pki_dir);
    srv->sa_pub_file = zk_xasprintf("%s/sa.pub", srv->pki_dir);
    zk_kinds_init();

    if (zk__mkdir(o.data_dir, &err) < 0 || zk__mkdir(srv->pki_dir, &err) < 0)
        goto fail;
    const char *sans[3] = {"10.43.0.1", NULL, NULL};
    size_t nsans = 1;
    if (o.advertise)
        sans[nsans++] = o.advertise;
    if (strcmp(o.bind, "0.0.0.0") && strcmp(o.bind, "::") && strcmp(o.bind, "127.0.0.1") &&
        strcmp(o.bind, "localhost"))
        sans[nsans++] = o.bind;
    if (zk_net_pki_ensure(srv->pki_dir, sans, nsans, &err) < 0) {
        zk_err_wrap(&err, "certificates");
        goto fail;
    }
    if (o.token_file && zk_apis_load_token_file(srv, o.token_file, &err) < 0)
        goto fail;

    char dbpath[4096];
    snprintf(dbpath, sizeof(dbpath), "%s/state.db", o.data_dir);
    zk_store_options so = {.sync = o.sync};
    srv->store = zk_store_open(dbpath, &so, &err);
    if (!srv->store) {
        zk_err_wrap(&err, "store");
        goto fail;
    }
    zk_apis_commit_init(srv);
    srv->hist_cap = (size_t)o.watch_history;
    srv->bookmark_ms = (uint64_t)o.bookmark_s * 1000;
    srv->adm_disabled = o.adm_disabled;
    zk_apis_watch_init(srv);
    int64_t rev = 0;
    if (zk_store_load(srv->store, zk__load_each, srv, &rev, &err) < 0) {
        zk_err_wrap(&err, "load");
        goto fail;
    }
    srv->next_rev = srv->committed_rev = rev;
    int64_t oldest = 0;
    if (zk_store_history(srv->store, 0, zk__history_each, srv, &oldest, &err) < 0)
        zk_warn("store history: %s", err.msg);
    /* serve the custom resources that were defined before */
    zk_storage *crds = zk_storage_get(srv->storages, "apiextensions/customresourcedefinitions", false);
    if (crds) {
        size_t pos = 0;
        void *v;
        while (zk_map_next(crds->entries, &pos, NULL, &v)) {
            json_t *doc = zk_obj_parse(((zk_entry *)v)->cur);
            zk_apis_crd_register(srv, doc);
            json_decref(doc);
        }
    }
    size_t nobj = 0;
    {
        size_t pos = 0;
        void *v;
        while (zk_map_next(srv->storages, &pos, NULL, &v))
            nobj += zk_map_count(((zk_storage *)v)->entries);
    }
    zk_info("store: %zu objects loaded, revision %lld", nobj, (long long)rev);

    zk_http_options ho = {.bind_address = o.bind, .port = o.https_port};
    char cert[4096], key[4096], ca[4096];
    snprintf(cert, sizeof(cert), "%s/server.crt", srv->pki_dir);
    snprintf(key, sizeof(key), "%s/server.key", srv->pki_dir);
    snprintf(ca, sizeof(ca), "%s/ca.crt", srv->pki_dir);
    ho.cert_file = cert;
    ho.key_file = key;
    ho.client_ca_file = ca;
    ho.req_timeout_ms = (uint64_t)o.request_timeout_s * 1000;
    srv->http = zk_http_server_new(srv->loop, &ho, zk__on_request, srv, &err);
    if (!srv->http)
        goto fail;
    int port = zk_http_server_port(srv->http);

    zk__boot boot = {0};
    zk__bootstrap(srv, &boot, port, zk__endpoint_address(o.bind, o.advertise));
    zk__builtin_crds(srv, &boot);
    while (boot.pending > 0)
        uv_run(srv->loop, UV_RUN_ONCE);
    zk__namespace_defaults(srv, &boot);
    while (boot.pending > 0)
        uv_run(srv->loop, UV_RUN_ONCE);
    if (boot.failed) {
        zk_err_set(&err, ZK_EIO, "%d bootstrap objects could not be stored", boot.failed);
        goto fail;
    }

    char url[256];
    const char *host = (!strcmp(o.bind, "0.0.0.0") || !strcmp(o.bind, "::")) ? "127.0.0.1" : o.bind;
    if (strchr(host, ':'))
        snprintf(url, sizeof(url), "https://[%s]:%d", host, port);
    else
        snprintf(url, sizeof(url), "https://%s:%d", host, port);
    if (zk__write_kubeconfig(srv, url, &err) < 0) {
        zk_err_wrap(&err, "kubeconfig");
        goto fail;
    }
    if (zk__ready_hook) {
        zk_apis_ready info = {.url = url, .data_dir = o.data_dir, .pki_dir = srv->pki_dir,
                              .disable_agent = o.disable_agent,
                              .node_name = o.node_name,
                              .dns_upstreams = o.dns_upstreams,
                              .proxy_mode = o.proxy_mode,
                              .disable_scheduler = o.disable_scheduler,
                              .disable_controller_manager = o.disable_cm};
        if (zk__ready_hook(&info, &err) < 0)
            goto fail;
    }

    zk_apis_quota_init(srv);
    uv_timer_init(srv->loop, &zk__tick_timer);
    zk__tick_timer.data = srv;
    uv_timer_start(&zk__tick_timer, zk__tick, 1000, 1000);
    uv_signal_init(srv->loop, &zk__sigint);
    uv_signal_init(srv->loop, &zk__sigterm);
    uv_signal_start(&zk__sigint, zk__on_signal, SIGINT);
    uv_signal_start(&zk__sigterm, zk__on_signal, SIGTERM);

    printf("zke server: ready on %s (kubeconfig: %s/kubeconfig.yaml)\n", url, o.data_dir);
    fflush(stdout);
    uv_run(srv->loop, UV_RUN_DEFAULT);

    /* Commits already acknowledged are durable; the store flushes the rest. */
    zk_store_close(srv->store);
    zk_info("stopped");
    return 0;
fail:
    fprintf(stderr, "zke server: %s\n", err.msg[0] ? err.msg : "failed to start");
    if (srv->store)
        zk_store_close(srv->store);
    return 1;
}
