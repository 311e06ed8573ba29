/* Fuzz the printer-column JSONPath subset and the CRD table printer.
 *
 * Input: the first line is a JSONPath expression; the rest, when it is JSON,
 * is the document to evaluate it on (a fixed custom resource otherwise).
 * Any expression must compile or fail with a message; a compiled one must
 * evaluate and render on any document, and so must a CRD printer whose
 * columns of every type use it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/jsonpath.h"
#include "kube/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_doc[] =
    "{\"apiVersion\":\"zke.io/v1\",\"kind\":\"HostGroup\",\"metadata\":{\"name\":\"edge\","
    "\"creationTimestamp\":\"2023-11-14T22:00:00Z\",\"labels\":{\"app.kubernetes.io/name\":"
    "\"edge\"}},\"spec\":{\"replicas\":3,\"ratio\":0.5,\"hosts\":[\"a\",\"b\"],\"nested\":[[1,"
    "[2,{\"k\":null}]],{}]},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
    "\"lastTransitionTime\":\"2023-11-14T22:10:00Z\"},{\"type\":\"Synced\",\"status\":"
    "\"False\"}]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t elen = nl ? (size_t)(nl - text) : size;
    char *expr = zk_xstrndup(text, elen);

    json_t *doc = NULL;
    if (nl)
        zk_json_decode(nl + 1, size - elen - 1, &doc, NULL);
    if (!doc)
        zk_json_decode(fixed_doc, sizeof(fixed_doc) - 1, &doc, NULL);

    zk_err err = { 0 };
    zk_kube_jsonpath *p = NULL;
    if (zk_kube_jsonpath_compile(expr, &p, &err) == 0) {
        free(zk_kube_jsonpath_render(zk_kube_jsonpath_first(p, doc)));
        zk_kube_jsonpath_free(p);

        static const char *const types[] = { "string", "integer", "number", "boolean", "date" };
        json_t *cols = json_array();
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            json_array_append_new(cols, json_pack("{s:s,s:s,s:s}", "name", types[i], "type",
                                                  types[i], "jsonPath", expr));
        zk_table_printer *printer = zk_kube_table_crd_printer(cols, &err);
        if (printer) {
            const json_t *objs[] = { doc };
            json_t *t = zk_kube_table_build(printer, objs, 1, "Metadata", "1", NULL, 1700000000);
            json_decref(t);
            zk_kube_table_printer_free(printer);
        }
        json_decref(cols);
    } else if (err.msg[0] == '\0') {
        abort(); /* a failed compile must say why */
    }
    json_decref(doc);
    free(expr);
    return 0;
}
