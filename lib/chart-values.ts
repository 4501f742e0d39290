// The z2jh values the program sets itself, each with what to use instead, and the check of
// `jupyterhub:chartValues` against them (config.ts runs it with the other checks, before anything
// is deployed). A unit test holds this table to what hubValues (components/hub/values.ts) produces.
import { isMap } from "./formats";
import { API_TOKEN_REASON, PRIVILEGED_REASON } from "./pods";
import { key, shown } from "./problems";
import { NS } from "./schema";

/**
 * A z2jh value the program sets itself, and what to use instead: `jupyterhub:chartValues` may not
 * touch it. In a path, "*" matches any key and "*Authenticator" any key ending so.
 */
export interface OwnedChartValue {
    path: string[];
    /** The clause after "is set by the program; ": the typed key to use instead, or why to leave it out. */
    fix: string;
}

const use = (key: string, why?: string) => `use ${NS}:${key} instead${why ? ` (${why})` : ""}`;
const SECRETS_FIX = "remove it: the program generates the hub's secrets and keeps them in its own Secret (hub.existingSecret), never in chart values";
const PROXY_TOKEN_FIX =
    "remove it: the program generates the proxy's token and keeps it in its own Secret (hub.existingSecret), where the hub and the proxy read it";
const SERVICE_TOKEN_FIX = "remove it: a token in plain config; the chart generates one per service and keeps it in its Secret";
const DB_FIX = use("mysql", "the hub database; its URL with the password is in the program's Secret");
const CA_FIX = "remove it: the program mounts the directory's CA (jupyterhub:ldap.caCert) there, and a list given here would replace it";
const STORAGE_FIX = use("nfs", "homes are volumes of the StorageClass jupyterhub:nfs.homeStorageClass");
const SUDO_FIX = use("singleuser.grantSudo", "a root start only with docker-stacks' drop to the user");
const SPAWN_HOOKS_FIX = `use ${NS}:nfs.shared.readOnlyForUsers, ${NS}:nfs.groupShares and ${NS}:profiles[].groups instead (the program's spawn hooks)`;
const POD_SECURITY_FIX = `remove it: the program fits users' pods to the hub namespace's Pod Security level (restricted, or baseline with ${NS}:singleuser.grantSudo)`;
const LEAST_PRIVILEGE_FIX = "remove it: the program gives the chart's pods the least privilege they run with (docs/security.md), and checks it";
/** The chart containers' security contexts the program adds to (components/hub/least-privilege.ts). */
const CHART_CONTAINER_SECURITY_PATHS = ["hub", "proxy.chp", "scheduling.userScheduler", "scheduling.userPlaceholder", "prePuller", "prePuller.pause"].flatMap(
    (p) => ["readOnlyRootFilesystem", "seccompProfile"].map((k) => [...p.split("."), "containerSecurityContext", k]),
);
const METADATA_FIX =
    "remove it: blocking with iptables adds a privileged init container to every user pod, which the hub namespace's Pod Security refuses; " +
    "the chart's NetworkPolicy for user pods already blocks the cloud metadata server (singleuser.networkPolicy.egressAllowRules.cloudMetadataServer false)";

/** KubeSpawner traits a typed key sets, readable in hub.config under KubeSpawner or Spawner. */
const SPAWNER_TRAITS: Array<[string, string]> = [
    ["image", use("singleuser.image")],
    ["image_pull_secrets", use("singleuser.registry")],
    ["uid", SUDO_FIX],
    ["allow_privilege_escalation", SUDO_FIX],
    ["environment", use("singleuser.extraEnv")],
    ["working_dir", use("singleuser.homeMountPath")],
    ["volumes", STORAGE_FIX],
    ["volume_mounts", STORAGE_FIX],
    ["storage_class", STORAGE_FIX],
    ["storage_capacity", use("singleuser.storageCapacity")],
    ["storage_access_modes", STORAGE_FIX],
    ["pvc_name_template", STORAGE_FIX],
    ["storage_pvc_ensure", STORAGE_FIX],
    ["cpu_limit", use("singleuser.cpuLimit")],
    ["cpu_guarantee", use("singleuser.cpuGuarantee")],
    ["mem_limit", use("singleuser.memoryLimit")],
    ["mem_guarantee", use("singleuser.memoryGuarantee")],
    ["default_url", use("singleuser.defaultUrl")],
    ["start_timeout", use("singleuser.startTimeout")],
    ["lifecycle_hooks", use("singleuser.postStart")],
    ["profile_list", use("profiles")],
    ["pre_spawn_hook", SPAWN_HOOKS_FIX],
    ["pod_security_context", POD_SECURITY_FIX],
    ["container_security_context", POD_SECURITY_FIX],
    ["privileged", POD_SECURITY_FIX],
];

const owned = (path: string | string[], fix: string): OwnedChartValue => ({ path: typeof path === "string" ? path.split(".") : path, fix });

/**
 * Every z2jh value the program sets: its secrets, the hub database, the authenticator and LDAP
 * settings, the storage wiring and every value a typed key sets. A unit test checks that each
 * value hubValues produces is here or in CHART_DEFAULTS_OVERRIDABLE.
 */
export const OWNED_CHART_VALUES: OwnedChartValue[] = [
    // Secrets.
    owned("hub.existingSecret", SECRETS_FIX),
    owned("hub.cookieSecret", SECRETS_FIX),
    owned("hub.config.JupyterHub.cookie_secret", SECRETS_FIX),
    owned("hub.config.CryptKeeper", SECRETS_FIX),
    owned("proxy.secretToken", PROXY_TOKEN_FIX),
    owned("hub.config.ConfigurableHTTPProxy.auth_token", PROXY_TOKEN_FIX),
    owned("hub.config.JupyterHub.proxy_auth_token", PROXY_TOKEN_FIX),
    owned("hub.services.*.apiToken", SERVICE_TOKEN_FIX),
    owned("hub.services.*.api_token", SERVICE_TOKEN_FIX),
    owned("proxy.https.manual.key", `remove it: a private key in plain config; use ${NS}:ingress.tlsCert with the secret key ${NS}:ingressTlsKey`),
    owned("imagePullSecret", `${use("singleuser.registry")} with the secret key ${NS}:registryPassword (the chart would keep the password in its values)`),
    // The hub database.
    owned("hub.db", DB_FIX),
    owned("hub.config.JupyterHub.db_url", DB_FIX),
    owned("hub.config.JupyterHub.db_kwargs", use("mysql.poolRecycle")),
    // Login: the authenticator, LDAP and who may log in.
    owned("hub.config.JupyterHub.authenticator_class", `use ${NS}:ldap.mode, or ${NS}:hub.authenticatorClass with ldap.mode "none", instead`),
    owned("hub.config.Authenticator.admin_users", use("hub.admins")),
    owned("hub.config.Authenticator.allow_all", use("ldap.allowedGroups", `or ${NS}:hub.authenticatorConfig without LDAP`)),
    owned("hub.config.Authenticator.enable_auth_state", "remove it: the program keeps auth state, encrypted with its CryptKeeper key"),
    owned("hub.config.LDAPAuthenticator", use("ldap")),
    owned("hub.config.*Authenticator", use("hub.authenticatorConfig", `or ${NS}:ldap for LDAP login`)),
    owned("hub.extraVolumes", CA_FIX),
    owned("hub.extraVolumeMounts", CA_FIX),
    owned("hub.config.Authenticator.manage_groups", use("ldap.syncGroups")),
    owned("hub.extraConfig.10-spawn-hooks", SPAWN_HOOKS_FIX),
    owned("hub.extraConfig.15-locked-accounts", `use ${NS}:ldap.lockout instead (the program's message for an account the directory locked)`),
    owned(
        "hub.extraConfig.20-directory-groups",
        `use ${NS}:ldap.adminGroups and ${NS}:ldap.syncGroups instead (the program's authenticator for directory groups)`,
    ),
    ...["KubeSpawner", "Spawner"].flatMap((section) => SPAWNER_TRAITS.map(([trait, fix]) => owned(["hub", "config", section, trait], fix))),
    // Exposure.
    owned("proxy.service.type", use("hub.proxyServiceType")),
    owned("ingress.enabled", use("ingress.enabled")),
    owned("ingress.hosts", use("ingress.host")),
    owned("ingress.ingressClassName", use("ingress.className")),
    owned("ingress.annotations", use("ingress.annotations")),
    owned("ingress.tls", use("ingress.tlsSecretName", `or ${NS}:ingress.tlsCert`)),
    // Users' servers.
    owned("singleuser.image.name", use("singleuser.image")),
    owned("singleuser.image.tag", use("singleuser.image")),
    owned("singleuser.image.pullSecrets", use("singleuser.registry")),
    owned("singleuser.cpu", `use ${NS}:singleuser.cpuLimit and ${NS}:singleuser.cpuGuarantee instead`),
    owned("singleuser.memory", `use ${NS}:singleuser.memoryLimit and ${NS}:singleuser.memoryGuarantee instead`),
    owned("singleuser.storage.capacity", use("singleuser.storageCapacity")),
    owned("singleuser.storage.homeMountPath", use("singleuser.homeMountPath")),
    owned("singleuser.storage.extraVolumes", use("nfs.shared")),
    owned("singleuser.storage.extraVolumeMounts", use("nfs.shared")),
    owned("singleuser.storage", STORAGE_FIX),
    owned("singleuser.defaultUrl", use("singleuser.defaultUrl")),
    owned("singleuser.startTimeout", use("singleuser.startTimeout")),
    owned("singleuser.lifecycleHooks.postStart", use("singleuser.postStart")),
    owned("singleuser.profileList", use("profiles")),
    owned("singleuser.extraEnv", use("singleuser.extraEnv")),
    owned("singleuser.uid", SUDO_FIX),
    owned("singleuser.allowPrivilegeEscalation", SUDO_FIX),
    owned(["singleuser", "extraAnnotations", PRIVILEGED_REASON], SUDO_FIX),
    owned("singleuser.cloudMetadata.blockWithIptables", METADATA_FIX),
    // Culling.
    ...["enabled", "timeout", "every", "maxAge", "users"].map((k) => owned(`cull.${k}`, use(`culling.${k}`))),
    // Least privilege of the chart's pods.
    ...CHART_CONTAINER_SECURITY_PATHS.map((p) => owned(p, LEAST_PRIVILEGE_FIX)),
    owned("proxy.chp.extraPodSpec.automountServiceAccountToken", LEAST_PRIVILEGE_FIX),
    owned(["hub", "annotations", API_TOKEN_REASON], LEAST_PRIVILEGE_FIX),
    owned(["scheduling", "userScheduler", "annotations", API_TOKEN_REASON], LEAST_PRIVILEGE_FIX),
    // Helm hooks.
    owned("prePuller.hook.enabled", "remove it: helm.v4.Chart does not run Helm hooks, so the hook pre-puller stays off"),
];

/** Values the program sets as defaults of its own, which chartValues may change (e.g. more memory for the hub). */
export const CHART_DEFAULTS_OVERRIDABLE: string[] = [
    "hub.resources",
    "proxy.chp.resources",
    "scheduling.userScheduler.resources",
    "scheduling.userPlaceholder.resources",
    "prePuller.resources",
    "singleuser.networkTools.resources",
    "hub.config.JupyterHub.admin_access",
];

const keyMatches = (pattern: string, k: string) => pattern === "*" || pattern === k || (pattern.startsWith("*") && k.endsWith(pattern.slice(1)));

/**
 * The owned value that `path` is or lies under, the most specific one (the longest path; on a
 * tie, the first listed); with `beneath`, the first owned value strictly under `path` instead.
 */
export function ownedChartValue(path: string[], beneath = false): OwnedChartValue | undefined {
    if (beneath) return OWNED_CHART_VALUES.find((o) => o.path.length > path.length && path.every((k, i) => keyMatches(o.path[i], k)));
    let best: OwnedChartValue | undefined;
    for (const o of OWNED_CHART_VALUES) {
        if (o.path.length <= path.length && o.path.every((pattern, i) => keyMatches(pattern, path[i])) && o.path.length > (best?.path.length ?? 0)) best = o;
    }
    return best;
}

/**
 * One problem per value of `chartValues` that the program sets (OWNED_CHART_VALUES): its path
 * under chartValues and what to use instead. Maps merge key by key into the generated values, so
 * each value is judged at its own path; anything else (a list, a scalar, null) replaces what is
 * there, so it is also refused where owned values lie beneath.
 */
export function chartValueIssues(values: Record<string, unknown>, path: string[] = []): Array<{ path: string[]; message: string }> {
    return Object.entries(values).flatMap(([k, v]) => {
        const here = [...path, k];
        // A map merges key by key (an empty one changes nothing).
        if (isMap(v)) return chartValueIssues(v, here);
        const [owner, beneath] = [ownedChartValue(here), ownedChartValue(here, true)];
        if (owner) return [{ path: here, message: `is set by the program; ${owner.fix}` }];
        if (!beneath) return [];
        const replaces = `as a whole it would replace ${beneath.path.join(".")}, which the program sets; ${beneath.fix}`;
        return [{ path: here, message: `must be a map of chart values here (got ${shown(["chartValues", ...here], v)}): ${replaces}` }];
    });
}

/** The lines chartValues' rule adds, each naming `jupyterhub:chartValues.<path>` and what to use instead. */
export function chartValuesProblems(chartValues: Record<string, unknown>): string[] {
    return chartValueIssues(chartValues).map((i) => `${key(["chartValues", ...i.path])} ${i.message}`);
}
