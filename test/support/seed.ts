// The shared-volume seed post (issue 12) as stack config: its image keeps the home at
// /home/jupyter, comes from a private registry with pull credentials and gives users sudo; plus an
// extra environment variable and chart values no typed key covers. One definition for the unit,
// program, API-server, policy and engine tests.

export const SEED_REGISTRY = "mydocker.registry.com";
export const SEED_IMAGE = `${SEED_REGISTRY}/jupyter/shared-volume-notebook:2024.09.1`;
export const SEED_REGISTRY_USER = "seed-puller";
/** What `pulumi config set --secret registryPassword` would hold. */
export const SEED_REGISTRY_PASSWORD = "Seed-Registry-pw-9d1f";

/** The seed's singleuser settings. */
export const SEED_SINGLEUSER = {
    image: SEED_IMAGE,
    cpuLimit: 1,
    cpuGuarantee: 0.1,
    memoryLimit: "1G",
    memoryGuarantee: "256M",
    storageCapacity: "1Gi",
    homeMountPath: "/home/jupyter",
    grantSudo: true,
    extraEnv: { COURSE_DATA: "/mnt/shared/course" },
    registry: { server: SEED_REGISTRY, username: SEED_REGISTRY_USER },
};

/** Chart values no typed key covers: named servers, and user pods allowed to reach private addresses. */
export const SEED_CHART_VALUES = {
    hub: { allowNamedServers: true },
    singleuser: { networkPolicy: { egressAllowRules: { privateIPs: true } } },
};

/** The seed as overrides of a stack file (full `jupyterhub:` keys). */
export function seedOverrides(): Record<string, unknown> {
    return { "jupyterhub:singleuser": SEED_SINGLEUSER, "jupyterhub:chartValues": SEED_CHART_VALUES };
}

/** What the policy pack says of the seed's root start (grantSudo) where the stack's policy config does not allow it. */
export const rootStartRefused = (object: string) =>
    `${object}: users' servers start as root (singleuser.uid 0, singleuser.allowPrivilegeEscalation true) for jupyterhub:singleuser.grantSudo, which this stack does not allow: ` +
    `the root start only lets docker-stacks' start.sh grant sudo before it runs the server as uid 1000, but sudo then makes every user root in their server; ` +
    `set jupyterhub:singleuser.grantSudo to false, or allow it for this stack with --policy-pack-config (singleuser-root-start: {allowGrantSudo: true})`;
