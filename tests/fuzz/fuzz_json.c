/* Fuzz zk_json_decode: what decodes must encode and decode to an equal
 * value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = NULL, *back = NULL;
    zk_err err = {0};

    if (zk_json_decode((const char *)data, size, &j, &err) != 0)
        return 0;
    zk_buf b = ZK_BUF_INIT((size_t)64 << 20);
    if (zk_json_encode(j, &b) != 0)
        abort();
    if (zk_json_decode(b.data, b.len, &back, &err) != 0) {
        fprintf(stderr, "re-decode failed: %s\n", err.msg);
        abort();
    }
    if (!json_equal(j, back))
        abort();
    json_decref(back);
    json_decref(j);
    zk_buf_free(&b);
    return 0;
}
