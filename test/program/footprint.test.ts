import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { toBytes } from "../../lib/formats";
import { get } from "../support/helpers";
import { ProgramRun, reveal, runProgram } from "../support/program";

// What the platform itself asks of the cluster (requests of its always-on pods, not users'
// servers), for the dev stack: it must fit a laptop's single-node kind/k3d/minikube cluster.
// Chart pods are counted from the values the program gives the chart, with z2jh's default
// replica counts (hub 1, proxy 1, user scheduler 2); the continuous image puller's pause
// containers are counted once (one node).

let run: ProgramRun;
before(async () => {
    run = await runProgram("dev");
});

type Req = { cpu: number; memory: number };
const cores = (q: unknown): number => {
    if (typeof q !== "string" && typeof q !== "number") return 0;
    const s = String(q);
    return s.endsWith("m") ? Number(s.slice(0, -1)) / 1000 : Number(s);
};
const requests = (r: unknown): Req => ({
    cpu: cores(get(r, "requests.cpu")),
    memory: get(r, "requests.memory") === undefined ? 0 : toBytes(String(get(r, "requests.memory"))),
});

function footprint(): Array<[string, Req]> {
    const rows: Array<[string, Req]> = [];
    for (const r of run.resources) {
        const kind = r.type.split(":").pop();
        if (!["Deployment", "StatefulSet", "DaemonSet"].includes(kind ?? "")) continue;
        const o = reveal(r.inputs);
        const containers = (get(o, "spec.template.spec.containers") as unknown[]) ?? [];
        const replicas = Number(get(o, "spec.replicas") ?? 1);
        const sum = containers
            .map((c) => requests(get(c, "resources")))
            .reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
        rows.push([`${kind}/${String(get(o, "metadata.name"))}`, { cpu: sum.cpu * replicas, memory: sum.memory * replicas }]);
    }
    const values = get(reveal(run.byName("jupyterhub").inputs), "values");
    rows.push(["chart: hub", requests(get(values, "hub.resources"))]);
    rows.push(["chart: proxy", requests(get(values, "proxy.chp.resources"))]);
    const sched = requests(get(values, "scheduling.userScheduler.resources"));
    rows.push(["chart: user scheduler x2", { cpu: sched.cpu * 2, memory: sched.memory * 2 }]);
    rows.push(["chart: continuous image puller", requests(get(values, "prePuller.resources"))]);
    return rows;
}

describe("footprint of the dev stack's own pods", () => {
    it("every always-on pod requests CPU and memory", () => {
        const rows = footprint();
        const missing = rows.filter(([, r]) => r.cpu <= 0 || r.memory <= 0).map(([n]) => n);
        assert.deepEqual(missing, []);
    });

    it("fits a laptop cluster: at most 1.5 CPU and 3 GiB requested in all", () => {
        const rows = footprint();
        const total = rows.reduce((a, [, r]) => ({ cpu: a.cpu + r.cpu, memory: a.memory + r.memory }), { cpu: 0, memory: 0 });
        const table = rows
            .map(([n, r]) => `  ${n.padEnd(34)} ${r.cpu.toFixed(3).padStart(6)} CPU ${(r.memory / 2 ** 20).toFixed(0).padStart(6)} MiB`)
            .join("\n");
        console.log(
            `dev stack requests:\n${table}\n  ${"total".padEnd(34)} ${total.cpu.toFixed(3).padStart(6)} CPU ${(total.memory / 2 ** 20).toFixed(0).padStart(6)} MiB`,
        );
        assert.ok(total.cpu <= 1.5, `requests ${total.cpu} CPU`);
        assert.ok(total.memory <= 3 * 2 ** 30, `requests ${total.memory / 2 ** 20} MiB`);
    });
});
