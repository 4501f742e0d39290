// Namespaces: each enforces a Pod Security level; privileged only with a reason and only for pods
// that state theirs, never where the hub runs.
import type { StackValidationPolicy } from "@pulumi/policy";

import { ENFORCE_LABEL } from "../../components/pod-security";
import { PRIVILEGED_REASON } from "../../lib/pods";
import { CHART_TYPES, isJupyterHubChart, kindOf, obj, podOf, str } from "./objects";

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
