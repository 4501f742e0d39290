// The policy pack over the Analyzer protocol (see test/support/analyzer.ts) with the dev stack carrying
// the shared-volume seed's settings (test/support/seed.ts): sudo, i.e. users' servers started as root. The
// dev policy config allows it; the prod config refuses the chart for it, saying why, beside the
// NodePort proxy it also refuses. One program run per process; run by `npm run test:policy`.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { checkAllClean, checkResources, EngineSession, openSession, pick } from "../support/analyzer";
import { isSecretWrapped } from "../support/program";
import { SEED_REGISTRY_PASSWORD, seedOverrides } from "../support/seed";

const STACK = "dev";
const PACK = { packName: "jupyterhub-platform", packVersion: "0.1.0" };
let s: EngineSession;

before(async () => (s = await openSession(STACK, { registryPassword: SEED_REGISTRY_PASSWORD }, seedOverrides())), { timeout: 60_000 });
after(() => s?.close());

describe("policy pack over the Analyzer protocol: dev with the seed's sudo, registry and chart values", () => {
    it("every resource the program registers is sent as the engine would, the pull Secret's data as a secret", () => {
        checkResources(s);
        const pull = s.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "jupyterhub-registry")!;
        assert.ok(isSecretWrapped(pull.inputs.stringData), "the pull Secret's data is sent wrapped as a secret");
        assert.ok(JSON.stringify(pull.inputs.stringData).includes(SEED_REGISTRY_PASSWORD), "for the pack to reveal");
    });

    it("accepts policy/config.dev.json, which allows grantSudo: no violation anywhere", () => checkAllClean(s));

    it("under policy/config.prod.json the chart is refused for the root start, with the reason, and for its NodePort proxy", async () => {
        assert.deepEqual((await s.configureWith("prod")).errors, []);
        const { diagnostics } = await s.pack.analyzeAll(s.resources);
        const chart = s.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name === "jupyterhub")!;
        assert.deepEqual(
            diagnostics.map(pick).sort((a, b) => a.policy.localeCompare(b.policy)),
            [
                { policy: "external-services-allowed", ...PACK, level: "mandatory", urn: chart.urn },
                { policy: "singleuser-root-start", ...PACK, level: "mandatory", urn: chart.urn },
            ],
        );
        const rootStart = diagnostics.find((d) => d.policy === "singleuser-root-start")!;
        assert.match(
            rootStart.detail,
            /^Chart "jupyterhub": users' servers start as root \(singleuser\.uid 0, singleuser\.allowPrivilegeEscalation true\) for jupyterhub:singleuser\.grantSudo, which this stack does not allow: the root start only lets docker-stacks' start\.sh grant sudo/,
        );
        assert.deepEqual(await s.pack.analyzeStack(s.resources), []);
    });

    it("the pack wrote nothing to stderr", () => assert.equal(s.pack.stderr, ""));
});
