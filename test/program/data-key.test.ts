// The dev stack with a data key (jupyterhub:dataKey) under mocks: the credentials the kept data
// depend on, the directory users' passwords and the CryptKeeper key, are derived from it, not
// generated; the key is read as a secret and is nowhere in plain text (issue 20). With or without
// one, the keys are kept in the Secret data-key beside the data, decided by the dynamic resource
// data-key, whose provider is run here as the engine loads it, with a stand-in kubectl (issue 31).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { before, describe, it } from "node:test";

import { DATA_KEY_SECRET, keyFingerprint } from "../../components/data-key";
import { HUB_SECRET } from "../../components/hub";
import { dataKeyDerived } from "../../components/secrets";
import { derivedUserPassword } from "../../components/directory/passwords";
import { answerSecrets, loadProvider, plainInputs, standInKubectlOnPath } from "../support/dynamic-provider";
import { promiseOf, rawStackConfig } from "../support/helpers";
import { isSecretWrapped, plainStrings, ProgramRun, Registered, reveal, runProgram } from "../support/program";

const DATA_KEY = Buffer.alloc(32, 42).toString("base64");
let withKey: ProgramRun;
let withOther: ProgramRun;
let without: ProgramRun;
let withReset: ProgramRun;
let deleting: ProgramRun;
before(async () => {
    withKey = await runProgram("dev", {}, { dataKey: DATA_KEY });
    withOther = await runProgram("dev", {}, { dataKey: Buffer.alloc(32, 43).toString("base64") });
    without = await runProgram("dev");
    const ldap = { ...(rawStackConfig("dev").ldap as Record<string, unknown>), resetPasswordsFrom: "00faea6b8f42b7c1" };
    withReset = await runProgram("dev", { "jupyterhub:ldap": ldap }, { dataKey: DATA_KEY });
    deleting = await runProgram("dev", {
        "jupyterhub:dataPolicy": "delete",
        "jupyterhub:nfs": { ...(rawStackConfig("dev").nfs as object), onDelete: "delete" },
    });
});

const randomNames = (run: ProgramRun) => run.resources.filter((r) => r.type.startsWith("random:")).map((r) => r.name);

describe("program (dev stack with jupyterhub:dataKey, under mocks)", () => {
    it("generates no key for users' passwords nor for auth_state: they come from the data key", () => {
        assert.ok(randomNames(without).includes("openldap-user-passwords") && randomNames(without).includes("hub-secrets-crypt-keeper"));
        assert.ok(!randomNames(withKey).includes("openldap-user-passwords"), randomNames(withKey).join(","));
        assert.ok(!randomNames(withKey).includes("hub-secrets-crypt-keeper"), randomNames(withKey).join(","));
        // Regenerated on each up, and reconciled by the servers at start: the admin's and MySQL's passwords, the cookie secret.
        for (const n of ["openldap-admin", "mysql-root", "mysql-hub"]) assert.ok(randomNames(withKey).includes(n), n);
        assert.ok(withKey.byName("hub-secrets-cookie", "Resource"), "the cookie secret: the program's own (components/own-secret.ts)");
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

const keptSecret = (run: ProgramRun) => run.byName("data-key", "Secret");
const dynamic = (run: ProgramRun) => run.resources.find((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.name === "data-key")!;
const keptData = (run: ProgramRun) => reveal(keptSecret(run).inputs.stringData) as Record<string, string>;
const cryptKeeper = (run: ProgramRun) =>
    (reveal(run.byName("jupyterhub-secrets", "Secret").inputs.stringData) as Record<string, string>)["hub.config.CryptKeeper.keys"];

describe("program: the keys kept with the data (Secret data-key, issue 31)", () => {
    it("without a data key they are generated once, by the RandomBytes release 0.2.0 made, moved under DataKeys by aliases to their 0.2.0 parents", async () => {
        const generated = without.resources.filter((r) => r.type === "random:index/randomBytes:RandomBytes" && /user-passwords|crypt-keeper/.test(r.name));
        const aliasParents = await Promise.all(
            generated.map(async (r) => {
                assert.equal(r.aliases.length, 1, r.name);
                return `${r.name} <- ${await promiseOf((r.aliases[0] as { parent: import("@pulumi/pulumi").Output<string> }).parent)}`;
            }),
        );
        assert.deepEqual(aliasParents.sort(), [
            "hub-secrets-crypt-keeper <- urn:pulumi:dev::jupyterhub::jupyterhub:index:HubSecrets::hub-secrets",
            "openldap-user-passwords <- urn:pulumi:dev::jupyterhub::jupyterhub:index:OpenLdap::openldap",
        ]);
        for (const r of generated) assert.deepEqual(r.inputs, { length: 32 }, `${r.name}: 32 bytes, as in 0.2.0`);
    });

    it("the Secret data-key in the stack's namespace holds exactly the keys the directory's passwords and the hub's CryptKeeper key come from", () => {
        for (const run of [without, withKey]) {
            const secret = keptSecret(run);
            assert.deepEqual(reveal(secret.inputs.metadata), {
                name: DATA_KEY_SECRET,
                namespace: "jupyterhub-dev",
                labels: { "app.kubernetes.io/name": "data-key", "app.kubernetes.io/part-of": "jupyterhub-platform", "app.kubernetes.io/managed-by": "pulumi" },
            });
            assert.ok(isSecretWrapped(secret.inputs.stringData), "its data is secret as a whole");
            const data = keptData(run);
            assert.deepEqual(Object.keys(data).sort(), ["crypt-keeper", "directory-users"]);
            const passwords = run.outputs.ldapUserPasswords as Record<string, string>;
            assert.equal(passwords.demo, derivedUserPassword(Buffer.from(data["directory-users"], "base64"), "demo"));
            assert.equal(cryptKeeper(run), Buffer.from(data["crypt-keeper"], "base64").toString("hex"));
        }
        assert.deepEqual(keptData(withKey), {
            "directory-users": dataKeyDerived(DATA_KEY, "directory-users").toString("base64"),
            "crypt-keeper": dataKeyDerived(DATA_KEY, "crypt-keeper").toString("base64"),
        });
    });

    it("it is kept by a retaining destroy, like the claims, and deleted with the data under dataPolicy delete", () => {
        assert.equal(keptSecret(without).retainOnDelete, true);
        assert.deepEqual(keptSecret(without).dependsOn, ["namespace"], "after the namespace, through the adopting provider (ClusterAccess.keep)");
        assert.equal(keptSecret(deleting).retainOnDelete, false);
    });

    it("the dynamic resource data-key gets each key as a secret, and no key is anywhere in plain text", () => {
        for (const run of [without, withKey]) {
            // The SDK sends each key as a secret; what the mocks receive marks the object holding them secret.
            const inputs = dynamic(run).inputs;
            assert.ok(isSecretWrapped(inputs.keys), "the keys are secret");
            assert.deepEqual(Object.keys(reveal(inputs.keys) as object).sort(), ["crypt-keeper", "directory-users"]);
            const secrets = Object.values(keptData(run));
            const plain = run.resources.flatMap((r) =>
                plainStrings(r.inputs)
                    .filter(([, s]) => secrets.some((k) => s.includes(k)))
                    .map(([at]) => `${r.name} ${at}`),
            );
            assert.deepEqual(plain, []);
        }
        assert.deepEqual(reveal({ ...dynamic(without).inputs, __provider: undefined, keys: undefined }), {
            __provider: undefined,
            keys: undefined,
            namespace: "jupyterhub-dev",
            secretName: DATA_KEY_SECRET,
            configured: false,
            resetFrom: "",
            directory: true,
        });
        assert.equal(get(dynamic(withReset).inputs, "resetFrom"), "00faea6b8f42b7c1");
        assert.equal(get(dynamic(withKey).inputs, "configured"), true);
    });
});

const get = (o: Record<string, unknown>, k: string) => reveal(o[k]);

describe("program: the data key's provider as the engine loads it (its serialized text), with a stand-in kubectl", () => {
    const kubectl = standInKubectlOnPath("jhub-data-key-");
    /** The cluster holds these Secrets (name: data, as stringData), and no other. */
    const cluster = (secrets: Record<string, Record<string, string>>) => answerSecrets(kubectl, secrets);
    const check = (r: Registered, olds: Record<string, unknown> = {}, news: Record<string, unknown> = plainInputs(r)) =>
        loadProvider(r).check!(olds, news) as Promise<{ inputs: { keys: Record<string, string> }; failures?: Array<{ property: string; reason: string }> }>;
    const other = { "directory-users": Buffer.alloc(32, 7).toString("base64"), "crypt-keeper": Buffer.alloc(32, 8).toString("base64") };
    /** The program's own Secret of that name, as the mocks registered it: what 0.2.0 left in the cluster. */
    const live = (run: ProgramRun, name: string) => reveal(run.byName(name, "Secret").inputs.stringData) as Record<string, string>;

    it("a new stack (nothing kept, no objects): keys of its own, not the generated RandomBytes; kubectl asked for the three Secrets of the stack's namespace", async () => {
        cluster({});
        const { keys } = (await check(dynamic(without))).inputs;
        assert.deepEqual(Object.keys(keys).sort(), ["crypt-keeper", "directory-users"]);
        for (const [p, k] of Object.entries(keys)) {
            assert.equal(Buffer.from(k, "base64").length, 32, p);
            assert.notEqual(k, keptData(without)[p], `${p} is not the RandomBytes' value`);
        }
        assert.deepEqual(fs.readFileSync(kubectl.calls, "utf8").trim().split("\n").sort(), [
            "get secret data-key -n jupyterhub-dev --ignore-not-found -o json",
            "get secret hub-secrets -n jupyterhub-dev --ignore-not-found -o json",
            "get secret openldap-bootstrap -n jupyterhub-dev --ignore-not-found -o json",
        ]);
    });

    it("a stack upgraded from 0.2.0 (its hub-secrets and openldap-bootstrap use the generated keys): those keys", async () => {
        cluster({ "hub-secrets": live(without, "jupyterhub-secrets"), "openldap-bootstrap": live(without, "openldap-bootstrap") });
        assert.deepEqual((await check(dynamic(without))).inputs.keys, keptData(without));
    });

    it("keys kept (an up after a destroy): the kept ones, also while the new generated ones are unknown (a preview)", async () => {
        cluster({ [DATA_KEY_SECRET]: other });
        assert.deepEqual((await check(dynamic(without))).inputs.keys, other);
        const unknown = { ...plainInputs(dynamic(without)), keys: { "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN } };
        assert.deepEqual((await check(dynamic(without), {}, unknown)).inputs.keys, other);
    });

    it("a configured data key that is not the kept one: no inputs but one failure, the line naming both fingerprints", async () => {
        cluster({ [DATA_KEY_SECRET]: other });
        const { failures = [] } = await check(dynamic(withKey));
        assert.equal(failures.length, 1);
        assert.equal(failures[0].property, "");
        assert.match(
            failures[0].reason,
            new RegExp(`^jupyterhub:dataKey \\(key ${keyFingerprint(keptData(withKey)["directory-users"])}\\) is not the data key kept`),
        );
        assert.match(failures[0].reason, new RegExp(`ldap\\.resetPasswordsFrom ${keyFingerprint(other["directory-users"])}, then pulumi up$`));
    });

    it("create and update record what check decided; diff sees a new key and nothing else", async () => {
        cluster({});
        const p = loadProvider(dynamic(withKey));
        const checked = (await check(dynamic(withKey))).inputs as unknown as Record<string, unknown>;
        assert.deepEqual((checked as { keys: unknown }).keys, keptData(withKey), "a configured key, nothing kept: the derived keys");
        const created = await p.create(checked);
        assert.equal(created.id, "jupyterhub-dev/data-key");
        assert.deepEqual(created.outs, checked);
        assert.deepEqual(await p.diff!("x", checked, checked), { changes: false });
        assert.deepEqual(await p.diff!("x", checked, { ...checked, resetFrom: "00faea6b8f42b7c1" }), { changes: false });
        assert.deepEqual(await p.diff!("x", checked, { ...checked, keys: other }), { changes: true });
    });
});

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
