// The platform's rules, as plain policy objects: policy/index.ts puts them in the pack, and the
// tests call validateResource/validateStack directly. Every rule reads Kubernetes objects as the
// engine hands them over (inputs for resource rules, outputs for stack rules), so it also applies
// to the objects helm.v4.Chart renders from the z2jh chart.
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import * as YAML from "yaml";

import { ENFORCE_LABEL } from "../components/pod-security";
import { isMap } from "../lib/formats";
import { credentialEnvName, PRIVILEGED_REASON } from "../lib/pods";

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
    return isMap(v) ? v : {};
}

function list(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** Kind of a Kubernetes resource type token such as "kubernetes:apps/v1:Deployment". */
export function kindOf(type: string): string | undefined {
    const m = /^kubernetes:[^:]+:([A-Za-z0-9]+)$/.exec(type);
    return m ? m[1] : undefined;
}

/** `Kind "namespace/name"`: how every message names the object. */
function describe(kind: string, props: Obj, resourceName: string): string {
    const md = obj(props.metadata);
    const name = str(md.name) ?? resourceName;
    const ns = str(md.namespace);
    return `${kind} "${ns ? `${ns}/` : ""}${name}"`;
}

// ------------------------------------------------------------------------------------ pods

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

interface PodView {
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

function podPolicy(check: (pod: PodView, report: ReportViolation, args: ResourceValidationArgs) => void) {
    return (args: ResourceValidationArgs, report: ReportViolation): void => {
        const pod = podOf(args.type, args.props, args.name);
        if (pod) check(pod, report, args);
    };
}

export const containerLimits: ResourceValidationPolicy = {
    name: "container-resource-limits",
    description: "Every container and init container of a workload has a CPU and a memory limit.",
    enforcementLevel: "mandatory",
    validateResource: podPolicy((pod, report) => {
        for (const { c, label } of pod.containers) {
            const limits = obj(obj(c.resources).limits);
            const missing = ["cpu", "memory"].filter((r) => limits[r] === undefined || limits[r] === null || limits[r] === "");
            if (missing.length > 0) {
                report(
                    `${pod.object}: ${label} has no ${missing.join(" and ")} limit; ` +
                        `set resources.limits.${missing.join(" and resources.limits.")} so that one pod cannot starve the node`,
                );
            }
        }
    }),
};

/** What is wrong with an image reference, or undefined when it is pinned by tag or digest. */
export function imageProblem(image: string): string | undefined {
    if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
    const lastSlash = image.lastIndexOf("/");
    const colon = image.lastIndexOf(":");
    if (colon <= lastSlash) return "has no tag, which means :latest";
    if (image.slice(colon + 1) === "latest") return 'uses the tag "latest", which changes under you';
    return undefined;
}

export const imagesPinned: ResourceValidationPolicy = {
    name: "images-pinned",
    description: "Container images are pinned to a version tag or a digest: no :latest, no untagged image.",
    enforcementLevel: "mandatory",
    validateResource: podPolicy((pod, report) => {
        for (const { c, label } of pod.containers) {
            const image = str(c.image);
            if (image === undefined) {
                report(`${pod.object}: ${label} names no image; set image to a pinned reference such as "mysql:8.4.7"`);
                continue;
            }
            const problem = imageProblem(image);
            if (problem) report(`${pod.object}: ${label} image "${image}" ${problem}; pin a version tag (e.g. "mysql:8.4.7") or a digest (@sha256:...)`);
        }
    }),
};

/** Whether a container runs as a non-root user, given its pod's security context. */
function runsAsNonRoot(podSc: Obj, containerSc: Obj): boolean {
    const user = containerSc.runAsUser ?? podSc.runAsUser;
    const nonRoot = containerSc.runAsNonRoot ?? podSc.runAsNonRoot;
    if (typeof user === "number") return user > 0;
    return nonRoot === true;
}

export const podsNonRoot: ResourceValidationPolicy = {
    name: "pods-run-as-non-root",
    description:
        `Every container runs as a non-root user (runAsNonRoot: true or runAsUser > 0) and none is privileged, ` +
        `unless the pod template carries the annotation ${PRIVILEGED_REASON} with the reason.`,
    enforcementLevel: "mandatory",
    validateResource: podPolicy((pod, report) => {
        const reason = pod.annotations[PRIVILEGED_REASON];
        if (reason !== undefined) {
            if (typeof reason !== "string" || reason.trim() === "") {
                report(`${pod.object}: annotation ${PRIVILEGED_REASON} is empty; state why the pod must run as root or privileged, or remove it`);
            }
            return;
        }
        const podSc = obj(pod.spec.securityContext);
        for (const { c, label } of pod.containers) {
            const sc = obj(c.securityContext);
            if (sc.privileged === true) {
                report(
                    `${pod.object}: ${label} is privileged without a reason; drop securityContext.privileged, ` +
                        `or annotate the pod template with ${PRIVILEGED_REASON}: "<why>"`,
                );
            }
            if (!runsAsNonRoot(podSc, sc)) {
                report(
                    `${pod.object}: ${label} may run as root; set securityContext.runAsNonRoot: true (pod or container) or runAsUser > 0, ` +
                        `or annotate the pod template with ${PRIVILEGED_REASON}: "<why>"`,
                );
            }
        }
    }),
};

// ------------------------------------------------------------------------------ chart values

const CHART_TYPES = ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release"];

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

function chartValues(args: ResourceValidationArgs): Obj | undefined {
    if (!CHART_TYPES.includes(args.type) || !isJupyterHubChart(args.props)) return undefined;
    return obj(args.props.values);
}

function valueAt(values: Obj, path: string): unknown {
    return path.split(".").reduce<unknown>((o, k) => obj(o)[k], values);
}

/** The z2jh values that switch the chart's NetworkPolicies off. */
export const CHART_NETWORK_POLICY_VALUES = ["hub.networkPolicy.enabled", "singleuser.networkPolicy.enabled", "proxy.chp.networkPolicy.enabled"];

export const chartNetworkPolicies: ResourceValidationPolicy = {
    name: "jupyterhub-network-policies",
    description: "The Zero to JupyterHub chart keeps its NetworkPolicies for the hub, the proxy and user pods.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const values = chartValues(args);
        if (!values) return;
        for (const path of CHART_NETWORK_POLICY_VALUES) {
            const v = valueAt(values, path);
            if (v === false || v === "false") {
                report(
                    `Chart "${args.name}": values.${path} is false, which removes the NetworkPolicy that confines those pods; ` +
                        `remove the setting (the chart's default is true) and open what is needed with the chart's networkPolicy.ingress/egress rules`,
                );
            }
        }
    },
};

// ---------------------------------------------------------------------------------- services

/** `app.kubernetes.io/name` values of the services that only the hub may reach. */
export const BACKEND_SERVICES = ["mysql", "openldap"];

function backendName(props: Obj): string | undefined {
    const name = str(obj(obj(props.metadata).labels)["app.kubernetes.io/name"]);
    return name !== undefined && BACKEND_SERVICES.includes(name) ? name : undefined;
}

function isService(type: string): boolean {
    return kindOf(type) === "Service" && type.startsWith("kubernetes:core/");
}

export const backendsClusterIpOnly: ResourceValidationPolicy = {
    name: "mysql-ldap-cluster-ip-only",
    description: "MySQL and OpenLDAP Services are ClusterIP only: no NodePort, LoadBalancer or externalIPs.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isService(args.type)) return;
        const backend = backendName(args.props);
        if (!backend) return;
        const spec = obj(args.props.spec);
        const type = str(spec.type) ?? "ClusterIP";
        const object = describe("Service", args.props, args.name);
        if (type !== "ClusterIP") {
            report(`${object} (${backend}) has type ${type}; the hub database and directory must stay inside the cluster: use type ClusterIP`);
        }
        if (list(spec.externalIPs).length > 0) {
            report(`${object} (${backend}) has externalIPs ${JSON.stringify(spec.externalIPs)}; remove spec.externalIPs`);
        }
    },
};

export interface ExternalServicesConfig {
    /** Names of the Services that may be NodePort or LoadBalancer on this stack. */
    allowedExternalServices?: string[];
}

const EXTERNAL_TYPES = ["NodePort", "LoadBalancer"];

export const externalServicesAllowed: ResourceValidationPolicy = {
    name: "external-services-allowed",
    description:
        "NodePort and LoadBalancer Services exist only where the stack's policy config lists them (allowedExternalServices). " +
        "For the z2jh chart this includes proxy-public as set by values.proxy.service.type.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedExternalServices: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Service names that may be NodePort or LoadBalancer on this stack.",
            },
        },
    },
    validateResource: (args, report) => {
        const allowed = args.getConfig<ExternalServicesConfig>().allowedExternalServices ?? [];
        const fix = (name: string) =>
            `allow it for this stack with --policy-pack-config (allowedExternalServices: ["${name}"]) or make it ClusterIP and reach it through an ingress`;
        if (isService(args.type)) {
            const type = str(obj(args.props.spec).type);
            const name = str(obj(args.props.metadata).name) ?? args.name;
            if (type && EXTERNAL_TYPES.includes(type) && !allowed.includes(name)) {
                report(`${describe("Service", args.props, args.name)} is ${type}, which this stack does not allow; ${fix(name)}`);
            }
            return;
        }
        // The chart's values set proxy-public's type. Judged here as well, for helm.v3.Release (whose
        // objects the engine never sees) and for runs that see the chart but not its objects.
        const values = chartValues(args);
        const type = values && str(valueAt(values, "proxy.service.type"));
        if (type && EXTERNAL_TYPES.includes(type) && !allowed.includes("proxy-public")) {
            report(
                `Chart "${args.name}": values.proxy.service.type ${type} exposes Service "proxy-public", which this stack does not allow; ${fix("proxy-public")}`,
            );
        }
    },
};

// ---------------------------------------------------------------------------------- secrets

/** A PEM private key of any kind (PKCS#8, RSA, EC, OpenSSH, encrypted). */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PEM_PUBLIC = /-----BEGIN (CERTIFICATE|PUBLIC KEY|X509 CRL|TRUSTED CERTIFICATE)-----/;
/** Words in a data key that say its value is a credential. */
const SECRET_WORDS = new Set(["password", "passwd", "pwd", "token", "secret", "key", "apikey", "credential", "credentials"]);

/** "hub-password", "apiKey", "MYSQL_ROOT_PASSWORD", "tls.key" → true; "keycloak-url", "ca.crt" → false. */
export function secretLikeKey(key: string): boolean {
    return key
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .split(/[^A-Za-z0-9]+/)
        .some((w) => SECRET_WORDS.has(w.toLowerCase()));
}

/** What in a ConfigMap entry is secret material, or undefined. */
export function configMapEntryProblem(key: string, value: string): string | undefined {
    if (PEM_PRIVATE_KEY.test(value)) return `key "${key}" holds a PEM private key`;
    // A certificate or public key is public material, whatever the key is called.
    if (secretLikeKey(key) && value.trim() !== "" && !PEM_PUBLIC.test(value)) return `key "${key}" looks like a credential`;
    return undefined;
}

/** A Kubernetes object name (DNS-1123 label). */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** z2jh's hub ConfigMap, whose entries name the chart's objects. */
function isChartNameTable(props: Obj): boolean {
    const labels = obj(obj(props.metadata).labels);
    return labels.app === "jupyterhub" && labels.component === "hub";
}

export const noSecretsInConfigMaps: ResourceValidationPolicy = {
    name: "no-secrets-in-configmaps",
    description: "ConfigMaps hold no secret material: no PEM private keys, no values of keys named like password, token, secret or key.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (kindOf(args.type) !== "ConfigMap" || !args.type.startsWith("kubernetes:core/")) return;
        const entries: Array<[string, string]> = [
            ...Object.entries(obj(args.props.data)).map(([k, v]): [string, string] => [k, String(v)]),
            ...Object.entries(obj(args.props.binaryData)).map(([k, v]): [string, string] => [k, Buffer.from(String(v), "base64").toString("latin1")]),
        ];
        const nameTable = isChartNameTable(args.props);
        for (const [k, v] of entries) {
            // z2jh's hub ConfigMap maps each of its objects to its name ("hub-existing-secret":
            // "hub-secrets"): names of Secrets, not their contents.
            if (nameTable && OBJECT_NAME.test(v)) continue;
            const problem = configMapEntryProblem(k, v);
            if (problem) {
                report(
                    `${describe("ConfigMap", args.props, args.name)}: ${problem}; ConfigMaps are readable by anyone who may read the namespace's configuration: ` +
                        `move it to a Secret (stringData) and mount or reference that instead`,
                );
            }
        }
    },
};

export const noSecretEnvLiterals: ResourceValidationPolicy = {
    name: "no-secret-env-literals",
    description:
        "Credentials never appear as literal env values: variables named like PASSWORD, TOKEN, SECRET, PRIVATE_KEY or API_KEY use valueFrom.secretKeyRef or a _FILE variant.",
    enforcementLevel: "mandatory",
    validateResource: podPolicy((pod, report) => {
        for (const { c, label } of pod.containers) {
            for (const e of list(c.env).map(obj)) {
                const name = str(e.name) ?? "";
                if (!credentialEnvName(name)) continue;
                if (e.value === undefined || e.value === null || e.value === "") continue;
                report(
                    `${pod.object}: ${label} sets env ${name} to a literal value, which lands in the object's spec and the state; ` +
                        `use valueFrom.secretKeyRef, or mount the Secret and set ${name}_FILE to the file's path`,
                );
            }
        }
    }),
};

// -------------------------------------------------------------------- user servers started as root

/**
 * z2jh's values as a resource carries them: a Chart's or Release's own values, or the values.yaml
 * that z2jh's rendered hub Secret keeps, which is what a real preview sees of a helm.v4.Chart
 * (the provider registers the Chart itself without inputs).
 */
export function z2jhValuesOf(args: { type: string; name: string; props: Obj }): { values: Obj; object: string } | undefined {
    const fromChart = chartValues(args as ResourceValidationArgs);
    if (fromChart) return { values: fromChart, object: `Chart "${args.name}"` };
    if (kindOf(args.type) !== "Secret" || !args.type.startsWith("kubernetes:core/") || !isChartNameTable(args.props)) return undefined;
    const encoded = str(obj(args.props.data)["values.yaml"]);
    const text = encoded !== undefined ? Buffer.from(encoded, "base64").toString("utf8") : str(obj(args.props.stringData)["values.yaml"]);
    if (text === undefined) return undefined;
    try {
        const values: unknown = YAML.parse(text);
        return isMap(values) ? { values, object: `${describe("Secret", args.props, args.name)} (the chart's values)` } : undefined;
    } catch {
        return undefined;
    }
}

/** The user the docker-stacks drop goes to, or undefined when the values do not set it up. */
function grantSudoUser(values: Obj): number | undefined {
    const su = obj(values.singleuser);
    const env = obj(su.extraEnv);
    const uid = Number(env.NB_UID);
    const reason = str(obj(su.extraAnnotations)[PRIVILEGED_REASON]);
    return env.GRANT_SUDO === "yes" && Number.isInteger(uid) && uid > 0 && reason !== undefined && reason.trim() !== "" ? uid : undefined;
}

/**
 * What in z2jh's values starts users' servers as root or lets them gain privileges, each with
 * whether jupyterhub:singleuser.grantSudo sets it (singleuser.uid 0, allowPrivilegeEscalation).
 */
function rootStarts(values: Obj): Array<{ what: string; sudo: boolean }> {
    const su = obj(values.singleuser);
    const spawner = obj(obj(obj(values.hub).config).KubeSpawner);
    const out: Array<{ what: string; sudo: boolean }> = [];
    if (su.uid === 0) out.push({ what: "singleuser.uid 0", sudo: true });
    if (su.allowPrivilegeEscalation === true) out.push({ what: "singleuser.allowPrivilegeEscalation true", sudo: true });
    if (obj(obj(su.extraPodConfig).securityContext).runAsUser === 0) out.push({ what: "singleuser.extraPodConfig.securityContext.runAsUser 0", sudo: false });
    if (spawner.uid === 0) out.push({ what: "hub.config.KubeSpawner.uid 0", sudo: false });
    if (spawner.allow_privilege_escalation === true) out.push({ what: "hub.config.KubeSpawner.allow_privilege_escalation true", sudo: false });
    const containerSc = obj(obj(spawner.extra_container_config).securityContext);
    if (containerSc.runAsUser === 0) out.push({ what: "hub.config.KubeSpawner.extra_container_config.securityContext.runAsUser 0", sudo: false });
    if (containerSc.privileged === true) out.push({ what: "hub.config.KubeSpawner.extra_container_config.securityContext.privileged true", sudo: false });
    list(su.profileList).forEach((p, i) => {
        const o = obj(obj(p).kubespawner_override);
        if (o.uid === 0) out.push({ what: `singleuser.profileList[${i}].kubespawner_override.uid 0`, sudo: false });
        if (o.allow_privilege_escalation === true)
            out.push({ what: `singleuser.profileList[${i}].kubespawner_override.allow_privilege_escalation true`, sudo: false });
    });
    return out;
}

export interface RootStartConfig {
    /** Whether users' servers may start as root for jupyterhub:singleuser.grantSudo on this stack. */
    allowGrantSudo?: boolean;
}

export const singleuserRootStart: ResourceValidationPolicy = {
    name: "singleuser-root-start",
    description:
        "Users' servers (z2jh values) start as root or may gain privileges only through jupyterhub:singleuser.grantSudo, whose docker-stacks setup " +
        `(GRANT_SUDO=yes, NB_UID > 0, the ${PRIVILEGED_REASON} annotation) drops them to the user, and only where the stack's policy config sets allowGrantSudo.`,
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowGrantSudo: {
                type: "boolean",
                default: false,
                description: "Users' servers may start as root to grant their user sudo (jupyterhub:singleuser.grantSudo) on this stack.",
            },
        },
    },
    validateResource: (args, report) => {
        const found = z2jhValuesOf(args);
        if (!found) return;
        const starts = rootStarts(found.values);
        if (starts.length === 0) return;
        const uid = grantSudoUser(found.values);
        const outside = starts.filter((s) => !s.sudo || uid === undefined);
        if (outside.length > 0) {
            report(
                `${found.object}: users' servers start as root or may gain privileges (${outside.map((s) => s.what).join(", ")}) without jupyterhub:singleuser.grantSudo's ` +
                    `drop to the user (GRANT_SUDO=yes, NB_UID > 0, annotation ${PRIVILEGED_REASON}), so notebooks would run as root; ` +
                    `remove these values and set jupyterhub:singleuser.grantSudo, the only root start this pack allows`,
            );
            return;
        }
        if (args.getConfig<RootStartConfig>().allowGrantSudo !== true) {
            report(
                `${found.object}: users' servers start as root (${starts.map((s) => s.what).join(", ")}) for jupyterhub:singleuser.grantSudo, which this stack does not allow: ` +
                    `the root start only lets docker-stacks' start.sh grant sudo before it runs the server as uid ${uid}, but sudo then makes every user root in their server; ` +
                    `set jupyterhub:singleuser.grantSudo to false, or allow it for this stack with --policy-pack-config (singleuser-root-start: {allowGrantSudo: true})`,
            );
        }
    },
};

// ---------------------------------------------------------------------------- stack policies

/** Whether a label selector (matchLabels + matchExpressions) matches a set of labels. */
export function selectorMatches(selector: Obj, labels: Record<string, string>): boolean {
    for (const [k, v] of Object.entries(obj(selector.matchLabels))) {
        if (labels[k] !== v) return false;
    }
    for (const e of list(selector.matchExpressions).map(obj)) {
        const key = str(e.key) ?? "";
        const values = list(e.values).map(String);
        const has = Object.prototype.hasOwnProperty.call(labels, key);
        switch (e.operator) {
            case "In":
                if (!has || !values.includes(labels[key])) return false;
                break;
            case "NotIn":
                if (has && values.includes(labels[key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

/** Whether a NetworkPolicy restricts ingress (policyTypes absent means Ingress). */
function governsIngress(spec: Obj): boolean {
    const types = spec.policyTypes;
    return !Array.isArray(types) || types.includes("Ingress");
}

/** Whether an ingress NetworkPolicy of the stack, in namespace `ns`, selects pods with `labels`. */
function ingressCoverage(resources: Array<{ type: string; props: Obj }>): (ns: string, labels: Record<string, string>) => boolean {
    const policies = resources
        .filter((r) => kindOf(r.type) === "NetworkPolicy")
        .map((r) => ({ ns: str(obj(r.props.metadata).namespace) ?? "default", spec: obj(r.props.spec) }));
    return (ns, labels) => policies.some((p) => p.ns === ns && governsIngress(p.spec) && selectorMatches(obj(p.spec.podSelector), labels));
}

export const backendsNetworkPolicies: StackValidationPolicy = {
    name: "mysql-ldap-network-policies",
    description: "Every MySQL and OpenLDAP Service has a NetworkPolicy in its namespace that selects its pods and restricts ingress.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const covered = ingressCoverage(args.resources);
        for (const r of args.resources) {
            if (!isService(r.type)) continue;
            const backend = backendName(r.props);
            if (!backend) continue;
            const ns = str(obj(r.props.metadata).namespace) ?? "default";
            const selector = obj(obj(r.props.spec).selector) as Record<string, string>;
            // A Service without a selector fronts no pods of this cluster.
            if (Object.keys(selector).length === 0) continue;
            // Judged on the Service's selector: a policy that matches those labels covers every pod
            // the Service can route to, whatever other labels the pods carry.
            if (!covered(ns, selector)) {
                report(
                    `${describe("Service", r.props, r.name)} (${backend}) has no NetworkPolicy in namespace "${ns}" selecting its pods ` +
                        `${JSON.stringify(selector)}; add one with policyTypes [Ingress] that admits only the hub (podSelector app=jupyterhub, component=hub)`,
                    r.urn,
                );
            }
        }
    },
};

/** z2jh's pod labels: the chart's own pods, and the user pods KubeSpawner creates. */
const JUPYTERHUB_COMPONENTS = ["hub", "proxy"];

/** The labels z2jh's hub gives user pods: its own app and release, component singleuser-server. */
function userPodLabels(hubLabels: Record<string, string>): Record<string, string> {
    return { app: "jupyterhub", component: "singleuser-server", ...(hubLabels.release ? { release: hubLabels.release } : {}) };
}

export const renderedChartNetworkPolicies: StackValidationPolicy = {
    name: "jupyterhub-rendered-network-policies",
    description:
        "Where the z2jh chart's objects are rendered as resources (helm.v4.Chart), the hub and proxy pods and the user pods are each selected by an ingress NetworkPolicy.",
    enforcementLevel: "mandatory",
    // The values-based rule cannot see a helm.v4.Chart's values in a real preview (the provider
    // registers the Chart component without inputs); the rendered objects it can see.
    validateStack: (args, report) => {
        const covered = ingressCoverage(args.resources);
        for (const r of args.resources) {
            const pod = podOf(r.type, r.props, r.name);
            if (!pod || pod.labels.app !== "jupyterhub" || !JUPYTERHUB_COMPONENTS.includes(pod.labels.component)) continue;
            const ns = str(obj(r.props.metadata).namespace) ?? "default";
            if (!covered(ns, pod.labels)) {
                report(
                    `${pod.object} (${pod.labels.component}) has no ingress NetworkPolicy selecting its pods; keep ${pod.labels.component === "hub" ? "hub" : "proxy.chp"}.networkPolicy.enabled true`,
                    r.urn,
                );
            }
            if (pod.labels.component === "hub" && !covered(ns, userPodLabels(pod.labels))) {
                report(
                    `no ingress NetworkPolicy in namespace "${ns}" selects the user pods ${JSON.stringify(userPodLabels(pod.labels))}; keep singleuser.networkPolicy.enabled true`,
                    r.urn,
                );
            }
        }
    },
};

const LEVELS = ["privileged", "baseline", "restricted"];

export const namespacesPodSecurity: StackValidationPolicy = {
    name: "namespaces-pod-security",
    description:
        `Every namespace of the stack enforces a Pod Security level (label ${ENFORCE_LABEL}); privileged only where the namespace states why ` +
        `(annotation ${PRIVILEGED_REASON}) and holds nothing but pods that state why: never the hub's, its chart's or its users' namespace.`,
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        for (const ns of args.resources.filter((r) => kindOf(r.type) === "Namespace" && r.type.startsWith("kubernetes:core/"))) {
            const md = obj(ns.props.metadata);
            const name = str(md.name) ?? ns.name;
            const level = obj(md.labels)[ENFORCE_LABEL];
            if (typeof level !== "string" || !LEVELS.includes(level)) {
                report(
                    `Namespace "${name}" enforces no Pod Security level (label ${ENFORCE_LABEL}: ${JSON.stringify(level ?? null)}); ` +
                        `label it restricted, or baseline where users' servers start as root, so that no pod created there may be privileged`,
                    ns.urn,
                );
                continue;
            }
            if (level !== "privileged") continue;
            const reason = obj(md.annotations)[PRIVILEGED_REASON];
            if (typeof reason !== "string" || reason.trim() === "") {
                report(
                    `Namespace "${name}" enforces privileged without a reason; annotate it with ${PRIVILEGED_REASON}: "<why>", or enforce baseline or restricted`,
                    ns.urn,
                );
            }
            for (const r of args.resources) {
                const inside = (str(obj(r.props.metadata).namespace) ?? str(r.props.namespace)) === name;
                if (!inside) continue;
                const pod = podOf(r.type, r.props, r.name);
                if (pod && pod.annotations[PRIVILEGED_REASON] === undefined) {
                    report(
                        `${pod.object} runs in the privileged namespace "${name}" without needing it; move it to a namespace that enforces baseline or restricted, ` +
                            `or annotate its pod template with ${PRIVILEGED_REASON}: "<why>"`,
                        r.urn,
                    );
                }
                if (CHART_TYPES.includes(r.type) && isJupyterHubChart(r.props)) {
                    report(
                        `Chart "${r.name}" installs JupyterHub into the privileged namespace "${name}", where its hub could start privileged pods; install it into a namespace that enforces baseline or restricted`,
                        r.urn,
                    );
                }
            }
        }
    },
};

export const RESOURCE_POLICIES: ResourceValidationPolicy[] = [
    containerLimits,
    imagesPinned,
    podsNonRoot,
    chartNetworkPolicies,
    backendsClusterIpOnly,
    externalServicesAllowed,
    noSecretsInConfigMaps,
    noSecretEnvLiterals,
    singleuserRootStart,
];

export const STACK_POLICIES: StackValidationPolicy[] = [backendsNetworkPolicies, renderedChartNetworkPolicies, namespacesPodSecurity];
