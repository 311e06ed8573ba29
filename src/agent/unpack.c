/* zke agent: unpacking image layers into a root filesystem (the "copy"
 * mode; an overlayfs of per-layer directories comes with the runtime).
 *
 * A layer is read twice: first for its whiteouts, which act on the layers
 * below it and so must go before anything of its own is written, then for
 * its entries. Every path is opened with openat2(RESOLVE_IN_ROOT) from a
 * descriptor of the root, and the last component is made with the *at
 * calls on its parent, never following it: a layer cannot write outside the
 * root, whatever its names or symlinks say. */
#include "agent/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"

#define ZK_UNPACK_MAX_DEPTH 512
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

static int open_in_root(int rootfd, const char *rel, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    if (!*rel)
        rel = ".";
    return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
}

/* Split a layer's entry name into a clean relative path (no leading "./"
 * or "/", no empty or "." components) and its last component. Returns
 * false for the root itself and for names ending in "..". */
static bool clean_name(const char *in, char *path, size_t len, const char **base)
{
    size_t o = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0)
            break;
        if (!(n == 1 && p[0] == '.')) {
            if (o + n + 2 > len)
                return false;
            if (o)
                path[o++] = '/';
            memcpy(path + o, p, n);
            o += n;
        }
        p += n;
    }
    path[o] = '\0';
    if (o == 0)
        return false;
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    return strcmp(*base, "..") != 0;
}

/* The parent directory of path inside the root, made when missing. */
static int open_parent(int rootfd, const char *path, const char *base, zk_err *err)
{
    size_t plen = (size_t)(base - path);
    char parent[4096];
    if (plen >= sizeof(parent))
        return zk_err_set(err, ZK_ETOOBIG, "%s: path too long", path);
    memcpy(parent, path, plen);
    parent[plen ? plen - 1 : 0] = '\0';
    int fd = open_in_root(rootfd, parent, O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT)
        return fd >= 0 ? fd : zk_err_set(err, ZK_EIO, "%s: open its directory: %s", path,
                                         strerror(errno));
    /* make the missing directories one by one, each inside the root */
    char sofar[4096];
    size_t n = 0;
    const char *p = parent;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t cn = e ? (size_t)(e - p) : strlen(p);
        char comp[256];
        if (cn >= sizeof(comp))
            return zk_err_set(err, ZK_ETOOBIG, "%s: a name is too long", path);
        memcpy(comp, p, cn);
        comp[cn] = '\0';
        sofar[n] = '\0';
        int pfd = open_in_root(rootfd, sofar, O_PATH | O_DIRECTORY);
        if (pfd < 0)
            return zk_err_set(err, ZK_EIO, "%s: open %s: %s", path, sofar[0] ? sofar : "/",
                              strerror(errno));
        if (!strcmp(comp, "..") || mkdirat(pfd, comp, 0755) == 0 || errno == EEXIST) {
            close(pfd);
        } else {
            int e2 = errno;
            close(pfd);
            return zk_err_set(err, ZK_EIO, "%s: make %s: %s", path, comp, strerror(e2));
        }
        if (n)
            sofar[n++] = '/';
        memcpy(sofar + n, comp, cn);
        n += cn;
        sofar[n] = '\0';
        p += cn;
        while (*p == '/')
            p++;
    }
    fd = open_in_root(rootfd, parent, O_PATH | O_DIRECTORY);
    if (fd < 0)
        return zk_err_set(err, ZK_EIO, "%s: open its directory: %s", path, strerror(errno));
    return fd;
}

/* Remove name in dirfd, a whole tree when it is a directory. */
static int remove_at(int at, const char *name, int depth, zk_err *err)
{
    struct stat sb;
    if (fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : zk_err_set(err, ZK_EIO, "stat %s: %s", name, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        if (depth > ZK_UNPACK_MAX_DEPTH)
            return zk_err_set(err, ZK_ETOOBIG, "directories nested deeper than %d",
                              ZK_UNPACK_MAX_DEPTH);
        int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return zk_err_set(err, ZK_EIO, "open %s: %s", name, strerror(errno));
        DIR *d = fdopendir(fd);
        if (!d) {
            close(fd);
            return zk_err_set(err, ZK_EIO, "read %s: %s", name, strerror(errno));
        }
        struct dirent *e;
        int rc = 0;
        while (rc == 0 && (e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                rc = remove_at(dirfd(d), e->d_name, depth + 1, err);
        closedir(d);
        if (rc < 0)
            return rc;
        if (unlinkat(at, name, AT_REMOVEDIR) < 0)
            return zk_err_set(err, ZK_EIO, "remove %s: %s", name, strerror(errno));
        return 0;
    }
    if (unlinkat(at, name, 0) < 0 && errno != ENOENT)
        return zk_err_set(err, ZK_EIO, "remove %s: %s", name, strerror(errno));
    return 0;
}

/* Remove every child of the directory at path (an opaque whiteout). */
static int empty_dir(int rootfd, const char *path, zk_err *err)
{
    int fd = open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : zk_err_set(err, ZK_EIO, "open %s: %s",
                                                                    path, strerror(errno));
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return zk_err_set(err, ZK_EIO, "read %s: %s", path, strerror(errno));
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            rc = remove_at(dirfd(d), e->d_name, 1, err);
    closedir(d);
    return rc;
}

static struct archive *open_layer(const char *path, zk_err *err)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_filename(a, path, 64 << 10) != ARCHIVE_OK) {
        zk_err_set(err, ZK_EPARSE, "layer %s: not a tar archive, or a damaged one: %s", path,
                   archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* Pass 1: the layer's whiteouts, applied to what the layers below made. */
static int apply_whiteouts(int rootfd, const char *layer, zk_err *err)
{
    struct archive *a = open_layer(layer, err);
    if (!a)
        return -err->code;
    int rc = 0;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = zk_err_set(err, ZK_EPARSE, "layer %s: %s", layer, archive_error_string(a));
            break;
        }
        const char *name = archive_entry_pathname(e);
        char path[4096];
        const char *base;
        if (!name || !clean_name(name, path, sizeof(path), &base) ||
            strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
            continue;
        if (!strcmp(base, WH_OPAQUE)) {
            char dir[4096];
            size_t dl = (size_t)(base - path);
            memcpy(dir, path, dl);
            dir[dl ? dl - 1 : 0] = '\0';
            rc = empty_dir(rootfd, dir, err);
        } else {
            const char *victim = base + strlen(WH_PREFIX);
            if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
                continue;
            size_t dl = (size_t)(base - path);
            char dir[4096];
            memcpy(dir, path, dl);
            dir[dl ? dl - 1 : 0] = '\0';
            int dfd = open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY);
            if (dfd < 0)
                continue; /* nothing below to hide */
            rc = remove_at(dfd, victim, 1, err);
            close(dfd);
        }
        if (rc < 0) {
            zk_err_wrap(err, "layer %s: whiteout %s", layer, path);
            break;
        }
    }
    archive_read_free(a);
    return rc;
}

static int write_data(struct archive *a, int fd, const char *path, zk_err *err)
{
    for (;;) {
        const void *buf;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(a, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return zk_err_set(err, ZK_EPARSE, "%s: %s", path, archive_error_string(a));
        const char *p = buf;
        size_t left = len;
        int64_t at = off;
        while (left > 0) {
            ssize_t w = pwrite(fd, p, left, at);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return zk_err_set(err, ZK_EIO, "write %s: %s", path,
                                  w < 0 ? strerror(errno) : "short write");
            p += w;
            at += w;
            left -= (size_t)w;
        }
    }
    return 0;
}

static int extract_entry(int rootfd, struct archive *a, struct archive_entry *e, const char *path,
                         const char *base, const zk_agent_unpack_opts *o, zk_err *err)
{
    int pfd = open_parent(rootfd, path, base, err);
    if (pfd < 0)
        return pfd;
    int rc = 0;
    mode_t type = archive_entry_filetype(e);
    mode_t perm = archive_entry_perm(e) & 07777;
    const char *hardlink = archive_entry_hardlink(e);
    struct stat sb;
    bool exists = fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    /* what is there goes, unless a directory meets a directory */
    if (exists && !(type == AE_IFDIR && !hardlink && S_ISDIR(sb.st_mode))) {
        if ((rc = remove_at(pfd, base, 1, err)) < 0)
            goto out;
        exists = false;
    }
    struct timespec times[2] = {{.tv_sec = archive_entry_mtime(e), .tv_nsec = 0},
                                {.tv_sec = archive_entry_mtime(e), .tv_nsec = 0}};
    if (hardlink) {
        char tpath[4096];
        const char *tbase;
        if (!clean_name(hardlink, tpath, sizeof(tpath), &tbase)) {
            rc = zk_err_set(err, ZK_EINVAL, "%s: bad hard link target %.200s", path, hardlink);
            goto out;
        }
        int tfd = open_parent(rootfd, tpath, tbase, err);
        if (tfd < 0) {
            rc = tfd;
            goto out;
        }
        if (linkat(tfd, tbase, pfd, base, 0) < 0)
            rc = zk_err_set(err, ZK_EIO, "%s: link to %s: %s", path, tpath, strerror(errno));
        close(tfd);
        goto out;
    }
    switch (type) {
    case AE_IFDIR:
        if (!exists && mkdirat(pfd, base, perm | 0700) < 0) {
            rc = zk_err_set(err, ZK_EIO, "mkdir %s: %s", path, strerror(errno));
            goto out;
        }
        break;
    case AE_IFREG: {
        int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            rc = zk_err_set(err, ZK_EIO, "create %s: %s", path, strerror(errno));
            goto out;
        }
        rc = write_data(a, fd, path, err);
        if (rc == 0 && ftruncate(fd, archive_entry_size(e)) < 0)
            rc = zk_err_set(err, ZK_EIO, "size %s: %s", path, strerror(errno));
        if (rc == 0 && o && o->keep_owner &&
            fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
            rc = zk_err_set(err, ZK_EIO, "chown %s: %s", path, strerror(errno));
        /* after chown, which clears set-user-ID bits */
        if (rc == 0 && fchmod(fd, perm) < 0)
            rc = zk_err_set(err, ZK_EIO, "chmod %s: %s", path, strerror(errno));
        if (rc == 0)
            futimens(fd, times);
        close(fd);
        goto out;
    }
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        if (!target || symlinkat(target, pfd, base) < 0) {
            rc = zk_err_set(err, ZK_EIO, "symlink %s: %s", path,
                            target ? strerror(errno) : "no target");
            goto out;
        }
        if (o && o->keep_owner)
            fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                     AT_SYMLINK_NOFOLLOW);
        utimensat(pfd, base, times, AT_SYMLINK_NOFOLLOW);
        goto out;
    }
    case AE_IFIFO:
        if (mkfifoat(pfd, base, perm) < 0)
            rc = zk_err_set(err, ZK_EIO, "mkfifo %s: %s", path, strerror(errno));
        goto out;
    default:
        /* device nodes and sockets: the runtime provides /dev */
        goto out;
    }
    /* a directory: owner and mode (kept writable for what comes next) */
    if (o && o->keep_owner)
        fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                 AT_SYMLINK_NOFOLLOW);
    if (fchmodat(pfd, base, perm, 0) < 0)
        rc = zk_err_set(err, ZK_EIO, "chmod %s: %s", path, strerror(errno));
out:
    close(pfd);
    return rc;
}

int zk_agent_unpack_layer(const char *rootfs, const char *layer_path,
                          const zk_agent_unpack_opts *o, zk_err *err)
{
    zk_autoclose int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return zk_err_set(err, ZK_EIO, "open %s: %s", rootfs, strerror(errno));
    if (apply_whiteouts(rootfd, layer_path, err) < 0)
        return -err->code;
    struct archive *a = open_layer(layer_path, err);
    if (!a)
        return -err->code;
    int rc = 0;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = zk_err_set(err, ZK_EPARSE, "layer %s: %s", layer_path, archive_error_string(a));
            break;
        }
        const char *name = archive_entry_pathname(e);
        char path[4096];
        const char *base;
        if (!name || !clean_name(name, path, sizeof(path), &base) ||
            !strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
            continue;
        if ((rc = extract_entry(rootfd, a, e, path, base, o, err)) < 0) {
            zk_err_wrap(err, "layer %s", layer_path);
            break;
        }
    }
    archive_read_free(a);
    return rc;
}

int zk_agent_unpack_image(zk_agent_images *s, const zk_agent_image *img, const char *rootfs,
                          const zk_agent_unpack_opts *o, zk_err *err)
{
    if (mkdir(rootfs, 0755) < 0 && errno != EEXIST)
        return zk_err_set(err, ZK_EIO, "mkdir %s: %s", rootfs, strerror(errno));
    DIR *d = opendir(rootfs);
    if (!d)
        return zk_err_set(err, ZK_EIO, "open %s: %s", rootfs, strerror(errno));
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = false;
    closedir(d);
    if (!empty)
        return zk_err_set(err, ZK_EEXIST, "%s is not empty", rootfs);
    for (size_t i = 0; i < img->nlayers; i++) {
        char path[1024];
        if (zk_agent_images_blob_path(s, img->layers[i].digest, path, sizeof(path), err) < 0 ||
            zk_agent_unpack_layer(rootfs, path, o, err) < 0)
            return zk_err_wrap(err, "unpack %s layer %zu", img->ref, i);
    }
    return 0;
}
