// Rules on every workload's pods: limits, pinned images, no root and no privilege without a reason.
import type { ResourceValidationPolicy } from "@pulumi/policy";

import { PRIVILEGED_REASON } from "../../lib/pods";
import { type Obj, obj, podPolicy, str } from "./objects";

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
export function runsAsNonRoot(podSc: Obj, containerSc: Obj): boolean {
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
