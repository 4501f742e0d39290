// The dev stack's objects against a real kube-apiserver (see harness.ts for what this covers).
import { apiServerSuite } from "./harness";

const NS = "jhub-apiserver";

apiServerSuite({
    stack: "dev",
    namespace: NS,
    expected: [
        "CSIDriver/nfs.csi.k8s.io",
        `ClusterRole/${NS}-nfs-external-provisioner`,
        `ClusterRoleBinding/${NS}-nfs-csi-provisioner-binding`,
        "ConfigMap/jupyterhub-ldap-ca",
        "ConfigMap/openldap-sync",
        "DaemonSet/csi-nfs-node",
        "Deployment/csi-nfs-controller",
        "Deployment/nfs-server",
        "Deployment/openldap",
        "Job/openldap-sync-<tree hash>",
        `Namespace/${NS}`,
        "NetworkPolicy/mysql",
        "NetworkPolicy/openldap",
        `PersistentVolume/${NS}-shared`,
        "PersistentVolumeClaim/jupyterhub-shared",
        "PersistentVolumeClaim/mysql-data",
        "PersistentVolumeClaim/nfs-server-data",
        "PersistentVolumeClaim/openldap-data",
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
    ],
});
