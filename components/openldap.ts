import * as crypto from "crypto";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";

import type { ExternalLdap, GroupMemberAttribute, InClusterLdap, TlsStrategy } from "../config";
import { dataClaim, HUB_POD_SELECTOR, labels, RESTRICTED_CONTAINER, restrictedPod } from "./common";

/** Ports the symas/openldap image listens on (it runs unprivileged). */
const LDAP_PORT = 1389;
const LDAPS_PORT = 1636;
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

/** Script of the sync Job: adds missing entries and resets group membership to the config. */
export function syncScript(namespace: string, adminDn: string): string {
    return [
        "set -eu",
        "export PATH=/opt/symas/bin:/opt/symas/sbin:$PATH",
        "export LDAPTLS_CACERT=/tls/ca.crt",
        `uri=ldaps://openldap.${namespace}.svc.cluster.local:636`,
        "ok=0",
        "for i in $(seq 1 60); do",
        `  if ldapwhoami -H "$uri" -x -D '${adminDn}' -y /bootstrap/admin-password >/dev/null 2>&1; then ok=1; break; fi`,
        "  sleep 5",
        "done",
        '[ "$ok" = 1 ] || { echo "directory not reachable at $uri" >&2; exit 1; }',
        // -c: entries that exist already (68) are left as they are; passwords are never reset.
        "rc=0",
        `ldapadd -c -H "$uri" -x -D '${adminDn}' -y /bootstrap/admin-password -f /bootstrap/tree.ldif || rc=$?`,
        '[ "$rc" = 0 ] || [ "$rc" = 68 ] || exit "$rc"',
        `ldapmodify -H "$uri" -x -D '${adminDn}' -y /bootstrap/admin-password -f /bootstrap/groups.ldif`,
        'echo "directory in sync"',
    ].join("\n");
}

export interface OpenLdapArgs {
    /** Namespace to deploy into. */
    namespace: pulumi.Input<string>;
    /** Validated `ldap` config with mode "in-cluster". */
    config: InClusterLdap;
    /** Options of the directory's volume, kept by `pulumi destroy` unless data is deleted (ClusterAccess.keep). */
    keep: pulumi.CustomResourceOptions;
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
    /** Generated password of each bootstrapped user, by uid. Secret. */
    public readonly userPasswords: pulumi.Output<Record<string, string>>;
    public readonly tree: LdapTree;

    constructor(name: string, args: OpenLdapArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:OpenLdap", name, {}, opts);
        const cfg = args.config;
        const ns = pulumi.output(args.namespace);
        const parent = { parent: this };
        const lbl = labels("openldap");
        this.tree = ldapTree(cfg);

        const admin = new random.RandomPassword(`${name}-admin`, { length: 32, special: false }, parent);
        this.adminPassword = admin.result;

        const passwords: Record<string, pulumi.Output<string>> = {};
        const hashes: Record<string, pulumi.Output<string>> = {};
        for (const u of cfg.users) {
            const pw = new random.RandomPassword(`${name}-user-${u.uid}`, { length: 20, special: false }, parent);
            // A stable salt keeps the hash, and so the bootstrap Secret, unchanged across updates.
            const salt = new random.RandomBytes(`${name}-salt-${u.uid}`, { length: 8 }, parent);
            passwords[u.uid] = pw.result;
            hashes[u.uid] = pulumi.secret(pulumi.all([pw.result, salt.base64]).apply(([p, s]) => sshaHash(p, Buffer.from(s, "base64"))));
        }
        this.userPasswords = pulumi.secret(pulumi.all(passwords));

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
                stringData: {
                    "admin-password": admin.result,
                    "tree.ldif": pulumi.all(hashes).apply((h) => bootstrapLdif(cfg, h)),
                    "groups.ldif": groupSyncLdif(cfg),
                },
            },
            parent,
        );
        const data = dataClaim(
            `${name}-data`,
            { name: "openldap-data", namespace: ns, labels: lbl, storageClass: cfg.storageClass, size: cfg.storageSize },
            this,
            args.keep,
        );
        const deployment = new k8s.apps.v1.Deployment(
            `${name}`,
            {
                metadata: { name: "openldap", namespace: ns, labels: lbl },
                spec: {
                    replicas: 1,
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: lbl },
                    template: {
                        metadata: { labels: lbl },
                        spec: {
                            // The image runs slapd unprivileged on ports 1389/1636 as uid 1001.
                            securityContext: restrictedPod(1001),
                            containers: [
                                {
                                    name: "openldap",
                                    image: cfg.image,
                                    securityContext: RESTRICTED_CONTAINER,
                                    ports: [
                                        { name: "ldap", containerPort: LDAP_PORT },
                                        { name: "ldaps", containerPort: LDAPS_PORT },
                                    ],
                                    env: [
                                        { name: "LDAP_ROOT", value: cfg.baseDn },
                                        { name: "LDAP_ADMIN_USERNAME", value: "admin" },
                                        { name: "LDAP_ADMIN_PASSWORD_FILE", value: "/bootstrap/admin-password" },
                                        { name: "LDAP_SKIP_DEFAULT_TREE", value: "yes" },
                                        { name: "LDAP_CUSTOM_LDIF_DIR", value: "/ldifs" },
                                        { name: "LDAP_EXTRA_SCHEMAS", value: "cosine,inetorgperson,nis" },
                                        { name: "LDAP_ALLOW_ANON_BINDING", value: "no" },
                                        { name: "LDAP_ENABLE_TLS", value: "yes" },
                                        { name: "LDAP_REQUIRE_TLS", value: "yes" },
                                        { name: "LDAP_LDAPS_PORT_NUMBER", value: String(LDAPS_PORT) },
                                        { name: "LDAP_PORT_NUMBER", value: String(LDAP_PORT) },
                                        { name: "LDAP_TLS_CERT_FILE", value: "/tls/tls.crt" },
                                        { name: "LDAP_TLS_KEY_FILE", value: "/tls/tls.key" },
                                        { name: "LDAP_TLS_CA_FILE", value: "/tls/ca.crt" },
                                    ],
                                    volumeMounts: [
                                        { name: "data", mountPath: "/openldap" },
                                        { name: "tls", mountPath: "/tls", readOnly: true },
                                        { name: "bootstrap", mountPath: "/bootstrap", readOnly: true },
                                        { name: "ldifs", mountPath: "/ldifs", readOnly: true },
                                    ],
                                    readinessProbe: { tcpSocket: { port: LDAPS_PORT }, periodSeconds: 10 },
                                    livenessProbe: { tcpSocket: { port: LDAPS_PORT }, initialDelaySeconds: 30, periodSeconds: 20 },
                                    resources: { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "50m", memory: "64Mi" } },
                                },
                            ],
                            volumes: [
                                { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } },
                                { name: "tls", secret: { secretName: tlsSecret.metadata.name } },
                                {
                                    name: "bootstrap",
                                    secret: { secretName: bootstrap.metadata.name, items: [{ key: "admin-password", path: "admin-password" }] },
                                },
                                { name: "ldifs", secret: { secretName: bootstrap.metadata.name, items: [{ key: "tree.ldif", path: "tree.ldif" }] } },
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
                        { name: "ldap", port: 389, targetPort: LDAP_PORT },
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
                            ports: [{ port: LDAP_PORT }, { port: LDAPS_PORT }],
                        },
                    ],
                },
            },
            parent,
        );
        // Users and groups added to the config after the first start reach the directory here;
        // the Job is replaced, and so re-run, whenever the tree's shape changes.
        const treeShape = crypto
            .createHash("sha256")
            .update(JSON.stringify([cfg.baseDn, cfg.users.map((u) => u.uid), cfg.groups]))
            .digest("hex")
            .slice(0, 16);
        const script = new k8s.core.v1.ConfigMap(
            `${name}-sync`,
            { metadata: { name: "openldap-sync", namespace: ns, labels: syncLabels }, data: { "sync.sh": ns.apply((n) => syncScript(n, this.tree.adminDn)) } },
            parent,
        );
        new k8s.batch.v1.Job(
            `${name}-sync`,
            {
                metadata: { name: `openldap-sync-${treeShape}`, namespace: ns, labels: syncLabels },
                spec: {
                    backoffLimit: 4,
                    template: {
                        metadata: { labels: syncLabels },
                        spec: {
                            restartPolicy: "OnFailure",
                            securityContext: restrictedPod(1001),
                            containers: [
                                {
                                    name: "sync",
                                    image: cfg.image,
                                    command: ["sh", "/script/sync.sh"],
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
            { ...parent, dependsOn: [deployment, service] },
        );

        this.registerOutputs({ caCert: this.caCert, adminPassword: this.adminPassword, userPasswords: this.userPasswords });
    }
}
