/* Overcommit: requests from limits by a ratio (see overcommit.h). */
#include "admission/overcommit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission/limitranger.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "kube/quantity.h"
#include "kube/selector.h"

#define DEFAULT_CPU_RATIO "10"
#define DEFAULT_MEMORY_RATIO "1.5"
#define DEFAULT_MIN_CPU "10m"
#define DEFAULT_MIN_MEMORY "16Mi"

static const char *const resources[] = {"cpu", "memory"};
static const char *const units[] = {"1m", "1Mi"};

typedef struct policy {
    const json_t *obj;
    const char *name;
    zk_kube_quantity ratio[2];
    zk_kube_quantity floor[2];
    json_t *ratio_json[2];     /* as written, for the record (borrowed) */
    bool override;
} policy;

static bool is_off(const char *v)
{
    return v && (!strcmp(v, "false") || !strcmp(v, "disabled"));
}

static bool is_on(const char *v)
{
    return v && (!strcmp(v, "true") || !strcmp(v, "enabled"));
}

/* A ratio from its JSON number: directly when it is a whole number of
 * thousandths (10, 1.5: parsing a real as a quantity renders its text
 * first, which cost more than the rest of a pod's admission), else
 * exactly. False unless it is > 0. */
static bool ratio_of(const json_t *v, zk_kube_quantity *q)
{
    double d = json_number_value(v);
    if (!(d > 0))
        return false;
    long long milli = d < 1e12 ? llround(d * 1000) : 0;
    if (milli > 0 && fabs(d * 1000 - (double)milli) < 1e-6) {
        zk_kube_quantity_from_milli(milli, ZK_KUBE_QUANTITY_DECIMAL_SI, q);
        return true;
    }
    /* finer than a thousandth, or huge: the exact (slower) way */
    zk_err err = {0};
    return zk_kube_quantity_parse_json(v, q, &err) == 0 && zk_kube_quantity_sign(q) > 0;
}

/* Read a policy; NULL or what is wrong (caller frees). */
static char *read_policy(const json_t *obj, policy *p)
{
    memset(p, 0, sizeof(*p));
    p->obj = obj;
    p->name = zk_json_path_str(obj, "metadata", "name", NULL);
    if (!p->name)
        p->name = "";
    json_t *spec = json_object_get(obj, "spec");
    static const char *const ratio_keys[] = {"cpuRatio", "memoryRatio"};
    static const char *const ratio_defaults[] = {DEFAULT_CPU_RATIO, DEFAULT_MEMORY_RATIO};
    static const char *const floor_defaults[] = {DEFAULT_MIN_CPU, DEFAULT_MIN_MEMORY};
    for (int r = 0; r < 2; r++) {
        json_t *v = json_object_get(spec, ratio_keys[r]);
        zk_err err = {0};
        if (!v || json_is_null(v)) {
            zk_kube_quantity_parse(ratio_defaults[r], &p->ratio[r], &err);
        } else if (!json_is_number(v) || !ratio_of(v, &p->ratio[r])) {
            zk_autofree char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            return zk_xasprintf("OvercommitPolicy \"%s\": spec.%s is %s: it must be a number "
                                "greater than 0",
                                p->name, ratio_keys[r], text ? text : "?");
        }
        p->ratio_json[r] = v;
        json_t *f = zk_json_path(spec, "minRequests", resources[r], NULL);
        if (!f || json_is_null(f)) {
            /* parsed once: every pod create reads them */
            static zk_kube_quantity floors[2];
            static bool floors_ready[2];
            if (!floors_ready[r]) {
                zk_kube_quantity_parse(floor_defaults[r], &floors[r], &err);
                floors_ready[r] = true;
            }
            p->floor[r] = floors[r];
        } else if (zk_kube_quantity_parse_json(f, &p->floor[r], &err) < 0 ||
                   zk_kube_quantity_sign(&p->floor[r]) < 0) {
            return zk_xasprintf("OvercommitPolicy \"%s\": spec.minRequests.%s: %s", p->name,
                                resources[r], err.msg[0] ? err.msg : "must not be negative");
        }
    }
    json_t *ov = json_object_get(spec, "overrideRequests");
    p->override = json_is_true(ov);
    json_t *sel = json_object_get(spec, "namespaceSelector");
    if (sel && !json_is_null(sel)) {
        zk_kube_selector *s = NULL;
        zk_err err = {0};
        if (zk_kube_selector_from_json(sel, &s, &err) < 0)
            return zk_xasprintf("OvercommitPolicy \"%s\": spec.namespaceSelector: %s", p->name,
                                err.msg);
        zk_kube_selector_free(s);
    }
    return NULL;
}

char *zk_adm_overcommit_check_policy(const json_t *obj)
{
    policy p;
    return read_policy(obj, &p);
}

static bool selects(const json_t *policy_obj, const json_t *ns)
{
    json_t *sel = zk_json_path(policy_obj, "spec", "namespaceSelector", NULL);
    if (!sel || json_is_null(sel))
        return true;
    zk_kube_selector *s = NULL;
    zk_err err = {0};
    if (zk_kube_selector_from_json(sel, &s, &err) < 0)
        return false;
    bool ok = zk_kube_selector_matches(s, zk_json_path(ns, "metadata", "labels", NULL));
    zk_kube_selector_free(s);
    return ok;
}

/* ---- which requests the LimitRanger defaulted ---- */

/* "LimitRanger plugin set: cpu, memory request for container web; cpu limit
 * for init container setup": whether res's request of the container (init
 * or not) named name is among them. */
static bool lr_defaulted(const char *note, bool init, const char *name, const char *res)
{
    static const char head[] = "LimitRanger plugin set: ";
    if (!note || strncmp(note, head, sizeof(head) - 1))
        return false;
    const char *p = note + sizeof(head) - 1;
    const char *what = init ? " request for init container " : " request for container ";
    while (*p) {
        const char *end = strstr(p, "; ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *w = NULL;
        for (const char *q = p; q < p + len; q++)
            if (!strncmp(q, what, strlen(what))) {
                w = q;
                break;
            }
        if (w) {
            const char *cname = w + strlen(what);
            size_t clen = (size_t)(p + len - cname);
            if (clen == strlen(name) && !strncmp(cname, name, clen)) {
                /* the resource list "cpu, memory" before it */
                const char *r = p;
                while (r < w) {
                    const char *comma = memchr(r, ',', (size_t)(w - r));
                    size_t rl = comma ? (size_t)(comma - r) : (size_t)(w - r);
                    if (rl == strlen(res) && !strncmp(r, res, rl))
                        return true;
                    r += rl + (comma ? 2 : 0);
                }
            }
        }
        p += len + (end ? 2 : 0);
    }
    return false;
}

/* ---- LimitRanges ---- */

/* The first LimitRange default (Container items) for res's limit, or NULL. */
static const json_t *lr_default_limit(const json_t *const *ranges, size_t n, const char *res)
{
    for (size_t i = 0; i < n; i++) {
        size_t j;
        json_t *item;
        json_array_foreach(zk_json_path(ranges[i], "spec", "limits", NULL), j, item) {
            const char *type = zk_json_str(item, "type");
            if (type && strcmp(type, "Container"))
                continue;
            json_t *d = zk_json_path(item, "default", res, NULL);
            if (d)
                return d;
        }
    }
    return NULL;
}

/* The largest LimitRange minimum for res (Container items) into *min;
 * false when there is none. */
static bool lr_min(const json_t *const *ranges, size_t n, const char *res, zk_kube_quantity *min)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        json_t *item;
        json_array_foreach(zk_json_path(ranges[i], "spec", "limits", NULL), j, item) {
            const char *type = zk_json_str(item, "type");
            if (type && strcmp(type, "Container"))
                continue;
            zk_kube_quantity q;
            zk_err err = {0};
            json_t *m = zk_json_path(item, "min", res, NULL);
            if (m && zk_kube_quantity_parse_json(m, &q, &err) == 0 &&
                (!any || zk_kube_quantity_cmp(&q, min) > 0)) {
                *min = q;
                any = true;
            }
        }
    }
    return any;
}

/* ---- containers ---- */

static void record_num(zk_buf *b, const json_t *v, const char *dflt)
{
    if (json_is_integer(v))
        zk_buf_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        zk_buf_printf(b, "%g", json_real_value(v));
    else
        zk_buf_puts(b, dflt);
}

/* One container: returns -1 with *why on a bad quantity, else whether it
 * changes (changed, when apply is set; nothing is written otherwise, and
 * rec may be NULL), what changed going to rec. */
static int one_container(json_t *ct, bool init, const policy *p, const char *lr_note,
                         const json_t *const *ranges, size_t nranges, bool apply, zk_buf *rec,
                         char **why)
{
    const char *name = zk_json_str(ct, "name");
    if (!name)
        name = "";
    json_t *res = json_object_get(ct, "resources");
    json_t *limits = json_object_get(res, "limits");
    int changed = 0;
    bool named = false;
    for (int r = 0; r < 2; r++) {
        const char *rn = resources[r];
        const json_t *lim = json_object_get(limits, rn);
        if (!lim) {
            lim = lr_default_limit(ranges, nranges, rn);
            if (!lim)
                continue;
            if (apply) {
                res = zk_json_child_obj(ct, "resources");
                limits = zk_json_child_obj(res, "limits");
                json_object_set_new(limits, rn, json_deep_copy(lim));
            }
            changed = 1;
        }
        zk_kube_quantity limit, req, unit, want;
        zk_err err = {0};
        if (zk_kube_quantity_parse_json(lim, &limit, &err) < 0) {
            *why = zk_xasprintf("%scontainer %s: limits.%s: %s", init ? "init " : "", name, rn,
                                err.msg);
            return -1;
        }
        if (zk_kube_quantity_sign(&limit) <= 0)
            continue;
        json_t *requests = json_object_get(res, "requests");
        json_t *cur = json_object_get(requests, rn);
        bool has_req = cur && zk_kube_quantity_parse_json(cur, &req, &err) == 0;
        bool user_set = has_req && zk_kube_quantity_cmp(&req, &limit) != 0 &&
                        !lr_defaulted(lr_note, init, name, rn);
        if (user_set && !p->override)
            continue;
        zk_kube_quantity_parse(units[r], &unit, &err);
        if (zk_kube_quantity_div_ratio(&limit, &p->ratio[r], &unit, ZK_KUBE_ROUND_UP, &want,
                                       &err) < 0) {
            *why = zk_xasprintf("%scontainer %s: %s limit %s / ratio: %s", init ? "init " : "",
                                name, rn, json_string_value(lim) ? json_string_value(lim) : "?",
                                err.msg);
            return -1;
        }
        if (zk_kube_quantity_cmp(&want, &p->floor[r]) < 0)
            want = p->floor[r];
        zk_kube_quantity min;
        if (lr_min(ranges, nranges, rn, &min) && zk_kube_quantity_cmp(&want, &min) < 0)
            want = min;
        if (zk_kube_quantity_cmp(&want, &limit) > 0)
            want = limit;
        if (has_req && zk_kube_quantity_cmp(&want, &req) == 0)
            continue;
        char wbuf[ZK_KUBE_QUANTITY_STR_MAX], lbuf[ZK_KUBE_QUANTITY_STR_MAX];
        zk_kube_quantity_canonical(&want, wbuf, sizeof(wbuf));
        zk_kube_quantity_canonical(&limit, lbuf, sizeof(lbuf));
        changed = 1;
        if (!apply)
            continue;
        res = zk_json_child_obj(ct, "resources");
        json_object_set_new(zk_json_child_obj(res, "requests"), rn, json_string(wbuf));
        if (!named) {
            zk_buf_printf(rec, "%s%s%s", rec->len ? "; " : "", init ? "init " : "", name);
            named = true;
        } else {
            zk_buf_putc(rec, ',');
        }
        zk_buf_printf(rec, " %s %s -> %s", rn, lbuf, wbuf);
    }
    return changed;
}

char *zk_adm_overcommit_check_annotations(const json_t *annotations)
{
    const char *opt = zk_json_str(annotations, ZK_ADM_OC_OPT_OUT);
    if (opt && !is_off(opt) && !is_on(opt))
        return zk_xasprintf("metadata.annotations[%s]: \"%.64s\" is neither \"false\" (leave "
                            "this workload's requests alone) nor \"true\"",
                            ZK_ADM_OC_OPT_OUT, opt);
    return NULL;
}

int zk_adm_overcommit(json_t *pod, const json_t *ns, json_t *const *policies, size_t npolicies,
                      const json_t *const *ranges, size_t nranges, char **why)
{
    *why = NULL;
    json_t *ann = zk_json_path(pod, "metadata", "annotations", NULL);
    const char *opt = zk_json_str(ann, ZK_ADM_OC_OPT_OUT);
    *why = zk_adm_overcommit_check_annotations(ann);
    if (*why)
        return -1;
    if (is_off(opt))
        return 0;
    const char *label = zk_json_path_str(ns, "metadata", "labels", ZK_ADM_OC_OPT_OUT, NULL);
    if (is_off(label))
        return 0;
    /* the policy: named by the namespace, else the best of those selecting it */
    const json_t *chosen = NULL;
    for (size_t i = 0; i < npolicies; i++) {
        const json_t *pol = policies[i];
        const char *pname = zk_json_path_str(pol, "metadata", "name", NULL);
        if (!pname || zk_json_path(pol, "metadata", "deletionTimestamp", NULL))
            continue;
        if (label && !is_on(label)) {
            if (!strcmp(pname, label))
                chosen = pol;
            continue;
        }
        if (!is_on(label) && !selects(pol, ns))
            continue;
        if (!chosen) {
            chosen = pol;
            continue;
        }
        json_int_t a = zk_json_int(json_object_get(pol, "spec"), "priority", 0);
        json_int_t b = zk_json_int(json_object_get(chosen, "spec"), "priority", 0);
        const char *cname = zk_json_path_str(chosen, "metadata", "name", NULL);
        if (a > b || (a == b && strcmp(pname, cname) < 0))
            chosen = pol;
    }
    if (!chosen) {
        if (label && !is_on(label)) {
            *why = zk_xasprintf("the namespace's label %s=%.64s names no OvercommitPolicy",
                                ZK_ADM_OC_OPT_OUT, label);
            return -1;
        }
        return 0;
    }
    policy p;
    *why = read_policy(chosen, &p);
    if (*why)
        return -1;
    /* first look (a failure leaves the pod as it came), then write */
    const char *lr_note = zk_json_path_str(pod, "metadata", "annotations",
                                           ZK_ADM_LIMITRANGER_ANNOTATION, NULL);
    zk_buf rec;
    zk_buf_init(&rec, 64u << 10);
    int changed = 0;
    static const char *const lists[] = {"initContainers", "containers"};
    for (int pass = 0; pass < 2; pass++) {
        for (int l = 0; l < 2; l++) {
            size_t i;
            json_t *ct;
            json_array_foreach(zk_json_path(pod, "spec", lists[l], NULL), i, ct) {
                if (!json_is_object(ct))
                    continue;
                int rc = one_container(ct, l == 0, &p, lr_note, ranges, nranges, pass == 1,
                                       &rec, why);
                if (rc < 0) {
                    zk_buf_free(&rec);
                    return -1;
                }
                changed |= rc;
            }
        }
        if (!changed) {
            zk_buf_free(&rec);
            return 0;
        }
    }
    if (rec.len) {
        zk_buf text;
        zk_buf_init(&text, 80u << 10);
        zk_buf_printf(&text, "OvercommitPolicy %s (cpu ", p.name);
        record_num(&text, p.ratio_json[0], DEFAULT_CPU_RATIO);
        zk_buf_puts(&text, ", memory ");
        record_num(&text, p.ratio_json[1], DEFAULT_MEMORY_RATIO);
        zk_buf_printf(&text, "): %.*s", (int)rec.len, rec.data);
        json_t *meta = zk_json_child_obj(pod, "metadata");
        json_object_set_new(zk_json_child_obj(meta, "annotations"), ZK_ADM_OC_RECORD,
                            json_stringn(text.data, text.len));
        zk_buf_free(&text);
    }
    zk_buf_free(&rec);
    return 1;
}
