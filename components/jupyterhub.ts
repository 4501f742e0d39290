import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

import { type HubConfig, type IngressConfig, type PlatformConfig, type ProfileConfig } from "../config";
import { isMap, splitImage } from "../lib/formats";
import { PRIVILEGED_REASON } from "../lib/pods";
import { ConfigError } from "../lib/problems";
import { dependsOnList, labels, transformOpts } from "./common";
import { type DirectoryGroups, directoryGroupsPy, groupSearchConfig, type GroupSharesMount, needsGroupAuthenticator, spawnHooks, spawnHooksPy } from "./groups";
import { LDAP_CA_MOUNT, LdapAuthSettings } from "./openldap";
import { restrictedUserPod, USER_POD_FS_GROUP } from "./pod-security";
import { proxyTokenFingerprint } from "./secrets";

/**
 * The program's Secret that the chart mounts as `hub.existingSecret`. z2jh reads the hub's
 * secrets from it before its own Secret, and merges its `values.yaml` over the chart values, so
 * no secret is ever a chart value: the values are known at preview, and the first preview of a
 * new stack shows every object of the chart. It also holds the proxy's token, which the hub and
 * the proxy read from here through proxyTokenFromHubSecret.
 */
export const HUB_SECRET = "hub-secrets";

/**
 * The proxy's token: the environment variable both of its readers take it in, and the key of
 * the Secret they take it from (z2jh 4.4.0: jupyterhub/templates/hub/deployment.yaml and
 * proxy/deployment.yaml, each `CONFIGPROXY_AUTH_TOKEN` from `secretKeyRef` of the chart's Secret
 * `hub`, key `hub.config.ConfigurableHTTPProxy.auth_token`). The key is kept in HUB_SECRET, so
 * that z2jh's get_secret_value, which looks in the existing Secret first, would find the same
 * token there.
 */
export const PROXY_TOKEN_ENV = "CONFIGPROXY_AUTH_TOKEN";
export const PROXY_TOKEN_KEY = "hub.config.ConfigurableHTTPProxy.auth_token";

/** The config sections the hub reads: the chart and login, users' servers, culling, ingress, other chart values. */
export type HubSections = Pick<PlatformConfig, "hub" | "singleuser" | "profiles" | "culling" | "ingress" | "chartValues">;

/** The shared volume as users' pods mount it. */
export interface SharedMount {
    claimName: string;
    mountPath: string;
    /** Read-only for users, writable for admins. */
    readOnlyForUsers: boolean;
}

/** What the values need from the other components. None of it is secret. */
export interface HubWiring {
    /** SQLAlchemy URL of the hub database without its password (hubSecretData adds it). */
    dbUrl: string;
    /** Seconds after which pooled database connections are recycled (config mysql.poolRecycle). */
    dbPoolRecycle: number;
    /** StorageClass of per-user home volumes. */
    homeStorageClass: string;
    /** The ReadWriteMany volume mounted in every user pod. Default: none. */
    shared?: SharedMount;
    /** The group shares' claim and the groups that have one (nfs.groupShares), mounted by the spawn hook in members' pods. */
    groupShares?: GroupSharesMount;
    /** Directory settings when login is LDAP (in-cluster or external). */
    ldap?: LdapAuthSettings;
    /** What the hub does with the directory's groups (directoryGroups), with LDAP login. */
    directoryGroups?: DirectoryGroups;
    /** ConfigMap holding the directory's CA certificate as ca.crt. */
    ldapCaConfigMap?: string;
    /** kubernetes.io/tls Secret for the ingress host. */
    ingressTlsSecret?: string;
}

/** The generated and configured secrets the hub reads. */
export interface HubSecretValues {
    /** hub.config.JupyterHub.cookie_secret: 64 hex characters. */
    cookieSecret: string;
    /** hub.config.CryptKeeper.keys: 64 hex characters. */
    cryptKeeperKey: string;
    /** The proxy's token (PROXY_TOKEN_KEY): 64 hex characters. */
    proxyToken: string;
    /** SQLAlchemy URL of the hub database, password included. */
    dbUrl: string;
    /** Password of the external directory's search user (lookup_dn). */
    ldapSearchPassword?: string;
}

/**
 * Data of the hub.existingSecret Secret: the keys z2jh's get_secret_value reads, the proxy's token
 * that the hub and proxy Deployments read (proxyTokenFromHubSecret), and a values.yaml (JSON is
 * YAML) that z2jh merges over the chart values at the hub's start. Pure; the caller keeps the
 * result secret.
 */
export function hubSecretData(s: HubSecretValues): Record<string, string> {
    const hub: Values = { db: { url: s.dbUrl } };
    if (s.ldapSearchPassword !== undefined) hub.config = { LDAPAuthenticator: { lookup_dn_search_password: s.ldapSearchPassword } };
    return {
        "hub.config.JupyterHub.cookie_secret": s.cookieSecret,
        "hub.config.CryptKeeper.keys": s.cryptKeeperKey,
        [PROXY_TOKEN_KEY]: s.proxyToken,
        "values.yaml": JSON.stringify({ hub }),
    };
}

type Values = Record<string, unknown>;

/** The program's kubernetes.io/dockerconfigjson Secret for singleuser.registry, named by singleuser.image.pullSecrets. */
export const REGISTRY_SECRET = "jupyterhub-registry";

/**
 * The .dockerconfigjson of a registry's credentials, as `kubectl create secret docker-registry`
 * writes it; Docker Hub ("docker.io") under the key `docker login` uses for it. Pure; the caller
 * keeps the result secret.
 */
export function dockerConfigJson(server: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    const key = server === "docker.io" ? "https://index.docker.io/v1/" : server;
    return JSON.stringify({ auths: { [key]: { username, password, auth } } });
}

/** The user grantSudo drops to: docker-stacks' jovyan (uid 1000, group users 100), renamed NB_USER. */
export const SUDO_USER = { uid: 1000, gid: 100 } as const;

/**
 * What singleuser.grantSudo sets, as docker-stacks documents a root start: the container starts as
 * uid 0 with GRANT_SUDO=yes, and start.sh renames the image's user to NB_USER (home /home/NB_USER:
 * the home volume), gives it NB_UID/NB_GID, grants it passwordless sudo and runs the server as that
 * user. sudo is setuid, so the user's own sudo needs privilege escalation. The annotation marks the
 * user pods as started as root on purpose, with the reason. `values` go under z2jh's singleuser.
 */
export function grantSudo(homeMountPath: string): { values: Values; env: Record<string, string> } {
    const user = homeMountPath.slice(homeMountPath.lastIndexOf("/") + 1);
    return {
        values: {
            uid: 0,
            allowPrivilegeEscalation: true,
            extraAnnotations: {
                [PRIVILEGED_REASON]: `jupyterhub:singleuser.grantSudo: docker-stacks' start.sh needs root to grant ${user} sudo, then runs the server as ${user} (uid ${SUDO_USER.uid})`,
            },
        },
        env: { GRANT_SUDO: "yes", NB_USER: user, NB_UID: String(SUDO_USER.uid), NB_GID: String(SUDO_USER.gid) },
    };
}

/**
 * `over` deep-merged into `base`, as Helm merges values files: maps key by key, anything else
 * (lists, scalars, null) replaces. A null is kept, so that Helm then drops the chart's default.
 * Pure; neither argument is modified.
 */
export function overlayValues(base: Values, over: Values): Values {
    const out: Values = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = isMap(v) && isMap(base[k]) ? overlayValues(base[k], v) : v;
    return out;
}

/** LDAPAuthenticator (ldapauthenticator 2.0) traitlets for a directory; the search password comes from hubSecretData. */
export function ldapAuthenticatorConfig(s: LdapAuthSettings): Values {
    const c: Values = {
        server_address: s.serverAddress,
        server_port: s.port,
        tls_strategy: s.tlsStrategy,
        // Only the escaped login name reaches the DN; reject anything else up front.
        valid_username_regex: "^[a-z][.a-z0-9_-]*$",
    };
    if (s.hasCa) {
        // ssl.CERT_REQUIRED is 2: the directory's certificate must chain to this CA.
        c.tls_kwargs = { ca_certs_file: `${LDAP_CA_MOUNT}/ca.crt`, validate: 2 };
    }
    if (s.bindDnTemplates.length > 0) c.bind_dn_template = s.bindDnTemplates;
    if (s.lookupDn) {
        c.lookup_dn = true;
        c.user_search_base = s.userSearchBase;
        c.user_attribute = s.userAttribute;
        c.lookup_dn_search_user = s.searchUser;
        c.lookup_dn_user_dn_attribute = "cn";
    }
    if (s.allowedGroups.length > 0) c.allowed_groups = s.allowedGroups;
    return { ...c, ...groupSearchConfig(s.groupMemberAttribute) };
}

function profileEntry(p: ProfileConfig): Values {
    const o: Values = {};
    if (p.image) o.image = p.image;
    if (p.cpuLimit !== undefined) o.cpu_limit = p.cpuLimit;
    if (p.cpuGuarantee !== undefined) o.cpu_guarantee = p.cpuGuarantee;
    if (p.memoryLimit) o.mem_limit = p.memoryLimit;
    if (p.memoryGuarantee) o.mem_guarantee = p.memoryGuarantee;
    if (p.gpus > 0) {
        o.extra_resource_limits = { [p.gpuResource]: String(p.gpus) };
        o.extra_resource_guarantees = { [p.gpuResource]: String(p.gpus) };
    }
    if (Object.keys(p.nodeSelector).length > 0) o.node_selector = p.nodeSelector;
    if (p.tolerations.length > 0) o.tolerations = p.tolerations;
    return {
        display_name: p.displayName,
        slug: p.slug,
        description: p.description,
        ...(p.default ? { default: true } : {}),
        kubespawner_override: o,
    };
}

/** requests and limits for one container. */
function resources(cpuRequest: string, memRequest: string, cpuLimit: string, memLimit: string): Values {
    return { requests: { cpu: cpuRequest, memory: memRequest }, limits: { cpu: cpuLimit, memory: memLimit } };
}

/**
 * Requests and limits of the chart's own pods, which z2jh leaves empty: without them a busy hub
 * or proxy can starve the node, and the policy pack refuses containers without limits.
 */
export const CORE_RESOURCES = {
    hub: resources("100m", "512Mi", "1", "1Gi"),
    proxy: resources("50m", "128Mi", "500m", "512Mi"),
    userScheduler: resources("50m", "128Mi", "500m", "256Mi"),
    prePuller: resources("10m", "8Mi", "50m", "32Mi"),
    networkTools: resources("10m", "8Mi", "100m", "64Mi"),
} as const;

/**
 * The z2jh chart values for a stack. Pure, and free of secrets: those reach the hub, and the
 * proxy's token the hub and the proxy, through HUB_SECRET.
 */
export function hubValues(cfg: HubSections, w: HubWiring): Values {
    const su = cfg.singleuser;
    const image = splitImage(su.image);

    // Python the hub runs after the chart's own configuration, in the order of the keys.
    const extraConfig: Values = {};
    const hubConfig: Values = {
        JupyterHub: {
            admin_access: true,
            // Recycle pooled connections before MySQL's wait_timeout closes them under the hub.
            db_kwargs: { pool_recycle: w.dbPoolRecycle },
        },
        // Servers start in the home volume, whatever the image's working directory.
        KubeSpawner: { working_dir: su.homeMountPath },
        Authenticator: {
            admin_users: cfg.hub.admins,
            enable_auth_state: true,
        },
    };
    if (w.ldap) {
        (hubConfig.JupyterHub as Values).authenticator_class = "ldapauthenticator.LDAPAuthenticator";
        hubConfig.LDAPAuthenticator = ldapAuthenticatorConfig(w.ldap);
        // JupyterHub 5 admits nobody without an allow rule: with no groups, every directory user.
        (hubConfig.Authenticator as Values).allow_all = w.ldap.allowedGroups.length === 0;
        const groups = w.directoryGroups;
        if (groups && needsGroupAuthenticator(groups)) {
            if (groups.searched.length > 0) (hubConfig.LDAPAuthenticator as Values).allowed_groups = groups.searched.map((g) => g.dn);
            (hubConfig.Authenticator as Values).manage_groups = groups.sync;
            extraConfig["20-directory-groups"] = directoryGroupsPy(groups);
        }
    } else {
        (hubConfig.JupyterHub as Values).authenticator_class = cfg.hub.authenticatorClass;
        // The dummy authenticator has no user list of its own (dev stacks only; refused on prod).
        if (cfg.hub.authenticatorClass === "dummy") (hubConfig.Authenticator as Values).allow_all = true;
        for (const [section, traits] of Object.entries(cfg.hub.authenticatorConfig)) {
            hubConfig[section] = { ...(hubConfig[section] ?? {}), ...(traits as Values) };
        }
    }

    const extraVolumes: Values[] = [];
    const extraVolumeMounts: Values[] = [];
    if (w.ldap?.hasCa && w.ldapCaConfigMap) {
        extraVolumes.push({ name: "ldap-ca", configMap: { name: w.ldapCaConfigMap } });
        extraVolumeMounts.push({ name: "ldap-ca", mountPath: LDAP_CA_MOUNT, readOnly: true });
    }

    const storage: Values = {
        type: "dynamic",
        capacity: su.storageCapacity,
        homeMountPath: su.homeMountPath,
        dynamic: { storageClass: w.homeStorageClass, storageAccessModes: ["ReadWriteOnce"] },
    };
    if (w.shared) {
        storage.extraVolumes = [{ name: "shared", persistentVolumeClaim: { claimName: w.shared.claimName } }];
        storage.extraVolumeMounts = [{ name: "shared", mountPath: w.shared.mountPath, readOnly: w.shared.readOnlyForUsers }];
    }
    const hooks = spawnHooks(cfg.profiles, w);
    if (hooks) extraConfig["10-spawn-hooks"] = spawnHooksPy(hooks);

    const singleuser: Values = {
        image: { name: image.name, tag: image.tag, ...(su.registry ? { pullSecrets: [REGISTRY_SECRET] } : {}) },
        cpu: { limit: su.cpuLimit, guarantee: su.cpuGuarantee },
        memory: { limit: su.memoryLimit, guarantee: su.memoryGuarantee },
        storage,
        defaultUrl: su.defaultUrl,
        startTimeout: su.startTimeout,
    };
    if (su.postStart.length > 0) singleuser.lifecycleHooks = { postStart: { exec: { command: su.postStart } } };
    if (cfg.profiles.length > 0) singleuser.profileList = cfg.profiles.map(profileEntry);
    const sudo = su.grantSudo ? grantSudo(su.homeMountPath) : undefined;
    // Without the root start, users' pods fit the restricted Pod Security level (pod-security.ts).
    if (!sudo) Object.assign(hubConfig.KubeSpawner as Values, restrictedUserPod());
    // With it, the root start's pods still mount the volumes alike (USER_POD_FS_GROUP).
    else (hubConfig.KubeSpawner as Values).pod_security_context = { ...USER_POD_FS_GROUP };
    const extraEnv = { ...su.extraEnv, ...sudo?.env };
    if (Object.keys(extraEnv).length > 0) singleuser.extraEnv = extraEnv;
    if (sudo) Object.assign(singleuser, sudo.values);

    const values: Values = {
        hub: {
            config: hubConfig,
            existingSecret: HUB_SECRET,
            db: { type: "mysql", url: w.dbUrl, upgrade: true },
            extraConfig,
            extraVolumes,
            extraVolumeMounts,
            resources: CORE_RESOURCES.hub,
        },
        proxy: {
            service: { type: cfg.hub.proxyServiceType },
            chp: { resources: CORE_RESOURCES.proxy },
        },
        singleuser: {
            ...singleuser,
            networkTools: { resources: CORE_RESOURCES.networkTools },
            // z2jh's default adds a privileged init container (iptables) to every user pod, which
            // the hub namespace refuses; its NetworkPolicy for user pods blocks the metadata server.
            cloudMetadata: { blockWithIptables: false },
        },
        scheduling: {
            userScheduler: { resources: CORE_RESOURCES.userScheduler },
            // Placeholders reserve room for real users: the same size as a user's server.
            userPlaceholder: {
                resources: { requests: { cpu: su.cpuGuarantee, memory: su.memoryGuarantee }, limits: { cpu: su.cpuLimit, memory: su.memoryLimit } },
            },
        },
        // Helm hooks are not run by helm.v4.Chart; the continuous puller still warms nodes.
        prePuller: { hook: { enabled: false }, resources: CORE_RESOURCES.prePuller },
        cull: {
            enabled: cfg.culling.enabled,
            timeout: cfg.culling.timeout,
            every: cfg.culling.every,
            maxAge: cfg.culling.maxAge,
            users: cfg.culling.users,
        },
    };
    if (cfg.ingress.enabled) {
        values.ingress = {
            enabled: true,
            hosts: [cfg.ingress.host],
            ...(cfg.ingress.className ? { ingressClassName: cfg.ingress.className } : {}),
            annotations: cfg.ingress.annotations,
            tls: w.ingressTlsSecret ? [{ hosts: [cfg.ingress.host], secretName: w.ingressTlsSecret }] : [],
        };
    }
    // Last, the chart values no typed key covers; the config refused those the program sets.
    return overlayValues(values, cfg.chartValues);
}

/** Environment variable naming a local copy of the pinned chart, for machines without the chart repository. */
export const CHART_DIR_ENV = "JUPYTERHUB_CHART_DIR";

/** Where helm.v4.Chart finds the chart: hub.chartPath, else $JUPYTERHUB_CHART_DIR, else the repository at the pinned version. */
export function chartSource(hub: HubConfig, env: Record<string, string | undefined>): { chart: string; version?: string; repositoryOpts?: { repo: string } } {
    const local = hub.chartPath ?? env[CHART_DIR_ENV];
    if (local) return { chart: local };
    return { chart: "jupyterhub", version: hub.chartVersion, repositoryOpts: { repo: hub.chartRepo } };
}

/**
 * Problems with a local chart directory: it must be the z2jh chart at the pinned version, or the
 * values would be rendered by templates they were not written for. `chartYaml` is its Chart.yaml.
 */
export function localChartProblems(where: string, chartYaml: string | undefined, version: string): string[] {
    if (chartYaml === undefined) return [`${where} has no Chart.yaml: point it at the chart's folder (the one holding Chart.yaml and templates/)`];
    const name = /^name:\s*["']?([^"'\s]+)/m.exec(chartYaml)?.[1];
    const found = /^version:\s*["']?([^"'\s]+)/m.exec(chartYaml)?.[1];
    const problems: string[] = [];
    if (name !== "jupyterhub") problems.push(`${where} is the chart "${name ?? "?"}", not "jupyterhub"`);
    if (found !== version)
        problems.push(
            `${where} is chart version ${found ?? "?"}, but jupyterhub:hub.chartVersion pins ${version}: use the ${version} chart, or change the pin`,
        );
    return problems;
}

/** The parts of a Deployment that the chart's transforms read and write. */
interface EnvVar {
    name?: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name?: string; key?: string } };
}
interface PodTemplate {
    metadata?: { annotations?: Record<string, pulumi.Input<string>> };
    spec?: { containers?: Array<{ name?: string; env?: EnvVar[] }> };
}
interface DeploymentProps {
    metadata?: { name?: string };
    spec?: { template?: PodTemplate };
}

/** The chart's Deployments that read the proxy's token (z2jh 4.4.0, see PROXY_TOKEN_ENV). */
export const PROXY_TOKEN_READERS = ["hub", "proxy"];

/**
 * Points CONFIGPROXY_AUTH_TOKEN of the hub and the proxy at HUB_SECRET, where the program keeps
 * the token it generates (HubSecrets), instead of at the chart's Secret `hub`.
 *
 * Why the reference moves, rather than the chart's Secret getting the program's token: z2jh reads
 * this one secret only from its own Secret "to avoid using the lookup function on the user managed
 * k8s Secret" (hub/deployment.yaml), a reason that does not hold where the program owns the
 * existing Secret. That Secret is the program's resource, made from the token's Output and secret
 * from end to end like every other generated hub secret. The chart's Secret is rendered by the
 * provider: the token would have to be written, inside a transform, into data that the provider
 * marks secret as a whole (pulumi-kubernetes v4.32.0 provider/pkg/provider/yaml/v2/yaml.go) and
 * that also carries the values.yaml the policy pack reads. The chart's Secret keeps a token z2jh
 * generates for itself (as it keeps a cookie secret and a CryptKeeper key); nothing reads it.
 *
 * A reader found taking the token some other way (a later chart) stops the run, naming the
 * Deployment, rather than reading a token the other side does not know.
 */
export function proxyTokenFromHubSecret(): pulumi.ResourceTransform {
    return (args) => {
        if (args.type !== "kubernetes:apps/v1:Deployment") return undefined;
        const props = args.props as DeploymentProps;
        const name = props.metadata?.name ?? "";
        const template = props.spec?.template ?? {};
        const problems: string[] = [];
        let pointed = 0;
        const containers = (template.spec?.containers ?? []).map((c) => {
            if (!c.env?.some((e) => e.name === PROXY_TOKEN_ENV)) return c;
            const env = c.env.map((e) => {
                const ref = e.valueFrom?.secretKeyRef;
                if (e.name !== PROXY_TOKEN_ENV) return e;
                if (ref?.key !== PROXY_TOKEN_KEY) {
                    problems.push(`container ${c.name ?? "?"} sets ${PROXY_TOKEN_ENV} otherwise than from the key ${PROXY_TOKEN_KEY} of a Secret`);
                    return e;
                }
                pointed++;
                return { ...e, valueFrom: { ...e.valueFrom, secretKeyRef: { ...ref, name: HUB_SECRET } } };
            });
            return { ...c, env };
        });
        if (pointed === 0 && problems.length === 0) {
            if (!PROXY_TOKEN_READERS.includes(name)) return undefined;
            problems.push(`no container reads ${PROXY_TOKEN_ENV} from the key ${PROXY_TOKEN_KEY} of a Secret`);
        }
        if (problems.length > 0) {
            throw new Error(
                `the chart's Deployment "${name}" does not read the proxy's token as z2jh 4.4.0 does (${problems.join("; ")}): ` +
                    "components/jupyterhub.ts proxyTokenFromHubSecret must learn this chart version's way",
            );
        }
        const spec = { ...props.spec, template: { ...template, spec: { ...template.spec, containers } } };
        return { props: { ...args.props, spec }, opts: transformOpts(args.opts) };
    };
}

/**
 * z2jh's pod checksums, made deterministic, and the proxy token's made the program's. The chart
 * evaluates its generate-or-lookup secrets (its own proxy token, cookie secret and CryptKeeper
 * key, all unused beside HUB_SECRET) once per use: in the first render the Secret and the
 * checksums of the hub and proxy pods get different random values, so the next preview would roll
 * both for nothing. The hub's checksum/secret becomes a digest of the values (what the chart's
 * Secret carries besides those secrets, which `lookup` then keeps). The proxy's
 * checksum/auth-token, and the same annotation on the hub, become `tokenFingerprint`, the
 * fingerprint of the program's token (proxyTokenFingerprint): a new token rolls both, and only
 * them; the same token changes nothing.
 */
export function stableChecksums(values: Values, chartVersion: string, tokenFingerprint: pulumi.Input<string>): pulumi.ResourceTransform {
    const digest = crypto
        .createHash("sha256")
        .update(JSON.stringify([chartVersion, values]))
        .digest("hex");
    const fixed: Record<string, Record<string, pulumi.Input<string>>> = {
        hub: { "checksum/secret": digest, "checksum/auth-token": tokenFingerprint },
        proxy: { "checksum/auth-token": tokenFingerprint },
    };
    return (args) => {
        if (args.type !== "kubernetes:apps/v1:Deployment") return undefined;
        const props = args.props as DeploymentProps;
        const change = fixed[props.metadata?.name ?? ""];
        if (!change || !props.spec?.template) return undefined;
        const template = props.spec.template;
        const annotations = { ...template.metadata?.annotations, ...change };
        const spec = { ...props.spec, template: { ...template, metadata: { ...template.metadata, annotations } } };
        return { props: { ...args.props, spec }, opts: transformOpts(args.opts) };
    };
}

/** Refuses, before anything is deployed, a local chart that is not the pinned z2jh chart. */
export function assertLocalChart(hub: HubConfig, env: Record<string, string | undefined>): void {
    const source = chartSource(hub, env);
    if (source.version) return;
    const where = hub.chartPath ? `jupyterhub:hub.chartPath (${source.chart})` : `${CHART_DIR_ENV} (${source.chart})`;
    const file = path.join(source.chart, "Chart.yaml");
    const problems = localChartProblems(where, fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined, hub.chartVersion);
    if (problems.length > 0) throw new ConfigError(problems);
}

/** The URL users open: the ingress host, else the proxy Service inside the cluster. */
export function hubUrl(ingress: IngressConfig, namespace: string): string {
    return ingress.enabled ? `https://${ingress.host}/` : `http://proxy-public.${namespace}.svc.cluster.local/`;
}

/** Name of the kubernetes.io/tls Secret for the ingress: the given one, or the program's own. */
export function ingressTlsSecretName(ingress: IngressConfig): string | undefined {
    return ingress.enabled ? (ingress.tlsSecretName ?? "jupyterhub-tls") : undefined;
}

/** What the component takes: the values' wiring that is the same here (HubWiring), the rest as outputs. */
export interface JupyterHubArgs extends Pick<HubWiring, "dbPoolRecycle" | "homeStorageClass" | "shared" | "groupShares" | "ldap" | "directoryGroups"> {
    namespace: string;
    /** The config sections of the hub. */
    config: HubSections;
    /** Create the chart's objects without waiting for readiness (config skipAwait). */
    skipAwait: boolean;
    /** Generated hub secrets. */
    secrets: { cookieSecret: pulumi.Output<string>; cryptKeeperKey: pulumi.Output<string>; proxyToken: pulumi.Output<string> };
    /** SQLAlchemy URL of the hub database, password included. Secret. */
    dbUrl: pulumi.Output<string>;
    /** The same URL without its password, for the chart values. */
    dbUrlWithoutPassword: string;
    /** PEM CA of the directory, mounted into the hub. */
    ldapCaCert?: pulumi.Input<string>;
    /** Search user's password for an external directory with lookup_dn (config key ldapBindPassword). */
    ldapSearchPassword?: pulumi.Output<string>;
    /** Key of a given ingress certificate (config ingress.tlsCert). Default: self-signed. */
    ingressTlsKey?: pulumi.Output<string>;
    /** Password of singleuser.registry (config key registryPassword); required with a registry. Secret. */
    registryPassword?: pulumi.Output<string>;
}

/**
 * The Zero to JupyterHub chart, pinned, rendered by helm.v4.Chart so that every object is its own
 * resource in previews. Its values are plain and known at preview (hubValues); the secrets go to
 * HUB_SECRET. The release is named after the namespace, so that the chart's cluster-wide objects
 * (the user scheduler's ClusterRole, the priority classes) are the stack's own.
 * The namespace, storage, database and directory come first: pass them as dependsOn.
 */
export class JupyterHub extends pulumi.ComponentResource {
    public readonly url: string;
    /** The chart values. Not secret. */
    public readonly values: Values;
    /** The self-signed ingress certificate, when one was generated. */
    public readonly ingressCertificate?: pulumi.Output<string>;

    constructor(name: string, args: JupyterHubArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:JupyterHub", name, {}, opts);
        const cfg = args.config;
        const ns = args.namespace;
        const parent = { parent: this };
        const before = dependsOnList(opts);
        const registry = cfg.singleuser.registry;
        if (registry && !args.registryPassword) {
            throw new ConfigError([
                `jupyterhub:registryPassword is required with jupyterhub:singleuser.registry: pulumi config set --secret registryPassword <password>`,
            ]);
        }

        let ldapCaConfigMap: string | undefined;
        if (args.ldapCaCert) {
            const cm = new k8s.core.v1.ConfigMap(
                `${name}-ldap-ca`,
                // A CA certificate is public; the hub needs it to verify the directory.
                { metadata: { name: "jupyterhub-ldap-ca", namespace: ns, labels: labels("hub") }, data: { "ca.crt": args.ldapCaCert } },
                { ...parent, dependsOn: before },
            );
            before.push(cm);
            ldapCaConfigMap = "jupyterhub-ldap-ca";
        }
        const tlsName = ingressTlsSecretName(cfg.ingress);
        const ingress = cfg.ingress;
        if (tlsName && ingress.enabled && !ingress.tlsSecretName) {
            let cert: pulumi.Input<string>;
            let key: pulumi.Input<string>;
            if (ingress.tlsCert && args.ingressTlsKey) {
                cert = ingress.tlsCert;
                key = args.ingressTlsKey;
            } else {
                // No certificate given: a self-signed one, so the hub is never served in clear text.
                const pk = new tls.PrivateKey(`${name}-ingress`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
                const self = new tls.SelfSignedCert(
                    `${name}-ingress`,
                    {
                        privateKeyPem: pk.privateKeyPem,
                        subject: { commonName: ingress.host },
                        dnsNames: [ingress.host],
                        validityPeriodHours: 24 * 365,
                        earlyRenewalHours: 24 * 30,
                        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                    },
                    parent,
                );
                cert = self.certPem;
                key = pk.privateKeyPem;
                this.ingressCertificate = self.certPem;
            }
            before.push(
                new k8s.core.v1.Secret(
                    `${name}-ingress-tls`,
                    {
                        metadata: { name: tlsName, namespace: ns, labels: labels("hub") },
                        type: "kubernetes.io/tls",
                        stringData: { "tls.crt": cert, "tls.key": key },
                    },
                    { ...parent, dependsOn: before },
                ),
            );
        }

        if (registry && args.registryPassword) {
            // The pull credentials stay secret from the config to the Secret; the values name it only.
            const dockerConfig = args.registryPassword.apply((password) => ({
                ".dockerconfigjson": dockerConfigJson(registry.server, registry.username, password),
            }));
            before.push(
                new k8s.core.v1.Secret(
                    `${name}-registry`,
                    {
                        metadata: { name: REGISTRY_SECRET, namespace: ns, labels: labels("hub") },
                        type: "kubernetes.io/dockerconfigjson",
                        stringData: pulumi.secret(dockerConfig),
                    },
                    { ...parent, dependsOn: before },
                ),
            );
        }

        const { cookieSecret, cryptKeeperKey, proxyToken } = args.secrets;
        const secretData = pulumi
            .all([cookieSecret, cryptKeeperKey, proxyToken, args.dbUrl, args.ldapSearchPassword])
            .apply(([cookieSecret, cryptKeeperKey, proxyToken, dbUrl, ldapSearchPassword]) =>
                hubSecretData({ cookieSecret, cryptKeeperKey, proxyToken, dbUrl, ldapSearchPassword }),
            );
        before.push(
            new k8s.core.v1.Secret(
                `${name}-secrets`,
                { metadata: { name: HUB_SECRET, namespace: ns, labels: labels("hub") }, stringData: pulumi.secret(secretData) },
                { ...parent, dependsOn: before },
            ),
        );

        this.values = hubValues(cfg, {
            dbUrl: args.dbUrlWithoutPassword,
            dbPoolRecycle: args.dbPoolRecycle,
            homeStorageClass: args.homeStorageClass,
            shared: args.shared,
            groupShares: args.groupShares,
            ldap: args.ldap,
            directoryGroups: args.directoryGroups,
            ldapCaConfigMap,
            ingressTlsSecret: tlsName,
        });

        new k8s.helm.v4.Chart(
            `${name}`,
            {
                ...chartSource(cfg.hub, process.env),
                name: ns,
                namespace: ns,
                values: this.values,
                skipAwait: args.skipAwait,
            },
            {
                ...parent,
                dependsOn: before,
                // The token's fingerprint is no secret (proxyTokenFingerprint); the token reaches the pods through HUB_SECRET only.
                transforms: [
                    proxyTokenFromHubSecret(),
                    stableChecksums(this.values, cfg.hub.chartVersion, pulumi.unsecret(proxyToken.apply(proxyTokenFingerprint))),
                ],
            },
        );

        this.url = hubUrl(cfg.ingress, ns);
        this.registerOutputs({ url: this.url });
    }
}
