/* Resource lists and a pod's effective requests and limits. */
#include <stdlib.h>
#include <string.h>

#include "admission/resources.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"

void zk_adm_rlist_free(zk_adm_rlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].name);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

/* Index of name, or of where it would go (with *found false). */
static size_t zk__find(const zk_adm_rlist *l, const char *name, bool *found)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->items[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const zk_adm_res *zk_adm_rlist_get(const zk_adm_rlist *l, const char *name)
{
    bool found;
    size_t i = zk__find(l, name, &found);
    return found ? &l->items[i] : NULL;
}

void zk_adm_rlist_set(zk_adm_rlist *l, const char *name, const zk_kube_quantity *q)
{
    bool found;
    size_t i = zk__find(l, name, &found);
    if (found) {
        l->items[i].q = *q;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = zk_xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    memmove(&l->items[i + 1], &l->items[i], (l->n - i) * sizeof(*l->items));
    l->items[i].name = zk_xstrdup(name);
    l->items[i].q = *q;
    l->n++;
}

void zk_adm_rlist_add(zk_adm_rlist *l, const char *name, const zk_kube_quantity *q)
{
    bool found;
    size_t i = zk__find(l, name, &found);
    if (!found) {
        zk_adm_rlist_set(l, name, q);
        return;
    }
    zk_kube_quantity sum = l->items[i].q;
    if (zk_kube_quantity_add(&sum, q, NULL) < 0) {
        if (zk_kube_quantity_cmp(q, &sum) > 0)
            l->items[i].q = *q;
        return;
    }
    l->items[i].q = sum;
}

void zk_adm_rlist_add_all(zk_adm_rlist *l, const zk_adm_rlist *other)
{
    for (size_t i = 0; i < other->n; i++)
        zk_adm_rlist_add(l, other->items[i].name, &other->items[i].q);
}

void zk_adm_rlist_max_all(zk_adm_rlist *l, const zk_adm_rlist *other)
{
    for (size_t i = 0; i < other->n; i++) {
        const zk_adm_res *have = zk_adm_rlist_get(l, other->items[i].name);
        if (!have || zk_kube_quantity_cmp(&other->items[i].q, &have->q) > 0)
            zk_adm_rlist_set(l, other->items[i].name, &other->items[i].q);
    }
}

void zk_adm_rlist_copy(zk_adm_rlist *dst, const zk_adm_rlist *src)
{
    for (size_t i = 0; i < src->n; i++)
        zk_adm_rlist_set(dst, src->items[i].name, &src->items[i].q);
}

void zk_adm_rlist_mask(zk_adm_rlist *out, const zk_adm_rlist *l, const zk_adm_rlist *mask)
{
    for (size_t i = 0; i < l->n; i++)
        if (zk_adm_rlist_get(mask, l->items[i].name))
            zk_adm_rlist_set(out, l->items[i].name, &l->items[i].q);
}

bool zk_adm_rlist_is_zero(const zk_adm_rlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!zk_kube_quantity_is_zero(&l->items[i].q))
            return false;
    return true;
}

void zk_adm_rlist_from_json(zk_adm_rlist *out, const json_t *obj)
{
    if (!json_is_object(obj))
        return;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        zk_kube_quantity q;
        if (zk_kube_quantity_parse_json(v, &q, NULL) == 0)
            zk_adm_rlist_set(out, k, &q);
    }
}

const char *zk_adm_qstr(const zk_kube_quantity *q, char buf[ZK_KUBE_QUANTITY_STR_MAX])
{
    zk_kube_quantity_string(q, buf, ZK_KUBE_QUANTITY_STR_MAX);
    return buf;
}

json_t *zk_adm_rlist_to_json(const zk_adm_rlist *l)
{
    json_t *o = json_object();
    for (size_t i = 0; i < l->n; i++) {
        char b[ZK_KUBE_QUANTITY_STR_MAX];
        json_object_set_new(o, l->items[i].name, json_string(zk_adm_qstr(&l->items[i].q, b)));
    }
    return o;
}

char *zk_adm_rlist_format(const zk_adm_rlist *l)
{
    size_t need = 1;
    for (size_t i = 0; i < l->n; i++)
        need += strlen(l->items[i].name) + ZK_KUBE_QUANTITY_STR_MAX + 2;
    char *s = zk_xmalloc(need);
    size_t at = 0;
    s[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        char b[ZK_KUBE_QUANTITY_STR_MAX];
        int w = snprintf(s + at, need - at, "%s%s=%s", i ? "," : "", l->items[i].name,
                         zk_adm_qstr(&l->items[i].q, b));
        if (w > 0)
            at += (size_t)w;
    }
    return s;
}

/* ---- pods ---- */

static void zk__container_list(zk_adm_rlist *out, const json_t *ct, bool limits)
{
    zk_adm_rlist_from_json(out, zk_json_path(ct, "resources", limits ? "limits" : "requests",
                                             NULL));
}

void zk_adm_pod_resources(zk_adm_rlist *out, const json_t *pod, bool limits, bool with_overhead)
{
    const json_t *spec = json_object_get(pod, "spec");
    size_t i;
    json_t *ct;
    json_array_foreach(json_object_get(spec, "containers"), i, ct) {
        zk_adm_rlist one = ZK_ADM_RLIST_INIT;
        zk__container_list(&one, ct, limits);
        zk_adm_rlist_add_all(out, &one);
        zk_adm_rlist_free(&one);
    }
    /* Init containers run one after another before the others start: the
     * largest sets a floor. Sidecars keep running, so they add up, and an
     * init container started after a sidecar runs beside it. */
    zk_adm_rlist sidecars = ZK_ADM_RLIST_INIT, floor = ZK_ADM_RLIST_INIT;
    json_array_foreach(json_object_get(spec, "initContainers"), i, ct) {
        zk_adm_rlist one = ZK_ADM_RLIST_INIT;
        zk__container_list(&one, ct, limits);
        const char *rp = zk_json_str(ct, "restartPolicy");
        if (rp && !strcmp(rp, "Always")) {
            zk_adm_rlist_add_all(out, &one);
            zk_adm_rlist_add_all(&sidecars, &one);
            zk_adm_rlist_max_all(&floor, &sidecars);
        } else {
            zk_adm_rlist_add_all(&one, &sidecars);
            zk_adm_rlist_max_all(&floor, &one);
        }
        zk_adm_rlist_free(&one);
    }
    zk_adm_rlist_max_all(out, &floor);
    zk_adm_rlist_free(&sidecars);
    zk_adm_rlist_free(&floor);
    if (with_overhead) {
        zk_adm_rlist oh = ZK_ADM_RLIST_INIT;
        zk_adm_rlist_from_json(&oh, json_object_get(spec, "overhead"));
        /* overhead raises a limit only where there is one */
        for (size_t k = 0; k < oh.n; k++)
            if (!limits || zk_adm_rlist_get(out, oh.items[k].name))
                zk_adm_rlist_add(out, oh.items[k].name, &oh.items[k].q);
        zk_adm_rlist_free(&oh);
    }
}
