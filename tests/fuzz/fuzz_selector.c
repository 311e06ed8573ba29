/* Fuzz label and field selector parsing: what parses must render to a
 * string that parses back to the same rendering. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *get_field(void *ctx, const char *field)
{
    return strcmp(field, "metadata.name") == 0 ? "web" : NULL;
}

static void label_selector(const char *s)
{
    zk_kube_selector *sel = NULL, *back = NULL;
    zk_err err = {0};

    if (zk_kube_selector_parse(s, &sel, &err) != 0)
        return;
    char *str = zk_kube_selector_string(sel);
    if (zk_kube_selector_parse(str, &back, &err) != 0) {
        fprintf(stderr, "'%s' renders as '%s' which fails: %s\n", s, str, err.msg);
        abort();
    }
    char *str2 = zk_kube_selector_string(back);
    if (strcmp(str, str2) != 0) {
        fprintf(stderr, "'%s' -> '%s' -> '%s'\n", s, str, str2);
        abort();
    }
    json_t *labels = json_pack("{s:s,s:s,s:s}", "app", "web", "x", "1", "", "");
    if (zk_kube_selector_matches(sel, labels) != zk_kube_selector_matches(back, labels))
        abort();
    zk_kube_selector_matches(sel, NULL);
    for (size_t i = 0; i < zk_kube_selector_count(sel); i++)
        zk_kube_selector_exact_match(sel, zk_kube_selector_get(sel, i)->key);
    json_decref(labels);
    free(str);
    free(str2);
    zk_kube_selector_free(sel);
    zk_kube_selector_free(back);
}

static void field_selector(const char *s)
{
    zk_kube_fieldsel *sel = NULL, *back = NULL;
    zk_err err = {0};

    if (zk_kube_fieldsel_parse(s, NULL, NULL, &sel, &err) != 0)
        return;
    char *str = zk_kube_fieldsel_string(sel);
    if (zk_kube_fieldsel_parse(str, NULL, NULL, &back, &err) != 0) {
        fprintf(stderr, "'%s' renders as '%s' which fails: %s\n", s, str, err.msg);
        abort();
    }
    if (back->n != sel->n)
        abort();
    zk_kube_fieldsel_matches(sel, get_field, NULL);
    free(str);
    zk_kube_fieldsel_free(sel);
    zk_kube_fieldsel_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    label_selector(s);
    field_selector(s);

    /* the same bytes as a metav1.LabelSelector, when they are JSON */
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (j) {
        zk_kube_selector *sel = NULL;
        if (zk_kube_selector_from_json(j, &sel, NULL) == 0) {
            free(zk_kube_selector_string(sel));
            zk_kube_selector_free(sel);
        }
        json_decref(j);
    }
    free(s);
    return 0;
}
