// Least privilege on the real node (issue 34): the program's own pod specs, rendered by the
// program under mocks (test/support/program.ts), started from the stand-in images (.ci/images.sh)
// in the dev stack's namespace as the program labels it (Pod Security restricted): MySQL and the
// directory with read-only roots become Ready, the directory's sync Job does its work against the
// directory through its Service, and a pod without a token cannot reach the API server (one with
// a token can: the check has teeth). The pods are the workloads' pod templates as they are, but
// for the data claims, which are emptyDirs here (the node has no provisioner of its own).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { reveal, runProgram } from "../support/program";
import { kubectl, must, nodeSh, nodeTestArchive, pin, requireCluster, sh } from "../support/node-harness";

type Obj = Record<string, unknown>;
const NS = "jhub-node-least";
const IMAGE = pin("NODE_TEST_IMAGE");
/** The stand-in images these pods run (docs/images.md, "Stand-in images built here"). */
const STAND_INS = ["mysql", "openldap", "hub", "configurable-http-proxy", "kube-scheduler"];
/** The chart's pods started here: the hub (read-only root, its emptyDirs), the proxy, the user scheduler. */
const CHART_DEPLOYMENTS = ["hub", "proxy", "user-scheduler"];
/** The real chart: read before runProgram, which takes it out of the environment (the mocks' runs use the pinned chart). */
const CHART_DIR = process.env.JUPYTERHUB_CHART_DIR;

/**
 * A reference as the kubelet asks containerd for it: without a registry, Docker Hub's
 * (`mysql:8.4.7` is `docker.io/library/mysql:8.4.7`), so the image is imported under that name.
 */
function fullReference(ref: string): string {
    const first = ref.split("/")[0];
    if (ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return ref;
    return `docker.io/${ref.includes("/") ? "" : "library/"}${ref}`;
}

/**
 * The directory's TLS files, made by openssl: under mocks the program's certificates are stand-in
 * text, which slapd refuses. A CA and a server certificate for the names the program gives it
 * (components/directory/client.ts ldapCertDnsNames), as the program's own are made.
 */
function directoryTls(dir: string): Record<string, string> {
    const f = (n: string) => path.join(dir, n);
    const names = ["openldap", `openldap.${NS}`, `openldap.${NS}.svc`, `openldap.${NS}.svc.cluster.local`, "localhost"];
    fs.writeFileSync(f("ext.cnf"), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\n`);
    must("openssl", [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=jhub-node-least-ca",
        "-days",
        "1",
        "-keyout",
        f("ca.key"),
        "-out",
        f("ca.crt"),
    ]);
    must("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=openldap", "-keyout", f("tls.key"), "-out", f("tls.csr")]);
    must("openssl", [
        "x509",
        "-req",
        "-in",
        f("tls.csr"),
        "-CA",
        f("ca.crt"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        f("ext.cnf"),
        "-out",
        f("tls.crt"),
    ]);
    return {
        "tls.crt": fs.readFileSync(f("tls.crt"), "utf8"),
        "tls.key": fs.readFileSync(f("tls.key"), "utf8"),
        "ca.crt": fs.readFileSync(f("ca.crt"), "utf8"),
    };
}

/** A workload's pod template as a Pod, its data claims replaced by emptyDirs. */
function podOfWorkload(o: Obj, name: string): Obj {
    const spec = o.spec as Obj;
    const template = (o.kind === "CronJob" ? ((spec.jobTemplate as Obj).spec as Obj).template : spec.template) as Obj;
    const podSpec = structuredClone(template.spec) as Obj;
    podSpec.volumes = ((podSpec.volumes as Obj[] | undefined) ?? []).map((v) => (v.persistentVolumeClaim ? { name: v.name, emptyDir: {} } : v));
    return { apiVersion: "v1", kind: "Pod", metadata: { ...(template.metadata as Obj), name, namespace: NS }, spec: podSpec };
}

/** A pod of the node tier's test image, fitting restricted, running apicheck on demand. */
function probePod(name: string, automount?: boolean): Obj {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: NS },
        spec: {
            terminationGracePeriodSeconds: 1,
            ...(automount === undefined ? {} : { automountServiceAccountToken: automount }),
            securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "main",
                    image: IMAGE,
                    command: ["sh", "-c", "exec sleep 3600"],
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                },
            ],
        },
    };
}

describe("a real node: the program's hardened pods start, and a pod without a token cannot reach the API", () => {
    let started = false;
    let objects: Obj[] = [];
    let values: unknown;

    before(async () => {
        requireCluster();
        const r = nodeSh(["start"]);
        assert.equal(r.status, 0, `.ci/node.sh start failed:\n${r.stderr.slice(-6000)}`);
        started = true;
        for (const name of STAND_INS) {
            const archive = must("bash", [".ci/images.sh", "path", name]).trim();
            const ref = must("bash", [".ci/images.sh", "list"])
                .split("\n")
                .find((l) => l.startsWith(`${name}\t`))
                ?.split("\t")[1];
            assert.ok(ref, `.ci/images.sh list names ${name}`);
            const imported = nodeSh(["import", archive, fullReference(ref)]);
            assert.equal(imported.status, 0, imported.stderr);
        }
        assert.equal(nodeSh(["import", nodeTestArchive(), IMAGE]).status, 0);
        const program = await runProgram("dev", { "jupyterhub:namespace": NS });
        values = (reveal(program.byName("jupyterhub").inputs) as { values: unknown }).values;
        objects = program.resources
            .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"))
            .map((r) => reveal(r.inputs) as Obj);
        const tls = objects.find((o) => o.kind === "Secret" && (o.metadata as Obj).name === "openldap-tls");
        assert.ok(tls, "the program's Secret openldap-tls");
        tls.stringData = directoryTls(fs.mkdtempSync(path.join(os.tmpdir(), "jhub-node-least-tls-")));
        // The namespace as the program makes it (restricted), its default ServiceAccount patched, and
        // what the pods read: Secrets, ConfigMaps, Services, NetworkPolicies.
        const kinds = ["Namespace", "ServiceAccount", "Secret", "ConfigMap", "Service", "NetworkPolicy"];
        const ours = objects.filter((o) => kinds.includes(String(o.kind)) && ((o.metadata as Obj).namespace === NS || (o.metadata as Obj).name === NS));
        const ordered = [...ours.filter((o) => o.kind === "Namespace"), ...ours.filter((o) => o.kind !== "Namespace")];
        kubectl(["apply", "--server-side", "--field-manager=jhub-node-least", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: ordered }));
    });

    after(() => {
        if (started) nodeSh(["stop"]);
        sh("kubectl", ["delete", "namespace", NS, "--ignore-not-found", "--wait=false"]);
    });

    const workload = (kind: string, name: RegExp) => {
        const o = objects.find((x) => x.kind === kind && name.test(String((x.metadata as Obj).name)));
        assert.ok(o, `${kind} ${String(name)} among the program's objects`);
        return o;
    };

    it("MySQL and the directory, read-only roots and all, are admitted under restricted, start and become Ready", () => {
        const pods = [podOfWorkload(workload("StatefulSet", /^mysql$/), "mysql-0"), podOfWorkload(workload("Deployment", /^openldap$/), "openldap-0")];
        for (const p of pods) {
            const c = ((p.spec as Obj).containers as Obj[])[0];
            assert.equal((c.securityContext as Obj).readOnlyRootFilesystem, true, String((p.metadata as Obj).name));
        }
        const t0 = Date.now();
        kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: pods }));
        const r = sh("kubectl", ["-n", NS, "wait", "--for=condition=Ready", "pod/mysql-0", "pod/openldap-0", "--timeout=300s"]);
        if (r.status !== 0) {
            const why = sh("kubectl", ["-n", NS, "describe", "pods"]).stdout.slice(-6000);
            const logs = ["mysql-0", "openldap-0"].map((p) => sh("kubectl", ["-n", NS, "logs", p, "--all-containers", "--tail=30"]).stdout).join("\n---\n");
            assert.fail(`not Ready:\n${r.stderr}\n${why}\n${logs}`);
        }
        console.log(`# mysql and openldap Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    it("the directory's sync Job, read-only root and no token, does its work against the directory through its Service", () => {
        kubectl(["apply", "-f", "-"], JSON.stringify(podOfWorkload(workload("Job", /^openldap-sync-/), "openldap-sync")));
        const r = sh("kubectl", ["-n", NS, "wait", "pod/openldap-sync", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=180s"]);
        const logs = sh("kubectl", ["-n", NS, "logs", "openldap-sync"]).stdout;
        assert.equal(r.status, 0, `${r.stderr}\n${logs}\n${sh("kubectl", ["-n", NS, "describe", "pod", "openldap-sync"]).stdout.slice(-3000)}`);
        // ldap* tools warn about a password file others may read: the Secret's files are the group's only
        assert.doesNotMatch(logs, /publicly readable/);
        console.log(`# sync: ${logs.trim().split("\n").slice(-3).join(" | ")}`);
    });

    it("the chart's hub, proxy and user scheduler, rendered by real Helm with the program's values (read-only roots), become Ready", (t) => {
        const chart = CHART_DIR;
        if (!chart) return t.skip("least-privilege chart pods: SKIPPED — JUPYTERHUB_CHART_DIR is not set (the real chart)");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "jhub-node-least-")), "values.json");
        fs.writeFileSync(file, JSON.stringify(values));
        // Not the image puller: it would pull every user image (the sample's stand-in is 170 MiB).
        const rendered = must("helm", [
            "template",
            NS,
            chart,
            "--namespace",
            NS,
            "--kube-version",
            pin("KUBE_VERSION"),
            "-f",
            file,
            "--set",
            "prePuller.continuous.enabled=false",
        ]);
        kubectl(["apply", "--server-side", "--field-manager=jhub-node-least", "-n", NS, "-f", "-"], rendered);
        const t0 = Date.now();
        for (const d of CHART_DEPLOYMENTS) {
            const r = sh("kubectl", ["-n", NS, "rollout", "status", `deployment/${d}`, "--timeout=300s"]);
            if (r.status !== 0) {
                const pods = sh("kubectl", ["-n", NS, "get", "pods", "-o", "wide"]).stdout;
                const logs = sh("kubectl", ["-n", NS, "logs", `deployment/${d}`, "--all-containers", "--tail=40"]).stdout;
                assert.fail(`${d} not Ready:\n${r.stderr}\n${pods}\n${logs}`);
            }
        }
        const hub = JSON.parse(kubectl(["-n", NS, "get", "deployment", "hub", "-o", "json"])) as {
            spec: { template: { spec: { containers: Array<{ securityContext: Obj }> } } };
        };
        assert.equal(hub.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
        console.log(`# hub, proxy, user-scheduler Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    it("a pod without a token (the namespace's default ServiceAccount mounts none) cannot reach the API; one given a token can", () => {
        kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: [probePod("no-token"), probePod("with-token", true)] }));
        kubectl(["-n", NS, "wait", "--for=condition=Ready", "pod/no-token", "pod/with-token", "--timeout=120s"]);
        const denied = sh("kubectl", ["-n", NS, "exec", "no-token", "--", "apicheck"]);
        assert.notEqual(denied.status, 0, denied.stdout);
        assert.match(denied.stderr, /serviceaccount\/token: no such file or directory/);
        assert.equal(kubectl(["-n", NS, "exec", "with-token", "--", "apicheck"]).trim(), `system:serviceaccount:${NS}:default`);
    });
});
