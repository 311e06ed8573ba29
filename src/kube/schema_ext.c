/* Field schemas: authorization/v1 reviews, admissionregistration/v1 webhook configurations,
 * apiregistration/v1 APIService and apiextensions/v1 CustomResourceDefinition. */
#include "kube/schema_decl.h"

/* ---- authorization.k8s.io/v1 ---------------------------------------- */

ZK_TYPE(authz_ResourceAttributes, N_AUTHZ "ResourceAttributes",
    "A request on a resource, as the authorizer sees it.",
    F_STR("namespace", "Namespace of the request; empty means all for namespaced "
                       "resources.", PB(1)),
    F_STR("verb", "API verb, such as get or list; * means all.", PB(2)),
    F_STR("group", "API group; * means all.", PB(3)),
    F_STR("version", "API version; * means all.", PB(4)),
    F_STR("resource", "Resource; * means all.", PB(5)),
    F_STR("subresource", "Subresource; empty for none.", PB(6)),
    F_STR("name", "Name of the object; empty means all.", PB(7)),
    F_OBJ("fieldSelector", authz_FieldSelectorAttributes, "Field selector of a list or "
                                                          "watch.", PB(8)),
    F_OBJ("labelSelector", authz_LabelSelectorAttributes, "Label selector of a list or "
                                                          "watch.", PB(9)));

ZK_TYPE(authz_FieldSelectorAttributes, N_AUTHZ "FieldSelectorAttributes",
    "A field selector, raw or parsed.",
    F_STR("rawSelector", "The selector as a query string.", PB(1)),
    F_ARR("requirements", meta_FieldSelectorRequirement, "The parsed selector.", ATOMIC, PB(2)));

ZK_TYPE(authz_LabelSelectorAttributes, N_AUTHZ "LabelSelectorAttributes",
    "A label selector, raw or parsed.",
    F_STR("rawSelector", "The selector as a query string.", PB(1)),
    F_ARR("requirements", meta_LabelSelectorRequirement, "The parsed selector.", ATOMIC, PB(2)));

ZK_TYPE(authz_NonResourceAttributes, N_AUTHZ "NonResourceAttributes",
    "A request on a non-resource URL.",
    F_STR("path", "URL path.", PB(1)),
    F_STR("verb", "HTTP verb in lower case.", PB(2)));

ZK_TYPE(authz_SubjectAccessReviewStatus, N_AUTHZ "SubjectAccessReviewStatus",
    "The authorizer's decision.",
    F_BOOL("allowed", "Whether the action is allowed.", REQ, PB(1)),
    F_BOOL("denied", "Whether the action is explicitly denied.", PB(4)),
    F_STR("reason", "Why, in words.", PB(2)),
    F_STR("evaluationError", "Problem met while deciding.", PB(3)));

ZK_KIND(authz_SubjectAccessReview, N_AUTHZ "SubjectAccessReview", "authorization.k8s.io",
    "v1", "SubjectAccessReview", "Asks whether a user or group may perform an action.",
    F_TOP,
    F_OBJ("spec", authz_SubjectAccessReviewSpec, "The question.", REQ, PB(2)),
    F_OBJ("status", authz_SubjectAccessReviewStatus, "The answer.", PB(3)));

/* extra is map<string, ExtraValue> in protobuf, ExtraValue being a message
 * with the list of strings as items = 1; JSON has the bare lists. */
ZK_TYPE(authz_SubjectAccessReviewSpec, N_AUTHZ "SubjectAccessReviewSpec",
    "The question of a review; exactly one of the attribute members is set.",
    F_OBJ("resourceAttributes", authz_ResourceAttributes, "A resource request.", PB(1)),
    F_OBJ("nonResourceAttributes", authz_NonResourceAttributes, "A non-resource request.", PB(2)),
    F_STR("user", "User asked about.", PB(3)),
    F_ARR_STR("groups", "Groups asked about.", ATOMIC, PB(4)),
    F_MAP_ANY("extra", "Extra authenticator attributes, each a list of strings.", PB(5)),
    F_STR("uid", "UID of the user.", PB(6)));

ZK_KIND(authz_SelfSubjectAccessReview, N_AUTHZ "SelfSubjectAccessReview",
    "authorization.k8s.io", "v1", "SelfSubjectAccessReview",
    "Asks whether the current user may perform an action.",
    F_TOP,
    F_OBJ("spec", authz_SelfSubjectAccessReviewSpec, "The question.", REQ, PB(2)),
    F_OBJ("status", authz_SubjectAccessReviewStatus, "The answer.", PB(3)));

ZK_TYPE(authz_SelfSubjectAccessReviewSpec, N_AUTHZ "SelfSubjectAccessReviewSpec",
    "The question of a self review; exactly one member is set.",
    F_OBJ("resourceAttributes", authz_ResourceAttributes, "A resource request.", PB(1)),
    F_OBJ("nonResourceAttributes", authz_NonResourceAttributes, "A non-resource request.",
          PB(2)));

ZK_KIND(authz_SelfSubjectRulesReview, N_AUTHZ "SelfSubjectRulesReview",
    "authorization.k8s.io", "v1", "SelfSubjectRulesReview",
    "Lists what the current user may do in a namespace.",
    F_TOP,
    F_OBJ("spec", authz_SelfSubjectRulesReviewSpec, "The question.", REQ, PB(2)),
    F_OBJ("status", authz_SubjectRulesReviewStatus, "The answer.", PB(3)));

ZK_TYPE(authz_SelfSubjectRulesReviewSpec, N_AUTHZ "SelfSubjectRulesReviewSpec",
    "The namespace asked about.",
    F_STR("namespace", "Namespace to list the rules of.", PB(1)));

ZK_TYPE(authz_SubjectRulesReviewStatus, N_AUTHZ "SubjectRulesReviewStatus",
    "What a user may do; may be incomplete.",
    F_ARR("resourceRules", authz_ResourceRule, "Allowed resource actions.", REQ, ATOMIC, PB(1)),
    F_ARR("nonResourceRules", authz_NonResourceRule, "Allowed non-resource actions.", REQ,
          ATOMIC, PB(2)),
    F_BOOL("incomplete", "True when the authorizer cannot list every rule.", REQ, PB(3)),
    F_STR("evaluationError", "Problem met while listing.", PB(4)));

ZK_TYPE(authz_ResourceRule, N_AUTHZ "ResourceRule", "Allowed actions on resources.",
    F_ARR_STR("verbs", "Verbs; * means all.", REQ, ATOMIC, PB(1)),
    F_ARR_STR("apiGroups", "API groups; * means all.", ATOMIC, PB(2)),
    F_ARR_STR("resources", "Resources; * means all.", ATOMIC, PB(3)),
    F_ARR_STR("resourceNames", "Names; all when empty.", ATOMIC, PB(4)));

ZK_TYPE(authz_NonResourceRule, N_AUTHZ "NonResourceRule", "Allowed actions on URLs.",
    F_ARR_STR("verbs", "Verbs; * means all.", REQ, ATOMIC, PB(1)),
    F_ARR_STR("nonResourceURLs", "URL paths; a trailing * is a prefix match.", ATOMIC, PB(2)));

/* ---- admissionregistration.k8s.io/v1 -------------------------------- */

ZK_TYPE(admreg_ServiceReference, N_ADMREG "ServiceReference", "A service that serves a webhook.",
    F_STR("namespace", "Namespace of the service.", REQ, PB(1)),
    F_STR("name", "Name of the service.", REQ, PB(2)),
    F_STR("path", "URL path requests are sent to.", PB(3)),
    F_INT("port", "Port of the service. Default 443.", PB(4)));

ZK_TYPE(admreg_WebhookClientConfig, N_ADMREG "WebhookClientConfig",
    "How to reach a webhook: a URL or a service.",
    F_STR("url", "https URL of the webhook.", PB(3)),
    F_OBJ("service", admreg_ServiceReference, "In-cluster service of the webhook.", PB(1)),
    F_BYTES("caBundle", "PEM CA bundle to verify the webhook's certificate.", PB(2)));

/* Rule is embedded in RuleWithOperations: JSON inlines its fields, protobuf
 * nests them in rule = 2. */
ZK_TYPE(admreg_RuleWithOperations, N_ADMREG "RuleWithOperations",
    "Operations and resources a webhook is called for.",
    F_ARR_STR("operations", "CREATE, UPDATE, DELETE, CONNECT or *.", ATOMIC, PB(1)),
    F_ARR_STR("apiGroups", "API groups; * means all.", ATOMIC, PB_IN(2, 1)),
    F_ARR_STR("apiVersions", "API versions; * means all.", ATOMIC, PB_IN(2, 2)),
    F_ARR_STR("resources", "Resources, such as pods or pods/status; * means all.", ATOMIC,
              PB_IN(2, 3)),
    F_STR("scope", "Cluster, Namespaced or *. Default *.", PB_IN(2, 4)));

ZK_TYPE(admreg_MatchCondition, N_ADMREG "MatchCondition",
    "A CEL expression that must be true for a webhook to be called.",
    F_STR("name", "Name of the condition.", REQ, PB(1)),
    F_STR("expression", "CEL expression returning a bool.", REQ, PB(2)));

/* Mutating and validating webhooks share their fields and numbers, except that
 * objectSelector and matchConditions are one higher in MutatingWebhook, whose
 * reinvocationPolicy is 10. */
#define WEBHOOK_FIELDS(objsel_pb, matchcond_pb)                                             \
    F_STR("name", "Fully qualified name of the webhook, such as imagepolicy.example.com.",  \
          REQ, PB(1)),                                                                      \
    F_OBJ("clientConfig", admreg_WebhookClientConfig, "How to reach the webhook.", REQ,     \
          PB(2)),                                                                           \
    F_ARR("rules", admreg_RuleWithOperations, "Requests the webhook is called for.",        \
          ATOMIC, PB(3)),                                                                   \
    F_STR("failurePolicy", "What happens when the call fails. Default Fail.",               \
          ENUM("Fail", "Ignore"), PB(4)),                                                   \
    F_STR("matchPolicy", "Whether equivalent requests in other versions match. Default "    \
                         "Equivalent.", ENUM("Equivalent", "Exact"), PB(9)),                \
    F_OBJ("namespaceSelector", meta_LabelSelector, "Namespaces the webhook is called for.", \
          PB(5)),                                                                           \
    F_OBJ("objectSelector", meta_LabelSelector, "Objects the webhook is called for.",       \
          PB(objsel_pb)),                                                                   \
    F_STR("sideEffects", "Whether the webhook has side effects.", REQ,                      \
          ENUM("None", "NoneOnDryRun", "Some", "Unknown"), PB(6)),                          \
    F_INT("timeoutSeconds", "Call timeout, 1 to 30. Default 10.", PB(7)),                   \
    F_ARR_STR("admissionReviewVersions", "AdmissionReview versions the webhook accepts.",   \
              REQ, ATOMIC, PB(8)),                                                          \
    F_ARR("matchConditions", admreg_MatchCondition, "Conditions that must all hold.",       \
          MERGE("name"), PB(matchcond_pb))

ZK_TYPE(admreg_MutatingWebhook, N_ADMREG "MutatingWebhook", "A mutating admission webhook.",
    WEBHOOK_FIELDS(11, 12),
    F_STR("reinvocationPolicy", "Whether the webhook is called again after later mutations. "
                                "Default Never.", ENUM("IfNeeded", "Never"), PB(10)));

ZK_TYPE(admreg_ValidatingWebhook, N_ADMREG "ValidatingWebhook", "A validating admission webhook.",
    WEBHOOK_FIELDS(10, 11));

ZK_KIND(admreg_MutatingWebhookConfiguration, N_ADMREG "MutatingWebhookConfiguration",
    "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
    "Webhooks that may change objects on admission.",
    F_TOP,
    F_ARR("webhooks", admreg_MutatingWebhook, "The webhooks.", MERGE("name"), PB(2)));

ZK_KIND(admreg_ValidatingWebhookConfiguration, N_ADMREG "ValidatingWebhookConfiguration",
    "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
    "Webhooks that may reject objects on admission.",
    F_TOP,
    F_ARR("webhooks", admreg_ValidatingWebhook, "The webhooks.", MERGE("name"), PB(2)));

/* ---- apiregistration.k8s.io/v1 -------------------------------------- */

ZK_KIND(apireg_APIService, N_APIREG "APIService", "apiregistration.k8s.io", "v1",
    "APIService", "A group-version served by the aggregator, locally or by an extension "
    "server.",
    F_TOP,
    F_OBJ("spec", apireg_APIServiceSpec, "Where and how the API is served.", PB(2)),
    F_OBJ("status", apireg_APIServiceStatus, "Current state.", PB(3)));

ZK_TYPE(apireg_ServiceReference, N_APIREG "ServiceReference", "A service serving an API.",
    F_STR("namespace", "Namespace of the service.", PB(1)),
    F_STR("name", "Name of the service.", PB(2)),
    F_INT("port", "Port of the service. Default 443.", PB(3)));

ZK_TYPE(apireg_APIServiceSpec, N_APIREG "APIServiceSpec", "Where an API is served.",
    F_OBJ("service", apireg_ServiceReference, "Extension server; unset means served "
                                              "locally.", PB(1)),
    F_STR("group", "API group served.", PB(2)),
    F_STR("version", "API version served.", PB(3)),
    F_BOOL("insecureSkipTLSVerify", "Skip verifying the server's certificate.", PB(4)),
    F_BYTES("caBundle", "PEM CA bundle to verify the server's certificate.", PB(5)),
    F_INT("groupPriorityMinimum", "Priority of the group in discovery.", REQ, PB(7)),
    F_INT("versionPriority", "Order of the version within its group.", REQ, PB(8)));

ZK_TYPE(apireg_APIServiceStatus, N_APIREG "APIServiceStatus", "Current state of an APIService.",
    F_ARR("conditions", apireg_APIServiceCondition, "Current conditions.", MERGE("type"), PB(1)));

ZK_TYPE(apireg_APIServiceCondition, N_APIREG "APIServiceCondition",
    "One condition of an APIService.",
    F_STR("type", "Condition type, such as Available.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(3)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(4)),
    F_STR("message", "Human-readable detail.", PB(5)));

/* ---- apiextensions.k8s.io/v1 ---------------------------------------- */

ZK_KIND(apiext_CustomResourceDefinition, N_APIEXT "CustomResourceDefinition",
    "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
    "Defines a custom resource served by the API server.",
    F_TOP,
    F_OBJ("spec", apiext_CustomResourceDefinitionSpec, "The resource's definition.", REQ, PB(2)),
    F_OBJ("status", apiext_CustomResourceDefinitionStatus, "Current state.", PB(3)));

ZK_TYPE(apiext_CustomResourceDefinitionSpec, N_APIEXT "CustomResourceDefinitionSpec",
    "Definition of a custom resource.",
    F_STR("group", "API group of the resource; the definition's name is <plural>.<group>.",
          REQ, PB(1)),
    F_OBJ("names", apiext_CustomResourceDefinitionNames, "Names of the resource.", REQ, PB(3)),
    F_STR("scope", "Cluster or Namespaced.", REQ, ENUM("Cluster", "Namespaced"), PB(4)),
    F_ARR("versions", apiext_CustomResourceDefinitionVersion, "Versions served.", REQ,
          ATOMIC, PB(7)),
    F_OBJ("conversion", apiext_CustomResourceConversion, "How objects are converted "
                                                         "between versions.", PB(9)),
    F_BOOL("preserveUnknownFields", "Deprecated; must be false in v1.", PB(10)));

ZK_TYPE(apiext_CustomResourceDefinitionNames, N_APIEXT "CustomResourceDefinitionNames",
    "Names of a custom resource.",
    F_STR("plural", "Plural resource name, used in URLs.", REQ, PB(1)),
    F_STR("singular", "Singular name; defaults to the lower-case kind.", PB(2)),
    F_ARR_STR("shortNames", "Short aliases for the command line.", ATOMIC, PB(3)),
    F_STR("kind", "Kind of the objects.", REQ, PB(4)),
    F_STR("listKind", "Kind of lists; defaults to <kind>List.", PB(5)),
    F_ARR_STR("categories", "Groupings, such as all.", ATOMIC, PB(6)));

ZK_TYPE(apiext_CustomResourceDefinitionVersion, N_APIEXT "CustomResourceDefinitionVersion",
    "One version of a custom resource.",
    F_STR("name", "Version name, such as v1 or v1beta2.", REQ, PB(1)),
    F_BOOL("served", "Whether the version is served.", REQ, PB(2)),
    F_BOOL("storage", "Whether objects are stored in this version; exactly one is.", REQ, PB(3)),
    F_BOOL("deprecated", "Whether the version is deprecated.", PB(7)),
    F_STR("deprecationWarning", "Warning returned to clients of a deprecated version.", PB(8)),
    F_OBJ("schema", apiext_CustomResourceValidation, "Schema of the objects.", PB(4)),
    F_OBJ("subresources", apiext_CustomResourceSubresources, "Subresources served.", PB(5)),
    F_ARR("additionalPrinterColumns", apiext_CustomResourceColumnDefinition, "Extra columns "
          "for table output.", ATOMIC, PB(6)),
    F_ARR("selectableFields", apiext_SelectableField, "Fields usable in field selectors.",
          ATOMIC, PB(9)));

ZK_TYPE(apiext_CustomResourceValidation, N_APIEXT "CustomResourceValidation",
    "Schema of a custom resource version.",
    F_OBJ("openAPIV3Schema", apiext_JSONSchemaProps, "Structural OpenAPI v3 schema.", PB(1)));

ZK_TYPE(apiext_CustomResourceSubresources, N_APIEXT "CustomResourceSubresources",
    "Subresources of a custom resource.",
    F_OBJ("status", apiext_CustomResourceSubresourceStatus, "Serve /status; the main "
          "resource then ignores status.", PB(1)),
    F_OBJ("scale", apiext_CustomResourceSubresourceScale, "Serve /scale.", PB(2)));

ZK_TYPE_EMPTY(apiext_CustomResourceSubresourceStatus,
    N_APIEXT "CustomResourceSubresourceStatus",
    "Enables the status subresource; has no fields.");

ZK_TYPE(apiext_CustomResourceSubresourceScale, N_APIEXT "CustomResourceSubresourceScale",
    "Where the scale subresource finds its numbers.",
    F_STR("specReplicasPath", "JSON path of the desired replicas, under .spec.", REQ, PB(1)),
    F_STR("statusReplicasPath", "JSON path of the observed replicas, under .status.", REQ, PB(2)),
    F_STR("labelSelectorPath", "JSON path of the selector string, under .status or "
                               ".spec.", PB(3)));

ZK_TYPE(apiext_CustomResourceColumnDefinition, N_APIEXT "CustomResourceColumnDefinition",
    "A column of table output.",
    F_STR("name", "Column header.", REQ, PB(1)),
    F_STR("type", "OpenAPI type of the column, such as string or integer.", REQ, PB(2)),
    F_STR("format", "OpenAPI format of the column.", PB(3)),
    F_STR("description", "Description of the column.", PB(4)),
    F_INT("priority", "0 shows by default; higher shows with -o wide.", PB(5)),
    F_STR("jsonPath", "Simple JSON path evaluated against each object.", REQ, PB(6)));

ZK_TYPE(apiext_SelectableField, N_APIEXT "SelectableField", "A field usable in field selectors.",
    F_STR("jsonPath", "Simple JSON path of the field.", REQ, PB(1)));

ZK_TYPE(apiext_CustomResourceConversion, N_APIEXT "CustomResourceConversion",
    "How objects are converted between versions.",
    F_STR("strategy", "None only changes apiVersion; Webhook calls a webhook.", REQ,
          ENUM("None", "Webhook"), PB(1)),
    F_OBJ("webhook", apiext_WebhookConversion, "The conversion webhook.", PB(2)));

ZK_TYPE(apiext_WebhookConversion, N_APIEXT "WebhookConversion", "A conversion webhook.",
    F_OBJ("clientConfig", apiext_WebhookClientConfig, "How to reach the webhook.", PB(2)),
    F_ARR_STR("conversionReviewVersions", "ConversionReview versions it accepts.", REQ,
              ATOMIC, PB(3)));

ZK_TYPE(apiext_WebhookClientConfig, N_APIEXT "WebhookClientConfig",
    "How to reach a webhook: a URL or a service.",
    F_STR("url", "https URL of the webhook.", PB(3)),
    F_OBJ("service", apiext_ServiceReference, "In-cluster service of the webhook.", PB(1)),
    F_BYTES("caBundle", "PEM CA bundle to verify the webhook's certificate.", PB(2)));

ZK_TYPE(apiext_ServiceReference, N_APIEXT "ServiceReference", "A service that serves a webhook.",
    F_STR("namespace", "Namespace of the service.", REQ, PB(1)),
    F_STR("name", "Name of the service.", REQ, PB(2)),
    F_STR("path", "URL path requests are sent to.", PB(3)),
    F_INT("port", "Port of the service. Default 443.", PB(4)));

ZK_TYPE(apiext_ExternalDocumentation, N_APIEXT "ExternalDocumentation",
    "A link to more documentation.",
    F_STR("description", "What the link is.", PB(1)),
    F_STR("url", "The link.", PB(2)));

ZK_TYPE(apiext_ValidationRule, N_APIEXT "ValidationRule", "A CEL validation rule.",
    F_STR("rule", "CEL expression; self is the value, oldSelf the previous one.", REQ, PB(1)),
    F_STR("message", "Message when the rule fails.", PB(2)),
    F_STR("messageExpression", "CEL expression giving the message.", PB(3)),
    F_STR("reason", "Reason reported when the rule fails.",
          ENUM("FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
               "FieldValueRequired"), PB(4)),
    F_STR("fieldPath", "Field the failure is reported on.", PB(5)),
    F_BOOL("optionalOldSelf", "Also evaluate on create, with oldSelf absent.", PB(6)));

/* JSONSchemaProps refers to itself; its polymorphic members (schema-or-array,
 * schema-or-bool, arbitrary JSON) are ZK_S_ANY. In protobuf those are wrapper
 * messages: JSON {raw = 1, the JSON text} for default, example and each enum
 * item; JSONSchemaPropsOrArray {schema = 1, jSONSchemas = 2} for items;
 * JSONSchemaPropsOrBool {allows = 1, schema = 2} for additionalProperties and
 * additionalItems; JSONSchemaPropsOrStringArray {schema = 1, property = 2} for
 * the values of dependencies. "$schema" and "$ref" are named schema and ref
 * there, and the x-kubernetes-* members xKubernetes*. */
ZK_TYPE(apiext_JSONSchemaProps, N_APIEXT "JSONSchemaProps",
    "A JSON Schema (draft 4 subset with Kubernetes extensions).",
    F_STR("id", "Schema id.", PB(1)),
    F_STR("$schema", "Meta-schema URI.", PB(2)),
    F_STR("$ref", "Reference to another schema.", PB(3)),
    F_STR("description", "Description of the value.", PB(4)),
    F_STR("type", "JSON type: object, array, string, integer, number or boolean.", PB(5)),
    F_STR("format", "Format of the value, such as int32 or date-time.", PB(6)),
    F_STR("title", "Title of the schema.", PB(7)),
    F_ANY("default", "Default value, applied when the field is absent.", PB(8)),
    F_NUM("maximum", "Largest allowed number.", PB(9)),
    F_BOOL("exclusiveMaximum", "Whether maximum itself is excluded.", PB(10)),
    F_NUM("minimum", "Smallest allowed number.", PB(11)),
    F_BOOL("exclusiveMinimum", "Whether minimum itself is excluded.", PB(12)),
    F_I64("maxLength", "Longest allowed string.", PB(13)),
    F_I64("minLength", "Shortest allowed string.", PB(14)),
    F_STR("pattern", "Regular expression strings must match.", PB(15)),
    F_I64("maxItems", "Most items in an array.", PB(16)),
    F_I64("minItems", "Fewest items in an array.", PB(17)),
    F_BOOL("uniqueItems", "Whether array items must be unique.", PB(18)),
    F_NUM("multipleOf", "Numbers must be a multiple of this.", PB(19)),
    F_ARR_ANY("enum", "Allowed values.", ATOMIC, PB(20)),
    F_I64("maxProperties", "Most properties of an object.", PB(21)),
    F_I64("minProperties", "Fewest properties of an object.", PB(22)),
    F_ARR_STR("required", "Properties that must be present.", ATOMIC, PB(23)),
    F_ANY("items", "Schema of array items, or one schema per position.", PB(24)),
    F_ARR("allOf", apiext_JSONSchemaProps, "Schemas that must all match.", ATOMIC, PB(25)),
    F_ARR("oneOf", apiext_JSONSchemaProps, "Schemas of which exactly one must match.",
          ATOMIC, PB(26)),
    F_ARR("anyOf", apiext_JSONSchemaProps, "Schemas of which at least one must match.",
          ATOMIC, PB(27)),
    F_OBJ("not", apiext_JSONSchemaProps, "Schema that must not match.", PB(28)),
    F_MAP("properties", apiext_JSONSchemaProps, "Schemas of named properties.", PB(29)),
    F_ANY("additionalProperties", "Schema of other properties, or whether they are "
                                  "allowed.", PB(30)),
    F_MAP("patternProperties", apiext_JSONSchemaProps, "Schemas of properties whose names "
                                                       "match a pattern.", PB(31)),
    F_MAP_ANY("dependencies", "Schemas or property lists required when a property is "
                              "present.", PB(32)),
    F_ANY("additionalItems", "Schema of extra array items, or whether they are allowed.", PB(33)),
    F_MAP("definitions", apiext_JSONSchemaProps, "Named schemas for reference.", PB(34)),
    F_OBJ("externalDocs", apiext_ExternalDocumentation, "More documentation.", PB(35)),
    F_ANY("example", "An example value.", PB(36)),
    F_BOOL("nullable", "Whether null is allowed.", PB(37)),
    F_BOOL("x-kubernetes-preserve-unknown-fields", "Keep fields the schema does not "
                                                   "name.", PB(38)),
    F_BOOL("x-kubernetes-embedded-resource", "The value is an embedded object with "
                                             "apiVersion, kind and metadata.", PB(39)),
    F_BOOL("x-kubernetes-int-or-string", "The value is an integer or a string.", PB(40)),
    F_ARR_STR("x-kubernetes-list-map-keys", "Keys identifying items of a map list.",
              ATOMIC, PB(41)),
    F_STR("x-kubernetes-list-type", "atomic, set or map.", PB(42)),
    F_STR("x-kubernetes-map-type", "granular or atomic.", PB(43)),
    F_ARR("x-kubernetes-validations", apiext_ValidationRule, "CEL validation rules.",
          MERGE("rule"), PB(44)));

ZK_TYPE(apiext_CustomResourceDefinitionStatus, N_APIEXT "CustomResourceDefinitionStatus",
    "Current state of a definition.",
    F_ARR("conditions", apiext_CustomResourceDefinitionCondition, "Current conditions.",
          MERGE("type"), PB(1)),
    F_OBJ("acceptedNames", apiext_CustomResourceDefinitionNames, "Names actually served.", PB(2)),
    F_ARR_STR("storedVersions", "Versions objects have ever been stored in.", ATOMIC, PB(3)));

ZK_TYPE(apiext_CustomResourceDefinitionCondition, N_APIEXT "CustomResourceDefinitionCondition",
    "One condition of a definition.",
    F_STR("type", "Condition type, such as Established.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(3)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(4)),
    F_STR("message", "Human-readable detail.", PB(5)));
