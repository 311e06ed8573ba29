/* zke sim: the simulated kubelet's pod model (see pod.h). */
#include "sim/pod.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"

/* ---- durations ---- */

#define NS_PER_MS 1000000LL
#define MAX_NS (ZK_SIM_DURATION_MAX_MS * NS_PER_MS)

static const struct {
    const char *name;
    int64_t ns;
} units[] = {
    {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000}, {"ms", NS_PER_MS},
    {"s", 1000 * NS_PER_MS}, {"m", 60000 * NS_PER_MS}, {"h", 3600000 * NS_PER_MS},
};

int zk_sim_duration_parse(const char *s, int64_t *ms, zk_err *err)
{
    if (!s || !s[0])
        return zk_err_set(err, ZK_EINVAL, "empty duration; want one like 5s or 1m30s");
    if (!strcmp(s, "0")) {
        *ms = 0;
        return 0;
    }
    const char *p = s;
    int64_t total = 0;
    while (*p) {
        int64_t whole = 0, frac = 0, scale = 1;
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            whole = whole * 10 + (*p - '0');
            if (whole > MAX_NS)
                return zk_err_set(err, ZK_EINVAL, "duration \"%s\" is too long", s);
        }
        if (*p == '.') {
            for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                if (scale < 1000000000LL) {
                    frac = frac * 10 + (*p - '0');
                    scale *= 10;
                }
        }
        if (!digits)
            return zk_err_set(err, ZK_EINVAL,
                              "duration \"%s\": a number is missing; want one like 5s or 1m30s",
                              s);
        int64_t unit = 0;
        for (size_t i = 0; i < ZK_ARRAY_LEN(units); i++) {
            size_t n = strlen(units[i].name);
            /* the table lists "ms" before "m" */
            if (!strncmp(p, units[i].name, n)) {
                unit = units[i].ns;
                p += n;
                break;
            }
        }
        if (!unit)
            return zk_err_set(err, ZK_EINVAL,
                              "duration \"%s\": a unit (ns, us, ms, s, m, h) is missing or "
                              "unknown",
                              s);
        if (whole > MAX_NS / unit)
            return zk_err_set(err, ZK_EINVAL, "duration \"%s\" is too long", s);
        total += whole * unit + (int64_t)((__int128)frac * unit / scale);
        if (total > MAX_NS)
            return zk_err_set(err, ZK_EINVAL, "duration \"%s\" is too long (at most 366 days)",
                              s);
    }
    *ms = total / NS_PER_MS;
    return 0;
}

/* ---- steps ---- */

bool zk_sim_pod_host_network(const json_t *pod)
{
    return json_is_true(zk_json_path(pod, "spec", "hostNetwork", NULL));
}

zk_sim_pod_step zk_sim_pod_step_of(const json_t *pod)
{
    json_t *dt = zk_json_path(pod, "metadata", "deletionTimestamp", NULL);
    if (dt && !json_is_null(dt))
        return ZK_SIM_POD_DELETE;
    const char *phase = zk_json_path_str(pod, "status", "phase", NULL);
    if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
        return ZK_SIM_POD_IGNORE;
    const char *ip = zk_json_path_str(pod, "status", "podIP", NULL);
    if (phase && !strcmp(phase, "Running") && ip && ip[0])
        return ZK_SIM_POD_SYNC;
    return ZK_SIM_POD_START;
}

/* ---- the model ---- */

typedef struct model {
    const json_t *pod;
    int64_t now, start, run_start, prev_start;
    int64_t end_at;        /* -1: never */
    bool ended, end_ok, unready;
    int restarts;
    int64_t next;          /* earliest future change, 0 none */
    char now_s[32];
} model;

static void soon(model *m, int64_t t)
{
    if (t > m->now && (!m->next || t < m->next))
        m->next = t;
}

static void rfc(int64_t ms, char *out, size_t n)
{
    zk_time_rfc3339(ms / 1000, out, n);
}

static int64_t probe_delay(const json_t *c, const char *probe)
{
    json_t *p = json_object_get(c, probe);
    if (!json_is_object(p))
        return 0;
    json_int_t d = zk_json_int(p, "initialDelaySeconds", 0);
    if (d < 0)
        d = 0;
    if (d > ZK_SIM_DURATION_MAX_MS / 1000)
        d = ZK_SIM_DURATION_MAX_MS / 1000;
    return (int64_t)d * 1000;
}

static void container_id(const model *m, const char *name, int restarts, char *out, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    const char *uid = zk_json_path_str(m->pod, "metadata", "uid", NULL);
    for (const char *p = uid ? uid : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ '/') * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ (uint64_t)restarts) * 1099511628211ull;
    snprintf(out, n, "sim://%016llx", (unsigned long long)h);
}

static json_t *terminated(const model *m, const char *name, int restarts, int code,
                          const char *reason, int64_t from, int64_t to)
{
    char id[48], a[32], b[32];
    container_id(m, name, restarts, id, sizeof(id));
    rfc(from, a, sizeof(a));
    rfc(to, b, sizeof(b));
    return json_pack("{s:{s:i,s:s,s:s,s:s,s:s}}", "terminated", "exitCode", code, "reason",
                     reason, "startedAt", a, "finishedAt", b, "containerID", id);
}

/* The status of one container that runs for the pod's life (an app
 * container or a sidecar); *ready says whether it is ready. */
static json_t *running_status(model *m, const json_t *c, bool *ready)
{
    const char *name = zk_json_str(c, "name");
    const char *image = zk_json_str(c, "image");
    name = name ? name : "";
    image = image ? image : "";
    char id[48], since[32];
    container_id(m, name, m->restarts, id, sizeof(id));
    zk_autofree char *image_id = zk_xasprintf("sim://%s", image);
    json_t *st = json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", name, "image", image, "imageID",
                           image_id, "containerID", id, "restartCount", m->restarts);
    if (m->ended) {
        json_object_set_new(st, "state",
                            terminated(m, name, m->restarts, m->end_ok ? 0 : 1,
                                       m->end_ok ? "Completed" : "Error", m->run_start,
                                       m->end_at));
        json_object_set_new(st, "ready", json_false());
        json_object_set_new(st, "started", json_false());
        *ready = false;
    } else {
        int64_t started_at = m->run_start + probe_delay(c, "startupProbe");
        int64_t ready_at = started_at + probe_delay(c, "readinessProbe");
        bool started = m->now >= started_at;
        *ready = started && m->now >= ready_at && !m->unready;
        soon(m, started_at);
        if (!m->unready)
            soon(m, ready_at);
        rfc(m->run_start, since, sizeof(since));
        json_object_set_new(st, "state", json_pack("{s:{s:s}}", "running", "startedAt", since));
        json_object_set_new(st, "ready", json_boolean(*ready));
        json_object_set_new(st, "started", json_boolean(started));
    }
    if (m->restarts > 0)
        json_object_set_new(st, "lastState",
                            terminated(m, name, m->restarts - 1, 1, "Error", m->prev_start,
                                       m->run_start));
    else
        json_object_set_new(st, "lastState", json_object());
    return st;
}

static json_t *init_status(model *m, const json_t *c, bool *ready)
{
    const char *rp = zk_json_str(c, "restartPolicy");
    if (rp && !strcmp(rp, "Always"))
        return running_status(m, c, ready);   /* a sidecar */
    const char *name = zk_json_str(c, "name");
    const char *image = zk_json_str(c, "image");
    name = name ? name : "";
    image = image ? image : "";
    char id[48];
    container_id(m, name, 0, id, sizeof(id));
    zk_autofree char *image_id = zk_xasprintf("sim://%s", image);
    *ready = true;
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:b,s:b,s:o,s:{}}", "name", name, "image", image,
                     "imageID", image_id, "containerID", id, "restartCount", 0, "ready", 1,
                     "started", 0, "state",
                     terminated(m, name, 0, 0, "Completed", m->start, m->start), "lastState");
}

/* A condition; it keeps the lastTransitionTime it has in cur when its
 * status does not change. */
static json_t *condition(const model *m, const json_t *cur, const char *type, bool ok,
                         const char *reason, const char *message)
{
    const char *since = m->now_s;
    size_t i;
    json_t *c;
    json_array_foreach(zk_json_path(cur, "conditions", NULL), i, c) {
        const char *t = zk_json_str(c, "type"), *s = zk_json_str(c, "status");
        const char *lt = zk_json_str(c, "lastTransitionTime");
        if (t && !strcmp(t, type) && s && !strcmp(s, ok ? "True" : "False") && lt)
            since = lt;
    }
    json_t *out = json_pack("{s:s,s:s,s:n,s:s}", "type", type, "status", ok ? "True" : "False",
                            "lastProbeTime", "lastTransitionTime", since);
    /* null, not absent: the patch merges conditions by type, and a reason
     * left from the last status would stay */
    json_object_set_new(out, "reason", reason ? json_string(reason) : json_null());
    json_object_set_new(out, "message", message ? json_string(message) : json_null());
    return out;
}

static bool gates_ok(const json_t *pod)
{
    size_t i, j;
    json_t *g, *c;
    json_array_foreach(zk_json_path(pod, "spec", "readinessGates", NULL), i, g) {
        const char *want = zk_json_str(g, "conditionType");
        bool ok = false;
        json_array_foreach(zk_json_path(pod, "status", "conditions", NULL), j, c) {
            const char *t = zk_json_str(c, "type"), *s = zk_json_str(c, "status");
            if (want && t && s && !strcmp(t, want) && !strcmp(s, "True"))
                ok = true;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* What a status says in the fields the model decides, as one string:
 * two statuses with the same signature need no patch between them. */
static void signature(const json_t *st, zk_buf *b)
{
    static const char *const types[] = {"PodScheduled", "Initialized", "ContainersReady",
                                        "Ready", "PodReadyToStartContainers"};
    const char *phase = zk_json_str(st, "phase");
    const char *ip = zk_json_str(st, "podIP");
    const char *host = zk_json_str(st, "hostIP");
    zk_buf_printf(b, "%s|%s|%s|", phase ? phase : "", ip ? ip : "", host ? host : "");
    for (size_t t = 0; t < ZK_ARRAY_LEN(types); t++) {
        const char *s = "-";
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(st, "conditions"), i, c) {
            const char *ct = zk_json_str(c, "type");
            if (ct && !strcmp(ct, types[t]) && zk_json_str(c, "status"))
                s = zk_json_str(c, "status");
        }
        zk_buf_printf(b, "%s,", s);
    }
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
    for (size_t l = 0; l < ZK_ARRAY_LEN(lists); l++) {
        zk_buf_putc(b, '|');
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(st, lists[l]), i, c) {
            const char *name = zk_json_str(c, "name");
            const char *state = "";
            const char *k;
            json_t *v;
            json_object_foreach(json_object_get(c, "state"), k, v) state = k;
            zk_buf_printf(b, "%s:%d:%d:%lld:%s;", name ? name : "",
                          json_is_true(json_object_get(c, "ready")),
                          json_is_true(json_object_get(c, "started")),
                          (long long)zk_json_int(c, "restartCount", 0), state);
        }
    }
}

static int64_t annotation_ms(const json_t *pod, const char *key, zk_sim_pod_plan *out)
{
    const char *v = zk_json_path_str(pod, "metadata", "annotations", key, NULL);
    if (!v)
        return -1;
    int64_t ms;
    if (zk_sim_duration_parse(v, &ms, NULL) < 0) {
        out->bad_annotation = key;
        return -1;
    }
    return ms;
}

static void ip_list(json_t *st, const char *key, const char *ip)
{
    json_object_set_new(st, key, ip && ip[0] ? json_pack("[{s:s}]", "ip", ip) : json_array());
}

void zk_sim_pod_plan_make(const json_t *pod, const zk_sim_pod_env *env, zk_sim_pod_plan *out)
{
    memset(out, 0, sizeof(*out));
    const json_t *cur = json_object_get(pod, "status");
    const json_t *spec = json_object_get(pod, "spec");
    model m = {.pod = pod, .now = env->now_ms, .end_at = -1};
    zk_time_rfc3339(env->now_ms / 1000, m.now_s, sizeof(m.now_s));

    const char *st_time = zk_json_str(cur, "startTime");
    int64_t st_s = st_time ? zk_time_parse_rfc3339(st_time) : -1;
    m.start = st_s >= 0 ? st_s * 1000 : env->now_ms / 1000 * 1000;
    m.run_start = m.start;

    const char *policy = zk_json_str(spec, "restartPolicy");
    policy = policy ? policy : "Always";
    int64_t complete = annotation_ms(pod, ZK_SIM_COMPLETE_ANNOTATION, out);
    int64_t fail = annotation_ms(pod, ZK_SIM_FAIL_ANNOTATION, out);
    int64_t period = 0;
    if (strcmp(policy, "Always")) {
        if (complete >= 0 && (fail < 0 || complete <= fail)) {
            m.end_at = m.start + complete;
            m.end_ok = true;
        } else if (fail >= 0 && !strcmp(policy, "OnFailure")) {
            period = fail < 1000 ? 1000 : fail;   /* at most a restart a second */
        } else if (fail >= 0) {
            m.end_at = m.start + fail;
        }
    }
    m.ended = m.end_at >= 0 && m.now >= m.end_at;
    if (!m.ended)
        soon(&m, m.end_at);
    if (period && m.now > m.start) {
        int64_t k = (m.now - m.start) / period;
        if (k > 1000000)
            k = 1000000;
        m.restarts = (int)k;
        m.run_start = m.start + k * period;
        m.prev_start = m.run_start - period;
    }
    if (period)
        soon(&m, m.run_start + period);
    const char *r = zk_json_path_str(pod, "metadata", "annotations", ZK_SIM_READY_ANNOTATION, NULL);
    m.unready = r && !strcmp(r, "false");

    const char *pod_ip = zk_json_str(cur, "podIP");
    if (!pod_ip || !pod_ip[0])
        pod_ip = env->pod_ip;
    const char *host_ip = zk_json_str(cur, "hostIP");
    if (!host_ip || !host_ip[0])
        host_ip = env->host_ip;

    json_t *st = json_object();
    zk_json_set_str(st, "phase", m.ended ? (m.end_ok ? "Succeeded" : "Failed") : "Running");
    zk_json_set_str(st, "hostIP", host_ip ? host_ip : "");
    ip_list(st, "hostIPs", host_ip);
    zk_json_set_str(st, "podIP", pod_ip ? pod_ip : "");
    ip_list(st, "podIPs", pod_ip);
    char since[32];
    rfc(m.start, since, sizeof(since));
    zk_json_set_str(st, "startTime", since);

    bool all_ready = true;
    zk_autobuf zk_buf unready = ZK_BUF_INIT(4096);
    json_t *inits = json_object_get(spec, "initContainers");
    if (json_array_size(inits)) {
        json_t *arr = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(inits, i, c) {
            bool ready;
            json_array_append_new(arr, init_status(&m, c, &ready));
            const char *rp = zk_json_str(c, "restartPolicy");
            if (!ready && rp && !strcmp(rp, "Always")) {
                all_ready = false;
                zk_buf_printf(&unready, "%s%s", unready.len ? " " : "", zk_json_str(c, "name"));
            }
        }
        json_object_set_new(st, "initContainerStatuses", arr);
    }
    json_t *arr = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c) {
        bool ready;
        json_array_append_new(arr, running_status(&m, c, &ready));
        if (!ready) {
            all_ready = false;
            const char *n = zk_json_str(c, "name");
            zk_buf_printf(&unready, "%s%s", unready.len ? " " : "", n ? n : "");
        }
    }
    json_object_set_new(st, "containerStatuses", arr);

    zk_autofree char *why = zk_xasprintf("containers with unready status: [%s]",
                                         unready.data ? unready.data : "");
    json_t *conds = json_array();
    json_array_append_new(conds, condition(&m, cur, "PodReadyToStartContainers", !m.ended,
                                           NULL, NULL));
    json_array_append_new(conds, condition(&m, cur, "Initialized", true, NULL, NULL));
    bool gates = gates_ok(pod);
    if (m.ended) {
        json_array_append_new(conds, condition(&m, cur, "Ready", false, "PodCompleted", NULL));
        json_array_append_new(conds,
                              condition(&m, cur, "ContainersReady", false, "PodCompleted", NULL));
    } else {
        const char *reason = !all_ready ? "ContainersNotReady"
                             : !gates   ? "ReadinessGatesNotReady"
                                        : NULL;
        const char *msg = !all_ready ? why
                          : !gates   ? "the status of pod readiness gates is not \"True\""
                                     : NULL;
        json_array_append_new(conds,
                              condition(&m, cur, "Ready", all_ready && gates, reason, msg));
        json_array_append_new(conds,
                              condition(&m, cur, "ContainersReady", all_ready,
                                        all_ready ? NULL : "ContainersNotReady",
                                        all_ready ? NULL : why));
    }
    json_array_append_new(conds, condition(&m, cur, "PodScheduled", true, NULL, NULL));
    json_object_set_new(st, "conditions", conds);

    zk_autobuf zk_buf a = ZK_BUF_INIT(1u << 20), b = ZK_BUF_INIT(1u << 20);
    signature(cur, &a);
    signature(st, &b);
    bool same = a.data && b.data && !strcmp(a.data, b.data);
    const char *cur_phase = zk_json_str(cur, "phase");
    out->terminal = m.ended && !(cur_phase && (!strcmp(cur_phase, "Succeeded") ||
                                               !strcmp(cur_phase, "Failed")));
    out->next_ms = m.ended ? 0 : m.next;
    if (same) {
        json_decref(st);
        out->terminal = false;
    } else {
        out->patch = json_pack("{s:o}", "status", st);
    }
}
