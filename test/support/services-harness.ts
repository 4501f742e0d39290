// The services suites' test bed (test/services/login.test.ts, groups.test.ts, backup.test.ts):
// real services and the configuration this program generates, without Kubernetes: OpenLDAP
// (Debian's slapd), a MySQL-compatible server (Debian's MariaDB) and JupyterHub with
// LDAPAuthenticator, KubeSpawner and configurable-http-proxy, all on 127.0.0.1.
//
// Run: .ci/services-setup.sh once (installs everything, idempotent), then `npm run test:services`.
// The suites are in test/services/, so that `npm test` (test/unit, test/program) does not run them.
//
// What comes from the program, through the same pure functions the components call:
//   - the stack config: parseConfig(Pulumi.dev.yaml);
//   - the directory: ldapTree, users' passwords derived from a master key (userCredentials, as the
//     component derives them), bootstrapLdif (loaded with slapadd before start, as the image loads
//     LDAP_CUSTOM_LDIF_DIR), the sync Job's script (the file components/scripts/ldap-sync.sh with
//     the environment syncEnv gives and the files bootstrapFiles makes, run with dash and mawk as in
//     the Debian 12 image, over LDAPS as the admin: `sync`), ldapCertDnsNames (the server
//     certificate's SANs);
//   - the database: hubDatabaseSql as the server's --init-file at every start, as the StatefulSet runs it
//     and hubDbUrl;
//   - the hub: inClusterAuthSettings, hubValues (and so ldapAuthenticatorConfig and the Python of
//     hub.extraConfig) and hubSecretData: hub.config, hub.db.url, hub.extraConfig and the
//     singleuser values (merged with the chart's values.yaml as Helm merges them) are written to
//     JSON and applied by test/services/jupyterhub_config.py as z2jh applies them (the Secret's
//     values.yaml merged over the chart values; cookie secret and CryptKeeper keys from its keys;
//     the singleuser values as KubeSpawner config; hub.extraConfig run last). Only addresses, ports
//     and the CA path are swapped for local ones.
//
// What the test bed stands in for, and how it differs:
//   - slapd runs the program's own configuration: slapdConf and rootPwLine (components/directory/slapd.ts)
//     write slapd.conf and the rootpw file as the pod's ConfigMap and Secret carry them, the init
//     container's script (components/scripts/ldap-init.sh) loads the tree with slapadd, and slapd
//     starts with slapdCommand's arguments. The differences, all in slapdPaths() and slapdUrls():
//     the schemas and module are Debian's (/etc/ldap/schema, /usr/lib/ldap instead of Symas's
//     /opt/symas/...), the claim, run, config and TLS folders are the test's, and slapd listens on
//     127.0.0.1 and free ports instead of :1636 (and :1389). Debian 12's slapd is OpenLDAP 2.5.13
//     (the image: 2.6.8), built with GnuTLS (the image: OpenSSL).
//   - The CA and the server certificate are made with openssl: ECDSA P-256 like the program's
//     @pulumi/tls keys, SANs exactly ldapCertDnsNames("openldap", namespace) plus 127.0.0.1 (the
//     program's CertRequest has the same IP address).
//   - MySQL 8.4 is not in Debian 12 nor in any registry reachable here, so the server is Debian's
//     MariaDB 10.11. Differences that matter to the hub:
//       * authentication: hubDatabaseSql's `IDENTIFIED BY` makes a caching_sha2_password account on
//         MySQL 8.4 (mysql_native_password is disabled by default there) and a
//         mysql_native_password one on MariaDB. PyMySQL speaks both; caching_sha2 over a plain
//         connection needs the server's RSA key exchange, done with `cryptography` (installed).
//       * collation: utf8mb4 defaults to utf8mb4_0900_ai_ci on MySQL 8.4 and to
//         utf8mb4_general_ci on MariaDB 10.11; the hub's names compare case-insensitively on both.
//       * binary log: mysql:8.4 logs by default (the program passes --disable-log-bin); MariaDB's
//         is off unless asked for (--skip-log-bin here says so explicitly).
//       * TLS: MySQL 8.4 makes a server certificate and offers TLS; MariaDB 10.11 does not. The
//         hub URL asks for none in either case.
//       * SQLAlchemy picks its MariaDB dialect variant from the server version; the hub's
//         migrations and queries are the same.
//       * accounts: mysql:8.4's entrypoint makes root and the init SQL's user only;
//         mariadb-install-db (with --skip-test-db) makes root@localhost and mariadb.sys, no
//         anonymous user that could shadow 'jupyterhub'@'%'.
//   - The hub runs JupyterHub 5.5.x, ldapauthenticator 2.0.2, KubeSpawner 7.0.0 and PyMySQL 1.2.0
//     from PyPI (see requirements.txt) with configurable-http-proxy 5.2.0 (the chart's proxy image)
//     from npm. Its spawner is KubeSpawner with everything up to the pod manifest its own
//     (profiles, user options, pre-spawn hook, get_pod_manifest); instead of creating the pod it
//     records the manifest and fails the spawn (jupyterhub_config.py, RecordingSpawner).
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { it } from "node:test";

import * as YAML from "yaml";

import { InClusterLdap, PlatformConfig, type TlsStrategy } from "../../config";
import { directoryGroups } from "../../components/groups";
import { hubSecretData, HubWiring, hubValues } from "../../components/hub";
import { hubDatabaseSql, hubDbUrl, MYSQL_ARGS } from "../../components/mysql";
import { GROUP_SHARES_CLAIM, SHARED_CLAIM } from "../../components/storage";
import { bootstrapFiles, bootstrapLdif, LdapTree, ldapTree } from "../../components/directory/tree";
import { inClusterAuthSettings, ldapCertDnsNames, LDAPS_PORT } from "../../components/directory/client";
import { mdbMaxSize, rootPwLine, slapdCommand, slapdConf, SlapdPaths, slapdUrls } from "../../components/directory/slapd";
import { SYNC_SCRIPT, syncEnv } from "../../components/directory/sync";
import { userCredentials } from "../../components/directory/passwords";
import { scriptPath } from "../../components/scripts";
import { masterFingerprint } from "../../components/directory/passwords";
import { chartDataDir, helmMerge, inMode, onNfs, ROOT } from "./helpers";
import { Browser, Page } from "./browser";
import { alnum, findTools, freePort, portOpen, run, Service, tail, Tools, waitFor } from "./services-env";

export type Json = Record<string, unknown>;

export type Login = Page & { browser: Browser; loggedIn: boolean; hubLog: () => string };

/**
 * One set of services for one suite: a state directory with the logs, free ports, the directory
 * and the database, and the hub (restartable). Tests written with `test` fail with the set-up's
 * error when the services could not be started (never skip).
 */
export class TestBed {
    /** The stack's directory: the suites need the in-cluster one. */
    readonly directory: InClusterLdap;
    readonly tree: LdapTree;
    /** Everything started, for tearDown. */
    readonly services: Service[] = [];
    state = "";
    tools!: Tools;
    readonly ports = { ldap: 0, ldaps: 0, mysql: 0, hub: 0, proxy: 0, proxyApi: 0 };
    /** The directory users' master key, as the component's generated one. */
    readonly master: Buffer = crypto.randomBytes(32);
    /** Each user's password, derived from `master` as the component derives it. */
    readonly passwords: Record<string, string> = {};
    /** What the sync Job's first run (at set-up, after slapadd) printed. */
    firstSync = "";
    private syncRuns = 0;
    private slapdRuns = 0;
    private mysqlRuns = 0;
    /** The running slapd. */
    slapd: Service | undefined;
    /** What the init container's script printed at set-up. */
    ldapInitOutput = "";
    readonly secrets = { ldapAdmin: alnum(32), mysqlHub: alnum(32), apiToken: crypto.randomBytes(32).toString("hex") };
    readonly hubSecrets = {
        // The shape of HubSecrets' values: 32 random bytes in hex.
        cookieSecret: crypto.randomBytes(32).toString("hex"),
        cryptKeeperKey: crypto.randomBytes(32).toString("hex"),
        proxyToken: crypto.randomBytes(32).toString("hex"),
    };
    hub: Service | undefined;
    private hubRuns = 0;
    /** The chart values hubValues made. */
    values: Json = {};
    private setupError: Error | undefined;
    /** A test failed: tearDown keeps the state and logs. */
    failed = false;

    /**
     * `given`: secrets of the stack instead of random ones, e.g. a second bed's, which starts its
     * servers as new volumes of the same stack start (the backup suite restores into it).
     */
    constructor(
        readonly cfg: PlatformConfig,
        private readonly name: string,
        given: {
            secrets?: Partial<TestBed["secrets"]>;
            /** The hub's secrets a test fixes (a life's data key gives them); the others are generated per bed. */
            hubSecrets?: Partial<TestBed["hubSecrets"]>;
            master?: TestBed["master"];
            /** The folder of a torn-down bed (keepData): its claims (database, directory) are this bed's, as kept volumes are a new stack's. */
            claimsOf?: string;
        } = {},
    ) {
        this.directory = inMode(cfg.ldap, "in-cluster");
        this.tree = ldapTree(this.directory);
        Object.assign(this.secrets, given.secrets);
        Object.assign(this.hubSecrets, given.hubSecrets);
        if (given.master) this.master = given.master;
        this.claimsOf = given.claimsOf;
    }

    private readonly claimsOf: string | undefined;
    /** tearDown keeps the claims' folders for a next bed (claimsOf), as a retaining destroy keeps the volumes. */
    keepData = false;

    p(...parts: string[]): string {
        return path.join(this.state, ...parts);
    }

    base(): string {
        return `http://127.0.0.1:${this.ports.proxy}`;
    }

    /** Throws the set-up's error if the services could not be started. */
    assertReady(): void {
        if (this.setupError) throw new Error(`set-up failed: ${this.setupError.message}`);
    }

    /** A test that fails with the set-up's error if the services could not be started. */
    test(name: string, fn: () => void | Promise<void>): void {
        it(name, async () => {
            try {
                this.assertReady();
                await fn();
            } catch (e) {
                this.failed = true;
                throw e;
            }
        });
    }

    /** Starts everything; an error is kept and reported by every test. */
    async setUp(): Promise<void> {
        try {
            this.tools = findTools();
            this.state = this.claimsOf ?? fs.mkdtempSync(path.join(os.tmpdir(), `jhub-${this.name}-`));
            for (const k of Object.keys(this.ports) as Array<keyof typeof this.ports>) this.ports[k] = await freePort();
            this.makeCa(this.p("tls", "ca"), "JupyterHub platform LDAP CA (services test)");
            this.makeCa(this.p("tls", "wrong-ca"), "An unrelated CA");
            fs.mkdirSync(this.p("tls", "server"), { recursive: true });
            this.makeServerCert(this.p("tls", "server"), this.p("tls", "ca"));
            fs.mkdirSync(this.p("hub"), { recursive: true });
            fs.writeFileSync(
                this.p("hub", "test-settings.json"),
                JSON.stringify({
                    apiToken: this.secrets.apiToken,
                    chp: this.tools.chp,
                    hubPort: this.ports.hub,
                    proxyPort: this.ports.proxy,
                    proxyApiPort: this.ports.proxyApi,
                }),
                { mode: 0o600 },
            );
            await Promise.all([this.startLdap(), this.startMysql()]);
            this.values = this.generatedValues();
            this.hub = await this.startHub(this.p("tls", "ca", "ca.crt"));
        } catch (e) {
            this.setupError = e as Error;
        }
    }

    /** Every process started, by its own process group, even after a failure: the hub (and its proxy) first. */
    async tearDown(): Promise<void> {
        for (const s of [...this.services].reverse()) await s.stop();
        // Logs and data stay for a look after a failure (or with JHUB_SERVICES_KEEP=1).
        if (this.state && !this.failed && !this.keepData && process.env.JHUB_SERVICES_KEEP !== "1") fs.rmSync(this.state, { recursive: true, force: true });
        else if (this.state) console.log(`# state and logs kept in ${this.state}`);
    }

    // --- TLS -------------------------------------------------------------------------------------

    private makeCa(dir: string, cn: string): void {
        fs.mkdirSync(dir, { recursive: true });
        run(this.tools.openssl, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path.join(dir, "ca.key")]);
        run(this.tools.openssl, [
            "req",
            "-x509",
            "-new",
            "-key",
            path.join(dir, "ca.key"),
            "-subj",
            `/CN=${cn}/O=${this.directory.organisation}`,
            "-days",
            "2",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
            "-out",
            path.join(dir, "ca.crt"),
        ]);
    }

    /** Server certificate as components/directory/server.ts requests it: SANs ldapCertDnsNames(...) + 127.0.0.1. */
    private makeServerCert(dir: string, caDir: string): string[] {
        const dnsNames = ldapCertDnsNames("openldap", this.cfg.namespace);
        const key = path.join(dir, "tls.key");
        const csr = path.join(dir, "tls.csr");
        const ext = path.join(dir, "ext.cnf");
        run(this.tools.openssl, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
        run(this.tools.openssl, ["req", "-new", "-key", key, "-subj", `/CN=openldap.${this.cfg.namespace}.svc/O=${this.directory.organisation}`, "-out", csr]);
        fs.writeFileSync(
            ext,
            [
                `subjectAltName=${[...dnsNames.map((n) => `DNS:${n}`), "IP:127.0.0.1"].join(",")}`,
                "basicConstraints=CA:FALSE",
                "keyUsage=critical,digitalSignature,keyEncipherment",
                "extendedKeyUsage=serverAuth",
                "",
            ].join("\n"),
        );
        run(this.tools.openssl, [
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            path.join(caDir, "ca.crt"),
            "-CAkey",
            path.join(caDir, "ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            ext,
            "-out",
            path.join(dir, "tls.crt"),
        ]);
        return dnsNames;
    }

    // --- OpenLDAP --------------------------------------------------------------------------------

    /**
     * The directory's paths on this machine: Debian's slapd (schemas, module) and the test's
     * folders. The only differences from the pod's (POD_SLAPD_PATHS) are these paths.
     */
    slapdPaths(): SlapdPaths {
        return {
            schemaDir: "/etc/ldap/schema",
            modulePath: "/usr/lib/ldap",
            dataDir: this.p("ldap", "claim", "mdb"),
            runDir: this.p("ldap", "run"),
            tlsDir: this.p("ldap", "tls"),
            rootPwFile: this.p("ldap", "config", "rootpw.conf"),
        };
    }

    /** slapd's listeners as the pod's (slapdUrls), on 127.0.0.1 and this bed's ports instead of 1389/1636. */
    slapdUrls(tlsStrategy: TlsStrategy = this.directory.tlsStrategy): string {
        return slapdUrls(tlsStrategy, "127.0.0.1")
            .replace(`:${LDAPS_PORT}/`, `:${this.ports.ldaps}/`)
            .replace(/:1389\//, `:${this.ports.ldap}/`);
    }

    /**
     * Writes the directory's files as the pod gets them (the ConfigMap's slapd.conf, the Secret's
     * rootpw.conf for `adminPassword`, the tree, the TLS Secret's three files), then runs the init
     * container's script (components/scripts/ldap-init.sh) with dash, as the pod runs it.
     */
    ldapInit(adminPassword: string, tree: string): string {
        const paths = this.slapdPaths();
        for (const d of [this.p("ldap", "config"), paths.runDir, paths.tlsDir, this.p("ldap", "bootstrap"), this.p("ldap", "claim")]) {
            fs.mkdirSync(d, { recursive: true });
        }
        fs.copyFileSync(this.p("tls", "ca", "ca.crt"), path.join(paths.tlsDir, "ca.crt"));
        fs.copyFileSync(this.p("tls", "server", "tls.crt"), path.join(paths.tlsDir, "tls.crt"));
        fs.copyFileSync(this.p("tls", "server", "tls.key"), path.join(paths.tlsDir, "tls.key"));
        fs.writeFileSync(this.p("ldap", "config", "slapd.conf"), slapdConf(this.tree, paths, { maxSize: mdbMaxSize(this.directory.storageSize) }));
        fs.writeFileSync(paths.rootPwFile, rootPwLine(adminPassword), { mode: 0o600 });
        fs.writeFileSync(this.p("ldap", "bootstrap", "tree.ldif"), tree, { mode: 0o600 });
        // The repository's file itself, as the ConfigMap carries it.
        return run(this.tools.dash, [scriptPath("ldap-init.sh")], {
            env: {
                ...process.env,
                SLAPD_CONF: this.p("ldap", "config", "slapd.conf"),
                DATA_DIR: paths.dataDir,
                TREE_LDIF: this.p("ldap", "bootstrap", "tree.ldif"),
                SLAPTOOLS: path.dirname(this.tools.slapadd),
            },
        });
    }

    /** Stops slapd and starts it again as a pod of this tlsStrategy starts it (a new pod on the same claim). */
    async restartSlapd(tlsStrategy: TlsStrategy = this.directory.tlsStrategy): Promise<void> {
        await this.slapd?.stop();
        this.slapd = await this.startSlapd(tlsStrategy);
    }

    /** slapd as the pod's container runs it (slapdCommand), with this bed's binary, paths and ports. */
    async startSlapd(tlsStrategy: TlsStrategy = this.directory.tlsStrategy): Promise<Service> {
        const [cmd, ...args] = slapdCommand(this.tools.slapd, this.p("ldap", "config", "slapd.conf"), this.slapdUrls(tlsStrategy));
        const slapd = new Service("slapd", cmd, args, this.p("ldap", `slapd-${++this.slapdRuns}.log`));
        this.services.push(slapd);
        await waitFor("slapd", () => portOpen(this.ports.ldaps), slapd, 20_000);
        return slapd;
    }

    private async startLdap(): Promise<void> {
        const creds = userCredentials(
            this.master,
            this.directory.users.map((u) => u.uid),
        );
        Object.assign(this.passwords, creds.passwords);
        this.ldapInitOutput = this.ldapInit(this.secrets.ldapAdmin, bootstrapLdif(this.directory, creds.hashes));
        this.slapd = await this.startSlapd();
        // The sync Job's first run: group membership reset to the config, the master key recorded.
        this.firstSync = this.sync(this.directory, this.master).output;
    }

    /**
     * Runs the sync Job's script against slapd as the Job runs it: the bootstrap Secret's files
     * (bootstrapFiles for this directory and master key, and the admin password) in a directory of
     * their own, the file components/scripts/ldap-sync.sh with the environment syncEnv gives (the
     * Job's, but for local addresses and paths), with dash and mawk (the image is Debian 12).
     */
    sync(directory: InClusterLdap, key: Buffer, resetPasswordsFrom?: string): { output: string; seconds: number } {
        const dir = this.p("sync", `run-${++this.syncRuns}`);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const { hashes } = userCredentials(
            key,
            directory.users.map((u) => u.uid),
        );
        const files = { "admin-password": this.secrets.ldapAdmin, ...bootstrapFiles(directory, hashes, masterFingerprint(key)) };
        for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
        const where = { uri: `ldaps://127.0.0.1:${this.ports.ldaps}`, bootstrapDir: dir, caFile: this.p("tls", "ca", "ca.crt") };
        // `awk` is mawk here, as in the image.
        const bin = this.p("sync", "bin");
        fs.mkdirSync(bin, { recursive: true });
        if (!fs.existsSync(path.join(bin, "awk"))) fs.symlinkSync(this.tools.mawk, path.join(bin, "awk"));
        const t0 = Date.now();
        const output = run(this.tools.dash, [scriptPath(SYNC_SCRIPT)], {
            // The Job's environment; RESET_FROM_KEY when the test gives one (a stack with a data key).
            env: {
                ...process.env,
                PATH: `${bin}:${process.env.PATH ?? ""}`,
                LDAPTLS_REQCERT: "demand",
                ...syncEnv(ldapTree(directory), where, resetPasswordsFrom),
            },
        });
        return { output, seconds: (Date.now() - t0) / 1000 };
    }

    /** Whether the DN binds with the password. */
    binds(dn: string, password: string): boolean {
        try {
            this.ldap(this.tools.ldapwhoami, ["-D", dn, "-w", password]);
            return true;
        } catch (e) {
            if (/Invalid credentials \(49\)/.test(String(e))) return false;
            throw e;
        }
    }

    /** Whether the entry exists (seen by the admin). */
    exists(dn: string): boolean {
        try {
            this.searchAsAdmin(dn, "-s", "base", "1.1");
            return true;
        } catch (e) {
            if (/No such object \(32\)/.test(String(e))) return false;
            throw e;
        }
    }

    /** An ldap-utils command against the LDAPS port, verifying the server with the test's CA. */
    ldap(cmd: string, args: string[], input?: string): string {
        // By IP: libldap checks "localhost" against the machine's own name, not against "localhost".
        return run(cmd, ["-H", `ldaps://127.0.0.1:${this.ports.ldaps}`, "-x", ...args], {
            env: { ...process.env, LDAPTLS_CACERT: this.p("tls", "ca", "ca.crt"), LDAPTLS_REQCERT: "demand" },
            input,
        });
    }

    /** ldapsearch -LLL under `base`, bound as the user with the test's password; `args`: scope, filter, attributes. */
    searchAs(uid: string, base: string, ...args: string[]): string {
        return this.ldap(this.tools.ldapsearch, ["-LLL", "-D", this.tree.userDn(uid), "-w", this.passwords[uid], "-b", base, ...args]);
    }

    /** ldapsearch -LLL under `base`, bound as the directory's admin. */
    searchAsAdmin(base: string, ...args: string[]): string {
        return this.ldap(this.tools.ldapsearch, ["-LLL", "-D", this.tree.adminDn, "-w", this.secrets.ldapAdmin, "-b", base, ...args]);
    }

    /** An LDIF change applied by the directory's admin, as an operator would. */
    ldapModifyAsAdmin(ldif: string): string {
        return this.ldap(this.tools.ldapmodify, ["-D", this.tree.adminDn, "-w", this.secrets.ldapAdmin], ldif);
    }

    // --- MariaDB ---------------------------------------------------------------------------------

    /**
     * MariaDB on the bed's claim folder: initialised when the folder is empty (as the image's
     * entrypoint initialises an empty volume), then started as the StatefulSet starts mysqld:
     * no binary log, utf8mb4 and `--init-file` with the Secret's init.sql (hubDatabaseSql with
     * this bed's hub password), which creates or reconciles the hub's database and user.
     */
    private async startMysql(): Promise<void> {
        const dir = this.p("mysql");
        fs.mkdirSync(path.join(dir, "credentials"), { recursive: true });
        if (!fs.existsSync(path.join(dir, "data"))) {
            run(this.tools.mariadbInstallDb, [
                "--no-defaults",
                `--datadir=${path.join(dir, "data")}`,
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ]);
        }
        const initFile = path.join(dir, "credentials", "init.sql");
        fs.writeFileSync(initFile, hubDatabaseSql(this.cfg.mysql.database, this.cfg.mysql.user, this.secrets.mysqlHub), { mode: 0o600 });
        // MYSQL_ARGS, with MariaDB's spelling of the first (--skip-log-bin) and this bed's init file.
        const args = MYSQL_ARGS.map((a) => (a === "--disable-log-bin" ? "--skip-log-bin" : a.startsWith("--init-file=") ? `--init-file=${initFile}` : a));
        const server = new Service(
            "mariadbd",
            this.tools.mariadbd,
            [
                "--no-defaults",
                `--datadir=${path.join(dir, "data")}`,
                `--port=${this.ports.mysql}`,
                "--bind-address=127.0.0.1",
                `--socket=${path.join(dir, "mysqld.sock")}`,
                `--pid-file=${path.join(dir, "mysqld.pid")}`,
                "--user=root",
                // skip-name-resolve as in mysql:8.4's my.cnf.
                "--skip-name-resolve",
                ...args,
            ],
            path.join(dir, `mysqld-${++this.mysqlRuns}.log`),
        );
        this.services.push(server);
        await waitFor("mariadbd", async () => fs.existsSync(path.join(dir, "mysqld.sock")) && (await portOpen(this.ports.mysql)), server, 60_000);
    }

    sqlAsRoot(sql: string): string {
        return run(this.tools.mariadb, ["--no-defaults", `--socket=${this.p("mysql", "mysqld.sock")}`, "-uroot", "--batch", "--skip-column-names"], {
            input: sql,
        });
    }

    /** A query as the generated hub user, over TCP like the hub. */
    sqlAsHubUser(sql: string): string[][] {
        return this.sqlAsHubUserWith(this.secrets.mysqlHub, sql);
    }

    /** A query as the hub user with this password, over TCP like the hub. */
    sqlAsHubUserWith(password: string, sql: string): string[][] {
        const out = run(
            this.tools.mariadb,
            [
                "--no-defaults",
                "--protocol=TCP",
                "-h127.0.0.1",
                `-P${this.ports.mysql}`,
                `-u${this.cfg.mysql.user}`,
                "--batch",
                "--skip-column-names",
                this.cfg.mysql.database,
                "-e",
                sql,
            ],
            { env: { ...process.env, MYSQL_PWD: password } },
        );
        return out
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => l.split("\t"));
    }

    // --- JupyterHub ------------------------------------------------------------------------------

    /** The database URL as MySql builds it, with the local server's address instead of the Service's. */
    localDbUrl(password?: string): string {
        return hubDbUrl({ user: this.cfg.mysql.user, password, host: "127.0.0.1", port: this.ports.mysql, database: this.cfg.mysql.database });
    }

    /** The hub's existing Secret, from hubSecretData with the local database. */
    generatedSecret(): Record<string, string> {
        return hubSecretData({ ...this.hubSecrets, dbUrl: this.localDbUrl(this.secrets.mysqlHub) });
    }

    /**
     * The chart values, from hubValues with the stack (or a variant of it, for the same directory)
     * and local wiring (claims as index.ts names them).
     */
    generatedValues(cfg: PlatformConfig = this.cfg): Json {
        const nfs = onNfs(cfg.nfs);
        const directory = inMode(cfg.ldap, "in-cluster");
        const wiring: HubWiring = {
            dbUrl: this.localDbUrl(),
            dbPoolRecycle: cfg.mysql.poolRecycle,
            homeStorageClass: nfs.homeStorageClass,
            shared: nfs.shared.enabled
                ? { claimName: SHARED_CLAIM, mountPath: nfs.shared.mountPath, readOnlyForUsers: nfs.shared.readOnlyForUsers }
                : undefined,
            groupShares: nfs.groupShares.length > 0 ? { claimName: GROUP_SHARES_CLAIM, groups: nfs.groupShares } : undefined,
            ldap: inClusterAuthSettings(directory, cfg.namespace),
            directoryGroups: directoryGroups(directory, cfg.profiles, nfs.groupShares),
            ldapCaConfigMap: "jupyterhub-ldap-ca",
        };
        return hubValues(cfg, wiring);
    }

    /** hub.config, hub.db.url and hub.extraConfig, with only the directory's address, port and CA file swapped. */
    hubValuesForTest(caFile: string): { config: Record<string, Json>; db: { url: string }; extraConfig: Json } {
        const hubSection = structuredClone(this.values.hub) as { config: Record<string, Json>; db: { url: string }; extraConfig: Json };
        const ldapAuth = hubSection.config.LDAPAuthenticator;
        ldapAuth.server_address = "localhost"; // in the certificate's SANs (ldapCertDnsNames)
        ldapAuth.server_port = this.ports.ldaps;
        (ldapAuth.tls_kwargs as Json).ca_certs_file = caFile;
        return { config: hubSection.config, db: { url: hubSection.db.url }, extraConfig: hubSection.extraConfig };
    }

    /** The singleuser values as z2jh sees them: the program's merged over the chart's values.yaml. */
    singleuserValues(): Json {
        const chartDefaults = YAML.parse(fs.readFileSync(path.join(chartDataDir(), "values.yaml"), "utf8")) as Json;
        return (helmMerge(chartDefaults, this.values) as { singleuser: Json }).singleuser;
    }

    async startHub(caFile: string): Promise<Service> {
        this.hubRuns += 1;
        fs.writeFileSync(this.p("hub", "hub-values.json"), JSON.stringify(this.hubValuesForTest(caFile), null, 2), { mode: 0o600 });
        fs.writeFileSync(this.p("hub", "singleuser-values.json"), JSON.stringify(this.singleuserValues(), null, 2));
        fs.writeFileSync(this.p("hub", "hub-secret.json"), JSON.stringify(this.generatedSecret(), null, 2), { mode: 0o600 });
        // KubeSpawner loads a client configuration when it is made (in the chart: the pod's service
        // account). This one names an address where nothing listens, so no call could reach a cluster.
        const kubeconfig = {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "none", cluster: { server: "https://127.0.0.1:1" } }],
            users: [{ name: "none", user: { token: "unused" } }],
            contexts: [{ name: "none", context: { cluster: "none", user: "none" } }],
            "current-context": "none",
        };
        fs.writeFileSync(this.p("hub", "kubeconfig"), JSON.stringify(kubeconfig));
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            JHUB_TEST_STATE: this.p("hub"),
            KUBECONFIG: this.p("hub", "kubeconfig"),
            // node (for configurable-http-proxy) is the one running this test.
            PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
        };
        // Secrets come from the values only.
        for (const k of ["JUPYTERHUB_CRYPT_KEY", "JPY_COOKIE_SECRET", "CONFIGPROXY_AUTH_TOKEN", "JUPYTERHUB_API_TOKEN"]) delete env[k];
        const svc = new Service(
            `jupyterhub (run ${this.hubRuns})`,
            this.tools.jupyterhub,
            ["-f", path.join(ROOT, "test", "services", "jupyterhub_config.py")],
            this.p("hub", `jupyterhub-${this.hubRuns}.log`),
            { env, cwd: this.p("hub") },
        );
        this.services.push(svc);
        await waitFor(
            `${svc.name}`,
            async () => {
                const r = await fetch(`${this.base()}/hub/api/`, { signal: AbortSignal.timeout(2000) });
                return r.status === 200;
            },
            svc,
            90_000,
        );
        return svc;
    }

    async stopHub(): Promise<void> {
        await this.hub?.stop(15_000);
        this.hub = undefined;
    }

    /** Restarts the hub trusting `caFile` (default: the directory's CA). */
    async restartHub(caFile = this.p("tls", "ca", "ca.crt")): Promise<void> {
        await this.stopHub();
        this.hub = await this.startHub(caFile);
    }

    /** What the hub logged from `from` (a byte offset of its log) on. */
    hubLogFrom(from: number): string {
        return fs.readFileSync(this.hub!.log).subarray(from).toString("utf8");
    }

    hubLogSize(): number {
        return fs.statSync(this.hub!.log).size;
    }

    /** GET the login page (for the _xsrf cookie and form field), then POST the form. */
    async login(username: string, password: string): Promise<Login> {
        const logFrom = this.hubLogSize();
        const b = new Browser();
        const page = await b.get(`${this.base()}/hub/login`);
        assert.equal(page.status, 200, "GET /hub/login");
        const xsrf = /name="_xsrf"\s+value="([^"]+)"/.exec(page.body)?.[1];
        assert.ok(xsrf, "the login form carries an _xsrf field");
        assert.ok(b.cookies.has("_xsrf"), "GET /hub/login sets the _xsrf cookie");
        const res = await b.postForm(`${this.base()}/hub/login?next=${encodeURIComponent("/hub/home")}`, { _xsrf: xsrf, username, password });
        // What the hub logged while handling this login.
        return { ...res, browser: b, loggedIn: b.cookies.has("jupyterhub-hub-login"), hubLog: () => this.hubLogFrom(logFrom) };
    }

    /** A REST API request, with the test's service token unless another is given. */
    async api(pathname: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: Json }> {
        const r = await fetch(`${this.base()}/hub/api${pathname}`, {
            method: init.method ?? "GET",
            headers: {
                authorization: `token ${init.token ?? this.secrets.apiToken}`,
                ...(init.body === undefined ? {} : { "content-type": "application/json" }),
            },
            body: init.body === undefined ? undefined : JSON.stringify(init.body),
        });
        const text = await r.text();
        return { status: r.status, body: text ? (JSON.parse(text) as Json) : {} };
    }

    assertLoggedIn(r: Login, who: string): void {
        assert.equal(r.status, 302, `${who}: POST /hub/login answers 302; body: ${r.body.slice(0, 300)}\n${tail(this.hub!.log, 20)}`);
        assert.ok(r.loggedIn, `${who}: a jupyterhub-hub-login cookie is set (got ${r.setCookies.join(" | ")})`);
        assert.ok(r.browser.cookies.has("jupyterhub-session-id"), `${who}: a jupyterhub-session-id cookie is set`);
        assert.equal(r.location, "/hub/home");
    }

    assertRefused(r: Login, who: string): void {
        assert.notEqual(r.status, 302, `${who}: no redirect`);
        assert.ok(!r.loggedIn, `${who}: no login cookie (got ${r.setCookies.join(" | ")})`);
    }
}
