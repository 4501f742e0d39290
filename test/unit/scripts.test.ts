// components/scripts.ts, and that the shell the program runs in pods is in components/scripts/*.sh
// alone: no TypeScript file under components/ carries script text. (The ConfigMaps holding the
// files byte for byte: test/program/scripts.test.ts. shellcheck over them: `npm run lint:sh`.)
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import { readScript, SCRIPTS_DIR, scriptPath } from "../../components/scripts";
import { ROOT } from "../support/helpers";

const COMPONENTS = path.join(ROOT, "components");

/** Every .ts file under components/, relative to the repository. */
function componentSources(dir = COMPONENTS): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return componentSources(full);
        return e.name.endsWith(".ts") ? [path.relative(ROOT, full)] : [];
    });
}

/**
 * What gives script text away: a shebang, strict mode, String.raw (backslashes kept for a shell or
 * awk), and sh's compound commands. `sh -c` is allowed once: the MySQL readiness probe, a single
 * command (mysqladmin ping with the root password read from its file), which stays inline.
 */
const SHELL_TEXT: Array<[string, RegExp]> = [
    ["a shebang", /#!\s*\/(usr\/)?bin\/(env\s+)?(ba|da)?sh/],
    ["strict mode", /\bset -[a-z]*e[a-z]*\b/],
    ["String.raw", /String\.raw/],
    ["if/then", /;\s*then\b/],
    ["a loop", /;\s*do\b|\bdone\b\s*["'`]/],
    ["a function", /\b[a-z_]+\(\)\s*\{/],
];
const SH_C_ALLOWED = [["components/mysql.ts", "mysqladmin ping -h 127.0.0.1"]];

describe("scripts: files of components/scripts/", () => {
    it("readScript gives a file's text as it is, scriptPath where it is", () => {
        const name = "ldap-sync.sh";
        assert.equal(scriptPath(name), path.join(COMPONENTS, "scripts", name));
        assert.equal(SCRIPTS_DIR, path.join(COMPONENTS, "scripts"));
        assert.ok(Buffer.from(readScript(name), "utf8").equals(fs.readFileSync(path.join(COMPONENTS, "scripts", name))));
    });

    it("a missing script, or a name outside the folder, is an error naming it and the folder", () => {
        assert.throws(
            () => readScript("no-such.sh"),
            /no script "no-such\.sh" in .*components\/scripts: the scripts that run in pods are the files of components\/scripts\//,
        );
        assert.throws(() => readScript("../scripts.ts"), /no script "\.\.\/scripts\.ts"/);
        assert.throws(() => readScript(""), /no script ""/);
    });

    it("no TypeScript file under components/ holds script text", () => {
        const sources = componentSources();
        assert.ok(sources.includes("components/backup.ts") && sources.includes("components/directory/server.ts"), sources.join(", "));
        const found: string[] = [];
        for (const file of sources) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            for (const [what, re] of SHELL_TEXT) if (re.test(text)) found.push(`${file}: ${what} (${re.exec(text)![0]})`);
            for (const m of text.matchAll(/"sh",\s*"-c",\s*(.{0,60})/g)) {
                if (!SH_C_ALLOWED.some(([f, cmd]) => f === file && m[1].includes(cmd))) found.push(`${file}: sh -c ${m[1]}`);
            }
        }
        assert.deepEqual(found, []);
    });

    it("the check finds script text where there is some", () => {
        const samples = ["#!/bin/sh\necho", "set -eu\n", "String.raw`x`", "if [ -f x ]; then", "for f in *; do", "prune() {"];
        for (const sample of samples)
            assert.ok(
                SHELL_TEXT.some(([, re]) => re.test(sample)),
                sample,
            );
    });
});
