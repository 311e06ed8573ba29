/* Field schemas: core/v1 kinds other than Pod, plus authentication/v1 TokenRequest and
 * autoscaling/v1 Scale (both served as core subresources). */
#include "kube/schema_decl.h"

ZK_TYPE(core_ObjectReference, N_CORE "ObjectReference",
    "A reference to an object, or to a field of one.",
    F_STR("kind", "Kind of the referent.", PB(1)),
    F_STR("namespace", "Namespace of the referent.", PB(2)),
    F_STR("name", "Name of the referent.", PB(3)),
    F_STR("uid", "UID of the referent.", PB(4)),
    F_STR("apiVersion", "API version of the referent.", PB(5)),
    F_STR("resourceVersion", "Specific resourceVersion referred to.", PB(6)),
    F_STR("fieldPath", "Path of a field within the object, such as spec.containers{web}.", PB(7)));

/* ---- Namespace ------------------------------------------------------ */

ZK_KIND(core_Namespace, N_CORE "Namespace", "", "v1", "Namespace",
    "A scope for names; most objects live in one.",
    F_TOP,
    F_OBJ("spec", core_NamespaceSpec, "Desired state of the namespace.", PB(2)),
    F_OBJ("status", core_NamespaceStatus, "Observed state of the namespace.", PB(3)));

ZK_TYPE(core_NamespaceSpec, N_CORE "NamespaceSpec", "Desired state of a namespace.",
    F_ARR_STR("finalizers", "Cleanups that must finish before the namespace is removed.",
              ATOMIC, PB(1)));

ZK_TYPE(core_NamespaceStatus, N_CORE "NamespaceStatus", "Observed state of a namespace.",
    F_STR("phase", "Active, or Terminating while it is being deleted.",
          ENUM("Active", "Terminating"), PB(1)),
    F_ARR("conditions", core_NamespaceCondition, "Current conditions.", MERGE("type"), PB(2)));

ZK_TYPE(core_NamespaceCondition, N_CORE "NamespaceCondition", "One condition of a namespace.",
    F_STR("type", "Condition type.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(4)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(5)),
    F_STR("message", "Human-readable detail.", PB(6)));

/* ---- Node ----------------------------------------------------------- */

ZK_KIND(core_Node, N_CORE "Node", "", "v1", "Node",
    "A worker machine that runs pods.",
    F_TOP,
    F_OBJ("spec", core_NodeSpec, "Desired configuration of the node.", PB(2)),
    F_OBJ("status", core_NodeStatus, "Most recently observed state of the node.", PB(3)));

ZK_TYPE(core_NodeSpec, N_CORE "NodeSpec", "Desired configuration of a node.",
    F_STR("podCIDR", "Pod IP range of the node.", PB(1)),
    F_ARR_STR("podCIDRs", "Pod IP ranges of the node, at most one per family.", MERGE_SET, PB(7)),
    F_STR("providerID", "ID of the node given by the cloud provider.", PB(3)),
    F_BOOL("unschedulable", "Keep new pods off the node.", PB(4)),
    F_ARR("taints", core_Taint, "Taints of the node.", ATOMIC, PB(5)),
    F_OBJ("configSource", core_NodeConfigSource, "Deprecated dynamic kubelet config.", PB(6)),
    F_STR("externalID", "Deprecated.", PB(2)));

ZK_TYPE(core_Taint, N_CORE "Taint",
    "Repels pods that do not tolerate it from a node.",
    F_STR("key", "Taint key.", REQ, PB(1)),
    F_STR("value", "Taint value.", PB(2)),
    F_STR("effect", "What happens to pods that do not tolerate it.", REQ,
          ENUM("NoExecute", "NoSchedule", "PreferNoSchedule"), PB(3)),
    F_TIME("timeAdded", "When the taint was added; NoExecute taints only.", PB(4)));

ZK_TYPE(core_NodeConfigSource, N_CORE "NodeConfigSource", "Deprecated kubelet config source.",
    F_OBJ("configMap", core_ConfigMapNodeConfigSource, "A ConfigMap holding the config.", PB(2)));

ZK_TYPE(core_ConfigMapNodeConfigSource, N_CORE "ConfigMapNodeConfigSource",
    "A ConfigMap used as kubelet config.",
    F_STR("namespace", "Namespace of the ConfigMap.", REQ, PB(1)),
    F_STR("name", "Name of the ConfigMap.", REQ, PB(2)),
    F_STR("uid", "UID of the ConfigMap.", PB(3)),
    F_STR("resourceVersion", "resourceVersion of the ConfigMap.", PB(4)),
    F_STR("kubeletConfigKey", "Key holding the config.", REQ, PB(5)));

ZK_TYPE(core_NodeStatus, N_CORE "NodeStatus", "Observed state of a node.",
    F_MAP_QTY("capacity", "Total resources of the node.", PB(1)),
    F_MAP_QTY("allocatable", "Resources available to pods.", PB(2)),
    F_STR("phase", "Deprecated lifecycle phase.", ENUM("Pending", "Running", "Terminated"), PB(3)),
    F_ARR("conditions", core_NodeCondition, "Current conditions, such as Ready.",
          MERGE("type"), PB(4)),
    F_ARR("addresses", core_NodeAddress, "Addresses of the node.", MERGE("type"), PB(5)),
    F_OBJ("daemonEndpoints", core_NodeDaemonEndpoints, "Endpoints of daemons on the node.", PB(6)),
    F_OBJ("nodeInfo", core_NodeSystemInfo, "Identifying facts about the node.", PB(7)),
    F_ARR("images", core_ContainerImage, "Images present on the node.", ATOMIC, PB(8)),
    F_ARR_STR("volumesInUse", "Volumes attached and mounted.", ATOMIC, PB(9)),
    F_ARR("volumesAttached", core_AttachedVolume, "Volumes attached to the node.", ATOMIC, PB(10)),
    F_OBJ("config", core_NodeConfigStatus, "Deprecated dynamic config status.", PB(11)),
    F_ARR("runtimeHandlers", core_NodeRuntimeHandler, "Runtime handlers available.",
          ATOMIC, PB(12)),
    F_OBJ("features", core_NodeFeatures, "Features the node supports.", PB(13)));

ZK_TYPE(core_NodeCondition, N_CORE "NodeCondition", "One condition of a node.",
    F_STR("type", "Condition type, such as Ready or MemoryPressure.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastHeartbeatTime", "When the condition was last reported.", PB(3)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(4)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(5)),
    F_STR("message", "Human-readable detail.", PB(6)));

ZK_TYPE(core_NodeAddress, N_CORE "NodeAddress", "An address of a node.",
    F_STR("type", "Kind of address.", REQ,
          ENUM("ExternalDNS", "ExternalIP", "Hostname", "InternalDNS", "InternalIP"), PB(1)),
    F_STR("address", "The address.", REQ, PB(2)));

ZK_TYPE(core_NodeDaemonEndpoints, N_CORE "NodeDaemonEndpoints", "Ports of daemons on a node.",
    F_OBJ("kubeletEndpoint", core_DaemonEndpoint, "Port of the node agent.", PB(1)));

ZK_TYPE(core_DaemonEndpoint, N_CORE "DaemonEndpoint", "A daemon's port.",
    F_INT("Port", "Port number.", REQ, PB(1)));

ZK_TYPE(core_NodeSystemInfo, N_CORE "NodeSystemInfo", "Identifying facts about a node.",
    F_STR("machineID", "Machine ID.", REQ, PB(1)),
    F_STR("systemUUID", "System UUID.", REQ, PB(2)),
    F_STR("bootID", "Boot ID.", REQ, PB(3)),
    F_STR("kernelVersion", "Kernel version.", REQ, PB(4)),
    F_STR("osImage", "OS image, from /etc/os-release.", REQ, PB(5)),
    F_STR("containerRuntimeVersion", "Container runtime, as runtime://version.", REQ, PB(6)),
    F_STR("kubeletVersion", "Node agent version.", REQ, PB(7)),
    F_STR("kubeProxyVersion", "Deprecated service proxy version.", REQ, PB(8)),
    F_STR("operatingSystem", "Operating system.", REQ, PB(9)),
    F_STR("architecture", "CPU architecture.", REQ, PB(10)));

ZK_TYPE(core_ContainerImage, N_CORE "ContainerImage", "An image on a node.",
    F_ARR_STR("names", "Names and digests of the image.", ATOMIC, PB(1)),
    F_I64("sizeBytes", "Size in bytes.", PB(2)));

ZK_TYPE(core_AttachedVolume, N_CORE "AttachedVolume", "A volume attached to a node.",
    F_STR("name", "Name of the volume.", REQ, PB(1)),
    F_STR("devicePath", "Where the device is available.", REQ, PB(2)));

ZK_TYPE(core_NodeConfigStatus, N_CORE "NodeConfigStatus", "Deprecated dynamic config status.",
    F_OBJ("assigned", core_NodeConfigSource, "Config the node should use.", PB(1)),
    F_OBJ("active", core_NodeConfigSource, "Config the node uses.", PB(2)),
    F_OBJ("lastKnownGood", core_NodeConfigSource, "Fallback config.", PB(3)),
    F_STR("error", "Problem applying the config.", PB(4)));

ZK_TYPE(core_NodeRuntimeHandler, N_CORE "NodeRuntimeHandler", "A runtime handler of a node.",
    F_STR("name", "Handler name; empty for the default.", PB(1)),
    F_OBJ("features", core_NodeRuntimeHandlerFeatures, "Features of the handler.", PB(2)));

ZK_TYPE(core_NodeRuntimeHandlerFeatures, N_CORE "NodeRuntimeHandlerFeatures",
    "Features of a runtime handler.",
    F_BOOL("recursiveReadOnlyMounts", "Supports recursive read-only mounts.", PB(1)),
    F_BOOL("userNamespaces", "Supports user namespaces.", PB(2)));

ZK_TYPE(core_NodeFeatures, N_CORE "NodeFeatures", "Features a node supports.",
    F_BOOL("supplementalGroupsPolicy", "Supports the supplementalGroupsPolicy field.", PB(1)));

/* ---- Service, Endpoints --------------------------------------------- */

ZK_KIND(core_Service, N_CORE "Service", "", "v1", "Service",
    "A named abstraction over a set of pods: a stable address and ports, load-balanced.",
    F_TOP,
    F_OBJ("spec", core_ServiceSpec, "Desired behaviour of the service.", PB(2)),
    F_OBJ("status", core_ServiceStatus, "Observed state of the service.", PB(3)));

ZK_TYPE(core_ServiceSpec, N_CORE "ServiceSpec", "Desired behaviour of a service.",
    F_ARR("ports", core_ServicePort, "Ports the service exposes.", MERGE2("port", "protocol"),
          PB(1)),
    F_MAP_STR("selector", "Pods with these labels receive the traffic.", PB(2)),
    F_STR("clusterIP", "Virtual IP of the service; None makes it headless. Allocated when "
                       "empty; cannot change.", PB(3)),
    F_ARR_STR("clusterIPs", "Virtual IPs of the service, one per family.", ATOMIC, PB(18)),
    F_STR("type", "How the service is exposed. Default ClusterIP.",
          ENUM("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"), PB(4)),
    F_ARR_STR("externalIPs", "Extra IPs nodes accept traffic for.", ATOMIC, PB(5)),
    F_STR("sessionAffinity", "Stick clients to a pod by IP. Default None.",
          ENUM("ClientIP", "None"), PB(7)),
    F_STR("loadBalancerIP", "Deprecated requested load balancer IP.", PB(8)),
    F_ARR_STR("loadBalancerSourceRanges", "Client CIDRs the load balancer admits.", ATOMIC, PB(9)),
    F_STR("externalName", "DNS name the service aliases, for ExternalName.", PB(10)),
    F_STR("externalTrafficPolicy", "How external traffic is routed to endpoints.",
          ENUM("Cluster", "Local"), PB(11)),
    F_INT("healthCheckNodePort", "Health check port for Local external traffic.", PB(12)),
    F_BOOL("publishNotReadyAddresses", "Publish endpoints of pods that are not ready.", PB(13)),
    F_OBJ("sessionAffinityConfig", core_SessionAffinityConfig, "Session affinity settings.",
          PB(14)),
    F_ARR_STR("ipFamilies", "IP families of the service, IPv4 and/or IPv6.", ATOMIC, PB(19)),
    F_STR("ipFamilyPolicy", "Whether the service is single- or dual-stack.",
          ENUM("PreferDualStack", "RequireDualStack", "SingleStack"), PB(17)),
    F_BOOL("allocateLoadBalancerNodePorts", "Allocate node ports for LoadBalancer services. "
                                            "Default true.", PB(20)),
    F_STR("loadBalancerClass", "Class of load balancer implementation.", PB(21)),
    F_STR("internalTrafficPolicy", "How in-cluster traffic is routed to endpoints.",
          ENUM("Cluster", "Local"), PB(22)),
    F_STR("trafficDistribution", "Preference for how traffic is spread, such as "
                                 "PreferClose.", PB(23)));

ZK_TYPE(core_ServicePort, N_CORE "ServicePort", "A port of a service.",
    F_STR("name", "Name of the port; required when there are several.", PB(1)),
    F_STR("protocol", "IP protocol. Default TCP.", E_PROTO, PB(2)),
    F_STR("appProtocol", "Application protocol, such as http.", PB(6)),
    F_INT("port", "Port the service exposes.", REQ, PB(3)),
    F_IOS("targetPort", "Port number or name on the pods. Default the same as port.", PB(4)),
    F_INT("nodePort", "Port on every node, for NodePort and LoadBalancer.", PB(5)));

ZK_TYPE(core_SessionAffinityConfig, N_CORE "SessionAffinityConfig", "Session affinity settings.",
    F_OBJ("clientIP", core_ClientIPConfig, "ClientIP affinity settings.", PB(1)));

ZK_TYPE(core_ClientIPConfig, N_CORE "ClientIPConfig", "ClientIP session affinity settings.",
    F_INT("timeoutSeconds", "Session stickiness time, 1 to 86400. Default 10800.", PB(1)));

ZK_TYPE(core_ServiceStatus, N_CORE "ServiceStatus", "Observed state of a service.",
    F_OBJ("loadBalancer", core_LoadBalancerStatus, "The load balancer, if there is one.", PB(1)),
    F_ARR("conditions", meta_Condition, "Current conditions.", MERGE("type"), PB(2)));

ZK_TYPE(core_LoadBalancerStatus, N_CORE "LoadBalancerStatus", "State of a load balancer.",
    F_ARR("ingress", core_LoadBalancerIngress, "Ingress points of the load balancer.",
          ATOMIC, PB(1)));

ZK_TYPE(core_LoadBalancerIngress, N_CORE "LoadBalancerIngress", "An ingress point.",
    F_STR("ip", "IP of the ingress point.", PB(1)),
    F_STR("hostname", "Hostname of the ingress point.", PB(2)),
    F_STR("ipMode", "How traffic to the IP is handled.", ENUM("Proxy", "VIP"), PB(3)),
    F_ARR("ports", core_PortStatus, "Status of the service's ports.", ATOMIC, PB(4)));

ZK_TYPE(core_PortStatus, N_CORE "PortStatus", "Status of one port.",
    F_INT("port", "Port number.", REQ, PB(1)),
    F_STR("protocol", "IP protocol.", REQ, E_PROTO, PB(2)),
    F_STR("error", "Problem with the port, in CamelCase.", PB(3)));

ZK_KIND(core_Endpoints, N_CORE "Endpoints", "", "v1", "Endpoints",
    "The addresses and ports that implement a service.",
    F_TOP,
    F_ARR("subsets", core_EndpointSubset, "Groups of addresses sharing ports.", ATOMIC, PB(2)));

ZK_TYPE(core_EndpointSubset, N_CORE "EndpointSubset", "Addresses that share the same ports.",
    F_ARR("addresses", core_EndpointAddress, "Ready addresses.", ATOMIC, PB(1)),
    F_ARR("notReadyAddresses", core_EndpointAddress, "Addresses not ready yet.", ATOMIC, PB(2)),
    F_ARR("ports", core_EndpointPort, "Ports on the addresses.", ATOMIC, PB(3)));

ZK_TYPE(core_EndpointAddress, N_CORE "EndpointAddress", "One endpoint address.",
    F_STR("ip", "IP of the endpoint.", REQ, PB(1)),
    F_STR("hostname", "Hostname of the endpoint.", PB(3)),
    F_STR("nodeName", "Node hosting the endpoint.", PB(4)),
    F_OBJ("targetRef", core_ObjectReference, "Object providing the endpoint, usually a "
                                             "pod.", PB(2)));

ZK_TYPE(core_EndpointPort, N_CORE "EndpointPort", "A port of endpoints.",
    F_STR("name", "Name of the port, matching the service port.", PB(1)),
    F_INT("port", "Port number.", REQ, PB(2)),
    F_STR("protocol", "IP protocol. Default TCP.", E_PROTO, PB(3)),
    F_STR("appProtocol", "Application protocol.", PB(4)));

/* ---- ConfigMap, Secret, ServiceAccount ------------------------------ */

ZK_KIND(core_ConfigMap, N_CORE "ConfigMap", "", "v1", "ConfigMap",
    "Non-secret configuration for pods, as key/value pairs.",
    F_TOP,
    F_BOOL("immutable", "When true, data cannot be changed, only the object deleted.", PB(4)),
    F_MAP_STR("data", "UTF-8 configuration entries.", PB(2)),
    F_MAP_BYTES("binaryData", "Binary configuration entries, base64 in JSON.", PB(3)));

ZK_KIND(core_Secret, N_CORE "Secret", "", "v1", "Secret",
    "Sensitive data for pods, such as passwords and keys.",
    F_TOP,
    F_BOOL("immutable", "When true, data cannot be changed, only the object deleted.", PB(5)),
    F_MAP_BYTES("data", "Secret entries, base64 in JSON.", PB(2)),
    F_MAP_STR("stringData", "Write-only plain-text entries merged into data on write.", PB(4)),
    F_STR("type", "How the data is meant to be used, such as Opaque or "
                  "kubernetes.io/tls.", PB(3)));

ZK_KIND(core_ServiceAccount, N_CORE "ServiceAccount", "", "v1", "ServiceAccount",
    "An identity for processes in pods.",
    F_TOP,
    F_ARR("secrets", core_ObjectReference, "Secrets pods of this account may use.",
          MERGE("name"), PB(2)),
    F_ARR("imagePullSecrets", core_LocalObjectReference, "Image pull secrets added to pods "
          "of this account.", ATOMIC, PB(3)),
    F_BOOL("automountServiceAccountToken", "Whether pods mount a token by default.", PB(4)));

/* ---- Event ---------------------------------------------------------- */

ZK_KIND(core_Event, N_CORE "Event", "", "v1", "Event",
    "A report of something that happened in the cluster.",
    F_TOP,
    F_OBJ("involvedObject", core_ObjectReference, "The object the event is about.", REQ, PB(2)),
    F_STR("reason", "Short CamelCase reason, machine-readable.", PB(3)),
    F_STR("message", "Human-readable description.", PB(4)),
    F_OBJ("source", core_EventSource, "Component that reported the event.", PB(5)),
    F_TIME("firstTimestamp", "When the event was first recorded.", PB(6)),
    F_TIME("lastTimestamp", "When the event was most recently seen.", PB(7)),
    F_INT("count", "Times the event has occurred.", PB(8)),
    F_STR("type", "Normal or Warning.", PB(9)),
    F_MTIME("eventTime", "When the event was first observed.", PB(10)),
    F_OBJ("series", core_EventSeries, "Data about a series of the same event.", PB(11)),
    F_STR("action", "What was done, or failed, about the object.", PB(12)),
    F_OBJ("related", core_ObjectReference, "A second object involved.", PB(13)),
    F_STR("reportingComponent", "Controller that emitted the event.", PB(14)),
    F_STR("reportingInstance", "ID of the controller instance.", PB(15)));

ZK_TYPE(core_EventSource, N_CORE "EventSource", "The reporter of an event.",
    F_STR("component", "Component name.", PB(1)),
    F_STR("host", "Node name.", PB(2)));

ZK_TYPE(core_EventSeries, N_CORE "EventSeries", "A series of repeats of an event.",
    F_INT("count", "Occurrences so far.", PB(1)),
    F_MTIME("lastObservedTime", "When the last one was observed.", PB(2)));

/* ---- LimitRange, ResourceQuota -------------------------------------- */

ZK_KIND(core_LimitRange, N_CORE "LimitRange", "", "v1", "LimitRange",
    "Resource limits and defaults for objects in a namespace.",
    F_TOP,
    F_OBJ("spec", core_LimitRangeSpec, "The limits.", PB(2)));

ZK_TYPE(core_LimitRangeSpec, N_CORE "LimitRangeSpec", "Limits in a namespace.",
    F_ARR("limits", core_LimitRangeItem, "One entry per kind of object.", REQ, ATOMIC, PB(1)));

ZK_TYPE(core_LimitRangeItem, N_CORE "LimitRangeItem", "Limits for one kind of object.",
    F_STR("type", "Pod, Container or PersistentVolumeClaim.", REQ, PB(1)),
    F_MAP_QTY("max", "Most of each resource allowed.", PB(2)),
    F_MAP_QTY("min", "Least of each resource allowed.", PB(3)),
    F_MAP_QTY("default", "Limits used when none are given.", PB(4)),
    F_MAP_QTY("defaultRequest", "Requests used when none are given.", PB(5)),
    F_MAP_QTY("maxLimitRequestRatio", "Largest allowed ratio of limit to request.", PB(6)));

ZK_KIND(core_ResourceQuota, N_CORE "ResourceQuota", "", "v1", "ResourceQuota",
    "Aggregate resource limits for a namespace.",
    F_TOP,
    F_OBJ("spec", core_ResourceQuotaSpec, "Desired quota.", PB(2)),
    F_OBJ("status", core_ResourceQuotaStatus, "Quota in force and usage.", PB(3)));

ZK_TYPE(core_ResourceQuotaSpec, N_CORE "ResourceQuotaSpec", "Desired quota.",
    F_MAP_QTY("hard", "Hard limit for each resource.", PB(1)),
    F_ARR_STR("scopes", "Scopes that limit which objects are counted.", ATOMIC, PB(2)),
    F_OBJ("scopeSelector", core_ScopeSelector, "Selector form of the scopes.", PB(3)));

ZK_TYPE(core_ScopeSelector, N_CORE "ScopeSelector", "Scope requirements ANDed together.",
    F_ARR("matchExpressions", core_ScopedResourceSelectorRequirement, "The requirements.",
          ATOMIC, PB(1)));

ZK_TYPE(core_ScopedResourceSelectorRequirement, N_CORE "ScopedResourceSelectorRequirement",
    "A scope, an operator and values.",
    F_STR("scopeName", "The scope, such as PriorityClass.", REQ, PB(1)),
    F_STR("operator", "How the scope relates to the values.", REQ,
          ENUM("DoesNotExist", "Exists", "In", "NotIn"), PB(2)),
    F_ARR_STR("values", "Values for In and NotIn.", ATOMIC, PB(3)));

ZK_TYPE(core_ResourceQuotaStatus, N_CORE "ResourceQuotaStatus", "Quota in force and usage.",
    F_MAP_QTY("hard", "Hard limits in force.", PB(1)),
    F_MAP_QTY("used", "Current usage.", PB(2)));

/* ---- ReplicationController ------------------------------------------ */

ZK_KIND(core_ReplicationController, N_CORE "ReplicationController", "", "v1",
    "ReplicationController", "Keeps a number of identical pods running (legacy).",
    F_TOP,
    F_OBJ("spec", core_ReplicationControllerSpec, "Desired behaviour.", PB(2)),
    F_OBJ("status", core_ReplicationControllerStatus, "Observed state.", PB(3)));

ZK_TYPE(core_ReplicationControllerSpec, N_CORE "ReplicationControllerSpec",
    "Desired behaviour of a replication controller.",
    F_INT("replicas", "Desired number of pods. Default 1.", PB(1)),
    F_INT("minReadySeconds", "Seconds a new pod must be ready to count as available.", PB(4)),
    F_MAP_STR("selector", "Labels of the pods counted; defaults to the template's.", PB(2)),
    F_OBJ("template", core_PodTemplateSpec, "Template of the pods made.", PB(3)));

ZK_TYPE(core_ReplicationControllerStatus, N_CORE "ReplicationControllerStatus",
    "Observed state of a replication controller.",
    F_INT("replicas", "Number of pods.", REQ, PB(1)),
    F_INT("fullyLabeledReplicas", "Pods whose labels match the template's.", PB(2)),
    F_INT("readyReplicas", "Ready pods.", PB(4)),
    F_INT("availableReplicas", "Available pods.", PB(5)),
    F_I64("observedGeneration", "Generation last acted on.", PB(3)),
    F_ARR("conditions", core_ReplicationControllerCondition, "Current conditions.",
          MERGE("type"), PB(6)));

ZK_TYPE(core_ReplicationControllerCondition, N_CORE "ReplicationControllerCondition",
    "One condition of a replication controller.",
    F_STR("type", "Condition type.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(3)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(4)),
    F_STR("message", "Human-readable detail.", PB(5)));

/* ---- Binding, TokenRequest, Scale ----------------------------------- */

ZK_KIND(core_Binding, N_CORE "Binding", "", "v1", "Binding",
    "Binds a pod to a node; posted to the pod's binding subresource by schedulers.",
    F_TOP,
    F_OBJ("target", core_ObjectReference, "The node to bind to.", REQ, PB(2)));

ZK_KIND(authn_TokenRequest, N_AUTHN "TokenRequest", "authentication.k8s.io", "v1",
    "TokenRequest", "Requests a token for a service account.",
    F_TOP,
    F_OBJ("spec", authn_TokenRequestSpec, "What the token is for.", REQ, PB(2)),
    F_OBJ("status", authn_TokenRequestStatus, "The issued token.", PB(3)));

ZK_TYPE(authn_TokenRequestSpec, N_AUTHN "TokenRequestSpec", "Parameters of a token request.",
    F_ARR_STR("audiences", "Audiences the token is meant for; defaults to the API "
                           "server's.", REQ, ATOMIC, PB(1)),
    F_I64("expirationSeconds", "Requested validity; the server may shorten it.", PB(4)),
    F_OBJ("boundObjectRef", authn_BoundObjectReference, "Object the token is bound to; the "
                                                        "token dies with it.", PB(3)));

ZK_TYPE(authn_BoundObjectReference, N_AUTHN "BoundObjectReference",
    "An object a token is bound to.",
    F_STR("kind", "Pod, Secret or Node.", PB(1)),
    F_STR("apiVersion", "API version of the object.", PB(2)),
    F_STR("name", "Name of the object.", PB(3)),
    F_STR("uid", "UID of the object.", PB(4)));

ZK_TYPE(authn_TokenRequestStatus, N_AUTHN "TokenRequestStatus", "An issued token.",
    F_STR("token", "The opaque bearer token.", REQ, PB(1)),
    F_TIME("expirationTimestamp", "When the token expires.", REQ, PB(2)));

ZK_KIND(as1_Scale, N_AS1 "Scale", "autoscaling", "v1", "Scale",
    "The scale subresource of a scalable resource.",
    F_TOP,
    F_OBJ("spec", as1_ScaleSpec, "Desired scale.", PB(2)),
    F_OBJ("status", as1_ScaleStatus, "Current scale.", PB(3)));

ZK_TYPE(as1_ScaleSpec, N_AS1 "ScaleSpec", "Desired scale.",
    F_INT("replicas", "Desired number of instances.", PB(1)));

ZK_TYPE(as1_ScaleStatus, N_AS1 "ScaleStatus", "Current scale.",
    F_INT("replicas", "Observed number of instances.", REQ, PB(1)),
    F_STR("selector", "Label selector of the instances, in string form.", PB(2)));
