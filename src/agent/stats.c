/* zke agent: usage figures for the metrics API (`kubectl top`).
 *
 * Every 10 s the agent samples the CPU time and memory of the node (/proc)
 * and of every running container (its cgroup: cpuacct.usage and the memory
 * working set — usage minus inactive file pages — on cgroup v1; cpu.stat
 * and memory.current on v2). CPU usage is the rate between the last two
 * samples, in nanocores, as the kubelet's summary API reports it. GPUs
 * (gpu.c) are sampled with them. The server asks for the figures on the
 * tunnel ("op":"stats"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/gpu.h"
#include "agent/internal.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"

#define SAMPLE_MS 10000

static bool read_u64(const char *path, uint64_t *out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    unsigned long long v;
    bool ok = fscanf(f, "%llu", &v) == 1;
    fclose(f);
    if (ok)
        *out = v;
    return ok;
}

static bool stat_field(const char *path, const char *key, uint64_t *out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char line[256];
    size_t kl = strlen(key);
    bool ok = false;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, key, kl) && line[kl] == ' ') {
            *out = strtoull(line + kl + 1, NULL, 10);
            ok = true;
            break;
        }
    }
    fclose(f);
    return ok;
}

/* CPU ns and working-set bytes of cgroup path cg ("/zke/pod<uid>/<name>"). */
static bool cgroup_usage(const char *cg, uint64_t *cpu_ns, uint64_t *mem)
{
    char p[4200];
    static const char *const cpu_dirs[] = {"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct"};
    bool have_cpu = false;
    for (size_t i = 0; i < ZK_ARRAY_LEN(cpu_dirs) && !have_cpu; i++) {
        snprintf(p, sizeof(p), "%s%s/cpuacct.usage", cpu_dirs[i], cg);
        have_cpu = read_u64(p, cpu_ns);
    }
    uint64_t usage = 0, inactive = 0;
    snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s/memory.usage_in_bytes", cg);
    bool have_mem = read_u64(p, &usage);
    if (have_mem) {
        snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s/memory.stat", cg);
        stat_field(p, "total_inactive_file", &inactive);
    }
    if (!have_cpu) {
        uint64_t us;
        snprintf(p, sizeof(p), "/sys/fs/cgroup%s/cpu.stat", cg);
        if (stat_field(p, "usage_usec", &us)) {
            *cpu_ns = us * 1000;
            have_cpu = true;
        }
    }
    if (!have_mem) {
        snprintf(p, sizeof(p), "/sys/fs/cgroup%s/memory.current", cg);
        have_mem = read_u64(p, &usage);
        snprintf(p, sizeof(p), "/sys/fs/cgroup%s/memory.stat", cg);
        stat_field(p, "inactive_file", &inactive);
    }
    *mem = usage > inactive ? usage - inactive : usage;
    return have_cpu || have_mem;
}

static uint64_t node_cpu_ns(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return 0;
    unsigned long long u = 0, n = 0, s = 0, idle = 0, io = 0, irq = 0, sirq = 0, st = 0;
    int k = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &n, &s, &idle, &io, &irq,
                   &sirq, &st);
    fclose(f);
    if (k < 3)
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    return (uint64_t)(u + n + s + irq + sirq + st) * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
}

/* One sample of every running container, and the rates since the last. */
void zk_agent_stats_sample(zk_agent *a)
{
    uint64_t now = zk_mono_ms();
    if (a->stats_at && now - a->stats_at < SAMPLE_MS)
        return;
    uint64_t dt_ms = a->stats_at ? now - a->stats_at : 0;
    a->stats_at = now;
    zk_agent_gpu_sample(a);
    uint64_t ncpu = node_cpu_ns();
    if (dt_ms && ncpu >= a->node_cpu_ns)
        a->node_nanocores = (ncpu - a->node_cpu_ns) * 1000 / dt_ms;
    a->node_cpu_ns = ncpu;
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(a->apods, &pos, &k, &v)) {
        zk_apod *p = v;
        for (size_t i = 0; i < p->nctrs; i++) {
            zk_actr *c = &p->ctrs[i];
            if (c->cur.state != ZK_CTR_RUNNING)
                continue;
            char cg[300];
            snprintf(cg, sizeof(cg), "/zke/pod%s/%s", p->uid, c->name);
            uint64_t cpu = 0, mem = 0;
            if (!cgroup_usage(cg, &cpu, &mem))
                continue;
            if (c->stats_attempt == c->cur.attempt && c->cpu_ns && dt_ms && cpu >= c->cpu_ns)
                c->nanocores = (cpu - c->cpu_ns) * 1000 / dt_ms;
            else
                c->nanocores = 0;
            c->stats_attempt = c->cur.attempt;
            c->cpu_ns = cpu;
            c->mem_bytes = mem;
            c->stats_ready = c->stats_seen++ > 0;
        }
    }
}

/* The figures as JSON: {"window":10,"node":{"cpu":n,"memory":b},
 * "pods":[{"namespace","name","uid","containers":[{"name","cpu","memory"}]}]};
 * a node with GPUs has node.gpus too (gpu.h: zk_agent_gpu_stats). */
static json_t *stats_json(zk_agent *a)
{
    json_t *pods = json_array();
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(a->apods, &pos, &k, &v)) {
        zk_apod *p = v;
        if (!p->pod)
            continue;
        json_t *ctrs = json_array();
        for (size_t i = 0; i < p->nctrs; i++) {
            zk_actr *c = &p->ctrs[i];
            if (c->init || c->cur.state != ZK_CTR_RUNNING || !c->stats_ready)
                continue;
            json_array_append_new(ctrs, json_pack("{s:s,s:I,s:I}", "name", c->name, "cpu",
                                                  (json_int_t)c->nanocores, "memory",
                                                  (json_int_t)c->mem_bytes));
        }
        if (json_array_size(ctrs))
            json_array_append_new(pods, json_pack("{s:s,s:s,s:s,s:o}", "namespace", p->ns, "name",
                                                  p->name, "uid", p->uid, "containers", ctrs));
        else
            json_decref(ctrs);
    }
    zk_agent_host_read(a->o.data_dir, &a->host);
    char ts[40];
    zk_time_rfc3339(zk_wall_s(), ts, sizeof(ts));
    json_t *st = json_pack("{s:i,s:s,s:{s:I,s:I},s:o}", "window", SAMPLE_MS / 1000, "timestamp",
                           ts, "node", "cpu", (json_int_t)a->node_nanocores, "memory",
                           (json_int_t)(a->host.mem_bytes - a->host.mem_available), "pods", pods);
    json_t *gpus = zk_agent_gpu_stats(a);
    if (gpus)
        json_object_set_new(json_object_get(st, "node"), "gpus", gpus);
    return st;
}

void zk_agent_stats_open(zk_agent *a, zk_tstream *s, const json_t *req)
{
    (void)req;
    json_t *st = stats_json(a);
    zk_autofree char *text = json_dumps(st, JSON_COMPACT);
    json_decref(st);
    zk_agent_tun_send(s, text, strlen(text));
    zk_agent_tun_end(s, 0, NULL, NULL);
}
