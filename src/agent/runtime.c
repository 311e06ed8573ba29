/* zke agent: the runtime's blocking work — sandboxes (network namespace
 * and CNI), images and root filesystems, bundles and shims, volumes, and
 * tearing a pod down. Every function here runs on a threadpool thread and
 * touches only the files of one pod (and the shared, append-only image
 * store and snapshots), never the agent's loop state.
 *
 * On disk, DATA/agent/pods/<uid>/:
 *   pod.json        namespace, name, uid (to clean up after a restart)
 *   netns           the network namespace (a bind mount)
 *   sandbox.json    the pod IP and the CNI configuration it was added with
 *   hosts, hostname, resolv.conf
 *   volumes/<name>/ emptyDir, configMap, secret, downwardAPI, projected
 *   c/<container>-<attempt>/  one run's bundle: config.json, rootfs/ (an
 *                   overlay on DATA/agent/snapshots/<image>), upper/, work/,
 *                   started.json, exit.json, shim.pid, gpus.json (its GPUs) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cni.h"
#include "agent/dnsconf.h"
#include "agent/gpu.h"
#include "agent/internal.h"
#include "agent/spec.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/time.h"

extern char **environ;

const char *zk_agent_pod_dir(zk_agent *a, const char *uid, char *buf, size_t n)
{
    snprintf(buf, n, "%s/pods/%s", a->dir, uid);
    return buf;
}

void zk_agent_ctr_id(const char *uid, const char *name, int attempt, char *out, size_t n)
{
    snprintf(out, n, "%s-%s-%d", uid, name, attempt);
}

static int write_file(const char *path, const char *data, size_t len, mode_t mode)
{
    zk_autofree char *tmp = zk_xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    bool ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int write_json(const char *path, const json_t *doc)
{
    zk_autofree char *text = json_dumps(doc, JSON_COMPACT);
    return text ? write_file(path, text, strlen(text), 0600) : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)f;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Remove a tree without crossing into mounts (FTW_MOUNT). */
void zk_agent_rm_tree(const char *path)
{
    nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    rmdir(path);
}

/* Run argv and wait; its output goes to /dev/null. The exit status, or -1. */
static int run_wait(char *const *argv)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run argv; what it writes on stderr (its last 1 KiB) into msg. The exit
 * status, or -1. */
static int run_capture(char *const *argv, char *msg, size_t n)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        return -1;
    }
    char buf[1024];
    size_t have = 0;
    ssize_t k;
    char chunk[512];
    while ((k = read(pfd[0], chunk, sizeof(chunk))) > 0 || (k < 0 && errno == EINTR)) {
        if (k <= 0)
            continue;
        /* keep the end: the error comes last */
        if (have + (size_t)k > sizeof(buf)) {
            size_t drop = have + (size_t)k - sizeof(buf);
            memmove(buf, buf + drop, have - drop);
            have -= drop;
        }
        memcpy(buf + have, chunk, (size_t)k);
        have += (size_t)k;
    }
    close(pfd[0]);
    while (have && (buf[have - 1] == '\n' || buf[have - 1] == ' '))
        have--;
    snprintf(msg, n, "%.*s", (int)have, buf);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Unpack img into dir in a child process (`zke image unpack`): the layers
 * are untrusted input, and libarchive and what it loads stay out of the
 * agent's memory. */
static int unpack_child(zk_agent *a, const zk_agent_image *img, const char *dir, zk_err *err)
{
    zk_image_ref ref;
    char name[700];
    if (zk_agent_image_ref_parse(img->ref, &ref, err) < 0)
        return -1;
    zk_agent_image_ref_name(&ref, name, sizeof(name));
    zk_autofree char *by_digest = zk_xasprintf("%s@%s", name, img->digest);
    char *argv[] = {a->exe, "image", "unpack", "--data-dir", (char *)a->o.data_dir, by_digest,
                    (char *)dir, NULL};
    char msg[1024] = "";
    int rc = run_capture(argv, msg, sizeof(msg));
    if (rc != 0)
        return zk_err_set(err, ZK_EIO, "%s", msg[0] ? msg : "zke image unpack failed");
    return 0;
}

/* ---- sandboxes ---- */

/* The bridge (host-local addresses from the node's pod CIDR) and, for a
 * pod with host ports, portmap. Masquerading of traffic that leaves the
 * cluster is one rule per node (zk_agent_rt_masquerade), not a chain per
 * pod: every iptables run costs a start of the plugin and the xtables lock. */
static json_t *conflist(zk_agent *a, bool ports)
{
    zk_autofree char *ipam_dir = zk_xasprintf("%s/cni", a->dir);
    json_t *list = json_pack("{s:s,s:s,s:[{s:s,s:s,s:b,s:b,s:b,s:{s:s,s:[[{s:s}]],s:[{s:s}],s:s}}]}",
                             "cniVersion", ZK_CNI_VERSION, "name", "zke", "plugins", "type",
                             "bridge", "bridge", a->o.bridge, "isGateway", 1, "ipMasq", 0,
                             "hairpinMode", 1, "ipam", "type", "host-local", "ranges", "subnet",
                             a->pod_cidr, "routes", "dst", "0.0.0.0/0", "dataDir", ipam_dir);
    if (ports)
        json_array_append_new(json_object_get(list, "plugins"),
                              json_pack("{s:s,s:{s:b},s:b}", "type", "portmap", "capabilities",
                                        "portMappings", 1, "snat", 1));
    return list;
}

int zk_agent_rt_masquerade(const char *pod_cidr, const char *cluster_cidr)
{
    /* -C first: the rule is there once, whatever restarts happened */
    char *check[] = {"iptables", "-w", "5", "-t", "nat", "-C", "POSTROUTING", "-s", (char *)pod_cidr,
                     "!", "-d", (char *)cluster_cidr, "-m", "comment", "--comment",
                     "zke: pods leaving the cluster", "-j", "MASQUERADE", NULL};
    if (run_wait(check) == 0)
        return 0;
    check[5] = "-A";
    return run_wait(check) == 0 ? 0 : -1;
}

/* The pods' bridge with its gateway address gw/prefix, made now rather than
 * by the first pod's CNI ADD: the cluster DNS serves on that address from
 * the start. The bridge plugin takes a bridge that is there as it is. */
int zk_agent_rt_bridge(zk_agent *a, const char *gw, int prefix, zk_err *err)
{
    char addr[80];
    snprintf(addr, sizeof(addr), "%s/%d", gw, prefix);
    char *add[] = {"ip", "link", "add", (char *)a->o.bridge, "type", "bridge", NULL};
    char *show[] = {"ip", "link", "show", (char *)a->o.bridge, NULL};
    char *ip[] = {"ip", "addr", "replace", addr, "dev", (char *)a->o.bridge, NULL};
    char *up[] = {"ip", "link", "set", (char *)a->o.bridge, "up", NULL};
    char msg[1024] = "";
    if (run_wait(show) != 0 && run_capture(add, msg, sizeof(msg)) != 0)
        return zk_err_set(err, ZK_EIO, "bridge %s: %s", a->o.bridge, msg[0] ? msg : "ip link add failed");
    if (run_capture(ip, msg, sizeof(msg)) != 0 || run_capture(up, msg, sizeof(msg)) != 0)
        return zk_err_set(err, ZK_EIO, "bridge %s address %s: %s", a->o.bridge, addr,
                          msg[0] ? msg : "ip failed");
    return 0;
}

static json_t *port_mappings(const json_t *pod)
{
    json_t *maps = json_array();
    size_t i, j;
    json_t *c, *p;
    json_array_foreach(zk_json_path(pod, "spec", "containers", NULL), i, c) {
        json_array_foreach(json_object_get(c, "ports"), j, p) {
            json_int_t hp = zk_json_int(p, "hostPort", 0);
            if (hp <= 0)
                continue;
            const char *proto = zk_json_str(p, "protocol");
            char lower[8] = "tcp";
            if (proto && !strcmp(proto, "UDP"))
                snprintf(lower, sizeof(lower), "udp");
            json_t *m = json_pack("{s:I,s:I,s:s}", "hostPort", hp, "containerPort",
                                  zk_json_int(p, "containerPort", 0), "protocol", lower);
            const char *hip = zk_json_str(p, "hostIP");
            if (hip && *hip)
                zk_json_set_str(m, "hostIP", hip);
            json_array_append_new(maps, m);
        }
    }
    return maps;
}

static void write_etc(zk_agent *a, const char *pod_dir, const json_t *pod, const char *ip)
{
    const char *name = zk_json_path_str(pod, "metadata", "name", NULL);
    const char *hn = zk_json_path_str(pod, "spec", "hostname", NULL);
    if (!hn || !*hn)
        hn = name ? name : "pod";
    char host[300];
    snprintf(host, sizeof(host), "%.253s\n", hn);
    zk_autofree char *hp = zk_xasprintf("%s/hostname", pod_dir);
    write_file(hp, host, strlen(host), 0644);
    zk_autofree char *hosts = zk_xasprintf(
        "# Kubernetes-managed hosts file (zke).\n127.0.0.1\tlocalhost\n::1\tlocalhost "
        "ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n"
        "fe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n%s\t%s\n",
        ip, hn);
    zk_autofree char *hsp = zk_xasprintf("%s/hosts", pod_dir);
    write_file(hsp, hosts, strlen(hosts), 0644);
    zk_agent_rt_resolv(a, pod_dir, pod);
}

void zk_agent_rt_resolv(zk_agent *a, const char *pod_dir, const json_t *pod)
{
    FILE *f = fopen("/etc/resolv.conf", "re");
    char host[8192];
    size_t n = f ? fread(host, 1, sizeof(host) - 1, f) : 0;
    host[n] = '\0';
    if (f)
        fclose(f);
    char dns[64];
    zk_agent_dns_addr(a, dns, sizeof(dns));
    zk_autofree char *text = zk_agent_resolv_conf(pod, dns, ZK_AGENT_CLUSTER_DOMAIN, host);
    zk_autofree char *rp = zk_xasprintf("%s/resolv.conf", pod_dir);
    write_file(rp, text, strlen(text), 0644);
}

int zk_agent_rt_sandbox(zk_agent *a, const char *uid, const char *pod_dir, const json_t *pod,
                        char *ip, size_t iplen, zk_err *err)
{
    zk_autofree char *cdir = zk_xasprintf("%s/c", pod_dir);
    if ((mkdir(pod_dir, 0700) < 0 && errno != EEXIST) || (mkdir(cdir, 0700) < 0 && errno != EEXIST))
        return zk_err_set(err, ZK_EIO, "pod directory %s: %s", pod_dir, strerror(errno));
    json_t *meta = json_pack("{s:s,s:s,s:s}", "uid", uid, "namespace",
                             zk_json_path_str(pod, "metadata", "namespace", NULL) ?: "",
                             "name", zk_json_path_str(pod, "metadata", "name", NULL) ?: "");
    zk_autofree char *mp = zk_xasprintf("%s/pod.json", pod_dir);
    int w = write_json(mp, meta);
    json_decref(meta);
    if (w < 0)
        return zk_err_set(err, ZK_EIO, "write %s: %s", mp, strerror(errno));
    zk_autofree char *netns = zk_xasprintf("%s/netns", pod_dir);
    struct stat st;
    if (stat(netns, &st) < 0 || st.st_size != 0) {
        /* not there, or a leftover file that is no namespace: make it again */
        zk_agent_netns_delete(netns, NULL);
        if (zk_agent_netns_create(netns, err) < 0)
            return zk_err_wrap(err, "network namespace");
    }
    json_t *maps = port_mappings(pod);
    json_t *list = conflist(a, json_array_size(maps) > 0);
    json_t *rt = json_pack("{s:o}", "portMappings", maps);
    zk_agent_cni cni = {.bin_path = a->o.cni_bin, .conflist = list};
    json_t *result = NULL;
    /* a half-done earlier attempt (a crash between ADD and sandbox.json)
     * may hold an address: let it go first */
    zk_autofree char *prev = zk_xasprintf("%s/.adding", pod_dir);
    if (stat(prev, &st) == 0)
        zk_agent_cni_del(&cni, uid, netns, "eth0", rt, NULL);
    write_file(prev, "", 0, 0600);
    int rc = zk_agent_cni_add(&cni, uid, netns, "eth0", rt, &result, err);
    if (rc == 0 && zk_agent_cni_result_ip(result, ip, iplen) < 0)
        rc = zk_err_set(err, ZK_EIO, "the CNI plugins gave the pod no IPv4 address");
    if (rc == 0) {
        json_t *sb = json_pack("{s:s,s:O,s:O,s:O}", "ip", ip, "conflist", list, "runtimeConfig",
                               rt, "result", result);
        zk_autofree char *sp = zk_xasprintf("%s/sandbox.json", pod_dir);
        if (write_json(sp, sb) < 0)
            rc = zk_err_set(err, ZK_EIO, "write %s: %s", sp, strerror(errno));
        json_decref(sb);
        write_etc(a, pod_dir, pod, ip);
        unlink(prev);
    }
    json_decref(result);
    json_decref(list);
    json_decref(rt);
    return rc;
}

/* ---- tearing down ---- */

static bool pid_alive(const char *pidfile)
{
    FILE *f = fopen(pidfile, "re");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid > 0 && kill(pid, 0) == 0;
}

static void stop_bundle(zk_agent *a, const char *uid, const char *cdir, const char *entry)
{
    zk_autofree char *bundle = zk_xasprintf("%s/%s", cdir, entry);
    zk_autofree char *exitp = zk_xasprintf("%s/exit.json", bundle);
    zk_autofree char *shimp = zk_xasprintf("%s/shim.pid", bundle);
    /* the bundle is <name>-<attempt>: the runtime id is <uid>-<name>-<attempt> */
    char id[512];
    snprintf(id, sizeof(id), "%s-%s", uid, entry);
    struct stat st;
    if (stat(exitp, &st) < 0 && pid_alive(shimp)) {
        char *kill_argv[] = {(char *)a->o.runtime, "--root", a->runc_root, "kill", id, "KILL",
                             NULL};
        run_wait(kill_argv);
        for (int i = 0; i < 100 && stat(exitp, &st) < 0 && pid_alive(shimp); i++)
            usleep(50 * 1000);
    }
    char *del_argv[] = {(char *)a->o.runtime, "--root", a->runc_root, "delete", "--force", id,
                        NULL};
    run_wait(del_argv);
    zk_autofree char *rootfs = zk_xasprintf("%s/rootfs", bundle);
    umount2(rootfs, MNT_DETACH);
}

int zk_agent_rt_teardown(zk_agent *a, const char *uid, const char *pod_dir, zk_err *err)
{
    zk_autofree char *cdir = zk_xasprintf("%s/c", pod_dir);
    DIR *d = opendir(cdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                stop_bundle(a, uid, cdir, e->d_name);
        closedir(d);
    }
    /* volumes on tmpfs */
    zk_autofree char *vdir = zk_xasprintf("%s/volumes", pod_dir);
    d = opendir(vdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            zk_autofree char *v = zk_xasprintf("%s/%s", vdir, e->d_name);
            umount2(v, MNT_DETACH);
        }
        closedir(d);
    }
    int rc = 0;
    zk_autofree char *netns = zk_xasprintf("%s/netns", pod_dir);
    zk_autofree char *sp = zk_xasprintf("%s/sandbox.json", pod_dir);
    json_t *sb = json_load_file(sp, 0, NULL);
    if (sb) {
        zk_agent_cni cni = {.bin_path = a->o.cni_bin,
                            .conflist = json_object_get(sb, "conflist")};
        if (zk_agent_cni_del(&cni, uid, netns, "eth0", json_object_get(sb, "runtimeConfig"),
                             err) < 0)
            rc = zk_err_wrap(err, "CNI DEL of pod %s", uid);
        json_decref(sb);
    }
    zk_agent_netns_delete(netns, NULL);
    zk_agent_rm_tree(pod_dir);
    return rc;
}

/* ---- runs ---- */

void zk_agent_rt_read_run(const char *bundle, zk_ctr_run *r)
{
    zk_autofree char *sp = zk_xasprintf("%s/started.json", bundle);
    zk_autofree char *ep = zk_xasprintf("%s/exit.json", bundle);
    zk_autofree char *pp = zk_xasprintf("%s/shim.pid", bundle);
    json_t *st = json_load_file(sp, 0, NULL);
    json_t *ex = json_load_file(ep, 0, NULL);
    if (st)
        r->started_at = zk_time_parse_rfc3339(zk_json_str(st, "startedAt") ?: "");
    if (ex) {
        r->state = ZK_CTR_EXITED;
        r->exit_code = (int)zk_json_int(ex, "exitCode", 0);
        r->signal = (int)zk_json_int(ex, "signal", 0);
        r->oom = zk_json_bool(ex, "oomKilled", false);
        r->finished_at = zk_time_parse_rfc3339(zk_json_str(ex, "finishedAt") ?: "");
        const char *reason = zk_json_str(ex, "reason"), *msg = zk_json_str(ex, "message");
        snprintf(r->reason, sizeof(r->reason), "%s",
                 reason ? reason : r->oom ? "OOMKilled" : r->exit_code ? "Error" : "Completed");
        snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "");
    } else if (st || pid_alive(pp)) {
        r->state = st ? ZK_CTR_RUNNING : ZK_CTR_STARTING;
    } else {
        /* the shim is gone without a word: an agent crash mid-start */
        r->state = ZK_CTR_EXITED;
        r->exit_code = 128;
        r->finished_at = zk_wall_s();
        snprintf(r->reason, sizeof(r->reason), "StartError");
        snprintf(r->message, sizeof(r->message), "the container's start was interrupted");
    }
    json_decref(st);
    json_decref(ex);
}

/* ---- images ---- */

/* Credentials for host from the pull secrets' entries. */
static void creds_for(const json_t *creds, const char *domain, const char **user,
                      const char **pass)
{
    size_t i;
    json_t *c;
    json_array_foreach(creds, i, c) {
        const char *server = zk_json_str(c, "server");
        if (!server)
            continue;
        const char *s = strstr(server, "://") ? strstr(server, "://") + 3 : server;
        size_t n = strcspn(s, "/");
        bool docker_hub = !strcmp(domain, "docker.io") &&
                          ((n == 16 && !strncmp(s, "index.docker.io", 15)) ||
                           (n == 15 && !strncmp(s, "index.docker.io", 15)) ||
                           (n == 9 && !strncmp(s, "docker.io", 9)));
        if (docker_hub || (strlen(domain) == n && !strncmp(s, domain, n))) {
            *user = zk_json_str(c, "username");
            *pass = zk_json_str(c, "password");
            return;
        }
    }
}

static int ensure_image(zk_start_job *j, zk_agent_image *img)
{
    zk_agent *a = j->a;
    const char *image = zk_json_str(j->container, "image");
    zk_err err = {0};
    zk_image_ref ref;
    if (!image || zk_agent_image_ref_parse(image, &ref, &err) < 0) {
        snprintf(j->reason, sizeof(j->reason), "InvalidImageName");
        snprintf(j->message, sizeof(j->message), "Failed to apply default image tag \"%.400s\": %.500s",
                 image ? image : "", err.msg);
        return -1;
    }
    bool always = !strcmp(j->pull_policy, "Always");
    if (!always) {
        int rc = zk_agent_images_get(a->images, image, img, &err);
        if (rc == 0)
            return 0;
        if (!strcmp(j->pull_policy, "Never")) {
            snprintf(j->reason, sizeof(j->reason), "ErrImageNeverPull");
            snprintf(j->message, sizeof(j->message),
                     "Container image \"%s\" is not present with pull policy of Never", image);
            return -1;
        }
    }
    zk_agent_pull_opts po = {.registries = a->registries};
    creds_for(j->creds, ref.domain, &po.username, &po.password);
    zk_err_clear(&err);
    if (zk_agent_images_pull(a->images, image, &po, img, &err) < 0) {
        snprintf(j->reason, sizeof(j->reason), "ErrImagePull");
        snprintf(j->message, sizeof(j->message), "failed to pull image \"%.400s\": %.500s", image,
                 err.msg);
        return -1;
    }
    return 0;
}

/* DATA/agent/snapshots/<hex of the manifest digest>: the image unpacked
 * once, the read-only lower layer of every container's overlay. */
static int ensure_snapshot(zk_agent *a, zk_agent_image *img, char *out, size_t n, zk_err *err)
{
    const char *hex = strchr(img->digest, ':') ? strchr(img->digest, ':') + 1 : img->digest;
    snprintf(out, n, "%s/snapshots/%s", a->dir, hex);
    struct stat st;
    if (stat(out, &st) == 0)
        return 0;
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out, (long)gettid());
    zk_agent_rm_tree(tmp);
    if (unpack_child(a, img, tmp, err) < 0) {
        zk_agent_rm_tree(tmp);
        return zk_err_wrap(err, "unpack %s", img->ref);
    }
    if (rename(tmp, out) < 0) {
        int e = errno;
        zk_agent_rm_tree(tmp);
        if (stat(out, &st) == 0)
            return 0;   /* another start unpacked it first */
        return zk_err_set(err, ZK_EIO, "rename %s: %s", out, strerror(e));
    }
    return 0;
}

static json_t *image_config(zk_agent *a, const zk_agent_image *img, zk_err *err)
{
    char path[4096];
    if (zk_agent_images_blob_path(a->images, img->config, path, sizeof(path), err) < 0)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    if (zk_agent_images_read_doc(path, &text, &len, err) < 0)
        return NULL;
    json_t *cfg = zk_json_read(text, len, false);
    free(text);
    if (!cfg)
        zk_err_set(err, ZK_EPARSE, "image config %s is not JSON", img->config);
    return cfg;
}

static int root_fs(zk_agent *a, zk_agent_image *img, const char *bundle, char *rootfs, size_t n,
                   zk_err *err)
{
    char lower[4096];
    if (ensure_snapshot(a, img, lower, sizeof(lower), err) < 0)
        return -1;
    snprintf(rootfs, n, "%s/rootfs", bundle);
    zk_autofree char *upper = zk_xasprintf("%s/upper", bundle);
    zk_autofree char *work = zk_xasprintf("%s/work", bundle);
    if (mkdir(rootfs, 0755) < 0 || mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0)
        return zk_err_set(err, ZK_EIO, "bundle %.500s: %s", bundle, strerror(errno));
    zk_autofree char *opts = zk_xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
    if (mount("overlay", rootfs, "overlay", 0, opts) == 0)
        return 0;
    /* no overlayfs here (or not on this filesystem): a copy of its own */
    zk_debug("agent: overlay on %s: %s; unpacking a copy", rootfs, strerror(errno));
    rmdir(rootfs);
    if (unpack_child(a, img, rootfs, err) < 0)
        return zk_err_wrap(err, "unpack %s", img->ref);
    return 0;
}

/* Before run `attempt` of a container: the runs before it have ended, so
 * their root filesystems go; only the one just before is kept at all (its
 * exit status and log are the container's lastState and --previous). A
 * container that crashes for days holds two bundles and two logs. */
static void prune_runs(zk_start_job *j, const char *name)
{
    zk_autofree char *cdir = zk_xasprintf("%s/c", j->pod_dir);
    DIR *d = opendir(cdir);
    if (!d)
        return;
    size_t nl = strlen(name);
    struct dirent *e;
    while ((e = readdir(d))) {
        char *dash = strrchr(e->d_name, '-');
        if (!dash || (size_t)(dash - e->d_name) != nl || strncmp(e->d_name, name, nl))
            continue;
        int k = atoi(dash + 1);
        if (k >= j->attempt)
            continue;
        zk_autofree char *bundle = zk_xasprintf("%s/%s", cdir, e->d_name);
        zk_autofree char *rootfs = zk_xasprintf("%s/rootfs", bundle);
        umount2(rootfs, MNT_DETACH);
        if (k < j->attempt - 1) {
            zk_agent_rm_tree(bundle);
            /* its log: <dir>/<k>.log and rotated parts */
            char *slash = strrchr(j->log_path, '/');
            if (slash) {
                for (int part = 0; part <= 16; part++) {
                    zk_autofree char *lp =
                        part ? zk_xasprintf("%.*s/%d.log.%d", (int)(slash - j->log_path),
                                            j->log_path, k, part)
                             : zk_xasprintf("%.*s/%d.log", (int)(slash - j->log_path),
                                            j->log_path, k);
                    if (unlink(lp) < 0 && part)
                        break;
                }
            }
        }
    }
    closedir(d);
}

void zk_agent_rt_start(zk_start_job *j)
{
    zk_agent *a = j->a;
    zk_err err = {0};
    zk_agent_image img = {0};
    j->rc = -1;
    const char *name = zk_json_str(j->container, "name");
    if (ensure_image(j, &img) < 0)
        return;
    /* imageID as the kubelet reports it: repository@digest */
    zk_image_ref ref;
    char repo[700] = "";
    if (zk_agent_image_ref_parse(img.ref, &ref, NULL) == 0)
        zk_agent_image_ref_name(&ref, repo, sizeof(repo));
    snprintf(j->image_id, sizeof(j->image_id), "%.500s@%.100s", repo, img.digest);

    char bundle[4400], rootfs[4500];
    zk_autofree char *cfgp = NULL;
    zk_autojson json_t *devices = NULL;
    prune_runs(j, name);
    snprintf(bundle, sizeof(bundle), "%s/c/%s-%d", j->pod_dir, name, j->attempt);
    zk_agent_rm_tree(bundle);
    if (mkdir(bundle, 0700) < 0) {
        snprintf(j->reason, sizeof(j->reason), "CreateContainerError");
        snprintf(j->message, sizeof(j->message), "bundle %.500s: %s", bundle, strerror(errno));
        goto out;
    }
    /* its GPUs: recorded for a later agent process, device nodes in the spec */
    if (j->gpus && zk_agent_gpu_record(a->gpus, j->gpus, bundle) < 0) {
        snprintf(j->reason, sizeof(j->reason), "CreateContainerError");
        snprintf(j->message, sizeof(j->message), "%.500s/gpus.json: %s", bundle, strerror(errno));
        goto out;
    }
    devices = zk_agent_gpu_devices(a->gpus, j->gpus);
    json_t *icfg = NULL, *spec = NULL;
    if (root_fs(a, &img, bundle, rootfs, sizeof(rootfs), &err) < 0 ||
        !(icfg = image_config(a, &img, &err))) {
        snprintf(j->reason, sizeof(j->reason), "CreateContainerError");
        snprintf(j->message, sizeof(j->message), "%s", err.msg);
        goto out;
    }
    char cg[300];
    snprintf(cg, sizeof(cg), "/zke/pod%s/%s", j->uid, name);
    /* no netns path (hostNetwork): the host's, not a new empty one */
    zk_agent_spec_opts so = {.rootfs = rootfs, .netns = j->netns[0] ? j->netns : NULL,
                             .host_network = !j->netns[0], .cgroups_path = cg,
                             .pids_limit = 4096, .mounts = j->mounts, .no_terminal = false,
                             .devices = devices};
    if (zk_agent_spec_build(j->pod, j->container, icfg, &so, &spec, &err) < 0) {
        json_decref(icfg);
        snprintf(j->reason, sizeof(j->reason), "CreateContainerConfigError");
        snprintf(j->message, sizeof(j->message), "%s", err.msg);
        goto out;
    }
    json_decref(icfg);
    cfgp = zk_xasprintf("%s/config.json", bundle);
    int w = write_json(cfgp, spec);
    json_decref(spec);
    if (w < 0) {
        snprintf(j->reason, sizeof(j->reason), "CreateContainerError");
        snprintf(j->message, sizeof(j->message), "write %s: %s", cfgp, strerror(errno));
        goto out;
    }
    char id[512];
    zk_agent_ctr_id(j->uid, name, j->attempt, id, sizeof(id));
    snprintf(j->run.id, sizeof(j->run.id), "%.127s", id);
    /* stdin: true: the shim gives the container a FIFO that attach writes;
     * tty: true: the shim holds the terminal runc makes */
    bool in = zk_json_bool(j->container, "stdin", false);
    char *argv[16] = {a->exe, "shim", "--id", id, "--bundle", bundle, "--log", j->log_path,
                      "--runtime", (char *)a->o.runtime, "--runtime-root", a->runc_root};
    int ac = 12;
    if (in)
        argv[ac++] = "--stdin";
    if (zk_json_bool(j->container, "tty", false))
        argv[ac++] = "--tty";
    argv[ac] = NULL;
    int rc = run_wait(argv);
    zk_agent_rt_read_run(bundle, &j->run);
    j->run.attempt = j->attempt;
    if (rc != 0) {
        snprintf(j->reason, sizeof(j->reason), "RunContainerError");
        snprintf(j->message, sizeof(j->message), "%s",
                 j->run.message[0] ? j->run.message : "the shim could not start the container");
        goto out;
    }
    j->rc = 0;
out:
    zk_agent_image_clear(&img);
}

/* ---- volumes ---- */

/* The first component of a path written into a volume, noted in the set of
 * names the volume should hold (see prune_volume). */
static void note_written(json_t *set, const char *path)
{
    if (!set)
        return;
    char top[256];
    snprintf(top, sizeof(top), "%.*s", (int)strcspn(path, "/"), path);
    json_object_set_new(set, top, json_true());
}

static int write_items(const char *dir, const json_t *data, bool base64, const json_t *items,
                       int mode, json_t *names, zk_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v) {
        const char *path = k;
        int m = mode;
        if (json_array_size(items)) {
            path = NULL;
            size_t i;
            json_t *it;
            json_array_foreach(items, i, it) {
                const char *key = zk_json_str(it, "key");
                if (key && !strcmp(key, k)) {
                    path = zk_json_str(it, "path");
                    m = (int)zk_json_int(it, "mode", mode);
                }
            }
            if (!path)
                continue;
        }
        if (!*path || path[0] == '/' || strstr(path, ".."))
            return zk_err_set(err, ZK_EINVAL, "volume item path \"%s\" is not a relative path "
                              "inside the volume", path);
        const char *s = json_string_value(v);
        if (!s)
            continue;
        zk_autofree char *full = zk_xasprintf("%s/%s", dir, path);
        /* parent directories of nested paths */
        for (char *p = full + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
            *p = '\0';
            mkdir(full, 0755);
            *p = '/';
        }
        zk_autofree char *bin = NULL;
        size_t blen = strlen(s);
        if (base64) {
            bin = zk_xmalloc(blen + 1);
            int n = zk_base64_decode(s, blen, (unsigned char *)bin, blen + 1);
            if (n < 0)
                return zk_err_set(err, ZK_EINVAL, "key %s is not base64", k);
            blen = (size_t)n;
        }
        if (write_file(full, bin ? bin : s, blen, (mode_t)(m & 0777)) < 0 ||
            chmod(full, (mode_t)(m & 0777)) < 0)
            return zk_err_set(err, ZK_EIO, "write %s: %s", full, strerror(errno));
        note_written(names, path);
    }
    return 0;
}

/* A volume written again: what its sources no longer name goes (a key
 * removed from a ConfigMap leaves the files, as with the kubelet). */
static void prune_volume(const char *dir, const json_t *keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            json_object_get(keep, e->d_name))
            continue;
        zk_autofree char *p = zk_xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            zk_agent_rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
}

static const char *field_value(const json_t *pod, const char *fp, char *buf, size_t n)
{
    const json_t *meta = json_object_get(pod, "metadata");
    if (!fp)
        return "";
    if (!strcmp(fp, "metadata.name") || !strcmp(fp, "metadata.namespace") ||
        !strcmp(fp, "metadata.uid"))
        return zk_json_str(meta, fp + 9) ?: "";
    if (!strcmp(fp, "spec.nodeName") || !strcmp(fp, "spec.serviceAccountName"))
        return zk_json_path_str(pod, "spec", fp + 5, NULL) ?: "";
    if (!strcmp(fp, "status.podIP") || !strcmp(fp, "status.hostIP"))
        return zk_json_path_str(pod, "status", fp + 7, NULL) ?: "";
    if (!strcmp(fp, "metadata.labels") || !strcmp(fp, "metadata.annotations")) {
        const json_t *m = json_object_get(meta, fp + 9);
        size_t off = 0;
        buf[0] = '\0';
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)m, k, v) {
            int w = snprintf(buf + off, n - off, "%s=\"%s\"\n", k, json_string_value(v) ?: "");
            if (w < 0 || (size_t)w >= n - off)
                break;
            off += (size_t)w;
        }
        return buf;
    }
    return "";
}

int zk_agent_rt_volumes(zk_agent *a, const json_t *pod, const json_t *refs, const char *pod_dir,
                        zk_err *err)
{
    (void)a;
    zk_autofree char *vdir = zk_xasprintf("%s/volumes", pod_dir);
    if (mkdir(vdir, 0700) < 0 && errno != EEXIST)
        return zk_err_set(err, ZK_EIO, "%s: %s", vdir, strerror(errno));
    size_t i;
    json_t *v;
    json_array_foreach(zk_json_path(pod, "spec", "volumes", NULL), i, v) {
        const char *name = zk_json_str(v, "name");
        if (!name || !*name || strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, "."))
            continue;
        zk_autofree char *dir = zk_xasprintf("%s/%s", vdir, name);
        json_t *src;
        if ((src = json_object_get(v, "hostPath"))) {
            const char *t = zk_json_str(src, "type"), *p = zk_json_str(src, "path");
            if (p && t && !strcmp(t, "DirectoryOrCreate"))
                mkdir(p, 0755);
            continue;
        }
        bool fresh = mkdir(dir, 0755) == 0;
        if (!fresh && errno != EEXIST)
            return zk_err_set(err, ZK_EIO, "%s: %s", dir, strerror(errno));
        if ((src = json_object_get(v, "emptyDir"))) {
            const char *medium = zk_json_str(src, "medium");
            if (fresh && medium && !strcmp(medium, "Memory") &&
                mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0777") < 0)
                return zk_err_set(err, ZK_EIO, "tmpfs for emptyDir %s: %s", name,
                                  strerror(errno));
            if (fresh)
                chmod(dir, 0777);
            continue;
        }
        bool secretish = json_object_get(v, "secret") || json_object_get(v, "projected");
        /* secrets never touch the disk: a tmpfs of their own */
        if (fresh && secretish &&
            mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
            return zk_err_set(err, ZK_EIO, "tmpfs for volume %s: %s", name, strerror(errno));
        json_t *sources = json_array();
        json_t *names = json_object();   /* what the volume holds now */
        if ((src = json_object_get(v, "configMap")) || (src = json_object_get(v, "secret")) ||
            (src = json_object_get(v, "downwardAPI")))
            json_array_append_new(sources, json_pack("{s:O}", json_object_get(v, "configMap")
                                                                ? "configMap"
                                                            : json_object_get(v, "secret")
                                                                ? "secret"
                                                                : "downwardAPI",
                                                    src));
        else if ((src = json_object_get(v, "projected")))
            json_array_extend(sources, json_object_get(src, "sources") ?: json_array());
        int dmode = (int)zk_json_int(src, "defaultMode", 0644);
        size_t k;
        json_t *s;
        json_array_foreach(sources, k, s) {
            json_t *cm = json_object_get(s, "configMap"), *sec = json_object_get(s, "secret");
            json_t *dapi = json_object_get(s, "downwardAPI");
            json_t *tok = json_object_get(s, "serviceAccountToken");
            int rc = 0;
            if (cm || sec) {
                json_t *ref = cm ? cm : sec;
                const char *rn = zk_json_str(ref, cm ? "name" : "secretName");
                if (!rn)
                    rn = zk_json_str(ref, "name");
                char key[400];
                snprintf(key, sizeof(key), "%s/%s", cm ? "configmap" : "secret", rn ? rn : "");
                json_t *obj = json_object_get(refs, key);
                if (!json_is_object(obj))
                    continue;   /* optional and missing (the caller checked) */
                rc = write_items(dir, json_object_get(obj, "data"), sec != NULL,
                                 json_object_get(ref, "items"), dmode, names, err);
                if (rc == 0 && cm)
                    rc = write_items(dir, json_object_get(obj, "binaryData"), true,
                                     json_object_get(ref, "items"), dmode, names, err);
            } else if (dapi) {
                size_t m;
                json_t *it;
                json_array_foreach(json_object_get(dapi, "items"), m, it) {
                    const char *path = zk_json_str(it, "path");
                    char buf[16384];
                    const char *val = field_value(
                        pod, zk_json_path_str(it, "fieldRef", "fieldPath", NULL), buf,
                        sizeof(buf));
                    if (!path)
                        continue;
                    json_t *one = json_pack("{s:s}", path, val);
                    rc = write_items(dir, one, false, NULL, (int)zk_json_int(it, "mode", dmode),
                                     names, err);
                    json_decref(one);
                    if (rc < 0)
                        break;
                }
            } else if (tok) {
                const char *path = zk_json_str(tok, "path");
                json_t *t = json_object_get(refs, "token");
                if (path && json_is_string(t)) {
                    json_t *one = json_pack("{s:O}", path, t);
                    rc = write_items(dir, one, false, NULL, dmode, names, err);
                    json_decref(one);
                }
            }
            if (rc < 0) {
                json_decref(sources);
                json_decref(names);
                return zk_err_wrap(err, "volume %s", name);
            }
        }
        json_decref(sources);
        if (!fresh)
            prune_volume(dir, names);
        json_decref(names);
    }
    return 0;
}
