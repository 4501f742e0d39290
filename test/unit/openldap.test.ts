import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import { parseConfig } from "../../config";
import { bootstrapFiles, bootstrapLdif, bootstrapSizeProblems, groupSyncLdif, ldapTree, SECRET_LIMIT_BYTES } from "../../components/directory/tree";
import { externalAuthSettings, inClusterAuthSettings, ldapCertDnsNames } from "../../components/directory/client";
import { derivedUserPassword, derivedUserSalt, sshaHash, userCredentials } from "../../components/directory/passwords";
import { SYNC_SCRIPT, syncEnv, syncJobName } from "../../components/directory/sync";
import { readScript, scriptPath } from "../../components/scripts";
import { ldapAuthenticatorConfig } from "../../components/hub";
import { inMode, run } from "../support/helpers";

const cfg = inMode(
    parseConfig(
        {
            ldap: {
                baseDn: "dc=example,dc=org",
                organisation: "Example Org",
                users: [
                    { uid: "alice", givenName: "Alice", sn: "Liddell", mail: "alice@example.org" },
                    { uid: "bob", givenName: "Bob", sn: "Müller" },
                ],
                groups: [
                    { cn: "hub-users", members: ["alice", "bob"] },
                    { cn: "hub-admins", members: ["alice"] },
                ],
                allowedGroups: ["hub-users"],
            },
        },
        "dev",
    ).ldap,
    "in-cluster",
);

describe("openldap: tree and LDIF", () => {
    it("derives every DN from the base DN and OUs", () => {
        const t = ldapTree(cfg);
        assert.equal(t.usersDn, "ou=people,dc=example,dc=org");
        assert.equal(t.groupsDn, "ou=groups,dc=example,dc=org");
        assert.equal(t.adminDn, "cn=admin,dc=example,dc=org");
        assert.equal(t.userDn("alice"), "uid=alice,ou=people,dc=example,dc=org");
        assert.equal(t.bindDnTemplate.replace("{username}", "alice"), t.userDn("alice"));
    });

    it("hashes passwords as {SSHA}: SHA-1 of password and salt, salt appended", () => {
        const salt = Buffer.from("0011223344556677", "hex");
        const hash = sshaHash("s3cret", salt);
        assert.ok(hash.startsWith("{SSHA}"));
        const raw = Buffer.from(hash.slice(6), "base64");
        assert.equal(raw.length, 28);
        assert.deepEqual(raw.subarray(20), salt);
        // Independent check of the digest; and a known vector computed with Python's hashlib.
        assert.deepEqual(
            raw.subarray(0, 20),
            crypto
                .createHash("sha1")
                .update(Buffer.concat([Buffer.from("s3cret"), salt]))
                .digest(),
        );
        assert.equal(sshaHash("secret", Buffer.from("salt1234")), "{SSHA}Wcm1xEisNjqp921ALcHfuQ7avFdzYWx0MTIzNA==");
    });

    const ldif = bootstrapLdif(cfg, { alice: "{SSHA}aaa", bob: "{SSHA}bbb" });

    it("bootstraps the base entry, both OUs, the password policy, users and groups, parents first", () => {
        const dns = [...ldif.matchAll(/^dn: (.*)$/gm)].map((m) => m[1]);
        assert.deepEqual(dns, [
            "dc=example,dc=org",
            "ou=people,dc=example,dc=org",
            "ou=groups,dc=example,dc=org",
            "cn=password-policy,dc=example,dc=org",
            "uid=alice,ou=people,dc=example,dc=org",
            "uid=bob,ou=people,dc=example,dc=org",
            "cn=hub-users,ou=groups,dc=example,dc=org",
            "cn=hub-admins,ou=groups,dc=example,dc=org",
        ]);
        assert.match(ldif, /dn: dc=example,dc=org\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example Org/);
    });

    it("stores only hashes, never plain passwords", () => {
        assert.match(ldif, /uid=alice[^]*?userPassword: \{SSHA\}aaa/);
        assert.doesNotMatch(ldif, /userPassword: (?!\{SSHA\})/);
    });

    it("encodes non-ASCII values in base64 as LDIF requires", () => {
        assert.match(ldif, new RegExp(`sn:: ${Buffer.from("Müller").toString("base64")}`));
    });

    it("lists group members by full DN", () => {
        const group = ldif.split("\n\n").find((e) => e.startsWith("dn: cn=hub-users"))!;
        assert.deepEqual(
            group.split("\n").filter((l) => l.startsWith("member:")),
            ["member: uid=alice,ou=people,dc=example,dc=org", "member: uid=bob,ou=people,dc=example,dc=org"],
        );
    });

    it("refuses to build a tree with a user whose hash is missing", () => {
        assert.throws(() => bootstrapLdif(cfg, { alice: "{SSHA}a" }), /no password hash for LDAP user "bob"/);
    });

    it("resets group membership to the config", () => {
        const sync = groupSyncLdif(cfg);
        assert.match(
            sync,
            /dn: cn=hub-admins,ou=groups,dc=example,dc=org\nchangetype: modify\nreplace: member\nmember: uid=alice,ou=people,dc=example,dc=org\n-/,
        );
    });

    it("certificate names cover the Service from inside and outside the namespace", () => {
        assert.deepEqual(ldapCertDnsNames("openldap", "hub"), ["openldap", "openldap.hub", "openldap.hub.svc", "openldap.hub.svc.cluster.local", "localhost"]);
    });
});

/** A course: `n` students, all in one group besides the two users above. */
function course(n: number, extra: Record<string, unknown> = {}) {
    const students = Array.from({ length: n }, (_, i) => ({
        uid: `s${String(i + 1).padStart(4, "0")}`,
        givenName: "Student",
        sn: `Number ${i + 1}`,
        mail: `s${String(i + 1).padStart(4, "0")}@students.example.org`,
    }));
    return inMode(
        parseConfig(
            {
                ldap: {
                    baseDn: "dc=dev,dc=jupyterhub,dc=local",
                    users: [{ uid: "demo", givenName: "Demo", sn: "User", mail: "demo@example.org" }, ...students],
                    groups: [{ cn: "jupyterhub-users", members: ["demo", ...students.map((s) => s.uid)] }],
                    allowedGroups: ["jupyterhub-users"],
                    ...extra,
                },
            },
            "dev",
        ).ldap,
        "in-cluster",
    );
}

describe("openldap: users' passwords from one master key", () => {
    const master = crypto.createHash("sha256").update("test master").digest();
    const creds = userCredentials(master, ["alice", "bob"]);

    it("each user's hash is the {SSHA} of the derived password with the derived salt: a bind with the password matches", () => {
        for (const uid of ["alice", "bob"]) {
            assert.equal(creds.passwords[uid], derivedUserPassword(master, uid));
            const raw = Buffer.from(creds.hashes[uid].slice("{SSHA}".length), "base64");
            assert.deepEqual(raw.subarray(20), derivedUserSalt(master, uid));
            // What slapd does on a bind: SHA-1 of the offered password and the stored salt.
            const offered = crypto.createHash("sha1").update(creds.passwords[uid]).update(raw.subarray(20)).digest();
            assert.deepEqual(raw.subarray(0, 20), offered);
        }
        assert.notEqual(creds.passwords.alice, creds.passwords.bob);
        assert.notEqual(creds.hashes.alice, creds.hashes.bob);
    });

    it("the same master gives the same hashes, so the bootstrap Secret does not change on a no-op update", () => {
        assert.deepEqual(userCredentials(Buffer.from(master), ["alice", "bob"]), creds);
        assert.deepEqual(bootstrapFiles(cfg, creds.hashes, "fp"), bootstrapFiles(cfg, userCredentials(master, ["bob", "alice"]).hashes, "fp"));
    });

    it("the bootstrap files: tree, group reset, the uids to keep and the key's fingerprint; every hash once, no plain password", () => {
        const files = bootstrapFiles(cfg, creds.hashes, "00faea6b8f42b7c1");
        assert.deepEqual(Object.keys(files).sort(), ["fingerprint", "groups.ldif", "tree.ldif", "uids"]);
        const all = Object.values(files).join("\n");
        for (const uid of ["alice", "bob"]) assert.equal(all.split(creds.hashes[uid]).length - 1, 1, `${uid}'s hash once`);
        assert.equal(files.uids, "alice\nbob\n");
        assert.equal(files.fingerprint, "00faea6b8f42b7c1");
        assert.equal(files["tree.ldif"], bootstrapLdif(cfg, creds.hashes));
        assert.equal(files["groups.ldif"], groupSyncLdif(cfg));
        for (const text of Object.values(files)) assert.ok(!text.includes(creds.passwords.alice) && !text.includes(creds.passwords.bob));
    });
});

describe("openldap: the bootstrap Secret fits in Kubernetes", () => {
    it("a 1000-student course fits in one Secret, with room to spare", () => {
        const big = course(1000);
        assert.deepEqual(bootstrapSizeProblems(big), []);
        const master = crypto.randomBytes(32);
        const files = bootstrapFiles(
            big,
            userCredentials(
                master,
                big.users.map((u) => u.uid),
            ).hashes,
            "0123456789abcdef",
        );
        const bytes = 32 + Object.values(files).reduce((n, f) => n + Buffer.byteLength(f), 0);
        console.log(`bootstrap Secret for 1001 users: ${(bytes / 1024).toFixed(0)} KiB of ${SECRET_LIMIT_BYTES / 1024} KiB`);
        assert.ok(bytes < SECRET_LIMIT_BYTES * 0.6, `${bytes} bytes`);
    });

    it("the size check counts what the Secret will hold: real hashes are as long as its placeholders", () => {
        // Just below and just above the limit: the check and the real data agree.
        const master = crypto.randomBytes(32);
        for (const n of [2000, 2600, 3000]) {
            const c = course(n);
            const files = bootstrapFiles(
                c,
                userCredentials(
                    master,
                    c.users.map((u) => u.uid),
                ).hashes,
                "0123456789abcdef",
            );
            const bytes = 32 + Object.values(files).reduce((sum, f) => sum + Buffer.byteLength(f), 0);
            assert.equal(bootstrapSizeProblems(c).length > 0, bytes > SECRET_LIMIT_BYTES, `${n} students: ${bytes} bytes`);
        }
    });

    it("a directory too big for a Secret is refused, naming the key and what to do", () => {
        const [problem, ...rest] = bootstrapSizeProblems(course(4000));
        assert.deepEqual(rest, []);
        assert.match(
            problem,
            /^jupyterhub:ldap\.users lists 4001 users, which make the directory's bootstrap data \d+ KiB, over the 1024 KiB a Kubernetes Secret holds;/,
        );
        assert.match(problem, /at most about \d+ users .* or use a directory of your own \(ldap\.mode "external"\)$/);
    });
});

describe("openldap: the sync Job", () => {
    const tree = ldapTree(cfg);
    const setup = { uri: "ldaps://openldap.hub.svc.cluster.local:636", bootstrapDir: "/bootstrap", caFile: "/tls/ca.crt" };
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-sync-test-"));
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    /**
     * Runs components/scripts/ldap-sync.sh with dash, as the Job runs it: the environment syncEnv
     * gives, the bootstrap Secret's files in a directory, and stand-ins for the ldap-utils that
     * log their arguments and answer as an empty directory does. Returns the output and the calls.
     */
    function runSync(
        c: typeof cfg,
        o: { recordedKey?: string; resetPasswordsFrom?: string; status?: number } = {},
    ): { stdout: string; stderr: string; calls: string[]; bootstrap: string } {
        const dir = fs.mkdtempSync(path.join(work, "run-"));
        const [bootstrap, bin, log] = [path.join(dir, "bootstrap"), path.join(dir, "bin"), path.join(dir, "calls.log")];
        fs.mkdirSync(bootstrap);
        fs.mkdirSync(bin);
        const hashes = Object.fromEntries(c.users.map((u) => [u.uid, `{SSHA}${u.uid}`]));
        for (const [name, text] of Object.entries({ "admin-password": "pw", ...bootstrapFiles(c, hashes, "fp") }))
            fs.writeFileSync(path.join(bootstrap, name), text);
        // The searches find nothing (but the users OU's record of a key, when given); the changes
        // read their LDIF from stdin (or -f) and succeed. `reboot` is first on PATH too, harmless,
        // to show whether a value was ever run as a command.
        const recorded = o.recordedKey === undefined ? "" : `printf 'dn: x\\ndescription: jupyterhub-platform user passwords ${o.recordedKey}\\n'`;
        const search = `case " $* " in *" description "*) ${recorded || ":"} ;; esac`;
        const tools = { ldapwhoami: "", ldapsearch: search, ldapadd: "cat > /dev/null", ldapmodify: "cat > /dev/null", ldapdelete: "", reboot: "" };
        for (const [tool, answer] of Object.entries(tools)) {
            const logCall = `printf '%s' ${tool} >> "${log}"; for a in "$@"; do printf ' [%s]' "$a" >> "${log}"; done; echo >> "${log}"`;
            fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\n${logCall}\n${answer}\n`, { mode: 0o755 });
        }
        const env = syncEnv(ldapTree(c), { ...setup, bootstrapDir: bootstrap }, o.resetPasswordsFrom);
        const r = spawnSync("dash", [scriptPath(SYNC_SCRIPT)], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, encoding: "utf8" });
        assert.equal(r.status, o.status ?? 0, r.stderr);
        return { stdout: r.stdout, stderr: r.stderr, calls: fs.readFileSync(log, "utf8").split("\n").filter(Boolean), bootstrap };
    }

    it("its script is valid POSIX sh and reads only the bootstrap Secret's files", () => {
        run("sh", ["-n", scriptPath(SYNC_SCRIPT)]);
        const read = [...readScript(SYNC_SCRIPT).matchAll(/"\$BOOTSTRAP_DIR\/([^"]+)"/g)].map((m) => m[1]);
        const files = [...Object.keys(bootstrapFiles(cfg, { alice: "{SSHA}a", bob: "{SSHA}b" }, "fp")), "admin-password"];
        assert.deepEqual([...new Set(read)].sort(), [...files].sort());
        const env = syncEnv(tree, setup);
        assert.equal(env.DIRECTORY_ADMIN_DN, "cn=admin,dc=example,dc=org");
        assert.equal(env.DIRECTORY_PEOPLE_DN, "ou=people,dc=example,dc=org");
        assert.equal(env.BOOTSTRAP_DIR, "/bootstrap");
        assert.equal(env.LDAPTLS_CACERT, "/tls/ca.crt", "libldap reads the CA from the environment");
        const { stdout, calls, bootstrap } = runSync(cfg);
        assert.equal(stdout, "passwords of 2 users set from the master key fp\ndirectory in sync\n");
        const bind = `[-H] [${setup.uri}] [-x] [-D] [cn=admin,dc=example,dc=org] [-y] [${bootstrap}/admin-password]`;
        assert.ok(calls.length > 0 && calls.every((c) => c.includes(bind)), calls.join("\n"));
        assert.ok(
            calls.some((c) => c.startsWith("ldapsearch") && c.includes("[-b] [ou=people,dc=example,dc=org] [-s] [one]")),
            calls.join("\n"),
        );
    });

    it("takes every configured value as data, never as shell", () => {
        const odd = course(1, { baseDn: "o=O'Reilly $(reboot)" });
        const { stdout, calls } = runSync(odd);
        assert.match(stdout, /directory in sync/);
        assert.ok(
            calls.some((c) => c.startsWith("ldapsearch") && c.includes("[-b] [o=O'Reilly $(reboot)] [-s] [sub]")),
            calls.join("\n"),
        );
        assert.ok(
            calls.every((c) => c.includes("[-D] [cn=admin,o=O'Reilly $(reboot)]")),
            calls.join("\n"),
        );
        assert.ok(!calls.some((c) => c.startsWith("reboot")), "nothing in a value is run");
    });

    it("passwords set from another key are replaced only as RESET_FROM_KEY allows", () => {
        const setPasswords = (calls: string[]) => calls.filter((c) => c.startsWith("ldapmodify") && !c.includes("[-f]")).length;
        // The key recorded is this one: passwords are left alone, whatever the variable says.
        assert.equal(setPasswords(runSync(cfg, { recordedKey: "fp", resetPasswordsFrom: "" }).calls), 0);
        // Another key: replaced without the variable or with "any" (no data key), or when it names that key.
        for (const resetPasswordsFrom of [undefined, "any", "old"]) {
            const { stdout, calls } = runSync(cfg, { recordedKey: "old", resetPasswordsFrom });
            assert.match(stdout, /passwords of 2 users set from the master key fp/, String(resetPasswordsFrom));
            assert.equal(setPasswords(calls), 2, "the users' passwords, then the record of the key");
        }
        // Refused when it names no key (a data key) or another one: exit 3, the fix named, nothing set.
        for (const resetPasswordsFrom of ["", "other"]) {
            const { stderr, calls } = runSync(cfg, { recordedKey: "old", resetPasswordsFrom, status: 3 });
            assert.match(stderr, /the directory's passwords were set from key old; this stack's data key \(jupyterhub:dataKey\) is fp\./);
            assert.match(stderr, /pulumi config set --plaintext --path ldap\.resetPasswordsFrom old, then pulumi up/);
            assert.equal(setPasswords(calls), 0);
        }
        // A directory that has never been synced (no record) gets its passwords whatever the variable says.
        assert.equal(setPasswords(runSync(cfg, { resetPasswordsFrom: "" }).calls), 2);
    });

    it("is named after the users, the groups, the image and the script, so it runs again when one changes, and only then", () => {
        const name = syncJobName(cfg);
        assert.match(name, /^openldap-sync-[0-9a-f]{16}$/);
        assert.equal(syncJobName({ ...cfg }), name);
        assert.equal(syncJobName(cfg, readScript(SYNC_SCRIPT)), name, "the script is components/scripts/ldap-sync.sh");
        const fewer = { ...cfg, users: cfg.users.slice(0, 1), groups: [{ cn: "hub-users", members: ["alice"] }] };
        assert.notEqual(syncJobName(fewer), name, "a user removed");
        const regrouped = { ...cfg, groups: [{ cn: "hub-users", members: ["alice"] }] };
        assert.notEqual(syncJobName(regrouped), name, "a membership changed");
        // A new program's Job never takes the old one's name: deleting a Job and creating one of
        // the same name raced with the Job's removal (see SKIP_AWAIT_JOB_ANNOTATIONS).
        assert.notEqual(syncJobName({ ...cfg, image: `${cfg.image}-next` }), name, "another image");
        assert.notEqual(syncJobName(cfg, `${readScript(SYNC_SCRIPT)}\n# edited`), name, "another script");
    });
});

describe("openldap: what the authenticator is told", () => {
    it("in-cluster: LDAPS to the Service, the bootstrapped bind template, group DNs, the program's CA", () => {
        const s = inClusterAuthSettings(cfg, "hub");
        const c = ldapAuthenticatorConfig(s);
        assert.equal(c.server_address, "openldap.hub.svc.cluster.local");
        assert.equal(c.server_port, 636);
        assert.equal(c.tls_strategy, "on_connect");
        assert.deepEqual(c.bind_dn_template, ["uid={username},ou=people,dc=example,dc=org"]);
        assert.deepEqual(c.allowed_groups, ["cn=hub-users,ou=groups,dc=example,dc=org"]);
        assert.deepEqual(c.tls_kwargs, { ca_certs_file: "/etc/jupyterhub/ldap-ca/ca.crt", validate: 2 });
        assert.ok(ldapCertDnsNames("openldap", "hub").includes(String(c.server_address)), "the certificate must name the address the hub dials");
    });

    it("external with lookup_dn: search user, base and attribute; no CA when none is given", () => {
        const ext = inMode(
            parseConfig(
                {
                    ldap: {
                        mode: "external",
                        server: "ldap.corp",
                        baseDn: "dc=corp",
                        lookupDn: true,
                        searchUser: "cn=svc,dc=corp",
                        allowedGroups: ["cn=staff,dc=corp"],
                    },
                    ldapBindPassword: "<secret>",
                },
                "prod",
            ).ldap,
            "external",
        );
        const c = ldapAuthenticatorConfig(externalAuthSettings(ext));
        assert.equal(c.lookup_dn, true);
        assert.equal(c.user_search_base, "dc=corp");
        assert.equal(c.lookup_dn_search_user, "cn=svc,dc=corp");
        assert.equal(c.server_port, 389);
        assert.equal(c.tls_strategy, "before_bind");
        assert.equal(c.tls_kwargs, undefined);
        assert.equal(c.bind_dn_template, undefined);
        // The search password travels in the hub's existing Secret (hubSecretData), never here.
        assert.equal("lookup_dn_search_password" in c, false);
    });
});
