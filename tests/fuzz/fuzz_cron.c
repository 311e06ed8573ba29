/* Fuzz cron schedules and time zones: what parses must give next run times
 * that are later than the start and match the schedule; TZif bytes and
 * POSIX TZ strings must parse or fail cleanly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static zk_ctl_tz *new_york;

static void check_next(const zk_ctl_cron *c, const zk_ctl_tz *tz, int64_t t)
{
    for (int i = 0; i < 4; i++) {
        int64_t n = zk_ctl_cron_next(c, tz, t);
        if (n == -1)
            return;
        if (n <= t) {
            fprintf(stderr, "next(%lld) = %lld is not later\n", (long long)t, (long long)n);
            abort();
        }
        if (!c->every && !zk_ctl_cron_matches(c, tz, n)) {
            fprintf(stderr, "next(%lld) = %lld does not match\n", (long long)t, (long long)n);
            abort();
        }
        t = n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!new_york)
        zk_ctl_tz_load("America/New_York", &new_york, NULL);
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;

    zk_ctl_cron c;
    if (zk_ctl_cron_parse(s, &c, NULL) == 0) {
        static const int64_t starts[] = {0, 1710054000, 1730612400, 2524608000};
        for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
            check_next(&c, NULL, starts[i]);
            check_next(&c, new_york, starts[i]);
        }
        zk_ctl_cron_free(&c);
    }
    /* the six-field form (seconds first) of ScheduledScaling */
    if (zk_ctl_cron_parse_seconds(s, &c, NULL) == 0) {
        check_next(&c, NULL, 1730612400);
        check_next(&c, new_york, 1730612400);
        zk_ctl_cron_free(&c);
    }

    zk_ctl_tz *tz = NULL;
    if (zk_ctl_tz_from_posix(s, &tz, NULL) == 0) {
        for (int64_t t = 0; t < 3 * 365 * 86400LL; t += 86400 * 7)
            zk_ctl_tz_offset(tz, t, NULL);
        zk_ctl_tz_next_transition(tz, 0);
        zk_ctl_tz_free(tz);
    }
    if (zk_ctl_tz_from_tzif("fuzz", data, size, &tz, NULL) == 0) {
        zk_ctl_tm tm;
        for (int64_t t = -4000000000LL; t < 4000000000LL; t += 86400 * 97)
            zk_ctl_tz_localtime(tz, t, &tm);
        zk_ctl_tz_next_transition(tz, 0);
        zk_ctl_tz_free(tz);
    }
    free(s);
    return 0;
}
