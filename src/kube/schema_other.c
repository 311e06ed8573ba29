/* Field schemas: coordination/v1 Lease, events/v1 Event, discovery/v1 EndpointSlice,
 * networking/v1 (Ingress, IngressClass, NetworkPolicy), policy/v1 (PodDisruptionBudget,
 * Eviction) and rbac/v1. */
#include "kube/schema_decl.h"

/* ---- coordination.k8s.io/v1 Lease ----------------------------------- */

ZK_KIND(coord_Lease, N_COORD "Lease", "coordination.k8s.io", "v1", "Lease",
    "A lease held by one holder at a time, used for leader election and node heartbeats.",
    F_TOP,
    F_OBJ("spec", coord_LeaseSpec, "The lease.", PB(2)));

ZK_TYPE(coord_LeaseSpec, N_COORD "LeaseSpec", "A lease.",
    F_STR("holderIdentity", "Identity of the current holder.", PB(1)),
    F_INT("leaseDurationSeconds", "Seconds candidates wait after the last renewal before "
                                  "taking the lease.", PB(2)),
    F_MTIME("acquireTime", "When the current holder acquired the lease.", PB(3)),
    F_MTIME("renewTime", "When the holder last renewed the lease.", PB(4)),
    F_INT("leaseTransitions", "Times the lease changed holder.", PB(5)),
    F_STR("strategy", "How a coordinated leader election picks the holder.", PB(6)),
    F_STR("preferredHolder", "Holder the lease should pass to.", PB(7)));

/* ---- events.k8s.io/v1 Event ----------------------------------------- */

ZK_KIND(events_Event, N_EVENTS "Event", "events.k8s.io", "v1", "Event",
    "A report of something that happened in the cluster (the newer event shape).",
    F_TOP,
    F_MTIME("eventTime", "When the event was first observed.", REQ, PB(2)),
    F_OBJ("series", events_EventSeries, "Data about a series of the same event.", PB(3)),
    F_STR("reportingController", "Controller that emitted the event, such as "
                                 "kubernetes.io/kubelet.", PB(4)),
    F_STR("reportingInstance", "ID of the controller instance.", PB(5)),
    F_STR("action", "What was done, or failed, about the regarding object.", PB(6)),
    F_STR("reason", "Why the action was taken, CamelCase.", PB(7)),
    F_OBJ("regarding", core_ObjectReference, "The object the event is about.", PB(8)),
    F_OBJ("related", core_ObjectReference, "A second object involved.", PB(9)),
    F_STR("note", "Human-readable description.", PB(10)),
    F_STR("type", "Normal or Warning.", PB(11)),
    F_OBJ("deprecatedSource", core_EventSource, "Source, from core/v1 events.", PB(12)),
    F_TIME("deprecatedFirstTimestamp", "First seen, from core/v1 events.", PB(13)),
    F_TIME("deprecatedLastTimestamp", "Last seen, from core/v1 events.", PB(14)),
    F_INT("deprecatedCount", "Count, from core/v1 events.", PB(15)));

ZK_TYPE(events_EventSeries, N_EVENTS "EventSeries", "A series of repeats of an event.",
    F_INT("count", "Occurrences so far.", REQ, PB(1)),
    F_MTIME("lastObservedTime", "When the last one was observed.", REQ, PB(2)));

/* ---- discovery.k8s.io/v1 EndpointSlice ------------------------------ */

ZK_KIND(disc_EndpointSlice, N_DISC "EndpointSlice", "discovery.k8s.io", "v1", "EndpointSlice",
    "A subset of the endpoints of a service.",
    F_TOP,
    F_STR("addressType", "Kind of the addresses in the slice.", REQ,
          ENUM("FQDN", "IPv4", "IPv6"), PB(4)),
    F_ARR("endpoints", disc_Endpoint, "The endpoints, at most 1000.", REQ, ATOMIC, PB(2)),
    F_ARR("ports", disc_EndpointPort, "Ports every endpoint exposes.", ATOMIC, PB(3)));

ZK_TYPE(disc_Endpoint, N_DISC "Endpoint", "One endpoint of a slice.",
    F_ARR_STR("addresses", "Addresses of the endpoint, of the slice's type.", REQ, SET, PB(1)),
    F_OBJ("conditions", disc_EndpointConditions, "State of the endpoint.", PB(2)),
    F_STR("hostname", "Hostname of the endpoint.", PB(3)),
    F_OBJ("targetRef", core_ObjectReference, "Object providing the endpoint.", PB(4)),
    F_MAP_STR("deprecatedTopology", "Deprecated topology labels.", PB(5)),
    F_STR("nodeName", "Node hosting the endpoint.", PB(6)),
    F_STR("zone", "Zone of the endpoint.", PB(7)),
    F_OBJ("hints", disc_EndpointHints, "Routing hints.", PB(8)));

ZK_TYPE(disc_EndpointConditions, N_DISC "EndpointConditions", "State of an endpoint.",
    F_BOOL("ready", "Ready for traffic.", PB(1)),
    F_BOOL("serving", "Serving, whether or not terminating.", PB(2)),
    F_BOOL("terminating", "Terminating.", PB(3)));

ZK_TYPE(disc_EndpointHints, N_DISC "EndpointHints", "Routing hints of an endpoint.",
    F_ARR("forZones", disc_ForZone, "Zones that should use the endpoint.", ATOMIC, PB(1)));

ZK_TYPE(disc_ForZone, N_DISC "ForZone", "A zone a hint is for.",
    F_STR("name", "Name of the zone.", REQ, PB(1)));

ZK_TYPE(disc_EndpointPort, N_DISC "EndpointPort", "A port of a slice.",
    F_STR("name", "Name of the port, matching the service port.", PB(1)),
    F_STR("protocol", "IP protocol. Default TCP.", E_PROTO, PB(2)),
    F_INT("port", "Port number; unset means all ports.", PB(3)),
    F_STR("appProtocol", "Application protocol.", PB(4)));

/* ---- networking.k8s.io/v1 ------------------------------------------- */

ZK_KIND(net_Ingress, N_NET "Ingress", "networking.k8s.io", "v1", "Ingress",
    "Rules that route external HTTP traffic to services.",
    F_TOP,
    F_OBJ("spec", net_IngressSpec, "Desired behaviour.", PB(2)),
    F_OBJ("status", net_IngressStatus, "Current state.", PB(3)));

ZK_TYPE(net_IngressSpec, N_NET "IngressSpec", "Desired behaviour of an ingress.",
    F_STR("ingressClassName", "IngressClass that implements the ingress.", PB(4)),
    F_OBJ("defaultBackend", net_IngressBackend, "Backend for requests no rule matches.", PB(1)),
    F_ARR("tls", net_IngressTLS, "TLS settings.", ATOMIC, PB(2)),
    F_ARR("rules", net_IngressRule, "Host rules.", ATOMIC, PB(3)));

ZK_TYPE(net_IngressBackend, N_NET "IngressBackend", "Where traffic goes.",
    F_OBJ("service", net_IngressServiceBackend, "A service.", PB(4)),
    F_OBJ("resource", core_TypedLocalObjectReference, "Another object, such as a bucket.",
          PB(3)));

ZK_TYPE(net_IngressServiceBackend, N_NET "IngressServiceBackend", "A service backend.",
    F_STR("name", "Name of the service.", REQ, PB(1)),
    F_OBJ("port", net_ServiceBackendPort, "Port of the service.", PB(2)));

ZK_TYPE(net_ServiceBackendPort, N_NET "ServiceBackendPort", "A service port, by name or number.",
    F_STR("name", "Name of the port.", PB(1)),
    F_INT("number", "Number of the port.", PB(2)));

ZK_TYPE(net_IngressTLS, N_NET "IngressTLS", "TLS for some hosts.",
    F_ARR_STR("hosts", "Hosts the certificate covers.", ATOMIC, PB(1)),
    F_STR("secretName", "Secret with the certificate and key.", PB(2)));

/* IngressRuleValue is embedded in IngressRule: JSON inlines http, protobuf
 * nests it in ingressRuleValue = 2. */
ZK_TYPE(net_IngressRule, N_NET "IngressRule", "Routing for one host.",
    F_STR("host", "Host name, possibly with a leading wildcard; all hosts when empty.", PB(1)),
    F_OBJ("http", net_HTTPIngressRuleValue, "HTTP paths.", PB_IN(2, 1)));

ZK_TYPE(net_HTTPIngressRuleValue, N_NET "HTTPIngressRuleValue", "HTTP paths of a rule.",
    F_ARR("paths", net_HTTPIngressPath, "The paths.", REQ, ATOMIC, PB(1)));

ZK_TYPE(net_HTTPIngressPath, N_NET "HTTPIngressPath", "A path and its backend.",
    F_STR("path", "Path to match, starting with /.", PB(1)),
    F_STR("pathType", "How the path is matched.", REQ,
          ENUM("Exact", "ImplementationSpecific", "Prefix"), PB(3)),
    F_OBJ("backend", net_IngressBackend, "Where matching requests go.", REQ, PB(2)));

ZK_TYPE(net_IngressStatus, N_NET "IngressStatus", "Current state of an ingress.",
    F_OBJ("loadBalancer", net_IngressLoadBalancerStatus, "The load balancer.", PB(1)));

ZK_TYPE(net_IngressLoadBalancerStatus, N_NET "IngressLoadBalancerStatus",
    "State of an ingress load balancer.",
    F_ARR("ingress", net_IngressLoadBalancerIngress, "Ingress points.", ATOMIC, PB(1)));

ZK_TYPE(net_IngressLoadBalancerIngress, N_NET "IngressLoadBalancerIngress", "An ingress point.",
    F_STR("ip", "IP of the ingress point.", PB(1)),
    F_STR("hostname", "Hostname of the ingress point.", PB(2)),
    F_ARR("ports", net_IngressPortStatus, "Status of the ports.", ATOMIC, PB(4)));

ZK_TYPE(net_IngressPortStatus, N_NET "IngressPortStatus", "Status of one port.",
    F_INT("port", "Port number.", REQ, PB(1)),
    F_STR("protocol", "IP protocol.", REQ, E_PROTO, PB(2)),
    F_STR("error", "Problem with the port, in CamelCase.", PB(3)));

ZK_KIND(net_IngressClass, N_NET "IngressClass", "networking.k8s.io", "v1", "IngressClass",
    "A kind of ingress and the controller that implements it.",
    F_TOP,
    F_OBJ("spec", net_IngressClassSpec, "The class.", PB(2)));

ZK_TYPE(net_IngressClassSpec, N_NET "IngressClassSpec", "An ingress class.",
    F_STR("controller", "Name of the controller, such as example.com/ingress.", PB(1)),
    F_OBJ("parameters", net_IngressClassParametersReference, "Controller configuration.", PB(2)));

ZK_TYPE(net_IngressClassParametersReference, N_NET "IngressClassParametersReference",
    "A reference to controller configuration.",
    F_STR("apiGroup", "API group of the referent.", PB(1)),
    F_STR("kind", "Kind of the referent.", REQ, PB(2)),
    F_STR("name", "Name of the referent.", REQ, PB(3)),
    F_STR("scope", "Cluster or Namespace.", PB(4)),
    F_STR("namespace", "Namespace of the referent, with scope Namespace.", PB(5)));

ZK_KIND(net_NetworkPolicy, N_NET "NetworkPolicy", "networking.k8s.io", "v1", "NetworkPolicy",
    "Which traffic selected pods may receive and send.",
    F_TOP,
    F_OBJ("spec", net_NetworkPolicySpec, "The policy.", PB(2)));

ZK_TYPE(net_NetworkPolicySpec, N_NET "NetworkPolicySpec", "A network policy.",
    F_OBJ("podSelector", meta_LabelSelector, "Pods the policy applies to; empty selects all "
                                             "in the namespace.", REQ, PB(1)),
    F_ARR("ingress", net_NetworkPolicyIngressRule, "Allowed incoming traffic.", ATOMIC, PB(2)),
    F_ARR("egress", net_NetworkPolicyEgressRule, "Allowed outgoing traffic.", ATOMIC, PB(3)),
    F_ARR_STR("policyTypes", "Directions the policy covers: Ingress, Egress.", ATOMIC, PB(4)));

ZK_TYPE(net_NetworkPolicyIngressRule, N_NET "NetworkPolicyIngressRule", "Allowed incoming traffic.",
    F_ARR("ports", net_NetworkPolicyPort, "Ports; all when empty.", ATOMIC, PB(1)),
    F_ARR("from", net_NetworkPolicyPeer, "Sources; all when empty.", ATOMIC, PB(2)));

ZK_TYPE(net_NetworkPolicyEgressRule, N_NET "NetworkPolicyEgressRule", "Allowed outgoing traffic.",
    F_ARR("ports", net_NetworkPolicyPort, "Ports; all when empty.", ATOMIC, PB(1)),
    F_ARR("to", net_NetworkPolicyPeer, "Destinations; all when empty.", ATOMIC, PB(2)));

ZK_TYPE(net_NetworkPolicyPort, N_NET "NetworkPolicyPort", "A port or port range.",
    F_STR("protocol", "IP protocol. Default TCP.", E_PROTO, PB(1)),
    F_IOS("port", "Port number or name; all ports when unset.", PB(2)),
    F_INT("endPort", "End of a port range starting at port.", PB(3)));

ZK_TYPE(net_NetworkPolicyPeer, N_NET "NetworkPolicyPeer", "A set of peers.",
    F_OBJ("podSelector", meta_LabelSelector, "Pods, in the policy's namespace or those of "
                                             "namespaceSelector.", PB(1)),
    F_OBJ("namespaceSelector", meta_LabelSelector, "Namespaces.", PB(2)),
    F_OBJ("ipBlock", net_IPBlock, "An IP range.", PB(3)));

ZK_TYPE(net_IPBlock, N_NET "IPBlock", "An IP range with exceptions.",
    F_STR("cidr", "The range, such as 10.0.0.0/8.", REQ, PB(1)),
    F_ARR_STR("except", "Ranges inside it that are excluded.", ATOMIC, PB(2)));

/* ---- policy/v1 ------------------------------------------------------ */

ZK_KIND(policy_PodDisruptionBudget, N_POLICY "PodDisruptionBudget", "policy", "v1",
    "PodDisruptionBudget", "Limits how many pods of a set voluntary disruptions may take "
    "down at once.",
    F_TOP,
    F_OBJ("spec", policy_PodDisruptionBudgetSpec, "Desired budget.", PB(2)),
    F_OBJ("status", policy_PodDisruptionBudgetStatus, "Current state.", PB(3)));

ZK_TYPE(policy_PodDisruptionBudgetSpec, N_POLICY "PodDisruptionBudgetSpec",
    "A disruption budget.",
    F_IOS("minAvailable", "Pods that must stay available, a number or a percentage.", PB(1)),
    F_OBJ("selector", meta_LabelSelector, "The pods covered.", PB(2)),
    F_IOS("maxUnavailable", "Pods that may be unavailable, a number or a percentage.", PB(3)),
    F_STR("unhealthyPodEvictionPolicy", "When unhealthy pods may be evicted.",
          ENUM("AlwaysAllow", "IfHealthyBudget"), PB(4)));

ZK_TYPE(policy_PodDisruptionBudgetStatus, N_POLICY "PodDisruptionBudgetStatus",
    "Current state of a disruption budget.",
    F_I64("observedGeneration", "Generation last acted on.", PB(1)),
    F_MAP_TIME("disruptedPods", "Pods being evicted, with the time the eviction was "
                                "granted.", PB(2)),
    F_INT("disruptionsAllowed", "Disruptions allowed now.", REQ, PB(3)),
    F_INT("currentHealthy", "Healthy pods now.", REQ, PB(4)),
    F_INT("desiredHealthy", "Healthy pods needed.", REQ, PB(5)),
    F_INT("expectedPods", "Pods counted by the budget.", REQ, PB(6)),
    F_ARR("conditions", meta_Condition, "Current conditions.", MERGE("type"), PB(7)));

ZK_KIND(policy_Eviction, N_POLICY "Eviction", "policy", "v1", "Eviction",
    "Evicts a pod while honouring disruption budgets; posted to the pod's eviction "
    "subresource.",
    F_TOP,
    F_OBJ("deleteOptions", meta_DeleteOptions, "Options for the delete.", PB(2)));

/* ---- rbac.authorization.k8s.io/v1 ----------------------------------- */

ZK_TYPE(rbac_PolicyRule, N_RBAC "PolicyRule", "Actions allowed on resources or URLs.",
    F_ARR_STR("verbs", "Verbs allowed; * means all.", REQ, ATOMIC, PB(1)),
    F_ARR_STR("apiGroups", "API groups of the resources; empty string is the core group.",
              ATOMIC, PB(2)),
    F_ARR_STR("resources", "Resources, such as pods or deployments/scale; * means all.",
              ATOMIC, PB(3)),
    F_ARR_STR("resourceNames", "Names the rule is limited to.", ATOMIC, PB(4)),
    F_ARR_STR("nonResourceURLs", "URL paths, for cluster roles only.", ATOMIC, PB(5)));

ZK_KIND(rbac_Role, N_RBAC "Role", "rbac.authorization.k8s.io", "v1", "Role",
    "Rules granted within one namespace.",
    F_TOP,
    F_ARR("rules", rbac_PolicyRule, "The rules.", ATOMIC, PB(2)));

ZK_KIND(rbac_ClusterRole, N_RBAC "ClusterRole", "rbac.authorization.k8s.io", "v1",
    "ClusterRole", "Rules granted cluster-wide or, through a RoleBinding, in a namespace.",
    F_TOP,
    F_ARR("rules", rbac_PolicyRule, "The rules.", ATOMIC, PB(2)),
    F_OBJ("aggregationRule", rbac_AggregationRule, "Builds the rules from other cluster "
                                                   "roles.", PB(3)));

ZK_TYPE(rbac_AggregationRule, N_RBAC "AggregationRule", "How a cluster role is aggregated.",
    F_ARR("clusterRoleSelectors", meta_LabelSelector, "Cluster roles whose rules are "
          "combined.", ATOMIC, PB(1)));

ZK_TYPE(rbac_Subject, N_RBAC "Subject", "Who a binding grants to.",
    F_STR("kind", "User, Group or ServiceAccount.", REQ, PB(1)),
    F_STR("apiGroup", "rbac.authorization.k8s.io for users and groups, empty for service "
                      "accounts.", PB(2)),
    F_STR("name", "Name of the subject.", REQ, PB(3)),
    F_STR("namespace", "Namespace of a service account.", PB(4)));

ZK_TYPE(rbac_RoleRef, N_RBAC "RoleRef", "The role a binding grants.",
    F_STR("apiGroup", "API group of the role.", REQ, PB(1)),
    F_STR("kind", "Role or ClusterRole.", REQ, PB(2)),
    F_STR("name", "Name of the role.", REQ, PB(3)));

ZK_KIND(rbac_RoleBinding, N_RBAC "RoleBinding", "rbac.authorization.k8s.io", "v1",
    "RoleBinding", "Grants a role's rules to subjects within one namespace.",
    F_TOP,
    F_ARR("subjects", rbac_Subject, "Who is granted.", ATOMIC, PB(2)),
    F_OBJ("roleRef", rbac_RoleRef, "The role granted. Cannot change.", REQ, PB(3)));

ZK_KIND(rbac_ClusterRoleBinding, N_RBAC "ClusterRoleBinding", "rbac.authorization.k8s.io",
    "v1", "ClusterRoleBinding", "Grants a cluster role's rules to subjects cluster-wide.",
    F_TOP,
    F_ARR("subjects", rbac_Subject, "Who is granted.", ATOMIC, PB(2)),
    F_OBJ("roleRef", rbac_RoleRef, "The cluster role granted. Cannot change.", REQ, PB(3)));
