// A node that cannot start says what is missing in one line, in bounded time, and undoes its
// partial start: the machine is as before. Run before node.test.ts, on the same control plane.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";

import { machine, Machine, messages, nodeSh, pin, requireCluster, ROOT } from "../support/node-harness";

/** Starts the node and sends SIGNAL to the script once it has started the kubelet; resolves with its
 * exit status and stderr. */
function startAndSignal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [path.join(ROOT, ".ci", "node.sh"), "start"], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        let sent = false;
        child.stderr.on("data", (d: Buffer) => {
            stderr += d.toString();
            if (!sent && /starting kubelet/.test(stderr)) {
                sent = true;
                child.kill(signal);
            }
        });
        child.on("error", reject);
        child.on("close", (code, sig) => resolve({ code, signal: sig, stderr }));
    });
}

describe("a node that cannot start", () => {
    let machineBefore: Machine;
    before(() => {
        requireCluster();
        machineBefore = machine();
    });

    /** Starts with ENV, expects exit 1 with exactly one message line matching LINE, within SECONDS. */
    function refused(env: Record<string, string>, line: RegExp, seconds: number) {
        const r = nodeSh(["start"], env, seconds + 60);
        assert.equal(r.status, 1, `exit ${r.status}\n${r.stderr.slice(-4000)}`);
        assert.ok(r.seconds < seconds, `took ${r.seconds} s`);
        const m = messages(r.stderr);
        assert.equal(m.length, 1, `one line, got:\n${m.join("\n")}`);
        assert.match(m[0], /^node: cannot start: /);
        assert.match(m[0], line);
        assert.deepEqual(machine(), machineBefore, "the machine after the refused start");
        return m[0];
    }

    it("without containerd: names it, before touching the machine", () => {
        refused({ JHUB_NODE_CONTAINERD: "/nonexistent/containerd" }, /containerd not found at \/nonexistent\/containerd/, 30);
    });

    it("without the pause image: names the image and how to build it", () => {
        refused(
            { JHUB_NODE_PAUSE_ARCHIVE: "/nonexistent/pause.tar" },
            new RegExp(`${pin("PAUSE_IMAGE").replace(/\./g, "\\.")}.*\\.ci/toolchain\\.sh worker`),
            30,
        );
    });

    it("a start interrupted (SIGTERM) once the kubelet runs: says so, and undoes what it started", async () => {
        const r = await startAndSignal("SIGTERM");
        assert.equal(r.code, 1, r.stderr);
        assert.deepEqual(messages(r.stderr), ["node: cannot start: interrupted"]);
        assert.deepEqual(machine(), machineBefore);
    });

    it("a start killed (SIGKILL) once the kubelet runs leaves daemons behind: stop undoes them all", async () => {
        const r = await startAndSignal("SIGKILL");
        assert.equal(r.signal, "SIGKILL");
        assert.notDeepEqual(machine().processes, machineBefore.processes, "the daemons outlive the script");
        const stop = nodeSh(["stop"]);
        assert.equal(stop.status, 0, stop.stderr);
        assert.deepEqual(machine(), machineBefore);
    });

    it("when the kubelet refuses the host's cgroups: the kubelet's own reason, and everything it started undone", (t) => {
        if (fs.existsSync("/sys/fs/cgroup/cgroup.controllers")) {
            t.skip("cgroup v2 host: the kubelet's failCgroupV1 refuses nothing here");
            return;
        }
        const line = refused({ JHUB_NODE_FAIL_CGROUP_V1: "true" }, /kubelet exited: .*cgroup v1/, 120);
        console.log(`# ${line}`);
    });
});
