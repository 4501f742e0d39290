import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Annotation naming the stack that owns an object: "<organization>/<project>/<stack>". */
export const OWNER_ANNOTATION = "platform.jupyterhub.org/stack";

/** The owner annotation's value for the running stack. */
export function stackOwner(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** Annotations that mark an object as this stack's, so that a later `pulumi up` may take it back. */
export function ownerAnnotations(): Record<string, string> {
    return { [OWNER_ANNOTATION]: stackOwner() };
}

/** Labels on every object the program creates; `component` tells the pieces apart. */
export function labels(component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/part-of": "jupyterhub-platform",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/**
 * A block-storage claim holding data that must outlive `pulumi destroy` (database, directory,
 * NFS server disk): ReadWriteOnce, with the options of kept objects (ClusterAccess.keep).
 */
export function dataClaim(
    resourceName: string,
    args: {
        name: string;
        namespace: pulumi.Input<string>;
        labels: Record<string, string>;
        storageClass?: pulumi.Input<string | undefined>;
        size: string;
        /** A volume that exists, to bind instead of a new one. */
        volumeName?: pulumi.Input<string | undefined>;
    },
    parent: pulumi.Resource,
    keep: pulumi.CustomResourceOptions,
): k8s.core.v1.PersistentVolumeClaim {
    return new k8s.core.v1.PersistentVolumeClaim(
        resourceName,
        {
            metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.storageClass as pulumi.Input<string>,
                volumeName: args.volumeName as pulumi.Input<string>,
                resources: { requests: { storage: args.size } },
            },
        },
        { parent, ...keep },
    );
}

/** Selector of the z2jh hub pod, for NetworkPolicies of the services only the hub may reach. */
export const HUB_POD_SELECTOR = { matchLabels: { app: "jupyterhub", component: "hub" } };

/** The dependsOn of resource options, as a list (the option takes one resource or a list). */
export function dependsOnList(opts: pulumi.ResourceOptions | undefined): pulumi.Input<pulumi.Resource>[] {
    const d = opts?.dependsOn;
    return d === undefined ? [] : Array.isArray(d) ? [...d] : [d as pulumi.Input<pulumi.Resource>];
}

/**
 * The options a transform hands back. The SDK gives a transform `deleteBeforeReplace: false` when
 * it was never set, and sending that back overrides the provider's own choice (delete first for a
 * named object, whose replacement cannot exist beside it): an unset one stays unset.
 */
export function transformOpts(opts: pulumi.ResourceOptions): pulumi.ResourceOptions {
    const { deleteBeforeReplace, ...rest } = opts as pulumi.CustomResourceOptions;
    return deleteBeforeReplace ? opts : rest;
}

/**
 * With skipAwait the provider's delete of a Job returns at once (pulumi-kubernetes
 * provider/pkg/metadata/overrides.go, allowsSkipAwaitWithDelete), and its default foreground
 * propagation leaves the Job in the API until its pods are collected: a replacement of the same
 * name, created next, then found it and failed (`spec.template: field is immutable`), now and then.
 * Background propagation removes the Job within the DELETE call; its pods are collected after.
 */
export const SKIP_AWAIT_JOB_ANNOTATIONS = { "pulumi.com/deletionPropagationPolicy": "background" };

/**
 * Stack transform for clusters whose pods never run (an API server without nodes, as in the
 * real-engine tests): every Kubernetes object is created without waiting for readiness, and a Job
 * is deleted without leaving it behind (SKIP_AWAIT_JOB_ANNOTATIONS).
 */
export const skipAwaitTransform: pulumi.ResourceTransform = (args) => {
    if (!args.type.startsWith("kubernetes:") || args.type.startsWith("kubernetes:helm")) return undefined;
    const metadata = (args.props.metadata ?? {}) as { annotations?: Record<string, string> };
    const job = args.type === "kubernetes:batch/v1:Job" ? SKIP_AWAIT_JOB_ANNOTATIONS : {};
    const annotations = { ...(metadata.annotations ?? {}), ...job, "pulumi.com/skipAwait": "true" };
    return { props: { ...args.props, metadata: { ...metadata, annotations } }, opts: transformOpts(args.opts) };
};

/** A container's `env` from names and values: how the scripts that run in pods get their settings. */
export function toEnv(env: Record<string, string>): { name: string; value: string }[] {
    return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** Pod security for images that run unprivileged: the Kubernetes "restricted" profile. */
export function restrictedPod(uid: number): {
    runAsNonRoot: boolean;
    runAsUser: number;
    runAsGroup: number;
    fsGroup: number;
    seccompProfile: { type: string };
} {
    return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } };
}

/**
 * A container of a restricted pod: no capability, no_new_privs, the root filesystem read-only
 * (the paths the image writes are emptyDirs or the data volume, named beside each spec).
 */
export const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true };

/** The RuntimeDefault seccomp profile, for containers whose pod does not set one. */
export const RUNTIME_DEFAULT_SECCOMP = { seccompProfile: { type: "RuntimeDefault" } };

/** DNS, for the egress rules of pods that resolve the cluster's names. */
export const DNS_EGRESS = {
    ports: [
        { port: 53, protocol: "UDP" },
        { port: 53, protocol: "TCP" },
    ],
};
