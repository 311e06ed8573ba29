/* Fuzz the WebSocket frame parser over a byte stream, fed in chunks whose
 * sizes come from the input: it never takes more than it was given, every
 * message lies in memory the parser owns and is readable to its end, data
 * messages stay within max_msg and control payloads within 125 bytes, and
 * an error is reported with a close code and sticks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* the first byte picks the chunk size: 1..255 bytes, or all at once */
    size_t step = data[0] ? data[0] : SIZE_MAX;
    data++;
    size--;
    /* a copy of exactly size bytes, so ASan sees any read past the input
     * (the parser only reads its input, but must never write it either) */
    uint8_t *in = malloc(size ? size : 1);
    if (!in)
        abort();
    memcpy(in, data, size);

    zk_ws *ws = zk_ws_new(MAX_MSG);
    size_t off = 0;
    int closed = 0;
    while (off < size) {
        size_t chunk = size - off < step ? size - off : step;
        size_t used = SIZE_MAX;
        zk_ws_msg m;
        int r = zk_ws_parse(ws, in + off, chunk, &used, &m);
        if (used > chunk)
            abort();
        if (r < 0) {
            uint16_t code = 0;
            const char *reason = zk_ws_error(ws, &code);
            if (!reason || strlen(reason) > 123 ||
                (code != ZK_WS_PROTOCOL_ERROR && code != ZK_WS_TOO_BIG))
                abort();
            if (zk_ws_parse(ws, in + off, chunk, &used, &m) != -1 || used != 0)
                abort();
            break;
        }
        if (zk_ws_error(ws, NULL))
            abort();
        if (r == 0) {
            if (used != chunk)
                abort();
        } else if (r == 1) {
            /* a message ends on a byte of this call: no call without progress */
            if (closed || !m.data || used == 0)
                abort();
            /* messages come from the parser's own buffers, never the input */
            if (m.len && m.data < in + size && m.data + m.len > in)
                abort();
            switch (m.opcode) {
            case ZK_WS_TEXT: case ZK_WS_BINARY:
                if (m.len > MAX_MSG)
                    abort();
                break;
            case ZK_WS_CLOSE:
                closed = 1;
                /* fall through */
            case ZK_WS_PING: case ZK_WS_PONG:
                if (m.len > ZK_WS_CONTROL_MAX)
                    abort();
                break;
            default:
                abort();
            }
            /* touch every byte so ASan checks the whole range */
            volatile uint8_t sum = 0;
            for (size_t i = 0; i < m.len; i++)
                sum ^= m.data[i];
            (void)sum;
        } else {
            abort();
        }
        off += used;
    }
    if (memcmp(in, data, size) != 0)
        abort();
    zk_ws_free(ws);
    free(in);
    return 0;
}
