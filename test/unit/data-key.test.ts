// The keys kept with the data (components/data-key.ts, issue 31): which key the stack uses, decided
// from what the program has, what the resource had and what the cluster keeps; the Secret read
// back; the one line a conflict stops the update with. Stand-ins for the cluster.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { describe, it } from "node:test";

import { DATA_KEY_PROBLEM, type DataKeyInputs, keyConflict, keyFingerprint, type Keys, readKeptKeys, resolveDataKeys } from "../../components/data-key";
import { masterFingerprint } from "../../components/secrets";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const key = (n: number) => Buffer.alloc(32, n).toString("base64");
const keys = (dir: number, ck: number): Keys => ({ "directory-users": key(dir), "crypt-keeper": key(ck) });
const news = (k: Keys, more: Partial<DataKeyInputs> = {}): DataKeyInputs => ({
    namespace: "hub",
    secretName: "data-key",
    configured: false,
    resetFrom: "",
    directory: true,
    keys: k,
    ...more,
});

/** A cluster that keeps `kept` (undefined: no Secret), counting reads. */
function cluster(kept: Keys | undefined) {
    const c = { reads: 0, read: () => (c.reads++, kept && { ...kept }) };
    return c;
}

/** What check leaves for the next run: the deployed resource's inputs. */
function deploy(k: Keys, more: Partial<DataKeyInputs> = {}): DataKeyInputs {
    return resolveDataKeys({}, news(k, more), () => undefined, UNKNOWN);
}

const problem = (fn: () => unknown): string => {
    try {
        fn();
    } catch (e) {
        assert.equal((e as Error).name, DATA_KEY_PROBLEM);
        return (e as Error).message;
    }
    return assert.fail("no problem raised");
};

describe("data key: the fingerprint", () => {
    it("is the directory users' key fingerprint of components/secrets.ts, which the directory records and ldap.resetPasswordsFrom takes", () => {
        for (const k of [key(1), crypto.randomBytes(32).toString("base64")]) assert.equal(keyFingerprint(k), masterFingerprint(Buffer.from(k, "base64")));
        assert.notEqual(keyFingerprint(key(1)), keyFingerprint(key(2)));
        assert.match(keyFingerprint(key(1)), /^[0-9a-f]{16}$/);
    });
});

describe("data key: which key the stack uses (check)", () => {
    it("a new stack (no Secret kept): the program's keys, and their fingerprints to tell a new one later", () => {
        const c = cluster(undefined);
        const r = resolveDataKeys({}, news(keys(1, 2)), c.read, UNKNOWN);
        assert.deepEqual(r.keys, keys(1, 2));
        assert.deepEqual(r.candidates, { "directory-users": keyFingerprint(key(1)), "crypt-keeper": keyFingerprint(key(2)) });
        assert.equal(c.reads, 1, "the cluster read once");
    });

    it("an up after a retaining destroy (no dataKey): the kept keys, not the newly generated ones, even before those are known (a preview)", () => {
        assert.deepEqual(resolveDataKeys({}, news(keys(3, 4)), cluster(keys(1, 2)).read, UNKNOWN).keys, keys(1, 2));
        const preview = resolveDataKeys({}, news({ "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN }), cluster(keys(1, 2)).read, UNKNOWN);
        assert.deepEqual(preview.keys, keys(1, 2));
        assert.deepEqual(preview.candidates, { "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN });
    });

    it("a new stack's preview: a key not generated yet stays unknown", () => {
        const r = resolveDataKeys({}, news({ "directory-users": UNKNOWN, "crypt-keeper": key(2) }), cluster(undefined).read, UNKNOWN);
        assert.deepEqual(r.keys, { "directory-users": UNKNOWN, "crypt-keeper": key(2) });
    });

    it("a kept Secret missing a key (one that came later): the kept ones, the program's for the rest", () => {
        assert.deepEqual(resolveDataKeys({}, news(keys(3, 4)), cluster({ "crypt-keeper": key(2) }).read, UNKNOWN).keys, keys(3, 2));
    });

    it("a deployed stack whose keys did not change: its keys, without reading the cluster (a no-op preview)", () => {
        const deployed = resolveDataKeys({}, news(keys(3, 4)), cluster(keys(1, 2)).read, UNKNOWN);
        const c = cluster(keys(9, 9));
        assert.deepEqual(resolveDataKeys(deployed, news(keys(3, 4)), c.read, UNKNOWN), deployed);
        assert.equal(c.reads, 0);
    });

    it("a rotation (up --replace of one generated key, no dataKey): that key is the new one, the other stays, the cluster is not asked", () => {
        const deployed = resolveDataKeys({}, news(keys(3, 4)), cluster(keys(1, 2)).read, UNKNOWN);
        const c = cluster(keys(1, 2));
        assert.deepEqual(resolveDataKeys(deployed, news(keys(3, 5)), c.read, UNKNOWN).keys, keys(1, 5));
        assert.deepEqual(resolveDataKeys(deployed, news({ "directory-users": key(3), "crypt-keeper": UNKNOWN }), c.read, UNKNOWN).keys, {
            "directory-users": key(1),
            "crypt-keeper": UNKNOWN,
        });
        assert.equal(c.reads, 0);
    });

    it("a configured dataKey (derived keys): used when nothing is kept, and when the kept keys are the same", () => {
        assert.deepEqual(resolveDataKeys({}, news(keys(1, 2), { configured: true }), cluster(undefined).read, UNKNOWN).keys, keys(1, 2));
        assert.deepEqual(resolveDataKeys({}, news(keys(1, 2), { configured: true }), cluster(keys(1, 2)).read, UNKNOWN).keys, keys(1, 2));
    });

    it("dataKey removed from a deployed stack: the kept keys (its own derived ones) are used, not the newly generated ones", () => {
        const deployed = deploy(keys(1, 2), { configured: true });
        assert.deepEqual(resolveDataKeys(deployed, news(keys(7, 8)), cluster(keys(1, 2)).read, UNKNOWN).keys, keys(1, 2));
        assert.deepEqual(
            resolveDataKeys(deployed, news({ "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN }), cluster(keys(1, 2)).read, UNKNOWN).keys,
            keys(1, 2),
        );
    });

    it("a configured dataKey that differs from the kept keys stops the update with one line naming both by fingerprint and what to do; no key in it", () => {
        for (const [olds, what] of [
            [{}, "a stack re-created with a new dataKey on kept data"],
            [deploy(keys(1, 2)), "dataKey set on a stack deployed without one"],
            [deploy(keys(1, 2), { configured: true }), "dataKey changed"],
        ] as const) {
            const line = problem(() => resolveDataKeys(olds, news(keys(5, 6), { configured: true }), cluster(keys(1, 2)).read, UNKNOWN));
            assert.equal(line, keyConflict(news(keys(5, 6)), keyFingerprint(key(5)), keyFingerprint(key(1))), what);
            assert.ok(!line.includes("\n"), "one line");
            for (const k of [key(1), key(2), key(5), key(6)]) assert.ok(!line.includes(k), `${what}: a key in the line`);
        }
    });

    it("the conflict line: both fingerprints, the Secret, keeping the kept keys, and replacing them through ldap.resetPasswordsFrom (kubectl delete without the in-cluster directory)", () => {
        const line = keyConflict({ namespace: "hub", secretName: "data-key", directory: true }, "1111111111111111", "2222222222222222");
        assert.match(
            line,
            /^jupyterhub:dataKey \(key 1111111111111111\) is not the data key kept with this stack's data \(Secret hub\/data-key, key 2222222222222222\)/,
        );
        assert.match(line, /pulumi config rm dataKey/);
        assert.match(line, /pulumi config set --plaintext --path ldap\.resetPasswordsFrom 2222222222222222, then pulumi up$/);
        const external = keyConflict({ namespace: "hub", secretName: "data-key", directory: false }, "1111111111111111", "2222222222222222");
        assert.match(external, /kubectl -n hub delete secret data-key, then pulumi up$/);
        assert.ok(!external.includes("resetPasswordsFrom"));
    });

    it("ldap.resetPasswordsFrom naming the kept key lets the configured one replace it; another fingerprint does not", () => {
        const kept = keyFingerprint(key(1));
        const r = resolveDataKeys({}, news(keys(5, 6), { configured: true, resetFrom: kept }), cluster(keys(1, 2)).read, UNKNOWN);
        assert.deepEqual(r.keys, keys(5, 6));
        problem(() => resolveDataKeys({}, news(keys(5, 6), { configured: true, resetFrom: keyFingerprint(key(3)) }), cluster(keys(1, 2)).read, UNKNOWN));
        // Without the in-cluster directory the setting does not exist: the kept Secret must go.
        problem(() => resolveDataKeys({}, news(keys(5, 6), { configured: true, resetFrom: kept, directory: false }), cluster(keys(1, 2)).read, UNKNOWN));
        assert.deepEqual(resolveDataKeys({}, news(keys(5, 6), { configured: true, directory: false }), cluster(undefined).read, UNKNOWN).keys, keys(5, 6));
    });

    it("another namespace is another place: the cluster decides again", () => {
        const deployed = deploy(keys(3, 4));
        const c = cluster(keys(1, 2));
        assert.deepEqual(resolveDataKeys(deployed, news(keys(3, 4), { namespace: "other" }), c.read, UNKNOWN).keys, keys(1, 2));
        assert.equal(c.reads, 1);
    });
});

describe("data key: the kept Secret read back", () => {
    const secretJson = (data: Record<string, string>) =>
        JSON.stringify({ kind: "Secret", data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) });

    it("asks kubectl for the Secret of the namespace, absent ones ignored; none: undefined", () => {
        const calls: string[][] = [];
        assert.equal(
            readKeptKeys((a) => (calls.push(a), "\n"), "hub"),
            undefined,
        );
        assert.deepEqual(calls, [["get", "secret", "data-key", "-n", "hub", "--ignore-not-found", "-o", "json"]]);
    });

    it("gives each key as the program wrote it (stringData: base64 of 32 bytes)", () => {
        assert.deepEqual(
            readKeptKeys(() => secretJson(keys(1, 2)), "hub"),
            keys(1, 2),
        );
    });

    it("a key that is not base64 of 32 bytes (edited by hand) stops the update, naming the Secret and the key, without its value", () => {
        const line = problem(() => readKeptKeys(() => secretJson({ "directory-users": "short", "crypt-keeper": key(2) }), "hub"));
        assert.match(line, /^Secret hub\/data-key: "directory-users" is not the base64 of 32 bytes/);
        assert.ok(!line.includes(key(2)) && !line.includes("short"));
    });
});
