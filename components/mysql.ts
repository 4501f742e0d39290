import * as crypto from "crypto";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import type { MySqlConfig } from "../config";
import { dataClaim, HUB_POD_SELECTOR, labels, RESTRICTED_CONTAINER, restrictedPod } from "./common";

type ExternalMySql = Extract<MySqlConfig, { mode: "external" }>;
type InClusterMySql = Extract<MySqlConfig, { mode: "in-cluster" }>;

/** The port the server listens on in its pod (the Service's port is jupyterhub:mysql.port). */
export const MYSQL_PORT = 3306;

/** Where the pod mounts the credentials Secret: the root password (the entrypoint's _FILE) and the init file. */
export const MYSQL_INIT_FILE = "/credentials/init.sql";

/** mysqld's arguments: no binary log, utf8mb4, and the hub's user reconciled at every start. */
export const MYSQL_ARGS = ["--disable-log-bin", "--character-set-server=utf8mb4", `--init-file=${MYSQL_INIT_FILE}`];

/** Annotation of the server's pod template: a digest of the init file, which mysqld reads at start only. */
export const INIT_DIGEST_ANNOTATION = "platform.jupyterhub.org/init-digest";

/** A string literal for MySQL: quotes and backslashes escaped. */
export function sqlString(s: string): string {
    return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** An identifier for MySQL (database or user name), backquoted. */
export function sqlIdent(s: string): string {
    return "`" + s.replace(/`/g, "``") + "`";
}

/**
 * SQL that creates the hub database and its user, idempotently, and sets the user's password. The
 * user may only touch its own database. The in-cluster server runs it at every start
 * (`--init-file`), so the password in the stack's Secret is the one the server accepts, also on a
 * database kept from an earlier life of the stack (issue 20); usable by hand on an external one.
 * One statement a line, no comments: what `--init-file` reads.
 */
export function hubDatabaseSql(database: string, user: string, password: string): string {
    return [
        `CREATE DATABASE IF NOT EXISTS ${sqlIdent(database)} CHARACTER SET utf8mb4;`,
        `CREATE USER IF NOT EXISTS ${sqlString(user)}@'%' IDENTIFIED BY ${sqlString(password)};`,
        `ALTER USER ${sqlString(user)}@'%' IDENTIFIED BY ${sqlString(password)};`,
        `GRANT ALL PRIVILEGES ON ${sqlIdent(database)}.* TO ${sqlString(user)}@'%';`,
        "FLUSH PRIVILEGES;",
        "",
    ].join("\n");
}

/**
 * SQLAlchemy URL for the hub. The password goes inside the URL: z2jh's hub.db.password is not
 * read by pymysql (z2jh#2545).
 */
export function hubDbUrl(p: { user: string; password?: string; host: string; port: number; database: string }): string {
    const password = p.password === undefined ? "" : `:${encodeURIComponent(p.password)}`;
    return `mysql+pymysql://${encodeURIComponent(p.user)}${password}@${p.host}:${p.port}/${encodeURIComponent(p.database)}`;
}

export type MySqlArgs = {
    /** Namespace to deploy into. */
    namespace: string;
    /** Options of the database volume, kept by `pulumi destroy` unless data is deleted (ClusterAccess.keep). */
    keep: pulumi.CustomResourceOptions;
} & (
    | { config: InClusterMySql }
    /** An external server, and the password of its hub user (secret key mysqlPassword). */
    | { config: ExternalMySql; externalPassword: pulumi.Output<string> }
);

/** The server's pod: mysqld as the image's mysql user, its data on the claim, the credentials Secret's files mounted. */
function serverPod(p: { image: string; claim: pulumi.Input<string>; credentials: pulumi.Input<string> }): k8s.types.input.core.v1.PodSpec {
    const ping = ["sh", "-c", 'mysqladmin ping -h 127.0.0.1 -uroot -p"$(cat /credentials/root-password)" --silent'];
    return {
        // The official image runs as its mysql user (999) when started as it.
        securityContext: restrictedPod(999),
        // Nothing in the pod calls the Kubernetes API.
        automountServiceAccountToken: false,
        containers: [
            {
                name: "mysql",
                image: p.image,
                env: [
                    { name: "MYSQL_ROOT_PASSWORD_FILE", value: "/credentials/root-password" },
                    // The hub stores UTC timestamps: no time zone tables to load at init.
                    { name: "MYSQL_INITDB_SKIP_TZINFO", value: "1" },
                ],
                // Binary logs fill small volumes and a single hub database needs no replication.
                // --init-file: the hub's database, user and password at every start (hubDatabaseSql); the
                // image's entrypoint passes these arguments to its initialisation too (docs/images.md).
                args: MYSQL_ARGS,
                ports: [{ name: "mysql", containerPort: MYSQL_PORT }],
                // Read-only root: mysqld writes its data directory (the claim), its socket and pid
                // file in /var/run/mysqld and temporary files in /tmp (docs/images.md), each an emptyDir.
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [
                    { name: "data", mountPath: "/var/lib/mysql" },
                    { name: "credentials", mountPath: "/credentials", readOnly: true },
                    { name: "run", mountPath: "/var/run/mysqld" },
                    { name: "tmp", mountPath: "/tmp" },
                ],
                readinessProbe: { exec: { command: ping }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5 },
                livenessProbe: { exec: { command: ping }, initialDelaySeconds: 60, periodSeconds: 20, timeoutSeconds: 5 },
                resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "100m", memory: "512Mi" } },
            },
        ],
        volumes: [
            { name: "data", persistentVolumeClaim: { claimName: p.claim } },
            {
                name: "credentials",
                secret: {
                    secretName: p.credentials,
                    // Read by mysqld, which runs as the pod's group (fsGroup), and by nobody else.
                    defaultMode: 0o440,
                    items: [
                        { key: "root-password", path: "root-password" },
                        { key: "init.sql", path: "init.sql" },
                    ],
                },
            },
            { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
        ],
    };
}

/** A digest of the init file (hubDatabaseSql), for INIT_DIGEST_ANNOTATION: it reveals nothing of the password. Not secret. */
function initDigest(cfg: InClusterMySql, hubPassword: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.unsecret(
        hubPassword.apply((pw) =>
            crypto
                .createHash("sha256")
                .update(hubDatabaseSql(cfg.database, cfg.user, pw))
                .digest("hex")
                .slice(0, 16),
        ),
    );
}

/**
 * The hub database. In-cluster: a MySQL 8.4 StatefulSet on block storage with generated
 * passwords, reachable only from the hub. External: the configured server.
 */
export class MySql extends pulumi.ComponentResource {
    /** SQLAlchemy URL for the hub, password included. Secret. */
    public readonly hubDbUrl: pulumi.Output<string>;
    /** host:port of the server. */
    public readonly endpoint: pulumi.Output<string>;
    /** Host name of the server: the Service in the cluster, or the external host. */
    public readonly host: string;
    /** The same URL without its password: where the hub connects, as the chart values say it. */
    public readonly hubDbUrlWithoutPassword: string;
    /** Password of the hub user. Secret. */
    public readonly hubPassword: pulumi.Output<string>;

    constructor(name: string, args: MySqlArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:MySql", name, {}, opts);
        const cfg = args.config;

        if ("externalPassword" in args) {
            this.host = args.config.host;
            this.hubPassword = pulumi.secret(args.externalPassword);
        } else {
            const server = this.inClusterServer(name, args.namespace, args.config, args.keep);
            this.host = server.host;
            this.hubPassword = server.hubPassword;
        }

        const host = this.host;
        this.endpoint = pulumi.output(`${host}:${cfg.port}`);
        const url = { user: cfg.user, host, port: cfg.port, database: cfg.database };
        this.hubDbUrl = pulumi.secret(this.hubPassword.apply((password) => hubDbUrl({ ...url, password })));
        this.hubDbUrlWithoutPassword = hubDbUrl(url);
        this.registerOutputs({ hubDbUrl: this.hubDbUrl, endpoint: this.endpoint });
    }

    /** The in-cluster server: its passwords and Secret, volume, Service, StatefulSet and NetworkPolicy. Returns its host and the hub's password. */
    private inClusterServer(
        name: string,
        ns: string,
        cfg: InClusterMySql,
        keep: pulumi.CustomResourceOptions,
    ): { host: string; hubPassword: pulumi.Output<string> } {
        const lbl = labels("mysql");
        const hub = this.credentials(name, ns, cfg);
        const data = dataClaim(
            `${name}-data`,
            { name: "mysql-data", namespace: ns, labels: lbl, storageClass: cfg.storageClass, size: cfg.storageSize },
            this,
            keep,
        );
        const service = new k8s.core.v1.Service(
            `${name}`,
            {
                metadata: { name: "mysql", namespace: ns, labels: lbl },
                spec: { type: "ClusterIP", selector: lbl, ports: [{ name: "mysql", port: cfg.port, targetPort: MYSQL_PORT }] },
            },
            { parent: this },
        );
        new k8s.apps.v1.StatefulSet(
            `${name}`,
            {
                metadata: { name: "mysql", namespace: ns, labels: lbl },
                spec: {
                    replicas: 1,
                    serviceName: service.metadata.name,
                    selector: { matchLabels: lbl },
                    template: {
                        // The server reads the init file at start only: a new hub password rolls it.
                        metadata: { labels: lbl, annotations: { [INIT_DIGEST_ANNOTATION]: initDigest(cfg, hub.password) } },
                        spec: serverPod({ image: cfg.image, claim: data.metadata.name, credentials: hub.secret }),
                    },
                },
            },
            { parent: this },
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}`,
            {
                metadata: { name: "mysql", namespace: ns, labels: lbl },
                spec: {
                    podSelector: { matchLabels: lbl },
                    // Answers the hub (and the backups, components/backup.ts); reaches nothing.
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [{ from: [{ podSelector: HUB_POD_SELECTOR }], ports: [{ port: MYSQL_PORT }] }],
                    egress: [],
                },
            },
            { parent: this },
        );
        return { host: `mysql.${ns}.svc.cluster.local`, hubPassword: hub.password };
    }

    /** The generated root and hub passwords and the Secret the server reads them from (init.sql: hubDatabaseSql). */
    private credentials(name: string, ns: string, cfg: InClusterMySql): { password: pulumi.Output<string>; secret: pulumi.Output<string> } {
        const parent = { parent: this };
        const root = new random.RandomPassword(`${name}-root`, { length: 32, special: false }, parent);
        const hub = new random.RandomPassword(`${name}-hub`, { length: 32, special: false }, parent);
        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: { name: "mysql-credentials", namespace: ns, labels: labels("mysql") },
                stringData: {
                    "root-password": root.result,
                    "hub-password": hub.result,
                    "init.sql": hub.result.apply((pw) => hubDatabaseSql(cfg.database, cfg.user, pw)),
                },
            },
            parent,
        );
        return { password: hub.result, secret: secret.metadata.name };
    }
}
