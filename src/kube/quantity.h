/* zke kube: resource quantities (resource.Quantity).
 *
 * A quantity is a fixed-point number with 9 decimal places ("1n" is the
 * smallest step) held in a signed 128-bit integer of nano-units, plus the
 * format it was written in (DecimalSI "1500m", BinarySI "1536Mi",
 * DecimalExponent "12e6"). The grammar, rounding and canonical forms are
 * those of k8s.io/apimachinery/pkg/api/resource:
 *
 *   <quantity> ::= <sign>? <digits>? ["." <digits>?] <suffix>
 *   <suffix>   ::= "" | n | u | m | k | M | G | T | P | E
 *                | Ki | Mi | Gi | Ti | Pi | Ei | (e|E) <sign>? <digits>
 *
 * Fractions below 1n round up (away from zero); BinarySI values are capped
 * at 2^63-1 like Kubernetes caps them. Where Kubernetes would hold a number
 * of any size, zke holds magnitudes up to about 1.7e29 and rejects larger
 * ones with an error: nothing overflows silently.
 *
 * Like Kubernetes, a parsed quantity whose spelling is already canonical
 * keeps that spelling verbatim ("+1", "1.500k", "1E3" echo back as given);
 * zk_kube_quantity_string() returns it, zk_kube_quantity_canonical() never
 * does. Spellings longer than ZK_KUBE_QUANTITY_STR_MAX-1 bytes are not kept
 * (Kubernetes would keep them); they are re-rendered canonically. */
#ifndef ZK_KUBE_QUANTITY_H
#define ZK_KUBE_QUANTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Enough for any rendering of any quantity zke can hold, NUL included. */
#define ZK_KUBE_QUANTITY_STR_MAX 64

typedef enum zk_kube_quantity_format {
    ZK_KUBE_QUANTITY_DECIMAL_SI = 0,       /* 12M, 1500m */
    ZK_KUBE_QUANTITY_BINARY_SI = 1,        /* 12Mi */
    ZK_KUBE_QUANTITY_DECIMAL_EXPONENT = 2, /* 12e6 */
} zk_kube_quantity_format;

typedef enum zk_kube_round {
    ZK_KUBE_ROUND_UP = 0,   /* away from zero */
    ZK_KUBE_ROUND_DOWN = 1, /* toward zero */
} zk_kube_round;

/* A value type: copy it freely, nothing to free. Treat the fields as
 * read-only and use the functions below. */
typedef struct zk_kube_quantity {
    __int128 nanos;                      /* value × 10^9 */
    zk_kube_quantity_format format;
    char orig[ZK_KUBE_QUANTITY_STR_MAX]; /* spelling kept verbatim, or "" */
} zk_kube_quantity;

/* Parse s (NUL-terminated) into q. On error q is zero and err holds the
 * Kubernetes message, e.g. "quantities must match the regular expression
 * '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", "unable to parse
 * quantity's suffix", "unable to parse numeric part of quantity"; all with
 * -ZK_EINVAL. No whitespace is allowed (Kubernetes forbids it too). */
int zk_kube_quantity_parse(const char *s, zk_kube_quantity *q, zk_err *err);
/* Same for len bytes that need not be NUL-terminated (a NUL byte inside is
 * a format error). */
int zk_kube_quantity_parse_n(const char *s, size_t len, zk_kube_quantity *q, zk_err *err);

/* The string Kubernetes serializes for q (its String()/MarshalJSON): the
 * kept spelling when there is one, else the canonical form. Writes at most
 * n bytes including the NUL; returns the length it needed (like snprintf).
 * A buffer of ZK_KUBE_QUANTITY_STR_MAX is always enough. */
size_t zk_kube_quantity_string(const zk_kube_quantity *q, char *out, size_t n);
/* The canonical form only: "1000m" -> "1", "1.5Gi" -> "1536Mi", "1e3" ->
 * "1e3", "0.1" -> "100m". Same buffer contract as zk_kube_quantity_string. */
size_t zk_kube_quantity_canonical(const zk_kube_quantity *q, char *out, size_t n);

/* -1, 0, 1 as a < b, a == b, a > b (formats are ignored). */
int zk_kube_quantity_cmp(const zk_kube_quantity *a, const zk_kube_quantity *b);
bool zk_kube_quantity_is_zero(const zk_kube_quantity *q);
/* -1, 0 or 1. */
int zk_kube_quantity_sign(const zk_kube_quantity *q);

/* ceil(q × 1000) rounded away from zero, as MilliValue(). When it does not
 * fit in int64, *out is saturated (INT64_MAX or INT64_MIN) and -ZK_ETOOBIG
 * is returned, so callers may ignore the error to get saturation. */
int zk_kube_quantity_milli(const zk_kube_quantity *q, int64_t *out, zk_err *err);
/* The value rounded away from zero to an integer (bytes, cores), as
 * Value(); saturates and fails like zk_kube_quantity_milli. */
int zk_kube_quantity_value(const zk_kube_quantity *q, int64_t *out, zk_err *err);

/* Constructors that cannot fail. */
void zk_kube_quantity_from_value(int64_t value, zk_kube_quantity_format format,
                                 zk_kube_quantity *q);
void zk_kube_quantity_from_milli(int64_t milli, zk_kube_quantity_format format,
                                 zk_kube_quantity *q);

/* q += y / q -= y. When q was zero it takes y's format (as Kubernetes does).
 * On overflow q is unchanged and -ZK_ETOOBIG is returned. */
int zk_kube_quantity_add(zk_kube_quantity *q, const zk_kube_quantity *y, zk_err *err);
int zk_kube_quantity_sub(zk_kube_quantity *q, const zk_kube_quantity *y, zk_err *err);

/* out = q / ratio, rounded (up = away from zero, down = toward zero) to a
 * whole multiple of unit; unit NULL means 1n. ratio and unit must be > 0.
 * The result keeps q's format. For overcommit: limit "2" / ratio "10" to
 * unit "1m" is "200m"; "1Gi" / "1.5" up to "1Mi" is "683Mi".
 * -ZK_EINVAL for a bad ratio or unit, -ZK_ETOOBIG when out of range. */
int zk_kube_quantity_div_ratio(const zk_kube_quantity *q, const zk_kube_quantity *ratio,
                               const zk_kube_quantity *unit, zk_kube_round round,
                               zk_kube_quantity *out, zk_err *err);

/* Parse a quantity from JSON as Kubernetes' UnmarshalJSON does: a string
 * (surrounding whitespace trimmed), an integer, a real (rendered in its
 * shortest form; its original spelling is unknown, so none is kept), or
 * null (zero). Anything else fails with the format error. */
int zk_kube_quantity_parse_json(const json_t *v, zk_kube_quantity *q, zk_err *err);
/* The canonical JSON string for v (what the API server stores and
 * returns), as a new reference in *out. */
int zk_kube_quantity_normalize_json(const json_t *v, json_t **out, zk_err *err);

#endif
