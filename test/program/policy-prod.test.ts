// The policy pack against everything the prod program registers (under mocks), with its secrets
// set as `pulumi config set --secret` would and policy/config.prod.json. One program run per process.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { isJupyterHubChart, podOf } from "../../policy/rules";
import { loadPackConfig, packViolations, Subject } from "../support/policy-harness";
import { reveal, runProgram } from "../support/program";

let subjects: Subject[];
before(async () => {
    const run = await runProgram("prod", {}, { mysqlPassword: "Ext3rnal-MySQL-pw", ldapBindPassword: "Search-User-pw-123" });
    subjects = run.resources.map((r) => ({ type: r.type, name: r.name, props: reveal(r.inputs) as Record<string, unknown> }));
});

describe("policy pack on the prod program (under mocks)", () => {
    it("no resource and no stack policy reports a violation with the prod policy config", async () => {
        assert.deepEqual(await packViolations(subjects, loadPackConfig("prod")), []);
    });

    it("the rules had the prod objects to judge: the CSI driver's pods, the backup pods, the LDAP CA ConfigMap, the chart", () => {
        const pods = subjects.map((s) => podOf(s.type, s.props, s.name)?.object).filter((o) => o !== undefined);
        assert.deepEqual(pods.sort(), [
            'CronJob "jupyterhub/backup-hub-db"',
            'DaemonSet "jupyterhub-storage/csi-nfs-node"',
            'Deployment "jupyterhub-storage/csi-nfs-controller"',
            'Job "jupyterhub/hub-db-before-chart-4-4-0-mysql-8-4-7"',
        ]);
        assert.ok(subjects.some((s) => s.type === "kubernetes:core/v1:ConfigMap" && (s.props.metadata as { name: string }).name === "jupyterhub-ldap-ca"));
        const charts = subjects.filter((s) => s.type === "kubernetes:helm.sh/v4:Chart" && isJupyterHubChart(s.props));
        assert.equal(charts.length, 1);
        // The values carry no secret; the hub's Secret does, and the analyzer judges it as a Secret.
        assert.doesNotMatch(JSON.stringify(charts[0].props.values), /Search-User-pw-123/);
        const hubSecret = subjects.find((s) => s.type === "kubernetes:core/v1:Secret" && (s.props.metadata as { name: string }).name === "hub-secrets");
        assert.match(JSON.stringify(hubSecret?.props.stringData), /Search-User-pw-123/);
    });
});
