/* SPDY/3 codec: the dictionary, frames from another implementation, header
 * blocks compressed by a plain zlib client (two in one session share its
 * context), partial input, the bounds, malformed blocks, and our builders
 * read back by a second session playing the client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/buf.h"
#include "net/spdy.h"

/* ---- helpers ---- */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; s[0] && s[1]; s += 2) {
        unsigned v;
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static void w32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An uncompressed header block from name/value pairs (count as given, so
 * tests can lie). */
static size_t raw_block(uint8_t *out, size_t cap, uint32_t count, const char *const *kv, size_t n)
{
    size_t len = 4;
    assert_true(cap >= 4);
    w32(out, count);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(kv[i]);
        assert_true(cap - len >= 4 + l);
        w32(out + len, (uint32_t)l);
        memcpy(out + len + 4, kv[i], l);
        len += 4 + l;
    }
    return len;
}

/* The client's compressor, written straight on zlib as Go's framer sets it
 * up: default window, best compression, the SPDY/3 dictionary. */
static void client_init(z_stream *z, const uint8_t *dict, size_t dlen)
{
    memset(z, 0, sizeof(*z));
    assert_int_equal(deflateInit2(z, 9, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    assert_int_equal(deflateSetDictionary(z, dict, (uInt)dlen), Z_OK);
}

static size_t client_compress(z_stream *z, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)n;
    z->next_out = out;
    z->avail_out = (uInt)cap;
    assert_int_equal(deflate(z, Z_SYNC_FLUSH), Z_OK);
    assert_int_equal(z->avail_in, 0);
    assert_true(z->avail_out > 0);
    return cap - z->avail_out;
}

/* A control frame around payload. */
static size_t control(uint8_t *out, unsigned version, unsigned type, int flags, const uint8_t *p,
                      size_t n)
{
    w32(out, 0x80000000u | version << 16 | type);
    w32(out + 4, (uint32_t)flags << 24 | (uint32_t)n);
    memcpy(out + 8, p, n);
    return 8 + n;
}

/* A SYN_STREAM whose header block the client compresses from pairs. */
static size_t syn_stream(z_stream *z, uint8_t *out, size_t cap, uint32_t stream, int flags,
                         const char *const *kv, size_t n)
{
    static uint8_t raw[200000], payload[200000];
    size_t rlen = raw_block(raw, sizeof(raw), (uint32_t)(n / 2), kv, n);
    w32(payload, stream);
    w32(payload + 4, 0);
    payload[8] = 3 << 5;
    payload[9] = 0;
    size_t clen = client_compress(z, raw, rlen, payload + 10, sizeof(payload) - 10);
    assert_true(cap >= 18 + clen);
    return control(out, 3, ZK_SPDY_SYN_STREAM, flags, payload, 10 + clen);
}

static void expect_header(const zk_spdy_event *ev, const char *name, const char *value)
{
    size_t len;
    const char *v = zk_spdy_event_header(ev, name, &len);
    assert_non_null(v);
    assert_int_equal(len, strlen(value));
    assert_string_equal(v, value);
}

/* ---- the dictionary ---- */

static void test_dictionary(void **state)
{
    (void)state;
    const uint8_t *d = zk_spdy_dictionary();
    assert_int_equal(ZK_SPDY_DICT_LEN, 1423);
    assert_memory_equal(d, "\0\0\0\7options", 11);
    assert_memory_equal(d + ZK_SPDY_DICT_LEN - 6, "enq=0.", 6);
    /* the dictionary id that every SPDY/3 header stream names */
    assert_int_equal(adler32(adler32(0, NULL, 0), d, ZK_SPDY_DICT_LEN), 0xe3c6a7c2u);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    assert_int_equal(EVP_Digest(d, ZK_SPDY_DICT_LEN, md, &mdlen, EVP_sha256(), NULL), 1);
    uint8_t want[32];
    unhex("51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02", want,
          sizeof(want));
    assert_int_equal(mdlen, 32);
    assert_memory_equal(md, want, 32);
}

/* ---- frames made by another implementation ---- */

/* SYN_STREAM and SYN_REPLY frames from spdy-transport's parser tests (node's
 * SPDY/3.1 implementation), each from a fresh compression context. */
static void test_foreign_frames(void **state)
{
    (void)state;
    static const char syn[] = "800300010000002c0000000100000000000078f9e3c6a7c202e50e507ab442"
                              "a45a77d7105006b32a4804974d8cfa00000000ffff";
    static const char syn_uni[] = "800300010200002c0000000100000000000078f9e3c6a7c202e50e507ab4"
                                  "42a45a77d7105006b32a4804974d8cfa00000000ffff";
    static const char reply[] = "8003000200000057000000013830e3c6a7c2004300bcff0000000300000005"
                                "7468657265000000057468657265000000073a737461747573000000063230"
                                "30204f4b000000083a76657273696f6e00000008485454502f312e31000000"
                                "ffff";
    static const char reply_empty[] = "80030002010000140000000178f9e3c6a7c202a6230600000000ffff";
    uint8_t buf[256];
    zk_spdy_event ev;
    zk_err err = {0};

    zk_spdy *s = zk_spdy_new();
    size_t n = unhex(syn, buf, sizeof(buf));
    assert_int_equal(zk_spdy_parse(s, buf, n, &ev, &err), (int)n);
    assert_int_equal(ev.type, ZK_SPDY_SYN_STREAM);
    assert_int_equal(ev.stream, 1);
    assert_int_equal(ev.assoc, 0);
    assert_int_equal(ev.priority, 0);
    assert_int_equal(ev.flags, 0);
    assert_int_equal(ev.nheaders, 2);
    expect_header(&ev, ":method", "GET");
    expect_header(&ev, ":METHOD", "GET");   /* the lookup ignores case */
    expect_header(&ev, ":path", "/");
    assert_null(zk_spdy_event_header(&ev, ":host", NULL));
    zk_spdy_free(s);

    s = zk_spdy_new();
    n = unhex(syn_uni, buf, sizeof(buf));
    assert_int_equal(zk_spdy_parse(s, buf, n, &ev, &err), (int)n);
    assert_int_equal(ev.flags, ZK_SPDY_FLAG_UNIDIRECTIONAL);
    zk_spdy_free(s);

    /* a block deflated as one stored (uncompressed) block, 2 KiB window */
    s = zk_spdy_new();
    n = unhex(reply, buf, sizeof(buf));
    assert_int_equal(zk_spdy_parse(s, buf, n, &ev, &err), (int)n);
    assert_int_equal(ev.type, ZK_SPDY_SYN_REPLY);
    assert_int_equal(ev.stream, 1);
    assert_int_equal(ev.nheaders, 3);
    expect_header(&ev, "there", "there");
    expect_header(&ev, ":status", "200 OK");
    expect_header(&ev, ":version", "HTTP/1.1");
    zk_spdy_free(s);

    s = zk_spdy_new();
    n = unhex(reply_empty, buf, sizeof(buf));
    assert_int_equal(zk_spdy_parse(s, buf, n, &ev, &err), (int)n);
    assert_int_equal(ev.type, ZK_SPDY_SYN_REPLY);
    assert_int_equal(ev.flags, ZK_SPDY_FLAG_FIN);
    assert_int_equal(ev.nheaders, 0);
    zk_spdy_free(s);
}

/* ---- a session of client frames ---- */

static void test_shared_context(void **state)
{
    (void)state;
    z_stream c;
    client_init(&c, zk_spdy_dictionary(), ZK_SPDY_DICT_LEN);
    static const char *const h1[] = {"streamtype", "error", "port", "8080", "requestid", "0"};
    static const char *const h2[] = {"streamtype", "data", "port", "8080", "requestid", "0"};
    static uint8_t f1[4096], f2[4096];
    size_t n1 = syn_stream(&c, f1, sizeof(f1), 1, 0, h1, 6);
    size_t n2 = syn_stream(&c, f2, sizeof(f2), 3, ZK_SPDY_FLAG_FIN, h2, 6);
    deflateEnd(&c);
    /* the second block leans on the first: it has no zlib header and is short */
    assert_true(n2 < n1);

    zk_spdy *s = zk_spdy_new();
    zk_spdy_event ev;
    zk_err err = {0};
    assert_int_equal(zk_spdy_parse(s, f1, n1, &ev, &err), (int)n1);
    assert_int_equal(ev.type, ZK_SPDY_SYN_STREAM);
    assert_int_equal(ev.stream, 1);
    assert_int_equal(ev.priority, 3);
    assert_int_equal(ev.nheaders, 3);
    expect_header(&ev, "streamtype", "error");
    expect_header(&ev, "port", "8080");
    expect_header(&ev, "requestid", "0");
    assert_int_equal(ev.headers[0].name[ev.headers[0].name_len], '\0');
    assert_int_equal(zk_spdy_parse(s, f2, n2, &ev, &err), (int)n2);
    assert_int_equal(ev.stream, 3);
    assert_int_equal(ev.flags, ZK_SPDY_FLAG_FIN);
    expect_header(&ev, "streamtype", "data");
    expect_header(&ev, "port", "8080");
    zk_spdy_free(s);

    /* without the first block's context the second is garbage */
    s = zk_spdy_new();
    assert_true(zk_spdy_parse(s, f2, n2, &ev, &err) < 0);
    assert_int_equal(err.code, ZK_EPARSE);
    zk_spdy_free(s);
}

/* Every prefix of a control frame asks for more and changes nothing; a
 * byte-by-byte reader gets the same events as one that reads it all. */
static void test_partial(void **state)
{
    (void)state;
    z_stream c;
    client_init(&c, zk_spdy_dictionary(), ZK_SPDY_DICT_LEN);
    static const char *const h[] = {"streamtype", "stdin", "a", "b"};
    static uint8_t wire[4096];
    size_t n = syn_stream(&c, wire, sizeof(wire), 1, 0, h, 4);
    size_t syn_len = n;
    uint8_t ping[4];
    w32(ping, 7);
    n += control(wire + n, 3, ZK_SPDY_PING, 0, ping, 4);
    w32(wire + n, 1);
    w32(wire + n + 4, (uint32_t)ZK_SPDY_FLAG_FIN << 24 | 5);
    memcpy(wire + n + 8, "hello", 5);
    n += 13;
    deflateEnd(&c);

    zk_spdy *s = zk_spdy_new();
    zk_spdy_event ev;
    zk_err err = {0};
    for (size_t i = 0; i < syn_len; i++)
        assert_int_equal(zk_spdy_parse(s, wire, i, &ev, &err), 0);
    assert_int_equal(zk_spdy_parse(s, wire, syn_len, &ev, &err), (int)syn_len);
    expect_header(&ev, "streamtype", "stdin");
    zk_spdy_free(s);

    /* one byte at a time, as a reader with a tiny socket would see it */
    s = zk_spdy_new();
    uint8_t have[4096];
    size_t hlen = 0, events = 0;
    char data[16] = "";
    size_t dlen = 0;
    int fins = 0;
    for (size_t i = 0; i < n; i++) {
        have[hlen++] = wire[i];
        int rc;
        while ((rc = zk_spdy_parse(s, have, hlen, &ev, &err)) > 0) {
            events++;
            if (ev.type == ZK_SPDY_SYN_STREAM) {
                expect_header(&ev, "streamtype", "stdin");
                expect_header(&ev, "a", "b");
            } else if (ev.type == ZK_SPDY_PING) {
                assert_int_equal(ev.ping, 7);
            } else {
                assert_int_equal(ev.type, ZK_SPDY_DATA);
                assert_int_equal(ev.stream, 1);
                assert_true(dlen + ev.len < sizeof(data));
                memcpy(data + dlen, ev.data, ev.len);
                dlen += ev.len;
                if (ev.flags & ZK_SPDY_FLAG_FIN)
                    fins++;
                else
                    assert_true(dlen < 5);
            }
            memmove(have, have + rc, hlen - (size_t)rc);
            hlen -= (size_t)rc;
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(hlen, 0);
    assert_int_equal(dlen, 5);
    assert_memory_equal(data, "hello", 5);
    assert_int_equal(fins, 1);
    assert_int_equal(events, 2 + 5);   /* the DATA payload came a byte at a time */
    zk_spdy_free(s);
}

/* A DATA frame's payload comes out as it arrives; FIN on the last piece. */
static void test_data_pieces(void **state)
{
    (void)state;
    uint8_t wire[8 + 100];
    w32(wire, 5);
    w32(wire + 4, (uint32_t)ZK_SPDY_FLAG_FIN << 24 | 100);
    for (int i = 0; i < 100; i++)
        wire[8 + i] = (uint8_t)i;
    zk_spdy *s = zk_spdy_new();
    zk_spdy_event ev;
    zk_err err = {0};
    assert_int_equal(zk_spdy_parse(s, wire, 8, &ev, &err), 0);   /* header, no payload yet */
    assert_int_equal(zk_spdy_parse(s, wire, 15, &ev, &err), 15);
    assert_int_equal(ev.type, ZK_SPDY_DATA);
    assert_int_equal(ev.stream, 5);
    assert_int_equal(ev.len, 7);
    assert_int_equal(ev.flags, 0);
    assert_ptr_equal(ev.data, wire + 8);
    size_t off = 15, got = 7;
    while (off < sizeof(wire)) {
        size_t chunk = sizeof(wire) - off < 7 ? sizeof(wire) - off : 7;
        assert_int_equal(zk_spdy_parse(s, wire + off, 0, &ev, &err), 0);
        assert_int_equal(zk_spdy_parse(s, wire + off, chunk, &ev, &err), (int)chunk);
        assert_memory_equal(ev.data, wire + 8 + got, chunk);
        off += chunk;
        got += chunk;
        assert_int_equal(ev.flags, got == 100 ? ZK_SPDY_FLAG_FIN : 0);
    }
    /* an empty DATA frame with FIN, and the next frame after it */
    uint8_t two[8 + 8 + 2];
    w32(two, 5);
    w32(two + 4, (uint32_t)ZK_SPDY_FLAG_FIN << 24);
    w32(two + 8, 7);
    w32(two + 12, 2);
    memcpy(two + 16, "ok", 2);
    assert_int_equal(zk_spdy_parse(s, two, sizeof(two), &ev, &err), 8);
    assert_int_equal(ev.len, 0);
    assert_int_equal(ev.flags, ZK_SPDY_FLAG_FIN);
    assert_int_equal(zk_spdy_parse(s, two + 8, sizeof(two) - 8, &ev, &err), 10);
    assert_int_equal(ev.stream, 7);
    assert_memory_equal(ev.data, "ok", 2);
    zk_spdy_free(s);
}

/* ---- bounds and malformed input ---- */

static void expect_fail(const uint8_t *p, size_t n, int code)
{
    zk_spdy *s = zk_spdy_new();
    zk_spdy_event ev;
    zk_err err = {0};
    assert_int_equal(zk_spdy_parse(s, p, n, &ev, &err), -code);
    assert_int_equal(err.code, code);
    assert_true(err.msg[0] != '\0');
    /* the session stays dead, even for a good frame */
    static const uint8_t ping[] = {0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1};
    zk_err again = {0};
    assert_int_equal(zk_spdy_parse(s, ping, sizeof(ping), &ev, &again), -code);
    assert_non_null(strstr(again.msg, "failed earlier"));
    zk_spdy_free(s);
}

static void test_frame_bounds(void **state)
{
    (void)state;
    /* a control frame over the bound fails on its header alone */
    uint8_t big[8];
    w32(big, 0x80030006u);
    w32(big + 4, ZK_SPDY_CONTROL_MAX + 1);
    expect_fail(big, sizeof(big), ZK_ETOOBIG);
    /* version 2 */
    static const uint8_t v2[] = {0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1};
    expect_fail(v2, sizeof(v2), ZK_EUNSUPPORTED);
    /* DATA on stream 0 */
    static const uint8_t d0[] = {0, 0, 0, 0, 0, 0, 0, 1, 'x'};
    expect_fail(d0, sizeof(d0), ZK_EPARSE);
    /* fixed-size frames of the wrong size */
    static const uint8_t ping5[] = {0x80, 3, 0, 6, 0, 0, 0, 5, 0, 0, 0, 1, 0};
    expect_fail(ping5, sizeof(ping5), ZK_EPARSE);
    static const uint8_t rst4[] = {0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1};
    expect_fail(rst4, sizeof(rst4), ZK_EPARSE);
    static const uint8_t rst0[] = {0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0};
    expect_fail(rst0, sizeof(rst0), ZK_EPARSE);
    /* SETTINGS whose count and length disagree */
    static const uint8_t set[] = {0x80, 3, 0, 4, 0, 0, 0, 12, 0, 0, 0, 2, 1, 0, 0, 7, 0, 0, 1, 0};
    expect_fail(set, sizeof(set), ZK_EPARSE);
    /* SYN_STREAM on stream 0 (spdy-transport's vector) */
    uint8_t syn0[128];
    size_t n = unhex("800300010000002c0000000000000000000078f9e3c6a7c202e50e507ab442a45a77d7"
                     "105006b32a4804974d8cfa00000000ffff", syn0, sizeof(syn0));
    expect_fail(syn0, n, ZK_EPARSE);
    /* SYN_STREAM too short for its fixed fields, and without a header block */
    uint8_t fixed[10] = {0, 0, 0, 1};
    uint8_t f[32];
    expect_fail(f, control(f, 3, ZK_SPDY_SYN_STREAM, 0, fixed, 8), ZK_EPARSE);
    expect_fail(f, control(f, 3, ZK_SPDY_SYN_STREAM, 0, fixed, 10), ZK_EPARSE);
}

/* A SYN_STREAM for stream 1 with a raw block compressed by a fresh client. */
static size_t syn_raw(uint8_t *out, size_t cap, const uint8_t *raw, size_t rlen,
                      const uint8_t *dict, size_t dlen)
{
    static uint8_t payload[300000];
    z_stream c;
    client_init(&c, dict, dlen);
    w32(payload, 1);
    memset(payload + 4, 0, 6);
    size_t clen = client_compress(&c, raw, rlen, payload + 10, sizeof(payload) - 10);
    deflateEnd(&c);
    assert_true(cap >= 18 + clen);
    return control(out, 3, ZK_SPDY_SYN_STREAM, 0, payload, 10 + clen);
}

static void test_header_blocks(void **state)
{
    (void)state;
    static uint8_t raw[200000], f[300000];
    zk_spdy_event ev;
    zk_err err = {0};
    const uint8_t *dict = zk_spdy_dictionary();

    /* not zlib at all */
    static const uint8_t junk[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 'g', 'a', 'r', 'b', 'a', 'g', 'e'};
    expect_fail(f, control(f, 3, ZK_SPDY_SYN_STREAM, 0, junk, sizeof(junk)), ZK_EPARSE);

    /* compressed with another dictionary */
    static const char *const one[] = {"a", "b"};
    size_t rlen = raw_block(raw, sizeof(raw), 1, one, 2);
    expect_fail(f, syn_raw(f, sizeof(f), raw, rlen, (const uint8_t *)"not spdy", 8), ZK_EPARSE);

    /* a count that promises more headers than there are */
    rlen = raw_block(raw, sizeof(raw), 3, one, 2);
    expect_fail(f, syn_raw(f, sizeof(f), raw, rlen, dict, ZK_SPDY_DICT_LEN), ZK_EPARSE);
    /* bytes left over after the last header */
    rlen = raw_block(raw, sizeof(raw), 1, one, 2);
    raw[rlen++] = 'x';
    expect_fail(f, syn_raw(f, sizeof(f), raw, rlen, dict, ZK_SPDY_DICT_LEN), ZK_EPARSE);
    /* a name length past the end */
    rlen = raw_block(raw, sizeof(raw), 1, one, 2);
    w32(raw + 4, 1000);
    expect_fail(f, syn_raw(f, sizeof(f), raw, rlen, dict, ZK_SPDY_DICT_LEN), ZK_EPARSE);
    /* no count at all */
    expect_fail(f, syn_raw(f, sizeof(f), raw, 2, dict, ZK_SPDY_DICT_LEN), ZK_EPARSE);

    /* a block of exactly ZK_SPDY_HEADER_MAX bytes passes; one more fails */
    static char big[ZK_SPDY_HEADER_MAX];
    size_t vlen = ZK_SPDY_HEADER_MAX - 4 - 4 - 1 - 4;
    memset(big, 'v', vlen);
    big[vlen] = '\0';
    const char *kv[] = {"n", big};
    rlen = raw_block(raw, sizeof(raw), 1, kv, 2);
    assert_int_equal(rlen, ZK_SPDY_HEADER_MAX);
    size_t n = syn_raw(f, sizeof(f), raw, rlen, dict, ZK_SPDY_DICT_LEN);
    assert_true(n < ZK_SPDY_CONTROL_MAX);   /* small on the wire, big inflated */
    zk_spdy *s = zk_spdy_new();
    assert_int_equal(zk_spdy_parse(s, f, n, &ev, &err), (int)n);
    assert_int_equal(ev.nheaders, 1);
    assert_int_equal(ev.headers[0].value_len, vlen);
    assert_int_equal(ev.headers[0].value[vlen], '\0');
    zk_spdy_free(s);
    big[vlen] = 'v';
    big[vlen + 1] = '\0';
    rlen = raw_block(raw, sizeof(raw), 1, kv, 2);
    expect_fail(f, syn_raw(f, sizeof(f), raw, rlen, dict, ZK_SPDY_DICT_LEN), ZK_ETOOBIG);

    /* ZK_SPDY_HEADERS_MAX headers pass; one more fails */
    static char names[ZK_SPDY_HEADERS_MAX + 1][8];
    const char *many[2 * (ZK_SPDY_HEADERS_MAX + 1)];
    for (int i = 0; i <= ZK_SPDY_HEADERS_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "h%d", i);
        many[2 * i] = names[i];
        many[2 * i + 1] = "";
    }
    rlen = raw_block(raw, sizeof(raw), ZK_SPDY_HEADERS_MAX, many, 2 * ZK_SPDY_HEADERS_MAX);
    n = syn_raw(f, sizeof(f), raw, rlen, dict, ZK_SPDY_DICT_LEN);
    s = zk_spdy_new();
    assert_int_equal(zk_spdy_parse(s, f, n, &ev, &err), (int)n);
    assert_int_equal(ev.nheaders, ZK_SPDY_HEADERS_MAX);
    expect_header(&ev, "h127", "");
    zk_spdy_free(s);
    rlen = raw_block(raw, sizeof(raw), ZK_SPDY_HEADERS_MAX + 1, many,
                     2 * (ZK_SPDY_HEADERS_MAX + 1));
    expect_fail(f, syn_raw(f, sizeof(f), raw, rlen, dict, ZK_SPDY_DICT_LEN), ZK_ETOOBIG);

    /* a value with several parts keeps its NULs */
    rlen = raw_block(raw, sizeof(raw), 1, one, 2);
    memcpy(raw + rlen - 1, "b\0c", 3);
    w32(raw + 9, 3);
    rlen += 2;
    n = syn_raw(f, sizeof(f), raw, rlen, dict, ZK_SPDY_DICT_LEN);
    s = zk_spdy_new();
    assert_int_equal(zk_spdy_parse(s, f, n, &ev, &err), (int)n);
    size_t len;
    const char *v = zk_spdy_event_header(&ev, "a", &len);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "b\0c", 4);
    zk_spdy_free(s);
}

/* Unknown control types are skipped whole; SETTINGS entries read back. */
static void test_other_control(void **state)
{
    (void)state;
    uint8_t wire[128];
    size_t n = 0;
    static const uint8_t cred[12] = {0, 1, 0, 0, 0, 4, 'p', 'r', 'o', 'f', 0, 0};
    n += control(wire + n, 3, 10, 0, cred, sizeof(cred));
    n += control(wire + n, 3, 0xffff, 0xff, cred, 0);
    n += unhex("800300040000000c000000010100000700000100", wire + n, sizeof(wire) - n);
    n += unhex("80030007000000080000000100000002", wire + n, sizeof(wire) - n);
    n += unhex("80030009000000080000000000010000", wire + n, sizeof(wire) - n);
    n += unhex("80030003000000080000000100000005", wire + n, sizeof(wire) - n);

    zk_spdy *s = zk_spdy_new();
    zk_spdy_event ev;
    zk_err err = {0};
    size_t off = 0;
    int rc = zk_spdy_parse(s, wire, n, &ev, &err);
    assert_int_equal(rc, 8 + 12);
    assert_int_equal(ev.type, ZK_SPDY_NONE);
    off += (size_t)rc;
    rc = zk_spdy_parse(s, wire + off, n - off, &ev, &err);
    assert_int_equal(rc, 8);
    assert_int_equal(ev.type, ZK_SPDY_NONE);
    off += (size_t)rc;

    rc = zk_spdy_parse(s, wire + off, n - off, &ev, &err);
    assert_int_equal(rc, 20);
    assert_int_equal(ev.type, ZK_SPDY_SETTINGS);
    assert_int_equal(ev.nsettings, 1);
    zk_spdy_setting st = zk_spdy_event_setting(&ev, 0);
    assert_int_equal(st.flags, 1);
    assert_int_equal(st.id, ZK_SPDY_SETTINGS_INITIAL_WINDOW_SIZE);
    assert_int_equal(st.value, 256);
    off += (size_t)rc;

    rc = zk_spdy_parse(s, wire + off, n - off, &ev, &err);
    assert_int_equal(ev.type, ZK_SPDY_GOAWAY);
    assert_int_equal(ev.stream, 1);
    assert_int_equal(ev.status, ZK_SPDY_GOAWAY_INTERNAL_ERROR);
    off += (size_t)rc;

    rc = zk_spdy_parse(s, wire + off, n - off, &ev, &err);
    assert_int_equal(ev.type, ZK_SPDY_WINDOW_UPDATE);
    assert_int_equal(ev.stream, 0);
    assert_int_equal(ev.delta, 65536);
    off += (size_t)rc;

    rc = zk_spdy_parse(s, wire + off, n - off, &ev, &err);
    assert_int_equal(ev.type, ZK_SPDY_RST_STREAM);
    assert_int_equal(ev.stream, 1);
    assert_int_equal(ev.status, ZK_SPDY_CANCEL);
    off += (size_t)rc;
    assert_int_equal(off, n);
    zk_spdy_free(s);
}

/* ---- builders ---- */

static void test_fixed_builders(void **state)
{
    (void)state;
    zk_autobuf zk_buf b = ZK_BUF_INIT(1024);
    assert_int_equal(zk_spdy_rst_stream(&b, 1, ZK_SPDY_PROTOCOL_ERROR), 0);
    assert_int_equal(zk_spdy_ping(&b, 1), 0);
    assert_int_equal(zk_spdy_goaway(&b, 3, ZK_SPDY_GOAWAY_OK), 0);
    assert_int_equal(zk_spdy_window_update(&b, 0, 65536), 0);
    assert_int_equal(zk_spdy_data(&b, 1, "hi", 2, ZK_SPDY_FLAG_FIN), 0);
    uint8_t want[128];
    size_t n = unhex("80030003000000080000000100000001"   /* spdy-transport's RST vector */
                     "800300060000000400000001"
                     "80030007000000080000000300000000"
                     "80030009000000080000000000010000"
                     "00000001010000026869", want, sizeof(want));
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, want, n);

    assert_int_equal(zk_spdy_rst_stream(&b, 0, ZK_SPDY_CANCEL), -ZK_EINVAL);
    assert_int_equal(zk_spdy_rst_stream(&b, 1, 0), -ZK_EINVAL);
    assert_int_equal(zk_spdy_ping(&b, 0), -ZK_EINVAL);
    assert_int_equal(zk_spdy_window_update(&b, 1, 0), -ZK_EINVAL);
    assert_int_equal(zk_spdy_window_update(&b, 0x80000000u, 1), -ZK_EINVAL);
    assert_int_equal(zk_spdy_data(&b, 0, "x", 1, 0), -ZK_EINVAL);
    assert_int_equal(zk_spdy_data(&b, 1, "x", ZK_SPDY_DATA_MAX + 1, 0), -ZK_EINVAL);
    assert_int_equal(b.len, n);

    zk_autobuf zk_buf small = ZK_BUF_INIT(12);
    assert_int_equal(zk_spdy_data(&small, 1, "12345", 5, 0), -ZK_ETOOBIG);
    assert_int_equal(zk_spdy_rst_stream(&small, 1, 1), -ZK_ETOOBIG);
    assert_int_equal(small.len, 0);
    assert_int_equal(zk_spdy_ping(&small, 3), 0);
}

/* Our SYN_REPLY/HEADERS/SYN_STREAM read back by a second session, and by
 * plain zlib: a standard stream naming the SPDY/3 dictionary. */
static void test_round_trip(void **state)
{
    (void)state;
    zk_spdy *server = zk_spdy_new(), *client = zk_spdy_new();
    zk_autobuf zk_buf cw = ZK_BUF_INIT(1 << 20), sw = ZK_BUF_INIT(1 << 20);
    zk_err err = {0};
    zk_spdy_event ev;

    static const char *const sn[] = {"streamType", "port"};
    static const char *const sv[] = {"data", "8080"};
    assert_int_equal(zk_spdy_syn_stream(client, &cw, 1, 0, 2, sn, sv, 2, 0, &err), 0);
    assert_int_equal(zk_spdy_parse(server, (uint8_t *)cw.data, cw.len, &ev, &err), (int)cw.len);
    assert_int_equal(ev.type, ZK_SPDY_SYN_STREAM);
    assert_int_equal(ev.stream, 1);
    assert_int_equal(ev.priority, 2);
    assert_string_equal(ev.headers[0].name, "streamtype");   /* sent lower-cased */
    expect_header(&ev, "port", "8080");

    static const char *const rn[] = {"X-Zke", "version"};
    static const char *const rv[] = {"one", "HTTP/1.1"};
    assert_int_equal(zk_spdy_syn_reply(server, &sw, 1, rn, rv, 2, 0, &err), 0);
    size_t first = sw.len;
    assert_int_equal(zk_spdy_syn_reply(server, &sw, 3, NULL, NULL, 0, ZK_SPDY_FLAG_FIN, &err), 0);
    size_t second = sw.len;
    assert_int_equal(zk_spdy_headers(server, &sw, 1, rn, rv, 2, ZK_SPDY_FLAG_FIN, &err), 0);

    const uint8_t *p = (const uint8_t *)sw.data;
    /* the zlib header: deflate, a preset dictionary, and its id */
    assert_int_equal(p[12] & 0x0f, 8);
    assert_true(p[13] & 0x20);
    assert_memory_equal(p + 14, "\xe3\xc6\xa7\xc2", 4);
    /* plain zlib inflates the first block to exactly the block we meant */
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit(&z), Z_OK);
    uint8_t out[256];
    z.next_in = (Bytef *)p + 12;
    z.avail_in = (uInt)(first - 12);
    z.next_out = out;
    z.avail_out = sizeof(out);
    assert_int_equal(inflate(&z, Z_SYNC_FLUSH), Z_NEED_DICT);
    assert_int_equal(inflateSetDictionary(&z, zk_spdy_dictionary(), ZK_SPDY_DICT_LEN), Z_OK);
    assert_int_equal(inflate(&z, Z_SYNC_FLUSH), Z_OK);
    assert_int_equal(z.avail_in, 0);
    inflateEnd(&z);
    static const char *const kv[] = {"x-zke", "one", "version", "HTTP/1.1"};
    uint8_t raw[256];
    size_t rlen = raw_block(raw, sizeof(raw), 2, kv, 4);
    assert_int_equal(sizeof(out) - z.avail_out, rlen);
    assert_memory_equal(out, raw, rlen);

    int rc = zk_spdy_parse(client, p, sw.len, &ev, &err);
    assert_int_equal(rc, (int)first);
    assert_int_equal(ev.type, ZK_SPDY_SYN_REPLY);
    assert_int_equal(ev.stream, 1);
    assert_int_equal(ev.flags, 0);
    expect_header(&ev, "x-zke", "one");
    expect_header(&ev, "version", "HTTP/1.1");
    rc = zk_spdy_parse(client, p + first, sw.len - first, &ev, &err);
    assert_int_equal(rc, (int)(second - first));
    assert_int_equal(ev.stream, 3);
    assert_int_equal(ev.flags, ZK_SPDY_FLAG_FIN);
    assert_int_equal(ev.nheaders, 0);
    rc = zk_spdy_parse(client, p + second, sw.len - second, &ev, &err);
    assert_int_equal(rc, (int)(sw.len - second));
    assert_int_equal(ev.type, ZK_SPDY_HEADERS);
    assert_int_equal(ev.flags, ZK_SPDY_FLAG_FIN);
    expect_header(&ev, "x-zke", "one");
    /* the repeat compressed to less: the contexts carry over */
    assert_true(sw.len - second < first);

    zk_spdy_free(server);
    zk_spdy_free(client);
}

static void test_header_builder_errors(void **state)
{
    (void)state;
    zk_spdy *server = zk_spdy_new(), *client = zk_spdy_new();
    zk_autobuf zk_buf out = ZK_BUF_INIT(1 << 20);
    zk_err err = {0};
    const char *names[2], *values[2] = {"v", "w"};

    names[0] = "Connection";
    assert_int_equal(zk_spdy_syn_reply(server, &out, 1, names, values, 1, 0, &err), -ZK_EINVAL);
    assert_non_null(strstr(err.msg, "Connection"));
    names[0] = "transfer-encoding";
    assert_int_equal(zk_spdy_headers(server, &out, 1, names, values, 1, 0, &err), -ZK_EINVAL);
    names[0] = "host";   /* fine in a reply, not in a request */
    assert_int_equal(zk_spdy_syn_stream(server, &out, 2, 0, 0, names, values, 1, 0, &err),
                     -ZK_EINVAL);
    assert_int_equal(zk_spdy_headers(server, &out, 2, names, values, 1, 0, &err), -ZK_EINVAL);
    names[0] = "a";
    names[1] = "A";
    assert_int_equal(zk_spdy_syn_reply(server, &out, 1, names, values, 2, 0, &err), -ZK_EINVAL);
    names[1] = "";
    assert_int_equal(zk_spdy_syn_reply(server, &out, 1, names, values, 2, 0, &err), -ZK_EINVAL);
    assert_int_equal(zk_spdy_syn_reply(server, &out, 0, names, values, 1, 0, &err), -ZK_EINVAL);
    assert_int_equal(zk_spdy_syn_stream(server, &out, 2, 0, 8, names, values, 1, 0, &err),
                     -ZK_EINVAL);
    static char huge[ZK_SPDY_HEADER_OUT_MAX];
    memset(huge, 'x', sizeof(huge) - 1);
    values[0] = huge;
    assert_int_equal(zk_spdy_syn_reply(server, &out, 1, names, values, 1, 0, &err), -ZK_ETOOBIG);
    values[0] = "v";
    assert_int_equal(out.len, 0);

    /* a full output buffer fails before the compressor moves, so the next
     * frame still inflates on the peer */
    zk_autobuf zk_buf tiny = ZK_BUF_INIT(30);
    assert_int_equal(zk_spdy_syn_reply(server, &tiny, 1, names, values, 1, 0, &err),
                     -ZK_ETOOBIG);
    assert_int_equal(tiny.len, 0);
    names[0] = "host";
    assert_int_equal(zk_spdy_syn_reply(server, &out, 1, names, values, 1, 0, &err), 0);
    zk_spdy_event ev;
    assert_int_equal(zk_spdy_parse(client, (uint8_t *)out.data, out.len, &ev, &err), (int)out.len);
    expect_header(&ev, "host", "v");
    zk_spdy_free(server);
    zk_spdy_free(client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dictionary),
        cmocka_unit_test(test_foreign_frames),
        cmocka_unit_test(test_shared_context),
        cmocka_unit_test(test_partial),
        cmocka_unit_test(test_data_pieces),
        cmocka_unit_test(test_frame_bounds),
        cmocka_unit_test(test_header_blocks),
        cmocka_unit_test(test_other_control),
        cmocka_unit_test(test_fixed_builders),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_header_builder_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
