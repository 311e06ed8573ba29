/* zke net: WebSocket framing, server side (see ws.h). */
#include "net/ws.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* A message buffer that grew past this is given back once its message has
 * been delivered, so an idle connection does not keep a big one. */
#define WS_KEEP_BUF (64u * 1024)
#define WS_FIRST_BUF 4096u

enum { ST_HEADER, ST_PAYLOAD, ST_CLOSED, ST_FAILED };

struct zk_ws {
    size_t max_msg;
    int state;

    /* the frame header being read: 2 bytes, then the extended length and
     * the masking key, hdr_need in all */
    uint8_t hdr[14];
    size_t hdr_have, hdr_need;

    /* the frame whose payload is being read */
    int fin, opcode;
    uint8_t key[4];
    uint64_t remaining;   /* payload bytes still to come */
    uint64_t pos;         /* payload bytes taken, for the key's phase */

    /* a control frame's payload */
    uint8_t ctl[ZK_WS_CONTROL_MAX];
    size_t ctl_len;

    /* the data message being assembled */
    int in_msg, msg_opcode;
    uint8_t *msg;
    size_t msg_len, msg_cap;
    int delivered;        /* msg was handed out: reset it on the next call */

    uint16_t err_code;
    const char *err_reason;
};

zk_ws *zk_ws_new(size_t max_msg)
{
    zk_ws *ws = zk_xcalloc(1, sizeof(*ws));
    ws->max_msg = max_msg;
    ws->state = ST_HEADER;
    ws->hdr_need = 2;
    return ws;
}

void zk_ws_free(zk_ws *ws)
{
    if (!ws)
        return;
    free(ws->msg);
    free(ws);
}

const char *zk_ws_error(const zk_ws *ws, uint16_t *code)
{
    if (ws->state != ST_FAILED)
        return NULL;
    if (code)
        *code = ws->err_code;
    return ws->err_reason;
}

static int fail(zk_ws *ws, uint16_t code, const char *reason)
{
    ws->state = ST_FAILED;
    ws->err_code = code;
    ws->err_reason = reason;
    return -1;
}

static int is_control(int opcode)
{
    return opcode & 8;
}

/* The first two header bytes are in: check what they say and learn how
 * long the whole header is. */
static int header_start(zk_ws *ws)
{
    uint8_t b0 = ws->hdr[0], b1 = ws->hdr[1];
    int opcode = b0 & 0x0f;
    unsigned len7 = b1 & 0x7f;

    ws->fin = !!(b0 & 0x80);
    ws->opcode = opcode;
    if (b0 & 0x70)
        return fail(ws, ZK_WS_PROTOCOL_ERROR, "reserved bits set, no extension was negotiated");
    switch (opcode) {
    case ZK_WS_CONTINUATION: case ZK_WS_TEXT: case ZK_WS_BINARY:
    case ZK_WS_CLOSE: case ZK_WS_PING: case ZK_WS_PONG:
        break;
    default:
        return fail(ws, ZK_WS_PROTOCOL_ERROR, "unknown opcode");
    }
    if (!(b1 & 0x80))
        return fail(ws, ZK_WS_PROTOCOL_ERROR, "client frame not masked");
    if (is_control(opcode)) {
        if (!ws->fin)
            return fail(ws, ZK_WS_PROTOCOL_ERROR, "fragmented control frame");
        if (len7 > ZK_WS_CONTROL_MAX)
            return fail(ws, ZK_WS_PROTOCOL_ERROR, "control frame over 125 bytes");
    } else if (opcode == ZK_WS_CONTINUATION && !ws->in_msg) {
        return fail(ws, ZK_WS_PROTOCOL_ERROR, "continuation frame without a message");
    } else if (opcode != ZK_WS_CONTINUATION && ws->in_msg) {
        return fail(ws, ZK_WS_PROTOCOL_ERROR, "new data frame inside a fragmented message");
    }
    ws->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
    return 0;
}

/* The whole header is in: the payload length, the key, and the message
 * the frame belongs to. */
static int header_end(zk_ws *ws)
{
    const uint8_t *h = ws->hdr;
    uint64_t len = h[1] & 0x7f;
    size_t at = 2;

    if (len == 126) {
        len = (uint64_t)h[2] << 8 | h[3];
        at = 4;
    } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | h[2 + i];
        at = 10;
        if (len >> 63)
            return fail(ws, ZK_WS_PROTOCOL_ERROR, "64-bit payload length with the high bit set");
    }
    memcpy(ws->key, h + at, 4);

    if (is_control(ws->opcode)) {
        ws->ctl_len = 0;
    } else {
        if (ws->opcode != ZK_WS_CONTINUATION) {
            ws->in_msg = 1;
            ws->msg_opcode = ws->opcode;
            ws->msg_len = 0;
        }
        /* msg_len never exceeds max_msg, so the subtraction is safe */
        if (len > ws->max_msg - ws->msg_len)
            return fail(ws, ZK_WS_TOO_BIG, "message too big");
    }
    ws->remaining = len;
    ws->pos = 0;
    ws->hdr_have = 0;
    ws->hdr_need = 2;
    ws->state = ST_PAYLOAD;
    return 0;
}

/* Read header bytes from buf at *off. Returns 1 when the header is whole,
 * 0 when buf ran out first, -1 on a protocol error. */
static int take_header(zk_ws *ws, const uint8_t *buf, size_t len, size_t *off)
{
    while (ws->hdr_have < ws->hdr_need) {
        if (*off == len)
            return 0;
        size_t n = ws->hdr_need - ws->hdr_have;
        if (n > len - *off)
            n = len - *off;
        memcpy(ws->hdr + ws->hdr_have, buf + *off, n);
        ws->hdr_have += n;
        *off += n;
        /* hdr_need grows past 2 once the first two bytes are checked */
        if (ws->hdr_need == 2 && ws->hdr_have == 2 && header_start(ws) < 0)
            return -1;
    }
    return header_end(ws) < 0 ? -1 : 1;
}

/* dst = src XOR the masking key, starting at payload offset pos. */
static void unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t key[4], uint64_t pos)
{
    uint8_t k[8];
    for (int i = 0; i < 8; i++)
        k[i] = key[(pos + (uint64_t)i) & 3];
    uint64_t kw;
    memcpy(&kw, k, sizeof(kw));
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, sizeof(w));
        w ^= kw;
        memcpy(dst + i, &w, sizeof(w));
    }
    for (; i < n; i++)
        dst[i] = src[i] ^ k[i & 7];
}

/* Room for n more message bytes; the header check keeps msg_len + n within
 * max_msg. */
static void msg_reserve(zk_ws *ws, size_t n)
{
    size_t need = ws->msg_len + n;
    if (need <= ws->msg_cap)
        return;
    size_t cap = ws->msg_cap ? ws->msg_cap : WS_FIRST_BUF;
    while (cap < need && cap <= ws->max_msg / 2)
        cap *= 2;
    if (cap > ws->max_msg)
        cap = ws->max_msg;
    if (cap < need)
        cap = need;
    ws->msg = zk_xrealloc(ws->msg, cap);
    ws->msg_cap = cap;
}

static int valid_close_code(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/* A frame's payload is whole. Returns 1 when *msg is ready, 0 when the
 * message goes on in further frames, -1 on a protocol error. */
static int frame_end(zk_ws *ws, zk_ws_msg *msg)
{
    ws->state = ST_HEADER;
    if (is_control(ws->opcode)) {
        *msg = (zk_ws_msg){.opcode = ws->opcode, .data = ws->ctl, .len = ws->ctl_len};
        if (ws->opcode == ZK_WS_CLOSE) {
            if (ws->ctl_len == 1)
                return fail(ws, ZK_WS_PROTOCOL_ERROR, "close frame with a 1-byte payload");
            msg->close_code = ZK_WS_NO_STATUS;
            if (ws->ctl_len >= 2) {
                msg->close_code = (uint16_t)(ws->ctl[0] << 8 | ws->ctl[1]);
                if (!valid_close_code(msg->close_code))
                    return fail(ws, ZK_WS_PROTOCOL_ERROR, "invalid close code");
                msg->data = ws->ctl + 2;
                msg->len = ws->ctl_len - 2;
            }
            ws->state = ST_CLOSED;
        }
        return 1;
    }
    if (!ws->fin)
        return 0;
    *msg = (zk_ws_msg){.opcode = ws->msg_opcode, .data = ws->msg ? ws->msg : ws->ctl,
                       .len = ws->msg_len};
    ws->in_msg = 0;
    ws->delivered = 1;
    return 1;
}

int zk_ws_parse(zk_ws *ws, const uint8_t *buf, size_t len, size_t *used, zk_ws_msg *msg)
{
    size_t off = 0;
    int r = 0;

    *used = 0;
    if (ws->delivered) {
        ws->delivered = 0;
        ws->msg_len = 0;
        if (ws->msg_cap > WS_KEEP_BUF) {
            free(ws->msg);
            ws->msg = NULL;
            ws->msg_cap = 0;
        }
    }
    if (ws->state == ST_FAILED)
        return -1;
    if (ws->state == ST_CLOSED) {
        *used = len;
        return 0;
    }
    for (;;) {
        if (ws->state == ST_HEADER) {
            r = take_header(ws, buf, len, &off);
            if (r <= 0)
                break;
        }
        /* a frame's payload; an empty one ends at its header */
        size_t n = len - off;
        if (n > ws->remaining)
            n = (size_t)ws->remaining;
        if (n) {
            uint8_t *dst;
            if (is_control(ws->opcode)) {
                dst = ws->ctl + ws->ctl_len;
                ws->ctl_len += n;
            } else {
                msg_reserve(ws, n);
                dst = ws->msg + ws->msg_len;
                ws->msg_len += n;
            }
            unmask(dst, buf + off, n, ws->key, ws->pos);
            off += n;
            ws->remaining -= n;
            ws->pos += n;
        }
        if (ws->remaining) {
            r = 0;
            break;
        }
        r = frame_end(ws, msg);
        if (r != 0)
            break;
    }
    *used = off;
    return r;
}

size_t zk_ws_header(uint8_t out[ZK_WS_HEADER_MAX], int opcode, uint64_t len)
{
    assert(opcode >= 0 && opcode <= 15);
    assert(!is_control(opcode) || len <= ZK_WS_CONTROL_MAX);
    assert(!(len >> 63));
    out[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}

size_t zk_ws_close_payload(uint8_t out[ZK_WS_CONTROL_MAX], uint16_t code, const char *reason)
{
    if (code == ZK_WS_NO_STATUS)
        return 0;
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    size_t n = reason ? strnlen(reason, ZK_WS_CONTROL_MAX - 2 + 1) : 0;
    if (n > ZK_WS_CONTROL_MAX - 2) {
        n = ZK_WS_CONTROL_MAX - 2;
        /* do not cut a UTF-8 sequence: back off over continuation bytes to
         * the start of the character that did not fit */
        while (n > 0 && ((unsigned char)reason[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out + 2, reason ? reason : "", n);
    return 2 + n;
}
