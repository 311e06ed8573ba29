/* zke net: the SPDY/3 session codec (see spdy.h). */
#include "net/spdy.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/mem.h"

/* The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00,
 * section 2.6.10.1): header names and common values, each after its 32-bit
 * length as in a header block, then status lines, dates and media types as
 * bare text. 1423 bytes, no trailing NUL; its zlib dictionary id (adler32)
 * is 0xe3c6a7c2, which is what a peer's compressed blocks name. */
static const char spdy_dict[] =
    "\0\0\0\x07" "options" "\0\0\0\x04" "head" "\0\0\0\x04" "post" "\0\0\0\x03" "put"
    "\0\0\0\x06" "delete" "\0\0\0\x05" "trace" "\0\0\0\x06" "accept"
    "\0\0\0\x0e" "accept-charset" "\0\0\0\x0f" "accept-encoding"
    "\0\0\0\x0f" "accept-language" "\0\0\0\x0d" "accept-ranges" "\0\0\0\x03" "age"
    "\0\0\0\x05" "allow" "\0\0\0\x0d" "authorization" "\0\0\0\x0d" "cache-control"
    "\0\0\0\x0a" "connection" "\0\0\0\x0c" "content-base" "\0\0\0\x10" "content-encoding"
    "\0\0\0\x10" "content-language" "\0\0\0\x0e" "content-length"
    "\0\0\0\x10" "content-location" "\0\0\0\x0b" "content-md5" "\0\0\0\x0d" "content-range"
    "\0\0\0\x0c" "content-type" "\0\0\0\x04" "date" "\0\0\0\x04" "etag"
    "\0\0\0\x06" "expect" "\0\0\0\x07" "expires" "\0\0\0\x04" "from" "\0\0\0\x04" "host"
    "\0\0\0\x08" "if-match" "\0\0\0\x11" "if-modified-since" "\0\0\0\x0d" "if-none-match"
    "\0\0\0\x08" "if-range" "\0\0\0\x13" "if-unmodified-since" "\0\0\0\x0d" "last-modified"
    "\0\0\0\x08" "location" "\0\0\0\x0c" "max-forwards" "\0\0\0\x06" "pragma"
    "\0\0\0\x12" "proxy-authenticate" "\0\0\0\x13" "proxy-authorization"
    "\0\0\0\x05" "range" "\0\0\0\x07" "referer" "\0\0\0\x0b" "retry-after"
    "\0\0\0\x06" "server" "\0\0\0\x02" "te" "\0\0\0\x07" "trailer"
    "\0\0\0\x11" "transfer-encoding" "\0\0\0\x07" "upgrade" "\0\0\0\x0a" "user-agent"
    "\0\0\0\x04" "vary" "\0\0\0\x03" "via" "\0\0\0\x07" "warning"
    "\0\0\0\x10" "www-authenticate" "\0\0\0\x06" "method" "\0\0\0\x03" "get"
    "\0\0\0\x06" "status" "\0\0\0\x06" "200 OK" "\0\0\0\x07" "version"
    "\0\0\0\x08" "HTTP/1.1" "\0\0\0\x03" "url" "\0\0\0\x06" "public"
    "\0\0\0\x0a" "set-cookie" "\0\0\0\x0a" "keep-alive" "\0\0\0\x06" "origin"
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417"
    "502504505"
    "203 Non-Authoritative Information" "204 No Content" "301 Moved Permanently"
    "400 Bad Request" "401 Unauthorized" "403 Forbidden" "404 Not Found"
    "500 Internal Server Error" "501 Not Implemented" "503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,"
    "application/xhtml+xml,text/plain,text/javascript,"
    "publicprivatemax-age=gzip,deflate,sdch"
    "charset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

_Static_assert(sizeof(spdy_dict) == ZK_SPDY_DICT_LEN + 1, "the SPDY/3 dictionary is 1423 bytes");

struct zk_spdy {
    z_stream inflater;          /* the peer's header blocks */
    z_stream deflater;          /* ours */
    uint32_t data_stream;       /* a DATA frame whose payload is still arriving */
    uint32_t data_left;
    uint8_t data_flags;
    int failed;                 /* the ZK_E* code once the session is dead */
    bool deflater_broken;       /* our compressor is out of step with the peer's */
    char failmsg[256];
    zk_spdy_header headers[ZK_SPDY_HEADERS_MAX];
    uint8_t block[ZK_SPDY_HEADER_MAX + 1];   /* one inflated block; the +1 spots overflow */
};

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Appends that were sized beforehand cannot hit the bound. */
static void put(zk_buf *b, const void *p, size_t n)
{
    int rc = zk_buf_append(b, p, n);
    assert(rc == 0);
    (void)rc;
}

const uint8_t *zk_spdy_dictionary(void)
{
    return (const uint8_t *)spdy_dict;
}

zk_spdy *zk_spdy_new(void)
{
    zk_spdy *s = zk_xcalloc(1, sizeof(*s));
    /* Any window: Go's compressor uses 32 KiB. */
    if (inflateInit2(&s->inflater, MAX_WBITS) != Z_OK)
        abort();
    /* Our blocks are a few small headers: a 2 KiB window still holds the
     * whole dictionary, and memLevel 1 keeps the compressor near 16 KiB. */
    if (deflateInit2(&s->deflater, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 11, 1,
                     Z_DEFAULT_STRATEGY) != Z_OK ||
        deflateSetDictionary(&s->deflater, (const Bytef *)spdy_dict, ZK_SPDY_DICT_LEN) != Z_OK)
        abort();
    return s;
}

void zk_spdy_free(zk_spdy *s)
{
    if (!s)
        return;
    inflateEnd(&s->inflater);
    deflateEnd(&s->deflater);
    free(s);
}

/* The session is dead from here on: remember why, for every later call. */
__attribute__((format(printf, 4, 5)))
static int spdy_fail(zk_spdy *s, zk_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->failmsg, sizeof(s->failmsg), fmt, ap);
    va_end(ap);
    s->failed = code;
    return zk_err_set(err, code, "spdy: %s", s->failmsg);
}

/* Inflate one frame's compressed header block into s->block. */
static int spdy_inflate(zk_spdy *s, const uint8_t *in, size_t n, size_t *out, zk_err *err)
{
    if (n == 0)
        return spdy_fail(s, err, ZK_EPARSE, "header block missing");
    z_stream *z = &s->inflater;
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)n;
    z->next_out = s->block;
    z->avail_out = sizeof(s->block);
    while (z->avail_in > 0) {
        uInt in_before = z->avail_in, out_before = z->avail_out;
        int rc = inflate(z, Z_SYNC_FLUSH);
        if (rc == Z_NEED_DICT) {
            /* zlib checks the block's dictionary id against ours */
            if (inflateSetDictionary(z, (const Bytef *)spdy_dict, ZK_SPDY_DICT_LEN) != Z_OK)
                return spdy_fail(s, err, ZK_EPARSE,
                                 "header block compressed with a dictionary other than SPDY/3's");
            continue;
        }
        if (rc == Z_STREAM_END)
            return spdy_fail(s, err, ZK_EPARSE, "peer ended its header compression stream");
        if (z->avail_out == 0)
            return spdy_fail(s, err, ZK_ETOOBIG, "header block inflates past %u bytes",
                             ZK_SPDY_HEADER_MAX);
        if (rc != Z_OK)
            return spdy_fail(s, err, ZK_EPARSE, "bad compressed header block: %s",
                             z->msg ? z->msg : zError(rc));
        if (z->avail_in == in_before && z->avail_out == out_before)
            return spdy_fail(s, err, ZK_EPARSE, "bad compressed header block: no progress");
    }
    *out = sizeof(s->block) - z->avail_out;
    return 0;
}

/* Split the inflated block into headers. Each name and value moves left
 * over the length fields before it, so it can end in a NUL; the write
 * position never passes the read position. */
static int spdy_header_block(zk_spdy *s, size_t n, zk_spdy_event *ev, zk_err *err)
{
    uint8_t *b = s->block;
    if (n < 4)
        return spdy_fail(s, err, ZK_EPARSE, "header block of %zu bytes has no count", n);
    uint32_t count = get32(b);
    if (count > ZK_SPDY_HEADERS_MAX)
        return spdy_fail(s, err, ZK_ETOOBIG, "header block of %u headers (at most %d)", count,
                         ZK_SPDY_HEADERS_MAX);
    size_t r = 4, w = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (n - r < 4)
            return spdy_fail(s, err, ZK_EPARSE, "header block ends in header %u of %u", i, count);
        uint32_t nlen = get32(b + r);
        r += 4;
        if (nlen > n - r || n - r - nlen < 4)
            return spdy_fail(s, err, ZK_EPARSE, "header block ends in header %u of %u", i, count);
        size_t name_at = r;
        r += nlen;
        uint32_t vlen = get32(b + r);
        r += 4;
        if (vlen > n - r)
            return spdy_fail(s, err, ZK_EPARSE, "header block ends in header %u of %u", i, count);
        size_t value_at = r;
        r += vlen;

        zk_spdy_header *h = &s->headers[i];
        memmove(b + w, b + name_at, nlen);
        h->name = (const char *)b + w;
        h->name_len = nlen;
        w += nlen;
        b[w++] = '\0';
        memmove(b + w, b + value_at, vlen);
        h->value = (const char *)b + w;
        h->value_len = vlen;
        w += vlen;
        b[w++] = '\0';
    }
    if (r != n)
        return spdy_fail(s, err, ZK_EPARSE, "header block has %zu bytes after its %u headers",
                         n - r, count);
    ev->headers = s->headers;
    ev->nheaders = count;
    return 0;
}

static const char *spdy_type_name(unsigned type)
{
    switch (type) {
    case ZK_SPDY_SYN_STREAM: return "SYN_STREAM";
    case ZK_SPDY_SYN_REPLY: return "SYN_REPLY";
    case ZK_SPDY_RST_STREAM: return "RST_STREAM";
    case ZK_SPDY_SETTINGS: return "SETTINGS";
    case ZK_SPDY_PING: return "PING";
    case ZK_SPDY_GOAWAY: return "GOAWAY";
    case ZK_SPDY_HEADERS: return "HEADERS";
    case ZK_SPDY_WINDOW_UPDATE: return "WINDOW_UPDATE";
    default: return "unknown";
    }
}

/* A whole control frame's payload p of n bytes. */
static int spdy_control(zk_spdy *s, unsigned type, const uint8_t *p, size_t n, zk_spdy_event *ev,
                        zk_err *err)
{
    const char *what = spdy_type_name(type);
    size_t fixed = 0;       /* bytes before a header block, or the exact length */
    bool exact = true;
    switch (type) {
    case ZK_SPDY_SYN_STREAM: fixed = 10; exact = false; break;
    case ZK_SPDY_SYN_REPLY:
    case ZK_SPDY_HEADERS: fixed = 4; exact = false; break;
    case ZK_SPDY_SETTINGS: fixed = 4; exact = false; break;
    case ZK_SPDY_PING: fixed = 4; break;
    case ZK_SPDY_RST_STREAM:
    case ZK_SPDY_GOAWAY:
    case ZK_SPDY_WINDOW_UPDATE: fixed = 8; break;
    default:
        ev->type = ZK_SPDY_NONE;   /* SPDY/3 2.2.1: ignore unknown control frames */
        return 0;
    }
    if (exact ? n != fixed : n < fixed)
        return spdy_fail(s, err, ZK_EPARSE, "%s frame of %zu bytes (%s %zu)", what, n,
                         exact ? "must be" : "needs at least", fixed);
    ev->type = (int)type;
    switch (type) {
    case ZK_SPDY_SYN_STREAM:
        ev->stream = get32(p) & ZK_SPDY_STREAM_MAX;
        ev->assoc = get32(p + 4) & ZK_SPDY_STREAM_MAX;
        ev->priority = p[8] >> 5;
        ev->slot = p[9];
        break;
    case ZK_SPDY_SYN_REPLY:
    case ZK_SPDY_HEADERS:
        ev->stream = get32(p) & ZK_SPDY_STREAM_MAX;
        break;
    case ZK_SPDY_RST_STREAM:
        ev->stream = get32(p) & ZK_SPDY_STREAM_MAX;
        ev->status = get32(p + 4);
        if (ev->status == 0)
            return spdy_fail(s, err, ZK_EPARSE, "RST_STREAM with status 0");
        break;
    case ZK_SPDY_SETTINGS: {
        uint32_t count = get32(p);
        if ((uint64_t)count * 8 != n - 4)
            return spdy_fail(s, err, ZK_EPARSE, "SETTINGS frame of %zu bytes with %u entries", n,
                             count);
        ev->nsettings = count;
        ev->settings = p + 4;
        return 0;
    }
    case ZK_SPDY_PING:
        ev->ping = get32(p);
        return 0;
    case ZK_SPDY_GOAWAY:
        ev->stream = get32(p) & ZK_SPDY_STREAM_MAX;
        ev->status = get32(p + 4);
        return 0;
    case ZK_SPDY_WINDOW_UPDATE:
        ev->stream = get32(p) & ZK_SPDY_STREAM_MAX;
        ev->delta = get32(p + 4) & 0x7fffffffu;
        return 0;
    }
    if (ev->stream == 0)
        return spdy_fail(s, err, ZK_EPARSE, "%s frame on stream 0", what);
    if (type == ZK_SPDY_RST_STREAM)
        return 0;
    size_t blen = 0;
    int rc = spdy_inflate(s, p + fixed, n - fixed, &blen, err);
    if (rc < 0)
        return rc;
    return spdy_header_block(s, blen, ev, err);
}

int zk_spdy_parse(zk_spdy *s, const uint8_t *buf, size_t len, zk_spdy_event *ev, zk_err *err)
{
    if (s->failed)
        return zk_err_set(err, s->failed, "spdy: session failed earlier: %s", s->failmsg);
    memset(ev, 0, sizeof(*ev));

    if (s->data_left > 0) {     /* more of a DATA frame's payload */
        if (len == 0)
            return 0;
        size_t n = len < s->data_left ? len : s->data_left;
        s->data_left -= (uint32_t)n;
        ev->type = ZK_SPDY_DATA;
        ev->stream = s->data_stream;
        ev->flags = s->data_left ? 0 : s->data_flags;
        ev->data = buf;
        ev->len = n;
        return (int)n;
    }

    if (len < ZK_SPDY_FRAME_HEADER)
        return 0;
    uint32_t w0 = get32(buf), w1 = get32(buf + 4);
    int flags = (int)(w1 >> 24);
    size_t flen = w1 & 0xffffffu;

    if (!(w0 & 0x80000000u)) {
        if (w0 == 0)
            return spdy_fail(s, err, ZK_EPARSE, "DATA frame on stream 0");
        if (flen > 0 && len == ZK_SPDY_FRAME_HEADER)
            return 0;
        size_t avail = len - ZK_SPDY_FRAME_HEADER;
        size_t n = avail < flen ? avail : flen;
        s->data_stream = w0;
        s->data_left = (uint32_t)(flen - n);
        s->data_flags = (uint8_t)flags;
        ev->type = ZK_SPDY_DATA;
        ev->stream = w0;
        ev->flags = s->data_left ? 0 : flags;
        ev->data = buf + ZK_SPDY_FRAME_HEADER;
        ev->len = n;
        return (int)(ZK_SPDY_FRAME_HEADER + n);
    }

    unsigned version = (w0 >> 16) & 0x7fffu, type = w0 & 0xffffu;
    if (version != ZK_SPDY_VERSION)
        return spdy_fail(s, err, ZK_EUNSUPPORTED, "SPDY version %u (only 3 is spoken)", version);
    if (flen > ZK_SPDY_CONTROL_MAX)
        return spdy_fail(s, err, ZK_ETOOBIG, "%s frame of %zu bytes (at most %u)",
                         spdy_type_name(type), flen, ZK_SPDY_CONTROL_MAX);
    if (len - ZK_SPDY_FRAME_HEADER < flen)
        return 0;
    int rc = spdy_control(s, type, buf + ZK_SPDY_FRAME_HEADER, flen, ev, err);
    if (rc < 0)
        return rc;
    ev->flags = flags;
    return (int)(ZK_SPDY_FRAME_HEADER + flen);
}

const char *zk_spdy_event_header(const zk_spdy_event *ev, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < ev->nheaders; i++) {
        const zk_spdy_header *h = &ev->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0) {
            if (len)
                *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

zk_spdy_setting zk_spdy_event_setting(const zk_spdy_event *ev, size_t i)
{
    assert(i < ev->nsettings);
    const uint8_t *p = ev->settings + 8 * i;
    zk_spdy_setting st = {.flags = p[0], .id = get32(p) & 0xffffffu, .value = get32(p + 4)};
    return st;
}

/* ---- builders ---- */

static void spdy_control_header(uint8_t *p, unsigned type, int flags, size_t len)
{
    put32(p, 0x80000000u | (uint32_t)ZK_SPDY_VERSION << 16 | type);
    put32(p + 4, (uint32_t)(flags & 0xff) << 24 | (uint32_t)len);
}

static bool spdy_stream_ok(uint32_t stream)
{
    return stream > 0 && stream <= ZK_SPDY_STREAM_MAX;
}

/* Names Go's framer refuses (spdy/types.go invalidReqHeaders and
 * invalidRespHeaders): it fails the whole connection on them. */
static bool spdy_forbidden(const char *name, bool request)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
                                        "transfer-encoding"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(names); i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return request && strcasecmp(name, "host") == 0;
}

static int spdy_header_frame(zk_spdy *s, zk_buf *out, unsigned type, int flags, uint32_t stream,
                             const uint8_t *prefix, size_t plen, const char *const *names,
                             const char *const *values, size_t n, zk_err *err)
{
    const char *what = spdy_type_name(type);
    if (!spdy_stream_ok(stream))
        return zk_err_set(err, ZK_EINVAL, "spdy %s: stream id %u is not in 1 .. 2^31-1", what,
                          stream);
    if (s->deflater_broken)
        return zk_err_set(err, ZK_EINTERNAL, "spdy %s: the header compressor failed earlier",
                          what);
    if (n > ZK_SPDY_HEADERS_MAX)
        return zk_err_set(err, ZK_ETOOBIG, "spdy %s: %zu headers (at most %d)", what, n,
                          ZK_SPDY_HEADERS_MAX);
    /* Go reads a HEADERS frame on an even (server-opened) stream as a request. */
    bool request = type == ZK_SPDY_SYN_STREAM || (type == ZK_SPDY_HEADERS && stream % 2 == 0);
    size_t raw = 4;
    for (size_t i = 0; i < n; i++) {
        size_t nlen = strlen(names[i]), vlen = strlen(values[i]);
        if (nlen == 0)
            return zk_err_set(err, ZK_EINVAL, "spdy %s: header %zu has an empty name", what, i);
        if (spdy_forbidden(names[i], request))
            return zk_err_set(err, ZK_EINVAL, "spdy %s: header %s is not allowed", what,
                              names[i]);
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(names[j], names[i]) == 0)
                return zk_err_set(err, ZK_EINVAL, "spdy %s: header %s given twice", what,
                                  names[i]);
        if (nlen > ZK_SPDY_HEADER_OUT_MAX || vlen > ZK_SPDY_HEADER_OUT_MAX ||
            8 + nlen + vlen > ZK_SPDY_HEADER_OUT_MAX - raw)
            return zk_err_set(err, ZK_ETOOBIG, "spdy %s: header block over %u bytes", what,
                              ZK_SPDY_HEADER_OUT_MAX);
        raw += 8 + nlen + vlen;
    }

    zk_autobuf zk_buf block = ZK_BUF_INIT(ZK_SPDY_HEADER_OUT_MAX);
    uint8_t word[4];
    put32(word, (uint32_t)n);
    put(&block, word, 4);
    for (size_t i = 0; i < n; i++) {
        size_t nlen = strlen(names[i]), vlen = strlen(values[i]);
        put32(word, (uint32_t)nlen);
        put(&block, word, 4);
        size_t at = block.len;
        put(&block, names[i], nlen);
        for (size_t k = at; k < block.len; k++)   /* SPDY/3 names are lower case */
            if (block.data[k] >= 'A' && block.data[k] <= 'Z')
                block.data[k] = (char)(block.data[k] - 'A' + 'a');
        put32(word, (uint32_t)vlen);
        put(&block, word, 4);
        put(&block, values[i], vlen);
    }

    /* Make sure the whole frame fits before the compressor moves: once it
     * has, the frame must go out or the peer's decompressor falls behind.
     * A sync flush adds a few bytes to deflateBound(). */
    size_t bound = ZK_SPDY_FRAME_HEADER + plen + deflateBound(&s->deflater, (uLong)block.len) + 16;
    if (out->len > out->max || out->max - out->len < bound)
        return zk_err_set(err, ZK_ETOOBIG, "spdy %s: output buffer full", what);
    size_t start = out->len;
    uint8_t head[ZK_SPDY_FRAME_HEADER + 10] = {0};
    assert(plen <= 10);
    memcpy(head + ZK_SPDY_FRAME_HEADER, prefix, plen);
    put(out, head, ZK_SPDY_FRAME_HEADER + plen);

    z_stream *z = &s->deflater;
    z->next_in = (Bytef *)block.data;
    z->avail_in = (uInt)block.len;
    for (;;) {
        uint8_t chunk[4096];
        z->next_out = chunk;
        z->avail_out = sizeof(chunk);
        int rc = deflate(z, Z_SYNC_FLUSH);
        size_t got = sizeof(chunk) - z->avail_out;
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || out->len + got > start + bound) {
            s->deflater_broken = true;
            out->len = start;
            out->data[start] = '\0';
            return zk_err_set(err, ZK_EINTERNAL, "spdy %s: header compression failed (%s)",
                              what, rc != Z_OK && rc != Z_BUF_ERROR ? zError(rc) : "too long");
        }
        put(out, chunk, got);
        if (z->avail_out != 0)
            break;
    }
    assert(z->avail_in == 0);
    size_t flen = out->len - start - ZK_SPDY_FRAME_HEADER;
    spdy_control_header((uint8_t *)out->data + start, type, flags, flen);
    return 0;
}

int zk_spdy_syn_reply(zk_spdy *s, zk_buf *out, uint32_t stream, const char *const *names,
                      const char *const *values, size_t n, int flags, zk_err *err)
{
    uint8_t prefix[4];
    put32(prefix, stream);
    return spdy_header_frame(s, out, ZK_SPDY_SYN_REPLY, flags & ZK_SPDY_FLAG_FIN, stream, prefix,
                             sizeof(prefix), names, values, n, err);
}

int zk_spdy_headers(zk_spdy *s, zk_buf *out, uint32_t stream, const char *const *names,
                    const char *const *values, size_t n, int flags, zk_err *err)
{
    uint8_t prefix[4];
    put32(prefix, stream);
    return spdy_header_frame(s, out, ZK_SPDY_HEADERS, flags & ZK_SPDY_FLAG_FIN, stream, prefix,
                             sizeof(prefix), names, values, n, err);
}

int zk_spdy_syn_stream(zk_spdy *s, zk_buf *out, uint32_t stream, uint32_t assoc,
                       unsigned priority, const char *const *names, const char *const *values,
                       size_t n, int flags, zk_err *err)
{
    if (assoc > ZK_SPDY_STREAM_MAX || priority > 7)
        return zk_err_set(err, ZK_EINVAL, "spdy SYN_STREAM: associated stream %u or priority %u "
                          "out of range", assoc, priority);
    uint8_t prefix[10];
    put32(prefix, stream);
    put32(prefix + 4, assoc);
    prefix[8] = (uint8_t)(priority << 5);
    prefix[9] = 0;
    return spdy_header_frame(s, out, ZK_SPDY_SYN_STREAM,
                             flags & (ZK_SPDY_FLAG_FIN | ZK_SPDY_FLAG_UNIDIRECTIONAL), stream,
                             prefix, sizeof(prefix), names, values, n, err);
}

int zk_spdy_data(zk_buf *out, uint32_t stream, const void *data, size_t len, int flags)
{
    if (!spdy_stream_ok(stream) || len > ZK_SPDY_DATA_MAX)
        return -ZK_EINVAL;
    if (out->len > out->max || out->max - out->len < ZK_SPDY_FRAME_HEADER + len)
        return -ZK_ETOOBIG;
    uint8_t head[ZK_SPDY_FRAME_HEADER];
    put32(head, stream);
    put32(head + 4, (uint32_t)(flags & ZK_SPDY_FLAG_FIN) << 24 | (uint32_t)len);
    put(out, head, sizeof(head));
    put(out, data, len);
    return 0;
}

/* A control frame with a fixed 4- or 8-byte payload. */
static int spdy_fixed(zk_buf *out, unsigned type, uint32_t a, uint32_t b, size_t plen)
{
    uint8_t f[ZK_SPDY_FRAME_HEADER + 8];
    spdy_control_header(f, type, 0, plen);
    put32(f + ZK_SPDY_FRAME_HEADER, a);
    put32(f + ZK_SPDY_FRAME_HEADER + 4, b);
    return zk_buf_append(out, f, ZK_SPDY_FRAME_HEADER + plen);
}

int zk_spdy_rst_stream(zk_buf *out, uint32_t stream, uint32_t status)
{
    if (!spdy_stream_ok(stream) || status == 0)
        return -ZK_EINVAL;
    return spdy_fixed(out, ZK_SPDY_RST_STREAM, stream, status, 8);
}

int zk_spdy_ping(zk_buf *out, uint32_t id)
{
    /* Go's framer refuses a PING with id 0 */
    if (id == 0)
        return -ZK_EINVAL;
    return spdy_fixed(out, ZK_SPDY_PING, id, 0, 4);
}

int zk_spdy_goaway(zk_buf *out, uint32_t last, uint32_t status)
{
    if (last > ZK_SPDY_STREAM_MAX)
        return -ZK_EINVAL;
    return spdy_fixed(out, ZK_SPDY_GOAWAY, last, status, 8);
}

int zk_spdy_window_update(zk_buf *out, uint32_t stream, uint32_t delta)
{
    if (stream > ZK_SPDY_STREAM_MAX || delta == 0 || delta > 0x7fffffffu)
        return -ZK_EINVAL;
    return spdy_fixed(out, ZK_SPDY_WINDOW_UPDATE, stream, delta, 8);
}
