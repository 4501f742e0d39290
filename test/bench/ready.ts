// `npm run bench`'s time to a ready hub (.ci/bench-ready.sh, on the real node of .ci/node-cluster.sh):
// the journey's stack (test/support/journey.ts) brought up by `pulumi up` from nothing, without
// skipAwait, while the proxy's address is polled: the seconds until /hub/health answers 200, until
// `pulumi up` returns, and until a user's server (logged in, started) answers its API. Then the
// slowest steps: each resource's time from the engine's progress lines (when "creating" and
// "created" arrived; `pulumi up` here has no event log flag), and the chain of dependencies
// that ends last (from the resource that finished last, back through whichever of its dependencies
// finished last), which is what the time to ready is made of. A benchmark: it prints, it does not
// judge.
import { spawn } from "node:child_process";
import * as readline from "node:readline";

import { EngineProject } from "../support/engine-project";
import { hubBase, installJourneyClass, journeyConfig, until, User } from "../support/journey";

const STACK = "ready";
const project = new EngineProject(STACK);
const NS = project.devConfig()["jupyterhub:namespace"] as string;

/**
 * Each resource's start and end (seconds since the up began): when the engine's progress lines
 * "<op> <type> <name> creating" and "... created (Ns)" arrived, keyed "<type> <name>" as `key`
 * makes it from a URN.
 */
function watch(line: string, at: number, out: Map<string, { start: number; end: number }>): void {
    const m = /^\s*\+\s+(\S+)\s+(\S+)\s+(creating|created)\b/.exec(line);
    // the stack and the components (charts, the program's own) span their children: not steps
    if (!m || !m[1].startsWith("kubernetes:") || m[1].startsWith("kubernetes:helm.sh")) return;
    const k = `${m[1]} ${m[2]}`;
    if (!out.has(k)) out.set(k, { start: at, end: at });
    if (m[3] === "created") out.get(k)!.end = at;
}

/** A URN as the engine's progress lines name the resource: "<type> <name>". */
const key = (urn: string) => `${urn.split("::").at(-2)!.split("$").at(-1)!} ${urn.split("::").at(-1)!}`;

/**
 * From the object that ended last, back through the dependency that ended last, to the start;
 * a component's dependencies (dependsOn given to a chart) count for its children.
 */
function chain(times: Map<string, { start: number; end: number }>): string[] {
    const deps = new Map<string, string[]>();
    for (const r of project.resources(STACK) as Array<{ urn: string; dependencies?: string[]; parent?: string }>) {
        deps.set(key(r.urn), [...(r.dependencies ?? []), ...(r.parent ? [r.parent] : [])].map(key));
    }
    // a parent stands for its dependencies: flattened to the objects that have times
    const objects = (k: string, seen = new Set<string>()): string[] => {
        if (times.has(k)) return [k];
        if (seen.has(k)) return [];
        seen.add(k);
        return (deps.get(k) ?? []).flatMap((d) => objects(d, seen));
    };
    const last = (urns: string[]) => urns.filter((u) => times.has(u)).sort((a, b) => times.get(b)!.end - times.get(a)!.end)[0];
    const out: string[] = [];
    for (let urn = last([...times.keys()]); urn !== undefined; urn = last((deps.get(urn) ?? []).flatMap((d) => objects(d)))) {
        const t = times.get(urn)!;
        out.push(`${urn} ${t.start.toFixed(1)}-${t.end.toFixed(1)} s (${(t.end - t.start).toFixed(1)} s)`);
        if (out.length > 30) break;
    }
    return out;
}

async function main(): Promise<void> {
    console.log(`bench ready: ${project.describe()}, the journey's stack on the real node`);
    project.initStack(STACK, journeyConfig(project, installJourneyClass()));
    const times = new Map<string, { start: number; end: number }>();
    const t0 = Date.now() / 1000;
    const up = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK], {
        cwd: project.dir,
        env: project.env,
        stdio: ["ignore", "pipe", "inherit"],
    });
    readline.createInterface({ input: up.stdout }).on("line", (line) => watch(line, Date.now() / 1000 - t0, times));
    const upDone = new Promise<number>((resolve) => up.on("exit", (code) => resolve(code ?? 1)));
    let upSeconds = 0;
    void upDone.then(() => (upSeconds = Date.now() / 1000 - t0));
    // /hub/health through the proxy as soon as its Service exists
    let health = 0;
    await until(
        async () => {
            if (upSeconds && !health) return true;
            try {
                const res = await fetch(`${hubBase(project, NS)}/hub/health`, { signal: AbortSignal.timeout(2000) });
                if (res.status === 200) health = Date.now() / 1000 - t0;
            } catch {
                // the Service or the hub not there yet
            }
            return health > 0;
        },
        "/hub/health",
        1800,
    );
    const code = await upDone;
    if (code !== 0) throw new Error(`pulumi up exited ${code}`);
    const user = new User("demo", hubBase(project, NS));
    const password = (JSON.parse(project.pulumi(["stack", "output", "ldapUserPasswords", "--show-secrets", "--json"])) as Record<string, string>).demo;
    const tLogin = Date.now() / 1000;
    await user.login(password);
    await user.start("standard");
    await until(async () => (await user.call("GET", "/user/demo/api/status")).status === 200, "demo's server API", 300);
    const server = Date.now() / 1000 - tLogin;

    console.log(`bench ready: /hub/health answering ${health ? health.toFixed(1) : "never"} s after pulumi up began`);
    console.log(`bench ready: pulumi up (no skipAwait) returned after ${upSeconds.toFixed(1)} s`);
    console.log(`bench ready: a user's server answering ${server.toFixed(1)} s after the login (${(upSeconds + server).toFixed(1)} s from nothing)`);
    console.log("bench ready: the slowest resources:");
    for (const [urn, t] of [...times].sort((a, b) => b[1].end - b[1].start - (a[1].end - a[1].start)).slice(0, 8)) {
        console.log(`  ${(t.end - t.start).toFixed(1).padStart(6)} s  ${urn}`);
    }
    console.log("bench ready: the chain that ends last (last first):");
    for (const step of chain(times)) console.log(`  ${step}`);
    await user.stop();
}

main()
    .catch((e: unknown) => {
        console.error(e);
        process.exitCode = 1;
    })
    .finally(() => {
        try {
            project.pulumi(["destroy", "--yes", "--skip-preview"]);
        } finally {
            project.remove();
        }
    });
