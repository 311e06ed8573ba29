/* zke scheduler: informer wiring, the scheduling loop, binding and the
 * failure reports. */
#include "scheduler/scheduler.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "scheduler/algo.h"
#include "scheduler/cache.h"
#include "scheduler/queue.h"
#include "scheduler/record.h"

#define DEFAULT_NAME "default-scheduler"
/* cycles per loop turn before the loop gets to do I/O again */
#define BATCH 64
#define BATCH_MS 20

/* A binding in flight. Kept in a list so that zk_sched_free() can free the
 * ones whose callbacks the client dropped. */
typedef struct bind_req {
    zk_sched *s;
    char *key, *uid, *node;
    struct bind_req *prev, *next;
} bind_req;

struct zk_sched {
    zk_kube_factory *f;
    zk_kube_client *client;
    zk_kube_informer *pods, *nodes, *namespaces;
    char *name;
    zk_sched_opts o;
    zk_sched_cache *cache;
    zk_sched_queue *queue;
    zk_sched_algo algo;
    zk_sched_recorder *rec;
    uv_loop_t *loop;
    uv_idle_t idle;
    uv_timer_t tick;
    bool idle_on, started, paused;
    bind_req *binds;
    zk_sched_stats st;
    uint64_t last_logged_scheduled, last_logged_failures;
    uint64_t busy_since;         /* first cycle after the queue was empty */
    uint64_t busy_scheduled;     /* st.scheduled at busy_since */
    double busy_cpu;             /* this thread's CPU seconds at busy_since */
    unsigned ticks;
};

/* ---- small helpers ---- */

static uint64_t now_ms(void)
{
    return zk_mono_ms();
}

static const char *pod_node(const json_t *pod)
{
    const char *n = zk_json_path_str(pod, "spec", "nodeName", NULL);
    return n && *n ? n : NULL;
}

static bool pod_terminal(const json_t *pod)
{
    const char *ph = zk_json_path_str(pod, "status", "phase", NULL);
    return ph && (!strcmp(ph, "Succeeded") || !strcmp(ph, "Failed"));
}

static bool pod_terminating(const json_t *pod)
{
    json_t *dt = zk_json_path(pod, "metadata", "deletionTimestamp", NULL);
    return dt && !json_is_null(dt);
}

static bool responsible(const zk_sched *s, const json_t *pod)
{
    const char *n = zk_json_path_str(pod, "spec", "schedulerName", NULL);
    if (!n || !*n)
        n = DEFAULT_NAME;
    return !strcmp(n, s->name);
}

static bool same_json(const json_t *a, const json_t *b)
{
    return a == b || (a && b && json_equal((json_t *)a, (json_t *)b));
}

static void pod_key(const json_t *pod, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", zk_kube_namespace(pod), zk_kube_name(pod));
}

static void kick(zk_sched *s);

/* CPU seconds used by the calling thread (the scheduler's loop). */
static double thread_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) < 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- the cache side: assigned pods ---- */

static void assigned_add(zk_sched *s, json_t *obj)
{
    char key[512];
    pod_key(obj, key, sizeof(key));
    if (pod_terminal(obj)) {
        if (zk_sched_cache_pod(s->cache, key)) {
            zk_sched_cache_pod_remove(s->cache, key);
            if (zk_sched_queue_move(s->queue, ~0u, now_ms()))
                kick(s);
        }
        return;
    }
    zk_sched_pod *cur = zk_sched_cache_pod(s->cache, key);
    const char *node = pod_node(obj);
    if (cur && cur->assumed && cur->node_name && !strcmp(cur->node_name, node) &&
        !strcmp(cur->uid, zk_kube_uid(obj))) {
        /* our binding, confirmed by the watch */
        cur->assumed = false;
        s->cache->n_assumed--;
        json_t *labels = zk_json_path(obj, "metadata", "labels", NULL);
        if (!same_json(labels, cur->labels))
            zk_sched_cache_pod_set_labels(s->cache, cur, labels);
        if (pod_terminating(obj))
            zk_sched_cache_pod_set_terminating(s->cache, cur);
        return;
    }
    zk_sched_pod *p = NULL;
    zk_err err = {0};
    if (zk_sched_pod_parse(obj, true, &p, &err) < 0) {
        zk_warn("scheduler: %s", err.msg);
        return;
    }
    zk_sched_cache_pod_add(s->cache, p, false);
    /* a new pod may be what another pod's affinity or spreading waits for */
    if (zk_sched_queue_move(s->queue, ZK_SCHED_P_POD_AFFINITY | ZK_SCHED_P_SPREAD, now_ms()))
        kick(s);
}

static void assigned_update(zk_sched *s, json_t *old, json_t *obj)
{
    char key[512];
    pod_key(obj, key, sizeof(key));
    zk_sched_pod *cur = zk_sched_cache_pod(s->cache, key);
    if (!cur || cur->assumed || pod_terminal(obj) || strcmp(cur->node_name, pod_node(obj)) ||
        strcmp(cur->uid, zk_kube_uid(obj))) {
        assigned_add(s, obj);
        return;
    }
    json_t *labels = zk_json_path(obj, "metadata", "labels", NULL);
    if (!same_json(labels, zk_json_path(old, "metadata", "labels", NULL))) {
        zk_sched_cache_pod_set_labels(s->cache, cur, labels);
        if (zk_sched_queue_move(s->queue, ZK_SCHED_P_POD_AFFINITY | ZK_SCHED_P_SPREAD, now_ms()))
            kick(s);
    }
    if (pod_terminating(obj) && !cur->terminating)
        zk_sched_cache_pod_set_terminating(s->cache, cur);
}

/* ---- the queue side: pending pods ---- */

static void pending_set(zk_sched *s, json_t *obj, bool changed)
{
    zk_sched_pod *p = NULL;
    zk_err err = {0};
    if (zk_sched_pod_parse(obj, true, &p, &err) < 0) {
        zk_warn("scheduler: %s", err.msg);
        return;
    }
    zk_sched_queue_add(s->queue, p, changed, now_ms());
    kick(s);
}

/* A pod with scheduling gates waits until they are all removed. */
static bool gated(const json_t *pod)
{
    return json_array_size(zk_json_path(pod, "spec", "schedulingGates", NULL)) > 0;
}

static bool wants(const zk_sched *s, const json_t *pod)
{
    return !pod_node(pod) && responsible(s, pod) && !pod_terminating(pod) && !pod_terminal(pod) &&
           !gated(pod);
}

/* Assumed onto a node with the binding in flight: not pending any more. */
static bool binding(const zk_sched *s, const char *key, const json_t *pod)
{
    const zk_sched_pod *cur = zk_sched_cache_pod(s->cache, key);
    return cur && cur->assumed && !strcmp(cur->uid, zk_kube_uid(pod));
}

static void on_pod_add(void *ctx, json_t *obj)
{
    zk_sched *s = ctx;
    char key[512];
    pod_key(obj, key, sizeof(key));
    if (pod_node(obj))
        assigned_add(s, obj);
    else if (wants(s, obj) && !binding(s, key, obj))
        pending_set(s, obj, false);
}

static void on_pod_update(void *ctx, json_t *old, json_t *obj)
{
    zk_sched *s = ctx;
    char key[512];
    pod_key(obj, key, sizeof(key));
    if (pod_node(obj)) {
        zk_sched_queue_delete(s->queue, key);
        if (pod_node(old))
            assigned_update(s, old, obj);
        else
            assigned_add(s, obj);
        return;
    }
    if (!wants(s, obj)) {
        zk_sched_queue_delete(s->queue, key);
        return;
    }
    if (binding(s, key, obj))
        return;
    /* our own status patches change only the status: nothing to redo */
    bool changed = !same_json(json_object_get(old, "spec"), json_object_get(obj, "spec")) ||
                   !same_json(zk_json_path(old, "metadata", "labels", NULL),
                              zk_json_path(obj, "metadata", "labels", NULL));
    if (changed || !zk_sched_queue_get(s->queue, key))
        pending_set(s, obj, changed);
}

static void on_pod_del(void *ctx, json_t *obj)
{
    zk_sched *s = ctx;
    char key[512];
    pod_key(obj, key, sizeof(key));
    zk_sched_queue_delete(s->queue, key);
    zk_sched_recorder_forget(s->rec, zk_kube_uid(obj));
    zk_sched_pod *cur = zk_sched_cache_pod(s->cache, key);
    if (cur && !strcmp(cur->uid, zk_kube_uid(obj))) {
        zk_sched_cache_pod_remove(s->cache, key);
        if (zk_sched_queue_move(s->queue, ~0u, now_ms()))
            kick(s);
    }
}

/* ---- nodes ---- */

static void node_set(zk_sched *s, json_t *obj)
{
    zk_sched_node *n = NULL;
    zk_err err = {0};
    if (zk_sched_node_parse(obj, &n, &err) < 0) {
        zk_warn("scheduler: %s", err.msg);
        return;
    }
    zk_sched_cache_node_set(s->cache, n);
    if (zk_sched_queue_move(s->queue, ~0u, now_ms()))
        kick(s);
}

static void on_node_add(void *ctx, json_t *obj)
{
    node_set(ctx, obj);
}

static void on_node_update(void *ctx, json_t *old, json_t *obj)
{
    /* heartbeats and condition updates change nothing the plugins read */
    if (same_json(zk_json_path(old, "metadata", "labels", NULL),
                  zk_json_path(obj, "metadata", "labels", NULL)) &&
        same_json(zk_json_path(old, "status", "allocatable", NULL),
                  zk_json_path(obj, "status", "allocatable", NULL)) &&
        same_json(zk_json_path(old, "spec", "taints", NULL),
                  zk_json_path(obj, "spec", "taints", NULL)) &&
        same_json(zk_json_path(old, "spec", "unschedulable", NULL),
                  zk_json_path(obj, "spec", "unschedulable", NULL)))
        return;
    node_set(ctx, obj);
}

static void on_node_del(void *ctx, json_t *obj)
{
    zk_sched *s = ctx;
    zk_sched_cache_node_remove(s->cache, zk_kube_name(obj));
}

static const json_t *ns_labels(void *ctx, const char *ns)
{
    zk_sched *s = ctx;
    json_t *obj = zk_kube_informer_get(s->namespaces, NULL, ns);
    return obj ? zk_json_path(obj, "metadata", "labels", NULL) : NULL;
}

/* ---- binding ---- */

static void bind_unlink(zk_sched *s, bind_req *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        s->binds = b->next;
    if (b->next)
        b->next->prev = b->prev;
    free(b->key);
    free(b->uid);
    free(b->node);
    free(b);
}

/* A burst of work ended: say how fast it went (bench/sched_throughput.py reads
 * this line). */
static void drained(zk_sched *s)
{
    if (!s->busy_since || s->st.binding || zk_sched_queue_active_len(s->queue))
        return;
    double secs = (double)(now_ms() - s->busy_since) / 1000.0;
    uint64_t n = s->st.scheduled - s->busy_scheduled;
    double cpu = thread_cpu() - s->busy_cpu;
    zk_info("scheduler: drained: %llu pods scheduled in %.3f s (%.0f pods/s), %zu unschedulable; "
            "%.3f CPU s (%.0f us per pod)",
            (unsigned long long)n, secs, secs > 0 ? (double)n / secs : 0.0,
            zk_sched_queue_unsched_len(s->queue), cpu, n ? cpu * 1e6 / (double)n : 0.0);
    s->busy_since = 0;
}

static void on_bound(void *ctx, const zk_kube_result *r)
{
    bind_req *b = ctx;
    zk_sched *s = b->s;
    s->st.binding--;
    char ns[256], name[256];
    const char *slash = strchr(b->key, '/');
    snprintf(ns, sizeof(ns), "%.*s", (int)(slash - b->key), b->key);
    snprintf(name, sizeof(name), "%s", slash + 1);
    json_t *obj = zk_kube_informer_get(s->pods, ns, name);
    if (r->status >= 200 && r->status < 300) {
        s->st.scheduled++;
        zk_sched_recorder_forget(s->rec, b->uid);
        if (!s->o.no_scheduled_events && obj) {
            char msg[768];
            snprintf(msg, sizeof(msg), "Successfully assigned %s to %s", b->key, b->node);
            zk_sched_record(s->rec, obj, "Normal", "Scheduled", msg);
        }
    } else {
        s->st.bind_errors++;
        zk_info("scheduler: binding %s to %s: %d %s", b->key, b->node, r->status,
                r->error ? r->error : "");
        zk_sched_pod *cur = zk_sched_cache_pod(s->cache, b->key);
        if (cur && cur->assumed && !strcmp(cur->uid, b->uid)) {
            zk_sched_pod *p = zk_sched_cache_pod_take(s->cache, b->key);
            /* retry while the pod still waits for a node; else the watch
             * tells us what became of it */
            if (obj && !strcmp(zk_kube_uid(obj), b->uid) && wants(s, obj)) {
                free(p->node_name);
                p->node_name = NULL;
                zk_sched_queue_add_backoff(s->queue, p, p->attempts + 1, now_ms());
            } else {
                zk_sched_pod_free(p);
            }
            /* the node has room again */
            zk_sched_queue_move(s->queue, ~0u, now_ms());
        }
    }
    bind_unlink(s, b);
    kick(s);
    drained(s);
}

static void send_binding(zk_sched *s, const zk_sched_pod *p)
{
    bind_req *b = zk_xcalloc(1, sizeof(*b));
    b->s = s;
    b->key = zk_xstrdup(p->key);
    b->uid = zk_xstrdup(p->uid);
    b->node = zk_xstrdup(p->node_name);
    b->next = s->binds;
    if (s->binds)
        s->binds->prev = b;
    s->binds = b;
    s->st.binding++;
    zk_autojson json_t *body = json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:s},s:{s:s,s:s,s:s}}", "apiVersion", "v1", "kind", "Binding",
        "metadata", "name", p->name, "namespace", p->ns, "uid", p->uid, "target", "apiVersion",
        "v1", "kind", "Node", "name", p->node_name);
    char path[1024];
    zk_kube_path(path, sizeof(path), &zk_kube_pods, p->ns, p->name, "binding", NULL);
    zk_kube_request(s->client, "POST", path, body, NULL, on_bound, b);
}

/* ---- failures ---- */

static void on_status_patched(void *ctx, const zk_kube_result *r)
{
    zk_sched *s = ctx;
    if (r->status == 200 && json_is_object(r->body))
        zk_kube_informer_observe(s->pods, r->body);
    else if (r->status != 404)
        zk_debug("scheduler: pod condition: %d %s", r->status, r->error ? r->error : "");
}

/* PodScheduled=False/Unschedulable with the message, unless the pod
 * already says exactly that. */
static void set_condition(zk_sched *s, const json_t *obj, const char *reason, const char *msg)
{
    const json_t *cond = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(zk_json_path(obj, "status", "conditions", NULL), i, c) {
        const char *t = zk_json_str(c, "type");
        if (t && !strcmp(t, "PodScheduled"))
            cond = c;
    }
    const char *cs = cond ? zk_json_str(cond, "status") : NULL;
    const char *cr = cond ? zk_json_str(cond, "reason") : NULL;
    const char *cm = cond ? zk_json_str(cond, "message") : NULL;
    bool was_false = cs && !strcmp(cs, "False");
    if (was_false && cr && !strcmp(cr, reason) && cm && !strcmp(cm, msg))
        return;
    char now[32];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    const char *ltt = was_false && zk_json_str(cond, "lastTransitionTime")
                          ? zk_json_str(cond, "lastTransitionTime")
                          : now;
    zk_autojson json_t *patch = json_pack(
        "{s:{s:[{s:s,s:s,s:s,s:s,s:n,s:s}]}}", "status", "conditions", "type", "PodScheduled",
        "status", "False", "reason", reason, "message", msg, "lastProbeTime",
        "lastTransitionTime", ltt);
    zk_kube_patch(s->client, &zk_kube_pods, zk_kube_namespace(obj), zk_kube_name(obj), "status",
                  "application/strategic-merge-patch+json", patch, on_status_patched, s);
}

static void report_failure(zk_sched *s, const zk_sched_pod *p, const char *msg)
{
    json_t *obj = zk_kube_informer_get(s->pods, p->ns, p->name);
    if (!obj)
        return;
    zk_debug("scheduler: %s: %s", p->key, msg);
    zk_sched_record(s->rec, obj, "Warning", "FailedScheduling", msg);
    set_condition(s, obj, "Unschedulable", msg);
}

/* ---- the loop ---- */

static void schedule_one(zk_sched *s, zk_sched_qpod *qp)
{
    s->st.attempts++;
    zk_sched_result res;
    zk_sched_algo_run(&s->algo, qp->pod, &res);
    if (!res.node) {
        s->st.failures++;
        zk_sched_queue_unschedulable(s->queue, qp, res.rejected, now_ms());
        report_failure(s, qp->pod, res.message);
        return;
    }
    zk_sched_pod *p = zk_sched_queue_done(s->queue, qp);
    free(p->node_name);
    p->node_name = zk_xstrdup(res.node->name);
    zk_sched_cache_pod_add(s->cache, p, true);
    send_binding(s, p);
}

static int max_bindings(const zk_sched *s)
{
    return s->o.max_bindings > 0 ? s->o.max_bindings : 512;
}

static bool can_run(const zk_sched *s)
{
    return s->started && !s->paused && zk_kube_informer_synced(s->pods) &&
           zk_kube_informer_synced(s->nodes) &&
           (int)s->st.binding < max_bindings(s) && zk_sched_queue_active_len(s->queue) > 0;
}

static void stop_idle(zk_sched *s)
{
    if (s->idle_on) {
        uv_idle_stop(&s->idle);
        s->idle_on = false;
    }
}

static void on_idle(uv_idle_t *h)
{
    zk_sched *s = h->data;
    if (!can_run(s)) {
        stop_idle(s);
        return;
    }
    if (!s->busy_since) {
        s->busy_since = now_ms();
        s->busy_scheduled = s->st.scheduled;
        s->busy_cpu = thread_cpu();
    }
    uint64_t start = now_ms();
    for (int i = 0; i < BATCH && can_run(s); i++) {
        zk_sched_qpod *qp = zk_sched_queue_pop(s->queue);
        if (!qp)
            break;
        schedule_one(s, qp);
        if (now_ms() - start >= BATCH_MS)
            break;
    }
    if (!can_run(s))
        stop_idle(s);
    drained(s);
}

static void kick(zk_sched *s)
{
    if (!s->idle_on && can_run(s)) {
        uv_idle_start(&s->idle, on_idle);
        s->idle_on = true;
    }
}

static void log_progress(zk_sched *s)
{
    if (s->st.scheduled == s->last_logged_scheduled && s->st.failures == s->last_logged_failures)
        return;
    bool idle = zk_sched_queue_active_len(s->queue) == 0 && s->st.binding == 0;
    zk_info("scheduler: %llu scheduled, %llu attempts, %llu unschedulable attempts, "
            "%zu pending (%zu unschedulable), %zu nodes%s",
            (unsigned long long)s->st.scheduled, (unsigned long long)s->st.attempts,
            (unsigned long long)s->st.failures, zk_sched_queue_len(s->queue),
            zk_sched_queue_unsched_len(s->queue), s->cache->n_nodes, idle ? ", idle" : "");
    s->last_logged_scheduled = s->st.scheduled;
    s->last_logged_failures = s->st.failures;
}

static void on_tick(uv_timer_t *t)
{
    zk_sched *s = t->data;
    zk_sched_queue_flush(s->queue, now_ms());
    kick(s);
    if (++s->ticks % 5 == 0)
        log_progress(s);
}

/* ---- life cycle ---- */

zk_sched *zk_sched_new(zk_kube_factory *f, const zk_sched_opts *o)
{
    zk_sched *s = zk_xcalloc(1, sizeof(*s));
    if (o)
        s->o = *o;
    s->name = zk_xstrdup(s->o.name && *s->o.name ? s->o.name : DEFAULT_NAME);
    s->o.name = s->name;
    s->f = f;
    s->client = zk_kube_factory_client(f);
    s->loop = zk_kube_client_loop(s->client);
    s->cache = zk_sched_cache_new();
    zk_sched_cache_set_ns_lookup(s->cache, ns_labels, s);
    s->queue = zk_sched_queue_new();
    uint64_t seed = s->o.seed ? s->o.seed : (uint64_t)zk_wall_s() * 2654435761u ^ zk_mono_ms();
    zk_sched_algo_init(&s->algo, s->cache, s->o.percentage, seed);
    s->rec = zk_sched_recorder_new(s->client, s->name);
    uv_idle_init(s->loop, &s->idle);
    s->idle.data = s;
    uv_timer_init(s->loop, &s->tick);
    s->tick.data = s;

    s->namespaces = zk_kube_factory_informer(f, &zk_kube_namespaces);
    s->nodes = zk_kube_factory_informer(f, &zk_kube_nodes);
    s->pods = zk_kube_factory_informer(f, &zk_kube_pods);
    zk_kube_handler nh = {on_node_add, on_node_update, on_node_del, s};
    zk_kube_informer_on(s->nodes, &nh);
    zk_kube_handler ph = {on_pod_add, on_pod_update, on_pod_del, s};
    zk_kube_informer_on(s->pods, &ph);
    return s;
}

void zk_sched_start(zk_sched *s)
{
    if (s->started)
        return;
    s->started = true;
    zk_kube_factory_start(s->f);
    uv_timer_start(&s->tick, on_tick, 1000, 1000);
    zk_info("scheduler: %s started", s->name);
    kick(s);
}

void zk_sched_pause(zk_sched *s, bool paused)
{
    s->paused = paused;
    if (paused)
        stop_idle(s);
    else
        kick(s);
}

void zk_sched_get_stats(const zk_sched *s, zk_sched_stats *out)
{
    *out = s->st;
    out->pending = zk_sched_queue_len(s->queue);
    out->unschedulable = zk_sched_queue_unsched_len(s->queue);
    out->nodes = s->cache->n_nodes;
}

static void on_closed(uv_handle_t *h)
{
    int *left = h->data;
    (*left)--;
}

void zk_sched_free(zk_sched *s)
{
    if (!s)
        return;
    int left = 2;
    s->idle.data = &left;
    s->tick.data = &left;
    uv_close((uv_handle_t *)&s->idle, on_closed);
    uv_close((uv_handle_t *)&s->tick, on_closed);
    for (int i = 0; i < 100 && left > 0; i++)
        uv_run(s->loop, UV_RUN_NOWAIT);
    while (s->binds)
        bind_unlink(s, s->binds);
    zk_sched_recorder_free(s->rec);
    zk_sched_algo_fini(&s->algo);
    zk_sched_queue_free(s->queue);
    zk_sched_cache_free(s->cache);
    free(s->name);
    free(s);
}
