/* Fuzz kubeconfig parsing (YAML, named lists, base64 PEM data). File
 * references are refused (dir NULL) so the fuzzer never reads files. What
 * parses has a server URL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    zk_kube_config cfg;
    zk_err err = {0};
    if (zk_kube_config_parse((const char *)data, size, NULL, &cfg, &err) == 0) {
        if (!cfg.server)
            abort();
        zk_kube_config_free(&cfg);
    } else if (!err.msg[0]) {
        abort();   /* every failure says why */
    }
    return 0;
}
