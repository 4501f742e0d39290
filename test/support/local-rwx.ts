// Test infrastructure, not part of the program: a ReadWriteMany StorageClass on the real node of
// .ci/node.sh, for `nfs.mode: storage-class` (issue 29 C). rancher's local-path-provisioner
// v0.0.30 (the stand-in image of images/local-path-provisioner, built from its Go module) with a
// `sharedFileSystemPath`: every volume is a directory under one folder of the node, so every
// pod mounts it, ReadWriteMany, as pods on many nodes would mount a shared file system. Its
// helper pods (which make and remove the directories) run the busybox stand-in.
//
// What it relies on of the provisioner, read in its module (github.com/rancher/local-path-provisioner
// @v0.0.30): config.json with `sharedFileSystemPath` (and no nodePathMap) makes it accept
// ReadWriteMany claims and volumes with no node affinity (provisioner.go, isSharedFilesystem,
// provisionFor), with Immediate binding (no selected node needed); the volumes are hostPath
// (defaultVolumeType); the ConfigMap `local-path-config` of its namespace holds config.json,
// setup, teardown and helperPod.yaml (main.go defaults; deploy/local-path-storage.yaml), and
// the helper pods tolerate every taint (lpvTolerations), so helperPod.yaml keeps them off kwok's
// fake nodes by affinity. The RBAC is deploy/local-path-storage.yaml's rules.
//
// Used by test/node/local-rwx.test.ts and the journey (issue 29 D): installLocalRwx() after
// `.ci/node.sh start`, then `nfs.mode: storage-class`, `nfs.storageClass: local-rwx`.
import * as path from "node:path";

import { kubectl, must, nodeDir, nodeSh, ROOT } from "./node-harness";

/** The class, its provisioner and the namespace it runs in. */
export const LOCAL_RWX = { className: "local-rwx", provisioner: "rancher.io/local-path", namespace: "local-path-storage" } as const;
/** The images, under the references the node's containerd resolves (docker.io is what the kubelet adds to a short name). */
export const LOCAL_RWX_IMAGES = {
    provisioner: { recipe: "local-path-provisioner", ref: "docker.io/rancher/local-path-provisioner:v0.0.30" },
    helper: { recipe: "busybox", ref: "docker.io/library/busybox:1.35.0" },
} as const;

export interface LocalRwxOptions {
    /** The node's folder that holds every volume. Default: `local-rwx` in the node's state directory (removed with it). */
    sharedPath?: string;
    /** The class's name. Default: local-rwx. */
    className?: string;
    /** What happens to a volume's directory when its claim goes. Default: Delete (as most clusters' classes). */
    reclaimPolicy?: "Delete" | "Retain";
    /** Make it the cluster's default class too (for the database's and the directory's claims, which name none). Default: false. */
    isDefault?: boolean;
}

const SETUP = 'set -eu\nmkdir -m 0777 -p "$VOL_DIR"\n';
const TEARDOWN = 'set -eu\nrm -rf "$VOL_DIR"\n';

/** The helper pods' template: the busybox stand-in, never on a node of kwok (which runs nothing). */
function helperPod(): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "helper-pod" },
        spec: {
            affinity: {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [{ matchExpressions: [{ key: "type", operator: "NotIn", values: ["kwok"] }] }],
                    },
                },
            },
            containers: [{ name: "helper-pod", image: LOCAL_RWX_IMAGES.helper.ref, imagePullPolicy: "IfNotPresent" }],
        },
    });
}

/** The objects of the provisioner and its class. Pure. */
export function localRwxObjects(o: Required<LocalRwxOptions>): object[] {
    const ns = LOCAL_RWX.namespace;
    const sa = "local-path-provisioner-service-account";
    const role = (kind: "Role" | "ClusterRole", rules: object[]) => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind,
        metadata: kind === "Role" ? { name: "local-path-provisioner-role", namespace: ns } : { name: "local-path-provisioner-role" },
        rules,
    });
    const binding = (kind: "RoleBinding" | "ClusterRoleBinding") => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind,
        metadata: kind === "RoleBinding" ? { name: "local-path-provisioner-bind", namespace: ns } : { name: "local-path-provisioner-bind" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: kind === "RoleBinding" ? "Role" : "ClusterRole", name: "local-path-provisioner-role" },
        subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
    });
    return [
        // The helper pods mount the node's folder (hostPath): privileged, whatever the cluster's default level.
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: ns } },
        role("Role", [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] }]),
        role("ClusterRole", [
            { apiGroups: [""], resources: ["nodes", "persistentvolumeclaims", "configmaps", "pods", "pods/log"], verbs: ["get", "list", "watch"] },
            { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] },
            { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
            { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
        ]),
        binding("RoleBinding"),
        binding("ClusterRoleBinding"),
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "local-path-config", namespace: ns },
            data: {
                "config.json": JSON.stringify({ sharedFileSystemPath: o.sharedPath }),
                setup: SETUP,
                teardown: TEARDOWN,
                "helperPod.yaml": helperPod(),
            },
        },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "local-path-provisioner", namespace: ns },
            spec: {
                replicas: 1,
                selector: { matchLabels: { app: "local-path-provisioner" } },
                template: {
                    metadata: { labels: { app: "local-path-provisioner" } },
                    spec: {
                        serviceAccountName: sa,
                        terminationGracePeriodSeconds: 1,
                        containers: [
                            {
                                name: "local-path-provisioner",
                                image: LOCAL_RWX_IMAGES.provisioner.ref,
                                imagePullPolicy: "IfNotPresent",
                                command: ["local-path-provisioner", "--debug", "start", "--config", "/etc/config/config.json"],
                                env: [
                                    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                                    { name: "CONFIG_MOUNT_PATH", value: "/etc/config/" },
                                ],
                                volumeMounts: [{ name: "config-volume", mountPath: "/etc/config/" }],
                            },
                        ],
                        volumes: [{ name: "config-volume", configMap: { name: "local-path-config" } }],
                    },
                },
            },
        },
        {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: o.className, annotations: { "storageclass.kubernetes.io/is-default-class": String(o.isDefault) } },
            provisioner: LOCAL_RWX.provisioner,
            // A shared folder needs no node: claims bind at once, as on EFS or Filestore.
            volumeBindingMode: "Immediate",
            reclaimPolicy: o.reclaimPolicy,
        },
    ];
}

/** The options with their defaults. */
export function localRwxOptions(o: LocalRwxOptions = {}): Required<LocalRwxOptions> {
    return {
        sharedPath: o.sharedPath ?? path.join(nodeDir(), "local-rwx"),
        className: o.className ?? LOCAL_RWX.className,
        reclaimPolicy: o.reclaimPolicy ?? "Delete",
        isDefault: o.isDefault ?? false,
    };
}

/**
 * Installs the class on the running node: imports the two stand-in images (built by
 * `.ci/images.sh build local-path-provisioner busybox`), applies the objects and waits for the
 * provisioner. Throws, naming what failed. Returns the options used and the seconds it took.
 */
export function installLocalRwx(opts: LocalRwxOptions = {}): Required<LocalRwxOptions> & { seconds: number } {
    const t0 = Date.now();
    const o = localRwxOptions(opts);
    for (const { recipe, ref } of Object.values(LOCAL_RWX_IMAGES)) {
        const archive = must("bash", [path.join(ROOT, ".ci", "images.sh"), "path", recipe]).trim();
        const r = nodeSh(["import", archive, ref]);
        if (r.status !== 0) throw new Error(`.ci/node.sh import ${archive} ${ref} failed:\n${r.stderr.slice(-4000)}`);
    }
    kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: localRwxObjects(o) }));
    kubectl(["-n", LOCAL_RWX.namespace, "rollout", "status", "deployment/local-path-provisioner", "--timeout=120s"]);
    return { ...o, seconds: (Date.now() - t0) / 1000 };
}

/** Removes the provisioner and its class (volumes left are the caller's to delete first). */
export function uninstallLocalRwx(opts: LocalRwxOptions = {}): void {
    const o = localRwxOptions(opts);
    kubectl(["delete", "storageclass", o.className, "--ignore-not-found", "--wait=false"]);
    kubectl(["delete", "namespace", LOCAL_RWX.namespace, "--ignore-not-found", "--timeout=120s"]);
    kubectl(["delete", "clusterrolebinding,clusterrole", "local-path-provisioner-bind", "local-path-provisioner-role", "--ignore-not-found"]);
}
