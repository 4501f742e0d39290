// Faults and bad input through the real engine (`npm run test:reliability`, .ci/reliability.sh):
// an update interrupted by SIGINT, and one killed by SIGKILL then recovered as a user would on a
// file backend; a checkpoint cut short as such a kill can leave it, recovered the same way; drift repaired by refresh and up; bad configurations refused before anything
// changes; two updates at once; a value change and destroy while users' claims exist.
// Same cluster and chart rules as engine.test.ts (skipAwait: pods never run here).
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { SECRET_KEYS } from "../../config";
import { BAD } from "../support/bad-configs";
import { ROOT } from "../support/helpers";
import { EngineProject, kubernetesObjects, waitFor } from "../support/engine-project";

const NS = "jhub-rel";
const STACK = "rel";
const project = new EngineProject(STACK);

const kubectl = (args: string[], input?: string) => project.kubectl(args, input);
const pulumi = (args: string[], label?: string) => project.pulumi(args, { label });

/** The program's and the chart's objects in the API server, as Kind/namespace/name. */
function clusterObjects(): string[] {
    const kinds =
        "deployments,statefulsets,daemonsets,jobs,services,configmaps,secrets,serviceaccounts,persistentvolumeclaims,networkpolicies,roles,rolebindings,poddisruptionbudgets";
    const out: string[] = [];
    for (const selector of ["app.kubernetes.io/part-of=jupyterhub-platform", "app=jupyterhub"]) {
        const items = (
            JSON.parse(kubectl(["get", kinds, "-n", NS, "-l", selector, "-o", "json"])) as {
                items: Array<{ kind: string; metadata: { name: string; ownerReferences?: Array<{ kind: string }> } }>;
            }
        ).items;
        // A controller's objects (a backup CronJob's Job when its schedule fires during the test,
        // e.g. the dev stack's `17 2 * * *`) are the controller's, not the program's.
        const own = items.filter((o) => !(o.metadata.ownerReferences ?? []).some((r) => r.kind === "CronJob"));
        out.push(...own.map((o) => `${o.kind}/${NS}/${o.metadata.name}`));
    }
    return [...new Set(out)].sort();
}

/** Every object in the cluster is known to the state, exactly once. */
function assertConverged(): void {
    const state = kubernetesObjects(project.resources());
    assert.equal(new Set(state).size, state.length, "no object twice in the state");
    const unknown = clusterObjects().filter((o) => !state.includes(o));
    assert.deepEqual(unknown, [], "objects in the cluster that the state does not know");
    pulumi(["preview", "--expect-no-changes"]);
}

/** Starts `pulumi up` in its own process group and resolves when the namespace exists. */
function startUp(): { child: ChildProcess; done: Promise<number | null>; output: () => string } {
    let output = "";
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive"], {
        cwd: project.dir,
        env: project.env,
        detached: true,
    });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return { child, done, output: () => output };
}

async function untilCreating(up: ReturnType<typeof startUp>): Promise<void> {
    const deadline = Date.now() + 60_000;
    // Mid-way: once a Kubernetes object is created, others are being created.
    while (!/\+ +kubernetes:\S+ \S+ created/.test(up.output())) {
        if (Date.now() > deadline) throw new Error(`the update never got going:\n${up.output()}`);
        await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
}

const exists = (kind: string, name: string, ns?: string) => project.exists(kind, name, ns);
const makeHome = (user: string) => project.makeHome(NS, user);

const phase = (user: string) => kubectl(["get", "pvc", `claim-${user}`, "-n", NS, "-o", "jsonpath={.status.phase}"]);

/** The stack's checkpoint in the file backend; the backend keeps the previous one beside it as .bak. */
const checkpoint = path.join(project.stateDir, ".pulumi", "stacks", "jupyterhub", `${STACK}.json`);

/** The README's recovery after a killed update: scripts/recover.mjs; prints its summary lines. */
function recover(label: string): string {
    const out = project.run("node", [path.join(ROOT, "scripts", "recover.mjs"), "--stack", STACK], { label });
    console.log(
        `reliability: ${out
            .split("\n")
            .filter((l) => l.startsWith("recover:"))
            .join("; ")}`,
    );
    return out;
}

before(() => {
    console.log(`reliability: ${project.describe()}`);
    project.initStack(STACK, { "jupyterhub:namespace": NS });
});

after(() => {
    project.printTimings("reliability");
    project.remove();
});

describe("reliability through the real engine", () => {
    it("an update interrupted by SIGINT stops cleanly; the next up converges", async () => {
        const up = startUp();
        await untilCreating(up);
        process.kill(up.child.pid!, "SIGINT");
        const code = await up.done;
        assert.notEqual(code, 0, `the interrupted update reports failure:\n${up.output()}`);
        pulumi(["up", "--yes", "--skip-preview"], "up after SIGINT");
        assertConverged();
    });

    it("an update killed by SIGKILL is recovered (scripts/recover.mjs, then up) and converges", async () => {
        pulumi(["destroy", "--yes", "--skip-preview"], "destroy before SIGKILL");
        const up = startUp();
        await untilCreating(up);
        // The whole tree, as a cancelled CI job or a lost machine would end it: the CLI starts each
        // plugin in a process group of its own.
        const plugins = execFileSync("pgrep", ["-P", String(up.child.pid)], { encoding: "utf8" })
            .split("\n")
            .filter(Boolean);
        process.kill(up.child.pid!, "SIGKILL");
        for (const pid of plugins) process.kill(Number(pid), "SIGKILL");
        await up.done;
        // The killed CLI left its lock: `pulumi cancel` removes it on a file backend. Refresh reads
        // back what exists and drops the creates that never finished.
        const locks = path.join(project.stateDir, ".pulumi", "locks", "organization", "jupyterhub", STACK);
        assert.ok(
            fs.readdirSync(locks).some((f) => f.endsWith(".json")),
            "the killed update left its lock",
        );
        // Until recovered, the stack refuses updates: locked, or, when the kill landed while the
        // CLI was writing its checkpoint, unreadable (the backend keeps the last complete one as .bak).
        const refused = project.pulumiFails(["up", "--yes", "--skip-preview"]);
        assert.match(refused, /locked|failed to load checkpoint/);
        console.log(`reliability: after SIGKILL the stack was ${/locked/.test(refused) ? "locked" : "locked with a truncated checkpoint"}`);
        // The README's recovery: scripts/recover.mjs (cancel, import the pending Kubernetes
        // creates, clear the rest), then up.
        recover("recover after SIGKILL");
        pulumi(["up", "--yes", "--skip-preview"], "up after SIGKILL");
        assertConverged();
    });

    // Whether the kill above lands while the CLI is writing its checkpoint is a matter of timing:
    // here the checkpoint is cut short on purpose, as such a kill leaves it, on a converged stack.
    // The file backend writes two files per step, the state and the blob store's attributes (its
    // checksum): a kill can cut either (CI's run once left the attributes empty, "EOF").
    for (const [how, file, keep, mended] of [
        ["emptied", checkpoint, () => 0, /restored the last complete checkpoint from \S+\.bak/],
        ["cut in half mid-JSON", checkpoint, (size: number) => Math.floor(size / 2), /restored the last complete checkpoint from \S+\.bak/],
        ["with its attributes file emptied", `${checkpoint}.attrs`, () => 0, /\.attrs was cut short .* removed it, \S+ is whole and kept/],
    ] as const) {
        it(`a checkpoint ${how} is refused until scripts/recover.mjs mends it; then nothing changes`, () => {
            const urns = project.resources().map((r) => r.urn);
            assert.ok(fs.existsSync(file), `${file} exists`);
            fs.truncateSync(file, keep(fs.statSync(file).size));
            // v3.259 says "place 1: unexpected end of JSON input" for both cuts of the state, "EOF"
            // for the attributes.
            for (const args of [["preview"], ["up", "--yes", "--skip-preview"]]) {
                assert.match(project.pulumiFails(args), /failed to load checkpoint: .*(unexpected end of JSON input|EOF)/, `pulumi ${args[0]}`);
            }
            const out = recover(`recover a checkpoint ${how}`);
            assert.match(out, mended);
            assert.deepEqual(
                project.resources().map((r) => r.urn),
                urns,
                "the state holds what it held before the cut",
            );
            pulumi(["preview", "--expect-no-changes"], `no-op preview after a checkpoint ${how}`);
        });
    }

    it("drift: an object edited by hand and one deleted are restored by refresh and up", () => {
        kubectl(["-n", NS, "patch", "configmap", "openldap-sync", "--type=merge", "-p", '{"data":{"ldap-sync.sh":"echo edited by hand"}}']);
        kubectl(["-n", NS, "delete", "service", "mysql"]);
        pulumi(["refresh", "--yes", "--skip-preview"], "refresh after drift");
        pulumi(["up", "--yes", "--skip-preview"], "up after drift");
        assert.match(kubectl(["-n", NS, "get", "configmap", "openldap-sync", "-o", "jsonpath={.data.ldap-sync\\.sh}"]), /ldapwhoami/);
        assert.ok(exists("service", "mysql", NS));
        for (let i = 1; i <= 3; i++) pulumi(["preview", "--expect-no-changes"], `no-op preview ${i}`);
    });

    const cases = BAD.filter(([, raw, , stack]) => (stack ?? "dev") === "dev" && !Object.keys(raw).some((k) => (SECRET_KEYS as readonly string[]).includes(k)));

    it(`${cases.length} bad configurations: each update fails naming the key, and changes neither the state nor the cluster`, () => {
        assert.ok(cases.length >= 20, `${cases.length} cases`);
        // Compared with secrets revealed: every update that ran re-encrypts them with a new nonce.
        const state = JSON.stringify(project.resources(STACK, true));
        const objects = clusterObjects();
        const lines: string[] = [];
        try {
            for (const [what, raw, expected] of cases) {
                project.writeStackConfig(STACK, {
                    "jupyterhub:namespace": NS,
                    ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [`jupyterhub:${k}`, v])),
                });
                const out = project.pulumiFails(["up", "--yes", "--skip-preview"]);
                // A value of the wrong type for a key Pulumi.yaml declares is refused by the
                // engine itself, before the program runs, with its own line naming the key.
                const engineLine = /validating stack config: .*configuration key '([\w.]+)' must be of type '\w+'/.exec(out);
                if (engineLine && Object.keys(raw).includes(engineLine[1])) {
                    lines.push(engineLine[0]);
                    continue;
                }
                for (const fragment of expected) assert.ok(out.includes(fragment), `${what}: the output names "${fragment}":\n${out.slice(-3000)}`);
                lines.push(
                    out
                        .split("\n")
                        .find((l) => l.includes(expected[0]))!
                        .trim(),
                );
            }
        } finally {
            project.writeStackConfig(STACK, { "jupyterhub:namespace": NS });
        }
        assert.equal(JSON.stringify(project.resources(STACK, true)), state, "the state is unchanged");
        assert.deepEqual(clusterObjects(), objects, "the cluster is unchanged");
        pulumi(["preview", "--expect-no-changes"]);
        console.log(`reliability: refused, one line each:\n  ${lines.join("\n  ")}`);
    });

    it("two updates at once: the second is refused while the first holds the stack, which stays intact", async () => {
        const first = startUp();
        const deadline = Date.now() + 60_000;
        while (!/Updating \(/.test(first.output())) {
            if (Date.now() > deadline) assert.fail(`the first update never started:\n${first.output()}`);
            await new Promise((r) => setTimeout(r, 50));
        }
        const second = project.pulumiFails(["up", "--yes", "--skip-preview"]);
        assert.match(second, /locked/i);
        assert.equal(await first.done, 0, first.output());
        assertConverged();
    });

    it("a value change applied by up while users' claims exist loses nothing", () => {
        makeHome("alice");
        makeHome("bob");
        const uids = ["alice", "bob"].map((u) => kubectl(["get", "pvc", `claim-${u}`, "-n", NS, "-o", "jsonpath={.metadata.uid}"]));
        pulumi(["config", "set", "--path", "singleuser.memoryLimit", "3G"]);
        pulumi(["up", "--yes", "--skip-preview"], "value change with claims");
        assert.deepEqual(
            ["alice", "bob"].map((u) => kubectl(["get", "pvc", `claim-${u}`, "-n", NS, "-o", "jsonpath={.metadata.uid}"])),
            uids,
        );
        assert.deepEqual(["alice", "bob"].map(phase), ["Bound", "Bound"]);
        assertConverged();
    });

    it("destroy keeps users' claims and their volumes; with dataPolicy delete they go with the namespace", () => {
        pulumi(["destroy", "--yes", "--skip-preview"], "destroy with claims");
        assert.deepEqual(["alice", "bob"].map(phase), ["Bound", "Bound"]);
        assert.ok(exists("pv", "pvc-alice") && exists("pv", "pvc-bob"));
        pulumi(["up", "--yes", "--skip-preview"], "up over claims");
        assert.deepEqual(["alice", "bob"].map(phase), ["Bound", "Bound"]);
        pulumi(["config", "set", "dataPolicy", "delete"]);
        pulumi(["up", "--yes", "--skip-preview"]);
        pulumi(["destroy", "--yes", "--skip-preview"], "destroy with dataPolicy delete");
        waitFor(() => !exists("namespace", NS), "the namespace deleted");
        // Home PVs are Retain: the directories stay on the server until deleted deliberately.
        assert.ok(exists("pv", "pvc-alice"), "the home volume itself is never deleted by Pulumi");
    });
});
