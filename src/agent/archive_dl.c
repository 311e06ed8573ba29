/* zke agent: libarchive, loaded when first used.
 *
 * Only image import and layer unpacking read archives, yet a binary linked
 * against libarchive loads it and what it needs (libxml2, ICU, libstdc++,
 * nettle, ...) into every process at start: 2 MB of the node agent's RSS
 * for nothing. zke is not linked against it; these definitions of the
 * functions it uses load libarchive.so.13 on the first call and forward to
 * it. Without the library, archive_read_new() gives NULL and every other
 * call fails with a message that says so. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define ARCHIVE_SONAME "libarchive.so.13"

static struct {
    struct archive *(*read_new)(void);
    int (*support_filter_all)(struct archive *);
    int (*support_format_tar)(struct archive *);
    int (*open_filename)(struct archive *, const char *, size_t);
    int (*next_header)(struct archive *, struct archive_entry **);
    int (*data_block)(struct archive *, const void **, size_t *, la_int64_t *);
    int (*read_free)(struct archive *);
    const char *(*error_string)(struct archive *);
    const char *(*pathname)(struct archive_entry *);
    const char *(*symlink)(struct archive_entry *);
    const char *(*hardlink)(struct archive_entry *);
    la_int64_t (*uid)(struct archive_entry *);
    la_int64_t (*gid)(struct archive_entry *);
    la_int64_t (*size)(struct archive_entry *);
    time_t (*mtime)(struct archive_entry *);
    __LA_MODE_T (*filetype)(struct archive_entry *);
    __LA_MODE_T (*perm)(struct archive_entry *);
} la;

static pthread_once_t la_once = PTHREAD_ONCE_INIT;
static char la_error[300];
static int la_ok;

static void la_load(void)
{
    void *h = dlopen(ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(la_error, sizeof(la_error), "%s could not be loaded: %s", ARCHIVE_SONAME,
                 dlerror());
        return;
    }
#define LA(field, name)                                                                            \
    do {                                                                                           \
        *(void **)&la.field = dlsym(h, name);                                                      \
        if (!la.field) {                                                                           \
            snprintf(la_error, sizeof(la_error), "%s has no %s", ARCHIVE_SONAME, name);            \
            return;                                                                                \
        }                                                                                          \
    } while (0)
    LA(read_new, "archive_read_new");
    LA(support_filter_all, "archive_read_support_filter_all");
    LA(support_format_tar, "archive_read_support_format_tar");
    LA(open_filename, "archive_read_open_filename");
    LA(next_header, "archive_read_next_header");
    LA(data_block, "archive_read_data_block");
    LA(read_free, "archive_read_free");
    LA(error_string, "archive_error_string");
    LA(pathname, "archive_entry_pathname");
    LA(symlink, "archive_entry_symlink");
    LA(hardlink, "archive_entry_hardlink");
    LA(uid, "archive_entry_uid");
    LA(gid, "archive_entry_gid");
    LA(size, "archive_entry_size");
    LA(mtime, "archive_entry_mtime");
    LA(filetype, "archive_entry_filetype");
    LA(perm, "archive_entry_perm");
#undef LA
    la_ok = 1;
}

static int loaded(void)
{
    pthread_once(&la_once, la_load);
    return la_ok;
}

struct archive *archive_read_new(void)
{
    return loaded() ? la.read_new() : NULL;
}

int archive_read_support_filter_all(struct archive *a)
{
    return a ? la.support_filter_all(a) : ARCHIVE_FATAL;
}

int archive_read_support_format_tar(struct archive *a)
{
    return a ? la.support_format_tar(a) : ARCHIVE_FATAL;
}

int archive_read_open_filename(struct archive *a, const char *path, size_t block)
{
    return a ? la.open_filename(a, path, block) : ARCHIVE_FATAL;
}

int archive_read_next_header(struct archive *a, struct archive_entry **e)
{
    return a ? la.next_header(a, e) : ARCHIVE_FATAL;
}

int archive_read_data_block(struct archive *a, const void **buf, size_t *len, la_int64_t *off)
{
    return a ? la.data_block(a, buf, len, off) : ARCHIVE_FATAL;
}

int archive_read_free(struct archive *a)
{
    return a ? la.read_free(a) : ARCHIVE_OK;
}

const char *archive_error_string(struct archive *a)
{
    return a ? la.error_string(a) : la_error;
}

const char *archive_entry_pathname(struct archive_entry *e) { return la.pathname(e); }
const char *archive_entry_symlink(struct archive_entry *e) { return la.symlink(e); }
const char *archive_entry_hardlink(struct archive_entry *e) { return la.hardlink(e); }
la_int64_t archive_entry_uid(struct archive_entry *e) { return la.uid(e); }
la_int64_t archive_entry_gid(struct archive_entry *e) { return la.gid(e); }
la_int64_t archive_entry_size(struct archive_entry *e) { return la.size(e); }
time_t archive_entry_mtime(struct archive_entry *e) { return la.mtime(e); }
__LA_MODE_T archive_entry_filetype(struct archive_entry *e) { return la.filetype(e); }
__LA_MODE_T archive_entry_perm(struct archive_entry *e) { return la.perm(e); }
