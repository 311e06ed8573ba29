/* Fuzz the reading of a webhook's answer (bytes from another server): it
 * must give allowed, refused or unusable with a reason, never crash; a
 * refusal is a Status with a code of 400 or more; a patched object is an
 * object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admission/hooks.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zk_adm_hook h = {.name = "fuzz.zke.io", .mutating = size % 2 == 0};
    json_t *obj = json_pack("{s:{s:s,s:{s:s}},s:[i,i]}", "metadata", "name", "x", "labels", "a",
                            "b", "list", 1, 2);
    json_t *warnings = json_array(), *patched = NULL, *status = NULL;
    char *why = NULL;
    int rc = zk_adm_hook_answer(&h, "u", (const char *)data, size, obj, &patched, &status,
                                warnings, &why);
    if (rc < 0 && !why)
        abort();
    if (rc == 1 && (!status || zk_json_int(status, "code", 0) < 400))
        abort();
    if (rc == 0 && patched && !json_is_object(patched))
        abort();
    if (json_array_size(warnings) > 20)
        abort();
    free(why);
    json_decref(patched);
    json_decref(status);
    json_decref(warnings);
    json_decref(obj);
    return 0;
}
