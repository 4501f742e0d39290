// Issue 20: `pulumi destroy` (data kept) then `pulumi up` gives back a working platform. Two lives
// of one stack on the same claims: the first deployment initialises the servers and writes to them
// with its credentials; the second starts them the way its pods start, with the files the second
// `pulumi up` makes. What a second up generates anew (the admin's and MySQL's passwords, the
// cookie secret, the CA, the proxy's token) is new here too; what comes from the stack's data key
// (jupyterhub:dataKey: users' passwords, the CryptKeeper key) is the same, as config outlives the
// destroy. The servers take the new credentials at start: slapd from the program's rootpw file,
// MariaDB from its --init-file (hubDatabaseSql). The test bed: test/support/services-harness.ts.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { after, before, describe, it } from "node:test";

import { parseConfig, PlatformConfig } from "../../config";
import { dataKeyDerived } from "../../components/secrets";
import { derivedUserPassword, masterFingerprint } from "../../components/directory/passwords";
import { rawStackConfig } from "../support/helpers";
import { alnum } from "../support/services-env";
import { TestBed } from "../support/services-harness";

const cfg: PlatformConfig = parseConfig(rawStackConfig("dev"), "dev");
const ADMIN = cfg.hub.admins[0];
const DATA_KEY = crypto.randomBytes(32).toString("base64");
/** What the data key gives both lives. */
const fromKey = () => ({
    master: dataKeyDerived(DATA_KEY, "directory-users"),
    hubSecrets: { cookieSecret: crypto.randomBytes(32).toString("hex"), cryptKeeperKey: dataKeyDerived(DATA_KEY, "crypt-keeper").toString("hex") },
});

const first = new TestBed(cfg, "life1", fromKey());
let second: TestBed;
const before1 = { users: [] as string[][], authState: null as unknown, adminPassword: "", hubPassword: "", demoPassword: "" };

describe("destroy (data kept) then up: the second life's pods open the first life's data", () => {
    before(
        async () => {
            await first.setUp();
            first.assertReady();
            // The first life: a login writes the user, their admin flag and encrypted auth_state.
            first.assertLoggedIn(await first.login(ADMIN, first.passwords[ADMIN]), ADMIN);
            before1.users = first.sqlAsHubUser("SELECT name, admin, HEX(encrypted_auth_state) FROM users ORDER BY name");
            before1.authState = (await first.api(`/users/${ADMIN}`)).body.auth_state;
            before1.adminPassword = first.secrets.ldapAdmin;
            before1.hubPassword = first.secrets.mysqlHub;
            before1.demoPassword = first.passwords[ADMIN];
            // pulumi destroy: every process goes, the claims stay.
            first.keepData = true;
            await first.tearDown();
            // pulumi up: new generated credentials, the data key's the same, the claims the first life's.
            second = new TestBed(cfg, "life2", { ...fromKey(), claimsOf: first.state, secrets: { ldapAdmin: alnum(32), mysqlHub: alnum(32) } });
            await second.setUp();
        },
        { timeout: 300_000 },
    );
    after(async () => {
        await second?.tearDown();
    });

    describe("second life", () => {
        /** A test of the second life; it fails with the set-up's error if a life could not start. */
        const t = (name: string, fn: () => void | Promise<void>) =>
            it(name, async () => {
                assert.ok(second, "the second life was not started (the first failed)");
                second.assertReady();
                await fn();
            });

        t("the generated credentials are new, the data key's are the same (as a second `pulumi up` makes them)", () => {
            assert.notEqual(second.secrets.ldapAdmin, before1.adminPassword);
            assert.notEqual(second.secrets.mysqlHub, before1.hubPassword);
            assert.equal(second.passwords[ADMIN], before1.demoPassword);
            assert.equal(second.hubSecrets.cryptKeeperKey, first.hubSecrets.cryptKeeperKey);
        });

        t("the init container leaves the kept directory database as it is", () => {
            assert.match(second.ldapInitOutput, /directory database present in .*: left as it is/);
        });

        t("the directory's admin binds with the new password, the old one is refused (the server took rootpw at start)", () => {
            assert.ok(second.binds(second.tree.adminDn, second.secrets.ldapAdmin));
            assert.equal(second.binds(second.tree.adminDn, before1.adminPassword), false);
        });

        t("the sync Job, as the admin, finds the passwords already set from this key and changes none", () => {
            assert.doesNotMatch(second.firstSync, /passwords of \d+ users set/, second.firstSync);
            assert.match(second.firstSync, /directory in sync/);
        });

        t("the hub's database user connects with the new password (--init-file), the old one is refused", () => {
            assert.deepEqual(second.sqlAsHubUser("SELECT 1"), [["1"]]);
            assert.throws(() => second.sqlAsHubUserWith(before1.hubPassword, "SELECT 1"), /Access denied/);
        });

        t("the hub reads the first life's rows: the same users, admin flags and stored auth_state", () => {
            assert.deepEqual(second.sqlAsHubUser("SELECT name, admin, HEX(encrypted_auth_state) FROM users ORDER BY name"), before1.users);
        });

        t(`${ADMIN} logs in with the password from before, and their stored auth_state is decrypted`, async () => {
            const api = await second.api(`/users/${ADMIN}`);
            assert.equal(api.status, 200);
            assert.deepEqual(api.body.auth_state, before1.authState, "decrypted with the key derived from the same data key, before any new login");
            assert.ok(before1.authState, "the first life stored some");
            second.assertLoggedIn(await second.login(ADMIN, before1.demoPassword), ADMIN);
        });

        t(
            "a stack re-created without its config file (another data key) is stopped by the sync Job, naming both keys; told the old key, it sets new passwords",
            () => {
                const otherKey = crypto.randomBytes(32).toString("base64");
                const otherMaster = dataKeyDerived(otherKey, "directory-users");
                const oldFp = masterFingerprint(second.master);
                assert.throws(
                    () => second.sync(second.directory, otherMaster, ""),
                    (e: Error) => {
                        assert.match(
                            e.message,
                            new RegExp(
                                `passwords were set from key ${oldFp}; this stack's data key \\(jupyterhub:dataKey\\) is ${masterFingerprint(otherMaster)}`,
                            ),
                        );
                        assert.match(e.message, new RegExp(`ldap.resetPasswordsFrom ${oldFp}`));
                        return true;
                    },
                );
                assert.ok(second.binds(second.tree.userDn(ADMIN), before1.demoPassword), "nobody's password changed");
                assert.throws(
                    () => second.sync(second.directory, otherMaster, "0123456789abcdef"),
                    /passwords were set from key/,
                    "another fingerprint is refused too",
                );
                const out = second.sync(second.directory, otherMaster, oldFp).output;
                assert.match(out, /passwords of \d+ users set from the master key/);
                assert.ok(second.binds(second.tree.userDn(ADMIN), derivedUserPassword(otherMaster, ADMIN)));
            },
        );
    });
});
