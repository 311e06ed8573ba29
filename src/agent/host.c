/* zke agent: what the host has (CPU, memory, disk, PIDs, addresses) and the
 * Node object and conditions that report it. */
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/gpu.h"
#include "agent/internal.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/quantity.h"

static void read_line(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(out, (int)n, f))
        out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

static int64_t meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "re");
    if (!f)
        return 0;
    char line[256];
    size_t kl = strlen(key);
    int64_t v = 0;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = strtoll(line + kl + 1, NULL, 10) * 1024;
            break;
        }
    }
    fclose(f);
    return v;
}

static void os_image(char *out, size_t n)
{
    snprintf(out, n, "Linux");
    FILE *f = fopen("/etc/os-release", "re");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "PRETTY_NAME=", 12))
            continue;
        char *v = line + 12;
        v[strcspn(v, "\n")] = '\0';
        size_t l = strlen(v);
        if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
            v[l - 1] = '\0';
            v++;
        }
        snprintf(out, n, "%.200s", v);
    }
    fclose(f);
}

/* The first IPv4 address of an interface that is up, not loopback and
 * not one of ours (bridges for pods, CNI veths). */
static void first_ip(char *out, size_t n)
{
    snprintf(out, n, "127.0.0.1");
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) < 0)
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK) || !strncmp(i->ifa_name, "zke", 3) ||
            !strncmp(i->ifa_name, "veth", 4) || !strncmp(i->ifa_name, "docker", 6) ||
            !strncmp(i->ifa_name, "cni", 3))
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out, (socklen_t)n);
        break;
    }
    freeifaddrs(ifs);
}

static int64_t count_pids(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
            n++;
    closedir(d);
    return n;
}

void zk_agent_host_read(const char *data_dir, zk_agent_host *h)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    h->cpu_milli = (cpus > 0 ? cpus : 1) * 1000;
    h->mem_bytes = meminfo("MemTotal");
    h->mem_available = meminfo("MemAvailable");
    struct statvfs sv;
    if (statvfs(data_dir, &sv) == 0) {
        h->storage_bytes = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
        h->storage_free = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
    }
    char buf[64];
    read_line("/proc/sys/kernel/pid_max", buf, sizeof(buf));
    h->pids_max = strtoll(buf, NULL, 10);
    h->pids_used = count_pids();
    if (!h->hostname[0] && gethostname(h->hostname, sizeof(h->hostname) - 1) < 0)
        snprintf(h->hostname, sizeof(h->hostname), "localhost");
    /* a node name is a DNS subdomain: lower case, and '-' for the rest */
    for (char *p = h->hostname; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
            *p = '-';
    }
    if (!h->ip[0])
        first_ip(h->ip, sizeof(h->ip));
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
    os_image(h->os_image, sizeof(h->os_image));
    read_line("/etc/machine-id", h->machine_id, sizeof(h->machine_id));
    read_line("/proc/sys/kernel/random/boot_id", h->boot_id, sizeof(h->boot_id));
}

/* ---- the Node ---- */

/* The memory kept free for the kubelet's hard eviction threshold
 * (memory.available < 100Mi), subtracted from allocatable as it does. */
#define EVICTION_MEMORY (100ll << 20)

static int64_t parse_q(const char *s, bool milli)
{
    if (!s || !*s)
        return 0;
    zk_kube_quantity q;
    int64_t v = 0;
    if (zk_kube_quantity_parse(s, &q, NULL) < 0 ||
        (milli ? zk_kube_quantity_milli(&q, &v, NULL) : zk_kube_quantity_value(&q, &v, NULL)) < 0)
        return 0;
    return v < 0 ? 0 : v;
}

static json_t *resources(zk_agent *a, bool allocatable)
{
    const zk_agent_host *h = &a->host;
    int64_t cpu = h->cpu_milli, mem = h->mem_bytes, disk = h->storage_bytes;
    if (allocatable) {
        cpu -= parse_q(a->o.reserved_cpu, true);
        mem -= parse_q(a->o.reserved_memory, false) + EVICTION_MEMORY;
        disk -= disk / 10;   /* nodefs.available < 10% */
    }
    if (cpu < 0)
        cpu = 0;
    if (mem < 0)
        mem = 0;
    char c[32], m[32], d[32], p[16];
    if (cpu % 1000 == 0)
        snprintf(c, sizeof(c), "%lld", (long long)(cpu / 1000));
    else
        snprintf(c, sizeof(c), "%lldm", (long long)cpu);
    snprintf(m, sizeof(m), "%lldKi", (long long)(mem / 1024));
    snprintf(d, sizeof(d), "%lldKi", (long long)(disk / 1024));
    snprintf(p, sizeof(p), "%d", a->o.max_pods > 0 ? a->o.max_pods : 110);
    json_t *r = json_pack("{s:s,s:s,s:s,s:s}", "cpu", c, "memory", m, "ephemeral-storage", d,
                          "pods", p);
    /* whole GPUs, none reserved; absent when NVML found none */
    size_t gpus = zk_agent_gpu_count(a->gpus);
    if (gpus) {
        char g[24];
        snprintf(g, sizeof(g), "%zu", gpus);
        json_object_set_new(r, ZK_AGENT_GPU_RESOURCE, json_string(g));
    }
    return r;
}

static const char *arch(void)
{
    return zk_agent_images_arch();
}

json_t *zk_agent_node_build(zk_agent *a)
{
    json_t *node = json_pack(
        "{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s},s:{s:s}},s:{}}", "apiVersion", "v1", "kind", "Node",
        "metadata", "name", a->o.node_name, "labels", "kubernetes.io/hostname", a->o.node_name,
        "kubernetes.io/os", "linux", "kubernetes.io/arch", arch(), "annotations",
        "node.alpha.kubernetes.io/ttl", "0", "spec");
    zk_agent_gpu_labels(a, zk_json_path(node, "metadata", "labels", NULL));
    json_object_set_new(node, "status", zk_agent_node_status(a, NULL));
    return node;
}

typedef struct cond {
    const char *type;
    bool bad;   /* status True for the pressures, False for Ready */
    const char *ok_reason, *ok_msg, *bad_reason, *bad_msg;
} cond;

json_t *zk_agent_node_status(zk_agent *a, const json_t *cur)
{
    const zk_agent_host *h = &a->host;
    bool mem_pressure = h->mem_available > 0 && h->mem_available < EVICTION_MEMORY;
    bool disk_pressure = h->storage_bytes > 0 && h->storage_free < h->storage_bytes / 10;
    bool pid_pressure = h->pids_max > 0 && h->pids_used > h->pids_max * 9 / 10;
    cond conds[] = {
        {"MemoryPressure", mem_pressure, "KubeletHasSufficientMemory",
         "kubelet has sufficient memory available", "KubeletHasInsufficientMemory",
         "kubelet has insufficient memory available"},
        {"DiskPressure", disk_pressure, "KubeletHasNoDiskPressure", "kubelet has no disk pressure",
         "KubeletHasDiskPressure", "kubelet has disk pressure"},
        {"PIDPressure", pid_pressure, "KubeletHasSufficientPID",
         "kubelet has sufficient PID available", "KubeletHasInsufficientPID",
         "kubelet has insufficient PID available"},
        {"Ready", false, "KubeletReady", "kubelet is posting ready status", "KubeletNotReady",
         "container runtime is not ready"},
    };
    char now[32];
    zk_time_rfc3339(zk_wall_s(), now, sizeof(now));
    json_t *have = zk_json_path(cur, "status", "conditions", NULL);
    json_t *arr = json_array();
    for (size_t i = 0; i < ZK_ARRAY_LEN(conds); i++) {
        bool is_ready = !strcmp(conds[i].type, "Ready");
        const char *status = is_ready ? (conds[i].bad ? "False" : "True")
                                      : (conds[i].bad ? "True" : "False");
        const char *since = now;
        size_t j;
        json_t *c;
        json_array_foreach(have, j, c) {
            const char *t = zk_json_str(c, "type"), *s = zk_json_str(c, "status");
            const char *lt = zk_json_str(c, "lastTransitionTime");
            if (t && !strcmp(t, conds[i].type) && s && !strcmp(s, status) && lt)
                since = lt;
        }
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", conds[i].type, "status", status,
                           "reason", conds[i].bad ? conds[i].bad_reason : conds[i].ok_reason,
                           "message", conds[i].bad ? conds[i].bad_msg : conds[i].ok_msg,
                           "lastHeartbeatTime", now, "lastTransitionTime", since));
    }
    json_t *st = json_pack(
        "{s:o,s:o,s:o,s:[{s:s,s:s},{s:s,s:s}],s:{s:{s:i}},s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
        "s:s,s:s}}",
        "capacity", resources(a, false), "allocatable", resources(a, true), "conditions", arr,
        "addresses", "type", "InternalIP", "address", h->ip, "type", "Hostname", "address",
        h->hostname, "daemonEndpoints", "kubeletEndpoint", "Port", 10250, "nodeInfo",
        "machineID", h->machine_id, "systemUUID", h->machine_id, "bootID", h->boot_id,
        "kernelVersion", h->kernel, "osImage", h->os_image, "containerRuntimeVersion",
        "zke://" ZK_VERSION, "kubeletVersion", "v1.32.0-zke", "kubeProxyVersion", "v1.32.0-zke",
        "operatingSystem", "linux", "architecture", arch());
    /* GPUs that were reported and are gone (no NVML now): 0, as the kubelet
     * reports a device plugin's resource once the plugin is gone; a merge
     * patch would keep the old figure */
    if (!zk_agent_gpu_count(a->gpus) &&
        zk_json_path(cur, "status", "capacity", ZK_AGENT_GPU_RESOURCE, NULL)) {
        json_object_set_new(json_object_get(st, "capacity"), ZK_AGENT_GPU_RESOURCE,
                            json_string("0"));
        json_object_set_new(json_object_get(st, "allocatable"), ZK_AGENT_GPU_RESOURCE,
                            json_string("0"));
    }
    return st;
}
