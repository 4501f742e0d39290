// What the stack needs of the cluster it goes to, which the preflight check reads there before
// anything is created (components/preflight/templates/check.yaml, `.Values.needs`): a class for
// each data claim, a Kubernetes version the chart and the program run on, the ingress's
// IngressClass, TLS Secret and host, csi-driver-nfs when the stack does not install it, and the
// ReadWriteMany class of homes and shared claims with `nfs.mode: storage-class`. Each
// of these failed only deep in an update before (a claim waiting five minutes for a volume, the
// chart refused after the database exists) or minutes later (homes never provisioned).
import type { PlatformConfig } from "../config";
import { toBytes } from "../lib/formats";
import { kubeVersionRule, type KubeVersionRule } from "../lib/kube-versions";
import { NS } from "../lib/schema";
import { type ClusterArgs, storageNamespaceOf } from "./cluster";
import { CSI_DRIVER } from "./storage";
import { hubPodSecurity } from "./pod-security";

/** A claim that holds data and takes its class from a config key (components/common.ts dataClaim). */
export interface DataClaim {
    /** The config key that names its class. */
    key: string;
    /** The class the key names; "" when unset: the cluster's default class. */
    storageClass: string;
    namespace: string;
    name: string;
    /** Other namespaces where the claim may be kept: the 0.1.0 layout's NFS disk, in the hub's. */
    keptIn: string[];
    /** The config key of its size, the size and the same in bytes (a kept claim cannot shrink, and grows only where its class allows). */
    sizeKey: string;
    size: string;
    bytes: number;
    /**
     * Whether a kept claim keeps its own class whatever the key says (the NFS server's disk, whose
     * class the storage move reads from the kept claim); else the key is applied to it, and a
     * claim's class cannot change.
     */
    keepsClass: boolean;
}

/** The claims of the stack whose class comes from the config: the database's, the directory's, the NFS server's disk. */
export function dataClaims(cfg: Pick<PlatformConfig, "namespace" | "nfs" | "mysql" | "ldap">): DataClaim[] {
    const ns = cfg.namespace;
    // The claim `name`, whose class and size are the keys `classKey` and `sizeKey` of `section`.
    const claim = (
        name: string,
        section: string,
        [classKey, storageClass]: [string, string?],
        [sizeKey, size]: [string, string],
        more: Partial<DataClaim> = {},
    ) => ({
        key: `${NS}:${section}.${classKey}`,
        storageClass: storageClass ?? "",
        namespace: ns,
        name,
        keptIn: [],
        keepsClass: false,
        sizeKey: `${NS}:${section}.${sizeKey}`,
        size,
        bytes: toBytes(size),
        ...more,
    });
    const [db, dir, nfs] = [cfg.mysql, cfg.ldap, cfg.nfs];
    return [
        ...(db.mode === "in-cluster" ? [claim("mysql-data", "mysql", ["storageClass", db.storageClass], ["storageSize", db.storageSize])] : []),
        ...(dir.mode === "in-cluster" ? [claim("openldap-data", "ldap", ["storageClass", dir.storageClass], ["storageSize", dir.storageSize])] : []),
        ...(nfs.mode === "in-cluster"
            ? [
                  claim("nfs-server-data", "nfs", ["serverStorageClass", nfs.serverStorageClass], ["serverStorageSize", nfs.serverStorageSize], {
                      namespace: storageNamespaceOf(cfg) ?? ns,
                      keptIn: [ns],
                      keepsClass: true,
                  }),
              ]
            : []),
    ];
}

/** Annotations by which cert-manager makes an Ingress's TLS Secret from the Ingress itself (ingress-shim). */
export const CERT_MANAGER_ANNOTATIONS = ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer", "kubernetes.io/tls-acme"];

/** What the hub's Ingress needs: its class, a Secret somebody else made, its host free. */
export interface IngressNeeds {
    namespace: string;
    host: string;
    /** ingress.className; "" when unset: the cluster's default IngressClass. */
    className: string;
    /**
     * ingress.tlsSecretName, which must exist in the namespace: "" when the program makes the
     * Secret (ingress.tlsCert, or self-signed) or cert-manager makes it from the Ingress.
     */
    tlsSecret: string;
}

export function ingressNeeds(cfg: Pick<PlatformConfig, "namespace" | "ingress">): IngressNeeds | undefined {
    const ingress = cfg.ingress;
    if (!ingress.enabled) return undefined;
    const byCertManager = CERT_MANAGER_ANNOTATIONS.some((a) => a in ingress.annotations);
    return { namespace: cfg.namespace, host: ingress.host, className: ingress.className ?? "", tlsSecret: byCertManager ? "" : (ingress.tlsSecretName ?? "") };
}

/**
 * Provisioners whose volumes one node mounts at a time (ReadWriteOnce, or ReadWriteMany only as raw
 * block devices, which a pod cannot share as a folder), from each driver's documentation: a class of
 * theirs cannot hold homes and shared folders that pods on any node mount. A list, because nothing
 * in the API says which access modes a provisioner serves (a StorageClass and a CSIDriver name none).
 */
export const SINGLE_NODE_PROVISIONERS = [
    "ebs.csi.aws.com",
    "kubernetes.io/aws-ebs",
    "pd.csi.storage.gke.io",
    "kubernetes.io/gce-pd",
    "disk.csi.azure.com",
    "kubernetes.io/azure-disk",
    "cinder.csi.openstack.org",
    "kubernetes.io/cinder",
    "rbd.csi.ceph.com",
    "dobs.csi.digitalocean.com",
    "csi.hetzner.cloud",
    "openebs.io/local",
    "topolvm.io",
];

/**
 * With `nfs.mode: storage-class`, the class every home and shared claim is made of: it must exist,
 * provision volumes (not `kubernetes.io/no-provisioner`) and not be of a provisioner known to serve
 * one node only. What the preflight cannot tell: whether a provisioner not in the list (a CSI
 * driver, local-path with or without `sharedFileSystemPath`) serves ReadWriteMany, and whether pods
 * on two nodes see the same files; a class that cannot leaves the shared claim Pending, and the
 * update fails on it.
 */
export interface SharedClassNeed {
    key: string;
    name: string;
    singleNode: string[];
}

export function sharedClassNeed(nfs: PlatformConfig["nfs"]): SharedClassNeed | undefined {
    if (nfs.mode !== "storage-class") return undefined;
    return { key: `${NS}:nfs.storageClass`, name: nfs.storageClass, singleNode: SINGLE_NODE_PROVISIONERS };
}

/** Everything the preflight reads of the cluster for this stack (ClusterArgs.needs). */
export interface ClusterNeeds {
    kube: KubeVersionRule;
    claims: DataClaim[];
    ingress?: IngressNeeds;
    /** The CSI driver home volumes need when the stack does not install it (nfs.installCsiDriver false). */
    csiDriver?: string;
    /** The existing ReadWriteMany class of homes and shared claims (nfs.mode "storage-class"). */
    sharedClass?: SharedClassNeed;
}

export function clusterNeeds(cfg: Pick<PlatformConfig, "namespace" | "nfs" | "mysql" | "ldap" | "ingress" | "allowUntestedKubernetes">): ClusterNeeds {
    return {
        kube: kubeVersionRule(cfg.allowUntestedKubernetes),
        claims: dataClaims(cfg),
        ingress: ingressNeeds(cfg),
        csiDriver: cfg.nfs.mode === "storage-class" || cfg.nfs.installCsiDriver ? undefined : CSI_DRIVER,
        sharedClass: sharedClassNeed(cfg.nfs),
    };
}

/** What ClusterAccess takes of the configuration (index.ts). */
export function clusterArgs(cfg: PlatformConfig): ClusterArgs {
    return { namespace: cfg.namespace, dataPolicy: cfg.dataPolicy, nfs: cfg.nfs, hub: cfg.hub, podSecurity: hubPodSecurity(cfg), needs: clusterNeeds(cfg) };
}
