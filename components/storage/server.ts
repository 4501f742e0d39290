// The in-cluster NFS server: a kernel NFS server on a block volume, with the init script that
// prepares its exports (components/scripts/prepare-exports.sh), and its Service, whose ClusterIP
// the volumes name.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { GROUP_SHARES, type InClusterNfs, type NfsServerConfig } from "../../config";
import { leastPrivilegeAnnotations, PRIVILEGED_REASON } from "../../lib/pods";
import { dataClaim, dependsOnList, labels, toEnv } from "../common";
import { readScript } from "../scripts";
import { CSI_CONTROLLER } from "./csi-driver";
import type { MovedStorage } from "./nfs-storage";

/** The in-cluster server's init script, in components/scripts/ and in the ConfigMap `nfs-server-scripts`. */
export const PREPARE_EXPORTS_SCRIPT = "prepare-exports.sh";

/** The uid and gid a root-squashed export maps root to (exports(5) `anonuid`, `anongid`). */
export const SQUASHED_ROOT = 65534;

/**
 * Whether the export squashes root. csi-driver-nfs's controller creates each home directory as
 * root over NFS, and with `nfs.mountPermissions` "0" the kubelet then gives it the pod's group
 * (`fsGroup`), a chown only root may make: only a class that sets the mode itself lets the
 * export map root to nobody. The init container and the backups write as other uids or locally.
 */
export const rootSquashed = (cfg: NfsServerConfig) => Number.parseInt(cfg.mountPermissions, 8) !== 0;

/**
 * The server's /etc/exports: the claim, the NFSv4 root, to the nodes only (`nfs.nodeCidrs`, else
 * any address), without `insecure` (a kernel client mounts from a port below 1024, which an
 * unprivileged process cannot bind), root squashed where `rootSquashed` allows.
 */
export function exportsFile(cfg: InClusterNfs, root = "/exports"): string {
    const squash = rootSquashed(cfg) ? `root_squash,anonuid=${SQUASHED_ROOT},anongid=${SQUASHED_ROOT}` : "no_root_squash";
    const clients = cfg.nodeCidrs.length > 0 ? cfg.nodeCidrs : ["*"];
    return `${root} ${clients.map((c) => `${c}(rw,fsid=0,sync,no_subtree_check,${squash})`).join(" ")}`;
}

/** Where the init container writes the exports file, which the server mounts at /etc/exports. */
const EXPORTS_DIR = "/etc-exports";

/**
 * Environment of the in-cluster server's init script (components/scripts/prepare-exports.sh): the
 * shared directory and each group share's directory, made writable by users' pods (which all run
 * as the same user), the exports file, and with root squashed the mode of the directories on the
 * export (`SQUASHED_MODE`). Names are validated plain names, so a space separates them.
 */
export function prepareExportsEnv(cfg: InClusterNfs, root = "/exports", exportsDir = EXPORTS_DIR): Record<string, string> {
    const groupDirs = cfg.groupShares.length > 0 ? [GROUP_SHARES.dir, ...cfg.groupShares.map((g) => `${GROUP_SHARES.dir}/${g}`)] : [];
    const squashed: Record<string, string> = rootSquashed(cfg) ? { SQUASHED_MODE: cfg.mountPermissions } : {};
    return {
        EXPORT_ROOT: root,
        EXPORT_DIRS: [cfg.shared.subPath, ...groupDirs].join(" "),
        EXPORTS_FILE: `${exportsDir}/exports`,
        EXPORTS: exportsFile(cfg),
        ...squashed,
    };
}

/** The server's ports, on its container and its Service. */
const NFS_PORTS = [
    { name: "nfs", port: 2049 },
    { name: "mountd", port: 20048 },
    { name: "rpcbind", port: 111 },
];

/**
 * The server's NetworkPolicy, both ways. What must reach it: the nodes (the kubelet and
 * csi-driver-nfs's node plugin mount from the node's network namespace) and the CSI controller,
 * which mounts the export to make each home's directory and runs on the pod network. The nodes'
 * traffic comes from a node's address, not from a pod, so only an `ipBlock` admits it
 * (`nfs.nodeCidrs`); without them the policy admits the controller only, and what still reaches the
 * server is what the network plugin passes as its node's own traffic (README, Security). The server
 * reaches nothing (NFSv4.1's callbacks use the client's own connection).
 */
export function serverNetworkPolicySpec(cfg: InClusterNfs, lbl: Record<string, string>, controller: Record<string, string> = labels(CSI_CONTROLLER)) {
    const ports = NFS_PORTS.map((p) => ({ protocol: "TCP", port: p.port }));
    const from = [...cfg.nodeCidrs.map((cidr) => ({ ipBlock: { cidr } })), ...(cfg.installCsiDriver ? [{ podSelector: { matchLabels: controller } }] : [])];
    return { podSelector: { matchLabels: lbl }, policyTypes: ["Ingress", "Egress"], ingress: from.length > 0 ? [{ from, ports }] : [], egress: [] };
}

/** The NFS ports, for the CSI controller's egress. */
export const NFS_CLIENT_PORTS = NFS_PORTS.map((p) => ({ protocol: "TCP", port: p.port }));

/**
 * The init container runs the export's script as root, its only file writes in the claim: root
 * owns the export and the directories it makes (components/scripts/prepare-exports.sh: mkdir -p,
 * chmod 0777). It keeps DAC_OVERRIDE, to enter an export root left at mode 070 by 0.1.0's `-G 777`
 * (docs/images.md), and FOWNER, to chmod a group share's directory a user's pod made before the
 * group was configured (not root's).
 */
const PREPARE_SECURITY = {
    runAsUser: 0,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"], add: ["DAC_OVERRIDE", "FOWNER"] },
    readOnlyRootFilesystem: true,
    seccompProfile: { type: "RuntimeDefault" },
};

/** Each container's exceptions to the policy pack's least-privilege rule, with the reason. */
const SERVER_EXCEPTIONS = leastPrivilegeAnnotations({
    "prepare-shared": { checks: ["root", "capabilities"], reason: "makes and opens directories of the root-owned export (DAC_OVERRIDE, FOWNER)" },
    "nfs-server": {
        checks: ["privileged", "root", "capabilities", "privilege-escalation", "seccomp", "writable-root"],
        reason: "the kernel NFS server: run_nfs.sh mounts nfsd, starts rpc.nfsd and writes /etc/exports",
    },
});

/**
 * Whether nfsd answers: an RPC NULL call to NFS (program 100003) version 4 over TCP. rpcinfo is the
 * image's own (run_nfs.sh calls /usr/sbin/rpcinfo; docs/images.md); it fails when no answer comes,
 * so a stopped or hung nfsd fails the probe, not only a closed port.
 */
const nfsdAnswers = { exec: { command: ["/usr/sbin/rpcinfo", "-t", "127.0.0.1", "100003", "4"] }, timeoutSeconds: 10 };

/** The server's pod: the init container that prepares the exports, then the kernel NFS server. */
function serverPodTemplate(cfg: InClusterNfs, lbl: Record<string, string>, dataClaimName: pulumi.Output<string>, scriptsConfigMap: pulumi.Output<string>) {
    return {
        metadata: {
            labels: lbl,
            annotations: {
                [PRIVILEGED_REASON]: "kernel NFS server: starts nfsd and exports a directory",
                ...SERVER_EXCEPTIONS,
            },
        },
        spec: {
            // Nothing in the pod calls the Kubernetes API.
            automountServiceAccountToken: false,
            initContainers: [
                {
                    name: "prepare-shared",
                    image: cfg.serverImage,
                    command: ["sh", `/scripts/${PREPARE_EXPORTS_SCRIPT}`],
                    env: toEnv(prepareExportsEnv(cfg)),
                    securityContext: PREPARE_SECURITY,
                    volumeMounts: [
                        { name: "data", mountPath: "/exports" },
                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                        { name: "exports", mountPath: EXPORTS_DIR },
                    ],
                    resources: { limits: { cpu: "100m", memory: "64Mi" }, requests: { cpu: "10m", memory: "16Mi" } },
                },
            ],
            containers: [
                {
                    name: "nfs-server",
                    image: cfg.serverImage,
                    // Kernel NFS server: needs privileges to start nfsd. run_nfs.sh would export each
                    // path argument to any address, insecure, no_root_squash: "--" gives it none
                    // (getopts ends there), so /etc/exports is only the init container's `exportsFile`.
                    args: ["--"],
                    securityContext: { privileged: true },
                    ports: NFS_PORTS.map((p) => ({ name: p.name, containerPort: p.port })),
                    volumeMounts: [
                        { name: "data", mountPath: "/exports" },
                        { name: "exports", mountPath: "/etc/exports", subPath: "exports" },
                    ],
                    readinessProbe: { ...nfsdAnswers, periodSeconds: 10, failureThreshold: 2 },
                    livenessProbe: { ...nfsdAnswers, initialDelaySeconds: 30, periodSeconds: 30, failureThreshold: 4 },
                    resources: { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
                },
            ],
            volumes: [
                { name: "data", persistentVolumeClaim: { claimName: dataClaimName } },
                { name: "scripts", configMap: { name: scriptsConfigMap, defaultMode: 0o444 } },
                { name: "exports", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            ],
        },
    };
}

/**
 * NFS server on a block volume; returns the Service's ClusterIP. The Service is kept with the
 * data: home volumes name the server by that address (immutably), so it must survive a
 * retaining `pulumi destroy` for the next `pulumi up` to mount them again.
 */
export function nfsServer(parent: pulumi.Resource, name: string, storage: MovedStorage, cfg: InClusterNfs): pulumi.Output<string> {
    const move = storage.move;
    const opts = { parent, dependsOn: [move] };
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
        parent,
        keep,
    );
    const scripts = new k8s.core.v1.ConfigMap(
        `${name}-server-scripts`,
        { metadata: { name: "nfs-server-scripts", namespace: ns, labels: lbl }, data: { [PREPARE_EXPORTS_SCRIPT]: readScript(PREPARE_EXPORTS_SCRIPT) } },
        opts,
    );
    new k8s.apps.v1.Deployment(
        `${name}-server`,
        {
            metadata: { name: "nfs-server", namespace: ns, labels: lbl },
            spec: {
                replicas: 1,
                // Two servers on one RWO disk would corrupt it.
                strategy: { type: "Recreate" },
                selector: { matchLabels: lbl },
                template: serverPodTemplate(cfg, lbl, data.metadata.name, scripts.metadata.name),
            },
        },
        opts,
    );
    new k8s.networking.v1.NetworkPolicy(
        `${name}-server`,
        { metadata: { name: "nfs-server", namespace: ns, labels: lbl }, spec: serverNetworkPolicySpec(cfg, lbl) },
        opts,
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
                ports: NFS_PORTS.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: "TCP" })),
            },
        },
        { ...opts, ...keep },
    );
    // Kubelets mount NFS from the node's network namespace, where cluster DNS names do not
    // resolve: volumes must name the ClusterIP.
    return svc.spec.clusterIP;
}
