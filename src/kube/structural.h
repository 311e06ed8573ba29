/* zke kube: structural schemas of CustomResourceDefinitions.
 *
 * A CRD version's schema.openAPIV3Schema (apiextensions.k8s.io/v1) drives
 * four things, all on jansson trees:
 *   - check: is the schema structural and within what CRDs allow, with the
 *     field errors the API server returns for the CRD;
 *   - prune: drop object fields the schema does not specify, reporting each
 *     one (fieldValidation=Strict fails with `unknown field "spec.foo"`,
 *     Warn turns them into warnings);
 *   - default: fill in `default` values, after pruning, as Kubernetes does;
 *   - validate: check an object against the schema with the messages
 *     Kubernetes prints ("spec.replicas: Invalid value: \"string\":
 *     spec.replicas in body must be of type integer: \"string\"").
 *
 * Patterns are ECMA-262 in OpenAPI; they are translated to POSIX extended
 * regular expressions (\d, \w, \s, (?:...), lazy quantifiers, escapes in
 * brackets) and compiled with regcomp(), an approximation: lookaround and
 * other constructs without a POSIX form are reported as invalid patterns.
 * Compiled patterns are cached process-wide (thread-safe, bounded).
 *
 * Bounds: schema and object nesting beyond ZK_KUBE_STRUCTURAL_MAX_DEPTH is
 * an error in check and validate and is left alone by prune and default;
 * patterns longer than ZK_KUBE_STRUCTURAL_PATTERN_MAX bytes are invalid. */
#ifndef ZK_KUBE_STRUCTURAL_H
#define ZK_KUBE_STRUCTURAL_H

#include <jansson.h>
#include <stddef.h>

#include "kube/fielderr.h"

#define ZK_KUBE_STRUCTURAL_MAX_DEPTH 64
#define ZK_KUBE_STRUCTURAL_PATTERN_MAX 1024

/* Check that schema (one version's openAPIV3Schema) is structural and uses
 * only what CRDs allow: a type on every specified node (unless
 * x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields), no
 * $ref, no types or defaults inside allOf/anyOf/oneOf/not and nothing there
 * that is not also specified outside, metadata restricted to name and
 * generateName, valid list types, patterns and defaults. Errors are added
 * to errs with paths under `path` (e.g.
 * "spec.versions[0].schema.openAPIV3Schema"). Returns 0 when the schema is
 * fine, -ZK_EINVAL when errors were added. */
int zk_kube_structural_check_schema(const json_t *schema, const char *path,
                                    zk_field_errors *errs);

/* Called once per pruned field with its path ("spec.foo",
 * "spec.containers[0].bar"); the path is valid during the call only. */
typedef void zk_kube_structural_unknown_fn(const char *path, void *ud);

/* Remove the fields of obj (a whole resource) that schema does not specify.
 * apiVersion, kind and metadata at the root, and inside
 * x-kubernetes-embedded-resource objects, are always kept; under
 * x-kubernetes-preserve-unknown-fields unknown fields are kept while known
 * ones are still pruned inside; additionalProperties specifies every key.
 * A NULL schema keeps only apiVersion, kind and metadata. cb may be NULL.
 * Returns the number of fields removed. */
size_t zk_kube_structural_prune(const json_t *schema, json_t *obj,
                                zk_kube_structural_unknown_fn *cb, void *ud);

/* Set missing fields (and null ones that are not nullable) of obj to the
 * `default` of their schema, recursively, deep-copying the defaults. Call
 * after zk_kube_structural_prune(). */
void zk_kube_structural_default(const json_t *schema, json_t *obj);

/* Validate obj against schema: type (nullable, x-kubernetes-int-or-string),
 * format, enum, minimum/maximum (exclusive), multipleOf, min/maxLength,
 * pattern, min/maxItems, uniqueItems, min/maxProperties, required,
 * additionalProperties, allOf/anyOf/oneOf/not, x-kubernetes-list-type set
 * and map, embedded resources' kind and apiVersion. Errors go to errs with
 * paths relative to obj ("spec.replicas"). Returns 0 when valid, -ZK_EINVAL
 * when errors were added. */
int zk_kube_structural_validate(const json_t *schema, const json_t *obj, zk_field_errors *errs);

#endif
