import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { DataPolicy, HubConfig, NfsConfig } from "../config";
import { PRIVILEGED_REASON } from "../lib/pods";
import type { ClusterNeeds } from "./cluster-needs";
import { labels, OWNER_ANNOTATION, ownerAnnotations, stackOwner } from "./common";
import { CSI_DRIVER, STATIC_VOLUME_SUFFIXES } from "./storage";
import { type HubPodSecurity, podSecurityLabels, storageNamespaceName } from "./pod-security";

/** What the cluster access reads of the config: where the stack lives and which names it takes. */
export interface ClusterArgs {
    namespace: string;
    dataPolicy: DataPolicy;
    nfs: NfsConfig;
    /** The chart version the update moves the hub to, and the one downgrade allowed. */
    hub: Pick<HubConfig, "chartVersion" | "allowDowngradeFrom">;
    /** The Pod Security level of the hub's namespace (hubPodSecurity). */
    podSecurity: HubPodSecurity;
    /** What the stack needs of the cluster (clusterNeeds): checked by the preflight with the names. */
    needs: ClusterNeeds;
}

/**
 * The namespace of the privileged storage parts (the in-cluster NFS server, csi-driver-nfs), or
 * undefined when the stack runs none (an external server and a driver installed by somebody else).
 */
export function storageNamespaceOf(cfg: { namespace: string; nfs: { mode: NfsConfig["mode"]; installCsiDriver?: boolean } }): string | undefined {
    // nfs.mode "storage-class": nothing privileged, the cluster's provisioner serves the volumes.
    return cfg.nfs.mode === "in-cluster" || cfg.nfs.installCsiDriver === true ? storageNamespaceName(cfg.namespace) : undefined;
}

/** A name the stack takes in the cluster, and what to do when somebody else holds it. */
export interface ClaimedName {
    apiVersion: string;
    kind: string;
    namespace?: string;
    name: string;
    fix: string;
}

/**
 * The names another stack or another installation could already hold. Names derived from the
 * namespace (the shared PV, the driver's and the chart's cluster roles and priority classes) are
 * unique once the namespace is this stack's.
 */
export function claimedNames(cfg: Pick<ClusterArgs, "namespace" | "nfs">): ClaimedName[] {
    const names: ClaimedName[] = [
        {
            apiVersion: "v1",
            kind: "Namespace",
            name: cfg.namespace,
            fix: "Give this stack a namespace of its own (jupyterhub:namespace), or delete that namespace if it is a leftover.",
        },
        ...[storageNamespaceOf(cfg)].flatMap((name) =>
            name === undefined
                ? []
                : [
                      {
                          apiVersion: "v1",
                          kind: "Namespace",
                          name,
                          fix: `It is the storage namespace of jupyterhub:namespace "${cfg.namespace}": give this stack another namespace, or delete that one if it is a leftover.`,
                      },
                  ],
        ),
    ];
    // With nfs.mode "storage-class" the stack makes no StorageClass and no driver: it uses the cluster's.
    if (cfg.nfs.mode === "storage-class") return names;
    names.push({
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        name: cfg.nfs.homeStorageClass,
        fix: "Give this stack a home StorageClass name of its own (jupyterhub:nfs.homeStorageClass).",
    });
    if (cfg.nfs.installCsiDriver) {
        names.push({
            apiVersion: "storage.k8s.io/v1",
            kind: "CSIDriver",
            name: CSI_DRIVER,
            fix: "The cluster already runs csi-driver-nfs: set jupyterhub:nfs.installCsiDriver to false to use it.",
        });
    }
    return names;
}

/** The static volumes the stack names by their NFS directory (storage/nfs-storage.ts, staticClaim). */
export const staticVolumeNames = (namespace: string) => Object.values(STATIC_VOLUME_SUFFIXES).map((suffix) => `${namespace}-${suffix}`);

/**
 * What the preflight check reads to find volumes from an earlier life of the stack that name an NFS
 * server address it no longer serves (templates/check.yaml): an external server's address is the
 * config's; the in-cluster server's is looked up where the next update takes it from.
 */
export function volumeCheck(cfg: Pick<ClusterArgs, "namespace" | "nfs">) {
    // No NFS server, no address to check (templates/check.yaml reads `volumes` only when given).
    if (cfg.nfs.mode === "storage-class") return undefined;
    return {
        staticVolumes: staticVolumeNames(cfg.namespace),
        storageClass: cfg.nfs.homeStorageClass,
        ...(cfg.nfs.mode === "external"
            ? { address: cfg.nfs.server, serviceNamespaces: [] }
            : { serviceNamespaces: [storageNamespaceOf(cfg) ?? cfg.namespace, cfg.namespace] }),
    };
}

/** The preflight chart's values (templates/check.yaml) for this stack (`owner`: stackOwner()). */
export function preflightValues(cfg: ClusterArgs, owner: string) {
    return {
        owner,
        annotation: OWNER_ANNOTATION,
        objects: claimedNames(cfg),
        volumes: volumeCheck(cfg),
        hub: { namespace: cfg.namespace, chartVersion: cfg.hub.chartVersion, allowDowngradeFrom: cfg.hub.allowDowngradeFrom ?? "" },
        needs: cfg.needs,
    };
}

/** Relative to the project directory, where the engine starts the provider: the same on every machine. */
const PREFLIGHT_CHART = "components/preflight";

/**
 * Where the stack lives and how the program talks to it: a check that no name the stack needs
 * belongs to somebody else, the namespace, and the providers. Every object waits for the check
 * and the namespace through its provider, so a refused name stops the update before anything
 * exists. Two provider instances only because the check and the namespace cannot wait for
 * themselves; both are configured alike.
 *
 * Creating an object that exists takes it over (upsertExistingObjects). Once the check has shown
 * that the namespace and the cluster-wide names are this stack's, an existing object of the same
 * name is this stack's own: kept by a retaining `pulumi destroy`, or made by an update that was
 * killed before the state recorded it. Server-side apply then forces its fields (enablePatchForce):
 * such an object carries another field manager, the earlier update's, whose fields would
 * otherwise conflict. Mind it when renaming a resource: give it an alias, or the new name takes
 * the object over and the old name's delete then removes it.
 *
 * Secrets and ConfigMaps are updated in place (enableSecretMutable, enableConfigMapMutable): the
 * chart's and the program's are fixed names that the hub and the directory read, so the
 * provider's default (replace on any data change) would create a second object of the same name;
 * the chart's checksum annotations roll the pods that read them instead.
 */
/** How both providers are configured (above). */
export const PROVIDER_SETTINGS = { enableSecretMutable: true, enableConfigMapMutable: true, upsertExistingObjects: true, enablePatchForce: true };

export class ClusterAccess extends pulumi.ComponentResource {
    /** For every object the program and the chart create. */
    public readonly provider: k8s.Provider;
    public readonly namespace: k8s.core.v1.Namespace;
    /** The privileged storage parts' namespace (storageNamespaceOf), when the stack runs any. */
    public readonly storageNamespace?: k8s.core.v1.Namespace;
    /** For the check, the namespaces and the objects a retaining `pulumi destroy` leaves behind. */
    private readonly adoptProvider: k8s.Provider;

    constructor(name: string, cfg: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:ClusterAccess", name, {}, opts);
        this.adoptProvider = new k8s.Provider(`${name}-adopt`, PROVIDER_SETTINGS, { parent: this });
        const preflight = new k8s.helm.v4.Chart(
            `${name}-preflight`,
            {
                chart: PREFLIGHT_CHART,
                namespace: cfg.namespace,
                values: preflightValues(cfg, stackOwner()),
            },
            { parent: this, provider: this.adoptProvider },
        );
        // With data retained, the namespace outlives `pulumi destroy`: deleting it would take the
        // users' home claims (created by the hub, unknown to Pulumi) and the database volume with it.
        const kept = { parent: this, provider: this.adoptProvider, dependsOn: [preflight], retainOnDelete: cfg.dataPolicy === "retain" };
        // The hub's ServiceAccount creates pods here: Pod Security admission refuses privileged
        // and host-path pods (pod-security.ts decides the level from the config).
        this.namespace = new k8s.core.v1.Namespace(
            "namespace",
            {
                metadata: {
                    name: cfg.namespace,
                    labels: { ...labels("namespace"), ...podSecurityLabels(cfg.podSecurity) },
                    annotations: ownerAnnotations(),
                },
            },
            kept,
        );
        const storage = storageNamespaceOf(cfg);
        if (storage !== undefined) {
            // Kept with the hub's: it holds the NFS server's disk and the address home volumes name.
            this.storageNamespace = new k8s.core.v1.Namespace(
                "storage-namespace",
                {
                    metadata: {
                        name: storage,
                        labels: { ...labels("storage-namespace"), ...podSecurityLabels({ enforce: "privileged" }) },
                        annotations: {
                            ...ownerAnnotations(),
                            [PRIVILEGED_REASON]: "the kernel NFS server and csi-driver-nfs run privileged, with host paths and the host's network",
                        },
                    },
                },
                kept,
            );
        }
        const namespaces = [this.namespace, ...(this.storageNamespace ? [this.storageNamespace] : [])];
        this.provider = new k8s.Provider(`${name}`, PROVIDER_SETTINGS, { parent: this, dependsOn: namespaces });
        // A pod without a ServiceAccount of its own (z2jh's proxy) gets its namespace's default one:
        // no token unless the pod asks for it (server-side apply of this one field).
        for (const [role, ns] of [
            ["default", this.namespace],
            ["storage-default", this.storageNamespace],
        ] as const) {
            if (!ns) continue;
            new k8s.core.v1.ServiceAccountPatch(
                `${name}-${role}-sa`,
                { metadata: { name: "default", namespace: ns.metadata.name }, automountServiceAccountToken: false },
                { parent: this, provider: this.provider },
            );
        }
        this.registerOutputs({});
    }

    /**
     * Options for an object that holds data or names the data's location: retained by
     * `pulumi destroy` unless the data policy is "delete", and taken back by the next `pulumi up`.
     */
    public keep(policy: DataPolicy): pulumi.CustomResourceOptions {
        return { provider: this.adoptProvider, dependsOn: [this.namespace], retainOnDelete: policy === "retain" };
    }

    /** The same for the objects of the storage namespace (undefined without one). */
    public keepStorage(policy: DataPolicy): pulumi.CustomResourceOptions | undefined {
        if (!this.storageNamespace) return undefined;
        return { provider: this.adoptProvider, dependsOn: [this.storageNamespace], retainOnDelete: policy === "retain" };
    }
}
