/* zke net: tunnel frames (see frame.h). */
#include "net/frame.h"

int zk_frame_parse(const uint8_t *buf, size_t len, zk_frame *out)
{
    if (len < ZK_FRAME_HEADER)
        return 0;
    uint32_t stream = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 |
                      buf[3];
    int type = buf[4];
    size_t plen = (size_t)buf[5] << 16 | (size_t)buf[6] << 8 | buf[7];
    if (type < ZK_FRAME_OPEN || type > ZK_FRAME_EOF || plen > ZK_FRAME_MAX)
        return -1;
    if (len < ZK_FRAME_HEADER + plen)
        return 0;
    out->stream = stream;
    out->type = type;
    out->payload = buf + ZK_FRAME_HEADER;
    out->len = plen;
    return (int)(ZK_FRAME_HEADER + plen);
}

void zk_frame_header(uint8_t out[ZK_FRAME_HEADER], uint32_t stream, int type, size_t len)
{
    out[0] = (uint8_t)(stream >> 24);
    out[1] = (uint8_t)(stream >> 16);
    out[2] = (uint8_t)(stream >> 8);
    out[3] = (uint8_t)stream;
    out[4] = (uint8_t)type;
    out[5] = (uint8_t)(len >> 16);
    out[6] = (uint8_t)(len >> 8);
    out[7] = (uint8_t)len;
}

bool zk_frame_credit(size_t *owed, size_t n, uint8_t out[4])
{
    *owed += n;
    if (*owed < ZK_TUN_WINDOW / 8)
        return false;
    uint32_t v = *owed > UINT32_MAX ? UINT32_MAX : (uint32_t)*owed;
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
    *owed -= v;
    return true;
}

uint32_t zk_frame_window(const zk_frame *f)
{
    if (f->type != ZK_FRAME_WINDOW || f->len != 4)
        return 0;
    const uint8_t *b = f->payload;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
