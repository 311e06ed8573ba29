/* Fuzz the DNS message reader and writer as the cluster DNS uses them: a
 * query is read, and when it gets an answer, one with several records is
 * written into a buffer whose size comes from the input; the answer must
 * fit, carry the counts the writer kept, end where its last record ends,
 * read back as a well-formed message and give back the question's name.
 * A slice of the input is also encoded as a text name, and what encodes
 * must read back to the same text; the answer has records named by it.
 *
 * Input: a byte for the buffer size (times 4), a byte for where the text
 * slice starts, then the query. */
#include <stdlib.h>
#include <string.h>

#include "proxy/dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Past the name at off, without following pointers; 0 when it runs off. */
static size_t skip_name(const uint8_t *m, size_t len, size_t off)
{
    while (off < len) {
        uint8_t b = m[off];
        if (b >= 0xc0)
            return off + 2 <= len ? off + 2 : 0;
        if (b == 0)
            return off + 1;
        off += 1u + b;
    }
    return 0;
}

/* Where the counted records of the written answer end. */
static size_t records_end(const uint8_t *m, size_t len)
{
    size_t off = ZK_DNS_HEADER;
    if (get16(m + 4)) {
        off = skip_name(m, len, off);
        if (!off || len - off < 4)
            abort();
        off += 4;
    }
    unsigned n = (unsigned)get16(m + 6) + get16(m + 8) + get16(m + 10);
    for (unsigned i = 0; i < n; i++) {
        off = skip_name(m, len, off);
        if (!off || len - off < 10 || len - off - 10 < get16(m + off + 8))
            abort();
        off += 10u + get16(m + off + 8);
    }
    return off;
}

/* A text name from our reader: lower case, digits, '-', '_', dots, escapes. */
static void check_text(const char *t)
{
    size_t n = strnlen(t, ZK_DNS_NAME_TEXT_MAX);
    if (n >= ZK_DNS_NAME_TEXT_MAX)
        abort();
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '\\'))
            abort();
    }
}

static void fuzz_encode(const char *text)
{
    uint8_t wire[ZK_DNS_NAME_WIRE_MAX];
    int len = zk_dns_name_encode(text, wire);
    if (len < 0)
        return;
    if (len < 1 || len > ZK_DNS_NAME_WIRE_MAX || wire[len - 1] != 0)
        abort();
    for (int i = 0; i < len - 1; i += 1 + wire[i])
        if (!wire[i] || wire[i] > 63 || i + 1 + wire[i] >= len)
            abort();
    /* as the question of a response: read back, and encoded again, the
     * same bytes but lower case */
    uint8_t msg[ZK_DNS_HEADER + ZK_DNS_NAME_WIRE_MAX + 4] = {0, 1, 0x80, 0, 0, 1};
    memcpy(msg + ZK_DNS_HEADER, wire, (size_t)len);
    uint16_t id;
    zk_dns_question qu;
    if (zk_dns_parse_response(msg, ZK_DNS_HEADER + (size_t)len + 4, &id, &qu) != 0 || id != 1)
        abort();
    check_text(qu.name);
    uint8_t again[ZK_DNS_NAME_WIRE_MAX];
    if (zk_dns_name_encode(qu.name, again) != len)
        abort();
    for (int i = 0; i < len; i++) {
        uint8_t c = wire[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c - 'A' + 'a');
        if (again[i] != c)
            abort();
    }
}

static const uint8_t ip4[4] = {10, 0, 0, 1}, ip6[16] = {0xfd, [15] = 1};

/* A record to write: its section, type, owner and the names in its data
 * (CNAME and PTR: n1; SRV: n1, the target; SOA: n1 and n2). */
typedef struct want {
    zk_dns_section s;
    uint16_t type;
    const char *owner, *n1, *n2;
} want;

static bool encodes(const char *t)
{
    uint8_t wire[ZK_DNS_NAME_WIRE_MAX];
    return !t || zk_dns_name_encode(t, wire) >= 0;
}

static int add(zk_dns_writer *w, const want *x)
{
    switch (x->type) {
    case ZK_DNS_A:
        return zk_dns_add_a(w, x->s, x->owner, 30, ip4);
    case ZK_DNS_AAAA:
        return zk_dns_add_aaaa(w, x->s, x->owner, 30, ip6);
    case ZK_DNS_SRV:
        return zk_dns_add_srv(w, x->s, x->owner, 5, 1, 2, 53, x->n1);
    case ZK_DNS_SOA:
        return zk_dns_add_soa(w, x->s, x->owner, 5, x->n1, x->n2, 1, 2, 3, 4, 5);
    default:
        return zk_dns_add_name(w, x->s, x->type, x->owner, 5, x->n1);
    }
}

/* The name at off uncompressed in out; *ptr set when a pointer was taken. */
static size_t expand(const uint8_t *m, size_t len, size_t off, uint8_t *out, bool *ptr)
{
    size_t o = 0;
    *ptr = false;
    for (int jumps = 0;;) {
        if (off >= len)
            abort();
        uint8_t b = m[off];
        if (b >= 0xc0) {
            if (off + 1 >= len || ++jumps > ZK_DNS_PTR_MAX)
                abort();
            size_t to = (size_t)(b & 0x3f) << 8 | m[off + 1];
            if (to >= off)
                abort();
            off = to;
            *ptr = true;
            continue;
        }
        if (b > 63 || o + 1u + b > ZK_DNS_NAME_WIRE_MAX || len - off < 1u + b)
            abort();
        memcpy(out + o, m + off, 1u + b);
        o += 1u + b;
        off += 1u + b;
        if (!b)
            return o;
    }
}

/* The name at off in m is text. */
static void same_name(const uint8_t *m, size_t len, size_t off, const char *text, bool may_point)
{
    uint8_t got[ZK_DNS_NAME_WIRE_MAX], want_wire[ZK_DNS_NAME_WIRE_MAX];
    bool ptr;
    size_t n = expand(m, len, off, got, &ptr);
    /* names may point into the question, which keeps the client's case;
     * length bytes (at most 63) are never letters */
    for (size_t i = 0; i < n; i++)
        if (got[i] >= 'A' && got[i] <= 'Z')
            got[i] = (uint8_t)(got[i] - 'A' + 'a');
    int wn = zk_dns_name_encode(text, want_wire);
    for (int i = 0; i < wn; i++)
        if (want_wire[i] >= 'A' && want_wire[i] <= 'Z')
            want_wire[i] = (uint8_t)(want_wire[i] - 'A' + 'a');
    if (wn < 0 || n != (size_t)wn || memcmp(got, want_wire, n) != 0 || (ptr && !may_point))
        abort();
}

static void answer(const zk_dns_query *q, int rc, size_t cap, const char *text)
{
    static uint8_t buf[ZK_DNS_MSG_MAX];
    char alias[ZK_DNS_NAME_TEXT_MAX + 16];
    const char *name = q->has_question ? q->q.name : "";
    size_t nl = strlen(name);
    memcpy(alias, "alias.", 6);
    memcpy(alias + 6, name, nl + 1);
    /* too long when the name is long, and the text may be no name: then
     * the writer fails, and nothing else happens */
    const want all[] = {
        {ZK_DNS_ANSWER, ZK_DNS_A, name, NULL, NULL},
        {ZK_DNS_ANSWER, ZK_DNS_AAAA, name, NULL, NULL},
        {ZK_DNS_ANSWER, ZK_DNS_CNAME, alias, name, NULL},
        {ZK_DNS_ANSWER, ZK_DNS_PTR, text, name, NULL},
        {ZK_DNS_ANSWER, ZK_DNS_SRV, name, "web-0.web.default.svc", NULL},
        {ZK_DNS_ANSWER, ZK_DNS_CNAME, "web.default.svc", text, NULL},
        {ZK_DNS_AUTHORITY, ZK_DNS_SOA, name, "ns.dns", "hostmaster.default.svc"},
        {ZK_DNS_ADDITIONAL, ZK_DNS_AAAA, text, NULL, NULL},
        {ZK_DNS_ADDITIONAL, ZK_DNS_A, "web-0.web.default.svc", NULL, NULL},
    };
    const want *done[sizeof(all) / sizeof(all[0])];
    size_t ndone = 0;

    zk_dns_writer w;
    zk_dns_writer_init(&w, buf, cap, q, rc, true);
    unsigned counts[3] = {0};
    for (size_t i = 0; rc == 0 && i < sizeof(all) / sizeof(all[0]); i++) {
        const want *x = &all[i];
        size_t before = w.len;
        if (add(&w, x) == 0) {
            counts[x->s]++;
            done[ndone++] = x;
            continue;
        }
        /* left out: nothing of it stays, and the writer says why */
        if (w.len != before)
            abort();
        bool cut = x->s != ZK_DNS_ADDITIONAL && w.truncated;
        if (encodes(x->owner) && encodes(x->n1) && encodes(x->n2)) {
            if (x->s != ZK_DNS_ADDITIONAL && !w.truncated)
                abort();
        } else if (!w.failed && !cut) {
            abort();
        }
    }
    bool opt = false;
    if (q->edns) {
        opt = zk_dns_add_opt(&w, ZK_DNS_UDP_CAP, q->edns_version ? 16 : 0) == 0;
        counts[2] += opt;
    }
    size_t len = zk_dns_writer_finish(&w);

    if (cap > ZK_DNS_MSG_MAX)
        cap = ZK_DNS_MSG_MAX;
    if (len > cap || len != w.len)
        abort();
    if (cap < ZK_DNS_HEADER) {
        if (len != 0 || counts[0] + counts[1] + counts[2])
            abort();
        return;
    }
    if (len < ZK_DNS_HEADER)
        abort();
    for (int i = 0; i < 3; i++)
        if (w.counts[i] != counts[i] || get16(buf + 6 + 2 * i) != counts[i])
            abort();
    if (get16(buf) != q->id || !(buf[2] & 0x80) || ((buf[2] >> 3) & 0xf) != q->opcode ||
        !!(buf[2] & 0x02) != w.truncated || (buf[3] & 0xf) != (rc & 0xf))
        abort();
    if (records_end(buf, len) != len)
        abort();

    /* the question is there when it fits */
    uint8_t wire[ZK_DNS_NAME_WIRE_MAX];
    int qlen = q->has_question ? zk_dns_name_encode(q->q.name, wire) : -1;
    bool fits = qlen > 0 && cap >= ZK_DNS_HEADER + (size_t)qlen + 4;
    unsigned qd = get16(buf + 4);
    if (qd != fits || (q->has_question && !fits && !w.truncated))
        abort();
    if (qd) {
        uint16_t id;
        zk_dns_question qu;
        if (zk_dns_parse_response(buf, len, &id, &qu) != 0 || id != q->id ||
            strcmp(qu.name, q->q.name) != 0 || qu.qtype != q->q.qtype ||
            qu.qclass != q->q.qclass)
            abort();
    }
    /* every record well-formed, compression pointers included: the answer
     * read as a query */
    buf[2] &= 0x07;
    zk_dns_query back;
    int brc = zk_dns_parse_query(buf, len, &back);
    if (qd ? brc != 0 : brc != ZK_DNS_FORMERR)
        abort();
    if (qd && (back.edns != opt || strcmp(back.q.name, q->q.name) != 0))
        abort();

    /* and each record is the one written, its names whole */
    size_t off = ZK_DNS_HEADER;
    if (qd)
        off = skip_name(buf, len, off) + 4;
    for (size_t i = 0; i < ndone; i++) {
        const want *x = done[i];
        same_name(buf, len, off, x->owner, true);
        off = skip_name(buf, len, off);
        if (get16(buf + off) != x->type || get16(buf + off + 2) != ZK_DNS_IN)
            abort();
        size_t rdata = off + 10, rdlen = get16(buf + off + 8);
        if (x->type == ZK_DNS_SRV) {
            same_name(buf, len, rdata + 6, x->n1, false);   /* RFC 2782 */
        } else if (x->type == ZK_DNS_SOA) {
            same_name(buf, len, rdata, x->n1, true);
            same_name(buf, len, skip_name(buf, len, rdata), x->n2, true);
        } else if (x->n1) {
            same_name(buf, len, rdata, x->n1, true);
        } else if (rdlen != (x->type == ZK_DNS_A ? 4u : 16u)) {
            abort();
        }
        off = rdata + rdlen;
    }
    if (opt && (len - off != 11 || memcmp(buf + off, "\0\0\x29\x10\0", 5) != 0))
        abort();
}

static void on_record(void *arg, const zk_dns_record *r)
{
    (void)arg;
    if (r->type != ZK_DNS_A && r->type != ZK_DNS_AAAA && r->type != ZK_DNS_CNAME)
        abort();
    if (strlen(r->name) >= ZK_DNS_NAME_TEXT_MAX || strlen(r->target) >= ZK_DNS_NAME_TEXT_MAX)
        abort();
    if (r->type == ZK_DNS_CNAME && zk_dns_name_encode(r->target, (uint8_t[ZK_DNS_NAME_WIRE_MAX]){0}) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t cap = (size_t)data[0] * 4;
    size_t from = data[1];
    data += 2;
    size -= 2;
    if (from > size)
        from = size;
    char text[1100];
    size_t tn = size - from < sizeof(text) - 1 ? size - from : sizeof(text) - 1;
    memcpy(text, data + from, tn);
    text[tn] = '\0';
    fuzz_encode(text);

    /* the input as an upstream's response: every record given is whole
     * text, of a type asked for */
    int arc = zk_dns_read_answers(data, size, on_record, NULL);
    if (arc < -1 || arc > 15)
        abort();

    zk_dns_query q;
    int rc = zk_dns_parse_query(data, size, &q);
    if (rc == -1) {
        if (size >= ZK_DNS_HEADER && !(data[2] & 0x80))
            abort();
        return 0;
    }
    if (size < ZK_DNS_HEADER || q.id != get16(data))
        abort();
    if (rc == 0) {
        if (!q.has_question || q.opcode != 0 || get16(data + 4) != 1)
            abort();
        if (q.edns && (q.edns_size < ZK_DNS_UDP_MIN || q.edns_size > ZK_DNS_UDP_CAP))
            abort();
    } else if (rc == ZK_DNS_NOTIMP) {
        if (q.opcode == 0 || q.has_question || q.edns)
            abort();
    } else if (rc == ZK_DNS_FORMERR) {
        if (q.opcode != 0 || q.edns || (!q.has_question && q.q.name[0]))
            abort();
    } else {
        abort();
    }
    if (q.has_question) {
        check_text(q.q.name);
        uint8_t wire[ZK_DNS_NAME_WIRE_MAX];
        if (zk_dns_name_encode(q.q.name, wire) < 0)
            abort();
    }
    answer(&q, rc, cap, text);
    return 0;
}
