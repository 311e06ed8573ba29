/* Non-resource endpoints: discovery, version, health, OpenAPI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "kube/openapi.h"
#include "kube/openapi_pb.h"

#define ZK_K8S_MAJOR "1"
#define ZK_K8S_MINOR "32"
#define ZK_K8S_VERSION "v1.32.0"

/* Group order in /apis, as kube-apiserver lists them. */
static const char *const zk__group_order[] = {
    "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
    "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io",
    "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
    "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
    "discovery.k8s.io", "flowcontrol.apiserver.k8s.io", NULL,
};

static const char *zk__preferred_version(const char *group)
{
    if (!strcmp(group, "metrics.k8s.io") || !strcmp(group, "external.metrics.k8s.io"))
        return "v1beta1";   /* from the node agents (metrics_api.c), BacklogScalers */
    if (!strcmp(group, "custom.metrics.k8s.io"))
        return "v1beta2";
    /* the first served version wins, except where Kubernetes prefers another */
    if (!strcmp(group, "autoscaling"))
        return "v2";
    size_t pos = 0;
    const zk_kind *k;
    while ((k = zk_kinds_next(&pos)))
        if (!strcmp(k->group, group))
            return k->version;
    return NULL;
}

static json_t *zk__api_group(const char *group)
{
    json_t *versions = json_array();
    json_t *seen = json_object();
    const char *pref = zk__preferred_version(group);
    char gv[256];
    /* the preferred version first */
    if (pref) {
        snprintf(gv, sizeof(gv), "%s/%s", group, pref);
        json_array_append_new(versions, json_pack("{s:s,s:s}", "groupVersion", gv, "version", pref));
        json_object_set_new(seen, pref, json_true());
    }
    size_t pos = 0;
    const zk_kind *k;
    while ((k = zk_kinds_next(&pos))) {
        if (strcmp(k->group, group) || json_object_get(seen, k->version))
            continue;
        json_object_set_new(seen, k->version, json_true());
        snprintf(gv, sizeof(gv), "%s/%s", group, k->version);
        json_array_append_new(versions,
                              json_pack("{s:s,s:s}", "groupVersion", gv, "version", k->version));
    }
    json_decref(seen);
    snprintf(gv, sizeof(gv), "%s/%s", group, pref ? pref : "");
    return json_pack("{s:s,s:o,s:{s:s,s:s}}", "name", group, "versions", versions,
                     "preferredVersion", "groupVersion", gv, "version", pref ? pref : "");
}

static json_t *zk__group_list(void)
{
    json_t *groups = json_array();
    json_t *seen = json_object();
    for (size_t i = 0; zk__group_order[i]; i++) {
        if (!zk__preferred_version(zk__group_order[i]))
            continue;
        json_array_append_new(groups, zk__api_group(zk__group_order[i]));
        json_object_set_new(seen, zk__group_order[i], json_true());
    }
    size_t pos = 0;
    const zk_kind *k;
    while ((k = zk_kinds_next(&pos))) {
        if (!k->group[0] || json_object_get(seen, k->group))
            continue;
        json_object_set_new(seen, k->group, json_true());
        json_array_append_new(groups, zk__api_group(k->group));
    }
    json_decref(seen);
    json_array_append_new(groups, zk__api_group("metrics.k8s.io"));
    json_array_append_new(groups, zk__api_group("custom.metrics.k8s.io"));
    json_array_append_new(groups, zk__api_group("external.metrics.k8s.io"));
    return json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups",
                     groups);
}

static json_t *zk__verbs(unsigned v)
{
    static const char *const names[] = {"get", "list", "watch", "create", "update",
                                        "patch", "delete", "deletecollection"};
    static const unsigned bits[] = {ZK_VERB_GET, ZK_VERB_LIST, ZK_VERB_WATCH, ZK_VERB_CREATE,
                                    ZK_VERB_UPDATE, ZK_VERB_PATCH, ZK_VERB_DELETE,
                                    ZK_VERB_DELETECOLLECTION};
    /* kubectl prints verbs in this order: create delete deletecollection get list patch update watch */
    static const int order[] = {3, 6, 7, 0, 1, 5, 4, 2};
    json_t *a = json_array();
    for (size_t i = 0; i < 8; i++)
        if (v & bits[order[i]])
            json_array_append_new(a, json_string(names[order[i]]));
    return a;
}

static void zk__add_sub(json_t *res, const zk_kind *k, const char *sub, const char *kind,
                        const char *group, const char *version, json_t *verbs)
{
    char name[256];
    snprintf(name, sizeof(name), "%s/%s", k->resource, sub);
    json_t *r = json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", name, "singularName", "", "namespaced",
                          k->namespaced, "kind", kind, "verbs", verbs);
    if (group)
        zk_json_set_str(r, "group", group);
    if (version)
        zk_json_set_str(r, "version", version);
    json_array_append_new(res, r);
}

static json_t *zk__resource_list(const char *group, const char *version)
{
    if (!strcmp(group, "metrics.k8s.io"))
        return strcmp(version, "v1beta1")
                   ? NULL
                   : json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1",
                               "groupVersion", "metrics.k8s.io/v1beta1", "resources",
                               zk_apis_metrics_resources());
    if (!strcmp(group, "external.metrics.k8s.io") || !strcmp(group, "custom.metrics.k8s.io")) {
        const char *v = group[0] == 'e' ? "v1beta1" : "v1beta2";
        if (strcmp(version, v))
            return NULL;
        char gv[64];
        snprintf(gv, sizeof(gv), "%s/%s", group, v);
        return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1",
                         "groupVersion", gv, "resources", zk_apis_ext_metrics_resources(group));
    }
    json_t *res = json_array();
    size_t pos = 0;
    const zk_kind *k;
    bool any = false;
    while ((k = zk_kinds_next(&pos))) {
        if (strcmp(k->group, group) || strcmp(k->version, version))
            continue;
        any = true;
        json_t *r = json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", k->resource, "singularName",
                              k->singular, "namespaced", k->namespaced, "kind", k->kind, "verbs",
                              zk__verbs(k->verbs));
        if (k->short_names[0]) {
            json_t *sn = json_array();
            for (size_t i = 0; i < 4 && k->short_names[i]; i++)
                json_array_append_new(sn, json_string(k->short_names[i]));
            json_object_set_new(r, "shortNames", sn);
        }
        if (k->in_all)
            json_object_set_new(r, "categories", json_pack("[s]", "all"));
        json_array_append_new(res, r);
        if (k->subresources & ZK_SUB_STATUS)
            zk__add_sub(res, k, "status", k->kind, NULL, NULL, json_pack("[s,s,s]", "get", "patch", "update"));
        if (k->subresources & ZK_SUB_SCALE)
            zk__add_sub(res, k, "scale", "Scale", "autoscaling", "v1",
                        json_pack("[s,s,s]", "get", "patch", "update"));
        if (k->subresources & ZK_SUB_BINDING)
            zk__add_sub(res, k, "binding", "Binding", NULL, NULL, json_pack("[s]", "create"));
        if (k->subresources & ZK_SUB_EVICTION)
            zk__add_sub(res, k, "eviction", "Eviction", "policy", "v1", json_pack("[s]", "create"));
        if (k->subresources & ZK_SUB_LOG)
            zk__add_sub(res, k, "log", "Pod", NULL, NULL, json_pack("[s]", "get"));
        if (k->subresources & ZK_SUB_EXEC) {
            zk__add_sub(res, k, "exec", "PodExecOptions", NULL, NULL, json_pack("[s,s]", "create", "get"));
            zk__add_sub(res, k, "attach", "PodAttachOptions", NULL, NULL, json_pack("[s,s]", "create", "get"));
            zk__add_sub(res, k, "portforward", "PodPortForwardOptions", NULL, NULL, json_pack("[s,s]", "create", "get"));
        }
        if (k->subresources & ZK_SUB_EPHEMERAL)
            zk__add_sub(res, k, "ephemeralcontainers", k->kind, NULL, NULL, json_pack("[s,s,s]", "get", "patch", "update"));
        if (k->subresources & ZK_SUB_TOKEN)
            zk__add_sub(res, k, "token", "TokenRequest", "authentication.k8s.io", "v1", json_pack("[s]", "create"));
        if (k->subresources & ZK_SUB_FINALIZE)
            zk__add_sub(res, k, "finalize", k->kind, NULL, NULL, json_pack("[s]", "update"));
    }
    if (!any) {
        json_decref(res);
        return NULL;
    }
    char gv[256];
    if (group[0])
        snprintf(gv, sizeof(gv), "%s/%s", group, version);
    else
        snprintf(gv, sizeof(gv), "%s", version);
    return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1",
                     "groupVersion", gv, "resources", res);
}

/* ---- OpenAPI ---- */

static zk_openapi_kind *zk__openapi_kinds(size_t *n)
{
    size_t cap = 64, m = 0, pos = 0;
    zk_openapi_kind *ks = zk_xcalloc(cap, sizeof(*ks));
    const zk_kind *k;
    while ((k = zk_kinds_next(&pos))) {
        if (m == cap) {
            cap *= 2;
            ks = zk_xrealloc(ks, cap * sizeof(*ks));
        }
        static const char *const status_scale[] = {"status", "scale", NULL};
        static const char *const status_only[] = {"status", NULL};
        static const char *const scale_only[] = {"scale", NULL};
        static const char *const create_only[] = {"create", NULL};
        const char *const *subs = NULL;
        bool st = k->subresources & ZK_SUB_STATUS, sc = k->subresources & ZK_SUB_SCALE;
        if (st && sc)
            subs = status_scale;
        else if (st)
            subs = status_only;
        else if (sc)
            subs = scale_only;
        ks[m++] = (zk_openapi_kind){
            .group = k->group, .version = k->version, .kind = k->kind, .resource = k->resource,
            .namespaced = k->namespaced,
            .verbs = (k->verbs == ZK_VERBS_CREATE_ONLY) ? create_only : NULL,
            .subresources = subs,
            .type = zk_kube_schema_for_kind(k->group, k->version, k->kind),
            .crd_schema = k->crd_schema,
        };
    }
    *n = m;
    return ks;
}

static void zk__openapi_refresh(zk_apiserver *srv)
{
    if (srv->openapi_v2 && srv->openapi_gen == zk_kinds_generation())
        return;
    if (srv->openapi_v2)
        json_decref(srv->openapi_v2);
    size_t n;
    zk_openapi_kind *ks = zk__openapi_kinds(&n);
    srv->openapi_v2 = zk_kube_openapi_v2(ks, n, ZK_K8S_VERSION);
    free(ks);
    zk_buf_free(&srv->openapi_v2_pb);
    zk_buf_init(&srv->openapi_v2_pb, 64u << 20);
    zk_err err = {0};
    if (zk_kube_openapi_pb_encode(srv->openapi_v2, &srv->openapi_v2_pb, &err) < 0)
        zk_error("openapi v2 protobuf: %s", err.msg);
    srv->openapi_gen = zk_kinds_generation();
}

static bool zk__accepts(zk_call *c, const char *type)
{
    size_t len = 0;
    const char *acc = zk_http_header(c->req, "accept", &len);
    return acc && memmem(acc, len, type, strlen(type)) != NULL;
}

static void zk__openapi_v2(zk_call *c)
{
    zk__openapi_refresh(c->srv);
    if (zk__accepts(c, "application/com.github.proto-openapi.spec.v2") && c->srv->openapi_v2_pb.len) {
        zk_http_respond(c->req, 200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                        c->srv->openapi_v2_pb.data, c->srv->openapi_v2_pb.len);
        return;
    }
    zk_apis_respond_json(c->req, 200, c->srv->openapi_v2);
}

/* OpenAPI v3 documents are built once per set of kinds and kept. */
static zk_map *zk__v3_cache;
static unsigned zk__v3_gen;

static void zk__openapi_v3(zk_call *c, const char *rest)
{
    if (!zk__v3_cache || zk__v3_gen != zk_kinds_generation()) {
        if (zk__v3_cache) {
            size_t pos = 0;
            void *v;
            while (zk_map_next(zk__v3_cache, &pos, NULL, &v))
                json_decref(v);
            zk_map_free(zk__v3_cache);
        }
        zk__v3_cache = zk_map_new();
        zk__v3_gen = zk_kinds_generation();
    }
    json_t *doc = zk_map_get(zk__v3_cache, rest);
    if (!doc) {
        size_t n;
        zk_openapi_kind *ks = zk__openapi_kinds(&n);
        if (!*rest) {
            doc = zk_kube_openapi_v3_index(ks, n);
        } else if (!strncmp(rest, "/api/", 5)) {
            doc = zk_kube_openapi_v3_group_version(ks, n, "", rest + 5);
        } else if (!strncmp(rest, "/apis/", 6)) {
            char group[256];
            const char *slash = strchr(rest + 6, '/');
            if (slash && (size_t)(slash - rest - 6) < sizeof(group)) {
                snprintf(group, sizeof(group), "%.*s", (int)(slash - rest - 6), rest + 6);
                doc = zk_kube_openapi_v3_group_version(ks, n, group, slash + 1);
            }
        }
        free(ks);
        if (!doc) {
            zk_apis_status(c->req, 404, "NotFound",
                           "the server could not find the requested resource", NULL);
            return;
        }
        zk_map_put(zk__v3_cache, rest, doc);
    }
    zk_apis_respond_json(c->req, 200, doc);
}

/* Prometheus text format: what an operator watches on a server. */
static void zk__metrics(zk_call *c)
{
    zk_apiserver *srv = c->srv;
    struct zk_store_stats st;
    zk_store_stats(srv->store, &st);
    size_t objects = 0, pos = 0;
    void *v;
    while (zk_map_next(srv->storages, &pos, NULL, &v))
        objects += zk_map_count(((zk_storage *)v)->entries);
    zk_autobuf zk_buf b = ZK_BUF_INIT(1 << 20);
    zk_buf_printf(&b,
                  "# HELP zke_store_commits_total Group commits made durable.\n"
                  "# TYPE zke_store_commits_total counter\n"
                  "zke_store_commits_total %llu\n"
                  "# HELP zke_store_ops_total Writes made durable.\n"
                  "# TYPE zke_store_ops_total counter\n"
                  "zke_store_ops_total %llu\n"
                  "# HELP zke_store_failed_commits_total Group commits that failed.\n"
                  "# TYPE zke_store_failed_commits_total counter\n"
                  "zke_store_failed_commits_total %llu\n"
                  "# HELP zke_store_max_batch_ops Largest group commit, in writes.\n"
                  "# TYPE zke_store_max_batch_ops gauge\n"
                  "zke_store_max_batch_ops %llu\n"
                  "# HELP zke_store_last_commit_seconds Duration of the last commit (write and fsync).\n"
                  "# TYPE zke_store_last_commit_seconds gauge\n"
                  "zke_store_last_commit_seconds %.6f\n"
                  "# HELP zke_store_max_commit_seconds Longest commit so far.\n"
                  "# TYPE zke_store_max_commit_seconds gauge\n"
                  "zke_store_max_commit_seconds %.6f\n"
                  "# HELP zke_store_queued_ops Writes waiting for a commit.\n"
                  "# TYPE zke_store_queued_ops gauge\n"
                  "zke_store_queued_ops %zu\n"
                  "# HELP zke_store_revision The latest committed revision.\n"
                  "# TYPE zke_store_revision gauge\n"
                  "zke_store_revision %lld\n"
                  "# HELP zke_objects Objects held (including writes not yet durable).\n"
                  "# TYPE zke_objects gauge\n"
                  "zke_objects %zu\n"
                  "# HELP zke_watchers Open watches.\n"
                  "# TYPE zke_watchers gauge\n"
                  "zke_watchers %zu\n"
                  "# HELP zke_watch_history_events Events kept for watch resume.\n"
                  "# TYPE zke_watch_history_events gauge\n"
                  "zke_watch_history_events %zu\n",
                  (unsigned long long)st.commits, (unsigned long long)st.ops,
                  (unsigned long long)st.failed, (unsigned long long)st.max_batch_ops,
                  st.last_fsync_ms / 1000.0, st.max_fsync_ms / 1000.0, st.queued_ops,
                  (long long)srv->committed_rev, objects, srv->nwatchers, srv->hist_len);
    zk_hist_print(&b, "zke_store_commit_seconds",
                  "Duration of each group commit (statements, WAL write and fsync).",
                  &st.commit_hist);
    zk_hist_print(&b, "zke_write_seconds",
                  "Acknowledged creates, updates and patches: from the start of their handling "
                  "to their answer.", &srv->write_hist);
    zk_hist_print(&b, "zke_write_commit_wait_seconds",
                  "Writes: from submission to the store until durable (queue and commit).",
                  &srv->commit_wait_hist);
    zk_hist_print(&b, "zke_write_drain_lag_seconds",
                  "Writes: from durable until the server's loop takes them up.",
                  &srv->drain_hist);
    zk_http_respond(c->req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
}

bool zk_apis_serve_nonresource(zk_call *c)
{
    const char *p = c->ri.path;
    h2o_req_t *req = c->req;
    if (!strcmp(p, "/zke/v1/tunnel") && !strcmp(c->ri.verb, "get"))
        return zk_apis_serve_tunnel(c);
    if (!strncmp(p, "/zke/v1/", 8) && zk_apis_serve_node_join(c))
        return true;
    if (strcmp(c->ri.verb, "get") && strcmp(c->ri.verb, "head"))
        return false;
    if (!strcmp(p, "/healthz") || !strcmp(p, "/livez") || !strcmp(p, "/readyz") ||
        !strncmp(p, "/healthz/", 9) || !strncmp(p, "/livez/", 7) || !strncmp(p, "/readyz/", 8)) {
        zk_apis_respond_text(req, 200, "ok", 2);
        return true;
    }
    if (!strcmp(p, "/version")) {
        json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", ZK_K8S_MAJOR,
                              "minor", ZK_K8S_MINOR, "gitVersion", ZK_K8S_VERSION "+zke" ZK_VERSION,
                              "gitCommit", "", "gitTreeState", "clean", "buildDate",
                              __DATE__ " " __TIME__, "goVersion", "none (C: zke)", "compiler",
                              "gcc", "platform", "linux/amd64");
        zk_apis_respond_json(req, 200, v);
        json_decref(v);
        return true;
    }
    if (!strcmp(p, "/api")) {
        json_t *v = json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions", "versions", "v1",
                              "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
                              "serverAddress", "127.0.0.1");
        zk_apis_respond_json(req, 200, v);
        json_decref(v);
        return true;
    }
    if (!strcmp(p, "/apis")) {
        json_t *v = zk__group_list();
        zk_apis_respond_json(req, 200, v);
        json_decref(v);
        return true;
    }
    if (!strcmp(p, "/api/v1")) {
        json_t *v = zk__resource_list("", "v1");
        zk_apis_respond_json(req, 200, v);
        json_decref(v);
        return true;
    }
    if (!strncmp(p, "/apis/", 6)) {
        char group[256], version[64];
        const char *g = p + 6;
        const char *slash = strchr(g, '/');
        if (!slash) {
            if (strlen(g) >= sizeof(group) || !zk__preferred_version(g))
                return false;
            json_t *v = zk__api_group(g);
            json_object_set_new(v, "kind", json_string("APIGroup"));
            json_object_set_new(v, "apiVersion", json_string("v1"));
            zk_apis_respond_json(req, 200, v);
            json_decref(v);
            return true;
        }
        if ((size_t)(slash - g) >= sizeof(group) || strlen(slash + 1) >= sizeof(version) ||
            strchr(slash + 1, '/'))
            return false;
        snprintf(group, sizeof(group), "%.*s", (int)(slash - g), g);
        snprintf(version, sizeof(version), "%s", slash + 1);
        json_t *v = zk__resource_list(group, version);
        if (!v)
            return false;
        zk_apis_respond_json(req, 200, v);
        json_decref(v);
        return true;
    }
    if (!strcmp(p, "/metrics")) {
        zk__metrics(c);
        return true;
    }
    if (!strcmp(p, "/openapi/v2") || !strcmp(p, "/swagger.json")) {
        zk__openapi_v2(c);
        return true;
    }
    if (!strncmp(p, "/openapi/v3", 11)) {
        zk__openapi_v3(c, p + 11);
        return true;
    }
    return false;
}
