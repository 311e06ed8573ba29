/* Fuzz the protobuf body decoder: any bytes must decode or fail cleanly, and what
 * decodes must be JSON that encodes. Besides whole bodies (magic + envelope), the
 * input is decoded as a bare message of the type its first byte picks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/json.h"
#include "kube/protobuf.h"
#include "kube/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(json_t *out)
{
    if (!out)
        return;
    char *s = zk_json_dumps(out);
    if (!s)
        abort();
    free(s);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zk_err err = {0};
    json_t *out = NULL;
    if (zk_kube_protobuf_decode((const char *)data, size, &out, &err) == 0)
        check(out);
    else if (out || err.msg[0] == '\0')
        abort();   /* a failure leaves nothing behind and says why */
    if (size < 1)
        return 0;
    const zk_schema_type *const *all = zk_kube_schema_all();
    size_t n = 0;
    while (all[n])
        n++;
    const zk_schema_type *t = all[data[0] % n];
    out = NULL;
    if (zk_kube_protobuf_decode_message(t, (const char *)data + 1, size - 1, &out, &err) == 0)
        check(out);
    return 0;
}
