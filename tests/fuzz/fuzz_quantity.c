/* Fuzz the quantity parser: whatever parses must render canonically, and
 * the rendering must parse back to the same value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "kube/quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const zk_kube_quantity *q, const char *text)
{
    zk_kube_quantity back;
    char again[ZK_KUBE_QUANTITY_STR_MAX], canon[ZK_KUBE_QUANTITY_STR_MAX];
    zk_err err = {0};

    if (zk_kube_quantity_parse(text, &back, &err) != 0) {
        fprintf(stderr, "rendered %s does not parse: %s\n", text, err.msg);
        abort();
    }
    if (zk_kube_quantity_cmp(q, &back) != 0) {
        fprintf(stderr, "rendered %s parses to another value\n", text);
        abort();
    }
    /* The canonical form keeps the value. It need not be a fixed point as a
     * string: "62.5Ki" is "64000" in Kubernetes (BinarySI, not a multiple of
     * 1024), and "64000" read back is DecimalSI, which prints "64k". */
    zk_kube_quantity_canonical(q, canon, sizeof canon);
    zk_kube_quantity_canonical(&back, again, sizeof again);
    zk_kube_quantity c1, c2;
    if (zk_kube_quantity_parse(canon, &c1, &err) != 0 || zk_kube_quantity_parse(again, &c2, &err) != 0 ||
        zk_kube_quantity_cmp(&c1, q) != 0 || zk_kube_quantity_cmp(&c2, q) != 0) {
        fprintf(stderr, "canonical %s / %s does not keep the value\n", canon, again);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zk_kube_quantity q, r, out;
    char canon[ZK_KUBE_QUANTITY_STR_MAX], str[ZK_KUBE_QUANTITY_STR_MAX];
    int64_t v;
    zk_err err = {0};

    if (zk_kube_quantity_parse_n((const char *)data, size, &q, &err) != 0)
        return 0;
    if (zk_kube_quantity_canonical(&q, canon, sizeof canon) >= sizeof canon ||
        zk_kube_quantity_string(&q, str, sizeof str) >= sizeof str)
        abort();
    check_roundtrip(&q, canon);
    check_roundtrip(&q, str);

    zk_kube_quantity_milli(&q, &v, NULL);
    zk_kube_quantity_value(&q, &v, NULL);
    r = q;
    zk_kube_quantity_add(&r, &q, NULL);
    zk_kube_quantity_sub(&r, &q, NULL);
    zk_kube_quantity_parse("1.5", &r, NULL);
    zk_kube_quantity_div_ratio(&q, &r, NULL, ZK_KUBE_ROUND_UP, &out, NULL);
    zk_kube_quantity_div_ratio(&q, &q, &r, ZK_KUBE_ROUND_DOWN, &out, NULL);

    json_t *j = json_stringn((const char *)data, size);
    if (j) {
        json_t *norm = NULL;
        if (zk_kube_quantity_normalize_json(j, &norm, NULL) == 0)
            json_decref(norm);
        json_decref(j);
    }
    return 0;
}
