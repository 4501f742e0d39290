// Shared by the test/apiserver/*.test.ts files: the program's Kubernetes objects against a real kube-apiserver, and its chart values through
// real Helm — without the Pulumi engine.
//
// Why not the engine: the Pulumi CLI, its Node.js language host and the kubernetes/random/tls
// provider plugins cannot be built here (the Go module proxy refuses github.com/pulumi/pulumi/pkg/v3
// and every provider module with "403 This module version is not available"; get.pulumi.com is
// unreachable). So this test takes the objects exactly as the program registers them under
// pulumi.runtime.setMocks (generated secrets are the mocks' stand-in values) and applies them with
// `kubectl apply --server-side` to the local control plane (.ci/cluster.sh): the API server's
// schema validation, defaulting and admission check every field. The chart values go through a
// real `helm template` of the stand-in chart (the real chart's values.schema.json and defaults
// plus the project's minimal template), so Helm itself validates them.
// NOT covered: the engine's diffing, state, awaits, retainOnDelete on destroy, secrets in state.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { assembleStandInChart, STANDIN_OBJECTS } from "./standin-chart";
import { run } from "./helpers";
import { ProgramRun, reveal, runProgram } from "./program";

export const kubectl = (args: string[], input?: string) => run("kubectl", args, input === undefined ? {} : { input });
const kindName = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`;

export interface StackUnderTest {
    stack: string;
    /** Namespace of its own, so the suites never share objects. */
    namespace: string;
    overrides?: Record<string, unknown>;
    secrets?: Record<string, string>;
    /** Every Kubernetes object the program registers outside the chart, as Kind/name. */
    expected: string[];
}

/** Applies one stack's objects and chart values to the API server named by KUBECONFIG. */
export function apiServerSuite(s: StackUnderTest): void {
    const NS = s.namespace;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-apiserver-"));
    let program: ProgramRun;
    let objects: Array<Record<string, unknown>> = [];

    before(async () => {
        if (!process.env.KUBECONFIG) throw new Error("KUBECONFIG is not set: run this through `npm run test:apiserver` (.ci/apiserver.sh)");
        program = await runProgram(s.stack, { "jupyterhub:namespace": NS, ...(s.overrides ?? {}) }, s.secrets ?? {});
        objects = program.resources
            .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"))
            .map((r) => reveal(r.inputs) as Record<string, unknown>);
    });

    after(() => {
        try {
            kubectl(["delete", "namespace", NS, "--ignore-not-found", "--wait=false"]);
            for (const o of objects.filter((x) => !(x.metadata as { namespace?: string }).namespace && x.kind !== "Namespace")) {
                kubectl(["delete", String(o.kind), (o.metadata as { name: string }).name, "--ignore-not-found", "--wait=false"]);
            }
        } catch (e) {
            console.error(String(e));
        }
        fs.rmSync(work, { recursive: true, force: true });
    });

    describe(`real kube-apiserver: the ${s.stack} stack's objects (namespace ${NS})`, () => {
        it("the program registers exactly the expected objects (besides the chart's)", () => {
            const names = objects.map(kindName).map((n) => n.replace(/^Job\/openldap-sync-[0-9a-f]{16}$/, "Job/openldap-sync-<tree hash>"));
            assert.deepEqual(names.sort(), [...s.expected].sort());
        });

        it("the API server rejects an invalid object (the check has teeth)", () => {
            const bad = { apiVersion: "v1", kind: "Service", metadata: { name: "bad", namespace: "default" }, spec: { type: "Bogus", ports: [{ port: 80 }] } };
            assert.throws(() => kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], JSON.stringify(bad)), /Unsupported value: "Bogus"/);
        });

        it("every object is accepted by kube-apiserver (server-side apply)", () => {
            const ordered = [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
            const out = kubectl(
                ["apply", "--server-side", "--field-manager=jhub-apiserver-test", "-f", "-"],
                JSON.stringify({ apiVersion: "v1", kind: "List", items: ordered }),
            );
            const applied = out.split("\n").filter((l) => / serverside-applied$/.test(l));
            assert.equal(applied.length, objects.length, out);
        });

        it("every object reads back from the API server with the program's labels", () => {
            for (const o of objects) {
                const md = o.metadata as { name: string; namespace?: string; labels?: Record<string, string> };
                const got = JSON.parse(kubectl(["get", String(o.kind), md.name, ...(md.namespace ? ["-n", md.namespace] : []), "-o", "json"])) as {
                    metadata: { labels?: Record<string, string> };
                };
                // The server may add labels of its own (kubernetes.io/metadata.name); ours must all be there.
                for (const [k, v] of Object.entries(md.labels ?? {})) assert.equal(got.metadata.labels?.[k], v, `${kindName(o)} label ${k}`);
            }
        });

        const realChart = process.env.JUPYTERHUB_CHART_DIR;
        it(`Helm renders the ${realChart ? `z2jh chart at ${realChart}` : "stand-in chart (JUPYTERHUB_CHART_DIR unset)"} with the program's values and the API server accepts every object`, () => {
            const chart = realChart ?? assembleStandInChart(work);
            const values = (reveal(program.byName("jupyterhub").inputs) as { values: unknown }).values;
            const file = path.join(work, "values.json");
            fs.writeFileSync(file, JSON.stringify(values));
            const rendered = run("helm", ["template", NS, chart, "--namespace", NS, "--kube-version", "1.37.2", "-f", file]);
            const documents = rendered.split(/^---$/m).filter((d) => /^kind:/m.test(d)).length;
            const out = kubectl(["apply", "--server-side", "--field-manager=jhub-apiserver-test", "-n", NS, "-f", "-"], rendered);
            assert.equal(out.split("\n").filter((l) => / serverside-applied$/.test(l)).length, documents, out);
            if (!realChart)
                for (const o of STANDIN_OBJECTS)
                    assert.match(out, new RegExp(`${o.split("/")[0].toLowerCase()}[a-z.]*/${o.split("/")[1]} serverside-applied`), out);
        });

        it("Helm refuses values the chart's schema rejects", () => {
            const chart = assembleStandInChart(path.join(work, "again"));
            const file = path.join(work, "bad-values.json");
            fs.writeFileSync(file, JSON.stringify({ hub: { publicURL: "https://x" }, proxy: { secretToken: "x" } }));
            assert.throws(() => run("helm", ["template", "jupyterhub", chart, "-f", file]), /publicURL/);
        });
    });
}
