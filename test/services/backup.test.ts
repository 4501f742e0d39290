// Backup and restore with real servers, as the backup CronJobs and the restore steps of
// docs/operations.md do it, without Kubernetes: the dev stack's hub database on MariaDB and its
// directory on slapd, used by JupyterHub, in two test beds (test/support/services-harness.ts,
// which says what stands in for what): the source, and the fresh servers restored into.
//
// The dumps are made by the very files the CronJobs run (components/scripts/dump-hub-db.sh,
// dump-directory.sh: mysqldump --single-transaction as the hub user through the options file
// mysqlClientOptions makes, ldapsearch as the directory's admin over LDAPS), with the environment
// the component sets (hubDbEnv, directoryEnv) pointing at local paths; the hub-db script under bash
// (the MySQL image's sh), the directory's under dash (the directory image's). They are restored
// with the files of the restore steps (restore-hub-db.sh, restore-directory.sh) into fresh servers,
// started as a new volume of the same stack starts them in the cluster (the same Secrets):
// MariaDB with only the init SQL, slapd with the stack's bootstrap tree, and a hub that has
// already made its tables, stopped for the restore as the steps say. Then a hub on the fresh servers must have the same users, read
// their encrypted auth state, and let them log in with their passwords as they were at the dump.
//
// Run: `npm run test:services` (after .ci/services-setup.sh). Prints the dump and restore times.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe } from "node:test";

import { directoryEnv, DUMP_DIRS, hubDbEnv, mysqlClientOptions, preUpgradeLabel, SCRIPTS } from "../../components/backup";
import { readScript, scriptPath } from "../../components/scripts";
import { parseConfig, PlatformConfig } from "../../config";
import { inMode, rawStackConfig } from "../support/helpers";
import { TestBed } from "../support/services-harness";
import { alnum, tail } from "../support/services-env";

const cfg: PlatformConfig = parseConfig(rawStackConfig("dev"), "dev");
const mysql = inMode(cfg.mysql, "in-cluster");
const KEEP = 2;
/**
 * The stack's Secrets, which a new volume of the same stack starts from: the directory's admin
 * password, the hub user's (with characters the options file must quote), the master key of the
 * users' passwords and the hub's cookie secret and CryptKeeper key.
 */
const stack = {
    secrets: { ldapAdmin: alnum(32), mysqlHub: `${alnum(20)} "q" \\ #;'x` },
    hubSecrets: { cookieSecret: crypto.randomBytes(32).toString("hex"), cryptKeeperKey: crypto.randomBytes(32).toString("hex") },
    master: crypto.randomBytes(32),
};
const source = new TestBed(cfg, "backup-source", stack);
const fresh = new TestBed(cfg, "backup-fresh", stack);
const { directory: directoryConfig, tree } = source;
const ADMIN = cfg.hub.admins[0];
const ALLOWED_GROUP = directoryConfig.allowedGroups[0];
const OUTSIDER = directoryConfig.users.map((u) => u.uid).find((uid) => !directoryConfig.groups.some((g) => g.members.includes(uid)))!;
/** The administrator's password after it was changed in the directory. */
const changedPassword = alnum(20);
const timings: Record<string, number> = {};

/** The backup volume and the credentials files. */
let state = "";
const p = (...parts: string[]) => path.join(state, ...parts);
/** What the hub's REST API said about its users before the dump. */
let usersBefore: string[] = [];
let setupError: Error | undefined;

/** A test of both beds: fails with either's set-up error. */
function test(name: string, fn: () => void | Promise<void>): void {
    source.test(name, async () => {
        try {
            if (setupError) throw new Error(`set-up failed: ${setupError.message}`);
            fresh.assertReady();
            await fn();
        } catch (e) {
            fresh.failed = true;
            throw e;
        }
    });
}

/** Runs one of the backup scripts (components/scripts/<script>) as the pods do, timed; fails with its output. */
function runScript(shell: string, script: string, env: Record<string, string>, args: string[] = [], label?: string): string {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(shell, [scriptPath(script), ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (label) timings[label] = seconds;
    const command = readScript(script)
        .split("\n")
        .find((l) => /^(mysqldump|ldap)/.test(l));
    assert.equal(r.status, 0, `${shell} ${script}: ${command ?? ""}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    return r.stdout;
}

/** The credentials files of the backup pods, for a bed's servers: the options file of the Secret backup-hub-db, the admin password (-y). */
function credentials(bed: TestBed): { optionsFile: string; passwordFile: string } {
    const dir = p("credentials", path.basename(bed.state));
    fs.mkdirSync(dir, { recursive: true });
    const optionsFile = path.join(dir, "client.cnf");
    const options = mysqlClientOptions({ host: "127.0.0.1", port: bed.ports.mysql, user: cfg.mysql.user, password: bed.secrets.mysqlHub });
    fs.writeFileSync(optionsFile, options, { mode: 0o600 });
    const passwordFile = path.join(dir, "admin-password");
    fs.writeFileSync(passwordFile, bed.secrets.ldapAdmin, { mode: 0o600 }); // as mounted from the Secret: no newline
    return { optionsFile, passwordFile };
}

const hubDb = (bed: TestBed, root: string, label?: string) =>
    hubDbEnv({ root, defaultsFile: credentials(bed).optionsFile, database: cfg.mysql.database, keep: KEEP, preUpgradeLabel: label });
const directory = (bed: TestBed, root: string) =>
    directoryEnv({
        root,
        keep: KEEP,
        uri: `ldaps://127.0.0.1:${bed.ports.ldaps}`,
        tree,
        passwordFile: credentials(bed).passwordFile,
        caFile: bed.p("tls", "ca", "ca.crt"),
    });

const dumps = (sub: string, root = p("backups")) => (fs.existsSync(path.join(root, sub)) ? fs.readdirSync(path.join(root, sub)).sort() : []);
const newest = (sub: string, root = p("backups")) => dumps(sub, root).at(-1)!;
const read = (sub: string, file: string, root = p("backups")) => fs.readFileSync(path.join(root, sub, file), "utf8");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a user binds with a password. */
function binds(bed: TestBed, uid: string, password: string): boolean {
    try {
        bed.ldap(bed.tools.ldapwhoami, ["-D", tree.userDn(uid), "-w", password]);
        return true;
    } catch {
        return false;
    }
}

async function userList(bed: TestBed): Promise<string[]> {
    const all = await bed.api("/users");
    assert.equal(all.status, 200, JSON.stringify(all.body));
    return (all.body as unknown as Array<{ name: string; admin: boolean }>).map((u) => `${u.name}${u.admin ? " (admin)" : ""}`).sort();
}

const hubLog = (bed: TestBed) => tail(bed.hub!.log, 30);

function missingTools(): string[] {
    return ["mysqldump", "mysql", "ldapsearch", "ldapdelete", "ldapadd", "bash", "dash"].filter(
        (t) => spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).status !== 0,
    );
}

describe(`backup and restore with real MariaDB, slapd and JupyterHub, configured from Pulumi.${cfg.stack}.yaml`, () => {
    before(
        async () => {
            await source.setUp();
            // The fresh servers start as new volumes do: from the same Secrets; its hub makes its tables.
            await fresh.setUp();
            try {
                await setUp();
            } catch (e) {
                setupError = e as Error;
            }
        },
        { timeout: 300_000 },
    );

    async function setUp(): Promise<void> {
        source.assertReady();
        const missing = missingTools();
        if (missing.length > 0) throw new Error(`missing: ${missing.join(", ")}; run .ci/services-setup.sh`);
        state = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-backup-"));
        for (const d of ["credentials", "backups"]) fs.mkdirSync(p(d));

        // Life after the bootstrap, which only the backups know: the administrator logs in, then
        // changes password; the outsider joins the allowed group and logs in too.
        source.assertLoggedIn(await source.login(ADMIN, source.passwords[ADMIN]), ADMIN);
        // The change as a user makes it: their own userPassword, in clear text (ppolicy stores it hashed).
        source.ldap(
            source.tools.ldapmodify,
            ["-D", tree.userDn(ADMIN), "-w", source.passwords[ADMIN]],
            `dn: ${tree.userDn(ADMIN)}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${changedPassword}\n`,
        );
        source.ldapModifyAsAdmin(`dn: ${tree.groupDn(ALLOWED_GROUP)}\nchangetype: modify\nadd: member\nmember: ${tree.userDn(OUTSIDER)}\n`);
        source.assertLoggedIn(await source.login(OUTSIDER, source.passwords[OUTSIDER]), `${OUTSIDER}, once in ${ALLOWED_GROUP}`);
        usersBefore = await userList(source);
    }

    after(async () => {
        await source.tearDown();
        await fresh.tearDown();
        const t = (k: string) => (timings[k] === undefined ? "n/a" : `${timings[k].toFixed(2)} s`);
        console.log(
            `# backup timings (the dev stack's test data: ${directoryConfig.users.length} directory users, ${usersBefore.length} hub users): ` +
                `dump hub-db ${t("dump hub-db")}, export directory ${t("dump directory")}, ` +
                `restore hub-db ${t("restore hub-db")}, restore directory ${t("restore directory")}`,
        );
        if (state && !source.failed && process.env.JHUB_SERVICES_KEEP !== "1") fs.rmSync(state, { recursive: true, force: true });
        else if (state) console.log(`# backups kept in ${state}`);
    });

    test("dump for restore: the CronJob's dump-hub-db.sh writes a complete, timestamped mysqldump of the live hub database as the hub user, keeping the last 2", async () => {
        for (let i = 0; i < 3; i++) {
            if (i > 0) await sleep(1100); // a new second, a new name
            runScript("bash", SCRIPTS.dumpHubDb, hubDb(source, p("backups")), [], "dump hub-db");
        }
        const files = dumps(DUMP_DIRS.hubDb);
        assert.equal(files.length, KEEP, files.join(", "));
        for (const f of files) assert.match(f, /^hub-db-\d{8}T\d{6}Z\.sql$/);
        const sql = read(DUMP_DIRS.hubDb, newest(DUMP_DIRS.hubDb));
        assert.match(sql.trimEnd().split("\n").at(-1)!, /^-- Dump completed on /);
        assert.match(sql, new RegExp(`INSERT INTO \`users\` VALUES\\s.*'${ADMIN}'.*'${OUTSIDER}'`, "s"));
        assert.ok(!sql.includes(stack.secrets.mysqlHub), "the dump holds no database password");
        console.log(`# hub-db dump: ${Buffer.byteLength(sql)} bytes in ${timings["dump hub-db"].toFixed(2)} s`);
    });

    test("dump for restore: the Job before an upgrade writes its dump apart, named after the versions", () => {
        runScript("bash", SCRIPTS.dumpHubDb, hubDb(source, p("backups"), preUpgradeLabel(cfg.hub.chartVersion, mysql.image)));
        const [file] = dumps(DUMP_DIRS.preUpgrade);
        assert.match(file, /^hub-db-\d{8}T\d{6}Z-before-chart-4\.4\.0-mysql-8\.4\.7\.sql$/);
        assert.match(read(DUMP_DIRS.preUpgrade, file), /-- Dump completed on /);
    });

    test("dump for restore: the CronJob's dump-directory.sh exports the whole tree as the admin over LDAPS, password hashes included, keeping the last 2", async () => {
        for (let i = 0; i < 3; i++) {
            if (i > 0) await sleep(1100);
            runScript("dash", SCRIPTS.dumpDirectory, directory(source, p("backups")), [], "dump directory");
        }
        const files = dumps(DUMP_DIRS.directory);
        assert.equal(files.length, KEEP, files.join(", "));
        for (const f of files) assert.match(f, /^directory-\d{8}T\d{6}Z\.ldif$/);
        const ldif = read(DUMP_DIRS.directory, newest(DUMP_DIRS.directory));
        const dns = [...ldif.matchAll(/^dn: (.*)$/gm)].map((m) => m[1]);
        // Base, two OUs, the password policy, the users, the groups; parents first.
        assert.equal(dns.length, 4 + directoryConfig.users.length + directoryConfig.groups.length, dns.join("\n"));
        assert.equal(dns[0], tree.baseDn);
        assert.equal((ldif.match(/^userPassword:: /gm) ?? []).length, directoryConfig.users.length, "every user's hash, as the admin sees it");
        // The password the administrator set in clear text is in no dump, plain or encoded: only its hash.
        for (const f of files) {
            const text = read(DUMP_DIRS.directory, f);
            const hashes = [...text.matchAll(/^userPassword:: (.*)$/gm)].map((m) => Buffer.from(m[1], "base64").toString("utf8"));
            assert.ok(
                hashes.every((h) => h.startsWith("{SSHA}")),
                hashes.join(", "),
            );
            assert.ok(!text.includes(changedPassword) && !hashes.includes(changedPassword), `${f} holds a clear-text password`);
        }
        assert.match(ldif, new RegExp(`member: ${tree.userDn(OUTSIDER)}`));
        console.log(`# directory export: ${dns.length} entries, ${Buffer.byteLength(ldif)} bytes in ${timings["dump directory"].toFixed(2)} s`);
    });

    test("restore: restore-hub-db.sh loads the newest dump into a fresh MariaDB (initialised as a new volume is, the hub's tables made, the hub stopped), which then dumps to the same SQL", async () => {
        await fresh.stopHub();
        const file = `${DUMP_DIRS.hubDb}/${newest(DUMP_DIRS.hubDb)}`;
        const out = runScript("bash", SCRIPTS.restoreHubDb, hubDb(fresh, p("backups")), [file], "restore hub-db");
        assert.match(out, new RegExp(`restored ${cfg.mysql.database} from .*${newest(DUMP_DIRS.hubDb)}: \\d+ tables`));
        // Dumped again with the same script: the same SQL but for the time it was made.
        runScript("bash", SCRIPTS.dumpHubDb, hubDb(fresh, p("check")));
        const body = (sql: string) => sql.replace(/^-- Dump completed on .*$/m, "");
        assert.equal(body(read(DUMP_DIRS.hubDb, newest(DUMP_DIRS.hubDb, p("check")), p("check"))), body(read(DUMP_DIRS.hubDb, newest(DUMP_DIRS.hubDb))));
        console.log(`# hub-db restore: ${timings["restore hub-db"].toFixed(2)} s`);
    });

    test("restore: restore-directory.sh replaces the tree of a fresh slapd (bootstrapped as a new volume is) with the export: passwords and groups as at the dump", () => {
        assert.ok(binds(fresh, ADMIN, source.passwords[ADMIN]) && !binds(fresh, ADMIN, changedPassword), "before: the bootstrap password");
        const file = `${DUMP_DIRS.directory}/${newest(DUMP_DIRS.directory)}`;
        const out = runScript("dash", SCRIPTS.restoreDirectory, directory(fresh, p("backups")), [file], "restore directory");
        assert.match(out, /restored \d+ entries under /);
        assert.ok(binds(fresh, ADMIN, changedPassword), `${ADMIN} binds with the password changed after the bootstrap`);
        assert.ok(!binds(fresh, ADMIN, source.passwords[ADMIN]), "and no longer with the bootstrap one");
        // Exported again with the same script: the same entries, in the same order.
        runScript("dash", SCRIPTS.dumpDirectory, directory(fresh, p("check")));
        assert.equal(read(DUMP_DIRS.directory, newest(DUMP_DIRS.directory, p("check")), p("check")), read(DUMP_DIRS.directory, newest(DUMP_DIRS.directory)));
        console.log(`# directory restore: ${timings["restore directory"].toFixed(2)} s`);
    });

    test("restore: the hub starts on the restored servers alone with the same users and admin, reads their auth state, and they log in", async () => {
        // The source servers are gone: only the restored ones remain.
        for (const s of [...source.services].reverse()) await s.stop();
        await fresh.restartHub();
        assert.deepEqual(await userList(fresh), usersBefore);
        assert.deepEqual(usersBefore, [`${ADMIN} (admin)`, OUTSIDER].sort());
        const admin = await fresh.api(`/users/${ADMIN}`);
        // auth_state was encrypted by the source hub with the CryptKeeper key of hub-secrets: the
        // same stack's key reads it (a restore into another stack's hub would not).
        assert.deepEqual((admin.body.auth_state as { ldap_groups?: string[] } | null)?.ldap_groups, [tree.groupDn(ALLOWED_GROUP)], JSON.stringify(admin.body));

        const r = await fresh.login(ADMIN, changedPassword);
        assert.equal(r.status, 302, `${ADMIN} logs in with the current password:\n${hubLog(fresh)}`);
        assert.ok(r.loggedIn);
        assert.equal(r.location, "/hub/home");
        const old = await fresh.login(ADMIN, source.passwords[ADMIN]);
        assert.equal(old.status, 403, `${ADMIN}'s bootstrap password is refused`);
        assert.match(old.hubLog(), new RegExp(`Failed to bind user '${ADMIN}'`));
        const outsider = await fresh.login(OUTSIDER, source.passwords[OUTSIDER]);
        assert.equal(outsider.status, 302, `${OUTSIDER}, a member of ${ALLOWED_GROUP} since the restore, logs in:\n${hubLog(fresh)}`);
    });

    test("restore: the sync Job's next run on the restored directory keeps the restored passwords (the export carries the master key's fingerprint) and resets groups to the config", () => {
        const { output } = fresh.sync(directoryConfig, stack.master);
        assert.match(output, /directory in sync/);
        assert.doesNotMatch(output, /passwords of \d+ users set/, output);
        assert.ok(binds(fresh, ADMIN, changedPassword), `${ADMIN} still binds with the password changed after the bootstrap`);
        const members = fresh.searchAsAdmin(tree.groupDn(ALLOWED_GROUP), "-s", "base", "member");
        assert.doesNotMatch(members, new RegExp(`member: ${tree.userDn(OUTSIDER)}`), `${OUTSIDER}'s membership, made by hand, is reset to the config`);
    });
});
