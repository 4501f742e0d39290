// Typed stack configuration: load, default, validate. No resources are created here.
//
// Every key lives in the `jupyterhub:` namespace. Structured keys are set with
// `pulumi config set --path nfs.mode external`; secrets are separate top-level keys set with
// `pulumi config set --secret mysqlPassword ...`, so that they stay encrypted in the stack file
// and marked secret in the program.

import * as pulumi from "@pulumi/pulumi";

import { credentialEnvName, PRIVILEGED_REASON } from "./components/common";

/** The config namespace, i.e. the project name in Pulumi.yaml. */
export const NS = "jupyterhub";

export type DataPolicy = "retain" | "delete";
export type NfsMode = "in-cluster" | "external";
export type NfsOnDelete = "retain" | "archive" | "delete";
export type LdapMode = "in-cluster" | "external" | "none";
export type MySqlMode = "in-cluster" | "external";
export type TlsStrategy = "before_bind" | "on_connect" | "insecure";
export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";

export interface SharedVolumeConfig {
    enabled: boolean;
    /** Capacity requested for the shared volume (informational for NFS, required by Kubernetes). */
    size: string;
    /** Where the shared volume appears in every user pod. */
    mountPath: string;
    /** Directory under the NFS export that holds the shared data. */
    subPath: string;
    /** Users get a read-only mount; admins (hub admin users) a writable one. */
    readOnlyForUsers: boolean;
}

export interface NfsConfig {
    mode: NfsMode;
    /** NFS server address (external mode). In-cluster mode uses the server Service's ClusterIP. */
    server?: string;
    /** Exported path on the server (external mode). In-cluster: "/". */
    path: string;
    /** Image of the in-cluster NFS server. */
    serverImage: string;
    /** Block volume backing the in-cluster NFS server. */
    serverStorageSize: string;
    /** Storage class of that block volume. Default: the cluster default. */
    serverStorageClass?: string;
    /** Name of the storage class created for per-user home volumes. */
    homeStorageClass: string;
    /** What csi-driver-nfs does with a home directory when its volume is deleted. */
    onDelete: NfsOnDelete;
    mountOptions: string[];
    /**
     * Mode csi-driver-nfs gives each new home directory ("0" leaves it as created and the
     * kubelet applies the pod's fsGroup, which needs no_root_squash on the export).
     */
    mountPermissions: string;
    shared: SharedVolumeConfig;
    /** csi-driver-nfs version (images registry.k8s.io/sig-storage/nfsplugin:vX). */
    csiDriverVersion: string;
    /** Install csi-driver-nfs; false when the cluster already runs it (driver nfs.csi.k8s.io). */
    installCsiDriver: boolean;
}

export interface LdapUser {
    uid: string;
    givenName: string;
    sn: string;
    mail?: string;
}

export interface LdapGroup {
    cn: string;
    members: string[];
}

export interface LdapConfig {
    mode: LdapMode;
    baseDn: string;
    organisation: string;
    usersOu: string;
    groupsOu: string;
    /** Users bootstrapped into the in-cluster directory (passwords are generated). */
    users: LdapUser[];
    /** Groups bootstrapped into the in-cluster directory. */
    groups: LdapGroup[];
    /** Group cns (in-cluster) or full group DNs (external) whose members may log in. Empty: every directory user. */
    allowedGroups: string[];
    image: string;
    storageSize: string;
    storageClass?: string;
    /** External directory: host name. */
    server?: string;
    port?: number;
    tlsStrategy: TlsStrategy;
    /** External directory: DN templates, e.g. "uid={username},ou=people,dc=example,dc=org". */
    bindDnTemplates: string[];
    /** External directory: look the DN up with a search user instead of templates. */
    lookupDn: boolean;
    userAttribute: string;
    searchUser?: string;
    /** External directory: PEM CA certificate that signed the directory's certificate. */
    caCert?: string;
}

export interface MySqlConfig {
    mode: MySqlMode;
    image: string;
    storageSize: string;
    storageClass?: string;
    database: string;
    user: string;
    /** External server host. */
    host?: string;
    port: number;
    /** Seconds after which pooled connections are recycled (below MySQL's wait_timeout). */
    poolRecycle: number;
}

export interface ProfileConfig {
    slug: string;
    displayName: string;
    description: string;
    default: boolean;
    image?: string;
    cpuLimit?: number;
    cpuGuarantee?: number;
    memoryLimit?: string;
    memoryGuarantee?: string;
    gpus: number;
    gpuResource: string;
    nodeSelector: Record<string, string>;
    tolerations: Array<Record<string, string>>;
}

/** A private registry the images come from; its password is the secret key registryPassword. */
export interface RegistryConfig {
    /** Registry host as it starts the image names, e.g. "mydocker.registry.com" or "registry.example.org:5000". */
    server: string;
    username: string;
}

/** An extra environment variable's value: text, or a reference (e.g. to a key of a Secret). */
export type EnvValue = string | { valueFrom: Record<string, unknown> };

export interface SingleUserConfig {
    /** Image name with a pinned tag, e.g. "quay.io/jupyter/scipy-notebook:2025-11-03". */
    image: string;
    /** Where the home volume is mounted: the home directory of the image's user. */
    homeMountPath: string;
    /** Extra environment of the user's server. Never a credential in plain text. */
    extraEnv: Record<string, EnvValue>;
    /** Start as root so that docker-stacks' start.sh grants passwordless sudo, then drops to the user. */
    grantSudo: boolean;
    /** Pull credentials for a private registry. */
    registry?: RegistryConfig;
    cpuLimit: number;
    cpuGuarantee: number;
    memoryLimit: string;
    memoryGuarantee: string;
    storageCapacity: string;
    defaultUrl: string;
    /** Command run in the user container after start (postStart lifecycle hook). */
    postStart: string[];
    startTimeout: number;
}

export interface CullingConfig {
    enabled: boolean;
    timeout: number;
    every: number;
    maxAge: number;
    users: boolean;
}

export interface IngressConfig {
    enabled: boolean;
    host?: string;
    className?: string;
    annotations: Record<string, string>;
    /** Existing kubernetes.io/tls Secret (e.g. from cert-manager). */
    tlsSecretName?: string;
    /** PEM certificate; its key goes in the secret key ingressTlsKey. */
    tlsCert?: string;
}

export interface HubConfig {
    chartVersion: string;
    chartRepo: string;
    /** Local chart directory or archive, used instead of the repository (offline installs, tests). */
    chartPath?: string;
    admins: string[];
    /** Authenticator when ldap.mode is "none": "dummy" (dev only) or a class name. */
    authenticatorClass?: string;
    /** Extra traitlets config for that authenticator, passed as hub.config. */
    authenticatorConfig: Record<string, unknown>;
    proxyServiceType: ServiceType;
}

export interface PlatformConfig {
    stack: string;
    namespace: string;
    dataPolicy: DataPolicy;
    nfs: NfsConfig;
    ldap: LdapConfig;
    mysql: MySqlConfig;
    hub: HubConfig;
    singleuser: SingleUserConfig;
    profiles: ProfileConfig[];
    culling: CullingConfig;
    ingress: IngressConfig;
    /** z2jh values deep-merged over the generated ones, last. Never a value the program sets. */
    chartValues: Record<string, unknown>;
    /** Skip the provider's readiness checks (clusters whose pods never run, e.g. API-server-only tests). */
    skipAwait: boolean;
    /** Names of secret keys that are set (their values are read separately, as secrets). */
    secretsPresent: { mysqlPassword: boolean; ldapBindPassword: boolean; ingressTlsKey: boolean; registryPassword: boolean };
}

/** Secret keys: set with `pulumi config set --secret KEY`. Never part of the objects above. */
export const SECRET_KEYS = ["mysqlPassword", "ldapBindPassword", "ingressTlsKey", "registryPassword"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** Top-level keys this program reads. Anything else in the namespace is a typo. */
export const CONFIG_KEYS = [
    "namespace",
    "dataPolicy",
    "nfs",
    "ldap",
    "mysql",
    "hub",
    "singleuser",
    "profiles",
    "culling",
    "ingress",
    "chartValues",
    "skipAwait",
    ...SECRET_KEYS,
] as const;

export const DEFAULTS = {
    namespace: "jupyterhub",
    nfsServerImage: "registry.k8s.io/e2e-test-images/volume/nfs:1.4",
    csiDriverVersion: "v4.12.1",
    ldapImage: "symas/openldap:2.6.8-debian-12",
    mysqlImage: "mysql:8.4.7",
    chartVersion: "4.4.0",
    chartRepo: "https://hub.jupyter.org/helm-chart/",
    singleuserImage: "quay.io/jupyterhub/k8s-singleuser-sample:4.4.0",
    homeMountPath: "/home/jovyan",
} as const;

/**
 * All problems found in the configuration; thrown before any resource is registered. A RunError,
 * so that the CLI prints the message alone, without the program's stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

type Raw = Record<string, unknown>;

const DN_COMPONENT = /^[a-zA-Z][a-zA-Z0-9-]*=[^,=]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P|k|m)?$/;
const UID = /^[a-z_][a-z0-9_.-]{0,31}$/;
const SQL_IDENT = /^[a-zA-Z_][a-zA-Z0-9_]{0,31}$/;

function show(v: unknown): string {
    return JSON.stringify(v) ?? String(v);
}

/** Walks one config object, recording problems with the full key path. */
class Reader {
    constructor(
        private readonly prefix: string,
        private readonly obj: Raw,
        private readonly problems: string[],
    ) {}

    key(k: string): string {
        return `${NS}:${this.prefix}${k}`;
    }

    problem(k: string, given: unknown, expected: string): void {
        this.problems.push(`${this.key(k)} ${expected} (got ${show(given)})`);
    }

    has(k: string): boolean {
        return this.obj[k] !== undefined && this.obj[k] !== null;
    }

    /** Reports keys not in `known`: a misspelt key must not be silently ignored. */
    only(known: string[]): void {
        for (const k of Object.keys(this.obj)) {
            if (!known.includes(k)) {
                this.problems.push(`${this.key(k)} is not a known setting; known keys here: ${known.join(", ")}`);
            }
        }
    }

    str(k: string, def: string, check?: { re: RegExp; expected: string }): string {
        const v = this.obj[k];
        if (v === undefined || v === null) return def;
        if (typeof v !== "string" || v.trim() === "") {
            this.problem(k, v, "must be a non-empty string");
            return def;
        }
        if (check && !check.re.test(v)) {
            this.problem(k, v, check.expected);
        }
        return v;
    }

    optStr(k: string, check?: { re: RegExp; expected: string }): string | undefined {
        return this.has(k) ? this.str(k, "", check) : undefined;
    }

    oneOf<T extends string>(k: string, allowed: readonly T[], def: T): T {
        const v = this.obj[k];
        if (v === undefined || v === null) return def;
        if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
            this.problem(k, v, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
            return def;
        }
        return v as T;
    }

    bool(k: string, def: boolean): boolean {
        const v = this.obj[k];
        if (v === undefined || v === null) return def;
        if (typeof v === "boolean") return v;
        if (v === "true" || v === "false") return v === "true";
        this.problem(k, v, "must be true or false");
        return def;
    }

    num(k: string, def: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
        const v = this.obj[k];
        if (v === undefined || v === null) return def;
        const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
        if (typeof n !== "number" || !Number.isFinite(n)) {
            this.problem(k, v, "must be a number");
            return def;
        }
        if (opts.integer && !Number.isInteger(n)) this.problem(k, v, "must be a whole number");
        if (opts.min !== undefined && n < opts.min) this.problem(k, v, `must be at least ${opts.min}`);
        if (opts.max !== undefined && n > opts.max) this.problem(k, v, `must be at most ${opts.max}`);
        return n;
    }

    optNum(k: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
        return this.has(k) ? this.num(k, 0, opts) : undefined;
    }

    quantity(k: string, def: string): string {
        const v = this.obj[k];
        if (v === undefined || v === null) return def;
        const s = typeof v === "number" ? String(v) : v;
        if (typeof s !== "string" || !QUANTITY.test(s)) {
            this.problem(k, v, `must be a Kubernetes quantity such as "10Gi" or "512M"`);
            return def;
        }
        return s;
    }

    optQuantity(k: string): string | undefined {
        return this.has(k) ? this.quantity(k, "") : undefined;
    }

    strList(k: string, def: string[], check?: { re: RegExp; expected: string }): string[] {
        const v = this.obj[k];
        if (v === undefined || v === null) return def;
        if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
            this.problem(k, v, "must be a list of strings");
            return def;
        }
        if (check) {
            v.forEach((x: string, i: number) => {
                if (!check.re.test(x)) this.problem(`${k}[${i}]`, x, check.expected);
            });
        }
        return v;
    }

    strMap(k: string): Record<string, string> {
        const v = this.obj[k];
        if (v === undefined || v === null) return {};
        if (typeof v !== "object" || Array.isArray(v) || !Object.values(v).every((x) => typeof x === "string")) {
            this.problem(k, v, "must be a map of strings");
            return {};
        }
        return v as Record<string, string>;
    }

    sub(k: string): Reader {
        const v = this.obj[k];
        if (v !== undefined && v !== null && (typeof v !== "object" || Array.isArray(v))) {
            this.problem(k, v, "must be an object");
            return new Reader(`${this.prefix}${k}.`, {}, this.problems);
        }
        return new Reader(`${this.prefix}${k}.`, (v as Raw) ?? {}, this.problems);
    }

    list(k: string): Reader[] {
        const v = this.obj[k];
        if (v === undefined || v === null) return [];
        if (!Array.isArray(v)) {
            this.problem(k, v, "must be a list");
            return [];
        }
        return v.map((item, i) => {
            if (typeof item !== "object" || item === null || Array.isArray(item)) {
                this.problem(`${k}[${i}]`, item, "must be an object");
                return new Reader(`${this.prefix}${k}[${i}].`, {}, this.problems);
            }
            return new Reader(`${this.prefix}${k}[${i}].`, item as Raw, this.problems);
        });
    }

    raw(k: string): unknown {
        return this.obj[k];
    }
}

/** "a,b=c" style DN check: each RDN is attr=value. */
export function isDn(dn: string): boolean {
    return dn.split(",").every((part) => DN_COMPONENT.test(part.trim()));
}

const PINNED_IMAGE = {
    re: /^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/,
    expected: 'must be an image pinned by tag or digest, e.g. "mysql:8.4.7"',
};

function checkNotLatest(r: Reader, k: string, image: string): void {
    if (/:latest$/.test(image)) r.problem(k, image, 'must be pinned to a version; "latest" changes under you');
}

// ------------------------------------------------------------------------------ chart values

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
const PROXY_TOKEN_FIX = "remove it: the chart generates the proxy's token and keeps it in its own Secret";
const STORAGE_FIX = use("nfs", "homes are volumes of the StorageClass jupyterhub:nfs.homeStorageClass");
const SUDO_FIX = use("singleuser.grantSudo", "a root start only with docker-stacks' drop to the user");

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
    ["pre_spawn_hook", use("nfs.shared.readOnlyForUsers", "the program's hook makes the shared volume writable for admins")],
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
    owned("hub.services.*.apiToken", "remove it: a token in plain config; the chart generates one per service and keeps it in its Secret"),
    owned("hub.services.*.api_token", "remove it: a token in plain config; the chart generates one per service and keeps it in its Secret"),
    owned("proxy.https.manual.key", `remove it: a private key in plain config; use ${NS}:ingress.tlsCert with the secret key ${NS}:ingressTlsKey`),
    owned("imagePullSecret", `${use("singleuser.registry")} with the secret key ${NS}:registryPassword (the chart would keep the password in its values)`),
    // The hub database.
    owned("hub.db", use("mysql", "the hub database; its URL with the password is in the program's Secret")),
    owned("hub.config.JupyterHub.db_url", use("mysql", "the hub database; its URL with the password is in the program's Secret")),
    owned("hub.config.JupyterHub.db_kwargs", use("mysql.poolRecycle")),
    // Login: the authenticator, LDAP and who may log in.
    owned("hub.config.JupyterHub.authenticator_class", `use ${NS}:ldap.mode, or ${NS}:hub.authenticatorClass with ldap.mode "none", instead`),
    owned("hub.config.Authenticator.admin_users", use("hub.admins")),
    owned("hub.config.Authenticator.allow_all", use("ldap.allowedGroups", `or ${NS}:hub.authenticatorConfig without LDAP`)),
    owned("hub.config.Authenticator.enable_auth_state", "remove it: the program keeps auth state, encrypted with its CryptKeeper key"),
    owned("hub.config.LDAPAuthenticator", use("ldap")),
    owned("hub.config.*Authenticator", use("hub.authenticatorConfig", `or ${NS}:ldap for LDAP login`)),
    owned("hub.extraVolumes", "remove it: the program mounts the directory's CA (jupyterhub:ldap.caCert) there, and a list given here would replace it"),
    owned("hub.extraVolumeMounts", "remove it: the program mounts the directory's CA (jupyterhub:ldap.caCert) there, and a list given here would replace it"),
    owned("hub.extraConfig.10-shared-volume-admins", use("nfs.shared.readOnlyForUsers")),
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
    // Culling.
    ...["enabled", "timeout", "every", "maxAge", "users"].map((k) => owned(`cull.${k}`, use(`culling.${k}`))),
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

function keyMatches(pattern: string, key: string): boolean {
    return pattern === "*" || pattern === key || (pattern.startsWith("*") && key.endsWith(pattern.slice(1)));
}

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

function isPlainObject(v: unknown): v is Raw {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * One line per value of `chartValues` that the program sets (OWNED_CHART_VALUES), naming
 * `jupyterhub:chartValues.<path>` and what to use instead. Maps merge key by key into the
 * generated values, so each value is judged at its own path; anything else (a list, a scalar,
 * null) replaces what is there, so it is also refused where owned values lie beneath.
 */
export function chartValuesProblems(chartValues: Raw, path: string[] = []): string[] {
    const problems: string[] = [];
    for (const [k, v] of Object.entries(chartValues)) {
        const here = [...path, k];
        const key = `${NS}:chartValues.${here.join(".")}`;
        // A map merges key by key (an empty one changes nothing).
        if (isPlainObject(v)) {
            problems.push(...chartValuesProblems(v, here));
            continue;
        }
        const owner = ownedChartValue(here);
        const beneath = ownedChartValue(here, true);
        if (owner) {
            problems.push(`${key} is set by the program; ${owner.fix}`);
        } else if (beneath) {
            problems.push(
                `${key} must be a map of chart values here (got ${show(v)}): as a whole it would replace ${beneath.path.join(".")}, which the program sets; ${beneath.fix}`,
            );
        }
    }
    return problems;
}

/** Host of an image reference's registry: "quay.io" for "quay.io/a/b:1", "docker.io" for "b:1". */
export function imageRegistry(image: string): string {
    const first = image.split("/")[0];
    return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

/** The image z2jh publishes as a sample: no docker-stacks start.sh, no sudo. */
const SAMPLE_IMAGE = /^quay\.io\/jupyterhub\/k8s-singleuser-sample[:@]/;

/** Top-level directories a home volume must not hide (or, for the first ones, sit under). */
const SYSTEM_TREES = ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr"];
const SYSTEM_DIRS = ["/", "/home", "/opt", "/root", "/srv", "/tmp", "/var"];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables the program sets for grantSudo, or that the hub sets for every server. */
const PROGRAM_ENV = ["GRANT_SUDO", "NB_USER", "NB_UID", "NB_GID"];
const ENV_REFERENCES = ["secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef"];

/** singleuser.extraEnv: name → text (numbers and booleans as text), or {valueFrom: {<one reference>}}. */
function readExtraEnv(s: Reader, problems: string[]): Record<string, EnvValue> {
    const raw = s.raw("extraEnv");
    if (raw === undefined || raw === null) return {};
    if (!isPlainObject(raw)) {
        s.problem("extraEnv", raw, 'must be a map of variable names to values, e.g. {COURSE: "physics-101"}');
        return {};
    }
    const env: Record<string, EnvValue> = {};
    for (const [name, v] of Object.entries(raw)) {
        const key = s.key(`extraEnv.${name}`);
        if (!ENV_NAME.test(name)) {
            problems.push(`${key} is not a variable name: use letters, digits and "_", not starting with a digit`);
        } else if (PROGRAM_ENV.includes(name)) {
            problems.push(`${key} is set by the program: use ${NS}:singleuser.grantSudo (and ${NS}:singleuser.homeMountPath for the user's name)`);
        } else if (name.startsWith("JUPYTERHUB_")) {
            problems.push(`${key} is set by the hub for every server; choose another name`);
        } else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
            if (credentialEnvName(name)) {
                problems.push(
                    `${key} looks like a credential, which must not be stored in plain config: ` +
                        `give {valueFrom: {secretKeyRef: {name: <Secret>, key: <key>}}} instead, or mount the file and set ${name}_FILE to its path`,
                );
            } else {
                env[name] = String(v);
            }
        } else if (
            isPlainObject(v) &&
            Object.keys(v).length === 1 &&
            isPlainObject(v.valueFrom) &&
            Object.keys(v.valueFrom).length === 1 &&
            ENV_REFERENCES.includes(Object.keys(v.valueFrom)[0])
        ) {
            env[name] = { valueFrom: v.valueFrom };
        } else {
            problems.push(`${key} must be a text value or {valueFrom: {${ENV_REFERENCES.join(" | ")}: {...}}} (got ${show(v)})`);
        }
    }
    return env;
}

/** The profiles' own images with their keys, read raw (profiles are parsed later). */
function profileImages(top: Reader): Array<[string, string]> {
    const raw = top.raw("profiles");
    if (!Array.isArray(raw)) return [];
    return raw.flatMap((p, i): Array<[string, string]> => (isPlainObject(p) && typeof p.image === "string" ? [[`profiles[${i}].image`, p.image]] : []));
}

/**
 * Validates raw config (the values of every `jupyterhub:` key, already parsed from YAML/JSON)
 * and returns the typed configuration, or throws one ConfigError listing every problem.
 */
export function parseConfig(rawAll: Raw, stack: string): PlatformConfig {
    const problems: string[] = [];
    const top = new Reader("", rawAll, problems);
    top.only([...CONFIG_KEYS]);

    for (const k of SECRET_KEYS) {
        const v = rawAll[k];
        if (v !== undefined && typeof v !== "string") top.problem(k, "<hidden>", "must be a string secret");
    }

    const namespace = top.str("namespace", DEFAULTS.namespace, {
        re: DNS_LABEL,
        expected: "must be a DNS label (lower case letters, digits and '-')",
    });
    const dataPolicy = top.oneOf("dataPolicy", ["retain", "delete"] as const, "retain");

    // --- NFS ---
    const n = top.sub("nfs");
    n.only([
        "mode",
        "server",
        "path",
        "serverImage",
        "serverStorageSize",
        "serverStorageClass",
        "homeStorageClass",
        "onDelete",
        "mountOptions",
        "mountPermissions",
        "shared",
        "csiDriverVersion",
        "installCsiDriver",
    ]);
    const nfsMode = n.oneOf("mode", ["in-cluster", "external"] as const, "in-cluster");
    const nfsServer = n.optStr("server", {
        re: /^[a-zA-Z0-9.:-]+$/,
        expected: "must be a host name or IP address",
    });
    if (nfsMode === "external" && !nfsServer) {
        problems.push(
            `${n.key("server")} is required when ${n.key("mode")} is "external": set it to your NFS server's address (pulumi config set --path nfs.server nfs.example.org)`,
        );
    }
    if (nfsMode === "in-cluster" && nfsServer) {
        n.problem("server", nfsServer, 'is only used when nfs.mode is "external"; remove it or set nfs.mode to "external"');
    }
    const nfsPath = n.str("path", "/", { re: /^\/[^\s]*$/, expected: 'must be an absolute path such as "/exports/jupyterhub"' });
    const sh = n.sub("shared");
    sh.only(["enabled", "size", "mountPath", "subPath", "readOnlyForUsers"]);
    const shared: SharedVolumeConfig = {
        enabled: sh.bool("enabled", true),
        size: sh.quantity("size", "10Gi"),
        mountPath: sh.str("mountPath", "/mnt/shared", { re: /^\/[^\s]*$/, expected: "must be an absolute path" }),
        subPath: sh.str("subPath", "shared", {
            re: /^[a-zA-Z0-9._-]+$/,
            expected: "must be a single directory name (letters, digits, '.', '_', '-')",
        }),
        readOnlyForUsers: sh.bool("readOnlyForUsers", false),
    };
    if (["/", "/etc", "/usr"].includes(shared.mountPath)) {
        sh.problem("mountPath", shared.mountPath, "must not hide the home directory or system directories; use e.g. /mnt/shared");
    }
    const onDelete = n.oneOf("onDelete", ["retain", "archive", "delete"] as const, dataPolicy === "delete" ? "delete" : "retain");
    if (dataPolicy === "retain" && onDelete === "delete") {
        n.problem(
            "onDelete",
            onDelete,
            `deletes users' home directories when their volumes go, which contradicts ${NS}:dataPolicy "retain"; use "retain" or "archive", or set dataPolicy to "delete" deliberately`,
        );
    }
    const nfs: NfsConfig = {
        mode: nfsMode,
        server: nfsServer,
        path: nfsPath,
        serverImage: n.str("serverImage", DEFAULTS.nfsServerImage, PINNED_IMAGE),
        serverStorageSize: n.quantity("serverStorageSize", "20Gi"),
        serverStorageClass: n.optStr("serverStorageClass"),
        homeStorageClass: n.str("homeStorageClass", "jupyterhub-home", {
            re: DNS_NAME,
            expected: "must be a DNS name (lower case)",
        }),
        onDelete,
        mountOptions: n.strList("mountOptions", ["nfsvers=4.1"]),
        mountPermissions: n.str("mountPermissions", "0", {
            re: /^0[0-7]{0,4}$/,
            expected: 'must be an octal mode such as "0777", or "0" to leave directories as created',
        }),
        shared,
        csiDriverVersion: n.str("csiDriverVersion", DEFAULTS.csiDriverVersion, {
            re: /^v[0-9]+\.[0-9]+\.[0-9]+$/,
            expected: 'must be a release tag such as "v4.12.1"',
        }),
        installCsiDriver: n.bool("installCsiDriver", true),
    };
    checkNotLatest(n, "serverImage", nfs.serverImage);

    // --- LDAP ---
    const l = top.sub("ldap");
    l.only([
        "mode",
        "baseDn",
        "organisation",
        "usersOu",
        "groupsOu",
        "users",
        "groups",
        "allowedGroups",
        "image",
        "storageSize",
        "storageClass",
        "server",
        "port",
        "tlsStrategy",
        "bindDnTemplates",
        "lookupDn",
        "userAttribute",
        "searchUser",
        "caCert",
        "password",
        "bindPassword",
    ]);
    for (const k of ["password", "bindPassword"]) {
        if (l.has(k)) {
            problems.push(`${l.key(k)} must not be stored in plain text: remove it and run \`pulumi config set --secret ldapBindPassword <value>\``);
        }
    }
    const ldapMode = l.oneOf("mode", ["in-cluster", "external", "none"] as const, "in-cluster");
    const baseDn = l.str("baseDn", "dc=example,dc=org");
    if (!isDn(baseDn)) {
        l.problem("baseDn", baseDn, 'must look like "dc=example,dc=org"');
    }
    const ou = { re: /^[a-zA-Z0-9][a-zA-Z0-9 _-]*$/, expected: 'must be a plain OU name such as "people"' };
    const usersOu = l.str("usersOu", "people", ou);
    const groupsOu = l.str("groupsOu", "groups", ou);
    const users: LdapUser[] = l.list("users").map((u) => {
        u.only(["uid", "givenName", "sn", "mail"]);
        const uid = u.str("uid", "", { re: UID, expected: "must be a POSIX-style user name (lower case, starts with a letter)" });
        if (!u.has("uid")) problems.push(`${u.key("uid")} is required for every user`);
        return {
            uid,
            givenName: u.str("givenName", uid),
            sn: u.str("sn", uid),
            mail: u.optStr("mail", { re: /^[^@\s]+@[^@\s]+$/, expected: "must be an e-mail address" }),
        };
    });
    const uids = users.map((u) => u.uid);
    uids.forEach((uid, i) => {
        if (uids.indexOf(uid) !== i) problems.push(`${l.key(`users[${i}].uid`)} "${uid}" is listed twice; user ids must be unique`);
    });
    const groups: LdapGroup[] = l.list("groups").map((g) => {
        g.only(["cn", "members"]);
        const cn = g.str("cn", "", { re: /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, expected: "must be a plain group name" });
        if (!g.has("cn")) problems.push(`${g.key("cn")} is required for every group`);
        const members = g.strList("members", []);
        members.forEach((m, i) => {
            if (ldapMode === "in-cluster" && !uids.includes(m)) {
                problems.push(
                    `${g.key(`members[${i}]`)} "${m}" is not one of ${NS}:ldap.users (${uids.join(", ") || "none defined"}); add the user or remove the member`,
                );
            }
        });
        if (ldapMode === "in-cluster" && members.length === 0) {
            problems.push(`${g.key("members")} must name at least one user: LDAP groupOfNames needs a member`);
        }
        return { cn, members };
    });
    const allowedGroups = l.strList("allowedGroups", []);
    if (ldapMode === "in-cluster") {
        allowedGroups.forEach((g, i) => {
            if (!groups.some((x) => x.cn === g)) {
                problems.push(
                    `${l.key(`allowedGroups[${i}]`)} "${g}" is not one of ${NS}:ldap.groups (${groups.map((x) => x.cn).join(", ") || "none defined"})`,
                );
            }
        });
        if (users.length === 0) {
            problems.push(`${l.key("users")} must list at least one user when ${l.key("mode")} is "in-cluster", or nobody can log in`);
        }
    }
    if (ldapMode === "external") {
        allowedGroups.forEach((g, i) => {
            if (!isDn(g))
                l.problem(`allowedGroups[${i}]`, g, 'must be a full group DN such as "cn=jupyterhub,ou=groups,dc=example,dc=org" for an external directory');
        });
    }
    const tlsStrategy = l.oneOf("tlsStrategy", ["before_bind", "on_connect", "insecure"] as const, ldapMode === "in-cluster" ? "on_connect" : "before_bind");
    const bindDnTemplates = l.strList("bindDnTemplates", []);
    bindDnTemplates.forEach((t, i) => {
        if (!t.includes("{username}")) l.problem(`bindDnTemplates[${i}]`, t, 'must contain "{username}"');
    });
    const lookupDn = l.bool("lookupDn", false);
    const ldapServer = l.optStr("server", { re: /^[a-zA-Z0-9.-]+$/, expected: "must be a host name without scheme or port (e.g. ldap.example.org)" });
    const ldap: LdapConfig = {
        mode: ldapMode,
        baseDn,
        organisation: l.str("organisation", "Example"),
        usersOu,
        groupsOu,
        users,
        groups,
        allowedGroups,
        image: l.str("image", DEFAULTS.ldapImage, PINNED_IMAGE),
        storageSize: l.quantity("storageSize", "1Gi"),
        storageClass: l.optStr("storageClass"),
        server: ldapServer,
        port: l.optNum("port", { min: 1, max: 65535, integer: true }),
        tlsStrategy,
        bindDnTemplates,
        lookupDn,
        userAttribute: l.str("userAttribute", "uid"),
        searchUser: l.optStr("searchUser"),
        caCert: l.optStr("caCert"),
    };
    checkNotLatest(l, "image", ldap.image);
    if (ldapMode === "external") {
        if (!ldapServer) problems.push(`${l.key("server")} is required when ${l.key("mode")} is "external" (e.g. ldap.example.org)`);
        if (!lookupDn && bindDnTemplates.length === 0) {
            problems.push(
                `${l.key("bindDnTemplates")} is required for an external directory unless ${l.key("lookupDn")} is true, e.g. ["uid={username},ou=people,${baseDn}"]`,
            );
        }
        if (lookupDn && !ldap.searchUser) {
            problems.push(`${l.key("searchUser")} is required when ${l.key("lookupDn")} is true (the DN the hub binds as to search for users)`);
        }
        if (lookupDn && !rawAll["ldapBindPassword"]) {
            problems.push(`${NS}:ldapBindPassword is required when ${l.key("lookupDn")} is true: pulumi config set --secret ldapBindPassword <password>`);
        }
        if (tlsStrategy !== "insecure" && ldap.caCert !== undefined && !/-----BEGIN CERTIFICATE-----/.test(ldap.caCert)) {
            l.problem("caCert", ldap.caCert.slice(0, 30) + "...", "must be a PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
    }
    if (ldapMode !== "external") {
        for (const k of ["server", "bindDnTemplates", "searchUser", "caCert"]) {
            if (l.has(k)) l.problem(k, l.raw(k), `is only used when ${NS}:ldap.mode is "external"`);
        }
    }
    if (ldapMode === "in-cluster" && tlsStrategy === "insecure") {
        l.problem("tlsStrategy", tlsStrategy, 'must not be "insecure" for the in-cluster directory, which always serves TLS with the program\'s CA');
    }

    // --- MySQL ---
    const m = top.sub("mysql");
    m.only(["mode", "image", "storageSize", "storageClass", "database", "user", "host", "port", "poolRecycle", "password", "rootPassword"]);
    for (const k of ["password", "rootPassword"]) {
        if (m.has(k)) {
            problems.push(
                `${m.key(k)} must not be stored in plain text: remove it and run \`pulumi config set --secret mysqlPassword <value>\` (external servers only; in-cluster passwords are generated)`,
            );
        }
    }
    const mysqlMode = m.oneOf("mode", ["in-cluster", "external"] as const, "in-cluster");
    const mysql: MySqlConfig = {
        mode: mysqlMode,
        image: m.str("image", DEFAULTS.mysqlImage, PINNED_IMAGE),
        storageSize: m.quantity("storageSize", "10Gi"),
        storageClass: m.optStr("storageClass"),
        database: m.str("database", "jupyterhub", { re: SQL_IDENT, expected: "must be a plain SQL identifier (letters, digits, _)" }),
        user: m.str("user", "jupyterhub", { re: SQL_IDENT, expected: "must be a plain SQL identifier (letters, digits, _)" }),
        host: m.optStr("host", { re: /^[a-zA-Z0-9.-]+$/, expected: "must be a host name without scheme or port" }),
        port: m.num("port", 3306, { min: 1, max: 65535, integer: true }),
        poolRecycle: m.num("poolRecycle", 3600, { min: 60, integer: true }),
    };
    checkNotLatest(m, "image", mysql.image);
    if (mysqlMode === "in-cluster" && /^mysql:(lts|innovation|9)/.test(mysql.image)) {
        m.problem("image", mysql.image, 'must be a MySQL 8.4 LTS tag such as "mysql:8.4.7"; "lts" now points to 9.x');
    }
    if (mysqlMode === "in-cluster" && mysql.storageClass && mysql.storageClass === nfs.homeStorageClass) {
        m.problem("storageClass", mysql.storageClass, "must be block storage, not the NFS home class: MySQL on NFS corrupts under locking");
    }
    if (mysqlMode === "external") {
        if (!mysql.host) problems.push(`${m.key("host")} is required when ${m.key("mode")} is "external"`);
        if (!rawAll["mysqlPassword"]) {
            problems.push(`${NS}:mysqlPassword is required when ${m.key("mode")} is "external": pulumi config set --secret mysqlPassword <password>`);
        }
    } else if (m.has("host")) {
        m.problem("host", mysql.host, 'is only used when mysql.mode is "external"');
    }

    // --- Hub ---
    const h = top.sub("hub");
    h.only(["chartVersion", "chartRepo", "chartPath", "admins", "authenticatorClass", "authenticatorConfig", "proxyServiceType"]);
    const admins = h.strList("admins", [], { re: /^[a-zA-Z0-9._@-]+$/, expected: "must be a user name" });
    const authenticatorClass = h.optStr("authenticatorClass");
    const authConfigRaw = h.raw("authenticatorConfig");
    if (authConfigRaw !== undefined && (typeof authConfigRaw !== "object" || authConfigRaw === null || Array.isArray(authConfigRaw))) {
        h.problem("authenticatorConfig", authConfigRaw, "must be an object of traitlets config, e.g. {GitHubOAuthenticator: {...}}");
    }
    const hub: HubConfig = {
        chartVersion: h.str("chartVersion", DEFAULTS.chartVersion, {
            re: /^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/,
            expected: 'must be an exact chart version such as "4.4.0"',
        }),
        chartRepo: h.str("chartRepo", DEFAULTS.chartRepo, { re: /^(https?|oci):\/\//, expected: "must be an http(s):// or oci:// URL" }),
        chartPath: h.optStr("chartPath"),
        admins,
        authenticatorClass,
        authenticatorConfig: (authConfigRaw as Record<string, unknown>) ?? {},
        proxyServiceType: h.oneOf("proxyServiceType", ["ClusterIP", "NodePort", "LoadBalancer"] as const, "ClusterIP"),
    };
    if (ldapMode === "none") {
        if (!authenticatorClass) {
            problems.push(
                `${h.key("authenticatorClass")} is required when ${NS}:ldap.mode is "none": name the authenticator (e.g. "dummy" for a throwaway dev hub, or "github")`,
            );
        }
        if (authenticatorClass === "dummy" && stack === "prod") {
            h.problem("authenticatorClass", authenticatorClass, 'must not be "dummy" on the prod stack: anyone could log in');
        }
    } else if (authenticatorClass) {
        h.problem("authenticatorClass", authenticatorClass, `is only used when ${NS}:ldap.mode is "none"; LDAP login is configured`);
    }
    if (ldapMode === "in-cluster") {
        admins.forEach((a, i) => {
            if (!uids.includes(a)) {
                problems.push(`${h.key(`admins[${i}]`)} "${a}" is not one of ${NS}:ldap.users (${uids.join(", ")}); an admin must be able to log in`);
            }
        });
    }

    // --- Single-user servers ---
    const s = top.sub("singleuser");
    s.only([
        "image",
        "cpuLimit",
        "cpuGuarantee",
        "memoryLimit",
        "memoryGuarantee",
        "storageCapacity",
        "homeMountPath",
        "defaultUrl",
        "postStart",
        "startTimeout",
        "extraEnv",
        "grantSudo",
        "registry",
    ]);
    const postStartRaw = s.raw("postStart");
    let postStart: string[] = [];
    if (typeof postStartRaw === "string") postStart = ["sh", "-c", postStartRaw];
    else if (postStartRaw !== undefined) postStart = s.strList("postStart", []);
    const singleuser: SingleUserConfig = {
        image: s.str("image", DEFAULTS.singleuserImage, PINNED_IMAGE),
        cpuLimit: s.num("cpuLimit", 2, { min: 0.01 }),
        cpuGuarantee: s.num("cpuGuarantee", 0.5, { min: 0 }),
        memoryLimit: s.quantity("memoryLimit", "4G"),
        memoryGuarantee: s.quantity("memoryGuarantee", "1G"),
        storageCapacity: s.quantity("storageCapacity", "10Gi"),
        defaultUrl: s.str("defaultUrl", "/lab", { re: /^\//, expected: 'must be a path such as "/lab"' }),
        postStart,
        startTimeout: s.num("startTimeout", 300, { min: 30, integer: true }),
        homeMountPath: s.str("homeMountPath", DEFAULTS.homeMountPath, {
            re: /^(\/[A-Za-z0-9._-]+)+$/,
            expected: 'must be an absolute path such as "/home/jupyter" (no trailing "/", no templates)',
        }),
        extraEnv: readExtraEnv(s, problems),
        grantSudo: s.bool("grantSudo", false),
    };
    checkNotLatest(s, "image", singleuser.image);
    const home = singleuser.homeMountPath;
    if (SYSTEM_DIRS.includes(home) || SYSTEM_TREES.some((d) => home === d || home.startsWith(`${d}/`))) {
        s.problem("homeMountPath", home, 'must not hide a system directory; use a directory of its own such as "/home/jupyter"');
    }
    const sharedPath = nfs.shared.mountPath;
    if (nfs.shared.enabled && (sharedPath === home || home.startsWith(`${sharedPath}/`))) {
        problems.push(
            `${NS}:nfs.shared.mountPath must not hide the home directory, ${NS}:singleuser.homeMountPath "${home}" (got ${show(sharedPath)}); use e.g. /mnt/shared`,
        );
    }
    if (singleuser.grantSudo) {
        // docker-stacks' start.sh, run as root, makes /home/$NB_USER the user's home.
        if (!/^\/home\/[a-z_][a-z0-9_-]{0,31}$/.test(home)) {
            s.problem(
                "homeMountPath",
                home,
                `must be /home/<user name> when ${NS}:singleuser.grantSudo is true: docker-stacks' start.sh makes /home/$NB_USER the home, and the program sets NB_USER to <user name>`,
            );
        }
        for (const [k, image] of [["singleuser.image", singleuser.image], ...profileImages(top)]) {
            if (SAMPLE_IMAGE.test(image)) {
                problems.push(
                    `${NS}:singleuser.grantSudo needs docker-stacks images (e.g. quay.io/jupyter/scipy-notebook), whose start.sh grants sudo and drops from root to the user; ` +
                        `${NS}:${k} "${image}" has no such script and would run every server as root`,
                );
            }
        }
    }
    if (s.has("registry")) {
        const r = s.sub("registry");
        r.only(["server", "username", "password"]);
        if (r.has("password")) {
            problems.push(
                `${r.key("password")} must not be stored in plain text: remove it and run \`pulumi config set --secret registryPassword <password>\``,
            );
        }
        for (const k of ["server", "username"]) if (!r.has(k)) problems.push(`${r.key(k)} is required with ${NS}:singleuser.registry`);
        const host = {
            re: /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/,
            expected: 'must be a registry host as it starts the image names, e.g. "mydocker.registry.com" (no scheme, no path)',
        };
        const registry: RegistryConfig = {
            server: r.str("server", "", host),
            username: r.str("username", "", { re: /^[^:\s]+$/, expected: 'must be a user name without ":" or spaces' }),
        };
        singleuser.registry = registry;
        const images: Array<[string, string]> = [["singleuser.image", singleuser.image], ...profileImages(top)];
        if (host.re.test(registry.server) && !images.some(([, image]) => imageRegistry(image) === registry.server)) {
            r.problem(
                "server",
                registry.server,
                `is the registry of none of the images (${images.map(([k, image]) => `${NS}:${k} comes from "${imageRegistry(image)}"`).join(", ")}); name the host the images are pulled from`,
            );
        }
        if (!rawAll["registryPassword"]) {
            problems.push(`${NS}:registryPassword is required with ${NS}:singleuser.registry: pulumi config set --secret registryPassword <password>`);
        }
    } else if (rawAll["registryPassword"]) {
        problems.push(`${NS}:registryPassword is only used with ${NS}:singleuser.registry: set the registry's server and username, or remove the secret`);
    }
    if (singleuser.cpuGuarantee > singleuser.cpuLimit) {
        s.problem("cpuGuarantee", singleuser.cpuGuarantee, `must not exceed ${NS}:singleuser.cpuLimit (${singleuser.cpuLimit})`);
    }
    if (toBytes(singleuser.memoryGuarantee) > toBytes(singleuser.memoryLimit)) {
        s.problem("memoryGuarantee", singleuser.memoryGuarantee, `must not exceed ${NS}:singleuser.memoryLimit (${singleuser.memoryLimit})`);
    }

    // --- Profiles ---
    const profiles: ProfileConfig[] = top.list("profiles").map((p) => {
        p.only([
            "slug",
            "displayName",
            "description",
            "default",
            "image",
            "cpuLimit",
            "cpuGuarantee",
            "memoryLimit",
            "memoryGuarantee",
            "gpus",
            "gpuResource",
            "nodeSelector",
            "tolerations",
        ]);
        const slug = p.str("slug", "", { re: DNS_LABEL, expected: 'must be a DNS label such as "gpu"' });
        if (!p.has("slug")) problems.push(`${p.key("slug")} is required for every profile`);
        const tolerations = p.list("tolerations").map((t) => {
            t.only(["key", "operator", "value", "effect"]);
            const out: Record<string, string> = {};
            for (const k of ["key", "operator", "value", "effect"]) {
                const v = t.optStr(k);
                if (v !== undefined) out[k] = v;
            }
            return out;
        });
        const profile: ProfileConfig = {
            slug,
            displayName: p.str("displayName", slug),
            description: p.str("description", ""),
            default: p.bool("default", false),
            image: p.optStr("image", PINNED_IMAGE),
            cpuLimit: p.optNum("cpuLimit", { min: 0.01 }),
            cpuGuarantee: p.optNum("cpuGuarantee", { min: 0 }),
            memoryLimit: p.optQuantity("memoryLimit"),
            memoryGuarantee: p.optQuantity("memoryGuarantee"),
            gpus: p.num("gpus", 0, { min: 0, max: 16, integer: true }),
            gpuResource: p.str("gpuResource", "nvidia.com/gpu", {
                re: /^[a-z0-9.-]+\/[a-z0-9.-]+$/,
                expected: 'must be an extended resource name such as "nvidia.com/gpu"',
            }),
            nodeSelector: p.strMap("nodeSelector"),
            tolerations,
        };
        if (profile.image) checkNotLatest(p, "image", profile.image);
        return profile;
    });
    const slugs = profiles.map((p) => p.slug);
    slugs.forEach((slug, i) => {
        if (slugs.indexOf(slug) !== i) problems.push(`${NS}:profiles[${i}].slug "${slug}" is used twice; slugs must be unique`);
    });
    if (profiles.filter((p) => p.default).length > 1) {
        problems.push(`${NS}:profiles has more than one profile with default: true; mark exactly one`);
    }

    // --- Culling ---
    const c = top.sub("culling");
    c.only(["enabled", "timeout", "every", "maxAge", "users"]);
    const culling: CullingConfig = {
        enabled: c.bool("enabled", true),
        timeout: c.num("timeout", 3600, { min: 60, integer: true }),
        every: c.num("every", 600, { min: 10, integer: true }),
        maxAge: c.num("maxAge", 0, { min: 0, integer: true }),
        users: c.bool("users", false),
    };
    if (culling.enabled && culling.every > culling.timeout) {
        c.problem("every", culling.every, `must not exceed ${NS}:culling.timeout (${culling.timeout}), or idle servers outlive the timeout`);
    }

    // --- Ingress ---
    const g = top.sub("ingress");
    g.only(["enabled", "host", "className", "annotations", "tlsSecretName", "tlsCert", "tlsKey"]);
    if (g.has("tlsKey")) {
        problems.push(`${g.key("tlsKey")} must not be stored in plain text: remove it and run \`pulumi config set --secret ingressTlsKey < tls.key\``);
    }
    const ingress: IngressConfig = {
        enabled: g.bool("enabled", false),
        host: g.optStr("host", { re: DNS_NAME, expected: "must be a DNS host name such as hub.example.org" }),
        className: g.optStr("className"),
        annotations: g.strMap("annotations"),
        tlsSecretName: g.optStr("tlsSecretName", { re: DNS_NAME, expected: "must be a Secret name" }),
        tlsCert: g.optStr("tlsCert"),
    };
    if (ingress.enabled && !ingress.host) {
        problems.push(`${g.key("host")} is required when ${g.key("enabled")} is true (e.g. hub.example.org)`);
    }
    if (ingress.tlsCert !== undefined && !/-----BEGIN CERTIFICATE-----/.test(ingress.tlsCert)) {
        g.problem("tlsCert", ingress.tlsCert.slice(0, 30) + "...", "must be a PEM certificate");
    }
    if (ingress.tlsCert && !rawAll["ingressTlsKey"]) {
        problems.push(`${NS}:ingressTlsKey is required with ${g.key("tlsCert")}: pulumi config set --secret ingressTlsKey < tls.key`);
    }
    if (ingress.tlsCert && ingress.tlsSecretName) {
        problems.push(`${g.key("tlsCert")} and ${g.key("tlsSecretName")} are exclusive: give a certificate or name an existing Secret, not both`);
    }

    // --- Any other chart value ---
    const chartValuesRaw = top.raw("chartValues");
    let chartValues: Raw = {};
    if (chartValuesRaw !== undefined && chartValuesRaw !== null) {
        if (isPlainObject(chartValuesRaw)) {
            chartValues = chartValuesRaw;
            problems.push(...chartValuesProblems(chartValues));
        } else {
            top.problem("chartValues", chartValuesRaw, "must be a map of z2jh chart values, e.g. {hub: {allowNamedServers: true}}");
        }
    }

    if (problems.length > 0) throw new ConfigError(problems);

    return {
        stack,
        namespace,
        dataPolicy,
        nfs,
        ldap,
        mysql,
        hub,
        singleuser,
        profiles,
        culling,
        ingress,
        chartValues,
        skipAwait: top.bool("skipAwait", false),
        secretsPresent: {
            mysqlPassword: Boolean(rawAll["mysqlPassword"]),
            ldapBindPassword: Boolean(rawAll["ldapBindPassword"]),
            ingressTlsKey: Boolean(rawAll["ingressTlsKey"]),
            registryPassword: Boolean(rawAll["registryPassword"]),
        },
    };
}

/** Bytes in a Kubernetes quantity ("4G", "512Mi"); used only to compare guarantee and limit. */
export function toBytes(q: string): number {
    const m = /^([0-9.]+)([A-Za-z]*)$/.exec(q);
    if (!m) return NaN;
    const units: Record<string, number> = {
        "": 1,
        k: 1e3,
        K: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
        P: 1e15,
        Ki: 2 ** 10,
        Mi: 2 ** 20,
        Gi: 2 ** 30,
        Ti: 2 ** 40,
        Pi: 2 ** 50,
        m: 1e-3,
    };
    return Number(m[1]) * (units[m[2]] ?? NaN);
}

/**
 * Reads every `jupyterhub:` key of the running stack and validates it. Secret keys are only
 * checked for presence here; components read their values with `requireSecret`.
 */
export function loadConfig(all: Record<string, string>, stack: string): PlatformConfig {
    const raw: Raw = {};
    for (const [fullKey, value] of Object.entries(all)) {
        if (!fullKey.startsWith(`${NS}:`)) continue;
        const key = fullKey.slice(NS.length + 1);
        if ((SECRET_KEYS as readonly string[]).includes(key)) {
            raw[key] = value === "" ? "" : "<secret>";
            continue;
        }
        raw[key] = parseValue(value);
    }
    return parseConfig(raw, stack);
}

/** Config values reach the program as strings; structured ones as JSON. */
function parseValue(value: string): unknown {
    const t = value.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
        try {
            return JSON.parse(t);
        } catch {
            return value;
        }
    }
    return value;
}
