// The prod stack's objects against a real kube-apiserver (see test/support/apiserver-harness.ts for what this covers):
// external NFS, directory and database, so only the driver, the storage and the hub's pieces.
import { apiServerSuite } from "../support/apiserver-harness";
import { backupObjects } from "../support/dev-objects";

const NS = "jhub-apiserver-prod";

apiServerSuite({
    stack: "prod",
    namespace: NS,
    secrets: { mysqlPassword: "prod-mysql-password", ldapBindPassword: "prod-search-password" },
    expected: [
        ...backupObjects({ inClusterDirectory: false, inClusterMysql: false }),
        "CSIDriver/nfs.csi.k8s.io",
        `ClusterRole/${NS}-nfs-external-provisioner`,
        `ClusterRole/${NS}-nfs-external-resizer`,
        `ClusterRoleBinding/${NS}-nfs-csi-provisioner-binding`,
        `ClusterRoleBinding/${NS}-nfs-csi-resizer-binding`,
        "ConfigMap/jupyterhub-ldap-ca",
        "DaemonSet/csi-nfs-node",
        "Deployment/csi-nfs-controller",
        `Namespace/${NS}`,
        // The driver's (privileged) namespace.
        `Namespace/${NS}-storage`,
        "NetworkPolicy/csi-nfs-controller",
        `PersistentVolume/${NS}-shared`,
        "PersistentVolumeClaim/jupyterhub-shared",
        "Secret/data-key",
        "Secret/hub-secrets",
        "ServiceAccount/csi-nfs-controller-sa",
        "ServiceAccount/csi-nfs-node-sa",
        // patched (automountServiceAccountToken: false), in the hub's and the storage namespace
        "ServiceAccount/default",
        "ServiceAccount/default",
        "StorageClass/jupyterhub-home",
    ],
});
