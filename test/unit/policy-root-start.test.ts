// The policy pack's singleuser-root-start rule: users' servers start as root only through
// jupyterhub:singleuser.grantSudo (its docker-stacks drop to the user), and only on stacks whose
// policy config allows it; judged on a Chart's values and on the values z2jh's rendered hub
// Secret keeps (what a real preview sees). The whole pack over the seed's program:
// test/program/policy-seed.test.ts.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import * as YAML from "yaml";

import { PRIVILEGED_REASON } from "../../lib/pods";
import { grantSudo } from "../../components/hub";
import { singleuserRootStart, z2jhValuesOf } from "../../policy/rules";
import { loadPackConfig, resourceViolations, Subject } from "../support/policy-harness";
import { rootStartRefused } from "../support/seed";

type Obj = Record<string, unknown>;
const NS = "jupyterhub-dev";

/** The singleuser values the program generates for grantSudo with the seed's home. */
function sudoValues(): Obj {
    const sudo = grantSudo("/home/jupyter");
    return { singleuser: { ...sudo.values, extraEnv: { COURSE: "x", ...sudo.env } } };
}

function chart(values: Obj): Subject {
    return { type: "kubernetes:helm.sh/v4:Chart", name: "jupyterhub", props: { chart: "jupyterhub", namespace: NS, values } };
}

/** z2jh's hub Secret as helm.v4.Chart renders it: the values as YAML, base64 in data. */
function renderedHubSecret(values: Obj): Subject {
    return {
        type: "kubernetes:core/v1:Secret",
        name: `jupyterhub:${NS}/hub`,
        props: {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "hub", namespace: NS, labels: { app: "jupyterhub", component: "hub", release: NS } },
            type: "Opaque",
            data: { "values.yaml": Buffer.from(YAML.stringify(values)).toString("base64"), "hub.config.JupyterHub.cookie_secret": "eA==" },
        },
    };
}

const FORBIDDEN = rootStartRefused;

describe("policy: singleuser-root-start", () => {
    it("grantSudo's values pass where the stack allows it (dev) and are refused, saying why, where it does not (prod, and by default)", async () => {
        for (const subject of [chart(sudoValues()), renderedHubSecret(sudoValues())]) {
            const object = subject.type.endsWith(":Chart") ? 'Chart "jupyterhub"' : `Secret "${NS}/hub" (the chart's values)`;
            assert.deepEqual(await resourceViolations(singleuserRootStart, subject, loadPackConfig("dev")), [], object);
            assert.deepEqual(await resourceViolations(singleuserRootStart, subject, loadPackConfig("prod")), [FORBIDDEN(object)]);
            assert.deepEqual(await resourceViolations(singleuserRootStart, subject), [FORBIDDEN(object)], "the schema's default forbids it");
        }
    });

    it("a root start without grantSudo's drop to the user is refused on every stack", async () => {
        const without = (what: string) =>
            `Chart "jupyterhub": users' servers start as root or may gain privileges (${what}) without jupyterhub:singleuser.grantSudo's ` +
            `drop to the user (GRANT_SUDO=yes, NB_UID > 0, annotation ${PRIVILEGED_REASON}), so notebooks would run as root; ` +
            `remove these values and set jupyterhub:singleuser.grantSudo, the only root start this pack allows`;
        const dev = loadPackConfig("dev");
        assert.deepEqual(await resourceViolations(singleuserRootStart, chart({ singleuser: { uid: 0 } }), dev), [without("singleuser.uid 0")]);
        // GRANT_SUDO alone is not the drop: the annotation with the reason is missing.
        const unannotated = sudoValues();
        delete (unannotated.singleuser as Obj).extraAnnotations;
        assert.deepEqual(await resourceViolations(singleuserRootStart, chart(unannotated), dev), [
            without("singleuser.uid 0, singleuser.allowPrivilegeEscalation true"),
        ]);
        // Root through the hub's spawner config or a profile, beside grantSudo or not.
        const spawner = { ...sudoValues(), hub: { config: { KubeSpawner: { uid: 0, extra_container_config: { securityContext: { privileged: true } } } } } };
        assert.deepEqual(await resourceViolations(singleuserRootStart, chart(spawner), dev), [
            without("hub.config.KubeSpawner.uid 0, hub.config.KubeSpawner.extra_container_config.securityContext.privileged true"),
        ]);
        const profile = { singleuser: { profileList: [{ slug: "a" }, { slug: "root", kubespawner_override: { uid: 0, allow_privilege_escalation: true } }] } };
        assert.deepEqual(await resourceViolations(singleuserRootStart, renderedHubSecret(profile), dev), [
            without(
                "singleuser.profileList[1].kubespawner_override.uid 0, singleuser.profileList[1].kubespawner_override.allow_privilege_escalation true",
            ).replace('Chart "jupyterhub"', `Secret "${NS}/hub" (the chart's values)`),
        ]);
    });

    it("passes z2jh's non-root defaults and judges no other Secret", async () => {
        const prod = loadPackConfig("prod");
        assert.deepEqual(await resourceViolations(singleuserRootStart, chart({ singleuser: { uid: 1000, extraEnv: { GRANT_SUDO: "yes" } } }), prod), []);
        assert.deepEqual(await resourceViolations(singleuserRootStart, renderedHubSecret({ singleuser: {} }), prod), []);
        // The program's own hub Secret also carries a values.yaml, but is not the chart's.
        const own: Subject = {
            type: "kubernetes:core/v1:Secret",
            name: "jupyterhub-secrets",
            props: {
                metadata: { name: "hub-secrets", namespace: NS, labels: { "app.kubernetes.io/name": "hub" } },
                stringData: { "values.yaml": "singleuser: {uid: 0}" },
            },
        };
        assert.equal(z2jhValuesOf(own), undefined);
        assert.deepEqual(await resourceViolations(singleuserRootStart, own, prod), []);
        // Unreadable values are not judged (and do not throw).
        const garbled = renderedHubSecret({});
        (garbled.props.data as Obj)["values.yaml"] = Buffer.from("singleuser: [unclosed").toString("base64");
        assert.equal(z2jhValuesOf(garbled), undefined);
    });
});
