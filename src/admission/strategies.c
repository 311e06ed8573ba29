/* Scheduling strategies: placement annotations become nodeAffinity and
 * tolerations (see strategies.h). */
#include "admission/strategies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/names.h"

#define K_HOSTS ZK_ADM_STRATEGY_PREFIX "hosts"
#define K_GROUP ZK_ADM_STRATEGY_PREFIX "host-group"
#define K_EXCL ZK_ADM_STRATEGY_PREFIX "exclusive"
#define HOSTNAME_LABEL "kubernetes.io/hostname"
#define MAX_HOSTS 64

bool zk_adm_strategies_wanted(const json_t *annotations)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)annotations, k, v)
        if (!strncmp(k, ZK_ADM_STRATEGY_PREFIX, strlen(ZK_ADM_STRATEGY_PREFIX)))
            return true;
    return false;
}

const json_t *zk_adm_template_annotations(const char *resource, const json_t *obj)
{
    if (!strcmp(resource, "cronjobs"))
        return zk_json_path(obj, "spec", "jobTemplate", "spec", "template", "metadata",
                            "annotations", NULL);
    return zk_json_path(obj, "spec", "template", "metadata", "annotations", NULL);
}

static const json_t *find_named(json_t *const *objs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const char *x = zk_json_path_str(objs[i], "metadata", "name", NULL);
        if (x && !strcmp(x, name))
            return objs[i];
    }
    return NULL;
}

static bool exclusive(const json_t *group)
{
    return json_is_true(zk_json_path(group, "spec", "exclusive", NULL));
}

/* What annotations ask for: which key (NULL: nothing) and its value; or
 * *why when they cannot be read. */
static const char *strategy_of(const json_t *annotations, const char **value, char **why)
{
    const char *found = NULL, *k;
    json_t *v;
    *value = NULL;
    json_object_foreach((json_t *)annotations, k, v) {
        if (strncmp(k, ZK_ADM_STRATEGY_PREFIX, strlen(ZK_ADM_STRATEGY_PREFIX)))
            continue;
        if (strcmp(k, K_HOSTS) && strcmp(k, K_GROUP) && strcmp(k, K_EXCL)) {
            *why = zk_xasprintf("unknown scheduling strategy %.100s: use one of %s, %s or %s", k,
                                K_HOSTS, K_GROUP, K_EXCL);
            return NULL;
        }
        if (found) {
            *why = zk_xasprintf("%s and %s ask for two scheduling strategies: use one",
                                found, k);
            return NULL;
        }
        found = k;
        *value = json_string_value(v);
    }
    if (found && (!*value || !**value)) {
        *why = zk_xasprintf("%s is empty: name %s", found,
                            strcmp(found, K_HOSTS) ? "a host group" : "one or more nodes");
        return NULL;
    }
    return found;
}

/* The host names of "n1,n2" (spaces allowed), into out (at most MAX_HOSTS);
 * -1 with *why on a bad one. */
static int hosts_of(const char *value, char out[][254], size_t *n, char **why)
{
    *n = 0;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        size_t len = (size_t)(e - p);
        char name[254];
        char bad[256];
        if (len > 253 || *n == MAX_HOSTS) {
            *why = zk_xasprintf("%s: at most %d names of at most 253 characters", K_HOSTS,
                                MAX_HOSTS);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        if (!zk_kube_is_dns1123_subdomain(name, bad, sizeof(bad))) {
            *why = zk_xasprintf("%s: \"%s\" is no node name: %s", K_HOSTS, name, bad);
            return -1;
        }
        bool dup = false;
        for (size_t i = 0; i < *n; i++)
            dup = dup || !strcmp(out[i], name);
        if (!dup)
            memcpy(out[(*n)++], name, len + 1);
        p = e;
    }
    if (!*n) {
        *why = zk_xasprintf("%s names no node", K_HOSTS);
        return -1;
    }
    return 0;
}

char *zk_adm_strategies_check(const json_t *annotations, json_t *const *groups, size_t ngroups,
                              json_t *const *nodes, size_t nnodes)
{
    char *why = NULL;
    const char *value;
    const char *key = strategy_of(annotations, &value, &why);
    if (!key)
        return why;
    if (!strcmp(key, K_HOSTS)) {
        char hosts[MAX_HOSTS][254];
        size_t n;
        if (hosts_of(value, hosts, &n, &why) < 0)
            return why;
        for (size_t i = 0; i < n; i++) {
            const json_t *node = find_named(nodes, nnodes, hosts[i]);
            if (!node)
                return zk_xasprintf("%s: there is no node \"%s\"", K_HOSTS, hosts[i]);
            const char *g = zk_json_path_str(node, "metadata", "labels",
                                             ZK_ADM_HOST_GROUP_LABEL, NULL);
            const json_t *group = g ? find_named(groups, ngroups, g) : NULL;
            if (group && exclusive(group))
                return zk_xasprintf("%s: node \"%s\" belongs to the exclusive host group \"%s\": "
                                    "ask for the group with %s: %s",
                                    K_HOSTS, hosts[i], g, K_EXCL, g);
        }
        return NULL;
    }
    char bad[256];
    if (!zk_kube_is_dns1123_label(value, bad, sizeof(bad)))
        return zk_xasprintf("%s: \"%.64s\" is no host group name: %s", key, value, bad);
    const json_t *group = find_named(groups, ngroups, value);
    if (!group)
        return zk_xasprintf("%s: there is no host group \"%s\"", key, value);
    if (!strcmp(key, K_GROUP) && exclusive(group))
        return zk_xasprintf("%s: host group \"%s\" is exclusive: ask for it with %s: %s", key,
                            value, K_EXCL, value);
    if (!strcmp(key, K_EXCL) && !exclusive(group))
        return zk_xasprintf("%s: host group \"%s\" is not exclusive: ask for it with %s: %s",
                            key, value, K_GROUP, value);
    return NULL;
}

/* ---- the rewrite ---- */

/* Add expr to every required nodeSelectorTerm (a new term when there is
 * none); returns whether anything was added. */
static bool require(json_t *pod, const json_t *expr)
{
    json_t *na = zk_json_child_obj(zk_json_child_obj(zk_json_child_obj(pod, "spec"), "affinity"), "nodeAffinity");
    json_t *req = zk_json_child_obj(na, "requiredDuringSchedulingIgnoredDuringExecution");
    json_t *terms = zk_json_child_arr(req, "nodeSelectorTerms");
    if (!json_array_size(terms))
        json_array_append_new(terms, json_object());
    bool added = false;
    size_t i;
    json_t *t;
    json_array_foreach(terms, i, t) {
        json_t *exprs = zk_json_child_arr(t, "matchExpressions");
        bool have = false;
        size_t j;
        json_t *e;
        json_array_foreach(exprs, j, e)
            have = have || json_equal(e, expr);
        if (!have) {
            json_array_append(exprs, (json_t *)expr);
            added = true;
        }
    }
    return added;
}

static bool tolerate(json_t *pod, const char *group)
{
    json_t *tols = zk_json_child_arr(zk_json_child_obj(pod, "spec"), "tolerations");
    json_t *want = json_pack("{s:s,s:s,s:s,s:s}", "key", ZK_ADM_EXCLUSIVE_TAINT, "operator",
                             "Equal", "value", group, "effect", "NoSchedule");
    size_t i;
    json_t *t;
    json_array_foreach(tols, i, t) {
        if (json_equal(t, want)) {
            json_decref(want);
            return false;
        }
    }
    json_array_append_new(tols, want);
    return true;
}

int zk_adm_strategies_pod(json_t *pod, json_t *const *groups, size_t ngroups, json_t *const *nodes,
                          size_t nnodes, char **why)
{
    *why = NULL;
    json_t *ann = zk_json_path(pod, "metadata", "annotations", NULL);
    if (!zk_adm_strategies_wanted(ann))
        return 0;
    *why = zk_adm_strategies_check(ann, groups, ngroups, nodes, nnodes);
    if (*why)
        return -1;
    const char *value;
    char *ignored = NULL;
    const char *key = strategy_of(ann, &value, &ignored);
    free(ignored);
    json_t *expr;
    char *note;
    if (!strcmp(key, K_HOSTS)) {
        char hosts[MAX_HOSTS][254];
        size_t n;
        hosts_of(value, hosts, &n, &ignored);
        json_t *vals = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(vals, json_string(hosts[i]));
        expr = json_pack("{s:s,s:s,s:o}", "key", HOSTNAME_LABEL, "operator", "In", "values", vals);
        note = zk_xasprintf("%s: nodeAffinity %s in %s", K_HOSTS, HOSTNAME_LABEL, value);
    } else {
        expr = json_pack("{s:s,s:s,s:[s]}", "key", ZK_ADM_HOST_GROUP_LABEL, "operator", "In",
                         "values", value);
        note = !strcmp(key, K_EXCL)
                   ? zk_xasprintf("%s: nodeAffinity %s=%s, toleration %s=%s:NoSchedule", key,
                                  ZK_ADM_HOST_GROUP_LABEL, value, ZK_ADM_EXCLUSIVE_TAINT, value)
                   : zk_xasprintf("%s: nodeAffinity %s=%s", key, ZK_ADM_HOST_GROUP_LABEL, value);
    }
    bool changed = require(pod, expr);
    json_decref(expr);
    if (!strcmp(key, K_EXCL))
        changed = tolerate(pod, value) || changed;
    if (changed)
        json_object_set_new(zk_json_child_obj(zk_json_child_obj(pod, "metadata"), "annotations"),
                            ZK_ADM_PLACEMENT_RECORD, json_string(note));
    free(note);
    return changed ? 1 : 0;
}
