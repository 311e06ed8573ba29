/* zke kube: Kubernetes protobuf request bodies, decoded into JSON.
 *
 * kubectl's typed commands (create namespace/configmap/secret/deployment/...,
 * create token, auth can-i) send bodies as application/vnd.kubernetes.protobuf:
 * the magic bytes "k8s\0", then a runtime.Unknown message whose typeMeta names
 * the apiVersion and kind and whose raw field holds the object's own message
 * from Kubernetes' generated.proto (proto2). zke keeps objects as JSON, so the
 * decoder turns the body into the JSON a JSON client would have sent, guided by
 * the field schemas (kube/schema.h): a field's `proto` member is its number in
 * generated.proto; PB_IN(outer, inner) numbers fields of structs Go embeds
 * inline (schema_decl.h). Fields numbered 0 are unknown to the decoder and
 * skipped, like any unknown field number.
 *
 * The JSON follows encoding/json of the Go types:
 *  - absent fields stay absent; a present nested message gives an object ({}
 *    when empty);
 *  - Go always writes non-pointer scalars, so a zero scalar ("" / 0 / false) is
 *    dropped unless the field is required (ZK_F_REQUIRED: no omitempty in Go) or
 *    a pointer in Go (a table in protobuf.c), where zero is a value the client set;
 *  - Time and MicroTime become RFC 3339 strings (an empty message, Go's zero
 *    time, becomes null), Quantity its string, IntOrString a number or string,
 *    []byte base64, RawExtension / apiextensions JSON the JSON they carry (or the
 *    object a nested "k8s\0" envelope holds), and map values of ZK_S_ANY are
 *    authorization ExtraValue lists of strings. */
#ifndef ZK_KUBE_PROTOBUF_H
#define ZK_KUBE_PROTOBUF_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"
#include "kube/schema.h"

#define ZK_KUBE_PROTOBUF_CONTENT_TYPE "application/vnd.kubernetes.protobuf"

/* The magic bytes every body starts with, and their count. */
#define ZK_KUBE_PROTOBUF_MAGIC "k8s\0"
#define ZK_KUBE_PROTOBUF_MAGIC_LEN 4

/* Bound on the JSON one body decodes to, in (estimated) bytes of JSON text. */
#define ZK_KUBE_PROTOBUF_MAX_OUT (16u << 20)

/* Decode a whole body (magic + runtime.Unknown) into a new JSON object with
 * apiVersion and kind set from the envelope; *out is owned by the caller.
 * Errors, with a message naming the field path:
 *   -ZK_EPARSE        bad magic, truncated varint or field, length past the end
 *                     of a message, wrong wire type for a known field, invalid
 *                     UTF-8, a time out of range, bad JSON in a RawExtension;
 *   -ZK_EUNSUPPORTED  a kind zke has no schema for, a content encoding (gzip)
 *                     or inner content type other than protobuf;
 *   -ZK_ETOOBIG       nesting deeper than ZK_JSON_MAX_DEPTH, or output past
 *                     ZK_KUBE_PROTOBUF_MAX_OUT. */
int zk_kube_protobuf_decode(const char *data, size_t len, json_t **out, zk_err *err);

/* Decode one message of type t (no magic, no envelope) into a new JSON object.
 * Same rules and errors as zk_kube_protobuf_decode; apiVersion/kind are not set. */
int zk_kube_protobuf_decode_message(const zk_schema_type *t, const char *data, size_t len,
                                    json_t **out, zk_err *err);

/* Coverage of the field numbers: walk every type reachable from t (through
 * object fields and the items of lists and maps, each type once) and call fn
 * for each field that has no number and is not JSON-only by design. JSON-only:
 * apiVersion and kind of a top-level kind (the envelope's typeMeta carries
 * them), and APIResource.verbs (a Verbs message in protobuf; discovery is only
 * served, never decoded). Returns the count of such fields. */
typedef void (*zk_kube_protobuf_gap_fn)(void *ctx, const zk_schema_type *t,
                                        const zk_schema_field *f);
int zk_kube_protobuf_unnumbered(const zk_schema_type *t, zk_kube_protobuf_gap_fn fn, void *ctx);

#endif
