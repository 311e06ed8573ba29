/* zke agent: image references ("busybox", "registry.local:5000/app/web:1.2",
 * "nginx@sha256:..."), parsed and normalized as Docker and containerd do. */
#ifndef ZK_AGENT_IMAGE_REF_H
#define ZK_AGENT_IMAGE_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define ZK_IMAGE_NAME_MAX 255      /* domain + "/" + path, as distribution limits it */
#define ZK_IMAGE_TAG_MAX 128
#define ZK_IMAGE_DIGEST_MAX 135    /* "sha512:" + 128 hex */

typedef struct zk_image_ref {
    char domain[ZK_IMAGE_NAME_MAX + 1];   /* "docker.io", "registry.local:5000" */
    char path[ZK_IMAGE_NAME_MAX + 1];     /* "library/busybox", "app/web" */
    char tag[ZK_IMAGE_TAG_MAX + 1];       /* "" when only a digest was given */
    char digest[ZK_IMAGE_DIGEST_MAX + 1]; /* "" or "sha256:<64 hex>" */
} zk_image_ref;

/* Parse s into *out. A name without a registry is Docker Hub's
 * ("busybox" -> docker.io/library/busybox); a reference with neither tag
 * nor digest gets the tag "latest". The first component is a registry when
 * it has a '.' or a ':' or is "localhost". Components are lowercase; tags
 * are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digests sha256 (64 hex) or sha512
 * (128 hex). -ZK_EINVAL with a message naming what is wrong otherwise. */
int zk_agent_image_ref_parse(const char *s, zk_image_ref *out, zk_err *err);

/* The normalized text: "docker.io/library/busybox:latest",
 * "r.local/a@sha256:...", or name:tag@digest when both are set. Truncated
 * to len (always NUL-terminated); returns the length it needed. */
size_t zk_agent_image_ref_string(const zk_image_ref *r, char *buf, size_t len);

/* "docker.io/library/busybox" (no tag, no digest). */
size_t zk_agent_image_ref_name(const zk_image_ref *r, char *buf, size_t len);

/* Is s a well-formed digest ("sha256:" + 64 lowercase hex, or sha512)? */
bool zk_agent_image_digest_valid(const char *s);

#endif
