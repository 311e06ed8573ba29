/* WebSocket framing, server side: client frames of each length encoding,
 * fragments with a control frame between them, any split of the stream,
 * every protocol error the codec must catch, close payloads, and the
 * server's frame headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "net/ws.h"

#define FIN 0x80
#define MiB (1024u * 1024)

static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};

/* A client frame: first byte b0 as given (FIN, RSV, opcode), masked with
 * key when masked is set. Returns its size; out must hold len + 14. */
static size_t frame(uint8_t *out, int b0, const void *payload, uint64_t len, int masked)
{
    size_t n = 0;
    out[n++] = (uint8_t)b0;
    uint8_t m = masked ? 0x80 : 0;
    if (len < 126) {
        out[n++] = (uint8_t)(m | len);
    } else if (len <= 0xffff) {
        out[n++] = m | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = m | 127;
        for (int i = 0; i < 8; i++)
            out[n++] = (uint8_t)(len >> (56 - 8 * i));
    }
    if (masked) {
        memcpy(out + n, key, 4);
        n += 4;
    }
    const uint8_t *p = payload;
    for (uint64_t i = 0; i < len; i++)
        out[n + i] = (uint8_t)(p[i] ^ (masked ? key[i & 3] : 0));
    return n + (size_t)len;
}

/* Parse all of buf expecting exactly one message, taking every byte. */
static zk_ws_msg parse_one(zk_ws *ws, const uint8_t *buf, size_t len)
{
    zk_ws_msg m;
    size_t used = 0;
    assert_int_equal(zk_ws_parse(ws, buf, len, &used, &m), 1);
    assert_int_equal(used, len);
    return m;
}

/* Parse buf expecting a protocol error with code. */
static void expect_error(zk_ws *ws, const uint8_t *buf, size_t len, uint16_t code)
{
    zk_ws_msg m;
    size_t used;
    uint16_t got = 0;
    assert_null(zk_ws_error(ws, &got));
    assert_int_equal(zk_ws_parse(ws, buf, len, &used, &m), -1);
    assert_true(used <= len);
    const char *reason = zk_ws_error(ws, &got);
    assert_non_null(reason);
    assert_true(strlen(reason) <= 123);
    assert_int_equal(got, code);
    /* the error sticks */
    assert_int_equal(zk_ws_parse(ws, buf, len, &used, &m), -1);
    assert_int_equal(used, 0);
}

static void test_rfc_example(void **state)
{
    (void)state;
    /* RFC 6455 section 5.7: a single-frame masked text message "Hello" */
    static const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d,
                                    0x51, 0x58};
    zk_ws *ws = zk_ws_new(MiB);
    zk_ws_msg m = parse_one(ws, hello, sizeof(hello));
    assert_int_equal(m.opcode, ZK_WS_TEXT);
    assert_int_equal(m.len, 5);
    assert_memory_equal(m.data, "Hello", 5);
    zk_ws_free(ws);
}

static void test_lengths(void **state)
{
    (void)state;
    static const struct {
        size_t len, header;
    } cases[] = {{0, 6}, {1, 6}, {125, 6}, {126, 8}, {65535, 8}, {65536, 14}, {300000, 14}};
    zk_ws *ws = zk_ws_new(MiB);
    for (size_t c = 0; c < ZK_ARRAY_LEN(cases); c++) {
        size_t len = cases[c].len;
        zk_autofree uint8_t *payload = zk_xmalloc(len + 1);
        zk_autofree uint8_t *buf = zk_xmalloc(len + 14);
        for (size_t i = 0; i < len; i++)
            payload[i] = (uint8_t)(i * 7 + c);
        size_t n = frame(buf, FIN | ZK_WS_BINARY, payload, len, 1);
        assert_int_equal(n, cases[c].header + len);
        zk_ws_msg m = parse_one(ws, buf, n);
        assert_int_equal(m.opcode, ZK_WS_BINARY);
        assert_int_equal(m.len, len);
        assert_non_null(m.data);
        assert_memory_equal(m.data, payload, len);
    }
    zk_ws_free(ws);
}

static void test_fragmented_with_ping(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = 0;
    n += frame(buf + n, ZK_WS_TEXT, "Hel", 3, 1);
    size_t first = n;
    n += frame(buf + n, FIN | ZK_WS_PING, "are you there", 13, 1);
    size_t ping_end = n;
    n += frame(buf + n, ZK_WS_CONTINUATION, "", 0, 1);
    n += frame(buf + n, FIN | ZK_WS_CONTINUATION, "lo", 2, 1);
    n += frame(buf + n, FIN | ZK_WS_PONG, "", 0, 1);

    zk_ws *ws = zk_ws_new(MiB);
    zk_ws_msg m;
    size_t used;
    assert_int_equal(zk_ws_parse(ws, buf, n, &used, &m), 1);
    assert_int_equal(used, ping_end);
    assert_true(used > first);
    assert_int_equal(m.opcode, ZK_WS_PING);
    assert_int_equal(m.len, 13);
    assert_memory_equal(m.data, "are you there", 13);

    size_t off = used;
    assert_int_equal(zk_ws_parse(ws, buf + off, n - off, &used, &m), 1);
    off += used;
    assert_int_equal(m.opcode, ZK_WS_TEXT);
    assert_int_equal(m.len, 5);
    assert_memory_equal(m.data, "Hello", 5);

    assert_int_equal(zk_ws_parse(ws, buf + off, n - off, &used, &m), 1);
    off += used;
    assert_int_equal(m.opcode, ZK_WS_PONG);
    assert_int_equal(m.len, 0);
    assert_non_null(m.data);
    assert_int_equal(off, n);

    assert_int_equal(zk_ws_parse(ws, buf + off, 0, &used, &m), 0);
    assert_int_equal(used, 0);
    zk_ws_free(ws);
}

/* A stream of every kind of frame, and the messages it holds. */
typedef struct stream {
    uint8_t *buf;
    size_t len;
    uint8_t big[70000];
} stream;

static void build_stream(stream *s)
{
    for (size_t i = 0; i < sizeof(s->big); i++)
        s->big[i] = (uint8_t)(i % 251);
    s->buf = zk_xmalloc(sizeof(s->big) + 512);
    size_t n = 0;
    n += frame(s->buf + n, FIN | ZK_WS_BINARY, "\x01" "abc", 4, 1);
    n += frame(s->buf + n, ZK_WS_BINARY, s->big, 200, 1);
    n += frame(s->buf + n, FIN | ZK_WS_PING, "x", 1, 1);
    n += frame(s->buf + n, ZK_WS_CONTINUATION, s->big + 200, 69800, 1);
    n += frame(s->buf + n, FIN | ZK_WS_CONTINUATION, "", 0, 1);
    n += frame(s->buf + n, FIN | ZK_WS_TEXT, "", 0, 1);
    n += frame(s->buf + n, FIN | ZK_WS_CLOSE, "\x03\xe8" "done", 6, 1);
    /* nothing may follow a close: ignored */
    n += frame(s->buf + n, FIN | ZK_WS_BINARY, "late", 4, 1);
    s->len = n;
}

/* Feed the stream in chunks of size step and check the messages. */
static void feed(const stream *s, size_t step)
{
    zk_ws *ws = zk_ws_new(MiB);
    int seen = 0;
    size_t off = 0;
    while (off < s->len) {
        size_t chunk = s->len - off < step ? s->len - off : step;
        size_t used;
        zk_ws_msg m;
        int r = zk_ws_parse(ws, s->buf + off, chunk, &used, &m);
        assert_true(r == 0 || r == 1);
        assert_true(used <= chunk);
        if (r == 0)
            assert_int_equal(used, chunk);
        off += used;
        if (r == 0)
            continue;
        switch (seen++) {
        case 0:
            assert_int_equal(m.opcode, ZK_WS_BINARY);
            assert_int_equal(m.len, 4);
            assert_memory_equal(m.data, "\x01" "abc", 4);
            break;
        case 1:
            assert_int_equal(m.opcode, ZK_WS_PING);
            assert_int_equal(m.len, 1);
            assert_memory_equal(m.data, "x", 1);
            break;
        case 2:
            assert_int_equal(m.opcode, ZK_WS_BINARY);
            assert_int_equal(m.len, sizeof(s->big));
            assert_memory_equal(m.data, s->big, sizeof(s->big));
            break;
        case 3:
            assert_int_equal(m.opcode, ZK_WS_TEXT);
            assert_int_equal(m.len, 0);
            assert_non_null(m.data);
            break;
        case 4:
            assert_int_equal(m.opcode, ZK_WS_CLOSE);
            assert_int_equal(m.close_code, 1000);
            assert_int_equal(m.len, 4);
            assert_memory_equal(m.data, "done", 4);
            break;
        default:
            fail_msg("message after the close");
        }
    }
    assert_int_equal(seen, 5);
    zk_ws_free(ws);
}

static void test_byte_at_a_time(void **state)
{
    (void)state;
    stream *s = zk_xmalloc(sizeof(*s));
    build_stream(s);
    feed(s, 1);
    free(s->buf);
    free(s);
}

static void test_any_split(void **state)
{
    (void)state;
    stream *s = zk_xmalloc(sizeof(*s));
    build_stream(s);
    static const size_t steps[] = {2, 3, 5, 7, 13, 14, 15, 127, 4096, 65536, SIZE_MAX};
    for (size_t i = 0; i < ZK_ARRAY_LEN(steps); i++)
        feed(s, steps[i]);
    free(s->buf);
    free(s);
}

static void test_unmasked_rejected(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t n = frame(buf, FIN | ZK_WS_BINARY, "abc", 3, 0);
    zk_ws *ws = zk_ws_new(MiB);
    expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
    zk_ws_free(ws);

    /* caught at the second byte, before any payload */
    ws = zk_ws_new(MiB);
    zk_ws_msg m;
    size_t used;
    assert_int_equal(zk_ws_parse(ws, buf, 1, &used, &m), 0);
    assert_int_equal(zk_ws_parse(ws, buf + 1, 1, &used, &m), -1);
    zk_ws_free(ws);
}

static void test_rsv_rejected(void **state)
{
    (void)state;
    static const int rsv[] = {0x40, 0x20, 0x10};
    for (size_t i = 0; i < ZK_ARRAY_LEN(rsv); i++) {
        uint8_t buf[32];
        size_t n = frame(buf, FIN | rsv[i] | ZK_WS_BINARY, "abc", 3, 1);
        zk_ws *ws = zk_ws_new(MiB);
        expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
        zk_ws_free(ws);
    }
}

static void test_unknown_opcode_rejected(void **state)
{
    (void)state;
    static const int ops[] = {3, 4, 5, 6, 7, 11, 12, 13, 14, 15};
    for (size_t i = 0; i < ZK_ARRAY_LEN(ops); i++) {
        uint8_t buf[32];
        size_t n = frame(buf, FIN | ops[i], "", 0, 1);
        zk_ws *ws = zk_ws_new(MiB);
        expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
        zk_ws_free(ws);
    }
}

static void test_too_big(void **state)
{
    (void)state;
    uint8_t payload[1001] = {0};
    uint8_t buf[2100];

    /* exactly the limit is fine, in one frame or in two */
    zk_ws *ws = zk_ws_new(1000);
    size_t n = frame(buf, FIN | ZK_WS_BINARY, payload, 1000, 1);
    assert_int_equal(parse_one(ws, buf, n).len, 1000);
    n = frame(buf, ZK_WS_BINARY, payload, 400, 1);
    n += frame(buf + n, FIN | ZK_WS_CONTINUATION, payload, 600, 1);
    assert_int_equal(parse_one(ws, buf, n).len, 1000);
    zk_ws_free(ws);

    /* one byte over in one frame: rejected from the header alone */
    ws = zk_ws_new(1000);
    n = frame(buf, FIN | ZK_WS_BINARY, payload, 1001, 1);
    expect_error(ws, buf, 8, ZK_WS_TOO_BIG);
    zk_ws_free(ws);

    /* over across fragments */
    ws = zk_ws_new(1000);
    n = frame(buf, ZK_WS_BINARY, payload, 600, 1);
    n += frame(buf + n, FIN | ZK_WS_CONTINUATION, payload, 401, 1);
    expect_error(ws, buf, n, ZK_WS_TOO_BIG);
    zk_ws_free(ws);

    /* control frames are not counted against max_msg */
    ws = zk_ws_new(0);
    n = frame(buf, FIN | ZK_WS_PING, payload, 125, 1);
    assert_int_equal(parse_one(ws, buf, n).len, 125);
    n = frame(buf, FIN | ZK_WS_BINARY, "", 0, 1);
    assert_int_equal(parse_one(ws, buf, n).len, 0);
    n = frame(buf, FIN | ZK_WS_BINARY, "a", 1, 1);
    expect_error(ws, buf, n, ZK_WS_TOO_BIG);
    zk_ws_free(ws);
}

static void test_control_too_long(void **state)
{
    (void)state;
    uint8_t payload[200] = {0};
    uint8_t buf[256];
    static const int ops[] = {ZK_WS_PING, ZK_WS_PONG, ZK_WS_CLOSE};
    for (size_t i = 0; i < ZK_ARRAY_LEN(ops); i++) {
        size_t n = frame(buf, FIN | ops[i], payload, 126, 1);
        zk_ws *ws = zk_ws_new(MiB);
        expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
        zk_ws_free(ws);
    }
}

static void test_fragmented_control(void **state)
{
    (void)state;
    uint8_t buf[32];
    static const int ops[] = {ZK_WS_PING, ZK_WS_PONG, ZK_WS_CLOSE};
    for (size_t i = 0; i < ZK_ARRAY_LEN(ops); i++) {
        size_t n = frame(buf, ops[i], "\x03\xe8", 2, 1);
        zk_ws *ws = zk_ws_new(MiB);
        expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
        zk_ws_free(ws);
    }
}

static void test_continuation_order(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n;
    zk_ws *ws;

    /* a continuation with no message started */
    ws = zk_ws_new(MiB);
    n = frame(buf, FIN | ZK_WS_CONTINUATION, "abc", 3, 1);
    expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
    zk_ws_free(ws);

    /* ... nor after a message was finished */
    ws = zk_ws_new(MiB);
    n = frame(buf, FIN | ZK_WS_TEXT, "abc", 3, 1);
    parse_one(ws, buf, n);
    n = frame(buf, ZK_WS_CONTINUATION, "abc", 3, 1);
    expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
    zk_ws_free(ws);

    /* a new data frame inside a fragmented message */
    ws = zk_ws_new(MiB);
    n = frame(buf, ZK_WS_TEXT, "abc", 3, 1);
    n += frame(buf + n, FIN | ZK_WS_BINARY, "def", 3, 1);
    expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
    zk_ws_free(ws);
}

static void test_len64_high_bit(void **state)
{
    (void)state;
    uint8_t buf[14] = {FIN | ZK_WS_BINARY, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1,
                       0x37, 0xfa, 0x21, 0x3d};
    zk_ws *ws = zk_ws_new(SIZE_MAX);
    expect_error(ws, buf, sizeof(buf), ZK_WS_PROTOCOL_ERROR);
    zk_ws_free(ws);

    /* the largest legal length is refused only as too big */
    buf[2] = 0x7f;
    ws = zk_ws_new(MiB);
    expect_error(ws, buf, sizeof(buf), ZK_WS_TOO_BIG);
    zk_ws_free(ws);
}

static void test_close_codes(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n, used;
    zk_ws_msg m;
    zk_ws *ws;

    ws = zk_ws_new(MiB);
    n = frame(buf, FIN | ZK_WS_CLOSE, "", 0, 1);
    m = parse_one(ws, buf, n);
    assert_int_equal(m.opcode, ZK_WS_CLOSE);
    assert_int_equal(m.close_code, ZK_WS_NO_STATUS);
    assert_int_equal(m.len, 0);
    /* after the close everything is taken and ignored */
    n = frame(buf, FIN | ZK_WS_BINARY, "abc", 3, 0);
    assert_int_equal(zk_ws_parse(ws, buf, n, &used, &m), 0);
    assert_int_equal(used, n);
    zk_ws_free(ws);

    static const struct {
        uint16_t code;
        int ok;
    } cases[] = {{1000, 1}, {1001, 1}, {1003, 1}, {1007, 1}, {1011, 1}, {1014, 1},
                 {3000, 1}, {4999, 1}, {0, 0}, {999, 0}, {1004, 0}, {1005, 0},
                 {1006, 0}, {1015, 0}, {2999, 0}, {5000, 0}, {65535, 0}};
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        uint8_t p[8] = {(uint8_t)(cases[i].code >> 8), (uint8_t)cases[i].code, 'b', 'y', 'e'};
        n = frame(buf, FIN | ZK_WS_CLOSE, p, 5, 1);
        ws = zk_ws_new(MiB);
        if (cases[i].ok) {
            m = parse_one(ws, buf, n);
            assert_int_equal(m.close_code, cases[i].code);
            assert_int_equal(m.len, 3);
            assert_memory_equal(m.data, "bye", 3);
        } else {
            expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
        }
        zk_ws_free(ws);
    }

    /* a code without a reason */
    ws = zk_ws_new(MiB);
    n = frame(buf, FIN | ZK_WS_CLOSE, "\x0f\xa0", 2, 1);
    m = parse_one(ws, buf, n);
    assert_int_equal(m.close_code, 4000);
    assert_int_equal(m.len, 0);
    zk_ws_free(ws);

    /* a 1-byte payload */
    ws = zk_ws_new(MiB);
    n = frame(buf, FIN | ZK_WS_CLOSE, "\x03", 1, 1);
    expect_error(ws, buf, n, ZK_WS_PROTOCOL_ERROR);
    zk_ws_free(ws);
}

static void test_header_builder(void **state)
{
    (void)state;
    uint8_t out[ZK_WS_HEADER_MAX];

    assert_int_equal(zk_ws_header(out, ZK_WS_BINARY, 0), 2);
    assert_memory_equal(out, "\x82\x00", 2);
    assert_int_equal(zk_ws_header(out, ZK_WS_TEXT, 125), 2);
    assert_memory_equal(out, "\x81\x7d", 2);
    assert_int_equal(zk_ws_header(out, ZK_WS_BINARY, 126), 4);
    assert_memory_equal(out, "\x82\x7e\x00\x7e", 4);
    assert_int_equal(zk_ws_header(out, ZK_WS_BINARY, 65535), 4);
    assert_memory_equal(out, "\x82\x7e\xff\xff", 4);
    assert_int_equal(zk_ws_header(out, ZK_WS_BINARY, 65536), 10);
    assert_memory_equal(out, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    assert_int_equal(zk_ws_header(out, ZK_WS_BINARY, 0x0102030405060708ull), 10);
    assert_memory_equal(out, "\x82\x7f\x01\x02\x03\x04\x05\x06\x07\x08", 10);
    assert_int_equal(zk_ws_header(out, ZK_WS_CLOSE, 2), 2);
    assert_memory_equal(out, "\x88\x02", 2);
    assert_int_equal(zk_ws_header(out, ZK_WS_PONG, 125), 2);
    assert_memory_equal(out, "\x8a\x7d", 2);
}

static void test_close_payload(void **state)
{
    (void)state;
    uint8_t out[ZK_WS_CONTROL_MAX];

    assert_int_equal(zk_ws_close_payload(out, ZK_WS_NORMAL, NULL), 2);
    assert_memory_equal(out, "\x03\xe8", 2);
    assert_int_equal(zk_ws_close_payload(out, ZK_WS_TOO_BIG, "message too big"), 17);
    assert_memory_equal(out, "\x03\xf1" "message too big", 17);
    assert_int_equal(zk_ws_close_payload(out, ZK_WS_NO_STATUS, "ignored"), 0);

    /* a long reason is cut to 123 bytes ... */
    char reason[200];
    memset(reason, 'a', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    assert_int_equal(zk_ws_close_payload(out, ZK_WS_NORMAL, reason), 125);
    /* ... but not inside a character: "é" (2 bytes) at 122..123 is dropped whole */
    reason[122] = (char)0xc3;
    reason[123] = (char)0xa9;
    assert_int_equal(zk_ws_close_payload(out, ZK_WS_NORMAL, reason), 2 + 122);
    /* one that ends exactly at the limit is kept */
    reason[121] = (char)0xc3;
    reason[122] = (char)0xa9;
    reason[123] = 'a';
    assert_int_equal(zk_ws_close_payload(out, ZK_WS_NORMAL, reason), 125);
    assert_memory_equal(out + 2 + 121, "\xc3\xa9", 2);

    /* what it builds parses back */
    uint8_t buf[ZK_WS_CONTROL_MAX + 14];
    size_t len = zk_ws_close_payload(out, 4000, "bye");
    size_t n = frame(buf, FIN | ZK_WS_CLOSE, out, len, 1);
    zk_ws *ws = zk_ws_new(MiB);
    zk_ws_msg m = parse_one(ws, buf, n);
    assert_int_equal(m.close_code, 4000);
    assert_int_equal(m.len, 3);
    assert_memory_equal(m.data, "bye", 3);
    zk_ws_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_example),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_fragmented_with_ping),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_any_split),
        cmocka_unit_test(test_unmasked_rejected),
        cmocka_unit_test(test_rsv_rejected),
        cmocka_unit_test(test_unknown_opcode_rejected),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_control_too_long),
        cmocka_unit_test(test_fragmented_control),
        cmocka_unit_test(test_continuation_order),
        cmocka_unit_test(test_len64_high_bit),
        cmocka_unit_test(test_close_codes),
        cmocka_unit_test(test_header_builder),
        cmocka_unit_test(test_close_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
