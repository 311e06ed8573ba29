/* zke kube: helpers shared by the validate_*.c files. Not a public API. */
#ifndef ZK_KUBE_VALIDATE_INT_H
#define ZK_KUBE_VALIDATE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "kube/fielderr.h"
#include "kube/names.h"

#define ZK_KPATH_MAX 512

/* Format a child path into a char[] buffer: ZK_KP(buf, "%s.name", base). */
/* snprintf into buf (truncating) and return buf. */
const char *zk_kube__pathf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define ZK_KP(buf, ...) zk_kube__pathf((buf), sizeof(buf), __VA_ARGS__)

#define ZK_KUBE_IMMUTABLE "field is immutable"
#define ZK_KUBE_NONNEG "must be greater than or equal to 0"

/* Typed, NULL-safe access. */
const json_t *zk_kube__obj(const json_t *o, const char *key);   /* object or NULL */
const json_t *zk_kube__arr(const json_t *o, const char *key);   /* array or NULL */
const char *zk_kube__str(const json_t *o, const char *key);     /* string or NULL */
const char *zk_kube__str0(const json_t *o, const char *key);    /* string or "" */
bool zk_kube__has(const json_t *o, const char *key);            /* present, not null */
bool zk_kube__is_true(const json_t *o, const char *key);
size_t zk_kube__len(const json_t *v);                          /* array/object size */
/* Deep equality where absent, null, [] and {} are the same (like Go's nil vs
 * empty, which Kubernetes' semantic equality treats alike in most fields). */
bool zk_kube__equal(const json_t *a, const json_t *b);

/* Errors in Kubernetes' shapes. */
void zk_kube__invalid_int(zk_field_errors *e, const char *path, json_int_t v,
                          const char *detail);
void zk_kube__not_found(zk_field_errors *e, const char *path, const char *value);
void zk_kube__not_supported_str(zk_field_errors *e, const char *path, const char *value,
                                const char *const *valid);
/* One FieldValueInvalid per message the check reports for value. */
void zk_kube__check(zk_field_errors *e, const char *path, const char *value,
                    zk_kube_name_check fn);
/* Immutable: Invalid(path, newv, "field is immutable") unless equal. */
void zk_kube__immutable(zk_field_errors *e, const char *path, const json_t *newv,
                        const json_t *oldv);
/* If key holds an integer < 0: "must be greater than or equal to 0". */
void zk_kube__nonneg(zk_field_errors *e, const char *path, const json_t *o, const char *key);
/* Is the string one of the NULL-terminated list? */
bool zk_kube__one_of(const char *s, const char *const *valid);

/* Labels and annotations. path is the map's path ("metadata.labels"). */
void zk_kube__validate_labels(zk_field_errors *e, const json_t *labels, const char *path);
void zk_kube__validate_annotations(zk_field_errors *e, const json_t *ann, const char *path);

/* metav1.LabelSelector: matchLabels and matchExpressions shapes. */
void zk_kube__validate_label_selector(zk_field_errors *e, const json_t *sel, const char *path);
/* Does sel select labels? A NULL selector selects nothing, an empty one all. */
bool zk_kube__selector_matches(const json_t *sel, const json_t *labels);
bool zk_kube__selector_empty(const json_t *sel);
/* Plain map selector (ReplicationController, Service). */
bool zk_kube__map_selector_matches(const json_t *sel, const json_t *labels);

/* IntOrString: a non-negative int or a "N%" string. */
void zk_kube__validate_int_or_percent(zk_field_errors *e, const json_t *v, const char *path);
int zk_kube__int_or_percent_value(const json_t *v);
void zk_kube__not_more_than_100_percent(zk_field_errors *e, const json_t *v, const char *path);

/* A port given as a number (1-65535) or an IANA name. */
void zk_kube__validate_port_num_or_name(zk_field_errors *e, const json_t *v, const char *path);

/* Resource quantities, a minimal stand-in until kube/quantity.h lands: the
 * syntax Kubernetes accepts and an approximate value for comparisons. */
#define ZK_KUBE_QUANTITY_REGEX_MSG                                                          \
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
bool zk_kube__quantity_parse(const json_t *v, long double *out);
/* The quantity as text (string as given, number printed). */
void zk_kube__quantity_text(const json_t *v, char *buf, size_t n);

/* Pod specs (validate_pod.c). is_pod: the spec is a Pod's own, not a template. */
void zk_kube__validate_pod_spec(zk_field_errors *e, const json_t *spec, const char *path,
                                bool is_pod);
/* PodTemplateSpec at path ("spec.template"): labels, annotations, spec. */
void zk_kube__validate_pod_template_spec(zk_field_errors *e, const json_t *tmpl,
                                         const char *path);

/* Finalizer names in metadata that Kubernetes' core validation requires to be
 * standard ("kubernetes", "orphan", "foregroundDeletion") or qualified. */
void zk_kube__validate_kube_finalizers(zk_field_errors *e, const json_t *obj);

#endif
