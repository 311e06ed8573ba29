/* Field schemas: core/v1 volumes, their sources and PersistentVolumeClaim. */
#include "kube/schema_decl.h"

ZK_TYPE(core_Volume, N_CORE "Volume",
    "A named volume of a pod; exactly one source member is set.",
    F_STR("name", "Name of the volume, a DNS label unique within the pod.", REQ, PB(1)),
    F_OBJ("hostPath", core_HostPathVolumeSource, "A file or directory of the node.", PB_IN(2, 1)),
    F_OBJ("emptyDir", core_EmptyDirVolumeSource, "A scratch directory that lives as long "
                                                 "as the pod.", PB_IN(2, 2)),
    F_OBJ("gcePersistentDisk", core_GCEPersistentDiskVolumeSource, "Deprecated GCE disk.",
          PB_IN(2, 3)),
    F_OBJ("awsElasticBlockStore", core_AWSElasticBlockStoreVolumeSource, "Deprecated AWS "
                                                                        "EBS volume.", PB_IN(2, 4)),
    F_OBJ("gitRepo", core_GitRepoVolumeSource, "Deprecated git checkout.", PB_IN(2, 5)),
    F_OBJ("secret", core_SecretVolumeSource, "Files from a Secret.", PB_IN(2, 6)),
    F_OBJ("nfs", core_NFSVolumeSource, "An NFS export.", PB_IN(2, 7)),
    F_OBJ("iscsi", core_ISCSIVolumeSource, "An iSCSI disk.", PB_IN(2, 8)),
    F_OBJ("glusterfs", core_GlusterfsVolumeSource, "Deprecated Glusterfs mount.", PB_IN(2, 9)),
    F_OBJ("persistentVolumeClaim", core_PersistentVolumeClaimVolumeSource,
          "A PersistentVolumeClaim in the pod's namespace.", PB_IN(2, 10)),
    F_OBJ("rbd", core_RBDVolumeSource, "Deprecated Ceph RBD image.", PB_IN(2, 11)),
    F_OBJ("flexVolume", core_FlexVolumeSource, "Deprecated FlexVolume driver.", PB_IN(2, 12)),
    F_OBJ("cinder", core_CinderVolumeSource, "Deprecated OpenStack Cinder volume.", PB_IN(2, 13)),
    F_OBJ("cephfs", core_CephFSVolumeSource, "Deprecated CephFS mount.", PB_IN(2, 14)),
    F_OBJ("flocker", core_FlockerVolumeSource, "Deprecated Flocker dataset.", PB_IN(2, 15)),
    F_OBJ("downwardAPI", core_DownwardAPIVolumeSource, "Files with pod metadata.", PB_IN(2, 16)),
    F_OBJ("fc", core_FCVolumeSource, "A Fibre Channel disk.", PB_IN(2, 17)),
    F_OBJ("azureFile", core_AzureFileVolumeSource, "Deprecated Azure File share.", PB_IN(2, 18)),
    F_OBJ("configMap", core_ConfigMapVolumeSource, "Files from a ConfigMap.", PB_IN(2, 19)),
    F_OBJ("vsphereVolume", core_VsphereVirtualDiskVolumeSource, "Deprecated vSphere disk.",
          PB_IN(2, 20)),
    F_OBJ("quobyte", core_QuobyteVolumeSource, "Deprecated Quobyte mount.", PB_IN(2, 21)),
    F_OBJ("azureDisk", core_AzureDiskVolumeSource, "Deprecated Azure data disk.", PB_IN(2, 22)),
    F_OBJ("photonPersistentDisk", core_PhotonPersistentDiskVolumeSource, "Deprecated Photon "
                                                                         "disk.", PB_IN(2, 23)),
    F_OBJ("projected", core_ProjectedVolumeSource, "Several sources projected into one "
                                                   "directory.", PB_IN(2, 26)),
    F_OBJ("portworxVolume", core_PortworxVolumeSource, "Deprecated Portworx volume.", PB_IN(2, 24)),
    F_OBJ("scaleIO", core_ScaleIOVolumeSource, "Deprecated ScaleIO volume.", PB_IN(2, 25)),
    F_OBJ("storageos", core_StorageOSVolumeSource, "Deprecated StorageOS volume.", PB_IN(2, 27)),
    F_OBJ("csi", core_CSIVolumeSource, "An ephemeral volume from a CSI driver.", PB_IN(2, 28)),
    F_OBJ("ephemeral", core_EphemeralVolumeSource, "A volume from a claim made for the pod "
                                                   "and deleted with it.", PB_IN(2, 29)),
    F_OBJ("image", core_ImageVolumeSource, "The content of an OCI image or artifact.",
          PB_IN(2, 30)));

ZK_TYPE(core_HostPathVolumeSource, N_CORE "HostPathVolumeSource", "A path on the node.",
    F_STR("path", "Path on the node; a symlink is followed.", REQ, PB(1)),
    F_STR("type", "What must be at the path. Default empty: no check.",
          ENUM("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File",
               "FileOrCreate", "Socket"), PB(2)));

ZK_TYPE(core_EmptyDirVolumeSource, N_CORE "EmptyDirVolumeSource", "A temporary directory.",
    F_STR("medium", "Storage medium: empty for the node's default, or Memory for tmpfs.", PB(1)),
    F_QTY("sizeLimit", "Most storage the directory may use.", PB(2)));

ZK_TYPE(core_KeyToPath, N_CORE "KeyToPath", "Maps a key to a file path in a volume.",
    F_STR("key", "The key to project.", REQ, PB(1)),
    F_STR("path", "Relative file path; must not contain '..'.", REQ, PB(2)),
    F_INT("mode", "File mode bits, octal 0000-0777 or decimal 0-511.", PB(3)));

ZK_TYPE(core_SecretVolumeSource, N_CORE "SecretVolumeSource", "A Secret as files.",
    F_STR("secretName", "Name of the Secret in the pod's namespace.", PB(1)),
    F_ARR("items", core_KeyToPath, "Keys to project; all keys when empty.", ATOMIC, PB(2)),
    F_INT("defaultMode", "Mode bits of the files. Default 0644.", PB(3)),
    F_BOOL("optional", "Whether the Secret or its keys may be missing.", PB(4)));

ZK_TYPE(core_ConfigMapVolumeSource, N_CORE "ConfigMapVolumeSource", "A ConfigMap as files.",
    F_STR("name", "Name of the ConfigMap.", PB_IN(1, 1)),
    F_ARR("items", core_KeyToPath, "Keys to project; all keys when empty.", ATOMIC, PB(2)),
    F_INT("defaultMode", "Mode bits of the files. Default 0644.", PB(3)),
    F_BOOL("optional", "Whether the ConfigMap or its keys may be missing.", PB(4)));

ZK_TYPE(core_NFSVolumeSource, N_CORE "NFSVolumeSource", "An NFS mount.",
    F_STR("server", "Host name or IP of the NFS server.", REQ, PB(1)),
    F_STR("path", "Path exported by the server.", REQ, PB(2)),
    F_BOOL("readOnly", "Mount read-only. Default false.", PB(3)));

ZK_TYPE(core_PersistentVolumeClaimVolumeSource, N_CORE "PersistentVolumeClaimVolumeSource",
    "A reference to a PersistentVolumeClaim.",
    F_STR("claimName", "Name of the claim in the pod's namespace.", REQ, PB(1)),
    F_BOOL("readOnly", "Mount read-only. Default false.", PB(2)));

ZK_TYPE(core_DownwardAPIVolumeSource, N_CORE "DownwardAPIVolumeSource",
    "Pod metadata as files.",
    F_ARR("items", core_DownwardAPIVolumeFile, "The files.", ATOMIC, PB(1)),
    F_INT("defaultMode", "Mode bits of the files. Default 0644.", PB(2)));

ZK_TYPE(core_DownwardAPIVolumeFile, N_CORE "DownwardAPIVolumeFile",
    "One file holding a pod field or a container resource.",
    F_STR("path", "Relative path of the file.", REQ, PB(1)),
    F_OBJ("fieldRef", core_ObjectFieldSelector, "A field of the pod.", PB(2)),
    F_OBJ("resourceFieldRef", core_ResourceFieldSelector, "A resource of a container.", PB(3)),
    F_INT("mode", "Mode bits of the file.", PB(4)));

ZK_TYPE(core_ProjectedVolumeSource, N_CORE "ProjectedVolumeSource",
    "Several sources in one directory.",
    F_ARR("sources", core_VolumeProjection, "The sources.", ATOMIC, PB(1)),
    F_INT("defaultMode", "Mode bits of the files. Default 0644.", PB(2)));

ZK_TYPE(core_VolumeProjection, N_CORE "VolumeProjection", "One source of a projected volume.",
    F_OBJ("secret", core_SecretProjection, "Keys of a Secret.", PB(1)),
    F_OBJ("downwardAPI", core_DownwardAPIProjection, "Pod metadata.", PB(2)),
    F_OBJ("configMap", core_ConfigMapProjection, "Keys of a ConfigMap.", PB(3)),
    F_OBJ("serviceAccountToken", core_ServiceAccountTokenProjection, "A service account "
                                                                     "token.", PB(4)),
    F_OBJ("clusterTrustBundle", core_ClusterTrustBundleProjection, "Certificates from "
                                                                   "ClusterTrustBundles.", PB(5)));

ZK_TYPE(core_SecretProjection, N_CORE "SecretProjection", "Keys of a Secret as files.",
    F_STR("name", "Name of the Secret.", PB_IN(1, 1)),
    F_ARR("items", core_KeyToPath, "Keys to project; all keys when empty.", ATOMIC, PB(2)),
    F_BOOL("optional", "Whether the Secret or its keys may be missing.", PB(4)));

ZK_TYPE(core_ConfigMapProjection, N_CORE "ConfigMapProjection", "Keys of a ConfigMap as files.",
    F_STR("name", "Name of the ConfigMap.", PB_IN(1, 1)),
    F_ARR("items", core_KeyToPath, "Keys to project; all keys when empty.", ATOMIC, PB(2)),
    F_BOOL("optional", "Whether the ConfigMap or its keys may be missing.", PB(4)));

ZK_TYPE(core_DownwardAPIProjection, N_CORE "DownwardAPIProjection", "Pod metadata as files.",
    F_ARR("items", core_DownwardAPIVolumeFile, "The files.", ATOMIC, PB(1)));

ZK_TYPE(core_ServiceAccountTokenProjection, N_CORE "ServiceAccountTokenProjection",
    "A token of the pod's service account, rotated by the node.",
    F_STR("audience", "Intended audience; defaults to the API server's.", PB(1)),
    F_I64("expirationSeconds", "Requested validity. Default 3600, at least 600.", PB(2)),
    F_STR("path", "Relative path of the token file.", REQ, PB(3)));

ZK_TYPE(core_ClusterTrustBundleProjection, N_CORE "ClusterTrustBundleProjection",
    "Certificates from one or more ClusterTrustBundles in one file.",
    F_STR("name", "Select one bundle by name.", PB(1)),
    F_STR("signerName", "Select bundles of this signer.", PB(2)),
    F_OBJ("labelSelector", meta_LabelSelector, "Select bundles of the signer by label.", PB(3)),
    F_BOOL("optional", "Whether a missing bundle is tolerated.", PB(5)),
    F_STR("path", "Relative path of the file.", REQ, PB(4)));

ZK_TYPE(core_CSIVolumeSource, N_CORE "CSIVolumeSource", "An ephemeral CSI volume.",
    F_STR("driver", "Name of the CSI driver.", REQ, PB(1)),
    F_BOOL("readOnly", "Mount read-only.", PB(2)),
    F_STR("fsType", "Filesystem type, such as ext4.", PB(3)),
    F_MAP_STR("volumeAttributes", "Driver-specific properties.", PB(4)),
    F_OBJ("nodePublishSecretRef", core_LocalObjectReference, "Secret passed to the driver "
                                                             "when publishing.", PB(5)));

ZK_TYPE(core_EphemeralVolumeSource, N_CORE "EphemeralVolumeSource",
    "A volume backed by a claim made for the pod.",
    F_OBJ("volumeClaimTemplate", core_PersistentVolumeClaimTemplate, "Template of the "
                                                                     "claim.", PB(1)));

ZK_TYPE(core_PersistentVolumeClaimTemplate, N_CORE "PersistentVolumeClaimTemplate",
    "Template of a PersistentVolumeClaim.",
    F_METADATA,
    F_OBJ("spec", core_PersistentVolumeClaimSpec, "Spec of the claim.", REQ, PB(2)));

ZK_TYPE(core_ImageVolumeSource, N_CORE "ImageVolumeSource", "An OCI image as a volume.",
    F_STR("reference", "Image or artifact reference.", PB(1)),
    F_STR("pullPolicy", "When to pull.", ENUM("Always", "IfNotPresent", "Never"), PB(2)));

ZK_TYPE(core_ISCSIVolumeSource, N_CORE "ISCSIVolumeSource", "An iSCSI disk.",
    F_STR("targetPortal", "Target portal, IP or ip:port.", REQ, PB(1)),
    F_STR("iqn", "Target IQN.", REQ, PB(2)),
    F_INT("lun", "Target LUN number.", REQ, PB(3)),
    F_STR("iscsiInterface", "iSCSI interface name. Default default.", PB(4)),
    F_STR("fsType", "Filesystem type.", PB(5)),
    F_BOOL("readOnly", "Mount read-only.", PB(6)),
    F_ARR_STR("portals", "More target portals.", ATOMIC, PB(7)),
    F_BOOL("chapAuthDiscovery", "Use CHAP for discovery.", PB(8)),
    F_BOOL("chapAuthSession", "Use CHAP for the session.", PB(11)),
    F_OBJ("secretRef", core_LocalObjectReference, "Secret with the CHAP credentials.", PB(10)),
    F_STR("initiatorName", "Custom initiator name.", PB(12)));

ZK_TYPE(core_FCVolumeSource, N_CORE "FCVolumeSource", "A Fibre Channel disk.",
    F_ARR_STR("targetWWNs", "Target world wide names.", ATOMIC, PB(1)),
    F_INT("lun", "Target LUN number.", PB(2)),
    F_STR("fsType", "Filesystem type.", PB(3)),
    F_BOOL("readOnly", "Mount read-only.", PB(4)),
    F_ARR_STR("wwids", "Volume world wide identifiers.", ATOMIC, PB(5)));

ZK_TYPE(core_GCEPersistentDiskVolumeSource, N_CORE "GCEPersistentDiskVolumeSource",
    "A Google Compute Engine persistent disk.",
    F_STR("pdName", "Name of the disk.", REQ, PB(1)),
    F_STR("fsType", "Filesystem type.", PB(2)),
    F_INT("partition", "Partition to mount.", PB(3)),
    F_BOOL("readOnly", "Mount read-only.", PB(4)));

ZK_TYPE(core_AWSElasticBlockStoreVolumeSource, N_CORE "AWSElasticBlockStoreVolumeSource",
    "An AWS EBS volume.",
    F_STR("volumeID", "ID of the volume.", REQ, PB(1)),
    F_STR("fsType", "Filesystem type.", PB(2)),
    F_INT("partition", "Partition to mount.", PB(3)),
    F_BOOL("readOnly", "Mount read-only.", PB(4)));

ZK_TYPE(core_GitRepoVolumeSource, N_CORE "GitRepoVolumeSource", "A git repository checkout.",
    F_STR("repository", "Repository URL.", REQ, PB(1)),
    F_STR("revision", "Commit hash.", PB(2)),
    F_STR("directory", "Target directory name.", PB(3)));

ZK_TYPE(core_GlusterfsVolumeSource, N_CORE "GlusterfsVolumeSource", "A Glusterfs mount.",
    F_STR("endpoints", "Name of the Endpoints with the Glusterfs servers.", REQ, PB(1)),
    F_STR("path", "Glusterfs volume path.", REQ, PB(2)),
    F_BOOL("readOnly", "Mount read-only.", PB(3)));

ZK_TYPE(core_RBDVolumeSource, N_CORE "RBDVolumeSource", "A Ceph RBD image.",
    F_ARR_STR("monitors", "Ceph monitors.", REQ, ATOMIC, PB(1)),
    F_STR("image", "RBD image name.", REQ, PB(2)),
    F_STR("fsType", "Filesystem type.", PB(3)),
    F_STR("pool", "RADOS pool. Default rbd.", PB(4)),
    F_STR("user", "RADOS user. Default admin.", PB(5)),
    F_STR("keyring", "Keyring path. Default /etc/ceph/keyring.", PB(6)),
    F_OBJ("secretRef", core_LocalObjectReference, "Secret with the user's key.", PB(7)),
    F_BOOL("readOnly", "Mount read-only.", PB(8)));

ZK_TYPE(core_FlexVolumeSource, N_CORE "FlexVolumeSource", "A FlexVolume driver mount.",
    F_STR("driver", "Name of the driver.", REQ, PB(1)),
    F_STR("fsType", "Filesystem type.", PB(2)),
    F_OBJ("secretRef", core_LocalObjectReference, "Secret passed to the driver.", PB(3)),
    F_BOOL("readOnly", "Mount read-only.", PB(4)),
    F_MAP_STR("options", "Extra driver options.", PB(5)));

ZK_TYPE(core_CinderVolumeSource, N_CORE "CinderVolumeSource", "An OpenStack Cinder volume.",
    F_STR("volumeID", "ID of the volume.", REQ, PB(1)),
    F_STR("fsType", "Filesystem type.", PB(2)),
    F_BOOL("readOnly", "Mount read-only.", PB(3)),
    F_OBJ("secretRef", core_LocalObjectReference, "Secret with OpenStack credentials.", PB(4)));

ZK_TYPE(core_CephFSVolumeSource, N_CORE "CephFSVolumeSource", "A CephFS mount.",
    F_ARR_STR("monitors", "Ceph monitors.", REQ, ATOMIC, PB(1)),
    F_STR("path", "Path within the filesystem. Default /.", PB(2)),
    F_STR("user", "RADOS user. Default admin.", PB(3)),
    F_STR("secretFile", "Keyring path.", PB(4)),
    F_OBJ("secretRef", core_LocalObjectReference, "Secret with the user's key.", PB(5)),
    F_BOOL("readOnly", "Mount read-only.", PB(6)));

ZK_TYPE(core_FlockerVolumeSource, N_CORE "FlockerVolumeSource", "A Flocker dataset.",
    F_STR("datasetName", "Name of the dataset.", PB(1)),
    F_STR("datasetUUID", "UUID of the dataset.", PB(2)));

ZK_TYPE(core_AzureFileVolumeSource, N_CORE "AzureFileVolumeSource", "An Azure File share.",
    F_STR("secretName", "Secret with the storage account name and key.", REQ, PB(1)),
    F_STR("shareName", "Share name.", REQ, PB(2)),
    F_BOOL("readOnly", "Mount read-only.", PB(3)));

ZK_TYPE(core_VsphereVirtualDiskVolumeSource, N_CORE "VsphereVirtualDiskVolumeSource",
    "A vSphere virtual disk.",
    F_STR("volumePath", "Path of the disk.", REQ, PB(1)),
    F_STR("fsType", "Filesystem type.", PB(2)),
    F_STR("storagePolicyName", "Storage policy name.", PB(3)),
    F_STR("storagePolicyID", "Storage policy ID.", PB(4)));

ZK_TYPE(core_QuobyteVolumeSource, N_CORE "QuobyteVolumeSource", "A Quobyte mount.",
    F_STR("registry", "Registry services, host:port list.", REQ, PB(1)),
    F_STR("volume", "Volume name.", REQ, PB(2)),
    F_BOOL("readOnly", "Mount read-only.", PB(3)),
    F_STR("user", "User to map access to.", PB(4)),
    F_STR("group", "Group to map access to.", PB(5)),
    F_STR("tenant", "Tenant owning the volume.", PB(6)));

ZK_TYPE(core_AzureDiskVolumeSource, N_CORE "AzureDiskVolumeSource", "An Azure data disk.",
    F_STR("diskName", "Disk name.", REQ, PB(1)),
    F_STR("diskURI", "Disk URI.", REQ, PB(2)),
    F_STR("cachingMode", "Host caching mode.", ENUM("None", "ReadOnly", "ReadWrite"), PB(3)),
    F_STR("fsType", "Filesystem type.", PB(4)),
    F_BOOL("readOnly", "Mount read-only.", PB(5)),
    F_STR("kind", "Disk kind.", ENUM("Dedicated", "Managed", "Shared"), PB(6)));

ZK_TYPE(core_PhotonPersistentDiskVolumeSource, N_CORE "PhotonPersistentDiskVolumeSource",
    "A Photon Controller disk.",
    F_STR("pdID", "Disk ID.", REQ, PB(1)),
    F_STR("fsType", "Filesystem type.", PB(2)));

ZK_TYPE(core_PortworxVolumeSource, N_CORE "PortworxVolumeSource", "A Portworx volume.",
    F_STR("volumeID", "Volume ID.", REQ, PB(1)),
    F_STR("fsType", "Filesystem type.", PB(2)),
    F_BOOL("readOnly", "Mount read-only.", PB(3)));

ZK_TYPE(core_ScaleIOVolumeSource, N_CORE "ScaleIOVolumeSource", "A ScaleIO volume.",
    F_STR("gateway", "Gateway host.", REQ, PB(1)),
    F_STR("system", "Storage system name.", REQ, PB(2)),
    F_OBJ("secretRef", core_LocalObjectReference, "Secret with the user credentials.", REQ, PB(3)),
    F_BOOL("sslEnabled", "Use SSL to the gateway.", PB(4)),
    F_STR("protectionDomain", "Protection domain.", PB(5)),
    F_STR("storagePool", "Storage pool.", PB(6)),
    F_STR("storageMode", "ThickProvisioned or ThinProvisioned.", PB(7)),
    F_STR("volumeName", "Name of an existing volume.", PB(8)),
    F_STR("fsType", "Filesystem type. Default xfs.", PB(9)),
    F_BOOL("readOnly", "Mount read-only.", PB(10)));

ZK_TYPE(core_StorageOSVolumeSource, N_CORE "StorageOSVolumeSource", "A StorageOS volume.",
    F_STR("volumeName", "Volume name.", PB(1)),
    F_STR("volumeNamespace", "StorageOS namespace of the volume.", PB(2)),
    F_STR("fsType", "Filesystem type.", PB(3)),
    F_BOOL("readOnly", "Mount read-only.", PB(4)),
    F_OBJ("secretRef", core_LocalObjectReference, "Secret with the API credentials.", PB(5)));

/* ---- PersistentVolumeClaim ------------------------------------------ */

ZK_KIND(core_PersistentVolumeClaim, N_CORE "PersistentVolumeClaim", "", "v1",
    "PersistentVolumeClaim", "A user's request for, and claim to, a persistent volume.",
    F_TOP,
    F_OBJ("spec", core_PersistentVolumeClaimSpec, "What the user asks for.", PB(2)),
    F_OBJ("status", core_PersistentVolumeClaimStatus, "Observed state of the claim.", PB(3)));

ZK_TYPE(core_PersistentVolumeClaimSpec, N_CORE "PersistentVolumeClaimSpec",
    "Storage requested by a claim.",
    F_ARR_STR("accessModes", "Access modes the volume must support, such as ReadWriteOnce.",
              ATOMIC, PB(1)),
    F_OBJ("selector", meta_LabelSelector, "Label query over volumes to bind to.", PB(4)),
    F_OBJ("resources", core_VolumeResourceRequirements, "Least storage the volume must "
                                                        "have.", PB(2)),
    F_STR("volumeName", "Name of the PersistentVolume to bind to.", PB(3)),
    F_STR("storageClassName", "StorageClass the volume comes from.", PB(5)),
    F_STR("volumeMode", "Filesystem or Block. Default Filesystem.",
          ENUM("Block", "Filesystem"), PB(6)),
    F_OBJ("dataSource", core_TypedLocalObjectReference, "Snapshot or claim to fill the new "
                                                        "volume from.", PB(7)),
    F_OBJ("dataSourceRef", core_TypedObjectReference, "Any populator object to fill the "
                                                      "new volume from.", PB(8)),
    F_STR("volumeAttributesClassName", "VolumeAttributesClass the volume uses.", PB(9)));

ZK_TYPE(core_VolumeResourceRequirements, N_CORE "VolumeResourceRequirements",
    "Storage resources of a claim.",
    F_MAP_QTY("limits", "Most storage allowed.", PB(1)),
    F_MAP_QTY("requests", "Least storage needed.", PB(2)));

ZK_TYPE(core_TypedLocalObjectReference, N_CORE "TypedLocalObjectReference",
    "A typed reference to an object in the same namespace.",
    F_STR("apiGroup", "API group of the referent; empty for the core group.", PB(1)),
    F_STR("kind", "Kind of the referent.", REQ, PB(2)),
    F_STR("name", "Name of the referent.", REQ, PB(3)));

ZK_TYPE(core_TypedObjectReference, N_CORE "TypedObjectReference",
    "A typed reference to an object, possibly in another namespace.",
    F_STR("apiGroup", "API group of the referent; empty for the core group.", PB(1)),
    F_STR("kind", "Kind of the referent.", REQ, PB(2)),
    F_STR("name", "Name of the referent.", REQ, PB(3)),
    F_STR("namespace", "Namespace of the referent, when it is not the claim's.", PB(4)));

ZK_TYPE(core_PersistentVolumeClaimStatus, N_CORE "PersistentVolumeClaimStatus",
    "Observed state of a claim.",
    F_STR("phase", "Where the claim is in its lifecycle.", ENUM("Bound", "Lost", "Pending"), PB(1)),
    F_ARR_STR("accessModes", "Access modes of the bound volume.", ATOMIC, PB(2)),
    F_MAP_QTY("capacity", "Capacity of the bound volume.", PB(3)),
    F_ARR("conditions", core_PersistentVolumeClaimCondition, "Current conditions.",
          MERGE("type"), PB(4)),
    F_MAP_QTY("allocatedResources", "Resources allocated to the claim, after resizes.", PB(5)),
    F_MAP_STR("allocatedResourceStatuses", "State of resize operations per resource.", PB(7)),
    F_STR("currentVolumeAttributesClassName", "VolumeAttributesClass in effect.", PB(8)),
    F_OBJ("modifyVolumeStatus", core_ModifyVolumeStatus, "State of a pending volume "
                                                         "modification.", PB(9)));

ZK_TYPE(core_PersistentVolumeClaimCondition, N_CORE "PersistentVolumeClaimCondition",
    "One condition of a claim.",
    F_STR("type", "Condition type, such as Resizing.", REQ, PB(1)),
    F_STR("status", "Whether the condition holds.", REQ, E_COND, PB(2)),
    F_TIME("lastProbeTime", "When the condition was last probed.", PB(3)),
    F_TIME("lastTransitionTime", "When the status last changed.", PB(4)),
    F_STR("reason", "CamelCase reason for the last transition.", PB(5)),
    F_STR("message", "Human-readable detail.", PB(6)));

ZK_TYPE(core_ModifyVolumeStatus, N_CORE "ModifyVolumeStatus", "State of a volume modification.",
    F_STR("targetVolumeAttributesClassName", "Class being applied.", PB(1)),
    F_STR("status", "State of the operation.", REQ,
          ENUM("InProgress", "Infeasible", "Pending"), PB(2)));
