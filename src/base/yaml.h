/* zke base: YAML <-> JSON (jansson), over libyaml.
 *
 * Decoding follows sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 scalars), which
 * is what kubectl and the API server use:
 *   - plain y/Y/yes/Yes/YES/true/True/TRUE/on/On/ON are true, and
 *     n/N/no/No/NO/false/False/FALSE/off/Off/OFF are false;
 *   - plain ""/~/null/Null/NULL are null;
 *   - integers in Go syntax with '_' ignored: 12, -3, 0x1F, 0o17, 017,
 *     0b101; past int64 they become reals, as Kubernetes reads them;
 *   - floats: 1.5, .5, 1e3, -2.5E-3 (integral floats become JSON integers,
 *     as encoding/json prints them); .inf/.nan cannot be JSON: an error;
 *   - plain timestamps (2001-12-14, 2001-12-14T21:59:43.1-05:00, ...)
 *     become RFC 3339 strings, as go-yaml's time.Time turns into JSON;
 *   - quoted and block scalars are strings; !!str/!!int/... tags apply;
 *   - mapping keys that are not strings become strings (1 -> "1",
 *     true -> "true", 1.5 -> "1.5"); null and collection keys are errors;
 *   - "<<" merge keys and anchors/aliases are supported; a repeated key
 *     keeps the last value.
 * Aliases are expanded into copies, and expansion is bounded: at most
 * ZK_YAML_MAX_NODES JSON values and 4 × max_bytes + 1 MiB of string bytes
 * per stream, nesting at most ZK_JSON_MAX_DEPTH, at most
 * ZK_YAML_MAX_DOCUMENTS documents. Hitting a bound is -ZK_ETOOBIG; bad
 * syntax is -ZK_EPARSE; both with "yaml: line L, column C: ..." messages. */
#ifndef ZK_BASE_YAML_H
#define ZK_BASE_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

#define ZK_YAML_DEFAULT_MAX_BYTES ((size_t)3 << 20) /* Kubernetes' request body limit */
#define ZK_YAML_MAX_NODES 1000000
#define ZK_YAML_MAX_DOCUMENTS 10000

/* Decode one YAML document of len bytes into *out (a new reference). An
 * empty stream is JSON null; a stream with more than one non-empty
 * document is an error (send a list, or use zk_yaml_decode_all). Input
 * longer than ZK_YAML_DEFAULT_MAX_BYTES fails with -ZK_ETOOBIG. */
int zk_yaml_decode(const char *data, size_t len, json_t **out, zk_err *err);
/* The same with the caller's bound on the input size. */
int zk_yaml_decode_max(const char *data, size_t len, size_t max_bytes, json_t **out,
                       zk_err *err);
/* Decode every document of a "---"-separated stream into a new JSON array
 * in *out. Documents that are empty or null are skipped, as kubectl does. */
int zk_yaml_decode_all(const char *data, size_t len, size_t max_bytes, json_t **out,
                       zk_err *err);

/* Append j as a YAML document to out (block style, object keys in their
 * order, strings quoted where they would read back as another type,
 * multi-line strings as literal blocks). -ZK_ETOOBIG when out is full. */
int zk_yaml_encode(const json_t *j, zk_buf *out, zk_err *err);
/* Append each element of the array docs as a "---" document. */
int zk_yaml_encode_all(const json_t *docs, zk_buf *out, zk_err *err);

#endif
