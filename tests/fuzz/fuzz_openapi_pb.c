/* Fuzz the OpenAPI v2 protobuf encoder: any JSON document must encode or
 * fail cleanly, and the YAML writer must handle any value. */
#include <stddef.h>
#include <stdint.h>

#include "base/json.h"
#include "kube/openapi_pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    if (zk_json_decode((const char *)data, size, &doc, NULL) < 0)
        return 0;
    zk_buf out = ZK_BUF_INIT(1 << 20);
    zk_err err = {0};
    (void)zk_kube_openapi_pb_encode(doc, &out, &err);
    zk_buf_reset(&out);
    (void)zk_kube_openapi_pb_yaml(doc, &out);
    /* A small bound exercises the failure path in the middle of a message. */
    zk_buf small = ZK_BUF_INIT(size / 2 + 1);
    (void)zk_kube_openapi_pb_encode(doc, &small, &err);
    zk_buf_free(&small);
    zk_buf_free(&out);
    json_decref(doc);
    return 0;
}
