/* Patch entry point: content type, bounded decode, dispatch. */
#include "kube/patch.h"

#include <string.h>
#include <strings.h>

#include "base/json.h"

zk_kube_patch_type zk_kube_patch_type_of(const char *content_type)
{
    static const struct {
        const char *name;
        zk_kube_patch_type type;
    } types[] = {
        {"application/json-patch+json", ZK_KUBE_PATCH_JSON},
        {"application/merge-patch+json", ZK_KUBE_PATCH_MERGE},
        {"application/strategic-merge-patch+json", ZK_KUBE_PATCH_STRATEGIC},
    };
    if (!content_type)
        return ZK_KUBE_PATCH_UNKNOWN;
    const char *s = content_type;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = 0;
    while (s[n] && s[n] != ';' && s[n] != ' ' && s[n] != '\t')
        n++;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strlen(types[i].name) == n && !strncasecmp(s, types[i].name, n))
            return types[i].type;
    return ZK_KUBE_PATCH_UNKNOWN;
}

int zk_kube_patch_apply(const char *content_type, const json_t *doc, const char *patch,
                        size_t len, const zk_schema_type *type, json_t **out, zk_err *err)
{
    *out = NULL;
    zk_err local = {0};
    if (!err)
        err = &local;
    zk_kube_patch_type pt = zk_kube_patch_type_of(content_type);
    if (pt == ZK_KUBE_PATCH_UNKNOWN)
        return zk_err_set(err, ZK_EUNSUPPORTED, "the body of the request was in an unknown "
                          "format (%s) - accepted media types include: application/json-patch+json, "
                          "application/merge-patch+json, application/strategic-merge-patch+json",
                          content_type ? content_type : "no Content-Type");
    if (pt == ZK_KUBE_PATCH_STRATEGIC && !type)
        return zk_err_set(err, ZK_EUNSUPPORTED, "strategic merge patch is not supported for this "
                          "resource; use application/merge-patch+json or "
                          "application/json-patch+json");
    if (len > ZK_KUBE_PATCH_MAX_BYTES)
        return zk_err_set(err, ZK_ETOOBIG, "the patch is %zu bytes; the limit is %u", len,
                          ZK_KUBE_PATCH_MAX_BYTES);
    zk_autojson json_t *p = NULL;
    int rc = zk_json_decode(patch, len, &p, err);
    if (rc < 0) {
        zk_err_wrap(err, "decode patch");
        return rc;
    }
    switch (pt) {
    case ZK_KUBE_PATCH_JSON:
        return zk_kube_patch_json(doc, p, out, err);
    case ZK_KUBE_PATCH_MERGE:
        if (!json_is_object(p))
            return zk_err_set(err, ZK_EPARSE, "a merge patch must be a JSON object");
        return zk_kube_patch_merge(doc, p, out, err);
    case ZK_KUBE_PATCH_STRATEGIC:
        return zk_kube_patch_strategic(doc, p, type, out, err);
    default:
        return zk_err_set(err, ZK_EINTERNAL, "unhandled patch type %d", (int)pt);
    }
}
