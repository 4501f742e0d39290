// The configuration reference cannot drift from the schema: Pulumi.yaml's `config:` block and
// README.md's table are what `npm run docs` writes from config.ts, and every key is documented.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import * as z from "zod";

import { Sections } from "../../config";
import { inner, objectsOf } from "../../lib/schema";
import { generated, readmeTable } from "../../scripts/docs";

/** Every field of the schema, as "nfs.shared.size", with its schema (list items are documented by their list). */
function fields(prefix: string, s: z.ZodType): Array<[string, z.ZodType]> {
    const { objects, mode } = objectsOf(inner(s));
    if (inner(s) instanceof z.ZodArray) return [];
    const own = objects.flatMap((o) => Object.entries<z.ZodType>(o.shape).filter(([k]) => k !== mode));
    return own.flatMap(([k, f]) => [[`${prefix}${k}`, f] as [string, z.ZodType], ...fields(`${prefix}${k}.`, f)]);
}

describe("docs: generated from the schema", () => {
    it("Pulumi.yaml and README.md are exactly what `npm run docs` writes", async () => {
        for (const { file, current, wanted } of await generated()) assert.ok(current === wanted, `${file} is stale: run npm run docs and commit it`);
    });

    it("every field has a description, and the README a row for it", () => {
        const table = readmeTable();
        const all = fields("", Sections).filter(([, f]) => objectsOf(inner(f)).objects.length === 0);
        assert.ok(all.length > 60, `${all.length} fields`);
        const undocumented = all.filter(([, f]) => !f.description).map(([k]) => k);
        assert.deepEqual(undocumented, []);
        assert.deepEqual(
            all.filter(([k]) => !table.includes(`| \`${k}\` |`)).map(([k]) => k),
            [],
        );
    });

    it("marks the fields of one mode, and gives each mode's own default", () => {
        const table = readmeTable();
        assert.match(table, /\| `nfs\.server` \| - \| `external` only: /);
        assert.match(table, /\| `ldap\.tlsStrategy` \| in-cluster: `on_connect`; external: `before_bind` \|/);
        assert.match(table, /\| `ingress\.host` \| - \| `enabled: true` only: /);
        assert.match(table, /\| `mysqlPassword` \| secret key \| .*pulumi config set --secret mysqlPassword/);
        assert.match(table, /\| `ldap\.bindPassword` \| refused \|/);
    });
});
