// The policy pack driven the way the Pulumi engine (3.270) drives a Node.js pack during
// `pulumi preview --policy-pack policy --policy-pack-config policy/config.<stack>.json`, without
// the engine (the CLI cannot be built here):
//
//  - launch: analyzer-launcher.sh (our stand-in for the CLI's `pulumi-analyzer-policy` plugin) run from the
//    pack directory with `<engine address> .`, the environment the engine adds (PULUMI_CONFIG,
//    PULUMI_[NODEJS_]ORGANIZATION/PROJECT/STACK/DRY_RUN), the gRPC port read from the first line of
//    stdout, within a time limit; the process is stopped whatever happens;
//  - RPCs in the engine's order: Handshake (the Node.js SDK answers UNIMPLEMENTED, which the engine
//    accepts), ConfigureStack, GetAnalyzerInfo, Configure with the config file reconciled against
//    the pack's schemas, Remediate then Analyze for each resource as it is registered, AnalyzeStack;
//  - resources: the registrations the program makes under mocks (test/support/program.ts), as the engine
//    would forward them: its URNs (full parent type chain, no root-stack prefix), the SDK's wire
//    inputs (secrets still wrapped, internal keys dropped), the default provider of each package,
//    outputs (the mocks' state) for AnalyzeStack.
//
// Where this differs from a real preview (nothing here can stand in for the providers):
//  - no provider Check: the engine analyzes inputs after the provider's Check (for Kubernetes,
//    e.g. apiVersion/kind filled in, metadata.name auto-named);
//  - no unknowns: runProgram is not a preview, so every value is known;
//  - helm.v4.Chart is a remote component: the engine hands the program's registration to the
//    Kubernetes provider's Construct, and what it analyzes is the provider's own registration of
//    the component (with no inputs) and the objects the chart renders. Mocks render nothing, so
//    the Chart is analyzed here with the program's inputs (its values), which the rules also read.
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import * as grpc from "@grpc/grpc-js";
import * as rpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
// The SDK's own wire signatures, not copies of their values.
import {
    specialOutputValueSig as OUTPUT_VALUE_SIG,
    specialResourceSig as RESOURCE_REF_SIG,
    specialSecretSig as SECRET_SIG,
    specialSigKey as SIG,
} from "@pulumi/pulumi/runtime/rpc";
import Ajv from "ajv";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as YAML from "yaml";

import { RESOURCE_POLICIES, STACK_POLICIES } from "../../policy/rules";
import { ROOT, stackConfig } from "./helpers";
import { isSecretWrapped, ProgramRun, runProgram } from "./program";

export const PACK_DIR = path.join(ROOT, "policy");
export const LAUNCHER = path.join(ROOT, "test", "support", "analyzer-launcher.sh");
export const PROJECT = (YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name;
/** A file backend's organization. */
export const ORGANIZATION = "organization";
/** run-policy-pack drops the engine address (the pack never calls the engine); any address does. */
const ENGINE_ADDRESS = "127.0.0.1:1";

type Props = Record<string, unknown>;

/**
 * A value with each object or array that holds a secret made one secret of its plain contents.
 * The engine receives a secret nested in an object as it is (`{keys: {a: secret, b: secret}}`),
 * while the mocks record what the SDK deserializes, which marks the whole object secret instead
 * (`{keys: secret({a, b})}`): the same secrecy, two shapes; compared in this one.
 */
function liftSecrets(v: unknown): unknown {
    if (Array.isArray(v) || (v !== null && typeof v === "object" && (v as Props)[SIG] === undefined)) {
        const entries = Object.entries(v as Props).map(([k, x]) => [k, liftSecrets(x)] as const);
        const secretInside = entries.some(([, x]) => isSecretWrapped(x));
        const plain = entries.map(([k, x]) => [k, isSecretWrapped(x) ? (x as Props).value : x] as const);
        const out = Array.isArray(v) ? plain.map(([, x]) => x) : Object.fromEntries(plain);
        return secretInside ? { [SIG]: SECRET_SIG, value: out } : out;
    }
    if (isSecretWrapped(v)) return { [SIG]: SECRET_SIG, value: unwrapLifted(liftSecrets((v as Props).value)) };
    return v;
}
const unwrapLifted = (v: unknown) => (isSecretWrapped(v) ? (v as Props).value : v);

// ------------------------------------------------------------------------------ wire values

/** A value as the SDK sends a secret. */
export function secret(value: unknown): Props {
    return { [SIG]: SECRET_SIG, value };
}

/** Whether a wire value holds a secret-wrapped value anywhere. */
export function hasSecret(v: unknown): boolean {
    if (Array.isArray(v)) return v.some(hasSecret);
    if (typeof v !== "object" || v === null) return false;
    return isSecretWrapped(v) || Object.values(v).some(hasSecret);
}

/**
 * What the engine's MarshalProperties (KeepUnknowns, KeepSecrets, SkipInternalKeys) makes of the
 * properties the SDK sent: secrets and unknowns kept, `__` keys dropped, resource references
 * turned into the resource's ID (or URN).
 */
function asEngineSends(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(asEngineSends);
    if (typeof v !== "object" || v === null) return v;
    const o = v as Props;
    if (o[SIG] === RESOURCE_REF_SIG) return typeof o.id === "string" && o.id !== "" ? o.id : o.urn;
    if (o[SIG] === OUTPUT_VALUE_SIG) throw new Error("output values are not modelled (mocks do not send them)");
    return Object.fromEntries(
        Object.entries(o)
            .filter(([k]) => !k.startsWith("__"))
            .map(([k, x]) => [k, asEngineSends(x)]),
    );
}

// ---------------------------------------------------------------------------- registrations

interface Registration {
    req: RegisterResourceRequest;
    /** The URN the mock monitor answered with (its own scheme, not the engine's). */
    mockUrn?: string;
}

/** RegisterResource requests reaching the mock monitor while recording, with the monitor. */
export interface Recording {
    registrations: Registration[];
    monitor?: MockMonitor;
    stop(): void;
}

export function recordRegistrations(): Recording {
    const proto = MockMonitor.prototype;
    const original = Object.getOwnPropertyDescriptor(proto, "registerResource")!;
    const inner = original.value as (this: MockMonitor, req: RegisterResourceRequest, callback: (err: unknown, resp: unknown) => void) => Promise<void>;
    const recording: Recording = { registrations: [], stop: () => Object.defineProperty(proto, "registerResource", original) };
    proto.registerResource = function (this: MockMonitor, req: RegisterResourceRequest, callback: (err: unknown, resp: unknown) => void) {
        recording.monitor = this;
        const registration: Registration = { req };
        recording.registrations.push(registration);
        return inner.call(this, req, (err: unknown, resp: unknown) => {
            if (resp) registration.mockUrn = (resp as { getUrn(): string }).getUrn();
            callback(err, resp);
        });
    };
    return recording;
}

// -------------------------------------------------------------------------- engine resources

/** A resource as the engine hands it to analyzers. */
export interface EngineResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** Engine URN of the parent, "" for none. */
    parent: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    /** What Analyze gets: the registered inputs. */
    inputs: Props;
    /** What AnalyzeStack gets: the outputs (here the mocks' state). */
    outputs: Props;
    provider?: EngineResource;
    protect: boolean;
    ignoreChanges: string[];
    deleteBeforeReplace?: boolean;
    additionalSecretOutputs: string[];
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

export function qualifiedTypeOf(urn: string): string {
    return urn.split("::")[2];
}

export function typeOfUrn(urn: string): string {
    return qualifiedTypeOf(urn).split("$").pop()!;
}

/** The engine's generateURN: the parent's qualified type (unless it is the root stack) + type. */
export function engineUrn(stack: string, parent: string, type: string, name: string): string {
    const parentType = parent && typeOfUrn(parent) !== ROOT_STACK_TYPE ? `${qualifiedTypeOf(parent)}$` : "";
    return `urn:pulumi:${stack}::${PROJECT}::${parentType}${type}::${name}`;
}

/** A resource not registered by the program (a planted one), with its defaults filled in. */
export function engineResource(
    stack: string,
    r: Pick<EngineResource, "type" | "name" | "inputs"> & Partial<Pick<EngineResource, "parent" | "provider" | "outputs" | "custom" | "dependencies">>,
): EngineResource {
    const parent = r.parent ?? "";
    return {
        urn: engineUrn(stack, parent, r.type, r.name),
        custom: true,
        dependencies: [],
        propertyDependencies: {},
        protect: false,
        ignoreChanges: [],
        additionalSecretOutputs: [],
        outputs: r.inputs,
        ...r,
        parent,
    };
}

/** The name the engine gives the default provider of a package version ("default_4_34_2"). */
function defaultProviderName(version: string): string {
    return version ? `default_${version.split("+")[0].replace(/[.-]/g, "_")}` : "default";
}

function structToJs(s: unknown): Props {
    if (s && typeof (s as Struct).toJavaScript === "function") return (s as Struct).toJavaScript();
    return (s ?? {}) as Props;
}

/**
 * The recorded registrations as the engine would analyze them, in registration order, each custom
 * resource preceded (once per package version) by the default provider the engine registers for it.
 */
export function engineResources(recording: Recording, stack: string, config: Record<string, string>): EngineResource[] {
    const byMockUrn = new Map(recording.registrations.map((r) => [r.mockUrn, r]));
    const urns = new Map<Registration, string>();
    const urnOf = (r: Registration): string => {
        let urn = urns.get(r);
        if (urn === undefined) {
            const parentReq = r.req.getParent();
            const parent = parentReq ? byMockUrn.get(parentReq) : undefined;
            if (parentReq && !parent) throw new Error(`${r.req.getType()} ${r.req.getName()}: parent ${parentReq} was never registered`);
            urn = engineUrn(stack, parent ? urnOf(parent) : "", r.req.getType(), r.req.getName());
            urns.set(r, urn);
        }
        return urn;
    };
    const mapUrn = (mockUrn: string): string => {
        const r = byMockUrn.get(mockUrn);
        if (!r) throw new Error(`reference to unregistered ${mockUrn}`);
        return urnOf(r);
    };
    const states = recording.monitor?.getRegisteredResources() ?? new Map();
    const out: EngineResource[] = [];
    const defaultProviders = new Map<string, EngineResource>();
    const byUrn = new Map<string, EngineResource>();
    for (const r of recording.registrations) {
        const { req } = r;
        if (!r.mockUrn) throw new Error(`${req.getType()} ${req.getName()}: registration failed`);
        const type = req.getType();
        let provider: EngineResource | undefined;
        if (req.getCustom()) {
            const ref = req.getProvider();
            if (ref) {
                provider = byUrn.get(mapUrn(ref.slice(0, ref.lastIndexOf("::"))));
            } else {
                const pkg = type.split(":")[0];
                const version = req.getVersion();
                const key = `${pkg}@${version}`;
                provider = defaultProviders.get(key);
                if (!provider) {
                    // The engine's default provider: the package's stack config plus its version.
                    const inputs: Props = Object.fromEntries(
                        Object.entries(config)
                            .filter(([k]) => k.startsWith(`${pkg}:`))
                            .map(([k, v]) => [k.slice(pkg.length + 1), v]),
                    );
                    if (version) inputs.version = version;
                    provider = engineResource(stack, { type: `pulumi:providers:${pkg}`, name: defaultProviderName(version), inputs });
                    defaultProviders.set(key, provider);
                    out.push(provider);
                    byUrn.set(provider.urn, provider);
                }
            }
        }
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
            propertyDependencies[key] = deps.getUrnsList().map(mapUrn);
        });
        const state = states.get(r.mockUrn) as { state?: unknown } | undefined;
        const resource: EngineResource = {
            urn: urnOf(r),
            type,
            name: req.getName(),
            custom: req.getCustom(),
            parent: req.getParent() ? mapUrn(req.getParent()) : "",
            dependencies: req.getDependenciesList().map(mapUrn),
            propertyDependencies,
            inputs: asEngineSends(structToJs(req.getObject())) as Props,
            outputs: asEngineSends(structToJs(state?.state)) as Props,
            provider,
            protect: req.getProtect() ?? false,
            ignoreChanges: req.getIgnorechangesList(),
            deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        };
        out.push(resource);
        byUrn.set(resource.urn, resource);
    }
    return out;
}

// ---------------------------------------------------------------------------------- config

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
const LEVELS: Record<EnforcementLevel, pb.EnforcementLevel> = {
    advisory: pb.EnforcementLevel.ADVISORY,
    mandatory: pb.EnforcementLevel.MANDATORY,
    remediate: pb.EnforcementLevel.REMEDIATE,
    disabled: pb.EnforcementLevel.DISABLED,
};

export function levelName(level: pb.EnforcementLevel): EnforcementLevel {
    return (Object.keys(LEVELS) as EnforcementLevel[]).find((k) => LEVELS[k] === level)!;
}

export interface PolicyConfig {
    enforcementLevel?: EnforcementLevel;
    properties?: Props;
}

function extractLevel(policy: string, v: unknown): EnforcementLevel | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !(v in LEVELS))
        throw new Error(`parsing enforcement level for "${policy}": ${JSON.stringify(v)} is not a valid enforcement level`);
    return v as EnforcementLevel;
}

/** A --policy-pack-config file as the engine parses it: per policy a level, or settings and an optional level. */
export function loadPolicyPackConfigFile(file: string): Record<string, PolicyConfig> {
    const text = fs.readFileSync(file, "utf8");
    if (text.trim() === "") return {};
    const out: Record<string, PolicyConfig> = {};
    for (const [policy, v] of Object.entries(JSON.parse(text) as Props)) {
        if (typeof v === "string") {
            out[policy] = { enforcementLevel: extractLevel(policy, v) };
        } else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
            const { enforcementLevel, ...properties } = v as Props;
            const level = extractLevel(policy, enforcementLevel);
            if (level === undefined && Object.keys(properties).length === 0) continue;
            out[policy] = { enforcementLevel: level, properties: Object.keys(properties).length > 0 ? properties : undefined };
        } else {
            throw new Error(`parsing "${policy}": ${JSON.stringify(v)} is not a valid value; must be a string or object`);
        }
    }
    return out;
}

/**
 * The engine's ReconcilePolicyPackConfig: every policy's level and schema defaults, the pack's
 * initial config, the file's settings on top ("all" sets every level); then each policy's settings
 * validated against its schema. Returns the config Configure gets, or the validation errors.
 */
export function reconcilePolicyPackConfig(
    info: pb.AnalyzerInfo,
    fromFile: Record<string, PolicyConfig>,
): { config: Record<string, PolicyConfig>; errors: string[] } {
    const config: Record<string, PolicyConfig> = {};
    const schemas = new Map<string, Props>();
    for (const p of info.getPoliciesList()) {
        const schema = p.getConfigschema();
        const properties = (schema?.getProperties()?.toJavaScript() ?? {}) as Record<string, Props>;
        const defaults = Object.fromEntries(
            Object.entries(properties)
                .filter(([, s]) => s.default !== undefined)
                .map(([k, s]) => [k, s.default]),
        );
        config[p.getName()] = { enforcementLevel: levelName(p.getEnforcementlevel()), properties: Object.keys(defaults).length > 0 ? defaults : undefined };
        schemas.set(p.getName(), {
            type: "object",
            properties: { ...properties, enforcementLevel: { type: "string", enum: Object.keys(LEVELS) } },
            ...(schema && schema.getRequiredList().length > 0 ? { required: schema.getRequiredList() } : {}),
        });
    }
    const apply = (given: Record<string, PolicyConfig>) => {
        const all = given.all?.enforcementLevel;
        if (all) for (const c of Object.values(config)) c.enforcementLevel = all;
        for (const [policy, g] of Object.entries(given)) {
            const c = (config[policy] ??= {});
            if (g.enforcementLevel) c.enforcementLevel = g.enforcementLevel;
            if (g.properties) c.properties = { ...(c.properties ?? {}), ...g.properties };
        }
    };
    const initial: Record<string, PolicyConfig> = {};
    info.getInitialconfigMap().forEach((v, k) => {
        initial[k] = { enforcementLevel: levelName(v.getEnforcementlevel()), properties: v.getProperties()?.toJavaScript() };
    });
    apply(initial);
    apply(fromFile);
    const ajv = new Ajv({ strict: false, allErrors: true });
    const errors: string[] = [];
    for (const [policy, schema] of schemas) {
        const validate = ajv.compile(schema);
        if (!validate(config[policy].properties ?? {})) {
            for (const e of validate.errors ?? []) errors.push(`${policy}: ${e.instancePath || "(root)"} ${e.message}`);
        }
    }
    return { config, errors };
}

/** Stack config as the engine holds it: "jupyterhub:key" → string, plus the secret keys. */
export function engineConfig(
    stack: string,
    secrets: Record<string, string>,
    overrides: Record<string, unknown> = {},
): { config: Record<string, string>; secretKeys: string[] } {
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(stackConfig(stack, overrides))) config[k.includes(":") ? k : `${PROJECT}:${k}`] = v;
    for (const [k, v] of Object.entries(secrets)) config[`${PROJECT}:${k}`] = v;
    return { config, secretKeys: Object.keys(secrets).map((k) => `${PROJECT}:${k}`) };
}

// ---------------------------------------------------------------------------- the pack process

export interface Diagnostic {
    policy: string;
    packName: string;
    packVersion: string;
    level: EnforcementLevel;
    /** The URN the pack reports (stack policies), else the analyzed resource's. */
    urn: string;
    /** As the engine prints it: the policy's description, a newline, the violation. */
    message: string;
    /** The violation alone. */
    detail: string;
}

export interface StartOptions {
    /** Variables the engine adds to the inherited environment. */
    env?: Record<string, string>;
    /** How long to wait for the port on stdout. */
    timeoutMs?: number;
    /** Deadline of each RPC. */
    rpcTimeoutMs?: number;
}

type Unary<Req, Res> = (
    req: Req,
    md: grpc.Metadata,
    opts: Partial<grpc.CallOptions>,
    cb: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

export class PolicyPackProcess {
    readonly client: rpc.AnalyzerClient;
    private readonly onExit = () => {
        if (this.running()) this.child.kill("SIGKILL");
    };

    private constructor(
        readonly child: ChildProcess,
        readonly port: number,
        private readonly logs: { stdout: string; stderr: string },
        private readonly rpcTimeoutMs: number,
    ) {
        this.client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        process.on("exit", this.onExit);
    }

    /** Starts the pack through the launcher and waits for its port. */
    static start(opts: StartOptions = {}): Promise<PolicyPackProcess> {
        const timeoutMs = opts.timeoutMs ?? 30_000;
        const child = spawn(LAUNCHER, [ENGINE_ADDRESS, "."], { cwd: PACK_DIR, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
        const logs = { stdout: "", stderr: "" };
        return new Promise((resolve, reject) => {
            let settled = false;
            const fail = (e: Error) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                child.kill("SIGKILL");
                reject(new Error(`${e.message}\npack stdout: ${logs.stdout}\npack stderr: ${logs.stderr}`));
            };
            const timer = setTimeout(() => fail(new Error(`the pack printed no port within ${timeoutMs} ms`)), timeoutMs);
            child.on("error", (e) => fail(new Error(`cannot run ${LAUNCHER}: ${e.message}`)));
            child.on("exit", (code, signal) => fail(new Error(`the pack exited (${code ?? signal}) before printing its port`)));
            child.stderr.on("data", (d: Buffer) => (logs.stderr += d.toString()));
            child.stdout.on("data", (d: Buffer) => {
                logs.stdout += d.toString();
                const nl = logs.stdout.indexOf("\n");
                if (settled || nl < 0) return;
                const first = logs.stdout.slice(0, nl).trim();
                if (!/^\d+$/.test(first)) return fail(new Error(`the first line of the pack's stdout is not a port: ${JSON.stringify(first)}`));
                settled = true;
                clearTimeout(timer);
                resolve(new PolicyPackProcess(child, Number(first), logs, opts.rpcTimeoutMs ?? 20_000));
            });
        });
    }

    get stdout(): string {
        return this.logs.stdout;
    }

    get stderr(): string {
        return this.logs.stderr;
    }

    running(): boolean {
        return this.child.exitCode === null && this.child.signalCode === null;
    }

    /** Closes the channel and stops the process (SIGTERM, SIGKILL after 5 s). */
    async stop(): Promise<void> {
        this.client.close();
        process.off("exit", this.onExit);
        if (!this.running()) return;
        const exited = new Promise((r) => this.child.once("exit", r));
        this.child.kill("SIGTERM");
        const kill = setTimeout(() => this.child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(kill);
    }

    private call<Req, Res>(fn: Unary<Req, Res>, req: Req): Promise<Res> {
        return new Promise((resolve, reject) => {
            fn(req, new grpc.Metadata(), { deadline: Date.now() + this.rpcTimeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
        });
    }

    /** Handshake as the engine sends it; "unimplemented" is what the engine tolerates. */
    async handshake(): Promise<"ok" | "unimplemented"> {
        const req = new pb.AnalyzerHandshakeRequest();
        req.setEngineAddress(ENGINE_ADDRESS);
        req.setRootDirectory(PACK_DIR);
        req.setProgramDirectory(PACK_DIR);
        try {
            await this.call<pb.AnalyzerHandshakeRequest, pb.AnalyzerHandshakeResponse>(this.client.handshake.bind(this.client), req);
            return "ok";
        } catch (e) {
            if ((e as grpc.ServiceError).code === grpc.status.UNIMPLEMENTED) return "unimplemented";
            throw e;
        }
    }

    configureStack(args: { stack: string; config: Record<string, string>; secretKeys: string[]; tags?: Record<string, string> }): Promise<unknown> {
        const req = new pb.AnalyzerStackConfigureRequest();
        req.setStack(args.stack);
        req.setProject(PROJECT);
        req.setOrganization(ORGANIZATION);
        req.setDryRun(true);
        for (const [k, v] of Object.entries(args.config)) req.getConfigMap().set(k, v);
        req.setConfigSecretKeysList(args.secretKeys);
        for (const [k, v] of Object.entries(args.tags ?? {})) req.getTagsMap().set(k, v);
        return this.call<pb.AnalyzerStackConfigureRequest, pb.AnalyzerStackConfigureResponse>(this.client.configureStack.bind(this.client), req);
    }

    getAnalyzerInfo(): Promise<pb.AnalyzerInfo> {
        return this.call<Empty, pb.AnalyzerInfo>(this.client.getAnalyzerInfo.bind(this.client), new Empty());
    }

    configure(config: Record<string, PolicyConfig>): Promise<unknown> {
        const req = new pb.ConfigureAnalyzerRequest();
        for (const [policy, c] of Object.entries(config)) {
            const pc = new pb.PolicyConfig();
            pc.setEnforcementlevel(LEVELS[c.enforcementLevel ?? "advisory"]);
            pc.setProperties(Struct.fromJavaScript((c.properties ?? {}) as Parameters<typeof Struct.fromJavaScript>[0]));
            req.getPolicyconfigMap().set(policy, pc);
        }
        return this.call<pb.ConfigureAnalyzerRequest, Empty>(this.client.configure.bind(this.client), req);
    }

    /** Remediate then Analyze, as the engine does for each registration. */
    async analyze(r: EngineResource): Promise<{ diagnostics: Diagnostic[]; remediations: string[] }> {
        const req = new pb.AnalyzeRequest();
        req.setUrn(r.urn);
        req.setType(r.type);
        req.setName(r.name);
        req.setProperties(toStruct(r.inputs));
        req.setOptions(optionsOf(r));
        if (r.provider) req.setProvider(providerOf(r.provider));
        const remediated = await this.call<pb.AnalyzeRequest, pb.RemediateResponse>(this.client.remediate.bind(this.client), req);
        const res = await this.call<pb.AnalyzeRequest, pb.AnalyzeResponse>(this.client.analyze.bind(this.client), req);
        return {
            remediations: remediated.getRemediationsList().map((x) => `${x.getPolicyname()}: ${x.getDiagnostic() || "changed properties"}`),
            diagnostics: res.getDiagnosticsList().map((d) => diagnosticOf(d, r.urn)),
        };
    }

    /** Every resource in turn; all diagnostics and remediations. */
    async analyzeAll(resources: EngineResource[]): Promise<{ diagnostics: Diagnostic[]; remediations: string[] }> {
        const all = { diagnostics: [] as Diagnostic[], remediations: [] as string[] };
        for (const r of resources) {
            const one = await this.analyze(r);
            all.diagnostics.push(...one.diagnostics);
            all.remediations.push(...one.remediations.map((x) => `${r.urn}: ${x}`));
        }
        return all;
    }

    async analyzeStack(resources: EngineResource[]): Promise<Diagnostic[]> {
        const req = new pb.AnalyzeStackRequest();
        req.setResourcesList(
            resources.map((r) => {
                const ar = new pb.AnalyzerResource();
                ar.setUrn(r.urn);
                ar.setType(r.type);
                ar.setName(r.name);
                ar.setProperties(toStruct(r.outputs));
                ar.setOptions(optionsOf(r));
                if (r.provider) ar.setProvider(providerOf(r.provider));
                ar.setParent(r.parent);
                ar.setDependenciesList(r.dependencies);
                for (const [k, urns] of Object.entries(r.propertyDependencies)) {
                    if (urns.length === 0) continue;
                    const deps = new pb.AnalyzerPropertyDependencies();
                    deps.setUrnsList(urns);
                    ar.getPropertydependenciesMap().set(k, deps);
                }
                return ar;
            }),
        );
        const res = await this.call<pb.AnalyzeStackRequest, pb.AnalyzeResponse>(this.client.analyzeStack.bind(this.client), req);
        return res.getDiagnosticsList().map((d) => diagnosticOf(d, ""));
    }
}

function toStruct(props: Props): Struct {
    return Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]);
}

function optionsOf(r: EngineResource): pb.AnalyzerResourceOptions {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.protect);
    o.setIgnorechangesList(r.ignoreChanges);
    o.setDeletebeforereplace(r.deleteBeforeReplace ?? false);
    o.setDeletebeforereplacedefined(r.deleteBeforeReplace !== undefined);
    o.setAdditionalsecretoutputsList(r.additionalSecretOutputs);
    o.setCustomtimeouts(new pb.AnalyzerResourceOptions.CustomTimeouts());
    return o;
}

function providerOf(p: EngineResource): pb.AnalyzerProviderResource {
    const ap = new pb.AnalyzerProviderResource();
    ap.setUrn(p.urn);
    ap.setType(p.type);
    ap.setName(p.name);
    ap.setProperties(toStruct(p.inputs));
    return ap;
}

function diagnosticOf(d: pb.AnalyzeDiagnostic, urn: string): Diagnostic {
    const prefix = `${d.getDescription()}\n`;
    return {
        policy: d.getPolicyname(),
        packName: d.getPolicypackname(),
        packVersion: d.getPolicypackversion(),
        level: levelName(d.getEnforcementlevel()),
        urn: d.getUrn() || urn,
        message: d.getMessage(),
        detail: d.getMessage().startsWith(prefix) ? d.getMessage().slice(prefix.length) : d.getMessage(),
    };
}

// ------------------------------------------------------------------------------- a whole run

/** One stack's program run under mocks and its pack, set up in the engine's order. */
export interface EngineSession {
    stack: string;
    run: ProgramRun;
    /** Everything the engine would analyze, in order. */
    resources: EngineResource[];
    pack: PolicyPackProcess;
    handshake: "ok" | "unimplemented";
    /** ConfigureStack's failure, if it failed. */
    configureStackError?: Error;
    info: pb.AnalyzerInfo;
    /** Reconciles policy/config.<stack>.json against the pack's schemas and sends it with Configure. */
    configureWith(configStack: string): Promise<{ config: Record<string, PolicyConfig>; errors: string[] }>;
    close(): Promise<void>;
}

/** `overrides`: stack config keys (jupyterhub:...) that replace the stack file's. */
export async function openSession(stack: string, secrets: Record<string, string> = {}, overrides: Record<string, unknown> = {}): Promise<EngineSession> {
    const recording = recordRegistrations();
    let run: ProgramRun;
    try {
        run = await runProgram(stack, overrides, secrets);
    } finally {
        recording.stop();
    }
    const { config, secretKeys } = engineConfig(stack, secrets, overrides);
    const resources = engineResources(recording, stack, config);
    const pack = await PolicyPackProcess.start({
        env: {
            PULUMI_CONFIG: JSON.stringify(config),
            PULUMI_NODEJS_ORGANIZATION: ORGANIZATION,
            PULUMI_NODEJS_PROJECT: PROJECT,
            PULUMI_NODEJS_STACK: stack,
            PULUMI_NODEJS_DRY_RUN: "true",
            PULUMI_ORGANIZATION: ORGANIZATION,
            PULUMI_PROJECT: PROJECT,
            PULUMI_STACK: stack,
            PULUMI_DRY_RUN: "true",
        },
    });
    try {
        const handshake = await pack.handshake();
        const configureStackError = await pack
            .configureStack({ stack, config, secretKeys, tags: { "pulumi:project": PROJECT, "pulumi:runtime": "nodejs" } })
            .then(
                () => undefined,
                (e: Error) => e,
            );
        const info = await pack.getAnalyzerInfo();
        return {
            stack,
            run,
            resources,
            pack,
            handshake,
            configureStackError,
            info,
            async configureWith(configStack) {
                const result = reconcilePolicyPackConfig(info, loadPolicyPackConfigFile(path.join(PACK_DIR, `config.${configStack}.json`)));
                if (result.errors.length > 0) return result;
                await pack.configure(result.config);
                return result;
            },
            close: () => pack.stop(),
        };
    } catch (e) {
        await pack.stop();
        throw e;
    }
}

// ------------------------------------------------------------- checks shared by dev and prod

/** The policies of policy/index.ts, by kind. */
const RESOURCE_POLICY_NAMES = RESOURCE_POLICIES.map((p) => p.name);
const STACK_POLICY_NAMES = STACK_POLICIES.map((p) => p.name);

/** What a test compares of a diagnostic (the violation is matched separately). */
export function pick(d: Diagnostic): Pick<Diagnostic, "policy" | "packName" | "packVersion" | "level" | "urn"> {
    return { policy: d.policy, packName: d.packName, packVersion: d.packVersion, level: d.level, urn: d.urn };
}

export function kubernetesProvider(s: EngineSession): EngineResource {
    return s.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
}

/** Started through the launcher; name, version, every policy of the pack with its kind, all mandatory. */
export function checkPack(s: EngineSession): void {
    assert.ok(s.pack.port > 0 && s.pack.running(), "the pack runs and serves on the port it printed");
    assert.ok(["ok", "unimplemented"].includes(s.handshake), "Handshake answered as the engine tolerates");
    const pkg = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")) as { version: string };
    assert.equal(s.info.getName(), "jupyterhub-platform");
    assert.equal(s.info.getVersion(), pkg.version);
    assert.equal(s.info.getSupportsconfig(), true);
    const policies = s.info.getPoliciesList().map((p) => ({
        name: p.getName(),
        level: levelName(p.getEnforcementlevel()),
        kind: p.getPolicyType() === pb.PolicyType.POLICY_TYPE_STACK ? "stack" : p.getPolicyType() === pb.PolicyType.POLICY_TYPE_RESOURCE ? "resource" : "?",
    }));
    assert.equal(policies.length, RESOURCE_POLICY_NAMES.length + STACK_POLICY_NAMES.length);
    assert.deepEqual(
        policies.sort((a, b) => a.name.localeCompare(b.name)),
        [
            ...RESOURCE_POLICY_NAMES.map((name) => ({ name, level: "mandatory", kind: "resource" })),
            ...STACK_POLICY_NAMES.map((name) => ({ name, level: "mandatory", kind: "stack" })),
        ].sort((a, b) => a.name.localeCompare(b.name)),
    );
    const schema = s.info
        .getPoliciesList()
        .find((p) => p.getName() === "external-services-allowed")
        ?.getConfigschema()
        ?.getProperties()
        ?.toJavaScript();
    assert.deepEqual(Object.keys(schema ?? {}), ["allowedExternalServices"]);
}

/** A type token; a provider's last part is its package's name, which may hold "-" (pulumi-nodejs). */
const TYPE_TOKEN = /^(pulumi:providers:[a-z][\w-]*|[A-Za-z][\w.-]*:[\w./-]*:[A-Za-z]\w*)$/;

/**
 * The program's registrations, all of them, as the engine forwards them: one default provider per
 * package before its first resource; URNs `urn:pulumi:<stack>::<project>::<parent types$>type::name`,
 * unique, parents and dependencies among the earlier resources; inputs as the program registered
 * them (secrets still wrapped, for the pack to reveal).
 */
export function checkResources(s: EngineSession): void {
    const { resources, run, stack } = s;
    // The engine's default providers are its own; explicit ones (ClusterAccess) are the program's.
    // (named default_<version>, or "default" for a package without one: pulumi-nodejs, the dynamic resources' provider).
    const isDefaultProvider = (r: EngineResource) => r.type.startsWith("pulumi:providers:") && (r.name === "default" || r.name.startsWith("default_"));
    const program = resources.filter((r) => !isDefaultProvider(r));
    const key = (x: { type: string; name: string }) => `${x.type}::${x.name}`;
    assert.deepEqual(program.map(key).sort(), run.resources.map(key).sort(), "every registration of the program is analyzed, once");
    assert.equal(program.filter((r) => r.type === ROOT_STACK_TYPE).length, 1);

    const seen = new Map<string, EngineResource>();
    for (const r of resources) {
        const where = `${r.type} ${r.name}`;
        assert.match(r.type, TYPE_TOKEN, where);
        assert.ok(!seen.has(r.urn), `${where}: URN ${r.urn} is not unique`);
        const parent = r.parent ? seen.get(r.parent) : undefined;
        if (r.type === ROOT_STACK_TYPE || isDefaultProvider(r)) {
            assert.equal(r.parent, "", `${where} has no parent`);
        } else {
            assert.ok(parent, `${where}: parent ${r.parent} is registered before it`);
        }
        const chain = parent && parent.type !== ROOT_STACK_TYPE ? `${qualifiedTypeOf(parent.urn)}$${r.type}` : r.type;
        assert.equal(r.urn, `urn:pulumi:${stack}::${PROJECT}::${chain}::${r.name}`, where);
        assert.equal(r.urn.split("::").pop(), r.name);
        for (const d of [...r.dependencies, ...Object.values(r.propertyDependencies).flat()])
            assert.ok(seen.has(d), `${where}: dependency ${d} is registered before it`);
        if (r.custom && !r.type.startsWith("pulumi:providers:")) {
            const pkg = r.type.split(":")[0];
            assert.ok(r.provider && seen.get(r.provider.urn) === r.provider, `${where}: its provider is registered before it`);
            assert.equal(r.provider.type, `pulumi:providers:${pkg}`, where);
            if (isDefaultProvider(r.provider)) {
                assert.equal(r.provider.urn, `urn:pulumi:${stack}::${PROJECT}::pulumi:providers:${pkg}::${r.provider.name}`, where);
                // pulumi-nodejs (dynamic resources) has no plugin version.
                assert.match(r.provider.name, pkg === "pulumi-nodejs" ? /^default$/ : /^default_\d+_\d+_\d+/, where);
            }
        }
        seen.set(r.urn, r);
    }
    for (const reg of run.resources) {
        const r = program.find((x) => key(x) === key(reg))!;
        // Less the `__` keys the engine drops (a dynamic resource's serialized `__provider`).
        const sent = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(reg.inputs)) as Props).filter(([k]) => !k.startsWith("__")));
        assert.deepEqual(liftSecrets(r.inputs), liftSecrets(sent), `${key(reg)}: inputs as registered`);
    }
    assert.ok(
        program.some((r) => hasSecret(r.inputs)),
        "some inputs carry secrets, which the pack must reveal",
    );
}

/**
 * ConfigureStack took the stack, Configure takes policy/config.<stack>.json (reconciled and
 * validated as the engine does); Remediate/Analyze leave every resource alone, AnalyzeStack the stack.
 */
export async function checkAllClean(s: EngineSession): Promise<void> {
    assert.equal(s.configureStackError, undefined, `ConfigureStack: ${s.configureStackError?.message}`);
    const file = loadPolicyPackConfigFile(path.join(PACK_DIR, `config.${s.stack}.json`));
    const names = s.info.getPoliciesList().map((p) => p.getName());
    for (const policy of Object.keys(file)) assert.ok(names.includes(policy), `config.${s.stack}.json names a policy of the pack: ${policy}`);
    const { config, errors } = await s.configureWith(s.stack);
    assert.deepEqual(errors, []);
    assert.deepEqual(Object.keys(config).sort(), [...names].sort());
    for (const [policy, c] of Object.entries(file)) assert.deepEqual(config[policy].properties, c.properties, policy);
    assert.ok(Object.values(config).every((c) => c.enforcementLevel === "mandatory"));

    const { diagnostics, remediations } = await s.pack.analyzeAll(s.resources);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(remediations, []);
    assert.deepEqual(await s.pack.analyzeStack(s.resources), []);
}
