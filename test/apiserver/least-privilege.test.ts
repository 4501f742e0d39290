// Least privilege (issue 34) read back from a real kube-apiserver: the dev stack's objects and the
// chart's, as real Helm renders the real chart (JUPYTERHUB_CHART_DIR) with the program's values,
// applied, then every workload read back from the API server (with the server's defaults filled
// in) and judged by the policy pack's own rules: every container's security context, tokens, and
// the NetworkPolicies that fence each workload of the program. Prints, per container, what it runs
// as and what it keeps.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { LEAST_PRIVILEGE_PREFIX, parseLeastPrivilegeException } from "../../lib/pods";
import { containersLeastPrivilege, podOf, podsNoIdleToken, workloadsNetworkPolicies } from "../../policy/rules";
import { kubectl } from "../support/apiserver-harness";
import { run } from "../support/helpers";
import { resourceViolations, stackViolations, type Subject } from "../support/policy-harness";
import { reveal, runProgram } from "../support/program";

type Obj = Record<string, unknown>;
const NS = "jhub-least";
const STORAGE_NS = `${NS}-storage`;
const WORKLOADS = "deployments,statefulsets,daemonsets,jobs,cronjobs";

/** An object read back from the API server, as the policy pack receives one (type token, name, properties). */
function subjectOf(o: Obj): Subject {
    const [group, version] = String(o.apiVersion).includes("/") ? String(o.apiVersion).split("/") : ["core", String(o.apiVersion)];
    const name = String((o.metadata as Obj).name);
    return { type: `kubernetes:${group}/${version}:${String(o.kind)}`, name, props: o };
}

function readBack(kinds: string, ns: string): Obj[] {
    return (JSON.parse(kubectl(["get", kinds, "-n", ns, "-o", "json"])) as { items: Obj[] }).items;
}

describe("real kube-apiserver: every container of the dev stack and its chart, read back, holds the least-privilege rules", () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-least-"));
    const realChart = process.env.JUPYTERHUB_CHART_DIR;
    let workloads: Subject[] = [];
    let policies: Subject[] = [];
    /** The program's cluster-wide objects (CSIDriver, StorageClass, volumes, roles): deleted after, for the other suites. */
    let clusterScoped: Obj[] = [];

    before(async () => {
        if (!process.env.KUBECONFIG) throw new Error("KUBECONFIG is not set: run this through `npm run test:apiserver` (.ci/apiserver.sh)");
        const program = await runProgram("dev", { "jupyterhub:namespace": NS });
        const objects = program.resources
            .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"))
            .map((r) => reveal(r.inputs) as Obj);
        clusterScoped = objects.filter((o) => !(o.metadata as Obj).namespace && o.kind !== "Namespace");
        const ordered = [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
        kubectl(["apply", "--server-side", "--field-manager=jhub-least-test", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: ordered }));
        if (realChart) {
            const file = path.join(work, "values.json");
            fs.writeFileSync(file, JSON.stringify((reveal(program.byName("jupyterhub").inputs) as { values: unknown }).values));
            const rendered = run("helm", ["template", NS, realChart, "--namespace", NS, "--kube-version", "1.37.2", "-f", file]);
            kubectl(["apply", "--server-side", "--field-manager=jhub-least-test", "-n", NS, "-f", "-"], rendered);
        }
        workloads = [...readBack(WORKLOADS, NS), ...readBack(WORKLOADS, STORAGE_NS)].map(subjectOf);
        policies = [...readBack("networkpolicies", NS), ...readBack("networkpolicies", STORAGE_NS)].map(subjectOf);
    });

    after(() => {
        for (const ns of [NS, STORAGE_NS]) kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
        for (const o of clusterScoped) kubectl(["delete", String(o.kind), String((o.metadata as Obj).name), "--ignore-not-found", "--wait=false"]);
        // the chart's cluster roles, named after the namespace
        for (const kind of ["clusterrole", "clusterrolebinding"]) {
            const names = kubectl(["get", kind, "-o", "name"])
                .split("\n")
                .filter((n) => n.includes(NS));
            if (names.length > 0) kubectl(["delete", ...names, "--ignore-not-found", "--wait=false"]);
        }
        fs.rmSync(work, { recursive: true, force: true });
    });

    it(`the workloads read back include the program's and the ${realChart ? "real chart's" : "(no JUPYTERHUB_CHART_DIR: not the chart's)"}`, () => {
        const names = workloads.map((w) => `${w.type.split(":").pop()}/${w.name}`);
        for (const n of [
            "StatefulSet/mysql",
            "Deployment/openldap",
            "Deployment/nfs-server",
            "Deployment/csi-nfs-controller",
            "DaemonSet/csi-nfs-node",
            "CronJob/backup-hub-db",
        ])
            assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
        assert.ok(
            names.some((n) => n.startsWith("Job/openldap-sync-")),
            names.join(", "),
        );
        if (realChart)
            for (const n of ["Deployment/hub", "Deployment/proxy", "Deployment/user-scheduler", "DaemonSet/continuous-image-puller"])
                assert.ok(names.includes(n), n);
    });

    it("every container passes containers-least-privilege, or keeps only what its pod template names with the reason (the table)", async () => {
        const rows: string[] = [];
        for (const w of workloads) {
            assert.deepEqual(await resourceViolations(containersLeastPrivilege, w), [], w.name);
            const pod = podOf(w.type, w.props, w.name)!;
            const podSc = (pod.spec.securityContext ?? {}) as Obj;
            for (const { c } of pod.containers) {
                const sc = (c.securityContext ?? {}) as Obj;
                const user = JSON.stringify(sc.runAsUser ?? podSc.runAsUser ?? "image's");
                const caps = ((sc.capabilities as Obj | undefined)?.add as string[] | undefined) ?? [];
                const raw = pod.annotations[`${LEAST_PRIVILEGE_PREFIX}/${String(c.name)}`];
                const e = typeof raw === "string" ? parseLeastPrivilegeException(raw) : undefined;
                const keeps = typeof e === "object" ? `${e.checks.join(",")}${caps.length ? ` (${caps.join(",")})` : ""}: ${e.reason}` : "nothing";
                rows.push(`${String((w.props.metadata as Obj).namespace)}/${w.name} ${String(c.name)}: uid ${user}; keeps ${keeps}`);
            }
        }
        console.log(rows.join("\n"));
        assert.ok(rows.length >= (realChart ? 20 : 14), `${rows.length} containers`);
    });

    it("the check has teeth: a read-back container with its read-only root taken away is refused", async () => {
        const mysql = structuredClone(workloads.find((w) => w.name === "mysql")!);
        const c = ((((mysql.props.spec as Obj).template as Obj).spec as Obj).containers as Obj[])[0];
        (c.securityContext as Obj).readOnlyRootFilesystem = false;
        const found = await resourceViolations(containersLeastPrivilege, mysql);
        assert.equal(found.length, 1);
        assert.match(found[0], /container "mysql" fails writable-root/);
    });

    it("no pod mounts a ServiceAccount token unless it names its API calls; the namespaces' default ServiceAccounts mount none", async () => {
        for (const w of workloads) assert.deepEqual(await resourceViolations(podsNoIdleToken, w), [], w.name);
        for (const ns of [NS, STORAGE_NS]) {
            const sa = JSON.parse(kubectl(["get", "serviceaccount", "default", "-n", ns, "-o", "json"])) as Obj;
            assert.equal(sa.automountServiceAccountToken, false, `${ns}/default`);
        }
    });

    it("every workload of the program is fenced by NetworkPolicies read back for ingress and egress (or names why not)", async () => {
        assert.deepEqual(await stackViolations(workloadsNetworkPolicies, [...workloads, ...policies]), []);
        const withoutSync = policies.filter((p) => p.name !== "openldap-sync");
        const found = await stackViolations(workloadsNetworkPolicies, [...workloads, ...withoutSync]);
        assert.equal(found.length, 1, found.map((f) => f.message).join("\n"));
        assert.match(found[0].message, /^Job "jhub-least\/openldap-sync-[0-9a-f]{16}": no NetworkPolicy .* restricts its ingress and egress/);
    });
});
