/* zke kube: name and identifier validators, as Kubernetes' apimachinery has them.
 *
 * Each check comes in two forms:
 *   - zk_kube_is_X(s, why, n): true when s is valid; otherwise false, with
 *     Kubernetes' message in why (several messages are joined by "; ").
 *     why may be NULL.
 *   - zk_kube_names_X(s, msgs): fills msgs with every message Kubernetes
 *     would report (one field error each) and returns how many; 0 = valid.
 *
 * Messages are Kubernetes' own, e.g. for "Foo":
 *   "a lowercase RFC 1123 label must consist of lower case alphanumeric
 *    characters or '-', and must start and end with an alphanumeric character
 *    (e.g. 'my-name',  or '123-abc', regex used for validation is
 *    '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
 * Length limits are reported as "must be no more than N characters". */
#ifndef ZK_KUBE_NAMES_H
#define ZK_KUBE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define ZK_KUBE_NAME_MSGS_MAX 6
#define ZK_KUBE_NAME_MSG_LEN 600

typedef struct zk_kube_name_msgs {
    size_t n;
    char msg[ZK_KUBE_NAME_MSGS_MAX][ZK_KUBE_NAME_MSG_LEN];
} zk_kube_name_msgs;

/* A function that checks one value; the form the validators pass around. */
typedef size_t (*zk_kube_name_check)(const char *s, zk_kube_name_msgs *m);

#define ZK_KUBE_DNS1123_LABEL_MAX 63
#define ZK_KUBE_DNS1123_SUBDOMAIN_MAX 253
#define ZK_KUBE_DNS1035_LABEL_MAX 63
#define ZK_KUBE_LABEL_VALUE_MAX 63

/* RFC 1123 subdomain: lowercase labels joined by '.', at most 253 chars. */
size_t zk_kube_names_dns1123_subdomain(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_dns1123_subdomain(const char *s, char *why, size_t n);
/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 chars. */
size_t zk_kube_names_dns1123_label(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_dns1123_label(const char *s, char *why, size_t n);
/* RFC 1035 label (Service names): starts with a letter. */
size_t zk_kube_names_dns1035_label(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_dns1035_label(const char *s, char *why, size_t n);
/* "*." followed by an RFC 1123 subdomain (Ingress hosts). */
size_t zk_kube_names_wildcard_dns1123_subdomain(const char *s, zk_kube_name_msgs *m);
/* Qualified name = label key: [prefix/]name, prefix a subdomain, name <= 63. */
size_t zk_kube_names_qualified_name(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_qualified_name(const char *s, char *why, size_t n);
/* Label value: empty, or <= 63 alphanumerics with '-', '_', '.' inside. */
size_t zk_kube_names_label_value(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_label_value(const char *s, char *why, size_t n);
/* Safe as one path segment: not "." or "..", no '/' or '%'. */
size_t zk_kube_names_path_segment_name(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_path_segment_name(const char *s, char *why, size_t n);
/* Prefix form (generateName): only the "may not contain" rules. */
size_t zk_kube_names_path_segment_prefix(const char *s, zk_kube_name_msgs *m);
/* C identifier: [A-Za-z_][A-Za-z0-9_]*. */
size_t zk_kube_names_c_identifier(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_c_identifier(const char *s, char *why, size_t n);
/* Environment variable name, Kubernetes' relaxed rule (the default since the
 * RelaxedEnvironmentVariableValidation gate): printable ASCII except '='. */
size_t zk_kube_names_env_var_name(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_env_var_name(const char *s, char *why, size_t n);
/* ConfigMap / Secret key: [-._a-zA-Z0-9]+, <= 253, not ".", "..", "..x". */
size_t zk_kube_names_config_map_key(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_config_map_key(const char *s, char *why, size_t n);
/* IANA service (port) name: <= 15 chars of [-a-z0-9], one letter at least. */
size_t zk_kube_names_port_name(const char *s, zk_kube_name_msgs *m);
/* "[0-9]+%". */
size_t zk_kube_names_percent(const char *s, zk_kube_name_msgs *m);
/* HTTP header name: [-A-Za-z0-9]+. */
size_t zk_kube_names_http_header_name(const char *s, zk_kube_name_msgs *m);
/* An IPv4 or IPv6 address in canonical text form. */
size_t zk_kube_names_ip(const char *s, zk_kube_name_msgs *m);
bool zk_kube_is_ip(const char *s);
bool zk_kube_is_ipv6(const char *s);

/* Name functions Kubernetes applies to metadata.name (prefix = true for
 * metadata.generateName, which may end in '-'). */
size_t zk_kube_names_object_subdomain(const char *s, bool prefix, zk_kube_name_msgs *m);
size_t zk_kube_names_object_label(const char *s, bool prefix, zk_kube_name_msgs *m);
size_t zk_kube_names_object_dns1035(const char *s, bool prefix, zk_kube_name_msgs *m);
size_t zk_kube_names_object_path_segment(const char *s, bool prefix, zk_kube_name_msgs *m);

/* Port number message check: 1..65535. */
bool zk_kube_is_port_num(long long port);
#define ZK_KUBE_PORT_RANGE_MSG "must be between 1 and 65535, inclusive"

#endif
