// The Kubernetes objects the dev stack registers outside the chart, for tests that look for them
// in a real API server. One list, so that the engine test and the API-server test cannot drift.

/** Kinds that live outside any namespace. */
export const CLUSTER_SCOPED_KINDS = ["Namespace", "CSIDriver", "ClusterRole", "ClusterRoleBinding", "StorageClass", "PersistentVolume"];

/** Kind/name of every object; the LDAP sync Job's name ends in a hash of the tree. */
export function devStackObjects(ns: string): string[] {
    return [
        "CSIDriver/nfs.csi.k8s.io",
        `ClusterRole/${ns}-nfs-external-provisioner`,
        `ClusterRoleBinding/${ns}-nfs-csi-provisioner-binding`,
        "ConfigMap/jupyterhub-ldap-ca",
        "ConfigMap/openldap-sync",
        "DaemonSet/csi-nfs-node",
        "Deployment/csi-nfs-controller",
        "Deployment/nfs-server",
        "Deployment/openldap",
        "Job/openldap-sync-<tree hash>",
        `Namespace/${ns}`,
        "NetworkPolicy/mysql",
        "NetworkPolicy/openldap",
        `PersistentVolume/${ns}-group-shares`,
        `PersistentVolume/${ns}-shared`,
        "PersistentVolumeClaim/jupyterhub-group-shares",
        "PersistentVolumeClaim/jupyterhub-shared",
        "PersistentVolumeClaim/mysql-data",
        "PersistentVolumeClaim/nfs-server-data",
        "PersistentVolumeClaim/openldap-data",
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
