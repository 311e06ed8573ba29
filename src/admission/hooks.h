/* zke admission: calling admission webhooks, the parts without I/O.
 *
 * zke server calls the webhooks of MutatingWebhookConfiguration and
 * ValidatingWebhookConfiguration objects (admissionregistration.k8s.io/v1)
 * as kube-apiserver does. This file reads a configuration's webhooks,
 * decides which ones a write concerns (rules, namespaceSelector,
 * objectSelector, matchPolicy), builds the AdmissionReview (v1) to send,
 * and reads the answer (allowed, JSON Patch, warnings, the refusal's
 * Status). apiserver/webhooks.c does the calling. */
#ifndef ZK_ADM_HOOKS_H
#define ZK_ADM_HOOKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct zk_adm_hook {
    char *config;            /* the configuration's name */
    char *name;              /* the webhook's name */
    bool mutating;
    json_t *spec;            /* the webhook's object (a reference) */
    bool fail_open;          /* failurePolicy: Ignore (default Fail) */
    int timeout_s;           /* timeoutSeconds: 1..30, default 10 */
    bool reinvoke;           /* reinvocationPolicy: IfNeeded (mutating only) */
    bool exact;              /* matchPolicy: Exact (default Equivalent) */
    char *url;               /* clientConfig.url: "https://host:port/path", or NULL */
    char *svc_ns, *svc_name; /* clientConfig.service */
    char *path;              /* the service's path ("/" by default) */
    int port;                /* the service's port (443 by default) */
    char *ca_pem;            /* clientConfig.caBundle decoded; NULL: the system's roots */
} zk_adm_hook;

/* Append the webhooks of a configuration to *hooks (grown with realloc;
 * *n is its count). A webhook that cannot be called (no or two client
 * configs, a URL that is not https, a caBundle that is not base64) is still
 * added, with url and svc_name NULL: calling it fails, and its
 * failurePolicy decides. */
void zk_adm_hooks_parse(const json_t *config, bool mutating, zk_adm_hook **hooks, size_t *n);
void zk_adm_hooks_free(zk_adm_hook *hooks, size_t n);

/* What a write is, as webhooks see it. */
typedef struct zk_adm_attrs {
    const char *group, *version, *resource, *subresource, *kind;
    const char *ns, *name;           /* ns "" for cluster-scoped objects */
    const char *op;                  /* CREATE, UPDATE, DELETE, CONNECT */
    const json_t *obj, *old;         /* either may be NULL */
    const json_t *ns_labels;         /* the namespace's labels (namespaced objects) */
    const json_t *user;              /* userInfo: {username, uid, groups} */
    bool dry_run;
} zk_adm_attrs;

/* Does the write concern hook: a rule matches (operations, apiGroups,
 * apiVersions unless matchPolicy is Equivalent, resources with
 * subresources, scope), its namespaceSelector matches the namespace's
 * labels (a Namespace's own labels; other cluster-scoped objects always
 * match), its objectSelector matches obj's or old's labels. Writes of
 * webhook configurations themselves never concern webhooks. */
bool zk_adm_hook_matches(const zk_adm_hook *h, const zk_adm_attrs *a);

/* The AdmissionReview (v1) to send for the write. */
json_t *zk_adm_hook_review(const zk_adm_attrs *a, const char *uid);

/* The answer of a webhook (an HTTP 200 body). Returns
 *   0  allowed; a mutating webhook's patch applied to obj gives *patched
 *      (a new reference, or NULL when it sent none);
 *   1  refused: *status is the Status to answer, as kube-apiserver makes
 *      it ('admission webhook "NAME" denied the request: ...', the code
 *      the webhook gave if 400 or more, else 400);
 *  -1  the answer cannot be used (not a review, another uid, a bad patch):
 *      *why says what (the caller frees it); the failurePolicy decides.
 * The answer's warnings are appended to warnings (an array) as strings. */
int zk_adm_hook_answer(const zk_adm_hook *h, const char *uid, const char *body, size_t len,
                       const json_t *obj, json_t **patched, json_t **status, json_t *warnings,
                       char **why);

#endif
