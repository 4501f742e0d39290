// What users' pods mount: the StorageClass of home volumes and the static volumes of the shared
// directory and the group shares, with where they lie on the NFS export. Pure.
import { GROUP_SHARES, type DataPolicy, type NfsConfig, type NfsServerConfig } from "../../config";
import { CSI_DRIVER } from "./csi-driver";

/** Name of the ReadWriteMany claim mounted in every user pod. */
export const SHARED_CLAIM = "jupyterhub-shared";

/** Name of the ReadWriteMany claim holding every group share, mounted (one subPath per group) in members' pods. */
export const GROUP_SHARES_CLAIM = "jupyterhub-group-shares";

/** The static volumes are named `<namespace>-<suffix>` (cluster-scoped, unique once the namespace is the stack's). */
export const STATIC_VOLUME_SUFFIXES = { shared: "shared", groupShares: "group-shares" } as const;

/** The StorageClass of users' homes: the stack's NFS class, or the existing class of `nfs.mode: storage-class`. */
export function homeClassOf(nfs: NfsConfig): string {
    return nfs.mode === "storage-class" ? nfs.storageClass : nfs.homeStorageClass;
}

/**
 * StorageClass for per-user home volumes. Each volume is a directory named after its claim
 * (`<namespace>-claim-<user>`), so an operator can find a user's files on the server.
 * With data retained, PVs outlive their claims and csi-driver-nfs never deletes directories.
 */
export function homeStorageClassSpec<S>(cfg: NfsServerConfig, dataPolicy: DataPolicy, server: S) {
    return {
        provisioner: CSI_DRIVER,
        reclaimPolicy: dataPolicy === "retain" ? "Retain" : "Delete",
        volumeBindingMode: "Immediate",
        allowVolumeExpansion: true,
        mountOptions: cfg.mountOptions,
        parameters: {
            server,
            share: cfg.mode === "in-cluster" ? "/" : cfg.path,
            subDir: "${pvc.metadata.namespace}-${pvc.metadata.name}",
            onDelete: cfg.onDelete,
            mountPermissions: cfg.mountPermissions,
        },
    };
}

/** The NFS path of the shared volume, as the server exports it. */
export function sharedSharePath(cfg: NfsServerConfig): string {
    const base = cfg.mode === "in-cluster" ? "/" : cfg.path;
    return `${base.replace(/\/+$/, "")}/${cfg.shared.subPath}`;
}

/** The NFS path of the directory holding one directory per group share. */
export function groupSharesPath(cfg: NfsServerConfig): string {
    const base = cfg.mode === "in-cluster" ? "/" : cfg.path;
    return `${base.replace(/\/+$/, "")}/${GROUP_SHARES.dir}`;
}
