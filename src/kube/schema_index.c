/* The index over the schema tables: every type, and lookup of top-level kinds. */
#include <string.h>

#include "kube/schema_decl.h"

#define ZK__ADDR(id) &ZKT(id),

static const zk_schema_type *const all_types[] = {
    ZK_KUBE_SCHEMA_TYPES(ZK__ADDR)
    NULL,
};

const zk_schema_type *const *zk_kube_schema_all(void)
{
    return all_types;
}

const zk_schema_type *zk_kube_schema_for_kind(const char *group, const char *version,
                                              const char *kind)
{
    if (!version || !kind)
        return NULL;
    if (!group)
        group = "";
    /* A few hundred rows, a few dozen of them kinds: a scan is cheap enough and
     * needs no lazily built (and locked) index. */
    for (const zk_schema_type *const *t = all_types; *t; t++) {
        const zk_schema_type *s = *t;
        if (s->gvk_kind && !strcmp(s->gvk_kind, kind) && !strcmp(s->gvk_version, version) &&
            !strcmp(s->gvk_group, group))
            return s;
    }
    return NULL;
}
