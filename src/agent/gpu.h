/* zke agent: NVIDIA GPUs through NVML.
 *
 * The agent loads NVML (libnvidia-ml.so.1, the NVIDIA driver's) with
 * dlopen when it starts; zke is not linked against it. Without the library,
 * or when it fails, the node has no GPUs and nothing else changes. With it,
 * the node reports nvidia.com/gpu, whole GPUs go to the containers that ask
 * for them (resources.limits, else requests), and the 10 s samples carry
 * each GPU's utilization and memory. */
#ifndef ZK_AGENT_GPU_H
#define ZK_AGENT_GPU_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/internal.h"

#define ZK_AGENT_GPU_RESOURCE "nvidia.com/gpu"
/* GPUs the agent handles: a container's set is a uint64_t mask of indices
 * into the table (not NVML's indices, which may skip a failed device). */
#define ZK_AGENT_GPU_MAX 64
/* The library, unless ZKE_NVML_LIBRARY names another (tests use a fake). */
#define ZK_AGENT_NVML_SONAME "libnvidia-ml.so.1"

typedef struct zk_agent_gpu {
    unsigned nvml_index;       /* NVML's index of the device */
    unsigned minor;            /* its device node is /dev/nvidia<minor> */
    char uuid[96];             /* "GPU-..." */
    char name[96];             /* the product, e.g. "NVIDIA A100-SXM4-40GB" */
    /* the last sample: utilization is the percent of time a kernel ran
     * over the driver's last period (1/6 s to 1 s) */
    bool sampled;
    unsigned util;
    uint64_t mem_used, mem_total;
} zk_agent_gpu;

/* Load NVML and read the GPUs into a->gpus (never NULL afterwards), then
 * take back the GPUs that containers of an earlier run of the agent still
 * hold (their bundles' gpus.json). Never fails: any failure is one info
 * line and a node with no GPUs. Call once, on the agent's loop, before the
 * node registers. */
void zk_agent_gpu_start(zk_agent *a);
/* Unload NVML and free g (NULL is fine). A sample in flight must have
 * ended. */
void zk_agent_gpu_close(zk_agent_gpus *g);

/* The GPUs (0 for NULL), and the i-th of them (i < count). */
size_t zk_agent_gpu_count(const zk_agent_gpus *g);
const zk_agent_gpu *zk_agent_gpu_at(const zk_agent_gpus *g, size_t i);

/* How many GPUs container spec ctr asks for: resources.limits, else
 * resources.requests, "nvidia.com/gpu"; 0 for none. -1 with a message
 * when the quantity is not a whole, non-negative number. */
int64_t zk_agent_gpu_wanted(const json_t *ctr, char *msg, size_t n);

/* Before a start of container c of pod p (on the loop, right before its
 * start job is queued): when ctr (the container spec the start uses, env
 * resolved) asks for GPUs, pick that many that no other running container
 * holds — the ones this container held in an earlier run first — record c
 * as their holder, add NVIDIA_VISIBLE_DEVICES=<uuids> to ctr's env and set
 * *mask. 0 (mask 0) when it asks for none. -1 with the kubelet's message
 * ("Allocate failed due to requested number of devices unavailable ...")
 * when there are not enough; the container then waits.
 * A GPU is free again once its holder's run is over (the pod's record
 * says so): nothing has to release it. */
int zk_agent_gpu_assign(zk_apod *p, const zk_actr *c, json_t *ctr, uint64_t *mask, char *msg,
                        size_t n);
/* The container that holds GPU i now, or NULL; *pod is its pod. */
const zk_actr *zk_agent_gpu_holder(zk_agent *a, size_t i, zk_apod **pod);

/* On a threadpool thread (start jobs): the OCI linux.devices entries for
 * the GPUs of mask — /dev/nvidia<minor> of each, and /dev/nvidiactl,
 * /dev/nvidia-uvm and /dev/nvidia-uvm-tools — of those that exist on the
 * host as character devices; NULL for mask 0. A new reference. */
json_t *zk_agent_gpu_devices(const zk_agent_gpus *g, uint64_t mask);
/* The OCI device entry ({path,type,major,minor,fileMode,uid,gid}) of the
 * character device at path, or NULL when there is none. */
json_t *zk_agent_gpu_device(const char *path);
/* Write bundle/gpus.json: [{"uuid","minor"}] of mask, what a later run of
 * the agent takes back. -1 with errno set when it could not. */
int zk_agent_gpu_record(const zk_agent_gpus *g, uint64_t mask, const char *bundle);

/* Sample every GPU's utilization and memory on the threadpool (stats.c
 * calls it with its 10 s samples); the figures change when it is done. */
void zk_agent_gpu_sample(zk_agent *a);
/* [{index, uuid, name, utilization, memoryUsed, memoryTotal}], or NULL when
 * the node has no GPUs. A new reference. */
json_t *zk_agent_gpu_stats(zk_agent *a);
/* The node's labels nvidia.com/gpu.product (the first GPU's name made a
 * label value) and nvidia.com/gpu.count, when it has GPUs. */
void zk_agent_gpu_labels(zk_agent *a, json_t *labels);

#endif
