import { execFileSync, ExecFileSyncOptions } from "child_process";
import * as fs from "fs";
import * as path from "path";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

/** The value of a discriminated config section in the mode a test expects (a failed assertion otherwise). */
export function inMode<T extends { mode: string }, M extends T["mode"]>(section: T, mode: M): Extract<T, { mode: M }> {
    if (section.mode !== mode) throw new Error(`expected mode "${mode}", got "${section.mode}"`);
    return section as Extract<T, { mode: M }>;
}

/** The `nfs` section of a stack on NFS (in-cluster or external server), as its tests expect (a failed assertion otherwise). */
export function onNfs<T extends { mode: string }>(nfs: T): Exclude<T, { mode: "storage-class" }> {
    if (nfs.mode === "storage-class") throw new Error('expected an NFS mode, got "storage-class"');
    return nfs as Exclude<T, { mode: "storage-class" }>;
}

/** Project root. */
export const ROOT = path.resolve(__dirname, "..", "..");

/** The published chart data (Chart.yaml, values.yaml, values.schema.json), overridable. */
export function chartDataDir(): string {
    return process.env.JUPYTERHUB_CHART_DATA ?? path.resolve(ROOT, "..", "shared", "charts", "jupyterhub");
}

/** Resolves an Output's value (and whether it is secret) without callbacks inside apply. */
export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

export async function isSecretOutput<T>(o: pulumi.Output<T>): Promise<boolean> {
    return pulumi.isSecret(o);
}

/** The `jupyterhub:` config of a stack file, as the engine hands it to the program (objects as JSON). */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    const file = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    const all = { ...(file.config ?? {}), ...overrides };
    for (const [k, v] of Object.entries(all)) {
        if (v === undefined) continue;
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

/** The raw (parsed) `jupyterhub:` values of a stack file, keyed without the namespace. */
export function rawStackConfig(stack: string): Record<string, unknown> {
    const file = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(file.config ?? {})) out[k.replace(/^jupyterhub:/, "")] = v;
    return out;
}

/** Pulumi.yaml's declared defaults, keyed without the namespace. */
export function projectDefaults(): Record<string, unknown> {
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { default?: unknown }> };
    const out: Record<string, unknown> = {};
    for (const [k, decl] of Object.entries(project.config)) {
        if (decl.default !== undefined) out[k] = decl.default;
    }
    return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Merges user values into chart defaults as Helm does (coalesce): maps merge key by key, lists and
 * scalars replace, and a null user value deletes the default key.
 */
export function helmMerge(defaults: unknown, values: unknown): unknown {
    if (!isMap(defaults) || !isMap(values)) return values === undefined ? defaults : values;
    const out: Record<string, unknown> = { ...defaults };
    for (const [k, v] of Object.entries(values)) {
        if (v === null) delete out[k];
        else out[k] = k in defaults ? helmMerge(defaults[k], v) : v;
    }
    return out;
}

/** A value under keys, some of which may contain dots themselves ("tree.ldif"). */
export function at(v: unknown, ...keys: string[]): unknown {
    return keys.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], v);
}

/** A value at a dotted path ("hub.db.url"). */
export function get(v: unknown, dotted: string): unknown {
    return at(v, ...dotted.split("."));
}

/**
 * Runs a command to completion and returns its standard output; on failure throws an error with
 * the command, its exit status and the end of its output.
 */
export function run(cmd: string, args: string[], opts: ExecFileSyncOptions = {}): string {
    try {
        return execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["pipe", "pipe", "pipe"], ...opts }) as string;
    } catch (e) {
        const err = e as { stdout?: string | Buffer; stderr?: string | Buffer; status?: number };
        const end = (o?: string | Buffer) => String(o ?? "").slice(-20000);
        throw new Error(`${path.basename(cmd)} ${args.join(" ")} exited ${err.status}\n--- stdout\n${end(err.stdout)}\n--- stderr\n${end(err.stderr)}`, {
            cause: e,
        });
    }
}
