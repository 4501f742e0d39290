// backup.enabled false (under mocks): nothing of the backups is created, and the hub waits for nothing more.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { ProgramRun, runProgram } from "../support/program";

let run: ProgramRun;
before(async () => {
    run = await runProgram("dev", { "jupyterhub:backup": { enabled: false } });
});

describe("program (dev stack, backups off)", () => {
    it("creates no CronJob, no Job but the directory's sync, no backup claim, Secret, ConfigMap or policy", () => {
        assert.equal(run.ofType("jupyterhub:index:Backup").length, 0);
        assert.equal(run.ofType("kubernetes:batch/v1:CronJob").length, 0);
        assert.equal(run.ofType("kubernetes:batch/v1:Job").length, 1);
        const backupObjects = run.resources.filter(
            (r) => r.type.startsWith("kubernetes:") && /backup/.test(JSON.stringify((r.inputs.metadata as object) ?? {})),
        );
        assert.deepEqual(
            backupObjects.map((r) => r.name),
            [],
        );
        const hub = run.resources.find((r) => r.type === "jupyterhub:index:JupyterHub")!;
        assert.deepEqual(hub.dependsOn.sort(), ["mysql", "nfs", "openldap"]);
    });
});
