/* watchlag: open N watches on one object over TLS, then change the object E
 * times and measure, for every watcher, the time from sending the change to
 * receiving its event. Loopback only; bounded in count and time.
 *
 *   watchlag HOST PORT CAFILE TOKEN N E
 *
 * Prints: delivered=D total=T p50_ms=.. p99_ms=.. max_ms=.. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    SSL *ssl;
    char buf[65536];
    size_t len;
    int got;          /* events received */
} watcher;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static SSL *dial(SSL_CTX *ctx, const char *host, int port, int *fdout)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    if (SSL_connect(ssl) != 1) {
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    *fdout = fd;
    return ssl;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: watchlag HOST PORT CAFILE TOKEN N E\n");
        return 2;
    }
    const char *host = argv[1], *cafile = argv[3], *token = argv[4];
    int port = atoi(argv[2]), n = atoi(argv[5]), e = atoi(argv[6]);
    if (n < 1 || n > 20000 || e < 1 || e > 1000)
        return 2;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, cafile, NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);

    char req[1024];
    int rl = snprintf(req, sizeof(req),
                      "GET /api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%%3D"
                      "lagged&timeoutSeconds=600 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
                      token);
    watcher *ws = calloc((size_t)n, sizeof(*ws));
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        ws[i].ssl = dial(ctx, host, port, &ws[i].fd);
        SSL_write(ws[i].ssl, req, rl);
    }
    for (int i = 0; i < n; i++) {
        fcntl(ws[i].fd, F_SETFL, fcntl(ws[i].fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, ws[i].fd, &ev);
    }
    int wfd;
    SSL *writer = dial(ctx, host, port, &wfd);
    double *lags = calloc((size_t)n * (size_t)e, sizeof(double));
    size_t nl = 0;
    int delivered = 0;
    struct epoll_event evs[256];
    for (int k = 0; k < e; k++) {
        char body[256], put[1024];
        int bl = snprintf(body, sizeof(body),
                          "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                          "\"lagged\"},\"data\":{\"n\":\"%d\"}}", k);
        int pl = snprintf(put, sizeof(put),
                          "%s /api/v1/namespaces/default/configmaps%s HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %d\r\n\r\n%s",
                          k ? "PUT" : "POST", k ? "/lagged" : "", token, bl, body);
        char marker[32];
        snprintf(marker, sizeof(marker), "\"n\":\"%d\"", k);
        double t0 = now_ms();
        SSL_write(writer, put, pl);
        /* read the writer's response fully (small) */
        char rbuf[8192];
        SSL_read(writer, rbuf, sizeof(rbuf));
        int pending = n;
        double deadline = t0 + 30000;
        while (pending > 0 && now_ms() < deadline) {
            int m = epoll_wait(ep, evs, 256, 100);
            for (int j = 0; j < m; j++) {
                watcher *w = &ws[evs[j].data.u32];
                for (;;) {
                    if (w->len >= sizeof(w->buf) - 1)
                        w->len = 0;
                    int r = SSL_read(w->ssl, w->buf + w->len, (int)(sizeof(w->buf) - 1 - w->len));
                    if (r <= 0)
                        break;
                    w->len += (size_t)r;
                    w->buf[w->len] = '\0';
                    char *hit = strstr(w->buf, marker);
                    if (hit) {
                        lags[nl++] = now_ms() - t0;
                        delivered++;
                        pending--;
                        w->got++;
                        char *nlp = strchr(hit, '\n');
                        size_t keep = nlp ? w->len - (size_t)(nlp + 1 - w->buf) : 0;
                        memmove(w->buf, nlp ? nlp + 1 : w->buf + w->len, keep);
                        w->len = keep;
                        w->buf[w->len] = '\0';
                    }
                }
            }
        }
        usleep(20000);
    }
    qsort(lags, nl, sizeof(double), cmp);
    printf("delivered=%d total=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", delivered, n * e,
           nl ? lags[nl / 2] : -1.0, nl ? lags[(size_t)(nl * 0.99)] : -1.0,
           nl ? lags[nl - 1] : -1.0);
    return delivered == n * e ? 0 : 1;
}
