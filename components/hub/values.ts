// The z2jh chart values for a stack (hubValues): login, users' servers and their storage, the
// chart's own pods' resources, culling, ingress, then the chart values no typed key covers. Pure,
// free of secrets (those go to HUB_SECRET, secrets.ts), tested without the engine.
import { type PlatformConfig, type ProfileConfig } from "../../config";
import { isMap, splitImage } from "../../lib/formats";
import { PRIVILEGED_REASON } from "../../lib/pods";
import {
    type DirectoryGroups,
    directoryGroupsPy,
    groupSearchConfig,
    type GroupSharesMount,
    needsGroupAuthenticator,
    spawnHooks,
    spawnHooksPy,
} from "../groups";
import { LDAP_CA_MOUNT, type LdapAuthSettings, lockedAccountPy } from "../directory";
import { restrictedUserPod, USER_POD_FS_GROUP } from "../pod-security";
import { hubWritableVolumes, leastPrivilegeValues } from "./least-privilege";
import { HUB_SECRET, REGISTRY_SECRET } from "./secrets";

/** Chart values, and any map inside them. */
export type Values = Record<string, unknown>;

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
 * hub.config: the hub's own settings and its login, LDAP (with the directory's groups) or the
 * configured authenticator. The authenticator's Python for directory groups goes into `extraConfig`.
 */
function hubConfigValues(cfg: HubSections, w: HubWiring, extraConfig: Values): Values {
    const hubConfig: Values = {
        JupyterHub: {
            admin_access: true,
            // Recycle pooled connections before MySQL's wait_timeout closes them under the hub.
            db_kwargs: { pool_recycle: w.dbPoolRecycle },
        },
        // Servers start in the home volume, whatever the image's working directory.
        KubeSpawner: { working_dir: cfg.singleuser.homeMountPath },
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
        if (w.ldap.lockout) extraConfig["15-locked-accounts"] = lockedAccountPy(w.ldap.lockout);
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
    return hubConfig;
}

/** The hub's extra volumes: the directory's CA, when the hub verifies the directory with it, and what it writes. */
function hubVolumes(w: HubWiring): { extraVolumes: Values[]; extraVolumeMounts: Values[] } {
    const extraVolumes: Values[] = [];
    const extraVolumeMounts: Values[] = [];
    if (w.ldap?.hasCa && w.ldapCaConfigMap) {
        extraVolumes.push({ name: "ldap-ca", configMap: { name: w.ldapCaConfigMap } });
        extraVolumeMounts.push({ name: "ldap-ca", mountPath: LDAP_CA_MOUNT, readOnly: true });
    }
    // The hub's root filesystem is read-only (least-privilege.ts): what it writes is an emptyDir.
    const writable = hubWritableVolumes();
    return { extraVolumes: [...extraVolumes, ...writable.volumes], extraVolumeMounts: [...extraVolumeMounts, ...writable.mounts] };
}

/**
 * singleuser: users' servers, their image, size and storage, and the root start of grantSudo.
 * What users' pods run as goes into hub.config's KubeSpawner, the spawn hooks into `extraConfig`.
 */
function singleuserValues(cfg: HubSections, w: HubWiring, hubConfig: Values, extraConfig: Values): Values {
    const su = cfg.singleuser;
    const image = splitImage(su.image);
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
    return singleuser;
}

/** The ingress values, when the hub is served by an ingress. */
function ingressValues(cfg: HubSections, w: HubWiring): Values | undefined {
    if (!cfg.ingress.enabled) return undefined;
    return {
        enabled: true,
        hosts: [cfg.ingress.host],
        ...(cfg.ingress.className ? { ingressClassName: cfg.ingress.className } : {}),
        annotations: cfg.ingress.annotations,
        tls: w.ingressTlsSecret ? [{ hosts: [cfg.ingress.host], secretName: w.ingressTlsSecret }] : [],
    };
}

/**
 * The z2jh chart values for a stack. Pure, and free of secrets: those reach the hub, and the
 * proxy's token the hub and the proxy, through HUB_SECRET.
 */
export function hubValues(cfg: HubSections, w: HubWiring): Values {
    const su = cfg.singleuser;
    // Python the hub runs after the chart's own configuration, in the order of the keys.
    const extraConfig: Values = {};
    const hubConfig = hubConfigValues(cfg, w, extraConfig);
    const { extraVolumes, extraVolumeMounts } = hubVolumes(w);
    const singleuser = singleuserValues(cfg, w, hubConfig, extraConfig);

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
    const ingress = ingressValues(cfg, w);
    if (ingress) values.ingress = ingress;
    // Last, the chart values no typed key covers; the config refused those the program sets.
    return overlayValues(overlayValues(values, leastPrivilegeValues()), cfg.chartValues);
}
