/* Which objects a list or watch selects: namespace, label selector, field
 * selector (with the fields each kind supports, as kube-apiserver). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/jsonscan.h"
#include "base/mem.h"
#include "kube/selector.h"

static const char *const zk__pod_fields[] = {
    "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
    "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName", NULL};
static const char *const zk__event_fields[] = {
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
    "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
    "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type", NULL};
static const char *const zk__secret_fields[] = {"type", NULL};
static const char *const zk__ns_fields[] = {"status.phase", NULL};
static const char *const zk__node_fields[] = {"spec.unschedulable", NULL};
static const char *const zk__rs_fields[] = {"status.replicas", NULL};
static const char *const zk__job_fields[] = {"status.successful", NULL};

static const char *const *zk__kind_fields(const zk_kind *k)
{
    if (!k->group[0]) {
        if (!strcmp(k->resource, "pods"))
            return zk__pod_fields;
        if (!strcmp(k->resource, "events"))
            return zk__event_fields;
        if (!strcmp(k->resource, "secrets"))
            return zk__secret_fields;
        if (!strcmp(k->resource, "namespaces"))
            return zk__ns_fields;
        if (!strcmp(k->resource, "nodes"))
            return zk__node_fields;
        if (!strcmp(k->resource, "replicationcontrollers"))
            return zk__rs_fields;
    } else if (!strcmp(k->group, "apps") && !strcmp(k->resource, "replicasets")) {
        return zk__rs_fields;
    } else if (!strcmp(k->group, "batch") && !strcmp(k->resource, "jobs")) {
        return zk__job_fields;
    }
    return NULL;
}

static bool zk__field_supported(const zk_kind *k, const char *field)
{
    if (!strcmp(field, "metadata.name") || !strcmp(field, "metadata.namespace"))
        return true;
    const char *const *f = zk__kind_fields(k);
    for (; f && *f; f++)
        if (!strcmp(*f, field))
            return true;
    return false;
}

static bool zk__known(void *ctx, const char *field)
{
    return zk__field_supported(ctx, field);
}

int zk_apis_filter_init(zk_filter *f, zk_call *c)
{
    memset(f, 0, sizeof(*f));
    f->kind = c->kind;
    f->ns = zk_xstrdup(c->kind->namespaced ? c->ri.ns : "");
    f->name = zk_xstrdup("");
    char buf[4096];
    zk_err err = {0};
    const char *ls = zk_query_get(c->ri.query, "labelSelector", buf, sizeof(buf));
    if (ls && *ls) {
        zk_kube_selector *s = NULL;
        if (zk_kube_selector_parse(ls, &s, &err) < 0) {
            zk_apis_status_fmt(c->req, 400, "BadRequest", "unable to parse requirement: %s",
                               err.msg);
            zk_apis_filter_free(f);
            return -1;
        }
        f->labels = s;
    }
    const char *fs = zk_query_get(c->ri.query, "fieldSelector", buf, sizeof(buf));
    if (fs && *fs) {
        zk_kube_fieldsel *s = NULL;
        if (zk_kube_fieldsel_parse(fs, zk__known, (void *)c->kind, &s, &err) < 0) {
            zk_apis_status_fmt(c->req, 400, "BadRequest", "%s", err.msg);
            zk_apis_filter_free(f);
            return -1;
        }
        f->fields = s;
    }
    return 0;
}

typedef struct zk__field_ctx {
    const zk_obj *o;
    json_t *doc;  /* parsed on first need */
    char tmp[256];
} zk__field_ctx;

static const char *zk__field_get(void *ctx, const char *field)
{
    zk__field_ctx *fc = ctx;
    if (!strcmp(field, "metadata.name"))
        return fc->o->name;
    if (!strcmp(field, "metadata.namespace"))
        return fc->o->ns;
    if (!strcmp(field, "spec.nodeName") && fc->o->node_name)
        return fc->o->node_name;
    /* one field out of the text, without parsing the whole object */
    int t = zk_json_scan(fc->o->json, fc->o->len, field, fc->tmp, sizeof(fc->tmp));
    if (t == ZK_JSCAN_STRING)
        return fc->tmp;
    if (t == ZK_JSCAN_LITERAL && strcmp(fc->tmp, "null"))
        return fc->tmp;
    if (t == ZK_JSCAN_ABSENT || (t == ZK_JSCAN_LITERAL && !strcmp(fc->tmp, "null"))) {
        /* absent fields compare as empty, as kube-apiserver's field sets do */
        if (!strcmp(field, "spec.unschedulable") || !strcmp(field, "spec.hostNetwork"))
            return "false";
        return "";
    }
    if (!fc->doc)
        fc->doc = zk_obj_parse(fc->o);
    /* walk the dotted path */
    char path[256];
    snprintf(path, sizeof(path), "%s", field);
    json_t *cur = fc->doc;
    char *save = NULL;
    for (char *p = strtok_r(path, ".", &save); p && cur; p = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, p);
    if (json_is_string(cur))
        return json_string_value(cur);
    if (json_is_boolean(cur))
        return json_is_true(cur) ? "true" : "false";
    if (json_is_integer(cur)) {
        snprintf(fc->tmp, sizeof(fc->tmp), "%lld", (long long)json_integer_value(cur));
        return fc->tmp;
    }
    /* absent fields compare as empty, as kube-apiserver's field sets do */
    if (!strcmp(field, "spec.unschedulable") || !strcmp(field, "spec.hostNetwork"))
        return "false";
    return "";
}

bool zk_apis_filter_match(const zk_filter *f, const zk_obj *o)
{
    if (f->ns[0] && strcmp(o->ns, f->ns))
        return false;
    if (f->labels && !zk_kube_selector_matches(f->labels, o->labels))
        return false;
    if (f->fields) {
        zk__field_ctx fc = {.o = o};
        bool ok = zk_kube_fieldsel_matches(f->fields, zk__field_get, &fc);
        if (fc.doc)
            json_decref(fc.doc);
        if (!ok)
            return false;
    }
    return true;
}

void zk_apis_filter_free(zk_filter *f)
{
    free(f->ns);
    free(f->name);
    if (f->labels)
        zk_kube_selector_free(f->labels);
    if (f->fields)
        zk_kube_fieldsel_free(f->fields);
    memset(f, 0, sizeof(*f));
}
