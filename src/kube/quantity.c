#include "kube/quantity.h"

#include <stdio.h>
#include <string.h>

#include "base/mem.h"

typedef unsigned __int128 zk_u128;
typedef __int128 zk_i128;

#define NANO ((int64_t)1000000000)
#define I128_MAX ((zk_i128)(((zk_u128)1 << 127) - 1))
#define I128_MIN (-I128_MAX - 1)
/* BinarySI quantities are capped at 2^63-1 units, in nanos. */
#define BIN_CAP ((zk_u128)INT64_MAX * (zk_u128)NANO)

static const char format_msg[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char numeric_msg[] = "unable to parse numeric part of quantity";
static const char suffix_msg[] = "unable to parse quantity's suffix";

/* The pieces of a quantity string, split the way apimachinery's
 * parseQuantityString splits it. */
typedef struct qscan {
    bool negative;
    const char *num;    /* integer digits, leading zeros stripped */
    size_t num_len;     /* 0 means "0" */
    const char *denom;  /* fraction digits */
    size_t denom_len;
    const char *suffix;
    size_t suffix_len;
    bool has_digit;     /* any digit at all before the suffix */
} qscan;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_suffix_char(char c)
{
    switch (c) {
    case 'e': case 'E': case 'i': case 'n': case 'u': case 'm':
    case 'k': case 'K': case 'M': case 'G': case 'T': case 'P':
        return true;
    default:
        return false;
    }
}

static bool quantity_scan(const char *s, size_t len, qscan *sc)
{
    size_t pos = 0, start;

    memset(sc, 0, sizeof *sc);
    sc->num = sc->denom = sc->suffix = s + len;
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        sc->negative = s[0] == '-';
        pos++;
    }
    while (pos < len && s[pos] == '0') {
        sc->has_digit = true;
        pos++;
    }
    if (pos >= len)
        return true;
    start = pos;
    while (pos < len && is_digit(s[pos]))
        pos++;
    sc->num = s + start;
    sc->num_len = pos - start;
    if (sc->num_len)
        sc->has_digit = true;
    if (pos >= len)
        return true;
    if (s[pos] == '.') {
        pos++;
        start = pos;
        while (pos < len && is_digit(s[pos]))
            pos++;
        sc->denom = s + start;
        sc->denom_len = pos - start;
        if (sc->denom_len)
            sc->has_digit = true;
        if (pos >= len)
            return true;
    }
    start = pos;
    while (pos < len && is_suffix_char(s[pos]))
        pos++;
    if (pos < len && (s[pos] == '-' || s[pos] == '+'))
        pos++;
    while (pos < len && is_digit(s[pos]))
        pos++;
    if (pos < len)
        return false;
    sc->suffix = s + start;
    sc->suffix_len = len - start;
    return true;
}

static const struct {
    const char *name;
    int base;
    int exp;
    zk_kube_quantity_format format;
} suffixes[] = {
    { "", 10, 0, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "n", 10, -9, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "u", 10, -6, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "m", 10, -3, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "k", 10, 3, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "M", 10, 6, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "G", 10, 9, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "T", 10, 12, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "P", 10, 15, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "E", 10, 18, ZK_KUBE_QUANTITY_DECIMAL_SI },
    { "Ki", 2, 10, ZK_KUBE_QUANTITY_BINARY_SI },
    { "Mi", 2, 20, ZK_KUBE_QUANTITY_BINARY_SI },
    { "Gi", 2, 30, ZK_KUBE_QUANTITY_BINARY_SI },
    { "Ti", 2, 40, ZK_KUBE_QUANTITY_BINARY_SI },
    { "Pi", 2, 50, ZK_KUBE_QUANTITY_BINARY_SI },
    { "Ei", 2, 60, ZK_KUBE_QUANTITY_BINARY_SI },
};

/* strconv.ParseInt(s, 10, 64) followed by the int32 bound newer
 * apimachinery applies to decimal exponents ([-MaxInt32, MaxInt32]). */
static bool parse_exponent(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    int64_t v = 0;

    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == n)
        return false;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > INT32_MAX)
        return false;
    *out = neg ? -v : v;
    return true;
}

static bool quantity_interpret(const char *s, size_t n, int *base, int64_t *exp,
                               zk_kube_quantity_format *format)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(suffixes); i++) {
        if (strlen(suffixes[i].name) == n && memcmp(suffixes[i].name, s, n) == 0) {
            *base = suffixes[i].base;
            *exp = suffixes[i].exp;
            *format = suffixes[i].format;
            return true;
        }
    }
    if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
        if (!parse_exponent(s + 1, n - 1, exp))
            return false;
        *base = 10;
        *format = ZK_KUBE_QUANTITY_DECIMAL_EXPONENT;
        return true;
    }
    return false;
}

/* acc = acc * 10 + d, refusing to pass I128_MAX. */
static bool u128_push_digit(zk_u128 *acc, unsigned d)
{
    if (*acc > ((zk_u128)I128_MAX - d) / 10)
        return false;
    *acc = *acc * 10 + d;
    return true;
}

/* ceil(D × 2^binexp × 10^shift) where D is the decimal number whose digits
 * are num followed by den. Exact for any digit count: the digits go into
 * a little-endian digit array, the binary factor is multiplied in there,
 * and the decimal shift then picks the integer part and the rounding. */
static bool quantity_magnitude(const char *num, size_t nl, const char *den, size_t dl,
                               int binexp, int64_t shift, zk_u128 *out)
{
    uint8_t stackbuf[128];
    size_t cap = nl + dl + 24;
    zk_autofree uint8_t *heap = NULL;
    uint8_t *d = stackbuf;
    size_t n = 0, total = nl + dl, first = 0;
    zk_u128 acc = 0;

    *out = 0;
    if (cap > sizeof stackbuf)
        d = heap = zk_xmalloc(cap);
    /* skip leading zeros of the whole digit string */
    while (first < total && (first < nl ? num[first] : den[first - nl]) == '0')
        first++;
    if (first == total)
        return true;
    for (size_t i = total; i-- > first;)
        d[n++] = (uint8_t)((i < nl ? num[i] : den[i - nl]) - '0');

    for (int rem = binexp; rem > 0;) {
        int b = rem > 30 ? 30 : rem;
        uint64_t f = (uint64_t)1 << b, carry = 0;
        rem -= b;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = d[i] * f + carry;
            d[i] = (uint8_t)(v % 10);
            carry = v / 10;
        }
        while (carry) {
            d[n++] = (uint8_t)(carry % 10);
            carry /= 10;
        }
    }

    if (shift >= 0) {
        for (size_t i = n; i-- > 0;)
            if (!u128_push_digit(&acc, d[i]))
                return false;
        for (int64_t i = 0; i < shift; i++)
            if (!u128_push_digit(&acc, 0))
                return false;
    } else {
        /* drop the lowest -shift digits; any non-zero among them rounds up */
        size_t drop = (uint64_t)-shift >= n ? n : (size_t)-shift;
        bool inexact = false;
        for (size_t i = n; i-- > drop;)
            if (!u128_push_digit(&acc, d[i]))
                return false;
        for (size_t i = 0; i < drop; i++)
            if (d[i]) {
                inexact = true;
                break;
            }
        if (inexact) {
            if (acc == (zk_u128)I128_MAX)
                return false;
            acc++;
        }
    }
    *out = acc;
    return true;
}

/* Whether apimachinery's ParseQuantity leaves its int64 fast path for
 * the inf.Dec one. The value is the same either way; only an input without
 * digits tells the two apart. */
static bool quantity_slow_path(const qscan *sc, int base, int64_t exp)
{
    int64_t nl = sc->num_len ? (int64_t)sc->num_len : 1;
    int64_t dl = (int64_t)sc->denom_len;

    if (base == 10)
        return 18 - (nl + dl) < 0 || exp - dl < -9;
    return dl != 0 || 15 - nl - exp * 3 / 10 - 1 < 0;
}

/* Kubernetes' fast path keeps the input string when it is already in
 * canonical form; the conditions below are that fast path's. */
static bool quantity_keeps_spelling(const qscan *sc, int base, int64_t exp)
{
    const char *num = sc->num_len ? sc->num : "0";
    size_t nl = sc->num_len ? sc->num_len : 1;
    size_t total = nl + sc->denom_len;

    if (base == 10) {
        int64_t scale = exp - (int64_t)sc->denom_len;
        char last[3];
        if (total > 18 || scale < -9 || scale % 3 != 0 || num[0] == '0')
            return false;
        if (total < 3)
            return true;
        for (int i = 0; i < 3; i++) {
            size_t at = total - 3 + (size_t)i;
            last[i] = at < nl ? num[at] : sc->denom[at - nl];
        }
        return !(last[0] == '0' && last[1] == '0' && last[2] == '0');
    }
    if (sc->denom_len != 0 || 15 - (int64_t)nl - exp * 3 / 10 - 1 < 0)
        return false;
    int64_t value = 0;
    for (size_t i = 0; i < nl; i++)
        value = value * 10 + (num[i] - '0');
    return exp % 10 == 0 && (value & 7) != 0;
}

int zk_kube_quantity_parse_n(const char *s, size_t len, zk_kube_quantity *q, zk_err *err)
{
    qscan sc;
    int base = 10;
    int64_t exp = 0;
    zk_kube_quantity_format format = ZK_KUBE_QUANTITY_DECIMAL_SI;
    zk_u128 mag;

    memset(q, 0, sizeof *q);
    if (len == 0)
        return zk_err_set(err, ZK_EINVAL, "%s", format_msg);
    if (len == 1 && s[0] == '0') {
        q->orig[0] = '0';
        return 0;
    }
    if (!quantity_scan(s, len, &sc))
        return zk_err_set(err, ZK_EINVAL, "%s", format_msg);
    if (!quantity_interpret(sc.suffix, sc.suffix_len, &base, &exp, &format))
        return zk_err_set(err, ZK_EINVAL, "%s", suffix_msg);
    /* Kubernetes' slow path (inf.Dec) cannot read a number without digits
     * ("e-10", "Pi"); its fast path reads one as zero ("e-9", "Ti"). */
    if (!sc.has_digit && quantity_slow_path(&sc, base, exp))
        return zk_err_set(err, ZK_EINVAL, "%s", numeric_msg);

    int64_t shift = 9 - (int64_t)sc.denom_len + (base == 10 ? exp : 0);
    if (!quantity_magnitude(sc.num, sc.num_len, sc.denom, sc.denom_len,
                            base == 2 ? (int)exp : 0, shift, &mag)) {
        if (format != ZK_KUBE_QUANTITY_BINARY_SI)
            return zk_err_set(err, ZK_EINVAL,
                              "quantity too large: zke holds magnitudes below 1.7e29");
        mag = BIN_CAP;
    }
    if (format == ZK_KUBE_QUANTITY_BINARY_SI && mag > BIN_CAP)
        mag = BIN_CAP;
    q->nanos = sc.negative ? -(zk_i128)mag : (zk_i128)mag;
    q->format = format;
    if (format == ZK_KUBE_QUANTITY_BINARY_SI && mag > 0 && mag < (zk_u128)NANO)
        q->format = ZK_KUBE_QUANTITY_DECIMAL_SI;
    if (len < sizeof q->orig && quantity_keeps_spelling(&sc, base, exp)) {
        memcpy(q->orig, s, len);
        q->orig[len] = '\0';
    }
    return 0;
}

int zk_kube_quantity_parse(const char *s, zk_kube_quantity *q, zk_err *err)
{
    return zk_kube_quantity_parse_n(s, strlen(s), q, err);
}

static size_t u128_to_str(zk_u128 v, char *buf)
{
    char tmp[40];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static size_t copy_out(const char *s, size_t len, char *out, size_t n)
{
    if (n > 0) {
        size_t c = len < n ? len : n - 1;
        memcpy(out, s, c);
        out[c] = '\0';
    }
    return len;
}

static const char *const dec_suffix[] = { "n", "u", "m", "", "k", "M", "G", "T", "P", "E" };
static const char *const bin_suffix[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };

size_t zk_kube_quantity_canonical(const zk_kube_quantity *q, char *out, size_t n)
{
    char buf[ZK_KUBE_QUANTITY_STR_MAX];
    size_t len = 0;
    zk_kube_quantity_format format = q->format;
    zk_u128 mag;

    if (q->nanos == 0)
        return copy_out("0", 1, out, n);
    mag = q->nanos < 0 ? (zk_u128)(-q->nanos) : (zk_u128)q->nanos;
    if (q->nanos < 0)
        buf[len++] = '-';

    if (format == ZK_KUBE_QUANTITY_BINARY_SI) {
        /* Between -1024 and 1024, or with a fraction, a binary suffix would
         * round or confuse: Kubernetes shows those as DecimalSI. */
        if (mag < (zk_u128)1024 * NANO || mag % NANO != 0) {
            format = ZK_KUBE_QUANTITY_DECIMAL_SI;
        } else {
            zk_u128 units = mag / NANO;
            size_t e = 0;
            while (units % 1024 == 0) {
                units /= 1024;
                e++;
            }
            if (e < ZK_ARRAY_LEN(bin_suffix)) {
                len += u128_to_str(units, buf + len);
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", bin_suffix[e]);
                return copy_out(buf, len, out, n);
            }
            format = ZK_KUBE_QUANTITY_DECIMAL_SI; /* past Ei: no binary suffix */
        }
    }

    int e = -9;
    while (mag % 10 == 0) {
        mag /= 10;
        e++;
    }
    while (e % 3 != 0) {
        mag *= 10;
        e--;
    }
    len += u128_to_str(mag, buf + len);
    if (format == ZK_KUBE_QUANTITY_DECIMAL_SI && e >= -9 && e <= 18)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", dec_suffix[(e + 9) / 3]);
    else if (e != 0)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "e%d", e);
    return copy_out(buf, len, out, n);
}

size_t zk_kube_quantity_string(const zk_kube_quantity *q, char *out, size_t n)
{
    if (q->orig[0])
        return copy_out(q->orig, strlen(q->orig), out, n);
    return zk_kube_quantity_canonical(q, out, n);
}

int zk_kube_quantity_cmp(const zk_kube_quantity *a, const zk_kube_quantity *b)
{
    return a->nanos < b->nanos ? -1 : a->nanos > b->nanos ? 1 : 0;
}

bool zk_kube_quantity_is_zero(const zk_kube_quantity *q)
{
    return q->nanos == 0;
}

int zk_kube_quantity_sign(const zk_kube_quantity *q)
{
    return q->nanos < 0 ? -1 : q->nanos > 0 ? 1 : 0;
}

static int quantity_scaled(const zk_kube_quantity *q, int64_t div, int64_t *out, zk_err *err)
{
    bool neg = q->nanos < 0;
    zk_u128 mag = neg ? (zk_u128)(-q->nanos) : (zk_u128)q->nanos;
    zk_u128 r = mag / (zk_u128)div + (mag % (zk_u128)div != 0);
    char s[ZK_KUBE_QUANTITY_STR_MAX];

    if (!neg && r > (zk_u128)INT64_MAX) {
        *out = INT64_MAX;
    } else if (neg && r > (zk_u128)INT64_MAX + 1) {
        *out = INT64_MIN;
    } else {
        *out = neg ? (int64_t)(-(zk_i128)r) : (int64_t)r;
        return 0;
    }
    zk_kube_quantity_canonical(q, s, sizeof s);
    return zk_err_set(err, ZK_ETOOBIG, "quantity %s does not fit in a 64-bit integer", s);
}

int zk_kube_quantity_milli(const zk_kube_quantity *q, int64_t *out, zk_err *err)
{
    return quantity_scaled(q, NANO / 1000, out, err);
}

int zk_kube_quantity_value(const zk_kube_quantity *q, int64_t *out, zk_err *err)
{
    return quantity_scaled(q, NANO, out, err);
}

void zk_kube_quantity_from_value(int64_t value, zk_kube_quantity_format format,
                                 zk_kube_quantity *q)
{
    memset(q, 0, sizeof *q);
    q->nanos = (zk_i128)value * NANO;
    q->format = format;
}

void zk_kube_quantity_from_milli(int64_t milli, zk_kube_quantity_format format,
                                 zk_kube_quantity *q)
{
    memset(q, 0, sizeof *q);
    q->nanos = (zk_i128)milli * (NANO / 1000);
    q->format = format;
}

static int quantity_addsub(zk_kube_quantity *q, const zk_kube_quantity *y, bool sub, zk_err *err)
{
    zk_i128 r;
    bool over = sub ? __builtin_sub_overflow(q->nanos, y->nanos, &r)
                    : __builtin_add_overflow(q->nanos, y->nanos, &r);
    if (over || r == I128_MIN)
        return zk_err_set(err, ZK_ETOOBIG, "quantity arithmetic overflows");
    if (q->nanos == 0)
        q->format = y->format;
    q->nanos = r;
    q->orig[0] = '\0';
    return 0;
}

int zk_kube_quantity_add(zk_kube_quantity *q, const zk_kube_quantity *y, zk_err *err)
{
    return quantity_addsub(q, y, false, err);
}

int zk_kube_quantity_sub(zk_kube_quantity *q, const zk_kube_quantity *y, zk_err *err)
{
    return quantity_addsub(q, y, true, err);
}

int zk_kube_quantity_div_ratio(const zk_kube_quantity *q, const zk_kube_quantity *ratio,
                               const zk_kube_quantity *unit, zk_kube_round round,
                               zk_kube_quantity *out, zk_err *err)
{
    zk_u128 u = unit ? (zk_u128)unit->nanos : 1;
    zk_u128 r, d, mag, quot, rem;
    bool neg = q->nanos < 0;

    if (ratio->nanos <= 0)
        return zk_err_set(err, ZK_EINVAL, "ratio must be greater than zero");
    if (unit && unit->nanos <= 0)
        return zk_err_set(err, ZK_EINVAL, "rounding unit must be greater than zero");
    r = (zk_u128)ratio->nanos;
    /* The count of units is q × 10^9 / (ratio × unit); keep the divisor
     * below 2^124 so the long division below cannot overflow. */
    if (__builtin_mul_overflow(r, u, &d) || d >> 124)
        return zk_err_set(err, ZK_ETOOBIG, "ratio times rounding unit is too large");
    mag = neg ? (zk_u128)(-q->nanos) : (zk_u128)q->nanos;
    quot = mag / d;
    rem = mag % d;
    for (int i = 0; i < 9; i++) {
        rem *= 10;
        if (quot > ((zk_u128)I128_MAX - rem / d) / 10)
            return zk_err_set(err, ZK_ETOOBIG, "quantity divided by ratio is too large");
        quot = quot * 10 + rem / d;
        rem %= d;
    }
    if (rem != 0 && round == ZK_KUBE_ROUND_UP)
        quot++;
    if (__builtin_mul_overflow(quot, u, &mag) || mag > (zk_u128)I128_MAX)
        return zk_err_set(err, ZK_ETOOBIG, "quantity divided by ratio is too large");
    memset(out, 0, sizeof *out);
    out->nanos = neg ? -(zk_i128)mag : (zk_i128)mag;
    out->format = q->format;
    return 0;
}

/* Go's unicode.IsSpace for the code point starting (or ending) at a
 * position; returns its length in bytes, 0 when it is not a space. */
static size_t space_len_at(const unsigned char *s, size_t len)
{
    if (len == 0)
        return 0;
    switch (s[0]) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
        return 1;
    default:
        break;
    }
    if (len >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0))
        return 2;
    if (len >= 3) {
        unsigned cp = ((unsigned)(s[0] & 0x0F) << 12) | ((unsigned)(s[1] & 0x3F) << 6) |
                      (unsigned)(s[2] & 0x3F);
        if ((s[0] & 0xF0) != 0xE0 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
            cp == 0x202F || cp == 0x205F || cp == 0x3000)
            return 3;
    }
    return 0;
}

static void trim_space(const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t n = *len, k;

    while ((k = space_len_at(p, n)) > 0) {
        p += k;
        n -= k;
    }
    for (;;) {
        if (n >= 1 && (k = space_len_at(p + n - 1, 1)) == 1) {
            n--;
        } else if (n >= 2 && space_len_at(p + n - 2, 2) == 2) {
            n -= 2;
        } else if (n >= 3 && space_len_at(p + n - 3, 3) == 3) {
            n -= 3;
        } else {
            break;
        }
    }
    *s = (const char *)p;
    *len = n;
}

int zk_kube_quantity_parse_json(const json_t *v, zk_kube_quantity *q, zk_err *err)
{
    char buf[64];

    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        trim_space(&s, &len);
        return zk_kube_quantity_parse_n(s, len, q, err);
    }
    if (json_is_integer(v)) {
        int n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return zk_kube_quantity_parse_n(buf, (size_t)n, q, err);
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        int n = 0, rc;
        for (int prec = 1; prec <= 17; prec++) {
            n = snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        rc = zk_kube_quantity_parse_n(buf, (size_t)n, q, err);
        q->orig[0] = '\0';
        return rc;
    }
    if (json_is_null(v)) {
        memset(q, 0, sizeof *q);
        return 0;
    }
    memset(q, 0, sizeof *q);
    return zk_err_set(err, ZK_EINVAL, "%s", format_msg);
}

int zk_kube_quantity_normalize_json(const json_t *v, json_t **out, zk_err *err)
{
    zk_kube_quantity q;
    char s[ZK_KUBE_QUANTITY_STR_MAX];
    int rc;

    *out = NULL;
    if ((rc = zk_kube_quantity_parse_json(v, &q, err)) < 0)
        return rc;
    size_t n = zk_kube_quantity_string(&q, s, sizeof s);
    *out = json_stringn(s, n);
    if (!*out) {
        fprintf(stderr, "zke: out of memory\n");
        abort();
    }
    return 0;
}
