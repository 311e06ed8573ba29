/* The scheduling queue: priority then FIFO, backoff, the unschedulable
 * set and what moves pods out of it. Time is passed in (ms). */
#include "scheduler/queue.h"
#include "support.h"

static zk_sched_pod *prio_pod(const char *name, int prio)
{
    char spec[64];
    snprintf(spec, sizeof(spec), "'priority':%d", prio);
    return simple_pod(name, NULL, NULL, NULL, spec);
}

static const char *pop_name(zk_sched_queue *q)
{
    static char name[64];
    zk_sched_qpod *qp = zk_sched_queue_pop(q);
    if (!qp)
        return "";
    snprintf(name, sizeof(name), "%s", qp->pod->name);
    zk_sched_pod_free(zk_sched_queue_done(q, qp));
    return name;
}

static void test_priority_then_fifo(void **state)
{
    zk_sched_queue *q = zk_sched_queue_new();
    zk_sched_queue_add(q, prio_pod("low-1", 0), false, 0);
    zk_sched_queue_add(q, prio_pod("high-1", 100), false, 0);
    zk_sched_queue_add(q, prio_pod("low-2", 0), false, 0);
    zk_sched_queue_add(q, prio_pod("high-2", 100), false, 0);
    zk_sched_queue_add(q, prio_pod("neg", -5), false, 0);
    zk_sched_queue_add(q, prio_pod("low-3", 0), false, 0);
    assert_int_equal(zk_sched_queue_active_len(q), 6);
    const char *want[] = {"high-1", "high-2", "low-1", "low-2", "low-3", "neg", ""};
    for (size_t i = 0; i < ZK_ARRAY_LEN(want); i++)
        assert_string_equal(pop_name(q), want[i]);
    assert_int_equal(zk_sched_queue_len(q), 0);
    zk_sched_queue_free(q);
}

static void test_backoff_durations(void **state)
{
    assert_int_equal(zk_sched_backoff_ms(1), 1000);
    assert_int_equal(zk_sched_backoff_ms(2), 2000);
    assert_int_equal(zk_sched_backoff_ms(3), 4000);
    assert_int_equal(zk_sched_backoff_ms(4), 8000);
    assert_int_equal(zk_sched_backoff_ms(5), 10000);
    assert_int_equal(zk_sched_backoff_ms(50), 10000);
}

static void test_unschedulable_waits_for_a_relevant_event(void **state)
{
    zk_sched_queue *q = zk_sched_queue_new();
    zk_sched_queue_add(q, prio_pod("p", 0), false, 0);
    zk_sched_qpod *qp = zk_sched_queue_pop(q);
    zk_sched_queue_unschedulable(q, qp, ZK_SCHED_P_FIT, 1000);
    assert_int_equal(zk_sched_queue_unsched_len(q), 1);
    assert_null(zk_sched_queue_pop(q));

    /* an event no rejecting plugin cares about leaves it */
    assert_int_equal(zk_sched_queue_move(q, ZK_SCHED_P_POD_AFFINITY, 5000), 0);
    assert_int_equal(zk_sched_queue_unsched_len(q), 1);

    /* a relevant one after the 1 s backoff: active at once */
    assert_int_equal(zk_sched_queue_move(q, ZK_SCHED_P_FIT, 5000), 1);
    assert_int_equal(zk_sched_queue_active_len(q), 1);
    qp = zk_sched_queue_pop(q);
    assert_string_equal(qp->pod->name, "p");
    /* second failure: 2 s backoff; an event inside it parks the pod in backoff */
    zk_sched_queue_unschedulable(q, qp, ZK_SCHED_P_FIT, 6000);
    assert_int_equal(qp->attempts, 2);
    assert_int_equal(zk_sched_queue_move(q, ~0u, 7000), 1);
    assert_int_equal(zk_sched_queue_backoff_len(q), 1);
    assert_null(zk_sched_queue_pop(q));
    zk_sched_queue_flush(q, 7999);
    assert_null(zk_sched_queue_pop(q));
    zk_sched_queue_flush(q, 8000);
    assert_string_equal(pop_name(q), "p");
    zk_sched_queue_free(q);
}

static void test_unschedulable_retried_after_a_minute(void **state)
{
    zk_sched_queue *q = zk_sched_queue_new();
    zk_sched_queue_add(q, prio_pod("p", 0), false, 0);
    zk_sched_queue_unschedulable(q, zk_sched_queue_pop(q), ZK_SCHED_P_TAINTS, 10000);
    zk_sched_queue_flush(q, 10000 + 59999);
    assert_int_equal(zk_sched_queue_unsched_len(q), 1);
    zk_sched_queue_flush(q, 10000 + 60000);
    assert_int_equal(zk_sched_queue_unsched_len(q), 0);
    assert_string_equal(pop_name(q), "p");
    zk_sched_queue_free(q);
}

static void test_update_of_unschedulable_pod(void **state)
{
    zk_sched_queue *q = zk_sched_queue_new();
    zk_sched_queue_add(q, prio_pod("p", 0), false, 0);
    zk_sched_queue_unschedulable(q, zk_sched_queue_pop(q), ZK_SCHED_P_FIT, 0);
    /* a status-only update (our own condition) does not retry it */
    zk_sched_queue_add(q, prio_pod("p", 0), false, 5000);
    assert_int_equal(zk_sched_queue_unsched_len(q), 1);
    /* a spec or label change does */
    zk_sched_queue_add(q, prio_pod("p", 3), true, 5000);
    assert_int_equal(zk_sched_queue_unsched_len(q), 0);
    zk_sched_qpod *qp = zk_sched_queue_pop(q);
    assert_int_equal(qp->pod->priority, 3);
    assert_int_equal(qp->attempts, 1);
    zk_sched_pod_free(zk_sched_queue_done(q, qp));
    zk_sched_queue_free(q);
}

static void test_delete_and_binding_failure(void **state)
{
    zk_sched_queue *q = zk_sched_queue_new();
    zk_sched_queue_add(q, prio_pod("a", 0), false, 0);
    zk_sched_queue_add(q, prio_pod("b", 0), false, 0);
    zk_sched_queue_delete(q, "default/a");
    zk_sched_queue_delete(q, "default/none");
    assert_int_equal(zk_sched_queue_len(q), 1);
    /* b is placed, its binding fails: back after its backoff (3rd failure: 4 s) */
    zk_sched_qpod *qp = zk_sched_queue_pop(q);
    zk_sched_pod *b = zk_sched_queue_done(q, qp);
    assert_int_equal(zk_sched_queue_len(q), 0);
    zk_sched_queue_add_backoff(q, b, 3, 100);
    assert_int_equal(zk_sched_queue_backoff_len(q), 1);
    zk_sched_queue_flush(q, 4099);
    assert_int_equal(zk_sched_queue_active_len(q), 0);
    zk_sched_queue_flush(q, 4100);
    qp = zk_sched_queue_pop(q);
    assert_string_equal(qp->pod->name, "b");
    assert_int_equal(qp->attempts, 3);
    zk_sched_pod_free(zk_sched_queue_done(q, qp));
    zk_sched_queue_free(q);
}

static void test_many_pods_keep_order(void **state)
{
    zk_sched_queue *q = zk_sched_queue_new();
    char name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "p%04d", i);
        zk_sched_queue_add(q, prio_pod(name, i % 3), false, 0);
    }
    int last_prio = 3, last_idx = -1;
    for (int i = 0; i < 2000; i++) {
        zk_sched_qpod *qp = zk_sched_queue_pop(q);
        assert_non_null(qp);
        int idx = atoi(qp->pod->name + 1);
        assert_true(qp->pod->priority <= last_prio);
        if (qp->pod->priority == last_prio)
            assert_true(idx > last_idx);
        last_prio = qp->pod->priority;
        last_idx = idx;
        zk_sched_pod_free(zk_sched_queue_done(q, qp));
    }
    assert_null(zk_sched_queue_pop(q));
    zk_sched_queue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_then_fifo),
        cmocka_unit_test(test_backoff_durations),
        cmocka_unit_test(test_unschedulable_waits_for_a_relevant_event),
        cmocka_unit_test(test_unschedulable_retried_after_a_minute),
        cmocka_unit_test(test_update_of_unschedulable_pod),
        cmocka_unit_test(test_delete_and_binding_failure),
        cmocka_unit_test(test_many_pods_keep_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
