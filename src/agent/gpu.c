/* zke agent: NVIDIA GPUs through NVML. See gpu.h.
 *
 * NVML's few types are declared here, as nvml.h has them (NVML 11 and
 * later, the _v2 entry points): nvmlReturn_t is an enum (0 is success),
 * nvmlDevice_t an opaque pointer, nvmlMemory_t {total, free, used} and
 * nvmlUtilization_t {gpu, memory}.
 *
 * Who holds a GPU is a table in memory: the pod uid and container name of
 * the last start it went to, and that container's run as it was then. A
 * GPU is held while that container runs (or its start is still in the
 * threadpool); after that it is free, with nothing to release. The start
 * writes the set into the run's bundle (gpus.json), and the next agent
 * process takes it back from there. */
#include "agent/gpu.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "kube/quantity.h"

typedef int nvml_return;
typedef struct nvml_device_st *nvml_device;
typedef struct {
    unsigned long long total, free, used;
} nvml_memory;
typedef struct {
    unsigned int gpu, memory;
} nvml_utilization;

#define NVML_BUFFER 96   /* NVML_DEVICE_UUID_V2_BUFFER_SIZE, ..._NAME_V2_... */

/* The holder of a GPU: the container of its last start, and that
 * container's run (attempt, state) when it was picked. */
typedef struct holder {
    char uid[64];
    char ctr[64];
    int attempt;
    int state;                 /* zk_ctr_state; ADOPTED: from a bundle */
} holder;

#define ADOPTED (-1)

struct zk_agent_gpus {
    void *lib;
    bool inited;               /* nvmlInit succeeded: shut down when closed */
    struct {
        nvml_return (*init)(void);
        nvml_return (*shutdown)(void);
        nvml_return (*count)(unsigned int *);
        nvml_return (*handle)(unsigned int, nvml_device *);
        nvml_return (*uuid)(nvml_device, char *, unsigned int);
        nvml_return (*name)(nvml_device, char *, unsigned int);
        nvml_return (*minor_number)(nvml_device, unsigned int *);
        nvml_return (*memory)(nvml_device, nvml_memory *);
        nvml_return (*utilization)(nvml_device, nvml_utilization *);
        const char *(*error)(nvml_return);
    } f;
    size_t n;
    zk_agent_gpu dev[ZK_AGENT_GPU_MAX];
    nvml_device handle[ZK_AGENT_GPU_MAX];
    holder held[ZK_AGENT_GPU_MAX];
    bool sampling;
};

static const char *nvml_error(const zk_agent_gpus *g, nvml_return rc)
{
    const char *s = g->f.error ? g->f.error(rc) : NULL;
    return s ? s : "unknown NVML error";
}

/* ---- loading ---- */

/* Load the library and read the devices; false with why on failure. */
static bool load(zk_agent_gpus *g, const char *path, char *why, size_t n)
{
    g->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!g->lib) {
        snprintf(why, n, "%s", dlerror());
        return false;
    }
#define SYM(field, name)                                                                           \
    do {                                                                                           \
        *(void **)&g->f.field = dlsym(g->lib, name);                                               \
        if (!g->f.field) {                                                                         \
            snprintf(why, n, "%s has no %s", path, name);                                          \
            return false;                                                                          \
        }                                                                                          \
    } while (0)
    SYM(error, "nvmlErrorString");
    SYM(init, "nvmlInit_v2");
    SYM(shutdown, "nvmlShutdown");
    SYM(count, "nvmlDeviceGetCount_v2");
    SYM(handle, "nvmlDeviceGetHandleByIndex_v2");
    SYM(uuid, "nvmlDeviceGetUUID");
    SYM(name, "nvmlDeviceGetName");
    SYM(minor_number, "nvmlDeviceGetMinorNumber");
    SYM(memory, "nvmlDeviceGetMemoryInfo");
    SYM(utilization, "nvmlDeviceGetUtilizationRates");
#undef SYM
    nvml_return rc = g->f.init();
    if (rc != 0) {
        snprintf(why, n, "nvmlInit: %s", nvml_error(g, rc));
        return false;
    }
    g->inited = true;
    unsigned int count = 0;
    if ((rc = g->f.count(&count)) != 0) {
        snprintf(why, n, "nvmlDeviceGetCount: %s", nvml_error(g, rc));
        return false;
    }
    if (count > ZK_AGENT_GPU_MAX) {
        zk_warn("agent: NVML reports %u GPUs; zke uses the first %d", count, ZK_AGENT_GPU_MAX);
        count = ZK_AGENT_GPU_MAX;
    }
    for (unsigned int i = 0; i < count; i++) {
        zk_agent_gpu *d = &g->dev[g->n];
        nvml_device h = NULL;
        char uuid[NVML_BUFFER] = "", name[NVML_BUFFER] = "";
        unsigned int minor = 0;
        if ((rc = g->f.handle(i, &h)) != 0 || (rc = g->f.uuid(h, uuid, sizeof(uuid))) != 0 ||
            (rc = g->f.name(h, name, sizeof(name))) != 0 ||
            (rc = g->f.minor_number(h, &minor)) != 0) {
            /* a GPU NVML cannot describe is one no container can use */
            zk_warn("agent: GPU %u: %s; it is left out", i, nvml_error(g, rc));
            continue;
        }
        uuid[sizeof(uuid) - 1] = name[sizeof(name) - 1] = '\0';
        d->nvml_index = i;
        d->minor = minor;
        snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
        snprintf(d->name, sizeof(d->name), "%s", name);
        g->handle[g->n++] = h;
    }
    if (g->n == 0) {
        snprintf(why, n, "NVML reports no usable GPU");
        return false;
    }
    return true;
}

size_t zk_agent_gpu_count(const zk_agent_gpus *g)
{
    return g ? g->n : 0;
}

const zk_agent_gpu *zk_agent_gpu_at(const zk_agent_gpus *g, size_t i)
{
    return g && i < g->n ? &g->dev[i] : NULL;
}

void zk_agent_gpu_close(zk_agent_gpus *g)
{
    if (!g)
        return;
    if (g->lib) {
        if (g->inited)
            g->f.shutdown();
        dlclose(g->lib);
    }
    free(g);
}

/* ---- samples ---- */

typedef struct sample_job {
    uv_work_t w;
    zk_agent_gpus *g;
    struct {
        bool ok;
        unsigned util;
        uint64_t used, total;
    } out[ZK_AGENT_GPU_MAX];
} sample_job;

/* NVML's calls, on whatever thread (NVML is thread-safe). */
static void sample_read(sample_job *s)
{
    zk_agent_gpus *g = s->g;
    for (size_t i = 0; i < g->n; i++) {
        nvml_memory m = {0};
        nvml_utilization u = {0};
        bool mem_ok = g->f.memory(g->handle[i], &m) == 0;
        bool util_ok = g->f.utilization(g->handle[i], &u) == 0;
        s->out[i].ok = mem_ok || util_ok;
        s->out[i].util = util_ok ? (u.gpu > 100 ? 100 : u.gpu) : 0;
        s->out[i].used = mem_ok ? m.used : 0;
        s->out[i].total = mem_ok ? m.total : 0;
    }
}

static void sample_keep(sample_job *s)
{
    zk_agent_gpus *g = s->g;
    for (size_t i = 0; i < g->n; i++) {
        zk_agent_gpu *d = &g->dev[i];
        d->sampled = s->out[i].ok;
        d->util = s->out[i].util;
        d->mem_used = s->out[i].used;
        if (s->out[i].total)
            d->mem_total = s->out[i].total;
    }
}

static void sample_work(uv_work_t *w)
{
    sample_read(w->data);
}

static void sample_done(uv_work_t *w, int status)
{
    sample_job *s = w->data;
    s->g->sampling = false;
    if (status == 0)
        sample_keep(s);
    free(s);
}

void zk_agent_gpu_sample(zk_agent *a)
{
    zk_agent_gpus *g = a->gpus;
    if (!g || !g->n || g->sampling)
        return;
    sample_job *s = zk_xcalloc(1, sizeof(*s));
    s->w.data = s;
    s->g = g;
    g->sampling = true;
    if (uv_queue_work(a->loop, &s->w, sample_work, sample_done) < 0) {
        g->sampling = false;
        free(s);
    }
}

/* ---- holders ---- */

static const zk_actr *find_ctr(const zk_apod *p, const char *name)
{
    for (size_t i = 0; i < p->nctrs; i++)
        if (!strcmp(p->ctrs[i].name, name))
            return &p->ctrs[i];
    return NULL;
}

/* Whether h's container still holds its GPU; *pod and *ctr say who. */
static bool is_held(zk_agent *a, const holder *h, zk_apod **pod, const zk_actr **ctr)
{
    *pod = NULL;
    *ctr = NULL;
    if (!h->uid[0])
        return false;
    zk_apod *p = zk_map_get(a->apods, h->uid);
    if (!p)
        return false;   /* the pod is gone from this node */
    *pod = p;
    if (!p->nctrs)
        return true;    /* adopted, and its runs not read yet: assume it runs */
    const zk_actr *c = find_ctr(p, h->ctr);
    *ctr = c;
    if (!c)
        return false;
    if (c->cur.state == ZK_CTR_RUNNING || c->cur.state == ZK_CTR_STARTING)
        return true;
    /* picked for a start that is still in the threadpool: the run is as
     * it was then, and the pod busy */
    return p->busy && h->state != ADOPTED && h->state == (int)c->cur.state &&
           h->attempt == c->cur.attempt;
}

const zk_actr *zk_agent_gpu_holder(zk_agent *a, size_t i, zk_apod **pod)
{
    zk_agent_gpus *g = a->gpus;
    const zk_actr *c = NULL;
    *pod = NULL;
    if (!g || i >= g->n || !is_held(a, &g->held[i], pod, &c) || !c) {
        *pod = NULL;
        return NULL;
    }
    return c;
}

int64_t zk_agent_gpu_wanted(const json_t *ctr, char *msg, size_t n)
{
    const json_t *res = json_object_get(ctr, "resources");
    const json_t *v = zk_json_path(res, "limits", ZK_AGENT_GPU_RESOURCE, NULL);
    if (!v)
        v = zk_json_path(res, "requests", ZK_AGENT_GPU_RESOURCE, NULL);
    if (!v)
        return 0;
    zk_kube_quantity q;
    int64_t want = 0;
    zk_err err = {0};
    if (zk_kube_quantity_parse_json(v, &q, &err) < 0 ||
        zk_kube_quantity_value(&q, &want, &err) < 0 || want < 0) {
        snprintf(msg, n, "resources: %s: %s", ZK_AGENT_GPU_RESOURCE,
                 err.msg[0] ? err.msg : "must be a whole number of GPUs, not negative");
        return -1;
    }
    /* a fraction is not a whole GPU: the API server rejects it; be sure */
    int64_t milli = 0;
    if (zk_kube_quantity_milli(&q, &milli, NULL) == 0 && milli != want * 1000) {
        snprintf(msg, n, "resources: %s: must be a whole number of GPUs", ZK_AGENT_GPU_RESOURCE);
        return -1;
    }
    return want;
}

static int bits(uint64_t m)
{
    return __builtin_popcountll(m);
}

int zk_agent_gpu_assign(zk_apod *p, const zk_actr *c, json_t *ctr, uint64_t *mask, char *msg,
                        size_t n)
{
    *mask = 0;
    int64_t want = zk_agent_gpu_wanted(ctr, msg, n);
    if (want <= 0)
        return (int)want;
    zk_agent_gpus *g = p->a->gpus;
    size_t count = zk_agent_gpu_count(g);
    uint64_t mine = 0, free_ = 0;
    for (size_t i = 0; i < count; i++) {
        const holder *h = &g->held[i];
        zk_apod *hp;
        const zk_actr *hc;
        if (!strcmp(h->uid, p->uid) && !strcmp(h->ctr, c->name))
            mine |= 1ull << i;   /* from this container's earlier run */
        else if (!is_held(p->a, h, &hp, &hc))
            free_ |= 1ull << i;
    }
    int avail = bits(mine | free_);
    if (want > avail) {
        snprintf(msg, n, "Allocate failed due to requested number of devices unavailable for %s. "
                 "Requested: %lld, Available: %d, which is unexpected", ZK_AGENT_GPU_RESOURCE,
                 (long long)want, avail);
        return -1;
    }
    uint64_t pick = 0;
    int got = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < count && got < want; i++)
            if (((pass ? free_ : mine) >> i) & 1) {
                pick |= 1ull << i;
                got++;
            }
    char list[ZK_AGENT_GPU_MAX * 100] = "";
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        holder *h = &g->held[i];
        if ((mine >> i) & 1 && !((pick >> i) & 1))
            memset(h, 0, sizeof(*h));
        if (!((pick >> i) & 1))
            continue;
        snprintf(h->uid, sizeof(h->uid), "%s", p->uid);
        snprintf(h->ctr, sizeof(h->ctr), "%s", c->name);
        h->attempt = c->cur.attempt;
        h->state = (int)c->cur.state;
        int w = snprintf(list + off, sizeof(list) - off, "%s%s", off ? "," : "", g->dev[i].uuid);
        if (w > 0 && (size_t)w < sizeof(list) - off)
            off += (size_t)w;
    }
    /* what the NVIDIA container toolkit reads; after the container's own,
     * so that it wins */
    json_t *env = json_object_get(ctr, "env");
    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(ctr, "env", env);
    }
    json_array_append_new(env, json_pack("{s:s,s:s}", "name", "NVIDIA_VISIBLE_DEVICES",
                                         "value", list));
    *mask = pick;
    return 0;
}

/* ---- the run's bundle ---- */

json_t *zk_agent_gpu_device(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
        return NULL;
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "path", path, "type", "c", "major",
                     (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev),
                     "fileMode", (json_int_t)(st.st_mode & 07777), "uid", (json_int_t)st.st_uid,
                     "gid", (json_int_t)st.st_gid);
}

json_t *zk_agent_gpu_devices(const zk_agent_gpus *g, uint64_t mask)
{
    if (!mask || !g)
        return NULL;
    json_t *out = json_array();
    char path[64];
    for (size_t i = 0; i < g->n; i++) {
        if (!((mask >> i) & 1))
            continue;
        snprintf(path, sizeof(path), "/dev/nvidia%u", g->dev[i].minor);
        json_t *d = zk_agent_gpu_device(path);
        if (d)
            json_array_append_new(out, d);
    }
    static const char *const shared[] = {"/dev/nvidiactl", "/dev/nvidia-uvm",
                                         "/dev/nvidia-uvm-tools"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(shared); i++) {
        json_t *d = zk_agent_gpu_device(shared[i]);
        if (d)
            json_array_append_new(out, d);
    }
    return out;
}

int zk_agent_gpu_record(const zk_agent_gpus *g, uint64_t mask, const char *bundle)
{
    json_t *list = json_array();
    for (size_t i = 0; g && i < g->n; i++)
        if ((mask >> i) & 1)
            json_array_append_new(list, json_pack("{s:s,s:i}", "uuid", g->dev[i].uuid, "minor",
                                                  (int)g->dev[i].minor));
    zk_autofree char *path = zk_xasprintf("%s/gpus.json", bundle);
    errno = 0;
    int rc = json_dump_file(list, path, JSON_COMPACT);
    json_decref(list);
    if (rc < 0 && !errno)
        errno = EIO;
    return rc < 0 ? -1 : 0;
}

/* A run of an earlier agent process that has not ended (no exit.json):
 * its GPUs are held until its pod's record says otherwise. */
static void adopt_bundle(zk_agent_gpus *g, const char *uid, const char *bundle, const char *entry)
{
    const char *dash = strrchr(entry, '-');
    if (!dash || dash == entry || (size_t)(dash - entry) >= sizeof(g->held[0].ctr))
        return;
    zk_autofree char *exitp = zk_xasprintf("%s/exit.json", bundle);
    zk_autofree char *gp = zk_xasprintf("%s/gpus.json", bundle);
    struct stat st;
    if (stat(exitp, &st) == 0 || stat(gp, &st) < 0)
        return;
    json_t *list = json_load_file(gp, 0, NULL);
    size_t k;
    json_t *v;
    json_array_foreach(list, k, v) {
        const char *uuid = zk_json_str(v, "uuid");
        for (size_t i = 0; uuid && i < g->n; i++) {
            if (strcmp(g->dev[i].uuid, uuid))
                continue;
            holder *h = &g->held[i];
            snprintf(h->uid, sizeof(h->uid), "%s", uid);
            snprintf(h->ctr, sizeof(h->ctr), "%.*s", (int)(dash - entry), entry);
            h->attempt = atoi(dash + 1);
            h->state = ADOPTED;
        }
    }
    json_decref(list);
}

static void adopt(zk_agent *a)
{
    zk_agent_gpus *g = a->gpus;
    zk_autofree char *pods = zk_xasprintf("%s/pods", a->dir);
    DIR *d = opendir(pods);
    if (!d)
        return;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(g->held[0].uid))
            continue;
        zk_autofree char *cdir = zk_xasprintf("%s/%s/c", pods, e->d_name);
        DIR *cd = opendir(cdir);
        if (!cd)
            continue;
        struct dirent *r;
        while ((r = readdir(cd))) {
            if (r->d_name[0] == '.')
                continue;
            zk_autofree char *bundle = zk_xasprintf("%s/%s", cdir, r->d_name);
            adopt_bundle(g, e->d_name, bundle, r->d_name);
        }
        closedir(cd);
    }
    closedir(d);
    for (size_t i = 0; i < g->n; i++)
        n += g->held[i].uid[0] != '\0';
    if (n)
        zk_info("agent: containers of an earlier run hold %zu of the GPUs", n);
}

void zk_agent_gpu_start(zk_agent *a)
{
    zk_agent_gpus *g = zk_xcalloc(1, sizeof(*g));
    const char *path = getenv("ZKE_NVML_LIBRARY");
    if (!path || !*path)
        path = ZK_AGENT_NVML_SONAME;
    char why[512];
    if (!load(g, path, why, sizeof(why))) {
        zk_info("agent: no GPUs (%s)", why);
        zk_agent_gpu_close(g);
        a->gpus = zk_xcalloc(1, sizeof(*a->gpus));
        return;
    }
    a->gpus = g;
    /* the first figures now: the node's first status has them */
    sample_job s = {.g = g};
    sample_read(&s);
    sample_keep(&s);
    zk_info("agent: %zu GPUs through NVML (%s; the first is %s)", g->n, path, g->dev[0].name);
    adopt(a);
}

/* ---- what the node reports ---- */

json_t *zk_agent_gpu_stats(zk_agent *a)
{
    zk_agent_gpus *g = a->gpus;
    if (!zk_agent_gpu_count(g))
        return NULL;
    json_t *out = json_array();
    for (size_t i = 0; i < g->n; i++) {
        const zk_agent_gpu *d = &g->dev[i];
        json_t *o = json_pack("{s:I,s:s,s:s,s:I}", "index", (json_int_t)d->nvml_index, "uuid",
                              d->uuid, "name", d->name, "memoryTotal", (json_int_t)d->mem_total);
        if (d->sampled) {
            json_object_set_new(o, "utilization", json_integer(d->util));
            json_object_set_new(o, "memoryUsed", json_integer((json_int_t)d->mem_used));
        }
        json_array_append_new(out, o);
    }
    return out;
}

static bool is_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

void zk_agent_gpu_labels(zk_agent *a, json_t *labels)
{
    zk_agent_gpus *g = a->gpus;
    if (!zk_agent_gpu_count(g) || !json_is_object(labels))
        return;
    /* a label value: 63 characters of [A-Za-z0-9._-], alphanumeric at
     * both ends (GPU feature discovery's "NVIDIA-A100-SXM4-40GB") */
    char v[64];
    size_t n = 0;
    for (const char *p = g->dev[0].name; *p && n < sizeof(v) - 1; p++) {
        char ch = *p;
        if (!is_alnum(ch) && ch != '.' && ch != '_' && ch != '-')
            ch = '-';
        if (n || is_alnum(ch))
            v[n++] = ch;
    }
    while (n && !is_alnum(v[n - 1]))
        n--;
    v[n] = '\0';
    if (n)
        json_object_set_new(labels, "nvidia.com/gpu.product", json_string(v));
    char count[16];
    snprintf(count, sizeof(count), "%zu", g->n);
    json_object_set_new(labels, "nvidia.com/gpu.count", json_string(count));
}
