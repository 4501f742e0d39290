// csi-driver-nfs (Kubernetes SIG Storage), the provisioner of home volumes and the driver of every
// NFS volume: its CSIDriver object, the controller (provisioner, resizer) and the node plugin,
// with the RBAC they need, as its deploy/ manifests of the pinned version set them up.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type NfsServerConfig } from "../../config";
import { API_TOKEN_REASON, leastPrivilegeAnnotations, NETWORK_POLICY_EXCEPTION, PRIVILEGED_REASON } from "../../lib/pods";
import { labels, ownerAnnotations } from "../common";
import type { MovedStorage } from "./nfs-storage";
import { NFS_CLIENT_PORTS } from "./server";

/** The CSI driver name registered by csi-driver-nfs. */
export const CSI_DRIVER = "nfs.csi.k8s.io";

/** Sidecar images that ship with csi-driver-nfs v4.12.1 (its deploy/v4.12.1 manifests and chart values; docs/images.md). */
export const CSI_SIDECARS = {
    provisioner: "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0",
    resizer: "registry.k8s.io/sig-storage/csi-resizer:v1.14.0",
    registrar: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.15.0",
    liveness: "registry.k8s.io/sig-storage/livenessprobe:v2.17.0",
} as const;

/** Requests and limits of the driver's smaller containers. */
const SMALL = { limits: { memory: "200Mi", cpu: "200m" }, requests: { cpu: "10m", memory: "20Mi" } };
const SOCKET_DIR = { name: "socket-dir", mountPath: "/csi" };

/**
 * The sidecars (csi-provisioner, csi-resizer, node-driver-registrar, livenessprobe): each a Go binary
 * on distroless static, no USER, no file capability, no file written (each Dockerfile and cmd/<name>/
 * main package at the pinned tag; logs go to stderr): every capability dropped, no_new_privs,
 * RuntimeDefault seccomp, a read-only root. They stay the image's root user: the driver, as root,
 * makes /csi/csi.sock root's and not writable by others, and connecting to a socket needs write
 * access to it (no capability is needed for that as its owner).
 */
const SIDECAR_SECURITY = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    seccompProfile: { type: "RuntimeDefault" },
};

/** The driver container: csi-driver-nfs's own manifests run it so, for mount(2) (SYS_ADMIN) and mount propagation to the host. */
const DRIVER_SECURITY = { privileged: true, capabilities: { add: ["SYS_ADMIN"] }, allowPrivilegeEscalation: true };

/** The controller's name and component label. */
export const CSI_CONTROLLER = "csi-nfs-controller";

/**
 * The controller's NetworkPolicy, both ways: nothing reaches it (its liveness port is the kubelet's,
 * from the node); it reaches the NFS server's ports (the in-cluster server, whose policy admits it,
 * or yours) and the API server on 443 or 6443. Neither address is the program's to know (yours, the
 * cluster's), so those are ports to any address; DNS for an NFS server given by name.
 */
export function controllerNetworkPolicySpec(lbl: Record<string, string>) {
    const tcp = (port: number) => ({ protocol: "TCP", port });
    const dns = [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
    ];
    return {
        podSelector: { matchLabels: lbl },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [{ ports: [...NFS_CLIENT_PORTS, tcp(443), tcp(6443), ...dns] }],
    };
}

/** A sidecar's exception: the image's root user, for the driver's socket. */
const SIDECAR_ROOT = { checks: ["root" as const], reason: "connects to the driver's socket, root's and mode 0755 (connect needs write access)" };

/** The driver container's exception, with what it mounts. */
function driverException(what: string) {
    return { checks: [...(["privileged", "root", "capabilities", "privilege-escalation", "seccomp", "writable-root"] as const)], reason: what };
}

/** csi-driver-nfs: controller (provisioner, resizer) and node plugin, with the RBAC they need. */
export function csiDriver(parent: pulumi.Resource, name: string, hubNamespace: string, storage: MovedStorage, cfg: NfsServerConfig): pulumi.Resource[] {
    const move = storage.move;
    const image = `registry.k8s.io/sig-storage/nfsplugin:${cfg.csiDriverVersion}`;
    const csiDriver = new k8s.storage.v1.CSIDriver(
        `${name}-csi-driver`,
        {
            metadata: { name: CSI_DRIVER, labels: labels("csi-driver"), annotations: ownerAnnotations() },
            spec: { attachRequired: false, volumeLifecycleModes: ["Persistent"], fsGroupPolicy: "File" },
        },
        { parent },
    );
    const rbac = csiRbac(parent, name, hubNamespace, storage);
    const controller = csiController(parent, name, storage.name, image, rbac.ctrlSa, [rbac.binding, rbac.resizerBinding, csiDriver, move]);
    const node = csiNode(parent, name, storage.name, image, rbac.nodeSa, [csiDriver, move]);
    return [csiDriver, controller, node];
}

/** The controller's and the node plugin's ServiceAccounts, and the controller's roles (provisioner, resizer). */
function csiRbac(parent: pulumi.Resource, name: string, hubNamespace: string, storage: MovedStorage) {
    const ns = storage.name;
    const afterMove = { parent, dependsOn: [storage.move] };
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
        { parent },
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-csi-provisioner`,
        {
            metadata: { name: `${hubNamespace}-nfs-csi-provisioner-binding` },
            subjects: [{ kind: "ServiceAccount", name: ctrlSa.metadata.name, namespace: ns }],
            roleRef: { kind: "ClusterRole", name: role.metadata.name, apiGroup: "rbac.authorization.k8s.io" },
        },
        { parent },
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
        { parent },
    );
    const resizerBinding = new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-csi-resizer`,
        {
            metadata: { name: `${hubNamespace}-nfs-csi-resizer-binding` },
            subjects: [{ kind: "ServiceAccount", name: ctrlSa.metadata.name, namespace: ns }],
            roleRef: { kind: "ClusterRole", name: resizerRole.metadata.name, apiGroup: "rbac.authorization.k8s.io" },
        },
        { parent },
    );
    return { ctrlSa, nodeSa, binding, resizerBinding };
}

/** The controller: the provisioner and the resizer beside the driver, one replica, on the pod network (its NetworkPolicy above). */
function csiController(
    parent: pulumi.Resource,
    name: string,
    ns: string,
    image: string,
    sa: k8s.core.v1.ServiceAccount,
    dependsOn: pulumi.Input<pulumi.Resource>[],
): k8s.apps.v1.Deployment {
    const ctrlLabels = labels(CSI_CONTROLLER);
    new k8s.networking.v1.NetworkPolicy(
        `${name}-csi-controller`,
        { metadata: { name: CSI_CONTROLLER, namespace: ns, labels: ctrlLabels }, spec: controllerNetworkPolicySpec(ctrlLabels) },
        { parent, dependsOn },
    );
    return new k8s.apps.v1.Deployment(
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
                        annotations: {
                            [PRIVILEGED_REASON]: "CSI controller: mounts NFS shares to create volume directories",
                            [API_TOKEN_REASON]: "csi-provisioner and csi-resizer watch claims and write volumes, events and leases (the ClusterRoles above)",
                            ...leastPrivilegeAnnotations({
                                "csi-provisioner": SIDECAR_ROOT,
                                "csi-resizer": SIDECAR_ROOT,
                                "liveness-probe": SIDECAR_ROOT,
                                nfs: driverException("mounts a share in its working directory (/tmp) to make and remove volume directories"),
                            }),
                        },
                    },
                    spec: {
                        // Not the host's network, nor the kubelet's pods directory: the controller mounts a
                        // share only in its own working directory (working-mount-dir, /tmp), from its own
                        // network namespace, and never publishes a volume to a pod (NodePublishVolume is the
                        // node plugin's): csi-driver-nfs pkg/nfs/controllerserver.go.
                        serviceAccountName: sa.metadata.name,
                        containers: controllerContainers(image, ns),
                        volumes: [
                            { name: "socket-dir", emptyDir: {} },
                            { name: "tmp-dir", emptyDir: {} },
                        ],
                    },
                },
            },
        },
        { parent, dependsOn },
    );
}

/** The controller's containers: csi-provisioner, csi-resizer, the liveness probe and the driver. */
function controllerContainers(image: string, ns: string): k8s.types.input.core.v1.Container[] {
    return [
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
            securityContext: SIDECAR_SECURITY,
            volumeMounts: [SOCKET_DIR],
            resources: SMALL,
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
            securityContext: SIDECAR_SECURITY,
            volumeMounts: [SOCKET_DIR],
            resources: SMALL,
        },
        {
            name: "liveness-probe",
            image: CSI_SIDECARS.liveness,
            // On the pod's network: the kubelet probes the pod's address, so the endpoint listens on it.
            args: ["--csi-address=/csi/csi.sock", "--probe-timeout=3s", "--http-endpoint=:29652", "--v=2"],
            securityContext: SIDECAR_SECURITY,
            volumeMounts: [SOCKET_DIR],
            resources: SMALL,
        },
        {
            name: "nfs",
            image,
            args: ["--v=5", "--nodeid=$(NODE_ID)", "--endpoint=$(CSI_ENDPOINT)", `--drivername=${CSI_DRIVER}`, "--working-mount-dir=/tmp"],
            env: [
                { name: "NODE_ID", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                { name: "CSI_ENDPOINT", value: "unix:///csi/csi.sock" },
            ],
            securityContext: DRIVER_SECURITY,
            volumeMounts: [SOCKET_DIR, { name: "tmp-dir", mountPath: "/tmp" }],
            livenessProbe: {
                httpGet: { path: "/healthz", port: 29652 },
                failureThreshold: 5,
                initialDelaySeconds: 30,
                periodSeconds: 30,
                timeoutSeconds: 10,
            },
            resources: SMALL,
        },
    ];
}

/** The node plugin: the driver on every node, registered with the kubelet, on the host's network. */
function csiNode(
    parent: pulumi.Resource,
    name: string,
    ns: string,
    image: string,
    sa: k8s.core.v1.ServiceAccount,
    dependsOn: pulumi.Input<pulumi.Resource>[],
): k8s.apps.v1.DaemonSet {
    const nodeLabels = labels("csi-nfs-node");
    return new k8s.apps.v1.DaemonSet(
        `${name}-csi-node`,
        {
            metadata: { name: "csi-nfs-node", namespace: ns, labels: nodeLabels },
            spec: {
                selector: { matchLabels: nodeLabels },
                updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
                template: {
                    metadata: {
                        labels: nodeLabels,
                        annotations: {
                            [PRIVILEGED_REASON]: "CSI node plugin: mounts NFS volumes for the kubelet",
                            [NETWORK_POLICY_EXCEPTION]: "on the host's network, which NetworkPolicies do not select",
                            ...leastPrivilegeAnnotations({
                                "liveness-probe": SIDECAR_ROOT,
                                "node-driver-registrar": {
                                    ...SIDECAR_ROOT,
                                    reason: `${SIDECAR_ROOT.reason}; writes its own in the kubelet's root-owned plugins_registry`,
                                },
                                nfs: driverException("mounts NFS volumes into the kubelet's pods directory, propagated to the host"),
                            }),
                        },
                    },
                    spec: {
                        // The host's network: the kubelet mounts from the node's network namespace, where the
                        // node plugin's mounts are made; the cluster's DNS beside it.
                        hostNetwork: true,
                        dnsPolicy: "ClusterFirstWithHostNet",
                        serviceAccountName: sa.metadata.name,
                        // No container calls the API: nfsplugin has no Kubernetes client (cmd/nfsplugin/main.go:
                        // its flags name none), the registrar and the liveness probe talk to sockets only.
                        automountServiceAccountToken: false,
                        tolerations: [{ operator: "Exists" }],
                        containers: nodeContainers(image),
                        volumes: [
                            { name: "socket-dir", hostPath: { path: "/var/lib/kubelet/plugins/csi-nfsplugin", type: "DirectoryOrCreate" } },
                            { name: "pods-mount-dir", hostPath: { path: "/var/lib/kubelet/pods", type: "Directory" } },
                            { name: "registration-dir", hostPath: { path: "/var/lib/kubelet/plugins_registry", type: "Directory" } },
                        ],
                    },
                },
            },
        },
        { parent, dependsOn },
    );
}

/** The node plugin's containers: the liveness probe, the kubelet's registrar and the driver. */
function nodeContainers(image: string): k8s.types.input.core.v1.Container[] {
    return [
        {
            name: "liveness-probe",
            image: CSI_SIDECARS.liveness,
            args: ["--csi-address=/csi/csi.sock", "--probe-timeout=3s", "--http-endpoint=localhost:29653", "--v=2"],
            securityContext: SIDECAR_SECURITY,
            volumeMounts: [SOCKET_DIR],
            resources: SMALL,
        },
        {
            name: "node-driver-registrar",
            image: CSI_SIDECARS.registrar,
            args: ["--v=2", "--csi-address=/csi/csi.sock", "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)"],
            env: [{ name: "DRIVER_REG_SOCK_PATH", value: "/var/lib/kubelet/plugins/csi-nfsplugin/csi.sock" }],
            securityContext: SIDECAR_SECURITY,
            volumeMounts: [SOCKET_DIR, { name: "registration-dir", mountPath: "/registration" }],
            resources: SMALL,
        },
        {
            name: "nfs",
            image,
            args: ["--v=5", "--nodeid=$(NODE_ID)", "--endpoint=$(CSI_ENDPOINT)", `--drivername=${CSI_DRIVER}`],
            env: [
                { name: "NODE_ID", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                { name: "CSI_ENDPOINT", value: "unix:///csi/csi.sock" },
            ],
            securityContext: DRIVER_SECURITY,
            volumeMounts: [SOCKET_DIR, { name: "pods-mount-dir", mountPath: "/var/lib/kubelet/pods", mountPropagation: "Bidirectional" }],
            livenessProbe: {
                httpGet: { host: "localhost", path: "/healthz", port: 29653 },
                failureThreshold: 5,
                initialDelaySeconds: 30,
                periodSeconds: 30,
                timeoutSeconds: 10,
            },
            resources: { limits: { memory: "300Mi", cpu: "500m" }, requests: { cpu: "10m", memory: "20Mi" } },
        },
    ];
}
