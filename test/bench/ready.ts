// `npm run bench`'s time to a ready hub (.ci/bench-ready.sh, on the real node of .ci/node-cluster.sh):
// the journey's stack (test/support/journey.ts) brought up by `pulumi up` from nothing, without
// skipAwait, while the proxy's address is polled: the seconds until /hub/health answers 200, until
// `pulumi up` returns, and until a user's server (logged in, started) answers its API. Then the
// slowest steps: each resource's time from the engine's event log, and the chain of dependencies
// that ends last (from the resource that finished last, back through whichever of its dependencies
// finished last), which is what the time to ready is made of. A benchmark: it prints, it does not
// judge.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { EngineProject } from "../support/engine-project";
import { hubBase, installJourneyClass, journeyConfig, until, User } from "../support/journey";

const STACK = "ready";
const project = new EngineProject(STACK);
const NS = project.devConfig()["jupyterhub:namespace"] as string;

interface EngineEvent {
    timestamp: number;
    resourcePreEvent?: { metadata: { urn: string; op: string } };
    resOutputsEvent?: { metadata: { urn: string; op: string } };
}

/** Each resource's start and end (seconds since the up began), from `pulumi up --event-log`. */
function spans(eventLog: string, t0: number): Map<string, { start: number; end: number }> {
    const out = new Map<string, { start: number; end: number }>();
    for (const line of fs.readFileSync(eventLog, "utf8").split("\n")) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as EngineEvent;
        const pre = e.resourcePreEvent?.metadata;
        const done = e.resOutputsEvent?.metadata;
        if (pre && pre.op !== "same") out.set(pre.urn, { start: e.timestamp - t0, end: e.timestamp - t0 });
        if (done && out.has(done.urn)) out.get(done.urn)!.end = e.timestamp - t0;
    }
    return out;
}

const short = (urn: string) => {
    const [type, name] = [urn.split("::").at(-2)!.split("$").at(-1)!, urn.split("::").at(-1)!];
    return `${type.split(":").at(-1)} ${name}`;
};

/** From the resource that ended last, back through the dependency that ended last, to the start. */
function chain(times: Map<string, { start: number; end: number }>): string[] {
    const deps = new Map<string, string[]>();
    for (const r of project.resources(STACK) as Array<{ urn: string; dependencies?: string[]; parent?: string }>) {
        deps.set(r.urn, [...(r.dependencies ?? []), ...(r.parent ? [r.parent] : [])]);
    }
    const last = (urns: string[]) => urns.filter((u) => times.has(u)).sort((a, b) => times.get(b)!.end - times.get(a)!.end)[0];
    const out: string[] = [];
    for (let urn = last([...times.keys()]); urn !== undefined; urn = last(deps.get(urn) ?? [])) {
        const t = times.get(urn)!;
        out.push(`${short(urn)} ${t.start.toFixed(1)}-${t.end.toFixed(1)} s (${(t.end - t.start).toFixed(1)} s)`);
        if (out.length > 30) break;
    }
    return out;
}

async function main(): Promise<void> {
    console.log(`bench ready: ${project.describe()}, the journey's stack on the real node`);
    project.initStack(STACK, journeyConfig(project, installJourneyClass(project)));
    const eventLog = path.join(project.work, "events.jsonl");
    const t0 = Date.now() / 1000;
    const up = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK, "--event-log", eventLog], {
        cwd: project.dir,
        env: project.env,
        stdio: ["ignore", "ignore", "inherit"],
    });
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
    const times = spans(eventLog, t0);
    console.log("bench ready: the slowest resources:");
    for (const [urn, t] of [...times].sort((a, b) => b[1].end - b[1].start - (a[1].end - a[1].start)).slice(0, 8)) {
        console.log(`  ${(t.end - t.start).toFixed(1).padStart(6)} s  ${short(urn)}`);
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
