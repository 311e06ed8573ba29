/* zke proxy: DNS messages (RFC 1035, EDNS0 of RFC 6891), without I/O.
 *
 * The cluster DNS (proxy/dns.c) reads queries with zk_dns_parse_query and
 * writes its answers with a zk_dns_writer. Both are written for hostile
 * input: every length is checked against what is left, a compressed name
 * may only point backwards and at most ZK_DNS_PTR_MAX times, and a name is
 * at most 255 bytes on the wire. Nothing here allocates.
 *
 * Names in text form are lower case, without the final dot ("" is the
 * root). A byte of a label that is not a letter, digit, '-' or '_' is
 * written \DDD (its decimal value), so a name with such labels never
 * equals a cluster name and is forwarded as it came. */
#ifndef ZK_PROXY_DNSMSG_H
#define ZK_PROXY_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZK_DNS_HEADER 12
#define ZK_DNS_NAME_WIRE_MAX 255        /* bytes of a name on the wire */
#define ZK_DNS_NAME_TEXT_MAX 1024       /* its text form, \DDD escapes included (at most 1003) */
#define ZK_DNS_PTR_MAX 64               /* compression pointers followed in one name */
#define ZK_DNS_UDP_MIN 512              /* what a client without EDNS takes */
#define ZK_DNS_UDP_CAP 4096             /* the largest EDNS size we honour */
#define ZK_DNS_MSG_MAX 65535            /* TCP: the length prefix is 16 bits */

/* types and classes we know */
enum {
    ZK_DNS_A = 1,
    ZK_DNS_NS = 2,
    ZK_DNS_CNAME = 5,
    ZK_DNS_SOA = 6,
    ZK_DNS_PTR = 12,
    ZK_DNS_TXT = 16,
    ZK_DNS_AAAA = 28,
    ZK_DNS_SRV = 33,
    ZK_DNS_OPT = 41,
    ZK_DNS_ANY = 255,
    ZK_DNS_IN = 1,
};

/* response codes */
enum {
    ZK_DNS_NOERROR = 0,
    ZK_DNS_FORMERR = 1,
    ZK_DNS_SERVFAIL = 2,
    ZK_DNS_NXDOMAIN = 3,
    ZK_DNS_NOTIMP = 4,
    ZK_DNS_REFUSED = 5,
};

typedef enum { ZK_DNS_ANSWER, ZK_DNS_AUTHORITY, ZK_DNS_ADDITIONAL } zk_dns_section;

typedef struct zk_dns_question {
    char name[ZK_DNS_NAME_TEXT_MAX];   /* text form, see above */
    uint16_t qtype, qclass;
    /* the name as it came, in wire form without pointers and with its
     * case (clients that mix the case of their questions check that the
     * answer echoes it); wire_len 0: none, the writer encodes name */
    uint8_t wire[ZK_DNS_NAME_WIRE_MAX];
    uint16_t wire_len;
} zk_dns_question;

typedef struct zk_dns_query {
    uint16_t id;
    uint8_t opcode;            /* 0 (QUERY) unless NOTIMP was returned; copied to the answer */
    bool rd;                   /* recursion desired */
    bool cd;                   /* checking disabled (copied to the answer) */
    bool has_question;         /* q was read (the root's name is "" too) */
    zk_dns_question q;
    bool edns;                 /* an OPT record came in the additional section */
    uint16_t edns_size;        /* its payload size, at least ZK_DNS_UDP_MIN, at most ZK_DNS_UDP_CAP */
    uint8_t edns_version;      /* 0 is the only one there is; others get BADVERS */
    bool dnssec_ok;            /* the OPT's DO bit */
} zk_dns_query;

/* Read a query. Returns:
 *   0   a query: one question, opcode QUERY, QR clear; *q is filled;
 *   -1  not worth an answer: shorter than a header, or QR set (a response);
 *   >0  a response code to answer with (FORMERR for a malformed question
 *       or record or a question count other than one, NOTIMP for another
 *       opcode); q->id, q->opcode, q->rd and q->cd are set, and
 *       q->has_question says whether the question was read (then q->q
 *       holds it). q->edns is false.
 * Records after the question other than one OPT are skipped over
 * (checked, not kept); an OPT outside the additional section, a second
 * one or one whose name is not the root is FORMERR. Bytes after the
 * counted records, or past ZK_DNS_MSG_MAX, are ignored. */
int zk_dns_parse_query(const uint8_t *msg, size_t len, zk_dns_query *q);

/* Read the header and question of a response (an upstream's answer, for
 * matching it to what was asked). Returns 0 and fills *id and *qu, or -1
 * when msg is no response with exactly one well-formed question. */
int zk_dns_parse_response(const uint8_t *msg, size_t len, uint16_t *id, zk_dns_question *qu);

/* One record of a response's answer section, as zk_dns_read_answers
 * gives it: names in text form; addr for A (4 bytes) and AAAA (16);
 * target for CNAME. */
typedef struct zk_dns_record {
    char name[ZK_DNS_NAME_TEXT_MAX];
    uint16_t type, rclass;
    uint32_t ttl;
    uint8_t addr[16];
    char target[ZK_DNS_NAME_TEXT_MAX];
} zk_dns_record;

/* Read a response's answer section (after its one question) and call fn
 * for each A, AAAA and CNAME record in it; other types are skipped, and so
 * are A and AAAA records whose data has the wrong length. Returns the
 * response code (the header's four bits), or -1 when msg is no response
 * with one question and well-formed answer records. */
int zk_dns_read_answers(const uint8_t *msg, size_t len,
                        void (*fn)(void *ctx, const zk_dns_record *r), void *ctx);

/* Encode a text name (as above: lower case, no final dot, \DDD escapes
 * allowed) to wire form in out (at least ZK_DNS_NAME_WIRE_MAX bytes).
 * Returns the length, or -1 when it is no valid name (empty label, label
 * longer than 63, longer than 255 bytes, bad escape). */
int zk_dns_name_encode(const char *text, uint8_t *out);

/* ---- writing an answer ---- */

typedef struct zk_dns_writer {
    uint8_t *buf;
    size_t cap, len;
    uint16_t counts[3];        /* answer, authority, additional */
    bool truncated;            /* an answer or authority record did not fit: TC is set */
    bool failed;               /* a name could not be encoded, or a section came out of order */
    /* offsets of names written so far, for compression */
    uint16_t names[64];
    size_t nnames;
} zk_dns_writer;

/* Start an answer to q in buf (cap bytes: the client's size; more than
 * ZK_DNS_MSG_MAX is taken as that): the header (id, QR, opcode copied, AA
 * as given, RD copied, RA set, CD copied, the low 4 bits of rcode) and q's
 * question if q->has_question or q->q.name is not "" (a query made by
 * hand). A question that does not fit is left out and sets TC; with cap
 * below ZK_DNS_HEADER nothing is written and finish returns 0. */
void zk_dns_writer_init(zk_dns_writer *w, uint8_t *buf, size_t cap, const zk_dns_query *q,
                        int rcode, bool aa);

/* Add one record to a section. Sections must be written in order (answer,
 * authority, additional). A record that does not fit is left out: in the
 * answer or authority section this sets TC and every later record of
 * those sections is left out too; in the additional section it is just
 * skipped. A name that cannot be encoded, or a section out of order,
 * leaves the record out and sets failed (not TC). Returns 0 when
 * written, -1 when left out. Names are compressed against those written
 * before, but for an SRV target (RFC 2782). */
int zk_dns_add_a(zk_dns_writer *w, zk_dns_section s, const char *name, uint32_t ttl,
                 const uint8_t addr[4]);
int zk_dns_add_aaaa(zk_dns_writer *w, zk_dns_section s, const char *name, uint32_t ttl,
                    const uint8_t addr[16]);
int zk_dns_add_name(zk_dns_writer *w, zk_dns_section s, uint16_t type, const char *name,
                    uint32_t ttl, const char *target);   /* CNAME, PTR, NS */
int zk_dns_add_srv(zk_dns_writer *w, zk_dns_section s, const char *name, uint32_t ttl,
                   uint16_t priority, uint16_t weight, uint16_t port, const char *target);
int zk_dns_add_soa(zk_dns_writer *w, zk_dns_section s, const char *zone, uint32_t ttl,
                   const char *mname, const char *rname, uint32_t serial, uint32_t refresh,
                   uint32_t retry, uint32_t expire, uint32_t minimum);
/* An OPT record (additional section) saying we take udp_size bytes.
 * ext_rcode is the whole response code: its bits above the low 4 (those of
 * BADVERS, 16, say) go here, the low 4 went to the header. */
int zk_dns_add_opt(zk_dns_writer *w, uint16_t udp_size, int ext_rcode);

/* The message's length; the header counts are written now. */
size_t zk_dns_writer_finish(zk_dns_writer *w);

#endif
