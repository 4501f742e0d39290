// The releases CHANGELOG.md records ("## 0.1.0 — commit a504ec4"), newest first, and what each
// says will change when a stack upgrades to it ("Changes:" lines), for the suites that deploy a
// release and upgrade it (test/e2e/upgrade.test.ts, storage-move.test.ts).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ROOT, run } from "./helpers";

export interface Release {
    version: string;
    commit: string;
}

/** The part of CHANGELOG.md a release (or "Unreleased") heads, up to the next release. */
interface Section {
    version: string;
    commit?: string;
    text: string;
}

function sections(changelog = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8")): Section[] {
    const out: Section[] = [];
    for (const part of changelog.split(/^(?=## )/m).slice(1)) {
        const head = /^## (Unreleased|(\d+\.\d+\.\d+) — commit ([0-9a-f]{7,40}))\s*$/m.exec(part);
        if (!head) throw new Error(`CHANGELOG.md: a release heading must read "## <version> — commit <sha>" or "## Unreleased": ${part.split("\n")[0]}`);
        out.push({ version: head[2] ?? "Unreleased", commit: head[3], text: part });
    }
    return out;
}

/** The releases, newest first. */
export function releases(): Release[] {
    return sections().flatMap((s) => (s.commit ? [{ version: s.version, commit: s.commit }] : []));
}

export function release(version: string): Release {
    const r = releases().find((x) => x.version === version);
    if (!r) throw new Error(`CHANGELOG.md names no release ${version} with its commit`);
    return r;
}

/** What the program is made of: a stack's deployment depends on these files only. */
export const PROGRAM = ["Pulumi.yaml", "package.json", "package-lock.json", "tsconfig.json", "index.ts", "config.ts", "components", "lib"];

const git = (args: string[]) => execFileSync("git", ["-C", ROOT, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });

/** A package file without its own version, which a release changes and a stack never sees. */
function unversioned(text: string): string {
    const pkg = JSON.parse(text) as { version?: string; packages?: Record<string, { version?: string }> };
    delete pkg.version;
    if (pkg.packages?.[""]) delete pkg.packages[""].version;
    return JSON.stringify(pkg);
}

/**
 * Whether the program at `commit` is the working tree's: no difference in PROGRAM, committed or
 * not, but the version in package.json and package-lock.json (a release's own commit bumps it).
 */
export function sameProgram(commit: string): boolean {
    const packages = ["package.json", "package-lock.json"];
    const present = PROGRAM.filter((f) => fs.existsSync(path.join(ROOT, f)) && !packages.includes(f));
    if (git(["diff", commit, "--", ...present]) !== "") return false;
    return packages.every((f) => unversioned(git(["show", `${commit}:${f}`])) === unversioned(fs.readFileSync(path.join(ROOT, f), "utf8")));
}

/**
 * The release a stack is upgraded from: the newest, or where the working tree's program is that
 * release's, the one before it (undefined when there is none).
 */
export function upgradeFrom(): Release | undefined {
    const all = releases();
    return all.find((r) => !sameProgram(r.commit));
}

/**
 * The objects CHANGELOG.md says change when a stack of `from` is upgraded to the working tree: the
 * "Changes:" lines of every section above it, each a comma-separated list of `<Kind> <name>`, a
 * name may hold `<namespace>` (the stack's) and end in `*` (a Job named by a digest); "none" and
 * "with ..." (another entry's line covers it) name nothing. Each changed object of an upgrade's preview must
 * be one of them.
 */
export function namedChanges(from: Release): Array<{ kind: string; name: string; section: string }> {
    const all = sections();
    const newer = all.slice(
        0,
        all.findIndex((s) => s.version === from.version),
    );
    return newer.flatMap((s) =>
        [...s.text.matchAll(/^Changes: (.+)$/gm)]
            .filter((m) => !/^(none|with)\b/.test(m[1]))
            .flatMap((m) =>
                m[1].split(",").map((item) => {
                    const [kind, name] = item.trim().replace(/`/g, "").split(/\s+/);
                    return { kind, name, section: s.version };
                }),
            ),
    );
}

/** Whether a name of a "Changes:" line (`<namespace>` any namespace, `*` any end) names the object. */
export function matchesName(pattern: string, name: string): boolean {
    const re = pattern
        .split(/(<namespace>|\*)/)
        .map((part) => (part === "<namespace>" ? "[a-z0-9-]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${re}$`).test(name);
}

/**
 * A worktree of the release's commit with its own packages (this checkout's node_modules when its
 * package-lock.json is the same, else `npm ci`); remove it with removeWorktree.
 */
export function releaseWorktree(r: Release): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `jhub-release-${r.version}-`));
    fs.rmSync(dir, { recursive: true });
    run("git", ["-C", ROOT, "worktree", "add", "--detach", dir, r.commit]);
    const lock = (d: string) => fs.readFileSync(path.join(d, "package-lock.json"), "utf8");
    if (lock(dir) === lock(ROOT)) fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    else run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir });
    return dir;
}

export function removeWorktree(dir: string): void {
    run("git", ["-C", ROOT, "worktree", "remove", "--force", dir]);
}
