// Login end to end with real services and the configuration this program generates, without
// Kubernetes: OpenLDAP (Debian's slapd), a MySQL-compatible server (Debian's MariaDB) and
// JupyterHub with LDAPAuthenticator and configurable-http-proxy, all on 127.0.0.1; then the
// directory's sync Job against that directory (users added and removed, a new master key, 1000
// users). The test bed, what comes from the program and what stands in for what:
// test/support/services-harness.ts.
//
// Run: .ci/services-setup.sh once (installs everything, idempotent), then `npm run test:services`.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { after, before, describe } from "node:test";

import { type InClusterLdap, parseConfig, PlatformConfig } from "../../config";
import { ldapCertDnsNames } from "../../components/directory/client";
import { mdbMaxSize, POD_SLAPD_PATHS, slapdConf, SlapdPaths } from "../../components/directory/slapd";
import { derivedUserPassword, derivedUserSalt, masterFingerprint, sshaHash } from "../../components/directory/passwords";
import { rawStackConfig } from "../support/helpers";
import { run, tail } from "../support/services-env";
import { Json, TestBed } from "../support/services-harness";

const cfg: PlatformConfig = parseConfig(rawStackConfig("dev"), "dev");
const bed = new TestBed(cfg, "services");
const directory = bed.directory;
const ADMIN = cfg.hub.admins[0];
const ALLOWED_GROUP = directory.allowedGroups[0];
const OUTSIDER = directory.users.map((u) => u.uid).find((uid) => !directory.groups.some((g) => g.members.includes(uid)))!;

// --- the test ------------------------------------------------------------------------------------

describe(`login with real OpenLDAP, MariaDB and JupyterHub, configured from Pulumi.${cfg.stack}.yaml`, () => {
    before(() => bed.setUp(), { timeout: 180_000 });
    after(() => bed.tearDown());

    bed.test("the generated values name the in-cluster services; the test swaps only addresses, ports and the CA path", () => {
        const hubSection = bed.values.hub as { config: Record<string, Json>; db: { url: string } };
        const ldapAuth = hubSection.config.LDAPAuthenticator;
        assert.equal(ldapAuth.server_address, `openldap.${cfg.namespace}.svc.cluster.local`);
        assert.equal(ldapAuth.server_port, 636);
        assert.equal((ldapAuth.tls_kwargs as Json).ca_certs_file, "/etc/jupyterhub/ldap-ca/ca.crt");
        assert.ok(ldapCertDnsNames("openldap", cfg.namespace).includes("localhost"), "the certificate covers localhost");
        const local = bed.hubValuesForTest("/ca.crt");
        const swapped = structuredClone(local) as { config: Record<string, Json> };
        const l = swapped.config.LDAPAuthenticator;
        l.server_address = ldapAuth.server_address;
        l.server_port = ldapAuth.server_port;
        (l.tls_kwargs as Json).ca_certs_file = (ldapAuth.tls_kwargs as Json).ca_certs_file;
        assert.deepEqual(swapped.config, hubSection.config, "nothing else in hub.config differs from what hubValues made");
        // The chart's URL has no password; the Secret's, merged over it at the hub's start, has.
        assert.equal((local.db as Json).url, `mysql+pymysql://${cfg.mysql.user}@127.0.0.1:${bed.ports.mysql}/${cfg.mysql.database}`);
        assert.match(
            (JSON.parse(bed.generatedSecret()["values.yaml"]) as { hub: { db: { url: string } } }).hub.db.url,
            new RegExp(`^mysql\\+pymysql://${cfg.mysql.user}:[A-Za-z0-9]+@127\\.0\\.0\\.1:${bed.ports.mysql}/${cfg.mysql.database}$`),
        );
    });

    bed.test("slapd serves the bootstrapped tree over LDAPS, with the {SSHA} passwords, to authenticated users only", () => {
        assert.equal(bed.ldap(bed.tools.ldapwhoami, ["-D", bed.tree.userDn(ADMIN), "-w", bed.passwords[ADMIN]]).trim(), `dn:${bed.tree.userDn(ADMIN)}`);
        assert.throws(() => bed.ldap(bed.tools.ldapwhoami, ["-D", bed.tree.userDn(ADMIN), "-w", "wrong"]), /Invalid credentials/);
        assert.throws(
            () => bed.ldap(bed.tools.ldapsearch, ["-LLL", "-b", bed.tree.baseDn, "uid=*"]),
            /Inappropriate authentication|unwilling|authentication required/i,
        );
        const members = bed.searchAs(OUTSIDER, bed.tree.groupDn(ALLOWED_GROUP), "-s", "base", "member");
        assert.match(members, new RegExp(`member: ${bed.tree.userDn(ADMIN)}`));
        assert.doesNotMatch(members, new RegExp(`member: ${bed.tree.userDn(OUTSIDER)}`));
        const others = bed.searchAs(OUTSIDER, bed.tree.userDn(ADMIN), "-s", "base", "userPassword");
        assert.doesNotMatch(others, /userPassword/, "a user cannot read another's password hash");
    });

    bed.test("slapd runs the program's own slapd.conf and init script: the bed's differ from the pod's only in paths and ports", () => {
        const local = bed.slapdPaths();
        let conf = fs.readFileSync(bed.p("ldap", "config", "slapd.conf"), "utf8");
        for (const k of Object.keys(local) as Array<keyof SlapdPaths>) conf = conf.split(local[k]).join(POD_SLAPD_PATHS[k]);
        assert.equal(conf, slapdConf(bed.tree, POD_SLAPD_PATHS, { maxSize: mdbMaxSize(directory.storageSize) }));
        assert.match(bed.ldapInitOutput, /directory database created in .* from \d+ entries/);
        assert.equal(bed.slapdUrls(), `ldaps://127.0.0.1:${bed.ports.ldaps}/`, "on_connect: LDAPS only, as the pod listens");
    });

    bed.test("a user cannot read another user's userPassword, nor their own: it is usable for binds only", () => {
        for (const [who, whose] of [
            [OUTSIDER, ADMIN],
            [ADMIN, ADMIN],
        ]) {
            const out = bed.searchAs(who, bed.tree.userDn(whose), "-s", "base", "userPassword", "uid");
            assert.match(out, new RegExp(`uid: ${whose}`), `${who} reads ${whose}'s entry`);
            assert.doesNotMatch(out, /userPassword/, `${who} cannot read ${whose}'s userPassword`);
        }
        assert.match(bed.searchAsAdmin(bed.tree.userDn(ADMIN), "-s", "base", "userPassword"), /userPassword:: /, "the admin (rootdn) can");
    });

    bed.test("a user cannot write another user's entry, nor another's password; they can change their own password", () => {
        const modify = (uid: string, password: string, ldif: string) => bed.ldap(bed.tools.ldapmodify, ["-D", bed.tree.userDn(uid), "-w", password], ldif);
        assert.throws(
            () => modify(OUTSIDER, bed.passwords[OUTSIDER], `dn: ${bed.tree.userDn(ADMIN)}\nchangetype: modify\nreplace: mail\nmail: x@example.org\n`),
            /Insufficient access \(50\)/,
        );
        assert.throws(
            () => modify(OUTSIDER, bed.passwords[OUTSIDER], `dn: ${bed.tree.userDn(ADMIN)}\nchangetype: modify\nreplace: userPassword\nuserPassword: x\n`),
            /Insufficient access \(50\)/,
        );
        assert.throws(
            () => modify(OUTSIDER, bed.passwords[OUTSIDER], `dn: ${bed.tree.userDn(OUTSIDER)}\nchangetype: modify\nreplace: mail\nmail: x@example.org\n`),
            /Insufficient access \(50\)/,
            "only the password of one's own entry is writable",
        );
        // Their own password: set a new one, bind with it, then put the derived one back (its hash, as bootstrapped).
        const original = sshaHash(bed.passwords[OUTSIDER], derivedUserSalt(bed.master, OUTSIDER));
        modify(OUTSIDER, bed.passwords[OUTSIDER], `dn: ${bed.tree.userDn(OUTSIDER)}\nchangetype: modify\nreplace: userPassword\nuserPassword: changed-by-me\n`);
        assert.ok(bed.binds(bed.tree.userDn(OUTSIDER), "changed-by-me"));
        modify(OUTSIDER, "changed-by-me", `dn: ${bed.tree.userDn(OUTSIDER)}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${original}\n`);
        assert.ok(bed.binds(bed.tree.userDn(OUTSIDER), bed.passwords[OUTSIDER]));
    });

    bed.test("a user's own password change in clear text is stored hashed ({SSHA}, ppolicy_hash_cleartext), never as given", () => {
        const dn = bed.tree.userDn(OUTSIDER);
        const stored = () =>
            [...bed.searchAsAdmin(dn, "-s", "base", "userPassword").matchAll(/^userPassword:: (.*)$/gm)].map((m) =>
                Buffer.from(m[1], "base64").toString("utf8"),
            );
        const original = stored();
        assert.equal(original.length, 1);
        const mine = `self-set-${crypto.randomBytes(6).toString("hex")}`;
        bed.ldap(
            bed.tools.ldapmodify,
            ["-D", dn, "-w", bed.passwords[OUTSIDER]],
            `dn: ${dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${mine}\n`,
        );
        const [now] = stored();
        assert.match(now, /^\{SSHA\}[A-Za-z0-9+/]+=*$/, "stored as a salted hash");
        assert.ok(!now.includes(mine), "not the clear text");
        assert.ok(bed.binds(dn, mine), "and the user binds with what they set");
        // Their old password back, as a hash (a hash is stored as given).
        bed.ldap(bed.tools.ldapmodify, ["-D", dn, "-w", mine], `dn: ${dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${original[0]}\n`);
        assert.deepEqual(stored(), original);
    });

    bed.test("a lockout after ldap.lockout.maxFailures failed binds: the right password refused, the admin unlocks, or the set time does", async () => {
        const dn = bed.tree.userDn(OUTSIDER);
        // The sync Job sets the policy from ldap.lockout, as after `pulumi config set`: 3 failures, 2 s.
        bed.sync({ ...directory, lockout: { maxFailures: 3, duration: 2 } }, bed.master);
        try {
            assert.match(bed.searchAsAdmin(bed.tree.policyDn, "-s", "base", "pwdMaxFailure", "pwdLockoutDuration"), /pwdMaxFailure: 3\npwdLockoutDuration: 2/);
            const lockOut = () => {
                for (let i = 0; i < 3; i++) assert.equal(bed.binds(dn, `wrong-${i}`), false);
                assert.equal(bed.binds(dn, bed.passwords[OUTSIDER]), false, "locked: the right password is refused too (49, as a wrong one)");
            };
            lockOut();
            // A client that asks for the password policy control is told why (ppolicy_use_lockout).
            assert.throws(() => bed.ldap(bed.tools.ldapwhoami, ["-e", "ppolicy", "-D", dn, "-w", bed.passwords[OUTSIDER]]), /Account locked/i);
            assert.match(bed.searchAsAdmin(dn, "-s", "base", "pwdAccountLockedTime"), /pwdAccountLockedTime: \d{14}Z/);
            // The hub's login form says so (a 403 of its own), where a wrong password gets "Invalid username or password".
            const r = await bed.login(OUTSIDER, bed.passwords[OUTSIDER]);
            bed.assertRefused(r, `${OUTSIDER} (locked)`);
            assert.equal(r.status, 403);
            // The hub names the configured duration (Pulumi.dev.yaml's), not this test's 2 s.
            const minutes = Math.ceil(directory.lockout.duration / 60);
            assert.match(
                r.body,
                new RegExp(
                    `This account is locked after too many failed logins\\. It unlocks by itself within ${minutes} minutes, or an administrator can unlock it\\.`,
                ),
            );
            assert.doesNotMatch(r.body, /Invalid username or password/);
            assert.match(r.hubLog(), new RegExp(`Account locked: ${dn}`));
            // The admin unlocks (docs/operations.md): the lock's time deleted.
            bed.ldapModifyAsAdmin(`dn: ${dn}\nchangetype: modify\ndelete: pwdAccountLockedTime\n`);
            assert.ok(bed.binds(dn, bed.passwords[OUTSIDER]), "unlocked by the admin");
            // Locked again, then unlocked by time: polled, and not before the 2 s.
            lockOut();
            const t0 = Date.now();
            while (!bed.binds(dn, bed.passwords[OUTSIDER])) {
                assert.ok(Date.now() - t0 < 15_000, "still locked 15 s after a 2 s lockout");
                await new Promise((r) => setTimeout(r, 250));
            }
            const waited = (Date.now() - t0) / 1000;
            assert.ok(waited >= 1, `unlocked after ${waited} s, not at once`);
            console.log(`# lockout: unlocked by time after ${waited.toFixed(1)} s (pwdLockoutDuration 2)`);
        } finally {
            bed.sync(directory, bed.master);
        }
        assert.match(bed.searchAsAdmin(bed.tree.policyDn, "-s", "base", "pwdMaxFailure"), new RegExp(`pwdMaxFailure: ${directory.lockout.maxFailures}`));
    });

    bed.test("an anonymous bind is refused, and so is a search without a bind", () => {
        assert.throws(() => bed.ldap(bed.tools.ldapwhoami, []), /anonymous bind disallowed|Inappropriate authentication \(48\)/);
        assert.throws(
            () => bed.ldap(bed.tools.ldapsearch, ["-LLL", "-b", "", "-s", "base"]),
            /Inappropriate authentication|authentication required|unwilling/i,
        );
    });

    bed.test("plain LDAP is refused: nothing listens on a plain port (on_connect), and with before_bind's port a bind needs StartTLS first", async () => {
        const whoami = (uri: string, ...extra: string[]) =>
            run(bed.tools.ldapwhoami, ["-H", uri, "-x", ...extra, "-D", bed.tree.userDn(ADMIN), "-w", bed.passwords[ADMIN]], {
                env: { ...process.env, LDAPTLS_CACERT: bed.p("tls", "ca", "ca.crt"), LDAPTLS_REQCERT: "demand" },
            });
        const plain = `ldap://127.0.0.1:${bed.ports.ldap}`;
        assert.throws(() => whoami(plain), /Can't contact LDAP server/);
        // The same server as a before_bind pod starts it: a StartTLS port beside LDAPS.
        await bed.restartSlapd("before_bind");
        try {
            assert.throws(() => whoami(plain), /Confidentiality required \(13\)/);
            assert.equal(whoami(plain, "-ZZ").trim(), `dn:${bed.tree.userDn(ADMIN)}`);
        } finally {
            await bed.restartSlapd(directory.tlsStrategy);
        }
    });

    bed.test(`${OUTSIDER} (valid password, not in ${ALLOWED_GROUP}) is refused`, async () => {
        assert.doesNotThrow(
            () => bed.ldap(bed.tools.ldapwhoami, ["-D", bed.tree.userDn(OUTSIDER), "-w", bed.passwords[OUTSIDER]]),
            "the password itself is right",
        );
        const r = await bed.login(OUTSIDER, bed.passwords[OUTSIDER]);
        bed.assertRefused(r, OUTSIDER);
        assert.equal(r.status, 403);
        assert.match(r.hubLog(), new RegExp(`User '${OUTSIDER}' not allowed`), "refused by the allowed-groups check, not by the bind");
    });

    bed.test(`the REST API lists ${ADMIN} as an admin (hub.admins) and ${OUTSIDER} as no user at all`, async () => {
        const demo = await bed.api(`/users/${ADMIN}`);
        assert.equal(demo.status, 200, JSON.stringify(demo.body));
        assert.equal(demo.body.admin, true);
        const outsider = await bed.api(`/users/${OUTSIDER}`);
        assert.ok(outsider.status === 404 || outsider.body.admin === false, `outsider: ${outsider.status} ${JSON.stringify(outsider.body)}`);
        const all = await bed.api("/users");
        assert.equal(all.status, 200);
        const names = (all.body as unknown as Array<{ name: string; admin: boolean }>).map((u) => `${u.name}${u.admin ? " (admin)" : ""}`);
        assert.deepEqual(names, [`${ADMIN} (admin)`]);
    });

    bed.test("auth_state is encrypted with the existing Secret's CryptKeeper keys (no JUPYTERHUB_CRYPT_KEY in the hub's environment)", async () => {
        // the login's auth_state (the login itself is the journey's: test/journey/journey.test.ts)
        bed.assertLoggedIn(await bed.login(ADMIN, bed.passwords[ADMIN]), ADMIN);
        // enable_auth_state without a key stops the hub at start; here it runs, and decrypts:
        const demo = await bed.api(`/users/${ADMIN}`);
        const authState = demo.body.auth_state as { ldap_groups?: string[] } | null;
        assert.deepEqual(authState?.ldap_groups, [bed.tree.groupDn(ALLOWED_GROUP)], JSON.stringify(demo.body));
        const [[stored]] = bed.sqlAsHubUser(`SELECT HEX(encrypted_auth_state) FROM users WHERE name = '${ADMIN}'`);
        assert.ok(stored.length > 64, "users.encrypted_auth_state is set");
        assert.doesNotMatch(Buffer.from(stored, "hex").toString("latin1"), /ldap_groups/, "and is not plain JSON");
    });

    bed.test(`the hub's tables are in the MySQL database "${cfg.mysql.database}"`, () => {
        const tables = bed
            .sqlAsRoot(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${cfg.mysql.database}' ORDER BY table_name;`)
            .split("\n");
        for (const t of ["alembic_version", "api_tokens", "groups", "oauth_clients", "roles", "servers", "services", "spawners", "users"]) {
            assert.ok(tables.includes(t), `table ${t} exists (have: ${tables.join(", ")})`);
        }
    });

    bed.test(`the generated hub user "${cfg.mysql.user}" reaches them with its password and sees ${ADMIN} as admin`, () => {
        assert.deepEqual(bed.sqlAsHubUser(`SELECT name, admin FROM users WHERE name = '${ADMIN}'`), [[ADMIN, "1"]]);
        const grants = bed.sqlAsHubUser("SHOW GRANTS FOR CURRENT_USER").map((r) => r[0]);
        assert.ok(
            grants.some((g) => g.includes(`ALL PRIVILEGES ON \`${cfg.mysql.database}\`.*`)),
            grants.join("\n"),
        );
        assert.throws(() => bed.sqlAsHubUser("SELECT COUNT(*) FROM mysql.user"), /denied/, "and nothing outside its database");
    });

    bed.test("the directory's certificate is verified: with an unrelated CA as tls_kwargs.ca_certs_file the login fails", async () => {
        await bed.restartHub(bed.p("tls", "wrong-ca", "ca.crt"));
        const r = await bed.login(ADMIN, bed.passwords[ADMIN]);
        bed.assertRefused(r, `${ADMIN} (hub trusts the wrong CA)`);
        // ldapauthenticator 2.0 raises on TLS errors (no "invalid password" page): the hub answers 500.
        assert.match(r.hubLog(), /CERTIFICATE_VERIFY_FAILED|certificate verify failed/, `hub log shows the TLS failure:\n${tail(bed.hub!.log, 30)}`);
    });

    // The sync Job against the running directory (after the logins above: it changes users).
    const { tree, master } = bed;
    const withUsers = (ldapCfg: InClusterLdap, users: InClusterLdap["users"], groups = ldapCfg.groups): InClusterLdap => ({ ...ldapCfg, users, groups });
    const NEWBIE = { uid: "newbie", givenName: "New", sn: "Comer" };
    const changed = withUsers(
        directory,
        [...directory.users.filter((u) => u.uid !== OUTSIDER), NEWBIE],
        directory.groups.map((g) => ({ ...g, members: [...g.members.filter((m) => m !== OUTSIDER), NEWBIE.uid] })),
    );

    bed.test("the sync's first run on a bootstrapped directory records the master key and adds nothing", () => {
        assert.equal(bed.firstSync, `passwords of ${directory.users.length} users set from the master key ${masterFingerprint(master)}\ndirectory in sync\n`);
        const ou = bed.searchAsAdmin(tree.usersDn, "-s", "base", "description");
        assert.match(ou, new RegExp(`description: jupyterhub-platform user passwords ${masterFingerprint(master)}`));
        assert.ok(bed.binds(tree.userDn(ADMIN), bed.passwords[ADMIN]), "the derived password still binds");
    });

    bed.test("a sync with nothing changed changes nothing", () => {
        assert.equal(bed.sync(directory, master).output, "directory in sync\n");
    });

    bed.test(`a user added to the config is added and binds with the derived password; ${OUTSIDER}, removed, is deleted`, () => {
        const out = bed.sync(changed, master).output;
        assert.match(out, new RegExp(`adding new entry "${tree.userDn(NEWBIE.uid)}"`));
        assert.match(out, new RegExp(`deleted ${tree.userDn(OUTSIDER)}`));
        assert.doesNotMatch(out, /passwords of/, "the key did not change: no password is set");
        assert.ok(bed.binds(tree.userDn(NEWBIE.uid), derivedUserPassword(master, NEWBIE.uid)));
        assert.ok(!bed.exists(tree.userDn(OUTSIDER)), `${OUTSIDER} is gone`);
        const members = bed.searchAsAdmin(tree.groupDn(ALLOWED_GROUP), "-s", "base", "member");
        assert.match(members, new RegExp(`member: ${tree.userDn(NEWBIE.uid)}`));
        assert.ok(bed.binds(tree.userDn(ADMIN), bed.passwords[ADMIN]), `${ADMIN} is left as they were`);
    });

    bed.test("a password set by hand lasts through a sync with the same master key", () => {
        const dn = tree.userDn(ADMIN);
        bed.ldapModifyAsAdmin(`dn: ${dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${sshaHash("set-by-hand", crypto.randomBytes(8))}\n-\n`);
        assert.equal(bed.sync(changed, master).output, "directory in sync\n");
        assert.ok(bed.binds(dn, "set-by-hand"));
    });

    bed.test("a new master key gives every user a new password: the sync sets them all, the old ones stop working", () => {
        const rotated = crypto.randomBytes(32);
        const out = bed.sync(changed, rotated).output;
        assert.match(out, new RegExp(`passwords of ${changed.users.length} users set from the master key ${masterFingerprint(rotated)}`));
        for (const u of changed.users) {
            assert.ok(bed.binds(tree.userDn(u.uid), derivedUserPassword(rotated, u.uid)), `${u.uid} binds with the new password`);
            assert.ok(!bed.binds(tree.userDn(u.uid), derivedUserPassword(master, u.uid)), `${u.uid}'s old password is refused`);
        }
        assert.ok(!bed.binds(tree.userDn(ADMIN), "set-by-hand"));
    });

    bed.test("1000 more users: added, then rotated, then removed, each in one sync of a few seconds", () => {
        const students = Array.from({ length: 1000 }, (_, i) => ({ uid: `s${String(i + 1).padStart(4, "0")}`, givenName: "Student", sn: `Number ${i + 1}` }));
        const course = withUsers(
            changed,
            [...changed.users, ...students],
            changed.groups.map((g) => ({ ...g, members: [...g.members, ...students.map((x) => x.uid)] })),
        );
        const [k1, k2] = [crypto.randomBytes(32), crypto.randomBytes(32)];
        const added = bed.sync(course, k1);
        assert.equal((added.output.match(/^adding new entry/gm) ?? []).length, 1000);
        const rotated = bed.sync(course, k2);
        assert.match(rotated.output, new RegExp(`passwords of ${course.users.length} users set`));
        for (const uid of ["s0001", "s0500", "s1000"]) assert.ok(bed.binds(tree.userDn(uid), derivedUserPassword(k2, uid)), uid);
        const removed = bed.sync(changed, k2);
        assert.equal((removed.output.match(/^deleted uid=s\d{4},/gm) ?? []).length, 1000);
        assert.ok(!bed.exists(tree.userDn("s0500")));
        console.log(`sync of 1000 users: added in ${added.seconds} s, passwords set in ${rotated.seconds} s, removed in ${removed.seconds} s`);
        for (const t of [added, rotated, removed]) assert.ok(t.seconds < 60, `${t.seconds} s`);
    });
});
