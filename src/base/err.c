#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int zk_err_set(zk_err *err, int code, const char *fmt, ...)
{
    if (code < 0)
        code = -code;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return -code;
}

int zk_err_wrap(zk_err *err, const char *fmt, ...)
{
    if (!err)
        return -ZK_EINTERNAL;
    if (err->code == 0)
        err->code = ZK_EINTERNAL;
    char prefix[ZK_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -err->code;
    /* "prefix: message", cut to fit */
    char joined[ZK_ERR_MSG_MAX];
    size_t plen = strnlen(prefix, sizeof(joined) - 1);
    memcpy(joined, prefix, plen);
    size_t pos = plen;
    if (pos + 2 < sizeof(joined)) {
        joined[pos++] = ':';
        joined[pos++] = ' ';
    }
    size_t mlen = strnlen(err->msg, sizeof(err->msg));
    if (mlen > sizeof(joined) - 1 - pos)
        mlen = sizeof(joined) - 1 - pos;
    memcpy(joined + pos, err->msg, mlen);
    joined[pos + mlen] = '\0';
    memcpy(err->msg, joined, sizeof(err->msg));
    return -err->code;
}

void zk_err_clear(zk_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *zk_err_name(int code)
{
    static const char *const names[] = {
        "OK", "EINVAL", "ENOMEM", "EIO", "ENOTFOUND", "EEXIST", "ECONFLICT",
        "ETOOBIG", "EPARSE", "EUNSUPPORTED", "EINTERNAL", "EGONE", "EFORBIDDEN",
    };
    if (code < 0)
        code = -code;
    if ((size_t)code < sizeof(names) / sizeof(names[0]))
        return names[code];
    return "EUNKNOWN";
}
