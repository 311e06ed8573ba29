/* zke kube: the list of every declared schema type, one X(id) per type, grouped by
 * the file that defines it. Add a line here when adding a ZK_TYPE/ZK_KIND row. */
#ifndef ZK_KUBE_SCHEMA_LIST_H
#define ZK_KUBE_SCHEMA_LIST_H

#define ZK_KUBE_SCHEMA_TYPES(X) \
    /* schema_meta.c */ \
    X(meta_ObjectMeta) X(meta_ListMeta) X(meta_LabelSelector) \
    X(meta_LabelSelectorRequirement) X(meta_FieldSelectorRequirement) X(meta_OwnerReference) \
    X(meta_ManagedFieldsEntry) X(meta_Condition) X(meta_Status) X(meta_StatusDetails) \
    X(meta_StatusCause) X(meta_Preconditions) X(meta_DeleteOptions) X(meta_WatchEvent) \
    X(meta_APIResourceList) X(meta_APIResource) \
    /* schema_core_pod.c */ \
    X(core_Pod) X(core_PodTemplateSpec) X(core_PodSpec) X(core_Container) \
    X(core_EphemeralContainer) X(core_ContainerPort) X(core_EnvVar) X(core_EnvVarSource) \
    X(core_ObjectFieldSelector) X(core_ResourceFieldSelector) X(core_ConfigMapKeySelector) \
    X(core_SecretKeySelector) X(core_EnvFromSource) X(core_ConfigMapEnvSource) \
    X(core_SecretEnvSource) X(core_ResourceRequirements) X(core_ResourceClaim) \
    X(core_ContainerResizePolicy) X(core_VolumeMount) X(core_VolumeDevice) X(core_Probe) \
    X(core_ExecAction) X(core_HTTPGetAction) X(core_HTTPHeader) X(core_TCPSocketAction) \
    X(core_GRPCAction) X(core_Lifecycle) X(core_LifecycleHandler) X(core_SleepAction) \
    X(core_SecurityContext) X(core_Capabilities) X(core_SELinuxOptions) \
    X(core_WindowsSecurityContextOptions) X(core_SeccompProfile) X(core_AppArmorProfile) \
    X(core_PodSecurityContext) X(core_Sysctl) X(core_Affinity) X(core_NodeAffinity) \
    X(core_NodeSelector) X(core_NodeSelectorTerm) X(core_NodeSelectorRequirement) \
    X(core_PreferredSchedulingTerm) X(core_PodAffinity) X(core_PodAntiAffinity) \
    X(core_PodAffinityTerm) X(core_WeightedPodAffinityTerm) X(core_Toleration) \
    X(core_HostAlias) X(core_PodDNSConfig) X(core_PodDNSConfigOption) \
    X(core_PodReadinessGate) X(core_TopologySpreadConstraint) X(core_PodOS) \
    X(core_PodSchedulingGate) X(core_PodResourceClaim) X(core_LocalObjectReference) \
    X(core_PodStatus) X(core_PodCondition) X(core_HostIP) X(core_PodIP) \
    X(core_ContainerStatus) X(core_ContainerState) X(core_ContainerStateWaiting) \
    X(core_ContainerStateRunning) X(core_ContainerStateTerminated) X(core_VolumeMountStatus) \
    X(core_ContainerUser) X(core_LinuxContainerUser) X(core_ResourceStatus) \
    X(core_ResourceHealth) X(core_PodResourceClaimStatus) \
    /* schema_core_volume.c */ \
    X(core_Volume) X(core_HostPathVolumeSource) X(core_EmptyDirVolumeSource) \
    X(core_KeyToPath) X(core_SecretVolumeSource) X(core_ConfigMapVolumeSource) \
    X(core_NFSVolumeSource) X(core_PersistentVolumeClaimVolumeSource) \
    X(core_DownwardAPIVolumeSource) X(core_DownwardAPIVolumeFile) \
    X(core_ProjectedVolumeSource) X(core_VolumeProjection) X(core_SecretProjection) \
    X(core_ConfigMapProjection) X(core_DownwardAPIProjection) \
    X(core_ServiceAccountTokenProjection) X(core_ClusterTrustBundleProjection) \
    X(core_CSIVolumeSource) X(core_EphemeralVolumeSource) \
    X(core_PersistentVolumeClaimTemplate) X(core_ImageVolumeSource) \
    X(core_ISCSIVolumeSource) X(core_FCVolumeSource) X(core_GCEPersistentDiskVolumeSource) \
    X(core_AWSElasticBlockStoreVolumeSource) X(core_GitRepoVolumeSource) \
    X(core_GlusterfsVolumeSource) X(core_RBDVolumeSource) X(core_FlexVolumeSource) \
    X(core_CinderVolumeSource) X(core_CephFSVolumeSource) X(core_FlockerVolumeSource) \
    X(core_AzureFileVolumeSource) X(core_VsphereVirtualDiskVolumeSource) \
    X(core_QuobyteVolumeSource) X(core_AzureDiskVolumeSource) \
    X(core_PhotonPersistentDiskVolumeSource) X(core_PortworxVolumeSource) \
    X(core_ScaleIOVolumeSource) X(core_StorageOSVolumeSource) X(core_PersistentVolumeClaim) \
    X(core_PersistentVolumeClaimSpec) X(core_VolumeResourceRequirements) \
    X(core_TypedLocalObjectReference) X(core_TypedObjectReference) \
    X(core_PersistentVolumeClaimStatus) X(core_PersistentVolumeClaimCondition) \
    X(core_ModifyVolumeStatus) \
    /* schema_core.c */ \
    X(core_ObjectReference) X(core_Namespace) X(core_NamespaceSpec) X(core_NamespaceStatus) \
    X(core_NamespaceCondition) X(core_Node) X(core_NodeSpec) X(core_Taint) \
    X(core_NodeConfigSource) X(core_ConfigMapNodeConfigSource) X(core_NodeStatus) \
    X(core_NodeCondition) X(core_NodeAddress) X(core_NodeDaemonEndpoints) \
    X(core_DaemonEndpoint) X(core_NodeSystemInfo) X(core_ContainerImage) \
    X(core_AttachedVolume) X(core_NodeConfigStatus) X(core_NodeRuntimeHandler) \
    X(core_NodeRuntimeHandlerFeatures) X(core_NodeFeatures) X(core_Service) \
    X(core_ServiceSpec) X(core_ServicePort) X(core_SessionAffinityConfig) \
    X(core_ClientIPConfig) X(core_ServiceStatus) X(core_LoadBalancerStatus) \
    X(core_LoadBalancerIngress) X(core_PortStatus) X(core_Endpoints) X(core_EndpointSubset) \
    X(core_EndpointAddress) X(core_EndpointPort) X(core_ConfigMap) X(core_Secret) \
    X(core_ServiceAccount) X(core_Event) X(core_EventSource) X(core_EventSeries) \
    X(core_LimitRange) X(core_LimitRangeSpec) X(core_LimitRangeItem) X(core_ResourceQuota) \
    X(core_ResourceQuotaSpec) X(core_ScopeSelector) \
    X(core_ScopedResourceSelectorRequirement) X(core_ResourceQuotaStatus) \
    X(core_ReplicationController) X(core_ReplicationControllerSpec) \
    X(core_ReplicationControllerStatus) X(core_ReplicationControllerCondition) \
    X(core_Binding) X(authn_TokenRequest) X(authn_TokenRequestSpec) \
    X(authn_BoundObjectReference) X(authn_TokenRequestStatus) X(as1_Scale) X(as1_ScaleSpec) \
    X(as1_ScaleStatus) \
    /* schema_apps.c */ \
    X(apps_Deployment) X(apps_DeploymentSpec) X(apps_DeploymentStrategy) \
    X(apps_RollingUpdateDeployment) X(apps_DeploymentStatus) X(apps_DeploymentCondition) \
    X(apps_ReplicaSet) X(apps_ReplicaSetSpec) X(apps_ReplicaSetStatus) \
    X(apps_ReplicaSetCondition) X(apps_DaemonSet) X(apps_DaemonSetSpec) \
    X(apps_DaemonSetUpdateStrategy) X(apps_RollingUpdateDaemonSet) X(apps_DaemonSetStatus) \
    X(apps_DaemonSetCondition) X(apps_StatefulSet) X(apps_StatefulSetSpec) \
    X(apps_StatefulSetUpdateStrategy) X(apps_RollingUpdateStatefulSetStrategy) \
    X(apps_StatefulSetPersistentVolumeClaimRetentionPolicy) X(apps_StatefulSetOrdinals) \
    X(apps_StatefulSetStatus) X(apps_StatefulSetCondition) X(apps_ControllerRevision) \
    /* schema_batch.c */ \
    X(batch_Job) X(batch_JobSpec) X(batch_PodFailurePolicy) X(batch_PodFailurePolicyRule) \
    X(batch_PodFailurePolicyOnExitCodesRequirement) \
    X(batch_PodFailurePolicyOnPodConditionsPattern) X(batch_SuccessPolicy) \
    X(batch_SuccessPolicyRule) X(batch_JobStatus) X(batch_JobCondition) \
    X(batch_UncountedTerminatedPods) X(batch_CronJob) X(batch_CronJobSpec) \
    X(batch_JobTemplateSpec) X(batch_CronJobStatus) X(as1_HorizontalPodAutoscaler) \
    X(as1_CrossVersionObjectReference) X(as1_HorizontalPodAutoscalerSpec) \
    X(as1_HorizontalPodAutoscalerStatus) X(as2_HorizontalPodAutoscaler) \
    X(as2_CrossVersionObjectReference) X(as2_HorizontalPodAutoscalerSpec) X(as2_MetricSpec) \
    X(as2_ObjectMetricSource) X(as2_PodsMetricSource) X(as2_ResourceMetricSource) \
    X(as2_ContainerResourceMetricSource) X(as2_ExternalMetricSource) X(as2_MetricIdentifier) \
    X(as2_MetricTarget) X(as2_HorizontalPodAutoscalerBehavior) X(as2_HPAScalingRules) \
    X(as2_HPAScalingPolicy) X(as2_HorizontalPodAutoscalerStatus) X(as2_MetricStatus) \
    X(as2_ObjectMetricStatus) X(as2_PodsMetricStatus) X(as2_ResourceMetricStatus) \
    X(as2_ContainerResourceMetricStatus) X(as2_ExternalMetricStatus) \
    X(as2_MetricValueStatus) X(as2_HorizontalPodAutoscalerCondition) \
    /* schema_other.c */ \
    X(coord_Lease) X(coord_LeaseSpec) X(events_Event) X(events_EventSeries) \
    X(disc_EndpointSlice) X(disc_Endpoint) X(disc_EndpointConditions) X(disc_EndpointHints) \
    X(disc_ForZone) X(disc_EndpointPort) X(net_Ingress) X(net_IngressSpec) \
    X(net_IngressBackend) X(net_IngressServiceBackend) X(net_ServiceBackendPort) \
    X(net_IngressTLS) X(net_IngressRule) X(net_HTTPIngressRuleValue) X(net_HTTPIngressPath) \
    X(net_IngressStatus) X(net_IngressLoadBalancerStatus) X(net_IngressLoadBalancerIngress) \
    X(net_IngressPortStatus) X(net_IngressClass) X(net_IngressClassSpec) \
    X(net_IngressClassParametersReference) X(net_NetworkPolicy) X(net_NetworkPolicySpec) \
    X(net_NetworkPolicyIngressRule) X(net_NetworkPolicyEgressRule) X(net_NetworkPolicyPort) \
    X(net_NetworkPolicyPeer) X(net_IPBlock) X(policy_PodDisruptionBudget) \
    X(policy_PodDisruptionBudgetSpec) X(policy_PodDisruptionBudgetStatus) X(policy_Eviction) \
    X(rbac_PolicyRule) X(rbac_Role) X(rbac_ClusterRole) X(rbac_AggregationRule) \
    X(rbac_Subject) X(rbac_RoleRef) X(rbac_RoleBinding) X(rbac_ClusterRoleBinding) \
    /* schema_ext.c */ \
    X(authz_ResourceAttributes) X(authz_FieldSelectorAttributes) \
    X(authz_LabelSelectorAttributes) X(authz_NonResourceAttributes) \
    X(authz_SubjectAccessReviewStatus) X(authz_SubjectAccessReview) \
    X(authz_SubjectAccessReviewSpec) X(authz_SelfSubjectAccessReview) \
    X(authz_SelfSubjectAccessReviewSpec) X(authz_SelfSubjectRulesReview) \
    X(authz_SelfSubjectRulesReviewSpec) X(authz_SubjectRulesReviewStatus) \
    X(authz_ResourceRule) X(authz_NonResourceRule) X(admreg_ServiceReference) \
    X(admreg_WebhookClientConfig) X(admreg_RuleWithOperations) X(admreg_MatchCondition) \
    X(admreg_MutatingWebhook) X(admreg_ValidatingWebhook) \
    X(admreg_MutatingWebhookConfiguration) X(admreg_ValidatingWebhookConfiguration) \
    X(apireg_APIService) X(apireg_ServiceReference) X(apireg_APIServiceSpec) \
    X(apireg_APIServiceStatus) X(apireg_APIServiceCondition) \
    X(apiext_CustomResourceDefinition) X(apiext_CustomResourceDefinitionSpec) \
    X(apiext_CustomResourceDefinitionNames) X(apiext_CustomResourceDefinitionVersion) \
    X(apiext_CustomResourceValidation) X(apiext_CustomResourceSubresources) \
    X(apiext_CustomResourceSubresourceStatus) X(apiext_CustomResourceSubresourceScale) \
    X(apiext_CustomResourceColumnDefinition) X(apiext_SelectableField) \
    X(apiext_CustomResourceConversion) X(apiext_WebhookConversion) \
    X(apiext_WebhookClientConfig) X(apiext_ServiceReference) X(apiext_ExternalDocumentation) \
    X(apiext_ValidationRule) X(apiext_JSONSchemaProps) \
    X(apiext_CustomResourceDefinitionStatus) X(apiext_CustomResourceDefinitionCondition)

#endif
