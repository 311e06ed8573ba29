/* RFC 7386 JSON Merge Patch. */
#include "kube/patch.h"

#include <stdio.h>
#include <stdlib.h>

int zk_kube_patch__merge_into(json_t *target, const json_t *patch, int depth, json_t **out,
                              zk_err *err)
{
    *out = NULL;
    if (depth > ZK_KUBE_PATCH__MAX_RECURSION) {
        json_decref(target);
        return zk_err_set(err, ZK_ETOOBIG, "merge patch nesting exceeds %d levels",
                          ZK_KUBE_PATCH__MAX_RECURSION);
    }
    if (!json_is_object(patch)) {
        json_decref(target);
        *out = zk_kube_patch__copy(patch);
        return 0;
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
        if (!target)
            abort();
    }
    const char *key;
    size_t klen;
    json_t *pv;
    json_object_keylen_foreach((json_t *)patch, key, klen, pv) {
        if (json_is_null(pv)) {
            json_object_deln(target, key, klen);
            continue;
        }
        /* Merge the member in place: take our own reference so that storing
         * the result does not free it underneath us. */
        json_t *cur = json_incref(json_object_getn(target, key, klen));
        json_t *merged = NULL;
        int rc = zk_kube_patch__merge_into(cur, pv, depth + 1, &merged, err);
        if (rc < 0) {
            json_decref(target);
            return rc;
        }
        if (json_object_setn_new_nocheck(target, key, klen, merged) != 0)
            abort();
    }
    *out = target;
    return 0;
}

int zk_kube_patch_merge(const json_t *doc, const json_t *patch, json_t **out, zk_err *err)
{
    *out = NULL;
    if (!patch)
        return zk_err_set(err, ZK_EINVAL, "merge patch: no patch given");
    /* A non-object patch replaces the document; no need to copy doc first. */
    json_t *target = json_is_object(patch) && doc ? zk_kube_patch__copy(doc) : NULL;
    return zk_kube_patch__merge_into(target, patch, 0, out, err);
}

json_t *zk_kube_patch__copy(const json_t *v)
{
    json_t *c = json_deep_copy(v);
    if (!c) {
        fprintf(stderr, "zke: out of memory copying JSON\n");
        abort();
    }
    return c;
}
