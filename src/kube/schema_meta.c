/* Field schemas: meta/v1 (io.k8s.apimachinery.pkg.apis.meta.v1), the types every kind shares. */
#include "kube/schema_decl.h"

ZK_TYPE(meta_ObjectMeta, N_META "ObjectMeta",
    "Metadata every persisted resource carries: identity, labels, annotations, owners and "
    "the fields the server maintains.",
    F_STR("name", "Unique name within a namespace; needed when creating, unless generateName "
                  "is used. Cannot be changed.", PB(1)),
    F_STR("generateName", "Prefix the server uses to make a unique name when name is empty.",
          PB(2)),
    F_STR("namespace", "The namespace the object lives in; empty for cluster-scoped objects. "
                       "Must be a DNS label. Cannot be changed.", PB(3)),
    F_STR("selfLink", "Deprecated, no longer set by the server.", PB(4)),
    F_STR("uid", "Unique identifier the server assigns on creation; never reused. Read-only.",
          .flags = ZK_F_READONLY, PB(5)),
    F_STR("resourceVersion", "Opaque version of the object, changed on every write; clients "
                             "use it for optimistic concurrency and watches.",
          .flags = ZK_F_READONLY, PB(6)),
    F_I64("generation", "Sequence number of the desired state, incremented by the server when "
                        "the spec changes. Read-only.", .flags = ZK_F_READONLY, PB(7)),
    F_TIME("creationTimestamp", "When the server created the object (UTC). Read-only.",
           .flags = ZK_F_READONLY, PB(8)),
    F_TIME("deletionTimestamp", "When the object will be deleted; set by the server when a "
                                "graceful deletion is requested. Read-only.",
           .flags = ZK_F_READONLY, PB(9)),
    F_I64("deletionGracePeriodSeconds", "Seconds the object is allowed to terminate "
                                        "gracefully before removal. Read-only.",
          .flags = ZK_F_READONLY, PB(10)),
    F_MAP_STR("labels", "String key/value pairs used to organise and select objects.", PB(11)),
    F_MAP_STR("annotations", "Arbitrary non-identifying string metadata kept with the object.",
              PB(12)),
    F_ARR("ownerReferences", meta_OwnerReference, "Objects this object depends on; when all "
          "owners are gone it is garbage collected. At most one owner may be the controller.",
          MERGE("uid"), PB(13)),
    F_ARR_STR("finalizers", "Names of pending cleanups; deletion waits until the list is "
                            "empty.", MERGE_SET, PB(14)),
    F_ARR("managedFields", meta_ManagedFieldsEntry, "Which manager owns which fields, "
          "maintained by server-side apply. Clients normally leave it alone.", ATOMIC, PB(17)));

ZK_TYPE(meta_ListMeta, N_META "ListMeta", "Metadata of a list response.",
    F_STR("selfLink", "Deprecated, no longer set by the server.", PB(1)),
    F_STR("resourceVersion", "Version of the store the list was read at; watch from here.", PB(2)),
    F_STR("continue", "Token to fetch the next page when the list was limited; empty on the "
                      "last page. It may expire.", PB(3)),
    F_I64("remainingItemCount", "Number of items not yet returned when paginating; an "
                                "estimate when a label or field selector is used.", PB(4)));

ZK_TYPE(meta_LabelSelector, N_META "LabelSelector",
    "A label query over objects. matchLabels and matchExpressions are ANDed; an empty "
    "selector matches everything, a null one matches nothing.",
    F_MAP_STR("matchLabels", "Labels that must all be present with these values.", PB(1)),
    F_ARR("matchExpressions", meta_LabelSelectorRequirement, "Set-based requirements, all of "
          "which must hold.", ATOMIC, PB(2)));

ZK_TYPE(meta_LabelSelectorRequirement, N_META "LabelSelectorRequirement",
    "One selector requirement: a key, an operator and values.",
    F_STR("key", "The label key the requirement applies to.", REQ, PB(1)),
    F_STR("operator", "How the key relates to the values.", REQ,
          ENUM("DoesNotExist", "Exists", "In", "NotIn"), PB(2)),
    F_ARR_STR("values", "Values for In and NotIn (non-empty); must be empty for Exists and "
                        "DoesNotExist.", ATOMIC, PB(3)));

ZK_TYPE(meta_FieldSelectorRequirement, N_META "FieldSelectorRequirement",
    "One field selector requirement: a field path, an operator and values.",
    F_STR("key", "The field path the requirement applies to.", REQ, PB(1)),
    F_STR("operator", "How the field relates to the values.", REQ,
          ENUM("DoesNotExist", "Exists", "In", "NotIn"), PB(2)),
    F_ARR_STR("values", "Values for In and NotIn; empty for Exists and DoesNotExist.",
              ATOMIC, PB(3)));

ZK_TYPE(meta_OwnerReference, N_META "OwnerReference",
    "Identifies an owning object in the same namespace (or a cluster-scoped one).",
    F_STR("apiVersion", "API version of the owner.", REQ, PB(5)),
    F_STR("kind", "Kind of the owner.", REQ, PB(1)),
    F_STR("name", "Name of the owner.", REQ, PB(3)),
    F_STR("uid", "UID of the owner.", REQ, PB(4)),
    F_BOOL("controller", "True when this owner is the managing controller.", PB(6)),
    F_BOOL("blockOwnerDeletion", "When true, foreground deletion of the owner waits until this "
                                 "object is gone.", PB(7)));

ZK_TYPE(meta_ManagedFieldsEntry, N_META "ManagedFieldsEntry",
    "The set of fields one manager owns, for one operation and API version.",
    F_STR("manager", "Name of the workflow managing these fields.", PB(1)),
    F_STR("operation", "The operation that set the fields.", ENUM("Apply", "Update"), PB(2)),
    F_STR("apiVersion", "API version the field set is expressed in.", PB(3)),
    F_TIME("time", "When the entry last changed.", PB(4)),
    F_STR("fieldsType", "Format of the field set; only FieldsV1 exists.", PB(6)),
    F_ANY("fieldsV1", "The owned fields as a FieldsV1 trie.", PB(7)),
    F_STR("subresource", "The subresource the fields were written through, empty for the "
                         "main resource.", PB(8)));

ZK_TYPE(meta_Condition, N_META "Condition",
    "One aspect of the current state of a resource, in the standard condition shape.",
    F_STR("type", "Condition type, in CamelCase.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_I64("observedGeneration", "The metadata.generation this condition was computed from.", PB(3)),
    F_TIME("lastTransitionTime", "When the status last changed.", REQ, PB(4)),
    F_STR("reason", "Machine-readable CamelCase reason for the last transition.", REQ, PB(5)),
    F_STR("message", "Human-readable detail about the transition.", REQ, PB(6)));

ZK_KIND(meta_Status, N_META "Status", "", "v1", "Status",
    "Result of an operation that returns no object, and the shape of every error.",
    F_APIVERSION, F_KINDNAME,
    F_LISTMETA,
    F_STR("status", "Success or Failure.", PB(2)),
    F_STR("message", "Human-readable description of the result.", PB(3)),
    F_STR("reason", "Machine-readable CamelCase reason, such as NotFound or Conflict.", PB(4)),
    F_OBJ("details", meta_StatusDetails, "Extra data about the reason; shape depends on it.",
          PB(5)),
    F_INT("code", "Suggested HTTP status code.", PB(6)));

ZK_TYPE(meta_StatusDetails, N_META "StatusDetails",
    "Extra data a Status carries about the object and the causes of an error.",
    F_STR("name", "Name of the object concerned, when there is one.", PB(1)),
    F_STR("group", "API group of the object concerned.", PB(2)),
    F_STR("kind", "Kind of the object concerned.", PB(3)),
    F_STR("uid", "UID of the object concerned.", PB(6)),
    F_ARR("causes", meta_StatusCause, "Individual problems, for example one per invalid "
          "field.", ATOMIC, PB(4)),
    F_INT("retryAfterSeconds", "Seconds the client should wait before retrying.", PB(5)));

ZK_TYPE(meta_StatusCause, N_META "StatusCause", "One cause of an error.",
    F_STR("reason", "Machine-readable cause, such as FieldValueInvalid.", PB(1)),
    F_STR("message", "Human-readable explanation.", PB(2)),
    F_STR("field", "Path of the field that caused it, such as spec.replicas.", PB(3)));

ZK_TYPE(meta_Preconditions, N_META "Preconditions",
    "Conditions that must hold before a delete is carried out.",
    F_STR("uid", "The object's UID must equal this.", PB(1)),
    F_STR("resourceVersion", "The object's resourceVersion must equal this.", PB(2)));

ZK_KIND(meta_DeleteOptions, N_META "DeleteOptions", "", "v1", "DeleteOptions",
    "Options for a delete request.",
    F_APIVERSION, F_KINDNAME,
    F_I64("gracePeriodSeconds", "Seconds before the object is removed; 0 means at once, "
                                "unset uses the kind's default.", PB(1)),
    F_OBJ("preconditions", meta_Preconditions, "Must hold or the delete fails with a "
                                               "Conflict.", PB(2)),
    F_BOOL("orphanDependents", "Deprecated: use propagationPolicy. True orphans dependents.",
           PB(3)),
    F_STR("propagationPolicy", "What happens to dependents.",
          ENUM("Background", "Foreground", "Orphan"), PB(4)),
    F_ARR_STR("dryRun", "When present, process the request without persisting it; the only "
                        "value is All.", ATOMIC, PB(5)),
    F_BOOL("ignoreStoreReadErrorWithClusterBreakingPotential",
           "Delete even when the stored object cannot be read. Dangerous; needs extra "
           "permission.", PB(6)));

ZK_KIND(meta_WatchEvent, N_META "WatchEvent", "", "v1", "WatchEvent",
    "One event of a watch stream.",
    F_STR("type", "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.", REQ, PB(1)),
    F_ANY("object", "The object after the event; for ERROR a Status; for BOOKMARK an object "
                    "with only metadata.resourceVersion.", REQ, PB(2)));

ZK_KIND(meta_APIResourceList, N_META "APIResourceList", "", "v1", "APIResourceList",
    "The resources a group-version serves, for discovery.",
    F_APIVERSION, F_KINDNAME,
    F_STR("groupVersion", "The group/version the resources belong to.", REQ, PB(1)),
    F_ARR("resources", meta_APIResource, "The resources.", REQ, ATOMIC, PB(2)));

ZK_TYPE(meta_APIResource, N_META "APIResource", "One resource a group-version serves.",
    F_STR("name", "Plural resource name, with /subresource for subresources.", REQ, PB(1)),
    F_STR("singularName", "Singular name, for the command line.", REQ, PB(6)),
    F_BOOL("namespaced", "Whether objects live in namespaces.", REQ, PB(2)),
    F_STR("group", "Preferred group of the resource when it differs from the list's.", PB(8)),
    F_STR("version", "Preferred version of the resource when it differs from the list's.", PB(9)),
    F_STR("kind", "Kind of the objects.", REQ, PB(3)),
    F_ARR_STR("verbs", "Verbs the resource supports.", REQ),
    F_ARR_STR("shortNames", "Short aliases, such as po for pods.", ATOMIC, PB(5)),
    F_ARR_STR("categories", "Groupings the resource belongs to, such as all.", ATOMIC, PB(7)),
    F_STR("storageVersionHash", "Hash of the version objects are stored in.", PB(10)));
