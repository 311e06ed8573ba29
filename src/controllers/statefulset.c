/* zke controllers: StatefulSet.
 *
 * Pods with stable names "<set>-<ordinal>" for ordinals start ..
 * start+replicas-1 (spec.ordinals.start, 0 by default), labelled
 * statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index,
 * with hostname = pod name and subdomain = serviceName, and for each
 * volumeClaimTemplate a PersistentVolumeClaim "<claim>-<set>-<ordinal>"
 * (created if missing, never deleted) mounted as the template's volume.
 *
 * OrderedReady (Kubernetes' "monotonic" mode) creates ordinal i only when
 * every lower one is Running and Ready (and available for minReadySeconds),
 * and removes pods past replicas from the highest, one at a time, each
 * only once the rest are healthy. Parallel creates and removes all at once.
 * A failed or finished pod is deleted and made again.
 *
 * Templates are ControllerRevisions (history.c); a pod's revision is its
 * controller-revision-hash label (the revision's name). RollingUpdate
 * replaces, from the highest ordinal down to the partition, one pod at a
 * time, each after the one above is healthy again; OnDelete only when a pod
 * is deleted. Pods created below the partition get the current revision.
 * status.currentRevision becomes the update revision once every pod has it
 * and is ready, which is what `kubectl rollout status sts` waits for. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "controllers/workload.h"
#include "kube/selector.h"

#define STS_BURST 500
#define HASH_LABEL "controller-revision-hash"
#define NAME_LABEL "statefulset.kubernetes.io/pod-name"
#define INDEX_LABEL "apps.kubernetes.io/pod-index"

static const zk_kube_resource pvcs = {"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim",
                                      true};

/* ---- pure parts ---- */

int64_t zk_ctl_sts_ordinal(const char *set, const char *pod)
{
    size_t n = strlen(set);
    if (strncmp(pod, set, n) || pod[n] != '-')
        return -1;
    const char *d = pod + n + 1;
    size_t len = strlen(d);
    if (len == 0 || len > 9 || (d[0] == '0' && len > 1))
        return -1;
    int64_t v = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9')
            return -1;
        v = v * 10 + (*d - '0');
    }
    return v;
}

bool zk_ctl_sts_running_ready(const json_t *pod)
{
    const char *ph = zk_json_path_str(pod, "status", "phase", NULL);
    return ph && !strcmp(ph, "Running") && zk_ctl_pod_ready(pod);
}

static bool terminating(const json_t *pod)
{
    return pod && zk_json_path(pod, "metadata", "deletionTimestamp", NULL) != NULL;
}

static bool healthy(const json_t *pod)
{
    return pod && zk_ctl_sts_running_ready(pod) && !terminating(pod);
}

static bool terminal(const json_t *pod)
{
    const char *ph = zk_json_path_str(pod, "status", "phase", NULL);
    return ph && (!strcmp(ph, "Failed") || !strcmp(ph, "Succeeded"));
}

static const char *revision_of(const json_t *pod)
{
    const char *r = zk_json_path_str(pod, "metadata", "labels", HASH_LABEL, NULL);
    return r ? r : "";
}

void zk_ctl_sts_plan(const zk_ctl_sts_view *v, zk_ctl_sts_plan_out *out)
{
    out->ndel = out->ncreate = 0;
    out->updating = false;
    bool mono = v->ordered;
    /* the first unhealthy pod: lowest ordinal in range, then the lowest
     * condemned one */
    int64_t first_unhealthy = -1;
    for (size_t i = 0; i < v->replicas && first_unhealthy < 0; i++)
        if (!healthy(v->slots[i]))
            first_unhealthy = (int64_t)i;
    const json_t *first_bad_condemned = NULL;
    for (size_t i = v->ncondemned; i > 0 && first_unhealthy < 0 && !first_bad_condemned; i--)
        if (!healthy(v->condemned[i - 1]))
            first_bad_condemned = v->condemned[i - 1];

    for (size_t i = 0; i < v->replicas; i++) {
        const json_t *p = v->slots[i];
        if (p && terminal(p)) {
            /* made again once it is gone */
            if (!terminating(p))
                out->del[out->ndel++] = p;
            if (mono)
                return;
            continue;
        }
        if (!p) {
            out->create[out->ncreate++] = i;
            if (mono)
                return;
            continue;
        }
        if (mono && (terminating(p) || !zk_ctl_sts_running_ready(p) || !v->available[i]))
            return;
    }
    /* scale down from the highest ordinal (condemned is in descending
     * order), each only when the others are healthy */
    for (size_t i = 0; i < v->ncondemned; i++) {
        const json_t *p = v->condemned[i];
        if (terminating(p)) {
            if (mono)
                return;
            continue;
        }
        if (mono && !healthy(p) && p != first_bad_condemned)
            return;
        out->del[out->ndel++] = p;
        if (mono)
            return;
    }
    if (!v->rolling)
        return;
    /* replace the highest pod not at the update revision, one at a time */
    for (size_t t = v->replicas; t > 0 && (int64_t)(t - 1) >= v->partition; t--) {
        const json_t *p = v->slots[t - 1];
        if (p && strcmp(revision_of(p), v->update_revision) && !terminating(p)) {
            out->del[out->ndel++] = p;
            out->updating = true;
            return;
        }
        if (!healthy(p))
            return;
    }
}

/* ---- state ---- */

typedef struct sts_state {
    zk_ctl *c;
    zk_kube_informer *sets, *pods, *revs, *claims;
} sts_state;

static void set_ev(void *ctx, json_t *o) { zk_ctl_enqueue_obj(((sts_state *)ctx)->c, o); }
static void set_upd(void *ctx, json_t *a, json_t *o) { set_ev(ctx, o); }
static void owned_ev(void *ctx, json_t *o) { zk_ctl_enqueue_owner(((sts_state *)ctx)->c, o, "StatefulSet"); }
static void owned_upd(void *ctx, json_t *a, json_t *o) { owned_ev(ctx, o); }

typedef struct ord_pod {
    json_t *pod;
    int64_t ord;
} ord_pod;

static int by_ordinal_desc(const void *pa, const void *pb)
{
    const ord_pod *a = pa, *b = pb;
    return a->ord < b->ord ? 1 : a->ord > b->ord ? -1 : 0;
}

/* The template a revision holds (its data without "$patch"). New reference. */
static json_t *revision_template(const json_t *rev)
{
    json_t *t = json_deep_copy(zk_json_path(rev, "data", "spec", "template", NULL));
    if (!json_is_object(t)) {
        json_decref(t);
        return NULL;
    }
    json_object_del(t, "$patch");
    return t;
}

/* The claim of template ct for ordinal ord. New reference. */
static json_t *claim_for(const json_t *set, const json_t *ct, int64_t ord)
{
    char name[600];
    snprintf(name, sizeof(name), "%.250s-%.250s-%" PRId64,
             zk_json_path_str(ct, "metadata", "name", NULL), zk_kube_name(set), ord);
    json_t *labels = json_deep_copy(zk_json_path(ct, "metadata", "labels", NULL));
    if (!json_is_object(labels)) {
        json_decref(labels);
        labels = json_object();
    }
    json_object_update(labels, zk_json_path(set, "spec", "selector", "matchLabels", NULL));
    json_t *meta = json_pack("{s:s,s:s,s:o}", "name", name, "namespace", zk_kube_namespace(set),
                             "labels", labels);
    json_t *ann = zk_json_path(ct, "metadata", "annotations", NULL);
    if (json_is_object(ann))
        json_object_set(meta, "annotations", ann);
    json_t *spec = json_deep_copy(json_object_get(ct, "spec"));
    return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "PersistentVolumeClaim",
                     "metadata", meta, "spec", spec ? spec : json_object());
}

/* The pod of ordinal ord from template tmpl at revision rev. */
static json_t *pod_for(const json_t *set, const json_t *tmpl, const char *rev, int64_t ord)
{
    json_t *pod = zk_ctl_pod_from_template_owned(set, tmpl, "");
    json_t *meta = json_object_get(pod, "metadata");
    json_object_del(meta, "generateName");
    char name[320], ix[32];
    snprintf(name, sizeof(name), "%.240s-%" PRId64, zk_kube_name(set), ord);
    snprintf(ix, sizeof(ix), "%" PRId64, ord);
    zk_json_set_str(meta, "name", name);
    json_t *labels = zk_json_path_obj(meta, "labels", NULL);
    zk_json_set_str(labels, NAME_LABEL, name);
    zk_json_set_str(labels, INDEX_LABEL, ix);
    zk_json_set_str(labels, HASH_LABEL, rev);
    json_t *spec = json_object_get(pod, "spec");
    zk_json_set_str(spec, "hostname", name);
    const char *svc = zk_json_path_str(set, "spec", "serviceName", NULL);
    if (svc && svc[0])
        zk_json_set_str(spec, "subdomain", svc);
    /* claims first, then the template's other volumes */
    json_t *cts = zk_json_path(set, "spec", "volumeClaimTemplates", NULL);
    if (json_array_size(cts)) {
        json_t *vols = json_array();
        size_t i;
        json_t *ct;
        json_array_foreach(cts, i, ct) {
            const char *cn = zk_json_path_str(ct, "metadata", "name", NULL);
            if (!cn)
                continue;
            char claim[600];
            snprintf(claim, sizeof(claim), "%.250s-%.250s-%" PRId64, cn, zk_kube_name(set), ord);
            json_array_append_new(vols, json_pack("{s:s,s:{s:s}}", "name", cn,
                                                  "persistentVolumeClaim", "claimName", claim));
        }
        json_t *v;
        json_array_foreach(json_object_get(spec, "volumes"), i, v) {
            const char *vn = zk_json_str(v, "name");
            bool claimed = false;
            size_t j;
            json_array_foreach(cts, j, ct) {
                const char *cn = zk_json_path_str(ct, "metadata", "name", NULL);
                claimed = claimed || (vn && cn && !strcmp(vn, cn));
            }
            if (!claimed)
                json_array_append(vols, v);
        }
        json_object_set_new(spec, "volumes", vols);
    }
    return pod;
}

static bool rev_live(void *ctx, const json_t *rev)
{
    const char *const *names = ctx;
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], zk_kube_name(rev)))
            return true;
    return false;
}

static void sts_sync(zk_ctl *c, void *state, const char *key)
{
    sts_state *st = state;
    json_t *set = zk_kube_informer_get_key(st->sets, key);
    if (!set || zk_json_path(set, "metadata", "deletionTimestamp", NULL)) {
        zk_ctl_done(c, key, false);
        return;
    }
    zk_kube_selector *sel = NULL;
    zk_err err = {0};
    if (zk_kube_selector_from_json(zk_json_path(set, "spec", "selector", NULL), &sel, &err) < 0 ||
        zk_kube_selector_empty(sel)) {
        zk_ctl_event(c, set, "Warning", "SelectorParsingFailed", "invalid selector: %s",
                     err.msg[0] ? err.msg : "empty selector");
        zk_kube_selector_free(sel);
        zk_ctl_done(c, key, false);
        return;
    }
    const char *ns = zk_kube_namespace(set), *name = zk_kube_name(set);
    json_t *spec = json_object_get(set, "spec");
    json_t *old_status = json_object_get(set, "status");
    int64_t replicas = zk_json_int(spec, "replicas", 1);
    int64_t start = zk_json_int(json_object_get(spec, "ordinals"), "start", 0);
    if (replicas < 0)
        replicas = 0;
    int64_t min_ready = zk_json_int(spec, "minReadySeconds", 0);
    int64_t now = zk_wall_s();
    zk_ctl_batch *b = zk_ctl_batch_begin(c, key);

    zk_ctl_revs revs;
    zk_ctl_history_sync(b, st->revs, set, &revs);
    const char *update_rev = zk_kube_name(revs.cur);
    /* the current revision: the one in status while it exists */
    const char *cur_name = zk_json_str(old_status, "currentRevision");
    json_t *cur_rev = NULL;
    for (size_t i = 0; cur_name && i < revs.n; i++)
        if (!strcmp(zk_kube_name(revs.all[i]), cur_name))
            cur_rev = revs.all[i];
    if (!cur_rev)
        cur_rev = revs.cur;
    const char *current_rev = zk_kube_name(cur_rev);

    /* its pods, by ordinal */
    zk_ctl_sts_view v = {0};
    v.replicas = (size_t)replicas;
    v.slots = zk_xcalloc(v.replicas + 1, sizeof(*v.slots));
    v.available = zk_xcalloc(v.replicas + 1, sizeof(*v.available));
    json_t **owned = NULL;
    size_t nowned = zk_kube_informer_by_index(st->pods, "owner", zk_kube_uid(set), &owned);
    ord_pod *cond = zk_xmalloc((nowned + 1) * sizeof(*cond));
    size_t ncond = 0;
    int64_t st_replicas = 0, st_ready = 0, st_avail = 0, st_current = 0, st_updated = 0;
    uint64_t recheck = 0;
    for (size_t i = 0; i < nowned; i++) {
        json_t *p = owned[i];
        if (!zk_kube_selector_matches(sel, zk_json_path(p, "metadata", "labels", NULL)))
            continue;
        int64_t ord = zk_ctl_sts_ordinal(name, zk_kube_name(p));
        if (ord < 0)
            continue;
        st_replicas++;
        bool avail = false;
        if (zk_ctl_sts_running_ready(p)) {
            st_ready++;
            avail = zk_ctl_pod_available(p, min_ready, now);
            if (avail) {
                st_avail++;
            } else {
                json_t *rc = zk_ctl_get_condition(json_object_get(p, "status"), "Ready");
                const char *t = rc ? zk_json_str(rc, "lastTransitionTime") : NULL;
                int64_t left = (t ? zk_time_parse_rfc3339(t) : now) + min_ready - now;
                uint64_t ms = left > 0 ? (uint64_t)left * 1000 + 100 : 1000;
                if (!recheck || ms < recheck)
                    recheck = ms;
            }
        }
        if (!terminating(p)) {
            if (!strcmp(revision_of(p), current_rev))
                st_current++;
            if (!strcmp(revision_of(p), update_rev))
                st_updated++;
        }
        if (ord >= start && ord < start + replicas) {
            v.slots[ord - start] = p;
            v.available[ord - start] = avail;
        } else {
            cond[ncond].pod = p;
            cond[ncond].ord = ord;
            ncond++;
        }
    }
    free(owned);
    zk_kube_selector_free(sel);
    qsort(cond, ncond, sizeof(*cond), by_ordinal_desc);
    v.condemned = zk_xmalloc((ncond + 1) * sizeof(*v.condemned));
    for (size_t i = 0; i < ncond; i++)
        v.condemned[i] = cond[i].pod;
    v.ncondemned = ncond;
    free(cond);

    const char *pmp = zk_json_str(spec, "podManagementPolicy");
    v.ordered = !pmp || strcmp(pmp, "Parallel");
    const char *stype = zk_json_path_str(spec, "updateStrategy", "type", NULL);
    v.rolling = !stype || !strcmp(stype, "RollingUpdate");
    json_t *ru = zk_json_path(spec, "updateStrategy", "rollingUpdate", NULL);
    v.partition = zk_json_int(ru, "partition", 0);
    v.update_revision = update_rev;

    zk_ctl_sts_plan_out plan;
    plan.del = zk_xmalloc((v.replicas + ncond + 1) * sizeof(*plan.del));
    plan.create = zk_xmalloc((v.replicas + 1) * sizeof(*plan.create));
    zk_ctl_sts_plan(&v, &plan);

    /* writes: claims, then pods */
    json_t *cur_tmpl = cur_rev != revs.cur ? revision_template(cur_rev) : NULL;
    json_t *cts = zk_json_path(spec, "volumeClaimTemplates", NULL);
    size_t ncreate = plan.ncreate > STS_BURST ? STS_BURST : plan.ncreate;
    if (plan.ncreate > ncreate)
        zk_ctl_batch_requeue_after(b, 1);
    for (size_t i = 0; i < ncreate; i++) {
        int64_t ord = start + (int64_t)plan.create[i];
        size_t k;
        json_t *ct;
        json_array_foreach(cts, k, ct) {
            json_t *claim = claim_for(set, ct, ord);
            const char *cn = zk_json_path_str(claim, "metadata", "name", NULL);
            if (!zk_kube_informer_get(st->claims, ns, cn)) {
                zk_ctl_batch_create(b, &pvcs, ns, claim);
                zk_ctl_event(c, set, "Normal", "SuccessfulCreate",
                             "create Claim %s Pod %s-%" PRId64 " in StatefulSet %s success", cn,
                             name, ord, name);
            }
            json_decref(claim);
        }
        /* below the partition, new pods keep the current revision */
        bool old = v.rolling && cur_tmpl && ord < start + v.partition;
        json_t *pod = old ? pod_for(set, cur_tmpl, current_rev, ord)
                          : pod_for(set, zk_json_path(spec, "template", NULL), update_rev, ord);
        zk_ctl_batch_create(b, &zk_kube_pods, ns, pod);
        zk_ctl_event(c, set, "Normal", "SuccessfulCreate",
                     "create Pod %s in StatefulSet %s successful", zk_kube_name(pod), name);
        json_decref(pod);
    }
    json_decref(cur_tmpl);
    for (size_t i = 0; i < plan.ndel; i++) {
        const json_t *p = plan.del[i];
        zk_ctl_batch_delete(b, &zk_kube_pods, ns, zk_kube_name(p), zk_kube_uid(p), NULL);
        zk_ctl_event(c, set, "Normal", "SuccessfulDelete",
                     "delete Pod %s in StatefulSet %s successful", zk_kube_name(p), name);
    }
    const char *live[4] = {current_rev, update_rev, NULL, NULL};
    zk_ctl_history_prune(b, &revs, zk_json_int(spec, "revisionHistoryLimit", 10), rev_live,
                         (void *)live);

    /* status */
    const char *status_current = current_rev;
    if (v.rolling && st_updated == st_replicas && st_ready == st_replicas) {
        /* the rolling update is complete */
        status_current = update_rev;
        st_current = st_updated;
    }
    json_t *status = json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:I}", "observedGeneration",
                               (json_int_t)zk_json_int(json_object_get(set, "metadata"),
                                                       "generation", 0),
                               "replicas", (json_int_t)st_replicas, "readyReplicas",
                               (json_int_t)st_ready, "currentReplicas", (json_int_t)st_current,
                               "updatedReplicas", (json_int_t)st_updated, "currentRevision",
                               status_current, "updateRevision", update_rev, "availableReplicas",
                               (json_int_t)st_avail);
    json_object_set_new(status, "collisionCount", json_integer(revs.collisions));
    /* zero counts are left out, as Kubernetes' JSON does */
    static const char *const omit[] = {"readyReplicas", "currentReplicas", "updatedReplicas"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(omit); i++)
        if (!zk_json_int(status, omit[i], 0))
            json_object_del(status, omit[i]);
    if (json_is_array(json_object_get(old_status, "conditions")))
        json_object_set(status, "conditions", json_object_get(old_status, "conditions"));
    if (!json_equal(status, old_status)) {
        json_t *u = json_deep_copy(set);
        json_object_set_new(u, "status", status);
        zk_ctl_batch_update(b, &zk_kube_statefulsets, u, "status");
        json_decref(u);
    } else {
        json_decref(status);
    }
    if (recheck)
        zk_ctl_batch_requeue_after(b, recheck);
    free(plan.del);
    free(plan.create);
    free(v.slots);
    free(v.available);
    free(v.condemned);
    zk_ctl_revs_free(&revs);
    zk_ctl_batch_end(b);
}

static void *sts_init(zk_ctl *c)
{
    sts_state *st = zk_xcalloc(1, sizeof(*st));
    st->c = c;
    st->sets = zk_ctl_informer(c, &zk_kube_statefulsets);
    st->pods = zk_ctl_informer(c, &zk_kube_pods);
    st->revs = zk_ctl_informer(c, &zk_kube_controllerrevisions);
    st->claims = zk_ctl_informer(c, &pvcs);
    zk_kube_handler hs = {.add = set_ev, .update = set_upd, .ctx = st};
    zk_kube_informer_on(st->sets, &hs);
    zk_kube_handler ho = {.add = owned_ev, .update = owned_upd, .del = owned_ev, .ctx = st};
    zk_kube_informer_on(st->pods, &ho);
    zk_kube_informer_on(st->revs, &ho);
    return st;
}

const zk_ctl_def zk_ctl_statefulset = {
    .name = "statefulset", .workers = 4, .init = sts_init, .sync = sts_sync, .free = free};
