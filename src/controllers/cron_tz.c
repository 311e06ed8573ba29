/* zke controllers: calendar arithmetic and time zones from the system's
 * zoneinfo (RFC 8536 TZif files, with their POSIX TZ footer rule). */
#include "controllers/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/mem.h"

#define ZONEINFO "/usr/share/zoneinfo"
#define TZIF_MAX_BYTES (256 * 1024)
#define TZIF_MAX_TRANS 65536
#define TZIF_MAX_TYPES 256
#define TZIF_MAX_CHARS 4096

/* ---- calendar ---- */

int64_t zk_ctl_days_from_civil(int64_t y, int m, int d)
{
    /* days before the first of month m, counted from March, so that the
     * leap day falls at the end of the year */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = m > 2 ? m - 3 : m + 9;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int zk_ctl_days_in_month(int64_t y, int m)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 30;
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

void zk_ctl_tm_utc(int64_t t, zk_ctl_tm *out)
{
    int64_t days = floor_div(t, 86400);
    int64_t secs = t - days * 86400;
    civil_from_days(days, &out->year, &out->mon, &out->mday);
    out->hour = (int)(secs / 3600);
    out->min = (int)(secs / 60 % 60);
    out->sec = (int)(secs % 60);
    int64_t w = (days + 4) % 7;   /* 1970-01-01 was a Thursday */
    out->wday = (int)(w < 0 ? w + 7 : w);
}

/* ---- zones ---- */

typedef struct tz_type {
    int32_t off;
    bool dst;
} tz_type;

/* When a POSIX rule changes to or from DST. */
typedef struct tz_when {
    char kind;             /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.day) */
    int n, m, w, d;
    int32_t time;          /* seconds after local midnight; may be negative or past 24h */
} tz_when;

typedef struct tz_rule {
    int32_t std_off, dst_off;   /* east of UTC */
    bool has_dst;
    tz_when start, end;
} tz_rule;

struct zk_ctl_tz {
    char *name;
    size_t ntrans;
    int64_t *trans;
    uint8_t *idx;
    size_t ntypes;
    tz_type *types;
    bool has_rule;
    tz_rule rule;
};

const char *zk_ctl_tz_name(const zk_ctl_tz *tz)
{
    return tz ? tz->name : "UTC";
}

void zk_ctl_tz_free(zk_ctl_tz *tz)
{
    if (!tz)
        return;
    free(tz->name);
    free(tz->trans);
    free(tz->idx);
    free(tz->types);
    free(tz);
}

static zk_ctl_tz *tz_utc(const char *name)
{
    zk_ctl_tz *tz = zk_xcalloc(1, sizeof(*tz));
    tz->name = zk_xstrdup(name);
    tz->has_rule = true;
    return tz;
}

/* ---- POSIX TZ strings ---- */

static bool posix_name(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        const char *e = strchr(s, '>');
        if (!e || e - s < 4)
            return false;
        *p = e + 1;
        return true;
    }
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    if (n < 3)
        return false;
    *p = s + n;
    return true;
}

/* [+-]hh[:mm[:ss]] as seconds; hours up to max_h. */
static bool posix_hms(const char **p, int max_h, int32_t *out)
{
    const char *s = *p;
    int sign = 1;
    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    int32_t v = 0;
    for (int part = 0; part < 3; part++) {
        if (part > 0) {
            if (*s != ':')
                break;
            s++;
        }
        if (!isdigit((unsigned char)*s))
            return false;
        int x = 0, digits = 0;
        while (isdigit((unsigned char)*s) && digits < 3) {
            x = x * 10 + (*s - '0');
            s++;
            digits++;
        }
        if (isdigit((unsigned char)*s))
            return false;
        if (part == 0 && x > max_h)
            return false;
        if (part > 0 && x > 59)
            return false;
        v += x * (part == 0 ? 3600 : part == 1 ? 60 : 1);
    }
    *out = sign * v;
    *p = s;
    return true;
}

static bool posix_num(const char **p, int lo, int hi, int *out)
{
    const char *s = *p;
    if (!isdigit((unsigned char)*s))
        return false;
    int x = 0;
    while (isdigit((unsigned char)*s)) {
        x = x * 10 + (*s - '0');
        if (x > hi)
            return false;
        s++;
    }
    if (x < lo)
        return false;
    *out = x;
    *p = s;
    return true;
}

static bool posix_when(const char **p, tz_when *w)
{
    const char *s = *p;
    memset(w, 0, sizeof(*w));
    if (*s == 'J') {
        s++;
        w->kind = 'J';
        if (!posix_num(&s, 1, 365, &w->n))
            return false;
    } else if (*s == 'M') {
        s++;
        w->kind = 'M';
        if (!posix_num(&s, 1, 12, &w->m) || *s++ != '.' || !posix_num(&s, 1, 5, &w->w) ||
            *s++ != '.' || !posix_num(&s, 0, 6, &w->d))
            return false;
    } else {
        w->kind = 'D';
        if (!posix_num(&s, 0, 365, &w->n))
            return false;
    }
    w->time = 2 * 3600;
    if (*s == '/') {
        s++;
        /* RFC 8536 allows -167..167 hours here */
        if (!posix_hms(&s, 167, &w->time))
            return false;
    }
    *p = s;
    return true;
}

static bool posix_parse(const char *s, tz_rule *r)
{
    memset(r, 0, sizeof(*r));
    int32_t off;
    if (!posix_name(&s) || !posix_hms(&s, 24, &off))
        return false;
    r->std_off = -off;   /* POSIX offsets count west of UTC */
    if (!*s)
        return true;
    if (!posix_name(&s))
        return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*s && *s != ',') {
        if (!posix_hms(&s, 24, &off))
            return false;
        r->dst_off = -off;
    }
    if (!*s) {
        /* no rule given: the United States' current one */
        r->start = (tz_when){.kind = 'M', .m = 3, .w = 2, .d = 0, .time = 7200};
        r->end = (tz_when){.kind = 'M', .m = 11, .w = 1, .d = 0, .time = 7200};
        return true;
    }
    if (*s++ != ',' || !posix_when(&s, &r->start) || *s++ != ',' || !posix_when(&s, &r->end))
        return false;
    return *s == 0;
}

/* The day (since the epoch) a rule names in year y. */
static int64_t when_day(const tz_when *w, int64_t y)
{
    int64_t jan1 = zk_ctl_days_from_civil(y, 1, 1);
    if (w->kind == 'J')
        return jan1 + w->n - 1 + (is_leap(y) && w->n >= 60);
    if (w->kind == 'D')
        return jan1 + w->n;
    int64_t first = zk_ctl_days_from_civil(y, w->m, 1);
    int64_t wd = (first + 4) % 7;
    if (wd < 0)
        wd += 7;
    int64_t day = first + (w->d - wd + 7) % 7 + (int64_t)(w->w - 1) * 7;
    int64_t len = zk_ctl_days_in_month(y, w->m);
    while (day >= first + len)
        day -= 7;
    return day;
}

/* DST start and end instants of year y. */
static void rule_year(const tz_rule *r, int64_t y, int64_t *start, int64_t *end)
{
    *start = when_day(&r->start, y) * 86400 + r->start.time - r->std_off;
    *end = when_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
}

static int32_t rule_offset(const tz_rule *r, int64_t t, bool *dst)
{
    *dst = false;
    if (!r->has_dst)
        return r->std_off;
    zk_ctl_tm tm;
    zk_ctl_tm_utc(t + r->std_off, &tm);
    int64_t s, e;
    rule_year(r, tm.year, &s, &e);
    bool in;
    if (s < e)
        in = t >= s && t < e;
    else
        in = !(t >= e && t < s);   /* southern hemisphere: DST spans new year */
    *dst = in;
    return in ? r->dst_off : r->std_off;
}

static int64_t rule_next(const tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return INT64_MAX;
    zk_ctl_tm tm;
    zk_ctl_tm_utc(t, &tm);
    int64_t best = INT64_MAX;
    for (int64_t y = tm.year - 1; y <= tm.year + 1; y++) {
        int64_t s, e;
        rule_year(r, y, &s, &e);
        if (s > t && s < best)
            best = s;
        if (e > t && e < best)
            best = e;
    }
    return best;
}

int zk_ctl_tz_from_posix(const char *spec, zk_ctl_tz **out, zk_err *err)
{
    tz_rule r;
    if (!spec || !posix_parse(spec, &r))
        return zk_err_set(err, ZK_EPARSE, "invalid TZ string %s", spec ? spec : "(null)");
    zk_ctl_tz *tz = tz_utc(spec);
    tz->rule = r;
    *out = tz;
    return 0;
}

/* ---- TZif ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_hdr {
    uint32_t isut, isstd, leap, time, type, chars;
} tzif_hdr;

static bool tzif_header(const uint8_t *p, size_t len, tzif_hdr *h)
{
    if (len < 44 || memcmp(p, "TZif", 4))
        return false;
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chars = be32(p + 40);
    return h->type >= 1 && h->type <= TZIF_MAX_TYPES && h->time <= TZIF_MAX_TRANS &&
           h->chars <= TZIF_MAX_CHARS && h->leap <= TZIF_MAX_TRANS && h->isut <= h->type &&
           h->isstd <= h->type;
}

static size_t tzif_body_len(const tzif_hdr *h, size_t tsize)
{
    return (size_t)h->time * tsize + h->time + (size_t)h->type * 6 + h->chars +
           (size_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

int zk_ctl_tz_from_tzif(const char *name, const uint8_t *data, size_t len, zk_ctl_tz **out,
                        zk_err *err)
{
    tzif_hdr h;
    if (!tzif_header(data, len, &h))
        return zk_err_set(err, ZK_EPARSE, "%s: not a TZif file", name);
    size_t tsize = 4;
    const uint8_t *body = data + 44;
    size_t v1 = tzif_body_len(&h, 4);
    if (44 + v1 > len)
        return zk_err_set(err, ZK_EPARSE, "%s: truncated", name);
    const uint8_t *footer = NULL;
    size_t footer_len = 0;
    if (data[4] >= '2') {
        /* the 64-bit part follows the 32-bit one */
        const uint8_t *p2 = data + 44 + v1;
        size_t left = len - 44 - v1;
        if (!tzif_header(p2, left, &h))
            return zk_err_set(err, ZK_EPARSE, "%s: bad second header", name);
        size_t v2 = tzif_body_len(&h, 8);
        if (44 + v2 > left)
            return zk_err_set(err, ZK_EPARSE, "%s: truncated", name);
        tsize = 8;
        body = p2 + 44;
        footer = body + v2;
        footer_len = left - 44 - v2;
    }
    zk_ctl_tz *tz = zk_xcalloc(1, sizeof(*tz));
    tz->name = zk_xstrdup(name);
    tz->ntrans = h.time;
    tz->ntypes = h.type;
    tz->trans = zk_xcalloc(h.time ? h.time : 1, sizeof(*tz->trans));
    tz->idx = zk_xcalloc(h.time ? h.time : 1, 1);
    tz->types = zk_xcalloc(h.type, sizeof(*tz->types));
    const uint8_t *p = body;
    for (size_t i = 0; i < h.time; i++, p += tsize) {
        tz->trans[i] = tsize == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
        if (i > 0 && tz->trans[i] <= tz->trans[i - 1]) {
            zk_ctl_tz_free(tz);
            return zk_err_set(err, ZK_EPARSE, "%s: transitions out of order", name);
        }
    }
    for (size_t i = 0; i < h.time; i++, p++) {
        if (*p >= h.type) {
            zk_ctl_tz_free(tz);
            return zk_err_set(err, ZK_EPARSE, "%s: bad type index", name);
        }
        tz->idx[i] = *p;
    }
    for (size_t i = 0; i < h.type; i++, p += 6) {
        int32_t off = (int32_t)be32(p);
        if (off < -25 * 3600 || off > 26 * 3600) {
            zk_ctl_tz_free(tz);
            return zk_err_set(err, ZK_EPARSE, "%s: bad offset", name);
        }
        tz->types[i].off = off;
        tz->types[i].dst = p[4] != 0;
    }
    /* "\nTZ string\n" */
    if (footer && footer_len >= 2 && footer[0] == '\n') {
        const uint8_t *nl = memchr(footer + 1, '\n', footer_len - 1);
        size_t n = nl ? (size_t)(nl - footer - 1) : 0;
        if (n > 0 && n < 128) {
            char s[128];
            memcpy(s, footer + 1, n);
            s[n] = 0;
            tz->has_rule = posix_parse(s, &tz->rule);
        }
    }
    *out = tz;
    return 0;
}

int zk_ctl_tz_load(const char *name, zk_ctl_tz **out, zk_err *err)
{
    if (!name || !name[0] || !strcmp(name, "UTC")) {
        *out = tz_utc("UTC");
        return 0;
    }
    if (!strcmp(name, "Local")) {
        *out = zk_ctl_tz_local();
        return 0;
    }
    if (name[0] == '/' || strstr(name, "..") || strlen(name) > 200)
        return zk_err_set(err, ZK_ENOTFOUND, "unknown time zone %s", name);
    char path[300];
    snprintf(path, sizeof(path), ZONEINFO "/%s", name);
    zk_autofclose FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode))
        return zk_err_set(err, ZK_ENOTFOUND, "unknown time zone %s", name);
    if (st.st_size > TZIF_MAX_BYTES)
        return zk_err_set(err, ZK_ETOOBIG, "time zone %s: file too large", name);
    zk_autofree uint8_t *buf = zk_xmalloc((size_t)st.st_size + 1);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    return zk_ctl_tz_from_tzif(name, buf, n, out, err);
}

zk_ctl_tz *zk_ctl_tz_local(void)
{
    zk_ctl_tz *tz = NULL;
    const char *env = getenv("TZ");
    if (env) {
        if (*env == ':')
            env++;
        if (!*env || !strcmp(env, "UTC"))
            return tz_utc("UTC");
        if (zk_ctl_tz_load(env, &tz, NULL) == 0)
            return tz;
        if (zk_ctl_tz_from_posix(env, &tz, NULL) == 0)
            return tz;
        return tz_utc("UTC");
    }
    FILE *f = fopen("/etc/localtime", "rb");
    if (f) {
        uint8_t *buf = zk_xmalloc(TZIF_MAX_BYTES);
        size_t n = fread(buf, 1, TZIF_MAX_BYTES, f);
        fclose(f);
        int rc = zk_ctl_tz_from_tzif("Local", buf, n, &tz, NULL);
        free(buf);
        if (rc == 0)
            return tz;
    }
    return tz_utc("UTC");
}

/* The index of the last transition at or before t, or -1. */
static ssize_t trans_at(const zk_ctl_tz *tz, int64_t t)
{
    size_t lo = 0, hi = tz->ntrans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ssize_t)lo - 1;
}

int32_t zk_ctl_tz_offset(const zk_ctl_tz *tz, int64_t t, bool *is_dst)
{
    bool dst = false;
    int32_t off = 0;
    if (tz) {
        if (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1]) {
            if (tz->has_rule) {
                off = rule_offset(&tz->rule, t, &dst);
            } else if (tz->ntrans) {
                const tz_type *ty = &tz->types[tz->idx[tz->ntrans - 1]];
                off = ty->off;
                dst = ty->dst;
            } else if (tz->ntypes) {
                off = tz->types[0].off;
                dst = tz->types[0].dst;
            }
        } else {
            ssize_t i = trans_at(tz, t);
            /* before the first transition, the first type applies */
            const tz_type *ty = &tz->types[i < 0 ? 0 : tz->idx[i]];
            off = ty->off;
            dst = ty->dst;
        }
    }
    if (is_dst)
        *is_dst = dst;
    return off;
}

int32_t zk_ctl_tz_localtime(const zk_ctl_tz *tz, int64_t t, zk_ctl_tm *out)
{
    int32_t off = zk_ctl_tz_offset(tz, t, NULL);
    zk_ctl_tm_utc(t + off, out);
    return off;
}

int64_t zk_ctl_tz_next_transition(const zk_ctl_tz *tz, int64_t t)
{
    if (!tz)
        return INT64_MAX;
    if (tz->ntrans && t < tz->trans[tz->ntrans - 1]) {
        ssize_t i = trans_at(tz, t);
        return tz->trans[i + 1];
    }
    return tz->has_rule ? rule_next(&tz->rule, t) : INT64_MAX;
}

void zk_ctl_tz_rfc3339(const zk_ctl_tz *tz, int64_t t, char *out, size_t n)
{
    zk_ctl_tm tm;
    int32_t off = zk_ctl_tz_localtime(tz, t, &tm);
    char zone[16];
    if (off == 0) {
        snprintf(zone, sizeof(zone), "Z");
    } else {
        int32_t a = off < 0 ? -off : off;
        snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    }
    snprintf(out, n, "%04lld-%02d-%02dT%02d:%02d:%02d%s", (long long)tm.year, tm.mon, tm.mday,
             tm.hour, tm.min, tm.sec, zone);
}
