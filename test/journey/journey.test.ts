// The dev stack's journey on the real node (issue 29 D), through the real engine without skipAwait:
// `pulumi up` waits for every Deployment and StatefulSet to be Ready and every Job to complete, on
// pods of the stand-in images (docs/images.md) that the node runs. Then what a user does: an LDAP
// user logs in over HTTP through the proxy's NodePort (the real hub image, the chart's own
// jupyterhub_config.py, LDAPAuthenticator, the directory, MySQL), is refused a profile of a group
// they are not in, starts a server (a pod KubeSpawner makes), writes a file in their home and one
// in the shared folder through the server's contents API, stops and starts it and reads both back.
// What an operator does: the directory's sync Job, each backup CronJob run once, the restore steps
// of docs/operations.md reading the dumps; `pulumi destroy` then `pulumi up`: the same user logs
// in with the same password and finds their files; then a preview with nothing to change.
//
// Run by .ci/journey.sh (`npm run test:journey`): a private control plane, the real node, the
// stand-in images imported under their real references, the hostPath provisioner's ReadWriteMany
// class (.ci/local-path.sh) and the real chart. Each step prints its time (`# journey timing`).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { EngineProject, waitFor } from "../support/engine-project";
import { hubBase, installJourneyClass, journeyConfig, notReady, until, User } from "../support/journey";

const STACK = "journey";
const USER = "demo";
/** A user of the directory outside ldap.allowedGroups (Pulumi.dev.yaml). */
const OUTSIDER = "outsider";
const NON_MEMBER_PROFILE = "gpu";
const HOME_FILE = "journey-home.txt";
const SHARED_FILE = "shared/journey-shared.txt";
const project = new EngineProject(STACK);
const kubectl = (args: string[], input?: string) => project.kubectl(["--request-timeout=30s", ...args], input);
const timings: Array<[string, number]> = [];

/** Runs `fn`, records its wall time under `label` and prints it. */
async function timed<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
        return await fn();
    } finally {
        const s = (Date.now() - t0) / 1000;
        timings.push([label, s]);
        console.log(`# journey timing ${label} ${s.toFixed(1)}s`);
    }
}
const pulumi = (label: string, args: string[]) => timed(label, () => project.pulumi(args));
const NS = project.devConfig()["jupyterhub:namespace"] as string;

const passwords = () => JSON.parse(project.pulumi(["stack", "output", "ldapUserPasswords", "--show-secrets", "--json"])) as Record<string, string>;
const userPod = () => kubectl(["get", "pods", "-n", NS, "-l", `component=singleuser-server,hub.jupyter.org/username=${USER}`, "-o", "name"]);
const hubLog = () => kubectl(["logs", "-n", NS, "deploy/hub", "--since=10m"]);
/** Runs `fn`; a failure carries the last lines of the hub's and the proxy's logs. */
async function withLogs<T>(fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (e) {
        const tail = (d: string) => project.run("kubectl", ["logs", "-n", NS, `deploy/${d}`, "--tail=25"]);
        throw new Error(`${(e as Error).message}\n--- hub\n${tail("hub")}\n--- proxy\n${tail("proxy")}`, { cause: e });
    }
}
const complete = (job: string, seconds = 300) => kubectl(["wait", "-n", NS, "--for=condition=complete", `job/${job}`, `--timeout=${seconds}s`]);

describe("the dev stack's journey on the real node, through the real engine without skipAwait", () => {
    const stamp = new Date().toISOString();
    let firstPassword = "";
    let base = "";

    before(() => {
        console.log(`# ${project.describe()}`);
        project.initStack(STACK, journeyConfig(project, installJourneyClass()));
    });

    after(() => {
        for (const [label, s] of timings) console.log(`# journey ${label}: ${s.toFixed(1)} s`);
        project.remove();
    });

    it("pulumi up (no skipAwait): every Deployment and StatefulSet Ready, every Job complete, every pod on the real node", async () => {
        await pulumi("up", ["up", "--yes", "--skip-preview"]);
        assert.deepEqual(notReady(project), []);
        base = hubBase(project, NS);
        const health = await fetch(`${base}/hub/health`);
        assert.equal(health.status, 200, "/hub/health through the proxy");
    });

    it(`${USER} logs in through the proxy with the stack's password (a wrong one and ${OUTSIDER} refused), and is refused the ${NON_MEMBER_PROFILE} profile (not in its group) before any pod`, async () => {
        firstPassword = passwords()[USER];
        assert.ok(firstPassword, `ldapUserPasswords has ${USER}`);
        const user = new User(USER, base);
        await timed("login", () => user.login(firstPassword));
        // The chart's config sets slow_spawn_timeout to 0: the hub answers 202 at once and the
        // refusal comes with the spawn, which fails; the spawn page shows its message while the
        // failure is fresh (a race), the hub's log always.
        const refused = await user.call("POST", `/hub/api/users/${USER}/server`, { profile: NON_MEMBER_PROFILE });
        assert.equal(refused.status, 202, refused.text);
        const why = `The profile '${NON_MEMBER_PROFILE}' is only for members of the groups ${NON_MEMBER_PROFILE}, and ${USER} is in none of them`;
        await until(() => hubLog().includes(`Error starting ${USER}'s server: HTTP 403: Forbidden (${why})`), "the refusal in the hub's log", 60);
        await until(async () => (await user.server()) === undefined, `${USER}'s refused spawn cleared`, 60);
        assert.equal(userPod(), "", "no pod for the refused profile");
        const wrong = new User(USER, base);
        await assert.rejects(() => wrong.login(`${firstPassword}x`), /POST \/hub\/login answers 302/, "a wrong password is refused");
        const outsider = new User(OUTSIDER, base);
        await assert.rejects(() => outsider.login(passwords()[OUTSIDER]), /POST \/hub\/login answers 302/, `${OUTSIDER} (not in the allowed group) is refused`);
        assert.match(hubLog(), new RegExp(`User '${OUTSIDER}' not allowed`), "refused by the allowed-groups check, not by the bind");
    });

    it(`${USER} starts a server (a pod KubeSpawner makes on the node), writes a file in the home and in the shared folder, stops and starts it, and reads both back`, async () => {
        const user = new User(USER, base);
        await user.login(firstPassword);
        await timed("server-start", () => user.start("standard"));
        assert.match(userPod(), /^pod\/jupyter-demo$/m);
        await timed("write-files", async () => {
            await user.write(HOME_FILE, `home ${stamp}`);
            await user.write(SHARED_FILE, `shared ${stamp}`);
        });
        await timed("server-stop", () => user.stop());
        waitFor(() => userPod() === "", `${USER}'s pod deleted`);
        await timed("server-restart", () => user.start("standard"));
        assert.equal(await user.read(HOME_FILE), `home ${stamp}`);
        assert.equal(await user.read(SHARED_FILE), `shared ${stamp}`);
    });

    it("the directory's sync Job completed on the node and says what it did", () => {
        const jobs = kubectl(["get", "jobs", "-n", NS, "-o", "jsonpath={.items[*].metadata.name}"]).split(" ");
        const sync = jobs.find((j) => j.startsWith("openldap-sync-"));
        assert.ok(sync, `a sync Job among ${jobs.join(", ")}`);
        complete(sync, 10);
        console.log(
            `# sync: ${kubectl(["logs", "-n", NS, `job/${sync}`])
                .trim()
                .split("\n")
                .slice(-3)
                .join(" | ")}`,
        );
    });

    it("each backup CronJob run once writes its dump, and the restore steps of docs/operations.md read them back", async () => {
        const cronJobs = kubectl(["get", "cronjobs", "-n", NS, "-o", "jsonpath={.items[*].metadata.name}"]).split(" ").filter(Boolean);
        assert.deepEqual(cronJobs.sort(), ["backup-directory", "backup-hub-db"]);
        const dumps: Record<string, string> = {};
        for (const cj of cronJobs) {
            await timed(cj, () => {
                kubectl(["create", "job", `${cj}-journey`, `--from=cronjob/${cj}`, "-n", NS]);
                complete(`${cj}-journey`);
            });
            const log = kubectl(["logs", "-n", NS, `job/${cj}-journey`]);
            const file = /(?:dumped|exported) .* to \/backups\/(\S+?):? /.exec(log)?.[1];
            assert.ok(file, `${cj}'s log names its dump: ${log}`);
            dumps[cj] = file;
            console.log(`# ${cj}: ${log.trim().split("\n").at(-1)}`);
        }
        // docs/operations.md "Restore, step by step": the hub stopped, a Job from each CronJob with the restore script
        kubectl(["scale", "-n", NS, "deploy/hub", "--replicas=0"]);
        for (const [cj, script, job] of [
            ["backup-hub-db", "restore-hub-db.sh", "restore-hub-db"],
            ["backup-directory", "restore-directory.sh", "restore-directory"],
        ]) {
            await timed(job, () => {
                const made = kubectl(["create", "job", job, `--from=cronjob/${cj}`, "-n", NS, "--dry-run=client", "-o", "json"]);
                const spec = JSON.parse(made) as { spec: { template: { spec: { containers: Array<{ command: string[] }> } } } };
                spec.spec.template.spec.containers[0].command = ["sh", `/scripts/${script}`, dumps[cj]];
                kubectl(["apply", "-n", NS, "-f", "-"], JSON.stringify(spec));
                complete(job);
            });
            const log = kubectl(["logs", "-n", NS, `job/${job}`]).trim();
            assert.match(log, /^restored /m, `${job}: ${log}`);
            console.log(`# ${job}: ${log.split("\n").at(-1)}`);
            kubectl(["delete", "job", job, "-n", NS]);
        }
        kubectl(["scale", "-n", NS, "deploy/hub", "--replicas=1"]);
        kubectl(["rollout", "status", "-n", NS, "deploy/hub", "--timeout=300s"]);
        // the hub Ready is not yet the proxy's route to it: wait for /hub/health through the proxy
        await timed("hub-health-after-restore", () =>
            until(
                async () => (await fetch(`${base}/hub/health`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined))?.status === 200,
                "/hub/health through the proxy",
                120,
            ),
        );
        const user = new User(USER, base);
        await timed("login-after-restore", () => withLogs(() => user.login(firstPassword)));
        assert.equal(await user.read(HOME_FILE), `home ${stamp}`, "the running server still serves the home");
        await user.stop();
        for (const cj of cronJobs) kubectl(["delete", "job", `${cj}-journey`, "-n", NS]);
    });

    it(`pulumi destroy then pulumi up: ${USER} logs in with the same password and finds the files; then nothing to change`, async () => {
        await pulumi("destroy", ["destroy", "--yes", "--skip-preview"]);
        await pulumi("up-again", ["up", "--yes", "--skip-preview"]);
        assert.deepEqual(notReady(project), []);
        assert.equal(passwords()[USER], firstPassword, "the same password");
        base = hubBase(project, NS);
        const user = new User(USER, base);
        await user.login(firstPassword);
        await timed("server-start-again", () => user.start("standard"));
        assert.equal(await user.read(HOME_FILE), `home ${stamp}`);
        assert.equal(await user.read(SHARED_FILE), `shared ${stamp}`);
        await pulumi("preview", ["preview", "--expect-no-changes", "--diff"]);
    });
});
