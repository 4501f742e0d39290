// The dev stack with `nfs.mode: storage-class` against a real kube-apiserver: the dev stack's
// objects but NFS storage's (no NFS server, driver, StorageClass, PersistentVolume or storage
// namespace); the shared and group shares' claims of the named class accepted beside the
// database's and the directory's.
import { apiServerSuite } from "../support/apiserver-harness";
import { devStackObjects, nfsStorageObjects } from "../support/dev-objects";

const NS = "jhub-apiserver-class";

apiServerSuite({
    stack: "dev",
    namespace: NS,
    overrides: {
        "jupyterhub:nfs": { mode: "storage-class", storageClass: "jhub-apiserver-rwx", shared: { readOnlyForUsers: true }, groupShares: ["course-101"] },
    },
    expected: devStackObjects(NS).filter((o) => !nfsStorageObjects(NS).includes(o)),
});
