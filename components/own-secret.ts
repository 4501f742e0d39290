// A generated secret that is never in the state in plain text: 32 random bytes, hex, made by a
// provider of the program's own. Release 0.2.0 generated the hub's cookie secret and the proxy's
// token with RandomBytes, whose resource id is its base64 value: both were readable in
// `pulumi stack export` although their outputs were marked secret. Here the id names where the
// value goes, and the value is only ever a secret: the output `value`, and the input of the same
// name when check took it from the Secret (then a preview shows it, and nothing that reads it
// changes).
//
// An existing stack is not logged out by the upgrade: the resource's check reads the Secret the value
// goes to (kubectl, as the data key's check does, components/data-key.ts) and keeps the value it
// holds under the key, if a release before this one wrote it: the Secret does not carry
// OWN_SECRETS_ANNOTATION, which the program puts on it. Once the program has written the Secret,
// nothing is taken from it, so `pulumi up --replace <urn>` makes a new value: the rotation that
// retires a value that was in a 0.2.0 state. (Telling a replacement by the earlier state check is
// given does not serve: with the engine v3.276.0 such an `up --replace` gave the old value back.)
import * as pulumi from "@pulumi/pulumi";

/**
 * The annotation of the Secret that says its generated values are this program's own (OwnSecret),
 * not a release's RandomBytes: then none is taken from it.
 */
export const OWN_SECRETS_ANNOTATION = "platform.jupyterhub.org/own-secrets";

/** What the dynamic resource is given; after check, `value` is there only when it is taken from the Secret. */
export interface OwnSecretInputs {
    namespace: string;
    /** The Secret and key of it where the value goes (and where a deployed stack has it already). */
    secretName: string;
    key: string;
    /**
     * The value a release before this one put under the key, known at preview; absent: create makes
     * a new one (unknown at preview). Secret: the program gives it as a secret "", so that the
     * engine keeps what check puts here encrypted (the provider gets no secrets).
     */
    value?: string;
}

/** What the Secret holds under the key, and whether the program wrote it (OWN_SECRETS_ANNOTATION). */
export interface LiveValue {
    value?: string;
    own: boolean;
}

/** A value as the program makes them and release 0.2.0 made them: 32 bytes, hex. */
const HEX32 = /^[0-9a-f]{64}$/;

/**
 * The inputs create gets (check). `live` reads the Secret, or undefined when there is none: read
 * only when the resource has no earlier state (a new stack, the upgrade, a replacement).
 */
export function resolveOwnSecret(olds: Partial<OwnSecretInputs>, news: OwnSecretInputs, live: () => LiveValue | undefined): OwnSecretInputs {
    const inputs = { namespace: news.namespace, secretName: news.secretName, key: news.key };
    if (olds.key !== undefined) return inputs;
    const found = live();
    const value = found !== undefined && !found.own ? found.value : undefined;
    return value !== undefined && HEX32.test(value) ? { ...inputs, value } : inputs;
}

/** What the Secret holds, with the kubectl of this machine (the provider's kubeconfig); undefined when there is no such Secret. */
function readLive(namespace: string, secretName: string, key: string): LiveValue | undefined {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the dynamic provider's process, which loads it itself
    const { execFileSync } = require("child_process") as typeof import("node:child_process");
    let out: string;
    try {
        out = execFileSync("kubectl", ["get", "secret", secretName, "-n", namespace, "--ignore-not-found", "-o", "json"], {
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
        }).trim();
    } catch (e) {
        const err = e as { code?: string; stderr?: string; message: string };
        const why =
            err.code === "ENOENT"
                ? "kubectl is not on PATH: install it, for the kubeconfig the Kubernetes provider uses"
                : String(err.stderr ?? err.message).trim();
        throw new Error(`the generated secret for ${namespace}/${secretName} reads the value in use with kubectl: ${why}`, { cause: e });
    }
    if (out === "") return undefined;
    const secret = JSON.parse(out) as { metadata?: { annotations?: Record<string, string> }; data?: Record<string, string> };
    const value = secret.data?.[key];
    return {
        value: value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8").trim(),
        own: secret.metadata?.annotations?.[OWN_SECRETS_ANNOTATION] !== undefined,
    };
}

const ownSecretProvider: pulumi.dynamic.ResourceProvider = {
    check(olds: Partial<OwnSecretInputs>, news: OwnSecretInputs) {
        return Promise.resolve({ inputs: resolveOwnSecret(olds, news, () => readLive(news.namespace, news.secretName, news.key)) });
    },
    // The value changes only by a replacement (`pulumi up --replace`); where it goes never replaces it.
    diff: () => Promise.resolve({ changes: false }),
    create(inputs: OwnSecretInputs) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the dynamic provider's process, which loads it itself
        const { randomBytes } = require("crypto") as typeof import("crypto");
        const value = inputs.value ?? randomBytes(32).toString("hex");
        return Promise.resolve({ id: `${inputs.namespace}/${inputs.secretName}/${inputs.key}`, outs: { value } });
    },
    delete: () => Promise.resolve(),
};

export interface OwnSecretArgs {
    namespace: string;
    secretName: string;
    key: string;
}

/** 32 random bytes, hex, generated once (or the value the stack's Secret already holds under the key); changed by `pulumi up --replace`. */
export class OwnSecret extends pulumi.dynamic.Resource {
    /** 64 hex characters. Secret. */
    declare public readonly value: pulumi.Output<string>;

    constructor(name: string, args: OwnSecretArgs, opts?: pulumi.CustomResourceOptions) {
        super(ownSecretProvider, name, { ...args, value: pulumi.secret("") }, { ...opts, additionalSecretOutputs: ["value"] });
    }
}
