// Least privilege (issue 34): every container without capabilities, privilege escalation, root or
// a writable root filesystem, under the RuntimeDefault seccomp profile, unless its pod template
// names the exception and why; no ServiceAccount token where the pod does not say which API calls
// it makes; every workload of the program fenced by NetworkPolicies both ways.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import {
    API_TOKEN_REASON,
    LEAST_PRIVILEGE_CHECKS,
    LEAST_PRIVILEGE_PREFIX,
    type LeastPrivilegeCheck,
    NETWORK_POLICY_EXCEPTION,
    parseLeastPrivilegeException,
} from "../../lib/pods";
import { kindOf, list, type Obj, obj, podOf, podPolicy, str } from "./objects";
import { selectorMatches } from "./network";
import { runsAsNonRoot } from "./pods";

/** What each check wants, as the message's fix. */
const FIX: Record<LeastPrivilegeCheck, string> = {
    privileged: "remove securityContext.privileged",
    root: "set runAsNonRoot: true or runAsUser > 0",
    capabilities: 'set capabilities.drop: ["ALL"] and add none',
    "privilege-escalation": "set allowPrivilegeEscalation: false",
    seccomp: 'set seccompProfile.type: "RuntimeDefault" (pod or container)',
    "writable-root": "set readOnlyRootFilesystem: true, with an emptyDir for each path the image writes",
};

/** The checks a container fails, given its pod's security context. */
export function leastPrivilegeFailures(podSc: Obj, c: Obj): LeastPrivilegeCheck[] {
    const sc = obj(c.securityContext);
    const caps = obj(sc.capabilities);
    const seccomp = str(obj(sc.seccompProfile ?? podSc.seccompProfile).type);
    const failed: Record<LeastPrivilegeCheck, boolean> = {
        privileged: sc.privileged === true,
        root: !runsAsNonRoot(podSc, sc),
        capabilities: !list(caps.drop).includes("ALL") || list(caps.add).length > 0,
        "privilege-escalation": sc.allowPrivilegeEscalation !== false,
        seccomp: seccomp !== "RuntimeDefault" && seccomp !== "Localhost",
        "writable-root": sc.readOnlyRootFilesystem !== true,
    };
    return LEAST_PRIVILEGE_CHECKS.filter((k) => failed[k]);
}

export const containersLeastPrivilege: ResourceValidationPolicy = {
    name: "containers-least-privilege",
    description:
        "Every container drops all capabilities, has allowPrivilegeEscalation false, runs as non-root with the RuntimeDefault seccomp profile " +
        `and a read-only root filesystem, unless its pod template names the exception: ${LEAST_PRIVILEGE_PREFIX}/<container>: "<checks>: <reason>".`,
    enforcementLevel: "mandatory",
    validateResource: podPolicy((pod, report) => {
        const podSc = obj(pod.spec.securityContext);
        for (const { c, label } of pod.containers) {
            const name = str(c.name) ?? "?";
            const key = `${LEAST_PRIVILEGE_PREFIX}/${name}`;
            const raw = pod.annotations[key];
            const exception = typeof raw === "string" ? parseLeastPrivilegeException(raw) : undefined;
            if (typeof exception === "string") {
                report(`${pod.object}: annotation ${key} ${exception}; write "<checks>: <reason>" with checks among ${LEAST_PRIVILEGE_CHECKS.join(", ")}`);
                continue;
            }
            const failures = leastPrivilegeFailures(podSc, c);
            for (const f of failures.filter((k) => !exception?.checks.includes(k))) {
                report(`${pod.object}: ${label} fails ${f}; ${FIX[f]}, or name the exception and why in the pod template's annotation ${key}`);
            }
            const unused = (exception?.checks ?? []).filter((k) => !failures.includes(k));
            if (unused.length > 0)
                report(`${pod.object}: annotation ${key} excepts ${unused.join(", ")}, which ${label} does not need; remove it from the list`);
        }
    }),
};

export const podsNoIdleToken: ResourceValidationPolicy = {
    name: "pods-no-idle-api-token",
    description: `Every pod sets automountServiceAccountToken: false, unless its template's annotation ${API_TOKEN_REASON} names the API calls it makes.`,
    enforcementLevel: "mandatory",
    validateResource: podPolicy((pod, report) => {
        if (pod.spec.automountServiceAccountToken === false) return;
        const reason = pod.annotations[API_TOKEN_REASON];
        if (typeof reason === "string" && reason.trim() !== "") return;
        report(
            `${pod.object}: mounts a ServiceAccount token; set automountServiceAccountToken: false in the pod spec, ` +
                `or name the Kubernetes API calls its containers make in the pod template's annotation ${API_TOKEN_REASON}`,
        );
    }),
};

/** The program's own objects carry this label (components/common.ts labels()). */
const PROGRAM_LABEL = ["app.kubernetes.io/part-of", "jupyterhub-platform"] as const;

/** Which policy types the stack's NetworkPolicies give pods with `labels` in namespace `ns`. */
function fencedBy(resources: Array<{ type: string; props: Obj }>): (ns: string, labels: Record<string, string>) => Set<string> {
    const policies = resources
        .filter((r) => kindOf(r.type) === "NetworkPolicy")
        .map((r) => ({ ns: str(obj(r.props.metadata).namespace) ?? "default", spec: obj(r.props.spec) }));
    return (ns, labels) => {
        const types = new Set<string>();
        for (const p of policies.filter((x) => x.ns === ns && selectorMatches(obj(x.spec.podSelector), labels))) {
            const declared = list(p.spec.policyTypes).map(String);
            for (const t of declared.length > 0 ? declared : ["Ingress", ...(p.spec.egress !== undefined ? ["Egress"] : [])]) types.add(t);
        }
        return types;
    };
}

export const workloadsNetworkPolicies: StackValidationPolicy = {
    name: "workloads-network-policies",
    description:
        "Every workload of the program (label app.kubernetes.io/part-of=jupyterhub-platform) is selected by a NetworkPolicy for ingress and one for egress, " +
        `unless its pod template's annotation ${NETWORK_POLICY_EXCEPTION} says why none can.`,
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const fenced = fencedBy(args.resources);
        for (const r of args.resources) {
            const pod = podOf(r.type, r.props, r.name);
            if (!pod || pod.labels[PROGRAM_LABEL[0]] !== PROGRAM_LABEL[1]) continue;
            const reason = pod.annotations[NETWORK_POLICY_EXCEPTION];
            if (typeof reason === "string" && reason.trim() !== "") continue;
            const ns = str(obj(r.props.metadata).namespace) ?? "default";
            const types = fenced(ns, pod.labels);
            const missing = ["Ingress", "Egress"].filter((t) => !types.has(t));
            if (missing.length > 0) {
                report(
                    `${pod.object}: no NetworkPolicy in namespace "${ns}" restricts its ${missing.join(" and ").toLowerCase()}; ` +
                        `add one selecting ${JSON.stringify(pod.labels)} with policyTypes ${JSON.stringify(missing)}, or say why none can in ${NETWORK_POLICY_EXCEPTION}`,
                    r.urn,
                );
            }
        }
    },
};
