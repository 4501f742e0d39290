// The policy pack against everything the dev program registers (under mocks): each resource's
// inputs, secrets revealed as the analyzer sees them, through the resource policies, the whole set
// through the stack policies, with policy/config.dev.json. One program run per process.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { PRIVILEGED_REASON } from "../../lib/pods";
import { isJupyterHubChart, podOf } from "../../policy/rules";
import { loadPackConfig, packViolations, Subject } from "../support/policy-harness";
import { reveal, runProgram } from "../support/program";

let subjects: Subject[];
before(async () => {
    const run = await runProgram("dev");
    subjects = run.resources.map((r) => ({ type: r.type, name: r.name, props: reveal(r.inputs) as Record<string, unknown> }));
});

describe("policy pack on the dev program (under mocks)", () => {
    it("no resource and no stack policy reports a violation with the dev policy config", async () => {
        assert.deepEqual(await packViolations(subjects, loadPackConfig("dev")), []);
    });

    it("the rules had the platform's objects to judge: every workload, the chart, both backends", () => {
        const pods = subjects.map((s) => podOf(s.type, s.props, s.name)?.object).filter((o) => o !== undefined);
        assert.deepEqual(
            pods.sort(),
            [
                'CronJob "jupyterhub-dev/backup-directory"',
                'CronJob "jupyterhub-dev/backup-hub-db"',
                'DaemonSet "jupyterhub-dev-storage/csi-nfs-node"',
                'Deployment "jupyterhub-dev-storage/csi-nfs-controller"',
                'Deployment "jupyterhub-dev-storage/nfs-server"',
                'Deployment "jupyterhub-dev/openldap"',
                'Job "jupyterhub-dev/hub-db-before-chart-4-4-0-mysql-8-4-7"',
                'StatefulSet "jupyterhub-dev/mysql"',
                ...pods.filter((o) => o.startsWith('Job "jupyterhub-dev/openldap-sync-')),
            ].sort(),
        );
        assert.equal(pods.filter((o) => o.startsWith("Job ")).length, 2);
        assert.equal(subjects.filter((s) => s.type === "kubernetes:helm.sh/v4:Chart" && isJupyterHubChart(s.props)).length, 1);
        const backends = subjects.filter((s) => s.type === "kubernetes:core/v1:Service").map((s) => (s.props.metadata as { name: string }).name);
        assert.ok(backends.includes("mysql") && backends.includes("openldap"), backends.join(", "));
    });

    it("the pods exempt from the non-root rule are exactly the annotated NFS server and CSI driver", () => {
        const exempt = subjects
            .map((s) => podOf(s.type, s.props, s.name))
            .filter((p) => p?.annotations[PRIVILEGED_REASON] !== undefined)
            .map((p) => p!.object);
        assert.deepEqual(exempt.sort(), [
            'DaemonSet "jupyterhub-dev-storage/csi-nfs-node"',
            'Deployment "jupyterhub-dev-storage/csi-nfs-controller"',
            'Deployment "jupyterhub-dev-storage/nfs-server"',
        ]);
    });

    it("the same stack under the prod policy config is refused for its NodePort proxy", async () => {
        const found = await packViolations(subjects, loadPackConfig("prod"));
        assert.deepEqual(
            found.map((v) => v.policy),
            ["external-services-allowed"],
        );
        assert.match(found[0].message, /^Chart "jupyterhub": values\.proxy\.service\.type NodePort exposes Service "proxy-public"/);
    });

    it("without the NetworkPolicies that admit the hub and the backups to MySQL, the stack policy names the MySQL Service", async () => {
        const mysqlPolicies = ["mysql", "backup-to-mysql"];
        const withoutPolicy = subjects.filter((s) => !(s.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && mysqlPolicies.includes(s.name)));
        assert.equal(withoutPolicy.length, subjects.length - 2);
        const found = await packViolations(withoutPolicy, loadPackConfig("dev"));
        // MySQL's pods are then fenced by no policy either (the backups' admit them, not fence them).
        assert.deepEqual(found.map((v) => v.policy).sort(), ["mysql-ldap-network-policies", "workloads-network-policies"]);
        assert.match(
            found.find((v) => v.policy === "workloads-network-policies")!.message,
            /^StatefulSet "jupyterhub-dev\/mysql": no NetworkPolicy in namespace "jupyterhub-dev" restricts its ingress and egress; /,
        );
        assert.match(
            found.find((v) => v.policy === "mysql-ldap-network-policies")!.message,
            /^Service "jupyterhub-dev\/mysql" \(mysql\) has no NetworkPolicy in namespace "jupyterhub-dev" selecting its pods \{.*"app.kubernetes.io\/name":"mysql"/,
        );
    });
});
