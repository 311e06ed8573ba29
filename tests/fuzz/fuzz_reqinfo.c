/* Fuzz request-path parsing: method NUL path, then query lookups. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "apiserver/reqinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    const char *nul = memchr(d, '\0', size);
    size_t mlen = nul ? (size_t)(nul - d) : 3;
    const char *method = nul ? d : "GET";
    const char *path = nul ? nul + 1 : d;
    size_t plen = nul ? size - mlen - 1 : size;
    zk_reqinfo ri;
    zk_err err = {0};
    if (zk_reqinfo_parse(&ri, method, mlen, path, plen, &err) == 0) {
        char out[256];
        zk_query_get(ri.query, "labelSelector", out, sizeof(out));
        zk_query_get(ri.query, "watch", out, sizeof(out));
        zk_query_bool(ri.query, "watch");
        /* invariants: the parsed parts are strings within the struct */
        if (ri.resource_request && !ri.resource[0] && !ri.name[0])
            __builtin_trap();
    }
    zk_reqinfo_free(&ri);
    return 0;
}
