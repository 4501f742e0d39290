import * as crypto from "crypto";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";

import { type ExternalLdap, type GroupMemberAttribute, type InClusterLdap, type TlsStrategy } from "../config";
import { ConfigError } from "../lib/problems";
import { NS } from "../lib/schema";
import { dataClaim, HUB_POD_SELECTOR, labels, RESTRICTED_CONTAINER, restrictedPod, toEnv } from "./common";
import { readScript } from "./scripts";
import type { DataKeys } from "./data-key";
import { derivedUserPassword, derivedUserSalt, masterFingerprint, USER_SALT_BYTES } from "./secrets";

/** The port slapd serves StartTLS on in its pod, only with tlsStrategy before_bind (the Service maps 389 to it). */
const LDAP_PORT = 1389;
/** The port slapd serves LDAPS on in its pod (the Service maps 636 to it). */
export const LDAPS_PORT = 1636;
/** Where the hub finds the directory's CA certificate. */
export const LDAP_CA_MOUNT = "/etc/jupyterhub/ldap-ca";

/** DNs of the directory tree that the in-cluster server is bootstrapped with. */
export interface LdapTree {
    baseDn: string;
    adminDn: string;
    usersDn: string;
    groupsDn: string;
    /** The one bind template that matches every bootstrapped user. */
    bindDnTemplate: string;
    userDn(uid: string): string;
    groupDn(cn: string): string;
}

export function ldapTree(cfg: Pick<InClusterLdap, "baseDn" | "usersOu" | "groupsOu">): LdapTree {
    const usersDn = `ou=${cfg.usersOu},${cfg.baseDn}`;
    const groupsDn = `ou=${cfg.groupsOu},${cfg.baseDn}`;
    return {
        baseDn: cfg.baseDn,
        adminDn: `cn=admin,${cfg.baseDn}`,
        usersDn,
        groupsDn,
        bindDnTemplate: `uid={username},${usersDn}`,
        userDn: (uid) => `uid=${uid},${usersDn}`,
        groupDn: (cn) => `cn=${cn},${groupsDn}`,
    };
}

/** OpenLDAP's salted SHA-1 password scheme, so that plain passwords never enter the directory. */
export function sshaHash(password: string, salt: Buffer): string {
    const digest = crypto.createHash("sha1").update(password, "utf8").update(salt).digest();
    return `{SSHA}${Buffer.concat([digest, salt]).toString("base64")}`;
}

/** An LDIF attribute line; values outside RFC 2849's SAFE-STRING are base64-encoded. */
function attr(name: string, value: string): string {
    // SAFE-STRING: ASCII without NUL, CR, LF; not starting with space, ':' or '<'; no trailing space.
    const safe = [...value].every((ch) => ch.charCodeAt(0) < 0x80 && !"\0\r\n".includes(ch)) && !/^[ :<]/.test(value) && !/ $/.test(value);
    return safe ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, "utf8").toString("base64")}`;
}

/** The root entry for a base DN such as dc=example,dc=org or o=Example. */
function baseEntry(cfg: Pick<InClusterLdap, "baseDn" | "organisation">): string[] {
    const [first] = cfg.baseDn.split(",");
    const [type, value] = first.split("=").map((s) => s.trim());
    if (type.toLowerCase() === "dc") {
        return [`dn: ${cfg.baseDn}`, "objectClass: top", "objectClass: dcObject", "objectClass: organization", attr("dc", value), attr("o", cfg.organisation)];
    }
    if (type.toLowerCase() === "o") {
        return [`dn: ${cfg.baseDn}`, "objectClass: top", "objectClass: organization", attr("o", value)];
    }
    return [`dn: ${cfg.baseDn}`, "objectClass: top", "objectClass: organizationalUnit", attr("ou", value)];
}

/**
 * The whole bootstrap tree as LDIF: base entry, people and groups OUs, users with salted
 * password hashes, groups (groupOfNames) with their members. `hashes` maps uid to {SSHA} hash.
 */
export function bootstrapLdif(cfg: InClusterLdap, hashes: Record<string, string>): string {
    const t = ldapTree(cfg);
    const entries: string[][] = [
        baseEntry(cfg),
        [`dn: ${t.usersDn}`, "objectClass: top", "objectClass: organizationalUnit", attr("ou", cfg.usersOu)],
        [`dn: ${t.groupsDn}`, "objectClass: top", "objectClass: organizationalUnit", attr("ou", cfg.groupsOu)],
    ];
    for (const u of cfg.users) {
        const hash = hashes[u.uid];
        if (!hash) throw new Error(`no password hash for LDAP user "${u.uid}"`);
        entries.push([
            `dn: ${t.userDn(u.uid)}`,
            "objectClass: top",
            "objectClass: inetOrgPerson",
            attr("uid", u.uid),
            attr("cn", `${u.givenName} ${u.sn}`),
            attr("givenName", u.givenName),
            attr("sn", u.sn),
            ...(u.mail ? [attr("mail", u.mail)] : []),
            attr("userPassword", hash),
        ]);
    }
    for (const g of cfg.groups) {
        entries.push([
            `dn: ${t.groupDn(g.cn)}`,
            "objectClass: top",
            "objectClass: groupOfNames",
            attr("cn", g.cn),
            ...g.members.map((m) => attr("member", t.userDn(m))),
        ]);
    }
    return entries.map((e) => e.join("\n")).join("\n\n") + "\n";
}

/** LDIF that makes group membership match the config (run after the tree exists). */
export function groupSyncLdif(cfg: InClusterLdap): string {
    const t = ldapTree(cfg);
    return (
        cfg.groups
            .map((g) =>
                [`dn: ${t.groupDn(g.cn)}`, "changetype: modify", "replace: member", ...g.members.map((m) => attr("member", t.userDn(m))), "-"].join("\n"),
            )
            .join("\n\n") + "\n"
    );
}

/** Every user's password and its {SSHA} hash, derived from the master key (components/secrets.ts). */
export function userCredentials(master: Buffer, uids: string[]): { passwords: Record<string, string>; hashes: Record<string, string> } {
    const passwords: Record<string, string> = {};
    const hashes: Record<string, string> = {};
    for (const uid of uids) {
        passwords[uid] = derivedUserPassword(master, uid);
        hashes[uid] = sshaHash(passwords[uid], derivedUserSalt(master, uid));
    }
    return { passwords, hashes };
}

/**
 * The bootstrap Secret's files: the tree (with every user's hash: the sync Job takes the password
 * reset from it too, rather than a second copy of every hash), the group reset, the users to keep,
 * the master's fingerprint.
 */
export function bootstrapFiles(cfg: InClusterLdap, hashes: Record<string, string>, fingerprint: string): Record<string, string> {
    return {
        "tree.ldif": bootstrapLdif(cfg, hashes),
        "groups.ldif": groupSyncLdif(cfg),
        uids: cfg.users.map((u) => `${u.uid}\n`).join(""),
        fingerprint,
    };
}

/** What a Kubernetes Secret (or ConfigMap) holds at most: 1 MiB of data, all keys together. */
export const SECRET_LIMIT_BYTES = 1024 * 1024;

/**
 * Refuses a directory whose bootstrap Secret would not fit in Kubernetes. Its size does not depend
 * on the secrets (hashes and fingerprint have a fixed length), so it is known before anything runs.
 */
export function bootstrapSizeProblems(cfg: InClusterLdap, adminPasswordLength = 32): string[] {
    const placeholder = sshaHash("", Buffer.alloc(USER_SALT_BYTES));
    const files = bootstrapFiles(cfg, Object.fromEntries(cfg.users.map((u) => [u.uid, placeholder])), "0".repeat(16));
    const bytes = adminPasswordLength + Object.values(files).reduce((sum, f) => sum + Buffer.byteLength(f, "utf8"), 0);
    if (bytes <= SECRET_LIMIT_BYTES) return [];
    const fits = Math.floor((cfg.users.length * SECRET_LIMIT_BYTES) / bytes);
    return [
        `${NS}:ldap.users lists ${cfg.users.length} users, which make the directory's bootstrap data ${Math.ceil(bytes / 1024)} KiB, ` +
            `over the ${SECRET_LIMIT_BYTES / 1024} KiB a Kubernetes Secret holds; bootstrap at most about ${fits} users with these names and groups ` +
            `in-cluster, or use a directory of your own (ldap.mode "external")`,
    ];
}

/**
 * Where the directory server finds what it needs. In the pod: the symas/openldap image's own
 * files (SYMAS_PATHS; see docs/images.md for where each comes from) and the pod's mounts; in the
 * services test bed, Debian's slapd and a temp directory (the only differences: these paths).
 */
export interface SlapdPaths {
    /** Folder of the schema files core, cosine, inetorgperson and nis (.schema). */
    schemaDir: string;
    /** Folder of the back_mdb module. */
    modulePath: string;
    /** The database (on the claim). */
    dataDir: string;
    /** pid and args files (an emptyDir: the root filesystem is read-only). */
    runDir: string;
    /** The server certificate, its key and the CA (tls.crt, tls.key, ca.crt). */
    tlsDir: string;
    /** The file holding the rootpw line (from the bootstrap Secret). */
    rootPwFile: string;
}

/** The symas/openldap image's layout: Symas's packages under /opt/symas (docs/images.md). */
export const SYMAS = {
    /** slapd itself: Symas's packages install it in lib/ (sbin/slapd is a link to it in this image). */
    slapd: "/opt/symas/lib/slapd",
    /** slapadd, slaptest (links to slapd) and the other slap* tools. */
    sbin: "/opt/symas/sbin",
    /** ldapsearch, ldapmodify, ... */
    bin: "/opt/symas/bin",
    schemaDir: "/opt/symas/etc/openldap/schema",
    modulePath: "/opt/symas/lib/openldap",
} as const;

/** Mounts of the directory's pod, and so the paths its configuration names. */
export const LDAP_MOUNTS = {
    /** The claim. The database is a folder of it, so that a later layout can sit beside it. */
    data: "/var/lib/openldap",
    run: "/run/slapd",
    config: "/etc/openldap-platform",
    tls: "/tls",
    bootstrap: "/bootstrap",
    scripts: "/scripts",
} as const;

/** The pod's paths: the image's files, the claim and the mounted configuration. */
export const POD_SLAPD_PATHS: SlapdPaths = {
    schemaDir: SYMAS.schemaDir,
    modulePath: SYMAS.modulePath,
    dataDir: `${LDAP_MOUNTS.data}/mdb`,
    runDir: LDAP_MOUNTS.run,
    tlsDir: LDAP_MOUNTS.tls,
    rootPwFile: `${LDAP_MOUNTS.config}/rootpw.conf`,
};

/** The schemas the tree needs: inetOrgPerson (cosine, inetorgperson), groupOfNames (core); nis for posix attributes. */
export const LDAP_SCHEMAS = ["core", "cosine", "inetorgperson", "nis"] as const;

/** The largest database the server may grow (mdb's map size; its default is only 10 MiB): the claim's size. */
export function mdbMaxSize(storageSize: string): number {
    const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(storageSize);
    if (!m) return 1024 ** 3;
    const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 }[m[2] as "Ki" | "Mi" | "Gi" | "Ti"] ?? 1;
    return Number(m[1]) * unit;
}

/**
 * The directory server's whole configuration (slapd.conf), written by the program: the image is
 * relied on for its binaries, schemas and module only. What it says:
 * - TLS with the program's certificate, TLS 1.2 at least; every operation but StartTLS needs TLS
 *   (`security tls=1`), so plain LDAP is refused even where a plain port is open (before_bind);
 * - no anonymous bind, and nothing but a bind before one (`require authc`);
 * - ACLs: a userPassword is usable for binds (anonymous auth) and writable by its owner, readable
 *   by nobody (the admin, the rootdn, is above ACLs); every other attribute readable by
 *   authenticated users, writable by nobody but the admin;
 * - the mdb database on the claim, the admin as its rootdn, whose password (an {SSHA} hash) is
 *   included from the Secret, so that the server takes the stack's admin password at every start.
 */
export function slapdConf(tree: Pick<LdapTree, "baseDn" | "adminDn">, paths: SlapdPaths, opts: { maxSize: number }): string {
    return [
        "# The in-cluster directory's configuration, written by the platform program (components/openldap.ts slapdConf).",
        ...LDAP_SCHEMAS.map((s) => `include ${paths.schemaDir}/${s}.schema`),
        `pidfile ${paths.runDir}/slapd.pid`,
        `argsfile ${paths.runDir}/slapd.args`,
        `modulepath ${paths.modulePath}`,
        "moduleload back_mdb",
        "",
        `TLSCACertificateFile ${paths.tlsDir}/ca.crt`,
        `TLSCertificateFile ${paths.tlsDir}/tls.crt`,
        `TLSCertificateKeyFile ${paths.tlsDir}/tls.key`,
        "TLSProtocolMin 3.3",
        "security tls=1",
        "disallow bind_anon",
        "require authc",
        "sizelimit 500",
        "timelimit 3600",
        "",
        "database mdb",
        `suffix "${tree.baseDn}"`,
        `rootdn "${tree.adminDn}"`,
        `include ${paths.rootPwFile}`,
        `directory ${paths.dataDir}`,
        `maxsize ${opts.maxSize}`,
        "index objectClass eq",
        "index uid,cn,member eq",
        "access to attrs=userPassword",
        "    by self =w",
        "    by anonymous auth",
        "    by * none",
        "access to *",
        "    by users read",
        "    by * none",
        "",
    ].join("\n");
}

/**
 * The rootpw line slapdConf includes: the admin password as an {SSHA} hash, its salt derived from
 * the password itself so that the Secret holding it changes only when the password does.
 */
export function rootPwLine(adminPassword: string): string {
    const salt = crypto.createHash("sha256").update(`jupyterhub-platform/ldap-rootpw/v1\0${adminPassword}`, "utf8").digest().subarray(0, 8);
    return `rootpw ${sshaHash(adminPassword, salt)}\n`;
}

/** The listeners of slapd's -h: LDAPS always, a StartTLS port only when the hub uses before_bind. */
export function slapdUrls(tlsStrategy: TlsStrategy, host = ""): string {
    const ldaps = `ldaps://${host}:${LDAPS_PORT}/`;
    return tlsStrategy === "before_bind" ? `ldap://${host}:${LDAP_PORT}/ ${ldaps}` : ldaps;
}

/** The uid the directory's pods run as: the image's USER (1001); any unprivileged uid would do (docs/images.md). */
export const LDAP_UID = 1001;

/** Annotation of the directory's pod template: a digest of what slapd reads at start only. */
export const CONFIG_DIGEST_ANNOTATION = "platform.jupyterhub.org/config-digest";

/** slapd in the foreground (-d stats: connections and operations logged), with the program's configuration. */
export function slapdCommand(slapd: string, conf: string, urls: string): string[] {
    return [slapd, "-d", "stats", "-f", conf, "-h", urls];
}

/** DNS names the in-cluster directory's certificate is valid for. */
export function ldapCertDnsNames(service: string, namespace: string): string[] {
    return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, "localhost"];
}

/** What the hub's LDAPAuthenticator needs to know about a directory. */
export interface LdapAuthSettings {
    serverAddress: string;
    port: number;
    tlsStrategy: TlsStrategy;
    bindDnTemplates: string[];
    /** Full group DNs; empty: any user who can bind may log in. */
    allowedGroups: string[];
    lookupDn: boolean;
    userSearchBase?: string;
    userAttribute: string;
    searchUser?: string;
    /** Whether a CA certificate is mounted at LDAP_CA_MOUNT/ca.crt. */
    hasCa: boolean;
    /** The one attribute groups list members in; unset: LDAPAuthenticator's default (any of them). */
    groupMemberAttribute?: GroupMemberAttribute;
}

/** Authenticator settings for the in-cluster directory, derived from the tree it is bootstrapped with. */
export function inClusterAuthSettings(cfg: InClusterLdap, namespace: string): LdapAuthSettings {
    const t = ldapTree(cfg);
    return {
        serverAddress: `openldap.${namespace}.svc.cluster.local`,
        port: cfg.tlsStrategy === "on_connect" ? 636 : 389,
        tlsStrategy: cfg.tlsStrategy,
        bindDnTemplates: [t.bindDnTemplate],
        allowedGroups: cfg.allowedGroups.map((g) => t.groupDn(g)),
        lookupDn: false,
        userAttribute: "uid",
        hasCa: true,
    };
}

/** Authenticator settings for an external directory, from config. */
export function externalAuthSettings(cfg: ExternalLdap): LdapAuthSettings {
    return {
        serverAddress: cfg.server,
        port: cfg.port ?? (cfg.tlsStrategy === "on_connect" ? 636 : 389),
        tlsStrategy: cfg.tlsStrategy,
        bindDnTemplates: cfg.bindDnTemplates,
        allowedGroups: cfg.allowedGroups,
        lookupDn: cfg.lookupDn,
        userSearchBase: cfg.lookupDn ? cfg.baseDn : undefined,
        userAttribute: cfg.userAttribute,
        searchUser: cfg.searchUser,
        hasCa: cfg.caCert !== undefined,
        groupMemberAttribute: cfg.groupMemberAttribute,
    };
}

/** What the authenticator is told for the stack's directory mode; undefined without LDAP. */
export function ldapAuthSettings(cfg: InClusterLdap | ExternalLdap | { mode: "none" }, namespace: string): LdapAuthSettings | undefined {
    if (cfg.mode === "in-cluster") return inClusterAuthSettings(cfg, namespace);
    if (cfg.mode === "external") return externalAuthSettings(cfg);
    return undefined;
}

/** Where the sync Job finds the directory and its files. */
export interface SyncSetup {
    /** LDAPS URI of the directory. */
    uri: string;
    /** The bootstrap Secret's files (bootstrapFiles, plus admin-password). */
    bootstrapDir: string;
    /** CA certificate the directory's certificate is verified with. */
    caFile: string;
}

/** The sync Job's script, in components/scripts/ and in the ConfigMap `openldap-sync`. */
export const SYNC_SCRIPT = "ldap-sync.sh";

/**
 * Environment of the sync Job's script (components/scripts/ldap-sync.sh), which brings a running
 * directory in line with the config: adds the entries it lacks, sets users' passwords when the
 * master key changed, resets group membership and deletes the people the config no longer lists.
 */
export function syncEnv(tree: LdapTree, where: SyncSetup, resetPasswordsFrom?: string): Record<string, string> {
    return {
        DIRECTORY_URI: where.uri,
        DIRECTORY_BASE_DN: tree.baseDn,
        DIRECTORY_PEOPLE_DN: tree.usersDn,
        DIRECTORY_ADMIN_DN: tree.adminDn,
        BOOTSTRAP_DIR: where.bootstrapDir,
        LDAPTLS_CACERT: where.caFile,
        ...(resetPasswordsFrom === undefined ? {} : { RESET_FROM_KEY: resetPasswordsFrom }),
    };
}

/**
 * The sync Job's name: a digest of the tree's shape (users, groups), of the image and of the
 * script, all known at the first preview. A new script or image is a new Job beside the old one's
 * name, so a program upgrade never has to delete a Job and create one of the same name. The master
 * key is not in it (a new stack's key is not known before it is generated); the Job carries the
 * key's fingerprint in the annotation SYNC_KEY_ANNOTATION and is replaced when it changes.
 */
export function syncJobName(cfg: InClusterLdap, script: string = readScript(SYNC_SCRIPT)): string {
    const digest = crypto
        .createHash("sha256")
        .update(JSON.stringify([cfg.baseDn, cfg.users.map((u) => u.uid), cfg.groups, cfg.image, script]))
        .digest("hex");
    return `openldap-sync-${digest.slice(0, 16)}`;
}

/** Annotation of the sync Job: the fingerprint of the master key its passwords come from. */
export const SYNC_KEY_ANNOTATION = "platform.jupyterhub.org/user-password-key";

export interface OpenLdapArgs {
    /** Namespace to deploy into. */
    namespace: pulumi.Input<string>;
    /** Validated `ldap` config with mode "in-cluster". */
    config: InClusterLdap;
    /** Options of the directory's volume, kept by `pulumi destroy` unless data is deleted (ClusterAccess.keep). */
    keep: pulumi.CustomResourceOptions;
    /** The stack's data keys (components/data-key.ts): users' passwords are derived from its directory-users key. */
    dataKey: DataKeys;
}

/**
 * OpenLDAP in the cluster (symas/openldap, from the OpenLDAP authors), bootstrapped with the
 * configured tree, serving LDAPS with a certificate from a CA this component generates.
 */
export class OpenLdap extends pulumi.ComponentResource {
    /** PEM CA certificate the hub verifies the directory with. Not secret. */
    public readonly caCert: pulumi.Output<string>;
    /** Generated admin password. Secret. */
    public readonly adminPassword: pulumi.Output<string>;
    /** Password of each bootstrapped user, by uid, derived from one generated master key. Secret. */
    public readonly userPasswords: pulumi.Output<Record<string, string>>;
    public readonly tree: LdapTree;

    constructor(name: string, args: OpenLdapArgs, opts?: pulumi.ComponentResourceOptions) {
        const tooBig = bootstrapSizeProblems(args.config);
        if (tooBig.length > 0) throw new ConfigError(tooBig);
        super("jupyterhub:index:OpenLdap", name, {}, opts);
        const cfg = args.config;
        const ns = pulumi.output(args.namespace);
        const parent = { parent: this };
        const lbl = labels("openldap");
        this.tree = ldapTree(cfg);

        const admin = new random.RandomPassword(`${name}-admin`, { length: 32, special: false }, parent);
        this.adminPassword = admin.result;

        // One generated key for all users, whatever their number: each user's password and salt
        // are derived from it (components/secrets.ts), so a user costs no resource of their own.
        // Replacing it changes every user's password; the sync Job sets them in the directory.
        // The key is kept with the data (data-key.ts), so that a stack destroyed with its data kept
        // gives every user the same password again at the next `pulumi up`.
        const master = args.dataKey.key("directory-users").apply((b) => Buffer.from(b, "base64"));
        const uids = cfg.users.map((u) => u.uid);
        const credentials = pulumi.secret(master.apply((m) => userCredentials(m, uids)));
        this.userPasswords = pulumi.secret(credentials.apply((c) => c.passwords));
        // Names the key without revealing it (an HMAC): plain, so that the Job's name can carry it.
        const fingerprint = pulumi.unsecret(master.apply(masterFingerprint));

        // TLS: a CA of this directory's own, and a server certificate for the Service names.
        const caKey = new tls.PrivateKey(`${name}-ca`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                subject: { commonName: "JupyterHub platform LDAP CA", organization: cfg.organisation },
                validityPeriodHours: 24 * 365 * 10,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            },
            parent,
        );
        const serverKey = new tls.PrivateKey(`${name}-server`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const csr = new tls.CertRequest(
            `${name}-server`,
            {
                privateKeyPem: serverKey.privateKeyPem,
                subject: { commonName: pulumi.interpolate`openldap.${ns}.svc`, organization: cfg.organisation },
                dnsNames: ns.apply((n) => ldapCertDnsNames("openldap", n)),
                ipAddresses: ["127.0.0.1"],
            },
            parent,
        );
        const cert = new tls.LocallySignedCert(
            `${name}-server`,
            {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: 24 * 365 * 2,
                earlyRenewalHours: 24 * 30,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            },
            parent,
        );
        this.caCert = ca.certPem;

        const tlsSecret = new k8s.core.v1.Secret(
            `${name}-tls`,
            {
                metadata: { name: "openldap-tls", namespace: ns, labels: lbl },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": cert.certPem, "tls.key": serverKey.privateKeyPem, "ca.crt": ca.certPem },
            },
            parent,
        );
        const bootstrap = new k8s.core.v1.Secret(
            `${name}-bootstrap`,
            {
                metadata: { name: "openldap-bootstrap", namespace: ns, labels: lbl },
                // One value, secret as a whole: every file changes together when a user is added.
                stringData: pulumi.secret(
                    pulumi.all([admin.result, credentials, fingerprint]).apply(([adminPassword, c, fp]) => ({
                        "admin-password": adminPassword,
                        "rootpw.conf": rootPwLine(adminPassword),
                        ...bootstrapFiles(cfg, c.hashes, fp),
                    })),
                ),
            },
            parent,
        );
        const data = dataClaim(
            `${name}-data`,
            { name: "openldap-data", namespace: ns, labels: lbl, storageClass: cfg.storageClass, size: cfg.storageSize },
            this,
            args.keep,
        );
        // The server's configuration and its init script: written by the program, no secret in them.
        const conf = slapdConf(this.tree, POD_SLAPD_PATHS, { maxSize: mdbMaxSize(cfg.storageSize) });
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: { name: "openldap-config", namespace: ns, labels: lbl }, data: { "slapd.conf": conf, "ldap-init.sh": readScript("ldap-init.sh") } },
            parent,
        );
        // The pod rolls when its configuration, the admin password or the certificate changes: the
        // server reads them at start only. A digest: it reveals none of them.
        const configDigest = pulumi.unsecret(
            pulumi
                .all([admin.result, cert.certPem])
                .apply(([pw, crt]) =>
                    crypto.createHash("sha256").update(conf).update("\0").update(rootPwLine(pw)).update("\0").update(crt).digest("hex").slice(0, 16),
                ),
        );
        const m = LDAP_MOUNTS;
        const mounts = {
            data: { name: "data", mountPath: m.data },
            config: { name: "config", mountPath: m.config, readOnly: true },
            tls: { name: "tls", mountPath: m.tls, readOnly: true },
        };
        // The image's slapd (and slapadd, slaptest: the same file) carries the file capability
        // cap_net_bind_service=+eip; the kernel refuses to execute such a file unless the
        // capability is in the bounding set, so the one capability the restricted profile allows
        // to add is added back. It grants nothing here: allowPrivilegeEscalation false (no_new_privs)
        // keeps the process's permitted set empty, and the ports are above 1024.
        const container = {
            securityContext: { ...RESTRICTED_CONTAINER, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }, readOnlyRootFilesystem: true },
        };
        const deployment = new k8s.apps.v1.Deployment(
            `${name}`,
            {
                metadata: { name: "openldap", namespace: ns, labels: lbl },
                spec: {
                    replicas: 1,
                    // One server on the RWO claim at a time: mdb allows one writer process.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: lbl },
                    template: {
                        metadata: { labels: lbl, annotations: { [CONFIG_DIGEST_ANNOTATION]: configDigest } },
                        spec: {
                            // Any unprivileged uid: the program's configuration names no file of the
                            // image that must be written, and the claim is the pod's group's (fsGroup).
                            securityContext: restrictedPod(LDAP_UID),
                            automountServiceAccountToken: false,
                            initContainers: [
                                {
                                    name: "init",
                                    image: cfg.image,
                                    command: ["sh", `${m.scripts}/ldap-init.sh`],
                                    env: [
                                        { name: "SLAPD_CONF", value: `${m.config}/slapd.conf` },
                                        { name: "DATA_DIR", value: POD_SLAPD_PATHS.dataDir },
                                        { name: "TREE_LDIF", value: `${m.bootstrap}/tree.ldif` },
                                        { name: "SLAPTOOLS", value: SYMAS.sbin },
                                    ],
                                    ...container,
                                    volumeMounts: [
                                        mounts.data,
                                        mounts.config,
                                        mounts.tls,
                                        { name: "scripts", mountPath: m.scripts, readOnly: true },
                                        { name: "tree", mountPath: m.bootstrap, readOnly: true },
                                        { name: "run", mountPath: m.run },
                                    ],
                                    resources: { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "50m", memory: "64Mi" } },
                                },
                            ],
                            containers: [
                                {
                                    name: "openldap",
                                    image: cfg.image,
                                    // slapd itself, in the foreground (-d), logging connections and operations (stats).
                                    command: slapdCommand(SYMAS.slapd, `${m.config}/slapd.conf`, slapdUrls(cfg.tlsStrategy)),
                                    ...container,
                                    ports: [
                                        ...(cfg.tlsStrategy === "before_bind" ? [{ name: "ldap", containerPort: LDAP_PORT }] : []),
                                        { name: "ldaps", containerPort: LDAPS_PORT },
                                    ],
                                    volumeMounts: [mounts.data, mounts.config, mounts.tls, { name: "run", mountPath: m.run }],
                                    readinessProbe: { tcpSocket: { port: LDAPS_PORT }, periodSeconds: 10 },
                                    livenessProbe: { tcpSocket: { port: LDAPS_PORT }, initialDelaySeconds: 30, periodSeconds: 20 },
                                    resources: { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "50m", memory: "64Mi" } },
                                },
                            ],
                            volumes: [
                                { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } },
                                {
                                    name: "config",
                                    projected: {
                                        defaultMode: 0o440,
                                        sources: [
                                            { configMap: { name: config.metadata.name, items: [{ key: "slapd.conf", path: "slapd.conf" }] } },
                                            { secret: { name: bootstrap.metadata.name, items: [{ key: "rootpw.conf", path: "rootpw.conf" }] } },
                                        ],
                                    },
                                },
                                { name: "scripts", configMap: { name: config.metadata.name, items: [{ key: "ldap-init.sh", path: "ldap-init.sh" }] } },
                                // Read by the pod's group only (fsGroup): the server key and the admin's hash.
                                { name: "tls", secret: { secretName: tlsSecret.metadata.name, defaultMode: 0o440 } },
                                { name: "tree", secret: { secretName: bootstrap.metadata.name, items: [{ key: "tree.ldif", path: "tree.ldif" }] } },
                                { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
                            ],
                        },
                    },
                },
            },
            parent,
        );
        const service = new k8s.core.v1.Service(
            `${name}`,
            {
                metadata: { name: "openldap", namespace: ns, labels: lbl },
                spec: {
                    type: "ClusterIP",
                    selector: lbl,
                    ports: [
                        ...(cfg.tlsStrategy === "before_bind" ? [{ name: "ldap", port: 389, targetPort: LDAP_PORT }] : []),
                        { name: "ldaps", port: 636, targetPort: LDAPS_PORT },
                    ],
                },
            },
            parent,
        );
        const syncLabels = labels("openldap-sync");
        new k8s.networking.v1.NetworkPolicy(
            `${name}`,
            {
                metadata: { name: "openldap", namespace: ns, labels: lbl },
                spec: {
                    podSelector: { matchLabels: lbl },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [{ podSelector: HUB_POD_SELECTOR }, { podSelector: { matchLabels: syncLabels } }],
                            ports: cfg.tlsStrategy === "before_bind" ? [{ port: LDAP_PORT }, { port: LDAPS_PORT }] : [{ port: LDAPS_PORT }],
                        },
                    ],
                },
            },
            parent,
        );
        // Users and groups added to or removed from the config after the first start, and a new
        // master key, reach the directory here: the Job is replaced, and so re-run, whenever one
        // changes (its name, or the key's fingerprint in its annotation). Its script is the file
        // components/scripts/ldap-sync.sh as it is; where things are comes in its environment.
        const script = new k8s.core.v1.ConfigMap(
            `${name}-sync`,
            {
                metadata: { name: "openldap-sync", namespace: ns, labels: syncLabels },
                data: { [SYNC_SCRIPT]: readScript(SYNC_SCRIPT) },
            },
            parent,
        );
        new k8s.batch.v1.Job(
            `${name}-sync`,
            {
                metadata: { name: syncJobName(cfg), namespace: ns, labels: syncLabels, annotations: { [SYNC_KEY_ANNOTATION]: fingerprint } },
                spec: {
                    backoffLimit: 4,
                    template: {
                        metadata: { labels: syncLabels },
                        spec: {
                            restartPolicy: "OnFailure",
                            securityContext: restrictedPod(LDAP_UID),
                            containers: [
                                {
                                    name: "sync",
                                    image: cfg.image,
                                    command: ["sh", `/script/${SYNC_SCRIPT}`],
                                    // Without a data key any new key resets the passwords (a rotation by --replace);
                                    // with one, only the key named by ldap.resetPasswordsFrom may be overridden.
                                    env: ns.apply((n) =>
                                        toEnv(
                                            syncEnv(
                                                this.tree,
                                                { uri: `ldaps://openldap.${n}.svc.cluster.local:636`, bootstrapDir: "/bootstrap", caFile: "/tls/ca.crt" },
                                                args.dataKey.configured ? (cfg.resetPasswordsFrom ?? "") : "any",
                                            ),
                                        ),
                                    ),
                                    securityContext: RESTRICTED_CONTAINER,
                                    volumeMounts: [
                                        { name: "script", mountPath: "/script", readOnly: true },
                                        { name: "bootstrap", mountPath: "/bootstrap", readOnly: true },
                                        { name: "tls", mountPath: "/tls", readOnly: true },
                                    ],
                                    resources: { limits: { cpu: "200m", memory: "64Mi" }, requests: { cpu: "10m", memory: "16Mi" } },
                                },
                            ],
                            volumes: [
                                { name: "script", configMap: { name: script.metadata.name } },
                                { name: "bootstrap", secret: { secretName: bootstrap.metadata.name } },
                                { name: "tls", secret: { secretName: tlsSecret.metadata.name, items: [{ key: "ca.crt", path: "ca.crt" }] } },
                            ],
                        },
                    },
                },
            },
            // A Job's pods cannot be changed: a new key means a new Job of the same name, so the old one goes first.
            { ...parent, dependsOn: [deployment, service], replaceOnChanges: ["metadata.annotations"], deleteBeforeReplace: true },
        );

        this.registerOutputs({ caCert: this.caCert, adminPassword: this.adminPassword, userPasswords: this.userPasswords });
    }
}
