/* net/h1client.c against a real `zke server`: TLS with the cluster CA and
 * the admin's client certificate, kept-alive connections, request bodies,
 * a watch streamed as it comes, and the errors a client must tell apart
 * (wrong CA, nothing listening, a server that does not answer in time). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/ssl.h>

#include "base/mem.h"
#include "net/h1client.h"
#include "testsrv.h"

typedef struct {
    int status;
    char body[65536];
    size_t body_len;
    bool done;
    char error[700];
    const char *want;   /* stop as soon as the body holds this (watches) */
} result;

static void on_head(void *ctx, int status, const zk_h1_header *h, size_t n)
{
    ((result *)ctx)->status = status;
}

static void on_body(void *ctx, const char *p, size_t n)
{
    result *r = ctx;
    size_t room = sizeof(r->body) - 1 - r->body_len;
    n = n < room ? n : room;
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
}

static void on_done(void *ctx, const char *error)
{
    result *r = ctx;
    r->done = true;
    snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
}

static const zk_h1c_cb cb = {.head = on_head, .body = on_body, .done = on_done};

static void run_until(uv_loop_t *loop, result *r)
{
    uint64_t end = zk_mono_ms() + 20000;
    while (!r->done && !(r->want && strstr(r->body, r->want)) && zk_mono_ms() < end)
        uv_run(loop, UV_RUN_ONCE);
}

typedef struct {
    server srv;
    uv_loop_t loop;
    SSL_CTX *ctx;
    char url[64];
} fixture;

static SSL_CTX *ctx_for(const char *dir, bool with_ca)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char p[256];
    if (with_ca) {
        snprintf(p, sizeof(p), "%s/pki/ca.crt", dir);
        assert_int_equal(SSL_CTX_load_verify_locations(ctx, p, NULL), 1);
    }
    snprintf(p, sizeof(p), "%s/pki/admin.crt", dir);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, p), 1);
    snprintf(p, sizeof(p), "%s/pki/admin.key", dir);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, p, SSL_FILETYPE_PEM), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

static int setup(void **state)
{
    fixture *f = zk_xcalloc(1, sizeof(*f));
    snprintf(f->srv.dir, sizeof(f->srv.dir), "/tmp/zk-h1c-test-XXXXXX");
    assert_non_null(mkdtemp(f->srv.dir));
    if (!server_start(&f->srv, NULL))
        return -1;
    uv_loop_init(&f->loop);
    f->ctx = ctx_for(f->srv.dir, true);
    snprintf(f->url, sizeof(f->url), "https://127.0.0.1:%d", f->srv.port);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    server_remove(&f->srv);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    uv_loop_close(&f->loop);
    SSL_CTX_free(f->ctx);
    free(f);
    return 0;
}

static zk_h1c *client(fixture *f, const char *url, SSL_CTX *ctx)
{
    zk_err err = {0};
    zk_h1c *c = zk_h1c_new(&f->loop, &(zk_h1c_opts){.url = url, .tls = ctx}, &err);
    if (!c)
        fail_msg("%s", err.msg);
    return c;
}

static void finish(fixture *f, zk_h1c *c)
{
    zk_h1c_free(c);
    for (int i = 0; i < 100; i++)
        uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void test_requests_over_kept_connections(void **state)
{
    fixture *f = *state;
    zk_h1c *c = client(f, f->url, f->ctx);
    result r = {0};
    zk_h1c_send(c, "GET", "/version", "Accept: application/json\r\n", NULL, 0, 10000, &cb, &r);
    run_until(&f->loop, &r);
    assert_true(r.done);
    assert_string_equal(r.error, "");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"gitVersion\""));
    int open = 0, idle = 0;
    zk_h1c_counts(c, &open, &idle);
    assert_int_equal(open, 1);
    assert_int_equal(idle, 1);

    /* a body, on the same connection */
    static const char ns[] = "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
                             "\"metadata\":{\"name\":\"from-h1c\"}}";
    result w = {0};
    zk_h1c_send(c, "POST", "/api/v1/namespaces", "Content-Type: application/json\r\n", ns,
                sizeof(ns) - 1, 10000, &cb, &w);
    run_until(&f->loop, &w);
    assert_string_equal(w.error, "");
    assert_int_equal(w.status, 201);
    zk_h1c_counts(c, &open, &idle);
    assert_int_equal(open, 1);
    result g = {0};
    zk_h1c_send(c, "GET", "/api/v1/namespaces/from-h1c", NULL, NULL, 0, 10000, &cb, &g);
    run_until(&f->loop, &g);
    assert_int_equal(g.status, 200);
    assert_non_null(strstr(g.body, "\"from-h1c\""));
    /* an error status is an answer, not a failure */
    result nf = {0};
    zk_h1c_send(c, "GET", "/api/v1/namespaces/nope", NULL, NULL, 0, 10000, &cb, &nf);
    run_until(&f->loop, &nf);
    assert_string_equal(nf.error, "");
    assert_int_equal(nf.status, 404);
    assert_non_null(strstr(nf.body, "\"NotFound\""));
    finish(f, c);
}

static void test_a_watch_streams(void **state)
{
    fixture *f = *state;
    zk_h1c *c = client(f, f->url, f->ctx);
    result w = {.want = "\"watched-ns\""};
    zk_h1c_req *req = zk_h1c_send(c, "GET", "/api/v1/namespaces?watch=1", NULL, NULL, 0, 0, &cb,
                                  &w);
    /* the namespaces there are come first */
    w.want = "\"kube-system\"";
    run_until(&f->loop, &w);
    assert_int_equal(w.status, 200);
    assert_false(w.done);
    /* one made meanwhile arrives on the open watch (a second connection) */
    static const char ns[] = "{\"metadata\":{\"name\":\"watched-ns\"}}";
    result p = {0};
    zk_h1c_send(c, "POST", "/api/v1/namespaces", "Content-Type: application/json\r\n", ns,
                sizeof(ns) - 1, 10000, &cb, &p);
    w.want = "\"watched-ns\"";
    run_until(&f->loop, &w);
    run_until(&f->loop, &p);
    assert_int_equal(p.status, 201);
    assert_non_null(strstr(w.body, "\"ADDED\""));
    assert_non_null(strstr(w.body, "\"watched-ns\""));
    assert_false(w.done);
    int open = 0;
    zk_h1c_counts(c, &open, NULL);
    assert_int_equal(open, 2);
    zk_h1c_cancel(req);
    for (int i = 0; i < 50; i++)
        uv_run(&f->loop, UV_RUN_NOWAIT);
    zk_h1c_counts(c, &open, NULL);
    assert_int_equal(open, 1);
    assert_false(w.done);   /* cancelled: done is not called */
    finish(f, c);
}

static void test_errors_say_what_went_wrong(void **state)
{
    fixture *f = *state;
    /* a server certificate from another CA */
    SSL_CTX *other = ctx_for(f->srv.dir, false);
    zk_h1c *c = client(f, f->url, other);
    result r = {0};
    zk_h1c_send(c, "GET", "/version", NULL, NULL, 0, 10000, &cb, &r);
    run_until(&f->loop, &r);
    assert_true(r.done);
    assert_non_null(strstr(r.error, "certificate verify failed"));
    finish(f, c);
    SSL_CTX_free(other);

    /* the name in the URL is checked against the certificate: "localhost"
     * is one of its names */
    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%d", f->srv.port);
    c = client(f, url, f->ctx);
    result l = {0};
    zk_h1c_send(c, "GET", "/version", NULL, NULL, 0, 10000, &cb, &l);
    run_until(&f->loop, &l);
    assert_string_equal(l.error, "");
    assert_int_equal(l.status, 200);
    finish(f, c);

    /* nothing listens */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", 1);
    c = client(f, url, f->ctx);
    result n = {0};
    zk_h1c_send(c, "GET", "/version", NULL, NULL, 0, 10000, &cb, &n);
    run_until(&f->loop, &n);
    assert_true(n.done);
    assert_non_null(strstr(n.error, "connection refused"));
    finish(f, c);

    /* a watch that outlives its time limit */
    c = client(f, f->url, f->ctx);
    result t = {0};
    zk_h1c_send(c, "GET", "/api/v1/namespaces?watch=1", NULL, NULL, 0, 300, &cb, &t);
    run_until(&f->loop, &t);
    assert_true(t.done);
    assert_non_null(strstr(t.error, "no answer in time"));
    finish(f, c);

    /* URLs it cannot use */
    zk_err err = {0};
    assert_null(zk_h1c_new(&f->loop, &(zk_h1c_opts){.url = "ftp://x"}, &err));
    assert_null(zk_h1c_new(&f->loop, &(zk_h1c_opts){.url = "https://:443", .tls = f->ctx}, &err));
    assert_null(zk_h1c_new(&f->loop, &(zk_h1c_opts){.url = "https://h:99999", .tls = f->ctx},
                           &err));
    assert_null(zk_h1c_new(&f->loop, &(zk_h1c_opts){.url = "https://h"}, &err));
}

typedef struct {
    bool opened;
    int status;
    char error[300];
} upgrade_result;

static void up_open(void *ctx, int status, const zk_h1_header *h, size_t n, const char *error)
{
    upgrade_result *u = ctx;
    u->opened = true;
    u->status = status;
    snprintf(u->error, sizeof(u->error), "%s", error ? error : "");
}

static void test_a_refused_upgrade_says_so(void **state)
{
    /* the tunnel is for nodes: the admin gets an answer, not a stream
     * (the upgraded stream itself carries every agent integration test) */
    fixture *f = *state;
    zk_h1c *c = client(f, f->url, f->ctx);
    upgrade_result u = {0};
    zk_h1c_upgrade(c, "/zke/v1/tunnel", "Upgrade: zke-tunnel\r\n", 10000,
                   &(zk_h1c_raw_cb){.open = up_open}, &u);
    uint64_t end = zk_mono_ms() + 20000;
    while (!u.opened && zk_mono_ms() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_true(u.opened);
    assert_int_equal(u.status, 403);
    assert_non_null(strstr(u.error, "answered 403"));
    finish(f, c);
}

static void test_a_connection_the_server_let_go_is_not_an_error(void **state)
{
    /* a server that drops kept-alive connections after 2 s: a request sent
     * on one it already dropped goes again on a new connection */
    fixture *f = *state;
    server quick = {0};
    snprintf(quick.dir, sizeof(quick.dir), "/tmp/zk-h1c-quick-XXXXXX");
    assert_non_null(mkdtemp(quick.dir));
    assert_true(server_start(&quick, "--request-timeout 2"));
    SSL_CTX *ctx = ctx_for(quick.dir, true);
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", quick.port);
    zk_h1c *c = client(f, url, ctx);
    result a = {0};
    zk_h1c_send(c, "GET", "/version", NULL, NULL, 0, 10000, &cb, &a);
    run_until(&f->loop, &a);
    assert_int_equal(a.status, 200);
    int idle = 0;
    zk_h1c_counts(c, NULL, &idle);
    assert_int_equal(idle, 1);
    sleep(4);   /* the loop does not run: the client has not seen the close */
    result b = {0};
    zk_h1c_send(c, "GET", "/version", NULL, NULL, 0, 10000, &cb, &b);
    run_until(&f->loop, &b);
    assert_string_equal(b.error, "");
    assert_int_equal(b.status, 200);
    finish(f, c);
    SSL_CTX_free(ctx);
    server_kill(&quick);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", quick.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", quick.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_over_kept_connections),
        cmocka_unit_test(test_a_watch_streams),
        cmocka_unit_test(test_errors_say_what_went_wrong),
        cmocka_unit_test(test_a_refused_upgrade_says_so),
        cmocka_unit_test(test_a_connection_the_server_let_go_is_not_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
