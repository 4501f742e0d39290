// CHANGELOG.md is what the upgrade test reads (test/support/releases.ts): every release names a
// commit of this repository, package.json's version is the newest release's, and every entry says
// which objects an upgrade changes, in a form the test can match.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import { ROOT } from "../support/helpers";
import { matchesName, releases } from "../support/releases";

const changelog = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");
/** The entries ("### ...") of the sections above 0.1.0, which was recorded before entries had "Changes:". */
const entries = changelog
    .slice(0, changelog.indexOf("\n## 0.1.0 "))
    .split(/^(?=### )/m)
    .slice(1);

describe("CHANGELOG.md", () => {
    it("every release names a commit this clone has, newest first, and package.json's version is the newest", () => {
        const all = releases();
        assert.ok(all.length > 0);
        for (const r of all) execFileSync("git", ["-C", ROOT, "cat-file", "-e", `${r.commit}^{commit}`]);
        const order = (v: string) => v.split(".").reduce((n, part) => n * 1000 + Number(part), 0);
        for (let i = 1; i < all.length; i++) assert.ok(order(all[i - 1].version) > order(all[i].version), `${all[i - 1].version} is above ${all[i].version}`);
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
        assert.equal(pkg.version, all[0].version);
    });

    it("every entry has one Changes: line of `<Kind> <name>` items, or none, or with another's", () => {
        assert.ok(entries.length > 0);
        for (const e of entries) {
            const lines = e.split("\n").filter((l) => l.startsWith("Changes:"));
            assert.equal(lines.length, 1, `one Changes: line in "${e.split("\n")[0]}"`);
            const items = lines[0].slice("Changes:".length).trim();
            if (/^(none|with)\b/.test(items)) continue;
            for (const item of items.split(","))
                assert.match(item.trim(), /^[A-Z][A-Za-z]+ [a-z0-9<>*.-]+$/, `"${item.trim()}" in "${e.split("\n")[0]}" is <Kind> <name>`);
        }
    });

    it("names match as the upgrade test reads them", () => {
        assert.ok(matchesName("<namespace>-nfs-external-resizer", "jhub-upgrade-nfs-external-resizer"));
        assert.ok(matchesName("openldap-sync-*", "openldap-sync-d4d6324f99b622c7"));
        assert.ok(matchesName("hub", "hub"));
        assert.ok(!matchesName("hub", "hub-secrets"));
        assert.ok(!matchesName("<namespace>-storage", "jhub-upgrade-storage-x"));
        assert.ok(!matchesName("nfs.server", "nfsxserver"));
    });
});
