/* zke net: a sans-IO SPDY/3 session codec, as kubectl speaks it.
 *
 * Older `kubectl exec` and every `kubectl port-forward` upgrade an HTTP
 * connection to "SPDY/3.1" and then talk SPDY/3 frames through client-go's
 * moby/spdystream (whose framer is a fork of golang.org/x/net/spdy). This
 * module turns bytes into events and events into bytes; it never reads or
 * writes a socket, and it keeps no per-stream state: which streams exist,
 * their order and what they mean is the caller's business.
 *
 * Frames, all big-endian (draft-mbelshe-httpbis-spdy-00, section 2.2):
 *   control: |1|version:15|type:16| flags:8 |length:24| payload
 *   data:    |0|stream:31|          flags:8 |length:24| payload
 * SYN_STREAM, SYN_REPLY and HEADERS carry a header block: a 32-bit count,
 * then per header a 32-bit length, the name, a 32-bit length and the value
 * (several values are joined by NUL bytes). Each direction compresses its
 * header blocks with one zlib stream for the whole session, primed with the
 * SPDY/3 dictionary and sync-flushed at the end of every block; a zk_spdy
 * holds both streams, so one zk_spdy is one connection.
 *
 * Flow control: SPDY/3.1 gives every stream a 64 KiB send window that the
 * receiver reopens with WINDOW_UPDATE. moby/spdystream implements none of it
 * (moby/spdystream#2, open since 2014): it never sends WINDOW_UPDATE and
 * drops the ones it gets. A server that waited for a kubectl client to
 * reopen a window would stall after 64 KiB, and a server that rejected
 * data past the window would break `kubectl cp`. So this codec enforces no
 * windows; WINDOW_UPDATE frames are reported, and zk_spdy_window_update()
 * is there for a caller that talks to a peer who counts.
 *
 * Bounds: a control frame's payload is at most ZK_SPDY_CONTROL_MAX bytes, a
 * decompressed header block at most ZK_SPDY_HEADER_MAX bytes and
 * ZK_SPDY_HEADERS_MAX headers; past them the session fails. DATA frames
 * (up to 16 MiB on the wire) are handed out in pieces as their bytes
 * arrive, so a caller's read buffer never needs to be larger than
 * ZK_SPDY_READ_MIN bytes. */
#ifndef ZK_NET_SPDY_H
#define ZK_NET_SPDY_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

#define ZK_SPDY_VERSION 3
#define ZK_SPDY_FRAME_HEADER 8
#define ZK_SPDY_CONTROL_MAX (64u * 1024)       /* control frame payload bytes */
#define ZK_SPDY_HEADER_MAX (64u * 1024)        /* decompressed header block bytes */
#define ZK_SPDY_HEADERS_MAX 128                /* headers in one block */
#define ZK_SPDY_HEADER_OUT_MAX (32u * 1024)    /* header block we compress (see builders) */
#define ZK_SPDY_DATA_MAX 0xffffffu             /* DATA payload bytes (the 24-bit length) */
#define ZK_SPDY_STREAM_MAX 0x7fffffffu         /* stream ids are 31 bits */
#define ZK_SPDY_INITIAL_WINDOW (64u * 1024)    /* SPDY/3.1 default per-stream window */
#define ZK_SPDY_READ_MIN (ZK_SPDY_FRAME_HEADER + ZK_SPDY_CONTROL_MAX)
#define ZK_SPDY_DICT_LEN 1423

/* Event types; the control ones are their frame's type on the wire. */
enum {
    ZK_SPDY_NONE = 0,            /* bytes taken, nothing to do (an unknown control frame) */
    ZK_SPDY_SYN_STREAM = 1,
    ZK_SPDY_SYN_REPLY = 2,
    ZK_SPDY_RST_STREAM = 3,
    ZK_SPDY_SETTINGS = 4,
    ZK_SPDY_PING = 6,
    ZK_SPDY_GOAWAY = 7,
    ZK_SPDY_HEADERS = 8,
    ZK_SPDY_WINDOW_UPDATE = 9,
    ZK_SPDY_DATA = 16,
};

/* Frame flags. */
enum {
    ZK_SPDY_FLAG_FIN = 0x01,              /* DATA, SYN_STREAM, SYN_REPLY, HEADERS */
    ZK_SPDY_FLAG_UNIDIRECTIONAL = 0x02,   /* SYN_STREAM: the receiver must not send */
    ZK_SPDY_FLAG_CLEAR_SETTINGS = 0x01,   /* SETTINGS */
};

/* RST_STREAM status codes. */
enum {
    ZK_SPDY_PROTOCOL_ERROR = 1,
    ZK_SPDY_INVALID_STREAM = 2,
    ZK_SPDY_REFUSED_STREAM = 3,
    ZK_SPDY_UNSUPPORTED_VERSION = 4,
    ZK_SPDY_CANCEL = 5,
    ZK_SPDY_INTERNAL_ERROR = 6,
    ZK_SPDY_FLOW_CONTROL_ERROR = 7,
    ZK_SPDY_STREAM_IN_USE = 8,
    ZK_SPDY_STREAM_ALREADY_CLOSED = 9,
    ZK_SPDY_INVALID_CREDENTIALS = 10,
    ZK_SPDY_FRAME_TOO_LARGE = 11,
};

/* GOAWAY status codes. */
enum {
    ZK_SPDY_GOAWAY_OK = 0,
    ZK_SPDY_GOAWAY_PROTOCOL_ERROR = 1,
    ZK_SPDY_GOAWAY_INTERNAL_ERROR = 2,
};

/* SETTINGS ids (the flags of an entry: 1 persist value, 2 persisted). */
enum {
    ZK_SPDY_SETTINGS_UPLOAD_BANDWIDTH = 1,
    ZK_SPDY_SETTINGS_DOWNLOAD_BANDWIDTH = 2,
    ZK_SPDY_SETTINGS_ROUND_TRIP_TIME = 3,
    ZK_SPDY_SETTINGS_MAX_CONCURRENT_STREAMS = 4,
    ZK_SPDY_SETTINGS_CURRENT_CWND = 5,
    ZK_SPDY_SETTINGS_DOWNLOAD_RETRANS_RATE = 6,
    ZK_SPDY_SETTINGS_INITIAL_WINDOW_SIZE = 7,
    ZK_SPDY_SETTINGS_CLIENT_CERTIFICATE_VECTOR_SIZE = 8,
};

typedef struct zk_spdy zk_spdy;

/* One header of a parsed block. Both strings are NUL-terminated after
 * their length; a value with several parts has NULs inside value_len. Names
 * are as sent (SPDY/3 senders lower-case them). */
typedef struct zk_spdy_header {
    const char *name;
    const char *value;
    uint32_t name_len;
    uint32_t value_len;
} zk_spdy_header;

typedef struct zk_spdy_setting {
    uint8_t flags;
    uint32_t id;      /* 24 bits */
    uint32_t value;
} zk_spdy_setting;

/* What one call of zk_spdy_parse() found. Fields a type does not use are 0. */
typedef struct zk_spdy_event {
    int type;                /* ZK_SPDY_* */
    int flags;               /* the frame's flags (for DATA, only on its last piece) */
    uint32_t stream;         /* all but SETTINGS/PING; GOAWAY: the last good stream */
    uint32_t assoc;          /* SYN_STREAM: associated-to stream */
    uint8_t priority;        /* SYN_STREAM: 0 (highest) .. 7 */
    uint8_t slot;            /* SYN_STREAM: credential slot */
    uint32_t status;         /* RST_STREAM, GOAWAY */
    uint32_t ping;           /* PING id: a client's are odd, a server's even */
    uint32_t delta;          /* WINDOW_UPDATE (stream 0: the whole session, SPDY/3.1) */
    const uint8_t *data;     /* DATA: this piece of the payload, inside the parsed buffer */
    size_t len;
    const zk_spdy_header *headers;   /* SYN_STREAM, SYN_REPLY, HEADERS */
    size_t nheaders;
    size_t nsettings;        /* SETTINGS: read them with zk_spdy_event_setting() */
    const uint8_t *settings;
} zk_spdy_event;

/* A new session with fresh compression contexts for both directions.
 * Aborts if memory runs out. */
zk_spdy *zk_spdy_new(void);
void zk_spdy_free(zk_spdy *s);

/* Parse the next frame (or the next piece of a DATA frame) from buf.
 * Returns the bytes it took (> 0) and fills *ev; 0 when buf holds too
 * little to make progress (nothing is taken and no state changes: call
 * again with more bytes); or a negative ZK_E* code with err set when the
 * peer broke the protocol or a bound: -ZK_EPARSE (malformed frame or header
 * block), -ZK_ETOOBIG (a bound above), -ZK_EUNSUPPORTED (a SPDY version
 * other than 3). After an error the session is dead (its header
 * decompressor may be out of step) and every later call fails the same way:
 * send a GOAWAY with ZK_SPDY_GOAWAY_PROTOCOL_ERROR and close the
 * connection.
 *
 * A control frame is taken whole once its last byte is in buf. A DATA
 * frame is taken as soon as its header and one payload byte are there, and
 * its payload comes out as one or more ZK_SPDY_DATA events; ev->flags
 * carries ZK_SPDY_FLAG_FIN only on the last. ev->data points into buf;
 * ev->headers and the strings in them live in the session until the next
 * call. Unknown control frame types are skipped (ZK_SPDY_NONE), as SPDY/3
 * says, if they are within ZK_SPDY_CONTROL_MAX. Stream-level rules (odd
 * ids from clients, ids that grow, no DATA before SYN_STREAM) are the
 * caller's to check and answer with RST_STREAM. */
int zk_spdy_parse(zk_spdy *s, const uint8_t *buf, size_t len, zk_spdy_event *ev, zk_err *err);

/* The value of header name (ASCII case-insensitive) in ev, or NULL; *len
 * (if not NULL) gets its length. */
const char *zk_spdy_event_header(const zk_spdy_event *ev, const char *name, size_t *len);

/* Entry i (< ev->nsettings) of a SETTINGS event. */
zk_spdy_setting zk_spdy_event_setting(const zk_spdy_event *ev, size_t i);

/* ---- builders: each appends one whole frame to out ----
 *
 * They return 0, -ZK_EINVAL for arguments no peer would accept (a stream
 * id over 31 bits, or 0 where a stream is meant; and for header frames: an
 * empty or repeated name (ASCII case-insensitive), or a hop-by-hop name
 * that makes Go's SPDY framer drop the connection: connection, keep-alive,
 * proxy-connection, transfer-encoding, and host in a SYN_STREAM or in
 * HEADERS on an even stream), -ZK_ETOOBIG when out's
 * bound or a frame bound would be passed, or -ZK_EINTERNAL when zlib failed
 * (the session can send no more header frames). On any error out is
 * unchanged. */

/* Header frames compress with the session's outgoing context, so frames
 * must reach the peer in the order they were built. Names are sent
 * lower-cased; the uncompressed block may hold at most
 * ZK_SPDY_HEADER_OUT_MAX bytes and ZK_SPDY_HEADERS_MAX headers. flags:
 * ZK_SPDY_FLAG_FIN (and ZK_SPDY_FLAG_UNIDIRECTIONAL for SYN_STREAM). */
int zk_spdy_syn_reply(zk_spdy *s, zk_buf *out, uint32_t stream, const char *const *names,
                      const char *const *values, size_t n, int flags, zk_err *err);
int zk_spdy_headers(zk_spdy *s, zk_buf *out, uint32_t stream, const char *const *names,
                    const char *const *values, size_t n, int flags, zk_err *err);
/* Open a stream; a server's stream ids are even. priority: 0 .. 7. */
int zk_spdy_syn_stream(zk_spdy *s, zk_buf *out, uint32_t stream, uint32_t assoc,
                       unsigned priority, const char *const *names, const char *const *values,
                       size_t n, int flags, zk_err *err);

/* A DATA frame of len (<= ZK_SPDY_DATA_MAX) bytes; flags: ZK_SPDY_FLAG_FIN. */
int zk_spdy_data(zk_buf *out, uint32_t stream, const void *data, size_t len, int flags);
/* RST_STREAM; status is a ZK_SPDY_* status code (not 0). */
int zk_spdy_rst_stream(zk_buf *out, uint32_t stream, uint32_t status);
/* PING: echo a client's (odd) id back; a server's own pings use even ids. */
int zk_spdy_ping(zk_buf *out, uint32_t id);
/* GOAWAY: last is the last stream the sender accepted (0: none). */
int zk_spdy_goaway(zk_buf *out, uint32_t last, uint32_t status);
/* WINDOW_UPDATE of delta (1 .. 2^31-1) bytes; stream 0 is the session. */
int zk_spdy_window_update(zk_buf *out, uint32_t stream, uint32_t delta);

/* The SPDY/3 header compression dictionary (ZK_SPDY_DICT_LEN bytes). */
const uint8_t *zk_spdy_dictionary(void);

#endif
