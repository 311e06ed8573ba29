/* zke agent: the registries file (see registries.h). */
#include "agent/registries.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/yaml.h"

struct zk_registries {
    json_t *doc;   /* validated */
};

static bool only_keys(const json_t *obj, const char *const *keys, const char **bad)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        bool ok = false;
        for (const char *const *p = keys; *p; p++)
            ok |= !strcmp(k, *p);
        if (!ok) {
            *bad = k;
            return false;
        }
    }
    return true;
}

static bool url_ok(const char *u)
{
    if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
        return false;
    if (strlen(u) > 500)
        return false;
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    /* a host after the scheme */
    const char *host = strstr(u, "://") + 3;
    return *host && *host != '/';
}

/* Whether a rewrite pattern is small enough for regcomp: glibc copies the
 * tree of a quantified expression for every quantifier stacked on it and
 * for every count of a {n,m}, so "a++++..." or "(a{99}){99}" takes
 * gigabytes. Patterns are at most 256 bytes with at most 32 quantifiers,
 * none stacked on another, at most 4 on groups, and counts of at most 100
 * whose product is at most 1000. */
#define REWRITE_MAX_LEN 256
#define REWRITE_MAX_QUANT 32
#define REWRITE_MAX_COUNT 100

static bool regex_bounded(const char *re, char *why, size_t n)
{
    size_t len = strlen(re);
    if (len > REWRITE_MAX_LEN) {
        snprintf(why, n, "longer than %d bytes", REWRITE_MAX_LEN);
        return false;
    }
    int quants = 0, group_quants = 0;
    long product = 1;
    char prev = 0;   /* the last significant character */
    for (size_t i = 0; i < len; i++) {
        char c = re[i];
        if (c == '\\' && i + 1 < len) {
            prev = 'x';
            i++;
            continue;
        }
        if (c == '[') {
            /* a bracket expression: its characters are literal */
            size_t j = i + 1;
            if (j < len && re[j] == '^')
                j++;
            if (j < len && re[j] == ']')
                j++;
            while (j < len && re[j] != ']')
                j++;
            i = j;
            prev = 'x';
            continue;
        }
        bool quant = c == '*' || c == '+' || c == '?' || c == '{';
        if (quant) {
            if (prev == '*' || prev == '+' || prev == '?' || prev == '}') {
                snprintf(why, n, "a quantifier stacked on another");
                return false;
            }
            if (++quants > REWRITE_MAX_QUANT) {
                snprintf(why, n, "more than %d quantifiers", REWRITE_MAX_QUANT);
                return false;
            }
            if (prev == ')' && ++group_quants > 4) {
                snprintf(why, n, "more than 4 quantified groups");
                return false;
            }
            if (c == '{') {
                char *end;
                const char *p = re + i + 1;
                for (int k = 0; k < 2; k++) {
                    long v = strtol(p, &end, 10);
                    if (end != p && v > REWRITE_MAX_COUNT) {
                        snprintf(why, n, "a count over %d", REWRITE_MAX_COUNT);
                        return false;
                    }
                    if (end != p && v > 1 && (product *= v) > 1000) {
                        snprintf(why, n, "counts that multiply past 1000");
                        return false;
                    }
                    if (*end != ',')
                        break;
                    p = end + 1;
                }
                const char *close = strchr(re + i, '}');
                if (!close) {
                    prev = '{';
                    continue;
                }
                i = (size_t)(close - re);
                prev = '}';
                continue;
            }
        }
        prev = c;
    }
    return true;
}

static int check_mirror(const char *name, const json_t *m, zk_err *err)
{
    static const char *const keys[] = {"endpoint", "rewrite", NULL};
    const char *bad = NULL;
    if (!json_is_object(m))
        return zk_err_set(err, ZK_EINVAL, "mirrors.%s: not a map", name);
    if (!only_keys(m, keys, &bad))
        return zk_err_set(err, ZK_EINVAL, "mirrors.%s: unknown field \"%s\" (endpoint, rewrite)",
                          name, bad);
    const json_t *ep = json_object_get(m, "endpoint");
    if (ep && !json_is_array(ep))
        return zk_err_set(err, ZK_EINVAL, "mirrors.%s.endpoint: not a list", name);
    if (json_array_size(ep) > ZK_REGISTRIES_MAX_ENDPOINTS)
        return zk_err_set(err, ZK_EINVAL, "mirrors.%s.endpoint: more than %d", name,
                          ZK_REGISTRIES_MAX_ENDPOINTS);
    size_t i;
    json_t *v;
    json_array_foreach(ep, i, v) {
        if (!json_is_string(v) || !url_ok(json_string_value(v)))
            return zk_err_set(err, ZK_EINVAL, "mirrors.%s.endpoint[%zu]: not an http:// or "
                              "https:// URL", name, i);
    }
    const json_t *rw = json_object_get(m, "rewrite");
    if (rw && !json_is_object(rw))
        return zk_err_set(err, ZK_EINVAL, "mirrors.%s.rewrite: not a map", name);
    const char *k;
    json_object_foreach((json_t *)rw, k, v) {
        if (!json_is_string(v))
            return zk_err_set(err, ZK_EINVAL, "mirrors.%s.rewrite[\"%.100s\"]: not a string",
                              name, k);
        char why[120];
        if (!regex_bounded(k, why, sizeof(why)))
            return zk_err_set(err, ZK_EINVAL, "mirrors.%s.rewrite: \"%.100s\" is refused: %s",
                              name, k, why);
        regex_t re;
        int rc = regcomp(&re, k, REG_EXTENDED);
        if (rc != 0) {
            char msg[200];
            regerror(rc, &re, msg, sizeof(msg));
            return zk_err_set(err, ZK_EINVAL, "mirrors.%s.rewrite: \"%.100s\" is not a regular "
                              "expression: %s", name, k, msg);
        }
        regfree(&re);
    }
    return 0;
}

static int check_config(const char *name, const json_t *c, bool *has_secret, zk_err *err)
{
    static const char *const keys[] = {"auth", "tls", NULL};
    static const char *const auth_keys[] = {"username", "password", "auth", "identitytoken", NULL};
    static const char *const tls_keys[] = {"insecure_skip_verify", "ca_file", "cert_file",
                                           "key_file", NULL};
    const char *bad = NULL;
    if (!json_is_object(c))
        return zk_err_set(err, ZK_EINVAL, "configs.%s: not a map", name);
    if (!only_keys(c, keys, &bad))
        return zk_err_set(err, ZK_EINVAL, "configs.%s: unknown field \"%s\" (auth, tls)", name, bad);
    const json_t *auth = json_object_get(c, "auth");
    if (auth) {
        if (!json_is_object(auth) || !only_keys(auth, auth_keys, &bad))
            return zk_err_set(err, ZK_EINVAL, "configs.%s.auth: %s%s%s", name,
                              json_is_object(auth) ? "unknown field \"" : "not a map",
                              json_is_object(auth) ? bad : "", json_is_object(auth) ? "\"" : "");
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)auth, k, v) {
            if (!json_is_string(v))
                return zk_err_set(err, ZK_EINVAL, "configs.%s.auth.%s: not a string", name, k);
            *has_secret = true;
        }
    }
    const json_t *tls = json_object_get(c, "tls");
    if (tls) {
        if (!json_is_object(tls) || !only_keys(tls, tls_keys, &bad))
            return zk_err_set(err, ZK_EINVAL, "configs.%s.tls: %s%s%s", name,
                              json_is_object(tls) ? "unknown field \"" : "not a map",
                              json_is_object(tls) ? bad : "", json_is_object(tls) ? "\"" : "");
        json_t *isv = json_object_get(tls, "insecure_skip_verify");
        if (isv && !json_is_boolean(isv))
            return zk_err_set(err, ZK_EINVAL, "configs.%s.tls.insecure_skip_verify: not a boolean",
                              name);
        static const char *const files[] = {"ca_file", "cert_file", "key_file"};
        for (size_t i = 0; i < 3; i++) {
            json_t *f = json_object_get(tls, files[i]);
            if (f && !json_is_string(f))
                return zk_err_set(err, ZK_EINVAL, "configs.%s.tls.%s: not a string", name, files[i]);
        }
    }
    return 0;
}

static int parse_doc(json_t *doc, bool *has_secret, zk_err *err)
{
    static const char *const keys[] = {"mirrors", "configs", NULL};
    const char *bad = NULL;
    if (json_is_null(doc))
        return 0;
    if (!json_is_object(doc))
        return zk_err_set(err, ZK_EINVAL, "registries: not a map");
    if (!only_keys(doc, keys, &bad))
        return zk_err_set(err, ZK_EINVAL, "registries: unknown field \"%s\" (mirrors, configs)", bad);
    const char *k;
    json_t *v;
    json_t *mirrors = json_object_get(doc, "mirrors");
    if (mirrors && !json_is_object(mirrors))
        return zk_err_set(err, ZK_EINVAL, "mirrors: not a map");
    json_object_foreach(mirrors, k, v) {
        if (check_mirror(k, v, err) < 0)
            return -err->code;
    }
    json_t *configs = json_object_get(doc, "configs");
    if (configs && !json_is_object(configs))
        return zk_err_set(err, ZK_EINVAL, "configs: not a map");
    json_object_foreach(configs, k, v) {
        if (check_config(k, v, has_secret, err) < 0)
            return -err->code;
    }
    return 0;
}

int zk_registries_parse(const char *text, size_t len, zk_registries **out, zk_err *err)
{
    *out = NULL;
    json_t *doc = NULL;
    if (zk_yaml_decode_max(text, len, ZK_REGISTRIES_MAX_BYTES, &doc, err) < 0)
        return zk_err_wrap(err, "registries");
    bool secret = false;
    if (parse_doc(doc, &secret, err) < 0) {
        json_decref(doc);
        return -err->code;
    }
    zk_registries *r = zk_xcalloc(1, sizeof(*r));
    r->doc = json_is_object(doc) ? doc : (json_decref(doc), json_object());
    *out = r;
    return 0;
}

int zk_registries_load(const char *path, zk_registries **out, zk_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return zk_registries_parse("{}", 2, out, err);
        return zk_err_set(err, ZK_EIO, "open %s: %s", path, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0 || sb.st_size > (off_t)ZK_REGISTRIES_MAX_BYTES) {
        close(fd);
        return zk_err_set(err, ZK_ETOOBIG, "%s: missing or larger than %u bytes", path,
                          ZK_REGISTRIES_MAX_BYTES);
    }
    char *text = zk_xmalloc((size_t)sb.st_size + 1);
    ssize_t n = read(fd, text, (size_t)sb.st_size);
    close(fd);
    if (n != sb.st_size) {
        free(text);
        return zk_err_set(err, ZK_EIO, "read %s: %s", path, n < 0 ? strerror(errno) : "short");
    }
    json_t *doc = NULL;
    int rc = zk_yaml_decode_max(text, (size_t)n, ZK_REGISTRIES_MAX_BYTES, &doc, err);
    free(text);
    if (rc < 0)
        return zk_err_wrap(err, "%s", path);
    bool secret = false;
    if (parse_doc(doc, &secret, err) < 0) {
        json_decref(doc);
        return zk_err_wrap(err, "%s", path);
    }
    if (secret && (sb.st_mode & 077)) {
        json_decref(doc);
        return zk_err_set(err, ZK_EFORBIDDEN, "%s holds registry credentials and others can read "
                          "it (mode %04o): chmod 600 %s", path, (unsigned)(sb.st_mode & 07777), path);
    }
    zk_registries *r = zk_xcalloc(1, sizeof(*r));
    r->doc = json_is_object(doc) ? doc : (json_decref(doc), json_object());
    *out = r;
    return 0;
}

void zk_registries_free(zk_registries *r)
{
    if (!r)
        return;
    json_decref(r->doc);
    free(r);
}

/* Apply the first rewrite rule that matches path (file order). */
static void rewrite(const json_t *rules, const char *path, char *out, size_t len)
{
    snprintf(out, len, "%s", path);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)rules, k, v) {
        regex_t re;
        if (regcomp(&re, k, REG_EXTENDED) != 0)
            continue;
        regmatch_t m[10];
        int hit = regexec(&re, path, 10, m, 0) == 0;
        regfree(&re);
        if (!hit)
            continue;
        /* the matched part replaced, $N and ${N} from the groups */
        char buf[1024];
        size_t o = 0;
        for (regoff_t i = 0; i < m[0].rm_so && o + 1 < sizeof(buf); i++)
            buf[o++] = path[i];
        for (const char *r = json_string_value(v); *r && o + 1 < sizeof(buf); r++) {
            int g = -1;
            if (r[0] == '$' && r[1] >= '0' && r[1] <= '9') {
                g = r[1] - '0';
                r += 1;
            } else if (r[0] == '$' && r[1] == '{' && r[2] >= '0' && r[2] <= '9' && r[3] == '}') {
                g = r[2] - '0';
                r += 3;
            }
            if (g < 0) {
                buf[o++] = *r;
                continue;
            }
            if (m[g].rm_so < 0)
                continue;
            for (regoff_t i = m[g].rm_so; i < m[g].rm_eo && o + 1 < sizeof(buf); i++)
                buf[o++] = path[i];
        }
        for (const char *t = path + m[0].rm_eo; *t && o + 1 < sizeof(buf); t++)
            buf[o++] = *t;
        buf[o] = '\0';
        size_t bl = strnlen(buf, len - 1);
        memcpy(out, buf, bl);
        out[bl] = '\0';
        return;
    }
}

static void host_of(const char *url, char *out, size_t len)
{
    const char *sep = strstr(url, "://");
    const char *h = sep ? sep + 3 : url;
    size_t n = strcspn(h, "/");
    if (n >= len)
        n = len - 1;
    memcpy(out, h, n);
    out[n] = '\0';
}

static void fill_config(const zk_registries *r, const char *host, zk_registry_try *t)
{
    const json_t *c = json_object_get(json_object_get(r->doc, "configs"), host);
    const json_t *auth = json_object_get(c, "auth");
    t->username = zk_json_str(auth, "username");
    t->password = zk_json_str(auth, "password");
    const json_t *tls = json_object_get(c, "tls");
    if (json_is_true(json_object_get(tls, "insecure_skip_verify")))
        t->insecure = true;
    t->ca_file = zk_json_str(tls, "ca_file");
}

size_t zk_registries_plan(const zk_registries *r, const zk_image_ref *ref, zk_registry_try *out,
                          size_t max)
{
    size_t n = 0;
    const json_t *mirrors = r ? json_object_get(r->doc, "mirrors") : NULL;
    const json_t *m = json_object_get(mirrors, ref->domain);
    if (!m)
        m = json_object_get(mirrors, "*");
    size_t i;
    json_t *ep;
    json_array_foreach(json_object_get(m, "endpoint"), i, ep) {
        if (n >= max)
            return n;
        zk_registry_try *t = &out[n++];
        memset(t, 0, sizeof(*t));
        snprintf(t->endpoint, sizeof(t->endpoint), "%s", json_string_value(ep));
        size_t el = strlen(t->endpoint);
        while (el && t->endpoint[el - 1] == '/')
            t->endpoint[--el] = '\0';
        rewrite(json_object_get(m, "rewrite"), ref->path, t->path, sizeof(t->path));
        char host[300];
        host_of(t->endpoint, host, sizeof(host));
        t->insecure = !strncmp(t->endpoint, "http://", 7);
        if (r)
            fill_config(r, host, t);
    }
    if (n >= max)
        return n;
    /* the registry itself, last */
    zk_registry_try *t = &out[n++];
    memset(t, 0, sizeof(*t));
    const char *host = strcmp(ref->domain, "docker.io") ? ref->domain : "registry-1.docker.io";
    bool loopback = !strncmp(ref->domain, "127.", 4) || !strncmp(ref->domain, "localhost", 9) ||
                    !strncmp(ref->domain, "[::1]", 5);
    snprintf(t->endpoint, sizeof(t->endpoint), "%s://%s", loopback ? "http" : "https", host);
    snprintf(t->path, sizeof(t->path), "%s", ref->path);
    t->insecure = loopback;
    if (r)
        fill_config(r, ref->domain, t);
    return n;
}
