/* zke agent: the content-addressed image store under DATA/images.
 *
 * Layout: blobs/sha256/<hex> holds every manifest, config and layer by the
 * digest of its bytes (checked on the way in); refs.json maps normalized
 * references ("docker.io/library/busybox:1.36") to manifest digests. Blobs
 * are written to a temporary file, synced and renamed, and refs.json is
 * replaced the same way under a lock, so a kill at any moment leaves either
 * the old or the new state, and several processes (the agent, `zke image`)
 * may use one store. */
#ifndef ZK_AGENT_IMAGES_H
#define ZK_AGENT_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/image_ref.h"
#include "base/err.h"

/* Manifests, configs and index documents larger than this are refused. */
#define ZK_IMAGES_MAX_DOC (4u << 20)

typedef struct zk_agent_images zk_agent_images;

typedef struct zk_agent_layer {
    char digest[ZK_IMAGE_DIGEST_MAX + 1];
    char media_type[128];
    int64_t size;
} zk_agent_layer;

typedef struct zk_agent_image {
    char ref[600];                          /* normalized reference */
    char digest[ZK_IMAGE_DIGEST_MAX + 1];   /* of the manifest */
    char config[ZK_IMAGE_DIGEST_MAX + 1];
    int64_t size;                           /* config + layers, as stored */
    zk_agent_layer *layers;
    size_t nlayers;
} zk_agent_image;

/* Open the store in dir, creating it (mode 0700) when missing, and remove
 * temporary files an interrupted write left. */
zk_agent_images *zk_agent_images_open(const char *dir, zk_err *err);
void zk_agent_images_close(zk_agent_images *s);

typedef void (*zk_agent_images_each_fn)(void *ctx, const zk_agent_image *img);

/* Import every image of an archive: an OCI image layout (index.json,
 * blobs/) or a `docker save` archive (manifest.json), as tar, optionally
 * compressed. An OCI image that names only a tag takes its repository from
 * name (an image reference; may be NULL). each (may be NULL) sees every
 * image recorded. Errors name the archive entry that was wrong. */
int zk_agent_images_import(zk_agent_images *s, const char *path, const char *name,
                           zk_agent_images_each_fn each, void *ctx, zk_err *err);

/* The image a reference (in any form: "busybox") names; -ZK_ENOTFOUND when
 * it is not in the store. Clear *out with zk_agent_image_clear. */
int zk_agent_images_get(zk_agent_images *s, const char *ref, zk_agent_image *out, zk_err *err);

/* Every image, sorted by reference. */
int zk_agent_images_list(zk_agent_images *s, zk_agent_images_each_fn each, void *ctx, zk_err *err);

/* Remove the references refs (normalized, as listed) from the store, then
 * every blob no remaining image uses and that is older than grace_s
 * seconds (a pull or import writes its blobs before it names them).
 * *freed gets the bytes removed. */
int zk_agent_images_remove(zk_agent_images *s, const char *const *refs, size_t n,
                           int64_t grace_s, int64_t *freed, zk_err *err);
/* A pull starts (1) or ends (-1) writing blobs: removal leaves blobs alone
 * meanwhile. */
void zk_agent_images_writing(zk_agent_images *s, int delta);
/* The path of a blob in the store, or -ZK_ENOTFOUND. */
int zk_agent_images_blob_path(zk_agent_images *s, const char *digest, char *buf, size_t len,
                              zk_err *err);

void zk_agent_image_clear(zk_agent_image *img);

/* The architecture whose manifest an index resolves to: this machine's, in
 * OCI's words ("amd64", "arm64"). */
const char *zk_agent_images_arch(void);

/* Record ref (any form) as naming the manifest digest, which must be in the
 * store with its config and layers. */
int zk_agent_images_tag(zk_agent_images *s, const char *ref, const char *digest, zk_err *err);

/* ---- pulling (pull.c) ---- */

typedef struct zk_agent_pull_opts {
    const char *endpoint;   /* "https://mirror.local:5000" to use instead of the
                             * reference's registry; NULL: the registry itself */
    bool insecure;          /* plain HTTP (loopback registries need no flag) */
    const char *username;   /* credentials for basic auth or a bearer token */
    const char *password;
    const char *ca_file;    /* CA bundle for the registry's certificate */
    const struct zk_registries *registries; /* mirrors and per-registry
                             * settings (registries.h); used without endpoint */
} zk_agent_pull_opts;

/* Pull ref from its registry (or o->endpoint) into the store: the manifest
 * (from an index, the one for linux and this machine's architecture), its
 * config and layers, each checked against its digest; blobs already stored
 * are not fetched again. Then *out is the image, as zk_agent_images_get
 * gives it. Errors carry the registry's own message: -ZK_ENOTFOUND for an
 * unknown name or tag, -ZK_EFORBIDDEN for refused credentials, -ZK_EIO for
 * an unreachable registry. */
int zk_agent_images_pull(zk_agent_images *s, const char *ref, const zk_agent_pull_opts *o,
                         zk_agent_image *out, zk_err *err);

/* ---- for pull.c ---- */
int zk_agent_images_put_blob(zk_agent_images *s, const char *data, size_t len, char *digest,
                             zk_err *err);
/* A temporary file in the blob directory (fd, path into tmp). */
int zk_agent_images_blob_tmp(zk_agent_images *s, char *tmp, size_t len, zk_err *err);
/* Move a complete, verified temporary file into place as digest. */
int zk_agent_images_blob_commit(zk_agent_images *s, const char *tmp, const char *digest,
                                zk_err *err);
/* Read a document (at most ZK_IMAGES_MAX_DOC) from path. */
int zk_agent_images_read_doc(const char *path, char **out, size_t *len, zk_err *err);

/* Parse an OCI image manifest (or a Docker schema 2 one) into img's config
 * and layers; every digest must be well formed. For the fuzz target and
 * the store. */
int zk_agent_image_parse_manifest(const char *text, size_t len, zk_agent_image *img, zk_err *err);

#endif
