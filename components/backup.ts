import * as crypto from "node:crypto";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { type BackupConfig, MYSQL_IMAGE, type MySqlConfig } from "../config";
import { dependsOnList, labels, RESTRICTED_CONTAINER, restrictedPod } from "./common";
import { splitImage } from "./jupyterhub";
import { MYSQL_PORT } from "./mysql";
import { LDAPS_PORT, type LdapTree } from "./openldap";

/** Name of the backup claim; csi-driver-nfs names its directory on the export `<namespace>-backups`. */
export const BACKUP_CLAIM = "backups";
/** Subdirectories of the backup volume, one per kind of dump, each with its own `keep`. */
export const DUMP_DIRS = { hubDb: "hub-db", preUpgrade: "hub-db-pre-upgrade", directory: "directory" } as const;
/** Script names in the ConfigMap `backup-scripts`, mounted at /scripts. */
export const SCRIPTS = {
    dumpHubDb: "dump-hub-db.sh",
    restoreHubDb: "restore-hub-db.sh",
    dumpDirectory: "dump-directory.sh",
    restoreDirectory: "restore-directory.sh",
} as const;

/** The in-cluster directory's Secrets (components/openldap.ts): the admin password and the CA. */
export const DIRECTORY_SECRETS = { bootstrap: "openldap-bootstrap", tls: "openldap-tls" } as const;

/**
 * What every dump script starts with: strict shell, files only the backup group can read, the
 * dump's directory, a UTC timestamp, and `prune`, which keeps the newest $KEEP dumps of a kind.
 * Timestamps sort as text, so the newest are the last names in order.
 */
const PROLOGUE = [
    "set -eu",
    "umask 007",
    ': "${BACKUP_ROOT:?}" "${DUMP_SUBDIR:?}" "${KEEP:?}"',
    'dir="$BACKUP_ROOT/$DUMP_SUBDIR"',
    'mkdir -p "$dir"',
    "ts=$(date -u +%Y%m%dT%H%M%SZ)",
    "start=$(date +%s)",
    "prune() {",
    '  ls -1 "$dir" | grep -E "^$1-[0-9]{8}T[0-9]{6}Z.*\\.$2\\$" | sort -r | tail -n +"$((KEEP + 1))" |',
    '    while read -r old; do rm -f "$dir/$old"; echo "removed $dir/$old (keeping $KEEP)"; done',
    "}",
];

/** Arguments of a restore script: a dump named relative to the backup volume, e.g. hub-db/hub-db-20250101T021700Z.sql. */
const RESTORE_PROLOGUE = (usage: string) => [
    "set -eu",
    ': "${BACKUP_ROOT:?}"',
    `file=\${1:?usage: ${usage}}`,
    'case "$file" in /*) ;; *) file="$BACKUP_ROOT/$file" ;; esac',
    '[ -f "$file" ] || { echo "no dump at $file" >&2; exit 1; }',
    "start=$(date +%s)",
];

/**
 * Dumps the hub database with mysqldump into $BACKUP_ROOT/$DUMP_SUBDIR/hub-db-<UTC time>[-$DUMP_LABEL].sql.
 * The server, user and password come from the options file $DEFAULTS_FILE (a Secret), never from
 * arguments or the environment. --single-transaction reads every InnoDB table in one consistent
 * snapshot without locking the hub out; --no-tablespaces because the hub user has no PROCESS
 * privilege. The dump is written under a hidden name and renamed only once mysqldump has written
 * its closing line, so a file with a timestamped name is always a complete dump.
 */
export function dumpHubDbScript(): string {
    return [
        ...PROLOGUE,
        ': "${DEFAULTS_FILE:?}" "${HUB_DATABASE:?}"',
        'name="hub-db-$ts${DUMP_LABEL:+-$DUMP_LABEL}.sql"',
        'part="$dir/.$name.partial"',
        "trap 'rm -f \"$part\"' EXIT",
        'mysqldump --defaults-extra-file="$DEFAULTS_FILE" --single-transaction --no-tablespaces "$HUB_DATABASE" > "$part"',
        'tail -n 1 "$part" | grep -q \'^-- Dump completed\' || { echo "mysqldump stopped before the end of $HUB_DATABASE" >&2; exit 1; }',
        'mv "$part" "$dir/$name"',
        'echo "dumped $HUB_DATABASE to $dir/$name: $(wc -c < "$dir/$name") bytes in $(($(date +%s) - start)) s"',
        "prune hub-db sql",
        "",
    ].join("\n");
}

/**
 * Replaces the hub database with a dump: drops and recreates it (the hub user may: it has every
 * privilege on its database), then loads the dump as the hub user. Stop the hub first.
 */
export function restoreHubDbScript(): string {
    return [
        ...RESTORE_PROLOGUE(`${SCRIPTS.restoreHubDb} ${DUMP_DIRS.hubDb}/hub-db-<time>.sql`),
        ': "${DEFAULTS_FILE:?}" "${HUB_DATABASE:?}"',
        'tail -n 1 "$file" | grep -q \'^-- Dump completed\' || { echo "$file is not a complete mysqldump" >&2; exit 1; }',
        'sql() { mysql --defaults-extra-file="$DEFAULTS_FILE" "$@"; }',
        // Tables a newer hub added must not outlive the restore: a clean database, then the dump.
        'sql -e "DROP DATABASE IF EXISTS \\`$HUB_DATABASE\\`; CREATE DATABASE \\`$HUB_DATABASE\\` CHARACTER SET utf8mb4;"',
        'sql "$HUB_DATABASE" < "$file"',
        "tables=$(sql -N -B -e \"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$HUB_DATABASE'\")",
        'echo "restored $HUB_DATABASE from $file: $tables tables in $(($(date +%s) - start)) s"',
        "",
    ].join("\n");
}

/** The ldap-utils of the symas/openldap image first; elsewhere (the services test) the system's. */
const LDAP_PATH = "export PATH=/opt/symas/bin:/opt/symas/sbin:$PATH";
const LDAP_ENV = ': "${DIRECTORY_URI:?}" "${DIRECTORY_BASE_DN:?}" "${DIRECTORY_ADMIN_DN:?}" "${DIRECTORY_PASSWORD_FILE:?}"';
const ADMIN_BIND = '-H "$DIRECTORY_URI" -x -D "$DIRECTORY_ADMIN_DN" -y "$DIRECTORY_PASSWORD_FILE"';

/**
 * Exports the whole directory as LDIF into $BACKUP_ROOT/$DUMP_SUBDIR/directory-<UTC time>.ldif:
 * one subtree search under the base DN, bound as the directory's admin (the rootdn: no ACL or size
 * limit applies, so password hashes come along), over LDAPS verified with $LDAPTLS_CACERT. Only
 * user attributes ('*'): that is what ldapadd takes back. back-mdb answers a search from one read
 * transaction, in entry-ID order, so the export is consistent and lists parents before children.
 */
export function dumpDirectoryScript(): string {
    return [
        ...PROLOGUE,
        LDAP_PATH,
        LDAP_ENV,
        'name="directory-$ts.ldif"',
        'part="$dir/.$name.partial"',
        "trap 'rm -f \"$part\"' EXIT",
        `ldapsearch -LLL -o ldif_wrap=no ${ADMIN_BIND} -b "$DIRECTORY_BASE_DN" -s sub '(objectClass=*)' '*' > "$part"`,
        "entries=$(grep -c '^dn:' \"$part\" || true)",
        '[ "$entries" -gt 0 ] || { echo "the directory under $DIRECTORY_BASE_DN returned no entries" >&2; exit 1; }',
        'mv "$part" "$dir/$name"',
        'echo "exported $entries entries under $DIRECTORY_BASE_DN to $dir/$name in $(($(date +%s) - start)) s"',
        "prune directory ldif",
        "",
    ].join("\n");
}

/**
 * Replaces the directory's tree with an export: deletes everything under the base DN (the tree a
 * fresh server bootstrapped, or what is left; 32: there is nothing), then adds the export, as the
 * admin over LDAPS. Online: the server keeps its configuration. Stop the hub first.
 */
export function restoreDirectoryScript(): string {
    return [
        ...RESTORE_PROLOGUE(`${SCRIPTS.restoreDirectory} ${DUMP_DIRS.directory}/directory-<time>.ldif`),
        LDAP_PATH,
        LDAP_ENV,
        'grep -q \'^dn:\' "$file" || { echo "$file holds no LDIF entries" >&2; exit 1; }',
        "rc=0",
        `ldapdelete ${ADMIN_BIND} -r "$DIRECTORY_BASE_DN" || rc=$?`,
        '[ "$rc" = 0 ] || [ "$rc" = 32 ] || { echo "could not clear $DIRECTORY_BASE_DN (ldapdelete exit $rc)" >&2; exit "$rc"; }',
        `ldapadd ${ADMIN_BIND} -f "$file" > /dev/null`,
        'echo "restored $(grep -c \'^dn:\' "$file") entries under $DIRECTORY_BASE_DN from $file in $(($(date +%s) - start)) s"',
        "",
    ].join("\n");
}

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

const toEnv = (env: Record<string, string>) => Object.entries(env).map(([name, value]) => ({ name, value }));

/** DNS, which the backup pods need to find their server. */
const DNS_EGRESS = {
    ports: [
        { port: 53, protocol: "UDP" },
        { port: 53, protocol: "TCP" },
    ],
};

/**
 * The NetworkPolicies that let one kind of backup pod (`backup-<kind>`, with `podLabels`) reach its
 * server and nothing else but DNS: an egress policy on those pods and, for a server in the
 * namespace (pods labelled `app`), an ingress policy there that admits them beside the policies of
 * mysql.ts and openldap.ts, which admit the hub. A server outside the cluster (no `app`) is
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
    /** StorageClass of the backup claim: the NFS home class. */
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
 * pure functions above, mounted from the ConfigMap `backup-scripts` with the restore scripts.
 * Depends on the database and the directory: pass them as dependsOn.
 */
export class Backup extends pulumi.ComponentResource {
    /** Name of the Job that dumps the database before an upgrade. */
    public readonly preUpgradeJobName: string;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:Backup", name, {}, opts);
        const cfg = args.config;
        const ns = args.namespace;
        const db = args.database.config;
        // mysqldump runs from the server's own image; for an external server (no mysql.image), from
        // the image the program runs in-cluster servers with.
        const clientImage = db.mode === "in-cluster" ? db.image : MYSQL_IMAGE;
        const parent = { parent: this };
        const before = dependsOnList(opts);
        const dbLabels = labels("backup-hub-db");
        const dirLabels = labels("backup-directory");

        const claim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            {
                metadata: { name: BACKUP_CLAIM, namespace: ns, labels: labels("backup") },
                spec: { accessModes: ["ReadWriteMany"], storageClassName: args.storageClass, resources: { requests: { storage: cfg.storageSize } } },
            },
            { ...parent, ...args.keep },
        );
        const scripts: Record<string, string> = { [SCRIPTS.dumpHubDb]: dumpHubDbScript(), [SCRIPTS.restoreHubDb]: restoreHubDbScript() };
        if (args.directory) {
            scripts[SCRIPTS.dumpDirectory] = dumpDirectoryScript();
            scripts[SCRIPTS.restoreDirectory] = restoreDirectoryScript();
        }
        const scriptMap = new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            { metadata: { name: "backup-scripts", namespace: ns, labels: labels("backup") }, data: scripts },
            parent,
        );
        const clientOptions = new k8s.core.v1.Secret(
            `${name}-hub-db`,
            {
                metadata: { name: "backup-hub-db", namespace: ns, labels: dbLabels },
                stringData: {
                    "client.cnf": pulumi.secret(
                        args.database.password.apply((password) => mysqlClientOptions({ host: args.database.host, port: db.port, user: db.user, password })),
                    ),
                },
            },
            parent,
        );

        // Who may talk to whom: the database admits the backup pods, which reach DNS and it only.
        const policies = accessPolicies(
            name,
            { namespace: ns, kind: "hub-db", podLabels: dbLabels, server: db.mode === "in-cluster" ? { port: MYSQL_PORT, app: "mysql" } : { port: db.port } },
            parent,
        );

        const podSecurity = (uid: number) => ({ ...restrictedPod(uid), fsGroup: BACKUP_GROUP, fsGroupChangePolicy: "OnRootMismatch" });
        const containerSecurity = { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true };
        const commonVolumes = [
            { name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } },
            { name: "scripts", configMap: { name: scriptMap.metadata.name, defaultMode: 0o444 } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ];
        const commonMounts = [
            { name: "backups", mountPath: MOUNT.backups },
            { name: "scripts", mountPath: MOUNT.scripts, readOnly: true },
            { name: "tmp", mountPath: MOUNT.tmp },
        ];
        const podBasics = { restartPolicy: "Never", automountServiceAccountToken: false, enableServiceLinks: false };

        /** The pod that dumps the hub database, as the CronJob and the Job before an upgrade run it. */
        const hubDbPod = (preUpgradeLabel?: string) => ({
            metadata: { labels: dbLabels },
            spec: {
                ...podBasics,
                securityContext: podSecurity(UID.mysql),
                containers: [
                    {
                        name: "dump",
                        image: clientImage,
                        command: ["sh", `${MOUNT.scripts}/${SCRIPTS.dumpHubDb}`],
                        env: toEnv(
                            hubDbEnv({
                                root: MOUNT.backups,
                                defaultsFile: `${MOUNT.credentials}/client.cnf`,
                                database: db.database,
                                keep: cfg.keep,
                                preUpgradeLabel,
                            }),
                        ),
                        securityContext: containerSecurity,
                        volumeMounts: [...commonMounts, { name: "credentials", mountPath: MOUNT.credentials, readOnly: true }],
                        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                    },
                ],
                volumes: [...commonVolumes, { name: "credentials", secret: { secretName: clientOptions.metadata.name, defaultMode: 0o440 } }],
            },
        });
        const jobSpec = (template: object) => ({ backoffLimit: 2, activeDeadlineSeconds: 3600, template });
        const schedule = {
            schedule: cfg.schedule,
            timeZone: cfg.timeZone,
            // A dump that is still running is never doubled; a missed run is made up within the hour.
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 3600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
        };
        const ready = [...before, ...policies];

        new k8s.batch.v1.CronJob(
            `${name}-hub-db`,
            {
                metadata: { name: "backup-hub-db", namespace: ns, labels: dbLabels },
                spec: { ...schedule, jobTemplate: { metadata: { labels: dbLabels }, spec: jobSpec(hubDbPod()) } },
            },
            { ...parent, dependsOn: ready },
        );

        this.preUpgradeJobName = preUpgradeJobName(args.chartVersion, clientImage);
        new k8s.batch.v1.Job(
            `${name}-before-upgrade`,
            {
                metadata: { name: this.preUpgradeJobName, namespace: ns, labels: dbLabels },
                spec: jobSpec(hubDbPod(preUpgradeLabel(args.chartVersion, clientImage))),
            },
            // Awaited: the hub, which depends on this component, is updated only after the dump.
            { ...parent, dependsOn: ready, customTimeouts: { create: "60m", update: "60m" } },
        );

        if (args.directory) {
            const dirPolicies = accessPolicies(
                name,
                { namespace: ns, kind: "directory", podLabels: dirLabels, server: { port: LDAPS_PORT, app: "openldap" } },
                parent,
            );
            const env = directoryEnv({
                root: MOUNT.backups,
                keep: cfg.keep,
                uri: `ldaps://openldap.${ns}.svc.cluster.local:636`,
                tree: args.directory.tree,
                passwordFile: `${MOUNT.credentials}/admin-password`,
                caFile: `${MOUNT.tls}/ca.crt`,
            });
            const pod = {
                metadata: { labels: dirLabels },
                spec: {
                    ...podBasics,
                    securityContext: podSecurity(UID.openldap),
                    containers: [
                        {
                            name: "export",
                            image: args.directory.image,
                            command: ["sh", `${MOUNT.scripts}/${SCRIPTS.dumpDirectory}`],
                            env: toEnv(env),
                            securityContext: containerSecurity,
                            volumeMounts: [
                                ...commonMounts,
                                { name: "credentials", mountPath: MOUNT.credentials, readOnly: true },
                                { name: "tls", mountPath: MOUNT.tls, readOnly: true },
                            ],
                            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                        },
                    ],
                    volumes: [
                        ...commonVolumes,
                        {
                            name: "credentials",
                            secret: { secretName: DIRECTORY_SECRETS.bootstrap, defaultMode: 0o440, items: [{ key: "admin-password", path: "admin-password" }] },
                        },
                        { name: "tls", secret: { secretName: DIRECTORY_SECRETS.tls, defaultMode: 0o444, items: [{ key: "ca.crt", path: "ca.crt" }] } },
                    ],
                },
            };
            new k8s.batch.v1.CronJob(
                `${name}-directory`,
                {
                    metadata: { name: "backup-directory", namespace: ns, labels: dirLabels },
                    spec: { ...schedule, jobTemplate: { metadata: { labels: dirLabels }, spec: jobSpec(pod) } },
                },
                { ...parent, dependsOn: [...before, ...dirPolicies] },
            );
        }

        this.registerOutputs({});
    }
}
