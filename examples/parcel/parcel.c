/* parcel: the three services of zke's demo, one static program.
 *
 * A parcel is scanned at a site, sorted to a route, and counted:
 *
 *   parcel scan PORT    POST /scan?parcel=ID&site=SITE
 *                       -> GET http://sorting/sort?parcel=ID&site=SITE
 *   parcel sort PORT    GET /sort?... picks the route (a hash of the parcel
 *                       over the routes in ROUTES) -> GET http://stats/record?route=R
 *   parcel stats PORT   GET /record?route=R counts; GET /stats answers
 *                       {"scanned":N,"routes":{"R":N,...}}
 *   GET /healthz        every service: ok; with ?deep=1 the next ones too
 *
 * Each service finds the next by its Service name through the cluster DNS
 * (getaddrinfo with the pod's resolv.conf) and answers with what the next
 * one said, so one curl shows the whole chain. Every answer names the pod
 * that gave it (its host name). Plain HTTP/1.0, one request a connection;
 * a demo, not a framework. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define ROUTES_MAX 16

static char host[128];
static const char *routes[ROUTES_MAX];
static int nroutes;
static long counts[ROUTES_MAX];
static long scanned;

static void on_term(int sig)
{
    (void)sig;
    _exit(0);
}

/* the value of key in a query string, URL-safe characters only */
static void arg(const char *query, const char *key, char *out, size_t n)
{
    out[0] = '\0';
    size_t kl = strlen(key);
    for (const char *p = query; p && *p;) {
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            p += kl + 1;
            size_t i = 0;
            while (*p && *p != '&' && *p != ' ' && i + 1 < n) {
                char c = *p++;
                if (isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.')
                    out[i++] = c;
            }
            out[i] = '\0';
            return;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
}

static void reply(int fd, int code, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
                     code, code == 200 ? "OK" : code == 400 ? "Bad Request" : "Bad Gateway",
                     strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

/* GET http://svc/path; the body into out. 0 or -1 (out says why). */
static int call(const char *svc, const char *path, char *out, size_t n)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(svc, "80", &hints, &res);
    if (rc != 0) {
        snprintf(out, n, "cannot resolve %s: %s", svc, gai_strerror(rc));
        return -1;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    rc = connect(s, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc < 0) {
        snprintf(out, n, "cannot reach %s: %s", svc, strerror(errno));
        close(s);
        return -1;
    }
    char req[1024];
    int len = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, svc);
    char buf[8192];
    size_t have = 0;
    ssize_t k;
    if (write(s, req, (size_t)len) == len)
        while (have < sizeof(buf) - 1 && (k = read(s, buf + have, sizeof(buf) - 1 - have)) > 0)
            have += (size_t)k;
    close(s);
    buf[have] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.0 200", 12) || !body) {
        snprintf(out, n, "%s answered: %.200s", svc, body ? body + 4 : buf);
        return -1;
    }
    snprintf(out, n, "%s", body + 4);
    return 0;
}

static void handle(const char *mode, int fd, const char *path)
{
    const char *q = strchr(path, '?');
    q = q ? q + 1 : "";
    char parcel[64], site[64], route[64], next[4096], body[8192];
    if (!strcmp(mode, "scan") && !strncmp(path, "/scan", 5)) {
        arg(q, "parcel", parcel, sizeof(parcel));
        arg(q, "site", site, sizeof(site));
        if (!parcel[0] || !site[0]) {
            reply(fd, 400, "scan: want /scan?parcel=ID&site=SITE\n");
            return;
        }
        char p2[256];
        snprintf(p2, sizeof(p2), "/sort?parcel=%s&site=%s", parcel, site);
        int rc = call("sorting", p2, next, sizeof(next));
        snprintf(body, sizeof(body), "scan: parcel %s at %s (by %s)\n%s", parcel, site, host, next);
        reply(fd, rc == 0 ? 200 : 502, body);
    } else if (!strcmp(mode, "sort") && !strncmp(path, "/sort", 5)) {
        arg(q, "parcel", parcel, sizeof(parcel));
        unsigned h = 2166136261u;
        for (const char *p = parcel; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        const char *r = routes[h % (unsigned)nroutes];
        char p2[256];
        snprintf(p2, sizeof(p2), "/record?route=%s", r);
        int rc = call("stats", p2, next, sizeof(next));
        snprintf(body, sizeof(body), "sorting: parcel %s to route %s (by %s)\n%s", parcel, r, host,
                 next);
        reply(fd, rc == 0 ? 200 : 502, body);
    } else if (!strcmp(mode, "stats") && !strncmp(path, "/record", 7)) {
        arg(q, "route", route, sizeof(route));
        int i;
        for (i = 0; i < nroutes && strcmp(routes[i], route); i++)
            ;
        if (i == nroutes) {
            reply(fd, 400, "stats: no such route\n");
            return;
        }
        counts[i]++;
        scanned++;
        snprintf(body, sizeof(body), "stats: route %s now %ld (by %s)\n", route, counts[i], host);
        reply(fd, 200, body);
    } else if (!strcmp(mode, "stats") && !strncmp(path, "/stats", 6)) {
        size_t n = (size_t)snprintf(body, sizeof(body), "{\"scanned\":%ld,\"routes\":{", scanned);
        for (int i = 0; i < nroutes; i++)
            n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"%s\":%ld", i ? "," : "",
                                  routes[i], counts[i]);
        snprintf(body + n, sizeof(body) - n, "},\"pod\":\"%s\"}\n", host);
        reply(fd, 200, body);
    } else if (!strncmp(path, "/healthz", 8)) {
        /* ?deep=1 asks the rest of the chain too: a whole-flow check */
        char deep[8];
        arg(q, "deep", deep, sizeof(deep));
        const char *next_svc = !strcmp(mode, "scan") ? "sorting" : !strcmp(mode, "sort") ? "stats" : NULL;
        if (deep[0] != '1' || !next_svc) {
            snprintf(body, sizeof(body), "%s ok (%s)\n", mode, host);
            reply(fd, 200, body);
            return;
        }
        int rc = call(next_svc, "/healthz?deep=1", next, sizeof(next));
        snprintf(body, sizeof(body), "%s ok (%s)\n%s", mode, host, next);
        reply(fd, rc == 0 ? 200 : 502, body);
    } else {
        reply(fd, 400, "unknown path\n");
    }
}

int main(int argc, char **argv)
{
    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 3 || (strcmp(argv[1], "scan") && strcmp(argv[1], "sort") && strcmp(argv[1], "stats"))) {
        fprintf(stderr, "usage: parcel scan|sort|stats PORT\n");
        return 2;
    }
    const char *mode = argv[1];
    static char rbuf[512];
    snprintf(rbuf, sizeof(rbuf), "%s", getenv("ROUTES") ? getenv("ROUTES") : "north,south,east,west");
    char *save = NULL;
    for (char *r = strtok_r(rbuf, ",", &save); r && nroutes < ROUTES_MAX; r = strtok_r(NULL, ",", &save))
        routes[nroutes++] = r;
    gethostname(host, sizeof(host) - 1);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 128) < 0) {
        perror("parcel: listen");
        return 1;
    }
    printf("parcel %s: listening on %s as %s\n", mode, argv[2], host);
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        struct timeval tv = {.tv_sec = 5};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char req[4096];
        ssize_t n = read(c, req, sizeof(req) - 1);
        if (n > 0) {
            req[n] = '\0';
            char method[8], path[2048];
            if (sscanf(req, "%7s %2047s", method, path) == 2)
                handle(mode, c, path);
        }
        close(c);
    }
}
