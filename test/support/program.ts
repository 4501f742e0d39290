// Runs index.ts under pulumi.runtime.setMocks and records every resource it registers, with the
// inputs exactly as the engine would receive them (secrets still wrapped as secrets).
import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig as SECRET_SIG, specialSigKey as SIG } from "@pulumi/pulumi/runtime/rpc";
import * as settings from "@pulumi/pulumi/runtime/settings";

import * as path from "node:path";

import { ROOT, stackConfig } from "./helpers";

export interface Registered {
    type: string;
    name: string;
    /** Inputs with secret values still wrapped. */
    inputs: Record<string, unknown>;
    /** What the mocks answered: the inputs and what a provider would compute (generated secrets). */
    outputs: Record<string, unknown>;
    /** Names of the resources this one was told to depend on (dependsOn), by resource name. */
    dependsOn: string[];
    /** The retainOnDelete option: `pulumi destroy` leaves the object in the cluster. */
    retainOnDelete: boolean;
    /** The replaceOnChanges and deleteBeforeReplace options. */
    replaceOnChanges: string[];
    deleteBeforeReplace: boolean;
    /** The transforms option: for a chart, what the program does to each object the provider renders. */
    transforms: pulumi.ResourceTransform[];
    /** The aliases option (the names and parents the resource had before), as given. */
    aliases: Array<pulumi.Input<pulumi.URN | pulumi.Alias>>;
}

export function isSecretWrapped(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG] === SECRET_SIG;
}

/** The value with every secret wrapper removed. */
export function reveal(v: unknown): unknown {
    if (isSecretWrapped(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return v;
}

/** Every string reachable without passing through a secret wrapper, with its path. */
export function plainStrings(v: unknown, path = ""): Array<[string, string]> {
    if (isSecretWrapped(v)) return [];
    if (typeof v === "string") return [[path, v]];
    if (Array.isArray(v)) return v.flatMap((x, i) => plainStrings(x, `${path}[${i}]`));
    if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, x]) => plainStrings(x, path ? `${path}.${k}` : k));
    return [];
}

/**
 * The SDK's own wait for registrations to finish: every registration holds an RPC keep-alive until
 * the monitor (here the mocks) has answered and its outputs are resolved, and this resolves when the
 * queue of them has drained and stayed drained. It is what `disconnect()` awaits before an
 * Automation API program ends. Internal to the SDK (not in its .d.ts): checked at load, so that an
 * SDK without it fails here rather than a run missing resources.
 */
const sdkSettings = settings as unknown as { waitForRPCs?: () => Promise<void> };
if (typeof sdkSettings.waitForRPCs !== "function")
    throw new Error("@pulumi/pulumi/runtime/settings has no waitForRPCs: support/program.ts cannot tell when a run has registered everything");
const waitForRPCs = sdkSettings.waitForRPCs;

function fake(name: string, kind: string, len = 32): string {
    return crypto.createHash("sha256").update(`${kind}:${name}`).digest("hex").slice(0, len);
}

export interface ProgramRun {
    resources: Registered[];
    /** Every value the mocks generated as a secret (passwords, random bytes, private keys). */
    generatedSecrets: string[];
    outputs: Record<string, unknown>;
    /** The program module's exports, as the engine reads the stack outputs. */
    exports: Record<string, unknown>;
    /** The one resource with this name that is not a component (optionally of a type suffix such as "Secret"). */
    byName(name: string, kind?: string): Registered;
    ofType(type: string): Registered[];
}

/** The runs of this process, by stack and config: a test file asking for a run another made gets it again. */
const runs = new Map<string, Promise<ProgramRun>>();
let last: Promise<unknown> = Promise.resolve();

/**
 * Runs index.ts under mocks for a stack, with config overrides and secrets. Runs follow each other
 * (the mocks and the config are the runtime's, one at a time) and each loads the program afresh,
 * so that the test files of a tier can share one process.
 */
export function runProgram(stack: string, overrides: Record<string, unknown> = {}, secrets: Record<string, string> = {}): Promise<ProgramRun> {
    const key = JSON.stringify([stack, overrides, secrets]);
    if (!runs.has(key)) {
        const run = last.then(() => withoutSdkTraces(() => runAfresh(stack, overrides, secrets)));
        runs.set(key, run);
        last = run.catch(() => undefined);
    }
    return runs.get(key)!;
}

/**
 * Two stack traces the SDK takes and a run under mocks never reads: one for every promise it tracks
 * (`debuggablePromise`, printed only for promises left over at exit) and one for every resource
 * (`Resource.callsites`, the source position sent to the engine, which the mocks ignore). Formatted
 * through tsx's source maps they were a tenth of a run's CPU time; during a run they are left empty.
 * Every other stack, the program's errors included, is formatted as before.
 */
const SDK_TRACES: Array<[string, string]> = [
    ["debuggablePromise", path.join("@pulumi", "pulumi", "runtime", "debuggable.js")],
    ["callsites", path.join("@pulumi", "pulumi", "resource.js")],
];
async function withoutSdkTraces<T>(run: () => Promise<T>): Promise<T> {
    // Node's own formatter (source maps included), which an assignment to Error.prepareStackTrace replaces.
    type Format = (error: Error, frames: NodeJS.CallSite[]) => unknown;
    const format = Object.getOwnPropertyDescriptor(Error, "prepareStackTrace")?.value as Format | undefined;
    if (!format) return run();
    Error.prepareStackTrace = (error, frames) => {
        const top = frames[0];
        const sdk = top && SDK_TRACES.some(([fn, file]) => top.getFunctionName() === fn && (top.getFileName() ?? "").endsWith(file));
        return sdk ? "" : format.call(Error, error, frames);
    };
    try {
        return await run();
    } finally {
        Error.prepareStackTrace = format;
    }
}

/** The program module, loaded again with its config and components (not the tests' own copies of them). */
function loadProgram(): Record<string, unknown> {
    const own = (f: string) => f.startsWith(ROOT + path.sep) && !/[\\/](node_modules|test)[\\/]/.test(f.slice(ROOT.length));
    for (const file of Object.keys(require.cache)) if (own(file)) delete require.cache[file];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh load needs the CommonJS cache, which import() does not clear
    return require(path.join(ROOT, "index")) as Record<string, unknown>;
}

async function runAfresh(stack: string, overrides: Record<string, unknown>, secrets: Record<string, string>): Promise<ProgramRun> {
    const resources: Registered[] = [];
    const generatedSecrets: string[] = [];
    const deps = new Map<string, string[]>();
    const retained = new Set<string>();
    const replacing = new Map<string, { replaceOnChanges: string[]; deleteBeforeReplace: boolean }>();
    const transforms = new Map<string, pulumi.ResourceTransform[]>();
    /** Every resource the program constructed (the stack transformation sees each), and those the mocks registered. */
    const constructed = new Set<string>();
    const registered = new Set<string>();
    const aliases = new Map<string, Array<pulumi.Input<pulumi.URN | pulumi.Alias>>>();

    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const inputs = args.inputs as Record<string, unknown>;
                const state: Record<string, unknown> = { ...inputs };
                /** What the program is given, when it differs from the recorded state. */
                let answer: Record<string, unknown> | undefined;
                switch (args.type) {
                    case "random:index/randomPassword:RandomPassword":
                        state.result = `Pw${fake(args.name, "pw", 30)}`;
                        generatedSecrets.push(state.result as string);
                        break;
                    case "random:index/randomBytes:RandomBytes": {
                        const bytes = Buffer.from(fake(args.name, "bytes", 64), "hex");
                        state.hex = bytes.toString("hex");
                        state.base64 = bytes.toString("base64");
                        generatedSecrets.push(state.hex as string, state.base64 as string);
                        // The program gets them secret, as the provider's schema marks them (the SDK's additionalSecretOutputs, which mocks do not apply).
                        answer = { ...state, hex: { [SIG]: SECRET_SIG, value: state.hex }, base64: { [SIG]: SECRET_SIG, value: state.base64 } };
                        break;
                    }
                    case "pulumi-nodejs:dynamic:Resource":
                        // An OwnSecret (components/own-secret.ts), whose create makes 32 bytes, hex, marked secret by additionalSecretOutputs.
                        if ("secretName" in inputs && "key" in inputs) {
                            state.value = fake(args.name, "own", 64);
                            generatedSecrets.push(state.value as string);
                            answer = { ...state, value: { [SIG]: SECRET_SIG, value: state.value } };
                        }
                        break;
                    case "tls:index/privateKey:PrivateKey":
                        state.privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${fake(args.name, "key", 48)}\n-----END PRIVATE KEY-----\n`;
                        state.publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${fake(args.name, "pub", 48)}\n-----END PUBLIC KEY-----\n`;
                        generatedSecrets.push(state.privateKeyPem as string);
                        break;
                    case "tls:index/selfSignedCert:SelfSignedCert":
                    case "tls:index/locallySignedCert:LocallySignedCert":
                        state.certPem = `-----BEGIN CERTIFICATE-----\n${fake(args.name, "cert", 48)}\n-----END CERTIFICATE-----\n`;
                        break;
                    case "tls:index/certRequest:CertRequest":
                        state.certRequestPem = `-----BEGIN CERTIFICATE REQUEST-----\n${fake(args.name, "csr", 48)}\n-----END CERTIFICATE REQUEST-----\n`;
                        break;
                    case "kubernetes:core/v1:Service":
                        state.spec = { ...(state.spec as object), clusterIP: "10.96.0.42" };
                        break;
                }
                if (args.type.startsWith("kubernetes:") && typeof state.metadata === "object") {
                    const md = state.metadata as Record<string, unknown>;
                    state.metadata = { ...md, name: md.name ?? `${args.name}-generated` };
                }
                registered.add(`${args.type}::${args.name}`);
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs,
                    outputs: state,
                    dependsOn: deps.get(`${args.type}::${args.name}`) ?? [],
                    retainOnDelete: retained.has(`${args.type}::${args.name}`),
                    replaceOnChanges: replacing.get(`${args.type}::${args.name}`)?.replaceOnChanges ?? [],
                    deleteBeforeReplace: replacing.get(`${args.type}::${args.name}`)?.deleteBeforeReplace ?? false,
                    transforms: transforms.get(`${args.type}::${args.name}`) ?? [],
                    aliases: aliases.get(`${args.type}::${args.name}`) ?? [],
                });
                return { id: `${args.name}-id`, state: answer ?? state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                throw new Error(`unexpected invoke ${args.token}: the program must not call out at preview`);
            },
        },
        "jupyterhub",
        stack,
        false,
        "organization",
    );

    pulumi.runtime.setAllConfig(
        {
            ...Object.fromEntries(Object.entries(stackConfig(stack, overrides)).map(([k, v]) => [k.includes(":") ? k : `jupyterhub:${k}`, v])),
            ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [`jupyterhub:${k}`, v])),
        },
        Object.keys(secrets).map((k) => `jupyterhub:${k}`),
    );
    // The program takes a local chart from the environment (CI sets it for the engine suite);
    // these runs are about the program's own choices: the pinned chart from its repository.
    delete process.env.JUPYTERHUB_CHART_DIR;
    let mod: Record<string, unknown> = {};
    await pulumi.runtime.runInPulumiStack(() => {
        // Records dependsOn, retainOnDelete, replaceOnChanges, deleteBeforeReplace, transforms and aliases as
        // the program states them (mocks see none of them).
        pulumi.runtime.registerStackTransformation((a) => {
            const d = a.opts.dependsOn;
            const list = (Array.isArray(d) ? d : d ? [d] : []) as pulumi.Resource[];
            const key = `${a.type}::${a.name}`;
            constructed.add(key);
            deps.set(
                key,
                list.map((r) => (r as unknown as { __name?: string }).__name ?? "?"),
            );
            if (a.opts.retainOnDelete) retained.add(key);
            transforms.set(key, a.opts.transforms ?? []);
            aliases.set(key, a.opts.aliases ?? []);
            replacing.set(key, {
                replaceOnChanges: a.opts.replaceOnChanges ?? [],
                deleteBeforeReplace: (a.opts as pulumi.CustomResourceOptions).deleteBeforeReplace ?? false,
            });
            return undefined;
        });
        mod = loadProgram();
        return Promise.resolve(undefined);
    });
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(mod)) {
        outputs[k] = pulumi.Output.isInstance(v) ? await new Promise((r) => v.apply(r)) : v;
    }
    // Registrations finish asynchronously (each waits for its inputs): wait until the SDK's queue of
    // them has drained, then check that every resource the program constructed reached the mocks.
    await waitForRPCs();
    const missing = [...constructed].filter((k) => !registered.has(k));
    if (missing.length)
        throw new Error(`${missing.length} resources constructed but not registered once the SDK's registrations settled: ${missing.join(", ")}`);
    return {
        resources,
        generatedSecrets,
        outputs,
        exports: mod,
        byName(name, kind) {
            const found = resources.filter((x) => x.name === name && !x.type.startsWith("jupyterhub:") && (!kind || x.type.endsWith(`:${kind}`)));
            if (found.length !== 1)
                throw new Error(`${found.length} resources named ${name}${kind ? ` of kind ${kind}` : ""}: ${found.map((x) => x.type).join(", ")}`);
            return found[0];
        },
        ofType(type) {
            return resources.filter((x) => x.type === type);
        },
    };
}

/** Exported Outputs of a run's program module, for secretness checks. */
export function exportedOutputs(run: ProgramRun): Record<string, pulumi.Output<unknown>> {
    return Object.fromEntries(Object.entries(run.exports).filter(([, v]) => pulumi.Output.isInstance(v))) as Record<string, pulumi.Output<unknown>>;
}
