/* zke agent: pod network namespaces and the CNI plugins that wire them
 * (Debian's containernetworking-plugins: bridge, host-local, portmap).
 * Plugins run as child processes fed through a pipe: callers ignore SIGPIPE,
 * as every zke command does. */
#ifndef ZK_AGENT_CNI_H
#define ZK_AGENT_CNI_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

#define ZK_CNI_DEFAULT_PATH "/usr/lib/cni:/opt/cni/bin"
#define ZK_CNI_VERSION "1.0.0"

/* Make a network namespace that outlives this call: a new one is bind
 * mounted on path (created; its directory must exist). */
int zk_agent_netns_create(const char *path, zk_err *err);
/* Unmount and remove it; a missing one is not an error. */
int zk_agent_netns_delete(const char *path, zk_err *err);

typedef struct zk_agent_cni {
    const char *bin_path;    /* plugin directories, ':'-separated; NULL: the default */
    const json_t *conflist;  /* {"cniVersion","name","plugins":[...]} */
} zk_agent_cni;

/* CNI ADD of container id's interface ifname in netns, through every plugin
 * of the list in order, each given the previous one's result; runtime
 * (may be NULL) is the runtimeConfig offered to plugins that declare the
 * capability (e.g. {"portMappings":[...]}). *result (a new reference) is
 * the last plugin's result. A failing plugin's own message is in err; the
 * plugins already run are undone (DEL). */
int zk_agent_cni_add(const zk_agent_cni *c, const char *id, const char *netns, const char *ifname,
                     const json_t *runtime, json_t **result, zk_err *err);
/* CNI DEL, the plugins in reverse order; goes on past failures and
 * reports the first. */
int zk_agent_cni_del(const zk_agent_cni *c, const char *id, const char *netns, const char *ifname,
                     const json_t *runtime, zk_err *err);

/* The first IPv4 address of a result ("10.42.0.5", no prefix), or NULL.
 * copied into out (len bytes); -ZK_ENOTFOUND when there is none. */
int zk_agent_cni_result_ip(const json_t *result, char *out, size_t len);

#endif
