/* zke agent: the OCI runtime spec (a bundle's config.json) of one
 * container of a pod, from the pod, the container and its image's config. */
#ifndef ZK_AGENT_SPEC_H
#define ZK_AGENT_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

typedef struct zk_agent_spec_opts {
    const char *rootfs;        /* the container's root filesystem (absolute) */
    const char *netns;         /* a network namespace to join, or NULL for a new one */
    const char *cgroups_path;  /* e.g. "/zke/pod<uid>/<container>", or NULL */
    int64_t pids_limit;        /* 0: none */
    const json_t *mounts;      /* more OCI mounts (volumes, /etc/hosts), appended */
    bool no_terminal;          /* never ask the runtime for a terminal */
    bool host_network;         /* share the host's network namespace */
    /* OCI linux.devices entries ({path,type,major,minor,...}: GPUs) made in
     * the container, each also allowed in its device cgroup ("rwm") */
    const json_t *devices;
} zk_agent_spec_opts;

/* Build the spec. Kubernetes' rules: command replaces the image's
 * ENTRYPOINT, args its CMD; env is the image's with the container's on top,
 * and $(VAR) in command, args and env values expands to an earlier
 * variable ($$ is a literal $); workingDir, else the image's, else "/";
 * runAsUser/runAsGroup (container, else pod), else the image's User (a
 * number, or a name looked up in the rootfs' /etc/passwd and /etc/group);
 * capabilities are containerd's defaults with securityContext's add and
 * drop; readOnlyRootFilesystem; CPU shares from the CPU request, a CFS
 * quota (period 100 ms) from the CPU limit, the memory limit, a pids limit.
 * *out is a new reference. -ZK_EINVAL names the field that is wrong. */
int zk_agent_spec_build(const json_t *pod, const json_t *container, const json_t *image_config,
                        const zk_agent_spec_opts *o, json_t **out, zk_err *err);

/* CPU shares for a request of milli millicores (cgroup v1 cpu.shares; the
 * kubelet's formula), and the CFS quota for a limit at a 100 ms period. */
uint64_t zk_agent_cpu_shares(int64_t milli);
int64_t zk_agent_cpu_quota(int64_t milli);

/* Expand $(VAR) references in s from env (an array of "NAME=value"
 * strings, earlier entries only); unknown references stay as written, $$
 * is $. Returns a new string. */
char *zk_agent_expand_vars(const char *s, const json_t *env);

#endif
