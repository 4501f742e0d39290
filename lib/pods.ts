// What the program's pod specs say and what the config and the policy pack hold them to: the
// annotation of pods that must run as root, and the names of variables that carry credentials.
// Shared by config.ts, the components and the policy pack.

/**
 * Annotation on pods that must run as root, with the reason. The policy pack's non-root rule
 * accepts exactly these pods: a kernel NFS server and a CSI node plugin cannot run unprivileged.
 */
export const PRIVILEGED_REASON = "platform.jupyterhub.org/privileged-reason";

/**
 * Environment variable names that carry credentials. A value under such a name must come from a
 * Secret (valueFrom.secretKeyRef) or a file (the _FILE variant), never be written out: the policy
 * pack refuses literal values in pod specs, the config refuses them in singleuser.extraEnv.
 */
export const SECRET_ENV_NAME = /(PASSWORD|PASSWD|TOKEN|SECRET|PRIVATE_KEY|API_KEY)/i;

/** Whether a variable named so may not be given a literal value (SECRET_ENV_NAME, except *_FILE). */
export function credentialEnvName(name: string): boolean {
    return SECRET_ENV_NAME.test(name) && !/_FILE$/i.test(name);
}

/**
 * Prefix of the annotations, on a pod template, that name a container's exceptions to the policy
 * pack's least-privilege rule: `<prefix>/<container name>: "<checks, comma-separated>: <reason>"`.
 * A container without one drops every capability, keeps no_new_privs, runs as non-root with the
 * RuntimeDefault seccomp profile and a read-only root filesystem.
 */
export const LEAST_PRIVILEGE_PREFIX = "least-privilege.platform.jupyterhub.org";

/** What a container may be excepted from, each by name. */
export const LEAST_PRIVILEGE_CHECKS = ["privileged", "root", "capabilities", "privilege-escalation", "seccomp", "writable-root"] as const;
export type LeastPrivilegeCheck = (typeof LEAST_PRIVILEGE_CHECKS)[number];

/** A container's exceptions: the checks it is let off and why. */
export interface LeastPrivilegeException {
    checks: LeastPrivilegeCheck[];
    reason: string;
}

/** The pod template annotations that name these containers' exceptions. */
export function leastPrivilegeAnnotations(byContainer: Record<string, LeastPrivilegeException>): Record<string, string> {
    return Object.fromEntries(Object.entries(byContainer).map(([c, e]) => [`${LEAST_PRIVILEGE_PREFIX}/${c}`, `${e.checks.join(",")}: ${e.reason}`]));
}

/** An annotation's value read back, or what is wrong with it. */
export function parseLeastPrivilegeException(value: string): LeastPrivilegeException | string {
    const m = /^([a-z,-]+):\s*(\S.*)$/s.exec(value);
    if (!m) return `"${value}" is not "<checks>: <reason>"`;
    const checks = m[1].split(",");
    const unknown = checks.filter((c) => !(LEAST_PRIVILEGE_CHECKS as readonly string[]).includes(c));
    if (unknown.length > 0) return `names unknown checks ${unknown.join(", ")} (known: ${LEAST_PRIVILEGE_CHECKS.join(", ")})`;
    return { checks: checks as LeastPrivilegeCheck[], reason: m[2] };
}

/**
 * Annotation of a pod template whose pods keep a ServiceAccount token, with the reason (the API
 * calls it makes): every other pod sets automountServiceAccountToken: false.
 */
export const API_TOKEN_REASON = "platform.jupyterhub.org/api-token-reason";

/**
 * Annotation of a pod template that no NetworkPolicy of the stack confines, with the reason: the
 * policy pack asks every other workload for an ingress and an egress policy.
 */
export const NETWORK_POLICY_EXCEPTION = "platform.jupyterhub.org/network-policy-exception";
