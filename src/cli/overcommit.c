/* `zke overcommit report`: per namespace and per node, the sums of limits
 * and requests, the pods' actual usage (p95 over a window of samples of
 * metrics.k8s.io, which the node agents' stats answer), the effective
 * ratios (limits / requests, limits / usage) and a suggested ratio per
 * namespace. */
#include "cli/overcommit.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "cli/api.h"
#include "kube/quantity.h"

#define HEADROOM 1.25

static double qty(const json_t *v, bool cpu)
{
    zk_kube_quantity q;
    zk_err err = {0};
    if (!v || zk_kube_quantity_parse_json(v, &q, &err) < 0)
        return 0;
    int64_t out = 0;
    if (cpu)
        return zk_kube_quantity_milli(&q, &out, &err) < 0 ? 0 : (double)out / 1000.0;
    return zk_kube_quantity_value(&q, &out, &err) < 0 ? 0 : (double)out;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const zk_oc_row *)a)->key, ((const zk_oc_row *)b)->key);
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p95 of a list of numbers (nearest rank) */
static double p95(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), dcmp);
    size_t rank = (size_t)ceil(0.95 * (double)n);
    return v[rank ? rank - 1 : 0];
}

zk_oc_row *zk_oc_rows(json_t *const *pods, size_t npods, const json_t *samples, bool by_node,
                      size_t *n)
{
    zk_oc_row *rows = NULL;
    *n = 0;
    static const char *const rn[] = {"cpu", "memory"};
    for (size_t i = 0; i < npods; i++) {
        const json_t *p = pods[i];
        const char *phase = zk_json_path_str(p, "status", "phase", NULL);
        if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
            continue;
        const char *key = by_node ? zk_json_path_str(p, "spec", "nodeName", NULL)
                                  : zk_json_path_str(p, "metadata", "namespace", NULL);
        if (!key || !*key)
            key = by_node ? "(not scheduled)" : "";
        zk_oc_row *r = NULL;
        for (size_t k = 0; k < *n; k++)
            if (!strcmp(rows[k].key, key))
                r = &rows[k];
        if (!r) {
            rows = zk_xrealloc(rows, (*n + 1) * sizeof(*rows));
            r = &rows[(*n)++];
            memset(r, 0, sizeof(*r));
            snprintf(r->key, sizeof(r->key), "%s", key);
            r->p95[0] = r->p95[1] = -1;
        }
        r->pods++;
        size_t j;
        json_t *c;
        json_array_foreach(zk_json_path(p, "spec", "containers", NULL), j, c) {
            for (int k = 0; k < 2; k++) {
                r->lim[k] += qty(zk_json_path(c, "resources", "limits", rn[k], NULL), k == 0);
                r->req[k] += qty(zk_json_path(c, "resources", "requests", rn[k], NULL), k == 0);
            }
        }
        char pk[600];
        snprintf(pk, sizeof(pk), "%s/%s", zk_json_path_str(p, "metadata", "namespace", NULL) ?: "",
                 zk_json_path_str(p, "metadata", "name", NULL) ?: "");
        json_t *list = json_object_get(samples, pk);
        size_t ns = json_array_size(list);
        if (!ns)
            continue;
        double *v = zk_xcalloc(ns, sizeof(*v));
        for (int k = 0; k < 2; k++) {
            for (size_t s = 0; s < ns; s++)
                v[s] = json_number_value(json_array_get(json_array_get(list, s), (size_t)k));
            if (r->p95[k] < 0)
                r->p95[k] = 0;
            r->p95[k] += p95(v, ns);
        }
        free(v);
    }
    qsort(rows, *n, sizeof(*rows), by_key);
    return rows;
}

double zk_oc_suggest(const zk_oc_row *r, int res)
{
    if (r->p95[res] <= 0 || r->lim[res] <= 0)
        return 0;
    double s = r->lim[res] / (r->p95[res] * HEADROOM);
    double max = res == 0 ? 20 : 4;
    if (s < 1)
        s = 1;
    if (s > max)
        s = max;
    return floor(s * 2) / 2;
}

/* ---- printing ---- */

static void fmt_cpu(char *out, size_t n, double cores)
{
    if (cores < 0)
        snprintf(out, n, "-");
    else if (cores < 10)
        snprintf(out, n, "%.0fm", cores * 1000);
    else
        snprintf(out, n, "%.1f", cores);
}

static void fmt_mem(char *out, size_t n, double bytes)
{
    if (bytes < 0)
        snprintf(out, n, "-");
    else if (bytes >= 1024.0 * 1024 * 1024)
        snprintf(out, n, "%.1fGi", bytes / (1024.0 * 1024 * 1024));
    else
        snprintf(out, n, "%.0fMi", bytes / (1024.0 * 1024));
}

static void fmt_ratio(char *out, size_t n, double a, double b)
{
    if (a <= 0 || b <= 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.1f", a / b);
}

static void print_rows(const char *title, const zk_oc_row *rows, size_t n, bool suggest)
{
    printf("%-24s %5s %9s %9s %9s %7s %7s %9s %9s %9s %7s %7s%s\n", title, "PODS", "CPU-LIM",
           "CPU-REQ", "CPU-P95", "LIM/REQ", "LIM/USE", "MEM-LIM", "MEM-REQ", "MEM-P95", "LIM/REQ",
           "LIM/USE", suggest ? "  SUGGESTED (cpu, memory)" : "");
    for (size_t i = 0; i < n; i++) {
        const zk_oc_row *r = &rows[i];
        char c[3][32], m[3][32], rc[2][16], rm[2][16];
        fmt_cpu(c[0], 32, r->lim[0]);
        fmt_cpu(c[1], 32, r->req[0]);
        fmt_cpu(c[2], 32, r->p95[0]);
        fmt_mem(m[0], 32, r->lim[1]);
        fmt_mem(m[1], 32, r->req[1]);
        fmt_mem(m[2], 32, r->p95[1]);
        fmt_ratio(rc[0], 16, r->lim[0], r->req[0]);
        fmt_ratio(rc[1], 16, r->lim[0], r->p95[0]);
        fmt_ratio(rm[0], 16, r->lim[1], r->req[1]);
        fmt_ratio(rm[1], 16, r->lim[1], r->p95[1]);
        printf("%-24.24s %5d %9s %9s %9s %7s %7s %9s %9s %9s %7s %7s", r->key, r->pods, c[0], c[1],
               c[2], rc[0], rc[1], m[0], m[1], m[2], rm[0], rm[1]);
        if (suggest) {
            double sc = zk_oc_suggest(r, 0), sm = zk_oc_suggest(r, 1);
            if (sc > 0 || sm > 0)
                printf("  cpu %g, memory %g", sc, sm);
            else
                printf("  - (no usage seen)");
        }
        printf("\n");
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke overcommit report [-n NS | -A] [--window 60s] [--interval 5s]\n"
            "                             [--kubeconfig FILE]\n"
            "\n"
            "Per namespace and per node: the sums of limits and requests, the pods' usage\n"
            "(p95 of samples of metrics.k8s.io over the window), the effective ratios\n"
            "(limits/requests, limits/usage), and a ratio to suggest per namespace:\n"
            "limits / (p95 x 1.25), 1 to 20 for cpu and 1 to 4 for memory.\n");
}

static int64_t seconds(const char *flag, const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || n < 0 || (*end && strcmp(end, "s"))) {
        fprintf(stderr, "zke overcommit: %s: \"%s\" is not a number of seconds (\"30s\")\n", flag,
                v);
        return -1;
    }
    return n;
}

int zk_cli_overcommit_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "report")) {
        usage(argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? stdout
                                                                                    : stderr);
        return argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 2;
    }
    static const struct option longopts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", no_argument, NULL, 'A'},
        {"window", required_argument, NULL, 'w'},
        {"interval", required_argument, NULL, 'i'},
        {"kubeconfig", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *ns = NULL, *kubeconfig = NULL;
    int64_t window = 60, interval = 5;
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "n:Ah", longopts, NULL)) != -1) {
        switch (ch) {
        case 'n': ns = optarg; break;
        case 'A': ns = NULL; break;
        case 'w': if ((window = seconds("--window", optarg)) < 0) return 2; break;
        case 'i': if ((interval = seconds("--interval", optarg)) < 1) return 2; break;
        case 'K': kubeconfig = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    zk_err err = {0};
    zk_cli_api api;
    if (zk_cli_api_open(&api, kubeconfig, "zke-overcommit/" ZK_VERSION, &err) < 0) {
        fprintf(stderr, "zke overcommit: %s\n", err.msg);
        return 1;
    }
    char pods_path[512], metrics_path[512], msg[512];
    if (ns) {
        snprintf(pods_path, sizeof(pods_path), "/api/v1/namespaces/%s/pods", ns);
        snprintf(metrics_path, sizeof(metrics_path),
                 "/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods", ns);
    } else {
        snprintf(pods_path, sizeof(pods_path), "/api/v1/pods");
        snprintf(metrics_path, sizeof(metrics_path), "/apis/metrics.k8s.io/v1beta1/pods");
    }
    json_t *podlist = NULL;
    int code = zk_cli_api_call(&api, "GET", pods_path, NULL, &podlist, msg, sizeof(msg));
    if (code != 200) {
        fprintf(stderr, "zke overcommit: listing pods: %s (HTTP %d)\n", msg, code);
        json_decref(podlist);
        zk_cli_api_close(&api);
        return 1;
    }
    /* usage samples over the window */
    json_t *samples = json_object();
    int64_t end = zk_mono_ms() + window * 1000;
    int taken = 0, failed = 0;
    for (;;) {
        json_t *m = NULL;
        code = zk_cli_api_call(&api, "GET", metrics_path, NULL, &m, msg, sizeof(msg));
        if (code == 200) {
            taken++;
            size_t i;
            json_t *pm;
            json_array_foreach(json_object_get(m, "items"), i, pm) {
                double cpu = 0, mem = 0;
                size_t j;
                json_t *c;
                json_array_foreach(json_object_get(pm, "containers"), j, c) {
                    cpu += qty(zk_json_path(c, "usage", "cpu", NULL), true);
                    mem += qty(zk_json_path(c, "usage", "memory", NULL), false);
                }
                char key[600];
                snprintf(key, sizeof(key), "%s/%s",
                         zk_json_path_str(pm, "metadata", "namespace", NULL) ?: "",
                         zk_json_path_str(pm, "metadata", "name", NULL) ?: "");
                json_t *list = json_object_get(samples, key);
                if (!list) {
                    list = json_array();
                    json_object_set_new(samples, key, list);
                }
                json_array_append_new(list, json_pack("[f,f]", cpu, mem));
            }
        } else {
            failed++;
        }
        json_decref(m);
        if ((int64_t)zk_mono_ms() + interval * 1000 > end)
            break;
        usleep((useconds_t)(interval * 1000000));
    }
    json_t *items = json_object_get(podlist, "items");
    size_t np = json_array_size(items);
    json_t **pods = zk_xcalloc(np ? np : 1, sizeof(*pods));
    for (size_t i = 0; i < np; i++)
        pods[i] = json_array_get(items, i);
    size_t nns = 0, nnodes = 0;
    zk_oc_row *by_ns = zk_oc_rows(pods, np, samples, false, &nns);
    zk_oc_row *by_node = zk_oc_rows(pods, np, samples, true, &nnodes);
    printf("usage: %d sample%s over %llds%s\n\n", taken, taken == 1 ? "" : "s",
           (long long)window,
           taken ? "" : failed ? " (metrics.k8s.io did not answer: usage columns are empty)" : "");
    print_rows("NAMESPACE", by_ns, nns, true);
    printf("\n");
    print_rows("NODE", by_node, nnodes, false);
    free(by_ns);
    free(by_node);
    free(pods);
    json_decref(samples);
    json_decref(podlist);
    zk_cli_api_close(&api);
    return 0;
}
