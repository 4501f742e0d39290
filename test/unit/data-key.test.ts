// The keys kept with the data (components/data-key.ts, issue 31): which key the stack uses, decided
// from what the program has, what the resource had and what the cluster keeps; the Secret read
// back; the one line a conflict stops the update with. Stand-ins for the cluster.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { describe, it } from "node:test";

import {
    DATA_KEY_PROBLEM,
    type DataKeyInputs,
    freshKey,
    IN_USE,
    keyConflict,
    keyFingerprint,
    type Keys,
    readInUse,
    readKeptKeys,
    resolveDataKeys,
} from "../../components/data-key";
import { masterFingerprint } from "../../components/directory/passwords";

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

/** A cluster that keeps `kept` (undefined: no Secret data-key) and whose live objects hold `live` (IN_USE), counting reads. */
function cluster(kept: Keys | undefined, live: Record<string, string> = {}) {
    const c = {
        reads: 0,
        kept: () => (c.reads++, kept && { ...kept }),
        inUse: () => (c.reads++, { ...live }),
    };
    return c;
}

/** Fresh keys of the provider's own, numbered from 100 (stand-in for freshKey). */
function freshKeys() {
    let n = 100;
    return () => key(n++);
}

/** What check leaves for the next run: the deployed resource's inputs. */
function deploy(k: Keys, more: Partial<DataKeyInputs> = {}, kept?: Keys): DataKeyInputs {
    return resolveDataKeys({}, news(k, more), cluster(kept), UNKNOWN, freshKeys());
}

/** What 0.2.0's objects hold of its keys: the hub's CryptKeeper key in hex, the directory's key by fingerprint. */
const liveOf = (k: Keys) => ({
    "crypt-keeper": Buffer.from(k["crypt-keeper"], "base64").toString("hex"),
    "directory-users": keyFingerprint(k["directory-users"]),
});

const problem = (fn: () => unknown): string => {
    try {
        fn();
    } catch (e) {
        assert.equal((e as Error).name, DATA_KEY_PROBLEM);
        return (e as Error).message;
    }
    return assert.fail("no problem raised");
};

describe("data key: the fingerprint and fresh keys", () => {
    it("is the directory users' key fingerprint of components/secrets.ts, which the directory records and ldap.resetPasswordsFrom takes", () => {
        for (const k of [key(1), crypto.randomBytes(32).toString("base64")]) assert.equal(keyFingerprint(k), masterFingerprint(Buffer.from(k, "base64")));
        assert.notEqual(keyFingerprint(key(1)), keyFingerprint(key(2)));
        assert.match(keyFingerprint(key(1)), /^[0-9a-f]{16}$/);
    });

    it("a fresh key is 32 random bytes, base64, another each time", () => {
        const [a, b] = [freshKey(), freshKey()];
        assert.equal(Buffer.from(a, "base64").length, 32);
        assert.match(a, /^[A-Za-z0-9+/]{43}=$/);
        assert.notEqual(a, b);
    });
});

describe("data key: which key the stack uses (check)", () => {
    it("a new stack (nothing kept, no objects using a key): keys of the provider's own, not the generated RandomBytes (whose id is its value)", () => {
        const c = cluster(undefined);
        const r = resolveDataKeys({}, news(keys(1, 2)), c, UNKNOWN, freshKeys());
        assert.deepEqual(r.keys, keys(100, 101));
        assert.deepEqual(r.candidates, { "directory-users": keyFingerprint(key(1)), "crypt-keeper": keyFingerprint(key(2)) });
        assert.equal(c.reads, 2, "the kept Secret and the live objects read once each");
    });

    it("a stack upgraded from 0.2.0 (nothing kept): the generated keys its objects use, and only those", () => {
        assert.deepEqual(resolveDataKeys({}, news(keys(1, 2)), cluster(undefined, liveOf(keys(1, 2))), UNKNOWN, freshKeys()).keys, keys(1, 2));
        // A directory whose key is another (or none) gets a new one; the hub's key alone is taken.
        const hubOnly = { "crypt-keeper": liveOf(keys(1, 2))["crypt-keeper"], "directory-users": keyFingerprint(key(9)) };
        assert.deepEqual(resolveDataKeys({}, news(keys(1, 2)), cluster(undefined, hubOnly), UNKNOWN, freshKeys()).keys, {
            "directory-users": key(100),
            "crypt-keeper": key(2),
        });
    });

    it("an up after a retaining destroy (no dataKey): the kept keys, not new ones, even before the generated ones are known (a preview)", () => {
        assert.deepEqual(resolveDataKeys({}, news(keys(3, 4)), cluster(keys(1, 2)), UNKNOWN, freshKeys()).keys, keys(1, 2));
        const preview = resolveDataKeys({}, news({ "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN }), cluster(keys(1, 2)), UNKNOWN, freshKeys());
        assert.deepEqual(preview.keys, keys(1, 2));
        assert.deepEqual(preview.candidates, { "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN });
    });

    it("a new stack's preview: a key not known yet stays unknown", () => {
        const r = resolveDataKeys({}, news({ "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN }), cluster(undefined), UNKNOWN, freshKeys());
        assert.deepEqual(r.keys, { "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN });
    });

    it("a kept Secret missing a key (one that came later): the kept ones, a new one for the rest", () => {
        assert.deepEqual(resolveDataKeys({}, news(keys(3, 4)), cluster({ "crypt-keeper": key(2) }), UNKNOWN, freshKeys()).keys, keys(100, 2));
    });

    it("a deployed stack whose program keys did not change: its keys, without reading the cluster (a no-op preview)", () => {
        const deployed = deploy(keys(3, 4), {}, keys(1, 2));
        const c = cluster(keys(9, 9));
        assert.deepEqual(resolveDataKeys(deployed, news(keys(3, 4)), c, UNKNOWN, freshKeys()), deployed);
        assert.equal(c.reads, 0);
    });

    it("a rotation (up --replace of one generated key, no dataKey): a new key of the provider's own for it, the other stays, the cluster is not asked", () => {
        const deployed = deploy(keys(3, 4), {}, keys(1, 2));
        const c = cluster(keys(1, 2));
        assert.deepEqual(resolveDataKeys(deployed, news(keys(3, 5)), c, UNKNOWN, freshKeys()).keys, keys(1, 100));
        assert.deepEqual(resolveDataKeys(deployed, news({ "directory-users": key(3), "crypt-keeper": UNKNOWN }), c, UNKNOWN, freshKeys()).keys, {
            "directory-users": key(1),
            "crypt-keeper": UNKNOWN,
        });
        assert.equal(c.reads, 0);
    });

    it("a configured dataKey (derived keys): used when nothing is kept, and when the kept keys are the same", () => {
        assert.deepEqual(resolveDataKeys({}, news(keys(1, 2), { configured: true }), cluster(undefined), UNKNOWN, freshKeys()).keys, keys(1, 2));
        assert.deepEqual(resolveDataKeys({}, news(keys(1, 2), { configured: true }), cluster(keys(1, 2)), UNKNOWN, freshKeys()).keys, keys(1, 2));
    });

    it("dataKey removed from a deployed stack: the kept keys (its own derived ones), not the newly generated ones; the resource's own if the Secret is gone", () => {
        const deployed = deploy(keys(1, 2), { configured: true });
        assert.deepEqual(resolveDataKeys(deployed, news(keys(7, 8)), cluster(keys(1, 2)), UNKNOWN, freshKeys()).keys, keys(1, 2));
        assert.deepEqual(
            resolveDataKeys(deployed, news({ "directory-users": UNKNOWN, "crypt-keeper": UNKNOWN }), cluster(keys(1, 2)), UNKNOWN, freshKeys()).keys,
            keys(1, 2),
        );
        assert.deepEqual(resolveDataKeys(deployed, news(keys(7, 8)), cluster(undefined), UNKNOWN, freshKeys()).keys, keys(1, 2));
    });

    it("a configured dataKey that differs from the kept keys stops the update with one line naming both by fingerprint and what to do; no key in it", () => {
        for (const [olds, what] of [
            [{}, "a stack re-created with a new dataKey on kept data"],
            [deploy(keys(1, 2), {}, keys(1, 2)), "dataKey set on a stack deployed without one"],
            [deploy(keys(1, 2), { configured: true }), "dataKey changed"],
        ] as const) {
            const line = problem(() => resolveDataKeys(olds, news(keys(5, 6), { configured: true }), cluster(keys(1, 2)), UNKNOWN, freshKeys()));
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
        const r = resolveDataKeys({}, news(keys(5, 6), { configured: true, resetFrom: kept }), cluster(keys(1, 2)), UNKNOWN, freshKeys());
        assert.deepEqual(r.keys, keys(5, 6));
        problem(() =>
            resolveDataKeys({}, news(keys(5, 6), { configured: true, resetFrom: keyFingerprint(key(3)) }), cluster(keys(1, 2)), UNKNOWN, freshKeys()),
        );
        // Without the in-cluster directory the setting does not exist: the kept Secret must go.
        problem(() =>
            resolveDataKeys({}, news(keys(5, 6), { configured: true, resetFrom: kept, directory: false }), cluster(keys(1, 2)), UNKNOWN, freshKeys()),
        );
        assert.deepEqual(
            resolveDataKeys({}, news(keys(5, 6), { configured: true, directory: false }), cluster(undefined), UNKNOWN, freshKeys()).keys,
            keys(5, 6),
        );
    });

    it("another namespace is another place: the cluster decides again", () => {
        const deployed = deploy(keys(3, 4), {}, keys(3, 4));
        const c = cluster(keys(1, 2));
        assert.deepEqual(resolveDataKeys(deployed, news(keys(3, 4), { namespace: "other" }), c, UNKNOWN, freshKeys()).keys, keys(1, 2));
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

    it("what the live objects hold of each key: the hub's CryptKeeper key (hex), the directory's key fingerprint; absent Secrets ignored", () => {
        const calls: string[][] = [];
        const live = readInUse((a) => {
            calls.push(a);
            if (a[2] === IN_USE["crypt-keeper"].secret) return secretJson({ "hub.config.CryptKeeper.keys": "ab".repeat(32), "values.yaml": "{}" });
            if (a[2] === IN_USE["directory-users"].secret) return secretJson({ fingerprint: "00faea6b8f42b7c1", "tree.ldif": "" });
            return "";
        }, "hub");
        assert.deepEqual(live, { "crypt-keeper": "ab".repeat(32), "directory-users": "00faea6b8f42b7c1" });
        assert.deepEqual(calls.map((c) => c.join(" ")).sort(), [
            "get secret hub-secrets -n hub --ignore-not-found -o json",
            "get secret openldap-bootstrap -n hub --ignore-not-found -o json",
        ]);
        assert.deepEqual(
            readInUse(() => "", "hub"),
            {},
        );
    });

    it("a key that is not base64 of 32 bytes (edited by hand) stops the update, naming the Secret and the key, without its value", () => {
        const line = problem(() => readKeptKeys(() => secretJson({ "directory-users": "short", "crypt-keeper": key(2) }), "hub"));
        assert.match(line, /^Secret hub\/data-key: "directory-users" is not the base64 of 32 bytes/);
        assert.ok(!line.includes(key(2)) && !line.includes("short"));
    });
});
