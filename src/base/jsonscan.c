/* zke base: one scalar out of JSON text (see jsonscan.h). */
#include "base/jsonscan.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct scan {
    const char *p, *end;
} scan;

static void ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A string at s->p (the opening quote). With out, unescape into it (NUL
 * terminated); without, just skip. */
static bool string(scan *s, char *out, size_t outlen)
{
    if (s->p >= s->end || *s->p != '"')
        return false;
    s->p++;
    size_t n = 0;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p++;
        if (c == '"') {
            if (out)
                out[n] = 0;
            return true;
        }
        if (c < 0x20)
            return false;
        uint32_t cp = c;
        if (c == '\\') {
            if (s->p >= s->end)
                return false;
            char e = *s->p++;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u': {
                if (s->end - s->p < 4)
                    return false;
                cp = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(s->p[i]);
                    if (h < 0)
                        return false;
                    cp = cp << 4 | (uint32_t)h;
                }
                s->p += 4;
                /* a surrogate pair makes one code point */
                if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
                    s->p[1] == 'u') {
                    uint32_t lo = 0;
                    bool ok = true;
                    for (int i = 0; i < 4 && ok; i++) {
                        int h = hexval(s->p[2 + i]);
                        ok = h >= 0;
                        lo = lo << 4 | (uint32_t)(h < 0 ? 0 : h);
                    }
                    if (ok && lo >= 0xdc00 && lo < 0xe000) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        s->p += 6;
                    }
                }
                break;
            }
            default:
                return false;
            }
        }
        if (!out)
            continue;
        /* encode cp as UTF-8 (bytes >= 0x80 of the text pass through) */
        char buf[4];
        size_t k;
        if (c >= 0x80 || cp < 0x80) {
            buf[0] = (char)(c >= 0x80 ? c : cp);
            k = 1;
        } else if (cp < 0x800) {
            buf[0] = (char)(0xc0 | cp >> 6);
            buf[1] = (char)(0x80 | (cp & 0x3f));
            k = 2;
        } else if (cp < 0x10000) {
            buf[0] = (char)(0xe0 | cp >> 12);
            buf[1] = (char)(0x80 | (cp >> 6 & 0x3f));
            buf[2] = (char)(0x80 | (cp & 0x3f));
            k = 3;
        } else {
            buf[0] = (char)(0xf0 | cp >> 18);
            buf[1] = (char)(0x80 | (cp >> 12 & 0x3f));
            buf[2] = (char)(0x80 | (cp >> 6 & 0x3f));
            buf[3] = (char)(0x80 | (cp & 0x3f));
            k = 4;
        }
        if (n + k >= outlen)
            return false;
        memcpy(out + n, buf, k);
        n += k;
    }
    return false;
}

/* Skip one value of any kind, without recursion: nesting is counted. */
static bool skip_value(scan *s)
{
    ws(s);
    if (s->p >= s->end)
        return false;
    if (*s->p == '"')
        return string(s, NULL, 0);
    if (*s->p != '{' && *s->p != '[') {
        /* a literal: up to a delimiter */
        const char *start = s->p;
        while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
            s->p++;
        return s->p > start;
    }
    size_t depth = 0;
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '"') {
            if (!string(s, NULL, 0))
                return false;
            continue;
        }
        s->p++;
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return false;
            if (--depth == 0)
                return true;
        }
    }
    return false;
}

int zk_json_scan(const char *text, size_t len, const char *path, char *out, size_t outlen)
{
    if (!outlen)
        return ZK_JSCAN_BAD;
    out[0] = 0;
    scan s = {text, text + len};
    const char *seg = path;
    char key[256];
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t seglen = dot ? (size_t)(dot - seg) : strlen(seg);
        ws(&s);
        if (s.p >= s.end)
            return ZK_JSCAN_BAD;
        if (*s.p != '{')
            return ZK_JSCAN_ABSENT;
        s.p++;
        bool found = false;
        ws(&s);
        if (s.p < s.end && *s.p == '}')
            return ZK_JSCAN_ABSENT;
        while (!found) {
            ws(&s);
            if (!string(&s, key, sizeof(key))) {
                /* a key too long to be ours is skipped as a string */
                return ZK_JSCAN_BAD;
            }
            ws(&s);
            if (s.p >= s.end || *s.p != ':')
                return ZK_JSCAN_BAD;
            s.p++;
            if (strlen(key) == seglen && !memcmp(key, seg, seglen)) {
                found = true;
                break;
            }
            if (!skip_value(&s))
                return ZK_JSCAN_BAD;
            ws(&s);
            if (s.p >= s.end)
                return ZK_JSCAN_BAD;
            if (*s.p == '}')
                return ZK_JSCAN_ABSENT;
            if (*s.p != ',')
                return ZK_JSCAN_BAD;
            s.p++;
        }
        if (!dot)
            break;
        seg = dot + 1;
    }
    ws(&s);
    if (s.p >= s.end)
        return ZK_JSCAN_BAD;
    if (*s.p == '"')
        return string(&s, out, outlen) ? ZK_JSCAN_STRING : ZK_JSCAN_BAD;
    if (*s.p == '{' || *s.p == '[')
        return ZK_JSCAN_OTHER;
    const char *start = s.p;
    while (s.p < s.end && !strchr(",}] \t\r\n", *s.p))
        s.p++;
    size_t n = (size_t)(s.p - start);
    if (n == 0 || n >= outlen)
        return ZK_JSCAN_BAD;
    memcpy(out, start, n);
    out[n] = 0;
    return ZK_JSCAN_LITERAL;
}
