// The dev stack with a data key (jupyterhub:dataKey) under mocks: the credentials the kept data
// depend on, the directory users' passwords and the CryptKeeper key, are derived from it, not
// generated; the key is read as a secret and is nowhere in plain text (issue 20).
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { HUB_SECRET } from "../../components/hub";
import { dataKeyDerived } from "../../components/secrets";
import { derivedUserPassword } from "../../components/directory/passwords";
import { rawStackConfig } from "../support/helpers";
import { plainStrings, ProgramRun, reveal, runProgram } from "../support/program";

const DATA_KEY = Buffer.alloc(32, 42).toString("base64");
let withKey: ProgramRun;
let withOther: ProgramRun;
let without: ProgramRun;
let withReset: ProgramRun;
before(async () => {
    withKey = await runProgram("dev", {}, { dataKey: DATA_KEY });
    withOther = await runProgram("dev", {}, { dataKey: Buffer.alloc(32, 43).toString("base64") });
    without = await runProgram("dev");
    const ldap = { ...(rawStackConfig("dev").ldap as Record<string, unknown>), resetPasswordsFrom: "00faea6b8f42b7c1" };
    withReset = await runProgram("dev", { "jupyterhub:ldap": ldap }, { dataKey: DATA_KEY });
});

const randomNames = (run: ProgramRun) => run.resources.filter((r) => r.type.startsWith("random:")).map((r) => r.name);

describe("program (dev stack with jupyterhub:dataKey, under mocks)", () => {
    it("generates no key for users' passwords nor for auth_state: they come from the data key", () => {
        assert.ok(randomNames(without).includes("openldap-user-passwords") && randomNames(without).includes("hub-secrets-crypt-keeper"));
        assert.ok(!randomNames(withKey).includes("openldap-user-passwords"), randomNames(withKey).join(","));
        assert.ok(!randomNames(withKey).includes("hub-secrets-crypt-keeper"), randomNames(withKey).join(","));
        // Regenerated on each up, and reconciled by the servers at start: the admin's and MySQL's passwords, the cookie secret.
        for (const n of ["openldap-admin", "mysql-root", "mysql-hub", "hub-secrets-cookie"]) assert.ok(randomNames(withKey).includes(n), n);
    });

    it("every user's password is derived from the data key: the same key, the same passwords", () => {
        const master = dataKeyDerived(DATA_KEY, "directory-users");
        const passwords = withKey.outputs.ldapUserPasswords as Record<string, string>;
        assert.equal(passwords.demo, derivedUserPassword(master, "demo"));
        assert.notEqual((withOther.outputs.ldapUserPasswords as Record<string, string>).demo, passwords.demo);
    });

    it("the hub's CryptKeeper key is derived from it", () => {
        const data = reveal(withKey.byName("jupyterhub-secrets", "Secret").inputs.stringData) as Record<string, string>;
        assert.equal(data["hub.config.CryptKeeper.keys"], dataKeyDerived(DATA_KEY, "crypt-keeper").toString("hex"));
        assert.equal(withKey.byName("jupyterhub-secrets", "Secret").inputs.metadata && HUB_SECRET, "hub-secrets");
    });

    it("the sync Job resets passwords set from another key only when ldap.resetPasswordsFrom names it (with a data key; any without)", () => {
        const env = (run: ProgramRun) => {
            const job = run.resources.find((r) => r.type === "kubernetes:batch/v1:Job" && r.name === "openldap-sync");
            // The one variable of the Job's environment (beside where the directory and its files are) this is about.
            return (
                reveal(job?.inputs) as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } } }
            ).spec.template.spec.containers[0].env.filter((e) => e.name === "RESET_FROM_KEY");
        };
        assert.deepEqual(env(without), [{ name: "RESET_FROM_KEY", value: "any" }]);
        assert.deepEqual(env(withKey), [{ name: "RESET_FROM_KEY", value: "" }]);
        assert.deepEqual(env(withReset), [{ name: "RESET_FROM_KEY", value: "00faea6b8f42b7c1" }]);
    });

    it("the data key and what it derives appear in no input in plain text", () => {
        const derived = [DATA_KEY, dataKeyDerived(DATA_KEY, "crypt-keeper").toString("hex"), dataKeyDerived(DATA_KEY, "directory-users").toString("base64")];
        const plain = withKey.resources.flatMap((r) => plainStrings(r.inputs).filter(([, s]) => derived.some((d) => s.includes(d))));
        assert.deepEqual(plain, []);
        assert.ok(!JSON.stringify(plainStrings(withKey.outputs)).includes(DATA_KEY));
    });
});
