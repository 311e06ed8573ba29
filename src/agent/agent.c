/* zke agent: the process — options, the client, node registration and the
 * Lease heartbeat. Pods are in pods.c, the runtime in runtime.c. */
#include "agent/agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cni.h"
#include "agent/gpu.h"
#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"
#include "proxy/dns.h"
#include "proxy/proxy.h"

/* ---- the node ---- */

static void heartbeat(uv_timer_t *t);

static void on_lease(void *ctx, const zk_kube_result *r)
{
    zk_agent *a = ctx;
    if (r->status == 200 || r->status == 201 || r->status == 409) {
        a->lease_made = true;   /* 409: it is there from an earlier run */
        return;
    }
    if (r->status == 404)
        a->lease_made = false;   /* made again on the next beat */
    zk_warn("agent: lease of node %s: %d %s", a->o.node_name, r->status, r->error);
}

static void renew_lease(zk_agent *a)
{
    char now[40];
    zk_time_rfc3339_micro(now, sizeof(now));
    if (!a->lease_made) {
        json_t *lease = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i,s:s}}", "apiVersion",
                                  "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
                                  a->o.node_name, "namespace", ZK_AGENT_LEASE_NS, "spec",
                                  "holderIdentity", a->o.node_name, "leaseDurationSeconds",
                                  ZK_AGENT_LEASE_S, "renewTime", now);
        if (a->node_uid[0])
            json_object_set_new(json_object_get(lease, "metadata"), "ownerReferences",
                                json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "v1", "kind",
                                          "Node", "name", a->o.node_name, "uid", a->node_uid));
        /* AlreadyExists (a restart) falls through to the patch below next time */
        a->lease_made = true;
        zk_kube_create(a->client, &zk_kube_leases, ZK_AGENT_LEASE_NS, lease, on_lease, a);
        json_decref(lease);
        return;
    }
    json_t *patch = json_pack("{s:{s:s,s:s,s:i}}", "spec", "renewTime", now, "holderIdentity",
                              a->o.node_name, "leaseDurationSeconds", ZK_AGENT_LEASE_S);
    zk_kube_patch(a->client, &zk_kube_leases, ZK_AGENT_LEASE_NS, a->o.node_name, NULL,
                  "application/merge-patch+json", patch, on_lease, a);
    json_decref(patch);
}

static void on_node_status(void *ctx, const zk_kube_result *r)
{
    zk_agent *a = ctx;
    if (r->status == 404) {
        /* deleted under us: register again */
        a->registered = false;
        a->node_uid[0] = '\0';
    } else if (r->status != 200) {
        zk_warn("agent: node status of %s: %d %s", a->o.node_name, r->status, r->error);
    }
}

static void post_status(zk_agent *a)
{
    json_t *cur = zk_kube_informer_get(a->nodes, NULL, a->o.node_name);
    json_t *patch = json_pack("{s:o}", "status", zk_agent_node_status(a, cur));
    zk_kube_patch(a->client, &zk_kube_nodes, NULL, a->o.node_name, "status",
                  "application/merge-patch+json", patch, on_node_status, a);
    json_decref(patch);
}

static void on_registered(void *ctx, const zk_kube_result *r)
{
    zk_agent *a = ctx;
    if (r->status == 201 || r->status == 200) {
        const char *uid = zk_kube_uid(r->body);
        snprintf(a->node_uid, sizeof(a->node_uid), "%s", uid ? uid : "");
        a->registered = true;
        zk_info("agent: node %s registered (%s, %s)", a->o.node_name, a->host.ip,
                a->host.kernel);
        if (r->status == 200)
            post_status(a);   /* it existed: report this start's status */
        renew_lease(a);
        return;
    }
    if (r->status == 409) {
        /* it is there already (a restart): take it over */
        char path[600];
        snprintf(path, sizeof(path), "/api/v1/nodes/%s", a->o.node_name);
        zk_kube_request(a->client, "GET", path, NULL, NULL, on_registered, a);
        return;
    }
    zk_warn("agent: registering node %s: %d %s (trying again)", a->o.node_name, r->status,
            r->error);
}

static void register_node(zk_agent *a)
{
    json_t *node = zk_agent_node_build(a);
    zk_kube_create(a->client, &zk_kube_nodes, NULL, node, on_registered, a);
    json_decref(node);
}

static void heartbeat(uv_timer_t *t)
{
    zk_agent *a = t->data;
    zk_agent_host_read(a->o.data_dir, &a->host);
    if (!a->registered) {
        register_node(a);
        return;
    }
    renew_lease(a);
    post_status(a);
}

/* ---- Service networking ---- */

void zk_agent_dns_addr(zk_agent *a, char *out, size_t n) { snprintf(out, n, "%s", a->dns_ip); }

/* What `zke node-cleanup` removes once this agent is stopped. */
static void record_network(zk_agent *a)
{
    json_t *j = json_pack("{s:s,s:s}", "bridge", a->o.bridge, "podCIDR", a->pod_cidr);
    if (a->proxy) {
        zk_json_set_str(j, "table", a->o.bridge);
        zk_json_set_str(j, "proxyMode", zk_proxy_mode_name(zk_proxy_get_mode(a->proxy)));
    }
    zk_autofree char *path = zk_xasprintf("%s/network.json", a->dir);
    zk_autofree char *tmp = zk_xasprintf("%s.tmp", path);
    if (json_dump_file(j, tmp, JSON_COMPACT) < 0 || rename(tmp, path) < 0)
        zk_warn("agent: cannot write %s: %s", path, strerror(errno));
    json_decref(j);
}

/* The cluster DNS serves pods on the bridge's address, the first of the
 * node's pod CIDR (the gateway pods route through). */
static void dns_start(zk_agent *a)
{
    if (!a->proxy || a->dns)
        return;
    char net[64];
    int prefix = 0;
    struct in_addr in;
    if (sscanf(a->pod_cidr, "%63[0-9.]/%d", net, &prefix) != 2 || prefix < 8 || prefix > 30 ||
        inet_pton(AF_INET, net, &in) != 1) {
        zk_warn("agent: pod CIDR %s: no cluster DNS", a->pod_cidr);
        return;
    }
    in.s_addr = htonl(ntohl(in.s_addr) + 1);
    char gw[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in, gw, sizeof(gw));
    zk_err err = {0};
    if (zk_agent_rt_bridge(a, gw, prefix, &err) < 0) {
        zk_warn("agent: %s; pods get the host's DNS", err.msg);
        return;
    }
    zk_dns_opts o = {.addr = gw, .port = a->o.dns_port, .domain = ZK_AGENT_CLUSTER_DOMAIN,
                     .upstreams = a->o.dns_upstreams};
    a->dns = zk_dns_new(a->loop, zk_proxy_services(a->proxy), zk_proxy_slices(a->proxy), &o, &err);
    if (!a->dns) {
        zk_warn("agent: %s; pods get the host's DNS", err.msg);
        return;
    }
    snprintf(a->dns_ip, sizeof(a->dns_ip), "%s", gw);
}

/* The node's own object: its pod CIDR comes from the server. */
static void node_seen(void *ctx, json_t *obj)
{
    zk_agent *a = ctx;
    const char *cidr = zk_json_path_str(obj, "spec", "podCIDR", NULL);
    const char *uid = zk_kube_uid(obj);
    if (uid && !a->node_uid[0])
        snprintf(a->node_uid, sizeof(a->node_uid), "%s", uid);
    if (cidr && strcmp(cidr, a->pod_cidr)) {
        if (a->pod_cidr[0])
            zk_warn("agent: pod CIDR changed from %s to %s; new pods use the new one",
                    a->pod_cidr, cidr);
        snprintf(a->pod_cidr, sizeof(a->pod_cidr), "%s", cidr);
        zk_info("agent: pod CIDR %s", cidr);
        if (zk_agent_rt_masquerade(cidr, ZK_AGENT_CLUSTER_CIDR) < 0)
            zk_warn("agent: could not add the MASQUERADE rule for %s (iptables); pods reach "
                    "only the cluster and this host", cidr);
        record_network(a);
        dns_start(a);
        /* pods waiting for a network may go on */
        size_t pos = 0;
        const char *k;
        void *v;
        while (zk_map_next(a->apods, &pos, &k, &v))
            zk_agent_pod_queue(v);
    }
}

static void node_add(void *ctx, json_t *obj) { node_seen(ctx, obj); }
static void node_update(void *ctx, json_t *old, json_t *obj) { node_seen(ctx, obj); }
static void node_del(void *ctx, json_t *obj)
{
    zk_agent *a = ctx;
    zk_warn("agent: node %s was deleted; registering again", a->o.node_name);
    a->registered = false;
    a->node_uid[0] = '\0';
    a->lease_made = false;
}

/* ---- setting up ---- */

static char *opt_dup(const char *s) { return s ? zk_xstrdup(s) : NULL; }

static int mkdirs(const char *path, mode_t mode)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static zk_agent *agent_new(const zk_agent_opts *o, uv_loop_t *loop, const zk_kube_config *cfg,
                           zk_err *err)
{
    zk_agent *a = zk_xcalloc(1, sizeof(*a));
    a->loop = loop;
    a->o = *o;
    a->o.data_dir = opt_dup(o->data_dir);
    a->o.node_ip = opt_dup(o->node_ip);
    a->o.runtime = zk_xstrdup(o->runtime ? o->runtime : "runc");
    a->o.cni_bin = zk_xstrdup(o->cni_bin ? o->cni_bin : ZK_CNI_DEFAULT_PATH);
    a->o.reserved_cpu = opt_dup(o->reserved_cpu);
    a->o.reserved_memory = opt_dup(o->reserved_memory);
    a->o.dns_upstreams = opt_dup(o->dns_upstreams);
    a->o.proxy_mode = opt_dup(o->proxy_mode);
    if (o->node_ip)
        snprintf(a->host.ip, sizeof(a->host.ip), "%s", o->node_ip);
    zk_agent_host_read(a->o.data_dir, &a->host);
    a->o.node_name = zk_xstrdup(o->node_name && *o->node_name ? o->node_name : a->host.hostname);
    if (o->bridge) {
        a->o.bridge = zk_xstrdup(o->bridge);
    } else {
        a->o.bridge = zk_xasprintf("zke%08x", zk_fnv1a32(a->o.node_name));
    }
    if (o->zke_bin) {
        a->exe = zk_xstrdup(o->zke_bin);
    } else {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0) {
            zk_err_set(err, ZK_EIO, "cannot find this program (/proc/self/exe): %s",
                       strerror(errno));
            return NULL;
        }
        exe[n] = '\0';
        a->exe = zk_xstrdup(exe);
    }
    a->dir = zk_xasprintf("%s/agent", a->o.data_dir);
    a->runc_root = zk_xasprintf("%s/agent/runc", a->o.data_dir);
    a->logs_dir = zk_xasprintf("%s/pods", a->o.data_dir);
    zk_autofree char *pods = zk_xasprintf("%s/pods", a->dir);
    zk_autofree char *snaps = zk_xasprintf("%s/snapshots", a->dir);
    if (mkdirs(pods, 0700) < 0 || mkdirs(snaps, 0700) < 0 || mkdirs(a->runc_root, 0700) < 0 ||
        mkdirs(a->logs_dir, 0755) < 0) {
        zk_err_set(err, ZK_EIO, "agent directories under %s: %s", a->dir, strerror(errno));
        return NULL;
    }
    zk_autofree char *imgdir = zk_xasprintf("%s/images", a->o.data_dir);
    a->images = zk_agent_images_open(imgdir, err);
    if (!a->images)
        return NULL;
    zk_autofree char *regs = zk_xasprintf("%s/registries.yaml", a->o.data_dir);
    if (zk_registries_load(regs, &a->registries, err) < 0)
        return NULL;
    a->cfg = *cfg;   /* takes the strings */
    /* plain HTTP/1.1 to one server: zke's own client, not libcurl (decision 011) */
    a->cfg.lite = true;
    a->client = zk_kube_client_new(loop, &a->cfg, err);
    if (!a->client)
        return NULL;
    a->apods = zk_map_new();
    a->gc_high = a->o.image_gc_set ? a->o.image_gc_high : 85;
    a->gc_low = a->o.image_gc_set ? a->o.image_gc_low : 80;
    a->gc_min_age_ms = (a->o.image_gc_set ? a->o.image_gc_min_age_s : 120) * 1000;
    a->sync_ms = (uint64_t)(a->o.sync_frequency_s > 0 ? a->o.sync_frequency_s : 60) * 1000;
    a->image_seen = json_object();
    a->image_last_used = json_object();
    return a;
}

static void agent_start(zk_agent *a)
{
    char sel[600];
    snprintf(sel, sizeof(sel), "metadata.name=%s", a->o.node_name);
    a->nodes = zk_kube_informer_new(a->client, &zk_kube_nodes, NULL, NULL, sel);
    zk_kube_informer_on(a->nodes, &(zk_kube_handler){.add = node_add, .update = node_update,
                                                     .del = node_del, .ctx = a});
    zk_kube_informer_start(a->nodes);
    uv_timer_init(a->loop, &a->heartbeat);
    a->heartbeat.data = a;
    uv_timer_start(&a->heartbeat, heartbeat, 0, ZK_AGENT_HEARTBEAT_MS);
    if (!a->o.disable_proxy) {
        zk_proxy_opts po = {.table = a->o.bridge, .cluster_cidr = ZK_AGENT_CLUSTER_CIDR,
                            .mode = a->o.proxy_mode};
        zk_err err = {0};
        a->proxy = zk_proxy_new(a->client, &po, &err);
        if (a->proxy)
            zk_proxy_start(a->proxy);
        else
            zk_warn("agent: %s; no Service rules on this node", err.msg);
    }
    zk_agent_gpu_start(a);
    zk_agent_pods_adopt(a);
    zk_agent_pods_start(a);
    zk_agent_tun_start(a);
    zk_info("agent: node %s, data in %s, runtime %s, bridge %s", a->o.node_name, a->o.data_dir,
            a->o.runtime, a->o.bridge);
}

/* ---- in `zke server` ---- */

typedef struct thread_arg {
    uv_loop_t loop;
    zk_agent *a;
} thread_arg;

static void *agent_thread(void *arg)
{
    thread_arg *t = arg;
    agent_start(t->a);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    return NULL;
}

int zk_agent_start_thread(const zk_agent_opts *o, const zk_kube_config *cfg, zk_err *err)
{
    thread_arg *t = zk_xcalloc(1, sizeof(*t));
    uv_loop_init(&t->loop);
    t->a = agent_new(o, &t->loop, cfg, err);
    if (!t->a)
        return zk_err_wrap(err, "node agent");
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &at, agent_thread, t);
    pthread_attr_destroy(&at);
    if (rc != 0)
        return zk_err_set(err, ZK_EINTERNAL, "agent thread: %s", strerror(rc));
    pthread_setname_np(th, "zke-agent");
    return 0;
}

/* ---- `zke agent` ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke agent --data-dir DIR (--kubeconfig FILE | --server URL --token T)\n"
            "                 [--node-name N] [--node-ip IP] [--runtime runc]\n"
            "                 [--system-reserved cpu=100m,memory=256Mi] [--max-pods N]\n"
            "                 [--cni-bin-dir DIRS] [--bridge NAME]\n"
            "                 [--disable-proxy] [--proxy-mode auto|nftables|iptables]\n"
            "                 [--cluster-dns-upstream IP[:PORT],...]\n"
            "                 [--image-gc-high-threshold 85] [--image-gc-low-threshold 80]\n"
            "                 [--image-minimum-gc-age 2m] [--sync-frequency 1m]\n"
            "Runs a node agent: registers the node and runs the pods bound to it.\n");
}

static void on_signal(uv_signal_t *s, int signum)
{
    zk_info("agent: signal %d: stopping (containers keep running)", signum);
    uv_stop(s->loop);
}

int zk_agent_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"kubeconfig", required_argument, NULL, 'k'},
        {"server", required_argument, NULL, 's'},
        {"token", required_argument, NULL, 't'},
        {"node-name", required_argument, NULL, 'n'},
        {"node-ip", required_argument, NULL, 'i'},
        {"runtime", required_argument, NULL, 'r'},
        {"system-reserved", required_argument, NULL, 'R'},
        {"max-pods", required_argument, NULL, 'm'},
        {"cni-bin-dir", required_argument, NULL, 'c'},
        {"bridge", required_argument, NULL, 'b'},
        {"disable-proxy", no_argument, NULL, 'P'},
        {"proxy-mode", required_argument, NULL, 'X'},
        {"cluster-dns-upstream", required_argument, NULL, 'U'},
        {"image-gc-high-threshold", required_argument, NULL, 'G'},
        {"image-gc-low-threshold", required_argument, NULL, 'g'},
        {"image-minimum-gc-age", required_argument, NULL, 'A'},
        {"sync-frequency", required_argument, NULL, 'S'},
        {"insecure-skip-tls-verify", no_argument, NULL, 'I'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    zk_agent_opts o = {.image_gc_high = 85, .image_gc_low = 80, .image_gc_min_age_s = 120};
    const char *kubeconfig = NULL, *server = NULL, *token = NULL;
    bool insecure = false;
    static char cpu[64], mem[64];
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': o.data_dir = optarg; break;
        case 'k': kubeconfig = optarg; break;
        case 's': server = optarg; break;
        case 't': token = optarg; break;
        case 'n': o.node_name = optarg; break;
        case 'i': o.node_ip = optarg; break;
        case 'r': o.runtime = optarg; break;
        case 'm': o.max_pods = atoi(optarg); break;
        case 'c': o.cni_bin = optarg; break;
        case 'b': o.bridge = optarg; break;
        case 'P': o.disable_proxy = true; break;
        case 'X':
            if (strcmp(optarg, "auto") && strcmp(optarg, "nftables") && strcmp(optarg, "iptables")) {
                fprintf(stderr, "zke agent: --proxy-mode \"%s\": use auto, nftables or iptables\n",
                        optarg);
                return 2;
            }
            o.proxy_mode = optarg;
            break;
        case 'U': o.dns_upstreams = optarg; break;
        case 'I': insecure = true; break;
        case 'G':
        case 'g': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 100) {
                fprintf(stderr, "zke agent: --image-gc-%s-threshold: \"%s\" is not a percent "
                        "from 0 to 100\n", ch == 'G' ? "high" : "low", optarg);
                return 2;
            }
            *(ch == 'G' ? &o.image_gc_high : &o.image_gc_low) = (int)v;
            o.image_gc_set = true;
            break;
        }
        case 'S':
        case 'A': {
            char *end;
            double v = strtod(optarg, &end);
            double unit = !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600
                          : !strcmp(end, "s") || !*end ? 1 : -1;
            if (end == optarg || v < 0 || unit < 0 || (ch == 'S' && v * unit < 1)) {
                fprintf(stderr, "zke agent: --%s: \"%s\" is not a duration like 2m, 90s or "
                        "1h%s\n", ch == 'S' ? "sync-frequency" : "image-minimum-gc-age", optarg,
                        ch == 'S' ? " (at least 1s)" : "");
                return 2;
            }
            if (ch == 'S') {
                o.sync_frequency_s = (int64_t)(v * unit);
                break;
            }
            o.image_gc_min_age_s = (int64_t)(v * unit);
            o.image_gc_set = true;
            break;
        }
        case 'R': {
            char *copy = zk_xstrdup(optarg), *save = NULL;
            for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                if (!strncmp(kv, "cpu=", 4)) {
                    snprintf(cpu, sizeof(cpu), "%s", kv + 4);
                    o.reserved_cpu = cpu;
                } else if (!strncmp(kv, "memory=", 7)) {
                    snprintf(mem, sizeof(mem), "%s", kv + 7);
                    o.reserved_memory = mem;
                } else {
                    fprintf(stderr, "zke agent: --system-reserved: \"%s\" is not cpu=Q or "
                                    "memory=Q\n", kv);
                    free(copy);
                    return 2;
                }
            }
            free(copy);
            break;
        }
        case 'v':
            zk_log_set_level_name(optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.data_dir || (!kubeconfig && !(server && token))) {
        usage(stderr);
        return 2;
    }
    if (o.image_gc_low > o.image_gc_high) {
        fprintf(stderr, "zke agent: --image-gc-low-threshold (%d) must not be above "
                "--image-gc-high-threshold (%d)\n", o.image_gc_low, o.image_gc_high);
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "zke agent: must run as root (it mounts, makes network namespaces and "
                        "runs runc)\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    zk_err err = {0};
    zk_kube_config cfg = {0};
    if (!kubeconfig) {
        /* a join token: this node's credentials, once, kept in the data dir */
        char host[256] = "";
        if (!o.node_name) {
            zk_agent_host h = {0};
            zk_agent_host_read(o.data_dir, &h);
            snprintf(host, sizeof(host), "%s", h.hostname);
            o.node_name = host;
        }
        static char path[4096];
        snprintf(path, sizeof(path), "%s/agent", o.data_dir);
        mkdirs(path, 0700);
        snprintf(path, sizeof(path), "%s/agent/node.kubeconfig", o.data_dir);
        struct stat st;
        if (stat(path, &st) < 0) {
            if (zk_agent_join(server, token, o.node_name, path, &err) < 0) {
                fprintf(stderr, "zke agent: %s\n", err.msg);
                return 1;
            }
            printf("zke agent: joined %s as node %s\n", server, o.node_name);
        }
        kubeconfig = path;
    }
    (void)insecure;
    if (zk_kube_config_load(kubeconfig, &cfg, &err) < 0) {
        fprintf(stderr, "zke agent: %s\n", err.msg);
        return 1;
    }
    cfg.user_agent = zk_xstrdup("zke-agent/" ZK_VERSION);
    uv_loop_t loop;
    uv_loop_init(&loop);
    zk_agent *a = agent_new(&o, &loop, &cfg, &err);
    if (!a) {
        fprintf(stderr, "zke agent: %s\n", err.msg);
        return 1;
    }
    uv_signal_t sigint, sigterm;
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    agent_start(a);
    printf("zke agent: node %s ready\n", a->o.node_name);
    fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT);
    return 0;
}
