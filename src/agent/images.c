/* zke agent: the content-addressed image store, and importing OCI layout
 * and `docker save` archives into it. See images.h for the layout.
 *
 * An archive is read once, as a stream: every regular file goes into the
 * blob store under the digest of its bytes, whatever its name, and the
 * names are remembered. Then index.json (OCI) or manifest.json (Docker)
 * says which blobs make which image. A Docker archive's images get an OCI
 * manifest written for them, so the store holds one kind of image. */
#include "agent/images.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"

#define ZK_IMAGES_MAX_ENTRIES 100000   /* files in one archive */
#define ZK_IMAGES_MAX_LAYERS 1000      /* layers in one image */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

struct zk_agent_images {
    char *dir;
    char *blobs;   /* dir/blobs/sha256 */
    int writers;   /* pulls under way in this process (atomic) */
};

void zk_agent_images_writing(zk_agent_images *s, int delta)
{
    __atomic_add_fetch(&s->writers, delta, __ATOMIC_SEQ_CST);
}

/* ---- small helpers ---- */

static int mkdir_p(const char *path, zk_err *err)
{
    zk_autofree char *p = zk_xstrdup(path);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return zk_err_set(err, ZK_EIO, "mkdir %s: %s", p, strerror(errno));
        *c = '/';
    }
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
        return zk_err_set(err, ZK_EIO, "mkdir %s: %s", p, strerror(errno));
    return 0;
}

static void sync_dir(const char *dir)
{
    zk_autoclose int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 && fsync(fd) < 0)
        zk_warn("images: fsync %s: %s", dir, strerror(errno));
}

static int read_file(const char *path, size_t max, char **out, size_t *len, zk_err *err)
{
    zk_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return zk_err_set(err, errno == ENOENT ? ZK_ENOTFOUND : ZK_EIO, "open %s: %s", path,
                          strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return zk_err_set(err, ZK_EIO, "stat %s: %s", path, strerror(errno));
    if ((uint64_t)sb.st_size > max)
        return zk_err_set(err, ZK_ETOOBIG, "%s is %lld bytes, more than the %zu allowed", path,
                          (long long)sb.st_size, max);
    char *buf = zk_xmalloc((size_t)sb.st_size + 1);
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return zk_err_set(err, ZK_EIO, "read %s: %s", path, n < 0 ? strerror(errno) : "short");
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

/* Write data to path atomically: a temporary file, fsync, rename, fsync of
 * the directory. */
static int write_atomic(const char *dir, const char *path, const char *data, size_t len,
                        zk_err *err)
{
    zk_autofree char *tmp = zk_xasprintf("%s/.tmp-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return zk_err_set(err, ZK_EIO, "create a file in %s: %s", dir, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return zk_err_set(err, ZK_EIO, "write %s: %s", path, strerror(e));
        }
        off += (size_t)n;
    }
    if (fchmod(fd, 0600) < 0 || fsync(fd) < 0 || close(fd) < 0) {
        int e = errno;
        unlink(tmp);
        return zk_err_set(err, ZK_EIO, "sync %s: %s", path, strerror(e));
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return zk_err_set(err, ZK_EIO, "rename to %s: %s", path, strerror(e));
    }
    sync_dir(dir);
    return 0;
}

/* ---- open ---- */

zk_agent_images *zk_agent_images_open(const char *dir, zk_err *err)
{
    zk_autofree char *blobs = zk_xasprintf("%s/blobs/sha256", dir);
    if (mkdir_p(blobs, err) < 0) {
        zk_err_wrap(err, "image store %s", dir);
        return NULL;
    }
    /* temporary files of writes that never finished */
    DIR *d = opendir(blobs);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (!strncmp(e->d_name, ".tmp-", 5))
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    zk_agent_images *s = zk_xcalloc(1, sizeof(*s));
    s->dir = zk_xstrdup(dir);
    s->blobs = zk_steal(&blobs);
    return s;
}

void zk_agent_images_close(zk_agent_images *s)
{
    if (!s)
        return;
    free(s->dir);
    free(s->blobs);
    free(s);
}

int zk_agent_images_blob_path(zk_agent_images *s, const char *digest, char *buf, size_t len,
                              zk_err *err)
{
    if (!zk_agent_image_digest_valid(digest) || strncmp(digest, "sha256:", 7))
        return zk_err_set(err, ZK_EINVAL, "\"%.140s\" is not a sha256 digest", digest);
    snprintf(buf, len, "%s/%s", s->blobs, digest + 7);
    if (access(buf, F_OK) < 0)
        return zk_err_set(err, ZK_ENOTFOUND, "blob %s is not in the image store", digest);
    return 0;
}

static int read_blob(zk_agent_images *s, const char *digest, char **out, size_t *len, zk_err *err)
{
    char path[1024];
    if (zk_agent_images_blob_path(s, digest, path, sizeof(path), err) < 0)
        return -err->code;
    return read_file(path, ZK_IMAGES_MAX_DOC, out, len, err);
}

/* Store len bytes as a blob; *digest gets "sha256:<hex>". */
int zk_agent_images_put_blob(zk_agent_images *s, const char *data, size_t len, char *digest,
                             zk_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
        return zk_err_set(err, ZK_EINTERNAL, "sha256 failed");
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    zk_str_hex(hex, md, mdlen);
    hex[2 * mdlen] = '\0';
    snprintf(digest, ZK_IMAGE_DIGEST_MAX + 1, "sha256:%s", hex);
    zk_autofree char *path = zk_xasprintf("%s/%s", s->blobs, hex);
    if (access(path, F_OK) == 0)
        return 0;
    return write_atomic(s->blobs, path, data, len, err);
}

/* ---- manifests ---- */

void zk_agent_image_clear(zk_agent_image *img)
{
    free(img->layers);
    memset(img, 0, sizeof(*img));
}

static int copy_digest(const json_t *desc, const char *what, char *out, int64_t *size,
                       zk_err *err)
{
    const char *d = zk_json_str(desc, "digest");
    if (!d || !zk_agent_image_digest_valid(d))
        return zk_err_set(err, ZK_EINVAL, "%s has no valid digest (%.140s)", what,
                          d ? d : "missing");
    snprintf(out, ZK_IMAGE_DIGEST_MAX + 1, "%s", d);
    json_t *sz = json_object_get(desc, "size");
    if (size)
        *size = json_is_integer(sz) && json_integer_value(sz) >= 0 ? json_integer_value(sz) : 0;
    return 0;
}

int zk_agent_image_parse_manifest(const char *text, size_t len, zk_agent_image *img, zk_err *err)
{
    json_t *doc = NULL;
    if (zk_json_decode(text, len, &doc, err) < 0)
        return zk_err_wrap(err, "image manifest");
    zk_autojson json_t *hold = doc;
    if (!json_is_object(doc))
        return zk_err_set(err, ZK_EINVAL, "image manifest is not a JSON object");
    json_t *sv = json_object_get(doc, "schemaVersion");
    if (!json_is_integer(sv) || json_integer_value(sv) != 2)
        return zk_err_set(err, ZK_EUNSUPPORTED, "image manifest schemaVersion is not 2");
    const char *mt = zk_json_str(doc, "mediaType");
    if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)))
        return zk_err_set(err, ZK_EINVAL, "expected an image manifest, found an index (%s)", mt);
    json_t *config = json_object_get(doc, "config");
    json_t *layers = json_object_get(doc, "layers");
    if (!json_is_object(config) || !json_is_array(layers))
        return zk_err_set(err, ZK_EINVAL, "image manifest has no config or no layers");
    size_t n = json_array_size(layers);
    if (n > ZK_IMAGES_MAX_LAYERS)
        return zk_err_set(err, ZK_ETOOBIG, "image manifest has %zu layers, more than %d", n,
                          ZK_IMAGES_MAX_LAYERS);
    int64_t total = 0;
    if (copy_digest(config, "the image config", img->config, &total, err) < 0)
        return -err->code;
    img->layers = zk_xcalloc(n ? n : 1, sizeof(*img->layers));
    img->nlayers = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_array_get(layers, i);
        zk_agent_layer *out = &img->layers[i];
        char what[48];
        snprintf(what, sizeof(what), "layer %zu", i);
        if (!json_is_object(l) || copy_digest(l, what, out->digest, &out->size, err) < 0) {
            if (!json_is_object(l))
                zk_err_set(err, ZK_EINVAL, "layer %zu is not an object", i);
            zk_agent_image_clear(img);
            return -err->code;
        }
        const char *lmt = zk_json_str(l, "mediaType");
        snprintf(out->media_type, sizeof(out->media_type), "%s", lmt ? lmt : MT_OCI_LAYER_GZ);
        total += out->size;
        img->nlayers++;
    }
    img->size = total;
    return 0;
}

/* ---- refs.json ---- */

typedef struct refs_lock {
    int fd;
} refs_lock;

static int refs_lock_take(zk_agent_images *s, refs_lock *l, zk_err *err)
{
    zk_autofree char *p = zk_xasprintf("%s/refs.lock", s->dir);
    l->fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (l->fd < 0 || flock(l->fd, LOCK_EX) < 0) {
        if (l->fd >= 0)
            close(l->fd);
        return zk_err_set(err, ZK_EIO, "lock %s: %s", p, strerror(errno));
    }
    return 0;
}

static void refs_lock_drop(refs_lock *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}

static int refs_load(zk_agent_images *s, json_t **out, zk_err *err)
{
    zk_autofree char *p = zk_xasprintf("%s/refs.json", s->dir);
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(p, 64u << 20, &text, &len, err);
    if (rc == -ZK_ENOTFOUND) {
        *out = json_object();
        return 0;
    }
    if (rc < 0)
        return rc;
    json_t *doc = NULL;
    rc = zk_json_decode(text, len, &doc, err);
    free(text);
    if (rc < 0 || !json_is_object(doc)) {
        json_decref(doc);
        return zk_err_set(err, ZK_EIO, "%s is damaged: %s", p, rc < 0 ? err->msg : "not an object");
    }
    *out = doc;
    return 0;
}

static int refs_save(zk_agent_images *s, const json_t *refs, zk_err *err)
{
    zk_autofree char *p = zk_xasprintf("%s/refs.json", s->dir);
    zk_autofree char *text = json_dumps(refs, JSON_SORT_KEYS | JSON_INDENT(1));
    if (!text)
        abort();
    return write_atomic(s->dir, p, text, strlen(text), err);
}

static int image_load(zk_agent_images *s, const char *ref, const char *digest,
                      zk_agent_image *out, zk_err *err)
{
    memset(out, 0, sizeof(*out));
    char *text = NULL;
    size_t len = 0;
    if (read_blob(s, digest, &text, &len, err) < 0)
        return zk_err_wrap(err, "image %s", ref);
    int rc = zk_agent_image_parse_manifest(text, len, out, err);
    free(text);
    if (rc < 0)
        return zk_err_wrap(err, "image %s", ref);
    snprintf(out->ref, sizeof(out->ref), "%s", ref);
    snprintf(out->digest, sizeof(out->digest), "%s", digest);
    return 0;
}

int zk_agent_images_get(zk_agent_images *s, const char *ref, zk_agent_image *out, zk_err *err)
{
    zk_image_ref r;
    if (zk_agent_image_ref_parse(ref, &r, err) < 0)
        return -err->code;
    char norm[600];
    zk_agent_image_ref_string(&r, norm, sizeof(norm));
    json_t *refs = NULL;
    if (refs_load(s, &refs, err) < 0)
        return -err->code;
    zk_autojson json_t *hold = refs;
    const char *digest = zk_json_str(refs, norm);
    if (!digest && !r.tag[0] && r.digest[0]) {
        /* name@digest: any reference of that name whose manifest it is */
        char name[600];
        size_t nl = zk_agent_image_ref_name(&r, name, sizeof(name));
        const char *k;
        json_t *v;
        json_object_foreach(refs, k, v) {
            if (!strncmp(k, name, nl) && (k[nl] == ':' || k[nl] == '@') && json_is_string(v) &&
                !strcmp(json_string_value(v), r.digest))
                digest = r.digest;
        }
    }
    if (!digest)
        return zk_err_set(err, ZK_ENOTFOUND, "image %s is not in the image store", norm);
    return image_load(s, norm, digest, out, err);
}

typedef struct ref_pair {
    const char *ref, *digest;
} ref_pair;

static int ref_pair_cmp(const void *a, const void *b)
{
    return strcmp(((const ref_pair *)a)->ref, ((const ref_pair *)b)->ref);
}

int zk_agent_images_list(zk_agent_images *s, zk_agent_images_each_fn each, void *ctx, zk_err *err)
{
    json_t *refs = NULL;
    if (refs_load(s, &refs, err) < 0)
        return -err->code;
    zk_autojson json_t *hold = refs;
    size_t n = json_object_size(refs), i = 0;
    zk_autofree ref_pair *pairs = zk_xcalloc(n ? n : 1, sizeof(*pairs));
    const char *k;
    json_t *v;
    json_object_foreach(refs, k, v) {
        if (json_is_string(v))
            pairs[i++] = (ref_pair){k, json_string_value(v)};
    }
    qsort(pairs, i, sizeof(*pairs), ref_pair_cmp);
    for (size_t j = 0; j < i; j++) {
        zk_agent_image img;
        zk_err e = {0};
        if (image_load(s, pairs[j].ref, pairs[j].digest, &img, &e) < 0) {
            zk_warn("images: %s", e.msg);
            continue;
        }
        each(ctx, &img);
        zk_agent_image_clear(&img);
    }
    return 0;
}

/* ---- import ---- */

typedef struct entry {
    char *name;
    char digest[ZK_IMAGE_DIGEST_MAX + 1];
    int64_t size;
    bool gzip;        /* starts with the gzip magic */
    bool fresh;       /* this import put the blob into the store */
} entry;

typedef struct import {
    zk_agent_images *s;
    entry *entries;
    size_t n, cap;
    json_t *refs;     /* ref -> digest recorded by this import */
} import;

static const entry *entry_find(const import *im, const char *name)
{
    if (!strncmp(name, "./", 2))
        name += 2;
    for (size_t i = 0; i < im->n; i++)
        if (!strcmp(im->entries[i].name, name))
            return &im->entries[i];
    return NULL;
}

/* Stream the current archive entry into the store. */
static int import_entry(import *im, struct archive *a, const char *name, zk_err *err)
{
    zk_autofree char *tmp = zk_xasprintf("%s/.tmp-XXXXXX", im->s->blobs);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return zk_err_set(err, ZK_EIO, "create a blob file: %s", strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
        abort();
    int64_t size = 0;
    unsigned char head[2] = {0, 0};
    int rc = 0;
    for (;;) {
        const void *buf;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(a, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = zk_err_set(err, ZK_EPARSE, "%s: %s", name, archive_error_string(a));
            break;
        }
        if (off != size) {
            rc = zk_err_set(err, ZK_EUNSUPPORTED, "%s: sparse files are not image content", name);
            break;
        }
        if (size < 2)
            for (size_t i = 0; i < len && size + (int64_t)i < 2; i++)
                head[size + (int64_t)i] = ((const unsigned char *)buf)[i];
        EVP_DigestUpdate(md, buf, len);
        const char *p = buf;
        size_t left = len;
        while (left > 0) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = zk_err_set(err, ZK_EIO, "%s: write to the image store: %s", name,
                                w < 0 ? strerror(errno) : "short write");
                break;
            }
            p += w;
            left -= (size_t)w;
        }
        if (rc < 0)
            break;
        size += (int64_t)len;
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned outlen = 0;
    EVP_DigestFinal_ex(md, out, &outlen);
    EVP_MD_CTX_free(md);
    if (rc == 0 && (fsync(fd) < 0 || fchmod(fd, 0600) < 0))
        rc = zk_err_set(err, ZK_EIO, "%s: sync: %s", name, strerror(errno));
    close(fd);
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    zk_str_hex(hex, out, outlen);
    hex[2 * outlen] = '\0';
    /* An OCI blob's name is its digest: check it. */
    if (!strncmp(name, "blobs/", 6)) {
        const char *slash = strchr(name + 6, '/');
        bool sha = slash && (size_t)(slash - (name + 6)) == 6 && !strncmp(name + 6, "sha256", 6);
        if (sha && strcmp(slash + 1, hex)) {
            unlink(tmp);
            return zk_err_set(err, ZK_EINVAL, "%s: the content's digest is sha256:%s; the "
                              "archive is damaged", name, hex);
        }
    }
    zk_autofree char *final = zk_xasprintf("%s/%s", im->s->blobs, hex);
    bool fresh = false;
    if (access(final, F_OK) == 0) {
        unlink(tmp);
    } else if (rename(tmp, final) == 0) {
        fresh = true;
    } else {
        int e = errno;
        unlink(tmp);
        return zk_err_set(err, ZK_EIO, "store %s: %s", name, strerror(e));
    }
    if (im->n == im->cap) {
        im->cap = im->cap ? im->cap * 2 : 32;
        im->entries = zk_xrealloc(im->entries, im->cap * sizeof(*im->entries));
    }
    entry *e = &im->entries[im->n++];
    memset(e, 0, sizeof(*e));
    e->name = zk_xstrdup(name);
    snprintf(e->digest, sizeof(e->digest), "sha256:%s", hex);
    e->size = size;
    e->gzip = head[0] == 0x1f && head[1] == 0x8b;
    e->fresh = fresh;
    return 0;
}

static bool referenced(const import *im, const char *digest)
{
    const char *k;
    json_t *v;
    json_object_foreach(im->refs, k, v) {
        if (!strcmp(json_string_value(v), digest))
            return true;
        zk_agent_image img;
        zk_err e = {0};
        if (image_load(im->s, k, json_string_value(v), &img, &e) < 0)
            continue;
        bool hit = !strcmp(img.config, digest);
        for (size_t i = 0; !hit && i < img.nlayers; i++)
            hit = !strcmp(img.layers[i].digest, digest);
        zk_agent_image_clear(&img);
        if (hit)
            return true;
    }
    return false;
}

/* The archive's own files (index.json, manifest.json, oci-layout, a Docker
 * layer's VERSION and json) went into the store like the rest; remove the
 * ones this import added that no image it recorded uses. Blobs named by
 * their digest (blobs/...) are left alone: another import may be about to
 * use them; unused blobs are the image garbage collector's. */
static void drop_unused(const import *im)
{
    for (size_t i = 0; i < im->n; i++) {
        const entry *e = &im->entries[i];
        if (!e->fresh || !strncmp(e->name, "blobs/", 6) || referenced(im, e->digest))
            continue;
        zk_autofree char *p = zk_xasprintf("%s/%s", im->s->blobs, e->digest + 7);
        unlink(p);
    }
}

static int read_entry_doc(import *im, const char *name, json_t **out, zk_err *err)
{
    const entry *e = entry_find(im, name);
    if (!e)
        return zk_err_set(err, ZK_ENOTFOUND, "the archive has no %s", name);
    char *text = NULL;
    size_t len = 0;
    if (read_blob(im->s, e->digest, &text, &len, err) < 0)
        return zk_err_wrap(err, "%s", name);
    int rc = zk_json_decode(text, len, out, err);
    free(text);
    if (rc < 0)
        return zk_err_wrap(err, "%s", name);
    return 0;
}

/* Record ref -> digest, after checking that the manifest's blobs are all
 * in the store. */
static int record(import *im, const char *ref_text, const char *digest, zk_err *err)
{
    zk_image_ref r;
    if (zk_agent_image_ref_parse(ref_text, &r, err) < 0)
        return -err->code;
    if (!r.tag[0])
        return zk_err_set(err, ZK_EINVAL, "image name %.300s has no tag", ref_text);
    r.digest[0] = '\0';
    char norm[600];
    zk_agent_image_ref_string(&r, norm, sizeof(norm));
    zk_agent_image img;
    if (image_load(im->s, norm, digest, &img, err) < 0)
        return -err->code;
    char path[1024];
    int rc = zk_agent_images_blob_path(im->s, img.config, path, sizeof(path), err);
    for (size_t i = 0; rc == 0 && i < img.nlayers; i++)
        rc = zk_agent_images_blob_path(im->s, img.layers[i].digest, path, sizeof(path), err);
    zk_agent_image_clear(&img);
    if (rc < 0)
        return zk_err_wrap(err, "image %s", norm);
    json_object_set_new(im->refs, norm, json_string(digest));
    return 0;
}

const char *zk_agent_images_arch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#else
    return "unknown";
#endif
}

static int resolve_index(import *im, const char *digest, char *out, int depth, zk_err *err)
{
    if (depth > 3)
        return zk_err_set(err, ZK_EINVAL, "image indexes nested more than 3 deep");
    char *text = NULL;
    size_t len = 0;
    if (read_blob(im->s, digest, &text, &len, err) < 0)
        return -err->code;
    json_t *doc = NULL;
    int rc = zk_json_decode(text, len, &doc, err);
    free(text);
    if (rc < 0)
        return zk_err_wrap(err, "manifest %s", digest);
    zk_autojson json_t *hold = doc;
    const char *mt = zk_json_str(doc, "mediaType");
    json_t *manifests = json_object_get(doc, "manifests");
    bool is_index = (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) ||
                    (!mt && json_is_array(manifests) && !json_object_get(doc, "layers"));
    if (!is_index) {
        snprintf(out, ZK_IMAGE_DIGEST_MAX + 1, "%s", digest);
        return 0;
    }
    size_t i;
    json_t *m;
    json_array_foreach(manifests, i, m) {
        const char *os = zk_json_path_str(m, "platform", "os", NULL);
        const char *arch = zk_json_path_str(m, "platform", "architecture", NULL);
        if ((!os || !strcmp(os, "linux")) && (!arch || !strcmp(arch, zk_agent_images_arch()))) {
            char d[ZK_IMAGE_DIGEST_MAX + 1];
            if (copy_digest(m, "an index entry", d, NULL, err) < 0)
                return -err->code;
            return resolve_index(im, d, out, depth + 1, err);
        }
    }
    return zk_err_set(err, ZK_ENOTFOUND, "index %s has no manifest for linux/%s", digest,
                      zk_agent_images_arch());
}

static int import_oci(import *im, const char *name, zk_err *err)
{
    json_t *index = NULL;
    if (read_entry_doc(im, "index.json", &index, err) < 0)
        return -err->code;
    zk_autojson json_t *hold = index;
    json_t *manifests = json_object_get(index, "manifests");
    if (!json_is_array(manifests) || json_array_size(manifests) == 0)
        return zk_err_set(err, ZK_EINVAL, "index.json lists no manifests");
    size_t i;
    json_t *m;
    json_array_foreach(manifests, i, m) {
        char digest[ZK_IMAGE_DIGEST_MAX + 1], what[64];
        snprintf(what, sizeof(what), "index.json manifest %zu", i);
        if (copy_digest(m, what, digest, NULL, err) < 0)
            return -err->code;
        char resolved[ZK_IMAGE_DIGEST_MAX + 1];
        if (resolve_index(im, digest, resolved, 0, err) < 0)
            return zk_err_wrap(err, "%s", what);
        const char *full = zk_json_path_str(m, "annotations", "io.containerd.image.name", NULL);
        const char *refname =
            zk_json_path_str(m, "annotations", "org.opencontainers.image.ref.name", NULL);
        char text[1100];
        if (full) {
            snprintf(text, sizeof(text), "%s", full);
        } else if (refname && (strchr(refname, '/') || strchr(refname, ':'))) {
            snprintf(text, sizeof(text), "%s", refname);
        } else if (name) {
            /* the archive names a tag (or nothing): the repository is name's */
            zk_image_ref r;
            if (zk_agent_image_ref_parse(name, &r, err) < 0)
                return zk_err_wrap(err, "--name");
            char base[600];
            zk_agent_image_ref_name(&r, base, sizeof(base));
            const char *tag = refname ? refname : r.tag[0] ? r.tag : "latest";
            if ((size_t)snprintf(text, sizeof(text), "%.300s:%.200s", base, tag) >= sizeof(text))
                return zk_err_set(err, ZK_EINVAL, "image name too long");
        } else {
            return zk_err_set(err, ZK_EINVAL, "%s (%s) has no image name%s%s%s; give one with "
                              "--name", what, digest, refname ? ", only the tag \"" : "",
                              refname ? refname : "", refname ? "\"" : "");
        }
        if (record(im, text, resolved, err) < 0)
            return zk_err_wrap(err, "%s", what);
    }
    return 0;
}

static int import_docker(import *im, const char *name, zk_err *err)
{
    json_t *list = NULL;
    if (read_entry_doc(im, "manifest.json", &list, err) < 0)
        return -err->code;
    zk_autojson json_t *hold = list;
    if (!json_is_array(list) || json_array_size(list) == 0)
        return zk_err_set(err, ZK_EINVAL, "manifest.json is not a list of images");
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        const char *cfg = zk_json_str(m, "Config");
        json_t *layers = json_object_get(m, "Layers");
        if (!cfg || !json_is_array(layers))
            return zk_err_set(err, ZK_EINVAL, "manifest.json image %zu has no Config or Layers", i);
        const entry *ce = entry_find(im, cfg);
        if (!ce)
            return zk_err_set(err, ZK_EINVAL, "manifest.json image %zu: the archive has no %.300s",
                              i, cfg);
        if (json_array_size(layers) > ZK_IMAGES_MAX_LAYERS)
            return zk_err_set(err, ZK_ETOOBIG, "manifest.json image %zu has too many layers", i);
        /* the OCI manifest of this image */
        json_t *man = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[]}", "schemaVersion", 2, "mediaType",
                                MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
                                ce->digest, "size", (json_int_t)ce->size, "layers");
        zk_autojson json_t *mhold = man;
        size_t j;
        json_t *l;
        json_array_foreach(layers, j, l) {
            const entry *le = json_is_string(l) ? entry_find(im, json_string_value(l)) : NULL;
            if (!le)
                return zk_err_set(err, ZK_EINVAL, "manifest.json image %zu layer %zu: the "
                                  "archive has no %.300s", i, j,
                                  json_is_string(l) ? json_string_value(l) : "(not a string)");
            json_array_append_new(json_object_get(man, "layers"),
                                  json_pack("{s:s,s:s,s:I}", "mediaType",
                                            le->gzip ? MT_OCI_LAYER_GZ : MT_OCI_LAYER, "digest",
                                            le->digest, "size", (json_int_t)le->size));
        }
        zk_autofree char *text = json_dumps(man, JSON_COMPACT);
        char digest[ZK_IMAGE_DIGEST_MAX + 1];
        if (zk_agent_images_put_blob(im->s, text, strlen(text), digest, err) < 0)
            return -err->code;
        json_t *tags = json_object_get(m, "RepoTags");
        size_t k;
        json_t *t;
        size_t named = 0;
        json_array_foreach(tags, k, t) {
            if (!json_is_string(t))
                continue;
            if (record(im, json_string_value(t), digest, err) < 0)
                return zk_err_wrap(err, "manifest.json image %zu", i);
            named++;
        }
        if (!named) {
            if (!name)
                return zk_err_set(err, ZK_EINVAL, "manifest.json image %zu has no RepoTags; give "
                                  "a name with --name", i);
            if (record(im, name, digest, err) < 0)
                return zk_err_wrap(err, "--name");
        }
    }
    return 0;
}

int zk_agent_images_import(zk_agent_images *s, const char *path, const char *name,
                           zk_agent_images_each_fn each, void *ctx, zk_err *err)
{
    import im = {.s = s, .refs = json_object()};
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    int rc = 0;
    if (archive_read_open_filename(a, path, 64 << 10) != ARCHIVE_OK) {
        rc = zk_err_set(err, access(path, R_OK) == 0 ? ZK_EPARSE : ZK_EIO,
                        "%s: %s: %s", path,
                        access(path, R_OK) == 0 ? "not a tar archive, or a damaged one"
                                                : "cannot read it",
                        archive_error_string(a));
        goto out;
    }
    for (size_t count = 0;; count++) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = zk_err_set(err, ZK_EPARSE, "%s: not a tar archive, or a damaged one: %s", path,
                            archive_error_string(a));
            goto out;
        }
        if (count >= ZK_IMAGES_MAX_ENTRIES) {
            rc = zk_err_set(err, ZK_ETOOBIG, "%s has more than %d files", path,
                            ZK_IMAGES_MAX_ENTRIES);
            goto out;
        }
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;
        const char *ename = archive_entry_pathname(e);
        if (!ename)
            continue;
        while (!strncmp(ename, "./", 2))
            ename += 2;
        if ((rc = import_entry(&im, a, ename, err)) < 0) {
            zk_err_wrap(err, "%s", path);
            goto out;
        }
    }
    if (entry_find(&im, "index.json"))
        rc = import_oci(&im, name, err);
    else if (entry_find(&im, "manifest.json"))
        rc = import_docker(&im, name, err);
    else
        rc = zk_err_set(err, ZK_EINVAL, "neither index.json (OCI image layout) nor "
                        "manifest.json (docker save) is in the archive");
    if (rc < 0) {
        zk_err_wrap(err, "%s", path);
        goto out;
    }
    /* publish: merge into refs.json under the lock */
    refs_lock l;
    if ((rc = refs_lock_take(s, &l, err)) < 0)
        goto out;
    json_t *refs = NULL;
    if ((rc = refs_load(s, &refs, err)) == 0) {
        json_object_update(refs, im.refs);
        rc = refs_save(s, refs, err);
        json_decref(refs);
    }
    refs_lock_drop(&l);
    if (rc == 0)
        drop_unused(&im);
    if (rc == 0 && each) {
        const char *k;
        json_t *v;
        json_object_foreach(im.refs, k, v) {
            zk_agent_image img;
            if (image_load(s, k, json_string_value(v), &img, err) == 0) {
                each(ctx, &img);
                zk_agent_image_clear(&img);
            }
        }
    }
out:
    archive_read_free(a);
    for (size_t i = 0; i < im.n; i++)
        free(im.entries[i].name);
    free(im.entries);
    json_decref(im.refs);
    return rc;
}

/* ---- for pulls ---- */

int zk_agent_images_blob_tmp(zk_agent_images *s, char *tmp, size_t len, zk_err *err)
{
    snprintf(tmp, len, "%s/.tmp-XXXXXX", s->blobs);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return zk_err_set(err, ZK_EIO, "create a blob file in %s: %s", s->blobs, strerror(errno));
    return fd;
}

int zk_agent_images_blob_commit(zk_agent_images *s, const char *tmp, const char *digest,
                                zk_err *err)
{
    if (!zk_agent_image_digest_valid(digest) || strncmp(digest, "sha256:", 7)) {
        unlink(tmp);
        return zk_err_set(err, ZK_EINVAL, "\"%.140s\" is not a sha256 digest", digest);
    }
    zk_autofree char *final = zk_xasprintf("%s/%s", s->blobs, digest + 7);
    if (access(final, F_OK) == 0) {
        unlink(tmp);
        return 0;
    }
    if (rename(tmp, final) < 0) {
        int e = errno;
        unlink(tmp);
        return zk_err_set(err, ZK_EIO, "store %s: %s", digest, strerror(e));
    }
    sync_dir(s->blobs);
    return 0;
}

int zk_agent_images_read_doc(const char *path, char **out, size_t *len, zk_err *err)
{
    return read_file(path, ZK_IMAGES_MAX_DOC, out, len, err);
}

int zk_agent_images_tag(zk_agent_images *s, const char *ref, const char *digest, zk_err *err)
{
    zk_image_ref r;
    if (zk_agent_image_ref_parse(ref, &r, err) < 0)
        return -err->code;
    char norm[600];
    zk_agent_image_ref_string(&r, norm, sizeof(norm));
    zk_agent_image img;
    if (image_load(s, norm, digest, &img, err) < 0)
        return -err->code;
    char path[1024];
    int rc = zk_agent_images_blob_path(s, img.config, path, sizeof(path), err);
    for (size_t i = 0; rc == 0 && i < img.nlayers; i++)
        rc = zk_agent_images_blob_path(s, img.layers[i].digest, path, sizeof(path), err);
    zk_agent_image_clear(&img);
    if (rc < 0)
        return zk_err_wrap(err, "image %s", norm);
    refs_lock l;
    if ((rc = refs_lock_take(s, &l, err)) < 0)
        return rc;
    json_t *refs = NULL;
    if ((rc = refs_load(s, &refs, err)) == 0) {
        json_object_set_new(refs, norm, json_string(digest));
        rc = refs_save(s, refs, err);
        json_decref(refs);
    }
    refs_lock_drop(&l);
    return rc;
}

/* ---- removal ---- */

/* Mark digest live in set (a JSON object used as a set). */
static void mark(json_t *set, const char *digest)
{
    json_object_set_new(set, digest, json_true());
}

int zk_agent_images_remove(zk_agent_images *s, const char *const *refs, size_t n,
                           int64_t grace_s, int64_t *freed, zk_err *err)
{
    *freed = 0;
    refs_lock l;
    int rc = refs_lock_take(s, &l, err);
    if (rc < 0)
        return rc;
    json_t *doc = NULL;
    if ((rc = refs_load(s, &doc, err)) < 0) {
        refs_lock_drop(&l);
        return rc;
    }
    zk_autojson json_t *hold = doc;
    for (size_t i = 0; i < n; i++)
        json_object_del(doc, refs[i]);
    if ((rc = refs_save(s, doc, err)) < 0) {
        refs_lock_drop(&l);
        return rc;
    }
    /* what the images left use */
    zk_autojson json_t *live = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        const char *digest = json_string_value(v);
        zk_agent_image img;
        zk_err e = {0};
        if (!digest || image_load(s, k, digest, &img, &e) < 0)
            continue;
        mark(live, digest);
        mark(live, img.config);
        for (size_t j = 0; j < img.nlayers; j++)
            mark(live, img.layers[j].digest);
        zk_agent_image_clear(&img);
    }
    /* the rest goes, unless it is new: a pull or import writes its blobs
     * before it names them in refs.json (pulls here are known; another
     * process's import is told by the blobs' age) */
    if (__atomic_load_n(&s->writers, __ATOMIC_SEQ_CST) > 0) {
        refs_lock_drop(&l);
        return 0;
    }
    DIR *d = opendir(s->blobs);
    if (!d) {
        refs_lock_drop(&l);
        return zk_err_set(err, ZK_EIO, "open %s: %s", s->blobs, strerror(errno));
    }
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || strlen(e->d_name) != 64)
            continue;
        char digest[80], path[1200];
        snprintf(digest, sizeof(digest), "sha256:%s", e->d_name);
        if (json_object_get(live, digest))
            continue;
        snprintf(path, sizeof(path), "%s/%s", s->blobs, e->d_name);
        struct stat st;
        if (stat(path, &st) < 0 || now - st.st_mtime < grace_s)
            continue;
        if (unlink(path) == 0)
            *freed += st.st_size;
    }
    closedir(d);
    refs_lock_drop(&l);
    return 0;
}
