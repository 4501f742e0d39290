// `npm run bench` (.ci/bench.sh): the dev stack through the real engine, measured against the floor
// of the same objects applied to the same API server without Pulumi, and the chart against Helm.
//
// Each round: `pulumi up` from empty, a no-op `pulumi preview` and `pulumi up`, `pulumi destroy`
// (dataPolicy delete, so that the next round starts from empty); then the very objects Pulumi
// applied (their inputs in the state: the program's and the chart's rendered ones) with
// `kubectl apply --server-side`, again as a no-op, and `kubectl delete`; then the chart with the
// same values by `helm upgrade --install`, again as a no-op, and `helm uninstall`. Waiting is the
// same on both sides: the stack sets skipAwait (pods never run here), `kubectl delete` does not
// wait either, and the namespace's end is awaited outside the timings.
import * as fs from "node:fs";
import * as path from "node:path";

import { specialSecretSig as SECRET_SIG, specialSigKey as SIG } from "@pulumi/pulumi/runtime/rpc";
import * as YAML from "yaml";

import { EngineProject, StateResource, waitFor } from "../support/engine-project";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NS = "jhub-bench";
const HELM_NS = "jhub-bench-helm";
const project = new EngineProject("bench");
const samples: Record<string, number[]> = {};

function timed<T>(name: string, fn: () => T): T {
    const t0 = process.hrtime.bigint();
    const out = fn();
    (samples[name] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e9);
    return out;
}

const waitGone = (kind: string, name: string) => waitFor(() => !project.exists(kind, name), `${kind} ${name} gone`, 150);

/** `pulumi stack export --show-secrets` keeps secrets wrapped, with their plaintext as JSON: unwrapped. */
function unwrapSecrets(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (typeof v !== "object" || v === null) return v;
    const o = v as Record<string, unknown>;
    if (o[SIG] === SECRET_SIG && typeof o.plaintext === "string") return unwrapSecrets(JSON.parse(o.plaintext));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
}

/** What Pulumi applied: every Kubernetes object's inputs, namespaces first. */
function appliedObjects(resources: StateResource[]): Array<Record<string, unknown>> {
    const objects = resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"))
        .map((r) => unwrapSecrets(r.inputs) as Record<string, unknown>);
    return [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
}

/** The chart values as z2jh received them: its Secret's values.yaml, less what it adds itself. */
function chartValues(): unknown {
    const data = JSON.parse(project.kubectl(["get", "secret", "hub", "-n", NS, "-o", "jsonpath={.data}"])) as Record<string, string>;
    const values = YAML.parse(Buffer.from(data["values.yaml"], "base64").toString("utf8")) as Record<string, unknown>;
    delete values.Chart;
    delete values.Release;
    return values;
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main(): void {
    console.log(`bench: ${project.describe()}, ${ROUNDS} rounds`);
    project.initStack("bench", { "jupyterhub:namespace": NS, "jupyterhub:dataPolicy": "delete" });
    const objectsFile = path.join(project.work, "objects.json");
    const valuesFile = path.join(project.work, "values.json");
    let objectCount = 0;
    for (let round = 1; round <= ROUNDS; round++) {
        timed("pulumi up", () => project.pulumi(["up", "--yes", "--skip-preview"]));
        timed("pulumi no-op preview", () => project.pulumi(["preview", "--expect-no-changes"]));
        timed("pulumi no-op up", () => project.pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"]));
        if (round === 1) {
            const resources = project.resources("bench", true);
            const objects = appliedObjects(resources);
            objectCount = objects.length;
            fs.writeFileSync(objectsFile, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
            fs.writeFileSync(valuesFile, JSON.stringify(chartValues()));
        }
        timed("pulumi destroy", () => project.pulumi(["destroy", "--yes", "--skip-preview"]));
        waitGone("namespace", NS);

        const apply = ["apply", "--server-side", "--field-manager=bench", "-f", objectsFile];
        timed("kubectl apply", () => project.kubectl(apply));
        timed("kubectl no-op apply", () => project.kubectl(apply));
        timed("kubectl delete", () => project.kubectl(["delete", "--wait=false", "-f", objectsFile]));
        waitGone("namespace", NS);

        const helm = ["upgrade", "--install", HELM_NS, project.chartDir, "--namespace", HELM_NS, "--create-namespace", "-f", valuesFile];
        timed("helm install", () => project.run("helm", helm));
        timed("helm no-op upgrade", () => project.run("helm", helm));
        timed("helm uninstall", () => project.run("helm", ["uninstall", HELM_NS, "--namespace", HELM_NS]));
        project.kubectl(["delete", "namespace", HELM_NS, "--wait=false"]);
        waitGone("namespace", HELM_NS);
        console.log(`bench: round ${round} done`);
    }

    console.log(`bench: ${objectCount} Kubernetes objects (program and chart), times in seconds`);
    for (const [name, xs] of Object.entries(samples)) {
        console.log(`${name.padEnd(22)} min ${Math.min(...xs).toFixed(2)}  median ${median(xs).toFixed(2)}  (${xs.map((x) => x.toFixed(2)).join(", ")})`);
    }
    const ratio = (name: string, a: string, b: string) => console.log(`${name} ratio ${(median(samples[a]) / median(samples[b])).toFixed(2)}`);
    ratio("up", "pulumi up", "kubectl apply");
    ratio("noop-preview", "pulumi no-op preview", "kubectl no-op apply");
    ratio("noop-up", "pulumi no-op up", "kubectl no-op apply");
    ratio("destroy", "pulumi destroy", "kubectl delete");
    ratio("up-vs-helm-install", "pulumi up", "helm install");
    ratio("noop-preview-vs-helm-upgrade", "pulumi no-op preview", "helm no-op upgrade");
    ratio("destroy-vs-helm-uninstall", "pulumi destroy", "helm uninstall");
}

try {
    main();
} finally {
    project.remove();
}
