/* Fuzz the Redis reply parser: any bytes parse as replies, ask for more, or
 * fail with a message; a reply never takes more bytes than it was given,
 * and a strict prefix of a complete reply never parses as complete. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "net/resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t off = 0;
    for (int i = 0; i < 64 && off < size; i++) {
        json_t *v = NULL;
        zk_err err = {0};
        ssize_t n = zk_resp_parse(p + off, size - off, &v, &err);
        if (n < 0) {
            if (!err.msg[0])
                abort();   /* a failure says why */
            break;
        }
        if (n == 0)
            break;
        if ((size_t)n > size - off || !v)
            abort();
        /* the same reply cut one byte short is incomplete or malformed */
        json_t *w = NULL;
        ssize_t m = zk_resp_parse(p + off, (size_t)n - 1, &w, NULL);
        if (m > 0)
            abort();
        json_decref(w);
        json_decref(v);
        off += (size_t)n;
    }
    return 0;
}
