/* libFuzzer target for the three patch formats.
 *
 * Input: <document JSON> NUL <patch text>. Without a NUL the whole input is
 * the patch and the document is a small Pod. Every input is applied as JSON
 * Patch, merge patch and strategic merge patch (with a Pod-like schema and
 * with a recursive one), and checked for: inputs left unchanged, results that
 * encode and decode again, and merge patch being idempotent. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const zk_schema_type f_env_t, f_port_t, f_ctr_t, f_spec_t, f_meta_t, f_pod_t, f_item_t;

static const zk_schema_field f_env[] = {
    {.name = "name", .kind = ZK_S_STRING},
    {.name = "value", .kind = ZK_S_STRING},
    {0},
};
static const zk_schema_type f_env_t = {.name = "EnvVar", .fields = f_env};

static const zk_schema_field f_port[] = {
    {.name = "containerPort", .kind = ZK_S_INTEGER},
    {.name = "protocol", .kind = ZK_S_STRING},
    {0},
};
static const zk_schema_type f_port_t = {.name = "ContainerPort", .fields = f_port};

static const zk_schema_field f_ctr[] = {
    {.name = "name", .kind = ZK_S_STRING},
    {.name = "image", .kind = ZK_S_STRING},
    {.name = "args", .kind = ZK_S_ARRAY, .elem = {ZK_S_STRING}},
    {.name = "env", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &f_env_t}, .merge_key = "name",
     .strategy = ZK_PATCH_MERGE},
    {.name = "ports", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &f_port_t},
     .merge_key = "containerPort", .strategy = ZK_PATCH_MERGE},
    {.name = "resources", .kind = ZK_S_ANY},
    {0},
};
static const zk_schema_type f_ctr_t = {.name = "Container", .fields = f_ctr};

static const zk_schema_field f_spec[] = {
    {.name = "containers", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &f_ctr_t},
     .merge_key = "name", .strategy = ZK_PATCH_MERGE},
    {.name = "tolerations", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, NULL}},
    {.name = "nodeSelector", .kind = ZK_S_MAP, .elem = {ZK_S_STRING}},
    {.name = "overhead", .kind = ZK_S_MAP, .elem = {ZK_S_OBJECT, &f_port_t}},
    {.name = "strategy", .kind = ZK_S_OBJECT, .ref = &f_env_t, .strategy = ZK_PATCH_RETAINKEYS},
    {.name = "replace", .kind = ZK_S_OBJECT, .ref = &f_env_t, .strategy = ZK_PATCH_REPLACE},
    {.name = "noKey", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &f_env_t},
     .strategy = ZK_PATCH_MERGE},
    {0},
};
static const zk_schema_type f_spec_t = {.name = "PodSpec", .fields = f_spec};

static const zk_schema_field f_meta[] = {
    {.name = "name", .kind = ZK_S_STRING},
    {.name = "labels", .kind = ZK_S_MAP, .elem = {ZK_S_STRING}},
    {.name = "finalizers", .kind = ZK_S_ARRAY, .elem = {ZK_S_STRING}, .strategy = ZK_PATCH_MERGE},
    {0},
};
static const zk_schema_type f_meta_t = {.name = "ObjectMeta", .fields = f_meta};

static const zk_schema_field f_pod[] = {
    {.name = "metadata", .kind = ZK_S_OBJECT, .ref = &f_meta_t},
    {.name = "spec", .kind = ZK_S_OBJECT, .ref = &f_spec_t},
    {0},
};
static const zk_schema_type f_pod_t = {.name = "Pod", .fields = f_pod};

/* A recursive type, so that deep patches stay inside the schema. */
static const zk_schema_field f_item[] = {
    {.name = "name", .kind = ZK_S_INTEGER},
    {.name = "m", .kind = ZK_S_ARRAY, .elem = {ZK_S_OBJECT, &f_item_t}, .merge_key = "name",
     .strategy = ZK_PATCH_MERGE},
    {.name = "i", .kind = ZK_S_ARRAY, .elem = {ZK_S_INTEGER}, .strategy = ZK_PATCH_MERGE},
    {.name = "o", .kind = ZK_S_OBJECT, .ref = &f_item_t},
    {.name = "s", .kind = ZK_S_MAP, .elem = {ZK_S_OBJECT, &f_item_t}},
    {0},
};
static const zk_schema_type f_item_t = {.name = "Item", .fields = f_item};

static const char default_doc[] =
    "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\"},\"finalizers\":[\"x\",\"y\"]},"
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"env\":[{\"name\":\"E\","
    "\"value\":\"v\"}],\"ports\":[{\"containerPort\":80}]},{\"name\":\"d\"}],"
    "\"tolerations\":[{\"key\":\"k\"}]},\"m\":[{\"name\":1,\"i\":[1,2]},{\"name\":2}]}";

static void check_result(const json_t *out)
{
    /* The result must be encodable and, within the depth limit, decodable. */
    char *s = zk_json_dumps(out);
    json_t *back = NULL;
    zk_err err = {0};
    if (zk_json_depth(s, strlen(s)) <= ZK_JSON_MAX_DEPTH) {
        if (zk_json_decode(s, strlen(s), &back, &err) < 0 || !json_equal(back, out)) {
            fprintf(stderr, "result does not round-trip: %s\n", err.msg);
            abort();
        }
        json_decref(back);
    }
    free(s);
}

static void run(const char *ctype, const json_t *doc, const char *before, const char *patch,
                size_t len, const zk_schema_type *type)
{
    json_t *out = NULL;
    zk_err err = {0};
    int rc = zk_kube_patch_apply(ctype, doc, patch, len, type, &out, &err);
    if (rc == 0) {
        if (!out)
            abort();
        check_result(out);
    } else {
        if (out || err.code == 0 || -rc != err.code || !err.msg[0])
            abort();
    }
    char *after = zk_json_dumps(doc);
    if (strcmp(before, after)) {
        fprintf(stderr, "%s modified its input document\n", ctype);
        abort();
    }
    free(after);

    /* RFC 7386: applying the same merge patch twice changes nothing more. */
    if (rc == 0 && !strcmp(ctype, "application/merge-patch+json")) {
        json_t *twice = NULL;
        if (zk_kube_patch_apply(ctype, out, patch, len, NULL, &twice, &err) != 0 ||
            !json_equal(out, twice)) {
            fprintf(stderr, "merge patch is not idempotent\n");
            abort();
        }
        json_decref(twice);
    }
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    json_t *doc = NULL;
    zk_err err = {0};
    const char *patch = text;
    size_t plen = size;
    if (nul) {
        if (zk_json_decode(text, (size_t)(nul - text), &doc, &err) < 0)
            return 0;
        patch = nul + 1;
        plen = size - (size_t)(nul - text) - 1;
    } else if (zk_json_decode(default_doc, strlen(default_doc), &doc, &err) < 0) {
        abort();
    }
    char *before = zk_json_dumps(doc);
    run("application/json-patch+json", doc, before, patch, plen, NULL);
    run("application/merge-patch+json", doc, before, patch, plen, NULL);
    run("application/strategic-merge-patch+json", doc, before, patch, plen, &f_pod_t);
    run("application/strategic-merge-patch+json", doc, before, patch, plen, &f_item_t);

    /* The patch as a tree, straight into the functions. */
    json_t *p = NULL;
    if (zk_json_decode(patch, plen, &p, &err) == 0) {
        json_t *out = NULL;
        char *pb = zk_json_dumps(p);
        if (zk_kube_patch_merge(doc, p, &out, &err) == 0)
            json_decref(out);
        const zk_schema_type *types[] = {NULL, &f_pod_t, &f_item_t};
        for (size_t i = 0; i < ZK_ARRAY_LEN(types); i++) {
            out = NULL;
            if (zk_kube_patch_strategic(doc, p, types[i], &out, &err) == 0)
                json_decref(out);
        }
        out = NULL;
        if (zk_kube_patch_json(doc, p, &out, &err) == 0)
            json_decref(out);
        char *pa = zk_json_dumps(p);
        if (strcmp(pb, pa))
            abort();
        free(pb);
        free(pa);
        json_decref(p);
    }
    free(before);
    json_decref(doc);
    return 0;
}
