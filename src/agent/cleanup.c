/* zke agent: `zke node-cleanup`, what a clean stop of a node leaves: no
 * containers, mounts, network namespaces (and so no veths), bridge, Service
 * rules (nft or iptables) or masquerade rule of that node. The store keeps
 * its objects: an agent started later finds its pods without their
 * containers and starts them again, as after a reboot.
 *
 * The agent is stopped first (its containers run on without it, by
 * design); this undoes what it made, from what it wrote in its data dir:
 * every pod directory (runc state, CNI result) and agent/network.json. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cni.h"
#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "proxy/proxy.h"

/* umount2 every mount under prefix, deepest first */
static int unmount_under(const char *prefix)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return 0;
    char **paths = NULL;
    size_t n = 0, cap = 0;
    char line[8192];
    size_t plen = strlen(prefix);
    while (fgets(line, sizeof(line), f)) {
        char mnt[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
            continue;
        if (strncmp(mnt, prefix, plen) || (mnt[plen] != '/' && mnt[plen] != '\0'))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            paths = zk_xrealloc(paths, cap * sizeof(*paths));
        }
        paths[n++] = zk_xstrdup(mnt);
    }
    fclose(f);
    int done = 0;
    for (size_t i = n; i-- > 0;) {
        /* deepest last in mountinfo order is not guaranteed: go by length */
        size_t best = i;
        for (size_t j = 0; j < i; j++)
            if (strlen(paths[j]) > strlen(paths[best]))
                best = j;
        char *t = paths[i];
        paths[i] = paths[best];
        paths[best] = t;
        if (umount2(paths[i], MNT_DETACH) == 0)
            done++;
        free(paths[i]);
    }
    free(paths);
    return done;
}

static int run(char *const *argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: zke node-cleanup --data-dir DIR\n"
               "Stops every container of the node agent that used DIR and removes its pod\n"
               "network: namespaces, bridge, Service rules (nft or iptables), masquerade rule. Stop the agent (or\n"
               "server) first. The API objects stay; a later start runs the pods again.\n");
}

int zk_agent_cleanup_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ch == 'd')
            data = optarg;
        else if (ch == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!data) {
        usage(stderr);
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "zke node-cleanup: needs root (containers, mounts, network)\n");
        return 1;
    }
    zk_agent a = {0};
    a.o.runtime = "runc";
    a.o.cni_bin = ZK_CNI_DEFAULT_PATH;
    a.dir = zk_xasprintf("%s/agent", data);
    a.runc_root = zk_xasprintf("%s/agent/runc", data);
    int pods = 0, failed = 0;
    zk_autofree char *pdir = zk_xasprintf("%s/pods", a.dir);
    DIR *d = opendir(pdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char dir[4096];
            zk_agent_pod_dir(&a, e->d_name, dir, sizeof(dir));
            zk_err err = {0};
            if (zk_agent_rt_teardown(&a, e->d_name, dir, &err) < 0) {
                fprintf(stderr, "zke node-cleanup: pod %s: %s\n", e->d_name, err.msg);
                failed++;
            }
            pods++;
        }
        closedir(d);
    }
    /* whatever is left mounted (a pod directory half made) */
    int mounts = unmount_under(pdir);
    zk_autofree char *np = zk_xasprintf("%s/network.json", a.dir);
    json_t *net = json_load_file(np, 0, NULL);
    const char *bridge = zk_json_str(net, "bridge"), *table = zk_json_str(net, "table");
    const char *cidr = zk_json_str(net, "podCIDR");
    if (table)   /* the nft table, or the iptables chains */
        zk_proxy_remove_host_rules(table);
    if (bridge) {
        char *argv_ip[] = {"ip", "link", "del", (char *)bridge, NULL};
        run(argv_ip);
    }
    if (cidr) {
        char *argv_ipt[] = {"iptables", "-w", "5", "-t", "nat", "-D", "POSTROUTING", "-s",
                            (char *)cidr, "!", "-d", ZK_AGENT_CLUSTER_CIDR, "-m", "comment",
                            "--comment", "zke: pods leaving the cluster", "-j", "MASQUERADE",
                            NULL};
        for (int i = 0; i < 16 && run(argv_ipt) == 0; i++)
            ;   /* there is one; an older agent may have added more */
    }
    printf("zke node-cleanup: %d pod%s stopped%s, %d stray mount%s; bridge %s, Service rules of %s "
           "removed\n",
           pods, pods == 1 ? "" : "s", failed ? " (some with errors)" : "", mounts,
           mounts == 1 ? "" : "s", bridge ? bridge : "(none)", table ? table : "(none)");
    unlink(np);
    json_decref(net);
    free(a.dir);
    free(a.runc_root);
    return failed ? 1 : 0;
}
