// The dev stack with the shared-volume seed's settings (test/support/seed.ts) under mocks: the registry
// password set with `pulumi config set --secret` reaches only the program's pull Secret, which
// the chart waits for and its values name; the seed's settings reach the chart values.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { REGISTRY_SECRET } from "../../components/hub";
import { at, get } from "../support/helpers";
import { isSecretWrapped, plainStrings, ProgramRun, reveal, runProgram } from "../support/program";
import { SEED_IMAGE, SEED_REGISTRY, SEED_REGISTRY_PASSWORD, SEED_REGISTRY_USER, seedOverrides } from "../support/seed";

let run: ProgramRun;
before(async () => {
    run = await runProgram("dev", seedOverrides(), { registryPassword: SEED_REGISTRY_PASSWORD });
});

describe("program (dev stack with the seed's settings, under mocks)", () => {
    it("creates the pull Secret as kubernetes.io/dockerconfigjson for the registry, its data secret", () => {
        const secret = run.byName("jupyterhub-registry", "Secret").inputs;
        assert.equal(get(secret, "metadata.name"), REGISTRY_SECRET);
        assert.equal(get(secret, "metadata.namespace"), "jupyterhub-dev");
        assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
        assert.ok(isSecretWrapped(secret.stringData), "stringData is sent as a secret");
        const config = JSON.parse(String(at(reveal(secret.stringData), ".dockerconfigjson"))) as unknown;
        assert.deepEqual(at(config, "auths", SEED_REGISTRY, "username"), SEED_REGISTRY_USER);
        assert.deepEqual(at(config, "auths", SEED_REGISTRY, "password"), SEED_REGISTRY_PASSWORD);
    });

    it("the password is nowhere else, wrapped or not: not in the chart values, no other object", () => {
        const holders = run.resources.filter((r) => JSON.stringify(reveal(r.inputs)).includes(SEED_REGISTRY_PASSWORD)).map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(holders, ["kubernetes:core/v1:Secret jupyterhub-registry"]);
        const plain = run.resources.flatMap((r) => plainStrings(r.inputs).filter(([, s]) => s.includes(SEED_REGISTRY_PASSWORD)));
        assert.deepEqual(plain, []);
    });

    it("the chart waits for the pull Secret and its values name it for the user image", () => {
        const chart = run.byName("jupyterhub");
        assert.ok(chart.dependsOn.includes("jupyterhub-registry"), chart.dependsOn.join(","));
        const values = chart.inputs.values;
        assert.equal(isSecretWrapped(values), false, "the values stay plain, known at preview");
        assert.deepEqual(get(values, "singleuser.image.pullSecrets"), [REGISTRY_SECRET]);
        assert.equal(`${String(get(values, "singleuser.image.name"))}:${String(get(values, "singleuser.image.tag"))}`, SEED_IMAGE);
    });

    it("the seed's home, sudo, environment and chart values reach the chart", () => {
        const values = run.byName("jupyterhub").inputs.values;
        assert.equal(get(values, "singleuser.storage.homeMountPath"), "/home/jupyter");
        assert.equal(get(values, "singleuser.uid"), 0);
        assert.equal(get(values, "singleuser.extraEnv.GRANT_SUDO"), "yes");
        assert.equal(get(values, "singleuser.extraEnv.NB_USER"), "jupyter");
        assert.equal(get(values, "singleuser.extraEnv.COURSE_DATA"), "/mnt/shared/course");
        assert.equal(get(values, "hub.allowNamedServers"), true);
        assert.equal(get(values, "singleuser.networkPolicy.egressAllowRules.privateIPs"), true);
    });
});
