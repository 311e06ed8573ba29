/* zke kube: the OpenAPI v2 document in protobuf form.
 *
 * kubectl (client-go's DiscoveryClient.OpenAPISchema) asks /openapi/v2 for
 * ZK_KUBE_OPENAPI_PB_CONTENT_TYPE and proto-unmarshals the body as gnostic's
 * openapi.v2.Document (google/gnostic openapiv2/OpenAPIv2.proto). kubectl
 * apply, explain and client-side validation need it.
 *
 * The encoder walks a Swagger 2.0 document (the jansson tree that is also
 * served as JSON) and writes the protobuf wire form that gnostic would
 * produce from the same JSON: fields in field-number order, proto3 defaults
 * omitted, maps as repeated Named* pairs in the document's key order, and
 * every vendor extension ("x-..." keys) as NamedAny{name, Any{yaml}} where
 * yaml is the YAML text of the value (client-go parses it back with a YAML
 * decoder). Parts of the JSON that do not fit the schema (wrong types, keys
 * Swagger does not define) are skipped. */
#ifndef ZK_KUBE_OPENAPI_PB_H
#define ZK_KUBE_OPENAPI_PB_H

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"

#define ZK_KUBE_OPENAPI_PB_CONTENT_TYPE \
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

/* Deepest nesting of messages the encoder writes before it gives up with
 * -ZK_ETOOBIG (a Kubernetes swagger needs about a dozen). */
#define ZK_KUBE_OPENAPI_PB_MAX_DEPTH 200

/* Append the protobuf encoding of the Swagger document `doc` to out. Fails
 * with -ZK_EINVAL when doc is not a JSON object, -ZK_ETOOBIG when out's
 * maximum or the nesting bound is hit; on failure out's contents past its
 * previous length are unspecified (reset it). */
int zk_kube_openapi_pb_encode(const json_t *doc, zk_buf *out, zk_err *err);

/* Append the YAML text that gnostic stores in Any.yaml for value v
 * (block style, "- " sequences, 4-space nested mappings, a final newline;
 * strings quoted where a YAML 1.1 or 1.2 reader would take them for another
 * type). Returns 0 or -ZK_ETOOBIG. */
int zk_kube_openapi_pb_yaml(const json_t *v, zk_buf *out);

#endif
