/* Fuzz the tunnel frame parser over a byte stream: every frame lies inside
 * the input, parsing never runs past it, and a parsed header written back
 * gives the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        zk_frame f;
        int n = zk_frame_parse(data + off, size - off, &f);
        if (n <= 0)
            break;
        if ((size_t)n > size - off || f.payload + f.len > data + size || f.len > ZK_FRAME_MAX)
            abort();
        uint8_t h[ZK_FRAME_HEADER];
        zk_frame_header(h, f.stream, f.type, f.len);
        if (memcmp(h, data + off, ZK_FRAME_HEADER))
            abort();
        off += (size_t)n;
    }
    return 0;
}
