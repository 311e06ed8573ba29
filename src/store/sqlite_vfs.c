/* zke store: a SQLite VFS shim that paces checkpoint writes.
 *
 * In WAL mode the database file itself is written only by checkpoints,
 * which copy megabytes of pages at once and then fsync them. A commit's
 * fdatasync of the WAL issues a device cache flush, and that flush waits for
 * whatever the checkpoint has in flight: measured with `perf trace`, each
 * slow commit (10-25 ms against a usual 0.3 ms) sat beside a checkpoint's
 * fsync of the database. So, as PostgreSQL does with checkpoint_flush_after,
 * writes to a main database file are pushed to the disk in small pieces as
 * they are made (sync_file_range, waiting for each piece), which leaves a
 * concurrent commit at most one piece to wait behind, and the final fsync
 * little to do. Durability is unchanged: SQLite's own xSync still runs, and
 * sync_file_range here only starts writeback early.
 *
 * Everything else is forwarded to the default VFS ("unix"). */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_vfs.h"

/* Bytes of checkpoint writes between two waits for writeback. */
#define ZK_SQV_FLUSH_AFTER (256 << 10)

typedef struct zk_sqv_file {
    sqlite3_file base;           /* our methods */
    sqlite3_file *real;          /* the default VFS's file, just after us */
    int fd;                      /* own descriptor of a main database file, else -1 */
    sqlite3_int64 lo, hi;        /* written range not yet pushed out */
} zk_sqv_file;

static sqlite3_vfs *zk_sqv__base;
static atomic_ulong zk_sqv__pushes;

static void zk_sqv__push(zk_sqv_file *f)
{
    if (f->fd < 0 || f->hi <= f->lo)
        return;
    /* A failure only means the writeback happens later, in xSync. */
    if (sync_file_range(f->fd, f->lo, f->hi - f->lo,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                            SYNC_FILE_RANGE_WAIT_AFTER) == 0)
        atomic_fetch_add_explicit(&zk_sqv__pushes, 1, memory_order_relaxed);
    f->lo = f->hi = 0;
}

static int zk_sqv__close(sqlite3_file *file)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    int rc = f->real->pMethods->xClose(f->real);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    return rc;
}

static int zk_sqv__read(sqlite3_file *file, void *buf, int n, sqlite3_int64 off)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xRead(f->real, buf, n, off);
}

static int zk_sqv__write(sqlite3_file *file, const void *buf, int n, sqlite3_int64 off)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    int rc = f->real->pMethods->xWrite(f->real, buf, n, off);
    if (rc != SQLITE_OK || f->fd < 0)
        return rc;
    /* Checkpoints write pages in ascending order: extend the pending range
     * while they are contiguous, push it when it is big or they are not. */
    if (f->hi > f->lo && (off < f->lo || off > f->hi))
        zk_sqv__push(f);
    if (f->hi <= f->lo)
        f->lo = f->hi = off;
    if (off + n > f->hi)
        f->hi = off + n;
    if (f->hi - f->lo >= ZK_SQV_FLUSH_AFTER)
        zk_sqv__push(f);
    return SQLITE_OK;
}

static int zk_sqv__truncate(sqlite3_file *file, sqlite3_int64 size)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int zk_sqv__sync(sqlite3_file *file, int flags)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    f->lo = f->hi = 0;
    return f->real->pMethods->xSync(f->real, flags);
}

static int zk_sqv__size(sqlite3_file *file, sqlite3_int64 *size)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int zk_sqv__lock(sqlite3_file *file, int level)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int zk_sqv__unlock(sqlite3_file *file, int level)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int zk_sqv__reserved(sqlite3_file *file, int *out)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int zk_sqv__fcntl(sqlite3_file *file, int op, void *arg)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int zk_sqv__sector(sqlite3_file *file)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int zk_sqv__devchar(sqlite3_file *file)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int zk_sqv__shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int zk_sqv__shm_lock(sqlite3_file *file, int off, int n, int flags)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

static void zk_sqv__shm_barrier(sqlite3_file *file)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int zk_sqv__shm_unmap(sqlite3_file *file, int del)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xShmUnmap(f->real, del);
}

static int zk_sqv__fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **pp)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xFetch(f->real, off, n, pp);
}

static int zk_sqv__unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    zk_sqv_file *f = (zk_sqv_file *)file;
    return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods zk_sqv__methods = {
    .iVersion = 3,
    .xClose = zk_sqv__close,
    .xRead = zk_sqv__read,
    .xWrite = zk_sqv__write,
    .xTruncate = zk_sqv__truncate,
    .xSync = zk_sqv__sync,
    .xFileSize = zk_sqv__size,
    .xLock = zk_sqv__lock,
    .xUnlock = zk_sqv__unlock,
    .xCheckReservedLock = zk_sqv__reserved,
    .xFileControl = zk_sqv__fcntl,
    .xSectorSize = zk_sqv__sector,
    .xDeviceCharacteristics = zk_sqv__devchar,
    .xShmMap = zk_sqv__shm_map,
    .xShmLock = zk_sqv__shm_lock,
    .xShmBarrier = zk_sqv__shm_barrier,
    .xShmUnmap = zk_sqv__shm_unmap,
    .xFetch = zk_sqv__fetch,
    .xUnfetch = zk_sqv__unfetch,
};

static int zk_sqv__open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                        int *out_flags)
{
    (void)vfs;
    zk_sqv_file *f = (zk_sqv_file *)file;
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->real = (sqlite3_file *)&f[1];
    int rc = zk_sqv__base->xOpen(zk_sqv__base, name, f->real, flags, out_flags);
    if (f->real->pMethods == NULL) {
        f->base.pMethods = NULL;
        return rc;
    }
    /* The shim's methods are version 3: only wrap a file that has them all. */
    if (f->real->pMethods->iVersion < 3) {
        f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    f->base.pMethods = &zk_sqv__methods;
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_MAIN_DB) && name)
        f->fd = open(name, O_RDONLY | O_CLOEXEC);
    return rc;
}

static int zk_sqv__delete(sqlite3_vfs *vfs, const char *name, int dir_sync)
{
    (void)vfs;
    return zk_sqv__base->xDelete(zk_sqv__base, name, dir_sync);
}

static int zk_sqv__access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return zk_sqv__base->xAccess(zk_sqv__base, name, flags, out);
}

static int zk_sqv__fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return zk_sqv__base->xFullPathname(zk_sqv__base, name, n, out);
}

static void *zk_sqv__dlopen(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return zk_sqv__base->xDlOpen(zk_sqv__base, name);
}

static void zk_sqv__dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    zk_sqv__base->xDlError(zk_sqv__base, n, out);
}

static void (*zk_sqv__dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return zk_sqv__base->xDlSym(zk_sqv__base, h, sym);
}

static void zk_sqv__dlclose(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    zk_sqv__base->xDlClose(zk_sqv__base, h);
}

static int zk_sqv__random(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return zk_sqv__base->xRandomness(zk_sqv__base, n, out);
}

static int zk_sqv__sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return zk_sqv__base->xSleep(zk_sqv__base, us);
}

static int zk_sqv__time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return zk_sqv__base->xCurrentTime(zk_sqv__base, out);
}

static int zk_sqv__lasterr(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return zk_sqv__base->xGetLastError ? zk_sqv__base->xGetLastError(zk_sqv__base, n, out) : 0;
}

static int zk_sqv__time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return zk_sqv__base->xCurrentTimeInt64(zk_sqv__base, out);
}

static sqlite3_vfs zk_sqv__vfs = {
    .iVersion = 2,
    .mxPathname = 0,              /* from the base at registration */
    .zName = ZK_SQLITE_PACED_VFS,
    .xOpen = zk_sqv__open,
    .xDelete = zk_sqv__delete,
    .xAccess = zk_sqv__access,
    .xFullPathname = zk_sqv__fullpath,
    .xDlOpen = zk_sqv__dlopen,
    .xDlError = zk_sqv__dlerror,
    .xDlSym = zk_sqv__dlsym,
    .xDlClose = zk_sqv__dlclose,
    .xRandomness = zk_sqv__random,
    .xSleep = zk_sqv__sleep,
    .xCurrentTime = zk_sqv__time,
    .xGetLastError = zk_sqv__lasterr,
    .xCurrentTimeInt64 = zk_sqv__time64,
};

static pthread_once_t zk_sqv__once = PTHREAD_ONCE_INIT;
static int zk_sqv__rc = SQLITE_ERROR;

static void zk_sqv__register(void)
{
    sqlite3_vfs *base = sqlite3_vfs_find(NULL);
    if (!base || base->iVersion < 2 || !base->xCurrentTimeInt64)
        return;
    zk_sqv__base = base;
    zk_sqv__vfs.szOsFile = (int)sizeof(zk_sqv_file) + base->szOsFile;
    zk_sqv__vfs.mxPathname = base->mxPathname;
    zk_sqv__rc = sqlite3_vfs_register(&zk_sqv__vfs, 0);
}

const char *zk_sqlite_paced_vfs(void)
{
    pthread_once(&zk_sqv__once, zk_sqv__register);
    return zk_sqv__rc == SQLITE_OK ? ZK_SQLITE_PACED_VFS : NULL;
}

unsigned long zk_sqlite_paced_vfs_pushes(void)
{
    return atomic_load_explicit(&zk_sqv__pushes, memory_order_relaxed);
}
