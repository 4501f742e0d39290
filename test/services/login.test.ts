// Login end to end with real services and the configuration this program generates, without
// Kubernetes: OpenLDAP (Debian's slapd), a MySQL-compatible server (Debian's MariaDB) and
// JupyterHub with LDAPAuthenticator and configurable-http-proxy, all on 127.0.0.1.
//
// Run: .ci/services-setup.sh once (installs everything, idempotent), then `npm run test:services`.
// In test/services/, so that `npm test` (test/unit, test/program) does not run it.
//
// What comes from the program, through the same pure functions the components call:
//   - the stack config: parseConfig(Pulumi.dev.yaml);
//   - the directory: ldapTree, sshaHash, bootstrapLdif (loaded with slapadd before start, as the
//     image loads LDAP_CUSTOM_LDIF_DIR), groupSyncLdif (applied with ldapmodify over LDAPS, as the
//     sync Job does), ldapCertDnsNames (the server certificate's SANs);
//   - the database: hubDatabaseSql (run as root, as the mysql image runs /docker-entrypoint-initdb.d)
//     and hubDbUrl;
//   - the hub: inClusterAuthSettings, hubValues (and so ldapAuthenticatorConfig) and hubSecretData:
//     hub.config and hub.db.url from the chart values and the hub's existing Secret are written
//     to JSON and applied by test/services/jupyterhub_config.py as z2jh applies them (the
//     Secret's values.yaml merged over the chart values; cookie secret and CryptKeeper keys from
//     its keys). Only addresses, ports and the CA path are swapped for local ones.
//
// What the test stands in for, and how it differs:
//   - slapd.conf below does what symas/openldap does from the environment in components/openldap.ts:
//     mdb database with the stack's base DN, rootdn cn=admin,<baseDn>, schemas core, cosine,
//     inetorgperson, nis (LDAP_EXTRA_SCHEMAS), TLS files (LDAP_TLS_*), TLS required
//     (LDAP_REQUIRE_TLS), anonymous binds refused (LDAP_ALLOW_ANON_BINDING=no), and the ACL:
//     userPassword writable by its owner and usable for binds, everything else readable by
//     authenticated users only. Debian 12's slapd is OpenLDAP 2.5.13 (the image: 2.6.8), built
//     with GnuTLS (the image: OpenSSL).
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
//   - The hub runs JupyterHub 5.5.x, ldapauthenticator 2.0.2 and PyMySQL 1.2.0 from PyPI (see
//     requirements.txt) with configurable-http-proxy 5.2.0 (the chart's proxy image) from npm,
//     and a spawner that starts nothing.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { parseConfig, PlatformConfig } from "../../config";
import { hubSecretData, HubWiring, hubValues } from "../../components/jupyterhub";
import { hubDatabaseSql, hubDbUrl } from "../../components/mysql";
import { bootstrapLdif, groupSyncLdif, inClusterAuthSettings, ldapCertDnsNames, ldapTree, sshaHash } from "../../components/openldap";
import { inMode, rawStackConfig, ROOT } from "../support/helpers";
import { alnum, findTools, freePort, portOpen, run, Service, tail, Tools, waitFor } from "../support/services-env";

type Json = Record<string, unknown>;

const cfg: PlatformConfig = parseConfig(rawStackConfig("dev"), "dev");
const directory = inMode(cfg.ldap, "in-cluster");
const tree = ldapTree(directory);
const ADMIN = cfg.hub.admins[0];
const ALLOWED_GROUP = directory.allowedGroups[0];
const OUTSIDER = directory.users.map((u) => u.uid).find((uid) => !directory.groups.some((g) => g.members.includes(uid)))!;

/** Everything the test started or made, for the `after` hook. */
const services: Service[] = [];
let state = "";
let tools: Tools;
const ports = { ldap: 0, ldaps: 0, mysql: 0, hub: 0, proxy: 0, proxyApi: 0 };
const passwords: Record<string, string> = {};
const secrets = { ldapAdmin: alnum(32), mysqlHub: alnum(32), apiToken: crypto.randomBytes(32).toString("hex") };
const hubSecrets = {
    // The shape of HubSecrets' values: 32 random bytes in hex.
    cookieSecret: crypto.randomBytes(32).toString("hex"),
    cryptKeeperKey: crypto.randomBytes(32).toString("hex"),
};
/** The chart's own token, which z2jh generates (randAlphaNum 64) and keeps in its Secret. */
const proxyToken = alnum(64);
let hub: Service | undefined;
let hubRuns = 0;
let values: Json;
let setupError: Error | undefined;
let failed = false;

/** A test that fails with the set-up's error if the services could not be started. */
function test(name: string, fn: () => void | Promise<void>): void {
    it(name, async () => {
        try {
            if (setupError) throw new Error(`set-up failed: ${setupError.message}`);
            await fn();
        } catch (e) {
            failed = true;
            throw e;
        }
    });
}

const p = (...parts: string[]) => path.join(state, ...parts);
const base = () => `http://127.0.0.1:${ports.proxy}`;

// --- TLS -----------------------------------------------------------------------------------------

function makeCa(dir: string, cn: string): void {
    fs.mkdirSync(dir, { recursive: true });
    run(tools.openssl, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path.join(dir, "ca.key")]);
    run(tools.openssl, [
        "req",
        "-x509",
        "-new",
        "-key",
        path.join(dir, "ca.key"),
        "-subj",
        `/CN=${cn}/O=${directory.organisation}`,
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

/** Server certificate as components/openldap.ts requests it: SANs ldapCertDnsNames(...) + 127.0.0.1. */
function makeServerCert(dir: string, caDir: string): string[] {
    const dnsNames = ldapCertDnsNames("openldap", cfg.namespace);
    const key = path.join(dir, "tls.key");
    const csr = path.join(dir, "tls.csr");
    const ext = path.join(dir, "ext.cnf");
    run(tools.openssl, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
    run(tools.openssl, ["req", "-new", "-key", key, "-subj", `/CN=openldap.${cfg.namespace}.svc/O=${directory.organisation}`, "-out", csr]);
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
    run(tools.openssl, [
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

// --- OpenLDAP ------------------------------------------------------------------------------------

/** What symas/openldap configures from the Deployment's environment (see the header). */
function slapdConf(): string {
    const schemas = ["core", "cosine", "inetorgperson", "nis"].map((s) => `include /etc/ldap/schema/${s}.schema`);
    return [
        ...schemas,
        `pidfile ${p("ldap", "slapd.pid")}`,
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
        `TLSCACertificateFile ${p("tls", "ca", "ca.crt")}`,
        `TLSCertificateFile ${p("tls", "server", "tls.crt")}`,
        `TLSCertificateKeyFile ${p("tls", "server", "tls.key")}`,
        // LDAP_ALLOW_ANON_BINDING=no, LDAP_REQUIRE_TLS=yes
        "disallow bind_anon",
        "require authc",
        "security tls=1",
        "database mdb",
        `suffix "${tree.baseDn}"`,
        `rootdn "${tree.adminDn}"`,
        `rootpw ${sshaHash(secrets.ldapAdmin, crypto.randomBytes(8))}`,
        `directory ${p("ldap", "data")}`,
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

async function startLdap(): Promise<void> {
    fs.mkdirSync(p("ldap", "data"), { recursive: true });
    fs.writeFileSync(p("ldap", "slapd.conf"), slapdConf());
    const hashes: Record<string, string> = {};
    for (const u of directory.users) {
        passwords[u.uid] = alnum(20);
        hashes[u.uid] = sshaHash(passwords[u.uid], crypto.randomBytes(8));
    }
    fs.writeFileSync(p("ldap", "tree.ldif"), bootstrapLdif(directory, hashes));
    run(tools.slapadd, ["-f", p("ldap", "slapd.conf"), "-l", p("ldap", "tree.ldif")]);
    // -d: stay in the foreground (logging connections and operations), so the test owns the process.
    const slapd = new Service(
        "slapd",
        tools.slapd,
        ["-f", p("ldap", "slapd.conf"), "-h", `ldap://127.0.0.1:${ports.ldap}/ ldaps://127.0.0.1:${ports.ldaps}/`, "-d", "stats"],
        p("ldap", "slapd.log"),
    );
    services.push(slapd);
    await waitFor("slapd", () => portOpen(ports.ldaps), slapd, 20_000);
    // As the sync Job: group membership reset to the config, over LDAPS as the admin.
    fs.writeFileSync(p("ldap", "groups.ldif"), groupSyncLdif(directory));
    ldap(tools.ldapmodify, ["-D", tree.adminDn, "-w", secrets.ldapAdmin, "-f", p("ldap", "groups.ldif")]);
}

/** An ldap-utils command against the LDAPS port, verifying the server with the test's CA. */
function ldap(cmd: string, args: string[]): string {
    // By IP: libldap checks "localhost" against the machine's own name, not against "localhost".
    return run(cmd, ["-H", `ldaps://127.0.0.1:${ports.ldaps}`, "-x", ...args], {
        env: { ...process.env, LDAPTLS_CACERT: p("tls", "ca", "ca.crt"), LDAPTLS_REQCERT: "demand" },
    });
}

// --- MariaDB -------------------------------------------------------------------------------------

async function startMysql(): Promise<void> {
    const dir = p("mysql");
    fs.mkdirSync(dir, { recursive: true });
    run(tools.mariadbInstallDb, [
        "--no-defaults",
        `--datadir=${path.join(dir, "data")}`,
        "--user=root",
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
    ]);
    const server = new Service(
        "mariadbd",
        tools.mariadbd,
        [
            "--no-defaults",
            `--datadir=${path.join(dir, "data")}`,
            `--port=${ports.mysql}`,
            "--bind-address=127.0.0.1",
            `--socket=${path.join(dir, "mysqld.sock")}`,
            `--pid-file=${path.join(dir, "mysqld.pid")}`,
            "--user=root",
            // The StatefulSet's args: no binary log, utf8mb4. skip-name-resolve as in mysql:8.4's my.cnf.
            "--skip-log-bin",
            "--character-set-server=utf8mb4",
            "--skip-name-resolve",
        ],
        path.join(dir, "mysqld.log"),
    );
    services.push(server);
    await waitFor("mariadbd", async () => fs.existsSync(path.join(dir, "mysqld.sock")) && (await portOpen(ports.mysql)), server, 60_000);
    sqlAsRoot(hubDatabaseSql(cfg.mysql.database, cfg.mysql.user, secrets.mysqlHub));
}

function sqlAsRoot(sql: string): string {
    return run(tools.mariadb, ["--no-defaults", `--socket=${p("mysql", "mysqld.sock")}`, "-uroot", "--batch", "--skip-column-names"], { input: sql });
}

/** A query as the generated hub user, over TCP like the hub. */
function sqlAsHubUser(sql: string): string[][] {
    const out = run(
        tools.mariadb,
        [
            "--no-defaults",
            "--protocol=TCP",
            "-h127.0.0.1",
            `-P${ports.mysql}`,
            `-u${cfg.mysql.user}`,
            "--batch",
            "--skip-column-names",
            cfg.mysql.database,
            "-e",
            sql,
        ],
        { env: { ...process.env, MYSQL_PWD: secrets.mysqlHub } },
    );
    return out
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => l.split("\t"));
}

// --- JupyterHub ----------------------------------------------------------------------------------

/** The database URL as MySql builds it, with the local server's address instead of the Service's. */
const localDbUrl = (password?: string) => hubDbUrl({ user: cfg.mysql.user, password, host: "127.0.0.1", port: ports.mysql, database: cfg.mysql.database });

/** The hub's existing Secret, from hubSecretData with the local database. */
function generatedSecret(): Record<string, string> {
    return hubSecretData({ ...hubSecrets, dbUrl: localDbUrl(secrets.mysqlHub) });
}

/** The chart values, from hubValues with the dev stack and local wiring. */
function generatedValues(): Json {
    const wiring: HubWiring = {
        dbUrl: localDbUrl(),
        homeStorageClass: cfg.nfs.homeStorageClass,
        dbPoolRecycle: cfg.mysql.poolRecycle,
        shared: { claimName: "jupyterhub-shared", mountPath: cfg.nfs.shared.mountPath, readOnlyForUsers: cfg.nfs.shared.readOnlyForUsers },
        ldap: inClusterAuthSettings(directory, cfg.namespace),
        ldapCaConfigMap: "jupyterhub-ldap-ca",
    };
    return hubValues(cfg, wiring);
}

/** hub.config and hub.db.url, with only the directory's address, port and CA file swapped. */
function hubValuesForTest(caFile: string): Json {
    const hubSection = structuredClone(values.hub) as { config: Record<string, Json>; db: { url: string } };
    const ldapAuth = hubSection.config.LDAPAuthenticator;
    ldapAuth.server_address = "localhost"; // in the certificate's SANs (ldapCertDnsNames)
    ldapAuth.server_port = ports.ldaps;
    (ldapAuth.tls_kwargs as Json).ca_certs_file = caFile;
    return { config: hubSection.config, db: { url: hubSection.db.url } };
}

async function startHub(caFile: string): Promise<Service> {
    hubRuns += 1;
    fs.writeFileSync(p("hub", "hub-values.json"), JSON.stringify(hubValuesForTest(caFile), null, 2), { mode: 0o600 });
    fs.writeFileSync(p("hub", "hub-secret.json"), JSON.stringify(generatedSecret(), null, 2), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        JHUB_TEST_STATE: p("hub"),
        // node (for configurable-http-proxy) is the one running this test.
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    };
    // Secrets come from the values only.
    for (const k of ["JUPYTERHUB_CRYPT_KEY", "JPY_COOKIE_SECRET", "CONFIGPROXY_AUTH_TOKEN", "JUPYTERHUB_API_TOKEN"]) delete env[k];
    const svc = new Service(
        `jupyterhub (run ${hubRuns})`,
        tools.jupyterhub,
        ["-f", path.join(ROOT, "test", "services", "jupyterhub_config.py")],
        p("hub", `jupyterhub-${hubRuns}.log`),
        { env, cwd: p("hub") },
    );
    services.push(svc);
    await waitFor(
        `${svc.name}`,
        async () => {
            const r = await fetch(`${base()}/hub/api/`, { signal: AbortSignal.timeout(2000) });
            return r.status === 200;
        },
        svc,
        90_000,
    );
    return svc;
}

async function stopHub(): Promise<void> {
    await hub?.stop(15_000);
    hub = undefined;
}

// --- HTTP as a browser ---------------------------------------------------------------------------

/**
 * What a browser sends when the user opens a page or submits a form. JupyterHub sets its _xsrf
 * cookie only on navigations ("sec-fetch-mode: navigate"). fetch() cannot say that (it always
 * sends "cors", as the Fetch standard requires), so the browser's requests go through node:http.
 */
const NAVIGATE = { "sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "user-agent": "services-test-browser" };

interface Page {
    status: number;
    body: string;
    location: string | null;
    setCookies: string[];
}

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

/** A cookie jar and requests that never follow redirects, as the test must see each answer. */
class Browser {
    readonly cookies = new Map<string, string>();

    private remember(page: Page): void {
        for (const c of page.setCookies) {
            const [pair] = c.split(";");
            const eq = pair.indexOf("=");
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            // An expired or empty cookie is a deletion.
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
        const page = await httpRequest(
            "POST",
            url,
            { ...this.headers("same-origin"), "content-type": "application/x-www-form-urlencoded", origin: new URL(url).origin },
            new URLSearchParams(form).toString(),
        );
        this.remember(page);
        return page;
    }
}

/** GET the login page (for the _xsrf cookie and form field), then POST the form. */
async function login(username: string, password: string) {
    const logFrom = fs.statSync(hub!.log).size;
    const b = new Browser();
    const page = await b.get(`${base()}/hub/login`);
    assert.equal(page.status, 200, "GET /hub/login");
    const xsrf = /name="_xsrf"\s+value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(xsrf, "the login form carries an _xsrf field");
    assert.ok(b.cookies.has("_xsrf"), "GET /hub/login sets the _xsrf cookie");
    const res = await b.postForm(`${base()}/hub/login?next=${encodeURIComponent("/hub/home")}`, { _xsrf: xsrf, username, password });
    // What the hub logged while handling this login.
    const hubLog = () => fs.readFileSync(hub!.log).subarray(logFrom).toString("utf8");
    return { ...res, browser: b, loggedIn: b.cookies.has("jupyterhub-hub-login"), hubLog };
}

async function api(pathname: string): Promise<{ status: number; body: Json }> {
    const r = await fetch(`${base()}/hub/api${pathname}`, { headers: { authorization: `token ${secrets.apiToken}` } });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as Json) : {} };
}

function assertLoggedIn(r: Awaited<ReturnType<typeof login>>, who: string): void {
    assert.equal(r.status, 302, `${who}: POST /hub/login answers 302; body: ${r.body.slice(0, 300)}\n${tail(hub!.log, 20)}`);
    assert.ok(r.loggedIn, `${who}: a jupyterhub-hub-login cookie is set (got ${r.setCookies.join(" | ")})`);
    assert.ok(r.browser.cookies.has("jupyterhub-session-id"), `${who}: a jupyterhub-session-id cookie is set`);
    assert.equal(r.location, "/hub/home");
}

function assertRefused(r: Awaited<ReturnType<typeof login>>, who: string): void {
    assert.notEqual(r.status, 302, `${who}: no redirect`);
    assert.ok(!r.loggedIn, `${who}: no login cookie (got ${r.setCookies.join(" | ")})`);
}

// --- the test ------------------------------------------------------------------------------------

describe(`login with real OpenLDAP, MariaDB and JupyterHub, configured from Pulumi.${cfg.stack}.yaml`, () => {
    before(
        async () => {
            try {
                await setUp();
            } catch (e) {
                // Reported by every test below, so that a missing tool fails them (never skips).
                setupError = e as Error;
            }
        },
        { timeout: 180_000 },
    );

    async function setUp(): Promise<void> {
        tools = findTools();
        state = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-services-"));
        for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
        makeCa(p("tls", "ca"), "JupyterHub platform LDAP CA (services test)");
        makeCa(p("tls", "wrong-ca"), "An unrelated CA");
        fs.mkdirSync(p("tls", "server"), { recursive: true });
        makeServerCert(p("tls", "server"), p("tls", "ca"));
        fs.mkdirSync(p("hub"), { recursive: true });
        fs.writeFileSync(
            p("hub", "test-settings.json"),
            JSON.stringify({
                proxySecretToken: proxyToken,
                apiToken: secrets.apiToken,
                chp: tools.chp,
                hubPort: ports.hub,
                proxyPort: ports.proxy,
                proxyApiPort: ports.proxyApi,
            }),
            { mode: 0o600 },
        );
        await Promise.all([startLdap(), startMysql()]);
        values = generatedValues();
        hub = await startHub(p("tls", "ca", "ca.crt"));
    }

    after(async () => {
        // Every process the test started, by its own process group, even after a failure: the hub
        // (and its proxy) first, then the services it uses.
        for (const s of [...services].reverse()) await s.stop();
        // Logs and data stay for a look after a failure (or with JHUB_SERVICES_KEEP=1).
        if (state && !failed && process.env.JHUB_SERVICES_KEEP !== "1") fs.rmSync(state, { recursive: true, force: true });
        else if (state) console.log(`# state and logs kept in ${state}`);
    });

    test("the generated values name the in-cluster services; the test swaps only addresses, ports and the CA path", () => {
        const hubSection = values.hub as { config: Record<string, Json>; db: { url: string } };
        const ldapAuth = hubSection.config.LDAPAuthenticator;
        assert.equal(ldapAuth.server_address, `openldap.${cfg.namespace}.svc.cluster.local`);
        assert.equal(ldapAuth.server_port, 636);
        assert.equal((ldapAuth.tls_kwargs as Json).ca_certs_file, "/etc/jupyterhub/ldap-ca/ca.crt");
        assert.ok(ldapCertDnsNames("openldap", cfg.namespace).includes("localhost"), "the certificate covers localhost");
        const local = hubValuesForTest("/ca.crt");
        const swapped = structuredClone(local) as { config: Record<string, Json> };
        const l = swapped.config.LDAPAuthenticator;
        l.server_address = ldapAuth.server_address;
        l.server_port = ldapAuth.server_port;
        (l.tls_kwargs as Json).ca_certs_file = (ldapAuth.tls_kwargs as Json).ca_certs_file;
        assert.deepEqual(swapped.config, hubSection.config, "nothing else in hub.config differs from what hubValues made");
        // The chart's URL has no password; the Secret's, merged over it at the hub's start, has.
        assert.equal((local.db as Json).url, `mysql+pymysql://${cfg.mysql.user}@127.0.0.1:${ports.mysql}/${cfg.mysql.database}`);
        assert.match(
            (JSON.parse(generatedSecret()["values.yaml"]) as { hub: { db: { url: string } } }).hub.db.url,
            new RegExp(`^mysql\\+pymysql://${cfg.mysql.user}:[A-Za-z0-9]+@127\\.0\\.0\\.1:${ports.mysql}/${cfg.mysql.database}$`),
        );
    });

    test("slapd serves the bootstrapped tree over LDAPS, with the {SSHA} passwords, to authenticated users only", () => {
        assert.equal(ldap(tools.ldapwhoami, ["-D", tree.userDn(ADMIN), "-w", passwords[ADMIN]]).trim(), `dn:${tree.userDn(ADMIN)}`);
        assert.throws(() => ldap(tools.ldapwhoami, ["-D", tree.userDn(ADMIN), "-w", "wrong"]), /Invalid credentials/);
        assert.throws(() => ldap(tools.ldapsearch, ["-LLL", "-b", tree.baseDn, "uid=*"]), /Inappropriate authentication|unwilling|authentication required/i);
        const members = ldap(tools.ldapsearch, [
            "-LLL",
            "-D",
            tree.userDn(OUTSIDER),
            "-w",
            passwords[OUTSIDER],
            "-b",
            tree.groupDn(ALLOWED_GROUP),
            "-s",
            "base",
            "member",
        ]);
        assert.match(members, new RegExp(`member: ${tree.userDn(ADMIN)}`));
        assert.doesNotMatch(members, new RegExp(`member: ${tree.userDn(OUTSIDER)}`));
        const others = ldap(tools.ldapsearch, [
            "-LLL",
            "-D",
            tree.userDn(OUTSIDER),
            "-w",
            passwords[OUTSIDER],
            "-b",
            tree.userDn(ADMIN),
            "-s",
            "base",
            "userPassword",
        ]);
        assert.doesNotMatch(others, /userPassword/, "a user cannot read another's password hash");
    });

    test(`${ADMIN} (in ${ALLOWED_GROUP}) logs in with the right password: 302 and login cookies`, async () => {
        assertLoggedIn(await login(ADMIN, passwords[ADMIN]), ADMIN);
    });

    test(`${ADMIN} with a wrong password is refused: the login form again, no login cookie`, async () => {
        const r = await login(ADMIN, `${passwords[ADMIN]}x`);
        assertRefused(r, `${ADMIN} (wrong password)`);
        assert.equal(r.status, 403);
        assert.match(r.body, /Invalid username or password/);
        assert.match(r.body, /<form[^>]*action="[^"]*\/hub\/login/);
        assert.match(r.hubLog(), new RegExp(`Failed to bind user '${ADMIN}'`), "refused by the directory (bind failed)");
    });

    test(`${OUTSIDER} (valid password, not in ${ALLOWED_GROUP}) is refused`, async () => {
        assert.doesNotThrow(() => ldap(tools.ldapwhoami, ["-D", tree.userDn(OUTSIDER), "-w", passwords[OUTSIDER]]), "the password itself is right");
        const r = await login(OUTSIDER, passwords[OUTSIDER]);
        assertRefused(r, OUTSIDER);
        assert.equal(r.status, 403);
        assert.match(r.hubLog(), new RegExp(`User '${OUTSIDER}' not allowed`), "refused by the allowed-groups check, not by the bind");
    });

    test(`the REST API lists ${ADMIN} as an admin (hub.admins) and ${OUTSIDER} as no user at all`, async () => {
        const demo = await api(`/users/${ADMIN}`);
        assert.equal(demo.status, 200, JSON.stringify(demo.body));
        assert.equal(demo.body.admin, true);
        const outsider = await api(`/users/${OUTSIDER}`);
        assert.ok(outsider.status === 404 || outsider.body.admin === false, `outsider: ${outsider.status} ${JSON.stringify(outsider.body)}`);
        const all = await api("/users");
        assert.equal(all.status, 200);
        const names = (all.body as unknown as Array<{ name: string; admin: boolean }>).map((u) => `${u.name}${u.admin ? " (admin)" : ""}`);
        assert.deepEqual(names, [`${ADMIN} (admin)`]);
    });

    test("auth_state is encrypted with the existing Secret's CryptKeeper keys (no JUPYTERHUB_CRYPT_KEY in the hub's environment)", async () => {
        // enable_auth_state without a key stops the hub at start; here it runs, and decrypts:
        const demo = await api(`/users/${ADMIN}`);
        const authState = demo.body.auth_state as { ldap_groups?: string[] } | null;
        assert.deepEqual(authState?.ldap_groups, [tree.groupDn(ALLOWED_GROUP)], JSON.stringify(demo.body));
        const [[stored]] = sqlAsHubUser(`SELECT HEX(encrypted_auth_state) FROM users WHERE name = '${ADMIN}'`);
        assert.ok(stored.length > 64, "users.encrypted_auth_state is set");
        assert.doesNotMatch(Buffer.from(stored, "hex").toString("latin1"), /ldap_groups/, "and is not plain JSON");
    });

    test(`the hub's tables are in the MySQL database "${cfg.mysql.database}"`, () => {
        const tables = sqlAsRoot(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${cfg.mysql.database}' ORDER BY table_name;`).split(
            "\n",
        );
        for (const t of ["alembic_version", "api_tokens", "groups", "oauth_clients", "roles", "servers", "services", "spawners", "users"]) {
            assert.ok(tables.includes(t), `table ${t} exists (have: ${tables.join(", ")})`);
        }
    });

    test(`the generated hub user "${cfg.mysql.user}" reaches them with its password and sees ${ADMIN} as admin`, () => {
        assert.deepEqual(sqlAsHubUser(`SELECT name, admin FROM users WHERE name = '${ADMIN}'`), [[ADMIN, "1"]]);
        const grants = sqlAsHubUser("SHOW GRANTS FOR CURRENT_USER").map((r) => r[0]);
        assert.ok(
            grants.some((g) => g.includes(`ALL PRIVILEGES ON \`${cfg.mysql.database}\`.*`)),
            grants.join("\n"),
        );
        assert.throws(() => sqlAsHubUser("SELECT COUNT(*) FROM mysql.user"), /denied/, "and nothing outside its database");
    });

    test(`after a hub restart ${ADMIN} is still in the database, still admin, and logs in again`, async () => {
        await stopHub();
        hub = await startHub(p("tls", "ca", "ca.crt"));
        assert.deepEqual(sqlAsHubUser(`SELECT name FROM users WHERE name = '${ADMIN}'`), [[ADMIN]]);
        const demo = await api(`/users/${ADMIN}`);
        assert.equal(demo.status, 200);
        assert.equal(demo.body.admin, true);
        assertLoggedIn(await login(ADMIN, passwords[ADMIN]), `${ADMIN} after restart`);
    });

    test("the directory's certificate is verified: with an unrelated CA as tls_kwargs.ca_certs_file the login fails", async () => {
        await stopHub();
        hub = await startHub(p("tls", "wrong-ca", "ca.crt"));
        const r = await login(ADMIN, passwords[ADMIN]);
        assertRefused(r, `${ADMIN} (hub trusts the wrong CA)`);
        // ldapauthenticator 2.0 raises on TLS errors (no "invalid password" page): the hub answers 500.
        assert.match(r.hubLog(), /CERTIFICATE_VERIFY_FAILED|certificate verify failed/, `hub log shows the TLS failure:\n${tail(hub.log, 30)}`);
    });
});
