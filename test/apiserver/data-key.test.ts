// The keys kept with the data (components/data-key.ts, issue 31) against a real kube-apiserver:
// the data key's provider, loaded from its serialized text as the engine's dynamic provider host
// loads it, runs `check` with this machine's kubectl on the cluster of KUBECONFIG, as it does at a
// preview or an up. The Secrets it reads are the ones the program registers (their objects under
// mocks, applied server-side). Life by life: a new stack (no namespace yet), a stack of 0.2.0
// (its hub and directory Secrets using the generated keys), the Secret written, an up after a
// destroy (new generated keys: the kept ones win), a configured data key that differs
// (refused, one line), the same one with ldap.resetPasswordsFrom naming the kept key (taken), and a
// Secret edited by hand.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { keyFingerprint, readInUse, readKeptKeys } from "../../components/data-key";
import { kubectl } from "../support/apiserver-harness";
import { loadProvider, plainInputs } from "../support/dynamic-provider";
import { ProgramRun, Registered, reveal, runProgram } from "../support/program";

const NS = "jhub-data-key";
const DATA_KEY = Buffer.alloc(32, 5).toString("base64");
type Checked = { inputs: { keys: Record<string, string>; candidates: Record<string, string> }; failures?: Array<{ property: string; reason: string }> };

let keyless: ProgramRun;
let keyed: ProgramRun;
const dynamic = (run: ProgramRun) => run.resources.find((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.name === "data-key")!;
const secretObject = (run: ProgramRun) => reveal(run.byName("data-key", "Secret").inputs) as Record<string, unknown>;
const programKeys = (run: ProgramRun) => (secretObject(run).stringData ?? {}) as Record<string, string>;
const check = (r: Registered, news: Record<string, unknown> = plainInputs(r), olds: Record<string, unknown> = {}) =>
    loadProvider(r).check!(olds, news) as Promise<Checked>;
const apply = (o: Record<string, unknown>) =>
    kubectl(["apply", "--server-side", "--field-manager=jhub-data-key-test", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Secret", ...o }));
const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
        return await fn();
    } finally {
        console.log(`data-key: ${what} ${Date.now() - t0} ms`);
    }
};

before(async () => {
    if (!process.env.KUBECONFIG) throw new Error("KUBECONFIG is not set: run this through `npm run test:apiserver` (.ci/apiserver.sh)");
    keyless = await runProgram("dev", { "jupyterhub:namespace": NS });
    keyed = await runProgram("dev", { "jupyterhub:namespace": NS }, { dataKey: DATA_KEY });
    kubectl(["delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=120s"]);
});

after(() => {
    kubectl(["delete", "namespace", NS, "--ignore-not-found", "--wait=false"]);
});

describe("real kube-apiserver: the data key kept in the stack's namespace, read back by check", () => {
    const other = { "directory-users": Buffer.alloc(32, 7).toString("base64"), "crypt-keeper": Buffer.alloc(32, 8).toString("base64") };

    it("a new stack, its namespace not there yet: check gives keys of its own (not the generated RandomBytes); kubectl finding nothing is no error", async () => {
        assert.equal(kubectl(["get", "namespace", NS, "--ignore-not-found", "-o", "name"]).trim(), "");
        const r = await timed("check, no namespace", () => check(dynamic(keyless)));
        assert.equal(r.failures, undefined);
        for (const [p, k] of Object.entries(r.inputs.keys)) {
            assert.equal(Buffer.from(k, "base64").length, 32, p);
            assert.notEqual(k, programKeys(keyless)[p], p);
        }
        assert.equal(readKeptKeys(kubectl, NS), undefined);
    });

    it("a stack upgraded from 0.2.0, nothing kept: the generated keys its hub-secrets and openldap-bootstrap (applied as registered) use", async () => {
        kubectl(["create", "namespace", NS]);
        for (const name of ["jupyterhub-secrets", "openldap-bootstrap"]) apply(reveal(keyless.byName(name, "Secret").inputs) as Record<string, unknown>);
        assert.deepEqual(readInUse(kubectl, NS), {
            "crypt-keeper": Buffer.from(programKeys(keyless)["crypt-keeper"], "base64").toString("hex"),
            "directory-users": keyFingerprint(programKeys(keyless)["directory-users"]),
        });
        const r = await timed("check, 0.2.0's objects", () => check(dynamic(keyless)));
        assert.deepEqual(r.inputs.keys, programKeys(keyless));
    });

    it("the program's Secret data-key, applied as registered, reads back as the keys it holds", () => {
        apply(secretObject(keyless));
        assert.deepEqual(readKeptKeys(kubectl, NS), programKeys(keyless));
        const s = JSON.parse(kubectl(["get", "secret", "data-key", "-n", NS, "-o", "json"])) as { type: string; metadata: { labels: Record<string, string> } };
        assert.equal(s.type, "Opaque");
        assert.equal(s.metadata.labels["app.kubernetes.io/name"], "data-key");
    });

    it("an up after a destroy that kept it: newly generated keys (known or not yet) give way to the kept ones", async () => {
        const news = { ...plainInputs(dynamic(keyless)), keys: other };
        const r = await timed("check, Secret kept", () => check(dynamic(keyless), news));
        assert.deepEqual(r.inputs.keys, programKeys(keyless));
        assert.deepEqual(r.inputs.candidates, {
            "directory-users": keyFingerprint(other["directory-users"]),
            "crypt-keeper": keyFingerprint(other["crypt-keeper"]),
        });
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const preview = await check(dynamic(keyless), { ...news, keys: { "directory-users": unknown, "crypt-keeper": unknown } });
        assert.deepEqual(preview.inputs.keys, programKeys(keyless), "a preview shows the kept keys");
    });

    it("a configured data key that differs from the kept keys: one failure naming both fingerprints and ldap.resetPasswordsFrom", async () => {
        const r = await check(dynamic(keyed));
        const kept = keyFingerprint(programKeys(keyless)["directory-users"]);
        assert.equal(r.failures?.length, 1, JSON.stringify(r.failures));
        const line = r.failures?.[0].reason ?? "";
        console.log(`data-key: the conflict: ${line}`);
        assert.match(
            line,
            new RegExp(`^jupyterhub:dataKey \\(key ${keyFingerprint(programKeys(keyed)["directory-users"])}\\) .* \\(Secret ${NS}/data-key, key ${kept}\\)`),
        );
        assert.match(line, new RegExp(`ldap\\.resetPasswordsFrom ${kept}, then pulumi up$`));
        for (const k of [...Object.values(programKeys(keyed)), ...Object.values(programKeys(keyless))]) assert.ok(!line.includes(k));
    });

    it("with ldap.resetPasswordsFrom naming the kept key, the configured one is taken; written, it is what the next check reads", async () => {
        const kept = keyFingerprint(programKeys(keyless)["directory-users"]);
        const r = await check(dynamic(keyed), { ...plainInputs(dynamic(keyed)), resetFrom: kept });
        assert.equal(r.failures, undefined);
        assert.deepEqual(r.inputs.keys, programKeys(keyed));
        apply(secretObject(keyed));
        assert.deepEqual((await check(dynamic(keyed))).inputs.keys, programKeys(keyed));
    });

    it("a kept key edited by hand into something that is not a key: one failure naming the Secret and the key", async () => {
        apply({ metadata: { name: "data-key", namespace: NS }, stringData: { "crypt-keeper": "not a key" } });
        const r = await check(dynamic(keyless));
        assert.match(r.failures?.[0].reason ?? "", new RegExp(`^Secret ${NS}/data-key: "crypt-keeper" is not the base64 of 32 bytes`));
    });
});
