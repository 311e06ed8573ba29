/* zke kube: private helpers for the schema tables in schema_*.c.
 *
 * Not a public header: only the schema_*.c files and openapi.c include it.
 * It names every declared type once (ZK_KUBE_SCHEMA_TYPES, an X-macro list),
 * which gives both the extern declarations the tables need to refer to each
 * other across files and the NULL-terminated list behind zk_kube_schema_all().
 *
 * A table is written as rows of field macros:
 *
 *   ZK_TYPE(apps_DeploymentStrategy, N_APPS "DeploymentStrategy", "How pods are replaced.",
 *       F_STR("type", "Recreate or RollingUpdate.", ENUM("Recreate", "RollingUpdate")),
 *       F_OBJ("rollingUpdate", apps_RollingUpdateDeployment, "Rolling update knobs."));
 *
 * Each F_* macro takes the JSON name, (for references) the type id, a short
 * description and then optional modifiers: REQ, ENUM(...), FMT(...), and for
 * lists MERGE(key), MERGE2(key, key2), MERGE_RK(key), MERGE_ATOMIC(key),
 * MERGE_SET, ATOMIC, SET, RETAINKEYS. Modifiers set disjoint struct members,
 * so any combination of one list modifier with REQ/ENUM is valid.
 *
 * Conventions the tables follow (openapi.c and the patch code rely on them):
 *  - ZK_S_TIME with format "date-time" is meta/v1 Time; with format
 *    "micro-time" it is meta/v1 MicroTime (RFC 3339 with microseconds).
 *  - JSON values of any shape (RawExtension, apiextensions JSON) are ZK_S_ANY.
 *  - Lists merged by key carry list_type "map" and the key as list_map_keys. */
#ifndef ZK_KUBE_SCHEMA_DECL_H
#define ZK_KUBE_SCHEMA_DECL_H

#include <stddef.h>

#include "kube/schema.h"

/* The C identifier of a declared type: ZKT(core_Pod). */
#define ZKT(id) zk_kube__t_##id

/* Definition-name prefixes. */
#define N_META "io.k8s.apimachinery.pkg.apis.meta.v1."
#define N_CORE "io.k8s.api.core.v1."
#define N_APPS "io.k8s.api.apps.v1."
#define N_BATCH "io.k8s.api.batch.v1."
#define N_AUTHN "io.k8s.api.authentication.v1."
#define N_AUTHZ "io.k8s.api.authorization.v1."
#define N_AS1 "io.k8s.api.autoscaling.v1."
#define N_AS2 "io.k8s.api.autoscaling.v2."
#define N_COORD "io.k8s.api.coordination.v1."
#define N_EVENTS "io.k8s.api.events.v1."
#define N_DISC "io.k8s.api.discovery.v1."
#define N_NET "io.k8s.api.networking.v1."
#define N_POLICY "io.k8s.api.policy.v1."
#define N_RBAC "io.k8s.api.rbac.v1."
#define N_ADMREG "io.k8s.api.admissionregistration.v1."
#define N_APIREG "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1."
#define N_APIEXT "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."

/* ---- type tables ---------------------------------------------------- */

#define ZK__FIELDS(id) ZKT(id##__fields)

#define ZK_TYPE(id, defname, desc, ...)                                              \
    static const zk_schema_field ZK__FIELDS(id)[] = { __VA_ARGS__, { NULL } };      \
    const zk_schema_type ZKT(id) = { .name = defname, .description = desc,           \
                                     .fields = ZK__FIELDS(id) }

/* A type without fields (an empty JSON object). */
#define ZK_TYPE_EMPTY(id, defname, desc)                                             \
    static const zk_schema_field ZK__FIELDS(id)[] = { { NULL } };                    \
    const zk_schema_type ZKT(id) = { .name = defname, .description = desc,           \
                                     .fields = ZK__FIELDS(id) }

/* A top-level kind: group ("" for core), version, kind. */
#define ZK_KIND(id, defname, g, v, k, desc, ...)                                     \
    static const zk_schema_field ZK__FIELDS(id)[] = { __VA_ARGS__, { NULL } };      \
    const zk_schema_type ZKT(id) = { .name = defname, .description = desc,           \
                                     .fields = ZK__FIELDS(id), .gvk_group = g,       \
                                     .gvk_version = v, .gvk_kind = k }

/* ---- field rows ----------------------------------------------------- */

#define ZK__ROW(n, k, d, ...) { .name = (n), .kind = (k), .description = (d), __VA_ARGS__ }

#define F_STR(n, d, ...) ZK__ROW(n, ZK_S_STRING, d, __VA_ARGS__)
#define F_INT(n, d, ...) ZK__ROW(n, ZK_S_INTEGER, d, .format = "int32", __VA_ARGS__)
#define F_I64(n, d, ...) ZK__ROW(n, ZK_S_INTEGER, d, .format = "int64", __VA_ARGS__)
#define F_NUM(n, d, ...) ZK__ROW(n, ZK_S_NUMBER, d, .format = "double", __VA_ARGS__)
#define F_BOOL(n, d, ...) ZK__ROW(n, ZK_S_BOOLEAN, d, __VA_ARGS__)
#define F_TIME(n, d, ...) ZK__ROW(n, ZK_S_TIME, d, .format = "date-time", __VA_ARGS__)
#define F_MTIME(n, d, ...) ZK__ROW(n, ZK_S_TIME, d, .format = "micro-time", __VA_ARGS__)
#define F_QTY(n, d, ...) ZK__ROW(n, ZK_S_QUANTITY, d, __VA_ARGS__)
#define F_IOS(n, d, ...) ZK__ROW(n, ZK_S_INT_OR_STRING, d, __VA_ARGS__)
#define F_BYTES(n, d, ...) ZK__ROW(n, ZK_S_BYTES, d, .format = "byte", __VA_ARGS__)
#define F_ANY(n, d, ...) ZK__ROW(n, ZK_S_ANY, d, __VA_ARGS__)
#define F_OBJ(n, T, d, ...) ZK__ROW(n, ZK_S_OBJECT, d, .ref = &ZKT(T), __VA_ARGS__)

/* Lists. Without a list modifier a list is atomic (a patch replaces it). */
#define F_ARR_STR(n, d, ...) \
    ZK__ROW(n, ZK_S_ARRAY, d, .elem = { ZK_S_STRING, NULL, NULL }, __VA_ARGS__)
#define F_ARR_INT(n, d, ...) \
    ZK__ROW(n, ZK_S_ARRAY, d, .elem = { ZK_S_INTEGER, NULL, "int32" }, __VA_ARGS__)
#define F_ARR_I64(n, d, ...) \
    ZK__ROW(n, ZK_S_ARRAY, d, .elem = { ZK_S_INTEGER, NULL, "int64" }, __VA_ARGS__)
#define F_ARR_ANY(n, d, ...) \
    ZK__ROW(n, ZK_S_ARRAY, d, .elem = { ZK_S_ANY, NULL, NULL }, __VA_ARGS__)
#define F_ARR(n, T, d, ...) \
    ZK__ROW(n, ZK_S_ARRAY, d, .elem = { ZK_S_OBJECT, &ZKT(T), NULL }, __VA_ARGS__)

/* Maps from string keys. */
#define F_MAP_STR(n, d, ...) \
    ZK__ROW(n, ZK_S_MAP, d, .elem = { ZK_S_STRING, NULL, NULL }, __VA_ARGS__)
#define F_MAP_QTY(n, d, ...) \
    ZK__ROW(n, ZK_S_MAP, d, .elem = { ZK_S_QUANTITY, NULL, NULL }, __VA_ARGS__)
#define F_MAP_BYTES(n, d, ...) \
    ZK__ROW(n, ZK_S_MAP, d, .elem = { ZK_S_BYTES, NULL, "byte" }, __VA_ARGS__)
#define F_MAP_TIME(n, d, ...) \
    ZK__ROW(n, ZK_S_MAP, d, .elem = { ZK_S_TIME, NULL, "date-time" }, __VA_ARGS__)
#define F_MAP_ANY(n, d, ...) \
    ZK__ROW(n, ZK_S_MAP, d, .elem = { ZK_S_ANY, NULL, NULL }, __VA_ARGS__)
#define F_MAP(n, T, d, ...) \
    ZK__ROW(n, ZK_S_MAP, d, .elem = { ZK_S_OBJECT, &ZKT(T), NULL }, __VA_ARGS__)

/* ---- modifiers ------------------------------------------------------ */

#define REQ .flags = ZK_F_REQUIRED
/* The field's number in Kubernetes' generated.proto (protobuf decoding). */
#define PB(n) .proto = (n)
/* A field of a struct that Go embeds inline (Volume's VolumeSource, Probe's
 * ProbeHandler, the LocalObjectReference in key selectors, IngressRule's
 * IngressRuleValue): JSON flattens it, protobuf nests it as one message field.
 * PB_IN(outer, inner) numbers it: outer is the embedded message's field
 * number, inner the field's number inside it (kube/protobuf.c decodes both). */
#define ZK_PB_INLINE 1000
#define PB_IN(outer, inner) .proto = ((outer) * ZK_PB_INLINE + (inner))
#define ENUM(...) .enums = (const char *const[]){ __VA_ARGS__, NULL }
#define FMT(f) .format = (f)
#define ZK__KEYS(...) (const char *const[]){ __VA_ARGS__, NULL }

/* patchStrategy=merge, patchMergeKey=key, listType=map, listMapKey=key */
#define MERGE(key) .merge_key = (key), .strategy = ZK_PATCH_MERGE, .list_type = "map", \
                   .list_map_keys = ZK__KEYS(key)
/* the same with a second list-map key (e.g. containerPort + protocol) */
#define MERGE2(key, key2) .merge_key = (key), .strategy = ZK_PATCH_MERGE, .list_type = "map", \
                          .list_map_keys = ZK__KEYS(key, key2)
/* patchStrategy=merge,retainKeys (volumes, resourceClaims) */
#define MERGE_RK(key) .merge_key = (key), .strategy = ZK_PATCH_MERGE | ZK_PATCH_RETAINKEYS, \
                      .list_type = "map", .list_map_keys = ZK__KEYS(key)
/* merged by key for strategic merge patch, but atomic for server-side apply */
#define MERGE_ATOMIC(key) .merge_key = (key), .strategy = ZK_PATCH_MERGE, .list_type = "atomic"
/* a list of scalars merged as a set (finalizers) */
#define MERGE_SET .strategy = ZK_PATCH_MERGE, .list_type = "set"
#define ATOMIC .list_type = "atomic"
#define SET .list_type = "set"
/* patchStrategy=retainKeys on an object field (deployment strategy) */
#define RETAINKEYS .strategy = ZK_PATCH_RETAINKEYS

/* Shared enums. */
#define E_COND ENUM("False", "True", "Unknown")
#define E_PROTO ENUM("SCTP", "TCP", "UDP")

/* Rows every top-level kind starts with.
 *
 * apiVersion and kind are TypeMeta, which no generated.proto message holds
 * (the protobuf envelope, runtime.Unknown, carries them), so F_TYPEMETA rows
 * have no field number. metadata is field 1 of every Kubernetes message that
 * has one (the first Go field after the untagged, inlined TypeMeta). */
#define F_APIVERSION                                                                  \
    F_STR("apiVersion", "The versioned schema of this representation of an object, " \
                        "group/version; servers may reject versions they do not know.")
#define F_KINDNAME                                                                    \
    F_STR("kind", "The REST resource this object represents, in CamelCase; " \
                  "servers infer it from the endpoint when it is missing.")
#define F_TYPEMETA F_APIVERSION, F_KINDNAME
#define F_METADATA F_OBJ("metadata", meta_ObjectMeta, "Standard object metadata: name, " \
                         "namespace, labels, annotations, owners and server-set fields.", \
                         PB(1))
#define F_LISTMETA F_OBJ("metadata", meta_ListMeta, "Standard list metadata.", PB(1))
#define F_TOP F_TYPEMETA, F_METADATA

/* ---- every declared type -------------------------------------------- */

#define ZK__DECLARE(id) extern const zk_schema_type ZKT(id);

#include "kube/schema_list.h"

ZK_KUBE_SCHEMA_TYPES(ZK__DECLARE)

#endif
