// The policy pack's least-privilege rules (issue 34), one check at a time: a container that drops
// one is refused with the check's name and its fix; a named exception lets exactly that check
// off; an exception it does not need, or one without a reason, is refused too.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { API_TOKEN_REASON, LEAST_PRIVILEGE_CHECKS, LEAST_PRIVILEGE_PREFIX, leastPrivilegeAnnotations, NETWORK_POLICY_EXCEPTION } from "../../lib/pods";
import { containersLeastPrivilege, leastPrivilegeFailures, podsNoIdleToken, workloadsNetworkPolicies } from "../../policy/rules";
import { resourceViolations, stackViolations, Subject } from "../support/policy-harness";

type Obj = Record<string, unknown>;
const NS = "jupyterhub-dev";
const LIMITS = { limits: { cpu: "100m", memory: "64Mi" } };
const PROGRAM = { "app.kubernetes.io/name": "app", "app.kubernetes.io/part-of": "jupyterhub-platform" };

const HARDENED = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true };
const POD_SC = { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: "RuntimeDefault" } };

function deployment(
    p: { sc?: Obj; podSc?: Obj; annotations?: Record<string, string>; spec?: Obj; labels?: Record<string, string>; name?: string } = {},
): Subject {
    const labels = p.labels ?? PROGRAM;
    const name = p.name ?? "app";
    return {
        type: "kubernetes:apps/v1:Deployment",
        name,
        props: {
            metadata: { name, namespace: NS },
            spec: {
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels, annotations: p.annotations ?? {} },
                    spec: {
                        automountServiceAccountToken: false,
                        securityContext: p.podSc ?? POD_SC,
                        containers: [{ name: "app", image: "example.org/app:1.2.3", resources: LIMITS, securityContext: p.sc ?? HARDENED }],
                        ...(p.spec ?? {}),
                    },
                },
            },
        },
    };
}

/** One container's security context that fails exactly `check`. */
const BREAKS: Record<string, { sc?: Obj; podSc?: Obj }> = {
    privileged: { sc: { ...HARDENED, privileged: true } },
    root: { podSc: { ...POD_SC, runAsNonRoot: false, runAsUser: 0 } },
    capabilities: { sc: { ...HARDENED, capabilities: { drop: ["ALL"], add: ["NET_RAW"] } } },
    "privilege-escalation": { sc: { ...HARDENED, allowPrivilegeEscalation: true } },
    seccomp: { podSc: { runAsNonRoot: true, runAsUser: 1001 } },
    "writable-root": { sc: { ...HARDENED, readOnlyRootFilesystem: false } },
};

describe("policy: containers-least-privilege", () => {
    it("a hardened container passes, with seccomp on the pod or the container", async () => {
        assert.deepEqual(await resourceViolations(containersLeastPrivilege, deployment()), []);
        const onContainer = deployment({ podSc: { runAsNonRoot: true, runAsUser: 1001 }, sc: { ...HARDENED, seccompProfile: { type: "RuntimeDefault" } } });
        assert.deepEqual(await resourceViolations(containersLeastPrivilege, onContainer), []);
    });

    for (const check of LEAST_PRIVILEGE_CHECKS) {
        it(`a container that drops ${check} is refused for exactly that, and passes with it named as an exception`, async () => {
            const broken = deployment(BREAKS[check]);
            const found = await resourceViolations(containersLeastPrivilege, broken);
            assert.equal(found.length, 1, found.join("\n"));
            assert.match(found[0], new RegExp(`^Deployment "${NS}/app": container "app" fails ${check}; `));
            assert.match(found[0], new RegExp(`${LEAST_PRIVILEGE_PREFIX}/app`));
            const excepted = deployment({ ...BREAKS[check], annotations: leastPrivilegeAnnotations({ app: { checks: [check], reason: "because" } }) });
            assert.deepEqual(await resourceViolations(containersLeastPrivilege, excepted), []);
        });
    }

    it("an exception lets off only the checks it names", async () => {
        const sc = { ...HARDENED, privileged: true, readOnlyRootFilesystem: false };
        const found = await resourceViolations(
            containersLeastPrivilege,
            deployment({ sc, annotations: leastPrivilegeAnnotations({ app: { checks: ["privileged"], reason: "x" } }) }),
        );
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0], /fails writable-root; set readOnlyRootFilesystem: true/);
    });

    it("an exception without a reason, with an unknown check, or for a check the container passes is refused", async () => {
        const key = `${LEAST_PRIVILEGE_PREFIX}/app`;
        const cases: Array<[string, RegExp]> = [
            ["writable-root", /is not "<checks>: <reason>"/],
            ["root-ish: x", /names unknown checks root-ish/],
            ["seccomp: the profile blocks it", /excepts seccomp, which container "app" does not need/],
        ];
        for (const [value, message] of cases) {
            const found = await resourceViolations(containersLeastPrivilege, deployment({ annotations: { [key]: value } }));
            assert.equal(found.length, 1, `${value}: ${found.join("\n")}`);
            assert.match(found[0], message);
        }
    });

    it("init containers are held to it too", () => {
        assert.deepEqual(leastPrivilegeFailures(POD_SC, { securityContext: {} }), ["capabilities", "privilege-escalation", "writable-root"]);
    });
});

describe("policy: pods-no-idle-api-token", () => {
    it("a pod that mounts a token without saying which calls it makes is refused; false or a reason passes", async () => {
        const mounting = deployment({ spec: { automountServiceAccountToken: undefined } });
        const found = await resourceViolations(podsNoIdleToken, mounting);
        assert.equal(found.length, 1);
        assert.match(found[0], /mounts a ServiceAccount token; set automountServiceAccountToken: false/);
        assert.deepEqual(await resourceViolations(podsNoIdleToken, deployment()), []);
        const reasoned = deployment({ spec: { automountServiceAccountToken: true }, annotations: { [API_TOKEN_REASON]: "lists pods" } });
        assert.deepEqual(await resourceViolations(podsNoIdleToken, reasoned), []);
        const empty = deployment({ spec: { automountServiceAccountToken: true }, annotations: { [API_TOKEN_REASON]: " " } });
        assert.equal((await resourceViolations(podsNoIdleToken, empty)).length, 1);
    });
});

describe("policy: workloads-network-policies", () => {
    const policy = (name: string, spec: Obj): Subject => ({
        type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        name,
        props: { metadata: { name, namespace: NS }, spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "app" } }, ...spec } },
    });
    const both = policy("both", { policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });
    const ingressOnly = policy("in", { policyTypes: ["Ingress"], ingress: [] });

    it("a workload of the program needs an ingress and an egress policy; the message names what is missing", async () => {
        assert.deepEqual(await stackViolations(workloadsNetworkPolicies, [deployment(), both]), []);
        const found = await stackViolations(workloadsNetworkPolicies, [deployment(), ingressOnly]);
        assert.equal(found.length, 1);
        assert.match(found[0].message, /restricts its egress; add one selecting .* with policyTypes \["Egress"\]/);
        assert.match((await stackViolations(workloadsNetworkPolicies, [deployment()]))[0].message, /restricts its ingress and egress/);
        // in another namespace, it fences nothing here
        const elsewhere = { ...both, props: { ...both.props, metadata: { name: "both", namespace: "other" } } };
        assert.equal((await stackViolations(workloadsNetworkPolicies, [deployment(), elsewhere])).length, 1);
    });

    it("a named exception passes; the chart's pods (not the program's label) are the chart's rules' business", async () => {
        assert.deepEqual(await stackViolations(workloadsNetworkPolicies, [deployment({ annotations: { [NETWORK_POLICY_EXCEPTION]: "host network" } })]), []);
        assert.deepEqual(await stackViolations(workloadsNetworkPolicies, [deployment({ labels: { app: "jupyterhub", component: "user-scheduler" } })]), []);
    });
});
