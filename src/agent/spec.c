/* zke agent: a container's OCI runtime spec. See spec.h for the rules. */
#include "agent/spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "kube/quantity.h"

#define CFS_PERIOD 100000
#define MIN_SHARES 2
#define MAX_SHARES 262144
#define MIN_QUOTA 1000

/* containerd's (and Docker's) default capability set */
static const char *const default_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
};

static const char *const masked_paths[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

uint64_t zk_agent_cpu_shares(int64_t milli)
{
    if (milli <= 0)
        return MIN_SHARES;
    __int128 s = (__int128)milli * 1024 / 1000;
    if (s < MIN_SHARES)
        return MIN_SHARES;
    return s > MAX_SHARES ? MAX_SHARES : (uint64_t)s;
}

int64_t zk_agent_cpu_quota(int64_t milli)
{
    if (milli <= 0)
        return -1;
    __int128 q = (__int128)milli * CFS_PERIOD / 1000;
    if (q < MIN_QUOTA)
        return MIN_QUOTA;
    return q > INT64_MAX ? INT64_MAX : (int64_t)q;
}

/* ---- variables ---- */

static const char *env_lookup(const json_t *env, const char *name, size_t n)
{
    const char *found = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v) {
        const char *s = json_string_value(v);
        if (s && !strncmp(s, name, n) && s[n] == '=')
            found = s + n + 1; /* the last definition wins */
    }
    return found;
}

char *zk_agent_expand_vars(const char *s, const json_t *env)
{
    zk_buf b = ZK_BUF_INIT(1 << 20);
    for (const char *p = s; *p;) {
        if (p[0] == '$' && p[1] == '$') {
            zk_buf_append(&b, "$", 1);
            p += 2;
            continue;
        }
        if (p[0] == '$' && p[1] == '(') {
            const char *close = strchr(p + 2, ')');
            if (close) {
                const char *v = env_lookup(env, p + 2, (size_t)(close - p - 2));
                if (v) {
                    zk_buf_puts(&b, v);
                    p = close + 1;
                    continue;
                }
            }
        }
        zk_buf_append(&b, p, 1);
        p++;
    }
    char *out = zk_xstrndup(b.data ? b.data : "", b.len);
    zk_buf_free(&b);
    return out;
}

/* ---- users ---- */

/* Look name up in rootfs/etc/passwd (or group); -1 when absent. */
static long lookup_id(const char *rootfs, const char *file, const char *name, long *gid)
{
    if (!rootfs)
        return -1;
    zk_autofree char *path = zk_xasprintf("%s/etc/%s", rootfs, file);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[1024];
    long id = -1;
    size_t n = strlen(name);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, name, n) || line[n] != ':')
            continue;
        /* name:x:id:gid:... */
        char *p = strchr(line + n + 1, ':');
        if (!p)
            break;
        char *end;
        id = strtol(p + 1, &end, 10);
        if (gid && *end == ':')
            *gid = strtol(end + 1, NULL, 10);
        break;
    }
    fclose(f);
    return id;
}

static int parse_user(const char *spec, const char *rootfs, long *uid, long *gid, zk_err *err)
{
    char u[256], g[256] = "";
    const char *colon = strchr(spec, ':');
    snprintf(u, sizeof(u), "%.*s", (int)(colon ? colon - spec : (long)strlen(spec)), spec);
    if (colon)
        snprintf(g, sizeof(g), "%s", colon + 1);
    char *end;
    long pgid = -1;
    long id = strtol(u, &end, 10);
    if (!*u)
        id = 0;
    else if (*end) {
        id = lookup_id(rootfs, "passwd", u, &pgid);
        if (id < 0)
            return zk_err_set(err, ZK_EINVAL, "image user \"%.200s\" is not in the image's "
                              "/etc/passwd", u);
    }
    long gr = pgid >= 0 ? pgid : 0;
    if (*g) {
        gr = strtol(g, &end, 10);
        if (*end) {
            gr = lookup_id(rootfs, "group", g, NULL);
            if (gr < 0)
                return zk_err_set(err, ZK_EINVAL, "image group \"%.200s\" is not in the image's "
                                  "/etc/group", g);
        }
    }
    if (id < 0 || gr < 0 || id > 0x7fffffff || gr > 0x7fffffff)
        return zk_err_set(err, ZK_EINVAL, "image user \"%.200s\" is out of range", spec);
    *uid = id;
    *gid = gr;
    return 0;
}

/* ---- pieces ---- */

static json_t *strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static bool cap_in(const json_t *list, const char *cap)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const char *s = json_string_value(v);
        if (!s)
            continue;
        if (!strncmp(s, "CAP_", 4))
            s += 4;
        if (!strcmp(s, "ALL") || !strcmp(s, cap + 4))
            return true;
    }
    return false;
}

static json_t *capabilities(const json_t *sc, zk_err *err)
{
    const json_t *add = zk_json_path(sc, "capabilities", "add", NULL);
    const json_t *drop = zk_json_path(sc, "capabilities", "drop", NULL);
    json_t *caps = json_array();
    for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
        if (!cap_in(drop, default_caps[i]))
            json_array_append_new(caps, json_string(default_caps[i]));
    size_t i;
    json_t *v;
    json_array_foreach(add, i, v) {
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) > 64) {
            json_decref(caps);
            zk_err_set(err, ZK_EINVAL, "securityContext.capabilities.add[%zu] is not a name", i);
            return NULL;
        }
        char name[80];
        snprintf(name, sizeof(name), "%s%s", strncmp(s, "CAP_", 4) ? "CAP_" : "", s);
        for (char *c = name; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || *c == '_' || (*c >= '0' && *c <= '9'))) {
                json_decref(caps);
                zk_err_set(err, ZK_EINVAL, "securityContext.capabilities.add[%zu]: \"%s\" is "
                           "not a capability name", i, s);
                return NULL;
            }
        if (!strcmp(name, "CAP_ALL"))
            continue;
        bool have = false;
        size_t j;
        json_t *c;
        json_array_foreach(caps, j, c) have |= !strcmp(json_string_value(c), name);
        if (!have)
            json_array_append_new(caps, json_string(name));
    }
    json_t *out = json_pack("{s:O,s:O,s:O}", "bounding", caps, "effective", caps, "permitted", caps);
    json_decref(caps);
    return out;
}

static int quantity_of(const json_t *resources, const char *which, const char *name,
                       bool milli, int64_t *out, zk_err *err)
{
    *out = 0;
    json_t *v = json_object_get(json_object_get(resources, which), name);
    if (!v)
        return 0;
    zk_kube_quantity q;
    if (zk_kube_quantity_parse_json(v, &q, err) < 0 ||
        (milli ? zk_kube_quantity_milli(&q, out, err) : zk_kube_quantity_value(&q, out, err)) < 0)
        return zk_err_wrap(err, "resources.%s.%s", which, name);
    return 0;
}

static json_t *mount(const char *dest, const char *type, const char *src, const char *opts)
{
    json_t *o = json_array();
    char *copy = zk_xstrdup(opts), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(o, json_string(t));
    free(copy);
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", type, "source", src,
                     "options", o);
}

/* ---- the spec ---- */

int zk_agent_spec_build(const json_t *pod, const json_t *container, const json_t *image_config,
                        const zk_agent_spec_opts *o, json_t **out, zk_err *err)
{
    *out = NULL;
    const json_t *icfg = json_object_get(image_config, "config");
    const char *cname = zk_json_str(container, "name");
    if (!cname)
        return zk_err_set(err, ZK_EINVAL, "container has no name");

    /* environment: image first, then the container's, each expanded */
    zk_autojson json_t *env = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(icfg, "Env"), i, v) {
        if (json_is_string(v))
            json_array_append(env, v);
    }
    if (!env_lookup(env, "PATH", 4))
        json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                               "/usr/bin:/sbin:/bin"));
    json_array_foreach(json_object_get(container, "env"), i, v) {
        const char *name = zk_json_str(v, "name");
        if (!name || !*name || strchr(name, '='))
            return zk_err_set(err, ZK_EINVAL, "containers[%s].env[%zu].name is missing or "
                              "has '='", cname, i);
        const char *value = zk_json_str(v, "value");
        zk_autofree char *ev = zk_agent_expand_vars(value ? value : "", env);
        zk_autofree char *kv = zk_xasprintf("%s=%s", name, ev);
        /* a later definition of a name replaces the earlier one */
        size_t nl = strlen(name), k;
        json_t *e;
        bool replaced = false;
        json_array_foreach(env, k, e) {
            const char *es = json_string_value(e);
            if (!strncmp(es, name, nl) && es[nl] == '=') {
                json_array_set_new(env, k, json_string(kv));
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append_new(env, json_string(kv));
    }

    /* argv */
    const json_t *command = json_object_get(container, "command");
    const json_t *args = json_object_get(container, "args");
    const json_t *entry = json_object_get(icfg, "Entrypoint");
    const json_t *cmd = json_object_get(icfg, "Cmd");
    zk_autojson json_t *argv = json_array();
    const json_t *first = json_array_size(command) ? command : entry;
    const json_t *rest = json_array_size(command) ? args : (json_array_size(args) ? args : cmd);
    const json_t *parts[2] = {first, rest};
    for (int p = 0; p < 2; p++) {
        json_array_foreach(parts[p], i, v) {
            if (!json_is_string(v))
                return zk_err_set(err, ZK_EINVAL, "containers[%s]: command and args must be "
                                  "strings", cname);
            bool mine = parts[p] == command || parts[p] == args;
            if (mine) {
                zk_autofree char *x = zk_agent_expand_vars(json_string_value(v), env);
                json_array_append_new(argv, json_string(x));
            } else {
                json_array_append(argv, v);
            }
        }
    }
    if (json_array_size(argv) == 0)
        return zk_err_set(err, ZK_EINVAL, "containers[%s]: no command: the image has no "
                          "ENTRYPOINT or CMD and the container no command", cname);

    /* user */
    const json_t *psc = zk_json_path(pod, "spec", "securityContext", NULL);
    const json_t *sc = json_object_get(container, "securityContext");
    long uid = 0, gid = 0;
    const char *iuser = zk_json_str(icfg, "User");
    if (iuser && *iuser && parse_user(iuser, o ? o->rootfs : NULL, &uid, &gid, err) < 0)
        return zk_err_wrap(err, "containers[%s]", cname);
    json_t *ru = json_object_get(sc, "runAsUser") ?: json_object_get(psc, "runAsUser");
    json_t *rg = json_object_get(sc, "runAsGroup") ?: json_object_get(psc, "runAsGroup");
    if (json_is_integer(ru))
        uid = (long)json_integer_value(ru);
    if (json_is_integer(rg))
        gid = (long)json_integer_value(rg);
    if (uid < 0 || gid < 0 || uid > 0x7fffffff || gid > 0x7fffffff)
        return zk_err_set(err, ZK_EINVAL, "containers[%s]: runAsUser/runAsGroup out of range",
                          cname);
    json_t *nonroot = json_object_get(sc, "runAsNonRoot") ?: json_object_get(psc, "runAsNonRoot");
    if (json_is_true(nonroot) && uid == 0)
        return zk_err_set(err, ZK_EINVAL, "containers[%s]: runAsNonRoot is set and the "
                          "container would run as root (uid 0)", cname);

    const char *cwd = zk_json_str(container, "workingDir");
    if (!cwd || !*cwd)
        cwd = zk_json_str(icfg, "WorkingDir");
    if (!cwd || !*cwd)
        cwd = "/";
    if (cwd[0] != '/')
        return zk_err_set(err, ZK_EINVAL, "containers[%s].workingDir \"%.200s\" is not an "
                          "absolute path", cname, cwd);

    json_t *caps = capabilities(sc, err);
    if (!caps)
        return zk_err_wrap(err, "containers[%s]", cname);
    json_t *ape = json_object_get(sc, "allowPrivilegeEscalation");

    /* resources */
    const json_t *res = json_object_get(container, "resources");
    int64_t cpu_req, cpu_lim, mem_lim;
    if (quantity_of(res, "requests", "cpu", true, &cpu_req, err) < 0 ||
        quantity_of(res, "limits", "cpu", true, &cpu_lim, err) < 0 ||
        quantity_of(res, "limits", "memory", false, &mem_lim, err) < 0) {
        json_decref(caps);
        return zk_err_wrap(err, "containers[%s]", cname);
    }
    if (!cpu_req && cpu_lim)
        cpu_req = cpu_lim; /* as the API server defaults requests to limits */
    json_t *resources = json_pack("{s:[{s:b,s:s}],s:{s:I}}", "devices", "allow", 0, "access",
                                  "rwm", "cpu", "shares", (json_int_t)zk_agent_cpu_shares(cpu_req));
    if (cpu_lim > 0) {
        json_object_set_new(json_object_get(resources, "cpu"), "quota",
                            json_integer(zk_agent_cpu_quota(cpu_lim)));
        json_object_set_new(json_object_get(resources, "cpu"), "period", json_integer(CFS_PERIOD));
    }
    if (mem_lim > 0)
        json_object_set_new(resources, "memory", json_pack("{s:I}", "limit", (json_int_t)mem_lim));
    if (o && o->pids_limit > 0)
        json_object_set_new(resources, "pids", json_pack("{s:I}", "limit",
                                                         (json_int_t)o->pids_limit));

    json_t *ns = json_pack("[{s:s},{s:s},{s:s},{s:s}]", "type", "pid", "type", "ipc", "type",
                           "uts", "type", "mount");
    if (o && o->netns)
        json_array_append_new(ns, json_pack("{s:s,s:s}", "type", "network", "path", o->netns));
    else if (!(o && o->host_network))
        json_array_append_new(ns, json_pack("{s:s}", "type", "network"));

    json_t *mounts = json_array();
    json_array_append_new(mounts, mount("/proc", "proc", "proc", "nosuid,noexec,nodev"));
    json_array_append_new(mounts, mount("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
    json_array_append_new(mounts, mount("/dev/pts", "devpts", "devpts",
                                        "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
    json_array_append_new(mounts, mount("/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"));
    json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
    json_array_append_new(mounts, mount("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
    json_array_append_new(mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup",
                                        "nosuid,noexec,nodev,relatime,ro"));
    if (o && o->mounts) {
        size_t k;
        json_t *m;
        json_array_foreach(o->mounts, k, m) json_array_append(mounts, m);
    }

    /* containerd's 1048576 open files, but never above what the agent itself
     * may raise to: runc fails the start otherwise */
    json_int_t nofile = 1048576;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
        (json_int_t)rl.rlim_max < nofile)
        nofile = (json_int_t)rl.rlim_max;
    const char *pod_name = zk_json_path_str(pod, "metadata", "name", NULL);
    json_t *tty = json_object_get(container, "tty");
    json_t *spec = json_pack(
        "{s:s,s:{s:b,s:{s:I,s:I},s:O,s:O,s:s,s:o,s:b,s:[{s:s,s:I,s:I}]},s:{s:s,s:b},s:s,s:o,"
        "s:{s:o,s:o,s:o,s:o}}",
        "ociVersion", "1.0.2",
        "process", "terminal", json_is_true(tty) && !(o && o->no_terminal), "user", "uid", (json_int_t)uid, "gid",
        (json_int_t)gid, "args", argv, "env", env, "cwd", cwd, "capabilities", caps,
        "noNewPrivileges", json_is_false(ape), "rlimits", "type", "RLIMIT_NOFILE", "hard",
        nofile, "soft", nofile,
        "root", "path", o && o->rootfs ? o->rootfs : "rootfs", "readonly",
        json_is_true(json_object_get(sc, "readOnlyRootFilesystem")),
        "hostname", pod_name ? pod_name : cname,
        "mounts", mounts,
        "linux", "namespaces", ns, "resources", resources, "maskedPaths",
        strings(masked_paths, sizeof(masked_paths) / sizeof(masked_paths[0])), "readonlyPaths",
        strings(readonly_paths, sizeof(readonly_paths) / sizeof(readonly_paths[0])));
    if (!spec)
        return zk_err_set(err, ZK_EINTERNAL, "could not build the runtime spec");
    if (o && o->cgroups_path)
        json_object_set_new(json_object_get(spec, "linux"), "cgroupsPath",
                            json_string(o->cgroups_path));
    if (o && json_array_size(o->devices)) {
        json_t *linux_ = json_object_get(spec, "linux");
        json_t *rules = zk_json_path(linux_, "resources", "devices", NULL);
        json_t *devs = json_array();
        size_t k;
        json_t *d;
        json_array_foreach(o->devices, k, d) {
            json_array_append(devs, d);
            json_array_append_new(rules, json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type",
                                                   zk_json_str(d, "type") ?: "c", "major",
                                                   zk_json_int(d, "major", 0), "minor",
                                                   zk_json_int(d, "minor", 0), "access", "rwm"));
        }
        json_object_set_new(linux_, "devices", devs);
    }
    *out = spec;
    return 0;
}
