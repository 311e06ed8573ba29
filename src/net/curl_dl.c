/* zke: libcurl, loaded when first used.
 *
 * Debian's libcurl brings GnuTLS, p11-kit, Kerberos, LDAP, libssh2, librtmp
 * and more into every process that links it: about 4 MiB of a node agent's
 * resident memory, for an agent that speaks HTTPS through zke's own client
 * (net/h1client.c, decision 011) and needs curl only to pull an image.
 * zke is not linked against libcurl; these definitions of the functions it
 * uses load libcurl.so.4 on the first call and forward to it, as
 * agent/archive_dl.c does for libarchive. Without the library every call
 * fails (curl_global_init and curl_easy_strerror say why). */
#define CURL_DISABLE_TYPECHECK   /* the header's type-checking macros would hide these */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/log.h"

#define CURL_SONAME "libcurl.so.4"

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    char *(*easy_escape)(CURL *, const char *, int);
    void (*free_)(void *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
    CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ok;
static char why[300] = "libcurl is not loaded";

static void load(void)
{
    void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, sizeof(why), "%s could not be loaded: %s", CURL_SONAME, dlerror());
        zk_warn("%s", why);
        return;
    }
#define SYM(field, name)                                                                           \
    do {                                                                                           \
        *(void **)&fn.field = dlsym(h, name);                                                      \
        if (!fn.field) {                                                                           \
            snprintf(why, sizeof(why), "%s has no %s", CURL_SONAME, name);                         \
            zk_warn("%s", why);                                                                    \
            return;                                                                                \
        }                                                                                          \
    } while (0)
    SYM(global_init, "curl_global_init");
    SYM(easy_init, "curl_easy_init");
    SYM(easy_cleanup, "curl_easy_cleanup");
    SYM(easy_perform, "curl_easy_perform");
    SYM(easy_setopt, "curl_easy_setopt");
    SYM(easy_getinfo, "curl_easy_getinfo");
    SYM(easy_strerror, "curl_easy_strerror");
    SYM(easy_escape, "curl_easy_escape");
    SYM(free_, "curl_free");
    SYM(slist_append, "curl_slist_append");
    SYM(slist_free_all, "curl_slist_free_all");
    SYM(multi_init, "curl_multi_init");
    SYM(multi_cleanup, "curl_multi_cleanup");
    SYM(multi_setopt, "curl_multi_setopt");
    SYM(multi_add_handle, "curl_multi_add_handle");
    SYM(multi_remove_handle, "curl_multi_remove_handle");
    SYM(multi_socket_action, "curl_multi_socket_action");
    SYM(multi_assign, "curl_multi_assign");
    SYM(multi_info_read, "curl_multi_info_read");
#undef SYM
    ok = true;
}

static bool ready(void)
{
    pthread_once(&once, load);
    return ok;
}

CURLcode curl_global_init(long flags)
{
    return ready() ? fn.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
    return ready() ? fn.easy_init() : NULL;
}

void curl_easy_cleanup(CURL *e)
{
    if (e && ready())
        fn.easy_cleanup(e);
}

CURLcode curl_easy_perform(CURL *e)
{
    return ready() ? fn.easy_perform(e) : CURLE_FAILED_INIT;
}

/* The option's number says the type of its argument (curl.h's
 * CURLOPTTYPE_* ranges), so the argument is read as that type and passed
 * on as it came. */
CURLcode curl_easy_setopt(CURL *e, CURLoption opt, ...)
{
    if (!ready())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, opt);
    CURLcode rc;
    if (opt < CURLOPTTYPE_OBJECTPOINT)
        rc = fn.easy_setopt(e, opt, va_arg(ap, long));
    else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
        rc = fn.easy_setopt(e, opt, va_arg(ap, void *));
    else if (opt < CURLOPTTYPE_OFF_T)
        rc = fn.easy_setopt(e, opt, va_arg(ap, void (*)(void)));
    else if (opt < CURLOPTTYPE_BLOB)
        rc = fn.easy_setopt(e, opt, va_arg(ap, curl_off_t));
    else
        rc = fn.easy_setopt(e, opt, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_getinfo(CURL *e, CURLINFO info, ...)
{
    if (!ready())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    CURLcode rc = fn.easy_getinfo(e, info, va_arg(ap, void *));   /* always a pointer */
    va_end(ap);
    return rc;
}

const char *curl_easy_strerror(CURLcode rc)
{
    return ready() ? fn.easy_strerror(rc) : why;
}

char *curl_easy_escape(CURL *e, const char *s, int len)
{
    return ready() ? fn.easy_escape(e, s, len) : NULL;
}

void curl_free(void *p)
{
    if (p && ready())
        fn.free_(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
    return ready() ? fn.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
    if (l && ready())
        fn.slist_free_all(l);
}

CURLM *curl_multi_init(void)
{
    return ready() ? fn.multi_init() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
    return ready() ? fn.multi_cleanup(m) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
    if (!ready())
        return CURLM_INTERNAL_ERROR;
    va_list ap;
    va_start(ap, opt);
    CURLMcode rc;
    if (opt < CURLOPTTYPE_OBJECTPOINT)
        rc = fn.multi_setopt(m, opt, va_arg(ap, long));
    else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
        rc = fn.multi_setopt(m, opt, va_arg(ap, void *));
    else if (opt < CURLOPTTYPE_OFF_T)
        rc = fn.multi_setopt(m, opt, va_arg(ap, void (*)(void)));
    else
        rc = fn.multi_setopt(m, opt, va_arg(ap, curl_off_t));
    va_end(ap);
    return rc;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *e)
{
    return ready() ? fn.multi_add_handle(m, e) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *e)
{
    return ready() ? fn.multi_remove_handle(m, e) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s, int mask, int *running)
{
    return ready() ? fn.multi_socket_action(m, s, mask, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_assign(CURLM *m, curl_socket_t s, void *p)
{
    return ready() ? fn.multi_assign(m, s, p) : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
    return ready() ? fn.multi_info_read(m, left) : NULL;
}
