/* net/h1.c: the HTTP/1.1 response reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/h1.h"

typedef struct {
    int status;
    size_t nheaders;
    char body[4096];
    size_t body_len;
    int ends;
    bool keep_alive;
    int rc;            /* -1: an error */
    char err[1100];
    size_t left;       /* bytes not taken after the END */
} result;

/* Feed text in pieces of step bytes as a client would (untaken bytes wait),
 * then the connection's end if eof. */
static result run(const char *text, size_t len, size_t step, bool head_req, bool eof)
{
    result res = {0};
    zk_h1_resp r;
    zk_h1_resp_init(&r, head_req);
    char buf[8192];
    size_t have = 0, off = 0;
    while (off < len || have) {
        size_t n = len - off < step ? len - off : step;
        memcpy(buf + have, text + off, n);
        have += n;
        off += n;
        for (;;) {
            size_t used;
            zk_h1_event ev;
            zk_err err = {0};
            int rc = zk_h1_resp_parse(&r, buf, have, &used, &ev, &err);
            if (rc < 0) {
                res.rc = -1;
                snprintf(res.err, sizeof(res.err), "%s", err.msg);
                return res;
            }
            if (rc == 1 && ev.type == ZK_H1_HEAD) {
                res.status = ev.status;
                res.nheaders = ev.nheaders;
            } else if (rc == 1 && ev.type == ZK_H1_DATA) {
                memcpy(res.body + res.body_len, ev.data, ev.len);
                res.body_len += ev.len;
            } else if (rc == 1 && ev.type == ZK_H1_END) {
                res.ends++;
                res.keep_alive = r.keep_alive;
                res.left = have - used + (len - off);
                return res;
            }
            memmove(buf, buf + used, have - used);
            have -= used;
            if (rc == 0 && used == 0)
                break;
        }
        if (off == len)
            break;
    }
    if (eof) {
        zk_h1_event ev;
        zk_err err = {0};
        int rc = zk_h1_resp_eof(&r, &ev, &err);
        if (rc < 0) {
            res.rc = -1;
            snprintf(res.err, sizeof(res.err), "%s", err.msg);
        } else if (rc == 1) {
            res.ends++;
            res.keep_alive = r.keep_alive;
        }
    }
    return res;
}

#define RUN(text, step, head, eof) run(text, sizeof(text) - 1, step, head, eof)

static void test_lengths_and_chunks_in_any_pieces(void **state)
{
    static const char cl[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                             "Content-Length: 11\r\n\r\nhello worldNEXT";
    static const char ch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                             "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
    for (size_t step = 1; step <= 64; step++) {
        result r = RUN(cl, step, false, false);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.nheaders, 2);
        assert_int_equal(r.body_len, 11);
        assert_memory_equal(r.body, "hello world", 11);
        assert_int_equal(r.ends, 1);
        assert_true(r.keep_alive);
        assert_int_equal(r.left, 4);   /* the next response's bytes are not taken */
        r = RUN(ch, step, false, false);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.body_len, 11);
        assert_memory_equal(r.body, "hello world", 11);
        assert_int_equal(r.ends, 1);
        assert_int_equal(r.left, 4);
    }
}

static void test_bodies_without_length(void **state)
{
    /* to the end of the connection, which then cannot be kept */
    result r = RUN("HTTP/1.0 200 OK\r\n\r\nuntil the end", 7, false, true);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.body_len, 13);
    assert_int_equal(r.ends, 1);
    assert_false(r.keep_alive);
    /* no body: 204, 304, a HEAD request (whatever its Content-Length) */
    r = RUN("HTTP/1.1 204 No Content\r\n\r\n", 100, false, false);
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.body_len, 0);
    r = RUN("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 100, true, false);
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.body_len, 0);
    assert_true(r.keep_alive);
    /* Content-Length 0, and Connection: close */
    r = RUN("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 3, false, false);
    assert_int_equal(r.ends, 1);
    assert_false(r.keep_alive);
    /* HTTP/1.0 with keep-alive asked for */
    r = RUN("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", 3, false,
            false);
    assert_true(r.keep_alive);
}

static void test_interim_and_upgrade(void **state)
{
    result r = RUN("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n"
                   "ok", 5, false, false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.body_len, 2);
    /* 101: the head, the end, and the rest is the new protocol's */
    r = RUN("HTTP/1.1 101 Switching Protocols\r\nUpgrade: zke-tunnel\r\n\r\n\x01\x02\x03", 200,
            false, false);
    assert_int_equal(r.status, 101);
    assert_int_equal(r.ends, 1);
    assert_false(r.keep_alive);
    assert_int_equal(r.left, 3);
}

static void test_bad_responses_are_errors(void **state)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"HTTP/2 200 OK\r\n\r\n", "not an HTTP/1.x status line"},
        {"HTTP/1.1 20 OK\r\n\r\n", "not an HTTP/1.x status line"},
        {"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"},
        {"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", "folded header line"},
        {"HTTP/1.1 200 OK\r\n: v\r\n\r\n", "header line without a name"},
        {"HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n", "bad character in a header name"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "bad Content-Length"},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "bad Content-Length"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "no chunk size"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n",
         "chunk size of more than 15 hex digits"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n",
         "chunk data longer than its size"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        result r = run(cases[i].text, strlen(cases[i].text), 1000, false, false);
        assert_int_equal(r.rc, -1);
        if (!strstr(r.err, cases[i].msg)) {
            fprintf(stderr, "case %zu: %s\n", i, r.err);
            fail();
        }
    }
    /* the body cut short, and nothing at all */
    result r = RUN("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, false, true);
    assert_int_equal(r.rc, -1);
    assert_non_null(strstr(r.err, "closed inside the body"));
    r = run("", 0, 1, false, true);
    assert_int_equal(r.rc, -1);
    assert_non_null(strstr(r.err, "closed before a response"));
}

static void test_heads_and_trailers_are_bounded(void **state)
{
    size_t n = ZK_H1_HEAD_MAX + 100;
    char *big = malloc(n + 1);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 21);
    memset(big + 21, 'a', n - 21);
    big[n] = '\0';
    zk_h1_resp r;
    zk_h1_resp_init(&r, false);
    size_t used;
    zk_h1_event ev;
    zk_err err = {0};
    assert_int_equal(zk_h1_resp_parse(&r, big, 1000, &used, &ev, &err), 0);  /* more to come */
    assert_int_equal(used, 0);
    assert_int_equal(zk_h1_resp_parse(&r, big, n, &used, &ev, &err), -1);
    assert_non_null(strstr(err.msg, "head longer than 64 KiB"));
    /* an error sticks */
    assert_int_equal(zk_h1_resp_parse(&r, "HTTP/1.1 200 OK\r\n\r\n", 19, &used, &ev, &err), -1);
    free(big);
    /* 65 headers */
    char many[4096];
    size_t m = (size_t)snprintf(many, sizeof(many), "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 65; i++)
        m += (size_t)snprintf(many + m, sizeof(many) - m, "H%d: v\r\n", i);
    m += (size_t)snprintf(many + m, sizeof(many) - m, "\r\n");
    result res = run(many, m, 4096, false, false);
    assert_int_equal(res.rc, -1);
    assert_non_null(strstr(res.err, "more than 64 headers"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lengths_and_chunks_in_any_pieces),
        cmocka_unit_test(test_bodies_without_length),
        cmocka_unit_test(test_interim_and_upgrade),
        cmocka_unit_test(test_bad_responses_are_errors),
        cmocka_unit_test(test_heads_and_trailers_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
