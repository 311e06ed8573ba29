/* Validators of batch/v1 Job and CronJob, and the cron schedule syntax
 * Kubernetes accepts (robfig/cron v3's ParseStandard). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/json.h"
#include "kube/validate.h"
#include "kube/validate_int.h"

/* ---- cron --------------------------------------------------------------- */

typedef struct cron_bounds {
    unsigned min, max;
    const char *const *names; /* index = value - names_base */
    unsigned names_base;
} cron_bounds;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

#define CRON_ERR(...) (snprintf(why, n, __VA_ARGS__), false)

/* Go's strconv.Atoi on s[0..len), with its error text. */
static bool cron_atoi(const char *s, size_t len, long *out, char *why, size_t n)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*s", (int)(len < 63 ? len : 63), s);
    const char *p = buf;
    if (*p == '+' || *p == '-')
        p++;
    bool ok = *p != '\0';
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            ok = false;
    if (!ok)
        return CRON_ERR("failed to parse int from %s: strconv.Atoi: parsing \"%s\": invalid syntax",
                        buf, buf);
    if (strlen(p) > 18)
        return CRON_ERR("failed to parse int from %s: strconv.Atoi: parsing \"%s\": value out of "
                        "range", buf, buf);
    long v = strtol(buf, NULL, 10);
    if (v < 0)
        return CRON_ERR("negative number (%ld) not allowed: %s", v, buf);
    *out = v;
    return true;
}

static bool cron_int_or_name(const char *s, size_t len, const cron_bounds *b, long *out,
                             char *why, size_t n)
{
    for (size_t i = 0; b->names && b->names[i]; i++) {
        if (strlen(b->names[i]) == len && strncasecmp(s, b->names[i], len) == 0) {
            *out = (long)(b->names_base + i);
            return true;
        }
    }
    return cron_atoi(s, len, out, why, n);
}

static bool cron_range(const char *expr, size_t elen, const cron_bounds *b, char *why, size_t n)
{
    char e[128];
    snprintf(e, sizeof(e), "%.*s", (int)(elen < 127 ? elen : 127), expr);
    char *slash = strchr(e, '/');
    if (slash && strchr(slash + 1, '/'))
        return CRON_ERR("too many slashes: %s", e);
    size_t rlen = slash ? (size_t)(slash - e) : strlen(e);
    long start, end, step = 1;
    const char *hy = memchr(e, '-', rlen);
    bool single = hy == NULL;
    size_t l1 = hy ? (size_t)(hy - e) : rlen;
    if (l1 == 1 && (e[0] == '*' || e[0] == '?')) {
        /* Like robfig/cron, "*" takes the whole range; a "-x" after it is ignored. */
        start = b->min;
        end = b->max;
    } else {
        if (hy && memchr(hy + 1, '-', rlen - (size_t)(hy + 1 - e)))
            return CRON_ERR("too many hyphens: %s", e);
        if (!cron_int_or_name(e, l1, b, &start, why, n))
            return false;
        end = start;
        if (hy && !cron_int_or_name(hy + 1, rlen - l1 - 1, b, &end, why, n))
            return false;
    }
    if (slash) {
        if (!cron_atoi(slash + 1, strlen(slash + 1), &step, why, n))
            return false;
        if (single)
            end = b->max;
    }
    if (start < (long)b->min)
        return CRON_ERR("beginning of range (%ld) below minimum (%u): %s", start, b->min, e);
    if (end > (long)b->max)
        return CRON_ERR("end of range (%ld) above maximum (%u): %s", end, b->max, e);
    if (start > end)
        return CRON_ERR("beginning of range (%ld) beyond end of range (%ld): %s", start, end, e);
    if (step == 0)
        return CRON_ERR("step of range should be a positive number: %s", e);
    return true;
}

static bool cron_field(const char *f, size_t flen, const cron_bounds *b, char *why, size_t n)
{
    size_t i = 0;
    while (i < flen) {
        size_t j = i;
        while (j < flen && f[j] != ',')
            j++;
        if (j > i && !cron_range(f + i, j - i, b, why, n))
            return false;
        i = j + 1;
    }
    return true;
}

/* Go's time.ParseDuration, accept/reject only. */
static bool go_duration(const char *s, char *why, size_t n)
{
    const char *orig = s;
    if (*s == '+' || *s == '-')
        s++;
    if (strcmp(s, "0") == 0)
        return true;
    if (!*s)
        return CRON_ERR("failed to parse duration @every %s: time: invalid duration \"%s\"", orig,
                        orig);
    static const char *const units[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m",
                                        "h", NULL};
    while (*s) {
        const char *d = s;
        while (isdigit((unsigned char)*s))
            s++;
        bool digits = s > d;
        if (*s == '.') {
            s++;
            const char *f = s;
            while (isdigit((unsigned char)*s))
                s++;
            digits = digits || s > f;
        }
        if (!digits)
            return CRON_ERR("failed to parse duration @every %s: time: invalid duration \"%s\"",
                            orig, orig);
        const char *u = s;
        while (*s && *s != '.' && !isdigit((unsigned char)*s))
            s++;
        size_t ulen = (size_t)(s - u);
        if (ulen == 0)
            return CRON_ERR("failed to parse duration @every %s: time: missing unit in duration "
                            "\"%s\"", orig, orig);
        bool known = false;
        for (size_t i = 0; units[i] && !known; i++)
            known = strlen(units[i]) == ulen && strncmp(u, units[i], ulen) == 0;
        if (!known)
            return CRON_ERR("failed to parse duration @every %s: time: unknown unit \"%.*s\" in "
                            "duration \"%s\"", orig, (int)ulen, u, orig);
    }
    return true;
}

/* A time zone Go's time.LoadLocation would find. */
static bool zone_exists(const char *tz)
{
    if (strcmp(tz, "UTC") == 0 || strcmp(tz, "Local") == 0)
        return true;
    if (tz[0] == '/' || strstr(tz, ".."))
        return false;
    char path[512];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool zk_kube_cron_schedule_valid(const char *spec, char *why, size_t n)
{
    char scratch[8];
    if (!why || !n) {
        why = scratch;
        n = sizeof(scratch);
    }
    why[0] = '\0';
    if (!spec || !spec[0])
        return CRON_ERR("empty spec string");
    if (strncmp(spec, "TZ=", 3) == 0 || strncmp(spec, "CRON_TZ=", 8) == 0) {
        const char *sp = strchr(spec, ' ');
        const char *eq = strchr(spec, '=');
        if (!sp)
            return CRON_ERR("invalid location descriptor: %s", spec);
        char tz[256];
        snprintf(tz, sizeof(tz), "%.*s", (int)(sp - eq - 1), eq + 1);
        if (!zone_exists(tz))
            return CRON_ERR("provided bad location %s: unknown time zone %s", tz, tz);
        spec = sp;
        while (*spec == ' ' || *spec == '\t')
            spec++;
    }
    if (spec[0] == '@') {
        static const char *const descriptors[] = {"@yearly", "@annually", "@monthly", "@weekly",
                                                  "@daily", "@midnight", "@hourly", NULL};
        if (zk_kube__one_of(spec, descriptors))
            return true;
        if (strncmp(spec, "@every ", 7) == 0)
            return go_duration(spec + 7, why, n);
        return CRON_ERR("unrecognized descriptor: %s", spec);
    }
    /* strings.Fields */
    const char *fields[16];
    size_t lens[16], count = 0;
    for (const char *p = spec; *p;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (count < 16) {
            fields[count] = s;
            lens[count] = (size_t)(p - s);
        }
        count++;
    }
    if (count != 5) {
        zk_autobuf zk_buf b = ZK_BUF_INIT(4096);
        for (size_t i = 0; i < count && i < 16; i++)
            zk_buf_printf(&b, "%s%.*s", i ? " " : "", (int)lens[i], fields[i]);
        return CRON_ERR("expected exactly 5 fields, found %zu: [%s]", count, b.data ? b.data : "");
    }
    static const cron_bounds bounds[5] = {
        {0, 59, NULL, 0}, {0, 23, NULL, 0}, {1, 31, NULL, 0},
        {1, 12, month_names, 1}, {0, 6, dow_names, 0},
    };
    for (size_t i = 0; i < 5; i++)
        if (!cron_field(fields[i], lens[i], &bounds[i], why, n))
            return false;
    return true;
}

/* ---- Job ---------------------------------------------------------------- */

static void validate_job_spec(zk_field_errors *e, const json_t *spec, const char *path)
{
    static const char *const restarts[] = {"OnFailure", "Never", NULL};
    static const char *const modes[] = {"NonIndexed", "Indexed", NULL};
    static const char *const replacements[] = {"TerminatingOrFailed", "Failed", NULL};
    char p[ZK_KPATH_MAX];
    static const char *const nonneg[] = {"parallelism", "completions", "activeDeadlineSeconds",
                                         "backoffLimit", "ttlSecondsAfterFinished",
                                         "backoffLimitPerIndex", "maxFailedIndexes", NULL};
    for (size_t i = 0; nonneg[i]; i++)
        zk_kube__nonneg(e, ZK_KP(p, "%s.%s", path, nonneg[i]), spec, nonneg[i]);

    const json_t *mode = json_object_get(spec, "completionMode");
    if (json_is_string(mode)) {
        const char *m = json_string_value(mode);
        if (!zk_kube__one_of(m, modes))
            zk_kube__not_supported_str(e, ZK_KP(p, "%s.completionMode", path), m, modes);
        if (strcmp(m, "Indexed") == 0 && !zk_kube__has(spec, "completions"))
            zk_field_required(e, ZK_KP(p, "%s.completions", path),
                              "when completion mode is Indexed");
    }
    const json_t *prp = json_object_get(spec, "podReplacementPolicy");
    if (json_is_string(prp) && !zk_kube__one_of(json_string_value(prp), replacements))
        zk_kube__not_supported_str(e, ZK_KP(p, "%s.podReplacementPolicy", path),
                                   json_string_value(prp), replacements);

    const json_t *tmpl = zk_kube__obj(spec, "template");
    char tp[ZK_KPATH_MAX];
    ZK_KP(tp, "%s.template", path);
    zk_kube__validate_pod_template_spec(e, tmpl, tp);
    const char *rp = zk_kube__str0(zk_kube__obj(tmpl, "spec"), "restartPolicy");
    if (!zk_kube__one_of(rp, restarts))
        zk_kube__not_supported_str(e, ZK_KP(p, "%s.spec.restartPolicy", tp), rp, restarts);
}

void zk_kube_validate_job(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    zk_kube__validate_kube_finalizers(e, obj);
    const json_t *spec = zk_kube__obj(obj, "spec");
    validate_job_spec(e, spec, "spec");
    const json_t *sel = zk_kube__obj(spec, "selector");
    if (!sel)
        zk_field_required(e, "spec.selector", "");
    else
        zk_kube__validate_label_selector(e, sel, "spec.selector");
    const json_t *labels = zk_kube__obj(zk_kube__obj(zk_kube__obj(spec, "template"), "metadata"),
                                        "labels");
    if (sel && !zk_kube__selector_matches(sel, labels))
        zk_field_invalid(e, "spec.template.metadata.labels", labels,
                         "`selector` does not match template `labels`");
    if (!old)
        return;
    const json_t *ospec = zk_kube__obj(old, "spec");
    zk_kube__immutable(e, "spec.selector", sel, zk_kube__obj(ospec, "selector"));
    zk_kube__immutable(e, "spec.completions", json_object_get(spec, "completions"),
                       json_object_get(ospec, "completions"));
    zk_kube__immutable(e, "spec.completionMode", json_object_get(spec, "completionMode"),
                       json_object_get(ospec, "completionMode"));
    /* A suspended job's template may still be edited before it starts. */
    if (!zk_kube__is_true(ospec, "suspend"))
        zk_kube__immutable(e, "spec.template", json_object_get(spec, "template"),
                           json_object_get(ospec, "template"));
}

/* ---- CronJob ------------------------------------------------------------ */

static void validate_time_zone(zk_field_errors *e, const json_t *tzv)
{
    if (!json_is_string(tzv))
        return;
    const char *tz = json_string_value(tzv);
    char msg[600];
    if (!tz[0]) {
        zk_field_invalid(e, "spec.timeZone", tzv, "timeZone must be nil or non-empty string");
        return;
    }
    snprintf(msg, sizeof(msg), "unknown time zone %s", tz);
    const char *p = tz;
    while (true) {
        size_t len = strcspn(p, "/");
        bool ok = len >= 1 && len <= 14 && p[0] != '-' &&
                  !(len == 1 && p[0] == '.') && !(len == 2 && p[0] == '.' && p[1] == '.');
        for (size_t i = 0; ok && i < len; i++)
            ok = isalnum((unsigned char)p[i]) || strchr(".-_+", p[i]);
        if (!ok) {
            zk_field_invalid(e, "spec.timeZone", tzv, msg);
            return;
        }
        if (!p[len])
            break;
        p += len + 1;
    }
    if (strcasecmp(tz, "Local") == 0) {
        zk_field_invalid(e, "spec.timeZone", tzv,
                         "timeZone must be an explicit time zone as defined in "
                         "https://www.iana.org/time-zones");
        return;
    }
    if (!zone_exists(tz))
        zk_field_invalid(e, "spec.timeZone", tzv, msg);
}

void zk_kube_validate_cron_job(const json_t *obj, const json_t *old, zk_field_errors *e)
{
    static const char *const policies[] = {"Allow", "Forbid", "Replace", NULL};
    static const char *const nil_false[] = {"nil", "false", NULL};
    zk_kube__validate_kube_finalizers(e, obj);
    const char *name = zk_kube__str0(zk_kube__obj(obj, "metadata"), "name");
    /* Jobs get an 11-character suffix and must stay DNS-1035 labels. */
    if (strlen(name) > 52)
        zk_field_invalid_str(e, "metadata.name", name, "must be no more than 52 characters");

    const json_t *spec = zk_kube__obj(obj, "spec");
    const char *schedule = zk_kube__str0(spec, "schedule");
    if (!schedule[0]) {
        zk_field_required(e, "spec.schedule", "");
    } else {
        char why[512];
        if (!zk_kube_cron_schedule_valid(schedule, why, sizeof(why)))
            zk_field_invalid_str(e, "spec.schedule", schedule, why);
        if (strstr(schedule, "TZ"))
            zk_field_invalid_str(e, "spec.schedule", schedule,
                                 "cannot use TZ or CRON_TZ in schedule, use timeZone field "
                                 "instead");
    }
    validate_time_zone(e, json_object_get(spec, "timeZone"));
    zk_kube__nonneg(e, "spec.startingDeadlineSeconds", spec, "startingDeadlineSeconds");
    const char *cp = zk_kube__str0(spec, "concurrencyPolicy");
    if (!cp[0])
        zk_field_required(e, "spec.concurrencyPolicy", "");
    else if (!zk_kube__one_of(cp, policies))
        zk_kube__not_supported_str(e, "spec.concurrencyPolicy", cp, policies);

    const json_t *jt = zk_kube__obj(spec, "jobTemplate");
    const json_t *jspec = zk_kube__obj(jt, "spec");
    validate_job_spec(e, jspec, "spec.jobTemplate.spec");
    const json_t *sel = json_object_get(jspec, "selector");
    if (sel && !json_is_null(sel))
        zk_field_invalid(e, "spec.jobTemplate.spec.selector", sel,
                         "`selector` will be auto-generated");
    if (zk_kube__is_true(jspec, "manualSelector")) {
        zk_autojson json_t *t = json_true();
        zk_field_not_supported(e, "spec.jobTemplate.spec.manualSelector", t, nil_false);
    }
    zk_kube__nonneg(e, "spec.successfulJobsHistoryLimit", spec, "successfulJobsHistoryLimit");
    zk_kube__nonneg(e, "spec.failedJobsHistoryLimit", spec, "failedJobsHistoryLimit");
}
