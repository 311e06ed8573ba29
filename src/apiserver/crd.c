/* CustomResourceDefinitions: serving their kinds, and validating, pruning
 * and defaulting custom objects against their structural schemas. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "kube/fielderr.h"
#include "kube/structural.h"

void zk_apis_crd_register(zk_apiserver *srv, const json_t *crd)
{
    json_t *spec = json_object_get(crd, "spec");
    const char *group = zk_json_str(spec, "group");
    json_t *names = json_object_get(spec, "names");
    const char *plural = zk_json_str(names, "plural");
    const char *kind = zk_json_str(names, "kind");
    if (!group || !plural || !kind)
        return;
    const char *singular = zk_json_str(names, "singular");
    const char *scope = zk_json_str(spec, "scope");
    json_t *versions = json_object_get(spec, "versions");
    bool in_all = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(names, "categories"), i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), "all"))
            in_all = true;
    zk_kinds_remove_custom(group, plural);
    json_array_foreach(versions, i, v) {
        const char *vname = zk_json_str(v, "name");
        if (!vname)
            continue;
        zk_kind *k = zk_xcalloc(1, sizeof(*k));
        k->group = zk_xstrdup(group);
        k->version = zk_xstrdup(vname);
        k->kind = zk_xstrdup(kind);
        k->resource = zk_xstrdup(plural);
        if (singular) {
            k->singular = zk_xstrdup(singular);
        } else {
            char *s = zk_xstrdup(kind);
            for (char *p = s; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            k->singular = s;
        }
        k->namespaced = !scope || strcmp(scope, "Cluster");
        k->verbs = ZK_VERBS_ALL;
        k->flags = ZK_KF_CRD;
        json_t *sub = json_object_get(v, "subresources");
        if (json_object_get(sub, "status"))
            k->subresources |= ZK_SUB_STATUS;
        if (json_object_get(sub, "scale")) {
            k->subresources |= ZK_SUB_SCALE;
            k->scale_paths = json_deep_copy(json_object_get(sub, "scale"));
        }
        size_t j;
        json_t *sn;
        json_array_foreach(json_object_get(names, "shortNames"), j, sn)
            if (j < 4 && json_is_string(sn))
                k->short_names[j] = zk_xstrdup(json_string_value(sn));
        k->in_all = in_all;
        k->storage = zk_xasprintf("crd/%s/%s", group, plural);
        json_t *schema = zk_json_path(v, "schema", "openAPIV3Schema", NULL);
        k->crd_schema = schema ? json_deep_copy(schema) : NULL;
        json_t *cols = json_object_get(v, "additionalPrinterColumns");
        k->printer_columns = cols ? json_deep_copy(cols) : NULL;
        k->served = zk_json_bool(v, "served", true);
        zk_kinds_put_custom(k);
    }
    zk_info("serving custom resource %s.%s", plural, group);
}

void zk_apis_crd_unregister(zk_apiserver *srv, const json_t *crd)
{
    json_t *spec = json_object_get(crd, "spec");
    const char *group = zk_json_str(spec, "group");
    const char *plural = zk_json_path_str(spec, "names", "plural", NULL);
    if (!group || !plural)
        return;
    zk_kinds_remove_custom(group, plural);
    /* the custom objects go with their definition */
    char name[512];
    snprintf(name, sizeof(name), "crd/%s/%s", group, plural);
    zk_storage *st = zk_storage_get(srv->storages, name, false);
    if (!st)
        return;
    size_t n = 0, pos = 0;
    void *v;
    while (zk_map_next(st->entries, &pos, NULL, &v))
        if (((zk_entry *)v)->latest)
            n++;
    if (!n)
        return;
    zk_write *w = zk_apis_write_new(srv, n);
    size_t i = 0;
    pos = 0;
    while (zk_map_next(st->entries, &pos, NULL, &v)) {
        zk_entry *e = v;
        if (e->latest && i < n) {
            zk_apis_write_set(w, i++, st, e->latest->ns, e->latest->name, NULL);
        }
    }
    w->n = i;
    zk_apis_write_submit(w, NULL, NULL);
    zk_info("deleted %zu custom objects of %s.%s", i, plural, group);
}

void zk_apis_crd_validate(const zk_kind *k, json_t *obj, struct zk_field_errors *errs)
{
    if (!k->crd_schema)
        return;
    zk_kube_structural_prune(k->crd_schema, obj, NULL, NULL);
    zk_kube_structural_default(k->crd_schema, obj);
    zk_kube_structural_validate(k->crd_schema, obj, errs);
}
