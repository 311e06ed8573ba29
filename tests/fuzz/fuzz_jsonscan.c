/* Fuzz the one-field JSON scanner: it must never read past the input, and
 * on any text jansson accepts (without duplicate keys) it must find the
 * same string or literal jansson finds at the path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/jsonscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {"a", "spec.nodeName", "status.phase", "a.b.c", "metadata.name"};

static void check(const char *text, size_t len, json_t *doc, const char *path)
{
    char out[256];
    int t = zk_json_scan(text, len, path, out, sizeof(out));
    if (!doc)
        return;
    char copy[64];
    snprintf(copy, sizeof(copy), "%s", path);
    json_t *cur = doc;
    char *save = NULL;
    for (char *p = strtok_r(copy, ".", &save); p && cur; p = strtok_r(NULL, ".", &save))
        cur = json_is_object(cur) ? json_object_get(cur, p) : NULL;
    if (t == ZK_JSCAN_STRING) {
        if (!json_is_string(cur))
            abort();
        /* a string with a NUL in it compares only up to the NUL */
        if (strcmp(json_string_value(cur), out))
            abort();
    } else if (t == ZK_JSCAN_ABSENT) {
        if (cur)
            abort();
    } else if (t == ZK_JSCAN_OTHER) {
        if (!json_is_object(cur) && !json_is_array(cur))
            abort();
    } else if (t == ZK_JSCAN_LITERAL) {
        if (!cur || json_is_string(cur) || json_is_object(cur) || json_is_array(cur))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    /* a copy of exactly size bytes: reading past it is an ASan error */
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    json_error_t e;
    json_t *doc = json_loadb(text, size, JSON_REJECT_DUPLICATES, &e);
    if (doc && !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        check(text, size, doc, paths[i]);
    json_decref(doc);
    free(text);
    return 0;
}
