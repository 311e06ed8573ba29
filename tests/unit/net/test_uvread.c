/* net/uvread.c: libuv's empty reads (nread == 0, EAGAIN) no longer reach
 * libh2o's TLS read callback, which took them for I/O errors; everything
 * else passes as it was. The empty read is delivered the way libuv itself
 * delivers it: through the stream's read_cb. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>

#include "base/err.h"
#include "net/http.h"
#include "net/pki.h"

typedef struct {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_tcp_t *conn;           /* the accepted end, h2o's */
    h2o_socket_t *sock;
    SSL_CTX *ctx;
    int handshakes;
    const char *handshake_err;
    int port;
    char dir[64];
} fixture;

static void on_handshake(h2o_socket_t *sock, const char *err)
{
    fixture *f = sock->data;
    f->handshakes++;
    f->handshake_err = err;
    if (err) {   /* as a server would: the connection is closed */
        h2o_socket_close(sock);
        f->sock = NULL;
    }
}

static void on_accept(uv_stream_t *l, int status)
{
    fixture *f = l->data;
    assert_int_equal(status, 0);
    f->conn = malloc(sizeof(*f->conn));
    uv_tcp_init(&f->loop, f->conn);
    assert_int_equal(uv_accept(l, (uv_stream_t *)f->conn), 0);
    f->sock = h2o_uv_socket_create((uv_stream_t *)f->conn, (uv_close_cb)free);
    f->sock->data = f;
    h2o_socket_ssl_handshake(f->sock, f->ctx, NULL, on_handshake);
}

static int client_fd(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void *tls_client(void *arg)
{
    int fd = *(int *)arg;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    long ok = SSL_connect(ssl) == 1;
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return (void *)ok;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/zk-uvread-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    zk_err err = {0};
    assert_int_equal(zk_net_pki_ensure(f->dir, NULL, 0, &err), 0);
    char crt[128], key[128];
    snprintf(crt, sizeof(crt), "%s/server.crt", f->dir);
    snprintf(key, sizeof(key), "%s/server.key", f->dir);
    f->ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate_chain_file(f->ctx, crt), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(f->ctx, key, SSL_FILETYPE_PEM), 1);
    uv_loop_init(&f->loop);
    uv_tcp_init(&f->loop, &f->listener);
    f->listener.data = f;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    assert_int_equal(uv_tcp_bind(&f->listener, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 8, on_accept), 0);
    int len = sizeof(sa);
    uv_tcp_getsockname(&f->listener, (struct sockaddr *)&sa, &len);
    f->port = ntohs(sa.sin_port);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->sock)
        h2o_socket_close(f->sock);
    uv_close((uv_handle_t *)&f->listener, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_loop_close(&f->loop);
    SSL_CTX_free(f->ctx);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void run_until(fixture *f, int *counter, int want)
{
    for (int i = 0; i < 2000 && *counter < want; i++)
        uv_run(&f->loop, UV_RUN_NOWAIT), usleep(1000);
}

static void test_empty_read_is_not_a_tls_error(void **state)
{
    fixture *f = *state;
    int fd = client_fd(f->port);
    for (int i = 0; i < 2000 && !f->sock; i++)
        uv_run(&f->loop, UV_RUN_NOWAIT), usleep(1000);
    assert_non_null(f->sock);
    assert_int_equal(f->handshakes, 0);

    /* libuv's "the socket is empty for now", as it says it: read_cb(0).
     * libh2o alone answers that with "I/O error" and the handshake fails. */
    unsigned long before = zk_http_empty_reads_dropped();
    uv_buf_t none = uv_buf_init(NULL, 0);
    f->conn->read_cb((uv_stream_t *)f->conn, 0, &none);
    assert_int_equal(f->handshakes, 0);
    assert_non_null(f->conn->read_cb);   /* still reading */
    f->conn->read_cb((uv_stream_t *)f->conn, 0, &none);
    assert_int_equal(f->handshakes, 0);
    assert_int_equal(zk_http_empty_reads_dropped(), before + 2);

    /* the connection lives on: a real client completes the handshake */
    pthread_t th;
    pthread_create(&th, NULL, tls_client, &fd);
    run_until(f, &f->handshakes, 1);
    void *ok = NULL;
    pthread_join(th, &ok);
    assert_int_equal(f->handshakes, 1);
    assert_null(f->handshake_err);
    assert_true(ok != NULL);
    close(fd);
}

static int own_calls, own_zero;
static void own_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    static char buf[64];
    *b = uv_buf_init(buf, sizeof(buf));
}
static void own_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    own_calls++;
    own_zero += nread == 0;
}

static void test_other_callbacks_pass_unchanged(void **state)
{
    fixture *f = *state;
    uv_pipe_t p;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    uv_pipe_init(&f->loop, &p, 0);
    assert_int_equal(uv_pipe_open(&p, fds[0]), 0);
    assert_int_equal(uv_read_start((uv_stream_t *)&p, own_alloc, own_read), 0);
    assert_ptr_equal(p.read_cb, own_read);
    uv_buf_t none = uv_buf_init(NULL, 0);
    p.read_cb((uv_stream_t *)&p, 0, &none);
    assert_int_equal(own_zero, 1);
    assert_int_equal(write(fds[1], "x", 1), 1);
    run_until(f, &own_calls, 2);
    assert_int_equal(own_calls, 2);
    uv_close((uv_handle_t *)&p, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_read_is_not_a_tls_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_callbacks_pass_unchanged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
