// The engine suites' grep for secrets in a state (test/support/plain-text.ts): a value is found in
// any encoding of its bytes, and a state that holds it only encrypted is clean.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { encodings, plainTextLeaks, stateSecrets } from "../support/plain-text";

const bytes = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const SIG = "4dabf18193072939515e22adb298388d";
/** A state as `pulumi stack export` writes it: a RandomBytes whose id is its base64, its outputs secret. */
const state = (shown: boolean) =>
    JSON.stringify({
        deployment: {
            resources: [
                {
                    urn: "urn:pulumi:s::p::random:index/randomBytes:RandomBytes::cookie",
                    id: bytes.toString("base64"),
                    inputs: { length: 32 },
                    outputs: {
                        hex: shown
                            ? { [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(bytes.toString("hex")) }
                            : { [SIG]: "x", ciphertext: "v1:abc" },
                        certificate: shown ? { [SIG]: "x", plaintext: JSON.stringify("-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----") } : "",
                    },
                },
            ],
        },
    });

describe("plain-text: a secret found in a state in any encoding", () => {
    it("the hex a Secret holds is found as the base64 of its bytes (a RandomBytes' id), and as base64url, unpadded, upper-case hex", () => {
        const all = encodings(bytes.toString("hex"));
        for (const e of [
            bytes.toString("base64"),
            bytes.toString("base64url"),
            bytes.toString("base64").replace(/=+$/, ""),
            bytes.toString("hex").toUpperCase(),
        ])
            assert.ok(all.includes(e), e);
        assert.deepEqual(plainTextLeaks(state(false), { cookie: bytes.toString("hex") }), ["cookie"]);
        // The grep the engine suite had: the hex form only, which this state does not hold.
        assert.ok(!state(false).includes(bytes.toString("hex")));
    });

    it("every string under a secret of a state shown with --show-secrets, by resource and property, but certificates", () => {
        assert.deepEqual(stateSecrets(state(true)), { "cookie outputs.hex": bytes.toString("hex") });
    });

    it("a value held only encrypted is no leak", () => {
        const other = Buffer.alloc(32, 9).toString("hex");
        assert.deepEqual(plainTextLeaks(state(false), { other }), []);
    });
});
