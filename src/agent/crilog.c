/* zke agent: the CRI log format, written and parsed. */
#include "agent/crilog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"

struct zk_crilog {
    char *path;
    int fd;
    int64_t size, max;
    int keep;
    /* the unfinished line of each stream */
    char *pending[2];
    size_t plen[2];
};

static int open_file(zk_crilog *l, zk_err *err)
{
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (l->fd < 0)
        return zk_err_set(err, ZK_EIO, "open %s: %s", l->path, strerror(errno));
    struct stat sb;
    l->size = fstat(l->fd, &sb) == 0 ? sb.st_size : 0;
    return 0;
}

zk_crilog *zk_crilog_open(const char *path, int64_t max_bytes, int keep, zk_err *err)
{
    zk_crilog *l = zk_xcalloc(1, sizeof(*l));
    l->path = zk_xstrdup(path);
    l->max = max_bytes;
    l->keep = keep > 0 ? keep : 1;
    l->pending[0] = zk_xmalloc(ZK_CRILOG_MAX_LINE);
    l->pending[1] = zk_xmalloc(ZK_CRILOG_MAX_LINE);
    if (open_file(l, err) < 0) {
        zk_crilog_close(l);
        return NULL;
    }
    return l;
}

void zk_crilog_close(zk_crilog *l)
{
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    free(l->pending[0]);
    free(l->pending[1]);
    free(l->path);
    free(l);
}

static int rotate(zk_crilog *l, zk_err *err)
{
    char from[4200], to[4200];
    for (int i = l->keep - 1; i >= 1; i--) {
        snprintf(from, sizeof(from), "%s.%d", l->path, i);
        snprintf(to, sizeof(to), "%s.%d", l->path, i + 1);
        if (i + 1 > l->keep - 1)
            unlink(from);
        else
            rename(from, to);
    }
    snprintf(to, sizeof(to), "%s.1", l->path);
    if (l->keep > 1) {
        if (rename(l->path, to) < 0)
            return zk_err_set(err, ZK_EIO, "rotate %s: %s", l->path, strerror(errno));
    } else if (unlink(l->path) < 0) {
        return zk_err_set(err, ZK_EIO, "rotate %s: %s", l->path, strerror(errno));
    }
    close(l->fd);
    return open_file(l, err);
}

/* Write one record: time, stream, tag, message, newline, in one write(2),
 * so a reader never sees half of it. */
static int write_record(zk_crilog *l, bool err_stream, bool partial, const char *msg, size_t len,
                        zk_err *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char head[96];
    int hn = snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec, err_stream ? "stderr" : "stdout", partial ? 'P' : 'F');
    size_t total = (size_t)hn + len + 1;
    if (l->max > 0 && l->size > 0 && l->size + (int64_t)total > l->max && rotate(l, err) < 0)
        return -err->code;
    char *rec = zk_xmalloc(total);
    memcpy(rec, head, (size_t)hn);
    memcpy(rec + hn, msg, len);
    rec[total - 1] = '\n';
    size_t off = 0;
    int rc = 0;
    while (off < total) {
        ssize_t w = write(l->fd, rec + off, total - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = zk_err_set(err, ZK_EIO, "write %s: %s", l->path,
                            w < 0 ? strerror(errno) : "short write");
            break;
        }
        off += (size_t)w;
    }
    free(rec);
    l->size += (int64_t)off;
    return rc;
}

int zk_crilog_feed(zk_crilog *l, bool err_stream, const char *data, size_t len, zk_err *err)
{
    int s = err_stream ? 1 : 0;
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        size_t room = ZK_CRILOG_MAX_LINE - l->plen[s];
        if (take >= room) {
            /* the line is too long: write a full piece as partial */
            memcpy(l->pending[s] + l->plen[s], data, room);
            if (write_record(l, err_stream, true, l->pending[s], ZK_CRILOG_MAX_LINE, err) < 0)
                return -err->code;
            l->plen[s] = 0;
            data += room;
            len -= room;
            continue;
        }
        memcpy(l->pending[s] + l->plen[s], data, take);
        l->plen[s] += take;
        if (!nl)
            return 0;
        if (write_record(l, err_stream, false, l->pending[s], l->plen[s], err) < 0)
            return -err->code;
        l->plen[s] = 0;
        data += take + 1;
        len -= take + 1;
    }
    return 0;
}

int zk_crilog_flush(zk_crilog *l, bool err_stream, zk_err *err)
{
    int s = err_stream ? 1 : 0;
    if (l->plen[s] == 0)
        return 0;
    int rc = write_record(l, err_stream, false, l->pending[s], l->plen[s], err);
    l->plen[s] = 0;
    return rc;
}

int zk_crilog_flush_partial(zk_crilog *l, bool err_stream, zk_err *err)
{
    int s = err_stream ? 1 : 0;
    if (l->plen[s] == 0)
        return 0;
    int rc = write_record(l, err_stream, true, l->pending[s], l->plen[s], err);
    l->plen[s] = 0;
    return rc;
}

int zk_crilog_parse(const char *line, size_t len, zk_crilog_line *out)
{
    const char *sp = memchr(line, ' ', len);
    if (!sp || sp == line)
        return -ZK_EPARSE;
    size_t tlen = (size_t)(sp - line);
    /* a timestamp: digits, '-', ':', 'T', '.', 'Z', '+' */
    for (size_t i = 0; i < tlen; i++) {
        char c = line[i];
        if (!((c >= '0' && c <= '9') || c == '-' || c == ':' || c == 'T' || c == '.' || c == 'Z' ||
              c == '+'))
            return -ZK_EPARSE;
    }
    const char *p = sp + 1;
    size_t left = len - tlen - 1;
    bool errs;
    if (left >= 7 && !memcmp(p, "stdout ", 7))
        errs = false;
    else if (left >= 7 && !memcmp(p, "stderr ", 7))
        errs = true;
    else
        return -ZK_EPARSE;
    p += 7;
    left -= 7;
    if (left < 1 || (p[0] != 'F' && p[0] != 'P'))
        return -ZK_EPARSE;
    bool partial = p[0] == 'P';
    /* "F msg" or just "F" for an empty line */
    if (left >= 2 && p[1] != ' ')
        return -ZK_EPARSE;
    out->time = line;
    out->time_len = tlen;
    out->err_stream = errs;
    out->partial = partial;
    out->msg = left >= 2 ? p + 2 : p + 1;
    out->msg_len = left >= 2 ? left - 2 : 0;
    return 0;
}
