/* Field schemas: batch/v1 (Job, CronJob) and autoscaling v1/v2 HorizontalPodAutoscaler. */
#include "kube/schema_decl.h"

/* ---- Job ------------------------------------------------------------ */

ZK_KIND(batch_Job, N_BATCH "Job", "batch", "v1", "Job",
    "Runs pods until a number of them complete successfully.",
    F_TOP,
    F_OBJ("spec", batch_JobSpec, "Desired behaviour of the job.", PB(2)),
    F_OBJ("status", batch_JobStatus, "Most recently observed state.", PB(3)));

ZK_TYPE(batch_JobSpec, N_BATCH "JobSpec", "Desired behaviour of a job.",
    F_INT("parallelism", "Most pods running at once. Default 1.", PB(1)),
    F_INT("completions", "Successful pods needed; unset means any one success finishes the "
                         "job.", PB(2)),
    F_I64("activeDeadlineSeconds", "Seconds the job may be active before it is failed.", PB(3)),
    F_OBJ("podFailurePolicy", batch_PodFailurePolicy, "How pod failures count.", PB(11)),
    F_OBJ("successPolicy", batch_SuccessPolicy, "When an indexed job counts as "
                                                "succeeded.", PB(16)),
    F_INT("backoffLimit", "Retries before the job is failed. Default 6.", PB(7)),
    F_INT("backoffLimitPerIndex", "Retries per index, for indexed jobs.", PB(12)),
    F_INT("maxFailedIndexes", "Failed indexes before the job is failed.", PB(13)),
    F_OBJ("selector", meta_LabelSelector, "Selects the pods; generated unless "
                                          "manualSelector is set.", PB(4)),
    F_BOOL("manualSelector", "Use the given selector instead of a generated one.", PB(5)),
    F_OBJ("template", core_PodTemplateSpec, "Template of the pods.", REQ, PB(6)),
    F_INT("ttlSecondsAfterFinished", "Seconds after finishing before the job is deleted.", PB(8)),
    F_STR("completionMode", "How completions are tracked. Default NonIndexed.",
          ENUM("Indexed", "NonIndexed"), PB(9)),
    F_BOOL("suspend", "Whether the job's pods should not run.", PB(10)),
    F_STR("podReplacementPolicy", "When replacement pods are created.",
          ENUM("Failed", "TerminatingOrFailed"), PB(14)),
    F_STR("managedBy", "Controller that manages the job, when not the built-in one.", PB(15)));

ZK_TYPE(batch_PodFailurePolicy, N_BATCH "PodFailurePolicy", "How pod failures are handled.",
    F_ARR("rules", batch_PodFailurePolicyRule, "Rules, checked in order.", REQ, ATOMIC, PB(1)));

ZK_TYPE(batch_PodFailurePolicyRule, N_BATCH "PodFailurePolicyRule",
    "An action taken for failures that match.",
    F_STR("action", "What to do on a match.", REQ,
          ENUM("Count", "FailIndex", "FailJob", "Ignore"), PB(1)),
    F_OBJ("onExitCodes", batch_PodFailurePolicyOnExitCodesRequirement, "Match on exit "
                                                                       "codes.", PB(2)),
    F_ARR("onPodConditions", batch_PodFailurePolicyOnPodConditionsPattern, "Match on pod "
          "conditions.", ATOMIC, PB(3)));

ZK_TYPE(batch_PodFailurePolicyOnExitCodesRequirement,
    N_BATCH "PodFailurePolicyOnExitCodesRequirement", "Matches container exit codes.",
    F_STR("containerName", "Container whose exit code is checked; all when empty.", PB(1)),
    F_STR("operator", "How the exit code relates to the values.", REQ, ENUM("In", "NotIn"),
          PB(2)),
    F_ARR_INT("values", "Exit codes.", REQ, SET, PB(3)));

ZK_TYPE(batch_PodFailurePolicyOnPodConditionsPattern,
    N_BATCH "PodFailurePolicyOnPodConditionsPattern", "Matches a pod condition.",
    F_STR("type", "Condition type.", REQ, PB(1)),
    F_STR("status", "Condition status. Default True.", REQ, E_COND, PB(2)));

ZK_TYPE(batch_SuccessPolicy, N_BATCH "SuccessPolicy", "When an indexed job succeeds early.",
    F_ARR("rules", batch_SuccessPolicyRule, "Rules; any match succeeds the job.", REQ,
          ATOMIC, PB(1)));

ZK_TYPE(batch_SuccessPolicyRule, N_BATCH "SuccessPolicyRule", "A success rule.",
    F_STR("succeededIndexes", "Indexes that must succeed, such as 1,3-5.", PB(1)),
    F_INT("succeededCount", "How many of them must succeed.", PB(2)));

ZK_TYPE(batch_JobStatus, N_BATCH "JobStatus", "Observed state of a job.",
    F_ARR("conditions", batch_JobCondition, "Current conditions, such as Complete and "
          "Failed.", MERGE_ATOMIC("type"), PB(1)),
    F_TIME("startTime", "When the controller started the job.", PB(2)),
    F_TIME("completionTime", "When the job completed.", PB(3)),
    F_INT("active", "Running pods.", PB(4)),
    F_INT("succeeded", "Succeeded pods.", PB(5)),
    F_INT("failed", "Failed pods.", PB(6)),
    F_INT("terminating", "Pods being terminated.", PB(11)),
    F_STR("completedIndexes", "Completed indexes, as a range list.", PB(7)),
    F_STR("failedIndexes", "Failed indexes, as a range list.", PB(10)),
    F_OBJ("uncountedTerminatedPods", batch_UncountedTerminatedPods, "Finished pods not yet "
                                                                    "counted.", PB(8)),
    F_INT("ready", "Ready pods.", PB(9)));

ZK_TYPE(batch_JobCondition, N_BATCH "JobCondition", "One condition of a job.",
    F_STR("type", "Condition type.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastProbeTime", "When the condition was last checked.", PB(3)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(4)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(5)),
    F_STR("message", "Human-readable detail.", PB(6)));

ZK_TYPE(batch_UncountedTerminatedPods, N_BATCH "UncountedTerminatedPods",
    "UIDs of finished pods not yet counted in the status.",
    F_ARR_STR("succeeded", "UIDs of succeeded pods.", SET, PB(1)),
    F_ARR_STR("failed", "UIDs of failed pods.", SET, PB(2)));

/* ---- CronJob -------------------------------------------------------- */

ZK_KIND(batch_CronJob, N_BATCH "CronJob", "batch", "v1", "CronJob",
    "Creates jobs on a schedule.",
    F_TOP,
    F_OBJ("spec", batch_CronJobSpec, "Desired behaviour.", PB(2)),
    F_OBJ("status", batch_CronJobStatus, "Most recently observed state.", PB(3)));

ZK_TYPE(batch_CronJobSpec, N_BATCH "CronJobSpec", "Desired behaviour of a cron job.",
    F_STR("schedule", "Schedule in cron format.", REQ, PB(1)),
    F_STR("timeZone", "Time zone of the schedule; the controller's when unset.", PB(8)),
    F_I64("startingDeadlineSeconds", "Seconds after a missed time that the job may still "
                                     "start.", PB(2)),
    F_STR("concurrencyPolicy", "What to do when a job is still running. Default Allow.",
          ENUM("Allow", "Forbid", "Replace"), PB(3)),
    F_BOOL("suspend", "Suspend further runs.", PB(4)),
    F_OBJ("jobTemplate", batch_JobTemplateSpec, "The jobs made.", REQ, PB(5)),
    F_INT("successfulJobsHistoryLimit", "Successful jobs kept. Default 3.", PB(6)),
    F_INT("failedJobsHistoryLimit", "Failed jobs kept. Default 1.", PB(7)));

ZK_TYPE(batch_JobTemplateSpec, N_BATCH "JobTemplateSpec", "Template of a job.",
    F_METADATA,
    F_OBJ("spec", batch_JobSpec, "Spec of the jobs.", PB(2)));

ZK_TYPE(batch_CronJobStatus, N_BATCH "CronJobStatus", "Observed state of a cron job.",
    F_ARR("active", core_ObjectReference, "Running jobs.", ATOMIC, PB(1)),
    F_TIME("lastScheduleTime", "When a job was last scheduled.", PB(4)),
    F_TIME("lastSuccessfulTime", "When a job last succeeded.", PB(5)));

/* ---- autoscaling/v1 HorizontalPodAutoscaler ------------------------- */

ZK_KIND(as1_HorizontalPodAutoscaler, N_AS1 "HorizontalPodAutoscaler", "autoscaling", "v1",
    "HorizontalPodAutoscaler", "Scales a resource by its pods' CPU use.",
    F_TOP,
    F_OBJ("spec", as1_HorizontalPodAutoscalerSpec, "Desired behaviour.", PB(2)),
    F_OBJ("status", as1_HorizontalPodAutoscalerStatus, "Current state.", PB(3)));

ZK_TYPE(as1_CrossVersionObjectReference, N_AS1 "CrossVersionObjectReference",
    "A reference to the scaled resource.",
    F_STR("kind", "Kind of the referent.", REQ, PB(1)),
    F_STR("name", "Name of the referent.", REQ, PB(2)),
    F_STR("apiVersion", "API version of the referent.", PB(3)));

ZK_TYPE(as1_HorizontalPodAutoscalerSpec, N_AS1 "HorizontalPodAutoscalerSpec",
    "Desired behaviour of an autoscaler.",
    F_OBJ("scaleTargetRef", as1_CrossVersionObjectReference, "The resource scaled.", REQ, PB(1)),
    F_INT("minReplicas", "Lower bound of replicas. Default 1.", PB(2)),
    F_INT("maxReplicas", "Upper bound of replicas.", REQ, PB(3)),
    F_INT("targetCPUUtilizationPercentage", "Target average CPU use, percent of "
                                            "requests.", PB(4)));

ZK_TYPE(as1_HorizontalPodAutoscalerStatus, N_AS1 "HorizontalPodAutoscalerStatus",
    "Current state of an autoscaler.",
    F_I64("observedGeneration", "Generation last acted on.", PB(1)),
    F_TIME("lastScaleTime", "When the number of pods last changed.", PB(2)),
    F_INT("currentReplicas", "Current number of pods.", REQ, PB(3)),
    F_INT("desiredReplicas", "Desired number of pods.", REQ, PB(4)),
    F_INT("currentCPUUtilizationPercentage", "Current average CPU use, percent of "
                                             "requests.", PB(5)));

/* ---- autoscaling/v2 HorizontalPodAutoscaler ------------------------- */

ZK_KIND(as2_HorizontalPodAutoscaler, N_AS2 "HorizontalPodAutoscaler", "autoscaling", "v2",
    "HorizontalPodAutoscaler", "Scales a resource by the metrics given.",
    F_TOP,
    F_OBJ("spec", as2_HorizontalPodAutoscalerSpec, "Desired behaviour.", PB(2)),
    F_OBJ("status", as2_HorizontalPodAutoscalerStatus, "Current state.", PB(3)));

ZK_TYPE(as2_CrossVersionObjectReference, N_AS2 "CrossVersionObjectReference",
    "A reference to an object.",
    F_STR("kind", "Kind of the referent.", REQ, PB(1)),
    F_STR("name", "Name of the referent.", REQ, PB(2)),
    F_STR("apiVersion", "API version of the referent.", PB(3)));

ZK_TYPE(as2_HorizontalPodAutoscalerSpec, N_AS2 "HorizontalPodAutoscalerSpec",
    "Desired behaviour of an autoscaler.",
    F_OBJ("scaleTargetRef", as2_CrossVersionObjectReference, "The resource scaled.", REQ, PB(1)),
    F_INT("minReplicas", "Lower bound of replicas. Default 1.", PB(2)),
    F_INT("maxReplicas", "Upper bound of replicas.", REQ, PB(3)),
    F_ARR("metrics", as2_MetricSpec, "Metrics that drive the replica count; the largest "
          "proposal wins. Default 80% CPU.", ATOMIC, PB(4)),
    F_OBJ("behavior", as2_HorizontalPodAutoscalerBehavior, "Scale-up and scale-down "
                                                           "rules.", PB(5)));

ZK_TYPE(as2_MetricSpec, N_AS2 "MetricSpec", "One metric to scale on.",
    F_STR("type", "Which member is set.", REQ,
          ENUM("ContainerResource", "External", "Object", "Pods", "Resource"), PB(1)),
    F_OBJ("object", as2_ObjectMetricSource, "A metric of one object.", PB(2)),
    F_OBJ("pods", as2_PodsMetricSource, "A metric averaged over the pods.", PB(3)),
    F_OBJ("resource", as2_ResourceMetricSource, "A resource of the pods, such as cpu.", PB(4)),
    F_OBJ("containerResource", as2_ContainerResourceMetricSource, "A resource of one "
          "container of the pods.", PB(7)),
    F_OBJ("external", as2_ExternalMetricSource, "A metric from outside the cluster.", PB(5)));

ZK_TYPE(as2_ObjectMetricSource, N_AS2 "ObjectMetricSource", "A metric of one object.",
    F_OBJ("describedObject", as2_CrossVersionObjectReference, "The object.", REQ, PB(1)),
    F_OBJ("target", as2_MetricTarget, "The target value.", REQ, PB(2)),
    F_OBJ("metric", as2_MetricIdentifier, "The metric.", REQ, PB(3)));

ZK_TYPE(as2_PodsMetricSource, N_AS2 "PodsMetricSource", "A metric averaged over pods.",
    F_OBJ("metric", as2_MetricIdentifier, "The metric.", REQ, PB(1)),
    F_OBJ("target", as2_MetricTarget, "The target value.", REQ, PB(2)));

ZK_TYPE(as2_ResourceMetricSource, N_AS2 "ResourceMetricSource", "A resource of the pods.",
    F_STR("name", "Name of the resource.", REQ, PB(1)),
    F_OBJ("target", as2_MetricTarget, "The target value.", REQ, PB(2)));

ZK_TYPE(as2_ContainerResourceMetricSource, N_AS2 "ContainerResourceMetricSource",
    "A resource of one container of the pods.",
    F_STR("name", "Name of the resource.", REQ, PB(1)),
    F_OBJ("target", as2_MetricTarget, "The target value.", REQ, PB(2)),
    F_STR("container", "Name of the container.", REQ, PB(3)));

ZK_TYPE(as2_ExternalMetricSource, N_AS2 "ExternalMetricSource", "A metric from outside.",
    F_OBJ("metric", as2_MetricIdentifier, "The metric.", REQ, PB(1)),
    F_OBJ("target", as2_MetricTarget, "The target value.", REQ, PB(2)));

ZK_TYPE(as2_MetricIdentifier, N_AS2 "MetricIdentifier", "Names a metric.",
    F_STR("name", "Name of the metric.", REQ, PB(1)),
    F_OBJ("selector", meta_LabelSelector, "Narrows the metric's series.", PB(2)));

ZK_TYPE(as2_MetricTarget, N_AS2 "MetricTarget", "A target value of a metric.",
    F_STR("type", "Which member is the target.", REQ,
          ENUM("AverageValue", "Utilization", "Value"), PB(1)),
    F_QTY("value", "Target value.", PB(2)),
    F_QTY("averageValue", "Target value averaged over the pods.", PB(3)),
    F_INT("averageUtilization", "Target average use, percent of requests.", PB(4)));

ZK_TYPE(as2_HorizontalPodAutoscalerBehavior, N_AS2 "HorizontalPodAutoscalerBehavior",
    "Rules for scaling up and down.",
    F_OBJ("scaleUp", as2_HPAScalingRules, "Rules for scaling up.", PB(1)),
    F_OBJ("scaleDown", as2_HPAScalingRules, "Rules for scaling down.", PB(2)));

ZK_TYPE(as2_HPAScalingRules, N_AS2 "HPAScalingRules", "Rules for one scaling direction.",
    F_INT("stabilizationWindowSeconds", "Seconds of past recommendations considered.", PB(3)),
    F_STR("selectPolicy", "Which policy applies. Default Max.",
          ENUM("Disabled", "Max", "Min"), PB(1)),
    F_ARR("policies", as2_HPAScalingPolicy, "Allowed changes per period.", ATOMIC, PB(2)));

ZK_TYPE(as2_HPAScalingPolicy, N_AS2 "HPAScalingPolicy", "One allowed change per period.",
    F_STR("type", "Unit of the value.", REQ, ENUM("Percent", "Pods"), PB(1)),
    F_INT("value", "Amount of change.", REQ, PB(2)),
    F_INT("periodSeconds", "Window the policy applies over.", REQ, PB(3)));

ZK_TYPE(as2_HorizontalPodAutoscalerStatus, N_AS2 "HorizontalPodAutoscalerStatus",
    "Current state of an autoscaler.",
    F_I64("observedGeneration", "Generation last acted on.", PB(1)),
    F_TIME("lastScaleTime", "When the number of pods last changed.", PB(2)),
    F_INT("currentReplicas", "Current number of pods.", PB(3)),
    F_INT("desiredReplicas", "Desired number of pods.", REQ, PB(4)),
    F_ARR("currentMetrics", as2_MetricStatus, "Last read values of the metrics.", ATOMIC, PB(5)),
    F_ARR("conditions", as2_HorizontalPodAutoscalerCondition, "Current conditions.",
          MERGE("type"), PB(6)));

ZK_TYPE(as2_MetricStatus, N_AS2 "MetricStatus", "The current value of one metric.",
    F_STR("type", "Which member is set.", REQ,
          ENUM("ContainerResource", "External", "Object", "Pods", "Resource"), PB(1)),
    F_OBJ("object", as2_ObjectMetricStatus, "A metric of one object.", PB(2)),
    F_OBJ("pods", as2_PodsMetricStatus, "A metric averaged over the pods.", PB(3)),
    F_OBJ("resource", as2_ResourceMetricStatus, "A resource of the pods.", PB(4)),
    F_OBJ("containerResource", as2_ContainerResourceMetricStatus, "A resource of one "
                                                                  "container.", PB(7)),
    F_OBJ("external", as2_ExternalMetricStatus, "A metric from outside.", PB(5)));

ZK_TYPE(as2_ObjectMetricStatus, N_AS2 "ObjectMetricStatus", "Current metric of an object.",
    F_OBJ("metric", as2_MetricIdentifier, "The metric.", REQ, PB(1)),
    F_OBJ("current", as2_MetricValueStatus, "The current value.", REQ, PB(2)),
    F_OBJ("describedObject", as2_CrossVersionObjectReference, "The object.", REQ, PB(3)));

ZK_TYPE(as2_PodsMetricStatus, N_AS2 "PodsMetricStatus", "Current metric of the pods.",
    F_OBJ("metric", as2_MetricIdentifier, "The metric.", REQ, PB(1)),
    F_OBJ("current", as2_MetricValueStatus, "The current value.", REQ, PB(2)));

ZK_TYPE(as2_ResourceMetricStatus, N_AS2 "ResourceMetricStatus", "Current use of a resource.",
    F_STR("name", "Name of the resource.", REQ, PB(1)),
    F_OBJ("current", as2_MetricValueStatus, "The current value.", REQ, PB(2)));

ZK_TYPE(as2_ContainerResourceMetricStatus, N_AS2 "ContainerResourceMetricStatus",
    "Current use of a resource by one container.",
    F_STR("name", "Name of the resource.", REQ, PB(1)),
    F_OBJ("current", as2_MetricValueStatus, "The current value.", REQ, PB(2)),
    F_STR("container", "Name of the container.", REQ, PB(3)));

ZK_TYPE(as2_ExternalMetricStatus, N_AS2 "ExternalMetricStatus", "Current external metric.",
    F_OBJ("metric", as2_MetricIdentifier, "The metric.", REQ, PB(1)),
    F_OBJ("current", as2_MetricValueStatus, "The current value.", REQ, PB(2)));

ZK_TYPE(as2_MetricValueStatus, N_AS2 "MetricValueStatus", "A current metric value.",
    F_QTY("value", "Current value.", PB(1)),
    F_QTY("averageValue", "Current value averaged over the pods.", PB(2)),
    F_INT("averageUtilization", "Current average use, percent of requests.", PB(3)));

ZK_TYPE(as2_HorizontalPodAutoscalerCondition, N_AS2 "HorizontalPodAutoscalerCondition",
    "One condition of an autoscaler.",
    F_STR("type", "Condition type, such as ScalingActive.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(3)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(4)),
    F_STR("message", "Human-readable detail.", PB(5)));
