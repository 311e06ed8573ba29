/* Fuzz the AdmissionReview handler of `zke webhook` with any JSON body (the
 * HTTP layer parses it first): it must answer or refuse with a reason,
 * never crash; an answer is an AdmissionReview whose response echoes the
 * uid, and a patch it carries must apply to the object it was made from. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admission/review.h"
#include "base/json.h"
#include "base/str.h"
#include "kube/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *get_ns(void *ctx, const char *name)
{
    (void)ctx;
    return json_pack("{s:{s:s,s:{s:s}}}", "metadata", "name", name, "labels",
                     "zke.io/soft-anti-affinity", "true");
}

static size_t list(void *ctx, const char *resource, const char *ns, json_t ***out)
{
    (void)ctx;
    (void)ns;
    json_t **v = calloc(1, sizeof(*v));
    size_t n = 0;
    if (!strcmp(resource, "overcommitpolicies"))
        v[n++] = json_pack("{s:{s:s},s:{s:f}}", "metadata", "name", "p", "spec", "memoryRatio", 1.5);
    *out = v;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = json_loadb((const char *)data, size, 0, NULL);
    if (!in)
        return 0;
    zk_adm_sources src = {NULL, get_ns, list};
    for (int mutate = 0; mutate < 2; mutate++) {
        char *why = NULL;
        json_t *ans = zk_adm_review(in, mutate, &src, &why);
        if (!ans) {
            if (!why)
                abort();
            free(why);
            continue;
        }
        const char *uid = zk_json_path_str(in, "request", "uid", NULL);
        const char *got = zk_json_path_str(ans, "response", "uid", NULL);
        if (!uid || !got || strcmp(uid, got))
            abort();
        const char *b64 = zk_json_path_str(ans, "response", "patch", NULL);
        if (b64) {
            size_t cap = strlen(b64);
            unsigned char *raw = malloc(cap + 1);
            int n = zk_base64_decode(b64, cap, raw, cap);
            if (n < 0)
                abort();
            json_t *ops = json_loadb((const char *)raw, (size_t)n, 0, NULL), *out = NULL;
            zk_err err = {0};
            if (!ops || zk_kube_patch_json(zk_json_path(in, "request", "object", NULL), ops, &out,
                                           &err) < 0)
                abort();
            json_decref(out);
            json_decref(ops);
            free(raw);
        }
        json_decref(ans);
    }
    json_decref(in);
    return 0;
}
