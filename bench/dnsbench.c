/* The cluster DNS's cache path, without the network: the same informers
 * and the same zk_dns_answer a node agent uses, called in a loop on the
 * names given. Prints "answers/s p50_us p99_us".
 *
 *   dnsbench KUBECONFIG SECONDS NAME...
 *
 * Built by meson (build/bench_dns); run by bench/svcbench.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/log.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "proxy/dns.h"
#include "proxy/proxy.h"
#include "proxy/dnsmsg.h"

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: dnsbench KUBECONFIG SECONDS NAME...\n");
        return 2;
    }
    zk_log_set_level(ZK_LOG_WARN);
    zk_err err = {0};
    zk_kube_config cfg = {0};
    if (zk_kube_config_load(argv[1], &cfg, &err) < 0) {
        fprintf(stderr, "dnsbench: %s\n", err.msg);
        return 1;
    }
    uv_loop_t *loop = uv_default_loop();
    zk_kube_client *c = zk_kube_client_new(loop, &cfg, &err);
    if (!c) {
        fprintf(stderr, "dnsbench: %s\n", err.msg);
        return 1;
    }
    zk_kube_informer *svcs = zk_kube_informer_new(c, &zk_kube_services, NULL, NULL, NULL);
    zk_kube_informer *slices = zk_kube_informer_new(c, &zk_kube_endpointslices, NULL, NULL, NULL);
    zk_kube_informer_add_index(slices, "svc", zk_proxy_slice_index);
    zk_kube_informer_start(svcs);
    zk_kube_informer_start(slices);
    uint64_t t0 = now_ns();
    while (!zk_kube_informer_synced(svcs) || !zk_kube_informer_synced(slices)) {
        uv_run(loop, UV_RUN_ONCE);
        if (now_ns() - t0 > 30000000000u) {
            fprintf(stderr, "dnsbench: the caches did not sync in 30 s\n");
            return 1;
        }
    }
    zk_dns_opts o = {.addr = "127.0.0.1", .port = 0, .upstreams = "127.0.0.1:9"};
    /* port 0 means 53 to zk_dns_new: bind a free one instead */
    o.port = 20000 + (int)(now_ns() % 20000);
    zk_dns *d = zk_dns_new(loop, svcs, slices, &o, &err);
    if (!d) {
        fprintf(stderr, "dnsbench: %s\n", err.msg);
        return 1;
    }
    int nnames = argc - 3;
    uint8_t (*qs)[512] = calloc((size_t)nnames, 512);
    size_t *qlen = calloc((size_t)nnames, sizeof(*qlen));
    for (int i = 0; i < nnames; i++) {
        uint8_t *q = qs[i];
        memset(q, 0, 12);
        q[0] = 0x12, q[1] = 0x34, q[2] = 0x01, q[5] = 1;   /* RD, one question */
        int n = zk_dns_name_encode(argv[3 + i], q + 12);
        if (n < 0) {
            fprintf(stderr, "dnsbench: bad name %s\n", argv[3 + i]);
            return 2;
        }
        q[12 + n] = 0, q[13 + n] = 1, q[14 + n] = 0, q[15 + n] = 1;   /* A, IN */
        qlen[i] = (size_t)n + 16;
    }
    double secs = atof(argv[2]);
    size_t cap = 1u << 22, n = 0;
    uint64_t *lat = malloc(cap * sizeof(*lat));
    uint8_t out[4096];
    uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9);
    size_t bad = 0;
    while (n < cap) {
        uint64_t a = now_ns();
        if (a >= end)
            break;
        size_t len = 0;
        int i = (int)(n % (size_t)nnames);
        if (zk_dns_answer(d, qs[i], qlen[i], false, out, sizeof(out), &len) != ZK_DNS_REPLY ||
            (out[3] & 0x0f) != 0)
            bad++;
        lat[n++] = now_ns() - a;
    }
    double took = (double)(now_ns() - start) / 1e9;
    qsort(lat, n, sizeof(*lat), cmp);
    printf("%.0f %.2f %.2f %zu\n", (double)n / took, (double)lat[n / 2] / 1000.0,
           (double)lat[n * 99 / 100] / 1000.0, bad);
    zk_dns_free(d);
    return bad ? 1 : 0;
}
