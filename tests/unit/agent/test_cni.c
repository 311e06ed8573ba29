/* CNI plugins wiring a real network namespace: Debian's bridge and
 * host-local put an address into it that the host reaches; DEL takes it
 * away; plugin failures come back with the plugin's own message. Needs
 * root (CI runs as root); the addresses are in a subnet the test makes on
 * its own bridge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cni.h"
#include "base/mem.h"

/* What the bridge test made, undone even when it failed: the network
 * namespace's mount, the bridge, the temp dir. */
static char tmp[64], bridge[32];

static int remove_tmp(void **state)
{
    (void)state;
    char cmd[256];
    if (tmp[0]) {
        char ns[128];
        snprintf(ns, sizeof(ns), "%s/ns", tmp);
        zk_agent_netns_delete(ns, NULL);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmp);
        tmp[0] = '\0';
    }
    if (bridge[0]) {
        snprintf(cmd, sizeof(cmd), "ip link del %s >/dev/null 2>&1", bridge);
        if (system(cmd) != 0) {
            /* already gone */
        }
        bridge[0] = '\0';
    }
    return 0;
}

static bool can_run(void)
{
    return geteuid() == 0 && access("/usr/lib/cni/bridge", X_OK) == 0 &&
           system("nsenter --version >/dev/null 2>&1") == 0;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_bridge_add_del(void **state)
{
    (void)state;
    if (!can_run()) {
        /* root, containernetworking-plugins and nsenter: scripts/deps.sh, CI */
        skip();
    }
    snprintf(tmp, sizeof(tmp), "/tmp/zk-cni-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    const char *dir = tmp;
    int tag = (int)(getpid() % 200) + 20;
    char ns[256], br[32], conf[1024];
    snprintf(ns, sizeof(ns), "%s/ns", dir);
    snprintf(br, sizeof(br), "zkt%d", (int)getpid());
    snprintf(bridge, sizeof(bridge), "%s", br);
    snprintf(conf, sizeof(conf),
             "{\"cniVersion\":\"1.0.0\",\"name\":\"zk-test-%d\",\"plugins\":[{\"type\":\"bridge\","
             "\"bridge\":\"%s\",\"isGateway\":true,\"ipMasq\":false,\"ipam\":{\"type\":"
             "\"host-local\",\"ranges\":[[{\"subnet\":\"10.251.%d.0/24\"}]],\"dataDir\":"
             "\"%s/ipam\"}}]}",
             (int)getpid(), br, tag, dir);
    json_error_t je;
    json_t *list = json_loads(conf, 0, &je);
    assert_non_null(list);
    zk_err e = {0};
    assert_int_equal(zk_agent_netns_create(ns, &e), 0);
    zk_agent_cni c = {.conflist = list};
    json_t *res = NULL;
    if (zk_agent_cni_add(&c, "zk-test-ctr", ns, "eth0", NULL, &res, &e) != 0)
        fail_msg("ADD: %s", e.msg);
    char ip[64];
    assert_int_equal(zk_agent_cni_result_ip(res, ip, sizeof(ip)), 0);
    char want[32];
    snprintf(want, sizeof(want), "10.251.%d.", tag);
    assert_memory_equal(ip, want, strlen(want));
    json_decref(res);

    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "nsenter --net=%s ip -4 -o addr show eth0 | grep -q ' %s/24 '", ns,
             ip);
    assert_int_equal(sh(cmd), 0);
    /* the host reaches the address through the bridge's gateway */
    snprintf(cmd, sizeof(cmd), "ping -c 1 -W 2 %s >/dev/null 2>&1", ip);
    assert_int_equal(sh(cmd), 0);

    assert_int_equal(zk_agent_cni_del(&c, "zk-test-ctr", ns, "eth0", NULL, &e), 0);
    snprintf(cmd, sizeof(cmd), "nsenter --net=%s ip link show eth0 >/dev/null 2>&1", ns);
    assert_int_not_equal(sh(cmd), 0);
    /* DEL twice is fine, as CNI requires */
    assert_int_equal(zk_agent_cni_del(&c, "zk-test-ctr", ns, "eth0", NULL, &e), 0);

    assert_int_equal(zk_agent_netns_delete(ns, &e), 0);
    assert_int_equal(access(ns, F_OK), -1);
    snprintf(cmd, sizeof(cmd), "ip link del %s", br);
    assert_int_equal(sh(cmd), 0);
    bridge[0] = '\0';
    json_decref(list);
}

static void test_errors_name_the_cause(void **state)
{
    (void)state;
    json_error_t je;
    zk_err e = {0};
    json_t *res = NULL;
    json_t *list = json_loads("{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":"
                              "\"no-such-plugin\"}]}", 0, &je);
    zk_agent_cni c = {.conflist = list};
    assert_int_equal(zk_agent_cni_add(&c, "id", "/nonexistent", "eth0", NULL, &res, &e),
                     -ZK_ENOTFOUND);
    assert_non_null(strstr(e.msg, "containernetworking-plugins"));
    json_decref(list);
    list = json_loads("{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":\"../bin/sh\"}]}",
                      0, &je);
    c.conflist = list;
    assert_int_equal(zk_agent_cni_add(&c, "id", "/nonexistent", "eth0", NULL, &res, &e), -ZK_EINVAL);
    json_decref(list);
    list = json_loads("{\"name\":\"x\",\"plugins\":[]}", 0, &je);
    c.conflist = list;
    assert_int_equal(zk_agent_cni_add(&c, "id", "/nonexistent", "eth0", NULL, &res, &e), -ZK_EINVAL);
    assert_non_null(strstr(e.msg, "no plugins"));
    json_decref(list);
    if (access("/usr/lib/cni/bridge", X_OK) != 0) {
        /* the plugin's own message needs the plugin: scripts/deps.sh installs it */
        skip();
    }
    /* the plugin's own message comes back: a netns that does not exist */
    list = json_loads("{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":\"bridge\","
                      "\"bridge\":\"zkbad0\",\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{"
                      "\"subnet\":\"10.252.0.0/24\"}]],\"dataDir\":\"/tmp/zk-cni-bad\"}}]}", 0, &je);
    c.conflist = list;
    assert_int_equal(zk_agent_cni_add(&c, "id", "/nonexistent/ns", "eth0", NULL, &res, &e), -ZK_EIO);
    assert_non_null(strstr(e.msg, "CNI plugin /usr/lib/cni/bridge ADD failed"));
    assert_non_null(strstr(e.msg, "/nonexistent/ns"));
    json_decref(list);
    assert_int_equal(sh("ip link del zkbad0 >/dev/null 2>&1; rm -rf /tmp/zk-cni-bad"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_name_the_cause),
        cmocka_unit_test_teardown(test_bridge_add_del, remove_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
