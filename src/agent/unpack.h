/* zke agent: unpacking image layers into a root filesystem. */
#ifndef ZK_AGENT_UNPACK_H
#define ZK_AGENT_UNPACK_H

#include <stdbool.h>

#include "agent/images.h"
#include "base/err.h"

typedef struct zk_agent_unpack_opts {
    bool keep_owner;   /* chown entries to their uid/gid (needs root) */
} zk_agent_unpack_opts;

/* Apply one layer (a tar, compressed or not) on top of the tree in
 * rootfs, as the OCI image spec describes: ".wh.NAME" removes NAME of the
 * layers below, ".wh..wh..opq" empties its directory of them, and an entry
 * replaces what was at its path. Every path is resolved inside rootfs
 * (openat2 RESOLVE_IN_ROOT), so "../", absolute names and symlinks of the
 * layer itself cannot reach outside it. Device nodes are skipped (a
 * container gets its /dev from the runtime). */
int zk_agent_unpack_layer(const char *rootfs, const char *layer_path,
                          const zk_agent_unpack_opts *o, zk_err *err);

/* Unpack every layer of img from the store into rootfs, which must be an
 * empty or missing directory. */
int zk_agent_unpack_image(zk_agent_images *s, const zk_agent_image *img, const char *rootfs,
                          const zk_agent_unpack_opts *o, zk_err *err);

#endif
