/* Field schemas: core/v1 Pod and everything a pod spec and status are made of. */
#include "kube/schema_decl.h"

ZK_KIND(core_Pod, N_CORE "Pod", "", "v1", "Pod",
    "A group of containers that run together on one node, sharing network and volumes.",
    F_TOP,
    F_OBJ("spec", core_PodSpec, "Desired behaviour of the pod."),
    F_OBJ("status", core_PodStatus, "Most recently observed state of the pod; read-only for "
                                    "clients, written by the node."));

ZK_TYPE(core_PodTemplateSpec, N_CORE "PodTemplateSpec",
    "The pods a controller creates: their metadata and spec.",
    F_METADATA,
    F_OBJ("spec", core_PodSpec, "Desired behaviour of the pods."));

ZK_TYPE(core_PodSpec, N_CORE "PodSpec", "Desired behaviour of a pod.",
    F_ARR("volumes", core_Volume, "Volumes the pod's containers can mount.", MERGE_RK("name")),
    F_ARR("initContainers", core_Container, "Containers run one after another to completion "
          "before the app containers start.", MERGE("name")),
    F_ARR("containers", core_Container, "The pod's app containers; at least one. Cannot be "
          "added or removed once the pod exists.", REQ, MERGE("name")),
    F_ARR("ephemeralContainers", core_EphemeralContainer, "Debugging containers added to a "
          "running pod through the ephemeralcontainers subresource.", MERGE("name")),
    F_STR("restartPolicy", "Restart policy for all containers. Default Always.",
          ENUM("Always", "Never", "OnFailure")),
    F_I64("terminationGracePeriodSeconds", "Seconds between the stop signal and the kill "
                                           "signal on deletion. Default 30."),
    F_I64("activeDeadlineSeconds", "Seconds the pod may be active, counted from its start, "
                                   "before the node kills it."),
    F_STR("dnsPolicy", "How DNS is configured for the pod. Default ClusterFirst.",
          ENUM("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")),
    F_MAP_STR("nodeSelector", "Labels a node must have for the pod to be scheduled there."),
    F_STR("serviceAccountName", "Name of the ServiceAccount the pod runs as."),
    F_STR("serviceAccount", "Deprecated alias of serviceAccountName."),
    F_BOOL("automountServiceAccountToken", "Whether a service account token is mounted "
                                           "automatically."),
    F_STR("nodeName", "Node the pod is bound to; set by the scheduler, or by hand to bypass "
                      "it."),
    F_BOOL("hostNetwork", "Use the node's network namespace. Default false."),
    F_BOOL("hostPID", "Use the node's PID namespace. Default false."),
    F_BOOL("hostIPC", "Use the node's IPC namespace. Default false."),
    F_BOOL("shareProcessNamespace", "Share one PID namespace among all containers of the "
                                    "pod."),
    F_OBJ("securityContext", core_PodSecurityContext, "Pod-wide security attributes and "
                                                      "container defaults."),
    F_ARR("imagePullSecrets", core_LocalObjectReference, "Secrets in the pod's namespace used "
          "to pull images.", MERGE("name")),
    F_STR("hostname", "Hostname of the pod; defaults to the pod's name."),
    F_STR("subdomain", "Subdomain giving the pod the FQDN hostname.subdomain.namespace.svc."),
    F_OBJ("affinity", core_Affinity, "Scheduling constraints."),
    F_STR("schedulerName", "Scheduler that places the pod; default-scheduler when empty."),
    F_ARR("tolerations", core_Toleration, "Taints the pod tolerates.", ATOMIC),
    F_ARR("hostAliases", core_HostAlias, "Extra entries for the pod's /etc/hosts.",
          MERGE("ip")),
    F_STR("priorityClassName", "PriorityClass giving the pod's priority."),
    F_INT("priority", "Priority value, filled in from the PriorityClass by admission."),
    F_OBJ("dnsConfig", core_PodDNSConfig, "DNS parameters merged into those dnsPolicy "
                                          "produces."),
    F_ARR("readinessGates", core_PodReadinessGate, "Extra conditions that must be True for "
          "the pod to be ready.", ATOMIC),
    F_STR("runtimeClassName", "RuntimeClass used to run the pod."),
    F_BOOL("enableServiceLinks", "Inject service environment variables, docker-links style. "
                                 "Default true."),
    F_STR("preemptionPolicy", "Whether the pod may preempt lower-priority pods. Default "
                              "PreemptLowerPriority.", ENUM("Never", "PreemptLowerPriority")),
    F_MAP_QTY("overhead", "Resources the pod's sandbox uses on top of its containers."),
    F_ARR("topologySpreadConstraints", core_TopologySpreadConstraint, "How pods are spread "
          "over topology domains.", MERGE2("topologyKey", "whenUnsatisfiable")),
    F_BOOL("setHostnameAsFQDN", "Set the pod's hostname to its fully qualified name."),
    F_OBJ("os", core_PodOS, "Operating system the containers need."),
    F_BOOL("hostUsers", "Use the host user namespace. Default true; false gives the pod its "
                        "own user namespace."),
    F_ARR("schedulingGates", core_PodSchedulingGate, "Gates that keep the pod from being "
          "scheduled while any remains.", MERGE("name")),
    F_ARR("resourceClaims", core_PodResourceClaim, "Dynamic resource claims the pod uses.",
          MERGE_RK("name")),
    F_OBJ("resources", core_ResourceRequirements, "Resources of the whole pod (pod-level "
                                                  "resources)."));

/* Container and EphemeralContainer share every field but one. */
#define CONTAINER_FIELDS                                                                     \
    F_STR("name", "Name of the container, a DNS label unique within the pod.", REQ),         \
    F_STR("image", "Container image name."),                                                 \
    F_ARR_STR("command", "Entrypoint array, not run in a shell; $(VAR) references are "      \
                         "expanded. Defaults to the image's ENTRYPOINT.", ATOMIC),           \
    F_ARR_STR("args", "Arguments to the entrypoint; defaults to the image's CMD.", ATOMIC),  \
    F_STR("workingDir", "Working directory; defaults to the image's."),                      \
    F_ARR("ports", core_ContainerPort, "Ports the container exposes; informational.",        \
          MERGE2("containerPort", "protocol")),                                              \
    F_ARR("envFrom", core_EnvFromSource, "Sources whose keys become environment variables.", \
          ATOMIC),                                                                           \
    F_ARR("env", core_EnvVar, "Environment variables to set.", MERGE("name")),               \
    F_OBJ("resources", core_ResourceRequirements, "Compute resources the container needs."), \
    F_ARR("resizePolicy", core_ContainerResizePolicy, "How each resource may be resized in " \
          "place.", ATOMIC),                                                                 \
    F_STR("restartPolicy", "Per-container restart policy; only Always, for sidecar init "    \
                           "containers."),                                                   \
    F_ARR("volumeMounts", core_VolumeMount, "Pod volumes to mount into the filesystem.",     \
          MERGE("mountPath")),                                                               \
    F_ARR("volumeDevices", core_VolumeDevice, "Block devices the container uses.",           \
          MERGE("devicePath")),                                                              \
    F_OBJ("livenessProbe", core_Probe, "Probe of liveness; failure restarts the "            \
                                       "container."),                                        \
    F_OBJ("readinessProbe", core_Probe, "Probe of readiness; failure removes the pod from "  \
                                        "service endpoints."),                               \
    F_OBJ("startupProbe", core_Probe, "Probe that must succeed before the other probes "     \
                                      "start."),                                             \
    F_OBJ("lifecycle", core_Lifecycle, "Actions run after start and before stop."),          \
    F_STR("terminationMessagePath", "File whose content becomes the termination message. "   \
                                    "Default /dev/termination-log."),                        \
    F_STR("terminationMessagePolicy", "How the termination message is filled. Default "      \
                                      "File.", ENUM("FallbackToLogsOnError", "File")),       \
    F_STR("imagePullPolicy", "When to pull the image. Default Always for :latest, else "     \
                             "IfNotPresent.", ENUM("Always", "IfNotPresent", "Never")),      \
    F_OBJ("securityContext", core_SecurityContext, "Security options of the container."),    \
    F_BOOL("stdin", "Keep a stdin buffer open for the container."),                          \
    F_BOOL("stdinOnce", "Close stdin after the first attach session ends."),                 \
    F_BOOL("tty", "Allocate a TTY; needs stdin.")

ZK_TYPE(core_Container, N_CORE "Container", "A single application container of a pod.",
    CONTAINER_FIELDS);

ZK_TYPE(core_EphemeralContainer, N_CORE "EphemeralContainer",
    "A temporary container added to a running pod for debugging. It has no resources, "
    "ports or probes and is never restarted.",
    CONTAINER_FIELDS,
    F_STR("targetContainerName", "Container whose namespaces (PID, IPC) this one joins."));

ZK_TYPE(core_ContainerPort, N_CORE "ContainerPort", "A network port of one container.",
    F_STR("name", "IANA_SVC_NAME, unique within the pod; services can refer to it."),
    F_INT("hostPort", "Port to expose on the host; most pods need none."),
    F_INT("containerPort", "Port number on the pod's IP.", REQ),
    F_STR("protocol", "Protocol of the port. Default TCP.", E_PROTO),
    F_STR("hostIP", "Host IP the host port binds to."));

ZK_TYPE(core_EnvVar, N_CORE "EnvVar", "An environment variable of a container.",
    F_STR("name", "Name of the variable.", REQ),
    F_STR("value", "Value, with $(VAR) references expanded. Default empty."),
    F_OBJ("valueFrom", core_EnvVarSource, "Source of the value when value is empty."));

ZK_TYPE(core_EnvVarSource, N_CORE "EnvVarSource", "Where an environment value comes from.",
    F_OBJ("fieldRef", core_ObjectFieldSelector, "A field of the pod, such as metadata.name."),
    F_OBJ("resourceFieldRef", core_ResourceFieldSelector, "A resource limit or request of a "
                                                          "container."),
    F_OBJ("configMapKeyRef", core_ConfigMapKeySelector, "A key of a ConfigMap."),
    F_OBJ("secretKeyRef", core_SecretKeySelector, "A key of a Secret."));

ZK_TYPE(core_ObjectFieldSelector, N_CORE "ObjectFieldSelector", "Selects a field of an object.",
    F_STR("apiVersion", "Schema version the path is written in. Default v1."),
    F_STR("fieldPath", "Path of the field.", REQ));

ZK_TYPE(core_ResourceFieldSelector, N_CORE "ResourceFieldSelector",
    "Selects a resource of a container, such as limits.cpu.",
    F_STR("containerName", "Container name; required for volumes."),
    F_STR("resource", "Resource to select.", REQ),
    F_QTY("divisor", "Output unit. Default 1."));

ZK_TYPE(core_ConfigMapKeySelector, N_CORE "ConfigMapKeySelector", "A key of a ConfigMap.",
    F_STR("name", "Name of the ConfigMap."),
    F_STR("key", "The key.", REQ),
    F_BOOL("optional", "Whether the ConfigMap or key may be missing."));

ZK_TYPE(core_SecretKeySelector, N_CORE "SecretKeySelector", "A key of a Secret.",
    F_STR("name", "Name of the Secret."),
    F_STR("key", "The key.", REQ),
    F_BOOL("optional", "Whether the Secret or key may be missing."));

ZK_TYPE(core_EnvFromSource, N_CORE "EnvFromSource",
    "A ConfigMap or Secret whose keys all become environment variables.",
    F_STR("prefix", "Prefix added to every key."),
    F_OBJ("configMapRef", core_ConfigMapEnvSource, "The ConfigMap."),
    F_OBJ("secretRef", core_SecretEnvSource, "The Secret."));

ZK_TYPE(core_ConfigMapEnvSource, N_CORE "ConfigMapEnvSource", "A ConfigMap used as environment.",
    F_STR("name", "Name of the ConfigMap."),
    F_BOOL("optional", "Whether the ConfigMap may be missing."));

ZK_TYPE(core_SecretEnvSource, N_CORE "SecretEnvSource", "A Secret used as environment.",
    F_STR("name", "Name of the Secret."),
    F_BOOL("optional", "Whether the Secret may be missing."));

ZK_TYPE(core_ResourceRequirements, N_CORE "ResourceRequirements",
    "Compute resources: the most allowed and the least guaranteed.",
    F_MAP_QTY("limits", "Maximum amount of each resource allowed."),
    F_MAP_QTY("requests", "Minimum amount of each resource needed; defaults to limits when "
                          "omitted."),
    F_ARR("claims", core_ResourceClaim, "Dynamic resource claims of the pod this container "
          "uses.", .list_type = "map", .list_map_keys = ZK__KEYS("name")));

ZK_TYPE(core_ResourceClaim, N_CORE "ResourceClaim", "A reference to one pod resource claim.",
    F_STR("name", "Name of an entry of the pod's resourceClaims.", REQ),
    F_STR("request", "Name of one request of the claim; empty for all."));

ZK_TYPE(core_ContainerResizePolicy, N_CORE "ContainerResizePolicy",
    "Resize policy for one resource of a container.",
    F_STR("resourceName", "Resource it applies to: cpu or memory.", REQ),
    F_STR("restartPolicy", "What a resize does to the container.", REQ,
          ENUM("NotRequired", "RestartContainer")));

ZK_TYPE(core_VolumeMount, N_CORE "VolumeMount", "A volume mounted into a container.",
    F_STR("name", "Name of the pod volume.", REQ),
    F_BOOL("readOnly", "Mount read-only. Default false."),
    F_STR("recursiveReadOnly", "Whether read-only mounts are read-only recursively.",
          ENUM("Disabled", "Enabled", "IfPossible")),
    F_STR("mountPath", "Path in the container; must not contain ':'.", REQ),
    F_STR("subPath", "Path inside the volume to mount instead of its root."),
    F_STR("mountPropagation", "How mounts propagate between host and container.",
          ENUM("Bidirectional", "HostToContainer", "None")),
    F_STR("subPathExpr", "Like subPath, with $(VAR) expansion from the environment."));

ZK_TYPE(core_VolumeDevice, N_CORE "VolumeDevice", "A raw block device in a container.",
    F_STR("name", "Name of a persistentVolumeClaim volume of the pod.", REQ),
    F_STR("devicePath", "Path of the device in the container.", REQ));

ZK_TYPE(core_Probe, N_CORE "Probe", "A health check run against a container.",
    F_OBJ("exec", core_ExecAction, "Run a command in the container."),
    F_OBJ("httpGet", core_HTTPGetAction, "Send an HTTP GET."),
    F_OBJ("tcpSocket", core_TCPSocketAction, "Open a TCP connection."),
    F_OBJ("grpc", core_GRPCAction, "Call the gRPC health service."),
    F_INT("initialDelaySeconds", "Seconds after start before the first probe."),
    F_INT("timeoutSeconds", "Seconds before a probe times out. Default 1."),
    F_INT("periodSeconds", "Seconds between probes. Default 10."),
    F_INT("successThreshold", "Consecutive successes to count as healthy. Default 1."),
    F_INT("failureThreshold", "Consecutive failures to count as failed. Default 3."),
    F_I64("terminationGracePeriodSeconds", "Grace period used when the probe kills the pod, "
                                           "overriding the pod's."));

ZK_TYPE(core_ExecAction, N_CORE "ExecAction", "Runs a command in the container.",
    F_ARR_STR("command", "Command line, run without a shell; exit 0 is success.", ATOMIC));

ZK_TYPE(core_HTTPGetAction, N_CORE "HTTPGetAction", "An HTTP GET request.",
    F_STR("path", "Path to request."),
    F_IOS("port", "Port number or name.", REQ),
    F_STR("host", "Host to connect to; defaults to the pod IP."),
    F_STR("scheme", "Scheme to use. Default HTTP.", ENUM("HTTP", "HTTPS")),
    F_ARR("httpHeaders", core_HTTPHeader, "Extra request headers.", ATOMIC));

ZK_TYPE(core_HTTPHeader, N_CORE "HTTPHeader", "An HTTP header.",
    F_STR("name", "Header name.", REQ),
    F_STR("value", "Header value.", REQ));

ZK_TYPE(core_TCPSocketAction, N_CORE "TCPSocketAction", "A TCP connection attempt.",
    F_IOS("port", "Port number or name.", REQ),
    F_STR("host", "Host to connect to; defaults to the pod IP."));

ZK_TYPE(core_GRPCAction, N_CORE "GRPCAction", "A gRPC health check.",
    F_INT("port", "Port number of the gRPC service.", REQ),
    F_STR("service", "Service name sent in the health check request."));

ZK_TYPE(core_Lifecycle, N_CORE "Lifecycle", "Actions the node runs at container start and stop.",
    F_OBJ("postStart", core_LifecycleHandler, "Runs right after the container starts."),
    F_OBJ("preStop", core_LifecycleHandler, "Runs before the container is stopped."));

ZK_TYPE(core_LifecycleHandler, N_CORE "LifecycleHandler", "One lifecycle action.",
    F_OBJ("exec", core_ExecAction, "Run a command."),
    F_OBJ("httpGet", core_HTTPGetAction, "Send an HTTP GET."),
    F_OBJ("tcpSocket", core_TCPSocketAction, "Deprecated; kept for compatibility."),
    F_OBJ("sleep", core_SleepAction, "Sleep for a while."));

ZK_TYPE(core_SleepAction, N_CORE "SleepAction", "Sleeps.",
    F_I64("seconds", "Seconds to sleep.", REQ));

ZK_TYPE(core_SecurityContext, N_CORE "SecurityContext",
    "Security options of one container; they override the pod's.",
    F_OBJ("capabilities", core_Capabilities, "Capabilities to add and drop."),
    F_BOOL("privileged", "Run privileged. Default false."),
    F_OBJ("seLinuxOptions", core_SELinuxOptions, "SELinux context."),
    F_OBJ("windowsOptions", core_WindowsSecurityContextOptions, "Windows-only options."),
    F_I64("runAsUser", "UID to run the entrypoint as."),
    F_I64("runAsGroup", "GID to run the entrypoint as."),
    F_BOOL("runAsNonRoot", "Refuse to start when the user would be root."),
    F_BOOL("readOnlyRootFilesystem", "Mount the root filesystem read-only."),
    F_BOOL("allowPrivilegeEscalation", "Whether a process may gain more privileges than its "
                                       "parent (no_new_privs)."),
    F_STR("procMount", "Kind of /proc mount. Default Default.", ENUM("Default", "Unmasked")),
    F_OBJ("seccompProfile", core_SeccompProfile, "Seccomp profile."),
    F_OBJ("appArmorProfile", core_AppArmorProfile, "AppArmor profile."));

ZK_TYPE(core_Capabilities, N_CORE "Capabilities", "POSIX capabilities to add and drop.",
    F_ARR_STR("add", "Capabilities to add.", ATOMIC),
    F_ARR_STR("drop", "Capabilities to drop.", ATOMIC));

ZK_TYPE(core_SELinuxOptions, N_CORE "SELinuxOptions", "An SELinux label.",
    F_STR("user", "SELinux user."),
    F_STR("role", "SELinux role."),
    F_STR("type", "SELinux type."),
    F_STR("level", "SELinux level."));

ZK_TYPE(core_WindowsSecurityContextOptions, N_CORE "WindowsSecurityContextOptions",
    "Windows-specific security options.",
    F_STR("gmsaCredentialSpecName", "Name of the GMSA credential spec to use."),
    F_STR("gmsaCredentialSpec", "Content of the GMSA credential spec."),
    F_STR("runAsUserName", "User name to run the entrypoint as."),
    F_BOOL("hostProcess", "Run as a host process container."));

ZK_TYPE(core_SeccompProfile, N_CORE "SeccompProfile", "A seccomp profile.",
    F_STR("type", "Kind of profile.", REQ, ENUM("Localhost", "RuntimeDefault", "Unconfined")),
    F_STR("localhostProfile", "Path of the profile on the node, for Localhost."));

ZK_TYPE(core_AppArmorProfile, N_CORE "AppArmorProfile", "An AppArmor profile.",
    F_STR("type", "Kind of profile.", REQ, ENUM("Localhost", "RuntimeDefault", "Unconfined")),
    F_STR("localhostProfile", "Name of a profile loaded on the node, for Localhost."));

ZK_TYPE(core_PodSecurityContext, N_CORE "PodSecurityContext",
    "Pod-wide security attributes; some are defaults for the containers.",
    F_OBJ("seLinuxOptions", core_SELinuxOptions, "SELinux context of all containers."),
    F_OBJ("windowsOptions", core_WindowsSecurityContextOptions, "Windows-only options."),
    F_I64("runAsUser", "UID to run entrypoints as."),
    F_I64("runAsGroup", "GID to run entrypoints as."),
    F_BOOL("runAsNonRoot", "Refuse to start containers whose user would be root."),
    F_ARR_I64("supplementalGroups", "Extra groups of the first process of each container.",
              ATOMIC),
    F_STR("supplementalGroupsPolicy", "How supplemental groups are computed.",
          ENUM("Merge", "Strict")),
    F_I64("fsGroup", "Group that owns supported volumes and is added to every container."),
    F_ARR("sysctls", core_Sysctl, "Namespaced sysctls to set.", ATOMIC),
    F_STR("fsGroupChangePolicy", "When volume ownership is changed to fsGroup.",
          ENUM("Always", "OnRootMismatch")),
    F_OBJ("seccompProfile", core_SeccompProfile, "Seccomp profile of all containers."),
    F_OBJ("appArmorProfile", core_AppArmorProfile, "AppArmor profile of all containers."),
    F_STR("seLinuxChangePolicy", "How the SELinux label is applied to volumes.",
          ENUM("MountOption", "Recursive")));

ZK_TYPE(core_Sysctl, N_CORE "Sysctl", "A kernel parameter.",
    F_STR("name", "Parameter name.", REQ),
    F_STR("value", "Parameter value.", REQ));

ZK_TYPE(core_Affinity, N_CORE "Affinity", "Scheduling constraints of a pod.",
    F_OBJ("nodeAffinity", core_NodeAffinity, "Constraints on nodes."),
    F_OBJ("podAffinity", core_PodAffinity, "Run near pods matching terms."),
    F_OBJ("podAntiAffinity", core_PodAntiAffinity, "Run away from pods matching terms."));

ZK_TYPE(core_NodeAffinity, N_CORE "NodeAffinity", "Node constraints of a pod.",
    F_OBJ("requiredDuringSchedulingIgnoredDuringExecution", core_NodeSelector,
          "Hard requirement at scheduling time."),
    F_ARR("preferredDuringSchedulingIgnoredDuringExecution", core_PreferredSchedulingTerm,
          "Weighted preferences; the node with the highest sum wins.", ATOMIC));

ZK_TYPE(core_NodeSelector, N_CORE "NodeSelector", "Terms ORed together to select nodes.",
    F_ARR("nodeSelectorTerms", core_NodeSelectorTerm, "The terms.", REQ, ATOMIC));

ZK_TYPE(core_NodeSelectorTerm, N_CORE "NodeSelectorTerm",
    "Requirements ANDed together; an empty term matches nothing.",
    F_ARR("matchExpressions", core_NodeSelectorRequirement, "Requirements on node labels.",
          ATOMIC),
    F_ARR("matchFields", core_NodeSelectorRequirement, "Requirements on node fields.",
          ATOMIC));

ZK_TYPE(core_NodeSelectorRequirement, N_CORE "NodeSelectorRequirement",
    "A key, an operator and values, matched against a node.",
    F_STR("key", "Label key or field name.", REQ),
    F_STR("operator", "How the key relates to the values.", REQ,
          ENUM("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn")),
    F_ARR_STR("values", "Values; one integer for Gt and Lt, none for Exists and "
                        "DoesNotExist.", ATOMIC));

ZK_TYPE(core_PreferredSchedulingTerm, N_CORE "PreferredSchedulingTerm",
    "A weighted node preference.",
    F_INT("weight", "Weight from 1 to 100.", REQ),
    F_OBJ("preference", core_NodeSelectorTerm, "The preferred nodes.", REQ));

ZK_TYPE(core_PodAffinity, N_CORE "PodAffinity", "Co-location rules with other pods.",
    F_ARR("requiredDuringSchedulingIgnoredDuringExecution", core_PodAffinityTerm,
          "Hard rules at scheduling time, all of which must hold.", ATOMIC),
    F_ARR("preferredDuringSchedulingIgnoredDuringExecution", core_WeightedPodAffinityTerm,
          "Weighted preferences.", ATOMIC));

ZK_TYPE(core_PodAntiAffinity, N_CORE "PodAntiAffinity", "Separation rules from other pods.",
    F_ARR("requiredDuringSchedulingIgnoredDuringExecution", core_PodAffinityTerm,
          "Hard rules at scheduling time, all of which must hold.", ATOMIC),
    F_ARR("preferredDuringSchedulingIgnoredDuringExecution", core_WeightedPodAffinityTerm,
          "Weighted preferences.", ATOMIC));

ZK_TYPE(core_PodAffinityTerm, N_CORE "PodAffinityTerm",
    "A set of pods, in given namespaces, within one topology domain.",
    F_OBJ("labelSelector", meta_LabelSelector, "Selects the pods."),
    F_ARR_STR("namespaces", "Namespaces the pods are looked for in; empty with no "
                            "namespaceSelector means the pod's own.", ATOMIC),
    F_STR("topologyKey", "Node label whose value defines the domain.", REQ),
    F_OBJ("namespaceSelector", meta_LabelSelector, "Selects the namespaces."),
    F_ARR_STR("matchLabelKeys", "Label keys whose values from the incoming pod are added to "
                                "the selector (In).", ATOMIC),
    F_ARR_STR("mismatchLabelKeys", "Label keys whose values from the incoming pod are added "
                                   "to the selector (NotIn).", ATOMIC));

ZK_TYPE(core_WeightedPodAffinityTerm, N_CORE "WeightedPodAffinityTerm",
    "A pod affinity term with a weight.",
    F_INT("weight", "Weight from 1 to 100.", REQ),
    F_OBJ("podAffinityTerm", core_PodAffinityTerm, "The term.", REQ));

ZK_TYPE(core_Toleration, N_CORE "Toleration", "Lets a pod tolerate matching taints.",
    F_STR("key", "Taint key; empty with Exists matches all keys."),
    F_STR("operator", "How the key relates to the value. Default Equal.",
          ENUM("Equal", "Exists")),
    F_STR("value", "Taint value for Equal."),
    F_STR("effect", "Taint effect to match; empty matches all.",
          ENUM("NoExecute", "NoSchedule", "PreferNoSchedule")),
    F_I64("tolerationSeconds", "For NoExecute: seconds the pod stays bound after the taint "
                               "appears; unset means forever."));

ZK_TYPE(core_HostAlias, N_CORE "HostAlias", "An /etc/hosts entry.",
    F_STR("ip", "IP address.", REQ),
    F_ARR_STR("hostnames", "Hostnames for the address.", ATOMIC));

ZK_TYPE(core_PodDNSConfig, N_CORE "PodDNSConfig", "DNS parameters of a pod.",
    F_ARR_STR("nameservers", "DNS server IPs.", ATOMIC),
    F_ARR_STR("searches", "Search domains.", ATOMIC),
    F_ARR("options", core_PodDNSConfigOption, "Resolver options.", ATOMIC));

ZK_TYPE(core_PodDNSConfigOption, N_CORE "PodDNSConfigOption", "One resolver option.",
    F_STR("name", "Option name."),
    F_STR("value", "Option value."));

ZK_TYPE(core_PodReadinessGate, N_CORE "PodReadinessGate", "An extra readiness condition.",
    F_STR("conditionType", "Type of a pod condition that must be True.", REQ));

ZK_TYPE(core_TopologySpreadConstraint, N_CORE "TopologySpreadConstraint",
    "How matching pods are spread over a topology.",
    F_INT("maxSkew", "Largest allowed difference of matching pods between domains.", REQ),
    F_STR("topologyKey", "Node label whose values are the domains.", REQ),
    F_STR("whenUnsatisfiable", "What to do when the constraint cannot be met.", REQ,
          ENUM("DoNotSchedule", "ScheduleAnyway")),
    F_OBJ("labelSelector", meta_LabelSelector, "Selects the pods that are counted."),
    F_INT("minDomains", "Minimum number of eligible domains."),
    F_STR("nodeAffinityPolicy", "Whether node affinity limits the domains. Default Honor.",
          ENUM("Honor", "Ignore")),
    F_STR("nodeTaintsPolicy", "Whether node taints limit the domains. Default Ignore.",
          ENUM("Honor", "Ignore")),
    F_ARR_STR("matchLabelKeys", "Label keys whose values from the incoming pod narrow the "
                                "selector.", ATOMIC));

ZK_TYPE(core_PodOS, N_CORE "PodOS", "The operating system of a pod.",
    F_STR("name", "linux or windows.", REQ));

ZK_TYPE(core_PodSchedulingGate, N_CORE "PodSchedulingGate", "A scheduling gate.",
    F_STR("name", "Name of the gate.", REQ));

ZK_TYPE(core_PodResourceClaim, N_CORE "PodResourceClaim",
    "A ResourceClaim the pod uses, by name or from a template.",
    F_STR("name", "Name of the claim within the pod.", REQ),
    F_STR("resourceClaimName", "An existing ResourceClaim in the pod's namespace."),
    F_STR("resourceClaimTemplateName", "A template from which a claim is made for the "
                                       "pod."));

ZK_TYPE(core_LocalObjectReference, N_CORE "LocalObjectReference",
    "A reference by name to an object in the same namespace.",
    F_STR("name", "Name of the referent."));

/* ---- pod status ----------------------------------------------------- */

ZK_TYPE(core_PodStatus, N_CORE "PodStatus", "Observed state of a pod.",
    F_STR("phase", "Coarse summary of where the pod is in its lifecycle.",
          ENUM("Failed", "Pending", "Running", "Succeeded", "Unknown")),
    F_ARR("conditions", core_PodCondition, "Current service state of the pod.",
          MERGE("type")),
    F_STR("message", "Human-readable detail about the pod's state."),
    F_STR("reason", "Short CamelCase reason for the state, such as Evicted."),
    F_STR("nominatedNodeName", "Node the pod may run on after preemption."),
    F_STR("hostIP", "Primary IP of the node the pod runs on."),
    F_ARR("hostIPs", core_HostIP, "IPs of the node the pod runs on.", MERGE("ip")),
    F_STR("podIP", "Primary IP of the pod."),
    F_ARR("podIPs", core_PodIP, "IPs of the pod, one per address family.", MERGE("ip")),
    F_TIME("startTime", "When the node acknowledged the pod."),
    F_ARR("initContainerStatuses", core_ContainerStatus, "Statuses of the init containers.",
          ATOMIC),
    F_ARR("containerStatuses", core_ContainerStatus, "Statuses of the app containers.",
          ATOMIC),
    F_STR("qosClass", "Quality of service class from the resource requests and limits.",
          ENUM("BestEffort", "Burstable", "Guaranteed")),
    F_ARR("ephemeralContainerStatuses", core_ContainerStatus, "Statuses of the ephemeral "
          "containers.", ATOMIC),
    F_STR("resize", "State of a requested in-place resize.",
          ENUM("Deferred", "InProgress", "Infeasible", "Proposed")),
    F_ARR("resourceClaimStatuses", core_PodResourceClaimStatus, "Names of the ResourceClaims "
          "made for the pod.", MERGE_RK("name")));

ZK_TYPE(core_PodCondition, N_CORE "PodCondition", "One condition of a pod.",
    F_STR("type", "Condition type, such as Ready or PodScheduled.", REQ),
    F_STR("status", "Whether the condition holds.", REQ, E_COND),
    F_TIME("lastProbeTime", "When the condition was last probed."),
    F_TIME("lastTransitionTime", "When the status last changed."),
    F_STR("reason", "CamelCase reason for the last transition."),
    F_STR("message", "Human-readable detail."));

ZK_TYPE(core_HostIP, N_CORE "HostIP", "An IP address of the node.",
    F_STR("ip", "The address.", REQ));

ZK_TYPE(core_PodIP, N_CORE "PodIP", "An IP address of the pod.",
    F_STR("ip", "The address.", REQ));

ZK_TYPE(core_ContainerStatus, N_CORE "ContainerStatus", "Observed state of one container.",
    F_STR("name", "Name of the container.", REQ),
    F_OBJ("state", core_ContainerState, "Current state."),
    F_OBJ("lastState", core_ContainerState, "State of the previous run, usually its "
                                            "termination."),
    F_BOOL("ready", "Whether the container passes its readiness probe.", REQ),
    F_INT("restartCount", "Times the container has been restarted.", REQ),
    F_STR("image", "Image the container runs.", REQ),
    F_STR("imageID", "Resolved ID of the image.", REQ),
    F_STR("containerID", "ID of the container, as <type>://<id>."),
    F_BOOL("started", "Whether the container has passed its startup probe."),
    F_MAP_QTY("allocatedResources", "Resources the node allocated to the container."),
    F_OBJ("resources", core_ResourceRequirements, "Resources actually configured for the "
                                                  "running container."),
    F_ARR("volumeMounts", core_VolumeMountStatus, "Status of the volume mounts.",
          MERGE("mountPath")),
    F_OBJ("user", core_ContainerUser, "Identity the first process runs with."),
    F_ARR("allocatedResourcesStatus", core_ResourceStatus, "Health of allocated devices.",
          MERGE("name")));

ZK_TYPE(core_ContainerState, N_CORE "ContainerState",
    "State of a container; exactly one member is set.",
    F_OBJ("waiting", core_ContainerStateWaiting, "The container is waiting to start."),
    F_OBJ("running", core_ContainerStateRunning, "The container is running."),
    F_OBJ("terminated", core_ContainerStateTerminated, "The container has exited."));

ZK_TYPE(core_ContainerStateWaiting, N_CORE "ContainerStateWaiting", "A waiting container.",
    F_STR("reason", "Why it waits, such as ImagePullBackOff."),
    F_STR("message", "Detail about the wait."));

ZK_TYPE(core_ContainerStateRunning, N_CORE "ContainerStateRunning", "A running container.",
    F_TIME("startedAt", "When the container last started."));

ZK_TYPE(core_ContainerStateTerminated, N_CORE "ContainerStateTerminated",
    "An exited container.",
    F_INT("exitCode", "Exit status of the last run.", REQ),
    F_INT("signal", "Signal that ended it, if any."),
    F_STR("reason", "Why it ended, such as Completed or OOMKilled."),
    F_STR("message", "Detail about the exit."),
    F_TIME("startedAt", "When the run started."),
    F_TIME("finishedAt", "When the run ended."),
    F_STR("containerID", "ID of the container, as <type>://<id>."));

ZK_TYPE(core_VolumeMountStatus, N_CORE "VolumeMountStatus", "Status of one volume mount.",
    F_STR("name", "Name of the volume mount.", REQ),
    F_STR("mountPath", "Path of the mount.", REQ),
    F_BOOL("readOnly", "Whether it is read-only."),
    F_STR("recursiveReadOnly", "Whether it is read-only recursively.",
          ENUM("Disabled", "Enabled", "IfPossible")));

ZK_TYPE(core_ContainerUser, N_CORE "ContainerUser", "The identity a container runs with.",
    F_OBJ("linux", core_LinuxContainerUser, "Linux identity."));

ZK_TYPE(core_LinuxContainerUser, N_CORE "LinuxContainerUser", "A Linux process identity.",
    F_I64("uid", "User ID.", REQ),
    F_I64("gid", "Primary group ID.", REQ),
    F_ARR_I64("supplementalGroups", "Supplemental group IDs.", ATOMIC));

ZK_TYPE(core_ResourceStatus, N_CORE "ResourceStatus", "Health of the devices of one resource.",
    F_STR("name", "Name of the resource.", REQ),
    F_ARR("resources", core_ResourceHealth, "Health of each device.",
          .list_type = "map", .list_map_keys = ZK__KEYS("resourceID")));

ZK_TYPE(core_ResourceHealth, N_CORE "ResourceHealth", "Health of one device.",
    F_STR("resourceID", "Unique ID of the device.", REQ),
    F_STR("health", "Healthy, Unhealthy or Unknown."));

ZK_TYPE(core_PodResourceClaimStatus, N_CORE "PodResourceClaimStatus",
    "The ResourceClaim made for one pod resource claim.",
    F_STR("name", "Name of the entry in the pod's resourceClaims.", REQ),
    F_STR("resourceClaimName", "Name of the ResourceClaim made for it."));
