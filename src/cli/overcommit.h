/* zke cli: `zke overcommit report`, what overcommit does on a cluster. */
#ifndef ZK_CLI_OVERCOMMIT_H
#define ZK_CLI_OVERCOMMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

int zk_cli_overcommit_main(int argc, char **argv);

/* ---- the arithmetic (for tests) ---- */

typedef struct zk_oc_row {
    char key[256];             /* namespace or node */
    int pods;
    double lim[2], req[2];     /* cpu in cores, memory in bytes: sums */
    double p95[2];             /* sum of the pods' p95 usage; < 0: no samples */
} zk_oc_row;

/* Rows by namespace (by_node false) or by node of the pods (running or
 * pending, not terminal), with usage from samples: {"ns/pod": [[cpu,
 * mem], ...]} (cores, bytes). Sorted by key; *n rows; caller frees. */
zk_oc_row *zk_oc_rows(json_t *const *pods, size_t npods, const json_t *samples, bool by_node,
                      size_t *n);

/* The ratio to suggest for a resource (0 cpu, 1 memory) from what a row's
 * pods are limited to and use at p95: limits / (p95 x 1.25), at least 1,
 * at most 20 (cpu) or 4 (memory), rounded down to a half; 0 when there is
 * no usage to go by. */
double zk_oc_suggest(const zk_oc_row *r, int res);

#endif
