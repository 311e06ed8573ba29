/* zke apiserver: the kinds table.
 *
 * One row per served group/version/resource. The table drives routing,
 * discovery, OpenAPI and `kubectl get` columns, so adding a kind is adding a
 * row. Custom resources get rows at run time from their CRDs. Several rows
 * may share one storage (autoscaling/v1 and v2 HPAs; core and events.k8s.io
 * Events); `storage` names it and the row whose version is the storage
 * version converts for the others. */
#ifndef ZK_APIS_KINDS_H
#define ZK_APIS_KINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum {
    ZK_SUB_STATUS = 1 << 0,
    ZK_SUB_SCALE = 1 << 1,
    ZK_SUB_BINDING = 1 << 2,   /* pods/binding */
    ZK_SUB_LOG = 1 << 3,       /* pods/log */
    ZK_SUB_EXEC = 1 << 4,      /* pods/exec, attach, portforward */
    ZK_SUB_TOKEN = 1 << 5,     /* serviceaccounts/token */
    ZK_SUB_EVICTION = 1 << 6,  /* pods/eviction */
    ZK_SUB_FINALIZE = 1 << 7,  /* namespaces/finalize */
    ZK_SUB_EPHEMERAL = 1 << 8, /* pods/ephemeralcontainers */
};

enum {
    ZK_VERB_GET = 1 << 0,
    ZK_VERB_LIST = 1 << 1,
    ZK_VERB_WATCH = 1 << 2,
    ZK_VERB_CREATE = 1 << 3,
    ZK_VERB_UPDATE = 1 << 4,
    ZK_VERB_PATCH = 1 << 5,
    ZK_VERB_DELETE = 1 << 6,
    ZK_VERB_DELETECOLLECTION = 1 << 7,
    ZK_VERBS_ALL = 0xff,
    ZK_VERBS_CREATE_ONLY = ZK_VERB_CREATE,
};

/* How a kind behaves beyond plain storage. */
enum {
    ZK_KF_VIRTUAL = 1 << 0,     /* not stored: create-only review kinds */
    ZK_KF_GENERATION = 1 << 1,  /* spec changes bump metadata.generation */
    ZK_KF_CRD = 1 << 2,         /* a custom resource */
    ZK_KF_NO_SCHEMA_PRUNE = 1 << 3,
};

typedef struct zk_kind {
    const char *group, *version, *kind, *resource, *singular;
    bool namespaced;
    unsigned verbs;
    unsigned subresources;
    unsigned flags;
    const char *short_names[4];
    bool in_all;                 /* category "all" */
    const char *storage;         /* storage name, e.g. "apps/deployments" */
    /* custom resources */
    json_t *crd_schema;          /* openAPIV3Schema (owned by the CRD row) */
    json_t *printer_columns;     /* additionalPrinterColumns */
    json_t *scale_paths;         /* subresources.scale */
    bool served;
} zk_kind;

/* The built-in rows. */
const zk_kind *zk_kinds_builtin(size_t *n);

/* Registry of served kinds: built-ins plus CRD-defined ones. Loop thread only. */
void zk_kinds_init(void);
/* Find by group/version/resource (resource plural, lower-case). */
const zk_kind *zk_kinds_find(const char *group, const char *version, const char *resource);
/* Find by group/version/kind. */
const zk_kind *zk_kinds_find_kind(const char *group, const char *version, const char *kind);
/* Any row of a group/kind (any version), preferring the storage version. */
const zk_kind *zk_kinds_find_group_kind(const char *group, const char *kind);
/* Iterate all served rows: start with *pos = 0; returns NULL at the end. */
const zk_kind *zk_kinds_next(size_t *pos);
/* Add (or replace) a custom resource row; the kind takes ownership of the
 * json fields. */
void zk_kinds_put_custom(zk_kind *k);
/* Remove every custom row of group/resource. */
void zk_kinds_remove_custom(const char *group, const char *resource);
/* A counter that changes when the set of kinds changes (for caches). */
unsigned zk_kinds_generation(void);

/* apiVersion string for a row: "v1" or "apps/v1" (static or interned). */
const char *zk_kind_api_version(const zk_kind *k, char *buf, size_t n);

#endif
