/* Fuzz the registries file parser and the pull plan built from it: any
 * input is refused with a message, or gives a plan whose endpoints are
 * http(s) URLs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/registries.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    zk_registries *r = NULL;
    zk_err err = {0};
    if (zk_registries_parse((const char *)data, size, &r, &err) != 0) {
        if (!err.msg[0] || r)
            abort();
        return 0;
    }
    static const char *const refs[] = {
        "busybox",
        "127.0.0.1:5000/a/b:1",
        ("reg.io/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
    };
    for (size_t i = 0; i < 3; i++) {
        zk_image_ref ref;
        if (zk_agent_image_ref_parse(refs[i], &ref, NULL) != 0)
            abort();
        zk_registry_try t[ZK_REGISTRIES_MAX_ENDPOINTS + 1];
        size_t n = zk_registries_plan(r, &ref, t, ZK_REGISTRIES_MAX_ENDPOINTS + 1);
        if (n < 1)
            abort();
        for (size_t j = 0; j < n; j++)
            if ((strncmp(t[j].endpoint, "http://", 7) || !t[j].endpoint[7]) &&
                (strncmp(t[j].endpoint, "https://", 8) || !t[j].endpoint[8]))
                abort();
    }
    zk_registries_free(r);
    return 0;
}
