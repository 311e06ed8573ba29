#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/internal.h"
#include "base/json.h"
#include "base/mem.h"

void zk_apis_respond_json(h2o_req_t *req, int code, const json_t *doc)
{
    if (!req)
        return;
    zk_autofree char *body = zk_json_dumps(doc);
    zk_http_respond(req, code, "application/json", body, strlen(body));
}

void zk_apis_respond_text(h2o_req_t *req, int code, const char *body, size_t len)
{
    if (req)
        zk_http_respond(req, code, "text/plain; charset=utf-8", body, len);
}

void zk_apis_status(h2o_req_t *req, int code, const char *reason, const char *message,
                    json_t *details)
{
    if (!req) {
        if (details)
            json_decref(details);
        return;
    }
    zk_autojson json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "Status",
                                       "apiVersion", "v1", "metadata", "status", "Failure",
                                       "message", message ? message : "", "reason",
                                       reason ? reason : "");
    if (!st) /* a message that is not UTF-8 (from a client's bytes) */
        st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "Status", "apiVersion", "v1",
                       "metadata", "status", "Failure", "message",
                       "(the error message was not valid UTF-8)", "reason", reason ? reason : "");
    if (!reason || !*reason)
        json_object_del(st, "reason");
    if (details)
        json_object_set_new(st, "details", details);
    json_object_set_new(st, "code", json_integer(code));
    zk_apis_respond_json(req, code, st);
}

void zk_apis_status_fmt(h2o_req_t *req, int code, const char *reason, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    zk_apis_status(req, code, reason, msg, NULL);
}

const char *zk_apis_qualified_resource(const zk_kind *k, char *buf, size_t n)
{
    if (!k->group[0])
        snprintf(buf, n, "%s", k->resource);
    else
        snprintf(buf, n, "%s.%s", k->resource, k->group);
    return buf;
}

void zk_apis_not_found(h2o_req_t *req, const zk_kind *k, const char *name)
{
    char qr[256];
    zk_apis_qualified_resource(k, qr, sizeof(qr));
    char msg[1024];
    snprintf(msg, sizeof(msg), "%s \"%s\" not found", qr, name);
    json_t *d = json_pack("{s:s,s:s,s:s}", "name", name, "group", k->group, "kind", k->resource);
    zk_apis_status(req, 404, "NotFound", msg, d);
}
