/* Fuzz the readers of BacklogScaler answers: a Prometheus query answer, a
 * JSON document at a JSONPath (the first line of the input), and Redis'
 * XINFO GROUPS reply as JSON. Each gives a number or an error with a
 * message, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "controllers/backlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const zk_err *err)
{
    if (rc < 0 && !err->msg[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *nl = memchr(p, '\n', size);
    size_t plen = nl ? (size_t)(nl - p) : 0;
    if (plen > 512)
        return 0;
    char path[513];
    memcpy(path, p, plen);
    path[plen] = 0;
    const char *body = nl ? nl + 1 : p;
    size_t blen = nl ? size - plen - 1 : size;
    json_t *doc = zk_json_read(body, blen, true);
    if (!doc)
        return 0;
    double v;
    zk_err err = {0};
    check(zk_bl_prometheus_value(doc, &v, &err), &err);
    memset(&err, 0, sizeof(err));
    if (plen && !memchr(path, 0, plen))
        check(zk_bl_json_value(doc, path, &v, &err), &err);
    memset(&err, 0, sizeof(err));
    check(zk_bl_stream_backlog(doc, "workers", &v, &err), &err);
    json_decref(doc);
    return 0;
}
