#include "base/map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

typedef struct zk_map_slot {
    char *key;      /* NULL = empty; ZK_MAP_TOMB = deleted */
    void *value;
    uint64_t hash;
} zk_map_slot;

struct zk_map {
    zk_map_slot *slots;
    size_t cap;     /* power of two */
    size_t count;
    size_t used;    /* count + tombstones */
};

static char zk__map_tomb;
#define ZK_MAP_TOMB (&zk__map_tomb)

static uint64_t zk__map_hash(const char *s)
{
    /* FNV-1a, 64 bit */
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

zk_map *zk_map_new(void)
{
    zk_map *m = zk_xcalloc(1, sizeof(*m));
    m->cap = 16;
    m->slots = zk_xcalloc(m->cap, sizeof(zk_map_slot));
    return m;
}

void zk_map_free(zk_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != ZK_MAP_TOMB)
            free(m->slots[i].key);
    free(m->slots);
    free(m);
}

size_t zk_map_count(const zk_map *m)
{
    return m->count;
}

static zk_map_slot *zk__map_find(const zk_map *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        zk_map_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != ZK_MAP_TOMB && s->hash == h && !strcmp(s->key, key))
            return s;
    }
}

static void zk__map_grow(zk_map *m)
{
    size_t ncap = m->count * 4 > m->cap ? m->cap * 2 : m->cap;
    zk_map_slot *old = m->slots;
    size_t ocap = m->cap;
    m->slots = zk_xcalloc(ncap, sizeof(zk_map_slot));
    m->cap = ncap;
    m->used = m->count;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].key || old[i].key == ZK_MAP_TOMB)
            continue;
        size_t mask = ncap - 1;
        size_t j = old[i].hash & mask;
        while (m->slots[j].key)
            j = (j + 1) & mask;
        m->slots[j] = old[i];
    }
    free(old);
}

void *zk_map_get(const zk_map *m, const char *key)
{
    zk_map_slot *s = zk__map_find(m, key, zk__map_hash(key));
    return s ? s->value : NULL;
}

void *zk_map_put(zk_map *m, const char *key, void *value)
{
    uint64_t h = zk__map_hash(key);
    zk_map_slot *s = zk__map_find(m, key, h);
    if (s) {
        void *prev = s->value;
        s->value = value;
        return prev;
    }
    if ((m->used + 1) * 4 >= m->cap * 3)
        zk__map_grow(m);
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (m->slots[i].key && m->slots[i].key != ZK_MAP_TOMB)
        i = (i + 1) & mask;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i].key = zk_xstrdup(key);
    m->slots[i].value = value;
    m->slots[i].hash = h;
    m->count++;
    return NULL;
}

void *zk_map_del(zk_map *m, const char *key)
{
    zk_map_slot *s = zk__map_find(m, key, zk__map_hash(key));
    if (!s)
        return NULL;
    void *prev = s->value;
    free(s->key);
    s->key = ZK_MAP_TOMB;
    s->value = NULL;
    m->count--;
    return prev;
}

int zk_map_next(const zk_map *m, size_t *pos, const char **key, void **value)
{
    while (*pos < m->cap) {
        zk_map_slot *s = &m->slots[(*pos)++];
        if (s->key && s->key != ZK_MAP_TOMB) {
            if (key)
                *key = s->key;
            if (value)
                *value = s->value;
            return 1;
        }
    }
    return 0;
}
