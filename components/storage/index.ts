// Home and shared storage on NFS. One file a concern: volumes.ts (the home StorageClass, the
// shared volumes and their paths), server.ts (the in-cluster NFS server), csi-driver.ts
// (csi-driver-nfs), move.ts (the one-time move of release 0.1.0's storage parts, a dynamic
// resource), nfs-storage.ts (the component); class-storage.ts: the same on an existing
// ReadWriteMany StorageClass instead of NFS (nfs.mode "storage-class").
export { ClassStorage, type ClassStorageArgs, sharedClaimSpec } from "./class-storage";
export { controllerNetworkPolicySpec, CSI_CONTROLLER, CSI_DRIVER, CSI_SIDECARS } from "./csi-driver";
export { NfsStorage, type NfsStorageArgs, type StorageNamespace } from "./nfs-storage";
export { exportsFile, PREPARE_EXPORTS_SCRIPT, prepareExportsEnv, rootSquashed, serverNetworkPolicySpec, SQUASHED_ROOT } from "./server";
export { GROUP_SHARES_CLAIM, groupSharesPath, homeClassOf, homeStorageClassSpec, SHARED_CLAIM, sharedSharePath, STATIC_VOLUME_SUFFIXES } from "./volumes";
