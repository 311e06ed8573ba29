#include "apiserver/reqinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int zk__hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int zk_url_decode(const char *src, size_t len, char *out, size_t outlen, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = zk__hexval(src[i + 1]), lo = zk__hexval(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0' || o + 1 >= outlen)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return (int)o;
}

int zk_reqinfo_parse(zk_reqinfo *ri, const char *method, size_t mlen, const char *rawpath,
                     size_t plen, zk_err *err)
{
    memset(ri, 0, offsetof(zk_reqinfo, inline_buf));
    ri->ns = ri->group = ri->version = ri->resource = ri->name = ri->subresource = "";
    ri->rest = "";
    ri->prefix = "";
    const char *q = memchr(rawpath, '?', plen);
    size_t pathlen = q ? (size_t)(q - rawpath) : plen;
    if (pathlen >= ZK_REQINFO_MAX_PATH || plen - pathlen >= ZK_REQINFO_MAX_PATH)
        return zk_err_set(err, ZK_EINVAL, "request path too long");

    /* the raw query, the decoded path and its segments: at most 2 x plen + 3 */
    size_t left = 2 * plen + 3;
    if (left <= sizeof(ri->inline_buf)) {
        ri->storage = ri->inline_buf;
        left = sizeof(ri->inline_buf);
    } else {
        ri->storage = malloc(left);
        if (!ri->storage)
            return zk_err_set(err, ZK_ENOMEM, "out of memory for the request path");
    }
    char *st = ri->storage;
    /* query, raw */
    size_t qlen = q ? plen - pathlen - 1 : 0;
    memcpy(st, q ? q + 1 : "", qlen);
    st[qlen] = '\0';
    ri->query = st;
    st += qlen + 1;
    left -= qlen + 1;
    /* path, decoded */
    int n = zk_url_decode(rawpath, pathlen, st, left, false);
    if (n < 0)
        return zk_err_set(err, ZK_EINVAL, "malformed escape in request path");
    ri->path = st;
    st += n + 1;
    left -= (size_t)n + 1;

    /* the verb from the method; refined below */
    static const struct { const char *m; const char *v; } methods[] = {
        {"GET", "get"}, {"POST", "create"}, {"PUT", "update"}, {"PATCH", "patch"},
        {"DELETE", "delete"}, {"HEAD", "get"}, {"OPTIONS", "options"},
    };
    const char *verb = NULL;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strlen(methods[i].m) == mlen && !memcmp(methods[i].m, method, mlen))
            verb = methods[i].v;

    /* split the decoded path into segments in storage */
    if (ri->path[0] != '/')
        return zk_err_set(err, ZK_EINVAL, "request path must start with /");
    if ((size_t)n + 1 > left)
        return zk_err_set(err, ZK_EINVAL, "request path too long");
    char *segbuf = st;
    memcpy(segbuf, ri->path + 1, (size_t)n - 1);
    segbuf[n - 1] = '\0';
    const char *seg[16];
    size_t nseg = 0;
    char *p = segbuf;
    size_t plen2 = strlen(p);
    /* drop one trailing slash */
    if (plen2 && p[plen2 - 1] == '/')
        p[--plen2] = '\0';
    if (plen2) {
        for (;;) {
            char *slash = strchr(p, '/');
            if (slash)
                *slash = '\0';
            if (nseg == sizeof(seg) / sizeof(seg[0]))
                goto nonresource;
            seg[nseg++] = p;
            if (!slash)
                break;
            p = slash + 1;
        }
    }
    for (size_t i = 0; i < nseg; i++)
        if (!seg[i][0] || !strcmp(seg[i], ".") || !strcmp(seg[i], ".."))
            return zk_err_set(err, ZK_EINVAL, "invalid request path segment");

    size_t i = 0;
    if (nseg >= 1 && !strcmp(seg[0], "api")) {
        if (nseg < 3)
            goto nonresource;
        ri->prefix = "api";
        ri->group = "";
        ri->version = seg[1];
        i = 2;
    } else if (nseg >= 1 && !strcmp(seg[0], "apis")) {
        if (nseg < 4)
            goto nonresource;
        ri->prefix = "apis";
        ri->group = seg[1];
        ri->version = seg[2];
        i = 3;
    } else {
        goto nonresource;
    }
    if (!verb)
        verb = "unknown";
    ri->resource_request = true;
    /* /watch/... is the legacy watch path form */
    bool legacy_watch = false;
    if (i < nseg && !strcmp(seg[i], "watch")) {
        legacy_watch = true;
        i++;
    }
    if (i + 1 < nseg && !strcmp(seg[i], "namespaces")) {
        /* "namespaces/<ns>/<resource>..." unless the third part is one of the
         * namespace object's own subresources */
        ri->ns = seg[i + 1];
        if (i + 2 < nseg && strcmp(seg[i + 2], "status") && strcmp(seg[i + 2], "finalize"))
            i += 2;
    }
    if (i < nseg) {
        ri->resource = seg[i++];
        if (i < nseg)
            ri->name = seg[i++];
        if (i < nseg)
            ri->subresource = seg[i++];
        if (i < nseg && !strcmp(ri->subresource, "proxy"))
            ri->rest = ri->path + 1 + (seg[i] - segbuf);   /* segbuf copies path + 1 */
        else if (i < nseg)
            return zk_err_set(err, ZK_EINVAL, "request path has too many segments");
    } else if (!ri->resource[0]) {
        ri->resource_request = false;
        goto nonresource_keep;
    }
    if (legacy_watch)
        verb = "watch";
    else if (!strcmp(verb, "get") && !ri->name[0])
        verb = zk_query_bool(ri->query, "watch") ? "watch" : "list";
    else if (!strcmp(verb, "delete") && !ri->name[0])
        verb = "deletecollection";
    ri->verb = verb;
    return 0;

nonresource:
    ri->resource_request = false;
nonresource_keep:
    ri->prefix = "";
    ri->group = ri->version = ri->ns = ri->resource = ri->name = ri->subresource = "";
    /* non-resource verbs are lower-case HTTP methods */
    if (mlen == 3 && !memcmp(method, "GET", 3))
        ri->verb = "get";
    else if (mlen == 4 && !memcmp(method, "HEAD", 4))
        ri->verb = "head";
    else if (mlen == 4 && !memcmp(method, "POST", 4))
        ri->verb = "post";
    else if (mlen == 3 && !memcmp(method, "PUT", 3))
        ri->verb = "put";
    else if (mlen == 5 && !memcmp(method, "PATCH", 5))
        ri->verb = "patch";
    else if (mlen == 6 && !memcmp(method, "DELETE", 6))
        ri->verb = "delete";
    else
        ri->verb = "unknown";
    return 0;
}

void zk_reqinfo_free(zk_reqinfo *ri)
{
    if (ri->storage && ri->storage != ri->inline_buf)
        free(ri->storage);
    ri->storage = NULL;
}

const char *zk_query_get(const char *query, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = query;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        size_t klen = eq ? (size_t)(eq - p) : plen;
        char key[128];
        if (klen < sizeof(key) && zk_url_decode(p, klen, key, sizeof(key), true) >= 0 &&
            strlen(key) == nlen && !memcmp(key, name, nlen)) {
            const char *v = eq ? eq + 1 : p + plen;
            size_t vlen = eq ? plen - klen - 1 : 0;
            if (zk_url_decode(v, vlen, out, outlen, true) < 0)
                return NULL;
            return out;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

bool zk_query_bool(const char *query, const char *name)
{
    char v[16];
    if (!zk_query_get(query, name, v, sizeof(v)))
        return false;
    return !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "True") || v[0] == '\0';
}
