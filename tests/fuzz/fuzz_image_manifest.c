/* Fuzz the image manifest parser: any input is refused with a message or
 * gives a config digest and layers whose digests are all well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/images.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > ZK_IMAGES_MAX_DOC)
        return 0;
    zk_agent_image img;
    memset(&img, 0, sizeof(img));
    zk_err err = {0};
    if (zk_agent_image_parse_manifest((const char *)data, size, &img, &err) != 0) {
        if (!err.msg[0] || img.layers)
            abort();
        return 0;
    }
    if (!zk_agent_image_digest_valid(img.config))
        abort();
    for (size_t i = 0; i < img.nlayers; i++)
        if (!zk_agent_image_digest_valid(img.layers[i].digest) || img.layers[i].size < 0)
            abort();
    zk_agent_image_clear(&img);
    return 0;
}
