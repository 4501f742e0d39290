// The NfsStorage component: the storage parts moved out of the hub's namespace first (release
// 0.1.0's layout, move.ts), then the in-cluster server (server.ts), the driver (csi-driver.ts),
// the home StorageClass and the static volumes (volumes.ts).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type DataPolicy, type NfsServerConfig } from "../../config";
import { dependsOnList, labels, ownerAnnotations } from "../common";
import { StorageMove } from "./move";
import { CSI_DRIVER, csiDriver } from "./csi-driver";
import { nfsServer } from "./server";
import { GROUP_SHARES_CLAIM, groupSharesPath, homeStorageClassSpec, SHARED_CLAIM, sharedSharePath, STATIC_VOLUME_SUFFIXES } from "./volumes";

/** The privileged parts' namespace, and the options of the objects kept there with the data. */
export interface StorageNamespace {
    name: string;
    /** Options of the objects `pulumi destroy` keeps with the data (ClusterAccess.keepStorage). */
    keep: pulumi.CustomResourceOptions;
}

/** The storage namespace with the move of 0.1.0's storage parts into it, which its objects wait for. */
export type MovedStorage = StorageNamespace & { move: StorageMove };

export interface NfsStorageArgs {
    /** The hub's namespace: the shared claims, which users' pods mount. */
    namespace: string;
    /** The namespace of the in-cluster NFS server and the driver (privileged pods); required with either. */
    storage?: StorageNamespace;
    /** Validated `nfs` config. */
    config: NfsServerConfig;
    /** "retain" keeps the server's disk and users' directories on `pulumi destroy`. */
    dataPolicy: DataPolicy;
    /** Options of the objects `pulumi destroy` keeps with the data (ClusterAccess.keep). */
    keep: pulumi.CustomResourceOptions;
}

/**
 * Home and shared storage on NFS: an optional in-cluster NFS server on a block volume,
 * csi-driver-nfs (maintained by Kubernetes SIG Storage) as provisioner, a StorageClass for
 * per-user homes and one ReadWriteMany claim mounted in every user pod.
 */
export class NfsStorage extends pulumi.ComponentResource {
    /** Address of the NFS server (in-cluster: the server Service's ClusterIP, which nodes can reach). */
    public readonly server: pulumi.Output<string>;
    /** Name of the StorageClass for home volumes. */
    public readonly homeStorageClass: pulumi.Output<string>;
    /** Name of the shared ReadWriteMany claim, or undefined when disabled. */
    public readonly sharedClaimName?: pulumi.Output<string>;
    /** Name of the group shares' ReadWriteMany claim, or undefined without nfs.groupShares. */
    public readonly groupSharesClaimName?: pulumi.Output<string>;

    constructor(name: string, args: NfsStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:NfsStorage", name, {}, opts);
        const cfg = args.config;
        const ns = args.namespace;
        const privileged = cfg.mode === "in-cluster" || cfg.installCsiDriver;
        if (privileged !== (args.storage !== undefined))
            throw new Error("NfsStorage: a storage namespace exactly when the in-cluster server or the driver runs");

        const storage = args.storage && this.moved(name, ns, args.storage, args);
        this.server = cfg.mode === "external" ? pulumi.output(cfg.server) : storage ? nfsServer(this, name, storage, cfg) : pulumi.output("");
        const driver = cfg.installCsiDriver && storage ? csiDriver(this, name, ns, storage, cfg) : [];
        this.homeStorageClass = this.homeClass(name, args, driver);

        if (cfg.shared.enabled) {
            this.sharedClaimName = this.staticClaim(
                `${name}-shared`,
                { ns, suffix: STATIC_VOLUME_SUFFIXES.shared, claim: SHARED_CLAIM, path: sharedSharePath(cfg) },
                cfg,
                driver,
                args.keep,
            );
        }
        if (cfg.groupShares.length > 0) {
            // One directory holds the groups' directories; each member's pod mounts its group's as a subPath.
            this.groupSharesClaimName = this.staticClaim(
                `${name}-group-shares`,
                { ns, suffix: STATIC_VOLUME_SUFFIXES.groupShares, claim: GROUP_SHARES_CLAIM, path: groupSharesPath(cfg) },
                cfg,
                driver,
                args.keep,
            );
        }

        this.registerOutputs({
            server: this.server,
            homeStorageClass: this.homeStorageClass,
            sharedClaimName: this.sharedClaimName,
            groupSharesClaimName: this.groupSharesClaimName,
        });
    }

    /** Release 0.1.0 ran the server and the driver in the hub's namespace: moved first (move.ts). */
    private moved(name: string, hubNamespace: string, storage: StorageNamespace, args: NfsStorageArgs): MovedStorage {
        const cfg = args.config;
        return {
            ...storage,
            move: new StorageMove(
                `${name}-move`,
                {
                    from: hubNamespace,
                    to: storage.name,
                    storageClass: cfg.homeStorageClass,
                    inClusterServer: cfg.mode === "in-cluster",
                    dataPolicy: args.dataPolicy,
                },
                { parent: this, dependsOn: dependsOnList(storage.keep) },
            ),
        };
    }

    /** The StorageClass of home volumes (homeStorageClassSpec), after the driver; returns its name. */
    private homeClass(name: string, args: NfsStorageArgs, driver: pulumi.Resource[]): pulumi.Output<string> {
        const cfg = args.config;
        const sc = new k8s.storage.v1.StorageClass(
            `${name}-home`,
            {
                metadata: { name: cfg.homeStorageClass, labels: labels("home-storage"), annotations: ownerAnnotations() },
                ...homeStorageClassSpec(cfg, args.dataPolicy, this.server),
            },
            { parent: this, dependsOn: driver },
        );
        return sc.metadata.name;
    }

    /**
     * A ReadWriteMany claim bound to a static PV for one fixed directory of the export, never
     * provisioned or deleted; both are kept with the data. Its size is informational for NFS
     * (Kubernetes requires one): the shared volume's.
     */
    private staticClaim(
        name: string,
        a: { ns: pulumi.Input<string>; suffix: string; claim: string; path: string },
        cfg: NfsServerConfig,
        driver: pulumi.Resource[],
        keep: pulumi.CustomResourceOptions,
    ): pulumi.Output<string> {
        const parent = { parent: this };
        const pv = new k8s.core.v1.PersistentVolume(
            name,
            {
                metadata: {
                    name: pulumi.interpolate`${a.ns}-${a.suffix}`,
                    labels: labels("shared-storage"),
                    annotations: ownerAnnotations(),
                },
                spec: {
                    capacity: { storage: cfg.shared.size },
                    accessModes: ["ReadWriteMany"],
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: "",
                    mountOptions: cfg.mountOptions,
                    csi: {
                        driver: CSI_DRIVER,
                        volumeHandle: pulumi.interpolate`${this.server}#${a.path}##`,
                        volumeAttributes: {
                            server: this.server,
                            share: a.path,
                        },
                    },
                },
            },
            // Retained with its claim: a bound PV cannot be deleted (pv-protection) while the claim exists.
            { ...parent, ...keep, dependsOn: [...driver, ...dependsOnList(keep)] },
        );
        const pvc = new k8s.core.v1.PersistentVolumeClaim(
            name,
            {
                metadata: { name: a.claim, namespace: a.ns, labels: labels("shared-storage") },
                spec: {
                    accessModes: ["ReadWriteMany"],
                    storageClassName: "",
                    volumeName: pv.metadata.name,
                    resources: { requests: { storage: cfg.shared.size } },
                },
            },
            { ...parent, ...keep },
        );
        return pvc.metadata.name;
    }
}
