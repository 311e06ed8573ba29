/* Tests of the kube client, informers, work queue and leader election.
 * The client tests run against a real `zke server` (ZKE_BIN, set by the
 * build) started in a temp dir on a free loopback port; the work queue
 * tests need only a loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/leader.h"
#include "kube/workqueue.h"

#include "testsrv.h"

static int server_setup(void **state)
{
    server *s = zk_xcalloc(1, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/zk-client-test-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    if (!server_start(s, NULL)) {
        fprintf(stderr, "zke server did not start\n");
        return -1;
    }
    *state = s;
    return 0;
}

static int server_teardown(void **state)
{
    server *s = *state;
    server_remove(s);
    free(s);
    return 0;
}

static zk_kube_client *client_for(server *s, uv_loop_t *loop)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/kubeconfig.yaml", s->dir);
    zk_kube_config cfg;
    zk_err err = {0};
    int rc = zk_kube_config_load(path, &cfg, &err);
    if (rc < 0)
        fail_msg("kubeconfig: %s", err.msg);
    zk_kube_client *c = zk_kube_client_new(loop, &cfg, &err);
    zk_kube_config_free(&cfg);
    assert_non_null(c);
    return c;
}

/* Run the loop until *flag or the deadline (ms). */
static bool run_until(uv_loop_t *loop, const bool *flag, uint64_t ms)
{
    uint64_t end = zk_mono_ms() + ms;
    while (!*flag && zk_mono_ms() < end)
        uv_run(loop, UV_RUN_NOWAIT), usleep(*flag ? 0 : 500);
    return *flag;
}

/* ---- synchronous request helper ---- */

typedef struct answer {
    bool done;
    int status;
    int http_version;
    char reason[64];
    json_t *body;
} answer;

static void on_answer(void *ctx, const zk_kube_result *r)
{
    answer *a = ctx;
    a->done = true;
    a->status = r->status;
    a->http_version = r->http_version;
    snprintf(a->reason, sizeof(a->reason), "%s", r->reason);
    a->body = r->body ? json_incref(r->body) : NULL;
}

typedef struct many_state many_state;
typedef struct many_slot {
    many_state *all;
    int status;
    int position;      /* order of completion, from 0 */
} many_slot;
struct many_state {
    many_slot slot[20];
    int finished;
    bool all_done;
};

static void on_many(void *ctx, const zk_kube_result *r)
{
    many_slot *m = ctx;
    m->status = r->status;
    m->position = m->all->finished++;
    m->all->all_done = m->all->finished == 20;
}

static answer call(zk_kube_client *c, const char *method, const char *path, json_t *body)
{
    answer a = {0};
    zk_kube_request(c, method, path, body, NULL, on_answer, &a);
    if (!run_until(zk_kube_client_loop(c), &a.done, 20000))
        fail_msg("%s %s: no answer in 20 s", method, path);
    return a;
}

static json_t *cm(const char *name, const char *label)
{
    return json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind",
                     "ConfigMap", "metadata", "name", name, "labels", "tier", label, "data",
                     "k", "v");
}

static void create_cm(zk_kube_client *c, const char *name, const char *label)
{
    json_t *o = cm(name, label);
    answer a = call(c, "POST", "/api/v1/namespaces/default/configmaps", o);
    json_decref(o);
    assert_int_equal(a.status, 201);
    json_decref(a.body);
}

/* ---- client ---- */

static void test_path(void **state)
{
    char p[256];
    zk_kube_path(p, sizeof(p), &zk_kube_pods, "ns1", "web", "binding", NULL);
    assert_string_equal(p, "/api/v1/namespaces/ns1/pods/web/binding");
    zk_kube_path(p, sizeof(p), &zk_kube_deployments, NULL, NULL, NULL, "limit=5");
    assert_string_equal(p, "/apis/apps/v1/deployments?limit=5");
    zk_kube_path(p, sizeof(p), &zk_kube_nodes, "ignored", "n1", "status", NULL);
    assert_string_equal(p, "/api/v1/nodes/n1/status");
    char small[8];
    assert_int_equal(zk_kube_path(small, sizeof(small), &zk_kube_pods, "x", NULL, NULL, NULL),
                     -1);
}

static void test_config_errors(void **state)
{
    zk_kube_config cfg;
    zk_err err = {0};
    assert_true(zk_kube_config_load("/nonexistent/kubeconfig", &cfg, &err) < 0);
    assert_non_null(strstr(err.msg, "/nonexistent/kubeconfig"));
    char path[] = "/tmp/zk-kubeconfig-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "apiVersion: v1\nkind: Config\ncurrent-context: nope\ncontexts: []\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_true(zk_kube_config_load(path, &cfg, &err) < 0);
    if (!strstr(err.msg, "current-context \"nope\" not found"))
        fail_msg("message: %s", err.msg);
    unlink(path);
}

static void test_requests(void **state)
{
    server *s = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    zk_kube_client *c = client_for(s, &loop);

    create_cm(c, "req-a", "x");
    answer a = call(c, "GET", "/api/v1/namespaces/default/configmaps/req-a", NULL);
    assert_int_equal(a.status, 200);
    assert_string_equal(zk_json_path_str(a.body, "data", "k", NULL), "v");
    /* HTTP/2 through ALPN by default; DISABLE_HTTP2 (client-go's switch)
     * keeps HTTP/1.1 for clients made while it is set */
    const char *backend = getenv("ZKE_KUBE_CLIENT");
    bool h1 = backend && !strcmp(backend, "h1");   /* zke's own client: HTTP/1.1 only */
    assert_int_equal(a.http_version, h1 ? 11 : 20);
    setenv("DISABLE_HTTP2", "1", 1);
    zk_kube_client *c11 = client_for(s, &loop);
    unsetenv("DISABLE_HTTP2");
    answer a11 = call(c11, "GET", "/api/v1/namespaces/default/configmaps/req-a", NULL);
    assert_int_equal(a11.status, 200);
    assert_int_equal(a11.http_version, 11);
    json_decref(a11.body);
    zk_kube_client_free(c11);
    /* a stale update is a 409 Conflict */
    json_t *stale = json_deep_copy(a.body);
    json_decref(a.body);
    json_object_set_new(json_object_get(stale, "data"), "k", json_string("v2"));
    answer u1 = call(c, "PUT", "/api/v1/namespaces/default/configmaps/req-a", stale);
    assert_int_equal(u1.status, 200);
    json_decref(u1.body);
    answer u2 = call(c, "PUT", "/api/v1/namespaces/default/configmaps/req-a", stale);
    assert_int_equal(u2.status, 409);
    assert_string_equal(u2.reason, "Conflict");
    json_decref(u2.body);
    json_decref(stale);
    /* duplicate create: AlreadyExists */
    json_t *o = cm("req-a", "x");
    answer d = call(c, "POST", "/api/v1/namespaces/default/configmaps", o);
    json_decref(o);
    assert_int_equal(d.status, 409);
    assert_string_equal(d.reason, "AlreadyExists");
    json_decref(d.body);
    /* delete, then 404 NotFound */
    answer del = {0};
    zk_kube_delete(c, &zk_kube_configmaps, "default", "req-a", "Background", NULL, on_answer, &del);
    assert_true(run_until(&loop, &del.done, 20000));
    assert_int_equal(del.status, 200);
    json_decref(del.body);
    answer g = call(c, "GET", "/api/v1/namespaces/default/configmaps/req-a", NULL);
    assert_int_equal(g.status, 404);
    assert_string_equal(g.reason, "NotFound");
    json_decref(g.body);

    /* 20 at once through 2 slots: all answered. With at most 2 in flight
     * and the rest started in order of issue, request i can only start once
     * i - 1 others have finished, so it finishes at position >= i - 1
     * (over HTTP/2 two requests in flight may finish in either order). */
    zk_kube_client_set_max_inflight(c, 2);
    many_state ms = {0};
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "many-%d", i);
        json_t *m = cm(name, "many");
        ms.slot[i].all = &ms;
        zk_kube_create(c, &zk_kube_configmaps, "default", m, on_many, &ms.slot[i]);
        json_decref(m);
    }
    assert_true(run_until(&loop, &ms.all_done, 20000));
    for (int i = 0; i < 20; i++) {
        assert_int_equal(ms.slot[i].status, 201);
        assert_true(ms.slot[i].position >= i - 1);
    }

    /* a refused connection is status 0 with a message */
    zk_kube_config bad = {.server = "https://127.0.0.1:1", .insecure = true};
    zk_err err = {0};
    zk_kube_client *c2 = zk_kube_client_new(&loop, &bad, &err);
    answer r = call(c2, "GET", "/api/v1/namespaces", NULL);
    assert_int_equal(r.status, 0);
    zk_kube_client_free(c2);

    zk_kube_client_free(c);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- informers ---- */

typedef struct counts {
    int adds, updates, dels;
} counts;

static void h_add(void *ctx, json_t *o) { ((counts *)ctx)->adds++; }
static void h_upd(void *ctx, json_t *a, json_t *b) { ((counts *)ctx)->updates++; }
static void h_del(void *ctx, json_t *o) { ((counts *)ctx)->dels++; }

static void tier_index(const json_t *obj, zk_kube_emit_fn emit, void *ectx)
{
    const char *t = zk_json_path_str(obj, "metadata", "labels", "tier", NULL);
    if (t)
        emit(ectx, t);
}

typedef struct waitn {
    zk_kube_informer *inf;
    size_t want;
    bool ok;
} waitn;

static void run_until_count(uv_loop_t *loop, zk_kube_informer *inf, const char *ns,
                            const char *tier, size_t want)
{
    uint64_t end = zk_mono_ms() + 20000;
    for (;;) {
        json_t **arr;
        size_t n = zk_kube_informer_by_index(inf, "tier", tier, &arr);
        free(arr);
        if (n == want)
            return;
        if (zk_mono_ms() > end)
            fail_msg("tier=%s: %zu objects, want %zu", tier, n, want);
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}

static void test_informer(void **state)
{
    server *s = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    zk_kube_client *c = client_for(s, &loop);
    /* 3 before the informer starts (its list), more after (its watch) */
    create_cm(c, "inf-1", "front");
    create_cm(c, "inf-2", "front");
    create_cm(c, "inf-3", "back");
    zk_kube_informer *inf =
        zk_kube_informer_new(c, &zk_kube_configmaps, "default", "tier", NULL);
    zk_kube_informer_add_index(inf, "tier", tier_index);
    counts n = {0};
    zk_kube_handler h = {.add = h_add, .update = h_upd, .del = h_del, .ctx = &n};
    zk_kube_informer_on(inf, &h);
    zk_kube_informer_start(inf);
    run_until_count(&loop, inf, "default", "front", 2);
    assert_true(zk_kube_informer_synced(inf));
    assert_int_equal(n.adds, 3);
    assert_non_null(zk_kube_informer_get(inf, "default", "inf-3"));
    json_t **arr;
    assert_int_equal(zk_kube_informer_by_index(inf, "namespace", "default", &arr), 3);
    free(arr);

    create_cm(c, "inf-4", "front");
    run_until_count(&loop, inf, "default", "front", 3);
    assert_int_equal(n.adds, 4);
    /* relabel moves an object between index values */
    json_t *p = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "tier", "back");
    answer a = {0};
    zk_kube_patch(c, &zk_kube_configmaps, "default", "inf-1", NULL, NULL, p, on_answer, &a);
    json_decref(p);
    assert_true(run_until(&loop, &a.done, 20000));
    assert_int_equal(a.status, 200);
    json_decref(a.body);
    run_until_count(&loop, inf, "default", "back", 2);
    assert_int_equal(n.updates, 1);
    answer d = {0};
    zk_kube_delete(c, &zk_kube_configmaps, "default", "inf-3", NULL, NULL, on_answer, &d);
    assert_true(run_until(&loop, &d.done, 20000));
    json_decref(d.body);
    run_until_count(&loop, inf, "default", "back", 1);
    assert_int_equal(n.dels, 1);
    assert_null(zk_kube_informer_get(inf, "default", "inf-3"));
    assert_int_equal(zk_kube_informer_relists(inf), 0);
    /* a resource the server does not serve (a CRD not installed): synced
     * and empty, so that a process's other informers do not wait on it */
    static const zk_kube_resource nope = {"nope.zke.io", "v1", "things", "Thing", true};
    zk_kube_informer *ni = zk_kube_informer_new(c, &nope, NULL, NULL, NULL);
    zk_kube_informer_start(ni);
    uint64_t nend = zk_mono_ms() + 20000;
    while (!zk_kube_informer_synced(ni) && zk_mono_ms() < nend) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
    assert_true(zk_kube_informer_synced(ni));
    assert_int_equal(zk_kube_informer_count(ni), 0);
    zk_kube_informer_free(ni);

    /* The server dies; while it is down to the informer (its loop is not
     * run), it restarts with a 10-event history and 20 changes are made
     * through another client: resuming from the old version is a 410, and
     * the informer lists again and reports the differences. */
    server_kill(s);
    assert_true(server_start(s, "--watch-history 10"));
    uv_loop_t loop2;
    uv_loop_init(&loop2);
    zk_kube_client *c2 = client_for(s, &loop2);
    for (int i = 0; i < 18; i++) {
        char name[32];
        snprintf(name, sizeof(name), "gone-%d", i);
        create_cm(c2, name, "other");
    }
    create_cm(c2, "inf-5", "front");
    answer d2 = {0};
    zk_kube_delete(c2, &zk_kube_configmaps, "default", "inf-2", NULL, NULL, on_answer, &d2);
    assert_true(run_until(&loop2, &d2.done, 20000));
    assert_int_equal(d2.status, 200);
    json_decref(d2.body);
    zk_kube_client_free(c2);
    uv_run(&loop2, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop2), 0);

    run_until_count(&loop, inf, "default", "other", 18);
    run_until_count(&loop, inf, "default", "front", 2);   /* inf-4, inf-5 */
    assert_null(zk_kube_informer_get(inf, "default", "inf-2"));
    assert_non_null(zk_kube_informer_get(inf, "default", "inf-5"));
    assert_true(zk_kube_informer_relists(inf) >= 1);
    assert_int_equal(n.adds, 4 + 19);
    assert_int_equal(n.dels, 2);

    /* observe: our own write is visible before the watch brings it (the
     * write goes through a client on another loop, so the informer's loop
     * does not run meanwhile) */
    uv_loop_init(&loop2);
    c2 = client_for(s, &loop2);
    json_t *o = cm("inf-6", "front");
    answer cr = call(c2, "POST", "/api/v1/namespaces/default/configmaps", o);
    json_decref(o);
    zk_kube_client_free(c2);
    uv_run(&loop2, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop2), 0);
    assert_int_equal(cr.status, 201);
    int adds_before = n.adds;
    assert_null(zk_kube_informer_get(inf, "default", "inf-6"));
    zk_kube_informer_observe(inf, cr.body);
    assert_non_null(zk_kube_informer_get(inf, "default", "inf-6"));
    assert_int_equal(n.adds, adds_before + 1);
    json_t *stale = cr.body; /* kept for the ghost check below */
    /* the watch event for the same version changes nothing */
    uint64_t end = zk_mono_ms() + 300;
    while (zk_mono_ms() < end)
        uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
    assert_int_equal(n.adds, adds_before + 1);
    assert_int_equal(n.updates, 1);

    /* A write's answer that arrives after the watch has delivered the
     * object's deletion must not bring it back: nothing would remove it. */
    answer del6 = {0};
    zk_kube_delete(c, &zk_kube_configmaps, "default", "inf-6", "Background", NULL, on_answer,
                   &del6);
    assert_true(run_until(&loop, &del6.done, 20000));
    json_decref(del6.body);
    run_until_count(&loop, inf, "default", "front", 2);
    assert_null(zk_kube_informer_get(inf, "default", "inf-6"));
    int dels_before = n.dels;
    adds_before = n.adds;
    zk_kube_informer_observe(inf, stale);
    assert_null(zk_kube_informer_get(inf, "default", "inf-6"));
    assert_int_equal(n.adds, adds_before);
    assert_int_equal(n.dels, dels_before);
    json_decref(stale);

    zk_kube_informer_free(inf);
    zk_kube_client_free(c);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- leader election ---- */

typedef struct lead {
    int starts, stops;
} lead;

static void l_start(void *ctx) { ((lead *)ctx)->starts++; }
static void l_stop(void *ctx) { ((lead *)ctx)->stops++; }

static void test_leader(void **state)
{
    server *s = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    zk_kube_client *c = client_for(s, &loop);
    lead la = {0}, lb = {0};
    /* renewals every second with 4 s of slack: a loaded machine does not
     * make the leader miss its deadline */
    zk_kube_leader_opts oa = {.ns = "kube-system", .name = "test-lock", .identity = "a",
                              .lease_s = 6, .renew_deadline_s = 5, .retry_s = 1,
                              .on_start = l_start, .on_stop = l_stop, .ctx = &la};
    zk_kube_leader_opts ob = oa;
    ob.identity = "b";
    ob.ctx = &lb;
    zk_kube_leader *a = zk_kube_leader_start(c, &oa);
    bool a_leads = false;
    uint64_t end = zk_mono_ms() + 10000;
    while (!(a_leads = zk_kube_leader_is_leader(a)) && zk_mono_ms() < end)
        uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
    assert_true(a_leads);
    zk_kube_leader *b = zk_kube_leader_start(c, &ob);
    /* for 8 s (more than a lease duration) both campaign: never both
     * leaders, and the one renewing keeps it */
    end = zk_mono_ms() + 8000;
    while (zk_mono_ms() < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        assert_false(zk_kube_leader_is_leader(a) && zk_kube_leader_is_leader(b));
        usleep(1000);
    }
    assert_true(zk_kube_leader_is_leader(a));
    assert_int_equal(lb.starts, 0);
    /* a steps down and releases: b takes over */
    zk_kube_leader_free(a);
    end = zk_mono_ms() + 10000;
    while (!zk_kube_leader_is_leader(b) && zk_mono_ms() < end)
        uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
    assert_true(zk_kube_leader_is_leader(b));
    assert_int_equal(lb.starts, 1);
    assert_int_equal(la.starts, 1);
    zk_kube_leader_free(b);
    end = zk_mono_ms() + 2000;
    while (zk_mono_ms() < end)
        uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
    zk_kube_client_free(c);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- work queue ---- */

typedef struct qctx {
    zk_kube_queue *q;
    char seen[64][32];
    int n;
    int fail_first;        /* fail this many times, then succeed */
    bool hold;             /* do not finish: done() is called by the test */
} qctx;

static void q_process(void *ctx, const char *key)
{
    qctx *x = ctx;
    if (x->n < 64)
        snprintf(x->seen[x->n++], sizeof(x->seen[0]), "%s", key);
    if (x->hold)
        return;
    bool fail = x->fail_first > 0;
    if (fail)
        x->fail_first--;
    zk_kube_queue_done(x->q, key, fail);
}

static void spin(uv_loop_t *loop, uint64_t ms)
{
    uint64_t end = zk_mono_ms() + ms;
    while (zk_mono_ms() < end)
        uv_run(loop, UV_RUN_NOWAIT), usleep(200);
}

static void test_queue_dedupe_and_order(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    qctx x = {0};
    x.q = zk_kube_queue_new(&loop, "t", 1, q_process, &x);
    zk_kube_queue_add(x.q, "a");
    zk_kube_queue_add(x.q, "b");
    zk_kube_queue_add(x.q, "a");
    assert_int_equal(zk_kube_queue_len(x.q), 2);
    spin(&loop, 20);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.seen[0], "a");
    assert_string_equal(x.seen[1], "b");
    /* a key added while in process runs again once, after done */
    x.hold = true;
    zk_kube_queue_add(x.q, "c");
    spin(&loop, 20);
    assert_int_equal(x.n, 3);
    zk_kube_queue_add(x.q, "c");
    zk_kube_queue_add(x.q, "c");
    spin(&loop, 20);
    assert_int_equal(x.n, 3);          /* never twice at once */
    x.hold = false;
    zk_kube_queue_done(x.q, "c", false);
    spin(&loop, 20);
    assert_int_equal(x.n, 4);
    assert_string_equal(x.seen[3], "c");
    zk_kube_queue_free(x.q);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_queue_backoff(void **state)
{
    assert_int_equal(zk_kube_backoff_ms(0, 5, 1000000), 5);
    assert_int_equal(zk_kube_backoff_ms(1, 5, 1000000), 10);
    assert_int_equal(zk_kube_backoff_ms(4, 5, 1000000), 80);
    assert_int_equal(zk_kube_backoff_ms(30, 5, 1000000), 1000000);
    assert_int_equal(zk_kube_backoff_ms(200, 5, 1000000), 1000000);

    uv_loop_t loop;
    uv_loop_init(&loop);
    qctx x = {0};
    x.fail_first = 3;
    x.q = zk_kube_queue_new(&loop, "t", 1, q_process, &x);
    zk_kube_queue_add(x.q, "k");
    /* failures after 5, 10, 20 ms: all four runs within a generous bound */
    uint64_t end = zk_mono_ms() + 5000;
    while (x.n < 4 && zk_mono_ms() < end)
        uv_run(&loop, UV_RUN_NOWAIT), usleep(200);
    assert_int_equal(x.n, 4);
    assert_int_equal(zk_kube_queue_requeues(x.q, "k"), 0);   /* forgotten on success */
    /* add_after: not before its time */
    zk_kube_queue_add_after(x.q, "later", 150);
    spin(&loop, 50);
    assert_int_equal(x.n, 4);
    spin(&loop, 400);
    assert_int_equal(x.n, 5);
    assert_string_equal(x.seen[4], "later");
    /* a plain add overrides a pending delay */
    zk_kube_queue_add_after(x.q, "soon", 100000);
    zk_kube_queue_add(x.q, "soon");
    spin(&loop, 20);
    assert_int_equal(x.n, 6);
    zk_kube_queue_free(x.q);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_queue_workers(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    qctx x = {0};
    x.hold = true;
    x.q = zk_kube_queue_new(&loop, "t", 3, q_process, &x);
    for (int i = 0; i < 10; i++) {
        char k[8];
        snprintf(k, sizeof(k), "k%d", i);
        zk_kube_queue_add(x.q, k);
    }
    spin(&loop, 20);
    assert_int_equal(x.n, 3);          /* three in process at once */
    zk_kube_queue_done(x.q, "k1", false);
    spin(&loop, 20);
    assert_int_equal(x.n, 4);
    assert_string_equal(x.seen[3], "k3");
    zk_kube_queue_free(x.q);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A process in a pod: the service account's token and CA, the API's
 * address from the environment. */
static void test_config_in_cluster(void **state)
{
    (void)state;
    char dir[] = "/tmp/zke-sa-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/token", dir);
    FILE *f = fopen(path, "w");
    fputs("tok-123\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/ca.crt", dir);
    f = fopen(path, "w");
    fputs("-----BEGIN CERTIFICATE-----\n", f);
    fclose(f);
    zk_kube_config cfg;
    zk_err err = {0};
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(zk_kube_config_in_cluster(dir, &cfg, &err), -ZK_ENOTFOUND);
    setenv("KUBERNETES_SERVICE_HOST", "10.43.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(zk_kube_config_in_cluster(dir, &cfg, &err), 0);
    assert_string_equal(cfg.server, "https://10.43.0.1:443");
    assert_string_equal(cfg.token, "tok-123");
    assert_string_equal(cfg.ca_pem, "-----BEGIN CERTIFICATE-----\n");
    zk_kube_config_free(&cfg);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    assert_int_equal(zk_kube_config_in_cluster(dir, &cfg, &err), 0);
    assert_string_equal(cfg.server, "https://[fd00::1]:443");
    zk_kube_config_free(&cfg);
    unlink(path);   /* no CA: refused */
    assert_true(zk_kube_config_in_cluster(dir, &cfg, &err) < 0);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    snprintf(path, sizeof(path), "%s/token", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    srand((unsigned)getpid());
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_in_cluster),
        cmocka_unit_test(test_queue_dedupe_and_order),
        cmocka_unit_test(test_queue_backoff),
        cmocka_unit_test(test_queue_workers),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test_setup_teardown(test_requests, server_setup, server_teardown),
        cmocka_unit_test_setup_teardown(test_informer, server_setup, server_teardown),
        cmocka_unit_test_setup_teardown(test_leader, server_setup, server_teardown),
    };
    int rc = cmocka_run_group_tests(pure, NULL, NULL);
    return rc + cmocka_run_group_tests(live, NULL, NULL);
}
