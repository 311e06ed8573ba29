/* proxy/dns.c: the cluster DNS, answering from informers of a real
 * `zke server` (objects made with kubectl), asked in-process
 * (zk_dns_answer) and over UDP and TCP on loopback. The upstream in the
 * forwarding tests is a UDP socket of this test: it must send the wrong
 * answers (another ID, another question, from another port) that no real
 * name server sends on purpose. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "proxy/dns.h"
#include "proxy/proxy.h"
#include "proxy/dnsmsg.h"

#include "testsrv.h"

static const char manifests[] =
    "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
    "spec: {clusterIP: 10.43.0.50, ports: [{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}]}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: default}\n"
    "spec: {clusterIP: None, ports: [{name: pg, port: 5432}]}\n"
    "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
    "metadata: {name: db-1, namespace: default, labels: {kubernetes.io/service-name: db}}\n"
    "addressType: IPv4\nports: [{name: pg, port: 5433, protocol: TCP}]\n"
    "endpoints:\n"
    "- {addresses: [10.42.0.7], hostname: db-0, conditions: {ready: true}}\n"
    "- {addresses: [10.42.0.8], conditions: {ready: true}}\n"
    "- {addresses: [10.42.0.9], conditions: {ready: false}}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: default}\n"
    "spec: {type: ExternalName, externalName: example.com.}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: alias, namespace: default}\n"
    "spec: {type: ExternalName, externalName: web.default.svc.cluster.local}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: big, namespace: default}\n"
    "spec: {clusterIP: None, ports: [{name: p, port: 1}]}\n";

typedef struct fixture {
    server srv;
    uv_loop_t loop;
    zk_kube_client *c;
    zk_kube_informer *svcs, *slices;
    zk_dns *dns;
    int port;          /* the DNS's */
    int up;            /* the test's upstream socket */
    int up_port;
} fixture;

static fixture *F;

static int kubectl_apply(const char *dir, const char *yaml)
{
    char path[200], cmd[512];
    snprintf(path, sizeof(path), "%s/objs.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(yaml, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "KUBECONFIG=%s/kubeconfig.yaml HOME=%s kubectl apply -f %s >/dev/null",
             dir, dir, path);
    return system(cmd);
}

static int setup(void **state)
{
    (void)state;
    fixture *f = F = zk_xcalloc(1, sizeof(*f));
    f->up = -1;
    uv_loop_init(&f->loop);
    snprintf(f->srv.dir, sizeof(f->srv.dir), "/tmp/zk-dns-test-XXXXXX");
    if (!mkdtemp(f->srv.dir) || !server_start(&f->srv, NULL))
        return -1;
    /* 60 endpoints for "big": more than a 512-byte UDP answer holds */
    char big[8192];
    size_t n = (size_t)snprintf(big, sizeof(big),
                                "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
                                "metadata: {name: big-1, namespace: default, labels: "
                                "{kubernetes.io/service-name: big}}\naddressType: IPv4\n"
                                "ports: [{name: p, port: 1, protocol: TCP}]\nendpoints:\n");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "- {addresses: [10.42.1.%d]}\n", i + 1);
    char all[16384];
    snprintf(all, sizeof(all), "%s---\n%s", manifests, big);
    if (kubectl_apply(f->srv.dir, all) != 0)
        return -1;
    char path[128];
    snprintf(path, sizeof(path), "%s/kubeconfig.yaml", f->srv.dir);
    zk_kube_config cfg;
    zk_err err = {0};
    if (zk_kube_config_load(path, &cfg, &err) < 0)
        return -1;
    f->c = zk_kube_client_new(&f->loop, &cfg, &err);
    zk_kube_config_free(&cfg);
    f->svcs = zk_kube_informer_new(f->c, &zk_kube_services, NULL, NULL, NULL);
    f->slices = zk_kube_informer_new(f->c, &zk_kube_endpointslices, NULL, NULL, NULL);
    zk_kube_informer_add_index(f->slices, "svc", zk_proxy_slice_index);
    zk_kube_informer_start(f->svcs);
    zk_kube_informer_start(f->slices);
    uint64_t deadline = zk_mono_ms() + 20000;
    while (!zk_kube_informer_synced(f->svcs) || !zk_kube_informer_synced(f->slices))
        if (zk_mono_ms() > deadline)
            return -1;
        else
            uv_run(&f->loop, UV_RUN_NOWAIT), usleep(1000);
    /* the upstream: a UDP socket on loopback */
    f->up = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (bind(f->up, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(f->up, (struct sockaddr *)&a, &al) < 0)
        return -1;
    f->up_port = ntohs(a.sin_port);
    char ups[64];
    snprintf(ups, sizeof(ups), "127.0.0.1:%d", f->up_port);
    for (int attempt = 0; attempt < 5 && !f->dns; attempt++) {
        f->port = 20000 + rand() % 30000;
        zk_dns_opts o = {.addr = "127.0.0.1", .port = f->port, .upstreams = ups};
        f->dns = zk_dns_new(&f->loop, f->svcs, f->slices, &o, &err);
    }
    return f->dns ? 0 : -1;
}

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int teardown(void **state)
{
    (void)state;
    fixture *f = F;
    if (f->dns)
        zk_dns_free(f->dns);
    if (f->svcs)
        zk_kube_informer_free(f->svcs);
    if (f->slices)
        zk_kube_informer_free(f->slices);
    if (f->c)
        zk_kube_client_free(f->c);
    for (int i = 0; i < 50; i++)
        uv_run(&f->loop, UV_RUN_NOWAIT);
    uv_walk(&f->loop, close_any, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    if (f->up >= 0)
        close(f->up);
    server_remove(&f->srv);
    free(f);
    return 0;
}

/* ---- messages ---- */

static size_t query(uint8_t *q, uint16_t id, const char *name, uint16_t type, int edns)
{
    memset(q, 0, 12);
    q[0] = (uint8_t)(id >> 8), q[1] = (uint8_t)id, q[2] = 0x01, q[5] = 1;
    int n = zk_dns_name_encode(name, q + 12);
    assert_true(n > 0);
    size_t len = 12 + (size_t)n;
    q[len++] = (uint8_t)(type >> 8), q[len++] = (uint8_t)type, q[len++] = 0, q[len++] = 1;
    if (edns >= 0) {
        q[11] = 1;   /* one additional: OPT, payload 1232, version edns */
        const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, (uint8_t)edns, 0, 0, 0, 0};
        memcpy(q + len, opt, sizeof(opt));
        len += sizeof(opt);
    }
    return len;
}

typedef struct rr {
    uint16_t type;
    uint8_t data[512];
    uint16_t len;
    char target[300];   /* CNAME/PTR/SRV target, text */
    uint16_t port;      /* SRV */
} rr;

typedef struct answer {
    int rcode;
    bool tc, aa;
    int an, ns, ar;
    rr rrs[128];
    int nrr;
} answer;

/* a name at off: text into out; returns the offset after it in place */
static size_t name_at(const uint8_t *m, size_t len, size_t off, char *out, size_t n)
{
    size_t end = 0, o = off, w = 0;
    int hops = 0;
    out[0] = '\0';
    while (o < len) {
        uint8_t l = m[o];
        if ((l & 0xc0) == 0xc0) {
            if (!end)
                end = o + 2;
            o = (size_t)((l & 0x3f) << 8 | m[o + 1]);
            assert_true(++hops < 20);
            continue;
        }
        if (l == 0) {
            if (!end)
                end = o + 1;
            break;
        }
        w += (size_t)snprintf(out + w, n - w, "%s%.*s", w ? "." : "", l, (const char *)m + o + 1);
        o += 1 + l;
    }
    return end;
}

static answer parse(const uint8_t *m, size_t len)
{
    answer a = {0};
    assert_true(len >= 12);
    a.rcode = m[3] & 0x0f;
    a.tc = m[2] & 0x02;
    a.aa = m[2] & 0x04;
    a.an = m[6] << 8 | m[7], a.ns = m[8] << 8 | m[9], a.ar = m[10] << 8 | m[11];
    char name[300];
    size_t off = 12;
    if (m[5])
        off = name_at(m, len, off, name, sizeof(name)) + 4;
    for (int i = 0; i < a.an + a.ns + a.ar && off < len && a.nrr < 128; i++) {
        off = name_at(m, len, off, name, sizeof(name));
        rr *r = &a.rrs[a.nrr++];
        r->type = (uint16_t)(m[off] << 8 | m[off + 1]);
        r->len = (uint16_t)(m[off + 8] << 8 | m[off + 9]);
        off += 10;
        memcpy(r->data, m + off, r->len < sizeof(r->data) ? r->len : sizeof(r->data));
        if (r->type == ZK_DNS_CNAME || r->type == ZK_DNS_PTR)
            name_at(m, len, off, r->target, sizeof(r->target));
        if (r->type == ZK_DNS_SRV) {
            r->port = (uint16_t)(m[off + 4] << 8 | m[off + 5]);
            name_at(m, len, off + 6, r->target, sizeof(r->target));
        }
        off += r->len;
    }
    return a;
}

static answer ask(const char *name, uint16_t type, bool tcp)
{
    uint8_t q[600], out[65535];
    size_t ql = query(q, 0x4242, name, type, -1), ol = 0;
    assert_int_equal(zk_dns_answer(F->dns, q, ql, tcp, out, sizeof(out), &ol), ZK_DNS_REPLY);
    assert_int_equal(out[0] << 8 | out[1], 0x4242);
    return parse(out, ol);
}

static int count_type(const answer *a, uint16_t type, int upto)
{
    int n = 0;
    for (int i = 0; i < upto && i < a->nrr; i++)
        n += a->rrs[i].type == type;
    return n;
}

/* ---- in-process answers ---- */

static void test_service_a_and_nodata(void **state)
{
    (void)state;
    answer a = ask("web.default.svc.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.rcode, ZK_DNS_NOERROR);
    assert_true(a.aa);
    assert_int_equal(a.an, 1);
    assert_int_equal(a.rrs[0].type, ZK_DNS_A);
    assert_memory_equal(a.rrs[0].data, ((uint8_t[]){10, 43, 0, 50}), 4);
    /* the name exists, AAAA has nothing: NOERROR, no answer, the SOA */
    a = ask("web.default.svc.cluster.local", ZK_DNS_AAAA, false);
    assert_int_equal(a.rcode, ZK_DNS_NOERROR);
    assert_int_equal(a.an, 0);
    assert_int_equal(a.ns, 1);
    assert_int_equal(a.rrs[0].type, ZK_DNS_SOA);
    /* case does not matter, and the question comes back as it was asked */
    a = ask("WEB.Default.SVC.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.an, 1);
    uint8_t q[600], out[600];
    size_t ql = query(q, 9, "web.default.svc.cluster.local", ZK_DNS_A, -1), ol = 0;
    memcpy(q + 12, "\003WeB\007DEFAULT", 12);
    assert_int_equal(zk_dns_answer(F->dns, q, ql, false, out, sizeof(out), &ol), ZK_DNS_REPLY);
    assert_memory_equal(out + 12, "\003WeB\007DEFAULT\003svc", 16);
    assert_int_equal(parse(out, ol).an, 1);
    a = ask("nope.default.svc.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.rcode, ZK_DNS_NXDOMAIN);
    assert_int_equal(a.rrs[0].type, ZK_DNS_SOA);
    /* a namespace with Services is an empty non-terminal; one without is not there */
    assert_int_equal(ask("default.svc.cluster.local", ZK_DNS_A, false).rcode, ZK_DNS_NOERROR);
    assert_int_equal(ask("nons.svc.cluster.local", ZK_DNS_A, false).rcode, ZK_DNS_NXDOMAIN);
    assert_int_equal(ask("a.b.c.d.e.f.g.h.i.svc.cluster.local", ZK_DNS_A, false).rcode,
                     ZK_DNS_NXDOMAIN);
}

static void test_headless_and_srv(void **state)
{
    (void)state;
    /* ready endpoints only */
    answer a = ask("db.default.svc.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.an, 2);
    assert_memory_equal(a.rrs[0].data, ((uint8_t[]){10, 42, 0, 7}), 4);
    assert_memory_equal(a.rrs[1].data, ((uint8_t[]){10, 42, 0, 8}), 4);
    /* by hostname, and by dashed address */
    a = ask("db-0.db.default.svc.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.an, 1);
    assert_memory_equal(a.rrs[0].data, ((uint8_t[]){10, 42, 0, 7}), 4);
    a = ask("10-42-0-8.db.default.svc.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.an, 1);
    assert_int_equal(ask("10-42-0-9.db.default.svc.cluster.local", ZK_DNS_A, false).rcode,
                     ZK_DNS_NXDOMAIN);
    /* SRV: headless gives each endpoint with its target port */
    a = ask("_pg._tcp.db.default.svc.cluster.local", ZK_DNS_SRV, false);
    assert_int_equal(a.an, 2);
    assert_int_equal(a.rrs[0].port, 5433);
    assert_string_equal(a.rrs[0].target, "db-0.db.default.svc.cluster.local");
    assert_string_equal(a.rrs[1].target, "10-42-0-8.db.default.svc.cluster.local");
    assert_int_equal(count_type(&a, ZK_DNS_A, a.nrr), 2);   /* the targets' addresses */
    /* a cluster IP Service: its own name, the service port; protocol matters */
    a = ask("_dns._udp.web.default.svc.cluster.local", ZK_DNS_SRV, false);
    assert_int_equal(a.an, 1);
    assert_int_equal(a.rrs[0].port, 53);
    assert_string_equal(a.rrs[0].target, "web.default.svc.cluster.local");
    assert_int_equal(ask("_dns._tcp.web.default.svc.cluster.local", ZK_DNS_SRV, false).an, 0);
    assert_int_equal(ask("_nope._tcp.web.default.svc.cluster.local", ZK_DNS_SRV, false).rcode,
                     ZK_DNS_NXDOMAIN);
    /* SRV at the Service's name: every port */
    assert_int_equal(ask("web.default.svc.cluster.local", ZK_DNS_SRV, false).an, 2);
}

static void test_pods_externalname_ptr(void **state)
{
    (void)state;
    answer a = ask("10-42-3-4.default.pod.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.an, 1);
    assert_memory_equal(a.rrs[0].data, ((uint8_t[]){10, 42, 3, 4}), 4);
    assert_int_equal(ask("10-42-3-400.default.pod.cluster.local", ZK_DNS_A, false).rcode,
                     ZK_DNS_NXDOMAIN);
    assert_int_equal(ask("010-42-3-4.default.pod.cluster.local", ZK_DNS_A, false).rcode,
                     ZK_DNS_NXDOMAIN);
    a = ask("ext.default.svc.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.an, 1);
    assert_int_equal(a.rrs[0].type, ZK_DNS_CNAME);
    assert_string_equal(a.rrs[0].target, "example.com");   /* without the final dot */
    /* an ExternalName inside the cluster: the CNAME and the target's address */
    a = ask("alias.default.svc.cluster.local", ZK_DNS_A, false);
    assert_int_equal(a.an, 2);
    assert_int_equal(a.rrs[0].type, ZK_DNS_CNAME);
    assert_string_equal(a.rrs[0].target, "web.default.svc.cluster.local");
    assert_int_equal(a.rrs[1].type, ZK_DNS_A);
    assert_memory_equal(a.rrs[1].data, ((uint8_t[]){10, 43, 0, 50}), 4);
    a = ask("50.0.43.10.in-addr.arpa", ZK_DNS_PTR, false);
    assert_int_equal(a.an, 1);
    assert_string_equal(a.rrs[0].target, "web.default.svc.cluster.local");
    a = ask("7.0.42.10.in-addr.arpa", ZK_DNS_PTR, false);
    assert_string_equal(a.rrs[0].target, "db-0.db.default.svc.cluster.local");
    /* ours but unknown: NXDOMAIN here; anyone else's: forwarded */
    assert_int_equal(ask("99.9.43.10.in-addr.arpa", ZK_DNS_PTR, false).rcode, ZK_DNS_NXDOMAIN);
    uint8_t q[600], out[600];
    size_t ql = query(q, 1, "1.2.0.192.in-addr.arpa", ZK_DNS_PTR, -1), ol;
    assert_int_equal(zk_dns_answer(F->dns, q, ql, false, out, sizeof(out), &ol), ZK_DNS_FORWARD);
    ql = query(q, 1, "example.org", ZK_DNS_A, -1);
    assert_int_equal(zk_dns_answer(F->dns, q, ql, false, out, sizeof(out), &ol), ZK_DNS_FORWARD);
}

static void test_truncation_edns_badvers(void **state)
{
    (void)state;
    /* 60 A records do not fit 512 bytes: TC over UDP, all of them over TCP */
    answer a = ask("big.default.svc.cluster.local", ZK_DNS_A, false);
    assert_true(a.tc);
    assert_true(a.an < 60);
    a = ask("big.default.svc.cluster.local", ZK_DNS_A, true);
    assert_false(a.tc);
    assert_int_equal(a.an, 60);
    /* with EDNS 1232 they fit, and the answer has an OPT */
    uint8_t q[600], out[4096];
    size_t ql = query(q, 7, "big.default.svc.cluster.local", ZK_DNS_A, 0), ol = 0;
    assert_int_equal(zk_dns_answer(F->dns, q, ql, false, out, sizeof(out), &ol), ZK_DNS_REPLY);
    a = parse(out, ol);
    assert_false(a.tc);
    assert_int_equal(a.an, 60);
    assert_int_equal(count_type(&a, ZK_DNS_OPT, a.nrr), 1);
    /* EDNS version 1: BADVERS (16: 0 in the header, 1 in the OPT's extended rcode) */
    ql = query(q, 7, "web.default.svc.cluster.local", ZK_DNS_A, 1);
    assert_int_equal(zk_dns_answer(F->dns, q, ql, false, out, sizeof(out), &ol), ZK_DNS_REPLY);
    a = parse(out, ol);
    assert_int_equal(a.rcode, 0);
    assert_int_equal(a.an, 0);
    assert_int_equal(a.rrs[0].type, ZK_DNS_OPT);
    /* garbage: dropped; a response: dropped; two questions: FORMERR */
    assert_int_equal(zk_dns_answer(F->dns, (const uint8_t *)"abc", 3, false, out, sizeof(out), &ol),
                     ZK_DNS_DROP);
    ql = query(q, 7, "web.default.svc.cluster.local", ZK_DNS_A, -1);
    q[2] |= 0x80;
    assert_int_equal(zk_dns_answer(F->dns, q, ql, false, out, sizeof(out), &ol), ZK_DNS_DROP);
    q[2] &= 0x7f;
    q[5] = 2;
    assert_int_equal(zk_dns_answer(F->dns, q, ql, false, out, sizeof(out), &ol), ZK_DNS_REPLY);
    assert_int_equal(out[3] & 0x0f, ZK_DNS_FORMERR);
}

/* ---- over the sockets ---- */

static int udp_client(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    return s;
}

/* Run the loop until fd is readable or ms pass; whether it is. */
static bool pump(int fd, int ms)
{
    uint64_t end = zk_mono_ms() + (uint64_t)ms;
    while (zk_mono_ms() < end) {
        uv_run(&F->loop, UV_RUN_NOWAIT);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 2) == 1)
            return true;
    }
    return false;
}

static void test_udp_and_tcp_clients(void **state)
{
    (void)state;
    int c = udp_client();
    uint8_t q[600], out[65536];
    size_t ql = query(q, 0x1234, "web.default.svc.cluster.local", ZK_DNS_A, -1);
    assert_int_equal(send(c, q, ql, 0), (ssize_t)ql);
    assert_true(pump(c, 3000));
    ssize_t n = recv(c, out, sizeof(out), 0);
    answer a = parse(out, (size_t)n);
    assert_int_equal(out[0] << 8 | out[1], 0x1234);
    assert_int_equal(a.an, 1);
    close(c);
    /* TCP: two queries in one write, length-prefixed; both answered */
    int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(t, (struct sockaddr *)&sa, sizeof(sa)), 0);
    uint8_t two[1400];
    size_t l1 = query(two + 2, 1, "big.default.svc.cluster.local", ZK_DNS_A, -1);
    two[0] = (uint8_t)(l1 >> 8), two[1] = (uint8_t)l1;
    size_t l2 = query(two + 4 + l1, 2, "db.default.svc.cluster.local", ZK_DNS_A, -1);
    two[2 + l1] = (uint8_t)(l2 >> 8), two[3 + l1] = (uint8_t)l2;
    assert_int_equal(write(t, two, 4 + l1 + l2), (ssize_t)(4 + l1 + l2));
    size_t have = 0;
    int got = 0;
    uint64_t end = zk_mono_ms() + 5000;
    while (got < 2 && zk_mono_ms() < end) {
        if (!pump(t, 100))
            continue;
        ssize_t k = read(t, out + have, sizeof(out) - have);
        assert_true(k > 0);
        have += (size_t)k;
        while (have >= 2 && have >= 2 + (size_t)(out[0] << 8 | out[1])) {
            size_t ml = (size_t)(out[0] << 8 | out[1]);
            a = parse(out + 2, ml);
            assert_int_equal(a.an, (out[2] << 8 | out[3]) == 1 ? 60 : 2);
            memmove(out, out + 2 + ml, have - 2 - ml);
            have -= 2 + ml;
            got++;
        }
    }
    assert_int_equal(got, 2);
    close(t);
}

static void test_forwarding_takes_only_the_right_answer(void **state)
{
    (void)state;
    int c = udp_client();
    uint8_t q[600], buf[1500];
    size_t ql = query(q, 0xabcd, "example.org", ZK_DNS_A, -1);
    assert_int_equal(send(c, q, ql, 0), (ssize_t)ql);
    /* the upstream gets it with another ID */
    assert_true(pump(F->up, 3000));
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(F->up, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
    assert_int_equal(n, (ssize_t)ql);
    uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
    assert_memory_equal(buf + 2, q + 2, ql - 2);
    /* an answer to another question with the right ID: ignored */
    uint8_t ans[600];
    size_t al = query(ans, id, "example.net", ZK_DNS_A, -1);
    ans[2] |= 0x80;
    assert_int_equal(sendto(F->up, ans, al, 0, (struct sockaddr *)&from, fl), (ssize_t)al);
    /* the right answer from another port: ignored */
    al = query(ans, id, "example.org", ZK_DNS_A, -1);
    ans[2] |= 0x80;
    int other = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(sendto(other, ans, al, 0, (struct sockaddr *)&from, fl), (ssize_t)al);
    close(other);
    assert_false(pump(c, 300));
    /* the right answer from the upstream: the client gets it, with its ID */
    assert_int_equal(sendto(F->up, ans, al, 0, (struct sockaddr *)&from, fl), (ssize_t)al);
    assert_true(pump(c, 3000));
    n = recv(c, buf, sizeof(buf), 0);
    assert_int_equal(n, (ssize_t)al);
    assert_int_equal(buf[0] << 8 | buf[1], 0xabcd);
    /* an upstream that never answers: SERVFAIL after the tries */
    ql = query(q, 0x7777, "slow.example.org", ZK_DNS_A, -1);
    assert_int_equal(send(c, q, ql, 0), (ssize_t)ql);
    assert_true(pump(c, 10000));
    n = recv(c, buf, sizeof(buf), 0);
    assert_true(n >= 12);
    assert_int_equal(buf[0] << 8 | buf[1], 0x7777);
    assert_int_equal(buf[3] & 0x0f, ZK_DNS_SERVFAIL);
    zk_dns_stats st;
    zk_dns_get_stats(F->dns, &st);
    assert_true(st.upstream_timeouts >= 1);
    /* drain what the upstream got meanwhile (the retries) */
    while (recv(F->up, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ;
    close(c);
}

/* An ExternalName's address, asked by a client: the upstream is asked for
 * the target; the client gets the CNAME and the target's records. */
static void test_external_name_is_chased_upstream(void **state)
{
    (void)state;
    int c = udp_client();
    uint8_t q[600], buf[1500];
    size_t ql = query(q, 0x5151, "ext.default.svc.cluster.local", ZK_DNS_A, 0);
    assert_int_equal(send(c, q, ql, 0), (ssize_t)ql);
    assert_true(pump(F->up, 3000));
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(F->up, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
    assert_true(n > 12);
    uint16_t id;
    zk_dns_question qu;
    buf[2] |= 0x80;   /* read it as a response to see its question */
    assert_int_equal(zk_dns_parse_response(buf, (size_t)n, &id, &qu), 0);
    assert_string_equal(qu.name, "example.com");
    assert_int_equal(qu.qtype, ZK_DNS_A);
    /* the upstream's answer: a CNAME on, then an address */
    zk_dns_query uq = {.id = id, .rd = true, .has_question = true};
    snprintf(uq.q.name, sizeof(uq.q.name), "example.com");
    uq.q.qtype = ZK_DNS_A;
    uq.q.qclass = ZK_DNS_IN;
    uint8_t ans[512];
    zk_dns_writer w;
    zk_dns_writer_init(&w, ans, sizeof(ans), &uq, ZK_DNS_NOERROR, false);
    zk_dns_add_name(&w, ZK_DNS_ANSWER, ZK_DNS_CNAME, "example.com", 60, "edge.example.net");
    zk_dns_add_a(&w, ZK_DNS_ANSWER, "edge.example.net", 30, (const uint8_t[]){192, 0, 2, 10});
    size_t al = zk_dns_writer_finish(&w);
    assert_int_equal(sendto(F->up, ans, al, 0, (struct sockaddr *)&from, fl), (ssize_t)al);
    assert_true(pump(c, 3000));
    n = recv(c, buf, sizeof(buf), 0);
    answer a = parse(buf, (size_t)n);
    assert_int_equal(buf[0] << 8 | buf[1], 0x5151);
    assert_int_equal(a.rcode, ZK_DNS_NOERROR);
    assert_int_equal(a.an, 3);
    assert_int_equal(a.rrs[0].type, ZK_DNS_CNAME);
    assert_string_equal(a.rrs[0].target, "example.com");
    assert_int_equal(a.rrs[1].type, ZK_DNS_CNAME);
    assert_string_equal(a.rrs[1].target, "edge.example.net");
    assert_int_equal(a.rrs[2].type, ZK_DNS_A);
    assert_memory_equal(a.rrs[2].data, ((uint8_t[]){192, 0, 2, 10}), 4);
    assert_int_equal(count_type(&a, ZK_DNS_OPT, a.nrr), 1);   /* the client sent EDNS */
    /* the target does not exist: NXDOMAIN, with the CNAME */
    ql = query(q, 0x5252, "ext.default.svc.cluster.local", ZK_DNS_A, -1);
    assert_int_equal(send(c, q, ql, 0), (ssize_t)ql);
    assert_true(pump(F->up, 3000));
    fl = sizeof(from);
    n = recvfrom(F->up, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
    assert_true(n > 12);
    uq.id = (uint16_t)(buf[0] << 8 | buf[1]);
    zk_dns_writer_init(&w, ans, sizeof(ans), &uq, ZK_DNS_NXDOMAIN, false);
    al = zk_dns_writer_finish(&w);
    assert_int_equal(sendto(F->up, ans, al, 0, (struct sockaddr *)&from, fl), (ssize_t)al);
    assert_true(pump(c, 3000));
    n = recv(c, buf, sizeof(buf), 0);
    a = parse(buf, (size_t)n);
    assert_int_equal(buf[0] << 8 | buf[1], 0x5252);
    assert_int_equal(a.rcode, ZK_DNS_NXDOMAIN);
    assert_int_equal(a.an, 1);
    assert_int_equal(a.rrs[0].type, ZK_DNS_CNAME);
    close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_a_and_nodata),
        cmocka_unit_test(test_headless_and_srv),
        cmocka_unit_test(test_pods_externalname_ptr),
        cmocka_unit_test(test_truncation_edns_badvers),
        cmocka_unit_test(test_udp_and_tcp_clients),
        cmocka_unit_test(test_forwarding_takes_only_the_right_answer),
        cmocka_unit_test(test_external_name_is_chased_upstream),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
