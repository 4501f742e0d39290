// The dev stack's objects against a real kube-apiserver (see test/support/apiserver-harness.ts for what this covers).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

import { apiServerSuite, kubectl } from "../support/apiserver-harness";
import { devStackObjects } from "../support/dev-objects";
import { ROOT } from "../support/helpers";

const NS = "jhub-apiserver";

apiServerSuite({ stack: "dev", namespace: NS, expected: devStackObjects(NS) });

// After the suite above has applied the CronJobs: the restore steps of docs/operations.md, with
// the patch taken from the document itself, make Jobs the API server accepts, which run the
// restore script in the CronJob's own pod (its labels, which the NetworkPolicies admit, its
// volumes and credentials).
describe("real kube-apiserver: the restore steps of docs/operations.md", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "operations.md"), "utf8");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-restore-"));
    for (const [cron, job] of [
        ["backup-hub-db", "restore-hub-db"],
        ["backup-directory", "restore-directory"],
    ]) {
        it(`a Job made from CronJob ${cron} runs /scripts/${job}.sh with the CronJob's pod, and the API server accepts it`, () => {
            assert.ok(doc.includes(`kubectl -n $NS create job ${job} --from=cronjob/${cron} --dry-run=client -o json > ${job}.json`), `the ${job} step`);
            const patch = new RegExp(`kubectl patch --local -f ${job}\\.json --type=json -o json -p '([^']+)' \\| kubectl -n \\$NS apply -f -`).exec(doc)?.[1];
            assert.ok(patch, `the document's patch for ${job}`);
            const file = path.join(work, `${job}.json`);
            fs.writeFileSync(file, kubectl(["-n", NS, "create", "job", job, `--from=cronjob/${cron}`, "--dry-run=client", "-o", "json"]));
            const patched = kubectl(["patch", "--local", "-f", file, "--type=json", "-o", "json", "-p", patch]);
            assert.match(kubectl(["-n", NS, "apply", "--dry-run=server", "-f", "-"], patched), new RegExp(`job.batch/${job} created \\(server dry run\\)`));

            type Pod = { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ command: string[] }>; volumes: Array<{ name: string }> } };
            const made = JSON.parse(patched) as { spec: { template: Pod } };
            const cronPod = (JSON.parse(kubectl(["-n", NS, "get", "cronjob", cron, "-o", "json"])) as { spec: { jobTemplate: { spec: { template: Pod } } } })
                .spec.jobTemplate.spec.template;
            const [sh, script, dump] = made.spec.template.spec.containers[0].command;
            assert.deepEqual([sh, script], ["sh", `/scripts/${job}.sh`]);
            assert.match(dump, cron === "backup-hub-db" ? /^hub-db\/hub-db-\d{8}T\d{6}Z\.sql$/ : /^directory\/directory-\d{8}T\d{6}Z\.ldif$/);
            for (const [k, v] of Object.entries(cronPod.metadata.labels)) assert.equal(made.spec.template.metadata.labels[k], v, k);
            assert.deepEqual(
                made.spec.template.spec.volumes.map((v) => v.name),
                cronPod.spec.volumes.map((v) => v.name),
            );
            const scripts = JSON.parse(kubectl(["-n", NS, "get", "configmap", "backup-scripts", "-o", "json"])) as { data: Record<string, string> };
            assert.ok(scripts.data[`${job}.sh`], `${job}.sh is in the ConfigMap the pod mounts`);
        });
    }
});
