/* zke kube: label selectors and field selectors.
 *
 * Label selectors follow k8s.io/apimachinery/pkg/labels: the string
 * grammar ("a=b,c!=d,e in (x,y),f notin (z),g,!h,n>1,m<5"), validation of
 * keys (qualified names) and values (label values) with Kubernetes' own
 * error messages, requirements sorted by key, and the canonical rendering
 * used in places like Scale's status.selector. metav1.LabelSelector JSON
 * ({matchLabels, matchExpressions}) converts to the same form.
 *
 * Field selectors follow k8s.io/apimachinery/pkg/fields: "a=b,c!=d,e==f"
 * with values escaped as \\ \, \= ; only equality and inequality; which
 * fields exist is for the caller to say (per kind), through a callback. */
#ifndef ZK_KUBE_SELECTOR_H
#define ZK_KUBE_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* ---- label selectors ---- */

typedef enum zk_kube_selector_op {
    ZK_KUBE_SELECTOR_EXISTS,         /* key */
    ZK_KUBE_SELECTOR_DOES_NOT_EXIST, /* !key */
    ZK_KUBE_SELECTOR_EQUALS,         /* key=v */
    ZK_KUBE_SELECTOR_DOUBLE_EQUALS,  /* key==v */
    ZK_KUBE_SELECTOR_NOT_EQUALS,     /* key!=v */
    ZK_KUBE_SELECTOR_IN,             /* key in (a,b) */
    ZK_KUBE_SELECTOR_NOT_IN,         /* key notin (a,b) */
    ZK_KUBE_SELECTOR_GT,             /* key>5 (integers) */
    ZK_KUBE_SELECTOR_LT,             /* key<5 */
} zk_kube_selector_op;

/* One requirement; read-only for callers. */
typedef struct zk_kube_requirement {
    char *key;
    zk_kube_selector_op op;
    char **values;   /* parsed selectors: sorted, without duplicates */
    size_t n_values;
} zk_kube_requirement;

typedef struct zk_kube_selector zk_kube_selector;

/* Parse the string form. "" is the empty selector (matches everything).
 * Errors are -ZK_EINVAL with Kubernetes' message, e.g.
 * "unable to parse requirement: <nil>: Invalid value: \"a b\": name part must
 * consist of ..." or "found ')', expected: !, identifier, or 'end of string'". */
int zk_kube_selector_parse(const char *s, zk_kube_selector **out, zk_err *err);

/* Convert a metav1.LabelSelector object. NULL or JSON null gives the
 * selector that matches nothing; {} (no labels, no expressions) gives the
 * one that matches everything. Bad operators fail with "\"Foo\" is not a
 * valid label selector operator"; bad keys and values with messages such
 * as "key: Invalid value: ..." or "values[0][app]: Invalid value: ...". */
int zk_kube_selector_from_json(const json_t *label_selector, zk_kube_selector **out,
                               zk_err *err);
/* A selector requiring every key=value of a string map (a ReplicationController's
 * or Service's selector), validated. An empty or NULL map matches everything. */
int zk_kube_selector_from_map(const json_t *map, zk_kube_selector **out, zk_err *err);

zk_kube_selector *zk_kube_selector_everything(void);
zk_kube_selector *zk_kube_selector_nothing(void);
void zk_kube_selector_free(zk_kube_selector *s);

static inline void zk__kube_selector_freep(zk_kube_selector **s) { zk_kube_selector_free(*s); }
#define zk_autoselector __attribute__((cleanup(zk__kube_selector_freep)))

/* Does s match these labels (a JSON object of strings; NULL means no
 * labels)? Label values that are not strings count as absent. */
bool zk_kube_selector_matches(const zk_kube_selector *s, const json_t *labels);
/* True for the selector with no requirements (it matches everything). */
bool zk_kube_selector_empty(const zk_kube_selector *s);
/* True only for zk_kube_selector_nothing() and a null LabelSelector. */
bool zk_kube_selector_matches_nothing(const zk_kube_selector *s);

size_t zk_kube_selector_count(const zk_kube_selector *s);
/* Requirement i, in key order; borrowed. */
const zk_kube_requirement *zk_kube_selector_get(const zk_kube_selector *s, size_t i);
/* The value label must equal for s to match (from =, == or a one-value
 * in), or NULL; for index lookups. Borrowed. */
const char *zk_kube_selector_exact_match(const zk_kube_selector *s, const char *label);

/* Canonical string: requirements sorted by key, values sorted, e.g.
 * "app=web,tier in (back,front),!canary". "" for everything and for
 * nothing. New string; free() it. */
char *zk_kube_selector_string(const zk_kube_selector *s);

/* Kubernetes' label key and value checks (validation.IsQualifiedName,
 * IsValidLabelValue): 0 when valid, else -ZK_EINVAL with the messages
 * joined by "; " in err. */
int zk_kube_validate_label_key(const char *key, zk_err *err);
int zk_kube_validate_label_value(const char *value, zk_err *err);

/* ---- field selectors ---- */

typedef enum zk_kube_fieldsel_op {
    ZK_KUBE_FIELDSEL_EQUALS,     /* = and == */
    ZK_KUBE_FIELDSEL_NOT_EQUALS, /* != */
} zk_kube_fieldsel_op;

typedef struct zk_kube_fieldsel_req {
    char *field;
    zk_kube_fieldsel_op op;
    char *value; /* unescaped */
} zk_kube_fieldsel_req;

/* Requirements in the order Kubernetes keeps them (terms sorted as text). */
typedef struct zk_kube_fieldsel {
    zk_kube_fieldsel_req *reqs;
    size_t n;
} zk_kube_fieldsel;

/* Whether a kind supports selecting on field. */
typedef bool (*zk_kube_fieldsel_known_fn)(void *ctx, const char *field);
/* The value of field on the object, or NULL when it is absent (absent
 * compares as ""). */
typedef const char *(*zk_kube_fieldsel_get_fn)(void *ctx, const char *field);

/* Parse "a=b,c!=d". Syntax errors are -ZK_EINVAL with Kubernetes' text
 * ("invalid selector: 'x'; can't understand 'x'", "invalid field selector:
 * invalid escape sequence: \\q", ...). When known is not NULL each field
 * is checked after the syntax; one it rejects fails with -ZK_EUNSUPPORTED
 * and "field label not supported: F" (the server answers 400 with it). */
int zk_kube_fieldsel_parse(const char *s, zk_kube_fieldsel_known_fn known, void *ctx,
                           zk_kube_fieldsel **out, zk_err *err);
bool zk_kube_fieldsel_matches(const zk_kube_fieldsel *s, zk_kube_fieldsel_get_fn get,
                              void *ctx);
bool zk_kube_fieldsel_empty(const zk_kube_fieldsel *s);
/* The value field must equal, or NULL; borrowed. */
const char *zk_kube_fieldsel_exact_match(const zk_kube_fieldsel *s, const char *field);
/* "a=b,c!=d" with values escaped so that it parses back; free() it. */
char *zk_kube_fieldsel_string(const zk_kube_fieldsel *s);
void zk_kube_fieldsel_free(zk_kube_fieldsel *s);

static inline void zk__kube_fieldsel_freep(zk_kube_fieldsel **s) { zk_kube_fieldsel_free(*s); }
#define zk_autofieldsel __attribute__((cleanup(zk__kube_fieldsel_freep)))

#endif
