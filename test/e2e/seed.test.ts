// The shared-volume seed (test/support/seed.ts) through the real Pulumi engine and the real chart, on a
// real API server: its settings (home /home/jupyter, image from mydocker.registry.com with a
// registry user and a password set with `pulumi config set --secret`, sudo, an extra environment
// variable) and chart values no typed key covers all reach the values the chart renders (z2jh
// keeps them in its hub Secret's values.yaml) and the objects it renders from them; the pull
// Secret holds the credentials, the state only encrypted; the policy pack lets the root start pass
// where the stack's policy config allows it and refuses it, saying why, where it does not; a
// chartValues key the program owns (hub.db.url) is refused naming chartValues, and a value the
// chart's schema rejects is refused by Helm at preview.
//
// Run by .ci/e2e.sh after engine.test.ts, on the same private control plane (kwok: pods never run,
// so skipAwait). Its own namespace, StorageClass and no CSI driver of its own (the CSIDriver
// object of one the cluster runs, which the preflight looks for): nothing cluster-wide is shared
// with the other engine suite.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import * as YAML from "yaml";

import { PRIVILEGED_REASON } from "../../lib/pods";
import { dockerConfigJson, REGISTRY_SECRET } from "../../components/hub";
import { EngineProject, waitFor } from "../support/engine-project";
import { get, ROOT } from "../support/helpers";
import { SEED_CHART_VALUES, SEED_IMAGE, SEED_REGISTRY, SEED_REGISTRY_PASSWORD, SEED_REGISTRY_USER, SEED_SINGLEUSER } from "../support/seed";

const NS = "jhub-seed";
const STACK = "seed";
const project = new EngineProject(STACK);
const realChart = project.realChart;

const pulumi = (args: string[], label?: string) => project.pulumi(args, { label });
const kubectl = (args: string[]) => project.kubectl(args);

function secretData(name: string): { type: string; data: Record<string, string> } {
    const s = JSON.parse(kubectl(["get", "secret", name, "-n", NS, "-o", "json"])) as { type: string; data: Record<string, string> };
    return { type: s.type, data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")])) };
}

/** The values the chart was rendered with: z2jh keeps them, merged, in its hub Secret. */
const renderedValues = () => YAML.parse(secretData("hub").data["values.yaml"]) as Record<string, unknown>;

let destroyed = false;
let removeCsiDriver: () => void = () => undefined;

before(() => {
    console.log(`seed e2e: ${project.describe()}`);
    removeCsiDriver = project.clusterCsiDriver();
    project.initStack(STACK, {
        "jupyterhub:namespace": NS,
        "jupyterhub:dataPolicy": "delete",
        "jupyterhub:nfs": { installCsiDriver: false, homeStorageClass: "jupyterhub-home-seed", onDelete: "delete", shared: { enabled: true, size: "1Gi" } },
        "jupyterhub:ldap": { mode: "none" },
        "jupyterhub:hub": { authenticatorClass: "dummy", admins: ["teacher"], proxyServiceType: "ClusterIP" },
        "jupyterhub:mysql": { mode: "in-cluster", storageSize: "1Gi" },
        "jupyterhub:singleuser": SEED_SINGLEUSER,
        "jupyterhub:chartValues": SEED_CHART_VALUES,
    });
});

after(() => {
    try {
        if (!destroyed) pulumi(["destroy", "--yes", "--skip-preview"], "cleanup destroy");
    } finally {
        removeCsiDriver();
        project.printTimings("seed e2e");
        project.remove();
    }
});

describe("real engine and chart: the shared-volume seed", () => {
    it("1. the registry password is set as a secret: encrypted in the stack file", () => {
        pulumi(["config", "set", "--secret", "registryPassword", SEED_REGISTRY_PASSWORD]);
        const file = fs.readFileSync(path.join(project.dir, `Pulumi.${STACK}.yaml`), "utf8");
        assert.ok(!file.includes(SEED_REGISTRY_PASSWORD), "not in plain text in the stack file");
        assert.match(file, /jupyterhub:registryPassword:\s*\n\s*secure:/);
    });

    it("2. up: the values the chart was rendered with carry the seed's home, image, pull secret, sudo, environment and chart values", () => {
        pulumi(["up", "--yes", "--skip-preview"], "up");
        const v = renderedValues();
        assert.equal(get(v, "singleuser.storage.homeMountPath"), "/home/jupyter");
        assert.equal(get(v, "hub.config.KubeSpawner.working_dir"), "/home/jupyter");
        assert.equal(`${String(get(v, "singleuser.image.name"))}:${String(get(v, "singleuser.image.tag"))}`, SEED_IMAGE);
        assert.deepEqual(get(v, "singleuser.image.pullSecrets"), [REGISTRY_SECRET]);
        assert.equal(get(v, "singleuser.uid"), 0);
        assert.equal(get(v, "singleuser.allowPrivilegeEscalation"), true);
        assert.deepEqual(get(v, "singleuser.extraEnv"), {
            COURSE_DATA: "/mnt/shared/course",
            GRANT_SUDO: "yes",
            NB_USER: "jupyter",
            NB_UID: "1000",
            NB_GID: "100",
        });
        assert.match(String((get(v, "singleuser.extraAnnotations") as Record<string, string>)[PRIVILEGED_REASON]), /^jupyterhub:singleuser\.grantSudo: /);
        assert.equal(get(v, "hub.allowNamedServers"), true, "chartValues.hub.allowNamedServers");
        assert.equal(get(v, "singleuser.networkPolicy.egressAllowRules.privateIPs"), true, "chartValues.singleuser.networkPolicy");
        assert.ok(!JSON.stringify(v).includes(SEED_REGISTRY_PASSWORD), "the password is not a chart value");
    });

    it("3. the pull Secret holds the registry credentials as a dockerconfigjson", () => {
        const pull = secretData(REGISTRY_SECRET);
        assert.equal(pull.type, "kubernetes.io/dockerconfigjson");
        const auth = get(JSON.parse(pull.data[".dockerconfigjson"]), "auths") as Record<string, { username: string; password: string; auth: string }>;
        assert.deepEqual(Object.keys(auth), [SEED_REGISTRY]);
        assert.equal(auth[SEED_REGISTRY].username, SEED_REGISTRY_USER);
        assert.equal(auth[SEED_REGISTRY].password, SEED_REGISTRY_PASSWORD);
        assert.equal(Buffer.from(auth[SEED_REGISTRY].auth, "base64").toString(), `${SEED_REGISTRY_USER}:${SEED_REGISTRY_PASSWORD}`);
    });

    it("4. the chart's objects follow: the image puller pulls the seed's image with the pull Secret, the user pods' NetworkPolicy opens private addresses", (t) => {
        if (!realChart) {
            console.log("seed e2e: SKIPPED step 4 — the stand-in chart renders no image puller nor NetworkPolicy (set JUPYTERHUB_CHART_DIR to the z2jh chart)");
            t.skip("stand-in chart");
            return;
        }
        const puller = JSON.parse(kubectl(["get", "daemonset", "continuous-image-puller", "-n", NS, "-o", "json"])) as Record<string, unknown>;
        assert.deepEqual(get(puller, "spec.template.spec.imagePullSecrets"), [{ name: REGISTRY_SECRET }]);
        const images = (get(puller, "spec.template.spec.initContainers") as Array<{ image: string }>).map((c) => c.image);
        assert.ok(images.includes(SEED_IMAGE), images.join(", "));
        const netpol = kubectl(["get", "networkpolicy", "singleuser", "-n", NS, "-o", "json"]);
        assert.match(netpol, /"cidr": "10\.0\.0\.0\/8"/, "privateIPs: egress to 10.0.0.0/8");
    });

    it("5. the state holds the registry password only encrypted", () => {
        // The provider keeps the Secret's data base64-encoded: look for every form the password takes.
        const forms = {
            password: SEED_REGISTRY_PASSWORD,
            "auth field": Buffer.from(`${SEED_REGISTRY_USER}:${SEED_REGISTRY_PASSWORD}`).toString("base64"),
            ".dockerconfigjson, base64": Buffer.from(dockerConfigJson(SEED_REGISTRY, SEED_REGISTRY_USER, SEED_REGISTRY_PASSWORD)).toString("base64"),
        };
        const shown = pulumi(["stack", "export", "--show-secrets"]);
        assert.ok(
            Object.values(forms).some((f) => shown.includes(f)),
            "the check can see the credentials when secrets are shown",
        );
        const state = pulumi(["stack", "export"]);
        const leaks = Object.entries(forms)
            .filter(([, f]) => state.includes(f))
            .map(([k]) => k);
        assert.deepEqual(leaks, [], "in plain text in the state");
    });

    it("6. the policy pack lets the root start pass under the dev policy config and refuses it, saying why, under prod's", () => {
        const args = (config: string) => [
            "preview",
            "--policy-pack",
            path.join(ROOT, "policy"),
            "--policy-pack-config",
            path.join(ROOT, "policy", `config.${config}.json`),
        ];
        assert.match(pulumi(args("dev"), "preview with dev policy"), /✅ jupyterhub-platform@v/);
        const out = project.pulumiFails(args("prod"));
        assert.match(out, /singleuser-root-start/);
        assert.match(
            out,
            new RegExp(
                `Secret "${NS}/hub" \\(the chart's values\\): users' servers start as root \\(singleuser\\.uid 0, singleuser\\.allowPrivilegeEscalation true\\) for jupyterhub:singleuser\\.grantSudo, which this stack does not allow`,
            ),
        );
        assert.doesNotMatch(out, /external-services-allowed|pods-run-as-non-root/, "nothing else is refused");
    });

    it("7. chartValues.hub.db.url is refused before anything changes, naming chartValues and the key to use", () => {
        pulumi(["config", "set", "--path", "chartValues.hub.db.url", "mysql+pymysql://hub:pw@mysql.example.org/hub"]);
        const out = project.pulumiFails(["preview"]);
        assert.match(out, /jupyterhub:chartValues\.hub\.db\.url is set by the program; use jupyterhub:mysql instead/);
        pulumi(["config", "rm", "--path", "chartValues.hub.db"]);
        pulumi(["preview", "--expect-no-changes"], "preview after refusal");
    });

    it("8. a chart value the chart's schema rejects is refused by Helm at preview", () => {
        pulumi(["config", "set", "--path", "chartValues.singleuser.bogusSetting", "true"]);
        const out = project.pulumiFails(["preview"]);
        assert.match(out, /bogusSetting/);
        assert.match(out, /schema/i);
        pulumi(["config", "rm", "--path", "chartValues.singleuser.bogusSetting"]);
        pulumi(["preview", "--expect-no-changes"], "preview after schema refusal");
    });

    it("9. destroy with dataPolicy delete removes the stack's namespace", () => {
        pulumi(["destroy", "--yes", "--skip-preview"], "destroy");
        destroyed = true;
        waitFor(() => !project.exists("namespace", NS), "the seed namespace deleted");
    });
});
