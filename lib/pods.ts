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
