/* zke kube: the three PATCH formats of the Kubernetes API.
 *
 *   application/json-patch+json            RFC 6902 JSON Patch
 *   application/merge-patch+json           RFC 7386 JSON Merge Patch
 *   application/strategic-merge-patch+json Kubernetes' strategic merge patch
 *
 * Every function works on jansson trees, never modifies its inputs (the
 * document and the patch stay as they were, also on error) and returns a new
 * document that the caller owns. Errors carry a code that the API server maps
 * onto a Status:
 *
 *   -ZK_EPARSE       the patch is not JSON or is malformed (not a list of
 *                    operations, an unknown op, a bad pointer, a bad
 *                    directive such as `$patch: frobnicate`)      -> 400
 *   -ZK_EINVAL       the patch is well-formed but does not apply to this
 *                    document (a path that does not exist, a failed `test`,
 *                    a list item without its merge key)           -> 422
 *   -ZK_ETOOBIG      a bound was hit: body size, operation count, size or
 *                    depth of the result, values copied           -> 413
 *   -ZK_EUNSUPPORTED the content type is not a patch type handled here
 *                    (e.g. application/apply-patch+yaml)          -> 415
 *
 * Messages name the failing operation or field, e.g.
 *   "json patch operation 2 of 3 (test /spec/replicas): test failed: the value is 3, not 2"
 *   "strategic merge patch: spec.containers: item {"image":"x"} does not contain
 *    declared merge key: name" */
#ifndef ZK_KUBE_PATCH_H
#define ZK_KUBE_PATCH_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"
#include "kube/schema.h"

/* Most operations in one JSON Patch (kube-apiserver's limit). */
#define ZK_KUBE_PATCH_MAX_OPS 10000
/* Most JSON values (every object, array and scalar counts one) in the result of
 * a JSON Patch; copy operations could otherwise grow a document exponentially. */
#define ZK_KUBE_PATCH_MAX_NODES (1u << 20)
/* Most JSON values that the copy operations of one JSON Patch may duplicate, in
 * total (evanphx/json-patch's AccumulatedCopySizeLimit, counted in values). */
#define ZK_KUBE_PATCH_MAX_COPIED (1u << 20)
/* Largest patch body zk_kube_patch_apply() decodes (kube-apiserver's 3 MiB). */
#define ZK_KUBE_PATCH_MAX_BYTES (3u << 20)

typedef enum zk_kube_patch_type {
    ZK_KUBE_PATCH_UNKNOWN = 0,
    ZK_KUBE_PATCH_JSON,       /* application/json-patch+json */
    ZK_KUBE_PATCH_MERGE,      /* application/merge-patch+json */
    ZK_KUBE_PATCH_STRATEGIC,  /* application/strategic-merge-patch+json */
} zk_kube_patch_type;

/* The patch type named by a Content-Type header value. Parameters
 * ("; charset=utf-8") and case are ignored. ZK_KUBE_PATCH_UNKNOWN for anything
 * else, including NULL and application/apply-patch+yaml. */
zk_kube_patch_type zk_kube_patch_type_of(const char *content_type);

/* Apply an RFC 6902 JSON Patch to doc. patch must be an array of operation
 * objects; they apply in order, all or nothing. Pointers are RFC 6901 (~0, ~1),
 * "-" appends to an array in add/move/copy targets, array indexes are decimal
 * without leading zeros, `test` compares numbers by value. At most
 * ZK_KUBE_PATCH_MAX_OPS operations; the result is bounded by
 * ZK_KUBE_PATCH_MAX_NODES values, ZK_JSON_MAX_DEPTH levels, and the copies by
 * ZK_KUBE_PATCH_MAX_COPIED values. On success *out is a new reference. */
int zk_kube_patch_json(const json_t *doc, const json_t *patch, json_t **out, zk_err *err);

/* The RFC 6902 JSON Patch that turns from into to (a new array; empty when
 * they are equal): objects member by member (remove, add, or recursively),
 * arrays of equal length element by element, anything else replaced
 * whole. Keys are escaped per RFC 6901. zk_kube_patch_json(from, diff)
 * gives back to. What admission webhooks answer with. */
json_t *zk_kube_patch_diff(const json_t *from, const json_t *to);

/* Apply an RFC 7386 JSON Merge Patch: null deletes a member, objects merge
 * recursively, anything else (arrays included) replaces. Any JSON value is
 * accepted as doc and patch, as in the RFC. *out is a new reference; this
 * cannot fail except on a nesting deeper than the JSON depth limit. */
int zk_kube_patch_merge(const json_t *doc, const json_t *patch, json_t **out, zk_err *err);

/* Apply a strategic merge patch the way kube-apiserver does, guided by the
 * field schema of the top-level type (x-kubernetes-patch-strategy and -merge-key
 * as declared in kube/schema.h):
 *   - maps merge key by key; null deletes a key;
 *   - lists with strategy ZK_PATCH_MERGE: items that are objects are matched by
 *     merge_key and merged in place, unmatched items are appended; lists of
 *     primitives become the ordered union; other lists are replaced;
 *   - directives: `$patch: replace|delete|merge` in maps and list items,
 *     `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`,
 *     `$retainKeys`; the result carries no directive;
 *   - a field the schema does not know, or a ZK_S_ANY field, gets JSON merge
 *     patch semantics; type == NULL makes the whole patch a JSON merge patch
 *     (directives are then ordinary keys).
 * List order follows kube-apiserver exactly, including where it puts new
 * items (before server-only ones unless $setElementOrder says otherwise).
 * Where kube-apiserver fails or is accidental, this is more forgiving:
 * `$patch: merge` is accepted as the default it names; $setElementOrder on a
 * list that is not merged by strategy is ignored; $deleteFromPrimitiveList
 * works on any list of primitives; patch values for absent fields are applied
 * to nothing, so that no directive or null survives in the result.
 * patch must be an object (else -ZK_EPARSE); a non-object doc is treated as
 * {}, as Kubernetes does. *out is a new reference. */
int zk_kube_patch_strategic(const json_t *doc, const json_t *patch, const zk_schema_type *type,
                            json_t **out, zk_err *err);

/* Decode len bytes of patch text of the given Content-Type and apply it to doc.
 * The body may be at most ZK_KUBE_PATCH_MAX_BYTES (else -ZK_ETOOBIG); merge and
 * strategic patches must be JSON objects (else -ZK_EPARSE). type is the
 * document's schema, used by strategic merge patch; a strategic patch against
 * a type-less (NULL) resource is -ZK_EUNSUPPORTED, as kube-apiserver refuses it
 * for custom resources. Other content types: -ZK_EUNSUPPORTED. *out is a new
 * reference on success, NULL on error. */
int zk_kube_patch_apply(const char *content_type, const json_t *doc, const char *patch,
                        size_t len, const zk_schema_type *type, json_t **out, zk_err *err);

/* Internal to the patch module (jsonpatch.c, mergepatch.c, smpatch.c). */

/* Merge patch into target in place (RFC 7386); target may be NULL. Returns the
 * new value as a new reference and consumes the caller's reference to target.
 * depth counts the levels already descended. */
int zk_kube_patch__merge_into(json_t *target, const json_t *patch, int depth, json_t **out,
                              zk_err *err);

/* json_deep_copy() of a non-NULL value; aborts when out of memory. */
json_t *zk_kube_patch__copy(const json_t *v);

/* Deepest nesting the patch functions recurse into (above ZK_JSON_MAX_DEPTH,
 * so that any decodable document is handled). */
#define ZK_KUBE_PATCH__MAX_RECURSION 1024

#endif
