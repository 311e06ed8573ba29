/* Fuzz the scheduler's reading of pods and nodes and one scheduling
 * decision over them. The input is JSON: {"pod": Pod, "nodes": [Node...],
 * "pods": [Pod with spec.nodeName...]}; whatever parses is scheduled, and
 * the decision must name a known node or explain itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "scheduler/algo.h"
#include "scheduler/cache.h"
#include "scheduler/objects.h"
#include "scheduler/queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    if (zk_json_decode((const char *)data, size, &doc, NULL) != 0)
        return 0;
    zk_sched_cache *c = zk_sched_cache_new();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "nodes"), i, v) {
        zk_sched_node *n = NULL;
        if (zk_sched_node_parse(v, &n, NULL) == 0)
            zk_sched_cache_node_set(c, n);
    }
    json_array_foreach(json_object_get(doc, "pods"), i, v) {
        zk_sched_pod *p = NULL;
        if (zk_sched_pod_parse(v, true, &p, NULL) == 0) {
            if (p->node_name && !p->terminal)
                zk_sched_cache_pod_add(c, p, i % 2 == 0);
            else
                zk_sched_pod_free(p);
        }
    }
    zk_sched_pod *p = NULL;
    if (zk_sched_pod_parse(json_object_get(doc, "pod"), true, &p, NULL) == 0) {
        zk_sched_algo a;
        zk_sched_algo_init(&a, c, (int32_t)(size % 101), 1);
        zk_sched_result r;
        zk_sched_algo_run(&a, p, &r);
        if (r.node) {
            if (zk_sched_cache_node(c, r.node->name) != r.node)
                abort();
        } else if (!r.message || (strncmp(r.message, "0/", 2) && strcmp(r.message, "no nodes "
                                                                          "available to schedule pods"))) {
            abort();
        }
        zk_sched_algo_fini(&a);
        /* and through the queue */
        zk_sched_queue *q = zk_sched_queue_new();
        zk_sched_queue_add(q, p, false, 0);
        zk_sched_qpod *qp = zk_sched_queue_pop(q);
        if (!qp)
            abort();
        zk_sched_queue_unschedulable(q, qp, ~0u, 0);
        zk_sched_queue_move(q, ~0u, 20000);
        zk_sched_queue_free(q);
    }
    /* remove every pod again: the counts must come back to zero */
    json_array_foreach(json_object_get(doc, "pods"), i, v) {
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", zk_json_path_str(v, "metadata", "namespace", NULL) ?: "",
                 zk_json_path_str(v, "metadata", "name", NULL) ?: "");
        zk_sched_cache_pod_remove(c, key);
    }
    for (size_t k = 0; k < c->n_nodes; k++)
        if (c->nodes[k]->n_pods || c->nodes[k]->requested.cpu || c->nodes[k]->n_owners)
            abort();
    zk_sched_cache_free(c);
    json_decref(doc);
    return 0;
}
