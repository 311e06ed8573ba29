/* Fuzz what zke sim reads from users: durations in pod annotations, node
 * templates, and pods as a server may hand them over. The first byte picks
 * the parser. A planned pod status, once applied, must plan to nothing at
 * the same moment: otherwise the sim would patch the pod for ever. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "sim/node.h"
#include "sim/pod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 (1795763705LL * 1000 + 250)

static void duration(const char *s, size_t n)
{
    char buf[257];
    if (n > 256)
        n = 256;
    memcpy(buf, s, n);
    buf[n] = 0;
    int64_t ms = -1;
    if (zk_sim_duration_parse(buf, &ms, NULL) == 0 && (ms < 0 || ms > ZK_SIM_DURATION_MAX_MS))
        abort();
}

static void template(const char *s, size_t n)
{
    json_t *t = NULL;
    if (zk_sim_node_template_parse(s, n, &t, NULL) < 0)
        return;
    json_t *node = zk_sim_node_build(t, "sim-1", 1, T0 / 1000);
    const char *host = zk_json_path_str(node, "metadata", "labels", "kubernetes.io/hostname", NULL);
    const char *mark = zk_json_path_str(node, "metadata", "labels", ZK_SIM_LABEL, NULL);
    if (!host || strcmp(host, "sim-1") || !mark || strcmp(mark, "true") ||
        json_array_size(zk_json_path(node, "status", "conditions", NULL)) != 4)
        abort();
    json_decref(node);
    json_decref(t);
}

/* The status of the patch, with the pod's conditions the sim does not own. */
static void apply(json_t *pod, const json_t *patch)
{
    json_t *st = json_deep_copy(json_object_get(patch, "status"));
    json_t *conds = json_object_get(st, "conditions");
    size_t i, j;
    json_t *c, *d;
    json_array_foreach(zk_json_path(pod, "status", "conditions", NULL), i, c) {
        const char *t = zk_json_str(c, "type");
        bool ours = false;
        json_array_foreach(conds, j, d) {
            const char *u = zk_json_str(d, "type");
            ours |= t && u && !strcmp(t, u);
        }
        if (!ours)
            json_array_append(conds, c);
    }
    json_object_set_new(pod, "status", st);
}

static void pod(const char *s, size_t n)
{
    json_t *p = NULL;
    if (n > 65536 || zk_json_decode(s, n, &p, NULL) < 0)
        return;
    if (!json_is_object(p)) {
        json_decref(p);
        return;
    }
    zk_sim_pod_step step = zk_sim_pod_step_of(p);
    zk_sim_pod_host_network(p);
    if (step == ZK_SIM_POD_START || step == ZK_SIM_POD_SYNC) {
        zk_sim_pod_env env = {.host_ip = "10.200.0.2", .pod_ip = "10.128.1.2", .now_ms = T0};
        zk_sim_pod_plan plan;
        zk_sim_pod_plan_make(p, &env, &plan);
        if (plan.next_ms && plan.next_ms <= T0)
            abort();   /* "later" must be later */
        if (plan.patch) {
            apply(p, plan.patch);
            zk_sim_pod_plan again;
            zk_sim_pod_plan_make(p, &env, &again);
            if (again.patch) {
                char *a = json_dumps(plan.patch, JSON_COMPACT);
                char *b = json_dumps(again.patch, JSON_COMPACT);
                fprintf(stderr, "planned twice:\n%s\n%s\n", a, b);
                abort();
            }
        }
        json_decref(plan.patch);
    }
    json_decref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: duration(s, n); break;
    case 1: template(s, n); break;
    default: pod(s, n); break;
    }
    return 0;
}
