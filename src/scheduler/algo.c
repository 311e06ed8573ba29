/* zke scheduler: filter, score and select for one pod. */
#include "scheduler/algo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#define MIN_FEASIBLE 100
#define MIN_PERCENT 5

size_t zk_sched_num_to_find(size_t n, int32_t percentage)
{
    if (n < MIN_FEASIBLE)
        return n;
    int64_t pct = percentage;
    if (pct <= 0) {
        pct = 50 - (int64_t)n / 125;
        if (pct < MIN_PERCENT)
            pct = MIN_PERCENT;
    }
    if (pct >= 100)
        return n;
    size_t k = n * (size_t)pct / 100;
    return k < MIN_FEASIBLE ? MIN_FEASIBLE : k;
}

void zk_sched_algo_init(zk_sched_algo *a, zk_sched_cache *cache, int32_t percentage,
                        uint64_t seed)
{
    memset(a, 0, sizeof(*a));
    a->cache = cache;
    a->percentage = percentage;
    a->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
    zk_sched_cycle_init(&a->cy, cache);
}

static void hist_clear(zk_sched_algo *a)
{
    for (size_t i = 0; i < a->n_hist; i++)
        free(a->hist[i].text);
    a->n_hist = 0;
}

void zk_sched_algo_fini(zk_sched_algo *a)
{
    zk_sched_cycle_fini(&a->cy);
    hist_clear(a);
    free(a->hist);
    free(a->feasible);
    free(a->scores);
    free(a->total);
    free(a->message);
    memset(a, 0, sizeof(*a));
}

static uint64_t rng_next(zk_sched_algo *a)
{
    /* xorshift64* */
    uint64_t x = a->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    a->rng = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static void hist_add(zk_sched_algo *a, const char *reason)
{
    for (size_t i = 0; i < a->n_hist; i++)
        if (!strcmp(a->hist[i].text, reason)) {
            a->hist[i].count++;
            return;
        }
    if (a->n_hist == a->cap_hist) {
        a->cap_hist = a->cap_hist ? a->cap_hist * 2 : 8;
        a->hist = zk_xrealloc(a->hist, a->cap_hist * sizeof(*a->hist));
    }
    a->hist[a->n_hist].text = zk_xstrdup(reason);
    a->hist[a->n_hist++].count = 1;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* "0/N nodes are available: 2 Insufficient cpu, 3 node(s) had ...." */
static void fit_message(zk_sched_algo *a, size_t n_nodes)
{
    char **items = zk_xcalloc(a->n_hist ? a->n_hist : 1, sizeof(char *));
    for (size_t i = 0; i < a->n_hist; i++)
        items[i] = zk_xasprintf("%zu %s", a->hist[i].count, a->hist[i].text);
    qsort(items, a->n_hist, sizeof(char *), cmp_str);
    size_t len = 64;
    for (size_t i = 0; i < a->n_hist; i++)
        len += strlen(items[i]) + 2;
    char *msg = zk_xmalloc(len);
    size_t off = (size_t)snprintf(msg, len, "0/%zu nodes are available:", n_nodes);
    for (size_t i = 0; i < a->n_hist; i++) {
        off += (size_t)snprintf(msg + off, len - off, "%s%s", i ? ", " : " ", items[i]);
        free(items[i]);
    }
    snprintf(msg + off, len - off, ".");
    free(items);
    free(a->message);
    a->message = msg;
}

static void ensure_cap(zk_sched_algo *a, size_t n)
{
    if (n <= a->cap)
        return;
    a->cap = n;
    a->feasible = zk_xrealloc(a->feasible, n * sizeof(*a->feasible));
    a->scores = zk_xrealloc(a->scores, n * sizeof(*a->scores));
    a->total = zk_xrealloc(a->total, n * sizeof(*a->total));
}

void zk_sched_algo_run(zk_sched_algo *a, const zk_sched_pod *p, zk_sched_result *res)
{
    memset(res, 0, sizeof(*res));
    zk_sched_cache *c = a->cache;
    size_t n = c->n_nodes;
    if (n == 0) {
        free(a->message);
        a->message = zk_xstrdup("no nodes available to schedule pods");
        res->message = a->message;
        return;
    }
    ensure_cap(a, n);
    hist_clear(a);
    zk_sched_cycle *cy = &a->cy;
    zk_sched_cycle_begin(cy, p);

    size_t want = zk_sched_num_to_find(n, a->percentage);
    size_t found = 0, i;
    size_t start = a->next_start % n;
    zk_sched_reasons r;
    for (i = 0; i < n && found < want; i++) {
        zk_sched_node *node = c->nodes[(start + i) % n];
        bool ok = true;
        for (size_t k = 0; k < zk_sched_n_plugins && ok; k++) {
            const zk_sched_plugin *pl = &zk_sched_plugins[k];
            if (!pl->filter)
                continue;
            r.n = 0;
            r.used = 0;
            if (!pl->filter(cy, node, &r)) {
                ok = false;
                res->rejected |= pl->bit;
                for (size_t j = 0; j < r.n; j++)
                    hist_add(a, r.r[j]);
            }
        }
        if (ok)
            a->feasible[found++] = node;
    }
    a->next_start = (start + i) % n;
    res->evaluated = i;
    res->feasible = found;
    if (found == 0) {
        fit_message(a, n);
        res->message = a->message;
        return;
    }
    if (found == 1) {
        res->node = a->feasible[0];
        return;
    }
    memset(a->total, 0, found * sizeof(*a->total));
    for (size_t k = 0; k < zk_sched_n_plugins; k++) {
        const zk_sched_plugin *pl = &zk_sched_plugins[k];
        if (!pl->weight || !pl->score)
            continue;
        zk_sched_score(cy, pl, a->feasible, found, a->scores);
        for (size_t j = 0; j < found; j++)
            a->total[j] += (int64_t)pl->weight * a->scores[j];
    }
    /* the best score; among equals, each is equally likely (reservoir) */
    size_t best = 0, ties = 1;
    for (size_t j = 1; j < found; j++) {
        if (a->total[j] > a->total[best]) {
            best = j;
            ties = 1;
        } else if (a->total[j] == a->total[best]) {
            ties++;
            if (rng_next(a) % ties == 0)
                best = j;
        }
    }
    res->node = a->feasible[best];
}
