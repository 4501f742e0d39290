// The backups of the prod stack (under mocks): an external MySQL server is dumped with the
// configured hub user's password; the external directory is the site's to back up.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { mysqlClientOptions, preUpgradeJobName } from "../../components/backup";
import { MYSQL_IMAGE } from "../../config";
import { at, get } from "../support/helpers";
import { ProgramRun, reveal, runProgram } from "../support/program";

const MYSQL_PASSWORD = 'Ext3rnal "MySQL" pw#1';
let run: ProgramRun;
before(async () => {
    run = await runProgram("prod", {}, { mysqlPassword: MYSQL_PASSWORD, ldapBindPassword: "Search-User-pw-123" });
});

const names = () =>
    run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => `${r.type.split(":").pop()}/${String(get(r.inputs, "metadata.name"))}`);

describe("program (prod stack): backups of an external database", () => {
    it("dumps the external server as the hub user, with the secret key mysqlPassword in the options file", () => {
        const data = reveal(run.byName("backup-hub-db", "Secret").inputs);
        assert.equal(
            at(data, "stringData", "client.cnf"),
            mysqlClientOptions({ host: "mysql.example.org", port: 3306, user: "jupyterhub", password: MYSQL_PASSWORD }),
        );
        assert.ok(names().includes("CronJob/backup-hub-db"));
        assert.ok(names().includes(`Job/${preUpgradeJobName("4.4.0", "mysql:8.4.7")}`));
        // No mysql.image with an external server: the client is the image in-cluster servers run.
        const cron = reveal(run.byName("backup-hub-db", "CronJob").inputs);
        assert.equal(get(cron, "spec.jobTemplate.spec.template.spec.containers.0.image"), MYSQL_IMAGE);
        assert.equal(MYSQL_IMAGE, "mysql:8.4.7");
    });

    it("the database pods may reach port 3306 anywhere (the server is outside the cluster) and DNS, nothing else", () => {
        const policy = reveal(run.byName("backup-hub-db-egress").inputs);
        assert.deepEqual(get(policy, "spec.egress"), [
            {
                ports: [
                    { port: 53, protocol: "UDP" },
                    { port: 53, protocol: "TCP" },
                ],
            },
            { ports: [{ port: 3306, protocol: "TCP" }] },
        ]);
    });

    it("no directory export, no policy on in-cluster servers that do not exist; the claim is on the site's export", () => {
        for (const absent of [
            "CronJob/backup-directory",
            "NetworkPolicy/backup-to-mysql",
            "NetworkPolicy/backup-to-openldap",
            "NetworkPolicy/backup-directory",
        ]) {
            assert.ok(!names().includes(absent), absent);
        }
        const scripts = Object.keys(get(reveal(run.byName("backup-scripts").inputs), "data") as object);
        assert.deepEqual(scripts.sort(), ["dump-hub-db.sh", "restore-hub-db.sh"]);
        const claim = run.byName("backup-data");
        assert.equal(get(claim.inputs, "spec.storageClassName"), "jupyterhub-home");
        assert.equal(claim.retainOnDelete, true);
    });
});
