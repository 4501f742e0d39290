// NetworkPolicies: the z2jh chart keeps its own (its values, and its rendered pods), and the hub
// database and the directory are each selected by one that restricts ingress.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { chartValues, describe, kindOf, list, type Obj, obj, podOf, str, valueAt } from "./objects";
import { backendName, isService } from "./services";

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
