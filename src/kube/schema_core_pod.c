/* Field schemas: core/v1 Pod and everything a pod spec and status are made of. */
#include "kube/schema_decl.h"

ZK_KIND(core_Pod, N_CORE "Pod", "", "v1", "Pod",
    "A group of containers that run together on one node, sharing network and volumes.",
    F_TOP,
    F_OBJ("spec", core_PodSpec, "Desired behaviour of the pod.", PB(2)),
    F_OBJ("status", core_PodStatus, "Most recently observed state of the pod; read-only for "
                                    "clients, written by the node.", PB(3)));

ZK_TYPE(core_PodTemplateSpec, N_CORE "PodTemplateSpec",
    "The pods a controller creates: their metadata and spec.",
    F_METADATA,
    F_OBJ("spec", core_PodSpec, "Desired behaviour of the pods.", PB(2)));

ZK_TYPE(core_PodSpec, N_CORE "PodSpec", "Desired behaviour of a pod.",
    F_ARR("volumes", core_Volume, "Volumes the pod's containers can mount.", MERGE_RK("name"),
          PB(1)),
    F_ARR("initContainers", core_Container, "Containers run one after another to completion "
          "before the app containers start.", MERGE("name"), PB(20)),
    F_ARR("containers", core_Container, "The pod's app containers; at least one. Cannot be "
          "added or removed once the pod exists.", REQ, MERGE("name"), PB(2)),
    F_ARR("ephemeralContainers", core_EphemeralContainer, "Debugging containers added to a "
          "running pod through the ephemeralcontainers subresource.", MERGE("name"), PB(34)),
    F_STR("restartPolicy", "Restart policy for all containers. Default Always.",
          ENUM("Always", "Never", "OnFailure"), PB(3)),
    F_I64("terminationGracePeriodSeconds", "Seconds between the stop signal and the kill "
                                           "signal on deletion. Default 30.", PB(4)),
    F_I64("activeDeadlineSeconds", "Seconds the pod may be active, counted from its start, "
                                   "before the node kills it.", PB(5)),
    F_STR("dnsPolicy", "How DNS is configured for the pod. Default ClusterFirst.",
          ENUM("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"), PB(6)),
    F_MAP_STR("nodeSelector", "Labels a node must have for the pod to be scheduled there.", PB(7)),
    F_STR("serviceAccountName", "Name of the ServiceAccount the pod runs as.", PB(8)),
    F_STR("serviceAccount", "Deprecated alias of serviceAccountName.", PB(9)),
    F_BOOL("automountServiceAccountToken", "Whether a service account token is mounted "
                                           "automatically.", PB(21)),
    F_STR("nodeName", "Node the pod is bound to; set by the scheduler, or by hand to bypass "
                      "it.", PB(10)),
    F_BOOL("hostNetwork", "Use the node's network namespace. Default false.", PB(11)),
    F_BOOL("hostPID", "Use the node's PID namespace. Default false.", PB(12)),
    F_BOOL("hostIPC", "Use the node's IPC namespace. Default false.", PB(13)),
    F_BOOL("shareProcessNamespace", "Share one PID namespace among all containers of the "
                                    "pod.", PB(27)),
    F_OBJ("securityContext", core_PodSecurityContext, "Pod-wide security attributes and "
                                                      "container defaults.", PB(14)),
    F_ARR("imagePullSecrets", core_LocalObjectReference, "Secrets in the pod's namespace used "
          "to pull images.", MERGE("name"), PB(15)),
    F_STR("hostname", "Hostname of the pod; defaults to the pod's name.", PB(16)),
    F_STR("subdomain", "Subdomain giving the pod the FQDN hostname.subdomain.namespace.svc.",
          PB(17)),
    F_OBJ("affinity", core_Affinity, "Scheduling constraints.", PB(18)),
    F_STR("schedulerName", "Scheduler that places the pod; default-scheduler when empty.", PB(19)),
    F_ARR("tolerations", core_Toleration, "Taints the pod tolerates.", ATOMIC, PB(22)),
    F_ARR("hostAliases", core_HostAlias, "Extra entries for the pod's /etc/hosts.",
          MERGE("ip"), PB(23)),
    F_STR("priorityClassName", "PriorityClass giving the pod's priority.", PB(24)),
    F_INT("priority", "Priority value, filled in from the PriorityClass by admission.", PB(25)),
    F_OBJ("dnsConfig", core_PodDNSConfig, "DNS parameters merged into those dnsPolicy "
                                          "produces.", PB(26)),
    F_ARR("readinessGates", core_PodReadinessGate, "Extra conditions that must be True for "
          "the pod to be ready.", ATOMIC, PB(28)),
    F_STR("runtimeClassName", "RuntimeClass used to run the pod.", PB(29)),
    F_BOOL("enableServiceLinks", "Inject service environment variables, docker-links style. "
                                 "Default true.", PB(30)),
    F_STR("preemptionPolicy", "Whether the pod may preempt lower-priority pods. Default "
                              "PreemptLowerPriority.", ENUM("Never", "PreemptLowerPriority"),
                              PB(31)),
    F_MAP_QTY("overhead", "Resources the pod's sandbox uses on top of its containers.", PB(32)),
    F_ARR("topologySpreadConstraints", core_TopologySpreadConstraint, "How pods are spread "
          "over topology domains.", MERGE2("topologyKey", "whenUnsatisfiable"), PB(33)),
    F_BOOL("setHostnameAsFQDN", "Set the pod's hostname to its fully qualified name.", PB(35)),
    F_OBJ("os", core_PodOS, "Operating system the containers need.", PB(36)),
    F_BOOL("hostUsers", "Use the host user namespace. Default true; false gives the pod its "
                        "own user namespace.", PB(37)),
    F_ARR("schedulingGates", core_PodSchedulingGate, "Gates that keep the pod from being "
          "scheduled while any remains.", MERGE("name"), PB(38)),
    F_ARR("resourceClaims", core_PodResourceClaim, "Dynamic resource claims the pod uses.",
          MERGE_RK("name"), PB(39)),
    F_OBJ("resources", core_ResourceRequirements, "Resources of the whole pod (pod-level "
                                                  "resources).", PB(40)));

/* Container and EphemeralContainer share every field but one. The field numbers
 * are Container's; EphemeralContainer holds the same fields in an embedded
 * EphemeralContainerCommon (field 1), so CPB(n) is redefined before each use. */
#define CONTAINER_FIELDS                                                                     \
    F_STR("name", "Name of the container, a DNS label unique within the pod.", REQ, CPB(1)), \
    F_STR("image", "Container image name.", CPB(2)),                                         \
    F_ARR_STR("command", "Entrypoint array, not run in a shell; $(VAR) references are "      \
                         "expanded. Defaults to the image's ENTRYPOINT.", ATOMIC, CPB(3)),   \
    F_ARR_STR("args", "Arguments to the entrypoint; defaults to the image's CMD.", ATOMIC,   \
              CPB(4)),                                                                       \
    F_STR("workingDir", "Working directory; defaults to the image's.", CPB(5)),              \
    F_ARR("ports", core_ContainerPort, "Ports the container exposes; informational.",        \
          MERGE2("containerPort", "protocol"), CPB(6)),                                      \
    F_ARR("envFrom", core_EnvFromSource, "Sources whose keys become environment variables.", \
          ATOMIC, CPB(19)),                                                                  \
    F_ARR("env", core_EnvVar, "Environment variables to set.", MERGE("name"), CPB(7)),       \
    F_OBJ("resources", core_ResourceRequirements, "Compute resources the container needs.",  \
          CPB(8)),                                                                           \
    F_ARR("resizePolicy", core_ContainerResizePolicy, "How each resource may be resized in " \
          "place.", ATOMIC, CPB(23)),                                                        \
    F_STR("restartPolicy", "Per-container restart policy; only Always, for sidecar init "    \
                           "containers.", CPB(24)),                                          \
    F_ARR("volumeMounts", core_VolumeMount, "Pod volumes to mount into the filesystem.",     \
          MERGE("mountPath"), CPB(9)),                                                       \
    F_ARR("volumeDevices", core_VolumeDevice, "Block devices the container uses.",           \
          MERGE("devicePath"), CPB(21)),                                                     \
    F_OBJ("livenessProbe", core_Probe, "Probe of liveness; failure restarts the "            \
                                       "container.", CPB(10)),                               \
    F_OBJ("readinessProbe", core_Probe, "Probe of readiness; failure removes the pod from "  \
                                        "service endpoints.", CPB(11)),                      \
    F_OBJ("startupProbe", core_Probe, "Probe that must succeed before the other probes "     \
                                      "start.", CPB(22)),                                    \
    F_OBJ("lifecycle", core_Lifecycle, "Actions run after start and before stop.", CPB(12)), \
    F_STR("terminationMessagePath", "File whose content becomes the termination message. "   \
                                    "Default /dev/termination-log.", CPB(13)),               \
    F_STR("terminationMessagePolicy", "How the termination message is filled. Default "      \
                                      "File.", ENUM("FallbackToLogsOnError", "File"), CPB(20)), \
    F_STR("imagePullPolicy", "When to pull the image. Default Always for :latest, else "     \
                             "IfNotPresent.", ENUM("Always", "IfNotPresent", "Never"), CPB(14)), \
    F_OBJ("securityContext", core_SecurityContext, "Security options of the container.", CPB(15)), \
    F_BOOL("stdin", "Keep a stdin buffer open for the container.", CPB(16)),                 \
    F_BOOL("stdinOnce", "Close stdin after the first attach session ends.", CPB(17)),        \
    F_BOOL("tty", "Allocate a TTY; needs stdin.", CPB(18))

#define CPB(n) PB(n)
ZK_TYPE(core_Container, N_CORE "Container", "A single application container of a pod.",
    CONTAINER_FIELDS);
#undef CPB

#define CPB(n) PB_IN(1, n)

ZK_TYPE(core_EphemeralContainer, N_CORE "EphemeralContainer",
    "A temporary container added to a running pod for debugging. It has no resources, "
    "ports or probes and is never restarted.",
    CONTAINER_FIELDS,
    F_STR("targetContainerName", "Container whose namespaces (PID, IPC) this one joins.", PB(2)));
#undef CPB

ZK_TYPE(core_ContainerPort, N_CORE "ContainerPort", "A network port of one container.",
    F_STR("name", "IANA_SVC_NAME, unique within the pod; services can refer to it.", PB(1)),
    F_INT("hostPort", "Port to expose on the host; most pods need none.", PB(2)),
    F_INT("containerPort", "Port number on the pod's IP.", REQ, PB(3)),
    F_STR("protocol", "Protocol of the port. Default TCP.", E_PROTO, PB(4)),
    F_STR("hostIP", "Host IP the host port binds to.", PB(5)));

ZK_TYPE(core_EnvVar, N_CORE "EnvVar", "An environment variable of a container.",
    F_STR("name", "Name of the variable.", REQ, PB(1)),
    F_STR("value", "Value, with $(VAR) references expanded. Default empty.", PB(2)),
    F_OBJ("valueFrom", core_EnvVarSource, "Source of the value when value is empty.", PB(3)));

ZK_TYPE(core_EnvVarSource, N_CORE "EnvVarSource", "Where an environment value comes from.",
    F_OBJ("fieldRef", core_ObjectFieldSelector, "A field of the pod, such as metadata.name.",
          PB(1)),
    F_OBJ("resourceFieldRef", core_ResourceFieldSelector, "A resource limit or request of a "
                                                          "container.", PB(2)),
    F_OBJ("configMapKeyRef", core_ConfigMapKeySelector, "A key of a ConfigMap.", PB(3)),
    F_OBJ("secretKeyRef", core_SecretKeySelector, "A key of a Secret.", PB(4)));

ZK_TYPE(core_ObjectFieldSelector, N_CORE "ObjectFieldSelector", "Selects a field of an object.",
    F_STR("apiVersion", "Schema version the path is written in. Default v1.", PB(1)),
    F_STR("fieldPath", "Path of the field.", REQ, PB(2)));

ZK_TYPE(core_ResourceFieldSelector, N_CORE "ResourceFieldSelector",
    "Selects a resource of a container, such as limits.cpu.",
    F_STR("containerName", "Container name; required for volumes.", PB(1)),
    F_STR("resource", "Resource to select.", REQ, PB(2)),
    F_QTY("divisor", "Output unit. Default 1.", PB(3)));

ZK_TYPE(core_ConfigMapKeySelector, N_CORE "ConfigMapKeySelector", "A key of a ConfigMap.",
    F_STR("name", "Name of the ConfigMap.", PB_IN(1, 1)),
    F_STR("key", "The key.", REQ, PB(2)),
    F_BOOL("optional", "Whether the ConfigMap or key may be missing.", PB(3)));

ZK_TYPE(core_SecretKeySelector, N_CORE "SecretKeySelector", "A key of a Secret.",
    F_STR("name", "Name of the Secret.", PB_IN(1, 1)),
    F_STR("key", "The key.", REQ, PB(2)),
    F_BOOL("optional", "Whether the Secret or key may be missing.", PB(3)));

ZK_TYPE(core_EnvFromSource, N_CORE "EnvFromSource",
    "A ConfigMap or Secret whose keys all become environment variables.",
    F_STR("prefix", "Prefix added to every key.", PB(1)),
    F_OBJ("configMapRef", core_ConfigMapEnvSource, "The ConfigMap.", PB(2)),
    F_OBJ("secretRef", core_SecretEnvSource, "The Secret.", PB(3)));

ZK_TYPE(core_ConfigMapEnvSource, N_CORE "ConfigMapEnvSource", "A ConfigMap used as environment.",
    F_STR("name", "Name of the ConfigMap.", PB_IN(1, 1)),
    F_BOOL("optional", "Whether the ConfigMap may be missing.", PB(2)));

ZK_TYPE(core_SecretEnvSource, N_CORE "SecretEnvSource", "A Secret used as environment.",
    F_STR("name", "Name of the Secret.", PB_IN(1, 1)),
    F_BOOL("optional", "Whether the Secret may be missing.", PB(2)));

ZK_TYPE(core_ResourceRequirements, N_CORE "ResourceRequirements",
    "Compute resources: the most allowed and the least guaranteed.",
    F_MAP_QTY("limits", "Maximum amount of each resource allowed.", PB(1)),
    F_MAP_QTY("requests", "Minimum amount of each resource needed; defaults to limits when "
                          "omitted.", PB(2)),
    F_ARR("claims", core_ResourceClaim, "Dynamic resource claims of the pod this container "
          "uses.", .list_type = "map", .list_map_keys = ZK__KEYS("name"), PB(3)));

ZK_TYPE(core_ResourceClaim, N_CORE "ResourceClaim", "A reference to one pod resource claim.",
    F_STR("name", "Name of an entry of the pod's resourceClaims.", REQ, PB(1)),
    F_STR("request", "Name of one request of the claim; empty for all.", PB(2)));

ZK_TYPE(core_ContainerResizePolicy, N_CORE "ContainerResizePolicy",
    "Resize policy for one resource of a container.",
    F_STR("resourceName", "Resource it applies to: cpu or memory.", REQ, PB(1)),
    F_STR("restartPolicy", "What a resize does to the container.", REQ,
          ENUM("NotRequired", "RestartContainer"), PB(2)));

ZK_TYPE(core_VolumeMount, N_CORE "VolumeMount", "A volume mounted into a container.",
    F_STR("name", "Name of the pod volume.", REQ, PB(1)),
    F_BOOL("readOnly", "Mount read-only. Default false.", PB(2)),
    F_STR("recursiveReadOnly", "Whether read-only mounts are read-only recursively.",
          ENUM("Disabled", "Enabled", "IfPossible"), PB(7)),
    F_STR("mountPath", "Path in the container; must not contain ':'.", REQ, PB(3)),
    F_STR("subPath", "Path inside the volume to mount instead of its root.", PB(4)),
    F_STR("mountPropagation", "How mounts propagate between host and container.",
          ENUM("Bidirectional", "HostToContainer", "None"), PB(5)),
    F_STR("subPathExpr", "Like subPath, with $(VAR) expansion from the environment.", PB(6)));

ZK_TYPE(core_VolumeDevice, N_CORE "VolumeDevice", "A raw block device in a container.",
    F_STR("name", "Name of a persistentVolumeClaim volume of the pod.", REQ, PB(1)),
    F_STR("devicePath", "Path of the device in the container.", REQ, PB(2)));

ZK_TYPE(core_Probe, N_CORE "Probe", "A health check run against a container.",
    F_OBJ("exec", core_ExecAction, "Run a command in the container.", PB_IN(1, 1)),
    F_OBJ("httpGet", core_HTTPGetAction, "Send an HTTP GET.", PB_IN(1, 2)),
    F_OBJ("tcpSocket", core_TCPSocketAction, "Open a TCP connection.", PB_IN(1, 3)),
    F_OBJ("grpc", core_GRPCAction, "Call the gRPC health service.", PB_IN(1, 4)),
    F_INT("initialDelaySeconds", "Seconds after start before the first probe.", PB(2)),
    F_INT("timeoutSeconds", "Seconds before a probe times out. Default 1.", PB(3)),
    F_INT("periodSeconds", "Seconds between probes. Default 10.", PB(4)),
    F_INT("successThreshold", "Consecutive successes to count as healthy. Default 1.", PB(5)),
    F_INT("failureThreshold", "Consecutive failures to count as failed. Default 3.", PB(6)),
    F_I64("terminationGracePeriodSeconds", "Grace period used when the probe kills the pod, "
                                           "overriding the pod's.", PB(7)));

ZK_TYPE(core_ExecAction, N_CORE "ExecAction", "Runs a command in the container.",
    F_ARR_STR("command", "Command line, run without a shell; exit 0 is success.", ATOMIC, PB(1)));

ZK_TYPE(core_HTTPGetAction, N_CORE "HTTPGetAction", "An HTTP GET request.",
    F_STR("path", "Path to request.", PB(1)),
    F_IOS("port", "Port number or name.", REQ, PB(2)),
    F_STR("host", "Host to connect to; defaults to the pod IP.", PB(3)),
    F_STR("scheme", "Scheme to use. Default HTTP.", ENUM("HTTP", "HTTPS"), PB(4)),
    F_ARR("httpHeaders", core_HTTPHeader, "Extra request headers.", ATOMIC, PB(5)));

ZK_TYPE(core_HTTPHeader, N_CORE "HTTPHeader", "An HTTP header.",
    F_STR("name", "Header name.", REQ, PB(1)),
    F_STR("value", "Header value.", REQ, PB(2)));

ZK_TYPE(core_TCPSocketAction, N_CORE "TCPSocketAction", "A TCP connection attempt.",
    F_IOS("port", "Port number or name.", REQ, PB(1)),
    F_STR("host", "Host to connect to; defaults to the pod IP.", PB(2)));

ZK_TYPE(core_GRPCAction, N_CORE "GRPCAction", "A gRPC health check.",
    F_INT("port", "Port number of the gRPC service.", REQ, PB(1)),
    F_STR("service", "Service name sent in the health check request.", PB(2)));

ZK_TYPE(core_Lifecycle, N_CORE "Lifecycle", "Actions the node runs at container start and stop.",
    F_OBJ("postStart", core_LifecycleHandler, "Runs right after the container starts.", PB(1)),
    F_OBJ("preStop", core_LifecycleHandler, "Runs before the container is stopped.", PB(2)));

ZK_TYPE(core_LifecycleHandler, N_CORE "LifecycleHandler", "One lifecycle action.",
    F_OBJ("exec", core_ExecAction, "Run a command.", PB(1)),
    F_OBJ("httpGet", core_HTTPGetAction, "Send an HTTP GET.", PB(2)),
    F_OBJ("tcpSocket", core_TCPSocketAction, "Deprecated; kept for compatibility.", PB(3)),
    F_OBJ("sleep", core_SleepAction, "Sleep for a while.", PB(4)));

ZK_TYPE(core_SleepAction, N_CORE "SleepAction", "Sleeps.",
    F_I64("seconds", "Seconds to sleep.", REQ, PB(1)));

ZK_TYPE(core_SecurityContext, N_CORE "SecurityContext",
    "Security options of one container; they override the pod's.",
    F_OBJ("capabilities", core_Capabilities, "Capabilities to add and drop.", PB(1)),
    F_BOOL("privileged", "Run privileged. Default false.", PB(2)),
    F_OBJ("seLinuxOptions", core_SELinuxOptions, "SELinux context.", PB(3)),
    F_OBJ("windowsOptions", core_WindowsSecurityContextOptions, "Windows-only options.", PB(10)),
    F_I64("runAsUser", "UID to run the entrypoint as.", PB(4)),
    F_I64("runAsGroup", "GID to run the entrypoint as.", PB(8)),
    F_BOOL("runAsNonRoot", "Refuse to start when the user would be root.", PB(5)),
    F_BOOL("readOnlyRootFilesystem", "Mount the root filesystem read-only.", PB(6)),
    F_BOOL("allowPrivilegeEscalation", "Whether a process may gain more privileges than its "
                                       "parent (no_new_privs).", PB(7)),
    F_STR("procMount", "Kind of /proc mount. Default Default.", ENUM("Default", "Unmasked"), PB(9)),
    F_OBJ("seccompProfile", core_SeccompProfile, "Seccomp profile.", PB(11)),
    F_OBJ("appArmorProfile", core_AppArmorProfile, "AppArmor profile.", PB(12)));

ZK_TYPE(core_Capabilities, N_CORE "Capabilities", "POSIX capabilities to add and drop.",
    F_ARR_STR("add", "Capabilities to add.", ATOMIC, PB(1)),
    F_ARR_STR("drop", "Capabilities to drop.", ATOMIC, PB(2)));

ZK_TYPE(core_SELinuxOptions, N_CORE "SELinuxOptions", "An SELinux label.",
    F_STR("user", "SELinux user.", PB(1)),
    F_STR("role", "SELinux role.", PB(2)),
    F_STR("type", "SELinux type.", PB(3)),
    F_STR("level", "SELinux level.", PB(4)));

ZK_TYPE(core_WindowsSecurityContextOptions, N_CORE "WindowsSecurityContextOptions",
    "Windows-specific security options.",
    F_STR("gmsaCredentialSpecName", "Name of the GMSA credential spec to use.", PB(1)),
    F_STR("gmsaCredentialSpec", "Content of the GMSA credential spec.", PB(2)),
    F_STR("runAsUserName", "User name to run the entrypoint as.", PB(3)),
    F_BOOL("hostProcess", "Run as a host process container.", PB(4)));

ZK_TYPE(core_SeccompProfile, N_CORE "SeccompProfile", "A seccomp profile.",
    F_STR("type", "Kind of profile.", REQ, ENUM("Localhost", "RuntimeDefault", "Unconfined"),
          PB(1)),
    F_STR("localhostProfile", "Path of the profile on the node, for Localhost.", PB(2)));

ZK_TYPE(core_AppArmorProfile, N_CORE "AppArmorProfile", "An AppArmor profile.",
    F_STR("type", "Kind of profile.", REQ, ENUM("Localhost", "RuntimeDefault", "Unconfined"),
          PB(1)),
    F_STR("localhostProfile", "Name of a profile loaded on the node, for Localhost.", PB(2)));

ZK_TYPE(core_PodSecurityContext, N_CORE "PodSecurityContext",
    "Pod-wide security attributes; some are defaults for the containers.",
    F_OBJ("seLinuxOptions", core_SELinuxOptions, "SELinux context of all containers.", PB(1)),
    F_OBJ("windowsOptions", core_WindowsSecurityContextOptions, "Windows-only options.", PB(8)),
    F_I64("runAsUser", "UID to run entrypoints as.", PB(2)),
    F_I64("runAsGroup", "GID to run entrypoints as.", PB(6)),
    F_BOOL("runAsNonRoot", "Refuse to start containers whose user would be root.", PB(3)),
    F_ARR_I64("supplementalGroups", "Extra groups of the first process of each container.",
              ATOMIC, PB(4)),
    F_STR("supplementalGroupsPolicy", "How supplemental groups are computed.",
          ENUM("Merge", "Strict"), PB(12)),
    F_I64("fsGroup", "Group that owns supported volumes and is added to every container.", PB(5)),
    F_ARR("sysctls", core_Sysctl, "Namespaced sysctls to set.", ATOMIC, PB(7)),
    F_STR("fsGroupChangePolicy", "When volume ownership is changed to fsGroup.",
          ENUM("Always", "OnRootMismatch"), PB(9)),
    F_OBJ("seccompProfile", core_SeccompProfile, "Seccomp profile of all containers.", PB(10)),
    F_OBJ("appArmorProfile", core_AppArmorProfile, "AppArmor profile of all containers.", PB(11)),
    F_STR("seLinuxChangePolicy", "How the SELinux label is applied to volumes.",
          ENUM("MountOption", "Recursive"), PB(13)));

ZK_TYPE(core_Sysctl, N_CORE "Sysctl", "A kernel parameter.",
    F_STR("name", "Parameter name.", REQ, PB(1)),
    F_STR("value", "Parameter value.", REQ, PB(2)));

ZK_TYPE(core_Affinity, N_CORE "Affinity", "Scheduling constraints of a pod.",
    F_OBJ("nodeAffinity", core_NodeAffinity, "Constraints on nodes.", PB(1)),
    F_OBJ("podAffinity", core_PodAffinity, "Run near pods matching terms.", PB(2)),
    F_OBJ("podAntiAffinity", core_PodAntiAffinity, "Run away from pods matching terms.", PB(3)));

ZK_TYPE(core_NodeAffinity, N_CORE "NodeAffinity", "Node constraints of a pod.",
    F_OBJ("requiredDuringSchedulingIgnoredDuringExecution", core_NodeSelector,
          "Hard requirement at scheduling time.", PB(1)),
    F_ARR("preferredDuringSchedulingIgnoredDuringExecution", core_PreferredSchedulingTerm,
          "Weighted preferences; the node with the highest sum wins.", ATOMIC, PB(2)));

ZK_TYPE(core_NodeSelector, N_CORE "NodeSelector", "Terms ORed together to select nodes.",
    F_ARR("nodeSelectorTerms", core_NodeSelectorTerm, "The terms.", REQ, ATOMIC, PB(1)));

ZK_TYPE(core_NodeSelectorTerm, N_CORE "NodeSelectorTerm",
    "Requirements ANDed together; an empty term matches nothing.",
    F_ARR("matchExpressions", core_NodeSelectorRequirement, "Requirements on node labels.",
          ATOMIC, PB(1)),
    F_ARR("matchFields", core_NodeSelectorRequirement, "Requirements on node fields.",
          ATOMIC, PB(2)));

ZK_TYPE(core_NodeSelectorRequirement, N_CORE "NodeSelectorRequirement",
    "A key, an operator and values, matched against a node.",
    F_STR("key", "Label key or field name.", REQ, PB(1)),
    F_STR("operator", "How the key relates to the values.", REQ,
          ENUM("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"), PB(2)),
    F_ARR_STR("values", "Values; one integer for Gt and Lt, none for Exists and "
                        "DoesNotExist.", ATOMIC, PB(3)));

ZK_TYPE(core_PreferredSchedulingTerm, N_CORE "PreferredSchedulingTerm",
    "A weighted node preference.",
    F_INT("weight", "Weight from 1 to 100.", REQ, PB(1)),
    F_OBJ("preference", core_NodeSelectorTerm, "The preferred nodes.", REQ, PB(2)));

ZK_TYPE(core_PodAffinity, N_CORE "PodAffinity", "Co-location rules with other pods.",
    F_ARR("requiredDuringSchedulingIgnoredDuringExecution", core_PodAffinityTerm,
          "Hard rules at scheduling time, all of which must hold.", ATOMIC, PB(1)),
    F_ARR("preferredDuringSchedulingIgnoredDuringExecution", core_WeightedPodAffinityTerm,
          "Weighted preferences.", ATOMIC, PB(2)));

ZK_TYPE(core_PodAntiAffinity, N_CORE "PodAntiAffinity", "Separation rules from other pods.",
    F_ARR("requiredDuringSchedulingIgnoredDuringExecution", core_PodAffinityTerm,
          "Hard rules at scheduling time, all of which must hold.", ATOMIC, PB(1)),
    F_ARR("preferredDuringSchedulingIgnoredDuringExecution", core_WeightedPodAffinityTerm,
          "Weighted preferences.", ATOMIC, PB(2)));

ZK_TYPE(core_PodAffinityTerm, N_CORE "PodAffinityTerm",
    "A set of pods, in given namespaces, within one topology domain.",
    F_OBJ("labelSelector", meta_LabelSelector, "Selects the pods.", PB(1)),
    F_ARR_STR("namespaces", "Namespaces the pods are looked for in; empty with no "
                            "namespaceSelector means the pod's own.", ATOMIC, PB(2)),
    F_STR("topologyKey", "Node label whose value defines the domain.", REQ, PB(3)),
    F_OBJ("namespaceSelector", meta_LabelSelector, "Selects the namespaces.", PB(4)),
    F_ARR_STR("matchLabelKeys", "Label keys whose values from the incoming pod are added to "
                                "the selector (In).", ATOMIC, PB(5)),
    F_ARR_STR("mismatchLabelKeys", "Label keys whose values from the incoming pod are added "
                                   "to the selector (NotIn).", ATOMIC, PB(6)));

ZK_TYPE(core_WeightedPodAffinityTerm, N_CORE "WeightedPodAffinityTerm",
    "A pod affinity term with a weight.",
    F_INT("weight", "Weight from 1 to 100.", REQ, PB(1)),
    F_OBJ("podAffinityTerm", core_PodAffinityTerm, "The term.", REQ, PB(2)));

ZK_TYPE(core_Toleration, N_CORE "Toleration", "Lets a pod tolerate matching taints.",
    F_STR("key", "Taint key; empty with Exists matches all keys.", PB(1)),
    F_STR("operator", "How the key relates to the value. Default Equal.",
          ENUM("Equal", "Exists"), PB(2)),
    F_STR("value", "Taint value for Equal.", PB(3)),
    F_STR("effect", "Taint effect to match; empty matches all.",
          ENUM("NoExecute", "NoSchedule", "PreferNoSchedule"), PB(4)),
    F_I64("tolerationSeconds", "For NoExecute: seconds the pod stays bound after the taint "
                               "appears; unset means forever.", PB(5)));

ZK_TYPE(core_HostAlias, N_CORE "HostAlias", "An /etc/hosts entry.",
    F_STR("ip", "IP address.", REQ, PB(1)),
    F_ARR_STR("hostnames", "Hostnames for the address.", ATOMIC, PB(2)));

ZK_TYPE(core_PodDNSConfig, N_CORE "PodDNSConfig", "DNS parameters of a pod.",
    F_ARR_STR("nameservers", "DNS server IPs.", ATOMIC, PB(1)),
    F_ARR_STR("searches", "Search domains.", ATOMIC, PB(2)),
    F_ARR("options", core_PodDNSConfigOption, "Resolver options.", ATOMIC, PB(3)));

ZK_TYPE(core_PodDNSConfigOption, N_CORE "PodDNSConfigOption", "One resolver option.",
    F_STR("name", "Option name.", PB(1)),
    F_STR("value", "Option value.", PB(2)));

ZK_TYPE(core_PodReadinessGate, N_CORE "PodReadinessGate", "An extra readiness condition.",
    F_STR("conditionType", "Type of a pod condition that must be True.", REQ, PB(1)));

ZK_TYPE(core_TopologySpreadConstraint, N_CORE "TopologySpreadConstraint",
    "How matching pods are spread over a topology.",
    F_INT("maxSkew", "Largest allowed difference of matching pods between domains.", REQ, PB(1)),
    F_STR("topologyKey", "Node label whose values are the domains.", REQ, PB(2)),
    F_STR("whenUnsatisfiable", "What to do when the constraint cannot be met.", REQ,
          ENUM("DoNotSchedule", "ScheduleAnyway"), PB(3)),
    F_OBJ("labelSelector", meta_LabelSelector, "Selects the pods that are counted.", PB(4)),
    F_INT("minDomains", "Minimum number of eligible domains.", PB(5)),
    F_STR("nodeAffinityPolicy", "Whether node affinity limits the domains. Default Honor.",
          ENUM("Honor", "Ignore"), PB(6)),
    F_STR("nodeTaintsPolicy", "Whether node taints limit the domains. Default Ignore.",
          ENUM("Honor", "Ignore"), PB(7)),
    F_ARR_STR("matchLabelKeys", "Label keys whose values from the incoming pod narrow the "
                                "selector.", ATOMIC, PB(8)));

ZK_TYPE(core_PodOS, N_CORE "PodOS", "The operating system of a pod.",
    F_STR("name", "linux or windows.", REQ, PB(1)));

ZK_TYPE(core_PodSchedulingGate, N_CORE "PodSchedulingGate", "A scheduling gate.",
    F_STR("name", "Name of the gate.", REQ, PB(1)));

ZK_TYPE(core_PodResourceClaim, N_CORE "PodResourceClaim",
    "A ResourceClaim the pod uses, by name or from a template.",
    F_STR("name", "Name of the claim within the pod.", REQ, PB(1)),
    F_STR("resourceClaimName", "An existing ResourceClaim in the pod's namespace.", PB(3)),
    F_STR("resourceClaimTemplateName", "A template from which a claim is made for the "
                                       "pod.", PB(4)));

ZK_TYPE(core_LocalObjectReference, N_CORE "LocalObjectReference",
    "A reference by name to an object in the same namespace.",
    F_STR("name", "Name of the referent.", PB(1)));

/* ---- pod status ----------------------------------------------------- */

ZK_TYPE(core_PodStatus, N_CORE "PodStatus", "Observed state of a pod.",
    F_STR("phase", "Coarse summary of where the pod is in its lifecycle.",
          ENUM("Failed", "Pending", "Running", "Succeeded", "Unknown"), PB(1)),
    F_ARR("conditions", core_PodCondition, "Current service state of the pod.",
          MERGE("type"), PB(2)),
    F_STR("message", "Human-readable detail about the pod's state.", PB(3)),
    F_STR("reason", "Short CamelCase reason for the state, such as Evicted.", PB(4)),
    F_STR("nominatedNodeName", "Node the pod may run on after preemption.", PB(11)),
    F_STR("hostIP", "Primary IP of the node the pod runs on.", PB(5)),
    F_ARR("hostIPs", core_HostIP, "IPs of the node the pod runs on.", MERGE("ip"), PB(16)),
    F_STR("podIP", "Primary IP of the pod.", PB(6)),
    F_ARR("podIPs", core_PodIP, "IPs of the pod, one per address family.", MERGE("ip"), PB(12)),
    F_TIME("startTime", "When the node acknowledged the pod.", PB(7)),
    F_ARR("initContainerStatuses", core_ContainerStatus, "Statuses of the init containers.",
          ATOMIC, PB(10)),
    F_ARR("containerStatuses", core_ContainerStatus, "Statuses of the app containers.",
          ATOMIC, PB(8)),
    F_STR("qosClass", "Quality of service class from the resource requests and limits.",
          ENUM("BestEffort", "Burstable", "Guaranteed"), PB(9)),
    F_ARR("ephemeralContainerStatuses", core_ContainerStatus, "Statuses of the ephemeral "
          "containers.", ATOMIC, PB(13)),
    F_STR("resize", "State of a requested in-place resize.",
          ENUM("Deferred", "InProgress", "Infeasible", "Proposed"), PB(14)),
    F_ARR("resourceClaimStatuses", core_PodResourceClaimStatus, "Names of the ResourceClaims "
          "made for the pod.", MERGE_RK("name"), PB(15)));

ZK_TYPE(core_PodCondition, N_CORE "PodCondition", "One condition of a pod.",
    F_STR("type", "Condition type, such as Ready or PodScheduled.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastProbeTime", "When the condition was last probed.", PB(3)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(4)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(5)),
    F_STR("message", "Human-readable detail.", PB(6)));

ZK_TYPE(core_HostIP, N_CORE "HostIP", "An IP address of the node.",
    F_STR("ip", "The address.", REQ, PB(1)));

ZK_TYPE(core_PodIP, N_CORE "PodIP", "An IP address of the pod.",
    F_STR("ip", "The address.", REQ, PB(1)));

ZK_TYPE(core_ContainerStatus, N_CORE "ContainerStatus", "Observed state of one container.",
    F_STR("name", "Name of the container.", REQ, PB(1)),
    F_OBJ("state", core_ContainerState, "Current state.", PB(2)),
    F_OBJ("lastState", core_ContainerState, "State of the previous run, usually its "
                                            "termination.", PB(3)),
    F_BOOL("ready", "Whether the container passes its readiness probe.", REQ, PB(4)),
    F_INT("restartCount", "Times the container has been restarted.", REQ, PB(5)),
    F_STR("image", "Image the container runs.", REQ, PB(6)),
    F_STR("imageID", "Resolved ID of the image.", REQ, PB(7)),
    F_STR("containerID", "ID of the container, as <type>://<id>.", PB(8)),
    F_BOOL("started", "Whether the container has passed its startup probe.", PB(9)),
    F_MAP_QTY("allocatedResources", "Resources the node allocated to the container.", PB(10)),
    F_OBJ("resources", core_ResourceRequirements, "Resources actually configured for the "
                                                  "running container.", PB(11)),
    F_ARR("volumeMounts", core_VolumeMountStatus, "Status of the volume mounts.",
          MERGE("mountPath"), PB(12)),
    F_OBJ("user", core_ContainerUser, "Identity the first process runs with.", PB(13)),
    F_ARR("allocatedResourcesStatus", core_ResourceStatus, "Health of allocated devices.",
          MERGE("name"), PB(14)));

ZK_TYPE(core_ContainerState, N_CORE "ContainerState",
    "State of a container; exactly one member is set.",
    F_OBJ("waiting", core_ContainerStateWaiting, "The container is waiting to start.", PB(1)),
    F_OBJ("running", core_ContainerStateRunning, "The container is running.", PB(2)),
    F_OBJ("terminated", core_ContainerStateTerminated, "The container has exited.", PB(3)));

ZK_TYPE(core_ContainerStateWaiting, N_CORE "ContainerStateWaiting", "A waiting container.",
    F_STR("reason", "Why it waits, such as ImagePullBackOff.", PB(1)),
    F_STR("message", "Detail about the wait.", PB(2)));

ZK_TYPE(core_ContainerStateRunning, N_CORE "ContainerStateRunning", "A running container.",
    F_TIME("startedAt", "When the container last started.", PB(1)));

ZK_TYPE(core_ContainerStateTerminated, N_CORE "ContainerStateTerminated",
    "An exited container.",
    F_INT("exitCode", "Exit status of the last run.", REQ, PB(1)),
    F_INT("signal", "Signal that ended it, if any.", PB(2)),
    F_STR("reason", "Why it ended, such as Completed or OOMKilled.", PB(3)),
    F_STR("message", "Detail about the exit.", PB(4)),
    F_TIME("startedAt", "When the run started.", PB(5)),
    F_TIME("finishedAt", "When the run ended.", PB(6)),
    F_STR("containerID", "ID of the container, as <type>://<id>.", PB(7)));

ZK_TYPE(core_VolumeMountStatus, N_CORE "VolumeMountStatus", "Status of one volume mount.",
    F_STR("name", "Name of the volume mount.", REQ, PB(1)),
    F_STR("mountPath", "Path of the mount.", REQ, PB(2)),
    F_BOOL("readOnly", "Whether it is read-only.", PB(3)),
    F_STR("recursiveReadOnly", "Whether it is read-only recursively.",
          ENUM("Disabled", "Enabled", "IfPossible"), PB(4)));

ZK_TYPE(core_ContainerUser, N_CORE "ContainerUser", "The identity a container runs with.",
    F_OBJ("linux", core_LinuxContainerUser, "Linux identity.", PB(1)));

ZK_TYPE(core_LinuxContainerUser, N_CORE "LinuxContainerUser", "A Linux process identity.",
    F_I64("uid", "User ID.", REQ, PB(1)),
    F_I64("gid", "Primary group ID.", REQ, PB(2)),
    F_ARR_I64("supplementalGroups", "Supplemental group IDs.", ATOMIC, PB(3)));

ZK_TYPE(core_ResourceStatus, N_CORE "ResourceStatus", "Health of the devices of one resource.",
    F_STR("name", "Name of the resource.", REQ, PB(1)),
    F_ARR("resources", core_ResourceHealth, "Health of each device.",
          .list_type = "map", .list_map_keys = ZK__KEYS("resourceID"), PB(2)));

ZK_TYPE(core_ResourceHealth, N_CORE "ResourceHealth", "Health of one device.",
    F_STR("resourceID", "Unique ID of the device.", REQ, PB(1)),
    F_STR("health", "Healthy, Unhealthy or Unknown.", PB(2)));

ZK_TYPE(core_PodResourceClaimStatus, N_CORE "PodResourceClaimStatus",
    "The ResourceClaim made for one pod resource claim.",
    F_STR("name", "Name of the entry in the pod's resourceClaims.", REQ, PB(1)),
    F_STR("resourceClaimName", "Name of the ResourceClaim made for it.", PB(2)));
