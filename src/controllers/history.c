/* zke controllers: ControllerRevisions, the template history of DaemonSets
 * and StatefulSets that `kubectl rollout history` and `rollout undo` read.
 * A revision's data is a strategic merge patch that puts a template back
 * ({"spec":{"template":{...,"$patch":"replace"}}}), as Kubernetes stores
 * it, so kubectl applies it unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "controllers/ctl.h"
#include "controllers/internal.h"
#include "controllers/workload.h"

#define HASH_LABEL "controller-revision-hash"

json_t *zk_ctl_history_data(const json_t *owner)
{
    json_t *tmpl = json_deep_copy(zk_json_path(owner, "spec", "template", NULL));
    if (!json_is_object(tmpl)) {
        json_decref(tmpl);
        tmpl = json_object();
    }
    json_object_set_new(tmpl, "$patch", json_string("replace"));
    return json_pack("{s:{s:o}}", "spec", "template", tmpl);
}

void zk_ctl_history_hash(const json_t *data, int64_t collisions, char *out, size_t n)
{
    zk_ctl_template_hash(data, collisions, out, n);
}

json_t *zk_ctl_history_new(const json_t *owner, const json_t *data, int64_t revision,
                           const char *hash)
{
    json_t *labels = json_deep_copy(zk_json_path(owner, "spec", "template", "metadata", "labels",
                                                 NULL));
    if (!json_is_object(labels)) {
        json_decref(labels);
        labels = json_object();
    }
    json_object_set_new(labels, HASH_LABEL, json_string(hash));
    /* the owner's annotations travel (kubernetes.io/change-cause) */
    json_t *ann = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(zk_json_path(owner, "metadata", "annotations", NULL), k, v) {
        if (strcmp(k, "kubectl.kubernetes.io/last-applied-configuration"))
            json_object_set(ann, k, v);
    }
    char name[320];
    snprintf(name, sizeof(name), "%.223s-%s", zk_kube_name(owner), hash);
    json_t *rev = json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:[o]},s:O,s:I}", "apiVersion", "apps/v1",
                            "kind", "ControllerRevision", "metadata", "name", name, "namespace",
                            zk_kube_namespace(owner), "labels", labels, "ownerReferences",
                            zk_ctl_owner_ref(owner), "data", data, "revision",
                            (json_int_t)revision);
    if (json_object_size(ann))
        json_object_set_new(json_object_get(rev, "metadata"), "annotations", ann);
    else
        json_decref(ann);
    return rev;
}

static int by_revision(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int64_t ra = zk_json_int(a, "revision", 0), rb = zk_json_int(b, "revision", 0);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return strcmp(zk_kube_name(a), zk_kube_name(b));
}

size_t zk_ctl_history_list(zk_kube_informer *inf, const json_t *owner, json_t ***out)
{
    json_t **revs = NULL;
    size_t n = zk_kube_informer_by_index(inf, "owner", zk_kube_uid(owner), &revs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!zk_json_path(revs[i], "metadata", "deletionTimestamp", NULL))
            revs[k++] = revs[i];
    if (k > 1)
        qsort(revs, k, sizeof(*revs), by_revision);
    *out = revs;
    return k;
}

void zk_ctl_history_sync(zk_ctl_batch *b, zk_kube_informer *inf, const json_t *owner,
                         zk_ctl_revs *r)
{
    memset(r, 0, sizeof(*r));
    r->n = zk_ctl_history_list(inf, owner, &r->all);
    r->collisions = zk_json_int(json_object_get(owner, "status"), "collisionCount", 0);
    json_t *data = zk_ctl_history_data(owner);
    int64_t max = 0;
    for (size_t i = 0; i < r->n; i++) {
        int64_t rev = zk_json_int(r->all[i], "revision", 0);
        if (rev > max)
            max = rev;
        /* the newest of those equal to the template wins */
        if (json_equal(json_object_get(r->all[i], "data"), data))
            r->cur = r->all[i];
    }
    r->max = max;
    if (r->cur) {
        const char *h = zk_json_path_str(r->cur, "metadata", "labels", HASH_LABEL, NULL);
        snprintf(r->hash, sizeof(r->hash), "%s", h ? h : zk_kube_name(r->cur));
        int64_t rev = zk_json_int(r->cur, "revision", 0);
        bool newest = true;
        for (size_t i = 0; i < r->n; i++)
            if (r->all[i] != r->cur && zk_json_int(r->all[i], "revision", 0) >= rev)
                newest = false;
        if (!newest) {
            /* a template seen before (rollout undo) becomes the newest */
            json_t *patch = json_pack("{s:I}", "revision", (json_int_t)(max + 1));
            zk_ctl_batch_patch(b, &zk_kube_controllerrevisions, zk_kube_namespace(owner),
                               zk_kube_name(r->cur), NULL, NULL, patch);
            json_decref(patch);
            r->max = max + 1;
        }
        json_decref(data);
        return;
    }
    /* a new revision; a name taken by different data is a hash collision */
    for (int tries = 0; tries < 8; tries++) {
        zk_ctl_history_hash(data, r->collisions, r->hash, sizeof(r->hash));
        char name[320];
        snprintf(name, sizeof(name), "%.223s-%s", zk_kube_name(owner), r->hash);
        if (!zk_kube_informer_get(inf, zk_kube_namespace(owner), name))
            break;
        r->collisions++;
    }
    r->made = zk_ctl_history_new(owner, data, max + 1, r->hash);
    r->cur = r->made;
    r->max = max + 1;
    zk_ctl_batch_create(b, &zk_kube_controllerrevisions, zk_kube_namespace(owner), r->made);
    json_decref(data);
}

void zk_ctl_history_prune(zk_ctl_batch *b, const zk_ctl_revs *r, int64_t limit,
                          bool (*live)(void *ctx, const json_t *rev), void *ctx)
{
    size_t old = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->all[i] != r->cur)
            old++;
    if (limit < 0 || (int64_t)old <= limit)
        return;
    size_t kill = old - (size_t)limit;
    for (size_t i = 0; i < r->n && kill > 0; i++) {
        json_t *rev = r->all[i];
        if (rev == r->cur || (live && live(ctx, rev)))
            continue;
        zk_ctl_batch_delete(b, &zk_kube_controllerrevisions, zk_kube_namespace(rev),
                            zk_kube_name(rev), zk_kube_uid(rev), NULL);
        kill--;
    }
}

void zk_ctl_revs_free(zk_ctl_revs *r)
{
    free(r->all);
    json_decref(r->made);
    memset(r, 0, sizeof(*r));
}

json_t *zk_ctl_pod_from_template_owned(const json_t *owner, const json_t *tmpl,
                                       const char *prefix)
{
    json_t *pod = zk_ctl_pod_from_template(owner, tmpl, prefix);
    json_t *spec = json_object_get(pod, "spec");
    json_object_set_new(pod, "spec", json_is_object(spec) ? json_deep_copy(spec) : json_object());
    return pod;
}
