/* zke kube: field errors, the parts of a 422 Invalid Status.
 *
 * Validation collects every bad field, each with a Kubernetes field path
 * ("spec.template.spec.containers[0].image"), a cause reason
 * ("FieldValueRequired", "FieldValueInvalid", "FieldValueNotSupported",
 * "FieldValueDuplicate", "FieldValueTooLong", "FieldValueForbidden",
 * "FieldValueTypeInvalid", "FieldValueTooMany") and the message Kubernetes
 * would print. Bounded: past ZK_FIELD_ERRORS_MAX further errors are counted
 * but not stored. */
#ifndef ZK_KUBE_FIELDERR_H
#define ZK_KUBE_FIELDERR_H

#include <jansson.h>
#include <stddef.h>

#define ZK_FIELD_ERRORS_MAX 64

typedef struct zk_field_error {
    char *reason;   /* cause reason, e.g. "FieldValueRequired" */
    char *field;    /* field path */
    char *message;  /* full message as Kubernetes prints it, e.g.
                       "Required value" or "Invalid value: -1: must be greater than or equal to 0" */
} zk_field_error;

typedef struct zk_field_errors {
    zk_field_error items[ZK_FIELD_ERRORS_MAX];
    size_t n;        /* stored */
    size_t dropped;  /* past the bound */
} zk_field_errors;

void zk_field_errors_init(zk_field_errors *e);
void zk_field_errors_free(zk_field_errors *e);
/* Add one; reason and field are copied; message is printf-formatted. */
void zk_field_errors_add(zk_field_errors *e, const char *reason, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Shorthands that format messages the way Kubernetes' field.Error does. */
void zk_field_required(zk_field_errors *e, const char *field, const char *detail);
/* value is rendered as JSON (strings quoted) */
void zk_field_invalid(zk_field_errors *e, const char *field, const json_t *value,
                      const char *detail);
void zk_field_invalid_str(zk_field_errors *e, const char *field, const char *value,
                          const char *detail);
void zk_field_not_supported(zk_field_errors *e, const char *field, const json_t *value,
                            const char *const *valid);
void zk_field_forbidden(zk_field_errors *e, const char *field, const char *detail);
void zk_field_duplicate(zk_field_errors *e, const char *field, const json_t *value);
void zk_field_too_long(zk_field_errors *e, const char *field, size_t max);

/* "[a: Required value, b: Invalid value: ...]" or the single error without
 * brackets, as in a Status message; caller frees. */
char *zk_field_errors_summary(const zk_field_errors *e);
/* details.causes array: [{"reason","message","field"}]. New reference. */
json_t *zk_field_errors_causes(const zk_field_errors *e);

/* Build child paths: zk_field_path(buf, n, "spec", "replicas") -> "spec.replicas";
 * zk_field_index(buf, n, "spec.containers", 0) -> "spec.containers[0]";
 * zk_field_key(buf, n, "metadata.labels", "app") -> "metadata.labels[app]". */
const char *zk_field_path(char *buf, size_t n, const char *parent, const char *child);
const char *zk_field_index(char *buf, size_t n, const char *parent, size_t i);
const char *zk_field_key(char *buf, size_t n, const char *parent, const char *key);

#endif
