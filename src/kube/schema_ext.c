/* Field schemas: authorization/v1 reviews, admissionregistration/v1 webhook configurations,
 * apiregistration/v1 APIService and apiextensions/v1 CustomResourceDefinition. */
#include "kube/schema_decl.h"

/* ---- authorization.k8s.io/v1 ---------------------------------------- */

ZK_TYPE(authz_ResourceAttributes, N_AUTHZ "ResourceAttributes",
    "A request on a resource, as the authorizer sees it.",
    F_STR("namespace", "Namespace of the request; empty means all for namespaced "
                       "resources."),
    F_STR("verb", "API verb, such as get or list; * means all."),
    F_STR("group", "API group; * means all."),
    F_STR("version", "API version; * means all."),
    F_STR("resource", "Resource; * means all."),
    F_STR("subresource", "Subresource; empty for none."),
    F_STR("name", "Name of the object; empty means all."),
    F_OBJ("fieldSelector", authz_FieldSelectorAttributes, "Field selector of a list or "
                                                          "watch."),
    F_OBJ("labelSelector", authz_LabelSelectorAttributes, "Label selector of a list or "
                                                          "watch."));

ZK_TYPE(authz_FieldSelectorAttributes, N_AUTHZ "FieldSelectorAttributes",
    "A field selector, raw or parsed.",
    F_STR("rawSelector", "The selector as a query string."),
    F_ARR("requirements", meta_FieldSelectorRequirement, "The parsed selector.", ATOMIC));

ZK_TYPE(authz_LabelSelectorAttributes, N_AUTHZ "LabelSelectorAttributes",
    "A label selector, raw or parsed.",
    F_STR("rawSelector", "The selector as a query string."),
    F_ARR("requirements", meta_LabelSelectorRequirement, "The parsed selector.", ATOMIC));

ZK_TYPE(authz_NonResourceAttributes, N_AUTHZ "NonResourceAttributes",
    "A request on a non-resource URL.",
    F_STR("path", "URL path."),
    F_STR("verb", "HTTP verb in lower case."));

ZK_TYPE(authz_SubjectAccessReviewStatus, N_AUTHZ "SubjectAccessReviewStatus",
    "The authorizer's decision.",
    F_BOOL("allowed", "Whether the action is allowed.", REQ),
    F_BOOL("denied", "Whether the action is explicitly denied."),
    F_STR("reason", "Why, in words."),
    F_STR("evaluationError", "Problem met while deciding."));

ZK_KIND(authz_SubjectAccessReview, N_AUTHZ "SubjectAccessReview", "authorization.k8s.io",
    "v1", "SubjectAccessReview", "Asks whether a user or group may perform an action.",
    F_TOP,
    F_OBJ("spec", authz_SubjectAccessReviewSpec, "The question.", REQ),
    F_OBJ("status", authz_SubjectAccessReviewStatus, "The answer."));

ZK_TYPE(authz_SubjectAccessReviewSpec, N_AUTHZ "SubjectAccessReviewSpec",
    "The question of a review; exactly one of the attribute members is set.",
    F_OBJ("resourceAttributes", authz_ResourceAttributes, "A resource request."),
    F_OBJ("nonResourceAttributes", authz_NonResourceAttributes, "A non-resource request."),
    F_STR("user", "User asked about."),
    F_ARR_STR("groups", "Groups asked about.", ATOMIC),
    F_MAP_ANY("extra", "Extra authenticator attributes, each a list of strings."),
    F_STR("uid", "UID of the user."));

ZK_KIND(authz_SelfSubjectAccessReview, N_AUTHZ "SelfSubjectAccessReview",
    "authorization.k8s.io", "v1", "SelfSubjectAccessReview",
    "Asks whether the current user may perform an action.",
    F_TOP,
    F_OBJ("spec", authz_SelfSubjectAccessReviewSpec, "The question.", REQ),
    F_OBJ("status", authz_SubjectAccessReviewStatus, "The answer."));

ZK_TYPE(authz_SelfSubjectAccessReviewSpec, N_AUTHZ "SelfSubjectAccessReviewSpec",
    "The question of a self review; exactly one member is set.",
    F_OBJ("resourceAttributes", authz_ResourceAttributes, "A resource request."),
    F_OBJ("nonResourceAttributes", authz_NonResourceAttributes, "A non-resource request."));

ZK_KIND(authz_SelfSubjectRulesReview, N_AUTHZ "SelfSubjectRulesReview",
    "authorization.k8s.io", "v1", "SelfSubjectRulesReview",
    "Lists what the current user may do in a namespace.",
    F_TOP,
    F_OBJ("spec", authz_SelfSubjectRulesReviewSpec, "The question.", REQ),
    F_OBJ("status", authz_SubjectRulesReviewStatus, "The answer."));

ZK_TYPE(authz_SelfSubjectRulesReviewSpec, N_AUTHZ "SelfSubjectRulesReviewSpec",
    "The namespace asked about.",
    F_STR("namespace", "Namespace to list the rules of."));

ZK_TYPE(authz_SubjectRulesReviewStatus, N_AUTHZ "SubjectRulesReviewStatus",
    "What a user may do; may be incomplete.",
    F_ARR("resourceRules", authz_ResourceRule, "Allowed resource actions.", REQ, ATOMIC),
    F_ARR("nonResourceRules", authz_NonResourceRule, "Allowed non-resource actions.", REQ,
          ATOMIC),
    F_BOOL("incomplete", "True when the authorizer cannot list every rule.", REQ),
    F_STR("evaluationError", "Problem met while listing."));

ZK_TYPE(authz_ResourceRule, N_AUTHZ "ResourceRule", "Allowed actions on resources.",
    F_ARR_STR("verbs", "Verbs; * means all.", REQ, ATOMIC),
    F_ARR_STR("apiGroups", "API groups; * means all.", ATOMIC),
    F_ARR_STR("resources", "Resources; * means all.", ATOMIC),
    F_ARR_STR("resourceNames", "Names; all when empty.", ATOMIC));

ZK_TYPE(authz_NonResourceRule, N_AUTHZ "NonResourceRule", "Allowed actions on URLs.",
    F_ARR_STR("verbs", "Verbs; * means all.", REQ, ATOMIC),
    F_ARR_STR("nonResourceURLs", "URL paths; a trailing * is a prefix match.", ATOMIC));

/* ---- admissionregistration.k8s.io/v1 -------------------------------- */

ZK_TYPE(admreg_ServiceReference, N_ADMREG "ServiceReference", "A service that serves a webhook.",
    F_STR("namespace", "Namespace of the service.", REQ),
    F_STR("name", "Name of the service.", REQ),
    F_STR("path", "URL path requests are sent to."),
    F_INT("port", "Port of the service. Default 443."));

ZK_TYPE(admreg_WebhookClientConfig, N_ADMREG "WebhookClientConfig",
    "How to reach a webhook: a URL or a service.",
    F_STR("url", "https URL of the webhook."),
    F_OBJ("service", admreg_ServiceReference, "In-cluster service of the webhook."),
    F_BYTES("caBundle", "PEM CA bundle to verify the webhook's certificate."));

ZK_TYPE(admreg_RuleWithOperations, N_ADMREG "RuleWithOperations",
    "Operations and resources a webhook is called for.",
    F_ARR_STR("operations", "CREATE, UPDATE, DELETE, CONNECT or *.", ATOMIC),
    F_ARR_STR("apiGroups", "API groups; * means all.", ATOMIC),
    F_ARR_STR("apiVersions", "API versions; * means all.", ATOMIC),
    F_ARR_STR("resources", "Resources, such as pods or pods/status; * means all.", ATOMIC),
    F_STR("scope", "Cluster, Namespaced or *. Default *."));

ZK_TYPE(admreg_MatchCondition, N_ADMREG "MatchCondition",
    "A CEL expression that must be true for a webhook to be called.",
    F_STR("name", "Name of the condition.", REQ),
    F_STR("expression", "CEL expression returning a bool.", REQ));

#define WEBHOOK_FIELDS                                                                      \
    F_STR("name", "Fully qualified name of the webhook, such as imagepolicy.example.com.",  \
          REQ),                                                                             \
    F_OBJ("clientConfig", admreg_WebhookClientConfig, "How to reach the webhook.", REQ),    \
    F_ARR("rules", admreg_RuleWithOperations, "Requests the webhook is called for.",        \
          ATOMIC),                                                                          \
    F_STR("failurePolicy", "What happens when the call fails. Default Fail.",               \
          ENUM("Fail", "Ignore")),                                                          \
    F_STR("matchPolicy", "Whether equivalent requests in other versions match. Default "    \
                         "Equivalent.", ENUM("Equivalent", "Exact")),                       \
    F_OBJ("namespaceSelector", meta_LabelSelector, "Namespaces the webhook is called for."),\
    F_OBJ("objectSelector", meta_LabelSelector, "Objects the webhook is called for."),      \
    F_STR("sideEffects", "Whether the webhook has side effects.", REQ,                      \
          ENUM("None", "NoneOnDryRun", "Some", "Unknown")),                                 \
    F_INT("timeoutSeconds", "Call timeout, 1 to 30. Default 10."),                          \
    F_ARR_STR("admissionReviewVersions", "AdmissionReview versions the webhook accepts.",   \
              REQ, ATOMIC),                                                                 \
    F_ARR("matchConditions", admreg_MatchCondition, "Conditions that must all hold.",       \
          MERGE("name"))

ZK_TYPE(admreg_MutatingWebhook, N_ADMREG "MutatingWebhook", "A mutating admission webhook.",
    WEBHOOK_FIELDS,
    F_STR("reinvocationPolicy", "Whether the webhook is called again after later mutations. "
                                "Default Never.", ENUM("IfNeeded", "Never")));

ZK_TYPE(admreg_ValidatingWebhook, N_ADMREG "ValidatingWebhook", "A validating admission webhook.",
    WEBHOOK_FIELDS);

ZK_KIND(admreg_MutatingWebhookConfiguration, N_ADMREG "MutatingWebhookConfiguration",
    "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
    "Webhooks that may change objects on admission.",
    F_TOP,
    F_ARR("webhooks", admreg_MutatingWebhook, "The webhooks.", MERGE("name")));

ZK_KIND(admreg_ValidatingWebhookConfiguration, N_ADMREG "ValidatingWebhookConfiguration",
    "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
    "Webhooks that may reject objects on admission.",
    F_TOP,
    F_ARR("webhooks", admreg_ValidatingWebhook, "The webhooks.", MERGE("name")));

/* ---- apiregistration.k8s.io/v1 -------------------------------------- */

ZK_KIND(apireg_APIService, N_APIREG "APIService", "apiregistration.k8s.io", "v1",
    "APIService", "A group-version served by the aggregator, locally or by an extension "
    "server.",
    F_TOP,
    F_OBJ("spec", apireg_APIServiceSpec, "Where and how the API is served."),
    F_OBJ("status", apireg_APIServiceStatus, "Current state."));

ZK_TYPE(apireg_ServiceReference, N_APIREG "ServiceReference", "A service serving an API.",
    F_STR("namespace", "Namespace of the service."),
    F_STR("name", "Name of the service."),
    F_INT("port", "Port of the service. Default 443."));

ZK_TYPE(apireg_APIServiceSpec, N_APIREG "APIServiceSpec", "Where an API is served.",
    F_OBJ("service", apireg_ServiceReference, "Extension server; unset means served "
                                              "locally."),
    F_STR("group", "API group served."),
    F_STR("version", "API version served."),
    F_BOOL("insecureSkipTLSVerify", "Skip verifying the server's certificate."),
    F_BYTES("caBundle", "PEM CA bundle to verify the server's certificate."),
    F_INT("groupPriorityMinimum", "Priority of the group in discovery.", REQ),
    F_INT("versionPriority", "Order of the version within its group.", REQ));

ZK_TYPE(apireg_APIServiceStatus, N_APIREG "APIServiceStatus", "Current state of an APIService.",
    F_ARR("conditions", apireg_APIServiceCondition, "Current conditions.", MERGE("type")));

ZK_TYPE(apireg_APIServiceCondition, N_APIREG "APIServiceCondition",
    "One condition of an APIService.",
    F_STR("type", "Condition type, such as Available.", REQ),
    F_STR("status", "Whether the condition holds.", REQ, E_COND),
    F_TIME("lastTransitionTime", "When the status last changed."),
    F_STR("reason", "CamelCase reason for the last transition."),
    F_STR("message", "Human-readable detail."));

/* ---- apiextensions.k8s.io/v1 ---------------------------------------- */

ZK_KIND(apiext_CustomResourceDefinition, N_APIEXT "CustomResourceDefinition",
    "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
    "Defines a custom resource served by the API server.",
    F_TOP,
    F_OBJ("spec", apiext_CustomResourceDefinitionSpec, "The resource's definition.", REQ),
    F_OBJ("status", apiext_CustomResourceDefinitionStatus, "Current state."));

ZK_TYPE(apiext_CustomResourceDefinitionSpec, N_APIEXT "CustomResourceDefinitionSpec",
    "Definition of a custom resource.",
    F_STR("group", "API group of the resource; the definition's name is <plural>.<group>.",
          REQ),
    F_OBJ("names", apiext_CustomResourceDefinitionNames, "Names of the resource.", REQ),
    F_STR("scope", "Cluster or Namespaced.", REQ, ENUM("Cluster", "Namespaced")),
    F_ARR("versions", apiext_CustomResourceDefinitionVersion, "Versions served.", REQ,
          ATOMIC),
    F_OBJ("conversion", apiext_CustomResourceConversion, "How objects are converted "
                                                         "between versions."),
    F_BOOL("preserveUnknownFields", "Deprecated; must be false in v1."));

ZK_TYPE(apiext_CustomResourceDefinitionNames, N_APIEXT "CustomResourceDefinitionNames",
    "Names of a custom resource.",
    F_STR("plural", "Plural resource name, used in URLs.", REQ),
    F_STR("singular", "Singular name; defaults to the lower-case kind."),
    F_ARR_STR("shortNames", "Short aliases for the command line.", ATOMIC),
    F_STR("kind", "Kind of the objects.", REQ),
    F_STR("listKind", "Kind of lists; defaults to <kind>List."),
    F_ARR_STR("categories", "Groupings, such as all.", ATOMIC));

ZK_TYPE(apiext_CustomResourceDefinitionVersion, N_APIEXT "CustomResourceDefinitionVersion",
    "One version of a custom resource.",
    F_STR("name", "Version name, such as v1 or v1beta2.", REQ),
    F_BOOL("served", "Whether the version is served.", REQ),
    F_BOOL("storage", "Whether objects are stored in this version; exactly one is.", REQ),
    F_BOOL("deprecated", "Whether the version is deprecated."),
    F_STR("deprecationWarning", "Warning returned to clients of a deprecated version."),
    F_OBJ("schema", apiext_CustomResourceValidation, "Schema of the objects."),
    F_OBJ("subresources", apiext_CustomResourceSubresources, "Subresources served."),
    F_ARR("additionalPrinterColumns", apiext_CustomResourceColumnDefinition, "Extra columns "
          "for table output.", ATOMIC),
    F_ARR("selectableFields", apiext_SelectableField, "Fields usable in field selectors.",
          ATOMIC));

ZK_TYPE(apiext_CustomResourceValidation, N_APIEXT "CustomResourceValidation",
    "Schema of a custom resource version.",
    F_OBJ("openAPIV3Schema", apiext_JSONSchemaProps, "Structural OpenAPI v3 schema."));

ZK_TYPE(apiext_CustomResourceSubresources, N_APIEXT "CustomResourceSubresources",
    "Subresources of a custom resource.",
    F_OBJ("status", apiext_CustomResourceSubresourceStatus, "Serve /status; the main "
                                                            "resource then ignores status."),
    F_OBJ("scale", apiext_CustomResourceSubresourceScale, "Serve /scale."));

ZK_TYPE_EMPTY(apiext_CustomResourceSubresourceStatus,
    N_APIEXT "CustomResourceSubresourceStatus",
    "Enables the status subresource; has no fields.");

ZK_TYPE(apiext_CustomResourceSubresourceScale, N_APIEXT "CustomResourceSubresourceScale",
    "Where the scale subresource finds its numbers.",
    F_STR("specReplicasPath", "JSON path of the desired replicas, under .spec.", REQ),
    F_STR("statusReplicasPath", "JSON path of the observed replicas, under .status.", REQ),
    F_STR("labelSelectorPath", "JSON path of the selector string, under .status or "
                               ".spec."));

ZK_TYPE(apiext_CustomResourceColumnDefinition, N_APIEXT "CustomResourceColumnDefinition",
    "A column of table output.",
    F_STR("name", "Column header.", REQ),
    F_STR("type", "OpenAPI type of the column, such as string or integer.", REQ),
    F_STR("format", "OpenAPI format of the column."),
    F_STR("description", "Description of the column."),
    F_INT("priority", "0 shows by default; higher shows with -o wide."),
    F_STR("jsonPath", "Simple JSON path evaluated against each object.", REQ));

ZK_TYPE(apiext_SelectableField, N_APIEXT "SelectableField", "A field usable in field selectors.",
    F_STR("jsonPath", "Simple JSON path of the field.", REQ));

ZK_TYPE(apiext_CustomResourceConversion, N_APIEXT "CustomResourceConversion",
    "How objects are converted between versions.",
    F_STR("strategy", "None only changes apiVersion; Webhook calls a webhook.", REQ,
          ENUM("None", "Webhook")),
    F_OBJ("webhook", apiext_WebhookConversion, "The conversion webhook."));

ZK_TYPE(apiext_WebhookConversion, N_APIEXT "WebhookConversion", "A conversion webhook.",
    F_OBJ("clientConfig", apiext_WebhookClientConfig, "How to reach the webhook."),
    F_ARR_STR("conversionReviewVersions", "ConversionReview versions it accepts.", REQ,
              ATOMIC));

ZK_TYPE(apiext_WebhookClientConfig, N_APIEXT "WebhookClientConfig",
    "How to reach a webhook: a URL or a service.",
    F_STR("url", "https URL of the webhook."),
    F_OBJ("service", apiext_ServiceReference, "In-cluster service of the webhook."),
    F_BYTES("caBundle", "PEM CA bundle to verify the webhook's certificate."));

ZK_TYPE(apiext_ServiceReference, N_APIEXT "ServiceReference", "A service that serves a webhook.",
    F_STR("namespace", "Namespace of the service.", REQ),
    F_STR("name", "Name of the service.", REQ),
    F_STR("path", "URL path requests are sent to."),
    F_INT("port", "Port of the service. Default 443."));

ZK_TYPE(apiext_ExternalDocumentation, N_APIEXT "ExternalDocumentation",
    "A link to more documentation.",
    F_STR("description", "What the link is."),
    F_STR("url", "The link."));

ZK_TYPE(apiext_ValidationRule, N_APIEXT "ValidationRule", "A CEL validation rule.",
    F_STR("rule", "CEL expression; self is the value, oldSelf the previous one.", REQ),
    F_STR("message", "Message when the rule fails."),
    F_STR("messageExpression", "CEL expression giving the message."),
    F_STR("reason", "Reason reported when the rule fails.",
          ENUM("FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
               "FieldValueRequired")),
    F_STR("fieldPath", "Field the failure is reported on."),
    F_BOOL("optionalOldSelf", "Also evaluate on create, with oldSelf absent."));

/* JSONSchemaProps refers to itself; its polymorphic members (schema-or-array,
 * schema-or-bool, arbitrary JSON) are ZK_S_ANY. */
ZK_TYPE(apiext_JSONSchemaProps, N_APIEXT "JSONSchemaProps",
    "A JSON Schema (draft 4 subset with Kubernetes extensions).",
    F_STR("id", "Schema id."),
    F_STR("$schema", "Meta-schema URI."),
    F_STR("$ref", "Reference to another schema."),
    F_STR("description", "Description of the value."),
    F_STR("type", "JSON type: object, array, string, integer, number or boolean."),
    F_STR("format", "Format of the value, such as int32 or date-time."),
    F_STR("title", "Title of the schema."),
    F_ANY("default", "Default value, applied when the field is absent."),
    F_NUM("maximum", "Largest allowed number."),
    F_BOOL("exclusiveMaximum", "Whether maximum itself is excluded."),
    F_NUM("minimum", "Smallest allowed number."),
    F_BOOL("exclusiveMinimum", "Whether minimum itself is excluded."),
    F_I64("maxLength", "Longest allowed string."),
    F_I64("minLength", "Shortest allowed string."),
    F_STR("pattern", "Regular expression strings must match."),
    F_I64("maxItems", "Most items in an array."),
    F_I64("minItems", "Fewest items in an array."),
    F_BOOL("uniqueItems", "Whether array items must be unique."),
    F_NUM("multipleOf", "Numbers must be a multiple of this."),
    F_ARR_ANY("enum", "Allowed values.", ATOMIC),
    F_I64("maxProperties", "Most properties of an object."),
    F_I64("minProperties", "Fewest properties of an object."),
    F_ARR_STR("required", "Properties that must be present.", ATOMIC),
    F_ANY("items", "Schema of array items, or one schema per position."),
    F_ARR("allOf", apiext_JSONSchemaProps, "Schemas that must all match.", ATOMIC),
    F_ARR("oneOf", apiext_JSONSchemaProps, "Schemas of which exactly one must match.",
          ATOMIC),
    F_ARR("anyOf", apiext_JSONSchemaProps, "Schemas of which at least one must match.",
          ATOMIC),
    F_OBJ("not", apiext_JSONSchemaProps, "Schema that must not match."),
    F_MAP("properties", apiext_JSONSchemaProps, "Schemas of named properties."),
    F_ANY("additionalProperties", "Schema of other properties, or whether they are "
                                  "allowed."),
    F_MAP("patternProperties", apiext_JSONSchemaProps, "Schemas of properties whose names "
                                                       "match a pattern."),
    F_MAP_ANY("dependencies", "Schemas or property lists required when a property is "
                              "present."),
    F_ANY("additionalItems", "Schema of extra array items, or whether they are allowed."),
    F_MAP("definitions", apiext_JSONSchemaProps, "Named schemas for reference."),
    F_OBJ("externalDocs", apiext_ExternalDocumentation, "More documentation."),
    F_ANY("example", "An example value."),
    F_BOOL("nullable", "Whether null is allowed."),
    F_BOOL("x-kubernetes-preserve-unknown-fields", "Keep fields the schema does not "
                                                   "name."),
    F_BOOL("x-kubernetes-embedded-resource", "The value is an embedded object with "
                                             "apiVersion, kind and metadata."),
    F_BOOL("x-kubernetes-int-or-string", "The value is an integer or a string."),
    F_ARR_STR("x-kubernetes-list-map-keys", "Keys identifying items of a map list.",
              ATOMIC),
    F_STR("x-kubernetes-list-type", "atomic, set or map."),
    F_STR("x-kubernetes-map-type", "granular or atomic."),
    F_ARR("x-kubernetes-validations", apiext_ValidationRule, "CEL validation rules.",
          MERGE("rule")));

ZK_TYPE(apiext_CustomResourceDefinitionStatus, N_APIEXT "CustomResourceDefinitionStatus",
    "Current state of a definition.",
    F_ARR("conditions", apiext_CustomResourceDefinitionCondition, "Current conditions.",
          MERGE("type")),
    F_OBJ("acceptedNames", apiext_CustomResourceDefinitionNames, "Names actually served."),
    F_ARR_STR("storedVersions", "Versions objects have ever been stored in.", ATOMIC));

ZK_TYPE(apiext_CustomResourceDefinitionCondition, N_APIEXT "CustomResourceDefinitionCondition",
    "One condition of a definition.",
    F_STR("type", "Condition type, such as Established.", REQ),
    F_STR("status", "Whether the condition holds.", REQ, E_COND),
    F_TIME("lastTransitionTime", "When the status last changed."),
    F_STR("reason", "CamelCase reason for the last transition."),
    F_STR("message", "Human-readable detail."));
