// The ClassStorage component (`nfs.mode: storage-class`): no NFS server, no driver and no class of
// the stack's own; homes, the shared volume and the group shares are claims of an existing
// ReadWriteMany StorageClass (EFS, Filestore, Azure Files, CephFS, Longhorn...), whose provisioner
// makes and mounts them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type ClassStorageConfig } from "../../config";
import { labels } from "../common";
import { GROUP_SHARES_CLAIM, SHARED_CLAIM } from "./volumes";

export interface ClassStorageArgs {
    /** The hub's namespace: the shared claims, which users' pods mount. */
    namespace: string;
    /** Validated `nfs` config of the mode `storage-class`. */
    config: ClassStorageConfig;
    /** Options of the objects `pulumi destroy` keeps with the data (ClusterAccess.keep). */
    keep: pulumi.CustomResourceOptions;
}

/** A shared claim's spec: ReadWriteMany, of the class, its size requested. Pure. */
export function sharedClaimSpec(storageClass: string, size: string) {
    return { accessModes: ["ReadWriteMany"], storageClassName: storageClass, resources: { requests: { storage: size } } };
}

/**
 * Home and shared storage on an existing ReadWriteMany StorageClass. Homes are the chart's dynamic
 * claims of the class (one per user, made by KubeSpawner); the shared volume and the group shares
 * (one directory a group, mounted by subPath as on NFS; the kubelet makes a missing one with the
 * mode of the volume's root) are ReadWriteMany claims of it in the hub's namespace, kept with the
 * data by a retaining `pulumi destroy`. The backups' claim (components/backup.ts) is of the class
 * too (`homeStorageClass`). What the class must offer: README.md, "Storage on an existing class".
 */
export class ClassStorage extends pulumi.ComponentResource {
    /** No NFS server: always "" (the stack output nfsServer is empty). */
    public readonly server: pulumi.Output<string>;
    /** The class of homes (and of the backup claim): nfs.storageClass. */
    public readonly homeStorageClass: pulumi.Output<string>;
    /** Name of the shared ReadWriteMany claim, or undefined when disabled. */
    public readonly sharedClaimName?: pulumi.Output<string>;
    /** Name of the group shares' ReadWriteMany claim, or undefined without nfs.groupShares. */
    public readonly groupSharesClaimName?: pulumi.Output<string>;

    constructor(name: string, args: ClassStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:ClassStorage", name, {}, opts);
        const cfg = args.config;
        this.server = pulumi.output("");
        this.homeStorageClass = pulumi.output(cfg.storageClass);
        if (cfg.shared.enabled) this.sharedClaimName = this.claim(`${name}-shared`, SHARED_CLAIM, args);
        // One claim holds the groups' directories; each member's pod mounts its group's as a subPath.
        if (cfg.groupShares.length > 0) this.groupSharesClaimName = this.claim(`${name}-group-shares`, GROUP_SHARES_CLAIM, args);
        this.registerOutputs({
            server: this.server,
            homeStorageClass: this.homeStorageClass,
            sharedClaimName: this.sharedClaimName,
            groupSharesClaimName: this.groupSharesClaimName,
        });
    }

    /** A ReadWriteMany claim of the class, the shared volume's size, kept with the data; returns its name. */
    private claim(name: string, claimName: string, args: ClassStorageArgs): pulumi.Output<string> {
        const cfg = args.config;
        const pvc = new k8s.core.v1.PersistentVolumeClaim(
            name,
            {
                metadata: { name: claimName, namespace: args.namespace, labels: labels("shared-storage") },
                spec: sharedClaimSpec(cfg.storageClass, cfg.shared.size),
            },
            { parent: this, ...args.keep },
        );
        return pvc.metadata.name;
    }
}
