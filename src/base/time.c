#include "base/time.h"

#include <stdio.h>
#include <string.h>

uint64_t zk_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t zk_wall_s(void)
{
    return (int64_t)time(NULL);
}

void zk_time_rfc3339(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void zk_time_rfc3339_micro(char *out, size_t outlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%06ldZ", base, ts.tv_nsec / 1000);
}

int64_t zk_time_parse_rfc3339(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        off = (int64_t)(hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    return (int64_t)timegm(&tm) - off;
}

void zk_time_age(int64_t d, char *out, size_t outlen)
{
    if (d < 0)
        d = 0;
    if (d < 120)
        snprintf(out, outlen, "%llds", (long long)d);
    else if (d < 600)
        snprintf(out, outlen, "%lldm%llds", (long long)(d / 60), (long long)(d % 60));
    else if (d < 3 * 3600)
        snprintf(out, outlen, "%lldm", (long long)(d / 60));
    else if (d < 8 * 3600)
        snprintf(out, outlen, "%lldh%lldm", (long long)(d / 3600), (long long)(d % 3600 / 60));
    else if (d < 48 * 3600)
        snprintf(out, outlen, "%lldh", (long long)(d / 3600));
    else if (d < 8 * 86400)
        snprintf(out, outlen, "%lldd%lldh", (long long)(d / 86400), (long long)(d % 86400 / 3600));
    else if (d < 2 * 365 * 86400LL)
        snprintf(out, outlen, "%lldd", (long long)(d / 86400));
    else
        snprintf(out, outlen, "%lldy", (long long)(d / (365 * 86400LL)));
}
