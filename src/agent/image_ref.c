/* zke agent: image references, following the grammar of the distribution
 * project's reference package and Docker's normalization of short names. */
#include "agent/image_ref.h"

#include <stdio.h>
#include <string.h>

/* A bounded copy (snprintf here trips a false -Wformat-truncation "null
 * destination" in GCC under ASan). */
static void set_str(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool hex_lower(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* path-component: [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* */
static bool path_component_valid(const char *s, size_t n)
{
    if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n;) {
        if (lower_alnum(s[i])) {
            i++;
            continue;
        }
        size_t sep = i;
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < n && s[i] == '_')
                i++;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return false;
        }
        if (i == sep || i >= n || !lower_alnum(s[i]))
            return false;
    }
    return true;
}

/* domain: host components of [A-Za-z0-9-] separated by '.', an optional
 * ":port"; or a bracketed IPv6 address with an optional port. */
static bool domain_valid(const char *s, size_t n)
{
    if (n == 0)
        return false;
    size_t host_end = n;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close == s + 1)
            return false;
        for (const char *p = s + 1; p < close; p++)
            if (!(hex_lower(*p) || (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
                return false;
        host_end = (size_t)(close - s) + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon)
            host_end = (size_t)(colon - s);
        if (host_end == 0)
            return false;
        size_t comp = 0;
        for (size_t i = 0; i <= host_end; i++) {
            char c = i < host_end ? s[i] : '.';
            if (c == '.') {
                if (comp == 0 || s[i - 1] == '-')
                    return false;
                comp = 0;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || (c == '-' && comp > 0)) {
                comp++;
            } else {
                return false;
            }
        }
    }
    if (host_end == n)
        return true;
    if (s[host_end] != ':' || host_end + 1 == n || n - host_end - 1 > 5)
        return false;
    for (size_t i = host_end + 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool zk_agent_image_digest_valid(const char *s)
{
    size_t want;
    if (!strncmp(s, "sha256:", 7))
        want = 64;
    else if (!strncmp(s, "sha512:", 7))
        want = 128;
    else
        return false;
    const char *h = s + 7;
    size_t n = strlen(h);
    if (n != want)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!hex_lower(h[i]))
            return false;
    return true;
}

static bool tag_valid(const char *s, size_t n)
{
    if (n == 0 || n > ZK_IMAGE_TAG_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
        if (!word && (i == 0 || (c != '.' && c != '-')))
            return false;
    }
    return true;
}

int zk_agent_image_ref_parse(const char *s, zk_image_ref *out, zk_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!s || !*s)
        return zk_err_set(err, ZK_EINVAL, "image reference is empty");
    size_t len = strlen(s);
    if (len > ZK_IMAGE_NAME_MAX + 1 + ZK_IMAGE_TAG_MAX + 1 + ZK_IMAGE_DIGEST_MAX)
        return zk_err_set(err, ZK_EINVAL, "image reference is %zu bytes long, more than an "
                          "image name, tag and digest can be", len);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return zk_err_set(err, ZK_EINVAL, "image reference \"%.200s\" has a space or a "
                              "character that is not printable ASCII", s);

    /* digest */
    size_t name_end = len;
    const char *at = strchr(s, '@');
    if (at) {
        if (!zk_agent_image_digest_valid(at + 1))
            return zk_err_set(err, ZK_EINVAL, "image reference \"%.200s\": \"%.140s\" is not a "
                              "digest (sha256: and 64 lowercase hex digits)", s, at + 1);
        set_str(out->digest, sizeof(out->digest), at + 1, strlen(at + 1));
        name_end = (size_t)(at - s);
    }
    /* tag: a ':' after the last '/' */
    size_t last_slash = 0;
    bool has_slash = false;
    for (size_t i = 0; i < name_end; i++)
        if (s[i] == '/')
            last_slash = i, has_slash = true;
    const char *colon = NULL;
    for (size_t i = has_slash ? last_slash : 0; i < name_end; i++)
        if (s[i] == ':')
            colon = s + i;
    if (colon) {
        size_t tn = name_end - (size_t)(colon - s) - 1;
        if (!tag_valid(colon + 1, tn))
            return zk_err_set(err, ZK_EINVAL, "image reference \"%.200s\": tag \"%.*s\" is not "
                              "valid (letters, digits, '_', '.', '-', not starting with '.' or "
                              "'-', at most %d)", s, (int)(tn > 130 ? 130 : tn), colon + 1,
                              ZK_IMAGE_TAG_MAX);
        memcpy(out->tag, colon + 1, tn);
        name_end = (size_t)(colon - s);
    }
    if (name_end == 0)
        return zk_err_set(err, ZK_EINVAL, "image reference \"%.200s\" has no name", s);

    /* domain: the first component, when it looks like a host */
    const char *name = s;
    size_t nlen = name_end;
    const char *slash = memchr(name, '/', nlen);
    size_t first = slash ? (size_t)(slash - name) : nlen;
    bool is_domain = slash && (memchr(name, '.', first) || memchr(name, ':', first) ||
                               (first == 9 && !memcmp(name, "localhost", 9)) || name[0] == '[');
    const char *path = name;
    size_t plen = nlen;
    if (is_domain) {
        if (!domain_valid(name, first))
            return zk_err_set(err, ZK_EINVAL, "image reference \"%.200s\": \"%.*s\" is not a "
                              "registry host[:port]", s, (int)(first > 200 ? 200 : first), name);
        memcpy(out->domain, name, first);
        path = slash + 1;
        plen = nlen - first - 1;
    } else {
        set_str(out->domain, sizeof(out->domain), "docker.io", 9);
    }
    /* "docker.io/busybox" and "index.docker.io/busybox" mean library/busybox */
    if (!strcmp(out->domain, "index.docker.io"))
        set_str(out->domain, sizeof(out->domain), "docker.io", 9);
    bool hub = !strcmp(out->domain, "docker.io");
    bool one = !memchr(path, '/', plen);
    size_t need = (hub && one ? 8 : 0) + plen;
    if (plen == 0 || strlen(out->domain) + 1 + need > ZK_IMAGE_NAME_MAX)
        return zk_err_set(err, ZK_EINVAL, "image reference \"%.200s\": the name is empty or "
                          "longer than %d", s, ZK_IMAGE_NAME_MAX);
    for (size_t i = 0; i < plen;) {
        const char *c = path + i;
        const char *e = memchr(c, '/', plen - i);
        size_t cn = e ? (size_t)(e - c) : plen - i;
        if (!path_component_valid(c, cn))
            return zk_err_set(err, ZK_EINVAL, "image reference \"%.200s\": \"%.*s\" is not a "
                              "valid name component (lowercase letters and digits, separated "
                              "by '.', '_', '__' or '-')", s, (int)(cn > 200 ? 200 : cn), c);
        i += cn + 1;
        if (e && i == plen)
            return zk_err_set(err, ZK_EINVAL, "image reference \"%.200s\" ends in '/'", s);
    }
    snprintf(out->path, sizeof(out->path), "%s%.*s", hub && one ? "library/" : "", (int)plen,
             path);
    if (!out->tag[0] && !out->digest[0])
        set_str(out->tag, sizeof(out->tag), "latest", 6);
    return 0;
}

size_t zk_agent_image_ref_name(const zk_image_ref *r, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s", r->domain, r->path);
    return n < 0 ? 0 : (size_t)n;
}

size_t zk_agent_image_ref_string(const zk_image_ref *r, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s%s%s%s%s", r->domain, r->path, r->tag[0] ? ":" : "", r->tag,
                     r->digest[0] ? "@" : "", r->digest);
    return n < 0 ? 0 : (size_t)n;
}
