/* Fuzz the CRI log line parser: whatever parses lies inside the input and
 * has a timestamp, a stream and a tag. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/crilog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    zk_crilog_line l;
    if (zk_crilog_parse(s, size, &l) != 0)
        return 0;
    if (l.time != s || l.time_len == 0 || l.msg < s || l.msg + l.msg_len > s + size)
        abort();
    return 0;
}
