// The directory's password policy (issue 30, item 2): the ppolicy lines of slapd.conf, the policy
// entry of the tree and the sync Job's reset of its settings, from `ldap.lockout`. What slapd does
// with them is test/services/login.test.ts's (real slapd, the program's own slapd.conf).
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { lockedAccountPy } from "../../components/directory";
import { POD_SLAPD_PATHS, passwordPolicyLines, slapdConf } from "../../components/directory/slapd";
import { bootstrapLdif, groupSyncLdif, ldapTree } from "../../components/directory/tree";
import { parseConfig } from "../../config";
import { inMode } from "../support/helpers";

const ldap = (lockout?: Record<string, unknown>) =>
    inMode(
        parseConfig({ ldap: { users: [{ uid: "alice" }], groups: [{ cn: "hub", members: ["alice"] }], ...(lockout ? { lockout } : {}) } }, "dev").ldap,
        "in-cluster",
    );

describe("password policy: slapd.conf, the policy entry and its reset", () => {
    it("slapd.conf loads the module and puts the overlay on the database, its default the tree's policy entry", () => {
        const tree = ldapTree(ldap());
        const conf = slapdConf(tree, POD_SLAPD_PATHS, { maxSize: 1 }).split("\n");
        assert.ok(conf.includes("moduleload ppolicy"));
        const db = conf.indexOf("database mdb");
        const overlay = conf.indexOf("overlay ppolicy");
        assert.ok(db >= 0 && overlay > db && conf.indexOf("moduleload ppolicy") < db, "module before the database, overlay after it");
        assert.deepEqual(conf.slice(overlay, overlay + 4), passwordPolicyLines("cn=password-policy,dc=example,dc=org"));
        assert.deepEqual(passwordPolicyLines("cn=p,dc=x").slice(2), ["ppolicy_hash_cleartext", "ppolicy_use_lockout"]);
    });

    it("the defaults: 5 failures lock an account for 15 minutes", () => {
        const l = ldap();
        assert.deepEqual(l.lockout, { maxFailures: 5, duration: 900 });
        const entry = bootstrapLdif(l, { alice: "{SSHA}x" })
            .split("\n\n")
            .find((e) => e.startsWith("dn: cn=password-policy,"))!;
        assert.match(entry, /objectClass: pwdPolicy\n/);
        for (const line of ["pwdAttribute: userPassword", "pwdMaxFailure: 5", "pwdLockout: TRUE", "pwdLockoutDuration: 900", "pwdFailureCountInterval: 900"]) {
            assert.ok(entry.split("\n").includes(line), line);
        }
    });

    it("the sync Job's LDIF resets the policy's settings to ldap.lockout on every run (a directory made before keeps none of its own)", () => {
        const sync = groupSyncLdif(ldap({ maxFailures: 3, duration: 0 }));
        const first = sync.split("\n\n")[0];
        assert.match(
            first,
            /^dn: cn=password-policy,dc=example,dc=org\nchangetype: modify\nreplace: pwdAttribute\npwdAttribute: userPassword\n-\nreplace: pwdMaxFailure\npwdMaxFailure: 3\n-/,
        );
        assert.match(first, /replace: pwdLockoutDuration\npwdLockoutDuration: 0\n-/);
    });

    it("refuses a lockout that cannot lock or is not a whole number of seconds, naming the key", () => {
        assert.throws(() => ldap({ maxFailures: 0 }), /jupyterhub:ldap\.lockout\.maxFailures/);
        assert.throws(() => ldap({ duration: -1 }), /jupyterhub:ldap\.lockout\.duration/);
        assert.throws(() => ldap({ duration: 1.5 }), /jupyterhub:ldap\.lockout\.duration/);
        assert.throws(() => ldap({ maxFailure: 3 }), /jupyterhub:ldap\.lockout\.maxFailure is not a known setting/);
    });

    it("the hub's message for a locked account names the configured duration, or the admin alone with 0", () => {
        assert.match(
            lockedAccountPy({ duration: 900 }),
            /"This account is locked after too many failed logins\. It unlocks by itself within 15 minutes, or an administrator can unlock it\."/,
        );
        assert.match(lockedAccountPy({ duration: 30 }), /within 1 minute, or/);
        assert.match(lockedAccountPy({ duration: 0 }), /"This account is locked after too many failed logins\. An administrator can unlock it\."/);
        assert.match(lockedAccountPy({ duration: 0 }), /^_LDAPAuthenticator\.get_connection = _get_connection$/m);
    });
});
