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

int64_t zk_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
    /* the rules of apimachinery's duration.HumanDuration, which kubectl prints */
    long long s = d;
    if (s < -1) {
        snprintf(out, outlen, "<invalid>");
        return;
    }
    if (s < 0)
        s = 0;
    if (s < 120) {
        snprintf(out, outlen, "%llds", s);
        return;
    }
    long long m = s / 60;
    if (m < 10) {
        if (s % 60)
            snprintf(out, outlen, "%lldm%llds", m, s % 60);
        else
            snprintf(out, outlen, "%lldm", m);
        return;
    }
    if (m < 180) {
        snprintf(out, outlen, "%lldm", m);
        return;
    }
    long long h = s / 3600;
    if (h < 8) {
        if (m % 60)
            snprintf(out, outlen, "%lldh%lldm", h, m % 60);
        else
            snprintf(out, outlen, "%lldh", h);
    } else if (h < 48) {
        snprintf(out, outlen, "%lldh", h);
    } else if (h < 24 * 8) {
        if (h % 24)
            snprintf(out, outlen, "%lldd%lldh", h / 24, h % 24);
        else
            snprintf(out, outlen, "%lldd", h / 24);
    } else if (h < 24 * 365 * 2) {
        snprintf(out, outlen, "%lldd", h / 24);
    } else if (h < 24 * 365 * 8) {
        long long dy = (h / 24) % 365;
        if (dy)
            snprintf(out, outlen, "%lldy%lldd", h / 24 / 365, dy);
        else
            snprintf(out, outlen, "%lldy", h / 24 / 365);
    } else {
        snprintf(out, outlen, "%lldy", h / 24 / 365);
    }
}
