/* zke base: allocation and scope-bound cleanup.
 *
 * zk_x* allocators abort on allocation failure (the only abort besides broken
 * invariants). The zk_auto* attributes free a resource when its variable goes
 * out of scope; zk_steal() hands ownership on and leaves NULL behind. */
#ifndef ZK_BASE_MEM_H
#define ZK_BASE_MEM_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void *zk_xmalloc(size_t n);
void *zk_xcalloc(size_t count, size_t size);
void *zk_xrealloc(void *p, size_t n);
char *zk_xstrdup(const char *s);
char *zk_xstrndup(const char *s, size_t n);
char *zk_xmemdupz(const void *s, size_t n);
/* printf into a new string; aborts on allocation failure. */
char *zk_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void zk__freep(void *p) { free(*(void **)p); }
static inline void zk__closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void zk__fclosep(FILE **f) { if (*f) fclose(*f); }

#define zk_autofree __attribute__((cleanup(zk__freep)))
#define zk_autoclose __attribute__((cleanup(zk__closep)))
#define zk_autofclose __attribute__((cleanup(zk__fclosep)))

/* Return *pp and set it to NULL: ownership moves to the caller. */
#define zk_steal(pp) ({ __typeof__(*(pp)) zk__tmp = *(pp); *(pp) = NULL; zk__tmp; })

#define ZK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
