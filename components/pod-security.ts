// Pod Security admission for the stack's namespaces: which level each enforces, and why.
// Levels and their checks: https://kubernetes.io/docs/concepts/security/pod-security-standards/
// The hub's ServiceAccount may create pods in the hub's namespace (KubeSpawner needs it), so that
// namespace enforces a level that refuses privileged and host-path pods; the parts that cannot run
// unprivileged (the kernel NFS server, csi-driver-nfs) live in a namespace of their own.
import type { PlatformConfig } from "../config";
import { isMap } from "../lib/formats";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** The labels' common prefix: `<prefix>/enforce`, `/warn`, `/audit` and their `-version`s. */
export const POD_SECURITY_PREFIX = "pod-security.kubernetes.io";

/** The label Pod Security admission enforces. */
export const ENFORCE_LABEL = `${POD_SECURITY_PREFIX}/enforce`;

/** The namespace of the privileged storage parts, beside the hub's. */
export function storageNamespaceName(namespace: string): string {
    return `${namespace}-storage`;
}

/** What the hub's namespace enforces, what it only warns and audits about, and why. */
export interface HubPodSecurity {
    enforce: "baseline" | "restricted";
    /** Warn (kubectl, the API's responses) and audit at restricted, whatever is enforced. */
    warn: "restricted";
    audit: "restricted";
    /** Why the level is not restricted, as the README and the preview say it; undefined at restricted. */
    reason?: string;
}

/**
 * chartValues paths that put containers or pod settings of their own into users' pods: the
 * program cannot tell whether those fit restricted, so a stack that sets one enforces baseline.
 */
export const USER_POD_CHART_VALUES: string[][] = [
    ["singleuser", "initContainers"],
    ["singleuser", "extraContainers"],
    ["singleuser", "extraPodConfig"],
    ...["init_containers", "extra_containers", "extra_pod_config", "extra_container_config"].flatMap((t) => [
        ["hub", "config", "KubeSpawner", t],
        ["hub", "config", "Spawner", t],
    ]),
];

function has(values: Record<string, unknown>, path: string[]): boolean {
    let v: unknown = values;
    for (const k of path) {
        if (!isMap(v) || !(k in v)) return false;
        v = v[k];
    }
    return v !== undefined && v !== null;
}

/**
 * The hub namespace's level. Restricted, unless users' servers start as root
 * (singleuser.grantSudo: docker-stacks' start.sh needs uid 0 and setuid sudo, which restricted
 * forbids) or chartValues shape users' pods in ways the program does not check. Those stacks
 * enforce baseline, which still refuses privileged containers, host namespaces, host paths and added capabilities.
 * Every level warns and audits at restricted.
 */
export function hubPodSecurity(cfg: Pick<PlatformConfig, "singleuser" | "chartValues">): HubPodSecurity {
    const base = { warn: "restricted", audit: "restricted" } as const;
    if (cfg.singleuser.grantSudo)
        return { ...base, enforce: "baseline", reason: "jupyterhub:singleuser.grantSudo starts users' servers as root, which restricted forbids" };
    const shaped = USER_POD_CHART_VALUES.filter((p) => has(cfg.chartValues, p));
    if (shaped.length > 0)
        return {
            ...base,
            enforce: "baseline",
            reason: `${shaped.map((p) => `jupyterhub:chartValues.${p.join(".")}`).join(", ")} shape users' pods beyond what the program checks against restricted`,
        };
    return { ...base, enforce: "restricted" };
}

/** The namespace labels of one level (`latest`: the rules of the cluster's own version). */
export function podSecurityLabels(p: { enforce: PodSecurityLevel; warn?: PodSecurityLevel; audit?: PodSecurityLevel }): Record<string, string> {
    const out: Record<string, string> = {};
    for (const mode of ["enforce", "warn", "audit"] as const) {
        const level = p[mode];
        if (level === undefined) continue;
        out[`${POD_SECURITY_PREFIX}/${mode}`] = level;
        out[`${POD_SECURITY_PREFIX}/${mode}-version`] = "latest";
    }
    return out;
}

/**
 * How the kubelet applies users' pods' fsGroup (z2jh's singleuser.fsGid, 100) to their volumes: the
 * home and the shared volumes are csi-driver-nfs volumes, whose CSIDriver says fsGroupPolicy File
 * (components/storage/csi-driver.ts), so by default (Always) every mount walks the whole tree,
 * chown and chmod on each file over NFS: a home with a conda environment took its server's start,
 * and the shared volume, mounted by every user's pod, was walked at every start. OnRootMismatch
 * walks only when the volume's root is not yet the group's (Kubernetes pkg/volume/volume_linux.go,
 * skipPermissionChange and requiresPermissionChange: the root's gid is fsGroup, its mode has the
 * group's rw and x and setgid): a new home once, at its first start.
 */
export const USER_POD_FS_GROUP = { fsGroupChangePolicy: "OnRootMismatch" } as const;

/**
 * What users' pods get so that they fit restricted, as KubeSpawner traits (hub.config.KubeSpawner):
 * KubeSpawner 7.0.0 (kubespawner/objects.py, make_pod) sets only fsGroup on the pod and runAsUser
 * and allowPrivilegeEscalation: false on the container, and merges these dicts over them.
 * Restricted also needs runAsNonRoot, a RuntimeDefault seccomp profile and every capability
 * dropped. With grantSudo none of this is set (the root start needs the default capabilities), but
 * USER_POD_FS_GROUP, which is in both.
 */
export function restrictedUserPod(): { pod_security_context: Record<string, unknown>; container_security_context: Record<string, unknown> } {
    return {
        pod_security_context: { ...USER_POD_FS_GROUP, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        container_security_context: { capabilities: { drop: ["ALL"] } },
    };
}
