/* The in-memory objects: headers, and the trees kept for recent writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/objects.h"
#include "base/json.h"
#include "base/mem.h"

static json_t *zk__cm(const char *name, size_t payload)
{
    char *p = zk_xmalloc(payload + 1);
    memset(p, 'x', payload);
    p[payload] = '\0';
    json_t *d = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind",
                          "ConfigMap", "metadata", "name", name, "namespace", "default", "labels",
                          "app", "web", "data", "payload", p);
    free(p);
    return d;
}

static void test_written_object_keeps_its_tree(void **state)
{
    json_t *doc = zk__cm("a", 100);
    json_t *was = doc;
    zk_obj *o = zk_obj_take_json(doc, 7);
    assert_non_null(o);
    assert_ptr_equal(o->tree, was);
    assert_string_equal(o->name, "a");
    assert_string_equal(json_string_value(json_object_get(o->labels, "app")), "web");
    json_t *t = zk_obj_tree(o);
    assert_ptr_equal(t, was);
    /* the kept tree says what the text says */
    json_t *parsed = zk_obj_parse(o);
    assert_true(json_equal(parsed, t));
    json_decref(parsed);
    zk_obj_tree_drop(o);
    assert_null(o->tree);
    /* still ours after the object forgot it */
    assert_string_equal(zk_json_path_str(t, "metadata", "name", NULL), "a");
    json_decref(t);
    zk_obj_unref(o);
}

static void test_shared_document_is_copied_not_kept(void **state)
{
    json_t *doc = zk__cm("b", 10);
    zk_obj *o = zk_obj_take_json(json_incref(doc), 8);
    assert_null(o->tree);
    assert_ptr_not_equal(o->labels, json_object_get(json_object_get(doc, "metadata"), "labels"));
    /* a later change of the caller's tree does not reach the object */
    zk_json_set_str(zk_json_path_obj(doc, "metadata", "labels", NULL), "app", "other");
    assert_string_equal(json_string_value(json_object_get(o->labels, "app")), "web");
    json_t *t = zk_obj_tree(o); /* parsed now, and kept */
    assert_non_null(o->tree);
    assert_string_equal(zk_json_path_str(t, "metadata", "labels", "app", NULL), "web");
    json_decref(t);
    json_decref(doc);
    zk_obj_unref(o);
}

static void test_kept_trees_are_bounded(void **state)
{
    size_t payload = 16 << 10;
    size_t n = ZK_OBJ_TREES_MAX_BYTES / payload + 8;
    zk_obj **objs = zk_xcalloc(n, sizeof(*objs));
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "o-%zu", i);
        objs[i] = zk_obj_take_json(zk__cm(name, payload), (int64_t)i + 1);
        assert_non_null(objs[i]->tree);
    }
    size_t kept = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (objs[i]->tree) {
            kept++;
            bytes += objs[i]->len;
        }
    }
    assert_true(bytes <= ZK_OBJ_TREES_MAX_BYTES);
    assert_true(kept < n);
    assert_null(objs[0]->tree);          /* the oldest went first */
    assert_non_null(objs[n - 1]->tree);
    /* using a tree makes it the most recent */
    size_t first = 0;
    while (!objs[first]->tree)
        first++;
    json_decref(zk_obj_tree(objs[first]));
    zk_obj *more = zk_obj_take_json(zk__cm("more", payload), 99);
    assert_non_null(objs[first]->tree);
    assert_null(objs[first + 1]->tree); /* the oldest unused one went instead */
    zk_obj_unref(more);
    for (size_t i = 0; i < n; i++)
        zk_obj_unref(objs[i]);
    free(objs);
}

static void test_large_objects_are_not_kept(void **state)
{
    zk_obj *o = zk_obj_take_json(zk__cm("big", 100 << 10), 1);
    assert_null(o->tree);
    json_t *t = zk_obj_tree(o);
    assert_null(o->tree);
    json_decref(t);
    zk_obj_unref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_object_keeps_its_tree),
        cmocka_unit_test(test_shared_document_is_copied_not_kept),
        cmocka_unit_test(test_kept_trees_are_bounded),
        cmocka_unit_test(test_large_objects_are_not_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
