/* zke scheduler: a string -> int64 counter table for one scheduling cycle.
 *
 * Plugins count pods per topology domain ("zone=a", "kubernetes.io/
 * hostname=n1") while they prepare a cycle. The table is cleared between
 * cycles without giving its memory back, so a busy scheduler does not
 * allocate per pod. An entry that exists with count 0 is different from a
 * missing one (a spread domain with no matching pods). */
#ifndef ZK_SCHED_COUNTS_H
#define ZK_SCHED_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zk_sched_counts zk_sched_counts;

zk_sched_counts *zk_sched_counts_new(void);
void zk_sched_counts_free(zk_sched_counts *t);
void zk_sched_counts_clear(zk_sched_counts *t);
size_t zk_sched_counts_size(const zk_sched_counts *t);

/* The counter of key (klen bytes), made with 0 when missing. The pointer
 * is valid until the next insertion. */
int64_t *zk_sched_counts_slot(zk_sched_counts *t, const char *key, size_t klen);
/* The counter of key, or NULL when missing. */
int64_t *zk_sched_counts_find(const zk_sched_counts *t, const char *key, size_t klen);
/* Iterate: start with *pos = 0. */
bool zk_sched_counts_next(const zk_sched_counts *t, size_t *pos, const char **key,
                          size_t *klen, int64_t *value);

/* "key=value" into buf (a topology pair; label keys cannot hold '=');
 * returns the length, or 0 when it does not fit. */
size_t zk_sched_pair(char *buf, size_t n, const char *key, const char *value);

#endif
