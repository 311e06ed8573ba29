/* zke controllers: cron schedules — parsing and the next run time. */
#include "controllers/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"

typedef struct field_def {
    const char *what;
    int min, max;
    const char *const *names;   /* names[i] is value min + i */
} field_def;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const field_def fields[6] = {
    {"second", 0, 59, NULL},
    {"minute", 0, 59, NULL},
    {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},
    {"month", 1, 12, month_names},
    {"day of week", 0, 6, dow_names},
};

/* A non-negative decimal number or a name of the field. */
static int number(const char *s, size_t len, const field_def *f, long *out, zk_err *err)
{
    for (size_t i = 0; f->names && f->names[i]; i++) {
        if (strlen(f->names[i]) == len && !strncasecmp(s, f->names[i], len)) {
            *out = f->min + (long)i;
            return 0;
        }
    }
    if (len == 0 || len > 9)
        return zk_err_set(err, ZK_EPARSE, "failed to parse int from %.*s", (int)(len > 32 ? 32 : len),
                          s);
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return zk_err_set(err, ZK_EPARSE, "failed to parse int from %.*s",
                              (int)(len > 32 ? 32 : len), s);
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* One range of a field: "*", "?", "a", "a-b", each with an optional
 * "/step". Sets the bits in *bits; *star when it spans the whole field
 * with step 1 (robfig/cron's star bit). */
static int range(const char *s, size_t len, const field_def *f, uint64_t *bits, bool *star,
                 zk_err *err)
{
    const char *slash = memchr(s, '/', len);
    size_t rlen = slash ? (size_t)(slash - s) : len;
    if (slash && memchr(slash + 1, '/', len - rlen - 1))
        return zk_err_set(err, ZK_EPARSE, "too many slashes: %.*s", (int)len, s);
    long lo, hi, step = 1;
    bool whole = false;
    const char *dash = memchr(s, '-', rlen);
    if ((rlen == 1 || (dash && dash - s == 1)) && (s[0] == '*' || s[0] == '?')) {
        lo = f->min;
        hi = f->max;
        whole = true;
    } else {
        size_t l1 = dash ? (size_t)(dash - s) : rlen;
        if (dash && memchr(dash + 1, '-', rlen - l1 - 1))
            return zk_err_set(err, ZK_EPARSE, "too many hyphens: %.*s", (int)len, s);
        if (number(s, l1, f, &lo, err) < 0)
            return -ZK_EPARSE;
        hi = lo;
        if (dash && number(dash + 1, rlen - l1 - 1, f, &hi, err) < 0)
            return -ZK_EPARSE;
    }
    if (slash) {
        size_t sl = len - rlen - 1;
        if (number(slash + 1, sl, &(field_def){"step", 0, 0, NULL}, &step, err) < 0)
            return -ZK_EPARSE;
        if (!dash && !whole)
            hi = f->max;   /* "a/n" means a to the end, every n */
        if (step > 1)
            whole = false;
    }
    if (lo < f->min)
        return zk_err_set(err, ZK_EPARSE, "beginning of range (%ld) below minimum (%d): %.*s",
                          lo, f->min, (int)len, s);
    if (hi > f->max)
        return zk_err_set(err, ZK_EPARSE, "end of range (%ld) above maximum (%d): %.*s", hi,
                          f->max, (int)len, s);
    if (lo > hi)
        return zk_err_set(err, ZK_EPARSE, "beginning of range (%ld) beyond end of range (%ld): %.*s",
                          lo, hi, (int)len, s);
    if (step == 0)
        return zk_err_set(err, ZK_EPARSE, "step of range should be a positive number: %.*s",
                          (int)len, s);
    for (long v = lo; v <= hi; v += step)
        *bits |= 1ull << v;
    if (whole)
        *star = true;
    return 0;
}

static int field(const char *s, size_t len, const field_def *f, uint64_t *bits, bool *star,
                 zk_err *err)
{
    *bits = 0;
    *star = false;
    /* empty list items are skipped, as strings.FieldsFunc does */
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        if (j > i && range(s + i, j - i, f, bits, star, err) < 0)
            return zk_err_wrap(err, "%s", f->what);
        i = j + 1;
    }
    return 0;
}

/* Go's time.ParseDuration, in whole seconds (robfig/cron rounds @every down
 * to seconds and up to at least one). */
static int go_duration(const char *s, int64_t *out, zk_err *err)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    const char *orig = s;
    double total = 0;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!strcmp(s, "0")) {
        *out = 1;
        return 0;
    }
    if (!*s)
        return zk_err_set(err, ZK_EPARSE, "failed to parse duration @every %s: invalid duration",
                          orig);
    while (*s) {
        const char *d = s;
        double v = 0;
        while (isdigit((unsigned char)*s))
            v = v * 10 + (*s++ - '0');
        bool digits = s > d;
        if (*s == '.') {
            s++;
            double scale = 0.1;
            const char *fr = s;
            while (isdigit((unsigned char)*s)) {
                v += (*s++ - '0') * scale;
                scale /= 10;
            }
            digits = digits || s > fr;
        }
        if (!digits)
            return zk_err_set(err, ZK_EPARSE, "failed to parse duration @every %s: invalid duration",
                              orig);
        const char *u = s;
        while (*s && *s != '.' && !isdigit((unsigned char)*s))
            s++;
        size_t ulen = (size_t)(s - u);
        if (!ulen)
            return zk_err_set(err, ZK_EPARSE,
                              "failed to parse duration @every %s: missing unit in duration", orig);
        double mult = 0;
        for (size_t i = 0; i < ZK_ARRAY_LEN(units); i++)
            if (strlen(units[i].unit) == ulen && !strncmp(u, units[i].unit, ulen))
                mult = units[i].ns;
        if (!mult)
            return zk_err_set(err, ZK_EPARSE, "failed to parse duration @every %s: unknown unit",
                              orig);
        total += v * mult;
        if (total > 9.2e18)
            return zk_err_set(err, ZK_EPARSE, "failed to parse duration @every %s: invalid duration",
                              orig);
    }
    int64_t secs = neg ? 0 : (int64_t)(total / 1e9);
    *out = secs < 1 ? 1 : secs;
    return 0;
}

void zk_ctl_cron_free(zk_ctl_cron *c)
{
    if (!c)
        return;
    zk_ctl_tz_free(c->tz);
    c->tz = NULL;
}

static int parse(const char *spec, bool seconds, zk_ctl_cron *out, zk_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!spec)
        spec = "";
    while (isspace((unsigned char)*spec))
        spec++;
    if (!*spec)
        return zk_err_set(err, ZK_EPARSE, "empty spec string");
    if (!strncmp(spec, "TZ=", 3) || !strncmp(spec, "CRON_TZ=", 8)) {
        const char *eq = strchr(spec, '=');
        const char *sp = eq + strcspn(eq, " \t\n\v\f\r");
        if (!*sp)
            return zk_err_set(err, ZK_EPARSE, "invalid location descriptor: %s", spec);
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(sp - eq - 1), eq + 1);
        if (zk_ctl_tz_load(name, &out->tz, err) < 0)
            return zk_err_wrap(err, "provided bad location %s", name);
        spec = sp;
        while (isspace((unsigned char)*spec))
            spec++;
    }
    /* trailing white space does not count */
    char buf[512];
    size_t len = strlen(spec);
    while (len && isspace((unsigned char)spec[len - 1]))
        len--;
    if (len >= sizeof(buf)) {
        zk_ctl_cron_free(out);
        return zk_err_set(err, ZK_EPARSE, "schedule too long");
    }
    memcpy(buf, spec, len);
    buf[len] = 0;
    static const struct {
        const char *name, *expr;
    } descriptors[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    };
    const char *expr = buf;
    if (buf[0] == '@') {
        expr = NULL;
        for (size_t i = 0; i < ZK_ARRAY_LEN(descriptors) && !expr; i++)
            if (!strcmp(buf, descriptors[i].name))
                expr = descriptors[i].expr;
        if (!expr && !strncmp(buf, "@every ", 7)) {
            if (go_duration(buf + 7, &out->every, err) < 0) {
                zk_ctl_cron_free(out);
                return -ZK_EPARSE;
            }
            return 0;
        }
        if (!expr) {
            zk_ctl_cron_free(out);
            return zk_err_set(err, ZK_EPARSE, "unrecognized descriptor: %s", buf);
        }
    }
    const char *f[6];
    size_t flen[6], count = 0;
    for (const char *p = expr; *p;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (count < 6) {
            f[count] = s;
            flen[count] = (size_t)(p - s);
        }
        count++;
    }
    /* a descriptor is always five fields */
    if (count != 5 && !(seconds && count == 6 && expr == buf)) {
        zk_ctl_cron_free(out);
        if (seconds)
            return zk_err_set(err, ZK_EPARSE, "expected 5 or 6 fields, found %zu: %s", count,
                              expr);
        return zk_err_set(err, ZK_EPARSE, "expected exactly 5 fields, found %zu: %s", count, expr);
    }
    /* bits[0] is the second: "0" unless a sixth field gives it */
    uint64_t bits[6] = {1};
    bool star[6] = {false};
    size_t skip = count == 6 ? 0 : 1;
    for (size_t i = skip; i < 6; i++) {
        if (field(f[i - skip], flen[i - skip], &fields[i], &bits[i], &star[i], err) < 0) {
            zk_ctl_cron_free(out);
            return -ZK_EPARSE;
        }
    }
    out->second = bits[0];
    out->minute = bits[1];
    out->hour = (uint32_t)bits[2];
    out->dom = (uint32_t)bits[3];
    out->month = (uint16_t)bits[4];
    out->dow = (uint8_t)bits[5];
    out->dom_star = star[3];
    out->dow_star = star[5];
    return 0;
}

int zk_ctl_cron_parse(const char *spec, zk_ctl_cron *out, zk_err *err)
{
    return parse(spec, false, out, err);
}

int zk_ctl_cron_parse_seconds(const char *spec, zk_ctl_cron *out, zk_err *err)
{
    return parse(spec, true, out, err);
}

static bool day_matches(const zk_ctl_cron *c, const zk_ctl_tm *tm)
{
    bool dom = c->dom >> tm->mday & 1, dow = c->dow >> tm->wday & 1;
    if (c->dom_star || c->dow_star)
        return dom && dow;
    return dom || dow;
}

bool zk_ctl_cron_matches(const zk_ctl_cron *c, const zk_ctl_tz *tz, int64_t t)
{
    if (c->every)
        return false;
    zk_ctl_tm tm;
    zk_ctl_tz_localtime(c->tz ? c->tz : tz, t, &tm);
    return (c->second >> tm.sec & 1) && (c->month >> tm.mon & 1) && day_matches(c, &tm) &&
           (c->hour >> tm.hour & 1) && (c->minute >> tm.min & 1);
}

/* The first set bit above v in bits (up to max), or -1. */
static int next_bit(uint64_t bits, int v, int max)
{
    for (int i = v + 1; i <= max; i++)
        if (bits >> i & 1)
            return i;
    return -1;
}

int64_t zk_ctl_cron_next(const zk_ctl_cron *c, const zk_ctl_tz *zone, int64_t t)
{
    if (c->every)
        return t + c->every;
    const zk_ctl_tz *tz = c->tz ? c->tz : zone;
    zk_ctl_tm tm;
    zk_ctl_tz_localtime(tz, t, &tm);
    int64_t year_limit = tm.year + 5;
    /* Walk forward in absolute time, looking at each instant's local
     * fields and jumping to the next local boundary that could match. A
     * jump never crosses a change of offset (it stops there and looks
     * again), so within one jump local and absolute time move together. */
    int64_t cur = t + 1;
    for (int iter = 0; iter < 200000; iter++) {
        zk_ctl_tz_localtime(tz, cur, &tm);
        if (tm.year > year_limit)
            return -1;
        int64_t to_min = 60 - tm.sec;
        int64_t to_hour = (int64_t)(59 - tm.min) * 60 + to_min;
        int64_t to_day = (int64_t)(23 - tm.hour) * 3600 + to_hour;
        int64_t step;
        if (!(c->month >> tm.mon & 1)) {
            step = (int64_t)(zk_ctl_days_in_month(tm.year, tm.mon) - tm.mday) * 86400 + to_day;
        } else if (!day_matches(c, &tm)) {
            step = to_day;
        } else if (!(c->hour >> tm.hour & 1)) {
            int h = next_bit(c->hour, tm.hour, 23);
            step = h < 0 ? to_day : (int64_t)(h - tm.hour - 1) * 3600 + to_hour;
        } else if (!(c->minute >> tm.min & 1)) {
            int m = next_bit(c->minute, tm.min, 59);
            step = m < 0 ? to_hour : (int64_t)(m - tm.min - 1) * 60 + to_min;
        } else if (c->second >> tm.sec & 1) {
            return cur;
        } else {
            int s = next_bit(c->second, tm.sec, 59);
            step = s < 0 ? to_min : s - tm.sec;
        }
        int64_t next = cur + step;
        int64_t tr = zk_ctl_tz_next_transition(tz, cur);
        if (tr > cur && tr < next)
            next = tr;
        cur = next;
    }
    return -1;
}
