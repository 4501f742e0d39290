import * as crypto from "node:crypto";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type BackupConfig, MYSQL_IMAGE, type MySqlConfig } from "../config";
import { splitImage } from "../lib/formats";
import { dependsOnList, DNS_EGRESS, labels, RESTRICTED_CONTAINER, restrictedPod, toEnv } from "./common";
import { MYSQL_PORT } from "./mysql";
import { DIRECTORY_NAME, DIRECTORY_SECRETS, directoryUri, LDAPS_PORT, type LdapTree } from "./directory";
import { readScript } from "./scripts";

/** Name of the backup claim; csi-driver-nfs names its directory on the export `<namespace>-backups`. */
export const BACKUP_CLAIM = "backups";
/** Subdirectories of the backup volume, one per kind of dump, each with its own `keep`. */
export const DUMP_DIRS = { hubDb: "hub-db", preUpgrade: "hub-db-pre-upgrade", directory: "directory" } as const;
/**
 * The scripts, files of components/scripts/ of the same names, held as they are by the ConfigMap
 * `backup-scripts` and mounted at /scripts: the dumps the CronJobs and the Job before an upgrade
 * run, and the restores of docs/operations.md. Their settings come from the environment
 * (hubDbEnv, directoryEnv) and mounted files.
 */
export const SCRIPTS = {
    dumpHubDb: "dump-hub-db.sh",
    restoreHubDb: "restore-hub-db.sh",
    dumpDirectory: "dump-directory.sh",
    restoreDirectory: "restore-directory.sh",
} as const;

/** The MySQL client options file the database scripts read: server, hub user and password. Secret. */
export function mysqlClientOptions(p: { host: string; port: number; user: string; password: string }): string {
    // Quoted, so that '#', ';' and spaces stay in the value; backslash escapes as the option parser reads them.
    const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
    return [
        "[client]",
        `host=${p.host}`,
        `port=${p.port}`,
        `user=${quote(p.user)}`,
        `password=${quote(p.password)}`,
        "",
        "[mysqldump]",
        // MySQL's mysqldump asks for column statistics, which a MariaDB server (an external one may
        // be) does not have; "loose-" makes every other client ignore the option.
        "loose-column-statistics=0",
        "",
    ].join("\n");
}

/** Environment of the database scripts. `preUpgradeLabel`: the dump before an upgrade, kept apart. */
export function hubDbEnv(p: { root: string; defaultsFile: string; database: string; keep: number; preUpgradeLabel?: string }): Record<string, string> {
    return {
        BACKUP_ROOT: p.root,
        DUMP_SUBDIR: p.preUpgradeLabel ? DUMP_DIRS.preUpgrade : DUMP_DIRS.hubDb,
        ...(p.preUpgradeLabel ? { DUMP_LABEL: p.preUpgradeLabel } : {}),
        KEEP: String(p.keep),
        DEFAULTS_FILE: p.defaultsFile,
        HUB_DATABASE: p.database,
    };
}

/** Environment of the directory scripts. */
export function directoryEnv(p: {
    root: string;
    keep: number;
    uri: string;
    tree: Pick<LdapTree, "baseDn" | "adminDn">;
    passwordFile: string;
    caFile: string;
}): Record<string, string> {
    return {
        BACKUP_ROOT: p.root,
        DUMP_SUBDIR: DUMP_DIRS.directory,
        KEEP: String(p.keep),
        DIRECTORY_URI: p.uri,
        DIRECTORY_BASE_DN: p.tree.baseDn,
        DIRECTORY_ADMIN_DN: p.tree.adminDn,
        DIRECTORY_PASSWORD_FILE: p.passwordFile,
        LDAPTLS_CACERT: p.caFile,
    };
}

/** The versions a dump before an upgrade is taken for, as a file-name part: "before-chart-4.4.0-mysql-8.4.7". */
export function preUpgradeLabel(chartVersion: string, mysqlImage: string): string {
    return `before-chart-${chartVersion}-mysql-${splitImage(mysqlImage).tag || "untagged"}`.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * Name of the Job that dumps the database before the hub moves to these versions. A new chart
 * version or MySQL image is a new name, so the Job is replaced, and so runs again, exactly when
 * one of them changes. A DNS label of at most 63 characters (a digest is shortened to a hash).
 */
export function preUpgradeJobName(chartVersion: string, mysqlImage: string): string {
    const versions = `chart-${chartVersion}-mysql-${splitImage(mysqlImage).tag || "untagged"}`
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "");
    const name = `hub-db-before-${versions}`;
    if (name.length <= 63) return name;
    const hash = crypto.createHash("sha256").update(`${chartVersion}\n${mysqlImage}`).digest("hex").slice(0, 10);
    return `${name.slice(0, 52).replace(/-+$/, "")}-${hash}`;
}

/** Where things are mounted in the backup pods. */
const MOUNT = { backups: "/backups", scripts: "/scripts", credentials: "/credentials", tls: "/tls", tmp: "/tmp" } as const;
/** The group both kinds of backup pod share, so that each can write the volume's root. */
const BACKUP_GROUP = 2000;
/** The users the images run their tools as: mysql (999) and the directory image's 1001. */
const UID = { mysql: 999, openldap: 1001 } as const;

/** A backup pod's security: restricted, as the image's user, in the group that may write the volume's root. */
function podSecurity(uid: number) {
    return { ...restrictedPod(uid), fsGroup: BACKUP_GROUP, fsGroupChangePolicy: "OnRootMismatch" };
}
/** What every backup pod's container mounts: the backup volume, the scripts, a scratch /tmp (the volumes of `Backup.volumes`). */
const COMMON_MOUNTS = [
    { name: "backups", mountPath: MOUNT.backups },
    { name: "scripts", mountPath: MOUNT.scripts, readOnly: true },
    { name: "tmp", mountPath: MOUNT.tmp },
];
const POD_BASICS = { restartPolicy: "Never", automountServiceAccountToken: false, enableServiceLinks: false };

/** A Job's spec around a backup pod. */
function jobSpec(template: object) {
    return { backoffLimit: 2, activeDeadlineSeconds: 3600, template };
}

/** When the CronJobs run. */
function schedule(cfg: BackupConfig) {
    return {
        schedule: cfg.schedule,
        timeZone: cfg.timeZone,
        // A dump that is still running is never doubled; a missed run is made up within the hour.
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
    };
}

/** The pod that dumps the hub database, as the CronJob and the Job before an upgrade run it. */
function hubDbPod(p: {
    image: string;
    database: string;
    keep: number;
    volumes: k8s.types.input.core.v1.Volume[];
    /** The Secret with client.cnf (mysqlClientOptions). */
    credentials: pulumi.Input<string>;
    preUpgradeLabel?: string;
}) {
    return {
        metadata: { labels: labels("backup-hub-db") },
        spec: {
            ...POD_BASICS,
            securityContext: podSecurity(UID.mysql),
            containers: [
                {
                    name: "dump",
                    image: p.image,
                    command: ["sh", `${MOUNT.scripts}/${SCRIPTS.dumpHubDb}`],
                    env: toEnv(
                        hubDbEnv({
                            root: MOUNT.backups,
                            defaultsFile: `${MOUNT.credentials}/client.cnf`,
                            database: p.database,
                            keep: p.keep,
                            preUpgradeLabel: p.preUpgradeLabel,
                        }),
                    ),
                    securityContext: RESTRICTED_CONTAINER,
                    volumeMounts: [...COMMON_MOUNTS, { name: "credentials", mountPath: MOUNT.credentials, readOnly: true }],
                    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                },
            ],
            volumes: [...p.volumes, { name: "credentials", secret: { secretName: p.credentials, defaultMode: 0o440 } }],
        },
    };
}

/** The pod that exports the in-cluster directory as its admin (the admin password and CA from the directory's Secrets). */
function directoryPod(p: { image: string; tree: LdapTree; namespace: string; keep: number; volumes: k8s.types.input.core.v1.Volume[] }) {
    const env = directoryEnv({
        root: MOUNT.backups,
        keep: p.keep,
        uri: directoryUri(p.namespace),
        tree: p.tree,
        passwordFile: `${MOUNT.credentials}/admin-password`,
        caFile: `${MOUNT.tls}/ca.crt`,
    });
    return {
        metadata: { labels: labels("backup-directory") },
        spec: {
            ...POD_BASICS,
            securityContext: podSecurity(UID.openldap),
            containers: [
                {
                    name: "export",
                    image: p.image,
                    command: ["sh", `${MOUNT.scripts}/${SCRIPTS.dumpDirectory}`],
                    env: toEnv(env),
                    securityContext: RESTRICTED_CONTAINER,
                    volumeMounts: [
                        ...COMMON_MOUNTS,
                        { name: "credentials", mountPath: MOUNT.credentials, readOnly: true },
                        { name: "tls", mountPath: MOUNT.tls, readOnly: true },
                    ],
                    resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                },
            ],
            volumes: [
                ...p.volumes,
                {
                    name: "credentials",
                    secret: { secretName: DIRECTORY_SECRETS.bootstrap, defaultMode: 0o440, items: [{ key: "admin-password", path: "admin-password" }] },
                },
                { name: "tls", secret: { secretName: DIRECTORY_SECRETS.tls, defaultMode: 0o444, items: [{ key: "ca.crt", path: "ca.crt" }] } },
            ],
        },
    };
}

/**
 * The NetworkPolicies that let one kind of backup pod (`backup-<kind>`, with `podLabels`) reach its
 * server and nothing else but DNS: an egress policy on those pods and, for a server in the
 * namespace (pods labelled `app`), an ingress policy there that admits them beside the policies of
 * mysql.ts and directory/server.ts, which admit the hub. A server outside the cluster (no `app`) is
 * reached on its port at any address. `port` is the server pod's port, which policies see.
 */
function accessPolicies(
    name: string,
    args: { namespace: pulumi.Input<string>; kind: "hub-db" | "directory"; podLabels: Record<string, string>; server: { port: number; app?: string } },
    opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy[] {
    const { namespace, kind, podLabels, server } = args;
    const ports = [{ port: server.port, protocol: "TCP" }];
    const serverPods = server.app === undefined ? undefined : { matchLabels: labels(server.app) };
    const policies = [
        new k8s.networking.v1.NetworkPolicy(
            `${name}-${kind}-egress`,
            {
                metadata: { name: `backup-${kind}`, namespace, labels: podLabels },
                spec: {
                    podSelector: { matchLabels: podLabels },
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [],
                    egress: [DNS_EGRESS, serverPods ? { to: [{ podSelector: serverPods }], ports } : { ports }],
                },
            },
            opts,
        ),
    ];
    if (serverPods) {
        policies.push(
            new k8s.networking.v1.NetworkPolicy(
                `${name}-to-${server.app}`,
                {
                    metadata: { name: `backup-to-${server.app}`, namespace, labels: podLabels },
                    spec: {
                        podSelector: serverPods,
                        policyTypes: ["Ingress"],
                        ingress: [{ from: [{ podSelector: { matchLabels: podLabels } }], ports }],
                    },
                },
                opts,
            ),
        );
    }
    return policies;
}

export interface BackupArgs {
    /** Namespace to deploy into. */
    namespace: string;
    /** Validated `backup` config. */
    config: BackupConfig;
    /** The hub database: its config, the host it is reached at and the hub user's password (secret). */
    database: { config: MySqlConfig; host: string; password: pulumi.Output<string> };
    /** The in-cluster directory, when there is one: its tree and image (its admin password and CA come from its Secrets). */
    directory?: { tree: LdapTree; image: string };
    /** The chart version the hub runs: part of the name of the dump before an upgrade. */
    chartVersion: string;
    /** StorageClass of the backup claim: the class of homes (the NFS one, or nfs.storageClass). */
    storageClass: pulumi.Input<string>;
    /** Options of the backup claim, kept by `pulumi destroy` unless data is deleted (ClusterAccess.keep). */
    keep: pulumi.CustomResourceOptions;
}

/**
 * Backups of the hub database and the in-cluster directory into a directory on the NFS export.
 *
 * Where: a ReadWriteMany claim on the home StorageClass, so a directory `<namespace>-backups` on
 * the export, retained like the homes. Not a block volume: ReadWriteMany lets the two CronJobs
 * and the Job before an upgrade run at once on any node (a ReadWriteOnce volume ties every one of
 * them to one node at a time), the dumps are off the database's and the directory's own volumes,
 * and on an external export they go wherever the site already backs up its NFS server, so they
 * leave the cluster with the homes. A dump is a file written once, not a database on NFS.
 *
 * What: a CronJob that runs mysqldump (in-cluster or external server) as the hub user, one that
 * exports the in-cluster directory with ldapsearch as its admin, and a Job that dumps the
 * database again whenever the chart version or the MySQL image changes: the hub depends on this
 * component, so it is updated (and migrates its schema) only after that dump. Passwords come from
 * Secrets as files; the pods run unprivileged with a read-only root and limits; NetworkPolicies
 * admit exactly these pods to MySQL and LDAP and let them reach nothing else. The scripts are the
 * files SCRIPTS names, mounted from the ConfigMap `backup-scripts`, restore scripts included.
 * Depends on the database and the directory: pass them as dependsOn.
 */
export class Backup extends pulumi.ComponentResource {
    /** Name of the Job that dumps the database before an upgrade. */
    public readonly preUpgradeJobName: string;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:Backup", name, {}, opts);
        const db = args.database.config;
        // mysqldump runs from the server's own image; for an external server (no mysql.image), from
        // the image the program runs in-cluster servers with.
        const clientImage = db.mode === "in-cluster" ? db.image : MYSQL_IMAGE;
        const before = dependsOnList(opts);

        const volumes = this.volumes(name, args);
        const credentials = this.hubDbCredentials(name, args);
        this.preUpgradeJobName = preUpgradeJobName(args.chartVersion, clientImage);
        this.hubDbDumps(name, args, { image: clientImage, volumes, credentials: credentials.metadata.name }, before);
        if (args.directory) this.directoryDumps(name, args, args.directory, volumes, before);

        this.registerOutputs({});
    }

    /** The backup claim and the scripts' ConfigMap; returns the volumes every backup pod has (COMMON_MOUNTS mounts them). */
    private volumes(name: string, args: BackupArgs): k8s.types.input.core.v1.Volume[] {
        const claim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            {
                metadata: { name: BACKUP_CLAIM, namespace: args.namespace, labels: labels("backup") },
                spec: { accessModes: ["ReadWriteMany"], storageClassName: args.storageClass, resources: { requests: { storage: args.config.storageSize } } },
            },
            { parent: this, ...args.keep },
        );
        const names = args.directory ? Object.values(SCRIPTS) : [SCRIPTS.dumpHubDb, SCRIPTS.restoreHubDb];
        const scripts = Object.fromEntries(names.map((n) => [n, readScript(n)]));
        const scriptMap = new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            { metadata: { name: "backup-scripts", namespace: args.namespace, labels: labels("backup") }, data: scripts },
            { parent: this },
        );
        return [
            { name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } },
            { name: "scripts", configMap: { name: scriptMap.metadata.name, defaultMode: 0o444 } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ];
    }

    /** The Secret with the database scripts' client options: server, hub user and password (mysqlClientOptions). */
    private hubDbCredentials(name: string, args: BackupArgs): k8s.core.v1.Secret {
        const db = args.database.config;
        return new k8s.core.v1.Secret(
            `${name}-hub-db`,
            {
                metadata: { name: "backup-hub-db", namespace: args.namespace, labels: labels("backup-hub-db") },
                stringData: {
                    "client.cnf": pulumi.secret(
                        args.database.password.apply((password) => mysqlClientOptions({ host: args.database.host, port: db.port, user: db.user, password })),
                    ),
                },
            },
            { parent: this },
        );
    }

    /** The database's NetworkPolicies, its CronJob and the Job that dumps it before an upgrade (named preUpgradeJobName). */
    private hubDbDumps(
        name: string,
        args: BackupArgs,
        pod: { image: string; volumes: k8s.types.input.core.v1.Volume[]; credentials: pulumi.Input<string> },
        before: pulumi.Input<pulumi.Resource>[],
    ): void {
        const cfg = args.config;
        const db = args.database.config;
        const dbLabels = labels("backup-hub-db");
        // Who may talk to whom: the database admits the backup pods, which reach DNS and it only.
        const policies = accessPolicies(
            name,
            {
                namespace: args.namespace,
                kind: "hub-db",
                podLabels: dbLabels,
                server: db.mode === "in-cluster" ? { port: MYSQL_PORT, app: "mysql" } : { port: db.port },
            },
            { parent: this },
        );
        const ready = [...before, ...policies];
        const p = { ...pod, database: db.database, keep: cfg.keep };
        new k8s.batch.v1.CronJob(
            `${name}-hub-db`,
            {
                metadata: { name: "backup-hub-db", namespace: args.namespace, labels: dbLabels },
                spec: { ...schedule(cfg), jobTemplate: { metadata: { labels: dbLabels }, spec: jobSpec(hubDbPod(p)) } },
            },
            { parent: this, dependsOn: ready },
        );
        new k8s.batch.v1.Job(
            `${name}-before-upgrade`,
            {
                metadata: { name: this.preUpgradeJobName, namespace: args.namespace, labels: dbLabels },
                spec: jobSpec(hubDbPod({ ...p, preUpgradeLabel: preUpgradeLabel(args.chartVersion, pod.image) })),
            },
            // Awaited: the hub, which depends on this component, is updated only after the dump.
            { parent: this, dependsOn: ready, customTimeouts: { create: "60m", update: "60m" } },
        );
    }

    /** The in-cluster directory's NetworkPolicies and CronJob. */
    private directoryDumps(
        name: string,
        args: BackupArgs,
        directory: NonNullable<BackupArgs["directory"]>,
        volumes: k8s.types.input.core.v1.Volume[],
        before: pulumi.Input<pulumi.Resource>[],
    ): void {
        const ns = args.namespace;
        const dirLabels = labels("backup-directory");
        const dirPolicies = accessPolicies(
            name,
            { namespace: ns, kind: "directory", podLabels: dirLabels, server: { port: LDAPS_PORT, app: DIRECTORY_NAME } },
            { parent: this },
        );
        const pod = directoryPod({ image: directory.image, tree: directory.tree, namespace: ns, keep: args.config.keep, volumes });
        new k8s.batch.v1.CronJob(
            `${name}-directory`,
            {
                metadata: { name: "backup-directory", namespace: ns, labels: dirLabels },
                spec: { ...schedule(args.config), jobTemplate: { metadata: { labels: dirLabels }, spec: jobSpec(pod) } },
            },
            { parent: this, dependsOn: [...before, ...dirPolicies] },
        );
    }
}
