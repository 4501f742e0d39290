// Backup and restore with real servers, as the backup CronJobs and the restore steps of
// docs/operations.md do it, without Kubernetes: the dev stack's hub database on MariaDB and its
// directory on slapd, used by JupyterHub (test/support/services-servers.ts; what stands in for
// what: login.test.ts).
//
// The dumps are made by the very scripts the CronJobs run (dumpHubDbScript, dumpDirectoryScript:
// mysqldump --single-transaction as the hub user through the options file mysqlClientOptions
// makes, ldapsearch as the directory's admin over LDAPS), with the environment the component sets
// (hubDbEnv, directoryEnv) pointing at local paths; the hub-db script under bash (the MySQL
// image's sh), the directory's under dash (the directory image's). They are restored with the
// scripts of the restore steps (restoreHubDbScript, restoreDirectoryScript) into fresh servers,
// started as a new volume starts them in the cluster: MariaDB with only the init SQL, slapd with
// the stack's bootstrap tree. Then a hub on the fresh servers must have the same users, read
// their encrypted auth state, and let them log in with their passwords as they were at the dump.
//
// Run: `npm run test:services` (after .ci/services-setup.sh). Prints the dump and restore times.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import {
    directoryEnv,
    DUMP_DIRS,
    dumpDirectoryScript,
    dumpHubDbScript,
    hubDbEnv,
    mysqlClientOptions,
    preUpgradeLabel,
    restoreDirectoryScript,
    restoreHubDbScript,
} from "../../components/backup";
import { ldapTree, sshaHash } from "../../components/openldap";
import { parseConfig, PlatformConfig } from "../../config";
import { inMode, rawStackConfig } from "../support/helpers";
import { alnum, findTools, Tools } from "../support/services-env";
import { Hub, hubSecrets, makeTls, MariaDb, Slapd } from "../support/services-servers";

const cfg: PlatformConfig = parseConfig(rawStackConfig("dev"), "dev");
const directoryConfig = inMode(cfg.ldap, "in-cluster");
const mysql = inMode(cfg.mysql, "in-cluster");
const tree = ldapTree(directoryConfig);
const ADMIN = cfg.hub.admins[0];
const ALLOWED_GROUP = directoryConfig.allowedGroups[0];
const OUTSIDER = directoryConfig.users.map((u) => u.uid).find((uid) => !directoryConfig.groups.some((g) => g.members.includes(uid)))!;
const KEEP = 2;

let tools: Tools;
let state = "";
let setupError: Error | undefined;
let failed = false;
const p = (...parts: string[]) => path.join(state, ...parts);
/** Both servers of a kind share their Secret: one admin password, one hub password (with characters the options file must quote). */
const secrets = { ldapAdmin: alnum(32), hubDb: `${alnum(20)} "q" \\ #;'x` };
const hubSecretValues = hubSecrets();
/** Passwords as bootstrapped, and the administrator's after it was changed in the directory. */
const bootstrapPasswords: Record<string, string> = {};
const changedPassword = alnum(20);
const timings: Record<string, number> = {};

let tls: ReturnType<typeof makeTls>;
let source: { slapd: Slapd; db: MariaDb; hub: Hub };
let fresh: { slapd: Slapd; db: MariaDb; hub: Hub };
/** What the hub's REST API said about its users before the dump. */
let usersBefore: string[] = [];
const running: Array<{ stop(): Promise<void> }> = [];

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

/** Runs one of the backup scripts as the pods do, timed; fails with its output. */
function runScript(shell: string, script: string, env: Record<string, string>, args: string[] = [], label?: string): string {
    const file = p("scripts", `${crypto.randomUUID()}.sh`);
    fs.writeFileSync(file, script);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(shell, [file, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (label) timings[label] = seconds;
    assert.equal(r.status, 0, `${shell} ${script.split("\n").find((l) => /mysqldump|ldap/.test(l)) ?? ""}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    return r.stdout;
}

/** The options file the Secret backup-hub-db holds, for a server on this machine. */
function optionsFile(name: string, db: MariaDb): string {
    const file = p("credentials", `${name}.cnf`);
    fs.writeFileSync(file, mysqlClientOptions({ host: "127.0.0.1", port: db.port, user: cfg.mysql.user, password: secrets.hubDb }), { mode: 0o600 });
    return file;
}

const hubDb = (db: MariaDb, root: string, label?: string) =>
    hubDbEnv({ root, defaultsFile: optionsFile(path.basename(db.dir), db), database: cfg.mysql.database, keep: KEEP, preUpgradeLabel: label });
const directory = (slapd: Slapd, root: string) =>
    directoryEnv({ root, keep: KEEP, uri: slapd.uri, tree, passwordFile: slapd.passwordFile(), caFile: tls.caFile });

const dumps = (sub: string, root = p("backups")) => (fs.existsSync(path.join(root, sub)) ? fs.readdirSync(path.join(root, sub)).sort() : []);
const newest = (sub: string, root = p("backups")) => dumps(sub, root).at(-1)!;
const read = (sub: string, file: string, root = p("backups")) => fs.readFileSync(path.join(root, sub, file), "utf8");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a user binds with a password. */
function binds(slapd: Slapd, uid: string, password: string): boolean {
    try {
        slapd.ldap(tools.ldapwhoami, ["-D", tree.userDn(uid), "-w", password]);
        return true;
    } catch {
        return false;
    }
}

async function userList(hub: Hub): Promise<string[]> {
    const all = await hub.api("/users");
    assert.equal(all.status, 200, JSON.stringify(all.body));
    return (all.body as unknown as Array<{ name: string; admin: boolean }>).map((u) => `${u.name}${u.admin ? " (admin)" : ""}`).sort();
}

function missingTools(): string[] {
    return ["mysqldump", "mysql", "ldapsearch", "ldapdelete", "ldapadd", "bash", "dash"].filter(
        (t) => spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).status !== 0,
    );
}

describe(`backup and restore with real MariaDB, slapd and JupyterHub, configured from Pulumi.${cfg.stack}.yaml`, () => {
    before(
        async () => {
            try {
                await setUp();
            } catch (e) {
                setupError = e as Error;
            }
        },
        { timeout: 240_000 },
    );

    async function setUp(): Promise<void> {
        tools = findTools();
        const missing = missingTools();
        if (missing.length > 0) throw new Error(`missing: ${missing.join(", ")}; run .ci/services-setup.sh`);
        state = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-backup-"));
        for (const d of ["scripts", "credentials", "backups"]) fs.mkdirSync(p(d));
        tls = makeTls(tools, p("tls"), cfg);
        const hashes: Record<string, string> = {};
        for (const u of directoryConfig.users) {
            bootstrapPasswords[u.uid] = alnum(20);
            hashes[u.uid] = sshaHash(bootstrapPasswords[u.uid], crypto.randomBytes(8));
        }
        const servers = (name: string) => ({
            slapd: new Slapd(p(name, "ldap"), tools, tree, tls, secrets.ldapAdmin),
            db: new MariaDb(p(name, "mysql"), tools),
            hub: new Hub(p(name, "hub"), tools, cfg, hubSecretValues),
        });
        source = servers("source");
        fresh = servers("fresh");
        running.push(source.slapd, source.db, fresh.slapd, fresh.db);
        await Promise.all([source.slapd.start(cfg, hashes), source.db.start(cfg, secrets.hubDb)]);
        // The fresh directory starts as a new volume would: from the same bootstrap Secret.
        await Promise.all([fresh.slapd.start(cfg, hashes), fresh.db.start(cfg, secrets.hubDb)]);
        running.push(source.hub, fresh.hub);
        await source.hub.start({ port: source.db.port, password: secrets.hubDb }, { port: source.slapd.ldapsPort, caFile: tls.caFile });

        // Life after the bootstrap, which only the backups know: the administrator logs in, then
        // changes password; the outsider joins the allowed group and logs in too.
        const first = await source.hub.login(ADMIN, bootstrapPasswords[ADMIN]);
        assert.equal(first.status, 302, source.hub.failure());
        source.slapd.asAdmin(
            tools.ldapmodify,
            [],
            `dn: ${tree.userDn(ADMIN)}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${sshaHash(changedPassword, crypto.randomBytes(8))}\n`,
        );
        source.slapd.asAdmin(tools.ldapmodify, [], `dn: ${tree.groupDn(ALLOWED_GROUP)}\nchangetype: modify\nadd: member\nmember: ${tree.userDn(OUTSIDER)}\n`);
        const outsider = await source.hub.login(OUTSIDER, bootstrapPasswords[OUTSIDER]);
        assert.equal(outsider.status, 302, `${OUTSIDER} joins ${ALLOWED_GROUP} and logs in:\n${source.hub.failure()}`);
        usersBefore = await userList(source.hub);
    }

    after(async () => {
        for (const s of [...running].reverse()) await s.stop();
        const t = (k: string) => (timings[k] === undefined ? "n/a" : `${timings[k].toFixed(2)} s`);
        console.log(
            `# backup timings (the dev stack's test data: ${directoryConfig.users.length} directory users, ${usersBefore.length} hub users): ` +
                `dump hub-db ${t("dump hub-db")}, export directory ${t("dump directory")}, ` +
                `restore hub-db ${t("restore hub-db")}, restore directory ${t("restore directory")}`,
        );
        if (state && !failed && process.env.JHUB_SERVICES_KEEP !== "1") fs.rmSync(state, { recursive: true, force: true });
        else if (state) console.log(`# state and logs kept in ${state}`);
    });

    test("dump for restore: the CronJob's dump-hub-db.sh writes a complete, timestamped mysqldump of the live hub database as the hub user, keeping the last 2", async () => {
        for (let i = 0; i < 3; i++) {
            if (i > 0) await sleep(1100); // a new second, a new name
            runScript("bash", dumpHubDbScript(), hubDb(source.db, p("backups")), [], "dump hub-db");
        }
        const files = dumps(DUMP_DIRS.hubDb);
        assert.equal(files.length, KEEP, files.join(", "));
        for (const f of files) assert.match(f, /^hub-db-\d{8}T\d{6}Z\.sql$/);
        const sql = read(DUMP_DIRS.hubDb, newest(DUMP_DIRS.hubDb));
        assert.match(sql.trimEnd().split("\n").at(-1)!, /^-- Dump completed on /);
        assert.match(sql, new RegExp(`INSERT INTO \`users\` VALUES\\s.*'${ADMIN}'.*'${OUTSIDER}'`, "s"));
        assert.ok(!sql.includes(secrets.hubDb), "the dump holds no database password");
        console.log(`# hub-db dump: ${Buffer.byteLength(sql)} bytes in ${timings["dump hub-db"].toFixed(2)} s`);
    });

    test("dump for restore: the Job before an upgrade writes its dump apart, named after the versions", () => {
        runScript("bash", dumpHubDbScript(), hubDb(source.db, p("backups"), preUpgradeLabel(cfg.hub.chartVersion, mysql.image)));
        const [file] = dumps(DUMP_DIRS.preUpgrade);
        assert.match(file, /^hub-db-\d{8}T\d{6}Z-before-chart-4\.4\.0-mysql-8\.4\.7\.sql$/);
        assert.match(read(DUMP_DIRS.preUpgrade, file), /-- Dump completed on /);
    });

    test("dump for restore: the CronJob's dump-directory.sh exports the whole tree as the admin over LDAPS, password hashes included, keeping the last 2", async () => {
        for (let i = 0; i < 3; i++) {
            if (i > 0) await sleep(1100);
            runScript("dash", dumpDirectoryScript(), directory(source.slapd, p("backups")), [], "dump directory");
        }
        const files = dumps(DUMP_DIRS.directory);
        assert.equal(files.length, KEEP, files.join(", "));
        for (const f of files) assert.match(f, /^directory-\d{8}T\d{6}Z\.ldif$/);
        const ldif = read(DUMP_DIRS.directory, newest(DUMP_DIRS.directory));
        const dns = [...ldif.matchAll(/^dn: (.*)$/gm)].map((m) => m[1]);
        // Base, two OUs, the users, the groups; parents first.
        assert.equal(dns.length, 3 + directoryConfig.users.length + directoryConfig.groups.length, dns.join("\n"));
        assert.equal(dns[0], tree.baseDn);
        assert.equal((ldif.match(/^userPassword:: /gm) ?? []).length, directoryConfig.users.length, "every user's hash, as the admin sees it");
        assert.match(ldif, new RegExp(`member: ${tree.userDn(OUTSIDER)}`));
        console.log(`# directory export: ${dns.length} entries, ${Buffer.byteLength(ldif)} bytes in ${timings["dump directory"].toFixed(2)} s`);
    });

    test("restore: restore-hub-db.sh loads the newest dump into a fresh MariaDB (initialised as a new volume is), which then dumps to the same SQL", () => {
        const file = `${DUMP_DIRS.hubDb}/${newest(DUMP_DIRS.hubDb)}`;
        const out = runScript("bash", restoreHubDbScript(), hubDb(fresh.db, p("backups")), [file], "restore hub-db");
        assert.match(out, new RegExp(`restored ${cfg.mysql.database} from .*${newest(DUMP_DIRS.hubDb)}: \\d+ tables`));
        // Dumped again with the same script: the same SQL but for the time it was made.
        runScript("bash", dumpHubDbScript(), hubDb(fresh.db, p("check")));
        const body = (sql: string) => sql.replace(/^-- Dump completed on .*$/m, "");
        assert.equal(body(read(DUMP_DIRS.hubDb, newest(DUMP_DIRS.hubDb, p("check")), p("check"))), body(read(DUMP_DIRS.hubDb, newest(DUMP_DIRS.hubDb))));
        console.log(`# hub-db restore: ${timings["restore hub-db"].toFixed(2)} s`);
    });

    test("restore: restore-directory.sh replaces the tree of a fresh slapd (bootstrapped as a new volume is) with the export: passwords and groups as at the dump", () => {
        assert.ok(binds(fresh.slapd, ADMIN, bootstrapPasswords[ADMIN]) && !binds(fresh.slapd, ADMIN, changedPassword), "before: the bootstrap password");
        const file = `${DUMP_DIRS.directory}/${newest(DUMP_DIRS.directory)}`;
        const out = runScript("dash", restoreDirectoryScript(), directory(fresh.slapd, p("backups")), [file], "restore directory");
        assert.match(out, /restored \d+ entries under /);
        assert.ok(binds(fresh.slapd, ADMIN, changedPassword), `${ADMIN} binds with the password changed after the bootstrap`);
        assert.ok(!binds(fresh.slapd, ADMIN, bootstrapPasswords[ADMIN]), "and no longer with the bootstrap one");
        // Exported again with the same script: the same entries, in the same order.
        runScript("dash", dumpDirectoryScript(), directory(fresh.slapd, p("check")));
        assert.equal(read(DUMP_DIRS.directory, newest(DUMP_DIRS.directory, p("check")), p("check")), read(DUMP_DIRS.directory, newest(DUMP_DIRS.directory)));
        console.log(`# directory restore: ${timings["restore directory"].toFixed(2)} s`);
    });

    test("restore: the hub starts on the restored servers alone with the same users and admin, reads their auth state, and they log in", async () => {
        // The source servers are gone: only the restored ones remain.
        await source.hub.stop();
        await source.slapd.stop();
        await source.db.stop();
        await fresh.hub.start({ port: fresh.db.port, password: secrets.hubDb }, { port: fresh.slapd.ldapsPort, caFile: tls.caFile });
        assert.deepEqual(await userList(fresh.hub), usersBefore);
        assert.deepEqual(usersBefore, [`${ADMIN} (admin)`, OUTSIDER].sort());
        const admin = await fresh.hub.api(`/users/${ADMIN}`);
        // auth_state was encrypted by the source hub with the CryptKeeper key of hub-secrets: the
        // same stack's key reads it (a restore into another stack's hub would not).
        assert.deepEqual((admin.body.auth_state as { ldap_groups?: string[] } | null)?.ldap_groups, [tree.groupDn(ALLOWED_GROUP)], JSON.stringify(admin.body));

        const r = await fresh.hub.login(ADMIN, changedPassword);
        assert.equal(r.status, 302, `${ADMIN} logs in with the current password:\n${fresh.hub.failure()}`);
        assert.ok(r.loggedIn);
        assert.equal(r.location, "/hub/home");
        const old = await fresh.hub.login(ADMIN, bootstrapPasswords[ADMIN]);
        assert.equal(old.status, 403, `${ADMIN}'s bootstrap password is refused`);
        assert.match(old.hubLog(), new RegExp(`Failed to bind user '${ADMIN}'`));
        const outsider = await fresh.hub.login(OUTSIDER, bootstrapPasswords[OUTSIDER]);
        assert.equal(outsider.status, 302, `${OUTSIDER}, a member of ${ALLOWED_GROUP} since the restore, logs in:\n${fresh.hub.failure()}`);
    });
});
