import * as crypto from "crypto";

import * as pulumi from "@pulumi/pulumi";

import type { DataKeys } from "./data-key";
import { COOKIE_SECRET_KEY, HUB_SECRET, PROXY_TOKEN_KEY } from "./hub/secrets";
import { OwnSecret } from "./own-secret";

/** The stack's data key: `jupyterhub:dataKey`, base64 of at least 32 random bytes. */
export const DATA_KEY_BYTES = 32;
export const DATA_KEY_HINT = 'pulumi config set --secret jupyterhub:dataKey "$(openssl rand -base64 32)"';

/** What the data key derives: each purpose a key of its own. */
export type DataKeyPurpose = "directory-users" | "crypt-keeper";

/**
 * A key derived from the stack's data key for one purpose (HMAC-SHA256 over a versioned label):
 * the credentials that the kept data depend on (issue 20). Stack config outlives `pulumi destroy`,
 * and the generated resources do not, so the users' passwords and the key of the hub's auth_state
 * come from here when the key is set: after a destroy that kept the data, `pulumi up` derives the
 * same ones. The key is read as a secret and never leaves one.
 */
export function dataKeyDerived(dataKey: string, purpose: DataKeyPurpose): Buffer {
    const raw = Buffer.from(dataKey.trim(), "base64");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(dataKey.trim()) || raw.length < DATA_KEY_BYTES) {
        throw new Error(
            `jupyterhub:dataKey must be the base64 of at least ${DATA_KEY_BYTES} random bytes (got ${raw.length} bytes); set a new one with ${DATA_KEY_HINT} ` +
                "(on a deployed stack this changes every directory user's password once and makes stored auth_state unreadable)",
        );
    }
    return crypto.createHmac("sha256", raw).update(`jupyterhub-platform/data-key/v1/${purpose}`, "utf8").digest();
}

export interface HubSecretsArgs {
    /** The stack's namespace, where HUB_SECRET is (components/hub/secrets.ts). */
    namespace: string;
    /** The stack's data keys (components/data-key.ts): the CryptKeeper key is its crypt-keeper key. */
    dataKey: DataKeys;
}

/**
 * The hub's own secrets and the proxy's token, generated once and kept in the state, encrypted;
 * they reach the hub and the proxy through the program's Secret (components/hub/secrets.ts
 * HUB_SECRET), never through chart values.
 */
export class HubSecrets extends pulumi.ComponentResource {
    /** hub.cookieSecret: signs login cookies; rotating it logs everybody out. 64 hex characters. Secret. */
    public readonly cookieSecret: pulumi.Output<string>;
    /** CryptKeeper key: encrypts auth_state in the hub database. 64 hex characters. Secret. */
    public readonly cryptKeeperKey: pulumi.Output<string>;
    /**
     * The proxy's token (CONFIGPROXY_AUTH_TOKEN): the hub authenticates to the proxy's API with it,
     * so hub and proxy must read the same one. 64 hex characters. Secret.
     */
    public readonly proxyToken: pulumi.Output<string>;

    constructor(name: string, args: HubSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:HubSecrets", name, {}, opts);
        // 32 bytes is what JupyterHub expects of the cookie secret, and 256 bits are as many for the
        // token. Not RandomBytes, whose id is its value in plain text (components/own-secret.ts); a
        // stack of 0.2.0 keeps the values its Secret holds.
        const own = (role: string, key: string) =>
            pulumi.secret(new OwnSecret(`${name}-${role}`, { namespace: args.namespace, secretName: HUB_SECRET, key }, { parent: this }).value);
        this.cookieSecret = own("cookie", COOKIE_SECRET_KEY);
        // auth_state in the kept database is readable only with the key it was written with.
        const cryptKeeper = args.dataKey.key("crypt-keeper");
        this.cryptKeeperKey = pulumi.secret(cryptKeeper.apply((b) => Buffer.from(b, "base64").toString("hex")));
        // Nothing kept depends on the token: after a destroy a new one comes with new pods.
        this.proxyToken = own("proxy-token", PROXY_TOKEN_KEY);
        this.registerOutputs({});
    }
}

/**
 * Names the proxy token without revealing it (an HMAC keyed with the token, of a label, 16 hex
 * digits): not secret, so it may stand in the hub's and the proxy's pod annotations, where a new
 * token changes it and rolls both pods. The token is 32 random bytes: the fingerprint gives no
 * way to it.
 */
export function proxyTokenFingerprint(token: string): string {
    if (token.length < 32) throw new Error(`the proxy token must be at least 32 characters (got ${token.length})`);
    return crypto.createHmac("sha256", token).update("jupyterhub-platform/proxy-token/fingerprint", "utf8").digest().subarray(0, 8).toString("hex");
}
