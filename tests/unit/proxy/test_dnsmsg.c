/* proxy/dnsmsg.c: queries as clients send them and as attackers might,
 * names in text and wire form, and answers written and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proxy/dnsmsg.h"

/* ---- building messages by hand ---- */

typedef struct {
    uint8_t b[4096];
    size_t n;
} msgbuf;

static void b8(msgbuf *m, unsigned v)
{
    assert_true(m->n < sizeof(m->b));
    m->b[m->n++] = (uint8_t)v;
}

static void b16(msgbuf *m, unsigned v)
{
    b8(m, v >> 8 & 0xff);
    b8(m, v & 0xff);
}

static void b32(msgbuf *m, uint32_t v)
{
    b16(m, v >> 16);
    b16(m, v & 0xffff);
}

static void bytes(msgbuf *m, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b8(m, ((const uint8_t *)p)[i]);
}

/* A dotted name as plain labels and the root; "" is the root alone. */
static void dname(msgbuf *m, const char *dotted)
{
    const char *p = dotted;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        b8(m, (unsigned)n);
        bytes(m, p, n);
        p += n;
        if (*p == '.')
            p++;
    }
    b8(m, 0);
}

static void header(msgbuf *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                   unsigned ar)
{
    m->n = 0;
    b16(m, id);
    b16(m, flags);
    b16(m, qd);
    b16(m, an);
    b16(m, ns);
    b16(m, ar);
}

static void question(msgbuf *m, const char *name, unsigned type)
{
    dname(m, name);
    b16(m, type);
    b16(m, ZK_DNS_IN);
}

/* An OPT record: size, the TTL's bytes (ext-rcode, version, flags), no options. */
static void opt(msgbuf *m, unsigned size, unsigned version, unsigned flags)
{
    b8(m, 0);
    b16(m, ZK_DNS_OPT);
    b16(m, size);
    b8(m, 0);
    b8(m, version);
    b16(m, flags);
    b16(m, 0);
}

/* A simple query with one question and counts for what the caller adds. */
static void query(msgbuf *m, const char *name, unsigned type, unsigned an, unsigned ns,
                  unsigned ar)
{
    header(m, 0x4242, 0x0100, 1, an, ns, ar);
    question(m, name, type);
}

static int parse(const msgbuf *m, zk_dns_query *q)
{
    return zk_dns_parse_query(m->b, m->n, q);
}

/* What `dig +dnssec WWW.Example.COM A` (BIND 9.18) sends: RD and AD set, an
 * OPT for 1232 bytes with DO and a client cookie. */
static const uint8_t dig_query[] = {
    0x1a, 0x2b, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x03, 'W', 'W', 'W', 0x07, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'C', 'O', 'M', 0x00,
    0x00, 0x01, 0x00, 0x01,
    0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x0c,
    0x00, 0x0a, 0x00, 0x08, 0x5e, 0x1c, 0x2d, 0x8a, 0x90, 0x11, 0xf3, 0x07,
};

static void test_dig_query(void **state)
{
    zk_dns_query q;
    assert_int_equal(zk_dns_parse_query(dig_query, sizeof(dig_query), &q), 0);
    assert_int_equal(q.id, 0x1a2b);
    assert_int_equal(q.opcode, 0);
    assert_true(q.rd);
    assert_false(q.cd);
    assert_true(q.has_question);
    assert_string_equal(q.q.name, "www.example.com");
    assert_int_equal(q.q.qtype, ZK_DNS_A);
    assert_int_equal(q.q.qclass, ZK_DNS_IN);
    assert_true(q.edns);
    assert_int_equal(q.edns_size, 1232);
    assert_int_equal(q.edns_version, 0);
    assert_true(q.dnssec_ok);

    /* bytes after the counted records are ignored */
    uint8_t more[sizeof(dig_query) + 5];
    memcpy(more, dig_query, sizeof(dig_query));
    memcpy(more + sizeof(dig_query), "junk!", 5);
    assert_int_equal(zk_dns_parse_query(more, sizeof(more), &q), 0);
    assert_string_equal(q.q.name, "www.example.com");
    assert_true(q.dnssec_ok);

    /* CD is kept for the answer; no OPT, no EDNS */
    msgbuf m;
    header(&m, 7, 0x0010, 1, 0, 0, 0);
    question(&m, "kubernetes.default.svc.cluster.local", ZK_DNS_AAAA);
    assert_int_equal(parse(&m, &q), 0);
    assert_false(q.rd);
    assert_true(q.cd);
    assert_false(q.edns);
    assert_false(q.dnssec_ok);
    assert_int_equal(q.q.qtype, ZK_DNS_AAAA);
}

static void test_every_truncation_fails(void **state)
{
    zk_dns_query q;
    for (size_t n = 0; n < sizeof(dig_query); n++) {
        int rc = zk_dns_parse_query(dig_query, n, &q);
        if (n < ZK_DNS_HEADER) {
            assert_int_equal(rc, -1);
        } else {
            assert_int_equal(rc, ZK_DNS_FORMERR);
            assert_int_equal(q.id, 0x1a2b);
            assert_true(q.rd);
            assert_false(q.edns);
            /* the question is whole from 33 bytes on, and then kept */
            assert_int_equal(q.has_question, n >= 33);
            assert_string_equal(q.q.name, n >= 33 ? "www.example.com" : "");
        }
        uint16_t id;
        zk_dns_question qu;
        assert_int_equal(zk_dns_parse_response(dig_query, n, &id, &qu), -1);
    }
}

static void test_case_and_escapes(void **state)
{
    msgbuf m;
    header(&m, 1, 0x0100, 1, 0, 0, 0);
    static const uint8_t odd[] = {'M', 'y', '.', 'h', 0x00, 0xff, '\\', ' ', '-', '_', 'Z', '9'};
    b8(&m, sizeof(odd));
    bytes(&m, odd, sizeof(odd));
    dname(&m, "Svc.CLUSTER.local");
    b16(&m, ZK_DNS_SRV);
    b16(&m, ZK_DNS_IN);
    zk_dns_query q;
    assert_int_equal(parse(&m, &q), 0);
    const char *want = "my\\046h\\000\\255\\092\\032-_z9.svc.cluster.local";
    assert_string_equal(q.q.name, want);

    /* and back: the same bytes, but lower case */
    uint8_t wire[ZK_DNS_NAME_WIRE_MAX];
    int n = zk_dns_name_encode(want, wire);
    assert_int_equal(n, (int)(m.n - ZK_DNS_HEADER - 4));
    static const uint8_t lower[] = {'m', 'y', '.', 'h', 0x00, 0xff, '\\', ' ', '-', '_', 'z', '9'};
    assert_int_equal(wire[0], sizeof(lower));
    assert_memory_equal(wire + 1, lower, sizeof(lower));
    assert_memory_equal(wire + 1 + sizeof(lower), "\x03svc\x07" "cluster\x05local\x00", 19);

    /* the root */
    header(&m, 1, 0x0100, 1, 0, 0, 0);
    question(&m, "", ZK_DNS_NS);
    assert_int_equal(parse(&m, &q), 0);
    assert_true(q.has_question);
    assert_string_equal(q.q.name, "");
    assert_int_equal(q.q.qtype, ZK_DNS_NS);
}

static void test_bad_headers(void **state)
{
    zk_dns_query q;
    msgbuf m;
    /* a response is not answered */
    header(&m, 9, 0x8180, 1, 0, 0, 0);
    question(&m, "a.b", ZK_DNS_A);
    assert_int_equal(parse(&m, &q), -1);
    /* another opcode: NOTIMP, with the opcode kept for the answer */
    header(&m, 9, 0x2100, 1, 0, 0, 0);   /* opcode 4, NOTIFY */
    question(&m, "a.b", ZK_DNS_SOA);
    assert_int_equal(parse(&m, &q), ZK_DNS_NOTIMP);
    assert_int_equal(q.id, 9);
    assert_int_equal(q.opcode, 4);
    assert_true(q.rd);
    assert_false(q.has_question);
    /* no question, or two */
    header(&m, 10, 0x0100, 0, 0, 0, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    assert_int_equal(q.id, 10);
    assert_false(q.has_question);
    assert_string_equal(q.q.name, "");
    header(&m, 11, 0x0100, 2, 0, 0, 0);
    question(&m, "a.b", ZK_DNS_A);
    question(&m, "c.d", ZK_DNS_A);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    assert_int_equal(q.id, 11);
    assert_false(q.has_question);
    /* the question's type and class cut off */
    header(&m, 12, 0x0100, 1, 0, 0, 0);
    dname(&m, "a.b");
    b16(&m, ZK_DNS_A);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    assert_false(q.has_question);
}

static void test_edns_and_other_records(void **state)
{
    zk_dns_query q;
    msgbuf m;
    /* sizes are clamped; a version other than 0 is the caller's to refuse */
    query(&m, "a.b", ZK_DNS_A, 0, 0, 1);
    opt(&m, 100, 0, 0);
    assert_int_equal(parse(&m, &q), 0);
    assert_int_equal(q.edns_size, ZK_DNS_UDP_MIN);
    assert_false(q.dnssec_ok);
    query(&m, "a.b", ZK_DNS_A, 0, 0, 1);
    opt(&m, 65000, 1, 0x8000);
    assert_int_equal(parse(&m, &q), 0);
    assert_int_equal(q.edns_size, ZK_DNS_UDP_CAP);
    assert_int_equal(q.edns_version, 1);
    assert_true(q.dnssec_ok);

    /* two OPTs */
    query(&m, "a.b", ZK_DNS_A, 0, 0, 2);
    opt(&m, 1232, 0, 0);
    opt(&m, 1232, 0, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    assert_true(q.has_question);
    assert_string_equal(q.q.name, "a.b");
    assert_false(q.edns);
    /* an OPT not owned by the root */
    query(&m, "a.b", ZK_DNS_A, 0, 0, 1);
    dname(&m, "x");
    b16(&m, ZK_DNS_OPT);
    b16(&m, 1232);
    b32(&m, 0);
    b16(&m, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    /* an OPT in the answer section */
    query(&m, "a.b", ZK_DNS_A, 1, 0, 0);
    opt(&m, 1232, 0, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    /* an option longer than the OPT's data */
    query(&m, "a.b", ZK_DNS_A, 0, 0, 1);
    b8(&m, 0);
    b16(&m, ZK_DNS_OPT);
    b16(&m, 1232);
    b32(&m, 0);
    b16(&m, 6);
    b16(&m, 10);      /* cookie */
    b16(&m, 8);       /* 8 bytes, but 2 are there */
    b16(&m, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);

    /* less than an option's code and length */
    query(&m, "a.b", ZK_DNS_A, 0, 0, 1);
    b8(&m, 0);
    b16(&m, ZK_DNS_OPT);
    b16(&m, 1232);
    b32(&m, 0);
    b16(&m, 3);
    b16(&m, 10);
    b8(&m, 0);
    for (int i = 0; i < 8; i++)
        b8(&m, 0);    /* what might be read past its end */
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);

    /* answer and authority records are skipped when whole */
    query(&m, "a.b", ZK_DNS_A, 1, 1, 2);
    b16(&m, 0xc000 | ZK_DNS_HEADER);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    b32(&m, 60);
    b16(&m, 4);
    b32(&m, 0x0a000001);
    dname(&m, "b");
    b16(&m, ZK_DNS_NS);
    b16(&m, ZK_DNS_IN);
    b32(&m, 60);
    b16(&m, 4);
    bytes(&m, "\x02ns\x00", 4);
    dname(&m, "c");
    b16(&m, ZK_DNS_TXT);
    b16(&m, ZK_DNS_IN);
    b32(&m, 0);
    b16(&m, 0);
    opt(&m, 4096, 0, 0);
    assert_int_equal(parse(&m, &q), 0);
    assert_true(q.edns);
    assert_int_equal(q.edns_size, 4096);
    /* and FORMERR when one's data runs past the end, or there is one too few */
    query(&m, "a.b", ZK_DNS_A, 1, 0, 0);
    b16(&m, 0xc000 | ZK_DNS_HEADER);
    b16(&m, ZK_DNS_TXT);
    b16(&m, ZK_DNS_IN);
    b32(&m, 0);
    b16(&m, 50);
    bytes(&m, "short", 5);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    assert_true(q.has_question);
    query(&m, "a.b", ZK_DNS_A, 0, 2, 0);
    dname(&m, "b");
    b16(&m, ZK_DNS_TXT);
    b16(&m, ZK_DNS_IN);
    b32(&m, 0);
    b16(&m, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
}

static void test_pointers(void **state)
{
    zk_dns_query q;
    msgbuf m;
    /* forward, to itself, into the header */
    header(&m, 1, 0x0100, 1, 0, 0, 0);
    b16(&m, 0xc000 | 18);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    dname(&m, "a");
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    header(&m, 1, 0x0100, 1, 0, 0, 0);
    b16(&m, 0xc000 | 12);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    header(&m, 1, 0x0100, 1, 0, 0, 0);
    b16(&m, 0xc000 | 4);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    /* a loop: label, then back to that label */
    query(&m, "a", ZK_DNS_A, 1, 0, 0);
    size_t at = m.n;
    b8(&m, 1);
    b8(&m, 'x');
    b16(&m, 0xc000 | (unsigned)at);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    b32(&m, 0);
    b16(&m, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    assert_true(q.has_question);
    /* the same record pointing at the question instead is fine */
    m.n = at + 2;
    b16(&m, 0xc000 | ZK_DNS_HEADER);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    b32(&m, 0);
    b16(&m, 0);
    assert_int_equal(parse(&m, &q), 0);
    /* a chain through two records: y -> x -> the question */
    query(&m, "a", ZK_DNS_A, 2, 0, 0);
    size_t r1 = m.n;
    b8(&m, 1);
    b8(&m, 'x');
    b16(&m, 0xc000 | ZK_DNS_HEADER);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    b32(&m, 0);
    b16(&m, 0);
    size_t r2 = m.n;
    b8(&m, 1);
    b8(&m, 'y');
    b16(&m, 0xc000 | (unsigned)r1);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    b32(&m, 0);
    b16(&m, 0);
    assert_int_equal(parse(&m, &q), 0);
    /* x's end pointing at y is forwards, at its own label a loop */
    m.b[r1 + 3] = (uint8_t)r2;
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    m.b[r1 + 3] = (uint8_t)r1;
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    /* y pointing at x's pointer rather than its label: "y.a" */
    m.b[r1 + 3] = ZK_DNS_HEADER;
    m.b[r2 + 3] = (uint8_t)(r1 + 2);
    assert_int_equal(parse(&m, &q), 0);

    /* label types 0x40 and 0x80, whatever follows */
    for (unsigned t = 0x40; t <= 0x80; t += 0x40) {
        header(&m, 1, 0x0100, 1, 0, 0, 0);
        b8(&m, t | 1);
        for (unsigned i = 0; i < (t | 1); i++)
            b8(&m, 'a');
        b8(&m, 0);
        b16(&m, ZK_DNS_A);
        b16(&m, ZK_DNS_IN);
        assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    }

    /* chains: a record's data holds k pointers, each to the one before,
     * the first to the question; the next record's owner points to the
     * last. ZK_DNS_PTR_MAX are followed, one more is not. */
    for (int k = ZK_DNS_PTR_MAX - 3; k <= ZK_DNS_PTR_MAX + 1; k++) {
        query(&m, "a", ZK_DNS_A, 0, 0, 2);
        dname(&m, "");
        b16(&m, 65280);   /* private use */
        b16(&m, ZK_DNS_IN);
        b32(&m, 0);
        b16(&m, 2 * (unsigned)k);
        size_t first = m.n;
        b16(&m, 0xc000 | ZK_DNS_HEADER);
        for (int i = 1; i < k; i++)
            b16(&m, 0xc000 | (unsigned)(first + 2 * (size_t)(i - 1)));
        b16(&m, 0xc000 | (unsigned)(first + 2 * (size_t)(k - 1)));   /* owner: one more */
        b16(&m, ZK_DNS_A);
        b16(&m, ZK_DNS_IN);
        b32(&m, 0);
        b16(&m, 0);
        assert_int_equal(parse(&m, &q), k + 1 <= ZK_DNS_PTR_MAX ? 0 : ZK_DNS_FORMERR);
    }
}

static void test_name_lengths(void **state)
{
    zk_dns_query q;
    msgbuf m;
    char l63[64], l61[62];
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l61, 'b', 61);
    l61[61] = '\0';
    /* 63 + 63 + 63 + 61 bytes of labels: 255 on the wire, the most there is */
    char name[300];
    snprintf(name, sizeof(name), "%s.%s.%s.%s", l63, l63, l63, l61);
    query(&m, name, ZK_DNS_A, 0, 0, 0);
    assert_int_equal(m.n, ZK_DNS_HEADER + 255 + 4);
    assert_int_equal(parse(&m, &q), 0);
    assert_string_equal(q.q.name, name);
    /* a byte more */
    snprintf(name, sizeof(name), "%s.%s.%s.%sb", l63, l63, l63, l61);
    query(&m, name, ZK_DNS_A, 0, 0, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    /* the longest text: all 250 bytes escaped */
    header(&m, 1, 0x0100, 1, 0, 0, 0);
    for (int l = 0; l < 4; l++) {
        int n = l < 3 ? 63 : 61;
        b8(&m, (unsigned)n);
        for (int i = 0; i < n; i++)
            b8(&m, 0xfe);
    }
    b8(&m, 0);
    b16(&m, ZK_DNS_A);
    b16(&m, ZK_DNS_IN);
    assert_int_equal(parse(&m, &q), 0);
    assert_int_equal(strlen(q.q.name), 250 * 4 + 3);
    assert_true(strlen(q.q.name) < ZK_DNS_NAME_TEXT_MAX);
    assert_memory_equal(q.q.name, "\\254\\254", 8);
    uint8_t wire[ZK_DNS_NAME_WIRE_MAX];
    assert_int_equal(zk_dns_name_encode(q.q.name, wire), 255);
    assert_memory_equal(wire, m.b + ZK_DNS_HEADER, 255);

    /* too long only once a pointer is followed: 193 bytes of question, and
     * an answer owner of a label of n bytes and a pointer to it */
    for (unsigned n = 61; n <= 62; n++) {
        snprintf(name, sizeof(name), "%s.%s.%s", l63, l63, l63);
        query(&m, name, ZK_DNS_A, 1, 0, 0);
        assert_int_equal(m.n, ZK_DNS_HEADER + 193 + 4);
        b8(&m, n);
        for (unsigned i = 0; i < n; i++)
            b8(&m, 'c');
        b16(&m, 0xc000 | ZK_DNS_HEADER);
        b16(&m, ZK_DNS_A);
        b16(&m, ZK_DNS_IN);
        b32(&m, 0);
        b16(&m, 0);
        assert_int_equal(parse(&m, &q), 1 + n + 193 <= 255 ? 0 : ZK_DNS_FORMERR);
    }
}

static void test_name_encode(void **state)
{
    uint8_t w[ZK_DNS_NAME_WIRE_MAX];
    assert_int_equal(zk_dns_name_encode("", w), 1);
    assert_int_equal(w[0], 0);
    assert_int_equal(zk_dns_name_encode("web.default", w), 13);
    assert_memory_equal(w, "\x03web\x07" "default\x00", 13);
    assert_int_equal(zk_dns_name_encode("a\\046b", w), 5);
    assert_memory_equal(w, "\x03" "a.b\x00", 5);
    assert_int_equal(zk_dns_name_encode("\\000\\255", w), 4);
    assert_memory_equal(w, "\x02\x00\xff\x00", 4);
    static const char *bad[] = {
        ".", "a.", ".a", "a..b", "\\", "\\1", "\\12", "\\12a", "\\256", "\\999", "a\\.b", "\\x41",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (zk_dns_name_encode(bad[i], w) != -1) {
            fprintf(stderr, "accepted %s\n", bad[i]);
            fail();
        }
    }
    /* labels up to 63 bytes (escapes count once), names up to 255 */
    char t[1100];
    memset(t, 'a', 63);
    t[63] = '\0';
    assert_int_equal(zk_dns_name_encode(t, w), 65);
    t[63] = 'a';
    t[64] = '\0';
    assert_int_equal(zk_dns_name_encode(t, w), -1);
    size_t o = 0;
    for (int i = 0; i < 63; i++)
        o += (size_t)snprintf(t + o, sizeof(t) - o, "\\065");
    assert_int_equal(zk_dns_name_encode(t, w), 65);
    assert_int_equal(w[1], 'A');
    snprintf(t + o, sizeof(t) - o, "\\065");
    assert_int_equal(zk_dns_name_encode(t, w), -1);
    char l63[64];
    memset(l63, 'x', 63);
    l63[63] = '\0';
    snprintf(t, sizeof(t), "%s.%s.%s.%.61s", l63, l63, l63, l63);
    assert_int_equal(zk_dns_name_encode(t, w), 255);
    snprintf(t, sizeof(t), "%s.%s.%s.%.62s", l63, l63, l63, l63);
    assert_int_equal(zk_dns_name_encode(t, w), -1);
    snprintf(t, sizeof(t), "%s.%s.%s.%.60s.y", l63, l63, l63, l63);
    assert_int_equal(zk_dns_name_encode(t, w), -1);
    /* 127 labels of one byte: 255 */
    o = 0;
    for (int i = 0; i < 127; i++)
        o += (size_t)snprintf(t + o, sizeof(t) - o, i ? ".z" : "z");
    assert_int_equal(zk_dns_name_encode(t, w), 255);
    snprintf(t + o, sizeof(t) - o, ".z");
    assert_int_equal(zk_dns_name_encode(t, w), -1);
}

/* ---- reading answers back, the test's own way ---- */

typedef struct {
    const uint8_t *m;
    size_t len, off;
    int pointers;       /* followed so far in this message */
} reader;

static unsigned r16(reader *r)
{
    assert_true(r->off + 2 <= r->len);
    unsigned v = (unsigned)r->m[r->off] << 8 | r->m[r->off + 1];
    r->off += 2;
    return v;
}

static uint32_t r32(reader *r)
{
    uint32_t hi = r16(r);
    return hi << 16 | r16(r);
}

/* A name in dotted text, bytes as they are; *wire gets the bytes it took
 * where it is (2 for a bare pointer). */
static void rname(reader *r, char *out, size_t *wire)
{
    size_t p = r->off, o = 0, end = 0;
    bool jumped = false;
    for (;;) {
        assert_true(p < r->len);
        uint8_t b = r->m[p];
        if ((b & 0xc0) == 0xc0) {
            assert_true(p + 1 < r->len);
            size_t to = (size_t)(b & 0x3f) << 8 | r->m[p + 1];
            assert_true(to < p);
            assert_true(to < 0x4000);
            r->pointers++;
            if (!jumped)
                end = p + 2;
            jumped = true;
            p = to;
            continue;
        }
        assert_true(b < 64);
        if (!b)
            break;
        if (o)
            out[o++] = '.';
        memcpy(out + o, r->m + p + 1, b);
        o += b;
        p += 1u + b;
    }
    out[o] = '\0';
    if (!jumped)
        end = p + 1;
    *wire = end - r->off;
    r->off = end;
}

typedef struct {
    char name[300];
    size_t name_wire;
    unsigned type, class;
    uint32_t ttl;
    size_t rdlen, rdata;
} rrec;

static void rrr(reader *r, rrec *x)
{
    rname(r, x->name, &x->name_wire);
    x->type = r16(r);
    x->class = r16(r);
    x->ttl = r32(r);
    x->rdlen = r16(r);
    x->rdata = r->off;
    assert_true(r->off + x->rdlen <= r->len);
}

static const uint8_t ip4[4] = {10, 96, 0, 1};
static const uint8_t ip6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
#define SVC "web.default.svc.cluster.local"

/* names match whatever the case: answers point into the client's question */
#define assert_name_equal(a, b) assert_int_equal(strcasecmp((a), (b)), 0)

static void test_writer_round_trip(void **state)
{
    msgbuf m;
    header(&m, 0xbeef, 0x0110, 1, 0, 0, 1);   /* RD, CD */
    question(&m, "Web.Default.SVC.cluster.local", ZK_DNS_A);
    opt(&m, 1232, 0, 0x8000);
    zk_dns_query q;
    assert_int_equal(parse(&m, &q), 0);

    static uint8_t buf[4096];
    zk_dns_writer w;
    zk_dns_writer_init(&w, buf, q.edns_size, &q, ZK_DNS_NOERROR, true);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, SVC, 30, ip4), 0);
    assert_int_equal(zk_dns_add_aaaa(&w, ZK_DNS_ANSWER, SVC, 30, ip6), 0);
    assert_int_equal(zk_dns_add_name(&w, ZK_DNS_ANSWER, ZK_DNS_CNAME,
                                     "alias.default.svc.cluster.local", 5, SVC), 0);
    assert_int_equal(zk_dns_add_name(&w, ZK_DNS_ANSWER, ZK_DNS_PTR, "1.0.96.10.in-addr.arpa", 5,
                                     SVC), 0);
    assert_int_equal(zk_dns_add_srv(&w, ZK_DNS_ANSWER, "_http._tcp." SVC, 5, 10, 20, 8080,
                                    "web-0.web.default.svc.cluster.local"), 0);
    assert_int_equal(zk_dns_add_soa(&w, ZK_DNS_AUTHORITY, "cluster.local", 5,
                                    "ns.dns.cluster.local", "hostmaster.cluster.local", 2024,
                                    7200, 1800, 86400, 30), 0);
    assert_int_equal(zk_dns_add_opt(&w, 1232, 0), 0);
    size_t len = zk_dns_writer_finish(&w);
    assert_false(w.truncated);
    assert_false(w.failed);
    assert_int_equal(len, w.len);
    assert_true(len <= q.edns_size);

    reader r = {buf, len, 0, 0};
    assert_int_equal(r16(&r), 0xbeef);
    unsigned flags = r16(&r);
    assert_int_equal(flags, 0x8000 | 0x0400 | 0x0100 | 0x0080 | 0x0010);   /* QR AA RD RA CD */
    assert_int_equal(r16(&r), 1);
    assert_int_equal(r16(&r), 5);
    assert_int_equal(r16(&r), 1);
    assert_int_equal(r16(&r), 1);
    char name[300];
    size_t wire;
    rname(&r, name, &wire);
    assert_string_equal(name, "Web.Default.SVC.cluster.local");   /* as the client wrote it */
    assert_int_equal(wire, 31);
    assert_int_equal(r16(&r), ZK_DNS_A);
    assert_int_equal(r16(&r), ZK_DNS_IN);

    rrec x;
    rrr(&r, &x);   /* A: the owner is a pointer to the question */
    assert_name_equal(x.name, SVC);
    assert_int_equal(x.name_wire, 2);
    assert_memory_equal(buf + x.rdata - 10 - 2, "\xc0\x0c", 2);
    assert_int_equal(x.type, ZK_DNS_A);
    assert_int_equal(x.class, ZK_DNS_IN);
    assert_int_equal(x.ttl, 30);
    assert_int_equal(x.rdlen, 4);
    assert_memory_equal(buf + x.rdata, ip4, 4);
    r.off += x.rdlen;
    rrr(&r, &x);   /* AAAA */
    assert_int_equal(x.name_wire, 2);
    assert_int_equal(x.type, ZK_DNS_AAAA);
    assert_int_equal(x.rdlen, 16);
    assert_memory_equal(buf + x.rdata, ip6, 16);
    r.off += x.rdlen;
    rrr(&r, &x);   /* CNAME: "alias" and a pointer to "default.svc..."; the target a pointer */
    assert_name_equal(x.name, "alias.default.svc.cluster.local");
    assert_int_equal(x.name_wire, 1 + 5 + 2);
    assert_memory_equal(buf + x.rdata - 10 - 2, "\xc0\x10", 2);   /* 12 + 4 */
    assert_int_equal(x.type, ZK_DNS_CNAME);
    assert_int_equal(x.rdlen, 2);
    reader rd = {buf, len, x.rdata, 0};
    rname(&rd, name, &wire);
    assert_name_equal(name, SVC);
    r.off += x.rdlen;
    rrr(&r, &x);   /* PTR: nothing to share for the owner */
    assert_name_equal(x.name, "1.0.96.10.in-addr.arpa");
    assert_int_equal(x.name_wire, 24);
    assert_int_equal(x.type, ZK_DNS_PTR);
    assert_int_equal(x.rdlen, 2);
    r.off += x.rdlen;
    rrr(&r, &x);   /* SRV: owner compressed, target not (RFC 2782) */
    assert_name_equal(x.name, "_http._tcp." SVC);
    assert_int_equal(x.name_wire, 6 + 5 + 2);
    assert_int_equal(x.type, ZK_DNS_SRV);
    rd = (reader){buf, len, x.rdata, 0};
    assert_int_equal(r16(&rd), 10);
    assert_int_equal(r16(&rd), 20);
    assert_int_equal(r16(&rd), 8080);
    rname(&rd, name, &wire);
    assert_string_equal(name, "web-0.web.default.svc.cluster.local");
    assert_int_equal(rd.pointers, 0);
    assert_int_equal(wire, 37);
    assert_int_equal(x.rdlen, 6 + 37);
    r.off += x.rdlen;
    rrr(&r, &x);   /* SOA in the authority section: all three names share */
    assert_name_equal(x.name, "cluster.local");
    assert_int_equal(x.name_wire, 2);
    assert_int_equal(x.type, ZK_DNS_SOA);
    assert_int_equal(x.ttl, 5);
    rd = (reader){buf, len, x.rdata, 0};
    rname(&rd, name, &wire);
    assert_string_equal(name, "ns.dns.cluster.local");
    assert_int_equal(wire, 3 + 4 + 2);
    rname(&rd, name, &wire);
    assert_string_equal(name, "hostmaster.cluster.local");
    assert_int_equal(wire, 11 + 2);
    assert_int_equal(r32(&rd), 2024);
    assert_int_equal(r32(&rd), 7200);
    assert_int_equal(r32(&rd), 1800);
    assert_int_equal(r32(&rd), 86400);
    assert_int_equal(r32(&rd), 30);
    assert_int_equal(rd.off, x.rdata + x.rdlen);
    r.off += x.rdlen;
    rrr(&r, &x);   /* OPT */
    assert_name_equal(x.name, "");
    assert_int_equal(x.name_wire, 1);
    assert_int_equal(x.type, ZK_DNS_OPT);
    assert_int_equal(x.class, 1232);
    assert_int_equal(x.ttl, 0);
    assert_int_equal(x.rdlen, 0);
    assert_int_equal(r.off, len);

    /* the module reads it back too: the question, and (as a query) every record */
    uint16_t id;
    zk_dns_question qu;
    assert_int_equal(zk_dns_parse_response(buf, len, &id, &qu), 0);
    assert_int_equal(id, 0xbeef);
    assert_string_equal(qu.name, SVC);
    assert_int_equal(qu.qtype, ZK_DNS_A);
    assert_int_equal(qu.qclass, ZK_DNS_IN);
    buf[2] &= 0x7f;
    zk_dns_query back;
    assert_int_equal(zk_dns_parse_query(buf, len, &back), 0);
    assert_true(back.edns);
    assert_int_equal(back.edns_size, 1232);
}

static void test_response_matching(void **state)
{
    msgbuf m;
    uint16_t id;
    zk_dns_question qu;
    /* an upstream's answer, with its own case */
    header(&m, 0x1234, 0x8180, 1, 1, 0, 0);
    question(&m, "Example.ORG", ZK_DNS_AAAA);
    b16(&m, 0xc00c);
    b16(&m, ZK_DNS_AAAA);
    b16(&m, ZK_DNS_IN);
    b32(&m, 300);
    b16(&m, 16);
    bytes(&m, ip6, 16);
    assert_int_equal(zk_dns_parse_response(m.b, m.n, &id, &qu), 0);
    assert_int_equal(id, 0x1234);
    assert_string_equal(qu.name, "example.org");
    assert_int_equal(qu.qtype, ZK_DNS_AAAA);
    /* only the question is read */
    assert_int_equal(zk_dns_parse_response(m.b, ZK_DNS_HEADER + 17, &id, &qu), 0);
    /* a query is no response; nor are zero or two questions */
    m.b[2] &= 0x7f;
    assert_int_equal(zk_dns_parse_response(m.b, m.n, &id, &qu), -1);
    m.b[2] |= 0x80;
    m.b[5] = 0;
    assert_int_equal(zk_dns_parse_response(m.b, m.n, &id, &qu), -1);
    m.b[5] = 2;
    assert_int_equal(zk_dns_parse_response(m.b, m.n, &id, &qu), -1);
    m.b[5] = 1;
    /* a bad question */
    m.b[ZK_DNS_HEADER] = 0x47;
    assert_int_equal(zk_dns_parse_response(m.b, m.n, &id, &qu), -1);
}

static void test_writer_truncation(void **state)
{
    msgbuf m;
    query(&m, SVC, ZK_DNS_A, 0, 0, 0);
    zk_dns_query q;
    assert_int_equal(parse(&m, &q), 0);
    uint8_t buf[512];
    zk_dns_writer w;
    /* header 12, question 35, an A record 16 */
    size_t cap = 12 + 35 + 3 * 16 + 11 + 5;
    zk_dns_writer_init(&w, buf, cap, &q, ZK_DNS_NOERROR, false);
    for (int i = 0; i < 3; i++)
        assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, SVC, 1, ip4), 0);
    assert_int_equal(zk_dns_add_aaaa(&w, ZK_DNS_ANSWER, SVC, 1, ip6), -1);
    assert_true(w.truncated);
    /* an A would still fit, but the answer is cut: nothing more goes in */
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, SVC, 1, ip4), -1);
    assert_int_equal(zk_dns_add_soa(&w, ZK_DNS_AUTHORITY, "cluster.local", 5, "ns.cluster.local",
                                    "h.cluster.local", 1, 2, 3, 4, 5), -1);
    /* the additional section: what does not fit is skipped, the rest goes in */
    assert_int_equal(zk_dns_add_aaaa(&w, ZK_DNS_ADDITIONAL, SVC, 1, ip6), -1);
    assert_int_equal(zk_dns_add_opt(&w, 1232, 0), 0);
    assert_int_equal(zk_dns_add_opt(&w, 1232, 0), -1);
    assert_false(w.failed);
    size_t len = zk_dns_writer_finish(&w);
    assert_int_equal(len, cap - 5);
    assert_int_equal(buf[2] & 0x02, 0x02);   /* TC */
    assert_int_equal(buf[2] & 0x04, 0);      /* no AA */
    assert_memory_equal(buf + 4, "\x00\x01\x00\x03\x00\x00\x00\x01", 8);
    zk_dns_query back;
    buf[2] &= 0x7f;
    assert_int_equal(zk_dns_parse_query(buf, len, &back), 0);
    assert_true(back.edns);

    /* the additional section alone overflowing sets no TC */
    zk_dns_writer_init(&w, buf, 12 + 35 + 16 + 10, &q, ZK_DNS_NOERROR, true);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, SVC, 1, ip4), 0);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ADDITIONAL, SVC, 1, ip4), -1);
    assert_int_equal(zk_dns_add_opt(&w, 1232, 0), -1);
    assert_false(w.truncated);
    assert_int_equal(zk_dns_writer_finish(&w), 12 + 35 + 16);
    assert_int_equal(buf[2] & 0x02, 0);
    assert_memory_equal(buf + 4, "\x00\x01\x00\x01\x00\x00\x00\x00", 8);

    /* a question that does not fit: TC, no question */
    zk_dns_writer_init(&w, buf, 40, &q, ZK_DNS_NOERROR, false);
    assert_true(w.truncated);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, SVC, 1, ip4), -1);
    assert_int_equal(zk_dns_writer_finish(&w), 12);
    assert_memory_equal(buf + 4, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
    assert_int_equal(buf[2] & 0x02, 0x02);
    /* no room for a header: nothing */
    zk_dns_writer_init(&w, buf, 11, &q, ZK_DNS_NOERROR, false);
    assert_int_equal(zk_dns_add_opt(&w, 512, 0), -1);
    assert_int_equal(zk_dns_writer_finish(&w), 0);
}

static void test_writer_errors_and_codes(void **state)
{
    msgbuf m;
    zk_dns_query q;
    uint8_t buf[512];
    zk_dns_writer w;
    /* FORMERR without a question, and NOTIMP keeping the opcode */
    header(&m, 77, 0x0100, 2, 0, 0, 0);
    assert_int_equal(parse(&m, &q), ZK_DNS_FORMERR);
    zk_dns_writer_init(&w, buf, sizeof(buf), &q, ZK_DNS_FORMERR, false);
    assert_int_equal(zk_dns_writer_finish(&w), 12);
    assert_memory_equal(buf, "\x00\x4d\x81\x81\x00\x00\x00\x00\x00\x00\x00\x00", 12);
    header(&m, 78, 0x2800, 1, 0, 0, 0);   /* opcode 5, UPDATE */
    question(&m, "zone", ZK_DNS_SOA);
    assert_int_equal(parse(&m, &q), ZK_DNS_NOTIMP);
    zk_dns_writer_init(&w, buf, sizeof(buf), &q, ZK_DNS_NOTIMP, false);
    assert_int_equal(zk_dns_writer_finish(&w), 12);
    assert_memory_equal(buf, "\x00\x4e\xa8\x84", 4);

    /* the root's question is written; BADVERS is 16: 0 in the header, 1 in the OPT */
    query(&m, "", ZK_DNS_NS, 0, 0, 1);
    opt(&m, 1232, 1, 0);
    assert_int_equal(parse(&m, &q), 0);
    assert_int_equal(q.edns_version, 1);
    zk_dns_writer_init(&w, buf, sizeof(buf), &q, 16, false);
    assert_int_equal(zk_dns_add_opt(&w, 1232, 16), 0);
    size_t len = zk_dns_writer_finish(&w);
    assert_int_equal(len, 12 + 5 + 11);
    assert_int_equal(buf[3] & 0x0f, 0);
    assert_memory_equal(buf + 4, "\x00\x01\x00\x00\x00\x00\x00\x01", 8);
    assert_memory_equal(buf + 12, "\x00\x00\x02\x00\x01", 5);
    assert_memory_equal(buf + 17, "\x00\x00\x29\x04\xd0\x01\x00\x00\x00\x00\x00", 11);

    /* a query made by hand (a SERVFAIL for a forwarded one) has its question */
    zk_dns_query hand = {.id = 5, .rd = true, .q = {.name = "a.b", .qtype = ZK_DNS_A,
                                                     .qclass = ZK_DNS_IN}};
    zk_dns_writer_init(&w, buf, sizeof(buf), &hand, ZK_DNS_SERVFAIL, false);
    assert_int_equal(zk_dns_writer_finish(&w), 12 + 5 + 4);
    assert_memory_equal(buf, "\x00\x05\x81\x82\x00\x01\x00\x00\x00\x00\x00\x00\x01" "a\x01" "b\x00"
                        "\x00\x01\x00\x01", 21);

    /* a name that cannot be encoded: failed, not truncated */
    query(&m, SVC, ZK_DNS_A, 0, 0, 0);
    assert_int_equal(parse(&m, &q), 0);
    zk_dns_writer_init(&w, buf, sizeof(buf), &q, ZK_DNS_NOERROR, true);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, "bad..name", 1, ip4), -1);
    assert_true(w.failed);
    assert_false(w.truncated);
    assert_int_equal(w.len, 12 + 35);
    assert_int_equal(zk_dns_add_name(&w, ZK_DNS_ANSWER, ZK_DNS_CNAME, SVC, 1, "x\\999"), -1);
    assert_int_equal(w.len, 12 + 35);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, SVC, 1, ip4), 0);
    /* sections out of order */
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ADDITIONAL, "x", 1, ip4), 0);
    w.failed = false;
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, "y", 1, ip4), -1);
    assert_true(w.failed);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_AUTHORITY, "y", 1, ip4), -1);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ADDITIONAL, "y", 1, ip4), 0);
    zk_dns_writer_finish(&w);
    assert_memory_equal(buf + 4, "\x00\x01\x00\x01\x00\x00\x00\x02", 8);
}

/* Pointers have 14 bits: a name that starts below 0x4000 may be pointed
 * to, its labels past 0x4000 may not, and nothing past it is. */
static void test_writer_pointer_range(void **state)
{
    msgbuf m;
    query(&m, SVC, ZK_DNS_A, 0, 0, 0);
    zk_dns_query q;
    assert_int_equal(parse(&m, &q), 0);
    static uint8_t buf[ZK_DNS_MSG_MAX];
    zk_dns_writer w;
    zk_dns_writer_init(&w, buf, 100000, &q, ZK_DNS_NOERROR, true);
    assert_int_equal(w.cap, ZK_DNS_MSG_MAX);
    int n = 0;
    while (0x4000 - w.len > 64) {
        assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, SVC, 1, ip4), 0);
        n++;
    }
    char a[64], b[64], straddle[200], other[200];
    memset(a, 'a', 63);
    a[63] = '\0';
    memset(b, 'b', 63);
    b[63] = '\0';
    snprintf(straddle, sizeof(straddle), "%s.%s.zone", a, b);
    snprintf(other, sizeof(other), "other.%s.zone", b);
    size_t at = w.len;
    assert_true(at < 0x4000 && at + 64 >= 0x4000);
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, straddle, 1, ip4), 0);
    assert_int_equal(w.len - at, 64 + 64 + 6 + 14);
    at = w.len;
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, other, 1, ip4), 0);
    assert_int_equal(w.len - at, 6 + 64 + 6 + 14);   /* all of it */
    at = w.len;
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, other, 1, ip4), 0);
    assert_int_equal(w.len - at, 6 + 64 + 6 + 14);   /* still: it lies past 0x4000 */
    at = w.len;
    assert_int_equal(zk_dns_add_a(&w, ZK_DNS_ANSWER, straddle, 1, ip4), 0);
    assert_int_equal(w.len - at, 2 + 14);
    n += 4;
    size_t len = zk_dns_writer_finish(&w);

    /* every name reads back, every pointer below 0x4000 */
    reader r = {buf, len, ZK_DNS_HEADER, 0};
    char name[300];
    size_t wire;
    rname(&r, name, &wire);
    r.off += 4;
    for (int i = 0; i < n; i++) {
        rrec x;
        rrr(&r, &x);
        assert_string_equal(x.name, i < n - 4 ? SVC : (i == n - 4 || i == n - 1) ? straddle : other);
        r.off += x.rdlen;
    }
    assert_int_equal(r.off, len);
    buf[2] &= 0x7f;
    zk_dns_query back;
    assert_int_equal(zk_dns_parse_query(buf, len, &back), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dig_query),
        cmocka_unit_test(test_every_truncation_fails),
        cmocka_unit_test(test_case_and_escapes),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_edns_and_other_records),
        cmocka_unit_test(test_pointers),
        cmocka_unit_test(test_name_lengths),
        cmocka_unit_test(test_name_encode),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_response_matching),
        cmocka_unit_test(test_writer_truncation),
        cmocka_unit_test(test_writer_errors_and_codes),
        cmocka_unit_test(test_writer_pointer_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
