// The policy pack as `pulumi preview --stack prod --policy-pack policy --policy-pack-config
// policy/config.prod.json` runs it, minus the Pulumi CLI (it cannot be built here): started through
// test/support/analyzer-launcher.sh like the CLI's plugin, driven over the Analyzer gRPC protocol with every resource the
// prod program registers under mocks, its secrets set as `pulumi config set --secret` would (see
// analyzer.ts). Negative controls in the same run: planted bad resources. One program run per
// process; run by `npm run test:policy` (its folder keeps it out of `npm test`).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { checkAllClean, checkPack, checkResources, engineResource, EngineSession, kubernetesProvider, openSession, pick, secret } from "../support/analyzer";

const STACK = "prod";
const NS = "jupyterhub";
const PACK = { packName: "jupyterhub-platform", packVersion: "0.1.0" };
let s: EngineSession;

before(async () => (s = await openSession(STACK, { mysqlPassword: "Ext3rnal-MySQL-pw", ldapBindPassword: "Search-User-pw-123" })), { timeout: 60_000 });
after(() => s?.close());

describe("policy pack over the Analyzer protocol: prod", () => {
    it("starts through the launcher and reports its name, version and all its policies, all mandatory", () => checkPack(s));

    it("every resource the program registers is sent as the engine would: well-formed types and URNs, inputs as registered", () => {
        checkResources(s);
        // The LDAP search password reaches the hub's Secret as a secret, which the pack reveals;
        // the chart's values carry none.
        const hubSecret = s.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "jupyterhub-secrets")!;
        assert.match(JSON.stringify(hubSecret.inputs.stringData), /"1b47061264138c4ac30d75fd1eb44270","value":\{.*Search-User-pw-123/);
        const chart = s.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name === "jupyterhub")!;
        assert.doesNotMatch(JSON.stringify(chart.inputs.values), /Search-User-pw-123/);
    });

    it("accepts policy/config.prod.json; no resource gets a violation from Analyze, nor the stack from AnalyzeStack", () => checkAllClean(s));

    it("negative control: a NodePort proxy-public (as the chart would render it) is refused by prod's config only", async () => {
        const chart = s.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name === "jupyterhub")!;
        const proxyPublic = engineResource(STACK, {
            type: "kubernetes:core/v1:Service",
            name: `jupyterhub:${NS}/proxy-public`,
            parent: chart.urn,
            provider: kubernetesProvider(s),
            inputs: {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "proxy-public", namespace: NS, labels: { app: "jupyterhub", component: "proxy-public" } },
                spec: { type: "NodePort", selector: { component: "proxy" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
            },
        });
        assert.deepEqual((await s.configureWith(STACK)).errors, []);
        const { diagnostics } = await s.pack.analyzeAll([proxyPublic]);
        assert.deepEqual(diagnostics.map(pick), [{ policy: "external-services-allowed", ...PACK, level: "mandatory", urn: proxyPublic.urn }]);
        assert.match(diagnostics[0].detail, /^Service "jupyterhub\/proxy-public" is NodePort, which this stack does not allow/);

        assert.deepEqual((await s.configureWith("dev")).errors, []);
        assert.deepEqual((await s.pack.analyzeAll([proxyPublic])).diagnostics, [], "dev's config allows proxy-public");
    });

    it("negative control: a planted ConfigMap holding a PEM private key as a secret is reported (the pack reveals it)", async () => {
        assert.deepEqual((await s.configureWith(STACK)).errors, []);
        const leak = engineResource(STACK, {
            type: "kubernetes:core/v1:ConfigMap",
            name: "planted-leak",
            provider: kubernetesProvider(s),
            inputs: {
                metadata: { name: "planted-leak", namespace: NS },
                data: { "server.pem": secret("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n") },
            },
        });
        const { diagnostics } = await s.pack.analyzeAll([leak]);
        assert.deepEqual(diagnostics.map(pick), [{ policy: "no-secrets-in-configmaps", ...PACK, level: "mandatory", urn: leak.urn }]);
        assert.match(diagnostics[0].detail, /^ConfigMap "jupyterhub\/planted-leak": key "server\.pem" holds a PEM private key/);
        assert.deepEqual(await s.pack.analyzeStack([...s.resources, leak]), []);
    });

    it("the pack wrote nothing to stderr", () => assert.equal(s.pack.stderr, ""));
});
