/* zke proxy: the cluster DNS (see dns.h). */
#include "proxy/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "proxy/dnsmsg.h"

#define ZK_DNS_TTL_DEFAULT 5
#define ZK_DNS_UPSTREAMS_MAX 3
#define ZK_DNS_FWD_MAX 1024            /* forwarded queries in flight */
#define ZK_DNS_FWD_TIMEOUT_MS 2000     /* per upstream try */
#define ZK_DNS_TCP_MAX 256             /* client connections */
#define ZK_DNS_TCP_IDLE_MS 10000
#define ZK_DNS_TCP_QUEUE_MAX (256u * 1024)   /* answers not yet written, per connection */
#define ZK_DNS_OUR_UDP 1232            /* the EDNS size we say we take */
#define ZK_DNS_LABELS_MAX 8
#define FWD_BUCKETS 256

typedef struct tcpconn tcpconn;

typedef struct fwd {
    struct fwd *next, *prev;   /* all in flight, oldest first */
    struct fwd *hnext;         /* bucket chain by new_id */
    uint16_t new_id, old_id;
    zk_dns_question q;         /* the client's question */
    /* an ExternalName's target asked for in its place (chase): the answer
     * is made again for the client's question, with the CNAME first */
    bool chase;
    char target[ZK_DNS_NAME_TEXT_MAX];
    bool rd, cd, edns;
    uint16_t edns_size;
    uint64_t deadline_ms;
    int upstream, tries;
    tcpconn *conn;             /* a TCP client; NULL for UDP (or when it went away) */
    bool tcp;
    struct sockaddr_storage client;
    size_t len;
    uint8_t msg[];             /* the query as sent upstream */
} fwd;

struct tcpconn {
    zk_dns *d;
    uv_tcp_t h;
    uv_timer_t idle;
    uint8_t *buf;              /* what came: length-prefixed queries */
    size_t len;
    size_t queued;             /* bytes of answers being written */
    int pending;               /* forwarded queries it waits for */
    int handles;
    bool closing;
    tcpconn *next, *prev;
};

struct zk_dns {
    uv_loop_t *loop;
    zk_kube_informer *svcs, *slices;
    char *domain;
    uint32_t ttl;
    struct sockaddr_in self;
    uv_udp_t udp;              /* clients */
    uv_udp_t up;               /* upstreams */
    uv_tcp_t tcp;
    uv_timer_t sweep;
    struct sockaddr_in upstreams[ZK_DNS_UPSTREAMS_MAX];
    int nupstreams;
    fwd *head, *tail;
    fwd *buckets[FWD_BUCKETS];
    size_t nfwd;
    tcpconn *conns;
    size_t nconns;
    zk_dns_stats stats;
    int handles;               /* for freeing: open handles of the server */
    bool closing;
};

/* ---- names ---- */

/* The labels of name below the cluster domain, right to left in labels
 * (labels[0] is the one next to the domain); returns their count, or -1
 * when name is not under the domain (or has too many labels). name == the
 * domain gives 0. The labels point into buf. */
static int split(const zk_dns *d, const char *name, char *buf, size_t bufn, char **labels)
{
    size_t nl = strlen(name), dl = strlen(d->domain);
    if (nl == dl && !strcmp(name, d->domain))
        return 0;
    if (nl <= dl + 1 || name[nl - dl - 1] != '.' || strcmp(name + nl - dl, d->domain))
        return -1;
    size_t rl = nl - dl - 1;
    if (rl >= bufn)
        return -1;
    memcpy(buf, name, rl);
    buf[rl] = '\0';
    int n = 0;
    char *end = buf + rl;
    for (;;) {
        char *dot = end;
        while (dot > buf && dot[-1] != '.')
            dot--;
        if (n == ZK_DNS_LABELS_MAX)
            return -2;   /* deeper than any cluster name */
        labels[n++] = dot;
        if (dot == buf)
            break;
        dot[-1] = '\0';
        end = dot - 1;
    }
    return n;
}

/* "10-42-0-5" <-> 10.42.0.5 */
static bool dashed_ip(const char *label, uint8_t out[4])
{
    int a, b, c, e;
    char tail;
    if (sscanf(label, "%3d-%3d-%3d-%3d%c", &a, &b, &c, &e, &tail) != 4)
        return false;
    if (a < 0 || a > 255 || b < 0 || b > 255 || c < 0 || c > 255 || e < 0 || e > 255)
        return false;
    char back[20];
    snprintf(back, sizeof(back), "%d-%d-%d-%d", a, b, c, e);
    if (strcmp(back, label))
        return false;   /* no leading zeros or signs */
    out[0] = (uint8_t)a, out[1] = (uint8_t)b, out[2] = (uint8_t)c, out[3] = (uint8_t)e;
    return true;
}

static bool parse_ip(const char *s, uint8_t out[4])
{
    struct in_addr a;
    if (!s || inet_pton(AF_INET, s, &a) != 1)
        return false;
    memcpy(out, &a, 4);
    return true;
}

/* ---- what the caches say ---- */

typedef struct dep {
    uint8_t ip[4];
    char host[64];             /* hostname, or the address with dashes */
    const json_t *ports;       /* the slice's ports */
} dep;

/* The endpoints of a headless Service that DNS shows: ready ones, or all
 * with publishNotReadyAddresses. At most max. */
static size_t endpoints(zk_dns *d, const json_t *svc, dep *out, size_t max)
{
    char key[400];
    snprintf(key, sizeof(key), "%.63s/%.253s",
             zk_json_path_str(svc, "metadata", "namespace", NULL) ?: "",
             zk_json_path_str(svc, "metadata", "name", NULL) ?: "");
    bool all = zk_json_bool(zk_json_path(svc, "spec", NULL), "publishNotReadyAddresses", false);
    json_t **sl = NULL;
    size_t ns = zk_kube_informer_by_index(d->slices, "svc", key, &sl), n = 0;
    for (size_t s = 0; s < ns && n < max; s++) {
        const char *at = zk_json_str(sl[s], "addressType");
        if (at && strcmp(at, "IPv4"))
            continue;
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(sl[s], "endpoints"), i, e) {
            json_t *ready = zk_json_path(e, "conditions", "ready", NULL);
            if (!all && json_is_false(ready))
                continue;
            const char *host = zk_json_str(e, "hostname");
            size_t j;
            json_t *a;
            json_array_foreach(json_object_get(e, "addresses"), j, a) {
                if (n == max)
                    break;
                dep *p = &out[n];
                if (!parse_ip(json_string_value(a), p->ip))
                    continue;
                if (host && *host && strlen(host) < sizeof(p->host))
                    snprintf(p->host, sizeof(p->host), "%s", host);
                else
                    snprintf(p->host, sizeof(p->host), "%d-%d-%d-%d", p->ip[0], p->ip[1],
                             p->ip[2], p->ip[3]);
                p->ports = json_object_get(sl[s], "ports");
                bool dup = false;
                for (size_t k = 0; k < n; k++)
                    if (!memcmp(out[k].ip, p->ip, 4) && !strcmp(out[k].host, p->host))
                        dup = true;
                if (!dup)
                    n++;
            }
        }
    }
    free(sl);
    return n;
}

static bool headless(const json_t *svc)
{
    const char *ip = zk_json_path_str(svc, "spec", "clusterIP", NULL);
    return !ip || !*ip || !strcmp(ip, "None");
}

/* ---- answering ---- */

#define EP_MAX 128

typedef struct ctx {
    zk_dns *d;
    const zk_dns_query *q;
    zk_dns_writer w;
    char *chase;               /* NULL, or where an ExternalName's target goes */
    int depth;                 /* 1 inside an ExternalName's in-cluster target */
} ctx;

static void soa(ctx *c)
{
    char mname[300], rname[300];
    snprintf(mname, sizeof(mname), "ns.dns.%s", c->d->domain);
    snprintf(rname, sizeof(rname), "hostmaster.%s", c->d->domain);
    uint32_t serial = (uint32_t)zk_wall_s();
    zk_dns_add_soa(&c->w, ZK_DNS_AUTHORITY, c->d->domain, c->d->ttl, mname, rname, serial, 7200,
                   1800, 86400, c->d->ttl);
}

static void a_rec(ctx *c, zk_dns_section s, const char *name, const uint8_t ip[4])
{
    zk_dns_add_a(&c->w, s, name, c->d->ttl, ip);
}

/* SRV records of svc (ports named pname/proto, or all when pname NULL) */
static bool srv(ctx *c, const json_t *svc, const char *sname, const char *ns, const char *pname,
                const char *proto)
{
    char target[600];
    bool any = false;
    bool hl = headless(svc);
    dep eps[EP_MAX];
    size_t neps = hl ? endpoints(c->d, svc, eps, EP_MAX) : 0;
    size_t i;
    json_t *p;
    json_array_foreach(zk_json_path(svc, "spec", "ports", NULL), i, p) {
        const char *n = zk_json_str(p, "name");
        const char *pr = zk_json_str(p, "protocol");
        char lproto[8];
        snprintf(lproto, sizeof(lproto), "%s", pr && !strcmp(pr, "UDP") ? "udp"
                                               : pr && !strcmp(pr, "SCTP") ? "sctp"
                                                                             : "tcp");
        if (pname && (!n || strcmp(n, pname) || strcmp(lproto, proto)))
            continue;
        if (!hl) {
            snprintf(target, sizeof(target), "%s.%s.svc.%s", sname, ns, c->d->domain);
            zk_dns_add_srv(&c->w, ZK_DNS_ANSWER, c->q->q.name, c->d->ttl, 0, 100,
                           (uint16_t)zk_json_int(p, "port", 0), target);
            any = true;
            continue;
        }
        for (size_t e = 0; e < neps; e++) {
            /* the endpoint's number for this port, from its slice */
            int port = 0;
            size_t j;
            json_t *sp;
            json_array_foreach(eps[e].ports, j, sp) {
                const char *sn = zk_json_str(sp, "name");
                if (!strcmp(sn ? sn : "", n ? n : ""))
                    port = (int)zk_json_int(sp, "port", 0);
            }
            if (port <= 0 || port > 65535)
                continue;
            snprintf(target, sizeof(target), "%s.%s.%s.svc.%s", eps[e].host, sname, ns,
                     c->d->domain);
            zk_dns_add_srv(&c->w, ZK_DNS_ANSWER, c->q->q.name, c->d->ttl, 0,
                           (uint16_t)(100 / (neps ? neps : 1)), (uint16_t)port, target);
            any = true;
        }
    }
    if (!any)
        return false;
    /* the targets' addresses */
    if (!hl) {
        uint8_t ip[4];
        if (parse_ip(zk_json_path_str(svc, "spec", "clusterIP", NULL), ip)) {
            snprintf(target, sizeof(target), "%s.%s.svc.%s", sname, ns, c->d->domain);
            a_rec(c, ZK_DNS_ADDITIONAL, target, ip);
        }
    } else {
        for (size_t e = 0; e < neps; e++) {
            snprintf(target, sizeof(target), "%s.%s.%s.svc.%s", eps[e].host, sname, ns,
                     c->d->domain);
            a_rec(c, ZK_DNS_ADDITIONAL, target, eps[e].ip);
        }
    }
    return true;
}

typedef enum { R_NXDOMAIN, R_NODATA, R_ANSWERED, R_CHASE } result;

/* <svc>.<ns>.svc, <host>.<svc>.<ns>.svc, _<port>._<proto>.<svc>.<ns>.svc */
static result svc_zone(ctx *c, char **l, int n)
{
    uint16_t qt = c->q->q.qtype;
    if (n == 1)
        return R_NODATA;   /* svc.<domain> */
    const char *ns = l[1];
    if (n == 2) {
        /* a namespace: there when it has Services */
        json_t **objs = NULL;
        size_t k = zk_kube_informer_by_index(c->d->svcs, "namespace", ns, &objs);
        free(objs);
        return k ? R_NODATA : R_NXDOMAIN;
    }
    const char *sname = l[2];
    json_t *svc = zk_kube_informer_get(c->d->svcs, ns, sname);
    if (!svc)
        return R_NXDOMAIN;
    bool hl = headless(svc);
    const char *type = zk_json_path_str(svc, "spec", "type", NULL);
    if (n == 3) {
        if (type && !strcmp(type, "ExternalName")) {
            const char *ext = zk_json_path_str(svc, "spec", "externalName", NULL);
            char text[ZK_DNS_NAME_TEXT_MAX];
            snprintf(text, sizeof(text), "%s", ext ? ext : "");
            size_t tl = strlen(text);
            while (tl && text[tl - 1] == '.')
                text[--tl] = '\0';
            for (size_t i = 0; i < tl; i++)
                if (text[i] >= 'A' && text[i] <= 'Z')
                    text[i] = (char)(text[i] - 'A' + 'a');
            if (!tl)
                return R_NODATA;
            char tbuf[ZK_DNS_NAME_TEXT_MAX];
            char *tl2[ZK_DNS_LABELS_MAX];
            int tn = split(c->d, text, tbuf, sizeof(tbuf), tl2);
            if (tn >= 3 && !strcmp(tl2[0], "svc") && c->depth == 0 &&
                zk_dns_add_name(&c->w, ZK_DNS_ANSWER, ZK_DNS_CNAME, c->q->q.name, c->d->ttl,
                                text) == 0) {
                /* a name of this cluster: the CNAME and the target's
                 * records, from the caches (one level: no chase from there) */
                zk_dns_query q2 = *c->q;
                snprintf(q2.q.name, sizeof(q2.q.name), "%s", text);
                ctx c2 = *c;
                c2.q = &q2;
                c2.chase = NULL;
                c2.depth = 1;
                svc_zone(&c2, tl2, tn);
                c->w = c2.w;
                return R_ANSWERED;
            }
            /* an address of it: the server asks upstream for the target and
             * answers with the CNAME and what comes (clients' resolvers do
             * not follow a CNAME alone) */
            if (c->chase && (qt == ZK_DNS_A || qt == ZK_DNS_AAAA)) {
                snprintf(c->chase, ZK_DNS_NAME_TEXT_MAX, "%s", text);
                return R_CHASE;
            }
            if (zk_dns_add_name(&c->w, ZK_DNS_ANSWER, ZK_DNS_CNAME, c->q->q.name, c->d->ttl,
                                text) == 0)
                return R_ANSWERED;
            return R_NODATA;
        }
        if (qt == ZK_DNS_SRV)
            return srv(c, svc, sname, ns, NULL, NULL) ? R_ANSWERED : R_NODATA;
        if (qt != ZK_DNS_A && qt != ZK_DNS_ANY)
            return R_NODATA;
        if (!hl) {
            uint8_t ip[4];
            if (!parse_ip(zk_json_path_str(svc, "spec", "clusterIP", NULL), ip))
                return R_NODATA;
            a_rec(c, ZK_DNS_ANSWER, c->q->q.name, ip);
            return R_ANSWERED;
        }
        dep eps[EP_MAX];
        size_t neps = endpoints(c->d, svc, eps, EP_MAX);
        for (size_t e = 0; e < neps; e++)
            a_rec(c, ZK_DNS_ANSWER, c->q->q.name, eps[e].ip);
        return neps ? R_ANSWERED : R_NODATA;
    }
    if (n == 4 && l[3][0] != '_') {
        /* an endpoint of a headless Service */
        if (!hl)
            return R_NXDOMAIN;
        dep eps[EP_MAX];
        size_t neps = endpoints(c->d, svc, eps, EP_MAX);
        bool found = false;
        for (size_t e = 0; e < neps; e++) {
            if (strcmp(eps[e].host, l[3]))
                continue;
            found = true;
            if (qt == ZK_DNS_A || qt == ZK_DNS_ANY)
                a_rec(c, ZK_DNS_ANSWER, c->q->q.name, eps[e].ip);
        }
        if (!found)
            return R_NXDOMAIN;
        return c->w.counts[0] ? R_ANSWERED : R_NODATA;
    }
    if (n == 4 || (n == 5 && l[4][0] == '_')) {
        /* _<proto>.<svc> is an empty non-terminal; _<port>._<proto>.<svc> the SRV */
        if (l[3][0] != '_' || strlen(l[3]) < 2)
            return R_NXDOMAIN;
        const char *proto = l[3] + 1;
        if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
            return R_NXDOMAIN;
        if (n == 4)
            return R_NODATA;
        const char *pname = l[4] + 1;
        /* does the port exist? */
        bool exists = false;
        size_t i;
        json_t *p;
        json_array_foreach(zk_json_path(svc, "spec", "ports", NULL), i, p) {
            const char *pn = zk_json_str(p, "name");
            if (pn && !strcmp(pn, pname))
                exists = true;
        }
        if (!exists)
            return R_NXDOMAIN;
        if (qt != ZK_DNS_SRV && qt != ZK_DNS_ANY)
            return R_NODATA;
        return srv(c, svc, sname, ns, pname, proto) ? R_ANSWERED : R_NODATA;
    }
    return R_NXDOMAIN;
}

/* <a-b-c-d>.<ns>.pod */
static result pod_zone(ctx *c, char **l, int n)
{
    if (n == 1 || n == 2)
        return R_NODATA;   /* pod.<domain>, <ns>.pod.<domain> */
    uint8_t ip[4];
    if (n != 3 || !dashed_ip(l[2], ip))
        return R_NXDOMAIN;
    if (c->q->q.qtype != ZK_DNS_A && c->q->q.qtype != ZK_DNS_ANY)
        return R_NODATA;
    a_rec(c, ZK_DNS_ANSWER, c->q->q.name, ip);
    return R_ANSWERED;
}

typedef struct ptr_find {
    zk_dns *d;
    uint8_t ip[4];
    char name[600];
} ptr_find;

static void ptr_svc(void *arg, json_t *svc)
{
    ptr_find *f = arg;
    uint8_t ip[4];
    if (f->name[0] || !parse_ip(zk_json_path_str(svc, "spec", "clusterIP", NULL), ip) ||
        memcmp(ip, f->ip, 4))
        return;
    snprintf(f->name, sizeof(f->name), "%.63s.%.63s.svc.%s",
             zk_json_path_str(svc, "metadata", "name", NULL) ?: "",
             zk_json_path_str(svc, "metadata", "namespace", NULL) ?: "", f->d->domain);
}

static void ptr_hl(void *arg, json_t *svc)
{
    ptr_find *f = arg;
    if (f->name[0] || !headless(svc))
        return;
    dep eps[EP_MAX];
    size_t n = endpoints(f->d, svc, eps, EP_MAX);
    for (size_t e = 0; e < n; e++)
        if (!memcmp(eps[e].ip, f->ip, 4)) {
            snprintf(f->name, sizeof(f->name), "%s.%.63s.%.63s.svc.%s", eps[e].host,
                     zk_json_path_str(svc, "metadata", "name", NULL) ?: "",
                     zk_json_path_str(svc, "metadata", "namespace", NULL) ?: "", f->d->domain);
            return;
        }
}

/* d.c.b.a.in-addr.arpa: -1 not a v4 reverse name (or not ours) */
static int reverse(ctx *c)
{
    const char *name = c->q->q.name;
    int a, b, cc, e;
    char tail[32];
    if (sscanf(name, "%3d.%3d.%3d.%3d.%31s", &e, &cc, &b, &a, tail) != 5 ||
        strcmp(tail, "in-addr.arpa"))
        return -1;
    char back[64];
    snprintf(back, sizeof(back), "%d.%d.%d.%d.in-addr.arpa", e, cc, b, a);
    if (strcmp(back, name) || a > 255 || b > 255 || cc > 255 || e > 255 || a < 0 || b < 0 ||
        cc < 0 || e < 0)
        return -1;
    ptr_find f = {.d = c->d, .ip = {(uint8_t)a, (uint8_t)b, (uint8_t)cc, (uint8_t)e}};
    zk_kube_informer_each(c->d->svcs, ptr_svc, &f);
    if (!f.name[0])
        zk_kube_informer_each(c->d->svcs, ptr_hl, &f);
    if (!f.name[0]) {
        /* the pod and service networks are ours: nobody upstream knows them */
        if (a == 10 && (b == 42 || b == 43))
            return 0;
        return -1;
    }
    if (c->q->q.qtype == ZK_DNS_PTR || c->q->q.qtype == ZK_DNS_ANY)
        zk_dns_add_name(&c->w, ZK_DNS_ANSWER, ZK_DNS_PTR, name, c->d->ttl, f.name);
    return 1;
}

static size_t client_cap(const zk_dns_query *q, bool tcp, size_t cap)
{
    size_t want = tcp ? ZK_DNS_MSG_MAX : q->edns ? q->edns_size : ZK_DNS_UDP_MIN;
    return want < cap ? want : cap;
}

/* zk_dns_answer; with chase, an ExternalName's address query gives
 * ZK_DNS_FORWARD and its target in chase (ZK_DNS_NAME_TEXT_MAX bytes). */
static zk_dns_action answer(zk_dns *d, const uint8_t *msg, size_t len, bool tcp, uint8_t *out,
                            size_t cap, size_t *outlen, char *chase)
{
    zk_dns_query q;
    int rc = zk_dns_parse_query(msg, len, &q);
    if (rc < 0)
        return ZK_DNS_DROP;
    if (chase)
        chase[0] = '\0';
    ctx c = {.d = d, .q = &q, .chase = chase};
    if (rc > 0) {
        zk_dns_writer_init(&c.w, out, client_cap(&q, tcp, cap), &q, rc, false);
        *outlen = zk_dns_writer_finish(&c.w);
        return ZK_DNS_REPLY;
    }
    if (q.edns && q.edns_version > 0) {
        /* BADVERS: 16, its high bits in the OPT record */
        zk_dns_writer_init(&c.w, out, client_cap(&q, tcp, cap), &q, 0, false);
        zk_dns_add_opt(&c.w, ZK_DNS_OUR_UDP, 16);
        *outlen = zk_dns_writer_finish(&c.w);
        return ZK_DNS_REPLY;
    }
    char buf[ZK_DNS_NAME_TEXT_MAX];
    char *l[ZK_DNS_LABELS_MAX];
    int n = split(d, q.q.name, buf, sizeof(buf), l);
    result r;
    zk_dns_writer_init(&c.w, out, client_cap(&q, tcp, cap), &q, 0, true);
    if (n == -1) {
        int rv = reverse(&c);
        if (rv < 0)
            return ZK_DNS_FORWARD;
        r = rv == 0 ? R_NXDOMAIN : c.w.counts[0] ? R_ANSWERED : R_NODATA;
    } else if (q.q.qclass != ZK_DNS_IN && q.q.qclass != ZK_DNS_ANY) {
        zk_dns_writer_init(&c.w, out, client_cap(&q, tcp, cap), &q, ZK_DNS_REFUSED, false);
        r = R_ANSWERED;
    } else if (n == -2) {
        r = R_NXDOMAIN;
    } else if (n == 0) {
        r = R_NODATA;
        if (q.q.qtype == ZK_DNS_SOA) {
            char mname[300], rname[300];
            snprintf(mname, sizeof(mname), "ns.dns.%s", d->domain);
            snprintf(rname, sizeof(rname), "hostmaster.%s", d->domain);
            zk_dns_add_soa(&c.w, ZK_DNS_ANSWER, d->domain, d->ttl, mname, rname,
                           (uint32_t)zk_wall_s(), 7200, 1800, 86400, d->ttl);
            r = R_ANSWERED;
        }
    } else if (!strcmp(l[0], "svc")) {
        r = svc_zone(&c, l, n);
    } else if (!strcmp(l[0], "pod")) {
        r = pod_zone(&c, l, n);
    } else {
        r = R_NXDOMAIN;
    }
    if (r == R_CHASE)
        return ZK_DNS_FORWARD;
    if (r == R_NXDOMAIN) {
        zk_dns_writer_init(&c.w, out, client_cap(&q, tcp, cap), &q, ZK_DNS_NXDOMAIN, true);
        soa(&c);
    } else if (r == R_NODATA) {
        soa(&c);
    }
    if (q.edns)
        zk_dns_add_opt(&c.w, ZK_DNS_OUR_UDP, 0);
    *outlen = zk_dns_writer_finish(&c.w);
    return ZK_DNS_REPLY;
}

zk_dns_action zk_dns_answer(zk_dns *d, const uint8_t *msg, size_t len, bool tcp, uint8_t *out,
                            size_t cap, size_t *outlen)
{
    return answer(d, msg, len, tcp, out, cap, outlen, NULL);
}

/* ---- forwarding ---- */

static fwd **bucket(zk_dns *d, uint16_t id) { return &d->buckets[id % FWD_BUCKETS]; }

static fwd *fwd_find(zk_dns *d, uint16_t id)
{
    for (fwd *f = *bucket(d, id); f; f = f->hnext)
        if (f->new_id == id)
            return f;
    return NULL;
}

static void fwd_remove(zk_dns *d, fwd *f)
{
    fwd **pp = bucket(d, f->new_id);
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
    if (f->prev)
        f->prev->next = f->next;
    else
        d->head = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        d->tail = f->prev;
    d->nfwd--;
    if (f->conn)
        f->conn->pending--;
    free(f);
}

static void tcp_reply(tcpconn *t, const uint8_t *msg, size_t len);

typedef struct udp_send {
    uv_udp_send_t req;
    size_t len;
    uint8_t data[];
} udp_send;

static void on_udp_sent(uv_udp_send_t *req, int status)
{
    (void)status;
    free(req->data);
}

static void udp_reply(zk_dns *d, const struct sockaddr *to, const uint8_t *msg, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
    int rc = uv_udp_try_send(&d->udp, &b, 1, to);
    if (rc >= 0)
        return;
    if (rc != UV_EAGAIN && rc != UV_ENOSYS) {
        d->stats.dropped++;
        return;
    }
    udp_send *s = zk_xmalloc(sizeof(*s) + len);
    memcpy(s->data, msg, len);
    s->len = len;
    s->req.data = s;
    b = uv_buf_init((char *)s->data, (unsigned)len);
    if (uv_udp_send(&s->req, &d->udp, &b, 1, to, on_udp_sent) < 0) {
        d->stats.dropped++;
        free(s);
    }
}

/* Answer a client with msg (its ID already the client's). */
static void to_client(zk_dns *d, fwd *f, const uint8_t *msg, size_t len)
{
    if (f->tcp) {
        if (f->conn)
            tcp_reply(f->conn, msg, len);
    } else {
        udp_reply(d, (const struct sockaddr *)&f->client, msg, len);
    }
}

static void servfail(zk_dns *d, fwd *f)
{
    zk_dns_query q = {.id = f->old_id, .rd = true, .has_question = true, .q = f->q};
    uint8_t out[ZK_DNS_UDP_MIN];
    zk_dns_writer w;
    zk_dns_writer_init(&w, out, sizeof(out), &q, ZK_DNS_SERVFAIL, false);
    size_t n = zk_dns_writer_finish(&w);
    to_client(d, f, out, n);
}

static int send_up(zk_dns *d, fwd *f)
{
    uv_buf_t b = uv_buf_init((char *)f->msg, (unsigned)f->len);
    const struct sockaddr *to = (const struct sockaddr *)&d->upstreams[f->upstream];
    int rc = uv_udp_try_send(&d->up, &b, 1, to);
    f->deadline_ms = zk_mono_ms() + ZK_DNS_FWD_TIMEOUT_MS;
    return rc < 0 && rc != UV_EAGAIN ? rc : 0;
}

static uint16_t new_id(zk_dns *d)
{
    for (int i = 0; i < 64; i++) {
        uint16_t id;
        if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
            id = (uint16_t)(zk_mono_ms() * 2654435761u + (uint64_t)i);
        if (!fwd_find(d, id))
            return id;
    }
    return 0;
}

/* A query for target (type qtype) in buf: RD, and an OPT of the client's
 * size when it sent one. Its length, or 0. */
static size_t chase_query(const zk_dns_query *q, const char *target, uint8_t *buf)
{
    memset(buf, 0, ZK_DNS_HEADER);
    buf[2] = 0x01;   /* RD */
    buf[5] = 1;
    int n = zk_dns_name_encode(target, buf + ZK_DNS_HEADER);
    if (n < 0)
        return 0;
    size_t len = ZK_DNS_HEADER + (size_t)n;
    buf[len++] = (uint8_t)(q->q.qtype >> 8);
    buf[len++] = (uint8_t)q->q.qtype;
    buf[len++] = 0;
    buf[len++] = ZK_DNS_IN;
    if (q->edns) {
        buf[11] = 1;
        const uint8_t opt[] = {0, 0, ZK_DNS_OPT, (uint8_t)(q->edns_size >> 8), (uint8_t)q->edns_size,
                               0, 0, 0, 0, 0, 0};
        memcpy(buf + len, opt, sizeof(opt));
        len += sizeof(opt);
    }
    return len;
}

static void forward(zk_dns *d, const uint8_t *msg, size_t len, bool tcp, tcpconn *conn,
                    const struct sockaddr *client, const char *chase)
{
    zk_dns_query q;
    if (zk_dns_parse_query(msg, len, &q) != 0)
        return;
    uint8_t cq[ZK_DNS_NAME_WIRE_MAX + ZK_DNS_HEADER + 32];
    if (chase && *chase) {
        len = chase_query(&q, chase, cq);
        if (!len) {
            fwd tmp = {.old_id = q.id, .q = q.q, .tcp = tcp, .conn = conn};
            if (client)
                memcpy(&tmp.client, client, sizeof(struct sockaddr_in));
            servfail(d, &tmp);
            return;
        }
        msg = cq;
    }
    if (!d->nupstreams || d->nfwd >= ZK_DNS_FWD_MAX) {
        fwd tmp = {.old_id = q.id, .q = q.q, .tcp = tcp, .conn = conn};
        if (client)
            memcpy(&tmp.client, client, sizeof(struct sockaddr_in));
        servfail(d, &tmp);
        return;
    }
    fwd *f = zk_xcalloc(1, sizeof(*f) + len);
    f->old_id = q.id;
    f->new_id = new_id(d);
    f->q = q.q;
    f->chase = chase && *chase;
    if (f->chase)
        snprintf(f->target, sizeof(f->target), "%s", chase);
    f->rd = q.rd;
    f->cd = q.cd;
    f->edns = q.edns;
    f->edns_size = q.edns_size;
    f->tcp = tcp;
    f->conn = conn;
    if (conn)
        conn->pending++;
    if (client)
        memcpy(&f->client, client, sizeof(struct sockaddr_in));
    f->len = len;
    memcpy(f->msg, msg, len);
    f->msg[0] = (uint8_t)(f->new_id >> 8);
    f->msg[1] = (uint8_t)f->new_id;
    f->hnext = *bucket(d, f->new_id);
    *bucket(d, f->new_id) = f;
    f->prev = d->tail;
    if (d->tail)
        d->tail->next = f;
    else
        d->head = f;
    d->tail = f;
    d->nfwd++;
    d->stats.forwarded++;
    if (send_up(d, f) < 0) {
        servfail(d, f);
        fwd_remove(d, f);
    }
}

static void chase_add(void *arg, const zk_dns_record *r)
{
    zk_dns_writer *w = arg;
    if (r->type == ZK_DNS_A)
        zk_dns_add_a(w, ZK_DNS_ANSWER, r->name, r->ttl, r->addr);
    else if (r->type == ZK_DNS_AAAA)
        zk_dns_add_aaaa(w, ZK_DNS_ANSWER, r->name, r->ttl, r->addr);
    else if (r->type == ZK_DNS_CNAME)
        zk_dns_add_name(w, ZK_DNS_ANSWER, ZK_DNS_CNAME, r->name, r->ttl, r->target);
}

/* The client's answer to an ExternalName's address query: its CNAME, then
 * the upstream's addresses (and CNAMEs) of the target, with its rcode. */
static void chase_reply(zk_dns *d, fwd *f, const uint8_t *msg, size_t n)
{
    zk_dns_query q = {.id = f->old_id, .rd = f->rd, .cd = f->cd, .has_question = true, .q = f->q,
                      .edns = f->edns, .edns_size = f->edns_size};
    size_t cap = f->tcp ? ZK_DNS_MSG_MAX : f->edns ? f->edns_size : ZK_DNS_UDP_MIN;
    uint8_t *out = zk_xmalloc(cap);
    zk_dns_writer w;
    /* the rcode is known only after reading: write, then set it */
    zk_dns_writer_init(&w, out, cap, &q, ZK_DNS_NOERROR, false);
    zk_dns_add_name(&w, ZK_DNS_ANSWER, ZK_DNS_CNAME, f->q.name, d->ttl, f->target);
    int rcode = zk_dns_read_answers(msg, n, chase_add, &w);
    if (rcode < 0) {
        servfail(d, f);
        free(out);
        return;
    }
    if (f->edns)
        zk_dns_add_opt(&w, ZK_DNS_OUR_UDP, 0);
    size_t len = zk_dns_writer_finish(&w);
    if (len >= ZK_DNS_HEADER) {
        out[3] = (uint8_t)((out[3] & 0xf0) | (rcode & 0x0f));
        if (msg[2] & 0x02)
            out[2] |= 0x02;   /* the upstream's answer was cut: so is this one */
    }
    to_client(d, f, out, len);
    free(out);
}

static void on_up_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                       unsigned flags)
{
    zk_dns *d = h->data;
    (void)flags;
    if (n <= 0 || !from || from->sa_family != AF_INET)
        return;
    uint16_t id;
    zk_dns_question qu;
    uint8_t *msg = (uint8_t *)buf->base;
    if (zk_dns_parse_response(msg, (size_t)n, &id, &qu) < 0)
        return;
    fwd *f = fwd_find(d, id);
    if (!f)
        return;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)from, *want = &d->upstreams[f->upstream];
    if (sin->sin_addr.s_addr != want->sin_addr.s_addr || sin->sin_port != want->sin_port ||
        strcmp(qu.name, f->chase ? f->target : f->q.name) || qu.qtype != f->q.qtype)
        return;   /* not from whom we asked, or not what we asked: ignore it */
    if (f->chase) {
        chase_reply(d, f, msg, (size_t)n);
    } else {
        msg[0] = (uint8_t)(f->old_id >> 8);
        msg[1] = (uint8_t)f->old_id;
        to_client(d, f, msg, (size_t)n);
    }
    fwd_remove(d, f);
}

static void on_sweep(uv_timer_t *t)
{
    zk_dns *d = t->data;
    uint64_t now = zk_mono_ms();
    fwd *f = d->head;
    while (f) {
        fwd *next = f->next;
        if (f->deadline_ms <= now) {
            d->stats.upstream_timeouts++;
            if (++f->tries < d->nupstreams * 2) {
                f->upstream = (f->upstream + 1) % d->nupstreams;
                if (send_up(d, f) == 0) {
                    f = next;
                    continue;
                }
            }
            servfail(d, f);
            fwd_remove(d, f);
        }
        f = next;
    }
}

/* ---- UDP clients ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    static char scratch[ZK_DNS_MSG_MAX];
    *buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                        unsigned flags)
{
    zk_dns *d = h->data;
    if (n <= 0 || !from || from->sa_family != AF_INET || (flags & UV_UDP_PARTIAL))
        return;
    d->stats.queries++;
    uint8_t out[ZK_DNS_UDP_CAP];
    size_t len = 0;
    char chase[ZK_DNS_NAME_TEXT_MAX];
    switch (answer(d, (const uint8_t *)buf->base, (size_t)n, false, out, sizeof(out), &len, chase)) {
    case ZK_DNS_REPLY:
        d->stats.answered++;
        udp_reply(d, from, out, len);
        break;
    case ZK_DNS_FORWARD:
        forward(d, (const uint8_t *)buf->base, (size_t)n, false, NULL, from, chase);
        break;
    default:
        d->stats.dropped++;
    }
}

/* ---- TCP clients ---- */

static void tcp_closed(uv_handle_t *h)
{
    tcpconn *t = h->data;
    if (--t->handles)
        return;
    zk_dns *d = t->d;
    if (t->prev)
        t->prev->next = t->next;
    else
        d->conns = t->next;
    if (t->next)
        t->next->prev = t->prev;
    d->nconns--;
    free(t->buf);
    free(t);
}

static void tcp_close(tcpconn *t)
{
    if (t->closing)
        return;
    t->closing = true;
    /* forwarded queries of this client answer nobody now */
    for (fwd *f = t->d->head; f; f = f->next)
        if (f->conn == t) {
            f->conn = NULL;
            t->pending--;
        }
    t->handles = 2;
    uv_close((uv_handle_t *)&t->h, tcp_closed);
    uv_close((uv_handle_t *)&t->idle, tcp_closed);
}

typedef struct tcp_write {
    uv_write_t req;
    tcpconn *t;
    size_t len;
    uint8_t data[];
} tcp_write;

static void on_tcp_written(uv_write_t *req, int status)
{
    tcp_write *w = req->data;
    w->t->queued -= w->len;
    if (status < 0)
        tcp_close(w->t);
    free(w);
}

static void tcp_reply(tcpconn *t, const uint8_t *msg, size_t len)
{
    if (t->closing || len > ZK_DNS_MSG_MAX)
        return;
    if (t->queued + len > ZK_DNS_TCP_QUEUE_MAX) {
        tcp_close(t);   /* a client that does not read */
        return;
    }
    tcp_write *w = zk_xmalloc(sizeof(*w) + len + 2);
    w->req.data = w;
    w->t = t;
    w->len = len + 2;
    w->data[0] = (uint8_t)(len >> 8);
    w->data[1] = (uint8_t)len;
    memcpy(w->data + 2, msg, len);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
    t->queued += w->len;
    if (uv_write(&w->req, (uv_stream_t *)&t->h, &b, 1, on_tcp_written) < 0) {
        t->queued -= w->len;
        free(w);
        tcp_close(t);
    }
}

static void on_tcp_idle(uv_timer_t *timer)
{
    tcpconn *t = timer->data;
    if (t->pending > 0 || t->queued > 0) {
        uv_timer_again(timer);
        return;
    }
    tcp_close(t);
}

static void on_tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    tcpconn *t = h->data;
    (void)hint;
    if (!t->buf)
        t->buf = zk_xmalloc(ZK_DNS_MSG_MAX + 2);
    *buf = uv_buf_init((char *)t->buf + t->len, (unsigned)(ZK_DNS_MSG_MAX + 2 - t->len));
}

static void on_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    tcpconn *t = s->data;
    zk_dns *d = t->d;
    (void)buf;
    if (n < 0) {
        tcp_close(t);
        return;
    }
    t->len += (size_t)n;
    uv_timer_again(&t->idle);
    size_t off = 0;
    while (!t->closing && t->len - off >= 2) {
        size_t mlen = ((size_t)t->buf[off] << 8) | t->buf[off + 1];
        if (t->len - off - 2 < mlen)
            break;
        const uint8_t *msg = t->buf + off + 2;
        off += 2 + mlen;
        d->stats.queries++;
        uint8_t *out = zk_xmalloc(ZK_DNS_MSG_MAX);
        size_t len = 0;
        char chase[ZK_DNS_NAME_TEXT_MAX];
        switch (answer(d, msg, mlen, true, out, ZK_DNS_MSG_MAX, &len, chase)) {
        case ZK_DNS_REPLY:
            d->stats.answered++;
            tcp_reply(t, out, len);
            break;
        case ZK_DNS_FORWARD:
            forward(d, msg, mlen, true, t, NULL, chase);
            break;
        default:
            d->stats.dropped++;
            tcp_close(t);   /* garbage on a stream: nothing after it can be trusted */
        }
        free(out);
    }
    if (t->closing)
        return;
    memmove(t->buf, t->buf + off, t->len - off);
    t->len -= off;
}

static void on_tcp_conn(uv_stream_t *server, int status)
{
    zk_dns *d = server->data;
    if (status < 0)
        return;
    tcpconn *t = zk_xcalloc(1, sizeof(*t));
    t->d = d;
    uv_tcp_init(d->loop, &t->h);
    uv_timer_init(d->loop, &t->idle);
    t->h.data = t->idle.data = t;
    t->next = d->conns;
    if (d->conns)
        d->conns->prev = t;
    d->conns = t;
    d->nconns++;
    if (uv_accept(server, (uv_stream_t *)&t->h) < 0 || d->nconns > ZK_DNS_TCP_MAX) {
        tcp_close(t);
        return;
    }
    uv_timer_start(&t->idle, on_tcp_idle, ZK_DNS_TCP_IDLE_MS, ZK_DNS_TCP_IDLE_MS);
    uv_read_start((uv_stream_t *)&t->h, on_tcp_alloc, on_tcp_read);
}

/* ---- setting up ---- */

static void add_upstream(zk_dns *d, const char *spec)
{
    if (d->nupstreams == ZK_DNS_UPSTREAMS_MAX)
        return;
    char host[64];
    int port = 53;
    const char *colon = strchr(spec, ':');
    size_t hl = colon ? (size_t)(colon - spec) : strlen(spec);
    if (hl >= sizeof(host))
        return;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || p <= 0 || p > 65535)
            return;
        port = (int)p;
    }
    struct sockaddr_in sa;
    if (uv_ip4_addr(host, port, &sa) < 0)
        return;   /* IPv6 name servers are not used */
    if (sa.sin_addr.s_addr == d->self.sin_addr.s_addr && sa.sin_port == d->self.sin_port)
        return;   /* ourselves: a loop */
    d->upstreams[d->nupstreams++] = sa;
}

static void read_upstreams(zk_dns *d, const zk_dns_opts *o)
{
    if (o->upstreams && *o->upstreams) {
        zk_autofree char *copy = zk_xstrdup(o->upstreams);
        char *save = NULL;
        for (char *s = strtok_r(copy, ", ", &save); s; s = strtok_r(NULL, ", ", &save))
            add_upstream(d, s);
        return;
    }
    FILE *f = fopen(o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf", "re");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char ns[64];
        if (sscanf(line, " nameserver %63s", ns) == 1)
            add_upstream(d, ns);
    }
    fclose(f);
}

static void server_closed(uv_handle_t *h)
{
    zk_dns *d = h->data;
    if (--d->handles)
        return;
    free(d->domain);
    free(d);
}

zk_dns *zk_dns_new(uv_loop_t *loop, zk_kube_informer *svcs, zk_kube_informer *slices,
                   const zk_dns_opts *o, zk_err *err)
{
    zk_dns *d = zk_xcalloc(1, sizeof(*d));
    d->loop = loop;
    d->svcs = svcs;
    d->slices = slices;
    d->domain = zk_xstrdup(o->domain ? o->domain : "cluster.local");
    d->ttl = o->ttl ? o->ttl : ZK_DNS_TTL_DEFAULT;
    int port = o->port ? o->port : 53;
    if (!o->addr || uv_ip4_addr(o->addr, port, &d->self) < 0) {
        zk_err_set(err, ZK_EINVAL, "cluster DNS: %s is no IPv4 address", o->addr ? o->addr : "(none)");
        free(d->domain);
        free(d);
        return NULL;
    }
    read_upstreams(d, o);
    uv_udp_init(loop, &d->udp);
    uv_udp_init(loop, &d->up);
    uv_tcp_init(loop, &d->tcp);
    uv_timer_init(loop, &d->sweep);
    d->udp.data = d->up.data = d->tcp.data = d->sweep.data = d;
    d->handles = 4;
    struct sockaddr_in any;
    uv_ip4_addr("0.0.0.0", 0, &any);
    int rc;
    const char *what = "UDP";
    if ((rc = uv_udp_bind(&d->udp, (const struct sockaddr *)&d->self, 0)) < 0 ||
        (what = "TCP", rc = uv_tcp_bind(&d->tcp, (const struct sockaddr *)&d->self, 0)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&d->tcp, 128, on_tcp_conn)) < 0 ||
        (what = "upstream UDP", rc = uv_udp_bind(&d->up, (const struct sockaddr *)&any, 0)) < 0) {
        zk_err_set(err, ZK_EIO, "cluster DNS on %s:%d (%s): %s", o->addr, port, what,
                   uv_strerror(rc));
        zk_dns_free(d);
        return NULL;
    }
    uv_udp_recv_start(&d->udp, on_alloc, on_udp_recv);
    uv_udp_recv_start(&d->up, on_alloc, on_up_recv);
    uv_timer_start(&d->sweep, on_sweep, 250, 250);
    zk_info("cluster DNS on %s:%d for %s, %d upstream server%s", o->addr, port, d->domain,
            d->nupstreams, d->nupstreams == 1 ? "" : "s");
    return d;
}

void zk_dns_free(zk_dns *d)
{
    if (!d || d->closing)
        return;
    d->closing = true;
    while (d->head)
        fwd_remove(d, d->head);
    for (tcpconn *t = d->conns; t; t = t->next)
        tcp_close(t);
    uv_close((uv_handle_t *)&d->udp, server_closed);
    uv_close((uv_handle_t *)&d->up, server_closed);
    uv_close((uv_handle_t *)&d->tcp, server_closed);
    uv_close((uv_handle_t *)&d->sweep, server_closed);
}

void zk_dns_get_stats(const zk_dns *d, zk_dns_stats *s) { *s = d->stats; }
