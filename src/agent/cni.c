/* zke agent: network namespaces and CNI plugin calls (the CNI 1.0
 * protocol: the command in the environment, the network configuration on
 * stdin, the result or an error object on stdout). */
#include "agent/cni.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"

#define ZK_CNI_TIMEOUT_MS 30000
#define ZK_CNI_MAX_OUTPUT (1u << 20)

/* ---- network namespaces ---- */

int zk_agent_netns_create(const char *path, zk_err *err)
{
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0)
        return zk_err_set(err, ZK_EIO, "create %s: %s", path, strerror(errno));
    close(fd);
    /* unshare in a child, so this process keeps its namespace; the child
     * binds its new namespace onto path, which keeps it alive */
    pid_t pid = fork();
    if (pid < 0) {
        unlink(path);
        return zk_err_set(err, ZK_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) < 0)
            _exit(10);
        /* loopback up, as in every pod: containers of a pod talk over
         * localhost, and port-forward connects there */
        struct ifreq ifr = {.ifr_name = "lo"};
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
            _exit(12);
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            _exit(12);
        close(s);
        if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
            _exit(11);
        _exit(0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        unlink(path);
        return zk_err_set(err, ZK_EIO, "network namespace %s: %s failed (are we root?)", path,
                          !WIFEXITED(st)                ? "its child"
                          : WEXITSTATUS(st) == 10 ? "unshare"
                          : WEXITSTATUS(st) == 12 ? "bringing up loopback"
                                                  : "bind mount");
    }
    return 0;
}

int zk_agent_netns_delete(const char *path, zk_err *err)
{
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return zk_err_set(err, ZK_EIO, "unmount %s: %s", path, strerror(errno));
    if (unlink(path) < 0 && errno != ENOENT)
        return zk_err_set(err, ZK_EIO, "remove %s: %s", path, strerror(errno));
    return 0;
}

/* ---- plugin calls ---- */

static int find_plugin(const char *dirs, const char *type, char *out, size_t len, zk_err *err)
{
    if (!*type || strchr(type, '/') || !strcmp(type, ".") || !strcmp(type, ".."))
        return zk_err_set(err, ZK_EINVAL, "CNI plugin type \"%.100s\" is not a plugin name", type);
    zk_autofree char *copy = zk_xstrdup(dirs);
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%s/%s", d, type);
        if (access(out, X_OK) == 0)
            return 0;
    }
    return zk_err_set(err, ZK_ENOTFOUND, "CNI plugin \"%s\" is not in %s (install "
                      "containernetworking-plugins)", type, dirs);
}

/* Run one plugin; on success *out is its parsed stdout (NULL for an empty
 * one, as DEL may print). */
static int exec_plugin(const char *plugin, const char *command, const char *id, const char *netns,
                       const char *ifname, const char *dirs, const char *config, json_t **out,
                       zk_err *err)
{
    *out = NULL;
    int in[2], outp[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return zk_err_set(err, ZK_EIO, "pipe: %s", strerror(errno));
    if (pipe2(outp, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return zk_err_set(err, ZK_EIO, "pipe: %s", strerror(errno));
    }
    char e_cmd[64], e_id[300], e_ns[1100], e_if[64], e_path[1100];
    snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", command);
    snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s", id);
    snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=%s", netns);
    snprintf(e_if, sizeof(e_if), "CNI_IFNAME=%s", ifname);
    snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", dirs);
    char *envp[] = {e_cmd, e_id, e_ns, e_if, e_path, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]), close(in[1]), close(outp[0]), close(outp[1]);
        return zk_err_set(err, ZK_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(outp[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        char *argv[] = {(char *)plugin, NULL};
        execve(plugin, argv, envp);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    /* the config is small (well under a pipe's buffer) but write it fully */
    size_t clen = strlen(config), off = 0;
    while (off < clen) {
        ssize_t w = write(in[1], config + off, clen - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(in[1]);
    zk_buf b = ZK_BUF_INIT(ZK_CNI_MAX_OUTPUT);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = 0;
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (waited >= ZK_CNI_TIMEOUT_MS) {
            kill(pid, SIGKILL);
            rc = zk_err_set(err, ZK_EIO, "CNI plugin %s %s: no answer in %d s", plugin, command,
                            ZK_CNI_TIMEOUT_MS / 1000);
            break;
        }
        struct pollfd p = {.fd = outp[0], .events = POLLIN};
        int pr = poll(&p, 1, (int)(ZK_CNI_TIMEOUT_MS - waited));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char chunk[4096];
        ssize_t n = read(outp[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (zk_buf_append(&b, chunk, (size_t)n) < 0) {
            kill(pid, SIGKILL);
            rc = zk_err_set(err, ZK_ETOOBIG, "CNI plugin %s printed more than %u bytes", plugin,
                            ZK_CNI_MAX_OUTPUT);
            break;
        }
    }
    close(outp[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (rc == 0) {
        json_t *doc = NULL;
        if (b.len && zk_json_decode(b.data, b.len, &doc, NULL) < 0)
            doc = NULL;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            const char *msg = zk_json_str(doc, "msg");
            const char *details = zk_json_str(doc, "details");
            rc = zk_err_set(err, ZK_EIO, "CNI plugin %s %s failed (%s %d)%s%s%s%s", plugin,
                            command, WIFEXITED(st) ? "exit" : "signal",
                            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), msg ? ": " : "",
                            msg ? msg : "", details ? ": " : "", details ? details : "");
            json_decref(doc);
        } else if (b.len && !doc) {
            rc = zk_err_set(err, ZK_EPARSE, "CNI plugin %s %s printed something that is not "
                            "JSON", plugin, command);
        } else {
            *out = doc;
        }
    }
    zk_buf_free(&b);
    return rc;
}

/* The configuration one plugin of the list gets. */
static char *plugin_config(const zk_agent_cni *c, const json_t *plugin, const json_t *prev,
                           const json_t *runtime)
{
    json_t *cfg = json_deep_copy(plugin);
    json_object_set_new(cfg, "cniVersion",
                        json_string(zk_json_str(c->conflist, "cniVersion") ?: ZK_CNI_VERSION));
    json_object_set_new(cfg, "name", json_string(zk_json_str(c->conflist, "name") ?: "zke"));
    if (prev)
        json_object_set(cfg, "prevResult", (json_t *)prev);
    /* runtimeConfig: only the capabilities the plugin declares */
    const json_t *caps = json_object_get(plugin, "capabilities");
    if (runtime && json_is_object(caps)) {
        json_t *rc = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)runtime, k, v) {
            if (json_is_true(json_object_get(caps, k)))
                json_object_set(rc, k, v);
        }
        if (json_object_size(rc))
            json_object_set_new(cfg, "runtimeConfig", rc);
        else
            json_decref(rc);
    }
    char *text = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    return text;
}

static int check_list(const zk_agent_cni *c, const json_t **plugins, zk_err *err)
{
    *plugins = json_object_get(c->conflist, "plugins");
    if (!json_is_array(*plugins) || json_array_size(*plugins) == 0)
        return zk_err_set(err, ZK_EINVAL, "CNI network list has no plugins");
    return 0;
}

int zk_agent_cni_del(const zk_agent_cni *c, const char *id, const char *netns, const char *ifname,
                     const json_t *runtime, zk_err *err)
{
    const json_t *plugins;
    if (check_list(c, &plugins, err) < 0)
        return -err->code;
    const char *dirs = c->bin_path ? c->bin_path : ZK_CNI_DEFAULT_PATH;
    int first = 0;
    for (size_t i = json_array_size(plugins); i-- > 0;) {
        const json_t *p = json_array_get(plugins, i);
        char path[1024];
        zk_err e = {0};
        json_t *res = NULL;
        const char *type = zk_json_str(p, "type");
        zk_autofree char *cfg = plugin_config(c, p, NULL, runtime);
        int rc = find_plugin(dirs, type ? type : "", path, sizeof(path), &e);
        if (rc == 0)
            rc = exec_plugin(path, "DEL", id, netns, ifname, dirs, cfg, &res, &e);
        json_decref(res);
        if (rc < 0 && !first) {
            first = rc;
            if (err)
                *err = e;
        }
    }
    return first;
}

int zk_agent_cni_add(const zk_agent_cni *c, const char *id, const char *netns, const char *ifname,
                     const json_t *runtime, json_t **result, zk_err *err)
{
    *result = NULL;
    const json_t *plugins;
    if (check_list(c, &plugins, err) < 0)
        return -err->code;
    const char *dirs = c->bin_path ? c->bin_path : ZK_CNI_DEFAULT_PATH;
    json_t *prev = NULL;
    for (size_t i = 0; i < json_array_size(plugins); i++) {
        const json_t *p = json_array_get(plugins, i);
        char path[1024];
        const char *type = zk_json_str(p, "type");
        zk_autofree char *cfg = plugin_config(c, p, prev, runtime);
        json_t *res = NULL;
        int rc = find_plugin(dirs, type ? type : "", path, sizeof(path), err);
        if (rc == 0)
            rc = exec_plugin(path, "ADD", id, netns, ifname, dirs, cfg, &res, err);
        if (rc == 0 && !res)
            rc = zk_err_set(err, ZK_EPARSE, "CNI plugin %s ADD printed no result", path);
        if (rc < 0) {
            json_decref(prev);
            zk_err undo = {0};
            zk_agent_cni_del(c, id, netns, ifname, runtime, &undo);
            return rc;
        }
        json_decref(prev);
        prev = res;
    }
    *result = prev;
    return 0;
}

int zk_agent_cni_result_ip(const json_t *result, char *out, size_t len)
{
    size_t i;
    json_t *ip;
    json_array_foreach(json_object_get(result, "ips"), i, ip) {
        const char *a = zk_json_str(ip, "address");
        if (!a || strchr(a, ':'))
            continue;
        const char *slash = strchr(a, '/');
        size_t n = slash ? (size_t)(slash - a) : strlen(a);
        if (n + 1 > len)
            return -ZK_ETOOBIG;
        memcpy(out, a, n);
        out[n] = '\0';
        return 0;
    }
    return -ZK_ENOTFOUND;
}
