#include "base/hist.h"

#include <time.h>

static const double zk__bounds[ZK_HIST_NB] = ZK_HIST_BOUNDS;

void zk_hist_add(zk_hist *h, double seconds)
{
    size_t i = 0;
    while (i < ZK_HIST_NB && seconds > zk__bounds[i])
        i++;
    h->counts[i]++;
    h->n++;
    h->sum += seconds;
}

int zk_hist_print(zk_buf *b, const char *name, const char *help, const zk_hist *h)
{
    int rc = zk_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i < ZK_HIST_NB && rc == 0; i++) {
        cum += h->counts[i];
        rc = zk_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, zk__bounds[i],
                           (unsigned long long)cum);
    }
    if (rc == 0)
        rc = zk_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
                           (unsigned long long)h->n, name, h->sum, name,
                           (unsigned long long)h->n);
    return rc;
}

uint64_t zk_hist_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
