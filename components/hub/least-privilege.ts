// What the chart's own pods get beyond z2jh 4.4.0's defaults so that each container holds the
// policy pack's least-privilege rule: z2jh already runs them as non-root users with every
// capability dropped and no_new_privs (values.yaml `containerSecurityContext`); the program adds
// the RuntimeDefault seccomp profile and a read-only root, an emptyDir for each path a container
// writes, and no ServiceAccount token where the pod does not call the API.
import { API_TOKEN_REASON } from "../../lib/pods";

type Values = Record<string, unknown>;

/** Added to each chart container's securityContext (Helm merges it over the chart's). */
export const CHART_CONTAINER_SECURITY = { readOnlyRootFilesystem: true, seccompProfile: { type: "RuntimeDefault" } } as const;

/**
 * The paths the hub writes, each an emptyDir: its working directory (the image's WORKDIR
 * /srv/jupyterhub, z2jh images/hub/Dockerfile; the chart mounts a claim there only for sqlite-pvc,
 * and the program's database is MySQL) and /tmp (Python's temporary files).
 */
export const HUB_WRITABLE = [
    { name: "hub-workdir", mountPath: "/srv/jupyterhub" },
    { name: "hub-tmp", mountPath: "/tmp" },
] as const;

/** The hub's emptyDirs (HUB_WRITABLE), as extraVolumes and extraVolumeMounts. */
export function hubWritableVolumes(): { volumes: Values[]; mounts: Values[] } {
    return {
        volumes: HUB_WRITABLE.map((w) => ({ name: w.name, emptyDir: { sizeLimit: "256Mi" } })),
        mounts: HUB_WRITABLE.map((w) => ({ name: w.name, mountPath: w.mountPath })),
    };
}

/**
 * The values that harden the chart's pods. The hub and the user scheduler keep their tokens, with
 * their calls named (the chart's Roles: the hub's pods, claims, events, services, secrets in its
 * namespace; the scheduler's the kube-scheduler's); the proxy has no ServiceAccount of its own, so
 * it would get the namespace's default one's token: it calls no API. The image puller and the
 * placeholders already mount none (their templates set automountServiceAccountToken: false).
 */
export function leastPrivilegeValues(): Values {
    const sc = { containerSecurityContext: CHART_CONTAINER_SECURITY };
    return {
        hub: {
            ...sc,
            annotations: { [API_TOKEN_REASON]: "KubeSpawner creates, watches and deletes users' pods and claims; the hub reads its own Secret and Service" },
        },
        proxy: { chp: { ...sc, extraPodSpec: { automountServiceAccountToken: false } } },
        scheduling: {
            userScheduler: { ...sc, annotations: { [API_TOKEN_REASON]: "kube-scheduler binds users' pods to nodes and holds its leader lease" } },
            userPlaceholder: sc,
        },
        prePuller: { ...sc, pause: sc },
    };
}
