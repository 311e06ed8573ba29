/* zke kube: field schemas of the built-in kinds, in zke's compact form.
 *
 * One declaration per type drives: the OpenAPI v2/v3 documents, unknown-field
 * detection (fieldValidation), strategic-merge-patch metadata, and structural
 * checks. Declarations are static const tables (see schema_*.c); a type is a
 * list of fields, a field names its type and, for lists, its merge strategy.
 *
 * Names of types follow the OpenAPI definition names that kubectl looks up:
 * "io.k8s.api.apps.v1.Deployment", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta". */
#ifndef ZK_KUBE_SCHEMA_H
#define ZK_KUBE_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

typedef enum zk_schema_kind {
    ZK_S_STRING = 1,
    ZK_S_INTEGER,      /* int32 or int64, see format */
    ZK_S_NUMBER,
    ZK_S_BOOLEAN,
    ZK_S_OBJECT,       /* a declared type: ref is set */
    ZK_S_ARRAY,        /* elem says what the items are */
    ZK_S_MAP,          /* object with arbitrary keys; elem says the values */
    ZK_S_QUANTITY,     /* resource.Quantity: string or number */
    ZK_S_INT_OR_STRING,
    ZK_S_TIME,         /* RFC 3339 string (format date-time) */
    ZK_S_BYTES,        /* base64 string (format byte) */
    ZK_S_ANY,          /* arbitrary JSON (RawExtension, JSON) */
} zk_schema_kind;

/* Patch strategy of a list (or map) field, as in x-kubernetes-patch-strategy. */
enum {
    ZK_PATCH_NONE = 0,        /* atomic: a patch replaces the whole list */
    ZK_PATCH_MERGE = 1 << 0,  /* lists merged by merge_key (or set-union for primitives) */
    ZK_PATCH_RETAINKEYS = 1 << 1,
    ZK_PATCH_REPLACE = 1 << 2,
};

/* Field flags. */
enum {
    ZK_F_REQUIRED = 1 << 0,
    ZK_F_READONLY = 1 << 1,   /* set by the server (status fields are not marked) */
};

typedef struct zk_schema_type zk_schema_type;

/* An item type: what an array's items or a map's values are. */
typedef struct zk_schema_item {
    zk_schema_kind kind;
    const zk_schema_type *ref;   /* for ZK_S_OBJECT */
    const char *format;          /* "int32", "int64", "byte", "date-time", ... */
} zk_schema_item;

typedef struct zk_schema_field {
    const char *name;            /* JSON field name; NULL ends the list */
    zk_schema_kind kind;
    const zk_schema_type *ref;   /* ZK_S_OBJECT: the field's type */
    zk_schema_item elem;         /* ZK_S_ARRAY / ZK_S_MAP: the items */
    const char *format;          /* for scalars */
    const char *merge_key;       /* x-kubernetes-patch-merge-key, lists of objects */
    unsigned strategy;           /* ZK_PATCH_* */
    unsigned flags;              /* ZK_F_* */
    const char *const *enums;    /* NULL-terminated allowed values, or NULL */
    const char *list_type;       /* x-kubernetes-list-type: "atomic", "set", "map" or NULL */
    const char *const *list_map_keys; /* x-kubernetes-list-map-keys, NULL-terminated */
    const char *description;
    /* Field number in Kubernetes' generated.proto for this type, so that
     * protobuf request bodies (kubectl's typed clients send them) decode
     * through the same table; 0 when not declared. */
    int proto;
} zk_schema_field;

struct zk_schema_type {
    const char *name;            /* OpenAPI definition name */
    const char *description;
    const zk_schema_field *fields; /* terminated by a field with name NULL */
    /* For top-level kinds: the group/version/kind this type is (else NULL). */
    const char *gvk_group, *gvk_version, *gvk_kind;
};

/* Find a field of type t by name; NULL when unknown (or t is NULL). */
const zk_schema_field *zk_kube_schema_field(const zk_schema_type *t, const char *name);

/* The type of a top-level kind, or NULL when zke has no schema for it. */
const zk_schema_type *zk_kube_schema_for_kind(const char *group, const char *version,
                                              const char *kind);

/* Every declared type, for OpenAPI generation; NULL-terminated. */
const zk_schema_type *const *zk_kube_schema_all(void);

#endif

#include <jansson.h>

/* Walk obj against type t and call fn for each field the schema does not
 * know (path like "spec.template.spec.containers[0].imagee"). Fields of kind
 * ZK_S_ANY and maps of ANY are not descended. metadata/apiVersion/kind at the
 * top are checked like any other field. */
typedef void (*zk_schema_unknown_fn)(void *ctx, const char *path);
void zk_kube_schema_unknown_fields(const zk_schema_type *t, const json_t *obj,
                                   zk_schema_unknown_fn fn, void *ctx);
/* The same walk, removing each unknown field from obj after reporting it
 * (fn may be NULL), as decoding into Kubernetes' typed structs drops them. */
void zk_kube_schema_prune(const zk_schema_type *t, json_t *obj, zk_schema_unknown_fn fn,
                          void *ctx);
