import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { GROUP_SHARES, type DataPolicy, type InClusterNfs, type NfsConfig } from "../config";
import { PRIVILEGED_REASON } from "../lib/pods";
import { dataClaim, dependsOnList, labels, ownerAnnotations, toEnv } from "./common";
import { readScript } from "./scripts";
import { StorageMove } from "./storage-move";

/** Name of the ReadWriteMany claim mounted in every user pod. */
export const SHARED_CLAIM = "jupyterhub-shared";

/** Name of the ReadWriteMany claim holding every group share, mounted (one subPath per group) in members' pods. */
export const GROUP_SHARES_CLAIM = "jupyterhub-group-shares";

/** The CSI driver name registered by csi-driver-nfs. */
export const CSI_DRIVER = "nfs.csi.k8s.io";
/** The static volumes are named `<namespace>-<suffix>` (cluster-scoped, unique once the namespace is the stack's). */
export const STATIC_VOLUME_SUFFIXES = { shared: "shared", groupShares: "group-shares" } as const;

/** Sidecar images that ship with csi-driver-nfs v4.12.1 (its deploy/v4.12.1 manifests and chart values; docs/images.md). */
export const CSI_SIDECARS = {
    provisioner: "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0",
    resizer: "registry.k8s.io/sig-storage/csi-resizer:v1.14.0",
    registrar: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.15.0",
    liveness: "registry.k8s.io/sig-storage/livenessprobe:v2.17.0",
} as const;

/**
 * StorageClass for per-user home volumes. Each volume is a directory named after its claim
 * (`<namespace>-claim-<user>`), so an operator can find a user's files on the server.
 * With data retained, PVs outlive their claims and csi-driver-nfs never deletes directories.
 */
export function homeStorageClassSpec<S>(cfg: NfsConfig, dataPolicy: DataPolicy, server: S) {
    return {
        provisioner: CSI_DRIVER,
        reclaimPolicy: dataPolicy === "retain" ? "Retain" : "Delete",
        volumeBindingMode: "Immediate",
        allowVolumeExpansion: true,
        mountOptions: cfg.mountOptions,
        parameters: {
            server,
            share: cfg.mode === "in-cluster" ? "/" : cfg.path,
            subDir: "${pvc.metadata.namespace}-${pvc.metadata.name}",
            onDelete: cfg.onDelete,
            mountPermissions: cfg.mountPermissions,
        },
    };
}

/** The NFS path of the shared volume, as the server exports it. */
export function sharedSharePath(cfg: NfsConfig): string {
    const base = cfg.mode === "in-cluster" ? "/" : cfg.path;
    return `${base.replace(/\/+$/, "")}/${cfg.shared.subPath}`;
}

/** The NFS path of the directory holding one directory per group share. */
export function groupSharesPath(cfg: NfsConfig): string {
    const base = cfg.mode === "in-cluster" ? "/" : cfg.path;
    return `${base.replace(/\/+$/, "")}/${GROUP_SHARES.dir}`;
}

/** The in-cluster server's init script, in components/scripts/ and in the ConfigMap `nfs-server-scripts`. */
export const PREPARE_EXPORTS_SCRIPT = "prepare-exports.sh";

/**
 * Environment of the in-cluster server's init script (components/scripts/prepare-exports.sh): the
 * shared directory and each group share's directory, made writable by users' pods (which all run
 * as the same user). Names are validated plain names, so a space separates them.
 */
export function prepareExportsEnv(cfg: NfsConfig, root = "/exports"): Record<string, string> {
    const groupDirs = cfg.groupShares.length > 0 ? [GROUP_SHARES.dir, ...cfg.groupShares.map((g) => `${GROUP_SHARES.dir}/${g}`)] : [];
    return { EXPORT_ROOT: root, EXPORT_DIRS: [cfg.shared.subPath, ...groupDirs].join(" ") };
}

/** The privileged parts' namespace, and the options of the objects kept there with the data. */
export interface StorageNamespace {
    name: string;
    /** Options of the objects `pulumi destroy` keeps with the data (ClusterAccess.keepStorage). */
    keep: pulumi.CustomResourceOptions;
}

type MovedStorage = StorageNamespace & { move: StorageMove };

export interface NfsStorageArgs {
    /** The hub's namespace: the shared claims, which users' pods mount. */
    namespace: string;
    /** The namespace of the in-cluster NFS server and the driver (privileged pods); required with either. */
    storage?: StorageNamespace;
    /** Validated `nfs` config. */
    config: NfsConfig;
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
        const parent = { parent: this };
        const privileged = cfg.mode === "in-cluster" || cfg.installCsiDriver;
        if (privileged !== (args.storage !== undefined))
            throw new Error("NfsStorage: a storage namespace exactly when the in-cluster server or the driver runs");

        // Release 0.1.0 ran the server and the driver in the hub's namespace: moved first (storage-move.ts).
        const storage = args.storage && {
            ...args.storage,
            move: new StorageMove(
                `${name}-move`,
                {
                    from: ns,
                    to: args.storage.name,
                    storageClass: cfg.homeStorageClass,
                    inClusterServer: cfg.mode === "in-cluster",
                    dataPolicy: args.dataPolicy,
                },
                { ...parent, dependsOn: dependsOnList(args.storage.keep) },
            ),
        };

        this.server = cfg.mode === "external" ? pulumi.output(cfg.server) : storage ? this.inClusterServer(name, storage, cfg) : pulumi.output("");

        const driver = cfg.installCsiDriver && storage ? this.csiDriver(name, ns, storage, cfg) : [];

        const sc = new k8s.storage.v1.StorageClass(
            `${name}-home`,
            {
                metadata: { name: cfg.homeStorageClass, labels: labels("home-storage"), annotations: ownerAnnotations() },
                ...homeStorageClassSpec(cfg, args.dataPolicy, this.server),
            },
            { ...parent, dependsOn: driver },
        );
        this.homeStorageClass = sc.metadata.name;

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

    /**
     * A ReadWriteMany claim bound to a static PV for one fixed directory of the export, never
     * provisioned or deleted; both are kept with the data. Its size is informational for NFS
     * (Kubernetes requires one): the shared volume's.
     */
    private staticClaim(
        name: string,
        a: { ns: pulumi.Input<string>; suffix: string; claim: string; path: string },
        cfg: NfsConfig,
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

    /**
     * NFS server on a block volume; returns the Service's ClusterIP. The Service is kept with the
     * data: home volumes name the server by that address (immutably), so it must survive a
     * retaining `pulumi destroy` for the next `pulumi up` to mount them again.
     */
    private inClusterServer(name: string, storage: MovedStorage, cfg: InClusterNfs): pulumi.Output<string> {
        const move = storage.move;
        const parent = { parent: this, dependsOn: [move] };
        const ns = storage.name;
        const keep = { ...storage.keep, dependsOn: [...dependsOnList(storage.keep), move] };
        const lbl = labels("nfs-server");
        // The server's disk holds every home directory and the shared data. A stack moved from
        // 0.1.0 binds the volume it had (and its class); a new one is given a volume.
        const data = dataClaim(
            `${name}-server-data`,
            {
                name: "nfs-server-data",
                namespace: ns,
                labels: lbl,
                storageClass: move.fact("storageClassName").apply((c) => c ?? cfg.serverStorageClass),
                size: cfg.serverStorageSize,
                volumeName: move.fact("volumeName"),
            },
            this,
            keep,
        );
        const scripts = new k8s.core.v1.ConfigMap(
            `${name}-server-scripts`,
            { metadata: { name: "nfs-server-scripts", namespace: ns, labels: lbl }, data: { [PREPARE_EXPORTS_SCRIPT]: readScript(PREPARE_EXPORTS_SCRIPT) } },
            parent,
        );
        const ports = [
            { name: "nfs", port: 2049 },
            { name: "mountd", port: 20048 },
            { name: "rpcbind", port: 111 },
        ];
        new k8s.apps.v1.Deployment(
            `${name}-server`,
            {
                metadata: { name: "nfs-server", namespace: ns, labels: lbl },
                spec: {
                    replicas: 1,
                    // Two servers on one RWO disk would corrupt it.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: lbl },
                    template: {
                        metadata: { labels: lbl, annotations: { [PRIVILEGED_REASON]: "kernel NFS server: starts nfsd and exports a directory" } },
                        spec: {
                            initContainers: [
                                {
                                    name: "prepare-shared",
                                    image: cfg.serverImage,
                                    command: ["sh", `/scripts/${PREPARE_EXPORTS_SCRIPT}`],
                                    env: toEnv(prepareExportsEnv(cfg)),
                                    volumeMounts: [
                                        { name: "data", mountPath: "/exports" },
                                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                                    ],
                                    resources: { limits: { cpu: "100m", memory: "64Mi" }, requests: { cpu: "10m", memory: "16Mi" } },
                                },
                            ],
                            containers: [
                                {
                                    name: "nfs-server",
                                    image: cfg.serverImage,
                                    // Kernel NFS server: needs privileges to start nfsd. run_nfs.sh exports each path
                                    // argument rw,fsid=0,insecure,no_root_squash (NFSv4 root). No -G: it would chgrp the
                                    // export to that gid and chmod it 070; the init container sets the modes pods need.
                                    args: ["/exports"],
                                    securityContext: { privileged: true },
                                    ports: ports.map((p) => ({ name: p.name, containerPort: p.port })),
                                    volumeMounts: [{ name: "data", mountPath: "/exports" }],
                                    readinessProbe: { tcpSocket: { port: 2049 }, periodSeconds: 10 },
                                    resources: { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
                                },
                            ],
                            volumes: [
                                { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } },
                                { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o444 } },
                            ],
                        },
                    },
                },
            },
            parent,
        );
        const svc = new k8s.core.v1.Service(
            `${name}-server`,
            {
                metadata: { name: "nfs-server", namespace: ns, labels: lbl },
                spec: {
                    type: "ClusterIP",
                    // The address home volumes name (immutably), kept when the server moved here.
                    clusterIP: move.fact("address"),
                    selector: lbl,
                    ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: "TCP" })),
                },
            },
            { ...parent, ...keep },
        );
        // Kubelets mount NFS from the node's network namespace, where cluster DNS names do not
        // resolve: volumes must name the ClusterIP.
        return svc.spec.clusterIP;
    }

    /** csi-driver-nfs: controller (provisioner, resizer) and node plugin, with the RBAC they need. */
    private csiDriver(name: string, hubNamespace: string, storage: MovedStorage, cfg: NfsConfig): pulumi.Resource[] {
        const ns = storage.name;
        const move = storage.move;
        const parent = { parent: this };
        const afterMove = { parent: this, dependsOn: [move] };
        const image = `registry.k8s.io/sig-storage/nfsplugin:${cfg.csiDriverVersion}`;
        const ctrlLabels = labels("csi-nfs-controller");
        const nodeLabels = labels("csi-nfs-node");
        const small = { limits: { memory: "200Mi", cpu: "200m" }, requests: { cpu: "10m", memory: "20Mi" } };

        const csiDriver = new k8s.storage.v1.CSIDriver(
            `${name}-csi-driver`,
            {
                metadata: { name: CSI_DRIVER, labels: labels("csi-driver"), annotations: ownerAnnotations() },
                spec: { attachRequired: false, volumeLifecycleModes: ["Persistent"], fsGroupPolicy: "File" },
            },
            parent,
        );
        const ctrlSa = new k8s.core.v1.ServiceAccount(`${name}-csi-controller`, { metadata: { name: "csi-nfs-controller-sa", namespace: ns } }, afterMove);
        const nodeSa = new k8s.core.v1.ServiceAccount(`${name}-csi-node`, { metadata: { name: "csi-nfs-node-sa", namespace: ns } }, afterMove);
        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-csi-provisioner`,
            {
                // Named after the hub's namespace, as in 0.1.0: one name per stack, kept across the move.
                metadata: { name: `${hubNamespace}-nfs-external-provisioner`, labels: labels("csi-nfs-controller") },
                rules: [
                    { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "delete", "patch"] },
                    { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch", "update"] },
                    { apiGroups: ["storage.k8s.io"], resources: ["storageclasses", "csinodes"], verbs: ["get", "list", "watch"] },
                    { apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
                    { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
                    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
                    { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
                ],
            },
            parent,
        );
        const binding = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-csi-provisioner`,
            {
                metadata: { name: `${hubNamespace}-nfs-csi-provisioner-binding` },
                subjects: [{ kind: "ServiceAccount", name: ctrlSa.metadata.name, namespace: ns }],
                roleRef: { kind: "ClusterRole", name: role.metadata.name, apiGroup: "rbac.authorization.k8s.io" },
            },
            parent,
        );
        // The home class allows expansion: csi-resizer calls ControllerExpandVolume, which csi-driver-nfs
        // answers by recording the new size (an NFS directory has no quota). Upstream's resizer role.
        const resizerRole = new k8s.rbac.v1.ClusterRole(
            `${name}-csi-resizer`,
            {
                metadata: { name: `${hubNamespace}-nfs-external-resizer`, labels: labels("csi-nfs-controller") },
                rules: [
                    { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "update", "patch"] },
                    { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch"] },
                    { apiGroups: [""], resources: ["persistentvolumeclaims/status"], verbs: ["update", "patch"] },
                    { apiGroups: [""], resources: ["events"], verbs: ["list", "watch", "create", "update", "patch"] },
                    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
                ],
            },
            parent,
        );
        const resizerBinding = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-csi-resizer`,
            {
                metadata: { name: `${hubNamespace}-nfs-csi-resizer-binding` },
                subjects: [{ kind: "ServiceAccount", name: ctrlSa.metadata.name, namespace: ns }],
                roleRef: { kind: "ClusterRole", name: resizerRole.metadata.name, apiGroup: "rbac.authorization.k8s.io" },
            },
            parent,
        );
        const socketDir = { name: "socket-dir", mountPath: "/csi" };
        const controller = new k8s.apps.v1.Deployment(
            `${name}-csi-controller`,
            {
                metadata: { name: "csi-nfs-controller", namespace: ns, labels: ctrlLabels },
                spec: {
                    replicas: 1,
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: ctrlLabels },
                    template: {
                        metadata: {
                            labels: ctrlLabels,
                            annotations: { [PRIVILEGED_REASON]: "CSI controller: mounts NFS shares to create volume directories" },
                        },
                        spec: {
                            hostNetwork: true, // the controller mounts the share to create directories
                            dnsPolicy: "ClusterFirstWithHostNet",
                            serviceAccountName: ctrlSa.metadata.name,
                            containers: [
                                {
                                    name: "csi-provisioner",
                                    image: CSI_SIDECARS.provisioner,
                                    args: [
                                        "-v=2",
                                        "--csi-address=$(ADDRESS)",
                                        "--leader-election",
                                        pulumi.interpolate`--leader-election-namespace=${ns}`,
                                        "--extra-create-metadata=true",
                                        "--timeout=1200s",
                                    ],
                                    env: [{ name: "ADDRESS", value: "/csi/csi.sock" }],
                                    volumeMounts: [socketDir],
                                    resources: small,
                                },
                                {
                                    name: "csi-resizer",
                                    image: CSI_SIDECARS.resizer,
                                    args: [
                                        "-csi-address=$(ADDRESS)",
                                        "-v=2",
                                        "-leader-election",
                                        pulumi.interpolate`--leader-election-namespace=${ns}`,
                                        "-handle-volume-inuse-error=false",
                                    ],
                                    env: [{ name: "ADDRESS", value: "/csi/csi.sock" }],
                                    volumeMounts: [socketDir],
                                    resources: small,
                                },
                                {
                                    name: "liveness-probe",
                                    image: CSI_SIDECARS.liveness,
                                    args: ["--csi-address=/csi/csi.sock", "--probe-timeout=3s", "--http-endpoint=localhost:29652", "--v=2"],
                                    volumeMounts: [socketDir],
                                    resources: small,
                                },
                                {
                                    name: "nfs",
                                    image,
                                    args: [
                                        "--v=5",
                                        "--nodeid=$(NODE_ID)",
                                        "--endpoint=$(CSI_ENDPOINT)",
                                        `--drivername=${CSI_DRIVER}`,
                                        "--working-mount-dir=/tmp",
                                    ],
                                    env: [
                                        { name: "NODE_ID", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                                        { name: "CSI_ENDPOINT", value: "unix:///csi/csi.sock" },
                                    ],
                                    securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] }, allowPrivilegeEscalation: true },
                                    volumeMounts: [
                                        { name: "pods-mount-dir", mountPath: "/var/lib/kubelet/pods", mountPropagation: "Bidirectional" },
                                        socketDir,
                                        { name: "tmp-dir", mountPath: "/tmp" },
                                    ],
                                    livenessProbe: {
                                        httpGet: { host: "localhost", path: "/healthz", port: 29652 },
                                        failureThreshold: 5,
                                        initialDelaySeconds: 30,
                                        periodSeconds: 30,
                                        timeoutSeconds: 10,
                                    },
                                    resources: small,
                                },
                            ],
                            volumes: [
                                { name: "pods-mount-dir", hostPath: { path: "/var/lib/kubelet/pods", type: "Directory" } },
                                { name: "socket-dir", emptyDir: {} },
                                { name: "tmp-dir", emptyDir: {} },
                            ],
                        },
                    },
                },
            },
            { ...parent, dependsOn: [binding, resizerBinding, csiDriver, move] },
        );
        const node = new k8s.apps.v1.DaemonSet(
            `${name}-csi-node`,
            {
                metadata: { name: "csi-nfs-node", namespace: ns, labels: nodeLabels },
                spec: {
                    selector: { matchLabels: nodeLabels },
                    updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
                    template: {
                        metadata: { labels: nodeLabels, annotations: { [PRIVILEGED_REASON]: "CSI node plugin: mounts NFS volumes for the kubelet" } },
                        spec: {
                            hostNetwork: true, // the node plugin mounts NFS for the kubelet
                            dnsPolicy: "ClusterFirstWithHostNet",
                            serviceAccountName: nodeSa.metadata.name,
                            tolerations: [{ operator: "Exists" }],
                            containers: [
                                {
                                    name: "liveness-probe",
                                    image: CSI_SIDECARS.liveness,
                                    args: ["--csi-address=/csi/csi.sock", "--probe-timeout=3s", "--http-endpoint=localhost:29653", "--v=2"],
                                    volumeMounts: [socketDir],
                                    resources: small,
                                },
                                {
                                    name: "node-driver-registrar",
                                    image: CSI_SIDECARS.registrar,
                                    args: ["--v=2", "--csi-address=/csi/csi.sock", "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)"],
                                    env: [{ name: "DRIVER_REG_SOCK_PATH", value: "/var/lib/kubelet/plugins/csi-nfsplugin/csi.sock" }],
                                    volumeMounts: [socketDir, { name: "registration-dir", mountPath: "/registration" }],
                                    resources: small,
                                },
                                {
                                    name: "nfs",
                                    image,
                                    args: ["--v=5", "--nodeid=$(NODE_ID)", "--endpoint=$(CSI_ENDPOINT)", `--drivername=${CSI_DRIVER}`],
                                    env: [
                                        { name: "NODE_ID", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                                        { name: "CSI_ENDPOINT", value: "unix:///csi/csi.sock" },
                                    ],
                                    securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] }, allowPrivilegeEscalation: true },
                                    volumeMounts: [
                                        socketDir,
                                        { name: "pods-mount-dir", mountPath: "/var/lib/kubelet/pods", mountPropagation: "Bidirectional" },
                                    ],
                                    livenessProbe: {
                                        httpGet: { host: "localhost", path: "/healthz", port: 29653 },
                                        failureThreshold: 5,
                                        initialDelaySeconds: 30,
                                        periodSeconds: 30,
                                        timeoutSeconds: 10,
                                    },
                                    resources: { limits: { memory: "300Mi", cpu: "500m" }, requests: { cpu: "10m", memory: "20Mi" } },
                                },
                            ],
                            volumes: [
                                { name: "socket-dir", hostPath: { path: "/var/lib/kubelet/plugins/csi-nfsplugin", type: "DirectoryOrCreate" } },
                                { name: "pods-mount-dir", hostPath: { path: "/var/lib/kubelet/pods", type: "Directory" } },
                                { name: "registration-dir", hostPath: { path: "/var/lib/kubelet/plugins_registry", type: "Directory" } },
                            ],
                        },
                    },
                },
            },
            { ...parent, dependsOn: [csiDriver, move] },
        );
        return [csiDriver, controller, node];
    }
}
