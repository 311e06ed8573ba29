#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>

#include "base/map.h"

static void test_put_get_delete_many(void **state)
{
    zk_map *m = zk_map_new();
    char key[32];
    for (intptr_t i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%ld", (long)i);
        assert_null(zk_map_put(m, key, (void *)(i + 1)));
    }
    assert_int_equal(zk_map_count(m), 5000);
    for (intptr_t i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "k%ld", (long)i);
        assert_ptr_equal(zk_map_del(m, key), (void *)(i + 1));
    }
    assert_int_equal(zk_map_count(m), 2500);
    for (intptr_t i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%ld", (long)i);
        if (i % 2)
            assert_ptr_equal(zk_map_get(m, key), (void *)(i + 1));
        else
            assert_null(zk_map_get(m, key));
    }
    size_t pos = 0, seen = 0;
    while (zk_map_next(m, &pos, NULL, NULL))
        seen++;
    assert_int_equal(seen, 2500);
    /* replace returns the previous value */
    assert_ptr_equal(zk_map_put(m, "k1", (void *)7), (void *)2);
    assert_ptr_equal(zk_map_get(m, "k1"), (void *)7);
    zk_map_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_delete_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
