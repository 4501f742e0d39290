// The real Pulumi engine against a real Kubernetes API server: preview, up, no-op preview,
// a one-value change, secrets in the state, destroy with data retained.
//
// Run by .ci/e2e.sh, which builds the toolchain (Pulumi CLI, language host, provider plugins,
// kube-apiserver & co. from Go modules), starts the local control plane and sets KUBECONFIG and
// PATH. Everything is the real program except the JupyterHub chart, a stand-in assembled from the
// real chart's data (see standin-chart.ts). The cluster has no kubelets: kwok marks pods running,
// but PVCs are never bound and Jobs never finish, so the stack sets `skipAwait: true` (a stack
// transform adds pulumi.com/skipAwait to every Kubernetes object): readiness waits are NOT tested.
import * as assert from "node:assert/strict";
import { execFileSync, ExecFileSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import * as YAML from "yaml";

import { ROOT, run as runCommand } from "../helpers";
import { CLUSTER_SCOPED_KINDS, devStackObjects } from "../dev-objects";
import { assembleStandInChart, STANDIN_OBJECTS } from "./standin-chart";

const NS = "jhub-e2e";
const STACK = "e2e";
const timings: Record<string, number> = {};

const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-e2e-"));
const project = path.join(work, "project");
const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
};

/** A command in the temp project, with the test's Pulumi environment. */
function run(cmd: string, args: string[], opts: ExecFileSyncOptions = {}): string {
    return runCommand(cmd, args, { cwd: project, env, ...opts });
}

function pulumi(args: string[], label?: string): string {
    const t0 = Date.now();
    const out = run("pulumi", [...args, "--stack", STACK, "--non-interactive"]);
    if (label) timings[label] = (Date.now() - t0) / 1000;
    return out;
}

function kubectl(args: string[]): string {
    return run("kubectl", args);
}

/** kind/name → exists in the API server? */
function exists(kind: string, name: string, namespaced = true): boolean {
    try {
        kubectl(["get", kind, name, ...(namespaced ? ["-n", NS] : []), "-o", "name"]);
        return true;
    } catch {
        return false;
    }
}

/** Every object the dev stack creates in the cluster (the stand-in's four included); the sync Job is checked apart. */
const kindOf = (o: string) => o.split("/")[0];
const NAMESPACED = [...devStackObjects(NS).filter((o) => !CLUSTER_SCOPED_KINDS.includes(kindOf(o)) && kindOf(o) !== "Job"), ...STANDIN_OBJECTS];
const CLUSTER_SCOPED = devStackObjects(NS).filter((o) => CLUSTER_SCOPED_KINDS.includes(kindOf(o)));
/** What `pulumi destroy` must leave (dataPolicy retain). */
const RETAINED = [
    "PersistentVolumeClaim/nfs-server-data",
    "PersistentVolumeClaim/jupyterhub-shared",
    "PersistentVolumeClaim/openldap-data",
    "PersistentVolumeClaim/mysql-data",
];

interface PreviewStep {
    op: string;
    urn: string;
    newState?: { type: string; inputs?: Record<string, unknown> };
    oldState?: { type: string };
    detailedDiff?: Record<string, unknown>;
    diffReasons?: string[];
}

function previewSteps(extra: string[] = []): PreviewStep[] {
    const out = pulumi(["preview", "--json", ...extra]);
    return (JSON.parse(out) as { steps: PreviewStep[] }).steps;
}

/** "Kind/name" of a step, from its URN's type and the object's metadata.name when known. */
function stepObject(s: PreviewStep): string {
    const type = (s.newState ?? s.oldState)!.type;
    const kind = type.split(":").pop()!;
    const md = (s.newState?.inputs?.metadata ?? {}) as { name?: string };
    return `${kind}/${md.name ?? s.urn.split("::").pop()}`;
}

before(() => {
    fs.mkdirSync(project, { recursive: true });
    for (const f of ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "config.ts"]) fs.copyFileSync(path.join(ROOT, f), path.join(project, f));
    fs.cpSync(path.join(ROOT, "components"), path.join(project, "components"), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"));
    const chartPath = assembleStandInChart(work);

    run("pulumi", ["stack", "init", STACK, "--non-interactive"]);
    const file = path.join(project, `Pulumi.${STACK}.yaml`);
    const stackFile = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    const dev = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    stackFile.config = {
        ...dev.config,
        "jupyterhub:namespace": NS,
        "jupyterhub:skipAwait": true,
        "jupyterhub:hub": { ...(dev.config["jupyterhub:hub"] as object), chartPath },
    };
    fs.writeFileSync(file, YAML.stringify(stackFile));
});

after(() => {
    // Leave the cluster clean for the next run: the retained objects are deleted by hand here,
    // as the README tells users to do it deliberately.
    try {
        kubectl(["delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=120s"]);
        kubectl(["delete", "pv", `${NS}-shared`, "--ignore-not-found", "--wait=false"]);
    } catch (e) {
        console.error(String(e));
    }
    console.log(`e2e wall times (s): ${JSON.stringify(timings)}`);
    fs.rmSync(work, { recursive: true, force: true });
});

describe("real engine: the dev stack against a real API server", () => {
    it("1. preview succeeds and lists every expected object", () => {
        const t0 = Date.now();
        const steps = previewSteps();
        timings.preview = (Date.now() - t0) / 1000;
        const creates = new Set(steps.filter((s) => s.op === "create").map(stepObject));
        const missing = [...NAMESPACED, ...CLUSTER_SCOPED].filter((o) => !creates.has(o));
        assert.deepEqual(missing, [], `preview does not create: ${missing.join(", ")}`);
        assert.ok(creates.has("Chart/jupyterhub"));
        assert.ok([...creates].some((o) => o.startsWith("Job/openldap-sync-")));
    });

    it("2. up succeeds and every object exists in the API server", () => {
        pulumi(["up", "--yes", "--skip-preview"], "up");
        const missing = NAMESPACED.filter((o) => !exists(o.split("/")[0], o.split("/")[1]));
        missing.push(...CLUSTER_SCOPED.filter((o) => !exists(o.split("/")[0], o.split("/")[1], false)));
        assert.deepEqual(missing, []);
        const jobs = kubectl(["get", "jobs", "-n", NS, "-o", "name"]);
        assert.match(jobs, /job\.batch\/openldap-sync-[0-9a-f]{16}/);
    });

    it("3. preview --expect-no-changes passes right after (no drift from secrets or values)", () => {
        const t0 = Date.now();
        pulumi(["preview", "--expect-no-changes"]);
        timings["no-op preview"] = (Date.now() - t0) / 1000;
        pulumi(["up", "--yes", "--expect-no-changes", "--skip-preview"], "no-op up");
    });

    it("4. changing the singleuser memory limit previews exactly that change, inside the chart only", () => {
        const file = path.join(project, `Pulumi.${STACK}.yaml`);
        const before = fs.readFileSync(file, "utf8");
        pulumi(["config", "set", "--path", "singleuser.memoryLimit", "2G"]);
        try {
            const changed = previewSteps(["--diff"]).filter((s) => s.op !== "same");
            const objects = changed.map(stepObject).sort();
            assert.ok(
                changed.every((s) => s.op === "update"),
                changed.map((s) => `${s.op} ${stepObject(s)}`).join(", "),
            );
            // The values reach the hub through its Secret; the Deployment rolls via its checksum.
            assert.deepEqual(objects, ["Chart/jupyterhub", "Deployment/hub", "Secret/hub"]);
        } finally {
            fs.writeFileSync(file, before);
        }
        pulumi(["preview", "--expect-no-changes"]);
    });

    it("5. the state and the stack outputs hold no generated secret in plain text", () => {
        const secrets: Record<string, string> = {};
        const decode = (name: string) => {
            const s = JSON.parse(kubectl(["get", "secret", name, "-n", NS, "-o", "json"])) as { data: Record<string, string> };
            return Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
        };
        const mysql = decode("mysql-credentials");
        secrets["mysql root password"] = mysql["root-password"];
        secrets["mysql hub password"] = mysql["hub-password"];
        secrets["ldap admin password"] = decode("openldap-bootstrap")["admin-password"];
        secrets["ldap server key"] = decode("openldap-tls")["tls.key"];
        const hub = decode("hub");
        const values = YAML.parse(hub["values.yaml"]) as {
            proxy: { secretToken: string };
            hub: { cookieSecret: string; config: { CryptKeeper: { keys: string[] } } };
        };
        secrets["proxy secretToken"] = values.proxy.secretToken;
        secrets["hub cookieSecret"] = values.hub.cookieSecret;
        secrets["CryptKeeper key"] = values.hub.config.CryptKeeper.keys[0];
        const passwords = JSON.parse(pulumi(["stack", "output", "ldapUserPasswords", "--show-secrets", "--json"])) as Record<string, string>;
        for (const [uid, pw] of Object.entries(passwords)) secrets[`ldap user ${uid}`] = pw;

        for (const [what, value] of Object.entries(secrets)) assert.ok(typeof value === "string" && value.length >= 16, `${what} was not found`);
        const state = pulumi(["stack", "export"]);
        const outputs = pulumi(["stack", "output", "--json"]);
        const leaks = Object.entries(secrets)
            .filter(([, v]) => state.includes(v) || outputs.includes(v) || state.includes(JSON.stringify(v).slice(1, -1)))
            .map(([k]) => k);
        assert.deepEqual(leaks, [], `in plain text in the state or outputs: ${leaks.join(", ")}`);
        assert.match(outputs, /"ldapUserPasswords": "\[secret\]"/);
    });

    it("6. destroy removes what the program created and keeps the data", () => {
        // A home volume as KubeSpawner creates it: unknown to Pulumi, on the program's class.
        const claim = {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: "claim-demo", namespace: NS, annotations: { "hub.jupyter.org/username": "demo" }, labels: { component: "singleuser-storage" } },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: "jupyterhub-home", resources: { requests: { storage: "1Gi" } } },
        };
        run("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(claim) });
        pulumi(["destroy", "--yes", "--skip-preview"], "destroy");

        const kept = [...RETAINED, "PersistentVolumeClaim/claim-demo"].filter((o) => exists(o.split("/")[0], o.split("/")[1]));
        assert.deepEqual(kept.sort(), [...RETAINED, "PersistentVolumeClaim/claim-demo"].sort());
        assert.ok(exists("Namespace", NS, false), "the namespace is retained");
        assert.ok(exists("PersistentVolume", `${NS}-shared`, false), "the shared PV is retained with its claim");
        const gone = NAMESPACED.filter((o) => !RETAINED.includes(o));
        const left = gone.filter((o) => exists(o.split("/")[0], o.split("/")[1]));
        left.push(
            ...CLUSTER_SCOPED.filter(
                (o) => !["Namespace/jhub-e2e", "PersistentVolume/jhub-e2e-shared"].includes(o) && exists(o.split("/")[0], o.split("/")[1], false),
            ),
        );
        assert.deepEqual(left, [], `still in the cluster after destroy: ${left.join(", ")}`);
        const resources = JSON.parse(pulumi(["stack", "export"])) as { deployment: { resources?: unknown[] } };
        assert.equal(resources.deployment.resources?.length ?? 0, 0, "the state is empty");
    });

    it("7. up again after destroy adopts the retained namespace and volumes, same objects", () => {
        const uid = (kind: string, name: string) => kubectl(["get", kind, name, "-n", NS, "-o", "jsonpath={.metadata.uid}"]);
        const before = RETAINED.map((o) => uid(o.split("/")[0], o.split("/")[1]));
        pulumi(["up", "--yes", "--skip-preview"], "up over retained data");
        assert.deepEqual(
            RETAINED.map((o) => uid(o.split("/")[0], o.split("/")[1])),
            before,
            "retained claims must be the same objects, not new ones",
        );
        pulumi(["preview", "--expect-no-changes"]);
    });

    it("8. with dataPolicy delete chosen deliberately, destroy removes the data too", () => {
        pulumi(["config", "set", "dataPolicy", "delete"]);
        pulumi(["config", "set", "--path", "nfs.onDelete", "delete"]);
        pulumi(["up", "--yes", "--skip-preview"], "up with dataPolicy delete");
        pulumi(["destroy", "--yes", "--skip-preview"], "destroy with dataPolicy delete");
        for (const o of RETAINED) assert.equal(exists(o.split("/")[0], o.split("/")[1]), false, `${o} should be deleted`);
        // claim-demo was never Pulumi's: it goes with the namespace.
        const deadline = Date.now() + 120_000;
        while (exists("Namespace", NS, false) && Date.now() < deadline) execFileSync("sleep", ["2"]);
        assert.equal(exists("Namespace", NS, false), false, "the namespace is deleted");
    });
});
