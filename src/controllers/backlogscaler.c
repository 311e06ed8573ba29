/* zke controllers: BacklogScaler (zke.io/v1alpha1) — consumers scaled on
 * the backlog of a queue, KEDA's ScaledObject done inside zke.
 *
 * Each scaler has a timer on the controller loop; every pollingInterval
 * (5 s) it reads each trigger (backlog_src.c) and then syncs:
 *   - status.triggers[] gets the reading (value), the value the HPA is to
 *     see (metricValue) and when (observedAt); the API server serves these
 *     as external.metrics.k8s.io (extmetrics_api.c);
 *   - an HPA it owns, zke-backlog-NAME, scales the target from 1 to
 *     maxReplicaCount on those external metrics (AverageValue targetValue
 *     per replica); the HPA controller resyncs it as soon as a reading
 *     changes, not at its next period;
 *   - from 0 to 1 and back to 0 it scales the target itself: up as soon as
 *     a trigger is active (backlog above activationValue), down once none
 *     has been for cooldownPeriod;
 *   - a trigger that cannot be read is an error, never a zero: it keeps
 *     the target from going to zero, and after failureThreshold failed
 *     readings the fallback applies (metricValue becomes fallback.replicas
 *     × targetValue, so the HPA settles on fallback.replicas; from zero the
 *     scaler sets them), with a Warning event and the Fallback condition. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "controllers/backlog.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "kube/quantity.h"

const zk_kube_resource zk_kube_backlogscalers = {"zke.io", "v1alpha1", "backlogscalers",
                                                 "BacklogScaler", true};

#define HPA_PREFIX "zke-backlog-"
#define OBSERVED_REFRESH_S 15   /* half the shortest freshness limit (30 s) */

typedef struct bl_st bl_st;
typedef struct scaler scaler;

typedef struct trig {
    scaler *s;               /* the reading's context: freed sources answer nothing */
    zk_bl_src *src;
    char metric[64];
    double target, activation;
    bool read, ok;
    double value;
    char error[600];
    int failures;
} trig;

struct scaler {
    bl_st *st;
    char *key;
    char *hash;              /* the spec and credentials the sources were made from */
    trig *t;
    size_t nt;
    uv_timer_t timer;
    uint64_t interval_ms;
    int pending;             /* readings of this round still out */
    bool read_once;
    int64_t last_active;     /* wall seconds */
    bool in_fallback;
};

struct bl_st {
    zk_ctl *c;
    zk_kube_informer *bls, *hpas, *secrets, *deploys, *stss;
    zk_map *scalers;         /* key -> scaler */
    zk_ctl_kinds *kinds;
};

/* ---- sources and readings ---- */

static void trigs_free(scaler *s)
{
    for (size_t i = 0; i < s->nt; i++)
        zk_bl_src_free(s->t[i].src);
    free(s->t);
    s->t = NULL;
    s->nt = 0;
    s->pending = 0;   /* freed sources answer nothing */
}

static void on_timer_closed(uv_handle_t *h)
{
    scaler *s = h->data;
    free(s->key);
    free(s->hash);
    free(s);
}

static void scaler_free(scaler *s)
{
    trigs_free(s);
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

static void on_reading(void *ctx, bool ok, double value, const char *error)
{
    trig *t = ctx;
    scaler *s = t->s;
    t->read = true;
    t->ok = ok;
    if (ok) {
        t->value = value;
        t->failures = 0;
        t->error[0] = 0;
    } else {
        t->failures++;
        snprintf(t->error, sizeof(t->error), "%s", error);
    }
    if (--s->pending == 0) {
        s->read_once = true;
        zk_ctl_enqueue(s->st->c, s->key);
    }
}

static void on_tick(uv_timer_t *tm)
{
    scaler *s = tm->data;
    if (s->pending || !s->nt)
        return;   /* the last round is still out, or nothing to read */
    s->pending = (int)s->nt;
    int timeout = s->interval_ms > 10000 ? 10000 : (int)s->interval_ms;
    for (size_t i = 0; i < s->nt; i++)
        zk_bl_src_poll(s->t[i].src, timeout < 1000 ? 1000 : timeout, on_reading, &s->t[i]);
}

/* ---- spec ---- */

static int quantity(const json_t *v, double dflt, double *out)
{
    if (!v || json_is_null(v)) {
        *out = dflt;
        return 0;
    }
    zk_kube_quantity q;
    int64_t m;
    if (zk_kube_quantity_parse_json(v, &q, NULL) < 0 || zk_kube_quantity_sign(&q) < 0)
        return -1;
    zk_kube_quantity_milli(&q, &m, NULL);
    *out = (double)m / 1000.0;
    return 0;
}

/* The credentials of trigger i from Secrets: parameter -> value. */
static json_t *params_of(bl_st *st, const char *ns, const json_t *trigger, size_t i, zk_err *err)
{
    json_t *params = json_object();
    size_t k;
    json_t *a;
    json_array_foreach(json_object_get(trigger, "auth"), k, a) {
        const char *p = zk_json_str(a, "parameter"), *sn = zk_json_str(a, "secretName");
        const char *key = zk_json_str(a, "key");
        if (!p || !sn || !key) {
            zk_err_set(err, ZK_EINVAL, "triggers[%zu].auth[%zu]: parameter, secretName and key "
                       "are required", i, k);
            goto fail;
        }
        json_t *sec = zk_kube_informer_get(st->secrets, ns, sn);
        if (!sec) {
            zk_err_set(err, ZK_ENOTFOUND, "triggers[%zu].auth[%zu]: no Secret %s", i, k, sn);
            goto fail;
        }
        const char *b64 = zk_json_path_str(sec, "data", key, NULL);
        if (!b64) {
            zk_err_set(err, ZK_ENOTFOUND, "triggers[%zu].auth[%zu]: Secret %s has no key %s", i,
                       k, sn, key);
            goto fail;
        }
        size_t len = strlen(b64);
        unsigned char *raw = zk_xmalloc(len + 1);
        int n = zk_base64_decode(b64, len, raw, len);
        if (n < 0) {
            free(raw);
            zk_err_set(err, ZK_EINVAL, "triggers[%zu].auth[%zu]: Secret %s key %s is not "
                       "base64", i, k, sn, key);
            goto fail;
        }
        json_object_set_new(params, p, json_stringn_nocheck((const char *)raw, (size_t)n));
        memset(raw, 0, (size_t)n);
        free(raw);
    }
    return params;
fail:
    json_decref(params);
    return NULL;
}

/* (Re)make the sources when the spec or the credentials changed. */
static int ensure_sources(bl_st *st, scaler *s, const json_t *obj, zk_err *err)
{
    const json_t *spec = json_object_get(obj, "spec");
    const json_t *triggers = json_object_get(spec, "triggers");
    const char *ns = zk_kube_namespace(obj);
    json_t *all = json_array();
    size_t i;
    json_t *tr;
    json_array_foreach(triggers, i, tr) {
        json_t *p = params_of(st, ns, tr, i, err);
        if (!p) {
            json_decref(all);
            return -1;
        }
        json_array_append_new(all, p);
    }
    json_t *h = json_pack("{s:O,s:o}", "spec", spec, "params", all);
    zk_autofree char *hash = json_dumps(h, JSON_SORT_KEYS | JSON_COMPACT);
    if (s->hash && !strcmp(s->hash, hash)) {
        json_decref(h);
        return 0;
    }
    trigs_free(s);
    free(s->hash);
    s->hash = NULL;
    s->read_once = false;
    size_t n = json_array_size(triggers);
    if (!n) {
        json_decref(h);
        return zk_err_set(err, ZK_EINVAL, "triggers: at least one is needed");
    }
    s->t = zk_xcalloc(n, sizeof(*s->t));
    int rc = 0;
    json_array_foreach(triggers, i, tr) {
        trig *t = &s->t[i];
        t->s = s;
        if (quantity(json_object_get(tr, "targetValue"), -1, &t->target) < 0 || t->target <= 0) {
            rc = zk_err_set(err, ZK_EINVAL, "triggers[%zu].targetValue: must be a quantity "
                            "above 0", i);
            break;
        }
        if (quantity(json_object_get(tr, "activationValue"), 0, &t->activation) < 0) {
            rc = zk_err_set(err, ZK_EINVAL, "triggers[%zu].activationValue: must be a quantity "
                            "of 0 or more", i);
            break;
        }
        if (zk_bl_src_new(zk_kube_client_loop(zk_ctl_client(st->c)), tr,
                          json_array_get(json_object_get(h, "params"), i), &t->src, err) < 0) {
            rc = zk_err_wrap(err, "triggers[%zu]", i);
            break;
        }
        snprintf(t->metric, sizeof(t->metric), "s%zu-%s", i, zk_json_str(tr, "type") ?: "");
        s->nt++;
    }
    json_decref(h);
    if (rc < 0) {
        trigs_free(s);
        return rc;
    }
    s->hash = zk_xstrdup(hash);
    json_int_t every = zk_json_int(spec, "pollingInterval", 5);
    s->interval_ms = (uint64_t)(every < 1 ? 1 : every > 3600 ? 3600 : every) * 1000;
    uv_timer_start(&s->timer, on_tick, 0, s->interval_ms);
    return 0;
}

/* ---- the HPA ---- */

static json_t *desired_hpa(const json_t *obj, const scaler *s)
{
    const json_t *spec = json_object_get(obj, "spec");
    const char *name = zk_kube_name(obj);
    json_t *metrics = json_array();
    for (size_t i = 0; i < s->nt; i++) {
        /* canonical, as the API server would store it: "1k", not "1000000m" */
        zk_kube_quantity q;
        char target[ZK_KUBE_QUANTITY_STR_MAX];
        zk_kube_quantity_from_milli((int64_t)llround(s->t[i].target * 1000),
                                    ZK_KUBE_QUANTITY_DECIMAL_SI, &q);
        zk_kube_quantity_canonical(&q, target, sizeof(target));
        json_array_append_new(metrics, json_pack(
            "{s:s,s:{s:{s:s,s:{s:{s:s}}},s:{s:s,s:s}}}", "type", "External", "external", "metric",
            "name", s->t[i].metric, "selector", "matchLabels", "zke.io/backlogscaler", name,
            "target", "type", "AverageValue", "averageValue", target));
    }
    json_int_t min = zk_json_int(spec, "minReplicaCount", 0);
    json_t *hs = json_pack("{s:O,s:I,s:I,s:o}", "scaleTargetRef",
                           json_object_get(spec, "scaleTargetRef"), "minReplicas",
                           (json_int_t)(min < 1 ? 1 : min), "maxReplicas",
                           zk_json_int(spec, "maxReplicaCount", 100), "metrics", metrics);
    json_t *ref = json_object_get(hs, "scaleTargetRef");
    if (!zk_json_str(ref, "apiVersion"))
        zk_json_set_str(ref, "apiVersion", "apps/v1");
    if (!zk_json_str(ref, "kind"))
        zk_json_set_str(ref, "kind", "Deployment");
    if (json_is_object(json_object_get(spec, "behavior")))
        json_object_set(hs, "behavior", json_object_get(spec, "behavior"));
    return hs;
}

static bool same_hpa_spec(const json_t *have, const json_t *want)
{
    const char *keys[] = {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(keys); i++)
        if (!json_equal(json_object_get(have, keys[i]), json_object_get(want, keys[i])))
            return false;
    /* behavior: the server fills defaults in; compare only what we set */
    const json_t *wb = json_object_get(want, "behavior");
    return !wb || json_equal(json_object_get(have, "behavior"), wb);
}

static void ensure_hpa(bl_st *st, zk_ctl_batch *b, const json_t *obj, const scaler *s)
{
    char name[300];
    snprintf(name, sizeof(name), HPA_PREFIX "%.240s", zk_kube_name(obj));
    json_t *want = desired_hpa(obj, s);
    json_t *have = zk_kube_informer_get(st->hpas, zk_kube_namespace(obj), name);
    if (!have) {
        json_t *h = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s},s:[o]},s:o}", "apiVersion",
                              "autoscaling/v2", "kind", "HorizontalPodAutoscaler", "metadata",
                              "name", name, "namespace", zk_kube_namespace(obj), "labels",
                              "zke.io/backlogscaler", zk_kube_name(obj), "ownerReferences",
                              zk_ctl_owner_ref(obj), "spec", want);
        zk_ctl_batch_create(b, &zk_kube_hpas, zk_kube_namespace(obj), h);
        json_decref(h);
        return;
    }
    if (!same_hpa_spec(json_object_get(have, "spec"), want)) {
        json_t *h = json_deep_copy(have);
        json_t *spec = zk_json_child_obj(h, "spec");
        json_object_update(spec, want);
        if (!json_object_get(want, "behavior"))
            json_object_del(spec, "behavior");
        zk_ctl_batch_update(b, &zk_kube_hpas, h, NULL);
        json_decref(h);
    }
    json_decref(want);
}

/* ---- scaling from and to zero ---- */

typedef struct zero_ctx {
    zk_ctl *c;
    json_t *obj;
    int32_t to;
    char why[400];
} zero_ctx;

static void on_zero_put(void *ctx, const zk_kube_result *r)
{
    zero_ctx *z = ctx;
    const json_t *ref = zk_json_path(z->obj, "spec", "scaleTargetRef", NULL);
    if (r->status >= 200 && r->status < 300)
        zk_ctl_event(z->c, z->obj, "Normal", z->to ? "ScaledFromZero" : "ScaledToZero",
                     "%s %s: %d replicas (%s)", zk_json_str(ref, "kind") ?: "Deployment",
                     zk_json_str(ref, "name") ?: "", z->to, z->why);
    else
        zk_ctl_event(z->c, z->obj, "Warning", "FailedScale", "%s %s to %d replicas: %s",
                     zk_json_str(ref, "kind") ?: "Deployment", zk_json_str(ref, "name") ?: "",
                     z->to, r->error ? r->error : "failed");
    json_decref(z->obj);
    free(z);
}

typedef struct zero_read {
    zk_ctl_batch *b;
    zero_ctx *z;
    char *path;
    int want;     /* 1: scale up only from 0; 0: scale down to 0 */
} zero_read;

static void on_zero_scale(void *ctx, const zk_kube_result *r)
{
    zero_read *zr = ctx;
    zero_ctx *z = zr->z;
    int32_t cur = (int32_t)zk_json_int(zk_json_path(r->body, "spec", NULL), "replicas", -1);
    bool act = r->status == 200 && ((zr->want && cur == 0) || (!zr->want && cur > 0));
    if (act) {
        json_t *scale = json_deep_copy(r->body);
        json_object_set_new(zk_json_child_obj(scale, "spec"), "replicas", json_integer(z->to));
        zk_ctl_batch_request(zr->b, "PUT", zr->path, scale, on_zero_put, z);
        json_decref(scale);
    } else {
        json_decref(z->obj);
        free(z);
    }
    free(zr->path);
    free(zr);
}

/* The target's replicas from the informers (Deployment, StatefulSet), or
 * -1 when it must be read. */
static int32_t replicas_of(bl_st *st, const json_t *obj)
{
    const json_t *ref = zk_json_path(obj, "spec", "scaleTargetRef", NULL);
    const char *kind = zk_json_str(ref, "kind") ?: "Deployment";
    const char *gv = zk_json_str(ref, "apiVersion") ?: "apps/v1";
    zk_kube_informer *inf = !strcmp(gv, "apps/v1") && !strcmp(kind, "Deployment")    ? st->deploys
                            : !strcmp(gv, "apps/v1") && !strcmp(kind, "StatefulSet") ? st->stss
                                                                                      : NULL;
    if (!inf)
        return -1;
    json_t *w = zk_kube_informer_get(inf, zk_kube_namespace(obj), zk_json_str(ref, "name") ?: "");
    return w ? (int32_t)zk_json_int(json_object_get(w, "spec"), "replicas", 1) : -2;
}

typedef struct disc_ctx {
    bl_st *st;
    char gv[256], key[600];
} disc_ctx;

/* A custom kind's resource learnt: the scaler syncs again. */
static void on_discovery(void *ctx, const zk_kube_result *r)
{
    disc_ctx *d = ctx;
    zk_ctl_kinds_learn(d->st->kinds, d->gv, r->status == 200 ? r->body : NULL);
    zk_ctl_enqueue(d->st->c, d->key);
    free(d);
}

static void set_zero(bl_st *st, zk_ctl_batch *b, const json_t *obj, int32_t to, bool up,
                     const char *why)
{
    const json_t *ref = zk_json_path(obj, "spec", "scaleTargetRef", NULL);
    const char *gv = zk_json_str(ref, "apiVersion") ?: "apps/v1";
    bool scalable, stale;
    const char *res = zk_ctl_kinds_lookup(st->kinds, gv, zk_json_str(ref, "kind") ?: "Deployment",
                                          &scalable, &stale);
    if (!res && stale) {
        disc_ctx *d = zk_xcalloc(1, sizeof(*d));
        d->st = st;
        snprintf(d->gv, sizeof(d->gv), "%s", gv);
        snprintf(d->key, sizeof(d->key), "%s/%s", zk_kube_namespace(obj), zk_kube_name(obj));
        zk_autofree char *path = zk_ctl_kinds_discovery_path(gv);
        zk_ctl_batch_request(b, "GET", path, NULL, on_discovery, d);
        return;
    }
    if (!res || !scalable)
        return;   /* the HPA reports an unknown target */
    zero_read *zr = zk_xcalloc(1, sizeof(*zr));
    zr->b = b;
    zr->want = up;
    zr->path = zk_ctl_kinds_path(gv, zk_kube_namespace(obj), res, zk_json_str(ref, "name") ?: "",
                                 "scale");
    zr->z = zk_xcalloc(1, sizeof(*zr->z));
    zr->z->c = st->c;
    zr->z->obj = json_incref((json_t *)obj);
    zr->z->to = to;
    snprintf(zr->z->why, sizeof(zr->z->why), "%s", why);
    zk_ctl_batch_request(b, "GET", zr->path, NULL, on_zero_scale, zr);
}

/* ---- sync ---- */

static json_t *fmt_value(double v)
{
    char buf[64];
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, sizeof(buf), "%lld", (long long)v);
    else
        snprintf(buf, sizeof(buf), "%lldm", (long long)llround(v * 1000));
    return json_string(buf);
}

static void set_time(json_t *o, const char *key, int64_t t)
{
    char buf[40];
    zk_time_rfc3339(t, buf, sizeof(buf));
    json_object_set_new(o, key, json_string(buf));
}

static void bl_sync(zk_ctl *c, void *state, const char *key)
{
    bl_st *st = state;
    json_t *live = zk_kube_informer_get_key(st->bls, key);
    scaler *s = zk_map_get(st->scalers, key);
    if (!live) {
        if (s) {
            zk_map_del(st->scalers, key);
            scaler_free(s);
        }
        zk_ctl_done(c, key, false);
        return;
    }
    if (!s) {
        s = zk_xcalloc(1, sizeof(*s));
        s->st = st;
        s->key = zk_xstrdup(key);
        s->last_active = zk_wall_s();
        uv_timer_init(zk_kube_client_loop(zk_ctl_client(c)), &s->timer);
        s->timer.data = s;
        zk_map_put(st->scalers, key, s);
    }
    json_t *obj = json_deep_copy(live);
    json_t *orig = json_deep_copy(json_object_get(live, "status"));
    json_t *status = zk_json_child_obj(obj, "status");
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);
    zk_err err = {0};
    const json_t *spec = json_object_get(obj, "spec");
    if (!zk_json_path_str(spec, "scaleTargetRef", "name", NULL))
        zk_err_set(&err, ZK_EINVAL, "scaleTargetRef.name: required");
    if (err.code || ensure_sources(st, s, obj, &err) < 0) {
        if (zk_ctl_set_condition(status, "Ready", "False", "InvalidSpec", err.msg, false))
            zk_ctl_event(c, obj, "Warning", "InvalidSpec", "%s", err.msg);
        goto write;
    }
    zk_ctl_set_condition(status, "Ready", "True", "Polling", "the triggers are read every "
                         "pollingInterval", false);
    json_object_set_new(status, "hpaName",
                        json_sprintf(HPA_PREFIX "%.240s", zk_kube_name(obj)));
    ensure_hpa(st, b, obj, s);
    if (!s->read_once)
        goto write;

    int64_t now = zk_wall_s();
    const json_t *fb = json_object_get(spec, "fallback");
    json_int_t threshold = zk_json_int(fb, "failureThreshold", 3);
    json_int_t fb_replicas = zk_json_int(fb, "replicas", 0);
    bool active = false, fallback = false;
    char why[400] = "";
    json_t *old = json_object_get(orig, "triggers");
    json_t *ts = json_array();
    for (size_t i = 0; i < s->nt; i++) {
        trig *t = &s->t[i];
        json_t *prev = json_array_get(old, i);
        json_t *e = json_pack("{s:s,s:s}", "metricName", t->metric, "source",
                              zk_bl_src_describe(t->src));
        const char *name = zk_json_path_str(json_array_get(json_object_get(spec, "triggers"), i),
                                            "name", NULL);
        if (name)
            zk_json_set_str(e, "name", name);
        bool failing = fb_replicas > 0 && t->failures >= threshold;
        fallback |= failing;
        if (!t->ok) {
            /* unknown is not zero: it keeps the target up */
            active = true;
            zk_json_set_str(e, "error", t->error);
            json_object_set_new(e, "failures", json_integer(t->failures));
            if (!why[0])
                snprintf(why, sizeof(why), "%.390s", t->error);
            if (t->failures == 1)   /* once a streak; the status holds the rest */
                zk_ctl_event(c, obj, "Warning", "TriggerError", "%s", t->error);
        } else if (t->value > t->activation) {
            active = true;
            if (!why[0])
                snprintf(why, sizeof(why), "backlog %.0f on %.300s", t->value,
                         zk_bl_src_describe(t->src));
        }
        /* the reading the HPA sees: the fallback's, the new one, or the
         * last good one until the threshold */
        json_t *mv = failing ? fmt_value((double)fb_replicas * t->target)
                     : t->ok ? fmt_value(t->value)
                             : json_incref(json_object_get(prev, "metricValue"));
        if (t->ok)
            json_object_set_new(e, "value", fmt_value(t->value));
        else if (json_object_get(prev, "value"))
            json_object_set(e, "value", json_object_get(prev, "value"));
        const char *seen = zk_json_str(prev, "observedAt");
        int64_t seen_t = seen ? zk_time_parse_rfc3339(seen) : -1;
        if (mv) {
            json_object_set_new(e, "metricValue", mv);
            /* unchanged readings refresh observedAt every 15 s, not every poll */
            bool same = json_equal(mv, json_object_get(prev, "metricValue"));
            if ((t->ok || failing) && (!same || seen_t < 0 || now - seen_t >= OBSERVED_REFRESH_S))
                set_time(e, "observedAt", now);
            else if (seen)
                zk_json_set_str(e, "observedAt", seen);
        }
        json_array_append_new(ts, e);
    }
    json_object_set_new(status, "triggers", ts);
    if (active)
        s->last_active = now;
    json_object_set_new(status, "active", json_boolean(active));
    set_time(status, "lastActiveTime", s->last_active);
    zk_ctl_set_condition(status, "Active", active ? "True" : "False",
                         active ? "BacklogAboveActivation" : "NoBacklog",
                         active ? why : "no trigger is above its activationValue", false);
    if (fallback != s->in_fallback) {
        if (fallback)
            zk_ctl_event(c, obj, "Warning", "FallbackActivated",
                         "a trigger failed %lld readings in a row (%s): running %lld replicas",
                         (long long)threshold, why, (long long)fb_replicas);
        else
            zk_ctl_event(c, obj, "Normal", "FallbackEnded", "the triggers answer again");
        s->in_fallback = fallback;
    }
    zk_ctl_set_condition(status, "Fallback", fallback ? "True" : "False",
                         fallback ? "TriggerUnreadable" : "TriggersRead",
                         fallback ? why : "every trigger answers", false);

    /* zero and back: the HPA works from one replica up */
    json_int_t min = zk_json_int(spec, "minReplicaCount", 0);
    json_int_t cooldown = zk_json_int(spec, "cooldownPeriod", 300);
    int32_t cur = replicas_of(st, obj);
    int32_t up_to = fallback ? (int32_t)fb_replicas : (int32_t)(min < 1 ? 1 : min);
    if ((active || fallback) && (cur == 0 || cur == -1))
        set_zero(st, b, obj, up_to, true, fallback ? "fallback" : why);
    else if (!active && !fallback && min == 0 && (cur > 0 || cur == -1) &&
             now - s->last_active >= cooldown)
        set_zero(st, b, obj, 0, false, "no backlog for the cooldown period");
    else if (!active && !fallback && min == 0 && cur != 0)
        zk_ctl_batch_requeue_after(b, (uint64_t)(cooldown - (now - s->last_active)) * 1000 + 100);

write:
    {
        json_t *gen = zk_json_path(obj, "metadata", "generation", NULL);
        if (gen)
            json_object_set(status, "observedGeneration", gen);
        if (!json_equal(status, orig))
            zk_ctl_batch_update(b, &zk_kube_backlogscalers, obj, "status");
    }
    json_decref(orig);
    json_decref(obj);
    zk_ctl_batch_end(b);
}

static void bl_ev(void *ctx, json_t *obj)
{
    zk_ctl_enqueue_obj(ctx, obj);
}

static void bl_upd(void *ctx, json_t *old, json_t *obj)
{
    if (json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")))
        return;   /* our own status writes */
    zk_ctl_enqueue_obj(ctx, obj);
}

/* a Secret changed: the scalers of its namespace may read it */
static void secret_ev(void *ctx, json_t *obj)
{
    bl_st *st = ctx;
    json_t **all;
    size_t n = zk_kube_informer_by_index(st->bls, "namespace", zk_kube_namespace(obj), &all);
    for (size_t i = 0; i < n; i++)
        zk_ctl_enqueue_obj(st->c, all[i]);
    free(all);
}

static void secret_upd(void *ctx, json_t *old, json_t *obj)
{
    if (!json_equal(json_object_get(old, "data"), json_object_get(obj, "data")))
        secret_ev(ctx, obj);
}

static void *bl_init(zk_ctl *c)
{
    bl_st *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->bls = zk_ctl_informer(c, &zk_kube_backlogscalers);
    st->hpas = zk_ctl_informer(c, &zk_kube_hpas);
    st->secrets = zk_ctl_informer(c, &zk_kube_secrets);
    st->deploys = zk_ctl_informer(c, &zk_kube_deployments);
    st->stss = zk_ctl_informer(c, &zk_kube_statefulsets);
    st->scalers = zk_map_new();
    st->kinds = zk_ctl_kinds_new();
    zk_kube_informer_on(st->bls, &(zk_kube_handler){.add = bl_ev, .update = bl_upd, .del = bl_ev,
                                                    .ctx = c});
    zk_kube_informer_on(st->secrets, &(zk_kube_handler){.add = secret_ev, .update = secret_upd,
                                                        .ctx = st});
    return st;
}

static void bl_free(void *state)
{
    bl_st *st = state;
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(st->scalers, &pos, &k, &v))
        scaler_free(v);
    zk_map_free(st->scalers);
    zk_ctl_kinds_free(st->kinds);
    free(st);
}

const zk_ctl_def zk_ctl_backlogscaler = {
    .name = "backlogscaler", .workers = 4, .init = bl_init, .sync = bl_sync, .free = bl_free};
