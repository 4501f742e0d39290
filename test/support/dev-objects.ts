// The Kubernetes objects the dev stack registers outside the chart, for tests that look for them
// in a real API server. One list, so that the engine test and the API-server test cannot drift.

/** Kinds that live outside any namespace. */
export const CLUSTER_SCOPED_KINDS = ["Namespace", "CSIDriver", "ClusterRole", "ClusterRoleBinding", "StorageClass", "PersistentVolume"];

/**
 * The backups' objects (components/backup.ts) with the default chart version and MySQL image;
 * the directory's CronJob and policies only with an in-cluster directory, the policy admitting
 * the backups to MySQL only with an in-cluster server.
 */
export function backupObjects(p: { inClusterDirectory: boolean; inClusterMysql: boolean }): string[] {
    return [
        "ConfigMap/backup-scripts",
        "CronJob/backup-hub-db",
        "Job/hub-db-before-chart-4-4-0-mysql-8-4-7",
        "NetworkPolicy/backup-hub-db",
        "PersistentVolumeClaim/backups",
        "Secret/backup-hub-db",
        ...(p.inClusterMysql ? ["NetworkPolicy/backup-to-mysql"] : []),
        ...(p.inClusterDirectory ? ["CronJob/backup-directory", "NetworkPolicy/backup-directory", "NetworkPolicy/backup-to-openldap"] : []),
    ];
}

/** The objects of the storage namespace (`<namespace>-storage`): the in-cluster NFS server and csi-driver-nfs. */
export const STORAGE_OBJECTS = [
    "ConfigMap/nfs-server-scripts",
    "DaemonSet/csi-nfs-node",
    "Deployment/csi-nfs-controller",
    "Deployment/nfs-server",
    "PersistentVolumeClaim/nfs-server-data",
    "Service/nfs-server",
    "ServiceAccount/csi-nfs-controller-sa",
    "ServiceAccount/csi-nfs-node-sa",
];

/** The objects of NFS storage (components/storage/nfs-storage.ts), which `nfs.mode: storage-class` has none of. */
export function nfsStorageObjects(ns: string): string[] {
    return [
        ...STORAGE_OBJECTS,
        `Namespace/${ns}-storage`,
        "CSIDriver/nfs.csi.k8s.io",
        `ClusterRole/${ns}-nfs-external-provisioner`,
        `ClusterRole/${ns}-nfs-external-resizer`,
        `ClusterRoleBinding/${ns}-nfs-csi-provisioner-binding`,
        `ClusterRoleBinding/${ns}-nfs-csi-resizer-binding`,
        `PersistentVolume/${ns}-group-shares`,
        `PersistentVolume/${ns}-shared`,
        "StorageClass/jupyterhub-home",
    ];
}

/** The namespace a namespaced object of the dev stack lives in, given the hub's. */
export function namespaceOf(object: string, ns: string): string {
    return STORAGE_OBJECTS.includes(object) ? `${ns}-storage` : ns;
}

/** Kind/name of every object; the LDAP sync Job's name ends in a hash of the tree. */
export function devStackObjects(ns: string): string[] {
    return [
        ...backupObjects({ inClusterDirectory: true, inClusterMysql: true }),
        "CSIDriver/nfs.csi.k8s.io",
        `ClusterRole/${ns}-nfs-external-provisioner`,
        `ClusterRole/${ns}-nfs-external-resizer`,
        `ClusterRoleBinding/${ns}-nfs-csi-provisioner-binding`,
        `ClusterRoleBinding/${ns}-nfs-csi-resizer-binding`,
        "ConfigMap/jupyterhub-ldap-ca",
        "ConfigMap/nfs-server-scripts",
        "ConfigMap/openldap-config",
        "ConfigMap/openldap-sync",
        "DaemonSet/csi-nfs-node",
        "Deployment/csi-nfs-controller",
        "Deployment/nfs-server",
        "Deployment/openldap",
        "Job/openldap-sync-<tree hash>",
        `Namespace/${ns}`,
        `Namespace/${ns}-storage`,
        "NetworkPolicy/mysql",
        "NetworkPolicy/openldap",
        `PersistentVolume/${ns}-group-shares`,
        `PersistentVolume/${ns}-shared`,
        "PersistentVolumeClaim/jupyterhub-group-shares",
        "PersistentVolumeClaim/jupyterhub-shared",
        "PersistentVolumeClaim/mysql-data",
        "PersistentVolumeClaim/nfs-server-data",
        "PersistentVolumeClaim/openldap-data",
        "Secret/data-key",
        "Secret/hub-secrets",
        "Secret/mysql-credentials",
        "Secret/openldap-bootstrap",
        "Secret/openldap-tls",
        "Service/mysql",
        "Service/nfs-server",
        "Service/openldap",
        "ServiceAccount/csi-nfs-controller-sa",
        "ServiceAccount/csi-nfs-node-sa",
        "StatefulSet/mysql",
        "StorageClass/jupyterhub-home",
    ];
}
