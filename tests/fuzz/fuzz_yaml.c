/* Fuzz the YAML decoder and encoder: whatever decodes must encode, and the
 * encoding must decode to an equal value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *docs = NULL, *back = NULL, *one = NULL;
    zk_err err = {0};

    if (zk_yaml_decode((const char *)data, size, &one, &err) == 0)
        json_decref(one);
    if (zk_yaml_decode_all((const char *)data, size, 1 << 20, &docs, &err) != 0)
        return 0;
    zk_buf b = ZK_BUF_INIT((size_t)256 << 20);
    if (zk_yaml_encode_all(docs, &b, &err) != 0) {
        fprintf(stderr, "encode failed: %s\n", err.msg);
        abort();
    }
    if (zk_yaml_decode_all(b.data ? b.data : "", b.len, b.len, &back, &err) != 0) {
        fprintf(stderr, "re-decode failed: %s\n%s\n", err.msg, b.data);
        abort();
    }
    if (!json_equal(docs, back)) {
        char *x = json_dumps(docs, JSON_COMPACT), *y = json_dumps(back, JSON_COMPACT);
        fprintf(stderr, "roundtrip differs:\n%s\n%s\nvia\n%s\n", x, y, b.data);
        abort();
    }
    json_decref(back);
    json_decref(docs);
    zk_buf_free(&b);
    return 0;
}
