// How the rules read Kubernetes objects as the engine hands them over (inputs for resource rules,
// outputs for stack rules): plain values, the pod inside a workload, z2jh's chart and its values.
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";

import { isMap } from "../../lib/formats";

export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj {
    return isMap(v) ? v : {};
}

export function list(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** Kind of a Kubernetes resource type token such as "kubernetes:apps/v1:Deployment". */
export function kindOf(type: string): string | undefined {
    const m = /^kubernetes:[^:]+:([A-Za-z0-9]+)$/.exec(type);
    return m ? m[1] : undefined;
}

/** `Kind "namespace/name"`: how every message names the object. */
export function describe(kind: string, props: Obj, resourceName: string): string {
    const md = obj(props.metadata);
    const name = str(md.name) ?? resourceName;
    const ns = str(md.namespace);
    return `${kind} "${ns ? `${ns}/` : ""}${name}"`;
}

/** Kinds whose objects carry a pod template, and where it is. */
const POD_TEMPLATE_PATH: Record<string, string[]> = {
    Pod: [],
    Deployment: ["spec", "template"],
    StatefulSet: ["spec", "template"],
    DaemonSet: ["spec", "template"],
    ReplicaSet: ["spec", "template"],
    Job: ["spec", "template"],
    CronJob: ["spec", "jobTemplate", "spec", "template"],
};

export interface PodView {
    /** `Deployment "ns/name"`. */
    object: string;
    /** The pod template's (for a Pod: the Pod's own) annotations. */
    annotations: Obj;
    /** The pod template's labels. */
    labels: Record<string, string>;
    spec: Obj;
    /** Containers and init containers, each with its role for messages. */
    containers: Array<{ c: Obj; label: string }>;
}

/** The pod inside a workload, or undefined for any other resource. */
export function podOf(type: string, props: Obj, resourceName: string): PodView | undefined {
    const kind = kindOf(type);
    if (!kind || !(kind in POD_TEMPLATE_PATH)) return undefined;
    const template = POD_TEMPLATE_PATH[kind].reduce<Obj>((o, k) => obj(o[k]), props);
    const spec = obj(template.spec);
    const containers = [
        ...list(spec.initContainers).map((c) => ({ c: obj(c), label: `init container "${str(obj(c).name) ?? "?"}"` })),
        ...list(spec.containers).map((c) => ({ c: obj(c), label: `container "${str(obj(c).name) ?? "?"}"` })),
    ];
    return {
        object: describe(kind, props, resourceName),
        annotations: obj(obj(template.metadata).annotations),
        labels: obj(obj(template.metadata).labels) as Record<string, string>,
        spec,
        containers,
    };
}

export function podPolicy(check: (pod: PodView, report: ReportViolation, args: ResourceValidationArgs) => void) {
    return (args: ResourceValidationArgs, report: ReportViolation): void => {
        const pod = podOf(args.type, args.props, args.name);
        if (pod) check(pod, report, args);
    };
}

export const CHART_TYPES = ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release"];

/** Whether a Chart/Release resource installs Zero to JupyterHub. */
export function isJupyterHubChart(props: Obj): boolean {
    const chart = (str(props.chart) ?? "").replace(/\/+$/, "");
    const base = chart
        .split("/")
        .pop()!
        .replace(/\.tgz$/, "")
        .replace(/-[0-9]+\.[0-9]+\.[0-9]+.*$/, "");
    return base === "jupyterhub" || isMap(obj(props.values).singleuser);
}

export function chartValues(args: ResourceValidationArgs): Obj | undefined {
    if (!CHART_TYPES.includes(args.type) || !isJupyterHubChart(args.props)) return undefined;
    return obj(args.props.values);
}

export function valueAt(values: Obj, path: string): unknown {
    return path.split(".").reduce<unknown>((o, k) => obj(o)[k], values);
}

/** z2jh's hub ConfigMap, whose entries name the chart's objects. */
export function isChartNameTable(props: Obj): boolean {
    const labels = obj(obj(props.metadata).labels);
    return labels.app === "jupyterhub" && labels.component === "hub";
}
