import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { describe, it } from "node:test";

import { DATA_KEY_HINT, dataKeyDerived, proxyTokenFingerprint } from "../../components/secrets";
import { derivedUserPassword, derivedUserSalt, masterFingerprint, USER_PASSWORD_LENGTH, USER_SALT_BYTES } from "../../components/directory/passwords";

const master = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const other = Buffer.from("ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const uids = Array.from({ length: 1000 }, (_, i) => `s${String(i).padStart(4, "0")}`);

describe("secrets: directory users' passwords derived from one master key", () => {
    it("are deterministic: the same master and uid give the same password and salt, run after run", () => {
        assert.equal(derivedUserPassword(master, "demo"), derivedUserPassword(Buffer.from(master), "demo"));
        assert.deepEqual(derivedUserSalt(master, "demo"), derivedUserSalt(Buffer.from(master), "demo"));
        // Known answers, computed with Python (hmac, base 62 digits least significant first).
        // A change of the scheme changes every user's password, which needs an upgrade
        // note (docs/operations.md) and a new version in the derivation's label.
        assert.equal(derivedUserPassword(master, "demo"), "jtiuwhBTZ8b0n2bzOdXq");
        assert.equal(derivedUserSalt(master, "demo").toString("hex"), "1f467579212ae97c");
        assert.equal(masterFingerprint(master), "00faea6b8f42b7c1");
    });

    it("are an HMAC-SHA256 of the uid under the master key, not a plain hash of it", () => {
        const mac = crypto.createHmac("sha256", master).update("jupyterhub-platform/ldap-user/v1/salt\0demo").digest();
        assert.deepEqual(derivedUserSalt(master, "demo"), mac.subarray(0, USER_SALT_BYTES));
        assert.notDeepEqual(derivedUserSalt(master, "demo"), crypto.createHash("sha256").update("demo").digest().subarray(0, USER_SALT_BYTES));
    });

    it("have the shape of the RandomPassword and RandomBytes they replace: 20 of [A-Za-z0-9], 8 bytes", () => {
        for (const uid of uids.slice(0, 100)) {
            assert.match(derivedUserPassword(master, uid), new RegExp(`^[A-Za-z0-9]{${USER_PASSWORD_LENGTH}}$`));
            assert.equal(derivedUserSalt(master, uid).length, USER_SALT_BYTES);
        }
    });

    it("are distinct per user: 1000 users, 1000 passwords and 1000 salts", () => {
        assert.equal(new Set(uids.map((u) => derivedUserPassword(master, u))).size, uids.length);
        assert.equal(new Set(uids.map((u) => derivedUserSalt(master, u).toString("hex"))).size, uids.length);
        // Password, salt and fingerprint come from different labels: none is a piece of another.
        const pw = derivedUserPassword(master, "demo");
        assert.ok(!pw.includes(derivedUserSalt(master, "demo").toString("hex").slice(0, 8)));
        // A uid that is a prefix or an extension of another is a different message (NUL-separated).
        assert.notEqual(derivedUserPassword(master, "ann"), derivedUserPassword(master, "anna"));
    });

    it("use the whole alphabet about evenly (no visible bias from base 62)", () => {
        const counts = new Map<string, number>();
        for (const u of uids) for (const ch of derivedUserPassword(master, u)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
        assert.equal(counts.size, 62);
        const expected = (uids.length * USER_PASSWORD_LENGTH) / 62; // 322.6
        for (const [ch, n] of counts) assert.ok(n > expected * 0.7 && n < expected * 1.3, `${ch}: ${n} of about ${expected.toFixed(0)}`);
    });

    it("change completely with the master key: rotating it gives every user a new password", () => {
        for (const uid of uids.slice(0, 50)) {
            assert.notEqual(derivedUserPassword(other, uid), derivedUserPassword(master, uid));
            assert.notDeepEqual(derivedUserSalt(other, uid), derivedUserSalt(master, uid));
        }
        assert.notEqual(masterFingerprint(other), masterFingerprint(master));
    });

    it("the fingerprint names the key without revealing it: 16 hex digits, no piece of the key or of a password", () => {
        const fp = masterFingerprint(master);
        assert.match(fp, /^[0-9a-f]{16}$/);
        assert.ok(!master.toString("hex").includes(fp) && !master.toString("base64").includes(fp));
        assert.ok(!uids.slice(0, 100).some((u) => derivedUserPassword(master, u).includes(fp)));
    });

    it("refuses a short master key", () => {
        assert.throws(() => derivedUserPassword(Buffer.alloc(16), "demo"), /master key must be at least 32 bytes \(got 16\)/);
    });
});

describe("secrets: the stack's data key (jupyterhub:dataKey) and what it derives", () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    it("derives one key per purpose, deterministically: the same data key gives the same keys after a destroy", () => {
        assert.deepEqual(dataKeyDerived(key, "directory-users"), dataKeyDerived(` ${key}\n`, "directory-users"));
        assert.notDeepEqual(dataKeyDerived(key, "directory-users"), dataKeyDerived(key, "crypt-keeper"));
        assert.notDeepEqual(dataKeyDerived(key, "crypt-keeper"), dataKeyDerived(Buffer.alloc(32, 8).toString("base64"), "crypt-keeper"));
        const mac = crypto.createHmac("sha256", Buffer.alloc(32, 7)).update("jupyterhub-platform/data-key/v1/crypt-keeper").digest();
        assert.deepEqual(dataKeyDerived(key, "crypt-keeper"), mac);
        assert.equal(dataKeyDerived(key, "crypt-keeper").length, 32, "32 bytes: what CryptKeeper and the master key take");
    });

    it("refuses a key that is not base64 of 32 bytes or more, naming jupyterhub:dataKey and the command that makes one", () => {
        for (const bad of ["", "short", Buffer.alloc(31, 1).toString("base64"), "not base64 at all!!"]) {
            assert.throws(
                () => dataKeyDerived(bad, "crypt-keeper"),
                (e: Error) => {
                    assert.match(e.message, /^jupyterhub:dataKey must be the base64 of at least 32 random bytes/);
                    assert.ok(e.message.includes(DATA_KEY_HINT), e.message);
                    assert.ok(!bad || !e.message.includes(bad) || bad.length < 8, "the message does not echo the key");
                    return true;
                },
            );
        }
    });
});

describe("secrets: the proxy token's fingerprint", () => {
    const token = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    it("is an HMAC-SHA256 keyed with the token, of a label, cut to 16 hex digits: the same token, the same fingerprint", () => {
        const mac = crypto.createHmac("sha256", token).update("jupyterhub-platform/proxy-token/fingerprint").digest().subarray(0, 8).toString("hex");
        assert.equal(proxyTokenFingerprint(token), mac);
        assert.match(proxyTokenFingerprint(token), /^[0-9a-f]{16}$/);
        assert.equal(proxyTokenFingerprint(token), proxyTokenFingerprint(`${token}`));
        assert.notEqual(proxyTokenFingerprint(token), crypto.createHash("sha256").update(token).digest("hex").slice(0, 16), "not a plain hash");
    });

    it("differs for different tokens and shows no part of the token", () => {
        const tokens = Array.from({ length: 200 }, () => crypto.randomBytes(32).toString("hex"));
        assert.equal(new Set(tokens.map(proxyTokenFingerprint)).size, tokens.length);
        for (const t of tokens.slice(0, 20)) assert.ok(!t.includes(proxyTokenFingerprint(t).slice(0, 8)));
    });

    it("refuses a token shorter than 32 characters (the generated one has 64)", () => {
        assert.throws(() => proxyTokenFingerprint("short"), /at least 32 characters \(got 5\)/);
    });
});
