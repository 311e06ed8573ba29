/* Fuzz the HTTP/1.1 response reader as a client uses it: bytes arrive in
 * chunks whose sizes come from the input and wait in a buffer until taken.
 * It never takes more than it was given, body pieces and header fields lie
 * inside what it was given, every call makes progress or asks for more,
 * and an error sticks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *p, size_t n, const char *buf, size_t len)
{
    if (n && (p < buf || p + n > buf + len))
        abort();
    volatile char sum = 0;
    for (size_t i = 0; i < n; i++)
        sum ^= p[i];
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = data[0] ? data[0] : SIZE_MAX;
    bool head_req = data[1] & 1;
    data += 2;
    size -= 2;
    char *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    size_t have = 0, off = 0;
    zk_h1_resp r;
    zk_h1_resp_init(&r, head_req);
    int phase = 0;   /* 0 before HEAD, 1 in the body, 2 after END */
    bool failed = false;
    while (!failed && (off < size || have)) {
        size_t chunk = size - off < step ? size - off : step;
        memcpy(buf + have, data + off, chunk);
        have += chunk;
        off += chunk;
        for (;;) {
            size_t used = SIZE_MAX;
            zk_h1_event ev;
            zk_err err = {0};
            int rc = zk_h1_resp_parse(&r, buf, have, &used, &ev, &err);
            if (rc < 0) {
                if (!err.msg[0] || zk_h1_resp_parse(&r, buf, have, &used, &ev, &err) != -1 ||
                    used != 0)
                    abort();
                failed = true;
                break;
            }
            if (used > have)
                abort();
            if (rc == 1) {
                if (ev.type == ZK_H1_HEAD) {
                    if (phase != 0 || ev.status < 100 || ev.status > 599 ||
                        ev.nheaders > ZK_H1_HEADERS_MAX)
                        abort();
                    for (size_t i = 0; i < ev.nheaders; i++) {
                        inside(ev.headers[i].name, ev.headers[i].name_len, buf, have);
                        inside(ev.headers[i].value, ev.headers[i].value_len, buf, have);
                        if (!ev.headers[i].name_len)
                            abort();
                    }
                    phase = 1;
                } else if (ev.type == ZK_H1_DATA) {
                    if (phase != 1 || !ev.len || ev.len > used)
                        abort();
                    inside(ev.data, ev.len, buf, have);
                } else if (ev.type == ZK_H1_END) {
                    if (phase != 1)
                        abort();
                    phase = 0;
                    zk_h1_resp_init(&r, head_req);
                } else {
                    abort();
                }
            } else if (rc != 0) {
                abort();
            }
            memmove(buf, buf + used, have - used);
            have -= used;
            if (rc == 0 && used == 0)
                break;
        }
        if (off == size) {
            if (!failed) {
                zk_h1_event ev;
                zk_err err = {0};
                int rc = zk_h1_resp_eof(&r, &ev, &err);
                if (rc == 1 && ev.type != ZK_H1_END)
                    abort();
                if (rc < 0 && !err.msg[0])
                    abort();
            }
            break;
        }
    }
    free(buf);
    return 0;
}
