/* zke net: an HTTP/1.1 response reader, without I/O.
 *
 * The client side of a connection hands it the bytes it read. It returns
 * the response's head (status and headers), its body in pieces (after
 * chunked decoding) and its end, one event per call. A head is only read
 * whole: until its blank line has arrived the call takes nothing (*used is
 * 0) and the caller keeps the bytes and adds what comes next. Body bytes
 * are taken as they come, one byte at a time too.
 *
 * What it accepts: "HTTP/1.0" and "HTTP/1.1" status lines, CRLF or bare LF
 * line ends, at most ZK_H1_HEADERS_MAX headers in at most ZK_H1_HEAD_MAX
 * bytes, a Content-Length (one value, or equal repeats) or chunked
 * Transfer-Encoding (which wins, as RFC 9112 says), else a body that runs
 * to the end of the connection. 1xx answers other than 101 are skipped;
 * 101, 204, 304 and answers to HEAD have no body. Chunk sizes are at most
 * 15 hex digits, chunk extensions are ignored, trailers are read and
 * dropped (bounded as a head is). Anything else is an error that sticks. */
#ifndef ZK_NET_H1_H
#define ZK_NET_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ZK_H1_HEAD_MAX (64u * 1024)   /* bytes of a head, or of a trailer section */
#define ZK_H1_HEADERS_MAX 64

typedef enum { ZK_H1_NONE = 0, ZK_H1_HEAD, ZK_H1_DATA, ZK_H1_END } zk_h1_event_type;

typedef struct zk_h1_header {
    const char *name, *value;   /* in the caller's buffer, not NUL-terminated */
    size_t name_len, value_len; /* the value without surrounding blanks */
} zk_h1_header;

typedef struct zk_h1_event {
    zk_h1_event_type type;
    /* HEAD */
    int status;
    int minor;                  /* 0: HTTP/1.0, 1: HTTP/1.1 */
    zk_h1_header headers[ZK_H1_HEADERS_MAX];
    size_t nheaders;
    /* DATA: a piece of the body, in the caller's buffer */
    const char *data;
    size_t len;
} zk_h1_event;

typedef struct zk_h1_resp {
    int state;
    bool head_request;          /* the request was HEAD: no body follows */
    bool keep_alive;            /* after END: the connection may carry another request */
    int status;
    uint64_t left;              /* body bytes of the length or of the chunk still to come */
    size_t trailer;             /* bytes of trailers read so far */
    bool failed;
    char failmsg[160];
} zk_h1_resp;

/* Ready to read one response (to a HEAD request if head_request). */
void zk_h1_resp_init(zk_h1_resp *r, bool head_request);

/* Read from buf[0..len): returns 1 with *ev filled when something happened
 * (a head, body bytes, the end), 0 when nothing did, -1 on an error (err
 * says what; later calls fail the same way). *used is what was taken, also
 * when 0 is returned (framing: chunk sizes, an interim 1xx head): the
 * caller drops those bytes and calls again with the rest; a call that
 * returns 0 and takes nothing needs more bytes. The
 * events of one response come in order: HEAD, DATA..., END; after END the
 * next response needs zk_h1_resp_init again. */
int zk_h1_resp_parse(zk_h1_resp *r, const char *buf, size_t len, size_t *used, zk_h1_event *ev,
                     zk_err *err);

/* The connection ended while a response was awaited or read: END for a
 * body that runs to the end of the connection (or one that was complete
 * but for its END event), 1; 0 if the response had ended already; else
 * an error, -1 (closed before the head, or inside the body). */
int zk_h1_resp_eof(zk_h1_resp *r, zk_h1_event *ev, zk_err *err);

#endif
