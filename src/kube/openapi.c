/* OpenAPI v2 and v3 documents from the field schemas (schema_*.c) and CRD schemas. */
#include "kube/openapi.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "kube/schema_decl.h"

/* ---- names ---------------------------------------------------------- */

#define DEF_TIME N_META "Time"
#define DEF_MICROTIME N_META "MicroTime"
#define DEF_PATCH N_META "Patch"
#define DEF_QUANTITY "io.k8s.apimachinery.pkg.api.resource.Quantity"
#define DEF_INTORSTRING "io.k8s.apimachinery.pkg.util.intstr.IntOrString"

static const char *const default_verbs[] = {
    "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch", NULL,
};

static const char *const patch_types[] = {
    "application/json-patch+json", "application/merge-patch+json",
    "application/strategic-merge-patch+json", "application/apply-patch+yaml", NULL,
};

/* custom resources take no strategic merge patch (kubectl apply reads this
 * to choose its patch type, as kube-apiserver publishes it) */
static const char *const cr_patch_types[] = {
    "application/json-patch+json", "application/merge-patch+json",
    "application/apply-patch+yaml", NULL,
};

static const char *const produce_types[] = { "application/json", "application/yaml", NULL };

/* One generation run: v2 or v3, and the definitions object being filled. */
typedef struct gen {
    bool v3;
    const char *ref_prefix;   /* "#/definitions/" or "#/components/schemas/" */
    json_t *defs;             /* borrowed */
    json_t *paths;            /* borrowed */
} gen;

static void set_str(json_t *o, const char *key, const char *val)
{
    json_object_set_new(o, key, json_string(val));
}

static bool has_str(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

static json_t *str_array(const char *const *list)
{
    json_t *a = json_array();
    for (; list && *list; list++)
        json_array_append_new(a, json_string(*list));
    return a;
}

/* "io.zke" from "zke.io": DNS order reversed, as upstream names CRD definitions. */
static char *reverse_group(const char *group)
{
    size_t len = strlen(group);
    char *out = zk_xmalloc(len + 1);
    size_t o = 0;
    const char *end = group + len;
    while (end > group) {
        const char *dot = end;
        while (dot > group && dot[-1] != '.')
            dot--;
        if (o)
            out[o++] = '.';
        memcpy(out + o, dot, (size_t)(end - dot));
        o += (size_t)(end - dot);
        end = dot > group ? dot - 1 : group;
    }
    out[o] = '\0';
    return out;
}

char *zk_kube_openapi_definition_name(const zk_openapi_kind *k)
{
    if (k->type && k->type->name)
        return zk_xstrdup(k->type->name);
    if (!k->group || !*k->group)
        return zk_xasprintf("io.k8s.api.core.%s.%s", k->version, k->kind);
    char *rev = reverse_group(k->group);
    char *name = zk_xasprintf("%s.%s.%s", rev, k->version, k->kind);
    free(rev);
    return name;
}

/* "AppsV1", "RbacAuthorizationV1", "CoreV1", "ZkeIoV1" for operation ids. */
static char *gv_camel(const char *group, const char *version)
{
    zk_buf b = ZK_BUF_INIT(1024);
    if (!group || !*group) {
        zk_buf_puts(&b, "Core");
    } else {
        size_t len = strlen(group);
        const char *suffix = ".k8s.io";
        if (len > strlen(suffix) && !strcmp(group + len - strlen(suffix), suffix))
            len -= strlen(suffix);
        bool up = true;
        for (size_t i = 0; i < len; i++) {
            char c = group[i];
            if (c == '.' || c == '-') {
                up = true;
                continue;
            }
            zk_buf_putc(&b, up ? (char)toupper((unsigned char)c) : c);
            up = false;
        }
    }
    zk_buf_putc(&b, (char)toupper((unsigned char)version[0]));
    zk_buf_puts(&b, version + 1);
    return zk_buf_steal(&b, NULL);
}

/* "apps_v1", "rbacAuthorization_v1", "core_v1" for tags. */
static char *gv_tag(const char *group, const char *version)
{
    char *camel = gv_camel(group, version);
    size_t vlen = strlen(version);
    size_t len = strlen(camel) - vlen;
    camel[0] = (char)tolower((unsigned char)camel[0]);
    char *tag = zk_xasprintf("%.*s_%s", (int)len, camel, version);
    free(camel);
    return tag;
}

static char *gv_prefix(const char *group, const char *version)
{
    if (!group || !*group)
        return zk_xasprintf("/api/%s", version);
    return zk_xasprintf("/apis/%s/%s", group, version);
}

static json_t *gvk_object(const char *group, const char *version, const char *kind)
{
    return json_pack("{s:s, s:s, s:s}", "group", group ? group : "", "kind", kind, "version",
                     version);
}

/* ---- schemas -------------------------------------------------------- */

static json_t *ref_to(const gen *g, const char *name)
{
    char *ref = zk_xasprintf("%s%s", g->ref_prefix, name);
    json_t *o = json_pack("{s:s}", "$ref", ref);
    free(ref);
    return o;
}

/* A property that refers to a definition. v2 keeps siblings next to $ref; v3
 * ignores them there, so it wraps the reference in allOf, as upstream does. */
static json_t *ref_property(const gen *g, const char *name, const char *description)
{
    json_t *p;
    if (g->v3) {
        p = json_object();
        json_object_set_new(p, "allOf", json_pack("[o]", ref_to(g, name)));
    } else {
        p = ref_to(g, name);
    }
    if (description && *description)
        set_str(p, "description", description);
    return p;
}

static void add_scalar_def(gen *g, const char *name)
{
    if (json_object_get(g->defs, name))
        return;
    json_t *d;
    if (!strcmp(name, DEF_TIME)) {
        d = json_pack("{s:s, s:s, s:s}", "description",
                      "A point in time, RFC 3339 in UTC, second precision.", "type", "string",
                      "format", "date-time");
    } else if (!strcmp(name, DEF_MICROTIME)) {
        d = json_pack("{s:s, s:s, s:s}", "description",
                      "A point in time, RFC 3339 in UTC, microsecond precision.", "type",
                      "string", "format", "date-time");
    } else if (!strcmp(name, DEF_QUANTITY)) {
        const char *desc = "A fixed-point amount such as 100m, 1.5, 128Mi or 1e3. Written as a "
                           "string; numbers are accepted on input.";
        if (g->v3)
            d = json_pack("{s:s, s:[{s:s}, {s:s}]}", "description", desc, "oneOf", "type",
                          "string", "type", "number");
        else
            d = json_pack("{s:s, s:s}", "description", desc, "type", "string");
    } else if (!strcmp(name, DEF_INTORSTRING)) {
        d = json_pack("{s:s, s:s, s:s}", "description",
                      "An integer or a string, such as a port number or name, or a count or "
                      "a percentage.", "type", "string", "format", "int-or-string");
    } else { /* DEF_PATCH */
        d = json_pack("{s:s, s:s}", "description",
                      "A patch document; its format is given by the Content-Type: JSON patch, "
                      "merge patch, strategic merge patch or apply configuration.",
                      "type", "object");
    }
    json_object_set_new(g->defs, name, d);
}

static void add_type(gen *g, const zk_schema_type *t);

/* Schema of an array item or map value. */
static json_t *item_schema(gen *g, const zk_schema_item *it)
{
    switch (it->kind) {
    case ZK_S_STRING:
        return json_pack("{s:s}", "type", "string");
    case ZK_S_INTEGER:
        return json_pack("{s:s, s:s}", "type", "integer", "format",
                         it->format ? it->format : "int32");
    case ZK_S_NUMBER:
        return json_pack("{s:s, s:s}", "type", "number", "format", "double");
    case ZK_S_BOOLEAN:
        return json_pack("{s:s}", "type", "boolean");
    case ZK_S_BYTES:
        return json_pack("{s:s, s:s}", "type", "string", "format", "byte");
    case ZK_S_OBJECT:
        add_type(g, it->ref);
        return ref_to(g, it->ref->name);
    case ZK_S_QUANTITY:
        add_scalar_def(g, DEF_QUANTITY);
        return ref_to(g, DEF_QUANTITY);
    case ZK_S_INT_OR_STRING:
        add_scalar_def(g, DEF_INTORSTRING);
        return ref_to(g, DEF_INTORSTRING);
    case ZK_S_TIME: {
        const char *def = it->format && !strcmp(it->format, "micro-time") ? DEF_MICROTIME
                                                                          : DEF_TIME;
        add_scalar_def(g, def);
        return ref_to(g, def);
    }
    case ZK_S_ARRAY: /* not used by the tables; a list of strings is the only sensible one */
        return json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string");
    case ZK_S_MAP:
        return json_pack("{s:s, s:{s:s}}", "type", "object", "additionalProperties", "type",
                         "string");
    case ZK_S_ANY:
    default:
        return json_pack("{s:b}", "x-kubernetes-preserve-unknown-fields", 1);
    }
}

static const char *strategy_name(unsigned strategy)
{
    bool merge = strategy & ZK_PATCH_MERGE, retain = strategy & ZK_PATCH_RETAINKEYS;
    if (merge && retain)
        return "merge,retainKeys";
    if (merge)
        return "merge";
    if (retain)
        return "retainKeys";
    if (strategy & ZK_PATCH_REPLACE)
        return "replace";
    return NULL;
}

static json_t *field_schema(gen *g, const zk_schema_field *f)
{
    json_t *p;
    const char *d = f->description;
    switch (f->kind) {
    case ZK_S_OBJECT:
        add_type(g, f->ref);
        p = ref_property(g, f->ref->name, d);
        break;
    case ZK_S_QUANTITY:
        add_scalar_def(g, DEF_QUANTITY);
        p = ref_property(g, DEF_QUANTITY, d);
        break;
    case ZK_S_INT_OR_STRING:
        add_scalar_def(g, DEF_INTORSTRING);
        p = ref_property(g, DEF_INTORSTRING, d);
        break;
    case ZK_S_TIME: {
        const char *def = f->format && !strcmp(f->format, "micro-time") ? DEF_MICROTIME
                                                                        : DEF_TIME;
        add_scalar_def(g, def);
        p = ref_property(g, def, d);
        break;
    }
    case ZK_S_ARRAY:
        p = json_pack("{s:s, s:o}", "type", "array", "items", item_schema(g, &f->elem));
        break;
    case ZK_S_MAP:
        p = json_pack("{s:s, s:o}", "type", "object", "additionalProperties",
                      item_schema(g, &f->elem));
        break;
    case ZK_S_ANY:
        p = json_object();
        break;
    default: {
        zk_schema_item it = { f->kind, NULL, f->format };
        p = item_schema(g, &it);
        if (f->format && f->kind == ZK_S_STRING)
            set_str(p, "format", f->format);
        break;
    }
    }
    if (f->kind != ZK_S_OBJECT && f->kind != ZK_S_QUANTITY && f->kind != ZK_S_INT_OR_STRING &&
        f->kind != ZK_S_TIME && d && *d)
        set_str(p, "description", d);
    if (f->enums)
        json_object_set_new(p, "enum", str_array(f->enums));
    if (f->kind == ZK_S_ANY)
        json_object_set_new(p, "x-kubernetes-preserve-unknown-fields", json_true());
    if (f->list_type)
        set_str(p, "x-kubernetes-list-type", f->list_type);
    if (f->list_map_keys)
        json_object_set_new(p, "x-kubernetes-list-map-keys", str_array(f->list_map_keys));
    if (f->merge_key)
        set_str(p, "x-kubernetes-patch-merge-key", f->merge_key);
    const char *strategy = strategy_name(f->strategy);
    if (strategy)
        set_str(p, "x-kubernetes-patch-strategy", strategy);
    return p;
}

/* Add t, and every type it refers to, to the definitions. */
static void add_type(gen *g, const zk_schema_type *t)
{
    if (!t || json_object_get(g->defs, t->name))
        return;
    /* Registered before its fields are walked, so cycles (JSONSchemaProps) end. */
    json_t *d = json_object();
    json_object_set_new(g->defs, t->name, d);
    if (t->description && *t->description)
        set_str(d, "description", t->description);
    set_str(d, "type", "object");
    json_t *props = json_object(), *required = json_array();
    for (const zk_schema_field *f = t->fields; f && f->name; f++) {
        json_object_set_new(props, f->name, field_schema(g, f));
        if (f->flags & ZK_F_REQUIRED)
            json_array_append_new(required, json_string(f->name));
    }
    if (json_object_size(props))
        json_object_set_new(d, "properties", props);
    else
        json_decref(props);
    if (json_array_size(required))
        json_object_set_new(d, "required", required);
    else
        json_decref(required);
    if (t->gvk_kind)
        json_object_set_new(d, "x-kubernetes-group-version-kind",
                            json_pack("[o]", gvk_object(t->gvk_group, t->gvk_version,
                                                        t->gvk_kind)));
}

/* Keys a Swagger 2.0 schema object may have (besides x- extensions). */
static const char *const v2_schema_keys[] = {
    "$ref", "additionalProperties", "allOf", "default", "description", "discriminator",
    "enum", "example", "exclusiveMaximum", "exclusiveMinimum", "externalDocs", "format",
    "items", "maxItems", "maxLength", "maxProperties", "maximum", "minItems", "minLength",
    "minProperties", "minimum", "multipleOf", "pattern", "properties", "readOnly",
    "required", "title", "type", "uniqueItems", NULL,
};

/* A copy of a CRD's JSON Schema that Swagger 2.0 can hold: keywords v2 lacks
 * (nullable, oneOf, anyOf, not, ...) are dropped, nested schemas likewise. */
static json_t *v2_schema_copy(const json_t *s, int depth)
{
    if (!json_is_object(s) || depth > 64)
        return json_object();
    json_t *out = json_object();
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)s, key, val) {
        if (strncmp(key, "x-", 2) && !has_str(v2_schema_keys, key))
            continue;
        if (!strcmp(key, "properties") && json_is_object(val)) {
            json_t *props = json_object();
            const char *pk;
            json_t *pv;
            json_object_foreach(val, pk, pv)
                json_object_set_new(props, pk, v2_schema_copy(pv, depth + 1));
            json_object_set_new(out, key, props);
        } else if ((!strcmp(key, "additionalProperties") || !strcmp(key, "items")) &&
                   json_is_object(val)) {
            json_object_set_new(out, key, v2_schema_copy(val, depth + 1));
        } else if ((!strcmp(key, "allOf") || !strcmp(key, "items")) && json_is_array(val)) {
            json_t *arr = json_array();
            size_t i;
            json_t *item;
            json_array_foreach(val, i, item)
                json_array_append_new(arr, v2_schema_copy(item, depth + 1));
            json_object_set_new(out, key, arr);
        } else if (!strcmp(key, "type") && !json_is_string(val)) {
            continue;
        } else {
            json_object_set_new(out, key, json_deep_copy(val));
        }
    }
    /* v2 has no way to say "integer or string"; leave the type open. */
    if (json_is_true(json_object_get(s, "x-kubernetes-int-or-string")))
        json_object_del(out, "type");
    return out;
}

static void add_crd_def(gen *g, const zk_openapi_kind *k, const char *name)
{
    if (json_object_get(g->defs, name))
        return;
    json_t *d;
    if (json_is_object(k->crd_schema))
        d = g->v3 ? json_deep_copy(k->crd_schema) : v2_schema_copy(k->crd_schema, 0);
    else
        d = json_pack("{s:b}", "x-kubernetes-preserve-unknown-fields", 1);
    if (!json_object_get(d, "type"))
        set_str(d, "type", "object");
    json_t *props = json_object_get(d, "properties");
    if (!json_is_object(props)) {
        props = json_object();
        json_object_set_new(d, "properties", props);
    }
    json_object_set_new(props, "apiVersion", json_pack("{s:s, s:s}", "description",
        "The versioned schema of this representation of an object, group/version.",
        "type", "string"));
    json_object_set_new(props, "kind", json_pack("{s:s, s:s}", "description",
        "The REST resource this object represents, in CamelCase.", "type", "string"));
    add_type(g, &ZKT(meta_ObjectMeta));
    json_object_set_new(props, "metadata",
                        ref_property(g, ZKT(meta_ObjectMeta).name, "Standard object metadata."));
    json_object_set_new(d, "x-kubernetes-group-version-kind",
                        json_pack("[o]", gvk_object(k->group, k->version, k->kind)));
    json_object_set_new(g->defs, name, d);
}

static void add_list_def(gen *g, const zk_openapi_kind *k, const char *name,
                         const char *list_name)
{
    if (json_object_get(g->defs, list_name))
        return;
    add_type(g, &ZKT(meta_ListMeta));
    char *desc = zk_xasprintf("A list of %s objects.", k->kind);
    char *list_kind = zk_xasprintf("%sList", k->kind);
    json_t *d = json_pack(
        "{s:s, s:s, s:[s], s:{s:{s:s, s:s}, s:{s:s, s:s, s:o}, s:{s:s, s:s}, s:o},"
        " s:[o]}",
        "description", desc, "type", "object", "required", "items", "properties",
        "apiVersion", "description", "The versioned schema of this list.", "type", "string",
        "items", "description", "The objects.", "type", "array", "items", ref_to(g, name),
        "kind", "description", "The REST resource this list represents.", "type", "string",
        "metadata", ref_property(g, ZKT(meta_ListMeta).name, "Standard list metadata."),
        "x-kubernetes-group-version-kind", gvk_object(k->group, k->version, list_kind));
    json_object_set_new(g->defs, list_name, d);
    free(desc);
    free(list_kind);
}

/* ---- operations ----------------------------------------------------- */

typedef struct param_def {
    const char *name, *type, *description;
} param_def;

static const param_def query_params[] = {
    { "pretty", "string", "If 'true', the output is indented." },
    { "dryRun", "string", "When present, the request is processed but nothing is persisted. "
                          "The only valid value is All." },
    { "fieldManager", "string", "Name of the actor making the change, recorded in "
                                "managedFields." },
    { "fieldValidation", "string", "What the server does with unknown or duplicate fields "
                                   "in the body: Ignore, Warn (the default) or Strict." },
    { "force", "boolean", "Apply requests only: take ownership of fields other managers "
                          "own." },
    { "allowWatchBookmarks", "boolean", "Ask for BOOKMARK events in a watch." },
    { "continue", "string", "Token from a previous page of a paginated list." },
    { "fieldSelector", "string", "Select objects by fields; everything when empty." },
    { "labelSelector", "string", "Select objects by labels; everything when empty." },
    { "limit", "integer", "Largest number of items to return; the rest is reached through "
                          "continue." },
    { "resourceVersion", "string", "Constrains which version of the data is served; see the "
                                   "API concepts." },
    { "resourceVersionMatch", "string", "How resourceVersion is applied: Exact or "
                                        "NotOlderThan." },
    { "sendInitialEvents", "boolean", "With watch: start with synthetic events for the "
                                      "current state." },
    { "timeoutSeconds", "integer", "Time limit of the list or watch call." },
    { "watch", "boolean", "Stream changes as watch events instead of returning a list." },
    { "gracePeriodSeconds", "integer", "Seconds before the object is deleted; zero means "
                                       "now." },
    { "orphanDependents", "boolean", "Deprecated: use propagationPolicy." },
    { "propagationPolicy", "string", "Garbage collection of dependents: Orphan, Background "
                                     "or Foreground." },
    { "ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
      "Delete even when the stored object cannot be read; dangerous." },
    { "container", "string", "Container to use; may be left out when the pod has one." },
    { "follow", "boolean", "Keep streaming the log." },
    { "insecureSkipTLSVerifyBackend", "boolean", "Do not verify the node's serving "
                                                 "certificate." },
    { "limitBytes", "integer", "Stop after this many bytes." },
    { "previous", "boolean", "Log of the previous, terminated run of the container." },
    { "sinceSeconds", "integer", "Only lines newer than this many seconds." },
    { "stream", "string", "Which stream: All, Stdout or Stderr." },
    { "tailLines", "integer", "Number of lines from the end to show." },
    { "timestamps", "boolean", "Prefix each line with its RFC 3339 timestamp." },
    { "command", "string", "Command to run, one parameter per argument." },
    { "stdin", "boolean", "Attach stdin." },
    { "stdout", "boolean", "Attach stdout." },
    { "stderr", "boolean", "Attach stderr." },
    { "tty", "boolean", "Allocate a terminal." },
    { "ports", "integer", "Ports to forward." },
    { "path", "string", "Path of the request to proxy." },
    { NULL, NULL, NULL },
};

static const char *const params_list[] = {
    "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
    "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch",
    NULL,
};
static const char *const params_write[] = { "dryRun", "fieldManager", "fieldValidation", NULL };
static const char *const params_patch[] = {
    "dryRun", "fieldManager", "fieldValidation", "force", NULL,
};
static const char *const params_delete[] = {
    "dryRun", "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential",
    "orphanDependents", "propagationPolicy", NULL,
};
static const char *const params_deletecollection[] = {
    "continue", "dryRun", "fieldSelector", "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential", "labelSelector", "limit",
    "orphanDependents", "propagationPolicy", "resourceVersion", "resourceVersionMatch",
    "sendInitialEvents", "timeoutSeconds", NULL,
};
static const char *const params_log[] = {
    "container", "follow", "insecureSkipTLSVerifyBackend", "limitBytes", "previous",
    "sinceSeconds", "stream", "tailLines", "timestamps", NULL,
};
static const char *const params_exec[] = {
    "command", "container", "stderr", "stdin", "stdout", "tty", NULL,
};
static const char *const params_attach[] = {
    "container", "stderr", "stdin", "stdout", "tty", NULL,
};
static const char *const params_portforward[] = { "ports", NULL };
static const char *const params_proxy[] = { "path", NULL };

static json_t *param_json(const gen *g, const char *name, const char *in, const char *type,
                          const char *description, bool required)
{
    json_t *p = json_pack("{s:s, s:s, s:s}", "name", name, "in", in, "description",
                          description);
    if (required)
        json_object_set_new(p, "required", json_true());
    if (g->v3) {
        json_object_set_new(p, "schema", json_pack("{s:s, s:b}", "type", type,
                                                   "uniqueItems", 1));
    } else {
        set_str(p, "type", type);
        json_object_set_new(p, "uniqueItems", json_true());
    }
    return p;
}

static void add_query_params(const gen *g, json_t *params, const char *const *names)
{
    for (; names && *names; names++)
        for (const param_def *d = query_params; d->name; d++)
            if (!strcmp(d->name, *names)) {
                json_array_append_new(params, param_json(g, d->name, "query", d->type,
                                                         d->description, false));
                break;
            }
}

/* Parameters shared by every operation of a path: name, namespace, pretty. */
static json_t *path_params(const gen *g, const char *kind, bool with_name, bool namespaced)
{
    json_t *params = json_array();
    if (with_name) {
        char *desc = zk_xasprintf("name of the %s", kind);
        json_array_append_new(params, param_json(g, "name", "path", "string", desc, true));
        free(desc);
    }
    if (namespaced)
        json_array_append_new(params, param_json(g, "namespace", "path", "string",
                                                 "object name and auth scope, such as for "
                                                 "teams and projects", true));
    add_query_params(g, params, (const char *const[]){ "pretty", NULL });
    return params;
}

/* What one operation returns and takes. */
typedef struct op_spec {
    const char *method;        /* get post put patch delete */
    const char *action;        /* x-kubernetes-action */
    const char *verb_id;       /* operationId prefix: list read create ... */
    const char *summary;       /* description, with %s for the kind */
    const char *const *query;  /* query parameter names */
    const char *body;          /* request body definition, or NULL */
    bool patch_body;           /* body is a patch (v2 consumes, v3 content types) */
    const char *response;      /* 200 response definition, or NULL for a string */
    bool created;              /* 201 (and 202) responses too */
    const char *gvk_group, *gvk_version, *gvk_kind; /* NULL kind: no extension */
} op_spec;

typedef struct kind_ctx {
    const zk_openapi_kind *k;
    char *gv_camel;    /* AppsV1 */
    char *tag;         /* apps_v1 */
    char *prefix;      /* /apis/apps/v1 */
    char *def;         /* definition name of the kind */
    char *list_def;    /* definition name of its list */
} kind_ctx;

static json_t *content_of(const gen *g, const char *const *types, const char *def)
{
    json_t *c = json_object();
    for (; *types; types++) {
        json_t *media = json_object();
        if (def)
            json_object_set_new(media, "schema", ref_to(g, def));
        else
            json_object_set_new(media, "schema", json_pack("{s:s}", "type", "string"));
        json_object_set_new(c, *types, media);
    }
    return c;
}

static json_t *response_json(const gen *g, const char *description, const char *def)
{
    json_t *r = json_pack("{s:s}", "description", description);
    if (g->v3)
        json_object_set_new(r, "content", content_of(g, produce_types, def));
    else if (def)
        json_object_set_new(r, "schema", ref_to(g, def));
    else
        json_object_set_new(r, "schema", json_pack("{s:s}", "type", "string"));
    return r;
}

static json_t *operation(const gen *g, const kind_ctx *c, const op_spec *s, const char *opid)
{
    json_t *op = json_object();
    char *desc = zk_xasprintf(s->summary, c->k->kind);
    set_str(op, "description", desc);
    free(desc);
    set_str(op, "operationId", opid);
    json_object_set_new(op, "tags", json_pack("[s]", c->tag));
    json_t *params = json_array();
    if (s->body && !g->v3)
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o}", "name", "body", "in",
                                                "body", "required", 1, "schema",
                                                ref_to(g, s->body)));
    add_query_params(g, params, s->query);
    if (json_array_size(params))
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    const char *const *patches = c->k->crd_schema ? cr_patch_types : patch_types;
    if (s->body && g->v3)
        json_object_set_new(op, "requestBody", json_pack(
            "{s:o, s:b}", "content",
            content_of(g, s->patch_body ? patches : (const char *const[]){ "*/*", NULL },
                       s->body),
            "required", 1));
    if (!g->v3) {
        json_object_set_new(op, "consumes", s->patch_body ? str_array(patches)
                                                          : json_pack("[s]", "*/*"));
        json_object_set_new(op, "produces", str_array(produce_types));
        json_object_set_new(op, "schemes", json_pack("[s]", "https"));
    }
    json_t *responses = json_object();
    json_object_set_new(responses, "200", response_json(g, "OK", s->response));
    if (s->created) {
        json_object_set_new(responses, "201", response_json(g, "Created", s->response));
        json_object_set_new(responses, "202", response_json(g, "Accepted", s->response));
    }
    json_object_set_new(responses, "401", json_pack("{s:s}", "description", "Unauthorized"));
    json_object_set_new(op, "responses", responses);
    set_str(op, "x-kubernetes-action", s->action);
    if (s->gvk_kind)
        json_object_set_new(op, "x-kubernetes-group-version-kind",
                            gvk_object(s->gvk_group, s->gvk_version, s->gvk_kind));
    return op;
}

/* The path item at path, created with its shared parameters when new. */
static json_t *path_item(gen *g, const char *path, const kind_ctx *c, bool with_name,
                         bool namespaced)
{
    json_t *item = json_object_get(g->paths, path);
    if (!item) {
        item = json_object();
        json_object_set_new(item, "parameters",
                            path_params(g, c->k->kind, with_name, namespaced));
        json_object_set_new(g->paths, path, item);
    }
    return item;
}

static void add_op(gen *g, const kind_ctx *c, const char *path, bool with_name,
                   bool namespaced, const op_spec *s, const char *what)
{
    json_t *item = path_item(g, path, c, with_name, namespaced);
    char *opid = zk_xasprintf("%s%s%s%s", s->verb_id, c->gv_camel,
                              namespaced ? "Namespaced" : "", what);
    json_object_set_new(item, s->method, operation(g, c, s, opid));
    free(opid);
}

static void add_subresource(gen *g, const kind_ctx *c, const char *item_path, const char *sub)
{
    const zk_openapi_kind *k = c->k;
    bool ns = k->namespaced;
    /* sub becomes part of printf formats below */
    if (!*sub || strchr(sub, '%') || strchr(sub, '/'))
        return;
    char *path = zk_xasprintf("%s/%s", item_path, sub);
    char *what = zk_xasprintf("%s%c%s", k->kind, toupper((unsigned char)sub[0]), sub + 1);
    const zk_schema_type *t = NULL;

    if (!strcmp(sub, "status") || !strcmp(sub, "ephemeralcontainers") ||
        !strcmp(sub, "resize") || !strcmp(sub, "scale")) {
        const char *g_ = k->group, *v = k->version, *kd = k->kind, *def = c->def;
        if (!strcmp(sub, "scale")) {
            t = &ZKT(as1_Scale);
            add_type(g, t);
            g_ = t->gvk_group, v = t->gvk_version, kd = t->gvk_kind, def = t->name;
        }
        char *rd = zk_xasprintf("read %s of the specified %%s", sub);
        char *rp = zk_xasprintf("replace %s of the specified %%s", sub);
        char *pa = zk_xasprintf("partially update %s of the specified %%s", sub);
        op_spec ops[] = {
            { "get", "get", "read", rd, NULL, NULL, false, def, false, g_, v, kd },
            { "put", "put", "replace", rp, params_write, def, false, def, true, g_, v, kd },
            { "patch", "patch", "patch", pa, params_patch, DEF_PATCH, true, def, true, g_, v,
              kd },
        };
        add_scalar_def(g, DEF_PATCH);
        for (size_t i = 0; i < ZK_ARRAY_LEN(ops); i++)
            add_op(g, c, path, true, ns, &ops[i], what);
        free(rd);
        free(rp);
        free(pa);
    } else if (!strcmp(sub, "binding") || !strcmp(sub, "eviction") || !strcmp(sub, "token")) {
        t = !strcmp(sub, "binding")    ? &ZKT(core_Binding)
            : !strcmp(sub, "eviction") ? &ZKT(policy_Eviction)
                                       : &ZKT(authn_TokenRequest);
        add_type(g, t);
        char *cr = zk_xasprintf("create %s of a %%s", sub);
        op_spec op = { "post", "post", "create", cr, params_write, t->name, false, t->name,
                       true, t->gvk_group, t->gvk_version, t->gvk_kind };
        add_op(g, c, path, true, ns, &op, what);
        free(cr);
    } else if (!strcmp(sub, "log")) {
        op_spec op = { "get", "get", "read", "read the log of the specified %s", params_log,
                       NULL, false, NULL, false, NULL, NULL, NULL };
        add_op(g, c, path, true, ns, &op, what);
    } else {
        /* exec, attach, portforward, proxy and anything unknown: connect operations */
        const char *const *q = !strcmp(sub, "exec")          ? params_exec
                               : !strcmp(sub, "attach")      ? params_attach
                               : !strcmp(sub, "portforward") ? params_portforward
                               : !strcmp(sub, "proxy")       ? params_proxy
                                                             : NULL;
        char *d = zk_xasprintf("connect GET or POST requests to %s of %%s", sub);
        op_spec get = { "get", "connect", "connectGet", d, q, NULL, false, NULL, false,
                        NULL, NULL, NULL };
        op_spec post = { "post", "connect", "connectPost", d, q, NULL, false, NULL, false,
                         NULL, NULL, NULL };
        add_op(g, c, path, true, ns, &get, what);
        add_op(g, c, path, true, ns, &post, what);
        free(d);
    }
    free(path);
    free(what);
}

static void kind_ctx_init(kind_ctx *c, const zk_openapi_kind *k)
{
    c->k = k;
    c->gv_camel = gv_camel(k->group, k->version);
    c->tag = gv_tag(k->group, k->version);
    c->prefix = gv_prefix(k->group, k->version);
    c->def = zk_kube_openapi_definition_name(k);
    c->list_def = zk_xasprintf("%sList", c->def);
}

static void kind_ctx_free(kind_ctx *c)
{
    free(c->gv_camel);
    free(c->tag);
    free(c->prefix);
    free(c->def);
    free(c->list_def);
}

static void add_kind(gen *g, const zk_openapi_kind *k)
{
    if (!k->kind || !k->version || !k->resource)
        return;
    kind_ctx c;
    kind_ctx_init(&c, k);
    const char *const *verbs = k->verbs ? k->verbs : default_verbs;
    const char *gr = k->group ? k->group : "", *v = k->version, *kd = k->kind;
    bool ns = k->namespaced;

    if (k->type)
        add_type(g, k->type);
    else
        add_crd_def(g, k, c.def);
    add_type(g, &ZKT(meta_Status));
    add_type(g, &ZKT(meta_DeleteOptions));
    add_scalar_def(g, DEF_PATCH);

    char *coll = ns ? zk_xasprintf("%s/namespaces/{namespace}/%s", c.prefix, k->resource)
                    : zk_xasprintf("%s/%s", c.prefix, k->resource);
    char *item = zk_xasprintf("%s/{name}", coll);

    if (has_str(verbs, "list")) {
        add_list_def(g, k, c.def, c.list_def);
        op_spec list = { "get", "list", "list", "list or watch objects of kind %s",
                         params_list, NULL, false, c.list_def, false, gr, v, kd };
        add_op(g, &c, coll, false, ns, &list, kd);
        if (ns) {
            /* the cluster-wide list of a namespaced resource */
            char *all = zk_xasprintf("%s/%s", c.prefix, k->resource);
            char *what = zk_xasprintf("%sForAllNamespaces", kd);
            add_op(g, &c, all, false, false, &list, what);
            free(all);
            free(what);
        }
    }
    if (has_str(verbs, "create")) {
        op_spec op = { "post", "post", "create", "create a %s", params_write, c.def, false,
                       c.def, true, gr, v, kd };
        add_op(g, &c, coll, false, ns, &op, kd);
    }
    if (has_str(verbs, "deletecollection")) {
        op_spec op = { "delete", "deletecollection", "deleteCollection",
                       "delete a collection of %s", params_deletecollection,
                       ZKT(meta_DeleteOptions).name, false, ZKT(meta_Status).name, false, gr,
                       v, kd };
        add_op(g, &c, coll, false, ns, &op, kd);
    }
    if (has_str(verbs, "get")) {
        op_spec op = { "get", "get", "read", "read the specified %s", NULL, NULL, false,
                       c.def, false, gr, v, kd };
        add_op(g, &c, item, true, ns, &op, kd);
    }
    if (has_str(verbs, "update")) {
        op_spec op = { "put", "put", "replace", "replace the specified %s", params_write,
                       c.def, false, c.def, true, gr, v, kd };
        add_op(g, &c, item, true, ns, &op, kd);
    }
    if (has_str(verbs, "patch")) {
        op_spec op = { "patch", "patch", "patch", "partially update the specified %s",
                       params_patch, DEF_PATCH, true, c.def, true, gr, v, kd };
        add_op(g, &c, item, true, ns, &op, kd);
    }
    if (has_str(verbs, "delete")) {
        op_spec op = { "delete", "delete", "delete", "delete a %s", params_delete,
                       ZKT(meta_DeleteOptions).name, false, ZKT(meta_Status).name, true, gr,
                       v, kd };
        add_op(g, &c, item, true, ns, &op, kd);
    }
    for (const char *const *s = k->subresources; s && *s; s++)
        add_subresource(g, &c, item, *s);

    free(coll);
    free(item);
    kind_ctx_free(&c);
}

/* GET /apis/<group>/<version>/ : the discovery document of a group-version. */
static void add_discovery_path(gen *g, const char *group, const char *version)
{
    char *prefix = gv_prefix(group, version);
    char *path = zk_xasprintf("%s/", prefix);
    if (!json_object_get(g->paths, path)) {
        add_type(g, &ZKT(meta_APIResourceList));
        char *camel = gv_camel(group, version);
        char *tag = gv_tag(group, version);
        char *opid = zk_xasprintf("get%sAPIResources", camel);
        json_t *op = json_pack("{s:s, s:s, s:[s], s:{s:o, s:{s:s}}}", "description",
                               "get available resources", "operationId", opid, "tags", tag,
                               "responses", "200",
                               response_json(g, "OK", ZKT(meta_APIResourceList).name), "401",
                               "description", "Unauthorized");
        if (!g->v3) {
            json_object_set_new(op, "consumes", str_array(produce_types));
            json_object_set_new(op, "produces", str_array(produce_types));
            json_object_set_new(op, "schemes", json_pack("[s]", "https"));
        }
        json_object_set_new(g->paths, path, json_pack("{s:o}", "get", op));
        free(camel);
        free(tag);
        free(opid);
    }
    free(path);
    free(prefix);
}

static json_t *security_scheme(void)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "type", "apiKey", "name", "authorization", "in",
                     "header", "description", "Bearer token authentication");
}

static bool same_gv(const zk_openapi_kind *k, const char *group, const char *version)
{
    return !strcmp(k->group ? k->group : "", group ? group : "") && k->version &&
           !strcmp(k->version, version);
}

/* ---- documents ------------------------------------------------------ */

json_t *zk_kube_openapi_v2(const zk_openapi_kind *kinds, size_t n, const char *server_version)
{
    json_t *doc = json_object();
    set_str(doc, "swagger", "2.0");
    json_object_set_new(doc, "info", json_pack("{s:s, s:s}", "title", "Kubernetes", "version",
                                               server_version ? server_version
                                                              : "unversioned"));
    gen g = { .v3 = false, .ref_prefix = "#/definitions/", .defs = json_object(),
              .paths = json_object() };
    json_object_set_new(doc, "paths", g.paths);
    json_object_set_new(doc, "definitions", g.defs);
    add_type(&g, &ZKT(meta_WatchEvent));
    for (size_t i = 0; i < n; i++) {
        add_discovery_path(&g, kinds[i].group, kinds[i].version);
        add_kind(&g, &kinds[i]);
    }
    json_object_set_new(doc, "securityDefinitions", json_pack("{s:o}", "BearerToken",
                                                              security_scheme()));
    json_object_set_new(doc, "security", json_pack("[{s:[]}]", "BearerToken"));
    return doc;
}

json_t *zk_kube_openapi_v3_group_version(const zk_openapi_kind *kinds, size_t n,
                                         const char *group, const char *version)
{
    if (!version)
        return NULL;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = same_gv(&kinds[i], group, version);
    if (!found)
        return NULL;
    json_t *doc = json_object();
    set_str(doc, "openapi", "3.0.0");
    json_object_set_new(doc, "info", json_pack("{s:s, s:s}", "title", "Kubernetes", "version",
                                               "unversioned"));
    gen g = { .v3 = true, .ref_prefix = "#/components/schemas/", .defs = json_object(),
              .paths = json_object() };
    json_object_set_new(doc, "paths", g.paths);
    json_object_set_new(doc, "components",
                        json_pack("{s:o, s:{s:o}}", "schemas", g.defs, "securitySchemes",
                                  "BearerToken", security_scheme()));
    add_discovery_path(&g, group, version);
    for (size_t i = 0; i < n; i++)
        if (same_gv(&kinds[i], group, version))
            add_kind(&g, &kinds[i]);
    json_object_set_new(doc, "security", json_pack("[{s:[]}]", "BearerToken"));
    return doc;
}

char *zk_kube_openapi_hash(const json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        abort();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha512(), NULL))
        abort();
    free(text);
    static const char hex[] = "0123456789ABCDEF";
    char *out = zk_xmalloc(2 * mdlen + 1);
    for (unsigned int i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * mdlen] = '\0';
    return out;
}

json_t *zk_kube_openapi_v3_index(const zk_openapi_kind *kinds, size_t n)
{
    json_t *paths = json_object();
    for (size_t i = 0; i < n; i++) {
        const char *group = kinds[i].group ? kinds[i].group : "";
        const char *version = kinds[i].version;
        if (!version)
            continue;
        char *key = *group ? zk_xasprintf("apis/%s/%s", group, version)
                           : zk_xasprintf("api/%s", version);
        if (!json_object_get(paths, key)) {
            json_t *doc = zk_kube_openapi_v3_group_version(kinds, n, group, version);
            char *hash = zk_kube_openapi_hash(doc);
            char *url = zk_xasprintf("/openapi/v3/%s?hash=%s", key, hash);
            json_object_set_new(paths, key, json_pack("{s:s}", "serverRelativeURL", url));
            free(url);
            free(hash);
            json_decref(doc);
        }
        free(key);
    }
    return json_pack("{s:o}", "paths", paths);
}
