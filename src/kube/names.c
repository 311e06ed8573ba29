#include "kube/names.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Regular expressions as Kubernetes prints them in its messages. */
#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1035_LABEL_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define QUALIFIED_NAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define LABEL_VALUE_FMT "(" QUALIFIED_NAME_FMT ")?"
#define C_IDENTIFIER_FMT "[A-Za-z_][A-Za-z0-9_]*"
#define CONFIG_MAP_KEY_FMT "[-._a-zA-Z0-9]+"
#define PERCENT_FMT "[0-9]+%"
#define HTTP_HEADER_FMT "[-A-Za-z0-9]+"
#define WILDCARD_FMT "\\*\\." DNS1123_SUBDOMAIN_FMT

#define MSG_DNS1123_LABEL                                                                  \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "    \
    "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "     \
    "'123-abc', regex used for validation is '" DNS1123_LABEL_FMT "')"
#define MSG_DNS1123_SUBDOMAIN                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "  \
    "'-' or '.', and must start and end with an alphanumeric character (e.g. "             \
    "'example.com', regex used for validation is '" DNS1123_SUBDOMAIN_FMT "')"
#define MSG_DNS1035_LABEL                                                                  \
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "   \
    "with an alphabetic character, and end with an alphanumeric character (e.g. "          \
    "'my-name',  or 'abc-123', regex used for validation is '" DNS1035_LABEL_FMT "')"
#define MSG_QUALIFIED_NAME_BODY                                                            \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "    \
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "  \
    "used for validation is '" QUALIFIED_NAME_FMT "')"
#define MSG_LABEL_VALUE                                                                    \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', "   \
    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  " \
    "or 'my_value',  or '12345', regex used for validation is '" LABEL_VALUE_FMT "')"
#define MSG_C_IDENTIFIER                                                                   \
    "a valid C identifier must start with alphabetic character or '_', followed by a "     \
    "string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or "        \
    "'MyName', regex used for validation is '" C_IDENTIFIER_FMT "')"
#define MSG_CONFIG_MAP_KEY                                                                 \
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "   \
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '"           \
    CONFIG_MAP_KEY_FMT "')"
#define MSG_PERCENT                                                                        \
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. "     \
    "'1%',  or '93%', regex used for validation is '" PERCENT_FMT "')"
#define MSG_HTTP_HEADER                                                                    \
    "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. "            \
    "'X-Header-Name', regex used for validation is '" HTTP_HEADER_FMT "')"
#define MSG_WILDCARD                                                                       \
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS "         \
    "subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and " \
    "end with an alphanumeric character (e.g. '*.example.com', regex used for validation " \
    "is '" WILDCARD_FMT "')"
#define MSG_ENV_RELAXED                                                                    \
    "a valid environment variable name must consist only of printable ASCII characters "   \
    "other than '='"
#define MSG_IP "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

static void msgs_add(zk_kube_name_msgs *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void msgs_add(zk_kube_name_msgs *m, const char *fmt, ...)
{
    if (m->n >= ZK_KUBE_NAME_MSGS_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->msg[m->n], sizeof(m->msg[m->n]), fmt, ap);
    va_end(ap);
    m->n++;
}

static void msgs_max_len(zk_kube_name_msgs *m, const char *prefix, size_t max)
{
    msgs_add(m, "%smust be no more than %zu characters", prefix, max);
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..len). */
static bool match_dns1123_label(const char *s, size_t len)
{
    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 1; i + 1 < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

static bool match_dns1123_subdomain(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (!match_dns1123_label(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qualified_name_part(const char *s, size_t len)
{
    if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return false;
    for (size_t i = 1; i + 1 < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

size_t zk_kube_names_dns1123_label(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    size_t len = strlen(s);
    if (len > ZK_KUBE_DNS1123_LABEL_MAX)
        msgs_max_len(m, "", ZK_KUBE_DNS1123_LABEL_MAX);
    if (!match_dns1123_label(s, len)) {
        /* A valid subdomain that is not a label (length was checked) has dots. */
        if (match_dns1123_subdomain(s, len))
            msgs_add(m, "must not contain dots");
        else
            msgs_add(m, "%s", MSG_DNS1123_LABEL);
    }
    return m->n;
}

size_t zk_kube_names_dns1123_subdomain(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    size_t len = strlen(s);
    if (len > ZK_KUBE_DNS1123_SUBDOMAIN_MAX)
        msgs_max_len(m, "", ZK_KUBE_DNS1123_SUBDOMAIN_MAX);
    if (!match_dns1123_subdomain(s, len))
        msgs_add(m, "%s", MSG_DNS1123_SUBDOMAIN);
    return m->n;
}

size_t zk_kube_names_dns1035_label(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    size_t len = strlen(s);
    if (len > ZK_KUBE_DNS1035_LABEL_MAX)
        msgs_max_len(m, "", ZK_KUBE_DNS1035_LABEL_MAX);
    bool ok = len > 0 && s[0] >= 'a' && s[0] <= 'z' && is_lower_alnum(s[len - 1]);
    for (size_t i = 1; ok && i + 1 < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            ok = false;
    if (!ok)
        msgs_add(m, "%s", MSG_DNS1035_LABEL);
    return m->n;
}

size_t zk_kube_names_wildcard_dns1123_subdomain(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    size_t len = strlen(s);
    if (len > ZK_KUBE_DNS1123_SUBDOMAIN_MAX)
        msgs_max_len(m, "", ZK_KUBE_DNS1123_SUBDOMAIN_MAX);
    if (len < 3 || s[0] != '*' || s[1] != '.' || !match_dns1123_subdomain(s + 2, len - 2))
        msgs_add(m, "%s", MSG_WILDCARD);
    return m->n;
}

size_t zk_kube_names_qualified_name(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    const char *slash = strchr(s, '/');
    if (slash && strchr(slash + 1, '/')) {
        msgs_add(m, "a qualified name %s with an optional DNS subdomain prefix and '/' "
                    "(e.g. 'example.com/MyName')", MSG_QUALIFIED_NAME_BODY);
        return m->n;
    }
    const char *name = s;
    if (slash) {
        size_t plen = (size_t)(slash - s);
        name = slash + 1;
        if (plen == 0) {
            msgs_add(m, "prefix part must be non-empty");
        } else {
            char prefix[ZK_KUBE_DNS1123_SUBDOMAIN_MAX + 64];
            zk_kube_name_msgs pm;
            if (plen >= sizeof(prefix)) {
                msgs_max_len(m, "prefix part ", ZK_KUBE_DNS1123_SUBDOMAIN_MAX);
                msgs_add(m, "prefix part %s", MSG_DNS1123_SUBDOMAIN);
            } else {
                memcpy(prefix, s, plen);
                prefix[plen] = '\0';
                zk_kube_names_dns1123_subdomain(prefix, &pm);
                for (size_t i = 0; i < pm.n; i++)
                    msgs_add(m, "prefix part %s", pm.msg[i]);
            }
        }
    }
    size_t nlen = strlen(name);
    if (nlen == 0)
        msgs_add(m, "name part must be non-empty");
    else if (nlen > 63)
        msgs_max_len(m, "name part ", 63);
    if (!match_qualified_name_part(name, nlen))
        msgs_add(m, "name part %s", MSG_QUALIFIED_NAME_BODY);
    return m->n;
}

size_t zk_kube_names_label_value(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    size_t len = strlen(s);
    if (len > ZK_KUBE_LABEL_VALUE_MAX)
        msgs_max_len(m, "", ZK_KUBE_LABEL_VALUE_MAX);
    if (len > 0 && !match_qualified_name_part(s, len))
        msgs_add(m, "%s", MSG_LABEL_VALUE);
    return m->n;
}

size_t zk_kube_names_path_segment_prefix(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    if (strchr(s, '/'))
        msgs_add(m, "may not contain '/'");
    if (strchr(s, '%'))
        msgs_add(m, "may not contain '%%'");
    return m->n;
}

size_t zk_kube_names_path_segment_name(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
        msgs_add(m, "may not be '%s'", s);
        return m->n;
    }
    return zk_kube_names_path_segment_prefix(s, m);
}

size_t zk_kube_names_c_identifier(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    bool ok = s[0] && (is_alnum(s[0]) || s[0] == '_') && !(s[0] >= '0' && s[0] <= '9');
    for (size_t i = 1; ok && s[i]; i++)
        if (!is_alnum(s[i]) && s[i] != '_')
            ok = false;
    if (!ok)
        msgs_add(m, "%s", MSG_C_IDENTIFIER);
    return m->n;
}

size_t zk_kube_names_env_var_name(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    if (!s[0])
        msgs_add(m, "environment variable name must be non-empty");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p > 0x7e || *p < 0x20 || *p == '=') {
            msgs_add(m, "%s", MSG_ENV_RELAXED);
            break;
        }
    }
    return m->n;
}

/* Kubernetes' hasChDirPrefix. */
static void chdir_prefix(const char *s, zk_kube_name_msgs *m)
{
    if (strcmp(s, ".") == 0)
        msgs_add(m, "must not be '.'");
    else if (strcmp(s, "..") == 0)
        msgs_add(m, "must not be '..'");
    else if (strncmp(s, "..", 2) == 0)
        msgs_add(m, "must not start with '..'");
}

size_t zk_kube_names_config_map_key(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    size_t len = strlen(s);
    if (len > ZK_KUBE_DNS1123_SUBDOMAIN_MAX)
        msgs_max_len(m, "", ZK_KUBE_DNS1123_SUBDOMAIN_MAX);
    bool ok = len > 0;
    for (size_t i = 0; ok && i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
            ok = false;
    if (!ok)
        msgs_add(m, "%s", MSG_CONFIG_MAP_KEY);
    chdir_prefix(s, m);
    return m->n;
}

size_t zk_kube_names_port_name(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    size_t len = strlen(s);
    if (len > 15)
        msgs_max_len(m, "", 15);
    bool charset = len > 0, letter = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= 'a' && s[i] <= 'z')
            letter = true;
        else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
            charset = false;
    }
    if (!charset)
        msgs_add(m, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!letter)
        msgs_add(m, "must contain at least one letter (a-z)");
    if (strstr(s, "--"))
        msgs_add(m, "must not contain consecutive hyphens");
    if (len > 0 && (s[0] == '-' || s[len - 1] == '-'))
        msgs_add(m, "must not begin or end with a hyphen");
    return m->n;
}

size_t zk_kube_names_percent(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    size_t len = strlen(s), digits = 0;
    while (digits < len && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (digits == 0 || digits + 1 != len || s[digits] != '%')
        msgs_add(m, "%s", MSG_PERCENT);
    return m->n;
}

size_t zk_kube_names_http_header_name(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    bool ok = s[0] != '\0';
    for (size_t i = 0; ok && s[i]; i++)
        if (!is_alnum(s[i]) && s[i] != '-')
            ok = false;
    if (!ok)
        msgs_add(m, "%s", MSG_HTTP_HEADER);
    return m->n;
}

bool zk_kube_is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

bool zk_kube_is_ipv6(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET6, s, buf) == 1;
}

size_t zk_kube_names_ip(const char *s, zk_kube_name_msgs *m)
{
    m->n = 0;
    if (!zk_kube_is_ip(s))
        msgs_add(m, "%s", MSG_IP);
    return m->n;
}

bool zk_kube_is_port_num(long long port)
{
    return port >= 1 && port <= 65535;
}

/* For generateName: Kubernetes masks one trailing '-' so that "web-" passes. */
static void mask_trailing_dash(const char *s, char *out, size_t n)
{
    snprintf(out, n, "%s", s);
    size_t len = strlen(out);
    if (len > 1 && out[len - 1] == '-')
        out[len - 1] = 'a';
}

static size_t object_name(const char *s, bool prefix, zk_kube_name_check fn,
                          zk_kube_name_msgs *m)
{
    if (!prefix)
        return fn(s, m);
    char masked[1024];
    if (strlen(s) >= sizeof(masked)) {
        m->n = 0;
        msgs_max_len(m, "", ZK_KUBE_DNS1123_SUBDOMAIN_MAX);
        return m->n;
    }
    mask_trailing_dash(s, masked, sizeof(masked));
    return fn(masked, m);
}

size_t zk_kube_names_object_subdomain(const char *s, bool prefix, zk_kube_name_msgs *m)
{
    return object_name(s, prefix, zk_kube_names_dns1123_subdomain, m);
}

size_t zk_kube_names_object_label(const char *s, bool prefix, zk_kube_name_msgs *m)
{
    return object_name(s, prefix, zk_kube_names_dns1123_label, m);
}

size_t zk_kube_names_object_dns1035(const char *s, bool prefix, zk_kube_name_msgs *m)
{
    return object_name(s, prefix, zk_kube_names_dns1035_label, m);
}

size_t zk_kube_names_object_path_segment(const char *s, bool prefix, zk_kube_name_msgs *m)
{
    return prefix ? zk_kube_names_path_segment_prefix(s, m)
                  : zk_kube_names_path_segment_name(s, m);
}

/* The bool forms: why gets the messages joined by "; ". */
static bool to_bool(zk_kube_name_msgs *m, char *why, size_t n)
{
    if (why && n) {
        why[0] = '\0';
        size_t used = 0;
        for (size_t i = 0; i < m->n && used < n; i++) {
            int w = snprintf(why + used, n - used, "%s%s", i ? "; " : "", m->msg[i]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
    }
    return m->n == 0;
}

#define ZK_NAMES_BOOL(name)                                         \
    bool zk_kube_is_##name(const char *s, char *why, size_t n)      \
    {                                                               \
        zk_kube_name_msgs m;                                        \
        zk_kube_names_##name(s ? s : "", &m);                       \
        return to_bool(&m, why, n);                                 \
    }

ZK_NAMES_BOOL(dns1123_subdomain)
ZK_NAMES_BOOL(dns1123_label)
ZK_NAMES_BOOL(dns1035_label)
ZK_NAMES_BOOL(qualified_name)
ZK_NAMES_BOOL(label_value)
ZK_NAMES_BOOL(path_segment_name)
ZK_NAMES_BOOL(c_identifier)
ZK_NAMES_BOOL(env_var_name)
ZK_NAMES_BOOL(config_map_key)
