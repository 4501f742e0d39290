// A Job replaced by one of the same name, through the real engine and provider, under skipAwait:
// the case of the directory's sync Job when its pod template changes and its name does not (a
// new master key, ldap.resetPasswordsFrom). With skipAwait the provider does not wait for a Job's
// deletion; under the default foreground propagation the old Job stayed in the API until its pod
// was gone, and the replacement created meanwhile found it: the e2e tier saw
// `spec.template: field is immutable` now and then in an upgrade. The full program's sync Job got
// through 6 of 6 such replacements without the fix (test 4d of engine.test.ts): its timing hides
// the race. This suite's minimal Job does not: without the fix (no SKIP_AWAIT_JOB_ANNOTATIONS) it
// fails at its first replacement with that very error. It replaces a Job, with the program's own
// transform (skipAwaitTransform) and provider settings (PROVIDER_SETTINGS), several times: each
// update must succeed and leave one new Job of that name.
//
// Its program is index.ts below, in place of the platform's, in an engine project of its own.
// Run by .ci/e2e.sh on the engine suites' private control plane (kwok: pods never run to their end).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { EngineProject, waitFor } from "../support/engine-project";

const NS = "jhub-job-replace";
const STACK = "job-replace";
const JOB = "replaced";
const ROUNDS = 5;
const project = new EngineProject(STACK);

/** The program: one namespace and one Job whose annotation and pod template follow ROUND. */
const PROGRAM = `import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { PROVIDER_SETTINGS } from "./components/cluster";
import { skipAwaitTransform } from "./components/common";

pulumi.runtime.registerResourceTransform(skipAwaitTransform);
const round = process.env.ROUND ?? "0";
const provider = new k8s.Provider("k8s", PROVIDER_SETTINGS);
const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "${NS}" } }, { provider });
new k8s.batch.v1.Job(
    "job",
    {
        metadata: { name: "${JOB}", namespace: ns.metadata.name, annotations: { round } },
        spec: {
            backoffLimit: 4,
            template: {
                spec: {
                    restartPolicy: "OnFailure",
                    containers: [{ name: "c", image: "busybox:1.36", command: ["sh", "-c", "echo " + round] }],
                },
            },
        },
    },
    { provider, replaceOnChanges: ["metadata.annotations"], deleteBeforeReplace: true },
);
`;

const up = (round: number) => project.pulumi(["up", "--yes", "--skip-preview"], { label: `up-round-${round}`, env: { ROUND: String(round) } });
type Job = { metadata: { uid: string; annotations?: Record<string, string> } };
const job = () => JSON.parse(project.kubectl(["get", "job", JOB, "-n", NS, "-o", "json"])) as Job;

before(() => {
    console.log(`job-replace e2e: ${project.describe()}`);
    fs.writeFileSync(path.join(project.dir, "index.ts"), PROGRAM);
    project.run("pulumi", ["stack", "init", STACK, "--non-interactive"]);
});

after(() => {
    try {
        project.pulumi(["destroy", "--yes", "--skip-preview"], { label: "destroy" });
    } finally {
        project.printTimings("job-replace e2e");
        project.remove();
    }
});

describe("real engine: a Job replaced by one of its own name under skipAwait", () => {
    it(`${ROUNDS} replacements in a row each succeed and leave one new Job of that name, with the new template`, () => {
        up(0);
        const uids = [job().metadata.uid];
        for (let round = 1; round <= ROUNDS; round++) {
            // Its pod, made by the Job controller, is what a foreground deletion waits for.
            const current = uids[uids.length - 1];
            waitFor(() => project.kubectl(["get", "pods", "-n", NS, "-l", `controller-uid=${current}`, "-o", "name"]).trim() !== "", `a pod of Job ${JOB}`);
            up(round);
            const now = job();
            assert.equal(now.metadata.annotations?.round, String(round), `round ${round}: the new Job`);
            assert.ok(!uids.includes(now.metadata.uid), `round ${round}: a new object`);
            uids.push(now.metadata.uid);
        }
        console.log(`job-replace e2e: ${ROUNDS} same-named replacements, Job uids ${uids.map((u) => u.slice(0, 8)).join(" ")}`);
        project.pulumi(["preview", "--expect-no-changes"], { label: "preview-after", env: { ROUND: String(ROUNDS) } });
    });
});
