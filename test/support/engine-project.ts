// A copy of the program in a temp directory with a file backend, driven through the real `pulumi`
// CLI: shared by the engine suite, the reliability suite and the benchmark.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as YAML from "yaml";

import { ROOT, run as runCommand } from "./helpers";
import { assembleStandInChart } from "./standin-chart";

export interface RunOptions {
    stack?: string;
    /** Records the wall time under this label. */
    label?: string;
    input?: string;
    env?: NodeJS.ProcessEnv;
}

export class EngineProject {
    public readonly work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-engine-"));
    public readonly dir = path.join(this.work, "project");
    public readonly stateDir = path.join(this.work, "state");
    /** The real chart (JUPYTERHUB_CHART_DIR) or undefined for the stand-in. */
    public readonly realChart = process.env.JUPYTERHUB_CHART_DIR;
    public readonly chartDir: string;
    public readonly env: NodeJS.ProcessEnv;
    public readonly timings: Array<[string, number]> = [];

    /** `root`: the program to copy (default: this checkout; a release's worktree for upgrades, see useProgram). */
    constructor(
        public readonly defaultStack: string,
        private root = ROOT,
    ) {
        this.chartDir = this.realChart ?? assembleStandInChart(this.work);
        this.env = {
            ...process.env,
            JUPYTERHUB_CHART_DIR: this.chartDir,
            PULUMI_BACKEND_URL: `file://${this.stateDir}`,
            PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
        };
        fs.mkdirSync(this.dir, { recursive: true });
        fs.mkdirSync(this.stateDir, { recursive: true });
        this.useProgram(root);
    }

    /** Puts the program of `root` (a checkout) in the project, in place of the one there: the stacks and their state stay. */
    useProgram(root: string): void {
        this.root = root;
        for (const f of ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "config.ts"]) fs.copyFileSync(path.join(root, f), path.join(this.dir, f));
        for (const d of ["components", "lib"]) {
            fs.rmSync(path.join(this.dir, d), { recursive: true, force: true });
            if (fs.existsSync(path.join(root, d))) fs.cpSync(path.join(root, d), path.join(this.dir, d), { recursive: true });
        }
        fs.rmSync(path.join(this.dir, "node_modules"), { force: true });
        fs.symlinkSync(path.join(root, "node_modules"), path.join(this.dir, "node_modules"));
    }

    /** What the suite runs on, for its first line. */
    describe(): string {
        const version = this.run("pulumi", ["version"]).trim();
        return `Pulumi ${version}, chart ${this.realChart ? `z2jh at ${this.realChart}` : "stand-in (JUPYTERHUB_CHART_DIR unset)"}`;
    }

    run(cmd: string, args: string[], opts: RunOptions = {}): string {
        const t0 = Date.now();
        try {
            return runCommand(cmd, args, { cwd: this.dir, env: { ...this.env, ...opts.env }, ...(opts.input === undefined ? {} : { input: opts.input }) });
        } finally {
            if (opts.label) this.timings.push([opts.label, (Date.now() - t0) / 1000]);
        }
    }

    pulumi(args: string[], opts: RunOptions = {}): string {
        return this.run("pulumi", [...args, "--stack", opts.stack ?? this.defaultStack, "--non-interactive"], opts);
    }

    /** A pulumi command that must fail; returns its output. */
    pulumiFails(args: string[], opts: RunOptions = {}): string {
        try {
            this.pulumi(args, opts);
        } catch (e) {
            return String((e as Error).message);
        }
        assert.fail(`pulumi ${args.join(" ")} succeeded on stack ${opts.stack ?? this.defaultStack}`);
    }

    kubectl(args: string[], input?: string): string {
        return this.run("kubectl", args, input === undefined ? {} : { input });
    }

    /** Whether the object exists; no namespace for cluster-scoped kinds. */
    exists(kind: string, name: string, namespace?: string): boolean {
        try {
            this.kubectl(["get", kind, name, ...(namespace ? ["-n", namespace] : []), "-o", "name"]);
            return true;
        } catch {
            return false;
        }
    }

    /**
     * The CSIDriver of a csi-driver-nfs the cluster runs itself, for a stack with
     * nfs.installCsiDriver false (the preflight looks for it); returns the function that removes
     * it, which the suite calls when done (a stack that installs the driver refuses a foreign one).
     */
    clusterCsiDriver(): () => void {
        const driver = { apiVersion: "storage.k8s.io/v1", kind: "CSIDriver", metadata: { name: "nfs.csi.k8s.io" }, spec: { attachRequired: false } };
        this.kubectl(["apply", "-f", "-"], JSON.stringify(driver));
        return () => this.kubectl(["delete", "csidriver", "nfs.csi.k8s.io", "--ignore-not-found"]);
    }

    /**
     * A home as KubeSpawner asks for it (claim-<user>) and csi-driver-nfs provisions it (PV
     * pvc-<user> on the stack's NFS server, Retain): unknown to Pulumi. Returns when it is bound.
     */
    makeHome(namespace: string, user: string, serverNamespace = `${namespace}-storage`, storageClassName = "jupyterhub-home"): void {
        const server = this.kubectl(["get", "service", "nfs-server", "-n", serverNamespace, "-o", "jsonpath={.spec.clusterIP}"]);
        const [claim, volume, dir] = [`claim-${user}`, `pvc-${user}`, `${namespace}-claim-${user}`];
        const items = [
            {
                apiVersion: "v1",
                kind: "PersistentVolume",
                metadata: { name: volume, annotations: { "pv.kubernetes.io/provisioned-by": "nfs.csi.k8s.io" } },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    capacity: { storage: "1Gi" },
                    storageClassName,
                    persistentVolumeReclaimPolicy: "Retain",
                    claimRef: { namespace, name: claim },
                    csi: { driver: "nfs.csi.k8s.io", volumeHandle: `${server}##${dir}##`, volumeAttributes: { server, share: "/", subDir: dir } },
                },
            },
            {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: claim, namespace, annotations: { "hub.jupyter.org/username": user }, labels: { component: "singleuser-storage" } },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName, volumeName: volume, resources: { requests: { storage: "1Gi" } } },
            },
        ];
        this.kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
        waitFor(() => this.kubectl(["get", "pvc", claim, "-n", namespace, "-o", "jsonpath={.status.phase}"]) === "Bound", `${claim} bound`);
    }

    /**
     * The volume a default StorageClass's provisioner would give the NFS server's claim
     * (nfs-server-data in `namespace`): bound to it, reclaim policy Delete. Returns when bound.
     */
    provisionServerDisk(name: string, namespace: string, storageClassName = ""): void {
        const volume = {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name },
            spec: {
                capacity: { storage: "20Gi" },
                accessModes: ["ReadWriteOnce"],
                persistentVolumeReclaimPolicy: "Delete",
                storageClassName,
                hostPath: { path: `/var/lib/${name}` },
                claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace, name: "nfs-server-data" },
            },
        };
        this.kubectl(["apply", "-f", "-"], JSON.stringify(volume));
        const phase = () => this.kubectl(["get", "pvc", "nfs-server-data", "-n", namespace, "-o", "jsonpath={.status.phase}"]);
        waitFor(() => phase() === "Bound", `nfs-server-data in ${namespace} bound`);
    }

    /** A stack with the dev stack's config, skipAwait on, and the given changes. */
    initStack(stack: string, config: Record<string, unknown>): void {
        this.run("pulumi", ["stack", "init", stack, "--non-interactive"]);
        this.writeStackConfig(stack, config);
    }

    writeStackConfig(stack: string, config: Record<string, unknown>): void {
        const file = path.join(this.dir, `Pulumi.${stack}.yaml`);
        const stackFile = (YAML.parse(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "") ?? {}) as Record<string, unknown>;
        stackFile.config = { ...this.devConfig(), "jupyterhub:skipAwait": true, ...config };
        fs.writeFileSync(file, YAML.stringify(stackFile));
    }

    /** The dev stack's config (Pulumi.dev.yaml), keys with their namespace. */
    devConfig(): Record<string, unknown> {
        return (YAML.parse(fs.readFileSync(path.join(this.root, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
    }

    /** The stack's resources in the state. */
    resources(stack = this.defaultStack, showSecrets = false): StateResource[] {
        const state = JSON.parse(this.pulumi(["stack", "export", ...(showSecrets ? ["--show-secrets"] : [])], { stack })) as {
            deployment: { resources?: StateResource[]; pending_operations?: unknown[] };
        };
        return state.deployment.resources ?? [];
    }

    remove(): void {
        fs.rmSync(this.work, { recursive: true, force: true });
    }

    printTimings(prefix: string): void {
        for (const [step, s] of this.timings) console.log(`${prefix} timing ${step.replace(/ /g, "-")} ${s.toFixed(1)}s`);
    }
}

/** Polls `ok` every second until it holds; fails the test after `seconds`. */
export function waitFor(ok: () => boolean, what: string, seconds = 120): void {
    const deadline = Date.now() + seconds * 1000;
    while (!ok()) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        execFileSync("sleep", ["1"]);
    }
}

export interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

/** The Kubernetes objects of a state, as Kind/namespace/name. */
export function kubernetesObjects(resources: StateResource[]): string[] {
    return resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"))
        .map((r) => {
            const md = (r.outputs?.metadata ?? {}) as { name?: string; namespace?: string };
            return `${r.type.split(":").pop()}/${md.namespace ?? ""}/${md.name ?? "?"}`;
        })
        .sort();
}
