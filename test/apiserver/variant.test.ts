// The dev stack with an ingress and a self-signed certificate, data deletion chosen, and the
// cluster's own csi-driver-nfs (installCsiDriver false), against a real kube-apiserver.
import { apiServerSuite } from "../support/apiserver-harness";
import { backupObjects } from "../support/dev-objects";

const NS = "jhub-apiserver-variant";

apiServerSuite({
    stack: "dev",
    namespace: NS,
    overrides: {
        "jupyterhub:ingress": { enabled: true, host: "hub.dev.example.org" },
        "jupyterhub:dataPolicy": "delete",
        "jupyterhub:nfs": { onDelete: "delete", installCsiDriver: false },
    },
    expected: [
        ...backupObjects({ inClusterDirectory: true, inClusterMysql: true }),
        "ConfigMap/jupyterhub-ldap-ca",
        "ConfigMap/nfs-server-scripts",
        "ConfigMap/openldap-config",
        "ConfigMap/openldap-sync",
        "Deployment/nfs-server",
        "Deployment/openldap",
        "Job/openldap-sync-<tree hash>",
        `Namespace/${NS}`,
        // The in-cluster NFS server's (privileged) namespace.
        `Namespace/${NS}-storage`,
        "NetworkPolicy/mysql",
        "NetworkPolicy/openldap",
        "NetworkPolicy/openldap-sync",
        `PersistentVolume/${NS}-shared`,
        "PersistentVolumeClaim/jupyterhub-shared",
        "PersistentVolumeClaim/mysql-data",
        "PersistentVolumeClaim/nfs-server-data",
        "PersistentVolumeClaim/openldap-data",
        "Secret/data-key",
        "Secret/hub-secrets",
        "Secret/jupyterhub-tls",
        "Secret/mysql-credentials",
        "Secret/openldap-bootstrap",
        "Secret/openldap-tls",
        "Service/mysql",
        "Service/nfs-server",
        "Service/openldap",
        // patched (automountServiceAccountToken: false), in the hub's and the storage namespace
        "ServiceAccount/default",
        "ServiceAccount/default",
        "StatefulSet/mysql",
        "StorageClass/jupyterhub-home",
    ],
});
