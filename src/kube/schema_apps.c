/* Field schemas: apps/v1 (Deployment, ReplicaSet, DaemonSet, StatefulSet, ControllerRevision). */
#include "kube/schema_decl.h"

/* Conditions of the apps controllers share one shape; only lastTransitionTime
 * has another field number in DeploymentCondition (7; 3 elsewhere). */
#define APPS_CONDITION_FIELDS(what, ltt_pb)                                          \
    F_STR("type", "Condition type of the " what ".", REQ, PB(1)),                    \
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),             \
    F_TIME("lastTransitionTime", "When the status last changed.", PB(ltt_pb)),       \
    F_STR("reason", "CamelCase reason for the last transition.", PB(4)),             \
    F_STR("message", "Human-readable detail.", PB(5))

/* ---- Deployment ----------------------------------------------------- */

ZK_KIND(apps_Deployment, N_APPS "Deployment", "apps", "v1", "Deployment",
    "Declarative updates for pods through ReplicaSets.",
    F_TOP,
    F_OBJ("spec", apps_DeploymentSpec, "Desired behaviour of the deployment.", PB(2)),
    F_OBJ("status", apps_DeploymentStatus, "Most recently observed state.", PB(3)));

ZK_TYPE(apps_DeploymentSpec, N_APPS "DeploymentSpec", "Desired behaviour of a deployment.",
    F_INT("replicas", "Desired number of pods. Default 1.", PB(1)),
    F_OBJ("selector", meta_LabelSelector, "Selects the pods the deployment manages; must "
                                          "match the template's labels. Cannot change.",
          REQ, PB(2)),
    F_OBJ("template", core_PodTemplateSpec, "Template of the pods.", REQ, PB(3)),
    F_OBJ("strategy", apps_DeploymentStrategy, "How old pods are replaced by new ones.",
          RETAINKEYS, PB(4)),
    F_INT("minReadySeconds", "Seconds a new pod must be ready to count as available.", PB(5)),
    F_INT("revisionHistoryLimit", "Old ReplicaSets kept for rollback. Default 10.", PB(6)),
    F_BOOL("paused", "Whether rollouts are paused.", PB(7)),
    F_INT("progressDeadlineSeconds", "Seconds a rollout may make no progress before it is "
                                     "reported failed. Default 600.", PB(9)));

ZK_TYPE(apps_DeploymentStrategy, N_APPS "DeploymentStrategy",
    "How a deployment replaces its pods.",
    F_STR("type", "Recreate kills all old pods first; RollingUpdate replaces them "
                  "gradually. Default RollingUpdate.", ENUM("Recreate", "RollingUpdate"), PB(1)),
    F_OBJ("rollingUpdate", apps_RollingUpdateDeployment, "Knobs of a rolling update; only "
                                                         "with type RollingUpdate.", PB(2)));

ZK_TYPE(apps_RollingUpdateDeployment, N_APPS "RollingUpdateDeployment",
    "Knobs of a rolling update of a deployment.",
    F_IOS("maxUnavailable", "Most pods that may be unavailable during the update, a number "
                            "or a percentage. Default 25%.", PB(1)),
    F_IOS("maxSurge", "Most pods that may exist above the desired number during the "
                      "update, a number or a percentage. Default 25%.", PB(2)));

ZK_TYPE(apps_DeploymentStatus, N_APPS "DeploymentStatus", "Observed state of a deployment.",
    F_I64("observedGeneration", "Generation the controller last acted on.", PB(1)),
    F_INT("replicas", "Pods targeted by the deployment.", PB(2)),
    F_INT("updatedReplicas", "Pods with the current template.", PB(3)),
    F_INT("readyReplicas", "Ready pods.", PB(7)),
    F_INT("availableReplicas", "Pods available for at least minReadySeconds.", PB(4)),
    F_INT("unavailableReplicas", "Pods still needed for full availability.", PB(5)),
    F_ARR("conditions", apps_DeploymentCondition, "Current conditions, such as Available "
          "and Progressing.", MERGE("type"), PB(6)),
    F_INT("collisionCount", "Counter used to avoid template hash collisions.", PB(8)));

ZK_TYPE(apps_DeploymentCondition, N_APPS "DeploymentCondition", "One condition of a deployment.",
    APPS_CONDITION_FIELDS("deployment", 7),
    F_TIME("lastUpdateTime", "When the condition was last updated.", PB(6)));

/* ---- ReplicaSet ----------------------------------------------------- */

ZK_KIND(apps_ReplicaSet, N_APPS "ReplicaSet", "apps", "v1", "ReplicaSet",
    "Keeps a number of identical pods running.",
    F_TOP,
    F_OBJ("spec", apps_ReplicaSetSpec, "Desired behaviour.", PB(2)),
    F_OBJ("status", apps_ReplicaSetStatus, "Most recently observed state.", PB(3)));

ZK_TYPE(apps_ReplicaSetSpec, N_APPS "ReplicaSetSpec", "Desired behaviour of a replica set.",
    F_INT("replicas", "Desired number of pods. Default 1.", PB(1)),
    F_INT("minReadySeconds", "Seconds a new pod must be ready to count as available.", PB(4)),
    F_OBJ("selector", meta_LabelSelector, "Selects the pods counted; must match the "
                                          "template's labels.", REQ, PB(2)),
    F_OBJ("template", core_PodTemplateSpec, "Template of the pods made.", PB(3)));

ZK_TYPE(apps_ReplicaSetStatus, N_APPS "ReplicaSetStatus", "Observed state of a replica set.",
    F_INT("replicas", "Number of pods.", REQ, PB(1)),
    F_INT("fullyLabeledReplicas", "Pods whose labels match the template's.", PB(2)),
    F_INT("readyReplicas", "Ready pods.", PB(4)),
    F_INT("availableReplicas", "Pods available for at least minReadySeconds.", PB(5)),
    F_I64("observedGeneration", "Generation the controller last acted on.", PB(3)),
    F_ARR("conditions", apps_ReplicaSetCondition, "Current conditions.", MERGE("type"), PB(6)));

ZK_TYPE(apps_ReplicaSetCondition, N_APPS "ReplicaSetCondition", "One condition of a replica set.",
    APPS_CONDITION_FIELDS("replica set", 3));

/* ---- DaemonSet ------------------------------------------------------ */

ZK_KIND(apps_DaemonSet, N_APPS "DaemonSet", "apps", "v1", "DaemonSet",
    "Runs one copy of a pod on each eligible node.",
    F_TOP,
    F_OBJ("spec", apps_DaemonSetSpec, "Desired behaviour.", PB(2)),
    F_OBJ("status", apps_DaemonSetStatus, "Most recently observed state.", PB(3)));

ZK_TYPE(apps_DaemonSetSpec, N_APPS "DaemonSetSpec", "Desired behaviour of a daemon set.",
    F_OBJ("selector", meta_LabelSelector, "Selects the pods managed; must match the "
                                          "template's labels.", REQ, PB(1)),
    F_OBJ("template", core_PodTemplateSpec, "Template of the pods.", REQ, PB(2)),
    F_OBJ("updateStrategy", apps_DaemonSetUpdateStrategy, "How pods are replaced on "
                                                          "template changes.", PB(3)),
    F_INT("minReadySeconds", "Seconds a new pod must be ready to count as available.", PB(4)),
    F_INT("revisionHistoryLimit", "Old revisions kept for rollback. Default 10.", PB(6)));

ZK_TYPE(apps_DaemonSetUpdateStrategy, N_APPS "DaemonSetUpdateStrategy",
    "How a daemon set replaces its pods.",
    F_STR("type", "OnDelete waits for pods to be deleted by hand. Default RollingUpdate.",
          ENUM("OnDelete", "RollingUpdate"), PB(1)),
    F_OBJ("rollingUpdate", apps_RollingUpdateDaemonSet, "Knobs of a rolling update.", PB(2)));

ZK_TYPE(apps_RollingUpdateDaemonSet, N_APPS "RollingUpdateDaemonSet",
    "Knobs of a rolling update of a daemon set.",
    F_IOS("maxUnavailable", "Most nodes whose pod may be unavailable, a number or a "
                            "percentage. Default 1.", PB(1)),
    F_IOS("maxSurge", "Most nodes that may run an old and a new pod at once. Default 0.", PB(2)));

ZK_TYPE(apps_DaemonSetStatus, N_APPS "DaemonSetStatus", "Observed state of a daemon set.",
    F_INT("currentNumberScheduled", "Nodes running a daemon pod that should.", REQ, PB(1)),
    F_INT("numberMisscheduled", "Nodes running a daemon pod that should not.", REQ, PB(2)),
    F_INT("desiredNumberScheduled", "Nodes that should run a daemon pod.", REQ, PB(3)),
    F_INT("numberReady", "Nodes whose daemon pod is ready.", REQ, PB(4)),
    F_I64("observedGeneration", "Generation the controller last acted on.", PB(5)),
    F_INT("updatedNumberScheduled", "Nodes running the current template.", PB(6)),
    F_INT("numberAvailable", "Nodes whose daemon pod is available.", PB(7)),
    F_INT("numberUnavailable", "Nodes whose daemon pod should be available and is not.", PB(8)),
    F_INT("collisionCount", "Counter used to avoid revision hash collisions.", PB(9)),
    F_ARR("conditions", apps_DaemonSetCondition, "Current conditions.", MERGE("type"), PB(10)));

ZK_TYPE(apps_DaemonSetCondition, N_APPS "DaemonSetCondition", "One condition of a daemon set.",
    APPS_CONDITION_FIELDS("daemon set", 3));

/* ---- StatefulSet ---------------------------------------------------- */

ZK_KIND(apps_StatefulSet, N_APPS "StatefulSet", "apps", "v1", "StatefulSet",
    "Pods with stable identities and storage, created and updated in order.",
    F_TOP,
    F_OBJ("spec", apps_StatefulSetSpec, "Desired behaviour.", PB(2)),
    F_OBJ("status", apps_StatefulSetStatus, "Most recently observed state.", PB(3)));

ZK_TYPE(apps_StatefulSetSpec, N_APPS "StatefulSetSpec", "Desired behaviour of a stateful set.",
    F_INT("replicas", "Desired number of pods. Default 1.", PB(1)),
    F_OBJ("selector", meta_LabelSelector, "Selects the pods managed; must match the "
                                          "template's labels.", REQ, PB(2)),
    F_OBJ("template", core_PodTemplateSpec, "Template of the pods.", REQ, PB(3)),
    F_ARR("volumeClaimTemplates", core_PersistentVolumeClaim, "Claims made for each pod "
          "and mounted by name.", ATOMIC, PB(4)),
    F_STR("serviceName", "Headless service that gives the pods their DNS names.", PB(5)),
    F_STR("podManagementPolicy", "Whether pods are created in order. Default "
                                 "OrderedReady.", ENUM("OrderedReady", "Parallel"), PB(6)),
    F_OBJ("updateStrategy", apps_StatefulSetUpdateStrategy, "How pods are replaced on "
                                                            "template changes.", PB(7)),
    F_INT("revisionHistoryLimit", "Old revisions kept. Default 10.", PB(8)),
    F_INT("minReadySeconds", "Seconds a new pod must be ready to count as available.", PB(9)),
    F_OBJ("persistentVolumeClaimRetentionPolicy",
          apps_StatefulSetPersistentVolumeClaimRetentionPolicy,
          "What happens to the claims when the set is deleted or scaled down.", PB(10)),
    F_OBJ("ordinals", apps_StatefulSetOrdinals, "Numbering of the pods.", PB(11)));

ZK_TYPE(apps_StatefulSetUpdateStrategy, N_APPS "StatefulSetUpdateStrategy",
    "How a stateful set replaces its pods.",
    F_STR("type", "OnDelete waits for pods to be deleted by hand. Default RollingUpdate.",
          ENUM("OnDelete", "RollingUpdate"), PB(1)),
    F_OBJ("rollingUpdate", apps_RollingUpdateStatefulSetStrategy, "Knobs of a rolling "
                                                                  "update.", PB(2)));

ZK_TYPE(apps_RollingUpdateStatefulSetStrategy, N_APPS "RollingUpdateStatefulSetStrategy",
    "Knobs of a rolling update of a stateful set.",
    F_INT("partition", "Only pods with an ordinal at least this are updated. Default 0.", PB(1)),
    F_IOS("maxUnavailable", "Most pods that may be unavailable during the update. "
                            "Default 1.", PB(2)));

ZK_TYPE(apps_StatefulSetPersistentVolumeClaimRetentionPolicy,
    N_APPS "StatefulSetPersistentVolumeClaimRetentionPolicy",
    "What happens to a stateful set's claims.",
    F_STR("whenDeleted", "On deletion of the set. Default Retain.", ENUM("Delete", "Retain"),
          PB(1)),
    F_STR("whenScaled", "On scale down. Default Retain.", ENUM("Delete", "Retain"), PB(2)));

ZK_TYPE(apps_StatefulSetOrdinals, N_APPS "StatefulSetOrdinals", "Numbering of a set's pods.",
    F_INT("start", "Number of the first pod. Default 0.", PB(1)));

ZK_TYPE(apps_StatefulSetStatus, N_APPS "StatefulSetStatus", "Observed state of a stateful set.",
    F_I64("observedGeneration", "Generation the controller last acted on.", PB(1)),
    F_INT("replicas", "Pods created.", REQ, PB(2)),
    F_INT("readyReplicas", "Ready pods.", PB(3)),
    F_INT("currentReplicas", "Pods at currentRevision.", PB(4)),
    F_INT("updatedReplicas", "Pods at updateRevision.", PB(5)),
    F_STR("currentRevision", "Revision of the pods below the update partition.", PB(6)),
    F_STR("updateRevision", "Revision being rolled out.", PB(7)),
    F_INT("collisionCount", "Counter used to avoid revision hash collisions.", PB(9)),
    F_ARR("conditions", apps_StatefulSetCondition, "Current conditions.", MERGE("type"), PB(10)),
    F_INT("availableReplicas", "Pods available for at least minReadySeconds.", PB(11)));

ZK_TYPE(apps_StatefulSetCondition, N_APPS "StatefulSetCondition",
    "One condition of a stateful set.",
    APPS_CONDITION_FIELDS("stateful set", 3));

/* ---- ControllerRevision --------------------------------------------- */

ZK_KIND(apps_ControllerRevision, N_APPS "ControllerRevision", "apps", "v1",
    "ControllerRevision", "An immutable snapshot of state, kept by DaemonSet and StatefulSet "
    "controllers for rollback.",
    F_TOP,
    F_ANY("data", "The serialized state.", PB(2)),
    F_I64("revision", "Revision number.", REQ, PB(3)));
