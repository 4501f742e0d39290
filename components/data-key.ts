// The keys that kept data open with, kept with the data (issue 31): the key directory users'
// passwords derive from and the hub's CryptKeeper key (stored auth_state). `pulumi destroy` keeps
// the data but empties the state, so a key that lived only in the state (a RandomBytes) was new
// at the next `pulumi up`, and the data no longer opened. Now each key is written into the Secret
// `data-key` of the stack's namespace, kept by a retaining destroy like the claims
// (ClusterAccess.keep), and read back by the next `pulumi up`.
//
// What the Secret holds is the keys themselves, one per purpose, not a root they derive from: a
// stack of release 0.2.0 without `jupyterhub:dataKey` has two independent generated keys in use,
// which no root gives. Those were RandomBytes, still registered here (moved by aliases) so that an
// upgrade finds them; they are used only where the stack's objects already use them, because a
// RandomBytes' id is its value, in plain text in the state. A new stack's keys are the provider's
// own (32 random bytes, made in check), secret from the start; a replaced RandomBytes
// (`pulumi up --replace`) asks for a new one. A configured data key derives both, as before, and
// wins: a kept key that differs stops the update with one line (keyConflict) before anything
// changes.
//
// Why a dynamic resource, whose `check` reads the Secret: a `pulumi preview` runs check too, so the
// preview of an up after a destroy already shows the kept keys, and previews of a deployed stack
// show nothing to change; `k8s.core.v1.Secret.get` fails when the Secret does not exist, and the
// preflight chart's `lookup` gives the program nothing back. The dynamic provider gets no secrets
// (it does not accept them): the engine carries the secretness of each `keys` entry over to what
// check returns under the same name, so the keys stay encrypted in the state, inputs and outputs.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import type { InClusterLdap } from "../config";
import { labels } from "./common";
import { dataKeyDerived, type DataKeyPurpose } from "./secrets";
import type { Kubectl } from "./storage/move";

/** The Secret in the stack's namespace that keeps the keys. */
export const DATA_KEY_SECRET = "data-key";
/** The keys it holds, each base64 of 32 bytes under its purpose's name. */
export const DATA_KEY_PURPOSES: readonly DataKeyPurpose[] = ["directory-users", "crypt-keeper"];

/**
 * Where release 0.2.0 generated each key (a RandomBytes of 32 bytes, child of a component of the
 * stack): the aliases that carry those resources, and so their values, over to DataKeys.
 */
const GENERATED: Record<DataKeyPurpose, { name: string; parent: { name: string; type: string } }> = {
    "directory-users": { name: "openldap-user-passwords", parent: { name: "openldap", type: "jupyterhub:index:OpenLdap" } },
    "crypt-keeper": { name: "hub-secrets-crypt-keeper", parent: { name: "hub-secrets", type: "jupyterhub:index:HubSecrets" } },
};

/** Keys by purpose: base64 of 32 bytes each. */
export type Keys = Record<string, string>;

/** A key as the program makes them: base64 of exactly 32 bytes. */
const KEY = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Names a key without revealing it, as components/secrets.ts masterFingerprint names the directory
 * users' key (the same HMAC: test/unit/data-key.test.ts): the number the directory records, the
 * sync Job's annotation carries and `ldap.resetPasswordsFrom` takes. Self-contained: it runs in
 * the dynamic provider's process.
 */
export function keyFingerprint(key: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the dynamic provider's process, which loads it itself
    const { createHmac } = require("crypto") as typeof import("crypto");
    return createHmac("sha256", Buffer.from(key, "base64"))
        .update("jupyterhub-platform/ldap-user/v1/fingerprint\0", "utf8")
        .digest()
        .subarray(0, 8)
        .toString("hex");
}

/** A problem the update stops with, one line. An Error of this name, not a subclass: the provider is serialized, classes poorly. */
export const DATA_KEY_PROBLEM = "DataKeyProblem";
function problem(message: string): Error {
    const e = new Error(message);
    e.name = DATA_KEY_PROBLEM;
    return e;
}

/** The keys kept in the stack's namespace, or undefined when there is no such Secret (or namespace). */
export function readKeptKeys(k: Kubectl, namespace: string, name: string = DATA_KEY_SECRET): Keys | undefined {
    const out = k(["get", "secret", name, "-n", namespace, "--ignore-not-found", "-o", "json"]).trim();
    if (out === "") return undefined;
    const data = (JSON.parse(out) as { data?: Record<string, string> }).data ?? {};
    const keys: Keys = {};
    for (const [purpose, value] of Object.entries(data)) {
        const key = Buffer.from(value, "base64").toString("utf8");
        if (!KEY.test(key))
            throw problem(
                `Secret ${namespace}/${name}: "${purpose}" is not the base64 of 32 bytes, so the key the kept data open with is lost; ` +
                    'put the Secret back from where it was copied (docs/operations.md, "The data key") and run pulumi up again',
            );
        keys[purpose] = key;
    }
    return keys;
}

/**
 * Where a deployed stack's objects hold each key, or its fingerprint: the hub's Secret its
 * CryptKeeper key (hex; components/jupyterhub.ts, HUB_SECRET), the directory's bootstrap Secret the
 * fingerprint of the users' key (components/openldap.ts, bootstrapFiles). Release 0.2.0 wrote both
 * there too: how the keys of a stack deployed before they were kept are recognised.
 */
export const IN_USE: Record<DataKeyPurpose, { secret: string; key: string; form: "hex" | "fingerprint" }> = {
    "directory-users": { secret: "openldap-bootstrap", key: "fingerprint", form: "fingerprint" },
    "crypt-keeper": { secret: "hub-secrets", key: "hub.config.CryptKeeper.keys", form: "hex" },
};

/** What the stack's live objects hold of each key (IN_USE), by purpose: hex or fingerprint, as IN_USE says. */
export function readInUse(k: Kubectl, namespace: string): Record<string, string> {
    const found: Record<string, string> = {};
    for (const [purpose, where] of Object.entries(IN_USE)) {
        const out = k(["get", "secret", where.secret, "-n", namespace, "--ignore-not-found", "-o", "json"]).trim();
        const value = out === "" ? undefined : (JSON.parse(out) as { data?: Record<string, string> }).data?.[where.key];
        if (value !== undefined) found[purpose] = Buffer.from(value, "base64").toString("utf8").trim();
    }
    return found;
}

/** Whether a key is the one the live objects use (IN_USE). */
function inUse(purpose: string, key: string, live: Record<string, string>): boolean {
    const where = (IN_USE as Record<string, (typeof IN_USE)[DataKeyPurpose] | undefined>)[purpose];
    if (!where || live[purpose] === undefined) return false;
    return live[purpose] === (where.form === "hex" ? Buffer.from(key, "base64").toString("hex") : keyFingerprint(key));
}

/** 32 random bytes, base64: a key of the provider's own, never in the program nor in a resource's id. */
export function freshKey(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the dynamic provider's process, which loads it itself
    return (require("crypto") as typeof import("crypto")).randomBytes(32).toString("base64");
}

/** What check reads of the cluster, when it needs to (each read once). */
export interface ClusterView {
    /** The kept keys (readKeptKeys). */
    kept(): Keys | undefined;
    /** What the live objects hold of each key (readInUse). */
    inUse(): Record<string, string>;
}

/** What the dynamic resource is given and, after check, holds. */
export interface DataKeyInputs {
    namespace: string;
    secretName: string;
    /** The program's keys come from `jupyterhub:dataKey`. */
    configured: boolean;
    /** `ldap.resetPasswordsFrom` (in-cluster directory), or "": the kept key a configured one may replace. */
    resetFrom: string;
    /** The stack runs the in-cluster directory: a conflict is settled with ldap.resetPasswordsFrom, else by deleting the Secret. */
    directory: boolean;
    /** By purpose, each secret: from the program, its key (derived or generated); after check, the key the stack uses. */
    keys: Keys;
    /** By purpose, after check: the fingerprint of the program's key, which tells a new one (a rotation, a new dataKey). */
    candidates?: Record<string, string>;
}

/** The line a configured key that differs from the kept one stops the update with: both fingerprints and what to do. */
export function keyConflict(a: Pick<DataKeyInputs, "namespace" | "secretName" | "directory">, configured: string, kept: string): string {
    const where = `the data key kept with this stack's data (Secret ${a.namespace}/${a.secretName}, key ${kept})`;
    return a.directory
        ? `jupyterhub:dataKey (key ${configured}) is not ${where}, which the directory users' passwords and the hub's stored auth_state were made with. ` +
              "To keep them: set the stack's earlier dataKey back, or remove it (pulumi config rm dataKey) and the kept key is used. " +
              `To replace them with this key's (every directory user gets a new password; stored auth_state becomes unreadable, users log in again): pulumi config set --plaintext --path ldap.resetPasswordsFrom ${kept}, then pulumi up`
        : `jupyterhub:dataKey (key ${configured}) is not ${where}, which the hub's stored auth_state was encrypted with. ` +
              "To keep it: set the stack's earlier dataKey back, or remove it (pulumi config rm dataKey) and the kept key is used. " +
              `To replace it with this key's (stored auth_state becomes unreadable, users log in again): kubectl -n ${a.namespace} delete secret ${a.secretName}, then pulumi up`;
}

/**
 * The keys the stack uses, by purpose (check). `unknown` is the value of a key the engine does not
 * know yet (a preview: a RandomBytes about to be generated). With `jupyterhub:dataKey` the
 * program's keys are derived from it; without, they are 0.2.0's generated ones (RandomBytes),
 * which are used only where the stack's objects already use them: a RandomBytes' id is its value,
 * in plain text in the state, so a key of the provider's own (freshKey) is used anywhere else.
 * For each purpose:
 *  - a resource already deployed, given the same program key: its key, nothing read;
 *  - deployed, no data key before nor now, a new generated key (`pulumi up --replace` of its
 *    RandomBytes, docs/operations.md "Secret rotation"): a new key of the provider's own;
 *  - with a data key: the derived key, unless the kept one differs, which stops the update
 *    (keyConflict) unless ldap.resetPasswordsFrom names the kept key;
 *  - without: the kept key (an up after a destroy; a data key removed); else the key the resource
 *    had (its Secret deleted by hand); else the generated one if the stack's objects use it (a
 *    stack upgraded from 0.2.0); else a new key of the provider's own (a new stack).
 */
export function resolveDataKeys(olds: Partial<DataKeyInputs>, news: DataKeyInputs, cluster: ClusterView, unknown: string, fresh = freshKey): DataKeyInputs {
    const deployed = olds.namespace === news.namespace && olds.secretName === news.secretName && typeof olds.keys === "object" && olds.keys !== null;
    const candidates = Object.fromEntries(Object.entries(news.keys).map(([p, key]) => [p, key === unknown ? unknown : keyFingerprint(key)]));
    const once = <T>(read: () => T) => {
        let v: { value: T } | undefined;
        return () => (v ??= { value: read() }).value;
    };
    const kept = once(() => cluster.kept());
    const live = once(() => cluster.inUse());
    const keys: Keys = {};
    /** Purposes whose configured key differs from the kept one, with the kept one. */
    const conflicts = new Map<string, string>();
    for (const [purpose, key] of Object.entries(news.keys)) {
        const old = deployed ? olds.keys?.[purpose] : undefined;
        const sameKey = olds.configured === news.configured && candidates[purpose] !== unknown && olds.candidates?.[purpose] === candidates[purpose];
        if (old !== undefined && sameKey) {
            keys[purpose] = old;
        } else if (old !== undefined && !olds.configured && !news.configured) {
            keys[purpose] = key === unknown ? unknown : fresh();
        } else if (news.configured) {
            const k = kept()?.[purpose];
            if (k !== undefined && k !== key) conflicts.set(purpose, k);
            keys[purpose] = key;
        } else {
            const k = kept()?.[purpose] ?? old;
            if (k !== undefined) keys[purpose] = k;
            else if (key === unknown) keys[purpose] = unknown;
            else keys[purpose] = inUse(purpose, key, live()) ? key : fresh();
        }
    }
    if (conflicts.size > 0) {
        // The directory users' key names both: its fingerprint is what the directory records.
        const named = conflicts.has("directory-users") ? "directory-users" : [...conflicts.keys()][0];
        const keptFp = keyFingerprint(conflicts.get(named) ?? "");
        if (!news.directory || news.resetFrom !== keptFp) throw problem(keyConflict(news, keyFingerprint(news.keys[named]), keptFp));
    }
    return { ...news, keys, candidates };
}

/** kubectl of this machine, with the environment's kubeconfig: the one the program's Kubernetes providers use. */
function localKubectl(): Kubectl {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the dynamic provider's process, which loads it itself
    const { execFileSync } = require("child_process") as typeof import("node:child_process");
    return (args) => {
        try {
            return execFileSync("kubectl", args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 16 * 1024 * 1024 });
        } catch (e) {
            const err = e as { code?: string; stderr?: string; message: string };
            if (err.code === "ENOENT")
                throw new Error(
                    "the data key (data-key) is read from the stack's namespace with kubectl, which is not on PATH: install kubectl, for the kubeconfig the Kubernetes provider uses",
                    { cause: e },
                );
            throw new Error(`kubectl ${args.join(" ")}: ${String(err.stderr ?? err.message).trim()}`, { cause: e });
        }
    };
}

/** The value of a key the engine does not know yet (a preview), as the dynamic provider receives it. */
function unknownValue(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the dynamic provider's process, which loads it itself
    return (require("@pulumi/pulumi/runtime/rpc") as { unknownValue: string }).unknownValue;
}

/** The provider: check decides (resolveDataKeys); create and update record what it decided. */
const dataKeyProvider: pulumi.dynamic.ResourceProvider = {
    check(olds: Partial<DataKeyInputs>, news: DataKeyInputs) {
        try {
            const cluster = {
                kept: () => readKeptKeys(localKubectl(), news.namespace, news.secretName),
                inUse: () => readInUse(localKubectl(), news.namespace),
            };
            const inputs = resolveDataKeys(olds, news, cluster, unknownValue());
            return Promise.resolve({ inputs });
        } catch (e) {
            // One line for the engine to print ("... resource 'data-key' has a problem: <line>"), no stack trace.
            if (e instanceof Error && e.name === DATA_KEY_PROBLEM) return Promise.resolve({ inputs: news, failures: [{ property: "", reason: e.message }] });
            throw e;
        }
    },
    diff(_id: string, olds: DataKeyInputs, news: DataKeyInputs) {
        const same = (k: keyof DataKeyInputs) => JSON.stringify(olds[k]) === JSON.stringify(news[k]);
        return Promise.resolve({ changes: !(["namespace", "secretName", "configured", "keys", "candidates"] as const).every(same) });
    },
    create(inputs: DataKeyInputs) {
        return Promise.resolve({ id: `${inputs.namespace}/${inputs.secretName}`, outs: inputs });
    },
    update(_id: string, _olds: DataKeyInputs, news: DataKeyInputs) {
        return Promise.resolve({ outs: news });
    },
    // The Secret goes with the data, or stays with it, by its own options (ClusterAccess.keep).
    delete: () => Promise.resolve(),
};

type DataKeyArgs = Omit<DataKeyInputs, "keys" | "candidates"> & { keys: Record<string, pulumi.Output<string>> };

/** The keys the stack uses, decided at check (a preview shows them). */
class KeptDataKeys extends pulumi.dynamic.Resource {
    /** By purpose, base64 of 32 bytes each. Secret. */
    declare public readonly keys: pulumi.Output<Keys>;

    constructor(name: string, args: DataKeyArgs, opts?: pulumi.CustomResourceOptions) {
        // No additionalSecretOutputs: the engine marks each key of the outputs secret already (from the
        // inputs); marking `keys` as a whole too nests one secret in another, which the SDK unwraps once.
        super(dataKeyProvider, name, { ...args, candidates: undefined }, opts);
    }
}

export interface DataKeysArgs {
    /** The stack's namespace, where the Secret is kept. */
    namespace: string;
    /** `jupyterhub:dataKey`, when set: the keys are derived from it. */
    dataKey?: pulumi.Output<string>;
    /** The in-cluster directory's config, when the stack runs one: its resetPasswordsFrom lets a configured key replace the kept one. */
    directory?: Pick<InClusterLdap, "resetPasswordsFrom">;
    /** Options of the Secret: kept by `pulumi destroy` unless data is deleted (ClusterAccess.keep). */
    keep: pulumi.CustomResourceOptions;
}

/**
 * The keys the kept data open with: derived from `jupyterhub:dataKey` when the stack has one, else
 * generated once; either way kept in the Secret `data-key` beside the data, and taken back from it
 * by the `pulumi up` after a retaining destroy.
 */
export class DataKeys extends pulumi.ComponentResource {
    /** The keys come from `jupyterhub:dataKey`. */
    public readonly configured: boolean;
    private readonly keys: pulumi.Output<Keys>;

    constructor(name: string, args: DataKeysArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:DataKeys", name, {}, opts);
        this.configured = args.dataKey !== undefined;
        const program = Object.fromEntries(DATA_KEY_PURPOSES.map((p) => [p, this.programKey(p, args.dataKey)]));
        const kept = new KeptDataKeys(
            name,
            {
                namespace: args.namespace,
                secretName: DATA_KEY_SECRET,
                configured: this.configured,
                resetFrom: args.directory?.resetPasswordsFrom ?? "",
                directory: args.directory !== undefined,
                keys: program,
            },
            { parent: this },
        );
        this.keys = kept.keys;
        new k8s.core.v1.Secret(
            name,
            { metadata: { name: DATA_KEY_SECRET, namespace: args.namespace, labels: labels("data-key") }, stringData: pulumi.secret(kept.keys) },
            { ...args.keep, parent: this },
        );
        this.registerOutputs({});
    }

    /** The key of one purpose: base64 of 32 bytes. Secret. */
    public key(purpose: DataKeyPurpose): pulumi.Output<string> {
        return pulumi.secret(this.keys.apply((k) => k[purpose]));
    }

    /** The program's key of a purpose: derived from the data key, else a RandomBytes (0.2.0's, through its alias). */
    private programKey(purpose: DataKeyPurpose, dataKey: pulumi.Output<string> | undefined): pulumi.Output<string> {
        if (dataKey) return pulumi.secret(dataKey.apply((k) => dataKeyDerived(k, purpose).toString("base64")));
        const { name, parent } = GENERATED[purpose];
        return new random.RandomBytes(name, { length: 32 }, { parent: this, aliases: [{ parent: pulumi.createUrn(parent.name, parent.type) }] }).base64;
    }
}
