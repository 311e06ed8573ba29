/* zke agent: pod workers. Each pod bound to this node has a record (by
 * uid) whose sync runs on the agent's loop: it looks at what the API asks
 * and what runs, and takes one step — fetch what the pod references, make
 * its sandbox, write its volumes, start or restart a container, stop the
 * pod — handing blocking work to the threadpool, one job per pod at a
 * time. Every step ends by queueing the pod again, so a sync always sees
 * the latest state. The status it reports is built from the records, and
 * sent only when it changed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/gpu.h"
#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "kube/quantity.h"

/* A postStart hook runs at most this long (the kubelet sets no limit; a
 * hook that never ends would keep its container out of Running forever). */
#define POSTSTART_MAX_S 600
#define BACKOFF_START_S 10
#define BACKOFF_MAX_S 300
#define BACKOFF_RESET_S 600
#define REFS_RETRY_MS 5000

static void sync_pod(zk_apod *p);
static void post_status(zk_apod *p);

/* ---- records ---- */

static zk_apod *apod_get(zk_agent *a, const char *uid, const char *ns, const char *name)
{
    zk_apod *p = zk_map_get(a->apods, uid);
    if (p)
        return p;
    p = zk_xcalloc(1, sizeof(*p));
    p->a = a;
    snprintf(p->uid, sizeof(p->uid), "%s", uid);
    snprintf(p->ns, sizeof(p->ns), "%s", ns ? ns : "");
    snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
    zk_map_put(a->apods, p->uid, p);
    return p;
}

static void apod_release(zk_apod *p)
{
    json_decref(p->pod);
    json_decref(p->refs);
    json_decref(p->refs_next);
    free(p->ctrs);
    free(p);
}

/* The record leaves the agent; its memory stays until no request that
 * carries it is in flight. */
static void apod_free(zk_apod *p)
{
    zk_agent *a = p->a;
    for (size_t i = 0; i < a->nqueue; i++)
        if (a->queue[i] == p)
            a->queue[i] = NULL;
    zk_map_del(a->apods, p->uid);
    if (p->calls > 0)
        p->dead = true;
    else
        apod_release(p);
}

void zk_agent_pod_call_begin(zk_apod *p)
{
    p->calls++;
}

/* An answer came: false when the record is gone (and now freed). */
bool zk_agent_pod_call_end(zk_apod *p)
{
    p->calls--;
    if (!p->dead)
        return true;
    if (p->calls == 0)
        apod_release(p);
    return false;
}

static void pod_dir(zk_apod *p, char *buf, size_t n)
{
    zk_agent_pod_dir(p->a, p->uid, buf, n);
}

static void log_dir(zk_apod *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s_%s_%s", p->a->logs_dir, p->ns, p->name, p->uid);
}

/* The runs of each container, from its bundles c/<name>-<attempt>. */
static void scan_runs(zk_apod *p)
{
    char dir[4096];
    pod_dir(p, dir, sizeof(dir));
    zk_autofree char *cdir = zk_xasprintf("%s/c", dir);
    DIR *d = opendir(cdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *dash = strrchr(e->d_name, '-');
        if (e->d_name[0] == '.' || !dash)
            continue;
        int attempt = atoi(dash + 1);
        for (size_t i = 0; i < p->nctrs; i++) {
            zk_actr *c = &p->ctrs[i];
            size_t nl = strlen(c->name);
            if ((size_t)(dash - e->d_name) != nl || strncmp(e->d_name, c->name, nl))
                continue;
            zk_ctr_run r = {.attempt = attempt};
            zk_autofree char *bundle = zk_xasprintf("%s/%s", cdir, e->d_name);
            zk_agent_rt_read_run(bundle, &r);
            zk_agent_ctr_id(p->uid, c->name, attempt, r.id, sizeof(r.id));
            if (c->cur.state == ZK_CTR_NONE || attempt > c->cur.attempt) {
                if (c->cur.state != ZK_CTR_NONE)
                    c->last = c->cur;
                c->cur = r;
            } else if (c->last.state == ZK_CTR_NONE || attempt > c->last.attempt) {
                c->last = r;
            }
            c->restarts = c->cur.attempt;
        }
    }
    closedir(d);
}

static void build_ctrs(zk_apod *p)
{
    const json_t *spec = json_object_get(p->pod, "spec");
    const json_t *lists[2] = {json_object_get(spec, "initContainers"),
                              json_object_get(spec, "containers")};
    size_t n = json_array_size(lists[0]) + json_array_size(lists[1]);
    p->ctrs = zk_xcalloc(n ? n : 1, sizeof(*p->ctrs));
    p->nctrs = 0;
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(lists[l], i, c) {
            zk_actr *x = &p->ctrs[p->nctrs++];
            snprintf(x->name, sizeof(x->name), "%s", zk_json_str(c, "name") ?: "");
            snprintf(x->image, sizeof(x->image), "%s", zk_json_str(c, "image") ?: "");
            x->init = l == 0;
            snprintf(x->wait_reason, sizeof(x->wait_reason), "%s",
                     l == 0 ? "PodInitializing" : "ContainerCreating");
        }
    }
    scan_runs(p);
}

const json_t *zk_agent_ctr_spec(zk_apod *p, const zk_actr *c)
{
    const json_t *list = zk_json_path(p->pod, "spec", c->init ? "initContainers" : "containers",
                                      NULL);
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *n = zk_json_str(x, "name");
        if (n && !strcmp(n, c->name))
            return x;
    }
    return NULL;
}

zk_actr *zk_agent_find_ctr(zk_agent *a, const json_t *req, zk_apod **pod)
{
    const char *uid = zk_json_str(req, "uid"), *ctr = zk_json_str(req, "container");
    zk_apod *p = uid ? zk_map_get(a->apods, uid) : NULL;
    *pod = p;
    for (size_t i = 0; p && ctr && i < p->nctrs; i++)
        if (!strcmp(p->ctrs[i].name, ctr))
            return &p->ctrs[i];
    return NULL;
}

/* ---- the queue ---- */

static void drain(uv_timer_t *t)
{
    zk_agent *a = t->data;
    size_t n = a->nqueue;
    zk_apod **batch = zk_xmalloc((n ? n : 1) * sizeof(*batch));
    memcpy(batch, a->queue, n * sizeof(*batch));
    a->nqueue = 0;
    for (size_t i = 0; i < n; i++) {
        if (batch[i])
            batch[i]->queued = false;
    }
    for (size_t i = 0; i < n; i++) {
        zk_apod *p = batch[i];
        if (!p)
            continue;
        /* a sync may free a record that is later in the batch */
        for (size_t j = i + 1; j < n; j++)
            if (batch[j] == p)
                batch[j] = NULL;
        if (p->busy)
            p->dirty = true;
        else
            sync_pod(p);
        for (size_t j = i + 1; j < n; j++)
            if (batch[j] && !zk_map_get(a->apods, batch[j]->uid))
                batch[j] = NULL;
    }
    free(batch);
}

void zk_agent_pod_queue(zk_apod *p)
{
    zk_agent *a = p->a;
    if (p->queued)
        return;
    p->queued = true;
    if (a->nqueue == a->capqueue) {
        a->capqueue = a->capqueue ? a->capqueue * 2 : 64;
        a->queue = zk_xrealloc(a->queue, a->capqueue * sizeof(*a->queue));
    }
    a->queue[a->nqueue++] = p;
    uv_timer_start(&a->kick, drain, 0, 0);
}

/* A job on the threadpool is done: the pod may go on. */
static void job_done(zk_apod *p)
{
    p->busy = false;
    p->dirty = false;
    zk_agent_pod_queue(p);
}

/* ---- references: ConfigMaps, Secrets, tokens ---- */

typedef struct ref_req {
    zk_apod *p;
    char key[400];
    bool refresh;          /* into refs_next */
} ref_req;

static void refresh_done(zk_apod *p);

static void ref_done(void *ctx, const zk_kube_result *r)
{
    ref_req *q = ctx;
    zk_apod *p = q->p;
    if (!zk_agent_pod_call_end(p)) {
        free(q);
        return;
    }
    json_t *into = q->refresh ? p->refs_next : p->refs;
    if (!strcmp(q->key, "token")) {
        const char *tok = zk_json_path_str(r->body, "status", "token", NULL);
        if (r->status == 201 && tok)
            json_object_set_new(into, "token", json_string(tok));
        else
            zk_warn("agent: token for pod %s/%s: %d %s", p->ns, p->name, r->status, r->error);
    } else if (r->status == 200) {
        /* what volumes, env and pull secrets read; not the metadata */
        json_t *slim = json_object();
        static const char *const keep[] = {"data", "binaryData", "type"};
        for (size_t i = 0; i < ZK_ARRAY_LEN(keep); i++) {
            json_t *v = json_object_get(r->body, keep[i]);
            if (v)
                json_object_set(slim, keep[i], v);
        }
        json_object_set_new(into, q->key, slim);
    } else if (r->status == 404) {
        json_object_set_new(into, q->key, json_null());
    } else if (q->refresh) {
        /* a failed read changes nothing: the old answer stays */
        json_t *old = json_object_get(p->refs, q->key);
        if (old)
            json_object_set(into, q->key, old);
    } else {
        zk_warn("agent: %s for pod %s/%s: %d %s", q->key, p->ns, p->name, r->status, r->error);
    }
    bool refresh = q->refresh;
    free(q);
    if (refresh) {
        if (--p->refs_wait == 0)
            refresh_done(p);
        return;
    }
    if (--p->refs_wait == 0) {
        p->refs_pending = false;
        p->refs_ready = true;
        job_done(p);
    }
}

static void want_ref(zk_apod *p, json_t *want, const char *kind, const char *name, bool optional)
{
    if (!name || !*name)
        return;
    char key[400];
    snprintf(key, sizeof(key), "%s/%s", kind, name);
    json_t *cur = json_object_get(want, key);
    /* required wins over optional */
    if (!cur || (json_is_true(cur) && !optional))
        json_object_set_new(want, key, json_boolean(optional));
}

/* A ConfigMap reference and a Secret reference (either may be NULL); the
 * Secret's name is in secret_field. */
static void want_pair(zk_apod *p, json_t *want, const json_t *cm, const json_t *sec,
                      const char *secret_field)
{
    if (cm)
        want_ref(p, want, "configmap", zk_json_str(cm, "name"), zk_json_bool(cm, "optional", false));
    if (sec)
        want_ref(p, want, "secret", zk_json_str(sec, secret_field),
                 zk_json_bool(sec, "optional", false));
}

/* Every ConfigMap and Secret the pod names: key -> optional. */
static json_t *wanted_refs(zk_apod *p)
{
    json_t *want = json_object();
    const json_t *spec = json_object_get(p->pod, "spec");
    size_t i, j;
    json_t *v, *s;
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        want_pair(p, want, json_object_get(v, "configMap"), json_object_get(v, "secret"),
                  "secretName");
        json_array_foreach(zk_json_path(v, "projected", "sources", NULL), j, s)
            want_pair(p, want, json_object_get(s, "configMap"), json_object_get(s, "secret"),
                      "name");
    }
    const json_t *lists[2] = {json_object_get(spec, "initContainers"),
                              json_object_get(spec, "containers")};
    for (int l = 0; l < 2; l++) {
        json_t *c;
        json_array_foreach(lists[l], i, c) {
            json_array_foreach(json_object_get(c, "env"), j, v) {
                json_t *vf = json_object_get(v, "valueFrom");
                want_pair(p, want, json_object_get(vf, "configMapKeyRef"),
                          json_object_get(vf, "secretKeyRef"), "name");
            }
            json_array_foreach(json_object_get(c, "envFrom"), j, v)
                want_pair(p, want, json_object_get(v, "configMapRef"),
                          json_object_get(v, "secretRef"), "name");
        }
    }
    json_array_foreach(json_object_get(spec, "imagePullSecrets"), i, v)
        want_ref(p, want, "secret", zk_json_str(v, "name"), true);
    return want;
}

static bool wants_token(zk_apod *p, json_t **audiences, json_int_t *expiry)
{
    size_t i, j;
    json_t *v, *s;
    json_array_foreach(zk_json_path(p->pod, "spec", "volumes", NULL), i, v) {
        json_array_foreach(zk_json_path(v, "projected", "sources", NULL), j, s) {
            json_t *t = json_object_get(s, "serviceAccountToken");
            if (t) {
                const char *aud = zk_json_str(t, "audience");
                *audiences = aud ? json_pack("[s]", aud) : json_array();
                *expiry = zk_json_int(t, "expirationSeconds", 3607);
                return true;
            }
        }
    }
    return false;
}

/* Ask for what the pod references: into refs, or with refresh into
 * refs_next (then a token only when 80 % of its life is over, as the
 * kubelet renews them). */
static void ask_refs(zk_apod *p, bool refresh)
{
    zk_agent *a = p->a;
    json_t *want = wanted_refs(p);
    json_t **into = refresh ? &p->refs_next : &p->refs;
    json_decref(*into);
    *into = json_object();
    p->refs_wait = 1;   /* held until every request is out */
    p->refs_pending = !refresh;
    p->refs_at = zk_mono_ms();
    p->busy = true;
    const char *key;
    json_t *v;
    json_object_foreach(want, key, v) {
        ref_req *q = zk_xcalloc(1, sizeof(*q));
        q->p = p;
        q->refresh = refresh;
        snprintf(q->key, sizeof(q->key), "%s", key);
        const char *slash = strchr(key, '/');
        char path[700];
        snprintf(path, sizeof(path), "/api/v1/namespaces/%s/%s/%s", p->ns,
                 !strncmp(key, "configmap", 9) ? "configmaps" : "secrets", slash + 1);
        p->refs_wait++;
        zk_agent_pod_call_begin(p);
        zk_kube_request(a->client, "GET", path, NULL, NULL, ref_done, q);
    }
    json_t *aud = NULL;
    json_int_t exp = 0;
    bool token = wants_token(p, &aud, &exp);
    if (token && refresh && json_object_get(p->refs, "token") &&
        p->refs_at - p->token_at < (uint64_t)p->token_ttl_s * 800) {
        json_object_set(*into, "token", json_object_get(p->refs, "token"));
        json_decref(aud);
        token = false;
    }
    if (token) {
        p->token_at = zk_mono_ms();
        p->token_ttl_s = exp < 600 ? 600 : exp;
        const char *sa = zk_json_path_str(p->pod, "spec", "serviceAccountName", NULL);
        json_t *tr = json_pack("{s:s,s:s,s:{s:o,s:I,s:{s:s,s:s,s:s,s:s}}}", "apiVersion",
                               "authentication.k8s.io/v1", "kind", "TokenRequest", "spec",
                               "audiences", aud, "expirationSeconds", exp < 600 ? 600 : exp,
                               "boundObjectRef", "apiVersion", "v1", "kind", "Pod", "name",
                               p->name, "uid", p->uid);
        char path[700];
        snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts/%s/token", p->ns,
                 sa && *sa ? sa : "default");
        ref_req *q = zk_xcalloc(1, sizeof(*q));
        q->p = p;
        q->refresh = refresh;
        snprintf(q->key, sizeof(q->key), "token");
        p->refs_wait++;
        zk_agent_pod_call_begin(p);
        zk_kube_request(a->client, "POST", path, tr, NULL, ref_done, q);
        json_decref(tr);
    }
    json_decref(want);
    if (--p->refs_wait == 0) {
        if (refresh) {
            refresh_done(p);
            return;
        }
        p->refs_pending = false;
        p->refs_ready = true;
        job_done(p);
    }
}

static void fetch_refs(zk_apod *p)
{
    ask_refs(p, false);
}

/* A message when a required reference is missing, else NULL. */
static const char *missing_ref(zk_apod *p, char *buf, size_t n)
{
    json_t *want = wanted_refs(p);
    const char *key;
    json_t *v;
    const char *out = NULL;
    json_object_foreach(want, key, v) {
        if (json_is_true(v))
            continue;
        json_t *got = json_object_get(p->refs, key);
        if (!json_is_object(got)) {
            const char *slash = strchr(key, '/');
            snprintf(buf, n, "%s \"%s\" not %s", !strncmp(key, "configmap", 9) ? "configmap"
                                                                               : "secret",
                     slash + 1, got ? "found" : "available");
            out = buf;
            break;
        }
    }
    json_decref(want);
    return out;
}

/* ---- the environment ---- */

static const char *ref_value(zk_apod *p, const char *kind, const json_t *sel, char *buf,
                             size_t n, bool *missing)
{
    char key[400];
    snprintf(key, sizeof(key), "%s/%s", kind, zk_json_str(sel, "name") ?: "");
    const json_t *obj = json_object_get(p->refs, key);
    const char *k = zk_json_str(sel, "key");
    const json_t *data = json_object_get(obj, "data");
    const char *v = k ? zk_json_str(data, k) : NULL;
    if (!v) {
        *missing = !zk_json_bool(sel, "optional", false);
        return NULL;
    }
    if (!strcmp(kind, "secret")) {
        int len = zk_base64_decode(v, strlen(v), (unsigned char *)buf, n - 1);
        if (len < 0)
            return NULL;
        buf[len] = '\0';
        return buf;
    }
    return v;
}

static bool env_name_ok(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static const char *resource_value(const json_t *ctr, const json_t *rf, char *buf, size_t n)
{
    const char *res = zk_json_str(rf, "resource");
    if (!res)
        return "";
    const char *dot = strchr(res, '.');
    if (!dot)
        return "";
    char which[16];
    snprintf(which, sizeof(which), "%.*s", (int)(dot - res), res);
    const json_t *q = zk_json_path(ctr, "resources", which, dot + 1, NULL);
    zk_kube_quantity qq;
    int64_t v = 0;
    bool cpu = !strcmp(dot + 1, "cpu");
    if (q && zk_kube_quantity_parse_json(q, &qq, NULL) == 0)
        (cpu ? zk_kube_quantity_milli(&qq, &v, NULL) : zk_kube_quantity_value(&qq, &v, NULL));
    /* no limit: the node's allocatable, as the kubelet does; divisor 1 */
    if (cpu)
        snprintf(buf, n, "%lld", (long long)((v + 999) / 1000));
    else
        snprintf(buf, n, "%lld", (long long)v);
    return buf;
}

/* The container with env resolved into plain name/value pairs, or NULL
 * with a message (CreateContainerConfigError). */
static json_t *resolve_ctr(zk_apod *p, const json_t *ctr, char *msg, size_t n)
{
    json_t *out = json_deep_copy(ctr);
    json_t *env = json_array();
    size_t i;
    json_t *v;
    static char buf[65536];
    json_array_foreach(json_object_get(ctr, "envFrom"), i, v) {
        json_t *cm = json_object_get(v, "configMapRef"), *sec = json_object_get(v, "secretRef");
        const char *prefix = zk_json_str(v, "prefix") ?: "";
        json_t *ref = cm ? cm : sec;
        char key[400];
        snprintf(key, sizeof(key), "%s/%s", cm ? "configmap" : "secret",
                 zk_json_str(ref, "name") ?: "");
        const json_t *obj = json_object_get(p->refs, key);
        const char *k;
        json_t *d;
        json_object_foreach(json_object_get(obj, "data"), k, d) {
            char name[512];
            snprintf(name, sizeof(name), "%s%s", prefix, k);
            if (!env_name_ok(name) || !json_is_string(d))
                continue;
            const char *val = json_string_value(d);
            if (sec) {
                int len = zk_base64_decode(val, strlen(val), (unsigned char *)buf,
                                           sizeof(buf) - 1);
                if (len < 0)
                    continue;
                buf[len] = '\0';
                val = buf;
            }
            json_array_append_new(env, json_pack("{s:s,s:s}", "name", name, "value", val));
        }
    }
    json_array_foreach(json_object_get(ctr, "env"), i, v) {
        const char *name = zk_json_str(v, "name");
        json_t *vf = json_object_get(v, "valueFrom");
        if (!name)
            continue;
        if (!vf) {
            json_array_append_new(env, json_pack("{s:s,s:s}", "name", name, "value",
                                                 zk_json_str(v, "value") ?: ""));
            continue;
        }
        const char *val = "";
        bool missing = false;
        json_t *sel;
        if ((sel = json_object_get(vf, "fieldRef"))) {
            const char *fp = zk_json_str(sel, "fieldPath") ?: "";
            const json_t *meta = json_object_get(p->pod, "metadata");
            if (!strcmp(fp, "status.podIP"))
                val = p->ip;
            else if (!strcmp(fp, "status.hostIP"))
                val = p->a->host.ip;
            else if (!strcmp(fp, "spec.nodeName"))
                val = p->a->o.node_name;
            else if (!strncmp(fp, "metadata.", 9) && json_is_string(json_object_get(meta, fp + 9)))
                val = json_string_value(json_object_get(meta, fp + 9));
            else if (!strcmp(fp, "spec.serviceAccountName"))
                val = zk_json_path_str(p->pod, "spec", "serviceAccountName", NULL) ?: "";
            else if (!strncmp(fp, "metadata.labels['", 17) || !strncmp(fp, "metadata.annotations['", 22)) {
                bool lab = fp[9] == 'l';
                const char *ks = fp + (lab ? 17 : 22);
                char k[300];
                snprintf(k, sizeof(k), "%.*s", (int)strcspn(ks, "'"), ks);
                val = zk_json_str(json_object_get(meta, lab ? "labels" : "annotations"), k) ?: "";
            }
        } else if ((sel = json_object_get(vf, "resourceFieldRef"))) {
            val = resource_value(ctr, sel, buf, sizeof(buf));
        } else if ((sel = json_object_get(vf, "configMapKeyRef")) ||
                   (sel = json_object_get(vf, "secretKeyRef"))) {
            bool cm = sel == json_object_get(vf, "configMapKeyRef");
            val = ref_value(p, cm ? "configmap" : "secret", sel, buf, sizeof(buf), &missing);
            if (missing) {
                snprintf(msg, n, "couldn't find key %s in %s %s/%s",
                         zk_json_str(sel, "key") ?: "", cm ? "ConfigMap" : "Secret", p->ns,
                         zk_json_str(sel, "name") ?: "");
                json_decref(env);
                json_decref(out);
                return NULL;
            }
        }
        if (!val)
            continue;   /* optional and missing */
        json_array_append_new(env, json_pack("{s:s,s:s}", "name", name, "value", val));
    }
    json_object_del(out, "envFrom");
    json_object_set_new(out, "env", env);
    return out;
}

/* ---- mounts ---- */

static json_t *bind_mount(const char *dest, const char *src, bool ro)
{
    return json_pack("{s:s,s:s,s:s,s:[s,s,s*]}", "destination", dest, "type", "bind", "source",
                     src, "options", "rbind", "rprivate", ro ? "ro" : NULL);
}

static json_t *ctr_mounts(zk_apod *p, const json_t *ctr, char *msg, size_t n)
{
    char dir[4096];
    pod_dir(p, dir, sizeof(dir));
    json_t *m = json_array();
    bool host_net = zk_json_bool(json_object_get(p->pod, "spec"), "hostNetwork", false);
    if (!host_net) {
        zk_autofree char *hosts = zk_xasprintf("%s/hosts", dir);
        zk_autofree char *hn = zk_xasprintf("%s/hostname", dir);
        json_array_append_new(m, bind_mount("/etc/hosts", hosts, false));
        json_array_append_new(m, bind_mount("/etc/hostname", hn, false));
    }
    zk_autofree char *rc = zk_xasprintf("%s/resolv.conf", dir);
    /* hostNetwork pods too: theirs is the host's unless dnsPolicy says
     * ClusterFirstWithHostNet or None (dnsconf.c) */
    json_array_append_new(m, bind_mount("/etc/resolv.conf", rc, false));
    size_t i;
    json_t *vm;
    json_array_foreach(json_object_get(ctr, "volumeMounts"), i, vm) {
        const char *name = zk_json_str(vm, "name"), *path = zk_json_str(vm, "mountPath");
        const char *sub = zk_json_str(vm, "subPath");
        if (!name || !path || path[0] != '/' || (sub && (sub[0] == '/' || strstr(sub, "..")))) {
            snprintf(msg, n, "volumeMounts[%zu]: a name, an absolute mountPath and a relative "
                             "subPath are required", i);
            json_decref(m);
            return NULL;
        }
        const json_t *vol = NULL;
        size_t j;
        json_t *v;
        json_array_foreach(zk_json_path(p->pod, "spec", "volumes", NULL), j, v) {
            const char *vn = zk_json_str(v, "name");
            if (vn && !strcmp(vn, name))
                vol = v;
        }
        if (!vol) {
            snprintf(msg, n, "volumeMounts[%zu]: no volume named \"%s\"", i, name);
            json_decref(m);
            return NULL;
        }
        const char *hp = zk_json_path_str(vol, "hostPath", "path", NULL);
        zk_autofree char *src = hp ? zk_xstrdup(hp) : zk_xasprintf("%s/volumes/%s", dir, name);
        zk_autofree char *full = sub && *sub ? zk_xasprintf("%s/%s", src, sub) : zk_xstrdup(src);
        if (sub && *sub)
            mkdir(full, 0755);
        bool ro = zk_json_bool(vm, "readOnly", false) || json_object_get(vol, "secret") ||
                  json_object_get(vol, "configMap") || json_object_get(vol, "projected") ||
                  json_object_get(vol, "downwardAPI");
        json_array_append_new(m, bind_mount(path, full, ro));
    }
    return m;
}

/* ---- jobs ---- */

typedef struct pod_job {
    uv_work_t w;
    zk_apod *p;
    zk_agent *a;
    json_t *pod;
    json_t *refs;
    char uid[64];
    char dir[4096];
    char ip[64];
    int rc;
    zk_err err;
} pod_job;

static pod_job *job_new(zk_apod *p)
{
    pod_job *j = zk_xcalloc(1, sizeof(*j));
    j->p = p;
    j->a = p->a;
    j->w.data = j;
    snprintf(j->uid, sizeof(j->uid), "%s", p->uid);
    pod_dir(p, j->dir, sizeof(j->dir));
    if (p->pod)
        j->pod = json_deep_copy(p->pod);
    if (p->refs)
        j->refs = json_deep_copy(p->refs);
    p->busy = true;
    return j;
}

static void job_free(pod_job *j)
{
    json_decref(j->pod);
    json_decref(j->refs);
    free(j);
}

static void sandbox_work(uv_work_t *w)
{
    pod_job *j = w->data;
    j->rc = zk_agent_rt_sandbox(j->a, j->uid, j->dir, j->pod, j->ip, sizeof(j->ip), &j->err);
    if (j->rc == 0)
        j->rc = zk_agent_rt_volumes(j->a, j->pod, j->refs, j->dir, &j->err);
}

static void sandbox_done(uv_work_t *w, int status)
{
    pod_job *j = w->data;
    zk_apod *p = j->p;
    if (j->rc == 0) {
        p->sandbox = true;
        snprintf(p->ip, sizeof(p->ip), "%s", j->ip);
        p->sandbox_error[0] = '\0';
        zk_debug("agent: pod %s/%s: sandbox up, IP %s", p->ns, p->name, p->ip);
    } else {
        zk_str_concat(p->sandbox_error, sizeof(p->sandbox_error), j->err.msg, NULL);
        zk_warn("agent: pod %s/%s: sandbox: %s", p->ns, p->name, j->err.msg);
        p->next_sync_ms = zk_mono_ms() + 5000;
    }
    job_free(j);
    job_done(p);
}

/* ---- references read again: volumes follow ConfigMaps and Secrets ---- */

static void volumes_work(uv_work_t *w)
{
    pod_job *j = w->data;
    j->rc = zk_agent_rt_volumes(j->a, j->pod, j->refs, j->dir, &j->err);
}

static void volumes_done(uv_work_t *w, int status)
{
    pod_job *j = w->data;
    zk_apod *p = j->p;
    if (j->rc < 0)
        zk_warn("agent: pod %s/%s: volumes: %s", p->ns, p->name, j->err.msg);
    job_free(j);
    job_done(p);
}

/* Every answer of a refresh is in: volumes are written again when a source
 * changed (each file replaced whole, by rename). Env does not change: it
 * was set when the container started, as with the kubelet. */
static void refresh_done(zk_apod *p)
{
    json_t *next = p->refs_next;
    p->refs_next = NULL;
    if (!p->sandbox || json_equal(next, p->refs)) {
        json_decref(next);
        job_done(p);
        return;
    }
    json_decref(p->refs);
    p->refs = next;
    zk_info("agent: pod %s/%s: a ConfigMap, Secret or token it mounts changed: writing its "
            "volumes again", p->ns, p->name);
    pod_job *j = job_new(p);
    uv_queue_work(p->a->loop, &j->w, volumes_work, volumes_done);
}

/* Whether the pod mounts something that changes at its source. */
static bool mounts_refs(zk_apod *p)
{
    size_t i;
    json_t *v;
    json_array_foreach(zk_json_path(p->pod, "spec", "volumes", NULL), i, v)
        if (json_object_get(v, "configMap") || json_object_get(v, "secret") ||
            json_object_get(v, "projected"))
            return true;
    return false;
}

static void teardown_work(uv_work_t *w)
{
    pod_job *j = w->data;
    j->rc = zk_agent_rt_teardown(j->a, j->uid, j->dir, &j->err);
}

static void teardown_done(uv_work_t *w, int status)
{
    pod_job *j = w->data;
    zk_apod *p = j->p;
    if (j->rc < 0)
        zk_warn("agent: pod %s/%s: teardown: %s", p->ns, p->name, j->err.msg);
    p->torn_down = true;
    p->sandbox = false;
    job_free(j);
    job_done(p);
}

typedef struct start_job {
    uv_work_t w;
    zk_apod *p;
    size_t idx;
    zk_start_job j;
} start_job;

static void start_work(uv_work_t *w)
{
    start_job *s = w->data;
    zk_agent_rt_start(&s->j);
}

static int backoff_next(zk_actr *c)
{
    c->backoff_s = c->backoff_s ? c->backoff_s * 2 : BACKOFF_START_S;
    if (c->backoff_s > BACKOFF_MAX_S)
        c->backoff_s = BACKOFF_MAX_S;
    return c->backoff_s;
}

static void poststart_done(zk_apod *p, const char *name, int attempt, const char *error);

static void start_done(uv_work_t *w, int status)
{
    start_job *s = w->data;
    zk_apod *p = s->p;
    zk_actr *c = &p->ctrs[s->idx];
    zk_start_job *j = &s->j;
    if (j->image_id[0])
        snprintf(c->image_id, sizeof(c->image_id), "%s", j->image_id);
    c->respec = false;
    if (j->run.state != ZK_CTR_NONE) {
        /* a run happened (or failed to start): it counts */
        if (c->cur.state != ZK_CTR_NONE)
            c->last = c->cur;
        c->cur = j->run;
        c->restarts = j->attempt;
    }
    if (j->rc == 0) {
        p->a->m.starts_ok++;
        zk_agent_image_used(p->a, c->image_id);
        c->wait_reason[0] = c->wait_message[0] = '\0';
        zk_agent_probes_reset(c);
        zk_debug("agent: pod %s/%s: container %s started (run %d)", p->ns, p->name, c->name,
                 j->attempt);
        const json_t *post = zk_json_path(zk_agent_ctr_spec(p, c), "lifecycle", "postStart",
                                          NULL);
        c->poststart = post && c->cur.state == ZK_CTR_RUNNING;
        if (c->poststart)
            zk_agent_hook_run(p, c, "PostStart", post, POSTSTART_MAX_S, poststart_done);
    } else {
        bool pull = !strcmp(j->reason, "ErrImagePull") || !strcmp(j->reason, "ErrImageNeverPull") ||
                    !strcmp(j->reason, "InvalidImageName");
        p->a->m.starts_failed++;
        p->a->m.pull_failures += pull;
        snprintf(c->wait_reason, sizeof(c->wait_reason), "%s", j->reason);
        zk_str_concat(c->wait_message, sizeof(c->wait_message), j->message, NULL);
        zk_warn("agent: pod %s/%s: container %s: %s: %s", p->ns, p->name, c->name, j->reason,
                j->message);
        if (pull || j->run.state == ZK_CTR_NONE) {
            /* nothing ran: retry the same run after a back-off */
            c->backoff_until_ms = zk_mono_ms() + (uint64_t)backoff_next(c) * 1000;
        }
    }
    json_decref(j->pod);
    json_decref(j->container);
    json_decref(j->creds);
    json_decref(j->mounts);
    free(s);
    job_done(p);
}

/* Credentials of the pod's image pull secrets (.dockerconfigjson). */
static json_t *pull_creds(zk_apod *p)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(zk_json_path(p->pod, "spec", "imagePullSecrets", NULL), i, v) {
        char key[400];
        snprintf(key, sizeof(key), "secret/%s", zk_json_str(v, "name") ?: "");
        const json_t *sec = json_object_get(p->refs, key);
        const char *b64 = zk_json_path_str(sec, "data", ".dockerconfigjson", NULL);
        if (!b64)
            b64 = zk_json_path_str(sec, "data", ".dockercfg", NULL);
        if (!b64)
            continue;
        size_t cap = strlen(b64);
        zk_autofree char *txt = zk_xmalloc(cap + 1);
        int n = zk_base64_decode(b64, cap, (unsigned char *)txt, cap);
        if (n < 0)
            continue;
        json_t *doc = zk_json_read(txt, (size_t)n, false);
        json_t *auths = json_object_get(doc, "auths") ?: doc;
        const char *server;
        json_t *e;
        json_object_foreach(auths, server, e) {
            const char *u = zk_json_str(e, "username"), *pw = zk_json_str(e, "password");
            const char *auth = zk_json_str(e, "auth");
            char dec[1024];
            if ((!u || !pw) && auth) {
                int dn = zk_base64_decode(auth, strlen(auth), (unsigned char *)dec, sizeof(dec) - 1);
                if (dn > 0) {
                    dec[dn] = '\0';
                    char *colon = strchr(dec, ':');
                    if (colon) {
                        *colon = '\0';
                        u = dec;
                        pw = colon + 1;
                    }
                }
            }
            if (u && pw)
                json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "server", server,
                                                     "username", u, "password", pw));
        }
        json_decref(doc);
    }
    return out;
}

static void start_ctr(zk_apod *p, size_t idx)
{
    zk_actr *c = &p->ctrs[idx];
    const json_t *spec = zk_agent_ctr_spec(p, c);
    char msg[512] = "";
    json_t *ctr = spec ? resolve_ctr(p, spec, msg, sizeof(msg)) : NULL;
    json_t *mounts = ctr ? ctr_mounts(p, ctr, msg, sizeof(msg)) : NULL;
    if (!ctr || !mounts) {
        snprintf(c->wait_reason, sizeof(c->wait_reason), "CreateContainerConfigError");
        snprintf(c->wait_message, sizeof(c->wait_message), "%s", msg[0] ? msg : "no spec");
        c->backoff_until_ms = zk_mono_ms() + REFS_RETRY_MS;
        p->refs_ready = false;   /* fetch again: it may be there now */
        json_decref(ctr);
        json_decref(mounts);
        post_status(p);
        return;
    }
    uint64_t gpus = 0;
    if (zk_agent_gpu_assign(p, c, ctr, &gpus, msg, sizeof(msg)) < 0) {
        /* not enough free GPUs (the scheduler counts them: unexpected) */
        snprintf(c->wait_reason, sizeof(c->wait_reason), "UnexpectedAdmissionError");
        snprintf(c->wait_message, sizeof(c->wait_message), "%s", msg);
        c->backoff_until_ms = zk_mono_ms() + REFS_RETRY_MS;
        json_decref(ctr);
        json_decref(mounts);
        post_status(p);
        return;
    }
    start_job *s = zk_xcalloc(1, sizeof(*s));
    s->w.data = s;
    s->p = p;
    s->idx = idx;
    zk_start_job *j = &s->j;
    j->a = p->a;
    j->pod = json_deep_copy(p->pod);
    j->container = ctr;
    j->mounts = mounts;
    j->gpus = gpus;
    j->creds = pull_creds(p);
    snprintf(j->uid, sizeof(j->uid), "%s", p->uid);
    pod_dir(p, j->pod_dir, sizeof(j->pod_dir));
    bool host_net = zk_json_bool(json_object_get(p->pod, "spec"), "hostNetwork", false);
    if (!host_net)
        zk_str_concat(j->netns, sizeof(j->netns), j->pod_dir, "/netns", NULL);
    j->attempt = c->cur.state == ZK_CTR_NONE ? 0 : c->cur.attempt + 1;
    /* a start that failed before anything ran keeps its number */
    if (c->cur.state == ZK_CTR_NONE && c->restarts > 0)
        j->attempt = c->restarts;
    const char *pol = zk_json_str(spec, "imagePullPolicy");
    /* a copy: the pod's JSON may be replaced while the job runs */
    snprintf(j->pull_policy, sizeof(j->pull_policy), "%s",
             pol && (!strcmp(pol, "Always") || !strcmp(pol, "Never")) ? pol : "IfNotPresent");
    char ld[4096];
    log_dir(p, ld, sizeof(ld));
    zk_autofree char *cld = zk_xasprintf("%s/%s", ld, c->name);
    mkdir(ld, 0755);
    mkdir(cld, 0755);
    snprintf(j->log_path, sizeof(j->log_path), "%s/%d.log", cld, j->attempt);
    snprintf(c->wait_reason, sizeof(c->wait_reason), "%s",
             c->cur.state == ZK_CTR_NONE && !c->restarts
                 ? (c->init ? "PodInitializing" : "ContainerCreating")
                 : c->wait_reason);
    p->busy = true;
    uv_queue_work(p->a->loop, &s->w, start_work, start_done);
}

/* ---- stopping containers ---- */

static void proc_closed(uv_handle_t *h) { free(h); }

static void proc_exit(uv_process_t *pr, int64_t status, int sig)
{
    uv_close((uv_handle_t *)pr, proc_closed);
}

/* Run the runtime (kill, exec) without waiting for it. */
static void runtime_async(zk_agent *a, const char *const *args)
{
    const char *argv[16];
    int n = 0;
    argv[n++] = a->o.runtime;
    argv[n++] = "--root";
    argv[n++] = a->runc_root;
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    uv_process_t *pr = zk_xcalloc(1, sizeof(*pr));
    uv_stdio_container_t io[3] = {{.flags = UV_IGNORE}, {.flags = UV_IGNORE}, {.flags = UV_IGNORE}};
    uv_process_options_t o = {.file = a->o.runtime, .args = (char **)argv, .exit_cb = proc_exit,
                              .stdio_count = 3, .stdio = io};
    int rc = uv_spawn(a->loop, pr, &o);
    if (rc < 0) {
        zk_warn("agent: %s %s: %s", a->o.runtime, args[0], uv_strerror(rc));
        free(pr);
    }
}

static void signal_ctr(zk_apod *p, zk_actr *c, const char *sig)
{
    const char *args[] = {"kill", c->cur.id, sig, NULL};
    runtime_async(p->a, args);
}

static zk_actr *ctr_named(zk_apod *p, const char *name)
{
    for (size_t i = 0; i < p->nctrs; i++)
        if (!strcmp(p->ctrs[i].name, name))
            return &p->ctrs[i];
    return NULL;
}

/* preStop is over (done, failed or out of the grace period): TERM now. As
 * the kubelet does, a hook that used up the grace period leaves the
 * container 2 s more before the KILL. */
static void prestop_done(zk_apod *p, const char *name, int attempt, const char *error)
{
    zk_actr *c = ctr_named(p, name);
    if (!c || c->cur.attempt != attempt || !c->killing || c->cur.state != ZK_CTR_RUNNING)
        return;
    if (error)
        zk_warn("agent: pod %s/%s: container %s: PreStop hook failed: %s", p->ns, p->name,
                name, error);
    uint64_t now = zk_mono_ms();
    if (c->kill_deadline_ms < now + 2000)
        c->kill_deadline_ms = now + 2000;
    signal_ctr(p, c, "TERM");
}

static void stop_ctr(zk_apod *p, zk_actr *c, int64_t grace_s)
{
    if (c->killing)
        return;
    c->killing = true;
    c->kill_deadline_ms = zk_mono_ms() + (uint64_t)(grace_s > 0 ? grace_s : 0) * 1000;
    const json_t *pre = zk_json_path(zk_agent_ctr_spec(p, c), "lifecycle", "preStop", NULL);
    if (pre && grace_s > 0 && c->cur.state == ZK_CTR_RUNNING) {
        /* the hook first, within the grace period; its end brings the TERM */
        zk_agent_hook_run(p, c, "PreStop", pre, (int)grace_s, prestop_done);
        return;
    }
    signal_ctr(p, c, grace_s > 0 ? "TERM" : "KILL");
}

/* postStart is over: the container counts as Running from now, or, if the
 * hook failed, it is killed and restarted as its policy says (the
 * kubelet's FailedPostStartHook). */
static void poststart_done(zk_apod *p, const char *name, int attempt, const char *error)
{
    zk_actr *c = ctr_named(p, name);
    if (!c || c->cur.attempt != attempt)
        return;
    c->poststart = false;
    if (error && c->cur.state == ZK_CTR_RUNNING) {
        char why[400];
        snprintf(why, sizeof(why), "Container %.63s: PostStartHookError: %.250s", name, error);
        snprintf(c->wait_message, sizeof(c->wait_message), "PostStartHookError: %.250s",
                 error);
        zk_agent_ctr_restart(p, c, why);
    }
    zk_agent_pod_queue(p);
}

/* A failed liveness or startup probe: stop the run; its exit brings the
 * restart the pod's policy allows. */
void zk_agent_ctr_restart(zk_apod *p, zk_actr *c, const char *why)
{
    zk_info("agent: pod %s/%s: %s", p->ns, p->name, why);
    int64_t grace = zk_json_int(json_object_get(p->pod, "spec"), "terminationGracePeriodSeconds",
                                30);
    c->ready = false;
    stop_ctr(p, c, grace);
}

/* ---- status ---- */

static json_t *state_json(const zk_ctr_run *r, const zk_actr *c, bool waiting_ok)
{
    char t1[40], t2[40];
    if (r->state == ZK_CTR_RUNNING || r->state == ZK_CTR_STARTING) {
        zk_time_rfc3339(r->started_at ? r->started_at : zk_wall_s(), t1, sizeof(t1));
        return json_pack("{s:{s:s}}", "running", "startedAt", t1);
    }
    if (r->state == ZK_CTR_EXITED && !(waiting_ok && c && c->wait_reason[0])) {
        zk_time_rfc3339(r->started_at, t1, sizeof(t1));
        zk_time_rfc3339(r->finished_at, t2, sizeof(t2));
        char cid[200];
        snprintf(cid, sizeof(cid), "zke://%s", r->id);
        json_t *t = json_pack("{s:i,s:s,s:s,s:s,s:s}", "exitCode", r->exit_code, "reason",
                              r->reason[0] ? r->reason : "Error", "startedAt", t1, "finishedAt",
                              t2, "containerID", cid);
        if (r->signal)
            json_object_set_new(t, "signal", json_integer(r->signal));
        if (r->message[0])
            zk_json_set_str(t, "message", r->message);
        return json_pack("{s:o}", "terminated", t);
    }
    if (!waiting_ok)
        return json_object();
    json_t *w = json_pack("{s:s}", "reason", c->wait_reason[0] ? c->wait_reason
                                                                : "ContainerCreating");
    if (c->wait_message[0])
        zk_json_set_str(w, "message", c->wait_message);
    return json_pack("{s:o}", "waiting", w);
}

static json_t *ctr_status(zk_apod *p, zk_actr *c)
{
    if (c->poststart && c->cur.state == ZK_CTR_RUNNING) {
        /* not Running until its postStart hook is done, as the kubelet says */
        json_t *s = json_pack("{s:s,s:s,s:s,s:b,s:i,s:b,s:{s:{s:s}},s:o}", "name", c->name,
                              "image", c->image, "imageID", c->image_id, "ready", false,
                              "restartCount", c->restarts, "started", false, "state",
                              "waiting", "reason", "ContainerCreating", "lastState",
                              c->last.state == ZK_CTR_EXITED ? state_json(&c->last, NULL, false)
                                                             : json_object());
        return s;
    }
    bool running = c->cur.state == ZK_CTR_RUNNING;
    /* lastState: the run that ended last — the current one while it
     * waits for its restart, else the one before */
    const zk_ctr_run *last = c->cur.state == ZK_CTR_EXITED && c->wait_reason[0] ? &c->cur
                                                                                : &c->last;
    json_t *s = json_pack("{s:s,s:s,s:s,s:b,s:i,s:b,s:o,s:o}", "name", c->name, "image",
                          c->image, "imageID", c->image_id, "ready", running && c->ready,
                          "restartCount", c->restarts, "started", running, "state",
                          state_json(&c->cur, c, true), "lastState",
                          last->state == ZK_CTR_EXITED ? state_json(last, NULL, false)
                                                       : json_object());
    if (c->cur.state != ZK_CTR_NONE) {
        char cid[200];
        snprintf(cid, sizeof(cid), "zke://%s", c->cur.id);
        zk_json_set_str(s, "containerID", cid);
    }
    return s;
}

static const char *restart_policy(zk_apod *p)
{
    return zk_json_path_str(p->pod, "spec", "restartPolicy", NULL) ?: "Always";
}

static bool should_restart(zk_apod *p, const zk_actr *c)
{
    const char *rp = restart_policy(p);
    if (c->respec)
        return true;   /* the kubelet restarts a changed container regardless */
    if (c->init)
        return strcmp(rp, "Never") != 0;
    if (!strcmp(rp, "Always"))
        return true;
    if (!strcmp(rp, "OnFailure"))
        return c->cur.exit_code != 0;
    return false;
}

/* The phase from the containers (kubelet's getPhase). */
static const char *pod_phase(zk_apod *p, bool *inited)
{
    const char *cur = zk_json_path_str(p->pod, "status", "phase", NULL);
    if (cur && (!strcmp(cur, "Succeeded") || !strcmp(cur, "Failed")))
        return cur;   /* final: never left */
    *inited = true;
    for (size_t i = 0; i < p->nctrs; i++) {
        zk_actr *c = &p->ctrs[i];
        if (!c->init)
            continue;
        if (c->cur.state == ZK_CTR_EXITED && c->cur.exit_code == 0)
            continue;
        *inited = false;
        if (c->cur.state == ZK_CTR_EXITED && !should_restart(p, c))
            return "Failed";
    }
    if (!*inited)
        return "Pending";
    size_t running = 0, waiting = 0, ok = 0, failed = 0, apps = 0;
    for (size_t i = 0; i < p->nctrs; i++) {
        zk_actr *c = &p->ctrs[i];
        if (c->init)
            continue;
        apps++;
        if (c->poststart && c->cur.state == ZK_CTR_RUNNING)
            waiting++;   /* not Running before its postStart hook is done */
        else if (c->cur.state == ZK_CTR_RUNNING || c->cur.state == ZK_CTR_STARTING || c->respec)
            running++;   /* one stopped for its new image runs again at once */
        else if (c->cur.state == ZK_CTR_EXITED && (c->cur.exit_code == 0 && !c->wait_reason[0]))
            ok++;
        else if (c->cur.state == ZK_CTR_EXITED)
            failed++;
        else
            waiting++;
    }
    if (waiting > 0 && running == 0 && ok + failed == 0)
        return "Pending";
    if (running > 0 || waiting > 0)
        return "Running";
    const char *rp = restart_policy(p);
    if (!strcmp(rp, "Always"))
        return "Running";
    if (failed && !strcmp(rp, "OnFailure"))
        return "Running";
    return failed ? "Failed" : "Succeeded";
}

static json_t *condition(zk_apod *p, const char *type, bool ok, const char *reason)
{
    char now[40];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    const char *since = now;
    size_t i;
    json_t *c;
    json_array_foreach(zk_json_path(p->pod, "status", "conditions", NULL), i, c) {
        const char *t = zk_json_str(c, "type"), *s = zk_json_str(c, "status");
        if (t && !strcmp(t, type) && s && !strcmp(s, ok ? "True" : "False") &&
            zk_json_str(c, "lastTransitionTime"))
            since = zk_json_str(c, "lastTransitionTime");
    }
    json_t *o = json_pack("{s:s,s:s,s:n,s:s}", "type", type, "status", ok ? "True" : "False",
                          "lastProbeTime", "lastTransitionTime", since);
    if (!ok && reason)
        zk_json_set_str(o, "reason", reason);
    return o;
}

static json_t *build_status(zk_apod *p)
{
    bool inited = false;
    const char *phase = pod_phase(p, &inited);
    bool all_ready = true;
    size_t apps = 0;
    json_t *cs = json_array(), *ics = json_array();
    for (size_t i = 0; i < p->nctrs; i++) {
        zk_actr *c = &p->ctrs[i];
        json_array_append_new(c->init ? ics : cs, ctr_status(p, c));
        if (!c->init) {
            apps++;
            if (!(c->cur.state == ZK_CTR_RUNNING && c->ready && !c->poststart))
                all_ready = false;
        }
    }
    bool ready = all_ready && apps > 0 && strcmp(phase, "Succeeded") && strcmp(phase, "Failed");
    json_t *conds = json_array();
    json_array_append_new(conds, condition(p, "PodReadyToStartContainers", p->sandbox, NULL));
    json_array_append_new(conds, condition(p, "Initialized", inited, "ContainersNotInitialized"));
    json_array_append_new(conds, condition(p, "Ready", ready, "ContainersNotReady"));
    json_array_append_new(conds, condition(p, "ContainersReady", ready, "ContainersNotReady"));
    /* conditions others own (PodScheduled, DisruptionTarget ...) stay */
    size_t i;
    json_t *c;
    json_array_foreach(zk_json_path(p->pod, "status", "conditions", NULL), i, c) {
        const char *t = zk_json_str(c, "type");
        if (t && strcmp(t, "PodReadyToStartContainers") && strcmp(t, "Initialized") &&
            strcmp(t, "Ready") && strcmp(t, "ContainersReady"))
            json_array_append(conds, c);
    }
    char start[40];
    zk_time_rfc3339(p->start_time, start, sizeof(start));
    bool host_net = zk_json_bool(json_object_get(p->pod, "spec"), "hostNetwork", false);
    const char *ip = host_net ? p->a->host.ip : p->ip;
    json_t *st = json_pack("{s:s,s:o,s:s,s:[{s:s}],s:s,s:o}", "phase", phase, "conditions", conds,
                           "hostIP", p->a->host.ip, "hostIPs", "ip", p->a->host.ip, "startTime",
                           start, "containerStatuses", cs);
    if (json_array_size(ics))
        json_object_set_new(st, "initContainerStatuses", ics);
    else
        json_decref(ics);
    if (ip[0] && (p->sandbox || host_net)) {
        zk_json_set_str(st, "podIP", ip);
        json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", ip));
    }
    return st;
}

static void status_done(void *ctx, const zk_kube_result *r)
{
    zk_apod *p = ctx;
    if (!zk_agent_pod_call_end(p))
        return;
    p->status_inflight = false;
    if (r->status != 200) {
        p->status_known = false;   /* send again on the next sync */
        if (r->status != 404 && r->status != 422 && r->status != 409)
            zk_warn("agent: status of pod %s/%s: %d %s", p->ns, p->name, r->status, r->error);
    } else {
        zk_kube_informer_observe(p->a->pods, r->body);
    }
    if (p->dirty || !p->busy)
        zk_agent_pod_queue(p);
}

/* FNV-1a of the status in canonical form: whether it changed since the
 * last patch, without keeping a copy of every pod's status */
static uint64_t status_hash(const json_t *st)
{
    zk_autofree char *text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    uint64_t h = 14695981039346656037ull;
    for (const char *c = text ? text : ""; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    return h;
}

static void post_status(zk_apod *p)
{
    if (!p->pod)
        return;
    json_t *st = build_status(p);
    uint64_t h = status_hash(st);
    if (p->status_known && h == p->status_sent) {
        json_decref(st);
        return;
    }
    if (p->status_inflight) {
        json_decref(st);
        p->dirty = true;
        return;
    }
    json_t *patch = json_pack("{s:{s:s},s:O}", "metadata", "uid", p->uid, "status", st);
    /* null out fields this status no longer has */
    if (!json_object_get(st, "podIP")) {
        json_object_set_new(json_object_get(patch, "status"), "podIP", json_null());
        json_object_set_new(json_object_get(patch, "status"), "podIPs", json_null());
    }
    json_decref(st);   /* the patch holds it */
    p->status_sent = h;
    p->status_known = true;
    p->status_inflight = true;
    zk_agent_pod_call_begin(p);
    zk_kube_patch(p->a->client, &zk_kube_pods, p->ns, p->name, "status",
                  "application/merge-patch+json", patch, status_done, p);
    json_decref(patch);
}

/* ---- terminating ---- */

static void delete_done(void *ctx, const zk_kube_result *r)
{
    zk_apod *p = ctx;
    if (!zk_agent_pod_call_end(p))
        return;
    if (r->status != 200 && r->status != 202 && r->status != 404 && r->status != 409) {
        zk_warn("agent: deleting pod %s/%s: %d %s", p->ns, p->name, r->status, r->error);
        p->delete_sent = false;
        p->next_sync_ms = zk_mono_ms() + 2000;
    }
}

static void terminate(zk_apod *p)
{
    zk_agent *a = p->a;
    int64_t grace = 0;
    if (p->pod) {
        const json_t *meta = json_object_get(p->pod, "metadata");
        grace = zk_json_int(meta, "deletionGracePeriodSeconds",
                            zk_json_int(json_object_get(p->pod, "spec"),
                                        "terminationGracePeriodSeconds", 30));
    }
    bool running = false;
    for (size_t i = 0; i < p->nctrs; i++) {
        zk_actr *c = &p->ctrs[i];
        if (c->cur.state == ZK_CTR_RUNNING || c->cur.state == ZK_CTR_STARTING) {
            running = true;
            stop_ctr(p, c, grace);
        }
    }
    if (running) {
        post_status(p);
        return;
    }
    if (!p->torn_down) {
        pod_job *j = job_new(p);
        uv_queue_work(a->loop, &j->w, teardown_work, teardown_done);
        return;
    }
    if (p->pod) {
        post_status(p);
        if (!p->delete_sent) {
            p->delete_sent = true;
            char path[700];
            snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", p->ns, p->name);
            json_t *opts = json_pack("{s:s,s:s,s:i,s:{s:s}}", "kind", "DeleteOptions",
                                     "apiVersion", "v1", "gracePeriodSeconds", 0, "preconditions",
                                     "uid", p->uid);
            zk_agent_pod_call_begin(p);
            zk_kube_request(a->client, "DELETE", path, opts, NULL, delete_done, p);
            json_decref(opts);
        }
        return;
    }
    /* gone from the API and from this node: its logs go too */
    char ld[4096];
    log_dir(p, ld, sizeof(ld));
    zk_autofree char *cmd = NULL;
    if (p->ns[0] && p->name[0]) {
        /* the log directory holds only files the shims wrote */
        DIR *d = opendir(ld);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                    continue;
                zk_autofree char *sub = zk_xasprintf("%s/%s", ld, e->d_name);
                DIR *d2 = opendir(sub);
                if (d2) {
                    struct dirent *f;
                    while ((f = readdir(d2)))
                        if (f->d_name[0] != '.') {
                            zk_autofree char *fp = zk_xasprintf("%s/%s", sub, f->d_name);
                            unlink(fp);
                        }
                    closedir(d2);
                }
                rmdir(sub);
            }
            closedir(d);
            rmdir(ld);
        }
    }
    zk_debug("agent: pod %s/%s (%s) is gone", p->ns, p->name, p->uid);
    apod_free(p);
}

/* ---- the sync ---- */

static bool pod_final(zk_apod *p)
{
    const char *phase = zk_json_path_str(p->pod, "status", "phase", NULL);
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

/* Start, restart or wait for container c; true when it acted (a job
 * runs or the pod waits for a back-off). */
static bool run_ctr(zk_apod *p, size_t idx, uint64_t now)
{
    zk_actr *c = &p->ctrs[idx];
    if (c->cur.state == ZK_CTR_RUNNING || c->cur.state == ZK_CTR_STARTING)
        return false;
    if (c->cur.state == ZK_CTR_EXITED && !should_restart(p, c))
        return false;
    if (c->cur.state == ZK_CTR_EXITED && c->respec) {
        /* stopped for its new image: on at once, no back-off (respec stays
         * until the start is done: the phase is not final meanwhile) */
        c->backoff_until_ms = 0;
        c->wait_reason[0] = '\0';
    } else if (c->cur.state == ZK_CTR_EXITED && !c->wait_reason[0]) {
        /* it just ended: the back-off before its next run */
        int64_t ran = c->cur.finished_at - c->cur.started_at;
        if (ran >= BACKOFF_RESET_S)
            c->backoff_s = 0;
        if (c->cur.attempt == 0 && c->backoff_s == 0) {
            c->backoff_until_ms = now;   /* the first restart is at once */
            c->backoff_s = 0;
        } else {
            c->backoff_until_ms = now + (uint64_t)backoff_next(c) * 1000;
        }
        snprintf(c->wait_reason, sizeof(c->wait_reason), "CrashLoopBackOff");
        snprintf(c->wait_message, sizeof(c->wait_message),
                 "back-off %ds restarting failed container=%.63s pod=%.150s_%.63s(%.40s)", c->backoff_s,
                 c->name, p->name, p->ns, p->uid);
        if (c->backoff_until_ms > now)
            return true;
        /* the first restart: a second's grace so that the exit is seen */
    }
    if (c->backoff_until_ms > now) {
        if (!strcmp(c->wait_reason, "ErrImagePull"))
            snprintf(c->wait_reason, sizeof(c->wait_reason), "ImagePullBackOff");
        if (!p->next_sync_ms || p->next_sync_ms > c->backoff_until_ms)
            p->next_sync_ms = c->backoff_until_ms;
        return true;
    }
    start_ctr(p, idx);
    return true;
}

static void sync_pod(zk_apod *p)
{
    zk_agent *a = p->a;
    if (!zk_kube_informer_synced(a->pods))
        return;   /* adopted pods wait for the first list */
    p->next_sync_ms = 0;
    if (p->pod && !p->nctrs)
        build_ctrs(p);
    if (!p->pod || zk_json_path(p->pod, "metadata", "deletionTimestamp", NULL)) {
        terminate(p);
        return;
    }
    if (!p->start_time) {
        const char *st = zk_json_path_str(p->pod, "status", "startTime", NULL);
        p->start_time = st ? zk_time_parse_rfc3339(st) : zk_wall_s();
    }
    if (pod_final(p)) {
        /* a finished pod keeps its status; what ran is cleaned up */
        bool running = false;
        for (size_t i = 0; i < p->nctrs; i++)
            if (p->ctrs[i].cur.state == ZK_CTR_RUNNING) {
                running = true;
                stop_ctr(p, &p->ctrs[i], 0);
            }
        if (!running && !p->torn_down) {
            pod_job *j = job_new(p);
            uv_queue_work(a->loop, &j->w, teardown_work, teardown_done);
        }
        return;
    }
    if (!p->refs_ready) {
        fetch_refs(p);
        return;
    }
    char msg[512];
    if (missing_ref(p, msg, sizeof(msg))) {
        for (size_t i = 0; i < p->nctrs; i++) {
            if (p->ctrs[i].cur.state == ZK_CTR_NONE) {
                snprintf(p->ctrs[i].wait_reason, sizeof(p->ctrs[i].wait_reason),
                         "CreateContainerConfigError");
                snprintf(p->ctrs[i].wait_message, sizeof(p->ctrs[i].wait_message), "%s", msg);
            }
        }
        p->refs_ready = false;
        p->next_sync_ms = zk_mono_ms() + REFS_RETRY_MS;
        post_status(p);
        return;
    }
    bool host_net = zk_json_bool(json_object_get(p->pod, "spec"), "hostNetwork", false);
    if (!p->sandbox) {
        if (!host_net && !a->pod_cidr[0]) {
            post_status(p);   /* Pending until the node has a pod CIDR */
            return;
        }
        if (host_net)
            snprintf(p->ip, sizeof(p->ip), "%s", a->host.ip);
        pod_job *j = job_new(p);
        p->torn_down = false;
        uv_queue_work(a->loop, &j->w, sandbox_work, sandbox_done);
        post_status(p);
        return;
    }
    uint64_t now = zk_mono_ms();
    /* init containers, in order, each to success */
    for (size_t i = 0; i < p->nctrs; i++) {
        zk_actr *c = &p->ctrs[i];
        if (!c->init)
            continue;
        if (c->cur.state == ZK_CTR_EXITED && c->cur.exit_code == 0)
            continue;
        if (c->cur.state != ZK_CTR_RUNNING && c->cur.state != ZK_CTR_STARTING)
            run_ctr(p, i, now);
        post_status(p);
        return;
    }
    for (size_t i = 0; i < p->nctrs; i++) {
        zk_actr *c = &p->ctrs[i];
        if (c->init)
            continue;
        if (c->cur.state == ZK_CTR_RUNNING)
            c->ready = zk_agent_probes_ready(p, c);
        if (run_ctr(p, i, now) && p->busy)
            break;
    }
    post_status(p);
}

/* ---- the informer ---- */

static void pod_seen(zk_agent *a, json_t *obj)
{
    const char *uid = zk_kube_uid(obj);
    if (!uid)
        return;
    zk_apod *p = apod_get(a, uid, zk_kube_namespace(obj), zk_kube_name(obj));
    json_t *old = p->pod;
    p->pod = json_incref(obj);
    p->seen = true;
    if (old)
        json_decref(old);
    /* a pod's images may change (kubectl set image): that container is
     * stopped and runs again with the new one */
    for (size_t i = 0; i < p->nctrs; i++) {
        zk_actr *c = &p->ctrs[i];
        const char *img = zk_json_str(zk_agent_ctr_spec(p, c), "image");
        if (!img || !strcmp(img, c->image))
            continue;
        snprintf(c->image, sizeof(c->image), "%s", img);
        if (c->init)
            continue;   /* a finished init container does not run again */
        c->respec = true;
        c->backoff_until_ms = 0;   /* a new image is tried at once */
        if (c->cur.state == ZK_CTR_RUNNING || c->cur.state == ZK_CTR_STARTING) {
            char why[200];
            snprintf(why, sizeof(why), "container %.63s definition changed, will be restarted",
                     c->name);
            zk_agent_ctr_restart(p, c, why);
        }
    }
    zk_agent_pod_queue(p);
}

static void on_add(void *ctx, json_t *obj) { pod_seen(ctx, obj); }
static void on_update(void *ctx, json_t *old, json_t *obj) { pod_seen(ctx, obj); }
static void on_del(void *ctx, json_t *obj)
{
    zk_agent *a = ctx;
    const char *uid = zk_kube_uid(obj);
    zk_apod *p = uid ? zk_map_get(a->apods, uid) : NULL;
    if (!p)
        return;
    json_decref(p->pod);
    p->pod = NULL;
    zk_agent_pod_queue(p);
}

static bool synced_once;

/* Every second: container exits (their exit.json), stop deadlines, timed
 * re-syncs (back-offs). */
void zk_agent_pods_tick(zk_agent *a)
{
    if (!synced_once && zk_kube_informer_synced(a->pods)) {
        synced_once = true;
        size_t pos = 0;
        const char *k;
        void *v;
        while (zk_map_next(a->apods, &pos, &k, &v))
            zk_agent_pod_queue(v);   /* adopted pods: go on, or clean up */
    }
    uint64_t now = zk_mono_ms();
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(a->apods, &pos, &k, &v)) {
        zk_apod *p = v;
        bool changed = false;
        for (size_t i = 0; i < p->nctrs; i++) {
            zk_actr *c = &p->ctrs[i];
            if (c->cur.state != ZK_CTR_RUNNING && c->cur.state != ZK_CTR_STARTING)
                continue;
            char dir[4096];
            pod_dir(p, dir, sizeof(dir));
            zk_autofree char *bundle = zk_xasprintf("%s/c/%s-%d", dir, c->name, c->cur.attempt);
            zk_ctr_run r = {.attempt = c->cur.attempt};
            zk_agent_rt_read_run(bundle, &r);
            snprintf(r.id, sizeof(r.id), "%s", c->cur.id);
            if (r.state == ZK_CTR_EXITED) {
                c->cur = r;
                c->killing = false;
                c->ready = false;
                c->wait_reason[0] = '\0';
                changed = true;
            } else if (r.state == ZK_CTR_RUNNING && c->cur.state == ZK_CTR_STARTING) {
                /* a start the agent adopted half-way has finished */
                c->cur.state = ZK_CTR_RUNNING;
                c->cur.started_at = r.started_at;
                changed = true;
            } else if (c->killing && now >= c->kill_deadline_ms) {
                signal_ctr(p, c, "KILL");
                c->kill_deadline_ms = now + 5000;
            }
        }
        zk_agent_probes_tick(a, p, now);
        if (changed || (p->next_sync_ms && now >= p->next_sync_ms))
            zk_agent_pod_queue(p);
        else if (p->sandbox && p->refs_ready && !p->busy && !p->refs_pending && p->pod &&
                 now - p->refs_at >= a->sync_ms && !pod_final(p) &&
                 !zk_json_path(p->pod, "metadata", "deletionTimestamp", NULL) && mounts_refs(p))
            ask_refs(p, true);
    }
}

static void on_tick(uv_timer_t *t)
{
    zk_agent_pods_tick(t->data);
    zk_agent_stats_sample(t->data);
    zk_agent_image_gc_tick(t->data);
}

void zk_agent_pods_start(zk_agent *a)
{
    char sel[600];
    snprintf(sel, sizeof(sel), "spec.nodeName=%s", a->o.node_name);
    a->pods = zk_kube_informer_new(a->client, &zk_kube_pods, NULL, NULL, sel);
    zk_kube_informer_on(a->pods, &(zk_kube_handler){.add = on_add, .update = on_update,
                                                    .del = on_del, .ctx = a});
    uv_timer_init(a->loop, &a->kick);
    a->kick.data = a;
    uv_timer_init(a->loop, &a->tick);
    a->tick.data = a;
    uv_timer_start(&a->tick, on_tick, 1000, 1000);
    zk_kube_informer_start(a->pods);
}

/* After a restart: the pods this node ran, from DATA/agent/pods/<uid>. */
void zk_agent_pods_adopt(zk_agent *a)
{
    zk_autofree char *dir = zk_xasprintf("%s/pods", a->dir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        zk_autofree char *meta = zk_xasprintf("%s/%s/pod.json", dir, e->d_name);
        json_t *m = json_load_file(meta, 0, NULL);
        zk_apod *p = apod_get(a, e->d_name, zk_json_str(m, "namespace"), zk_json_str(m, "name"));
        zk_autofree char *sp = zk_xasprintf("%s/%s/sandbox.json", dir, e->d_name);
        json_t *sb = json_load_file(sp, 0, NULL);
        if (sb && zk_json_str(sb, "ip")) {
            p->sandbox = true;
            snprintf(p->ip, sizeof(p->ip), "%s", zk_json_str(sb, "ip"));
        }
        json_decref(sb);
        json_decref(m);
        n++;
    }
    closedir(d);
    if (n)
        zk_info("agent: found %zu pods of an earlier run", n);
}
