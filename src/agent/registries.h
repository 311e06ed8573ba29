/* zke agent: DATA/registries.yaml, k3s's format: mirrors (endpoints and
 * rewrites per registry, "*" for all) and configs (credentials and TLS per
 * registry host).
 *
 *   mirrors:
 *     docker.io:
 *       endpoint: ["http://127.0.0.1:5000"]
 *       rewrite:
 *         "^library/(.*)": "mirrored/$1"
 *   configs:
 *     "127.0.0.1:5000":
 *       auth: {username: u, password: p}
 *       tls: {insecure_skip_verify: true, ca_file: /etc/zke/ca.crt}
 *
 * The file holds credentials: with any of them it must not be readable by
 * group or others (mode 0600), or it is refused. */
#ifndef ZK_AGENT_REGISTRIES_H
#define ZK_AGENT_REGISTRIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/image_ref.h"
#include "base/err.h"

#define ZK_REGISTRIES_MAX_BYTES (1u << 20)
#define ZK_REGISTRIES_MAX_ENDPOINTS 16

typedef struct zk_registries zk_registries; /* struct zk_registries in images.h */

/* Parse the text of a registries file; errors name the field. */
int zk_registries_parse(const char *text, size_t len, zk_registries **out, zk_err *err);
/* Load path: a missing file is an empty configuration. */
int zk_registries_load(const char *path, zk_registries **out, zk_err *err);
void zk_registries_free(zk_registries *r);

/* One place to pull ref from, in the order to try them. */
typedef struct zk_registry_try {
    char endpoint[512];          /* "http://127.0.0.1:5000" */
    char path[ZK_IMAGE_NAME_MAX + 1]; /* repository path there (after rewrites) */
    const char *username, *password; /* borrowed from the configuration, or NULL */
    bool insecure;               /* plain HTTP allowed / TLS not verified */
    const char *ca_file;
} zk_registry_try;

/* The places to pull ref from: its mirrors' endpoints (the registry's own
 * entry, else "*"), each with the mirror's rewrites applied, then the
 * registry itself. Returns how many were written to out (at most max). */
size_t zk_registries_plan(const zk_registries *r, const zk_image_ref *ref, zk_registry_try *out,
                          size_t max);

#endif
