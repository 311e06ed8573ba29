/* zke net: RFC 6455 WebSocket framing, server side, without I/O.
 *
 * The HTTP upgrade is done elsewhere; after it the caller reads bytes from
 * the connection and hands them to zk_ws_parse(), which returns whole
 * messages (a data message put together from its fragments) and control
 * frames, and builds the headers of the frames the server sends back.
 *
 * What a client may send is checked strictly, and any violation fails the
 * connection with a close code: no RSV bits (we negotiate no extensions), a
 * known opcode, the MASK bit set (client frames are always masked), the
 * high bit of a 64-bit length clear, control frames unfragmented and at most
 * 125 bytes, continuation frames only inside a fragmented message and no
 * new data message inside one. Data messages are bounded by the max_msg
 * given at creation (1009 past it).
 *
 * Text messages are NOT checked to be UTF-8, nor are close reasons: the
 * clients we serve (kubectl/client-go exec, attach, port-forward) send
 * binary frames; a caller that cares about text must validate it itself.
 * Non-minimal length encodings (a 16-bit length under 126) are accepted. */
#ifndef ZK_NET_WS_H
#define ZK_NET_WS_H

#include <stddef.h>
#include <stdint.h>

#define ZK_WS_HEADER_MAX 10   /* bytes of a server (unmasked) frame header */
#define ZK_WS_CONTROL_MAX 125 /* payload bytes of a control frame */

/* Opcodes; 0 (continuation) never reaches the caller. */
enum { ZK_WS_CONTINUATION = 0, ZK_WS_TEXT = 1, ZK_WS_BINARY = 2, ZK_WS_CLOSE = 8,
       ZK_WS_PING = 9, ZK_WS_PONG = 10 };

/* Close codes (RFC 6455 section 7.4.1) the codec and its callers use. */
enum { ZK_WS_NORMAL = 1000, ZK_WS_GOING_AWAY = 1001, ZK_WS_PROTOCOL_ERROR = 1002,
       ZK_WS_NO_STATUS = 1005, ZK_WS_TOO_BIG = 1009, ZK_WS_INTERNAL_ERROR = 1011 };

/* The reading side of one connection. */
typedef struct zk_ws zk_ws;

typedef struct zk_ws_msg {
    int opcode;            /* ZK_WS_TEXT, _BINARY, _CLOSE, _PING or _PONG */
    const uint8_t *data;   /* owned by the parser; never NULL, even when len is 0 */
    size_t len;
    uint16_t close_code;   /* CLOSE only: the peer's code, ZK_WS_NO_STATUS when it sent
                            * none; data/len are then the reason (not NUL-terminated) */
} zk_ws_msg;

/* A parser for messages of at most max_msg bytes (after reassembly). It
 * keeps the message being assembled in a buffer it owns, grown as bytes
 * arrive (never past max_msg), plus a frame header and one control payload
 * (at most 14 + 125 bytes, inside the parser). Aborts on allocation failure. */
zk_ws *zk_ws_new(size_t max_msg);
void zk_ws_free(zk_ws *ws);

/* Take bytes from buf until one message or control frame is whole or the
 * bytes run out; *used gets the count taken (the caller drops those and
 * hands the rest, if any, to the next call). Partial frames are kept inside
 * the parser, so any split of the stream works, one byte at a time too.
 * buf is only read (unmasking copies into the parser's buffer).
 *
 * Returns 1 with *msg filled when a message is ready — msg->data stays valid
 * until the next call on ws; 0 when all of buf was taken and no message is
 * ready yet; -1 when the client broke the protocol: zk_ws_error() says how,
 * the server should send a close frame with that code and drop the
 * connection, and every later call returns -1 again.
 *
 * A PING must be answered with a PONG carrying its payload (copy it before
 * the next call). After a CLOSE is returned, the parser takes and ignores
 * everything that follows (RFC 6455: nothing may come after a close). */
int zk_ws_parse(zk_ws *ws, const uint8_t *buf, size_t len, size_t *used, zk_ws_msg *msg);

/* After zk_ws_parse() returned -1: the close code to send
 * (ZK_WS_PROTOCOL_ERROR or ZK_WS_TOO_BIG) in *code (if non-NULL), and a
 * short reason (a static string under 123 bytes) as the result. NULL and
 * *code untouched when there was no error. */
const char *zk_ws_error(const zk_ws *ws, uint16_t *code);

/* Write the header of a server frame — FIN set, no mask — for opcode and a
 * payload of len bytes into out; returns its size (2, 4 or 10). len must be
 * under 2^63, and at most ZK_WS_CONTROL_MAX for a control opcode (asserted:
 * these are caller bugs). */
size_t zk_ws_header(uint8_t out[ZK_WS_HEADER_MAX], int opcode, uint64_t len);

/* Write the payload of a close frame into out: code (big-endian) and reason
 * (NULL for none), the reason cut to 123 bytes at a UTF-8 character
 * boundary. Returns the payload length, 0 (an empty payload) when code is
 * ZK_WS_NO_STATUS, which must not be sent on the wire. */
size_t zk_ws_close_payload(uint8_t out[ZK_WS_CONTROL_MAX], uint16_t code, const char *reason);

#endif
