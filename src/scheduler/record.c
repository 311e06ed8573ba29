/* zke scheduler: the Event recorder. */
#include "scheduler/record.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/time.h"

#define MAX_INFLIGHT 256
#define MAX_REMEMBERED 10000
#define AGGREGATE_S 600

typedef struct rec {
    char *name, *ns, *message;
    int count;
    int64_t first;
} rec;

struct zk_sched_recorder {
    zk_kube_client *client;
    char *component;
    char *instance;
    zk_map *recs;        /* "uid\x1freason" -> rec */
    int inflight;
    uint64_t seq;
    uint64_t dropped;      /* events dropped since the last report */
    int64_t dropped_logged; /* when that report was (wall seconds) */
};

static void rec_free(rec *e)
{
    free(e->name);
    free(e->ns);
    free(e->message);
    free(e);
}

static void clear_recs(zk_sched_recorder *r)
{
    size_t pos = 0;
    void *v;
    while (zk_map_next(r->recs, &pos, NULL, &v))
        rec_free(v);
    zk_map_free(r->recs);
    r->recs = zk_map_new();
}

zk_sched_recorder *zk_sched_recorder_new(zk_kube_client *c, const char *component)
{
    zk_sched_recorder *r = zk_xcalloc(1, sizeof(*r));
    r->client = c;
    r->component = zk_xstrdup(component);
    char host[128] = "zke";
    gethostname(host, sizeof(host) - 1);
    r->instance = zk_xasprintf("%s-%s", component, host);
    r->recs = zk_map_new();
    return r;
}

void zk_sched_recorder_free(zk_sched_recorder *r)
{
    if (!r)
        return;
    size_t pos = 0;
    void *v;
    while (zk_map_next(r->recs, &pos, NULL, &v))
        rec_free(v);
    zk_map_free(r->recs);
    free(r->component);
    free(r->instance);
    free(r);
}

static void on_sent(void *ctx, const zk_kube_result *res)
{
    zk_sched_recorder *r = ctx;
    r->inflight--;
    if (res->status < 200 || res->status >= 300)
        zk_debug("scheduler: event: %d %s", res->status, res->error ? res->error : "");
}

void zk_sched_record(zk_sched_recorder *r, const json_t *pod, const char *type,
                     const char *reason, const char *message)
{
    const json_t *meta = json_object_get(pod, "metadata");
    const char *ns = zk_json_str(meta, "namespace");
    const char *name = zk_json_str(meta, "name");
    const char *uid = zk_json_str(meta, "uid");
    if (!name)
        return;
    if (!ns || !*ns)
        ns = "default";
    if (r->inflight >= MAX_INFLIGHT) {
        /* As client-go's broadcaster does when its queue is full: drop, and
         * say so, once every few seconds rather than once per event. */
        r->dropped++;
        int64_t t = zk_wall_s();
        if (t - r->dropped_logged >= 10) {
            zk_info("scheduler: %llu events dropped (%d in flight), the latest: %s/%s %s: %s",
                    (unsigned long long)r->dropped, r->inflight, ns, name, reason, message);
            r->dropped = 0;
            r->dropped_logged = t;
        }
        return;
    }
    char now[32];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    /* only warnings repeat; a Normal event is written once and forgotten */
    bool agg = !strcmp(type, "Warning");
    zk_autofree char *key = zk_xasprintf("%s\x1f%s", uid ? uid : "", reason);
    rec *e = agg ? zk_map_get(r->recs, key) : NULL;
    int64_t t = zk_wall_s();
    if (e && !strcmp(e->message, message) && t - e->first < AGGREGATE_S) {
        e->count++;
        zk_autojson json_t *patch =
            json_pack("{s:i,s:s}", "count", e->count, "lastTimestamp", now);
        r->inflight++;
        zk_kube_patch(r->client, &zk_kube_events, e->ns, e->name, NULL,
                      "application/merge-patch+json", patch, on_sent, r);
        return;
    }
    if (agg && !e && zk_map_count(r->recs) >= MAX_REMEMBERED)
        clear_recs(r);
    char evname[320];
    snprintf(evname, sizeof(evname), "%.240s.%llx", name,
             (unsigned long long)((uint64_t)t * 1000000000ull + (zk_mono_ms() % 1000) * 1000000ull +
                                  (++r->seq % 1000000ull)));
    const char *rv = zk_json_str(meta, "resourceVersion");
    zk_autojson json_t *ev = json_pack(
        "{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},s:s,s:s,s:i,"
        "s:s,s:s}",
        "apiVersion", "v1", "kind", "Event", "metadata", "name", evname, "namespace", ns,
        "involvedObject", "apiVersion", "v1", "kind", "Pod", "namespace", ns, "name", name, "uid",
        uid ? uid : "", "resourceVersion", rv ? rv : "", "reason", reason, "message", message,
        "type", type, "source", "component", r->component, "firstTimestamp", now,
        "lastTimestamp", now, "count", 1, "reportingComponent", r->component,
        "reportingInstance", r->instance);
    if (agg) {
        if (!e) {
            e = zk_xcalloc(1, sizeof(*e));
            zk_map_put(r->recs, key, e);
        } else {
            free(e->name);
            free(e->ns);
            free(e->message);
        }
        e->name = zk_xstrdup(evname);
        e->ns = zk_xstrdup(ns);
        e->message = zk_xstrdup(message);
        e->count = 1;
        e->first = t;
    }
    r->inflight++;
    zk_kube_create(r->client, &zk_kube_events, ns, ev, on_sent, r);
}

void zk_sched_recorder_forget(zk_sched_recorder *r, const char *uid)
{
    if (!uid || !zk_map_count(r->recs))
        return;
    zk_autofree char *key = zk_xasprintf("%s\x1f%s", uid, "FailedScheduling");
    rec *e = zk_map_del(r->recs, key);
    if (e)
        rec_free(e);
}
