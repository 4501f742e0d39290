// Runs the policy pack's rules the way the engine does, without the engine: each resource's
// properties behind @pulumi/policy's unknown-checking proxy, the policy's config with its schema
// defaults applied, violations collected per policy.
import * as fs from "node:fs";
import * as path from "node:path";

import * as policySdk from "@pulumi/policy";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

import { RESOURCE_POLICIES, STACK_POLICIES } from "../../policy/rules";
import { ROOT } from "./helpers";

/**
 * The wrapper the engine's analyzer puts around every resource's properties (it throws on values
 * unknown at preview). Exported by @pulumi/policy at run time, its declaration stripped as internal.
 */
const unknownCheckingProxy = (policySdk as unknown as { unknownCheckingProxy: <T>(v: T) => T }).unknownCheckingProxy;

/** A resource as a policy sees it: type token, Pulumi name, plain properties. */
export interface Subject {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

export interface Violation {
    policy: string;
    message: string;
    urn?: string;
}

/** Contents of a --policy-pack-config file: per policy, its settings. */
export type PackConfig = Record<string, Record<string, unknown>>;

export function loadPackConfig(stack: string): PackConfig {
    return JSON.parse(fs.readFileSync(path.join(ROOT, "policy", `config.${stack}.json`), "utf8")) as PackConfig;
}

export function urnOf(s: Subject): string {
    return `urn:pulumi:test::jupyterhub::${s.type}::${s.name}`;
}

/** The policy's settings from the pack config, with the schema's defaults filled in. */
function configOf(policy: ResourceValidationPolicy | StackValidationPolicy, pack: PackConfig): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        if (schema.default !== undefined) out[k] = schema.default;
    }
    return { ...out, ...(pack[policy.name] ?? {}) };
}

function notApplicable(reason?: string): never {
    throw new Error(`notApplicable: ${reason}`);
}

/** Messages one resource policy reports for one resource. */
export async function resourceViolations(policy: ResourceValidationPolicy, s: Subject, pack: PackConfig = {}): Promise<string[]> {
    const messages: string[] = [];
    const args = {
        type: s.type,
        name: s.name,
        urn: urnOf(s),
        props: unknownCheckingProxy(s.props),
        opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
        stackTags: new Map<string, string>(),
        getConfig: () => configOf(policy, pack),
        notApplicable,
    } as unknown as ResourceValidationArgs;
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    for (const v of validations) await v(args, (message) => messages.push(message));
    return messages;
}

/** Violations one stack policy reports for a whole set of resources. */
export async function stackViolations(policy: StackValidationPolicy, subjects: Subject[], pack: PackConfig = {}): Promise<Violation[]> {
    const out: Violation[] = [];
    const resources = subjects.map(
        (s) =>
            ({
                type: s.type,
                name: s.name,
                urn: urnOf(s),
                props: unknownCheckingProxy(s.props),
                dependencies: [],
                propertyDependencies: {},
            }) as unknown as PolicyResource,
    );
    const args = {
        resources,
        stackTags: new Map<string, string>(),
        getConfig: () => configOf(policy, pack),
        notApplicable,
    } as unknown as StackValidationArgs;
    await policy.validateStack(args, (message, urn) => out.push({ policy: policy.name, message, urn }));
    return out;
}

/** Every violation of the whole pack: resource policies per resource, stack policies over all. */
export async function packViolations(subjects: Subject[], pack: PackConfig): Promise<Violation[]> {
    const out: Violation[] = [];
    for (const s of subjects) {
        for (const p of RESOURCE_POLICIES) {
            for (const message of await resourceViolations(p, s, pack)) out.push({ policy: p.name, message, urn: urnOf(s) });
        }
    }
    for (const p of STACK_POLICIES) out.push(...(await stackViolations(p, subjects, pack)));
    return out;
}
