// The lines of a bad configuration: one per problem, naming the key (`jupyterhub:a.b[0]`), what
// is wrong and the fix, and the value given (secrets hidden, PEMs cut), thrown together as one
// ConfigError before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";

import { fieldOf, literalOf, NON_EMPTY, NS, objectsOf } from "./schema";

/** Every problem of the configuration, thrown before any resource exists; a RunError: the CLI prints no stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[]) {
        const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
        super(`Invalid stack configuration (${count}); nothing was deployed:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** The key as users type it: `jupyterhub:profiles[0].groups[1]`. */
export const key = (path: readonly PropertyKey[]) => `${NS}:${path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("")}`;

const valueAt = (v: unknown, path: readonly PropertyKey[]): unknown => path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k], v);

/** Keys whose values are never shown; every secret key (config.ts's SECRET_KEYS) matches, which a unit test checks. */
export const SECRET_PATH = /password|tlsKey|dataKey/i;

/** The value given, as a problem shows it: secrets hidden, a PEM cut after its first line. */
export function shown(path: readonly PropertyKey[], v: unknown): string {
    if (path.some((p) => SECRET_PATH.test(String(p)))) return '"<hidden>"';
    if (typeof v === "string" && v.includes("-----BEGIN")) return JSON.stringify(v.slice(0, v.includes("\n") ? Math.min(30, v.indexOf("\n")) : 30) + "...");
    return JSON.stringify(v) ?? String(v);
}

/** What the line of an unknown key says besides "not a known setting", by its dotted path. */
export interface KeyAdvice {
    /** Where users put secrets in plain text: the command that stores them as secrets instead. */
    plaintext: Record<string, string>;
    /** Keys of other modes (or of another mode's variant of a section) whose line says what to do instead of "remove it, or change the mode". */
    instead: Record<string, string>;
}

/** The line for a key its object does not have: a secret in plain text, a key of another mode, or a misspelling. */
function unknownKey(path: readonly PropertyKey[], raw: unknown, root: z.ZodObject, advice: KeyAdvice): string {
    const [dotted, given] = [path.join("."), () => shown(path, valueAt(raw, path))];
    if (advice.plaintext[dotted]) return `${key(path)} must not be stored in plain text: remove it and run ${advice.plaintext[dotted]}`;
    const parent = path.slice(0, -1);
    const s = parent.reduce<z.ZodType>((s, k, j) => fieldOf(s, valueAt(raw, parent.slice(0, j)), k), root);
    const [{ objects, mode }, name] = [objectsOf(s), String(path.at(-1))];
    // A key of another mode, or of another mode's variant of a section (nfs.shared.subPath), with its own advice.
    if (advice.instead[dotted]) return `${key(path)} ${advice.instead[dotted]} (got ${given()})`;
    const owners = mode ? objects.filter((o) => name in o.shape).map((o) => JSON.stringify(literalOf(o, mode))) : [];
    if (mode && owners.length > 0) {
        const m = key([...parent, mode]);
        return `${key(path)} is only used when ${m} is ${owners.join(" or ")}: remove it, or change ${m} (got ${given()})`;
    }
    return `${key(path)} is not a known setting; known keys here: ${[...new Set(objects.flatMap((o) => Object.keys(o.shape)))].join(", ")}`;
}

/** The message of a problem whose field says nothing of its own (pass as `safeParse`'s `error`). */
export function defaultMessage(i: z.core.$ZodRawIssue): string | undefined {
    const types: Record<string, string> = { int: "a whole number", number: "a number", object: "an object", array: "a list" };
    if (i.code === "invalid_type") return types[i.expected] ? `must be ${types[i.expected]}` : NON_EMPTY;
    if (i.code === "invalid_value") return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(", ")}`;
    if (i.code === "too_small") return `must be at least ${String(i.minimum)}`;
    if (i.code === "too_big") return `must be at most ${String(i.maximum)}`;
    return undefined;
}

/** One line per problem of `raw` against `root`: the key, what is wrong and the fix, the value given; in the order of root's keys, unknown keys first. */
export function problemLines(issues: readonly z.core.$ZodIssue[], raw: unknown, root: z.ZodObject, advice: KeyAdvice): string[] {
    const rank = (i: z.core.$ZodIssue) => (i.path.length === 0 ? -1 : Object.keys(root.shape).indexOf(String(i.path[0])));
    return [...issues]
        .sort((a, b) => rank(a) - rank(b))
        .flatMap((i) => {
            if (i.code === "unrecognized_keys") return i.keys.map((k) => unknownKey([...i.path, k], raw, root, advice));
            const [given, quiet] = [valueAt(raw, i.path), i.code === "custom" && (i.params as { quiet?: boolean } | undefined)?.quiet];
            return [`${key(i.path)} ${i.message}${given === undefined || quiet ? "" : ` (got ${shown(i.path, given)})`}`];
        });
}
