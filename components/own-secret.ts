// A generated secret that is never in the state in plain text: 32 random bytes, hex, made by a
// provider of the program's own. Release 0.2.0 generated the hub's cookie secret and the proxy's
// token with RandomBytes, whose resource id is its base64 value: both were readable in
// `pulumi stack export` although their outputs were marked secret. Here the id names where the
// value goes, and the value is only ever an output marked secret.
//
// An existing stack is not logged out by the upgrade: the first check of the resource (no earlier
// state of it) reads the value the stack's Secret already holds under the key (kubectl, as the
// data key's check does, components/data-key.ts) and keeps it. Every later check passes nothing
// on, so `pulumi up --replace <urn>` (whose create gets the inputs of that check) makes a new one:
// the rotation that retires a value that was in a 0.2.0 state.
import * as pulumi from "@pulumi/pulumi";

/** What the dynamic resource is given; after its first check, `adopted` may hold the value in use. */
export interface OwnSecretInputs {
    namespace: string;
    /** The Secret and key of it where the value goes (and where a deployed stack has it already). */
    secretName: string;
    key: string;
    /** The value in use when the resource was first checked, or "": create makes a new one. Secret. */
    adopted: string;
}

/** A value as the program makes them and release 0.2.0 made them: 32 bytes, hex. */
const HEX32 = /^[0-9a-f]{64}$/;

/**
 * The inputs create gets (check). `live` reads the value under the key in the stack's Secret, or
 * undefined. Read only on the resource's first check: after that the state has its value, and a
 * `--replace` must not take the old one back.
 */
export function resolveOwnSecret(olds: Partial<OwnSecretInputs>, news: OwnSecretInputs, live: () => string | undefined): OwnSecretInputs {
    if (olds.key !== undefined) return { ...news, adopted: "" };
    const inUse = live();
    return { ...news, adopted: inUse !== undefined && HEX32.test(inUse) ? inUse : "" };
}

/** The value under `key` of the Secret, with the kubectl of this machine (the provider's kubeconfig), or undefined. */
function readLive(namespace: string, secretName: string, key: string): string | undefined {
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
    const value = out === "" ? undefined : (JSON.parse(out) as { data?: Record<string, string> }).data?.[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8").trim();
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
        const value = inputs.adopted !== "" ? inputs.adopted : randomBytes(32).toString("hex");
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
        // `adopted` is given as a secret, so what check puts there is kept encrypted (the provider gets no secrets).
        super(ownSecretProvider, name, { ...args, adopted: pulumi.secret(""), value: undefined }, { ...opts, additionalSecretOutputs: ["value"] });
    }
}
