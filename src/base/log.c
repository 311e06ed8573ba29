#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int zk__log_level = ZK_LOG_INFO;

void zk_log_set_level(int level) { zk__log_level = level; }
int zk_log_get_level(void) { return zk__log_level; }

void zk_log(int level, const char *fmt, ...)
{
    static const char tags[] = "DIWE";
    if (level < zk__log_level)
        return;
    if (level < 0 || level > ZK_LOG_ERROR)
        level = ZK_LOG_ERROR;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[2048];
    int n = snprintf(line, sizeof(line), "%c%02d%02d %02d:%02d:%02d.%06ld zke] ", tags[level],
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

void zk_log_set_level_name(const char *name)
{
    zk_log_set_level(!strcmp(name, "debug")   ? ZK_LOG_DEBUG
                     : !strcmp(name, "warn")  ? ZK_LOG_WARN
                     : !strcmp(name, "error") ? ZK_LOG_ERROR
                                              : ZK_LOG_INFO);
}
