/* StatefulSet ordinal decisions: which pod to create, which to delete on
 * scale down and in a rolling update, under OrderedReady and Parallel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "controllers/workload.h"

/* A pod of set "web": state is "ready", "pending", "unready", "failed",
 * "succeeded" or "terminating" (ready but being deleted). */
static json_t *pod(int ord, const char *state, const char *rev)
{
    char name[32];
    snprintf(name, sizeof(name), "web-%d", ord);
    const char *phase = !strcmp(state, "pending")     ? "Pending"
                        : !strcmp(state, "failed")    ? "Failed"
                        : !strcmp(state, "succeeded") ? "Succeeded"
                                                      : "Running";
    bool ready = !strcmp(state, "ready") || !strcmp(state, "terminating");
    json_t *p = json_pack("{s:{s:s,s:{s:s}},s:{s:s,s:[{s:s,s:s}]}}", "metadata", "name", name,
                          "labels", "controller-revision-hash", rev, "status", "phase", phase,
                          "conditions", "type", "Ready", "status", ready ? "True" : "False");
    if (!strcmp(state, "terminating"))
        json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp",
                            json_string("2024-01-01T00:00:00Z"));
    return p;
}

typedef struct setup {
    json_t *slots[8], *condemned[8];
    bool avail[8];
    zk_ctl_sts_view v;
} setup;

/* slots: one entry per ordinal in range, "-" for none, else
 * "<state>:<rev>"; condemned likewise, highest ordinal first, starting at
 * ordinal `replicas + ncondemned - 1`. */
static void build(setup *s, bool ordered, bool rolling, int64_t partition, const char *const *slots,
                  size_t n, const char *const *cond, size_t nc)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(slots[i], "-"))
            continue;
        char state[32], rev[32];
        sscanf(slots[i], "%31[^:]:%31s", state, rev);
        s->slots[i] = pod((int)i, state, rev);
        s->avail[i] = !strcmp(state, "ready");
    }
    for (size_t i = 0; i < nc; i++) {
        char state[32], rev[32];
        sscanf(cond[i], "%31[^:]:%31s", state, rev);
        s->condemned[i] = pod((int)(n + nc - 1 - i), state, rev);
    }
    s->v = (zk_ctl_sts_view){.replicas = n, .slots = s->slots, .available = s->avail,
                             .condemned = s->condemned, .ncondemned = nc, .ordered = ordered,
                             .rolling = rolling, .partition = partition,
                             .update_revision = "new"};
}

static void teardown_setup(setup *s)
{
    for (size_t i = 0; i < 8; i++) {
        json_decref(s->slots[i]);
        json_decref(s->condemned[i]);
    }
}

/* want: "c1" = create slot 1, "d:web-2" = delete web-2, joined by spaces */
static void expect_plan(setup *s, const char *want)
{
    const json_t *del[16];
    size_t create[16];
    zk_ctl_sts_plan_out out = {.del = del, .create = create};
    zk_ctl_sts_plan(&s->v, &out);
    char got[256] = "";
    for (size_t i = 0; i < out.ncreate; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%sc%zu", got[0] ? " " : "",
                 create[i]);
    for (size_t i = 0; i < out.ndel; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%sd:%s", got[0] ? " " : "",
                 json_string_value(json_object_get(json_object_get(del[i], "metadata"), "name")));
    if (strcmp(got, want))
        fail_msg("plan: want '%s', got '%s'", want, got);
    teardown_setup(s);
}

#define SLOTS(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)
#define NONE NULL, 0

static void test_ordered_creation(void **state)
{
    setup s;
    build(&s, true, true, 0, SLOTS("-", "-", "-"), NONE);
    expect_plan(&s, "c0");
    /* web-1 only once web-0 is Running and Ready */
    build(&s, true, true, 0, SLOTS("pending:new", "-", "-"), NONE);
    expect_plan(&s, "");
    build(&s, true, true, 0, SLOTS("unready:new", "-", "-"), NONE);
    expect_plan(&s, "");
    build(&s, true, true, 0, SLOTS("ready:new", "-", "-"), NONE);
    expect_plan(&s, "c1");
    build(&s, true, true, 0, SLOTS("ready:new", "ready:new", "-"), NONE);
    expect_plan(&s, "c2");
    /* a lower ordinal that went away is made again first */
    build(&s, true, true, 0, SLOTS("-", "ready:new", "ready:new"), NONE);
    expect_plan(&s, "c0");
    /* a terminating pod blocks */
    build(&s, true, true, 0, SLOTS("terminating:new", "-"), NONE);
    expect_plan(&s, "");
    /* a failed pod is deleted (and made again once gone) */
    build(&s, true, true, 0, SLOTS("failed:new", "-"), NONE);
    expect_plan(&s, "d:web-0");
    build(&s, true, true, 0, SLOTS("ready:new", "succeeded:new"), NONE);
    expect_plan(&s, "d:web-1");
}

static void test_parallel(void **state)
{
    setup s;
    build(&s, false, true, 0, SLOTS("-", "-", "-"), NONE);
    expect_plan(&s, "c0 c1 c2");
    build(&s, false, true, 0, SLOTS("pending:new", "-", "failed:new"), NONE);
    expect_plan(&s, "c1 d:web-2");
    /* scale down: all at once */
    build(&s, false, true, 0, SLOTS("pending:new"), SLOTS("ready:new", "unready:new"));
    expect_plan(&s, "d:web-2 d:web-1");
}

static void test_ordered_scale_down(void **state)
{
    setup s;
    /* the highest goes first, one at a time */
    build(&s, true, true, 0, SLOTS("ready:new"), SLOTS("ready:new", "ready:new"));
    expect_plan(&s, "d:web-2");
    /* wait for it to be gone */
    build(&s, true, true, 0, SLOTS("ready:new"), SLOTS("terminating:new", "ready:new"));
    expect_plan(&s, "");
    /* not while a pod that stays is unhealthy */
    build(&s, true, true, 0, SLOTS("unready:new"), SLOTS("ready:new"));
    expect_plan(&s, "");
    /* an unhealthy condemned pod goes only if it is the first unhealthy */
    build(&s, true, true, 0, SLOTS("ready:new"), SLOTS("unready:new", "ready:new"));
    expect_plan(&s, "d:web-2");
    build(&s, true, true, 0, SLOTS("ready:new"), SLOTS("unready:new", "unready:new"));
    expect_plan(&s, "");
}

static void test_rolling_update(void **state)
{
    setup s;
    /* the highest ordinal first */
    build(&s, true, true, 0, SLOTS("ready:old", "ready:old", "ready:old"), NONE);
    expect_plan(&s, "d:web-2");
    /* then the next, once the updated one is healthy */
    build(&s, true, true, 0, SLOTS("ready:old", "ready:old", "pending:new"), NONE);
    expect_plan(&s, "");
    build(&s, true, true, 0, SLOTS("ready:old", "ready:old", "ready:new"), NONE);
    expect_plan(&s, "d:web-1");
    /* Parallel still updates one at a time */
    build(&s, false, true, 0, SLOTS("ready:old", "ready:old", "ready:old"), NONE);
    expect_plan(&s, "d:web-2");
    /* partition 2: only ordinals 2 and up */
    build(&s, true, true, 2, SLOTS("ready:old", "ready:old", "ready:new"), NONE);
    expect_plan(&s, "");
    build(&s, true, true, 2, SLOTS("ready:old", "ready:old", "ready:old"), NONE);
    expect_plan(&s, "d:web-2");
    /* OnDelete: never */
    build(&s, true, false, 0, SLOTS("ready:old", "ready:old"), NONE);
    expect_plan(&s, "");
    /* scaling goes before updating */
    build(&s, true, true, 0, SLOTS("ready:old"), SLOTS("ready:old"));
    expect_plan(&s, "d:web-1");
}

static void test_ordinal(void **state)
{
    assert_int_equal(zk_ctl_sts_ordinal("web", "web-0"), 0);
    assert_int_equal(zk_ctl_sts_ordinal("web", "web-12"), 12);
    assert_int_equal(zk_ctl_sts_ordinal("web", "web-01"), -1);
    assert_int_equal(zk_ctl_sts_ordinal("web", "web-"), -1);
    assert_int_equal(zk_ctl_sts_ordinal("web", "web-x"), -1);
    assert_int_equal(zk_ctl_sts_ordinal("web", "webb-1"), -1);
    assert_int_equal(zk_ctl_sts_ordinal("web", "web-a-1"), -1);
    assert_int_equal(zk_ctl_sts_ordinal("web-a", "web-a-1"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordered_creation),
        cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_ordered_scale_down),
        cmocka_unit_test(test_rolling_update),
        cmocka_unit_test(test_ordinal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
