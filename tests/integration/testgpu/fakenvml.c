/* A fake NVML (libnvidia-ml) for zke's tests: the machines the tests run
 * on have no GPU. It has the entry points the agent resolves (src/agent/
 * gpu.c), with nvml.h's signatures, and describes two GPUs:
 *   GPU-00000000-0000-0000-0000-00000000000<i>, "Zke Fake GPU", minor i,
 *   16 GiB, (i + 1) * 512 MiB of it used.
 * Their utilization is FAKE_NVML_UTIL ("37", or "37,80" one per GPU; 0
 * without it). FAKE_NVML_COUNT changes how many GPUs there are (up to 8),
 * FAKE_NVML_INIT=<code> makes nvmlInit_v2 fail with that code.
 * There are no device nodes: the agent skips the ones that do not exist.
 *
 * Built by the unit tests' meson.build and by the integration test with
 *   cc -shared -fPIC -o libfakenvml.so fakenvml.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct fake_gpu *nvmlDevice_t;
typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define MAX_GPUS 8

struct fake_gpu {
    unsigned int index;
};

static struct fake_gpu gpus[MAX_GPUS];
static int inited;

nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length);
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length);
nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minor);
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory);
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *util);
const char *nvmlErrorString(nvmlReturn_t result);

static unsigned int count(void)
{
    const char *s = getenv("FAKE_NVML_COUNT");
    unsigned int n = s ? (unsigned int)atoi(s) : 2;
    return n > MAX_GPUS ? MAX_GPUS : n;
}

nvmlReturn_t nvmlInit_v2(void)
{
    const char *s = getenv("FAKE_NVML_INIT");
    if (s && atoi(s))
        return atoi(s);
    for (unsigned int i = 0; i < MAX_GPUS; i++)
        gpus[i].index = i;
    inited = 1;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void)
{
    if (!inited)
        return NVML_ERROR_UNINITIALIZED;
    inited = 0;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n)
{
    if (!inited)
        return NVML_ERROR_UNINITIALIZED;
    *n = count();
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (!inited)
        return NVML_ERROR_UNINITIALIZED;
    if (index >= count() || !device)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = &gpus[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    if (!device || !uuid)
        return NVML_ERROR_INVALID_ARGUMENT;
    int n = snprintf(uuid, length, "GPU-00000000-0000-0000-0000-%012u", device->index);
    return n < 0 || (unsigned int)n >= length ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    if (!device || !name)
        return NVML_ERROR_INVALID_ARGUMENT;
    int n = snprintf(name, length, "Zke Fake GPU");
    return n < 0 || (unsigned int)n >= length ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minor)
{
    if (!device || !minor)
        return NVML_ERROR_INVALID_ARGUMENT;
    *minor = device->index;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    if (!device || !memory)
        return NVML_ERROR_INVALID_ARGUMENT;
    memory->total = 16ull << 30;
    memory->used = (device->index + 1ull) * (512ull << 20);
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *util)
{
    if (!device || !util)
        return NVML_ERROR_INVALID_ARGUMENT;
    /* the index-th of FAKE_NVML_UTIL's comma-separated figures, else the last */
    const char *s = getenv("FAKE_NVML_UTIL");
    unsigned int v = 0;
    for (unsigned int i = 0; s && *s; i++) {
        v = (unsigned int)atoi(s);
        const char *comma = strchr(s, ',');
        if (i == device->index || !comma)
            break;
        s = comma + 1;
    }
    util->gpu = v;
    util->memory = v / 2;
    return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t result)
{
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case 9: return "Driver Not Loaded";
    default: return "Unknown Error";
    }
}
