/* Fuzz structural schemas: the first half of the input is a CRD schema, the
 * second half an object. Checking the schema, validating, pruning and
 * defaulting must not crash, whatever the two are. */
#include <stddef.h>
#include <stdint.h>

#include "base/json.h"
#include "kube/structural.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_pruned(const char *path, void *ud)
{
    (void)path;
    (*(size_t *)ud)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t half = size / 2;
    json_t *schema = NULL, *obj = NULL;
    if (zk_json_decode((const char *)data, half, &schema, NULL) < 0)
        return 0;
    if (zk_json_decode((const char *)data + half, size - half, &obj, NULL) < 0) {
        json_decref(schema);
        return 0;
    }
    zk_field_errors errs;
    zk_field_errors_init(&errs);
    (void)zk_kube_structural_check_schema(schema, "spec.versions[0].schema.openAPIV3Schema", &errs);
    zk_field_errors_free(&errs);
    (void)zk_kube_structural_validate(schema, obj, &errs);
    zk_field_errors_free(&errs);
    size_t seen = 0;
    size_t n = zk_kube_structural_prune(schema, obj, count_pruned, &seen);
    if (n != seen)
        __builtin_trap();
    zk_kube_structural_default(schema, obj);
    (void)zk_kube_structural_validate(schema, obj, &errs);
    zk_field_errors_free(&errs);
    json_decref(obj);
    json_decref(schema);
    return 0;
}
