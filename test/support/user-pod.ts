// A user's pod as KubeSpawner makes it from the program's z2jh values, for tests that put it before
// Pod Security admission. Not KubeSpawner itself (the API-server tier has no Python): the parts
// that admission judges, read in the sources at the versions z2jh 4.4.0's hub image runs:
// - z2jh 4.4.0 jupyterhub/files/hub/jupyterhub_config.py: singleuser.uid -> KubeSpawner.uid,
//   singleuser.fsGid -> fs_gid, singleuser.allowPrivilegeEscalation -> allow_privilege_escalation,
//   singleuser.extraEnv -> environment, singleuser.extraAnnotations -> extra_annotations,
//   hub.config.KubeSpawner.* set traits directly; with singleuser.cloudMetadata.blockWithIptables
//   true it adds the init container "block-cloud-metadata" (privileged: true, run_as_user 0,
//   capabilities add NET_ADMIN). Defaults (values.yaml): uid 1000, fsGid 100,
//   allowPrivilegeEscalation false, blockWithIptables true.
// - KubeSpawner 7.0.0 kubespawner/objects.py, make_pod: the pod's securityContext is
//   {fsGroup: fs_gid} updated with pod_security_context; the container "notebook"'s is
//   {runAsUser: uid, allowPrivilegeEscalation} updated with container_security_context; no
//   service account token without a service account.
// The volumes are the home claim and the values' extra volumes (claims only).
import { isMap } from "../../lib/formats";

type Obj = Record<string, unknown>;

function at(values: unknown, path: string): unknown {
    return path.split(".").reduce<unknown>((o, k) => (isMap(o) ? o[k] : undefined), values);
}

/** A scalar value at the path, as a string (numbers too), or the default. */
function text(values: unknown, path: string, otherwise: string): string {
    const v = at(values, path);
    return typeof v === "string" || typeof v === "number" ? String(v) : otherwise;
}

/** The Pod object KubeSpawner would create for `user` with these z2jh values. */
export function kubeSpawnerPod(values: Obj, p: { namespace: string; user: string }): Obj {
    const spawner = (at(values, "hub.config.KubeSpawner") ?? {}) as Obj;
    const su = (values.singleuser ?? {}) as Obj;
    const uid = spawner.uid ?? su.uid ?? 1000;
    const fsGid = spawner.fs_gid ?? su.fsGid ?? 100;
    const ape = spawner.allow_privilege_escalation ?? su.allowPrivilegeEscalation ?? false;
    const blockWithIptables = at(values, "singleuser.cloudMetadata.blockWithIptables") ?? true;
    const image = `${text(values, "singleuser.image.name", "?")}:${text(values, "singleuser.image.tag", "?")}`;
    const extraVolumes = (at(values, "singleuser.storage.extraVolumes") ?? []) as Obj[];
    const extraMounts = (at(values, "singleuser.storage.extraVolumeMounts") ?? []) as Obj[];
    const env = Object.entries((su.extraEnv ?? {}) as Record<string, string>).map(([name, value]) => ({ name, value }));
    const home = text(values, "singleuser.storage.homeMountPath", "/home/jovyan");
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            name: `jupyter-${p.user}`,
            namespace: p.namespace,
            labels: { app: "jupyterhub", component: "singleuser-server", "hub.jupyter.org/username": p.user },
            annotations: (su.extraAnnotations ?? {}) as Obj,
        },
        spec: {
            automountServiceAccountToken: false,
            securityContext: { fsGroup: fsGid, ...((spawner.pod_security_context ?? {}) as Obj) },
            initContainers: blockWithIptables
                ? [
                      {
                          name: "block-cloud-metadata",
                          image: "quay.io/jupyterhub/k8s-network-tools:4.4.0",
                          command: ["iptables", "--append", "OUTPUT", "--destination", "169.254.169.254", "--jump", "DROP"],
                          securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ["NET_ADMIN"] } },
                      },
                  ]
                : [],
            containers: [
                {
                    name: "notebook",
                    image,
                    args: ["jupyterhub-singleuser"],
                    ports: [{ name: "notebook-port", containerPort: 8888 }],
                    env,
                    resources: { limits: { cpu: text(values, "singleuser.cpu.limit", "1"), memory: text(values, "singleuser.memory.limit", "1G") } },
                    volumeMounts: [{ name: "volume-" + p.user, mountPath: home }, ...extraMounts],
                    securityContext: { runAsUser: uid, allowPrivilegeEscalation: ape, ...((spawner.container_security_context ?? {}) as Obj) },
                },
            ],
            volumes: [{ name: "volume-" + p.user, persistentVolumeClaim: { claimName: `claim-${p.user}` } }, ...extraVolumes],
        },
    };
}
