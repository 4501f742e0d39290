// The chart upgrade rehearsal, through the real engine and both real charts: a dev stack on the
// previous z2jh chart (JUPYTERHUB_PREVIOUS_CHART_DIR, 4.3.5) moved to the pinned one
// (JUPYTERHUB_CHART_DIR, 4.4.0) by changing `hub.chartVersion`. The preview lists the chart's
// objects that change and replaces no claim; the engine's events show the pre-upgrade dump Job's
// step done before the hub Deployment's update begins; the hub database's claim is the same after.
// Then moving `hub.chartVersion` back is refused before anything changes, with one line naming it,
// and allowed by `hub.allowDowngradeFrom` naming the running version.
//
// What the events show here is the engine's order: the hub Deployment waits for the Job's step.
// On a real cluster that step ends when the Job has completed (pulumi-kubernetes awaits a Job's
// completion); here pods never run, skipAwait ends it once the Job exists.
//
// Run by .ci/e2e.sh when both charts are present (else its SKIPPED line), on the engine suites'
// private control plane.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import * as YAML from "yaml";

import { EngineProject } from "../support/engine-project";
import { run } from "../support/helpers";
import { changedSteps, fromChart, objectOf as objectKindName, type PreviewStep } from "../support/preview";

const NS = "jhub-chart-upgrade";
const STACK = "chart-upgrade";
const HOME_CLASS = "jupyterhub-home-chart-upgrade";
const PREVIOUS_DIR = process.env.JUPYTERHUB_PREVIOUS_CHART_DIR ?? "";
const chartVersion = (dir: string) => (YAML.parse(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as { version: string }).version;

let project: EngineProject;
let previous = "";
let current = "";

const objectOf = (s: PreviewStep) => objectKindName(s).join(" ");

/** The stack's config with the hub's chart fields changed. */
function setHub(fields: Record<string, string>): void {
    const hub = { ...(project.devConfig()["jupyterhub:hub"] as object), ...fields };
    project.writeStackConfig(STACK, { "jupyterhub:namespace": NS, "jupyterhub:nfs": nfs(), "jupyterhub:hub": hub });
}
const nfs = () => ({ ...(project.devConfig()["jupyterhub:nfs"] as object), homeStorageClass: HOME_CLASS });
const withChart = (dir: string) => ({ env: { JUPYTERHUB_CHART_DIR: dir } });
const jsonpath = (kind: string, name: string, expr: string) => project.kubectl(["get", kind, name, "-n", NS, "-o", `jsonpath=${expr}`]);

before(() => {
    assert.ok(
        PREVIOUS_DIR && fs.existsSync(path.join(PREVIOUS_DIR, "Chart.yaml")),
        "JUPYTERHUB_PREVIOUS_CHART_DIR names a chart (.ci/e2e.sh skips this file otherwise)",
    );
    project = new EngineProject(STACK);
    assert.ok(project.realChart, "the real chart at JUPYTERHUB_CHART_DIR");
    previous = chartVersion(PREVIOUS_DIR);
    current = chartVersion(project.chartDir);
    console.log(`chart upgrade: ${project.describe()}, from z2jh ${previous} at ${PREVIOUS_DIR}`);
    project.run("pulumi", ["stack", "init", STACK, "--non-interactive"]);
    setHub({ chartVersion: previous });
});

after(() => {
    project?.printTimings("chart-upgrade");
    try {
        project?.pulumi(["destroy", "--yes", "--skip-preview"], { label: "cleanup destroy" });
    } catch (e) {
        console.error(String(e));
    }
    for (const ns of [NS, `${NS}-storage`]) run("kubectl", ["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    run("kubectl", ["delete", "pv", `${NS}-shared`, `${NS}-group-shares`, "--ignore-not-found", "--wait=false"]);
    project?.remove();
});

describe("real engine: the chart upgrade rehearsal", () => {
    let dbClaim = "";
    let claims = "";
    const allClaims = () =>
        project.kubectl(["get", "pvc", "-A", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.metadata.uid} {end}"]);

    it("1. the dev stack deploys on the previous chart", () => {
        project.pulumi(["up", "--yes", "--skip-preview"], { label: `up (z2jh ${previous})`, ...withChart(PREVIOUS_DIR) });
        assert.equal(jsonpath("deployment", "hub", "{.metadata.labels.chart}"), `jupyterhub-${previous}`);
        dbClaim = jsonpath("pvc", "mysql-data", "{.metadata.uid}");
        claims = allClaims();
    });

    it("2. the preview of hub.chartVersion moved up lists the chart's objects that change, the new pre-upgrade dump, and replaces no claim", () => {
        setHub({ chartVersion: current });
        const t0 = Date.now();
        const changed = changedSteps(project.pulumi(["preview", "--json"], { label: "upgrade preview" }));
        const chart = changed.filter(fromChart);
        console.log(
            `chart upgrade: the preview ${previous} -> ${current} (${((Date.now() - t0) / 1000).toFixed(1)} s), ${changed.length} steps, ${chart.length} of the chart's objects:\n  ${changed.map((s) => `${s.op} ${objectOf(s)}`).join("\n  ")}`,
        );
        assert.ok(
            chart.some((s) => s.op === "update" && objectOf(s) === "Deployment hub"),
            "the chart's hub Deployment is updated",
        );
        assert.ok(
            changed.some((s) => /replace/.test(s.op) && objectOf(s).startsWith(`Job hub-db-before-chart-${current.replace(/\./g, "-")}-`)),
            "the pre-upgrade dump Job replaced by the new version's",
        );
        const claimSteps = changed.filter((s) => objectOf(s).startsWith("PersistentVolume") && s.op !== "update");
        assert.deepEqual(
            claimSteps.map((s) => `${s.op} ${objectOf(s)}`),
            [],
            "no claim or volume created, replaced or deleted",
        );
    });

    it("3. up: the pre-upgrade dump's step is done before the hub Deployment's update begins; the database claim is the same; the next preview is empty", () => {
        const events = path.join(project.work, "chart-upgrade-events.jsonl");
        // --event-log is one of the CLI's debug flags, shown with PULUMI_DEBUG_COMMANDS.
        project.pulumi(["up", "--yes", "--skip-preview", "--event-log", events], { label: "upgrade up", env: { PULUMI_DEBUG_COMMANDS: "true" } });
        type Ev = { sequence: number; timestamp: number; resourcePreEvent?: { metadata: Meta }; resOutputsEvent?: { metadata: Meta } };
        type Meta = { op: string; urn: string; type: string };
        const evs = fs
            .readFileSync(events, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Ev);
        const isJob = (m?: Meta) => m?.type === "kubernetes:batch/v1:Job" && /create/.test(m.op) && m.urn.endsWith("::backup-before-upgrade");
        const isHub = (m?: Meta) => m?.type === "kubernetes:apps/v1:Deployment" && /[:/]hub$/.test(m.urn);
        const jobDone = evs.find((e) => isJob(e.resOutputsEvent?.metadata));
        const hubStart = evs.find((e) => isHub(e.resourcePreEvent?.metadata) && e.resourcePreEvent!.metadata.op === "update");
        assert.ok(
            jobDone,
            `the Job's create in the events:\n${evs
                .map((e) => (e.resourcePreEvent ?? e.resOutputsEvent)?.metadata.urn)
                .filter(Boolean)
                .join("\n")}`,
        );
        assert.ok(hubStart, "the hub Deployment's update in the events");
        console.log(
            `chart upgrade: engine events: #${jobDone.sequence} (t=${jobDone.timestamp}) created ${jobDone.resOutputsEvent!.metadata.urn.split("::").pop()}; #${hubStart.sequence} (t=${hubStart.timestamp}) update of ${hubStart.resourcePreEvent!.metadata.urn.split("::").pop()} begins`,
        );
        assert.ok(jobDone.sequence < hubStart.sequence, "the dump's step is done before the hub's update begins");
        assert.equal(jsonpath("deployment", "hub", "{.metadata.labels.chart}"), `jupyterhub-${current}`);
        assert.equal(jsonpath("pvc", "mysql-data", "{.metadata.uid}"), dbClaim, "the hub database's claim is the same");
        assert.equal(allClaims(), claims, "every claim the same");
        project.pulumi(["preview", "--expect-no-changes"], { label: "preview after the upgrade" });
    });

    it("4. moving hub.chartVersion back is refused before anything changes, naming the key; hub.allowDowngradeFrom naming the running version lets the preview through", () => {
        setHub({ chartVersion: previous });
        const out = project.pulumiFails(["preview"], { label: "downgrade refused", ...withChart(PREVIOUS_DIR) });
        const line = out.split("\n").find((l) => l.includes(`jupyterhub:hub.chartVersion ${previous} is older than the chart the hub runs (${current})`));
        assert.ok(line, out);
        console.log(`chart upgrade: the refusal: ${line.trim()}`);
        assert.equal(jsonpath("deployment", "hub", "{.metadata.labels.chart}"), `jupyterhub-${current}`);
        setHub({ chartVersion: previous, allowDowngradeFrom: current });
        project.pulumi(["preview"], { label: "downgrade allowed (preview only)", ...withChart(PREVIOUS_DIR) });
        setHub({ chartVersion: current });
    });
});
