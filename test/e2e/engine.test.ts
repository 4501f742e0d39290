// The real Pulumi engine against a real Kubernetes API server, as a user drives it: the first
// preview of a new stack, up, no-op previews, the proxy's token as the hub and the proxy read it
// and its rotation, a chart value changed and applied, secrets in the state, destroy keeping the
// data, up again over the kept data, a second hub beside the first, names taken by somebody else
// refused, and destroy with the data deleted.
//
// Run by .ci/e2e.sh, which finds `pulumi` on PATH (else prints one SKIPPED line and runs
// nothing), starts the local control plane (.ci/cluster.sh) and sets KUBECONFIG. The chart is
// the one at JUPYTERHUB_CHART_DIR (the real z2jh chart, as a user without the chart repository
// keeps it), else the stand-in of standin-chart.ts; the output says which. The cluster has no
// kubelets: kwok marks pods running, PVCs bind only to PVs made by hand and Jobs never finish, so
// the stack sets `skipAwait: true`: readiness waits are NOT tested here.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { COOKIE_SECRET_KEY, HUB_SECRET, PROXY_TOKEN_KEY } from "../../components/hub";
import { proxyTokenFingerprint } from "../../components/secrets";
import { CLUSTER_SCOPED_KINDS, devStackObjects, namespaceOf } from "../support/dev-objects";
import { ROOT } from "../support/helpers";
import { EngineProject, waitFor } from "../support/engine-project";
import { assertOneToken, deployment } from "../support/proxy-token";
import { plainTextLeaks, stateSecrets } from "../support/plain-text";
import { STANDIN_OBJECTS } from "../support/standin-chart";

const NS = "jhub-e2e";
/** The in-cluster NFS server's and csi-driver-nfs's namespace. */
const STORAGE_NS = `${NS}-storage`;
const STACK = "e2e";
const project = new EngineProject(STACK);
const realChart = project.realChart;

/**
 * The chart's objects for the dev stack's values. The real z2jh 4.4.0 chart renders 23 (no
 * ingress, no pre-puller hook, no image-pull secret, no priority classes); the stand-in five.
 */
const REAL_CHART_OBJECTS = [
    // Cluster-wide, named after the release, which the program names after the namespace.
    `ClusterRole/${NS}-user-scheduler`,
    `ClusterRoleBinding/${NS}-user-scheduler`,
    "ConfigMap/hub",
    "ConfigMap/user-scheduler",
    "DaemonSet/continuous-image-puller",
    "Deployment/hub",
    "Deployment/proxy",
    "Deployment/user-scheduler",
    "NetworkPolicy/hub",
    "NetworkPolicy/proxy",
    "NetworkPolicy/singleuser",
    "PodDisruptionBudget/user-placeholder",
    "PodDisruptionBudget/user-scheduler",
    "Role/hub",
    "RoleBinding/hub",
    "Secret/hub",
    "Service/hub",
    "Service/proxy-api",
    "Service/proxy-public",
    "ServiceAccount/continuous-image-puller",
    "ServiceAccount/hub",
    "ServiceAccount/user-scheduler",
    "StatefulSet/user-placeholder",
];
const CHART_OBJECTS = realChart ? REAL_CHART_OBJECTS : STANDIN_OBJECTS;

function pulumi(args: string[], label?: string, stack = STACK): string {
    return project.pulumi(args, { label, stack });
}

function pulumiFails(args: string[], stack: string): string {
    return project.pulumiFails(args, { stack });
}

const kubectl = (args: string[], input?: string) => project.kubectl(args, input);

/** Whether the object exists; `namespace` null for cluster-scoped kinds. */
const exists = (kind: string, name: string, namespace: string | null = NS) => project.exists(kind, name, namespace ?? undefined);

const kindOf = (o: string) => o.split("/")[0];
const nameOf = (o: string) => o.slice(o.indexOf("/") + 1);
const isClusterScoped = (o: string) => CLUSTER_SCOPED_KINDS.includes(kindOf(o));
const exists1 = (o: string, ns = NS) => exists(kindOf(o), nameOf(o), isClusterScoped(o) ? null : namespaceOf(o, ns));
const jsonpath = (kind: string, name: string, expr: string, ns: string | null = NS) =>
    kubectl(["get", kind, name, ...(ns ? ["-n", ns] : []), "-o", `jsonpath=${expr}`]);

/** Every object of the program outside the chart but the LDAP sync Job, whose name carries a hash. */
const PROGRAM_OBJECTS = devStackObjects(NS).filter((o) => !o.startsWith("Job/openldap-sync-"));
/** The backups' schedules and the dump before an upgrade (components/backup.ts). */
const BACKUP_CRONJOBS = ["CronJob/backup-hub-db", "CronJob/backup-directory"];
const PRE_UPGRADE_JOB = "Job/hub-db-before-chart-4-4-0-mysql-8-4-7";
/** What a retaining `pulumi destroy` leaves, besides the namespace and the shared and group shares' PVs. */
const KEPT = [
    "PersistentVolumeClaim/nfs-server-data",
    "PersistentVolumeClaim/jupyterhub-shared",
    "PersistentVolumeClaim/jupyterhub-group-shares",
    "PersistentVolumeClaim/openldap-data",
    "PersistentVolumeClaim/mysql-data",
    "PersistentVolumeClaim/backups",
    "Service/nfs-server",
    // The keys the kept data open with (components/data-key.ts).
    "Secret/data-key",
];

interface PreviewStep {
    op: string;
    urn: string;
    newState?: { type: string; inputs?: Record<string, unknown> };
    oldState?: { type: string; inputs?: Record<string, unknown> };
}
interface Preview {
    steps: PreviewStep[];
    diagnostics?: Array<{ message: string; severity: string }>;
}

function preview(extra: string[] = [], label?: string, stack = STACK): Preview {
    return JSON.parse(pulumi(["preview", "--json", ...extra], label, stack)) as Preview;
}

/** "Kind/name" of a step's Kubernetes object, or the resource's own name for anything else. */
function stepObject(s: PreviewStep): string {
    const state = (s.newState ?? s.oldState)!;
    // A Patch (the namespaces' default ServiceAccounts, issue 34) names the object it patches.
    const kind = state.type
        .split(":")
        .pop()!
        .replace(/Patch$/, "");
    const md = (state.inputs?.metadata ?? {}) as { name?: string };
    return `${kind}/${md.name ?? s.urn.split("::").pop()}`;
}

const isKubernetesObject = (s: PreviewStep) => {
    const t = (s.newState ?? s.oldState)!.type;
    return t.startsWith("kubernetes:") && !t.startsWith("kubernetes:helm.sh");
};

function decodeSecret(name: string): Record<string, string> {
    const s = JSON.parse(kubectl(["get", "secret", name, "-n", NS, "-o", "json"])) as { data: Record<string, string> };
    return Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

const initStack = (stack: string, config: Record<string, unknown>) => project.initStack(stack, config);
const DATA_KEY = crypto.randomBytes(32).toString("base64");

/** The credentials of the deployed stack, as its pods get them (the live Secrets) and as its outputs give them. */
function credentials(): Record<string, string> {
    const mysql = decodeSecret("mysql-credentials");
    const ldap = decodeSecret("openldap-bootstrap");
    const hub = decodeSecret("hub-secrets");
    const users = JSON.parse(pulumi(["stack", "output", "ldapUserPasswords", "--show-secrets", "--json"])) as Record<string, string>;
    return {
        "MySQL hub password (mysql-credentials/hub-password)": mysql["hub-password"],
        "MySQL init file (mysql-credentials/init.sql)": mysql["init.sql"],
        "hub database URL (hub-secrets)": (JSON.parse(hub["values.yaml"]) as { hub: { db: { url: string } } }).hub.db.url,
        "directory admin password (openldap-bootstrap/admin-password)": ldap["admin-password"],
        "directory rootpw (openldap-bootstrap/rootpw.conf)": ldap["rootpw.conf"],
        "every directory user's password (ldapUserPasswords)": JSON.stringify(users),
        "CryptKeeper key (hub-secrets)": hub["hub.config.CryptKeeper.keys"],
    };
}
const digest = (v: string) => crypto.createHash("sha256").update(v).digest("hex").slice(0, 12);

before(() => {
    console.log(`e2e: ${project.describe()}`);
    initStack(STACK, { "jupyterhub:namespace": NS });
    // As scripts/up-dev.sh sets one for a new stack: the credentials kept data depend on come from it.
    pulumi(["config", "set", "--secret", "dataKey", DATA_KEY]);
});

after(() => {
    project.printTimings("e2e");
    project.remove();
});

describe("real engine: the dev stack against a real API server", () => {
    it("1. the first preview of a new stack shows every object, the chart's included, with nothing unknown", () => {
        const p = preview([], "first preview");
        const creates = new Set(p.steps.filter((s) => s.op === "create").map(stepObject));
        const missing = [...PROGRAM_OBJECTS, ...CHART_OBJECTS].filter((o) => !creates.has(o));
        assert.deepEqual(missing, [], `the preview does not show: ${missing.join(", ")}`);
        assert.ok([...creates].some((o) => o.startsWith("Job/openldap-sync-")));
        const backups = [...BACKUP_CRONJOBS, PRE_UPGRADE_JOB].filter((o) => !creates.has(o));
        assert.deepEqual(backups, [], "the backup CronJobs and the dump before the hub are in the preview");
        const incomplete = (p.diagnostics ?? []).filter((d) => /unknown values|Preview is incomplete/i.test(d.message));
        assert.deepEqual(incomplete, []);
        // The provider SDK versions package.json pins are the plugins users' engines download: this run proves those.
        const plugins = (p.diagnostics ?? []).filter((d) => /resource plugin \S+ is expected to have version/.test(d.message)).map((d) => d.message.trim());
        assert.deepEqual(plugins, [], "pin the provider SDKs in package.json to the plugins on PATH, or put plugins of the pinned versions there");
        const chartCreates = p.steps.filter((s) => s.op === "create" && s.urn.includes("helm.sh/v4:Chart$") && !s.urn.includes("preflight"));
        assert.equal(chartCreates.length, CHART_OBJECTS.length, chartCreates.map(stepObject).join(", "));
    });

    it("2. up creates every object in the API server", () => {
        pulumi(["up", "--yes", "--skip-preview"], "up");
        const missing = [...PROGRAM_OBJECTS, ...CHART_OBJECTS].filter((o) => !exists1(o));
        assert.deepEqual(missing, []);
        assert.match(kubectl(["get", "jobs", "-n", NS, "-o", "name"]), /job\.batch\/openldap-sync-[0-9a-f]{16}/);
        for (const cron of BACKUP_CRONJOBS) {
            assert.equal(jsonpath("cronjob", nameOf(cron), "{.spec.schedule} {.spec.timeZone} {.spec.concurrencyPolicy}"), "17 2 * * * Etc/UTC Forbid", cron);
        }
        assert.ok(exists1(PRE_UPGRADE_JOB), PRE_UPGRADE_JOB);
    });

    it("2b. the proxy and the hub read one proxy token, the program's: through their secretKeyRefs, in the hub's existing Secret and in the state", () => {
        const one = assertOneToken(project, NS, HUB_SECRET, proxyTokenFingerprint);
        console.log(`e2e: proxy token after up: ${one.line}`);
        // The chart still generates a token of its own into its Secret; nothing reads it.
        assert.notEqual(decodeSecret("hub")[PROXY_TOKEN_KEY], one.token);
    });

    it("3. three previews in a row and an up right after find nothing to change", () => {
        for (let i = 1; i <= 3; i++) pulumi(["preview", "--expect-no-changes"], `no-op preview ${i}`);
        pulumi(["up", "--yes", "--expect-no-changes", "--skip-preview"], "no-op up");
    });

    it("3b. the policy pack passes the deployed stack, chart objects included, with the dev policy config", () => {
        const out = pulumi(
            ["preview", "--policy-pack", path.join(ROOT, "policy"), "--policy-pack-config", path.join(ROOT, "policy", "config.dev.json")],
            "preview with policy pack",
        );
        assert.match(out, /✅ jupyterhub-platform@v/);
    });

    it("4. a chart value changed is an in-place update of the hub Secret, rolled out by up; the proxy token stays, the proxy stays", () => {
        const token = decodeSecret(HUB_SECRET)[PROXY_TOKEN_KEY];
        const proxyGeneration = deployment(project, NS, "proxy").metadata.generation;
        const checksum = jsonpath("deployment", "hub", "{.spec.template.metadata.annotations}");
        pulumi(["config", "set", "--path", "singleuser.memoryLimit", "2G"]);
        const changed = preview(["--diff"], "value-change preview").steps.filter((s) => s.op !== "same" && isKubernetesObject(s));
        const described = changed.map((s) => `${s.op} ${stepObject(s)}`).sort();
        const expected = realChart ? ["Deployment/hub", "Secret/hub", "StatefulSet/user-placeholder"] : ["Deployment/hub", "Secret/hub"];
        assert.deepEqual(
            described,
            expected.map((o) => `update ${o}`),
        );
        pulumi(["up", "--yes", "--skip-preview"], "value-change up");
        assert.match(decodeSecret("hub")["values.yaml"], /limit: 2G/);
        assert.notEqual(jsonpath("deployment", "hub", "{.spec.template.metadata.annotations}"), checksum, "the hub rolls through its checksum");
        assert.equal(decodeSecret(HUB_SECRET)[PROXY_TOKEN_KEY], token, "the proxy token stays");
        assert.equal(deployment(project, NS, "proxy").metadata.generation, proxyGeneration, "the proxy does not roll");
        pulumi(["preview", "--expect-no-changes"], "preview after change");
    });

    it("4b. a new MySQL image replaces the dump Job by one named after it, and the hub's chart waits for the backups", () => {
        pulumi(["config", "set", "--path", "mysql.image", "mysql:8.4.8"]);
        const steps = preview(["--diff"], "MySQL image preview").steps.filter((s) => s.op !== "same" && isKubernetesObject(s));
        // A replacement shows the old object's name in oldState and the new one's in newState.
        const named = (st?: { type: string; inputs?: Record<string, unknown> }) =>
            st ? `${st.type.split(":").pop()}/${String((st.inputs?.metadata as { name?: string } | undefined)?.name)}` : undefined;
        const touched = new Set(steps.flatMap((s) => [named(s.newState), named(s.oldState)]).filter((o) => o !== undefined));
        // The server, the daily dump (it runs the server's own client) and the dump before the hub.
        assert.deepEqual(
            [...touched].sort(),
            ["CronJob/backup-hub-db", "Job/hub-db-before-chart-4-4-0-mysql-8-4-8", PRE_UPGRADE_JOB, "StatefulSet/mysql"].sort(),
        );
        assert.ok(steps.some((s) => s.op === "update" && named(s.newState) === "CronJob/backup-hub-db"));
        assert.ok(
            steps.some((s) => /replace/.test(s.op) && named(s.newState) === "Job/hub-db-before-chart-4-4-0-mysql-8-4-8"),
            steps.map((s) => `${s.op} ${stepObject(s)}`).join(", "),
        );
        pulumi(["up", "--yes", "--skip-preview"], "MySQL image up");
        assert.ok(exists("job", "hub-db-before-chart-4-4-0-mysql-8-4-8"));
        assert.ok(!exists1(PRE_UPGRADE_JOB));
        const state = JSON.parse(pulumi(["stack", "export"])) as { deployment: { resources: Array<{ urn: string; type: string; dependencies?: string[] }> } };
        const chart = state.deployment.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.urn.endsWith("::jupyterhub"))!;
        assert.ok(
            // A dependency on a component is recorded as one on each of its children.
            (chart.dependencies ?? []).some((d) => d.endsWith("jupyterhub:index:Backup$kubernetes:batch/v1:Job::backup-before-upgrade")),
            `the chart depends on the dump Job: ${(chart.dependencies ?? []).join(", ")}`,
        );
        pulumi(["preview", "--expect-no-changes"], "preview after MySQL image change");
    });

    it("4c. rotating the proxy token (up --replace its URN) changes the token, the hub's Secret and the hub and proxy Deployments, nothing else; then nothing", () => {
        const before = assertOneToken(project, NS, HUB_SECRET, proxyTokenFingerprint);
        const generation = (name: string) => deployment(project, NS, name).metadata.generation;
        const others = realChart ? ["user-scheduler"] : [];
        const generations = Object.fromEntries(["hub", "proxy", ...others].map((d) => [d, generation(d)]));
        const steps = preview(["--replace", before.urn], "rotation preview").steps.filter((s) => s.op !== "same");
        console.log(`e2e: rotation preview steps: ${steps.map((s) => `${s.op} ${stepObject(s)}`).join(", ")}`);
        assert.deepEqual([...new Set(steps.map(stepObject))].sort(), [
            "Deployment/hub",
            "Deployment/proxy",
            "Resource/hub-secrets-proxy-token",
            `Secret/${HUB_SECRET}`,
        ]);
        for (const s of steps) {
            if (stepObject(s).startsWith("Resource/")) assert.match(s.op, /replace/, `${s.op} ${stepObject(s)}`);
            else assert.equal(s.op, "update", `${s.op} ${stepObject(s)}: in place`);
        }
        pulumi(["up", "--yes", "--skip-preview", "--replace", before.urn], "rotation up");
        const after = assertOneToken(project, NS, HUB_SECRET, proxyTokenFingerprint);
        console.log(`e2e: proxy token after rotation: ${after.line}`);
        assert.notEqual(after.token, before.token);
        assert.equal(after.urn, before.urn, "the same resource, a new value");
        // One roll each of the hub and the proxy (one new pod template), none of the others.
        assert.deepEqual(
            Object.fromEntries(Object.keys(generations).map((d) => [d, generation(d) - generations[d]])),
            Object.fromEntries(Object.keys(generations).map((d) => [d, d === "hub" || d === "proxy" ? 1 : 0])),
        );
        pulumi(["preview", "--expect-no-changes"], "preview after rotation");
    });

    it("4c2. rotating the cookie secret (up --replace its URN, docs/operations.md) changes it and the hub's Secret only, not the token; the hub restarts by hand; then nothing", () => {
        const urn = project
            .resources()
            .find((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.urn.endsWith("HubSecrets$pulumi-nodejs:dynamic:Resource::hub-secrets-cookie"))?.urn;
        assert.ok(urn, "the cookie secret's resource, under the URN the docs give");
        const before = decodeSecret(HUB_SECRET);
        const hubGeneration = deployment(project, NS, "hub").metadata.generation;
        const steps = preview(["--replace", urn], "cookie rotation preview").steps.filter((s) => s.op !== "same");
        console.log(`e2e: cookie rotation preview steps: ${steps.map((s) => `${s.op} ${stepObject(s)}`).join(", ")}`);
        assert.deepEqual([...new Set(steps.map(stepObject))].sort(), ["Resource/hub-secrets-cookie", `Secret/${HUB_SECRET}`]);
        for (const s of steps) assert.match(s.op, stepObject(s) === `Secret/${HUB_SECRET}` ? /^update$/ : /replace/, `${s.op} ${stepObject(s)}`);
        pulumi(["up", "--yes", "--skip-preview", "--replace", urn], "cookie rotation up");
        const after = decodeSecret(HUB_SECRET);
        assert.notEqual(after[COOKIE_SECRET_KEY], before[COOKIE_SECRET_KEY]);
        assert.match(after[COOKIE_SECRET_KEY], /^[0-9a-f]{64}$/);
        assert.equal(after[PROXY_TOKEN_KEY], before[PROXY_TOKEN_KEY], "the token stays");
        assert.equal(
            deployment(project, NS, "hub").metadata.generation,
            hubGeneration,
            "the chart's checksum does not cover the existing Secret: a restart by hand",
        );
        pulumi(["preview", "--expect-no-changes"], "preview after cookie rotation");
    });

    it("4d. the directory's sync Job replaced under its own name three times in a row (ldap.resetPasswordsFrom set, changed, unset): each update replaces it alone; then nothing", () => {
        // Its pod template changes and its name does not: the provider deletes it before it creates
        // the new one, and the new one runs with the new setting. With skipAwait that delete does
        // not wait (components/common.ts, SKIP_AWAIT_JOB_ANNOTATIONS); this program's timing hid the
        // race that caused (6 of 6 passed without the fix), which job-replace.test.ts shows.
        type Job = {
            metadata: { name: string; uid: string };
            spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
        };
        const syncJobs = () =>
            (JSON.parse(kubectl(["get", "jobs", "-n", NS, "-o", "json"])) as { items: Job[] }).items.filter((j) =>
                j.metadata.name.startsWith("openldap-sync-"),
            );
        // An empty value comes back from the API as no value.
        const resetFrom = (j: Job) => {
            const e = j.spec.template.spec.containers[0].env?.find((v) => v.name === "RESET_FROM_KEY");
            return e && (e.value ?? "");
        };
        const [first] = syncJobs();
        const seen = [first.metadata.uid];
        for (const [round, value] of [
            ["set", "00faea6b8f42b7c1"],
            ["changed", "0123456789abcdef"],
            ["unset", undefined],
        ] as const) {
            // Its pod, made by the Job controller, is what a foreground deletion waits for.
            const [current] = syncJobs();
            waitFor(
                () => kubectl(["get", "pods", "-n", NS, "-l", `controller-uid=${current.metadata.uid}`, "-o", "name"]).trim() !== "",
                `a pod of Job ${current.metadata.name}`,
            );
            if (value) pulumi(["config", "set", "--plaintext", "--path", "ldap.resetPasswordsFrom", value]);
            else pulumi(["config", "rm", "--path", "ldap.resetPasswordsFrom"]);
            const steps = preview([], `sync-job-${round}-preview`).steps.filter((s) => s.op !== "same");
            assert.deepEqual([...new Set(steps.map(stepObject))], [`Job/${first.metadata.name}`], steps.map((s) => `${s.op} ${stepObject(s)}`).join(", "));
            for (const s of steps) assert.match(s.op, /replace/, `${s.op} ${stepObject(s)}`);
            pulumi(["up", "--yes", "--skip-preview"], `sync-job-${round}-up`);
            const jobs = syncJobs();
            assert.deepEqual(
                jobs.map((j) => j.metadata.name),
                [first.metadata.name],
                "one sync Job, of the same name",
            );
            assert.ok(!seen.includes(jobs[0].metadata.uid), `${round}: a new Job object`);
            seen.push(jobs[0].metadata.uid);
            // With the data key the stack has, RESET_FROM_KEY is the configured fingerprint or empty.
            assert.equal(resetFrom(jobs[0]), value ?? "", `${round}: the new Job runs with the new setting`);
        }
        pulumi(["preview", "--expect-no-changes"], "preview after the sync Job replacements");
    });

    it("5. the state and the stack outputs hold no secret in plain text", () => {
        const secrets: Record<string, string> = {};
        const mysql = decodeSecret("mysql-credentials");
        secrets["mysql root password"] = mysql["root-password"];
        secrets["mysql hub password"] = mysql["hub-password"];
        secrets["ldap admin password"] = decodeSecret("openldap-bootstrap")["admin-password"];
        secrets["ldap server key"] = decodeSecret("openldap-tls")["tls.key"];
        const hub = decodeSecret("hub-secrets");
        secrets["hub cookie secret"] = hub[COOKIE_SECRET_KEY];
        secrets["CryptKeeper key"] = hub["hub.config.CryptKeeper.keys"];
        secrets["hub database URL"] = (JSON.parse(hub["values.yaml"]) as { hub: { db: { url: string } } }).hub.db.url;
        secrets["proxy token"] = decodeSecret(HUB_SECRET)[PROXY_TOKEN_KEY];
        secrets["the chart's own proxy token, which nothing reads"] = decodeSecret("hub")[PROXY_TOKEN_KEY];
        const passwords = JSON.parse(pulumi(["stack", "output", "ldapUserPasswords", "--show-secrets", "--json"])) as Record<string, string>;
        for (const [uid, pw] of Object.entries(passwords)) secrets[`ldap user ${uid}`] = pw;

        for (const [what, value] of Object.entries(secrets)) assert.ok(typeof value === "string" && value.length >= 16, `${what} was not found`);
        // And every secret the state holds (each string under a secret, by resource and property),
        // each in any encoding: hex, base64 and base64url of its bytes too (test/support/plain-text.ts).
        const held = stateSecrets(pulumi(["stack", "export", "--show-secrets"]));
        console.log(`e2e: ${Object.keys(held).length} secret values in the state, ${Object.keys(secrets).length} read from the cluster and outputs`);
        const state = pulumi(["stack", "export"]);
        const outputs = pulumi(["stack", "output", "--json"]);
        const leaks = plainTextLeaks(state + outputs, { ...secrets, ...held });
        assert.deepEqual(leaks, [], `in plain text in the state or outputs: ${leaks.join(", ")}`);
        assert.match(outputs, /"ldapUserPasswords": "\[secret\]"/);
    });

    let kept: Record<string, string> = {};
    let lifeOne: Record<string, string> = {};
    let serverIp = "";

    it("6. destroy removes what the program made and keeps the data, and users' homes stay bound", () => {
        serverIp = jsonpath("service", "nfs-server", "{.spec.clusterIP}", STORAGE_NS);
        // A home as KubeSpawner asks for it and csi-driver-nfs provisions it: unknown to Pulumi.
        project.makeHome(NS, "demo", STORAGE_NS);
        kept = Object.fromEntries([...KEPT, `Namespace/${NS}`, `Namespace/${STORAGE_NS}`].map((o) => [o, uidOf(o)]));
        lifeOne = credentials();

        pulumi(["destroy", "--yes", "--skip-preview"], "destroy");

        const keptPvs = [`PersistentVolume/${NS}-shared`, `PersistentVolume/${NS}-group-shares`];
        const missing = [...KEPT, "PersistentVolumeClaim/claim-demo", `Namespace/${NS}`, `Namespace/${STORAGE_NS}`, ...keptPvs].filter((o) => !exists1(o));
        assert.deepEqual(missing, [], "kept with the data");
        assert.equal(jsonpath("pvc", "claim-demo", "{.status.phase}"), "Bound");
        // The namespaces' default ServiceAccounts are the namespaces' own (kept with them): destroy
        // removes the program's patch of them, not the objects.
        const gone = [...PROGRAM_OBJECTS, ...CHART_OBJECTS].filter(
            (o) => !KEPT.includes(o) && o !== `Namespace/${NS}` && o !== `Namespace/${STORAGE_NS}` && !keptPvs.includes(o) && o !== "ServiceAccount/default",
        );
        const left = gone.filter((o) => exists1(o));
        assert.deepEqual(left, [], `still in the cluster after destroy: ${left.join(", ")}`);
        const state = JSON.parse(pulumi(["stack", "export"])) as { deployment: { resources?: unknown[] } };
        assert.equal(state.deployment.resources?.length ?? 0, 0, "the state is empty");
    });

    it("7. up again takes back the kept objects: same objects, same NFS address, homes still bound to it", () => {
        pulumi(["up", "--yes", "--skip-preview"], "up over kept data");
        assert.deepEqual(Object.fromEntries(Object.keys(kept).map((o) => [o, uidOf(o)])), kept, "the kept objects, not new ones");
        assert.equal(jsonpath("service", "nfs-server", "{.spec.clusterIP}", STORAGE_NS), serverIp);
        assert.equal(jsonpath("pvc", "claim-demo", "{.status.phase}"), "Bound");
        assert.equal(jsonpath("pv", "pvc-demo", "{.spec.csi.volumeAttributes.server}", null), serverIp);
        assert.equal(jsonpath("storageclass", "jupyterhub-home", "{.parameters.server}", null), serverIp);
        pulumi(["preview", "--expect-no-changes"], "preview after re-up");
    });

    it("7b. the credentials the second up hands the pods open what the first made: the data key's the same, the servers take the new ones at start", () => {
        const lifeTwo = credentials();
        const table = Object.keys(lifeOne).map((k) => `#   ${k}: ${digest(lifeOne[k])} -> ${digest(lifeTwo[k])}`);
        console.log(`# credentials before destroy -> after up (sha256 prefixes):\n${table.join("\n")}`);
        // Derived from jupyterhub:dataKey, which outlives the destroy: the same values.
        assert.equal(lifeTwo["every directory user's password (ldapUserPasswords)"], lifeOne["every directory user's password (ldapUserPasswords)"]);
        assert.equal(lifeTwo["CryptKeeper key (hub-secrets)"], lifeOne["CryptKeeper key (hub-secrets)"]);
        // Generated anew; the kept servers take them at start.
        const hubPassword = lifeTwo["MySQL hub password (mysql-credentials/hub-password)"];
        const adminPassword = lifeTwo["directory admin password (openldap-bootstrap/admin-password)"];
        assert.notEqual(hubPassword, lifeOne["MySQL hub password (mysql-credentials/hub-password)"]);
        assert.ok(
            lifeTwo["MySQL init file (mysql-credentials/init.sql)"].includes(`IDENTIFIED BY '${hubPassword}'`),
            "the init file sets the new hub password",
        );
        assert.ok(lifeTwo["hub database URL (hub-secrets)"].includes(`:${encodeURIComponent(hubPassword)}@`), "the hub connects with it");
        const sts = JSON.parse(kubectl(["get", "statefulset", "mysql", "-n", NS, "-o", "json"])) as {
            spec: { template: { spec: { containers: Array<{ args: string[] }>; volumes: Array<{ secret?: { items?: Array<{ key: string }> } }> } } };
        };
        assert.ok(sts.spec.template.spec.containers[0].args.includes("--init-file=/credentials/init.sql"), "mysqld runs the init file at every start");
        const rootpw = lifeTwo["directory rootpw (openldap-bootstrap/rootpw.conf)"];
        const hash = Buffer.from(rootpw.replace(/^rootpw \{SSHA\}/, "").trim(), "base64");
        const expected = crypto.createHash("sha1").update(adminPassword).update(hash.subarray(20)).digest();
        assert.deepEqual(hash.subarray(0, 20), expected, "the rootpw slapd includes at start is the new admin password's hash");
        const dep = kubectl(["get", "deployment", "openldap", "-n", NS, "-o", "json"]);
        assert.match(dep, /"key": "rootpw.conf"/, "the directory's pod mounts it");
        const state = pulumi(["stack", "export"]);
        assert.deepEqual(plainTextLeaks(state, lifeTwo), [], "in plain text in the state");
        assert.ok(!state.includes(DATA_KEY), "nor is the data key");
    });

    it("8. names that are somebody else's are refused before anything is created, naming the setting", () => {
        kubectl(["create", "namespace", `${NS}-foreign`]);
        initStack("second", { "jupyterhub:namespace": `${NS}-foreign` });
        let out = pulumiFails(["preview"], "second");
        assert.match(out, new RegExp(`Namespace "${NS}-foreign" already exists and belongs to no stack of this program`));
        assert.match(out, /jupyterhub:namespace/);
        // The first stack's namespace, its StorageClass and the CSI driver it installed.
        pulumi(["config", "set", "namespace", NS], undefined, "second");
        out = pulumiFails(["up", "--yes", "--skip-preview"], "second");
        assert.match(out, new RegExp(`Namespace "${NS}" already exists and belongs to stack organization/jupyterhub/${STACK}`));
        assert.match(out, /StorageClass "jupyterhub-home" .*jupyterhub:nfs\.homeStorageClass/);
        assert.match(out, /CSIDriver "nfs\.csi\.k8s\.io" .*jupyterhub:nfs\.installCsiDriver to false/);
        const state = JSON.parse(pulumi(["stack", "export"], undefined, "second")) as { deployment: { resources?: Array<{ type: string }> } };
        const made = (state.deployment.resources ?? []).filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm"));
        assert.deepEqual(made, [], "the refused update created nothing");
    });

    it("9. a second hub with its own namespace and storage class, on the first one's CSI driver, deploys beside it", () => {
        pulumi(["config", "set", "namespace", `${NS}-2`], undefined, "second");
        pulumi(["config", "set", "--path", "nfs.homeStorageClass", "jupyterhub-home-2"], undefined, "second");
        pulumi(["config", "set", "--path", "nfs.installCsiDriver", "false"], undefined, "second");
        pulumi(["config", "set", "dataPolicy", "delete"], undefined, "second");
        pulumi(["up", "--yes", "--skip-preview"], "second hub up", "second");
        assert.ok(exists("deployment", "hub", `${NS}-2`) && exists("deployment", "hub", NS));
        if (realChart) {
            for (const ns of [NS, `${NS}-2`]) assert.ok(exists("clusterrole", `${ns}-user-scheduler`, null), `${ns}-user-scheduler`);
        }
        pulumi(["destroy", "--yes", "--skip-preview"], "second hub destroy", "second");
        waitFor(() => !exists("namespace", `${NS}-2`, null), "the second hub's namespace deleted");
        pulumi(["preview", "--expect-no-changes"], "first hub unchanged");
    });

    it("10. with dataPolicy delete chosen deliberately, destroy removes the data too", () => {
        pulumi(["config", "set", "dataPolicy", "delete"]);
        pulumi(["config", "set", "--path", "nfs.onDelete", "delete"]);
        pulumi(["up", "--yes", "--skip-preview"], "up with dataPolicy delete");
        pulumi(["destroy", "--yes", "--skip-preview"], "destroy with dataPolicy delete");
        for (const o of KEPT) assert.equal(exists1(o), false, `${o} should be deleted`);
        // claim-demo was never Pulumi's: it goes with the namespace.
        waitFor(() => !exists("namespace", NS, null), "the namespace deleted");
        waitFor(() => !exists("namespace", STORAGE_NS, null), "the storage namespace deleted");
    });
});

function uidOf(o: string): string {
    return jsonpath(kindOf(o), nameOf(o), "{.metadata.uid}", isClusterScoped(o) ? null : namespaceOf(o, NS));
}
