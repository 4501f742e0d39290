// The in-cluster directory: the OpenLdap component and the pod it runs.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";

import { type InClusterLdap } from "../../config";
import { leastPrivilegeAnnotations } from "../../lib/pods";
import { ConfigError } from "../../lib/problems";
import { dataClaim, HUB_POD_SELECTOR, labels, RESTRICTED_CONTAINER, restrictedPod, toEnv } from "../common";
import { readScript } from "../scripts";
import type { DataKeys } from "../data-key";
import { DIRECTORY_NAME, DIRECTORY_SECRETS, directoryUri, LDAP_PORT, LDAPS_PORT, ldapCertDnsNames, STANDARD_PORTS } from "./client";
import { ADMIN_PASSWORD_LENGTH, masterFingerprint, userCredentials } from "./passwords";
import {
    CONFIG_DIGEST_ANNOTATION,
    configDigest,
    LDAP_MOUNTS,
    LDAP_UID,
    mdbMaxSize,
    POD_SLAPD_PATHS,
    rootPwLine,
    slapdCommand,
    slapdConf,
    slapdUrls,
    SYMAS,
} from "./slapd";
import { SYNC_KEY_ANNOTATION, SYNC_MOUNTS, SYNC_SCRIPT, syncEnv, syncJobName, syncJobSpec, syncNetworkPolicySpec } from "./sync";
import { bootstrapDraft, type BootstrapDraft, draftSizeProblems, fillBootstrap, type LdapTree, ldapTree } from "./tree";

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

/** The users' credentials, from one master key. */
interface UserKeys {
    /** Every user's password and {SSHA} hash (userCredentials). Secret. */
    credentials: pulumi.Output<{ passwords: Record<string, string>; hashes: Record<string, string> }>;
    /** The master key's fingerprint (masterFingerprint). Not secret. */
    fingerprint: pulumi.Output<string>;
}

/** The directory's certificates: its CA and the server's certificate and key. */
interface Certificates {
    caCertPem: pulumi.Output<string>;
    certPem: pulumi.Output<string>;
    keyPem: pulumi.Output<string>;
}

/** The Secrets the directory's pods mount. */
interface Secrets {
    tls: k8s.core.v1.Secret;
    bootstrap: k8s.core.v1.Secret;
}

/** Resources for the directory's containers: the server and its init container alike. */
const SERVER_RESOURCES = { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "50m", memory: "64Mi" } };

/**
 * The image's slapd (and slapadd, slaptest: the same file) carries the file capability
 * cap_net_bind_service=+eip; the kernel refuses to execute such a file unless the capability is in
 * the bounding set, so the one capability the restricted profile allows to add is added back. It
 * grants nothing here: allowPrivilegeEscalation false (no_new_privs) keeps the process's permitted
 * set empty, and the ports are above 1024.
 */
const SERVER_CONTAINER_SECURITY = { ...RESTRICTED_CONTAINER, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }, readOnlyRootFilesystem: true };

/** The policy pack's exception for both containers: the capability slapd's file carries (above). */
const SERVER_EXCEPTIONS = leastPrivilegeAnnotations(
    Object.fromEntries(
        ["init", "openldap"].map((c) => [c, { checks: ["capabilities"], reason: "adds NET_BIND_SERVICE: slapd's file capability, or exec fails" }]),
    ),
);

/** The mounts both of the directory's containers have. */
const SERVER_MOUNTS = {
    data: { name: "data", mountPath: LDAP_MOUNTS.data },
    config: { name: "config", mountPath: LDAP_MOUNTS.config, readOnly: true },
    tls: { name: "tls", mountPath: LDAP_MOUNTS.tls, readOnly: true },
    run: { name: "run", mountPath: LDAP_MOUNTS.run },
};

/** The init container: checks the configuration and loads the tree into an empty database (components/scripts/ldap-init.sh). */
function initContainer(image: string): k8s.types.input.core.v1.Container {
    const m = LDAP_MOUNTS;
    return {
        name: "init",
        image,
        command: ["sh", `${m.scripts}/ldap-init.sh`],
        env: [
            { name: "SLAPD_CONF", value: `${m.config}/slapd.conf` },
            { name: "DATA_DIR", value: POD_SLAPD_PATHS.dataDir },
            { name: "TREE_LDIF", value: `${m.bootstrap}/tree.ldif` },
            { name: "SLAPTOOLS", value: SYMAS.sbin },
        ],
        securityContext: SERVER_CONTAINER_SECURITY,
        volumeMounts: [
            SERVER_MOUNTS.data,
            SERVER_MOUNTS.config,
            SERVER_MOUNTS.tls,
            { name: "scripts", mountPath: m.scripts, readOnly: true },
            { name: "tree", mountPath: m.bootstrap, readOnly: true },
            SERVER_MOUNTS.run,
        ],
        resources: SERVER_RESOURCES,
    };
}

/** slapd itself, in the foreground (-d), logging connections and operations (stats). */
function serverContainer(cfg: InClusterLdap): k8s.types.input.core.v1.Container {
    return {
        name: "openldap",
        image: cfg.image,
        command: slapdCommand(SYMAS.slapd, `${LDAP_MOUNTS.config}/slapd.conf`, slapdUrls(cfg.tlsStrategy)),
        securityContext: SERVER_CONTAINER_SECURITY,
        ports: [...(cfg.tlsStrategy === "before_bind" ? [{ name: "ldap", containerPort: LDAP_PORT }] : []), { name: "ldaps", containerPort: LDAPS_PORT }],
        volumeMounts: [SERVER_MOUNTS.data, SERVER_MOUNTS.config, SERVER_MOUNTS.tls, SERVER_MOUNTS.run],
        readinessProbe: { tcpSocket: { port: LDAPS_PORT }, periodSeconds: 10 },
        livenessProbe: { tcpSocket: { port: LDAPS_PORT }, initialDelaySeconds: 30, periodSeconds: 20 },
        resources: SERVER_RESOURCES,
    };
}

/** The directory pod's volumes: the claim, the configuration (ConfigMap and rootpw), the init script, the TLS files, the tree. */
function serverVolumes(p: {
    claim: pulumi.Input<string>;
    configMap: pulumi.Input<string>;
    bootstrapSecret: pulumi.Input<string>;
    tlsSecret: pulumi.Input<string>;
}): k8s.types.input.core.v1.Volume[] {
    return [
        { name: "data", persistentVolumeClaim: { claimName: p.claim } },
        {
            name: "config",
            projected: {
                defaultMode: 0o440,
                sources: [
                    { configMap: { name: p.configMap, items: [{ key: "slapd.conf", path: "slapd.conf" }] } },
                    { secret: { name: p.bootstrapSecret, items: [{ key: "rootpw.conf", path: "rootpw.conf" }] } },
                ],
            },
        },
        { name: "scripts", configMap: { name: p.configMap, items: [{ key: "ldap-init.sh", path: "ldap-init.sh" }] } },
        // Read by the pod's group only (fsGroup): the server key and the admin's hash.
        { name: "tls", secret: { secretName: p.tlsSecret, defaultMode: 0o440 } },
        { name: "tree", secret: { secretName: p.bootstrapSecret, items: [{ key: "tree.ldif", path: "tree.ldif" }] } },
        { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    ];
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
        const cfg = args.config;
        const tree = ldapTree(cfg);
        // The bootstrap Secret's files but the secrets, written once: a directory too big for a
        // Secret is refused before anything is made.
        const draft = bootstrapDraft(cfg, tree);
        const tooBig = draftSizeProblems(draft);
        if (tooBig.length > 0) throw new ConfigError(tooBig);
        super("jupyterhub:index:OpenLdap", name, {}, opts);
        const ns = pulumi.output(args.namespace);
        this.tree = tree;

        const admin = new random.RandomPassword(`${name}-admin`, { length: ADMIN_PASSWORD_LENGTH, special: false }, { parent: this });
        this.adminPassword = admin.result;
        const users = this.userKeys(cfg, args.dataKey);
        this.userPasswords = pulumi.secret(users.credentials.apply((c) => c.passwords));
        const certs = this.certificates(name, ns, cfg);
        this.caCert = certs.caCertPem;
        const secrets = this.secrets(name, ns, certs, admin.result, users, draft);
        const deployment = this.server(name, ns, cfg, args.keep, secrets, { adminPassword: admin.result, certPem: certs.certPem });
        const service = this.service(name, ns, cfg);
        this.networkPolicy(name, ns, cfg);
        // Without a data key any new key resets the passwords (a rotation by --replace);
        // with one, only the key named by ldap.resetPasswordsFrom may be overridden.
        const resetPasswordsFrom = args.dataKey.configured ? (cfg.resetPasswordsFrom ?? "") : "any";
        this.syncJob(name, ns, cfg, secrets, users.fingerprint, resetPasswordsFrom, [deployment, service]);

        this.registerOutputs({ caCert: this.caCert, adminPassword: this.adminPassword, userPasswords: this.userPasswords });
    }

    /**
     * One generated key for all users, whatever their number: each user's password and salt are
     * derived from it (passwords.ts), so a user costs no resource of their own. Replacing it changes
     * every user's password; the sync Job sets them in the directory. With the stack's data key, the
     * key is derived from it, so that a stack destroyed with its data kept gives every user the same
     * password again at the next `pulumi up`.
     */
    private userKeys(cfg: InClusterLdap, dataKey: DataKeys): UserKeys {
        const master = dataKey.key("directory-users").apply((b) => Buffer.from(b, "base64"));
        const uids = cfg.users.map((u) => u.uid);
        return {
            credentials: pulumi.secret(master.apply((m) => userCredentials(m, uids))),
            // Names the key without revealing it (an HMAC): plain, so that the Job's name can carry it.
            fingerprint: pulumi.unsecret(master.apply(masterFingerprint)),
        };
    }

    /** TLS: a CA of this directory's own, and a server certificate for the Service names. */
    private certificates(name: string, ns: pulumi.Output<string>, cfg: InClusterLdap): Certificates {
        const parent = { parent: this };
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
                subject: { commonName: pulumi.interpolate`${DIRECTORY_NAME}.${ns}.svc`, organization: cfg.organisation },
                dnsNames: ns.apply((n) => ldapCertDnsNames(DIRECTORY_NAME, n)),
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
        return { caCertPem: ca.certPem, certPem: cert.certPem, keyPem: serverKey.privateKeyPem };
    }

    /** The TLS Secret (certificate, key, CA) and the bootstrap Secret (admin password, rootpw line, the tree's files). */
    private secrets(
        name: string,
        ns: pulumi.Output<string>,
        certs: Certificates,
        adminPassword: pulumi.Output<string>,
        users: UserKeys,
        draft: BootstrapDraft,
    ): Secrets {
        const parent = { parent: this };
        const lbl = labels(DIRECTORY_NAME);
        const tlsSecret = new k8s.core.v1.Secret(
            `${name}-tls`,
            {
                metadata: { name: DIRECTORY_SECRETS.tls, namespace: ns, labels: lbl },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": certs.certPem, "tls.key": certs.keyPem, "ca.crt": certs.caCertPem },
            },
            parent,
        );
        const bootstrap = new k8s.core.v1.Secret(
            `${name}-bootstrap`,
            {
                metadata: { name: DIRECTORY_SECRETS.bootstrap, namespace: ns, labels: lbl },
                // One value, secret as a whole: every file changes together when a user is added.
                stringData: pulumi.secret(
                    pulumi.all([adminPassword, users.credentials, users.fingerprint]).apply(([pw, c, fp]) => ({
                        "admin-password": pw,
                        "rootpw.conf": rootPwLine(pw),
                        ...fillBootstrap(draft, c.hashes, fp),
                    })),
                ),
            },
            parent,
        );
        return { tls: tlsSecret, bootstrap };
    }

    /**
     * The server: its claim, its configuration and init script (written by the program, no secret
     * in them) and the Deployment. `readAtStart`: what slapd reads at start only, besides its
     * configuration: the pod rolls when one changes (CONFIG_DIGEST_ANNOTATION).
     */
    private server(
        name: string,
        ns: pulumi.Output<string>,
        cfg: InClusterLdap,
        keep: pulumi.CustomResourceOptions,
        secrets: Secrets,
        readAtStart: { adminPassword: pulumi.Output<string>; certPem: pulumi.Output<string> },
    ): k8s.apps.v1.Deployment {
        const parent = { parent: this };
        const lbl = labels(DIRECTORY_NAME);
        const data = dataClaim(
            `${name}-data`,
            { name: "openldap-data", namespace: ns, labels: lbl, storageClass: cfg.storageClass, size: cfg.storageSize },
            this,
            keep,
        );
        const conf = slapdConf(this.tree, POD_SLAPD_PATHS, { maxSize: mdbMaxSize(cfg.storageSize) });
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: { name: "openldap-config", namespace: ns, labels: lbl }, data: { "slapd.conf": conf, "ldap-init.sh": readScript("ldap-init.sh") } },
            parent,
        );
        const digest = pulumi.unsecret(
            pulumi.all([readAtStart.adminPassword, readAtStart.certPem]).apply(([pw, crt]) => configDigest(conf, rootPwLine(pw), crt)),
        );
        return new k8s.apps.v1.Deployment(
            `${name}`,
            {
                metadata: { name: DIRECTORY_NAME, namespace: ns, labels: lbl },
                spec: {
                    replicas: 1,
                    // One server on the RWO claim at a time: mdb allows one writer process.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: lbl },
                    template: {
                        metadata: { labels: lbl, annotations: { [CONFIG_DIGEST_ANNOTATION]: digest, ...SERVER_EXCEPTIONS } },
                        spec: {
                            // Any unprivileged uid: the program's configuration names no file of the
                            // image that must be written, and the claim is the pod's group's (fsGroup).
                            securityContext: restrictedPod(LDAP_UID),
                            automountServiceAccountToken: false,
                            initContainers: [initContainer(cfg.image)],
                            containers: [serverContainer(cfg)],
                            volumes: serverVolumes({
                                claim: data.metadata.name,
                                configMap: config.metadata.name,
                                bootstrapSecret: secrets.bootstrap.metadata.name,
                                tlsSecret: secrets.tls.metadata.name,
                            }),
                        },
                    },
                },
            },
            parent,
        );
    }

    /** The Service: LDAPS on 636, and StartTLS on 389 with before_bind. */
    private service(name: string, ns: pulumi.Output<string>, cfg: InClusterLdap): k8s.core.v1.Service {
        const lbl = labels(DIRECTORY_NAME);
        const ports = [
            ...(cfg.tlsStrategy === "before_bind" ? [{ name: "ldap", port: STANDARD_PORTS.ldap, targetPort: LDAP_PORT }] : []),
            { name: "ldaps", port: STANDARD_PORTS.ldaps, targetPort: LDAPS_PORT },
        ];
        return new k8s.core.v1.Service(
            `${name}`,
            { metadata: { name: DIRECTORY_NAME, namespace: ns, labels: lbl }, spec: { type: "ClusterIP", selector: lbl, ports } },
            { parent: this },
        );
    }

    /** Who may reach the server (the hub and the sync Job, on its ports) and where it connects (nowhere); where the sync Job connects (the server). */
    private networkPolicy(name: string, ns: pulumi.Output<string>, cfg: InClusterLdap): void {
        const lbl = labels(DIRECTORY_NAME);
        const ports = cfg.tlsStrategy === "before_bind" ? [{ port: LDAP_PORT }, { port: LDAPS_PORT }] : [{ port: LDAPS_PORT }];
        new k8s.networking.v1.NetworkPolicy(
            `${name}`,
            {
                metadata: { name: DIRECTORY_NAME, namespace: ns, labels: lbl },
                spec: {
                    podSelector: { matchLabels: lbl },
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [{ from: [{ podSelector: HUB_POD_SELECTOR }, { podSelector: { matchLabels: labels("openldap-sync") } }], ports }],
                    egress: [],
                },
            },
            { parent: this },
        );
        const syncLabels = labels("openldap-sync");
        new k8s.networking.v1.NetworkPolicy(
            `${name}-sync`,
            { metadata: { name: "openldap-sync", namespace: ns, labels: syncLabels }, spec: syncNetworkPolicySpec(syncLabels, lbl, ports) },
            { parent: this },
        );
    }

    /**
     * Users and groups added to or removed from the config after the first start, and a new master
     * key, reach the directory here: the Job is replaced, and so re-run, whenever one changes (its
     * name, or the key's fingerprint in its annotation). Its script is the file
     * components/scripts/ldap-sync.sh as it is; where things are comes in its environment.
     */
    private syncJob(
        name: string,
        ns: pulumi.Output<string>,
        cfg: InClusterLdap,
        secrets: Secrets,
        fingerprint: pulumi.Output<string>,
        resetPasswordsFrom: string,
        after: pulumi.Resource[],
    ): k8s.batch.v1.Job {
        const parent = { parent: this };
        const syncLabels = labels("openldap-sync");
        const script = new k8s.core.v1.ConfigMap(
            `${name}-sync`,
            { metadata: { name: "openldap-sync", namespace: ns, labels: syncLabels }, data: { [SYNC_SCRIPT]: readScript(SYNC_SCRIPT) } },
            parent,
        );
        const where = (n: string) => ({ uri: directoryUri(n), bootstrapDir: SYNC_MOUNTS.bootstrap, caFile: `${SYNC_MOUNTS.tls}/ca.crt` });
        return new k8s.batch.v1.Job(
            `${name}-sync`,
            {
                metadata: { name: syncJobName(cfg), namespace: ns, labels: syncLabels, annotations: { [SYNC_KEY_ANNOTATION]: fingerprint } },
                spec: syncJobSpec({
                    image: cfg.image,
                    labels: syncLabels,
                    env: ns.apply((n) => toEnv(syncEnv(this.tree, where(n), resetPasswordsFrom))),
                    scriptMap: script.metadata.name,
                    bootstrapSecret: secrets.bootstrap.metadata.name,
                    tlsSecret: secrets.tls.metadata.name,
                }),
            },
            // A Job's pods cannot be changed: a new key means a new Job of the same name, so the old one goes first.
            { ...parent, dependsOn: after, replaceOnChanges: ["metadata.annotations"], deleteBeforeReplace: true },
        );
    }
}
