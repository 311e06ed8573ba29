/* Fuzz the image reference parser: any input either fails with a message
 * or parses to a reference whose normalized text parses back to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/image_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024)
        return 0;
    char in[1025];
    memcpy(in, data, size);
    in[size] = '\0';
    zk_image_ref r, again;
    zk_err err = {0};
    if (zk_agent_image_ref_parse(in, &r, &err) != 0) {
        if (!err.msg[0])
            abort();
        return 0;
    }
    char text[1024], text2[1024];
    size_t n = zk_agent_image_ref_string(&r, text, sizeof(text));
    if (n >= sizeof(text) || !r.domain[0] || !r.path[0] || (!r.tag[0] && !r.digest[0]))
        abort();
    if (zk_agent_image_ref_parse(text, &again, &err) != 0) {
        fprintf(stderr, "normalized \"%s\" does not parse: %s\n", text, err.msg);
        abort();
    }
    zk_agent_image_ref_string(&again, text2, sizeof(text2));
    if (strcmp(text, text2)) {
        fprintf(stderr, "\"%s\" -> \"%s\" -> \"%s\"\n", in, text, text2);
        abort();
    }
    return 0;
}
