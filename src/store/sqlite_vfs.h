/* zke store, internal: the SQLite VFS that paces checkpoint writes (see
 * sqlite_vfs.c for why). */
#ifndef ZK_STORE_SQLITE_VFS_H
#define ZK_STORE_SQLITE_VFS_H

#define ZK_SQLITE_PACED_VFS "zk-paced"

/* Register the VFS once (thread-safe) and return its name for
 * sqlite3_open_v2, or NULL when the default VFS cannot be wrapped; NULL
 * passed to sqlite3_open_v2 means the default VFS, which is still correct,
 * only unpaced. */
const char *zk_sqlite_paced_vfs(void);

/* How many pieces of database writes were pushed out early, process-wide
 * (for tests and metrics). */
unsigned long zk_sqlite_paced_vfs_pushes(void);

#endif
