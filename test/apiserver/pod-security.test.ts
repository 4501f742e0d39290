// Pod Security admission on a real kube-apiserver (its admission is the real one): what the hub's
// ServiceAccount may and may not create in the hub's namespace, for the dev stack (restricted) and
// the seed's settings (grantSudo: baseline). Users' pods are built as KubeSpawner builds them from
// the program's values (test/support/user-pod.ts). The refusals' messages are printed.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { kubectl } from "../support/apiserver-harness";
import { rawStackConfig, run } from "../support/helpers";
import { type ProgramRun, reveal, runProgram } from "../support/program";
import { SEED_REGISTRY_PASSWORD, seedOverrides } from "../support/seed";
import { kubeSpawnerPod } from "../support/user-pod";

type Obj = Record<string, unknown>;

/** kubectl with its standard error, where the API server's warnings and refusals are. */
function kubectlFull(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
    const r = spawnSync("kubectl", args, { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const objectsOf = (program: ProgramRun) =>
    program.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh")).map((r) => reveal(r.inputs) as Obj);
const nsOf = (o: Obj) => (o.metadata as { namespace?: string }).namespace;
const valuesOf = (program: ProgramRun) => (reveal(program.byName("jupyterhub").inputs) as { values: Obj }).values;

/**
 * The hub's ServiceAccount and what it may do, from the chart: the real chart's objects when
 * JUPYTERHUB_CHART_DIR is set; else as z2jh 4.4.0 makes them (jupyterhub/templates/hub/
 * serviceaccount.yaml: ServiceAccount "hub"; hub/rbac.yaml: Role "hub" with get, watch, list,
 * create, delete on pods, persistentvolumeclaims, secrets and services, bound to it).
 */
function hubIdentity(ns: string, values: Obj, work: string): void {
    const realChart = process.env.JUPYTERHUB_CHART_DIR;
    let docs: string;
    if (realChart) {
        const file = path.join(work, `${ns}-values.json`);
        fs.writeFileSync(file, JSON.stringify(values));
        docs = run("helm", [
            "template",
            ns,
            realChart,
            "--namespace",
            ns,
            "--kube-version",
            "1.37.2",
            "-f",
            file,
            "--show-only",
            "templates/hub/serviceaccount.yaml",
            "--show-only",
            "templates/hub/rbac.yaml",
        ]);
    } else {
        docs = JSON.stringify({
            apiVersion: "v1",
            kind: "List",
            items: [
                { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "hub" } },
                {
                    apiVersion: "rbac.authorization.k8s.io/v1",
                    kind: "Role",
                    metadata: { name: "hub" },
                    rules: [
                        {
                            apiGroups: [""],
                            resources: ["pods", "persistentvolumeclaims", "secrets", "services"],
                            verbs: ["get", "watch", "list", "create", "delete"],
                        },
                        { apiGroups: [""], resources: ["events"], verbs: ["get", "watch", "list"] },
                    ],
                },
                {
                    apiVersion: "rbac.authorization.k8s.io/v1",
                    kind: "RoleBinding",
                    metadata: { name: "hub" },
                    subjects: [{ kind: "ServiceAccount", name: "hub", namespace: ns }],
                    roleRef: { kind: "Role", name: "hub", apiGroup: "rbac.authorization.k8s.io" },
                },
            ],
        });
    }
    kubectl(["apply", "--server-side", "--field-manager=jhub-psa-test", "-n", ns, "-f", "-"], docs);
}

/** A pod created (really, not a dry run) in `ns` as the hub's ServiceAccount. */
function createAsHub(ns: string, pod: Obj) {
    return kubectlFull(["create", "-n", ns, "--as", `system:serviceaccount:${ns}:hub`, "-f", "-"], JSON.stringify(pod));
}

function pod(name: string, spec: Obj): Obj {
    return { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", ...spec }] } };
}
const PRIVILEGED = pod("privileged", { securityContext: { privileged: true } });
const HOST_PATH: Obj = {
    ...pod("host-path", {}),
    spec: {
        containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", volumeMounts: [{ name: "host", mountPath: "/host" }] }],
        volumes: [{ name: "host", hostPath: { path: "/" } }],
    },
};
/** Fits restricted: the hub's identity may create pods, so a refusal below is admission's, not RBAC's. */
const FITS: Obj = {
    ...pod("fits-restricted", {
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
    }),
};

/** One stack's namespaces on the API server: the program's Namespace objects, and the hub's identity. */
function stackNamespaces(program: ProgramRun, work: string): string[] {
    const namespaces = objectsOf(program).filter((o) => o.kind === "Namespace");
    kubectl(["apply", "--server-side", "--field-manager=jhub-psa-test", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: namespaces }));
    const hubNs = String(program.outputs.namespaceName);
    hubIdentity(hubNs, valuesOf(program), work);
    return namespaces.map((n) => (n.metadata as { name: string }).name);
}

describe("real kube-apiserver: Pod Security in the dev stack's namespaces", () => {
    const NS = "jhub-psa";
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-psa-"));
    let program: ProgramRun;
    let created: string[] = [];

    before(async () => {
        if (!process.env.KUBECONFIG) throw new Error("KUBECONFIG is not set: run this through `npm run test:apiserver` (.ci/apiserver.sh)");
        program = await runProgram("dev", { "jupyterhub:namespace": NS });
        created = stackNamespaces(program, work);
    });
    after(() => {
        for (const n of created) kubectl(["delete", "namespace", n, "--ignore-not-found", "--wait=false"]);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("the hub's namespace enforces restricted, the storage namespace privileged", () => {
        const labels = (n: string) =>
            (JSON.parse(kubectl(["get", "namespace", n, "-o", "json"])) as { metadata: { labels: Record<string, string> } }).metadata.labels;
        assert.equal(labels(NS)["pod-security.kubernetes.io/enforce"], "restricted");
        assert.equal(labels(NS)["pod-security.kubernetes.io/warn"], "restricted");
        assert.equal(labels(`${NS}-storage`)["pod-security.kubernetes.io/enforce"], "privileged");
        assert.deepEqual(created.sort(), [NS, `${NS}-storage`]);
    });

    it("the hub's ServiceAccount may create a pod that fits: what is refused below is refused by Pod Security", () => {
        const r = createAsHub(NS, FITS);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /pod\/fits-restricted created/);
    });

    it("a privileged pod created as the hub's ServiceAccount is refused, with the admission's message", () => {
        const r = createAsHub(NS, PRIVILEGED);
        console.log(`refused (privileged, ${NS}): ${r.stderr.trim()}`);
        assert.notEqual(r.status, 0);
        assert.match(
            r.stderr,
            /pods "privileged" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "c" must not set securityContext\.privileged=true\)/,
        );
    });

    it("a host-path pod created as the hub's ServiceAccount is refused, with the admission's message", () => {
        const r = createAsHub(NS, HOST_PATH);
        console.log(`refused (hostPath, ${NS}): ${r.stderr.trim()}`);
        assert.notEqual(r.status, 0);
        assert.match(
            r.stderr,
            /pods "host-path" is forbidden: violates PodSecurity "restricted:latest": .*restricted volume types \(volume "host" uses restricted volume type "hostPath"\)/,
        );
    });

    it("a user's pod as KubeSpawner makes it from the dev stack's values is admitted", () => {
        const user = kubeSpawnerPod(valuesOf(program), { namespace: NS, user: "demo" });
        const r = createAsHub(NS, user);
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /would violate/);
    });

    it("z2jh's default for user pods (the privileged iptables init container) would be refused: why the program turns it off", () => {
        const values = valuesOf(program);
        const su = values.singleuser as Obj;
        const withDefault = { ...values, singleuser: { ...su, cloudMetadata: { blockWithIptables: true } } };
        const r = createAsHub(NS, kubeSpawnerPod(withDefault, { namespace: NS, user: "student" }));
        assert.notEqual(r.status, 0);
        assert.match(
            r.stderr,
            /violates PodSecurity "restricted:latest": privileged \(container "block-cloud-metadata" must not set securityContext\.privileged=true\)/,
        );
    });

    it("the program's own workloads in the hub's namespace fit restricted: the API server warns about none", () => {
        const mine = objectsOf(program).filter((o) => nsOf(o) === NS && ["Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet"].includes(String(o.kind)));
        assert.ok(mine.length >= 5, `workloads: ${mine.length}`);
        const r = kubectlFull(["apply", "--dry-run=server", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: mine }));
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /would violate PodSecurity/);
    });

    it("the NFS server's pod is admitted in the storage namespace and refused in the hub's", () => {
        const server = objectsOf(program).find((o) => o.kind === "Deployment" && (o.metadata as { name: string }).name === "nfs-server")!;
        assert.equal(nsOf(server), `${NS}-storage`);
        const template = (server.spec as { template: { metadata: Obj; spec: Obj } }).template;
        const asPod = (ns: string) => ({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { ...template.metadata, name: "nfs-server-probe", namespace: ns },
            spec: template.spec,
        });
        const there = kubectlFull(["create", "--dry-run=server", "-f", "-"], JSON.stringify(asPod(`${NS}-storage`)));
        assert.equal(there.status, 0, there.stderr);
        const here = kubectlFull(["create", "--dry-run=server", "-f", "-"], JSON.stringify(asPod(NS)));
        assert.notEqual(here.status, 0);
        assert.match(
            here.stderr,
            /violates PodSecurity "restricted:latest": .*privileged \(container "nfs-server" must not set securityContext\.privileged=true\)/,
        );
    });
});

describe("real kube-apiserver: Pod Security with the seed's settings (grantSudo: baseline)", () => {
    const NS = "jhub-psa-seed";
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-psa-seed-"));
    let program: ProgramRun;
    let created: string[] = [];

    before(async () => {
        program = await runProgram(
            "dev",
            {
                "jupyterhub:namespace": NS,
                ...seedOverrides(),
                "jupyterhub:nfs": { ...(rawStackConfig("dev").nfs as object), installCsiDriver: false, homeStorageClass: "jupyterhub-home-psa-seed" },
            },
            { registryPassword: SEED_REGISTRY_PASSWORD },
        );
        created = stackNamespaces(program, work);
    });
    after(() => {
        for (const n of created) kubectl(["delete", "namespace", n, "--ignore-not-found", "--wait=false"]);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("the hub's namespace enforces baseline and warns at restricted", () => {
        const labels = (JSON.parse(kubectl(["get", "namespace", NS, "-o", "json"])) as { metadata: { labels: Record<string, string> } }).metadata.labels;
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
        assert.equal(labels["pod-security.kubernetes.io/warn"], "restricted");
        assert.equal(labels["pod-security.kubernetes.io/audit"], "restricted");
    });

    it("a user's pod as KubeSpawner makes it for the seed (root start, sudo) is admitted, with restricted's warning", () => {
        const user = kubeSpawnerPod(valuesOf(program), { namespace: NS, user: "jupyter" });
        const container = ((user.spec as Obj).containers as Obj[])[0];
        assert.deepEqual(container.securityContext, { runAsUser: 0, allowPrivilegeEscalation: true });
        const r = createAsHub(NS, user);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /would violate PodSecurity "restricted:latest"/);
    });

    it("a privileged pod and a host-path pod created as the hub's ServiceAccount are still refused", () => {
        const privileged = createAsHub(NS, PRIVILEGED);
        console.log(`refused (privileged, ${NS}): ${privileged.stderr.trim()}`);
        assert.match(
            privileged.stderr,
            /pods "privileged" is forbidden: violates PodSecurity "baseline:latest": privileged \(container "c" must not set securityContext\.privileged=true\)/,
        );
        const hostPath = createAsHub(NS, HOST_PATH);
        console.log(`refused (hostPath, ${NS}): ${hostPath.stderr.trim()}`);
        assert.match(hostPath.stderr, /pods "host-path" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes \(volume "host"\)/);
    });
});
