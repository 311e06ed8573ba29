/* Fuzz zk_json_decode: what decodes must encode and decode to an equal
 * value. zke's own reader and writer must agree with jansson's: the same
 * tree (key order included) for text either accepts, and the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void zk__same_as_jansson(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *want = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    json_t *got = zk_json_read(text, len, true);
    if (got && !want)
        abort(); /* accepted what jansson refuses */
    if (got) {
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!json_equal(want, got) || strcmp(a, b))
            abort();
        free(a);
        free(b);
    }
    if (want) {
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = zk_json_write(want, NULL);
        if (!a || !b || strcmp(a, b))
            abort();
        free(a);
        free(b);
    }
    if (want)
        json_decref(want);
    if (got)
        json_decref(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = NULL, *back = NULL;
    zk_err err = {0};

    zk__same_as_jansson((const char *)data, size);
    if (zk_json_decode((const char *)data, size, &j, &err) != 0)
        return 0;
    zk_buf b = ZK_BUF_INIT((size_t)64 << 20);
    if (zk_json_encode(j, &b) != 0)
        abort();
    if (zk_json_decode(b.data, b.len, &back, &err) != 0) {
        fprintf(stderr, "re-decode failed: %s\n", err.msg);
        abort();
    }
    if (!json_equal(j, back))
        abort();
    json_decref(back);
    json_decref(j);
    zk_buf_free(&b);
    return 0;
}
