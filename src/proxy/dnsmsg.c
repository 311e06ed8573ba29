/* zke proxy: DNS messages; see dnsmsg.h. */
#include "proxy/dnsmsg.h"

#include <string.h>

/* Labels of a name other than the root's: each takes 2 bytes at least, and
 * the root's 1, of 255. */
#define LABELS_MAX 127
/* The longest text: 250 bytes in 4 labels (63, 63, 63, 61), all \DDD. */
#define TEXT_WORST (250 * 4 + 3)
_Static_assert(ZK_DNS_NAME_TEXT_MAX > TEXT_WORST, "ZK_DNS_NAME_TEXT_MAX too small");

#define PTR_LIMIT 0x4000          /* a pointer has 14 bits */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void set16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ---- reading ---- */

/* Walk the name at off in msg[0..len): the offsets of its labels (their
 * length bytes) in pos, their number in *npos, and in *next where what
 * follows the name begins. A pointer must point into the message after the
 * header and before the run of labels it ends, so each jump goes further
 * back and no name loops. -1 when malformed. */
static int walk_name(const uint8_t *msg, size_t len, size_t off, size_t *next,
                     uint16_t pos[LABELS_MAX], size_t *npos)
{
    size_t p = off, run = off, wire = 1, n = 0, ptrs = 0;
    bool jumped = false;
    for (;;) {
        if (p >= len)
            return -1;
        uint8_t b = msg[p];
        if ((b & 0xc0) == 0xc0) {
            if (p + 1 >= len || ++ptrs > ZK_DNS_PTR_MAX)
                return -1;
            size_t to = (size_t)(b & 0x3f) << 8 | msg[p + 1];
            if (to >= run || to < ZK_DNS_HEADER)
                return -1;
            if (!jumped)
                *next = p + 2;
            jumped = true;
            p = run = to;
            continue;
        }
        if (b & 0xc0)
            return -1;   /* 0x40, 0x80: extended and reserved label types */
        if (b == 0)
            break;
        wire += 1u + b;
        if (wire > ZK_DNS_NAME_WIRE_MAX || len - p - 1 < b)
            return -1;
        pos[n++] = (uint16_t)p;
        p += 1u + b;
    }
    if (!jumped)
        *next = p + 1;
    *npos = n;
    return 0;
}

static bool plain(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The text form of the labels at pos, in out (ZK_DNS_NAME_TEXT_MAX bytes). */
static void name_text(const uint8_t *msg, const uint16_t *pos, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *l = msg + pos[i];
        if (i)
            out[o++] = '.';
        for (size_t j = 1; j <= l[0]; j++) {
            uint8_t c = l[j];
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c - 'A' + 'a');
            if (plain(c)) {
                out[o++] = (char)c;
            } else {
                out[o++] = '\\';
                out[o++] = (char)('0' + c / 100);
                out[o++] = (char)('0' + c / 10 % 10);
                out[o++] = (char)('0' + c % 10);
            }
        }
    }
    out[o] = '\0';
}

/* The question at *off: name, type and class; *off moves past it. */
static int read_question(const uint8_t *msg, size_t len, size_t *off, zk_dns_question *qu)
{
    uint16_t pos[LABELS_MAX];
    size_t n, next;
    if (walk_name(msg, len, *off, &next, pos, &n) < 0 || len - next < 4)
        return -1;
    name_text(msg, pos, n, qu->name);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(qu->wire + o, msg + pos[i], 1u + msg[pos[i]]);
        o += 1u + msg[pos[i]];
    }
    qu->wire[o++] = 0;   /* walk_name kept the total within ZK_DNS_NAME_WIRE_MAX */
    qu->wire_len = (uint16_t)o;
    qu->qtype = get16(msg + next);
    qu->qclass = get16(msg + next + 2);
    *off = next + 4;
    return 0;
}

typedef struct rr {
    bool root;                 /* the owner is the root */
    uint16_t type, class;
    uint32_t ttl;
    size_t rdata, rdlen;       /* where the data is in the message, and its length */
} rr;

/* The record at *off, checked to lie inside the message; *off moves past it. */
static int read_rr(const uint8_t *msg, size_t len, size_t *off, rr *r)
{
    uint16_t pos[LABELS_MAX];
    size_t n, next;
    if (walk_name(msg, len, *off, &next, pos, &n) < 0 || len - next < 10)
        return -1;
    const uint8_t *p = msg + next;
    r->root = n == 0;
    r->type = get16(p);
    r->class = get16(p + 2);
    r->ttl = (uint32_t)get16(p + 4) << 16 | get16(p + 6);
    r->rdlen = get16(p + 8);
    r->rdata = next + 10;
    if (len - r->rdata < r->rdlen)
        return -1;
    *off = r->rdata + r->rdlen;
    return 0;
}

/* An OPT's options (code, length, data) fill its data exactly. */
static bool opt_options_ok(const uint8_t *d, size_t n)
{
    while (n) {
        if (n < 4 || n - 4 < get16(d + 2))
            return false;
        size_t one = 4u + get16(d + 2);
        d += one;
        n -= one;
    }
    return true;
}

int zk_dns_parse_query(const uint8_t *msg, size_t len, zk_dns_query *q)
{
    memset(q, 0, sizeof(*q));
    if (len < ZK_DNS_HEADER)
        return -1;
    if (len > ZK_DNS_MSG_MAX)
        len = ZK_DNS_MSG_MAX;
    if (msg[2] & 0x80)
        return -1;
    q->id = get16(msg);
    q->opcode = (msg[2] >> 3) & 0xf;
    q->rd = msg[2] & 0x01;
    q->cd = msg[3] & 0x10;
    if (q->opcode != 0)
        return ZK_DNS_NOTIMP;
    if (get16(msg + 4) != 1)
        return ZK_DNS_FORMERR;
    size_t off = ZK_DNS_HEADER;
    if (read_question(msg, len, &off, &q->q) < 0) {
        memset(&q->q, 0, sizeof(q->q));
        return ZK_DNS_FORMERR;
    }
    q->has_question = true;

    size_t before_ar = (size_t)get16(msg + 6) + get16(msg + 8);
    size_t records = before_ar + get16(msg + 10);
    bool edns = false, dnssec_ok = false;
    uint16_t size = 0;
    uint8_t version = 0;
    for (size_t i = 0; i < records; i++) {
        rr r;
        if (read_rr(msg, len, &off, &r) < 0)
            return ZK_DNS_FORMERR;
        if (r.type != ZK_DNS_OPT)
            continue;
        /* one OPT, owned by the root, in the additional section (RFC 6891 6.1.1) */
        if (i < before_ar || edns || !r.root || !opt_options_ok(msg + r.rdata, r.rdlen))
            return ZK_DNS_FORMERR;
        edns = true;
        size = r.class < ZK_DNS_UDP_MIN ? ZK_DNS_UDP_MIN
             : r.class > ZK_DNS_UDP_CAP ? ZK_DNS_UDP_CAP : r.class;
        version = (uint8_t)(r.ttl >> 16);
        dnssec_ok = r.ttl & 0x8000;
    }
    q->edns = edns;
    q->edns_size = size;
    q->edns_version = version;
    q->dnssec_ok = dnssec_ok;
    return 0;
}

int zk_dns_parse_response(const uint8_t *msg, size_t len, uint16_t *id, zk_dns_question *qu)
{
    if (len < ZK_DNS_HEADER)
        return -1;
    if (len > ZK_DNS_MSG_MAX)
        len = ZK_DNS_MSG_MAX;
    if (!(msg[2] & 0x80) || get16(msg + 4) != 1)
        return -1;
    size_t off = ZK_DNS_HEADER;
    if (read_question(msg, len, &off, qu) < 0)
        return -1;
    *id = get16(msg);
    return 0;
}

int zk_dns_read_answers(const uint8_t *msg, size_t len,
                        void (*fn)(void *ctx, const zk_dns_record *r), void *ctx)
{
    uint16_t id;
    zk_dns_question qu;
    if (zk_dns_parse_response(msg, len, &id, &qu) < 0)
        return -1;
    if (len > ZK_DNS_MSG_MAX)
        len = ZK_DNS_MSG_MAX;
    size_t off = ZK_DNS_HEADER;
    if (read_question(msg, len, &off, &qu) < 0)
        return -1;
    unsigned an = get16(msg + 6);
    zk_dns_record out;
    for (unsigned i = 0; i < an; i++) {
        uint16_t pos[LABELS_MAX];
        size_t n, next, start = off;
        rr r;
        if (read_rr(msg, len, &off, &r) < 0 || walk_name(msg, len, start, &next, pos, &n) < 0)
            return -1;
        memset(&out, 0, sizeof(out));
        name_text(msg, pos, n, out.name);
        out.type = r.type;
        out.rclass = r.class;
        out.ttl = r.ttl;
        if (r.type == ZK_DNS_A && r.rdlen == 4) {
            memcpy(out.addr, msg + r.rdata, 4);
        } else if (r.type == ZK_DNS_AAAA && r.rdlen == 16) {
            memcpy(out.addr, msg + r.rdata, 16);
        } else if (r.type == ZK_DNS_CNAME) {
            size_t tn, tnext;
            /* the target must lie inside the record's data */
            if (walk_name(msg, r.rdata + r.rdlen, r.rdata, &tnext, pos, &tn) < 0 ||
                tnext != r.rdata + r.rdlen)
                return -1;
            name_text(msg, pos, tn, out.target);
        } else {
            continue;
        }
        fn(ctx, &out);
    }
    return msg[3] & 0x0f;
}

int zk_dns_name_encode(const char *text, uint8_t *out)
{
    size_t o = 0;
    const char *p = text;
    while (*p) {
        size_t at = o++, n = 0;
        while (*p && *p != '.') {
            unsigned c = (uint8_t)*p++;
            if (c == '\\') {
                if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
                    p[2] > '9')
                    return -1;
                c = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
                    (unsigned)(p[2] - '0');
                if (c > 255)
                    return -1;
                p += 3;
            }
            /* room for the root label after this byte */
            if (n == 63 || o + 1 >= ZK_DNS_NAME_WIRE_MAX)
                return -1;
            out[o++] = (uint8_t)c;
            n++;
        }
        if (n == 0)
            return -1;
        out[at] = (uint8_t)n;
        if (*p == '.' && !*++p)
            return -1;   /* a final dot: an empty label */
    }
    out[o++] = 0;
    return (int)o;
}

/* ---- writing ---- */

static bool room(const zk_dns_writer *w, size_t n)
{
    return w->cap - w->len >= n;
}

static bool put(zk_dns_writer *w, const void *p, size_t n)
{
    if (!room(w, n))
        return false;
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    return true;
}

static bool put16(zk_dns_writer *w, uint16_t v)
{
    uint8_t b[2];
    set16(b, v);
    return put(w, b, 2);
}

static bool put32(zk_dns_writer *w, uint32_t v)
{
    return put16(w, (uint16_t)(v >> 16)) && put16(w, (uint16_t)v);
}

/* A record being written: where it began, to take it back. */
typedef struct rec {
    size_t len, nnames;
    size_t rdlen_at;
    bool bad;                  /* a name in it could not be encoded */
} rec;

/* Labels equal but for the case of ASCII letters (names are). */
static bool same_label(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (uint8_t)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (uint8_t)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

/* Of the names written so far, the one sharing the most final labels with
 * the name in wire (labels at lab[0..nl)): how many it shares, with *target
 * where that suffix is in the message. */
static size_t best_suffix(const zk_dns_writer *w, const uint8_t *wire, const uint8_t *lab,
                          size_t nl, uint16_t *target)
{
    size_t best = 0;
    for (size_t i = 0; i < w->nnames && best < nl; i++) {
        uint16_t pos[LABELS_MAX];
        size_t np, next;
        if (walk_name(w->buf, w->len, w->names[i], &next, pos, &np) < 0)
            continue;
        size_t k = 0;
        while (k < nl && k < np) {
            const uint8_t *a = wire + lab[nl - 1 - k], *b = w->buf + pos[np - 1 - k];
            if (a[0] != b[0] || !same_label(a + 1, b + 1, a[0]))
                break;
            k++;
        }
        while (k > 0 && pos[np - k] >= PTR_LIMIT)
            k--;
        if (k > best) {
            best = k;
            *target = pos[np - k];
        }
    }
    return best;
}

/* Write a name, its end as a pointer to an earlier name if compress, and
 * remember where it is for later names. */
static bool put_name(zk_dns_writer *w, rec *r, const char *text, bool compress)
{
    uint8_t wire[ZK_DNS_NAME_WIRE_MAX], lab[LABELS_MAX];
    int n = zk_dns_name_encode(text, wire);
    if (n < 0) {
        r->bad = true;
        return false;
    }
    size_t nl = 0;
    for (size_t p = 0; wire[p]; p += 1u + wire[p])
        lab[nl++] = (uint8_t)p;
    uint16_t target = 0;
    size_t shared = compress ? best_suffix(w, wire, lab, nl, &target) : 0;
    size_t at = w->len;
    if (shared) {
        size_t plain_len = nl - shared ? lab[nl - shared] : 0;
        if (!room(w, plain_len + 2))
            return false;
        put(w, wire, plain_len);
        put16(w, (uint16_t)(0xc000 | target));
    } else if (!put(w, wire, (size_t)n)) {
        return false;
    }
    if (shared < nl && at < PTR_LIMIT && w->nnames < sizeof(w->names) / sizeof(w->names[0]))
        w->names[w->nnames++] = (uint16_t)at;
    return true;
}

void zk_dns_writer_init(zk_dns_writer *w, uint8_t *buf, size_t cap, const zk_dns_query *q,
                        int rcode, bool aa)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap > ZK_DNS_MSG_MAX ? ZK_DNS_MSG_MAX : cap;
    if (w->cap < ZK_DNS_HEADER) {
        w->cap = 0;
        w->truncated = true;
        return;
    }
    uint8_t h[ZK_DNS_HEADER] = {0};
    set16(h, q->id);
    h[2] = (uint8_t)(0x80 | (q->opcode & 0xf) << 3 | (aa ? 0x04 : 0) | (q->rd ? 0x01 : 0));
    h[3] = (uint8_t)(0x80 | (q->cd ? 0x10 : 0) | (rcode & 0xf));
    put(w, h, sizeof(h));
    if (!q->has_question && !q->q.name[0])
        return;
    rec r = {0};
    size_t at = w->len;
    bool named;
    if (q->q.wire_len > 0 && q->q.wire_len <= ZK_DNS_NAME_WIRE_MAX) {
        /* the client's own bytes, its case kept; later names may point here */
        named = put(w, q->q.wire, q->q.wire_len);
        if (named && q->q.wire_len > 1)
            w->names[w->nnames++] = (uint16_t)at;
    } else {
        named = put_name(w, &r, q->q.name, false);
    }
    if (named && put16(w, q->q.qtype) && put16(w, q->q.qclass)) {
        set16(w->buf + 4, 1);
        return;
    }
    w->len = at;
    w->nnames = 0;
    if (r.bad)
        w->failed = true;
    else
        w->truncated = true;
}

/* May a record go to s now? Sections come in order, and after TC nothing
 * more goes to the answer or authority section. */
static bool rec_begin(zk_dns_writer *w, zk_dns_section s, rec *r)
{
    if ((unsigned)s > ZK_DNS_ADDITIONAL) {
        w->failed = true;
        return false;
    }
    for (unsigned t = (unsigned)s + 1; t <= ZK_DNS_ADDITIONAL; t++) {
        if (w->counts[t]) {
            w->failed = true;
            return false;
        }
    }
    if (s != ZK_DNS_ADDITIONAL && w->truncated)
        return false;
    r->len = w->len;
    r->nnames = w->nnames;
    r->bad = false;
    return true;
}

/* Owner, type, class, TTL and a place for the data's length. */
static bool rec_head(zk_dns_writer *w, rec *r, const char *name, uint16_t type, uint16_t class,
                     uint32_t ttl)
{
    if (!put_name(w, r, name, true) || !put16(w, type) || !put16(w, class) || !put32(w, ttl))
        return false;
    r->rdlen_at = w->len;
    return put16(w, 0);
}

static int rec_end(zk_dns_writer *w, zk_dns_section s, rec *r, bool ok)
{
    if (ok) {
        set16(w->buf + r->rdlen_at, (uint16_t)(w->len - r->rdlen_at - 2));
        w->counts[s]++;
        return 0;
    }
    w->len = r->len;
    w->nnames = r->nnames;
    if (r->bad)
        w->failed = true;
    else if (s != ZK_DNS_ADDITIONAL)
        w->truncated = true;
    return -1;
}

int zk_dns_add_a(zk_dns_writer *w, zk_dns_section s, const char *name, uint32_t ttl,
                 const uint8_t addr[4])
{
    rec r;
    if (!rec_begin(w, s, &r))
        return -1;
    bool ok = rec_head(w, &r, name, ZK_DNS_A, ZK_DNS_IN, ttl) && put(w, addr, 4);
    return rec_end(w, s, &r, ok);
}

int zk_dns_add_aaaa(zk_dns_writer *w, zk_dns_section s, const char *name, uint32_t ttl,
                    const uint8_t addr[16])
{
    rec r;
    if (!rec_begin(w, s, &r))
        return -1;
    bool ok = rec_head(w, &r, name, ZK_DNS_AAAA, ZK_DNS_IN, ttl) && put(w, addr, 16);
    return rec_end(w, s, &r, ok);
}

int zk_dns_add_name(zk_dns_writer *w, zk_dns_section s, uint16_t type, const char *name,
                    uint32_t ttl, const char *target)
{
    rec r;
    if (!rec_begin(w, s, &r))
        return -1;
    /* RFC 3597: only RFC 1035's types may have their data compressed */
    bool compress = type == ZK_DNS_CNAME || type == ZK_DNS_PTR || type == ZK_DNS_NS;
    bool ok = rec_head(w, &r, name, type, ZK_DNS_IN, ttl) && put_name(w, &r, target, compress);
    return rec_end(w, s, &r, ok);
}

int zk_dns_add_srv(zk_dns_writer *w, zk_dns_section s, const char *name, uint32_t ttl,
                   uint16_t priority, uint16_t weight, uint16_t port, const char *target)
{
    rec r;
    if (!rec_begin(w, s, &r))
        return -1;
    /* RFC 2782: the target is not compressed */
    bool ok = rec_head(w, &r, name, ZK_DNS_SRV, ZK_DNS_IN, ttl) && put16(w, priority) &&
              put16(w, weight) && put16(w, port) && put_name(w, &r, target, false);
    return rec_end(w, s, &r, ok);
}

int zk_dns_add_soa(zk_dns_writer *w, zk_dns_section s, const char *zone, uint32_t ttl,
                   const char *mname, const char *rname, uint32_t serial, uint32_t refresh,
                   uint32_t retry, uint32_t expire, uint32_t minimum)
{
    rec r;
    if (!rec_begin(w, s, &r))
        return -1;
    bool ok = rec_head(w, &r, zone, ZK_DNS_SOA, ZK_DNS_IN, ttl) &&
              put_name(w, &r, mname, true) && put_name(w, &r, rname, true) &&
              put32(w, serial) && put32(w, refresh) && put32(w, retry) && put32(w, expire) &&
              put32(w, minimum);
    return rec_end(w, s, &r, ok);
}

int zk_dns_add_opt(zk_dns_writer *w, uint16_t udp_size, int ext_rcode)
{
    rec r;
    if (!rec_begin(w, ZK_DNS_ADDITIONAL, &r))
        return -1;
    /* the TTL: extended rcode, version 0, no flags */
    uint32_t ttl = (uint32_t)((ext_rcode >> 4) & 0xff) << 24;
    bool ok = rec_head(w, &r, "", ZK_DNS_OPT, udp_size, ttl);
    return rec_end(w, ZK_DNS_ADDITIONAL, &r, ok);
}

size_t zk_dns_writer_finish(zk_dns_writer *w)
{
    if (w->len < ZK_DNS_HEADER)
        return 0;
    for (int i = 0; i < 3; i++)
        set16(w->buf + 6 + 2 * i, w->counts[i]);
    if (w->truncated)
        w->buf[2] |= 0x02;
    return w->len;
}
