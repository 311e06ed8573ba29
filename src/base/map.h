/* zke base: a string-keyed hash map (open addressing, linear probing).
 *
 * Keys are copied into the map; values are opaque pointers the caller owns.
 * Not thread-safe: one map belongs to one thread. */
#ifndef ZK_BASE_MAP_H
#define ZK_BASE_MAP_H

#include <stddef.h>

typedef struct zk_map zk_map;

zk_map *zk_map_new(void);
/* Free the map and its key copies; values are not touched. */
void zk_map_free(zk_map *m);
size_t zk_map_count(const zk_map *m);
void *zk_map_get(const zk_map *m, const char *key);
/* Insert or replace; returns the previous value or NULL. */
void *zk_map_put(zk_map *m, const char *key, void *value);
/* Remove; returns the removed value or NULL. */
void *zk_map_del(zk_map *m, const char *key);

/* Iterate: start with *pos = 0; returns 0 at the end. Do not modify the
 * map during iteration. */
int zk_map_next(const zk_map *m, size_t *pos, const char **key, void **value);

#endif
