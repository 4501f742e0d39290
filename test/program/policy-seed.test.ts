// The policy pack over every resource of the dev program with the shared-volume seed's settings
// (test/support/seed.ts), under mocks: its root start for grantSudo passes the dev policy config,
// which allows it, and is the one refusal under prod's besides the NodePort proxy. The rule on its
// own: test/unit/policy-root-start.test.ts.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { loadPackConfig, packViolations, Subject } from "../support/policy-harness";
import { reveal, runProgram } from "../support/program";
import { rootStartRefused, SEED_REGISTRY_PASSWORD, seedOverrides } from "../support/seed";

describe("policy pack on the dev program with the seed's settings (under mocks)", () => {
    let subjects: Subject[];
    before(async () => {
        const run = await runProgram("dev", seedOverrides(), { registryPassword: SEED_REGISTRY_PASSWORD });
        subjects = run.resources.map((r) => ({ type: r.type, name: r.name, props: reveal(r.inputs) as Record<string, unknown> }));
    });

    it("passes with the dev policy config, which allows grantSudo", async () => {
        assert.deepEqual(await packViolations(subjects, loadPackConfig("dev")), []);
    });

    it("the prod policy config refuses its root start (and its NodePort proxy), nothing else", async () => {
        const found = await packViolations(subjects, loadPackConfig("prod"));
        assert.deepEqual(found.map((v) => v.policy).sort(), ["external-services-allowed", "singleuser-root-start"]);
        assert.equal(found.find((v) => v.policy === "singleuser-root-start")?.message, rootStartRefused('Chart "jupyterhub"'));
    });
});
