/* zke kube: what structural schemas check inside strings: `pattern`
 * (ECMA-262 regular expressions translated to POSIX ERE and cached) and
 * `format` (date-time, byte, uuid, ip, cidr, hostname, ...). */
#include <arpa/inet.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "kube/structural.h"
#include "kube/structural_int.h"

/* ---- patterns: ECMA-262 to POSIX ERE, compiled once -------------------------- */

static bool hexval(char c, unsigned *out)
{
    if (c >= '0' && c <= '9')
        *out = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
        *out = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
        *out = (unsigned)(c - 'A' + 10);
    else
        return false;
    return true;
}

/* Parse \xHH or \uHHHH at s (pointing after the letter); returns the code
 * point or -1. */
static long escape_codepoint(const char *s, size_t len, size_t *used)
{
    unsigned v = 0, d;
    for (size_t i = 0; i < len; i++) {
        if (!hexval(s[i], &d))
            return -1;
        v = v * 16 + d;
    }
    *used = len;
    return (long)v;
}

static void put_utf8(zk_buf *b, unsigned long cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xc0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else {
        t[0] = (char)(0xe0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    }
    zk_buf_append(b, t, n);
}

/* One bracket expression, "[" already consumed; on success *pos is past the
 * closing "]". ECMA escapes become literal members; POSIX needs "]" first,
 * "-" last and "^" not first. */
static int bracket_to_posix(const char *p, size_t len, size_t *pos, zk_buf *out, const char **why)
{
    size_t i = *pos;
    bool neg = false;
    unsigned char set[256] = {0};
    bool space_class = false, any = false;
    zk_autobuf zk_buf ranges = ZK_BUF_INIT(4096);
    if (i < len && p[i] == '^') {
        neg = true;
        i++;
    }
    if (i < len && p[i] == ']') {
        *why = "empty character class";
        return -1;
    }
    while (i < len && p[i] != ']') {
        int lo;
        char c = p[i++];
        if (c == '\\') {
            if (i >= len)
                break;
            char e = p[i++];
            size_t used = 0;
            long cp;
            switch (e) {
            case 'd': zk_buf_puts(&ranges, "0-9"); any = true; continue;
            case 'w': zk_buf_puts(&ranges, "A-Za-z0-9"); set['_'] = 1; any = true; continue;
            case 's': space_class = true; any = true; continue;
            case 'D': case 'W': case 'S':
                *why = "negated class escape inside brackets";
                return -1;
            case 'n': lo = '\n'; break;
            case 't': lo = '\t'; break;
            case 'r': lo = '\r'; break;
            case 'f': lo = '\f'; break;
            case 'v': lo = '\v'; break;
            case 'b': lo = '\b'; break;
            case 'x':
            case 'u':
                cp = escape_codepoint(p + i, len - i < (e == 'x' ? 2u : 4u) ? 0 : (e == 'x' ? 2 : 4),
                                      &used);
                if (cp < 0 || cp > 0x7f || used == 0) {
                    *why = "non-ASCII or malformed escape inside brackets";
                    return -1;
                }
                i += used;
                lo = (int)cp;
                break;
            default:
                if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
                    *why = "unsupported escape inside brackets";
                    return -1;
                }
                lo = (unsigned char)e;
                break;
            }
        } else {
            lo = (unsigned char)c;
        }
        /* A range "a-z" (a "-" before "]" is a literal). */
        if (i + 1 < len && p[i] == '-' && p[i + 1] != ']') {
            int hi = (unsigned char)p[i + 1];
            if (hi == '\\' || strchr("[]^-", hi) || strchr("[]^-", lo) || hi < lo || lo >= 0x80 ||
                hi >= 0x80) {
                *why = "unsupported range inside brackets";
                return -1;
            }
            i += 2;
            zk_buf_printf(&ranges, "%c-%c", lo, hi);
            any = true;
            continue;
        }
        set[lo] = 1;
        any = true;
    }
    if (i >= len) {
        *why = "missing ]";
        return -1;
    }
    *pos = i + 1;
    if (!any) {
        *why = "empty character class";
        return -1;
    }
    /* A class of only "^" cannot be written as "[^]". */
    bool only_caret = set['^'] && !ranges.len && !space_class;
    for (int ch = 0; ch < 256 && only_caret; ch++)
        if (ch != '^' && set[ch])
            only_caret = false;
    if (only_caret && !neg) {
        zk_buf_puts(out, "\\^");
        return 0;
    }
    zk_buf_putc(out, '[');
    if (neg)
        zk_buf_putc(out, '^');
    if (set[']'])
        zk_buf_putc(out, ']');
    if (ranges.len)
        zk_buf_append(out, ranges.data, ranges.len);
    if (space_class)
        zk_buf_puts(out, "[:space:]");
    for (int ch = 1; ch < 256; ch++)
        if (set[ch] && !strchr("]^-[", ch))
            zk_buf_putc(out, (char)ch);
    if (set['['])
        zk_buf_putc(out, '[');
    if (set['^'])
        zk_buf_putc(out, '^');
    if (set['-'])
        zk_buf_putc(out, '-');
    zk_buf_putc(out, ']');
    return 0;
}

/* Translate an ECMA-262 pattern to a POSIX ERE that glibc's regcomp takes.
 * Returns 0, or -1 with *why set for constructs POSIX cannot express. */
static int ecma_to_posix(const char *p, size_t len, zk_buf *out, const char **why)
{
    size_t i = 0;
    while (i < len) {
        char c = p[i++];
        if (c == '\\') {
            if (i >= len) {
                *why = "trailing backslash";
                return -1;
            }
            char e = p[i++];
            size_t used = 0;
            long cp;
            switch (e) {
            case 'd': zk_buf_puts(out, "[0-9]"); break;
            case 'D': zk_buf_puts(out, "[^0-9]"); break;
            case 'w': zk_buf_puts(out, "[A-Za-z0-9_]"); break;
            case 'W': zk_buf_puts(out, "[^A-Za-z0-9_]"); break;
            case 's': zk_buf_puts(out, "[[:space:]]"); break;
            case 'S': zk_buf_puts(out, "[^[:space:]]"); break;
            case 'b': zk_buf_puts(out, "\\b"); break;
            case 'B': zk_buf_puts(out, "\\B"); break;
            case 'n': zk_buf_putc(out, '\n'); break;
            case 't': zk_buf_putc(out, '\t'); break;
            case 'r': zk_buf_putc(out, '\r'); break;
            case 'f': zk_buf_putc(out, '\f'); break;
            case 'v': zk_buf_putc(out, '\v'); break;
            case 'x':
            case 'u':
                cp = escape_codepoint(p + i, len - i < (e == 'x' ? 2u : 4u) ? 0 : (e == 'x' ? 2 : 4),
                                      &used);
                if (cp <= 0 || used == 0) {
                    *why = "malformed \\x or \\u escape";
                    return -1;
                }
                i += used;
                if (cp < 0x80 && strchr(".[]()*+?{}|^$\\", (int)cp))
                    zk_buf_putc(out, '\\');
                put_utf8(out, (unsigned long)cp);
                break;
            default:
                if (e >= '1' && e <= '9') {
                    zk_buf_putc(out, '\\');
                    zk_buf_putc(out, e);
                } else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || e == '0') {
                    *why = "unsupported escape";
                    return -1;
                } else if (strchr(".[]()*+?{}|^$\\", e)) {
                    zk_buf_putc(out, '\\');
                    zk_buf_putc(out, e);
                } else {
                    zk_buf_putc(out, e);
                }
                break;
            }
            continue;
        }
        if (c == '[') {
            if (bracket_to_posix(p, len, &i, out, why) < 0)
                return -1;
            continue;
        }
        if (c == '(' && i < len && p[i] == '?') {
            if (i + 1 < len && p[i + 1] == ':') {
                zk_buf_putc(out, '(');
                i += 2;
                continue;
            }
            *why = "lookaround and named groups are not supported";
            return -1;
        }
        zk_buf_putc(out, c);
        /* Lazy quantifiers match the same strings for a yes/no search. */
        if ((c == '*' || c == '+' || c == '?' || c == '}') && i < len && p[i] == '?')
            i++;
    }
    return 0;
}

#define PATTERN_CACHE_MAX 512


static pattern_entry *pattern_cache[PATTERN_CACHE_MAX];
static size_t pattern_cache_n;
static pthread_mutex_t pattern_mu = PTHREAD_MUTEX_INITIALIZER;

static void pattern_compile(pattern_entry *e, const char *pat, size_t len)
{
    const char *why = NULL;
    e->ok = false;
    if (len > ZK_KUBE_STRUCTURAL_PATTERN_MAX) {
        snprintf(e->why, sizeof(e->why), "longer than %d bytes", ZK_KUBE_STRUCTURAL_PATTERN_MAX);
        return;
    }
    if (memchr(pat, '\0', len)) {
        snprintf(e->why, sizeof(e->why), "contains a NUL byte");
        return;
    }
    zk_autobuf zk_buf ere = ZK_BUF_INIT(8 * ZK_KUBE_STRUCTURAL_PATTERN_MAX + 64);
    if (ecma_to_posix(pat, len, &ere, &why) < 0) {
        snprintf(e->why, sizeof(e->why), "%s", why);
        return;
    }
    int rc = regcomp(&e->re, ere.data ? ere.data : "", REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &e->re, msg, sizeof(msg));
        regfree(&e->re);
        snprintf(e->why, sizeof(e->why), "%s", msg);
        return;
    }
    e->ok = true;
}

/* The compiled form of pat. Cached entries live for the process (regexec on
 * a shared regex_t is thread-safe in glibc); when the cache is full the
 * pattern is compiled into *scratch and the caller frees it with
 * pattern_release(). */
pattern_entry *zk_kube_structural__pattern_get(const char *pat, size_t len, pattern_entry *scratch)
{
    pthread_mutex_lock(&pattern_mu);
    for (size_t i = 0; i < pattern_cache_n; i++) {
        if (strlen(pattern_cache[i]->pattern) == len &&
            memcmp(pattern_cache[i]->pattern, pat, len) == 0) {
            pattern_entry *e = pattern_cache[i];
            pthread_mutex_unlock(&pattern_mu);
            return e;
        }
    }
    pattern_entry *e = scratch;
    if (pattern_cache_n < PATTERN_CACHE_MAX && !memchr(pat, '\0', len)) {
        e = zk_xcalloc(1, sizeof(*e));
        e->pattern = zk_xstrndup(pat, len);
    }
    pattern_compile(e, pat, len);
    if (e != scratch)
        pattern_cache[pattern_cache_n++] = e;
    pthread_mutex_unlock(&pattern_mu);
    return e;
}

void zk_kube_structural__pattern_release(pattern_entry *e, pattern_entry *scratch)
{
    if (e == scratch && e->ok)
        regfree(&e->re);
}

/* ---- string formats -------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool fmt_date(const char *s, size_t n)
{
    if (n != 10 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
        !all_digits(s + 8, 2))
        return false;
    int m = num2(s + 5), d = num2(s + 8);
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* RFC 3339 date-time, also without zone (strfmt accepts ISO 8601 local). */
static bool fmt_date_time(const char *s, size_t n)
{
    if (n < 19 || !fmt_date(s, 10) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return false;
    const char *t = s + 11;
    if (!all_digits(t, 2) || t[2] != ':' || !all_digits(t + 3, 2) || t[5] != ':' ||
        !all_digits(t + 6, 2))
        return false;
    if (num2(t) > 23 || num2(t + 3) > 59 || num2(t + 6) > 60)
        return false;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        size_t j = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == j)
            return false;
    }
    if (i == n)
        return true;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n)
        return true;
    if (s[i] != '+' && s[i] != '-')
        return false;
    const char *z = s + i + 1;
    size_t rest = n - i - 1;
    if (rest == 5 && all_digits(z, 2) && z[2] == ':' && all_digits(z + 3, 2))
        return num2(z) <= 23 && num2(z + 3) <= 59;
    if (rest == 4 && all_digits(z, 4))
        return num2(z) <= 23 && num2(z + 2) <= 59;
    return false;
}

static bool fmt_byte(const char *s, size_t n)
{
    if (n % 4)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '+' || c == '/';
        if (c == '=') {
            /* padding only at the end, at most two */
            if (i < n - 2 || (i == n - 2 && s[n - 1] != '='))
                return false;
        } else if (!b64) {
            return false;
        }
    }
    return true;
}

static bool fmt_hex(const char *s, size_t n)
{
    unsigned d;
    for (size_t i = 0; i < n; i++)
        if (!hexval(s[i], &d))
            return false;
    return true;
}

static bool fmt_uuid(const char *s, size_t n, char version)
{
    char hex[32];
    size_t h = 0;
    static const size_t dash_at[] = {8, 13, 18, 23};
    if (n == 36) {
        for (size_t k = 0; k < 4; k++)
            if (s[dash_at[k]] != '-')
                return false;
    } else if (n != 32) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-')
            continue;
        if (h >= 32)
            return false;
        hex[h++] = s[i];
    }
    if (h != 32 || !fmt_hex(hex, 32))
        return false;
    return !version || hex[12] == version;
}

static bool fmt_ip(const char *s, size_t n, int af)
{
    char buf[64];
    unsigned char addr[16];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(af, buf, addr) == 1;
}

static bool fmt_cidr(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (!slash)
        return false;
    size_t alen = (size_t)(slash - s), plen = n - alen - 1;
    if (!all_digits(slash + 1, plen) || plen > 3)
        return false;
    int bits = atoi(slash + 1);
    if (fmt_ip(s, alen, AF_INET))
        return bits <= 32;
    if (fmt_ip(s, alen, AF_INET6))
        return bits <= 128;
    return false;
}

static bool fmt_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 255)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c >= 0x80 || (c == '-' && label > 0);
        if (!ok || ++label > 63)
            return false;
    }
    return label > 0 && s[n - 1] != '-';
}

static bool fmt_email(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (!at || at == s || at == s + n - 1 || memchr(at + 1, '@', (size_t)(s + n - at - 1)))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ')
            return false;
    return true;
}

static bool fmt_mac(const char *s, size_t n)
{
    if (n != 17 && n != 23)
        return false;
    char sep = s[2];
    if (sep != ':' && sep != '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 2) {
            if (s[i] != sep)
                return false;
        } else if (!fmt_hex(s + i, 1)) {
            return false;
        }
    }
    return true;
}

static bool fmt_hexcolor(const char *s, size_t n)
{
    if (n && s[0] == '#') {
        s++;
        n--;
    }
    return (n == 3 || n == 6) && fmt_hex(s, n);
}

/* Go durations ("1h30m", "-1.5s", "300ms") and strfmt's "<n> <unit>" forms. */
static bool fmt_duration(const char *s, size_t n)
{
    static const char *const units[] = {
        "ns", "us", "\xc2\xb5s", "ms", "s", "m", "h", "d", "w", "sec", "secs", "second",
        "seconds", "min", "mins", "minute", "minutes", "hour", "hours", "day", "days", "week",
        "weeks", NULL,
    };
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i == n)
        return false;
    if (n - i == 1 && s[i] == '0')
        return true;
    while (i < n) {
        size_t j = i;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            i++;
        if (i == j)
            return false;
        while (i < n && s[i] == ' ')
            i++;
        size_t u = i;
        while (i < n && !(s[i] >= '0' && s[i] <= '9') && s[i] != '.' && s[i] != ' ')
            i++;
        bool known = false;
        for (size_t k = 0; units[k]; k++)
            if (strlen(units[k]) == i - u && memcmp(units[k], s + u, i - u) == 0)
                known = true;
        if (!known)
            return false;
    }
    return true;
}

static bool fmt_no_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false;
    return n > 0;
}

/* Does the string satisfy format fmt? Unknown formats (and ones Kubernetes
 * strips from CRD schemas, like int32 on a string) always pass. */
bool zk_kube_structural__format_ok(const char *fmt, const char *s, size_t n)
{
    if (!strcmp(fmt, "date-time") || !strcmp(fmt, "datetime"))
        return fmt_date_time(s, n);
    if (!strcmp(fmt, "date"))
        return fmt_date(s, n);
    if (!strcmp(fmt, "byte"))
        return fmt_byte(s, n);
    if (!strcmp(fmt, "uuid"))
        return fmt_uuid(s, n, 0);
    if (!strcmp(fmt, "uuid3") || !strcmp(fmt, "uuid4") || !strcmp(fmt, "uuid5"))
        return fmt_uuid(s, n, fmt[4]);
    if (!strcmp(fmt, "ipv4"))
        return fmt_ip(s, n, AF_INET);
    if (!strcmp(fmt, "ipv6"))
        return fmt_ip(s, n, AF_INET6);
    if (!strcmp(fmt, "cidr"))
        return fmt_cidr(s, n);
    if (!strcmp(fmt, "hostname"))
        return fmt_hostname(s, n);
    if (!strcmp(fmt, "email"))
        return fmt_email(s, n);
    if (!strcmp(fmt, "mac"))
        return fmt_mac(s, n);
    if (!strcmp(fmt, "hexcolor"))
        return fmt_hexcolor(s, n);
    if (!strcmp(fmt, "duration"))
        return fmt_duration(s, n);
    if (!strcmp(fmt, "bsonobjectid"))
        return n == 24 && fmt_hex(s, n);
    if (!strcmp(fmt, "uri"))
        return fmt_no_space(s, n);
    return true;
}
