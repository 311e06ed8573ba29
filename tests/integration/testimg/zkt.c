/* zkt: the one program in the integration tests' container image, built
 * static by the tests. Modes:
 *   zkt serve PORT      HTTP: "/" answers "hello from HOSTNAME", "/env" the
 *                       environment, "/file?p=PATH" a file's bytes (404 when
 *                       there is no such file)
 *   zkt crash CODE      print a line and exit with CODE
 *   zkt alloc MB        touch MB megabytes, then sleep
 *   zkt spin            a busy loop
 *   zkt spinwhile PATH  a busy loop while PATH exists, idle (checking every
 *                       100 ms) while it does not
 *   zkt redispop HOST PORT LIST MS [PASSWORD]
 *                       a queue consumer: LPOP one item of a Redis list every
 *                       MS ms (100 ms pauses while it is empty), printing a
 *                       count every 1000 items; reconnects when Redis goes
 *   zkt sleep           sleep until killed (TERM ends it with code 0)
 *   zkt cat PATH...     print files
 *   zkt get IP PORT     one HTTP GET of "/", the answer printed
 *   zkt tick N MS       print "line I" N times, MS milliseconds apart, then exit
 *   zkt spew MB         write MB megabytes of "0123456789abcdef" to stdout
 *   zkt echo            print every line stdin gives, prefixed "echo: "
 *   zkt count PORT      TCP: read each connection to its end, answer the
 *                       number of bytes read, close; "zkt count" goes on
 *   zkt resolve NAME    the IPv4 addresses getaddrinfo finds (the pod's
 *                       resolv.conf: search path, ndots), one a line
 *   zkt hits N HOST PORT
 *                       resolve HOST, then N GETs of "/" on new connections
 *                       (each bounded to 3 s); prints "COUNT BODY" per
 *                       distinct answer and "failed COUNT ERRNO-NAME"
 *   zkt udpecho PORT    UDP: answer each datagram with "hello from HOSTNAME"
 *   zkt udpask HOST PORT N MS
 *                       from one UDP socket (one source port: one conntrack
 *                       flow), N datagrams MS apart, each answer awaited up
 *                       to 1 s; prints "I BODY" or "I timeout" per datagram
 *   zkt connect HOST PORT
 *                       one TCP connect within 5 s: "connected", "refused"
 *                       or "timeout", and how long it took in ms */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <fcntl.h>
#include <time.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

static void on_term(int sig)
{
    (void)sig;
    static const char msg[] = "zkt: got SIGTERM, bye\n";
    if (write(1, msg, sizeof(msg) - 1) < 0)
        _exit(1);
    _exit(0);
}

static void reply(int fd, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", len);
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, len) < 0)
        return;
}

static int serve(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 64) < 0) {
        perror("zkt: listen");
        return 1;
    }
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    printf("zkt: serving on %d as %s\n", port, host);
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        char req[4096];
        ssize_t n = read(c, req, sizeof(req) - 1);
        if (n <= 0) {
            close(c);
            continue;
        }
        req[n] = '\0';
        static char body[65536];
        size_t len = 0;
        if (!strncmp(req, "GET /env ", 9)) {
            for (char **e = environ; *e && len < sizeof(body) - 512; e++)
                len += (size_t)snprintf(body + len, sizeof(body) - len, "%s\n", *e);
        } else if (!strncmp(req, "GET /mark?p=", 12)) {
            /* a hook's visible trace: the file is made */
            char path[1024];
            sscanf(req + 12, "%1023s", path);
            FILE *f = fopen(path, "w");
            if (f) {
                fputs("marked\n", f);
                fclose(f);
            }
            len = (size_t)snprintf(body, sizeof(body), "marked %s\n", path);
        } else if (!strncmp(req, "GET /file?p=", 12)) {
            char path[1024];
            sscanf(req + 12, "%1023s", path);
            FILE *f = fopen(path, "r");
            if (!f) {
                static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                                         "Connection: close\r\n\r\n";
                if (write(c, nf, sizeof(nf) - 1) < 0) {
                    /* the client left */
                }
                close(c);
                continue;
            }
            len = fread(body, 1, sizeof(body), f);
            fclose(f);
        } else {
            len = (size_t)snprintf(body, sizeof(body), "hello from %s\n", host);
        }
        reply(c, body, len);
        close(c);
    }
}

/* The first IPv4 address of host (a name the pod's resolver looks up). */
static int resolve4(const char *host, const char *port, struct sockaddr_in *out)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        printf("zkt: resolve %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    memcpy(out, res->ai_addr, sizeof(*out));
    freeaddrinfo(res);
    return 0;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* connect within ms; 0 or the errno (ETIMEDOUT for the time running out) */
static int connect_within(int s, const struct sockaddr_in *a, int ms)
{
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl | O_NONBLOCK);
    if (connect(s, (const struct sockaddr *)a, sizeof(*a)) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return errno;
    struct pollfd p = {.fd = s, .events = POLLOUT};
    if (poll(&p, 1, ms) <= 0)
        return ETIMEDOUT;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
    fcntl(s, F_SETFL, fl);
    return err;
}

static int hits(int n, const char *host, const char *port)
{
    struct sockaddr_in a;
    if (resolve4(host, port, &a) < 0)
        return 1;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
    printf("resolved %s\n", ip);
    enum { MAXB = 64 };
    static char bodies[MAXB][256];
    int counts[MAXB] = {0}, nb = 0, failed = 0, lasterr = 0;
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct timeval tv = {.tv_sec = 3};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int err = connect_within(s, &a, 3000);
        char buf[4096];
        size_t have = 0;
        if (!err) {
            static const char req[] = "GET / HTTP/1.0\r\n\r\n";
            if (write(s, req, sizeof(req) - 1) < 0)
                err = errno;
            ssize_t k;
            while (!err && have < sizeof(buf) - 1 && (k = read(s, buf + have, sizeof(buf) - 1 - have)) > 0)
                have += (size_t)k;
        }
        close(s);
        buf[have] = '\0';
        char *body = strstr(buf, "\r\n\r\n");
        if (err || !body) {
            failed++;
            lasterr = err ? err : EPROTO;
            continue;
        }
        body += 4;
        body[strcspn(body, "\n")] = '\0';
        int j;
        for (j = 0; j < nb && strcmp(bodies[j], body); j++)
            ;
        if (j == nb && nb < MAXB)
            snprintf(bodies[nb++], sizeof(bodies[0]), "%s", body);
        if (j < MAXB)
            counts[j]++;
    }
    for (int j = 0; j < nb; j++)
        printf("%d %s\n", counts[j], bodies[j]);
    if (failed)
        printf("failed %d %s\n", failed, strerror(lasterr));
    return 0;
}

/* One RESP command of n arguments; reads the reply's first line into out.
 * -1 on a broken connection. */
static int redis_cmd(int fd, int n, const char *const *args, char *out, size_t outlen)
{
    char buf[1024];
    int len = snprintf(buf, sizeof(buf), "*%d\r\n", n);
    for (int i = 0; i < n && len < (int)sizeof(buf); i++)
        len += snprintf(buf + len, sizeof(buf) - (size_t)len, "$%zu\r\n%s\r\n", strlen(args[i]),
                        args[i]);
    if (len >= (int)sizeof(buf) || write(fd, buf, (size_t)len) != len)
        return -1;
    /* the first line, then a bulk string's body if there is one */
    size_t got = 0;
    while (got + 1 < outlen) {
        ssize_t r = read(fd, out + got, 1);
        if (r <= 0)
            return -1;
        if (out[got] == '\n')
            break;
        got++;
    }
    out[got] = 0;
    if (out[0] == '$' && atoi(out + 1) >= 0) {
        long want = atol(out + 1) + 2;
        char sink[256];
        while (want > 0) {
            ssize_t r = read(fd, sink, want < (long)sizeof(sink) ? (size_t)want : sizeof(sink));
            if (r <= 0)
                return -1;
            want -= r;
        }
    }
    return 0;
}

static int redispop(const char *host, const char *port, const char *list, int ms,
                    const char *password)
{
    long long popped = 0;
    for (;;) {
        struct sockaddr_in a;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || resolve4(host, port, &a) != 0 || connect_within(fd, &a, 3000) != 0) {
            if (fd >= 0)
                close(fd);
            sleep(1);
            continue;
        }
        char line[256];
        if (password) {
            const char *auth[] = {"AUTH", password};
            if (redis_cmd(fd, 2, auth, line, sizeof(line)) < 0 || line[0] != '+') {
                printf("zkt: redis AUTH: %s\n", line);
                fflush(stdout);
                close(fd);
                sleep(1);
                continue;
            }
        }
        const char *pop[] = {"LPOP", list};
        while (redis_cmd(fd, 2, pop, line, sizeof(line)) == 0) {
            if (!strncmp(line, "$-1", 3) || line[0] == '_') {
                usleep(100000);
                continue;
            }
            if (++popped % 1000 == 0) {
                printf("zkt: popped %lld\n", popped);
                fflush(stdout);
            }
            usleep((useconds_t)ms * 1000);
        }
        close(fd);
    }
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGTERM, on_term);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "serve";
    if (!strcmp(mode, "serve"))
        return serve(argc > 2 ? atoi(argv[2]) : 8080);
    if (!strcmp(mode, "crash")) {
        printf("zkt: crashing with %s\n", argc > 2 ? argv[2] : "1");
        return argc > 2 ? atoi(argv[2]) : 1;
    }
    if (!strcmp(mode, "alloc")) {
        long mb = argc > 2 ? atol(argv[2]) : 64;
        for (long i = 0; i < mb; i++) {
            char *p = malloc(1 << 20);
            if (!p)
                return 3;
            memset(p, 1, 1 << 20);
        }
        printf("zkt: allocated %ld MB\n", mb);
        pause();
        return 0;
    }
    if (!strcmp(mode, "spin")) {
        volatile unsigned long x = 0;
        for (;;)
            x++;
    }
    if (!strcmp(mode, "redispop") && argc > 5)
        return redispop(argv[2], argv[3], argv[4], atoi(argv[5]), argc > 6 ? argv[6] : NULL);
    if (!strcmp(mode, "spinwhile") && argc > 2) {
        printf("zkt: spinning while %s exists\n", argv[2]);
        fflush(stdout);
        volatile unsigned long x = 0;
        for (;;) {
            if (access(argv[2], F_OK) != 0) {
                usleep(100000);
                continue;
            }
            for (unsigned long i = 0; i < 50000000ul; i++)
                x++;
        }
    }
    if (!strcmp(mode, "sleep")) {
        printf("zkt: sleeping\n");
        for (;;)
            pause();
    }
    if (!strcmp(mode, "cat")) {
        for (int i = 2; i < argc; i++) {
            FILE *f = fopen(argv[i], "r");
            if (!f) {
                printf("zkt: no %s\n", argv[i]);
                continue;
            }
            char buf[4096];
            size_t n;
            while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, n, stdout);
            fclose(f);
        }
        return 0;
    }
    if (!strcmp(mode, "tick") && argc > 3) {
        int n = atoi(argv[2]), ms = atoi(argv[3]);
        for (int i = 0; i < n; i++) {
            printf("line %d\n", i);
            usleep((useconds_t)ms * 1000);
        }
        return 0;
    }
    if (!strcmp(mode, "echo")) {
        char line[4096];
        while (fgets(line, sizeof(line), stdin))
            printf("echo: %s", line);
        return 0;
    }
    if (!strcmp(mode, "touch") && argc > 2) {
        /* write a file, after a delay: a hook that takes its time */
        sleep(argc > 3 ? (unsigned)atoi(argv[3]) : 0);
        FILE *f = fopen(argv[2], "w");
        if (!f)
            return 1;
        fputs("touched\n", f);
        return fclose(f) ? 1 : 0;
    }
    if (!strcmp(mode, "waitfor") && argc > 3) {
        /* say it started (OUT.started), wait until GATE exists, write OUT */
        char started[1100];
        snprintf(started, sizeof(started), "%s.started", argv[3]);
        FILE *f = fopen(started, "w");
        if (f)
            fclose(f);
        for (int i = 0; i < 1200 && access(argv[2], F_OK) != 0; i++)
            usleep(100 * 1000);
        f = fopen(argv[3], "w");
        if (!f)
            return 1;
        fputs("done\n", f);
        return fclose(f) ? 1 : 0;
    }
    if (!strcmp(mode, "wc")) {
        /* a slow reader: nothing is read for the first seconds */
        sleep(argc > 2 ? (unsigned)atoi(argv[2]) : 0);
        static char buf[65536];
        long long total = 0;
        ssize_t n;
        while ((n = read(0, buf, sizeof(buf))) > 0)
            total += n;
        printf("wc: %lld\n", total);
        return 0;
    }
    if (!strcmp(mode, "spew") && argc > 2) {
        static char buf[65536];
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = "0123456789abcdef"[i % 16];
        for (long i = 0, n = atol(argv[2]) * 16; i < n; i++)
            if (fwrite(buf, 1, sizeof(buf), stdout) != sizeof(buf))
                return 1;
        return fflush(stdout) ? 1 : 0;
    }
    if (!strcmp(mode, "count") && argc > 2) {
        int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((unsigned short)atoi(argv[2]))};
        if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 16) < 0) {
            perror("zkt: listen");
            return 1;
        }
        printf("zkt: counting on %s\n", argv[2]);
        for (;;) {
            int c = accept(ls, NULL, NULL);
            if (c < 0)
                continue;
            char buf[65536], out[32];
            long long total = 0;
            ssize_t n;
            while ((n = read(c, buf, sizeof(buf))) > 0)
                total += n;
            int len = snprintf(out, sizeof(out), "%lld\n", total);
            if (write(c, out, (size_t)len) < 0)
                perror("zkt: write");
            close(c);
        }
    }
    if (!strcmp(mode, "get") && argc > 3) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((unsigned short)atoi(argv[3]))};
        inet_pton(AF_INET, argv[2], &a.sin_addr);
        if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
            perror("zkt: connect");
            return 1;
        }
        static const char req[] = "GET / HTTP/1.0\r\n\r\n";
        if (write(s, req, sizeof(req) - 1) < 0)
            return 1;
        char buf[4096];
        ssize_t n;
        while ((n = read(s, buf, sizeof(buf))) > 0)
            fwrite(buf, 1, (size_t)n, stdout);
        return 0;
    }
    if (!strcmp(mode, "resolve") && argc > 2) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int rc = getaddrinfo(argv[2], NULL, &hints, &res);
        if (rc != 0) {
            printf("zkt: resolve %s: %s\n", argv[2], gai_strerror(rc));
            return 1;
        }
        for (struct addrinfo *r = res; r; r = r->ai_next) {
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &((struct sockaddr_in *)r->ai_addr)->sin_addr, ip, sizeof(ip));
            printf("%s\n", ip);
        }
        freeaddrinfo(res);
        return 0;
    }
    if (!strcmp(mode, "udpecho") && argc > 2) {
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((unsigned short)atoi(argv[2]))};
        if (bind(u, (struct sockaddr *)&a, sizeof(a)) < 0) {
            perror("zkt: bind");
            return 1;
        }
        char host[256] = "", out[300];
        gethostname(host, sizeof(host) - 1);
        int len = snprintf(out, sizeof(out), "hello from %s", host);
        printf("zkt: udp echo on %s\n", argv[2]);
        for (;;) {
            char buf[2048];
            struct sockaddr_in from;
            socklen_t fl = sizeof(from);
            if (recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) >= 0)
                sendto(u, out, (size_t)len, 0, (struct sockaddr *)&from, fl);
        }
    }
    if (!strcmp(mode, "udpask") && argc > 5) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
        if (getaddrinfo(argv[2], argv[3], &hints, &res) != 0) {
            printf("zkt: resolve %s failed\n", argv[2]);
            return 1;
        }
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        struct timeval tv = {.tv_sec = 1};
        setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(u, res->ai_addr, res->ai_addrlen) < 0) {
            perror("zkt: connect");
            return 1;
        }
        freeaddrinfo(res);
        int n = atoi(argv[4]), ms = atoi(argv[5]);
        for (int i = 0; i < n; i++) {
            char buf[512];
            ssize_t k = -1;
            if (send(u, "ping", 4, 0) == 4)
                k = recv(u, buf, sizeof(buf) - 1, 0);
            if (k > 0) {
                buf[k] = '\0';
                printf("%d %s\n", i, buf);
            } else {
                printf("%d timeout\n", i);
            }
            usleep((useconds_t)ms * 1000);
        }
        return 0;
    }
    if (!strcmp(mode, "hits") && argc > 4)
        return hits(atoi(argv[2]), argv[3], argv[4]);
    if (!strcmp(mode, "connect") && argc > 3) {
        struct sockaddr_in a;
        if (resolve4(argv[2], argv[3], &a) < 0)
            return 1;
        int s = socket(AF_INET, SOCK_STREAM, 0);
        long long t0 = now_ms();
        int err = connect_within(s, &a, 5000);
        long long took = now_ms() - t0;
        printf("%s %lld\n", !err ? "connected" : err == ECONNREFUSED ? "refused"
                             : err == ETIMEDOUT ? "timeout" : strerror(err), took);
        close(s);
        return 0;
    }
    fprintf(stderr, "zkt: unknown mode %s\n", mode);
    return 2;
}
