/* Fuzz the reader of iptables-save output (what the proxy learns an earlier
 * run left) and the scripts made from it: whatever the text, the reader
 * must not crash or read past it, only names of our prefix come back, and
 * the cleanup and whole-write scripts made from them must be whole lines
 * that end with COMMIT per table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "proxy/iptrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PFX "Zfuzz0000-"

static void check_script(const zk_buf *b)
{
    if (!b->len)
        return;
    if (b->data[b->len - 1] != '\n' || b->len < 7 || memcmp(b->data + b->len - 7, "COMMIT\n", 7))
        abort();
    /* no line but ours: tables, declarations, -A/-I/-D/-X, COMMIT */
    for (size_t i = 0; i < b->len;) {
        const char *nl = memchr(b->data + i, '\n', b->len - i);
        const char *l = b->data + i;
        if (!(l[0] == '*' || l[0] == ':' || !strncmp(l, "-A ", 3) || !strncmp(l, "-I ", 3) ||
              !strncmp(l, "-D ", 3) || !strncmp(l, "-X ", 3) || !strncmp(l, "COMMIT", 6)))
            abort();
        if (memchr(l, '\0', (size_t)(nl - l)))
            abort();
        i = (size_t)(nl - b->data) + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *seen = zk_proxy_ipt_seen((const char *)data, size, PFX);
    const char *t;
    json_t *tab;
    json_object_foreach(seen, t, tab) {
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(tab, "chains"), k, v)
            if (strncmp(k, PFX, strlen(PFX)))
                abort();
        json_object_foreach(json_object_get(tab, "jumps"), k, v) {
            const char *sp = strchr(k, ' ');
            if (!sp || strncmp(sp + 1, PFX, strlen(PFX)) || json_integer_value(v) < 1)
                abort();
        }
    }
    zk_buf out;
    zk_buf_init(&out, 64u << 20);
    zk_proxy_ipt_cleanup(&out, seen);
    check_script(&out);
    zk_buf_reset(&out);
    zk_proxy_cfg cfg = {.table = "zkefuzz", .cluster_cidr = "10.42.0.0/16",
                        .mode = ZK_PROXY_IPTABLES, .prefix = PFX};
    zk_proxy_ipt_full(&out, &cfg, seen, NULL, 0);
    check_script(&out);
    zk_buf_free(&out);
    json_decref(seen);
    return 0;
}
