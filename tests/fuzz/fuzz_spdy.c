/* Fuzz the SPDY/3 codec over a byte stream, as one server session reads
 * it: every event lies inside the bytes it took, which lie inside the
 * input; header strings are NUL-terminated within the bounds; and every
 * header block we parsed, built again and read by a peer session, gives the
 * same headers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "net/spdy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Build the event's headers into a HEADERS frame and read it back. */
static void round_trip(zk_spdy **w, zk_spdy **peer, const zk_spdy_event *ev)
{
    const char *names[ZK_SPDY_HEADERS_MAX], *values[ZK_SPDY_HEADERS_MAX];
    for (size_t i = 0; i < ev->nheaders; i++) {
        names[i] = ev->headers[i].name;
        values[i] = ev->headers[i].value;
    }
    if (!*w) {
        *w = zk_spdy_new();
        *peer = zk_spdy_new();
    }
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    int rc = zk_spdy_headers(*w, &out, ev->stream, names, values, ev->nheaders, 0, NULL);
    if (rc == -ZK_EINVAL || rc == -ZK_ETOOBIG) {
        if (out.len != 0)
            abort();
        return;
    }
    if (rc != 0)
        abort();
    zk_spdy_event back;
    if (zk_spdy_parse(*peer, (const uint8_t *)out.data, out.len, &back, NULL) != (int)out.len ||
        back.type != ZK_SPDY_HEADERS || back.stream != ev->stream ||
        back.nheaders != ev->nheaders)
        abort();
    for (size_t i = 0; i < ev->nheaders; i++)
        if (strcasecmp(back.headers[i].name, names[i]) != 0 ||
            strcmp(back.headers[i].value, values[i]) != 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zk_spdy *s = zk_spdy_new(), *w = NULL, *peer = NULL;
    size_t off = 0;
    while (off < size) {
        zk_spdy_event ev;
        int n = zk_spdy_parse(s, data + off, size - off, &ev, NULL);
        if (n <= 0)
            break;
        const uint8_t *start = data + off, *end = start + n;
        if ((size_t)n > size - off)
            abort();
        if (ev.type == ZK_SPDY_DATA &&
            (ev.data < start || ev.data > end || ev.len > (size_t)(end - ev.data) ||
             ev.stream == 0 || ev.stream > ZK_SPDY_STREAM_MAX))
            abort();
        if (ev.type == ZK_SPDY_SETTINGS &&
            (ev.settings < start || ev.nsettings > (size_t)(end - ev.settings) / 8))
            abort();
        if (ev.nheaders > ZK_SPDY_HEADERS_MAX)
            abort();
        for (size_t i = 0; i < ev.nheaders; i++) {
            const zk_spdy_header *h = &ev.headers[i];
            if (h->name_len > ZK_SPDY_HEADER_MAX || h->value_len > ZK_SPDY_HEADER_MAX ||
                h->name[h->name_len] != '\0' || h->value[h->value_len] != '\0')
                abort();
        }
        if (ev.type == ZK_SPDY_SYN_STREAM || ev.type == ZK_SPDY_SYN_REPLY ||
            ev.type == ZK_SPDY_HEADERS)
            round_trip(&w, &peer, &ev);
        off += (size_t)n;
    }
    zk_spdy_free(s);
    zk_spdy_free(w);
    zk_spdy_free(peer);
    return 0;
}
