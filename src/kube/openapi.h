/* zke kube: OpenAPI documents generated from the field schemas and from CRDs.
 *
 * /openapi/v2 is one Swagger 2.0 document; /openapi/v3 is an index of one
 * OpenAPI 3.0 document per group-version. Definition names are upstream's
 * ("io.k8s.api.apps.v1.Deployment"); top-level kinds and their lists carry
 * x-kubernetes-group-version-kind; list fields carry the patch merge key and
 * strategy, so kubectl can explain, validate and compute strategic merge
 * patches from them.
 *
 * Every PATCH operation carries the fieldValidation query parameter: kubectl
 * (client-go queryParamVerifierV3) looks for it, on the PATCH operations of
 * the group-version document whose x-kubernetes-group-version-kind is the
 * object's kind, to decide that the server validates fields itself and skip
 * client-side validation. For a CRD kind whose group-version is not in the
 * index it falls back to Namespace in api/v1, so serve core v1 Namespace too.
 *
 * The documents are plain jansson trees the caller owns. Generation is
 * deterministic: the same kinds give the same documents and hashes. */
#ifndef ZK_KUBE_OPENAPI_H
#define ZK_KUBE_OPENAPI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kube/schema.h"

typedef struct zk_openapi_kind {
    const char *group, *version, *kind, *resource; /* resource: plural, e.g. "deployments" */
    bool namespaced;
    /* e.g. get list watch create update patch delete deletecollection; NULL-terminated,
     * or NULL for all eight */
    const char *const *verbs;
    /* e.g. "status", "scale"; NULL-terminated or NULL. Known: status, scale,
     * ephemeralcontainers, resize (get/replace/patch), binding, eviction, token
     * (create), log (read), exec, attach, portforward, proxy (connect). */
    const char *const *subresources;
    const zk_schema_type *type;        /* built-in kinds */
    const json_t *crd_schema;          /* custom resources: the openAPIV3Schema, else NULL */
} zk_openapi_kind;

/* The Swagger 2.0 document of all kinds (GET /openapi/v2, as JSON).
 * server_version goes to info.version ("v1.32.0"); NULL gives "unversioned".
 * Kinds with neither type nor crd_schema get a schema that accepts any object.
 * Never NULL (aborts on allocation failure). */
json_t *zk_kube_openapi_v2(const zk_openapi_kind *kinds, size_t n, const char *server_version);

/* The /openapi/v3 index: {"paths":{"api/v1":{"serverRelativeURL":
 * "/openapi/v3/api/v1?hash=<HASH>"}, "apis/apps/v1":{...}}}, one entry per
 * group-version of kinds; HASH is zk_kube_openapi_hash() of that document. */
json_t *zk_kube_openapi_v3_index(const zk_openapi_kind *kinds, size_t n);

/* The OpenAPI 3.0 document of one group-version (group "" is core), with
 * components.schemas holding the kinds' types, the meta types they refer to,
 * and paths for every resource of the group-version; NULL if no kind has
 * that group and version. */
json_t *zk_kube_openapi_v3_group_version(const zk_openapi_kind *kinds, size_t n,
                                         const char *group, const char *version);

/* The stable hash of a document: upper-case hex SHA-512 of its compact
 * encoding with sorted keys (128 characters). Use it as the ETag and as the
 * ?hash= of the v3 index. free() the result. */
char *zk_kube_openapi_hash(const json_t *doc);

/* The definition name a kind's schema has in the documents:
 * "io.k8s.api.apps.v1.Deployment" for built-ins, the reversed group for
 * custom resources ("io.zke.v1.HostGroup" for zke.io/v1 HostGroup).
 * free() the result. */
char *zk_kube_openapi_definition_name(const zk_openapi_kind *kind);

#endif
