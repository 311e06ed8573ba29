/* zke net: an HTTP/1.1 response reader; see h1.h. */
#include "net/h1.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { S_HEAD, S_LEN, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_CRLF, S_TRAILER, S_TO_EOF,
       S_END_NEXT, S_DONE };

#define CHUNK_LINE_MAX 1024       /* a chunk-size line, extensions included */
#define LENGTH_MAX (1ull << 62)

void zk_h1_resp_init(zk_h1_resp *r, bool head_request)
{
    memset(r, 0, sizeof(*r));
    r->state = S_HEAD;
    r->head_request = head_request;
}

static int fail(zk_h1_resp *r, zk_err *err, const char *msg)
{
    r->failed = true;
    snprintf(r->failmsg, sizeof(r->failmsg), "%s", msg);
    zk_err_set(err, ZK_EPARSE, "http response: %s", r->failmsg);
    return -1;
}

/* The end of the line starting at p (the '\n'), or NULL within n bytes. */
static const char *line_end(const char *p, size_t n)
{
    return memchr(p, '\n', n);
}

/* Length of the line [p, nl) without a CR before the LF. */
static size_t line_len(const char *p, const char *nl)
{
    size_t n = (size_t)(nl - p);
    return n && p[n - 1] == '\r' ? n - 1 : n;
}

static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool eq_token(const char *p, size_t n, const char *tok)
{
    return strlen(tok) == n && strncasecmp(p, tok, n) == 0;
}

/* The last element of a comma-separated list value. */
static void last_element(const char *v, size_t n, const char **out, size_t *outn)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] == ',')
            start = i + 1;
    while (start < n && (v[start] == ' ' || v[start] == '\t'))
        start++;
    size_t end = n;
    while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
        end--;
    *out = v + start;
    *outn = end - start;
}

/* Does the Connection value list name tok? */
static bool lists_token(const char *v, size_t n, const char *tok)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (i > s && eq_token(v + s, i - s, tok))
            return true;
    }
    return false;
}

/* Content-Length: digits, possibly repeated as "5, 5". */
static int parse_length(const char *v, size_t n, uint64_t *out)
{
    bool have = false;
    uint64_t val = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        if (i == n)
            break;
        uint64_t x = 0;
        size_t s = i;
        while (i < n && v[i] >= '0' && v[i] <= '9') {
            x = x * 10 + (uint64_t)(v[i] - '0');
            if (x > LENGTH_MAX || i - s > 19)
                return -1;
            i++;
        }
        if (i == s || (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t'))
            return -1;
        if (have && x != val)
            return -1;
        have = true;
        val = x;
    }
    if (!have)
        return -1;
    *out = val;
    return 0;
}

static int parse_head(zk_h1_resp *r, const char *buf, size_t len, size_t *used,
                      zk_h1_event *ev, zk_err *err)
{
    /* the head ends with an empty line */
    size_t scan = len < ZK_H1_HEAD_MAX ? len : ZK_H1_HEAD_MAX;
    const char *p = buf, *end = NULL;
    while (p < buf + scan) {
        const char *nl = line_end(p, (size_t)(buf + scan - p));
        if (!nl)
            break;
        if (line_len(p, nl) == 0) {
            end = nl + 1;
            break;
        }
        p = nl + 1;
    }
    if (!end) {
        if (len >= ZK_H1_HEAD_MAX)
            return fail(r, err, "head longer than 64 KiB");
        return 0;   /* more to come */
    }

    /* status line */
    const char *nl = line_end(buf, (size_t)(end - buf));
    size_t n = line_len(buf, nl);
    if (n < 12 || memcmp(buf, "HTTP/1.", 7) || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
        buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' ||
        buf[11] > '9' || (n > 12 && buf[12] != ' '))
        return fail(r, err, "not an HTTP/1.x status line");
    memset(ev, 0, sizeof(*ev));
    ev->minor = buf[7] - '0';
    ev->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');

    bool chunked = false, te = false, have_len = false, close = false, keep = false;
    uint64_t length = 0;
    for (p = nl + 1; p < end;) {
        const char *hl = line_end(p, (size_t)(end - p));
        size_t ln = line_len(p, hl);
        if (ln == 0)
            break;
        if (p[0] == ' ' || p[0] == '\t')
            return fail(r, err, "folded header line");
        const char *colon = memchr(p, ':', ln);
        if (!colon || colon == p)
            return fail(r, err, "header line without a name");
        for (const char *q = p; q < colon; q++)
            if (!is_tchar(*q))
                return fail(r, err, "bad character in a header name");
        if (ev->nheaders == ZK_H1_HEADERS_MAX)
            return fail(r, err, "more than 64 headers");
        const char *v = colon + 1, *ve = p + ln;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const char *q = v; q < ve; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                return fail(r, err, "control character in a header value");
        zk_h1_header *h = &ev->headers[ev->nheaders++];
        h->name = p;
        h->name_len = (size_t)(colon - p);
        h->value = v;
        h->value_len = (size_t)(ve - v);
        if (eq_token(h->name, h->name_len, "content-length")) {
            uint64_t x;
            if (parse_length(v, h->value_len, &x) < 0 || (have_len && x != length))
                return fail(r, err, "bad Content-Length");
            have_len = true;
            length = x;
        } else if (eq_token(h->name, h->name_len, "transfer-encoding")) {
            const char *last;
            size_t lastn;
            last_element(v, h->value_len, &last, &lastn);
            te = true;
            chunked = eq_token(last, lastn, "chunked");
        } else if (eq_token(h->name, h->name_len, "connection")) {
            if (lists_token(v, h->value_len, "close"))
                close = true;
            if (lists_token(v, h->value_len, "keep-alive"))
                keep = true;
        }
        p = hl + 1;
    }
    *used = (size_t)(end - buf);

    if (ev->status >= 100 && ev->status < 200 && ev->status != 101) {
        /* an interim answer: the real one follows */
        memset(ev, 0, sizeof(*ev));
        return 0;
    }
    r->status = ev->status;
    r->keep_alive = !close && (ev->minor == 1 || keep);
    ev->type = ZK_H1_HEAD;
    if (ev->status == 101) {
        r->keep_alive = false;   /* the connection speaks something else now */
        r->state = S_END_NEXT;
    } else if (r->head_request || ev->status == 204 || ev->status == 304) {
        r->state = S_END_NEXT;
    } else if (te) {
        if (chunked) {
            r->state = S_CHUNK_SIZE;
        } else {
            r->keep_alive = false;
            r->state = S_TO_EOF;
        }
    } else if (have_len) {
        r->left = length;
        r->state = length ? S_LEN : S_END_NEXT;
    } else {
        r->keep_alive = false;
        r->state = S_TO_EOF;
    }
    return 1;
}

static int end_event(zk_h1_resp *r, zk_h1_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->type = ZK_H1_END;
    ev->status = r->status;
    r->state = S_DONE;
    return 1;
}

static int data_event(zk_h1_event *ev, const char *p, size_t n)
{
    memset(ev, 0, sizeof(*ev));
    ev->type = ZK_H1_DATA;
    ev->data = p;
    ev->len = n;
    return 1;
}

int zk_h1_resp_parse(zk_h1_resp *r, const char *buf, size_t len, size_t *used, zk_h1_event *ev,
                     zk_err *err)
{
    *used = 0;
    ev->type = ZK_H1_NONE;
    if (r->failed) {
        zk_err_set(err, ZK_EPARSE, "http response: %s", r->failmsg);
        return -1;
    }
    switch (r->state) {
    case S_HEAD:
        return parse_head(r, buf, len, used, ev, err);
    case S_END_NEXT:
        return end_event(r, ev);
    case S_LEN: {
        if (!len)
            return 0;
        size_t n = len < r->left ? len : (size_t)r->left;
        r->left -= n;
        *used = n;
        if (!r->left)
            r->state = S_END_NEXT;
        return data_event(ev, buf, n);
    }
    case S_TO_EOF:
        if (!len)
            return 0;
        *used = len;
        return data_event(ev, buf, len);
    case S_CHUNK_SIZE: {
        size_t scan = len < CHUNK_LINE_MAX ? len : CHUNK_LINE_MAX;
        const char *nl = line_end(buf, scan);
        if (!nl) {
            if (len >= CHUNK_LINE_MAX)
                return fail(r, err, "chunk-size line too long");
            return 0;
        }
        size_t n = line_len(buf, nl), i = 0;
        uint64_t size = 0;
        for (; i < n; i++) {
            char c = buf[i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0)
                break;
            if (i == 15)
                return fail(r, err, "chunk size of more than 15 hex digits");
            size = size * 16 + (uint64_t)d;
        }
        if (i == 0)
            return fail(r, err, "no chunk size");
        while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        if (i < n && buf[i] != ';')
            return fail(r, err, "bad character after a chunk size");
        *used = (size_t)(nl + 1 - buf);
        if (size == 0) {
            r->state = S_TRAILER;
            r->trailer = 0;
        } else {
            r->left = size;
            r->state = S_CHUNK_DATA;
        }
        return 0;
    }
    case S_CHUNK_DATA: {
        if (!len)
            return 0;
        size_t n = len < r->left ? len : (size_t)r->left;
        r->left -= n;
        *used = n;
        if (!r->left)
            r->state = S_CHUNK_CRLF;
        return data_event(ev, buf, n);
    }
    case S_CHUNK_CRLF:
        if (!len)
            return 0;
        if (buf[0] == '\n') {
            *used = 1;
        } else if (buf[0] == '\r') {
            if (len < 2)
                return 0;
            if (buf[1] != '\n')
                return fail(r, err, "chunk data not followed by a line end");
            *used = 2;
        } else {
            return fail(r, err, "chunk data longer than its size");
        }
        r->state = S_CHUNK_SIZE;
        return 0;
    case S_TRAILER: {
        size_t room = ZK_H1_HEAD_MAX - r->trailer;
        size_t scan = len < room ? len : room;
        const char *nl = line_end(buf, scan);
        if (!nl) {
            if (len >= room)
                return fail(r, err, "trailers longer than 64 KiB");
            return 0;
        }
        *used = (size_t)(nl + 1 - buf);
        r->trailer += *used;
        if (line_len(buf, nl) == 0)
            return end_event(r, ev);
        return 0;
    }
    default:
        return fail(r, err, "bytes after the end of the response");
    }
}

int zk_h1_resp_eof(zk_h1_resp *r, zk_h1_event *ev, zk_err *err)
{
    ev->type = ZK_H1_NONE;
    if (r->failed) {
        zk_err_set(err, ZK_EPARSE, "http response: %s", r->failmsg);
        return -1;
    }
    if (r->state == S_TO_EOF || r->state == S_END_NEXT)
        return end_event(r, ev);
    if (r->state == S_DONE)
        return 0;
    if (r->state == S_HEAD) {
        zk_err_set(err, ZK_EIO, "http response: the connection closed before a response");
        return -1;
    }
    return fail(r, err, "the connection closed inside the body");
}
