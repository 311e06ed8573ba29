/* Fuzz ScheduledScaling specs: any JSON parses as a job or fails with a
 * message naming the field; a parsed job's next runs are strictly later
 * and fall on allowed dates. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "controllers/scheduled.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *spec = zk_json_read((const char *)data, size, false);
    if (!spec)
        return 0;
    size_t n = json_array_size(json_object_get(spec, "jobs"));
    for (size_t i = 0; i < n && i < 4; i++) {
        zk_ss_job j;
        zk_err err = {0};
        if (zk_ss_job_parse(spec, i, &j, &err) < 0) {
            if (!err.msg[0])
                abort();
            continue;
        }
        int64_t t = 1730612400;   /* 2024-11-03, a DST change in New York */
        for (int k = 0; k < 3; k++) {
            int64_t next = zk_ss_next(&j, t);
            if (next < 0)
                break;
            if (next <= t)
                abort();
            int64_t day = zk_ss_local_day(&j, next);
            if (zk_ss_days_has(&j.exclude, day) || (j.has_only && !zk_ss_days_has(&j.only, day)))
                abort();
            t = next;
        }
        zk_ss_last_due(&j, 1730612400 - 86400, 1730612400);
        zk_ss_job_free(&j);
    }
    json_decref(spec);
    return 0;
}
