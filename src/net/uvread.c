/* zke: libh2o's TLS sockets take libuv's "nothing to read" for an error.
 *
 * libuv calls a read callback with nread == 0 when a read found the socket
 * empty (EAGAIN): "not an error or EOF", its documentation says. This
 * happens when one read filled the buffer exactly and the next found
 * nothing. The read callback libh2o 2.2 installs on TLS sockets (Debian's
 * build uses libuv) reports every nread <= 0 as "I/O error", so whoever
 * reads that socket — h2o's HTTP/1 layer, our upgraded connections, the
 * agent tunnel — closes a healthy connection; with unread bytes in it the
 * kernel resets it. A long upload over TLS (kubectl port-forward, exec
 * stdin, a large write) died that way now and then, more often on a loaded
 * machine.
 *
 * The repair: zke defines uv_read_start, so libh2o's calls reach this one
 * first (the executable comes first in symbol lookup). A read callback that
 * lives in libh2o is swapped for a wrapper that drops nread == 0 and hands
 * everything else over; then libuv's own uv_read_start runs. Callbacks
 * from anywhere else pass unchanged. docs/decisions/010-h2o-tls-reads.md
 * has the reasoning. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <h2o.h>
#include <uv.h>

#include "net/http.h"

typedef int (*read_start_fn)(uv_stream_t *, uv_alloc_cb, uv_read_cb);

#define WRAPPED_MAX 4     /* libh2o 2.2 has two stream read callbacks */
#define OTHERS_MAX 64     /* callbacks seen that are not libh2o's */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static read_start_fn real_read_start;
static void *h2o_base;                    /* where libh2o is loaded */
static uv_read_cb wrapped[WRAPPED_MAX];   /* libh2o's callbacks, by wrapper */
static int nwrapped;
static uv_read_cb others[OTHERS_MAX];
static int nothers;
static unsigned long dropped;             /* nread == 0 calls kept from libh2o */

#define WRAPPER(i)                                                                  \
    static void wrapper_##i(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)     \
    {                                                                               \
        if (nread == 0) {                                                           \
            __atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED);                      \
            return;                                                                 \
        }                                                                           \
        wrapped[i](s, nread, buf);                                                  \
    }
WRAPPER(0)
WRAPPER(1)
WRAPPER(2)
WRAPPER(3)
static const uv_read_cb wrappers[WRAPPED_MAX] = {wrapper_0, wrapper_1, wrapper_2, wrapper_3};

static bool in_h2o(uv_read_cb cb)
{
    Dl_info di;
    return h2o_base && dladdr((void *)cb, &di) && di.dli_fbase == h2o_base;
}

/* The callback to give libuv for cb (under lock). */
static uv_read_cb choose(uv_read_cb cb)
{
    for (int i = 0; i < nwrapped; i++)
        if (wrapped[i] == cb)
            return wrappers[i];
    for (int i = 0; i < nothers; i++)
        if (others[i] == cb)
            return cb;
    if (in_h2o(cb)) {
        if (nwrapped == WRAPPED_MAX)
            return cb;    /* not expected: libh2o as it was */
        wrapped[nwrapped] = cb;
        return wrappers[nwrapped++];
    }
    if (nothers < OTHERS_MAX)
        others[nothers++] = cb;
    return cb;
}

int uv_read_start(uv_stream_t *stream, uv_alloc_cb alloc_cb, uv_read_cb read_cb)
{
    pthread_mutex_lock(&lock);
    if (!real_read_start) {
        real_read_start = (read_start_fn)dlsym(RTLD_NEXT, "uv_read_start");
        Dl_info di;
        if (dladdr((void *)h2o_socket_read_start, &di))
            h2o_base = di.dli_fbase;
    }
    read_start_fn real = real_read_start;
    uv_read_cb cb = read_cb ? choose(read_cb) : read_cb;
    pthread_mutex_unlock(&lock);
    if (!real)
        abort();   /* no libuv behind us: nothing can work */
    return real(stream, alloc_cb, cb);
}

unsigned long zk_http_empty_reads_dropped(void)
{
    return __atomic_load_n(&dropped, __ATOMIC_RELAXED);
}
