/* Helpers for the scheduler unit tests: pods and nodes from JSON literals
 * written with single quotes ('a' for "a"), so the cases stay readable. */
#ifndef ZK_TEST_SCHED_SUPPORT_H
#define ZK_TEST_SCHED_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "scheduler/algo.h"
#include "scheduler/cache.h"
#include "scheduler/objects.h"
#include "scheduler/plugins.h"

static inline json_t *sq_json(const char *text)
{
    char *s = zk_xstrdup(text);
    for (char *c = s; *c; c++)
        if (*c == '\'')
            *c = '"';
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j)
        fail_msg("bad test JSON at %d: %s: %s", e.position, e.text, s);
    free(s);
    return j;
}

static inline zk_sched_pod *mkpod(const char *text)
{
    json_t *j = sq_json(text);
    zk_sched_pod *p = NULL;
    zk_err err = {0};
    if (zk_sched_pod_parse(j, true, &p, &err) < 0)
        fail_msg("pod parse: %s", err.msg);
    json_decref(j);
    return p;
}

static inline zk_sched_node *mknode(const char *text)
{
    json_t *j = sq_json(text);
    zk_sched_node *n = NULL;
    zk_err err = {0};
    if (zk_sched_node_parse(j, &n, &err) < 0)
        fail_msg("node parse: %s", err.msg);
    json_decref(j);
    return n;
}

/* A node with name, labels (JSON object text or NULL), cpu, memory,
 * pods, and extra spec text (e.g. "'taints':[...]"). */
static inline zk_sched_node *simple_node(const char *name, const char *labels, const char *cpu,
                                         const char *mem, int pods, const char *spec)
{
    char buf[4096];
    snprintf(buf, sizeof(buf),
             "{'metadata':{'name':'%s','labels':%s},'spec':{%s},"
             "'status':{'allocatable':{'cpu':'%s','memory':'%s','pods':'%d'}}}",
             name, labels ? labels : "{}", spec ? spec : "", cpu, mem, pods);
    return mknode(buf);
}

/* A pod in namespace default with labels, requests and extra spec. */
static inline zk_sched_pod *simple_pod(const char *name, const char *labels, const char *cpu,
                                       const char *mem, const char *spec)
{
    char req[256] = "";
    if (cpu && mem)
        snprintf(req, sizeof(req), "'resources':{'requests':{'cpu':'%s','memory':'%s'}}", cpu,
                 mem);
    else if (cpu)
        snprintf(req, sizeof(req), "'resources':{'requests':{'cpu':'%s'}}", cpu);
    else if (mem)
        snprintf(req, sizeof(req), "'resources':{'requests':{'memory':'%s'}}", mem);
    char buf[8192];
    snprintf(buf, sizeof(buf),
             "{'metadata':{'name':'%s','namespace':'default','uid':'uid-%s','labels':%s},"
             "'spec':{'containers':[{'name':'c',%s}]%s%s}}",
             name, name, labels ? labels : "{}", req, spec ? "," : "", spec ? spec : "");
    /* an empty resources entry leaves a dangling comma */
    char *dangling = strstr(buf, "'c',}");
    if (dangling)
        memmove(dangling + 3, dangling + 4, strlen(dangling + 4) + 1);
    return mkpod(buf);
}

/* Assign pod to node in the cache. */
static inline zk_sched_pod *place(zk_sched_cache *c, zk_sched_pod *p, const char *node)
{
    free(p->node_name);
    p->node_name = zk_xstrdup(node);
    zk_sched_cache_pod_add(c, p, false);
    return p;
}

/* Run one filter plugin by name for pod on node. On failure the first
 * reason is copied to why (may be NULL). */
static inline bool run_filter(zk_sched_cache *c, const char *plugin, const zk_sched_pod *p,
                              const zk_sched_node *n, char *why, size_t why_len)
{
    zk_sched_cycle cy;
    zk_sched_cycle_init(&cy, c);
    zk_sched_cycle_begin(&cy, p);
    zk_sched_reasons r = {0};
    const zk_sched_plugin *pl = zk_sched_plugin_find(plugin);
    assert_non_null(pl);
    bool ok = zk_sched_filter(&cy, pl, n, &r);
    if (why) {
        why[0] = 0;
        for (size_t i = 0; i < r.n; i++) {
            size_t l = strlen(why);
            snprintf(why + l, why_len - l, "%s%s", i ? "; " : "", r.r[i]);
        }
    }
    zk_sched_cycle_fini(&cy);
    return ok;
}

/* Scores of one plugin for pod over the cache's nodes (in cache order). */
static inline void run_score(zk_sched_cache *c, const char *plugin, const zk_sched_pod *p,
                             int64_t *scores)
{
    zk_sched_cycle cy;
    zk_sched_cycle_init(&cy, c);
    zk_sched_cycle_begin(&cy, p);
    const zk_sched_plugin *pl = zk_sched_plugin_find(plugin);
    assert_non_null(pl);
    zk_sched_score(&cy, pl, c->nodes, c->n_nodes, scores);
    zk_sched_cycle_fini(&cy);
}

#endif
