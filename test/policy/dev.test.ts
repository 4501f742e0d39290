// The policy pack as `pulumi preview --stack dev --policy-pack policy --policy-pack-config
// policy/config.dev.json` runs it, minus the Pulumi CLI (it cannot be built here): started through
// test/support/analyzer-launcher.sh like the CLI's plugin, driven over the Analyzer gRPC protocol with every resource the
// dev program registers under mocks (see analyzer.ts). Negative controls in the same run: the dev
// program under the prod config, planted bad resources. One program run per process; run by
// `npm run test:policy` (its folder keeps it out of `npm test`).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { checkAllClean, checkPack, checkResources, engineResource, EngineSession, kubernetesProvider, openSession, pick } from "../support/analyzer";

const STACK = "dev";
const NS = "jupyterhub-dev";
const PACK = { packName: "jupyterhub-platform", packVersion: "0.1.0" };
const HARDENED = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true };
let s: EngineSession;

before(async () => (s = await openSession(STACK)), { timeout: 60_000 });
after(() => s?.close());

describe("policy pack over the Analyzer protocol: dev", () => {
    it("starts through the launcher and reports its name, version and all its policies, all mandatory", () => checkPack(s));

    it("every resource the program registers is sent as the engine would: well-formed types and URNs, inputs as registered", () => checkResources(s));

    it("accepts policy/config.dev.json; no resource gets a violation from Analyze, nor the stack from AnalyzeStack", () => checkAllClean(s));

    it("negative control: the dev program under policy/config.prod.json is refused exactly for its NodePort proxy", async () => {
        // Here the Chart's values are judged; a real preview would judge the proxy-public Service the
        // chart renders (same rule, see prod's NodePort control and analyzer.ts).
        const { errors } = await s.configureWith("prod");
        assert.deepEqual(errors, []);
        const { diagnostics } = await s.pack.analyzeAll(s.resources);
        const chart = s.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name === "jupyterhub")!;
        assert.deepEqual(diagnostics.map(pick), [{ policy: "external-services-allowed", ...PACK, level: "mandatory", urn: chart.urn }]);
        assert.match(
            diagnostics[0].detail,
            /^Chart "jupyterhub": values\.proxy\.service\.type NodePort exposes Service "proxy-public", which this stack does not allow/,
        );
        assert.deepEqual(await s.pack.analyzeStack(s.resources), []);
    });

    it("negative control: a planted Deployment without limits and an unguarded MySQL Service are reported", async () => {
        assert.deepEqual((await s.configureWith(STACK)).errors, []);
        const provider = kubernetesProvider(s);
        const unbounded = engineResource(STACK, {
            type: "kubernetes:apps/v1:Deployment",
            name: "planted-unbounded",
            provider,
            inputs: {
                metadata: { name: "planted-unbounded", namespace: NS },
                spec: {
                    selector: { matchLabels: { app: "planted-unbounded" } },
                    template: {
                        metadata: { labels: { app: "planted-unbounded" } },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [{ name: "app", image: "busybox:1.36.1", securityContext: HARDENED }],
                        },
                    },
                },
            },
        });
        // A Service the stack rule must see without a NetworkPolicy: its namespace has none.
        const rogueMysql = engineResource(STACK, {
            type: "kubernetes:core/v1:Service",
            name: "planted-mysql",
            provider,
            inputs: {
                metadata: { name: "planted-mysql", namespace: "scratch", labels: { "app.kubernetes.io/name": "mysql" } },
                spec: { selector: { app: "planted-mysql" }, ports: [{ port: 3306 }] },
            },
        });
        // A container that drops one of the least-privilege settings: a writable root filesystem.
        const writable = engineResource(STACK, {
            type: "kubernetes:apps/v1:Deployment",
            name: "planted-writable",
            provider,
            inputs: {
                metadata: { name: "planted-writable", namespace: NS },
                spec: {
                    selector: { matchLabels: { app: "planted-writable" } },
                    template: {
                        metadata: { labels: { app: "planted-writable" } },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: "app",
                                    image: "busybox:1.36.1",
                                    resources: { limits: { cpu: "100m", memory: "64Mi" } },
                                    securityContext: { ...HARDENED, readOnlyRootFilesystem: false },
                                },
                            ],
                        },
                    },
                },
            },
        });
        const planted = [unbounded, rogueMysql, writable];

        const { diagnostics } = await s.pack.analyzeAll(planted);
        assert.deepEqual(diagnostics.map(pick), [
            { policy: "container-resource-limits", ...PACK, level: "mandatory", urn: unbounded.urn },
            { policy: "containers-least-privilege", ...PACK, level: "mandatory", urn: writable.urn },
        ]);
        assert.match(diagnostics[0].detail, /^Deployment "jupyterhub-dev\/planted-unbounded": container "app" has no cpu and memory limit/);
        assert.match(
            diagnostics[1].detail,
            /^Deployment "jupyterhub-dev\/planted-writable": container "app" fails writable-root; set readOnlyRootFilesystem: true/,
        );

        const stackDiagnostics = await s.pack.analyzeStack([...s.resources, ...planted]);
        assert.deepEqual(stackDiagnostics.map(pick), [{ policy: "mysql-ldap-network-policies", ...PACK, level: "mandatory", urn: rogueMysql.urn }]);
        assert.match(stackDiagnostics[0].detail, /^Service "scratch\/planted-mysql" \(mysql\) has no NetworkPolicy in namespace "scratch"/);
    });

    it("the pack wrote nothing to stderr", () => assert.equal(s.pack.stderr, ""));
});
