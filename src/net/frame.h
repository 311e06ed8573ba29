/* zke net: the frames of the agent tunnel (docs/decisions/008-agent-tunnel.md).
 *
 * The node agent opens one connection to the API server and upgrades it;
 * after that both ends speak frames: an 8-byte header — stream id (32 bits),
 * type (8 bits), payload length (24 bits), all big-endian — then the
 * payload. The server opens streams (OPEN, a JSON request), both sides send
 * DATA and end a stream with CLOSE (an optional JSON status); PING/PONG keep
 * an idle connection alive. With version 2 of the tunnel (both ends said
 * so in the upgrade), every stream has a window in each direction: a side
 * sends at most ZK_TUN_WINDOW bytes of DATA that the other has not yet
 * taken, and the other hands credit back in WINDOW frames (a 32-bit
 * big-endian count of bytes it took); EOF says a side sends no more DATA
 * on a stream but still reads (a half close, for port-forward). */
#ifndef ZK_NET_FRAME_H
#define ZK_NET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZK_FRAME_HEADER 8
#define ZK_FRAME_MAX (64u * 1024)   /* payload bytes */
#define ZK_TUN_VERSION 2
#define ZK_TUN_WINDOW (256u * 1024)  /* bytes in flight per stream and direction */

enum { ZK_FRAME_OPEN = 1, ZK_FRAME_DATA = 2, ZK_FRAME_CLOSE = 3, ZK_FRAME_PING = 4,
       ZK_FRAME_PONG = 5, ZK_FRAME_WINDOW = 6, ZK_FRAME_EOF = 7 };

typedef struct zk_frame {
    uint32_t stream;
    int type;
    const uint8_t *payload;   /* points into the parsed buffer */
    size_t len;
} zk_frame;

/* Parse one frame from buf. Returns the bytes it took, 0 when more bytes
 * are needed, -1 when the bytes are no frame (an unknown type, a payload
 * over ZK_FRAME_MAX): the connection must be dropped. */
int zk_frame_parse(const uint8_t *buf, size_t len, zk_frame *out);

/* Write a frame's header for a payload of len bytes (at most ZK_FRAME_MAX)
 * into out. */
void zk_frame_header(uint8_t out[ZK_FRAME_HEADER], uint32_t stream, int type, size_t len);

/* n more bytes of a stream were passed on: *owed grows, and once it makes
 * a batch (an eighth of the window) the WINDOW payload that hands it back
 * is written to out, *owed is reset and true returned. Batches smaller
 * than the window cannot deadlock: a blocked sender has a whole window in
 * flight, which the receiver will pass on. */
bool zk_frame_credit(size_t *owed, size_t n, uint8_t out[4]);
/* The credit a WINDOW frame carries; 0 for a malformed one. */
uint32_t zk_frame_window(const zk_frame *f);

#endif
