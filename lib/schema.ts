// The building blocks of config.ts's schema: fields whose problems read as one line (the key,
// what is wrong and the fix), checks across fields that still run when other fields are wrong,
// values with modes, and a look into the schema for docs and for the lines of unknown keys.
// Nothing here names a setting; the settings are config.ts's.
import * as z from "zod";

import { ENV_REFERENCES, isEnvReference, isMap } from "./formats";

/** The config namespace, i.e. the project name in Pulumi.yaml. */
export const NS = "jupyterhub";

/** A string check: the pattern, and the problem's text when a value does not match it. */
export type Check = [RegExp, string];
export const NON_EMPTY = "must be a non-empty string";
const PINNED: Check = [
    /^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/,
    'must be an image pinned by tag or digest, e.g. "mysql:8.4.7"',
];
const QUANTITY: Check = [/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P|k|m)?$/, 'must be a Kubernetes quantity such as "10Gi" or "512M"'];

/** A non-empty string matching `check`; `missing` is the message when it is required and absent. */
export function text(check?: Check, missing?: string) {
    const s = z.string({ error: (i) => (i.input === undefined && missing ? missing : NON_EMPTY) }).regex(/\S/, { error: NON_EMPTY, abort: true });
    return check ? s.regex(...check) : s;
}
export const str = (def: string, check?: Check) => text(check).default(def);
export const optStr = (check?: Check) => text(check).optional();
/** Required in its object; `missing` says when and how to set it. */
export const required = (missing: string, check?: Check) => text(check, missing);
export const bool = (def: boolean) =>
    z.union([z.boolean(), z.stringbool({ truthy: ["true"], falsy: ["false"] })], { error: "must be true or false" }).default(def);
/** A number, also as the text `pulumi config set --path` stores. */
export function num(range: { min?: number; max?: number } = {}, whole = false) {
    let n = whole ? z.number().int() : z.number();
    if (range.min !== undefined) n = n.min(range.min);
    if (range.max !== undefined) n = n.max(range.max);
    return z.preprocess((v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v), n);
}
export const int = (range: { min?: number; max?: number } = {}) => num(range, true);
export const quantity = () => z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.string({ error: QUANTITY[1] }).regex(...QUANTITY));
export const image = () => text(PINNED).refine((s) => !s.endsWith(":latest"), 'must be pinned to a version; "latest" changes under you');
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, def: T[number], error?: z.core.$ZodErrorMap) =>
    z.enum(values, { error }).default(def);
export const list = <T extends z.ZodType>(item: T, def: z.output<T>[] = []) => z.array(item, { error: "must be a list" }).default(def);
export const strMap = () => z.record(z.string(), z.string({ error: "must be a string" }), { error: "must be a map of strings" }).default({});
/** An environment variable's value: text (numbers and booleans as text), or a reference such as a key of a Secret. */
export function envValue() {
    const error = `must be a text value or {valueFrom: {${ENV_REFERENCES.join(" | ")}: {...}}}`;
    return z.union([z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)), z.custom(isEnvReference, error)], { error });
}
export const obj = <S extends z.ZodRawShape>(description: string, shape: S) => z.strictObject(shape).describe(description);

/** Records a problem at `path` (relative to the checked value); `quiet` when the message shows the value itself. */
export type Add = (path: (string | number)[], message: string, quiet?: boolean) => void;
/** Whether fields a check reads ("a.b"; "*" for any list item), and the objects holding them, are valid. */
export type Ok = (...reads: string[]) => boolean;

/** For a check: adds `"<v>" is not one of jupyterhub:<listKey> (<known>)<fix>` when `known` lacks v. */
export const notOneOf =
    (add: Add, listKey: string, known: string[], fix = "") =>
    (path: (string | number)[], v: string) =>
        known.includes(v) || add(path, `"${v}" is not one of ${NS}:${listKey} (${known.join(", ") || "none defined"})${fix}`, true);

/** Which of the given secrets are set (their values stay out of the typed config). */
export const present = <T extends Record<string, unknown>>(secrets: T) =>
    Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, Boolean(v)])) as { [K in keyof T]: boolean };

/**
 * A check across the fields of `schema`. It runs even when other fields are wrong (not when the
 * value is not even of its type), so that every problem is reported at once; `ok` guards the
 * fields it reads.
 */
export function rule<S extends z.ZodType>(schema: S, check: (v: z.output<S>, add: Add, ok: Ok) => void): S {
    const hit = ({ code, path = [] }: z.core.$ZodRawIssue, r: string[]) =>
        code !== "unrecognized_keys" && r.every((seg, j) => j >= path.length || seg === "*" || seg === String(path[j]));
    const refine = (v: z.output<S>, ctx: z.RefinementCtx) => {
        const ok = (...reads: string[]) => !reads.some((r) => ctx.issues.some((i) => hit(i, r.split("."))));
        check(v, (path, message, quiet = false) => ctx.addIssue({ code: "custom", path, message, params: { quiet } }), ok);
    };
    return schema.check(z.superRefine(refine, { when: (p) => !p.issues.some((i) => i.code !== "unrecognized_keys" && !i.path?.length) }));
}

/**
 * One object per mode, told apart by `key`; the default mode is the one whose literal has a
 * `.default()`. A mode of true/false is also chosen by "true"/"false", as `pulumi config set --path` stores them.
 */
export function byMode<const T extends readonly [z.ZodObject, ...z.ZodObject[]]>(key: string, options: T) {
    const values = options.map((o) => literalOf(o, key));
    const flag = values.every((v) => typeof v === "boolean");
    const error = flag ? "must be true or false" : `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
    const union = z.discriminatedUnion(key, [...options] as unknown as T, { error: (i) => (i.code === "invalid_union" ? error : undefined) });
    return z.preprocess((v) => (flag && isMap(v) && (v[key] === "true" || v[key] === "false") ? { ...v, [key]: v[key] === "true" } : v), union);
}

// ---------------------------------------------------------------- a look into the schema

/** The schema inside defaults, optional values and pipes. */
export function inner(s: z.ZodType): z.ZodType {
    while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional || s instanceof z.ZodPipe) {
        s = (s instanceof z.ZodPipe ? (s.in instanceof z.ZodTransform ? s.out : s.in) : s.unwrap()) as z.ZodType;
    }
    return s;
}

/** The literal value of an object's discriminator field. */
export const literalOf = (o: z.ZodObject, d: string) => (inner(o.shape[d] as z.ZodType) as z.ZodLiteral).value;

/** A value's objects (one per mode for a value with modes), and its mode key. */
export function objectsOf(s: z.ZodType): { objects: z.ZodObject[]; mode?: string } {
    const i = inner(s);
    if (!(i instanceof z.ZodDiscriminatedUnion)) return { objects: i instanceof z.ZodObject ? [i] : [] };
    return { objects: (i.options as z.ZodType[]).map((o) => inner(o) as z.ZodObject), mode: String(i.def.discriminator) };
}

/** The schema of key `k` in a value of schema `s`, in the mode the value `raw` chose (the default mode when it names none). */
export function fieldOf(s: z.ZodType, raw: unknown, k: PropertyKey): z.ZodType {
    const i = inner(s);
    if (i instanceof z.ZodArray) return i.element as z.ZodType;
    const { objects, mode } = objectsOf(i);
    const given = mode && (raw as Record<PropertyKey, unknown> | undefined)?.[mode];
    const o = objects.find((o) => !mode || (given === undefined ? o.shape[mode] instanceof z.ZodDefault : literalOf(o, mode) === given));
    return (o?.shape[String(k)] as z.ZodType | undefined) ?? z.never();
}
