/* zke scheduler: the per-cycle counter table (open addressing, keys kept
 * in one growing buffer). */
#include "scheduler/counts.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

typedef struct entry {
    uint64_t hash;   /* 0 = empty slot */
    uint32_t off, len;
    int64_t value;
} entry;

struct zk_sched_counts {
    entry *slots;
    size_t cap, n;
    char *keys;
    size_t keys_len, keys_cap;
};

static uint64_t hash_of(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

zk_sched_counts *zk_sched_counts_new(void)
{
    zk_sched_counts *t = zk_xcalloc(1, sizeof(*t));
    t->cap = 16;
    t->slots = zk_xcalloc(t->cap, sizeof(*t->slots));
    return t;
}

void zk_sched_counts_free(zk_sched_counts *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->keys);
    free(t);
}

void zk_sched_counts_clear(zk_sched_counts *t)
{
    if (t->n)
        memset(t->slots, 0, t->cap * sizeof(*t->slots));
    t->n = 0;
    t->keys_len = 0;
}

size_t zk_sched_counts_size(const zk_sched_counts *t)
{
    return t->n;
}

static entry *lookup(const zk_sched_counts *t, const char *key, size_t klen, uint64_t h)
{
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        entry *e = &t->slots[i];
        if (!e->hash)
            return e;
        if (e->hash == h && e->len == klen && !memcmp(t->keys + e->off, key, klen))
            return e;
    }
}

static void grow(zk_sched_counts *t)
{
    entry *old = t->slots;
    size_t old_cap = t->cap;
    t->cap *= 2;
    t->slots = zk_xcalloc(t->cap, sizeof(*t->slots));
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].hash)
            continue;
        entry *e = lookup(t, t->keys + old[i].off, old[i].len, old[i].hash);
        *e = old[i];
    }
    free(old);
}

int64_t *zk_sched_counts_slot(zk_sched_counts *t, const char *key, size_t klen)
{
    uint64_t h = hash_of(key, klen);
    entry *e = lookup(t, key, klen, h);
    if (e->hash)
        return &e->value;
    if ((t->n + 1) * 4 > t->cap * 3) {
        grow(t);
        e = lookup(t, key, klen, h);
    }
    if (t->keys_len + klen + 1 > t->keys_cap) {
        t->keys_cap = (t->keys_len + klen + 1) * 2;
        t->keys = zk_xrealloc(t->keys, t->keys_cap);
    }
    memcpy(t->keys + t->keys_len, key, klen);
    t->keys[t->keys_len + klen] = 0;
    e->hash = h;
    e->off = (uint32_t)t->keys_len;
    e->len = (uint32_t)klen;
    e->value = 0;
    t->keys_len += klen + 1;
    t->n++;
    return &e->value;
}

int64_t *zk_sched_counts_find(const zk_sched_counts *t, const char *key, size_t klen)
{
    if (!t->n)
        return NULL;
    entry *e = lookup(t, key, klen, hash_of(key, klen));
    return e->hash ? &e->value : NULL;
}

bool zk_sched_counts_next(const zk_sched_counts *t, size_t *pos, const char **key,
                          size_t *klen, int64_t *value)
{
    while (*pos < t->cap) {
        entry *e = &t->slots[(*pos)++];
        if (!e->hash)
            continue;
        *key = t->keys + e->off;
        *klen = e->len;
        *value = e->value;
        return true;
    }
    return false;
}

size_t zk_sched_pair(char *buf, size_t n, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value);
    if (kl + vl + 2 > n)
        return 0;
    memcpy(buf, key, kl);
    buf[kl] = '=';
    memcpy(buf + kl + 1, value, vl);
    buf[kl + 1 + vl] = 0;
    return kl + 1 + vl;
}
