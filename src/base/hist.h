/* zke base: latency histograms with fixed buckets, printed in Prometheus'
 * text format. Not thread-safe: one histogram belongs to one thread, or to
 * whoever holds the lock that guards it. */
#ifndef ZK_BASE_HIST_H
#define ZK_BASE_HIST_H

#include <stdint.h>

#include "base/buf.h"

/* Upper bounds, in seconds, of the buckets below +Inf. */
#define ZK_HIST_BOUNDS {0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0}
#define ZK_HIST_NB 11

typedef struct zk_hist {
    uint64_t counts[ZK_HIST_NB + 1]; /* per bucket, not cumulative; last is +Inf */
    uint64_t n;
    double sum;                      /* seconds */
} zk_hist;

void zk_hist_add(zk_hist *h, double seconds);
/* Append "# HELP", "# TYPE" and the _bucket/_sum/_count lines of name. */
int zk_hist_print(zk_buf *b, const char *name, const char *help, const zk_hist *h);

/* Monotonic time in nanoseconds, for durations. */
uint64_t zk_hist_now_ns(void);

#endif
