// The configuration reference cannot drift: every key Pulumi.yaml declares and every field the
// config parser accepts is in README.md's configuration table, and config.ts and Pulumi.yaml
// declare the same top-level keys. The parser's fields are read from its own error message for an
// unknown field ("known keys here: ..."), not from its internals.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import * as YAML from "yaml";

import { ConfigError, NS, parseConfig, Sections } from "../config";

const CONFIG_KEYS = Object.keys(Sections.shape);
import { ROOT } from "./helpers";

const UNKNOWN = "zzNotASetting";

/** The rows of README.md's "Configuration reference" table. */
function readmeRows(): string[] {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("## Configuration reference");
    assert.ok(start >= 0, "README.md has no Configuration reference section");
    const end = readme.indexOf("\n## ", start + 1);
    return readme
        .slice(start, end < 0 ? undefined : end)
        .split("\n")
        .filter((l) => l.startsWith("|") && !/^\|\s*(key|-+)\s*\|/.test(l));
}

/**
 * Keys a row documents: `nfs.server`, and `.path` after it meaning `nfs.path` (relative to the
 * last full key in the row).
 */
function documentedKeys(row: string): string[] {
    const out: string[] = [];
    let base = "";
    for (const [, token] of row.matchAll(/`([^`]+)`/g)) {
        if (!/^\.?[A-Za-z][A-Za-z0-9.]*$/.test(token)) continue;
        if (token.startsWith(".")) {
            if (base) out.push(`${base}${token}`);
        } else {
            out.push(token);
            base = token.includes(".") ? token.slice(0, token.lastIndexOf(".")) : token;
        }
    }
    return out;
}

const rows = readmeRows();
const documented = new Set(rows.flatMap(documentedKeys));

/** The row whose first key is `key`. */
function rowOf(key: string): string | undefined {
    return rows.find((r) => documentedKeys(r.split("|")[1] ?? "").includes(key));
}

/** Pulumi.yaml's declared keys. */
function declaredKeys(): string[] {
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> };
    return Object.keys(project.config);
}

/** Puts `leaf` at `path` ("nfs.shared", "profiles[0].tolerations[0]") in an otherwise empty config. */
function configWith(pathSpec: string, leaf: unknown): Record<string, unknown> {
    const parts = pathSpec.split(".").flatMap((p) => p.split(/(?=\[)/));
    let value: unknown = leaf;
    for (const part of parts.reverse()) value = part === "[0]" ? [value] : { [part]: value };
    return value as Record<string, unknown>;
}

/** The fields the parser accepts at `pathSpec`, or undefined when it is not an object with fixed fields. */
function knownFields(pathSpec: string): string[] | undefined {
    try {
        parseConfig(configWith(pathSpec, { [UNKNOWN]: 1 }), "dev");
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        const line = e.problems.find((p) => p.startsWith(`${NS}:${pathSpec}.${UNKNOWN} is not a known setting`));
        const m = line && /known keys here: (.*)$/.exec(line);
        return m ? m[1].split(", ") : undefined;
    }
    return undefined;
}

interface Field {
    /** "nfs.shared.size", or for list items "profiles[0].slug". */
    path: string;
    /** The object's key ("nfs.shared") or, for a list item, the list's key ("profiles"). */
    owner: string;
    inList: boolean;
}

/** Every field under an object or list-of-objects path, recursively (nested objects and lists). */
function fieldsUnder(pathSpec: string, owner: string, inList: boolean): Field[] {
    const out: Field[] = [];
    for (const f of knownFields(pathSpec) ?? []) {
        const p = `${pathSpec}.${f}`;
        out.push({ path: p, owner, inList });
        if (knownFields(p)) out.push(...fieldsUnder(p, inList ? owner : p, inList));
        if (knownFields(`${p}[0]`)) out.push(...fieldsUnder(`${p}[0]`, inList ? owner : p, true));
    }
    return out;
}

describe("docs: the configuration reference", () => {
    it("every key Pulumi.yaml declares is in README.md's configuration table", () => {
        const missing = declaredKeys().filter((k) => !documented.has(k) && ![...documented].some((d) => d.startsWith(`${k}.`)));
        assert.deepEqual(missing, [], `README.md's configuration table lacks ${missing.join(", ")}`);
    });

    it("config.ts reads exactly the top-level keys Pulumi.yaml declares", () => {
        assert.deepEqual([...CONFIG_KEYS].sort(), declaredKeys().sort());
    });

    it("every field the parser accepts in an object key is in the table as key.field", () => {
        const objectKeys = CONFIG_KEYS.filter((k) => knownFields(k));
        assert.deepEqual([...objectKeys].sort(), ["culling", "hub", "ingress", "ldap", "mysql", "nfs", "singleuser"]);
        const fields = objectKeys.flatMap((k) => fieldsUnder(k, k, false)).filter((f) => !f.inList);
        assert.ok(
            fields.some((f) => f.path === "nfs.shared.readOnlyForUsers"),
            "nested objects are probed",
        );
        // A nested object (nfs.shared) is documented by its fields.
        const missing = fields.map((f) => f.path).filter((p) => !documented.has(p) && !(knownFields(p) && [...documented].some((d) => d.startsWith(`${p}.`))));
        assert.deepEqual(missing, [], `README.md's configuration table lacks ${missing.join(", ")}`);
    });

    it("every field of a list's items is named in that list's row", () => {
        const items = [...CONFIG_KEYS.filter((k) => knownFields(`${k}[0]`)).flatMap((k) => fieldsUnder(`${k}[0]`, k, true))];
        items.push(...CONFIG_KEYS.filter((k) => knownFields(k)).flatMap((k) => fieldsUnder(k, k, false).filter((f) => f.inList)));
        const owners = [...new Set(items.map((f) => f.owner))].sort();
        assert.deepEqual(owners, ["ldap.groups", "ldap.users", "profiles"]);
        const missing = items.filter((f) => {
            const row = rowOf(f.owner);
            const name = f.path.slice(f.path.lastIndexOf(".") + 1);
            return !row || !new RegExp(`[[{ ,]${name}[,:}\\] ]`).test(row);
        });
        assert.deepEqual(
            missing.map((f) => f.path),
            [],
        );
    });
});
