/* zke apiserver: what a request is about, from its method and path.
 *
 * "/apis/apps/v1/namespaces/default/deployments/web/scale?dryRun=All" becomes
 * verb "patch" (for PATCH), group "apps", version "v1", namespace "default",
 * resource "deployments", name "web", subresource "scale". Paths that are not
 * resource paths (/healthz, /openapi/v2, /apis) have resource_request false
 * and verb the lower-case HTTP method. The struct borrows nothing: all strings
 * live in its own storage — a small inline buffer, or the heap for long
 * paths; release it with zk_reqinfo_free(). */
#ifndef ZK_APIS_REQINFO_H
#define ZK_APIS_REQINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define ZK_REQINFO_MAX_PATH 4096
#define ZK_REQINFO_INLINE 1024

typedef struct zk_reqinfo {
    bool resource_request;
    const char *verb;        /* get list watch create update patch delete deletecollection, or http verb */
    const char *prefix;      /* "api" or "apis" for resource requests */
    const char *group;       /* "" for the core group */
    const char *version;
    const char *ns;          /* "" when not namespaced in the path */
    const char *resource;
    const char *name;        /* "" for collections */
    const char *subresource; /* "" when none */
    const char *rest;        /* after a "proxy" subresource: the proxied path, without
                              * its leading slash ("" when none) */
    const char *path;        /* the decoded path without the query */
    const char *query;       /* raw query string without '?', "" when none */
    char *storage;           /* inline_buf, or a heap buffer for long paths */
    char inline_buf[ZK_REQINFO_INLINE];
} zk_reqinfo;

/* Parse method + raw path (may contain a query). -ZK_EINVAL for a path that
 * is too long, badly escaped, or has empty or "."/".." segments. */
int zk_reqinfo_parse(zk_reqinfo *ri, const char *method, size_t mlen, const char *rawpath,
                     size_t plen, zk_err *err);
/* Release what zk_reqinfo_parse allocated (safe after a failed parse). */
void zk_reqinfo_free(zk_reqinfo *ri);

/* Value of query parameter name (decoded into out), or NULL when absent.
 * With several occurrences the first wins. */
const char *zk_query_get(const char *query, const char *name, char *out, size_t outlen);
/* True when the parameter is present and "true"/"1" (or empty, for flags). */
bool zk_query_bool(const char *query, const char *name);

/* Percent-decode src (len bytes) into out; -1 on a bad escape or overflow. */
int zk_url_decode(const char *src, size_t len, char *out, size_t outlen, bool plus_is_space);

#endif
