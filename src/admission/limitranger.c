/* LimitRanger: defaults, then min, max and limit/request ratio. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/limitranger.h"
#include "admission/resources.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"

/* Kubernetes compares at milli precision unless a value would overflow it. */
#define ZK__MAX_MILLI (INT64_MAX / 1000)

/* ---- aggregated reasons ---- */

typedef struct zk__reasons {
    char **v;
    size_t n, cap;
} zk__reasons;

/* Add a reason (owned), dropping duplicates as utilerrors.NewAggregate does. */
static void zk__reason(zk__reasons *r, char *msg)
{
    for (size_t i = 0; i < r->n; i++) {
        if (!strcmp(r->v[i], msg)) {
            free(msg);
            return;
        }
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->v = zk_xrealloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n++] = msg;
}

static char *zk__reasons_take(zk__reasons *r)
{
    char *out = NULL;
    if (r->n == 1) {
        out = r->v[0];
        r->v[0] = NULL;
    } else if (r->n > 1) {
        size_t len = 3;
        for (size_t i = 0; i < r->n; i++)
            len += strlen(r->v[i]) + 2;
        out = zk_xmalloc(len);
        size_t at = 0;
        out[at++] = '[';
        for (size_t i = 0; i < r->n; i++) {
            size_t l = strlen(r->v[i]);
            if (i) {
                memcpy(out + at, ", ", 2);
                at += 2;
            }
            memcpy(out + at, r->v[i], l);
            at += l;
        }
        out[at++] = ']';
        out[at] = '\0';
    }
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
    return out;
}

/* ---- the constraints (Kubernetes' minConstraint, maxConstraint, ...) ---- */

/* request, limit and enforced at one precision: milli-units when all three
 * fit, whole units otherwise. An absent value counts as zero. */
static void zk__values(const zk_kube_quantity *req, const zk_kube_quantity *lim,
                       const zk_kube_quantity *enf, int64_t *r, int64_t *l, int64_t *e)
{
    *r = *l = *e = 0;
    if (req)
        zk_kube_quantity_value(req, r, NULL);
    if (lim)
        zk_kube_quantity_value(lim, l, NULL);
    zk_kube_quantity_value(enf, e, NULL);
    if (*r <= ZK__MAX_MILLI && *l <= ZK__MAX_MILLI && *e <= ZK__MAX_MILLI) {
        *r = *l = 0;
        if (req)
            zk_kube_quantity_milli(req, r, NULL);
        if (lim)
            zk_kube_quantity_milli(lim, l, NULL);
        zk_kube_quantity_milli(enf, e, NULL);
    }
}

static const zk_kube_quantity *zk__q(const zk_adm_rlist *l, const char *name)
{
    const zk_adm_res *r = zk_adm_rlist_get(l, name);
    return r ? &r->q : NULL;
}

static void zk__min(zk__reasons *out, const char *type, const zk_adm_res *enf,
                    const zk_adm_rlist *reqs, const zk_adm_rlist *lims)
{
    const zk_kube_quantity *req = zk__q(reqs, enf->name), *lim = zk__q(lims, enf->name);
    int64_t r, l, e;
    zk__values(req, lim, &enf->q, &r, &l, &e);
    char eb[ZK_KUBE_QUANTITY_STR_MAX], vb[ZK_KUBE_QUANTITY_STR_MAX];
    const char *es = zk_adm_qstr(&enf->q, eb);
    if (!req)
        zk__reason(out, zk_xasprintf("minimum %s usage per %s is %s.  No request is specified",
                                     enf->name, type, es));
    else if (r < e)
        zk__reason(out, zk_xasprintf("minimum %s usage per %s is %s, but request is %s",
                                     enf->name, type, es, zk_adm_qstr(req, vb)));
    else if (lim && l < e)
        zk__reason(out, zk_xasprintf("minimum %s usage per %s is %s, but limit is %s",
                                     enf->name, type, es, zk_adm_qstr(lim, vb)));
}

static void zk__max(zk__reasons *out, const char *type, const zk_adm_res *enf,
                    const zk_adm_rlist *reqs, const zk_adm_rlist *lims)
{
    const zk_kube_quantity *req = zk__q(reqs, enf->name), *lim = zk__q(lims, enf->name);
    int64_t r, l, e;
    zk__values(req, lim, &enf->q, &r, &l, &e);
    char eb[ZK_KUBE_QUANTITY_STR_MAX], vb[ZK_KUBE_QUANTITY_STR_MAX];
    const char *es = zk_adm_qstr(&enf->q, eb);
    if (!lim)
        zk__reason(out, zk_xasprintf("maximum %s usage per %s is %s.  No limit is specified",
                                     enf->name, type, es));
    else if (l > e)
        zk__reason(out, zk_xasprintf("maximum %s usage per %s is %s, but limit is %s",
                                     enf->name, type, es, zk_adm_qstr(lim, vb)));
    else if (req && r > e)
        zk__reason(out, zk_xasprintf("maximum %s usage per %s is %s, but request is %s",
                                     enf->name, type, es, zk_adm_qstr(req, vb)));
}

/* Max for kinds without limits (claims): only the request is bounded. */
static void zk__max_request(zk__reasons *out, const char *type, const zk_adm_res *enf,
                            const zk_adm_rlist *reqs)
{
    const zk_kube_quantity *req = zk__q(reqs, enf->name);
    int64_t r, l, e;
    zk__values(req, NULL, &enf->q, &r, &l, &e);
    char eb[ZK_KUBE_QUANTITY_STR_MAX], vb[ZK_KUBE_QUANTITY_STR_MAX];
    const char *es = zk_adm_qstr(&enf->q, eb);
    if (!req)
        zk__reason(out, zk_xasprintf("maximum %s usage per %s is %s.  No request is specified",
                                     enf->name, type, es));
    else if (r > e)
        zk__reason(out, zk_xasprintf("maximum %s usage per %s is %s, but request is %s",
                                     enf->name, type, es, zk_adm_qstr(req, vb)));
}

static void zk__ratio(zk__reasons *out, const char *type, const zk_adm_res *enf,
                      const zk_adm_rlist *reqs, const zk_adm_rlist *lims)
{
    const zk_kube_quantity *req = zk__q(reqs, enf->name), *lim = zk__q(lims, enf->name);
    int64_t r, l, e;
    zk__values(req, lim, &enf->q, &r, &l, &e);
    char eb[ZK_KUBE_QUANTITY_STR_MAX];
    const char *es = zk_adm_qstr(&enf->q, eb);
    if (!req || r == 0) {
        zk__reason(out, zk_xasprintf("%s max limit to request ratio per %s is %s, but no request "
                                     "is specified or request is 0", enf->name, type, es));
        return;
    }
    if (!lim || l == 0) {
        zk__reason(out, zk_xasprintf("%s max limit to request ratio per %s is %s, but no limit "
                                     "is specified or limit is 0", enf->name, type, es));
        return;
    }
    double observed = (double)l / (double)r;
    double shown = observed;
    int64_t ev = 0, em = 0;
    zk_kube_quantity_value(&enf->q, &ev, NULL);
    double max = (double)ev;
    if (ev <= ZK__MAX_MILLI) {
        zk_kube_quantity_milli(&enf->q, &em, NULL);
        observed *= 1000;
        max = (double)em;
    }
    if (observed > max)
        zk__reason(out, zk_xasprintf("%s max limit to request ratio per %s is %s, but provided "
                                     "ratio is %f", enf->name, type, es, shown));
}

/* min, max and ratio of one LimitRange item against requests and limits */
static void zk__bounds(zk__reasons *out, const char *type, const json_t *item,
                       const zk_adm_rlist *reqs, const zk_adm_rlist *lims)
{
    zk_adm_rlist min = ZK_ADM_RLIST_INIT, max = ZK_ADM_RLIST_INIT, ratio = ZK_ADM_RLIST_INIT;
    zk_adm_rlist_from_json(&min, json_object_get(item, "min"));
    zk_adm_rlist_from_json(&max, json_object_get(item, "max"));
    zk_adm_rlist_from_json(&ratio, json_object_get(item, "maxLimitRequestRatio"));
    for (size_t i = 0; i < min.n; i++)
        zk__min(out, type, &min.items[i], reqs, lims);
    for (size_t i = 0; i < max.n; i++)
        zk__max(out, type, &max.items[i], reqs, lims);
    for (size_t i = 0; i < ratio.n; i++)
        zk__ratio(out, type, &ratio.items[i], reqs, lims);
    zk_adm_rlist_free(&min);
    zk_adm_rlist_free(&max);
    zk_adm_rlist_free(&ratio);
}

static void zk__check_containers(zk__reasons *out, const json_t *item, const json_t *list)
{
    size_t i;
    json_t *ct;
    json_array_foreach(list, i, ct) {
        zk_adm_rlist reqs = ZK_ADM_RLIST_INIT, lims = ZK_ADM_RLIST_INIT;
        zk_adm_rlist_from_json(&reqs, zk_json_path(ct, "resources", "requests", NULL));
        zk_adm_rlist_from_json(&lims, zk_json_path(ct, "resources", "limits", NULL));
        zk__bounds(out, "Container", item, &reqs, &lims);
        zk_adm_rlist_free(&reqs);
        zk_adm_rlist_free(&lims);
    }
}

static char *zk__check_pod(const json_t *range, const json_t *pod)
{
    zk__reasons out = {0};
    const json_t *spec = json_object_get(pod, "spec");
    size_t i;
    json_t *item;
    json_array_foreach(zk_json_path(range, "spec", "limits", NULL), i, item) {
        const char *type = zk_json_str(item, "type");
        if (!type)
            continue;
        if (!strcmp(type, "Container")) {
            zk__check_containers(&out, item, json_object_get(spec, "containers"));
            zk__check_containers(&out, item, json_object_get(spec, "initContainers"));
        } else if (!strcmp(type, "Pod")) {
            zk_adm_rlist reqs = ZK_ADM_RLIST_INIT, lims = ZK_ADM_RLIST_INIT;
            zk_adm_pod_resources(&reqs, pod, false, false);
            zk_adm_pod_resources(&lims, pod, true, false);
            zk__bounds(&out, "Pod", item, &reqs, &lims);
            zk_adm_rlist_free(&reqs);
            zk_adm_rlist_free(&lims);
        }
    }
    return zk__reasons_take(&out);
}

static char *zk__check_pvc(const json_t *range, const json_t *pvc)
{
    zk__reasons out = {0};
    size_t i;
    json_t *item;
    json_array_foreach(zk_json_path(range, "spec", "limits", NULL), i, item) {
        const char *type = zk_json_str(item, "type");
        if (!type || strcmp(type, "PersistentVolumeClaim"))
            continue;
        zk_adm_rlist reqs = ZK_ADM_RLIST_INIT, none = ZK_ADM_RLIST_INIT;
        zk_adm_rlist_from_json(&reqs, zk_json_path(pvc, "spec", "resources", "requests", NULL));
        zk_adm_rlist min = ZK_ADM_RLIST_INIT, max = ZK_ADM_RLIST_INIT;
        zk_adm_rlist_from_json(&min, json_object_get(item, "min"));
        zk_adm_rlist_from_json(&max, json_object_get(item, "max"));
        /* a claim's limits are not the user's request: min sees requests only */
        for (size_t k = 0; k < min.n; k++)
            zk__min(&out, "PersistentVolumeClaim", &min.items[k], &reqs, &none);
        for (size_t k = 0; k < max.n; k++)
            zk__max_request(&out, "PersistentVolumeClaim", &max.items[k], &reqs);
        zk_adm_rlist_free(&min);
        zk_adm_rlist_free(&max);
        zk_adm_rlist_free(&reqs);
    }
    return zk__reasons_take(&out);
}

char *zk_adm_limitranger_check(const char *resource, const json_t *obj,
                               const json_t *const *ranges, size_t n)
{
    bool pod = !strcmp(resource, "pods");
    if (!pod && strcmp(resource, "persistentvolumeclaims"))
        return NULL;
    /* Kubernetes stops at the first LimitRange that refuses */
    for (size_t i = 0; i < n; i++) {
        char *msg = pod ? zk__check_pod(ranges[i], obj) : zk__check_pvc(ranges[i], obj);
        if (msg)
            return msg;
    }
    return NULL;
}

/* ---- defaults ---- */

/* The annotation stays well inside the 256 KiB Kubernetes allows for all
 * annotations together. */
#define ZK__NOTE_MAX (64u * 1024)

/* Fill what one container lacks from the defaults; note what was set. */
static void zk__default_container(json_t *ct, const zk_adm_rlist *dreq, const zk_adm_rlist *dlim,
                                  const char *what, zk_buf *note)
{
    if (!json_is_object(ct))
        return;
    json_t *res = json_object_get(ct, "resources");
    json_t *lims = json_object_get(res, "limits");
    json_t *reqs = json_object_get(res, "requests");
    /* defaulting before admission already made requests from limits */
    if (json_is_object(lims) && json_object_size(lims)) {
        if (!json_is_object(reqs)) {
            reqs = json_object();
            json_object_set_new(res, "requests", reqs);
        }
        const char *k;
        json_t *v;
        json_object_foreach(lims, k, v) {
            if (!json_object_get(reqs, k))
                json_object_set_new(reqs, k, json_deep_copy(v));
        }
    }
    zk_autobuf zk_buf setreq = ZK_BUF_INIT(ZK__NOTE_MAX);
    zk_autobuf zk_buf setlim = ZK_BUF_INIT(ZK__NOTE_MAX);
    for (int pass = 0; pass < 2; pass++) {
        const zk_adm_rlist *d = pass ? dreq : dlim;
        const char *key = pass ? "requests" : "limits";
        zk_buf *set = pass ? &setreq : &setlim;
        for (size_t i = 0; i < d->n; i++) {
            if (!json_is_object(res)) {
                res = json_object();
                json_object_set_new(ct, "resources", res);
            }
            json_t *have = json_object_get(res, key);
            if (json_is_object(have) && json_object_get(have, d->items[i].name))
                continue;
            if (!json_is_object(have)) {
                have = json_object();
                json_object_set_new(res, key, have);
            }
            char b[ZK_KUBE_QUANTITY_STR_MAX];
            zk_kube_quantity_canonical(&d->items[i].q, b, sizeof(b));
            json_object_set_new(have, d->items[i].name, json_string(b));
            zk_buf_printf(set, "%s%s", set->len ? ", " : "", d->items[i].name);
        }
    }
    const char *name = zk_json_str(ct, "name");
    if (setreq.len)
        zk_buf_printf(note, "%s%s request for %s %s", note->len ? "; " : "", setreq.data, what,
                      name ? name : "");
    if (setlim.len)
        zk_buf_printf(note, "%s%s limit for %s %s", note->len ? "; " : "", setlim.data, what,
                      name ? name : "");
}

void zk_adm_limitranger_default(json_t *pod, const json_t *const *ranges, size_t n)
{
    json_t *spec = json_object_get(pod, "spec");
    if (!json_is_object(spec))
        return;
    for (size_t r = 0; r < n; r++) {
        zk_adm_rlist dreq = ZK_ADM_RLIST_INIT, dlim = ZK_ADM_RLIST_INIT;
        size_t i;
        json_t *item;
        json_array_foreach(zk_json_path(ranges[r], "spec", "limits", NULL), i, item) {
            const char *type = zk_json_str(item, "type");
            if (!type || strcmp(type, "Container"))
                continue;
            /* a later item's value wins, as in Kubernetes */
            zk_adm_rlist_from_json(&dreq, json_object_get(item, "defaultRequest"));
            zk_adm_rlist_from_json(&dlim, json_object_get(item, "default"));
        }
        zk_autobuf zk_buf note = ZK_BUF_INIT(ZK__NOTE_MAX);
        json_t *ct;
        json_array_foreach(json_object_get(spec, "containers"), i, ct)
            zk__default_container(ct, &dreq, &dlim, "container", &note);
        json_array_foreach(json_object_get(spec, "initContainers"), i, ct)
            zk__default_container(ct, &dreq, &dlim, "init container", &note);
        if (note.len) {
            json_t *ann = zk_json_path_obj(pod, "metadata", "annotations", NULL);
            if (ann) {
                zk_autofree char *val = zk_xasprintf("LimitRanger plugin set: %s", note.data);
                zk_json_set_str(ann, ZK_ADM_LIMITRANGER_ANNOTATION, val);
            }
        }
        zk_adm_rlist_free(&dreq);
        zk_adm_rlist_free(&dlim);
    }
}
