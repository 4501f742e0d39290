// The backup scripts (components/scripts/dump-*.sh, restore-*.sh) and the helpers of
// components/backup.ts. The very files the pods run are run for real, by dash (the directory
// image's sh) and bash (the MySQL image's sh), with the environment the component sets and stand-ins for mysqldump, mysql,
// ldapsearch, ldapdelete, ldapadd and date on PATH that record how they were called: what is
// checked is the scripts' own logic (file names, keeping the last N, refusing cut-short dumps,
// no password on a command line). The real tools run them in test/services/backup.test.ts.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import { directoryEnv, DUMP_DIRS, hubDbEnv, mysqlClientOptions, preUpgradeJobName, preUpgradeLabel, SCRIPTS } from "../../components/backup";
import { ldapTree } from "../../components/directory/tree";
import { readScript, scriptPath } from "../../components/scripts";

const SHELLS = ["dash", "bash"];
const PASSWORD = "s3cret-Pa55";
const tree = ldapTree({ baseDn: "dc=example,dc=org", usersOu: "people", groupsOu: "groups" });
const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-backup-test-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

let scratchCount = 0;
/** A fresh directory with a backup root, a stub bin directory and a log of the stubs' calls. */
function scratch(): { dir: string; root: string; bin: string; log: string } {
    const dir = path.join(work, String(++scratchCount));
    const root = path.join(dir, "backups");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(root, { recursive: true });
    fs.mkdirSync(bin);
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(log, "");
    // `date` stand-in: a new second on every call, so that runs in a row get distinct timestamps.
    fs.writeFileSync(
        path.join(bin, "date"),
        `#!/bin/sh\nn=$(cat "${dir}/clock" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "${dir}/clock"
case "$*" in *%s*) echo $((1767225600 + n)) ;; *) printf '20260101T%06dZ\\n' "$n" ;; esac\n`,
        { mode: 0o755 },
    );
    return { dir, root, bin, log };
}

/** An executable stand-in that logs its name and arguments, one per line, then runs `body`. */
function stub(bin: string, name: string, body: string): void {
    const log = path.join(bin, "..", "calls.log");
    fs.writeFileSync(
        path.join(bin, name),
        `#!/bin/sh\nprintf '%s' "${name}" >> "${log}"; for a in "$@"; do printf ' [%s]' "$a" >> "${log}"; done; echo >> "${log}"\n${body}\n`,
        {
            mode: 0o755,
        },
    );
}

/** Runs components/scripts/<script> as the pods do (`sh <file> [args]`), with only `env` and the stand-ins first on PATH. */
function runScript(shell: string, script: string, env: Record<string, string>, bin: string, args: string[] = [], input?: string) {
    const r = spawnSync(shell, [scriptPath(script), ...args], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, encoding: "utf8", input });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
const calls = (log: string) => fs.readFileSync(log, "utf8").split("\n").filter(Boolean);

/** mysqldump stand-in: a dump with mysqldump's closing line, or `cut` to stop before it. */
const MYSQLDUMP = `echo "-- MySQL dump"; echo "CREATE TABLE users (id int);"; [ "\${CUT:-}" = 1 ] && exit 0; echo "-- Dump completed on 2026-01-01"`;

function hubDb(s: ReturnType<typeof scratch>, keep: number, preUpgrade?: string): Record<string, string> {
    const cnf = path.join(s.dir, "client.cnf");
    fs.writeFileSync(cnf, mysqlClientOptions({ host: "mysql.test.svc", port: 3306, user: "jupyterhub", password: PASSWORD }));
    return hubDbEnv({ root: s.root, defaultsFile: cnf, database: "jupyterhub", keep, preUpgradeLabel: preUpgrade });
}

describe("backup scripts: the shell is valid in dash and bash", () => {
    for (const shell of SHELLS) {
        it(`${shell} -n accepts all four scripts`, () => {
            for (const script of Object.values(SCRIPTS)) {
                const r = spawnSync(shell, ["-n", scriptPath(script)], { encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
            }
        });
    }
});

for (const shell of SHELLS) {
    describe(`dump-hub-db.sh (${shell})`, () => {
        it("writes hub-db/hub-db-<UTC time>.sql with mysqldump --single-transaction, and keeps the newest KEEP", () => {
            const s = scratch();
            stub(s.bin, "mysqldump", MYSQLDUMP);
            fs.mkdirSync(path.join(s.root, DUMP_DIRS.hubDb));
            fs.writeFileSync(path.join(s.root, DUMP_DIRS.hubDb, "notes.txt"), "an operator's file");
            for (let i = 0; i < 4; i++) {
                const r = runScript(shell, SCRIPTS.dumpHubDb, hubDb(s, 2), s.bin);
                assert.equal(r.status, 0, r.stderr);
                assert.match(r.stdout, /dumped jupyterhub to .*hub-db-20260101T0000\d\dZ\.sql: \d+ bytes in \d+ s/);
            }
            const files = list(path.join(s.root, DUMP_DIRS.hubDb));
            // Four runs; each run's date calls move the clock on, so the two newest are the last two runs.
            assert.equal(files.filter((f) => f.endsWith(".sql")).length, 2, files.join(", "));
            for (const f of files.filter((x) => x.endsWith(".sql"))) assert.match(f, /^hub-db-\d{8}T\d{6}Z\.sql$/);
            assert.ok(files.includes("notes.txt"), "files that are not dumps are left alone");
            const newest = files.filter((f) => f.endsWith(".sql")).sort();
            const stamps = newest.map((f) => Number(/T(\d{6})Z/.exec(f)![1]));
            assert.ok(stamps[0] < stamps[1]);
            assert.equal(calls(s.log).filter((c) => c.startsWith("mysqldump")).length, 4);
            assert.equal(
                fs
                    .readFileSync(path.join(s.root, DUMP_DIRS.hubDb, newest[1]), "utf8")
                    .trim()
                    .split("\n")
                    .pop(),
                "-- Dump completed on 2026-01-01",
            );
        });

        it("passes the server and the password only in the options file: never as an argument or in the environment", () => {
            const s = scratch();
            stub(s.bin, "mysqldump", `env > "${s.dir}/env"; ${MYSQLDUMP}`);
            const env = hubDb(s, 3);
            assert.equal(runScript(shell, SCRIPTS.dumpHubDb, env, s.bin).status, 0);
            const [call] = calls(s.log).filter((c) => c.startsWith("mysqldump"));
            assert.equal(call, `mysqldump [--defaults-extra-file=${env.DEFAULTS_FILE}] [--single-transaction] [--no-tablespaces] [jupyterhub]`);
            assert.ok(!fs.readFileSync(`${s.dir}/env`, "utf8").includes(PASSWORD));
            assert.ok(!JSON.stringify(env).includes(PASSWORD));
        });

        it("refuses a dump cut short (no closing line): exits non-zero, leaves no file and keeps the older dumps", () => {
            const s = scratch();
            stub(s.bin, "mysqldump", MYSQLDUMP);
            assert.equal(runScript(shell, SCRIPTS.dumpHubDb, hubDb(s, 1), s.bin).status, 0);
            const before = list(path.join(s.root, DUMP_DIRS.hubDb));
            const r = runScript(shell, SCRIPTS.dumpHubDb, { ...hubDb(s, 1), CUT: "1" }, s.bin);
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /mysqldump stopped before the end of jupyterhub/);
            assert.deepEqual(list(path.join(s.root, DUMP_DIRS.hubDb)), before, "no partial file, nothing pruned");
        });

        it("fails when mysqldump fails, without a file", () => {
            const s = scratch();
            stub(s.bin, "mysqldump", `echo "mysqldump: Got error: 1045: Access denied" >&2; exit 2`);
            const r = runScript(shell, SCRIPTS.dumpHubDb, hubDb(s, 3), s.bin);
            assert.equal(r.status, 2);
            assert.match(r.stderr, /Access denied/);
            assert.deepEqual(list(path.join(s.root, DUMP_DIRS.hubDb)), []);
        });

        it("before an upgrade: hub-db-pre-upgrade/hub-db-<time>-before-chart-<v>-mysql-<tag>.sql, kept apart from the daily dumps", () => {
            const s = scratch();
            stub(s.bin, "mysqldump", MYSQLDUMP);
            assert.equal(runScript(shell, SCRIPTS.dumpHubDb, hubDb(s, 1), s.bin).status, 0);
            const label = preUpgradeLabel("4.4.0", "mysql:8.4.7");
            for (let i = 0; i < 3; i++) assert.equal(runScript(shell, SCRIPTS.dumpHubDb, hubDb(s, 2, label), s.bin).status, 0);
            const upgrades = list(path.join(s.root, DUMP_DIRS.preUpgrade));
            assert.equal(upgrades.length, 2, upgrades.join(", "));
            for (const f of upgrades) assert.match(f, /^hub-db-\d{8}T\d{6}Z-before-chart-4\.4\.0-mysql-8\.4\.7\.sql$/);
            assert.equal(list(path.join(s.root, DUMP_DIRS.hubDb)).length, 1, "the daily dump is untouched");
        });
    });

    describe(`restore-hub-db.sh (${shell})`, () => {
        it("recreates the database and loads the dump as the hub user, through the options file", () => {
            const s = scratch();
            stub(s.bin, "mysql", `case " $* " in *COUNT*) echo 9 ;; *" -e "*) ;; *) cat > "${s.dir}/loaded.sql" ;; esac`);
            const env = hubDb(s, 3);
            fs.mkdirSync(path.join(s.root, DUMP_DIRS.hubDb));
            const dump = "-- MySQL dump\nINSERT INTO users VALUES (1);\n-- Dump completed on 2026-01-01\n";
            fs.writeFileSync(path.join(s.root, DUMP_DIRS.hubDb, "hub-db-20260101T000001Z.sql"), dump);
            const r = runScript(shell, SCRIPTS.restoreHubDb, env, s.bin, ["hub-db/hub-db-20260101T000001Z.sql"]);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /restored jupyterhub from .*hub-db-20260101T000001Z\.sql: 9 tables/);
            const mysqlCalls = calls(s.log).filter((c) => c.startsWith("mysql"));
            const opts = `[--defaults-extra-file=${env.DEFAULTS_FILE}]`;
            assert.deepEqual(mysqlCalls, [
                `mysql ${opts} [-e] [DROP DATABASE IF EXISTS \`jupyterhub\`; CREATE DATABASE \`jupyterhub\` CHARACTER SET utf8mb4;]`,
                `mysql ${opts} [jupyterhub]`,
                `mysql ${opts} [-N] [-B] [-e] [SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'jupyterhub']`,
            ]);
            assert.equal(fs.readFileSync(`${s.dir}/loaded.sql`, "utf8"), dump);
        });

        it("refuses a file that is not a complete dump, and a missing one, before touching the database", () => {
            const s = scratch();
            stub(s.bin, "mysql", "");
            const cut = path.join(s.dir, "cut.sql");
            fs.writeFileSync(cut, "-- MySQL dump\nINSERT INTO users VALUES (1);\n");
            let r = runScript(shell, SCRIPTS.restoreHubDb, hubDb(s, 3), s.bin, [cut]);
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /is not a complete mysqldump/);
            r = runScript(shell, SCRIPTS.restoreHubDb, hubDb(s, 3), s.bin, ["hub-db/nothing.sql"]);
            assert.match(r.stderr, /no dump at .*hub-db\/nothing\.sql/);
            r = runScript(shell, SCRIPTS.restoreHubDb, hubDb(s, 3), s.bin);
            assert.match(r.stderr, /usage: restore-hub-db\.sh hub-db\/hub-db-<time>\.sql/);
            assert.deepEqual(calls(s.log), []);
        });
    });

    describe(`dump-directory.sh and restore-directory.sh (${shell})`, () => {
        const ldif = `dn: ${tree.baseDn}\nobjectClass: dcObject\n\ndn: ${tree.userDn("demo")}\nuid: demo\nuserPassword:: e1NTSEF9eHh4\n\n`;
        const dirEnv = (s: ReturnType<typeof scratch>, keep: number) => {
            const pw = path.join(s.dir, "admin-password");
            fs.writeFileSync(pw, PASSWORD);
            return directoryEnv({ root: s.root, keep, uri: "ldaps://openldap.test.svc:636", tree, passwordFile: pw, caFile: "/tls/ca.crt" });
        };

        it("exports the tree as the admin with ldapsearch, password from a file, into directory/directory-<UTC time>.ldif, keeping the newest KEEP", () => {
            const s = scratch();
            stub(s.bin, "ldapsearch", `printf '${ldif.replace(/\n/g, "\\n")}'`);
            const env = dirEnv(s, 2);
            for (let i = 0; i < 3; i++) {
                const r = runScript(shell, SCRIPTS.dumpDirectory, env, s.bin);
                assert.equal(r.status, 0, r.stderr);
                assert.match(r.stdout, /exported 2 entries under dc=example,dc=org to .*directory-\d{8}T\d{6}Z\.ldif/);
            }
            const files = list(path.join(s.root, DUMP_DIRS.directory));
            assert.equal(files.length, 2);
            for (const f of files) assert.match(f, /^directory-\d{8}T\d{6}Z\.ldif$/);
            assert.equal(fs.readFileSync(path.join(s.root, DUMP_DIRS.directory, files[1]), "utf8"), ldif);
            const [call] = calls(s.log);
            assert.equal(
                call,
                `ldapsearch [-LLL] [-o] [ldif_wrap=no] [-H] [ldaps://openldap.test.svc:636] [-x] [-D] [${tree.adminDn}] [-y] [${env.DIRECTORY_PASSWORD_FILE}] [-b] [dc=example,dc=org] [-s] [sub] [(objectClass=*)] [*]`,
            );
            assert.ok(!calls(s.log).join("\n").includes(PASSWORD));
        });

        it("refuses an empty export (a wrong base DN answers with nothing)", () => {
            const s = scratch();
            stub(s.bin, "ldapsearch", "exit 0");
            const r = runScript(shell, SCRIPTS.dumpDirectory, dirEnv(s, 2), s.bin);
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /returned no entries/);
            assert.deepEqual(list(path.join(s.root, DUMP_DIRS.directory)), []);
        });

        it("restore: deletes the tree under the base DN (none there: 32 is fine), then adds the export, as the admin", () => {
            for (const deleteStatus of [0, 32]) {
                const s = scratch();
                stub(s.bin, "ldapdelete", `exit ${deleteStatus}`);
                stub(s.bin, "ldapadd", "");
                const file = path.join(s.dir, "directory.ldif");
                fs.writeFileSync(file, ldif);
                const env = dirEnv(s, 2);
                const r = runScript(shell, SCRIPTS.restoreDirectory, env, s.bin, [file]);
                assert.equal(r.status, 0, r.stderr);
                assert.match(r.stdout, /restored 2 entries under dc=example,dc=org/);
                const bind = `[-H] [ldaps://openldap.test.svc:636] [-x] [-D] [${tree.adminDn}] [-y] [${env.DIRECTORY_PASSWORD_FILE}]`;
                assert.deepEqual(calls(s.log), [`ldapdelete ${bind} [-r] [dc=example,dc=org]`, `ldapadd ${bind} [-f] [${file}]`]);
            }
        });

        it("restore stops when the tree cannot be cleared (e.g. invalid credentials, 49), before adding anything", () => {
            const s = scratch();
            stub(s.bin, "ldapdelete", "exit 49");
            stub(s.bin, "ldapadd", "");
            const file = path.join(s.dir, "directory.ldif");
            fs.writeFileSync(file, ldif);
            const r = runScript(shell, SCRIPTS.restoreDirectory, dirEnv(s, 2), s.bin, [file]);
            assert.equal(r.status, 49);
            assert.match(r.stderr, /could not clear dc=example,dc=org \(ldapdelete exit 49\)/);
            assert.ok(!calls(s.log).some((c) => c.startsWith("ldapadd")));
        });
    });
}

describe("backup helpers", () => {
    it("the options file quotes the password so that quotes, backslashes, '#' and ';' survive", () => {
        const cnf = mysqlClientOptions({ host: "db.example.org", port: 3307, user: "hub", password: 'a"b\\c#d;e f' });
        assert.equal(
            cnf,
            [
                "[client]",
                "host=db.example.org",
                "port=3307",
                'user="hub"',
                'password="a\\"b\\\\c#d;e f"',
                "",
                "[mysqldump]",
                "loose-column-statistics=0",
                "",
            ].join("\n"),
        );
    });

    it("the Job before an upgrade is named after the chart version and the MySQL image tag, as a DNS label", () => {
        assert.equal(preUpgradeJobName("4.4.0", "mysql:8.4.7"), "hub-db-before-chart-4-4-0-mysql-8-4-7");
        assert.notEqual(preUpgradeJobName("4.4.1", "mysql:8.4.7"), preUpgradeJobName("4.4.0", "mysql:8.4.7"));
        assert.notEqual(preUpgradeJobName("4.4.0", "mysql:8.4.8"), preUpgradeJobName("4.4.0", "mysql:8.4.7"));
        const digest = (c: string) => `registry.example.org/mysql@sha256:${c.repeat(64)}`;
        const long = preUpgradeJobName("4.4.0-beta.1", digest("a"));
        assert.ok(long.length <= 63, long);
        assert.match(long, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        assert.match(long, /^hub-db-before-chart-4-4-0-beta-1-mysql-sha256-/);
        assert.notEqual(preUpgradeJobName("4.4.0-beta.1", digest("b")), long, "a digest is kept apart by its hash");
        assert.equal(preUpgradeLabel("4.4.0", "mysql:8.4.7"), "before-chart-4.4.0-mysql-8.4.7");
        assert.equal(preUpgradeLabel("4.4.0", digest("a")), `before-chart-4.4.0-mysql-sha256_${"a".repeat(64)}`);
    });

    it("the scripts read their settings from the environment the component sets, and no env value is a secret", () => {
        const db = hubDbEnv({ root: "/backups", defaultsFile: "/credentials/client.cnf", database: "jupyterhub", keep: 7 });
        assert.deepEqual(db, {
            BACKUP_ROOT: "/backups",
            DUMP_SUBDIR: "hub-db",
            KEEP: "7",
            DEFAULTS_FILE: "/credentials/client.cnf",
            HUB_DATABASE: "jupyterhub",
        });
        for (const name of Object.keys(db)) assert.ok(readScript(SCRIPTS.dumpHubDb).includes(name) || readScript(SCRIPTS.restoreHubDb).includes(name), name);
        const dir = directoryEnv({ root: "/backups", keep: 7, uri: "ldaps://x:636", tree, passwordFile: "/credentials/admin-password", caFile: "/tls/ca.crt" });
        assert.equal(dir.DIRECTORY_PASSWORD_FILE, "/credentials/admin-password");
        assert.equal(dir.LDAPTLS_CACERT, "/tls/ca.crt", "libldap reads the CA from the environment");
        for (const name of Object.keys(dir).filter((n) => n !== "LDAPTLS_CACERT")) assert.ok(readScript(SCRIPTS.dumpDirectory).includes(name), name);
    });
});
