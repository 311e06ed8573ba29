/* zke agent: what the kubelet serves over HTTP, served on the tunnel
 * ("op":"proxy", reached as GET /api/v1/nodes/<node>/proxy/<path>):
 *   /metrics            the agent's own figures, Prometheus text format
 *   /metrics/cadvisor   every running container's CPU and memory; GPUs
 *   /metrics/resource   the node's, pods' and containers' CPU and memory
 *                       under the kubelet's resource-metrics names
 *   /healthz            "ok"
 * Usage comes from the 10 s samples of stats.c. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/gpu.h"
#include "agent/internal.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"

#define OUT_MAX (8u << 20)

/* name{k="v",...} value — label values escaped as the text format wants */
static void sample(zk_buf *b, const char *name, const char *const *labels, double v)
{
    zk_buf_puts(b, name);
    for (size_t i = 0; labels && labels[i]; i += 2) {
        zk_buf_printf(b, "%s%s=\"", i ? "," : "{", labels[i]);
        for (const char *p = labels[i + 1]; *p; p++) {
            if (*p == '\\' || *p == '"')
                zk_buf_putc(b, '\\');
            if (*p == '\n')
                zk_buf_puts(b, "\\n");
            else
                zk_buf_putc(b, *p);
        }
        zk_buf_putc(b, '"');
    }
    if (labels && labels[0])
        zk_buf_putc(b, '}');
    zk_buf_printf(b, " %.17g\n", v);
}

static void help(zk_buf *b, const char *name, const char *type, const char *text)
{
    zk_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* ---- /metrics ---- */

static void process_figures(zk_buf *b)
{
    unsigned long long vsz = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    if (f) {
        if (fscanf(f, "%llu %llu", &vsz, &rss) != 2)
            vsz = rss = 0;
        fclose(f);
    }
    long page = sysconf(_SC_PAGESIZE), hz = sysconf(_SC_CLK_TCK);
    unsigned long long ut = 0, stt = 0, start = 0;
    f = fopen("/proc/self/stat", "re");
    if (f) {
        char line[1024];
        if (fgets(line, sizeof(line), f)) {
            const char *p = strrchr(line, ')');   /* the command may hold spaces */
            if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
                            "%*d %*d %*d %*d %*d %*d %llu", &ut, &stt, &start) != 3)
                ut = stt = start = 0;
        }
        fclose(f);
    }
    double boot = 0;
    f = fopen("/proc/stat", "re");
    if (f) {
        char line[256];
        while (fgets(line, sizeof(line), f))
            if (!strncmp(line, "btime ", 6))
                boot = strtod(line + 6, NULL);
        fclose(f);
    }
    int fds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        for (struct dirent *e; (e = readdir(d));)
            fds += e->d_name[0] != '.';
        closedir(d);
        fds--;   /* the directory's own */
    }
    hz = hz > 0 ? hz : 100;
    help(b, "process_resident_memory_bytes", "gauge",
         "Resident memory of the process the agent runs in (zke server when in-process).");
    sample(b, "process_resident_memory_bytes", NULL, (double)rss * (double)page);
    help(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    sample(b, "process_virtual_memory_bytes", NULL, (double)vsz * (double)page);
    help(b, "process_cpu_seconds_total", "counter", "User and system CPU time in seconds.");
    sample(b, "process_cpu_seconds_total", NULL, (double)(ut + stt) / (double)hz);
    help(b, "process_open_fds", "gauge", "Open file descriptors.");
    sample(b, "process_open_fds", NULL, fds);
    help(b, "process_start_time_seconds", "gauge", "Start time since the epoch, in seconds.");
    sample(b, "process_start_time_seconds", NULL, boot + (double)start / (double)hz);
}

static void own_metrics(zk_agent *a, zk_buf *b)
{
    size_t pods = 0, running = 0, waiting = 0, exited = 0;
    double restarts = 0;
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(a->apods, &pos, &k, &v)) {
        zk_apod *p = v;
        pods++;
        for (size_t i = 0; i < p->nctrs; i++) {
            zk_actr *c = &p->ctrs[i];
            restarts += c->restarts;
            if (c->cur.state == ZK_CTR_RUNNING)
                running++;
            else if (c->cur.state == ZK_CTR_EXITED)
                exited++;
            else
                waiting++;
        }
    }
    help(b, "zke_agent_pods", "gauge", "Pods the agent holds a record of.");
    sample(b, "zke_agent_pods", NULL, (double)pods);
    help(b, "zke_agent_containers", "gauge", "Containers by the state of their current run.");
    sample(b, "zke_agent_containers", (const char *[]){"state", "running", NULL}, (double)running);
    sample(b, "zke_agent_containers", (const char *[]){"state", "waiting", NULL}, (double)waiting);
    sample(b, "zke_agent_containers", (const char *[]){"state", "exited", NULL}, (double)exited);
    help(b, "zke_agent_container_restarts", "gauge", "Restarts of the containers it runs now.");
    sample(b, "zke_agent_container_restarts", NULL, restarts);
    help(b, "zke_agent_container_starts_total", "counter", "Container starts, by result.");
    sample(b, "zke_agent_container_starts_total", (const char *[]){"result", "started", NULL},
           (double)a->m.starts_ok);
    sample(b, "zke_agent_container_starts_total", (const char *[]){"result", "failed", NULL},
           (double)a->m.starts_failed);
    help(b, "zke_agent_image_pull_failures_total", "counter",
         "Starts that failed because the image could not be pulled.");
    sample(b, "zke_agent_image_pull_failures_total", NULL, (double)a->m.pull_failures);
    help(b, "zke_agent_tunnel_connects_total", "counter",
         "Times the tunnel to the API server was opened.");
    sample(b, "zke_agent_tunnel_connects_total", NULL, (double)a->m.tunnel_connects);
    help(b, "zke_agent_tunnel_up", "gauge", "1 while the tunnel to the API server is open.");
    sample(b, "zke_agent_tunnel_up", NULL, zk_agent_tun_up(a) ? 1 : 0);
    process_figures(b);
}

/* ---- /metrics/cadvisor and /metrics/resource ---- */

static void usage_metrics(zk_agent *a, zk_buf *b, bool resource)
{
    const char *cpu = "container_cpu_usage_seconds_total";
    const char *mem = "container_memory_working_set_bytes";
    if (resource) {
        help(b, "node_cpu_usage_seconds_total", "counter",
             "Cumulative CPU time the node used, in core-seconds.");
        sample(b, "node_cpu_usage_seconds_total", NULL, (double)a->node_cpu_ns / 1e9);
        help(b, "node_memory_working_set_bytes", "gauge", "The node's memory working set.");
        sample(b, "node_memory_working_set_bytes", NULL,
               (double)(a->host.mem_bytes - a->host.mem_available));
        help(b, "resource_scrape_error", "gauge", "1 when the figures could not be read.");
        sample(b, "resource_scrape_error", NULL, 0);
    } else {
        help(b, "machine_cpu_cores", "gauge", "CPU cores of the node.");
        sample(b, "machine_cpu_cores", NULL, (double)a->host.cpu_milli / 1000);
        help(b, "machine_memory_bytes", "gauge", "Memory of the node.");
        sample(b, "machine_memory_bytes", NULL, (double)a->host.mem_bytes);
    }
    for (int pass = 0; pass < (resource ? 4 : 2); pass++) {
        const char *name = pass == 0 ? cpu : pass == 1 ? mem
                           : pass == 2 ? "pod_cpu_usage_seconds_total"
                                       : "pod_memory_working_set_bytes";
        help(b, name, pass % 2 ? "gauge" : "counter",
             pass % 2 ? "Memory working set (usage less inactive file pages)."
                      : "Cumulative CPU time, in core-seconds.");
        size_t pos = 0;
        const char *k;
        void *v;
        while (zk_map_next(a->apods, &pos, &k, &v)) {
            zk_apod *p = v;
            double sum = 0;
            bool any = false;
            for (size_t i = 0; i < p->nctrs; i++) {
                zk_actr *c = &p->ctrs[i];
                if (c->cur.state != ZK_CTR_RUNNING || !c->stats_seen)
                    continue;
                double val = pass % 2 ? (double)c->mem_bytes : (double)c->cpu_ns / 1e9;
                sum += val;
                any = true;
                if (pass < 2)
                    sample(b, name, (const char *[]){"container", c->name, "namespace", p->ns,
                                                     "pod", p->name, NULL}, val);
            }
            if (pass >= 2 && any)
                sample(b, name, (const char *[]){"namespace", p->ns, "pod", p->name, NULL}, sum);
        }
    }
}

/* GPUs, in /metrics/cadvisor: each GPU's figures (zke_gpu_*, labelled by
 * its NVML index as nvidia-smi shows it, UUID and model) and, for the
 * containers that hold GPUs, cAdvisor's container_accelerator_* (make,
 * model and acc_id — the UUID — as cAdvisor labels them). A GPU's figures
 * are the whole device's, as in cAdvisor: NVML does not split them by
 * process. */
static void gpu_metrics(zk_agent *a, zk_buf *b)
{
    size_t n = zk_agent_gpu_count(a->gpus);
    if (!n)
        return;
    static const struct {
        const char *name, *help;
    } dev[] = {
        {"zke_gpu_utilization_percent",
         "Percent of the last sample period a kernel ran on the GPU."},
        {"zke_gpu_memory_used_bytes", "GPU memory allocated."},
        {"zke_gpu_memory_total_bytes", "GPU memory."},
    }, ctr[] = {
        {"container_accelerator_duty_cycle",
         "Percent of time over the past sample period during which the accelerator was "
         "actively processing."},
        {"container_accelerator_memory_used_bytes", "Total accelerator memory allocated."},
        {"container_accelerator_memory_total_bytes", "Total accelerator memory."},
    };
    for (size_t m = 0; m < ZK_ARRAY_LEN(dev); m++) {
        help(b, dev[m].name, "gauge", dev[m].help);
        for (size_t i = 0; i < n; i++) {
            const zk_agent_gpu *d = zk_agent_gpu_at(a->gpus, i);
            if (m < 2 && !d->sampled)
                continue;
            char idx[16];
            snprintf(idx, sizeof(idx), "%u", d->nvml_index);
            double v = m == 0 ? d->util : m == 1 ? (double)d->mem_used : (double)d->mem_total;
            sample(b, dev[m].name, (const char *[]){"gpu", idx, "uuid", d->uuid, "model", d->name,
                                                    NULL}, v);
        }
    }
    for (size_t m = 0; m < ZK_ARRAY_LEN(ctr); m++) {
        help(b, ctr[m].name, "gauge", ctr[m].help);
        for (size_t i = 0; i < n; i++) {
            const zk_agent_gpu *d = zk_agent_gpu_at(a->gpus, i);
            zk_apod *p;
            const zk_actr *c = zk_agent_gpu_holder(a, i, &p);
            if (!c || c->cur.state != ZK_CTR_RUNNING || (m < 2 && !d->sampled))
                continue;
            double v = m == 0 ? d->util : m == 1 ? (double)d->mem_used : (double)d->mem_total;
            sample(b, ctr[m].name, (const char *[]){"container", c->name, "namespace", p->ns,
                                                    "pod", p->name, "make", "nvidia", "model",
                                                    d->name, "acc_id", d->uuid, NULL}, v);
        }
    }
}

void zk_agent_proxy_open(zk_agent *a, zk_tstream *s, const json_t *req)
{
    const char *path = zk_json_str(req, "path") ?: "";
    zk_autobuf zk_buf b = ZK_BUF_INIT(OUT_MAX);
    if (!strcmp(path, "metrics")) {
        own_metrics(a, &b);
    } else if (!strcmp(path, "metrics/cadvisor") || !strcmp(path, "metrics/resource")) {
        zk_agent_host_read(a->o.data_dir, &a->host);
        usage_metrics(a, &b, !strcmp(path, "metrics/resource"));
        if (!strcmp(path, "metrics/cadvisor"))
            gpu_metrics(a, &b);
    } else if (!strcmp(path, "healthz")) {
        zk_buf_puts(&b, "ok");
    } else {
        char msg[600];
        snprintf(msg, sizeof(msg), "the node agent serves no /%.500s (it serves /metrics, "
                 "/metrics/cadvisor, /metrics/resource and /healthz)", path);
        zk_agent_tun_end(s, 404, "NotFound", msg);
        return;
    }
    if (b.len)
        zk_agent_tun_send(s, b.data, b.len);
    zk_agent_tun_end(s, 0, NULL, NULL);
}
