// The dev stack with a 1000-student course: what the program registers must not grow with users.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import { devStackObjects } from "../support/dev-objects";
import { get, rawStackConfig } from "../support/helpers";
import { exportedOutputs, isSecretWrapped, ProgramRun, reveal, runProgram } from "../support/program";

const NS = "jupyterhub-dev";
const students = Array.from({ length: 1000 }, (_, i) => `s${String(i + 1).padStart(4, "0")}`);
const ldap = rawStackConfig("dev").ldap as { users: Array<Record<string, string>>; groups: Array<{ cn: string; members: string[] }> };
/** The dev stack's own users and the students. */
const total = ldap.users.length + students.length;
let run: ProgramRun;

before(async () => {
    run = await runProgram("dev", {
        "jupyterhub:ldap": {
            ...ldap,
            users: [...ldap.users, ...students.map((uid) => ({ uid, givenName: "Student", sn: uid }))],
            groups: ldap.groups.map((g) => ({ ...g, members: [...g.members, ...students] })),
        },
    });
});

describe(`program (dev stack with ${total} directory users, under mocks)`, () => {
    it("registers the same Kubernetes objects as with two users", () => {
        const objects = run.resources
            .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"))
            .map((r) => `${String(get(r.inputs, "kind"))}/${String(get(r.inputs, "metadata.name"))}`)
            .map((n) => n.replace(/^Job\/openldap-sync-[0-9a-f]{16}$/, "Job/openldap-sync-<tree hash>"));
        assert.deepEqual(objects.sort(), devStackObjects(NS).sort());
    });

    it("generates the same secrets as with two users: one master key for all directory users", () => {
        // The cookie secret and the proxy token are the program's own dynamic resources (components/own-secret.ts).
        const generated = (r: { type: string; inputs: Record<string, unknown> }) =>
            r.type.startsWith("random:") || ("secretName" in r.inputs && "key" in r.inputs);
        const random = run.resources.filter(generated).map((r) => r.name);
        assert.deepEqual(random.sort(), [
            "hub-secrets-cookie",
            "hub-secrets-crypt-keeper",
            "hub-secrets-proxy-token",
            "mysql-hub",
            "mysql-root",
            "openldap-admin",
            "openldap-user-passwords",
        ]);
        assert.equal(run.resources.filter((r) => students.some((s) => r.name.includes(s))).length, 0, "no resource is named after a user");
    });

    it("every user has a password of their own, in the one secret stack output", async () => {
        const passwords = run.outputs.ldapUserPasswords as Record<string, string>;
        assert.equal(Object.keys(passwords).length, total);
        assert.equal(new Set(Object.values(passwords)).size, total);
        assert.ok(await pulumi.isSecret(exportedOutputs(run).ldapUserPasswords));
    });

    it("the bootstrap Secret carries every user, as a secret, within Kubernetes' 1 MiB", () => {
        const data = run.byName("openldap-bootstrap", "Secret").inputs.stringData;
        assert.ok(isSecretWrapped(data));
        const files = reveal(data) as Record<string, string>;
        assert.equal(files.uids.split("\n").filter(Boolean).length, total);
        assert.equal((files["tree.ldif"].match(/^userPassword: \{SSHA\}/gm) ?? []).length, total);
        const bytes = Object.values(files).reduce((n, f) => n + Buffer.byteLength(f), 0);
        assert.ok(bytes < 1024 * 1024, `${bytes} bytes`);
    });
});
