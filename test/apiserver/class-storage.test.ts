// The dev stack with `nfs.mode: storage-class` against a real kube-apiserver: the dev stack's
// objects but NFS storage's (no NFS server, driver, StorageClass, PersistentVolume or storage
// namespace); the shared and group shares' claims of the named class accepted beside the
// database's and the directory's.
import { apiServerSuite } from "../support/apiserver-harness";
import { devStackObjects, nfsStorageObjects } from "../support/dev-objects";

const NS = "jhub-apiserver-class";

/** The list without one occurrence of an entry. */
const withoutOne = (list: string[], entry: string) => list.filter((o, i) => o !== entry || i !== list.indexOf(entry));

apiServerSuite({
    stack: "dev",
    namespace: NS,
    overrides: {
        "jupyterhub:nfs": { mode: "storage-class", storageClass: "jhub-apiserver-rwx", shared: { readOnlyForUsers: true }, groupShares: ["course-101"] },
    },
    // No storage namespace, so one default ServiceAccount patched (the hub's), not two.
    expected: withoutOne(
        devStackObjects(NS).filter((o) => !nfsStorageObjects(NS).includes(o)),
        "ServiceAccount/default",
    ),
});
