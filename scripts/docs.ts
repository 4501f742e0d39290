// `npm run docs`: writes Pulumi.yaml's `config:` block (its comments kept) and README.md's
// configuration reference from the schema in config.ts. `npm run docs -- --check` writes nothing
// and fails when either file differs from what it would write (CI runs it).
import * as fs from "node:fs";
import * as path from "node:path";

import * as prettier from "prettier";
import * as YAML from "yaml";
import * as z from "zod";

import { PLAINTEXT, SECRET_KEYS, Sections } from "../config";
import { inner, NS, objectsOf } from "../lib/schema";

const ROOT = path.resolve(__dirname, "..");
const BEGIN = "<!-- BEGIN configuration reference: written by `npm run docs` from config.ts -->";
const END = "<!-- END configuration reference -->";

interface Meta {
    description?: string;
    /** The default as the docs show it, when it depends on other keys. */
    shown?: string;
}
const metaOf = (s: z.ZodType): Meta => s.meta() ?? {};
const code = (v: unknown) => "`" + (typeof v === "string" && !/^[0-9.]*$/.test(v) ? v : JSON.stringify(v)) + "`";
const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;

/** The value a field takes when a stack leaves it out; an object's own fields' defaults, in its default mode. */
function defaultOf(f: z.ZodType): unknown {
    if (f instanceof z.ZodPrefault) return objectDefaults(f);
    return f instanceof z.ZodDefault ? f.def.defaultValue : undefined;
}
function objectDefaults(s: z.ZodType): Record<string, unknown> {
    const { objects, mode } = objectsOf(s);
    const chosen = objects.find((o) => !mode || o.shape[mode] instanceof z.ZodDefault) ?? objects[0];
    const fields = Object.entries<z.ZodType>(chosen.shape).map(([k, f]) => [k, defaultOf(f)]);
    return Object.fromEntries(fields.filter(([, v]) => v !== undefined)) as Record<string, unknown>;
}

/** A field across the modes of its object: the modes that have it and its default in each. */
interface Field {
    name: string;
    schema: z.ZodType;
    modes: string[];
    defaults: string[];
}
function fieldsOf(s: z.ZodType): { fields: Field[]; mode?: string; modes: string[] } {
    const { objects, mode } = objectsOf(s);
    const modes = objects.map((o) => (mode ? String((inner(o.shape[mode] as z.ZodType) as z.ZodLiteral).value) : ""));
    const fields = new Map<string, Field>();
    objects.forEach((o, i) => {
        for (const [name, schema] of Object.entries<z.ZodType>(o.shape)) {
            if (name === mode) continue;
            const f = fields.get(name) ?? { name, schema, modes: [], defaults: [] };
            fields.set(name, { ...f, modes: [...f.modes, modes[i]], defaults: [...f.defaults, shownDefault(schema)] });
        }
    });
    return { fields: [...fields.values()], mode, modes };
}
function shownDefault(f: z.ZodType): string {
    const d = metaOf(f).shown ?? (defaultOf(f) === undefined ? "-" : code(defaultOf(f)));
    return d === "secret" ? "secret key" : d;
}

/** The rows of the README table for the field `key` of schema `f`. */
function rows(key: string, f: z.ZodType): string[] {
    const i = inner(f);
    const meaning = (s: z.ZodType) => {
        const doc = metaOf(s).description ?? "";
        const values = inner(s) instanceof z.ZodEnum ? (inner(s) as z.ZodEnum).options.map(String) : [];
        const missing = values.filter((v) => !doc.includes(code(v)));
        return missing.length > 0 ? `${doc}; one of ${values.map(code).join(", ")}` : doc;
    };
    if (i instanceof z.ZodArray || objectsOf(i).objects.length === 0) return [`| \`${key}\` | ${shownDefault(f)} | ${meaning(f)} |`];
    const { fields, mode, modes } = fieldsOf(i);
    const out: string[] = [];
    if (mode) {
        const options = objectsOf(i).objects.map((o, n) => `${code(modes[n])}: ${metaOf(o).description ?? ""}`);
        out.push(`| \`${key}.${mode}\` | ${code(objectDefaults(i)[mode])} | ${options.join("; ")} |`);
    }
    for (const field of fields) {
        const only = mode && field.modes.length < modes.length ? `${field.modes.map((m) => code(m === "true" ? `${mode}: true` : m)).join(", ")} only: ` : "";
        if (objectsOf(inner(field.schema)).objects.length > 0 && !(inner(field.schema) instanceof z.ZodArray)) {
            out.push(...rows(`${key}.${field.name}`, field.schema));
            continue;
        }
        const same = field.defaults.every((d) => d === field.defaults[0]);
        const def = same ? field.defaults[0] : field.defaults.map((d, n) => `${field.modes[n]}: ${d}`).join("; ");
        out.push(`| \`${key}.${field.name}\` | ${def} | ${only}${meaning(field.schema)} |`);
    }
    return out;
}

/** README.md's configuration table. */
export function readmeTable(): string {
    const keys = Object.entries<z.ZodType>(Sections.shape).filter(([k]) => !(SECRET_KEYS as readonly string[]).includes(k));
    const secrets = SECRET_KEYS.map((k) => `| \`${k}\` | secret key | ${metaOf(Sections.shape[k]).description}: \`pulumi config set --secret ${k} VALUE\` |`);
    const refused = Object.entries(PLAINTEXT).map(([k, fix]) => `| \`${k}\` | refused | a secret in plain config stops the run: ${fix} |`);
    return [BEGIN, "| key | default | meaning |", "| --- | --- | --- |", ...keys.flatMap(([k, f]) => rows(k, f)), ...secrets, ...refused, END].join("\n");
}

/** Pulumi.yaml's declaration of one key: type, description, default. */
function declaration(key: string, f: z.ZodType): Record<string, unknown> {
    const i = inner(f);
    const description = metaOf(f).description ?? "";
    if ((SECRET_KEYS as readonly string[]).includes(key)) return { type: "string", description: `Secret (set with --secret): ${description}.`, default: "" };
    if (i instanceof z.ZodArray) return { type: "array", items: { type: "object" }, description: sentence(description), default: defaultOf(f) };
    if (objectsOf(i).objects.length > 0) {
        const { fields, mode, modes } = fieldsOf(i);
        const names = (m?: string) =>
            fields.filter((x) => (m === undefined ? x.modes.length === modes.length : x.modes.length < modes.length && x.modes.includes(m))).map((x) => x.name);
        const perMode = modes.filter((m) => mode && names(m).length > 0).map((m) => `with ${mode} ${m}: ${names(m).join(", ")}`);
        const fieldText = [names().join(", "), ...perMode].filter(Boolean).join("; ");
        return { type: "object", description: `${sentence(description)} Fields: ${fieldText} (README.md, Configuration reference).`, default: defaultOf(f) };
    }
    const type = i instanceof z.ZodUnion ? "boolean" : i instanceof z.ZodRecord ? "object" : "string";
    return { type, description: sentence(description), default: defaultOf(f) };
}

/** Pulumi.yaml with its `config:` block written from the schema; everything else, comments included, kept. */
export async function pulumiYaml(current: string): Promise<string> {
    const doc = YAML.parseDocument(current);
    const config = doc.get("config", true) as YAML.YAMLMap<YAML.Scalar, unknown>;
    const keys = Object.keys(Sections.shape);
    config.items = config.items.filter((p) => keys.includes(String(p.key.value)));
    for (const [k, f] of Object.entries<z.ZodType>(Sections.shape)) {
        const pair = config.items.find((p) => p.key.value === k);
        const node = doc.createNode(declaration(k, f));
        if (pair) pair.value = node;
        else config.items.push(doc.createPair(k, node));
    }
    const file = path.join(ROOT, "Pulumi.yaml");
    return prettier.format(doc.toString({ lineWidth: 0 }), { ...(await prettier.resolveConfig(file)), filepath: file });
}

/** README.md with its configuration reference replaced. */
export function readme(current: string): string {
    const [start, end] = [current.indexOf(BEGIN), current.indexOf(END)];
    if (start < 0 || end < start) throw new Error(`README.md has no "${BEGIN}" ... "${END}" block`);
    return current.slice(0, start) + readmeTable() + current.slice(end + END.length);
}

/** Each generated file with what it holds and what it should hold. */
export async function generated(): Promise<Array<{ file: string; current: string; wanted: string }>> {
    const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
    return [
        { file: "Pulumi.yaml", current: read("Pulumi.yaml"), wanted: await pulumiYaml(read("Pulumi.yaml")) },
        { file: "README.md", current: read("README.md"), wanted: readme(read("README.md")) },
    ];
}

async function main(): Promise<void> {
    const check = process.argv.includes("--check");
    for (const { file, current, wanted } of await generated()) {
        if (current === wanted) console.log(`docs: ${file} is up to date`);
        else if (check) {
            console.error(`docs: ${file} differs from what \`npm run docs\` writes from config.ts (${NS}: keys); run it and commit the result`);
            process.exitCode = 1;
        } else {
            fs.writeFileSync(path.join(ROOT, file), wanted);
            console.log(`docs: wrote ${file}`);
        }
    }
}

if (require.main === module) void main();
