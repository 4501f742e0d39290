// The dev stack with `nfs.mode: storage-class` against a real kube-apiserver: no NFS server,
// driver, StorageClass, PersistentVolume or storage namespace; the shared and group shares' claims
// of the named class accepted beside the database's and the directory's.
import { apiServerSuite } from "../support/apiserver-harness";
import { backupObjects } from "../support/dev-objects";

const NS = "jhub-apiserver-class";

apiServerSuite({
    stack: "dev",
    namespace: NS,
    overrides: {
        "jupyterhub:nfs": { mode: "storage-class", storageClass: "jhub-apiserver-rwx", shared: { readOnlyForUsers: true }, groupShares: ["course-101"] },
    },
    expected: [
        ...backupObjects({ inClusterDirectory: true, inClusterMysql: true }),
        "ConfigMap/jupyterhub-ldap-ca",
        "ConfigMap/openldap-config",
        "ConfigMap/openldap-sync",
        "Deployment/openldap",
        "Job/openldap-sync-<tree hash>",
        `Namespace/${NS}`,
        "NetworkPolicy/mysql",
        "NetworkPolicy/openldap",
        "PersistentVolumeClaim/jupyterhub-group-shares",
        "PersistentVolumeClaim/jupyterhub-shared",
        "PersistentVolumeClaim/mysql-data",
        "PersistentVolumeClaim/openldap-data",
        "Secret/data-key",
        "Secret/hub-secrets",
        "Secret/mysql-credentials",
        "Secret/openldap-bootstrap",
        "Secret/openldap-tls",
        "Service/mysql",
        "Service/openldap",
        "StatefulSet/mysql",
    ],
});
