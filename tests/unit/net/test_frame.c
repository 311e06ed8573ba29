/* Tunnel frames: a header written and parsed back, partial input, the
 * bounds on length and type, and several frames in one buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "net/frame.h"

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t buf[64];
    zk_frame_header(buf, 0x01020304u, ZK_FRAME_DATA, 5);
    memcpy(buf + ZK_FRAME_HEADER, "hello", 5);
    zk_frame f;
    assert_int_equal(zk_frame_parse(buf, ZK_FRAME_HEADER + 5, &f), ZK_FRAME_HEADER + 5);
    assert_int_equal(f.stream, 0x01020304u);
    assert_int_equal(f.type, ZK_FRAME_DATA);
    assert_int_equal(f.len, 5);
    assert_memory_equal(f.payload, "hello", 5);
    /* every shorter prefix asks for more */
    for (size_t n = 0; n < ZK_FRAME_HEADER + 5; n++)
        assert_int_equal(zk_frame_parse(buf, n, &f), 0);
}

static void test_bounds(void **state)
{
    (void)state;
    uint8_t buf[ZK_FRAME_HEADER];
    zk_frame f;
    zk_frame_header(buf, 1, ZK_FRAME_DATA, ZK_FRAME_MAX + 1);
    assert_int_equal(zk_frame_parse(buf, sizeof(buf), &f), -1);
    zk_frame_header(buf, 1, 9, 0);
    assert_int_equal(zk_frame_parse(buf, sizeof(buf), &f), -1);
    zk_frame_header(buf, 1, 0, 0);
    assert_int_equal(zk_frame_parse(buf, sizeof(buf), &f), -1);
    zk_frame_header(buf, 1, ZK_FRAME_EOF + 1, 0);
    assert_int_equal(zk_frame_parse(buf, sizeof(buf), &f), -1);
    /* version 2's window and half close */
    zk_frame_header(buf, 3, ZK_FRAME_WINDOW, 0);
    assert_int_equal(zk_frame_parse(buf, sizeof(buf), &f), ZK_FRAME_HEADER);
    assert_int_equal(f.type, ZK_FRAME_WINDOW);
    zk_frame_header(buf, 3, ZK_FRAME_EOF, 0);
    assert_int_equal(zk_frame_parse(buf, sizeof(buf), &f), ZK_FRAME_HEADER);
    assert_int_equal(f.type, ZK_FRAME_EOF);
    zk_frame_header(buf, 7, ZK_FRAME_CLOSE, 0);
    assert_int_equal(zk_frame_parse(buf, sizeof(buf), &f), ZK_FRAME_HEADER);
    assert_int_equal(f.len, 0);
}

/* Credit goes back in batches of an eighth of the window, and a WINDOW
 * frame's payload reads back as the batch. */
static void test_credit(void **state)
{
    (void)state;
    size_t owed = 0;
    uint8_t pl[4];
    assert_false(zk_frame_credit(&owed, ZK_TUN_WINDOW / 8 - 1, pl));
    assert_true(zk_frame_credit(&owed, 5, pl));
    assert_int_equal(owed, 0);
    uint8_t buf[ZK_FRAME_HEADER + 4];
    zk_frame_header(buf, 9, ZK_FRAME_WINDOW, 4);
    memcpy(buf + ZK_FRAME_HEADER, pl, 4);
    zk_frame f;
    assert_int_equal(zk_frame_parse(buf, sizeof(buf), &f), (int)sizeof(buf));
    assert_int_equal(zk_frame_window(&f), ZK_TUN_WINDOW / 8 + 4);
    f.len = 3;   /* malformed: no credit */
    assert_int_equal(zk_frame_window(&f), 0);
}

static void test_several(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t off = 0;
    zk_frame_header(buf, 1, ZK_FRAME_OPEN, 2);
    memcpy(buf + ZK_FRAME_HEADER, "{}", 2);
    off = ZK_FRAME_HEADER + 2;
    zk_frame_header(buf + off, 1, ZK_FRAME_PING, 0);
    off += ZK_FRAME_HEADER;
    zk_frame f;
    int n = zk_frame_parse(buf, off, &f);
    assert_int_equal(n, ZK_FRAME_HEADER + 2);
    assert_int_equal(f.type, ZK_FRAME_OPEN);
    n = zk_frame_parse(buf + n, off - (size_t)n, &f);
    assert_int_equal(n, ZK_FRAME_HEADER);
    assert_int_equal(f.type, ZK_FRAME_PING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_several),
        cmocka_unit_test(test_credit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
