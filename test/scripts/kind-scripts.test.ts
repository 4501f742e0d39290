// The local kind cluster's scripts (scripts/up-dev.sh, down-dev.sh, e2e-kind.sh and kind-env.sh),
// run for real with stand-ins for docker, podman, kind, kubectl, pulumi, go and curl
// (test/support/kind-standins.sh) on a PATH that holds no other copy of them. What is checked is
// the scripts' own logic without a cluster: arguments, the checks before anything is created, the
// message without Docker, creating and then reusing the cluster, the pins, loading nfsd, and
// down-dev's warning. Real clusters run them in the kind check (scripts/e2e-kind.sh, run by
// .github/workflows/kind-e2e.yml).
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import { ROOT } from "../support/helpers";

const STANDINS = path.join(ROOT, "test", "support", "kind-standins.sh");
const SCRIPTS = ["up-dev.sh", "down-dev.sh", "e2e-kind.sh", "kind-env.sh"].map((f) => path.join("scripts", f));
/** What the scripts use besides the stand-ins: linked from this machine into the test's PATH. */
const SYSTEM_TOOLS = ["bash", "sh", "cat", "sed", "cut", "tr", "grep", "mkdir", "rm", "mv", "chmod", "cp", "ln", "mktemp", "head", "tail", "awk", "seq"];
SYSTEM_TOOLS.push("sleep", "openssl", "uname", "date", "basename", "dirname", "touch", "sha256sum", "env", "ls", "readlink", "flock", "paste");

/** The pins, read from .ci/lib.sh as the scripts read them. */
function pin(name: string): string {
    const m = new RegExp(`^${name}=(\\S+)`, "m").exec(fs.readFileSync(path.join(ROOT, ".ci", "lib.sh"), "utf8"));
    assert.ok(m, `.ci/lib.sh sets ${name}`);
    return m[1];
}
const KIND_VERSION = pin("KIND_VERSION");
const NODE_IMAGE = pin("KIND_NODE_IMAGE");
const KUBE_VERSION = pin("KUBE_VERSION");

function which(tool: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const p = path.join(dir, tool);
        try {
            fs.accessSync(p, fs.constants.X_OK);
            return p;
        } catch {
            // not here
        }
    }
    return undefined;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-kind-scripts-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));
let count = 0;

interface Machine {
    dir: string;
    /** The copy of the repository's scripts the test runs. */
    root: string;
    /** The stand-ins' state: the files they answer by, and `calls`. */
    standin: string;
    cache: string;
    env: NodeJS.ProcessEnv;
}

interface MachineOptions {
    /** Stand-ins on PATH (docker, podman, kind, kubectl, pulumi, go, curl). */
    tools: string[];
    /** Files in the stand-ins' state directory (see kind-standins.sh). */
    files?: Record<string, string>;
    /** The current context of ~/.kube/config. */
    context?: string;
}

/** A machine of its own: a copy of the scripts, a PATH of system tools and stand-ins, a HOME, a tool cache. */
function machine(opts: MachineOptions): Machine {
    const dir = path.join(work, String(++count));
    const root = path.join(dir, "repo");
    const bin = path.join(dir, "bin");
    const standin = path.join(dir, "standin");
    const home = path.join(dir, "home");
    const cache = path.join(dir, "cache");
    for (const d of [path.join(root, "scripts"), path.join(root, ".ci"), path.join(root, "node_modules"), bin, standin, home, path.join(dir, "tmp")])
        fs.mkdirSync(d, { recursive: true });
    for (const f of [...SCRIPTS, ".ci/lib.sh", ".ci/node-env.sh", ".ci/toolchain.sh", ".nvmrc"]) fs.copyFileSync(path.join(ROOT, f), path.join(root, f));
    for (const f of SCRIPTS) fs.chmodSync(path.join(root, f), 0o755);
    for (const tool of SYSTEM_TOOLS) {
        const p = which(tool);
        if (p) fs.symlinkSync(p, path.join(bin, tool));
    }
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    for (const tool of opts.tools) fs.symlinkSync(STANDINS, path.join(bin, tool));
    fs.writeFileSync(path.join(standin, "calls"), "");
    for (const [f, content] of Object.entries(opts.files ?? {})) {
        fs.mkdirSync(path.dirname(path.join(standin, f)), { recursive: true });
        fs.writeFileSync(path.join(standin, f), content);
    }
    if (opts.context !== undefined) {
        fs.mkdirSync(path.join(home, ".kube"));
        fs.writeFileSync(path.join(home, ".kube", "config"), `current-context: ${opts.context}\n`);
    }
    const env = { PATH: bin, HOME: home, STANDIN: standin, JHUB_TOOLCHAIN_DIR: cache, TMPDIR: path.join(dir, "tmp"), LANG: "C" };
    return { dir, root, standin, cache, env };
}

interface Run {
    status: number | null;
    out: string;
    /** The stand-ins' calls, one "<name> <args>" each. */
    calls: string[];
}

/** As run(), without blocking this process (whose stand-in hub answers the script meanwhile). */
function runAsync(m: Machine, script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(path.join(m.root, "scripts", script), args, { cwd: m.dir, env: { ...m.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => child.kill("SIGTERM"), 60_000);
        child.on("error", reject);
        child.on("close", (status) => {
            clearTimeout(timer);
            const calls = fs.readFileSync(path.join(m.standin, "calls"), "utf8").split("\n").filter(Boolean);
            resolve({ status, out, calls });
        });
    });
}

function run(m: Machine, script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Run {
    const r = spawnSync(path.join(m.root, "scripts", script), args, { cwd: m.dir, env: { ...m.env, ...env }, input: "", encoding: "utf8", timeout: 60_000 });
    if (r.error) throw r.error;
    const calls = fs.readFileSync(path.join(m.standin, "calls"), "utf8").split("\n").filter(Boolean);
    return { status: r.status, out: r.stdout + r.stderr, calls };
}

const called = (r: Run, prefix: string) => r.calls.filter((c) => c.startsWith(prefix));
const ALL = ["docker", "podman", "kind", "kubectl", "pulumi", "go", "curl"];
/** A laptop with Docker running, kind of the pinned version, no context, nfsd loadable. */
const DOCKER_LAPTOP: MachineOptions = { tools: ["docker", "kind", "kubectl", "pulumi"], files: { "docker-running": "", "nfsd-loadable": "" } };

describe("up-dev.sh", () => {
    it("--help prints the usage and runs nothing", () => {
        const r = run(machine({ tools: ALL }), "up-dev.sh", ["--help"]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /scripts\/up-dev\.sh \[extra pulumi up flags\]/);
        assert.match(r.out, /kind cluster named \$JHUB_KIND_CLUSTER \(default jupyterhub-dev\)/);
        assert.deepEqual(r.calls, []);
    });

    it("without the Pulumi CLI says so and creates nothing", () => {
        const r = run(machine({ tools: ["docker", "kind", "kubectl"], files: { "docker-running": "" } }), "up-dev.sh");
        assert.equal(r.status, 1);
        assert.match(r.out, /No Pulumi CLI: it is neither on PATH nor in ~\/\.pulumi\/bin/);
        assert.deepEqual(r.calls, []);
    });

    it("finds the Pulumi CLI in ~/.pulumi/bin", () => {
        const m = machine({ tools: ["kubectl"], context: "mine" });
        fs.mkdirSync(path.join(m.env.HOME!, ".pulumi", "bin"), { recursive: true });
        fs.symlinkSync(STANDINS, path.join(m.env.HOME!, ".pulumi", "bin", "pulumi"));
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.ok(r.calls.includes("pulumi up --stack dev --yes"), r.calls.join("\n"));
    });

    it("with a context that answers deploys there as before: no Docker, no kind, the flags go to pulumi up", () => {
        const m = machine({ tools: ALL, context: "my-cluster", files: { "docker-running": "" } });
        const r = run(m, "up-dev.sh", ["--yes", "--skip-preview"]);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(r.calls, [
            "kubectl config current-context",
            "kubectl --request-timeout=15s get --raw=/version",
            "kubectl config current-context",
            "pulumi stack ls --json",
            "pulumi stack init dev --non-interactive",
            "pulumi config get dataKey --stack dev",
            "pulumi config set --secret dataKey --stack dev --non-interactive",
            "pulumi up --stack dev --yes --skip-preview",
            "pulumi stack output --stack dev",
            "pulumi stack output hubPortForward --stack dev",
        ]);
        assert.match(r.out, /Deploying the dev stack to context my-cluster/);
        // The local file backend and its passphrase, beside each other in .pulumi-local.
        const passphrase = path.join(m.root, ".pulumi-local", "passphrase");
        assert.match(fs.readFileSync(passphrase, "utf8"), /^[0-9a-f]{64}\n$/);
        assert.equal(fs.statSync(passphrase).mode & 0o777, 0o600);
        assert.match(
            r.out,
            new RegExp(
                `PULUMI_BACKEND_URL=file://${m.root}/\\.pulumi-local PULUMI_CONFIG_PASSPHRASE_FILE=${m.root}/\\.pulumi-local/passphrase pulumi stack output ldapUserPasswords --show-secrets --stack dev`,
            ),
        );
    });

    it("gives a new stack a data key, and neither an existing stack nor a stack file that has one a new one", () => {
        const fresh = machine({ tools: ["kubectl", "pulumi"], context: "my-cluster" });
        assert.equal(run(fresh, "up-dev.sh", ["--yes"]).status, 0);
        const key = fs.readFileSync(path.join(fresh.standin, "dataKey"), "utf8");
        assert.match(key, /^[A-Za-z0-9+/]{43}=$/, "32 random bytes, base64, through stdin (not on a command line)");

        const existing = run(machine({ tools: ["kubectl", "pulumi"], context: "my-cluster", files: { stacks: "dev\n" } }), "up-dev.sh", ["--yes"]);
        assert.equal(existing.status, 0, existing.out);
        assert.deepEqual(called(existing, "pulumi stack"), [
            "pulumi stack ls --json",
            "pulumi stack select dev --non-interactive",
            "pulumi stack output --stack dev",
            "pulumi stack output hubPortForward --stack dev",
        ]);
        assert.deepEqual(called(existing, "pulumi config"), []);

        const carried = machine({ tools: ["kubectl", "pulumi"], context: "my-cluster", files: { stacks: "other\n", dataKey: "kept-key" } });
        const r = run(carried, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(called(r, "pulumi stack init"), ["pulumi stack init dev --non-interactive"]);
        assert.deepEqual(called(r, "pulumi config set"), []);
        assert.equal(fs.readFileSync(path.join(carried.standin, "dataKey"), "utf8"), "kept-key");
    });

    it("keeps the user's backend and passphrase and makes no .pulumi-local", () => {
        const m = machine({ tools: ["kubectl", "pulumi"], context: "my-cluster" });
        const r = run(m, "up-dev.sh", ["--yes"], { PULUMI_BACKEND_URL: "s3://bucket", PULUMI_CONFIG_PASSPHRASE: "p" });
        assert.equal(r.status, 0, r.out);
        assert.ok(!fs.existsSync(path.join(m.root, ".pulumi-local")));
        assert.match(r.out, /\n {2}pulumi stack output ldapUserPasswords --show-secrets --stack dev\n/);
    });

    it("with a context that does not answer names it and stops, without making a kind cluster", () => {
        const r = run(machine({ tools: ALL, context: "gone", files: { "docker-running": "", unreachable: "" } }), "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 1);
        assert.match(r.out, /The current kubeconfig context, gone, does not answer/);
        assert.match(r.out, /kubectl config unset\s+current-context/);
        assert.deepEqual(called(r, "kind"), []);
        assert.deepEqual(called(r, "docker"), []);
        assert.deepEqual(called(r, "pulumi"), []);
    });

    it("without a context and without Docker or Podman says what it needs in one message", () => {
        const m = machine({ tools: ["kind", "kubectl", "pulumi"] });
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.ok(!fs.existsSync(path.join(m.root, ".pulumi-local")), "no state made");
        assert.equal(r.status, 1);
        assert.equal(r.out.trim().split("\n").length, 2, r.out);
        assert.match(
            r.out,
            /^No usable Kubernetes context, and no container runtime to create a local cluster in\.\nInstall Docker \(https:\/\/docs\.docker\.com\/engine\/install\/\) or Podman and run this script again; it then creates a kind cluster named jupyterhub-dev\./,
        );
        assert.deepEqual(called(r, "kind"), []);
        assert.deepEqual(called(r, "pulumi"), []);
    });

    it("with Docker installed but its daemon down says to start it", () => {
        const r = run(machine({ tools: ["docker", "kind", "kubectl", "pulumi"] }), "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 1);
        assert.match(r.out, /docker is installed but its daemon does not answer \(`docker info` fails\): start it/);
        assert.deepEqual(called(r, "docker"), ["docker info"]);
        assert.deepEqual(called(r, "kind"), []);
        assert.deepEqual(called(r, "pulumi"), []);
    });

    it("without a context creates the kind cluster with the pinned node image, loads nfsd, deploys with --refresh and waits for every pod", () => {
        const m = machine(DOCKER_LAPTOP);
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.match(NODE_IMAGE, /^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
        assert.deepEqual(r.calls, [
            "kubectl config current-context",
            "docker info",
            "kind version",
            "kind get clusters",
            `kind create cluster --name jupyterhub-dev --image ${NODE_IMAGE} --wait 5m`,
            "kind get nodes --name jupyterhub-dev",
            "docker exec jupyterhub-dev-control-plane grep -qw nfsd /proc/filesystems",
            "docker exec jupyterhub-dev-control-plane modprobe nfsd",
            "docker exec jupyterhub-dev-control-plane modprobe nfs",
            "docker exec jupyterhub-dev-control-plane grep -qw nfsd /proc/filesystems",
            "kubectl config current-context",
            "pulumi stack ls --json",
            "pulumi stack init dev --non-interactive",
            "pulumi config get dataKey --stack dev",
            "pulumi config set --secret dataKey --stack dev --non-interactive",
            "pulumi config get skipAwait --stack dev",
            "pulumi up --stack dev --refresh --yes",
            "pulumi stack output --stack dev",
            "pulumi stack output namespaceName --stack dev",
            "kubectl -n jupyterhub-dev wait pod --all --for=condition=Ready --field-selector=status.phase!=Succeeded,status.phase!=Failed --timeout=10m",
            "kubectl -n jupyterhub-dev get pods",
            "pulumi stack output hubPortForward --stack dev",
        ]);
        assert.match(r.out, /Deploying the dev stack to context kind-jupyterhub-dev/);
        assert.match(r.out, /The hub: kubectl -n jupyterhub-dev port-forward service\/proxy-public 8080:80 {2}# then open http:\/\/localhost:8080\//);
        assert.match(r.out, /Log in as demo \(an admin\)\. Its password:\n.*pulumi stack output ldapUserPasswords --show-secrets --stack dev/);
    });

    it("a second run reuses the cluster: no create, its context exported, no --refresh", () => {
        const m = machine({ ...DOCKER_LAPTOP, files: { ...DOCKER_LAPTOP.files, "kind-clusters": "jupyterhub-dev\n", "nfsd-loaded": "" } });
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /Reusing the kind cluster jupyterhub-dev \(docker\)/);
        assert.deepEqual(called(r, "kind"), [
            "kind version",
            "kind get clusters",
            "kind export kubeconfig --name jupyterhub-dev",
            "kind get nodes --name jupyterhub-dev",
        ]);
        assert.deepEqual(called(r, "docker exec"), [
            "docker exec jupyterhub-dev-control-plane grep -qw nfsd /proc/filesystems",
            "docker exec jupyterhub-dev-control-plane grep -qw nfsd /proc/filesystems",
        ]);
        assert.ok(r.calls.includes("pulumi up --stack dev --yes"), r.calls.join("\n"));
        // Run twice on one machine: the first creates, the second reuses.
        const fresh = machine(DOCKER_LAPTOP);
        run(fresh, "up-dev.sh", ["--yes"]);
        fs.writeFileSync(path.join(fresh.standin, "calls"), "");
        const again = run(fresh, "up-dev.sh", ["--yes"]);
        assert.equal(again.status, 0, again.out);
        assert.deepEqual(called(again, "kind create"), []);
        assert.deepEqual(called(again, "kind export"), ["kind export kubeconfig --name jupyterhub-dev"]);
    });

    it("the current context of its own kind cluster takes the kind path too", () => {
        const m = machine({ ...DOCKER_LAPTOP, context: "kind-jupyterhub-dev", files: { ...DOCKER_LAPTOP.files, "kind-clusters": "jupyterhub-dev\n" } });
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(called(r, "kubectl --request-timeout"), []);
        assert.deepEqual(called(r, "kind export"), ["kind export kubeconfig --name jupyterhub-dev"]);
    });

    it("JHUB_KIND_CLUSTER names the cluster", () => {
        const r = run(machine(DOCKER_LAPTOP), "up-dev.sh", ["--yes"], { JHUB_KIND_CLUSTER: "mine" });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(called(r, "kind create"), [`kind create cluster --name mine --image ${NODE_IMAGE} --wait 5m`]);
    });

    it("stops before pulumi up, saying what to do, where nfsd cannot be loaded", () => {
        const m = machine({ tools: ["docker", "kind", "kubectl", "pulumi"], files: { "docker-running": "" } });
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 1);
        assert.match(r.out, /needs the kernel's NFS server \(the nfsd module\)/);
        assert.match(r.out, /Linux: run `sudo modprobe nfsd`/);
        assert.match(r.out, /Docker Desktop, Podman machine, colima and other VMs/);
        assert.match(r.out, /The kind cluster jupyterhub-dev stays; scripts\/down-dev\.sh removes it\./);
        assert.deepEqual(called(r, "pulumi"), []);
    });

    it("refuses a dev stack that sets skipAwait on kind, before pulumi up", () => {
        const m = machine({ ...DOCKER_LAPTOP, files: { ...DOCKER_LAPTOP.files, skipAwait: "true\n" } });
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 1);
        assert.match(r.out, /The dev stack sets skipAwait.*pulumi config rm skipAwait --stack dev/);
        assert.deepEqual(called(r, "pulumi up"), []);
    });

    it("with Podman alone tells kind to use it", () => {
        const m = machine({ tools: ["docker", "podman", "kind", "kubectl", "pulumi"], files: { "podman-running": "", "nfsd-loadable": "" } });
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(called(r, "kind [KIND_EXPERIMENTAL_PROVIDER=podman] create"), [
            `kind [KIND_EXPERIMENTAL_PROVIDER=podman] create cluster --name jupyterhub-dev --image ${NODE_IMAGE} --wait 5m`,
        ]);
        assert.ok(r.calls.includes("podman exec jupyterhub-dev-control-plane modprobe nfsd"), r.calls.join("\n"));
    });
});

describe("kind and kubectl, pinned", () => {
    it("a kind of another version on PATH is not used: go install of the pinned one into the tool cache", () => {
        const m = machine({ tools: ["docker", "kind", "go", "kubectl", "pulumi"], files: { "docker-running": "", "nfsd-loadable": "" } });
        const r = run(m, "up-dev.sh", ["--yes"], { STANDIN_KIND_VERSION: "v0.20.0" });
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(called(r, "go"), [`go install sigs.k8s.io/kind@v${KIND_VERSION}`]);
        assert.ok(fs.existsSync(path.join(m.cache, `kind-${KIND_VERSION}`, "bin", "kind")));
        // The next run takes it from the cache without building.
        fs.writeFileSync(path.join(m.standin, "calls"), "");
        const again = run(m, "up-dev.sh", ["--yes"], { STANDIN_KIND_VERSION: "v0.20.0" });
        assert.equal(again.status, 0, again.out);
        assert.deepEqual(called(again, "go"), []);
        assert.deepEqual(called(again, "kind version"), []);
    });

    it("without kind and without Go: the release binary, checked against its published sha256", () => {
        // The "release binary": the kind stand-in (sourced, so that it answers as kind).
        const binary = `#!/usr/bin/env bash\n. ${STANDINS} "$@"\n`;
        const sum = crypto.createHash("sha256").update(binary).digest("hex");
        const platform = `${os.platform()}-${os.arch() === "x64" ? "amd64" : os.arch()}`;
        const files = {
            "docker-running": "",
            "nfsd-loadable": "",
            [`www/kind-${platform}`]: binary,
            [`www/kind-${platform}.sha256sum`]: `${sum}  kind-${platform}\n`,
        };
        const m = machine({ tools: ["docker", "curl", "kubectl", "pulumi"], files });
        const r = run(m, "up-dev.sh", ["--yes"]);
        const url = `https://kind.sigs.k8s.io/dl/v${KIND_VERSION}/kind-${platform}`;
        assert.deepEqual(
            called(r, "curl").map((c) => c.replace(/\.tmp\.\d+/, ".tmp")),
            [`curl -fsSL -o ${path.join(m.cache, `kind-${KIND_VERSION}`, "bin", "kind")}.tmp ${url}`, `curl -fsSL ${url}.sha256sum`],
        );
        assert.equal(fs.readFileSync(path.join(m.cache, `kind-${KIND_VERSION}`, "bin", "kind"), "utf8"), binary);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(called(r, "kind create"), [`kind create cluster --name jupyterhub-dev --image ${NODE_IMAGE} --wait 5m`]);
    });

    it("refuses a kind binary whose sha256 differs from the published one, and installs nothing", () => {
        const platform = `${os.platform()}-${os.arch() === "x64" ? "amd64" : os.arch()}`;
        const files = {
            "docker-running": "",
            [`www/kind-${platform}`]: "tampered\n",
            [`www/kind-${platform}.sha256sum`]: `${"0".repeat(64)}  kind-${platform}\n`,
        };
        const m = machine({ tools: ["docker", "curl", "kubectl", "pulumi"], files });
        const r = run(m, "up-dev.sh", ["--yes"]);
        assert.equal(r.status, 1);
        assert.match(r.out, /sha256 [0-9a-f]{64}, but https:\/\/kind\.sigs\.k8s\.io\/dl\/v[\d.]+\/kind-[a-z0-9-]+\.sha256sum says 0{64}/);
        assert.match(r.out, /could not install kind v[\d.]+/);
        assert.deepEqual(fs.readdirSync(path.join(m.cache, `kind-${KIND_VERSION}`, "bin")), []);
        assert.deepEqual(called(r, "pulumi"), []);
    });

    it("without kubectl: the release binary of the pinned Kubernetes version, checked, before anything else", () => {
        const binary = "#!/bin/sh\nexit 1\n";
        const sum = crypto.createHash("sha256").update(binary).digest("hex");
        const files = { "www/kubectl": binary, "www/kubectl.sha256": sum };
        const m = machine({ tools: ["docker", "kind", "curl", "pulumi"], files });
        const r = run(m, "up-dev.sh", ["--yes"]);
        const arch = os.arch() === "x64" ? "amd64" : os.arch();
        const url = `https://dl.k8s.io/release/v${KUBE_VERSION}/bin/${os.platform()}/${arch}/kubectl`;
        assert.deepEqual(
            called(r, "curl").map((c) => c.replace(/\.tmp\.\d+/, ".tmp")),
            [`curl -fsSL -o ${path.join(m.cache, `kubectl-${KUBE_VERSION}`, "bin", "kubectl")}.tmp ${url}`, `curl -fsSL ${url}.sha256`],
        );
        assert.equal(fs.readFileSync(path.join(m.cache, `kubectl-${KUBE_VERSION}`, "bin", "kubectl"), "utf8"), binary);
        assert.deepEqual(called(r, "kind"), []);
    });
});

describe("down-dev.sh", () => {
    const withCluster: MachineOptions = { tools: ["docker", "kind"], files: { "docker-running": "", "kind-clusters": "jupyterhub-dev\n" } };

    it("says what data goes with the cluster, and without --yes off a terminal removes nothing", () => {
        const r = run(machine(withCluster), "down-dev.sh");
        assert.equal(r.status, 1);
        assert.match(r.out, /Removing the kind cluster jupyterhub-dev \(docker\) deletes everything in it, for good:/);
        assert.match(r.out, /every user's home directory and the shared and group folders/);
        assert.match(r.out, /the hub database \(MySQL: users, tokens, server records\) and the directory \(OpenLDAP\)/);
        assert.match(r.out, /the backups of both/);
        assert.match(r.out, /Kept: the dev stack's state and passphrase in \.pulumi-local\//);
        assert.match(r.out, /Not asked on a terminal: run with --yes to remove it\./);
        assert.deepEqual(called(r, "kind delete"), []);
    });

    it("--yes removes it after the warning", () => {
        const m = machine(withCluster);
        const r = run(m, "down-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.ok(r.out.indexOf("deletes everything in it") < r.out.indexOf("Removed the kind cluster jupyterhub-dev."));
        assert.deepEqual(called(r, "kind delete"), ["kind delete cluster --name jupyterhub-dev"]);
        assert.equal(fs.readFileSync(path.join(m.standin, "kind-clusters"), "utf8"), "");
    });

    it("with no such cluster has nothing to remove", () => {
        const r = run(machine({ tools: ["docker", "kind"], files: { "docker-running": "", "kind-clusters": "other\n" } }), "down-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /No kind cluster named jupyterhub-dev on docker: nothing to remove\./);
        assert.deepEqual(called(r, "kind delete"), []);
        assert.doesNotMatch(r.out, /deletes everything/);
    });

    it("without kind anywhere has nothing to remove and installs nothing", () => {
        const r = run(machine({ tools: ["docker", "go", "curl"], files: { "docker-running": "" } }), "down-dev.sh", ["--yes"]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /nothing to remove/);
        assert.deepEqual(called(r, "go"), []);
        assert.deepEqual(called(r, "curl"), []);
    });

    it("without Docker or Podman answering says so", () => {
        const r = run(machine({ tools: ["docker", "kind"] }), "down-dev.sh", ["--yes"]);
        assert.equal(r.status, 1);
        assert.match(r.out, /Neither Docker nor Podman answers/);
        assert.deepEqual(called(r, "kind"), []);
    });

    it("refuses an unknown argument with the usage", () => {
        const r = run(machine(withCluster), "down-dev.sh", ["--force"]);
        assert.equal(r.status, 2);
        assert.match(r.out, /down-dev\.sh: unknown argument --force\nRemoves the local kind cluster[^]*\n {2}scripts\/down-dev\.sh \[--yes\]/);
        assert.deepEqual(r.calls, []);
    });
});

describe("e2e-kind.sh", () => {
    it("refuses an unknown argument with the usage", () => {
        const r = run(machine({ tools: ALL }), "e2e-kind.sh", ["--fast"]);
        assert.equal(r.status, 2);
        assert.match(r.out, /e2e-kind\.sh: unknown argument --fast\nThe kind check: the only check of this project that starts real pods/);
        assert.deepEqual(r.calls, []);
    });

    it("without Docker or Podman says so before creating anything", () => {
        const m = machine({ tools: ["kind", "kubectl", "pulumi", "curl"] });
        const r = run(m, "e2e-kind.sh");
        assert.equal(r.status, 1);
        assert.match(
            r.out,
            /^The kind check needs Docker or Podman to create its cluster in, and neither answers\.\nInstall Docker .* or Podman and run this script again; it then creates a kind cluster named jupyterhub-e2e\./,
        );
        assert.deepEqual(called(r, "kind"), []);
        assert.deepEqual(fs.readdirSync(path.join(m.dir, "tmp")), []);
    });

    it("names what is missing among pulumi and curl", () => {
        const r = run(machine({ tools: ["docker", "kind", "kubectl"], files: { "docker-running": "" } }), "e2e-kind.sh");
        assert.equal(r.status, 1);
        assert.match(r.out, /e2e-kind\.sh needs pulumi curl on PATH/);
        assert.deepEqual(r.calls, []);
    });

    it("starts from a cluster of its own: one left by an earlier run is named, not reused or deleted", () => {
        const m = machine({ tools: ["docker", "kind", "kubectl", "pulumi", "curl"], files: { "docker-running": "", "kind-clusters": "jupyterhub-e2e\n" } });
        const r = run(m, "e2e-kind.sh");
        assert.equal(r.status, 1);
        assert.match(r.out, /A kind cluster named jupyterhub-e2e exists already .*remove it \(JHUB_KIND_CLUSTER=jupyterhub-e2e scripts\/down-dev\.sh\)/);
        assert.deepEqual(called(r, "kind delete"), []);
        assert.deepEqual(called(r, "kind create"), []);
        assert.deepEqual(fs.readdirSync(path.join(m.dir, "tmp")), []);
    });
});

/**
 * The hub as scripts/e2e-kind.sh meets it through the proxy, reduced to what the script relies on
 * (JupyterHub 5's behaviour, jupyterhub/_xsrf_utils.py): the login form's _xsrf field and cookie,
 * set on navigations only; a login cookie for demo's password; a new _xsrf cookie for the
 * logged-in session on /hub/home, wanted back in X-XSRFToken by a cookie-authenticated POST; a
 * token that starts and stops demo's server, whose pod the kubectl stand-in then finds.
 */
class StandInHub {
    readonly log: string[] = [];
    private running = false;
    private readonly server: http.Server;
    /** What the hub gets wrong on purpose: "outsider-logs-in". */
    fault?: "outsider-logs-in";

    constructor(
        private readonly passwords: Record<string, string>,
        private readonly standin: string,
    ) {
        this.server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (d: Buffer) => (body += d.toString()));
            req.on("end", () => this.answer(req, body, res));
        });
    }

    async start(): Promise<number> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        return (this.server.address() as AddressInfo).port;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    private answer(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
        const url = new URL(req.url ?? "/", "http://hub");
        const cookies = Object.fromEntries(
            (req.headers.cookie ?? "")
                .split(/;\s*/)
                .filter(Boolean)
                .map((c) => c.split("=", 2) as [string, string]),
        );
        const navigate = req.headers["sec-fetch-mode"] === "navigate";
        const token = req.headers.authorization === "token demo-token";
        const send = (status: number, headers: http.OutgoingHttpHeaders = {}, text = "") => {
            this.log.push(`${req.method} ${url.pathname} ${status}`);
            res.writeHead(status, headers).end(text);
        };
        const route = `${req.method} ${url.pathname}`;
        if (route === "GET /hub/health") return send(200);
        if (route === "GET /hub/login") {
            const headers = navigate ? { "set-cookie": "_xsrf=anonymous; Path=/hub/" } : {};
            return send(200, headers, '<form><input type="hidden" name="_xsrf" value="anonymous"/></form>');
        }
        if (route === "POST /hub/login") {
            const form = new URLSearchParams(body);
            const user = form.get("username") ?? "";
            if (form.get("_xsrf") !== "anonymous" || cookies._xsrf !== "anonymous") return send(403, {}, "xsrf");
            const admitted = user === "demo" || (user === "outsider" && this.fault === "outsider-logs-in");
            if (admitted && form.get("password") === this.passwords[user]) {
                return send(302, {
                    location: "/hub/home",
                    "set-cookie": [`jupyterhub-hub-login=${user}; Path=/hub/; HttpOnly`, "jupyterhub-session-id=s1; Path=/"],
                });
            }
            return send(403, {}, "Invalid username or password");
        }
        if (route === "GET /hub/home") {
            if (cookies["jupyterhub-hub-login"] !== "demo") return send(302, { location: "/hub/login" });
            return send(200, navigate ? { "set-cookie": "_xsrf=logged-in; Path=/hub/" } : {}, "home");
        }
        if (route === "POST /hub/api/users/demo/tokens") {
            if (cookies["jupyterhub-hub-login"] !== "demo" || req.headers["x-xsrftoken"] !== "logged-in" || cookies._xsrf !== "logged-in")
                return send(403, {}, '{"message": "xsrf"}');
            return send(
                201,
                { "content-type": "application/json" },
                JSON.stringify({ token: "demo-token", note: (JSON.parse(body) as { note?: string }).note }),
            );
        }
        if (!token) return send(403, {}, '{"message": "no token"}');
        if (route === "POST /hub/api/users/demo/server" || route === "DELETE /hub/api/users/demo/server") {
            this.running = req.method === "POST";
            if (this.running) fs.writeFileSync(path.join(this.standin, "pod-running"), "");
            else fs.rmSync(path.join(this.standin, "pod-running"), { force: true });
            return send(req.method === "POST" ? 202 : 204);
        }
        if (route === "GET /hub/api/users/demo")
            return send(200, {}, JSON.stringify({ name: "demo", server: this.running ? "/user/demo/" : null, pending: null }));
        if (route === "GET /user/demo/api/status") return this.running ? send(200, {}, '{"started": "now"}') : send(503);
        return send(404);
    }
}

const passwords = { demo: "demo-Pa55 &=+", outsider: "outsider-pw", teacher: "t", student: "s" };
/** A Docker laptop with the project beside the scripts, the real curl, and the users' passwords in the stack output. */
function e2eMachine(files: Record<string, string> = {}): Machine {
    const m = machine({
        tools: ["docker", "kind", "kubectl", "pulumi"],
        files: { "docker-running": "", "nfsd-loadable": "", "passwords.json": JSON.stringify(passwords), ...files },
    });
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "package.json", "package-lock.json", "tsconfig.json", "index.ts", "config.ts"])
        fs.copyFileSync(path.join(ROOT, f), path.join(m.root, f));
    for (const d of ["components", "lib", "policy"]) fs.cpSync(path.join(ROOT, d), path.join(m.root, d), { recursive: true });
    for (const tool of ["curl", "cmp"]) {
        const p = which(tool);
        assert.ok(p, `${tool} on this machine`);
        fs.symlinkSync(p, path.join(m.env.PATH!, tool));
    }
    return m;
}

describe("e2e-kind.sh through every step, with a stand-in hub and cluster", () => {
    it("runs the steps in order, each timed, reads back what it wrote and removes its cluster", async () => {
        const m = e2eMachine();
        const hub = new StandInHub(passwords, m.standin);
        const port = await hub.start();
        const r = await runAsync(m, "e2e-kind.sh", [], { JHUB_E2E_PORT: String(port) }).finally(() => hub.stop());
        assert.equal(r.status, 0, r.out);
        const steps = [...r.out.matchAll(/^<== (.*): (\d+)s$/gm)].map((x) => x[1]);
        assert.deepEqual(steps, [
            "up: kind cluster, pulumi up of dev, every pod Ready",
            `port-forward of the proxy to http://127.0.0.1:${port}`,
            "log in as demo through the proxy",
            "API token for demo from the login session",
            "start demo's server through the REST API until it answers",
            "write a file into demo's home and one into the shared volume",
            "stop demo's server",
            "pulumi destroy (the data stays)",
            "up again on the same cluster",
            "port-forward again (a new proxy pod)",
            "log in as demo again, with the password from before",
            "start demo's server again",
            "read both files back",
            "outsider is refused",
            "policy pack on the live stack",
        ]);
        assert.match(r.out, /---- step times\n( +\d+s {2}.+\n){15} +\d+s {2}in all\n/);
        assert.match(r.out, /kind-e2e: passed; the cluster jupyterhub-e2e is removed\./);
        // Its own cluster, created once and reused by the second up, then removed.
        assert.deepEqual(called(r, "kind create"), [`kind create cluster --name jupyterhub-e2e --image ${NODE_IMAGE} --wait 5m`]);
        assert.deepEqual(called(r, "kind export"), ["kind export kubeconfig --name jupyterhub-e2e"]);
        assert.deepEqual(called(r, "kind delete"), ["kind delete cluster --name jupyterhub-e2e"]);
        assert.deepEqual(called(r, "pulumi up"), ["pulumi up --stack dev --refresh --yes --skip-preview", "pulumi up --stack dev --yes --skip-preview"]);
        assert.deepEqual(called(r, "pulumi stack init"), ["pulumi stack init dev --non-interactive"]);
        assert.deepEqual(called(r, "pulumi stack select"), ["pulumi stack select dev --non-interactive"]);
        assert.deepEqual(called(r, "pulumi destroy"), ["pulumi destroy --stack dev --non-interactive --yes --skip-preview"]);
        assert.deepEqual(called(r, "pulumi preview"), [
            "pulumi preview --stack dev --non-interactive --policy-pack policy --policy-pack-config policy/config.dev.json",
        ]);
        // The hub saw demo log in twice, a token made with the session, the server started twice and stopped once; outsider refused.
        assert.deepEqual(
            hub.log.filter((l) => !l.startsWith("GET /hub/health") && !l.startsWith("GET /hub/login ")),
            [
                "POST /hub/login 302",
                "GET /hub/home 200",
                "POST /hub/api/users/demo/tokens 201",
                "POST /hub/api/users/demo/server 202",
                "GET /user/demo/api/status 200",
                "DELETE /hub/api/users/demo/server 204",
                "GET /hub/api/users/demo 200",
                "POST /hub/login 302",
                "POST /hub/api/users/demo/server 202",
                "GET /user/demo/api/status 200",
                "POST /hub/login 403",
            ],
        );
        const nonce = /wrote \/home\/jovyan\/kind-e2e-home\.txt and \/mnt\/shared\/kind-e2e-shared\.txt \(([0-9a-f]{16})\)/.exec(r.out)?.[1];
        assert.ok(nonce, r.out);
        assert.equal(fs.readFileSync(path.join(m.standin, "pod", "home", "kind-e2e-home.txt"), "utf8"), `home ${nonce}`);
        assert.equal(fs.readFileSync(path.join(m.standin, "pod", "shared", "kind-e2e-shared.txt"), "utf8"), `shared ${nonce}`);
        assert.match(r.out, new RegExp(`read back: 'home ${nonce}', 'shared ${nonce}'`));
        // Nothing of the run is left but what the user keeps: the work dir (state, kubeconfig, copy) is gone.
        assert.deepEqual(fs.readdirSync(path.join(m.dir, "tmp")), []);
        assert.doesNotMatch(r.out, new RegExp(passwords.outsider));
    });

    it("a failing step prints the diagnostics and the times so far, and keeps the cluster", async () => {
        const m = e2eMachine();
        const hub = new StandInHub(passwords, m.standin);
        hub.fault = "outsider-logs-in";
        const port = await hub.start();
        const r = await runAsync(m, "e2e-kind.sh", [], { JHUB_E2E_PORT: String(port) }).finally(() => hub.stop());
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /outsider was logged in but is not in the allowed group/);
        assert.match(r.out, /---- diagnostics \(the step that failed: outsider is refused\)/);
        assert.ok(r.calls.includes("kubectl get pods -A -o wide"), r.calls.join("\n"));
        assert.ok(r.calls.includes("kubectl -n jupyterhub-dev logs deploy/hub --all-containers --tail=150"), r.calls.join("\n"));
        assert.match(r.out, /---- step times\n( +\d+s {2}.+\n){13} {2}failed {2}outsider is refused\n/);
        assert.match(r.out, /kind-e2e: FAILED \(exit 1\)\. The cluster jupyterhub-e2e stays: KUBECONFIG=.*\/kubeconfig kubectl get pods -A/);
        assert.deepEqual(called(r, "kind delete"), []);
        assert.equal(fs.readdirSync(path.join(m.dir, "tmp")).length, 1, "the work dir stays, with the kubeconfig");
    });
});

describe("e2e-kind.sh fails where the platform does", () => {
    it("files that come back with other content after the destroy fail the read-back", async () => {
        const m = e2eMachine({ "destroy-swaps-data": "" });
        const hub = new StandInHub(passwords, m.standin);
        const port = await hub.start();
        const r = await runAsync(m, "e2e-kind.sh", [], { JHUB_E2E_PORT: String(port) }).finally(() => hub.stop());
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /\/home\/jovyan\/kind-e2e-home\.txt is 'other', not 'home [0-9a-f]{16}'/);
        assert.match(r.out, /---- diagnostics \(the step that failed: read both files back\)/);
        assert.match(r.out, /kind-e2e: FAILED/);
    });

    it("a policy violation on the live stack fails the last step", async () => {
        const m = e2eMachine({ "policy-violation": "" });
        const hub = new StandInHub(passwords, m.standin);
        const port = await hub.start();
        const r = await runAsync(m, "e2e-kind.sh", [], { JHUB_E2E_PORT: String(port) }).finally(() => hub.stop());
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /mandatory policy violation/);
        assert.match(r.out, /failed {2}policy pack on the live stack/);
    });
});

describe("shellcheck", () => {
    it("finds nothing in the kind scripts and the stand-ins", (t) => {
        if (!which("shellcheck")) {
            console.log("kind-scripts-shellcheck: SKIPPED — no shellcheck on this machine (apt-get install shellcheck)");
            t.skip("no shellcheck");
            return;
        }
        const r = spawnSync("shellcheck", ["-x", ...SCRIPTS, "test/support/kind-standins.sh"], { cwd: ROOT, encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });
});
