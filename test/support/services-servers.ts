// Real servers for services tests that need more than one of a kind (a server and the fresh one
// its backup is restored into), each in a directory of its own: slapd configured as the program's
// symas/openldap Deployment is, MariaDB started as the program's MySQL StatefulSet is, and
// JupyterHub run from the program's generated values and Secret by jupyterhub_config.py. What
// stands in for what, and how it differs from the cluster, is described in
// test/services/login.test.ts, whose single-instance set-up this follows step for step.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";

import type { PlatformConfig } from "../../config";
import { hubSecretData, HubWiring, hubValues } from "../../components/jupyterhub";
import { hubDatabaseSql, hubDbUrl } from "../../components/mysql";
import { bootstrapLdif, groupSyncLdif, inClusterAuthSettings, ldapCertDnsNames, LdapTree, sshaHash } from "../../components/openldap";
import { inMode, ROOT } from "./helpers";
import { freePort, portOpen, run, Service, tail, Tools, waitFor } from "./services-env";

type Json = Record<string, unknown>;

/** A CA and the directory's server certificate as components/openldap.ts requests it (SANs ldapCertDnsNames + 127.0.0.1). */
export function makeTls(tools: Tools, dir: string, cfg: PlatformConfig): { caFile: string; certFile: string; keyFile: string } {
    const { organisation } = inMode(cfg.ldap, "in-cluster");
    fs.mkdirSync(dir, { recursive: true });
    const f = (n: string) => path.join(dir, n);
    run(tools.openssl, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("ca.key")]);
    run(tools.openssl, [
        ...["req", "-x509", "-new", "-key", f("ca.key"), "-subj", `/CN=JupyterHub platform LDAP CA (services test)/O=${organisation}`],
        ...["-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"],
        ...["-out", f("ca.crt")],
    ]);
    run(tools.openssl, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("tls.key")]);
    run(tools.openssl, ["req", "-new", "-key", f("tls.key"), "-subj", `/CN=openldap.${cfg.namespace}.svc/O=${organisation}`, "-out", f("tls.csr")]);
    const sans = [...ldapCertDnsNames("openldap", cfg.namespace).map((n) => `DNS:${n}`), "IP:127.0.0.1"];
    const ext = `subjectAltName=${sans.join(",")}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`;
    fs.writeFileSync(f("ext.cnf"), ext);
    run(tools.openssl, [
        ...["x509", "-req", "-in", f("tls.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial"],
        ...["-days", "2", "-extfile", f("ext.cnf"), "-out", f("tls.crt")],
    ]);
    return { caFile: f("ca.crt"), certFile: f("tls.crt"), keyFile: f("tls.key") };
}

/** slapd as symas/openldap runs it from the Deployment's environment (see test/services/login.test.ts). */
export class Slapd {
    ldapsPort = 0;
    private service?: Service;

    constructor(
        readonly dir: string,
        private readonly tools: Tools,
        private readonly tree: LdapTree,
        private readonly tls: { caFile: string; certFile: string; keyFile: string },
        /** The admin (rootdn) password, as the Secret openldap-bootstrap holds it. */
        readonly adminPassword: string,
    ) {}

    get uri(): string {
        // By IP: libldap checks "localhost" against the machine's own name, not against "localhost".
        return `ldaps://127.0.0.1:${this.ldapsPort}`;
    }

    private conf(): string {
        return [
            ...["core", "cosine", "inetorgperson", "nis"].map((s) => `include /etc/ldap/schema/${s}.schema`),
            `pidfile ${path.join(this.dir, "slapd.pid")}`,
            "modulepath /usr/lib/ldap",
            "moduleload back_mdb",
            `TLSCACertificateFile ${this.tls.caFile}`,
            `TLSCertificateFile ${this.tls.certFile}`,
            `TLSCertificateKeyFile ${this.tls.keyFile}`,
            "disallow bind_anon",
            "require authc",
            "security tls=1",
            "database mdb",
            `suffix "${this.tree.baseDn}"`,
            `rootdn "${this.tree.adminDn}"`,
            `rootpw ${sshaHash(this.adminPassword, crypto.randomBytes(8))}`,
            `directory ${path.join(this.dir, "data")}`,
            "access to attrs=userPassword",
            "    by self write",
            "    by anonymous auth",
            "    by * none",
            "access to *",
            "    by users read",
            "    by * none",
            "",
        ].join("\n");
    }

    /**
     * A fresh directory as the image starts one on an empty volume: the tree (bootstrapLdif with
     * the given {SSHA} hashes) loaded before slapd starts, then group membership reset over LDAPS
     * as the sync Job does.
     */
    async start(cfg: PlatformConfig, hashes: Record<string, string>): Promise<Service> {
        const directory = inMode(cfg.ldap, "in-cluster");
        fs.mkdirSync(path.join(this.dir, "data"), { recursive: true });
        fs.writeFileSync(path.join(this.dir, "slapd.conf"), this.conf());
        fs.writeFileSync(path.join(this.dir, "tree.ldif"), bootstrapLdif(directory, hashes));
        run(this.tools.slapadd, ["-f", path.join(this.dir, "slapd.conf"), "-l", path.join(this.dir, "tree.ldif")]);
        const ldapPort = await freePort();
        this.ldapsPort = await freePort();
        this.service = new Service(
            `slapd (${path.basename(this.dir)})`,
            this.tools.slapd,
            ["-f", path.join(this.dir, "slapd.conf"), "-h", `ldap://127.0.0.1:${ldapPort}/ ${this.uri}/`, "-d", "stats"],
            path.join(this.dir, "slapd.log"),
        );
        await waitFor(this.service.name, () => portOpen(this.ldapsPort), this.service, 20_000);
        fs.writeFileSync(path.join(this.dir, "groups.ldif"), groupSyncLdif(directory));
        this.asAdmin(this.tools.ldapmodify, ["-f", path.join(this.dir, "groups.ldif")]);
        return this.service;
    }

    /** The file the admin password is read from (-y), as the backup pods mount it: no trailing newline. */
    passwordFile(): string {
        const file = path.join(this.dir, "admin-password");
        fs.writeFileSync(file, this.adminPassword, { mode: 0o600 });
        return file;
    }

    /** An ldap-utils command over LDAPS, verifying the server with the test's CA. */
    ldap(cmd: string, args: string[], input?: string): string {
        return run(cmd, ["-H", this.uri, "-x", ...args], {
            env: { ...process.env, LDAPTLS_CACERT: this.tls.caFile, LDAPTLS_REQCERT: "demand" },
            ...(input === undefined ? {} : { input }),
        });
    }

    asAdmin(cmd: string, args: string[], input?: string): string {
        return this.ldap(cmd, ["-D", this.tree.adminDn, "-y", this.passwordFile(), ...args], input);
    }

    async stop(): Promise<void> {
        await this.service?.stop();
    }
}

/** MariaDB started as the program's MySQL StatefulSet is (see test/services/login.test.ts), on an empty data directory. */
export class MariaDb {
    port = 0;
    private service?: Service;

    constructor(
        readonly dir: string,
        private readonly tools: Tools,
    ) {}

    get socket(): string {
        return path.join(this.dir, "mysqld.sock");
    }

    /** An empty server, then the init SQL (hubDatabaseSql) as the image runs it on a new volume. */
    async start(cfg: PlatformConfig, hubPassword: string): Promise<Service> {
        fs.mkdirSync(this.dir, { recursive: true });
        const datadir = path.join(this.dir, "data");
        run(this.tools.mariadbInstallDb, [
            "--no-defaults",
            `--datadir=${datadir}`,
            "--user=root",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
        ]);
        this.port = await freePort();
        this.service = new Service(
            `mariadbd (${path.basename(this.dir)})`,
            this.tools.mariadbd,
            [
                ...["--no-defaults", `--datadir=${datadir}`, `--port=${this.port}`, "--bind-address=127.0.0.1", `--socket=${this.socket}`],
                ...[
                    `--pid-file=${path.join(this.dir, "mysqld.pid")}`,
                    "--user=root",
                    "--skip-log-bin",
                    "--character-set-server=utf8mb4",
                    "--skip-name-resolve",
                ],
            ],
            path.join(this.dir, "mysqld.log"),
        );
        await waitFor(this.service.name, async () => fs.existsSync(this.socket) && (await portOpen(this.port)), this.service, 60_000);
        this.sqlAsRoot(hubDatabaseSql(cfg.mysql.database, cfg.mysql.user, hubPassword));
        return this.service;
    }

    sqlAsRoot(sql: string): string {
        return run(this.tools.mariadb, ["--no-defaults", `--socket=${this.socket}`, "-uroot", "--batch", "--skip-column-names"], { input: sql });
    }

    async stop(): Promise<void> {
        await this.service?.stop();
    }
}

/** The secrets HubSecrets generates, in their shape: 32 random bytes in hex each. */
export function hubSecrets(): { cookieSecret: string; cryptKeeperKey: string } {
    return { cookieSecret: crypto.randomBytes(32).toString("hex"), cryptKeeperKey: crypto.randomBytes(32).toString("hex") };
}

/**
 * JupyterHub from the program's chart values (hubValues) and existing Secret (hubSecretData) for
 * the dev stack, on a database and a directory of this machine: only addresses, ports and the CA
 * path are swapped, as in test/services/login.test.ts. A spawner that starts nothing; a service token for
 * the test's REST API calls.
 */
export class Hub {
    readonly apiToken = crypto.randomBytes(32).toString("hex");
    private readonly ports = { hub: 0, proxy: 0, proxyApi: 0 };
    private service?: Service;

    constructor(
        readonly dir: string,
        private readonly tools: Tools,
        private readonly cfg: PlatformConfig,
        private readonly secrets: { cookieSecret: string; cryptKeeperKey: string },
    ) {}

    get base(): string {
        return `http://127.0.0.1:${this.ports.proxy}`;
    }

    get log(): string {
        return this.service!.log;
    }

    async start(db: { port: number; password: string }, directory: { port: number; caFile: string }): Promise<Service> {
        fs.mkdirSync(this.dir, { recursive: true });
        for (const k of Object.keys(this.ports) as Array<keyof typeof this.ports>) this.ports[k] = await freePort();
        const url = (password?: string) =>
            hubDbUrl({ user: this.cfg.mysql.user, password, host: "127.0.0.1", port: db.port, database: this.cfg.mysql.database });
        const wiring: HubWiring = {
            dbUrl: url(),
            homeStorageClass: this.cfg.nfs.homeStorageClass,
            dbPoolRecycle: this.cfg.mysql.poolRecycle,
            shared: { claimName: "jupyterhub-shared", mountPath: this.cfg.nfs.shared.mountPath, readOnlyForUsers: this.cfg.nfs.shared.readOnlyForUsers },
            ldap: inClusterAuthSettings(inMode(this.cfg.ldap, "in-cluster"), this.cfg.namespace),
            ldapCaConfigMap: "jupyterhub-ldap-ca",
        };
        const hubSection = structuredClone((hubValues(this.cfg, wiring) as { hub: { config: Record<string, Json>; db: { url: string } } }).hub);
        const ldapAuth = hubSection.config.LDAPAuthenticator;
        ldapAuth.server_address = "localhost"; // in the certificate's SANs (ldapCertDnsNames)
        ldapAuth.server_port = directory.port;
        (ldapAuth.tls_kwargs as Json).ca_certs_file = directory.caFile;
        const file = (name: string, v: unknown) => fs.writeFileSync(path.join(this.dir, name), JSON.stringify(v, null, 2), { mode: 0o600 });
        file("hub-values.json", { config: hubSection.config, db: { url: hubSection.db.url } });
        file("hub-secret.json", hubSecretData({ ...this.secrets, dbUrl: url(db.password) }));
        file("test-settings.json", {
            // The chart's own proxy token: generated by z2jh (randAlphaNum 64).
            proxySecretToken: crypto.randomBytes(32).toString("hex"),
            apiToken: this.apiToken,
            chp: this.tools.chp,
            hubPort: this.ports.hub,
            proxyPort: this.ports.proxy,
            proxyApiPort: this.ports.proxyApi,
        });
        const env: NodeJS.ProcessEnv = { ...process.env, JHUB_TEST_STATE: this.dir, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}` };
        for (const k of ["JUPYTERHUB_CRYPT_KEY", "JPY_COOKIE_SECRET", "CONFIGPROXY_AUTH_TOKEN", "JUPYTERHUB_API_TOKEN"]) delete env[k];
        this.service = new Service(
            `jupyterhub (${path.basename(this.dir)})`,
            this.tools.jupyterhub,
            ["-f", path.join(ROOT, "test", "services", "jupyterhub_config.py")],
            path.join(this.dir, "jupyterhub.log"),
            { env, cwd: this.dir },
        );
        await waitFor(
            this.service.name,
            async () => (await fetch(`${this.base}/hub/api/`, { signal: AbortSignal.timeout(2000) })).status === 200,
            this.service,
            90_000,
        );
        return this.service;
    }

    async stop(): Promise<void> {
        await this.service?.stop(15_000);
    }

    async api(pathname: string): Promise<{ status: number; body: Json }> {
        const r = await fetch(`${this.base}/hub/api${pathname}`, { headers: { authorization: `token ${this.apiToken}` } });
        const text = await r.text();
        return { status: r.status, body: text ? (JSON.parse(text) as Json) : {} };
    }

    /** A browser's login: GET the form (for the _xsrf cookie and field), POST it. */
    async login(username: string, password: string): Promise<{ status: number; location: string | null; loggedIn: boolean; hubLog: () => string }> {
        const logFrom = fs.statSync(this.log).size;
        const b = new Browser();
        const page = await b.get(`${this.base}/hub/login`);
        assert.equal(page.status, 200, "GET /hub/login");
        const xsrf = /name="_xsrf"\s+value="([^"]+)"/.exec(page.body)?.[1];
        assert.ok(xsrf, "the login form carries an _xsrf field");
        const res = await b.postForm(`${this.base}/hub/login?next=${encodeURIComponent("/hub/home")}`, { _xsrf: xsrf, username, password });
        const hubLog = () => fs.readFileSync(this.log).subarray(logFrom).toString("utf8");
        return { status: res.status, location: res.location, loggedIn: b.cookies.has("jupyterhub-hub-login"), hubLog };
    }

    failure(): string {
        return tail(this.log, 30);
    }
}

interface Page {
    status: number;
    body: string;
    location: string | null;
    setCookies: string[];
}

/** A browser's navigation (JupyterHub sets _xsrf only on "sec-fetch-mode: navigate", which fetch() cannot send). */
const NAVIGATE = { "sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "user-agent": "services-test-browser" };

function httpRequest(method: "GET" | "POST", url: string, headers: Record<string, string>, body?: string): Promise<Page> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            url,
            { method, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) } },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                    resolve({
                        status: res.statusCode ?? 0,
                        body: Buffer.concat(chunks).toString("utf8"),
                        location: res.headers.location ?? null,
                        setCookies: res.headers["set-cookie"] ?? [],
                    }),
                );
                res.on("error", reject);
            },
        );
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url}: no answer in 30s`)));
        req.on("error", reject);
        req.end(body);
    });
}

/** A cookie jar; requests never follow redirects. */
class Browser {
    readonly cookies = new Map<string, string>();

    private remember(page: Page): void {
        for (const c of page.setCookies) {
            const [pair] = c.split(";");
            const eq = pair.indexOf("=");
            const value = pair.slice(eq + 1).trim();
            const name = pair.slice(0, eq).trim();
            if (value === "" || value === '""' || /expires=Thu, 01 Jan 1970/i.test(c) || /max-age=0/i.test(c)) this.cookies.delete(name);
            else this.cookies.set(name, value);
        }
    }

    private headers(site: string): Record<string, string> {
        const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
        return { ...NAVIGATE, "sec-fetch-site": site, ...(cookie ? { cookie } : {}) };
    }

    async get(url: string): Promise<Page> {
        const page = await httpRequest("GET", url, this.headers("none"));
        this.remember(page);
        return page;
    }

    async postForm(url: string, form: Record<string, string>): Promise<Page> {
        const headers = { ...this.headers("same-origin"), "content-type": "application/x-www-form-urlencoded", origin: new URL(url).origin };
        const page = await httpRequest("POST", url, headers, new URLSearchParams(form).toString());
        this.remember(page);
        return page;
    }
}
